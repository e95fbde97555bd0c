/*
 * Who the remote is and how eddy proves who it is: URL parsing and the cache key, Flux's
 * revision strings, and the credential and certificate callbacks of a fetch, fed from a Flux
 * Secret's data (source-controller's `secretRef`):
 *
 *   username (+ password) HTTP basic auth (an empty password when there is none; a password
 *                         without a username is refused, as Flux does)
 *   bearerToken           an `Authorization: Bearer` header (username and password are then
 *                         not used, as in Flux)
 *   ca.crt (or caFile)    the CA that must have signed the HTTPS server's certificate, checked
 *                         here with OpenSSL: libgit2's own CA setting is process-wide, and every
 *                         GitRepository has its own CA; Flux's older key caFile is read when
 *                         ca.crt is absent
 *   identity, known_hosts SSH, both required: the private key (from memory, optionally
 *   (+ password)          encrypted with `password`) and the host keys to trust; an unknown
 *                         host is refused
 *
 * Nothing from the Secret ever reaches an error message.
 */
#include "source_int.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- URLs ---- */

static char *lower_ndup(const char *s, size_t n)
{
    char *out = ed_xstrndup(s, n);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

static int default_port(const char *scheme)
{
    if (strcmp(scheme, "http") == 0)
        return 80;
    if (strcmp(scheme, "https") == 0)
        return 443;
    if (strcmp(scheme, "ssh") == 0)
        return 22;
    if (strcmp(scheme, "git") == 0)
        return 9418;
    return 0;
}

void ed_source_url_clear(ed_source_url *u)
{
    free(u->scheme);
    free(u->user);
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof(*u));
}

/*
 * git's scp-like syntax, "[user@]host:path" (a ':' before any '/'): SSH on port 22, the path
 * relative to the login's home unless it starts with '/' or '~'. Submodules are often given so
 * ("git@github.com:org/lib.git"); go-git reads them as Flux's submodule clone does. The path
 * is kept as an ssh:// URL would say the same place ("/~/org/lib.git", git's own spelling), so
 * the cache key of "host:repo" is not that of "ssh://host/repo".
 */
static int parse_scp(const char *url, ed_source_url *out, ed_err *err)
{
    /* user: up to the last '@' before the host ("[" opens a bracketed IPv6 address). */
    const char *at = NULL, *q = url;
    for (; *q && *q != ':' && *q != '/' && *q != '['; q++)
        if (*q == '@')
            at = q;
    const char *host = at ? at + 1 : url, *colon;
    size_t hlen;
    if (*host == '[') {
        const char *rb = strchr(host, ']');
        if (!rb || rb[1] != ':')
            goto bad;
        colon = rb + 1;
        hlen = (size_t)(rb - host - 1);
        host++;
    } else {
        colon = host + strcspn(host, ":/");
        hlen = (size_t)(colon - host);
    }
    if (*colon != ':' || !colon[1] || hlen == 0)
        goto bad;
    out->scheme = ed_xstrdup("ssh");
    if (at && at > url)
        out->user = ed_xstrndup(url, (size_t)(at - url));
    out->host = lower_ndup(host, hlen);
    out->port = default_port("ssh");
    const char *path = colon + 1;
    out->path = path[0] == '/'   ? ed_xstrdup(path)
                : path[0] == '~' ? ed_xasprintf("/%s", path)
                                 : ed_xasprintf("/~/%s", path);
    return 0;
bad:
    return ed_err_set(err, ED_EINVALID,
                      "invalid URL: a scheme (http, https, ssh, git) is required");
}

