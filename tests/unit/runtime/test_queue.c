/*
 * Unit tests of the work queue: deduplication, one worker per key at a time with re-queue on
 * done, delayed adds (earliest wins), per-key failure backoff and forget, timeouts, shutdown
 * waking every worker, and a multi-threaded stress run that checks the one-worker-per-key rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void expect_key(ed_queue *q, const char *want)
{
    char *k = ed_queue_get(q, 1000);
    assert_non_null(k);
    assert_string_equal(k, want);
    ed_queue_done(q, k);
    free(k);
}

static void test_dedup_and_order(void **state)
{
    (void)state;
    ed_queue *q = ed_queue_new(NULL);
    ed_queue_add(q, "flux-system/apps");
    ed_queue_add(q, "flux-system/infra");
    ed_queue_add(q, "flux-system/apps");
    assert_int_equal(ed_queue_len(q), 2);
    expect_key(q, "flux-system/apps");
    expect_key(q, "flux-system/infra");
    assert_null(ed_queue_get(q, 50)); /* empty: times out */
    ed_queue_free(q);
}

static void test_processing_is_exclusive(void **state)
{
    (void)state;
    ed_queue *q = ed_queue_new(NULL);
    ed_queue_add(q, "a");
    char *k = ed_queue_get(q, 1000);
    assert_string_equal(k, "a");
    /* Added while a worker holds it: not handed out again until done. */
    ed_queue_add(q, "a");
    ed_queue_add(q, "a");
    assert_int_equal(ed_queue_len(q), 0);
    assert_null(ed_queue_get(q, 50));
    ed_queue_done(q, k);
    free(k);
    assert_int_equal(ed_queue_len(q), 1);
    expect_key(q, "a");
    assert_null(ed_queue_get(q, 20));
    ed_queue_free(q);
}

static void test_add_after(void **state)
{
    (void)state;
    ed_queue *q = ed_queue_new(NULL);
    int64_t t0 = ed_time_mono_ms();
    ed_queue_add_after(q, "late", 300);
    ed_queue_add_after(q, "soon", 100);
    ed_queue_add_after(q, "late", 500); /* later than the pending time: ignored */
    assert_int_equal(ed_queue_len(q), 0);
    expect_key(q, "soon");
    int64_t t1 = ed_time_mono_ms();
    assert_true(t1 - t0 >= 100);
    expect_key(q, "late");
    int64_t t2 = ed_time_mono_ms();
    assert_true(t2 - t0 >= 300);
    assert_true(t2 - t0 < 480); /* the 500 ms add did not replace the 300 ms one */
    /* An earlier time replaces a later one. */
    ed_queue_add_after(q, "x", 10000);
    ed_queue_add_after(q, "x", 50);
    expect_key(q, "x");
    assert_null(ed_queue_get(q, 100)); /* and the stale 10 s entry is not delivered */
    ed_queue_add_after(q, "now", 0);
    assert_int_equal(ed_queue_len(q), 1);
    ed_queue_free(q); /* frees pending entries too */
}

/* A key handed out consumes its pending delayed add, as controller-runtime's priority queue
 * holds a key once: a reconcile started early (a watch event) is not run again when the
 * requeue of the one before it comes due while it runs. */
static void test_get_consumes_delayed_add(void **state)
{
    (void)state;
    ed_queue *q = ed_queue_new(NULL);
    struct timespec ts = {0, 200 * 1000000L};
    ed_queue_add_after(q, "k", 100);
    ed_queue_add(q, "k");
    char *k = ed_queue_get(q, 1000);
    assert_non_null(k);
    nanosleep(&ts, NULL); /* the delayed add's time passes while k is processed */
    ed_queue_done(q, k);
    free(k);
    assert_null(ed_queue_get(q, 50));
    /* A delayed add made while k is processed still counts. */
    ed_queue_add(q, "k");
    k = ed_queue_get(q, 1000);
    assert_non_null(k);
    ed_queue_add_after(q, "k", 20);
    nanosleep(&ts, NULL);
    ed_queue_done(q, k);
    free(k);
    expect_key(q, "k");
    ed_queue_free(q);
}

