/*
 * A kustomization's plugin configs: `generators`, `transformers` and `validators`, as kustomize
 * v5 runs them in Flux's kustomize-controller, which builds with builtin plugins only (no exec,
 * Go or KRM-function plugins).
 *
 * Each entry of the lists is either an inline config (YAML text holding objects) or a path,
 * read as an entry of `resources` is: a file of objects, or a directory built as a kustomization
 * (its objects, prefixed or labelled by it, are the configs). Each config object must have
 * `apiVersion: builtin` and the kind of one of kustomize's builtin plugins; its fields configure
 * the same transformers and generators the kustomization's own fields do, with exactly the field
 * specs it gives (none of kustomize's defaults are added: a LabelTransformer without fieldSpecs
 * changes nothing). Unknown fields of a config are ignored, as kustomize's decoder does.
 *
 * Order, as kustomize's: the generators of `generators` run after the configMapGenerator and
 * secretGenerator fields (and before components); the transformers of `transformers` after every
 * transformer of the fields (replacements included); then each validator runs over a copy of
 * the objects and must change none of them. Every transformer (not a validator) is recorded in
 * the transformations annotation of buildMetadata, configuredIn the file of its config (the
 * kustomization for an inline one) and configuredBy its kind and name; generated objects record
 * the same as their origin.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

/* One config object, with where it was read and what it is. */
struct plugin {
    const ks_plugin_ctx *c;
    const char *field;   /* "generators", "transformers" or "validators" */
    const ed_node *cfg;  /* the config object */
    const char *kind;    /* its kind */
    char *where;         /* "<kfile>: <field>: <configured in>", for messages */
    char *id;            /* kustomize's id of the config, "Kind.builtin.[noGrp]/name.[noNs]" */
    char *configured_in; /* its file, relative to the top kustomization's directory */
    char *remote;        /* the repo/ref lines of a remote target's config, or "" */
};

/* The builtin plugins of kustomize v5, as its plugin loader knows them. */
static const char *const generator_kinds[] = {"ConfigMapGenerator", "SecretGenerator",
                                              "HelmChartInflationGenerator", "IAMPolicyGenerator",
                                              NULL};
static const char *const transformer_kinds[] = {"AnnotationsTransformer",
                                                "HashTransformer",
                                                "ImageTagTransformer",
                                                "LabelTransformer",
                                                "NamespaceTransformer",
                                                "PatchJson6902Transformer",
                                                "PatchStrategicMergeTransformer",
                                                "PatchTransformer",
                                                "PrefixSuffixTransformer",
                                                "PrefixTransformer",
                                                "SuffixTransformer",
                                                "ReplicaCountTransformer",
                                                "ReplacementTransformer",
                                                "ValueAddTransformer",
                                                NULL};

static bool one_of(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* ---- reading the configs ---- */

/* An entry is inline when it reads as YAML objects (mappings); anything else is a path, as
 * kustomize tries the entry as resources first. *docs is NULL for a path. */
static void parse_inline(const char *entry, ed_doc ***docs, size_t *n)
{
    ed_err ignored = ED_ERR_INIT;
    *docs = NULL;
    *n = 0;
    if (ed_doc_parse_yaml(entry, strlen(entry), "inline", docs, n, &ignored) != 0)
        return;
    bool maps = *n > 0;
    for (size_t i = 0; i < *n && maps; i++)
        maps = ed_node_kind_of(ed_doc_root((*docs)[i])) == ED_NODE_MAP;
    if (!maps) {
        ed_doc_list_free(*docs, *n);
        *docs = NULL;
        *n = 0;
    }
}

/* Copy the objects of an inline entry (the i-th of field) into out, their origin the
 * kustomization file. */
static int inline_configs(const ks_plugin_ctx *c, const char *field, size_t i, ed_doc **docs,
                          size_t n, ks_list *out, ed_err *err)
{
    for (size_t d = 0; d < n; d++) {
        const ed_node *root = ed_doc_root(docs[d]);
        const char *kind = ed_node_path_str(root, "/kind");
        const char *name = ed_node_path_str(root, "/metadata/name");
        if (!kind || !*kind || !name || !*name)
            return ed_err_set(err, ED_EINVALID,
                              "%s: %s[%zu]: an inline plugin config needs a kind and a "
                              "metadata.name",
                              c->kfile, field, i);
    }
    char *in = ks_origin_path(c->b, c->kpath);
    char *remote = ks_origin_remote(c->b, "");
    for (size_t d = 0; d < n; d++) {
        ed_doc *copy = ed_doc_new();
        ed_doc_set_root(copy, ed_node_copy(copy, ed_doc_root(docs[d])));
        ks_list_push(out, copy);
        out->items[out->len - 1].origin = ed_xasprintf("path: %s\n%s", in, remote);
    }
    free(remote);
    free(in);
    return 0;
}

/* Read the configs of kz's field into out, each with its origin ("path: P\n" and a remote
 * target's lines): the inline ones first, then those of paths, as kustomize gathers them (an
 * inline config runs before a file's, wherever the list has them). */
static int load_configs(const ks_plugin_ctx *c, const ed_node *kz, const char *field, ks_list *out,
                        ed_err *err)
{
    const ed_node *seq = ed_node_get(kz, field);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ed_node_len(seq); i++) {
            const char *entry = ed_node_str(ed_node_at(seq, i));
            ed_doc **docs = NULL;
            size_t n = 0;
            parse_inline(entry, &docs, &n);
            if (!docs && pass == 1 && ks_accumulate(c->b, c->dir, c->kfile, entry, out) != 0)
                return ed_err_wrap(err, "%s: %s", c->kfile, field);
            if (!docs)
                continue;
            int rc = pass == 0 ? inline_configs(c, field, i, docs, n, out, err) : 0;
            ed_doc_list_free(docs, n);
            if (rc)
                return rc;
        }
    return 0;
}

