/*
 * The request layer of the Kubernetes client, on libcurl: TLS with the kubeconfig's CA and
 * client certificate held in memory, bearer tokens (re-read from a token file when it rotates),
 * basic auth, impersonation headers, a client-side token-bucket rate limit (client-go's qps and
 * burst), retries with exponential backoff and Retry-After on 429, 5xx and broken connections,
 * and the API's Status decoded into typed errors, as client-go's apierrors does.
 *
 * Every request has an easy handle of its own while it runs (handles done with are reset and
 * reused); connections, TLS sessions and DNS answers live in a share object, so sequential
 * requests from any thread reuse connections.
 *
 * Exec credential plugins (client-go's exec authenticator): when the configuration names a
 * plugin and no static token or client certificate, the plugin's credential (token, or client
 * certificate and key) is obtained on the first request and cached until its
 * expirationTimestamp. A 401 drops it and the request is sent once more with a fresh one, in
 * case the credential was revoked before it expired.
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ED_VERSION
#define ED_VERSION "0.0.0-unknown"
#endif

/* The largest reply accepted: a page of a list is at most a few MiB; the cap guards against a
 * broken or hostile server. */
#define MAX_REPLY          ((size_t)128 << 20)
#define MAX_ATTEMPTS       6
#define DEFAULT_TIMEOUT_MS 30000
/* How long an exec plugin may run, and how many recent Events the client remembers for
 * aggregation and for how long (client-go's EventCorrelator: 4096 entries, 10 minutes). */
#define EXEC_TIMEOUT_MS  30000
#define EVENT_CACHE_SIZE 4096
#define EVENT_WINDOW_MS  (10 * 60 * 1000)

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h;
    (void)access;
    ed_kube *kube = user;
    pthread_mutex_lock(&kube->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    ed_kube *kube = user;
    pthread_mutex_unlock(&kube->share_locks[data]);
}

