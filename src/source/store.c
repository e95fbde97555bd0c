/*
 * The artifact store, as source-controller's storage keeps it: one directory per object at
 * `<storage>/<lowercase kind>/<namespace>/<name>/`, holding the archives of its revisions
 * (`<sha>.tar.gz`), each advertised at `http://<--storage-adv-addr>/<kind>/<ns>/<name>/<file>`.
 *
 * An archive is written to a temp file under `<storage>/tmp` (same file system) and renamed
 * into place, so a reader (the artifact server, an in-process consumer) sees either the old set
 * of files or the complete new one, never a half-written archive. Flux's garbage collection
 * (ed_artifact_store_gc) runs in one object's directory at a time, by the files' modification
 * times: the artifact in status stays, other files past the retention TTL go, then the oldest
 * until the retention count is met.
 *
 * Every path that reaches the file system from outside (a put's names, a path asked of `has`,
 * `file` or the server) is checked twice: on its text (exactly four plain components, none
 * empty, ".", ".." or hidden, no reserved top directory), and after resolution (realpath must
 * stay below the real storage root), so neither `..` nor a symlink can lead out of the root.
 */
#include "source_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ed_artifact_store {
    char *root;     /* realpath of the storage path, without a trailing '/' */
    char *tmp_dir;  /* <root>/tmp */
    char *url_base; /* "http://host:port" or the advertised URL, without a trailing '/' */
};

/* Top-level directories of the storage path that hold no artifacts: the Git cache, temp files
 * (source/git.c shares the storage path) and the tags ImageRepositories keep on disk
 * (image/scan.c). Never a kind, never served. */
static const char *const reserved_top[] = {"git", "tmp", "imagerepository"};

/* ---- names and paths ---- */

/* True when s can be one component of an artifact path: not empty, not "." or "..", not hidden
 * (dot files are the store's own), no '/', at most NAME_MAX bytes. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX || s[0] == '.')
        return false;
    return memchr(s, '/', n) == NULL;
}

static bool reserved(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(reserved_top) / sizeof(reserved_top[0]); i++)
        if (strlen(reserved_top[i]) == n && memcmp(reserved_top[i], s, n) == 0)
            return true;
    return false;
}

/* True when rel is an artifact path as put makes them: `<kind>/<ns>/<name>/<file>`. */
static bool rel_ok(const char *rel)
{
    if (!ed_path_within(rel, 0))
        return false;
    const char *p = rel;
    for (int i = 0; i < 4; i++) {
        const char *slash = strchr(p, '/');
        if ((slash != NULL) != (i < 3))
            return false;
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!name_ok(p, n) || (i == 0 && reserved(p, n)))
            return false;
        p += n + (slash ? 1 : 0);
    }
    return true;
}

/* Check the names of one object, with kind already lowercased. */
static int names_check(const char *kind, const char *ns, const char *name, ed_err *err)
{
    if (!name_ok(kind, strlen(kind)) || reserved(kind, strlen(kind)))
        return ed_err_set(err, ED_EINVALID, "invalid artifact kind '%s'", kind);
    if (!name_ok(ns, strlen(ns)))
        return ed_err_set(err, ED_EINVALID, "invalid artifact namespace '%s'", ns);
    if (!name_ok(name, strlen(name)))
        return ed_err_set(err, ED_EINVALID, "invalid artifact name '%s'", name);
    return 0;
}

static char *lowercase(const char *s)
{
    char *l = ed_xstrdup(s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

/* True when the absolute, resolved path abs is root itself or below it. */
static bool below_root(const ed_artifact_store *store, const char *abs)
{
    size_t n = strlen(store->root);
    return strncmp(abs, store->root, n) == 0 && (abs[n] == '/' || abs[n] == '\0');
}

/* Append s to b percent-encoded, every byte but RFC 3986's unreserved ones, '/', and ':' and
 * '@' (which a path segment may hold as they are): Flux writes an OCIRepository's artifact URL
 * with the digest's "sha256:" unescaped, and so does eddy. */
static void url_escape(ed_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/' ||
            *p == ':' || *p == '@') {
            ed_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            ed_buf_append(b, e, 3);
        }
    }
}