/* Fill p from the config r: its id, and where it was configured (from its origin). */
static void plugin_init(struct plugin *p, const ks_plugin_ctx *c, const char *field,
                        const ks_res *r)
{
    p->c = c;
    p->field = field;
    p->cfg = ed_doc_root(r->doc);
    const char *kind = ed_node_path_str(p->cfg, "/kind");
    p->kind = kind ? kind : "";
    ks_id id;
    ks_id_of(p->cfg, &id);
    p->id = ks_id_string(&id);
    const char *origin = r->origin ? r->origin : "path: \n";
    const char *nl = strchr(origin, '\n');
    const char *path = ed_str_has_prefix(origin, "path: ") ? origin + 6 : origin;
    p->configured_in = nl && nl >= path ? ed_xstrndup(path, (size_t)(nl - path)) : ed_xstrdup(path);
    p->remote = ed_xstrdup(nl ? nl + 1 : "");
    /* an inline config's origin is the kustomization file itself */
    char *own = ks_origin_path(c->b, c->kpath);
    if (strcmp(own, p->configured_in) == 0)
        p->where = ed_xasprintf("%s: %s (inline)", c->kfile, field);
    else
        p->where = ed_xasprintf("%s: %s: %s", c->kfile, field, p->configured_in);
    free(own);
}

static void plugin_clear(struct plugin *p)
{
    free(p->where);
    free(p->id);
    free(p->configured_in);
    free(p->remote);
}

/* The configuredIn/configuredBy text of p, each line after the first indented by indent
 * (kustomize's origin of a generated object, and its transformations entries). */
static char *configured(const struct plugin *p, const char *indent)
{
    ed_buf out = ED_BUF_INIT(1 << 16);
    /* a remote target's repo and ref lines first, as kustomize writes them */
    for (const char *s = p->remote; *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        ed_buf_printf(&out, "%s%.*s\n", out.len ? indent : "", (int)len, s);
        s += len + (nl ? 1 : 0);
    }
    const char *name = ed_node_path_str(p->cfg, "/metadata/name");
    const char *ns = ed_node_path_str(p->cfg, "/metadata/namespace");
    ed_buf_printf(&out,
                  "%sconfiguredIn: %s\n%sconfiguredBy:\n%s  apiVersion: builtin\n%s  kind: %s\n",
                  out.len ? indent : "", p->configured_in, indent, indent, indent, p->kind);
    if (name && *name)
        ed_buf_printf(&out, "%s  name: %s\n", indent, name);
    if (ns && *ns)
        ed_buf_printf(&out, "%s  namespace: %s\n", indent, ns);
    return ed_buf_take(&out);
}

/* ---- checking a config's fields ---- */

struct field_type {
    const char *key;
    ed_node_kind kind;
    const char *go_type;
};

static int config_error(const struct plugin *p, ed_err *err, const char *msg)
{
    return ed_err_set(err, ED_EINVALID, "%s: plugin %s fails configuration: %s", p->where, p->id,
                      msg);
}

static int type_error(const struct plugin *p, const ed_node *v, const char *field,
                      const char *go_type, ed_err *err)
{
    char *msg =
        ed_xasprintf("json: cannot unmarshal %s into Go struct field %sPlugin.%s of type %s",
                     ks_json_type(v), p->kind, field, go_type);
    int rc = config_error(p, err, msg);
    free(msg);
    return rc;
}

/* The fields of the config that types lists must hold values of those kinds (null is allowed);
 * a map[string]string's values must be strings, a []types.FieldSpec mappings with a string
 * path. */
