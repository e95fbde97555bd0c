/*
 * SSH signatures on Git commits and tags (git's `gpg.format=ssh`, OpenSSH's SSHSIG format),
 * for GitRepository `spec.verify` with keys under Secret entries ending in `.sshpub`
 * (authorized_keys format), as Flux accepts them.
 *
 * The armored block `-----BEGIN SSH SIGNATURE-----` decodes to: "SSHSIG", a version (1), the
 * signer's public key, the namespace (git signs with "git"), a reserved string, the hash
 * algorithm (sha256 or sha512) and the signature. What was signed is "SSHSIG" followed by the
 * namespace, the reserved string, the hash algorithm and the hash of the message, each as an
 * SSH string. The signature counts when its public key is one of the Secret's keys and the
 * signature over that blob checks out with OpenSSL: ssh-ed25519, rsa-sha2-256/512 and
 * ecdsa-sha2-nistp256/384/521. Keys are reported by their SHA256 fingerprint, as ssh-keygen
 * prints it ("SHA256:<base64>").
 */
#include "source_int.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSH_ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSH_ARMOR_END   "-----END SSH SIGNATURE-----"

/* A cursor over SSH wire-format data. */
typedef struct wire {
    const unsigned char *p;
    size_t left;
} wire;

/* The next SSH string (uint32 length + bytes). False when the data is short. */
static bool wire_string(wire *w, const unsigned char **s, size_t *n)
{
    if (w->left < 4)
        return false;
    size_t len = ((size_t)w->p[0] << 24) | ((size_t)w->p[1] << 16) | ((size_t)w->p[2] << 8) |
                 (size_t)w->p[3];
    if (len > w->left - 4)
        return false;
    *s = w->p + 4;
    *n = len;
    w->p += 4 + len;
    w->left -= 4 + len;
    return true;
}

static void put_string(ed_buf *b, const void *s, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    ed_buf_append(b, len, 4);
    ed_buf_append(b, s, n);
}

/* Base64 of text, skipping line breaks, into a new buffer; NULL when invalid or empty. */
static unsigned char *b64_decode(const char *text, size_t n, size_t *out_len)
{
    unsigned char *out = ed_base64_decode(text, n, ED_BASE64_LINES, out_len);
    if (out && *out_len == 0) {
        free(out);
        out = NULL;
    }
    return out;
}

bool ed_source_sshsig_is_armored(const char *sig, size_t n)
{
    size_t m = strlen(SSH_ARMOR_BEGIN);
    return n >= m && memcmp(sig, SSH_ARMOR_BEGIN, m) == 0;
}

/* "SHA256:<unpadded base64>" of a public key blob. */
static void fingerprint(const unsigned char *blob, size_t n, char *out, size_t out_len)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(blob, n, md, &mdlen, EVP_sha256(), NULL);
    unsigned char b64[64];
    int len = EVP_EncodeBlock(b64, md, (int)mdlen);
    while (len > 0 && b64[len - 1] == '=')
        len--;
    snprintf(out, out_len, "SHA256:%.*s", len, (char *)b64);
}

/* True when some `.sshpub` entry holds the key blob (authorized_keys lines, options allowed). */
static bool key_allowed(const ed_source_secret_entry *keys, size_t nkeys, const unsigned char *blob,
                        size_t blob_len)
{
    for (size_t k = 0; k < nkeys; k++) {
        if (!ed_str_has_suffix(keys[k].key, ".sshpub"))
            continue;
        const char *p = keys[k].value, *end = p + keys[k].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            /* Any whitespace-separated field that decodes to the blob: the key field. */
            for (const char *f = p; f < le;) {
                while (f < le && (*f == ' ' || *f == '\t'))
                    f++;
                const char *fe = f;
                while (fe < le && *fe != ' ' && *fe != '\t' && *fe != '\r')
                    fe++;
                size_t dl = 0;
                unsigned char *d = fe - f >= 16 ? b64_decode(f, (size_t)(fe - f), &dl) : NULL;
                bool same = d && dl == blob_len && memcmp(d, blob, dl) == 0;
                free(d);
                if (same)
                    return true;
                f = fe;
                while (f < le && (*f == '\r'))
                    f++;
            }
            p = nl ? nl + 1 : end;
        }
    }
    return false;
}

