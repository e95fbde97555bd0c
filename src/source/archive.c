/*
 * Artifacts, as source-controller builds them (fluxcd/pkg/artifact/storage): the tree of a
 * commit, without `.git`, filtered by the ignore rules, packed as a gzip-compressed tar whose
 * bytes depend only on the content, and its SHA-256 digest (`sha256:<hex>`).
 *
 * The checkout writes blobs from the cache straight into a directory the caller owns; names
 * come from Git, so each is checked (no '/', not `.` or `..`, not empty), every file is created
 * with O_EXCL|O_NOFOLLOW below a directory descriptor, and symlinks and submodules are not
 * written at all (Flux's archive skips every non-regular file, so the artifact is the same).
 * The same walk can instead write each entry into an archive (ed_source_git_artifact_build_with):
 * the blobs go from the object database straight into the tar.gz, in the order and with the
 * headers that archiving the checked-out directory gives, so the bytes and the digest are the
 * same, without writing, reading back and removing a directory of files.
 *
 * The archive normalises headers as Flux does: uid/gid 0 without names, mtime 0, directories
 * 0750, files 0600, executables 0700; the layer of `push artifact` (ed_source_archive_create_from)
 * keeps each file's and directory's own permission bits instead, as `flux push artifact` does.
 * Entries are sorted by name, a directory before its contents (Go's filepath.Walk order), and gzip
 * gets no timestamp, so one tree always gives one digest. libarchive writes the tar stream
 * (restricted PAX), so the entries are Flux's but two things in the stream are libarchive's,
 * deliberately: a directory's name ends in '/', and there is no `.` entry for the root (Flux's walk
 * names the root `.` and its directories without the slash). Every reader extracts the same tree
 * from either, and the gzip bytes could not be Go's anyway (zlib is not Go's compress/flate), so
 * the digest of eddy's archive is not that of Flux's for the same commit; consumers verify the
 * digest the status names (the reasons are in source.h).
 *
 * The checkout also does what GitRepository asks beyond the commit: `sparseCheckout` (only
 * files below the listed directories; Flux's go-git leaves the root's files out too),
 * `recurseSubmodules` (each gitlink fetched into the cache with the parent's credentials and
 * written where it sits, ignore rules judged from the artifact's root), and `include` (another
 * artifact unpacked and moved to `toPath`, as Flux renames it into place). With includes the
 * ignore rules are Flux's over the whole finished tree (ed_source_dir_filter), so spec.ignore
 * and the included `.sourceignore` files reach the included files as they do in Flux.
 *
 * Unpacking (the in-process hand-off to the Kustomization) trusts nothing in the archive.
 */
#include "source_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- checkout ---- */

static int write_header(struct archive *a, const char *path, bool is_dir, mode_t perm, int64_t size,
                        ed_err *err);
static int archive_blob(struct archive *a, git_blob *blob, mode_t perm, const char *path,
                        ed_err *err);

/* A tree entry name that is safe to create in a directory. */
static bool safe_name(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

static char *join(const char *dir, const char *name)
{
    return dir[0] ? ed_xasprintf("%s/%s", dir, name) : ed_xstrdup(name);
}

/* Write the blob of e as the file path: below dirfd, or into the archive a when there is one. */
static int write_blob(git_repository *repo, struct archive *a, const git_tree_entry *e, int dirfd,
                      const char *path, ed_err *err)
{
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) != 0)
        return ed_source_git_error(err, ED_ERROR, "read blob");
    mode_t mode = git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE ? 0700 : 0600;
    if (a) {
        int arc = archive_blob(a, blob, mode, path, err);
        git_blob_free(blob);
        return arc;
    }
    int rc = 0;
    int fd = openat(dirfd, git_tree_entry_name(e),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        rc = ed_err_set(err, ED_ERROR, "create '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    const char *p = git_blob_rawcontent(blob);
    size_t left = (size_t)git_blob_rawsize(blob);
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = ed_err_set(err, ED_ERROR, "write '%s': %s", path, strerror(errno));
            goto cleanup;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, mode) != 0)
        rc = ed_err_set(err, ED_ERROR, "chmod '%s': %s", path, strerror(errno));
cleanup:
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = ed_err_set(err, ED_ERROR, "write '%s': %s", path, strerror(errno));
    git_blob_free(blob);
    return rc;
}

/* One repository being written: the top one, or a submodule at prefix. */
typedef struct checkout_ctx {
    ed_source_cache *cache;
    struct archive *ar; /* entries go into this archive, or (NULL) to files below a dirfd */
    const ed_source_checkout_opts *opts;
    ed_source_ignore *ig; /* shared by the submodules: paths are from the artifact's root */
    git_repository *repo;
    git_tree *root;     /* the repository's root tree, for .gitmodules */
    const char *url;    /* the repository's URL, for relative submodule URLs */
    const char *prefix; /* where the repository's root is in the artifact ("" at the top) */
    int depth;          /* submodule nesting */
    size_t vcs_rules;   /* rules in ig before any .sourceignore or spec.ignore */
    bool sparse_failed; /* a sparse-checkout directory is missing (its own message) */
} checkout_ctx;

/* Submodules nested deeper than this are refused (a cycle between two repositories). */
#define MAX_SUBMODULE_DEPTH 8

/* A sparse-checkout directory without "./" in front and '/' at the end, or NULL when it is
 * empty or climbs out with "..". */
static char *sparse_clean(const char *dir)
{
    while (dir[0] == '.' && dir[1] == '/')
        dir += 2;
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/')
        n--;
    char *out = ed_xstrndup(dir, n);
    if (n == 0 || strcmp(out, ".") == 0 || !ed_path_within(out, 0)) {
        free(out);
        return NULL;
    }
    return out;
}

enum sparse_verdict {
    SPARSE_SKIP,
    SPARSE_DESCEND,
    SPARSE_ALL
};

/* How the sparse-checkout list treats path (from the artifact's root). */
static enum sparse_verdict sparse_judge(const ed_source_checkout_opts *o, const char *path,
                                        bool is_dir)
{
    enum sparse_verdict v = SPARSE_SKIP;
    for (size_t i = 0; i < o->sparse_len && v != SPARSE_ALL; i++) {
        char *d = sparse_clean(o->sparse[i]);
        if (!d)
            continue;
        size_t dl = strlen(d), pl = strlen(path);
        if (pl >= dl && strncmp(path, d, dl) == 0 && (path[dl] == '\0' || path[dl] == '/'))
            v = SPARSE_ALL; /* the directory itself or below it */
        else if (is_dir && dl > pl && strncmp(d, path, pl) == 0 && d[pl] == '/')
            v = SPARSE_DESCEND; /* a parent of a listed directory */
        free(d);
    }
    return v;
}