static int check_fields(const struct plugin *p, const struct field_type *types, size_t n,
                        ed_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const ed_node *v = ed_node_get(p->cfg, types[i].key);
        if (!v || ed_node_kind_of(v) == ED_NODE_NULL)
            continue;
        if (ed_node_kind_of(v) != types[i].kind)
            return type_error(p, v, types[i].key, types[i].go_type, err);
        if (strcmp(types[i].go_type, "map[string]string") == 0)
            for (size_t k = 0; k < ed_node_len(v); k++)
                if (ed_node_kind_of(ed_node_value_at(v, k)) != ED_NODE_STR)
                    return type_error(p, ed_node_value_at(v, k), types[i].key, "string", err);
        if (strcmp(types[i].go_type, "[]types.FieldSpec") == 0)
            for (size_t k = 0; k < ed_node_len(v); k++) {
                const ed_node *fs = ed_node_at(v, k);
                if (ed_node_kind_of(fs) != ED_NODE_MAP)
                    return type_error(p, fs, types[i].key, "types.FieldSpec", err);
                static const char *const strs[] = {"group", "version", "kind", "path"};
                for (size_t s = 0; s < 4; s++) {
                    const ed_node *x = ed_node_get(fs, strs[s]);
                    if (x && ed_node_kind_of(x) != ED_NODE_STR &&
                        ed_node_kind_of(x) != ED_NODE_NULL)
                        return type_error(p, x, "fieldSpecs", "string", err);
                }
                const ed_node *create = ed_node_get(fs, "create");
                if (create && ed_node_kind_of(create) != ED_NODE_BOOL &&
                    ed_node_kind_of(create) != ED_NODE_NULL)
                    return type_error(p, create, "fieldSpecs", "bool", err);
            }
    }
    return 0;
}

#define FIELD_SPECS                                                                                \
    {                                                                                              \
        "fieldSpecs", ED_NODE_SEQ, "[]types.FieldSpec"                                             \
    }
#define NTYPES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the generators ---- */

/* kustomize's IAMPolicyGenerator (GKE workload identity): a ServiceAccount kubernetesService
 * annotated with the Google service account serviceAccount.name@projectId it acts as. */
