/*
 * The registry client: image references as Docker and Flux read them, and the tag listing of
 * the OCI distribution API (GET /v2/<repository>/tags/list, pages linked by the Link header).
 * Authentication follows the registry's WWW-Authenticate challenge: Basic sends the
 * credentials; Bearer fetches a token from the challenge's realm for its service and scope
 * (with the credentials, when given) and retries with it, as container tools do.
 *
 * Every reply goes through a capped buffer; credentials and tokens never appear in messages.
 */
#include "image.h"

#include "../doc/doc.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PAGE      ((size_t)16 << 20)
#define MAX_TAGS      100000
#define MAX_CA_BUNDLE ((size_t)8 << 20)

int ed_image_ref_parse(const char *image, ed_image_ref *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    /* Flux's wording for the two mistakes people make: a URL, and a name with its tag; any
     * other bad name is go-containerregistry's "could not parse reference: <name>" (a
     * repository's name is lowercase letters, digits and ._-/). */
    const char *scheme_end = image ? strstr(image, "://") : NULL;
    if (scheme_end)
        return ed_err_set(err, ED_EINVALID,
                          "image '%s' should not include URL scheme; remove '%.*s://'", image,
                          (int)(scheme_end - image), image);
    if (!image || !*image || strchr(image, '@') || strpbrk(image, " \t\n") ||
        ed_str_has_suffix(image, "/"))
        return ed_err_set(err, ED_EINVALID, "could not parse reference: %s", image ? image : "");
    const char *slash = strchr(image, '/');
    const char *repo = image;
    char host[256] = "";
    if (slash) {
        size_t hl = (size_t)(slash - image);
        /* The first part names a registry when it looks like a host. */
        if ((memchr(image, '.', hl) || memchr(image, ':', hl) ||
             (hl == 9 && strncmp(image, "localhost", 9) == 0)) &&
            hl < sizeof(host)) {
            memcpy(host, image, hl);
            host[hl] = '\0';
            repo = slash + 1;
        }
    }
    /* The name is checked first, as go-containerregistry parses it before Flux looks for a
     * tag; then a tag is not part of the name ("nginx:1.27" is refused: the tag goes
     * elsewhere). */
    const char *colon = strchr(repo, ':');
    for (const char *p = repo; *p && p != colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
            return ed_err_set(err, ED_EINVALID, "could not parse reference: %s", image);
    if (colon)
        return ed_err_set(err, ED_EINVALID, "image '%s' should not include a tag; remove ':%.*s'",
                          image, (int)strcspn(colon + 1, ":"), colon + 1);
    bool docker =
        !host[0] || strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0;
    if (docker) {
        snprintf(out->registry, sizeof(out->registry), "registry-1.docker.io");
        if (!strchr(repo, '/'))
            snprintf(out->repository, sizeof(out->repository), "library/%s", repo);
        else
            snprintf(out->repository, sizeof(out->repository), "%s", repo);
        snprintf(out->canonical, sizeof(out->canonical), "index.docker.io/%s", out->repository);
    } else {
        snprintf(out->registry, sizeof(out->registry), "%s", host);
        snprintf(out->repository, sizeof(out->repository), "%s", repo);
        snprintf(out->canonical, sizeof(out->canonical), "%s/%s", host, repo);
    }
    return 0;
}

struct reply {
    ed_buf body;
    char *challenge; /* WWW-Authenticate */
    char *next;      /* the Link rel="next" target */
    char *digest;    /* Docker-Content-Digest */
    char *origin;    /* scheme://host[:port] of the URL that answered (after redirects) */
    char *url;       /* the URL that answered (after redirects), for messages */
    long retry_after_s;
    /* Request settings, kept across reply_free: */
    const char *accept; /* Accept header value, NULL for JSON */
    bool head;          /* HEAD instead of GET */
    /* A blob download: the body of a 200 goes to sink (at most cap bytes) through md, not to
     * the buffer (the bodies of 401s and redirects still go to the buffer). */
    FILE *sink;
    EVP_MD_CTX *md;
    int64_t cap, got;
    bool over;   /* the blob passed cap */
    long status; /* of the response being read */
    /* A write (push): the method, a body from memory or from a file (rewound for each
     * attempt), its Content-Type; the Location header of the reply. */
    const char *method; /* "POST", "PUT", or NULL for GET/HEAD */
    const char *upload;
    size_t upload_len;
    FILE *upload_file;
    int64_t upload_file_len;
    const char *content_type;
    char *location;
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct reply *r = user;
    if (r->sink && r->status == 200) {
        if (r->got + (int64_t)(size * n) > r->cap) {
            r->over = true;
            return 0;
        }
        r->got += (int64_t)(size * n);
        EVP_DigestUpdate(r->md, data, size * n);
        return fwrite(data, 1, size * n, r->sink);
    }
    return ed_buf_append(&r->body, data, size * n) == 0 ? size * n : 0;
}

/* A header's value without the trailing CR LF, or NULL when line is another header. */
static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    return ed_xstrndup(v, vl);
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    struct reply *r = user;
    size_t len = size * n;
    char *v;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (the next of a redirect): only its own headers count. */
        free(r->challenge);
        free(r->next);
        free(r->digest);
        free(r->location);
        r->challenge = r->next = r->digest = r->location = NULL;
        r->retry_after_s = 0;
        const char *sp = memchr(data, ' ', len);
        r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    } else if ((v = header_value(data, len, "WWW-Authenticate"))) {
        free(r->challenge);
        r->challenge = v;
    } else if ((v = header_value(data, len, "Link"))) {
        /* <url>; rel="next" */
        char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        if (lt && gt && strstr(gt, "rel=\"next\"")) {
            free(r->next);
            r->next = ed_xstrndup(lt + 1, (size_t)(gt - lt - 1));
        }
        free(v);
    } else if ((v = header_value(data, len, "Docker-Content-Digest"))) {
        free(r->digest);
        r->digest = v;
    } else if ((v = header_value(data, len, "Location"))) {
        free(r->location);
        r->location = v;
    } else if ((v = header_value(data, len, "Retry-After"))) {
        r->retry_after_s = strtol(v, NULL, 10);
        free(v);
    }
    return len;
}

