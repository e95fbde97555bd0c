/*
 * The patch fields of a kustomization, as kustomize v5 runs them: `patchesStrategicMerge`
 * (file paths or inline patches) and `patches` (a `path` or an inline `patch`, each a
 * strategic merge patch or a JSON 6902 patch, told apart by their shape as kustomize does,
 * with an optional `target` and `options`) run before the namespace transformer; the legacy
 * `patchesJson6902` runs after commonAnnotations (ks_transform calls it there).
 *
 * A target selects objects by group, version, kind, name and namespace, each an anchored
 * regular expression (PCRE2), and by labelSelector and annotationSelector in Kubernetes'
 * selector syntax; name and namespace match the object's original id (before the namespace,
 * prefix and suffix transformers of its bases) or its current one. A strategic merge patch
 * without a target applies to the one object whose current or any previous id is the patch's,
 * and fails when there is none; a target that matches nothing is not an error. A patch that
 * renames an object (options.allowNameChange, or a JSON patch) records its previous id.
 * `openapi` gives the build's strategic merge patches their schema (ks_openapi_load).
 */
#include "kustomize_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The selector's regular expressions, compiled on first use (slots: group, version, kind,
 * namespace, name). */
enum {
    RE_GROUP,
    RE_VERSION,
    RE_KIND,
    RE_NS,
    RE_NAME,
    RE_SLOTS
};

typedef struct regex_cache {
    pcre2_code *re[RE_SLOTS];
    pcre2_match_data *md[RE_SLOTS];
} regex_cache;

typedef struct ks_selector {
    const char *group, *version, *kind, *name, *ns, *labels, *annotations;
    regex_cache *cache; /* malloc'd with the selector */
} ks_selector;

typedef struct ks_patch {
    char *origin;  /* for messages: "patches[1] 'patch.yaml'" */
    ed_doc **docs; /* the strategic merge patches, or one document holding the operations */
    size_t ndocs;
    bool json;
    bool has_target;
    ks_selector target;
    bool allow_name, allow_kind;
    ks_schema *schema; /* the build's OpenAPI schema (`openapi`) */
} ks_patch;

struct ks_patch_set {
    ks_patch *items;
    size_t len;
    size_t n_early; /* items[0 .. n_early) run before namespace, the rest after annotations */
};

void ks_patch_set_free(ks_patch_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->len; i++) {
        free(set->items[i].origin);
        ed_doc_list_free(set->items[i].docs, set->items[i].ndocs);
        regex_cache *c = set->items[i].target.cache;
        for (size_t k = 0; c && k < RE_SLOTS; k++) {
            pcre2_match_data_free(c->md[k]);
            pcre2_code_free(c->re[k]);
        }
        free(c);
    }
    free(set->items);
    free(set);
}

static ks_patch *set_push(ks_patch_set *set)
{
    set->items = ed_xrealloc(set->items, (set->len + 1) * sizeof(*set->items));
    ks_patch *p = &set->items[set->len++];
    *p = (ks_patch){0};
    return p;
}

/* ---- reading patch bodies ---- */

static bool is_object_patch(const ed_node *root)
{
    return ed_node_kind_of(root) == ED_NODE_MAP && ed_node_path_str(root, "/kind") &&
           ed_node_path_str(root, "/metadata/name");
}

/*
 * Parse a patch body and decide, as kustomize does, whether it is a list of JSON 6902
 * operations (one document holding a list) or strategic merge patches (documents that are
 * objects with a kind and a name). want_json: 1 to require operations, 0 either.
 */
