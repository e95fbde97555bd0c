/*
 * runtime: what every controller runs on. Built: the work queue (queue.c), informers
 * (informer.c), leader election (leader.c), the HTTP endpoints (http.c), metrics
 * (metrics.c), the worker pool and signal handling (workers.c), and the manager that ties them
 * into controllers (manager.c).
 *
 * The work queue has client-go's semantics, which Flux's controllers rely on: a key is queued
 * at most once however often it is added; a key being processed is never handed to a second
 * worker, and an add during processing queues it again once the worker is done; keys can be
 * added after a delay (requeue at `interval`) or after a per-key exponential backoff that grows
 * with each failure and is reset by ed_queue_forget (a success). Handing a key out drops its
 * pending delayed add, as controller-runtime's priority queue (Flux's) keeps a key once.
 */
#ifndef ED_RUNTIME_H
#define ED_RUNTIME_H

#include "../base/base.h"
#include "../doc/doc.h"
#include "../kube/kube.h"

typedef struct ed_queue ed_queue;

typedef struct ed_queue_opts {
    int64_t base_delay_ms; /* first failure backoff; 0 for 750 ms (Flux's) */
    int64_t max_delay_ms;  /* backoff cap; 0 for 15 min (Flux's) */
} ed_queue_opts;

/* A new queue (opts may be NULL for the defaults). Thread-safe. Free with ed_queue_free once
 * no thread uses it. */
ed_queue *ed_queue_new(const ed_queue_opts *opts);
void ed_queue_free(ed_queue *q);
/* Queue key now (no effect if it is queued already, or after shutdown). */
void ed_queue_add(ed_queue *q, const char *key);
/* Queue key after delay_ms; if it is already waiting, the earlier time wins. */
void ed_queue_add_after(ed_queue *q, const char *key, int64_t delay_ms);
/* Queue key after its failure backoff (base * 2^failures, capped), count one more failure, and
 * return the delay used. */
int64_t ed_queue_add_rate_limited(ed_queue *q, const char *key);
/* Reset key's failure count (after a success). */
void ed_queue_forget(ed_queue *q, const char *key);
/* The failures counted for key since the last forget. */
int ed_queue_failures(ed_queue *q, const char *key);
/*
 * Wait up to timeout_ms (-1: forever) for the next key and mark it as being processed. Returns
 * a new string the caller frees (after ed_queue_done), or NULL on timeout or shutdown.
 */
char *ed_queue_get(ed_queue *q, int64_t timeout_ms);
/* The worker finished key: if it was added meanwhile, it is queued again now. */
void ed_queue_done(ed_queue *q, const char *key);
/* Stop: ed_queue_get returns NULL from now on, to every waiting worker. */
void ed_queue_shutdown(ed_queue *q);
/* Keys ready to be handed out (not counting delayed ones or those in process). */
size_t ed_queue_len(ed_queue *q);

/* ---- informers: a list+watch cache of one kind ---- */

/*
 * An informer keeps a cache of every object of one kind (optionally in one namespace and
 * matching a label selector) in step with the API server, as client-go's reflector and store
 * do: it lists, then watches from the list's resourceVersion with bookmarks, resumes the watch
 * after the server ends it, lists again after 410 Gone, and backs off (1 s doubling to 30 s)
 * after errors. Objects are cached as compact JSON (immutable, about their size on the wire);
 * handlers are called, in the informer's thread, after the cache took each change.
 */
typedef struct ed_informer ed_informer;

/* Called for each change: ADDED, MODIFIED or DELETED with the object (borrowed for the call). A
 * relist reports what changed while the watch was down the same way. */
typedef void (*ed_informer_fn)(ed_kube_event_type type, const ed_node *obj, void *user);

typedef struct ed_informer_opts {
    const char *api_version; /* "v1", "apps/v1", ... */
    const char *kind;
    const char *ns;             /* NULL for every namespace */
    const char *label_selector; /* or NULL */
    int watch_timeout_seconds;  /* length of one watch request; 0 for 300 */
    /* Cache and hand over the objects' metadata only (with the kind's apiVersion and kind):
     * the API server sends much less for kinds whose status changes often. */
    bool metadata_only;
    /* Cache only what names an object (apiVersion, kind, and of its metadata name, namespace,
     * uid, resourceVersion, labels and annotations), not the rest (managedFields above all):
     * for handlers that use the events and not the cache. What a relist reports DELETED, and
     * ed_informer_get, are then these brief objects. */
    bool brief;
} ed_informer_opts;

