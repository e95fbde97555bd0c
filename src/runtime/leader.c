/*
 * Leader election on a Lease (see runtime.h), as client-go's leaderelection package does it:
 * the record is read, judged on the local clock, and written back with optimistic concurrency
 * (the update carries the resourceVersion read, so two candidates cannot both win a round).
 */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ed_leader {
    ed_kube *kube;
    char *ns, *name, *identity;
    int64_t lease_ms, renew_deadline_ms, retry_ms;
    bool keep_on_stop; /* the lease is not released on shutdown: it expires */

    pthread_t thread;
    bool started;
    atomic_bool stop;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool leading, lost;

    /* What this candidate last saw of the record, and when (monotonic), to judge expiry. */
    char *observed_holder, *observed_renew;
    int64_t observed_at_ms;
};

ed_leader *ed_leader_new(ed_kube *kube, const ed_leader_opts *opts)
{
    ed_leader *l = ed_xcalloc(1, sizeof(*l));
    l->kube = kube;
    l->ns = ed_xstrdup(opts->ns);
    l->name = ed_xstrdup(opts->name);
    l->identity = ed_xstrdup(opts->identity);
    l->lease_ms = opts->lease_ms > 0 ? opts->lease_ms : 35000;
    l->renew_deadline_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 30000;
    l->retry_ms = opts->retry_ms > 0 ? opts->retry_ms : 5000;
    l->keep_on_stop = opts->keep_on_stop;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    return l;
}

