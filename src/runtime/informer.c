/*
 * Informers (see runtime.h). One thread per informer runs the reflector loop:
 *
 *   list (all pages) -> replace the cache, reporting what changed
 *   watch from the list's resourceVersion (bookmarks on) -> apply each event
 *   the server ended the watch -> watch again from the newest resourceVersion seen
 *   410 Gone -> list again; another error -> back off, then watch (or list) again
 *
 * The cache maps "namespace/name" to the object's compact JSON and resourceVersion (a relist
 * reports an object as MODIFIED only when its resourceVersion moved). One mutex guards it;
 * handlers run without it held, in the informer's thread, in the order the changes happened.
 */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OBJECT ((size_t)16 << 20)

struct handler {
    ed_informer_fn fn;
    void *user;
};

struct ed_informer {
    ed_kube *kube;
    char *api_version, *kind, *ns, *label_selector;
    int watch_timeout;
    bool metadata_only, brief;
    struct handler *handlers;
    size_t nhandlers;

    pthread_t thread;
    bool started;
    atomic_bool stop;

    pthread_mutex_t lock;
    pthread_cond_t synced_cond;
    bool synced;
    ed_strmap *cache; /* "ns/name" -> struct entry */
    char *rv;         /* newest resourceVersion seen */
    int watch_events; /* events delivered by the current watch */
};

/* A cached object: its resourceVersion and its JSON, in one allocation. */
struct entry {
    char *rv; /* points into json's allocation */
    char json[];
};

static struct entry *entry_new(const char *rv, const char *json)
{
    size_t jl = strlen(json), rl = strlen(rv);
    struct entry *e = ed_xmalloc(sizeof(*e) + jl + 1 + rl + 1);
    memcpy(e->json, json, jl + 1);
    e->rv = e->json + jl + 1;
    memcpy(e->rv, rv, rl + 1);
    return e;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? ed_xstrdup(s) : NULL;
}

ed_informer *ed_informer_new(ed_kube *kube, const ed_informer_opts *opts)
{
    ed_informer *inf = ed_xcalloc(1, sizeof(*inf));
    inf->kube = kube;
    inf->api_version = ed_xstrdup(opts->api_version);
    inf->kind = ed_xstrdup(opts->kind);
    inf->ns = dup_or_null(opts->ns);
    inf->label_selector = dup_or_null(opts->label_selector);
    inf->watch_timeout = opts->watch_timeout_seconds > 0 ? opts->watch_timeout_seconds : 300;
    inf->metadata_only = opts->metadata_only;
    inf->brief = opts->brief;
    pthread_mutex_init(&inf->lock, NULL);
    pthread_cond_init(&inf->synced_cond, NULL);
    inf->cache = ed_strmap_new();
    return inf;
}

void ed_informer_add_handler(ed_informer *inf, ed_informer_fn fn, void *user)
{
    ED_ASSERT(!inf->started);
    inf->handlers = ed_xrealloc(inf->handlers, (inf->nhandlers + 1) * sizeof(*inf->handlers));
    inf->handlers[inf->nhandlers++] = (struct handler){fn, user};
}

static void notify(ed_informer *inf, ed_kube_event_type type, const ed_node *obj)
{
    for (size_t i = 0; i < inf->nhandlers; i++)
        inf->handlers[i].fn(type, obj, inf->handlers[i].user);
}

/* "namespace/name", or "name" for cluster-scoped objects. */
static void object_key(const ed_node *obj, char *buf, size_t cap)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    if (ns && *ns)
        snprintf(buf, cap, "%s/%s", ns, name ? name : "");
    else
        snprintf(buf, cap, "%s", name ? name : "");
}

static char *to_json(const ed_node *obj)
{
    ed_buf b = ED_BUF_INIT(MAX_OBJECT);
    if (ed_node_to_json(obj, &b) != 0) {
        ed_buf_free(&b);
        return NULL;
    }
    return ed_buf_take(&b);
}

static void set_rv(ed_informer *inf, const char *rv)
{
    if (!rv || !*rv)
        return;
    pthread_mutex_lock(&inf->lock);
    free(inf->rv);
    inf->rv = ed_xstrdup(rv);
    pthread_mutex_unlock(&inf->lock);
}

