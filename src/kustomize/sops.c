/*
 * SOPS decryption, as kustomize-controller's decryptor does it for `spec.decryption` with
 * provider `sops`, for age and PGP keys (the keys come from the Kustomization's decryption
 * Secret, entries named `*.agekey` and `*.asc`; PGP through GnuPG (gpgme) in a private home).
 *
 * An encrypted object keeps its shape; every value SOPS encrypted reads
 * `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes|comment>]`
 * (standard base64; a 32-byte IV, a 16-byte tag), encrypted with AES-256-GCM under the file's
 * data key, with the value's path as additional data ("data:password:": the mapping keys from
 * the root, each followed by ':'; sequence items add nothing). The top-level `sops` mapping
 * holds the data key encrypted for each recipient (`age: [{recipient, enc}]`, `enc` an armored
 * age file whose content is the 32-byte data key), `lastmodified` and `mac`. The MAC is not
 * checked, as Flux does not check it: kustomize adds fields (a namespace, labels) to the
 * encrypted object before it is decrypted, which changes what the MAC covers. With
 * `key_groups` each group holds a Shamir share of the data key (its bytes, then its x), and
 * `shamir_threshold` shares give the key back. A data key no key opens is reported in sops's
 * words (its getDataKeyError), the text Flux's messages quote.
 *
 * age (age-encryption.org/v1), X25519 recipients only: the header's stanza
 * `-> X25519 <ephemeral share>` wraps the 16-byte file key with ChaCha20-Poly1305 under
 * HKDF-SHA256(X25519(identity, share), salt share||recipient, "age-encryption.org/v1/X25519");
 * the header ends with `--- <HMAC-SHA256 under HKDF(file key, "", "header")>`; the payload is a
 * 16-byte nonce then 64 KiB chunks sealed with HKDF(file key, nonce, "payload") and a nonce of
 * an 11-byte counter and a last-chunk flag. Identities are bech32 `AGE-SECRET-KEY-1...`.
 *
 * OpenSSL provides every primitive. Nothing decrypted reaches a message: errors name the
 * object's field path, never a value.
 */
#include "kustomize_int.h"

#include <ctype.h>
#include <limits.h>
#include <gpgme.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGE_CHUNK 65536
#define AGE_TAG   16

struct ed_sops_keys {
    unsigned char (*age)[32]; /* X25519 private scalars */
    size_t nage;
    char *gnupg_home; /* a private GnuPG home holding the imported PGP keys, or NULL */
    size_t npgp;      /* keys imported there */
};

/* ---- small helpers ---- */

static void wipe_free(void *p, size_t n)
{
    if (p) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

/* Decode standard base64 (padded or not, no whitespace) into a new buffer (*len set); NULL
 * when it is not base64. */
static unsigned char *b64_decode(const char *s, size_t n, size_t *len)
{
    return ed_base64_decode(s, n, ED_BASE64_UNPADDED, len);
}

static int hkdf(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
                size_t salt_len, const char *info, unsigned char *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx)
        return -1;
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt_len) /* none: HKDF's salt of zeros */
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    return ok == 1 ? 0 : -1;
}

/* Open an AEAD box: in = ciphertext || tag (tag_len bytes). Returns 0 with out filled
 * (in_len - tag_len bytes), -1 when it does not authenticate. */
static int aead_open(const EVP_CIPHER *cipher, const unsigned char *key, const unsigned char *iv,
                     size_t iv_len, const unsigned char *aad, size_t aad_len,
                     const unsigned char *in, size_t in_len, size_t tag_len, unsigned char *out)
{
    if (in_len < tag_len)
        return -1;
    size_t n = in_len - tag_len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0,
        ok = ctx && EVP_DecryptInit_ex(ctx, cipher, NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)iv_len, NULL) == 1 &&
             EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv) == 1 &&
             (!aad_len || EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1) &&
             EVP_DecryptUpdate(ctx, out, &len, in, (int)n) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, (void *)(in + n)) == 1 &&
             EVP_DecryptFinal_ex(ctx, out + len, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* ---- age identities: bech32 "AGE-SECRET-KEY-1..." ---- */

static uint32_t bech32_polymod(const unsigned char *v, size_t n)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t top = chk >> 25;
        chk = (chk & 0x1ffffff) << 5 ^ v[i];
        for (int j = 0; j < 5; j++)
            if ((top >> j) & 1)
                chk ^= gen[j];
    }
    return chk;
}

/* The 32-byte scalar of an age identity, or -1 with why set to what sops says of the line (its
 * parseIdentity: an "AGE-SECRET-KEY-1" prefix, then age's ParseX25519Identity and bech32). */
static int age_identity(const char *s, size_t n, unsigned char out[32], char why[96])
{
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    static const char hrp[] = "age-secret-key-";
    size_t hl = sizeof(hrp) - 1;
    if (n < hl + 1 || strncmp(s, "AGE-SECRET-KEY-1", hl + 1) != 0) {
        snprintf(why, 96, "unknown identity type");
        return -1;
    }
    bool lower = false;
    for (size_t i = 0; i < n; i++)
        lower |= islower((unsigned char)s[i]) != 0;
    if (lower) { /* the prefix is upper case */
        snprintf(why, 96, "malformed secret key: mixed case");
        return -1;
    }
    if (n < hl + 1 + 6 || n > 90) {
        snprintf(why, 96, "malformed secret key: invalid length");
        return -1;
    }
    /* The checksum runs over the expanded prefix and the data. */
    unsigned char v[128];
    size_t nv = 0;
    for (size_t i = 0; i < hl; i++)
        v[nv++] = (unsigned char)(hrp[i] >> 5);
    v[nv++] = 0;
    for (size_t i = 0; i < hl; i++)
        v[nv++] = (unsigned char)(hrp[i] & 31);
    size_t data0 = nv;
    for (size_t i = hl + 1; i < n; i++) {
        const char *c = memchr(charset, tolower((unsigned char)s[i]), sizeof(charset) - 1);
        if (!c) {
            snprintf(why, 96, "malformed secret key: invalid character data part: s[%zu]=%u", i,
                     (unsigned)(unsigned char)s[i]);
            return -1;
        }
        v[nv++] = (unsigned char)(c - charset);
    }
    if (bech32_polymod(v, nv) != 1) {
        snprintf(why, 96, "malformed secret key: invalid checksum");
        return -1;
    }
    /* 5-bit groups (without the 6 of the checksum) to bytes. */
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    bool long_key = false;
    for (size_t i = data0; i < nv - 6 && !long_key; i++) {
        acc = acc << 5 | v[i];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == 32)
                long_key = true;
            else
                out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (long_key || o != 32 || bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
        snprintf(why, 96, "malformed secret key: the key is not 32 bytes");
        return -1;
    }
    return 0;
}

ed_sops_keys *ed_sops_keys_new(void)
{
    return ed_xcalloc(1, sizeof(ed_sops_keys));
}

void ed_sops_keys_free(ed_sops_keys *k)
{
    if (!k)
        return;
    wipe_free(k->age, k->nage * 32);
    if (k->gnupg_home) { /* the private keys go with the home */
        ed_gpg_agent_stop(k->gnupg_home);
        ed_path_remove_tree(k->gnupg_home);
        free(k->gnupg_home);
    }
    free(k);
}

/* A GnuPG context on the keys' home. */
static gpgme_error_t gpg_context(const ed_sops_keys *k, gpgme_ctx_t *ctx)
{
    ed_gpg_ready();
    gpgme_error_t e = gpgme_new(ctx);
    if (!e)
        e = gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL, k->gnupg_home);
    if (!e)
        gpgme_set_pinentry_mode(*ctx, GPGME_PINENTRY_MODE_LOOPBACK);
    return e;
}

int ed_sops_keys_add_pgp(ed_sops_keys *k, const char *text, size_t len, ed_err *err)
{
    if (!k->gnupg_home) {
        /* (under $TMPDIR, or /tmp) */
        k->gnupg_home = ed_gpg_home_new(getenv("TMPDIR"), "eddy-sops");
        if (!k->gnupg_home)
            return ed_err_set(err, ED_ERROR, "failed to create a GnuPG home");
    }
    gpgme_ctx_t ctx = NULL;
    gpgme_data_t data = NULL;
    gpgme_error_t e = gpg_context(k, &ctx);
    if (!e)
        e = gpgme_data_new_from_mem(&data, text, len, 0);
    if (!e)
        e = gpgme_op_import(ctx, data);
    gpgme_import_result_t r = e ? NULL : gpgme_op_import_result(ctx);
    /* As Flux's `gpg --import`: armored data that holds no key fails with gpg's last words; a
     * public key alone imports (and opens nothing). */
    int rc = 0;
    if (e)
        rc =
            ed_err_set(err, ED_EINVALID, "failed to import armored key data into GnuPG keyring: %s",
                       gpgme_strerror(e));
    else if (!r || r->considered == 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "failed to import armored key data into GnuPG keyring: no valid OpenPGP "
                        "data found");
    else
        k->npgp += (size_t)(r->secret_imported + r->secret_unchanged);
    gpgme_data_release(data);
    gpgme_release(ctx);
    return rc;
}

/* The data key (or a Shamir part of it, at most 64 bytes: *len set) from a PGP recipient's
 * armored message (sops.pgp[].enc); err gets GnuPG's error text. */
