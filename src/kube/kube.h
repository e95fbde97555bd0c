/*
 * kube: the Kubernetes API client every controller and CLI verb uses, on libcurl.
 *
 * Configuration (config.c): kubeconfig files (KUBECONFIG with several files merged,
 * --kubeconfig, --context), cluster CA (data or file), insecure-skip-tls-verify, bearer token
 * or token file, client certificate and key (data or file), exec credential plugins
 * (client.authentication.k8s.io/v1), and in-cluster configuration.
 *
 * Requests (client.c): one client per API server, safe to share between threads, reusing
 * connections; a client-side rate limit (qps and burst, Flux's defaults 50 and 300); retries
 * with backoff on 429, 5xx and broken connections for idempotent requests, honouring
 * Retry-After; the API's Status decoded into typed errors (ED_ENOTFOUND, ED_EEXISTS,
 * ED_ECONFLICT, ED_EINVALID with the field causes, ED_EFORBIDDEN, ED_EAUTH, ED_EGONE,
 * ED_ERETRY, ED_ETIMEOUT) with the server's message kept for conditions.
 *
 * Authentication with an exec plugin (exec.c) runs the plugin on the first request and caches its
 * credential until the credential's expirationTimestamp; a 401 runs it again once.
 *
 * Resources (resource.c): discovery and REST mapping from apiVersion and kind to the resource
 * path, cached and refreshed when a kind is unknown (a CRD that just appeared); get, list with
 * paging, create, update, the four patch types, server-side apply, server-side dry-run, delete
 * with propagation policy and preconditions, and the status subresource.
 *
 * Events (event.c): Kubernetes Events about the objects a controller reconciles, aggregated
 * as client-go's recorder does.
 *
 * Secrets (tokens, keys) are never logged and never appear in error messages.
 */
#ifndef ED_KUBE_H
#define ED_KUBE_H

#include "../base/base.h"
#include "../doc/doc.h"

#include <stdatomic.h>

/* ---- configuration ---- */

/* An exec credential plugin (kubeconfig users[].user.exec). */
typedef struct ed_kube_exec {
    char *command;
    char **args; /* NULL-terminated */
    char **env;  /* NULL-terminated "NAME=value" strings added to the plugin's environment */
    char *api_version;
    bool provide_cluster_info;
} ed_kube_exec;

/*
 * Everything needed to talk to one API server as one identity. PEM data is held in memory:
 * files named by a kubeconfig are read when it is loaded (relative paths resolve against the
 * kubeconfig's folder, as kubectl does). The token file is the exception: it is re-read when it
 * changes, because in-cluster service-account tokens rotate.
 */
typedef struct ed_kube_config {
    char *server;          /* "https://127.0.0.1:6443", no trailing slash */
    char *tls_server_name; /* or NULL */
    char *ca_pem;          /* cluster CA bundle, or NULL for the system trust store */
    bool insecure;         /* insecure-skip-tls-verify */
    char *cert_pem;        /* client certificate and key, or NULL */
    char *key_pem;
    char *token;      /* static bearer token, or NULL */
    char *token_file; /* bearer token read from this file, or NULL */
    char *username;   /* basic auth, or NULL */
    char *password;
    ed_kube_exec *exec;        /* exec plugin, or NULL */
    char *impersonate_user;    /* Impersonate-User, or NULL */
    char **impersonate_groups; /* NULL-terminated, or NULL */
    char *namespace;           /* the context's namespace, or NULL */
    char *context;             /* the name of the context used, or NULL (in-cluster) */
    double qps;                /* client-side rate limit; <= 0 for none */
    int burst;
    int64_t timeout_ms; /* per-request timeout; 0 for the default (30 s) */
    char *user_agent;   /* or NULL for "eddy/<version>" */
} ed_kube_config;

