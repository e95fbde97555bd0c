/*
 * Field ownership taken over from kubectl, as Flux's kustomize-controller does before it
 * applies: fields set with `kubectl apply` (client-side: manager kubectl-client-side-apply,
 * or the older before-first-apply), `kubectl apply --server-side`, `kubectl edit`, `kubectl
 * patch` and the like (managers whose name starts with "kubectl"), and fields the controller
 * itself once wrote with an update, are handed to the controller's apply entry. The next
 * server-side apply then removes what Git no longer has, instead of leaving it owned by
 * kubectl forever. kubectl's last-applied-configuration annotation goes too, and so do the
 * marks Flux v1 left on what it applied (the `kustomize.toolkit.fluxcd.io/checksum` and
 * `fluxcd.io/sync-checksum` annotations, the `fluxcd.io/sync-gc-mark` label), as Flux's apply
 * cleanup removes them. Subresource entries (a `kubectl scale`) are not taken: the apply
 * overrides those fields anyway. The managers named with Flux's --override-manager (another
 * tool's, say) are taken over the same way, whether they applied or updated.
 */
#include "apply_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* True for an entry whose fields the controller takes over. */
static bool taken(const ed_node *entry, const char *manager, const char *const *extra)
{
    const char *m = ed_node_path_str(entry, "/manager");
    const char *op = ed_node_path_str(entry, "/operation");
    const char *sub = ed_node_path_str(entry, "/subresource");
    if (!m || !op || (sub && *sub))
        return false;
    bool update = strcmp(op, "Update") == 0, apply = strcmp(op, "Apply") == 0;
    if (strncmp(m, "kubectl", 7) == 0)
        return update || apply;
    for (size_t i = 0; extra && extra[i]; i++)
        if (strcmp(m, extra[i]) == 0)
            return update || apply;
    return update && (strcmp(m, "before-first-apply") == 0 || strcmp(m, manager) == 0);
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

/* The controller's own Apply entry in list (which belongs to d), or NULL. */
static ed_node *own_apply(ed_node *list, const char *manager)
{
    for (size_t i = 0; i < ed_node_len(list); i++) {
        ed_node *e = ed_node_at(list, i);
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
    bool any = false;
    for (size_t i = 0; i < ed_node_len(mf) && !any; i++)
        any = taken(ed_node_at(mf, i), manager, extra);
    bool marks = false;
    for (size_t i = 0; i < NCLEANUP && !marks; i++)
        marks = has_cleanup(live, i);
    if (!any && !marks)
        return false;

    ed_doc *d = ed_doc_new();
    ed_node *ops = ed_node_new_seq(d);
    if (any) {
        ed_node *list = ed_node_new_seq(d);
        for (size_t i = 0; i < ed_node_len(mf); i++)
            if (!taken(ed_node_at(mf, i), manager, extra))
                ed_node_append(d, list, ed_node_copy(d, ed_node_at(mf, i)));
        ed_node *own = own_apply(list, manager);
        if (!own) {
            own = ed_node_new_map(d);
            char now[32];
            ed_time_rfc3339(time(NULL), now);
            ed_node_set(d, own, "manager", ed_node_new_str(d, manager));
            ed_node_set(d, own, "operation", ed_node_new_str(d, "Apply"));
            ed_node_set(d, own, "apiVersion",
                        ed_node_new_str(d, ed_node_path_str(live, "/apiVersion")));
            ed_node_set(d, own, "time", ed_node_new_str(d, now));
            ed_node_set(d, own, "fieldsType", ed_node_new_str(d, "FieldsV1"));
            ed_node_set(d, own, "fieldsV1", ed_node_new_map(d));
            ed_node_append(d, list, own);
        }
        ed_node *fields = ed_node_get(own, "fieldsV1");
        if (ed_node_kind_of(fields) != ED_NODE_MAP)
            ed_node_set(d, own, "fieldsV1", fields = ed_node_new_map(d));
        for (size_t i = 0; i < ed_node_len(mf); i++)
            if (taken(ed_node_at(mf, i), manager, extra))
                merge_fields(d, fields, ed_node_path(ed_node_at(mf, i), "/fieldsV1"));
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
