/*
 * The OCIRepository reconciler (source.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's source-controller:
 *
 *   1. read the object; on deletion remove its artifacts and the finalizer, and stop;
 *   2. add the finalizer; a suspended object is left alone; then the garbage collection of
 *      the object's older artifacts (as for GitRepository);
 *   3. what eddy does not do is refused, terminal until the spec changes (Stalled): a
 *      provider other than generic (cloud workload identity), spec.verify with notation or
 *      cosign keyless (no secretRef: Fulcio and Rekor are online services);
 *   4. credentials, as Flux's keychain and transport, in its order: spec.secretRef
 *      (dockerconfigjson) and the imagePullSecrets of spec.serviceAccountName ("failed to get
 *      credential: ..."), spec.proxySecretRef ("failed to get proxy address: ..."),
 *      spec.certSecretRef ("failed to generate transport for '<url>': ..."), all
 *      AuthenticationFailed; then spec.url (URLInvalid, stalled as in Flux);
 *   5. the reference: spec.ref.digest, else the highest tag in spec.ref.semver's range (after
 *      semverFilter), else spec.ref.tag, else latest (ReadOperationFailed when no tag fits);
 *      a tag's manifest digest from a HEAD (OCIArtifactPullFailed when the registry refuses):
 *      the revision is `<tag>@sha256:<hex>`, or `sha256:<hex>` for a digest;
 *   5b. spec.verify (cosign with public keys, ocirepository_verify.c), when the revision is
 *      not the stored artifact's, the spec changed since the last verification or it failed:
 *      SourceVerified True "verified signature of revision <rev>", or False VerificationError
 *      and nothing is pulled;
 *   6. when the revision, spec.ignore or spec.layerSelector differ from the stored
 *      artifact's (or its file is gone): GET the manifest, choose the layer (the first, or
 *      layerSelector.mediaType's), download it with its digest checked, then `extract` (the
 *      default: unpack it safely, apply .sourceignore and spec.ignore, archive it again) or
 *      `copy` (the layer as it is), and store it under
 *      ocirepository/<ns>/<name>/sha256:<hex>.tar.gz; the manifest's annotations become the
 *      artifact's metadata (OCIArtifactLayerOperationFailed on a bad manifest or layer);
 *   7. status, written in one place on every exit, and an Event: NewArtifact "stored artifact
 *      with revision '...' from '<url>'" (with the origin source and revision when the
 *      manifest names them), or a warning.
 *
 * A reconcile whose revision is unchanged costs one HEAD (a semver ref adds the tag listing).
 * Success requeues after spec.interval; failure returns an error so the key backs off.
 */
#include "controllers.h"
#include "image_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define API_VERSION "source.toolkit.fluxcd.io/v1"
#define KIND        "OCIRepository"
#define MANAGER     "source-controller"

/* Caps on what one artifact may bring: the layer as downloaded, and its content unpacked. */
#define MAX_LAYER_BYTES    ((int64_t)512 << 20)
#define MAX_UNPACKED_BYTES ((int64_t)2 << 30)

struct ed_ocirepo_controller {
    ed_ocirepo_opts o;
    ed_ctrl_kind kind;
};

