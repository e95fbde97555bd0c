/*
 * Artifacts, as source-controller builds them (fluxcd/pkg/artifact/storage): the tree of a
 * commit, without `.git`, filtered by the ignore rules, packed as a gzip-compressed tar whose
 * bytes depend only on the content, and its SHA-256 digest (`sha256:<hex>`).
 *
 * The checkout writes blobs from the cache straight into a directory the caller owns; names
 * come from Git, so each is checked (no '/', not `.` or `..`, not empty), every file is created
 * with O_EXCL|O_NOFOLLOW below a directory descriptor, and symlinks and submodules are not
 * written at all (Flux's archive skips every non-regular file, so the artifact is the same).
 *
 * The archive normalises headers as Flux does: uid/gid 0 without names, mtime 0, directories
 * 0750, files 0600, executables 0700. Entries are sorted by name, a directory before its
 * contents (Go's filepath.Walk order), and gzip gets no timestamp, so one tree always gives one
 * digest. The bytes are not Go's: gzip and tar writers differ, so the digest of eddy's archive
 * is not that of Flux's for the same commit; consumers verify the digest the status names.
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
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- checkout ---- */

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

/* Add every .sourceignore below tree (at relative dir), parents before children, skipping
 * directories that the rules so far exclude (as fluxcd/pkg/sourceignore loads them). */
static int load_sourceignore(git_repository *repo, git_tree *tree, const char *dir,
                             ed_source_ignore *ig, ed_err *err)
{
    const git_tree_entry *si = git_tree_entry_byname(tree, ".sourceignore");
    if (si && git_tree_entry_type(si) == GIT_OBJECT_BLOB) {
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
        char *path = join(dir, name);
        if (!ed_source_ignore_match(ig, path, true)) {
            git_tree *sub = NULL;
            if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) != 0)
                rc = ed_source_git_error(err, ED_ERROR, "read tree");
            else
                rc = load_sourceignore(repo, sub, path, ig, err);
            git_tree_free(sub);
        }
        free(path);
    }
    return rc;
}

static int write_blob(git_repository *repo, const git_tree_entry *e, int dirfd, const char *path,
                      ed_err *err)
{
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) != 0)
        return ed_source_git_error(err, ED_ERROR, "read blob");
    mode_t mode = git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE ? 0700 : 0600;
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

static int write_tree(git_repository *repo, git_tree *tree, int dirfd, const char *dir,
                      const ed_source_ignore *ig, ed_err *err)
{
    size_t n = git_tree_entrycount(tree);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        if (!safe_name(name))
            return ed_err_set(err, ED_EINVALID, "unsafe path in tree: '%s/%s'", dir, name);
        git_filemode_t mode = git_tree_entry_filemode(e);
        /* Symlinks and submodules are never written (see the top of the file). */
        if (strcasecmp(name, ".git") == 0 ||
            (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB &&
             mode != GIT_FILEMODE_BLOB_EXECUTABLE))
            continue;
        char *path = join(dir, name);
        bool is_dir = mode == GIT_FILEMODE_TREE;
        if (ed_source_ignore_match(ig, path, is_dir)) {
            free(path);
            continue;
        }
        if (!is_dir) {
            rc = write_blob(repo, e, dirfd, path, err);
        } else {
            git_tree *sub = NULL;
            int subfd = -1;
            if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) != 0)
                rc = ed_source_git_error(err, ED_ERROR, "read tree");
            else if (mkdirat(dirfd, name, 0750) != 0 ||
                     (subfd =
                          openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                rc = ed_err_set(err, ED_ERROR, "create '%s': %s", path, strerror(errno));
            else
                rc = write_tree(repo, sub, subfd, path, ig, err);
            if (subfd >= 0)
                close(subfd);
            git_tree_free(sub);
        }
        free(path);
    }
    return rc;
}

int ed_source_git_checkout(ed_source_cache *cache, const char *url, const char *commit,
                           const char *ignore, const char *dest_dir, ed_err *err)
{
    git_repository *repo = NULL;
    git_commit *c = NULL;
    git_tree *tree = NULL;
    ed_source_ignore *ig = NULL;
    int lock_fd = -1, dirfd = -1;
    git_oid oid;
    if (git_oid_fromstr(&oid, commit) != 0)
        return ed_err_set(err, ED_EINVALID, "invalid commit '%s'", commit);
    int rc = ed_source_cache_repo_open(cache, url, &repo, &lock_fd, err);
    if (rc != 0)
        goto cleanup;
    if (git_commit_lookup(&c, repo, &oid) != 0 || git_commit_tree(&tree, c) != 0) {
        rc = ed_err_set(err, ED_ENOTFOUND, "commit '%s' is not in the cache", commit);
        goto cleanup;
    }
    dirfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        rc = ed_err_set(err, ED_ERROR, "open '%s': %s", dest_dir, strerror(errno));
        goto cleanup;
    }
    ig = ed_source_ignore_new();
    ed_source_ignore_add_defaults(ig);
    rc = load_sourceignore(repo, tree, "", ig, err);
    if (rc != 0)
        goto cleanup;
    if (ignore)
        ed_source_ignore_add(ig, ignore, strlen(ignore), "");
    rc = write_tree(repo, tree, dirfd, "", ig, err);
