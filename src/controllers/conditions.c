/*
 * Status (one patch per reconcile), conditions and finalizers as Flux writes them. Conditions:
 * (metav1.Condition: type, status, observedGeneration, lastTransitionTime, reason, message), as
 * fluxcd/pkg's conditions.Set: lastTransitionTime moves when the status, reason or message
 * changes, and the list is kept in Flux's order (Stalled, Reconciling, Ready, then the others
 * by observedGeneration, newest first, then by type) for kubectl's convenience.
 */
#include "controllers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ed_node *find(const ed_node *conditions, const char *type, size_t *index)
{
    for (size_t i = 0; i < ed_node_len(conditions); i++) {
        ed_node *c = ed_node_at(conditions, i);
        const char *t = ed_node_str(ed_node_get(c, "type"));
        if (t && strcmp(t, type) == 0) {
            if (index)
                *index = i;
            return c;
        }
    }
    return NULL;
}

const char *ed_cond_status(const ed_node *conditions, const char *type)
{
    return ed_node_str(ed_node_get(find(conditions, type, NULL), "status"));
}

const char *ed_cond_reason(const ed_node *conditions, const char *type)
{
    return ed_node_str(ed_node_get(find(conditions, type, NULL), "reason"));
}

const char *ed_cond_message(const ed_node *conditions, const char *type)
{
    return ed_node_str(ed_node_get(find(conditions, type, NULL), "message"));
}

static bool same_str(const ed_node *c, const char *key, const char *value)
{
    const char *old = ed_node_str(ed_node_get(c, key));
    return old && strcmp(old, value) == 0;
}

/* Flux's order: Stalled, Reconciling, Ready first, then the rest (cond_less). */
static int cond_weight(const char *type)
{
    static const char *const first[] = {"Stalled", "Reconciling", "Ready"};
    for (int i = 0; i < 3; i++)
        if (type && strcmp(type, first[i]) == 0)
            return i;
    return 3;
}

static int cond_less(const void *a, const void *b)
{
    const char *ta = ed_node_str(ed_node_get(*(ed_node *const *)a, "type"));
    const char *tb = ed_node_str(ed_node_get(*(ed_node *const *)b, "type"));
    int wa = cond_weight(ta), wb = cond_weight(tb);
    if (wa != wb)
        return wa < wb ? -1 : 1;
    if (wa < 3)
        return 0;
    /* The others: the newer observedGeneration first (a condition a failure kept from an
     * older generation comes after today's), then by type. */
    int64_t ga = 0, gb = 0;
    ed_node_int(ed_node_get(*(ed_node *const *)a, "observedGeneration"), &ga);
    ed_node_int(ed_node_get(*(ed_node *const *)b, "observedGeneration"), &gb);
    if (ga != gb)
        return ga > gb ? -1 : 1;
    return strcmp(ta ? ta : "", tb ? tb : "");
}

static void sort_conditions(ed_doc *doc, ed_node *conditions)
{
    size_t n = ed_node_len(conditions);
    ed_node **items = ed_xcalloc(n ? n : 1, sizeof(ed_node *));
    for (size_t i = 0; i < n; i++)
        items[i] = ed_node_at(conditions, i);
    qsort(items, n, sizeof(ed_node *), cond_less);
    while (ed_node_len(conditions) > 0)
        ed_node_remove_at(conditions, ed_node_len(conditions) - 1);
    for (size_t i = 0; i < n; i++)
        ed_node_append(doc, conditions, items[i]);
    free(items);
}

void ed_cond_set(ed_doc *doc, ed_node *conditions, const char *type, const char *status,
                 const char *reason, const char *message, int64_t generation)
{
    ed_node *c = find(conditions, type, NULL);
    /* The API limits messages to 32768 bytes. */
    size_t len = strlen(message);
    char *msg = ed_xstrndup(message, len > 32768 ? 32768 : len);
    bool flipped = !c || !same_str(c, "status", status) || !same_str(c, "reason", reason) ||
                   !same_str(c, "message", msg);
    if (!c) {
        c = ed_node_new_map(doc);
        ed_node_append(doc, conditions, c);
    }
    ed_node_set(doc, c, "type", ed_node_new_str(doc, type));
    ed_node_set(doc, c, "status", ed_node_new_str(doc, status));
    ed_node_set(doc, c, "observedGeneration", ed_node_new_int(doc, generation));
    if (flipped || !ed_node_get(c, "lastTransitionTime")) {
        char now[32];
        ed_time_rfc3339(time(NULL), now);
        ed_node_set(doc, c, "lastTransitionTime", ed_node_new_str(doc, now));
    }
    ed_node_set(doc, c, "reason", ed_node_new_str(doc, reason));
    ed_node_set(doc, c, "message", ed_node_new_str(doc, msg));
    free(msg);
    sort_conditions(doc, conditions);
}

void ed_cond_remove(ed_node *conditions, const char *type)
{
    size_t i;
    if (find(conditions, type, &i))
        ed_node_remove_at(conditions, i);
}