/* What one reconcile found, for the status and the event. */
struct outcome {
    bool ok;
    const char *cond;   /* on failure, the negative condition that says why */
    const char *reason; /* Flux's reason */
    char message[ED_ERR_MSG_MAX * 3];
    bool stalled;           /* no retry until the spec changes */
    char new_revision[400]; /* resolved, and not the stored artifact's */
    char ref_name[1200];    /* <registry>/<repository>:<tag> or @<digest>, for messages */
    ed_ctrl_verified verified;
    char verified_message[ED_ERR_MSG_MAX];
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

static void fail(struct outcome *out, const char *cond, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct outcome *out, const char *cond, const char *reason, const char *fmt, ...)
{
    out->cond = cond;
    out->reason = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
}

/* A spec field, with null read as absent. */
static const ed_node *field(const ed_node *obj, const char *path)
{
    const ed_node *v = ed_node_path(obj, path);
    return v && ed_node_kind_of(v) == ED_NODE_NULL ? NULL : v;
}

/* Phase 7: write status (merge patch of the status subresource) from the outcome. */
static int write_status(ed_ocirepo_controller *c, const ed_node *obj, const struct outcome *out,
                        const ed_node *artifact)
{
    static const char *const negative[] = {"FetchFailed", "StorageOperationFailed", NULL};
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    char new_revision[sizeof(out->new_revision) + sizeof(out->ref_name) + 32] = "";
    if (out->new_revision[0])
        snprintf(new_revision, sizeof(new_revision), "new revision '%s' for '%s'",
                 out->new_revision, out->ref_name);
    ed_ctrl_source_result r = {.ok = out->ok,
                               .message = out->message,
                               .reason = out->reason,
                               .cond = out->cond,
                               .negative = negative,
                               .stalled = out->stalled,
                               .new_revision = new_revision,
                               .outdated = true,
                               .verified = out->verified,
                               .verified_message = out->verified_message};
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    ed_ctrl_source_conditions(&sp, obj, &r);
    if (out->ok) {
        const ed_node *ignore = field(obj, "/spec/ignore");
        const ed_node *sel = field(obj, "/spec/layerSelector");
        ed_node_set(d, sp.status, "observedIgnore",
                    ignore ? ed_node_copy(d, ignore) : ed_node_new_null(d));
        ed_node_set(d, sp.status, "observedLayerSelector",
                    sel ? ed_node_copy(d, sel) : ed_node_new_null(d));
    }
    if (artifact) {
        ed_node_set(d, sp.status, "artifact", ed_node_copy(d, artifact));
        char *url = ed_ctrl_source_latest_url(c->o.store, obj, artifact, "ocirepository");
        if (url)
            ed_node_set(d, sp.status, "url", ed_node_new_str(d, url));
        free(url);
    }
    return ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, "ocirepository");
}

/* On deletion: the object's artifacts go. */
static int finalize(const ed_node *obj, void *user, ed_err *err)
{
    ed_ocirepo_controller *c = user;
    return ed_artifact_store_remove_all(c->o.store, KIND, str_at(obj, "/metadata/namespace"),
                                        str_at(obj, "/metadata/name"), err);
}

/* Phase 3: what eddy does not do, refused in words that say so and what to use instead. */
static bool refuse_unsupported(const ed_node *obj, struct outcome *out)
{
    const char *provider = str_at(obj, "/spec/provider");
    if (provider && strcmp(provider, "generic") != 0) {
        fail(out, "FetchFailed", "AuthenticationFailed",
             "provider '%s' is not supported by eddy (only generic): use spec.secretRef with a "
             "kubernetes.io/dockerconfigjson Secret",
             provider);
        out->stalled = true;
        return true;
    }
    const char *vp = str_at(obj, "/spec/verify/provider");
    if (field(obj, "/spec/verify") && vp && strcmp(vp, "cosign") != 0) {
        fail(out, "SourceVerified", "VerificationError",
             "failed to verify the signature using provider '%s': only cosign signatures are "
             "verified by eddy",
             vp);
        out->verified = ED_CTRL_VERIFIED_FAILED;
        out->stalled = true;
        return true;
    }
    if (field(obj, "/spec/verify") && !str_at(obj, "/spec/verify/secretRef/name")) {
        /* Flux's keyless verification fetches Sigstore's trust root and checks Fulcio's
         * certificate against Rekor, online services eddy does not call. */
        fail(out, "SourceVerified", "VerificationError",
             "failed to verify the signature using provider 'cosign keyless': keyless "
             "verification (Fulcio certificates, the Rekor transparency log) is not supported by "
             "eddy; sign with a key pair and set spec.verify.secretRef to a Secret of its "
             "cosign public keys (*.pub)");
        out->verified = ED_CTRL_VERIFIED_FAILED;
        out->stalled = true;
        return true;
    }
    return false;
}

/* Phase 5b: spec.verify, when Flux verifies: a revision not stored yet, a spec changed since the
 * last verification, or a verification that failed. */
