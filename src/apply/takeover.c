/*
 * Field ownership taken over from kubectl, as Flux's kustomize-controller does before it
 * applies (fluxcd/pkg/ssa's cleanup, with the controller's list of field managers): fields set
 * with `kubectl apply` (client-side: manager kubectl-client-side-apply, or the older
 * before-first-apply), `kubectl apply --server-side`, `kubectl edit`, `kubectl patch` and the
 * like, and fields the controller itself once wrote with an update, are handed to the
 * controller's apply entry. The next server-side apply then removes what Git no longer has,
 * instead of leaving it owned by kubectl forever. kubectl's last-applied-configuration
 * annotation goes too, and so do the marks Flux v1 left on what it applied (the
 * `kustomize.toolkit.fluxcd.io/checksum` and `fluxcd.io/sync-checksum` annotations, the
 * `fluxcd.io/sync-gc-mark` label), as Flux's apply cleanup removes them. Subresource entries
 * (a `kubectl scale`) are not taken: the apply overrides those fields anyway. The managers
 * named with Flux's --override-manager (another tool's, say) are taken over the same way,
 * whether they applied or updated.
 *
 * Flux's list matches a manager's name by prefix, not exactly: "kubectl" (Apply or Update)
 * takes kubectl-edit and kubectl-client-side-apply, "before-first-apply" and the controller's
 * own name (Update only) take any name they begin, and so does each --override-manager name
 * (Apply or Update): `--override-manager=helm` takes helm-controller's fields too. Without an
 * Apply entry of the controller's yet, the first entry taken becomes it (its apiVersion and
 * time kept, as Flux renames it), and the merged entry goes last in the list.
 */
#include "apply_int.h"

#include <stdio.h>
#include <string.h>

/* What Flux's apply cleanup removes from a live object: {"annotations" or "labels", key, the
 * key as a JSON pointer segment}. */
static const char *const cleanup[][3] = {
    {"annotations", "kubectl.kubernetes.io/last-applied-configuration",
     "kubectl.kubernetes.io~1last-applied-configuration"},
    {"annotations", "kustomize.toolkit.fluxcd.io/checksum",
     "kustomize.toolkit.fluxcd.io~1checksum"},
    {"annotations", "fluxcd.io/sync-checksum", "fluxcd.io~1sync-checksum"},
    {"labels", "fluxcd.io/sync-gc-mark", "fluxcd.io~1sync-gc-mark"},
};
#define NCLEANUP (sizeof(cleanup) / sizeof(cleanup[0]))

/* True when live carries the metadata entry cleanup[i]. */
static bool has_cleanup(const ed_node *live, size_t i)
{
    const ed_node *meta = ed_node_path(live, "/metadata");
    return ed_node_get(ed_node_get(meta, cleanup[i][0]), cleanup[i][1]) != NULL;
}

/* True for an entry whose fields the controller takes over; names match by prefix, as Flux's
 * FieldManager without ExactMatch. */
static bool taken(const ed_node *entry, const char *manager, const char *const *extra)
{
    const char *m = ed_node_path_str(entry, "/manager");
    const char *op = ed_node_path_str(entry, "/operation");
    const char *sub = ed_node_path_str(entry, "/subresource");
    if (!m || !op || (sub && *sub))
        return false;
    bool update = strcmp(op, "Update") == 0, apply = strcmp(op, "Apply") == 0;
    if (ed_str_has_prefix(m, "kubectl"))
        return update || apply;
    for (size_t i = 0; extra && extra[i]; i++)
        if (ed_str_has_prefix(m, extra[i]))
            return update || apply;
    return update && (ed_str_has_prefix(m, "before-first-apply") || ed_str_has_prefix(m, manager));
}

/* Add every field of src (a fieldsV1 tree) to dst. */
static void merge_fields(ed_doc *d, ed_node *dst, const ed_node *src)
{
    for (size_t i = 0; i < ed_node_len(src); i++) {
        const char *k = ed_node_key_at(src, i);
        const ed_node *v = ed_node_value_at(src, i);
        ed_node *have = ed_node_get(dst, k);
        if (!have || ed_node_kind_of(have) != ED_NODE_MAP)
            ed_node_set(d, dst, k, have = ed_node_new_map(d));
        if (ed_node_kind_of(v) == ED_NODE_MAP)
            merge_fields(d, have, v);
    }
}