static int pgp_data_key(const ed_sops_keys *k, const char *enc, unsigned char out[64], size_t *len,
                        ed_err *err)
{
    gpgme_ctx_t ctx = NULL;
    gpgme_data_t in = NULL, plain = NULL;
    gpgme_error_t e = gpg_context(k, &ctx);
    if (!e)
        e = gpgme_data_new_from_mem(&in, enc, strlen(enc), 0);
    if (!e)
        e = gpgme_data_new(&plain);
    if (!e)
        e = gpgme_op_decrypt(ctx, in, plain);
    int rc = 0;
    size_t n = 0;
    char *buf = plain && !e ? gpgme_data_release_and_get_mem(plain, &n) : NULL;
    if (!e && plain)
        plain = NULL; /* released above */
    if (e) {
        rc = ed_err_set(err, ED_EAUTH, "%s", gpgme_strerror(e));
    } else if (!buf || n == 0 || n > 64) {
        rc = ed_err_set(err, ED_EINVALID, "the decrypted data key is not a data key");
    } else {
        memcpy(out, buf, n);
        *len = n;
    }
    if (buf) {
        OPENSSL_cleanse(buf, n);
        gpgme_free(buf);
    }
    gpgme_data_release(plain);
    gpgme_data_release(in);
    gpgme_release(ctx);
    return rc;
}

size_t ed_sops_keys_count(const ed_sops_keys *k)
{
    return k ? k->nage + k->npgp : 0;
}

int ed_sops_keys_add_age(ed_sops_keys *k, const char *text, size_t len, ed_err *err)
{
    /* All or nothing: the identities go in once every line has been read. As sops reads them:
     * a line is one identity, an empty line or one starting with '#' is skipped, and nothing
     * else is trimmed (but a line's final CR, as Go's line scanner drops it). No identity at all
     * is no error: a decryption then fails naming the data key's recipients. */
    unsigned char(*found)[32] = NULL;
    size_t pos = 0, nfound = 0;
    int rc = 0;
    while (pos < len && !rc) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = pos, b = end;
        if (b > a && text[b - 1] == '\r')
            b--;
        pos = end + 1;
        if (a == b || text[a] == '#')
            continue;
        unsigned char scalar[32];
        char why[96];
        if (age_identity(text + a, b - a, scalar, why) != 0) {
            rc = ed_err_set(err, ED_EINVALID, "failed to parse and add to age identities: %s", why);
            break;
        }
        found = ed_xrealloc(found, (nfound + 1) * 32);
        memcpy(found[nfound++], scalar, 32);
        OPENSSL_cleanse(scalar, sizeof(scalar));
    }
    if (!rc && found) {
        k->age = ed_xrealloc(k->age, (k->nage + nfound) * 32);
        memcpy(k->age[k->nage], found, nfound * 32);
        k->nage += nfound;
    }
    wipe_free(found, nfound * 32);
    return rc;
}

/* ---- age files ---- */

