/*
 * The GitRepository reconciler (source.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's source-controller:
 *
 *   1. read the object; on deletion remove its artifacts and the finalizer, and stop;
 *   2. add the finalizer finalizers.fluxcd.io; a suspended object is left alone; then Flux's
 *      garbage collection of the object's older artifacts (by count and age, the one in status
 *      kept: --artifact-retention-records, --artifact-retention-ttl);
 *   3. read spec.secretRef's and spec.proxySecretRef's Secrets;
 *   4. includes: every spec.include names a GitRepository of the namespace that must have an
 *      artifact (else IncludeUnavailable, reason NotFound or NoArtifact, and a retry in 30 s;
 *      a copy that fails later is StorageOperationFailed, CopyFailure or IllegalPath);
 *   5. fetch: the persistent cache lists the remote's refs and fetches only what it lacks
 *      (through the proxy of spec.proxySecretRef, with the client certificate of tls.crt);
 *      then spec.verify: the OpenPGP or SSH signature of the commit and/or its tag
 *      (SourceVerified, sourceVerificationMode; a failure keeps the last artifact);
 *   6. artifact: when the revision, or anything that shapes the tree (spec.ignore, include,
 *      sparseCheckout, recurseSubmodules, an included artifact's digest) changed, or the file is
 *      gone: check out, copy the included artifacts in (fromPath -> toPath), archive
 *      deterministically and store it under gitrepository/<ns>/<name>/<sha>.tar.gz. The
 *      revision stays this repository's commit, as Flux's;
 *   7. status, written in one place on every exit: artifact, includedArtifacts, the observed*
 *      fields, conditions Ready / ArtifactInStorage / FetchFailed / IncludeUnavailable /
 *      StorageOperationFailed / SourceVerified / Reconciling with Flux's reasons,
 *      observedGeneration, lastHandledReconcileAt; and an Event (NewArtifact, or a warning).
 *
 * A GitRepository with a new artifact revision queues every GitRepository of its namespace
 * that includes it (Flux's watch on included repositories; see on_change for digests).
 * Success requeues after spec.interval; failure returns an error so the key backs off.
 */
#include "controllers.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API_VERSION "source.toolkit.fluxcd.io/v1"
#define KIND        "GitRepository"
#define MANAGER     "source-controller"

/* Flux's --requeue-dependency: how soon an includer looks again for a missing include. */
#define REQUEUE_DEPENDENCY_MS 30000

struct ed_gitrepo_controller {
    ed_gitrepo_opts o;
    ed_ctrl_kind kind;
    ed_informer *self; /* the GitRepository cache, to find the includers of a repository */
    ed_queue *queue;
};

/* What one reconcile found, for the status and the event. */
struct outcome {
    bool ok;
    const char *cond;   /* on failure, the negative condition that says why (FetchFailed) */
    const char *reason; /* Flux's reason */
    char message[ED_ERR_MSG_MAX * 3];
    char subject[256];  /* the fetched commit's, for the event (Flux's ShortMessage) */
    int64_t requeue_ms; /* on failure: retry after this long without an error (0: back off) */
    bool stalled;       /* on failure: no retry until the spec changes (Flux's Stalled) */
    ed_ctrl_verified verify;
    char verify_message[1024]; /* SourceVerified's message when ED_CTRL_VERIFIED_OK */
    const char *verify_mode;   /* spec.verify.mode, normalised ("head" is "HEAD") */
    char new_revision[320];    /* fetched, and not the stored artifact's: "" otherwise */
    bool fetching;             /* past the includes: Flux has removed an earlier ArtifactOutdated */
};

/* The artifacts of the included repositories, in spec.include order. */
struct includes {
    size_t n;
    ed_doc *doc;     /* a sequence of copies of their status.artifact */
    char **archives; /* their files in the store */
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
                         const char *reason, const char *note, const char *revision,
                         const char *digest)
{
    const char *annotations[] = {"source.toolkit.fluxcd.io/revision", revision,
                                 digest ? "source.toolkit.fluxcd.io/digest" : NULL, digest, NULL};
    ed_ctrl_record_event_as(c->o.kube, obj, MANAGER, "gitrepository", type, reason, note,
                            revision ? annotations : NULL);
}

/* Flux's reason for a fetch error. Refused credentials, host keys and certificates are
 * GitOperationFailed too: Flux's clone fails with them, and AuthenticationFailed is only for a
 * secret it cannot read or use (read_secret, ed_source_git_auth_check). */
static const char *fetch_reason(int code)
{
    return code == ED_EINVALID ? "URLInvalid" : "GitOperationFailed";
}

/* The observed* fields: the spec fields the stored artifact was built with. */
static void set_observed(ed_doc *d, ed_node *status, const ed_node *obj)
{
    static const char *const fields[][2] = {{"ignore", "observedIgnore"},
                                            {"include", "observedInclude"},
                                            {"sparseCheckout", "observedSparseCheckout"},
                                            {"recurseSubmodules", "observedRecurseSubmodules"}};
    const ed_node *spec = ed_node_get(obj, "spec");
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const ed_node *v = ed_node_get(spec, fields[i][0]);
        ed_node_set(d, status, fields[i][1], v ? ed_node_copy(d, v) : ed_node_new_null(d));
    }
}

