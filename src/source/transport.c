/*
 * Git's smart HTTP protocol over libcurl, for what libgit2's own HTTP transport (1.8 included)
 * cannot do: present a client certificate (mutual TLS, the `tls.crt` + `tls.key` keys of a
 * GitRepository Secret, as Flux accepts them) and go through a proxy (libgit2 sends plain HTTP
 * past the one it is given). libgit2 keeps the protocol (ref advertisement, negotiation, the
 * pack); this file only carries its requests, as a "smart subtransport" that a fetch or a push
 * installs through git_remote_callbacks.transport, so it applies to that operation alone and no
 * process-wide TLS setting changes.
 *
 * The requests are git's stateless-RPC ones: `GET <url>/info/refs?service=git-upload-pack` for
 * the advertisement, and one `POST <url>/git-upload-pack` per negotiation round with the body
 * libgit2 wrote; a push (image automation) makes the same two with `git-receive-pack`, its
 * commands and pack in one POST body (at most 16 MiB: an automation's commit is small).
 * Responses stream through a curl multi handle as libgit2 reads them, so a large pack is never
 * held in memory whole. Everything else a Secret and a proxy Secret say is applied here too:
 * basic auth, the bearer token header, `ca.crt` (else the system's CAs), and the proxy with its
 * credentials.
 *
 * Failures are reported through the fetch's ed_source_auth (refused credentials, an untrusted
 * or refusing TLS peer) and libgit2's error, never with a secret or a URL's userinfo in them.
 */
#include "source_int.h"

#include <curl/curl.h>
#include <git2/sys/transport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A response body larger than this in one read-ahead means libgit2 stopped reading. */
#define READ_AHEAD_MAX ((size_t)64 << 20)

typedef struct curl_subtransport {
    git_smart_subtransport parent;
    ed_source_auth *auth;
    CURLSH *share; /* the connection cache: every request of one fetch reuses one connection */
} curl_subtransport;

typedef struct curl_stream {
    git_smart_subtransport_stream parent;
    curl_subtransport *owner;
    char *url; /* the request's URL */
    bool post;
    const char *service; /* "upload-pack" (fetch) or "receive-pack" (push) */
    ed_buf request;      /* what libgit2 wrote (POST body) */
    ed_buf response;     /* received, not yet read by libgit2 */
    size_t response_pos;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    bool started, done;
    char errbuf[CURL_ERROR_SIZE];
} curl_stream;

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    curl_stream *s = user;
    if (ed_buf_append(&s->response, data, size * n) != 0)
        return 0; /* over the cap: curl aborts the transfer */
    return size * n;
}

/* Value of key in the Secret as a NUL-terminated copy, or NULL. */
static char *secret_str(const ed_source_secret_entry *secret, size_t n, const char *key)
{
    size_t len = 0;
    const char *v = ed_source_secret_get(secret, n, key, &len);
    return v ? ed_xstrndup(v, len) : NULL;
}

static void set_blob(CURL *easy, CURLoption opt, const ed_source_auth *auth, const char *key)
{
    size_t len = 0;
    const char *v = ed_source_secret_get(auth->secret, auth->secret_len, key, &len);
    if (!v)
        return;
    /* CURL_BLOB_COPY: curl keeps its own copy, so the Secret can be wiped after the fetch. */
    struct curl_blob blob = {.data = (void *)v, .len = len, .flags = CURL_BLOB_COPY};
    curl_easy_setopt(easy, opt, &blob);
}

/* The environment's proxy for a URL of scheme ("http": http_proxy, else HTTP_PROXY; "https":
 * https_proxy, else HTTPS_PROXY, as Go reads them), or NULL. no_proxy is libcurl's to apply. */
static const char *env_proxy(const char *scheme)
{
    bool tls = strcmp(scheme, "https") == 0;
    const char *v = getenv(tls ? "https_proxy" : "http_proxy");
    if (!v || !*v)
        v = getenv(tls ? "HTTPS_PROXY" : "HTTP_PROXY");
    return v && *v ? v : NULL;
}

