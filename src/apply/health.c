/*
 * Health by kstatus rules (sigs.k8s.io/cli-utils kstatus, as Flux's health checks use them):
 * Current, InProgress or Failed for one live object, and a poller that waits for a set of
 * objects to become Current, failing fast on Failed.
 */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t int_at(const ed_node *obj, const char *path, int64_t dflt)
{
    int64_t v;
    return ed_node_int(ed_node_path(obj, path), &v) ? v : dflt;
}

/* The status ("True"/"False"/"Unknown") and reason of condition type, or NULL. */
static const char *condition(const ed_node *obj, const char *type, const char **reason)
{
    const ed_node *conds = ed_node_path(obj, "/status/conditions");
    for (size_t i = 0; i < ed_node_len(conds); i++) {
        const ed_node *c = ed_node_at(conds, i);
        const char *t = ed_node_str(ed_node_get(c, "type"));
        if (t && strcmp(t, type) == 0) {
            if (reason)
                *reason = ed_node_str(ed_node_get(c, "reason"));
            return ed_node_str(ed_node_get(c, "status"));
        }
    }
    return NULL;
}

static bool is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

const char *ed_apply_status(const ed_node *obj, const char **why)
{
    static const char *const current = "Current", *const progress = "InProgress",
                             *const failed = "Failed";
    const char *kind = ed_node_str(ed_node_get(obj, "kind"));
    *why = "";
    if (ed_node_path(obj, "/metadata/deletionTimestamp")) {
        *why = "being deleted";
        return progress;
    }
    /* A controller that has not seen the newest spec yet: in progress, whatever else. */
    int64_t gen = int_at(obj, "/metadata/generation", 0);
    const ed_node *og = ed_node_path(obj, "/status/observedGeneration");
    int64_t observed;
    if (og && ed_node_int(og, &observed) && observed < gen) {
        *why = "the controller has not observed the newest generation";
        return progress;
    }
    if (!kind)
        kind = "";
    if (strcmp(kind, "Deployment") == 0) {
        const char *reason = NULL;
        if (is(condition(obj, "Progressing", &reason), "False") &&
            is(reason, "ProgressDeadlineExceeded")) {
            *why = "progress deadline exceeded";
            return failed;
        }
        int64_t want = int_at(obj, "/spec/replicas", 1);
        if (int_at(obj, "/status/updatedReplicas", 0) < want ||
            int_at(obj, "/status/availableReplicas", 0) < want ||
            int_at(obj, "/status/readyReplicas", 0) < want ||
            int_at(obj, "/status/replicas", 0) > want) {
            *why = "replicas are not all updated and available";
            return progress;
        }
        if (!og) {
            *why = "no status yet";
            return progress;
        }
        return current;
    }
    if (strcmp(kind, "StatefulSet") == 0) {
        int64_t want = int_at(obj, "/spec/replicas", 1);
        if (!og || int_at(obj, "/status/readyReplicas", 0) < want ||
            int_at(obj, "/status/currentReplicas", 0) < want ||
            int_at(obj, "/status/updatedReplicas", 0) < want) {
            *why = "replicas are not all updated and ready";
            return progress;
        }
        const char *cur = ed_node_path_str(obj, "/status/currentRevision");
        const char *upd = ed_node_path_str(obj, "/status/updateRevision");
        if (cur && upd && strcmp(cur, upd) != 0) {
            *why = "rolling update in progress";
            return progress;
        }
        return current;
    }
    if (strcmp(kind, "DaemonSet") == 0) {
        int64_t want = int_at(obj, "/status/desiredNumberScheduled", -1);
        if (!og || want < 0 || int_at(obj, "/status/updatedNumberScheduled", 0) < want ||
            int_at(obj, "/status/numberAvailable", 0) < want ||
            int_at(obj, "/status/numberReady", 0) < want) {
            *why = "pods are not all updated and available";
            return progress;
        }
        return current;
    }
    if (strcmp(kind, "Job") == 0) {
        if (is(condition(obj, "Failed", NULL), "True")) {
            *why = "the job failed";
            return failed;
        }
        if (is(condition(obj, "Complete", NULL), "True"))
            return current;
        *why = "the job has not completed";
        return progress;
    }
    if (strcmp(kind, "CustomResourceDefinition") == 0) {
        if (is(condition(obj, "Established", NULL), "True"))
            return current;
        *why = "not established";
        return progress;
    }
    if (strcmp(kind, "Namespace") == 0) {
        if (is(ed_node_path_str(obj, "/status/phase"), "Active"))
            return current;
        *why = "not active";
        return progress;
    }
    if (strcmp(kind, "PersistentVolumeClaim") == 0) {
        if (is(ed_node_path_str(obj, "/status/phase"), "Bound"))
            return current;
        *why = "not bound";
        return progress;
    }
    if (strcmp(kind, "Pod") == 0) {
        const char *phase = ed_node_path_str(obj, "/status/phase");
        if (is(phase, "Succeeded") ||
            (is(phase, "Running") && is(condition(obj, "Ready", NULL), "True")))
            return current;
        if (is(phase, "Failed")) {
            *why = "the pod failed";
            return failed;
        }
        *why = "the pod is not ready";
        return progress;
    }
    /* Everything else: the generic conditions, as Flux's own kinds report them. */
    if (is(condition(obj, "Stalled", NULL), "True")) {
        *why = "stalled";
        return failed;
    }
    if (is(condition(obj, "Reconciling", NULL), "True")) {
        *why = "reconciling";
        return progress;
    }
    const char *ready = condition(obj, "Ready", NULL);
    if (ready && !is(ready, "True")) {
        *why = "not ready";
        return progress;
    }
    return current;
}

