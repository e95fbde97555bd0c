/*
 * Name references: when a name prefix or suffix, a namespace or a generator's hash suffix
 * renames an object, every field that refers to it by name follows, as kustomize's built-in
 * nameReference configuration says (written out below as data): ConfigMaps and Secrets in pod
 * templates of every workload kind, ServiceAccounts in pod specs and binding subjects, Roles
 * and ClusterRoles in roleRefs, Services in Ingresses, StatefulSets, APIServices and webhooks,
 * PersistentVolumeClaims, StorageClasses, PriorityClasses, and the rest of the table.
 *
 * kustomize's rules for picking the object a name refers to, at the end of a build:
 *  - candidates are the objects the referrer can see: cluster-scoped ones, those in the
 *    referrer's namespace (none and "default" are the same), and for a RoleBinding those in the
 *    namespaces of its ServiceAccount subjects; a cluster-scoped referrer sees everything;
 *  - a candidate must have had the referenced name before a rename, be of the referenced kind
 *    (for a roleRef, the kind and apiGroup it names), and be in the referrer's namespace unless
 *    it is cluster-scoped or a ServiceAccount;
 *  - several candidates are narrowed to those renamed with the same outermost prefixes and
 *    suffixes as the referrer; still several with different new names is an error.
 * A reference held in a mapping with `name` and `namespace` (binding subjects, webhook
 * services) looks among the candidates originally in that namespace and takes both the new
 * name and the namespace.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

/* A kind selector: NULL parts match anything (kustomize's Gvk.IsSelected). */
typedef struct gvk_sel {
    const char *group, *version, *kind;
} gvk_sel;

typedef struct nameref_spec {
    gvk_sel target;   /* the kind referred to */
    gvk_sel referrer; /* the kind holding the reference */
    const char *path; /* where, '/'-separated; "\/" is a slash inside a key */
} nameref_spec;

#define CM                                                                                         \
    {                                                                                              \
        NULL, "v1", "ConfigMap"                                                                    \
    }
#define SECRET                                                                                     \
    {                                                                                              \
        NULL, "v1", "Secret"                                                                       \
    }
#define SA                                                                                         \
    {                                                                                              \
        NULL, "v1", "ServiceAccount"                                                               \
    }
#define PVC                                                                                        \
    {                                                                                              \
        NULL, "v1", "PersistentVolumeClaim"                                                        \
    }
#define PRIO                                                                                       \
    {                                                                                              \
        "scheduling.k8s.io", "v1", "PriorityClass"                                                 \
    }
#define K(kind)                                                                                    \
    {                                                                                              \
        NULL, NULL, kind                                                                           \
    }

/* The ConfigMap references of a pod spec at prefix P in kind R. */
#define CM_POD(R, P)                                                                               \
    {CM, R, P "volumes/configMap/name"},                                                           \
        {CM, R, P "containers/env/valueFrom/configMapKeyRef/name"},                                \
        {CM, R, P "initContainers/env/valueFrom/configMapKeyRef/name"},                            \
        {CM, R, P "containers/envFrom/configMapRef/name"},                                         \
        {CM, R, P "initContainers/envFrom/configMapRef/name"},                                     \
    {                                                                                              \
        CM, R, P "volumes/projected/sources/configMap/name"                                        \
    }
#define SECRET_POD(R, P)                                                                           \
    {SECRET, R, P "volumes/secret/secretName"},                                                    \
        {SECRET, R, P "containers/env/valueFrom/secretKeyRef/name"},                               \
        {SECRET, R, P "initContainers/env/valueFrom/secretKeyRef/name"},                           \
        {SECRET, R, P "containers/envFrom/secretRef/name"},                                        \
        {SECRET, R, P "initContainers/envFrom/secretRef/name"},                                    \
        {SECRET, R, P "imagePullSecrets/name"},                                                    \
    {                                                                                              \
        SECRET, R, P "volumes/projected/sources/secret/name"                                       \
    }
