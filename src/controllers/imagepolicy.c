/*
 * The ImagePolicy reconciler (image.toolkit.fluxcd.io/v1), as Flux's image-reflector-controller
 * runs it:
 *
 *   1. read the object; on deletion remove the finalizer; a suspended object is left alone (but
 *      for lastHandledReconcileAt and observedGeneration, as in Flux);
 *   2. find spec.imageRepositoryRef (same namespace, or another one when the repository's
 *      spec.accessFrom.namespaceSelectors match the policy's namespace) and check that it has
 * scanned (Ready=True, lastScanResult);
 *   3. read the repository's tags from disk and choose with the policy (src/image/policy.c);
 *   4. reflect the digest when spec.digestReflectionPolicy asks (Always; IfNotPresent when the
 *      image name or tag changed or no digest is known);
 *   5. status in one place: latestRef {name, tag, digest}, observedPreviousRef when it moved,
 *      conditions with the v1 controller's Ready message, and an Event when that message
 *      changes or the policy becomes ready.
 *
 * A policy is evaluated again as soon as its repository's scan changes: a handler on the
 * ImageRepository informer queues the policies that reference it.
 */
#include "image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_VERSION "image.toolkit.fluxcd.io/v1"
#define KIND        "ImagePolicy"
#define MANAGER     "image-reflector-controller"
#define NAME        "imagepolicy"

struct ed_imagepolicy_controller {
    ed_imagepolicy_opts o;
    ed_ctrl_kind kind;
    ed_informer *self;  /* ImagePolicies, to find those that use a repository */
    ed_informer *repos; /* ImageRepositories */
    ed_queue *queue;
};

