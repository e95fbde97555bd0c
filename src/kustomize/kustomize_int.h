/*
 * Private to the kustomize module: the resource list a build accumulates, and the
 * transformers and ordering applied to it.
 */
#ifndef ED_KUSTOMIZE_INT_H
#define ED_KUSTOMIZE_INT_H

#include "kustomize.h"

/* One object of a build: its document and the ids it had before prefixes, suffixes, a namespace
 * or a hash suffix changed them (kustomize matches `replicas` entries, generator behaviors and
 * name references against any of them). */
typedef struct ks_res {
    ed_doc *doc;
    char **old_names; /* malloc'd, oldest first */
    char **old_ns;    /* the namespace ("" for none) with each old name */
    size_t n_old_names;
    /* The name prefixes and suffixes applied to it, innermost first (kustomize's build
     * annotations), to pick between name-reference candidates. */
    char **prefixes, **suffixes;
    size_t n_prefixes, n_suffixes;
    bool needs_hash; /* a generated object that takes the hash suffix at the end */
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

/* ---- history of a resource (resource.c) ---- */

/* Record r's current name and namespace as a previous id (before a change to either). */
void ks_res_store_prev(ks_res *r);
/* Record name and namespace (NULL for none) as an id r had before. */
void ks_res_push_prev(ks_res *r, const char *name, const char *ns);
/* Record a name prefix or suffix applied to r ("" is not recorded). */
void ks_res_add_prefix(ks_res *r, const char *prefix);
void ks_res_add_suffix(ks_res *r, const char *suffix);
/* Free r's history (not its document). */
void ks_res_free_history(ks_res *r);
/* r's namespace before its first change ("" for none): kustomize's original id. */
const char *ks_res_orig_ns(const ks_res *r);

/* ---- reading files for generators (build.c) ---- */

struct build;

/*
 * Read `entry` (a path written in kfile) for a generator: it must be a regular file in or below
 * the kustomization's directory dir, as kustomize's loader requires. *data (NUL-terminated) is
 * malloc'd. Errors: ED_ENOTFOUND (missing), ED_EINVALID (outside dir, or a directory),
 * ED_ETOOBIG, ED_ERROR.
 */
int ks_read_source(struct build *b, const char *dir, const char *entry, const char *kfile,
                   char **data, size_t *len, ed_err *err);

/* ---- generators (generate.c) ---- */

/* Check the configMapGenerator, secretGenerator and generatorOptions fields of kz for names and
 * types, and that each generator has a name. Returns 0 or ED_EINVALID. */
int ks_generators_check(const ed_node *kz, const char *kfile, ed_err *err);
/* Run kz's generators (kz read from kfile in directory dir) into acc, applying each one's
 * behavior against what acc holds. Errors: ED_EINVALID (bad source, repeated key, an existing
 * id with behavior create, ...), ED_ENOTFOUND (missing file, nothing to merge or replace). */
int ks_generate(struct build *b, const ed_node *kz, const char *dir, const char *kfile,
                ks_list *acc, ed_err *err);
/* True when the n bytes at s are valid UTF-8. */
bool ks_utf8_valid(const char *s, size_t n);
/* Append the JSON text kustomize hashes for a ConfigMap or Secret object. */
void ks_hash_encode(const ed_node *obj, ed_buf *out);
/* kustomize's 10-character name hash of a ConfigMap or Secret object. */
void ks_hash_object(const ed_node *obj, char out[11]);
/* Append "-<hash>" to the name of every resource of l that needs it (the last step of a build
 * before name references are fixed). */
void ks_hash_names(ks_list *l);

/* ---- name references (nameref.c) ---- */

/* Update every reference to a renamed object (kustomize's nameReference table) across l.
 * Returns 0 or ED_EINVALID (an ambiguous reference, or a reference field that is not a name). */
int ks_fix_name_refs(ks_list *l, ed_err *err);
/* For tests: the number of entries of the name-reference table, and whether it holds the
 * reference from referrer_kind at path to target_kind. */
size_t ks_nameref_table_len(void);
bool ks_nameref_table_has(const char *target_kind, const char *referrer_kind, const char *path);

/* Merge Flux's overlay (ed_ks_options.overlay) into the top kustomization kdoc (flux.c). */
int ks_overlay_merge(ed_doc *kdoc, const ed_node *overlay);

#endif