#define POD_REFS(T, FIELD)                                                                         \
    {T, K("Pod"), "spec/" FIELD}, {T, K("StatefulSet"), "spec/template/spec/" FIELD},              \
        {T, K("Deployment"), "spec/template/spec/" FIELD},                                         \
        {T, K("ReplicationController"), "spec/template/spec/" FIELD},                              \
        {T, K("CronJob"), "spec/jobTemplate/spec/template/spec/" FIELD},                           \
        {T, K("Job"), "spec/template/spec/" FIELD},                                                \
    {                                                                                              \
        T, K("DaemonSet"), "spec/template/spec/" FIELD                                             \
    }

static const nameref_spec table[] = {
    {K("Deployment"), K("HorizontalPodAutoscaler"), "spec/scaleTargetRef/name"},
    {K("ReplicationController"), K("HorizontalPodAutoscaler"), "spec/scaleTargetRef/name"},
    {K("ReplicaSet"), K("HorizontalPodAutoscaler"), "spec/scaleTargetRef/name"},
    {K("StatefulSet"), K("HorizontalPodAutoscaler"), "spec/scaleTargetRef/name"},

    CM_POD(((gvk_sel){NULL, "v1", "Pod"}), "spec/"),
    CM_POD(K("PodTemplate"), "template/spec/"),
    CM_POD(K("Deployment"), "spec/template/spec/"),
    CM_POD(K("ReplicaSet"), "spec/template/spec/"),
    CM_POD(K("DaemonSet"), "spec/template/spec/"),
    CM_POD(K("StatefulSet"), "spec/template/spec/"),
    CM_POD(K("Job"), "spec/template/spec/"),
    CM_POD(K("CronJob"), "spec/jobTemplate/spec/template/spec/"),
    {CM, K("Node"), "spec/configSource/configMap"},
    {CM, K("Role"), "rules/resourceNames"},
    {CM, K("ClusterRole"), "rules/resourceNames"},
    {CM, K("Ingress"),
     "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"},

    SECRET_POD(((gvk_sel){NULL, "v1", "Pod"}), "spec/"),
    SECRET_POD(K("PodTemplate"), "template/spec/"),
    SECRET_POD(K("Deployment"), "spec/template/spec/"),
    SECRET_POD(K("ReplicaSet"), "spec/template/spec/"),
    SECRET_POD(K("DaemonSet"), "spec/template/spec/"),
    SECRET_POD(K("StatefulSet"), "spec/template/spec/"),
    SECRET_POD(K("Job"), "spec/template/spec/"),
    SECRET_POD(K("CronJob"), "spec/jobTemplate/spec/template/spec/"),
    {SECRET, K("Ingress"), "spec/tls/secretName"},
    {SECRET, K("Ingress"), "metadata/annotations/ingress.kubernetes.io\\/auth-secret"},
    {SECRET, K("Ingress"), "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"},
    {SECRET, K("Ingress"), "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"},
    {SECRET, K("ServiceAccount"), "imagePullSecrets/name"},
    {SECRET, K("StorageClass"), "parameters/secretName"},
    {SECRET, K("StorageClass"), "parameters/adminSecretName"},
    {SECRET, K("StorageClass"), "parameters/userSecretName"},
    {SECRET, K("StorageClass"), "parameters/secretRef"},
    {SECRET, K("Role"), "rules/resourceNames"},
    {SECRET, K("ClusterRole"), "rules/resourceNames"},
    {SECRET,
     {"serving.knative.dev", "v1", "Service"},
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {SECRET, K("PersistentVolume"), "spec/azureFile/secretName"},

    {{NULL, "v1", "Service"}, {"apps", NULL, "StatefulSet"}, "spec/serviceName"},
    {{NULL, "v1", "Service"}, K("Ingress"), "spec/rules/http/paths/backend/serviceName"},
    {{NULL, "v1", "Service"}, K("Ingress"), "spec/backend/serviceName"},
    {{NULL, "v1", "Service"}, K("Ingress"), "spec/rules/http/paths/backend/service/name"},
    {{NULL, "v1", "Service"}, K("Ingress"), "spec/defaultBackend/service/name"},
    {{NULL, "v1", "Service"}, {"apiregistration.k8s.io", NULL, "APIService"}, "spec/service/name"},
    {{NULL, "v1", "Service"},
     {"admissionregistration.k8s.io", NULL, "ValidatingWebhookConfiguration"},
     "webhooks/clientConfig/service"},
    {{NULL, "v1", "Service"},
     {"admissionregistration.k8s.io", NULL, "MutatingWebhookConfiguration"},
     "webhooks/clientConfig/service"},
    {{NULL, "v1", "Service"}, K("HTTPRoute"), "spec/rules/backendRefs/name"},

    {{"rbac.authorization.k8s.io", NULL, "Role"},
     {"rbac.authorization.k8s.io", NULL, "RoleBinding"},
     "roleRef/name"},
    {{"rbac.authorization.k8s.io", NULL, "ClusterRole"},
     {"rbac.authorization.k8s.io", NULL, "RoleBinding"},
     "roleRef/name"},
    {{"rbac.authorization.k8s.io", NULL, "ClusterRole"},
     {"rbac.authorization.k8s.io", NULL, "ClusterRoleBinding"},
     "roleRef/name"},

    {SA, {"rbac.authorization.k8s.io", NULL, "RoleBinding"}, "subjects"},
    {SA, {"rbac.authorization.k8s.io", NULL, "ClusterRoleBinding"}, "subjects"},
    POD_REFS(SA, "serviceAccountName"),

    POD_REFS(PVC, "volumes/persistentVolumeClaim/claimName"),

    {{NULL, "v1", "PersistentVolume"}, K("PersistentVolumeClaim"), "spec/volumeName"},
    {{NULL, "v1", "PersistentVolume"}, K("ClusterRole"), "rules/resourceNames"},

    {{"storage.k8s.io", "v1", "StorageClass"}, K("PersistentVolume"), "spec/storageClassName"},
    {{"storage.k8s.io", "v1", "StorageClass"}, K("PersistentVolumeClaim"), "spec/storageClassName"},
    {{"storage.k8s.io", "v1", "StorageClass"},
     K("StatefulSet"),
     "spec/volumeClaimTemplates/spec/storageClassName"},

    POD_REFS(PRIO, "priorityClassName"),

    /* kustomize's table gives IngressClass the group "networking.k8s.io/v1", which no object
     * has: its references are never updated, and eddy keeps that. */
    {{"networking.k8s.io/v1", "v1", "IngressClass"}, K("Ingress"), "spec/ingressClassName"},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* ---- matching ---- */

static bool part_selected(const char *sel, const char *have, size_t have_len)
{
    return !sel || !*sel || (strlen(sel) == have_len && strncmp(sel, have, have_len) == 0);
}

static bool selected(const gvk_sel *s, const ks_id *id)
{
    return part_selected(s->group, id->group, id->group_len) &&
           part_selected(s->version, id->version, strlen(id->version)) &&
           part_selected(s->kind, id->kind, strlen(id->kind));
}

static bool ns_equal(const char *a, const char *b)
{
    return strcmp(*a ? a : "default", *b ? b : "default") == 0;
}

/* ---- choosing the referral ---- */

struct ctx {
    ks_list *l;
    ks_res *referrer;
    ks_id rid;
    const nameref_spec *spec;
    ks_res **cand; /* the candidates the referrer can see */
    size_t ncand;
    ed_err *err;
};

static bool had_name(const ks_res *r, const char *name)
{
    for (size_t i = 0; i < r->n_old_names; i++)
        if (strcmp(r->old_names[i], name) == 0)
            return true;
    return false;
}

/* The roleRef of a binding names the kind (and group) its name refers to. */
static bool roleref_ok(const struct ctx *c, const ks_id *cid)
{
    if (!ed_str_has_suffix(c->spec->path, "roleRef/name"))
        return true;
    const ed_node *ref = ed_node_get(ed_doc_root(c->referrer->doc), "roleRef");
    const char *group = ed_node_str(ed_node_get(ref, "apiGroup"));
    const char *kind = ed_node_str(ed_node_get(ref, "kind"));
    if (!group || !kind)
        return true;
    gvk_sel s = {group, NULL, kind};
    return selected(&s, cid);
}

static bool same_ns_as_referrer(const struct ctx *c, const ks_id *cid)
{
    if (ks_is_cluster_scoped(&c->rid) || ks_is_cluster_scoped(cid))
        return true;
    if (strcmp(cid->kind, "ServiceAccount") == 0)
        return true;
    return ns_equal(c->rid.ns, cid->ns);
}

/* True when the shorter list equals the end of the longer one (both empty counts). */
static bool same_ending(char **a, size_t na, char **b, size_t nb)
{
    if (na > nb) {
        char **t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    if (na == 0)
        return nb == 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i + nb - na]) != 0)
            return false;
    return true;
}