struct outcome {
    bool ok;
    bool stalled;
    const char *reason;
    char message[ED_ERR_MSG_MAX * 2];
    char image[1024];
    char tag[256];
    char digest[ED_DIGEST_MAX];
    bool no_tags; /* the repository has no tags yet: asked again after --requeue-dependency */
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

/* Flux's ACL: a repository is used from another namespace only when one of its
 * spec.accessFrom.namespaceSelectors matches that namespace's labels (an empty matchLabels
 * matches every namespace). */
static bool access_allowed(ed_imagepolicy_controller *c, const ed_node *repo, const char *ns)
{
    const ed_node *sels = ed_node_path(repo, "/spec/accessFrom/namespaceSelectors");
    if (ed_node_len(sels) == 0)
        return false;
    ed_doc *nsdoc = NULL;
    if (ed_kube_get(c->o.kube, "v1", "Namespace", NULL, ns, &nsdoc, NULL) != 0)
        return false;
    const ed_node *labels = ed_node_path(ed_doc_root(nsdoc), "/metadata/labels");
    bool allowed = false;
    for (size_t i = 0; i < ed_node_len(sels) && !allowed; i++) {
        const ed_node *ml = ed_node_get(ed_node_at(sels, i), "matchLabels");
        bool all = true;
        for (size_t k = 0; k < ed_node_len(ml) && all; k++) {
            const char *want = ed_node_str(ed_node_value_at(ml, k));
            const char *have = ed_node_str(ed_node_get(labels, ed_node_key_at(ml, k)));
            all = want && have && strcmp(want, have) == 0;
        }
        allowed = all;
    }
    ed_doc_free(nsdoc);
    return allowed;
}

/* The repository has no tags yet: DependencyNotReady, asked again after --requeue-dependency,
 * in Flux's words ("retrying in 30s error: no tags in database"). */
static void no_tags(const ed_imagepolicy_controller *c, struct outcome *out)
{
    char wait[32];
    int64_t ms = c->o.requeue_dependency_ms > 0 ? c->o.requeue_dependency_ms : 30000;
    /* Flux rounds the interval to the second. */
    ed_duration_string((ms + 500) / 1000 * 1000000000LL, wait);
    out->reason = "DependencyNotReady";
    out->no_tags = true;
    snprintf(out->message, sizeof(out->message), "retrying in %s error: no tags in database", wait);
}

/* Phase 2: the repository (a new document) when it is usable; else out says why. */
static ed_doc *find_repository(ed_imagepolicy_controller *c, const ed_node *obj,
                               struct outcome *out)
{
    const char *ns = str_at(obj, "/metadata/namespace");
    const char *rname = str_at(obj, "/spec/imageRepositoryRef/name");
    const char *rns = str_at(obj, "/spec/imageRepositoryRef/namespace");
    if (!rns || !*rns)
        rns = ns;
    /* Flux's lockdown, checked before the repository is looked at: its accessFrom cannot
     * admit what the controller's flag refuses. */
    if (c->o.no_cross_namespace_refs && strcmp(rns, ns) != 0) {
        out->reason = "AccessDenied";
        snprintf(out->message, sizeof(out->message),
                 "failed to get the referred ImageRepository: access denied: cannot access "
                 "'ImageRepository/%s/%s', cross-namespace references have been blocked",
                 rns, rname ? rname : "");
        return NULL;
    }
    ed_doc *repo = ed_informer_get(c->repos, rns, rname);
    out->reason = "DependencyNotReady";
    if (!repo) {
        snprintf(out->message, sizeof(out->message),
                 "failed to get the referred ImageRepository: referenced ImageRepository does not "
                 "exist: ImageRepository.image.toolkit.fluxcd.io \"%s\" not found",
                 rname);
        return NULL;
    }
    const ed_node *r = ed_doc_root(repo);
    /* Not stalled: labelling the namespace later admits it, and nothing queues the policy
     * then, so it is retried, as Flux retries it. */
    if (strcmp(rns, ns) != 0 && !access_allowed(c, r, ns)) {
        out->reason = "AccessDenied";
        /* Flux's ACL words: no accessFrom at all, or no selector matching. */
        if (!ed_node_path(r, "/spec/accessFrom"))
            snprintf(out->message, sizeof(out->message),
                     "failed to get the referred ImageRepository: access denied: '%s/%s' can't "
                     "be accessed due to missing ACL labels on 'accessFrom'",
                     rns, rname);
        else
            snprintf(out->message, sizeof(out->message),
                     "failed to get the referred ImageRepository: access denied: '%s/%s' can't "
                     "be accessed due to ACL labels mismatch on namespace '%s'",
                     rns, rname, ns);
        ed_doc_free(repo);
        return NULL;
    }
    /* A repository whose image cannot be parsed never scans: the policy stalls as well. */
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    if (ed_image_ref_parse(str_at(r, "/spec/image"), &ref, &err) != 0) {
        out->reason = "ImageURLInvalid";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
        ed_doc_free(repo);
        return NULL;
    }
    /* Flux needs the tags of a scan, not a repository that is Ready now: a registry that fails
     * a later scan leaves the policies on the tags of the last good one. */
    if (!ed_node_path(r, "/status/lastScanResult")) {
        no_tags(c, out);
        ed_doc_free(repo);
        return NULL;
    }
    return repo;
}

/* The policy spec from the object; ED_EINVALID when none of the three is set. */
static int policy_spec(const ed_node *obj, ed_policy_spec *spec, ed_err *err)
{
    memset(spec, 0, sizeof(*spec));
    const ed_node *p = ed_node_path(obj, "/spec/policy");
    if (ed_node_get(p, "semver")) {
        spec->kind = ED_POLICY_SEMVER;
        spec->range = str_at(p, "/semver/range");
    } else if (ed_node_get(p, "alphabetical")) {
        spec->kind = ED_POLICY_ALPHABETICAL;
        const char *o = str_at(p, "/alphabetical/order");
        spec->descending = o && strcmp(o, "desc") == 0;
    } else if (ed_node_get(p, "numerical")) {
        spec->kind = ED_POLICY_NUMERICAL;
        const char *o = str_at(p, "/numerical/order");
        spec->descending = o && strcmp(o, "desc") == 0;
    } else {
        return ed_err_set(err, ED_EINVALID,
                          "spec.policy: one of semver, alphabetical or numerical is required");
    }
    spec->filter = str_at(obj, "/spec/filterTags/pattern");
    spec->extract = str_at(obj, "/spec/filterTags/extract");
    return 0;
}

/* Phase 4: the digest, when the policy asks for it. */
static int reflect_digest(ed_imagepolicy_controller *c, const ed_node *obj, const ed_node *repo,
                          struct outcome *out, ed_err *err)
{
    const char *mode = str_at(obj, "/spec/digestReflectionPolicy");
    if (!mode || strcmp(mode, "Never") == 0)
        return 0;
    /* IfNotPresent keeps a digest only for the same image name and tag: a repository pointed
     * at another image (spec.image changed) is asked again, as Flux does. */
    const char *old_name = str_at(obj, "/status/latestRef/name");
    const char *old_tag = str_at(obj, "/status/latestRef/tag");
    const char *old_digest = str_at(obj, "/status/latestRef/digest");
    if (strcmp(mode, "IfNotPresent") == 0 && old_name && old_tag && old_digest && *old_digest &&
        strcmp(old_name, out->image) == 0 && strcmp(old_tag, out->tag) == 0) {
        snprintf(out->digest, sizeof(out->digest), "%s", old_digest);
        return 0;
    }
    ed_image_ref ref;
    int rc = ed_image_ref_parse(str_at(repo, "/spec/image"), &ref, err);
    if (rc)
        return rc;
    ed_registry_opts ro = {0};
    ed_node_bool(ed_node_path(repo, "/spec/insecure"), &ro.insecure);
    ed_ctrl_registry_auth auth;
    rc = ed_ctrl_registry_auth_read(c->o.kube, repo, &ref, ED_CTRL_AUTH_REFLECTOR, &auth, &ro, NULL,
                                    err);
    if (!rc)
        rc = ed_registry_digest(&ref, &ro, out->tag, out->digest, err);
    ed_ctrl_registry_auth_clear(&auth);
    return rc;
}

/* Phases 2-4. */
static void evaluate(ed_imagepolicy_controller *c, const ed_node *obj, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    ed_doc *repo = find_repository(c, obj, out);
    if (!repo)
        return;
    const ed_node *r = ed_doc_root(repo);
    char **tags = NULL;
    size_t n = 0;
    ed_policy_spec spec;
    const char *chosen = NULL;
    snprintf(out->image, sizeof(out->image), "%s", str_at(r, "/spec/image"));
    int rc = policy_spec(obj, &spec, &err);
    if (rc) {
        out->reason = "InvalidPolicy";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
        goto out;
    }
    rc = ed_image_tags_load(c->o.storage_path, str_at(r, "/metadata/namespace"),
                            str_at(r, "/metadata/name"), &tags, &n, &err);
    if (rc == ED_ENOTFOUND || (!rc && n == 0)) {
        no_tags(c, out);
        goto out;
    }
    if (rc) {
        out->reason = "Failure";
        snprintf(out->message, sizeof(out->message), "failed to read tags from database: %s",
                 err.msg);
        goto out;
    }
    /* Flux's reasons: a spec that cannot work stalls (InvalidPolicy); no tag to choose, or a
     * numerical policy over a tag that is not a number, is a Failure retried with backoff
     * (the next scan may bring one). */
    rc = ed_policy_latest(&spec, (const char *const *)tags, n, &chosen, &err);
    if (rc == ED_EINVALID) {
        out->reason = "InvalidPolicy";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "%s%s",
                 strncmp(err.msg, "invalid regular expression", 26) == 0 ? "failed to filter tags: "
                                                                         : "invalid policy: ",
                 err.msg);
        goto out;
    }
    if (rc) {
        out->reason = "Failure";
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
        goto out;
    }
    snprintf(out->tag, sizeof(out->tag), "%s", chosen);
    if (reflect_digest(c, obj, r, out, &err) != 0) {
        out->reason = "ReconciliationFailed";
        snprintf(out->message, sizeof(out->message), "failed fetching digest of %s:%s: %s",
                 out->image, out->tag, err.msg);
        goto out;
    }
    out->ok = true;
    out->reason = "Succeeded"; /* the message needs the previous ref: write_status composes it */
out:
    ed_registry_tags_free(tags);
    ed_doc_free(repo);
}

