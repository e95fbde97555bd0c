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
    /* a patch was applied to it: kustomize rewrites such an object whatever the patch changed
     * (so a validator may not patch anything) */
    bool patched;
    /* Where it came from, as kustomize's config.kubernetes.io/origin annotation says it
     * (buildMetadata: [originAnnotations]); malloc'd, NULL when unknown. */
    char *origin;
    /* The builtin transformers run over it, as kustomize's transformations annotation lists
     * them (buildMetadata: [transformerAnnotations]); malloc'd YAML text, NULL when none. */
    char *transformations;
    /* The legacy vars bound to this object (its fields give their values). */
    char **var_names;
    size_t n_var_names;
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
/* ks_loader_read, then the build's secret_source hook (a `patches[].path` file: Flux decrypts
 * those when they are SOPS-encrypted). */
int ks_loader_read_source(ks_loader *ld, const char *entry, char **data, size_t *len, ed_err *err);

/* The patches of one kustomization, loaded and parsed. */
typedef struct ks_patch_set ks_patch_set;
/* The OpenAPI schema of a build's strategic merge patches (kustomize keeps one for the whole
 * build): the documents of `openapi: {path: ...}` and their definitions (NULL: the built-in
 * merge keys); set once a kustomization named one. */
typedef struct ks_schema {
    ed_doc **docs;
    size_t n;
    const ed_node *definitions;
    bool set;
    bool builtin_used; /* a patch has used the built-in merge keys */
    bool with_builtin; /* the built-in merge keys serve the kinds definitions lack */
} ks_schema;
/* Read kz's `openapi` into schema when none is set yet (its file is read in any case). Errors:
 * ED_EINVALID (a version kustomize has not built in, a version and a path), ED_ENOTFOUND. */
int ks_openapi_load(const ed_node *kz, ks_loader *ld, const char *kfile, ks_schema *schema,
                    ed_err *err);
void ks_schema_free(ks_schema *schema);
/* Check and load patchesStrategicMerge, patches and patchesJson6902 of kz. *out (NULL when
 * the call fails) is freed with ks_patch_set_free. Errors name kfile and the entry. */
int ks_patches_load(const ed_node *kz, ks_loader *ld, const char *kfile, ks_schema *schema,
                    ks_patch_set **out, ed_err *err);
/* ed_ks_smp_apply_schema, where with_builtin gives a kind definitions lack the built-in merge
 * keys (smp.c). */
int ks_smp_apply(ed_doc *doc, const ed_node *patch, const ed_node *definitions, bool with_builtin,
                 bool *deleted, ed_err *err);
void ks_patch_set_free(ks_patch_set *set);
/* Apply patchesStrategicMerge and patches (run before namespace), or patchesJson6902 (run after
 * commonAnnotations) to l. set may be NULL. Errors name kfile, the patch and the object. */
int ks_patches_apply_early(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err);
int ks_patches_apply_late(const ks_patch_set *set, ks_list *l, const char *kfile, ed_err *err);
/* kustomize's last pass over metadata.annotations (output.c) (it reads and writes them back as
 * strings when it removes its own build annotations): removed where empty or null (a patch may
 * empty them), and every value made a string, a scalar's text as written (`port: 8080` is "8080",
 * `scrape: true` is "true"), a mapping or sequence "". */
void ks_finish_annotations(ks_list *l);
/* Turn every plain string of doc that yaml.v3 reads as a timestamp into Go's JSON text of
 * that time ("2024-01-01" is "2024-01-01T00:00:00Z"), as kustomize's output does; the
 * top-level annotations too when annotations is true (a list's items), else they are left
 * alone. ED_EINVALID, as kustomize fails, for a time with an offset of 24 hours or more, which
 * Go's JSON cannot write. (output.c) */
int ks_timestamps_as_go(ed_doc *doc, bool annotations, ed_err *err);
/* Remove every key "<<" left in node's mappings (a quoted one: the parser merged the others),
 * as kustomize's reader does when it resolves anchors: it clears the key "<<" of every mapping
 * whatever its tag, and merges only a real merge key. (output.c) */
