/*
 * GitHub App authentication (source/githubapp.c), the parts without a server: Flux's check of
 * a Secret's App data, the JWT (its header, claims and RS256 signature, checked here with
 * OpenSSL against the public key) and its key errors, and the App data a token request refuses
 * before any call. The exchange with the API is tests/e2e/gitrepository_github_test.sh's.
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

#define E(k, v)                                                                                    \
    {                                                                                              \
        k, v, sizeof(v) - 1                                                                        \
    }

static void expect_app_check(const ed_source_secret_entry *s, size_t n, int rc, bool present,
                             const char *msg)
{
    ed_err err = ED_ERR_INIT;
    bool got = !present;
    assert_int_equal(ed_source_github_app_check(s, n, "ns/app", &got, &err), rc);
    assert_int_equal(got, present);
    assert_string_equal(err.msg, msg);
}

static void test_check_secret(void **state)
{
    (void)state;
    const ed_source_secret_entry none[] = {E("username", "u"), E("ca.crt", "x")};
    expect_app_check(none, 2, 0, false, "");
    const ed_source_secret_entry by_id[] = {E("githubAppID", "1"), E("githubAppPrivateKey", "k"),
                                            E("githubAppInstallationID", "2")};
    expect_app_check(by_id, 3, 0, true, "");
    const ed_source_secret_entry by_owner[] = {E("githubAppID", "1"), E("githubAppPrivateKey", "k"),
                                               E("githubAppInstallationOwner", "acme")};
    expect_app_check(by_owner, 3, 0, true, "");
    /* Without the App ID or the key, Flux finds no App data (its "key not found" is ignored). */
    expect_app_check(by_id + 1, 2, 0, false, "");
    const ed_source_secret_entry no_key[] = {E("githubAppID", "1"),
                                             E("githubAppInstallationID", "2")};
    expect_app_check(no_key, 2, 0, false, "");
    const ed_source_secret_entry both[] = {E("githubAppID", "1"), E("githubAppPrivateKey", "k"),
                                           E("githubAppInstallationID", "2"),
                                           E("githubAppInstallationOwner", "acme")};
    const char *one = "secret 'ns/app' must contain exactly one of 'githubAppInstallationOwner' or "
                      "'githubAppInstallationID'";
    expect_app_check(both, 4, ED_EINVALID, true, one);
    expect_app_check(both, 2, ED_EINVALID, true, one); /* neither */
}

static char *key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *out = ed_xasprintf("%.*s", (int)n, p);
    BIO_free(b);
    return out;
}

/* part (base64url, no padding) decoded: a new string of *len bytes. */
static char *unb64url(const char *part, size_t n, size_t *len)
{
    char *s = ed_xstrndup(part, n);
    for (char *p = s; *p; p++) {
        assert_true(*p != '+' && *p != '/' && *p != '='); /* the URL alphabet, unpadded */
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    }
    char *d = (char *)ed_base64_decode(s, n, ED_BASE64_UNPADDED, len);
    assert_non_null(d);
    free(s);
    return d;
}

static void test_jwt(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(k);
    char *pem = key_pem(k);
    char *jwt = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_github_app_jwt(4242, pem, strlen(pem), 1700000000, &jwt, &err), 0);
    const char *dot1 = strchr(jwt, '.');
    assert_non_null(dot1);
    const char *dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    assert_null(strchr(dot2 + 1, '.'));
    size_t len = 0;
    char *header = unb64url(jwt, (size_t)(dot1 - jwt), &len);
    assert_string_equal(header, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    /* Issued 30 s in the past (clock drift), valid two minutes from then; the App ID issues. */
    char *claims = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &len);
    assert_string_equal(claims, "{\"iss\":\"4242\",\"exp\":1700000090,\"iat\":1699999970}");
    size_t sig_len = 0;
    unsigned char *sig = (unsigned char *)unb64url(dot2 + 1, strlen(dot2 + 1), &sig_len);
    assert_int_equal(sig_len, 256);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(
        EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
    /* ... and not over other bytes. */
    EVP_MD_CTX_reset(ctx);
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_not_equal(
        EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)jwt, (size_t)(dot2 - jwt - 1)),
        1);
    EVP_MD_CTX_free(ctx);
    free(sig);
    free(claims);
    free(header);
    free(jwt);
    free(pem);
    EVP_PKEY_free(k);
}

static void expect_jwt_error(const char *pem, const char *msg)
{
    char *jwt = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_github_app_jwt(1, pem, strlen(pem), 1700000000, &jwt, &err),
                     ED_EINVALID);
    assert_null(jwt);
    assert_string_equal(err.msg, msg);
}

static void test_jwt_bad_keys(void **state)
{
    (void)state;
    expect_jwt_error("not a key", "could not parse private key: invalid key: Key must be a PEM "
                                  "encoded PKCS1 or PKCS8 key");
    expect_jwt_error("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                     "could not parse private key: x509: failed to parse private key");
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(ec);
    char *pem = key_pem(ec);
    expect_jwt_error(pem, "could not parse private key: key is not a valid RSA private key");
    free(pem);
    EVP_PKEY_free(ec);
}

static void expect_token_error(const ed_source_secret_entry *s, size_t n, const char *msg)
{
    ed_source_github_app_opts o = {.secret = s, .secret_len = n, .timeout_ms = 1000};
    char *token = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_github_app_token(&o, &token, NULL, &err), ED_EINVALID);
    assert_null(token);
    assert_string_equal(err.msg, msg);
}

/* What Flux's githubapp.New refuses, before any call (the API URL here answers nothing). */
static void test_token_refused_data(void **state)
{
    (void)state;
    const ed_source_secret_entry bad_id[] = {
        E("githubAppID", "four"), E("githubAppPrivateKey", "k"), E("githubAppInstallationID", "2"),
        E("githubAppBaseURL", "https://127.0.0.1:1/")};
    expect_token_error(bad_id, 4, "app ID must be provided to use github app authentication");
    const ed_source_secret_entry bad_installation[] = {
        E("githubAppID", "1"), E("githubAppPrivateKey", "k"), E("githubAppInstallationID", "x"),
        E("githubAppBaseURL", "https://127.0.0.1:1/")};
    expect_token_error(bad_installation, 4,
                       "app installation owner or ID must be provided to use github app "
                       "authentication");
    const ed_source_secret_entry both[] = {
        E("githubAppID", "1"), E("githubAppPrivateKey", "k"), E("githubAppInstallationID", "2"),
        E("githubAppInstallationOwner", "acme"), E("githubAppBaseURL", "https://127.0.0.1:1/")};
    expect_token_error(both, 5,
                       "only one of app installation owner or ID must be provided to use github "
                       "app authentication");
    const ed_source_secret_entry empty_key[] = {E("githubAppID", "1"), E("githubAppPrivateKey", ""),
                                                E("githubAppInstallationID", "2"),
                                                E("githubAppBaseURL", "https://127.0.0.1:1/")};
    expect_token_error(empty_key, 4,
                       "private key must be provided to use github app authentication");
    const ed_source_secret_entry garbage_key[] = {
        E("githubAppID", "1"), E("githubAppPrivateKey", "k"), E("githubAppInstallationID", "2"),
        E("githubAppBaseURL", "https://127.0.0.1:1/")};
    expect_token_error(garbage_key, 4,
                       "could not parse private key: invalid key: Key must be a PEM encoded PKCS1 "
                       "or PKCS8 key");
}

int test_githubapp_main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_secret),
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_jwt_bad_keys),
        cmocka_unit_test(test_token_refused_data),
    };
    return cmocka_run_group_tests_name("source_githubapp", tests, NULL, NULL);
}
