/*
 * The ImageUpdateAutomation reconciler (image.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's image-automation-controller:
 *
 *   1. read the object; on deletion remove the finalizer; a suspended object is left alone (but
 *      for its generation, recorded as observed when it is Ready or Stalled, as Flux's deferred
 *      patch records it);
 *   2. the source: spec.sourceRef's GitRepository (its URL and secretRef; a provider other than
 *      generic refused, as the GitRepository refuses it), the checkout ref
 *      (git.checkout.ref, else the GitRepository's ref; a tag, semver range or commit needs
 *      git.push.branch), the signing key, the push options, the GitRepository's spec.timeout
 *      (each fetch and push; Flux's default of a minute);
 *   3. the policies: the ImagePolicies of the namespace that match spec.policySelector, each
 *      with its status.latestRef;
 *   4. update: fetch the branch into the persistent Git cache, apply the setters to the YAML
 *      files under spec.update.path (src/image/setters.c), and when a file changed, commit with
 *      git.commit.author and the messageTemplate (src/image/template.c) and push to
 *      git.push.branch / refspec (src/source/push.c: a rejected push is retried from the new
 *      head in-process);
 *   5. status in one place: lastAutomationRunTime, lastPushCommit, lastPushTime,
 *      observedPolicies, observedSourceRevision, conditions; an Event for a push or a failure.
 *
 * Runs every spec.interval, and at once when an ImagePolicy of its namespace changes.
 */
#include "image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_VERSION     "image.toolkit.fluxcd.io/v1"
#define KIND            "ImageUpdateAutomation"
#define MANAGER         "image-automation-controller"
#define NAME            "imageupdateautomation"
#define DEFAULT_MESSAGE "Update from image update automation"

struct ed_imageupdate_controller {
    ed_imageupdate_opts o;
    ed_ctrl_kind kind;
    ed_informer *policies;
    ed_informer *self;
    ed_queue *queue;
};

struct outcome {
    bool ok;
    bool stalled;
    bool switched_branch; /* git.push.branch is not the checkout branch */
    const char *reason;
    char message[ED_ERR_MSG_MAX * 3];
};

