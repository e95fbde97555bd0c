/*
 * The work queue (see runtime.h for the semantics). One mutex guards everything; a condition
 * variable on the monotonic clock wakes workers for new keys and for delayed keys whose time
 * has come. Delayed keys sit in a binary heap by due time; the map `waiting` holds each key's
 * current due time, so a heap entry that no longer matches it is stale and skipped.
 */
#include "runtime.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct delayed {
    int64_t due_ms;
    char *key;
};

struct ed_queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t base_ms, max_ms;
    bool shutting_down;

    char **fifo; /* ring buffer of keys ready to hand out */
    size_t head, count, cap;

    ed_strmap *dirty;      /* keys that need processing (queued, or added while in process) */
    ed_strmap *processing; /* keys a worker holds */
    ed_strmap *failures;   /* key -> failure count (as intptr_t) */
    ed_strmap *waiting;    /* key -> due time of its delayed add (boxed int64_t) */

    struct delayed *heap;
    size_t nheap, capheap;
};

ed_queue *ed_queue_new(const ed_queue_opts *opts)
{
    ed_queue *q = ed_xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &attr);
    pthread_condattr_destroy(&attr);
    q->base_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms : 750;
    q->max_ms = opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : 15 * 60 * 1000;
    q->dirty = ed_strmap_new();
    q->processing = ed_strmap_new();
    q->failures = ed_strmap_new();
    q->waiting = ed_strmap_new();
    return q;
}

void ed_queue_free(ed_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        free(q->fifo[(q->head + i) % q->cap]);
    free(q->fifo);
    for (size_t i = 0; i < q->nheap; i++)
        free(q->heap[i].key);
    free(q->heap);
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(q->waiting, &pos, &k, &v))
        free(v);
    ed_strmap_free(q->dirty);
    ed_strmap_free(q->processing);
    ed_strmap_free(q->failures);
    ed_strmap_free(q->waiting);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static void fifo_push(ed_queue *q, const char *key)
{
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        char **ring = ed_xcalloc(cap, sizeof(*ring));
        for (size_t i = 0; i < q->count; i++)
            ring[i] = q->fifo[(q->head + i) % q->cap];
        free(q->fifo);
        q->fifo = ring;
        q->cap = cap;
        q->head = 0;
    }
    q->fifo[(q->head + q->count) % q->cap] = ed_xstrdup(key);
    q->count++;
}

/* add, with the lock held. */
static void add_locked(ed_queue *q, const char *key)
{
    if (q->shutting_down || ed_strmap_has(q->dirty, key))
        return;
    ed_strmap_put(q->dirty, key, NULL);
    if (ed_strmap_has(q->processing, key))
        return; /* queued again by ed_queue_done */
    fifo_push(q, key);
    pthread_cond_signal(&q->cond);
}

void ed_queue_add(ed_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    add_locked(q, key);
    pthread_mutex_unlock(&q->lock);
}

static void heap_swap(struct delayed *a, struct delayed *b)
{
    struct delayed t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(ed_queue *q, int64_t due, const char *key)
{
    if (q->nheap == q->capheap) {
        q->capheap = q->capheap ? q->capheap * 2 : 16;
        q->heap = ed_xrealloc(q->heap, q->capheap * sizeof(*q->heap));
    }
    size_t i = q->nheap++;
    q->heap[i].due_ms = due;
    q->heap[i].key = ed_xstrdup(key);
    while (i > 0 && q->heap[(i - 1) / 2].due_ms > q->heap[i].due_ms) {
        heap_swap(&q->heap[(i - 1) / 2], &q->heap[i]);
        i = (i - 1) / 2;
    }
}

static struct delayed heap_pop(ed_queue *q)
{
    struct delayed top = q->heap[0];
    q->heap[0] = q->heap[--q->nheap];
    q->heap[q->nheap].key = NULL; /* the slot past the end holds nothing */
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->nheap && q->heap[l].due_ms < q->heap[m].due_ms)
            m = l;
        if (r < q->nheap && q->heap[r].due_ms < q->heap[m].due_ms)
            m = r;
        if (m == i)
            break;
        heap_swap(&q->heap[i], &q->heap[m]);
        i = m;
    }
    return top;
}

