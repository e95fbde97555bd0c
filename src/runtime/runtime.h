/*
 * runtime: what every controller runs on. The work queue (queue.c) is built; informers and
 * caches, the worker pool, leader election (Lease), Events, metrics and health endpoints and
 * signal handling are not built yet (issue #3).
 *
 * The work queue has client-go's semantics, which Flux's controllers rely on: a key is queued
 * at most once however often it is added; a key being processed is never handed to a second
 * worker, and an add during processing queues it again once the worker is done; keys can be
 * added after a delay (requeue at `interval`) or after a per-key exponential backoff that grows
 * with each failure and is reset by ed_queue_forget (a success).
 */
#ifndef ED_RUNTIME_H
#define ED_RUNTIME_H

#include "../base/base.h"

typedef struct ed_queue ed_queue;

typedef struct ed_queue_opts {
    int64_t base_delay_ms; /* first failure backoff; 0 for 5 ms (controller-runtime's) */
    int64_t max_delay_ms;  /* backoff cap; 0 for 1000 s (controller-runtime's) */
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

#endif
