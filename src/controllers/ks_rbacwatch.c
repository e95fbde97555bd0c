/*
 * The RBAC watch of impersonating Kustomizations. eddy's no-op reconcile (README, "A reconcile
 * with nothing to do costs nothing") sends no dry-run and no write when a Kustomization's
 * objects are those of its last success. For a Kustomization that impersonates a service
 * account (spec.serviceAccountName, or --default-service-account) that success also said that
 * the account was allowed to write them; Flux's kustomize-controller, which dry-runs and applies
 * at every interval, finds out at its next reconcile when that is no longer true (Ready=False
 * with the API's forbidden message). So that eddy finds out too, Roles, RoleBindings,
 * ClusterRoles and ClusterRoleBindings are watched (metadata only: that one changed is all
 * that counts), and every change counts one in an epoch; a memo stored under another epoch does
 * not make an impersonating Kustomization's reconcile a no-op.
 *
 * The four informers start with the first reconcile of an impersonating Kustomization, so a
 * cluster where none impersonates (and any follower) never watches RBAC, and end when the last
 * one no longer does (its reconcile without an account, or its deletion). A start moves the
 * epoch: a memo stored before the watch ended is not trusted after it starts again.
 */
#include "ks_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define RBAC_API "rbac.authorization.k8s.io/v1"

static const char *const rbac_kinds[] = {"Role", "RoleBinding", "ClusterRole",
                                         "ClusterRoleBinding"};
#define NKINDS (sizeof(rbac_kinds) / sizeof(rbac_kinds[0]))

struct ed_ks_rbac_watch {
    ed_kube *kube;
    pthread_mutex_t lock; /* guards the start, the end and the informers */
    bool started, ended;
    /* The keys ("ns/name") of the Kustomizations that impersonate, under a lock of their own:
     * every reconcile of one that does not impersonates asks, and must not wait for a start
     * (taken after lock, never before). */
    pthread_mutex_t users_lock;
    ed_strmap *users;
    atomic_bool synced;         /* the first lists are in: later events are changes */
    atomic_uint_fast64_t epoch; /* events seen, lists included: only equality counts */
    ed_informer *inf[NKINDS];   /* NULL where one could not start */
};

static void on_rbac(ed_kube_event_type type, const ed_node *obj, void *user)
{
    (void)type;
    ed_ks_rbac_watch *w = user;
    /* Every event moves the epoch, those of a first list too: one that came in late (the API
     * refused it at first) must not leave a memo of the meantime, stored without the watch,
     * trusted. */
    atomic_fetch_add(&w->epoch, 1);
    if (!atomic_load(&w->synced))
        return;
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    ed_log(ED_LOG_DEBUG, "RBAC changed, impersonating Kustomizations apply at their next reconcile",
           "controller", "kustomization", "kind", ed_node_path_str(obj, "/kind"), "name",
           ed_node_path_str(obj, "/metadata/name"), "namespace", ns ? ns : "", NULL);
}

ed_ks_rbac_watch *ed_ks_rbac_watch_new(ed_kube *kube)
{
    ed_ks_rbac_watch *w = ed_xcalloc(1, sizeof(*w));
    w->kube = kube;
    w->users = ed_strmap_new();
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->users_lock, NULL);
    atomic_init(&w->synced, false);
    atomic_init(&w->epoch, 0);
    return w;
}

static ed_informer *start_one(ed_ks_rbac_watch *w, const char *kind)
{
    ed_informer_opts io = {
        .api_version = RBAC_API, .kind = kind, .metadata_only = true, .brief = true};
    ed_informer *inf = ed_informer_new(w->kube, &io);
    ed_informer_add_handler(inf, on_rbac, w);
    ed_err err = ED_ERR_INIT;
    if (ed_informer_start(inf, &err) != 0) {
        ed_log(ED_LOG_ERROR, "watching RBAC failed", "controller", "kustomization", "kind", kind,
               "error", err.msg, NULL);
        ed_informer_free(inf);
        return NULL;
    }
    return inf;
}

bool ed_ks_rbac_watch_ensure(ed_ks_rbac_watch *w, const char *key, uint64_t *epoch)
{
    bool ready = true;
    pthread_mutex_lock(&w->users_lock);
    ed_strmap_put(w->users, key, NULL);
    pthread_mutex_unlock(&w->users_lock);
    pthread_mutex_lock(&w->lock);
    if (!w->started && !w->ended) {
        w->started = true;
        atomic_store(&w->synced, false);
        atomic_fetch_add(&w->epoch, 1); /* memos of an earlier watch's time end here */
        for (size_t i = 0; i < NKINDS; i++)
            w->inf[i] = start_one(w, rbac_kinds[i]);
        for (size_t i = 0; i < NKINDS; i++)
            if (w->inf[i] && !ed_informer_wait_synced(w->inf[i], 10000))
                ed_log(ED_LOG_ERROR, "RBAC not listed: impersonating Kustomizations apply in full",
                       "controller", "kustomization", "kind", rbac_kinds[i], NULL);
        atomic_store(&w->synced, true);
        ed_log(ED_LOG_DEBUG, "watching RBAC: a Kustomization impersonates", "controller",
               "kustomization", NULL);
    }
    /* Read before the caller's apply: a change from now on moves it. */
    *epoch = atomic_load(&w->epoch);
    for (size_t i = 0; i < NKINDS && ready; i++)
        ready = w->inf[i] && ed_informer_wait_synced(w->inf[i], 0);
    pthread_mutex_unlock(&w->lock);
    return ready;
}

/* Stop the informers, wait for them, free them; ensure may start new ones. With w->lock held
 * (the handler never takes it). */
static void end_informers(ed_ks_rbac_watch *w)
{
    for (size_t i = 0; i < NKINDS; i++)
        ed_informer_stop(w->inf[i]);
    for (size_t i = 0; i < NKINDS; i++) {
        ed_informer_free(w->inf[i]);
        w->inf[i] = NULL;
    }
    w->started = false;
}

/* True when no Kustomization impersonates. */
static bool no_users(ed_ks_rbac_watch *w)
{
    pthread_mutex_lock(&w->users_lock);
    bool none = ed_strmap_len(w->users) == 0;
    pthread_mutex_unlock(&w->users_lock);
    return none;
}

void ed_ks_rbac_watch_leave(ed_ks_rbac_watch *w, const char *key)
{
    pthread_mutex_lock(&w->users_lock);
    bool was = ed_strmap_has(w->users, key);
    ed_strmap_del(w->users, key);
    bool last = was && ed_strmap_len(w->users) == 0;
    pthread_mutex_unlock(&w->users_lock);
    if (!last)
        return;
    pthread_mutex_lock(&w->lock);
    /* Asked again: one may have come since, and found the informers running. */
    if (w->started && no_users(w)) {
        end_informers(w);
        ed_log(ED_LOG_DEBUG, "RBAC no longer watched: no Kustomization impersonates", "controller",
               "kustomization", NULL);
    }
    pthread_mutex_unlock(&w->lock);
}

void ed_ks_rbac_watch_stop(ed_ks_rbac_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < NKINDS; i++)
        ed_informer_stop(w->inf[i]);
    pthread_mutex_unlock(&w->lock);
}

void ed_ks_rbac_watch_end(ed_ks_rbac_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->ended = true; /* no start after the end */
    end_informers(w);
    pthread_mutex_unlock(&w->lock);
}

void ed_ks_rbac_watch_free(ed_ks_rbac_watch *w)
{
    if (!w)
        return;
    ed_ks_rbac_watch_end(w);
    ed_strmap_free(w->users);
    pthread_mutex_destroy(&w->users_lock);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
