/*
 * GitHub App authentication for Git over HTTPS, GitRepository's `spec.provider: github` as
 * Flux's source-controller does it (fluxcd/pkg/auth/githubapp and runtime/secrets):
 *
 *   - the secretRef Secret holds the App's `githubAppID`, `githubAppPrivateKey` (PEM, RSA) and
 *     exactly one of `githubAppInstallationID` or `githubAppInstallationOwner` (an organization
 *     or user whose installation is looked up), optionally `githubAppBaseURL` (GitHub
 *     Enterprise's API, default https://api.github.com/) and the TLS keys for it (`ca.crt`,
 *     `tls.crt` + `tls.key`);
 *   - a JSON Web Token signed with the App's key (RS256; issued 30 s in the past against clock
 *     drift, valid two minutes, the App ID as issuer) is exchanged at
 *     POST <api>/app/installations/<id>/access_tokens for an installation access token;
 *   - the token is the password of the clone, with the user name `x-access-token`;
 *   - tokens are cached in the process, keyed by a hash of the App's data, for 80% of their
 *     lifetime and at most an hour (Flux's TokenCache), so a reconcile every minute does not
 *     ask GitHub for a token every minute.
 *
 * The API call goes through the GitRepository's proxy Secret when there is one, else libcurl
 * applies the environment's proxy variables (Go's ProxyFromEnvironment). Errors carry Flux's
 * words (go-github's "POST <url>: 401 Bad credentials []"); no key or token reaches one.
 */
#include "source_int.h"

#include "../doc/doc.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_API_URL "https://api.github.com/"
#define REPLY_MAX       ((size_t)1 << 20)
#define CACHE_SIZE      100 /* Flux's --token-cache-max-size default */
#define CACHE_MAX_S     3600

static const char *const app_keys[] = {"githubAppID", "githubAppInstallationOwner",
                                       "githubAppInstallationID", "githubAppPrivateKey"};

int ed_source_github_app_check(const ed_source_secret_entry *secret, size_t n,
                               const char *secret_ref, bool *present, ed_err *err)
{
    bool has[4];
    for (int i = 0; i < 4; i++)
        has[i] = ed_source_secret_get(secret, n, app_keys[i], NULL) != NULL;
    /* Without the App ID or the key, Flux's "key not found" counts as no App data at all. */
    *present = has[0] && has[3];
    if (!*present)
        return 0;
    if (has[1] == has[2])
        return ed_err_set(err, ED_EINVALID, "secret '%s' must contain exactly one of '%s' or '%s'",
                          secret_ref, app_keys[1], app_keys[2]);
    return 0;
}

/* Go's strconv.ParseInt(s, 10, 64), whose error Flux ignores: 0 for anything but an integer. */
static int64_t parse_id(const char *s, size_t len)
{
    char buf[32];
    if (!s || len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    const char *digits = buf[0] == '+' || buf[0] == '-' ? buf + 1 : buf;
    if (!*digits || strspn(digits, "0123456789") != strlen(digits))
        return 0;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    return errno ? 0 : (int64_t)v;
}

/* data as base64url without padding (RFC 7515's encoding of a JWT's parts): a new string. */
static char *base64url(const void *data, size_t len)
{
    char *s = ed_base64_encode(data, len);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '=')
        s[--n] = '\0';
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return s;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* an encrypted key is refused, never asked for on a terminal */
}

/* The App's RSA key from PEM (PKCS#1 or PKCS#8), or err in the words of golang-jwt's
 * ParseRSAPrivateKeyFromPEM, as Flux reports them. */
static int load_key(const char *pem, size_t len, EVP_PKEY **out, ed_err *err)
{
    *out = NULL;
    if (!memmem(pem, len, "-----BEGIN ", 11))
        return ed_err_set(err, ED_EINVALID,
                          "could not parse private key: invalid key: Key must be a PEM encoded "
                          "PKCS1 or PKCS8 key");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (!key)
        return ed_err_set(err, ED_EINVALID,
                          "could not parse private key: x509: failed to parse private key");
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return ed_err_set(err, ED_EINVALID,
                          "could not parse private key: key is not a valid RSA private key");
    }
    *out = key;
    return 0;
}

