/*
 * Kubernetes Events, as Flux's controllers record them about the objects they reconcile (what
 * `kubectl describe` and `flux events` show), with client-go's aggregation of repeats.
 *
 * An Event is written to core v1 (involvedObject, reason, message, type, source.component,
 * firstTimestamp, lastTimestamp, count, reportingComponent, reportingInstance, action), as
 * Flux's recorder does by default: events.k8s.io/v1 refuses notes longer than 1024 bytes, and
 * Flux's messages (a change set of many objects, a dry-run error) are often longer. The Event
 * is visible through both APIs all the same. Its name is client-go's: "<object name>.<hex of
 * the nanoseconds of the first occurrence>".
 *
 * Aggregation follows client-go's EventCorrelator: the client keeps an LRU cache (4096
 * entries) of the events it recorded, keyed by a digest of everything that makes two events
 * the same (not their annotations, which client-go leaves out too). A repeat within 10 minutes of
 * the previous occurrence patches the existing Event's count (count and lastTimestamp) instead of
 * creating another Event; an Event that has been deleted meanwhile (events expire after an hour) is
 * created again. While one thread writes an Event, repeats from other threads only bump the count
 * in the cache, and the writing thread writes the new count before it returns.
 *
 * Messages longer than ED_KUBE_EVENT_NOTE_MAX are cut on a UTF-8 character boundary.
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The API's limits on reason, action and reportingInstance (bytes). */
#define FIELD_MAX    128
#define NAME_MAX_LEN 253

/* ---- helpers ---- */

size_t ed_kube_utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    size_t n = max;
    /* s[n] is the first byte left out: when it continues a character (10xxxxxx), that character
     * started before n and must go too. A UTF-8 character has at most 3 continuation bytes;
     * anything longer is not UTF-8, and is cut where it is. */
    for (int i = 0; i < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; i++)
        n--;
    if (((unsigned char)s[n] & 0xC0) == 0x80)
        n = max;
    return n;
}

/* ---- the cache of recent events ---- */

struct cache_entry {
    ed_kube_event_write w;
    int64_t last_ms; /* monotonic time of the latest occurrence */
    bool writing;    /* a thread is writing this Event to the API */
    struct cache_entry *newer, *older;
};

struct ed_kube_event_cache {
    pthread_mutex_t lock;
    ed_strmap *by_key; /* digest -> struct cache_entry */
    struct cache_entry *newest, *oldest;
    size_t max;
    int64_t window_ms;
    uint64_t next_id;
};

ed_kube_event_cache *ed_kube_event_cache_new(size_t max_entries, int64_t window_ms)
{
    ED_ASSERT(max_entries > 0);
    ed_kube_event_cache *c = ed_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->by_key = ed_strmap_new();
    c->max = max_entries;
    c->window_ms = window_ms;
    return c;
}

