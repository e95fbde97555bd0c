/*
 * What the source reconcilers share about their artifacts, as source-controller shares it
 * between its kinds: status.url, "the dynamic fetch link for the latest Artifact"
 * (`<kind>/<ns>/<name>/latest.tar.gz` beside the artifacts, a link moved to each new artifact,
 * as Storage.Symlink does; Flux's v1 OCIRepository has status.url, its v1 GitRepository has
 * not, so only the OCIRepository reconciler asks for one), and the garbage collection of an
 * object's older artifacts at the start of each reconcile; and the conditions a reconcile
 * leaves (Ready, ArtifactInStorage, the kind's negative conditions, ArtifactOutdated,
 * Stalled or Reconciling, SourceVerified), which source-controller's summary writes the same
 * way for every kind.
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

/* On failure, Reconciling's message: the last progress step Flux's reconcile marked before it
 * failed (it keeps that message, the reason turning ProgressingWithRetry), not the error,
 * which Ready and the negative condition carry. */
static void source_progress(const ed_node *obj, const ed_ctrl_source_result *r, char *msg, size_t n)
{
    if (r->new_revision && r->new_revision[0])
        snprintf(msg, n, "building artifact: %s", r->new_revision);
    else if (!ed_node_path(obj, "/status/artifact"))
        snprintf(msg, n, "building artifact");
    else
        ed_status_progress(obj, msg, n);
}

void ed_ctrl_source_conditions(ed_status_patch *sp, const ed_node *obj,
                               const ed_ctrl_source_result *r)
{
    ed_doc *d = sp->doc;
    ed_node *conds = sp->conditions;
    if (r->ok) {
        ed_cond_set(d, conds, "Ready", "True", "Succeeded", r->message, sp->generation);
        ed_cond_set(d, conds, "ArtifactInStorage", "True", "Succeeded", r->message, sp->generation);
        for (const char *const *neg = r->negative; *neg; neg++)
            ed_cond_remove(conds, *neg);
        if (r->outdated)
            ed_cond_remove(conds, "ArtifactOutdated");
        ed_cond_remove(conds, "Reconciling");
        ed_cond_remove(conds, "Stalled");
        ed_node_set(d, sp->status, "observedGeneration", ed_node_new_int(d, sp->generation));
    } else {
        /* One negative condition at a time says why: the others are from earlier failures. */
        for (const char *const *neg = r->negative; *neg; neg++)
            if (strcmp(*neg, r->cond) != 0)
                ed_cond_remove(conds, *neg);
        /* SourceVerified has positive polarity: its False is written below. */
        if (r->verified != ED_CTRL_VERIFIED_FAILED)
            ed_cond_set(d, conds, r->cond, "True", r->reason, r->message, sp->generation);
        ed_cond_set(d, conds, "Ready", "False", r->reason, r->message, sp->generation);
        /* Flux's mark of a revision found but not stored yet, beside an older artifact. */
        if (r->outdated && r->new_revision && r->new_revision[0] &&
            ed_node_path(obj, "/status/artifact"))
            ed_cond_set(d, conds, "ArtifactOutdated", "True", "NewRevision", r->new_revision,
                        sp->generation);
        else if (r->outdated && r->outdated_cleared)
            ed_cond_remove(conds, "ArtifactOutdated");
        if (r->stalled) {
            /* Flux's stalling error: this generation was handled, and retrying cannot help. */
            ed_cond_set(d, conds, "Stalled", "True", r->reason, r->message, sp->generation);
            ed_cond_remove(conds, "Reconciling");
            ed_node_set(d, sp->status, "observedGeneration", ed_node_new_int(d, sp->generation));
        } else {
            char progress[ED_ERR_MSG_MAX];
            source_progress(obj, r, progress, sizeof(progress));
            ed_cond_remove(conds, "Stalled");
            ed_cond_set(d, conds, "Reconciling", "True", "ProgressingWithRetry", progress,
                        sp->generation);
        }
    }
    if (r->verified == ED_CTRL_VERIFIED_NONE)
        ed_cond_remove(conds, "SourceVerified");
    else if (r->verified == ED_CTRL_VERIFIED_OK)
        ed_cond_set(d, conds, "SourceVerified", "True", "Succeeded", r->verified_message,
                    sp->generation);
    else if (r->verified == ED_CTRL_VERIFIED_FAILED)
        ed_cond_set(d, conds, "SourceVerified", "False", r->reason, r->message, sp->generation);
}

/* ---- GitHub App credentials ---- */

int ed_ctrl_github_app_login(const char *who, const char *ns, const char *name,
                             const char *secret_name, const ed_source_secret_entry *secret,
                             size_t n, const ed_source_secret_entry *proxy, size_t nproxy,
                             ed_ctrl_github_creds *out, ed_ctrl_github_failure *why, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!secret_name) {
        *why = ED_CTRL_GITHUB_NO_SECRET;
        return ed_err_set(err, ED_EINVALID, "%s", ED_CTRL_GITHUB_MISSING);
    }
    char ref[512];
    snprintf(ref, sizeof(ref), "%s/%s", ns, secret_name);
    bool present = false;
    int rc = ed_source_github_app_check(secret, n, ref, &present, err);
    if (rc != 0) {
        *why = ED_CTRL_GITHUB_BAD_SECRET;
        return rc;
    }
    if (!present) {
        *why = ED_CTRL_GITHUB_NO_APP;
        return ed_err_set(err, ED_EINVALID, "%s", ED_CTRL_GITHUB_MISSING);
    }
    ed_source_github_app_opts go = {.secret = secret,
                                    .secret_len = n,
                                    .proxy = proxy,
                                    .proxy_len = nproxy,
                                    .timeout_ms = 60000};
    bool cached = false;
    if ((rc = ed_source_github_app_token(&go, &out->token, &cached, err)) != 0) {
        *why = ED_CTRL_GITHUB_TOKEN;
        ed_err_wrap(err, "failed to configure authentication options");
        return rc;
    }
    ed_log(ED_LOG_DEBUG, cached ? "GitHub App token from the cache" : "GitHub App token issued",
           "controller", who, "namespace", ns, "name", name, NULL);
    /* The token as basic auth; a bearerToken of the Secret would win over it, so it goes. */
    out->entries = ed_xcalloc(n + 2, sizeof(*out->entries));
    out->entries[0] = (ed_source_secret_entry){"username", ED_SOURCE_GITHUB_APP_USER,
                                               strlen(ED_SOURCE_GITHUB_APP_USER)};
    out->entries[1] = (ed_source_secret_entry){"password", out->token, strlen(out->token)};
    out->n = 2;
    for (size_t i = 0; i < n; i++)
        if (strcmp(secret[i].key, "bearerToken") != 0 && strcmp(secret[i].key, "username") != 0 &&
            strcmp(secret[i].key, "password") != 0)
            out->entries[out->n++] = secret[i];
    return 0;
}

void ed_ctrl_github_creds_clear(ed_ctrl_github_creds *c)
{
    if (c->token)
        ed_source_secret_free_str(c->token);
    free(c->entries);
    memset(c, 0, sizeof(*c));
}