static void reply_free(struct reply *r)
{
    struct reply keep = {.accept = r->accept,
                         .head = r->head,
                         .sink = r->sink,
                         .md = r->md,
                         .cap = r->cap,
                         .got = r->got,
                         .method = r->method,
                         .upload = r->upload,
                         .upload_len = r->upload_len,
                         .upload_file = r->upload_file,
                         .upload_file_len = r->upload_file_len,
                         .content_type = r->content_type};
    ed_buf_free(&r->body);
    free(r->challenge);
    free(r->next);
    free(r->digest);
    free(r->origin);
    free(r->url);
    free(r->location);
    *r = keep;
}

/*
 * The CAs a registry's certificate is checked against when certSecretRef gives a ca.crt: the
 * system's and that one, as Flux's client extends Go's system pool (a CA blob alone would
 * replace curl's bundle). The system's bundle is $SSL_CERT_FILE when set, as Go reads it (also
 * without a ca.crt), else curl's default; one that cannot be read adds nothing.
 */
static void ca_bundle(CURL *h, const char *ca_pem, ed_buf *out)
{
    const char *path = getenv("SSL_CERT_FILE");
    char *dflt = NULL;
#if LIBCURL_VERSION_NUM >= 0x075400
    if (!path || !*path) {
        curl_easy_getinfo(h, CURLINFO_CAINFO, &dflt);
        path = dflt;
    }
#else
    (void)h;
    (void)dflt;
#endif
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    if (f) {
        char chunk[16384];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            if (ed_buf_append(out, chunk, n) != 0) {
                ed_buf_reset(out); /* past the cap: only the given CA */
                break;
            }
        fclose(f);
        if (out->len)
            ed_buf_append(out, "\n", 1);
    }
    if (ed_buf_append_str(out, ca_pem) != 0) {
        ed_buf_reset(out);
        ed_buf_append_str(out, ca_pem);
    }
}

/*
 * Registry errors in Flux's words. Flux's client, go-containerregistry, says what failed as Go's
 * HTTP client and its own transport.Error word it, and Flux's conditions quote them; eddy says
 * the same, so that a message reads the same from either controller:
 *   no reply       Get "<url>": dial tcp <ip>:<port>: connect: connection refused (Go's url.Error
 *                  around its net error; transport_error), and for the first contact with a
 *                  registry, the /v2/ ping of each scheme tried, joined by "; " (session_get_path);
 *   a failed status  <METHOD> <url>: <CODE>: <message>; <detail as Go's %v> from the registry's
 *                  JSON errors, else "unexpected status code <n> <text>[: <body>]" (status_error).
 */

/* Go's net/http method word in a url.Error ("Get", "Head", ...). */
static const char *go_op(const struct reply *r)
{
    if (r->method)
        return strcmp(r->method, "POST") == 0  ? "Post"
               : strcmp(r->method, "PUT") == 0 ? "Put"
                                               : r->method;
    return r->head ? "Head" : "Get";
}

/* The host[:port] of url into out. */
static void url_host(const char *url, char *out, size_t n)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    snprintf(out, n, "%.*s", (int)strcspn(h, "/?#"), h);
}

/* The description of the last fatal TLS alert the peer sent during this thread's request
 * (OpenSSL's words; empty for none). Set by tls_info from inside curl_easy_perform, which
 * runs its callbacks on the calling thread, and read when it returns: a connection curl keeps
 * for a later request can then point at no request's memory. */
static _Thread_local char peer_alert[64];

static void tls_info(const SSL *ssl, int where, int ret)
{
    (void)ssl;
    /* (SSL_CB_READ_ALERT shares its alert bit with SSL_CB_WRITE_ALERT: ours are not wanted) */
    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) &&
        strcmp(SSL_alert_type_string(ret), "F") == 0)
        snprintf(peer_alert, sizeof(peer_alert), "%s", SSL_alert_desc_string_long(ret));
}

static CURLcode on_ssl_ctx(CURL *h, void *ctx, void *user)
{
    (void)h;
    (void)user;
    SSL_CTX_set_info_callback(ctx, tls_info);
    return CURLE_OK;
}

/* Go's name of a TLS alert (crypto/tls's alert.String) for OpenSSL's description; OpenSSL's
 * words for one Go names alike or not at all. */
static const char *go_alert(const char *desc)
{
    static const char *const names[][2] = {
        {"unknown CA", "unknown certificate authority"},
        {"certificate expired", "expired certificate"},
        {"certificate revoked", "revoked certificate"},
        {"certificate unknown", "unknown certificate"},
        {"protocol version", "protocol version not supported"},
        {"decrypt error", "error decrypting message"},
        {"decode error", "error decoding message"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(desc, names[i][0]) == 0)
            return names[i][1];
    return desc;
}

/* A request that got no reply, as Go's client words it: url.Error's `Get "<url>": ` and the
 * net or TLS error below it (curl's own words where Go's are not known). */
static void transport_error(CURL *h, CURLcode cc, const char *url, const struct reply *r,
                            const char *curl_msg, ed_err *err)
{
    char words[512], host[300];
    const char *msg = curl_msg[0] ? curl_msg : curl_easy_strerror(cc);
    url_host(url, host, sizeof(host));
    if (cc == CURLE_COULDNT_CONNECT) {
        long oserr = 0, port = 0;
        char *ip = NULL;
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
        curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
        curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
        char addr[300], why[128];
        if (ip && *ip && port > 0)
            snprintf(addr, sizeof(addr), strchr(ip, ':') ? "[%s]:%ld" : "%s:%ld", ip, port);
        else
            snprintf(addr, sizeof(addr), "%s", host);
        /* Go's syscall errors are strerror's words, lower case. */
        snprintf(why, sizeof(why), "%s", oserr ? strerror((int)oserr) : "connection refused");
        if (why[0] >= 'A' && why[0] <= 'Z')
            why[0] = (char)(why[0] - 'A' + 'a');
        snprintf(words, sizeof(words), "dial tcp %s: connect: %s", addr, why);
    } else if (peer_alert[0] && cc != CURLE_OPERATION_TIMEDOUT) {
        /* The server ended the TLS session with an alert (a client certificate it wants and
         * did not get, say): Go's client reports the alert, where curl's message is often of
         * the socket it then finds closed. */
        snprintf(words, sizeof(words), "remote error: tls: %s", go_alert(peer_alert));
    } else if (cc == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(words, sizeof(words), "dial tcp: lookup %.*s: no such host",
                 (int)strcspn(host, ":"), host);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(words, sizeof(words), "context deadline exceeded");
    } else if (cc == CURLE_SSL_CONNECT_ERROR &&
               (strstr(msg, "wrong version number") || strstr(msg, "packet length too long"))) {
        snprintf(words, sizeof(words), "http: server gave HTTP response to HTTPS client");
    } else if (cc == CURLE_PEER_FAILED_VERIFICATION &&
               (strstr(msg, "unable to get local issuer") || strstr(msg, "self-signed") ||
                strstr(msg, "self signed"))) {
        snprintf(
            words, sizeof(words),
            "tls: failed to verify certificate: x509: certificate signed by unknown authority");
    } else {
        snprintf(words, sizeof(words), "%s", msg);
    }
    ed_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? ED_ETIMEOUT : ED_ERETRY, "%s \"%s\": %s",
               go_op(r), url, words);
}