/* Add every .sourceignore below tree (at relative dir), parents before children, in every
 * directory but .git (as fluxcd/pkg/sourceignore's LoadIgnorePatterns loads them from the
 * checkout). With sparse (NULL: everything is checked out) only those the sparse checkout
 * writes: Flux reads them from its checkout, which has none of the others. */
static int load_sourceignore(git_repository *repo, git_tree *tree, const char *dir,
                             const ed_source_checkout_opts *sparse, ed_source_ignore *ig,
                             ed_err *err)
{
    const git_tree_entry *si = git_tree_entry_byname(tree, ".sourceignore");
    char *si_path = join(dir, ".sourceignore");
    bool si_out = sparse && sparse_judge(sparse, si_path, false) == SPARSE_SKIP;
    free(si_path);
    if (si && !si_out && git_tree_entry_type(si) == GIT_OBJECT_BLOB) {
        git_blob *blob = NULL;
        if (git_blob_lookup(&blob, repo, git_tree_entry_id(si)) != 0)
            return ed_source_git_error(err, ED_ERROR, "read .sourceignore");
        ed_source_ignore_add(ig, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), dir);
        git_blob_free(blob);
    }
    size_t n = git_tree_entrycount(tree);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        if (git_tree_entry_type(e) != GIT_OBJECT_TREE || !safe_name(name))
            continue;
        if (strcmp(name, ".git") == 0)
            continue;
        char *path = join(dir, name);
        enum sparse_verdict sv = sparse ? sparse_judge(sparse, path, true) : SPARSE_ALL;
        git_tree *sub = NULL;
        if (sv == SPARSE_SKIP)
            ; /* not checked out */
        else if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) != 0)
            rc = ed_source_git_error(err, ED_ERROR, "read tree");
        else
            rc = load_sourceignore(repo, sub, path, sv == SPARSE_ALL ? NULL : sparse, ig, err);
        git_tree_free(sub);
        free(path);
    }
    return rc;
}

static int write_tree(checkout_ctx *cx, git_tree *tree, int dirfd, const char *dir, bool all,
                      ed_err *err);
static int write_submodule(checkout_ctx *cx, const git_tree_entry *e, int dirfd, const char *path,
                           ed_err *err);

/* Create directory name in dirfd (or its entry in the archive, unless excluded: an excluded
 * directory entered for a file a `!pattern` brings back has no entry of its own, as in Flux's
 * archive, whose filter leaves out the directory's header and goes on walking into it) and
 * write tree into it. */
static int write_subdir(checkout_ctx *cx, git_repository *repo, const git_oid *id, int dirfd,
                        const char *name, const char *path, bool all, bool excluded, ed_err *err)
{
    git_tree *sub = NULL;
    int subfd = -1, rc = 0;
    if (git_tree_lookup(&sub, repo, id) != 0)
        rc = ed_source_git_error(err, ED_ERROR, "read tree");
    else if (cx->ar && (excluded || (rc = write_header(cx->ar, path, true, 0750, 0, err)) == 0))
        rc = write_tree(cx, sub, -1, path, all, err);
    else if (cx->ar)
        ; /* the header failed: rc and err are set */
    else if (mkdirat(dirfd, name, 0750) != 0 ||
             (subfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = ed_err_set(err, ED_ERROR, "create '%s': %s", path, strerror(errno));
    else
        rc = write_tree(cx, sub, subfd, path, all, err);
    if (subfd >= 0)
        close(subfd);
    git_tree_free(sub);
    return rc;
}

/* True when some file below the excluded directory path (the tree id) is included again by
 * a later `!pattern` (Flux walks into excluded directories; git does not). */
static bool tree_keeps(checkout_ctx *cx, const git_oid *id, const char *path, int depth)
{
    git_tree *tree = NULL;
    if (depth > 64 || git_tree_lookup(&tree, cx->repo, id) != 0)
        return false;
    bool keeps = false;
    for (size_t i = 0; i < git_tree_entrycount(tree) && !keeps; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        git_filemode_t mode = git_tree_entry_filemode(e);
        char *child = join(path, git_tree_entry_name(e));
        if (mode == GIT_FILEMODE_TREE)
            keeps = tree_keeps(cx, git_tree_entry_id(e), child, depth + 1);
        else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE)
            keeps = !ed_source_ignore_match(cx->ig, child, false);
        free(child);
    }
    git_tree_free(tree);
    return keeps;
}

static int cmp_entry_names(const void *a, const void *b)
{
    return strcmp(git_tree_entry_name(*(const git_tree_entry *const *)a),
                  git_tree_entry_name(*(const git_tree_entry *const *)b));
}

/* Write tree's entries in the order of their names (strcmp, as the archive of a directory lists
 * them: Git's own order puts a directory "a" after "a-b"), so that an archive written from the
 * tree is the archive of its checkout. */
static int write_tree(checkout_ctx *cx, git_tree *tree, int dirfd, const char *dir, bool all,
                      ed_err *err)
{
    size_t n = git_tree_entrycount(tree);
    const git_tree_entry **sorted = ed_xcalloc(n ? n : 1, sizeof(const git_tree_entry *));
    for (size_t i = 0; i < n; i++)
        sorted[i] = git_tree_entry_byindex(tree, i);
    qsort(sorted, n, sizeof(const git_tree_entry *), cmp_entry_names);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const git_tree_entry *e = sorted[i];
        const char *name = git_tree_entry_name(e);
        if (!safe_name(name)) {
            rc = ed_err_set(err, ED_EINVALID, "unsafe path in tree: '%s/%s'", dir, name);
            break;
        }
        /* Two entries of one name: the second would fail to be created on disk; an archive
         * must not hold it twice either. */
        if (i > 0 && strcmp(name, git_tree_entry_name(sorted[i - 1])) == 0) {
            rc = ed_err_set(err, ED_EINVALID, "duplicate path in tree: '%s/%s'", dir, name);
            break;
        }
        git_filemode_t mode = git_tree_entry_filemode(e);
        bool submodule = mode == GIT_FILEMODE_COMMIT && cx->opts->recurse_submodules;
        /* Symlinks are never written (see the top of the file); submodules only on request. */
        if (strcasecmp(name, ".git") == 0 ||
            (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB &&
             mode != GIT_FILEMODE_BLOB_EXECUTABLE && !submodule))
            continue;
        char *path = join(dir, name);
        bool is_dir = mode == GIT_FILEMODE_TREE || submodule;
        enum sparse_verdict sv = all ? SPARSE_ALL : sparse_judge(cx->opts, path, is_dir);
        bool skip = sv == SPARSE_SKIP, excluded = false;
        if (!skip && !cx->opts->unfiltered && ed_source_ignore_match(cx->ig, path, is_dir)) {
            /* An excluded directory is still entered when a `!pattern` brings back a file in
             * it, as Flux's walk does; its other entries stay out one by one. */
            excluded = true;
            skip = !(is_dir && !submodule && ed_source_ignore_has_negation(cx->ig) &&
                     tree_keeps(cx, git_tree_entry_id(e), path, 0));
        }
        if (skip) {
            free(path);
            continue;
        }
        if (submodule)
            rc = write_submodule(cx, e, dirfd, path, err);
        else if (!is_dir)
            rc = write_blob(cx->repo, cx->ar, e, dirfd, path, err);
        else
            rc = write_subdir(cx, cx->repo, git_tree_entry_id(e), dirfd, name, path,
                              sv == SPARSE_ALL, excluded, err);
        free(path);
    }
    free(sorted);
    return rc;
}

