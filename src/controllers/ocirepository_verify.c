/*
 * OCIRepository `spec.verify` with provider cosign and spec.verify.secretRef, as Flux's
 * source-controller verifies an artifact before pulling it: the Secret's `.pub` entries are
 * the trusted public keys (none is an error: "no public keys found in secret '<ns>/<name>'");
 * the signature manifest tagged `sha256-<hex>.sig` beside the artifact is read, each
 * signature's payload downloaded (digest checked, size capped) and checked with each key
 * (source/cosign.c); then, as Flux's verifier does since fluxcd/source-controller#1961,
 * cosign v3's Sigstore bundles: the artifact's referrers of the bundle artifactType, from the
 * referrers API or, on a registry without it (404), from the index tagged `sha256-<hex>`; each
 * bundle's manifest and blob fetched (capped) and verified. One signature or bundle that
 * verifies and names the artifact's digest is enough;
 * otherwise Flux's "no matching signatures were found for '<ref>'", with what eddy saw kept for
 * the log (Flux's message says no more, and a registry that answers nothing useful must not
 * fill the status).
 */
#include "image_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Check the signatures of one manifest against the keys: 0 when one verifies. */
static int check_signatures(const ed_image_ref *ref, const ed_registry_opts *ro,
                            const char *manifest, const char *digest, const ed_ctrl_secret *keys,
                            const char *tmpdir, char *why, size_t why_len, ed_err *err)
{
    ed_source_cosign_sig *sigs = NULL;
    size_t n = 0;
    ed_err e = ED_ERR_INIT;
    int rc = ed_source_cosign_manifest_parse(manifest, strlen(manifest), &sigs, &n, &e);
    if (rc) {
        snprintf(why, why_len, "%s", e.msg);
        return ED_EAUTH;
    }
    rc = ED_EAUTH;
    snprintf(why, why_len, "no signature verified");
    for (size_t i = 0; i < n && rc == ED_EAUTH; i++) {
        char *file = ed_xasprintf("%s/cosign-payload-XXXXXX", tmpdir);
        int fd = mkstemp(file);
        size_t len = 0;
        char *payload = NULL;
        const char *key = NULL;
        ed_err_clear(&e);
        if (fd < 0) {
            rc = ed_err_set(err, ED_ERROR, "temporary file in %s: %s", tmpdir, strerror(errno));
            free(file);
            break;
        }
        close(fd);
        unlink(file); /* ed_registry_blob_get creates it, never overwrites */
        int brc =
            ed_registry_blob_get(ref, ro, sigs[i].payload_digest, file, ED_COSIGN_MAX_PAYLOAD, &e);
        if (!brc && !(payload = ed_file_read(file, ED_COSIGN_MAX_PAYLOAD, &len)))
            brc = ed_err_set(&e, ED_ERROR, "reading the payload: %s", strerror(errno));
        if (!brc) {
            int vrc = ed_source_cosign_verify(payload, len, sigs[i].sig, sigs[i].sig_len, digest,
                                              keys->entries, keys->n, &key, &e);
            if (vrc == 0)
                rc = 0;
            else if (vrc == ED_EINVALID)
                rc = ed_err_set(err, vrc, "%s", e.msg);
        }
        if (rc == ED_EAUTH)
            snprintf(why, why_len, "signature %zu (payload %s): %s", i + 1, sigs[i].payload_digest,
                     e.msg);
        free(payload);
        unlink(file);
        free(file);
    }
    ed_source_cosign_sigs_free(sigs, n);
    return rc;
}

/* Fetch the bundle of one referrer (its manifest, then the bundle layer) and check it: 0 when
 * it verifies, ED_EAUTH with the cause in why otherwise, ED_EINVALID for a bad key. */
static int check_bundle(const ed_image_ref *ref, const ed_registry_opts *ro, const char *referrer,
                        const char *digest, const ed_ctrl_secret *keys, const char *tmpdir,
                        char *why, size_t why_len, ed_err *err)
{
    char got[ED_DIGEST_MAX], layer[80];
    char *manifest = NULL, *bundle = NULL, *file = NULL;
    int64_t size = -1;
    size_t len = 0;
    const char *key = NULL;
    ed_err e = ED_ERR_INIT;
    int rc = ED_EAUTH;
    if (ed_registry_manifest(ref, ro, referrer, &manifest, got, &e) != 0 ||
        ed_source_cosign_bundle_manifest_parse(manifest, strlen(manifest), digest, layer, &size,
                                               &e) != 0)
        goto done;
    file = ed_xasprintf("%s/cosign-bundle-XXXXXX", tmpdir);
    int fd = mkstemp(file);
    if (fd < 0) {
        rc = ed_err_set(err, ED_ERROR, "temporary file in %s: %s", tmpdir, strerror(errno));
        goto done;
    }
    close(fd);
    unlink(file); /* ed_registry_blob_get creates it, never overwrites */
    if (ed_registry_blob_get(ref, ro, layer, file, ED_COSIGN_MAX_BUNDLE, &e) != 0)
        goto done;
    if (!(bundle = ed_file_read(file, ED_COSIGN_MAX_BUNDLE, &len))) {
        ed_err_set(&e, ED_ERROR, "reading the bundle: %s", strerror(errno));
        goto done;
    }
    int vrc = ed_source_cosign_bundle_verify(bundle, len, digest, keys->entries, keys->n, &key, &e);
    if (vrc == 0)
        rc = 0;
    else if (vrc == ED_EINVALID)
        rc = ed_err_set(err, vrc, "%s", e.msg);
done:
    if (rc == ED_EAUTH)
        snprintf(why, why_len, "bundle %s: %s", referrer, e.msg);
    if (file)
        unlink(file);
    free(file);
    free(bundle);
    free(manifest);
    return rc;
}