void ks_drop_merge_keys(ed_node *node, int depth);
/* ED_EINVALID, naming kfile and where, when a key of map (the keys kustomize adds to an
 * object: labels, annotations, generated data) would read back as a null, boolean, number or
 * time once written plain, as kustomize writes it: kustomize's build then fails. (output.c) */
int ks_check_plain_keys(const ed_node *map, const char *kfile, const char *where, ed_err *err);
/* Type v as go-yaml v2 (YAML 1.1, what sigs.k8s.io/yaml's YAMLToJSON reads with) does where
 * that differs from eddy's parser: plain y/yes/on/n/no/off are booleans, a 0o number is a
 * string. *out is v or its replacement, in d. (output.c) */
void ks_retype_yaml11(ed_doc *d, ed_node *v, ed_node **out);
/* Replace *doc with what reading its JSON text gives: scalars lose the text they were written
 * as, strings are no longer plain. ED_EINVALID for a value JSON cannot hold. (output.c) */
int ks_json_roundtrip(ed_doc **doc, ed_err *err);
/* Does the string map labels (may be NULL) satisfy the Kubernetes label selector (read as
 * kyaml's copy of labels.Parse reads it, ed_label_selector_parse_kyaml)? Returns 0, or
 * ED_EINVALID with kyaml's message for a selector that does not parse. (patch.c) */
int ks_selector_match(const char *selector, const ed_node *labels, bool *match, ed_err *err);
/* kustomize's ResMap.Select: out[i] tells whether the types.Selector mapping selector (group,
 * version, kind, name, namespace as anchored regular expressions, labelSelector and
 * annotationSelector; NULL selects everything) selects l's item i, by the original or current
 * name and namespace as patch targets are. ED_EINVALID for a bad expression or selector.
 * (patch.c) */
int ks_select(const ed_node *selector, const ks_list *l, bool *out, ed_err *err);
/* text as a plain YAML scalar is typed (a number, a boolean, null, or a plain string), for a
 * field kustomize creates or rewrites without a type of its own. (replace.c) */
ed_node *ks_plain_scalar(ed_doc *doc, const char *text);

/* ---- transformers (transform.c); kz is the kustomization's root mapping ---- */

/* Apply namespace, namePrefix/nameSuffix, commonLabels/labels, commonAnnotations, the legacy
 * patchesJson6902 of patches (may be NULL), replicas and images of kz to every resource of l,
 * in kustomize's order, with the commonLabels, commonAnnotations and namePrefix field specs of
 * config (may be NULL) besides kustomize's own. Fields were validated before. Returns 0 or
 * ED_EINVALID (a field spec that meets a value of the wrong kind, a patch that fails). */
int ks_transform(const ed_node *kz, const ed_doc *config, ks_list *l, const char *kfile,
                 const ks_patch_set *patches, ed_err *err);

/* The builtin transformers as a plugin config (a `transformers:` entry, plugin.c) configures them:
 * with exactly the field specs given (specs, a sequence of {group, version, kind, path, create};
 * may be NULL), none of kustomize's defaults. kfile names the kustomization and the config in
 * messages, field the transformer. Each returns 0 or ED_EINVALID (a field spec that meets a value
 * of the wrong kind). */
/* LabelTransformer and AnnotationsTransformer: merge the string map pairs at each place. */
int ks_plugin_labels(ks_list *l, const ed_node *pairs, const ed_node *specs, const char *kfile,
                     const char *field, ed_err *err);
/* PrefixTransformer, SuffixTransformer and PrefixSuffixTransformer: prefix and suffix (either
 * may be "") the strings at each place; a metadata/name spec renames the object, recording its
 * old id. Namespaces, CRDs and APIServices are left alone. */
int ks_plugin_affix(ks_list *l, const char *prefix, const char *suffix, const ed_node *specs,
                    const char *kfile, const char *field, ed_err *err);
/* The NamespaceTransformer's setRoleBindingSubjects. */
typedef enum {
    KS_SUBJECTS_DEFAULT_ONLY,
    KS_SUBJECTS_ALL_SERVICE_ACCOUNTS,
    KS_SUBJECTS_NONE
} ks_subjects_mode;
/* NamespaceTransformer: metadata.namespace of every namespaced object, the subjects of role
 * bindings as subjects says, then the places of specs; with unset_only, a namespace already set
 * stays. */