/* A new informer on kube (borrowed: it must outlive the informer). Not started. */
ed_informer *ed_informer_new(ed_kube *kube, const ed_informer_opts *opts);
/* Add a handler before ed_informer_start. */
void ed_informer_add_handler(ed_informer *inf, ed_informer_fn fn, void *user);
/* Start the informer's thread. Returns 0, or ED_ERROR when the thread cannot start. */
int ed_informer_start(ed_informer *inf, ed_err *err);
/* Wait until the first list is in the cache; false on timeout (timeout_ms -1: forever). */
bool ed_informer_wait_synced(ed_informer *inf, int64_t timeout_ms);
/* A copy of the cached object ns/name (ns NULL or "" for cluster-scoped kinds) as a new
 * document, or NULL when the cache does not hold it. */
ed_doc *ed_informer_get(ed_informer *inf, const char *ns, const char *name);
/* The label selector the informer watches with (borrowed, as long as the informer), or
 * NULL for none. */
const char *ed_informer_label_selector(const ed_informer *inf);
/* The number of cached objects. */
size_t ed_informer_len(ed_informer *inf);
/* The keys ("namespace/name") of every cached object: a new NULL-terminated array of *n new
 * strings; free each and the array. */
char **ed_informer_keys(ed_informer *inf, size_t *n);
/* The resourceVersion the cache is at (a new string), or NULL before the first list. */
char *ed_informer_resource_version(ed_informer *inf);
/* Ask the thread to stop, without waiting: the cache stays readable. Stopping every informer
 * first and freeing them after lets their watches end together (each takes up to a second to
 * notice) instead of one after another. Accepts NULL. */
void ed_informer_stop(ed_informer *inf);
/* Stop the thread (within about a second) and free everything. Accepts NULL. */
void ed_informer_free(ed_informer *inf);

/* ---- leader election with a coordination.k8s.io/v1 Lease ---- */

/*
 * client-go's leader election: a candidate takes the Lease when it is free or its holder has
 * not renewed it for lease_ms (as observed on the candidate's own clock, so clock skew between
 * machines does not matter), then renews it every retry_ms; if renewing fails for
 * renew_deadline_ms it has lost the lease and must stop reconciling. On shutdown a leader
 * releases the Lease (empty holder) so a successor takes over at once.
 */
typedef struct ed_leader ed_leader;

typedef struct ed_leader_opts {
    const char *ns;            /* the Lease's namespace */
    const char *name;          /* the Lease's name */
    const char *identity;      /* this candidate: unique per process (hostname_pid) */
    int64_t lease_ms;          /* 0 for 35 s (Flux's) */
    int64_t renew_deadline_ms; /* 0 for 30 s */
    int64_t retry_ms;          /* 0 for 5 s */
    /* client-go's ReleaseOnCancel false (Flux's --leader-election-release-on-cancel=false):
     * on shutdown the lease is left to expire instead of being released */
    bool keep_on_stop;
} ed_leader_opts;

/* A candidate (not yet running); kube is borrowed and must outlive it. */
ed_leader *ed_leader_new(ed_kube *kube, const ed_leader_opts *opts);
/* Start campaigning in a thread of its own. */
int ed_leader_start(ed_leader *l, ed_err *err);
/* Wait until this candidate leads; false on timeout (-1: forever) or when stopped. */
bool ed_leader_wait(ed_leader *l, int64_t timeout_ms);
bool ed_leader_is_leader(ed_leader *l);
/* True once this candidate led and then lost the lease: the process must stop reconciling. */
bool ed_leader_lost(ed_leader *l);
/* Stop campaigning, release the lease if held (unless opts.keep_on_stop), and free. Accepts
 * NULL. */
void ed_leader_free(ed_leader *l);

/* ---- HTTP endpoints: /healthz, /readyz, /metrics ---- */

typedef struct ed_http_server ed_http_server;

/* Write the body to out and return the HTTP status; *content_type may be changed. Called on
 * the server's thread. */
typedef int (*ed_http_handler)(ed_buf *out, const char **content_type, void *user);

/*
 * Listen on addr ("host:port", or ":port" for every interface; port 0 picks a free one) and
 * serve the registered paths. Errors: ED_EINVALID (bad address), ED_ERROR (cannot listen).
 */
