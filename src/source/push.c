/*
 * Commits made by eddy and pushed back: what ImageUpdateAutomation needs from Git. The update
 * starts from the persistent cache (DESIGN.md: the checkout comes from the cache; Flux clones
 * afresh on every run): the checkout branch is fetched incrementally, the files under a path are
 * handed to an edit callback straight from the commit's tree (no working tree is written), the
 * changed blobs are put into a new tree and committed on top, and the commit is pushed from a
 * temporary ref of the cache repository.
 *
 * A push the server rejects because the branch moved (another automation, a human) is not a
 * failure into a long backoff, as with Flux: the branch is fetched again, the edits are made
 * again on the new head, and the push retried, a bounded number of times. Nothing is pushed
 * unless a whole attempt succeeded, and a commit is made only when some file changed.
 *
 * The push carries git.push.options (libgit2 1.8's remote_push_options) and, like each fetch,
 * is bounded by the GitRepository's spec.timeout (deadline.c), as Flux bounds its clone and
 * push. A server that does not advertise push-options gets no push at all: libgit2 refuses,
 * as `git push -o` does (Flux's go-git would push and drop the options silently).
 */
#include "source_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILE_BYTES ((size_t)32 << 20)

/* One changed file: its path and the new blob. */
struct changed_file {
    char *path;
    git_oid blob;
    git_filemode_t mode;
};

struct walk_ctx {
    const ed_source_git_update_opts *opts;
    git_repository *repo;
    const char *prefix; /* update.path without "./" and trailing '/', or "" */
    struct changed_file *files;
    size_t nfiles;
    int rc;
    ed_err *err;
};

/* The files Flux's reader reads: *.yaml, *.yml, and kustomize's extensionless Kustomization. */
static bool is_yaml(const char *name)
{
    return ed_str_has_suffix(name, ".yaml") || ed_str_has_suffix(name, ".yml") ||
           strcmp(name, "Kustomization") == 0;
}

/* Under the prefix, or the prefix itself (update.path naming one file)? ("" is the whole
 * tree.) */
static bool under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return n == 0 || (strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0'));
}

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
    struct walk_ctx *w = payload;
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK || !is_yaml(git_tree_entry_name(entry)))
        return 0;
    char *path = ed_xasprintf("%s%s", root, git_tree_entry_name(entry));
    if (!under(path, w->prefix)) {
        free(path);
        return 0;
    }
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) != 0) {
        w->rc = ed_source_git_error(w->err, ED_ERROR, "cannot read a file of the commit");
        free(path);
        return -1;
    }
    ed_buf out = ED_BUF_INIT(MAX_FILE_BYTES);
    bool changed = false;
    int rc = w->opts->edit(path, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), &out,
                           &changed, w->opts->user, w->err);
    if (rc == 0 && changed) {
        git_oid id;
        if (git_blob_create_from_buffer(&id, w->repo, out.data, out.len) != 0) {
            rc = ed_source_git_error(w->err, ED_ERROR, "cannot write a blob");
        } else {
            w->files = ed_xrealloc(w->files, (w->nfiles + 1) * sizeof(*w->files));
            w->files[w->nfiles++] = (struct changed_file){path, id, git_tree_entry_filemode(entry)};
            path = NULL;
        }
    }
    ed_buf_free(&out);
    git_blob_free(blob);
    free(path);
    if (rc) {
        w->rc = rc;
        return -1;
    }
    return 0;
}

static void free_files(struct walk_ctx *w)
{
    for (size_t i = 0; i < w->nfiles; i++)
        free(w->files[i].path);
    free(w->files);
    w->files = NULL;
    w->nfiles = 0;
}

/* The new tree: base's with the changed blobs. */
static int build_tree(git_repository *repo, git_tree *base, const struct walk_ctx *w, git_oid *out,
                      ed_err *err)
{
    git_index *index = NULL;
    int rc = 0;
    if (git_index_new(&index) != 0 || git_index_read_tree(index, base) != 0) {
        rc = ed_source_git_error(err, ED_ERROR, "cannot read the tree");
        goto out;
    }
    for (size_t i = 0; i < w->nfiles; i++) {
        git_index_entry e;
        memset(&e, 0, sizeof(e));
        e.mode = w->files[i].mode;
        e.id = w->files[i].blob;
        e.path = w->files[i].path;
        if (git_index_add(index, &e) != 0) {
            rc = ed_source_git_error(err, ED_ERROR, "cannot stage a changed file");
            goto out;
        }
    }
    if (git_index_write_tree_to(out, index, repo) != 0)
        rc = ed_source_git_error(err, ED_ERROR, "cannot write the tree");
out:
    git_index_free(index);
    return rc;
}

