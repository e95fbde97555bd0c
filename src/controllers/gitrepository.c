/*
 * The GitRepository reconciler (source.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's source-controller:
 *
 *   1. read the object; on deletion remove its artifacts and the finalizer, and stop;
 *   2. add the finalizer finalizers.fluxcd.io; a suspended object is left alone;
 *   3. read spec.secretRef's Secret;
 *   4. fetch: the persistent cache lists the remote's refs and fetches only what it lacks;
 *   5. artifact: when the revision (or spec.ignore) changed, or the file is gone, check out,
 *      archive deterministically and store it under gitrepository/<ns>/<name>/<sha>.tar.gz;
 *   6. status, written in one place on every exit: artifact, conditions Ready /
 *      ArtifactInStorage / FetchFailed / Reconciling with Flux's reasons, observedGeneration,
 *      observedIgnore, lastHandledReconcileAt; and an Event (NewArtifact, or a warning).
 *
 * Success requeues after spec.interval; failure returns an error so the key backs off.
 */
#include "controllers.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API_VERSION "source.toolkit.fluxcd.io/v1"
#define KIND        "GitRepository"
#define MANAGER     "source-controller"

struct ed_gitrepo_controller {
    ed_gitrepo_opts o;
};

/* What one reconcile found, for the status and the event. */
struct outcome {
    bool ok;
    const char *reason; /* Flux's reason */
    char message[ED_ERR_MSG_MAX * 3];
    bool new_artifact;
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

/* Decode a Secret's data (base64 values) into entries; returns the count, or -1 when invalid. */
static int secret_entries(const ed_node *secret, ed_source_secret_entry **out, char ***bufs)
{
    ed_node *data = ed_node_get(secret, "data");
    size_t n = ed_node_len(data);
    *out = ed_xcalloc(n ? n : 1, sizeof(**out));
    *bufs = ed_xcalloc(n + 1, sizeof(**bufs));
    for (size_t i = 0; i < n; i++) {
        const char *b64 = ed_node_str(ed_node_value_at(data, i));
        if (!b64)
            return -1;
        size_t len = strlen(b64);
        unsigned char *dec = ed_xmalloc(len * 3 / 4 + 4);
        int dl = len ? EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len) : 0;
        if (dl < 0) {
            free(dec);
            return -1;
        }
        /* EVP_DecodeBlock counts the padding as data: take it back off. */
        if (len >= 1 && b64[len - 1] == '=')
            dl--;
        if (len >= 2 && b64[len - 2] == '=')
            dl--;
        (*bufs)[i] = (char *)dec;
        (*out)[i] = (ed_source_secret_entry){ed_node_key_at(data, i), (char *)dec, (size_t)dl};
    }
    return (int)n;
}

static void free_secret(ed_source_secret_entry *e, char **bufs, int n)
{
    for (int i = 0; bufs && i < n; i++) {
        if (bufs[i] && e)
            memset(bufs[i], 0, e[i].len); /* secrets do not linger in freed memory */
        free(bufs[i]);
    }
    free(bufs);
    free(e);
}

static void record_event(ed_gitrepo_controller *c, const ed_node *obj, const char *type,
                         const char *reason, const char *note, const char *revision)
{
    const char *annotations[] = {"source.toolkit.fluxcd.io/revision", revision, NULL};
    ed_kube_event ev = ED_KUBE_EVENT_INIT;
    ev.regarding = obj;
    ev.type = type;
    ev.reason = reason;
    ev.note = note;
    ev.action = "Reconcile";
    ev.reporting_controller = MANAGER;
    ev.annotations = revision ? annotations : NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_event_record(c->o.kube, &ev, &err))
        ed_log(ED_LOG_ERROR, "recording an event failed", "controller", "gitrepository", "error",
               err.msg, NULL);
}

/* Flux's reason for a fetch error. */
static const char *fetch_reason(int code)
{
    return code == ED_EAUTH      ? "AuthenticationFailed"
           : code == ED_EINVALID ? "URLInvalid"
                                 : "GitOperationFailed";
}

/* Phase 6: write status (merge patch of the status subresource) from the outcome. */
static int write_status(ed_gitrepo_controller *c, const ed_node *obj, const struct outcome *out,
                        const ed_node *artifact)
{
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    if (out->ok) {
        ed_cond_set(d, sp.conditions, "Ready", "True", "Succeeded", out->message, sp.generation);
        ed_cond_set(d, sp.conditions, "ArtifactInStorage", "True", "Succeeded", out->message,
                    sp.generation);
        ed_cond_remove(sp.conditions, "FetchFailed");
        ed_cond_remove(sp.conditions, "Reconciling");
        ed_cond_remove(sp.conditions, "Stalled");
        ed_node_set(d, sp.status, "observedGeneration", ed_node_new_int(d, sp.generation));
        const char *ignore = str_at(obj, "/spec/ignore");
        ed_node_set(d, sp.status, "observedIgnore",
                    ignore ? ed_node_new_str(d, ignore) : ed_node_new_null(d));
    } else {
        ed_cond_set(d, sp.conditions, "FetchFailed", "True", out->reason, out->message,
                    sp.generation);
        ed_cond_set(d, sp.conditions, "Ready", "False", out->reason, out->message, sp.generation);
        ed_cond_set(d, sp.conditions, "Reconciling", "True", "ProgressingWithRetry", out->message,
                    sp.generation);
    }
    if (artifact)
        ed_node_set(d, sp.status, "artifact", ed_node_copy(d, artifact));
    return ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, "gitrepository");
}

