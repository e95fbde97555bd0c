/*
 * The controller manager (see runtime.h). Informers are shared by kind; each registered
 * controller adds a handler to its kind's informer that queues "namespace/name" on every add,
 * change and delete, and a worker pool that reconciles from its queue. The reconcile function
 * is wrapped to record Flux's and controller-runtime's metrics, and to add Flux's +/-5% jitter
 * to requeue intervals.
 */
#include "runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct controller {
    ed_manager *m;
    ed_controller_def def;
    char *name, *kind;
    ed_queue *queue;
    ed_workers *workers;
    pthread_mutex_t seen_lock;
    ed_strmap *seen; /* key -> "generation|requestedAt" last queued for (owned strings) */
};

struct shared_informer {
    char *api_version, *kind;
    bool every; /* all objects of the kind, not only the shard's */
    ed_informer *inf;
};

struct ed_manager {
    ed_kube *kube;
    char *ns, *label_selector;
    const ed_label_selector *shard;
    ed_metrics *metrics;
    ed_queue_opts queue_opts; /* of every controller's queue */
    int jitter_percent;
    struct controller **controllers;
    size_t ncontrollers;
    struct shared_informer *informers;
    size_t ninformers;
    bool started;
};

ed_manager *ed_manager_new(ed_kube *kube, const ed_manager_opts *opts)
{
    ed_manager *m = ed_xcalloc(1, sizeof(*m));
    m->kube = kube;
    if (opts && opts->ns && *opts->ns)
        m->ns = ed_xstrdup(opts->ns);
    if (opts && opts->label_selector && *opts->label_selector)
        m->label_selector = ed_xstrdup(opts->label_selector);
    m->shard = opts ? opts->shard : NULL;
    m->metrics = opts ? opts->metrics : NULL;
    if (opts) {
        m->queue_opts.base_delay_ms = opts->min_retry_delay_ms;
        m->queue_opts.max_delay_ms = opts->max_retry_delay_ms;
    }
    m->jitter_percent = !opts || opts->jitter_percent == 0 ? 5
                        : opts->jitter_percent < 0         ? 0
                                                           : opts->jitter_percent;
    if (m->metrics) {
        ed_metrics_describe(m->metrics, "gotk_reconcile_duration_seconds", ED_METRIC_HISTOGRAM,
                            "The duration in seconds of a GitOps Toolkit resource "
                            "reconciliation.");
        ed_metrics_describe(m->metrics, "controller_runtime_reconcile_total", ED_METRIC_COUNTER,
                            "Total number of reconciliations per controller");
        ed_metrics_describe(m->metrics, "gotk_reconcile_condition", ED_METRIC_GAUGE,
                            "The current condition status of a GitOps Toolkit resource "
                            "reconciliation.");
        ed_metrics_describe(m->metrics, "gotk_suspend_status", ED_METRIC_GAUGE,
                            "The current suspend status of a GitOps Toolkit resource.");
    }
    return m;
}

/* The shared informer of a kind, of the shard's objects or (every) of all. */
static ed_informer *informer_for(ed_manager *m, const char *api_version, const char *kind,
                                 bool every)
{
    every = every && m->label_selector; /* without a shard, one informer serves both */
    for (size_t i = 0; i < m->ninformers; i++)
        if (strcmp(m->informers[i].api_version, api_version) == 0 &&
            strcmp(m->informers[i].kind, kind) == 0 && m->informers[i].every == every)
            return m->informers[i].inf;
    ED_ASSERT(!m->started);
    ed_informer_opts o = {.api_version = api_version,
                          .kind = kind,
                          .ns = m->ns,
                          .label_selector = every ? NULL : m->label_selector};
    m->informers = ed_xrealloc(m->informers, (m->ninformers + 1) * sizeof(*m->informers));
    struct shared_informer *s = &m->informers[m->ninformers++];
    s->api_version = ed_xstrdup(api_version);
    s->kind = ed_xstrdup(kind);
    s->every = every;
    s->inf = ed_informer_new(m->kube, &o);
    return s->inf;
}