/* The credential callbacks take the auth state as their payload, and libgit2 has one payload
 * for every callback: the push's own state sits after it (auth first, so a pointer to this
 * struct is a pointer to auth). */
struct push_auth {
    ed_source_auth auth;
    char rejected[512]; /* the server's reason for a rejected ref, or "" */
};

static int push_update_cb(const char *refname, const char *status, void *payload)
{
    struct push_auth *p = payload;
    if (status && !p->rejected[0])
        snprintf(p->rejected, sizeof(p->rejected), "%s: %s", refname, status);
    return 0;
}

/* Is src (a refspec's source) one of the names our commit goes by: HEAD, or the branch it is
 * made on (the push branch, else the checkout branch), short or full? */
static bool refspec_source_is_ours(const char *src, const char *branch)
{
    if (!branch)
        return false;
    return strcmp(src, branch) == 0 ||
           (ed_str_has_prefix(src, "refs/heads/") && strcmp(src + 11, branch) == 0);
}

/* The refspecs to push, as Flux pushes them: the temporary ref to the push branch (the
 * checkout branch when git.push.branch is unset, also when a refspec is given; forced when it
 * is not the checkout branch: Flux's default), then opts->refspec with its source mapped to
 * our commit. */
static int push_refspecs(const ed_source_git_update_opts *o, const char *tmpref, char **specs,
                         size_t *n, ed_err *err)
{
    const char *branch = o->push_branch ? o->push_branch : o->checkout_branch;
    bool force = !o->checkout_branch || strcmp(branch, o->checkout_branch) != 0;
    *n = 0;
    specs[(*n)++] = ed_xasprintf("%s%s:refs/heads/%s", force ? "+" : "", tmpref, branch);
    if (o->refspec) {
        const char *spec = o->refspec;
        bool plus = spec[0] == '+';
        if (plus)
            spec++;
        const char *colon = strchr(spec, ':');
        if (!colon || colon == spec || !colon[1])
            return ed_err_set(err, ED_EINVALID, "git.push.refspec '%s': expected <src>:<dst>",
                              o->refspec);
        /* Flux commits on the push branch: the docs' Gerrit and Gitea setups push it on with
         * "refs/heads/<push branch>:refs/for/main". */
        char *src = ed_xstrndup(spec, (size_t)(colon - spec));
        bool ours = strcmp(src, "HEAD") == 0 || refspec_source_is_ours(src, branch) ||
                    refspec_source_is_ours(src, o->checkout_branch);
        free(src);
        if (!ours)
            return ed_err_set(err, ED_EINVALID,
                              "git.push.refspec '%s': the source must be the branch the commit "
                              "is made on ('%s') or HEAD",
                              o->refspec, branch);
        specs[(*n)++] = ed_xasprintf("%s%s:%s", plus ? "+" : "", tmpref, colon + 1);
    }
    return 0;
}

/* git.push.options: each is sent as one pkt-line, so none may be empty or hold a line break
 * (git itself refuses those too). Never checked against a list: servers define their own. */
static int push_options_check(const ed_source_git_update_opts *o, ed_err *err)
{
    for (size_t i = 0; i < o->npush_options; i++) {
        const char *opt = o->push_options[i];
        if (!opt || !*opt || strpbrk(opt, "\r\n"))
            return ed_err_set(err, ED_EINVALID,
                              "git.push.options: an option must be one non-empty line");
    }
    return 0;
}

/* What went wrong in git_remote_push (grc), as an ed_err code and message. */
static int push_error(ed_err *err, const struct push_auth *pa, const ed_source_deadline *deadline,
                      int grc, const char *url_safe)
{
    if (ed_source_deadline_passed(deadline)) {
        char took[32];
        ed_duration_string(deadline->timeout_ms * ED_NS_PER_MS, took);
        return ed_err_set(err, ED_ETIMEOUT, "push to '%s': timed out after %s", url_safe, took);
    }
    const git_error *e = git_error_last();
    const char *msg = e && e->message ? e->message : "unknown error";
    if (pa->auth.failed || pa->auth.host_refused || grc == GIT_EAUTH || strstr(msg, "401") ||
        strstr(msg, "403") || strstr(msg, "authentication"))
        return ed_err_set(err, ED_EAUTH, "push to '%s': authentication failed%s%s", url_safe,
                          pa->auth.reason[0] ? ": " : "", pa->auth.reason);
    /* libgit2 refuses before sending anything when the server did not advertise the
     * capability (git push -o does the same): the push would otherwise lose the options. */
    if (strstr(msg, "push-options not supported"))
        return ed_err_set(err, ED_ERROR,
                          "push to '%s' failed: the server does not accept push options "
                          "(git.push.options); a Git server needs receive.advertisePushOptions "
                          "set to true",
                          url_safe);
    if (strstr(msg, "non-fast-forward") || strstr(msg, "rejected") || grc == GIT_ENONFASTFORWARD)
        return ed_err_set(err, ED_ECONFLICT, "push to '%s' rejected: %s", url_safe, msg);
    return ed_err_set(err, ED_ERETRY, "push to '%s' failed: %s", url_safe,
                      strchr(msg, '@') ? "transfer failed" : msg);
}

