/*
 * Staged server-side apply with Flux's drift decision, and prune (see apply.h). The flow of
 * ed_apply_all:
 *
 *   1. resolve, read and dry-run every object; an object that cannot be checked yet because the
 *      same set creates what it needs (its CRD, or its Namespace) is checked in its stage;
 *      any other refusal stops everything before a single write;
 *   2. for each stage (CRDs, Namespaces, ClusterRoles / *Class kinds / the custom stage
 *      kinds / the rest): decide each object's action from the dry-run, write only the
 *      drifted ones, and after stages 1 and 2 wait until what was applied is ready (CRDs
 *      established, Namespaces active).
 */
#include "apply_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LABEL_NAME           "kustomize.toolkit.fluxcd.io/name"
#define LABEL_NAMESPACE      "kustomize.toolkit.fluxcd.io/namespace"
#define ANNOTATION_RECONCILE "kustomize.toolkit.fluxcd.io/reconcile"
#define ANNOTATION_SSA       "kustomize.toolkit.fluxcd.io/ssa"
#define ANNOTATION_PRUNE     "kustomize.toolkit.fluxcd.io/prune"
#define ANNOTATION_FORCE     "kustomize.toolkit.fluxcd.io/force"

/* Flux's kind order within a stage (fluxcd/pkg/ssa's ReconcileOrder): these kinds first, in
 * this order, the webhook configurations last, every other kind in between. */
static const char *const kind_order[] = {
    "CustomResourceDefinition",
    "Namespace",
    "ClusterRole",
    "ClusterClass",
    "RuntimeClass",
    "PriorityClass",
    "StorageClass",
    "VolumeSnapshotClass",
    "IngressClass",
    "GatewayClass",
    "ClusterRoleBinding",
    "ResourceQuota",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
};

static int kind_rank(const char *kind)
{
    if (strcmp(kind, "MutatingWebhookConfiguration") == 0)
        return 1000;
    if (strcmp(kind, "ValidatingWebhookConfiguration") == 0)
        return 1001;
    for (size_t i = 0; i < sizeof(kind_order) / sizeof(kind_order[0]); i++)
        if (strcmp(kind, kind_order[i]) == 0)
            return (int)i;
    return 500;
}

/* The stages of ed_apply_all, in order; the readiness of the first two is waited for. */
enum {
    STAGE_DEFINITIONS = 1,
    STAGE_CLASSES,
    STAGE_CUSTOM,
    STAGE_REST
};

static void group_of(const char *api_version, char *out, size_t cap);

/* True when custom (a NULL-terminated list of "Kind" and "group/Kind") names the kind of
 * group. */
static bool custom_kind(const char *const *custom, const char *group, const char *kind)
{
    size_t gl = strlen(group);
    for (size_t i = 0; custom && custom[i]; i++) {
        const char *c = custom[i];
        if (gl ? strncmp(c, group, gl) == 0 && c[gl] == '/' && strcmp(c + gl + 1, kind) == 0
               : strcmp(c, kind) == 0)
            return true;
    }
    return false;
}

/* Flux's ApplyAllStaged: the definitions first, the classes next, then the custom stage
 * (a class or a definition named there stays in its own stage), the rest last. */
static int stage_of(const char *api_version, const char *kind, const char *const *custom)
{
    if (strcmp(kind, "CustomResourceDefinition") == 0 || strcmp(kind, "Namespace") == 0 ||
        strcmp(kind, "ClusterRole") == 0)
        return STAGE_DEFINITIONS;
    if (ed_str_has_suffix(kind, "Class"))
        return STAGE_CLASSES;
    char group[256];
    group_of(api_version, group, sizeof(group));
    return custom_kind(custom, group, kind) ? STAGE_CUSTOM : STAGE_REST;
}

int ed_apply_group_kinds_parse(const char *list, char ***out, ed_err *err)
{
    *out = NULL;
    size_t n = 0, cap = 4;
    char **kinds = ed_xcalloc(cap + 1, sizeof(*kinds));
    const char *p = list ? list : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *b = p, *e = p + len;
        p = *e ? e + 1 : e;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (b == e)
            continue;
        const char *slash = memchr(b, '/', (size_t)(e - b));
        if (slash && (memchr(slash + 1, '/', (size_t)(e - slash - 1)) || slash + 1 == e)) {
            ed_apply_group_kinds_free(kinds);
            return ed_err_set(err, ED_EINVALID,
                              "invalid group/kind \"%.*s\": want Kind or group/Kind", (int)(e - b),
                              b);
        }
        if (slash == b) /* "/Secret": the core group */
            b++;
        if (n == cap) {
            cap *= 2;
            kinds = ed_xrealloc(kinds, (cap + 1) * sizeof(*kinds));
        }
        kinds[n++] = ed_xstrndup(b, (size_t)(e - b));
        kinds[n] = NULL;
    }
    *out = kinds;
    return 0;
}

void ed_apply_group_kinds_free(char **kinds)
{
    for (size_t i = 0; kinds && kinds[i]; i++)
        free(kinds[i]);
    free(kinds);
}

