/*
 * kustomize: `kustomize build` as a pure function from a directory to a list of objects, reading
 * only below its root, output-identical to `kubectl kustomize` (kustomize v5.5).
 *
 * It reads kustomization.yaml (or .yml, or Kustomization) and implements `resources` (files of
 * one or more documents, and directories holding a kustomization, recursively, with cycle
 * detection and duplicate-id checks), the legacy `bases`, `configMapGenerator` and
 * `secretGenerator` (with `generatorOptions`, behaviors and kustomize's name hash suffix),
 * `components` (kind Component, applied to the resources of the kustomization listing them),
 * `namespace`, `namePrefix`/`nameSuffix`, `commonLabels`, `labels` (includeSelectors,
 * includeTemplates), `commonAnnotations`, `images`, `replicas`, `replacements`, the legacy
 * `vars`, and `configurations` (nameReference, varReference and namespace entries); then, at the
 * top, it adds the hash suffixes, updates every name reference to a renamed object (kustomize's
 * nameReference table), expands vars, adds `buildMetadata` (origin and transformer annotations, the
 * managed-by label) and orders the result as `sortOptions` say (kustomize's legacy order by
 * default). Every other kustomization field is refused with an error naming it, never ignored.
 * Remote bases are refused.
 *
 * Files a generator reads, like resources, may lie anywhere below the build root (Flux builds
 * with kustomize's LoadRestrictionsNone; `kubectl kustomize` would also refuse a file outside
 * the kustomization's own directory). An env-file line without '=' gets the empty value:
 * kustomize would read eddy's own environment, which a build must never depend on or expose.
 *
 * Its place in the layering (STYLE.md): base <- doc <- kustomize.
 */
#ifndef ED_KUSTOMIZE_H
#define ED_KUSTOMIZE_H

#include "../doc/doc.h"

/* Options of a build. Start from ED_KS_OPTIONS_INIT. */
typedef struct ed_ks_options {
    /* The directory no file of the build may lie outside of (after resolving symlinks): a
     * path with `..`, an absolute path or a symlink leading out of it is refused. NULL means
     * the directory being built. Messages name files relative to it. */
    const char *root;
    /* The largest file the build reads, in bytes; 0 means 64 MiB. */
    size_t max_file_bytes;
} ed_ks_options;

#define ED_KS_OPTIONS_INIT                                                                         \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/*
 * Build the kustomization in dir (opts may be NULL for the defaults). On success *out is a new
 * array of *count documents in kustomize's output order; the caller frees it with
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

#endif
