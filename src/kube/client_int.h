/*
 * Private to the kube module: the client's state, shared by the request layer (client.c) and
 * the resource layer (resource.c).
 */
#ifndef ED_KUBE_CLIENT_INT_H
#define ED_KUBE_CLIENT_INT_H

#include "kube.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/types.h>

/* The resources of one group-version, from discovery. */
struct gv_resource {
    char *name; /* plural */
    char *kind;
    bool namespaced;
};

struct gv_entry {
    char *group_version; /* "apps/v1", "v1" */
    struct gv_resource *resources;
    size_t nresources;
    bool missing; /* the server does not serve this group-version */
    int64_t fetched_ms;
};

struct ed_kube {
    ed_kube_config *cfg;
    CURLSH *share; /* connections, TLS sessions and DNS shared by every request */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    struct curl_slist *connect_to; /* tls-server-name: connect to the server, verify the name */
    char *base_url;                /* server URL, or https://<tls-server-name>:<port> */

    /* Client-side rate limit: a token bucket of `burst` tokens refilled at `qps`. */
    pthread_mutex_t rate_lock;
    double tokens;
    int64_t tokens_at_ms;

    /* Bearer token from token_file, re-read when the file changes (rotation). */
    pthread_mutex_t token_lock;
    char *file_token;
    time_t file_token_mtime;
    off_t file_token_size;

    /* Discovery cache. */
    pthread_mutex_t discovery_lock;
    struct gv_entry *gvs;
    size_t ngvs;
};

/*
 * A libcurl handle ready for one request to path on kube's server: URL, TLS, credentials,
 * impersonation, user agent and timeout (timeout_ms, or the configuration's when 0). The
 * request headers go to *headers, which the caller frees with curl_slist_free_all after the
 * transfer. NULL with err set when the bearer token cannot be read.
 */
CURL *ed_kube_easy(ed_kube *kube, const char *method, const char *path, const char *content_type,
                   int64_t timeout_ms, struct curl_slist **headers, ed_err *err);
/* The typed error of a failed transfer (timeout, TLS refusal, broken connection). */
int ed_kube_curl_error(ed_kube *kube, CURLcode cc, const char *curl_msg, const char *method,
                       const char *path, ed_err *err);
/* Wait for a token of the client-side rate limit. */
void ed_kube_rate_wait(ed_kube *kube);

/* Decode a failed reply (HTTP status and body) into a typed error. Returns the code. */
int ed_kube_status_error(long http_status, const char *body, size_t len, const char *method,
                         const char *path, ed_err *err);

#endif