ed_informer *ed_manager_informer(ed_manager *m, const char *api_version, const char *kind)
{
    return informer_for(m, api_version, kind, false);
}

ed_informer *ed_manager_informer_all(ed_manager *m, const char *api_version, const char *kind)
{
    return informer_for(m, api_version, kind, true);
}

/* Every change of an object queues its key. */
static void enqueue(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct controller *c = user;
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    if (!name)
        return;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
    if (c->def.generation_changed_only) {
        int64_t gen = 0;
        ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
        const char *req = ed_node_str(ed_node_get(ed_node_path(obj, "/metadata/annotations"),
                                                  "reconcile.fluxcd.io/requestedAt"));
        char *mark = ed_xasprintf("%lld|%s", (long long)gen, req ? req : "");
        pthread_mutex_lock(&c->seen_lock);
        bool same = false;
        if (type == ED_KUBE_DELETED) {
            free(ed_strmap_del(c->seen, key));
        } else {
            const char *prev = ed_strmap_get(c->seen, key);
            same = prev && strcmp(prev, mark) == 0;
            if (!same) {
                free(ed_strmap_put(c->seen, key, mark));
                mark = NULL;
            }
        }
        pthread_mutex_unlock(&c->seen_lock);
        free(mark);
        if (same)
            return;
    }
    ed_log(ED_LOG_DEBUG, "queued by a change", "controller", c->name, "object", key, NULL);
    ed_queue_add(c->queue, key);
}

/* The reconcile, timed and counted. */
static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    struct controller *c = user;
    int64_t t0 = ed_time_mono_ms();
    char id[37];
    ed_uuid4(id);
    ed_log_set_reconcile_id(id); /* in every entry of this reconcile's thread */
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_log_set_reconcile_object(c->name, ns[0] ? ns : NULL, name);
    int rc = c->def.reconcile(key, requeue_after_ms, c->def.user);
    ed_log_set_reconcile_id(NULL);
    /* Flux's --interval-jitter-percentage (default 5): spread requeues by +/-5% so that
     * objects with the same interval do not all come due at once. */
    if (rc == 0 && *requeue_after_ms > 0 && c->m->jitter_percent > 0) {
        unsigned seed = (unsigned)ed_time_mono_ms() ^ (unsigned)(uintptr_t)key;
        double r = (double)rand_r(&seed) / (double)RAND_MAX; /* 0..1 */
        double spread = (double)c->m->jitter_percent / 100.0;
        *requeue_after_ms += (int64_t)((double)*requeue_after_ms * spread * (2.0 * r - 1.0));
    }
    double secs = (double)(ed_time_mono_ms() - t0) / 1000.0;
    ed_metrics *mx = c->m->metrics;
    if (mx) {
        ed_buf labels = ED_BUF_INIT(1024);
        ed_metrics_labels(&labels, "kind", c->kind, "name", name, "namespace", ns, NULL);
        ed_metrics_observe(mx, "gotk_reconcile_duration_seconds", labels.data, secs);
        ed_buf_reset(&labels);
        ed_metrics_labels(&labels, "controller", c->name, "result",
                          rc ? "error" : (*requeue_after_ms > 0 ? "requeue_after" : "success"),
                          NULL);
        ed_metrics_counter_add(mx, "controller_runtime_reconcile_total", labels.data, 1);
        ed_buf_free(&labels);
    }
    return rc;
}

void ed_manager_add(ed_manager *m, const ed_controller_def *def)
{
    ED_ASSERT(!m->started);
    struct controller *c = ed_xcalloc(1, sizeof(*c));
    c->m = m;
    c->def = *def;
    c->name = ed_xstrdup(def->name);
    c->kind = ed_xstrdup(def->kind);
    c->def.name = c->name;
    c->def.kind = c->kind;
    /* Its entries in the log name the group and kind, as Flux's do. */
    const char *slash = strchr(def->api_version, '/');
    char *group =
        slash ? ed_xstrndup(def->api_version, (size_t)(slash - def->api_version)) : ed_xstrdup("");
    ed_log_controller_kind(def->name, group, def->kind);
    free(group);
    c->def.api_version = NULL; /* only needed here, for the informer */
    c->queue = ed_queue_new(&m->queue_opts);
    pthread_mutex_init(&c->seen_lock, NULL);
    c->seen = ed_strmap_new();
    ed_informer_add_handler(ed_manager_informer(m, def->api_version, def->kind), enqueue, c);
    m->controllers =
        ed_xrealloc(m->controllers, (m->ncontrollers + 1) * sizeof(struct controller *));
    m->controllers[m->ncontrollers++] = c;
}

