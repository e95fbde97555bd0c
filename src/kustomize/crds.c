/*
 * kustomize's `crds`: files of OpenAPI definitions of custom types, in kube-openapi's style (a
 * mapping from a Go type name such as "example.com/pkg/apis/v1.MyKind" to {Schema: ...,
 * Dependencies: ...}). kustomize reads them for the name references they declare: a property
 * annotated with x-kubernetes-object-ref-api-version and x-kubernetes-object-ref-kind holds a
 * reference to an object of that version and kind, under the key named by
 * x-kubernetes-object-ref-name-key ("name" by default). eddy turns each such property into a
 * nameReference entry of the build's transformer configuration (config.c), exactly as a
 * `configurations` file would declare it, so a custom resource's reference follows the
 * prefix, suffix and hash of the ConfigMap, Secret or other object it names.
 *
 * As in kustomize, the roots are the definitions whose properties hold kind, apiVersion and
 * metadata; the kind is the last dot-separated part of the type name (group and version are
 * left open); "$ref" properties are followed into the definitions of the same file, their
 * names joining the path (a list's "items" are not followed: an annotation on the list
 * property itself reaches every element, as the path walks lists). x-kubernetes-group-version-
 * kind and the patch merge keys are not read: kustomize v5.5 gives custom kinds no merge keys
 * from `crds`. A cycle of "$ref" (kustomize overflows its stack) is refused past
 * ED_DOC_MAX_DEPTH levels.
 *
 * The three other annotations kustomize reads add a field spec (this kind, this property's path,
 * never created) to a transformer's configuration: x-kubernetes-annotation to commonAnnotations'
 * (the property is a mapping that takes the annotations), x-kubernetes-label-selector to
 * commonLabels' (a mapping that takes commonLabels, and the labels of `labels` entries with
 * includeSelectors), x-kubernetes-identity to namePrefix's (a string that takes the namePrefix,
 * not the suffix). As with every annotation, only a string value counts ("" by convention).
 * Specs are kept once, as kustomize merges them: a file listed twice does not prefix twice.
 */
#include "kustomize_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define X_VERSION  "x-kubernetes-object-ref-api-version"
#define X_KIND     "x-kubernetes-object-ref-kind"
#define X_NAME_KEY "x-kubernetes-object-ref-name-key"

/* Each annotation that adds a field spec, and the transformer configuration it goes to. */
static const struct {
    const char *annotation, *section;
} spec_annotations[] = {
    {"x-kubernetes-annotation", "commonAnnotations"},
    {"x-kubernetes-label-selector", "commonLabels"},
    {"x-kubernetes-identity", "namePrefix"},
};

/* One file being read: its definitions, and where its entries go. */
struct crd_file {
    const ed_node *defs; /* the mapping from type name to definition */
    const char *file;    /* the entry of `crds`, for messages */
    ed_doc *config;
    ed_node *names; /* config's nameReference sequence */
    ed_doc *fields; /* where field specs go */
    ed_err *err;
};

static int bad(const struct crd_file *f, const char *what, const char *type)
{
    return ed_err_set(f->err, ED_EINVALID,
                      "unable to parse open API definition from '%s': %s of \"%s\" must be a "
                      "mapping",
                      f->file, what, type);
}

/* The Schema of a definition (Go's JSON decoding matches the key case-insensitively). */
static const ed_node *schema_of(const ed_node *def)
{
    for (size_t i = 0; i < ed_node_len(def); i++)
        if (strcasecmp(ed_node_key_at(def, i), "schema") == 0)
            return ed_node_value_at(def, i);
    return NULL;
}

static bool is_map_or_absent(const ed_node *n)
{
    return !n || ed_node_kind_of(n) == ED_NODE_MAP || ed_node_kind_of(n) == ED_NODE_NULL;
}

/* Check every definition's shape: mappings all the way to each property, "$ref" a string. */
static int check_defs(const struct crd_file *f)
{
    for (size_t i = 0; i < ed_node_len(f->defs); i++) {
        const char *type = ed_node_key_at(f->defs, i);
        const ed_node *def = ed_node_value_at(f->defs, i);
        if (!is_map_or_absent(def))
            return bad(f, "the definition", type);
        const ed_node *schema = schema_of(def);
        if (!is_map_or_absent(schema))
            return bad(f, "the Schema", type);
        const ed_node *props = ed_node_get(schema, "properties");
        if (!is_map_or_absent(props))
            return bad(f, "the properties", type);
        for (size_t p = 0; p < ed_node_len(props); p++) {
            const ed_node *prop = ed_node_value_at(props, p);
            const ed_node *ref = ed_node_get(prop, "$ref");
            if (!is_map_or_absent(prop))
                return bad(f, "each property", type);
            if (ref && ed_node_kind_of(ref) != ED_NODE_STR && ed_node_kind_of(ref) != ED_NODE_NULL)
                return ed_err_set(f->err, ED_EINVALID,
                                  "unable to parse open API definition from '%s': \"%s\": "
                                  "property \"%s\": $ref must be a string",
                                  f->file, type, ed_node_key_at(props, p));
        }
    }
    return 0;
}