typedef struct ed_kube_load_opts {
    /* --kubeconfig: one file. NULL: the files in $KUBECONFIG (':'-separated, merged with the
     * first file that sets a value winning, as kubectl does), or ~/.kube/config, or, when none
     * exists, the in-cluster configuration. */
    const char *kubeconfig;
    /* --context; NULL for the current-context. */
    const char *context;
    /* kubectl's overrides of the chosen context's entries (NULL or false: none), as clientcmd
     * applies them: --cluster and --user name the kubeconfig entries to use instead of the
     * context's (without any context, --cluster alone makes one); --certificate-authority (a
     * file) or --insecure-skip-tls-verify replace the cluster's CA and insecure settings
     * together (both at once are refused); --tls-server-name; --client-certificate and
     * --client-key (files) replace the user's. Relative paths are the caller's. */
    const char *cluster;
    const char *user;
    const char *certificate_authority;
    bool insecure_skip_tls_verify;
    const char *tls_server_name;
    const char *client_certificate;
    const char *client_key;
} ed_kube_load_opts;

/*
 * Load the configuration as kubectl would. On success *out is new; free with
 * ed_kube_config_free. Errors: ED_ENOTFOUND (no kubeconfig and not in a cluster; unknown
 * context, cluster or user), ED_EINVALID (malformed file: the message names the file and
 * field).
 */
int ed_kube_config_load(const ed_kube_load_opts *opts, ed_kube_config **out, ed_err *err);
/* The configuration of a kubeconfig held in memory (a Kustomization's spec.kubeConfig
 * Secret); file references are refused there (ED_EINVALID), as Flux does. */
int ed_kube_config_from_yaml(const char *data, size_t len, const char *context,
                             ed_kube_config **out, ed_err *err);
/* In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT, the service account's token file,
 * CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount (or $ED_KUBE_SA_DIR,
 * for tests). ED_ENOTFOUND when not running in a cluster. */
int ed_kube_config_in_cluster(ed_kube_config **out, ed_err *err);
/* A deep copy. */
ed_kube_config *ed_kube_config_dup(const ed_kube_config *cfg);
void ed_kube_config_free(ed_kube_config *cfg);

/* ---- the client ---- */

typedef struct ed_kube ed_kube;

/*
 * A client for cfg's server and identity (cfg is copied). Thread-safe. Free with
 * ed_kube_free. Errors: ED_EINVALID (unusable configuration, such as a malformed PEM).
 */
int ed_kube_new(const ed_kube_config *cfg, ed_kube **out, ed_err *err);
void ed_kube_free(ed_kube *kube);
/* The configuration the client was made from. Borrowed. */
const ed_kube_config *ed_kube_get_config(const ed_kube *kube);
/* url without the userinfo of its authority ("https://user:pw@host:6443/x" gives
 * "https://host:6443/x"): what messages may show of a server's address, since the userinfo
 * can hold a password. A new string. */
char *ed_kube_url_redact(const char *url);

typedef struct ed_kube_response {
    long status;        /* HTTP status */
    ed_buf body;        /* the reply body; free with ed_kube_response_free */
    char *content_type; /* or NULL */
} ed_kube_response;

void ed_kube_response_free(ed_kube_response *resp);

/*
 * One HTTP request to the API server: method, path with query ("/api/v1/namespaces"), and an
 * optional body with its content type. A 2xx reply returns 0 with resp filled. Any other reply
 * returns the typed error decoded from the API's Status (resp is still filled, for callers
 * that want the body). Idempotent methods (GET, HEAD, PUT with resourceVersion, DELETE) are
 * retried on 429, 5xx and broken connections; POST and PATCH only when the request surely did
 * not reach the server.
 */
int ed_kube_request(ed_kube *kube, const char *method, const char *path, const char *content_type,
                    const char *body, size_t body_len, ed_kube_response *resp, ed_err *err);

/* What a client has sent since it was made: for tests, benchmarks and metrics. */
typedef struct ed_kube_stats {
    uint64_t requests;    /* HTTP requests that got an answer or failed (retries count) */
    uint64_t watches;     /* of which watch streams */
    uint64_t http2;       /* requests answered over HTTP/2 */
    uint64_t connections; /* new connections opened (the rest reused one) */
} ed_kube_stats;

/* A consistent-enough snapshot of kube's counters (each is read atomically). */
void ed_kube_get_stats(const ed_kube *kube, ed_kube_stats *out);

/* ---- resources ---- */

