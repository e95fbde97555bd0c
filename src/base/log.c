/*
 * Logging. The agent writes one JSON object a line on stderr as Flux's controllers do
 * (controller-runtime's zap encoder), so existing log pipelines keep working: level, ts, msg,
 * then controller, controllerGroup and controllerKind (once the controller is known:
 * ed_log_controller_kind), the object as {"<Kind>": {"name", "namespace"}}, "namespace" and
 * "name", the id of the reconcile that wrote the entry (ed_log_set_reconcile_id, per thread)
 * as "reconcileID", and then the caller's other keys (revision, error, ...). The CLI uses a plain
 * console format. Values under keys that name secrets are replaced by "***": a token must never
 * reach a log.
 */
#include "base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

static ed_log_format log_format = ED_LOG_JSON;
static ed_log_level log_min = ED_LOG_INFO;

/* The controllers' groups and kinds: appended to, never changed, so a reader needs only the
 * count (published after its entry is written). */
#define LOG_KINDS 16
static struct {
    char name[64], group[128], kind[64];
} log_kinds[LOG_KINDS];
static atomic_size_t log_nkinds;
static pthread_mutex_t log_kinds_lock = PTHREAD_MUTEX_INITIALIZER;

void ed_log_controller_kind(const char *controller, const char *group, const char *kind)
{
    pthread_mutex_lock(&log_kinds_lock);
    size_t n = atomic_load(&log_nkinds);
    bool known = false;
    for (size_t i = 0; i < n; i++)
        known |= strcmp(log_kinds[i].name, controller) == 0;
    if (!known && n < LOG_KINDS) {
        snprintf(log_kinds[n].name, sizeof(log_kinds[n].name), "%s", controller);
        snprintf(log_kinds[n].group, sizeof(log_kinds[n].group), "%s", group);
        snprintf(log_kinds[n].kind, sizeof(log_kinds[n].kind), "%s", kind);
        atomic_store(&log_nkinds, n + 1);
    }
    pthread_mutex_unlock(&log_kinds_lock);
}

/* The reconcile this thread runs (an empty id for none). */
static _Thread_local ed_log_scope log_scope;

void ed_log_set_reconcile_id(const char *id)
{
    snprintf(log_scope.reconcile_id, sizeof(log_scope.reconcile_id), "%s", id ? id : "");
    if (!id)
        log_scope.controller[0] = log_scope.ns[0] = log_scope.name[0] = '\0';
}

void ed_log_set_reconcile_object(const char *controller, const char *ns, const char *name)
{
    snprintf(log_scope.controller, sizeof(log_scope.controller), "%s", controller);
    snprintf(log_scope.ns, sizeof(log_scope.ns), "%s", ns ? ns : "");
    snprintf(log_scope.name, sizeof(log_scope.name), "%s", name);
}

void ed_log_scope_get(ed_log_scope *out)
{
    *out = log_scope;
}

void ed_log_scope_set(const ed_log_scope *scope)
{
    if (scope)
        log_scope = *scope;
    else
        memset(&log_scope, 0, sizeof(log_scope));
}

/* The registered entry of a controller, or -1. */
static int controller_kind(const char *controller)
{
    size_t n = atomic_load(&log_nkinds);
    for (size_t i = 0; controller && i < n; i++)
        if (strcmp(log_kinds[i].name, controller) == 0)
            return (int)i;
    return -1;
}

void ed_log_init(ed_log_format format, ed_log_level min_level)
{
    log_format = format;
    log_min = min_level;
}

bool ed_log_key_is_secret(const char *key)
{
    static const char *const secret_words[] = {"token",      "password",      "secret",  "key",
                                               "credential", "authorization", "identity"};
    for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++) {
        size_t n = strlen(secret_words[i]);
        for (const char *p = key; *p; p++)
            if (strncasecmp(p, secret_words[i], n) == 0)
                return true;
    }
    return false;
}

bool ed_log_enabled(ed_log_level level)
{
    return level >= log_min;
}

static const char *level_name(ed_log_level level)
{
    switch (level) {
    case ED_LOG_DEBUG:
        return "debug";
    case ED_LOG_INFO:
        return "info";
    default:
        return "error";
    }
}

/* Whether the pairs that start with key `first` (the rest in ap, NULL-terminated) have key. */
static bool has_key(const char *first, va_list ap, const char *key)
{
    va_list aq;
    va_copy(aq, ap);
    bool found = false;
    for (const char *k = first; k && !found; k = va_arg(aq, const char *)) {
        found = strcmp(k, key) == 0;
        (void)va_arg(aq, const char *);
    }
    va_end(aq);
    return found;
}

/* A key and its value, as ed_log's caller gave them. */
struct log_pair {
    const char *key, *value;
};
#define LOG_PAIRS 32

/* The pair under key, or NULL. */
static const struct log_pair *pair_of(const struct log_pair *pairs, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(pairs[i].key, key) == 0)
            return &pairs[i];
    return NULL;
}