static int parse_body(ks_patch *p, const char *text, size_t len, int want_json, ed_err *err)
{
    int rc = ed_doc_parse_yaml(text, len, p->origin, &p->docs, &p->ndocs, err);
    if (rc)
        return rc;
    if (p->ndocs == 0)
        return ed_err_set(err, ED_EINVALID, "%s is empty", p->origin);
    if (p->ndocs == 1 && ed_node_kind_of(ed_doc_root(p->docs[0])) == ED_NODE_SEQ) {
        p->json = true;
        /* kustomize reads an empty list as a (void) patch of either kind, and refuses it. */
        if (ed_node_len(ed_doc_root(p->docs[0])) == 0)
            return ed_err_set(err, ED_EINVALID,
                              "%s illegally qualifies as both an SM and JSON patch (an empty "
                              "list)",
                              p->origin);
        /* kustomize reads the operations with YAMLToJSON: YAML 1.1 types, then JSON */
        ed_node *typed = NULL;
        ks_retype_yaml11(p->docs[0], ed_doc_root(p->docs[0]), &typed);
        ed_doc_set_root(p->docs[0], typed);
        rc = ks_json_roundtrip(&p->docs[0], err);
        return rc ? ed_err_wrap(err, "%s", p->origin) : 0;
    }
    if (want_json)
        return ed_err_set(err, ED_EINVALID, "%s is not a list of JSON patch operations", p->origin);
    /* kustomize reads strategic merge patches as it reads resources */
    for (size_t i = 0; i < p->ndocs; i++)
        ks_drop_merge_keys(ed_doc_root(p->docs[i]), 0);
    for (size_t i = 0; i < p->ndocs; i++)
        if (!is_object_patch(ed_doc_root(p->docs[i])))
            return ed_err_set(err, ED_EINVALID,
                              "unable to parse SM or JSON patch from %s: a strategic merge patch "
                              "needs kind and metadata.name, a JSON patch is a list of operations",
                              p->origin);
    return 0;
}

/* A relative file path rather than an inline patch (kustomize loads it when it exists). */
static bool looks_like_path(const char *s)
{
    return !strchr(s, '\n') && !strchr(s, ':');
}

/* Read and parse a patch file; errors name kfile (the loader's name it already). */
static int load_path(ks_patch *p, ks_loader *ld, const char *kfile, const char *path, int want_json,
                     bool source, ed_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = source ? ks_loader_read_source(ld, path, &data, &len, err)
                    : ks_loader_read(ld, path, &data, &len, err);
    if (!rc && (rc = parse_body(p, data, len, want_json, err)) != 0)
        ed_err_wrap(err, "%s", kfile);
    free(data);
    return rc;
}

/* ---- checking the fields ---- */

static int field_error(const char *kfile, const char *field, size_t i, const char *what,
                       ed_err *err)
{
    return ed_err_set(err, ED_EINVALID, "%s: %s[%zu]: %s", kfile, field, i, what);
}

static int read_selector(const ed_node *t, ks_selector *sel, const char *kfile, const char *field,
                         size_t i, ed_err *err)
{
    static const char *const keys[] = {
        "group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"};
    const char **slots[] = {&sel->group, &sel->version, &sel->kind,       &sel->name,
                            &sel->ns,    &sel->labels,  &sel->annotations};
    *sel = (ks_selector){0};
    sel->cache = ed_xcalloc(1, sizeof(*sel->cache));
    if (ed_node_kind_of(t) != ED_NODE_MAP)
        return field_error(kfile, field, i, "target must be a mapping", err);
    for (size_t k = 0; k < ed_node_len(t); k++) {
        const char *key = ed_node_key_at(t, k);
        size_t j = 0;
        while (j < 7 && strcmp(keys[j], key) != 0)
            j++;
        if (j == 7) {
            char *m = ed_xasprintf("target: unknown field \"%s\"", key);
            int rc = field_error(kfile, field, i, m, err);
            free(m);
            return rc;
        }
        const ed_node *v = ed_node_value_at(t, k);
        if (ed_node_kind_of(v) == ED_NODE_NULL)
            continue;
        if (ed_node_kind_of(v) != ED_NODE_STR) {
            char *m = ed_xasprintf("target.%s must be a string", key);
            int rc = field_error(kfile, field, i, m, err);
            free(m);
            return rc;
        }
        *slots[j] = ed_node_str(v);
    }
    return 0;
}

