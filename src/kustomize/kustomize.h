/*
 * kustomize: `kustomize build` as a pure function from a directory to a list of objects, reading
 * only below its root, output-identical to `kubectl kustomize` (kustomize v5.5).
 *
 * It reads kustomization.yaml (or .yml, or Kustomization) and implements `resources` (files of
 * one or more documents, and directories holding a kustomization, recursively, with cycle
 * detection and duplicate-id checks), the legacy `bases`, `configMapGenerator` and
 * `secretGenerator` (with `generatorOptions`, behaviors and kustomize's name hash suffix),
 * `components` (kind Component, applied to the resources of the kustomization listing them),
 * `patches` (strategic merge and JSON 6902, with targets), the legacy `patchesStrategicMerge`
 * and `patchesJson6902`, `openapi: {path: ...}` (the merge keys of this kustomization's strategic
 * merge patches; `version` only kustomize's built-in one), `namespace`, `namePrefix`/
 * `nameSuffix`, `commonLabels`, `labels` (includeSelectors, includeTemplates, fields),
 * `commonAnnotations`, `images` (and the legacy `imageTags`), `replicas`, `replacements`, the
 * legacy `vars`, `configurations` (the field specs of every transformer: nameReference,
 * varReference, namespace, namePrefix, nameSuffix, commonLabels, labels, templateLabels,
 * commonAnnotations, images and replicas) and `crds` (OpenAPI
 * definitions whose x-kubernetes-object-ref properties add name references); then, at the
 * top, it adds the hash suffixes, updates every name reference to a renamed object
 * (kustomize's nameReference table), expands vars, adds `buildMetadata`
 * (origin and transformer annotations, the managed-by label) and orders the result as
 * `sortOptions` say (kustomize's legacy order by default, or the accumulation order for
 * ed_ks_options.keep_order, as Flux). `generators`, `transformers` and
 * `validators` run kustomize's builtin plugins (plugin.c), external ones refused as Flux refuses
 * them; `helmCharts` (and a HelmChartInflationGenerator) are refused as Flux refuses them. Remote
 * targets (Git repositories, http(s) files) are built when the caller fetches them
 * (ed_ks_options.remote), else refused.
 *
 * Files a generator, a patch or openapi reads, like resources, may lie anywhere below the build
 * root (Flux builds with kustomize's LoadRestrictionsNone; `kubectl kustomize` would also refuse
 * a file outside the kustomization's own directory). An env-file line without '=' gets the empty
 * value: kustomize would read eddy's own environment, which a build must never depend on or expose.
 *
 * Its place in the layering (STYLE.md): base <- doc <- kustomize.
 */
#ifndef ED_KUSTOMIZE_H
#define ED_KUSTOMIZE_H

#include "../doc/doc.h"

/* ---- the inputs of a build (inputs.c) ---- */

/*
 * A recorder of what a build read: every file, every directory listed and every path probed
 * (found or not), relative to a root. The Kustomization controller keeps one with its memo and,
 * for a later revision, fingerprints the same paths in the new tree: when nothing changed, the
 * output cannot have changed either, and the build is skipped. Recording costs one map insert
 * per path; contents are hashed only by ed_ks_inputs_fingerprint.
 */
typedef struct ed_ks_inputs ed_ks_inputs;

/* What a build took from a path, which is what its fingerprint covers. */
typedef enum ed_ks_input_kind {
    ED_KS_INPUT_PROBE = 'p', /* existence and type (after symlinks) and where it resolves to */
    ED_KS_INPUT_FILE = 'f',  /* the content too */
    ED_KS_INPUT_DIR = 'd'    /* the names in it (dot names too) with their types, unfollowed */
} ed_ks_input_kind;

/* A new, empty recorder for the tree at root (paths outside it make the record incomplete);
 * free it with ed_ks_inputs_free (accepts NULL). */
ed_ks_inputs *ed_ks_inputs_new(const char *root);
void ed_ks_inputs_free(ed_ks_inputs *in);
/* Record path (below the recorder's root, as given or after resolving the root's symlinks;
 * `..` and symlinks inside are kept as written). rec may be NULL: nothing is done. */