/* An OpenSSL public key from an SSH public key blob, and the digest its signatures use with
 * sig_type (NULL for ed25519). */
static EVP_PKEY *ssh_pkey(const unsigned char *blob, size_t n, const unsigned char *sig_type,
                          size_t type_len, const EVP_MD **md)
{
    wire w = {blob, n};
    const unsigned char *type, *a, *b;
    size_t tl, al, bl;
    EVP_PKEY *pkey = NULL;
    *md = NULL;
    if (!wire_string(&w, &type, &tl))
        return NULL;
    if (tl == 11 && memcmp(type, "ssh-ed25519", 11) == 0) {
        if (wire_string(&w, &a, &al) && al == 32)
            pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, al);
        return pkey;
    }
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *e = NULL, *nn = NULL;
    const char *group = NULL;
    if (tl == 7 && memcmp(type, "ssh-rsa", 7) == 0) {
        /* ssh-rsa keys sign with rsa-sha2-256 or rsa-sha2-512 (never SHA-1 here). */
        if (type_len == 12 && memcmp(sig_type, "rsa-sha2-256", 12) == 0)
            *md = EVP_sha256();
        else if (type_len == 12 && memcmp(sig_type, "rsa-sha2-512", 12) == 0)
            *md = EVP_sha512();
        if (!*md || !wire_string(&w, &a, &al) || !wire_string(&w, &b, &bl))
            goto cleanup;
        e = BN_bin2bn(a, (int)al, NULL);
        nn = BN_bin2bn(b, (int)bl, NULL);
        if (!e || !nn || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nn))
            goto cleanup;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    } else if (tl == 19 && memcmp(type, "ecdsa-sha2-nistp", 16) == 0) {
        if (tl == 19 && memcmp(type + 16, "256", 3) == 0) {
            group = "prime256v1";
            *md = EVP_sha256();
        } else if (tl == 19 && memcmp(type + 16, "384", 3) == 0) {
            group = "secp384r1";
            *md = EVP_sha384();
        } else if (tl == 19 && memcmp(type + 16, "521", 3) == 0) {
            group = "secp521r1";
            *md = EVP_sha512();
        }
        if (!group || !wire_string(&w, &a, &al) || !wire_string(&w, &b, &bl) ||
            !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, b, bl))
            goto cleanup;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    }
    params = ctx ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
cleanup:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
    BN_free(nn);
    return pkey;
}

/* An SSH ECDSA signature (mpint r, mpint s) as DER; *der is new. */
static bool ecdsa_der(const unsigned char *sig, size_t n, unsigned char **der, size_t *der_len)
{
    wire w = {sig, n};
    const unsigned char *r, *s;
    size_t rl, sl;
    if (!wire_string(&w, &r, &rl) || !wire_string(&w, &s, &sl))
        return false;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(r, (int)rl, NULL), *bs = BN_bin2bn(s, (int)sl, NULL);
    if (!es || !br || !bs || ECDSA_SIG_set0(es, br, bs) != 1) {
        BN_free(br);
        BN_free(bs);
        ECDSA_SIG_free(es);
        return false;
    }
    *der = NULL;
    int len = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    if (len <= 0)
        return false;
    *der_len = (size_t)len;
    return true;
}

