/*
 * kustomize's default output order ("legacy" sortOptions): objects that others depend on come
 * first (Namespaces, quotas, storage classes, CRDs, service accounts, roles and bindings,
 * config maps and secrets, services, ...), webhook configurations last, everything else in
 * between. Within one rank objects are ordered by "group_version_kind" (an empty group written
 * "~G", which sorts after letters), then by namespace (none written "~X", sorting after every
 * namespace), then by name.
 *
 * Without `sortOptions`, `kubectl kustomize` sorts in this order but Flux's builds do not: Flux
 * runs krusty with an empty Reorder option, which is neither "legacy" nor "unspecified", so
 * the objects stay in the order they were accumulated (ed_ks_options.keep_order).
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const order_first[] = {
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
};

static const char *const order_last[] = {
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The lists that rank kinds: kustomize's defaults, or a kustomization's legacySortOptions. */
struct order_lists {
    const char *const *first;
    int nfirst;
    const char *const *last;
    int nlast;
};

/* Negative for the kinds that go first, positive for the last, 0 for the rest. */
static int rank(const struct order_lists *o, const char *kind)
{
    for (int i = 0; i < o->nfirst; i++)
        if (strcmp(o->first[i], kind) == 0)
            return i - o->nfirst;
    for (int i = 0; i < o->nlast; i++)
        if (strcmp(o->last[i], kind) == 0)
            return i + 1;
    return 0;
}

int ks_kind_rank(const char *kind)
{
    struct order_lists o = {order_first, N(order_first), order_last, N(order_last)};
    return rank(&o, kind);
}

/* "group_version_kind" with kustomize's placeholders for empty parts; the caller frees it. */
static char *gvk_string(const ks_id *id)
{
    return ed_xasprintf("%.*s%s_%s_%s", (int)id->group_len, id->group, id->group_len ? "" : "~G",
                        *id->version ? id->version : "~V", *id->kind ? id->kind : "~K");
}

static int compare(const void *pa, const void *pb, void *ctx)
{
    const ks_res *a = pa, *b = pb;
    const struct order_lists *o = ctx;
    ks_id ia, ib;
    ks_id_of(ed_doc_root(a->doc), &ia);
    ks_id_of(ed_doc_root(b->doc), &ib);
    int ra = rank(o, ia.kind), rb = rank(o, ib.kind);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    char *ga = gvk_string(&ia), *gb = gvk_string(&ib);
    int c = strcmp(ga, gb);
    free(ga);
    free(gb);
    if (c)
        return c;
    c = strcmp(*ia.ns ? ia.ns : "~X", *ib.ns ? ib.ns : "~X");
    if (c)
        return c;
    return strcmp(ia.name, ib.name);
}

void ks_sort_legacy(ks_list *l)
{
    struct order_lists o = {order_first, N(order_first), order_last, N(order_last)};
    if (l->len > 1)
        qsort_r(l->items, l->len, sizeof(l->items[0]), compare, &o);
}

void ks_sort_legacy_lists(ks_list *l, const char *const *first, size_t nfirst,
                          const char *const *last, size_t nlast)
{
    struct order_lists o = {first, (int)nfirst, last, (int)nlast};
    if (l->len > 1)
        qsort_r(l->items, l->len, sizeof(l->items[0]), compare, &o);
}

/* A sequence of strings as an array borrowed from it (the caller frees the array). */
static const char **string_list(const ed_node *seq, size_t *n)
{
    *n = ed_node_len(seq);
    const char **out = ed_xcalloc(*n ? *n : 1, sizeof(char *));
    for (size_t i = 0; i < *n; i++)
        out[i] = ed_node_str(ed_node_at(seq, i));
    return out;
}

static bool is_string_seq(const ed_node *n)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return true;
    if (ed_node_kind_of(n) != ED_NODE_SEQ)
        return false;
    for (size_t i = 0; i < ed_node_len(n); i++)
        if (!ed_node_str(ed_node_at(n, i)))
            return false;
    return true;
}

int ks_sort(ks_list *l, const ed_node *opts, bool keep_order, const char *kfile, ed_err *err)
{
    if (!opts || ed_node_kind_of(opts) == ED_NODE_NULL) {
        if (!keep_order)
            ks_sort_legacy(l);
        return 0;
    }
    if (ed_node_kind_of(opts) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "%s: sortOptions must be a mapping", kfile);
    for (size_t i = 0; i < ed_node_len(opts); i++) {
        const char *key = ed_node_key_at(opts, i);
        if (strcmp(key, "order") != 0 && strcmp(key, "legacySortOptions") != 0)
            return ed_err_set(err, ED_EINVALID,
                              "%s: invalid Kustomization: json: unknown field \"%s\"", kfile, key);
    }
    const char *order = ed_node_str(ed_node_get(opts, "order"));
    const ed_node *legacy = ed_node_get(opts, "legacySortOptions");
    if (!order || (strcmp(order, "fifo") != 0 && strcmp(order, "legacy") != 0))
        return ed_err_set(err, ED_EINVALID,
                          "%s: the field 'sortOptions.order' must be one of [fifo, legacy]", kfile);
    if (strcmp(order, "fifo") == 0) {
        if (legacy)
            return ed_err_set(err, ED_EINVALID,
                              "%s: the field 'sortOptions.legacySortOptions' is set but the "
                              "selected sort order is 'fifo', not 'legacy'",
                              kfile);
        return 0; /* the order in which the build accumulated the objects */
    }
    if (!legacy) {
        ks_sort_legacy(l);
        return 0;
    }
    const ed_node *first = ed_node_get(legacy, "orderFirst");
    const ed_node *last = ed_node_get(legacy, "orderLast");
    if (ed_node_kind_of(legacy) != ED_NODE_MAP || !is_string_seq(first) || !is_string_seq(last))
        return ed_err_set(err, ED_EINVALID,
                          "%s: sortOptions.legacySortOptions must hold lists of kinds "
                          "(orderFirst, orderLast)",
                          kfile);
    size_t nf, nl;
    const char **f = string_list(first, &nf);
    const char **la = string_list(last, &nl);
    ks_sort_legacy_lists(l, f, nf, la, nl);
    free(f);
    free(la);
    return 0;
}
