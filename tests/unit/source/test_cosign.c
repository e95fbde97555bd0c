/*
 * cosign signatures (source/cosign.c): the signature tag, the signature manifest's parser
 * (registry bytes: untrusted), and the check of a signature over a simple-signing payload with
 * the key types `cosign generate-key-pair` writes and Flux loads. Keys and signatures are made
 * here with OpenSSL; the e2e test ocirepository_verify_test.sh checks real cosign's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "source/source.h"
#include "source_tests.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST2 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static const char payload[] =
    "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/app\"},\"image\":{"
    "\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":\"cosign container image signature\"},"
    "\"optional\":null}";

/* A new key: "EC" with a curve, "RSA" with bits, or "ED25519". */
static EVP_PKEY *keygen(const char *type, const char *curve, size_t bits)
{
    EVP_PKEY *k = curve  ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve)
                  : bits ? EVP_PKEY_Q_keygen(NULL, NULL, type, bits)
                         : EVP_PKEY_Q_keygen(NULL, NULL, type);
    assert_non_null(k);
    return k;
}

/* The public key as PEM "PUBLIC KEY", a new string. */
static char *pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *out = ed_xasprintf("%.*s", (int)n, p);
    BIO_free(b);
    return out;
}

/* A signature over data as cosign makes it (SHA-256; Ed25519 pure): new bytes in *len. */
static unsigned char *sign(EVP_PKEY *k, const char *data, size_t *len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(ctx, NULL, len, (const unsigned char *)data, strlen(data)), 1);
    unsigned char *sig = ed_xmalloc(*len);
    assert_int_equal(EVP_DigestSign(ctx, sig, len, (const unsigned char *)data, strlen(data)), 1);
    EVP_MD_CTX_free(ctx);
    return sig;
}