void ed_ks_inputs_add(ed_ks_inputs *rec, ed_ks_input_kind kind, const char *path);
/* The number of distinct (kind, path) records. */
size_t ed_ks_inputs_count(const ed_ks_inputs *in);
/* True when kind and rel (relative to the root, "." for the root) were recorded. */
bool ed_ks_inputs_has(const ed_ks_inputs *in, ed_ks_input_kind kind, const char *rel);
/* True when a path outside the root was recorded: such a record cannot be fingerprinted. */
bool ed_ks_inputs_incomplete(const ed_ks_inputs *in);

/*
 * The fingerprint of in's paths in the tree at root (another revision's tree, or the same):
 * sha256 (hex, NUL-terminated) over each path in name order with its state: "missing", where it
 * resolves to and its type, and for a file the sha256 of its content (at most max_file bytes,
 * 0 for 64 MiB), for a directory that of its sorted names and types. Two fingerprints are equal
 * exactly when every recorded path is in the same state. Errors (the caller then builds):
 * ED_EINVALID for an incomplete record, ED_ETOOBIG for a larger file, ED_ERROR for a path that
 * cannot be read (other than missing).
 */
int ed_ks_inputs_fingerprint(const ed_ks_inputs *in, const char *root, size_t max_file,
                             char out[65], ed_err *err);

/*
 * A remote target as kustomize reads one: "https://github.com/org/repo//deploy?ref=v1",
 * "github.com/org/repo/deploy", "git@host:org/repo.git/deploy", "ssh://git@host/org/repo.git",
 * "https://dev.azure.com/org/project/_git/repo/deploy", "file:///srv/repo//app". The
 * repository ends at ".git" (or "_git/<name>", or "//" for file://), else after two path
 * elements; the query's `ref` (else `version`), `timeout` (seconds, or a Go duration; default
 * 27 s) and `submodules` (default true) say how to fetch it.
 */
typedef struct ed_ks_remote {
    char *repo;         /* what to clone: "https://github.com/org/repo.git" */
    char *path;         /* the directory to build in it, cleaned, "" for its root */
    char *ref;          /* a branch, tag or full commit id; "" for the remote's HEAD */
    int64_t timeout_ms; /* for the whole fetch */
    bool submodules;
} ed_ks_remote;

/* Parse entry as kustomize does. ED_EINVALID with kustomize's words when it names no
 * repository ("url lacks repoPath: ...", "url lacks host: ...", "url path exits repo: ...",
 * "uri looks like abs path: ..."). Free *out with ed_ks_remote_clear. */
int ed_ks_remote_parse(const char *entry, ed_ks_remote *out, ed_err *err);
void ed_ks_remote_clear(ed_ks_remote *r);