static void test_rate_limited(void **state)
{
    (void)state;
    /* Flux's defaults: 750 ms first, doubling, capped at 15 min. */
    ed_queue *def = ed_queue_new(NULL);
    assert_int_equal(ed_queue_add_rate_limited(def, "k"), 750);
    assert_int_equal(ed_queue_add_rate_limited(def, "k"), 1500);
    for (int i = 0; i < 20; i++)
        ed_queue_add_rate_limited(def, "k");
    assert_int_equal(ed_queue_add_rate_limited(def, "k"), 15 * 60 * 1000);
    ed_queue_free(def);
    ed_queue_opts opts = {.base_delay_ms = 10, .max_delay_ms = 50};
    ed_queue *q = ed_queue_new(&opts);
    assert_int_equal(ed_queue_add_rate_limited(q, "k"), 10);
    expect_key(q, "k");
    assert_int_equal(ed_queue_add_rate_limited(q, "k"), 20);
    expect_key(q, "k");
    assert_int_equal(ed_queue_add_rate_limited(q, "k"), 40);
    expect_key(q, "k");
    assert_int_equal(ed_queue_add_rate_limited(q, "k"), 50); /* capped */
    assert_int_equal(ed_queue_failures(q, "k"), 4);
    expect_key(q, "k");
    ed_queue_forget(q, "k");
    assert_int_equal(ed_queue_failures(q, "k"), 0);
    assert_int_equal(ed_queue_add_rate_limited(q, "k"), 10);
    ed_queue_free(q);
}

static void *wait_forever(void *arg)
{
    return ed_queue_get(arg, -1);
}

static void test_shutdown_wakes_workers(void **state)
{
    (void)state;
    ed_queue *q = ed_queue_new(NULL);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, wait_forever, q);
    usleep(50 * 1000);
    ed_queue_shutdown(q);
    for (int i = 0; i < 3; i++) {
        void *ret = (void *)1;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    ed_queue_add(q, "ignored");
    assert_int_equal(ed_queue_len(q), 0);
    ed_queue_free(q);
}

#define KEYS    20
#define WORKERS 6

struct stress {
    ed_queue *q;
    atomic_int in_flight[KEYS];
    atomic_int overlaps;
    atomic_int processed;
};

static void *stress_worker(void *arg)
{
    struct stress *s = arg;
    for (;;) {
        char *k = ed_queue_get(s->q, -1);
        if (!k)
            return NULL;
        int i = (int)strtol(k + 1, NULL, 10);
        if (atomic_fetch_add(&s->in_flight[i], 1) != 0)
            atomic_fetch_add(&s->overlaps, 1);
        usleep(200);
        atomic_fetch_sub(&s->in_flight[i], 1);
        atomic_fetch_add(&s->processed, 1);
        ed_queue_done(s->q, k);
        free(k);
    }
}

static void test_stress_one_worker_per_key(void **state)
{
    (void)state;
    static struct stress s;
    memset(&s, 0, sizeof(s));
    s.q = ed_queue_new(NULL);
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, stress_worker, &s);
    for (int round = 0; round < 2000; round++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", round % KEYS);
        if (round % 3 == 0)
            ed_queue_add_after(s.q, key, round % 7);
        else
            ed_queue_add(s.q, key);
    }
    /* Let everything drain, then stop. */
    for (int i = 0; i < 200 && (ed_queue_len(s.q) > 0); i++)
        usleep(10 * 1000);
    usleep(100 * 1000);
    ed_queue_shutdown(s.q);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.overlaps), 0);
    assert_true(atomic_load(&s.processed) >= KEYS);
    ed_queue_free(s.q);
}

void test_metrics_render(void **state);
void test_http_server(void **state);
void test_workers_reconcile(void **state);
void test_workers_stop_waits(void **state);
void test_notify_json(void **state);
void test_notify_delivery(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_and_order),
        cmocka_unit_test(test_processing_is_exclusive),
        cmocka_unit_test(test_add_after),
        cmocka_unit_test(test_get_consumes_delayed_add),
        cmocka_unit_test(test_rate_limited),
        cmocka_unit_test(test_shutdown_wakes_workers),
        cmocka_unit_test(test_stress_one_worker_per_key),
        cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_http_server),
        cmocka_unit_test(test_workers_reconcile),
        cmocka_unit_test(test_workers_stop_waits),
        cmocka_unit_test(test_notify_json),
        cmocka_unit_test(test_notify_delivery),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