/* A REST mapping: where objects of one apiVersion and kind live. */
typedef struct ed_kube_resource {
    char group[128]; /* "" for the core group */
    char version[64];
    char resource[128]; /* plural: "deployments" */
    char kind[128];
    bool namespaced;
} ed_kube_resource;

/*
 * The REST mapping of apiVersion ("apps/v1", "v1") and kind, from discovery. Cached; an unknown
 * kind refreshes the cache once (a CRD installed a moment ago). ED_ENOTFOUND when the server
 * does not serve it ("no matches for kind X in version Y", as kubectl says).
 */
int ed_kube_resource_for(ed_kube *kube, const char *api_version, const char *kind,
                         ed_kube_resource *out, ed_err *err);
/* ed_kube_resource_for, but asking the server again whether api_version still serves kind
 * unless the cache's answer was read at or after since_ms (ed_time_mono_ms): for a caller that
 * got a 404 to a request it sent at since_ms and must tell an object that is gone from a kind
 * that is (a CRD version no longer served, a CRD deleted); an answer older than the request
 * proves nothing. Errors as ed_kube_resource_for. */
int ed_kube_resource_recheck(ed_kube *kube, const char *api_version, const char *kind,
                             int64_t since_ms, ed_kube_resource *out, ed_err *err);
/* Whether the server serves api_version at all (a CLI tells a group-version that is not
 * there, controller-runtime's "unable to retrieve the complete list of server APIs", from a
 * kind missing in one that is). The cached discovery answer when there is one, else one
 * request. Returns 0 with *served set, or the request's error. */
int ed_kube_group_version_served(ed_kube *kube, const char *api_version, bool *served, ed_err *err);
/* Forget cached discovery (after CRDs changed). */
void ed_kube_discovery_reset(ed_kube *kube);

/* The path of a collection (name NULL) or an object, with an optional subresource. */
char *ed_kube_path(const ed_kube_resource *res, const char *ns, const char *name,
                   const char *subresource);

typedef struct ed_kube_opts {
    const char *field_manager; /* fieldManager for writes */
    bool dry_run;              /* dryRun=All: validated and defaulted, not persisted */
    bool force;                /* force=true for server-side apply conflicts */
    const char *subresource;   /* "status", or NULL */
    const char *label_selector;
    const char *field_selector;
    int64_t limit; /* list page size; 0 for 500 */
    /* delete: "Background", "Foreground", "Orphan", or NULL for the server's default */
    const char *propagation_policy;
    const char *precondition_uid;              /* delete only this incarnation, or NULL */
    const char *precondition_resource_version; /* or NULL */
    /* list: the objects' metadata only (a PartialObjectMetadataList: kind and apiVersion of
     * the list and of its items are the meta.k8s.io/v1 ones) */
    bool metadata_only;
} ed_kube_opts;

typedef enum {
    ED_KUBE_PATCH_MERGE,     /* application/merge-patch+json */
    ED_KUBE_PATCH_JSON,      /* application/json-patch+json */
    ED_KUBE_PATCH_STRATEGIC, /* application/strategic-merge-patch+json */
    ED_KUBE_PATCH_APPLY,     /* application/apply-patch+yaml (server-side apply) */
} ed_kube_patch_type;

/* In all of these, *out (when out is not NULL) receives the object the server returned, a new
 * document the caller frees. ns is ignored for cluster-scoped kinds. */
int ed_kube_get(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                const char *name, ed_doc **out, ed_err *err);
/* List every page (limit/continue) into one document: a *List whose items hold all objects. */
int ed_kube_list(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                 const ed_kube_opts *opts, ed_doc **out, ed_err *err);
/*
 * Called with each page of a list as it arrives (last is true for the final one). The page
 * (a *List document) belongs to the callback, which frees it. A non-zero return stops the list
 * and is returned.
 */
typedef int (*ed_kube_page_fn)(ed_doc *page, bool last, void *user, ed_err *err);
/* List page by page, so that a large list never sits in memory whole (informers). */
int ed_kube_list_pages(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                       const ed_kube_opts *opts, ed_kube_page_fn fn, void *user, ed_err *err);
int ed_kube_create(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                   ed_err *err);
int ed_kube_update(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                   ed_err *err);
int ed_kube_patch(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                  const char *name, ed_kube_patch_type type, const char *patch, size_t len,
                  const ed_kube_opts *opts, ed_doc **out, ed_err *err);