/* ---- submodules ---- */

typedef struct gitmodules_find {
    const char *path; /* relative to the repository's root */
    char *name;       /* the submodule's name in .gitmodules, when found */
} gitmodules_find;

static int find_by_path(const git_config_entry *e, void *payload)
{
    gitmodules_find *f = payload;
    if (f->name || !ed_str_has_prefix(e->name, "submodule.") ||
        !ed_str_has_suffix(e->name, ".path") || strcmp(e->value, f->path) != 0)
        return 0;
    /* "submodule.<name>.path" */
    const char *start = e->name + strlen("submodule.");
    const char *end = e->name + strlen(e->name) - strlen(".path");
    if (end > start)
        f->name = ed_xstrndup(start, (size_t)(end - start));
    return 0;
}

/* The URL .gitmodules (in the root tree of cx's repository) gives for the submodule at rel. */
static int gitmodules_url(checkout_ctx *cx, const char *rel, char **url, ed_err *err)
{
    *url = NULL;
    const git_tree_entry *gm = git_tree_entry_byname(cx->root, ".gitmodules");
    if (!gm || git_tree_entry_type(gm) != GIT_OBJECT_BLOB)
        return ed_err_set(err, ED_EINVALID, "submodule '%s' has no entry in .gitmodules", rel);
    git_blob *blob = NULL;
    git_config *cfg = NULL;
    int rc = 0, fd = -1;
    char *tmp = ed_xasprintf("%s/gitmodules-XXXXXX", cx->cache->tmp_dir);
    gitmodules_find f = {.path = rel};
    /* libgit2 reads configuration from files only. (No git_config_foreach_match: libgit2 1.5
     * leaked its regex match data there, and a plain walk costs nothing.) */
    if (git_blob_lookup(&blob, cx->repo, git_tree_entry_id(gm)) != 0) {
        rc = ed_source_git_error(err, ED_ERROR, "read .gitmodules");
        goto cleanup;
    }
    fd = mkstemp(tmp);
    if (fd < 0 || write(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) !=
                      (ssize_t)git_blob_rawsize(blob)) {
        rc = ed_err_set(err, ED_ERROR, "write .gitmodules copy: %s", strerror(errno));
        goto cleanup;
    }
    if (git_config_open_ondisk(&cfg, tmp) != 0 || git_config_foreach(cfg, find_by_path, &f) < 0) {
        rc = ed_err_set(err, ED_EINVALID, "cannot parse .gitmodules");
        goto cleanup;
    }
    git_buf value = GIT_BUF_INIT;
    char *key = f.name ? ed_xasprintf("submodule.%s.url", f.name) : NULL;
    if (!key || git_config_get_string_buf(&value, cfg, key) != 0 || !value.ptr || !*value.ptr)
        rc = ed_err_set(err, ED_EINVALID, "submodule '%s' has no URL in .gitmodules", rel);
    else
        *url = ed_xstrdup(value.ptr);
    git_buf_dispose(&value);
    free(key);
cleanup:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(f.name);
    git_config_free(cfg);
    git_blob_free(blob);
    return rc;
}

/* A relative submodule URL ("../lib.git", "./x") resolved against the parent's URL, as git
 * does: each "../" drops one path component of the parent, which may be scp-like
 * ("git@host:org/app.git" with "../lib.git" is "git@host:org/lib.git"). Absolute URLs,
 * scp-like ones included, are kept. */
static char *resolve_submodule_url(const char *parent, const char *url)
{
    if (strncmp(url, "./", 2) != 0 && strncmp(url, "../", 3) != 0)
        return ed_xstrdup(url);
    char *base = ed_xstrdup(parent);
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    /* Where the path starts: after the authority, or after an scp-like URL's ':'. */
    const char *sep = strstr(base, "://");
    const char *colon = strchr(base, ':');
    size_t path_at = sep     ? (size_t)(sep + 3 - base) + strcspn(sep + 3, "/")
                     : colon ? (size_t)(colon + 1 - base)
                             : 0;
    const char *rest = url;
    for (;;) {
        if (strncmp(rest, "./", 2) == 0) {
            rest += 2;
        } else if (strncmp(rest, "../", 3) == 0) {
            char *slash = strrchr(base + path_at, '/');
            if (slash)
                *slash = '\0';
            else
                base[path_at] = '\0';
            rest += 3;
        } else {
            break;
        }
    }
    /* An scp-like parent whose path is all gone: "host:" + rest, not "host:/rest". */
    bool bare = !sep && colon && strlen(base) == path_at;
    char *out = ed_xasprintf("%s%s%s", base, bare ? "" : "/", rest);
    free(base);
    return out;
}

static int checkout_repo(checkout_ctx *cx, int dirfd, const char *commit, ed_err *err);

/*
 * A submodule URL comes from the repository's content, so whoever can push to it chooses it.
 * Two guards: a file:// URL (which would read repositories on the agent's disk, other
 * GitRepositories' caches included) only below a file:// parent; and *same_origin is set when
 * the submodule is on the parent's scheme, host and port, the only place the parent's
 * credentials are sent (Flux sends them anywhere; eddy does not hand a token to a host that a
 * commit named). An scp-like URL ("git@host:org/lib.git") is SSH on port 22: below an
 * ssh://git@host/... parent on that port it gets the parent's key, as Flux's does. Submodules
 * elsewhere are fetched without credentials.
 */