/* Kubernetes MicroTime: RFC 3339 with microseconds, UTC. */
static void micro_time(char out[48])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char base[32];
    ed_time_rfc3339(ts.tv_sec, base);
    base[19] = '\0'; /* drop the 'Z' */
    snprintf(out, 48, "%.19s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

static void set_leading(ed_leader *l, bool leading)
{
    pthread_mutex_lock(&l->lock);
    if (l->leading && !leading)
        l->lost = true;
    l->leading = leading;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* One round: take or renew the lease. Returns 0 when this candidate holds it afterwards,
 * ED_ECONFLICT when another holder's lease is still valid or a write race was lost. */
static int try_acquire_or_renew(ed_leader *l, ed_err *err)
{
    char now[48];
    micro_time(now);
    ed_doc *cur = NULL;
    int rc = ed_kube_get(l->kube, "coordination.k8s.io/v1", "Lease", l->ns, l->name, &cur, err);
    int64_t lease_s = (l->lease_ms + 999) / 1000;
    if (rc == ED_ENOTFOUND) {
        ed_doc *d = ed_doc_new();
        ed_node *o = ed_node_new_map(d);
        ed_doc_set_root(d, o);
        ed_node_set(d, o, "apiVersion", ed_node_new_str(d, "coordination.k8s.io/v1"));
        ed_node_set(d, o, "kind", ed_node_new_str(d, "Lease"));
        ed_node *meta = ed_node_ensure_map(d, o, "/metadata");
        ed_node_set(d, meta, "name", ed_node_new_str(d, l->name));
        ed_node_set(d, meta, "namespace", ed_node_new_str(d, l->ns));
        ed_node *spec = ed_node_ensure_map(d, o, "/spec");
        ed_node_set(d, spec, "holderIdentity", ed_node_new_str(d, l->identity));
        ed_node_set(d, spec, "leaseDurationSeconds", ed_node_new_int(d, lease_s));
        ed_node_set(d, spec, "acquireTime", ed_node_new_str(d, now));
        ed_node_set(d, spec, "renewTime", ed_node_new_str(d, now));
        ed_node_set(d, spec, "leaseTransitions", ed_node_new_int(d, 0));
        rc = ed_kube_create(l->kube, o, NULL, NULL, err);
        ed_doc_free(d);
        return rc == ED_EEXISTS ? ED_ECONFLICT : rc;
    }
    if (rc)
        return rc;

    ed_node *o = ed_doc_root(cur);
    ed_node *spec = ed_node_ensure_map(cur, o, "/spec");
    const char *holder = ed_node_str(ed_node_get(spec, "holderIdentity"));
    const char *renew = ed_node_str(ed_node_get(spec, "renewTime"));
    int64_t mono = ed_time_mono_ms();
    if (!same(holder, l->observed_holder) || !same(renew, l->observed_renew) ||
        l->observed_at_ms == 0) {
        free(l->observed_holder);
        free(l->observed_renew);
        l->observed_holder = holder ? ed_xstrdup(holder) : NULL;
        l->observed_renew = renew ? ed_xstrdup(renew) : NULL;
        l->observed_at_ms = mono;
    }
    bool mine = same(holder, l->identity);
    int64_t held_s = lease_s;
    ed_node_int(ed_node_get(spec, "leaseDurationSeconds"), &held_s);
    if (!mine && holder && *holder && l->observed_at_ms + held_s * 1000 > mono) {
        rc = ed_err_set(err, ED_ECONFLICT, "lease %s/%s is held by %s", l->ns, l->name, holder);
        ed_doc_free(cur); /* holder points into it */
        return rc;
    }
    if (!mine) {
        int64_t transitions = 0;
        ed_node_int(ed_node_get(spec, "leaseTransitions"), &transitions);
        ed_node_set(cur, spec, "holderIdentity", ed_node_new_str(cur, l->identity));
        ed_node_set(cur, spec, "acquireTime", ed_node_new_str(cur, now));
        ed_node_set(cur, spec, "leaseTransitions", ed_node_new_int(cur, transitions + 1));
    }
    ed_node_set(cur, spec, "leaseDurationSeconds", ed_node_new_int(cur, lease_s));
    ed_node_set(cur, spec, "renewTime", ed_node_new_str(cur, now));
    /* The update carries the resourceVersion just read: a concurrent writer makes it fail. */
    rc = ed_kube_update(l->kube, o, NULL, NULL, err);
    ed_doc_free(cur);
    return rc;
}

/* Give the lease up: an empty holder lets the next candidate take it at once. */
static void release(ed_leader *l)
{
    ed_err err = ED_ERR_INIT;
    ed_doc *cur = NULL;
    if (ed_kube_get(l->kube, "coordination.k8s.io/v1", "Lease", l->ns, l->name, &cur, &err))
        return;
    ed_node *spec = ed_node_ensure_map(cur, ed_doc_root(cur), "/spec");
    if (same(ed_node_str(ed_node_get(spec, "holderIdentity")), l->identity)) {
        char now[48];
        micro_time(now);
        ed_node_set(cur, spec, "holderIdentity", ed_node_new_str(cur, ""));
        ed_node_set(cur, spec, "leaseDurationSeconds", ed_node_new_int(cur, 1));
        ed_node_set(cur, spec, "renewTime", ed_node_new_str(cur, now));
        if (ed_kube_update(l->kube, ed_doc_root(cur), NULL, NULL, &err) != 0)
            ed_log(ED_LOG_ERROR, "releasing the leader lease failed", "lease", l->name, "error",
                   err.msg, NULL);
    }
    ed_doc_free(cur);
}

static void nap(ed_leader *l, int64_t ms)
{
    for (int64_t slept = 0; slept < ms && !atomic_load(&l->stop); slept += 50)
        usleep(50 * 1000);
}

static void *campaign(void *arg)
{
    ed_leader *l = arg;
    /* Acquire. */
    while (!atomic_load(&l->stop)) {
        ed_err err = ED_ERR_INIT;
        if (try_acquire_or_renew(l, &err) == 0) {
            ed_log(ED_LOG_INFO, "acquired the leader lease", "lease", l->name, "candidate",
                   l->identity, NULL);
            set_leading(l, true);
            break;
        }
        nap(l, l->retry_ms);
    }
    /* Renew until stopped, or until renewing fails for longer than the deadline. */
    int64_t last_renew = ed_time_mono_ms();
    while (!atomic_load(&l->stop)) {
        nap(l, l->retry_ms);
        if (atomic_load(&l->stop))
            break;
        ed_err err = ED_ERR_INIT;
        if (try_acquire_or_renew(l, &err) == 0) {
            last_renew = ed_time_mono_ms();
        } else if (ed_time_mono_ms() - last_renew > l->renew_deadline_ms) {
            ed_log(ED_LOG_ERROR, "lost the leader lease", "lease", l->name, "error", err.msg, NULL);
            set_leading(l, false);
            return NULL;
        }
    }
    if (ed_leader_is_leader(l) && !l->keep_on_stop)
        release(l);
    return NULL;
}

int ed_leader_start(ed_leader *l, ed_err *err)
{
    ED_ASSERT(!l->started);
    if (pthread_create(&l->thread, NULL, campaign, l) != 0)
        return ed_err_set(err, ED_ERROR, "cannot start leader election");
    l->started = true;
    return 0;
}

bool ed_leader_wait(ed_leader *l, int64_t timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? ed_time_mono_ms() + timeout_ms : -1;
    pthread_mutex_lock(&l->lock);
    while (!l->leading && !atomic_load(&l->stop) && !l->lost &&
           (deadline < 0 || ed_time_mono_ms() < deadline)) {
        pthread_mutex_unlock(&l->lock);
        usleep(20 * 1000);
        pthread_mutex_lock(&l->lock);
    }
    bool leading = l->leading;
    pthread_mutex_unlock(&l->lock);
    return leading;
}

bool ed_leader_is_leader(ed_leader *l)
{
    pthread_mutex_lock(&l->lock);
    bool leading = l->leading;
    pthread_mutex_unlock(&l->lock);
    return leading;
}

bool ed_leader_lost(ed_leader *l)
{
    pthread_mutex_lock(&l->lock);
    bool lost = l->lost;
    pthread_mutex_unlock(&l->lock);
    return lost;
}

void ed_leader_free(ed_leader *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    if (l->started)
        pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->observed_holder);
    free(l->observed_renew);
    free(l);
}
