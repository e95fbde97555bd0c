/*
 * cosign signatures of OCI artifacts, for OCIRepository `spec.verify` with provider cosign and
 * public keys (the `.pub` entries of spec.verify.secretRef), as Flux's source-controller checks
 * them: offline, without the transparency log (Flux's verifier sets cosign's Offline and
 * IgnoreTlog for a public key).
 *
 * cosign stores the signatures of the manifest sha256:<hex> as an OCI image manifest tagged
 * `sha256-<hex>.sig` in the artifact's repository. Each of its layers is one signature: the
 * layer's blob is the simple-signing payload (JSON; `critical.image.docker-manifest-digest`
 * names the signed manifest) and the layer's annotation `dev.cosignproject.cosign/signature`
 * is the base64 signature over the payload's bytes. A signature counts when it verifies with
 * one of the keys and its payload names the artifact's digest. Keys are PEM public keys, as
 * `cosign generate-key-pair` writes them, checked as Flux's verifier loads them (with SHA-256):
 * ECDSA (DER signatures over SHA-256 of the payload), RSA (PKCS #1 v1.5, SHA-256) and pure
 * Ed25519 (cosign 2.6 signs with Ed25519ph, which Flux's verifier refuses: so does eddy).
 *
 * Everything here comes from the registry, so it is untrusted: the number of signatures, the
 * size of a payload and of a signature are capped, and a malformed one is refused, never
 * trusted.
 */
#include "source.h"

#include "../doc/doc.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"