/* The compact JSON of what names obj (ed_informer_opts.brief). */
static char *brief_json(const ed_node *obj)
{
    static const char *const top[] = {"apiVersion", "kind"};
    static const char *const meta[] = {"name",   "namespace",  "uid", "resourceVersion",
                                       "labels", "annotations"};
    ed_doc *d = ed_doc_new();
    ed_node *root = ed_node_new_map(d), *md = ed_node_new_map(d);
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        const ed_node *v = ed_node_get(obj, top[i]);
        if (v)
            ed_node_append_pair(d, root, top[i], ed_node_copy(d, v));
    }
    const ed_node *m = ed_node_get(obj, "metadata");
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
        const ed_node *v = ed_node_get(m, meta[i]);
        if (v)
            ed_node_append_pair(d, md, meta[i], ed_node_copy(d, v));
    }
    ed_node_append_pair(d, root, "metadata", md);
    char *json = to_json(root);
    ed_doc_free(d);
    return json;
}

/* Store one object; returns the event it amounts to (ADDED or MODIFIED), or -1 when the cache
 * already holds this resourceVersion (a relist of an unchanged object). */
static int store(ed_informer *inf, const ed_node *obj)
{
    char key[512];
    object_key(obj, key, sizeof(key));
    const char *rv = ed_node_path_str(obj, "/metadata/resourceVersion");
    char *json = inf->brief ? brief_json(obj) : to_json(obj);
    if (!json)
        return -1;
    struct entry *e = entry_new(rv ? rv : "", json);
    free(json);
    pthread_mutex_lock(&inf->lock);
    struct entry *old = ed_strmap_put(inf->cache, key, e);
    pthread_mutex_unlock(&inf->lock);
    int type = !old ? ED_KUBE_ADDED : (rv && strcmp(old->rv, rv) == 0) ? -1 : ED_KUBE_MODIFIED;
    free(old);
    return type;
}

static int on_watch_event(ed_kube_event_type type, const ed_node *obj, void *user)
{
    ed_informer *inf = user;
    inf->watch_events++;
    set_rv(inf, ed_node_path_str(obj, "/metadata/resourceVersion"));
    if (type == ED_KUBE_BOOKMARK)
        return atomic_load(&inf->stop);
    if (type == ED_KUBE_DELETED) {
        char key[512];
        object_key(obj, key, sizeof(key));
        pthread_mutex_lock(&inf->lock);
        free(ed_strmap_del(inf->cache, key));
        pthread_mutex_unlock(&inf->lock);
        notify(inf, ED_KUBE_DELETED, obj);
    } else {
        int t = store(inf, obj);
        if (t >= 0)
            notify(inf, (ed_kube_event_type)t, obj);
    }
    return atomic_load(&inf->stop);
}

struct relist_state {
    ed_informer *inf;
    ed_strmap *listed; /* keys the list holds */
    char *rv;          /* the list's resourceVersion */
};

/* Take one page of the list into the cache (pages come one at a time, so a big list never sits
 * in memory whole). */
static int relist_page(ed_doc *page, bool last, void *user, ed_err *err)
{
    (void)last, (void)err;
    struct relist_state *rs = user;
    ed_informer *inf = rs->inf;
    ed_node *root = ed_doc_root(page);
    ed_node *items = ed_node_get(root, "items");
    for (size_t i = 0; i < ed_node_len(items); i++) {
        ed_node *obj = ed_node_at(items, i);
        /* List items carry no apiVersion and kind; add them so every cached object and every
         * handler sees complete objects, as watch events have them. */
        ed_node_set(page, obj, "apiVersion", ed_node_new_str(page, inf->api_version));
        ed_node_set(page, obj, "kind", ed_node_new_str(page, inf->kind));
        char key[512];
        object_key(obj, key, sizeof(key));
        ed_strmap_put(rs->listed, key, NULL);
        int t = store(inf, obj);
        if (t >= 0)
            notify(inf, (ed_kube_event_type)t, obj);
    }
    const char *rv = ed_node_path_str(root, "/metadata/resourceVersion");
    if (rv) {
        free(rs->rv);
        rs->rv = ed_xstrdup(rv);
    }
    ed_doc_free(page);
    return 0;
}

