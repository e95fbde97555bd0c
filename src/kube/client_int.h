/*
 * Private to the kube module: the client's state, shared by the request layer (client.c) and
 * the resource layer (resource.c).
 */
#ifndef ED_KUBE_CLIENT_INT_H
#define ED_KUBE_CLIENT_INT_H

#include "kube.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* ---- exec credential plugins (exec.c) ---- */

/* A credential an exec plugin printed (ExecCredential status). The strings are secrets: clear
 * them with ed_kube_exec_cred_clear, which wipes them before freeing. */
typedef struct ed_kube_exec_cred {
    char *token;    /* bearer token, or NULL */
    char *cert_pem; /* client certificate and key (both or neither), or NULL */
    char *key_pem;
    time_t expiry; /* expirationTimestamp, or 0 for a credential that does not expire */
} ed_kube_exec_cred;

/*
 * Parse a plugin's stdout: an ExecCredential of api_version with a status holding a token or a
 * certificate and key (or both) and an optional expirationTimestamp, checked as client-go does.
 * `command` names the plugin in messages. On success *out holds new strings. Errors: ED_EAUTH
 * with a message that never quotes the output (it may hold a secret).
 */
int ed_kube_exec_cred_parse(const char *data, size_t len, const char *api_version,
                            const char *command, ed_kube_exec_cred *out, ed_err *err);
/* Wipe and free the strings of c and zero it. Accepts NULL. */
void ed_kube_exec_cred_clear(ed_kube_exec_cred *c);
/* The KUBERNETES_EXEC_INFO value for cfg's plugin: an ExecCredential with spec.interactive false
 * and, when provideClusterInfo is set, spec.cluster (server, tls-server-name,
 * insecure-skip-tls-verify, certificate-authority-data). A new string. */
char *ed_kube_exec_info(const ed_kube_config *cfg);
/*
 * Run cfg->exec's plugin (posix_spawn, no shell) with the environment plus the plugin's env and
 * KUBERNETES_EXEC_INFO, stdin from /dev/null, and read its ExecCredential from stdout (at most
 * 1 MiB) within timeout_ms, killing it after that. Errors name the command and give the exit
 * status and the first line of its stderr: ED_EAUTH (cannot run, failed, bad output),
 * ED_ETIMEOUT, ED_ETOOBIG.
 */
int ed_kube_exec_run(const ed_kube_config *cfg, int64_t timeout_ms, ed_kube_exec_cred *out,
                     ed_err *err);

/* ---- event aggregation (event.c) ---- */

/* A cache of recent Events, as client-go's EventCorrelator keeps: a bounded LRU keyed by a
 * digest of everything that makes two events identical. Thread-safe. */
typedef struct ed_kube_event_cache ed_kube_event_cache;

/* What one write to the API must do: a snapshot of a cache entry. */
typedef struct ed_kube_event_write {
    uint64_t id;    /* the cache entry's incarnation */
    char key[65];   /* the entry's digest */
    char name[320]; /* the Event object's name: "<object>.<hex nanoseconds>" */
    char ns[256];
    int64_t count;         /* occurrences so far */
    struct timespec first; /* wall time of the first occurrence */
    struct timespec last;  /* wall time of the latest */
    bool created;          /* the Event object exists (as far as the client knows) */
} ed_kube_event_write;

ed_kube_event_cache *ed_kube_event_cache_new(size_t max_entries, int64_t window_ms);
void ed_kube_event_cache_free(ed_kube_event_cache *c);
size_t ed_kube_event_cache_len(ed_kube_event_cache *c);
/*
 * Note one occurrence of the event with digest key about the object named obj_name (in ns) at
 * monotonic time now_ms and wall time now. A key seen less than window_ms ago counts as a
 * repeat; otherwise a new entry (and Event name) starts, evicting the least recently seen entry
 * beyond max_entries. Returns true when the caller must write *w to the API (and then call
 * ed_kube_event_cache_written); false when another thread is writing this entry and will write
 * the new count too.
 */
bool ed_kube_event_cache_observe(ed_kube_event_cache *c, const char *key, const char *obj_name,
                                 const char *ns, int64_t now_ms, struct timespec now,
                                 ed_kube_event_write *w);
/* The write of *w finished with rc. Returns true, with *w refilled, when more occurrences came
 * meanwhile and must be written too; false when the caller is done. */
bool ed_kube_event_cache_written(ed_kube_event_cache *c, ed_kube_event_write *w, int rc);

/* The Events posted (ed_kube_event_post) and the thread that writes them. */
typedef struct ed_kube_event_queue ed_kube_event_queue;
ed_kube_event_queue *ed_kube_event_queue_new(void);
/* Write what is still queued (for a few seconds at most), stop the writer and free the queue. */
void ed_kube_event_queue_free(ed_kube *kube);
/* The last request in flight ended: a posted Event may be written now. */
void ed_kube_event_idle(ed_kube *kube);
/* True in the thread that writes posted Events. */
bool ed_kube_in_event_writer(void);
/* s cut to at most max bytes without splitting a UTF-8 character: the length to keep. */
size_t ed_kube_utf8_prefix(const char *s, size_t max);