/* Server-side apply of obj (its apiVersion, kind, metadata.namespace and metadata.name say
 * where) with opts->field_manager (required), opts->force and opts->dry_run. */
int ed_kube_apply(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                  ed_err *err);
/* Delete; ED_ENOTFOUND when it is already gone. */
int ed_kube_delete(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                   const char *name, const ed_kube_opts *opts, ed_err *err);

/* ---- watch ---- */

typedef enum {
    ED_KUBE_ADDED,
    ED_KUBE_MODIFIED,
    ED_KUBE_DELETED,
    ED_KUBE_BOOKMARK,
} ed_kube_event_type;

/*
 * Called for each event of a watch with the event's object (borrowed: it lives until the
 * callback returns; copy what you keep). Return 0 to go on, non-zero to stop the watch.
 */
typedef int (*ed_kube_watch_fn)(ed_kube_event_type type, const ed_node *obj, void *user);

typedef struct ed_kube_watch_opts {
    const char *resource_version; /* start after this version; NULL or "" for "now" */
    const char *label_selector;
    const char *field_selector;
    int timeout_seconds; /* the server ends the watch after this long; 0 for 300 */
    bool bookmarks;      /* allowWatchBookmarks */
    /* Each event's object is the watched object's metadata only (PartialObjectMetadata),
     * handed over with the watched kind's apiVersion and kind. */
    bool metadata_only;
    /* When not NULL, the watch ends (returning 0) within about a second of *cancel turning
     * true: how a process stops its watches on shutdown. */
    const atomic_bool *cancel;
} ed_kube_watch_opts;

/*
 * Watch objects of one kind (in ns, or all namespaces when ns is NULL for a namespaced kind),
 * calling fn for each event until the server ends the stream (returns 0), fn asks to stop
 * (returns 0), or an error: ED_EGONE when resource_version is too old (the caller lists again,
 * then watches from the list's version), or the request's typed error. Blocks; a watch uses a
 * connection of its own for its whole life.
 */
int ed_kube_watch(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                  const ed_kube_watch_opts *opts, ed_kube_watch_fn fn, void *user, ed_err *err);

/*
 * Called for each line of a streamed reply (without its newline; borrowed). Return 0 to go on,
 * non-zero to stop.
 */
typedef int (*ed_kube_line_fn)(const char *line, size_t len, void *user);

/*
 * GET path (with its query) and hand each line of the reply to fn as it arrives (a Pod's log
 * with follow=true), the last one even without a newline. Returns 0 when the server ended the
 * reply, fn stopped it or *cancel (may be NULL) turned true; the request's typed error
 * otherwise. timeout_ms bounds the whole transfer (0: the client's timeout). Blocks, on a
 * connection of its own.
 */
int ed_kube_stream(ed_kube *kube, const char *path, int64_t timeout_ms, const atomic_bool *cancel,
                   ed_kube_line_fn fn, void *user, ed_err *err);

/* ---- events ---- */

/* The two types of Event. */
#define ED_KUBE_EVENT_NORMAL  "Normal"
#define ED_KUBE_EVENT_WARNING "Warning"

/* The longest note (message) an Event keeps, in bytes: core v1 Events have no limit of their
 * own (events.k8s.io/v1 has 1024), this one keeps an Event far below etcd's object size. Longer
 * notes are cut there, on a UTF-8 character boundary. */
#define ED_KUBE_EVENT_NOTE_MAX (256 * 1024)

/*
 * One occurrence of something worth telling about an object: what `kubectl describe` and
 * `flux events` show. Every string is borrowed for the duration of the call.
 */
