/*
 * What happens to a Kustomization's objects when the Kustomization is deleted
 * (spec.deletionPolicy, kustomize-controller's finalize):
 *
 *   MirrorPrune (default)  delete the inventory's objects when spec.prune is true, else orphan;
 *   Delete                 delete them whatever spec.prune says;
 *   WaitForTermination     delete them and wait until they are gone (finalizers done), at most
 *                          spec.timeout; past it the Kustomization is let go all the same,
 *                          with an error logged and a Warning Event;
 *   Orphan                 leave them.
 *
 * A suspended Kustomization, or one with an empty inventory, leaves everything. When the
 * service account to impersonate is gone (a namespace being deleted takes it along), nothing
 * can be deleted in its name: the objects are named in a Warning Event and left, and the
 * Kustomization goes all the same (kustomize-controller's rule; otherwise the finalizer would
 * hold the namespace in Terminating for ever).
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

/* Wait until every object gone lists as deleted no longer exists, for at most timeout_ms. */
static int wait_terminated(ed_kube *kube, const ed_apply_result *gone, int64_t timeout_ms,
                           ed_err *err)
{
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        const char *left = NULL;
        for (size_t i = 0; gone && i < gone->n && !left; i++) {
            char av[400], kind[256], ns[256], name[256];
            if (gone->entries[i].action != ED_APPLY_DELETED || /* skipped: it stays */
                !id_target(&gone->entries[i], av, kind, ns, name))
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

bool ed_ks_deletes_objects(const ed_node *obj, const ed_apply_result *inventory)
{
    bool prune = false, suspended = false;
    ed_node_bool(ed_node_path(obj, "/spec/prune"), &prune);
    ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
    if (suspended || !inventory || inventory->n == 0)
        return false;
    const char *policy = ed_node_path_str(obj, "/spec/deletionPolicy");
    if (!policy || !*policy || strcmp(policy, "MirrorPrune") == 0)
        return prune;
    return strcmp(policy, "Delete") == 0 || strcmp(policy, "WaitForTermination") == 0;
}

int ed_ks_finalize(ed_kube *kube, const ed_node *obj, const ed_apply_result *inventory,
                   ed_apply_result **gone, ed_err *err)
{
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    return ed_apply_prune(kube, inventory->entries, inventory->n, NULL, name, ns, gone, err);
}

int ed_ks_wait_terminated(ed_kube *kube, const ed_node *obj, const ed_apply_result *gone,
                          int64_t timeout_ms, ed_err *err)
{
    const char *policy = ed_node_path_str(obj, "/spec/deletionPolicy");
    if (!policy || strcmp(policy, "WaitForTermination") != 0)
        return 0;
    return wait_terminated(kube, gone, timeout_ms, err);
}
