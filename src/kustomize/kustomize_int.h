/*
 * Private to the kustomize module: the resource list a build accumulates, and the
 * transformers and ordering applied to it.
 */
#ifndef ED_KUSTOMIZE_INT_H
#define ED_KUSTOMIZE_INT_H

#include "kustomize.h"

/* One object of a build: its document and the names it had before prefixes and suffixes were
 * applied (kustomize matches `replicas` entries against any of them). */
typedef struct ks_res {
    ed_doc *doc;
    char **old_names; /* malloc'd, oldest first */
    size_t n_old_names;
} ks_res;

typedef struct ks_list {
    ks_res *items;
    size_t len, cap;
} ks_list;

void ks_list_push(ks_list *l, ed_doc *doc);
/* Move every item of src to the end of dst and empty src. */
void ks_list_take_all(ks_list *dst, ks_list *src);
void ks_list_free(ks_list *l);

/* A resource's identity parts, borrowed from its document ("" when absent). The group is the
 * first group_len bytes of `group` (it points into apiVersion). */
typedef struct ks_id {
    const char *group;
    size_t group_len;
    const char *version, *kind, *name, *ns;
} ks_id;

void ks_id_of(const ed_node *obj, ks_id *id);
/* kustomize's printed form of an id, "ConfigMap.v1.[noGrp]/x.[noNs]"; the caller frees it. */
char *ks_id_string(const ks_id *id);
/* True when kustomize knows the kind as cluster-scoped (so it takes no namespace). */
bool ks_is_cluster_scoped(const ks_id *id);

/* ---- transformers (transform.c); kz is the kustomization's root mapping ---- */

/* Apply namespace, namePrefix/nameSuffix, commonLabels/labels, commonAnnotations, replicas and
 * images of kz to every resource of l, in kustomize's order. Fields were validated before.
 * Returns 0 or ED_EINVALID (a field spec that meets a value of the wrong kind). */
int ks_transform(const ed_node *kz, ks_list *l, const char *kfile, ed_err *err);

/* Sort l in kustomize's legacy order (order.c). */
void ks_sort_legacy(ks_list *l);

/* Merge Flux's overlay (ed_ks_options.overlay) into the top kustomization kdoc (flux.c). */
int ks_overlay_merge(ed_doc *kdoc, const ed_node *overlay);

#endif