void ed_kube_event_cache_free(ed_kube_event_cache *c)
{
    if (!c)
        return;
    for (struct cache_entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        free(e);
    }
    ed_strmap_free(c->by_key);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t ed_kube_event_cache_len(ed_kube_event_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = ed_strmap_len(c->by_key);
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void unlink_entry(ed_kube_event_cache *c, struct cache_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void push_newest(ed_kube_event_cache *c, struct cache_entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

static void drop_entry(ed_kube_event_cache *c, struct cache_entry *e)
{
    unlink_entry(c, e);
    ed_strmap_del(c->by_key, e->w.key);
    free(e);
}

bool ed_kube_event_cache_observe(ed_kube_event_cache *c, const char *key, const char *obj_name,
                                 const char *ns, int64_t now_ms, struct timespec now,
                                 ed_kube_event_write *w)
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = ed_strmap_get(c->by_key, key);
    /* Seen too long ago: this is a new Event. (A write in progress keeps its entry; it cannot
     * take ten minutes, but it must not lose the entry under it either.) */
    if (e && !e->writing && now_ms - e->last_ms >= c->window_ms) {
        drop_entry(c, e);
        e = NULL;
    }
    if (e) {
        e->w.count++;
        e->w.last = now;
        unlink_entry(c, e);
    } else {
        /* Bounded: the least recently seen entry goes. An entry being written may go too; its
         * writer then finds it gone and stops (ed_kube_event_cache_written). Entries come one
         * at a time, so one eviction keeps the bound. */
        if (ed_strmap_len(c->by_key) >= c->max && c->oldest)
            drop_entry(c, c->oldest);
        e = ed_xcalloc(1, sizeof(*e));
        e->w.id = ++c->next_id;
        snprintf(e->w.key, sizeof(e->w.key), "%s", key);
        /* client-go: fmt.Sprintf("%v.%x", ref.Name, t.UnixNano()). */
        unsigned long long nanos =
            (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
        snprintf(e->w.name, sizeof(e->w.name), "%s.%llx", obj_name, nanos);
        snprintf(e->w.ns, sizeof(e->w.ns), "%s", ns);
        e->w.count = 1;
        e->w.first = e->w.last = now;
        ed_strmap_put(c->by_key, key, e);
    }
    push_newest(c, e);
    e->last_ms = now_ms;
    bool mine = !e->writing;
    if (mine) {
        e->writing = true;
        *w = e->w;
    }
    pthread_mutex_unlock(&c->lock);
    return mine;
}

bool ed_kube_event_cache_written(ed_kube_event_cache *c, ed_kube_event_write *w, int rc)
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = ed_strmap_get(c->by_key, w->key);
    bool again = false;
    if (e && e->w.id == w->id) {
        if (rc == 0)
            e->w.created = true;
        again = rc == 0 && e->w.count != w->count;
        if (again)
            *w = e->w;
        else
            e->writing = false;
    }
    pthread_mutex_unlock(&c->lock);
    return again;
}

/* ---- building and writing Events ---- */

/* What an Event says, resolved from ed_kube_event. */
struct event_fields {
    const char *api_version, *kind, *ns, *name, *uid, *resource_version;
    const char *event_ns;
    char *note; /* truncated copy */
    char instance[256];
};

static void set_str(ed_doc *d, ed_node *map, const char *key, const char *value)
{
    if (value && *value)
        ed_node_set(d, map, key, ed_node_new_str(d, value));
}

static ed_node *object_reference(ed_doc *d, const struct event_fields *f)
{
    ed_node *ref = ed_node_new_map(d);
    set_str(d, ref, "apiVersion", f->api_version);
    set_str(d, ref, "kind", f->kind);
    set_str(d, ref, "namespace", f->ns);
    set_str(d, ref, "name", f->name);
    set_str(d, ref, "uid", f->uid);
    set_str(d, ref, "resourceVersion", f->resource_version);
    return ref;
}

/* The whole Event, for a create. */
static ed_doc *event_object(const ed_kube_event *ev, const struct event_fields *f,
                            const ed_kube_event_write *w)
{
    ed_doc *d = ed_doc_new();
    ed_node *o = ed_node_new_map(d);
    ed_doc_set_root(d, o);
    ed_node_set(d, o, "apiVersion", ed_node_new_str(d, "v1"));
    ed_node_set(d, o, "kind", ed_node_new_str(d, "Event"));
    ed_node *meta = ed_node_ensure_map(d, o, "/metadata");
    ed_node_set(d, meta, "name", ed_node_new_str(d, w->name));
    ed_node_set(d, meta, "namespace", ed_node_new_str(d, w->ns));
    if (ev->annotations && ev->annotations[0]) {
        ed_node *ann = ed_node_ensure_map(d, meta, "/annotations");
        for (const char *const *a = ev->annotations; a[0] && a[1]; a += 2)
            ed_node_set(d, ann, a[0], ed_node_new_str(d, a[1]));
    }
    /* metav1.Time: whole seconds. */
    char t0[32], t1[32];
    ed_time_rfc3339(w->first.tv_sec, t0);
    ed_time_rfc3339(w->last.tv_sec, t1);
    ed_node_set(d, o, "involvedObject", object_reference(d, f));
    ed_node_set(d, o, "message", ed_node_new_str(d, f->note));
    ed_node *source = ed_node_ensure_map(d, o, "/source");
    ed_node_set(d, source, "component", ed_node_new_str(d, ev->reporting_controller));
    ed_node_set(d, source, "host", ed_node_new_str(d, f->instance));
    ed_node_set(d, o, "firstTimestamp", ed_node_new_str(d, t0));
    ed_node_set(d, o, "lastTimestamp", ed_node_new_str(d, t1));
    ed_node_set(d, o, "count", ed_node_new_int(d, w->count));
    ed_node_set(d, o, "reportingComponent", ed_node_new_str(d, ev->reporting_controller));
    ed_node_set(d, o, "reportingInstance", ed_node_new_str(d, f->instance));
    ed_node_set(d, o, "action", ed_node_new_str(d, ev->action));
    ed_node_set(d, o, "reason", ed_node_new_str(d, ev->reason));
    ed_node_set(d, o, "type", ed_node_new_str(d, ev->type));
    return d;
}

/* The merge patch of a repeat: the new count and time of the latest occurrence. */
static char *series_patch(const ed_kube_event_write *w)
{
    char last[32];
    ed_time_rfc3339(w->last.tv_sec, last);
    return ed_xasprintf("{\"count\":%lld,\"lastTimestamp\":\"%s\"}", (long long)w->count, last);
}

static int create_event(ed_kube *kube, const ed_kube_event *ev, const struct event_fields *f,
                        const ed_kube_event_write *w, ed_err *err)
{
    ed_doc *d = event_object(ev, f, w);
    int rc = ed_kube_create(kube, ed_doc_root(d), NULL, NULL, err);
    ed_doc_free(d);
    return rc;
}

static int patch_event(ed_kube *kube, const ed_kube_event_write *w, ed_err *err)
{
    char *patch = series_patch(w);
    int rc = ed_kube_patch(kube, "v1", "Event", w->ns, w->name, ED_KUBE_PATCH_MERGE, patch,
                           strlen(patch), NULL, NULL, err);
    free(patch);
    return rc;
}

/* Write one snapshot: create the Event, or patch its count. */
static int write_event(ed_kube *kube, const ed_kube_event *ev, const struct event_fields *f,
                       const ed_kube_event_write *w, ed_err *err)
{
    if (!w->created) {
        int rc = create_event(kube, ev, f, w, err);
        /* It exists: an earlier create reached the server but its reply was lost. */
        if (rc != ED_EEXISTS)
            return rc;
        ed_err_clear(err);
        return patch_event(kube, w, err);
    }
    int rc = patch_event(kube, w, err);
    /* Deleted meanwhile (Events expire): create it again with the count so far, as client-go
     * does. */
    if (rc == ED_ENOTFOUND) {
        ed_err_clear(err);
        rc = create_event(kube, ev, f, w, err);
    }
    return rc;
}

/* Append a field to the digest input, length first so that no two field lists run together. */
static void key_field(ed_buf *b, const char *s)
{
    s = s ? s : "";
    ed_buf_printf(b, "%zu:", strlen(s));
    ed_buf_append_str(b, s);
}

static void event_key(const ed_kube_event *ev, const struct event_fields *f, char out[65])
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 30);
    const char *fields[] = {
        f->api_version, f->kind,    f->ns,      f->name, f->uid,
        ev->type,       ev->reason, ev->action, f->note, ev->reporting_controller,
        f->instance};
    /* Not the annotations, as client-go's getEventKey: the same message about a new revision
     * counts as a repeat of the first Event, which keeps the first one's annotations (Flux's
     * Events do). */
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        key_field(&b, fields[i]);
    ed_sha256_hex(b.data, b.len, out);
    ed_buf_free(&b);
}

static bool filled(const char *s)
{
    return s && *s;
}

/* Check ev and resolve what the Event says. */
static int event_fields(const ed_kube_event *ev, struct event_fields *f, ed_err *err)
{
    memset(f, 0, sizeof(*f));
    const ed_node *o = ev->regarding;
    f->api_version = ed_node_str(ed_node_get(o, "apiVersion"));
    f->kind = ed_node_str(ed_node_get(o, "kind"));
    f->name = ed_node_path_str(o, "/metadata/name");
    f->ns = ed_node_path_str(o, "/metadata/namespace");
    f->uid = ed_node_path_str(o, "/metadata/uid");
    f->resource_version = ed_node_path_str(o, "/metadata/resourceVersion");
    if (!filled(f->api_version) || !filled(f->kind) || !filled(f->name))
        return ed_err_set(err, ED_EINVALID,
                          "an event's object needs apiVersion, kind and metadata.name");
    if (strlen(f->name) > NAME_MAX_LEN || (f->ns && strlen(f->ns) > NAME_MAX_LEN))
        return ed_err_set(err, ED_EINVALID, "an event's object has an overlong name");
    if (!filled(ev->type) || (strcmp(ev->type, ED_KUBE_EVENT_NORMAL) != 0 &&
                              strcmp(ev->type, ED_KUBE_EVENT_WARNING) != 0))
        return ed_err_set(err, ED_EINVALID, "event type \"%s\" is neither Normal nor Warning",
                          ev->type ? ev->type : "");
    const struct {
        const char *article, *name, *value;
    } required[] = {
        {"a", "reason", ev->reason},
        {"an", "action", ev->action},
        {"a", "reporting controller", ev->reporting_controller},
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!filled(required[i].value))
            return ed_err_set(err, ED_EINVALID, "an event needs %s %s", required[i].article,
                              required[i].name);
        if (strlen(required[i].value) > FIELD_MAX)
            return ed_err_set(err, ED_EINVALID, "an event's %s is longer than %d bytes",
                              required[i].name, FIELD_MAX);
    }
    if (ev->reporting_instance) {
        snprintf(f->instance, sizeof(f->instance), "%s", ev->reporting_instance);
    } else if (gethostname(f->instance, sizeof(f->instance)) != 0 || !f->instance[0]) {
        snprintf(f->instance, sizeof(f->instance), "unknown");
    }
    f->instance[sizeof(f->instance) - 1] = '\0';
    if (!f->instance[0] || strlen(f->instance) > FIELD_MAX)
        return ed_err_set(err, ED_EINVALID, "an event's reporting instance must be 1 to %d bytes",
                          FIELD_MAX);
    /* Cluster-scoped objects have their Events in "default", as client-go does. */
    f->event_ns = filled(f->ns) ? f->ns : "default";
    const char *note = ev->note ? ev->note : "";
    f->note = ed_xstrndup(note, ed_kube_utf8_prefix(note, ED_KUBE_EVENT_NOTE_MAX));
    return 0;
}