/* What the setters and the message need during one update. */
struct run {
    ed_imageupdate_controller *c;
    const ed_node *obj;
    ed_doc *selected; /* a map: policy name -> the policy object */
    ed_setter_changes changes;
    char template_error[ED_ERR_MSG_MAX];
    bool template_exec_error; /* template_error is the template's execution's, not its parse's */
    char *message;            /* the commit message of the last update, for the event */
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

/* One matchExpressions requirement against labels. */
static bool expression_matches(const ed_node *labels, const ed_node *req)
{
    const char *key = str_at(req, "/key"), *op = str_at(req, "/operator");
    const char *v = key ? ed_node_str(ed_node_get(labels, key)) : NULL;
    const ed_node *values = ed_node_get(req, "values");
    bool in = false;
    for (size_t i = 0; v && i < ed_node_len(values); i++)
        in = in ||
             strcmp(ed_node_str(ed_node_at(values, i)) ? ed_node_str(ed_node_at(values, i)) : "",
                    v) == 0;
    if (!op)
        return false;
    if (strcmp(op, "In") == 0)
        return in;
    if (strcmp(op, "NotIn") == 0)
        return !in;
    if (strcmp(op, "Exists") == 0)
        return v != NULL;
    if (strcmp(op, "DoesNotExist") == 0)
        return v == NULL;
    return false;
}

/* Does the LabelSelector sel (NULL: everything) match obj's labels? */
static bool selector_matches(const ed_node *sel, const ed_node *obj)
{
    const ed_node *labels = ed_node_path(obj, "/metadata/labels");
    const ed_node *ml = ed_node_get(sel, "matchLabels");
    for (size_t i = 0; i < ed_node_len(ml); i++) {
        const char *want = ed_node_str(ed_node_value_at(ml, i));
        const char *have = ed_node_str(ed_node_get(labels, ed_node_key_at(ml, i)));
        if (!want || !have || strcmp(want, have) != 0)
            return false;
    }
    const ed_node *me = ed_node_get(sel, "matchExpressions");
    for (size_t i = 0; i < ed_node_len(me); i++)
        if (!expression_matches(labels, ed_node_at(me, i)))
            return false;
    return true;
}

/* Check the selector's operators (InvalidPolicySelector otherwise). */
static int selector_valid(const ed_node *sel, ed_err *err)
{
    const ed_node *me = ed_node_get(sel, "matchExpressions");
    for (size_t i = 0; i < ed_node_len(me); i++) {
        const char *op = str_at(ed_node_at(me, i), "/operator");
        if (!op || (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0 &&
                    strcmp(op, "Exists") != 0 && strcmp(op, "DoesNotExist") != 0))
            return ed_err_set(err, ED_EINVALID,
                              "spec.policySelector.matchExpressions[%zu]: invalid operator '%s'", i,
                              op ? op : "");
    }
    return 0;
}

/* Phase 3: the selected policies of the namespace, into a map name -> object. */
static ed_doc *select_policies(ed_imageupdate_controller *c, const ed_node *obj)
{
    const char *ns = str_at(obj, "/metadata/namespace");
    const ed_node *sel = ed_node_path(obj, "/spec/policySelector");
    ed_doc *d = ed_doc_new();
    ed_node *map = ed_node_new_map(d);
    ed_doc_set_root(d, map);
    size_t n = 0;
    char **keys = ed_informer_keys(c->policies, &n);
    for (size_t i = 0; i < n; i++) {
        char pns[256];
        const char *pname = ed_key_split(keys[i], pns, sizeof(pns));
        if (strcmp(pns, ns) == 0) {
            ed_doc *p = ed_informer_get(c->policies, pns, pname);
            if (p && selector_matches(sel, ed_doc_root(p)))
                ed_node_set(d, map, pname, ed_node_copy(d, ed_doc_root(p)));
            ed_doc_free(p);
        }
        free(keys[i]);
    }
    free(keys);
    return d;
}

/* The setters' view of the policies: selected ones with a latestRef apply; others are left
 * alone; a policy that exists nowhere is an error. */
static int lookup_policy(const char *ns, const char *name, ed_setter_image *out, void *user)
{
    struct run *r = user;
    const char *own_ns = str_at(r->obj, "/metadata/namespace");
    if (strcmp(ns, own_ns) == 0) {
        const ed_node *p = ed_node_get(ed_doc_root(r->selected), name);
        if (p && str_at(p, "/status/latestRef/tag") && str_at(p, "/status/latestRef/name")) {
            out->name = str_at(p, "/status/latestRef/name");
            out->tag = str_at(p, "/status/latestRef/tag");
            out->digest = str_at(p, "/status/latestRef/digest");
            return 0;
        }
        if (p)
            return 1; /* selected, but no latest image yet */
    }
    ed_doc *p = ed_informer_get(r->c->policies, ns, name);
    if (!p)
        return ED_ENOTFOUND;
    ed_doc_free(p);
    return 1; /* another automation's policy */
}

static void run_begin(void *user)
{
    struct run *r = user;
    ed_setter_changes_free(&r->changes);
}

/* path (relative to the repository) relative to update.path, as Flux names the files of
 * .Changed.FileChanges: its reader walks update.path and records paths from there (from its
 * directory when update.path is a file). */
static const char *under_update_path(const char *path, const char *update_path)
{
    const char *p = update_path ? update_path : "";
    while (ed_str_has_prefix(p, "./"))
        p += 2;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    if (n == 1 && p[0] == '.')
        n = 0;
    if (n > 0 && strncmp(path, p, n) == 0 && path[n] == '/')
        return path + n + 1;
    if (n > 0 && strncmp(path, p, n) == 0 && path[n] == '\0') {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
    }
    return path;
}

static int run_edit(const char *path, const char *data, size_t len, ed_buf *out, bool *changed,
                    void *user, ed_err *err)
{
    struct run *r = user;
    size_t before = r->changes.n;
    *changed = false;
    if (!memmem(data, len, "\"$imagepolicy\"", 14))
        return 0; /* Flux's pre-screen: no marker, nothing to read */
    /* A marked file that is not YAML (a Helm template, say) is one Flux's reader skips as a
     * "problem file": it is left alone, and the other files are updated. */
    ed_doc **docs = NULL;
    size_t ndocs = 0;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_yaml(data, len, path, &docs, &ndocs, &perr) != 0) {
        ed_log(ED_LOG_INFO, "a marked file is not valid YAML: left alone", "controller", NAME,
               "name", str_at(r->obj, "/metadata/name"), "namespace",
               str_at(r->obj, "/metadata/namespace"), "error", perr.msg, NULL);
        return 0;
    }
    ed_doc_list_free(docs, ndocs);
    path = under_update_path(path, str_at(r->obj, "/spec/update/path"));
    int rc = ed_setters_apply(path, data, len, lookup_policy, r, out, &r->changes, err);
    if (rc)
        return rc;
    *changed = r->changes.n > before;
    return 0;
}

