/*
 * libFuzzer target for cosign signatures of OCI artifacts (the signature manifest, the
 * simple-signing payload and the signature come from the registry: untrusted; so do cosign v3's
 * referrers index, bundle manifest and Sigstore bundle). The input is split at 0xff bytes into a
 * signature manifest, a payload, a signature, a referrers index, a bundle manifest and a
 * bundle; the manifests and the index are parsed, the payload's digest checked, the signature
 * and the bundle verified against a key made at start (an ECDSA P-256 key, as `cosign
 * generate-key-pair` makes). Nothing may crash or leak, the parsers' results must be within
 * their caps, and a signature or bundle made by no key here can never verify.
 */
#include "source/source.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *pem;

static void key_init(void)
{
    if (pem)
        return;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *b = BIO_new(BIO_s_mem());
    if (!k || !b || PEM_write_bio_PUBKEY(b, k) != 1)
        abort();
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    pem = ed_xasprintf("%.*s", (int)n, p);
    BIO_free(b);
    EVP_PKEY_free(k);
}

/* The next part of the input, up to a 0xff byte or the end. */
static const uint8_t *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
    const uint8_t *start = *p;
    const uint8_t *sep = start < end ? memchr(start, 0xff, (size_t)(end - start)) : NULL;
    const uint8_t *stop = sep ? sep : end;
    *len = (size_t)(stop - start);
    *p = sep ? sep + 1 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    key_init();
    const uint8_t *p = data, *end = data + size;
    size_t mlen, plen, slen;
    const uint8_t *m = part(&p, end, &mlen);
    const uint8_t *pl = part(&p, end, &plen);
    const uint8_t *sig = part(&p, end, &slen);
    char *manifest = ed_xmalloc(mlen + 1);
    memcpy(manifest, m, mlen);
    manifest[mlen] = '\0';
    ed_source_cosign_sig *sigs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_source_cosign_manifest_parse(manifest, mlen, &sigs, &n, &err) == 0) {
        if (n == 0 || n > ED_COSIGN_MAX_SIGNATURES)
            abort();
        for (size_t i = 0; i < n; i++)
            if (!ed_sha256_digest_valid(sigs[i].payload_digest) || sigs[i].sig_len == 0 ||
                sigs[i].sig_len > ED_COSIGN_MAX_SIG || sigs[i].payload_size > ED_COSIGN_MAX_PAYLOAD)
                abort();
    }
    ed_source_cosign_sigs_free(sigs, n);
    ed_source_cosign_payload_check((const char *)pl, plen, DIGEST, &err);
    ed_source_secret_entry keys[] = {{"cosign.pub", pem, strlen(pem)}};
    /* The key's private half is gone: no input can carry a signature that verifies. */
    if (ed_source_cosign_verify((const char *)pl, plen, sig, slen, DIGEST, keys, 1, NULL, &err) !=
        ED_EAUTH)
        abort();
    free(manifest);

    size_t ilen, bmlen, blen;
    const uint8_t *ip = part(&p, end, &ilen);
    const uint8_t *bmp = part(&p, end, &bmlen);
    const uint8_t *bp = part(&p, end, &blen);
    char *index = ed_xmalloc(ilen + 1);
    memcpy(index, ip, ilen);
    index[ilen] = '\0';
    ed_source_cosign_ref *refs = NULL;
    size_t nrefs = 0;
    if (ed_source_cosign_referrers_parse(index, ilen, &refs, &nrefs, &err) == 0) {
        if (nrefs > ED_COSIGN_MAX_BUNDLES)
            abort();
        for (size_t i = 0; i < nrefs; i++)
            if (!ed_sha256_digest_valid(refs[i].digest))
                abort();
    }
    free(refs);
    free(index);
    char *bman = ed_xmalloc(bmlen + 1);
    memcpy(bman, bmp, bmlen);
    bman[bmlen] = '\0';
    char layer[80];
    int64_t lsize = -1;
    if (ed_source_cosign_bundle_manifest_parse(bman, bmlen, DIGEST, layer, &lsize, &err) == 0 &&
        (!ed_sha256_digest_valid(layer) || lsize < 0 || lsize > ED_COSIGN_MAX_BUNDLE))
        abort();
    free(bman);
    if (ed_source_cosign_bundle_verify((const char *)bp, blen, DIGEST, keys, 1, NULL, &err) !=
        ED_EAUTH)
        abort();
    return 0;
}