/* Phase 7: write status (merge patch of the status subresource) from the outcome. */
static int write_status(ed_gitrepo_controller *c, const ed_node *obj, const struct outcome *out,
                        const ed_node *artifact, const struct includes *inc)
{
    static const char *const negative[] = {"FetchFailed", "IncludeUnavailable",
                                           "StorageOperationFailed", NULL};
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    char new_revision[sizeof(out->new_revision) + 32] = "";
    if (out->new_revision[0])
        snprintf(new_revision, sizeof(new_revision), "new upstream revision '%s'",
                 out->new_revision);
    ed_ctrl_source_result r = {.ok = out->ok,
                               .message = out->message,
                               .reason = out->reason,
                               .cond = out->cond,
                               .negative = negative,
                               .stalled = out->stalled,
                               .new_revision = new_revision,
                               .outdated = true,
                               .outdated_cleared = out->fetching,
                               .verified = out->verify,
                               .verified_message = out->verify_message};
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    ed_ctrl_source_conditions(&sp, obj, &r);
    if (out->ok) {
        set_observed(d, sp.status, obj);
        ed_node_set(d, sp.status, "includedArtifacts",
                    inc && inc->n ? ed_node_copy(d, ed_doc_root(inc->doc)) : ed_node_new_null(d));
    }
    if (out->verify == ED_CTRL_VERIFIED_NONE)
        ed_node_set(d, sp.status, "sourceVerificationMode", ed_node_new_null(d));
    else if (out->verify == ED_CTRL_VERIFIED_OK)
        ed_node_set(d, sp.status, "sourceVerificationMode", ed_node_new_str(d, out->verify_mode));
    if (artifact)
        ed_node_set(d, sp.status, "artifact", ed_node_copy(d, artifact));
    return ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, "gitrepository");
}

/* Phase 1 on deletion: artifacts go, then the finalizer. */
/* On deletion: the object's artifacts go. */
static int finalize(const ed_node *obj, void *user, ed_err *err)
{
    ed_gitrepo_controller *c = user;
    return ed_artifact_store_remove_all(c->o.store, KIND, str_at(obj, "/metadata/namespace"),
                                        str_at(obj, "/metadata/name"), err);
}

/* True when the Secret's data has key, with a value that is not empty (Flux's len() != 0). */
static bool secret_has(const ed_source_secret_entry *secret, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(secret[i].key, key) == 0)
            return secret[i].len > 0;
    return false;
}

/* Read the Secret ns/name (spec.secretRef) into entries (*n of them). On failure out says why,
 * in Flux's words, whose getSecret error is wrapped once more with the same prefix. */
static int read_secret(ed_gitrepo_controller *c, const char *ns, const char *name, ed_doc **doc,
                       ed_source_secret_entry **entries, char ***bufs, int *n, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_get(c->o.kube, "v1", "Secret", ns, name, doc, &err);
    if (rc) {
        out->reason = "AuthenticationFailed";
        snprintf(out->message, sizeof(out->message),
                 "failed to get secret '%s/%s': failed to get secret '%s/%s': %s", ns, name, ns,
                 name, err.msg);
        return rc;
    }
    *n = secret_entries(ed_doc_root(*doc), entries, bufs);
    if (*n < 0) {
        out->reason = "AuthenticationFailed";
        snprintf(out->message, sizeof(out->message), "secret '%s/%s' holds invalid data", ns, name);
        return ED_EINVALID;
    }
    return 0;
}

/* The spec.proxySecretRef Secret ns/name, checked as Flux checks it before any fetch (an
 * `address` that is present and not empty); on failure out has Flux's reason and words. */
static int read_proxy(ed_gitrepo_controller *c, const char *ns, const char *name, ed_doc **doc,
                      ed_source_secret_entry **entries, char ***bufs, int *n, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_get(c->o.kube, "v1", "Secret", ns, name, doc, &err);
    out->reason = "AuthenticationFailed";
    if (rc == ED_ENOTFOUND) {
        snprintf(out->message, sizeof(out->message),
                 "failed to configure proxy options: secret '%s/%s' not found", ns, name);
        return rc;
    }
    if (rc) {
        snprintf(out->message, sizeof(out->message),
                 "failed to configure proxy options: failed to get secret '%s/%s': %s", ns, name,
                 err.msg);
        return rc;
    }
    *n = secret_entries(ed_doc_root(*doc), entries, bufs);
    if (*n < 0) {
        snprintf(out->message, sizeof(out->message), "secret '%s/%s' holds invalid data", ns, name);
        return ED_EINVALID;
    }
    const ed_source_secret_entry *address = NULL;
    for (int i = 0; i < *n; i++)
        if (strcmp((*entries)[i].key, "address") == 0)
            address = &(*entries)[i];
    if (!address) {
        snprintf(out->message, sizeof(out->message),
                 "failed to configure proxy options: secret '%s/%s': key 'address' not found", ns,
                 name);
        return ED_EINVALID;
    }
    if (address->len == 0) {
        snprintf(out->message, sizeof(out->message),
                 "failed to configure proxy options: secret '%s/%s': proxy address is empty", ns,
                 name);
        return ED_EINVALID;
    }
    return 0;
}

static void includes_free(struct includes *inc)
{
    for (size_t i = 0; i < inc->n; i++)
        free(inc->archives[i]);
    free(inc->archives);
    ed_doc_free(inc->doc);
    memset(inc, 0, sizeof(*inc));
}

