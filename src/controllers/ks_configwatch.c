/*
 * Flux's watched configuration objects (kustomize-controller's --watch-configs-label-selector,
 * default `reconcile.fluxcd.io/watch=Enabled`): a ConfigMap or Secret carrying that label, when
 * it changes, queues at once every Kustomization of its namespace that reads it: through
 * spec.postBuild.substituteFrom, or (Secrets) spec.kubeConfig.secretRef. Without the label a
 * change is seen at the next reconcile, as with Flux. Another selector replaces that label as
 * Flux's flag does; an empty one watches every ConfigMap and Secret (Flux's selector then
 * matches everything).
 *
 * The two informers (ConfigMaps, Secrets, on that label only) start with the first reconcile,
 * so only the leader runs them; what their first list reports is the starting state, not a
 * change.
 */
#include "ks_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_SELECTOR "reconcile.fluxcd.io/watch=Enabled"

struct ed_ks_config_watch {
    ed_kube *kube;
    ed_informer *ks_cache;
    ed_queue *queue;
    const char *selector; /* borrowed; "" for every object */
    pthread_mutex_t lock; /* guards the start */
    bool started;
    atomic_bool synced; /* the first lists are in: later events are changes */
    ed_informer *configmaps, *secrets;
};

/* True when obj (a Kustomization) reads the kind/name object of its own namespace. */
static bool reads(const ed_node *obj, const char *kind, const char *name)
{
    const ed_node *from = ed_node_path(obj, "/spec/postBuild/substituteFrom");
    for (size_t i = 0; i < ed_node_len(from); i++) {
        const ed_node *ref = ed_node_at(from, i);
        const char *k = ed_node_str(ed_node_get(ref, "kind"));
        const char *n = ed_node_str(ed_node_get(ref, "name"));
        if (k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0)
            return true;
    }
    const char *kc = ed_node_path_str(obj, "/spec/kubeConfig/secretRef/name");
    return strcmp(kind, "Secret") == 0 && kc && strcmp(kc, name) == 0;
}

/* What changed, for reads_changed. */
struct changed_config {
    const char *kind, *name;
};

/* Whether Kustomization ks (in namespace ns) reads the changed object. */
static bool reads_changed(const char *key, const char *ns, const ed_node *ks, void *user)
{
    (void)key;
    const struct changed_config *cc = user;
    if (!reads(ks, cc->kind, cc->name))
        return false;
    ed_log(ED_LOG_INFO, "queued by a watched configuration object", "controller", "kustomization",
           "name", ed_node_path_str(ks, "/metadata/name"), "namespace", ns, "object", cc->name,
           NULL);
    return true;
}

static void on_config(ed_kube_event_type type, const ed_node *cfg, void *user)
{
    (void)type;
    ed_ks_config_watch *w = user;
    if (!atomic_load(&w->synced))
        return;
    const char *kind = ed_node_path_str(cfg, "/kind");
    const char *ns = ed_node_path_str(cfg, "/metadata/namespace");
    const char *name = ed_node_path_str(cfg, "/metadata/name");
    if (!ns || !name)
        return;
    if (!kind) /* watch events of a typed list may lack the kind: tell by the data */
        kind = ed_node_path_str(cfg, "/type") ? "Secret" : "ConfigMap";
    struct changed_config cc = {kind, name};
    ed_ctrl_queue_matching(w->ks_cache, w->queue, ns, reads_changed, &cc);
}

ed_ks_config_watch *ed_ks_config_watch_new(ed_kube *kube, ed_informer *ks_cache, ed_queue *queue,
                                           const char *selector)
{
    ed_ks_config_watch *w = ed_xcalloc(1, sizeof(*w));
    w->kube = kube;
    w->selector = selector ? selector : WATCH_SELECTOR;
    w->ks_cache = ks_cache;
    w->queue = queue;
    pthread_mutex_init(&w->lock, NULL);
    atomic_init(&w->synced, false);
    return w;
}

static ed_informer *start_one(ed_ks_config_watch *w, const char *kind)
{
    ed_informer_opts io = {
        .api_version = "v1", .kind = kind, .label_selector = *w->selector ? w->selector : NULL};
    ed_informer *inf = ed_informer_new(w->kube, &io);
    ed_informer_add_handler(inf, on_config, w);
    ed_err err = ED_ERR_INIT;
    if (ed_informer_start(inf, &err) != 0) {
        ed_log(ED_LOG_ERROR, "watching configuration objects failed", "controller", "kustomization",
               "kind", kind, "error", err.msg, NULL);
        ed_informer_free(inf);
        return NULL;
    }
    return inf;
}

void ed_ks_config_watch_ensure(ed_ks_config_watch *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->started) {
        w->started = true;
        w->configmaps = start_one(w, "ConfigMap");
        w->secrets = start_one(w, "Secret");
        if (w->configmaps)
            ed_informer_wait_synced(w->configmaps, 10000);
        if (w->secrets)
            ed_informer_wait_synced(w->secrets, 10000);
        atomic_store(&w->synced, true);
    }
    pthread_mutex_unlock(&w->lock);
}

void ed_ks_config_watch_stop(ed_ks_config_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    ed_informer_stop(w->configmaps);
    ed_informer_stop(w->secrets);
    pthread_mutex_unlock(&w->lock);
}

void ed_ks_config_watch_end(ed_ks_config_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->started = true; /* no start after the end */
    ed_informer *watches[] = {w->configmaps, w->secrets};
    w->configmaps = w->secrets = NULL;
    pthread_mutex_unlock(&w->lock);
    /* Unlocked: a handler running now does not take the lock, but joining under it would
     * still be needless. */
    for (size_t i = 0; i < 2; i++)
        ed_informer_stop(watches[i]);
    for (size_t i = 0; i < 2; i++)
        ed_informer_free(watches[i]);
}

void ed_ks_config_watch_free(ed_ks_config_watch *w)
{
    if (!w)
        return;
    ed_ks_config_watch_end(w);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