int ed_apply_wait_healthy(ed_kube *kube, const ed_apply_result *entries, int64_t timeout_ms,
                          int64_t poll_ms, bool missing_fails, ed_err *err)
{
    return ed_apply_wait_healthy_with(kube, entries, timeout_ms, poll_ms, missing_fails, NULL, NULL,
                                      err);
}

int ed_apply_wait_healthy_with(ed_kube *kube, const ed_apply_result *entries, int64_t timeout_ms,
                               int64_t poll_ms, bool missing_fails, ed_apply_status_fn fn,
                               void *user, ed_err *err)
{
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        ed_buf pending = ED_BUF_INIT(64 * 1024), failed = ED_BUF_INIT(64 * 1024);
        for (size_t i = 0; i < entries->n; i++) {
            const ed_apply_entry *e = &entries->entries[i];
            if (e->action == ED_APPLY_SKIPPED || e->action == ED_APPLY_DELETED)
                continue;
            ed_apply_id_parts id;
            char av[400];
            if (!ed_apply_id_parse(e->id, &id))
                continue;
            ed_apply_id_api_version(&id, e->version, av, sizeof(av));
            const char *kind = id.kind, *ns = id.ns, *name = id.name;
            ed_doc *live = NULL;
            ed_err gerr = ED_ERR_INIT;
            const char *status = NULL, *why = "";
            char said[ED_ERR_MSG_MAX] = ""; /* fn's reason for "Unknown" */
            int rc = ed_kube_get(kube, av, kind, ns, name, &live, &gerr);
            if (rc == ED_ENOTFOUND && e->gone_ok) {
                status = "Current"; /* finished, and deleted by its TTL */
            } else if (rc == ED_ENOTFOUND) {
                status = "NotFound";
            } else if (rc) {
                status = "Unknown";
                why = gerr.msg;
            } else {
                if (fn)
                    status = fn(ed_doc_root(live), user, said, sizeof(said));
                if (!status)
                    status = ed_apply_status(ed_doc_root(live), &why);
            }
            /* Deleted while we wait, when the objects were just applied: waiting cannot bring
             * it back, and the deletion queues a reconcile that will. */
            if (missing_fails && strcmp(status, "NotFound") == 0) {
                int code = ed_err_set(err, ED_ERROR, "%s status: 'NotFound'", e->subject);
                ed_doc_free(live);
                ed_buf_free(&pending);
                ed_buf_free(&failed);
                return code;
            }
            /* Failed is final (Flux's fail-fast); an object not found may still come. */
            if (strcmp(status, "Failed") == 0)
                ed_buf_printf(&failed, "%s%s status: '%s'", failed.len ? ", " : "", e->subject,
                              status);
            else if (strcmp(status, "Current") != 0)
                ed_buf_printf(&pending, "%s%s status: '%s'%s%s", pending.len ? ", " : "",
                              e->subject, status, said[0] ? ": " : "", said);
            ed_doc_free(live);
        }
        if (failed.len) {
            int code = ed_err_set(err, ED_ERROR, "failed early due to stalled resources: [%s]",
                                  failed.data);
            ed_buf_free(&pending);
            ed_buf_free(&failed);
            return code;
        }
        ed_buf_free(&failed);
        if (pending.len == 0) {
            ed_buf_free(&pending);
            return 0;
        }
        if (ed_time_mono_ms() >= deadline) {
            int code = ed_err_set(err, ED_ETIMEOUT, "timeout waiting for: [%s]", pending.data);
            ed_buf_free(&pending);
            return code;
        }
        ed_buf_free(&pending);
        int64_t left = deadline - ed_time_mono_ms();
        usleep((useconds_t)((poll_ms < left ? poll_ms : left) * 1000));
    }
}