int ed_source_github_app_jwt(int64_t app_id, const char *key, size_t key_len, int64_t now,
                             char **out, ed_err *err)
{
    *out = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = load_key(key, key_len, &pkey, err);
    if (rc != 0)
        return rc;
    /* golang-jwt's RegisteredClaims in their JSON order: iss, exp, iat. */
    long long iat = (long long)now - 30, exp = iat + 120;
    char claims[128];
    snprintf(claims, sizeof(claims), "{\"iss\":\"%lld\",\"exp\":%lld,\"iat\":%lld}",
             (long long)app_id, exp, iat);
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    char *h = base64url(header, strlen(header));
    char *c = base64url(claims, strlen(claims));
    char *signing_input = ed_xasprintf("%s.%s", h, c);
    free(h);
    free(c);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = 0;
    unsigned char *sig = NULL;
    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)signing_input,
                       strlen(signing_input)) != 1) {
        rc = ed_err_set(err, ED_ERROR, "cannot sign the GitHub App token request");
        goto cleanup;
    }
    sig = ed_xmalloc(sig_len);
    if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)signing_input,
                       strlen(signing_input)) != 1) {
        rc = ed_err_set(err, ED_ERROR, "cannot sign the GitHub App token request");
        goto cleanup;
    }
    char *s = base64url(sig, sig_len);
    *out = ed_xasprintf("%s.%s", signing_input, s);
    free(s);
cleanup:
    free(sig);
    free(signing_input);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rc;
}

/* ---- the API calls ---- */

/* What the API calls of one token request share. */
struct api {
    const ed_source_github_app_opts *o;
    char *base; /* ends in '/' */
    char *jwt;
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    return ed_buf_append(user, p, size * n) == 0 ? size * n : 0;
}

static char *secret_str(const ed_source_secret_entry *s, size_t n, const char *key)
{
    size_t len = 0;
    const char *v = ed_source_secret_get(s, n, key, &len);
    return v ? ed_xstrndup(v, len) : NULL;
}

static void set_blob(CURL *h, CURLoption opt, const ed_source_github_app_opts *o, const char *key,
                     const char *fallback)
{
    size_t len = 0;
    const char *v = ed_source_secret_get(o->secret, o->secret_len, key, &len);
    if ((!v || !len) && fallback)
        v = ed_source_secret_get(o->secret, o->secret_len, fallback, &len);
    if (!v || !len)
        return;
    struct curl_blob blob = {.data = (void *)v, .len = len, .flags = CURL_BLOB_COPY};
    curl_easy_setopt(h, opt, &blob);
}

/* One request (method "GET" or "POST") to path below the API's base URL. On a 2xx reply *doc
 * has its JSON; otherwise err says what went wrong as go-github says it. */
static int api_call(const struct api *a, const char *method, const char *path, ed_doc **doc,
                    ed_err *err)
{
    *doc = NULL;
    char *url = ed_xasprintf("%s%s", a->base, path);
    CURL *h = curl_easy_init();
    if (!h) {
        free(url);
        return ed_err_set(err, ED_ERROR, "cannot start an HTTP request");
    }
    ed_buf body = ED_BUF_INIT(REPLY_MAX);
    char curl_msg[CURL_ERROR_SIZE] = "";
    char *auth = ed_xasprintf("Authorization: Bearer %s", a->jwt);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    headers = curl_slist_append(headers, "Accept: application/vnd.github.v3+json");
    headers = curl_slist_append(headers, "X-GitHub-Api-Version: 2022-11-28");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "eddy (github app)");
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    if (a->o->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)a->o->timeout_ms);
    /* The Secret's TLS data, as Flux's TLSConfigFromSecret reads it for the API. */
    set_blob(h, CURLOPT_CAINFO_BLOB, a->o, "ca.crt", "caFile");
    set_blob(h, CURLOPT_SSLCERT_BLOB, a->o, "tls.crt", NULL);
    set_blob(h, CURLOPT_SSLKEY_BLOB, a->o, "tls.key", NULL);
    char *proxy = secret_str(a->o->proxy, a->o->proxy_len, "address");
    char *puser = secret_str(a->o->proxy, a->o->proxy_len, "username");
    char *ppass = secret_str(a->o->proxy, a->o->proxy_len, "password");
    if (proxy) {
        curl_easy_setopt(h, CURLOPT_PROXY, proxy);
        if (puser) {
            curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, puser);
            curl_easy_setopt(h, CURLOPT_PROXYPASSWORD, ppass ? ppass : "");
        }
    }
    CURLcode cc = curl_easy_perform(h);
    /* Go's url.Error names the method so: "Post", "Get". */
    const char *go_method = strcmp(method, "POST") == 0 ? "Post" : "Get";
    int rc = 0;
    long status = 0;
    if (cc == CURLE_OPERATION_TIMEDOUT)
        rc = ed_err_set(err, ED_ETIMEOUT, "%s \"%s\": context deadline exceeded", go_method, url);
    else if (cc == CURLE_WRITE_ERROR)
        rc = ed_err_set(err, ED_ETOOBIG, "%s \"%s\": reply larger than %zu bytes", go_method, url,
                        REPLY_MAX);
    else if (cc != CURLE_OK)
        rc = ed_err_set(err, ED_ERETRY, "%s \"%s\": %s", go_method, url,
                        curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
    if (rc == 0)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    ed_err perr = ED_ERR_INIT;
    if (rc == 0 && body.len > 0 && ed_doc_parse_json(body.data, body.len, doc, &perr) != 0)
        *doc = NULL;
    if (rc == 0 && (status < 200 || status > 299)) {
        /* go-github's ErrorResponse: method, URL, status, the reply's message, its errors. */
        const char *message = *doc ? ed_node_path_str(ed_doc_root(*doc), "/message") : NULL;
        rc = ed_err_set(err,
                        status == 401 || status == 403 ? ED_EAUTH
                        : status >= 500                ? ED_ERETRY
                                                       : ED_ENOTFOUND,
                        "%s %s: %ld %s []", method, url, status, message ? message : "");
        ed_doc_free(*doc);
        *doc = NULL;
    } else if (rc == 0 && !*doc) {
        rc = ed_err_set(err, ED_ERROR, "%s %s: the reply is not JSON", method, url);
    }
    ed_source_secret_free_str(proxy);
    ed_source_secret_free_str(puser);
    ed_source_secret_free_str(ppass);
    curl_slist_free_all(headers);
    ed_source_secret_free_str(auth);
    curl_easy_cleanup(h);
    ed_buf_free(&body);
    free(url);
    return rc;
}