int ks_plugin_namespace(ks_list *l, const char *ns, const ed_node *specs, bool unset_only,
                        ks_subjects_mode subjects, const char *kfile, ed_err *err);
/* ReplicaCountTransformer: count at each place of the objects named name (now or before);
 * ED_EINVALID also when no object matches. */
int ks_plugin_replicas(ks_list *l, const char *name, int64_t count, const ed_node *specs,
                       const char *kfile, ed_err *err);
/* ImageTagTransformer: image_tag ({name, newName, newTag, digest, tagSuffix}) on every container
 * list and at each place of specs. ED_EINVALID for a name that is not a regular expression. */
int ks_plugin_image(ks_list *l, const ed_node *image_tag, const ed_node *specs, const char *kfile,
                    ed_err *err);

/* A copy of s without the ASCII white space at both ends (Go's strings.TrimSpace on the texts
 * kustomize trims). (valueadd.c) */
char *ks_trim_space(const char *s);
/* ValueAddTransformer (valueadd.c): value into the field at field_path (a '/'-separated path
 * of kyaml's PathGetter, "\/" a slash inside a key; missing mappings, list items "[k=v]" and
 * the field created) of every object selected (selector: a types.Selector, NULL for all);
 * with file_pos > 0 the value is inserted into the field's text as a path part at file_pos - 1.
 * metadata/namespace runs the NamespaceTransformer's rules instead. where names the
 * kustomization and config in messages. ED_EINVALID when the field is no scalar. */
int ks_plugin_value_add(ks_list *l, const char *value, const ed_node *selector,
                        const char *field_path, int64_t file_pos, const char *where, ed_err *err);

/* Sort l in kustomize's legacy order (order.c). */
void ks_sort_legacy(ks_list *l);
/* kustomize's rank of a kind in its default order: negative for the kinds that go first (the
 * earlier, the lower), positive for the last, 0 for the rest. */
int ks_kind_rank(const char *kind);
/* The same with the kinds ranked first and last given (a kustomization's legacySortOptions). */
void ks_sort_legacy_lists(ks_list *l, const char *const *first, size_t nfirst,
                          const char *const *last, size_t nlast);
/* Order l as the top kustomization's `sortOptions` (opts, may be NULL) say: legacy (with
 * optional orderFirst/orderLast kinds) or fifo (the order of accumulation). Without options,
 * legacy, or for keep_order (ed_ks_options) the order of accumulation. Returns 0 or
 * ED_EINVALID for bad options (kfile names the kustomization in the message). */
int ks_sort(ks_list *l, const ed_node *opts, bool keep_order, const char *kfile, ed_err *err);

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

/* Record on every resource of l the builtin transformers kz (whose file is configured_in,
 * relative to the top kustomization's directory) runs, in kustomize's order and number. */
void ks_record_transformers(const ed_node *kz, const char *remote, const char *configured_in,
                            ks_list *l);
/* Append entry (one item of the transformations annotation's list, YAML text) to every resource
 * of l. */
void ks_record_transformation(ks_list *l, const char *entry);
/* Add the buildMetadata of the top kustomization kz (originAnnotations, managedByLabel) to
 * every resource of l (other values are ignored, as kustomize does). Returns 0, or ED_EINVALID
 * when buildMetadata is not a list. */
int ks_build_metadata(const ed_node *kz, const char *kfile, ks_list *l, ed_err *err);

/* ---- reading files for generators (build.c) ---- */

struct build;

/*
 * Read the whole file at real (opened without following a symlink there) into *data
 * (NUL-terminated, malloc'd; NULL on failure) and *len, at most max bytes. Errors name the file
 * rel: ED_ETOOBIG ("'rel' is larger than max bytes"), ED_ERROR (cannot open, cannot read).
 */
int ks_file_read(const char *real, const char *rel, size_t max, char **data, size_t *len,
                 ed_err *err);

/*
 * Read `entry` (a path written in kfile, relative to the kustomization's directory dir) for a
 * generator or a replacements file: it must be a regular file below the build root, the rule
 * resources follow too (Flux's LoadRestrictionsNone, bounded by the source's tree). *data
 * (NUL-terminated) is malloc'd. Errors: ED_ENOTFOUND (missing), ED_EINVALID (outside the root,
 * or not a regular file), ED_ETOOBIG, ED_ERROR.
 */