/* Options of a build. Start from ED_KS_OPTIONS_INIT. */
typedef struct ed_ks_options {
    /* The directory no file of the build may lie outside of (after resolving symlinks): a
     * path with `..`, an absolute path or a symlink leading out of it is refused. NULL means
     * the directory being built. Messages name files relative to it. */
    const char *root;
    /* The largest file the build reads, in bytes; 0 means 64 MiB. */
    size_t max_file_bytes;
    /* Flux's overlay (ed_ks_flux_overlay), or NULL: a kustomization mapping merged into the
     * top kustomization before it is built, as Flux's generator edits kustomization.yaml:
     * its scalar fields and buildMetadata replace the top's, its other lists are appended to
     * the top's (but `images`, merged by name into the top's entries, as Flux 2.9's
     * generator). Borrowed. */
    const ed_node *overlay;
    /* The text of the kustomization to build the top directory with when it has no
     * kustomization file (Flux's generated one), or NULL: the directory is then only read,
     * never written. Borrowed. */
    const char *generated;
    /* Where to record every path the build reads, lists or probes, or NULL (the default: a
     * build then records nothing). Borrowed; its root should be this build's root. */
    ed_ks_inputs *inputs;
    /* Called with each file a secretGenerator reads (entry as written, env: from `envs`) and
     * each `patches[].path` file (env false), or NULL: it may replace *data (malloc'd,
     * NUL-terminated) and *len, as kustomize-controller decrypts SOPS-encrypted sources. An
     * error fails the build. */
    int (*secret_source)(void *user, const char *entry, bool env, char **data, size_t *len,
                         ed_err *err);
    void *secret_source_user;
    /*
     * kustomize's remote targets (ed_ks_remote), or NULL (the default): such an entry is then
     * refused, naming it. remote writes the tree of r->repo at r->ref (its files, no .git) into
     * dest, an empty directory the build made below remote_tmp ($TMPDIR or /tmp when NULL) and
     * removes after building r->path of it, with that tree as the boundary of what it reads.
     * remote_file reads an http(s) URL listed in `resources`, which kustomize tries as a file
     * before as a repository: *data malloc'd, at most max bytes (else ED_ETOOBIG); for a reply
     * other than 2xx, ED_ENOTFOUND with "status code <N> (<text>)". A build that used either
     * records an incomplete ed_ks_inputs (its output depends on more than the tree).
     */
    int (*remote)(void *user, const ed_ks_remote *r, const char *dest, ed_err *err);
    int (*remote_file)(void *user, const char *url, size_t max, char **data, size_t *len,
                       ed_err *err);
    void *remote_user;
    const char *remote_tmp;
    /* How the output is ordered when the top kustomization has no `sortOptions`: false (the
     * default) sorts it in kustomize's legacy order, as `kubectl kustomize` does; true keeps
     * the order in which the build accumulated the objects, as Flux's builds do (krusty's
     * Reorder option left empty, neither "legacy" nor "unspecified"). `sortOptions`, when
     * present, decide either way. */
    bool keep_order;
} ed_ks_options;

#define ED_KS_OPTIONS_INIT                                                                         \
    {                                                                                              \
        NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false                       \
    }

/*
 * Build the kustomization in dir (opts may be NULL for the defaults). On success *out is a new
 * array of *count documents in kustomize's output order (see keep_order); the caller frees it with
 * ed_doc_list_free. On failure *out is NULL, *count 0, and err holds a message in kustomize's
 * manner that names the file (and line, for YAML syntax errors):
 *   ED_ENOTFOUND  dir has no kustomization file, or a listed resource does not exist;
 *   ED_EINVALID   bad YAML, an unknown or unsupported kustomization field, a field of the
 *                 wrong type, a resource without kind or name, a duplicate resource id, a
 *                 cycle between kustomizations, or a path leading outside the root;
 *   ED_ETOOBIG    a file larger than max_file_bytes;
 *   ED_ERROR      a file that cannot be read.
 */
int ed_ks_build(const char *dir, const ed_ks_options *opts, ed_doc ***out, size_t *count,
                ed_err *err);

/*
 * ed_ks_build, then the result as one YAML stream laid out byte for byte as `kubectl kustomize
 * dir` prints it, appended to out (nothing for an empty build). Errors as ed_ks_build, or
 * ED_ETOOBIG when out's cap is reached.
 */
int ed_ks_build_yaml(const char *dir, const ed_ks_options *opts, ed_buf *out, ed_err *err);

/* ---- patches, usable on any object (the Kustomization controller's spec.patches) ---- */

/*
 * Apply the strategic merge patch `patch` (a mapping, from any document) to the object that is
 * doc's root, in place, as kustomize does (src/kustomize/smp.c): mappings merge, null deletes a
 * key, lists of built-in kinds merge by the merge key of the API server's OpenAPI schema (lists
 * of scalars with strategy "merge" as a union), other lists are replaced; `$patch:
 * delete|replace|merge` in a mapping or list element. The object's apiVersion and kind choose
 * the schema; a kind without one (a custom resource) merges mappings and replaces lists. The
 * caller keeps name and namespace if it must (kustomize does). *deleted is set when the patch
 * deletes the whole object (`$patch: delete` at the top); doc's root is then unchanged. As in
 * kustomize, `$patch: replace` at the top leaves the object unchanged.
 * Errors: ED_EINVALID when the object or patch is not a mapping, or for an unknown `$patch`
 * value (the message names the field).
 */