/* The X25519 public key of a private scalar. */
static int x25519_public(const unsigned char priv[32], unsigned char pub[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    size_t n = 32;
    int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static int x25519(const unsigned char priv[32], const unsigned char peer[32], unsigned char out[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    size_t n = 32;
    int ok = ctx && p && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
             EVP_PKEY_derive(ctx, out, &n) == 1 && n == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    if (ok) { /* an all-zero secret is refused, as age does */
        unsigned char z = 0;
        for (int i = 0; i < 32; i++)
            z |= out[i];
        ok = z != 0;
    }
    return ok ? 0 : -1;
}

/* The text of an armored age file, unarmored (malloc'd, *len set), or NULL. */
static unsigned char *age_unarmor(const char *s, size_t n, size_t *len)
{
    static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
    static const char end[] = "-----END AGE ENCRYPTED FILE-----";
    const char *b = memmem(s, n, begin, sizeof(begin) - 1);
    if (!b)
        return NULL;
    b += sizeof(begin) - 1;
    const char *e = memmem(b, n - (size_t)(b - s), end, sizeof(end) - 1);
    if (!e)
        return NULL;
    char *body = ed_xmalloc((size_t)(e - b) + 1);
    size_t m = 0;
    for (const char *p = b; p < e; p++)
        if (!isspace((unsigned char)*p))
            body[m++] = *p;
    unsigned char *out = b64_decode(body, m, len);
    free(body);
    return out;
}

/* Decrypt an age file (binary) with the identities; *out the plaintext (malloc'd). */
static int age_decrypt(const unsigned char *f, size_t n, const ed_sops_keys *keys,
                       unsigned char **out, size_t *out_len, ed_err *err)
{
    static const char intro[] = "age-encryption.org/v1\n";
    if (n < sizeof(intro) - 1 || memcmp(f, intro, sizeof(intro) - 1) != 0)
        return ed_err_set(err, ED_EINVALID, "not an age file");
    size_t pos = sizeof(intro) - 1;
    unsigned char file_key[16];
    bool have_key = false;
    size_t mac_at = 0;
    /* Stanzas: "-> type args...\n" then base64 body lines of 64 columns, the last shorter. */
    while (pos < n) {
        const unsigned char *line = f + pos;
        const unsigned char *nl = memchr(line, '\n', n - pos);
        if (!nl)
            return ed_err_set(err, ED_EINVALID, "age header: unterminated line");
        size_t ll = (size_t)(nl - line);
        if (ll >= 3 && memcmp(line, "---", 3) == 0) {
            mac_at = pos;
            break;
        }
        if (ll < 3 || memcmp(line, "-> ", 3) != 0)
            return ed_err_set(err, ED_EINVALID, "age header: malformed stanza");
        char head[256];
        snprintf(head, sizeof(head), "%.*s", (int)(ll < 255 ? ll : 255), (const char *)line);
        pos += ll + 1;
        /* The body. */
        ed_buf body = ED_BUF_INIT((size_t)1 << 20);
        for (;;) {
            const unsigned char *bl = f + pos;
            const unsigned char *bnl = pos < n ? memchr(bl, '\n', n - pos) : NULL;
            if (!bnl) {
                ed_buf_free(&body);
                return ed_err_set(err, ED_EINVALID, "age header: unterminated stanza");
            }
            size_t bll = (size_t)(bnl - bl);
            ed_buf_append(&body, bl, bll);
            pos += bll + 1;
            if (bll < 64)
                break;
        }
        char share_b64[64] = "";
        if (!have_key && sscanf(head, "-> X25519 %63s", share_b64) == 1) {
            size_t sl = 0, wl = 0;
            unsigned char *share = b64_decode(share_b64, strlen(share_b64), &sl);
            unsigned char *wrapped = b64_decode(body.data ? body.data : "", body.len, &wl);
            for (size_t i = 0;
                 share && wrapped && sl == 32 && wl == 32 && i < keys->nage && !have_key; i++) {
                unsigned char pub[32], shared[32], salt[64], wrap_key[32];
                unsigned char zero_nonce[12] = {0};
                if (x25519_public(keys->age[i], pub) || x25519(keys->age[i], share, shared))
                    continue;
                memcpy(salt, share, 32);
                memcpy(salt + 32, pub, 32);
                if (hkdf(shared, 32, salt, 64, "age-encryption.org/v1/X25519", wrap_key, 32) == 0 &&
                    aead_open(EVP_chacha20_poly1305(), wrap_key, zero_nonce, 12, NULL, 0, wrapped,
                              32, 16, file_key) == 0)
                    have_key = true;
                OPENSSL_cleanse(shared, sizeof(shared));
                OPENSSL_cleanse(wrap_key, sizeof(wrap_key));
            }
            free(share);
            free(wrapped);
        }
        ed_buf_free(&body);
    }
    if (!mac_at)
        return ed_err_set(err, ED_EINVALID, "age header: no MAC");
    if (!have_key)
        return ed_err_set(err, ED_EAUTH, "no age identity matches a recipient of the data key");
    /* "--- <mac>\n": the MAC covers the header through "---". */
    const unsigned char *ml = f + mac_at;
    const unsigned char *mnl = memchr(ml, '\n', n - mac_at);
    size_t mll = (size_t)(mnl - ml);
    int rc = 0;
    unsigned char hmac_key[32], want[EVP_MAX_MD_SIZE];
    unsigned int want_len = 0;
    size_t got_len = 0;
    unsigned char *got =
        mll > 4 && ml[3] == ' ' ? b64_decode((const char *)ml + 4, mll - 4, &got_len) : NULL;
    if (hkdf(file_key, 16, NULL, 0, "header", hmac_key, 32) != 0 ||
        !HMAC(EVP_sha256(), hmac_key, 32, f, mac_at + 3, want, &want_len) || !got ||
        got_len != 32 || want_len != 32 || CRYPTO_memcmp(got, want, 32) != 0)
        rc = ed_err_set(err, ED_EINVALID, "age header MAC does not match");
    free(got);
    OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
    /* The payload: nonce, then chunks. */
    size_t p = mac_at + mll + 1;
    unsigned char payload_key[32];
    if (!rc && (n - p < 16 || hkdf(file_key, 16, f + p, 16, "payload", payload_key, 32) != 0))
        rc = ed_err_set(err, ED_EINVALID, "age payload: no nonce");
    OPENSSL_cleanse(file_key, sizeof(file_key));
    if (rc)
        return rc;
    p += 16;
    size_t total = n - p;
    unsigned char *plain = ed_xmalloc(total + 1);
    size_t plen = 0;
    uint64_t counter = 0;
    for (;;) {
        size_t left = n - p;
        size_t take = left > AGE_CHUNK + AGE_TAG ? AGE_CHUNK + AGE_TAG : left;
        bool last = take == left;
        unsigned char nonce[12] = {0};
        for (int i = 0; i < 8; i++)
            nonce[10 - i] = (unsigned char)(counter >> (8 * i));
        nonce[11] = last ? 1 : 0;
        if (take < AGE_TAG || (take == AGE_TAG && counter > 0) ||
            aead_open(EVP_chacha20_poly1305(), payload_key, nonce, 12, NULL, 0, f + p, take,
                      AGE_TAG, plain + plen) != 0) {
            rc = ed_err_set(err, ED_EINVALID, "age payload does not authenticate");
            break;
        }
        plen += take - AGE_TAG;
        p += take;
        counter++;
        if (last)
            break;
    }
    OPENSSL_cleanse(payload_key, sizeof(payload_key));
    if (rc) {
        wipe_free(plain, total + 1);
        return rc;
    }
    plain[plen] = '\0';
    *out = plain;
    *out_len = plen;
    return 0;
}

/* ---- SOPS ---- */

struct sops_ctx {
    ed_doc *doc;
    unsigned char key[32];
    ed_buf path;  /* "a:b:" of the node being visited */
    ed_buf where; /* "a.b" for messages */
    const char *subject;
    bool item;    /* the node being walked is a sequence's item */
    bool comment; /* the item just walked was a comment sops encrypted */
    /* a file's comments (NULL for an object): those of its text, decrypted in place, and
     * those sops wrote as sequence items, added */
    struct file_comments *fc;
};

struct file_comments {
    ed_yaml_comment *list;
    size_t n;
    int from, to; /* the lines of the document being decrypted */
};

static void comments_add(struct file_comments *fc, int line, int col, char *text)
{
    fc->list = ed_xrealloc(fc->list, (fc->n + 1) * sizeof(*fc->list));
    fc->list[fc->n++] = (ed_yaml_comment){.line = line, .col = col, .text = text};
}

/* An ENC[...] value taken apart. */
struct enc {
    unsigned char *data, *iv, *tag;
    size_t data_len, iv_len, tag_len;
    char type[16];
};

static void enc_free(struct enc *e)
{
    free(e->data);
    free(e->iv);
    free(e->tag);
}

/* Parse "ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]"; false when s is not one. */
static bool enc_parse(const char *s, struct enc *e)
{
    memset(e, 0, sizeof(*e));
    size_t n = strlen(s);
    if (n < 16 || strncmp(s, "ENC[AES256_GCM,", 15) != 0 || s[n - 1] != ']')
        return false;
    const char *p = s + 15, *end = s + n - 1;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *fe = comma ? comma : end;
        const char *colon = memchr(p, ':', (size_t)(fe - p));
        if (!colon)
            goto bad;
        size_t kl = (size_t)(colon - p), vl = (size_t)(fe - colon - 1);
        const char *v = colon + 1;
        unsigned char **field = NULL;
        size_t *field_len = NULL;
        if (kl == 4 && memcmp(p, "data", 4) == 0) {
            field = &e->data;
            field_len = &e->data_len;
        } else if (kl == 2 && memcmp(p, "iv", 2) == 0) {
            field = &e->iv;
            field_len = &e->iv_len;
        } else if (kl == 3 && memcmp(p, "tag", 3) == 0) {
            field = &e->tag;
            field_len = &e->tag_len;
        } else if (kl == 4 && memcmp(p, "type", 4) == 0 && vl < sizeof(e->type)) {
            snprintf(e->type, sizeof(e->type), "%.*s", (int)vl, v);
        }
        if (field) {
            if (*field) /* twice */
                goto bad;
            *field = b64_decode(v, vl, field_len);
        }
        p = fe + 1;
    }
    if (e->data && e->iv && e->tag && e->tag_len == 16 && e->iv_len > 0 && e->type[0])
        return true;
bad:
    enc_free(e);
    return false;
}

/* Decrypt one ENC value with aad; *plain malloc'd (NUL-terminated). */
static int enc_open(const struct sops_ctx *c, const struct enc *e, const char *aad, size_t aad_len,
                    char **plain)
{
    size_t n = e->data_len;
    unsigned char *in = ed_xmalloc(n + 16);
    memcpy(in, e->data, n);
    memcpy(in + n, e->tag, 16);
    char *out = ed_xmalloc(n + 1);
    int rc = aead_open(EVP_aes_256_gcm(), c->key, e->iv, e->iv_len, (const unsigned char *)aad,
                       aad_len, in, n + 16, 16, (unsigned char *)out);
    free(in);
    if (rc) {
        wipe_free(out, n + 1);
        return -1;
    }
    out[n] = '\0';
    *plain = out;
    return 0;
}

/* A typed node for a decrypted plaintext of SOPS type t. */
static ed_node *typed(ed_doc *d, const char *t, const char *plain, bool *ok)
{
    *ok = true;
    if (strcmp(t, "str") == 0 || strcmp(t, "bytes") == 0 || strcmp(t, "time") == 0)
        return ed_node_new_str(d, plain);
    if (strcmp(t, "int") == 0 || strcmp(t, "int64") == 0) {
        char *end;
        long long v = strtoll(plain, &end, 10);
        if (*plain && !*end)
            return ed_node_new_int(d, v);
    } else if (strcmp(t, "float") == 0) {
        char *end;
        double v = strtod(plain, &end);
        if (*plain && !*end)
            return ed_node_new_float(d, v, plain);
    } else if (strcmp(t, "bool") == 0) {
        if (strcmp(plain, "true") == 0 || strcmp(plain, "True") == 0 ||
            strcmp(plain, "TRUE") == 0 || strcmp(plain, "1") == 0 || strcmp(plain, "t") == 0 ||
            strcmp(plain, "T") == 0)
            return ed_node_new_bool(d, true);
        if (strcmp(plain, "false") == 0 || strcmp(plain, "False") == 0 ||
            strcmp(plain, "FALSE") == 0 || strcmp(plain, "0") == 0 || strcmp(plain, "f") == 0 ||
            strcmp(plain, "F") == 0)
            return ed_node_new_bool(d, false);
    }
    *ok = false;
    return NULL;
}

/* Walk node (the value at c->path), decrypting ENC values in place (*slot replaced). */
static int walk(struct sops_ctx *c, ed_node *node, ed_node **replace, ed_err *err)
{
    *replace = NULL;
    ed_node_kind k = ed_node_kind_of(node);
    if (k == ED_NODE_MAP) {
        for (size_t i = 0; i < ed_node_len(node); i++) {
            const char *key = ed_node_key_at(node, i);
            size_t pl = c->path.len, wl = c->where.len;
            ed_buf_printf(&c->path, "%s:", key);
            ed_buf_printf(&c->where, "%s%s", wl ? "." : "", key);
            ed_node *r = NULL;
            c->item = false;
            int rc = walk(c, ed_node_value_at(node, i), &r, err);
            if (!rc && r)
                ed_node_set(c->doc, node, key, r);
            c->path.len = pl;
            c->path.data[pl] = '\0';
            c->where.len = wl;
            c->where.data[wl] = '\0';
            if (rc)
                return rc;
        }
        return 0;
    }
    if (k == ED_NODE_SEQ) {
        /* sops writes a comment among a sequence's items as an item of type comment: once it
         * decrypts, it is a comment again, no item (sops's YAML store; the plain text keeps no
         * comments, as eddy's YAML model has none) */
        for (size_t i = 0, n = 0; i < ed_node_len(node); n++) {
            size_t wl = c->where.len;
            ed_buf_printf(&c->where, "[%zu]", n);
            ed_node *r = NULL;
            c->comment = false;
            c->item = true;
            int rc = walk(c, ed_node_at(node, i), &r, err);
            c->where.len = wl;
            c->where.data[wl] = '\0';
            if (rc)
                return rc;
            if (c->comment) {
                ed_node_remove_at(node, i);
                continue;
            }
            if (r) {
                ed_node_take_place(r, ed_node_at(node, i)); /* where its comments go */
                ed_node_set_at(node, i, r);
            }
            i++;
        }
        return 0;
    }
    const char *s = ed_node_str(node);
    struct enc e;
    if (!s || !enc_parse(s, &e))
        return 0; /* in clear (an `_unencrypted` key, or what kustomize added) */
    char *plain = NULL;
    if (enc_open(c, &e, c->path.data ? c->path.data : "", c->path.len, &plain) != 0) {
        enc_free(&e);
        return ed_err_set(err, ED_EINVALID, "%s: the value of '%s' does not decrypt", c->subject,
                          c->where.data ? c->where.data : "");
    }
    if (c->item && strcmp(e.type, "comment") == 0) {
        enc_free(&e);
        if (c->fc) /* a comment line at the item's dash */
            comments_add(c->fc, ed_node_line(node), ed_node_col(node) - 2, plain);
        else
            wipe_free(plain, strlen(plain) + 1);
        c->comment = true;
        return 0;
    }
    bool ok;
    ed_node *v = typed(c->doc, e.type, plain, &ok);
    enc_free(&e);
    if (!ok) {
        wipe_free(plain, strlen(plain) + 1);
        return ed_err_set(err, ED_EINVALID, "%s: the value of '%s' is not of its type", c->subject,
                          c->where.data ? c->where.data : "");
    }
    wipe_free(plain, strlen(plain) + 1);
    *replace = v;
    return 0;
}

bool ed_sops_is_encrypted(const ed_node *obj)
{
    const ed_node *m = ed_node_get(obj, "sops");
    return ed_node_kind_of(m) == ED_NODE_MAP && ed_node_get(m, "mac") != NULL;
}

/* wordwrap at a line's end: the pending space and word; space alone only when it fits. */
static void end_line(ed_buf *out, const ed_buf *space, const ed_buf *word, bool space_fits)
{
    if (word->len || space_fits)
        ed_buf_append(out, space->data, space->len);
    if (word->len)
        ed_buf_append(out, word->data, word->len);
}

/* Go's wordwrap.WrapString (sops wraps its messages with it): s into out, broken at spaces so
 * that no line passes lim characters unless one word does; the space at a break is dropped.
 * ASCII white space only, as sops's texts have; a character is a UTF-8 code point. */
static void wordwrap(const char *s, size_t lim, ed_buf *out)
{
    size_t current = 0, word_len = 0, space_len = 0;
    ed_buf word = ED_BUF_INIT((size_t)1 << 20), space = ED_BUF_INIT((size_t)1 << 20);
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        bool continuation = (ch & 0xC0) == 0x80; /* inside a code point: not a character */
        if (ch == '\n') {
            end_line(out, &space, &word, current + space_len <= lim);
            ed_buf_reset(&space);
            ed_buf_reset(&word);
            space_len = word_len = 0;
            ed_buf_append(out, "\n", 1);
            current = 0;
        } else if (ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r') {
            if (space.len == 0 || word.len > 0) {
                current += space_len + word_len;
                ed_buf_append(out, space.data, space.len);
                ed_buf_append(out, word.data, word.len);
                ed_buf_reset(&space);
                ed_buf_reset(&word);
                space_len = word_len = 0;
            }
            ed_buf_append(&space, p, 1);
            space_len++;
        } else {
            ed_buf_append(&word, p, 1);
            if (continuation)
                continue;
            word_len++;
            if (current + word_len + space_len > lim && word_len < lim) {
                ed_buf_append(out, "\n", 1);
                current = 0;
                ed_buf_reset(&space);
                space_len = 0;
            }
        }
    }
    end_line(out, &space, &word, current + space_len <= lim);
    ed_buf_free(&word);
    ed_buf_free(&space);
    ed_buf_append(out, "", 0);
}

/* Every line of s (an empty one too, none after a final line feed) after prefix, into out. */
static void prefix_lines(const char *s, const char *prefix, ed_buf *out)
{
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        ed_buf_append_str(out, prefix);
        ed_buf_append(out, s, n);
        s += n;
    }
    ed_buf_append(out, "", 0);
}