int ed_source_git_push_commit(git_repository *repo, const ed_source_git_update_opts *o,
                              const git_oid *commit, ed_err *err)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), commit);
    char *tmpref = ed_xasprintf("refs/eddy/push/%s", hex);
    char *specs[2] = {NULL, NULL};
    size_t nspecs = 0;
    git_reference *ref = NULL;
    git_remote *remote = NULL;
    struct push_auth pa;
    memset(&pa, 0, sizeof(pa));
    ed_source_auth *auth_p = &pa.auth;
    char *url_safe = NULL;
    ed_source_url_normalize(o->url, &url_safe, NULL);
    ed_source_deadline deadline = {0};
    int rc = ed_source_auth_init(auth_p, o->url, o->secret, o->secret_len, o->proxy, o->proxy_len,
                                 o->ssh_agent, err);
    if (rc)
        goto out_noauth;
    if ((rc = push_options_check(o, err)) != 0 ||
        (rc = push_refspecs(o, tmpref, specs, &nspecs, err)) != 0)
        goto out;
    if (git_reference_create(&ref, repo, tmpref, commit, 1, "eddy push") != 0) {
        rc = ed_source_git_error(err, ED_ERROR, "cannot create the ref to push");
        goto out;
    }
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = repo;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, o->url, &ro) != 0) {
        rc = ed_source_git_error(err, ED_EINVALID, "invalid URL");
        goto out;
    }
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    ed_source_auth_callbacks(auth_p, &po.callbacks);
    po.callbacks.push_update_reference = push_update_cb;
    po.callbacks.payload = &pa;
    /* The GitRepository's proxy Secret (as Flux's automation uses it), the environment's
     * proxy and a client certificate need eddy's transport, as a fetch does: libgit2 sends
     * plain HTTP past the proxy it is given. */
    ed_source_transport_install(auth_p, &po.callbacks);
    po.proxy_opts.type = GIT_PROXY_AUTO;
    po.custom_headers = pa.auth.headers;
    /* libgit2 only reads the strings. */
    po.remote_push_options.strings = (char **)o->push_options;
    po.remote_push_options.count = o->npush_options;
    git_strarray refspecs = {specs, nspecs};
    /* The same deadline as a fetch (deadline.c): the callbacks fail once it has passed, and a
     * server that stops answering mid-push has its connection cut. */
    ed_source_deadline_start(&deadline, o->timeout_ms);
    pa.auth.deadline = &deadline;
    int grc = git_remote_push(remote, &refspecs, &po);
    if (grc != 0) {
        rc = push_error(err, &pa, &deadline, grc, url_safe);
    } else if (pa.rejected[0]) {
        /* A hook or a protected branch says no for good; anything else is taken for a branch
         * that moved, and retried from its new head. */
        bool refused = strstr(pa.rejected, "declined") || strstr(pa.rejected, "hook") ||
                       strstr(pa.rejected, "protected");
        /* go-git's words, as Flux's image-automation-controller reports them. */
        rc = ed_err_set(err, refused ? ED_EFORBIDDEN : ED_ECONFLICT,
                        "failed to push to remote: command error on %s", pa.rejected);
    }
out:
    ed_source_deadline_stop(&deadline);
    ed_source_auth_clear(auth_p);
out_noauth:
    if (ref) {
        git_reference_delete(ref);
        git_reference_free(ref);
    }
    git_remote_free(remote);
    for (size_t i = 0; i < nspecs; i++)
        free(specs[i]);
    free(tmpref);
    free(url_safe);
    return rc;
}

/* The signature of the commit's author (and committer): name and email, now. */
static int signature(const ed_source_git_update_opts *o, git_signature **out, ed_err *err)
{
    if (git_signature_now(out, o->author_name && *o->author_name ? o->author_name : o->author_email,
                          o->author_email) != 0)
        return ed_source_git_error(err, ED_EINVALID, "invalid git.commit.author");
    return 0;
}

