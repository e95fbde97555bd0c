/*
 * The worker pool and signal handling. Workers take keys from the work queue; a key is never
 * reconciled by two workers at once (the queue guarantees it). A success forgets the key's
 * failures and requeues it after the interval it asked for; a failure requeues it after its
 * exponential backoff. Stopping shuts the queue and waits for in-flight reconciles up to a
 * deadline: a SIGTERM lets work finish, as controller-runtime's graceful shutdown does.
 */
#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ed_workers {
    ed_queue *q;
    ed_reconcile_fn fn;
    void *user;
    int n;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int running; /* threads that have not exited yet */
};

static void *work(void *arg)
{
    ed_workers *w = arg;
    for (;;) {
        char *key = ed_queue_get(w->q, -1);
        if (!key)
            break;
        int64_t requeue = 0;
        int rc = w->fn(key, &requeue, w->user);
        if (rc == 0) {
            ed_queue_forget(w->q, key);
            if (requeue > 0)
                ed_queue_add_after(w->q, key, requeue);
        } else {
            ed_queue_add_rate_limited(w->q, key);
        }
        ed_queue_done(w->q, key);
        free(key);
    }
    pthread_mutex_lock(&w->lock);
    w->running--;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

ed_workers *ed_workers_start(ed_queue *q, int n, ed_reconcile_fn fn, void *user)
{
    ed_workers *w = ed_xcalloc(1, sizeof(*w));
    w->q = q;
    w->fn = fn;
    w->user = user;
    w->n = n > 0 ? n : 1;
    w->threads = ed_xcalloc((size_t)w->n, sizeof(*w->threads));
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    for (int i = 0; i < w->n; i++) {
        if (pthread_create(&w->threads[i], NULL, work, w) != 0) {
            /* Defensive: fewer workers still work; none at all would hang, so abort. */
            ED_ASSERT(i > 0);
            w->n = i;
            break;
        }
        w->running++;
    }
    return w;
}

bool ed_workers_stop(ed_workers *w, int64_t deadline_ms)
{
    ed_queue_shutdown(w->q);
    int64_t deadline = deadline_ms >= 0 ? ed_time_mono_ms() + deadline_ms : -1;
    pthread_mutex_lock(&w->lock);
    while (w->running > 0 && (deadline < 0 || ed_time_mono_ms() < deadline)) {
        pthread_mutex_unlock(&w->lock);
        usleep(10 * 1000);
        pthread_mutex_lock(&w->lock);
    }
    bool all = w->running == 0;
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n; i++) {
        if (all)
            pthread_join(w->threads[i], NULL);
        else
            pthread_detach(w->threads[i]);
    }
    if (all) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w->threads);
        free(w);
    }
    /* Threads still running keep using w: it is left to the exiting process. */
    return all;
}

const char *ed_key_split(const char *key, char *ns, size_t cap)
{
    const char *slash = strchr(key, '/');
    snprintf(ns, cap, "%.*s", slash ? (int)(slash - key) : 0, key);
    return slash ? slash + 1 : key;
}

static sigset_t stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

void ed_signals_block(void)
{
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* A peer closing a connection must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
}

int ed_signals_wait(int64_t timeout_ms)
{
    sigset_t set = stop_signals();
    int64_t deadline = timeout_ms >= 0 ? ed_time_mono_ms() + timeout_ms : -1;
    for (;;) {
        int64_t left = deadline >= 0 ? deadline - ed_time_mono_ms() : 1000;
        if (left <= 0)
            return 0;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0)
            return sig;
        if (errno != EAGAIN && errno != EINTR)
            return 0;
    }
}