static bool affixes_equal(const ks_res *a, const ks_res *b)
{
    return same_ending(a->prefixes, a->n_prefixes, b->prefixes, b->n_prefixes) &&
           same_ending(a->suffixes, a->n_suffixes, b->suffixes, b->n_suffixes);
}

static const char *name_of(const ks_res *r)
{
    const char *n = ed_node_path_str(ed_doc_root(r->doc), "/metadata/name");
    return n ? n : "";
}

static const char *ns_of(const ks_res *r)
{
    const char *n = ed_node_path_str(ed_doc_root(r->doc), "/metadata/namespace");
    return n ? n : "";
}

/*
 * Pick the object old_name refers to among cand (n of them; reordered in place). *out is NULL
 * when there is none. with_ns: candidates must also agree on the namespace to count as one.
 */
static int select_referral(struct ctx *c, const char *old_name, ks_res **cand, size_t n,
                           bool with_ns, ks_res **out)
{
    size_t k = 0;
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        /* the name first: it rules out nearly every candidate, without computing its id */
        if (!had_name(cand[i], old_name))
            continue;
        ks_id cid;
        ks_id_of(ed_doc_root(cand[i]->doc), &cid);
        if (selected(&c->spec->target, &cid) && roleref_ok(c, &cid) && same_ns_as_referrer(c, &cid))
            cand[k++] = cand[i];
    }
    if (k == 1) {
        *out = cand[0];
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (affixes_equal(cand[i], c->referrer))
            cand[m++] = cand[i];
    if (m == 0)
        return 0;
    bool identical = true;
    for (size_t i = 1; i < m; i++)
        if (strcmp(name_of(cand[i]), name_of(cand[0])) != 0 ||
            (with_ns && strcmp(ns_of(cand[i]), ns_of(cand[0])) != 0))
            identical = false;
    if (m == 1 || identical) {
        *out = cand[0];
        return 0;
    }
    char *rs = ks_id_string(&c->rid);
    int rc = ed_err_set(c->err, ED_EINVALID,
                        "updating name reference in '%s' field of '%s': found multiple possible "
                        "referrals for '%s' (%s and %s)",
                        c->spec->path, rs, old_name, name_of(cand[0]), name_of(cand[1]));
    free(rs);
    return rc;
}