/* True when the secret's SSH `identity` is encrypted and it has no `password` (Flux's own
 * message says so, naming the secret). */
static bool identity_needs_password(const ed_source_git_fetch_opts *fo)
{
    const ed_source_secret_entry *identity = NULL;
    for (size_t i = 0; i < fo->secret_len; i++) {
        if (strcmp(fo->secret[i].key, "password") == 0)
            return false;
        if (strcmp(fo->secret[i].key, "identity") == 0)
            identity = &fo->secret[i];
    }
    return identity && ed_str_has_prefix(fo->url, "ssh://") &&
           ed_source_ssh_key_encrypted(identity->value, identity->len);
}

/* Phase 4: the artifact of every included GitRepository, or out says which is missing. */
static int read_includes(ed_gitrepo_controller *c, const ed_node *obj, const char *ns,
                         struct includes *inc, struct outcome *out)
{
    const ed_node *list = ed_node_path(obj, "/spec/include");
    size_t n = ed_node_len(list);
    inc->doc = ed_doc_new();
    ed_node *seq = ed_node_new_seq(inc->doc);
    ed_doc_set_root(inc->doc, seq);
    inc->archives = ed_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *dep = str_at(ed_node_at(list, i), "/repository/name");
        ed_doc *depdoc = NULL;
        ed_err err = ED_ERR_INIT;
        int rc =
            dep ? ed_kube_get(c->o.kube, API_VERSION, KIND, ns, dep, &depdoc, &err)
                : ed_err_set(&err, ED_EINVALID, "spec.include[%zu].repository.name is empty", i);
        if (rc == 0 && !ed_ctrl_in_shard(c->kind.shard, "gitrepository", ed_doc_root(depdoc))) {
            /* Flux's cache holds only its shard's GitRepositories: another shard's is not
             * found. */
            ed_doc_free(depdoc);
            depdoc = NULL;
            rc = ED_ENOTFOUND;
        }
        out->cond = "IncludeUnavailable";
        out->requeue_ms = REQUEUE_DEPENDENCY_MS;
        if (dep && rc == ED_ENOTFOUND) {
            /* Flux reads from its informer's cache, whose not-found error names the kind (not
             * the API server's plural resource). */
            out->reason = "NotFound";
            snprintf(out->message, sizeof(out->message),
                     "could not get resource for include '%s': %s.source.toolkit.fluxcd.io \"%s\" "
                     "not found",
                     dep, KIND, dep);
            return rc;
        }
        if (rc) {
            out->reason = "NotFound";
            snprintf(out->message, sizeof(out->message),
                     "could not get resource for include '%s': %s", dep ? dep : "", err.msg);
            return rc;
        }
        const ed_node *art = ed_node_path(ed_doc_root(depdoc), "/status/artifact");
        const char *path = str_at(art, "/path");
        if (!art || !path || !ed_artifact_store_has(c->o.store, path)) {
            out->reason = "NoArtifact";
            snprintf(out->message, sizeof(out->message), "no artifact available for include '%s'",
                     dep);
            ed_doc_free(depdoc);
            return ED_ENOTFOUND;
        }
        ed_node_append(inc->doc, seq, ed_node_copy(inc->doc, art));
        inc->archives[i] = ed_artifact_store_file(c->o.store, path);
        inc->n = i + 1;
        ed_doc_free(depdoc);
    }
    out->cond = "FetchFailed";
    out->requeue_ms = 0;
    return 0;
}

/* True when the stored artifact was built from revision with today's spec and includes. */
static bool artifact_current(ed_gitrepo_controller *c, const ed_node *obj, const char *revision,
                             const struct includes *inc)
{
    const ed_node *cur = ed_node_path(obj, "/status/artifact");
    const char *cur_rev = str_at(cur, "/revision"), *cur_path = str_at(cur, "/path");
    if (!cur_rev || strcmp(cur_rev, revision) != 0 || !cur_path ||
        !ed_artifact_store_has(c->o.store, cur_path))
        return false;
    const ed_node *spec = ed_node_path(obj, "/spec"), *st = ed_node_path(obj, "/status");
    static const char *const fields[][2] = {{"ignore", "observedIgnore"},
                                            {"include", "observedInclude"},
                                            {"sparseCheckout", "observedSparseCheckout"}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const ed_node *want = ed_node_get(spec, fields[i][0]), *had = ed_node_get(st, fields[i][1]);
        if (want && ed_node_kind_of(want) == ED_NODE_NULL)
            want = NULL;
        if (had && ed_node_kind_of(had) == ED_NODE_NULL)
            had = NULL;
        if (!ed_node_equal(want, had))
            return false;
    }
    bool want_sub = false, had_sub = false;
    ed_node_bool(ed_node_get(spec, "recurseSubmodules"), &want_sub);
    ed_node_bool(ed_node_get(st, "observedRecurseSubmodules"), &had_sub);
    if (want_sub != had_sub)
        return false;
    /* An included repository with a new artifact makes this one outdated. */
    const ed_node *had_inc = ed_node_get(st, "includedArtifacts");
    if (ed_node_len(had_inc) != inc->n)
        return false;
    for (size_t i = 0; i < inc->n; i++) {
        const char *a = str_at(ed_node_at(had_inc, i), "/digest");
        const char *b = str_at(ed_node_at(ed_doc_root(inc->doc), i), "/digest");
        if (!a || !b || strcmp(a, b) != 0)
            return false;
    }
    return true;
}