/* A key "=name" holds JSON already (ED_LOG_JSON_KEY): written as it is, under "name". */
static void append_json_pair(ed_buf *line, const char *key, const char *value)
{
    bool raw = key[0] == '=';
    key += raw;
    ed_buf_append(line, ",", 1);
    ed_buf_append_json_str(line, key);
    ed_buf_append(line, ":", 1);
    if (ed_log_key_is_secret(key))
        ed_buf_append_str(line, "\"***\"");
    else if (raw && *value)
        ed_buf_append_str(line, value);
    else
        ed_buf_append_json_str(line, value);
}

/*
 * The keys of a JSON entry in the order controller-runtime writes a reconcile's: the
 * controller, its group and kind, the object (as {"<Kind>": {"name", "namespace"}}, then
 * "namespace" and "name"), the reconcile's id, then the caller's other keys in its order.
 */
static void append_json_pairs(ed_buf *line, const struct log_pair *pairs, size_t n)
{
    const struct log_pair *controller = pair_of(pairs, n, "controller");
    const struct log_pair *name = controller ? pair_of(pairs, n, "name") : NULL;
    const struct log_pair *ns = controller ? pair_of(pairs, n, "namespace") : NULL;
    int c = controller ? controller_kind(controller->value) : -1;
    if (controller) {
        append_json_pair(line, "controller", controller->value);
        if (c >= 0) {
            append_json_pair(line, "controllerGroup", log_kinds[c].group);
            append_json_pair(line, "controllerKind", log_kinds[c].kind);
        }
    }
    if (name && c >= 0) {
        ed_buf_append(line, ",", 1);
        ed_buf_append_json_str(line, log_kinds[c].kind);
        ed_buf_append_str(line, ":{\"name\":");
        ed_buf_append_json_str(line, name->value);
        if (ns) {
            ed_buf_append_str(line, ",\"namespace\":");
            ed_buf_append_json_str(line, ns->value);
        }
        ed_buf_append(line, "}", 1);
    }
    if (ns)
        append_json_pair(line, "namespace", ns->value);
    if (name)
        append_json_pair(line, "name", name->value);
    if (log_scope.reconcile_id[0])
        append_json_pair(line, "reconcileID", log_scope.reconcile_id);
    for (size_t i = 0; i < n; i++)
        if (&pairs[i] != controller && &pairs[i] != name && &pairs[i] != ns)
            append_json_pair(line, pairs[i].key, pairs[i].value);
}

void ed_log(ed_log_level level, const char *msg, ...)
{
    if (level < log_min)
        return;
    ed_buf line = ED_BUF_INIT(ED_LOG_LINE_MAX);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[32];
    ed_time_rfc3339(tv.tv_sec, ts);
    /* Insert the milliseconds before the 'Z' as Flux's zap encoder does (ISO 8601). */
    ts[19] = '\0';

    va_list ap;
    va_start(ap, msg);
    if (log_format == ED_LOG_JSON) {
        ed_buf_printf(&line, "{\"level\":\"%s\",\"ts\":\"%s.%03ldZ\",\"msg\":", level_name(level),
                      ts, (long)(tv.tv_usec / 1000));
        ed_buf_append_json_str(&line, msg);
        struct log_pair pairs[LOG_PAIRS];
        size_t n = 0;
        /* An entry of a reconcile that names no controller is about the reconcile's object,
         * as controller-runtime's context logger has it (an API server's warning). */
        const char *first = va_arg(ap, const char *);
        if (log_scope.controller[0] && !has_key(first, ap, "controller")) {
            pairs[n++] = (struct log_pair){"controller", log_scope.controller};
            pairs[n++] = (struct log_pair){"name", log_scope.name};
            if (log_scope.ns[0])
                pairs[n++] = (struct log_pair){"namespace", log_scope.ns};
        }
        for (const char *k = first; k; k = va_arg(ap, const char *)) {
            const char *v = va_arg(ap, const char *);
            if (n < LOG_PAIRS)
                pairs[n++] = (struct log_pair){k, v ? v : ""};
        }
        append_json_pairs(&line, pairs, n);
        ed_buf_append(&line, "}\n", 2);
    } else {
        ed_buf_printf(&line, "%s%s", level == ED_LOG_ERROR ? "✗ " : "", msg);
        for (const char *k; (k = va_arg(ap, const char *));) {
            const char *v = va_arg(ap, const char *);
            k += k[0] == '=';
            ed_buf_printf(&line, " %s=%s", k, ed_log_key_is_secret(k) ? "***" : (v ? v : ""));
        }
        ed_buf_append(&line, "\n", 1);
    }
    va_end(ap);
    /* One write per line keeps lines from different threads whole. A failed write to stderr
     * has nowhere to be reported. */
    ssize_t unused = write(STDERR_FILENO, line.data, line.len);
    (void)unused;
    ed_buf_free(&line);
}