int ed_source_url_parse(const char *url, ed_source_url *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    const char *sep = strstr(url, "://");
    if (!sep)
        return parse_scp(url, out, err);
    if (sep == url)
        return ed_err_set(err, ED_EINVALID,
                          "invalid URL: a scheme (http, https, ssh, git) is required");
    out->scheme = lower_ndup(url, (size_t)(sep - url));
    if (strcmp(out->scheme, "file") == 0) {
        out->host = ed_xstrdup("");
        out->path = ed_xstrdup(sep + 3);
        if (out->path[0] != '/')
            goto bad;
        return 0;
    }
    if (default_port(out->scheme) == 0) {
        ed_err_set(err, ED_EINVALID, "invalid URL: unsupported scheme '%s'", out->scheme);
        ed_source_url_clear(out);
        return ED_EINVALID;
    }
    const char *auth = sep + 3;
    const char *slash = strchr(auth, '/');
    const char *end = slash ? slash : auth + strlen(auth);
    /* userinfo is everything before the last '@' of the authority. */
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = (size_t)((colon ? colon : at) - auth);
        if (ulen > 0)
            out->user = ed_xstrndup(auth, ulen);
        auth = at + 1;
    }
    const char *hend;
    if (*auth == '[') {
        const char *rb = memchr(auth, ']', (size_t)(end - auth));
        if (!rb)
            goto bad;
        out->host = lower_ndup(auth + 1, (size_t)(rb - auth - 1));
        hend = rb + 1;
    } else {
        hend = memchr(auth, ':', (size_t)(end - auth));
        if (!hend)
            hend = end;
        out->host = lower_ndup(auth, (size_t)(hend - auth));
    }
    if (out->host[0] == '\0')
        goto bad;
    out->port = default_port(out->scheme);
    if (hend < end && *hend == ':' && hend + 1 < end) {
        long port = 0;
        for (const char *p = hend + 1; p < end; p++) {
            if (!isdigit((unsigned char)*p) || port > 65535)
                goto bad;
            port = port * 10 + (*p - '0');
        }
        if (port < 1 || port > 65535)
            goto bad;
        out->port = (int)port;
    } else if (hend < end && *hend != ':') {
        goto bad;
    }
    out->path = ed_xstrdup(slash ? slash : "/");
    return 0;
bad:
    ed_source_url_clear(out);
    ed_err_set(err, ED_EINVALID, "invalid URL: cannot parse host, port or path");
    return ED_EINVALID;
}

int ed_source_url_normalize(const char *url, char **out, ed_err *err)
{
    ed_source_url u;
    int rc = ed_source_url_parse(url, &u, err);
    if (rc != 0)
        return rc;
    size_t plen = strlen(u.path);
    while (plen > 1 && u.path[plen - 1] == '/')
        u.path[--plen] = '\0';
    bool v6 = strchr(u.host, ':') != NULL;
    char port[16] = "";
    if (u.port != default_port(u.scheme))
        snprintf(port, sizeof(port), ":%d", u.port);
    *out = ed_xasprintf("%s://%s%s%s%s%s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "", port,
                        u.path);
    ed_source_url_clear(&u);
    return 0;
}

char *ed_source_url_display(const char *url)
{
    const char *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url;
    const char *end = auth + strcspn(auth, "/");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return ed_xstrdup(url);
    /* The user stays (ssh://git@host/...), the password goes. */
    return ed_xasprintf("%.*s%s", (int)(colon - url), url, at);
}

/* ---- revisions ---- */

void ed_source_revision_format(const char *ref, bool keep_full, const char *hex, char *out,
                               size_t n)
{
    if (!ref) {
        snprintf(out, n, "sha1:%s", hex);
        return;
    }
    const char *shortref = ref;
    if (!keep_full && ed_str_has_prefix(ref, "refs/")) {
        const char *second = strchr(ref + 5, '/');
        if (second)
            shortref = second + 1;
    }
    snprintf(out, n, "%s@sha1:%s", shortref, hex);
}

/* ---- known_hosts ---- */

/* Decode base64 (n chars) into out (capacity cap). Returns the length, or -1. */
static int base64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    size_t len = 0;
    unsigned char *dec = n ? ed_base64_decode(in, n, 0, &len) : NULL;
    int rc = dec && len <= cap ? (int)len : -1;
    if (rc > 0)
        memcpy(out, dec, len);
    free(dec);
    return rc;
}

/* True when the hashed entry "|1|salt|hash" names host_pattern. */
static bool hashed_host_matches(const char *entry, size_t n, const char *host_pattern)
{
    if (n < 3 || memcmp(entry, "|1|", 3) != 0)
        return false;
    const char *salt = entry + 3;
    const char *bar = memchr(salt, '|', n - 3);
    if (!bar)
        return false;
    unsigned char salt_raw[64], hash_raw[64], mac[EVP_MAX_MD_SIZE];
    int salt_len = base64_decode(salt, (size_t)(bar - salt), salt_raw, sizeof(salt_raw));
    int hash_len =
        base64_decode(bar + 1, (size_t)(entry + n - bar - 1), hash_raw, sizeof(hash_raw));
    if (salt_len <= 0 || hash_len != 20)
        return false;
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), salt_raw, salt_len, (const unsigned char *)host_pattern,
              strlen(host_pattern), mac, &mac_len) ||
        mac_len != 20)
        return false;
    return CRYPTO_memcmp(mac, hash_raw, 20) == 0;
}