/* The installation of owner: its organization's, else its user's (Flux tries both and joins
 * the two errors). */
static int find_installation(const struct api *a, const char *owner, int64_t *id, ed_err *err)
{
    CURL *h = curl_easy_init();
    char *esc = h ? curl_easy_escape(h, owner, 0) : NULL;
    if (!esc) {
        curl_easy_cleanup(h);
        return ed_err_set(err, ED_ERROR, "cannot escape the installation owner");
    }
    static const char *const kinds[2] = {"orgs", "users"};
    ed_err e[2] = {ED_ERR_INIT, ED_ERR_INIT};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        char *path = ed_xasprintf("%s/%s/installation", kinds[i], esc);
        ed_doc *doc = NULL;
        rc = api_call(a, "GET", path, &doc, &e[i]);
        free(path);
        if (rc == 0 && !ed_node_int(ed_node_path(ed_doc_root(doc), "/id"), id))
            rc = ed_err_set(&e[i], ED_ERROR, "the installation reply has no id");
        ed_doc_free(doc);
        if (rc == 0)
            break;
    }
    if (rc != 0)
        ed_err_set(err, rc,
                   "failed to find organization installation: %s\nfailed to find user "
                   "installation: %s",
                   e[0].msg, e[1].msg);
    curl_free(esc);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- the token cache ---- */

struct cached_token {
    char key[65];
    char *token;
    int64_t mono_until_ms; /* both clocks must agree that it is still valid (Flux's rule) */
    time_t wall_until;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_token cache[CACHE_SIZE];

/* The cache key: a hash of everything that makes another token (Flux's buildCacheKey). */
static void cache_key(const ed_source_github_app_opts *o, char out[65])
{
    ed_buf raw = ED_BUF_INIT(SIZE_MAX); /* a Secret's data is at most 1 MiB */
    for (int i = 0; i < 5; i++) {
        static const char *const keys[] = {"githubAppID", "githubAppInstallationOwner",
                                           "githubAppInstallationID", "githubAppBaseURL",
                                           "githubAppPrivateKey"};
        size_t len = 0;
        const char *v = ed_source_secret_get(o->secret, o->secret_len, keys[i], &len);
        ed_buf_append(&raw, keys[i], strlen(keys[i]));
        ed_buf_append(&raw, "=", 1);
        if (v)
            ed_buf_append(&raw, v, len);
        ed_buf_append(&raw, ",", 1);
    }
    ed_sha256_hex(raw.data, raw.len, out);
    OPENSSL_cleanse(raw.data, raw.len);
    ed_buf_free(&raw);
}

static char *cache_get(const char *key)
{
    char *token = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SIZE; i++) {
        struct cached_token *t = &cache[i];
        if (t->token && strcmp(t->key, key) == 0 && t->mono_until_ms > ed_time_mono_ms() &&
            t->wall_until > time(NULL))
            token = ed_xstrdup(t->token);
    }
    pthread_mutex_unlock(&cache_lock);
    return token;
}

