/*
 * Unit tests of the worker pool: every queued key is reconciled; a success with a requeue
 * interval comes back after it; a failure comes back after its backoff and counts a failure;
 * stopping waits for a reconcile in progress, or gives up at the deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_workers_reconcile(void **state);
void test_workers_stop_waits(void **state);

struct counts {
    atomic_int ok, failing, slow_done;
};

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    struct counts *c = user;
    if (strcmp(key, "ok") == 0) {
        /* Succeeds, and asks to come back after 50 ms, twice. */
        if (atomic_fetch_add(&c->ok, 1) < 2)
            *requeue_after_ms = 50;
        return 0;
    }
    if (strcmp(key, "failing") == 0) {
        atomic_fetch_add(&c->failing, 1);
        return ED_ERETRY;
    }
    if (strcmp(key, "slow") == 0) {
        usleep(300 * 1000);
        atomic_fetch_add(&c->slow_done, 1);
    }
    return 0;
}

void test_workers_reconcile(void **state)
{
    (void)state;
    static struct counts c;
    memset(&c, 0, sizeof(c));
    ed_queue_opts qo = {.base_delay_ms = 20, .max_delay_ms = 40};
    ed_queue *q = ed_queue_new(&qo);
    ed_workers *w = ed_workers_start(q, 3, reconcile, &c);
    ed_queue_add(q, "ok");
    ed_queue_add(q, "failing");
    usleep(400 * 1000);
    /* ok: first run plus two requeues, then it stops asking. */
    assert_int_equal(atomic_load(&c.ok), 3);
    /* failing: retried with backoff 20, 40, 40, ... ms: several times in 400 ms, not hundreds. */
    int f = atomic_load(&c.failing);
    assert_true(f >= 4 && f <= 20);
    assert_true(ed_queue_failures(q, "failing") >= 4);
    assert_int_equal(ed_queue_failures(q, "ok"), 0);
    assert_true(ed_workers_stop(w, 1000));
    ed_queue_free(q);
}

void test_workers_stop_waits(void **state)
{
    (void)state;
    static struct counts c;
    memset(&c, 0, sizeof(c));
    ed_queue *q = ed_queue_new(NULL);
    ed_workers *w = ed_workers_start(q, 2, reconcile, &c);
    ed_queue_add(q, "slow");
    usleep(50 * 1000);
    /* The reconcile in progress finishes before stop returns. */
    assert_true(ed_workers_stop(w, 2000));
    assert_int_equal(atomic_load(&c.slow_done), 1);
    ed_queue_free(q);
}
