/*
 * What the source reconcilers share about their artifacts, as source-controller shares it
 * between its kinds: status.url, "the dynamic fetch link for the latest Artifact"
 * (`<kind>/<ns>/<name>/latest.tar.gz` beside the artifacts, a link moved to each new artifact,
 * as Storage.Symlink does; Flux's v1 OCIRepository has status.url, its v1 GitRepository has
 * not, so only the OCIRepository reconciler asks for one), and the garbage collection of an
 * object's older artifacts at the start of each reconcile.
 */
#include "controllers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ed_ctrl_source_latest_url(ed_artifact_store *store, const ed_node *obj,
                                const ed_node *artifact, const char *controller)
{
    const char *path = ed_node_path_str(artifact, "/path");
    if (!path)
        return NULL;
    const char *slash = strrchr(path, '/');
    char *link =
        slash ? ed_xasprintf("%.*s/%s", (int)(slash - path), path, ED_ARTIFACT_LATEST) : NULL;
    const char *had = ed_node_path_str(obj, "/status/artifact/path");
    char *url = NULL;
    /* Unchanged artifact and a link that still resolves: nothing to write (a no-op reconcile
     * stays one). A new artifact, or a storage that lost the link, moves it. */
    if (link && had && strcmp(had, path) == 0 && ed_artifact_store_has(store, link)) {
        url = ed_artifact_store_url(store, link);
    } else {
        ed_err err = ED_ERR_INIT;
        if (ed_artifact_store_link_latest(store, path, &url, &err) != 0)
            ed_log(ED_LOG_ERROR, "failed to update status URL symlink", "controller", controller,
                   "name", ed_node_path_str(obj, "/metadata/name"), "namespace",
                   ed_node_path_str(obj, "/metadata/namespace"), "error", err.msg, NULL);
    }
    free(link);
    return url;
}

void ed_ctrl_source_gc(ed_artifact_store *store, const ed_node *obj, int records, int64_t ttl_ms,
                       const char *controller)
{
    const char *path = ed_node_path_str(obj, "/status/artifact/path");
    if (!path)
        return;
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    int deleted = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_artifact_store_gc(store, path, records, ttl_ms, &deleted, &err) != 0)
        ed_log(ED_LOG_ERROR, "garbage collection of artifacts failed", "controller", controller,
               "name", name, "namespace", ns, "error", err.msg, NULL);
    if (deleted > 0) {
        char count[16];
        snprintf(count, sizeof(count), "%d", deleted);
        ed_log(ED_LOG_DEBUG, "garbage collected artifacts", "controller", controller, "name", name,
               "namespace", ns, "count", count, NULL);
    }
}