/* Apply the fetch's Secret and proxy Secret to the request. */
static void apply_auth(curl_stream *s, const ed_source_auth *auth)
{
    CURL *e = s->easy;
    set_blob(e, CURLOPT_SSLCERT_BLOB, auth, "tls.crt");
    set_blob(e, CURLOPT_SSLKEY_BLOB, auth, "tls.key");
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    size_t ca_len = 0;
    const char *ca = ed_source_secret_ca(auth, &ca_len);
    if (ca) {
        /* CURL_BLOB_COPY: curl keeps its own copy, so the Secret can be wiped after the fetch. */
        struct curl_blob blob = {.data = (void *)ca, .len = ca_len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    }
    /* Basic auth unless a bearer token is given (Flux: the token wins); no password is "". */
    char *user = auth->header_value ? NULL : secret_str(auth->secret, auth->secret_len, "username");
    char *pass = user ? secret_str(auth->secret, auth->secret_len, "password") : NULL;
    if (user) {
        curl_easy_setopt(e, CURLOPT_USERNAME, user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, pass ? pass : "");
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    ed_source_secret_free_str(user);
    ed_source_secret_free_str(pass);
    for (size_t i = 0; i < auth->headers.count; i++)
        s->headers = curl_slist_append(s->headers, auth->headers.strings[i]);
    char *proxy = secret_str(auth->proxy, auth->proxy_len, "address");
    if (proxy) {
        char *puser = secret_str(auth->proxy, auth->proxy_len, "username");
        char *ppass = secret_str(auth->proxy, auth->proxy_len, "password");
        curl_easy_setopt(e, CURLOPT_PROXY, proxy);
        if (puser) {
            curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, puser);
            curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, ppass ? ppass : "");
        }
        ed_source_secret_free_str(puser);
        ed_source_secret_free_str(ppass);
    } else if (env_proxy(auth->url.scheme)) {
        /* No proxy Secret: the environment's, minus no_proxy's hosts (which libcurl reads; it
         * ignores HTTP_PROXY in upper case, which Go takes). */
        curl_easy_setopt(e, CURLOPT_PROXY, env_proxy(auth->url.scheme));
    }
    ed_source_secret_free_str(proxy);
}

static int stream_start(curl_stream *s)
{
    s->easy = curl_easy_init();
    s->multi = curl_multi_init();
    if (!s->easy || !s->multi) {
        git_error_set_str(GIT_ERROR_NET, "cannot create an HTTP client");
        return -1;
    }
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A server that stops sending is given up on after a minute without a byte, and no request
     * outlives the fetch's deadline (spec.timeout). */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
    int64_t left = ed_source_deadline_left_ms(s->owner->auth->deadline);
    if (left >= 0) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 0 ? left : 1));
        if (left < 30000)
            curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(left > 0 ? left : 1));
    }
    curl_easy_setopt(e, CURLOPT_USERAGENT, "git/2.0 (eddy)");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    if (s->owner->share)
        curl_easy_setopt(e, CURLOPT_SHARE, s->owner->share);
    apply_auth(s, s->owner->auth);
    if (s->post) {
        char line[96];
        snprintf(line, sizeof(line), "Content-Type: application/x-git-%s-request", s->service);
        s->headers = curl_slist_append(s->headers, line);
        snprintf(line, sizeof(line), "Accept: application/x-git-%s-result", s->service);
        s->headers = curl_slist_append(s->headers, line);
        s->headers = curl_slist_append(s->headers, "Expect:");
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->request.data ? s->request.data : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->request.len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
    curl_multi_add_handle(s->multi, e);
    s->started = true;
    return 0;
}