/* GET url with an optional Authorization header value; fills r. Returns the HTTP status, or
 * -1 with err set when no reply came. */
static long get(const char *url, const char *authorization, const char *userpwd_user,
                const char *userpwd_pass, const ed_registry_opts *o, struct reply *r, ed_err *err)
{
    reply_free(r);
    r->body = (ed_buf)ED_BUF_INIT(MAX_PAGE);
    CURL *h = curl_easy_init();
    if (!h) {
        ed_err_set(err, ED_ERROR, "cannot create an HTTP request");
        return -1;
    }
    char *accept = ed_xasprintf("Accept: %s", r->accept ? r->accept : "application/json");
    struct curl_slist *headers = curl_slist_append(NULL, accept);
    free(accept);
    if (authorization) {
        char *line = ed_xasprintf("Authorization: %s", authorization);
        headers = curl_slist_append(headers, line);
        memset(line, 0, strlen(line));
        free(line);
    }
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (r->head)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (r->content_type) {
        char *ct = ed_xasprintf("Content-Type: %s", r->content_type);
        headers = curl_slist_append(headers, ct);
        free(ct);
    }
    if (r->upload_file) {
        /* Each attempt (after a 401, say) sends the whole file again. */
        rewind(r->upload_file);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, r->upload_file);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->upload_file_len);
    } else if (r->method) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->upload ? r->upload : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->upload_len);
    }
    if (r->method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms > 0 ? o->timeout_ms : 60000));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects are followed, as Go's client follows them (registry.k8s.io sends every /v2/
     * request elsewhere); curl sends neither the Authorization header nor the credentials to
     * another host. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "eddy-image-reflector");
    if (userpwd_user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, userpwd_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, userpwd_pass ? userpwd_pass : "");
    }
    if (o->ca_pem) {
        ed_buf bundle = ED_BUF_INIT(MAX_CA_BUNDLE);
        ca_bundle(h, o->ca_pem, &bundle);
        struct curl_blob ca = {bundle.data, bundle.len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
        ed_buf_free(&bundle);
    } else {
        const char *system = getenv("SSL_CERT_FILE");
        if (system && *system)
            curl_easy_setopt(h, CURLOPT_CAINFO, system);
    }
    if (o->proxy) {
        curl_easy_setopt(h, CURLOPT_PROXY, o->proxy);
        if (o->proxy_username) {
            curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, o->proxy_username);
            curl_easy_setopt(h, CURLOPT_PROXYPASSWORD, o->proxy_password ? o->proxy_password : "");
        }
    }
    if (o->tls_skip_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->cert_pem && o->key_pem) {
        struct curl_blob cert = {(void *)o->cert_pem, strlen(o->cert_pem), CURL_BLOB_COPY};
        struct curl_blob key = {(void *)o->key_pem, strlen(o->key_pem), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    /* (any TLS session: the alerts its server sends, for transport_error) */
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
    peer_alert[0] = '\0';
    CURLcode cc = curl_easy_perform(h);
    long status = -1;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        char *eff = NULL;
        curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
        const char *host = eff ? strstr(eff, "://") : NULL;
        if (host)
            r->origin = ed_xstrndup(eff, (size_t)(host + 3 - eff) + strcspn(host + 3, "/?#"));
        r->url = ed_xstrdup(eff ? eff : url);
    } else if (cc == CURLE_WRITE_ERROR && r->over)
        ed_err_set(err, ED_ETOOBIG, "GET %s: the blob is larger than %lld bytes", url,
                   (long long)r->cap);
    else if (cc == CURLE_WRITE_ERROR && r->sink)
        ed_err_set(err, ED_ERROR, "GET %s: writing the blob failed", url);
    else if (cc == CURLE_WRITE_ERROR)
        ed_err_set(err, ED_ETOOBIG, "GET %s: the reply is larger than %zu MiB", url,
                   MAX_PAGE >> 20);
    else
        transport_error(h, cc, url, r, curl_msg, err);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return status;
}

/* The value of param in a challenge such as: Bearer realm="...",service="...",scope="..." */
static char *challenge_param(const char *challenge, const char *param)
{
    char key[64];
    snprintf(key, sizeof(key), "%s=\"", param);
    const char *p = strstr(challenge, key);
    if (!p)
        return NULL;
    p += strlen(key);
    const char *end = strchr(p, '"');
    return end ? ed_xstrndup(p, (size_t)(end - p)) : NULL;
}

/* Escape a query value. */
static char *escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = ed_xstrdup(e ? e : "");
    curl_free(e);
    return copy;
}

