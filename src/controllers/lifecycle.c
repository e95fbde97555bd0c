/*
 * The start every reconciler shares (Flux's order): read the object (left alone when it is
 * another shard's: --watch-label-selector), finalize it when it is being deleted, make sure it
 * carries the finalizer, and leave it alone while suspended (the image kinds record a requested
 * reconcile as handled even then, as Flux's image-reflector-controller does).
 */
#include "controllers.h"

#include <string.h>

bool ed_ctrl_in_shard(const ed_label_selector *shard, const char *controller, const ed_node *obj)
{
    if (!shard || ed_label_selector_matches(shard, ed_node_path(obj, "/metadata/labels")))
        return true;
    ed_log(ED_LOG_DEBUG, "left alone: another shard's (--watch-label-selector)", "controller",
           controller, "name", ed_node_path_str(obj, "/metadata/name"), "namespace",
           ed_node_path_str(obj, "/metadata/namespace"), NULL);
    return false;
}

ed_ctrl_step ed_ctrl_begin(const ed_ctrl_kind *k, const char *ns, const char *name, ed_doc **objdoc,
                           int *rc, ed_err *err)
{
    *objdoc = NULL;
    *rc = ed_kube_get(k->kube, k->api_version, k->kind, ns, name, objdoc, err);
    if (*rc) {
        if (*rc == ED_ENOTFOUND)
            *rc = 0; /* gone: nothing to do */
        return ED_CTRL_STOP;
    }
    ed_node *obj = ed_doc_root(*objdoc);
    if (!ed_ctrl_in_shard(k->shard, k->controller, obj))
        return ED_CTRL_STOP; /* *rc 0: as if gone */

    if (ed_node_path(obj, "/metadata/deletionTimestamp")) {
        ed_ctrl_record_metrics(k->metrics, k->kind, obj, NULL, true);
        if (k->finalize)
            *rc = k->finalize(obj, k->user, err);
        if (!*rc && ed_ctrl_has_finalizer(obj)) {
            *rc = ed_ctrl_set_finalizer(k->kube, k->api_version, k->kind, obj, false, err);
            if (*rc == ED_ENOTFOUND)
                *rc = 0;
        }
        if (*rc)
            ed_log(ED_LOG_ERROR, "finalizing failed", "controller", k->controller, "name", name,
                   "namespace", ns, "error", err->msg, NULL);
        return ED_CTRL_STOP;
    }
    if (!ed_ctrl_has_finalizer(obj)) {
        /* A conflict: the change that caused it queues the object again. */
        if ((*rc = ed_ctrl_set_finalizer(k->kube, k->api_version, k->kind, obj, true, err)) != 0)
            return ED_CTRL_STOP;
        /* The write changes no generation, so no event queues the object again: go on with
         * the object as it is now. */
        ed_doc_free(*objdoc);
        *objdoc = NULL;
        if ((*rc = ed_kube_get(k->kube, k->api_version, k->kind, ns, name, objdoc, err)) != 0) {
            if (*rc == ED_ENOTFOUND)
                *rc = 0;
            return ED_CTRL_STOP;
        }
        obj = ed_doc_root(*objdoc);
        if (!ed_ctrl_in_shard(k->shard, k->controller, obj))
            return ED_CTRL_STOP; /* relabeled meanwhile */
    }
    bool suspended = false;
    ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
    if (suspended) {
        ed_ctrl_record_metrics(k->metrics, k->kind, obj,
                               ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready"),
                               false);
        ed_log(ED_LOG_INFO,
               k->suspended_msg ? k->suspended_msg : "Reconciliation is suspended for this object",
               "controller", k->controller, "name", name, "namespace", ns, NULL);
        if (k->suspended_handled_by) {
            /* lastHandledReconcileAt, and observedGeneration when Ready or Stalled (Flux's
             * patch options): the write is skipped when neither changes. */
            ed_status_patch sp;
            ed_status_begin(&sp, obj);
            if (k->suspended_generation_only)
                ed_node_remove(sp.status, "lastHandledReconcileAt");
            const ed_node *conds = ed_node_path(obj, "/status/conditions");
            const char *ready = ed_cond_status(conds, "Ready");
            const char *stalled = ed_cond_status(conds, "Stalled");
            if ((ready && strcmp(ready, "True") == 0) || (stalled && strcmp(stalled, "True") == 0))
                ed_node_set(sp.doc, sp.status, "observedGeneration",
                            ed_node_new_int(sp.doc, sp.generation));
            *rc = ed_status_commit(&sp, k->kube, k->api_version, k->kind, obj,
                                   k->suspended_handled_by, k->controller);
        }
        return ED_CTRL_STOP;
    }
    return ED_CTRL_GO;
}