/* Does commit hex have the tree tree_id? */
static bool same_tree(git_repository *repo, const char *hex, const git_oid *tree_id)
{
    git_oid id;
    git_commit *c = NULL;
    bool same = git_oid_fromstr(&id, hex) == 0 && git_commit_lookup(&c, repo, &id) == 0 &&
                git_oid_equal(git_commit_tree_id(c), tree_id);
    git_commit_free(c);
    return same;
}

int ed_source_commit_create(ed_source_cache *cache, git_repository *repo, const git_signature *sig,
                            const char *message, const git_tree *tree, const git_commit *parent,
                            const ed_source_commit_signing *signing, git_oid *out, ed_err *err)
{
    const git_commit *parents[] = {parent};
    size_t nparents = parent ? 1 : 0;
    if (!signing->key) {
        if (git_commit_create(out, repo, NULL, sig, sig, NULL, message, tree, nparents, parents) !=
            0)
            return ed_source_git_error(err, ED_ERROR, "cannot create the commit");
        return 0;
    }
    git_buf content = {0};
    char *signature = NULL;
    int rc = 0;
    if (git_commit_create_buffer(&content, repo, sig, sig, NULL, message, tree, nparents,
                                 parents) != 0)
        return ed_source_git_error(err, ED_ERROR, "cannot create the commit");
    rc = signing->ssh
             ? ed_source_sign_ssh(cache->tmp_dir, signing->key, signing->key_len,
                                  signing->passphrase, content.ptr, content.size, &signature, err)
             : ed_source_sign_openpgp(cache->tmp_dir, signing->key, signing->key_len,
                                      signing->key_id, signing->passphrase, content.ptr,
                                      content.size, &signature, err);
    if (!rc && git_commit_create_with_signature(out, repo, content.ptr, signature, "gpgsig") != 0)
        rc = ed_source_git_error(err, ED_ERROR, "cannot create the signed commit");
    free(signature);
    git_buf_dispose(&content);
    return rc;
}

/* update.path inside the repository: "./deploy/" -> "deploy", "." -> "". A ".." never climbs
 * above the root: "../../deploy" is "deploy", as Flux's securejoin of the path to its clone
 * makes it (the path stays inside the repository, whatever the spec says). */
static char *root_path(const char *path)
{
    ed_buf b = ED_BUF_INIT(4096);
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p += n;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            /* up one: drop the last component, if any */
            char *slash = b.len ? memrchr(b.data, '/', b.len) : NULL;
            b.len = slash ? (size_t)(slash - b.data) : 0;
        } else {
            if (b.len)
                ed_buf_append(&b, "/", 1);
            ed_buf_append(&b, p, n);
        }
        p += n;
    }
    ed_buf_append(&b, "", 0);
    return ed_buf_take(&b);
}

