/*
 * The build history kustomize keeps on each resource as build annotations: the ids it had
 * before a name prefix or suffix, a namespace or a hash suffix changed them, and the prefixes
 * and suffixes applied to it. Generator behaviors and name references match objects by these.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

void ks_res_store_prev(ks_res *r)
{
    const ed_node *root = ed_doc_root(r->doc);
    ks_res_push_prev(r, ed_node_path_str(root, "/metadata/name"),
                     ed_node_path_str(root, "/metadata/namespace"));
}

void ks_res_push_prev(ks_res *r, const char *name, const char *ns)
{
    r->old_names = ed_xrealloc(r->old_names, (r->n_old_names + 1) * sizeof(char *));
    r->old_ns = ed_xrealloc(r->old_ns, (r->n_old_names + 1) * sizeof(char *));
    r->old_names[r->n_old_names] = ed_xstrdup(name ? name : "");
    r->old_ns[r->n_old_names] = ed_xstrdup(ns ? ns : "");
    r->n_old_names++;
}

static void push(char ***list, size_t *n, const char *s)
{
    if (!s || !*s)
        return;
    *list = ed_xrealloc(*list, (*n + 1) * sizeof(char *));
    (*list)[(*n)++] = ed_xstrdup(s);
}

void ks_res_add_prefix(ks_res *r, const char *prefix)
{
    push(&r->prefixes, &r->n_prefixes, prefix);
}

void ks_res_add_suffix(ks_res *r, const char *suffix)
{
    push(&r->suffixes, &r->n_suffixes, suffix);
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void ks_res_free_history(ks_res *r)
{
    free_list(r->old_names, r->n_old_names);
    free_list(r->old_ns, r->n_old_names);
    free_list(r->prefixes, r->n_prefixes);
    free_list(r->suffixes, r->n_suffixes);
    free(r->origin);
    r->origin = NULL;
    free(r->transformations);
    r->transformations = NULL;
    free_list(r->var_names, r->n_var_names);
    r->var_names = NULL;
    r->n_var_names = 0;
    r->old_names = r->old_ns = r->prefixes = r->suffixes = NULL;
    r->n_old_names = r->n_prefixes = r->n_suffixes = 0;
}

const char *ks_res_orig_ns(const ks_res *r)
{
    if (r->n_old_names > 0)
        return r->old_ns[0];
    const char *ns = ed_node_path_str(ed_doc_root(r->doc), "/metadata/namespace");
    return ns ? ns : "";
}

/* ---- the transformations annotation ---- */

static bool has_value(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_STR:
        return *ed_node_str(n) != '\0';
    case ED_NODE_MAP:
    case ED_NODE_SEQ:
        return ed_node_len(n) > 0;
    default:
        return false;
    }
}

void ks_record_transformation(ks_list *l, const char *entry)
{
    for (size_t i = 0; i < l->len; i++) {
        ks_res *r = &l->items[i];
        char *all = ed_xasprintf("%s%s", r->transformations ? r->transformations : "", entry);
        free(r->transformations);
        r->transformations = all;
    }
}

static void record(ks_list *l, const char *remote, const char *configured_in, const char *kind,
                   size_t times)
{
    char *entry = ed_xasprintf("- %s%sconfiguredIn: %s\n  configuredBy:\n    apiVersion: "
                               "builtin\n    kind: %s\n",
                               remote, *remote ? "  " : "", configured_in, kind);
    for (size_t t = 0; t < times; t++)
        ks_record_transformation(l, entry);
    free(entry);
}

void ks_record_transformers(const ed_node *kz, const char *remote, const char *configured_in,
                            ks_list *l)
{
    /* kustomize's builtin transformers in the order it runs them: one for all strategic merge
     * patches and one for all replacements, one per entry of the lists, one per field else */
    record(l, remote, configured_in, "PatchStrategicMergeTransformer",
           has_value(ed_node_get(kz, "patchesStrategicMerge")) ? 1 : 0);
    record(l, remote, configured_in, "PatchTransformer", ed_node_len(ed_node_get(kz, "patches")));
    record(l, remote, configured_in, "NamespaceTransformer",
           has_value(ed_node_get(kz, "namespace")));
    record(l, remote, configured_in, "PrefixTransformer", has_value(ed_node_get(kz, "namePrefix")));
    record(l, remote, configured_in, "SuffixTransformer", has_value(ed_node_get(kz, "nameSuffix")));
    /* one per labels entry, and one for commonLabels whenever either is set (even empty) */
    size_t n_labels = ed_node_len(ed_node_get(kz, "labels"));
    record(l, remote, configured_in, "LabelTransformer",
           n_labels || has_value(ed_node_get(kz, "commonLabels")) ? n_labels + 1 : 0);
    record(l, remote, configured_in, "AnnotationsTransformer",
           has_value(ed_node_get(kz, "commonAnnotations")));
    record(l, remote, configured_in, "PatchJson6902Transformer",
           ed_node_len(ed_node_get(kz, "patchesJson6902")));
    record(l, remote, configured_in, "ReplicaCountTransformer",
           ed_node_len(ed_node_get(kz, "replicas")));
    record(l, remote, configured_in, "ImageTagTransformer", ed_node_len(ed_node_get(kz, "images")));
    record(l, remote, configured_in, "ReplacementTransformer",
           has_value(ed_node_get(kz, "replacements")) ? 1 : 0);
}

/* kustomize's managed-by label value: the version kubectl's kustomize reports for itself */
#define MANAGED_BY "kustomize-(devel)"

static void set_meta(ks_res *r, const char *map, const char *key, const char *value)
{
    ed_node *m = ed_node_ensure_map(r->doc, ed_doc_root(r->doc), map);
    if (m)
        ed_node_set(r->doc, m, key, ed_node_new_str(r->doc, value));
}

int ks_build_metadata(const ed_node *kz, const char *kfile, ks_list *l, ed_err *err)
{
    const ed_node *bm = ed_node_get(kz, "buildMetadata");
    bool origin = false, managed = false, transformers = false;
    if (bm && ed_node_kind_of(bm) != ED_NODE_SEQ && ed_node_kind_of(bm) != ED_NODE_NULL)
        return ed_err_set(err, ED_EINVALID, "%s: buildMetadata must be a list", kfile);
    for (size_t i = 0; i < ed_node_len(bm); i++) {
        const char *v = ed_node_str(ed_node_at(bm, i));
        if (v && strcmp(v, "originAnnotations") == 0)
            origin = true;
        else if (v && strcmp(v, "managedByLabel") == 0)
            managed = true;
        else if (v && strcmp(v, "transformerAnnotations") == 0)
            transformers = true;
        /* other values are ignored, as kustomize does */
    }
    for (size_t i = 0; i < l->len; i++) {
        ks_res *r = &l->items[i];
        if (origin && r->origin)
            set_meta(r, "metadata/annotations", "config.kubernetes.io/origin", r->origin);
        if (managed)
            set_meta(r, "metadata/labels", "app.kubernetes.io/managed-by", MANAGED_BY);
        if (transformers && r->transformations)
            set_meta(r, "metadata/annotations", "alpha.config.kubernetes.io/transformations",
                     r->transformations);
    }
    return 0;
}
