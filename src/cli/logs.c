/*
 * `eddy logs`, as flux has it: the agent's log, read through the API server from the Pods of
 * the eddy Deployment (label app=eddy, container manager) in --flux-namespace, one entry a
 * line:
 *
 *   2026-11-28T22:22:03.440Z info Kustomization/apps.flux-system - Reconciliation finished in 1.2s,
 *   next run in 10m0s (and a space, then the entry's error, if any)
 *
 * The agent logs JSON (level, ts, msg, controllerKind, name, namespace, error: base/log.c), as
 * Flux's controllers, and the lines are read as flux reads them. Entries about objects in -n's
 * namespace are shown (all of them, and the agent's own, with -A); --kind, --name and --level
 * narrow them; --tail takes the last lines of each Pod; --since and --since-time are asked of the
 * API server and checked again here against each entry's time; -f follows the log until interrupted
 * (or
 * --timeout).
 */
#include "cli_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The Kind a controller's log name stands for ("kustomization" -> Kustomization). */
static const char *kind_of_controller(const char *controller)
{
    for (size_t i = 0; controller && ed_cli_kinds[i]; i++)
        if (strcasecmp(ed_cli_kinds[i]->kind, controller) == 0)
            return ed_cli_kinds[i]->kind;
    return NULL;
}

int ed_cli_log_format(const char *line, size_t len, const ed_cli_log_filter *f, ed_buf *out)
{
    ed_doc *d = NULL;
    if (len == 0 || line[0] != '{' || ed_doc_parse_api_json(line, len, &d, NULL) != 0) {
        /* Not an entry of the agent (a crash's output, the console format): shown as it is
         * when nothing narrows the view. */
        if (!f->all_namespaces || f->kind || f->name || f->level || f->since > 0)
            return 0;
        ed_buf_append(out, line, len);
        ed_buf_append(out, "\n", 1);
        return 1;
    }
    const ed_node *e = ed_doc_root(d);
    const char *ts = ed_node_str(ed_node_get(e, "ts"));
    const char *level = ed_node_str(ed_node_get(e, "level"));
    const char *msg = ed_node_str(ed_node_get(e, "msg"));
    const char *name = ed_node_str(ed_node_get(e, "name"));
    const char *ns = ed_node_str(ed_node_get(e, "namespace"));
    const char *error = ed_node_str(ed_node_get(e, "error"));
    /* The kind as flux reads it: "reconciler kind", else controllerKind. (The agent's own debug
     * entries name their object "namespace/name" under "object": like flux, no kind, name or
     * namespace is read from it, so they show only with -A.) */
    const char *rkind = ed_node_str(ed_node_get(e, "reconciler kind"));
    const char *ckind = ed_node_str(ed_node_get(e, "controllerKind"));
    const char *kind = rkind && *rkind ? rkind : ckind;
    bool shown = true;
    if (f->level && (!level || strcasecmp(level, f->level) != 0))
        shown = false;
    if (f->kind && !(rkind && strcasecmp(rkind, f->kind) == 0) &&
        !(ckind && strcasecmp(ckind, f->kind) == 0))
        shown = false;
    if (f->name && (!name || strcasecmp(name, f->name) != 0))
        shown = false;
    if (!f->all_namespaces && (!ns || strcasecmp(ns, f->ns) != 0))
        shown = false;
    if (f->since > 0) {
        time_t t = ts ? ed_time_parse_rfc3339(ts) : (time_t)-1;
        if (t == (time_t)-1 || t < f->since)
            shown = false;
    }
    if (shown) {
        /* flux's line: "TS LEVEL KIND[/NAME.NAMESPACE] - MSG ERROR", each part empty when the
         * entry lacks it (so a line without an error ends in a space, as flux's). */
        ed_buf_printf(out, "%s %s %s", ts ? ts : "", level ? level : "", kind ? kind : "");
        if (name && *name)
            ed_buf_printf(out, "/%s.%s", name, ns ? ns : "");
        ed_buf_printf(out, " - %s %s\n", msg ? msg : "", error ? error : "");
    }
    ed_doc_free(d);
    return shown ? 1 : 0;
}