int ed_source_submodule_url(const char *parent, const char *raw, const char *path, char **url,
                            bool *same_origin, ed_err *err)
{
    *same_origin = false;
    *url = resolve_submodule_url(parent, raw);
    const char *sub = *url;
    ed_source_url p, s;
    int rc = ed_source_url_parse(parent, &p, err);
    if (rc != 0)
        return rc;
    if ((rc = ed_source_url_parse(sub, &s, err)) != 0) {
        ed_source_url_clear(&p);
        return rc;
    }
    if (strcmp(s.scheme, "file") == 0 && strcmp(p.scheme, "file") != 0)
        rc = ed_err_set(err, ED_EINVALID, "submodule '%s': a file:// URL is not allowed", path);
    *same_origin =
        strcmp(p.scheme, s.scheme) == 0 && strcmp(p.host, s.host) == 0 && p.port == s.port;
    ed_source_url_clear(&p);
    ed_source_url_clear(&s);
    return rc;
}

static int write_submodule(checkout_ctx *cx, const git_tree_entry *e, int dirfd, const char *path,
                           ed_err *err)
{
    if (cx->depth >= MAX_SUBMODULE_DEPTH)
        return ed_err_set(err, ED_EINVALID, "submodule '%s': nested more than %d levels", path,
                          MAX_SUBMODULE_DEPTH);
    const char *rel = path + strlen(cx->prefix) + (cx->prefix[0] ? 1 : 0);
    char *raw = NULL, *url = NULL, *norm_sub = NULL, *norm_parent = NULL;
    int rc = gitmodules_url(cx, rel, &raw, err);
    if (rc != 0)
        return rc;
    bool same_origin = false;
    if ((rc = ed_source_submodule_url(cx->url, raw, path, &url, &same_origin, err)) != 0)
        goto cleanup;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
    /* The parent's cache lock is held (shared) while it is written: a submodule on the same
     * URL would wait for itself. */
    if ((rc = ed_source_url_normalize(url, &norm_sub, err)) != 0 ||
        (rc = ed_source_url_normalize(cx->url, &norm_parent, err)) != 0)
        goto cleanup;
    if (strcmp(norm_sub, norm_parent) == 0) {
        rc = ed_err_set(err, ED_EINVALID, "submodule '%s' points to its own repository", path);
        goto cleanup;
    }
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = url;
    fo.ref.commit = hex;
    /* The parent's credentials go only where the parent's go (see ed_source_submodule_url). */
    fo.secret = same_origin ? cx->opts->secret : NULL;
    fo.secret_len = same_origin ? cx->opts->secret_len : 0;
    fo.proxy = cx->opts->proxy;
    fo.proxy_len = cx->opts->proxy_len;
    fo.timeout_ms = cx->opts->timeout_ms;
    ed_source_git_result res;
    rc = ed_source_git_fetch(cx->cache, &fo, &res, err);
    checkout_ctx sub = {.cache = cx->cache,
                        .ar = cx->ar,
                        .opts = cx->opts,
                        .ig = cx->ig,
                        .url = url,
                        .prefix = path,
                        .depth = cx->depth + 1};
    if (rc == 0 && cx->ar) {
        rc = write_header(cx->ar, path, true, 0750, 0, err);
        if (rc == 0)
            rc = checkout_repo(&sub, -1, hex, err);
    } else if (rc == 0) {
        if (mkdirat(dirfd, git_tree_entry_name(e), 0750) != 0) {
            rc = ed_err_set(err, ED_ERROR, "create '%s': %s", path, strerror(errno));
            goto cleanup;
        }
        int subfd =
            openat(dirfd, git_tree_entry_name(e), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (subfd < 0) {
            rc = ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
            goto cleanup;
        }
        rc = checkout_repo(&sub, subfd, hex, err);
        close(subfd);
    }
cleanup:
    if (rc != 0)
        ed_err_wrap(err, "submodule '%s' (%s)", path, norm_sub ? norm_sub : "invalid URL");
    free(raw);
    free(url);
    free(norm_sub);
    free(norm_parent);
    return rc;
}

/* Every sparse-checkout directory must be a directory of the commit (Flux refuses the others). */
static int sparse_check(checkout_ctx *cx, ed_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < cx->opts->sparse_len && rc == 0; i++) {
        char *d = sparse_clean(cx->opts->sparse[i]);
        git_tree_entry *e = NULL;
        if (!d || git_tree_entry_bypath(&e, cx->root, d) != 0 ||
            git_tree_entry_type(e) != GIT_OBJECT_TREE)
            rc = ed_err_set(err, ED_ENOTFOUND,
                            "sparse checkout dir '%s' does not exist in repository",
                            cx->opts->sparse[i]);
        git_tree_entry_free(e);
        free(d);
    }
    return rc;
}

/* Write the tree of commit (hex) of cx->url into dirfd: load the .sourceignore files of the
 * repository (at cx->prefix) into the shared rules, then write. */
static int checkout_repo(checkout_ctx *cx, int dirfd, const char *commit, ed_err *err)
{
    git_commit *c = NULL;
    int lock_fd = -1;
    git_oid oid;
    if (git_oid_fromstr(&oid, commit) != 0)
        return ed_err_set(err, ED_EINVALID, "invalid commit '%s'", commit);
    int rc = ed_source_cache_repo_open(cx->cache, cx->url, &cx->repo, &lock_fd, err);
    if (rc != 0)
        goto cleanup;
    if (git_commit_lookup(&c, cx->repo, &oid) != 0 || git_commit_tree(&cx->root, c) != 0) {
        rc = ed_err_set(err, ED_ENOTFOUND, "commit '%s' is not in the cache", commit);
        goto cleanup;
    }
    if (cx->depth == 0 && (rc = sparse_check(cx, err)) != 0)
        cx->sparse_failed = true;
    if (rc == 0)
        rc = load_sourceignore(cx->repo, cx->root, cx->prefix,
                               cx->depth == 0 && cx->opts->sparse_len > 0 ? cx->opts : NULL, cx->ig,
                               err);
    if (rc == 0 && cx->depth == 0 && cx->opts->ignore)
        ed_source_ignore_add(cx->ig, cx->opts->ignore, strlen(cx->opts->ignore), "");
    /* Flux's other default exclusions only when the repository gave no pattern at all. */
    if (rc == 0 && cx->depth == 0 && ed_source_ignore_len(cx->ig) == cx->vcs_rules)
        ed_source_ignore_add_extra(cx->ig);
    /* Below a submodule the sparse verdict was already ALL or it would not be written. */
    if (rc == 0)
        rc = write_tree(cx, cx->root, dirfd, cx->prefix, cx->depth > 0 || cx->opts->sparse_len == 0,
                        err);
cleanup:
    git_tree_free(cx->root);
    git_commit_free(c);
    ed_source_cache_repo_close(cx->repo, lock_fd);
    cx->root = NULL;
    cx->repo = NULL;
    return rc;
}