/* The new name for the reference `old` (NULL when it stays). */
static int new_scalar(struct ctx *c, const char *old, const char **out)
{
    *out = NULL;
    ks_res **cand = ed_xcalloc(c->ncand ? c->ncand : 1, sizeof(*cand));
    memcpy(cand, c->cand, c->ncand * sizeof(*cand));
    ks_res *ref = NULL;
    int rc = select_referral(c, old, cand, c->ncand, false, &ref);
    if (!rc && ref && strcmp(name_of(ref), old) != 0)
        *out = name_of(ref);
    free(cand);
    return rc;
}

/* Candidates originally in namespace ns, or failing any, currently in it. */
static size_t by_namespace(const struct ctx *c, const char *ns, ks_res **out)
{
    size_t k = 0;
    for (int pass = 0; pass < 2 && k == 0; pass++) {
        for (size_t i = 0; i < c->ncand; i++) {
            ks_id cid;
            ks_id_of(ed_doc_root(c->cand[i]->doc), &cid);
            if (ks_is_cluster_scoped(&cid))
                continue;
            const char *cns = pass == 0 ? ks_res_orig_ns(c->cand[i]) : cid.ns;
            if (strcmp(*cns ? cns : "default", ns) == 0)
                out[k++] = c->cand[i];
        }
    }
    return k;
}

