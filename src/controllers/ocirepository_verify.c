/*
 * OCIRepository `spec.verify` with provider cosign and spec.verify.secretRef, as Flux's
 * source-controller verifies an artifact before pulling it: the Secret's `.pub` entries are
 * the trusted public keys (none is an error: "no public keys found in secret '<ns>/<name>'");
 * the signature manifest tagged `sha256-<hex>.sig` beside the artifact is read, each
 * signature's payload downloaded (digest checked, size capped) and checked with each key
 * (source/cosign.c). One signature that verifies and names the artifact's digest is enough;
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

int ed_ctrl_cosign_verify(ed_kube *kube, const ed_node *obj, const ed_image_ref *ref,
                          const ed_registry_opts *ro, const char *digest, const char *ref_name,
                          const char *tmpdir, char *why, size_t why_len, ed_err *err)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *secret = ed_node_path_str(obj, "/spec/verify/secretRef/name");
    ed_ctrl_secret keys = {0};
    char tag[ED_COSIGN_TAG_MAX], got[ED_DIGEST_MAX];
    char *manifest = NULL;
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
     * no matching signature, and so does eddy, with the cause kept in why. */
    if (ed_registry_manifest(ref, ro, tag, &manifest, got, &e) != 0) {
        snprintf(why, why_len, "signature tag '%s': %s", tag, e.msg);
        rc = ED_EAUTH;
    } else {
        rc = check_signatures(ref, ro, manifest, digest, &keys, tmpdir, why, why_len, err);
    }
    if (rc == ED_EAUTH)
        ed_err_set(err, rc, "no matching signatures were found for '%s'", ref_name);
done:
    free(manifest);
    ed_ctrl_secret_clear(&keys);
    return rc;
}