/* With includes, Flux's ignore rules apply to the whole tree, included parts too: check out
 * everything into a temp directory, copy the includes in, filter, then archive to tar. Sets
 * out's reason on failure, but for a failed archive (rc with *archive_failed). */
static int build_on_disk(ed_gitrepo_controller *c, const ed_node *obj,
                         const ed_source_checkout_opts *co, const struct includes *inc,
                         const char *tar, ed_source_artifact_info *info, bool *archive_failed,
                         struct outcome *out, ed_err *err)
{
    const char *tmpdir = ed_artifact_store_tmpdir(c->o.store);
    char *dir = ed_xasprintf("%s/build-XXXXXX", tmpdir);
    int rc = 0;
    if (!mkdtemp(dir)) {
        rc = ed_err_set(err, ED_ERROR, "create temp dir: %s", strerror(errno));
        out->cond = "StorageOperationFailed";
        out->reason = "StorageOperationFailed";
        snprintf(out->message, sizeof(out->message), "failed to create temp dir: %s", err->msg);
        free(dir);
        return rc;
    }
    ed_source_checkout_opts cow = *co;
    cow.unfiltered = true;
    rc = ed_source_git_checkout_with(c->o.cache, &cow, dir, err);
    if (rc) {
        out->reason = "GitOperationFailed";
        snprintf(out->message, sizeof(out->message), "%s", err->msg);
        goto cleanup;
    }
    const ed_node *list = ed_node_path(obj, "/spec/include");
    for (size_t i = 0; i < inc->n && rc == 0; i++) {
        const ed_node *item = ed_node_at(list, i);
        const char *dep = str_at(item, "/repository/name"), *from = str_at(item, "/fromPath");
        const char *to = str_at(item, "/toPath");
        rc = ed_source_include_copy(inc->archives[i], from, to ? to : dep, dir, tmpdir, err);
        /* As Flux: a copy that fails is a storage failure, an escaping path an IllegalPath. */
        if (rc == ED_EINVALID) {
            out->cond = "StorageOperationFailed";
            out->reason = "IllegalPath";
            snprintf(out->message, sizeof(out->message),
                     "path calculation for include '%s' failed: %s", dep, err->msg);
        } else if (rc) {
            out->cond = "StorageOperationFailed";
            out->reason = "CopyFailure";
            snprintf(out->message, sizeof(out->message),
                     "failed to copy '%s' include from %s to %s: %s", dep, from ? from : "",
                     to ? to : dep, err->msg);
        }
    }
    if (!rc && (rc = ed_source_dir_filter(dir, co->ignore, err)) != 0) {
        out->cond = "StorageOperationFailed";
        out->reason = "StorageOperationFailed";
        snprintf(out->message, sizeof(out->message), "failed to apply ignore rules: %s", err->msg);
    }
    if (!rc) {
        rc = ed_source_archive_create(dir, tar, info, err);
        *archive_failed = rc != 0;
    }
cleanup:
    ed_path_remove_tree(dir);
    free(dir);
    return rc;
}

/* Phase 6: the artifact, archived and stored. Without includes the tree goes from the Git cache
 * straight into the archive; with includes it is assembled on disk. *path and *url are new. */
static int build_artifact(ed_gitrepo_controller *c, const ed_node *obj,
                          const ed_source_checkout_opts *co, const struct includes *inc,
                          ed_source_artifact_info *info, char **path, char **url,
                          struct outcome *out)
{
    const char *ns = str_at(obj, "/metadata/namespace"), *name = str_at(obj, "/metadata/name");
    const char *tmpdir = ed_artifact_store_tmpdir(c->o.store);
    char *tar = ed_xasprintf("%s/%s.%d.%lld.tar.gz", tmpdir, co->commit, (int)getpid(),
                             (long long)ed_time_mono_ms());
    ed_err err = ED_ERR_INIT;
    bool archive_failed = false;
    int rc = 0;
    if (inc->n > 0) {
        rc = build_on_disk(c, obj, co, inc, tar, info, &archive_failed, out, &err);
    } else {
        rc = ed_source_git_artifact_build_with(c->o.cache, co, tar, info, &archive_failed, &err);
        if (rc && !archive_failed) {
            out->reason = "GitOperationFailed";
            snprintf(out->message, sizeof(out->message), "%s", err.msg);
        }
    }
    if (!rc) {
        char file[64];
        snprintf(file, sizeof(file), "%s.tar.gz", co->commit);
        rc = ed_artifact_store_put(c->o.store, KIND, ns, name, file, tar, path, url, &err);
        archive_failed = rc != 0;
    }
    if (rc && archive_failed) {
        out->cond = "StorageOperationFailed";
        out->reason = "StorageOperationFailed";
        snprintf(out->message, sizeof(out->message), "failed to store artifact: %s", err.msg);
    }
    unlink(tar);
    free(tar);
    return rc;
}

/* The artifact node for a new file. */
static ed_doc *artifact_doc(const ed_source_artifact_info *info, const char *path, const char *url,
                            const char *revision)
{
    ed_doc *doc = ed_doc_new();
    ed_node *a = ed_node_new_map(doc);
    ed_doc_set_root(doc, a);
    char now[32];
    ed_time_rfc3339(time(NULL), now);
    ed_node_set(doc, a, "digest", ed_node_new_str(doc, info->digest));
    ed_node_set(doc, a, "lastUpdateTime", ed_node_new_str(doc, now));
    ed_node_set(doc, a, "path", ed_node_new_str(doc, path));
    ed_node_set(doc, a, "revision", ed_node_new_str(doc, revision));
    ed_node_set(doc, a, "size", ed_node_new_int(doc, info->size));
    ed_node_set(doc, a, "url", ed_node_new_str(doc, url));
    return doc;
}

