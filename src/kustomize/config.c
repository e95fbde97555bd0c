/*
 * kustomize's `configurations`: files that extend the built-in transformer configuration, most
 * often to teach kustomize where custom resources hold names (kubebuilder's kustomizeconfig.yaml
 * for CRDs), replica counts or pod templates (an Argo Rollout). eddy reads every section
 * kustomize's TransformerConfig has: `nameReference` (more name references, as in nameref.c's
 * table) and `varReference` (more fields where $(VAR) expands) are gathered for the whole
 * build, as kustomize applies them once at the end, to everything; the field specs of
 * namespace, namePrefix, nameSuffix, commonLabels, labels, templateLabels, commonAnnotations,
 * images and replicas go with the kustomization's own (as its CRDs' do), so they act where
 * kustomize's do: in this kustomization and those that include it, never in a sibling.
 *
 * A spec of a place every kind has by default (metadata/labels for commonLabels) that names a
 * kind is refused, and a namePrefix or nameSuffix one of metadata/name: kustomize merges it with
 * its default so that only the kinds it names keep that place, in this kustomization and those
 * that include it, a rule eddy does not follow yet.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const sections[] = {"nameReference", "varReference", NULL};

/* Field specs that go with the kustomization's own ones (as its CRDs' do), so they act where
 * kustomize's do: in this kustomization and those that include it. */
static const char *const field_sections[] = {
    "namespace",      "namePrefix",        "nameSuffix", "commonLabels", "labels",
    "templateLabels", "commonAnnotations", "images",     "replicas",     NULL};

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

/* The place every kind has in kustomize's default configuration of a section. */
static const struct {
    const char *section, *path;
} default_paths[] = {
    {"namePrefix", "metadata/name"},
    {"nameSuffix", "metadata/name"},
    {"commonLabels", "metadata/labels"},
    {"templateLabels", "metadata/labels"},
    {"commonAnnotations", "metadata/annotations"},
};

/* A spec of a section's default place: for every kind it changes nothing (kustomize merges it
 * away); for some kinds kustomize then drops the default for the others (its merge keeps the
 * spec that selects the other and sorts first), here and in every kustomization including this
 * one. eddy refuses those, and specs of metadata/name for namePrefix and nameSuffix altogether. */
static int check_default_path(const char *section, const ed_node *list, const char *file,
                              ed_err *err)
{
    for (size_t d = 0; d < sizeof(default_paths) / sizeof(default_paths[0]); d++) {
        if (strcmp(default_paths[d].section, section) != 0)
            continue;
        bool renames = strcmp(default_paths[d].path, "metadata/name") == 0;
        for (size_t k = 0; k < ed_node_len(list); k++) {
            const ed_node *fs = ed_node_at(list, k);
            if (strcmp(ed_node_str(ed_node_get(fs, "path")), default_paths[d].path) != 0)
                continue;
            const char *g = ed_node_str(ed_node_get(fs, "group"));
            const char *v = ed_node_str(ed_node_get(fs, "version"));
            const char *kind = ed_node_str(ed_node_get(fs, "kind"));
            if (renames || (g && *g) || (v && *v) || (kind && *kind))
                return ed_err_set(err, ED_EINVALID,
                                  "%s: a %s field spec of %s%s is not supported by eddy yet "
                                  "(kustomize would then act there only on the kinds it names)",
                                  file, section, default_paths[d].path,
                                  renames ? "" : " for some kinds");
        }
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
        bool field = in(field_sections, key);
        if (!field && !in(sections, key))
            return ed_err_set(err, ED_EINVALID, "%s: unknown transformer configuration \"%s\"",
                              file, key);
        if (ed_node_kind_of(list) == ED_NODE_NULL)
            continue;
        int rc = check_section(key, list, file, err);
        if (rc)
            return rc;
        rc = check_default_path(key, list, file, err);
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