/* Turn a finished transfer's failure into the auth state and libgit2's error. */
static int transfer_failed(curl_stream *s, CURLcode code)
{
    ed_source_auth *auth = s->owner->auth;
    long status = 0, connect_status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    /* The proxy's answer to CONNECT (HTTPS through a proxy). */
    curl_easy_getinfo(s->easy, CURLINFO_HTTP_CONNECTCODE, &connect_status);
    bool proxy_auth = connect_status == 407 || (code == CURLE_HTTP_RETURNED_ERROR && status == 407);
    if (proxy_auth) {
        auth->failed = true;
        snprintf(auth->reason, sizeof(auth->reason), "the proxy refused the credentials (407)");
    } else if (connect_status >= 300) {
        git_error_set(GIT_ERROR_NET, "the proxy refused the tunnel (%ld)", connect_status);
        return -1;
    } else if (code == CURLE_HTTP_RETURNED_ERROR && (status == 401 || status == 403)) {
        auth->failed = true;
        /* go-git's words for these answers, as Flux's clone reports them. */
        snprintf(auth->reason, sizeof(auth->reason), "%s",
                 status == 401 ? "authentication required" : "authorization failed");
    } else if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE) {
        auth->host_refused = true;
        snprintf(auth->reason, sizeof(auth->reason), "%s",
                 "tls: failed to verify certificate: x509: certificate signed by unknown "
                 "authority");
    } else if (code == CURLE_SSL_CERTPROBLEM) {
        auth->failed = true;
        snprintf(auth->reason, sizeof(auth->reason),
                 "cannot use the client certificate ('tls.crt', 'tls.key')");
    } else if (code == CURLE_SSL_CONNECT_ERROR || code == CURLE_RECV_ERROR ||
               code == CURLE_SEND_ERROR) {
        /* A server that wants another client certificate ends the handshake with an alert,
         * seen here as a failed connect or receive. */
        auth->failed = auth->failed || ed_source_secret_get(auth->secret, auth->secret_len,
                                                            "tls.crt", NULL) != NULL;
        if (auth->failed)
            snprintf(auth->reason, sizeof(auth->reason),
                     "TLS handshake failed: the server did not accept the client certificate");
    }
    if (code == CURLE_HTTP_RETURNED_ERROR)
        git_error_set(GIT_ERROR_HTTP, "unexpected HTTP status code: %ld", status);
    else
        git_error_set(GIT_ERROR_NET, "%s", curl_easy_strerror(code));
    return -1;
}

/* Drive the transfer until some response bytes are buffered or it ends. */
static int stream_pump(curl_stream *s)
{
    while (s->response.len == s->response_pos && !s->done) {
        if (ed_source_deadline_passed(s->owner->auth->deadline)) {
            git_error_set_str(GIT_ERROR_NET, "operation timed out");
            return -1;
        }
        int running = 0;
        CURLMcode mc = curl_multi_perform(s->multi, &running);
        if (mc != CURLM_OK) {
            git_error_set(GIT_ERROR_NET, "%s", curl_multi_strerror(mc));
            return -1;
        }
        if (!running) {
            int left = 0;
            CURLMsg *msg = curl_multi_info_read(s->multi, &left);
            s->done = true;
            if (msg && msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK)
                return transfer_failed(s, msg->data.result);
            break;
        }
        if (s->response.len == s->response_pos)
            curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
    }
    return 0;
}

static int stream_read(git_smart_subtransport_stream *stream, char *buffer, size_t buf_size,
                       size_t *bytes_read)
{
    curl_stream *s = (curl_stream *)stream;
    *bytes_read = 0;
    if (!s->started && stream_start(s) != 0)
        return -1;
    if (stream_pump(s) != 0)
        return -1;
    size_t avail = s->response.len - s->response_pos;
    size_t n = avail < buf_size ? avail : buf_size;
    memcpy(buffer, s->response.data + s->response_pos, n);
    s->response_pos += n;
    if (s->response_pos == s->response.len) {
        s->response.len = 0; /* all read: reuse the buffer */
        s->response_pos = 0;
    }
    *bytes_read = n;
    return 0;
}