/* An ImageRef for the status patch. The patch is a merge patch: a digest the live ref (live,
 * or NULL) has and this one does not is removed with null, else it would stay and pin the new
 * tag to the old tag's manifest. */
static ed_node *ref_node(ed_doc *d, const char *name, const char *tag, const char *digest,
                         const ed_node *live)
{
    ed_node *ref = ed_node_new_map(d);
    ed_node_set(d, ref, "name", ed_node_new_str(d, name));
    ed_node_set(d, ref, "tag", ed_node_new_str(d, tag));
    if (digest && *digest)
        ed_node_set(d, ref, "digest", ed_node_new_str(d, digest));
    else if (ed_node_get(live, "digest"))
        ed_node_set(d, ref, "digest", ed_node_new_null(d));
    return ref;
}

static bool same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/*
 * The v1 controller's Ready message: "Latest image tag for <name> resolved to <tag>", then
 * " with digest <digest>" when one is reflected, then " (previously <name>:<tag>[@<digest>])"
 * while observedPreviousRef differs from latestRef.
 */
static void ready_message(struct outcome *out, const ed_node *prev)
{
    int n = snprintf(out->message, sizeof(out->message), "Latest image tag for %s resolved to %s",
                     out->image, out->tag);
    if (out->digest[0] && n > 0 && (size_t)n < sizeof(out->message))
        n += snprintf(out->message + n, sizeof(out->message) - (size_t)n, " with digest %s",
                      out->digest);
    const char *pname = str_at(prev, "/name"), *ptag = str_at(prev, "/tag");
    const char *pdigest = str_at(prev, "/digest");
    if (!prev ||
        (same_str(pname, out->image) && same_str(ptag, out->tag) && same_str(pdigest, out->digest)))
        return;
    if (n > 0 && (size_t)n < sizeof(out->message))
        snprintf(out->message + n, sizeof(out->message) - (size_t)n, " (previously %s:%s%s%s)",
                 pname ? pname : "", ptag ? ptag : "", pdigest && *pdigest ? "@" : "",
                 pdigest && *pdigest ? pdigest : "");
}