void ed_kube_set_event_hook(ed_kube *kube, ed_kube_event_hook fn, void *user)
{
    kube->event_hook = fn;
    kube->event_hook_user = user;
}

/* Write the occurrence of ev (resolved into f) that happened at now (now_ms on the monotonic
 * clock): a new Event, or a repeat's count. */
static int write_occurrence(ed_kube *kube, const ed_kube_event *ev, const struct event_fields *f,
                            struct timespec now, int64_t now_ms, ed_err *err)
{
    char key[65];
    event_key(ev, f, key);
    ed_kube_event_write w;
    if (!ed_kube_event_cache_observe(kube->events, key, f->name, f->event_ns, now_ms, now, &w))
        return 0; /* another thread is writing this Event and will write this repeat too */
    int rc;
    do {
        rc = write_event(kube, ev, f, &w, err);
    } while (ed_kube_event_cache_written(kube->events, &w, rc));
    return rc;
}

static void wrap_record_error(const ed_kube_event *ev, const struct event_fields *f, ed_err *err)
{
    ed_err_wrap(err, "recording event %s about %s/%s", ev->reason ? ev->reason : "",
                f->kind ? f->kind : "", f->name ? f->name : "");
}

int ed_kube_event_record(ed_kube *kube, const ed_kube_event *ev, ed_err *err)
{
    struct event_fields f;
    int rc = event_fields(ev, &f, err);
    if (rc == 0) {
        if (kube->event_hook)
            kube->event_hook(ev, kube->event_hook_user);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        rc = write_occurrence(kube, ev, &f, now, ed_time_mono_ms(), err);
    }
    if (rc)
        wrap_record_error(ev, &f, err);
    free(f.note);
    return rc;
}