static int read_options(const ed_node *o, ks_patch *p, const char *kfile, size_t i, ed_err *err)
{
    if (!o || ed_node_kind_of(o) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(o) != ED_NODE_MAP)
        return field_error(kfile, "patches", i, "options must be a mapping", err);
    for (size_t k = 0; k < ed_node_len(o); k++) {
        const char *key = ed_node_key_at(o, k);
        bool v = false;
        if (!ed_node_bool(ed_node_value_at(o, k), &v))
            return field_error(kfile, "patches", i, "options values must be booleans", err);
        if (strcmp(key, "allowNameChange") == 0)
            p->allow_name = v;
        else if (strcmp(key, "allowKindChange") == 0)
            p->allow_kind = v;
    }
    return 0;
}

/* One entry of `patches` or `patchesJson6902` (json: the legacy field, operations only). */
static int load_entry(ks_patch_set *set, const ed_node *e, ks_loader *ld, const char *kfile,
                      const char *field, size_t i, bool json, ed_err *err)
{
    if (ed_node_kind_of(e) != ED_NODE_MAP)
        return field_error(kfile, field, i, "an entry must be a mapping", err);
    for (size_t k = 0; k < ed_node_len(e); k++) {
        const char *key = ed_node_key_at(e, k);
        if (strcmp(key, "path") != 0 && strcmp(key, "patch") != 0 && strcmp(key, "target") != 0 &&
            strcmp(key, "options") != 0) {
            char *m = ed_xasprintf("unknown field \"%s\"", key);
            int rc = field_error(kfile, field, i, m, err);
            free(m);
            return rc;
        }
    }
    const ed_node *path = ed_node_get(e, "path"), *inline_patch = ed_node_get(e, "patch");
    if ((path && !ed_node_str(path)) || (inline_patch && !ed_node_str(inline_patch)))
        return field_error(kfile, field, i, "path and patch must be strings", err);
    const char *ps = ed_node_str(path), *is = ed_node_str(inline_patch);
    if (ps && *ps && is && *is)
        return field_error(kfile, field, i, "patch and path can't be set at the same time", err);
    if (!(ps && *ps) && !(is && *is))
        return field_error(kfile, field, i, "must specify one of patch and path", err);
    ks_patch *p = set_push(set);
    p->origin = ps && *ps ? ed_xasprintf("%s[%zu] '%s'", field, i, ps)
                          : ed_xasprintf("%s[%zu] (inline patch)", field, i);
    const ed_node *target = ed_node_get(e, "target");
    int rc = 0;
    if (target && ed_node_kind_of(target) != ED_NODE_NULL) {
        p->has_target = true;
        rc = read_selector(target, &p->target, kfile, field, i, err);
    }
    if (!rc)
        rc = read_options(ed_node_get(e, "options"), p, kfile, i, err);
    if (!rc && ps && *ps)
        rc = load_path(p, ld, kfile, ps, json, strcmp(field, "patches") == 0, err); /* Flux's */
    if (rc) /* the messages name kfile already */
        return rc;
    if (!(ps && *ps))
        rc = parse_body(p, is ? is : "", is ? strlen(is) : 0, json, err);
    if (!rc && p->json && !p->has_target)
        rc = ed_err_set(err, ED_EINVALID, "must specify a target for JSON patch %s", p->origin);
    if (!rc && !p->json && p->has_target && p->ndocs > 1)
        rc = ed_err_set(err, ED_EINVALID,
                        "%s: multiple strategic merge patches in one entry may not set a target",
                        p->origin);
    if (rc)
        ed_err_wrap(err, "%s", kfile);
    return rc;
}