bool ed_ctrl_has_finalizer(const ed_node *obj)
{
    ed_node *f = ed_node_path(obj, "/metadata/finalizers");
    for (size_t i = 0; i < ed_node_len(f); i++) {
        const char *s = ed_node_str(ed_node_at(f, i));
        if (s && strcmp(s, ED_FINALIZER) == 0)
            return true;
    }
    return false;
}

/* The merge patch that adds (present) or removes Flux's finalizer on obj, with the
 * resourceVersion read. */
static void finalizer_patch(const ed_node *obj, bool present, ed_buf *body)
{
    ed_doc *d = ed_doc_new();
    ed_node *list = ed_node_new_seq(d);
    ed_node *f = ed_node_path(obj, "/metadata/finalizers");
    for (size_t i = 0; i < ed_node_len(f); i++) {
        const char *s = ed_node_str(ed_node_at(f, i));
        if (s && strcmp(s, ED_FINALIZER) != 0)
            ed_node_append(d, list, ed_node_new_str(d, s));
    }
    if (present)
        ed_node_append(d, list, ed_node_new_str(d, ED_FINALIZER));
    ed_node *patch = ed_node_new_map(d);
    ed_node *meta = ed_node_ensure_map(d, patch, "/metadata");
    ed_node_set(d, meta, "finalizers", list);
    const char *rv = ed_node_path_str(obj, "/metadata/resourceVersion");
    if (rv)
        ed_node_set(d, meta, "resourceVersion", ed_node_new_str(d, rv));
    ed_node_to_json(patch, body);
    ed_doc_free(d);
}

int ed_ctrl_set_finalizer(ed_kube *kube, const char *api_version, const char *kind,
                          const ed_node *obj, bool present, ed_err *err)
{
    ed_buf body = ED_BUF_INIT(65536);
    finalizer_patch(obj, present, &body);
    int rc = ed_kube_patch(kube, api_version, kind, ed_node_path_str(obj, "/metadata/namespace"),
                           ed_node_path_str(obj, "/metadata/name"), ED_KUBE_PATCH_MERGE, body.data,
                           body.len, NULL, NULL, err);
    ed_buf_free(&body);
    return rc;
}

struct ed_ctrl_finalizer_job {
    ed_kube *kube;
    char *api_version, *kind, *ns, *name;
    ed_buf body;
    pthread_t thread;
    bool running; /* the thread was started and not joined yet */
    int rc;
    ed_err err;
    ed_log_scope scope; /* the reconcile's, for what the API client logs */
};

static void *finalizer_send(void *arg)
{
    ed_ctrl_finalizer_job *j = arg;
    ed_log_scope_set(&j->scope);
    j->rc = ed_kube_patch(j->kube, j->api_version, j->kind, j->ns, j->name, ED_KUBE_PATCH_MERGE,
                          j->body.data, j->body.len, NULL, NULL, &j->err);
    return NULL;
}

ed_ctrl_finalizer_job *ed_ctrl_finalizer_add_start(ed_kube *kube, const char *api_version,
                                                   const char *kind, const ed_node *obj)
{
    ed_ctrl_finalizer_job *j = ed_xcalloc(1, sizeof(*j));
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    j->kube = kube;
    j->api_version = ed_xstrdup(api_version);
    j->kind = ed_xstrdup(kind);
    j->ns = ns ? ed_xstrdup(ns) : NULL;
    j->name = ed_xstrdup(name ? name : "");
    j->body.max = 65536; /* (j->err is zeroed: ED_ERR_INIT) */
    finalizer_patch(obj, true, &j->body);
    ed_log_scope_get(&j->scope);
    if (pthread_create(&j->thread, NULL, finalizer_send, j) == 0)
        j->running = true;
    else
        finalizer_send(j); /* no thread: the patch now, in this one */
    return j;
}

int ed_ctrl_finalizer_join(ed_ctrl_finalizer_job *job, ed_err *err)
{
    if (!job)
        return 0;
    if (job->running) {
        pthread_join(job->thread, NULL);
        job->running = false;
    }
    if (job->rc && err)
        ed_err_set(err, job->rc, "adding the finalizer %s: %s", ED_FINALIZER, job->err.msg);
    return job->rc;
}

void ed_ctrl_finalizer_job_free(ed_ctrl_finalizer_job *job)
{
    if (!job)
        return;
    ed_ctrl_finalizer_join(job, NULL);
    free(job->api_version);
    free(job->kind);
    free(job->ns);
    free(job->name);
    ed_buf_free(&job->body);
    free(job);
}

