/*
 * kustomize's remote targets, fetched for the kustomize engine (ed_ks_options.remote): a
 * repository's tree at a ref through the Git cache, and a file over HTTP(S). Neither takes
 * credentials: kustomize-controller's clones have none either.
 */
#include "source_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_commit_hex(const char *s)
{
    return strlen(s) == 40 && strspn(s, "0123456789abcdefABCDEF") == 40;
}

int ed_source_remote_tree(ed_source_cache *cache, const char *url, const char *ref, bool submodules,
                          int64_t timeout_ms, const char *dest_dir, ed_err *err)
{
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    char commit[41] = "";
    fo.url = url;
    fo.timeout_ms = timeout_ms;
    if (is_commit_hex(ref)) {
        for (int i = 0; i < 40; i++)
            commit[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
        fo.ref.commit = commit;
    } else {
        fo.ref.fetchable = *ref ? ref : "HEAD";
    }
    ed_source_git_result res;
    int rc = ed_source_git_fetch(cache, &fo, &res, err);
    if (rc != 0)
        return rc;
    ed_source_checkout_opts co = ED_SOURCE_CHECKOUT_OPTS_INIT;
    co.url = url;
    co.commit = res.commit;
    co.recurse_submodules = submodules;
    co.timeout_ms = timeout_ms;
    co.unfiltered = true;
    return ed_source_git_checkout_with(cache, &co, dest_dir, err);
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    ed_buf *b = user;
    return ed_buf_append(b, p, size * n) == 0 ? size * n : 0; /* 0: past the cap, abort */
}

int ed_source_remote_file(const char *url, size_t max, int64_t timeout_ms, char **data, size_t *len,
                          ed_err *err)
{
    *data = NULL;
    *len = 0;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return ed_err_set(err, ED_EINVALID, "'%s' is not an http(s) URL", url);
    CURL *h = curl_easy_init();
    if (!h)
        return ed_err_set(err, ED_ERROR, "cannot start an HTTP request");
    ed_buf body = ED_BUF_INIT(max);
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L); /* Go's http.Client stops after 10 */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "eddy-kustomize");
    if (timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    int rc = 0;
    if (cc == CURLE_WRITE_ERROR)
        rc = ed_err_set(err, ED_ETOOBIG, "'%s' is larger than %zu bytes", url, max);
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        rc = ed_err_set(err, ED_ETIMEOUT, "GET '%s': timed out", url);
    else if (cc != CURLE_OK)
        rc = ed_err_set(err, ED_ERETRY, "GET '%s': %s", url,
                        curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
    if (rc == 0) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299)
            rc = ed_err_set(err, ED_ENOTFOUND, "status code %ld (%s)", status,
                            ed_http_status_text(status));
    }
    curl_easy_cleanup(h);
    if (rc == 0) {
        *len = body.len;
        *data = ed_buf_take(&body);
        if (!*data)
            *data = ed_xstrdup("");
    }
    ed_buf_free(&body);
    return rc;
}