typedef struct ed_kube_event {
    /* The object the event is about (required): its apiVersion, kind, metadata.namespace,
     * metadata.name, metadata.uid and metadata.resourceVersion are used. */
    const ed_node *regarding;
    const char *type; /* ED_KUBE_EVENT_NORMAL or ED_KUBE_EVENT_WARNING (required) */
    const char
        *reason;      /* "ReconciliationSucceeded": UpperCamelCase, at most 128 bytes (required) */
    const char *note; /* the human-readable message, or NULL; no secrets in it */
    const char *action; /* what was done or failed: "Reconcile", at most 128 bytes (required) */
    const char *reporting_controller; /* "kustomize-controller" (required) */
    const char *reporting_instance;   /* this replica's name; NULL for the host name */
    /* Annotations of the Event, or NULL: "key", "value", "key", "value", ..., NULL. Flux puts
     * the revision there ("kustomize.toolkit.fluxcd.io/revision"). */
    const char *const *annotations;
} ed_kube_event;

#define ED_KUBE_EVENT_INIT                                                                         \
    {                                                                                              \
        0                                                                                          \
    }

/*
 * Record an Event about ev->regarding, as Flux's recorder does by default: a core v1 Event
 * (involvedObject, reason, message, type, source, firstTimestamp, lastTimestamp, count,
 * reportingComponent, reportingInstance, action), whose message may be longer than the
 * 1024 bytes events.k8s.io/v1 allows. It is named "<object name>.<hex nanoseconds>" and lives
 * in the object's namespace ("default" for a cluster-scoped object).
 *
 * Repeats are aggregated: an event identical to one this client recorded less than 10 minutes
 * before (same object, type, reason, action, note, reporter and annotations) updates that
 * Event's count and lastTimestamp instead of making a new Event, so a controller that fails every
 * few seconds does not flood the cluster. The client remembers the last 4096 distinct events. When
 * another thread is writing the same Event at that moment, the repeat is left to it and this call
 * returns 0 at once.
 *
 * Returns 0, ED_EINVALID for an incomplete ev (no object is written), or the API's typed error
 * (ED_EFORBIDDEN without RBAC permission to write Events, ED_ENOTFOUND when the namespace is
 * gone, ...).
 */
int ed_kube_event_record(ed_kube *kube, const ed_kube_event *ev, ed_err *err);

/* How long a posted Event waits at most for the client to be idle (milliseconds). */
#define ED_KUBE_EVENT_MAX_DELAY_MS 60000

/*
 * Post an Event: checked and shown to the event hook at once, as ed_kube_event_record does,
 * then written (with the time of this call) by a thread of the client's own when none of its
 * other requests is in flight and the gate (ed_kube_set_event_gate) is open, or after
 * ED_KUBE_EVENT_MAX_DELAY_MS: a burst of reconciles sends
 * its applies and status first and its Events after, as Flux's recorder sends its Events from a
 * queue of their own. Nothing is dropped: when many Events wait (2048, or 8 MiB of messages),
 * this call writes its Event itself; ed_kube_free writes those still waiting (for 5 s at most).
 * A failure to write is logged ("recording an event failed") under log_as (NULL: the reporting
 * controller). Returns 0, or ED_EINVALID for an incomplete ev (nothing posted).
 */
int ed_kube_event_post(ed_kube *kube, const ed_kube_event *ev, const char *log_as, ed_err *err);
/* True while the work the posted Events should wait for is not done. */
typedef bool (*ed_kube_busy_fn)(void *user);
/* Posted Events also wait (within ED_KUBE_EVENT_MAX_DELAY_MS) while busy(user) is true: the
 * manager's reconciles waiting for a worker. busy is called with a lock of the client held, and
 * never again once this returns with NULL. */
void ed_kube_set_event_gate(ed_kube *kube, ed_kube_busy_fn busy, void *user);
/* Set how long posted Events wait at most for the client to be idle (tests). */
void ed_kube_set_event_delay(ed_kube *kube, int64_t max_delay_ms);

/* Called with every complete event ed_kube_event_record is given (each repeat too, and whether
 * or not the Event could be written), before it is written: what forwards events to Flux's
 * notification-controller. Must not block. */
typedef void (*ed_kube_event_hook)(const ed_kube_event *ev, void *user);
/* Set (or with NULL clear) kube's event hook; before any event is recorded. */
void ed_kube_set_event_hook(ed_kube *kube, ed_kube_event_hook fn, void *user);

#endif