const char *ed_apply_action_name(ed_apply_action a)
{
    static const char *const names[] = {"Created", "Configured", "Unchanged", "Deleted", "Skipped"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "Unknown";
}

static const char *str_at(const ed_node *obj, const char *path)
{
    const char *s = ed_node_path_str(obj, path);
    return s ? s : "";
}

static void group_of(const char *api_version, char *out, size_t cap)
{
    const char *slash = strchr(api_version, '/');
    snprintf(out, cap, "%.*s", slash ? (int)(slash - api_version) : 0, api_version);
}

/* The RBAC kinds whose names may hold ':', which an id writes as "__" (cli-utils). */
static bool rbac_kind(const char *group, const char *kind)
{
    static const char *const kinds[] = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"};
    if (strcmp(group, "rbac.authorization.k8s.io") != 0)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

/* s with every `from` replaced by `to`, appended to out. */
static void replace_all(ed_buf *out, const char *s, size_t n, const char *from, const char *to)
{
    size_t fl = strlen(from);
    for (size_t i = 0; i < n;) {
        if (i + fl <= n && memcmp(s + i, from, fl) == 0) {
            ed_buf_append_str(out, to);
            i += fl;
        } else {
            ed_buf_append(out, s + i, 1);
            i++;
        }
    }
}

char *ed_apply_id(const ed_node *obj)
{
    char group[128];
    group_of(str_at(obj, "/apiVersion"), group, sizeof(group));
    const char *name = str_at(obj, "/metadata/name"), *kind = str_at(obj, "/kind");
    ed_buf out = ED_BUF_INIT((size_t)1 << 20);
    ed_buf_printf(&out, "%s_", str_at(obj, "/metadata/namespace"));
    if (rbac_kind(group, kind))
        replace_all(&out, name, strlen(name), ":", "__");
    else
        ed_buf_append_str(&out, name);
    ed_buf_printf(&out, "_%s_%s", group, kind);
    return ed_buf_take(&out);
}

bool ed_apply_id_parse(const char *id, ed_apply_id_parts *out)
{
    memset(out, 0, sizeof(*out));
    const char *first = strchr(id, '_'), *last = strrchr(id, '_');
    if (!first || last == first)
        return false;
    const char *group_end = last, *group = last;
    while (group > first + 1 && group[-1] != '_')
        group--;
    if (group <= first + 1)
        return false; /* no name between the namespace and the group */
    const char *name = first + 1, *name_end = group - 1;
    size_t nl = (size_t)(first - id), gl = (size_t)(group_end - group), kl = strlen(last + 1);
    if (nl >= sizeof(out->ns) || gl >= sizeof(out->group) || kl >= sizeof(out->kind) || !kl)
        return false;
    memcpy(out->ns, id, nl);
    memcpy(out->group, group, gl);
    memcpy(out->kind, last + 1, kl + 1);
    ed_buf b = ED_BUF_INIT(sizeof(out->name));
    if (rbac_kind(out->group, out->kind))
        replace_all(&b, name, (size_t)(name_end - name), "__", ":");
    else
        ed_buf_append(&b, name, (size_t)(name_end - name));
    bool ok = b.len > 0 && b.len < sizeof(out->name) && !memchr(b.data, '_', b.len);
    if (ok)
        memcpy(out->name, b.data, b.len + 1);
    ed_buf_free(&b);
    return ok;
}

void ed_apply_id_api_version(const ed_apply_id_parts *p, const char *version, char *out, size_t cap)
{
    if (p->group[0])
        snprintf(out, cap, "%s/%s", p->group, version);
    else
        snprintf(out, cap, "%s", version);
}

static char *subject_of(const ed_node *obj)
{
    const char *ns = str_at(obj, "/metadata/namespace");
    if (*ns)
        return ed_xasprintf("%s/%s/%s", str_at(obj, "/kind"), ns, str_at(obj, "/metadata/name"));
    return ed_xasprintf("%s/%s", str_at(obj, "/kind"), str_at(obj, "/metadata/name"));
}

void ed_apply_result_free(ed_apply_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->entries[i].id);
        free(r->entries[i].version);
        free(r->entries[i].subject);
    }
    free(r->entries);
    free(r);
}

static void add_entry(ed_apply_result *r, const ed_node *obj, ed_apply_action action)
{
    r->entries = ed_xrealloc(r->entries, (r->n + 1) * sizeof(*r->entries));
    ed_apply_entry *e = &r->entries[r->n++];
    e->id = ed_apply_id(obj);
    const char *av = str_at(obj, "/apiVersion");
    const char *slash = strchr(av, '/');
    e->version = ed_xstrdup(slash ? slash + 1 : av);
    e->subject = subject_of(obj);
    e->action = action;
    e->gone_ok = false;
}

