/*
 * SSH keys as flux's bootstrap makes and finds them (fluxcd/pkg/ssh): a new key pair for a
 * deploy key, the public half of a given private key, and the host key of an SSH server for
 * known_hosts.
 *
 * The key pair is RSA (of a given size), ECDSA (on NIST P-256, P-384 or P-521) or Ed25519,
 * made by OpenSSL; its private half is written as flux writes it, unencrypted PKCS#8 PEM
 * ("-----BEGIN PRIVATE KEY-----"), and its public half as an authorized_keys line
 * ("ecdsa-sha2-nistp384 AAAA...\n"), the SSH wire encoding of the key in base64.
 *
 * The public half of a private key (--private-key-file) is found as flux's x/crypto finds it:
 * in the clear part of OpenSSH's format, else from the PEM key OpenSSL reads (PKCS#1, SEC 1,
 * PKCS#8; an encrypted PKCS#1 or SEC 1 key with its passphrase), with x/crypto's errors.
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

/* ---- the public half of a private key ---- */

/* A big-endian 32-bit length and that many bytes at *p (of end); false when they overrun. */
static bool wire_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
                        size_t *n)
{
    if (end - *p < 4)
        return false;
    size_t len = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 | (size_t)(*p)[2] << 8 | (*p)[3];
    if ((size_t)(end - *p - 4) < len)
        return false;
    *s = *p + 4;
    *n = len;
    *p += 4 + len;
    return true;
}

static bool wire_is(const unsigned char *s, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* An openssh-key-v1 body (base64): its public key's line, or an error in x/crypto's words. */
static int openssh_public(const char *body, size_t n, bool with_passphrase, char **line,
                          ed_err *err)
{
    static const char magic[] = "openssh-key-v1"; /* and its NUL */
    size_t dlen = 0;
    unsigned char *d = ed_base64_decode(body, n, ED_BASE64_LINES, &dlen);
    const unsigned char *p = d ? d + sizeof(magic) : NULL, *end = d ? d + dlen : NULL;
    const unsigned char *cipher = NULL, *kdf = NULL, *opts = NULL, *blob = NULL, *type = NULL;
    size_t cipher_len = 0, kdf_len = 0, opts_len = 0, blob_len = 0, type_len = 0;
    int rc = 0;
    if (!d || dlen < sizeof(magic) || memcmp(d, magic, sizeof(magic)) != 0) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: invalid openssh private key format");
    } else if (!wire_string(&p, end, &cipher, &cipher_len) ||
               !wire_string(&p, end, &kdf, &kdf_len) || !wire_string(&p, end, &opts, &opts_len) ||
               end - p < 4) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: invalid openssh private key");
    } else if (p[0] || p[1] || p[2] || p[3] != 1) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: multi-key files are not supported");
    } else {
        p += 4;
        bool clear = wire_is(cipher, cipher_len, "none") && wire_is(kdf, kdf_len, "none");
        if (!with_passphrase && !clear)
            rc = ed_err_set(err, ED_EINVALID, "ssh: this private key is passphrase protected");
        else if (with_passphrase && clear)
            rc = ed_err_set(err, ED_EINVALID, "ssh: key is not password protected");
        else if (!wire_string(&p, end, &blob, &blob_len))
            rc = ed_err_set(err, ED_EINVALID, "ssh: invalid openssh private key");
    }
    const unsigned char *in_blob = blob; /* the blob starts with the key's type */
    if (rc == 0 && !wire_string(&in_blob, blob + blob_len, &type, &type_len))
        rc = ed_err_set(err, ED_EINVALID, "ssh: invalid openssh private key");
    if (rc == 0) {
        char *b64 = ed_base64_encode(blob, blob_len);
        *line = ed_xasprintf("%.*s %s\n", (int)type_len, (const char *)type, b64);
        free(b64);
    }
    free(d);
    return rc;
}