static int verify_signature(ed_ocirepo_controller *c, const ed_node *obj, const ed_image_ref *ref,
                            const ed_registry_opts *ro, const char *digest, const char *revision,
                            struct outcome *out)
{
    const ed_node *conds = ed_node_path(obj, "/status/conditions");
    const char *verified = ed_cond_status(conds, "SourceVerified");
    const char *stored = str_at(obj, "/status/artifact/revision");
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    for (size_t i = 0; i < ed_node_len(conds); i++)
        if (ed_node_path_str(ed_node_at(conds, i), "/type") &&
            strcmp(ed_node_path_str(ed_node_at(conds, i), "/type"), "SourceVerified") == 0)
            ed_node_int(ed_node_path(ed_node_at(conds, i), "/observedGeneration"), &observed);
    if (!field(obj, "/spec/verify")) {
        out->verified = ED_CTRL_VERIFIED_NONE;
        return 0;
    }
    if (stored && strcmp(stored, revision) == 0 && observed == gen && verified &&
        strcmp(verified, "False") != 0)
        return 0;
    char why[ED_ERR_MSG_MAX];
    ed_err err = ED_ERR_INIT;
    int rc = ed_ctrl_cosign_verify(c->o.kube, obj, ref, ro, digest, out->ref_name,
                                   ed_artifact_store_tmpdir(c->o.store), why, sizeof(why), &err);
    if (rc) {
        fail(out, "SourceVerified", "VerificationError",
             "failed to verify the signature using provider 'cosign': %s", err.msg);
        out->verified = ED_CTRL_VERIFIED_FAILED;
        if (why[0])
            ed_log(ED_LOG_INFO, "signature verification failed", "controller", "ocirepository",
                   "name", str_at(obj, "/metadata/name"), "namespace",
                   str_at(obj, "/metadata/namespace"), "revision", revision, "error", why, NULL);
        return rc;
    }
    out->verified = ED_CTRL_VERIFIED_OK;
    snprintf(out->verified_message, sizeof(out->verified_message),
             "verified signature of revision %s", revision);
    return 0;
}

/* Phase 5: the tag (or digest) to pull into ref_out, as Flux chooses it. */
static int choose_reference(const ed_node *obj, const ed_image_ref *ref, const ed_registry_opts *ro,
                            char *ref_out, size_t n, bool *by_digest, struct outcome *out)
{
    const char *url = str_at(obj, "/spec/url");
    const char *digest = str_at(obj, "/spec/ref/digest");
    const char *semver = str_at(obj, "/spec/ref/semver");
    const char *tag = str_at(obj, "/spec/ref/tag");
    *by_digest = false;
    if (digest && *digest) {
        if (!ed_sha256_digest_valid(digest)) {
            fail(out, "FetchFailed", "URLInvalid",
                 "URL validation failed for '%s': spec.ref.digest '%s' is not sha256:<64 hex>", url,
                 digest);
            out->stalled = true;
            return ED_EINVALID;
        }
        *by_digest = true;
        snprintf(ref_out, n, "%s", digest);
        return 0;
    }
    if (semver && *semver) {
        char **tags = NULL;
        size_t ntags = 0;
        ed_err err = ED_ERR_INIT;
        int rc = ed_registry_tags(ref, ro, &tags, &ntags, &err);
        const char *chosen = NULL;
        if (!rc) {
            ed_policy_spec spec = {.kind = ED_POLICY_SEMVER,
                                   .range = semver,
                                   .filter = str_at(obj, "/spec/ref/semverFilter")};
            rc = ed_policy_latest(&spec, (const char *const *)tags, ntags, &chosen, &err);
            if (rc == ED_ENOTFOUND)
                ed_err_set(&err, rc, "no match found for semver: %s", semver);
        }
        if (rc)
            fail(out, "FetchFailed",
                 rc == ED_EAUTH ? "OCIArtifactPullFailed" : "ReadOperationFailed",
                 "failed to determine the artifact tag for '%s': %s", url, err.msg);
        else
            snprintf(ref_out, n, "%s", chosen);
        ed_registry_tags_free(tags);
        return rc;
    }
    snprintf(ref_out, n, "%s", tag && *tag ? tag : "latest");
    return 0;
}

