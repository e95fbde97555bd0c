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
