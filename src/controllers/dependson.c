/*
 * spec.dependsOn of a Kustomization, with Flux's readiness rule (kustomize-controller's
 * checkDependencies): each dependency (namespace defaulting to the dependent's) must exist,
 * have conditions, have observedGeneration equal to its generation and Ready=True; and when
 * it uses the same source as the dependent, its lastAppliedRevision must be the source's
 * current revision. A dependency with a `readyExpr` (CEL, variables `self` and `dep`) is ready
 * when the expression holds instead. Otherwise the dependent is Ready=False/DependencyNotReady
 * and is requeued after --requeue-dependency; an expression that does not compile stalls it.
 *
 * A dependency that becomes ready queues its dependents at once (eddy does not wait for the
 * requeue): a dependent registers as waiting on its dependencies while it checks them (and
 * stays registered while one is not ready); the Kustomization informer's handler queues the
 * waiters of a Kustomization that is Ready, a lookup, not a scan of every Kustomization.
 */
#include "ks_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* sourceRef of obj as kind, name and namespace (defaulting to obj's). */
static void source_of(const ed_node *obj, const char **kind, const char **name, const char **ns)
{
    *kind = ed_node_path_str(obj, "/spec/sourceRef/kind");
    *name = ed_node_path_str(obj, "/spec/sourceRef/name");
    *ns = ed_node_path_str(obj, "/spec/sourceRef/namespace");
    if (!*ns)
        *ns = ed_node_path_str(obj, "/metadata/namespace");
}

static bool same_str(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool same_source(const ed_node *a, const ed_node *b)
{
    const char *ak, *an, *ans, *bk, *bn, *bns;
    source_of(a, &ak, &an, &ans);
    source_of(b, &bk, &bn, &bns);
    return same_str(ak, bk) && same_str(an, bn) && same_str(ans, bns);
}

/* dependsOn[].readyExpr on dep (key: its "namespace/name"), with the variables self (obj) and
 * dep, as Flux's evalReadyExpr: an expression that does not compile (cel-go's parse and check,
 * with self and dep declared and a bool result) is a configuration error (ED_EINVALID, reason
 * InvalidCELExpression: terminal); an evaluation error or false is a dependency not ready
 * yet. */
static int ready_expr(const ed_node *obj, const ed_node *dep, const char *key, const char *expr,
                      ed_err *err)
{
    static const char *const declared[] = {"self", "dep"};
    ed_cel *cel = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_cel_parse(expr, &cel, &perr) != 0 || ed_cel_check(cel, declared, 2, true, &perr) != 0) {
        ed_cel_free(cel);
        int rc = ed_err_set(err, ED_EINVALID, "failed to evaluate dependency %s: %s",
                            strrchr(key, '/') + 1, perr.msg);
        ed_err_set_reason(err, "InvalidCELExpression");
        return rc;
    }
    ed_doc *vars = ed_doc_new();
    ed_node *m = ed_node_new_map(vars);
    ed_doc_set_root(vars, m);
    ed_node_set(vars, m, "self", ed_node_copy(vars, obj));
    ed_node_set(vars, m, "dep", ed_node_copy(vars, dep));
    bool ready = false;
    int rc = ed_cel_eval_bool(cel, m, &ready, err);
    ed_doc_free(vars);
    ed_cel_free(cel);
    if (rc) { /* not ready yet: the message is CEL's */
        err->code = ED_ERETRY;
        return ED_ERETRY;
    }
    if (!ready)
        return ed_err_set(err, ED_ERETRY,
                          "dependency '%s' is not ready according to readyExpr eval", key);
    return 0;
}

int ed_ks_dependency_check(const ed_node *obj, const ed_node *dep, const char *key,
                           const char *source_revision, const char *expr, ed_err *err)
{
    if (!dep)
        return ed_err_set(err, ED_ENOTFOUND,
                          "dependency '%s' not found: kustomizations.kustomize.toolkit.fluxcd.io "
                          "\"%s\" not found",
                          key, strrchr(key, '/') + 1);
    /* With readyExpr, the expression alone decides (Flux, without its
     * AdditiveCELDependencyCheck feature gate). */
    if (expr && *expr)
        return ready_expr(obj, dep, key, expr, err);
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(dep, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(dep, "/status/observedGeneration"), &observed);
    const ed_node *conds = ed_node_path(dep, "/status/conditions");
    if (ed_node_len(conds) == 0 || gen != observed)
        return ed_err_set(err, ED_ERETRY, "dependency '%s' is not ready", key);
    const char *ready = ed_cond_status(conds, "Ready");
    if (!ready || strcmp(ready, "True") != 0)
        return ed_err_set(err, ED_ERETRY, "dependency '%s' is not ready", key);
    const char *applied = ed_node_path_str(dep, "/status/lastAppliedRevision");
    if (source_revision && same_source(obj, dep) && !same_str(applied, source_revision))
        return ed_err_set(err, ED_ERETRY, "dependency '%s' revision is not up to date", key);
    return 0;
}

