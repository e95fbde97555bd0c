/*
 * Files written into a branch and pushed: what `eddy bootstrap` needs from Git (Flux's bootstrap
 * clones the repository, writes clusters/<name>/flux-system/ and pushes).
 *
 * The branch is fetched into the persistent cache as a GitRepository fetch would be; the files
 * are laid over the head commit's tree in memory (no working tree), and a commit is made only
 * when the resulting tree differs from the head's: running bootstrap again changes nothing. An
 * empty repository (or a branch that does not exist yet) gets a root commit. A push rejected
 * because another writer moved the branch (a second cluster bootstrapping at the same moment)
 * is retried from the new head, as image automation's pushes are. With a key ring (flux
 * bootstrap's --gpg-key-ring, --gpg-key-id, --gpg-passphrase) the commit is signed as image
 * automation signs its commits (sign.c): an OpenPGP signature in the gpgsig header. A file
 * marked if_absent is written only where the branch lacks it.
 */
#include "source_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "./a//b/" -> "a/b"; NULL when the path is empty or leaves the repository. */
static char *clean_path(const char *path)
{
    while (ed_str_has_prefix(path, "./"))
        path += 2;
    ed_buf b = ED_BUF_INIT(4096);
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (b.len)
            ed_buf_append(&b, "/", 1);
        ed_buf_append(&b, p, n);
        p += n;
    }
    ed_buf_append(&b, "", 0);
    char *out = ed_buf_take(&b);
    if (!out || !out[0] || !ed_path_within(out, 0)) {
        free(out);
        return NULL;
    }
    return out;
}

/* The tree of base (NULL for none) with every file of o written over it. */
static int overlay_tree(git_repository *repo, git_tree *base, const ed_source_git_write_opts *o,
                        git_oid *out, ed_err *err)
{
    git_index *index = NULL;
    int rc = 0;
    if (git_index_new(&index) != 0 || (base && git_index_read_tree(index, base) != 0)) {
        rc = ed_source_git_error(err, ED_ERROR, "cannot read the tree");
        goto out;
    }
    for (size_t i = 0; i < o->nfiles && !rc; i++) {
        char *path = clean_path(o->files[i].path);
        git_oid blob;
        if (!path) {
            rc = ed_err_set(err, ED_EINVALID, "file path '%s' leaves the repository",
                            o->files[i].path);
        } else if (o->files[i].if_absent && git_index_get_bypath(index, path, 0)) {
            /* the branch has it: left as it is */
        } else if (git_blob_create_from_buffer(&blob, repo, o->files[i].data, o->files[i].len) !=
                   0) {
            rc = ed_source_git_error(err, ED_ERROR, "cannot write a blob");
        } else {
            git_index_entry e;
            memset(&e, 0, sizeof(e));
            e.mode = GIT_FILEMODE_BLOB;
            e.id = blob;
            e.path = path;
            if (git_index_add(index, &e) != 0)
                rc = ed_source_git_error(err, ED_ERROR, "cannot stage a file");
        }
        free(path);
    }
    if (!rc && git_index_write_tree_to(out, index, repo) != 0)
        rc = ed_source_git_error(err, ED_ERROR, "cannot write the tree");
out:
    git_index_free(index);
    return rc;
}

/* Commit tree on top of parent (NULL: a root commit), signed when o has a key. */
static int make_commit(ed_source_cache *cache, git_repository *repo, git_commit *parent,
                       const git_oid *tree_id, const ed_source_git_write_opts *o, git_oid *out,
                       ed_err *err)
{
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    int rc = 0;
    const char *name = o->author_name && *o->author_name ? o->author_name : o->author_email;
    ed_source_commit_signing signing = {.key = o->signing_key,
                                        .key_len = o->signing_key_len,
                                        .key_id = o->signing_key_id,
                                        .passphrase = o->signing_passphrase};
    if (git_tree_lookup(&tree, repo, tree_id) != 0)
        rc = ed_source_git_error(err, ED_ERROR, "cannot read the new tree");
    else if (git_signature_now(&sig, name, o->author_email) != 0)
        rc = ed_source_git_error(err, ED_EINVALID, "invalid commit author");
    else
        rc =
            ed_source_commit_create(cache, repo, sig, o->message, tree, parent, &signing, out, err);
    git_signature_free(sig);
    git_tree_free(tree);
    return rc;
}