int ks_read_source(struct build *b, const char *dir, const char *entry, const char *kfile,
                   char **data, size_t *len, ed_err *err);
/* Accumulate `entry` (written in kfile of directory dir) into acc as an entry of `resources` is:
 * a file of objects, or a directory built as a kustomization; the crds field specs of that
 * directory stay with it. Errors as a resource's. */
int ks_accumulate(struct build *b, const char *dir, const char *kfile, const char *entry,
                  ks_list *acc);
/* The build's secret_source hook (ed_ks_options) on a secretGenerator's file: 0 when there is
 * none. */
int ks_secret_source(struct build *b, const char *entry, bool env, char **data, size_t *len);

/* ---- generators (generate.c) ---- */

/* Check the configMapGenerator, secretGenerator and generatorOptions fields of kz for names and
 * types, and that each generator has a name. Returns 0 or ED_EINVALID. */
int ks_generators_check(const ed_node *kz, const char *kfile, ed_err *err);
/* Run kz's generators (kz read from kfile in directory dir) into acc, applying each one's
 * behavior against what acc holds. Errors: ED_EINVALID (bad source, repeated key, an existing
 * id with behavior create, ...), ED_ENOTFOUND (missing file, nothing to merge or replace). */
int ks_generate(struct build *b, const ed_node *kz, const char *dir, const char *kfile,
                ks_list *acc, ed_err *err);
/* One generator entry of a ConfigMapGenerator or SecretGenerator plugin config (entry holds the
 * fields of a configMapGenerator entry; no generatorOptions apply), checked, run and placed into
 * acc as ks_generate does; origin (taken) is the origin the objects record. kfile names the
 * kustomization and the config in messages. */
int ks_generate_plugin(struct build *b, const ed_node *entry, bool secret, const char *dir,
                       const char *kfile, char *origin, ks_list *acc, ed_err *err);
/* The path of `path` (a real path) relative to the top kustomization's directory, for origin
 * annotations; malloc'd. */
char *ks_origin_path(struct build *b, const char *path);
/* The lines buildMetadata's origin adds for a remote target being built ("repo: R\n", then
 * indent and "ref: F\n" when it names a ref), or "" in the build's own tree; the caller frees
 * it. (build.c) */
char *ks_origin_remote(struct build *b, const char *indent);
/* True when the n bytes at s are valid UTF-8. */
bool ks_utf8_valid(const char *s, size_t n);
/* Append the JSON text kustomize hashes for a ConfigMap or Secret object. */
void ks_hash_encode(const ed_node *obj, ed_buf *out);
/* kustomize's 10-character name hash of a ConfigMap or Secret object. */
void ks_hash_object(const ed_node *obj, char out[11]);
/* Append "-<hash>" to the name of every resource of l that needs it (the last step of a build
 * before name references are fixed). */
void ks_hash_names(ks_list *l);

/* ---- replacements (replace.c) ---- */

/* Run kz's `replacements` (kz read from kfile in directory dir) over l. Errors: ED_EINVALID (a
 * selector matching several sources, a target field that cannot be found or created, a bad
 * option), ED_ENOTFOUND (no source, a missing replacements file). */
int ks_replace(struct build *b, const ed_node *kz, const char *dir, const char *kfile, ks_list *l,
               ed_err *err);

/* ---- legacy vars (vars.c) ---- */

/* Check kz's `vars`, bind each to the one object of l its objref names, and append copies of
 * them to the sequence at the root of declared. Errors: ED_EINVALID (a bad var, a name declared
 * before, an objref matching several objects). */
int ks_vars_declare(ed_doc *declared, const ed_node *kz, const char *kfile, ks_list *l,
                    ed_err *err);
/* Replace $(NAME) of every declared var in kustomize's varReference fields (and those of
 * `configurations` in config, which may be NULL) across l. Errors:
 * ED_ENOTFOUND (a var whose object is not in the build), ED_EINVALID (a value that is not a
 * scalar, a list of references holding a non-string). */