const ed_label_selector *ed_manager_shard(ed_manager *m)
{
    return m->shard;
}

ed_metrics *ed_manager_metrics(ed_manager *m)
{
    return m->metrics;
}

ed_queue *ed_manager_queue(ed_manager *m, const char *controller)
{
    for (size_t i = 0; i < m->ncontrollers; i++)
        if (strcmp(m->controllers[i]->name, controller) == 0)
            return m->controllers[i]->queue;
    return NULL;
}

/* The gate of the client's posted Events: closed while a reconcile waits for a worker. */
static bool reconciles_waiting(void *user)
{
    ed_manager *m = user;
    for (size_t i = 0; i < m->ncontrollers; i++)
        if (ed_queue_len(m->controllers[i]->queue) > 0)
            return true;
    return false;
}

int ed_manager_start(ed_manager *m, int64_t timeout_ms, ed_err *err)
{
    ED_ASSERT(!m->started);
    m->started = true;
    ed_kube_set_event_gate(m->kube, reconciles_waiting, m);
    for (size_t i = 0; i < m->ninformers; i++) {
        int rc = ed_informer_start(m->informers[i].inf, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < m->ninformers; i++)
        if (!ed_informer_wait_synced(m->informers[i].inf, timeout_ms))
            return ed_err_set(err, ED_ETIMEOUT, "timed out waiting for the %s cache to sync",
                              m->informers[i].kind);
    for (size_t i = 0; i < m->ncontrollers; i++) {
        struct controller *c = m->controllers[i];
        c->workers =
            ed_workers_start(c->queue, c->def.workers > 0 ? c->def.workers : 4, reconcile, c);
    }
    return 0;
}

bool ed_manager_free(ed_manager *m, int64_t deadline_ms)
{
    if (!m)
        return true;
    ed_kube_set_event_gate(m->kube, NULL, NULL);
    /* The watches end meanwhile (reconciles in flight still read the caches). */
    for (size_t i = 0; i < m->ninformers; i++)
        ed_informer_stop(m->informers[i].inf);
    bool all_done = true;
    for (size_t i = 0; i < m->ncontrollers; i++)
        if (m->controllers[i]->workers && !ed_workers_stop(m->controllers[i]->workers, deadline_ms))
            all_done = false;
        else if (!m->controllers[i]->workers)
            ed_queue_shutdown(m->controllers[i]->queue);
    /* A worker still busy past the deadline may read any of it: the process is exiting, and
     * freeing under it would be worse than leaving it. */
    if (!all_done)
        return false;
    /* The controllers' own watches may read the caches and feed the queues: they end first. */
    for (size_t i = 0; i < m->ncontrollers; i++)
        if (m->controllers[i]->def.stop)
            m->controllers[i]->def.stop(m->controllers[i]->def.user);
    for (size_t i = 0; i < m->ninformers; i++) {
        ed_informer_free(m->informers[i].inf);
        free(m->informers[i].api_version);
        free(m->informers[i].kind);
    }
    free(m->informers);
    for (size_t i = 0; i < m->ncontrollers; i++) {
        struct controller *c = m->controllers[i];
        size_t pos = 0;
        const char *k;
        void *v;
        while (ed_strmap_next(c->seen, &pos, &k, &v))
            free(v);
        ed_strmap_free(c->seen);
        pthread_mutex_destroy(&c->seen_lock);
        ed_queue_free(c->queue);
        free(c->name);
        free(c->kind);
        free(c);
    }
    free(m->controllers);
    free(m->ns);
    free(m->label_selector);
    free(m);
    return true;
}