/* One object on its way through the apply. */
struct item {
    ed_node *desired; /* borrowed from the caller */
    char *subject;
    int stage, rank;
    size_t index;    /* position in the input, to keep the sort stable */
    bool checked;    /* dry-run done */
    bool skip;       /* opted out */
    bool held;       /* the caller asked to leave it alone this time */
    bool recreate;   /* immutable fields changed and force allowed: delete, then create */
    ed_doc *live;    /* the live object, or NULL when it does not exist */
    ed_doc *dry;     /* the dry-run result */
    int check_rc;    /* the first check's outcome (check_all), with its message and the API's */
    char *check_msg; /* Status reason */
    char check_reason[32];
    ed_apply_action action; /* what write_item did */
    int write_rc;           /* its outcome, with its message */
    char *write_msg;
};

/* Flux's apply order (ssa's sort): stage, the kind's rank, then group, kind, namespace and
 * name, whatever order the build gave (it keeps kustomize's accumulation order). */
static int cmp_items(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->stage != y->stage)
        return x->stage - y->stage;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    char gx[256], gy[256];
    group_of(str_at(x->desired, "/apiVersion"), gx, sizeof(gx));
    group_of(str_at(y->desired, "/apiVersion"), gy, sizeof(gy));
    int c = strcmp(gx, gy);
    if (!c)
        c = strcmp(str_at(x->desired, "/kind"), str_at(y->desired, "/kind"));
    if (!c)
        c = strcmp(str_at(x->desired, "/metadata/namespace"),
                   str_at(y->desired, "/metadata/namespace"));
    if (!c)
        c = strcmp(str_at(x->desired, "/metadata/name"), str_at(y->desired, "/metadata/name"));
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static bool has_value(const ed_node *obj, const char *section, const char *key, const char *value)
{
    const ed_node *map = ed_node_get(ed_node_get(obj, "metadata"), section);
    const char *v = ed_node_str(ed_node_get(map, key));
    return v && strcmp(v, value) == 0;
}

/* True when obj has label or annotation key with value, compared as Flux's AnyInMetadata
 * compares (the case does not matter: "prune: Disabled" opts out as "disabled" does). */
static bool in_metadata(const ed_node *obj, const char *key, const char *value)
{
    const char *sections[] = {"annotations", "labels"};
    for (size_t i = 0; i < 2; i++) {
        const char *v =
            ed_node_str(ed_node_get(ed_node_get(ed_node_get(obj, "metadata"), sections[i]), key));
        if (v && *v && strcasecmp(v, value) == 0)
            return true;
    }
    return false;
}

/* kustomize.toolkit.fluxcd.io/ssa: Merge: fields others own are left to them. */
static bool merge_mode(const ed_node *obj)
{
    return in_metadata(obj, ANNOTATION_SSA, "Merge");
}

static bool opted_out(const ed_node *obj)
{
    return in_metadata(obj, ANNOTATION_RECONCILE, "disabled") ||
           in_metadata(obj, ANNOTATION_SSA, "Ignore");
}

bool ed_apply_opted_out(const ed_node *obj)
{
    return opted_out(obj);
}

bool ed_apply_if_not_present(const ed_node *obj)
{
    return in_metadata(obj, ANNOTATION_SSA, "IfNotPresent");
}

/* True when the set itself creates what obj needs: its CRD or its Namespace. */
static bool set_provides(struct item *items, size_t n, const ed_node *obj, bool for_kind)
{
    char group[128];
    group_of(str_at(obj, "/apiVersion"), group, sizeof(group));
    const char *kind = str_at(obj, "/kind"), *ns = str_at(obj, "/metadata/namespace");
    for (size_t i = 0; i < n; i++) {
        const ed_node *d = items[i].desired;
        const char *k = str_at(d, "/kind");
        if (for_kind && strcmp(k, "CustomResourceDefinition") == 0 &&
            strcmp(str_at(d, "/spec/group"), group) == 0 &&
            strcmp(str_at(d, "/spec/names/kind"), kind) == 0)
            return true;
        if (!for_kind && *ns && strcmp(k, "Namespace") == 0 &&
            strcmp(str_at(d, "/metadata/name"), ns) == 0)
            return true;
    }
    return false;
}

/* Dry-run the desired object, and read the live one when there is one. A dry-run that creates
 * (no resourceVersion in its result) says the object does not exist, so a new object costs one
 * request here, not two. A refused dry-run reads the live object too: a live object that opts
 * out is skipped whatever the dry-run said, and force needs it. ED_ENOTFOUND when the kind or
 * the namespace does not exist (yet). */
