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
 * cosign v3 (by default) stores a Sigstore bundle instead, as an OCI 1.1 referrer of the
 * artifact: found through the referrers API or the referrers tag schema (the index tagged
 * `sha256-<hex>`), its manifest's one layer the bundle, whose DSSE envelope carries the signed
 * in-toto statement naming the artifact's digest (details below, with what cosign writes).
 * Flux's source-controller verifies both layouts (fluxcd/source-controller#1961); so does eddy.
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

/* The tag "sha256-<hex><suffix>" of digest's signatures. */
static int digest_tag(const char *digest, const char *suffix, char tag[ED_COSIGN_TAG_MAX],
                      ed_err *err)
{
    if (!ed_sha256_digest_valid(digest))
        return ed_err_set(err, ED_EINVALID, "digest '%s' is not sha256:<64 hex>",
                          digest ? digest : "");
    snprintf(tag, ED_COSIGN_TAG_MAX, "sha256-%s%s", digest + 7, suffix);
    return 0;
}

int ed_source_cosign_tag(const char *digest, char tag[ED_COSIGN_TAG_MAX], ed_err *err)
{
    return digest_tag(digest, ".sig", tag, err);
}

void ed_source_cosign_sigs_free(ed_source_cosign_sig *sigs, size_t n)
{
    for (size_t i = 0; sigs && i < n; i++)
        free(sigs[i].sig);
    free(sigs);
}

/* Parse `what` (a manifest or an index from the registry, at most ED_COSIGN_MAX_MANIFEST bytes)
 * into *d, and find its list under key: with max > 0 the list must be there (else "no <key>")
 * and hold at most max entries; with max 0, *list is NULL when there is none. On an error *d
 * is freed. */
