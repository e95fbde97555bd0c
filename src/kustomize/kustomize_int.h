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
    /* kustomize's previous ids: every (name, namespace) the object had before a transformer or
     * a patch changed them, oldest first (malloc'd; "" for no namespace). Patches find their
     * target by any of them. */
    char **prev_names, **prev_ns;
    size_t n_prev;
} ks_res;

typedef struct ks_list {
    ks_res *items;
    size_t len, cap;
} ks_list;

void ks_list_push(ks_list *l, ed_doc *doc);
/* Move every item of src to the end of dst and empty src. */
void ks_list_take_all(ks_list *dst, ks_list *src);
void ks_list_free(ks_list *l);
/* Record r's current name and namespace among its previous ids, before they change. */
void ks_res_remember_id(ks_res *r);
/* Free what r owns (its document and names). */
void ks_res_free(ks_res *r);

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

/* ---- patches (patch.c, selector.c) ---- */

/* Reads the files a kustomization names (patch files) below the build root (build.c). */
typedef struct ks_loader ks_loader;
/* Read entry (relative to the kustomization's directory) into *data (malloc'd, *len bytes).
 * Errors as the build's: ED_ENOTFOUND, ED_EINVALID (outside the root), ED_ETOOBIG, ED_ERROR. */
int ks_loader_read(ks_loader *ld, const char *entry, char **data, size_t *len, ed_err *err);

/* The patches of one kustomization, loaded and parsed. */
typedef struct ks_patch_set ks_patch_set;
/* Check and load patchesStrategicMerge, patches and patchesJson6902 of kz. *out (NULL when
 * the call fails) is freed with ks_patch_set_free. Errors name kfile and the entry. */
int ks_patches_load(const ed_node *kz, ks_loader *ld, const char *kfile, ks_patch_set **out,
                    ed_err *err);
void ks_patch_set_free(ks_patch_set *set);
/* Apply patchesStrategicMerge and patches (run before namespace), or patchesJson6902 (run after
 * commonAnnotations) to l. set may be NULL. Errors name kfile, the patch and the object. */
int ks_patches_apply_early(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err);
int ks_patches_apply_late(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err);
/* Does the string map labels (may be NULL) satisfy the Kubernetes label selector? Returns 0 or
 * ED_EINVALID for a selector that does not parse. */
int ks_selector_match(const char *selector, const ed_node *labels, bool *match, ed_err *err);

/* ---- transformers (transform.c); kz is the kustomization's root mapping ---- */

/* Apply namespace, namePrefix/nameSuffix, commonLabels/labels, commonAnnotations, the legacy
 * patchesJson6902 of patches (may be NULL), replicas and images of kz to every resource of l,
 * in kustomize's order. Fields were validated before. Returns 0 or ED_EINVALID (a field spec
 * that meets a value of the wrong kind, a patch that fails). */
int ks_transform(const ed_node *kz, ks_list *l, const char *kfile, const ks_patch_set *patches,
                 ed_err *err);

/* Sort l in kustomize's legacy order (order.c). */
void ks_sort_legacy(ks_list *l);

#endif