/* ---- open and free ---- */

int ed_artifact_store_open(const char *storage_path, const char *adv_addr, ed_artifact_store **out,
                           ed_err *err)
{
    *out = NULL;
    if (!adv_addr || !*adv_addr)
        return ed_err_set(err, ED_EINVALID, "the storage advertised address is empty");
    if (!storage_path || !*storage_path)
        return ed_err_set(err, ED_EINVALID, "the storage path is empty");
    if (ed_path_mkdir_all(storage_path) != 0)
        return ed_err_set(err, ED_ERROR, "cannot create the storage path '%s': %s", storage_path,
                          strerror(errno));
    char *root = realpath(storage_path, NULL);
    if (!root)
        return ed_err_set(err, ED_ERROR, "cannot resolve the storage path '%s': %s", storage_path,
                          strerror(errno));
    ed_artifact_store *s = ed_xcalloc(1, sizeof(*s));
    /* realpath gives "/" for the file system root; keep the root without a trailing '/' so
     * "<root>/<path>" is always well formed. */
    if (strcmp(root, "/") == 0)
        root[0] = '\0';
    s->root = root;
    s->tmp_dir = ed_xasprintf("%s/tmp", root);
    if (mkdir(s->tmp_dir, 0700) != 0 && errno != EEXIST) {
        int rc = ed_err_set(err, ED_ERROR, "cannot create '%s': %s", s->tmp_dir, strerror(errno));
        ed_artifact_store_free(s);
        return rc;
    }
    /* Flux's --storage-adv-addr is a host[:port]; a full URL is taken as is. */
    size_t n = strlen(adv_addr);
    while (n > 0 && adv_addr[n - 1] == '/')
        n--;
    if (n == 0) {
        ed_artifact_store_free(s);
        return ed_err_set(err, ED_EINVALID, "invalid storage advertised address '%s'", adv_addr);
    }
    if (strstr(adv_addr, "://"))
        s->url_base = ed_xstrndup(adv_addr, n);
    else
        s->url_base = ed_xasprintf("http://%.*s", (int)n, adv_addr);
    *out = s;
    return 0;
}

void ed_artifact_store_free(ed_artifact_store *store)
{
    if (!store)
        return;
    free(store->root);
    free(store->tmp_dir);
    free(store->url_base);
    free(store);
}

const char *ed_artifact_store_tmpdir(ed_artifact_store *store)
{
    return store->tmp_dir;
}

/* ---- garbage collection ---- */

struct gc_entry {
    char *name;
    struct timespec mtime;
    bool garbage;
};

/* Oldest first, by modification time, then by name (a stable order when the clock's
 * granularity gives two files the same time). */
static int gc_order(const void *pa, const void *pb)
{
    const struct gc_entry *a = pa, *b = pb;
    if (a->mtime.tv_sec != b->mtime.tv_sec)
        return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
    if (a->mtime.tv_nsec != b->mtime.tv_nsec)
        return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Mark the files Flux's GetGarbageFiles would return (see ed_artifact_store_gc); ents is sorted
 * oldest first. */
static void gc_mark(struct gc_entry *ents, size_t n, const char *current, int records,
                    int64_t ttl_ms, const struct timespec *now)
{
    long total = (long)n, expired = 0, collected = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t age_ms = (int64_t)(now->tv_sec - ents[i].mtime.tv_sec) * 1000 +
                         (now->tv_nsec - ents[i].mtime.tv_nsec) / 1000000;
        ents[i].garbage = strcmp(ents[i].name, current) != 0 && age_ms > ttl_ms;
        expired += ents[i].garbage;
    }
    if (total - expired < records)
        return;
    /* By count, oldest first. As Flux: when some expired, the count subtracts the expired and
     * everything marked so far, this pass's files twice. */
    for (size_t i = 0; i < n; i++) {
        if (ents[i].garbage || strcmp(ents[i].name, current) == 0)
            continue;
        long left = expired > 0 ? total - expired - 2 * collected : total - collected;
        if (left > records) {
            ents[i].garbage = true;
            collected++;
        }
    }
}

