/*
 * Health of a Kustomization, as kustomize-controller's checkHealth: with spec.wait every object
 * of the change set is checked; otherwise the objects of spec.healthChecks
 * ({apiVersion, kind, name, namespace}, apiVersion defaulting to apps/v1 and the namespace to
 * the Kustomization's) are; without either, or when the set holds nothing but the
 * Kustomization itself, nothing is (and there is no Healthy condition). The apply module's
 * kstatus rules decide, within spec.timeout, failing at once on a Failed object (Flux's
 * fail-fast). A healthChecks object that does not exist yet is waited for, as Flux does
 * (something else may create it); an applied object (wait) that is gone was deleted meanwhile,
 * which fails at once so that the reconcile its deletion queued recreates it, except a Job
 * with ttlSecondsAfterFinished: the TTL controller deletes it once it finished, which counts as
 * done (Flux's JobsWithTTL). The result is
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

/* ---- spec.healthCheckExprs ---- */

/* One entry: the group and kind it applies to (any version, as Flux's GroupKind readers), and
 * its parsed expressions (in_progress and failed may be NULL). */
struct expr_check {
    char *group;
    char *kind;
    ed_cel *current, *in_progress, *failed;
};

struct ed_ks_exprs {
    struct expr_check *v;
    size_t n;
};

void ed_ks_exprs_free(ed_ks_exprs *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++) {
        free(x->v[i].group);
        free(x->v[i].kind);
        ed_cel_free(x->v[i].current);
        ed_cel_free(x->v[i].in_progress);
        ed_cel_free(x->v[i].failed);
    }
    free(x->v);
    free(x);
}

/* The group of an apiVersion ("apps/v1": "apps"; "v1": the core group ""), new string. */
static char *group_of(const char *api_version)
{
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    return slash ? ed_xstrndup(api_version, (size_t)(slash - api_version)) : ed_xstrdup("");
}

/* Parse one expression field of entry i (what: Flux's name for it); *out stays NULL when the
 * field is empty. Parsed only, not checked (ed_cel_check): Flux's NewStatusEvaluator does not
 * compile these, since an object's top-level fields vary by kind, so any name is a variable
 * and a non-bool result is an evaluation error. */
static int parse_field(const ed_node *e, const char *field, const char *what, size_t i,
                       ed_cel **out, ed_err *err)
{
    const char *text = ed_node_str(ed_node_get(e, field));
    *out = NULL;
    if (!text || !*text)
        return 0;
    ed_err perr = ED_ERR_INIT;
    if (ed_cel_parse(text, out, &perr) == 0)
        return 0;
    return ed_err_set(err, ED_EINVALID,
                      "failed to create custom status reader for healthchecks[%zu]: failed to "
                      "parse the expression %s: %s",
                      i, what, perr.msg);
}

int ed_ks_exprs_parse(const ed_node *obj, ed_ks_exprs **out, ed_err *err)
{
    const ed_node *list = ed_node_path(obj, "/spec/healthCheckExprs");
    *out = NULL;
    size_t n = ed_node_len(list);
    if (n == 0)
        return 0;
    ed_ks_exprs *x = ed_xcalloc(1, sizeof(*x));
    x->v = ed_xcalloc(n, sizeof(*x->v));
    for (size_t i = 0; i < n; i++) {
        const ed_node *e = ed_node_at(list, i);
        char *group = group_of(ed_node_str(ed_node_get(e, "apiVersion")));
        const char *kind = ed_node_str(ed_node_get(e, "kind"));
        bool seen = false; /* the first entry of a group and kind wins, as Flux */
        for (size_t j = 0; j < x->n && !seen; j++)
            seen = strcmp(x->v[j].group, group) == 0 && strcmp(x->v[j].kind, kind ? kind : "") == 0;
        if (seen) {
            free(group);
            continue;
        }
        struct expr_check *c = &x->v[x->n++];
        c->group = group;
        c->kind = ed_xstrdup(kind ? kind : "");
        const char *cur = ed_node_str(ed_node_get(e, "current"));
        int rc = !cur || !*cur ? ed_err_set(err, ED_EINVALID,
                                            "failed to create custom status reader for "
                                            "healthchecks[%zu]: expression Current not specified",
                                            i)
                               : parse_field(e, "current", "Current", i, &c->current, err);
        if (!rc)
            rc = parse_field(e, "failed", "Failed", i, &c->failed, err);
        if (!rc)
            rc = parse_field(e, "inProgress", "InProgress", i, &c->in_progress, err);
        if (rc) {
            ed_ks_exprs_free(x);
            return rc;
        }
    }
    *out = x;
    return 0;
}