/* Check the SSH signature blob (string type, string bytes) over msg with the key. */
static bool check(const unsigned char *key, size_t key_len, const unsigned char *sigblob,
                  size_t sig_len, const unsigned char *msg, size_t msg_len)
{
    wire w = {sigblob, sig_len};
    const unsigned char *type, *bytes;
    size_t tl, bl;
    if (!wire_string(&w, &type, &tl) || !wire_string(&w, &bytes, &bl))
        return false;
    const EVP_MD *md = NULL;
    EVP_PKEY *pkey = ssh_pkey(key, key_len, type, tl, &md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    size_t der_len = 0;
    bool ecdsa = tl > 16 && memcmp(type, "ecdsa-sha2-nistp", 16) == 0;
    bool ok = pkey && ctx && (!ecdsa || ecdsa_der(bytes, bl, &der, &der_len)) &&
              EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
              EVP_DigestVerify(ctx, ecdsa ? der : bytes, ecdsa ? der_len : bl, msg, msg_len) == 1;
    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok;
}

/* The fields of a decoded SSHSIG blob (pointers into it). */
typedef struct sshsig {
    const unsigned char *key, *ns, *reserved, *hash, *sig;
    size_t key_len, ns_len, reserved_len, hash_len, sig_len;
} sshsig;

static bool sshsig_parse(const unsigned char *blob, size_t n, sshsig *out)
{
    /* "SSHSIG", then version 1 as a uint32. */
    static const unsigned char magic[10] = {'S', 'S', 'H', 'S', 'I', 'G', 0, 0, 0, 1};
    if (!blob || n < sizeof(magic) || memcmp(blob, magic, sizeof(magic)) != 0)
        return false;
    wire w = {blob + sizeof(magic), n - sizeof(magic)};
    return wire_string(&w, &out->key, &out->key_len) && wire_string(&w, &out->ns, &out->ns_len) &&
           wire_string(&w, &out->reserved, &out->reserved_len) &&
           wire_string(&w, &out->hash, &out->hash_len) && wire_string(&w, &out->sig, &out->sig_len);
}

int ed_source_sshsig_verify(const char *data, size_t len, const char *sig, size_t sig_len,
                            const ed_source_secret_entry *keys, size_t nkeys, char *fpr,
                            size_t fpr_len, const char *what, ed_err *err)
{
    const char *b = sig + strlen(SSH_ARMOR_BEGIN);
    const char *e = memmem(b, sig_len - (size_t)(b - sig), SSH_ARMOR_END, strlen(SSH_ARMOR_END));
    size_t blob_len = 0;
    unsigned char *blob = e ? b64_decode(b, (size_t)(e - b), &blob_len) : NULL;
    ed_buf signed_data = ED_BUF_INIT((size_t)1 << 20);
    sshsig ss;
    int rc = 0;
    if (!sshsig_parse(blob, blob_len, &ss)) {
        rc = ed_err_set(err, ED_EAUTH, "the %s's SSH signature is malformed", what);
        goto cleanup;
    }
    const EVP_MD *md = ss.hash_len == 6 && memcmp(ss.hash, "sha512", 6) == 0   ? EVP_sha512()
                       : ss.hash_len == 6 && memcmp(ss.hash, "sha256", 6) == 0 ? EVP_sha256()
                                                                               : NULL;
    if (!md || ss.ns_len != 3 || memcmp(ss.ns, "git", 3) != 0) {
        rc = ed_err_set(err, ED_EAUTH, "the %s's SSH signature is not a git signature", what);
        goto cleanup;
    }
    if (!key_allowed(keys, nkeys, ss.key, ss.key_len)) {
        rc = ed_err_set(err, ED_EAUTH,
                        "unable to verify Git %s SSH signature: unable to verify payload with any "
                        "of the given authorized keys: no matching key",
                        what);
        goto cleanup;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_Digest(data, len, digest, &dl, md, NULL);
    ed_buf_append(&signed_data, "SSHSIG", 6);
    put_string(&signed_data, ss.ns, ss.ns_len);
    put_string(&signed_data, ss.reserved, ss.reserved_len);
    put_string(&signed_data, ss.hash, ss.hash_len);
    put_string(&signed_data, digest, dl);
    if (!check(ss.key, ss.key_len, ss.sig, ss.sig_len, (unsigned char *)signed_data.data,
               signed_data.len)) {
        rc = ed_err_set(err, ED_EAUTH,
                        "unable to verify Git %s SSH signature: unable to verify payload with any "
                        "of the given authorized keys: no matching key",
                        what);
        goto cleanup;
    }
    fingerprint(ss.key, ss.key_len, fpr, fpr_len);
cleanup:
    ed_buf_free(&signed_data);
    free(blob);
    return rc;
}