int ed_ks_smp_apply(ed_doc *doc, const ed_node *patch, bool *deleted, ed_err *err);

/*
 * ed_ks_smp_apply with the schema of an OpenAPI (swagger 2) document instead of the built-in
 * table: `definitions` is that document's "definitions" mapping (borrowed, read during the
 * call), whose x-kubernetes-group-version-kind, properties, $ref, x-kubernetes-patch-strategy,
 * x-kubernetes-patch-merge-key and x-kubernetes-list-map-keys say how lists merge. As with
 * kustomize's `openapi: {path: ...}`, it replaces the built-in table: a kind it does not
 * define has no schema. NULL means the built-in table. Errors as ed_ks_smp_apply.
 */
int ed_ks_smp_apply_schema(ed_doc *doc, const ed_node *patch, const ed_node *definitions,
                           bool *deleted, ed_err *err);

/*
 * Apply the JSON patch `ops` (RFC 6902: a sequence of operations add, remove, replace, move,
 * copy, test with RFC 6901 pointers) to doc's root, in place, in order. Values are copied into
 * doc. On failure doc may hold the operations before the failing one applied.
 * Errors: ED_EINVALID for a bad operation, pointer or index, or a failed test; ED_ENOTFOUND when
 * a path (or the parent of an add's path) does not exist. The message names the operation's
 * index, its op and its path.
 */
int ed_ks_json6902_apply(ed_doc *doc, const ed_node *ops, ed_err *err);

/* True when the engine implements the kustomization field `field` (fields it does not are
 * refused with an error naming them). */
bool ed_ks_supports_field(const char *field);

/* ---- Flux's layer (flux.c, envsubst.c) ---- */

/*
 * Flux's generator: when dir has no kustomization file, append to out the text of the one
 * Flux would write (every YAML file below dir, recursively, and each subdirectory that holds
 * its own kustomization as one entry; dot files included, symlinks skipped; in name order), for
 * ed_ks_options.generated, and return true. False (out untouched) when dir has one. rec (may
 * be NULL) records the kustomization files probed and the directories listed.
 */
bool ed_ks_flux_generate(const char *dir, ed_buf *out, ed_ks_inputs *rec);

/*
 * The overlay of a Flux Kustomization's spec (a kustomize.toolkit.fluxcd.io/v1 spec mapping):
 * targetNamespace as `namespace`, namePrefix, nameSuffix, images, patches, components and
 * buildMetadata, for ed_ks_options.overlay. On success *out is a new document the caller frees
 * (ed_doc_free). ED_EINVALID, naming the spec field, for a malformed field or for patches,
 * components or buildMetadata while the engine does not support them yet (never silently ignored).
 */
int ed_ks_flux_overlay(const ed_node *spec, ed_doc **out, ed_err *err);

/* True when path is what Flux's generator accepts in spec.components: neither a remote target
 * (git::, gh:, ssh://, https://, http://, git@, github.com: or github.com/ before anything
 * else, in any case) nor an absolute path (file:// included). ed_ks_flux_overlay refuses the
 * others ("component path '...' must be local and relative"), even when they do not exist. */
bool ed_ks_flux_local_path(const char *path);

/*
 * Flux's spec.commonMetadata ({labels, annotations}, meta may be NULL): set every pair on
 * every object of docs, overwriting existing keys. ED_EINVALID names a malformed field.
 */
int ed_ks_flux_common_metadata(ed_doc **docs, size_t n, const ed_node *meta, ed_err *err);

/*
 * Flux's postBuild substitution in each of docs (changed in place), except objects labelled or
 * annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`: on the object's YAML text as
 * kustomize prints it, keys included, the result read back as YAML 1.1 (so `"${n}"` with n=3
 * is the number 3, and yes/on/off booleans, as in Flux). vars maps names to NUL-terminated
 * values (borrowed). strict: an unset variable without a default is an error. ED_EINVALID with
 * Flux's message: "post build failed for 'Kind.version.group/name': envsubst error: variable
 * substitution failed: variable not set (strict mode): \"var\"" (or a bad substitution), or
 * "post build failed for '...': YAMLToJSON: ..." for a result that is not YAML.
 */