/* True when the host field (comma-separated patterns or one hashed entry) names host_pattern. */
static bool host_field_matches(const char *field, size_t n, const char *host_pattern)
{
    if (n >= 3 && memcmp(field, "|1|", 3) == 0)
        return hashed_host_matches(field, n, host_pattern);
    size_t i = 0;
    bool matched = false;
    while (i < n) {
        const char *comma = memchr(field + i, ',', n - i);
        size_t end = comma ? (size_t)(comma - field) : n;
        const char *pat = field + i;
        size_t plen = end - i;
        bool negated = plen > 0 && pat[0] == '!';
        if (negated) {
            pat++;
            plen--;
        }
        if (plen == strlen(host_pattern) && strncasecmp(pat, host_pattern, plen) == 0) {
            if (negated)
                return false;
            matched = true;
        }
        i = end + 1;
    }
    return matched;
}

/* The next whitespace-separated field of the line [*p, end), or false at the end. */
static bool next_field(const char **p, const char *end, const char **f, size_t *n)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    if (*p >= end)
        return false;
    *f = *p;
    while (*p < end && **p != ' ' && **p != '\t')
        (*p)++;
    *n = (size_t)(*p - *f);
    return true;
}

int ed_source_known_hosts_check(const char *known_hosts, size_t len, const char *host, int port,
                                const unsigned char *key, size_t key_len)
{
    char host_pattern[300];
    if (port == 22 || port == 0)
        snprintf(host_pattern, sizeof(host_pattern), "%s", host);
    else
        snprintf(host_pattern, sizeof(host_pattern), "[%s]:%d", host, port);
    bool named = false, accepted = false;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(known_hosts + i, '\n', len - i);
        const char *end = nl ? nl : known_hosts + len;
        const char *p = known_hosts + i;
        i = (size_t)(end - known_hosts) + 1;
        while (end > p && end[-1] == '\r')
            end--;
        const char *f;
        size_t n;
        if (!next_field(&p, end, &f, &n) || f[0] == '#')
            continue;
        bool revoked = false;
        if (f[0] == '@') {
            if (n != 8 || memcmp(f, "@revoked", 8) != 0)
                continue; /* @cert-authority: host certificates are not supported */
            revoked = true;
            if (!next_field(&p, end, &f, &n))
                continue;
        }
        if (!host_field_matches(f, n, host_pattern))
            continue;
        const char *type, *b64;
        size_t type_len, b64_len;
        if (!next_field(&p, end, &type, &type_len) || !next_field(&p, end, &b64, &b64_len))
            continue;
        named = true;
        unsigned char blob[2048];
        int blob_len = base64_decode(b64, b64_len, blob, sizeof(blob));
        if (blob_len <= 0 || (size_t)blob_len != key_len || memcmp(blob, key, key_len) != 0)
            continue;
        if (revoked)
            return ED_EAUTH;
        accepted = true;
    }
    if (accepted)
        return 0;
    return named ? ED_EAUTH : ED_ENOTFOUND;
}

/* ---- secrets and callbacks ---- */

const char *ed_source_secret_get(const ed_source_secret_entry *secret, size_t n, const char *key,
                                 size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(secret[i].key, key) == 0) {
            if (len)
                *len = secret[i].len;
            return secret[i].value;
        }
    }
    return NULL;
}