static void test_cosign_tag(void **state)
{
    (void)state;
    char tag[ED_COSIGN_TAG_MAX];
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cosign_tag(DIGEST, tag, &err), 0);
    assert_string_equal(
        tag, "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig");
    assert_int_equal(ed_source_cosign_tag("sha256:ABC", tag, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_tag("sha512:" DIGEST, tag, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_tag(DIGEST "0", tag, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_tag(NULL, tag, &err), ED_EINVALID);
}

static void test_cosign_manifest(void **state)
{
    (void)state;
    ed_source_cosign_sig *sigs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    /* Two signatures, and layers that are none: no annotation, a bad digest, a size past
     * the cap, a signature that is not base64. */
    const char *m =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"layers\":["
        "{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":10,"
        "\"digest\":\"" DIGEST "\",\"annotations\":{\"dev.cosignproject.cosign/signature\":"
        "\"AQID\"}},"
        "{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" DIGEST "\"},"
        "{\"size\":1,\"digest\":\"sha256:zz\",\"annotations\":{"
        "\"dev.cosignproject.cosign/signature\":\"AQID\"}},"
        "{\"size\":99999999,\"digest\":\"" DIGEST "\",\"annotations\":{"
        "\"dev.cosignproject.cosign/signature\":\"AQID\"}},"
        "{\"size\":1,\"digest\":\"" DIGEST "\",\"annotations\":{"
        "\"dev.cosignproject.cosign/signature\":\"!!!!\"}},"
        "{\"size\":3,\"digest\":\"" DIGEST2 "\",\"annotations\":{"
        "\"dev.cosignproject.cosign/signature\":\"BAUG\"}}]}";
    assert_int_equal(ed_source_cosign_manifest_parse(m, strlen(m), &sigs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(sigs[0].payload_digest, DIGEST);
    assert_int_equal(sigs[0].payload_size, 10);
    assert_int_equal(sigs[0].sig_len, 3);
    assert_int_equal(sigs[0].sig[2], 3);
    assert_string_equal(sigs[1].payload_digest, DIGEST2);
    assert_int_equal(sigs[1].sig[0], 4);
    ed_source_cosign_sigs_free(sigs, n);

    const char *none = "{\"layers\":[{\"size\":1,\"digest\":\"" DIGEST "\"}]}";
    assert_int_equal(ed_source_cosign_manifest_parse(none, strlen(none), &sigs, &n, &err),
                     ED_ENOTFOUND);
    assert_null(sigs);
    assert_int_equal(ed_source_cosign_manifest_parse("{", 1, &sigs, &n, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_manifest_parse("[]", 2, &sigs, &n, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_manifest_parse("{\"layers\":{}}", 13, &sigs, &n, &err),
                     ED_EINVALID);

    /* More layers than the cap. */
    ed_buf b = ED_BUF_INIT(1 << 20);
    ed_buf_append_str(&b, "{\"layers\":[");
    for (int i = 0; i <= ED_COSIGN_MAX_SIGNATURES; i++)
        ed_buf_append_str(&b, i ? ",{}" : "{}");
    ed_buf_append_str(&b, "]}");
    assert_int_equal(ed_source_cosign_manifest_parse(b.data, b.len, &sigs, &n, &err), ED_ETOOBIG);
    ed_buf_free(&b);
}

/* A signature by each key type verifies with its key, names that key, and not with another. */
static void test_cosign_verify_key_types(void **state)
{
    (void)state;
    EVP_PKEY *keys[] = {keygen("EC", "P-256", 0), keygen("EC", "P-384", 0),
                        keygen("EC", "P-521", 0), keygen("RSA", NULL, 2048),
                        keygen("ED25519", NULL, 0)};
    size_t nk = sizeof(keys) / sizeof(keys[0]);
    char *pems[5];
    for (size_t i = 0; i < nk; i++)
        pems[i] = pub_pem(keys[i]);
    for (size_t i = 0; i < nk; i++) {
        size_t sig_len = 0;
        unsigned char *sig = sign(keys[i], payload, &sig_len);
        ed_source_secret_entry own[] = {{"other.txt", "x", 1},
                                        {"cosign.pub", pems[i], strlen(pems[i])}};
        ed_source_secret_entry other[] = {
            {"other.pub", pems[(i + 1) % nk], strlen(pems[(i + 1) % nk])}};
        const char *name = NULL;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_source_cosign_verify(payload, strlen(payload), sig, sig_len, DIGEST,
                                                 own, 2, &name, &err),
                         0);
        assert_string_equal(name, "cosign.pub");
        assert_int_equal(ed_source_cosign_verify(payload, strlen(payload), sig, sig_len, DIGEST,
                                                 other, 1, &name, &err),
                         ED_EAUTH);
        assert_null(name);
        /* The signed payload names another digest: refused. */
        assert_int_equal(ed_source_cosign_verify(payload, strlen(payload), sig, sig_len, DIGEST2,
                                                 own, 2, &name, &err),
                         ED_EAUTH);
        assert_non_null(strstr(err.msg, "not '" DIGEST2 "'"));
        /* One byte of the payload changed: the signature no longer holds. */
        char *tampered = ed_xstrdup(payload);
        tampered[strlen(tampered) - 3] = 'X';
        assert_int_equal(ed_source_cosign_verify(tampered, strlen(tampered), sig, sig_len, DIGEST,
                                                 own, 2, &name, &err),
                         ED_EAUTH);
        free(tampered);
        free(sig);
    }
    for (size_t i = 0; i < nk; i++) {
        free(pems[i]);
        EVP_PKEY_free(keys[i]);
    }
}

static void test_cosign_keys(void **state)
{
    (void)state;
    EVP_PKEY *k = keygen("EC", "P-256", 0);
    char *pem = pub_pem(k);
    size_t npub = 9;
    ed_err err = ED_ERR_INIT;
    ed_source_secret_entry none[] = {{"cosign.key", "secret", 6}, {"readme", "x", 1}};
    assert_int_equal(ed_source_cosign_keys_check(none, 2, &npub, &err), 0);
    assert_int_equal(npub, 0);
    ed_source_secret_entry good[] = {{"a.pub", pem, strlen(pem)}, {"b.pub", pem, strlen(pem)}};
    assert_int_equal(ed_source_cosign_keys_check(good, 2, &npub, &err), 0);
    assert_int_equal(npub, 2);
    ed_source_secret_entry bad[] = {{"a.pub", pem, strlen(pem)}, {"bad.pub", "garbage", 7}};
    assert_int_equal(ed_source_cosign_keys_check(bad, 2, &npub, &err), ED_EINVALID);
    assert_string_equal(err.msg, "public key 'bad.pub': PEM decoding failed");
    const char *cert = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
    ed_source_secret_entry other[] = {{"c.pub", cert, strlen(cert)}};
    assert_int_equal(ed_source_cosign_keys_check(other, 1, &npub, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "'c.pub'"));
    assert_non_null(strstr(err.msg, "CERTIFICATE"));
    /* A signature check with a bad key among the keys names it, as Flux fails on it. */
    unsigned char sig[8] = {0};
    assert_int_equal(ed_source_cosign_verify(payload, strlen(payload), sig, sizeof(sig), DIGEST,
                                             bad + 1, 1, NULL, &err),
                     ED_EINVALID);
    free(pem);
    EVP_PKEY_free(k);
}

static void test_cosign_payload(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cosign_payload_check(payload, strlen(payload), DIGEST, &err), 0);
    assert_int_equal(ed_source_cosign_payload_check(payload, strlen(payload), DIGEST2, &err),
                     ED_EAUTH);
    assert_int_equal(ed_source_cosign_payload_check("{}", 2, DIGEST, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "critical.image.docker-manifest-digest"));
    assert_int_equal(ed_source_cosign_payload_check("not json", 8, DIGEST, &err), ED_EAUTH);
    const char *num = "{\"critical\":{\"image\":{\"docker-manifest-digest\":1}}}";
    assert_int_equal(ed_source_cosign_payload_check(num, strlen(num), DIGEST, &err), ED_EAUTH);
    size_t big = (size_t)ED_COSIGN_MAX_PAYLOAD + 1;
    char *huge = ed_xmalloc(big);
    memset(huge, ' ', big);
    assert_int_equal(ed_source_cosign_payload_check(huge, big, DIGEST, &err), ED_EAUTH);
    free(huge);
}

/* ---- cosign v3 bundles ---- */

#define BUNDLE_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"
#define HEX1        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cosign_referrers_tag(void **state)
{
    (void)state;
    char tag[ED_COSIGN_TAG_MAX];
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cosign_referrers_tag(DIGEST, tag, &err), 0);
    assert_string_equal(tag, "sha256-" HEX1);
    assert_int_equal(ed_source_cosign_referrers_tag("sha256:ABC", tag, &err), ED_EINVALID);
    assert_int_equal(ed_source_cosign_referrers_tag(NULL, tag, &err), ED_EINVALID);
}

static void test_cosign_referrers_parse(void **state)
{
    (void)state;
    ed_source_cosign_ref *refs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    /* As cosign v3 tags it (and a referrers API answers): bundles among other referrers. */
    const char *index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
        "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":877,"
        "\"digest\":\"" DIGEST "\",\"artifactType\":\"" BUNDLE_TYPE "\"},"
        "{\"digest\":\"" DIGEST2 "\",\"artifactType\":\"application/spdx+json\"},"
        "{\"digest\":\"sha256:nothex\",\"artifactType\":\"" BUNDLE_TYPE "\"},"
        "{\"digest\":\"" DIGEST2 "\"},"
        "{\"digest\":\"" DIGEST2 "\",\"artifactType\":\"" BUNDLE_TYPE "\"}]}";
    assert_int_equal(ed_source_cosign_referrers_parse(index, strlen(index), &refs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(refs[0].digest, DIGEST);
    assert_string_equal(refs[1].digest, DIGEST2);
    free(refs);
    const char *none = "{\"manifests\":[]}";
    assert_int_equal(ed_source_cosign_referrers_parse(none, strlen(none), &refs, &n, &err), 0);
    assert_int_equal(n, 0);
    free(refs);
    assert_int_equal(ed_source_cosign_referrers_parse("{}", 2, &refs, &n, &err), ED_EINVALID);
    assert_null(refs);
    assert_int_equal(ed_source_cosign_referrers_parse("[1", 2, &refs, &n, &err), ED_EINVALID);
    /* More bundles than the cap. */
    ed_buf b = ED_BUF_INIT(1 << 20);
    ed_buf_append_str(&b, "{\"manifests\":[");
    for (int i = 0; i <= ED_COSIGN_MAX_BUNDLES; i++)
        ed_buf_printf(&b, "%s{\"digest\":\"" DIGEST "\",\"artifactType\":\"" BUNDLE_TYPE "\"}",
                      i ? "," : "");
    ed_buf_append_str(&b, "]}");
    assert_int_equal(ed_source_cosign_referrers_parse(b.data, b.len, &refs, &n, &err), ED_ETOOBIG);
    assert_null(refs);
    ed_buf_free(&b);
}

static void test_cosign_bundle_manifest(void **state)
{
    (void)state;
    char layer[80];
    int64_t size = 0;
    ed_err err = ED_ERR_INIT;
    const char *m =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"size\":2,"
        "\"digest\":\"" DIGEST2 "\"},\"layers\":[{\"mediaType\":\"" BUNDLE_TYPE "\","
        "\"size\":667,\"digest\":\"" DIGEST2 "\"}],\"subject\":{\"mediaType\":"
        "\"application/vnd.oci.image.manifest.v1+json\",\"size\":563,\"digest\":\"" DIGEST "\"},"
        "\"artifactType\":\"" BUNDLE_TYPE "\"}";
    assert_int_equal(
        ed_source_cosign_bundle_manifest_parse(m, strlen(m), DIGEST, layer, &size, &err), 0);
    assert_string_equal(layer, DIGEST2);
    assert_int_equal(size, 667);
    /* A bundle whose subject is another manifest. */
    assert_int_equal(
        ed_source_cosign_bundle_manifest_parse(m, strlen(m), DIGEST2, layer, &size, &err),
        ED_EAUTH);
    assert_non_null(strstr(err.msg, "subject"));
    const char *nolayer = "{\"layers\":[{\"mediaType\":\"application/octet-stream\",\"size\":1,"
                          "\"digest\":\"" DIGEST2 "\"}]}";
    assert_int_equal(ed_source_cosign_bundle_manifest_parse(nolayer, strlen(nolayer), DIGEST, layer,
                                                            &size, &err),
                     ED_ENOTFOUND);
    const char *big = "{\"layers\":[{\"mediaType\":\"" BUNDLE_TYPE "\",\"size\":999999999,"
                      "\"digest\":\"" DIGEST2 "\"}]}";
    assert_int_equal(
        ed_source_cosign_bundle_manifest_parse(big, strlen(big), DIGEST, layer, &size, &err),
        ED_ETOOBIG);
    assert_int_equal(ed_source_cosign_bundle_manifest_parse("{", 1, DIGEST, layer, &size, &err),
                     ED_EINVALID);
}

/* A bundle as cosign v3 writes it for `cosign sign --key`: a DSSE envelope of an in-toto
 * statement (predicate type, subject hex) signed by k over DSSE's pre-authentication encoding
 * of type. A new string. */
static char *make_bundle(EVP_PKEY *k, const char *predicate, const char *hex, const char *type,
                         const char *signed_type)
{
    char *statement = ed_xasprintf("{\"_type\":\"https://in-toto.io/Statement/v1\", \"subject\":"
                                   "[{\"digest\":{\"sha256\":\"%s\"}, \"annotations\":{}}], "
                                   "\"predicateType\":\"%s\", \"predicate\":{}}",
                                   hex, predicate);
    char *pae = ed_xasprintf("DSSEv1 %zu %s %zu %s", strlen(signed_type), signed_type,
                             strlen(statement), statement);
    size_t sig_len = 0;
    unsigned char *sig = sign(k, pae, &sig_len);
    char *sig64 = ed_base64_encode(sig, sig_len);
    char *payload64 = ed_base64_encode(statement, strlen(statement));
    char *bundle = ed_xasprintf(
        "{\"mediaType\":\"" BUNDLE_TYPE "\",\"verificationMaterial\":{\"publicKey\":{\"hint\":"
        "\"U1S1q8LA9P23naTUQ4xxXWJ6PsGUGQLpNnBWsenpxNQ=\"}},\"dsseEnvelope\":{\"payload\":\"%s\","
        "\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}}",
        payload64, type, sig64);
    free(payload64);
    free(sig64);
    free(sig);
    free(pae);
    free(statement);
    return bundle;
}

static void test_cosign_bundle_verify(void **state)
{
    (void)state;
    const char *intoto = "application/vnd.in-toto+json";
    EVP_PKEY *k = keygen("EC", "P-256", 0), *other = keygen("EC", "P-256", 0);
    char *pem = pub_pem(k), *other_pem = pub_pem(other);
    ed_source_secret_entry keys[] = {{"a.pub", other_pem, strlen(other_pem)},
                                     {"b.pub", pem, strlen(pem)}};
    ed_err err = ED_ERR_INIT;
    const char *name = NULL;
    char *b = make_bundle(k, ED_COSIGN_SIGN_PREDICATE, HEX1, intoto, intoto);
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST, keys, 2, &name, &err), 0);
    assert_string_equal(name, "b.pub");
    /* Another key only; the bundle of another digest; a tampered type; an attestation. */
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST, keys, 1, &name, &err),
                     ED_EAUTH);
    assert_null(name);
    assert_non_null(strstr(err.msg, "none of the public keys"));
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST2, keys, 2, &name, &err),
                     ED_EAUTH);
    assert_non_null(strstr(err.msg, "the bundle signs 'sha256:" HEX1 "', not '" DIGEST2 "'"));
    free(b);
    b = make_bundle(k, ED_COSIGN_SIGN_PREDICATE, HEX1, "text/plain", intoto);
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST, keys, 2, NULL, &err),
                     ED_EAUTH);
    assert_non_null(strstr(err.msg, "none of the public keys"));
    free(b);
    b = make_bundle(k, "https://spdx.dev/Document", HEX1, intoto, intoto);
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST, keys, 2, NULL, &err),
                     ED_EAUTH);
    assert_non_null(strstr(err.msg, "predicate"));
    free(b);
    /* Malformed: no envelope (a message signature), not a bundle, not JSON, too big. */
    const char *msg =
        "{\"mediaType\":\"" BUNDLE_TYPE "\",\"messageSignature\":{\"signature\":\"AA==\"}}";
    assert_int_equal(ed_source_cosign_bundle_verify(msg, strlen(msg), DIGEST, keys, 2, NULL, &err),
                     ED_EAUTH);
    assert_non_null(strstr(err.msg, "dsseEnvelope"));
    const char *notb = "{\"mediaType\":\"application/json\",\"dsseEnvelope\":{}}";
    assert_int_equal(
        ed_source_cosign_bundle_verify(notb, strlen(notb), DIGEST, keys, 2, NULL, &err), ED_EAUTH);
    const char *badenv = "{\"mediaType\":\"" BUNDLE_TYPE "\",\"dsseEnvelope\":{\"payload\":\"!!\","
                         "\"payloadType\":\"x\",\"signatures\":[]}}";
    assert_int_equal(
        ed_source_cosign_bundle_verify(badenv, strlen(badenv), DIGEST, keys, 2, NULL, &err),
        ED_EAUTH);
    assert_int_equal(ed_source_cosign_bundle_verify("{", 1, DIGEST, keys, 2, NULL, &err), ED_EAUTH);
    size_t big = (size_t)ED_COSIGN_MAX_BUNDLE + 1;
    char *huge = ed_xmalloc(big);
    memset(huge, ' ', big);
    assert_int_equal(ed_source_cosign_bundle_verify(huge, big, DIGEST, keys, 2, NULL, &err),
                     ED_EAUTH);
    free(huge);
    /* A `.pub` entry that is no key is named. */
    ed_source_secret_entry bad[] = {{"x.pub", "junk", 4}};
    b = make_bundle(k, ED_COSIGN_SIGN_PREDICATE, HEX1, intoto, intoto);
    assert_int_equal(ed_source_cosign_bundle_verify(b, strlen(b), DIGEST, bad, 1, NULL, &err),
                     ED_EINVALID);
    assert_non_null(strstr(err.msg, "x.pub"));
    free(b);
    free(pem);
    free(other_pem);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

int test_cosign_main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosign_tag),
        cmocka_unit_test(test_cosign_manifest),
        cmocka_unit_test(test_cosign_verify_key_types),
        cmocka_unit_test(test_cosign_keys),
        cmocka_unit_test(test_cosign_payload),
        cmocka_unit_test(test_cosign_referrers_tag),
        cmocka_unit_test(test_cosign_referrers_parse),
        cmocka_unit_test(test_cosign_bundle_manifest),
        cmocka_unit_test(test_cosign_bundle_verify),
    };
    return cmocka_run_group_tests_name("source cosign", tests, NULL, NULL);
}