/* ed_apply_status_fn over healthCheckExprs, as Flux's CEL status evaluator: an object whose
 * status.observedGeneration differs from its generation is in progress; then inProgress,
 * failed and current are evaluated in that order, the first true deciding; none true is in
 * progress. An evaluation error leaves the status Unknown (the wait then times out on it,
 * naming the error). */
static const char *expr_status(const ed_node *obj, void *user, char *why, size_t why_cap)
{
    const ed_ks_exprs *x = user;
    char *group = group_of(ed_node_str(ed_node_get(obj, "apiVersion")));
    const char *kind = ed_node_str(ed_node_get(obj, "kind"));
    const struct expr_check *c = NULL;
    for (size_t i = 0; i < x->n && !c; i++)
        if (strcmp(x->v[i].group, group) == 0 && kind && strcmp(x->v[i].kind, kind) == 0)
            c = &x->v[i];
    free(group);
    if (!c)
        return NULL;
    int64_t observed, gen;
    if (ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &observed) &&
        ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen) && observed != gen)
        return "InProgress";
    const struct {
        const ed_cel *expr;
        const char *status;
    } order[] = {{c->in_progress, "InProgress"}, {c->failed, "Failed"}, {c->current, "Current"}};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (!order[i].expr)
            continue;
        bool yes = false;
        ed_err eerr = ED_ERR_INIT;
        if (ed_cel_eval_bool(order[i].expr, obj, &yes, &eerr) != 0) {
            snprintf(why, why_cap, "%s", eerr.msg);
            return "Unknown";
        }
        if (yes)
            return order[i].status;
    }
    return "InProgress";
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

/* True when id is one of the lines of ids (may be NULL). */
static bool listed(const char *ids, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = ids; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, id, n) == 0)
            return true;
        p = end ? end + 1 : p + len;
    }
    return false;
}

int ed_ks_check_health(ed_kube *kube, const ed_node *obj, const ed_ks_exprs *exprs,
                       const ed_apply_result *changes, const char *ttl_jobs, int64_t timeout_ms,
                       bool *checked, char *msg, size_t msgcap, char *ready_msg, size_t ready_cap,
                       void (*waiting)(void *user), void *user)
{
    bool wait = false;
    ed_node_bool(ed_node_path(obj, "/spec/wait"), &wait);
    *checked = wait || ed_node_len(ed_node_path(obj, "/spec/healthChecks")) > 0;
    if (!*checked)
        return 0;
    ed_err err = ED_ERR_INIT;
    ed_apply_result *targets = wait ? NULL : health_targets(obj, &err);
    int64_t t0 = ed_time_mono_ns();
    int rc = err.code;
    if (!rc) {
        ed_apply_result set = without_self(wait ? changes : targets, obj);
        for (size_t i = 0; i < set.n; i++)
            set.entries[i].gone_ok = listed(ttl_jobs, set.entries[i].id);
        if (waited(&set) == 0) {
            *checked = false; /* nothing to wait for: no Healthy condition (Flux) */
        } else {
            if (waiting)
                waiting(user);
            rc = ed_apply_wait_healthy_with(kube, &set, timeout_ms, 2000, wait,
                                            exprs ? expr_status : NULL, (void *)exprs, &err);
        }
        free(set.entries);
    }
    char took[32];
    ed_duration_string(ed_time_mono_ns() - t0, took);
    if (rc) {
        snprintf(msg, msgcap, "%s", err.msg);
        snprintf(ready_msg, ready_cap, "health check failed after %s: %s", took, err.msg);
    } else {
        snprintf(msg, msgcap, "Health check passed in %s", took);
    }
    ed_apply_result_free(targets);
    return rc;
}