/* List everything and make the cache equal to it, reporting the differences. */
static int relist(ed_informer *inf, ed_err *err)
{
    ed_kube_opts opts = {.label_selector = inf->label_selector,
                         .metadata_only = inf->metadata_only};
    struct relist_state rs = {.inf = inf, .listed = ed_strmap_new()};
    int rc = ed_kube_list_pages(inf->kube, inf->api_version, inf->kind, inf->ns, &opts, relist_page,
                                &rs, err);
    if (rc) {
        ed_strmap_free(rs.listed);
        free(rs.rv);
        return rc;
    }
    /* Whatever the cache holds that the list lacks was deleted while we were not watching. */
    size_t ngone = 0;
    char **gone_keys = NULL;
    struct entry **gone = NULL;
    pthread_mutex_lock(&inf->lock);
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(inf->cache, &pos, &k, &v)) {
        if (ed_strmap_has(rs.listed, k))
            continue;
        gone_keys = ed_xrealloc(gone_keys, (ngone + 1) * sizeof(char *));
        gone = ed_xrealloc(gone, (ngone + 1) * sizeof(struct entry *));
        gone_keys[ngone] = ed_xstrdup(k);
        gone[ngone++] = v;
    }
    for (size_t i = 0; i < ngone; i++)
        ed_strmap_del(inf->cache, gone_keys[i]);
    pthread_mutex_unlock(&inf->lock);
    for (size_t i = 0; i < ngone; i++) {
        ed_doc *d = NULL;
        if (ed_doc_parse_api_json(gone[i]->json, strlen(gone[i]->json), &d, NULL) == 0) {
            notify(inf, ED_KUBE_DELETED, ed_doc_root(d));
            ed_doc_free(d);
        }
        free(gone_keys[i]);
        free(gone[i]);
    }
    free(gone_keys);
    free(gone);
    ed_strmap_free(rs.listed);
    set_rv(inf, rs.rv);
    free(rs.rv);
    pthread_mutex_lock(&inf->lock);
    inf->synced = true;
    pthread_cond_broadcast(&inf->synced_cond);
    pthread_mutex_unlock(&inf->lock);
    return 0;
}

/* Sleep ms in small steps, so a stop is noticed quickly. */
static void nap(ed_informer *inf, int64_t ms)
{
    for (int64_t slept = 0; slept < ms && !atomic_load(&inf->stop); slept += 100)
        usleep(100 * 1000);
}

/* A failure is logged as an error when it is new (another message than the last one logged)
 * or the same one has gone unlogged for this long; in between at debug level, so that a kind
 * that stays unserved (its CRD's version switched off) does not fill the log every 30 s. */
#define FAILURE_RELOG_MS (10 * 60 * 1000)

struct failures {
    char last[ED_ERR_MSG_MAX]; /* the message last logged as an error ("" since a success) */
    int64_t logged_ms;
    unsigned repeats; /* failures since then, logged at debug level */
};

static void failure_log(const ed_informer *inf, struct failures *f, const char *msg)
{
    int64_t now = ed_time_mono_ms();
    bool again = strcmp(f->last, msg) == 0;
    if (again && now - f->logged_ms < FAILURE_RELOG_MS) {
        f->repeats++;
        ed_log(ED_LOG_DEBUG, "informer: list or watch failed, retrying", "kind", inf->kind, "error",
               msg, NULL);
        return;
    }
    char repeats[32];
    snprintf(repeats, sizeof(repeats), "%u", f->repeats);
    ed_log(ED_LOG_ERROR, "informer: list or watch failed, retrying", "kind", inf->kind, "error",
           msg, again ? "failuresSinceLastLogged" : NULL, repeats, NULL);
    snprintf(f->last, sizeof(f->last), "%s", msg);
    f->logged_ms = now;
    f->repeats = 0;
}

static void failure_end(const ed_informer *inf, struct failures *f)
{
    if (f->last[0])
        ed_log(ED_LOG_INFO, "informer: list and watch work again", "kind", inf->kind, NULL);
    f->last[0] = '\0';
    f->repeats = 0;
}