int ed_http_start(const char *addr, ed_http_server **out, ed_err *err);
/* The port it listens on (useful after port 0). */
int ed_http_port(const ed_http_server *srv);
/* Serve GET path with fn. */
void ed_http_handle(ed_http_server *srv, const char *path, ed_http_handler fn, void *user);
/* Stop listening, wait for requests in progress, free. Accepts NULL. */
void ed_http_stop(ed_http_server *srv);

/* ---- metrics (Prometheus text format) ---- */

typedef enum {
    ED_METRIC_COUNTER,
    ED_METRIC_GAUGE,
    ED_METRIC_HISTOGRAM
} ed_metric_type;
typedef struct ed_metrics ed_metrics;

ed_metrics *ed_metrics_new(void);
void ed_metrics_free(ed_metrics *m);
/* Declare a family before recording into it; recording into an undeclared family (or with the
 * wrong type) is ignored. */
void ed_metrics_describe(ed_metrics *m, const char *name, ed_metric_type type, const char *help);
/* labels: the inside of {...} as ed_metrics_labels writes it, or NULL/"" for none. */
void ed_metrics_counter_add(ed_metrics *m, const char *name, const char *labels, double v);
void ed_metrics_gauge_set(ed_metrics *m, const char *name, const char *labels, double v);
/* Observe a histogram value (Prometheus' default buckets, 5 ms to 10 s). */
void ed_metrics_observe(ed_metrics *m, const char *name, const char *labels, double v);
/* Drop one series (an object that was deleted). */
void ed_metrics_delete(ed_metrics *m, const char *name, const char *labels);
/* Append key="value" pairs (NULL-terminated), escaped, comma-separated. */
void ed_metrics_labels(ed_buf *out, ...);
/* Render every family, sorted, in the text exposition format. */
int ed_metrics_render(ed_metrics *m, ed_buf *out);

/* ---- keys ---- */

/* Split a work-queue key "namespace/name": the namespace goes to ns (cut to cap; "" when the
 * key has no '/'), and the name is returned (borrowed from key). */
const char *ed_key_split(const char *key, char *ns, size_t cap);

/* ---- workers ---- */

/*
 * Reconcile key. Return 0 on success, with *requeue_after_ms set (> 0) to be called again after
 * that long (Flux's interval); any other return is a failure, retried after the key's backoff.
 */
typedef int (*ed_reconcile_fn)(const char *key, int64_t *requeue_after_ms, void *user);

typedef struct ed_workers ed_workers;

/* Start n threads that take keys from q and reconcile them (q is borrowed). */
ed_workers *ed_workers_start(ed_queue *q, int n, ed_reconcile_fn fn, void *user);
/* Shut the queue down and wait for reconciles in progress to finish, at most deadline_ms
 * (-1: no limit). Returns true when all finished in time. Frees the pool either way once its
 * threads are done; threads still busy at the deadline are detached. */
bool ed_workers_stop(ed_workers *w, int64_t deadline_ms);

/* ---- signals ---- */

/* Block SIGTERM, SIGINT and SIGHUP in the calling thread and in every thread it starts later;
 * call first thing in main, before any thread exists. */
void ed_signals_block(void);
/* Wait up to timeout_ms (-1: forever) for one of them. Returns the signal number, or 0 when
 * the time ran out. */
int ed_signals_wait(int64_t timeout_ms);

/* ---- events forwarded to Flux's notification-controller (notify.c) ---- */

typedef struct ed_notifier ed_notifier;

typedef struct ed_notifier_stats {
    uint64_t delivered; /* accepted by the receiver (2xx) */
    uint64_t refused;   /* answered 4xx (429: a duplicate): not retried */
    uint64_t failed;    /* given up after every attempt */
    uint64_t dropped;   /* dropped from a full queue */
} ed_notifier_stats;

/* 0 when url can take events (http:// or https:// with a host), else ED_EINVALID naming
 * --events-addr. */
int ed_notifier_check_url(const char *url, ed_err *err);
/* A forwarder of events to url (notification-controller's address), with its thread; NULL
 * with err set for an unusable URL. */
ed_notifier *ed_notifier_new(const char *url, ed_err *err);
/* Gives what is queued up to 3 s to go out, then stops the thread and frees n (NULL: nothing). */
void ed_notifier_free(ed_notifier *n);
/* Queue ev (copied into Flux's event/v1 JSON at once); an ed_kube_event_hook, user the
 * notifier. Never blocks on the network. */