/* ---- waiting dependents ---- */

struct ed_ks_deps {
    ed_informer *cache;
    ed_queue *queue;
    pthread_mutex_t lock;
    ed_strmap *waiters; /* dependency key -> ed_strmap of dependent keys (values unused) */
};

ed_ks_deps *ed_ks_deps_new(ed_informer *cache, ed_queue *queue)
{
    ed_ks_deps *d = ed_xcalloc(1, sizeof(*d));
    d->cache = cache;
    d->queue = queue;
    pthread_mutex_init(&d->lock, NULL);
    d->waiters = ed_strmap_new();
    return d;
}

void ed_ks_deps_free(ed_ks_deps *d)
{
    if (!d)
        return;
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(d->waiters, &pos, &k, &v))
        ed_strmap_free(v);
    ed_strmap_free(d->waiters);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* Register (or, with wait false, unregister) dependent as waiting for dep. */
static void set_waiting(ed_ks_deps *d, const char *dep, const char *dependent, bool wait)
{
    pthread_mutex_lock(&d->lock);
    ed_strmap *set = ed_strmap_get(d->waiters, dep);
    if (wait) {
        if (!set) {
            set = ed_strmap_new();
            ed_strmap_put(d->waiters, dep, set);
        }
        ed_strmap_put(set, dependent, set); /* any non-NULL value marks membership */
    } else if (set) {
        ed_strmap_del(set, dependent);
        if (ed_strmap_len(set) == 0)
            ed_strmap_free(ed_strmap_del(d->waiters, dep));
    }
    pthread_mutex_unlock(&d->lock);
}

/* The "namespace/name" of dependency i of obj, malloc'd; NULL when it has no name. */
static char *dep_key(const ed_node *obj, size_t i)
{
    const ed_node *dep = ed_node_at(ed_node_path(obj, "/spec/dependsOn"), i);
    const char *name = ed_node_str(ed_node_get(dep, "name"));
    const char *dns = ed_node_str(ed_node_get(dep, "namespace"));
    if (!dns || !*dns)
        dns = ed_node_path_str(obj, "/metadata/namespace");
    return name ? ed_xasprintf("%s/%s", dns ? dns : "", name) : NULL;
}

int ed_ks_dependencies_ready(ed_ks_deps *d, const ed_node *obj, const char *source_revision,
                             ed_err *err)
{
    size_t n = ed_node_len(ed_node_path(obj, "/spec/dependsOn"));
    char *self = ed_xasprintf("%s/%s", ed_node_path_str(obj, "/metadata/namespace"),
                              ed_node_path_str(obj, "/metadata/name"));
    /* Wait on every dependency before reading them, so that one becoming ready right after
     * the read still queues us; let go of them all when they are ready. */
    for (size_t i = 0; i < n; i++) {
        char *key = dep_key(obj, i);
        if (key)
            set_waiting(d, key, self, true);
        free(key);
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *key = dep_key(obj, i);
        if (!key) {
            rc = ed_err_set(err, ED_EINVALID, "spec.dependsOn[%zu].name is required", i);
            break;
        }
        char dns[256];
        const char *dname = ed_key_split(key, dns, sizeof(dns));
        ed_doc *dep = ed_informer_get(d->cache, dns, dname);
        const char *expr = ed_node_str(
            ed_node_get(ed_node_at(ed_node_path(obj, "/spec/dependsOn"), i), "readyExpr"));
        rc = ed_ks_dependency_check(obj, dep ? ed_doc_root(dep) : NULL, key, source_revision, expr,
                                    err);
        ed_doc_free(dep);
        free(key);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        char *key = dep_key(obj, i);
        if (key)
            set_waiting(d, key, self, false);
        free(key);
    }
    free(self);
    return rc;
}

void ed_ks_queue_dependents(ed_ks_deps *d, const ed_node *changed)
{
    const char *ready = ed_cond_status(ed_node_path(changed, "/status/conditions"), "Ready");
    if (!ready || strcmp(ready, "True") != 0)
        return; /* only a dependency that is ready can unblock anything */
    const char *ns = ed_node_path_str(changed, "/metadata/namespace");
    const char *name = ed_node_path_str(changed, "/metadata/name");
    if (!ns || !name)
        return;
    char *key = ed_xasprintf("%s/%s", ns, name);
    pthread_mutex_lock(&d->lock);
    ed_strmap *set = ed_strmap_del(d->waiters, key);
    pthread_mutex_unlock(&d->lock);
    size_t pos = 0;
    const char *dependent;
    void *v;
    while (set && ed_strmap_next(set, &pos, &dependent, &v)) {
        ed_log(ED_LOG_DEBUG, "queued by its dependency", "controller", "kustomization", "dependent",
               dependent, "dependency", key, NULL);
        ed_queue_add(d->queue, dependent);
    }
    ed_strmap_free(set);
    free(key);
}