/* Split "https://host:port/prefix" into host and port (443 when absent). */
static bool split_server(const char *server, char *host, size_t hostcap, int *port)
{
    const char *p = strstr(server, "://");
    p = p ? p + 3 : server;
    const char *end = p + strcspn(p, "/");
    const char *colon = NULL;
    if (*p == '[') { /* IPv6 literal */
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            return false;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    size_t hl = (size_t)((colon ? colon : end) - p);
    if (hl == 0 || hl >= hostcap)
        return false;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = colon ? (int)strtol(colon + 1, NULL, 10)
                  : (ed_str_has_prefix(server, "http://") ? 80 : 443);
    return *port > 0 && *port < 65536;
}

char *ed_kube_url_redact(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t len = strcspn(host, "/?#");
    const char *at = memrchr(host, '@', len);
    if (!at)
        return ed_xstrdup(url);
    return ed_xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

int ed_kube_new(const ed_kube_config *cfg, ed_kube **out, ed_err *err)
{
    *out = NULL;
    if (!cfg->server || !*cfg->server)
        return ed_err_set(err, ED_EINVALID, "no API server address in the configuration");
    if (!ed_str_has_prefix(cfg->server, "https://") && !ed_str_has_prefix(cfg->server, "http://")) {
        char *shown = ed_kube_url_redact(cfg->server);
        ed_err_set(err, ED_EINVALID, "API server address \"%s\" is not an http(s) URL", shown);
        free(shown);
        return ED_EINVALID;
    }
    if ((cfg->cert_pem == NULL) != (cfg->key_pem == NULL))
        return ed_err_set(err, ED_EINVALID,
                          "a client certificate needs its key, and a key its certificate");

    ed_kube *kube = ed_xcalloc(1, sizeof(*kube));
    kube->cfg = ed_kube_config_dup(cfg);
    kube->shown_server = ed_kube_url_redact(cfg->server);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&kube->share_locks[i], NULL);
    pthread_mutex_init(&kube->rate_lock, NULL);
    pthread_mutex_init(&kube->token_lock, NULL);
    pthread_mutex_init(&kube->discovery_lock, NULL);
    pthread_mutex_init(&kube->exec_lock, NULL);
    pthread_mutex_init(&kube->pool_lock, NULL);
    kube->events = ed_kube_event_cache_new(EVENT_CACHE_SIZE, EVENT_WINDOW_MS);
    kube->event_queue = ed_kube_event_queue_new();
    kube->tokens = cfg->burst > 0 ? cfg->burst : 1;
    kube->tokens_at_ms = ed_time_mono_ms();

    kube->share = curl_share_init();
    curl_share_setopt(kube->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(kube->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(kube->share, CURLSHOPT_USERDATA, kube);
    curl_share_setopt(kube->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(kube->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(kube->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);

    /* The server URL without a trailing slash; with tls-server-name, the URL names that host
     * (so TLS verifies it) and CONNECT_TO sends the connection to the real address. */
    char *server = ed_xstrdup(cfg->server);
    size_t sl = strlen(server);
    while (sl > 0 && server[sl - 1] == '/')
        server[--sl] = '\0';
    if (cfg->tls_server_name && *cfg->tls_server_name) {
        char host[256];
        int port;
        if (!split_server(server, host, sizeof(host), &port)) {
            free(server);
            ed_kube_free(kube);
            return ed_err_set(err, ED_EINVALID, "cannot parse the API server address");
        }
        char *rule = ed_xasprintf("%s:%d:%s:%d", cfg->tls_server_name, port, host, port);
        kube->connect_to = curl_slist_append(NULL, rule);
        free(rule);
        kube->base_url = ed_xasprintf("https://%s:%d", cfg->tls_server_name, port);
        free(server);
    } else {
        kube->base_url = server;
    }
    if (cfg->insecure)
        ed_log(ED_LOG_INFO,
               "TLS verification of the API server is disabled "
               "(insecure-skip-tls-verify)",
               "server", kube->shown_server, NULL);
    *out = kube;
    return 0;
}

static void free_gvs(ed_kube *kube)
{
    for (size_t i = 0; i < kube->ngvs; i++) {
        struct gv_entry *e = &kube->gvs[i];
        for (size_t j = 0; j < e->nresources; j++) {
            free(e->resources[j].name);
            free(e->resources[j].kind);
        }
        free(e->resources);
        free(e->group_version);
    }
    free(kube->gvs);
    kube->gvs = NULL;
    kube->ngvs = 0;
}

void ed_kube_free(ed_kube *kube)
{
    if (!kube)
        return;
    /* The Events still queued are written while the client still works. */
    ed_kube_event_queue_free(kube);
    /* The handles first: a share still used by a handle is not freed. */
    for (size_t i = 0; i < kube->npool; i++)
        curl_easy_cleanup(kube->pool[i]);
    pthread_mutex_destroy(&kube->pool_lock);
    if (kube->share)
        curl_share_cleanup(kube->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&kube->share_locks[i]);
    pthread_mutex_destroy(&kube->rate_lock);
    pthread_mutex_destroy(&kube->token_lock);
    pthread_mutex_destroy(&kube->discovery_lock);
    pthread_mutex_destroy(&kube->exec_lock);
    ed_kube_exec_cred_clear(&kube->exec_cred);
    ed_kube_event_cache_free(kube->events);
    curl_slist_free_all(kube->connect_to);
    free(kube->base_url);
    free(kube->shown_server);
    free(kube->file_token);
    free_gvs(kube);
    ed_kube_config_free(kube->cfg);
    free(kube);
}

const ed_kube_config *ed_kube_get_config(const ed_kube *kube)
{
    return kube->cfg;
}

void ed_kube_discovery_reset(ed_kube *kube)
{
    pthread_mutex_lock(&kube->discovery_lock);
    free_gvs(kube);
    pthread_mutex_unlock(&kube->discovery_lock);
}

void ed_kube_response_free(ed_kube_response *resp)
{
    if (!resp)
        return;
    ed_buf_free(&resp->body);
    free(resp->content_type);
    resp->content_type = NULL;
}

/* Wait for a token of the rate limit (client-go's token bucket: burst tokens, qps refill). */
void ed_kube_rate_wait(ed_kube *kube)
{
    double qps = kube->cfg->qps;
    if (qps <= 0)
        return;
    double burst = kube->cfg->burst > 0 ? kube->cfg->burst : 1;
    for (;;) {
        pthread_mutex_lock(&kube->rate_lock);
        int64_t now = ed_time_mono_ms();
        kube->tokens += (double)(now - kube->tokens_at_ms) * qps / 1000.0;
        if (kube->tokens > burst)
            kube->tokens = burst;
        kube->tokens_at_ms = now;
        if (kube->tokens >= 1) {
            kube->tokens -= 1;
            pthread_mutex_unlock(&kube->rate_lock);
            return;
        }
        int64_t wait_ms = (int64_t)((1 - kube->tokens) * 1000.0 / qps) + 1;
        pthread_mutex_unlock(&kube->rate_lock);
        usleep((useconds_t)(wait_ms * 1000));
    }
}

/* The bearer token: static, or the token file's content, re-read when the file changes. Returns
 * a new string or NULL; the caller frees it. */
static char *bearer_token(ed_kube *kube, ed_err *err, int *rc)
{
    *rc = 0;
    if (kube->cfg->token)
        return ed_xstrdup(kube->cfg->token);
    if (!kube->cfg->token_file)
        return NULL;
    pthread_mutex_lock(&kube->token_lock);
    struct stat st;
    char *tok = NULL;
    if (stat(kube->cfg->token_file, &st) != 0) {
        *rc = ed_err_set(err, ED_EAUTH, "cannot read the token file %s", kube->cfg->token_file);
        goto out;
    }
    if (!kube->file_token || st.st_dev != kube->file_token_dev ||
        st.st_ino != kube->file_token_ino || st.st_mtim.tv_sec != kube->file_token_mtime.tv_sec ||
        st.st_mtim.tv_nsec != kube->file_token_mtime.tv_nsec ||
        st.st_size != kube->file_token_size) {
        FILE *f = fopen(kube->cfg->token_file, "r");
        char buf[16384];
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
            fclose(f);
        if (!f || n == 0) {
            *rc = ed_err_set(err, ED_EAUTH, "cannot read the token file %s", kube->cfg->token_file);
            goto out;
        }
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        free(kube->file_token);
        kube->file_token = ed_xstrdup(buf);
        kube->file_token_dev = st.st_dev;
        kube->file_token_ino = st.st_ino;
        kube->file_token_mtime = st.st_mtim;
        kube->file_token_size = st.st_size;
    }
    tok = ed_xstrdup(kube->file_token);
out:
    pthread_mutex_unlock(&kube->token_lock);
    return tok;
}

/* Forget the token read from the token file, so the next request reads the file again (after a
 * 401: the token may have been rotated within the same clock tick). True when there was one. */
static bool token_file_invalidate(ed_kube *kube)
{
    if (kube->cfg->token || !kube->cfg->token_file)
        return false;
    pthread_mutex_lock(&kube->token_lock);
    bool had = kube->file_token != NULL;
    free(kube->file_token);
    kube->file_token = NULL;
    pthread_mutex_unlock(&kube->token_lock);
    return had;
}

/* True when requests authenticate with the exec plugin: one is configured and nothing static
 * (a token, a token file, a client certificate) takes precedence. */
static bool uses_exec(const ed_kube_config *cfg)
{
    return cfg->exec && !cfg->token && !cfg->token_file && !(cfg->cert_pem && cfg->key_pem);
}

/* Copies of the exec plugin's credential (run now when none is cached or it expired), and its
 * generation. The plugin runs under the lock, so concurrent requests wait for one run instead of
 * starting one each. */
static int exec_credential(ed_kube *kube, ed_kube_exec_cred *out, uint64_t *gen, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = 0;
    pthread_mutex_lock(&kube->exec_lock);
    /* client-go's isExpired: the credential is used up to its expiry, and a 401 after that
     * point, or a clock skew, is covered by the retry in ed_kube_request. */
    if (kube->exec_cached && kube->exec_cred.expiry != 0 && time(NULL) >= kube->exec_cred.expiry) {
        ed_kube_exec_cred_clear(&kube->exec_cred);
        kube->exec_cached = false;
    }
    if (!kube->exec_cached) {
        rc = ed_kube_exec_run(kube->cfg, EXEC_TIMEOUT_MS, &kube->exec_cred, err);
        if (rc) {
            ed_err_wrap(err, "getting credentials");
            goto out;
        }
        kube->exec_cached = true;
        kube->exec_gen++;
    }
    out->token = kube->exec_cred.token ? ed_xstrdup(kube->exec_cred.token) : NULL;
    out->cert_pem = kube->exec_cred.cert_pem ? ed_xstrdup(kube->exec_cred.cert_pem) : NULL;
    out->key_pem = kube->exec_cred.key_pem ? ed_xstrdup(kube->exec_cred.key_pem) : NULL;
    out->expiry = kube->exec_cred.expiry;
    *gen = kube->exec_gen;
out:
    pthread_mutex_unlock(&kube->exec_lock);
    return rc;
}

bool ed_kube_exec_invalidate(ed_kube *kube, uint64_t gen)
{
    if (gen == 0)
        return false;
    pthread_mutex_lock(&kube->exec_lock);
    /* Another request may have replaced the credential already: keep the new one. */
    if (kube->exec_cached && kube->exec_gen == gen) {
        ed_kube_exec_cred_clear(&kube->exec_cred);
        kube->exec_cached = false;
    }
    pthread_mutex_unlock(&kube->exec_lock);
    return true;
}

static size_t write_body(char *data, size_t size, size_t n, void *user)
{
    ed_kube_response *resp = user;
    /* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR. */
    return ed_buf_append(&resp->body, data, size * n) == 0 ? size * n : 0;
}

struct header_state {
    int64_t retry_after_ms;
};

/*
 * An API server's warning (a "Warning: 299 - \"text\"" header, RFC 7234's form: a deprecated
 * API, a finalizer name it frowns upon), logged at info as client-go's handler in Flux's
 * controllers logs it: the text, with the keys of the reconcile that sent the request.
 */
static void log_warning(const char *data, size_t len)
{
    static const char name[] = "warning:";
    if (len <= sizeof(name) || strncasecmp(data, name, sizeof(name) - 1) != 0)
        return;
    const char *p = data + sizeof(name) - 1, *end = data + len;
    /* the code and the agent, then the quoted text */
    while (p < end && *p != '"')
        p++;
    if (p == end)
        return;
    char text[1024];
    size_t tl = 0;
    for (p++; p < end && *p != '"' && tl < sizeof(text) - 1; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        text[tl++] = *p;
    }
    text[tl] = '\0';
    if (tl > 0)
        ed_log(ED_LOG_INFO, text, NULL);
}

static size_t read_header(char *data, size_t size, size_t n, void *user)
{
    struct header_state *hs = user;
    size_t len = size * n;
    log_warning(data, len);
    static const char name[] = "retry-after:";
    if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        char buf[32];
        size_t vl = len - (sizeof(name) - 1);
        if (vl >= sizeof(buf))
            vl = sizeof(buf) - 1;
        memcpy(buf, data + sizeof(name) - 1, vl);
        buf[vl] = '\0';
        long secs = strtol(buf, NULL, 10);
        if (secs > 0)
            hs->retry_after_ms = (int64_t)(secs > 60 ? 60 : secs) * 1000;
    }
    return len;
}

/* Percent-encoding is what libcurl does; headers are built here from parts of the config. */
static struct curl_slist *request_headers(ed_kube *kube, const char *accept,
                                          const char *content_type, const char *token)
{
    struct curl_slist *h = NULL;
    char *ah = ed_xasprintf("Accept: %s", accept ? accept : "application/json");
    h = curl_slist_append(h, ah);
    free(ah);
    if (content_type) {
        char *ct = ed_xasprintf("Content-Type: %s", content_type);
        h = curl_slist_append(h, ct);
        free(ct);
    }
    if (token) {
        char *auth = ed_xasprintf("Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
        /* The header holds a secret: wipe our copy; libcurl keeps its own. */
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (kube->cfg->impersonate_user) {
        char *u = ed_xasprintf("Impersonate-User: %s", kube->cfg->impersonate_user);
        h = curl_slist_append(h, u);
        free(u);
        for (char **g = kube->cfg->impersonate_groups; g && *g; g++) {
            char *gh = ed_xasprintf("Impersonate-Group: %s", *g);
            h = curl_slist_append(h, gh);
            free(gh);
        }
    }
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip for bodies */
    return h;
}

/* The body of a non-idempotent request, handed to libcurl piece by piece. */
struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_upload(char *buf, size_t size, size_t n, void *user)
{
    struct upload *up = user;
    size_t room = size * n, left = up->len - up->off;
    size_t take = left < room ? left : room;
    memcpy(buf, up->data + up->off, take);
    up->off += take;
    return take;
}

/* True when a request with this method may be sent again after an unclear failure. */
static bool idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

/* True when libcurl failed before any byte of the request could reach the server. */
static bool not_sent(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
           cc == CURLE_COULDNT_RESOLVE_PROXY;
}

CURL *ed_kube_easy(ed_kube *kube, const char *method, const char *path, const char *accept,
                   const char *content_type, int64_t timeout_ms, struct curl_slist **headers,
                   uint64_t *cred_gen, ed_err *err)
{
    const ed_kube_config *cfg = kube->cfg;
    *headers = NULL;
    if (cred_gen)
        *cred_gen = 0;
    int rc = 0;
    ed_kube_exec_cred exec = {0}; /* the exec plugin's credential, when it is used */
    uint64_t gen = 0;
    char *token = NULL;
    if (uses_exec(cfg)) {
        if (exec_credential(kube, &exec, &gen, err) != 0)
            return NULL;
        token = exec.token ? ed_xstrdup(exec.token) : NULL;
    } else {
        token = bearer_token(kube, err, &rc);
        if (rc)
            return NULL;
    }
    CURL *h = NULL;
    pthread_mutex_lock(&kube->pool_lock);
    if (kube->npool > 0)
        h = kube->pool[--kube->npool];
    pthread_mutex_unlock(&kube->pool_lock);
    if (h)
        curl_easy_reset(h);
    else
        h = curl_easy_init();
    if (!h) {
        free(token);
        ed_kube_exec_cred_clear(&exec);
        ed_err_set(err, ED_ERROR, "cannot create an HTTP request");
        return NULL;
    }
    *headers = request_headers(kube, accept, content_type, token);
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    char *url = ed_xasprintf("%s%s", kube->base_url, path);
    curl_easy_setopt(h, CURLOPT_URL, url); /* libcurl copies strings it is given */
    free(url);
    if (cfg->user_agent) {
        curl_easy_setopt(h, CURLOPT_USERAGENT, cfg->user_agent);
    } else {
        char ua[64];
        snprintf(ua, sizeof(ua), "eddy/%s", ED_VERSION);
        curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
    }
    curl_easy_setopt(h, CURLOPT_SHARE, kube->share);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     (long)(timeout_ms > 0        ? timeout_ms
                            : cfg->timeout_ms > 0 ? cfg->timeout_ms
                                                  : DEFAULT_TIMEOUT_MS));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* Keep enough idle connections for every worker: libcurl's default of 5 makes a busier
     * client open a new TLS connection for most requests. */
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 64L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (kube->connect_to)
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, kube->connect_to);
    if (cfg->ca_pem) {
        struct curl_blob ca = {cfg->ca_pem, strlen(cfg->ca_pem), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (cfg->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cfg->cert_pem && cfg->key_pem) {
        struct curl_blob cert = {cfg->cert_pem, strlen(cfg->cert_pem), CURL_BLOB_NOCOPY};
        struct curl_blob key = {cfg->key_pem, strlen(cfg->key_pem), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (exec.cert_pem && exec.key_pem) {
        /* libcurl copies these: the cached credential may be replaced while this request runs. */
        struct curl_blob cert = {exec.cert_pem, strlen(exec.cert_pem), CURL_BLOB_COPY};
        struct curl_blob key = {exec.key_pem, strlen(exec.key_pem), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    ed_kube_exec_cred_clear(&exec);
    if (cred_gen)
        *cred_gen = gen;
    if (cfg->username && cfg->password) {
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password);
    }
    return h;
}

void ed_kube_easy_done(ed_kube *kube, CURL *h)
{
    pthread_mutex_lock(&kube->pool_lock);
    if (kube->npool < ED_KUBE_POOL) {
        kube->pool[kube->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&kube->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

void ed_kube_count(ed_kube *kube, CURL *h, bool watch)
{
    long version = 0, connects = 0;
    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    atomic_fetch_add(&kube->n_requests, 1);
    if (watch)
        atomic_fetch_add(&kube->n_watches, 1);
    if (version == CURL_HTTP_VERSION_2_0)
        atomic_fetch_add(&kube->n_http2, 1);
    if (connects > 0)
        atomic_fetch_add(&kube->n_connections, (uint_fast64_t)connects);
}

void ed_kube_get_stats(const ed_kube *kube, ed_kube_stats *out)
{
    /* atomic_load takes a pointer to non-const in C17's generic definition. */
    ed_kube *k = (ed_kube *)kube;
    out->requests = atomic_load(&k->n_requests);
    out->watches = atomic_load(&k->n_watches);
    out->http2 = atomic_load(&k->n_http2);
    out->connections = atomic_load(&k->n_connections);
}

int ed_kube_curl_error(ed_kube *kube, CURLcode cc, const char *curl_msg, const char *method,
                       const char *path, ed_err *err)
{
    int code = cc == CURLE_OPERATION_TIMEDOUT ? ED_ETIMEOUT : ED_ERETRY;
    if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CERTPROBLEM ||
        cc == CURLE_SSL_CACERT_BADFILE)
        code = ED_EAUTH;
    return ed_err_set(err, code, "%s %s%s: %s", method, kube->shown_server, path,
                      curl_msg && curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
}

int ed_kube_request(ed_kube *kube, const char *method, const char *path, const char *content_type,
                    const char *body, size_t body_len, ed_kube_response *resp, ed_err *err)
{
    return ed_kube_request_as(kube, method, path, NULL, content_type, body, body_len, resp, err);
}

int ed_kube_request_as(ed_kube *kube, const char *method, const char *path, const char *accept,
                       const char *content_type, const char *body, size_t body_len,
                       ed_kube_response *resp, ed_err *err)
{
    memset(resp, 0, sizeof(*resp));
    resp->body = (ed_buf)ED_BUF_INIT(MAX_REPLY);
    int64_t backoff_ms = 200;
    int rc = 0;
    bool reauthenticated = false;

    for (int attempt = 1;; attempt++) {
        ed_kube_rate_wait(kube);
        ed_buf_reset(&resp->body);
        free(resp->content_type);
        resp->content_type = NULL;
        struct header_state hs = {0};
        char curl_msg[CURL_ERROR_SIZE] = "";
        struct curl_slist *headers = NULL;
        uint64_t cred_gen = 0;
        CURL *h =
            ed_kube_easy(kube, method, path, accept, content_type, 0, &headers, &cred_gen, err);
        if (!h)
            return err ? err->code : ED_ERROR;
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs);
        struct upload up = {body, body_len, 0};
        if (body && idempotent(method)) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        } else if (body) {
            /* A write that is not idempotent is streamed from a read callback with no way to
             * rewind: when a reused connection dies under it, libcurl must fail
             * (CURLE_SEND_FAIL_REWIND) instead of silently sending it again, since the server
             * may already have acted on it. */
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
            curl_easy_setopt(h, CURLOPT_READDATA, &up);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }

        /* Counted in flight, so that posted Events wait for it (not the Events' own). */
        bool counted = !ed_kube_in_event_writer();
        if (counted)
            atomic_fetch_add(&kube->in_flight, 1);
        CURLcode cc = curl_easy_perform(h);
        if (counted && atomic_fetch_sub(&kube->in_flight, 1) == 1)
            ed_kube_event_idle(kube);
        long status = 0;
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        if (ct)
            resp->content_type = ed_xstrdup(ct);
        ed_kube_count(kube, h, false);
        if (ed_log_enabled(ED_LOG_DEBUG)) {
            char code[16], took[32];
            snprintf(code, sizeof(code), "%ld", status);
            curl_off_t us = 0;
            curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
            snprintf(took, sizeof(took), "%.1f", (double)us / 1000.0);
            ed_log(ED_LOG_DEBUG, "API request", "method", method, "path", path, "status", code,
                   "ms", took, NULL);
        }
        ed_kube_easy_done(kube, h);
        curl_slist_free_all(headers);
        resp->status = status;

        bool retryable;
        if (cc != CURLE_OK) {
            if (cc == CURLE_WRITE_ERROR && resp->body.len >= MAX_REPLY - 1)
                return ed_err_set(err, ED_ETOOBIG, "%s %s: the reply is larger than %zu MiB",
                                  method, path, MAX_REPLY >> 20);
            rc = ed_kube_curl_error(kube, cc, curl_msg, method, path, err);
            retryable = rc == ED_ERETRY && (idempotent(method) || not_sent(cc));
        } else if (status >= 200 && status < 300) {
            return 0;
        } else {
            rc = ed_kube_status_error(status, resp->body.data, resp->body.len, method, path, err);
            /* A 401 to an exec credential: it may have been revoked before it expired. Run the
             * plugin again (or read the token file again) and send the request once more (the
             * server did not process it, so this is safe for any method), without counting it as an
             * attempt. */
            if (status == 401 && !reauthenticated &&
                (ed_kube_exec_invalidate(kube, cred_gen) || token_file_invalidate(kube))) {
                reauthenticated = true;
                attempt--;
                continue;
            }
            /* 429 means the server did not process the request, whatever the method. */
            retryable = status == 429 || (rc == ED_ERETRY && idempotent(method));
        }
        if (!retryable || attempt >= MAX_ATTEMPTS)
            return rc;
        int64_t wait_ms = hs.retry_after_ms > 0 ? hs.retry_after_ms : backoff_ms;
        usleep((useconds_t)(wait_ms * 1000));
        backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
    }
}

/* Map an HTTP status and the Status reason to eddy's codes, as client-go's apierrors does. */
static int code_for(long status, const char *reason)
{
    if (reason) {
        if (strcmp(reason, "NotFound") == 0)
            return ED_ENOTFOUND;
        if (strcmp(reason, "AlreadyExists") == 0)
            return ED_EEXISTS;
        if (strcmp(reason, "Conflict") == 0)
            return ED_ECONFLICT;
        if (strcmp(reason, "Invalid") == 0 || strcmp(reason, "BadRequest") == 0)
            return ED_EINVALID;
        if (strcmp(reason, "Unauthorized") == 0)
            return ED_EAUTH;
        if (strcmp(reason, "Forbidden") == 0)
            return ED_EFORBIDDEN;
        if (strcmp(reason, "Expired") == 0 || strcmp(reason, "Gone") == 0)
            return ED_EGONE;
        if (strcmp(reason, "TooManyRequests") == 0 || strcmp(reason, "ServiceUnavailable") == 0 ||
            strcmp(reason, "InternalError") == 0 || strcmp(reason, "ServerTimeout") == 0)
            return ED_ERETRY;
        if (strcmp(reason, "Timeout") == 0)
            return ED_ETIMEOUT;
    }
    switch (status) {
    case 400:
    case 415:
    case 422:
        return ED_EINVALID;
    case 401:
        return ED_EAUTH;
    case 403:
        return ED_EFORBIDDEN;
    case 404:
        return ED_ENOTFOUND;
    case 409:
        return ED_ECONFLICT;
    case 410:
        return ED_EGONE;
    case 504:
        return ED_ETIMEOUT;
    default:
        return status == 429 || status >= 500 ? ED_ERETRY : ED_ERROR;
    }
}

int ed_kube_status_error(long http_status, const char *body, size_t len, const char *method,
                         const char *path, ed_err *err)
{
    ed_doc *doc = NULL;
    ed_err perr = ED_ERR_INIT;
    const char *reason = NULL, *message = NULL;
    if (body && len && ed_doc_parse_api_json(body, len, &doc, &perr) == 0) {
        ed_node *root = ed_doc_root(doc);
        if (root && ed_node_str(ed_node_get(root, "kind")) &&
            strcmp(ed_node_str(ed_node_get(root, "kind")), "Status") == 0) {
            reason = ed_node_str(ed_node_get(root, "reason"));
            message = ed_node_str(ed_node_get(root, "message"));
        }
    }
    int code = code_for(http_status, reason);
    if (message && *message) {
        ed_err_set(err, code, "%s", message);
    } else {
        /* Not a Status (a proxy's page, an empty 503): name the request and a bit of the body,
         * cut at the first line. */
        char excerpt[160] = "";
        if (body && len) {
            size_t n = strcspn(body, "\r\n");
            if (n > sizeof(excerpt) - 1)
                n = sizeof(excerpt) - 1;
            memcpy(excerpt, body, n);
            excerpt[n] = '\0';
        }
        ed_err_set(err, code, "%s %s: HTTP %ld%s%s", method, path, http_status,
                   excerpt[0] ? ": " : "", excerpt);
    }
    ed_err_set_reason(err, reason);
    ed_doc_free(doc);
    return code;
}