static int check_item(ed_kube *kube, struct item *it, const char *manager, ed_err *err)
{
    const ed_node *d = it->desired;
    const char *av = str_at(d, "/apiVersion"), *kind = str_at(d, "/kind");
    const char *ns = str_at(d, "/metadata/namespace"), *name = str_at(d, "/metadata/name");
    ed_doc_free(it->live);
    ed_doc_free(it->dry);
    it->live = it->dry = NULL;
    if (opted_out(d)) {
        it->skip = it->checked = true;
        return 0;
    }
    ed_kube_opts o = {.field_manager = manager, .force = true, .dry_run = true};
    int rc = ed_kube_apply(kube, d, &o, &it->dry, err);
    if (rc == 0 && !ed_node_path_str(ed_doc_root(it->dry), "/metadata/resourceVersion")) {
        it->checked = true;
        return 0;
    }
    if (rc == ED_ENOTFOUND)
        return rc;
    if (rc == 0 && in_metadata(d, ANNOTATION_SSA, "IfNotPresent")) {
        it->skip = it->checked = true; /* it exists (the dry-run updated it) */
        return 0;
    }
    ed_err gerr = ED_ERR_INIT;
    int grc = ed_kube_get(kube, av, kind, ns, name, &it->live, &gerr);
    if (grc == ED_ENOTFOUND) {
        it->live = NULL;
    } else if (grc) {
        return rc ? rc : ed_err_set(err, grc, "%s", gerr.msg);
    }
    it->skip = it->live &&
               (opted_out(ed_doc_root(it->live)) || in_metadata(d, ANNOTATION_SSA, "IfNotPresent"));
    if (it->skip) {
        ed_err_clear(err);
        it->checked = true;
        return 0;
    }
    if (rc == 0)
        it->checked = true;
    return rc;
}

/* An API error saying that a field cannot change (a Job's template, a Service's clusterIP, a
 * selector, a StatefulSet's or StorageClass's "Forbidden: updates to ... are forbidden"), or
 * an admission webhook's or CEL rule's "is immutable" / "immutable field" whatever its code:
 * what force recreates the object for. Flux takes any Invalid error for one (and so deletes
 * an object whose new version is merely invalid, then fails to create it); eddy asks for
 * words that say the update itself is refused. */
static bool immutable_error(const ed_err *err)
{
    if (strstr(err->msg, "is immutable") || strstr(err->msg, "immutable field"))
        return true;
    return err->code == ED_EINVALID &&
           (strstr(err->msg, "immutable") || strstr(err->msg, "Immutable") ||
            strstr(err->msg, "may not change once set") || strstr(err->msg, "cannot change") ||
            (strstr(err->msg, "Forbidden: updates to") && strstr(err->msg, "forbidden")));
}

/* Force allowed for obj: spec.force, or its force label or annotation (Flux looks at the desired
 * object and at the live one). */
static bool force_allowed(const ed_node *obj, bool force)
{
    return force || in_metadata(obj, ANNOTATION_FORCE, "enabled");
}

/* check_item, and when the dry-run fails on an immutable field while force is allowed, mark
 * the object for recreation (Flux deletes and recreates it; eddy does that in the apply phase,
 * after everything else was validated). */
static int check_item_forced(ed_kube *kube, struct item *it, const char *manager, bool force,
                             ed_err *err)
{
    int rc = check_item(kube, it, manager, err);
    if (rc && it->live && immutable_error(err) &&
        (force_allowed(it->desired, force) || force_allowed(ed_doc_root(it->live), false))) {
        ed_err_clear(err);
        it->recreate = it->checked = true;
        return 0;
    }
    return rc;
}