/* Idle easy handles kept for reuse: a few more than the workers and apply threads that send
 * requests at once. */
#define ED_KUBE_POOL 16

struct ed_kube {
    ed_kube_config *cfg;
    CURLSH *share; /* connections, TLS sessions and DNS shared by every request */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    struct curl_slist *connect_to; /* tls-server-name: connect to the server, verify the name */
    char *base_url;                /* server URL, or https://<tls-server-name>:<port> */
    char *shown_server;            /* the server URL for messages: no userinfo */

    /* Client-side rate limit: a token bucket of `burst` tokens refilled at `qps`. */
    pthread_mutex_t rate_lock;
    double tokens;
    int64_t tokens_at_ms;

    /* Bearer token from token_file, re-read when the file changes (rotation). */
    pthread_mutex_t token_lock;
    char *file_token;
    dev_t file_token_dev; /* the file's identity when it was read: kubelet swaps a symlink */
    ino_t file_token_ino;
    struct timespec file_token_mtime;
    off_t file_token_size;

    /* ed_kube_set_event_hook's: every recorded event is shown to it first. */
    ed_kube_event_hook event_hook;
    void *event_hook_user;

    /* Counters for ed_kube_get_stats. */
    atomic_uint_fast64_t n_requests, n_watches, n_http2, n_connections;

    /* Discovery cache. */
    pthread_mutex_t discovery_lock;
    struct gv_entry *gvs;
    size_t ngvs;

    /* The exec plugin's credential, cached until it expires; exec_gen counts the credentials
     * obtained, so a 401 drops only the credential it was answered for. */
    pthread_mutex_t exec_lock;
    ed_kube_exec_cred exec_cred;
    bool exec_cached;
    uint64_t exec_gen;

    /* Events: the cache of recent ones, and those posted, waiting for the client to be idle. */
    ed_kube_event_cache *events;
    ed_kube_event_queue *event_queue;
    atomic_int in_flight; /* requests being sent (ed_kube_request_as), the writer's left out */

    /* Easy handles done with, for the next requests (ed_kube_easy_done): a handle reused
     * keeps its internal multi handle, which libcurl otherwise makes and tears down (with a
     * socket pair) for every request. */
    pthread_mutex_t pool_lock;
    CURL *pool[ED_KUBE_POOL];
    size_t npool;
};

/*
 * A libcurl handle ready for one request to path on kube's server: URL, TLS, credentials,
 * impersonation, user agent and timeout (timeout_ms, or the configuration's when 0). The
 * request headers go to *headers, which the caller frees with curl_slist_free_all after the
 * transfer. *cred_gen (when not NULL) receives the generation of the exec plugin's credential
 * used (0 for none), for ed_kube_exec_invalidate. NULL with err set when the bearer token cannot
 * be read or the exec plugin fails. The handle may be one used before (reset to defaults).
 */
CURL *ed_kube_easy(ed_kube *kube, const char *method, const char *path, const char *accept,
                   const char *content_type, int64_t timeout_ms, struct curl_slist **headers,
                   uint64_t *cred_gen, ed_err *err);
/* ed_kube_request with an Accept header of the caller's (NULL: application/json). */
int ed_kube_request_as(ed_kube *kube, const char *method, const char *path, const char *accept,
                       const char *content_type, const char *body, size_t body_len,
                       ed_kube_response *resp, ed_err *err);
/* The Accept headers that ask for objects' metadata only: a list (PartialObjectMetadataList),
 * or one object per watch event (PartialObjectMetadata); a server that cannot answers with
 * whole objects (plain JSON), which carry the same metadata. */
#define ED_KUBE_ACCEPT_METADATA_LIST                                                               \
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
#define ED_KUBE_ACCEPT_METADATA                                                                    \
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

/* The request on h is over: keep h for a next request (or clean it up when enough are kept). */
void ed_kube_easy_done(ed_kube *kube, CURL *h);
/* After a 401 answered to a request made with the exec credential of generation gen: drop that
 * credential, so the next request runs the plugin again. Returns true when it was dropped (a
 * retry will use a new credential); false when there is no exec plugin or gen is 0. */
bool ed_kube_exec_invalidate(ed_kube *kube, uint64_t gen);
/* The typed error of a failed transfer (timeout, TLS refusal, broken connection). */
int ed_kube_curl_error(ed_kube *kube, CURLcode cc, const char *curl_msg, const char *method,
                       const char *path, ed_err *err);
/* Wait for a token of the client-side rate limit. */
void ed_kube_rate_wait(ed_kube *kube);

/* Decode a failed reply (HTTP status and body) into a typed error. Returns the code. */
int ed_kube_status_error(long http_status, const char *body, size_t len, const char *method,
                         const char *path, ed_err *err);

/* Count one finished request (or watch) on handle h in kube's statistics. */
void ed_kube_count(ed_kube *kube, CURL *h, bool watch);

#endif