/* One attempt: fetch, overlay, commit when the tree changed, push. */
static int write_once(ed_source_cache *cache, const ed_source_git_write_opts *o,
                      ed_source_git_write_result *res, ed_err *err)
{
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = o->url;
    fo.ref.branch = o->branch;
    fo.secret = o->secret;
    fo.secret_len = o->secret_len;
    fo.ssh_agent = o->ssh_agent;
    fo.timeout_ms = o->timeout_ms;
    fo.full_history = true;
    ed_source_git_result fr;
    int rc = ed_source_git_fetch(cache, &fo, &fr, err);
    bool empty = rc == ED_ENOTFOUND;
    if (rc && !empty)
        return ed_err_wrap(err, "failed to fetch branch '%s'", o->branch);
    ed_err_clear(err);
    res->created_branch = empty;
    git_repository *repo = NULL;
    int lock_fd = -1;
    git_commit *parent = NULL;
    git_tree *tree = NULL;
    if ((rc = ed_source_cache_repo_open(cache, o->url, &repo, &lock_fd, err)) != 0)
        return rc;
    if (!empty) {
        git_oid head;
        git_oid_fromstr(&head, fr.commit);
        if (git_commit_lookup(&parent, repo, &head) != 0 || git_commit_tree(&tree, parent) != 0) {
            rc = ed_source_git_error(err, ED_ERROR, "cannot read the branch's head");
            goto out;
        }
    }
    git_oid tree_id, commit_id;
    if ((rc = overlay_tree(repo, tree, o, &tree_id, err)) != 0)
        goto out;
    if (tree && git_oid_equal(&tree_id, git_tree_id(tree))) {
        snprintf(res->commit, sizeof(res->commit), "%s", fr.commit);
        res->committed = false; /* every file already holds these bytes */
        goto out;
    }
    if ((rc = make_commit(cache, repo, parent, &tree_id, o, &commit_id, err)) != 0)
        goto out;
    git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
    if (o->on_commit)
        o->on_commit(o->on_commit_user, res->commit, res->attempts);
    ed_source_git_update_opts po = {.url = o->url,
                                    .secret = o->secret,
                                    .secret_len = o->secret_len,
                                    .ssh_agent = o->ssh_agent,
                                    .checkout_branch = o->branch,
                                    .timeout_ms = o->timeout_ms};
    rc = ed_source_git_push_commit(repo, &po, &commit_id, err);
    res->committed = rc == 0;
    res->push_failed = rc != 0;
out:
    git_tree_free(tree);
    git_commit_free(parent);
    ed_source_cache_repo_close(repo, lock_fd);
    return rc;
}

int ed_source_git_write(ed_source_cache *cache, const ed_source_git_write_opts *opts,
                        ed_source_git_write_result *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!opts->url || !opts->branch || !opts->author_email || !opts->message || !opts->nfiles)
        return ed_err_set(err, ED_EINVALID, "incomplete write options");
    int attempts = opts->max_attempts > 0 ? opts->max_attempts : 3;
    int rc = 0;
    for (int i = 0; i < attempts; i++) {
        out->attempts = i + 1;
        ed_err_clear(err);
        out->push_failed = false;
        rc = write_once(cache, opts, out, err);
        if (rc != ED_ECONFLICT)
            break;
    }
    if (rc == ED_ECONFLICT)
        ed_err_wrap(err, "gave up after %d attempts", attempts);
    return rc;
}