/* Delete the live object of it and wait (up to timeout_ms) until it is gone. */
static int delete_for_recreate(ed_kube *kube, const struct item *it, int64_t timeout_ms,
                               ed_err *err)
{
    const ed_node *d = it->desired;
    const char *av = str_at(d, "/apiVersion"), *kind = str_at(d, "/kind");
    const char *ns = str_at(d, "/metadata/namespace"), *name = str_at(d, "/metadata/name");
    ed_kube_opts o = {.propagation_policy = "Background"};
    int rc = ed_kube_delete(kube, av, kind, ns, name, &o, err);
    if (rc == ED_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    while (ed_time_mono_ms() < deadline) {
        ed_doc *live = NULL;
        rc = ed_kube_get(kube, av, kind, ns, name, &live, err);
        ed_doc_free(live);
        if (rc == ED_ENOTFOUND) {
            ed_err_clear(err);
            return 0;
        }
        usleep(200 * 1000);
    }
    return ed_err_set(err, ED_ETIMEOUT, "%s: timeout waiting for its deletion", it->subject);
}

/* A copy of obj without metadata and status, for the semantic compare. */
static ed_node *strip(ed_doc *scratch, const ed_node *obj)
{
    ed_node *c = ed_node_copy(scratch, obj);
    ed_node_remove(c, "metadata");
    ed_node_remove(c, "status");
    return c;
}

/* Flux's drift decision between the live object and the dry-run result. */
static bool drifted(const ed_node *live, const ed_node *dry)
{
    if (!ed_node_equal(ed_node_path(live, "/metadata/labels"),
                       ed_node_path(dry, "/metadata/labels")) ||
        !ed_node_equal(ed_node_path(live, "/metadata/annotations"),
                       ed_node_path(dry, "/metadata/annotations")))
        return true;
    ed_doc *scratch = ed_doc_new();
    bool differ = !ed_node_equal(strip(scratch, live), strip(scratch, dry));
    ed_doc_free(scratch);
    return differ;
}

/* Wait until the objects of stage (just applied) are ready: CRDs established and the like. */
static int wait_stage(ed_kube *kube, struct item *items, size_t n, int stage, int64_t timeout_ms,
                      ed_err *err)
{
    ed_apply_result r = {0};
    for (size_t i = 0; i < n; i++)
        if (items[i].stage == stage && !items[i].skip && !items[i].held)
            add_entry(&r, items[i].desired, ED_APPLY_CONFIGURED);
    int rc = r.n ? ed_apply_wait_healthy(kube, &r, timeout_ms, 200, true, err) : 0;
    for (size_t i = 0; i < r.n; i++) {
        free(r.entries[i].id);
        free(r.entries[i].version);
        free(r.entries[i].subject);
    }
    free(r.entries);
    if (rc == 0 && stage == STAGE_DEFINITIONS)
        ed_kube_discovery_reset(kube); /* new CRDs: their kinds must be found from now on */
    return rc;
}

/* The dry-runs of one apply go out APPLY_THREADS at a time (ed_apply_opts.concurrency, Flux's
 * --concurrent-ssa, changes it): they change nothing, so a set of many objects is validated in
 * a fraction of the time one request after the other takes. */
#define APPLY_THREADS 4

struct apply_ctx {
    ed_kube *kube;
    const ed_apply_opts *opts; /* may be NULL */
    const char *manager;
    bool force;
    int64_t wait_ms;
    int threads; /* dry-runs at a time */
    int stage;   /* for write_item: the stage being written */
};

struct check_all {
    struct item *items;
    size_t n;
    const struct apply_ctx *ctx;
    pthread_mutex_t lock;
    size_t next; /* the next item (lock) */
};

int ed_apply_dry_run_error(ed_err *err, const char *subject, const char *kind, int code,
                           const char *reason, const char *msg)
{
    if (code == ED_ENOTFOUND && strcmp(reason, "NotFound") == 0) { /* not: kind unknown */
        /* subject is "Kind/ns/name", or "Kind/name" when the object names no namespace */
        const char *slash = strchr(subject, '/');
        bool has_ns = slash && strchr(slash + 1, '/');
        return ed_err_set(err, code, has_ns ? "%s not found: %s" : "%s namespace not specified: %s",
                          subject, msg);
    }
    if (kind && strcmp(kind, "Secret") == 0) {
        char lower[32];
        size_t i = 0;
        for (; reason[i] && i < sizeof(lower) - 1; i++)
            lower[i] = (char)tolower((unsigned char)reason[i]);
        lower[i] = '\0';
        return ed_err_set(err, code, "%s %s, error: %s", subject, i ? lower : "invalid",
                          strstr(msg, "immutable") ? "secret is immutable"
                                                   : "data values must be of type string");
    }
    if (*reason)
        return ed_err_set(err, code, "%s dry-run failed (%s): %s", subject, reason, msg);
    return ed_err_set(err, code, "%s dry-run failed: %s", subject, msg);
}

static int dry_run_error(ed_err *err, const struct item *it, int code, const char *reason,
                         const char *msg)
{
    return ed_apply_dry_run_error(err, it->subject, str_at(it->desired, "/kind"), code, reason,
                                  msg);
}

/* Phase 1 for one item: check it (check_item_forced); the outcome stays in the item. */
static void check_one(const struct apply_ctx *ctx, struct item *it)
{
    if (it->held)
        return;
    ed_err err = ED_ERR_INIT;
    it->check_rc = check_item_forced(ctx->kube, it, ctx->manager, ctx->force, &err);
    if (it->check_rc) {
        it->check_msg = ed_xstrdup(err.msg);
        memcpy(it->check_reason, err.reason, sizeof(it->check_reason));
    }
}

static void *check_worker(void *arg)
{
    struct check_all *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        check_one(p->ctx, &p->items[i]);
    }
}

/* check_one on every item, ctx->threads at a time (the calling thread is one of them). */
static void check_all(struct item *items, size_t n, const struct apply_ctx *ctx)
{
    struct check_all p = {.items = items, .n = n, .ctx = ctx};
    pthread_mutex_init(&p.lock, NULL);
    size_t extra = ctx->threads > 1 ? (size_t)ctx->threads - 1 : 0;
    if (extra + 1 > n)
        extra = n ? n - 1 : 0;
    pthread_t *threads = ed_xcalloc(extra ? extra : 1, sizeof(*threads));
    size_t started = 0;
    for (; started < extra; started++)
        if (pthread_create(&threads[started], NULL, check_worker, &p) != 0)
            break;
    check_worker(&p);
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&p.lock);
}

/* Phase 2 for one checked item of ctx->stage: recreate it when forced, take kubectl's fields
 * over, and apply it unless the dry-run shows no drift. The action or the error stays in the
 * item. */