cleanup:
    if (rc != 0)
        ed_err_wrap(err, "checkout of '%s' failed", commit);
    if (dirfd >= 0)
        close(dirfd);
    ed_source_ignore_free(ig);
    git_tree_free(tree);
    git_commit_free(c);
    git_repository_free(repo);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}

/* ---- archive ---- */

typedef struct archive_out {
    int fd;
    EVP_MD_CTX *md;
    int64_t size;
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
    int rc = 0;
    if (archive_write_header(a, e) != ARCHIVE_OK)
        rc = ed_err_set(err, ED_ERROR, "archive '%s': %s", path, archive_error_string(a));
    free(name);
    archive_entry_free(e);
    return rc;
}

static int archive_file(struct archive *a, int dirfd, const char *name, const char *path,
                        const struct stat *st, ed_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
    mode_t perm = (st->st_mode & 0111) ? 0700 : 0600;
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

static int archive_dir(struct archive *a, int dirfd, const char *dir, ed_err *err)
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
        } else if (S_ISREG(st.st_mode)) {
            rc = archive_file(a, dirfd, names[i], path, &st, err);
        } else if (S_ISDIR(st.st_mode)) {
            rc = write_header(a, path, true, 0750, 0, err);
            int sub = rc == 0
                          ? openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : -1;
            if (rc == 0 && sub < 0)
                rc = ed_err_set(err, ED_ERROR, "open '%s': %s", path, strerror(errno));
            if (rc == 0)
                rc = archive_dir(a, sub, path, err);
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

int ed_source_archive_create(const char *dir, const char *out_path, ed_source_artifact_info *info,
                             ed_err *err)
{
    memset(info, 0, sizeof(*info));
    char *tmp = ed_xasprintf("%s.tmp-XXXXXX", out_path);
    archive_out o = {.fd = -1, .md = EVP_MD_CTX_new()};
    struct archive *a = archive_write_new();
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (dirfd < 0) {
        rc = ed_err_set(err, ED_ERROR, "open '%s': %s", dir, strerror(errno));
        goto cleanup;
    }
    o.fd = mkostemp(tmp, O_CLOEXEC);
    if (o.fd < 0) {
        rc = ed_err_set(err, ED_ERROR, "create '%s': %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (!o.md || EVP_DigestInit_ex(o.md, EVP_sha256(), NULL) != 1)
        abort(); /* Defensive: SHA-256 is always in the default provider. */
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK ||
        archive_write_open(a, &o, NULL, archive_out_write, NULL) != ARCHIVE_OK) {
        rc = ed_err_set(err, ED_ERROR, "archive: %s", archive_error_string(a));
        goto cleanup;
    }
    rc = archive_dir(a, dirfd, "", err);
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = ed_err_set(err, ED_ERROR, "archive: %s", archive_error_string(a));
    if (rc == 0 && (fchmod(o.fd, 0600) != 0 || fsync(o.fd) != 0))
        rc = ed_err_set(err, ED_ERROR, "write '%s': %s", tmp, strerror(errno));
    if (rc == 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(o.md, md, &len);
        memcpy(info->digest, "sha256:", 7);
        for (unsigned int i = 0; i < len && i < 32; i++)
            snprintf(info->digest + 7 + 2 * i, 3, "%02x", md[i]);
        info->size = o.size;
    }
cleanup:
    archive_write_free(a);
    if (o.fd >= 0 && close(o.fd) != 0 && rc == 0)
        rc = ed_err_set(err, ED_ERROR, "write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, out_path) != 0)
        rc = ed_err_set(err, ED_ERROR, "rename to '%s': %s", out_path, strerror(errno));
    if (rc != 0 && o.fd >= 0)
        unlink(tmp);
    if (dirfd >= 0)
        close(dirfd);
    EVP_MD_CTX_free(o.md);
    free(tmp);
    return rc;
}

int ed_source_git_artifact_build(ed_source_cache *cache, const char *url, const char *commit,
                                 const char *ignore, const char *out_path,
                                 ed_source_artifact_info *info, ed_err *err)
{
    char *tmp = ed_xasprintf("%s/checkout-XXXXXX", cache->tmp_dir);
    int rc = 0;
    if (!mkdtemp(tmp)) {
        rc = ed_err_set(err, ED_ERROR, "create temp dir: %s", strerror(errno));
        free(tmp);
        return rc;
    }
    rc = ed_source_git_checkout(cache, url, commit, ignore, tmp, err);
    if (rc == 0)
        rc = ed_source_archive_create(tmp, out_path, info, err);
    ed_path_remove_tree(tmp);
    free(tmp);
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

/* True when a symlink at entry path with target stays below the root, judged lexically. */
static bool link_target_ok(const char *path, const char *target)
{
    if (target[0] == '\0')
        return false;
    /* Depth of the link's directory below the root. */
    long depth = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/' && p[1] != '\0')
            depth++;
    return ed_path_within(target, depth);
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
        if (type == AE_IFLNK) {
            const char *target = archive_entry_symlink(e);
            if (!target || !link_target_ok(rel, target)) {
                rc = ed_err_set(err, ED_EINVALID, "symlink '%s' points outside the archive", rel);
                goto cleanup;
            }
        } else if (type != AE_IFREG && type != AE_IFDIR) {
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