/* True when the stored artifact is the revision's, built with today's ignore and selector. */
static bool artifact_current(ed_ocirepo_controller *c, const ed_node *obj, const char *revision)
{
    const char *cur_rev = str_at(obj, "/status/artifact/revision");
    const char *cur_path = str_at(obj, "/status/artifact/path");
    if (!cur_rev || strcmp(cur_rev, revision) != 0 || !cur_path ||
        !ed_artifact_store_has(c->o.store, cur_path))
        return false;
    if (!ed_node_equal(field(obj, "/spec/ignore"), field(obj, "/status/observedIgnore")))
        return false;
    /* Flux compares the selector's two fields, an empty operation meaning extract. */
    const char *want_mt = str_at(obj, "/spec/layerSelector/mediaType");
    const char *had_mt = str_at(obj, "/status/observedLayerSelector/mediaType");
    const char *want_op = str_at(obj, "/spec/layerSelector/operation");
    const char *had_op = str_at(obj, "/status/observedLayerSelector/operation");
    return strcmp(want_mt ? want_mt : "", had_mt ? had_mt : "") == 0 &&
           strcmp(want_op ? want_op : "extract", had_op ? had_op : "extract") == 0;
}

/* The artifact node for a new file, with the manifest's annotations as metadata. */
static ed_doc *artifact_doc(const ed_source_artifact_info *info, const char *path, const char *url,
                            const char *revision, const ed_doc *annotations)
{
    ed_doc *doc = ed_doc_new();
    ed_node *a = ed_node_new_map(doc);
    ed_doc_set_root(doc, a);
    char now[32];
    ed_time_rfc3339(time(NULL), now);
    ed_node_set(doc, a, "digest", ed_node_new_str(doc, info->digest));
    ed_node_set(doc, a, "lastUpdateTime", ed_node_new_str(doc, now));
    if (annotations)
        ed_node_set(doc, a, "metadata", ed_node_copy(doc, ed_doc_root(annotations)));
    ed_node_set(doc, a, "path", ed_node_new_str(doc, path));
    ed_node_set(doc, a, "revision", ed_node_new_str(doc, revision));
    ed_node_set(doc, a, "size", ed_node_new_int(doc, info->size));
    ed_node_set(doc, a, "url", ed_node_new_str(doc, url));
    return doc;
}

/* The sha256 digest and size of the file at path into *info. */
static int file_info(const char *path, ed_source_artifact_info *info, const char *digest,
                     ed_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return ed_err_set(err, ED_ERROR, "stat %s: %s", path, strerror(errno));
    info->size = (int64_t)st.st_size;
    snprintf(info->digest, sizeof(info->digest), "%.71s", digest); /* (sha256:<64 hex>) */
    return 0;
}

/* Flux extracts a layer as a gzip stream only (fluxcd/pkg/tar): a layer of another format is
 * refused in the words of Go's gzip reader, before the archive is opened (libarchive would
 * read a plain tar or a zip as well, and name a temporary path). */
static int gzip_header(const char *file, ed_err *err)
{
    unsigned char head[10];
    FILE *f = fopen(file, "rb");
    if (!f)
        return ed_err_set(err, ED_ERROR, "open layer: %s", strerror(errno));
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    if (n == 0)
        return ed_err_set(err, ED_EINVALID, "requires gzip-compressed body: EOF");
    if (n < sizeof(head))
        return ed_err_set(err, ED_EINVALID, "requires gzip-compressed body: unexpected EOF");
    if (head[0] != 0x1f || head[1] != 0x8b || head[2] != 8)
        return ed_err_set(err, ED_EINVALID, "requires gzip-compressed body: gzip: invalid header");
    return 0;
}