/* The controller's own Apply entry in list, or NULL. */
static const ed_node *own_apply(const ed_node *list, const char *manager)
{
    for (size_t i = 0; i < ed_node_len(list); i++) {
        const ed_node *e = ed_node_at(list, i);
        const char *m = ed_node_path_str(e, "/manager");
        const char *op = ed_node_path_str(e, "/operation");
        const char *sub = ed_node_path_str(e, "/subresource");
        if (m && op && strcmp(m, manager) == 0 && strcmp(op, "Apply") == 0 && !(sub && *sub))
            return e;
    }
    return NULL;
}

bool ed_apply_takeover_patch(const ed_node *live, const char *manager, const char *const *extra,
                             ed_buf *out)
{
    const ed_node *mf = ed_node_path(live, "/metadata/managedFields");
    const ed_node *prev = own_apply(mf, manager);
    bool any = false;
    /* the controller's own Apply entry is never taken (a named prefix of its name aside) */
    for (size_t i = 0; i < ed_node_len(mf) && !any; i++)
        any = ed_node_at(mf, i) != prev && taken(ed_node_at(mf, i), manager, extra);
    bool marks = false;
    for (size_t i = 0; i < NCLEANUP && !marks; i++)
        marks = has_cleanup(live, i);
    if (!any && !marks)
        return false;

    ed_doc *d = ed_doc_new();
    ed_node *ops = ed_node_new_seq(d);
    if (any) {
        /* the entries kept in place; the controller's Apply entry, merged, goes last */
        ed_node *list = ed_node_new_seq(d);
        for (size_t i = 0; i < ed_node_len(mf); i++)
            if (!taken(ed_node_at(mf, i), manager, extra) && ed_node_at(mf, i) != prev)
                ed_node_append(d, list, ed_node_copy(d, ed_node_at(mf, i)));
        ed_node *own = prev ? ed_node_copy(d, prev) : NULL;
        ed_node *fields = NULL;
        for (size_t i = 0; i < ed_node_len(mf); i++) {
            const ed_node *e = ed_node_at(mf, i);
            if (e == prev || !taken(e, manager, extra))
                continue;
            if (!own) {
                /* the first one taken becomes the controller's Apply entry, as Flux renames it */
                own = ed_node_copy(d, e);
                ed_node_set(d, own, "manager", ed_node_new_str(d, manager));
                ed_node_set(d, own, "operation", ed_node_new_str(d, "Apply"));
            }
            if (!fields) {
                fields = ed_node_get(own, "fieldsV1");
                if (ed_node_kind_of(fields) != ED_NODE_MAP)
                    ed_node_set(d, own, "fieldsV1", fields = ed_node_new_map(d));
            }
            merge_fields(d, fields, ed_node_path(e, "/fieldsV1"));
        }
        ed_node_append(d, list, own);
        ed_node *op = ed_node_new_map(d);
        ed_node_set(d, op, "op", ed_node_new_str(d, "replace"));
        ed_node_set(d, op, "path", ed_node_new_str(d, "/metadata/managedFields"));
        ed_node_set(d, op, "value", list);
        ed_node_append(d, ops, op);
    }
    for (size_t i = 0; i < NCLEANUP; i++) {
        if (!has_cleanup(live, i))
            continue;
        char path[160];
        snprintf(path, sizeof(path), "/metadata/%s/%s", cleanup[i][0], cleanup[i][2]);
        ed_node *op = ed_node_new_map(d);
        ed_node_set(d, op, "op", ed_node_new_str(d, "remove"));
        ed_node_set(d, op, "path", ed_node_new_str(d, path));
        ed_node_append(d, ops, op);
    }
    ed_node_to_json(ops, out);
    ed_doc_free(d);
    return true;
}