int ed_ks_flux_substitute(ed_doc *const *docs, size_t n, const ed_strmap *vars, bool strict,
                          ed_err *err);

/* An object's id as Flux's post-build messages print it, "ConfigMap.v1.[noGrp]/name" (kind,
 * version, group, name); malloc'd. */
char *ed_ks_flux_object_id(const ed_node *obj);

/*
 * Flux's envsubst (the grammar is described in envsubst.c) of in[0..len) into out, with vars
 * mapping names to NUL-terminated values. Returns 0; ED_EINVALID for an unset variable in
 * strict mode (`variable not set (strict mode): "name"`) or a malformed `${...}`; ED_ETOOBIG
 * when out's cap is reached.
 */
int ed_ks_envsubst(const char *in, size_t len, const ed_strmap *vars, bool strict, ed_buf *out,
                   ed_err *err);

/* ---- SOPS decryption (sops.c): kustomize-controller's decryptor, for age keys ---- */

typedef struct ed_sops_keys ed_sops_keys;
ed_sops_keys *ed_sops_keys_new(void);
void ed_sops_keys_free(ed_sops_keys *keys);
/* Add the age identities of text (a `*.agekey` entry of a decryption Secret: one
 * AGE-SECRET-KEY-1... a line, empty lines and '#' comments skipped, as sops reads them; none at
 * all is no error). ED_EINVALID with sops's words ("failed to parse and add to age identities:
 * malformed secret key: invalid checksum") when a line is not an identity; then nothing is
 * added. */
int ed_sops_keys_add_age(ed_sops_keys *keys, const char *text, size_t len, ed_err *err);
/* Import the PGP keys of text (a `*.asc` entry: armored, private keys without passphrase; a
 * public key imports and opens nothing, as with Flux's `gpg --import`) into the keys' private
 * GnuPG home (removed by ed_sops_keys_free). ED_EINVALID when it holds no OpenPGP data. */
int ed_sops_keys_add_pgp(ed_sops_keys *keys, const char *text, size_t len, ed_err *err);
/* How many identities and PGP keys keys holds. */
size_t ed_sops_keys_count(const ed_sops_keys *keys);
/* True when obj has SOPS metadata (a top-level `sops` mapping with a `mac`). */
bool ed_sops_is_encrypted(const ed_node *obj);
/*
 * Decrypt the SOPS-encrypted object root (a node of doc) in place: every ENC[...] value
 * replaced by its typed plain value, the MAC checked, the `sops` mapping removed. subject
 * ("Secret/ns/name") prefixes messages, which name fields, never values. Errors: ED_EAUTH when
 * no identity opens the data key, ED_EINVALID for a value that does not decrypt or a MAC that
 * does not match (root is then partly decrypted: discard it).
 */
int ed_sops_decrypt(ed_doc *doc, ed_node *root, const char *subject, const ed_sops_keys *keys,
                    ed_err *err);
/*
 * A file a secretGenerator or `patches[].path` reads (path as written; env: listed in `envs`),
 * or a Secret's value (path: its key), decrypted as kustomize-controller decrypts it: its format
 * from its extension (.yaml/.yml, .json, .env, .ini, a name ending in .dockerconfigjson is JSON;
 * else dotenv for `envs` and sops's binary envelope for the others), and only when it holds
 * that format's SOPS metadata. *out (malloc'd, NUL-terminated, *out_len bytes) is the plain
 * text, or NULL when the file is not encrypted.
 */
int ed_sops_decrypt_file(const char *path, bool env, const char *data, size_t len,
                         const ed_sops_keys *keys, char **out, size_t *out_len, ed_err *err);
/* True when text holds SOPS metadata in any format sops writes (YAML, JSON, dotenv, INI). */
bool ed_sops_text_is_encrypted(const char *data, size_t len);

#endif
