/*
 * kustomize's built-in transformers for the fields of a kustomization, applied in kustomize's
 * order: namespace, namePrefix, nameSuffix, labels (commonLabels, then labels), annotations,
 * replicas, images.
 *
 * Where each one writes follows kustomize's field-spec tables (the "commonLabels",
 * "commonAnnotations", "namePrefix", "replicas" and "namespace" configurations built into
 * kustomize): a field spec names a kind (optionally its group and version), a path of mapping
 * keys in which a sequence is walked element by element, and whether missing mappings are
 * created. The tables are written out here as data; the build's transformer configuration
 * (config) adds the field specs that `crds` declare (crds.c): more places for commonLabels and
 * selector labels, for commonAnnotations, and string fields that take the namePrefix (kustomize's
 * x-kubernetes-identity: the prefix only, never the suffix), and those of `configurations`
 * (config.c): places of every transformer, replicas' merged with kustomize's defaults as
 * kustomize merges them.
 */
#include "kustomize_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>
#include <string.h>

/* ---- ids ---- */

void ks_id_of(const ed_node *obj, ks_id *id)
{
    const char *av = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *slash = av ? strchr(av, '/') : NULL;
    /* apiVersion is "group/version", or just "version" for the core group */
    id->group = slash ? av : "";
    id->group_len = slash ? (size_t)(slash - av) : 0;
    id->version = slash ? slash + 1 : av ? av : "";
    id->kind = kind ? kind : "";
    id->name = name ? name : "";
    id->ns = ns ? ns : "";
}

char *ks_id_string(const ks_id *id)
{
    return ed_xasprintf("%s.%s.%.*s%s/%s.%s", id->kind, *id->version ? id->version : "[noVer]",
                        (int)id->group_len, id->group, id->group_len ? "" : "[noGrp]", id->name,
                        *id->ns ? id->ns : "[noNs]");
}

static bool group_is(const ks_id *id, const char *group)
{
    return strlen(group) == id->group_len && strncmp(id->group, group, id->group_len) == 0;
}

/* Built-in kinds kustomize's OpenAPI data marks cluster-scoped, by group ("" for the core
 * group, which must also be version v1: kustomize looks the kind up by apiVersion, so a
 * `v2 Namespace` is treated as namespaced). */
