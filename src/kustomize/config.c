/*
 * kustomize's `configurations`: files that extend the built-in transformer configuration, most
 * often to teach kustomize where custom resources hold names (kubebuilder's kustomizeconfig.yaml
 * for CRDs). eddy reads the three kinds of entries such files use: `nameReference` (more name
 * references, as in nameref.c's table), `varReference` (more fields where $(VAR) expands) and
 * `namespace` (more fields that take the kustomization's namespace). Entries of other
 * transformers are refused with an error naming them.
 *
 * The entries of a build are gathered in one document: name and var references apply at the
 * end, to everything; namespace entries to the objects of each kustomization that sets a
 * namespace, from then on.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const sections[] = {"nameReference", "varReference", "namespace", NULL};

/* Field specs that go with the kustomization's own ones (as its CRDs' do), so they act where
 * kustomize's do: in this kustomization and those that include it. */
static const char *const field_sections[] = {"commonLabels", "commonAnnotations", "images", NULL};

/* kustomize's other transformer configurations, refused rather than ignored. */
static const char *const unsupported[] = {"namePrefix", "nameSuffix", "replicas", "templateLabels",
                                          NULL};

static bool in(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* A field spec: a mapping with a string path and optional kind, group, version, create. */
static int check_spec(const ed_node *fs, const char *file, ed_err *err)
{
    if (ed_node_kind_of(fs) != ED_NODE_MAP || !ed_node_str(ed_node_get(fs, "path")))
        return ed_err_set(err, ED_EINVALID, "%s: a field spec needs a path", file);
    for (size_t i = 0; i < ed_node_len(fs); i++) {
        const char *k = ed_node_key_at(fs, i);
        if (strcmp(k, "path") != 0 && strcmp(k, "kind") != 0 && strcmp(k, "group") != 0 &&
            strcmp(k, "version") != 0 && strcmp(k, "create") != 0)
            return ed_err_set(err, ED_EINVALID, "%s: unknown field \"%s\" in a field spec", file,
                              k);
    }
    return 0;
}

static int check_section(const char *section, const ed_node *list, const char *file, ed_err *err)
{
    if (ed_node_kind_of(list) != ED_NODE_SEQ)
        return ed_err_set(err, ED_EINVALID, "%s: %s must be a list", file, section);
    for (size_t i = 0; i < ed_node_len(list); i++) {
        const ed_node *e = ed_node_at(list, i);
        int rc = 0;
        if (strcmp(section, "nameReference") != 0) {
            rc = check_spec(e, file, err);
        } else if (ed_node_kind_of(e) != ED_NODE_MAP || !ed_node_str(ed_node_get(e, "kind"))) {
            rc = ed_err_set(err, ED_EINVALID, "%s: a nameReference entry needs a kind", file);
        } else {
            const ed_node *specs = ed_node_get(e, "fieldSpecs");
            if (specs && ed_node_kind_of(specs) != ED_NODE_SEQ)
                rc = ed_err_set(err, ED_EINVALID, "%s: fieldSpecs must be a list", file);
            for (size_t k = 0; !rc && k < ed_node_len(specs); k++)
                rc = check_spec(ed_node_at(specs, k), file, err);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Check one configuration file's document and append its entries to config's sections (and
 * fields' for field_sections). */
static int add_file(ed_doc *config, ed_doc *fields, const ed_node *root, const char *file,
                    ed_err *err)
{
    if (!root || ed_node_kind_of(root) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(root) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "%s: a transformer configuration must be a mapping",
                          file);
    for (size_t i = 0; i < ed_node_len(root); i++) {
        const char *key = ed_node_key_at(root, i);
        const ed_node *list = ed_node_value_at(root, i);
        if (in(unsupported, key))
            return ed_err_set(err, ED_EINVALID,
                              "%s: transformer configuration '%s' is not supported by eddy yet",
                              file, key);
        bool field = in(field_sections, key);
        if (!field && !in(sections, key))
            return ed_err_set(err, ED_EINVALID, "%s: unknown transformer configuration \"%s\"",
                              file, key);
        if (ed_node_kind_of(list) == ED_NODE_NULL)
            continue;
        int rc = check_section(key, list, file, err);
        if (rc)
            return rc;
        ed_doc *to = field ? fields : config;
        ed_node *dst = ed_node_get(ed_doc_root(to), key);
        if (!dst) {
            dst = ed_node_new_seq(to);
            ed_node_set(to, ed_doc_root(to), key, dst);
        }
        for (size_t k = 0; k < ed_node_len(list); k++)
            ed_node_append(to, dst, ed_node_copy(to, ed_node_at(list, k)));
    }
    return 0;
}

int ks_config_load(struct build *b, ed_doc *config, ed_doc *fields, const ed_node *kz,
                   const char *dir, const char *kfile, ed_err *err)
{
    const ed_node *files = ed_node_get(kz, "configurations");
    if (!files || ed_node_kind_of(files) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(files) != ED_NODE_SEQ)
        return ed_err_set(err, ED_EINVALID, "%s: configurations must be a list of files", kfile);
    int rc = 0;
    for (size_t i = 0; !rc && i < ed_node_len(files); i++) {
        const char *file = ed_node_str(ed_node_at(files, i));
        char *data = NULL;
        size_t len = 0;
        ed_doc **docs = NULL;
        size_t n = 0;
        if (!file)
            return ed_err_set(err, ED_EINVALID, "%s: configurations must be a list of files",
                              kfile);
        rc = ks_read_source(b, dir, file, kfile, &data, &len, err);
        if (!rc)
            rc = ed_doc_parse_yaml(data, len, file, &docs, &n, err);
        for (size_t d = 0; !rc && d < n; d++)
            rc = add_file(config, fields, ed_doc_root(docs[d]), file, err);
        ed_doc_list_free(docs, n);
        free(data);
    }
    return rc;
}

/* ---- namespace field specs ---- */

static bool spec_selects(const ed_node *fs, const ks_id *id)
{
    const char *g = ed_node_str(ed_node_get(fs, "group"));
    const char *v = ed_node_str(ed_node_get(fs, "version"));
    const char *k = ed_node_str(ed_node_get(fs, "kind"));
    return (!g || !*g ||
            (strlen(g) == id->group_len && strncmp(g, id->group, id->group_len) == 0)) &&
           (!v || !*v || strcmp(v, id->version) == 0) && (!k || !*k || strcmp(k, id->kind) == 0);
}

/* Set the field at path (mapping keys, lists walked item by item) to value. */
static void set_path(ed_doc *doc, ed_node *node, const char *path, const char *value, bool create,
                     int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++)
            set_path(doc, ed_node_at(node, i), path, value, create, depth + 1);
        return;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return;
    const char *slash = strchr(path, '/');
    char *key = slash ? ed_xstrndup(path, (size_t)(slash - path)) : ed_xstrdup(path);
    ed_node *child = ed_node_get(node, key);
    if (!slash) {
        if (child || create)
            ed_node_set(doc, node, key, ed_node_new_str(doc, value));
    } else {
        if (!child && create) {
            child = ed_node_new_map(doc);
            ed_node_set(doc, node, key, child);
        }
        if (child)
            set_path(doc, child, slash + 1, value, create, depth + 1);
    }
    free(key);
}

void ks_config_namespace(const ed_doc *config, const ed_node *kz, ks_list *l)
{
    const char *ns = ed_node_str(ed_node_get(kz, "namespace"));
    const ed_node *specs = ed_node_get(ed_doc_root(config), "namespace");
    if (!ns || !*ns || ed_node_len(specs) == 0)
        return;
    for (size_t i = 0; i < l->len; i++) {
        ks_id id;
        ks_id_of(ed_doc_root(l->items[i].doc), &id);
        for (size_t s = 0; s < ed_node_len(specs); s++) {
            const ed_node *fs = ed_node_at(specs, s);
            bool create = false;
            ed_node_bool(ed_node_get(fs, "create"), &create);
            if (spec_selects(fs, &id))
                set_path(l->items[i].doc, ed_doc_root(l->items[i].doc),
                         ed_node_str(ed_node_get(fs, "path")), ns, create, 0);
        }
    }
}