/* ---- the data key: sops's key groups, and its report when none opens ---- */

/* A key group's part of the data key: the key itself with one group, a Shamir share (the key's
 * bytes then the share's x coordinate) with several. */
#define PART_MAX 64

/* One master key of a group, as sops's report shows it after it failed: "<name>: FAILED", then
 * the error wrapped at 60 columns behind "- | " and "  | ", all indented by two. */
static void key_failure(const char *name, const char *why, ed_buf *out)
{
    ed_buf wrapped = ED_BUF_INIT((size_t)1 << 20), item = ED_BUF_INIT((size_t)1 << 20);
    wordwrap(why, 60, &wrapped);
    prefix_lines(wrapped.data, "  | ", &item);
    item.data[0] = '-';
    ed_buf_printf(out, "%s: FAILED\n", name);
    prefix_lines(item.data, "  ", out);
    ed_buf_free(&wrapped);
    ed_buf_free(&item);
}

/* The data key (or part) of an age recipient's enc; why gets sops's words when none opens it. */
static int age_part(const char *enc, const ed_sops_keys *keys, unsigned char part[PART_MAX],
                    size_t *len, char **why)
{
    if (keys->nage == 0) {
        /* sops then looks for identities in its process's environment and home; eddy reads
         * none there (a deliberate difference, README "SOPS decryption") */
        *why = ed_xstrdup("failed to load age identities: the decryption Secret holds no age "
                          "identity (a '.agekey' entry)");
        return -1;
    }
    size_t fl = 0, pl = 0;
    unsigned char *file = enc ? age_unarmor(enc, strlen(enc), &fl) : NULL;
    unsigned char *plain = NULL;
    if (!file) {
        *why = ed_xstrdup("failed to create reader for decrypting sops data key with age: "
                          "the encrypted data key is not an armored age file");
        return -1;
    }
    ed_err aerr = ED_ERR_INIT;
    int rc = age_decrypt(file, fl, keys, &plain, &pl, &aerr);
    free(file);
    if (rc == ED_EAUTH) {
        /* age's NoIdentityMatchError: one error per identity tried */
        *why = ed_xasprintf("failed to create reader for decrypting sops data key with age: %s",
                            keys->nage == 1 ? "identity did not match any of the recipients: "
                                              "incorrect identity for recipient block"
                                            : "no identity matched any of the recipients");
        return -1;
    }
    if (rc) {
        *why = ed_xasprintf("failed to create reader for decrypting sops data key with age: %s",
                            aerr.msg);
        return -1;
    }
    if (pl == 0 || pl > PART_MAX) {
        wipe_free(plain, pl + 1);
        *why = ed_xstrdup("the decrypted data key is not a data key");
        return -1;
    }
    memcpy(part, plain, pl);
    *len = pl;
    wipe_free(plain, pl + 1);
    return 0;
}

/* The data key (or part) of a PGP recipient's enc; why gets the error when none opens it. */
static int pgp_part(const char *enc, const ed_sops_keys *keys, unsigned char part[PART_MAX],
                    size_t *len, char **why)
{
    ed_err perr = ED_ERR_INIT;
    if (keys->gnupg_home && enc && pgp_data_key(keys, enc, part, len, &perr) == 0)
        return 0;
    /* sops's words around GnuPG's (whose own lines eddy does not have: gpgme gives its error
     * code's text, a deliberate difference, README "SOPS decryption") */
    *why = ed_xasprintf("could not decrypt data key with PGP key: GnuPG binary error: failed to "
                        "decrypt sops data key with pgp: %s",
                        keys->gnupg_home ? perr.msg : "No secret key");
    return -1;
}

/* One key group (a mapping of recipient lists) tried as sops tries it: age recipients, then PGP
 * (its DefaultDecryptionOrder), then the others, which eddy cannot use; the first that opens
 * gives the part. On failure report gets the group's account (each key's failure). */
static int group_part(const ed_node *group, const ed_sops_keys *keys, unsigned char part[PART_MAX],
                      size_t *len, ed_buf *report)
{
    static const char *const types[] = {"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"};
    static const char *const names[] = {"recipient",   "fp",        "arn",
                                        "resource_id", "vault_url", "vault_address"};
    ed_buf keys_report = ED_BUF_INIT((size_t)1 << 20);
    int rc = -1;
    size_t tried = 0;
    for (size_t t = 0; t < sizeof(types) / sizeof(*types) && rc != 0; t++) {
        const ed_node *list = ed_node_get(group, types[t]);
        for (size_t i = 0; i < ed_node_len(list) && rc != 0; i++) {
            const ed_node *key = ed_node_at(list, i);
            const char *enc = ed_node_str(ed_node_get(key, "enc"));
            const char *name = ed_node_str(ed_node_get(key, names[t]));
            char *why = NULL;
            if (t == 0)
                rc = age_part(enc, keys, part, len, &why);
            else if (t == 1)
                rc = pgp_part(enc, keys, part, len, &why);
            else
                why = ed_xasprintf("eddy decrypts with age and PGP keys only, not %s", types[t]);
            if (rc != 0) {
                if (tried++)
                    ed_buf_append_str(&keys_report, "\n\n");
                key_failure(name ? name : "", why ? why : "", &keys_report);
            }
            free(why);
        }
    }
    if (rc != 0)
        prefix_lines(keys_report.data ? keys_report.data : "", "  ", report);
    ed_buf_free(&keys_report);
    return rc;
}

/* GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (AES's field, as sops's Shamir sharing uses). */
static unsigned char gf_mul(unsigned char a, unsigned char b)
{
    unsigned char acc = 0;
    for (int i = 7; i >= 0; i--) {
        acc = (unsigned char)((acc << 1) ^ ((acc & 0x80) ? 0x1b : 0));
        if ((b >> i) & 1)
            acc ^= a;
    }
    return acc;
}

static unsigned char gf_inv(unsigned char a)
{
    unsigned char r = 1; /* a^254 = a^-1 (and 0 for 0) */
    for (int i = 0; i < 254; i++)
        r = gf_mul(r, a);
    return r;
}

/* sops's shamir.Combine: the secret (len - 1 bytes) whose shares are parts[0..n) (len bytes each,
 * the last one the share's x), by Lagrange interpolation at 0; NULL, and *why, when the parts
 * cannot give one. */
static int shamir_combine(unsigned char (*parts)[PART_MAX], size_t n, size_t len,
                          unsigned char *secret, const char **why)
{
    if (n < 2) {
        *why = "less than two parts cannot be used to reconstruct the secret";
        return -1;
    }
    if (len < 2) {
        *why = "parts must be at least two bytes";
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (parts[i][len - 1] == parts[j][len - 1]) {
                *why = "duplicate part detected";
                return -1;
            }
    for (size_t b = 0; b + 1 < len; b++) {
        unsigned char v = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char basis = 1, xi = parts[i][len - 1];
            for (size_t j = 0; j < n; j++) {
                if (i == j)
                    continue;
                unsigned char xj = parts[j][len - 1];
                basis = gf_mul(basis, gf_mul(xj, gf_inv((unsigned char)(xi ^ xj))));
            }
            v ^= gf_mul(parts[i][b], basis);
        }
        secret[b] = v;
    }
    return 0;
}

/* The data key, as sops's GetDataKey finds it: each key group (sops.key_groups, or the one group
 * of the recipient lists in sops itself) gives a part, and with several groups at least
 * shamir_threshold parts are combined. When that fails, err is sops's report (its
 * getDataKeyError's UserError, which Flux's message quotes): each group's SUCCESS or FAILED
 * with its keys' errors, then the trailer wrapped at 75 columns. */