/* Phase 1 on deletion: artifacts go, then the finalizer. */
static int finalize(ed_gitrepo_controller *c, const ed_node *obj, ed_err *err)
{
    const char *ns = str_at(obj, "/metadata/namespace"), *name = str_at(obj, "/metadata/name");
    int rc = ed_artifact_store_remove_all(c->o.store, KIND, ns, name, err);
    if (rc)
        return rc;
    if (!ed_ctrl_has_finalizer(obj))
        return 0;
    rc = ed_ctrl_set_finalizer(c->o.kube, API_VERSION, KIND, obj, false, err);
    return rc == ED_ENOTFOUND ? 0 : rc;
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_gitrepo_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL, *secretdoc = NULL, *artdoc = NULL;
    ed_source_secret_entry *secret = NULL;
    char **secret_bufs = NULL;
    int nsecret = 0;
    struct outcome out = {.ok = false, .reason = "GitOperationFailed"};
    int rc = ed_kube_get(c->o.kube, API_VERSION, KIND, ns, name, &objdoc, &err);
    if (rc == ED_ENOTFOUND)
        return 0; /* gone: nothing to do */
    if (rc)
        return rc;
    ed_node *obj = ed_doc_root(objdoc);

    /* 1-2. Deletion, finalizer, suspension. */
    if (ed_node_path(obj, "/metadata/deletionTimestamp")) {
        ed_ctrl_record_metrics(c->o.metrics, KIND, obj, NULL, true);
        rc = finalize(c, obj, &err);
        if (rc)
            ed_log(ED_LOG_ERROR, "finalizing failed", "controller", "gitrepository", "name", name,
                   "namespace", ns, "error", err.msg, NULL);
        goto done;
    }
    if (!ed_ctrl_has_finalizer(obj)) {
        rc = ed_ctrl_set_finalizer(c->o.kube, API_VERSION, KIND, obj, true, &err);
        if (rc)
            goto done; /* a conflict: the change that caused it queues us again */
        ed_doc_free(objdoc);
        objdoc = NULL;
        if ((rc = ed_kube_get(c->o.kube, API_VERSION, KIND, ns, name, &objdoc, &err)) != 0)
            goto done;
        obj = ed_doc_root(objdoc);
    }
    bool suspended = false;
    ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
    if (suspended) {
        ed_ctrl_record_metrics(c->o.metrics, KIND, obj,
                               ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready"),
                               false);
        ed_log(ED_LOG_INFO, "reconciliation is suspended for this object", "controller",
               "gitrepository", "name", name, "namespace", ns, NULL);
        goto done;
    }
    int64_t interval = 0;
    const char *iv = str_at(obj, "/spec/interval");
    if (!iv || ed_duration_parse(iv, &interval, &err) != 0 || interval <= 0)
        interval = 60000; /* the CRD requires a valid interval; defensive only */

    /* 3. Credentials. */
    const char *secret_name = str_at(obj, "/spec/secretRef/name");
    if (secret_name) {
        rc = ed_kube_get(c->o.kube, "v1", "Secret", ns, secret_name, &secretdoc, &err);
        if (rc) {
            out.reason = "AuthenticationFailed";
            snprintf(out.message, sizeof(out.message), "failed to get secret '%s/%s': %s", ns,
                     secret_name, err.msg);
            goto status;
        }
        nsecret = secret_entries(ed_doc_root(secretdoc), &secret, &secret_bufs);
        if (nsecret < 0) {
            out.reason = "AuthenticationFailed";
            snprintf(out.message, sizeof(out.message), "secret '%s/%s' holds invalid data", ns,
                     secret_name);
            rc = ED_EINVALID;
            goto status;
        }
    }

    /* 4. Fetch. */
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = str_at(obj, "/spec/url");
    fo.ref.branch = str_at(obj, "/spec/ref/branch");
    fo.ref.tag = str_at(obj, "/spec/ref/tag");
    fo.ref.semver = str_at(obj, "/spec/ref/semver");
    fo.ref.name = str_at(obj, "/spec/ref/name");
    fo.ref.commit = str_at(obj, "/spec/ref/commit");
    fo.secret = secret;
    fo.secret_len = nsecret > 0 ? (size_t)nsecret : 0;
    ed_source_git_result res;
    rc = ed_source_git_fetch(c->o.cache, &fo, &res, &err);
    if (rc) {
        out.reason = fetch_reason(rc);
        snprintf(out.message, sizeof(out.message), "failed to checkout and determine revision: %s",
                 err.msg);
        goto status;
    }

    /* 5. Artifact: reuse the stored one when nothing that shapes it changed. */
    const ed_node *cur = ed_node_path(obj, "/status/artifact");
    const char *cur_rev = str_at(cur, "/revision"), *cur_path = str_at(cur, "/path");
    const char *ignore = str_at(obj, "/spec/ignore");
    const char *observed_ignore = str_at(obj, "/status/observedIgnore");
    bool same_ignore = (!ignore && !observed_ignore) ||
                       (ignore && observed_ignore && strcmp(ignore, observed_ignore) == 0);
    if (cur_rev && strcmp(cur_rev, res.revision) == 0 && same_ignore && cur_path &&
        ed_artifact_store_has(c->o.store, cur_path)) {
        artdoc = ed_doc_new();
        ed_doc_set_root(artdoc, ed_node_copy(artdoc, cur));
    } else {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s/%s.%d.%lld.tar.gz", ed_artifact_store_tmpdir(c->o.store),
                 res.commit, (int)getpid(), (long long)ed_time_mono_ms());
        ed_source_artifact_info info;
        rc = ed_source_git_artifact_build(c->o.cache, fo.url, res.commit, ignore, tmp, &info, &err);
        char *path = NULL, *url = NULL;
        char file[64];
        snprintf(file, sizeof(file), "%s.tar.gz", res.commit);
        if (!rc)
            rc = ed_artifact_store_put(c->o.store, KIND, ns, name, file, tmp, 2, &path, &url, &err);
        unlink(tmp);
        if (rc) {
            out.reason = "StorageOperationFailed";
            snprintf(out.message, sizeof(out.message), "failed to store artifact: %s", err.msg);
            free(path);
            free(url);
            goto status;
        }
        artdoc = ed_doc_new();
        ed_node *a = ed_node_new_map(artdoc);
        ed_doc_set_root(artdoc, a);
        char now[32];
        ed_time_rfc3339(time(NULL), now);
        ed_node_set(artdoc, a, "digest", ed_node_new_str(artdoc, info.digest));
        ed_node_set(artdoc, a, "lastUpdateTime", ed_node_new_str(artdoc, now));
        ed_node_set(artdoc, a, "path", ed_node_new_str(artdoc, path));
        ed_node_set(artdoc, a, "revision", ed_node_new_str(artdoc, res.revision));
        ed_node_set(artdoc, a, "size", ed_node_new_int(artdoc, info.size));
        ed_node_set(artdoc, a, "url", ed_node_new_str(artdoc, url));
        free(path);
        free(url);
        out.new_artifact = true;
    }
    out.ok = true;
    out.reason = "Succeeded";
    snprintf(out.message, sizeof(out.message), "stored artifact for revision '%s'", res.revision);
    *requeue_after_ms = interval;