void ed_source_secret_free_str(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* The text between "-----BEGIN <label>-----" and the "-----END" after it in key, or NULL. */
static const char *pem_body(const char *key, size_t len, const char *label, size_t *n)
{
    char begin[64];
    snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    const char *b = memmem(key, len, begin, strlen(begin));
    if (!b)
        return NULL;
    b += strlen(begin);
    const char *e = memmem(b, (size_t)(key + len - b), "-----END", 8);
    if (!e)
        return NULL;
    *n = (size_t)(e - b);
    return b;
}

bool ed_source_ssh_key_encrypted(const char *key, size_t len)
{
    size_t n = 0;
    if (pem_body(key, len, "ENCRYPTED PRIVATE KEY", &n)) /* PKCS#8 */
        return true;
    const char *body = pem_body(key, len, "OPENSSH PRIVATE KEY", &n);
    if (!body) /* the older PEM formats say it in a header */
        return memmem(key, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
    /* openssh-key-v1: the magic "openssh-key-v1\0", then the cipher's name as an SSH string
     * (a 32-bit big-endian length, the bytes): "none" when the key is in the clear. */
    static const char magic[] = "openssh-key-v1";
    size_t dlen = 0;
    unsigned char *d = ed_base64_decode(body, n, ED_BASE64_LINES, &dlen);
    bool encrypted = false;
    if (d && dlen >= sizeof(magic) + 4 && memcmp(d, magic, sizeof(magic)) == 0) {
        const unsigned char *p = d + sizeof(magic);
        size_t clen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        encrypted =
            clen <= dlen - sizeof(magic) - 4 && !(clen == 4 && memcmp(p + 4, "none", 4) == 0);
    }
    free(d);
    return encrypted;
}

static char *secret_dup(const ed_source_auth *auth, const char *key)
{
    size_t len = 0;
    const char *v = ed_source_secret_get(auth->secret, auth->secret_len, key, &len);
    return v ? ed_xstrndup(v, len) : NULL;
}

int ed_source_auth_init(ed_source_auth *auth, const char *url, const ed_source_secret_entry *secret,
                        size_t secret_len, const ed_source_secret_entry *proxy, size_t proxy_len,
                        bool ssh_agent, ed_err *err)
{
    memset(auth, 0, sizeof(*auth));
    auth->ssh_agent = ssh_agent;
    auth->secret = secret;
    auth->secret_len = secret_len;
    auth->proxy = proxy;
    auth->proxy_len = proxy_len;
    int rc = ed_source_url_parse(url, &auth->url, err);
    if (rc != 0)
        return rc;
    bool crt = ed_source_secret_get(secret, secret_len, "tls.crt", NULL) != NULL;
    bool key = ed_source_secret_get(secret, secret_len, "tls.key", NULL) != NULL;
    if (crt != key)
        return ed_err_set(err, ED_EAUTH,
                          "invalid secret: 'tls.crt' and 'tls.key' go together (found only '%s')",
                          crt ? "tls.crt" : "tls.key");
    if (proxy && !ed_source_secret_get(proxy, proxy_len, "address", NULL))
        return ed_err_set(err, ED_EAUTH, "invalid proxy secret: 'address' is required");
    size_t tlen = 0;
    const char *token = ed_source_secret_get(secret, secret_len, "bearerToken", &tlen);
    if (token) {
        if (memchr(token, '\n', tlen) || memchr(token, '\r', tlen))
            return ed_err_set(err, ED_EINVALID, "invalid 'bearerToken' in secret: line break");
        auth->header_value = ed_xasprintf("Authorization: Bearer %.*s", (int)tlen, token);
        auth->headers.strings = &auth->header_value;
        auth->headers.count = 1;
    }
    /* Flux's AuthOptions.Validate, with its messages. */
    if (strcmp(auth->url.scheme, "ssh") == 0) {
        const char *keys[] = {"identity", "known_hosts"};
        for (int i = ssh_agent ? 1 : 0; i < 2; i++)
            if (!ed_source_secret_get(secret, secret_len, keys[i], NULL))
                return ed_err_set(err, ED_EAUTH, "invalid 'ssh' auth option: '%s' is required",
                                  keys[i]);
        /* Without a password libssh2 fails on such a key with no message at all. */
        size_t ilen = 0;
        const char *identity = ed_source_secret_get(secret, secret_len, "identity", &ilen);
        if (identity && !ed_source_secret_get(secret, secret_len, "password", NULL) &&
            ed_source_ssh_key_encrypted(identity, ilen))
            return ed_err_set(err, ED_EAUTH,
                              "SSH identity key is encrypted but no 'password' field was "
                              "provided in the secret");
    } else if (secret_len && !token && ed_source_secret_get(secret, secret_len, "password", NULL) &&
               !ed_source_secret_get(secret, secret_len, "username", NULL)) {
        return ed_err_set(err, ED_EAUTH,
                          "invalid '%s' auth option: 'password' requires 'username' to be set",
                          auth->url.scheme);
    }
    return 0;
}

const char *ed_source_secret_ca(const ed_source_auth *auth, size_t *len)
{
    const char *ca = ed_source_secret_get(auth->secret, auth->secret_len, "ca.crt", len);
    return ca && (!len || *len)
               ? ca
               : ed_source_secret_get(auth->secret, auth->secret_len, "caFile", len);
}

void ed_source_auth_clear(ed_source_auth *auth)
{
    ed_source_url_clear(&auth->url);
    free(auth->header_value);
    memset(auth, 0, sizeof(*auth));
}

/* Non-zero (and libgit2's error set) once the operation's deadline has passed: returned from a
 * callback, it aborts the operation. */
static int deadline_check(const ed_source_auth *auth)
{
    if (!ed_source_deadline_passed(auth->deadline))
        return 0;
    git_error_set_str(GIT_ERROR_NET, "operation timed out");
    return GIT_EUSER;
}

static int progress_cb(const git_indexer_progress *stats, void *payload)
{
    (void)stats;
    return deadline_check(payload);
}

static int sideband_cb(const char *str, int len, void *payload)
{
    (void)str;
    (void)len;
    return deadline_check(payload);
}

static int update_tips_cb(const char *refname, const git_oid *a, const git_oid *b, void *payload)
{
    (void)refname;
    (void)a;
    (void)b;
    return deadline_check(payload);
}

/* A push's progress: writing the pack, sending it. */
static int pack_progress_cb(int stage, uint32_t current, uint32_t total, void *payload)
{
    (void)stage;
    (void)current;
    (void)total;
    return deadline_check(payload);
}

static int push_progress_cb(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
    (void)current;
    (void)total;
    (void)bytes;
    return deadline_check(payload);
}

/* Flux's words (go-git's) for credentials the server refused or asked for in vain: over SSH the
 * handshake's, over HTTP(S) the 401's. */
static void refused_reason(ed_source_auth *auth)
{
    snprintf(auth->reason, sizeof(auth->reason), "%s",
             strcmp(auth->url.scheme, "ssh") == 0
                 ? "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none "
                   "publickey], no supported methods remain"
                 : "authentication required");
}

static int credentials_cb(git_credential **out, const char *url, const char *username_from_url,
                          unsigned int allowed, void *payload)
{
    (void)url;
    ed_source_auth *auth = payload;
    if (deadline_check(auth) != 0)
        return GIT_EUSER;
    const char *user = username_from_url && *username_from_url ? username_from_url : "git";
    if (allowed == GIT_CREDENTIAL_USERNAME)
        return git_credential_username_new(out, user);
    /* A second request for credentials means the first ones were refused. */
    if (++auth->cred_calls > 1) {
        auth->failed = true;
        refused_reason(auth);
        return GIT_EAUTH;
    }
    int rc = GIT_EAUTH;
    char *a = NULL, *b = NULL, *c = NULL;
    if ((allowed & GIT_CREDENTIAL_SSH_MEMORY) && (a = secret_dup(auth, "identity"))) {
        c = secret_dup(auth, "password");
        rc = git_credential_ssh_key_memory_new(out, user, NULL, a, c);
    } else if ((allowed & GIT_CREDENTIAL_SSH_KEY) && auth->ssh_agent) {
        /* libgit2 offers each key the agent holds in turn */
        rc = git_credential_ssh_key_from_agent(out, user);
    } else if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !auth->header_value &&
               (a = secret_dup(auth, "username"))) {
        b = secret_dup(auth, "password");
        rc = git_credential_userpass_plaintext_new(out, a, b ? b : "");
    } else {
        auth->failed = true;
        refused_reason(auth);
    }
    if (a)
        OPENSSL_cleanse(a, strlen(a));
    if (b)
        OPENSSL_cleanse(b, strlen(b));
    if (c)
        OPENSSL_cleanse(c, strlen(c));
    free(a);
    free(b);
    free(c);
    return rc;
}

/* Verify the DER certificate against the PEM CA bundle and the host name. */
static bool x509_trusted(const unsigned char *der, size_t der_len, const char *pem, size_t pem_len,
                         const char *host, char *why, size_t why_len)
{
    bool ok = false;
    X509 *leaf = d2i_X509(NULL, &der, (long)der_len);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    if (!leaf || !store || !ctx || !bio) {
        snprintf(why, why_len, "cannot read the server certificate");
        goto cleanup;
    }
    int cas = 0;
    X509 *ca;
    while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, ca) == 1)
            cas++;
        X509_free(ca);
    }
    if (cas == 0) {
        snprintf(why, why_len, "'ca.crt' in the secret holds no PEM certificate");
        goto cleanup;
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1 || X509_verify_cert(ctx) != 1) {
        /* Go's words, as Flux's clone reports them (OpenSSL's reason would say more). */
        snprintf(why, why_len, "%s",
                 "tls: failed to verify certificate: x509: certificate signed by unknown "
                 "authority");
        goto cleanup;
    }
    if (X509_check_ip_asc(leaf, host, 0) != 1 && X509_check_host(leaf, host, 0, 0, NULL) != 1) {
        snprintf(why, why_len,
                 "tls: failed to verify certificate: x509: certificate is not valid for '%s'",
                 host);
        goto cleanup;
    }
    ok = true;