void ed_notifier_post(const ed_kube_event *ev, void *user);
void ed_notifier_get_stats(ed_notifier *n, ed_notifier_stats *out);
/* Flux's event/v1 JSON of ev at now (a new string). */
char *ed_notifier_event_json(const ed_kube_event *ev, time_t now);

/* ---- the controller manager ---- */

/*
 * The manager runs controllers as controller-runtime does for Flux: one informer per kind,
 * shared by every controller that watches it (optionally restricted to one namespace and to a
 * label selector: Flux's --watch-label-selector sharding); per controller a work queue fed by
 * the informer's changes and a pool of workers; each reconcile timed into Flux's metric
 * gotk_reconcile_duration_seconds and counted in controller_runtime_reconcile_total.
 */
typedef struct ed_manager ed_manager;

typedef struct ed_manager_opts {
    const char *ns;             /* watch one namespace; NULL for all */
    const char *label_selector; /* or NULL */
    /* label_selector parsed (ed_label_selector_parse; borrowed, outlives the manager), or NULL
     * with none: what a reconcile checks the object it reads against (ed_manager_shard). */
    const ed_label_selector *shard;
    ed_metrics *metrics; /* where reconcile metrics go; NULL for none */
    /* Flux's --min-retry-delay and --max-retry-delay: the backoff of a failed reconcile, from
     * the first to the cap (0 for 750 ms and 15 min). */
    int64_t min_retry_delay_ms, max_retry_delay_ms;
    /* Flux's --interval-jitter-percentage: requeues spread by +/- this percentage (0 for
     * Flux's 5; negative for none). */
    int jitter_percent;
} ed_manager_opts;

typedef struct ed_controller_def {
    const char *name;        /* "kustomization": metrics label and log key */
    const char *api_version; /* the kind it reconciles */
    const char *kind;
    int workers;               /* --concurrent; 0 for 4 */
    ed_reconcile_fn reconcile; /* called with "namespace/name" */
    void *user;
    /* Flux's predicates: react to a change only when metadata.generation or the
     * reconcile.fluxcd.io/requestedAt annotation changed (so status writes do not loop).
     * Creations and deletions always count. */
    bool generation_changed_only;
    /* Called by ed_manager_free once the workers have stopped, before the shared informers and
     * queues are freed: the controller ends what of its own still reads them (watches it
     * started itself). NULL when there is none. */
    void (*stop)(void *user);
} ed_controller_def;

/* kube and opts->metrics are borrowed and must outlive the manager. */
ed_manager *ed_manager_new(ed_kube *kube, const ed_manager_opts *opts);
/* Register a controller (before ed_manager_start). */
void ed_manager_add(ed_manager *m, const ed_controller_def *def);
/* The shared informer of a kind, created on first use (before ed_manager_start), for
 * controllers that read other kinds from the cache. Borrowed. */
ed_informer *ed_manager_informer(ed_manager *m, const char *api_version, const char *kind);
/* As ed_manager_informer, of every object of the kind, the shard's or not, for a controller
 * that reads another controller's kind as Flux's does: Flux's controllers restrict only their
 * own kinds' cache to --watch-label-selector (image-automation-controller selects ImagePolicies
 * of any shard). The same informer as ed_manager_informer's when there is no selector. */
ed_informer *ed_manager_informer_all(ed_manager *m, const char *api_version, const char *kind);
/* Start the informers, wait until each has listed (up to timeout_ms), then the workers. */
int ed_manager_start(ed_manager *m, int64_t timeout_ms, ed_err *err);
/* The metrics the manager records into (NULL when none). Borrowed. */
ed_metrics *ed_manager_metrics(ed_manager *m);
/* The shard's selector (opts->shard: borrowed), or NULL when the manager watches every object.
 * The informers hold only the objects it matches; a reconcile that reads its object from the
 * API (a requeue timer, a change of another kind, an object just relabeled out of the shard)
 * checks the object against it, so that another shard's object is never written. */
const ed_label_selector *ed_manager_shard(ed_manager *m);
/* The queue of controller name, to enqueue from elsewhere (a source's change). Borrowed. */
ed_queue *ed_manager_queue(ed_manager *m, const char *controller);
/* Stop the workers (letting reconciles in progress finish, up to deadline_ms), then each
 * controller's own watches (its stop), then the informers, and free everything. A worker still
 * busy past the deadline keeps everything it may read: nothing is freed then (the process is
 * exiting), and false tells the caller to leave what the controllers use too. Accepts NULL. */
bool ed_manager_free(ed_manager *m, int64_t deadline_ms);

#endif