/* ---- posted Events: written by a thread of their own when the client is idle ---- */

/* The most Events (and bytes of their messages) waiting; past either, ed_kube_event_post
 * writes at once, in the caller's thread. */
#define QUEUE_MAX_EVENTS 2048
#define QUEUE_MAX_BYTES  ((size_t)8 << 20)
/* How often a closed gate (ed_kube_set_event_gate) is asked again. */
#define GATE_POLL_MS 100
/* How long ed_kube_free waits for the Events still queued to be written. */
#define FLUSH_MS 5000

/* A copy of one posted Event and the moment it happened. */
struct posted {
    struct posted *next;
    ed_doc *regarding; /* apiVersion, kind and the metadata an Event names */
    char *type, *reason, *note, *action, *reporter, *instance, *log_as;
    char **annotations; /* key, value, ..., NULL */
    struct timespec at;
    int64_t at_ms;
    size_t bytes;
};

struct ed_kube_event_queue {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on the monotonic clock */
    struct posted *head, *tail;
    size_t n, bytes;
    bool started, stopping;
    pthread_t thread;
    int64_t max_delay_ms;
    ed_kube_busy_fn busy; /* ed_kube_set_event_gate's, called under lock */
    void *busy_user;
};

/* Set in the writer thread: its own requests are not the work it waits for. */
static _Thread_local bool in_event_writer;