/* The messageTemplateValues as "key", "value", ..., NULL (borrowed strings); NULL when the
 * spec has none (the template's .Values is Go's nil map then, as Flux's). */
static const char **template_values(const ed_node *obj)
{
    const ed_node *m = ed_node_path(obj, "/spec/git/commit/messageTemplateValues");
    if (!m)
        return NULL;
    size_t n = ed_node_len(m);
    const char **kv = ed_xcalloc(2 * n + 1, sizeof(*kv));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = ed_node_str(ed_node_value_at(m, i));
        if (!v)
            continue;
        kv[k++] = ed_node_key_at(m, i);
        kv[k++] = v;
    }
    return kv;
}

static int run_message(void *user, char **message, ed_err *err)
{
    struct run *r = user;
    const char *tmpl = str_at(r->obj, "/spec/git/commit/messageTemplate");
    free(r->message);
    r->message = NULL;
    if (!tmpl || !*tmpl) {
        *message = ed_xstrdup(DEFAULT_MESSAGE);
        r->message = ed_xstrdup(*message);
        return 0;
    }
    const char **values = template_values(r->obj);
    ed_template_data d = {str_at(r->obj, "/metadata/namespace"), str_at(r->obj, "/metadata/name"),
                          &r->changes, values};
    /* Go's text/template named as Flux names it, and Flux's words around its errors: the
     * template's parse, then its execution. */
    int rc = ed_template_check(tmpl, "commit message", err);
    if (rc) {
        free(values);
        snprintf(r->template_error, sizeof(r->template_error), "%s", err->msg);
        r->template_exec_error = false;
        return ed_err_wrap(err, "unable to create commit message template from spec");
    }
    rc = ed_template_render(tmpl, "commit message", &d, message, err);
    free(values);
    if (rc) {
        snprintf(r->template_error, sizeof(r->template_error), "%s", err->msg);
        r->template_exec_error = true;
        return ed_err_wrap(err, "failed to run template from spec");
    }
    r->message = ed_xstrdup(*message);
    return 0;
}

/* Phase 2: the source's URL, credentials and branch. Fills fo-like fields; out says why not. */
struct source {
    ed_doc *doc;
    const char *url;
    char branch[256];
    ed_source_git_ref ref; /* the checkout ref (strings borrowed from the objects) */
    bool is_branch;        /* the checkout ref is a branch */
    ed_ctrl_secret secret;
    ed_ctrl_github_creds github; /* provider github: the App's token with the Secret's data */
    ed_ctrl_secret proxy;   /* the GitRepository's proxySecretRef: address, username, password */
    ed_ctrl_secret signing; /* signingKey's Secret: git.asc, passphrase (ssh: identity, password) */
    bool signing_ssh;       /* signingKey.type ssh */
    int64_t timeout_ms;     /* the GitRepository's spec.timeout */
    char **push_options;    /* git.push.options as option strings */
    size_t npush_options;
};

/* git.push.options, a map, as Flux sends it: one "key=value" option a key (go-git's encoding,
 * which keeps the '=' when the value is empty), in the object's key order. */
static void read_push_options(const ed_node *obj, struct source *src)
{
    const ed_node *m = ed_node_path(obj, "/spec/git/push/options");
    size_t n = ed_node_len(m);
    src->push_options = ed_xcalloc(n + 1, sizeof(*src->push_options));
    for (size_t i = 0; i < n; i++) {
        const char *v = ed_node_str(ed_node_value_at(m, i));
        src->push_options[src->npush_options++] =
            ed_xasprintf("%s=%s", ed_node_key_at(m, i), v ? v : "");
    }
}

/* The GitRepository's GitHub App (provider github) as the fetch's and push's credentials, or
 * Flux's refusal of App data without that provider (image-automation-controller's getAuthOpts):
 * no secretRef or no App data, and App data without the provider, stall the automation with
 * InvalidSourceConfiguration; a Secret with both or neither installation keys and a token the
 * API refuses are SourceManagerFailed, retried. */
