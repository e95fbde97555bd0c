/*
 * SSH keys as flux's bootstrap makes and finds them (fluxcd/pkg/ssh): a new key pair for a
 * deploy key, and the host key of an SSH server for known_hosts.
 *
 * The key pair is RSA (of a given size), ECDSA (on NIST P-256, P-384 or P-521) or Ed25519,
 * made by OpenSSL; its private half is written as flux writes it, unencrypted PKCS#8 PEM
 * ("-----BEGIN PRIVATE KEY-----"), and its public half as an authorized_keys line
 * ("ecdsa-sha2-nistp384 AAAA...\n"), the SSH wire encoding of the key in base64.
 *
 * The host key is read from the server's key exchange: a connection is opened through libgit2
 * (libssh2, what the fetches use), its host key taken in the certificate callback, and the
 * connection dropped there, before any authentication. The line is flux's: the host as
 * known_hosts writes it ("host" on port 22, else "[host]:port"), the key's type and base64.
 */
#include "source_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the SSH wire encoding ---- */

static void put_u32(ed_buf *b, size_t n)
{
    unsigned char be[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                           (unsigned char)(n >> 8), (unsigned char)n};
    ed_buf_append(b, be, 4);
}

static void put_string(ed_buf *b, const void *data, size_t n)
{
    put_u32(b, n);
    ed_buf_append(b, data, n);
}

/* An mpint: OpenSSL's MPI format is SSH's (a 4-byte length, big-endian, a leading zero byte
 * when the high bit is set). Returns 0, or -1 when bn is missing. */
static int put_mpint(ed_buf *b, const BIGNUM *bn)
{
    if (!bn)
        return -1;
    int n = BN_bn2mpi(bn, NULL);
    unsigned char *mpi = ed_xmalloc((size_t)n);
    BN_bn2mpi(bn, mpi);
    ed_buf_append(b, mpi, (size_t)n);
    free(mpi);
    return 0;
}

/* The public key's wire blob into b and its type into *type (static). Returns 0, or -1. */
static int public_blob(EVP_PKEY *key, const char *algorithm, const char *curve, ed_buf *b,
                       const char **type)
{
    unsigned char raw[256];
    size_t len = sizeof(raw);
    if (strcmp(algorithm, "ed25519") == 0) {
        *type = "ssh-ed25519";
        if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1)
            return -1;
        put_string(b, *type, strlen(*type));
        put_string(b, raw, len);
        return 0;
    }
    if (strcmp(algorithm, "ecdsa") == 0) {
        static const char *const types[] = {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                            "ecdsa-sha2-nistp521"};
        /* the caller made the key on one of the three curves */
        int i = curve && strcmp(curve, "p256") == 0   ? 0
                : curve && strcmp(curve, "p384") == 0 ? 1
                                                      : 2;
        *type = types[i];
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw,
                                            sizeof(raw), &len) != 1)
            return -1;
        put_string(b, *type, strlen(*type));
        put_string(b, *type + 11, 8); /* "nistpNNN" */
        put_string(b, raw, len);
        return 0;
    }
    *type = "ssh-rsa";
    BIGNUM *e = NULL, *n = NULL;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    put_string(b, *type, strlen(*type));
    int rc = put_mpint(b, e) == 0 && put_mpint(b, n) == 0 ? 0 : -1;
    BN_free(e);
    BN_free(n);
    return rc;
}