static const struct {
    const char *group, *kind;
} cluster_scoped[] = {
    {"", "Namespace"},
    {"", "Node"},
    {"", "PersistentVolume"},
    {"", "ComponentStatus"},
    {"rbac.authorization.k8s.io", "ClusterRole"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
    {"apiextensions.k8s.io", "CustomResourceDefinition"},
    {"apiregistration.k8s.io", "APIService"},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
    {"storage.k8s.io", "StorageClass"},
    {"storage.k8s.io", "CSIDriver"},
    {"storage.k8s.io", "CSINode"},
    {"storage.k8s.io", "VolumeAttachment"},
    {"scheduling.k8s.io", "PriorityClass"},
    {"node.k8s.io", "RuntimeClass"},
    {"networking.k8s.io", "IngressClass"},
    {"policy", "PodSecurityPolicy"},
    {"certificates.k8s.io", "CertificateSigningRequest"},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
    {"authentication.k8s.io", "TokenReview"},
    {"authorization.k8s.io", "SelfSubjectAccessReview"},
    {"authorization.k8s.io", "SelfSubjectRulesReview"},
    {"authorization.k8s.io", "SubjectAccessReview"},
};

bool ks_is_cluster_scoped(const ks_id *id)
{
    for (size_t i = 0; i < sizeof(cluster_scoped) / sizeof(cluster_scoped[0]); i++) {
        if (strcmp(cluster_scoped[i].kind, id->kind) != 0 || !group_is(id, cluster_scoped[i].group))
            continue;
        if (!*cluster_scoped[i].group && strcmp(id->version, "v1") != 0)
            continue;
        return true;
    }
    return false;
}

/* ---- field specs ---- */

typedef struct field_spec {
    const char *group; /* NULL: any */
    const char *version;
    const char *kind; /* NULL: every kind */
    const char *path;
    bool create;
} field_spec;

static bool spec_matches(const field_spec *fs, const ks_id *id)
{
    if (fs->kind && strcmp(fs->kind, id->kind) != 0)
        return false;
    if (fs->group && !group_is(id, fs->group))
        return false;
    if (fs->version && strcmp(fs->version, id->version) != 0)
        return false;
    return true;
}

/* The pod-template label places (kustomize's metadataLabels field specs, less metadata/labels). */
#define TEMPLATE_SPECS(field)                                                                      \
    {NULL, "v1", "ReplicationController", "spec/template/metadata/" field, true},                  \
        {NULL, NULL, "Deployment", "spec/template/metadata/" field, true},                         \
        {NULL, NULL, "ReplicaSet", "spec/template/metadata/" field, true},                         \
        {NULL, NULL, "DaemonSet", "spec/template/metadata/" field, true},                          \
        {"apps", NULL, "StatefulSet", "spec/template/metadata/" field, true},                      \
        {"batch", NULL, "Job", "spec/template/metadata/" field, true},                             \
        {"batch", NULL, "CronJob", "spec/jobTemplate/metadata/" field, true},                      \
    {                                                                                              \
        "batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/" field, true           \
    }

static const field_spec meta_labels[] = {{NULL, NULL, NULL, "metadata/labels", true}};
static const field_spec template_labels[] = {TEMPLATE_SPECS("labels")};
static const field_spec annotation_specs[] = {{NULL, NULL, NULL, "metadata/annotations", true},
                                              TEMPLATE_SPECS("annotations")};

#define AFFINITY(kind)                                                                             \
    {"apps", NULL, kind,                                                                           \
     "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/"    \
     "podAffinityTerm/labelSelector/matchLabels",                                                  \
     false},                                                                                       \
        {"apps", NULL, kind,                                                                       \
         "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/" \
         "labelSelector/matchLabels",                                                              \
         false},                                                                                   \
        {"apps", NULL, kind,                                                                       \
         "spec/template/spec/affinity/podAntiAffinity/"                                            \
         "preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/"          \
         "matchLabels",                                                                            \
         false},                                                                                   \
        {"apps", NULL, kind,                                                                       \
         "spec/template/spec/affinity/podAntiAffinity/"                                            \
         "requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",               \
         false},                                                                                   \
    {                                                                                              \
        "apps", NULL, kind,                                                                        \
            "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false        \
    }

/* Selectors and other places that must carry a label for the workload to keep selecting its
 * pods (kustomize's commonLabels field specs beyond the metadata ones). */
static const field_spec selector_labels[] = {
    {NULL, "v1", "Service", "spec/selector", true},
    {NULL, "v1", "ReplicationController", "spec/selector", true},
    {NULL, NULL, "Deployment", "spec/selector/matchLabels", true},
    AFFINITY("Deployment"),
    {NULL, NULL, "ReplicaSet", "spec/selector/matchLabels", true},
    {NULL, NULL, "DaemonSet", "spec/selector/matchLabels", true},
    {"apps", NULL, "StatefulSet", "spec/selector/matchLabels", true},
    {"apps", NULL, "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true},
    AFFINITY("StatefulSet"),
    {"batch", NULL, "Job", "spec/selector/matchLabels", false},
    {"batch", NULL, "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false},
    {"policy", NULL, "PodDisruptionBudget", "spec/selector/matchLabels", false},
    {"networking.k8s.io", NULL, "NetworkPolicy", "spec/podSelector/matchLabels", false},
    {"networking.k8s.io", NULL, "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels",
     false},
    {"networking.k8s.io", NULL, "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false},
};

#define NSPECS(a) (sizeof(a) / sizeof((a)[0]))

struct setter {
    const ed_node *pairs; /* string map to merge into the target mapping */
    const char *kfile;
    const char *field;
    ed_err *err;
};

/* kustomize walks a field spec's path through mappings and sequences only: a scalar on the
 * way is an error (a null ends the walk quietly). */
static int not_walkable(const ed_node *node, const char *path, const char *kfile, const char *field,
                        ed_err *err)
{
    const char *kind = ed_node_kind_name(ed_node_kind_of(node));
    return ed_err_set(err, ED_EINVALID,
                      "%s: %s: expected a sequence or mapping before '%s', found %s %s", kfile,
                      field, path, strchr("aeiou", kind[0]) ? "an" : "a", kind);
}

/* Merge pairs into the mapping at path below node, walking sequences element by element and
 * creating missing mappings when create is set. */
static int apply_path(ed_doc *doc, ed_node *node, const char *path, bool create,
                      const struct setter *st)
{
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++) {
            int rc = apply_path(doc, ed_node_at(node, i), path, create, st);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (ed_node_kind_of(node) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return not_walkable(node, path, st->kfile, st->field, st->err);
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    char key[128];
    if (n >= sizeof(key))
        return 0;
    memcpy(key, path, n);
    key[n] = '\0';
    bool is_list = n > 2 && strcmp(key + n - 2, "[]") == 0;
    if (is_list)
        key[n - 2] = '\0';
    ed_node *child = ed_node_get(node, key);
    if (!slash) {
        /* the target mapping */
        if (!child || ed_node_kind_of(child) == ED_NODE_NULL) {
            if (!create)
                return 0;
            child = ed_node_new_map(doc);
            ed_node_set(doc, node, key, child);
        }
        if (ed_node_kind_of(child) != ED_NODE_MAP)
            return ed_err_set(st->err, ED_EINVALID,
                              "%s: %s: expected a mapping at '%s', found a %s", st->kfile,
                              st->field, key, ed_node_kind_name(ed_node_kind_of(child)));
        for (size_t i = 0; i < ed_node_len(st->pairs); i++)
            ed_node_set(doc, child, ed_node_key_at(st->pairs, i),
                        ed_node_copy(doc, ed_node_value_at(st->pairs, i)));
        return 0;
    }
    if (!child || ed_node_kind_of(child) == ED_NODE_NULL) {
        if (!create || is_list)
            return 0;
        child = ed_node_new_map(doc);
        ed_node_set(doc, node, key, child);
    }
    return apply_path(doc, child, slash + 1, create, st);
}

static int apply_specs(ed_doc *doc, const ks_id *id, const field_spec *specs, size_t n,
                       const struct setter *st)
{
    for (size_t i = 0; i < n; i++) {
        if (!spec_matches(&specs[i], id))
            continue;
        if (!specs[i].path || !*specs[i].path) {
            /* (a plugin's fieldSpec without a path) kustomize's words */
            char *ids = ks_id_string(id);
            int rc = ed_err_set(st->err, ED_EINVALID,
                                "%s: %s: considering field '' of object %s: cannot set or create "
                                "an empty field name",
                                st->kfile, st->field, ids);
            free(ids);
            return rc;
        }
        int rc = apply_path(doc, ed_doc_root(doc), specs[i].path, specs[i].create, st);
        if (rc)
            return rc;
    }
    return 0;
}

/* The field specs of config's section (commonLabels, commonAnnotations, namePrefix), as a new
 * array the caller frees (NULL when there are none); strings borrowed from config. */
static field_spec *specs_of(const ed_node *list, size_t *n);

static field_spec *config_specs(const ed_doc *config, const char *section, size_t *n)
{
    return specs_of(config ? ed_node_get(ed_doc_root(config), section) : NULL, n);
}

/* A list of field specs ({group, version, kind, path, create}) as a new array (strings
 * borrowed from list); NULL when empty. */
static field_spec *specs_of(const ed_node *list, size_t *n)
{
    *n = ed_node_len(list);
    if (*n == 0)
        return NULL;
    field_spec *specs = ed_xcalloc(*n, sizeof(*specs));
    for (size_t i = 0; i < *n; i++) {
        const ed_node *fs = ed_node_at(list, i);
        const char *group = ed_node_str(ed_node_get(fs, "group"));
        const char *version = ed_node_str(ed_node_get(fs, "version"));
        const char *kind = ed_node_str(ed_node_get(fs, "kind"));
        specs[i].group = group && *group ? group : NULL;
        specs[i].version = version && *version ? version : NULL;
        specs[i].kind = kind && *kind ? kind : NULL;
        specs[i].path = ed_node_str(ed_node_get(fs, "path"));
        ed_node_bool(ed_node_get(fs, "create"), &specs[i].create);
    }
    return specs;
}

/* Add prefix and suffix to the string at path below node (sequences walked element by element;
 * with create, a missing field is made, holding the two alone): a field that holds another
 * object's name, which takes the namePrefix (field is "namePrefix") or nameSuffix with it. */
static int affix_path(ed_doc *doc, ed_node *node, const char *path, const char *prefix,
                      const char *suffix, bool create, const char *field, const char *kfile,
                      ed_err *err)
{
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++) {
            int rc = affix_path(doc, ed_node_at(node, i), path, prefix, suffix, create, field,
                                kfile, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (ed_node_kind_of(node) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return not_walkable(node, path, kfile, field, err);
    const char *slash = strchr(path, '/');
    char *key = slash ? ed_xstrndup(path, (size_t)(slash - path)) : ed_xstrdup(path);
    ed_node *child = ed_node_get(node, key);
    int rc = 0;
    if (!child && create) {
        child = slash ? ed_node_new_map(doc) : ed_node_new_str(doc, "");
        ed_node_set(doc, node, key, child);
    }
    if (child && slash) {
        rc = affix_path(doc, child, slash + 1, prefix, suffix, create, field, kfile, err);
    } else if (child && ed_node_kind_of(child) == ED_NODE_STR) {
        char *name = ed_xasprintf("%s%s%s", prefix, ed_node_str(child), suffix);
        ed_node_set(doc, node, key, ed_node_new_str(doc, name));
        free(name);
    } else if (child) {
        /* kustomize affixes any scalar as it was written (`null`, `~`, `0x10`), a spelling
         * eddy's document model does not keep: refused rather than guessed. */
        const char *kind = ed_node_kind_name(ed_node_kind_of(child));
        rc = ed_err_set(err, ED_EINVALID, "%s: %s: expected a string at '%s', found %s %s", kfile,
                        field, key, strchr("aeiou", kind[0]) ? "an" : "a", kind);
    }
    free(key);
    return rc;
}

/* Set the scalar at path below node to a value made by make (sequences walked element by
 * element, "[]" after a key ignored): where the field exists, or, with create, where the mappings
 * up to it exist or can be made: kustomize's field spec filter, for namespace and replicas. make
 * makes the value from ctx. With keep_set, a field that holds a non-empty value is left alone
 * (the NamespaceTransformer's unsetOnly). */
typedef ed_node *(*value_fn)(ed_doc *doc, const void *ctx);

static bool put_path(ed_doc *doc, ed_node *node, const char *path, bool create, bool keep_set,
                     value_fn make, const void *ctx, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH || ed_node_kind_of(node) == ED_NODE_NULL)
        return true;
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        bool ok = true;
        for (size_t i = 0; i < ed_node_len(node) && ok; i++)
            ok = put_path(doc, ed_node_at(node, i), path, create, keep_set, make, ctx, depth + 1);
        return ok;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return false; /* kustomize: "expected sequence or mapping node" */
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    char *key = ed_xstrndup(path, n);
    if (n >= 2 && strcmp(key + n - 2, "[]") == 0)
        key[n - 2] = '\0';
    ed_node *child = ed_node_get(node, key);
    bool ok = true;
    if (slash) {
        if ((!child || ed_node_kind_of(child) == ED_NODE_NULL) && create) {
            child = ed_node_new_map(doc);
            ed_node_set(doc, node, key, child);
        }
        if (child)
            ok = put_path(doc, child, slash + 1, create, keep_set, make, ctx, depth + 1);
    } else if (keep_set && child && ed_node_kind_of(child) != ED_NODE_NULL &&
               !(ed_node_str(child) && !*ed_node_str(child))) {
        /* set already: unsetOnly leaves it */
    } else if (child || create) {
        ed_node_set(doc, node, key, make(doc, ctx));
    }
    free(key);
    return ok;
}

/* kustomize's error for a field spec's path that meets a scalar on its way. */
static int path_blocked(const char *kfile, const char *field, const char *path, const ks_id *id,
                        ed_err *err)
{
    char *ids = ks_id_string(id);
    int rc = ed_err_set(err, ED_EINVALID,
                        "%s: %s: considering field '%s' of object %s: expected sequence or "
                        "mapping node",
                        kfile, field, path, ids);
    free(ids);
    return rc;
}

static ed_node *value_str(ed_doc *doc, const void *ctx)
{
    return ed_node_new_str(doc, ctx);
}

static ed_node *value_int(ed_doc *doc, const void *ctx)
{
    return ed_node_new_int(doc, *(const int64_t *)ctx);
}

/* Does every group, version and kind x names match s's (a field spec x would merge with)? */
static bool spec_covers(const field_spec *x, const field_spec *s)
{
    return (!x->group || (s->group && strcmp(x->group, s->group) == 0)) &&
           (!x->version || (s->version && strcmp(x->version, s->version) == 0)) &&
           (!x->kind || (s->kind && strcmp(x->kind, s->kind) == 0));
}

/* Merge defaults into *specs (*n of them, room for cap) as kustomize's FsSlice.MergeAll does:
 * a default whose path and kind (as far as it names one) an entry already has is left out, or
 * an error when their `create` differ. */
static int merge_specs(field_spec *specs, size_t *n, const field_spec *defaults, size_t nd,
                       size_t k, const char *kfile, ed_err *err)
{
    for (size_t d = 0; d < nd; d++) {
        size_t i = 0;
        while (i < *n && !(specs[i].path && strcmp(specs[i].path, defaults[d].path) == 0 &&
                           spec_covers(&defaults[d], &specs[i])))
            i++;
        if (i == *n)
            specs[(*n)++] = defaults[d];
        else if (specs[i].create != defaults[d].create)
            return ed_err_set(err, ED_EINVALID,
                              "%s: labels[%zu].fields: conflicting fieldspecs: '%s' is already a "
                              "label field with create %s",
                              kfile, k, specs[i].path, defaults[d].create ? "true" : "false");
    }
    return 0;
}

/* The field specs of a labels entry: its own fields, then kustomize's defaults for it
 * (metadata, and the templates or every commonLabels place), merged. A new array in *out. */
static int label_specs(const ed_node *entry, const ed_doc *config, const field_spec *crd,
                       size_t n_crd, size_t k, const char *kfile, field_spec **out, size_t *n,
                       ed_err *err)
{
    bool selectors = false, templates = false;
    ed_node_bool(ed_node_get(entry, "includeSelectors"), &selectors);
    ed_node_bool(ed_node_get(entry, "includeTemplates"), &templates);
    size_t n_fields = 0, n_config = 0, n_templates = 0;
    field_spec *fields = specs_of(ed_node_get(entry, "fields"), &n_fields);
    /* the configurations' labels specs go with every entry, their templateLabels with those
     * that include templates but not selectors (selectors bring commonLabels' instead) */
    field_spec *config_labels = config_specs(config, "labels", &n_config);
    field_spec *config_templates = config_specs(config, "templateLabels", &n_templates);
    size_t cap = n_fields + n_config + n_templates + NSPECS(meta_labels) + NSPECS(template_labels) +
                 NSPECS(selector_labels) + n_crd;
    field_spec *specs = ed_xcalloc(cap, sizeof(*specs));
    if (n_fields)
        memcpy(specs, fields, n_fields * sizeof(*specs));
    free(fields);
    *n = n_fields;
    int rc = merge_specs(specs, n, config_labels, n_config, k, kfile, err);
    if (!rc)
        rc = merge_specs(specs, n, meta_labels, NSPECS(meta_labels), k, kfile, err);
    if (!rc && (selectors || templates))
        rc = merge_specs(specs, n, template_labels, NSPECS(template_labels), k, kfile, err);
    if (!rc && templates && !selectors)
        rc = merge_specs(specs, n, config_templates, n_templates, k, kfile, err);
    free(config_labels);
    free(config_templates);
    if (!rc && selectors)
        rc = merge_specs(specs, n, selector_labels, NSPECS(selector_labels), k, kfile, err);
    if (!rc && selectors)
        rc = merge_specs(specs, n, crd, n_crd, k, kfile, err);
    if (rc) {
        free(specs);
        specs = NULL;
        *n = 0;
    }
    *out = specs;
    return rc;
}

/* ---- the transformers ---- */

static void set_str(ed_doc *doc, ed_node *map, const char *key, const char *value)
{
    ed_node_set(doc, map, key, ed_node_new_str(doc, value));
}

/* Give r the namespace ns: its metadata and kustomize's built-in places, then the places of
 * the configurations' namespace field specs (specs, n of them) that select it. */
static int namespace_one(ks_res *r, const char *ns, const field_spec *specs, size_t n,
                         const char *kfile, ed_err *err)
{
    ed_doc *doc = r->doc;
    ed_node *root = ed_doc_root(doc);
    ks_res_store_prev(r);
    ks_id id;
    ks_id_of(root, &id);
    /* kustomize renames a v1 Namespace object to the namespace itself. */
    if (strcmp(id.kind, "Namespace") == 0 && id.group_len == 0 && strcmp(id.version, "v1") == 0)
        set_str(doc, ed_node_ensure_map(doc, root, "metadata"), "name", ns);
    if (!ks_is_cluster_scoped(&id))
        set_str(doc, ed_node_ensure_map(doc, root, "metadata"), "namespace", ns);
    /* kustomize's namespace field specs also give an APIService's service the namespace,
     * creating the field. */
    if (strcmp(id.kind, "APIService") == 0 && group_is(&id, "apiregistration.k8s.io")) {
        ed_node *svc = ed_node_ensure_map(doc, root, "spec/service");
        if (svc)
            set_str(doc, svc, "namespace", ns);
    }
    /* ... and a CustomResourceDefinition's conversion webhook service the namespace, only
     * where it is already set (that field spec does not create it). */
    if (strcmp(id.kind, "CustomResourceDefinition") == 0 && group_is(&id, "apiextensions.k8s.io")) {
        ed_node *svc = ed_node_path(root, "/spec/conversion/webhook/clientConfig/service");
        if (ed_node_kind_of(svc) == ED_NODE_MAP && ed_node_get(svc, "namespace"))
            set_str(doc, svc, "namespace", ns);
    }
    /* RoleBinding and ClusterRoleBinding subjects named "default" follow the namespace. */
    if (strcmp(id.kind, "RoleBinding") == 0 || strcmp(id.kind, "ClusterRoleBinding") == 0) {
        ed_node *subjects = ed_node_get(root, "subjects");
        for (size_t i = 0; i < ed_node_len(subjects); i++) {
            ed_node *s = ed_node_at(subjects, i);
            const char *name = ed_node_str(ed_node_get(s, "name"));
            if (ed_node_kind_of(s) == ED_NODE_MAP && name && strcmp(name, "default") == 0)
                set_str(doc, s, "namespace", ns);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (specs[i].path && spec_matches(&specs[i], &id) &&
            !put_path(doc, root, specs[i].path, specs[i].create, false, value_str, ns, 0)) {
            ks_id now; /* kustomize names the object with its new namespace */
            ks_id_of(root, &now);
            return path_blocked(kfile, "namespace transformation failed", specs[i].path, &now, err);
        }
    return 0;
}

/* Rename r with prefix and suffix, then prefix the fields of the namePrefix field specs (the
 * CRDs' x-kubernetes-identity and the configurations', n_pre of them) that select it, and suffix
 * those of the nameSuffix specs. As in kustomize, a spec of metadata/name prefixes the name once
 * more, and counts as one more prefix of the object's. */
static int rename_one(ks_res *r, const char *prefix, const char *suffix, const field_spec *pre,
                      size_t n_pre, const field_spec *suf, size_t n_suf, const char *kfile,
                      ed_err *err)
{
    ed_node *root = ed_doc_root(r->doc);
    ks_id id;
    ks_id_of(root, &id);
    /* kustomize leaves the names of these alone: they are fixed by the API. */
    if (strcmp(id.kind, "Namespace") == 0 || strcmp(id.kind, "CustomResourceDefinition") == 0 ||
        (strcmp(id.kind, "APIService") == 0 && group_is(&id, "apiregistration.k8s.io")))
        return 0;
    char *newname = ed_xasprintf("%s%s%s", prefix, id.name, suffix);
    ks_res_store_prev(r);
    ks_res_add_prefix(r, prefix);
    ks_res_add_suffix(r, suffix);
    set_str(r->doc, ed_node_ensure_map(r->doc, root, "metadata"), "name", newname);
    free(newname);
    int rc = 0;
    for (size_t i = 0; i < n_pre && !rc && *prefix; i++) {
        if (!pre[i].path || !spec_matches(&pre[i], &id))
            continue;
        rc = affix_path(r->doc, root, pre[i].path, prefix, "", pre[i].create, "namePrefix", kfile,
                        err);
        if (strcmp(pre[i].path, "metadata/name") == 0)
            ks_res_add_prefix(r, prefix);
    }
    for (size_t i = 0; i < n_suf && !rc && *suffix; i++)
        if (suf[i].path && spec_matches(&suf[i], &id))
            rc = affix_path(r->doc, root, suf[i].path, "", suffix, suf[i].create, "nameSuffix",
                            kfile, err);
    return rc;
}

/* kustomize's default replicas field specs. */
static const field_spec replica_specs[] = {
    {NULL, NULL, "Deployment", "spec/replicas", true},
    {NULL, NULL, "ReplicationController", "spec/replicas", true},
    {NULL, NULL, "ReplicaSet", "spec/replicas", true},
    {NULL, NULL, "StatefulSet", "spec/replicas", true},
};

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Does sel's group, version and kind (each empty one a wildcard) select x's? */
static bool spec_selected_by(const field_spec *x, const field_spec *sel)
{
    return (!sel->group || str_eq(x->group, sel->group)) &&
           (!sel->version || str_eq(x->version, sel->version)) &&
           (!sel->kind || str_eq(x->kind, sel->kind));
}

/* kustomize's order of field specs: by the kind's rank, then by "group_version_kind" with "~G",
 * "~V" and "~K" for the empty parts. */
static int spec_compare(const field_spec *a, const field_spec *b)
{
    int ra = ks_kind_rank(a->kind ? a->kind : ""), rb = ks_kind_rank(b->kind ? b->kind : "");
    if (ra != rb)
        return ra < rb ? -1 : 1;
    char *sa = ed_xasprintf("%s_%s_%s", a->group ? a->group : "~G", a->version ? a->version : "~V",
                            a->kind ? a->kind : "~K");
    char *sb = ed_xasprintf("%s_%s_%s", b->group ? b->group : "~G", b->version ? b->version : "~V",
                            b->kind ? b->kind : "~K");
    int c = strcmp(sa, sb);
    free(sa);
    free(sb);
    return c;
}

static void specs_sort(field_spec *specs, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && spec_compare(&specs[j], &specs[j - 1]) < 0; j--) {
            field_spec t = specs[j];
            specs[j] = specs[j - 1];
            specs[j - 1] = t;
        }
}

/* Merge x into specs as kustomize's FsSlice.MergeOne: left out when a spec of the same path
 * that x's group, version and kind select is there already (false when their create
 * differ: kustomize's "conflicting fieldspecs"). */
static bool specs_merge_one(field_spec *specs, size_t *n, const field_spec *x)
{
    for (size_t i = 0; i < *n; i++)
        if (str_eq(specs[i].path, x->path) && spec_selected_by(&specs[i], x))
            return specs[i].create == x->create;
    specs[(*n)++] = *x;
    return true;
}

/* The replicas field specs kustomize uses: its defaults merged with the configurations' (extra,
 * n_extra), sorted, then merged once more into the (empty) accumulated configuration, where a
 * spec that selects a later one of the same path takes its place. A new array in *out. */
static int replica_field_specs(const field_spec *extra, size_t n_extra, const char *kfile,
                               field_spec **out, size_t *n, ed_err *err)
{
    size_t cap = NSPECS(replica_specs) + n_extra, m = 0;
    field_spec *merged = ed_xcalloc(cap, sizeof(*merged));
    field_spec *specs = ed_xcalloc(cap, sizeof(*specs));
    bool ok = true;
    *n = 0;
    for (size_t i = 0; i < NSPECS(replica_specs); i++)
        merged[m++] = replica_specs[i];
    for (size_t i = 0; i < n_extra && ok; i++)
        ok = extra[i].path && specs_merge_one(merged, &m, &extra[i]);
    specs_sort(merged, m);
    for (size_t i = 0; i < m && ok; i++)
        ok = specs_merge_one(specs, n, &merged[i]);
    specs_sort(specs, *n);
    free(merged);
    if (!ok) {
        free(specs);
        *out = NULL;
        *n = 0;
        return ed_err_set(err, ED_EINVALID,
                          "%s: failed to merge Replicas fieldSpec: conflicting fieldspecs", kfile);
    }
    *out = specs;
    return 0;
}

/* "Kind.version.group" with kustomize's placeholders, as its replicas error lists them. */
static void gvk_append(ed_buf *b, const field_spec *fs)
{
    ed_buf_printf(b, "%s%s.%s.%s", b->len ? " " : "", fs->kind ? fs->kind : "[noKind]",
                  fs->version ? fs->version : "[noVer]", fs->group ? fs->group : "[noGrp]");
}

static bool res_has_name(const ks_res *r, const char *name)
{
    const char *cur = ed_node_path_str(ed_doc_root(r->doc), "/metadata/name");
    if (cur && strcmp(cur, name) == 0)
        return true;
    for (size_t i = 0; i < r->n_old_names; i++)
        if (strcmp(r->old_names[i], name) == 0)
            return true;
    return false;
}

/* One `images` entry, as kustomize's image tag transformer holds it. */
struct image_entry {
    const char *new_name, *new_tag, *digest, *tag_suffix; /* NULL when absent or empty */
    pcre2_code *re;                                       /* the entry's name, as kustomize's */
    pcre2_match_data *md;
};

static const char *nonempty(const ed_node *n)
{
    const char *s = ed_node_str(n);
    return s && *s ? s : NULL;
}

/* Does image match the entry? kustomize reads the entry's name as a regular expression,
 * followed by an optional tag and an optional sha256 digest: "^NAME(:TAG)?(@sha256:DIGEST)?$". */
static bool image_matches(const struct image_entry *e, const char *image)
{
    return pcre2_match(e->re, (PCRE2_SPTR)image, strlen(image), 0, 0, e->md, NULL) >= 0;
}

/* Split an image reference into name, tag and digest as kustomize does: the first ':' and '@'
 * after the first '/' (a registry's port is not a tag) separate them. Lengths into image. */
static void image_split(const char *image, size_t *name_len, const char **tag, size_t *tag_len,
                        const char **digest)
{
    const char *slash = strchr(image, '/');
    const char *search = slash && slash != image ? slash : image;
    const char *at = strchr(search, '@');
    const char *colon = strchr(search, ':');
    *tag = "";
    *tag_len = 0;
    *digest = "";
    if (!at && !colon) {
        *name_len = strlen(image);
    } else if (at && (!colon || at < colon)) {
        *name_len = (size_t)(at - image);
        *digest = at + 1;
    } else if (at) {
        *name_len = (size_t)(colon - image);
        *tag = colon + 1;
        *tag_len = (size_t)(at - colon - 1);
        *digest = at + 1;
    } else {
        *name_len = (size_t)(colon - image);
        *tag = colon + 1;
        *tag_len = strlen(colon + 1);
    }
}

/* Rewrite the image of a container when it matches e: a new tag and digest replace both of the
 * old ones; a tag suffix (without either) is appended to the tag and drops the digest. */
static void image_at(ed_doc *doc, ed_node *map, const char *key, const struct image_entry *e)
{
    const char *image = ed_node_str(ed_node_get(map, key));
    if (!image || !image_matches(e, image))
        return;
    size_t name_len, tag_len;
    const char *tag, *digest;
    image_split(image, &name_len, &tag, &tag_len, &digest);
    char *name = e->new_name ? ed_xstrdup(e->new_name) : ed_xstrndup(image, name_len);
    char *new_tag;
    if (e->new_tag || e->digest) {
        new_tag = ed_xstrdup(e->new_tag ? e->new_tag : "");
        digest = e->digest ? e->digest : "";
    } else if (e->tag_suffix) {
        new_tag = ed_xasprintf("%.*s%s", (int)tag_len, tag, e->tag_suffix);
        digest = "";
    } else {
        new_tag = ed_xstrndup(tag, tag_len);
    }
    char *out =
        ed_xasprintf("%s%s%s%s%s", name, *new_tag ? ":" : "", new_tag, *digest ? "@" : "", digest);
    set_str(doc, map, key, out);
    free(out);
    free(new_tag);
    free(name);
}

static void image_one(ed_doc *doc, ed_node *container, const struct image_entry *e)
{
    image_at(doc, container, "image", e);
}

/* The image strings at a field spec's path ("spec/image", "spec/tasks[]/image"; a sequence on
 * the way is walked item by item); nothing is created. */
static void image_path(ed_doc *doc, ed_node *node, const char *path, const struct image_entry *e,
                       int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++)
            image_path(doc, ed_node_at(node, i), path, e, depth + 1);
        return;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return;
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    char *key = ed_xstrndup(path, n);
    if (n >= 2 && strcmp(key + n - 2, "[]") == 0)
        key[n - 2] = '\0';
    if (slash)
        image_path(doc, ed_node_get(node, key), slash + 1, e, depth + 1);
    else
        image_at(doc, node, key, e);
    free(key);
}

static void images_in_list(ed_doc *doc, ed_node *list, const struct image_entry *e)
{
    if (ed_node_kind_of(list) != ED_NODE_SEQ)
        return;
    for (size_t k = 0; k < ed_node_len(list); k++)
        if (ed_node_kind_of(ed_node_at(list, k)) == ED_NODE_MAP)
            image_one(doc, ed_node_at(list, k), e);
}

/* kustomize's legacy image walk: `containers` and `initContainers` lists anywhere in an object
 * (pods, templates, job templates, custom resources alike). */
static void images_walk(ed_doc *doc, ed_node *node, const struct image_entry *e, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++)
            images_walk(doc, ed_node_at(node, i), e, depth + 1);
        return;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return;
    for (size_t i = 0; i < ed_node_len(node); i++) {
        const char *key = ed_node_key_at(node, i);
        ed_node *v = ed_node_value_at(node, i);
        if ((strcmp(key, "containers") == 0 || strcmp(key, "initContainers") == 0) &&
            ed_node_kind_of(v) == ED_NODE_SEQ)
            images_in_list(doc, v, e);
        else
            images_walk(doc, v, e, depth + 1);
    }
}

/* kustomize runs one image transformer per `images` entry, in order, so a later entry sees the
 * result of an earlier one. Each visits an object's pod spec and pod template containers (its
 * field specs) and then every container list again (the legacy walk): idempotent for a new
 * name, tag or digest, but a tag suffix lands twice on those. CustomResourceDefinitions are
 * left alone. Without defaults (an ImageTagTransformer's config), the pod spec and template
 * places are not visited: only specs and the legacy walk. */
static int images_apply(ks_list *l, const ed_node *images, const field_spec *specs, size_t n_specs,
                        bool defaults, const char *kfile, ed_err *err)
{
    static const char *const spec_paths[] = {"/spec/containers", "/spec/initContainers",
                                             "/spec/template/spec/containers",
                                             "/spec/template/spec/initContainers"};
    int rc = 0;
    for (size_t k = 0; k < ed_node_len(images) && !rc; k++) {
        const ed_node *im = ed_node_at(images, k);
        const char *name = ed_node_str(ed_node_get(im, "name"));
        struct image_entry e = {nonempty(ed_node_get(im, "newName")),
                                nonempty(ed_node_get(im, "newTag")),
                                nonempty(ed_node_get(im, "digest")),
                                nonempty(ed_node_get(im, "tagSuffix")),
                                NULL,
                                NULL};
        char *pattern =
            ed_xasprintf("^%s(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$", name ? name : "");
        int code;
        PCRE2_SIZE off;
        e.re =
            pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
        free(pattern);
        if (!e.re) {
            /* the name's own error reads better than the whole pattern's */
            int alone_code;
            pcre2_code *alone = pcre2_compile((PCRE2_SPTR)(name ? name : ""), PCRE2_ZERO_TERMINATED,
                                              PCRE2_UTF, &alone_code, &off, NULL);
            if (!alone)
                code = alone_code;
            pcre2_code_free(alone);
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(code, msg, sizeof(msg));
            rc = ed_err_set(err, ED_EINVALID,
                            "%s: images[%zu].name: '%s' is not a valid regular expression: %s",
                            kfile, k, name ? name : "", (const char *)msg);
            break;
        }
        e.md = pcre2_match_data_create_from_pattern(e.re, NULL);
        for (size_t i = 0; i < l->len; i++) {
            ed_doc *doc = l->items[i].doc;
            ed_node *root = ed_doc_root(doc);
            if (ed_node_path_str(root, "/kind") &&
                strcmp(ed_node_path_str(root, "/kind"), "CustomResourceDefinition") == 0)
                continue;
            for (size_t p = 0; defaults && p < sizeof(spec_paths) / sizeof(spec_paths[0]); p++)
                images_in_list(doc, ed_node_path(root, spec_paths[p]), &e);
            ks_id id;
            ks_id_of(root, &id);
            for (size_t p = 0; p < n_specs; p++)
                if (specs[p].path && spec_matches(&specs[p], &id))
                    image_path(doc, root, specs[p].path, &e, 0);
            images_walk(doc, root, &e, 0);
        }
        pcre2_match_data_free(e.md);
        pcre2_code_free(e.re);
    }
    return rc;
}

/* kustomize's ReplicaCountTransformer: each field spec in turn, on every object of that name
 * (now or before) whose kind it selects; an error when none is found. */
static int replicas_run(ks_list *l, const char *name, int64_t count, const field_spec *specs,
                        size_t n, const char *kfile, ed_err *err)
{
    bool found = false;
    for (size_t f = 0; f < n; f++)
        for (size_t i = 0; name && i < l->len; i++) {
            ks_id id;
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
            if (!specs[f].path || !spec_matches(&specs[f], &id) ||
                !res_has_name(&l->items[i], name))
                continue;
            if (!put_path(l->items[i].doc, ed_doc_root(l->items[i].doc), specs[f].path,
                          specs[f].create, false, value_int, &count, 0))
                return path_blocked(kfile, "replicas", specs[f].path, &id, err);
            found = true;
        }
    if (found)
        return 0;
    ed_buf gvks = ED_BUF_INIT(1 << 16);
    for (size_t f = 0; f < n; f++)
        gvk_append(&gvks, &specs[f]);
    int rc = ed_err_set(err, ED_EINVALID,
                        "%s: resource with name %s does not match a config with the following "
                        "GVK [%.*s]",
                        kfile, name ? name : "", (int)gvks.len, gvks.data ? gvks.data : "");
    ed_buf_free(&gvks);
    return rc;
}

int ks_transform(const ed_node *kz, const ed_doc *config, ks_list *l, const char *kfile,
                 const ks_patch_set *patches, ed_err *err)
{
    const char *ns = ed_node_str(ed_node_get(kz, "namespace"));
    const char *prefix = ed_node_str(ed_node_get(kz, "namePrefix"));
    const char *suffix = ed_node_str(ed_node_get(kz, "nameSuffix"));
    const ed_node *common_labels = ed_node_get(kz, "commonLabels");
    const ed_node *labels = ed_node_get(kz, "labels");
    const ed_node *annotations = ed_node_get(kz, "commonAnnotations");
    const ed_node *replicas = ed_node_get(kz, "replicas");
    const ed_node *images = ed_node_get(kz, "images");
    size_t n_identity = 0, n_label = 0, n_annotation = 0;
    field_spec *identity = config_specs(config, "namePrefix", &n_identity);
    field_spec *crd_labels = config_specs(config, "commonLabels", &n_label);
    field_spec *crd_annotations = config_specs(config, "commonAnnotations", &n_annotation);
    size_t n_images = 0;
    field_spec *crd_images = config_specs(config, "images", &n_images);
    size_t n_suffix = 0, n_replicas = 0, n_replica_fs = 0, n_ns = 0;
    field_spec *name_suffix = config_specs(config, "nameSuffix", &n_suffix);
    field_spec *crd_replicas = config_specs(config, "replicas", &n_replicas);
    field_spec *replica_fs = NULL;
    field_spec *ns_specs = config_specs(config, "namespace", &n_ns);
    int rc = ks_check_plain_keys(common_labels, kfile, "commonLabels", err);
    for (size_t k = 0; k < ed_node_len(labels) && !rc; k++)
        rc = ks_check_plain_keys(ed_node_get(ed_node_at(labels, k), "pairs"), kfile, "labels", err);
    if (!rc)
        rc = ks_check_plain_keys(annotations, kfile, "commonAnnotations", err);
    if (rc)
        goto cleanup;

    if (ns && *ns)
        for (size_t i = 0; i < l->len && !rc; i++)
            rc = namespace_one(&l->items[i], ns, ns_specs, n_ns, kfile, err);
    if ((prefix && *prefix) || (suffix && *suffix))
        for (size_t i = 0; i < l->len && !rc; i++)
            rc = rename_one(&l->items[i], prefix ? prefix : "", suffix ? suffix : "", identity,
                            n_identity, name_suffix, n_suffix, kfile, err);

    if (!rc && ed_node_len(common_labels) > 0) {
        struct setter st = {common_labels, kfile, "commonLabels", err};
        for (size_t i = 0; i < l->len && !rc; i++) {
            ks_id id;
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
            rc = apply_specs(l->items[i].doc, &id, meta_labels, NSPECS(meta_labels), &st);
            if (!rc)
                rc = apply_specs(l->items[i].doc, &id, template_labels, NSPECS(template_labels),
                                 &st);
            if (!rc)
                rc = apply_specs(l->items[i].doc, &id, selector_labels, NSPECS(selector_labels),
                                 &st);
            if (!rc)
                rc = apply_specs(l->items[i].doc, &id, crd_labels, n_label, &st);
        }
    }
    for (size_t k = 0; k < ed_node_len(labels) && !rc; k++) {
        const ed_node *entry = ed_node_at(labels, k);
        struct setter st = {ed_node_get(entry, "pairs"), kfile, "labels", err};
        field_spec *specs = NULL;
        size_t n_specs = 0;
        rc = label_specs(entry, config, crd_labels, n_label, k, kfile, &specs, &n_specs, err);
        for (size_t i = 0; i < l->len && !rc && ed_node_len(st.pairs) > 0; i++) {
            ks_id id;
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
            rc = apply_specs(l->items[i].doc, &id, specs, n_specs, &st);
        }
        free(specs);
    }
    if (!rc && ed_node_len(annotations) > 0) {
        struct setter st = {annotations, kfile, "commonAnnotations", err};
        for (size_t i = 0; i < l->len && !rc; i++) {
            ks_id id;
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
            rc = apply_specs(l->items[i].doc, &id, annotation_specs, NSPECS(annotation_specs), &st);
            if (!rc)
                rc = apply_specs(l->items[i].doc, &id, crd_annotations, n_annotation, &st);
        }
    }
    if (!rc)
        rc = ks_patches_apply_late(patches, l, kfile, err);
    if (!rc && ed_node_len(replicas) > 0)
        rc = replica_field_specs(crd_replicas, n_replicas, kfile, &replica_fs, &n_replica_fs, err);
    for (size_t k = 0; k < ed_node_len(replicas) && !rc; k++) {
        const ed_node *entry = ed_node_at(replicas, k);
        int64_t count = 0;
        ed_node_int(ed_node_get(entry, "count"), &count);
        rc = replicas_run(l, ed_node_str(ed_node_get(entry, "name")), count, replica_fs,
                          n_replica_fs, kfile, err);
    }
    if (!rc && ed_node_len(images) > 0)
        rc = images_apply(l, images, crd_images, n_images, true, kfile, err);
cleanup:
    free(name_suffix);
    free(crd_replicas);
    free(replica_fs);
    free(ns_specs);
    free(identity);
    free(crd_labels);
    free(crd_annotations);
    free(crd_images);
    return rc;
}

/* ---- the same transformers configured by a plugin config (plugin.c) ---- */

int ks_plugin_labels(ks_list *l, const ed_node *pairs, const ed_node *specs_node, const char *kfile,
                     const char *field, ed_err *err)
{
    size_t n = 0;
    field_spec *specs = specs_of(specs_node, &n);
    struct setter st = {pairs, kfile, field, err};
    int rc = ks_check_plain_keys(pairs, kfile, field, err);
    for (size_t i = 0; i < l->len && !rc && ed_node_len(pairs) > 0; i++) {
        ks_id id;
        ks_id_of(ed_doc_root(l->items[i].doc), &id);
        rc = apply_specs(l->items[i].doc, &id, specs, n, &st);
    }
    free(specs);
    return rc;
}

int ks_plugin_affix(ks_list *l, const char *prefix, const char *suffix, const ed_node *specs_node,
                    const char *kfile, const char *field, ed_err *err)
{
    size_t n = 0;
    field_spec *specs = specs_of(specs_node, &n);
    int rc = 0;
    for (size_t i = 0; i < l->len && !rc; i++) {
        ks_res *r = &l->items[i];
        ed_node *root = ed_doc_root(r->doc);
        ks_id id;
        ks_id_of(root, &id);
        /* the kinds whose names the API fixes, as for namePrefix */
        if (strcmp(id.kind, "Namespace") == 0 || strcmp(id.kind, "CustomResourceDefinition") == 0 ||
            (strcmp(id.kind, "APIService") == 0 && group_is(&id, "apiregistration.k8s.io")))
            continue;
        for (size_t f = 0; f < n && !rc; f++) {
            if (!specs[f].path || !spec_matches(&specs[f], &id))
                continue;
            if (strcmp(specs[f].path, "metadata/name") == 0) {
                /* the object's own name: recorded as a prefix or suffix of it, and its id
                 * before as a previous one */
                ks_res_add_prefix(r, prefix);
                ks_res_add_suffix(r, suffix);
                if (*prefix || *suffix)
                    ks_res_store_prev(r);
            }
            rc = affix_path(r->doc, root, specs[f].path, prefix, suffix, specs[f].create, field,
                            kfile, err);
        }
    }
    free(specs);
    return rc;
}

/* Set the namespace of a RoleBinding's subjects as setRoleBindingSubjects says: those named
 * "default" (defaultOnly), every ServiceAccount (allServiceAccounts), none. */
static void subjects_namespace(ed_doc *doc, ed_node *root, const char *ns, ks_subjects_mode mode,
                               bool unset_only)
{
    ed_node *subjects = ed_node_get(root, "subjects");
    for (size_t i = 0; mode != KS_SUBJECTS_NONE && i < ed_node_len(subjects); i++) {
        ed_node *s = ed_node_at(subjects, i);
        if (ed_node_kind_of(s) != ED_NODE_MAP)
            continue;
        const char *key = mode == KS_SUBJECTS_DEFAULT_ONLY ? "name" : "kind";
        const char *want = mode == KS_SUBJECTS_DEFAULT_ONLY ? "default" : "ServiceAccount";
        const char *v = ed_node_str(ed_node_get(s, key));
        if (!v || strcmp(v, want) != 0)
            continue;
        const char *cur = ed_node_str(ed_node_get(s, "namespace"));
        if (unset_only && cur && *cur)
            continue;
        set_str(doc, s, "namespace", ns);
    }
}

int ks_plugin_namespace(ks_list *l, const char *ns, const ed_node *specs_node, bool unset_only,
                        ks_subjects_mode subjects, const char *kfile, ed_err *err)
{
    size_t n = 0;
    field_spec *specs = specs_of(specs_node, &n);
    int rc = 0;
    for (size_t i = 0; i < l->len && !rc; i++) {
        ks_res *r = &l->items[i];
        ed_doc *doc = r->doc;
        ed_node *root = ed_doc_root(doc);
        ks_res_store_prev(r);
        ks_id id;
        ks_id_of(root, &id);
        /* metadata.namespace of every namespaced object, whatever the field specs say */
        if (!ks_is_cluster_scoped(&id))
            put_path(doc, root, "metadata/namespace", true, unset_only, value_str, ns, 0);
        bool binding =
            strcmp(id.kind, "RoleBinding") == 0 || strcmp(id.kind, "ClusterRoleBinding") == 0;
        if (binding)
            subjects_namespace(doc, root, ns, subjects, unset_only);
        const char *api = ed_node_path_str(root, "/apiVersion");
        for (size_t f = 0; f < n && !rc; f++) {
            const char *path = specs[f].path;
            /* kustomize's filter: metadata.namespace was done above, metadata.name only of a v1
             * object (a Namespace), the subjects of a binding by the rule above */
            if (!path || !spec_matches(&specs[f], &id) || strcmp(path, "metadata/namespace") == 0 ||
                (strcmp(path, "metadata/name") == 0 && !(api && strcmp(api, "v1") == 0)) ||
                (binding && ed_str_has_prefix(path, "subjects")))
                continue;
            if (!put_path(doc, root, path, specs[f].create, unset_only, value_str, ns, 0)) {
                ks_id now;
                ks_id_of(root, &now);
                rc = path_blocked(kfile, "namespace transformation failed", path, &now, err);
            }
        }
    }
    free(specs);
    return rc;
}

int ks_plugin_replicas(ks_list *l, const char *name, int64_t count, const ed_node *specs_node,
                       const char *kfile, ed_err *err)
{
    size_t n = 0;
    field_spec *specs = specs_of(specs_node, &n);
    int rc = replicas_run(l, name, count, specs, n, kfile, err);
    free(specs);
    return rc;
}

int ks_plugin_image(ks_list *l, const ed_node *image_tag, const ed_node *specs_node,
                    const char *kfile, ed_err *err)
{
    size_t n = 0;
    field_spec *specs = specs_of(specs_node, &n);
    ed_doc *one = ed_doc_new();
    ed_node *seq = ed_node_new_seq(one);
    ed_doc_set_root(one, seq);
    ed_node_append(one, seq, image_tag ? ed_node_copy(one, image_tag) : ed_node_new_map(one));
    int rc = images_apply(l, seq, specs, n, false, kfile, err);
    ed_doc_free(one);
    free(specs);
    return rc;
}
