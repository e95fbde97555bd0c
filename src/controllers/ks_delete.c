/*
 * What happens to a Kustomization's objects when the Kustomization is deleted
 * (spec.deletionPolicy, kustomize-controller's finalize):
 *
 *   MirrorPrune (default)  delete the inventory's objects when spec.prune is true, else orphan;
 *   Delete                 delete them whatever spec.prune says;
 *   WaitForTermination     delete them and wait until they are gone (finalizers done), at most
 *                          spec.timeout; past it the Kustomization is let go all the same,
 *                          with an error logged;
 *   Orphan                 leave them.
 *
 * Deletion goes through the apply module's prune, so its safety rules hold: only objects that
 * still carry this Kustomization's owner labels and do not opt out are deleted.
 */
#include "ks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Split an inventory id and its version into where it lives. */
static bool id_target(const ed_apply_entry *e, char av[400], char kind[256], char ns[256],
                      char name[256])
{
    ed_apply_id_parts id;
    if (!ed_apply_id_parse(e->id, &id))
        return false;
    ed_apply_id_api_version(&id, e->version, av, 400);
    memcpy(kind, id.kind, sizeof(id.kind));
    memcpy(ns, id.ns, sizeof(id.ns));
    memcpy(name, id.name, sizeof(id.name));
    return true;
}

/* Wait until every object of gone no longer exists, for at most timeout_ms. */
static int wait_terminated(ed_kube *kube, const ed_apply_result *gone, int64_t timeout_ms,
                           ed_err *err)
{
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        const char *left = NULL;
        for (size_t i = 0; gone && i < gone->n && !left; i++) {
            char av[400], kind[256], ns[256], name[256];
            if (!id_target(&gone->entries[i], av, kind, ns, name))
                continue;
            ed_doc *live = NULL;
            ed_err gerr = ED_ERR_INIT;
            if (ed_kube_get(kube, av, kind, ns, name, &live, &gerr) != ED_ENOTFOUND)
                left = gone->entries[i].subject;
            ed_doc_free(live);
        }
        if (!left)
            return 0;
        if (ed_time_mono_ms() >= deadline)
            return ed_err_set(err, ED_ETIMEOUT,
                              "failed to wait for objects termination: %s is still there", left);
        usleep(500 * 1000);
    }
}

int ed_ks_finalize(ed_kube *kube, const ed_node *obj, const ed_apply_result *inventory,
                   int64_t timeout_ms, ed_err *err)
{
    const char *policy = ed_node_path_str(obj, "/spec/deletionPolicy");
    bool prune = false;
    ed_node_bool(ed_node_path(obj, "/spec/prune"), &prune);
    if (!policy || !*policy)
        policy = "MirrorPrune";
    bool wait = strcmp(policy, "WaitForTermination") == 0;
    bool delete_objects =
        strcmp(policy, "Delete") == 0 || wait || (strcmp(policy, "MirrorPrune") == 0 && prune);
    if (!delete_objects)
        return 0; /* Orphan, or MirrorPrune without prune */
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    ed_apply_result *gone = NULL;
    int rc = ed_apply_prune(kube, inventory->entries, inventory->n, NULL, name, ns, &gone, err);
    if (!rc && wait) {
        rc = wait_terminated(kube, gone, timeout_ms, err);
        if (rc) {
            /* Flux lets the Kustomization go all the same: say so, do not block forever. */
            ed_log(ED_LOG_ERROR, "deletion policy WaitForTermination timed out", "controller",
                   "kustomization", "name", name, "namespace", ns, "error", err->msg, NULL);
            rc = 0;
        }
    }
    ed_apply_result_free(gone);
    return rc;
}