int ed_source_ssh_keypair_new(const char *algorithm, int rsa_bits, const char *curve,
                              char **private_pem, char **public_line, ed_err *err)
{
    *private_pem = NULL;
    *public_line = NULL;
    static const char *const curves[][2] = {
        {"p256", "P-256"}, {"p384", "P-384"}, {"p521", "P-521"}};
    const char *group = NULL;
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (curve && strcmp(curve, curves[i][0]) == 0)
            group = curves[i][1];
    EVP_PKEY *key = NULL;
    if (strcmp(algorithm, "rsa") == 0 && rsa_bits >= 1024)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
    else if (strcmp(algorithm, "ecdsa") == 0 && group)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
    else if (strcmp(algorithm, "ed25519") == 0)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else
        return ed_err_set(err, ED_EINVALID, "unsupported public key algorithm: %s", algorithm);
    if (!key)
        return ed_err_set(err, ED_EINVALID, "key pair generation failed");
    ed_buf blob = ED_BUF_INIT(4096);
    const char *type = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pem_len = 0;
    int rc = 0;
    if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        (pem_len = BIO_get_mem_data(bio, &pem)) <= 0 ||
        public_blob(key, algorithm, curve, &blob, &type) != 0) {
        rc = ed_err_set(err, ED_EINVALID, "key pair generation failed: cannot encode the key");
    } else {
        char *b64 = ed_base64_encode(blob.data, blob.len);
        *private_pem = ed_xstrndup(pem, (size_t)pem_len);
        *public_line = ed_xasprintf("%s %s\n", type, b64);
        free(b64);
    }
    if (pem && pem_len > 0)
        OPENSSL_cleanse(pem, (size_t)pem_len); /* the private key does not linger */
    BIO_free(bio);
    EVP_PKEY_free(key);
    ed_buf_free(&blob);
    return rc;
}

/* ---- host keys ---- */

typedef struct scan_ctx {
    ed_source_auth auth; /* first: the callbacks' payload */
    char *line;          /* the host key's "type base64", once seen */
} scan_ctx;

/* The host key arrives: kept, and the connection ended (GIT_EUSER) before authentication. */
static int scan_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
    (void)valid;
    (void)host;
    scan_ctx *sc = payload;
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
        return GIT_EUSER;
    const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
    const unsigned char *k = (const unsigned char *)hk->hostkey;
    /* the blob opens with its type, an SSH string */
    if (!(hk->type & GIT_CERT_SSH_RAW) || hk->hostkey_len < 4)
        return GIT_EUSER;
    size_t tl = ((size_t)k[0] << 24) | ((size_t)k[1] << 16) | ((size_t)k[2] << 8) | k[3];
    if (tl == 0 || tl > 64 || tl + 4 > hk->hostkey_len)
        return GIT_EUSER;
    char *b64 = ed_base64_encode(hk->hostkey, hk->hostkey_len);
    sc->line = ed_xasprintf("%.*s %s", (int)tl, (const char *)k + 4, b64);
    free(b64);
    return GIT_EUSER;
}

int ed_source_ssh_host_key_scan(const char *host, int port, int64_t timeout_ms, char **out,
                                ed_err *err)
{
    *out = NULL;
    git_libgit2_init();
    bool v6 = strchr(host, ':') != NULL;
    char *url = ed_xasprintf("ssh://git@%s%s%s:%d/", v6 ? "[" : "", host, v6 ? "]" : "", port);
    scan_ctx sc = {0};
    ed_source_deadline deadline = {0};
    git_remote *remote = NULL;
    /* no credentials: the connection ends before they would be asked for */
    int rc = ed_source_url_parse(url, &sc.auth.url, err);
    if (rc == 0 && git_remote_create_detached(&remote, url) != 0)
        rc = ed_source_git_error(err, ED_EINVALID, "invalid host");
    if (rc == 0) {
        git_remote_callbacks cb;
        git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
        ed_source_auth_callbacks(&sc.auth, &cb);
        cb.certificate_check = scan_certificate;
        cb.payload = &sc;
        ed_source_deadline_start(&deadline, timeout_ms);
        sc.auth.deadline = &deadline;
        int crc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
        ed_source_deadline_stop(&deadline);
        if (!sc.line) {
            const git_error *e = crc ? git_error_last() : NULL;
            bool late = ed_source_deadline_passed(&deadline);
            rc = ed_err_set(err, late ? ED_ETIMEOUT : ED_EINVALID, "%s",
                            late              ? "i/o timeout"
                            : e && e->message ? e->message
                                              : "no host key");
        }
    }
    if (sc.line) {
        *out = port == 22 ? ed_xasprintf("%s %s", host, sc.line)
                          : ed_xasprintf("[%s]:%d %s", host, port, sc.line);
        free(sc.line);
    }
    git_remote_free(remote);
    ed_source_auth_clear(&sc.auth);
    free(url);
    return rc;
}