static void write_item(const struct apply_ctx *ctx, struct item *it)
{
    if (it->stage != ctx->stage || it->held || it->skip || it->check_rc)
        return;
    ed_err err = ED_ERR_INIT;
    int rc = 0;
    const char *failed = "apply failed";
    if (it->recreate && ctx->opts && ctx->opts->deleting) {
        char *id = ed_apply_id(it->desired);
        ctx->opts->deleting(id, ctx->opts->deleting_user);
        free(id);
    }
    if (it->recreate && (rc = delete_for_recreate(ctx->kube, it, ctx->wait_ms, &err)) != 0) {
        failed = "recreate failed";
        goto out;
    }
    ed_node *live = it->live && !it->recreate ? ed_doc_root(it->live) : NULL;
    ed_node *dry = it->dry ? ed_doc_root(it->dry) : NULL;
    /* Fields kubectl owns become ours first (not with ssa: Merge), so that the apply removes
     * what Git does not have. */
    bool took = false;
    if (live && !merge_mode(it->desired) && !merge_mode(live)) {
        ed_buf patch = ED_BUF_INIT((size_t)16 << 20);
        if (ed_apply_takeover_patch(live, ctx->manager,
                                    ctx->opts ? ctx->opts->takeover_managers : NULL, &patch)) {
            rc = ed_kube_patch(ctx->kube, str_at(live, "/apiVersion"), str_at(live, "/kind"),
                               str_at(live, "/metadata/namespace"), str_at(live, "/metadata/name"),
                               ED_KUBE_PATCH_JSON, patch.data, patch.len, NULL, NULL, &err);
            took = true;
        }
        ed_buf_free(&patch);
        if (rc) {
            failed = "field ownership take-over failed";
            goto out;
        }
    }
    if (live && !took && !drifted(live, dry)) {
        it->action = ED_APPLY_UNCHANGED;
        return;
    }
    ed_kube_opts o = {.field_manager = ctx->manager, .force = true};
    ed_doc *written = NULL;
    rc = ed_kube_apply(ctx->kube, it->desired, &o, &written, &err);
    if (rc == 0) {
        it->action = live ? ED_APPLY_CONFIGURED : ED_APPLY_CREATED;
        if (ctx->opts && ctx->opts->written && ed_doc_root(written))
            ctx->opts->written(ed_doc_root(written), ctx->opts->written_user);
    }
    ed_doc_free(written);
out:
    if (rc) {
        it->write_rc = rc;
        it->write_msg = ed_xasprintf("%s %s: %s", it->subject, failed, err.msg);
    }
}

/* Drop the namespace of o when its kind is cluster-scoped (the API server ignores it there):
 * Flux names an object as the API server returns it, so a ClusterRole written with a
 * namespace, or a custom cluster-scoped kind that kustomize's namespace transformer gave one
 * (it knows only the built-in kinds' scopes), has none in its inventory id, its subject and
 * its events. The scope comes from a CRD of the same set, else from discovery; when neither
 * tells, o is left as it is. */
static void drop_cluster_namespace(ed_kube *kube, ed_node *const *objects, size_t n, ed_node *o)
{
    ed_node *meta = ed_node_get(o, "metadata");
    const char *ns = ed_node_str(ed_node_get(meta, "namespace"));
    if (!ns || !*ns)
        return;
    const char *av = str_at(o, "/apiVersion"), *kind = str_at(o, "/kind");
    char group[128];
    group_of(av, group, sizeof(group));
    int namespaced = -1; /* unknown */
    for (size_t i = 0; i < n && namespaced < 0; i++) {
        const ed_node *d = objects[i];
        if (strcmp(str_at(d, "/kind"), "CustomResourceDefinition") == 0 &&
            strcmp(str_at(d, "/spec/group"), group) == 0 &&
            strcmp(str_at(d, "/spec/names/kind"), kind) == 0)
            namespaced = strcmp(str_at(d, "/spec/scope"), "Cluster") != 0;
    }
    if (namespaced < 0) {
        ed_kube_resource res;
        ed_err e = ED_ERR_INIT;
        if (ed_kube_resource_for(kube, av, kind, &res, &e) == 0)
            namespaced = res.namespaced;
    }
    if (namespaced == 0)
        ed_node_remove(meta, "namespace");
}

