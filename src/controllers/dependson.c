/*
 * spec.dependsOn of a Kustomization, with Flux's readiness rule (kustomize-controller's
 * checkDependencies): each dependency (namespace defaulting to the dependent's) must exist,
 * have conditions, have observedGeneration equal to its generation and Ready=True; and when
 * it uses the same source as the dependent, its lastAppliedRevision must be the source's
 * current revision. Otherwise the dependent is Ready=False/DependencyNotReady and is requeued
 * after --requeue-dependency.
 *
 * A dependency that becomes ready queues its dependents at once (eddy does not wait for the
 * requeue): the Kustomization informer's handler looks for Kustomizations that list it.
 */
#include "ks_int.h"

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

/* Flux's rule for one dependency dep of obj; 0 when ready, else err holds Flux's message. */
static int check_one(const ed_node *obj, const ed_node *dep, const char *key,
                     const char *source_revision, ed_err *err)
{
    if (!dep)
        return ed_err_set(err, ED_ENOTFOUND,
                          "dependency '%s' not found: kustomizations.kustomize.toolkit.fluxcd.io "
                          "\"%s\" not found",
                          key, strrchr(key, '/') + 1);
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

int ed_ks_dependencies_ready(ed_informer *cache, const ed_node *obj, const char *source_revision,
                             ed_err *err)
{
    const ed_node *deps = ed_node_path(obj, "/spec/dependsOn");
    const char *own_ns = ed_node_path_str(obj, "/metadata/namespace");
    for (size_t i = 0; i < ed_node_len(deps); i++) {
        const ed_node *d = ed_node_at(deps, i);
        const char *name = ed_node_str(ed_node_get(d, "name"));
        const char *dns = ed_node_str(ed_node_get(d, "namespace"));
        if (!name)
            return ed_err_set(err, ED_EINVALID, "spec.dependsOn[%zu].name is required", i);
        if (!dns || !*dns)
            dns = own_ns;
        char *key = ed_xasprintf("%s/%s", dns, name);
        ed_doc *dep = ed_informer_get(cache, dns, name);
        int rc = check_one(obj, dep ? ed_doc_root(dep) : NULL, key, source_revision, err);
        ed_doc_free(dep);
        free(key);
        if (rc)
            return rc;
    }
    return 0;
}

/* True when obj lists ns/name in spec.dependsOn. */
static bool depends_on(const ed_node *obj, const char *ns, const char *name)
{
    const ed_node *deps = ed_node_path(obj, "/spec/dependsOn");
    const char *own_ns = ed_node_path_str(obj, "/metadata/namespace");
    for (size_t i = 0; i < ed_node_len(deps); i++) {
        const ed_node *d = ed_node_at(deps, i);
        const char *dns = ed_node_str(ed_node_get(d, "namespace"));
        if (!dns || !*dns)
            dns = own_ns;
        if (same_str(ed_node_str(ed_node_get(d, "name")), name) && same_str(dns, ns))
            return true;
    }
    return false;
}

void ed_ks_queue_dependents(ed_informer *cache, ed_queue *queue, const ed_node *changed)
{
    const char *ready = ed_cond_status(ed_node_path(changed, "/status/conditions"), "Ready");
    if (!ready || strcmp(ready, "True") != 0)
        return; /* only a dependency that is ready can unblock anything */
    const char *ns = ed_node_path_str(changed, "/metadata/namespace");
    const char *name = ed_node_path_str(changed, "/metadata/name");
    if (!ns || !name)
        return;
    size_t n = 0;
    char **keys = ed_informer_keys(cache, &n);
    for (size_t i = 0; i < n; i++) {
        char kns[256];
        const char *kname = ed_key_split(keys[i], kns, sizeof(kns));
        ed_doc *doc = kns[0] ? ed_informer_get(cache, kns, kname) : NULL;
        if (doc && depends_on(ed_doc_root(doc), ns, name)) {
            ed_log(ED_LOG_DEBUG, "queued by its dependency", "controller", "kustomization", "key",
                   keys[i], "dependency", name, NULL);
            ed_queue_add(queue, keys[i]);
        }
        ed_doc_free(doc);
        free(keys[i]);
    }
    free(keys);
}