static int github_login(struct source *src, const char *sns, const char *name, const char *secret,
                        bool github, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    if (!github) {
        size_t len = 0;
        if (!secret || !ed_ctrl_secret_value(&src->secret, "githubAppID", &len) || !len)
            return 0;
        out->reason = "InvalidSourceConfiguration";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "secretRef '%s/%s' has github app data but provider is not set to github: "
                 "invalid source configuration",
                 sns, secret);
        return ED_EINVALID;
    }
    ed_ctrl_github_failure why;
    int rc = ed_ctrl_github_app_login(
        "imageupdateautomation", sns, name, secret, src->secret.entries, src->secret.n,
        src->proxy.n ? src->proxy.entries : NULL, src->proxy.n, &src->github, &why, &err);
    if (rc == 0)
        return 0;
    if (why == ED_CTRL_GITHUB_NO_SECRET || why == ED_CTRL_GITHUB_NO_APP) {
        out->reason = "InvalidSourceConfiguration";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "%s: invalid source configuration", err.msg);
    } else {
        out->reason = "SourceManagerFailed";
        snprintf(out->message, sizeof(out->message), "failed configuring source manager: %s",
                 err.msg);
    }
    return rc;
}

static int read_source(ed_imageupdate_controller *c, const ed_node *obj, struct source *src,
                       struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    const char *ns = str_at(obj, "/metadata/namespace");
    const char *kind = str_at(obj, "/spec/sourceRef/kind");
    const char *name = str_at(obj, "/spec/sourceRef/name");
    const char *sns = str_at(obj, "/spec/sourceRef/namespace");
    out->reason = "InvalidSourceConfiguration";
    /* (the CRDs' enum admits GitRepository alone: this is for a cluster with other CRDs) */
    if (kind && strcmp(kind, "GitRepository") != 0) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "source kind '%s' not supported: invalid source configuration", kind);
        return ED_EINVALID;
    }
    if (!ed_node_path(obj, "/spec/git")) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "source kind 'GitRepository' necessitates field .spec.git: invalid source "
                 "configuration");
        return ED_EINVALID;
    }
    if (!sns || !*sns)
        sns = ns;
    /* Flux's lockdown (--no-cross-namespace-refs): terminal until the spec changes. */
    if (c->o.no_cross_namespace_refs && strcmp(sns, ns) != 0) {
        out->reason = "AccessDenied";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "can't access 'GitRepository/%s/%s', cross-namespace references have been "
                 "blocked",
                 sns, name ? name : "");
        return ED_EINVALID;
    }
    int rc = ed_kube_get(c->o.kube, "source.toolkit.fluxcd.io/v1", "GitRepository", sns, name,
                         &src->doc, &err);
    if (rc == ED_ENOTFOUND) {
        /* Flux's words; retried, as the GitRepository may come. */
        out->reason = "SourceManagerFailed";
        snprintf(out->message, sizeof(out->message),
                 "failed configuring source manager: referenced git repository does not exist: "
                 "GitRepository.source.toolkit.fluxcd.io \"%s\" not found",
                 name ? name : "");
        return rc;
    }
    if (rc) {
        snprintf(out->message, sizeof(out->message),
                 "failed to get source GitRepository '%s/%s': %s", sns, name ? name : "", err.msg);
        return rc;
    }
    const ed_node *repo = ed_doc_root(src->doc);
    src->url = str_at(repo, "/spec/url");
    const ed_node *ref = ed_node_path(obj, "/spec/git/checkout/ref");
    if (!ref)
        ref = ed_node_path(repo, "/spec/ref");
    const char *branch = str_at(ref, "/branch");
    src->ref.branch = branch;
    src->ref.tag = str_at(ref, "/tag");
    src->ref.semver = str_at(ref, "/semver");
    src->ref.name = str_at(ref, "/name");
    src->ref.commit = str_at(ref, "/commit");
    src->is_branch = !src->ref.tag && !src->ref.semver && !src->ref.name && !src->ref.commit;
    snprintf(src->branch, sizeof(src->branch), "%s", branch ? branch : "master");
    /* Flux pushes to a branch first, always (a refspec is pushed after it). */
    if (!src->is_branch && !str_at(obj, "/spec/git/push/branch")) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "push spec not provided, and cannot be inferred from .spec.git.checkout.ref or "
                 "GitRepository .spec.ref");
        return ED_EINVALID;
    }
    /* The GitRepository's provider authenticates the automation's fetch and push too (Flux):
     * azure and aws (workload identity) are not built, so they are refused here as the
     * GitRepository refuses them, rather than pushed with the secretRef's credentials or none,
     * which would fail later as an authentication error. github is below, once the Secrets are
     * read. */
    const char *provider = str_at(repo, "/spec/provider");
    bool github = provider && strcmp(provider, "github") == 0;
    if (provider && !github && strcmp(provider, "generic") != 0) {
        out->reason = "SourceManagerFailed";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "failed configuring source manager: GitRepository '%s/%s': spec.provider '%s' "
                 "is not supported by eddy yet: only generic (the secretRef)",
                 sns, name ? name : "", provider);
        return ED_EINVALID;
    }
    if (!src->url || (rc = ed_source_git_transport_check(src->url, &err)) != 0) {
        out->reason = "SourceManagerFailed";
        snprintf(out->message, sizeof(out->message),
                 "failed configuring source manager: failed to configure authentication options: "
                 "%s",
                 src->url ? err.msg : "GitRepository has no spec.url");
        return src->url ? rc : ED_EINVALID;
    }
    const char *secret = str_at(repo, "/spec/secretRef/name");
    if (secret && (rc = ed_ctrl_secret_read(c->o.kube, sns, secret, &src->secret, &err)) != 0) {
        out->reason = "AuthenticationFailed";
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
        return rc;
    }
    /* The GitRepository's proxy carries the automation's fetches and pushes too (Flux). */
    const char *proxy = str_at(repo, "/spec/proxySecretRef/name");
    if (proxy && (rc = ed_ctrl_secret_read(c->o.kube, sns, proxy, &src->proxy, &err)) != 0) {
        out->reason = "SourceManagerFailed";
        snprintf(out->message, sizeof(out->message),
                 "failed configuring source manager: failed to get proxy secret '%s/%s': %s", sns,
                 proxy, err.msg);
        return rc;
    }
    if (proxy && !ed_ctrl_secret_value(&src->proxy, "address", NULL)) {
        out->reason = "SourceManagerFailed";
        snprintf(out->message, sizeof(out->message),
                 "failed configuring source manager: invalid proxy secret '%s/%s': key 'address' "
                 "is missing",
                 sns, proxy);
        return ED_EINVALID;
    }
    if ((rc = github_login(src, sns, str_at(obj, "/metadata/name"), secret, github, out)) != 0)
        return rc;
    const char *key_secret = str_at(obj, "/spec/git/commit/signingKey/secretRef/name");
    const char *key_type = str_at(obj, "/spec/git/commit/signingKey/type");
    src->signing_ssh = key_type && strcmp(key_type, "ssh") == 0;
    if (key_type && strcmp(key_type, "gpg") != 0 && !src->signing_ssh) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "unknown signing key type \"%s\"", key_type);
        return ED_EINVALID;
    }
    if (key_secret &&
        (rc = ed_ctrl_secret_read(c->o.kube, ns, key_secret, &src->signing, &err)) != 0) {
        snprintf(out->message, sizeof(out->message), "could not find signing key secret '%s': %s",
                 key_secret, err.msg);
        return rc;
    }
    /* Flux's keys: git.asc (and passphrase) for gpg, identity (and password) for ssh. */
    const char *key_field = src->signing_ssh ? "identity" : "git.asc";
    if (key_secret && !ed_ctrl_secret_value(&src->signing, key_field, NULL)) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "signing key secret '%s' does not contain %s '%s' key", key_secret,
                 src->signing_ssh ? "an" : "a", key_field);
        return ED_EINVALID;
    }
    /* Flux bounds the clone and the push by the GitRepository's timeout, a minute by default. */
    src->timeout_ms = 60000;
    const char *tmo = str_at(repo, "/spec/timeout");
    if (tmo && (ed_duration_parse(tmo, &src->timeout_ms, &err) != 0 || src->timeout_ms <= 0)) {
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "GitRepository '%s/%s': invalid spec.timeout '%s'", sns, name ? name : "", tmo);
        return ED_EINVALID;
    }
    read_push_options(obj, src);
    return 0;
}