/* spec.sparseCheckout as strings (borrowed from obj); *n gets the count. */
static const char **sparse_list(const ed_node *obj, size_t *n)
{
    const ed_node *list = ed_node_path(obj, "/spec/sparseCheckout");
    *n = ed_node_len(list);
    const char **out = ed_xcalloc(*n ? *n : 1, sizeof(char *));
    for (size_t i = 0; i < *n; i++)
        out[i] = ed_node_str(ed_node_at(list, i)) ? ed_node_str(ed_node_at(list, i)) : "";
    return out;
}

/* The tag the commit was fetched through ("refs/tags/<name>", new string), or NULL: a tag or
 * semver ref, or a full ref name under refs/tags/ (Flux's clone keeps the tag object of such a
 * name too), unless a commit takes precedence. */
static char *fetched_tag_ref(const ed_node *obj, const char *revision)
{
    if (str_at(obj, "/spec/ref/commit"))
        return NULL;
    const char *name = str_at(obj, "/spec/ref/name");
    if (name) /* (a peeled "refs/tags/x^{}" is passed on: the check refuses it) */
        return ed_str_has_prefix(name, "refs/tags/") ? ed_xstrdup(name) : NULL;
    const char *tag = str_at(obj, "/spec/ref/tag");
    if (tag) /* (a tag wins over semver, as in Flux) */
        return ed_xasprintf("refs/tags/%s", tag);
    if (str_at(obj, "/spec/ref/semver")) {
        const char *at = strstr(revision, "@sha1:");
        return at ? ed_xasprintf("refs/tags/%.*s", (int)(at - revision), revision) : NULL;
    }
    return NULL;
}

/* Phase 5b: spec.verify. Skipped (the condition kept) when the artifact is current and was
 * verified in this mode, as Flux re-verifies only what it has not verified yet. */
static int verify_source(ed_gitrepo_controller *c, const ed_node *obj, const char *url,
                         const ed_source_git_result *res, bool current, struct outcome *out)
{
    if (!ed_node_path(obj, "/spec/verify")) {
        out->verify = ED_CTRL_VERIFIED_NONE;
        return 0;
    }
    const char *mode = str_at(obj, "/spec/verify/mode");
    out->verify_mode = !mode || strcasecmp(mode, "head") == 0 ? "HEAD" : mode;
    const char *seen = str_at(obj, "/status/sourceVerificationMode");
    const ed_node *conds = ed_node_path(obj, "/status/conditions");
    if (current && seen && strcmp(seen, out->verify_mode) == 0 &&
        ed_cond_status(conds, "SourceVerified") &&
        strcmp(ed_cond_status(conds, "SourceVerified"), "True") == 0)
        return 0;
    const char *ns = str_at(obj, "/metadata/namespace");
    const char *secret_name = str_at(obj, "/spec/verify/secretRef/name");
    ed_doc *secretdoc = NULL;
    ed_source_secret_entry *keys = NULL;
    char **bufs = NULL;
    int nkeys = 0;
    ed_err err = ED_ERR_INIT;
    int rc = secret_name ? ed_kube_get(c->o.kube, "v1", "Secret", ns, secret_name, &secretdoc, &err)
                         : ed_err_set(&err, ED_EINVALID, "spec.verify.secretRef.name is empty");
    if (rc == 0 && (nkeys = secret_entries(ed_doc_root(secretdoc), &keys, &bufs)) < 0)
        rc = ed_err_set(&err, ED_EINVALID, "secret '%s/%s' holds invalid data", ns, secret_name);
    ed_source_verify_result vr = {.reason = "VerificationError"};
    if (rc) {
        ed_err_wrap(&err, "PGP public keys secret error");
    } else {
        ed_source_verify_opts vo = {.url = url,
                                    .commit = res->commit,
                                    .head = strcmp(out->verify_mode, "Tag") != 0,
                                    .tag = strcmp(out->verify_mode, "Tag") == 0 ||
                                           strcmp(out->verify_mode, "TagAndHEAD") == 0,
                                    .keys = keys,
                                    .nkeys = (size_t)nkeys};
        char *tag_ref = fetched_tag_ref(obj, res->revision);
        vo.tag_ref = tag_ref;
        rc = ed_source_git_verify(c->o.cache, &vo, &vr, &err);
        free(tag_ref);
    }
    if (rc) {
        out->verify = ED_CTRL_VERIFIED_FAILED;
        out->cond = "SourceVerified";
        out->reason = vr.reason;
        /* A tag mode on a ref without a tag object: Flux stalls until the spec changes. */
        out->stalled = strcmp(vr.reason, "InvalidVerificationMode") == 0;
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
    } else {
        out->verify = ED_CTRL_VERIFIED_OK;
        snprintf(out->verify_message, sizeof(out->verify_message), "%s", vr.message);
        /* Flux's trace of a verification: a Normal event with the condition's message and no
         * annotations, once per verification (not when the artifact is current). */
        record_event(c, obj, "Normal", "Succeeded", vr.message, NULL, NULL);
    }
    free_secret(keys, bufs, nkeys > 0 ? nkeys : 0);
    ed_doc_free(secretdoc);
    return rc;
}