struct logs_opts {
    ed_cli_global g;
    ed_cli_log_filter f;
    const char *flux_ns;
    const char *tail;     /* --tail N, as given */
    int64_t since_ms;     /* --since D */
    const char *since_at; /* --since-time T */
    bool follow;
};

/* One Pod's log, read on a thread of its own when following several. */
struct pod_log {
    ed_kube *kube;
    const struct logs_opts *o;
    char *path;
    pthread_mutex_t *print; /* one entry at a time on stdout */
    int rc;
    ed_err err;
};

static int on_line(const char *line, size_t len, void *user)
{
    struct pod_log *p = user;
    ed_buf out = ED_BUF_INIT((size_t)16 << 20);
    if (ed_cli_log_format(line, len, &p->o->f, &out)) {
        pthread_mutex_lock(p->print);
        fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        pthread_mutex_unlock(p->print);
    }
    ed_buf_free(&out);
    return 0;
}

static void *read_log(void *arg)
{
    struct pod_log *p = arg;
    p->rc = ed_kube_stream(p->kube, p->path, p->o->g.timeout_ms, NULL, on_line, p, &p->err);
    return NULL;
}

/* The log path of one Pod, with the query the flags ask for. */
static char *log_path(const struct logs_opts *o, const char *pod, int64_t tail)
{
    ed_buf b = ED_BUF_INIT(64 * 1024);
    /* (Names of namespaces and Pods are DNS labels: nothing to escape.) */
    ed_buf_printf(&b, "/api/v1/namespaces/%s/pods/%s/log?container=manager", o->flux_ns, pod);
    if (o->follow)
        ed_buf_append_str(&b, "&follow=true");
    if (tail >= 0)
        ed_buf_printf(&b, "&tailLines=%lld", (long long)tail);
    if (o->since_ms > 0)
        ed_buf_printf(&b, "&sinceSeconds=%lld", (long long)((o->since_ms + 999) / 1000));
    if (o->since_at) { /* in UTC ("Z"): no "+" to escape */
        char t[32];
        ed_time_rfc3339(o->f.since, t);
        ed_buf_printf(&b, "&sinceTime=%s", t);
    }
    return ed_buf_take(&b);
}

static int read_logs(ed_kube *kube, const struct logs_opts *o, int64_t tail)
{
    ed_kube_opts lo = {.label_selector = "app=eddy"};
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_list(kube, "v1", "Pod", o->flux_ns, &lo, &list, &err) != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    const ed_node *items = ed_node_get(ed_doc_root(list), "items");
    size_t n = ed_node_len(items);
    if (n == 0) {
        ed_cli_failure("no eddy Pods (label app=eddy) in namespace %s: is eddy installed there? "
                       "(eddy check -n %s; --flux-namespace NS names another)",
                       o->flux_ns, o->flux_ns);
        ed_doc_free(list);
        return 1;
    }
    pthread_mutex_t print = PTHREAD_MUTEX_INITIALIZER;
    struct pod_log *logs = ed_xcalloc(n, sizeof(*logs));
    pthread_t *threads = ed_xcalloc(n, sizeof(*threads));
    bool *started = ed_xcalloc(n, sizeof(*started));
    for (size_t i = 0; i < n; i++) {
        const char *pod = ed_node_path_str(ed_node_at(items, i), "/metadata/name");
        logs[i] = (struct pod_log){.kube = kube,
                                   .o = o,
                                   .path = log_path(o, pod ? pod : "", tail),
                                   .print = &print,
                                   .err = ED_ERR_INIT};
        /* Followed logs run side by side; the others one after the other. */
        if (o->follow && n > 1)
            started[i] = pthread_create(&threads[i], NULL, read_log, &logs[i]) == 0;
        if (!started[i])
            read_log(&logs[i]);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        /* Following until --timeout ends in a timeout: that is the end asked for. */
        if (logs[i].rc && !(o->follow && logs[i].rc == ED_ETIMEOUT)) {
            ed_cli_api_failure(&logs[i].err);
            rc = 1;
        }
        free(logs[i].path);
    }
    free(started);
    free(threads);
    free(logs);
    ed_doc_free(list);
    return rc;
}