bool ed_source_cosign_digest_valid(const char *digest)
{
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
        return false;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int ed_source_cosign_tag(const char *digest, char tag[ED_COSIGN_TAG_MAX], ed_err *err)
{
    if (!ed_source_cosign_digest_valid(digest))
        return ed_err_set(err, ED_EINVALID, "digest '%s' is not sha256:<64 hex>",
                          digest ? digest : "");
    snprintf(tag, ED_COSIGN_TAG_MAX, "sha256-%s.sig", digest + 7);
    return 0;
}

void ed_source_cosign_sigs_free(ed_source_cosign_sig *sigs, size_t n)
{
    for (size_t i = 0; sigs && i < n; i++)
        free(sigs[i].sig);
    free(sigs);
}

int ed_source_cosign_manifest_parse(const char *manifest, size_t len, ed_source_cosign_sig **out,
                                    size_t *n, ed_err *err)
{
    *out = NULL;
    *n = 0;
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (len > ED_COSIGN_MAX_MANIFEST)
        return ed_err_set(err, ED_ETOOBIG, "signature manifest of %zu bytes (at most %d)", len,
                          ED_COSIGN_MAX_MANIFEST);
    if (ed_doc_parse_api_json(manifest, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, "signature manifest: %s", perr.msg);
    const ed_node *root = ed_doc_root(d);
    const ed_node *layers = ed_node_get(root, "layers");
    int rc = 0;
    ed_source_cosign_sig *sigs = NULL;
    size_t count = 0;
    if (ed_node_kind_of(root) != ED_NODE_MAP || ed_node_kind_of(layers) != ED_NODE_SEQ) {
        rc = ed_err_set(err, ED_EINVALID, "signature manifest: no layers");
        goto done;
    }
    if (ed_node_len(layers) > ED_COSIGN_MAX_SIGNATURES) {
        rc = ed_err_set(err, ED_ETOOBIG, "signature manifest: %zu layers (at most %d)",
                        ed_node_len(layers), ED_COSIGN_MAX_SIGNATURES);
        goto done;
    }
    sigs = ed_xcalloc(ed_node_len(layers) + 1, sizeof(*sigs));
    for (size_t i = 0; i < ed_node_len(layers); i++) {
        const ed_node *l = ed_node_at(layers, i);
        const char *digest = ed_node_path_str(l, "/digest");
        const char *sig64 =
            ed_node_str(ed_node_get(ed_node_get(l, "annotations"), SIGNATURE_ANNOTATION));
        int64_t size = -1;
        ed_node_int(ed_node_get(l, "size"), &size);
        /* A layer that is no signature (another tool's, or a cosign attachment) is passed
         * over, as cosign passes over what it cannot use. */
        if (!ed_source_cosign_digest_valid(digest) || !sig64 || !*sig64)
            continue;
        if (size < 0 || size > ED_COSIGN_MAX_PAYLOAD || strlen(sig64) > ED_COSIGN_MAX_SIG * 2)
            continue;
        size_t sig_len = 0;
        unsigned char *sig = ed_base64_decode(sig64, strlen(sig64), 0, &sig_len);
        if (!sig || sig_len == 0 || sig_len > ED_COSIGN_MAX_SIG) {
            free(sig);
            continue;
        }
        ed_source_cosign_sig *s = &sigs[count++];
        snprintf(s->payload_digest, sizeof(s->payload_digest), "%s", digest);
        s->payload_size = size;
        s->sig = sig;
        s->sig_len = sig_len;
    }
    if (count == 0)
        rc = ed_err_set(err, ED_ENOTFOUND, "signature manifest: no cosign signature in %zu layers",
                        ed_node_len(layers));
done:
    ed_doc_free(d);
    if (rc) {
        ed_source_cosign_sigs_free(sigs, count);
        return rc;
    }
    *out = sigs;
    *n = count;
    return 0;
}

/* The PEM public key in data (not NUL-terminated), as Flux loads it: "PUBLIC KEY" (PKIX) or
 * "RSA PUBLIC KEY" (PKCS #1); ECDSA, RSA or Ed25519. NULL with a message otherwise. */
static EVP_PKEY *load_key(const char *data, size_t len, char *msg, size_t msglen)
{
    BIO *bio = BIO_new_mem_buf(data, len > INT32_MAX ? INT32_MAX : (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    EVP_PKEY *pkey = NULL;
    if (!bio || PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
        snprintf(msg, msglen, "PEM decoding failed");
        goto done;
    }
    const unsigned char *p = der;
    if (strcmp(name, "PUBLIC KEY") == 0) {
        pkey = d2i_PUBKEY(NULL, &p, der_len);
    } else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
        pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, der_len);
    } else {
        snprintf(msg, msglen, "unknown public key PEM type '%.64s'", name);
        goto done;
    }
    if (!pkey) {
        snprintf(msg, msglen, "malformed %s", name);
        goto done;
    }
    int id = EVP_PKEY_get_base_id(pkey);
    if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
        snprintf(msg, msglen, "unsupported public key type (ECDSA, RSA and Ed25519 are)");
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
done:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    return pkey;
}

int ed_source_cosign_keys_check(const ed_source_secret_entry *keys, size_t nkeys, size_t *npub,
                                ed_err *err)
{
    *npub = 0;
    for (size_t i = 0; i < nkeys; i++) {
        if (!ed_str_has_suffix(keys[i].key, ".pub"))
            continue;
        char msg[160];
        EVP_PKEY *pkey = load_key(keys[i].value, keys[i].len, msg, sizeof(msg));
        if (!pkey)
            return ed_err_set(err, ED_EINVALID, "public key '%s': %s", keys[i].key, msg);
        EVP_PKEY_free(pkey);
        (*npub)++;
    }
    return 0;
}

/* Does sig verify over data with pkey, as Flux's verifier checks it (SHA-256; Ed25519 pure)? */
static bool signature_ok(EVP_PKEY *pkey, const unsigned char *sig, size_t sig_len, const char *data,
                         size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int ed_source_cosign_payload_check(const char *payload, size_t len, const char *digest, ed_err *err)
{
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (len > ED_COSIGN_MAX_PAYLOAD)
        return ed_err_set(err, ED_EAUTH, "payload of %zu bytes (at most %d)", len,
                          ED_COSIGN_MAX_PAYLOAD);
    if (ed_doc_parse_api_json(payload, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EAUTH, "payload is not JSON: %s", perr.msg);
    const char *named = ed_node_path_str(ed_doc_root(d), "/critical/image/docker-manifest-digest");
    int rc = 0;
    if (!named)
        rc = ed_err_set(err, ED_EAUTH, "payload has no critical.image.docker-manifest-digest");
    else if (!digest || strcmp(named, digest) != 0)
        rc = ed_err_set(err, ED_EAUTH, "payload signs '%.80s', not '%s'", named,
                        digest ? digest : "");
    ed_doc_free(d);
    return rc;
}

int ed_source_cosign_verify(const char *payload, size_t len, const unsigned char *sig,
                            size_t sig_len, const char *digest, const ed_source_secret_entry *keys,
                            size_t nkeys, const char **key_name, ed_err *err)
{
    if (key_name)
        *key_name = NULL;
    const char *matched = NULL;
    for (size_t i = 0; i < nkeys && !matched; i++) {
        if (!ed_str_has_suffix(keys[i].key, ".pub"))
            continue;
        char msg[160];
        EVP_PKEY *pkey = load_key(keys[i].value, keys[i].len, msg, sizeof(msg));
        if (!pkey)
            return ed_err_set(err, ED_EINVALID, "public key '%s': %s", keys[i].key, msg);
        if (signature_ok(pkey, sig, sig_len, payload, len))
            matched = keys[i].key;
        EVP_PKEY_free(pkey);
    }
    if (!matched)
        return ed_err_set(err, ED_EAUTH, "the signature verifies with none of the public keys");
    /* Only a payload signed by a trusted key is read: what it names is then the signer's. */
    int rc = ed_source_cosign_payload_check(payload, len, digest, err);
    if (!rc && key_name)
        *key_name = matched;
    return rc;
}