/* One entry of `patchesStrategicMerge`: a file path, or an inline patch. */
static int load_legacy_smp(ks_patch_set *set, const ed_node *e, ks_loader *ld, const char *kfile,
                           size_t i, ed_err *err)
{
    const char *s = ed_node_str(e);
    if (!s)
        return field_error(kfile, "patchesStrategicMerge", i, "an entry must be a string", err);
    ks_patch *p = set_push(set);
    bool path = looks_like_path(s);
    int rc;
    p->origin = path ? ed_xasprintf("patchesStrategicMerge[%zu] '%s'", i, s)
                     : ed_xasprintf("patchesStrategicMerge[%zu] (inline patch)", i);
    if (path)
        rc = load_path(p, ld, kfile, s, 0, false, err);
    else if ((rc = parse_body(p, s, strlen(s), 0, err)) != 0)
        ed_err_wrap(err, "%s", kfile);
    if (!rc && p->json)
        rc = ed_err_set(err, ED_EINVALID, "%s: %s is a JSON patch, not a strategic merge patch",
                        kfile, p->origin);
    return rc;
}

static int check_seq(const ed_node *n, const char *kfile, const char *field, ed_err *err)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL || ed_node_kind_of(n) == ED_NODE_SEQ)
        return 0;
    return ed_err_set(err, ED_EINVALID, "%s: %s must be a list, not a %s", kfile, field,
                      ed_node_kind_name(ed_node_kind_of(n)));
}

/* The one schema version kustomize has built in (kyaml's kubernetesapi.DefaultOpenAPI), whose
 * merge keys eddy's table holds. */
#define BUILTIN_OPENAPI "v1.21.2"

void ks_schema_free(ks_schema *schema)
{
    ed_doc_list_free(schema->docs, schema->n);
    *schema = (ks_schema){0};
}

/*
 * kz's `openapi`, as kustomize's SetSchema takes it: one schema for the whole build, set by the
 * first kustomization that names one, the top first and then each as it is loaded (a later
 * one's is read but not used). `path: FILE` is an OpenAPI (swagger 2) document whose
 * definitions replace the built-in merge keys of strategic merge patches, or join them when a
 * patch has already made kustomize read its built-in schema; `version: V` names a built-in
 * schema, and kustomize has only its default one.
 */
int ks_openapi_load(const ed_node *kz, ks_loader *ld, const char *kfile, ks_schema *schema,
                    ed_err *err)
{
    const ed_node *oa = ed_node_get(kz, "openapi");
    if (!oa || ed_node_kind_of(oa) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(oa) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID,
                          "%s: invalid Kustomization: json: cannot unmarshal %s into Go struct "
                          "field Kustomization.openapi of type map[string]string",
                          kfile,
                          ed_node_kind_of(oa) == ED_NODE_SEQ    ? "array"
                          : ed_node_kind_of(oa) == ED_NODE_STR  ? "string"
                          : ed_node_kind_of(oa) == ED_NODE_BOOL ? "bool"
                                                                : "number");
    const char *path = ed_node_str(ed_node_get(oa, "path"));
    const ed_node *version = ed_node_get(oa, "version");
    ed_doc **docs = NULL;
    size_t n = 0;
    if (path) {
        char *data = NULL;
        size_t len = 0;
        int rc = ks_loader_read(ld, path, &data, &len, err);
        if (!rc)
            rc = ed_doc_parse_yaml(data, len, path, &docs, &n, err);
        free(data);
        if (rc)
            return ed_err_wrap(err, "%s: openapi", kfile);
    }
    if (schema->set) {
        ed_doc_list_free(docs, n);
        return 0;
    }
    if (version && path) {
        ed_doc_list_free(docs, n);
        return ed_err_set(err, ED_EINVALID,
                          "%s: openapi: builtin version and custom schema provided, cannot use "
                          "both",
                          kfile);
    }
    if (version) {
        const char *v = ed_node_str(version);
        if (v && *v && strcmp(v, BUILTIN_OPENAPI) != 0)
            return ed_err_set(err, ED_EINVALID,
                              "%s: openapi: the specified OpenAPI version is not built in (only "
                              "%s is)",
                              kfile, BUILTIN_OPENAPI);
        schema->set = v && *v; /* the built-in one, named: later schemas are not used */
        return 0;
    }
    if (!path)
        return 0;
    const ed_node *defs = n >= 1 ? ed_node_get(ed_doc_root(docs[0]), "definitions") : NULL;
    if (ed_node_kind_of(defs) != ED_NODE_MAP) {
        /* kustomize then knows no kind at all: every list is replaced. */
        ed_doc *empty = ed_doc_new();
        ed_doc_set_root(empty, ed_node_new_map(empty));
        docs = ed_xrealloc(docs, (n + 1) * sizeof(ed_doc *));
        docs[n++] = empty;
        defs = ed_doc_root(empty);
    }
    schema->docs = docs;
    schema->n = n;
    schema->definitions = defs;
    schema->with_builtin = schema->builtin_used;
    schema->set = true;
    return 0;
}