/* One attempt: fetch, edit, commit, push. */
static int update_once(ed_source_cache *cache, const ed_source_git_update_opts *o,
                       ed_source_git_update_result *res, ed_err *err)
{
    res->stage = ED_SOURCE_UPDATE_CHECKOUT;
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = o->url;
    if (o->checkout)
        fo.ref = *o->checkout;
    else
        fo.ref.branch = o->checkout_branch;
    fo.secret = o->secret;
    fo.secret_len = o->secret_len;
    fo.proxy = o->proxy;
    fo.proxy_len = o->proxy_len;
    fo.timeout_ms = o->timeout_ms;
    fo.full_history = true;
    ed_source_git_result fr;
    int rc = ed_source_git_fetch(cache, &fo, &fr, err);
    if (rc)
        return rc; /* the fetch's own error ("unable to clone '<url>': ..."), as Flux's */
    snprintf(res->source_revision, sizeof(res->source_revision), "%s", fr.revision);
    /* Pushing to another branch that exists: the update is made on its head, as Flux checks
     * that branch out after the clone (go-git's SwitchBranch); a new one starts from the
     * checkout. */
    char push_head[GIT_OID_HEXSZ + 1] = "";
    if (o->push_branch &&
        (!o->checkout_branch || strcmp(o->push_branch, o->checkout_branch) != 0)) {
        ed_source_git_result pr;
        memset(&fo.ref, 0, sizeof(fo.ref));
        fo.ref.branch = o->push_branch;
        ed_err perr = ED_ERR_INIT;
        int prc = ed_source_git_fetch(cache, &fo, &pr, &perr);
        if (prc == 0)
            memcpy(push_head, pr.commit, sizeof(push_head));
        else if (prc != ED_ENOTFOUND) /* a branch that does not exist yet is created */
            return ed_err_set(err, prc, "failed to fetch branch '%s': %s", o->push_branch,
                              perr.msg);
    }
    git_repository *repo = NULL;
    int lock_fd = -1;
    git_commit *parent = NULL;
    git_tree *tree = NULL, *new_tree = NULL;
    git_signature *sig = NULL;
    char *message = NULL;
    struct walk_ctx w = {.opts = o, .err = err};
    char *prefix = NULL;
    if ((rc = ed_source_cache_repo_open(cache, o->url, &repo, &lock_fd, err)) != 0)
        return rc;
    git_oid base;
    git_oid_fromstr(&base, push_head[0] ? push_head : fr.commit);
    if (git_commit_lookup(&parent, repo, &base) != 0 || git_commit_tree(&tree, parent) != 0) {
        rc = ed_source_git_error(err, ED_ERROR, "cannot read the checked out commit");
        goto out;
    }
    res->stage = ED_SOURCE_UPDATE_APPLY;
    prefix = root_path(o->path ? o->path : "");
    /* As Flux's walk of update.path: a path the commit does not have is an error (not an
     * automation with nothing to do), a file is read alone. */
    git_tree_entry *at = NULL;
    if (prefix[0] && git_tree_entry_bypath(&at, tree, prefix) != 0) {
        rc = ed_err_set(err, ED_ENOTFOUND,
                        "update.path '%s': no such file or directory in commit %.7s", o->path,
                        push_head[0] ? push_head : fr.commit);
        goto out;
    }
    git_tree_entry_free(at);
    w.repo = repo;
    w.prefix = prefix;
    if (o->begin)
        o->begin(o->user);
    if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) != 0) {
        rc = w.rc ? w.rc : ed_source_git_error(err, ED_ERROR, "cannot walk the tree");
        goto out;
    }
    if (w.nfiles == 0) {
        res->committed = false;
        goto out; /* nothing changed: no commit */
    }
    git_oid tree_id, commit_id;
    if ((rc = build_tree(repo, tree, &w, &tree_id, err)) != 0)
        goto out;
    if (git_tree_lookup(&new_tree, repo, &tree_id) != 0) {
        rc = ed_source_git_error(err, ED_ERROR, "cannot read the new tree");
        goto out;
    }
    if (push_head[0] && same_tree(repo, push_head, &tree_id)) {
        res->committed = false; /* the push branch has these files already */
        goto out;
    }
    res->stage = ED_SOURCE_UPDATE_PUSH;
    if ((rc = o->message(o->user, &message, err)) != 0 || (rc = signature(o, &sig, err)) != 0)
        goto out;
    ed_source_commit_signing signing = {.key = o->signing_key,
                                        .key_len = o->signing_key_len,
                                        .passphrase = o->signing_passphrase,
                                        .ssh = o->signing_ssh};
    if ((rc = ed_source_commit_create(cache, repo, sig, message, new_tree, parent, &signing,
                                      &commit_id, err)) != 0)
        goto out;
    git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
    res->files_changed = (int)w.nfiles;
    rc = ed_source_git_push_commit(repo, o, &commit_id, err);
    res->committed = rc == 0;
out:
    free_files(&w);
    free(prefix);
    free(message);
    git_signature_free(sig);
    git_tree_free(new_tree);
    git_tree_free(tree);
    git_commit_free(parent);
    ed_source_cache_repo_close(repo, lock_fd);
    return rc;
}

int ed_source_git_update(ed_source_cache *cache, const ed_source_git_update_opts *opts,
                         ed_source_git_update_result *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!opts->url || (!opts->checkout_branch && !opts->checkout) || !opts->edit ||
        !opts->message || !opts->author_email)
        return ed_err_set(err, ED_EINVALID, "incomplete update options");
    /* A refspec alone is not enough: Flux pushes to a branch first, always. */
    if (!opts->checkout_branch && !opts->push_branch)
        return ed_err_set(err, ED_EINVALID,
                          "the checkout ref is not a branch: git.push.branch is required");
    int attempts = opts->max_attempts > 0 ? opts->max_attempts : 3;
    int rc = 0;
    for (int i = 0; i < attempts; i++) {
        out->attempts = i + 1;
        ed_err_clear(err);
        rc = update_once(cache, opts, out, err);
        /* Rejected because the branch moved: start again from its new head. */
        if (rc != ED_ECONFLICT)
            break;
    }
    if (rc == ED_ECONFLICT)
        ed_err_wrap(err, "gave up after %d attempts", attempts);
    return rc;
}