/*
 * spec.provider github: the secretRef's GitHub App exchanged for an installation token, in
 * Flux's order and words (source-controller's getAuthOpts): the URL's own checks first (an
 * ssh:// URL wants its identity, as without a provider), then ed_ctrl_github_app_login. On
 * failure out has Flux's reason: no secretRef stalls (InvalidProviderConfiguration), a Secret
 * without App data (or without its ID or key) is the same unstalled; a Secret with both or
 * neither installation keys, whose error Flux returns without a condition of its own (its Ready
 * says only that the reconcile is in progress), and the API's refusal are AuthenticationFailed.
 */
static int github_app_login(const ed_node *obj, const char *ns, const char *secret_name,
                            const ed_source_secret_entry *secret, int nsecret,
                            const ed_source_secret_entry *proxy, int nproxy,
                            ed_ctrl_github_creds *creds, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    size_t n = nsecret > 0 ? (size_t)nsecret : 0;
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = str_at(obj, "/spec/url");
    fo.secret = secret;
    fo.secret_len = n;
    fo.proxy = proxy;
    fo.proxy_len = nproxy > 0 ? (size_t)nproxy : 0;
    int rc = ed_source_git_auth_check(&fo, &err);
    if (rc != 0) {
        out->reason = rc == ED_EAUTH ? "AuthenticationFailed" : "URLInvalid";
        snprintf(out->message, sizeof(out->message), "%s%s",
                 rc == ED_EAUTH ? "failed to configure authentication options: " : "", err.msg);
        return rc;
    }
    ed_ctrl_github_failure why;
    rc = ed_ctrl_github_app_login("gitrepository", ns, str_at(obj, "/metadata/name"), secret_name,
                                  secret, n, proxy, fo.proxy_len, creds, &why, &err);
    if (rc != 0) {
        bool config = why == ED_CTRL_GITHUB_NO_SECRET || why == ED_CTRL_GITHUB_NO_APP;
        out->reason = config ? "InvalidProviderConfiguration" : "AuthenticationFailed";
        out->stalled = why == ED_CTRL_GITHUB_NO_SECRET;
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
    }
    return rc;
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_gitrepo_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL, *secretdoc = NULL, *proxydoc = NULL, *artdoc = NULL;
    ed_source_secret_entry *secret = NULL, *proxy = NULL;
    char **secret_bufs = NULL, **proxy_bufs = NULL;
    ed_ctrl_github_creds gh = {0};
    const char **sparse = NULL;
    int nsecret = 0, nproxy = 0;
    struct includes inc = {0};
    struct outcome out = {.ok = false, .cond = "FetchFailed", .reason = "GitOperationFailed"};
    int rc;
    if (ed_ctrl_begin(&c->kind, ns, name, &objdoc, &rc, &err) == ED_CTRL_STOP)
        goto done;
    ed_node *obj = ed_doc_root(objdoc);
    ed_ctrl_source_gc(c->o.store, obj, c->o.retention_records, c->o.retention_ttl_ms,
                      "gitrepository");
    int64_t interval = ed_ctrl_interval(obj, 60000);

    /* 3. Proxy and credentials, in Flux's order. spec.provider azure and aws (workload
     * identity) are not built: refused as Flux refuses a provider it cannot configure
     * (stalled, InvalidProviderConfiguration), rather than fetched with the secretRef's
     * credentials or none, which would fail later with a misleading message. */
    const char *provider = str_at(obj, "/spec/provider");
    bool github = provider && strcmp(provider, "github") == 0;
    if (provider && !github && strcmp(provider, "generic") != 0) {
        rc = ED_EINVALID;
        out.reason = "InvalidProviderConfiguration";
        out.stalled = true;
        snprintf(out.message, sizeof(out.message),
                 "spec.provider '%s' is not supported by eddy yet: only generic (the secretRef)",
                 provider);
        goto status;
    }
    const char *proxy_name = str_at(obj, "/spec/proxySecretRef/name");
    if (proxy_name &&
        (rc = read_proxy(c, ns, proxy_name, &proxydoc, &proxy, &proxy_bufs, &nproxy, &out)) != 0)
        goto status;
    const char *secret_name = str_at(obj, "/spec/secretRef/name");
    if (secret_name && (rc = read_secret(c, ns, secret_name, &secretdoc, &secret, &secret_bufs,
                                         &nsecret, &out)) != 0)
        goto status;
    if (github) {
        if ((rc = github_app_login(obj, ns, secret_name, secret, nsecret, proxy, nproxy, &gh,
                                   &out)) != 0)
            goto status;
    } else if (secret_name && secret_has(secret, nsecret, "githubAppID")) {
        /* Flux's hint for a GitHub App Secret without the provider that reads it. */
        rc = ED_EINVALID;
        out.reason = "InvalidProviderConfiguration";
        snprintf(out.message, sizeof(out.message),
                 "secretRef '%s/%s' has github app data but provider is not set to github", ns,
                 secret_name);
        goto status;
    }

    /* 4. Includes. */
    if ((rc = read_includes(c, obj, ns, &inc, &out)) != 0)
        goto status;

    /* 5. Fetch. */
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = str_at(obj, "/spec/url");
    fo.ref.branch = str_at(obj, "/spec/ref/branch");
    fo.ref.tag = str_at(obj, "/spec/ref/tag");
    fo.ref.semver = str_at(obj, "/spec/ref/semver");
    fo.ref.name = str_at(obj, "/spec/ref/name");
    fo.ref.commit = str_at(obj, "/spec/ref/commit");
    fo.secret = gh.entries ? gh.entries : secret;
    fo.secret_len = gh.entries ? gh.n : nsecret > 0 ? (size_t)nsecret : 0;
    fo.proxy = proxy;
    fo.proxy_len = nproxy > 0 ? (size_t)nproxy : 0;
    fo.timeout_ms = 60000; /* Flux's default */
    const char *in_storage =
        ed_cond_status(ed_node_path(obj, "/status/conditions"), "ArtifactInStorage");
    fo.last_observed =
        str_at(obj, "/status/artifact/revision") && in_storage && strcmp(in_storage, "True") == 0;
    const char *tmo = str_at(obj, "/spec/timeout");
    if (tmo && (ed_duration_parse(tmo, &fo.timeout_ms, &err) != 0 || fo.timeout_ms <= 0)) {
        rc = ED_EINVALID;
        out.reason = "InvalidTimeout";
        snprintf(out.message, sizeof(out.message),
                 "invalid spec.timeout '%s': a positive duration such as '60s' is required", tmo);
        goto status;
    }
    ed_source_git_result res;
    if ((rc = ed_source_git_auth_check(&fo, &err)) == ED_EAUTH) {
        out.reason = "AuthenticationFailed";
        if (identity_needs_password(&fo))
            snprintf(out.message, sizeof(out.message),
                     "SSH identity key is encrypted but no 'password' field was provided in the "
                     "secret '%s/%s'",
                     ns, secret_name);
        else
            snprintf(out.message, sizeof(out.message),
                     "failed to configure authentication options: %s", err.msg);
        goto status;
    }
    /* Flux removes ArtifactOutdated once it has the includes, before it fetches: a fetch that
     * fails now leaves none, one that finds a new revision marks it again; a failure before
     * here (a Secret, an include) leaves the earlier mark as it was. */
    out.fetching = true;
    rc = ed_source_git_fetch(c->o.cache, &fo, &res, &err);
    if (rc == 0)
        snprintf(out.subject, sizeof(out.subject), "%s", res.subject);

    if (rc && res.empty) {
        /* Flux's own reason and words for a repository without commits. */
        out.reason = "EmptyGitRepository";
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        goto status;
    } else if (rc) {
        out.reason = fetch_reason(rc);
        snprintf(out.message, sizeof(out.message), "failed to checkout and determine revision: %s",
                 err.msg);
        goto status;
    }

    /* 5b. Signatures. */
    bool current = artifact_current(c, obj, res.revision, &inc);
    if ((rc = verify_source(c, obj, fo.url, &res, current, &out)) != 0)
        goto status;
    /* (Flux marks the new revision once it is verified.) */
    const char *stored = str_at(obj, "/status/artifact/revision");
    if (!stored || strcmp(stored, res.revision) != 0)
        snprintf(out.new_revision, sizeof(out.new_revision), "%s", res.revision);

    /* 6. Artifact: reuse the stored one when nothing that shapes it changed. */
    if (current) {
        artdoc = ed_doc_new();
        ed_doc_set_root(artdoc, ed_node_copy(artdoc, ed_node_path(obj, "/status/artifact")));
        /* The URL as the store advertises it now (Flux rewrites it on every reconcile): a new
         * --storage-adv-addr or host name reaches status without a new commit. */
        const char *apath = str_at(ed_doc_root(artdoc), "/path");
        if (apath) {
            char *u = ed_artifact_store_url(c->o.store, apath);
            ed_node_set(artdoc, ed_doc_root(artdoc), "url", ed_node_new_str(artdoc, u));
            free(u);
        }
    } else {
        ed_source_checkout_opts co = ED_SOURCE_CHECKOUT_OPTS_INIT;
        co.url = fo.url;
        co.commit = res.commit;
        co.ignore = str_at(obj, "/spec/ignore");
        sparse = sparse_list(obj, &co.sparse_len);
        co.sparse = sparse;
        ed_node_bool(ed_node_path(obj, "/spec/recurseSubmodules"), &co.recurse_submodules);
        co.secret = fo.secret;
        co.secret_len = fo.secret_len;
        co.proxy = fo.proxy;
        co.proxy_len = fo.proxy_len;
        co.timeout_ms = fo.timeout_ms;
        ed_source_artifact_info info = {0};
        char *path = NULL, *url = NULL;
        rc = build_artifact(c, obj, &co, &inc, &info, &path, &url, &out);
        if (!rc)
            artdoc = artifact_doc(&info, path, url, res.revision);
        free(path);
        free(url);
        if (rc)
            goto status;
    }
    out.ok = true;
    out.reason = "Succeeded";
    snprintf(out.message, sizeof(out.message), "stored artifact for revision '%s'", res.revision);
    *requeue_after_ms = interval;

status:
    /* 7. One place writes status, and tells what happened. */
    if (write_status(c, obj, &out, artdoc ? ed_doc_root(artdoc) : NULL, &inc) != 0 && out.ok)
        rc = ED_ERETRY;
    /* Flux's line: the notice when there is one, else that nothing changed (Flux logs the
     * messages of its events, and of the trace events it does not send). */
    char note[ED_ERR_MSG_MAX] = "";
    if (out.ok) {
        /* Flux's notice: NewArtifact when the artifact's digest changed, Succeeded when it is
         * the same but the last reconcile had failed; "stored artifact for commit '<the
         * commit's subject>'", with the revision and digest as annotations. */
        const char *digest = str_at(ed_doc_root(artdoc), "/digest");
        const char *old_digest = str_at(obj, "/status/artifact/digest");
        const char *ready = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready");
        bool changed = !old_digest || !digest || strcmp(old_digest, digest) != 0;
        bool recovered = ready && strcmp(ready, "False") == 0;
        snprintf(note, sizeof(note), "no changes since last reconciliation: observed revision '%s'",
                 str_at(ed_doc_root(artdoc), "/revision"));
        if (changed || recovered) {
            snprintf(note, sizeof(note), "stored artifact for commit '%s'",
                     out.subject[0] ? out.subject : str_at(ed_doc_root(artdoc), "/revision"));
            record_event(c, obj, "Normal", changed ? "NewArtifact" : "Succeeded", note,
                         str_at(ed_doc_root(artdoc), "/revision"), digest);
        }
    } else {
        /* An include not there yet is Flux's "waiting" error, whose event is Normal. */
        bool waiting = out.cond && strcmp(out.cond, "IncludeUnavailable") == 0;
        record_event(c, obj, waiting ? "Normal" : "Warning", out.reason, out.message, NULL, NULL);
    }
    ed_ctrl_log_result("gitrepository", obj, out.ok, out.stalled, out.ok ? note : out.message);
    if (!out.ok) {
        if (out.stalled) {
            /* Nothing to retry: the next generation (or a reconcile request) is looked at. */
            *requeue_after_ms = 0;
            rc = 0;
        } else if (out.requeue_ms > 0) {
            /* Waiting for a dependency is not an error: look again later. */
            *requeue_after_ms = out.requeue_ms;
            rc = 0;
        } else if (!rc) {
            rc = ED_ERROR;
        }
    }
done:
    ed_ctrl_github_creds_clear(&gh);
    free_secret(secret, secret_bufs, nsecret > 0 ? nsecret : 0);
    free_secret(proxy, proxy_bufs, nproxy > 0 ? nproxy : 0);
    includes_free(&inc);
    free(sparse);
    ed_doc_free(secretdoc);
    ed_doc_free(proxydoc);
    ed_doc_free(artdoc);
    ed_doc_free(objdoc);
    return rc;
}