int ed_artifact_store_gc(ed_artifact_store *store, const char *current, int records, int64_t ttl_ms,
                         int *deleted, ed_err *err)
{
    if (deleted)
        *deleted = 0;
    if (!current || !rel_ok(current))
        return ed_err_set(err, ED_EINVALID, "invalid artifact path '%s'", current ? current : "");
    const char *slash = strrchr(current, '/');
    char *dir = ed_xasprintf("%s/%.*s", store->root, (int)(slash - current), current);
    const char *file = slash + 1;
    int rc = 0;
    struct gc_entry *ents = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        /* No directory, nothing to collect (the artifact is rebuilt elsewhere). */
        rc = errno == ENOENT ? 0
                             : ed_err_set(err, ED_ERROR, "garbage collection of '%s': %s", dir,
                                          strerror(errno));
        free(dir);
        return rc;
    }
    int dfd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        ents = ed_xrealloc(ents, (n + 1) * sizeof(*ents));
        ents[n++] = (struct gc_entry){ed_xstrdup(de->d_name), st.st_mtim, false};
    }
    if (n > 1)
        qsort(ents, n, sizeof(*ents), gc_order);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    gc_mark(ents, n, file, records < 0 ? 0 : records, ttl_ms, &now);
    for (size_t i = 0; i < n; i++) {
        if (!ents[i].garbage)
            continue;
        if (unlinkat(dfd, ents[i].name, 0) == 0) {
            if (deleted)
                (*deleted)++;
        } else if (errno != ENOENT && rc == 0) {
            rc = ed_err_set(err, ED_ERROR, "garbage collection: cannot remove '%s/%s': %s", dir,
                            ents[i].name, strerror(errno));
        }
    }
    for (size_t i = 0; i < n; i++)
        free(ents[i].name);
    free(ents);
    closedir(d);
    free(dir);
    return rc;
}

/* ---- put, has, file, remove ---- */

char *ed_artifact_store_url(ed_artifact_store *store, const char *path)
{
    ed_buf u = ED_BUF_INIT((size_t)64 << 10);
    ed_buf_append_str(&u, store->url_base);
    ed_buf_append_str(&u, "/");
    url_escape(&u, path);
    return ed_buf_take(&u);
}