/* Phase 5. Returns true when latestRef changed. */
static bool write_status(ed_imagepolicy_controller *c, const ed_node *obj, struct outcome *out)
{
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    const ed_node *old = ed_node_path(obj, "/status/latestRef");
    const char *old_name = str_at(old, "/name"), *old_tag = str_at(old, "/tag");
    const char *old_digest = str_at(old, "/digest");
    bool changed = false;
    if (out->ok) {
        changed = !old_tag || strcmp(old_tag, out->tag) != 0 || !old_name ||
                  strcmp(old_name, out->image) != 0 ||
                  strcmp(old_digest ? old_digest : "", out->digest) != 0;
        ed_node_set(d, sp.status, "latestRef", ref_node(d, out->image, out->tag, out->digest, old));
        const ed_node *prev = ed_node_path(obj, "/status/observedPreviousRef");
        if (changed && old_tag && old_name) {
            ed_node *p = ref_node(d, old_name, old_tag, old_digest, prev);
            ed_node_set(d, sp.status, "observedPreviousRef", p);
            prev = p;
        }
        ready_message(out, prev);
        ed_cond_set(d, sp.conditions, "Ready", "True", out->reason, out->message, sp.generation);
        ed_cond_remove(sp.conditions, "Reconciling");
        ed_cond_remove(sp.conditions, "Stalled");
        ed_node_set(d, sp.status, "observedGeneration", ed_node_new_int(d, sp.generation));
    } else {
        char progress[160];
        ed_status_progress(obj, progress, sizeof(progress));
        ed_status_failed(&sp, out->stalled, out->reason, out->message, progress);
    }
    ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, NAME);
    /* Flux's notify: an Event with the Ready message when the policy becomes ready or its
     * message changes (a new tag, digest or previous ref), else the same as its trace; a
     * failure every time. */
    ed_ctrl_notify(c->o.kube, obj, MANAGER, out->ok, out->reason, out->message, out->message, NULL);
    return changed;
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_imagepolicy_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL;
    int rc;
    if (ed_ctrl_begin(&c->kind, ns, name, &objdoc, &rc, &err) == ED_CTRL_STOP)
        goto done;
    ed_node *obj = ed_doc_root(objdoc);
    struct outcome out = {0};
    evaluate(c, obj, &out);
    write_status(c, obj, &out);
    /* controller-runtime's line for the error Flux returns for a retry: none when stalled or
     * when the repository has no tags yet (requeued after --requeue-dependency). */
    if (!out.ok && !out.stalled && !out.no_tags)
        ed_ctrl_log_result(NAME, obj, false, false, out.message);
    if (out.ok) {
        *requeue_after_ms = ed_ctrl_interval(obj, *requeue_after_ms);
    } else {
        /* A repository that is not ready queues us when it becomes ready; a stalled spec waits
         * for a new generation. Other failures back off. */
        rc = out.stalled || strcmp(out.reason, "DependencyNotReady") == 0 ? 0 : ED_ERROR;
        if (out.no_tags)
            *requeue_after_ms = c->o.requeue_dependency_ms > 0 ? c->o.requeue_dependency_ms : 30000;
    }