int ed_apply_all(ed_kube *kube, ed_node *const *objects, size_t n, const ed_apply_opts *opts,
                 ed_apply_result **out, ed_err *err)
{
    const char *manager =
        opts && opts->field_manager ? opts->field_manager : "kustomize-controller";
    int64_t wait_ms = opts && opts->wait_timeout_ms > 0 ? opts->wait_timeout_ms : 60000;
    bool force = opts && opts->force;
    *out = NULL;
    int rc = 0;
    size_t staged = 0; /* entries of the stages written whole, kept when a later one fails */
    struct item *items = ed_xcalloc(n ? n : 1, sizeof(*items));
    ed_apply_result *res = ed_xcalloc(1, sizeof(*res));

    for (size_t i = 0; i < n; i++) {
        ed_node *o = objects[i];
        const char *kind = ed_node_str(ed_node_get(o, "kind"));
        if (!ed_node_str(ed_node_get(o, "apiVersion")) || !kind ||
            !ed_node_path_str(o, "/metadata/name")) {
            rc = ed_err_set(err, ED_EINVALID, "object %zu has no apiVersion, kind or metadata.name",
                            i + 1);
            goto cleanup;
        }
        drop_cluster_namespace(kube, objects, n, o);
        items[i] = (struct item){.desired = o,
                                 .subject = subject_of(o),
                                 .stage = stage_of(ed_node_str(ed_node_get(o, "apiVersion")), kind,
                                                   opts ? opts->custom_stage_kinds : NULL),
                                 .rank = kind_rank(kind),
                                 .index = i};
    }
    qsort(items, n, sizeof(*items), cmp_items);

    /* Objects the caller holds back (drift in its grace period) are neither checked nor
     * written, and stay in the change set as Unchanged. */
    for (size_t i = 0; opts && opts->hold && i < n; i++) {
        char *id = ed_apply_id(items[i].desired);
        items[i].held = items[i].checked = opts->hold(id, opts->hold_user);
        free(id);
    }

    /* 1. Validate everything that can be validated before anything is written. */
    struct apply_ctx ctx = {.kube = kube,
                            .opts = opts,
                            .manager = manager,
                            .force = force,
                            .wait_ms = wait_ms,
                            .threads =
                                opts && opts->concurrency > 0 ? opts->concurrency : APPLY_THREADS};
    check_all(items, n, &ctx);
    for (size_t i = 0; i < n; i++) {
        if (items[i].held)
            continue;
        rc = items[i].check_rc;
        if (rc == ED_ENOTFOUND && (set_provides(items, n, items[i].desired, true) ||
                                   set_provides(items, n, items[i].desired, false))) {
            rc = 0; /* checked in its stage, once what it needs exists */
            continue;
        }
        if (rc) {
            dry_run_error(err, &items[i], rc, items[i].check_reason, items[i].check_msg);
            goto cleanup;
        }
    }

    if (opts && opts->before_writes && (rc = opts->before_writes(opts->before_writes_user, err)))
        goto cleanup;

    /* 2. Apply stage by stage: what the dry-runs could not check yet first, then the stage's
     * writes, then their outcomes in order. */
    for (int stage = STAGE_DEFINITIONS; stage <= STAGE_REST; stage++) {
        bool applied = false;
        for (size_t i = 0; i < n; i++) {
            struct item *it = &items[i];
            if (it->stage != stage || it->checked)
                continue;
            ed_err cerr = ED_ERR_INIT;
            if ((it->check_rc = check_item_forced(kube, it, manager, force, &cerr)) != 0) {
                rc = dry_run_error(err, it, it->check_rc, cerr.reason, cerr.msg);
                goto cleanup;
            }
        }
        /* The writes go one after the other, in Flux's order (a ConfigMap before the
         * Deployment that mounts it), and stop at the first failure. */
        ctx.stage = stage;
        for (size_t i = 0; i < n; i++) {
            write_item(&ctx, &items[i]);
            if (items[i].write_rc)
                break;
        }
        for (size_t i = 0; i < n; i++) {
            struct item *it = &items[i];
            if (it->stage != stage)
                continue;
            if (it->write_rc) {
                rc = ed_err_set(err, it->write_rc, "%s", it->write_msg);
                goto cleanup;
            }
            ed_apply_action action = it->held   ? ED_APPLY_UNCHANGED
                                     : it->skip ? ED_APPLY_SKIPPED
                                                : it->action;
            add_entry(res, it->desired, action);
            applied = applied || action == ED_APPLY_CREATED || action == ED_APPLY_CONFIGURED;
        }
        staged = res->n;
        if (applied && (stage == STAGE_DEFINITIONS || stage == STAGE_CLASSES)) {
            rc = wait_stage(kube, items, n, stage, wait_ms, err);
            if (rc)
                goto cleanup;
        }
    }
    *out = res;
    res = NULL;

cleanup:
    /* A failure hands back what the stages before it wrote, as fluxcd/pkg ssa's
     * ApplyAllStaged returns its change set with the error. */
    if (rc && staged) {
        for (size_t i = staged; i < res->n; i++) {
            free(res->entries[i].id);
            free(res->entries[i].version);
            free(res->entries[i].subject);
        }
        res->n = staged;
        *out = res;
        res = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        free(items[i].subject);
        free(items[i].check_msg);
        free(items[i].write_msg);
        ed_doc_free(items[i].live);
        ed_doc_free(items[i].dry);
    }
    free(items);
    ed_apply_result_free(res);
    return rc;
}

/* The order in which stale objects are deleted: Flux's apply order reversed (what depends on
 * a Namespace or a CRD goes before it, webhooks first), then by group, kind, namespace and
 * name, reversed too, as fluxcd/pkg ssa's DeleteAll sorts them. */
static int cmp_prune(const void *a, const void *b)
{
    const ed_apply_id_parts *x = a, *y = b;
    int rx = kind_rank(x->kind), ry = kind_rank(y->kind), c;
    if (rx != ry)
        return ry - rx;
    if ((c = strcmp(y->group, x->group)) != 0 || (c = strcmp(y->kind, x->kind)) != 0 ||
        (c = strcmp(y->ns, x->ns)) != 0)
        return c;
    return strcmp(y->name, x->name);
}

/* A parsed inventory id with the index of its entry (ids sort with cmp_prune). */
struct stale {
    ed_apply_id_parts id; /* first: cmp_prune reads it */
    size_t index;
};