static void source_clear(struct source *src)
{
    ed_ctrl_secret_clear(&src->secret);
    ed_ctrl_github_creds_clear(&src->github);
    ed_ctrl_secret_clear(&src->proxy);
    ed_ctrl_secret_clear(&src->signing);
    ed_doc_free(src->doc);
    for (size_t i = 0; i < src->npush_options; i++)
        free(src->push_options[i]);
    free(src->push_options);
}

/* Phase 5. */
static void write_status(ed_imageupdate_controller *c, const ed_node *obj,
                         const struct outcome *out, const struct run *r,
                         const ed_source_git_update_result *res, const char *push_branch)
{
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    char now[32];
    ed_time_rfc3339(time(NULL), now);
    ed_node_set(d, sp.status, "lastAutomationRunTime", ed_node_new_str(d, now));
    if (out->ok) {
        ed_cond_set(d, sp.conditions, "Ready", "True", "Succeeded", out->message, sp.generation);
        ed_cond_remove(sp.conditions, "Reconciling");
        ed_cond_remove(sp.conditions, "Stalled");
        ed_node_set(d, sp.status, "observedGeneration", ed_node_new_int(d, sp.generation));
        if (res->committed) {
            ed_node_set(d, sp.status, "lastPushCommit", ed_node_new_str(d, res->commit));
            ed_node_set(d, sp.status, "lastPushTime", ed_node_new_str(d, now));
        }
        /* Flux: the pushed commit when it went to the checkout branch; the checkout's
         * revision the update started from when it went to another branch (or made none). */
        if (res->source_revision[0]) {
            char rev[400];
            if (res->committed && !out->switched_branch)
                snprintf(rev, sizeof(rev), "%s@sha1:%s", push_branch, res->commit);
            else
                snprintf(rev, sizeof(rev), "%s", res->source_revision);
            ed_node_set(d, sp.status, "observedSourceRevision", ed_node_new_str(d, rev));
        }
        ed_node *observed = ed_node_new_map(d);
        const ed_node *sel = ed_doc_root(r->selected);
        const ed_node *old = ed_node_path(obj, "/status/observedPolicies");
        for (size_t i = 0; i < ed_node_len(sel); i++) {
            const ed_node *ref = ed_node_path(ed_node_value_at(sel, i), "/status/latestRef");
            if (!ref)
                continue;
            ed_node *copy = ed_node_copy(d, ref);
            /* A merge patch merges maps: a digest the policy no longer has is removed. */
            if (!ed_node_get(copy, "digest") &&
                ed_node_get(ed_node_get(old, ed_node_key_at(sel, i)), "digest"))
                ed_node_set(d, copy, "digest", ed_node_new_null(d));
            ed_node_set(d, observed, ed_node_key_at(sel, i), copy);
        }
        /* Policies no longer selected are removed with null. */
        for (size_t i = 0; i < ed_node_len(old); i++)
            if (!ed_node_get(observed, ed_node_key_at(old, i)))
                ed_node_set(d, observed, ed_node_key_at(old, i), ed_node_new_null(d));
        /* Flux omits an empty map (no policy selected). */
        if (ed_node_len(observed) > 0 || ed_node_len(old) > 0)
            ed_node_set(d, sp.status, "observedPolicies", observed);
    } else {
        /* Reconciling keeps the progress Flux marked when the reconcile began, not the error
         * (which Ready carries). */
        char progress[128];
        ed_status_progress(obj, progress, sizeof(progress));
        ed_status_failed(&sp, out->stalled, out->reason, out->message, progress);
    }
    ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, NAME);
}