/* cosign v3's bundles of digest: the referrers API's list when the registry has it, else the
 * index tagged sha256-<hex> (the referrers tag schema an OCI 1.0 registry gets); each bundle
 * checked until one verifies. 0, ED_EAUTH with the cause in why, ED_EINVALID for a bad key. */
static int check_bundles(const ed_image_ref *ref, const ed_registry_opts *ro, const char *digest,
                         const ed_ctrl_secret *keys, const char *tmpdir, char *why, size_t why_len,
                         ed_err *err)
{
    char tag[ED_COSIGN_TAG_MAX], got[ED_DIGEST_MAX];
    char *index = NULL;
    ed_source_cosign_ref *refs = NULL;
    size_t n = 0;
    ed_err e = ED_ERR_INIT, api = ED_ERR_INIT;
    int rc = ED_EAUTH;
    if (ed_registry_referrers(ref, ro, digest, ED_COSIGN_BUNDLE_TYPE, &index, &api) == 0 &&
        ed_source_cosign_referrers_parse(index, strlen(index), &refs, &n, &e) == 0 && n > 0) {
        /* bundles found through the API */
    } else {
        free(index);
        index = NULL;
        free(refs);
        refs = NULL;
        n = 0;
        ed_err_clear(&e);
        if (ed_source_cosign_referrers_tag(digest, tag, &e) != 0 ||
            ed_registry_index(ref, ro, tag, &index, got, &e) != 0 ||
            ed_source_cosign_referrers_parse(index, strlen(index), &refs, &n, &e) != 0) {
            snprintf(why, why_len, "no bundle: referrers tag: %s", e.msg);
            goto done;
        }
        if (n == 0) {
            snprintf(why, why_len, "no bundle among the referrers of %s", digest);
            goto done;
        }
    }
    for (size_t i = 0; i < n && rc == ED_EAUTH; i++)
        rc = check_bundle(ref, ro, refs[i].digest, digest, keys, tmpdir, why, why_len, err);
done:
    free(refs);
    free(index);
    return rc;
}

int ed_ctrl_cosign_verify(ed_kube *kube, const ed_node *obj, const ed_image_ref *ref,
                          const ed_registry_opts *ro, const char *digest, const char *ref_name,
                          const char *tmpdir, char *why, size_t why_len, ed_err *err)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *secret = ed_node_path_str(obj, "/spec/verify/secretRef/name");
    ed_ctrl_secret keys = {0};
    char tag[ED_COSIGN_TAG_MAX], got[ED_DIGEST_MAX];
    char *manifest = NULL, *legacy = NULL, *bundles = NULL;
    size_t npub = 0;
    ed_err e = ED_ERR_INIT;
    why[0] = '\0';
    int rc = ed_ctrl_secret_read(kube, ns, secret ? secret : "", &keys, err);
    if (rc)
        goto done;
    if ((rc = ed_source_cosign_keys_check(keys.entries, keys.n, &npub, err)) != 0)
        goto done;
    if (npub == 0) {
        rc = ed_err_set(err, ED_EINVALID, "no public keys found in secret '%s/%s'", ns, secret);
        goto done;
    }
    if ((rc = ed_source_cosign_tag(digest, tag, err)) != 0)
        goto done;
    /* Whatever goes wrong from here is the registry's answer, untrusted: Flux reports it all as
     * no matching signature, and so does eddy, with the cause kept in why. cosign v2's
     * signature tag first, then cosign v3's bundles: either kind verifies the artifact. */
    legacy = ed_xcalloc(1, why_len);
    bundles = ed_xcalloc(1, why_len);
    if (ed_registry_manifest(ref, ro, tag, &manifest, got, &e) != 0) {
        snprintf(legacy, why_len, "signature tag '%s': %s", tag, e.msg);
        rc = ED_EAUTH;
    } else {
        rc = check_signatures(ref, ro, manifest, digest, &keys, tmpdir, legacy, why_len, err);
    }
    if (rc == ED_EAUTH) {
        rc = check_bundles(ref, ro, digest, &keys, tmpdir, bundles, why_len, err);
        if (rc == ED_EAUTH)
            snprintf(why, why_len, "%s; %s", legacy, bundles);
    }
    if (rc == ED_EAUTH)
        ed_err_set(err, rc, "no matching signatures were found for '%s'", ref_name);
done:
    free(legacy);
    free(bundles);
    free(manifest);
    ed_ctrl_secret_clear(&keys);
    return rc;
}