static int data_key(const ed_node *meta, const ed_sops_keys *keys, unsigned char out[32],
                    ed_err *err)
{
    const ed_node *groups = ed_node_get(meta, "key_groups");
    size_t ngroups = ed_node_len(groups) > 0 ? ed_node_len(groups) : 1;
    if (ngroups > 64)
        return ed_err_set(err, ED_EINVALID, "sops.key_groups: more than 64 groups");
    int64_t threshold = 0;
    ed_node_int(ed_node_get(meta, "shamir_threshold"), &threshold);
    unsigned char(*parts)[PART_MAX] = ed_xcalloc(ngroups, PART_MAX);
    size_t nparts = 0, part_len = 0;
    ed_buf report = ED_BUF_INIT(ED_ERR_MSG_MAX);
    ed_buf_append_str(&report, "Failed to get the data key required to decrypt the SOPS file.\n\n");
    for (size_t g = 0; g < ngroups; g++) {
        const ed_node *group = ed_node_len(groups) > 0 ? ed_node_at(groups, g) : meta;
        ed_buf account = ED_BUF_INIT((size_t)1 << 20);
        size_t len = 0;
        int rc = group_part(group, keys, parts[nparts], &len, &account);
        ed_buf_printf(&report, "%sGroup %zu: %s%s", g ? "\n\n" : "", g, rc ? "FAILED\n" : "SUCCESS",
                      rc && account.data ? account.data : "");
        ed_buf_free(&account);
        if (rc == 0) {
            part_len = nparts == 0 ? len : part_len;
            nparts++;
            if (len != part_len) {
                OPENSSL_cleanse(parts, ngroups * PART_MAX);
                free(parts);
                ed_buf_free(&report);
                return ed_err_set(err, ED_EINVALID,
                                  "could not get data key from shamir parts: "
                                  "all parts must be the same length");
            }
        }
    }
    int rc = 0;
    bool enough = ngroups > 1 ? (int64_t)nparts >= threshold : nparts == 1;
    if (!enough) {
        char *trailer =
            threshold == 0
                ? ed_xstrdup("Recovery failed because no master key was able to decrypt the file. "
                             "In order for SOPS to recover the file, at least one key has to be "
                             "successful, but none were.")
                : ed_xasprintf(
                      "Recovery failed because the file was encrypted with a Shamir threshold of "
                      "%lld, but only %zu part(s) were successfully recovered, one for each "
                      "successful key group. In order for SOPS to recover the file, at least %lld "
                      "groups have to be successful. In order for a group to be successful, "
                      "decryption has to succeed with any of the keys in that key group.",
                      (long long)threshold, nparts, (long long)threshold);
        ed_buf_append_str(&report, "\n\n");
        wordwrap(trailer, 75, &report);
        free(trailer);
        rc = ed_err_set(err, ED_EAUTH, "%s", report.data ? report.data : "");
    } else if (ngroups > 1) {
        unsigned char key[PART_MAX];
        const char *why = NULL;
        if (shamir_combine(parts, nparts, part_len, key, &why) != 0)
            rc = ed_err_set(err, ED_EINVALID, "could not get data key from shamir parts: %s", why);
        else if (part_len != 33)
            rc = ed_err_set(err, ED_EINVALID, "the data key is not 32 bytes");
        else
            memcpy(out, key, 32);
        OPENSSL_cleanse(key, sizeof(key));
    } else if (part_len != 32) {
        rc = ed_err_set(err, ED_EINVALID, "the data key is not 32 bytes");
    } else {
        memcpy(out, parts[0], 32);
    }
    OPENSSL_cleanse(parts, ngroups * PART_MAX);
    free(parts);
    ed_buf_free(&report);
    return rc;
}

/* The additional data each container of node (at path, "a:b:") gives what it holds: sops's
 * path of a comment there ("" at the top is ":"). */
static void container_paths(const ed_node *node, ed_buf *path, char ***out, size_t *n, int depth)
{
    ed_node_kind k = ed_node_kind_of(node);
    if ((k != ED_NODE_MAP && k != ED_NODE_SEQ) || depth > ED_DOC_MAX_DEPTH)
        return;
    *out = ed_xrealloc(*out, (*n + 1) * sizeof(char *));
    (*out)[(*n)++] = ed_xstrdup(path->len ? path->data : ":");
    for (size_t i = 0; i < ed_node_len(node); i++) {
        size_t pl = path->len;
        if (k == ED_NODE_MAP) {
            if (depth == 0 && strcmp(ed_node_key_at(node, i), "sops") == 0)
                continue;
            ed_buf_printf(path, "%s:", ed_node_key_at(node, i));
        }
        container_paths(k == ED_NODE_MAP ? ed_node_value_at(node, i) : ed_node_at(node, i), path,
                        out, n, depth + 1);
        path->len = pl;
        if (path->data)
            path->data[pl] = '\0';
    }
}

/* Decrypt the encrypted comments of fc in the document's lines with the data key of c: each
 * under the path of the container it stands in, which sops gave it as additional data (the one
 * of root's containers whose path opens it). One that opens under none stays as written, as
 * sops keeps a comment it cannot decrypt. */
static void decrypt_comments(struct sops_ctx *c, const ed_node *root, struct file_comments *fc)
{
    char **paths = NULL;
    size_t np = 0;
    ed_buf path = ED_BUF_INIT((size_t)1 << 20);
    container_paths(root, &path, &paths, &np, 0);
    ed_buf_free(&path);
    for (size_t i = 0; i < fc->n; i++) {
        ed_yaml_comment *cm = &fc->list[i];
        struct enc e;
        if (cm->line < fc->from || cm->line >= fc->to || !enc_parse(cm->text, &e))
            continue;
        char *plain = NULL;
        for (size_t k = 0; k < np && !plain; k++)
            if (enc_open(c, &e, paths[k], strlen(paths[k]), &plain) != 0)
                plain = NULL;
        enc_free(&e);
        if (plain) {
            wipe_free(cm->text, strlen(cm->text) + 1);
            cm->text = plain;
        }
    }
    for (size_t k = 0; k < np; k++)
        free(paths[k]);
    free(paths);
}

static int decrypt_tree(ed_doc *doc, ed_node *root, const char *subject, const ed_sops_keys *keys,
                        struct file_comments *fc, ed_err *err)
{
    ed_node *meta = ed_node_get(root, "sops");
    struct sops_ctx c = {.doc = doc, .subject = subject, .fc = fc};
    c.path = (ed_buf)ED_BUF_INIT((size_t)1 << 20);
    c.where = (ed_buf)ED_BUF_INIT((size_t)1 << 20);
    int rc = data_key(meta, keys, c.key, err);
    if (rc) {
        ed_err_wrap(err, "cannot get sops data key");
        return rc;
    }
    /* Everything but the metadata, in document order. */
    for (size_t i = 0; !rc && i < ed_node_len(root); i++) {
        const char *key = ed_node_key_at(root, i);
        if (strcmp(key, "sops") == 0)
            continue;
        ed_buf_printf(&c.path, "%s:", key);
        ed_buf_printf(&c.where, "%s", key);
        ed_node *r = NULL;
        c.item = false;
        rc = walk(&c, ed_node_value_at(root, i), &r, err);
        if (!rc && r)
            ed_node_set(doc, root, key, r);
        c.path.len = c.where.len = 0;
        if (c.path.data)
            c.path.data[0] = '\0';
        if (c.where.data)
            c.where.data[0] = '\0';
    }
    if (!rc && fc)
        decrypt_comments(&c, root, fc);
    OPENSSL_cleanse(c.key, sizeof(c.key));
    ed_buf_free(&c.path);
    ed_buf_free(&c.where);
    if (!rc)
        ed_node_remove(root, "sops");
    return rc;
}

int ed_sops_decrypt(ed_doc *doc, ed_node *root, const char *subject, const ed_sops_keys *keys,
                    ed_err *err)
{
    return decrypt_tree(doc, root, subject, keys, NULL, err);
}

static int comment_order(const void *a, const void *b)
{
    const ed_yaml_comment *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

/* A YAML file decrypted into out as sops's YAML store writes it, its comments (decrypted)
 * where they stood. */
static int decrypt_yaml(const char *path, const char *data, size_t len, const char *subject,
                        const ed_sops_keys *keys, ed_buf *out, ed_err *err)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    struct file_comments fc = {0};
    int *starts = NULL;
    size_t nstarts = 0;
    int rc = ed_doc_parse_yaml(data, len, path, &docs, &n, err);
    if (!rc)
        rc = ed_yaml_comments(data, len, &fc.list, &fc.n, &starts, &nstarts, err);
    for (size_t i = 0; !rc && i < n; i++) {
        /* the document's lines: from its "---" (or the top) to the next document's */
        const ed_node *top = ed_doc_root(docs[i]);
        fc.from = 0;
        fc.to = INT_MAX;
        for (size_t k = 0; k < nstarts; k++) {
            if (starts[k] <= ed_node_line(top))
                fc.from = starts[k];
            else if (starts[k] < fc.to)
                fc.to = starts[k];
        }
        if (ed_sops_is_encrypted(ed_doc_root(docs[i])))
            rc = decrypt_tree(docs[i], ed_doc_root(docs[i]), subject, keys, &fc, err);
    }
    if (!rc) {
        if (fc.n > 1)
            qsort(fc.list, fc.n, sizeof(*fc.list), comment_order);
        if ((rc = ed_doc_list_to_yaml_sops(docs, n, fc.list, fc.n, starts, nstarts, out)) != 0)
            ed_err_set(err, rc, "%s: the decrypted document cannot be written as YAML", subject);
    }
    for (size_t i = 0; i < fc.n; i++)
        OPENSSL_cleanse(fc.list[i].text, strlen(fc.list[i].text));
    ed_yaml_comments_free(fc.list, fc.n);
    free(starts);
    ed_doc_list_free(docs, n);
    return rc;
}

/* ---- encrypted files read by secretGenerator ---- */

enum file_format {
    FMT_BINARY,
    FMT_DOTENV,
    FMT_YAML,
    FMT_JSON,
    FMT_INI
};

/* sops's format for a path (its extension), envs files defaulting to dotenv. */
static enum file_format format_of(const char *path, bool env)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t pl = strlen(path), dl = strlen(".dockerconfigjson");
    if (pl >= dl && strcmp(path + pl - dl, ".dockerconfigjson") == 0)
        return FMT_JSON; /* a registry Secret's key: JSON whatever comes before it (Flux) */
    if (dot && (!slash || dot > slash)) {
        if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)
            return FMT_YAML;
        if (strcmp(dot, ".json") == 0)
            return FMT_JSON;
        if (strcmp(dot, ".env") == 0)
            return FMT_DOTENV;
        if (strcmp(dot, ".ini") == 0)
            return FMT_INI;
    }
    return env ? FMT_DOTENV : FMT_BINARY;
}