static int set_mapping(struct ctx *c, ed_doc *doc, ed_node *map)
{
    const char *old = ed_node_str(ed_node_get(map, "name"));
    if (!ed_node_get(map, "name")) {
        char *rs = ks_id_string(&c->rid);
        int rc = ed_err_set(c->err, ED_EINVALID,
                            "updating name reference in '%s' field of '%s': no 'name' field in "
                            "the reference",
                            c->spec->path, rs);
        free(rs);
        return rc;
    }
    if (!old)
        return 0;
    ks_res **cand = ed_xcalloc(c->ncand ? c->ncand : 1, sizeof(*cand));
    size_t n;
    const ed_node *nsn = ed_node_get(map, "namespace");
    if (nsn) {
        const char *ns = ed_node_str(nsn);
        n = by_namespace(c, ns ? ns : "", cand);
    } else {
        memcpy(cand, c->cand, c->ncand * sizeof(*cand));
        n = c->ncand;
    }
    ks_res *ref = NULL;
    int rc = select_referral(c, old, cand, n, true, &ref);
    if (!rc && ref && !(strcmp(name_of(ref), old) == 0 && !*ns_of(ref))) {
        ed_node_set(doc, map, "name", ed_node_new_str(doc, name_of(ref)));
        if (*ns_of(ref))
            ed_node_set(doc, map, "namespace", ed_node_new_str(doc, ns_of(ref)));
    }
    free(cand);
    return rc;
}

/* A list of names and mappings holding one: the mappings change in place, and the list is
 * rebuilt when a name in it changes. */
static int set_list(struct ctx *c, ed_doc *doc, ed_node *parent, const char *key, ed_node *seq)
{
    bool changed = false;
    const char **names = ed_xcalloc(ed_node_len(seq) + 1, sizeof(*names));
    int rc = 0;
    for (size_t i = 0; i < ed_node_len(seq) && !rc; i++) {
        ed_node *item = ed_node_at(seq, i);
        if (ed_node_kind_of(item) == ED_NODE_STR)
            rc = new_scalar(c, ed_node_str(item), &names[i]);
        else if (ed_node_kind_of(item) == ED_NODE_MAP)
            rc = set_mapping(c, doc, item);
        changed = changed || names[i];
    }
    if (!rc && changed) {
        ed_node *out = ed_node_new_seq(doc);
        for (size_t i = 0; i < ed_node_len(seq); i++)
            ed_node_append(doc, out,
                           names[i] ? ed_node_new_str(doc, names[i])
                                    : ed_node_copy(doc, ed_node_at(seq, i)));
        ed_node_set(doc, parent, key, out);
    }
    free(names);
    return rc;
}

/* The value found at the end of a path: a name, a mapping holding one, or a list of either. */
static int set_value(struct ctx *c, ed_doc *doc, ed_node *parent, const char *key, ed_node *v)
{
    const char *name = NULL;
    int rc = 0;
    switch (ed_node_kind_of(v)) {
    case ED_NODE_STR:
        rc = new_scalar(c, ed_node_str(v), &name);
        if (!rc && name)
            ed_node_set(doc, parent, key, ed_node_new_str(doc, name));
        return rc;
    case ED_NODE_MAP:
        return set_mapping(c, doc, v);
    case ED_NODE_SEQ:
        return set_list(c, doc, parent, key, v);
    default:
        return 0;
    }
}

/* The next key of path (with "\/" unescaped) into key; returns the rest or NULL at the end. */
static const char *next_key(const char *path, char *key, size_t cap)
{
    size_t k = 0;
    const char *p = path;
    for (; *p && *p != '/'; p++) {
        if (p[0] == '\\' && p[1] == '/')
            p++;
        if (k + 1 < cap)
            key[k++] = *p;
    }
    key[k] = '\0';
    return *p == '/' ? p + 1 : NULL;
}