cleanup:
    BIO_free(bio);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    return ok;
}

static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
    ed_source_auth *auth = payload;
    if (deadline_check(auth) != 0)
        return GIT_EUSER;
    if (cert->cert_type == GIT_CERT_X509) {
        const git_cert_x509 *x = (const git_cert_x509 *)cert;
        size_t ca_len = 0;
        const char *ca = ed_source_secret_ca(auth, &ca_len);
        if (ca) {
            if (x509_trusted(x->data, x->len, ca, ca_len, host, auth->reason, sizeof(auth->reason)))
                return 0;
        } else if (valid) {
            return 0;
        } else {
            snprintf(auth->reason, sizeof(auth->reason), "%s",
                     "tls: failed to verify certificate: x509: certificate signed by unknown "
                     "authority");
        }
        auth->host_refused = true;
        return GIT_ECERTIFICATE;
    }
    if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
        const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
        size_t kh_len = 0;
        const char *kh =
            ed_source_secret_get(auth->secret, auth->secret_len, "known_hosts", &kh_len);
        if (!(hk->type & GIT_CERT_SSH_RAW) || !kh) {
            snprintf(auth->reason, sizeof(auth->reason), "cannot check the ssh host key");
        } else {
            int rc =
                ed_source_known_hosts_check(kh, kh_len, auth->url.host, auth->url.port,
                                            (const unsigned char *)hk->hostkey, hk->hostkey_len);
            if (rc == 0)
                return 0;
            /* Flux's words (Go's knownhosts package, through the SSH handshake). */
            snprintf(auth->reason, sizeof(auth->reason), "ssh: handshake failed: knownhosts: %s",
                     rc == ED_ENOTFOUND ? "key is unknown" : "key mismatch");
        }
        auth->host_refused = true;
        return GIT_ECERTIFICATE;
    }
    snprintf(auth->reason, sizeof(auth->reason), "unknown certificate type");
    auth->host_refused = true;
    return GIT_ECERTIFICATE;
}