/* The tree of opts->commit into the directory dirfd, or into the archive ar when it is not NULL. */
static int checkout_top(ed_source_cache *cache, const ed_source_checkout_opts *opts, int dirfd,
                        struct archive *ar, ed_err *err)
{
    checkout_ctx cx = {.cache = cache, .ar = ar, .opts = opts, .url = opts->url, .prefix = ""};
    cx.ig = ed_source_ignore_new();
    ed_source_ignore_add_vcs(cx.ig);
    cx.vcs_rules = ed_source_ignore_len(cx.ig);
    int rc = checkout_repo(&cx, dirfd, opts->commit, err);
    /* Flux's words for a missing sparse directory (the space before ':' included). */
    if (rc != 0 && cx.sparse_failed)
        ed_err_wrap(err, "failed to sparse checkout directories ");
    else if (rc != 0)
        ed_err_wrap(err, "checkout of '%s' failed", opts->commit);
    ed_source_ignore_free(cx.ig);
    return rc;
}

/* ED_EINVALID unless every sparse-checkout path stays inside the repository. */
static int sparse_validate(const ed_source_checkout_opts *opts, ed_err *err)
{
    for (size_t i = 0; i < opts->sparse_len; i++) {
        char *d = sparse_clean(opts->sparse[i]);
        if (!d)
            return ed_err_set(err, ED_EINVALID,
                              "invalid sparseCheckout path '%s': a directory inside the "
                              "repository is required",
                              opts->sparse[i]);
        free(d);
    }
    return 0;
}

int ed_source_git_checkout_with(ed_source_cache *cache, const ed_source_checkout_opts *opts,
                                const char *dest_dir, ed_err *err)
{
    int rc = sparse_validate(opts, err);
    if (rc != 0)
        return rc;
    int dirfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return ed_err_set(err, ED_ERROR, "open '%s': %s", dest_dir, strerror(errno));
    rc = checkout_top(cache, opts, dirfd, NULL, err);
    close(dirfd);
    return rc;
}

int ed_source_git_checkout(ed_source_cache *cache, const char *url, const char *commit,
                           const char *ignore, const char *dest_dir, ed_err *err)
{
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = commit;
    o.ignore = ignore;
    return ed_source_git_checkout_with(cache, &o, dest_dir, err);
}

/* ---- archive ---- */

typedef struct archive_out {
    int fd;
    EVP_MD_CTX *md;
    int64_t size;
    bool failed; /* a write to the file failed (the storage, not the source) */
} archive_out;

static la_ssize_t archive_out_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
    archive_out *o = ctx;
    const char *p = buf;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(o->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            archive_set_error(a, errno, "write failed");
            o->failed = true;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    EVP_DigestUpdate(o->md, buf, n);
    o->size += (int64_t)n;
    return (la_ssize_t)n;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory at dirfd, sorted; *n gets the count. */
static char **sorted_names(int dirfd, size_t *n)
{
    *n = 0;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    rewinddir(d);
    char **names = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = ed_xrealloc(names, (*n + 1) * sizeof(char *));
        names[(*n)++] = ed_xstrdup(de->d_name);
    }
    closedir(d);
    if (*n > 0)
        qsort(names, *n, sizeof(char *), cmp_names);
    return names;
}

/* Git names files in bytes that are UTF-8 as a rule, and a PAX header carries a name as UTF-8.
 * libarchive converts each name from the charset of the locale it first meets on the archive;
 * the process runs in the C locale (ASCII), where a name such as `café.yaml` has no conversion
 * and the header fails. Headers are written in a UTF-8 locale of this thread instead, which
 * passes the bytes through (an ASCII name gives the same bytes in either; a name that is not
 * UTF-8 is written as bytes, see write_header). */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
    /* (locale_t)0 when the C library has no C.UTF-8: non-ASCII names then fail as before. */
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static int write_header(struct archive *a, const char *path, bool is_dir, mode_t perm, int64_t size,
                        ed_err *err)
{
    struct archive_entry *e = archive_entry_new();
    char *name = is_dir ? ed_xasprintf("%s/", path) : ed_xstrdup(path);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, is_dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, is_dir ? 0 : size);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    pthread_once(&utf8_once, utf8_init);
    locale_t old = utf8_locale ? uselocale(utf8_locale) : (locale_t)0;
    int rc = 0;
    int r = archive_write_header(a, e);
    /* A name that is not UTF-8 (Git names are bytes: 0xff is a name) has no conversion;
     * libarchive warns and writes its bytes as they are in the PAX path record (marked
     * hdrcharset=BINARY), which is what Go's archive/tar writes in Flux's artifact: the entry
     * is there, under the same name. */
    if (r == ARCHIVE_WARN && !ed_utf8_valid(name))
        r = ARCHIVE_OK;
    if (r != ARCHIVE_OK)
        rc = ed_err_set(err, ED_ERROR, "archive '%s': %s", path, archive_error_string(a));
    if (old)
        uselocale(old);
    free(name);
    archive_entry_free(e);
    return rc;
}

/* A file's entry: its own permission bits (keep_modes: `flux push artifact`, whose tar header
 * comes from the file's mode), else Flux's storage's 0600, 0700 for an executable. */
static int archive_file(struct archive *a, int dirfd, const char *name, const char *path,
                        const struct stat *st, bool keep_modes, ed_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
    mode_t perm = keep_modes ? (st->st_mode & 07777) : (st->st_mode & 0111) ? 0700 : 0600;
    int rc = write_header(a, path, false, perm, st->st_size, err);
    int64_t left = st->st_size;
    char buf[65536];
    while (rc == 0 && left > 0) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || r > left) {
            rc = ed_err_set(err, ED_ERROR, "read '%s': changed while archiving", path);
            break;
        }
        if (archive_write_data(a, buf, (size_t)r) != r)
            rc = ed_err_set(err, ED_ERROR, "archive '%s': %s", path, archive_error_string(a));
        left -= r;
    }
    close(fd);
    return rc;
}