/* Answer a Bearer challenge: fetch a token. Returns "Bearer <token>" (new) or NULL. */
static char *bearer_token(const char *challenge, const ed_image_ref *ref, const ed_registry_opts *o,
                          ed_err *err)
{
    char *realm = challenge_param(challenge, "realm");
    char *service = challenge_param(challenge, "service");
    char *scope = challenge_param(challenge, "scope");
    char *auth = NULL;
    if (!realm) {
        ed_err_set(err, ED_EAUTH, "%s: the registry's Bearer challenge has no realm",
                   ref->registry);
        goto out;
    }
    char *default_scope =
        ed_xasprintf("repository:%s:%s", ref->repository, o->push ? "pull,push" : "pull");
    char *esc_service = escape(service ? service : "");
    /* A push asks for both actions at once: the token then serves every request. */
    char *esc_scope = escape(scope && !o->push ? scope : default_scope);
    char *url = ed_xasprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
                             esc_service, esc_scope);
    struct reply r = {0};
    long status = get(url, NULL, o->username, o->password, o, &r, err);
    if (status == 200) {
        ed_doc *d = NULL;
        if (ed_doc_parse_api_json(r.body.data, r.body.len, &d, NULL) == 0) {
            const char *tok = ed_node_str(ed_node_get(ed_doc_root(d), "token"));
            if (!tok)
                tok = ed_node_str(ed_node_get(ed_doc_root(d), "access_token"));
            if (tok)
                auth = ed_xasprintf("Bearer %s", tok);
            ed_doc_free(d);
        }
        if (!auth)
            ed_err_set(err, ED_EAUTH, "%s: the token service gave no token", ref->registry);
    } else if (status == 401 || status == 403) {
        ed_err_set(err, ED_EAUTH, "%s: the token service refused the credentials (HTTP %ld)",
                   ref->registry, status);
    } else if (status >= 0) {
        ed_err_set(err, status == 429 || status >= 500 ? ED_ERETRY : ED_ERROR,
                   "%s: the token service answered HTTP %ld", ref->registry, status);
    }
    reply_free(&r);
    free(url);
    free(esc_service);
    free(esc_scope);
    free(default_scope);
out:
    free(realm);
    free(service);
    free(scope);
    return auth;
}

void ed_registry_tags_free(char **tags)
{
    if (!tags)
        return;
    for (char **t = tags; *t; t++)
        free(*t);
    free(tags);
}

/* The answer to the registry's auth challenge, kept across the requests of one call. */
struct session {
    const ed_image_ref *ref;
    const ed_registry_opts *o;
    char *auth;         /* the Authorization value that worked */
    bool basic;         /* the registry asked for Basic */
    const char *scheme; /* "https", or "http" once a plain registry answered */
    bool may_fall_back; /* plain HTTP is allowed and has not been tried yet */
    bool answered;      /* the registry replied (over the session's scheme) */
};

/*
 * A registry that may be spoken to over plain HTTP, as go-containerregistry (Flux's client)
 * decides: spec.insecure, or a host that looks local (localhost:<port>, *.local or
 * *.localhost, a loopback address, an RFC 1918 address). HTTPS is still tried first.
 */
static bool plain_http_allowed(const char *registry, bool insecure)
{
    if (insecure || ed_str_has_prefix(registry, "localhost:") || strstr(registry, "127.0.0.1") ||
        strstr(registry, "::1"))
        return true;
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)strcspn(registry, ":"), registry);
    if (ed_str_has_suffix(host, ".local") || ed_str_has_suffix(host, ".localhost"))
        return true;
    unsigned a, b, c, d;
    char tail;
    if (sscanf(host, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return false;
    return a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168);
}

bool ed_registry_plain_http_allowed(const ed_image_ref *ref, bool insecure)
{
    return plain_http_allowed(ref->registry, insecure);
}

static void session_init(struct session *s, const ed_image_ref *ref, const ed_registry_opts *o)
{
    memset(s, 0, sizeof(*s));
    s->ref = ref;
    s->o = o;
    s->scheme = "https";
    s->may_fall_back = plain_http_allowed(ref->registry, o->insecure);
}

static void session_clear(struct session *s)
{
    if (s->auth) {
        memset(s->auth, 0, strlen(s->auth));
        free(s->auth);
    }
    s->auth = NULL;
}

static long session_get(struct session *s, const char *url, struct reply *r, ed_err *err);

/* A first request that got no reply, named as Flux's client names it: its ping of the
 * registry (Get "<scheme>://<registry>/v2/": ...), which is what failed there. */
static void ping_words(ed_err *err, const char *scheme, const char *registry)
{
    const char *words = strstr(err->msg, "\": ");
    if (!words || err->msg[0] == '\0' || !strchr("GHPD", err->msg[0]))
        return;
    char *msg = ed_xasprintf("Get \"%s://%s/v2/\": %s", scheme, registry, words + 3);
    snprintf(err->msg, sizeof(err->msg), "%s", msg);
    free(msg);
}

static int status_error(long status, const struct reply *r, const ed_registry_opts *o, ed_err *err);

/* After err (the HTTPS failure), the plain HTTP answer to a GET of the registry's /v2/ when it
 * is neither 200 nor 401, as go-containerregistry's ping words it. */
static void ping_answer(struct session *s, ed_err *err)
{
    char *url = ed_xasprintf("http://%s/v2/", s->ref->registry);
    struct reply r = {0};
    ed_err plain = ED_ERR_INIT;
    long status = get(url, NULL, NULL, NULL, s->o, &r, &plain);
    if (status >= 0 && status != 200 && status != 401) {
        status_error(status, &r, s->o, &plain);
        char *both = ed_xasprintf("%s; %s", err->msg, plain.msg);
        snprintf(err->msg, sizeof(err->msg), "%s", both);
        free(both);
    }
    reply_free(&r);
    free(url);
}

/* GET (or HEAD) the registry's path over the session's scheme; when HTTPS gives no reply
 * (nothing listening there, or a plain HTTP server) and plain HTTP is allowed, the request is
 * made again over HTTP, which the rest of the session then uses. */
