/*
 * Watches: a long GET with ?watch=1 whose reply is a stream of JSON watch events, one per line
 * ({"type":"ADDED","object":{...}}). Each complete line is parsed and handed to the caller's
 * callback as it arrives (the same line stream serves other long replies: a followed log,
 * ed_kube_stream). An ERROR event carries a Status: 410 Gone (the resourceVersion was
 * compacted away) becomes ED_EGONE so the informer relists, as client-go's reflector does.
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One watch event is one object; a line longer than this is refused. */
#define MAX_EVENT ((size_t)16 << 20)

/* A reply read line by line as it arrives: a watch's events, a followed log. */
struct stream {
    ed_buf line; /* the partial line received so far */
    /* One complete line (without its newline). Returns false to end the transfer, with rc
     * set for an error or stopped for the caller's wish. */
    bool (*on_line)(struct stream *st, const char *line, size_t len);
    void *user;
    ed_err *err;
    const char *what; /* "watch", "stream": in messages */
    int rc;           /* first error, or 0 */
    bool stopped;     /* the callback asked to stop */
    long status;      /* HTTP status, once known */
    CURL *h;
};

struct watch_user {
    ed_kube_watch_fn fn;
    void *user;
    /* For metadata-only watches: what each object is given in place of PartialObjectMetadata's
     * apiVersion and kind. */
    const char *api_version, *kind;
};

/* Handle one complete event line. Returns false to end the transfer. */
static bool handle_event(struct stream *st, const char *line, size_t len)
{
    if (len == 0)
        return true;
    struct watch_user *wu = st->user;
    ed_doc *doc = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(line, len, &doc, &perr) != 0) {
        st->rc = ed_err_set(st->err, ED_ERETRY, "watch: malformed event: %s", perr.msg);
        return false;
    }
    ed_node *root = ed_doc_root(doc);
    const char *type = ed_node_str(ed_node_get(root, "type"));
    ed_node *obj = ed_node_get(root, "object");
    bool go_on = true;
    if (!type || !obj) {
        st->rc = ed_err_set(st->err, ED_ERETRY, "watch: event without type or object");
        go_on = false;
    } else if (strcmp(type, "ERROR") == 0) {
        int64_t code = 0;
        ed_node_int(ed_node_get(obj, "code"), &code);
        ed_buf body = ED_BUF_INIT(MAX_EVENT);
        ed_node_to_json(obj, &body);
        st->rc = ed_kube_status_error(code ? code : 500, body.data, body.len, "WATCH", "", st->err);
        ed_buf_free(&body);
        go_on = false;
    } else {
        ed_kube_event_type t;
        if (strcmp(type, "ADDED") == 0)
            t = ED_KUBE_ADDED;
        else if (strcmp(type, "MODIFIED") == 0)
            t = ED_KUBE_MODIFIED;
        else if (strcmp(type, "DELETED") == 0)
            t = ED_KUBE_DELETED;
        else if (strcmp(type, "BOOKMARK") == 0)
            t = ED_KUBE_BOOKMARK;
        else
            t = (ed_kube_event_type)-1;
        if (wu->kind && t != ED_KUBE_BOOKMARK) {
            ed_node_set(doc, obj, "apiVersion", ed_node_new_str(doc, wu->api_version));
            ed_node_set(doc, obj, "kind", ed_node_new_str(doc, wu->kind));
        }
        if ((int)t >= 0 && wu->fn(t, obj, wu->user) != 0) {
            st->stopped = true;
            go_on = false;
        }
    }
    ed_doc_free(doc);
    return go_on;
}

/* libcurl calls this about once a second, also while no data flows: the place to notice a
 * cancellation. Non-zero ends the transfer. */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const atomic_bool *cancel = user;
    return atomic_load(cancel) ? 1 : 0;
}

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    struct stream *st = user;
    size_t len = size * n;
    if (st->status == 0)
        curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &st->status);
    if (st->status != 200) {
        /* An error reply: keep its body (a Status) for the error message. */
        return ed_buf_append(&st->line, data, len) == 0 ? len : 0;
    }
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t chunk = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ed_buf_append(&st->line, p, chunk) != 0) {
            st->rc = ed_err_set(st->err, ED_ETOOBIG, "%s: a line is larger than %zu MiB", st->what,
                                MAX_EVENT >> 20);
            return 0;
        }
        if (!nl)
            break;
        bool go_on = st->on_line(st, st->line.data, st->line.len);
        ed_buf_reset(&st->line);
        if (!go_on)
            return 0; /* ends the transfer */
        p = nl + 1;
    }
    return len;
}

/* GET path and hand each line of the reply to st->on_line as it arrives, until the server
 * ends the reply (0), the callback stops it (0), *cancel turns true (0) or an error. A last
 * line without a newline is handed over too when flush_last. verb names the request in
 * errors ("WATCH"). */