/* Replace every "\\n" (backslash, n) of s by a line feed, in place. */
static void unescape_newlines(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* A flattened SOPS metadata key of a dotenv or INI file ("age__list_0__map_enc", after the
 * dotenv's "sops_") set into meta. Only what decryption reads is kept: the age and PGP keys'
 * fields, mac and lastmodified. */
static void dotenv_meta(ed_doc *d, ed_node *meta, const char *key, const char *value)
{
    unsigned idx;
    char field[32], type[4];
    if (sscanf(key, "%3[agep]__list_%u__map_%31s", type, &idx, field) == 3 && idx < 64 &&
        (strcmp(type, "age") == 0 || strcmp(type, "pgp") == 0)) {
        ed_node *list = ed_node_get(meta, type);
        if (!list) {
            list = ed_node_new_seq(d);
            ed_node_set(d, meta, type, list);
        }
        while (ed_node_len(list) <= idx)
            ed_node_append(d, list, ed_node_new_map(d));
        ed_node_set(d, ed_node_at(list, idx), field, ed_node_new_str(d, value));
    } else if (strcmp(key, "mac") == 0 || strcmp(key, "lastmodified") == 0) {
        ed_node_set(d, meta, key, ed_node_new_str(d, value));
    }
}

/* Decrypt a dotenv file: KEY=ENC[...] lines (the value's path is "KEY:"), the metadata in
 * sops_* lines; out: the same lines decrypted, without the metadata, comments kept. */
static int decrypt_dotenv(const char *data, size_t len, const char *subject,
                          const ed_sops_keys *keys, ed_buf *out, ed_err *err)
{
    ed_doc *d = ed_doc_new();
    ed_node *root = ed_node_new_map(d), *meta = ed_node_new_map(d);
    ed_doc_set_root(d, root);
    ed_buf comments = ED_BUF_INIT((size_t)16 << 20);
    size_t pos = 0;
    int rc = 0;
    while (pos < len && !rc) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        if (ll == 0)
            continue;
        char *text = ed_xstrndup(line, ll);
        size_t tl = strlen(text); /* (less than ll when the line holds a NUL) */
        char *eq = strchr(text, '=');
        if (text[0] == '#') {
            ed_buf_printf(&comments, "%s\n", text); /* kept as written, ahead of the values */
        } else if (!eq) {
            rc = ed_err_set(err, ED_EINVALID, "%s: invalid dotenv input line %.40s", subject, text);
        } else {
            *eq = '\0';
            unescape_newlines(eq + 1);
            if (strncmp(text, "sops_", 5) == 0)
                dotenv_meta(d, meta, text + 5, eq + 1);
            else
                ed_node_set(d, root, text, ed_node_new_str(d, eq + 1));
        }
        OPENSSL_cleanse(text, tl);
        free(text);
    }
    if (!rc) {
        ed_node_set(d, root, "sops", meta);
        rc = ed_sops_decrypt(d, root, subject, keys, err);
    }
    if (!rc) {
        ed_buf_append(out, comments.data ? comments.data : "", comments.len);
        for (size_t i = 0; i < ed_node_len(root); i++) {
            const char *v = ed_node_str(ed_node_value_at(root, i));
            ed_buf_printf(out, "%s=", ed_node_key_at(root, i));
            for (const char *c = v ? v : ""; *c; c++) /* line feeds written back as "\n" */
                ed_buf_append(out, *c == '\n' ? "\\n" : c, *c == '\n' ? 2 : 1);
            ed_buf_append_str(out, "\n");
        }
    }
    ed_buf_free(&comments);
    ed_doc_free(d);
    return rc;
}

/* ---- INI files, as sops's INI store reads and writes them (gopkg.in/ini.v1) ---- */

/*
 * sops reads an INI file with go-ini's default options and writes it back with go-ini's
 * writer; both are reproduced here because the decrypted bytes must be those Flux's Secret
 * holds. A file is a list of sections, the first the unnamed "DEFAULT" (keys before any
 * header); each section has a comment (the comment lines above its header, and one after the
 * ']') and keys in order, each with the comment lines above it (and an inline one after its
 * value). A repeated section or key is the first one again, its value and comment replaced.
 * sops's own metadata is the section [sops], its keys flattened as in dotenv files.
 */
struct ini_key {
    char *name, *value, *comment;
};

struct ini_section {
    char *name, *comment;
    struct ini_key *keys;
    size_t nkeys;
};

struct ini_file {
    struct ini_section *secs;
    size_t nsecs;
    const char *data; /* the text being read, and where the reader is */
    size_t len, pos;
    bool eof;
    ed_buf comment; /* comment lines read since the last key or header */
};

static void ini_free(struct ini_file *f)
{
    for (size_t s = 0; s < f->nsecs; s++) {
        struct ini_section *sec = &f->secs[s];
        for (size_t k = 0; k < sec->nkeys; k++) {
            free(sec->keys[k].name);
            if (sec->keys[k].value)
                OPENSSL_cleanse(sec->keys[k].value, strlen(sec->keys[k].value));
            free(sec->keys[k].value);
            if (sec->keys[k].comment)
                OPENSSL_cleanse(sec->keys[k].comment, strlen(sec->keys[k].comment));
            free(sec->keys[k].comment);
        }
        free(sec->keys);
        free(sec->name);
        if (sec->comment)
            OPENSSL_cleanse(sec->comment, strlen(sec->comment));
        free(sec->comment);
    }
    free(f->secs);
    ed_buf_free(&f->comment);
}

static struct ini_section *ini_section(struct ini_file *f, const char *name, size_t n)
{
    for (size_t s = 0; s < f->nsecs; s++)
        if (strlen(f->secs[s].name) == n && memcmp(f->secs[s].name, name, n) == 0)
            return &f->secs[s];
    f->secs = ed_xrealloc(f->secs, (f->nsecs + 1) * sizeof(*f->secs));
    struct ini_section *sec = &f->secs[f->nsecs++];
    *sec = (struct ini_section){.name = ed_xstrndup(name, n)};
    return sec;
}

/* The key name of sec, created empty at the end when it is new. */
static struct ini_key *ini_key(struct ini_section *sec, const char *name)
{
    for (size_t k = 0; k < sec->nkeys; k++)
        if (strcmp(sec->keys[k].name, name) == 0)
            return &sec->keys[k];
    sec->keys = ed_xrealloc(sec->keys, (sec->nkeys + 1) * sizeof(*sec->keys));
    struct ini_key *key = &sec->keys[sec->nkeys++];
    *key = (struct ini_key){.name = ed_xstrdup(name)};
    return key;
}

static bool ini_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Is the UTF-8 code point of len bytes at s white space as Go's unicode.IsSpace says (beyond
 * ASCII: U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000)? */
static bool unicode_space(const unsigned char *s, size_t len)
{
    if (len == 1)
        return ini_space((char)s[0]);
    if (len == 2)
        return s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0);
    if (len != 3)
        return false;
    unsigned cp = ((unsigned)(s[0] & 0x0F) << 12) | ((unsigned)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* The length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* A copy of s[0..n) without the white space at both ends (Go's strings.TrimSpace, Unicode's
 * white space included, as go-ini trims). */
static char *trim_dup(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t l; n && (l = utf8_len(*u)) <= n && unicode_space(u, l);) {
        u += l;
        n -= l;
    }
    while (n) {
        /* the last code point: back over continuation bytes */
        size_t l = 1;
        while (l < n && l < 4 && (u[n - l] & 0xC0) == 0x80)
            l++;
        if (utf8_len(u[n - l]) != l || !unicode_space(u + n - l, l))
            break;
        n -= l;
    }
    return ed_xstrndup((const char *)u, n);
}

/* The next line, its line feed included (*n bytes); eof set when none follows it. */
static const char *ini_line(struct ini_file *f, size_t *n)
{
    const char *line = f->data + f->pos;
    const char *nl = memchr(line, '\n', f->len - f->pos);
    *n = nl ? (size_t)(nl - line) + 1 : f->len - f->pos;
    f->pos += *n;
    f->eof = !nl;
    return line;
}

/* The last occurrence of needle in s[0..n), or NULL. */
static const char *last_of(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = n >= nl ? n - nl + 1 : 0; i-- > 0;)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

/* The first of the bytes in set in s[0..n), or NULL. */
static const char *first_of(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (strchr(set, s[i]) && s[i])
            return s + i;
    return NULL;
}

/* A value quoted with q (""" or `) that its line does not close: the lines up to the one that
 * does, line feeds kept (go-ini's readMultilines). */
static int ini_multiline(struct ini_file *f, ed_buf *val, const char *q, ed_err *err)
{
    for (;;) {
        if (f->eof)
            return ed_err_set(err, ED_EINVALID, "missing closing quote %s of a value", q);
        size_t n;
        const char *next = ini_line(f, &n);
        const char *at = last_of(next, n, q);
        if (at) {
            const char *rest = at + strlen(q), *end = next + n;
            while (end > rest && ini_space(end[-1]))
                end--;
            if (end > rest && end[-1] == '\\') { /* a continuation after the quote */
                ed_buf_append(val, next, n);
                continue;
            }
            ed_buf_append(val, next, (size_t)(at - next));
            const char *c = first_of(at, (size_t)(next + n - at), "#;");
            if (c) {
                char *t = trim_dup(c, (size_t)(next + n - c));
                ed_buf_append_str(&f->comment, t);
                free(t);
            }
            return 0;
        }
        ed_buf_append(val, next, n);
    }
}

