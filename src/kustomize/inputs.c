/*
 * The inputs of a build: a record of every path a kustomize build (and Flux's generator) read,
 * listed or probed, relative to the build root, and its fingerprint in a tree.
 *
 * A build is a pure function of the files below its root (build.c reads nothing else), so two
 * trees in which every recorded path is in the same state give the same output: a path that
 * was missing is still missing, one that resolved somewhere (through symlinks) resolves to the
 * same place with the same type, a file read has the same content, a directory listed has the
 * same names. Whatever the build did not look at cannot change its output. The Kustomization
 * controller uses this to skip the build of a new revision that changed none of its inputs
 * (kustomize-controller has no such shortcut: it builds every revision).
 *
 * Recording is cheap (one map insert per distinct path, no I/O); the fingerprint reads and
 * hashes each file once, and never follows a path out of the root.
 */
#include "kustomize_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_FILE ((size_t)64 << 20)
/* The text hashed for a fingerprint or a listing: one short line per path or name. */
#define MAX_TEXT ((size_t)256 << 20)

struct ed_ks_inputs {
    char *root;      /* as given, without trailing slashes ("" for "/") */
    char *real_root; /* after resolving symlinks, or NULL */
    ed_strmap *seen; /* "<kind><rel>" -> NULL */
    bool incomplete; /* a path outside the root was recorded */
};