/* Phase 6: pull the layer of the manifest at digest and store the artifact (*artdoc). */
static int pull(ed_ocirepo_controller *c, const ed_node *obj, const ed_image_ref *ref,
                const ed_registry_opts *ro, const char *manifest_digest, const char *revision,
                ed_doc **artdoc, struct outcome *out)
{
    const char *ns = str_at(obj, "/metadata/namespace"), *name = str_at(obj, "/metadata/name");
    const char *url = str_at(obj, "/spec/url");
    const char *op = str_at(obj, "/spec/layerSelector/operation");
    bool copy = op && strcmp(op, "copy") == 0;
    char *manifest = NULL, got[ED_DIGEST_MAX];
    ed_oci_layer layer = {0};
    ed_err err = ED_ERR_INIT;
    char *dir = ed_xasprintf("%s/oci-XXXXXX", ed_artifact_store_tmpdir(c->o.store));
    char *blob = NULL, *tree = NULL, *tar = NULL, *path = NULL, *aurl = NULL;
    int rc = 0;
    if (!mkdtemp(dir)) {
        rc = ed_err_set(&err, ED_ERROR, "%s", strerror(errno));
        fail(out, "StorageOperationFailed", "DirCreationFailed",
             "failed to create temporary working directory: %s", err.msg);
        free(dir);
        return rc;
    }
    blob = ed_xasprintf("%s/layer", dir);
    tree = ed_xasprintf("%s/tree", dir);
    tar = ed_xasprintf("%s/artifact.tar.gz", dir);
    if ((rc = ed_registry_manifest(ref, ro, manifest_digest, &manifest, got, &err)) != 0) {
        fail(out, "FetchFailed", "OCIArtifactPullFailed", "failed to pull artifact from '%s': %s",
             url, err.msg);
        goto cleanup;
    }
    if ((rc = ed_oci_manifest_layer(manifest, strlen(manifest),
                                    str_at(obj, "/spec/layerSelector/mediaType"), &layer, &err))) {
        fail(out, "FetchFailed", "OCIArtifactLayerOperationFailed", "%s", err.msg);
        goto cleanup;
    }
    if ((rc = ed_registry_blob_get(ref, ro, layer.digest, blob, MAX_LAYER_BYTES, &err)) != 0) {
        fail(out, "FetchFailed",
             rc == ED_EAUTH || rc == ED_ERETRY || rc == ED_ETIMEOUT
                 ? "OCIArtifactPullFailed"
                 : "OCIArtifactLayerOperationFailed",
             "failed to extract the first layer from artifact: %s", err.msg);
        goto cleanup;
    }
    ed_source_artifact_info info = {0};
    const char *src_file = blob;
    if (copy) {
        rc = file_info(blob, &info, layer.digest, &err);
    } else {
        /* Flux's extract: the layer is unpacked (refused when a path would leave the tree),
         * filtered by .sourceignore and spec.ignore, and archived again. */
        if (mkdir(tree, 0700) != 0) {
            rc = ed_err_set(&err, ED_ERROR, "mkdir %s: %s", tree, strerror(errno));
        } else if ((rc = gzip_header(blob, &err)) != 0 ||
                   (rc = ed_source_archive_unpack(blob, tree, MAX_UNPACKED_BYTES, &err)) != 0) {
            fail(out, "FetchFailed", "OCIArtifactLayerOperationFailed",
                 "failed to extract layer contents from artifact: %s", err.msg);
            goto cleanup;
        }
        if (!rc)
            rc = ed_source_dir_filter(tree, str_at(obj, "/spec/ignore"), &err);
        if (!rc)
            rc = ed_source_archive_create(tree, tar, &info, &err);
        src_file = tar;
    }
    if (rc) {
        fail(out, "StorageOperationFailed", "ArchiveOperationFailed",
             "unable to archive artifact to storage: %s", err.msg);
        goto cleanup;
    }
    /* Flux names the file after the manifest digest: sha256:<hex>.tar.gz. */
    char file[ED_DIGEST_MAX + 8];
    snprintf(file, sizeof(file), "%s.tar.gz", manifest_digest);
    if ((rc = ed_artifact_store_put(c->o.store, KIND, ns, name, file, src_file, &path, &aurl,
                                    &err)) != 0) {
        fail(out, "StorageOperationFailed", "ArchiveOperationFailed",
             "unable to archive artifact to storage: %s", err.msg);
        goto cleanup;
    }
    *artdoc = artifact_doc(&info, path, aurl, revision, layer.annotations);
cleanup:
    ed_oci_layer_clear(&layer);
    free(manifest);
    ed_path_remove_tree(dir);
    free(dir);
    free(blob);
    free(tree);
    free(tar);
    free(path);
    free(aurl);
    return rc;
}