/* The value after a key's delimiter (go-ini's readValue with its default options): quoted with
 * """ or ` (over several lines if need be), or trimmed, continued on the next lines after a
 * trailing backslash, cut at an inline comment (kept as the key's), without surrounding '' or
 * "". */
static int ini_value(struct ini_file *f, const char *s, size_t n, ed_buf *val, ed_err *err)
{
    while (n && ini_space(*s)) {
        s++;
        n--;
    }
    if (!n)
        return 0;
    const char *q = n > 3 && memcmp(s, "\"\"\"", 3) == 0 ? "\"\"\"" : s[0] == '`' ? "`" : NULL;
    if (q) {
        size_t ql = strlen(q);
        const char *at = last_of(s + ql, n - ql, q);
        if (at)
            return ed_buf_append(val, s + ql, (size_t)(at - s - ql));
        ed_buf_append(val, s + ql, n - ql);
        return ini_multiline(f, val, q, err);
    }
    while (n && ini_space(s[n - 1]))
        n--;
    if (s[n - 1] == '\\') {
        ed_buf_append(val, s, n - 1);
        while (!f->eof) {
            size_t ln;
            const char *next = ini_line(f, &ln);
            char *t = trim_dup(next, ln);
            size_t tl = strlen(t);
            ed_buf_append(val, t, tl);
            free(t);
            if (!tl)
                break;
            if (val->data[val->len - 1] != '\\')
                break;
            val->data[--val->len] = '\0';
        }
        return 0;
    }
    const char *c = first_of(s, n, "#;");
    if (c) {
        ed_buf_append(&f->comment, c, (size_t)(s + n - c));
        n = (size_t)(c - s);
        while (n && ini_space(s[n - 1]))
            n--;
    }
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0] &&
        !memchr(s + 1, s[0], n - 2)) {
        s++;
        n -= 2;
    }
    return ed_buf_append(val, s, n);
}

/* How much of a line a message quotes: up to its line break, at most 80 bytes. */
static int line_width(const char *line, size_t n)
{
    size_t w = 0;
    while (w < n && w < 80 && line[w] != '\n' && line[w] != '\r')
        w++;
    return (int)w;
}

/* The comment read so far, trimmed, and the reader's comment emptied. */
static char *take_comment(struct ini_file *f)
{
    char *c = trim_dup(f->comment.data ? f->comment.data : "", f->comment.len);
    if (f->comment.data)
        OPENSSL_cleanse(f->comment.data, f->comment.len);
    ed_buf_reset(&f->comment);
    return c;
}

/* Read data into f (go-ini's parse with its default options). ED_EINVALID with go-ini's reason
 * for a line it cannot read. */
static int ini_parse(struct ini_file *f, const char *data, size_t len, ed_err *err)
{
    *f = (struct ini_file){.data = data, .len = len};
    f->comment = (ed_buf)ED_BUF_INIT((size_t)16 << 20);
    const unsigned char *u = (const unsigned char *)data;
    if (len >= 2 && ((u[0] == 0xfe && u[1] == 0xff) || (u[0] == 0xff && u[1] == 0xfe)))
        f->pos = 2;
    else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
        f->pos = 3;
    ini_section(f, "DEFAULT", 7);
    size_t sec_index = 0; /* where keys go (f->secs moves as sections are added) */
    unsigned count = 1;
    int rc = 0;
    while (!f->eof && !rc && f->pos <= f->len) {
        if (f->pos == f->len) {
            f->eof = true;
            break;
        }
        size_t n;
        const char *line = ini_line(f, &n);
        while (n && ini_space(*line)) {
            line++;
            n--;
        }
        if (!n)
            continue;
        if (line[0] == '#' || line[0] == ';') {
            ed_buf_append(&f->comment, line, n);
            continue;
        }
        if (line[0] == '[') {
            const char *close = last_of(line, n, "]");
            if (!close || close == line + 1) {
                rc = close ? ed_err_set(err, ED_EINVALID, "empty section name")
                           : ed_err_set(err, ED_EINVALID, "unclosed section: %.*s",
                                        line_width(line, n), line);
                break;
            }
            struct ini_section *sec = ini_section(f, line + 1, (size_t)(close - line - 1));
            sec_index = (size_t)(sec - f->secs);
            const char *c = first_of(close + 1, (size_t)(line + n - close - 1), "#;");
            if (c)
                ed_buf_append(&f->comment, c, (size_t)(line + n - c));
            free(sec->comment);
            sec->comment = take_comment(f);
            count = 1;
            continue;
        }
        /* the key's name: quoted with """, " or `, or up to the first '=' or ':' */
        const char *q = line[0] == '`'                            ? "`"
                        : n > 6 && memcmp(line, "\"\"\"", 3) == 0 ? "\"\"\""
                        : line[0] == '"'                          ? "\""
                                                                  : NULL;
        const char *name_start = line, *name_end, *after;
        if (q) {
            size_t ql = strlen(q);
            const char *close = memmem(line + ql, n - ql, q, ql);
            const char *delim =
                close ? first_of(close + ql, (size_t)(line + n - close - ql), "=:") : NULL;
            if (!close || !delim) {
                rc = ed_err_set(err, ED_EINVALID, "%s: %.*s",
                                close ? "key-value delimiter not found"
                                      : "missing closing key quote",
                                line_width(line, n), line);
                break;
            }
            name_start = line + ql;
            name_end = close;
            after = delim + 1;
        } else {
            const char *delim = first_of(line, n, "=:");
            if (!delim || delim == line) {
                rc = ed_err_set(err, ED_EINVALID, "%s: %.*s",
                                delim ? "empty key name" : "key-value delimiter not found",
                                line_width(line, n), line);
                break;
            }
            name_end = delim;
            after = delim + 1;
        }
        char *name = trim_dup(name_start, (size_t)(name_end - name_start));
        if (strcmp(name, "-") == 0) { /* an auto-increment key */
            free(name);
            name = ed_xasprintf("#%u", count++);
        }
        ed_buf val = ED_BUF_INIT((size_t)64 << 20);
        rc = ini_value(f, after, (size_t)(line + n - after), &val, err);
        if (!rc && !name[0])
            rc = ed_err_set(err, ED_EINVALID, "error creating new key: empty key name");
        if (!rc) {
            struct ini_key *key = ini_key(&f->secs[sec_index], name);
            if (key->value)
                OPENSSL_cleanse(key->value, strlen(key->value));
            free(key->value);
            key->value = val.data ? ed_buf_take(&val) : ed_xstrdup("");
            free(key->comment);
            key->comment = take_comment(f);
        }
        if (val.data)
            OPENSSL_cleanse(val.data, val.len);
        ed_buf_free(&val);
        free(name);
    }
    return rc;
}

/* sops's stripCommentChar: a comment without its leading ';' or '#' and the spaces after. */
static void strip_comment_char(char *c)
{
    if (c[0] != ';' && c[0] != '#')
        return;
    size_t i = strspn(c, c[0] == ';' ? "; " : "# ");
    memmove(c, c + i, strlen(c + i) + 1);
}

/* go-ini's writer: the comment's lines, each given "; " unless it starts with '#' or ';'
 * (whose marker then takes one space and the rest trimmed). A line that is empty makes go-ini
 * panic, which fails the decryption in Flux: -1. */
static int write_comment(ed_buf *out, const char *c, bool trim)
{
    while (*c) {
        size_t n = strcspn(c, "\n");
        if (n == 0)
            return -1;
        if (c[0] == '#' || c[0] == ';') {
            char *rest = trim_dup(c + 1, n - 1);
            ed_buf_printf(out, "%c %s\n", c[0], rest);
            free(rest);
        } else if (trim) {
            char *t = trim_dup(c, n);
            ed_buf_printf(out, "; %s\n", t);
            free(t);
        } else {
            ed_buf_printf(out, "; %.*s\n", (int)n, c);
        }
        c += n;
        if (*c == '\n' && *++c == '\0')
            return -1; /* a last empty line */
    }
    return 0;
}

/* A key's name as go-ini writes it: in backquotes when it holds '"', '=' or ':', in """ when
 * it holds a backquote. */
static char *ini_key_name(const char *name)
{
    if (strpbrk(name, "\"=:"))
        return ed_xasprintf("`%s`", name);
    if (strchr(name, '`'))
        return ed_xasprintf("\"\"\"%s\"\"\"", name);
    return ed_xstrdup(name);
}

/* The decrypted file as go-ini writes it (sops's encodeTree then WriteTo): the DEFAULT
 * section's keys without a header (nothing when it has none), each other section after its
 * header, one empty line between sections, each section's '=' aligned after its longest key,
 * a value in """ when it holds a line feed or a backquote, in backquotes when it holds '#' or
 * ';', in double quotes when it starts or ends with white space. */
static int ini_write(const struct ini_file *f, const struct ini_section *skip, ed_buf *out)
{
    size_t last = 0;
    for (size_t s = 0; s < f->nsecs; s++)
        if (&f->secs[s] != skip)
            last = s;
    for (size_t s = 0; s < f->nsecs; s++) {
        const struct ini_section *sec = &f->secs[s];
        if (sec == skip)
            continue;
        if (sec->comment && sec->comment[0] && write_comment(out, sec->comment, false) != 0)
            return -1;
        if (s > 0)
            ed_buf_printf(out, "[%s]\n", sec->name);
        else if (!sec->nkeys)
            continue;
        size_t align = 0;
        char **names = ed_xcalloc(sec->nkeys + 1, sizeof(*names));
        for (size_t k = 0; k < sec->nkeys; k++) {
            names[k] = ini_key_name(sec->keys[k].name);
            align = strlen(names[k]) > align ? strlen(names[k]) : align;
        }
        int rc = 0;
        for (size_t k = 0; k < sec->nkeys && !rc; k++) {
            const struct ini_key *key = &sec->keys[k];
            if (key->comment && key->comment[0])
                rc = write_comment(out, key->comment, true);
            const char *v = key->value ? key->value : "";
            size_t vl = strlen(v);
            const char *q = strpbrk(v, "\n`")                                 ? "\"\"\""
                            : strpbrk(v, "#;")                                ? "`"
                            : vl && (ini_space(v[0]) || ini_space(v[vl - 1])) ? "\""
                                                                              : "";
            ed_buf_printf(out, "%s%*s = %s%s%s\n", names[k], (int)(align - strlen(names[k])), "", q,
                          v, q);
        }
        for (size_t k = 0; k < sec->nkeys; k++)
            free(names[k]);
        free(names);
        if (rc)
            return rc;
        if (s != last)
            ed_buf_append_str(out, "\n");
    }
    return 0;
}