int ed_artifact_store_put(ed_artifact_store *store, const char *kind, const char *ns,
                          const char *name, const char *file, const char *tmp_path, char **path,
                          char **url, ed_err *err)
{
    *path = NULL;
    *url = NULL;
    char *lkind = lowercase(kind);
    char *dir = NULL, *dest = NULL, *real_dir = NULL, *rel = NULL;
    int rc = names_check(lkind, ns, name, err);
    if (rc != 0)
        goto cleanup;
    if (!name_ok(file, strlen(file))) {
        rc = ed_err_set(err, ED_EINVALID, "invalid artifact file name '%s'", file);
        goto cleanup;
    }
    struct stat st;
    if (lstat(tmp_path, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ed_err_set(err, ED_ERROR, "artifact '%s' is not a regular file", tmp_path);
        goto cleanup;
    }
    rel = ed_xasprintf("%s/%s/%s/%s", lkind, ns, name, file);
    dir = ed_xasprintf("%s/%s/%s/%s", store->root, lkind, ns, name);
    if (ed_path_mkdir_all(dir) != 0) {
        rc = ed_err_set(err, ED_ERROR, "cannot create '%s': %s", dir, strerror(errno));
        goto cleanup;
    }
    /* The names are plain, so only a symlink planted in the storage could move the directory:
     * refuse to write anywhere but where the names say. */
    real_dir = realpath(dir, NULL);
    if (!real_dir || strcmp(real_dir, dir) != 0) {
        rc = ed_err_set(err, ED_ERROR, "artifact directory '%s' leads outside the storage", dir);
        goto cleanup;
    }
    /* Mode and time are set before the rename so the file appears complete: the time is that of
     * the put, which orders the garbage collection. */
    if (chmod(tmp_path, 0600) != 0 || utimensat(AT_FDCWD, tmp_path, NULL, 0) != 0) {
        rc = ed_err_set(err, ED_ERROR, "cannot prepare artifact '%s': %s", tmp_path,
                        strerror(errno));
        goto cleanup;
    }
    dest = ed_xasprintf("%s/%s", dir, file);
    if (rename(tmp_path, dest) != 0) {
        rc = ed_err_set(err, ED_ERROR, "cannot move artifact to '%s': %s%s", dest, strerror(errno),
                        errno == EXDEV ? " (use the store's temp directory)" : "");
        goto cleanup;
    }
    *url = ed_artifact_store_url(store, rel);
    *path = rel;
    rel = NULL;
cleanup:
    free(lkind);
    free(dir);
    free(dest);
    free(real_dir);
    free(rel);
    return rc;
}

int ed_artifact_store_link_latest(ed_artifact_store *store, const char *path, char **url,
                                  ed_err *err)
{
    *url = NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!path || !rel_ok(path) || !slash)
        return ed_err_set(err, ED_EINVALID, "invalid artifact path '%s'", path ? path : "");
    char *rel = ed_xasprintf("%.*s/%s", (int)(slash - path), path, ED_ARTIFACT_LATEST);
    char *link = ed_xasprintf("%s/%s", store->root, rel);
    char *tmp =
        ed_xasprintf("%s/%.*s/.latest-%ld", store->root, (int)(slash - path), path, (long)getpid());
    int rc = 0;
    /* Relative to its directory, so the link stays true wherever the storage is mounted; made
     * aside and renamed over the old one, so a reader always finds a link. */
    unlink(tmp);
    if (symlink(slash + 1, tmp) != 0 || rename(tmp, link) != 0) {
        rc = ed_err_set(err, ED_ERROR, "failed to update status URL symlink: %s", strerror(errno));
        unlink(tmp);
    } else {
        *url = ed_artifact_store_url(store, rel);
    }
    free(tmp);
    free(link);
    free(rel);
    return rc;
}

char *ed_artifact_store_file(ed_artifact_store *store, const char *path)
{
    if (!path || !rel_ok(path))
        return NULL;
    char *joined = ed_xasprintf("%s/%s", store->root, path);
    char *real = realpath(joined, NULL);
    free(joined);
    struct stat st;
    if (!real || !below_root(store, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return NULL;
    }
    return real;
}

bool ed_artifact_store_has(ed_artifact_store *store, const char *path)
{
    char *f = ed_artifact_store_file(store, path);
    bool found = f != NULL;
    free(f);
    return found;
}

int ed_artifact_store_remove_all(ed_artifact_store *store, const char *kind, const char *ns,
                                 const char *name, ed_err *err)
{
    char *lkind = lowercase(kind);
    int rc = names_check(lkind, ns, name, err);
    if (rc == 0) {
        char *dir = ed_xasprintf("%s/%s/%s/%s", store->root, lkind, ns, name);
        /* nftw without following symlinks: a link in place of the directory is removed, not
         * what it points to. */
        ed_path_remove_tree(dir);
        struct stat st;
        if (lstat(dir, &st) == 0 || errno != ENOENT)
            rc = ed_err_set(err, ED_ERROR, "cannot remove the artifacts in '%s'", dir);
        free(dir);
    }
    free(lkind);
    return rc;
}
