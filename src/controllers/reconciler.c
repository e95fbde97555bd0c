/*
 * The shape every reconciler shares besides its start (lifecycle.c): its registration with
 * Flux's predicates, the watches of other kinds that queue it, its requeue interval, and its
 * end (the log line, its Events and those of Flux's notify).
 */
#include "controllers.h"

#include <stdlib.h>
#include <string.h>

ed_queue *ed_ctrl_register(ed_manager *m, ed_ctrl_kind *k, int workers, ed_reconcile_fn reconcile)
{
    k->shard = ed_manager_shard(m);
    ed_controller_def def = {.name = k->controller,
                             .api_version = k->api_version,
                             .kind = k->kind,
                             .workers = workers,
                             .reconcile = reconcile,
                             .user = k->user,
                             .generation_changed_only = true};
    ed_manager_add(m, &def);
    return ed_manager_queue(m, k->controller);
}

void ed_ctrl_queue_matching(ed_informer *cache, ed_queue *queue, const char *only_ns,
                            ed_ctrl_match_fn match, void *user)
{
    size_t n = 0;
    char **keys = ed_informer_keys(cache, &n);
    for (size_t i = 0; i < n; i++) {
        char ns[256];
        const char *name = ed_key_split(keys[i], ns, sizeof(ns));
        if (only_ns && strcmp(ns, only_ns) != 0) {
            free(keys[i]);
            continue;
        }
        /* Without a filter the object need not be read. */
        ed_doc *doc = match ? ed_informer_get(cache, ns, name) : NULL;
        /* A NULL doc with a filter: deleted since the keys were listed. */
        if (!match || (doc && match(keys[i], ns, ed_doc_root(doc), user)))
            ed_queue_add(queue, keys[i]);
        ed_doc_free(doc);
        free(keys[i]);
    }
    free(keys);
}

int64_t ed_ctrl_interval(const ed_node *obj, int64_t fallback)
{
    int64_t interval = 0;
    const char *iv = ed_node_path_str(obj, "/spec/interval");
    if (!iv || ed_duration_parse(iv, &interval, NULL) != 0 || interval <= 0)
        return fallback;
    return interval;
}

void ed_ctrl_log_result(const char *controller, const ed_node *obj, bool ok, bool stalled,
                        const char *message)
{
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    if (ok)
        ed_log(ED_LOG_INFO, message, "controller", controller, "name", name, "namespace", ns, NULL);
    else
        ed_log(ED_LOG_ERROR, stalled ? "reconciliation stalled" : "Reconciler error", "controller",
               controller, "name", name, "namespace", ns, "error", message, NULL);
}

void ed_ctrl_record_event_as(ed_kube *kube, const ed_node *obj, const char *reporter,
                             const char *controller, const char *type, const char *reason,
                             const char *note, const char *const *annotations)
{
    ed_kube_event ev = ED_KUBE_EVENT_INIT;
    ev.regarding = obj;
    ev.type = type;
    ev.reason = reason;
    ev.note = note;
    ev.action = "Reconcile";
    ev.reporting_controller = reporter;
    ev.annotations = annotations;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_event_post(kube, &ev, controller, &err))
        ed_log(ED_LOG_ERROR, "recording an event failed", "controller", controller, "error",
               err.msg, NULL);
}

void ed_ctrl_record_event(ed_kube *kube, const ed_node *obj, const char *controller,
                          const char *type, const char *reason, const char *note,
                          const char *const *annotations)
{
    ed_ctrl_record_event_as(kube, obj, controller, controller, type, reason, note, annotations);
}

void ed_ctrl_event_log(ed_kube *kube, const ed_node *obj, const char *reporter, const char *type,
                       const char *reason, const char *message, const char *const *annotations)
{
    ed_ctrl_record_event(kube, obj, reporter, type, reason, message, annotations);
    /* Flux's eventLogf: the reason travels as the error of a Warning's line. */
    if (strcmp(type, "Warning") == 0)
        ed_log(ED_LOG_ERROR, message, "error", reason, NULL);
    else
        ed_log(ED_LOG_INFO, message, NULL);
}

void ed_ctrl_notify(ed_kube *kube, const ed_node *obj, const char *reporter, bool ok,
                    const char *reason, const char *message, const char *trace,
                    const char *const *annotations)
{
    if (!ok) {
        ed_ctrl_event_log(kube, obj, reporter, "Warning", reason, message, NULL);
        return;
    }
    const ed_node *conds = ed_node_path(obj, "/status/conditions");
    const char *was = ed_cond_status(conds, "Ready"), *was_msg = ed_cond_message(conds, "Ready");
    bool was_ok = was && strcmp(was, "True") == 0;
    if (!was_ok || !was_msg || strcmp(was_msg, message) != 0)
        ed_ctrl_event_log(kube, obj, reporter, "Normal", "Succeeded", message, annotations);
    else if (trace)
        ed_ctrl_event_log(kube, obj, reporter, "Normal", "Succeeded", trace, NULL);
}