/* Decrypt an INI file: the data key from its [sops] section, then every ENC[...] value (its
 * path "section:key:") and comment (its path "section:"; one that does not decrypt stays as it
 * is, as sops keeps it); out: the file as sops writes it decrypted, without [sops]. */
static int decrypt_ini(const char *data, size_t len, const char *subject, const ed_sops_keys *keys,
                       ed_buf *out, ed_err *err)
{
    struct ini_file f;
    int rc = ini_parse(&f, data, len, err);
    if (rc) {
        ed_err_wrap(err, "%s: cannot read the INI file", subject);
        ini_free(&f);
        return rc;
    }
    struct ini_section *meta_sec = NULL;
    for (size_t s = 0; s < f.nsecs && !meta_sec; s++)
        if (strcmp(f.secs[s].name, "sops") == 0)
            meta_sec = &f.secs[s];
    ed_doc *d = ed_doc_new();
    ed_node *meta = ed_node_new_map(d);
    ed_doc_set_root(d, meta);
    for (size_t k = 0; meta_sec && k < meta_sec->nkeys; k++) {
        char *v = ed_xstrdup(meta_sec->keys[k].value);
        unescape_newlines(v);
        dotenv_meta(d, meta, meta_sec->keys[k].name, v);
        free(v);
    }
    struct sops_ctx c = {.doc = d, .subject = subject};
    if (!meta_sec) {
        rc = ed_err_set(err, ED_EINVALID, "%s: no [sops] section", subject);
    } else if ((rc = data_key(meta, keys, c.key, err)) != 0) {
        ed_err_wrap(err, "cannot get sops data key");
    }
    for (size_t s = 0; s < f.nsecs && !rc; s++) {
        struct ini_section *sec = &f.secs[s];
        if (sec == meta_sec)
            continue;
        char *aad = ed_xasprintf("%s:", sec->name);
        /* the section's comment, then each key's value and comment */
        for (size_t k = 0; k <= sec->nkeys && !rc; k++) {
            char **slots[2] = {k == sec->nkeys ? &sec->comment : &sec->keys[k].comment,
                               k == sec->nkeys ? NULL : &sec->keys[k].value};
            for (int i = 0; i < 2 && !rc; i++) {
                if (!slots[i] || !*slots[i])
                    continue;
                if (i == 0)
                    strip_comment_char(*slots[i]);
                struct enc e;
                if (!enc_parse(*slots[i], &e))
                    continue;
                char *kaad = i ? ed_xasprintf("%s%s:", aad, sec->keys[k].name) : ed_xstrdup(aad);
                char *plain = NULL;
                if (enc_open(&c, &e, kaad, strlen(kaad), &plain) == 0) {
                    OPENSSL_cleanse(*slots[i], strlen(*slots[i]));
                    free(*slots[i]);
                    *slots[i] = plain;
                } else if (i) {
                    rc = ed_err_set(err, ED_EINVALID, "%s: the value of '%s.%s' does not decrypt",
                                    subject, sec->name, sec->keys[k].name);
                }
                free(kaad);
                enc_free(&e);
            }
        }
        free(aad);
    }
    OPENSSL_cleanse(c.key, sizeof(c.key));
    if (!rc && ini_write(&f, meta_sec, out) != 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "%s: a decrypted comment holds an empty line, which sops cannot write",
                        subject);
    ed_doc_free(d);
    ini_free(&f);
    return rc;
}

/* What SOPS metadata looks like in each format (kustomize-controller's markers), by
 * enum file_format. */
static const char *const markers[] = {"\"mac\": \"ENC[", "sops_mac=ENC[", "mac: ENC[",
                                      "\"mac\": \"ENC[", "[sops]"};

bool ed_sops_text_is_encrypted(const char *data, size_t len)
{
    for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++)
        if (memmem(data, len, markers[m], strlen(markers[m])))
            return true;
    return false;
}

/* Compact JSON in, into out as sops's JSON store writes a plain file: Go's json.Marshal escapes
 * in strings ('<', '>', '&', U+2028 and U+2029 as \u escapes), then Go's json.Indent with a tab
 * (an empty object or array stays "{}" / "[]", ": " after a key), then a line feed. 0, or
 * ED_ETOOBIG at out's cap. */
static int json_indent(const char *in, size_t n, ed_buf *out)
{
    size_t depth = 0;
    bool in_string = false;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char c = in[i];
        const unsigned char *u = (const unsigned char *)in + i;
        if (in_string) {
            if (c == '\\' && i + 1 < n) {
                rc = ed_buf_append(out, in + i, 2);
                i++;
            } else if (c == '<' || c == '>' || c == '&') {
                rc = ed_buf_printf(out, "\\u%04x", (unsigned)c);
            } else if (u[0] == 0xe2 && i + 2 < n && u[1] == 0x80 &&
                       (u[2] == 0xa8 || u[2] == 0xa9)) {
                rc = ed_buf_printf(out, "\\u%04x", u[2] == 0xa8 ? 0x2028u : 0x2029u);
                i += 2;
            } else {
                in_string = c != '"';
                rc = ed_buf_append(out, &c, 1);
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            rc = ed_buf_append(out, &c, 1);
            break;
        case '{':
        case '[':
            if (i + 1 < n && (in[i + 1] == (c == '{' ? '}' : ']'))) {
                rc = ed_buf_append(out, c == '{' ? "{}" : "[]", 2);
                i++;
                break;
            }
            depth++;
            rc = ed_buf_append(out, &c, 1);
            rc = rc ? rc : ed_buf_append(out, "\n", 1);
            for (size_t d = 0; d < depth && !rc; d++)
                rc = ed_buf_append(out, "\t", 1);
            break;
        case '}':
        case ']':
            depth = depth ? depth - 1 : 0;
            rc = ed_buf_append(out, "\n", 1);
            for (size_t d = 0; d < depth && !rc; d++)
                rc = ed_buf_append(out, "\t", 1);
            rc = rc ? rc : ed_buf_append(out, &c, 1);
            break;
        case ',':
            rc = ed_buf_append(out, ",\n", 2);
            for (size_t d = 0; d < depth && !rc; d++)
                rc = ed_buf_append(out, "\t", 1);
            break;
        case ':':
            rc = ed_buf_append(out, ": ", 2);
            break;
        default:
            rc = ed_buf_append(out, &c, 1);
            break;
        }
    }
    return rc ? rc : ed_buf_append(out, "\n", 1);
}

int ed_sops_decrypt_file(const char *path, bool env, const char *data, size_t len,
                         const ed_sops_keys *keys, char **out, size_t *out_len, ed_err *err)
{
    *out = NULL;
    *out_len = 0;
    enum file_format f = format_of(path, env);
    if (!memmem(data, len, markers[f], strlen(markers[f])))
        return 0; /* not encrypted: as it is */
    char subject[600];
    snprintf(subject, sizeof(subject), "file '%s'", path);
    ed_buf b = ED_BUF_INIT((size_t)64 << 20);
    int rc = 0;
    if (f == FMT_DOTENV) {
        rc = decrypt_dotenv(data, len, subject, keys, &b, err);
    } else if (f == FMT_INI) {
        rc = decrypt_ini(data, len, subject, keys, &b, err);
    } else if (f == FMT_YAML) {
        rc = decrypt_yaml(path, data, len, subject, keys, &b, err);
    } else { /* JSON, and binary: a JSON envelope whose `data` is the file */
        ed_doc *doc = NULL;
        rc = ed_doc_parse_json(data, len, &doc, err);
        if (!rc)
            rc = ed_sops_decrypt(doc, ed_doc_root(doc), subject, keys, err);
        if (!rc && f == FMT_JSON) {
            ed_buf compact = ED_BUF_INIT((size_t)64 << 20);
            if ((rc = ed_node_to_json(ed_doc_root(doc), &compact)) != 0)
                ed_err_set(err, rc, "%s: the decrypted document cannot be written as JSON",
                           subject);
            else if ((rc = json_indent(compact.data ? compact.data : "", compact.len, &b)) != 0)
                ed_err_set(err, rc, "%s: the decrypted file is too large", subject);
            if (compact.data)
                OPENSSL_cleanse(compact.data, compact.len);
            ed_buf_free(&compact);
        } else if (!rc) {
            const char *v = ed_node_str(ed_node_get(ed_doc_root(doc), "data"));
            rc = v ? ed_buf_append_str(&b, v)
                   : ed_err_set(err, ED_EINVALID, "%s: no `data` in the binary envelope", subject);
            if (rc && v)
                ed_err_set(err, rc, "%s: the decrypted file is too large", subject);
        }
        ed_doc_free(doc);
    }
    if (rc) {
        if (b.data)
            OPENSSL_cleanse(b.data, b.len);
        ed_buf_free(&b);
        return rc;
    }
    *out_len = b.len;
    *out = b.data ? b.data : ed_xstrdup("");
    return 0;
}