int ed_cli_logs(int argc, char **argv)
{
    struct logs_opts o = {.g = ED_CLI_GLOBAL_INIT, .flux_ns = "flux-system"};
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &o.f.all_namespaces},
        {"follow", 'f', ED_CLI_FLAG_BOOL, &o.follow},
        {"kind", 0, ED_CLI_FLAG_STR, &o.f.kind},
        {"name", 0, ED_CLI_FLAG_STR, &o.f.name},
        {"level", 0, ED_CLI_FLAG_STR, &o.f.level},
        {"flux-namespace", 0, ED_CLI_FLAG_STR, &o.flux_ns},
        {"tail", 0, ED_CLI_FLAG_STR, &o.tail},
        {"since", 0, ED_CLI_FLAG_DURATION, &o.since_ms},
        {"since-time", 0, ED_CLI_FLAG_STR, &o.since_at},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &o.g, pos, &npos);
    free(pos);
    if (!rc && npos) {
        ed_cli_failure("no argument required"); /* flux logs' words */
        rc = 2;
    }
    if (rc)
        return rc;
    /* A followed log goes on until interrupted unless --timeout says otherwise (a year); a
     * plain read is bounded by the usual 5 minutes. */
    if (o.follow && !o.g.timeout_set)
        o.g.timeout_ms = (int64_t)366 * 24 * 3600 * 1000;
    o.f.ns = o.g.ns;
    /* It goes into the log's path: a namespace's name (a DNS label) or nothing. */
    size_t nlen = strlen(o.flux_ns);
    if (nlen == 0 || nlen > 63 ||
        strspn(o.flux_ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != nlen || o.flux_ns[0] == '-' ||
        o.flux_ns[nlen - 1] == '-') {
        ed_cli_failure("--flux-namespace %s: expected the name of a namespace", o.flux_ns);
        return 2;
    }
    int64_t tail = -1;
    if (o.tail) {
        /* pflag's Int64Var: strconv.ParseInt(s, 0, 64); as in flux, any value below 0 is all */
        char *end = NULL;
        errno = 0;
        long long v = strtoll(o.tail, &end, 0);
        if (!*o.tail || *end || strchr(" \t\n\r\v\f", *o.tail) || errno) {
            char *q = ed_cli_quoted(o.tail);
            ed_cli_invalid_argument(o.tail, "--tail", "strconv.ParseInt: parsing %s: %s", q,
                                    errno == ERANGE ? "value out of range" : "invalid syntax");
            free(q);
            return 2;
        }
        tail = v < 0 ? -1 : v;
    }
    if (o.f.level && strcmp(o.f.level, "debug") != 0 && strcmp(o.f.level, "info") != 0 &&
        strcmp(o.f.level, "error") != 0) {
        ed_cli_invalid_argument(o.f.level, "--level",
                                "unsupported log level '%s', must be one of: debug, info, error",
                                o.f.level);
        return 2;
    }
    if (o.f.kind && !kind_of_controller(o.f.kind)) {
        ed_cli_failure("--kind %s: expected a kind eddy serves (GitRepository, Kustomization, "
                       "ImageRepository, ImagePolicy, ImageUpdateAutomation)",
                       o.f.kind);
        return 2;
    }
    if (o.since_ms > 0 && o.since_at) {
        ed_cli_failure("--since and --since-time: give only one");
        return 2;
    }
    if (o.since_at) {
        o.f.since = ed_time_parse_rfc3339(o.since_at);
        if (o.f.since == (time_t)-1) {
            ed_cli_failure("--since-time %s: expected an RFC 3339 time, such as "
                           "2026-01-02T15:04:05Z",
                           o.since_at);
            return 2;
        }
    } else if (o.since_ms > 0) {
        o.f.since = time(NULL) - (time_t)(o.since_ms / 1000);
    }
    ed_kube *kube = ed_cli_connect_rest(&o.g, true);
    if (!kube)
        return 1;
    rc = read_logs(kube, &o, tail);
    ed_kube_free(kube);
    return rc;
}