static void *run(void *arg)
{
    ed_informer *inf = arg;
    bool need_list = true;
    int64_t backoff = 1000;
    struct failures failures = {.last = ""};
    while (!atomic_load(&inf->stop)) {
        ed_err err = ED_ERR_INIT;
        int rc;
        if (need_list) {
            rc = relist(inf, &err);
            if (rc == 0)
                need_list = false;
        } else {
            char *rv = ed_informer_resource_version(inf);
            ed_kube_watch_opts wo = {.resource_version = rv,
                                     .label_selector = inf->label_selector,
                                     .timeout_seconds = inf->watch_timeout,
                                     .bookmarks = true,
                                     .metadata_only = inf->metadata_only,
                                     .cancel = &inf->stop};
            inf->watch_events = 0;
            rc = ed_kube_watch(inf->kube, inf->api_version, inf->kind, inf->ns, &wo, on_watch_event,
                               inf, &err);
            free(rv);
            if (rc == ED_EGONE)
                need_list = true; /* history compacted: start over from a list */
            else if (rc == ED_ERETRY && inf->watch_events > 0)
                rc = 0; /* a stream that broke after delivering events: resume at once */
        }
        if (rc == 0 || rc == ED_EGONE) {
            backoff = 1000;
            failure_end(inf, &failures);
            continue;
        }
        if (atomic_load(&inf->stop))
            break;
        failure_log(inf, &failures, err.msg);
        nap(inf, backoff);
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
        /* After repeated failures the watch may have missed changes it cannot resume from. */
        if (backoff >= 8000)
            need_list = true;
    }
    return NULL;
}

int ed_informer_start(ed_informer *inf, ed_err *err)
{
    ED_ASSERT(!inf->started);
    if (pthread_create(&inf->thread, NULL, run, inf) != 0)
        return ed_err_set(err, ED_ERROR, "cannot start the %s informer", inf->kind);
    inf->started = true;
    return 0;
}

bool ed_informer_wait_synced(ed_informer *inf, int64_t timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? ed_time_mono_ms() + timeout_ms : -1;
    pthread_mutex_lock(&inf->lock);
    while (!inf->synced) {
        if (deadline >= 0) {
            int64_t left = deadline - ed_time_mono_ms();
            if (left <= 0)
                break;
            pthread_mutex_unlock(&inf->lock);
            usleep((useconds_t)(left > 20 ? 20000 : left * 1000));
            pthread_mutex_lock(&inf->lock);
        } else {
            pthread_cond_wait(&inf->synced_cond, &inf->lock);
        }
    }
    bool synced = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return synced;
}

const char *ed_informer_label_selector(const ed_informer *inf)
{
    return inf->label_selector;
}

ed_doc *ed_informer_get(ed_informer *inf, const char *ns, const char *name)
{
    char key[512];
    if (ns && *ns)
        snprintf(key, sizeof(key), "%s/%s", ns, name);
    else
        snprintf(key, sizeof(key), "%s", name);
    pthread_mutex_lock(&inf->lock);
    const struct entry *e = ed_strmap_get(inf->cache, key);
    char *copy = e ? ed_xstrdup(e->json) : NULL;
    pthread_mutex_unlock(&inf->lock);
    if (!copy)
        return NULL;
    ed_doc *d = NULL;
    ed_doc_parse_api_json(copy, strlen(copy), &d, NULL);
    free(copy);
    return d;
}

size_t ed_informer_len(ed_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    size_t n = ed_strmap_len(inf->cache);
    pthread_mutex_unlock(&inf->lock);
    return n;
}

char **ed_informer_keys(ed_informer *inf, size_t *n)
{
    pthread_mutex_lock(&inf->lock);
    *n = ed_strmap_len(inf->cache);
    char **keys = ed_xcalloc(*n + 1, sizeof(char *));
    size_t pos = 0, i = 0;
    const char *k;
    while (ed_strmap_next(inf->cache, &pos, &k, NULL))
        keys[i++] = ed_xstrdup(k);
    pthread_mutex_unlock(&inf->lock);
    return keys;
}

char *ed_informer_resource_version(ed_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    char *rv = inf->rv ? ed_xstrdup(inf->rv) : NULL;
    pthread_mutex_unlock(&inf->lock);
    return rv;
}

void ed_informer_stop(ed_informer *inf)
{
    if (inf)
        atomic_store(&inf->stop, true);
}

void ed_informer_free(ed_informer *inf)
{
    if (!inf)
        return;
    atomic_store(&inf->stop, true);
    if (inf->started)
        pthread_join(inf->thread, NULL);
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(inf->cache, &pos, &k, &v))
        free(v);
    ed_strmap_free(inf->cache);
    pthread_cond_destroy(&inf->synced_cond);
    pthread_mutex_destroy(&inf->lock);
    free(inf->handlers);
    free(inf->api_version);
    free(inf->kind);
    free(inf->ns);
    free(inf->label_selector);
    free(inf->rv);
    free(inf);
}