ed_kube_event_queue *ed_kube_event_queue_new(void)
{
    ed_kube_event_queue *q = ed_xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    q->max_delay_ms = ED_KUBE_EVENT_MAX_DELAY_MS;
    return q;
}

static void posted_free(struct posted *p)
{
    ed_doc_free(p->regarding);
    free(p->type);
    free(p->reason);
    free(p->note);
    free(p->action);
    free(p->reporter);
    free(p->instance);
    free(p->log_as);
    for (char **a = p->annotations; a && *a; a++)
        free(*a);
    free(p->annotations);
    free(p);
}

static char *dup_or_null(const char *s)
{
    return s ? ed_xstrdup(s) : NULL;
}

static struct posted *posted_new(const ed_kube_event *ev, const struct event_fields *f,
                                 const char *log_as)
{
    struct posted *p = ed_xcalloc(1, sizeof(*p));
    ed_doc *d = p->regarding = ed_doc_new();
    ed_node *o = ed_node_new_map(d);
    ed_doc_set_root(d, o);
    ed_node_set(d, o, "apiVersion", ed_node_new_str(d, f->api_version));
    ed_node_set(d, o, "kind", ed_node_new_str(d, f->kind));
    ed_node *meta = ed_node_ensure_map(d, o, "/metadata");
    set_str(d, meta, "name", f->name);
    set_str(d, meta, "namespace", f->ns);
    set_str(d, meta, "uid", f->uid);
    set_str(d, meta, "resourceVersion", f->resource_version);
    p->type = ed_xstrdup(ev->type);
    p->reason = ed_xstrdup(ev->reason);
    p->note = ed_xstrdup(f->note);
    p->action = ed_xstrdup(ev->action);
    p->reporter = ed_xstrdup(ev->reporting_controller);
    p->instance = ed_xstrdup(f->instance);
    p->log_as = dup_or_null(log_as);
    size_t na = 0;
    while (ev->annotations && ev->annotations[na] && ev->annotations[na + 1])
        na += 2;
    p->annotations = ed_xcalloc(na + 1, sizeof(char *));
    for (size_t i = 0; i < na; i++)
        p->annotations[i] = ed_xstrdup(ev->annotations[i]);
    clock_gettime(CLOCK_REALTIME, &p->at);
    p->at_ms = ed_time_mono_ms();
    p->bytes = sizeof(*p) + strlen(p->note);
    return p;
}

/* Write a posted Event; a failure is logged, as Flux's recorder logs it. */
static void write_posted(ed_kube *kube, struct posted *p)
{
    ed_kube_event ev = ED_KUBE_EVENT_INIT;
    ev.regarding = ed_doc_root(p->regarding);
    ev.type = p->type;
    ev.reason = p->reason;
    ev.note = p->note;
    ev.action = p->action;
    ev.reporting_controller = p->reporter;
    ev.reporting_instance = p->instance;
    ev.annotations = (const char *const *)p->annotations;
    ed_err err = ED_ERR_INIT;
    struct event_fields f;
    int rc = event_fields(&ev, &f, &err);
    if (rc == 0)
        rc = write_occurrence(kube, &ev, &f, p->at, p->at_ms, &err);
    if (rc) {
        wrap_record_error(&ev, &f, &err);
        ed_log(ED_LOG_ERROR, "recording an event failed", "controller",
               p->log_as ? p->log_as : p->reporter, "error", err.msg, NULL);
    }
    free(f.note);
}

static void wait_until(ed_kube_event_queue *q, int64_t until_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(until_ms / 1000),
                          .tv_nsec = (long)(until_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&q->cond, &q->lock, &ts);
}