int ks_patches_load(const ed_node *kz, ks_loader *ld, const char *kfile, ks_schema *schema,
                    ks_patch_set **out, ed_err *err)
{
    const ed_node *legacy_smp = ed_node_get(kz, "patchesStrategicMerge");
    const ed_node *patches = ed_node_get(kz, "patches");
    const ed_node *legacy_json = ed_node_get(kz, "patchesJson6902");
    ks_patch_set *set = ed_xcalloc(1, sizeof(*set));
    int rc = check_seq(legacy_smp, kfile, "patchesStrategicMerge", err);
    if (!rc)
        rc = check_seq(patches, kfile, "patches", err);
    if (!rc)
        rc = check_seq(legacy_json, kfile, "patchesJson6902", err);
    for (size_t i = 0; !rc && i < ed_node_len(legacy_smp); i++)
        rc = load_legacy_smp(set, ed_node_at(legacy_smp, i), ld, kfile, i, err);
    for (size_t i = 0; !rc && i < ed_node_len(patches); i++)
        rc = load_entry(set, ed_node_at(patches, i), ld, kfile, "patches", i, false, err);
    set->n_early = set->len;
    for (size_t i = 0; !rc && i < ed_node_len(legacy_json); i++)
        rc =
            load_entry(set, ed_node_at(legacy_json, i), ld, kfile, "patchesJson6902", i, true, err);
    for (size_t i = 0; !rc && i < set->len; i++)
        set->items[i].schema = schema;
    if (rc) {
        ks_patch_set_free(set);
        set = NULL;
    }
    *out = set;
    return rc;
}

/* ---- selecting objects ---- */

/* Does s match the selector's pattern in slot, anchored at both ends? The expression is compiled
 * once per patch. Errors name the bad expression. */
static int regex_match(const ks_selector *sel, int slot, const char *pattern, const char *s,
                       bool *match, ed_err *err)
{
    /* Most targets name a kind or an object literally: letters, digits, '-' and '_' match only
     * themselves, so a comparison is the same as the anchored expression, and much cheaper. */
    if (pattern[strspn(
            pattern, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")] == '\0') {
        *match = strcmp(pattern, s) == 0;
        return 0;
    }
    regex_cache *c = sel->cache;
    if (!c->re[slot]) {
        char *anchored = ed_xasprintf("^(?:%s)$", pattern);
        int code;
        PCRE2_SIZE off;
        c->re[slot] = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code,
                                    &off, NULL);
        free(anchored);
        if (!c->re[slot]) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(code, msg, sizeof(msg));
            return ed_err_set(err, ED_EINVALID, "bad regular expression '%s': %s", pattern,
                              (const char *)msg);
        }
        c->md[slot] = pcre2_match_data_create_from_pattern(c->re[slot], NULL);
    }
    *match = pcre2_match(c->re[slot], (PCRE2_SPTR)s, strlen(s), 0, 0, c->md[slot], NULL) >= 0;
    return 0;
}

/* The object's original id's name and namespace (its first previous id, or its current). */
static void original_id(const ks_res *r, const ks_id *cur, const char **name, const char **ns)
{
    *name = r->n_old_names ? r->old_names[0] : cur->name;
    *ns = r->n_old_names ? r->old_ns[0] : cur->ns;
}