static long session_get_path(struct session *s, const char *path, struct reply *r, ed_err *err)
{
    char *url = ed_xasprintf("%s://%s%s", s->scheme, s->ref->registry, path);
    long status = session_get(s, url, r, err);
    free(url);
    if (status < 0 && !s->answered && err && err->code != ED_ETOOBIG)
        ping_words(err, s->scheme, s->ref->registry);
    if (status < 0 && s->may_fall_back && !s->answered) {
        s->may_fall_back = false;
        ed_err https_err = ED_ERR_INIT;
        if (err)
            https_err = *err;
        ed_err_clear(err);
        url = ed_xasprintf("http://%s%s", s->ref->registry, path);
        status = session_get(s, url, r, err);
        free(url);
        bool plain_spoke = s->answered || (err && err->code == ED_ETOOBIG);
        if (status < 0 && !plain_spoke) {
            /* Neither scheme answered: both failures, as Flux's ping joins them. */
            if (err) {
                ping_words(err, "http", s->ref->registry);
                char *both = ed_xasprintf("%s; %s", https_err.msg, err->msg);
                snprintf(err->msg, sizeof(err->msg), "%s", both);
                free(both);
            }
        } else if (status == 400) {
            /* An HTTPS server answers a plain request with 400 (and a registry that only
             * looks local was meant to be HTTPS): the HTTPS failure, a certificate refused
             * say, is what the user needs to read, then the plain answer to Flux's ping of
             * /v2/, as Flux's client joins them. A plain server that did answer (a 401, then
             * a blob over the cap; or a blob over the cap at once) has its own failure said. */
            if (err) {
                *err = https_err;
                ping_answer(s, err);
            }
            status = -1;
        } else {
            s->scheme = "http";
        }
    }
    if (status >= 0)
        s->may_fall_back = false;
    return status;
}

/* GET (or HEAD) url, answering a 401 challenge once. Returns the HTTP status, or -1 with err
 * set when no reply came or the challenge could not be answered. */
/* Whether url's host[:port] is the registry's: only then do the credentials and the token go
 * with a request (a Link to another host gets neither, as Go's client sends them only to the
 * registry). */
static bool same_registry(const char *url, const char *registry)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    size_t n = strcspn(h, "/?#");
    return strlen(registry) == n && strncasecmp(h, registry, n) == 0;
}

static long session_get(struct session *s, const char *url, struct reply *r, ed_err *err)
{
    bool mine = same_registry(url, s->ref->registry);
    for (;;) {
        long status =
            mine ? get(url, s->auth, s->basic ? s->o->username : NULL, s->o->password, s->o, r, err)
                 : get(url, NULL, NULL, NULL, s->o, r, err);
        s->answered = s->answered || status >= 0;
        if (status != 401 || !mine || s->auth || s->basic || !r->challenge)
            return status;
        if (strncasecmp(r->challenge, "Basic", 5) == 0 && s->o->username) {
            s->basic = true;
            continue;
        }
        if (strncasecmp(r->challenge, "Bearer", 6) != 0)
            return status;
        s->auth = bearer_token(r->challenge, s->ref, s->o, err);
        if (!s->auth)
            return -1;
    }
}

/* A number as Go's %v prints a float64 (JSON numbers decode to float64): the shortest digits
 * that read back the same, in %e form when the exponent is below -4 or at least 6. */