/* Phases 2-4; fills out, res. */
static void automate(ed_imageupdate_controller *c, const ed_node *obj, struct run *r,
                     struct outcome *out, ed_source_git_update_result *res, char *push_branch,
                     size_t pb_cap)
{
    ed_err err = ED_ERR_INIT;
    struct source src = {0};
    if (read_source(c, obj, &src, out) != 0)
        goto out;
    const char *strategy = str_at(obj, "/spec/update/strategy");
    if (strategy && strcmp(strategy, "Setters") != 0) {
        out->reason = "InvalidUpdateStrategy";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message),
                 "spec.update.strategy '%s' is not supported: only Setters", strategy);
        goto out;
    }
    const ed_node *sel = ed_node_path(obj, "/spec/policySelector");
    if (selector_valid(sel, &err) != 0) {
        out->reason = "InvalidPolicySelector";
        out->stalled = true;
        snprintf(out->message, sizeof(out->message), "%s", err.msg);
        goto out;
    }
    r->selected = select_policies(c, obj);
    const char *pb = str_at(obj, "/spec/git/push/branch");
    snprintf(push_branch, pb_cap, "%s", pb ? pb : src.branch);
    out->switched_branch = pb && (!src.is_branch || strcmp(pb, src.branch) != 0);
    ed_source_git_update_opts uo = {
        .url = src.url,
        .secret = src.github.entries ? src.github.entries : src.secret.entries,
        .secret_len = src.github.entries ? src.github.n : src.secret.n,
        .proxy = src.proxy.n ? src.proxy.entries : NULL,
        .proxy_len = src.proxy.n,
        .checkout_branch = src.is_branch ? src.branch : NULL,
        .checkout = src.is_branch ? NULL : &src.ref,
        .push_branch = pb,
        .refspec = str_at(obj, "/spec/git/push/refspec"),
        .push_options = (const char *const *)src.push_options,
        .npush_options = src.npush_options,
        .timeout_ms = src.timeout_ms,
        .path = str_at(obj, "/spec/update/path"),
        .author_name = str_at(obj, "/spec/git/commit/author/name"),
        .author_email = str_at(obj, "/spec/git/commit/author/email"),
        .edit = run_edit,
        .message = run_message,
        .begin = run_begin,
        .user = r,
    };
    uo.signing_ssh = src.signing_ssh;
    uo.signing_key = ed_ctrl_secret_value(&src.signing, src.signing_ssh ? "identity" : "git.asc",
                                          &uo.signing_key_len);
    uo.signing_passphrase =
        ed_ctrl_secret_value(&src.signing, src.signing_ssh ? "password" : "passphrase", NULL);
    int rc = ed_source_git_update(c->o.cache, &uo, res, &err);
    if (rc) {
        /* A template that fails is Flux's GitOperationFailed, retried (its commit phase);
         * only a removed field (.Updated, .Changed.ImageResult) stalls, with its own reason
         * and words: Flux looks for Go's words of them in the execution's error. */
        const char *removed = NULL;
        if (r->template_exec_error &&
            strstr(r->template_error, "can't evaluate field Updated in type source.TemplateData"))
            removed = "'.Updated' field. Please use '.Changed' instead.";
        else if (r->template_exec_error &&
                 strstr(r->template_error,
                        "can't evaluate field ImageResult in type update.Result"))
            removed = "'.Changed.ImageResult' field. Please use '.Changed.FileChanges' or "
                      "'.Changed.Objects' instead.";
        out->reason = res->stage == ED_SOURCE_UPDATE_APPLY && !r->template_error[0]
                          ? "UpdateFailed"
                          : "GitOperationFailed";
        out->stalled = removed || (rc == ED_EINVALID && !r->template_error[0]);
        if (removed) {
            out->reason = "RemovedTemplateField";
            snprintf(out->message, sizeof(out->message),
                     "template uses removed %s See: "
                     "https://fluxcd.io/flux/components/image/imageupdateautomations/"
                     "#message-template",
                     removed);
            goto out;
        }
        /* Flux's wording for the phase that failed. */
        snprintf(out->message, sizeof(out->message), "%s%s",
                 res->stage == ED_SOURCE_UPDATE_CHECKOUT ? "failed to checkout source: "
                 : res->stage == ED_SOURCE_UPDATE_APPLY  ? "failed to apply policies: "
                                                         : "failed to update source: ",
                 err.msg);
        goto out;
    }
    /* Flux v1's Ready message after every successful run, a push or not; what was pushed goes
     * to the event. */
    out->ok = true;
    snprintf(out->message, sizeof(out->message), "repository up-to-date");