void ed_source_auth_callbacks(ed_source_auth *auth, git_remote_callbacks *cb)
{
    cb->credentials = credentials_cb;
    cb->certificate_check = certificate_cb;
    cb->transfer_progress = progress_cb;
    cb->sideband_progress = sideband_cb;
    cb->update_tips = update_tips_cb;
    cb->pack_progress = pack_progress_cb;
    cb->push_transfer_progress = push_progress_cb;
    cb->payload = auth;
}

int ed_source_git_error(ed_err *err, int code, const char *what)
{
    const git_error *e = git_error_last();
    return ed_err_set(err, code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* ---- a client certificate and its key, checked as Go's tls.X509KeyPair ---- */

/* The PEM blocks of pem (len bytes) in order: their types appended to types (space-separated
 * as Go prints a []string, without the brackets), the DER bytes of the first block whose type
 * matches want (want(type) true) in *der (the caller frees it). Returns the number of blocks
 * skipped before it (or read, when none matched). */
static size_t pem_blocks(const char *pem, size_t len, bool (*want)(const char *type),
                         unsigned char **der, long *der_len, ed_buf *types)
{
    *der = NULL;
    *der_len = 0;
    size_t skipped = 0;
    BIO *bio = BIO_new_mem_buf(pem, len > INT_MAX ? INT_MAX : (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    while (bio && PEM_read_bio(bio, &name, &header, &data, &n) == 1) {
        bool match = want(name);
        if (match) {
            *der = ed_xmalloc(n > 0 ? (size_t)n : 1);
            memcpy(*der, data, (size_t)n);
            *der_len = n;
        } else {
            ed_buf_printf(types, "%s%s", skipped ? " " : "", name);
            skipped++;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (match)
            break;
    }
    ERR_clear_error(); /* the end of the input is PEM_R_NO_START_LINE */
    BIO_free(bio);
    return skipped;
}

static bool is_certificate(const char *type)
{
    return strcmp(type, "CERTIFICATE") == 0;
}

static bool is_private_key(const char *type)
{
    return strcmp(type, "PRIVATE KEY") == 0 || ed_str_has_suffix(type, " PRIVATE KEY");
}

/* The key types Go's TLS stack takes (crypto/tls parsePrivateKey). */
static bool go_key_type(int id)
{
    return id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_ED25519;
}

int ed_source_tls_pair_check(const char *cert, size_t cert_len, const char *key, size_t key_len,
                             ed_err *err)
{
    int rc = 0;
    unsigned char *cert_der = NULL, *key_der = NULL;
    long cert_der_len = 0, key_der_len = 0;
    X509 *x509 = NULL;
    EVP_PKEY *priv = NULL;
    ed_buf types = ED_BUF_INIT(1 << 16);
    size_t skipped = pem_blocks(cert, cert_len, is_certificate, &cert_der, &cert_der_len, &types);
    if (!cert_der) {
        if (!skipped)
            rc = ed_err_set(err, ED_EINVALID,
                            "tls: failed to find any PEM data in certificate input");
        else if (skipped == 1 && is_private_key(types.data))
            rc = ed_err_set(err, ED_EINVALID,
                            "tls: failed to find certificate PEM data in certificate input, but "
                            "did find a private key; PEM inputs may have been switched");
        else
            rc = ed_err_set(err, ED_EINVALID,
                            "tls: failed to find \"CERTIFICATE\" PEM block in certificate input "
                            "after skipping PEM blocks of the following types: [%s]",
                            types.data);
        goto cleanup;
    }
    ed_buf_reset(&types);
    skipped = pem_blocks(key, key_len, is_private_key, &key_der, &key_der_len, &types);
    if (!key_der) {
        if (!skipped)
            rc = ed_err_set(err, ED_EINVALID, "tls: failed to find any PEM data in key input");
        else if (skipped == 1 && strcmp(types.data, "CERTIFICATE") == 0)
            rc = ed_err_set(err, ED_EINVALID,
                            "tls: found a certificate rather than a key in the PEM for the private "
                            "key");
        else
            rc = ed_err_set(err, ED_EINVALID,
                            "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in "
                            "key input after skipping PEM blocks of the following types: [%s]",
                            types.data);
        goto cleanup;
    }
    const unsigned char *p = cert_der;
    x509 = d2i_X509(NULL, &p, cert_der_len);
    EVP_PKEY *pub = x509 ? X509_get0_pubkey(x509) : NULL; /* owned by x509 */
    if (!x509 || !pub) {
        rc = ed_err_set(err, ED_EINVALID, "x509: malformed certificate");
        goto cleanup;
    }
    p = key_der;
    priv = d2i_AutoPrivateKey(NULL, &p, key_der_len);
    if (!priv) {
        rc = ed_err_set(err, ED_EINVALID, "tls: failed to parse private key");
        goto cleanup;
    }
    if (!go_key_type(EVP_PKEY_get_base_id(priv))) {
        rc = ed_err_set(err, ED_EINVALID, "tls: found unknown private key type in PKCS#8 wrapping");
        goto cleanup;
    }
    if (!go_key_type(EVP_PKEY_get_base_id(pub)))
        rc = ed_err_set(err, ED_EINVALID, "tls: unknown public key algorithm");
    else if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_get_base_id(priv))
        rc = ed_err_set(err, ED_EINVALID, "tls: private key type does not match public key type");
    else if (EVP_PKEY_eq(pub, priv) != 1)
        rc = ed_err_set(err, ED_EINVALID, "tls: private key does not match public key");
cleanup:
    ERR_clear_error();
    EVP_PKEY_free(priv);
    X509_free(x509);
    free(cert_der);
    if (key_der)
        OPENSSL_cleanse(key_der, (size_t)key_der_len);
    free(key_der);
    ed_buf_free(&types);
    return rc;
}