/*
 * The writer: the oldest Event waiting is written when no other request of the client is in
 * flight (the reconciles' requests go first), or once it has waited max_delay_ms, or when the
 * client is being freed. The monotonic clock of ed_time_mono_ms is the condition's.
 */
static void *writer_main(void *arg)
{
    ed_kube *kube = arg;
    ed_kube_event_queue *q = kube->event_queue;
    in_event_writer = true;
    int64_t flush_until = 0;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->cond, &q->lock);
        if (!q->head)
            break;
        int64_t now = ed_time_mono_ms();
        if (q->stopping && !flush_until)
            flush_until = now + FLUSH_MS;
        int64_t due = q->head->at_ms + q->max_delay_ms;
        if (!q->stopping && now < due) {
            /* Woken when the last request in flight ends (ed_kube_event_idle); the timeout
             * only bounds a wake-up missed. The gate has no wake-up: asked again soon. */
            if (atomic_load(&kube->in_flight) > 0) {
                wait_until(q, due < now + 1000 ? due : now + 1000);
                continue;
            }
            if (q->busy && q->busy(q->busy_user)) {
                wait_until(q, due < now + GATE_POLL_MS ? due : now + GATE_POLL_MS);
                continue;
            }
        }
        struct posted *p = q->head;
        q->head = p->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        q->bytes -= p->bytes;
        pthread_mutex_unlock(&q->lock);
        if (flush_until && now > flush_until)
            ed_log(ED_LOG_ERROR, "recording an event failed", "controller",
                   p->log_as ? p->log_as : p->reporter, "error",
                   "the client stopped before the event could be written", NULL);
        else
            write_posted(kube, p);
        posted_free(p);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

bool ed_kube_in_event_writer(void)
{
    return in_event_writer;
}

void ed_kube_event_idle(ed_kube *kube)
{
    ed_kube_event_queue *q = kube->event_queue;
    pthread_mutex_lock(&q->lock);
    if (q->head)
        pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

void ed_kube_event_queue_free(ed_kube *kube)
{
    ed_kube_event_queue *q = kube->event_queue;
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    bool started = q->started;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    if (started)
        pthread_join(q->thread, NULL);
    for (struct posted *p = q->head, *next; p; p = next) {
        next = p->next;
        posted_free(p);
    }
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
    kube->event_queue = NULL;
}

void ed_kube_set_event_gate(ed_kube *kube, ed_kube_busy_fn busy, void *user)
{
    pthread_mutex_lock(&kube->event_queue->lock);
    kube->event_queue->busy = busy;
    kube->event_queue->busy_user = user;
    pthread_cond_signal(&kube->event_queue->cond);
    pthread_mutex_unlock(&kube->event_queue->lock);
}

void ed_kube_set_event_delay(ed_kube *kube, int64_t max_delay_ms)
{
    pthread_mutex_lock(&kube->event_queue->lock);
    kube->event_queue->max_delay_ms = max_delay_ms;
    pthread_cond_signal(&kube->event_queue->cond);
    pthread_mutex_unlock(&kube->event_queue->lock);
}

int ed_kube_event_post(ed_kube *kube, const ed_kube_event *ev, const char *log_as, ed_err *err)
{
    struct event_fields f;
    int rc = event_fields(ev, &f, err);
    if (rc) {
        wrap_record_error(ev, &f, err);
        free(f.note);
        return rc;
    }
    if (kube->event_hook)
        kube->event_hook(ev, kube->event_hook_user);
    struct posted *p = posted_new(ev, &f, log_as);
    free(f.note);
    ed_kube_event_queue *q = kube->event_queue;
    pthread_mutex_lock(&q->lock);
    bool queued = false;
    if (!q->stopping && q->n < QUEUE_MAX_EVENTS && q->bytes + p->bytes <= QUEUE_MAX_BYTES) {
        if (!q->started)
            q->started = pthread_create(&q->thread, NULL, writer_main, kube) == 0;
        if (q->started) {
            if (q->tail)
                q->tail->next = p;
            else
                q->head = p;
            q->tail = p;
            q->n++;
            q->bytes += p->bytes;
            queued = true;
            pthread_cond_signal(&q->cond);
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (!queued) {
        /* Full (or no thread): written now, by the caller, which waits its turn. */
        write_posted(kube, p);
        posted_free(p);
    }
    return 0;
}