out:
    source_clear(&src);
}

/* Flux's syncNeeded: whether this run had more to do than confirm the last one, because the
 * spec changed, a selected policy's latest ref changed, it pushes to another branch or a
 * refspec, or the checkout branch has a new commit. */
static bool sync_needed(const ed_node *obj, const struct run *r, const struct outcome *out,
                        const ed_source_git_update_result *res)
{
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &observed);
    if (gen != observed || out->switched_branch || str_at(obj, "/spec/git/push/refspec"))
        return true;
    const char *rev = str_at(obj, "/status/observedSourceRevision");
    if (!rev || strcmp(rev, res->source_revision) != 0)
        return true;
    const ed_node *old = ed_node_path(obj, "/status/observedPolicies");
    const ed_node *sel = ed_doc_root(r->selected);
    size_t n = 0;
    for (size_t i = 0; i < ed_node_len(sel); i++) {
        const ed_node *ref = ed_node_path(ed_node_value_at(sel, i), "/status/latestRef");
        if (!ref)
            continue;
        n++;
        const ed_node *was = ed_node_get(old, ed_node_key_at(sel, i));
        const char *fields[] = {"name", "tag", "digest"};
        for (size_t f = 0; f < 3; f++) {
            const char *a = ed_node_str(ed_node_get(ref, fields[f]));
            const char *b = ed_node_str(ed_node_get(was, fields[f]));
            if (!was || strcmp(a ? a : "", b ? b : "") != 0)
                return true;
        }
    }
    return n != ed_node_len(old);
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_imageupdate_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL;
    int rc;
    if (ed_ctrl_begin(&c->kind, ns, name, &objdoc, &rc, &err) == ED_CTRL_STOP)
        goto done;
    ed_node *obj = ed_doc_root(objdoc);
    int64_t interval = ed_ctrl_interval(obj, 60000);
    struct outcome out = {.reason = "GitOperationFailed"};
    struct run r = {.c = c, .obj = obj};
    ed_source_git_update_result res;
    memset(&res, 0, sizeof(res));
    char push_branch[256] = "";
    automate(c, obj, &r, &out, &res, push_branch, sizeof(push_branch));
    write_status(c, obj, &out, &r, &res, push_branch);
    /* Flux's notify, each Event logged as its eventLogf logs it. */
    if (out.ok && res.committed) {
        /* Flux's push summary: what was pushed where, then the commit message (an Event
         * without annotations, as image-automation-controller records it). */
        const char *refspec = str_at(obj, "/spec/git/push/refspec");
        char *note = ed_xasprintf("pushed commit '%.7s' to branch '%s'%s%s%s%s%s", res.commit,
                                  push_branch, refspec ? " and refspecs '" : "",
                                  refspec ? refspec : "", refspec ? "'" : "",
                                  r.message && *r.message ? "\n" : "", r.message ? r.message : "");
        ed_ctrl_event_log(c->o.kube, obj, MANAGER, "Normal", "Succeeded", note, NULL);
        free(note);
    } else if (out.ok && ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready") &&
               strcmp(ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready"), "True") ==
                   0) {
        /* Ready before and after, nothing pushed: Flux's trace Event (a Normal one in the
         * cluster), its words telling whether there was anything to look at. */
        ed_ctrl_event_log(c->o.kube, obj, MANAGER, "Normal", "Succeeded",
                          sync_needed(obj, &r, &out, &res) ? out.message
                                                           : "no change since last reconciliation",
                          NULL);
    } else {
        /* Became ready without a push (the Ready message is always the same), or failed: as
         * Flux's notify sends it. */
        ed_ctrl_notify(c->o.kube, obj, MANAGER, out.ok, out.reason, out.message, NULL, NULL);
    }
    /* controller-runtime's line for the error Flux returns for a retry (none when stalled). */
    if (!out.ok && !out.stalled)
        ed_ctrl_log_result(NAME, obj, false, false, out.message);
    if (out.ok) {
        *requeue_after_ms = interval;
    } else {
        rc = ED_ERROR;
        if (out.stalled) {
            rc = 0; /* only a new generation (or a policy change) helps */
            *requeue_after_ms = interval;
        }
    }
    ed_setter_changes_free(&r.changes);
    ed_doc_free(r.selected);
    free(r.message);
done:
    ed_doc_free(objdoc);
    return rc;
}