static void go_float(ed_buf *b, double v)
{
    char e[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", prec - 1, v);
    const char *ep = strchr(e, 'e');
    int exp = ep ? (int)strtol(ep + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) {
        /* Go writes the exponent with at least two digits, as C does. */
        ed_buf_append_str(b, e);
        return;
    }
    ed_buf_printf(b, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
}

static int key_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A JSON value as Go's %v prints it after json.Unmarshal into an interface: a map as
 * map[k:v ...] with its keys sorted, a list as [a b], null as <nil>. */
static void go_value(ed_buf *b, const ed_node *n, int depth)
{
    double f;
    int64_t i;
    bool t;
    if (depth > 32) { /* defensive: a registry's error is not that deep */
        ed_buf_append_str(b, "...");
        return;
    }
    switch (ed_node_kind_of(n)) {
    case ED_NODE_STR:
        ed_buf_append(b, ed_node_str(n), ed_node_str_len(n));
        break;
    case ED_NODE_INT:
        ed_node_int(n, &i);
        go_float(b, (double)i);
        break;
    case ED_NODE_FLOAT:
        ed_node_float(n, &f, NULL);
        go_float(b, f);
        break;
    case ED_NODE_BOOL:
        ed_node_bool(n, &t);
        ed_buf_append_str(b, t ? "true" : "false");
        break;
    case ED_NODE_SEQ:
        ed_buf_append_str(b, "[");
        for (size_t k = 0; k < ed_node_len(n); k++) {
            if (k)
                ed_buf_append_str(b, " ");
            go_value(b, ed_node_at(n, k), depth + 1);
        }
        ed_buf_append_str(b, "]");
        break;
    case ED_NODE_MAP: {
        size_t len = ed_node_len(n);
        const char **keys = ed_xcalloc(len ? len : 1, sizeof(*keys));
        for (size_t k = 0; k < len; k++)
            keys[k] = ed_node_key_at(n, k);
        qsort(keys, len, sizeof(*keys), key_order);
        ed_buf_append_str(b, "map[");
        for (size_t k = 0; k < len; k++) {
            ed_buf_printf(b, "%s%s:", k ? " " : "", keys[k]);
            go_value(b, ed_node_get(n, keys[k]), depth + 1);
        }
        ed_buf_append_str(b, "]");
        free(keys);
        break;
    }
    default:
        ed_buf_append_str(b, "<nil>");
    }
}

/* url with its query as go-containerregistry redacts it for a message: keys sorted, each value
 * REDACTED unless the key is one of the registry API's own (n, last, digest, ...). */
static void redacted_url(ed_buf *b, const char *url)
{
    static const char *const keep[] = {"scope", "service", "mount", "from", "digest", "n", "last"};
    const char *q = strchr(url, '?');
    if (!q || !q[1]) {
        ed_buf_append(b, url, q ? (size_t)(q - url) : strlen(url));
        return;
    }
    ed_buf_append(b, url, (size_t)(q - url));
    char *query = ed_xstrdup(q + 1);
    size_t cap = 1;
    for (const char *p = query; *p; p++)
        cap += *p == '&';
    char **params = ed_xcalloc(cap, sizeof(*params));
    size_t np = 0;
    for (char *p = query; p && np < cap;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        if (*p)
            params[np++] = p;
        p = amp ? amp + 1 : NULL;
    }
    qsort(params, np, sizeof(*params), key_order);
    for (size_t k = 0; k < np; k++) {
        size_t kl = strcspn(params[k], "=");
        bool kept = false;
        for (size_t j = 0; j < sizeof(keep) / sizeof(keep[0]); j++)
            kept = kept || (strlen(keep[j]) == kl && strncmp(params[k], keep[j], kl) == 0);
        ed_buf_printf(b, "%c%.*s=%s", k ? '&' : '?', (int)kl, params[k],
                      kept ? (params[k][kl] ? params[k] + kl + 1 : "") : "REDACTED");
    }
    free(params);
    free(query);
}

/* The error code and message for a failed status, as go-containerregistry's transport.Error
 * words it: the request, then the registry's JSON errors, or the status and body. */
static int status_error(long status, const struct reply *r, const ed_registry_opts *o, ed_err *err)
{
    int code = status == 401 || status == 403 || status == 407 ? ED_EAUTH
               : status == 404                                 ? ED_ENOTFOUND
               : status == 429 || status >= 500                ? ED_ERETRY
                                                               : ED_ERROR;
    if (status == 429 && o->retry_after_ms)
        *o->retry_after_ms = r->retry_after_s > 0 ? (int64_t)r->retry_after_s * 1000 : 0;
    ed_buf msg = ED_BUF_INIT((size_t)128 << 10);
    const char *method = r->method ? r->method : r->head ? "HEAD" : "GET";
    ed_buf_printf(&msg, "%s ", method);
    redacted_url(&msg, r->url ? r->url : "");
    ed_buf_append_str(&msg, ": ");
    ed_doc *d = NULL;
    const ed_node *errs = NULL;
    if (r->body.len && ed_doc_parse_api_json(r->body.data, r->body.len, &d, NULL) == 0)
        errs = ed_node_get(ed_doc_root(d), "errors");
    size_t nerr = ed_node_kind_of(errs) == ED_NODE_SEQ ? ed_node_len(errs) : 0;
    if (nerr > 1)
        ed_buf_append_str(&msg, "multiple errors returned: ");
    for (size_t k = 0; k < nerr; k++) {
        const ed_node *e = ed_node_at(errs, k);
        const char *c = ed_node_str(ed_node_get(e, "code")),
                   *m = ed_node_str(ed_node_get(e, "message"));
        const ed_node *detail = ed_node_get(e, "detail");
        ed_buf_printf(&msg, "%s%s: %s", k ? "; " : "", c ? c : "", m ? m : "");
        if (detail && ed_node_kind_of(detail) != ED_NODE_NULL) {
            ed_buf_append_str(&msg, "; ");
            go_value(&msg, detail, 0);
        }
    }
    if (!nerr) {
        ed_buf_printf(&msg, "unexpected status code %ld %s", status, ed_http_status_text(status));
        if (r->body.len)
            ed_buf_printf(&msg, ": %.*s", (int)(r->body.len > 65536 ? 65536 : r->body.len),
                          r->body.data);
        else if (r->head)
            ed_buf_append_str(&msg, " (HEAD responses have no body, use GET for details)");
    }
    ed_doc_free(d);
    int rc = ed_err_set(err, code, "%s", msg.data ? msg.data : "");
    ed_buf_free(&msg);
    return rc;
}

int ed_registry_tags(const ed_image_ref *ref, const ed_registry_opts *opts, char ***tags, size_t *n,
                     ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    *tags = NULL;
    *n = 0;
    if (o->retry_after_ms)
        *o->retry_after_ms = 0;
    struct session sess;
    session_init(&sess, ref, o);
    char *first = ed_xasprintf("/v2/%s/tags/list?n=%d", ref->repository,
                               o->page_size > 0 ? o->page_size : 1000);
    char *url = NULL;
    char **list = ed_xcalloc(1, sizeof(*list));
    size_t count = 0;
    int rc = 0;
    struct reply r = {0};
    for (bool more = true; more;) {
        long status =
            url ? session_get(&sess, url, &r, err) : session_get_path(&sess, first, &r, err);
        if (status < 0) {
            rc = err ? err->code : ED_ERROR;
            break;
        }
        if (status != 200) {
            rc = status_error(status, &r, o, err);
            break;
        }
        ed_doc *d = NULL;
        ed_err perr = ED_ERR_INIT;
        if (ed_doc_parse_api_json(r.body.data, r.body.len, &d, &perr) != 0) {
            rc = ed_err_set(err, ED_ERROR, "%s: malformed tag list: %s", ref->registry, perr.msg);
            break;
        }
        ed_node *arr = ed_node_get(ed_doc_root(d), "tags");
        for (size_t i = 0; i < ed_node_len(arr); i++) {
            const char *t = ed_node_str(ed_node_at(arr, i));
            if (!t)
                continue;
            if (count >= MAX_TAGS) {
                rc = ed_err_set(err, ED_ETOOBIG, "%s: more than %d tags", ref->canonical, MAX_TAGS);
                break;
            }
            list = ed_xrealloc(list, (count + 2) * sizeof(*list));
            list[count++] = ed_xstrdup(t);
            list[count] = NULL;
        }
        ed_doc_free(d);
        if (rc)
            break;
        free(url);
        url = NULL;
        more = r.next != NULL;
        if (r.next) {
            /* The next page: an absolute URL, or a path on the server that answered (the
             * registry, or where it redirected). */
            if (r.next[0] != '/')
                url = ed_xstrdup(r.next);
            else if (r.origin)
                url = ed_xasprintf("%s%s", r.origin, r.next);
            else
                url = ed_xasprintf("%s://%s%s", sess.scheme, ref->registry, r.next);
        }
    }
    reply_free(&r);
    free(url);
    free(first);
    session_clear(&sess);
    if (rc) {
        ed_registry_tags_free(list);
        return rc;
    }
    *tags = list;
    *n = count;
    return 0;
}

int ed_registry_digest(const ed_image_ref *ref, const ed_registry_opts *opts, const char *tag,
                       char out[ED_DIGEST_MAX], ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    out[0] = '\0';
    if (o->retry_after_ms)
        *o->retry_after_ms = 0;
    char *path = ed_xasprintf("/v2/%s/manifests/%s", ref->repository, tag);
    struct session sess;
    session_init(&sess, ref, o);
    struct reply r = {.head = true,
                      .accept = "application/vnd.oci.image.index.v1+json, "
                                "application/vnd.oci.image.manifest.v1+json, "
                                "application/vnd.docker.distribution.manifest.list.v2+json, "
                                "application/vnd.docker.distribution.manifest.v2+json"};
    int rc = 0;
    long status = session_get_path(&sess, path, &r, err);
    if (status >= 0 && status != 200) {
        /* As Flux's client (crane.Digest): a HEAD that fails is made again as a GET, whose
         * answer has the registry's words for the failure (a HEAD's has no body). */
        r.head = false;
        status = session_get_path(&sess, path, &r, err);
        if (status == 200) {
            char hex[65];
            ed_sha256_hex(r.body.data, r.body.len, hex);
            free(r.digest);
            r.digest = ed_xasprintf("sha256:%s", hex);
        }
    }
    if (status < 0)
        rc = err ? err->code : ED_ERROR;
    else if (status != 200)
        rc = status_error(status, &r, o, err);
    else if (!r.digest || strncmp(r.digest, "sha256:", 7) != 0 || strlen(r.digest) >= ED_DIGEST_MAX)
        rc = ed_err_set(err, ED_ERROR, "%s: no valid Docker-Content-Digest for %s:%s",
                        ref->registry, ref->repository, tag);
    else
        snprintf(out, ED_DIGEST_MAX, "%s", r.digest);
    reply_free(&r);
    free(path);
    session_clear(&sess);
    return rc;
}

/* GET /v2/<name>/manifests/<reference> with the Accept header accept: the body as sent and its
 * own sha256, which must be reference when reference is a digest. */
static int manifest_get(const ed_image_ref *ref, const ed_registry_opts *opts,
                        const char *reference, const char *accept, char **body,
                        char digest[ED_DIGEST_MAX], ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    *body = NULL;
    digest[0] = '\0';
    if (o->retry_after_ms)
        *o->retry_after_ms = 0;
    char *path = ed_xasprintf("/v2/%s/manifests/%s", ref->repository, reference);
    struct session sess;
    session_init(&sess, ref, o);
    struct reply r = {.accept = accept};
    int rc = 0;
    long status = session_get_path(&sess, path, &r, err);
    if (status < 0) {
        rc = err ? err->code : ED_ERROR;
    } else if (status != 200) {
        rc = status_error(status, &r, o, err);
    } else {
        /* The digest is the manifest's bytes' own, whatever a header says: a manifest asked
         * for by digest must have that digest. */
        char hex[65];
        ed_sha256_hex(r.body.data, r.body.len, hex);
        snprintf(digest, ED_DIGEST_MAX, "sha256:%s", hex);
        if (ed_sha256_digest_valid(reference) && strcmp(reference, digest) != 0)
            rc = ed_err_set(err, ED_EINVALID, "%s: the manifest of %s@%s has the digest %s",
                            ref->registry, ref->repository, reference, digest);
        else
            *body = ed_xstrndup(r.body.data ? r.body.data : "", r.body.len);
    }
    if (rc)
        digest[0] = '\0';
    reply_free(&r);
    free(path);
    session_clear(&sess);
    return rc;
}

int ed_registry_manifest(const ed_image_ref *ref, const ed_registry_opts *opts,
                         const char *reference, char **body, char digest[ED_DIGEST_MAX],
                         ed_err *err)
{
    return manifest_get(ref, opts, reference,
                        "application/vnd.oci.image.manifest.v1+json, "
                        "application/vnd.docker.distribution.manifest.v2+json",
                        body, digest, err);
}

int ed_registry_index(const ed_image_ref *ref, const ed_registry_opts *opts, const char *reference,
                      char **body, char digest[ED_DIGEST_MAX], ed_err *err)
{
    return manifest_get(ref, opts, reference, "application/vnd.oci.image.index.v1+json", body,
                        digest, err);
}

int ed_registry_referrers(const ed_image_ref *ref, const ed_registry_opts *opts, const char *digest,
                          const char *artifact_type, char **body, ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    *body = NULL;
    if (o->retry_after_ms)
        *o->retry_after_ms = 0;
    if (!ed_sha256_digest_valid(digest))
        return ed_err_set(err, ED_EINVALID, "%s: invalid digest '%s'", ref->registry,
                          digest ? digest : "");
    /* The artifactType filter is a hint: a registry may ignore it (it says which filters it
     * applied in OCI-Filters-Applied), so the caller filters again. */
    char *type = artifact_type ? escape(artifact_type) : NULL;
    char *path = ed_xasprintf("/v2/%s/referrers/%s%s%s", ref->repository, digest,
                              type ? "?artifactType=" : "", type ? type : "");
    struct session sess;
    session_init(&sess, ref, o);
    struct reply r = {.accept = "application/vnd.oci.image.index.v1+json"};
    int rc = 0;
    long status = session_get_path(&sess, path, &r, err);
    if (status < 0)
        rc = err ? err->code : ED_ERROR;
    else if (status != 200)
        rc = status_error(status, &r, o, err);
    else
        *body = ed_xstrndup(r.body.data ? r.body.data : "", r.body.len);
    reply_free(&r);
    free(path);
    free(type);
    session_clear(&sess);
    return rc;
}

int ed_registry_blob_get(const ed_image_ref *ref, const ed_registry_opts *opts, const char *digest,
                         const char *file, int64_t max_bytes, ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    if (!ed_sha256_digest_valid(digest))
        return ed_err_set(err, ED_EINVALID, "%s: invalid blob digest '%s'", ref->registry,
                          digest ? digest : "");
    FILE *f = fopen(file, "wbx");
    if (!f)
        return ed_err_set(err, ED_ERROR, "create %s: %s", file, strerror(errno));
    char *path = ed_xasprintf("/v2/%s/blobs/%s", ref->repository, digest);
    struct session sess;
    session_init(&sess, ref, o);
    struct reply r = {.accept = "*/*", .sink = f, .md = EVP_MD_CTX_new(), .cap = max_bytes};
    if (!r.md)
        abort(); /* out of memory */
    EVP_DigestInit_ex(r.md, EVP_sha256(), NULL);
    int rc = 0;
    long status = session_get_path(&sess, path, &r, err);
    if (status < 0)
        rc = err ? err->code : ED_ERROR;
    else if (status != 200)
        rc = status_error(status, &r, o, err);
    if (fclose(f) != 0 && !rc)
        rc = ed_err_set(err, ED_ERROR, "write %s: %s", file, strerror(errno));
    if (!rc) {
        unsigned char sum[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(r.md, sum, &n);
        char got[7 + 65] = "sha256:";
        for (unsigned int i = 0; i < n && i < 32; i++)
            snprintf(got + 7 + 2 * i, 3, "%02x", sum[i]);
        if (strcmp(got, digest) != 0)
            rc = ed_err_set(err, ED_EINVALID, "%s: the blob %s of %s has the digest %s",
                            ref->registry, digest, ref->repository, got);
    }
    if (rc)
        unlink(file);
    EVP_MD_CTX_free(r.md);
    r.md = NULL;
    r.sink = NULL;
    reply_free(&r);
    free(path);
    session_clear(&sess);
    return rc;
}

/* One write request of a push: a path of the registry, or an absolute URL (a Location). */
static long push_request(struct session *s, const char *path_or_url, struct reply *r, ed_err *err)
{
    if (ed_str_has_prefix(path_or_url, "http://") || ed_str_has_prefix(path_or_url, "https://"))
        return session_get(s, path_or_url, r, err);
    return session_get_path(s, path_or_url, r, err);
}

int ed_registry_blob_put(const ed_image_ref *ref, const ed_registry_opts *opts, const char *file,
                         const char *data, size_t len, const char *digest, ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    if (!ed_sha256_digest_valid(digest))
        return ed_err_set(err, ED_EINVALID, "%s: invalid blob digest '%s'", ref->registry,
                          digest ? digest : "");
    struct session sess;
    session_init(&sess, ref, o);
    int rc = 0;
    FILE *f = NULL;
    char *path = ed_xasprintf("/v2/%s/blobs/%s", ref->repository, digest);
    char *put = NULL;
    /* Already there (another tag of the same content): nothing to send. */
    struct reply r = {.head = true, .accept = "*/*"};
    long status = session_get_path(&sess, path, &r, err);
    if (status == 200)
        goto done;
    if (status < 0) {
        rc = err ? err->code : ED_ERROR;
        goto done;
    }
    reply_free(&r);
    r = (struct reply){.method = "POST", .accept = "*/*"};
    free(path);
    path = ed_xasprintf("/v2/%s/blobs/uploads/", ref->repository);
    status = push_request(&sess, path, &r, err);
    if (status < 0) {
        rc = err ? err->code : ED_ERROR;
        goto done;
    }
    if (status != 202) {
        rc = status_error(status, &r, o, err);
        goto done;
    }
    if (!r.location) {
        rc = ed_err_set(err, ED_ERROR, "%s: an upload to %s was started without a Location",
                        ref->registry, ref->repository);
        goto done;
    }
    /* The upload URL: absolute, or a path on the server that answered. */
    const char *sep = strchr(r.location, '?') ? "&" : "?";
    if (r.location[0] == '/')
        put = ed_xasprintf("%s://%s%s%sdigest=%s", sess.scheme, ref->registry, r.location, sep,
                           digest);
    else
        put = ed_xasprintf("%s%sdigest=%s", r.location, sep, digest);
    reply_free(&r);
    r = (struct reply){.method = "PUT",
                       .accept = "*/*",
                       .content_type = "application/octet-stream",
                       .upload = data,
                       .upload_len = len};
    if (file) {
        struct stat st;
        if (!(f = fopen(file, "rb")) || fstat(fileno(f), &st) != 0) {
            rc = ed_err_set(err, ED_ERROR, "read %s: %s", file, strerror(errno));
            goto done;
        }
        r.upload_file = f;
        r.upload_file_len = (int64_t)st.st_size;
    }
    status = push_request(&sess, put, &r, err);
    if (status < 0)
        rc = err ? err->code : ED_ERROR;
    else if (status != 201)
        rc = status_error(status, &r, o, err);
done:
    if (f)
        fclose(f);
    r.upload_file = NULL;
    reply_free(&r);
    free(path);
    free(put);
    session_clear(&sess);
    return rc;
}

int ed_registry_manifest_put(const ed_image_ref *ref, const ed_registry_opts *opts, const char *tag,
                             const char *manifest, const char *media_type,
                             char digest[ED_DIGEST_MAX], ed_err *err)
{
    static const ed_registry_opts none = {0};
    const ed_registry_opts *o = opts ? opts : &none;
    char hex[65];
    ed_sha256_hex(manifest, strlen(manifest), hex);
    snprintf(digest, ED_DIGEST_MAX, "sha256:%s", hex);
    struct session sess;
    session_init(&sess, ref, o);
    char *path = ed_xasprintf("/v2/%s/manifests/%s", ref->repository, tag);
    struct reply r = {.method = "PUT",
                      .accept = "*/*",
                      .content_type = media_type,
                      .upload = manifest,
                      .upload_len = strlen(manifest)};
    int rc = 0;
    long status = session_get_path(&sess, path, &r, err);
    if (status < 0)
        rc = err ? err->code : ED_ERROR;
    else if (status != 201)
        rc = status_error(status, &r, o, err);
    else if (r.digest && strcmp(r.digest, digest) != 0)
        rc = ed_err_set(err, ED_ERROR, "%s: the registry stored the manifest as %s, not %s",
                        ref->registry, r.digest, digest);
    if (rc)
        digest[0] = '\0';
    reply_free(&r);
    free(path);
    session_clear(&sess);
    return rc;
}

bool ed_image_pem_has_certificate(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)(len > (size_t)0x7fffffff ? 0x7fffffff : len));
    if (!bio) /* (out of memory) */
        return false;
    /* PEM_read_bio_X509 passes over blocks of other types, as Go's loop does. */
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    bool found = cert != NULL;
    X509_free(cert);
    BIO_free(bio);
    return found;
}