/* Whether repository r includes src (user) and recorded another artifact for it than it has
 * now. Another revision always counts (Flux's watch); another digest at the same revision
 * counts only for a src that includes nothing itself, so two repositories that include each
 * other cannot rebuild each other in a loop. */
static bool includes_changed(const char *key, const char *ns, const ed_node *r, void *user)
{
    (void)ns;
    const ed_node *src = user;
    const char *sname = str_at(src, "/metadata/name");
    const char *digest = str_at(src, "/status/artifact/digest");
    const char *revision = str_at(src, "/status/artifact/revision");
    bool leaf = ed_node_len(ed_node_path(src, "/spec/include")) == 0;
    const ed_node *list = ed_node_path(r, "/spec/include");
    const ed_node *had = ed_node_path(r, "/status/includedArtifacts");
    bool queue = false;
    for (size_t j = 0; j < ed_node_len(list); j++) {
        const char *dep = str_at(ed_node_at(list, j), "/repository/name");
        const char *seen_rev = str_at(ed_node_at(had, j), "/revision");
        const char *seen_digest = str_at(ed_node_at(had, j), "/digest");
        if (!dep || strcmp(dep, sname) != 0)
            continue;
        if (!seen_rev || strcmp(seen_rev, revision) != 0 ||
            (leaf && (!seen_digest || strcmp(seen_digest, digest) != 0)))
            queue = true;
    }
    if (queue)
        ed_log(ED_LOG_DEBUG, "queued by an included repository", "controller", "gitrepository",
               "object", key, NULL);
    return queue;
}

/* A GitRepository changed: queue the repositories of its namespace that include it. */
static void on_change(ed_kube_event_type type, const ed_node *src, void *user)
{
    (void)type;
    ed_gitrepo_controller *c = user;
    const char *sns = str_at(src, "/metadata/namespace"), *sname = str_at(src, "/metadata/name");
    if (!sns || !sname || !str_at(src, "/status/artifact/digest") ||
        !str_at(src, "/status/artifact/revision"))
        return;
    ed_ctrl_queue_matching(c->self, c->queue, sns, includes_changed, (void *)src);
}

ed_gitrepo_controller *ed_gitrepo_register(ed_manager *m, const ed_gitrepo_opts *opts)
{
    ed_gitrepo_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->kind =
        (ed_ctrl_kind){opts->kube, opts->metrics, API_VERSION, KIND, "gitrepository", finalize, c,
                       NULL,       NULL,          NULL,        false};
    c->queue = ed_ctrl_register(m, &c->kind, opts->workers, reconcile);
    c->self = ed_manager_informer(m, API_VERSION, KIND);
    ed_informer_add_handler(c->self, on_change, c);
    return c;
}

void ed_gitrepo_free(ed_gitrepo_controller *c)
{
    free(c);
}