status:
    /* 6. One place writes status, and tells what happened. */
    if (write_status(c, obj, &out, artdoc ? ed_doc_root(artdoc) : NULL) != 0 && out.ok)
        rc = ED_ERETRY;
    if (out.ok && out.new_artifact)
        record_event(c, obj, "Normal", "NewArtifact", out.message,
                     str_at(ed_doc_root(artdoc), "/revision"));
    else if (!out.ok)
        record_event(c, obj, "Warning", out.reason, out.message, NULL);
    if (!out.ok) {
        ed_log(ED_LOG_ERROR, "reconciliation failed", "controller", "gitrepository", "name", name,
               "namespace", ns, "error", out.message, NULL);
        if (!rc)
            rc = ED_ERROR;
    } else {
        ed_log(ED_LOG_INFO, out.message, "controller", "gitrepository", "name", name, "namespace",
               ns, NULL);
    }
done:
    free_secret(secret, secret_bufs, nsecret > 0 ? nsecret : 0);
    ed_doc_free(secretdoc);
    ed_doc_free(artdoc);
    ed_doc_free(objdoc);
    return rc;
}

ed_gitrepo_controller *ed_gitrepo_register(ed_manager *m, const ed_gitrepo_opts *opts)
{
    ed_gitrepo_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    ed_controller_def def = {.name = "gitrepository",
                             .api_version = API_VERSION,
                             .kind = KIND,
                             .workers = opts->workers,
                             .reconcile = reconcile,
                             .user = c,
                             .generation_changed_only = true};
    ed_manager_add(m, &def);
    return c;
}

void ed_gitrepo_free(ed_gitrepo_controller *c)
{
    free(c);
}