static int stream_lines(ed_kube *kube, const char *verb, const char *path, const char *accept,
                        int64_t timeout_ms, const atomic_bool *cancel, bool flush_last,
                        struct stream *st)
{
    ed_kube_rate_wait(kube);
    struct curl_slist *headers = NULL;
    uint64_t cred_gen = 0;
    st->h = ed_kube_easy(kube, "GET", path, accept, NULL, timeout_ms, &headers, &cred_gen, st->err);
    if (!st->h)
        return st->err ? st->err->code : ED_ERROR;
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(st->h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(st->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(st->h, CURLOPT_WRITEDATA, st);
    if (cancel) {
        curl_easy_setopt(st->h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(st->h, CURLOPT_XFERINFODATA, (void *)cancel);
        curl_easy_setopt(st->h, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode cc = curl_easy_perform(st->h);
    long status = 0;
    curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &status);
    ed_kube_count(kube, st->h, true);

    /* Without an error, the callback stopped the stream or the server closed it (a watch at
     * timeoutSeconds: the caller watches again): both return 0. */
    int rc = st->rc;
    if (cancel && atomic_load(cancel))
        st->stopped = true;
    if (!rc && !st->stopped && cc != CURLE_OK)
        rc = ed_kube_curl_error(kube, cc, curl_msg, verb, path, st->err);
    else if (!rc && !st->stopped && status != 200)
        rc = ed_kube_status_error(status, st->line.data, st->line.len, verb, path, st->err);
    else if (!rc && !st->stopped && flush_last && st->line.len > 0 &&
             !st->on_line(st, st->line.data, st->line.len))
        rc = st->rc;
    /* A 401 to an exec credential: drop it, so the caller's next request runs the plugin
     * again. */
    if (status == 401)
        ed_kube_exec_invalidate(kube, cred_gen);
    curl_easy_cleanup(st->h);
    curl_slist_free_all(headers);
    return rc;
}

/* stream_lines with the stream's state made here: on_line gets user as st->user. */
static int stream_run(ed_kube *kube, const char *verb, const char *path, const char *accept,
                      int64_t timeout_ms, const atomic_bool *cancel, bool flush_last,
                      bool (*on_line)(struct stream *, const char *, size_t), void *user,
                      const char *what, ed_err *err)
{
    struct stream st = {
        .line = ED_BUF_INIT(MAX_EVENT), .on_line = on_line, .user = user, .err = err, .what = what};
    int rc = stream_lines(kube, verb, path, accept, timeout_ms, cancel, flush_last, &st);
    ed_buf_free(&st.line);
    return rc;
}

struct lines_user {
    ed_kube_line_fn fn;
    void *user;
};

static bool handle_line(struct stream *st, const char *line, size_t len)
{
    struct lines_user *lu = st->user;
    if (lu->fn(line, len, lu->user) != 0) {
        st->stopped = true;
        return false;
    }
    return true;
}

int ed_kube_stream(ed_kube *kube, const char *path, int64_t timeout_ms, const atomic_bool *cancel,
                   ed_kube_line_fn fn, void *user, ed_err *err)
{
    struct lines_user lu = {.fn = fn, .user = user};
    return stream_run(kube, "GET", path, NULL, timeout_ms, cancel, true, handle_line, &lu, "stream",
                      err);
}

int ed_kube_watch(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                  const ed_kube_watch_opts *opts, ed_kube_watch_fn fn, void *user, ed_err *err)
{
    ed_kube_resource res = {0};
    int rc = ed_kube_resource_for(kube, api_version, kind, &res, err);
    if (rc)
        return rc;
    int timeout = opts && opts->timeout_seconds > 0 ? opts->timeout_seconds : 300;
    char *base = ed_kube_path(&res, ns, NULL, NULL);
    ed_buf path = ED_BUF_INIT(64 * 1024);
    ed_buf_printf(&path, "%s?watch=1&timeoutSeconds=%d", base, timeout);
    free(base);
    if (opts && opts->bookmarks)
        ed_buf_append_str(&path, "&allowWatchBookmarks=true");
    const char *params[][2] = {
        {"resourceVersion", opts ? opts->resource_version : NULL},
        {"labelSelector", opts ? opts->label_selector : NULL},
        {"fieldSelector", opts ? opts->field_selector : NULL},
    };
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        if (!params[i][1] || !*params[i][1])
            continue;
        char *esc = curl_easy_escape(NULL, params[i][1], 0);
        ed_buf_printf(&path, "&%s=%s", params[i][0], esc ? esc : "");
        curl_free(esc);
    }

    bool meta = opts && opts->metadata_only;
    struct watch_user wu = {.fn = fn,
                            .user = user,
                            .api_version = meta ? api_version : NULL,
                            .kind = meta ? kind : NULL};
    /* The server ends the watch after `timeout` seconds; allow it some slack to do so. */
    rc = stream_run(kube, "WATCH", path.data, meta ? ED_KUBE_ACCEPT_METADATA : NULL,
                    (int64_t)(timeout + 30) * 1000, opts ? opts->cancel : NULL, false, handle_event,
                    &wu, "watch", err);
    ed_buf_free(&path);
    return rc;
}