void ed_ctrl_record_metrics(ed_metrics *m, const char *kind, const ed_node *obj,
                            const char *ready_status, bool deleted)
{
    if (!m)
        return;
    static const char *const statuses[] = {"True", "False", "Unknown", "Deleted"};
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    for (size_t i = 0; i < 4; i++) {
        ed_buf labels = ED_BUF_INIT(1024);
        ed_metrics_labels(&labels, "kind", kind, "name", name, "namespace", ns ? ns : "", "status",
                          statuses[i], "type", "Ready", NULL);
        bool on = deleted ? i == 3 : (ready_status && strcmp(ready_status, statuses[i]) == 0);
        ed_metrics_gauge_set(m, "gotk_reconcile_condition", labels.data, on ? 1 : 0);
        ed_buf_free(&labels);
    }
    bool suspended = false;
    ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
    ed_buf labels = ED_BUF_INIT(1024);
    ed_metrics_labels(&labels, "kind", kind, "name", name, "namespace", ns ? ns : "", NULL);
    ed_metrics_gauge_set(m, "gotk_suspend_status", labels.data, suspended && !deleted ? 1 : 0);
    ed_buf_free(&labels);
}

void ed_status_begin(ed_status_patch *sp, const ed_node *obj)
{
    sp->generation = 0;
    sp->always = false;
    sp->written_rv[0] = '\0';
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &sp->generation);
    sp->doc = ed_doc_new();
    ed_node *patch = ed_node_new_map(sp->doc);
    ed_doc_set_root(sp->doc, patch);
    sp->status = ed_node_ensure_map(sp->doc, patch, "/status");
    sp->conditions = ed_node_copy(sp->doc, ed_node_path(obj, "/status/conditions"));
    if (ed_node_kind_of(sp->conditions) != ED_NODE_SEQ)
        sp->conditions = ed_node_new_seq(sp->doc);
    const char *req = ed_node_str(
        ed_node_get(ed_node_path(obj, "/metadata/annotations"), "reconcile.fluxcd.io/requestedAt"));
    if (req)
        ed_node_set(sp->doc, sp->status, "lastHandledReconcileAt", ed_node_new_str(sp->doc, req));
}

void ed_status_progress(const ed_node *obj, char *out, size_t n)
{
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &observed);
    if (gen != observed)
        snprintf(out, n, "processing object: new generation %lld -> %lld", (long long)observed,
                 (long long)gen);
    else
        snprintf(out, n, "reconciliation in progress");
}

void ed_status_failed(ed_status_patch *sp, bool stalled, const char *reason, const char *message,
                      const char *progress)
{
    ed_doc *d = sp->doc;
    ed_cond_set(d, sp->conditions, "Ready", "False", reason, message, sp->generation);
    if (stalled) {
        ed_cond_set(d, sp->conditions, "Stalled", "True", reason, message, sp->generation);
        ed_cond_remove(sp->conditions, "Reconciling");
        ed_node_set(d, sp->status, "observedGeneration", ed_node_new_int(d, sp->generation));
    } else {
        ed_cond_set(d, sp->conditions, "Reconciling", "True", "ProgressingWithRetry",
                    progress ? progress : message, sp->generation);
        ed_cond_remove(sp->conditions, "Stalled");
    }
}

/* True when every field of the patch's status already has that value in obj's status. A null
 * (the merge patch's removal) of a field obj does not have changes nothing either. */
static bool status_unchanged(const ed_node *patch_status, const ed_node *obj)
{
    const ed_node *live = ed_node_path(obj, "/status");
    for (size_t i = 0; i < ed_node_len(patch_status); i++) {
        const ed_node *want = ed_node_value_at(patch_status, i);
        const ed_node *have = ed_node_get(live, ed_node_key_at(patch_status, i));
        if (!have && ed_node_kind_of(want) == ED_NODE_NULL)
            continue;
        if (!have || !ed_node_equal(have, want))
            return false;
    }
    return true;
}

int ed_status_commit(ed_status_patch *sp, ed_kube *kube, const char *api_version, const char *kind,
                     const ed_node *obj, const char *manager, const char *controller)
{
    ed_node_set(sp->doc, sp->status, "conditions", sp->conditions);
    if (!sp->always && status_unchanged(sp->status, obj)) {
        /* A reconcile that changed nothing costs no write. */
        ed_doc_free(sp->doc);
        sp->doc = NULL;
        return 0;
    }
    ed_buf body = ED_BUF_INIT((size_t)16 << 20);
    ed_node_to_json(ed_doc_root(sp->doc), &body);
    ed_kube_opts o = {.subresource = "status", .field_manager = manager};
    ed_err err = ED_ERR_INIT;
    const char *name = ed_node_path_str(obj, "/metadata/name");
    ed_doc *written = NULL;
    int rc = ed_kube_patch(kube, api_version, kind, ed_node_path_str(obj, "/metadata/namespace"),
                           name, ED_KUBE_PATCH_MERGE, body.data, body.len, &o, &written, &err);
    const char *rv =
        written ? ed_node_path_str(ed_doc_root(written), "/metadata/resourceVersion") : NULL;
    if (rc == 0 && rv)
        snprintf(sp->written_rv, sizeof(sp->written_rv), "%s", rv);
    ed_doc_free(written);
    if (rc && rc != ED_ENOTFOUND)
        ed_log(ED_LOG_ERROR, "writing status failed", "controller", controller, "name", name,
               "error", err.msg, NULL);
    ed_buf_free(&body);
    ed_doc_free(sp->doc);
    sp->doc = NULL;
    return rc == ED_ENOTFOUND ? 0 : rc;
}