static int stream_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
    curl_stream *s = (curl_stream *)stream;
    if (s->started || !s->post) {
        git_error_set_str(GIT_ERROR_NET, "write after the request was sent");
        return -1;
    }
    if (ed_buf_append(&s->request, buffer, len) != 0) {
        git_error_set(GIT_ERROR_NET, "%s request too large (over %zu MiB)",
                      strcmp(s->service, "receive-pack") == 0 ? "push" : "negotiation",
                      s->request.max >> 20);
        return -1;
    }
    return 0;
}

static void stream_free(git_smart_subtransport_stream *stream)
{
    curl_stream *s = (curl_stream *)stream;
    if (s->multi && s->easy)
        curl_multi_remove_handle(s->multi, s->easy);
    curl_easy_cleanup(s->easy);
    curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->headers);
    ed_buf_free(&s->request);
    ed_buf_free(&s->response);
    free(s->url);
    free(s);
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *transport,
                      const char *url, git_smart_service_t action)
{
    curl_subtransport *t = (curl_subtransport *)transport;
    *out = NULL;
    bool push = action == GIT_SERVICE_RECEIVEPACK_LS || action == GIT_SERVICE_RECEIVEPACK;
    if (!push && action != GIT_SERVICE_UPLOADPACK_LS && action != GIT_SERVICE_UPLOADPACK) {
        git_error_set_str(GIT_ERROR_NET, "unsupported Git service");
        return -1;
    }
    curl_stream *s = ed_xcalloc(1, sizeof(*s));
    s->parent.subtransport = transport;
    s->parent.read = stream_read;
    s->parent.write = stream_write;
    s->parent.free = stream_free;
    s->owner = t;
    s->request = (ed_buf)ED_BUF_INIT((size_t)16 << 20);
    s->response = (ed_buf)ED_BUF_INIT(READ_AHEAD_MAX);
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    s->post = action == GIT_SERVICE_UPLOADPACK || action == GIT_SERVICE_RECEIVEPACK;
    s->service = push ? "receive-pack" : "upload-pack";
    s->url = ed_xasprintf("%.*s%s%s", (int)n, url, s->post ? "/git-" : "/info/refs?service=git-",
                          s->service);
    *out = &s->parent;
    return 0;
}

static int sub_close(git_smart_subtransport *transport)
{
    (void)transport;
    return 0;
}

static void sub_free(git_smart_subtransport *transport)
{
    curl_subtransport *t = (curl_subtransport *)transport;
    curl_share_cleanup(t->share);
    free(t);
}

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
    (void)owner;
    curl_subtransport *t = ed_xcalloc(1, sizeof(*t));
    t->parent.action = sub_action;
    t->parent.close = sub_close;
    t->parent.free = sub_free;
    t->auth = param;
    /* One fetch runs on one thread: the share needs no lock callbacks. */
    t->share = curl_share_init();
    if (t->share)
        curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    *out = &t->parent;
    return 0;
}

static int transport_new(git_transport **out, git_remote *owner, void *param)
{
    git_smart_subtransport_definition def = {.callback = sub_new, .rpc = 1, .param = param};
    return git_transport_smart(out, owner, &def);
}

bool ed_source_transport_wanted(const ed_source_auth *auth)
{
    bool https = strcmp(auth->url.scheme, "https") == 0;
    bool plain = strcmp(auth->url.scheme, "http") == 0;
    bool cert = ed_source_secret_get(auth->secret, auth->secret_len, "tls.crt", NULL) != NULL;
    /* The environment's proxy as well: libgit2 (1.8) sends plain HTTP past the proxy its
     * options name, and gives up on a proxy that closes the connection after asking for
     * credentials. */
    return (https && cert) || ((https || plain) && (auth->proxy || env_proxy(auth->url.scheme)));
}

void ed_source_transport_install(ed_source_auth *auth, git_remote_callbacks *cb)
{
    if (ed_source_transport_wanted(auth))
        cb->transport = transport_new;
}