done:
    ed_doc_free(objdoc);
    return rc;
}

/* Whether policy pol uses the ImageRepository that changed (named by user). */
static bool uses_repository(const char *key, const char *ns, const ed_node *pol, void *user)
{
    (void)key;
    const ed_node *repo = user;
    const char *rns = str_at(repo, "/metadata/namespace");
    const char *rname = str_at(repo, "/metadata/name");
    const char *ref_ns = str_at(pol, "/spec/imageRepositoryRef/namespace");
    const char *ref_name = str_at(pol, "/spec/imageRepositoryRef/name");
    if (!ref_ns || !*ref_ns)
        ref_ns = ns;
    return ref_name && rname && rns && strcmp(ref_name, rname) == 0 && strcmp(ref_ns, rns) == 0;
}

/* An ImageRepository changed: queue the policies that reference it. */
static void on_repository(ed_kube_event_type type, const ed_node *repo, void *user)
{
    (void)type;
    ed_imagepolicy_controller *c = user;
    ed_ctrl_queue_matching(c->self, c->queue, NULL, uses_repository, (void *)repo);
}

ed_imagepolicy_controller *ed_imagepolicy_register(ed_manager *m, const ed_imagepolicy_opts *opts)
{
    ed_imagepolicy_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->kind = (ed_ctrl_kind){opts->kube, opts->metrics,           API_VERSION, KIND, NAME, NULL, c,
                             NULL,       ED_CTRL_IMAGE_SUSPENDED, MANAGER,     false};
    c->queue = ed_ctrl_register(m, &c->kind, opts->workers, reconcile);
    c->self = ed_manager_informer(m, API_VERSION, KIND);
    c->repos = ed_manager_informer(m, API_VERSION, "ImageRepository");
    ed_informer_add_handler(c->repos, on_repository, c);
    return c;
}

void ed_imagepolicy_free(ed_imagepolicy_controller *c)
{
    free(c);
}