/* A namespace as kustomize compares it, for an object of id's kind. */
static const char *effective(const ks_id *id, const char *ns)
{
    if (ks_is_cluster_scoped(id))
        return "_non_namespaceable_";
    return *ns ? ns : "default";
}

/* Does the pattern in slot match a or b? */
static int regex_either(const ks_selector *sel, int slot, const char *pattern, const char *a,
                        const char *b, bool *match, ed_err *err)
{
    int rc = regex_match(sel, slot, pattern, a, match, err);
    if (!rc && !*match)
        rc = regex_match(sel, slot, pattern, b, match, err);
    return rc;
}

int ks_selector_match(const char *selector, const ed_node *labels, bool *match, ed_err *err)
{
    ed_label_selector *sel = NULL;
    *match = false;
    if (ed_label_selector_parse_kyaml(selector, &sel, err) != 0)
        return ED_EINVALID;
    *match = ed_label_selector_matches(sel, labels);
    ed_label_selector_free(sel);
    return 0;
}

/* kustomize's selection: group, version and kind of the object, its original or current name,
 * its original or current namespace, then the label and annotation selectors. */
static int select_one(const ks_selector *sel, const ks_res *r, bool *match, ed_err *err)
{
    ks_id id;
    const ed_node *obj = ed_doc_root(r->doc);
    ks_id_of(obj, &id);
    char group[256];
    snprintf(group, sizeof(group), "%.*s", (int)id.group_len, id.group);
    const char *fields[] = {group, id.version, id.kind};
    const char *pats[] = {sel->group, sel->version, sel->kind};
    const char *org_name, *org_ns;
    original_id(r, &id, &org_name, &org_ns);
    int rc = 0;
    *match = true;
    for (size_t k = 0; k < 3 && *match && !rc; k++)
        if (pats[k] && *pats[k])
            rc = regex_match(sel, (int)k, pats[k], fields[k], match, err);
    if (!rc && *match && sel->ns && *sel->ns)
        rc = regex_either(sel, RE_NS, sel->ns, effective(&id, org_ns), effective(&id, id.ns), match,
                          err);
    if (!rc && *match && sel->name && *sel->name)
        rc = regex_either(sel, RE_NAME, sel->name, org_name, id.name, match, err);
    if (!rc && *match && sel->labels && *sel->labels)
        rc = ks_selector_match(sel->labels, ed_node_path(obj, "/metadata/labels"), match, err);
    if (!rc && *match && sel->annotations && *sel->annotations)
        rc = ks_selector_match(sel->annotations, ed_node_path(obj, "/metadata/annotations"), match,
                               err);
    return rc;
}

int ks_select(const ed_node *selector, const ks_list *l, bool *out, ed_err *err)
{
    static const char *const keys[] = {
        "group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"};
    ks_selector sel = {0};
    const char **slots[] = {&sel.group, &sel.version, &sel.kind,       &sel.name,
                            &sel.ns,    &sel.labels,  &sel.annotations};
    for (size_t k = 0; k < 7; k++)
        *slots[k] = ed_node_str(ed_node_get(selector, keys[k]));
    regex_cache cache = {0};
    sel.cache = &cache;
    int rc = 0;
    for (size_t i = 0; i < l->len && !rc; i++) {
        out[i] = true;
        if (selector)
            rc = select_one(&sel, &l->items[i], &out[i], err);
    }
    for (size_t k = 0; k < RE_SLOTS; k++) {
        pcre2_match_data_free(cache.md[k]);
        pcre2_code_free(cache.re[k]);
    }
    return rc;
}

/* Does r have the id of patch: its group, version and kind, and the name and namespace of its
 * current id or of any previous one? */