static int iam_generator(const struct plugin *p, ks_list *acc, ed_err *err)
{
    static const struct field_type types[] = {
        {"cloud", ED_NODE_STR, "string"},
        {"kubernetesService", ED_NODE_MAP, "types.KubernetesService"},
        {"serviceAccount", ED_NODE_MAP, "types.ServiceAccount"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const char *cloud = ed_node_str(ed_node_get(p->cfg, "cloud"));
    if (!cloud || strcmp(cloud, "gke") != 0)
        return ed_err_set(err, ED_EINVALID, "%s: plugin %s: cloud provider %s not supported yet",
                          p->where, p->id, cloud ? cloud : "");
    const ed_node *ksvc = ed_node_get(p->cfg, "kubernetesService");
    const ed_node *gsa = ed_node_get(p->cfg, "serviceAccount");
    const char *name = ed_node_str(ed_node_get(ksvc, "name"));
    const char *ns = ed_node_str(ed_node_get(ksvc, "namespace"));
    const char *account = ed_node_str(ed_node_get(gsa, "name"));
    const char *project = ed_node_str(ed_node_get(gsa, "projectId"));
    if (!name || !*name)
        return config_error(p, err, "kubernetesService.name is required");
    for (size_t i = 0; i < acc->len; i++) {
        const ed_node *root = ed_doc_root(acc->items[i].doc);
        const char *kind = ed_node_path_str(root, "/kind");
        const char *n = ed_node_path_str(root, "/metadata/name");
        const char *o = ed_node_path_str(root, "/metadata/namespace");
        if (kind && strcmp(kind, "ServiceAccount") == 0 && n && strcmp(n, name) == 0 &&
            strcmp(o ? o : "", ns ? ns : "") == 0)
            return ed_err_set(err, ED_EINVALID,
                              "%s: plugin %s: a ServiceAccount %s exists already; behavior must "
                              "be merge or replace",
                              p->where, p->id, name);
    }
    ed_doc *d = ed_doc_new();
    ed_node *root = ed_node_new_map(d);
    ed_doc_set_root(d, root);
    ed_node_set(d, root, "apiVersion", ed_node_new_str(d, "v1"));
    ed_node_set(d, root, "kind", ed_node_new_str(d, "ServiceAccount"));
    ed_node *meta = ed_node_new_map(d);
    ed_node_set(d, root, "metadata", meta);
    ed_node *annotations = ed_node_new_map(d);
    ed_node_set(d, meta, "annotations", annotations);
    char *email = ed_xasprintf("%s@%s.iam.gserviceaccount.com", account ? account : "",
                               project ? project : "");
    ed_node_set(d, annotations, "iam.gke.io/gcp-service-account", ed_node_new_str(d, email));
    free(email);
    ed_node_set(d, meta, "name", ed_node_new_str(d, name));
    if (ns && *ns)
        ed_node_set(d, meta, "namespace", ed_node_new_str(d, ns));
    ks_list_push(acc, d);
    acc->items[acc->len - 1].origin = configured(p, "");
    return 0;
}

/* Flux's kustomize-controller builds with Helm disabled: the helmCharts refusal. */
static int helm_refusal(const struct plugin *p, ed_err *err)
{
    return ed_err_set(err, ED_EINVALID,
                      "%s: %s: Helm chart inflation is disabled, as in Flux's "
                      "kustomize-controller (kustomize: must specify --enable-helm); a "
                      "HelmRelease installs a chart",
                      p->where, p->id);
}

static int run_generator(const struct plugin *p, ks_list *acc, ed_err *err)
{
    const ks_plugin_ctx *c = p->c;
    if (strcmp(p->kind, "HelmChartInflationGenerator") == 0)
        return helm_refusal(p, err);
    if (strcmp(p->kind, "IAMPolicyGenerator") == 0)
        return iam_generator(p, acc, err);
    bool secret = strcmp(p->kind, "SecretGenerator") == 0;
    /* the config is a generator entry (kustomize's ConfigMapArgs or SecretArgs) whose name and
     * namespace default to the config's own */
    static const char *const keys[] = {"name", "namespace", "behavior", "literals", "files",
                                       "envs", "env",       "options",  "type",     NULL};
    ed_doc *e = ed_doc_new();
    ed_node *entry = ed_node_new_map(e);
    ed_doc_set_root(e, entry);
    for (size_t i = 0; keys[i]; i++) {
        const ed_node *v = ed_node_get(p->cfg, keys[i]);
        if (v && (secret || strcmp(keys[i], "type") != 0))
            ed_node_set(e, entry, keys[i], ed_node_copy(e, v));
    }
    static const char *const meta[] = {"name", "namespace"};
    for (size_t i = 0; i < 2; i++) {
        const char *own = ed_node_str(ed_node_get(entry, meta[i]));
        const char *m = ed_node_path_str(p->cfg, i ? "/metadata/namespace" : "/metadata/name");
        if ((!own || !*own) && m && *m)
            ed_node_set(e, entry, meta[i], ed_node_new_str(e, m));
    }
    char *where = ed_xasprintf("%s: %s", p->where, p->id);
    int rc = ks_generate_plugin(c->b, entry, secret, c->dir, where, configured(p, ""), acc, err);
    free(where);
    ed_doc_free(e);
    return rc;
}

/* ---- the transformers ---- */

/* An empty kustomization, to hold the field a config translates to: the patch and replacement
 * code reads kustomization fields. */
static ed_doc *fields_doc(void)
{
    ed_doc *d = ed_doc_new();
    ed_doc_set_root(d, ed_node_new_map(d));
    return d;
}

static int run_patch(const struct plugin *p, ks_list *l, ed_doc *kz, bool late, ed_err *err)
{
    char *where = ed_xasprintf("%s: %s", p->where, p->id);
    ks_patch_set *set = NULL;
    int rc = ks_patches_load(ed_doc_root(kz), p->c->ld, where, p->c->schema, &set, err);
    if (!rc)
        rc = late ? ks_patches_apply_late(set, l, where, err)
                  : ks_patches_apply_early(set, l, where, err);
    ks_patch_set_free(set);
    free(where);
    return rc;
}

static int patch_transformer(const struct plugin *p, ks_list *l, ed_err *err)
{
    static const struct field_type types[] = {{"path", ED_NODE_STR, "string"},
                                              {"patch", ED_NODE_STR, "string"},
                                              {"target", ED_NODE_MAP, "types.Selector"},
                                              {"options", ED_NODE_MAP, "map[string]bool"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const char *path = ed_node_str(ed_node_get(p->cfg, "path"));
    const char *patch = ed_node_str(ed_node_get(p->cfg, "patch"));
    bool has_path = path && *path, has_patch = patch && *patch;
    if (!has_path && !has_patch)
        return config_error(p, err, "must specify one of patch and path");
    if (has_path && has_patch)
        return config_error(p, err, "patch and path can't be set at the same time");
    ed_doc *kz = fields_doc();
    ed_node *seq = ed_node_new_seq(kz);
    ed_node *entry = ed_node_new_map(kz);
    ed_node_append(kz, seq, entry);
    ed_node_set(kz, ed_doc_root(kz), "patches", seq);
    for (size_t i = 0; i < NTYPES(types); i++) {
        const ed_node *v = ed_node_get(p->cfg, types[i].key);
        if (v && ed_node_kind_of(v) != ED_NODE_NULL)
            ed_node_set(kz, entry, types[i].key, ed_node_copy(kz, v));
    }
    rc = run_patch(p, l, kz, false, err);
    ed_doc_free(kz);
    return rc;
}

static int smp_transformer(const struct plugin *p, ks_list *l, ed_err *err)
{
    static const struct field_type types[] = {{"paths", ED_NODE_SEQ, "[]types.PatchStrategicMerge"},
                                              {"patches", ED_NODE_STR, "string"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const ed_node *paths = ed_node_get(p->cfg, "paths");
    const char *patches = ed_node_str(ed_node_get(p->cfg, "patches"));
    if (ed_node_len(paths) == 0 && !(patches && *patches))
        return config_error(p, err, "empty file path and empty patch content");
    ed_doc *kz = fields_doc();
    ed_node *seq = ed_node_new_seq(kz);
    ed_node_set(kz, ed_doc_root(kz), "patchesStrategicMerge", seq);
    for (size_t i = 0; i < ed_node_len(paths); i++)
        ed_node_append(kz, seq, ed_node_copy(kz, ed_node_at(paths, i)));
    if (patches && *patches)
        ed_node_append(kz, seq, ed_node_new_str(kz, patches));
    rc = run_patch(p, l, kz, false, err);
    ed_doc_free(kz);
    return rc;
}

static int json6902_transformer(const struct plugin *p, ks_list *l, ed_err *err)
{
    static const struct field_type types[] = {{"target", ED_NODE_MAP, "types.Selector"},
                                              {"path", ED_NODE_STR, "string"},
                                              {"jsonOp", ED_NODE_STR, "string"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const ed_node *target = ed_node_get(p->cfg, "target");
    if (ed_node_kind_of(target) != ED_NODE_MAP)
        return config_error(p, err, "must specify a target");
    const char *path = ed_node_str(ed_node_get(p->cfg, "path"));
    const char *op = ed_node_str(ed_node_get(p->cfg, "jsonOp"));
    bool has_path = path && *path, has_op = op && *op;
    if (!has_path && !has_op)
        return config_error(p, err, "empty file path and empty jsonOp");
    if (has_path && has_op)
        return config_error(p, err, "must specify a file path or jsonOp, not both");
    ed_doc *kz = fields_doc();
    ed_node *seq = ed_node_new_seq(kz);
    ed_node *entry = ed_node_new_map(kz);
    ed_node_append(kz, seq, entry);
    ed_node_set(kz, ed_doc_root(kz), "patchesJson6902", seq);
    ed_node_set(kz, entry, "target", ed_node_copy(kz, target));
    ed_node_set(kz, entry, has_path ? "path" : "patch", ed_node_new_str(kz, has_path ? path : op));
    rc = run_patch(p, l, kz, true, err);
    ed_doc_free(kz);
    return rc;
}

static int replacement_transformer(const struct plugin *p, ks_list *l, ed_err *err)
{
    static const struct field_type types[] = {
        {"replacements", ED_NODE_SEQ, "[]types.ReplacementField"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    ed_doc *kz = fields_doc();
    const ed_node *repls = ed_node_get(p->cfg, "replacements");
    if (repls)
        ed_node_set(kz, ed_doc_root(kz), "replacements", ed_node_copy(kz, repls));
    char *where = ed_xasprintf("%s: %s", p->where, p->id);
    rc = ks_replace(p->c->b, ed_doc_root(kz), p->c->dir, where, l, err);
    free(where);
    ed_doc_free(kz);
    return rc;
}

/* kustomize's HashTransformer: the generated objects that take a hash suffix take it now (and
 * once more at the end of the build, as kustomize does). */
static void hash_transformer(ks_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        ks_res *r = &l->items[i];
        if (!r->needs_hash)
            continue;
        char hash[11];
        ks_hash_object(ed_doc_root(r->doc), hash);
        ks_res_store_prev(r);
        ed_node *meta = ed_node_ensure_map(r->doc, ed_doc_root(r->doc), "metadata");
        const char *name = ed_node_str(ed_node_get(meta, "name"));
        char *renamed = ed_xasprintf("%s-%s", name ? name : "", hash);
        ed_node_set(r->doc, meta, "name", ed_node_new_str(r->doc, renamed));
        free(renamed);
    }
}

static int namespace_transformer(const struct plugin *p, ks_list *l, char *where, ed_err *err)
{
    static const struct field_type types[] = {
        FIELD_SPECS,
        {"unsetOnly", ED_NODE_BOOL, "bool"},
        {"setRoleBindingSubjects", ED_NODE_STR, "namespace.RoleBindingSubjectMode"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const char *mode = ed_node_str(ed_node_get(p->cfg, "setRoleBindingSubjects"));
    ks_subjects_mode subjects = KS_SUBJECTS_DEFAULT_ONLY;
    if (mode && strcmp(mode, "allServiceAccounts") == 0) {
        subjects = KS_SUBJECTS_ALL_SERVICE_ACCOUNTS;
    } else if (mode && strcmp(mode, "none") == 0) {
        subjects = KS_SUBJECTS_NONE;
    } else if (mode && *mode && strcmp(mode, "defaultOnly") != 0) {
        char *msg = ed_xasprintf("invalid value \"%s\" for setRoleBindingSubjects: must be one "
                                 "of \"defaultOnly\", \"none\" or \"allServiceAccounts\"",
                                 mode);
        rc = config_error(p, err, msg);
        free(msg);
        return rc;
    }
    /* the namespace is the config's own; without one the transformer changes nothing */
    const char *ns = ed_node_path_str(p->cfg, "/metadata/namespace");
    if (!ns || !*ns)
        return 0;
    bool unset_only = false;
    ed_node_bool(ed_node_get(p->cfg, "unsetOnly"), &unset_only);
    return ks_plugin_namespace(l, ns, ed_node_get(p->cfg, "fieldSpecs"), unset_only, subjects,
                               where, err);
}

static int affix_transformer(const struct plugin *p, ks_list *l, char *where, ed_err *err)
{
    static const struct field_type types[] = {
        FIELD_SPECS, {"prefix", ED_NODE_STR, "string"}, {"suffix", ED_NODE_STR, "string"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    const ed_node *specs = ed_node_get(p->cfg, "fieldSpecs");
    if (!specs || ed_node_kind_of(specs) == ED_NODE_NULL)
        return config_error(p, err, "fieldSpecs is not expected to be nil");
    bool pre = strcmp(p->kind, "SuffixTransformer") != 0;
    bool suf = strcmp(p->kind, "PrefixTransformer") != 0;
    const char *prefix = pre ? ed_node_str(ed_node_get(p->cfg, "prefix")) : NULL;
    const char *suffix = suf ? ed_node_str(ed_node_get(p->cfg, "suffix")) : NULL;
    return ks_plugin_affix(l, prefix ? prefix : "", suffix ? suffix : "", specs, where,
                           pre && !suf ? "prefix"
                           : !pre      ? "suffix"
                                       : "prefix/suffix",
                           err);
}

/* The ValueAddTransformer's targets: its own, then those of targetFilePath (a file of the
 * kustomization holding `targets:`), each checked as kustomize's Config checks them. */
static int value_add_transformer(const struct plugin *p, ks_list *l, char *where, ed_err *err)
{
    static const struct field_type types[] = {{"value", ED_NODE_STR, "string"},
                                              {"targets", ED_NODE_SEQ, "[]builtins.Target"},
                                              {"targetFilePath", ED_NODE_STR, "string"}};
    int rc = check_fields(p, types, NTYPES(types), err);
    if (rc)
        return rc;
    /* the value, trimmed; empty: the name of the kustomization's directory */
    const char *given = ed_node_str(ed_node_get(p->cfg, "value"));
    char *value = ks_trim_space(given ? given : "");
    if (!*value) {
        free(value);
        const char *slash = strrchr(p->c->dir, '/');
        value = ed_xstrdup(slash && slash[1] ? slash + 1 : p->c->dir);
    }
    ed_doc **file = NULL;
    size_t nfile = 0;
    const char *tpath = ed_node_str(ed_node_get(p->cfg, "targetFilePath"));
    const ed_node *lists[2] = {ed_node_get(p->cfg, "targets"), NULL};
    if (tpath && *tpath) {
        char *data = NULL;
        size_t dlen = 0;
        rc = ks_loader_read(p->c->ld, tpath, &data, &dlen, err);
        if (!rc)
            rc = ed_doc_parse_yaml(data, dlen, tpath, &file, &nfile, err);
        free(data);
        if (rc)
            rc = ed_err_wrap(err, "%s: plugin %s", p->where, p->id);
        if (!rc && nfile > 0) {
            lists[1] = ed_node_get(ed_doc_root(file[0]), "targets");
            if (lists[1] && ed_node_kind_of(lists[1]) != ED_NODE_SEQ &&
                ed_node_kind_of(lists[1]) != ED_NODE_NULL)
                rc = type_error(p, lists[1], "targets", "[]builtins.Target", err);
        }
    }
    size_t count = 0;
    for (size_t k = 0; k < 2 && !rc; k++)
        for (size_t i = 0; i < ed_node_len(lists[k]) && !rc; i++) {
            const ed_node *t = ed_node_at(lists[k], i);
            const ed_node *fp = ed_node_get(t, "fieldPath");
            const ed_node *pos = ed_node_get(t, "filePathPosition");
            const ed_node *sel = ed_node_get(t, "selector");
            int64_t n = 0;
            if (ed_node_kind_of(t) != ED_NODE_MAP)
                rc = type_error(p, t, "targets", "builtins.Target", err);
            else if (fp && ed_node_kind_of(fp) != ED_NODE_STR &&
                     ed_node_kind_of(fp) != ED_NODE_NULL)
                rc = type_error(p, fp, "targets.fieldPath", "string", err);
            else if (pos && ed_node_kind_of(pos) != ED_NODE_NULL && !ed_node_int(pos, &n))
                rc = type_error(p, pos, "targets.filePathPosition", "int", err);
            else if (sel && ed_node_kind_of(sel) != ED_NODE_MAP &&
                     ed_node_kind_of(sel) != ED_NODE_NULL)
                rc = type_error(p, sel, "targets.selector", "types.Selector", err);
            count++;
        }
    if (!rc && count == 0)
        rc = config_error(p, err, "must specify at least one target");
    /* kustomize checks every target before it runs any */
    for (size_t k = 0; k < 2 && !rc; k++)
        for (size_t i = 0; i < ed_node_len(lists[k]) && !rc; i++) {
            const ed_node *t = ed_node_at(lists[k], i);
            const char *fp = ed_node_str(ed_node_get(t, "fieldPath"));
            int64_t n = 0;
            ed_node_int(ed_node_get(t, "filePathPosition"), &n);
            if (!fp || !*fp) {
                rc = config_error(p, err, "fieldPath cannot be empty");
            } else if (n < 0) {
                char *msg = ed_xasprintf("value of FilePathPosition (%lld) cannot be negative",
                                         (long long)n);
                rc = config_error(p, err, msg);
                free(msg);
            }
        }
    for (size_t k = 0; k < 2 && !rc; k++)
        for (size_t i = 0; i < ed_node_len(lists[k]) && !rc; i++) {
            const ed_node *t = ed_node_at(lists[k], i);
            const ed_node *sel = ed_node_get(t, "selector");
            int64_t n = 0;
            ed_node_int(ed_node_get(t, "filePathPosition"), &n);
            rc = ks_plugin_value_add(l, value, ed_node_kind_of(sel) == ED_NODE_MAP ? sel : NULL,
                                     ed_node_str(ed_node_get(t, "fieldPath")), n, where, err);
        }
    ed_doc_list_free(file, nfile);
    free(value);
    return rc;
}

static int run_transformer(const struct plugin *p, ks_list *l, ed_err *err)
{
    char *where = ed_xasprintf("%s: %s", p->where, p->id);
    const ed_node *cfg = p->cfg;
    const ed_node *specs = ed_node_get(cfg, "fieldSpecs");
    int rc = 0;
    if (strcmp(p->kind, "LabelTransformer") == 0 ||
        strcmp(p->kind, "AnnotationsTransformer") == 0) {
        const char *key = p->kind[0] == 'L' ? "labels" : "annotations";
        const struct field_type types[] = {FIELD_SPECS, {key, ED_NODE_MAP, "map[string]string"}};
        rc = check_fields(p, types, NTYPES(types), err);
        if (!rc)
            rc = ks_plugin_labels(l, ed_node_get(cfg, key), specs, where, key, err);
    } else if (strcmp(p->kind, "PrefixTransformer") == 0 ||
               strcmp(p->kind, "SuffixTransformer") == 0 ||
               strcmp(p->kind, "PrefixSuffixTransformer") == 0) {
        rc = affix_transformer(p, l, where, err);
    } else if (strcmp(p->kind, "NamespaceTransformer") == 0) {
        rc = namespace_transformer(p, l, where, err);
    } else if (strcmp(p->kind, "ReplicaCountTransformer") == 0) {
        static const struct field_type types[] = {FIELD_SPECS,
                                                  {"replica", ED_NODE_MAP, "types.Replica"}};
        rc = check_fields(p, types, NTYPES(types), err);
        const ed_node *replica = ed_node_get(cfg, "replica");
        const ed_node *count = ed_node_get(replica, "count");
        int64_t n = 0;
        if (!rc && count && ed_node_kind_of(count) != ED_NODE_NULL && !ed_node_int(count, &n))
            rc = type_error(p, count, "replica.count", "int64", err);
        const char *name = ed_node_str(ed_node_get(replica, "name"));
        if (!rc)
            rc = ks_plugin_replicas(l, name ? name : "", n, specs, where, err);
    } else if (strcmp(p->kind, "ImageTagTransformer") == 0) {
        static const struct field_type types[] = {FIELD_SPECS,
                                                  {"imageTag", ED_NODE_MAP, "types.Image"}};
        rc = check_fields(p, types, NTYPES(types), err);
        if (!rc)
            rc = ks_plugin_image(l, ed_node_get(cfg, "imageTag"), specs, where, err);
    } else if (strcmp(p->kind, "PatchTransformer") == 0) {
        rc = patch_transformer(p, l, err);
    } else if (strcmp(p->kind, "PatchStrategicMergeTransformer") == 0) {
        rc = smp_transformer(p, l, err);
    } else if (strcmp(p->kind, "PatchJson6902Transformer") == 0) {
        rc = json6902_transformer(p, l, err);
    } else if (strcmp(p->kind, "ReplacementTransformer") == 0) {
        rc = replacement_transformer(p, l, err);
    } else if (strcmp(p->kind, "HashTransformer") == 0) {
        hash_transformer(l);
    } else if (strcmp(p->kind, "ValueAddTransformer") == 0) {
        rc = value_add_transformer(p, l, where, err);
    } else {
        rc = ed_err_set(err, ED_EINVALID, "%s: plugin %s: %s is not supported by eddy yet",
                        p->where, p->id, p->kind);
    }
    free(where);
    return rc;
}

/* ---- the lists ---- */

/* Check that p can run as a plugin of its list (want: generator_kinds or transformer_kinds):
 * builtin, known, and of the right sort. Helm is refused by the generator. */
static int check_plugin(const struct plugin *p, bool generator, ed_err *err)
{
    const char *api = ed_node_path_str(p->cfg, "/apiVersion");
    /* kustomize's rule for a builtin plugin: no group, version "builtin" */
    if (!api || strcmp(api, "builtin") != 0)
        return ed_err_set(err, ED_EINVALID,
                          "%s: external plugins disabled; unable to load external plugin '%s' "
                          "(only builtin plugins run, as in Flux's kustomize-controller)",
                          p->where, p->kind);
    if (!one_of(generator_kinds, p->kind) && !one_of(transformer_kinds, p->kind))
        return ed_err_set(err, ED_EINVALID, "%s: unable to load builtin %s.builtin.[noGrp]",
                          p->where, p->kind);
    if (strcmp(p->kind, "HelmChartInflationGenerator") == 0)
        return 0;
    if (generator && !one_of(generator_kinds, p->kind))
        return ed_err_set(err, ED_EINVALID, "%s: plugin %s not a generator", p->where, p->id);
    if (!generator && !one_of(transformer_kinds, p->kind))
        return ed_err_set(err, ED_EINVALID, "%s: plugin %s not a transformer", p->where, p->id);
    return 0;
}

int ks_plugins_generate(const ks_plugin_ctx *c, const ed_node *kz, ks_list *acc, ed_err *err)
{
    ks_list configs = {0};
    int rc = load_configs(c, kz, "generators", &configs, err);
    for (size_t i = 0; i < configs.len && !rc; i++) {
        struct plugin p;
        plugin_init(&p, c, "generators", &configs.items[i]);
        rc = check_plugin(&p, true, err);
        if (!rc)
            rc = run_generator(&p, acc, err);
        plugin_clear(&p);
    }
    ks_list_free(&configs);
    return rc;
}

int ks_plugins_transform(const ks_plugin_ctx *c, const ed_node *kz, ks_list *l, ed_err *err)
{
    ks_list configs = {0};
    int rc = load_configs(c, kz, "transformers", &configs, err);
    for (size_t i = 0; i < configs.len && !rc; i++) {
        struct plugin p;
        plugin_init(&p, c, "transformers", &configs.items[i]);
        rc = check_plugin(&p, false, err);
        if (!rc && strcmp(p.kind, "HelmChartInflationGenerator") == 0)
            rc = helm_refusal(&p, err);
        if (!rc)
            rc = run_transformer(&p, l, err);
        if (!rc) {
            char *text = configured(&p, "  ");
            char *entry = ed_xasprintf("- %s", text);
            ks_record_transformation(l, entry);
            free(entry);
            free(text);
        }
        plugin_clear(&p);
    }
    ks_list_free(&configs);
    return rc;
}

/* Does validator p change the object r, whose value before was before? kustomize compares
 * the objects it holds, their build annotations included: a patch that selects the object, or
 * a previous id recorded (a namespace transformer), counts as a change even where the fields
 * come out the same. (kustomize also compares the YAML nodes' positions, so a field rewritten
 * with its own value read from a file is a change there; eddy compares values.) */
static bool validator_changed(const ks_res *r, const ed_node *before, size_t old_names)
{
    return !ed_node_equal(ed_doc_root(r->doc), before) || r->patched || r->n_old_names != old_names;
}

/* Run validator p over l, which it must leave as it was. */
static int run_validator(const struct plugin *p, ks_list *l, ed_err *err)
{
    size_t n = l->len;
    ed_doc **before = ed_xcalloc(n ? n : 1, sizeof(ed_doc *));
    size_t *old_names = ed_xcalloc(n ? n : 1, sizeof(*old_names));
    bool *patched = ed_xcalloc(n ? n : 1, sizeof(*patched));
    for (size_t k = 0; k < n; k++) {
        before[k] = ed_doc_new();
        ed_doc_set_root(before[k], ed_node_copy(before[k], ed_doc_root(l->items[k].doc)));
        old_names[k] = l->items[k].n_old_names;
        patched[k] = l->items[k].patched;
        l->items[k].patched = false;
    }
    int rc = run_transformer(p, l, err);
    const char *what = NULL;
    char *ids = NULL;
    if (!rc && l->len != n)
        what = "the number of objects";
    for (size_t k = 0; !rc && !what && k < n; k++) {
        if (!validator_changed(&l->items[k], ed_doc_root(before[k]), old_names[k]))
            continue;
        ks_id id;
        ks_id_of(ed_doc_root(before[k]), &id);
        what = ids = ks_id_string(&id);
    }
    if (what)
        rc = ed_err_set(err, ED_EINVALID,
                        "%s: validator shouldn't modify the resource map: plugin %s changes %s",
                        p->where, p->id, what);
    for (size_t k = 0; k < n; k++) {
        if (!rc)
            l->items[k].patched = patched[k];
        ed_doc_free(before[k]);
    }
    free(ids);
    free(patched);
    free(old_names);
    free(before);
    return rc;
}

int ks_plugins_validate(const ks_plugin_ctx *c, const ed_node *kz, ks_list *l, ed_err *err)
{
    ks_list configs = {0};
    int rc = load_configs(c, kz, "validators", &configs, err);
    for (size_t i = 0; i < configs.len && !rc; i++) {
        struct plugin p;
        plugin_init(&p, c, "validators", &configs.items[i]);
        rc = check_plugin(&p, false, err);
        if (!rc && strcmp(p.kind, "HelmChartInflationGenerator") == 0)
            rc = helm_refusal(&p, err);
        if (!rc)
            rc = run_validator(&p, l, err);
        plugin_clear(&p);
    }
    ks_list_free(&configs);
    return rc;
}