static void add_after_locked(ed_queue *q, const char *key, int64_t delay_ms)
{
    if (q->shutting_down)
        return;
    if (delay_ms <= 0) {
        add_locked(q, key);
        return;
    }
    int64_t due = ed_time_mono_ms() + delay_ms;
    int64_t *cur = ed_strmap_get(q->waiting, key);
    if (cur && *cur <= due)
        return; /* already due earlier */
    if (!cur) {
        cur = ed_xmalloc(sizeof(*cur));
        ed_strmap_put(q->waiting, key, cur);
    }
    *cur = due;
    heap_push(q, due, key);
    /* A sleeping worker may need to wake earlier than it planned. */
    pthread_cond_broadcast(&q->cond);
}

void ed_queue_add_after(ed_queue *q, const char *key, int64_t delay_ms)
{
    pthread_mutex_lock(&q->lock);
    add_after_locked(q, key, delay_ms);
    pthread_mutex_unlock(&q->lock);
}

int64_t ed_queue_add_rate_limited(ed_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    intptr_t n = (intptr_t)ed_strmap_get(q->failures, key);
    int64_t delay = q->base_ms;
    for (intptr_t i = 0; i < n && delay < q->max_ms; i++)
        delay *= 2;
    if (delay > q->max_ms)
        delay = q->max_ms;
    ed_strmap_put(q->failures, key, (void *)(n + 1));
    add_after_locked(q, key, delay);
    pthread_mutex_unlock(&q->lock);
    return delay;
}

void ed_queue_forget(ed_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    ed_strmap_del(q->failures, key);
    pthread_mutex_unlock(&q->lock);
}

int ed_queue_failures(ed_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    int n = (int)(intptr_t)ed_strmap_get(q->failures, key);
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* Move delayed keys whose time has come into the queue; return the next due time or -1. */
static int64_t promote_due(ed_queue *q)
{
    int64_t now = ed_time_mono_ms();
    while (q->nheap > 0) {
        int64_t *cur = ed_strmap_get(q->waiting, q->heap[0].key);
        if (!cur || *cur != q->heap[0].due_ms) { /* stale: superseded by an earlier time */
            struct delayed d = heap_pop(q);
            free(d.key);
            continue;
        }
        if (q->heap[0].due_ms > now)
            return q->heap[0].due_ms;
        struct delayed d = heap_pop(q);
        free(ed_strmap_del(q->waiting, d.key));
        add_locked(q, d.key);
        free(d.key);
    }
    return -1;
}

char *ed_queue_get(ed_queue *q, int64_t timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? ed_time_mono_ms() + timeout_ms : -1;
    char *key = NULL;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->shutting_down)
            break;
        int64_t next_due = promote_due(q);
        if (q->count > 0) {
            key = q->fifo[q->head];
            q->head = (q->head + 1) % q->cap;
            q->count--;
            ed_strmap_del(q->dirty, key);
            ed_strmap_put(q->processing, key, NULL);
            /* Handing the key out consumes its delayed add (its heap entry goes stale), as
             * controller-runtime's priority queue holds a key once: a reconcile that a watch
             * event started early is not followed at once by another when the requeue of the
             * one before comes due while it runs (a Kustomization whose health checks take
             * longer than its retryInterval would never wait between attempts). */
            free(ed_strmap_del(q->waiting, key));
            break;
        }
        int64_t now = ed_time_mono_ms();
        if (deadline >= 0 && now >= deadline)
            break;
        int64_t wake = deadline;
        if (next_due >= 0 && (wake < 0 || next_due < wake))
            wake = next_due;
        if (wake < 0) {
            pthread_cond_wait(&q->cond, &q->lock);
        } else {
            struct timespec ts = {(time_t)(wake / 1000), (long)(wake % 1000) * 1000000L};
            pthread_cond_timedwait(&q->cond, &q->lock, &ts);
        }
    }
    pthread_mutex_unlock(&q->lock);
    return key;
}

void ed_queue_done(ed_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    ed_strmap_del(q->processing, key);
    if (ed_strmap_has(q->dirty, key) && !q->shutting_down) {
        fifo_push(q, key);
        pthread_cond_signal(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
}

void ed_queue_shutdown(ed_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->shutting_down = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

size_t ed_queue_len(ed_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
