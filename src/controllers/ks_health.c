/*
 * Health of a Kustomization, as kustomize-controller's checkHealth: with spec.wait every object
 * of the change set is checked; otherwise the objects of spec.healthChecks
 * ({apiVersion, kind, name, namespace}, apiVersion defaulting to apps/v1 and the namespace to
 * the Kustomization's) are; without either, or when the set holds nothing but the
 * Kustomization itself, nothing is (and there is no Healthy condition). The apply module's
 * kstatus rules decide, within spec.timeout, failing at once on a Failed object (Flux's
 * fail-fast). A healthChecks object that does not exist yet is waited for, as Flux does
 * (something else may create it); an applied object (wait) that is gone was deleted meanwhile,
 * which fails at once so that the reconcile its deletion queued recreates it. The result is
 * Flux's Healthy condition: True/Succeeded "Health check passed in D", or
 * False/HealthCheckFailed with the wait's error, Ready's message being "health check failed
 * after D: <error>".
 */
#include "ks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* spec.healthChecks as change-set entries (owned by the result), or NULL with err set. */
static ed_apply_result *health_targets(const ed_node *obj, ed_err *err)
{
    const ed_node *checks = ed_node_path(obj, "/spec/healthChecks");
    const char *own_ns = ed_node_path_str(obj, "/metadata/namespace");
    ed_apply_result *r = ed_xcalloc(1, sizeof(*r));
    size_t n = ed_node_len(checks);
    r->entries = ed_xcalloc(n ? n : 1, sizeof(*r->entries));
    for (size_t i = 0; i < n; i++) {
        const ed_node *c = ed_node_at(checks, i);
        const char *av = ed_node_str(ed_node_get(c, "apiVersion"));
        const char *kind = ed_node_str(ed_node_get(c, "kind"));
        const char *name = ed_node_str(ed_node_get(c, "name"));
        const char *ns = ed_node_str(ed_node_get(c, "namespace"));
        if (!kind || !name || !*kind || !*name) {
            ed_err_set(err, ED_EINVALID, "spec.healthChecks[%zu]: kind and name are required", i);
            ed_apply_result_free(r);
            return NULL;
        }
        if (!av || !*av)
            av = "apps/v1"; /* Flux's default, kept from v1beta1 */
        if (!ns || !*ns)
            ns = own_ns;
        ed_doc *d = ed_doc_new();
        ed_node *m = ed_node_new_map(d);
        ed_doc_set_root(d, m);
        ed_node_set(d, m, "apiVersion", ed_node_new_str(d, av));
        ed_node_set(d, m, "kind", ed_node_new_str(d, kind));
        ed_node *meta = ed_node_ensure_map(d, m, "/metadata");
        ed_node_set(d, meta, "name", ed_node_new_str(d, name));
        ed_node_set(d, meta, "namespace", ed_node_new_str(d, ns));
        const char *slash = strchr(av, '/');
        r->entries[r->n++] = (ed_apply_entry){
            .id = ed_apply_id(m),
            .version = ed_xstrdup(slash ? slash + 1 : av),
            .subject = ed_xasprintf("%s/%s/%s", kind, ns, name),
            .action = ED_APPLY_UNCHANGED,
        };
        ed_doc_free(d);
    }
    return r;
}

/* The entries of set to wait for: all but the Kustomization obj itself (a Kustomization that
 * applies itself, as bootstrap's does, would wait for its own reconcile to end). Borrowed
 * entries; free only the array. */
static ed_apply_result without_self(const ed_apply_result *set, const ed_node *obj)
{
    ed_doc *d = ed_doc_new();
    ed_node *self = ed_node_copy(d, obj);
    ed_node_set(d, self, "apiVersion", ed_node_new_str(d, "kustomize.toolkit.fluxcd.io/v1"));
    ed_node_set(d, self, "kind", ed_node_new_str(d, "Kustomization"));
    char *self_id = ed_apply_id(self);
    ed_doc_free(d);
    ed_apply_result r = {0};
    r.entries = ed_xcalloc(set && set->n ? set->n : 1, sizeof(*r.entries));
    for (size_t i = 0; set && i < set->n; i++)
        if (!self_id || strcmp(set->entries[i].id, self_id) != 0)
            r.entries[r.n++] = set->entries[i];
    free(self_id);
    return r;
}

/* How many entries the wait would look at (not skipped, not deleted). */
static size_t waited(const ed_apply_result *set)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        n += set->entries[i].action != ED_APPLY_SKIPPED &&
             set->entries[i].action != ED_APPLY_DELETED;
    return n;
}

int ed_ks_check_health(ed_kube *kube, const ed_node *obj, const ed_apply_result *changes,
                       int64_t timeout_ms, bool *checked, char *msg, size_t msgcap, char *ready_msg,
                       size_t ready_cap)
{
    bool wait = false;
    ed_node_bool(ed_node_path(obj, "/spec/wait"), &wait);
    *checked = wait || ed_node_len(ed_node_path(obj, "/spec/healthChecks")) > 0;
    if (!*checked)
        return 0;
    ed_err err = ED_ERR_INIT;
    ed_apply_result *targets = wait ? NULL : health_targets(obj, &err);
    int64_t t0 = ed_time_mono_ms();
    int rc = err.code;
    if (!rc) {
        ed_apply_result set = without_self(wait ? changes : targets, obj);
        if (waited(&set) == 0)
            *checked = false; /* nothing to wait for: no Healthy condition (Flux) */
        else
            rc = ed_apply_wait_healthy(kube, &set, timeout_ms, 2000, wait, &err);
        free(set.entries);
    }
    char took[32];
    ed_duration_format(ed_time_mono_ms() - t0, took);
    if (rc) {
        snprintf(msg, msgcap, "%s", err.msg);
        snprintf(ready_msg, ready_cap, "health check failed after %s: %s", took, err.msg);
    } else {
        snprintf(msg, msgcap, "Health check passed in %s", took);
    }
    ed_apply_result_free(targets);
    return rc;
}