static void add_pruned(ed_apply_result *res, const char *api_version, const ed_apply_id_parts *id,
                       ed_apply_action action)
{
    ed_doc *d = ed_doc_new();
    ed_node *m = ed_node_new_map(d);
    ed_node_set(d, m, "apiVersion", ed_node_new_str(d, api_version));
    ed_node_set(d, m, "kind", ed_node_new_str(d, id->kind));
    ed_node *meta = ed_node_ensure_map(d, m, "/metadata");
    ed_node_set(d, meta, "name", ed_node_new_str(d, id->name));
    if (id->ns[0])
        ed_node_set(d, meta, "namespace", ed_node_new_str(d, id->ns));
    add_entry(res, m, action);
    ed_doc_free(d);
}

/* True when live (an object read back) is one of the change set current. */
static bool still_applied(const ed_node *live, const ed_apply_result *current)
{
    char *id = ed_apply_id(live);
    bool found = false;
    for (size_t j = 0; current && j < current->n && !found; j++)
        found = strcmp(current->entries[j].id, id) == 0;
    free(id);
    return found;
}

int ed_apply_prune(ed_kube *kube, const ed_apply_entry *old_inventory, size_t n_old,
                   const ed_apply_result *current, const char *owner_name,
                   const char *owner_namespace, ed_apply_result **out, ed_err *err)
{
    *out = NULL;
    ed_apply_result *res = ed_xcalloc(1, sizeof(*res));
    struct stale *stale = ed_xcalloc(n_old ? n_old : 1, sizeof(*stale));
    size_t n = 0;
    for (size_t i = 0; i < n_old; i++) {
        bool kept = false;
        for (size_t j = 0; current && j < current->n && !kept; j++)
            kept = strcmp(current->entries[j].id, old_inventory[i].id) == 0;
        if (!kept && ed_apply_id_parse(old_inventory[i].id, &stale[n].id)) /* else not an id
                                                 eddy or Flux wrote: leave it alone */
            stale[n++].index = i;
    }
    qsort(stale, n, sizeof(*stale), cmp_prune);
    /* Every object is tried, a failure does not stop the others (Flux's DeleteAll); the
     * failures are told together: "delete failed, errors: <subject> delete failed: <msg>;". */
    ed_buf failures = ED_BUF_INIT((size_t)1 << 20);
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        const ed_apply_id_parts *id = &stale[k].id;
        char av[400];
        ed_apply_id_api_version(id, old_inventory[stale[k].index].version, av, sizeof(av));
        char *subject = id->ns[0] ? ed_xasprintf("%s/%s/%s", id->kind, id->ns, id->name)
                                  : ed_xasprintf("%s/%s", id->kind, id->name);
        ed_doc *live = NULL;
        ed_err e = ED_ERR_INIT;
        int64_t asked = ed_time_mono_ms();
        int grc = ed_kube_get(kube, av, id->kind, id->ns, id->name, &live, &e);
        ed_kube_resource served;
        if (grc == ED_ENOTFOUND &&
            ed_kube_resource_recheck(kube, av, id->kind, asked, &served, &e) == ED_ENOTFOUND) {
            /* Not the object but its kind is gone from the API (a CRD version no longer
             * served, the CRD deleted): nothing tells whether the object still exists, so,
             * as Flux's query fails with "no matches for kind", the prune fails and the
             * entry stays in the inventory. */
            ed_buf_printf(&failures, "%s query failed: %s;", subject, e.msg);
            rc = rc ? rc : ED_ERROR; /* not ED_ENOTFOUND: callers read that as "gone" */
        } else if (grc == ED_ENOTFOUND) {
            add_pruned(res, av, id, ED_APPLY_DELETED); /* gone already counts as deleted */
        } else if (grc) {
            ed_buf_printf(&failures, "%s query failed: %s;", subject, e.msg);
            rc = rc ? rc : grc;
        } else if (still_applied(ed_doc_root(live), current)) {
            /* the same object as one of the set, under an id that named a namespace for a
             * cluster-scoped kind (an inventory written before eddy dropped it): not stale */
        } else {
            ed_node *obj = ed_doc_root(live);
            bool ours = has_value(obj, "labels", LABEL_NAME, owner_name) &&
                        has_value(obj, "labels", LABEL_NAMESPACE, owner_namespace);
            if (!ours || in_metadata(obj, ANNOTATION_PRUNE, "disabled") || opted_out(obj)) {
                add_pruned(res, av, id, ED_APPLY_SKIPPED);
            } else {
                ed_kube_opts o = {.propagation_policy = "Background"};
                int drc = ed_kube_delete(kube, av, id->kind, id->ns, id->name, &o, &e);
                if (drc && drc != ED_ENOTFOUND) {
                    ed_buf_printf(&failures, "%s delete failed: %s;", subject, e.msg);
                    rc = rc ? rc : drc;
                } else {
                    add_pruned(res, av, id, ED_APPLY_DELETED);
                }
            }
        }
        ed_doc_free(live);
        free(subject);
    }
    if (rc)
        ed_err_set(err, rc, "delete failed, errors: %s", failures.data ? failures.data : "");
    ed_buf_free(&failures);
    free(stale);
    *out = res; /* on failure too: what was deleted and skipped */
    return rc;
}