/* Flux's NewArtifact message, with the origin the manifest names. */
static void artifact_note(const ed_node *obj, const ed_node *artifact, char *note, size_t n)
{
    const char *source = str_at(artifact, "/metadata/org.opencontainers.image.source");
    const char *origin = str_at(artifact, "/metadata/org.opencontainers.image.revision");
    int len = snprintf(note, n, "stored artifact with revision '%s' from '%s'",
                       str_at(artifact, "/revision"), str_at(obj, "/spec/url"));
    /* (Flux names the origin only when both annotations have a value.) */
    if (source && *source && origin && *origin && len > 0 && (size_t)len < n)
        snprintf(note + len, n - (size_t)len, ", origin source '%s', origin revision '%s'", source,
                 origin);
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_ocirepo_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL, *artdoc = NULL;
    ed_ctrl_registry_auth auth = {0};
    struct outcome out = {.ok = false, .cond = "FetchFailed", .reason = "OCIArtifactPullFailed"};
    int rc;
    if (ed_ctrl_begin(&c->kind, ns, name, &objdoc, &rc, &err) == ED_CTRL_STOP)
        goto done;
    ed_node *obj = ed_doc_root(objdoc);
    ed_ctrl_source_gc(c->o.store, obj, c->o.retention_records, c->o.retention_ttl_ms,
                      "ocirepository");
    int64_t interval = 0;
    const char *iv = str_at(obj, "/spec/interval");
    if (!iv || ed_duration_parse(iv, &interval, NULL) != 0 || interval <= 0)
        interval = 60000; /* the CRD requires a valid interval; defensive only */
    const char *url = str_at(obj, "/spec/url");

    /* 3. Refusals. */
    if (refuse_unsupported(obj, &out)) {
        rc = ED_EINVALID;
        goto status;
    }

    /* 4. Credentials, proxy and TLS, then the URL: Flux reads the Secrets before it parses the
     * URL (its keychain is matched to the registry when a request is made). */
    ed_image_ref ref;
    ed_err url_err = ED_ERR_INIT;
    int url_rc = ed_oci_url_parse(url, &ref, &url_err);
    ed_registry_opts ro = {0};
    ed_ctrl_auth_part part = ED_CTRL_AUTH_SECRET;
    if ((rc = ed_ctrl_registry_auth_read(c->o.kube, obj, &ref, ED_CTRL_AUTH_SOURCE, &auth, &ro,
                                         &part, &err)) != 0) {
        /* Flux's trace Event before the failure's: a Normal one. */
        if (part == ED_CTRL_AUTH_SECRET) {
            char note[600];
            snprintf(note, sizeof(note), "auth secret '%s' not found",
                     str_at(obj, "/spec/secretRef/name"));
            ed_ctrl_record_event(c->o.kube, obj, MANAGER, "Normal", "AuthenticationFailed", note,
                                 NULL);
        }
        if (part == ED_CTRL_AUTH_PROXY)
            fail(&out, "FetchFailed", "AuthenticationFailed", "failed to get proxy address: %s",
                 err.msg);
        else if (part == ED_CTRL_AUTH_CERT)
            fail(&out, "FetchFailed", "AuthenticationFailed",
                 "failed to generate transport for '%s': %s", url ? url : "", err.msg);
        else
            fail(&out, "FetchFailed", "AuthenticationFailed", "failed to get credential: %s",
                 err.msg);
        goto status;
    }
    if ((rc = url_rc) != 0) {
        fail(&out, "FetchFailed", "URLInvalid", "URL validation failed for '%s': %s",
             url ? url : "", url_err.msg);
        out.stalled = true;
        goto status;
    }
    ed_node_bool(ed_node_path(obj, "/spec/insecure"), &ro.insecure);
    /* Flux skips the certificate's verification for insecure without a certSecretRef. */
    ro.tls_skip_verify = ro.insecure && !str_at(obj, "/spec/certSecretRef/name");
    const char *tmo = str_at(obj, "/spec/timeout");
    if (tmo && (ed_duration_parse(tmo, &ro.timeout_ms, NULL) != 0 || ro.timeout_ms <= 0))
        ro.timeout_ms = 60000; /* the CRD's pattern makes this unreachable; defensive only */

    /* 5. Which artifact, and its revision. */
    char reference[256], digest[ED_DIGEST_MAX], revision[400];
    bool by_digest = false;
    if ((rc = choose_reference(obj, &ref, &ro, reference, sizeof(reference), &by_digest, &out)))
        goto status;
    snprintf(out.ref_name, sizeof(out.ref_name), "%s/%s%s%s", ref.registry, ref.repository,
             by_digest ? "@" : ":", reference);
    if (by_digest) {
        snprintf(digest, sizeof(digest), "%.71s", reference); /* (checked: sha256:<64 hex>) */
        snprintf(revision, sizeof(revision), "%s", digest);
    } else {
        if ((rc = ed_registry_digest(&ref, &ro, reference, digest, &err)) != 0) {
            fail(&out, "FetchFailed", "OCIArtifactPullFailed",
                 "failed to determine artifact digest: %s", err.msg);
            goto status;
        }
        snprintf(revision, sizeof(revision), "%s@%s", reference, digest);
    }
    const char *stored = str_at(obj, "/status/artifact/revision");
    if (!stored || strcmp(stored, revision) != 0)
        snprintf(out.new_revision, sizeof(out.new_revision), "%s", revision);
    if ((rc = verify_signature(c, obj, &ref, &ro, digest, revision, &out)) != 0)
        goto status;

    /* 6. The artifact: the stored one while nothing that shapes it changed. */
    if (artifact_current(c, obj, revision)) {
        artdoc = ed_doc_new();
        ed_doc_set_root(artdoc, ed_node_copy(artdoc, ed_node_path(obj, "/status/artifact")));
        char *u = ed_artifact_store_url(c->o.store, str_at(ed_doc_root(artdoc), "/path"));
        ed_node_set(artdoc, ed_doc_root(artdoc), "url", ed_node_new_str(artdoc, u));
        free(u);
    } else if ((rc = pull(c, obj, &ref, &ro, digest, revision, &artdoc, &out)) != 0) {
        goto status;
    }
    out.ok = true;
    out.reason = "Succeeded";
    snprintf(out.message, sizeof(out.message), "stored artifact for digest '%s'", revision);
    *requeue_after_ms = interval;

status:
    /* 7. One place writes status, and tells what happened. */
    if (write_status(c, obj, &out, artdoc ? ed_doc_root(artdoc) : NULL) != 0 && out.ok)
        rc = ED_ERETRY;
    if (out.ok) {
        /* NewArtifact when the digest changed; Succeeded when it is the same but the last
         * reconcile had failed (Flux's notify). */
        const ed_node *art = ed_doc_root(artdoc);
        const char *adigest = str_at(art, "/digest");
        const char *old_digest = str_at(obj, "/status/artifact/digest");
        const char *ready = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready");
        bool changed = !old_digest || !adigest || strcmp(old_digest, adigest) != 0;
        bool recovered = ready && strcmp(ready, "False") == 0;
        /* Flux's line: the notice when there is one, else its trace event's message. */
        char note[ED_ERR_MSG_MAX * 2];
        snprintf(note, sizeof(note), "artifact up-to-date with remote revision: '%s'",
                 str_at(art, "/revision"));
        if (changed || recovered) {
            artifact_note(obj, art, note, sizeof(note));
            const char *annotations[] = {"source.toolkit.fluxcd.io/revision",
                                         str_at(art, "/revision"),
                                         "source.toolkit.fluxcd.io/digest", adigest, NULL};
            ed_ctrl_record_event(c->o.kube, obj, MANAGER, "Normal",
                                 changed ? "NewArtifact" : "Succeeded", note, annotations);
        }
        ed_ctrl_log_result("ocirepository", obj, true, false, note);
    } else {
        ed_ctrl_record_event(c->o.kube, obj, MANAGER, "Warning", out.reason, out.message, NULL);
        ed_ctrl_log_result("ocirepository", obj, false, out.stalled, out.message);
        if (out.stalled) {
            *requeue_after_ms = 0;
            rc = 0;
        } else if (!rc) {
            rc = ED_ERROR;
        }
    }
done:
    ed_ctrl_registry_auth_clear(&auth);
    ed_doc_free(artdoc);
    ed_doc_free(objdoc);
    return rc;
}

ed_ocirepo_controller *ed_ocirepo_register(ed_manager *m, const ed_ocirepo_opts *opts)
{
    ed_ocirepo_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->kind =
        (ed_ctrl_kind){opts->kube, opts->metrics, API_VERSION, KIND, "ocirepository", finalize, c,
                       NULL,       NULL,          NULL,        false};
    ed_ctrl_register(m, &c->kind, opts->workers, reconcile);
    return c;
}

void ed_ocirepo_free(ed_ocirepo_controller *c)
{
    free(c);
}