/* An ImagePolicy changed: queue the automations of its namespace. */
static void on_policy(ed_kube_event_type type, const ed_node *pol, void *user)
{
    (void)type;
    ed_imageupdate_controller *c = user;
    const char *pns = str_at(pol, "/metadata/namespace");
    if (pns)
        ed_ctrl_queue_matching(c->self, c->queue, pns, NULL, NULL);
}

ed_imageupdate_controller *ed_imageupdate_register(ed_manager *m, const ed_imageupdate_opts *opts)
{
    ed_imageupdate_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    /* A suspended automation still gets its generation as observed when it is Ready or
     * Stalled: Flux's final patch is deferred before its suspend check. */
    c->kind = (ed_ctrl_kind){.kube = opts->kube,
                             .metrics = opts->metrics,
                             .api_version = API_VERSION,
                             .kind = KIND,
                             .controller = NAME,
                             .user = c,
                             .suspended_msg = ED_CTRL_IMAGE_SUSPENDED,
                             .suspended_handled_by = MANAGER,
                             .suspended_generation_only = true};
    c->queue = ed_ctrl_register(m, &c->kind, opts->workers, reconcile);
    c->self = ed_manager_informer(m, API_VERSION, KIND);
    /* Every ImagePolicy, of any shard: Flux's image-automation-controller restricts only its
     * ImageUpdateAutomations to --watch-label-selector. */
    c->policies = ed_manager_informer_all(m, API_VERSION, "ImagePolicy");
    ed_informer_add_handler(c->policies, on_policy, c);
    return c;
}

void ed_imageupdate_free(ed_imageupdate_controller *c)
{
    free(c);
}