int ks_vars_resolve(const ed_doc *declared, ks_list *l, const ed_doc *config, ed_err *err);

/* ---- transformer configurations (config.c) ---- */

/* Read the files of kz's `configurations` (kz read from kfile in dir) and append their
 * nameReference and varReference entries to the mapping at config's root, their field specs
 * (namespace, namePrefix, nameSuffix, commonLabels, labels, templateLabels, commonAnnotations,
 * images, replicas) to fields' (the kustomization's, as ks_crds_load's). Errors: ED_EINVALID (a bad
 * entry, or one of a transformer eddy does not configure), ED_ENOTFOUND. */
int ks_config_load(struct build *b, ed_doc *config, ed_doc *fields, const ed_node *kz,
                   const char *dir, const char *kfile, ed_err *err);

/* ---- custom resource definitions (crds.c) ---- */

/* Read the OpenAPI definition files of kz's `crds` (kz read from kfile in dir); append to the
 * mapping at config's root a nameReference entry for each property annotated with
 * x-kubernetes-object-ref-kind and -api-version, and to the mapping at fields' root a
 * commonAnnotations, commonLabels or namePrefix field spec for each one annotated
 * x-kubernetes-annotation, -label-selector or -identity. Errors: ED_EINVALID (a file that is
 * not a mapping of definitions, a cycle of $ref), ED_ENOTFOUND. */
int ks_crds_load(struct build *b, ed_doc *config, ed_doc *fields, const ed_node *kz,
                 const char *dir, const char *kfile, ed_err *err);
/* Add the field specs of src (as ks_crds_load wrote them) to dst, each once. */
void ks_crds_merge(ed_doc *dst, const ed_doc *src);

/* ---- name references (nameref.c) ---- */

/* Update every reference to a renamed object (kustomize's nameReference table, and the
 * nameReference entries of `configurations` in config, which may be NULL) across l.
 * Returns 0 or ED_EINVALID (an ambiguous reference, or a reference field that is not a name). */
int ks_fix_name_refs(ks_list *l, const ed_doc *config, ed_err *err);
/* For tests: the number of entries of the name-reference table, and whether it holds the
 * reference from referrer_kind at path to target_kind. */
size_t ks_nameref_table_len(void);
bool ks_nameref_table_has(const char *target_kind, const char *referrer_kind, const char *path);

/* ---- plugin configs: `generators`, `transformers`, `validators` (plugin.c) ---- */

/* Where a kustomization's plugin configs are read and what they use. */
typedef struct ks_plugin_ctx {
    struct build *b;
    ks_loader *ld;     /* the kustomization's files (patch files) */
    ks_schema *schema; /* the build's strategic merge schema */
    const char *dir;   /* the kustomization's directory (real path) */
    const char *kpath; /* its file (real path) */
    const char *kfile; /* its file, for messages */
} ks_plugin_ctx;

/* Run the builtin generators kz's `generators` configure into acc (after the field generators).
 * Errors name the kustomization, the config and the field: ED_EINVALID (an external plugin, an
 * unknown builtin, a transformer, Helm, a bad config), ED_ENOTFOUND (a missing file). */
int ks_plugins_generate(const ks_plugin_ctx *c, const ed_node *kz, ks_list *acc, ed_err *err);
/* Run the builtin transformers kz's `transformers` configure over l, recording each in the
 * resources' transformations. Errors as ks_plugins_generate's. */
int ks_plugins_transform(const ks_plugin_ctx *c, const ed_node *kz, ks_list *l, ed_err *err);
/* Run kz's `validators` over a copy of l: ED_EINVALID when one would change an object. */
int ks_plugins_validate(const ks_plugin_ctx *c, const ed_node *kz, ks_list *l, ed_err *err);

/* Merge Flux's overlay (ed_ks_options.overlay) into the top kustomization kdoc (flux.c);
 * generated: kdoc is Flux's generated kustomization, not the path's own file. */
int ks_overlay_merge(ed_doc *kdoc, const ed_node *overlay, bool generated);

/* Go's json type name of n's kind ("string", "number", "bool", "array", "object", "null"), for
 * kustomize's "cannot unmarshal" messages (build.c). */
const char *ks_json_type(const ed_node *n);

#endif