static void cache_put(const char *key, const char *token, time_t expires_at)
{
    time_t now = time(NULL);
    int64_t life = expires_at > now ? (int64_t)(expires_at - now) * 8 / 10 : 0;
    if (life > CACHE_MAX_S)
        life = CACHE_MAX_S;
    if (life <= 0)
        return;
    pthread_mutex_lock(&cache_lock);
    /* The slot of this key, else a free one, else the one that expires first. */
    int slot = -1;
    for (int i = 0; i < CACHE_SIZE && slot < 0; i++)
        if (cache[i].token && strcmp(cache[i].key, key) == 0)
            slot = i;
    for (int i = 0; i < CACHE_SIZE && slot < 0; i++)
        if (!cache[i].token)
            slot = i;
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < CACHE_SIZE; i++)
            if (cache[i].wall_until < cache[slot].wall_until)
                slot = i;
    }
    struct cached_token *t = &cache[slot];
    ed_source_secret_free_str(t->token);
    snprintf(t->key, sizeof(t->key), "%s", key);
    t->token = ed_xstrdup(token);
    t->mono_until_ms = ed_time_mono_ms() + life * 1000;
    t->wall_until = now + (time_t)life;
    pthread_mutex_unlock(&cache_lock);
}

void ed_source_github_app_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SIZE; i++) {
        ed_source_secret_free_str(cache[i].token);
        memset(&cache[i], 0, sizeof(cache[i]));
    }
    pthread_mutex_unlock(&cache_lock);
}

int ed_source_github_app_token(const ed_source_github_app_opts *o, char **token, bool *cached,
                               ed_err *err)
{
    *token = NULL;
    if (cached)
        *cached = false;
    size_t len = 0;
    const char *v = ed_source_secret_get(o->secret, o->secret_len, "githubAppID", &len);
    int64_t app_id = parse_id(v, len);
    v = ed_source_secret_get(o->secret, o->secret_len, "githubAppInstallationID", &len);
    int64_t installation_id = parse_id(v, len);
    char *owner = secret_str(o->secret, o->secret_len, "githubAppInstallationOwner");
    char *base = secret_str(o->secret, o->secret_len, "githubAppBaseURL");
    size_t key_len = 0;
    const char *key =
        ed_source_secret_get(o->secret, o->secret_len, "githubAppPrivateKey", &key_len);
    struct api a = {.o = o};
    int rc = 0;
    /* Flux's checks (githubapp.New), in its order and words. */
    if (app_id == 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "app ID must be provided to use github app authentication");
    else if ((!owner || !*owner) && installation_id == 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "app installation owner or ID must be provided to use github app "
                        "authentication");
    else if (owner && *owner && installation_id != 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "only one of app installation owner or ID must be provided to use github "
                        "app authentication");
    else if (!key || key_len == 0)
        rc = ed_err_set(err, ED_EINVALID,
                        "private key must be provided to use github app authentication");
    if (rc != 0)
        goto cleanup;
    char ckey[65];
    cache_key(o, ckey);
    if ((*token = cache_get(ckey)) != NULL) {
        if (cached)
            *cached = true;
        goto cleanup;
    }
    if ((rc = ed_source_github_app_jwt(app_id, key, key_len, (int64_t)time(NULL), &a.jwt, err)) !=
        0)
        goto cleanup;
    a.base = base && *base ? ed_xasprintf("%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/")
                           : ed_xstrdup(DEFAULT_API_URL);
    if (installation_id == 0 && (rc = find_installation(&a, owner, &installation_id, err)) != 0)
        goto cleanup;
    char path[96];
    snprintf(path, sizeof(path), "app/installations/%lld/access_tokens",
             (long long)installation_id);
    ed_doc *doc = NULL;
    if ((rc = api_call(&a, "POST", path, &doc, err)) != 0)
        goto cleanup;
    const char *t = ed_node_path_str(ed_doc_root(doc), "/token");
    time_t expires = ed_time_parse_rfc3339(ed_node_path_str(ed_doc_root(doc), "/expires_at"));
    if (!t || !*t)
        rc = ed_err_set(err, ED_ERROR, "POST %s%s: the reply has no token", a.base, path);
    else {
        *token = ed_xstrdup(t);
        if (expires > 0)
            cache_put(ckey, t, expires);
    }
    ed_doc_free(doc);
cleanup:
    ed_source_secret_free_str(a.jwt);
    free(a.base);
    free(owner);
    free(base);
    return rc;
}