static char *trimmed(const char *path)
{
    char *s = ed_xstrdup(path);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

ed_ks_inputs *ed_ks_inputs_new(const char *root)
{
    ed_ks_inputs *in = ed_xcalloc(1, sizeof(*in));
    in->root = trimmed(root);
    char *real = realpath(root, NULL);
    if (real) {
        in->real_root = trimmed(real);
        free(real);
    }
    in->seen = ed_strmap_new();
    return in;
}

void ed_ks_inputs_free(ed_ks_inputs *in)
{
    if (!in)
        return;
    ed_strmap_free(in->seen);
    free(in->root);
    free(in->real_root);
    free(in);
}

/* path relative to root (borrowed from path), or NULL when it is not below root. */
static const char *strip_root(const char *root, const char *path)
{
    if (!root)
        return NULL;
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return ".";
    if (path[n] != '/')
        return NULL;
    while (path[n] == '/')
        n++;
    return path[n] ? path + n : ".";
}

void ed_ks_inputs_add(ed_ks_inputs *rec, ed_ks_input_kind kind, const char *path)
{
    if (!rec)
        return;
    const char *rel = strip_root(rec->root, path);
    if (!rel)
        rel = strip_root(rec->real_root, path);
    if (!rel) {
        rec->incomplete = true;
        return;
    }
    char *key = ed_xasprintf("%c%s", (char)kind, rel);
    if (!ed_strmap_has(rec->seen, key))
        ed_strmap_put(rec->seen, key, NULL);
    free(key);
}

size_t ed_ks_inputs_count(const ed_ks_inputs *in)
{
    return in ? ed_strmap_len(in->seen) : 0;
}

bool ed_ks_inputs_has(const ed_ks_inputs *in, ed_ks_input_kind kind, const char *rel)
{
    char *key = ed_xasprintf("%c%s", (char)kind, rel);
    bool has = in && ed_strmap_has(in->seen, key);
    free(key);
    return has;
}

bool ed_ks_inputs_incomplete(const ed_ks_inputs *in)
{
    return in && in->incomplete;
}

/* ---- the fingerprint ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_char(mode_t mode)
{
    if (S_ISREG(mode))
        return 'f';
    if (S_ISDIR(mode))
        return 'd';
    return S_ISLNK(mode) ? 'l' : 'o';
}

/* The sha256 of the file at real (a regular file) into hex. */
static int hash_file(const char *real, const char *rel, size_t max_file, char hex[65], ed_err *err)
{
    char *data;
    size_t len;
    int rc = ks_file_read(real, rel, max_file, &data, &len, err);
    if (!rc)
        ed_sha256_hex(data, len, hex);
    free(data);
    return rc;
}

/* The sha256 of the sorted names (dot names too, not "." and "..") of the directory real,
 * each with its type (symlinks not followed), as Flux's generator sees them. */
static int hash_listing(const char *real, const char *rel, char hex[65], ed_err *err)
{
    DIR *d = opendir(real);
    if (!d)
        return ed_err_set(err, ED_ERROR, "cannot list '%s': %s", rel, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = ed_xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = ed_xstrdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    ed_buf text = ED_BUF_INIT(MAX_TEXT);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *full = ed_xasprintf("%s/%s", real, names[i]);
        struct stat st;
        char t = '?';
        if (lstat(full, &st) == 0)
            t = type_char(st.st_mode);
        free(full);
        if (!rc && ed_buf_printf(&text, "%c %s\n", t, names[i]))
            rc = ed_err_set(err, ED_ETOOBIG, "directory '%s' lists too many names", rel);
        free(names[i]);
    }
    free(names);
    if (!rc)
        ed_sha256_hex(text.data ? text.data : "", text.len, hex);
    ed_buf_free(&text);
    return rc;
}

/* Append the state of one recorded path (kind, rel) in the tree at root (real_root resolved)
 * to text. */
static int path_state(ed_ks_input_kind kind, const char *rel, const char *root,
                      const char *real_root, size_t max_file, ed_buf *text, ed_err *err)
{
    char *joined = strcmp(rel, ".") == 0 ? ed_xstrdup(root) : ed_xasprintf("%s/%s", root, rel);
    char *real = realpath(joined, NULL);
    int saved = errno;
    free(joined);
    if (!real) {
        if (saved == ENOENT || saved == ENOTDIR) {
            ed_buf_append_str(text, "missing");
            return 0;
        }
        return ed_err_set(err, ED_ERROR, "cannot resolve '%s': %s", rel, strerror(saved));
    }
    int rc = 0;
    const char *where = strip_root(real_root, real);
    struct stat st;
    char hex[65] = "";
    if (!where) {
        /* the build refuses such a path: its state is simply "not this" */
        ed_buf_append_str(text, "outside");
    } else if (stat(real, &st) != 0) {
        rc = ed_err_set(err, ED_ERROR, "cannot stat '%s': %s", rel, strerror(errno));
    } else {
        if (kind == ED_KS_INPUT_FILE && S_ISREG(st.st_mode))
            rc = hash_file(real, rel, max_file, hex, err);
        else if (kind == ED_KS_INPUT_DIR && S_ISDIR(st.st_mode))
            rc = hash_listing(real, rel, hex, err);
        if (!rc)
            ed_buf_printf(text, "%c %s %s", type_char(st.st_mode), where, hex);
    }
    free(real);
    return rc;
}

int ed_ks_inputs_fingerprint(const ed_ks_inputs *in, const char *root, size_t max_file,
                             char out[65], ed_err *err)
{
    out[0] = '\0';
    if (in->incomplete)
        return ed_err_set(err, ED_EINVALID, "the build read a path outside its root");
    char *real_root = realpath(root, NULL);
    if (!real_root)
        return ed_err_set(err, errno == ENOENT ? ED_ENOTFOUND : ED_ERROR,
                          "cannot resolve root '%s': %s", root, strerror(errno));
    size_t n = ed_strmap_len(in->seen);
    const char **keys = ed_xcalloc(n ? n : 1, sizeof(*keys));
    size_t pos = 0, k = 0;
    const char *key;
    void *unused;
    while (ed_strmap_next(in->seen, &pos, &key, &unused))
        keys[k++] = key;
    ED_ASSERT(k == n);
    if (n)
        qsort(keys, n, sizeof(*keys), cmp_str);
    ed_buf text = ED_BUF_INIT(MAX_TEXT);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        /* a line is a path, a resolved path and two hashes: never near this margin */
        if (text.len > MAX_TEXT - 3 * PATH_MAX) {
            rc = ed_err_set(err, ED_ETOOBIG, "too many inputs to fingerprint");
            break;
        }
        ed_buf_printf(&text, "%c %s\t", keys[i][0], keys[i] + 1);
        rc = path_state((ed_ks_input_kind)keys[i][0], keys[i] + 1, root, real_root,
                        max_file ? max_file : DEFAULT_MAX_FILE, &text, err);
        ed_buf_append(&text, "\n", 1);
    }
    if (!rc)
        ed_sha256_hex(text.data ? text.data : "", text.len, out);
    ed_buf_free(&text);
    free(keys);
    free(real_root);
    return rc;
}
