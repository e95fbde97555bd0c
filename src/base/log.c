/*
 * Logging. The agent writes one JSON object a line on stderr with the keys Flux's controllers
 * use (level, ts, msg, controller, controllerGroup, controllerKind, name, namespace,
 * reconcileID, revision, error), so existing log pipelines keep working: an entry with a
 * "controller" gets its group and kind too, once the controller is known
 * (ed_log_controller_kind), and an entry written during a reconcile the id of that reconcile
 * (ed_log_set_reconcile_id, per thread). The CLI uses a plain console format. Values under keys
 * that name secrets are replaced by "***": a token must never reach a log.
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

/* The reconcile this thread runs ("" for none). */
static _Thread_local char log_reconcile_id[64];

void ed_log_set_reconcile_id(const char *id)
{
    snprintf(log_reconcile_id, sizeof(log_reconcile_id), "%s", id ? id : "");
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

void ed_log(ed_log_level level, const char *msg, ...)
{
    if (level < log_min)
        return;
    ed_buf line = ED_BUF_INIT(64 * 1024);
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
        for (const char *k; (k = va_arg(ap, const char *));) {
            const char *v = va_arg(ap, const char *);
            ed_buf_append(&line, ",", 1);
            ed_buf_append_json_str(&line, k);
            ed_buf_append(&line, ":", 1);
            ed_buf_append_json_str(&line, ed_log_key_is_secret(k) ? "***" : (v ? v : ""));
            int c = strcmp(k, "controller") == 0 ? controller_kind(v) : -1;
            if (c >= 0) {
                ed_buf_append_str(&line, ",\"controllerGroup\":");
                ed_buf_append_json_str(&line, log_kinds[c].group);
                ed_buf_append_str(&line, ",\"controllerKind\":");
                ed_buf_append_json_str(&line, log_kinds[c].kind);
            }
        }
        if (log_reconcile_id[0]) {
            ed_buf_append_str(&line, ",\"reconcileID\":");
            ed_buf_append_json_str(&line, log_reconcile_id);
        }
        ed_buf_append(&line, "}\n", 2);
    } else {
        ed_buf_printf(&line, "%s%s", level == ED_LOG_ERROR ? "✗ " : "", msg);
        for (const char *k; (k = va_arg(ap, const char *));) {
            const char *v = va_arg(ap, const char *);
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