/* The line of a key OpenSSL read: RSA, ECDSA on P-256, P-384 or P-521, or Ed25519. */
static int evp_public(EVP_PKEY *key, char **line, ed_err *err)
{
    const char *algorithm = NULL, *curve = NULL;
    char group[64] = "";
    size_t glen = 0;
    if (EVP_PKEY_is_a(key, "RSA")) {
        algorithm = "rsa";
    } else if (EVP_PKEY_is_a(key, "ED25519")) {
        algorithm = "ed25519";
    } else if (EVP_PKEY_is_a(key, "EC") &&
               EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                              &glen) == 1) {
        algorithm = "ecdsa";
        curve = strcmp(group, "prime256v1") == 0  ? "p256"
                : strcmp(group, "secp384r1") == 0 ? "p384"
                : strcmp(group, "secp521r1") == 0 ? "p521"
                                                  : NULL;
    }
    if (!algorithm || (strcmp(algorithm, "ecdsa") == 0 && !curve))
        return ed_err_set(err, ED_EINVALID, "ssh: unsupported key type");
    ed_buf blob = ED_BUF_INIT(4096);
    const char *type = NULL;
    int rc = public_blob(key, algorithm, curve, &blob, &type);
    if (rc == 0) {
        char *b64 = ed_base64_encode(blob.data, blob.len);
        *line = ed_xasprintf("%s %s\n", type, b64);
        free(b64);
    } else {
        rc = ed_err_set(err, ED_EINVALID, "ssh: cannot encode the public key");
    }
    ed_buf_free(&blob);
    return rc;
}

int ed_source_ssh_public_line(const char *key, size_t len, const char *passphrase, char **line,
                              ed_err *err)
{
    *line = NULL;
    /* the first PEM block, as Go's pem.Decode finds it: its type and where its body starts */
    const char *begin = memmem(key, len, "-----BEGIN ", 11);
    const char *type = begin ? begin + 11 : NULL;
    const char *type_end = type ? memmem(type, (size_t)(key + len - type), "-----", 5) : NULL;
    const char *end_line =
        type_end ? memmem(type_end, (size_t)(key + len - type_end), "-----END ", 9) : NULL;
    if (!end_line || memchr(type, '\n', (size_t)(type_end - type)))
        return ed_err_set(err, ED_EINVALID, "ssh: no key found");
    char *label = ed_xstrndup(type, (size_t)(type_end - type));
    const char *body = type_end + 5;
    bool encrypted = memmem(body, (size_t)(end_line - body), "Proc-Type:", 10) &&
                     memmem(body, (size_t)(end_line - body), "ENCRYPTED", 9);
    bool openssh = strcmp(label, "OPENSSH PRIVATE KEY") == 0;
    bool known = strcmp(label, "RSA PRIVATE KEY") == 0 || strcmp(label, "EC PRIVATE KEY") == 0 ||
                 (strcmp(label, "PRIVATE KEY") == 0 && !passphrase);
    int rc = 0;
    if (!passphrase && encrypted) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: this private key is passphrase protected");
    } else if (openssh) {
        rc = openssh_public(body, (size_t)(end_line - body), passphrase != NULL, line, err);
    } else if (passphrase && !encrypted) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: not an encrypted key");
    } else if (!known) {
        rc = ed_err_set(err, ED_EINVALID, "ssh: unsupported key type \"%s\"", label);
    } else {
        BIO *bio = BIO_new_mem_buf(begin, (int)(key + len - begin));
        /* a NULL callback with a passphrase: OpenSSL takes it as the passphrase; without one
         * an empty one, so that OpenSSL never asks on the terminal */
        EVP_PKEY *pkey =
            bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(passphrase ? passphrase : ""))
                : NULL;
        if (!pkey)
            rc = ed_err_set(err, ED_EINVALID,
                            passphrase ? "x509: decryption password incorrect"
                                       : "ssh: cannot parse the %s",
                            label);
        else
            rc = evp_public(pkey, line, err);
        EVP_PKEY_free(pkey);
        BIO_free(bio);
    }
    free(label);
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