static bool has_patch_id(const ks_res *r, const ed_node *patch)
{
    ks_id a, b;
    ks_id_of(ed_doc_root(r->doc), &a);
    ks_id_of(patch, &b);
    if (a.group_len != b.group_len || strncmp(a.group, b.group, a.group_len) != 0 ||
        strcmp(a.version, b.version) != 0 || strcmp(a.kind, b.kind) != 0)
        return false;
    const char *want_ns = effective(&a, b.ns);
    if (strcmp(a.name, b.name) == 0 && strcmp(effective(&a, a.ns), want_ns) == 0)
        return true;
    for (size_t k = 0; k < r->n_old_names; k++)
        if (strcmp(r->old_names[k], b.name) == 0 &&
            strcmp(effective(&a, r->old_ns[k]), want_ns) == 0)
            return true;
    return false;
}

/* ---- applying ---- */

/* After a patch renamed r (or moved it to another namespace): record its former id. */
static void remember_id(ks_res *r, const char *name, const char *ns)
{
    ks_res_push_prev(r, name, ns);
}

static void set_meta(ed_doc *doc, const char *key, const char *value)
{
    ed_node *meta = ed_node_ensure_map(doc, ed_doc_root(doc), "metadata");
    if (!meta)
        return;
    if (value && *value)
        ed_node_set(doc, meta, key, ed_node_new_str(doc, value));
    else
        ed_node_remove(meta, key);
}

/* Apply one strategic merge patch to r, keeping apiVersion, namespace, and the kind and name
 * unless the options allow changing them. *deleted: the patch removed the object. */
static int smp_one(const ks_patch *p, ks_res *r, const ed_node *patch, bool *deleted, ed_err *err)
{
    ed_doc *doc = r->doc;
    const ed_node *root = ed_doc_root(doc);
    char *api = ed_xstrdup(ed_node_path_str(root, "/apiVersion") ?: "");
    char *kind = ed_xstrdup(ed_node_path_str(root, "/kind") ?: "");
    char *name = ed_xstrdup(ed_node_path_str(root, "/metadata/name") ?: "");
    char *ns = ed_xstrdup(ed_node_path_str(root, "/metadata/namespace") ?: "");
    ks_schema *schema = p->schema;
    int rc = ks_smp_apply(doc, patch, schema ? schema->definitions : NULL,
                          schema && schema->with_builtin, deleted, err);
    /* kustomize reads its built-in schema when a patch first needs it: a schema named later
     * only adds its kinds to it */
    if (schema && !schema->definitions)
        schema->builtin_used = true;
    root = ed_doc_root(doc);
    if (!rc && !*deleted && ed_node_len(root) == 0)
        *deleted = true;
    if (!rc && !*deleted) {
        ed_node_set(doc, ed_doc_root(doc), "apiVersion", ed_node_new_str(doc, api));
        if (!p->allow_kind)
            ed_node_set(doc, ed_doc_root(doc), "kind", ed_node_new_str(doc, kind));
        if (!p->allow_name)
            set_meta(doc, "name", name);
        else if (strcmp(name, ed_node_path_str(ed_doc_root(doc), "/metadata/name") ?: "") != 0)
            remember_id(r, name, ns);
        set_meta(doc, "namespace", ns);
    }
    free(api);
    free(kind);
    free(name);
    free(ns);
    return rc;
}

static void drop_item(ks_list *l, size_t i)
{
    ks_res *r = &l->items[i];
    ed_doc_free(r->doc);
    ks_res_free_history(r);
    memmove(&l->items[i], &l->items[i + 1], (l->len - i - 1) * sizeof(*l->items));
    l->len--;
}

/* After a patch, the object must still have a kind and a name, as kustomize checks. */
static int check_identity(const ks_res *r, ed_err *err)
{
    const ed_node *root = ed_doc_root(r->doc);
    const char *kind = ed_node_path_str(root, "/kind"),
               *name = ed_node_path_str(root, "/metadata/name");
    if (ed_node_kind_of(root) != ED_NODE_MAP || !kind || !*kind)
        return ed_err_set(err, ED_EINVALID, "missing kind in the patched object");
    if (!name || !*name)
        return ed_err_set(err, ED_EINVALID, "missing metadata.name in the patched object");
    return 0;
}