static int walk(struct ctx *c, ed_doc *doc, ed_node *node, const char *path)
{
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++) {
            int rc = walk(c, doc, ed_node_at(node, i), path);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return 0;
    char key[256];
    const char *rest = next_key(path, key, sizeof(key));
    ed_node *child = ed_node_get(node, key);
    if (!child || ed_node_kind_of(child) == ED_NODE_NULL)
        return 0;
    if (!rest)
        return set_value(c, doc, node, key, child);
    return walk(c, doc, child, rest);
}

/* ---- the candidates a referrer can see ---- */

static bool in_subject_namespaces(const ks_res *referrer, const ks_id *rid, const char *ns)
{
    if (strcmp(rid->kind, "RoleBinding") != 0)
        return false;
    const ed_node *subjects = ed_node_get(ed_doc_root(referrer->doc), "subjects");
    for (size_t i = 0; i < ed_node_len(subjects); i++) {
        const ed_node *s = ed_node_at(subjects, i);
        const char *kind = ed_node_str(ed_node_get(s, "kind"));
        const char *sns = ed_node_str(ed_node_get(s, "namespace"));
        if (kind && sns && strcmp(kind, "ServiceAccount") == 0 && strcmp(sns, ns) == 0)
            return true;
    }
    return false;
}

/* The ids of a list's items and whether each is cluster-scoped, computed once for a whole
 * pass over the referrers (per referrer, they would make the pass quadratic in ks_id_of). */
struct ids {
    ks_id *id;
    bool *cluster;
};

static void ids_set(struct ids *ids, size_t i, const ks_id *id)
{
    ids->id[i] = *id;
    ids->cluster[i] = ks_is_cluster_scoped(id);
}

static size_t visible(const ks_list *l, const struct ids *ids, const ks_res *referrer,
                      const ks_id *rid, ks_res **out)
{
    size_t k = 0;
    bool all = ks_is_cluster_scoped(rid);
    for (size_t i = 0; i < l->len; i++) {
        const ks_id *id = &ids->id[i];
        if (all || ids->cluster[i] || ns_equal(id->ns, rid->ns) ||
            in_subject_namespaces(referrer, rid, id->ns))
            out[k++] = &l->items[i];
    }
    return k;
}

static bool anything_renamed(const ks_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].n_old_names > 0)
            return true;
    return false;
}

int ks_fix_name_refs(ks_list *l, ed_err *err)
{
    /* only renamed objects can be referral targets: nothing to do without any */
    if (!anything_renamed(l))
        return 0;
    ks_res **cand = ed_xcalloc(l->len, sizeof(*cand));
    struct ids ids = {ed_xcalloc(l->len, sizeof(ks_id)), ed_xcalloc(l->len, sizeof(bool))};
    for (size_t i = 0; i < l->len; i++) {
        ks_id id;
        ks_id_of(ed_doc_root(l->items[i].doc), &id);
        ids_set(&ids, i, &id);
    }
    int rc = 0;
    for (size_t i = 0; i < l->len && !rc; i++) {
        /* Walks change only their referrer's document: the other ids stay as computed. */
        struct ctx c = {.l = l, .referrer = &l->items[i], .cand = cand, .err = err};
        c.rid = ids.id[i];
        c.ncand = visible(l, &ids, c.referrer, &c.rid, cand);
        for (size_t t = 0; t < NTABLE && !rc; t++) {
            if (!selected(&table[t].referrer, &c.rid))
                continue;
            c.spec = &table[t];
            rc = walk(&c, c.referrer->doc, ed_doc_root(c.referrer->doc), table[t].path);
            /* the referrer's own id may have been part of the path walked: refresh it */
            ks_id_of(ed_doc_root(c.referrer->doc), &c.rid);
        }
        ids_set(&ids, i, &c.rid);
    }
    free(ids.id);
    free(ids.cluster);
    free(cand);
    return rc;
}

/* For the unit tests: the number of entries of the table and whether entry i maps the
 * referrer kind and path to the target kind. */
size_t ks_nameref_table_len(void)
{
    return NTABLE;
}

bool ks_nameref_table_has(const char *target_kind, const char *referrer_kind, const char *path)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (strcmp(table[i].target.kind, target_kind) == 0 &&
            strcmp(table[i].referrer.kind, referrer_kind) == 0 && strcmp(table[i].path, path) == 0)
            return true;
    return false;
}