static int parse_listing(const char *what, const char *data, size_t len, const char *key,
                         size_t max, ed_doc **d, const ed_node **list, ed_err *err)
{
    *d = NULL;
    *list = NULL;
    ed_err perr = ED_ERR_INIT;
    if (len > ED_COSIGN_MAX_MANIFEST)
        return ed_err_set(err, ED_ETOOBIG, "%s of %zu bytes (at most %d)", what, len,
                          ED_COSIGN_MAX_MANIFEST);
    if (ed_doc_parse_api_json(data, len, d, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, "%s: %s", what, perr.msg);
    const ed_node *root = ed_doc_root(*d), *l = ed_node_get(root, key);
    int rc = 0;
    if (ed_node_kind_of(root) != ED_NODE_MAP)
        rc = ed_err_set(err, ED_EINVALID, "%s: not a JSON object", what);
    else if (ed_node_kind_of(l) == ED_NODE_SEQ)
        *list = l;
    if (!rc && max > 0 && !*list)
        rc = ed_err_set(err, ED_EINVALID, "%s: no %s", what, key);
    else if (!rc && max > 0 && ed_node_len(l) > max)
        rc =
            ed_err_set(err, ED_ETOOBIG, "%s: %zu %s (at most %zu)", what, ed_node_len(l), key, max);
    if (rc) {
        ed_doc_free(*d);
        *d = NULL;
        *list = NULL;
    }
    return rc;
}

int ed_source_cosign_manifest_parse(const char *manifest, size_t len, ed_source_cosign_sig **out,
                                    size_t *n, ed_err *err)
{
    *out = NULL;
    *n = 0;
    ed_doc *d = NULL;
    const ed_node *layers = NULL;
    int rc = parse_listing("signature manifest", manifest, len, "layers", ED_COSIGN_MAX_SIGNATURES,
                           &d, &layers, err);
    if (rc)
        return rc;
    ed_source_cosign_sig *sigs = ed_xcalloc(ed_node_len(layers) + 1, sizeof(*sigs));
    size_t count = 0;
    for (size_t i = 0; i < ed_node_len(layers); i++) {
        const ed_node *l = ed_node_at(layers, i);
        const char *digest = ed_node_path_str(l, "/digest");
        const char *sig64 =
            ed_node_str(ed_node_get(ed_node_get(l, "annotations"), SIGNATURE_ANNOTATION));
        int64_t size = -1;
        ed_node_int(ed_node_get(l, "size"), &size);
        /* A layer that is no signature (another tool's, or a cosign attachment) is passed
         * over, as cosign passes over what it cannot use. */
        if (!ed_sha256_digest_valid(digest) || !sig64 || !*sig64)
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

/* The `.pub` entry of keys whose key verifies sig over data: 0 and *matched, ED_EAUTH when
 * none does, ED_EINVALID for an entry that is no usable key. */
static int key_verifying(const ed_source_secret_entry *keys, size_t nkeys, const unsigned char *sig,
                         size_t sig_len, const char *data, size_t len, const char **matched,
                         ed_err *err)
{
    *matched = NULL;
    for (size_t i = 0; i < nkeys && !*matched; i++) {
        if (!ed_str_has_suffix(keys[i].key, ".pub"))
            continue;
        char msg[160];
        EVP_PKEY *pkey = load_key(keys[i].value, keys[i].len, msg, sizeof(msg));
        if (!pkey)
            return ed_err_set(err, ED_EINVALID, "public key '%s': %s", keys[i].key, msg);
        if (signature_ok(pkey, sig, sig_len, data, len))
            *matched = keys[i].key;
        EVP_PKEY_free(pkey);
    }
    if (!*matched)
        return ed_err_set(err, ED_EAUTH, "the signature verifies with none of the public keys");
    return 0;
}

int ed_source_cosign_verify(const char *payload, size_t len, const unsigned char *sig,
                            size_t sig_len, const char *digest, const ed_source_secret_entry *keys,
                            size_t nkeys, const char **key_name, ed_err *err)
{
    if (key_name)
        *key_name = NULL;
    const char *matched = NULL;
    int krc = key_verifying(keys, nkeys, sig, sig_len, payload, len, &matched, err);
    if (krc)
        return krc;
    /* Only a payload signed by a trusted key is read: what it names is then the signer's. */
    int rc = ed_source_cosign_payload_check(payload, len, digest, err);
    if (!rc && key_name)
        *key_name = matched;
    return rc;
}

/* ---- cosign v3: Sigstore bundles ----
 *
 * What cosign v3.1.3 writes for `cosign sign --key cosign.key --use-signing-config=false
 * --tlog-upload=false` (its default --new-bundle-format=true), seen against Debian's
 * docker-registry (OCI 1.0: GET /v2/<name>/referrers/<digest> answers 404):
 * - no `sha256-<hex>.sig` tag; an OCI image index tagged `sha256-<hex>` (the referrers tag
 *   schema) listing one manifest per bundle, artifactType
 *   `application/vnd.dev.sigstore.bundle.v0.3+json`. A registry with the referrers API lists
 *   the same descriptors there instead.
 * - that manifest: config `application/vnd.oci.empty.v1+json`, one layer of the bundle's media
 *   type (about 700 bytes), annotations `dev.sigstore.bundle.content: dsse-envelope` and
 *   `dev.sigstore.bundle.predicateType: https://sigstore.dev/cosign/sign/v1`, and `subject`,
 *   the signed artifact's descriptor.
 * - the bundle (JSON): mediaType as above; verificationMaterial holds only `publicKey.hint`
 *   (base64 of the key's SHA-256; no certificate, no tlogEntries at all); `dsseEnvelope` with
 *   payloadType `application/vnd.in-toto+json`, payload the base64 of an in-toto statement
 *   (`_type` https://in-toto.io/Statement/v1, one subject whose digest.sha256 is the artifact's
 *   hex, predicateType https://sigstore.dev/cosign/sign/v1, predicate {}) and one signature:
 *   `sig`, base64 ECDSA (DER, SHA-256) over DSSE's pre-authentication encoding, no keyid.
 * So a bundle verifies, as cosign's own verify --key checks it offline, when a key verifies
 * the envelope's signature and the signed statement names the artifact's digest; the subject
 * of the manifest and the hint are unsigned and only help to skip what cannot match. A
 * messageSignature bundle (cosign sign-blob's) signs a blob, not a manifest: refused.
 */

/* Is type a Sigstore bundle's media type ("application/vnd.dev.sigstore.bundle[.v0.N]+json")? */
static bool bundle_type(const char *type)
{
    return type && ed_str_has_prefix(type, "application/vnd.dev.sigstore.bundle") &&
           ed_str_has_suffix(type, "+json");
}

int ed_source_cosign_referrers_tag(const char *digest, char tag[ED_COSIGN_TAG_MAX], ed_err *err)
{
    return digest_tag(digest, "", tag, err);
}

int ed_source_cosign_referrers_parse(const char *index, size_t len, ed_source_cosign_ref **refs,
                                     size_t *n, ed_err *err)
{
    *refs = NULL;
    *n = 0;
    ed_doc *d = NULL;
    const ed_node *list = NULL;
    int rc = parse_listing("referrers index", index, len, "manifests", ED_COSIGN_MAX_REFERRERS, &d,
                           &list, err);
    if (rc)
        return rc;
    ed_source_cosign_ref *out = ed_xcalloc(1, sizeof(*out));
    size_t count = 0;
    for (size_t i = 0; i < ed_node_len(list); i++) {
        const ed_node *m = ed_node_at(list, i);
        const char *digest = ed_node_str(ed_node_get(m, "digest"));
        /* Signatures of other kinds (notation's), SBOMs and the like are passed over. */
        if (!bundle_type(ed_node_str(ed_node_get(m, "artifactType"))) ||
            !ed_sha256_digest_valid(digest))
            continue;
        if (count >= ED_COSIGN_MAX_BUNDLES) {
            rc = ed_err_set(err, ED_ETOOBIG, "referrers index: more than %d bundles",
                            ED_COSIGN_MAX_BUNDLES);
            goto done;
        }
        out = ed_xrealloc(out, (count + 1) * sizeof(*out));
        snprintf(out[count++].digest, sizeof(out->digest), "%s", digest);
    }
done:
    ed_doc_free(d);
    if (rc) {
        free(out);
        return rc;
    }
    *refs = out;
    *n = count;
    return 0;
}

int ed_source_cosign_bundle_manifest_parse(const char *manifest, size_t len, const char *digest,
                                           char layer[80], int64_t *size, ed_err *err)
{
    layer[0] = '\0';
    *size = -1;
    ed_doc *d = NULL;
    const ed_node *layers = NULL;
    int prc = parse_listing("bundle manifest", manifest, len, "layers", 0, &d, &layers, err);
    if (prc)
        return prc;
    const ed_node *root = ed_doc_root(d);
    const char *subject = ed_node_path_str(root, "/subject/digest");
    int rc = ED_ENOTFOUND;
    /* The subject is no proof (the signed statement is), but one naming another manifest is a
     * bundle of something else, refused before its blob is fetched. */
    if (subject && (!digest || strcmp(subject, digest) != 0)) {
        rc = ed_err_set(err, ED_EAUTH, "bundle manifest's subject is '%.80s', not '%s'", subject,
                        digest ? digest : "");
        goto done;
    }
    for (size_t i = 0; i < ed_node_len(layers) && i < ED_COSIGN_MAX_SIGNATURES; i++) {
        const ed_node *l = ed_node_at(layers, i);
        const char *ld = ed_node_str(ed_node_get(l, "digest"));
        int64_t sz = -1;
        if (!bundle_type(ed_node_str(ed_node_get(l, "mediaType"))) || !ed_sha256_digest_valid(ld) ||
            !ed_node_int(ed_node_get(l, "size"), &sz) || sz < 0)
            continue;
        if (sz > ED_COSIGN_MAX_BUNDLE) {
            rc = ed_err_set(err, ED_ETOOBIG, "bundle of %lld bytes (at most %d)", (long long)sz,
                            ED_COSIGN_MAX_BUNDLE);
            goto done;
        }
        snprintf(layer, 80, "%s", ld);
        *size = sz;
        rc = 0;
        break;
    }
    if (rc == ED_ENOTFOUND)
        ed_err_set(err, rc, "bundle manifest: no layer of type %s", ED_COSIGN_BUNDLE_TYPE);
done:
    ed_doc_free(d);
    return rc;
}

/* Check the in-toto statement a trusted key signed: cosign sign's predicate, and a subject
 * whose sha256 is the artifact's digest. */
static int statement_check(const char *payload, size_t len, const char *digest, ed_err *err)
{
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(payload, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EAUTH, "the bundle's statement is not JSON: %s", perr.msg);
    const ed_node *root = ed_doc_root(d);
    const char *type = ed_node_str(ed_node_get(root, "_type"));
    const char *predicate = ed_node_str(ed_node_get(root, "predicateType"));
    const ed_node *subjects = ed_node_get(root, "subject");
    const char *first = NULL;
    int rc = 0;
    if (!type || !ed_str_has_prefix(type, "https://in-toto.io/Statement/")) {
        rc = ed_err_set(err, ED_EAUTH, "the bundle's payload is no in-toto statement");
        goto done;
    }
    if (!predicate || strcmp(predicate, ED_COSIGN_SIGN_PREDICATE) != 0) {
        /* An attestation (an SBOM, provenance) by the same key is no signature of the image. */
        rc = ed_err_set(err, ED_EAUTH, "the bundle's predicate is '%.120s', not '%s'",
                        predicate ? predicate : "", ED_COSIGN_SIGN_PREDICATE);
        goto done;
    }
    for (size_t i = 0; i < ed_node_len(subjects); i++) {
        const char *hex = ed_node_path_str(ed_node_at(subjects, i), "/digest/sha256");
        if (!hex)
            continue;
        if (!first)
            first = hex;
        if (strcmp(hex, digest + 7) == 0)
            goto done;
    }
    rc = ed_err_set(err, ED_EAUTH, "the bundle signs 'sha256:%.64s', not '%s'", first ? first : "",
                    digest);
done:
    ed_doc_free(d);
    return rc;
}

int ed_source_cosign_bundle_verify(const char *bundle, size_t len, const char *digest,
                                   const ed_source_secret_entry *keys, size_t nkeys,
                                   const char **key_name, ed_err *err)
{
    if (key_name)
        *key_name = NULL;
    if (!ed_sha256_digest_valid(digest))
        return ed_err_set(err, ED_EAUTH, "digest '%s' is not sha256:<64 hex>",
                          digest ? digest : "");
    if (len > ED_COSIGN_MAX_BUNDLE)
        return ed_err_set(err, ED_EAUTH, "bundle of %zu bytes (at most %d)", len,
                          ED_COSIGN_MAX_BUNDLE);
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(bundle, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EAUTH, "bundle is not JSON: %s", perr.msg);
    const ed_node *root = ed_doc_root(d);
    const ed_node *env = ed_node_get(root, "dsseEnvelope");
    const char *type = ed_node_str(ed_node_get(env, "payloadType"));
    const char *payload64 = ed_node_str(ed_node_get(env, "payload"));
    const ed_node *sigs = ed_node_get(env, "signatures");
    unsigned char *payload = NULL;
    size_t payload_len = 0;
    ed_buf pae = ED_BUF_INIT((size_t)ED_COSIGN_MAX_PAYLOAD + 512);
    const char *matched = NULL;
    int rc = 0;
    if (!bundle_type(ed_node_str(ed_node_get(root, "mediaType")))) {
        rc = ed_err_set(err, ED_EAUTH, "not a Sigstore bundle (mediaType)");
        goto done;
    }
    if (!env) {
        /* cosign sign writes a DSSE envelope; a message signature signs a blob's bytes, which
         * binds no image manifest. */
        rc = ed_err_set(err, ED_EAUTH, "the bundle has no dsseEnvelope");
        goto done;
    }
    if (!type || !payload64 || strlen(payload64) > (size_t)ED_COSIGN_MAX_PAYLOAD / 3 * 4 + 4 ||
        !(payload = ed_base64_decode(payload64, strlen(payload64), 0, &payload_len)) ||
        payload_len > ED_COSIGN_MAX_PAYLOAD || strlen(type) > 256) {
        rc = ed_err_set(err, ED_EAUTH, "the bundle's DSSE envelope is malformed");
        goto done;
    }
    /* DSSE signs the pre-authentication encoding, never the payload alone: "DSSEv1" SP
     * LEN(type) SP type SP LEN(body) SP body. */
    if (ed_buf_printf(&pae, "DSSEv1 %zu %s %zu ", strlen(type), type, payload_len) != 0 ||
        ed_buf_append(&pae, payload, payload_len) != 0) {
        rc = ed_err_set(err, ED_EAUTH, "the bundle's DSSE envelope is too big");
        goto done;
    }
    rc = ed_err_set(err, ED_EAUTH, "the bundle has no signature");
    for (size_t i = 0; i < ed_node_len(sigs) && i < ED_COSIGN_MAX_SIGNATURES && !matched; i++) {
        const char *sig64 = ed_node_str(ed_node_get(ed_node_at(sigs, i), "sig"));
        size_t sig_len = 0;
        unsigned char *sig = NULL;
        if (!sig64 || strlen(sig64) > ED_COSIGN_MAX_SIG * 2 ||
            !(sig = ed_base64_decode(sig64, strlen(sig64), 0, &sig_len)) || sig_len == 0 ||
            sig_len > ED_COSIGN_MAX_SIG) {
            free(sig);
            continue;
        }
        ed_err_clear(err);
        rc = key_verifying(keys, nkeys, sig, sig_len, pae.data, pae.len, &matched, err);
        free(sig);
        if (rc == ED_EINVALID)
            goto done;
    }
    if (!matched)
        goto done;
    /* Only a statement signed by a trusted key is read: what it names is then the signer's. */
    rc = statement_check((const char *)payload, payload_len, digest, err);
    if (!rc && key_name)
        *key_name = matched;
done:
    ed_buf_free(&pae);
    free(payload);
    ed_doc_free(d);
    return rc;
}