/* Apply p's document d to every object the target selects. */
static int apply_selected(const ks_patch *p, const ed_node *body, ks_list *l, ed_err *err)
{
    for (size_t i = 0; i < l->len;) {
        bool match, deleted = false;
        int rc = select_one(&p->target, &l->items[i], &match, err);
        if (rc)
            return rc;
        if (match && p->json) {
            const ed_node *root = ed_doc_root(l->items[i].doc);
            char *name = ed_xstrdup(ed_node_path_str(root, "/metadata/name") ?: "");
            char *ns = ed_xstrdup(ed_node_path_str(root, "/metadata/namespace") ?: "");
            /* kustomize patches the object's JSON (read through Go maps: timestamps
             * become times) and reads the result back */
            rc = ks_timestamps_as_go(l->items[i].doc, true, err);
            if (!rc)
                rc = ks_json_roundtrip(&l->items[i].doc, err);
            if (!rc)
                rc = ed_ks_json6902_apply(l->items[i].doc, body, err);
            root = ed_doc_root(l->items[i].doc);
            if (!rc && (strcmp(ed_node_path_str(root, "/metadata/name") ?: "", name) != 0 ||
                        strcmp(ed_node_path_str(root, "/metadata/namespace") ?: "", ns) != 0))
                remember_id(&l->items[i], name, ns);
            free(name);
            free(ns);
        } else if (match) {
            rc = smp_one(p, &l->items[i], body, &deleted, err);
        }
        if (match)
            l->items[i].patched = true;
        if (!rc && match && !deleted)
            rc = check_identity(&l->items[i], err);
        if (rc) {
            ks_id id;
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
            char *s = ks_id_string(&id);
            ed_err_wrap(err, "applying %s to %s", p->origin, s);
            free(s);
            return rc;
        }
        if (deleted)
            drop_item(l, i);
        else
            i++;
    }
    return 0;
}

/* A strategic merge patch without a target: the object with the patch's id. */
static int apply_by_id(const ks_patch *p, const ed_node *body, ks_list *l, ed_err *err)
{
    size_t found = l->len;
    for (size_t i = 0; i < l->len; i++) {
        if (!has_patch_id(&l->items[i], body))
            continue;
        if (found != l->len) {
            ks_id id;
            ks_id_of(body, &id);
            char *s = ks_id_string(&id);
            int rc =
                ed_err_set(err, ED_EINVALID, "%s: multiple objects match the id %s", p->origin, s);
            free(s);
            return rc;
        }
        found = i;
    }
    if (found == l->len) {
        ks_id id;
        ks_id_of(body, &id);
        char *s = ks_id_string(&id);
        int rc = ed_err_set(err, ED_ENOTFOUND,
                            "no resource matches strategic merge patch %s (%s): no object with "
                            "that id among the resources",
                            s, p->origin);
        free(s);
        return rc;
    }
    bool deleted = false;
    l->items[found].patched = true;
    int rc = smp_one(p, &l->items[found], body, &deleted, err);
    if (!rc && !deleted)
        rc = check_identity(&l->items[found], err);
    if (rc)
        return ed_err_wrap(err, "applying %s", p->origin);
    if (deleted)
        drop_item(l, found);
    return 0;
}

static int apply_range(const ks_patch_set *set, size_t from, size_t to, ks_list *l,
                       const char *kfile, ed_err *err)
{
    for (size_t i = from; i < to; i++) {
        const ks_patch *p = &set->items[i];
        for (size_t d = 0; d < p->ndocs; d++) {
            const ed_node *body = ed_doc_root(p->docs[d]);
            int rc = p->has_target ? apply_selected(p, body, l, err) : apply_by_id(p, body, l, err);
            if (rc)
                return ed_err_wrap(err, "%s", kfile);
        }
    }
    return 0;
}

int ks_patches_apply_early(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err)
{
    return set ? apply_range(set, 0, set->n_early, l, kfile, err) : 0;
}

int ks_patches_apply_late(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err)
{
    return set ? apply_range(set, set->n_early, set->len, l, kfile, err) : 0;
}