static const ed_node *properties_of(const struct crd_file *f, const char *type)
{
    return ed_node_get(schema_of(ed_node_get(f->defs, type)), "properties");
}

/* kustomize's test for a type of its own object: kind, apiVersion and metadata properties. */
static bool is_object_type(const ed_node *props)
{
    return ed_node_get(props, "kind") && ed_node_get(props, "apiVersion") &&
           ed_node_get(props, "metadata");
}

/* "a.b.MyKind" -> "MyKind" */
static const char *kind_of_type(const char *type)
{
    const char *dot = strrchr(type, '.');
    return dot ? dot + 1 : type;
}

static char *join(const char *path, const char *name)
{
    size_t n = strlen(path) + strlen(name) + 2;
    char *s = ed_xmalloc(n);
    snprintf(s, n, "%s%s%s", path, *path ? "/" : "", name);
    return s;
}

/* Append {kind: target, version, fieldSpecs: [{kind: referrer, path}]} to the nameReference
 * entries. */
static void add_ref(const struct crd_file *f, const char *target, const char *version,
                    const char *referrer, const char *path)
{
    ed_doc *c = f->config;
    ed_node *e = ed_node_new_map(c);
    ed_node_set(c, e, "kind", ed_node_new_str(c, target));
    ed_node_set(c, e, "version", ed_node_new_str(c, version));
    ed_node *fs = ed_node_new_map(c);
    ed_node_set(c, fs, "kind", ed_node_new_str(c, referrer));
    ed_node_set(c, fs, "path", ed_node_new_str(c, path));
    ed_node *specs = ed_node_new_seq(c);
    ed_node_append(c, specs, fs);
    ed_node_set(c, e, "fieldSpecs", specs);
    ed_node_append(c, f->names, e);
}

/* Append {kind, path} to the section of c unless it is there already. */
static void add_spec(ed_doc *c, const char *section, const char *kind, const char *path)
{
    ed_node *specs = ed_node_get(ed_doc_root(c), section);
    if (!specs) {
        specs = ed_node_new_seq(c);
        ed_node_set(c, ed_doc_root(c), section, specs);
    }
    for (size_t i = 0; i < ed_node_len(specs); i++) {
        const ed_node *fs = ed_node_at(specs, i);
        const char *k = ed_node_str(ed_node_get(fs, "kind"));
        const char *p = ed_node_str(ed_node_get(fs, "path"));
        if (k && p && strcmp(k, kind) == 0 && strcmp(p, path) == 0)
            return;
    }
    ed_node *fs = ed_node_new_map(c);
    ed_node_set(c, fs, "kind", ed_node_new_str(c, kind));
    ed_node_set(c, fs, "path", ed_node_new_str(c, path));
    ed_node_append(c, specs, fs);
}

static int walk_type(const struct crd_file *f, const char *kind, const char *type, const char *path,
                     int depth);

/* One property of a type reached at path: its reference, if annotated, and its $ref. */
static int walk_property(const struct crd_file *f, const char *kind, const char *name,
                         const ed_node *prop, const char *path, int depth)
{
    char *at = join(path, name);
    int rc = 0;
    for (size_t i = 0; i < sizeof(spec_annotations) / sizeof(spec_annotations[0]); i++)
        if (ed_node_str(ed_node_get(prop, spec_annotations[i].annotation)))
            add_spec(f->fields, spec_annotations[i].section, kind, at);
    const char *version = ed_node_str(ed_node_get(prop, X_VERSION));
    const char *target = ed_node_str(ed_node_get(prop, X_KIND));
    if (version && target) {
        const char *key = ed_node_str(ed_node_get(prop, X_NAME_KEY));
        char *ref_path = join(at, key ? key : "name");
        add_ref(f, target, version, kind, ref_path);
        free(ref_path);
    }
    const char *ref = ed_node_str(ed_node_get(prop, "$ref"));
    if (ref && *ref)
        rc = walk_type(f, kind, ref, at, depth + 1);
    free(at);
    return rc;
}