/* A file entry with the blob's bytes, written in the chunks archive_file writes (the gzip
 * stream, and so the digest, must not depend on where the bytes came from). */
static int archive_blob(struct archive *a, git_blob *blob, mode_t perm, const char *path,
                        ed_err *err)
{
    const char *p = git_blob_rawcontent(blob);
    int64_t left = (int64_t)git_blob_rawsize(blob);
    int rc = write_header(a, path, false, perm, left, err);
    while (rc == 0 && left > 0) {
        size_t chunk = left > 65536 ? 65536 : (size_t)left;
        if (archive_write_data(a, p, chunk) != (la_ssize_t)chunk)
            rc = ed_err_set(err, ED_ERROR, "archive '%s': %s", path, archive_error_string(a));
        p += chunk;
        left -= (int64_t)chunk;
    }
    return rc;
}

/* Archive the entries of dirfd (whose path in the archive is dir), leaving out what ig (may be
 * NULL) excludes: an excluded directory is not entered. keep_modes: each entry with its own
 * permission bits (archive_file). */
static int archive_dir(struct archive *a, int dirfd, const char *dir, const ed_source_ignore *ig,
                       bool keep_modes, ed_err *err)
{
    size_t n = 0;
    char **names = sorted_names(dirfd, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *path = rc == 0 ? join(dir, names[i]) : NULL;
        if (rc != 0 || fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (rc == 0)
                rc = ed_err_set(err, ED_ERROR, "stat '%s': %s", path, strerror(errno));
        } else if (ig && ed_source_ignore_match(ig, path, S_ISDIR(st.st_mode))) {
            /* Left out by the ignore rules. */
        } else if (S_ISREG(st.st_mode)) {
            rc = archive_file(a, dirfd, names[i], path, &st, keep_modes, err);
        } else if (S_ISDIR(st.st_mode)) {
            rc = write_header(a, path, true, keep_modes ? (st.st_mode & 07777) : 0750, 0, err);
            int sub = rc == 0
                          ? openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : -1;
            if (rc == 0 && sub < 0)
                rc = ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
            if (rc == 0)
                rc = archive_dir(a, sub, path, ig, keep_modes, err);
            if (sub >= 0)
                close(sub);
        }
        /* Anything else (symlinks, sockets, devices) is left out, as Flux does. */
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* An archive being written to a temp file next to its final path. */
typedef struct archive_sink {
    char *tmp;
    archive_out o;
    struct archive *a;
} archive_sink;

/* Open a deterministic tar.gz writer on a temp file next to out_path. */
static int sink_open(archive_sink *s, const char *out_path, ed_err *err)
{
    s->tmp = ed_xasprintf("%s.tmp-XXXXXX", out_path);
    s->o = (archive_out){.fd = -1, .md = EVP_MD_CTX_new()};
    s->a = archive_write_new();
    s->o.fd = mkostemp(s->tmp, O_CLOEXEC);
    if (s->o.fd < 0) {
        s->o.failed = true;
        return ed_err_set(err, ED_ERROR, "create '%s': %s", s->tmp, strerror(errno));
    }
    if (!s->o.md || EVP_DigestInit_ex(s->o.md, EVP_sha256(), NULL) != 1)
        abort(); /* Defensive: SHA-256 is always in the default provider. */
    if (archive_write_add_filter_gzip(s->a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(s->a) != ARCHIVE_OK ||
        archive_write_set_options(s->a, "gzip:!timestamp") != ARCHIVE_OK ||
        /* No zero padding after the gzip member (libarchive pads the compressed stream to
         * 10240-byte blocks by default): the file ends where the gzip stream ends, as Flux's. */
        archive_write_set_bytes_in_last_block(s->a, 1) != ARCHIVE_OK ||
        archive_write_open(s->a, &s->o, NULL, archive_out_write, NULL) != ARCHIVE_OK)
        return ed_err_set(err, ED_ERROR, "archive: %s", archive_error_string(s->a));
    return 0;
}

/* Finish the archive (when rc is 0), sync it and rename it to out_path, with its digest and size
 * in *info; on failure (rc or here) the temp file goes. Frees s. Returns rc or the new error. */
static int sink_close(archive_sink *s, int rc, const char *out_path, ed_source_artifact_info *info,
                      ed_err *err)
{
    if (rc == 0 && archive_write_close(s->a) != ARCHIVE_OK)
        rc = ed_err_set(err, ED_ERROR, "archive: %s", archive_error_string(s->a));
    if (rc == 0 && (fchmod(s->o.fd, 0600) != 0 || fsync(s->o.fd) != 0)) {
        s->o.failed = true;
        rc = ed_err_set(err, ED_ERROR, "write '%s': %s", s->tmp, strerror(errno));
    }
    if (rc == 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(s->o.md, md, &len);
        memcpy(info->digest, "sha256:", 7);
        for (unsigned int i = 0; i < len && i < 32; i++)
            snprintf(info->digest + 7 + 2 * i, 3, "%02x", md[i]);
        info->size = s->o.size;
    }
    archive_write_free(s->a);
    if (s->o.fd >= 0 && close(s->o.fd) != 0 && rc == 0) {
        s->o.failed = true;
        rc = ed_err_set(err, ED_ERROR, "write '%s': %s", s->tmp, strerror(errno));
    }
    if (rc == 0 && rename(s->tmp, out_path) != 0) {
        s->o.failed = true;
        rc = ed_err_set(err, ED_ERROR, "rename to '%s': %s", out_path, strerror(errno));
    }
    if (rc != 0 && s->o.fd >= 0)
        unlink(s->tmp);
    EVP_MD_CTX_free(s->o.md);
    free(s->tmp);
    return rc;
}

int ed_source_archive_create(const char *dir, const char *out_path, ed_source_artifact_info *info,
                             ed_err *err)
{
    memset(info, 0, sizeof(*info));
    archive_sink s;
    int rc = sink_open(&s, out_path, err);
    int dirfd = -1;
    if (rc == 0 && (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        rc = ed_err_set(err, ED_ERROR, "open '%s': %s", dir, strerror(errno));
    if (rc == 0)
        rc = archive_dir(s.a, dirfd, "", NULL, false, err);
    if (dirfd >= 0)
        close(dirfd);
    return sink_close(&s, rc, out_path, info, err);
}

int ed_source_archive_create_from(const char *path, const char *ignore, const char *out_path,
                                  ed_source_artifact_info *info, ed_err *err)
{
    memset(info, 0, sizeof(*info));
    struct stat st;
    if (stat(path, &st) != 0)
        return ed_err_set(err, ED_EINVALID, "'%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return ed_err_set(err, ED_EINVALID, "'%s' is neither a directory nor a regular file", path);
    ed_source_ignore *ig = NULL;
    if (ignore && *ignore) {
        ig = ed_source_ignore_new();
        ed_source_ignore_add(ig, ignore, strlen(ignore), "");
    }
    archive_sink s;
    int rc = sink_open(&s, out_path, err);
    int fd = -1;
    if (rc == 0 && S_ISDIR(st.st_mode)) {
        if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            rc = ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
        else
            rc = archive_dir(s.a, fd, "", ig, true, err);
    } else if (rc == 0) {
        /* One file: one entry, named as the file is (flux's single-file artifact). */
        char *copy = ed_xstrdup(path);
        char *slash = strrchr(copy, '/');
        const char *base = slash ? slash + 1 : copy;
        if (slash)
            *slash = '\0';
        const char *parent = slash ? (*copy ? copy : "/") : ".";
        if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            rc = ed_err_set(err, ED_ERROR, "open '%s': %s", parent, strerror(errno));
        else
            rc = archive_file(s.a, fd, base, base, &st, true, err);
        free(copy);
    }
    if (fd >= 0)
        close(fd);
    ed_source_ignore_free(ig);
    return sink_close(&s, rc, out_path, info, err);
}

int ed_source_git_artifact_build_with(ed_source_cache *cache, const ed_source_checkout_opts *opts,
                                      const char *out_path, ed_source_artifact_info *info,
                                      bool *write_failed, ed_err *err)
{
    memset(info, 0, sizeof(*info));
    bool failed_ignored;
    if (!write_failed)
        write_failed = &failed_ignored;
    *write_failed = false;
    int rc = sparse_validate(opts, err);
    if (rc != 0)
        return rc;
    archive_sink s;
    rc = sink_open(&s, out_path, err);
    if (rc == 0)
        rc = checkout_top(cache, opts, -1, s.a, err);
    rc = sink_close(&s, rc, out_path, info, err);
    /* A write that failed inside libarchive surfaces as an error of the entry being written. */
    *write_failed = rc != 0 && s.o.failed;
    return rc;
}

int ed_source_git_artifact_build(ed_source_cache *cache, const char *url, const char *commit,
                                 const char *ignore, const char *out_path,
                                 ed_source_artifact_info *info, ed_err *err)
{
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = commit;
    o.ignore = ignore;
    return ed_source_git_artifact_build_with(cache, &o, out_path, info, NULL, err);
}

/* ---- ignore rules on a directory (for artifacts with includes) ---- */

/* Read the .sourceignore in dirfd (if any) into ig, relative to rel. */
static int load_disk_sourceignore(int dirfd, const char *rel, ed_source_ignore *ig, ed_err *err)
{
    int fd = openat(dirfd, ".sourceignore", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    char chunk[4096];
    ssize_t r;
    int rc = 0;
    while ((r = read(fd, chunk, sizeof(chunk))) > 0)
        if (ed_buf_append(&b, chunk, (size_t)r) != 0) {
            rc = ed_err_set(err, ED_ETOOBIG, "'%s/.sourceignore' is larger than 1 MiB", rel);
            break;
        }
    close(fd);
    if (rc == 0)
        ed_source_ignore_add(ig, b.data ? b.data : "", b.len, rel);
    ed_buf_free(&b);
    return rc;
}

/* Every .sourceignore below dirfd (at rel), parents first, .git skipped. */
static int load_disk_rules(int dirfd, const char *rel, ed_source_ignore *ig, ed_err *err)
{
    int rc = load_disk_sourceignore(dirfd, rel, ig, err);
    size_t n = 0;
    char **names = sorted_names(dirfd, &n);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && strcmp(names[i], ".git") != 0 &&
            fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char *path = join(rel, names[i]);
            rc = sub >= 0 ? load_disk_rules(sub, path, ig, err)
                          : ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
            if (sub >= 0)
                close(sub);
            free(path);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Remove what ig excludes below dirfd (at rel); anything but files and directories goes too. */
static int prune_dir(int dirfd, const char *dir_path, const char *rel, const ed_source_ignore *ig,
                     ed_err *err)
{
    size_t n = 0;
    char **names = sorted_names(dirfd, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *path = join(rel, names[i]);
        if (rc == 0 && fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
            bool is_dir = S_ISDIR(st.st_mode);
            bool excluded = is_dir && ed_source_ignore_match(ig, path, true);
            /* An excluded directory is entered too when a `!pattern` may bring a file in it
             * back (Flux's walk), and removed if nothing in it stayed. */
            if (is_dir && (!excluded || ed_source_ignore_has_negation(ig))) {
                int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                char *sub_path = ed_xasprintf("%s/%s", dir_path, names[i]);
                rc = sub >= 0 ? prune_dir(sub, sub_path, path, ig, err)
                              : ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
                if (sub >= 0)
                    close(sub);
                free(sub_path);
                if (rc == 0 && excluded)
                    unlinkat(dirfd, names[i], AT_REMOVEDIR); /* fails when not empty: kept */
            } else if (is_dir) {
                char *full = ed_xasprintf("%s/%s", dir_path, names[i]);
                ed_path_remove_tree(full);
                free(full);
            } else if (!S_ISREG(st.st_mode) || ed_source_ignore_match(ig, path, false)) {
                if (unlinkat(dirfd, names[i], 0) != 0)
                    rc = ed_err_set(err, ED_ERROR, "remove '%s': %s", path, strerror(errno));
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

int ed_source_dir_filter(const char *dir, const char *ignore, ed_err *err)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return ed_err_set(err, ED_ERROR, "open '%s': %s", dir, strerror(errno));
    ed_source_ignore *ig = ed_source_ignore_new();
    ed_source_ignore_add_vcs(ig);
    size_t vcs = ed_source_ignore_len(ig);
    int rc = load_disk_rules(dirfd, "", ig, err);
    if (rc == 0 && ignore)
        ed_source_ignore_add(ig, ignore, strlen(ignore), "");
    if (rc == 0 && ed_source_ignore_len(ig) == vcs)
        ed_source_ignore_add_extra(ig);
    if (rc == 0)
        rc = prune_dir(dirfd, dir, "", ig, err);
    ed_source_ignore_free(ig);
    close(dirfd);
    return rc;
}

/* ---- unpack ---- */

/* True when rel (relative, '/'-separated) has no empty-after-root, `..` or absolute part. */
static bool rel_path_ok(const char *rel)
{
    if (rel[0] == '/' || rel[0] == '\0')
        return false;
    const char *p = rel;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

int ed_source_archive_unpack(const char *archive_path, const char *dest_dir, int64_t max_bytes,
                             ed_err *err)
{
    char root[PATH_MAX];
    if (!realpath(dest_dir, root))
        return ed_err_set(err, ED_ERROR, "unpack into '%s': %s", dest_dir, strerror(errno));
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    archive_read_support_filter_gzip(in);
    archive_read_support_format_tar(in);
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_NO_OVERWRITE);
    int64_t total = 0;
    int rc = 0;
    char *rel = NULL;
    if (archive_read_open_filename(in, archive_path, 65536) != ARCHIVE_OK) {
        rc = ed_err_set(err, ED_ERROR, "open '%s': %s", archive_path, archive_error_string(in));
        goto cleanup;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        /* A PAX name is UTF-8 (Go's archive/tar writes Flux's artifacts and eddy's the same
         * way); in the C locale libarchive cannot convert a non-ASCII one and warns, keeping
         * the name's bytes as they are, which is the name. */
        if (r == ARCHIVE_WARN && archive_entry_pathname(e))
            r = ARCHIVE_OK;
        if (r != ARCHIVE_OK) {
            rc = ed_err_set(err, ED_EINVALID, "read '%s': %s", archive_path,
                            archive_error_string(in));
            goto cleanup;
        }
        /* A copy: setting the entry's pathname below frees libarchive's. */
        free(rel);
        const char *name = archive_entry_pathname(e);
        rel = ed_xstrdup(name ? name : "");
        if (!rel_path_ok(rel)) {
            rc = ed_err_set(err, ED_EINVALID, "unsafe path in archive: '%s'", rel);
            goto cleanup;
        }
        mode_t type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e)) {
            rc = ed_err_set(err, ED_EINVALID, "hard link in archive: '%s'", rel);
            goto cleanup;
        }
        if (type == AE_IFLNK)
            continue; /* left out, as Flux's untar (WithSkipSymlinks) */
        if (type != AE_IFREG && type != AE_IFDIR) {
            rc = ed_err_set(err, ED_EINVALID, "unsupported file type in archive: '%s'", rel);
            goto cleanup;
        }
        if (type == AE_IFREG) {
            total += archive_entry_size(e);
            if (max_bytes > 0 && total > max_bytes) {
                rc = ed_err_set(err, ED_ETOOBIG, "archive '%s' holds more than %lld bytes",
                                archive_path, (long long)max_bytes);
                goto cleanup;
            }
        }
        char *full = ed_xasprintf("%s/%s", root, rel);
        archive_entry_set_pathname(e, full);
        free(full);
        r = archive_write_header(out, e);
        if (r == ARCHIVE_OK && type == AE_IFREG && archive_entry_size(e) > 0) {
            const void *buf;
            size_t len;
            la_int64_t off;
            while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK) {
                    r = ARCHIVE_FATAL;
                    break;
                }
            if (r == ARCHIVE_EOF)
                r = ARCHIVE_OK;
        }
        if (r == ARCHIVE_OK)
            r = archive_write_finish_entry(out);
        if (r != ARCHIVE_OK) {
            rc = ed_err_set(err, ED_EINVALID, "unpack '%s': %s", rel,
                            archive_error_string(out) ? archive_error_string(out)
                                                      : archive_error_string(in));
            goto cleanup;
        }
    }
cleanup:
    free(rel);
    archive_read_free(in);
    archive_write_free(out);
    return rc;
}

/* ---- include ---- */

int ed_source_include_copy(const char *archive_path, const char *from_path, const char *to_path,
                           const char *dest_dir, const char *tmp_dir, ed_err *err)
{
    /* Both read as Flux's SecureJoin reads them: below the root whatever they say ("/vendor",
     * "../x" and "./x/" name "vendor" and "x"). */
    char *from = ed_path_clamp(from_path ? from_path : ""),
         *to = ed_path_clamp(to_path ? to_path : "");
    char *tmp = ed_xasprintf("%s/include-XXXXXX", tmp_dir);
    char *src = NULL, *dst = NULL;
    bool made = false;
    int rc = 0;
    if (!to[0]) {
        rc = ed_err_set(err, ED_EINVALID,
                        "invalid include path '%s': must name a directory below the artifact's "
                        "root",
                        to_path);
        goto cleanup;
    }
    if (!mkdtemp(tmp)) {
        rc = ed_err_set(err, ED_ERROR, "create temp dir: %s", strerror(errno));
        goto cleanup;
    }
    made = true;
    if ((rc = ed_source_archive_unpack(archive_path, tmp, 0, err)) != 0)
        goto cleanup;
    src = from[0] ? ed_xasprintf("%s/%s", tmp, from) : ed_xstrdup(tmp);
    dst = ed_xasprintf("%s/%s", dest_dir, to);
    struct stat st;
    /* A directory, or a single file (Flux renames whatever fromPath names). */
    if (lstat(src, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
        rc = ed_err_set(err, ED_ENOTFOUND, "no '%s' in the included artifact", from);
        goto cleanup;
    }
    char *slash = strrchr(dst, '/');
    *slash = '\0';
    int mk = ed_path_mkdir_all(dst);
    *slash = '/';
    if (mk != 0) {
        rc = ed_err_set(err, ED_ERROR, "create the parents of '%s': %s", to, strerror(errno));
        goto cleanup;
    }
    /* A rename, as Flux moves the unpacked tree: an empty directory is replaced, a non-empty
     * one is an error rather than a silent merge of two trees. */
    if (rename(src, dst) != 0) {
        rc = errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR
                 ? ed_err_set(err, ED_ECONFLICT, "'%s' already exists in the artifact", to)
                 : ed_err_set(err, ED_ERROR, "move to '%s': %s", to, strerror(errno));
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode) && chmod(dst, 0750) != 0)
        rc = ed_err_set(err, ED_ERROR, "chmod '%s': %s", to, strerror(errno));
cleanup:
    if (made)
        ed_path_remove_tree(tmp);
    free(src);
    free(dst);
    free(tmp);
    free(from);
    free(to);
    return rc;
}