static int walk_type(const struct crd_file *f, const char *kind, const char *type, const char *path,
                     int depth)
{
    const ed_node *props = properties_of(f, type);
    if (depth > ED_DOC_MAX_DEPTH)
        return ed_err_set(f->err, ED_EINVALID,
                          "%s: \"%s\": definitions nest deeper than %d levels (a cycle of $ref?)",
                          f->file, type, ED_DOC_MAX_DEPTH);
    int rc = 0;
    for (size_t i = 0; i < ed_node_len(props) && !rc; i++)
        rc = walk_property(f, kind, ed_node_key_at(props, i), ed_node_value_at(props, i), path,
                           depth);
    return rc;
}

static int load_defs(struct crd_file *f)
{
    if (!f->defs || ed_node_kind_of(f->defs) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(f->defs) != ED_NODE_MAP)
        return ed_err_set(f->err, ED_EINVALID,
                          "unable to parse open API definition from '%s': it must be a mapping "
                          "from type names to definitions",
                          f->file);
    int rc = check_defs(f);
    for (size_t i = 0; i < ed_node_len(f->defs) && !rc; i++) {
        const char *type = ed_node_key_at(f->defs, i);
        if (is_object_type(properties_of(f, type)))
            rc = walk_type(f, kind_of_type(type), type, "", 0);
    }
    return rc;
}

static ed_node *name_refs(ed_doc *config)
{
    ed_node *dst = ed_node_get(ed_doc_root(config), "nameReference");
    if (!dst) {
        dst = ed_node_new_seq(config);
        ed_node_set(config, ed_doc_root(config), "nameReference", dst);
    }
    return dst;
}

static int load_file(struct build *b, ed_doc *config, ed_doc *fields, const char *dir,
                     const char *kfile, const char *file, ed_err *err)
{
    char *data = NULL;
    size_t len = 0;
    ed_doc **docs = NULL;
    size_t n = 0;
    int rc = ks_read_source(b, dir, file, kfile, &data, &len, err);
    if (!rc) {
        rc = ed_doc_parse_yaml(data, len, file, &docs, &n, err);
        if (rc)
            ed_err_wrap(err, "unable to parse open API definition from '%s'", file);
    }
    if (!rc && n > 0) {
        struct crd_file f = {ed_doc_root(docs[0]), file, config, name_refs(config), fields, err};
        rc = load_defs(&f);
    }
    ed_doc_list_free(docs, n);
    free(data);
    return rc;
}

int ks_crds_load(struct build *b, ed_doc *config, ed_doc *fields, const ed_node *kz,
                 const char *dir, const char *kfile, ed_err *err)
{
    const ed_node *files = ed_node_get(kz, "crds");
    if (!files || ed_node_kind_of(files) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(files) != ED_NODE_SEQ)
        return ed_err_set(err, ED_EINVALID, "%s: crds must be a list of files", kfile);
    int rc = 0;
    for (size_t i = 0; i < ed_node_len(files) && !rc; i++) {
        const char *file = ed_node_str(ed_node_at(files, i));
        if (!file)
            return ed_err_set(err, ED_EINVALID, "%s: crds must be a list of files", kfile);
        rc = load_file(b, config, fields, dir, kfile, file, err);
    }
    if (rc)
        ed_err_wrap(err, "%s: loading CRDs", kfile);
    return rc;
}

void ks_crds_merge(ed_doc *dst, const ed_doc *src)
{
    /* every section: the CRDs' and those `configurations` add (group, version, create too) */
    const ed_node *root = ed_doc_root(src);
    for (size_t i = 0; i < ed_node_len(root); i++) {
        const char *section = ed_node_key_at(root, i);
        const ed_node *specs = ed_node_value_at(root, i);
        ed_node *to = ed_node_get(ed_doc_root(dst), section);
        if (!to) {
            to = ed_node_new_seq(dst);
            ed_node_set(dst, ed_doc_root(dst), section, to);
        }
        for (size_t k = 0; k < ed_node_len(specs); k++) {
            const ed_node *fs = ed_node_at(specs, k);
            size_t j = 0;
            while (j < ed_node_len(to) && !ed_node_equal(ed_node_at(to, j), fs))
                j++;
            if (j == ed_node_len(to))
                ed_node_append(dst, to, ed_node_copy(dst, fs));
        }
    }
}
