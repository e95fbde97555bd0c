/*
 * Memory, string and path helpers. Out of memory aborts (as in redis): no caller in eddy has a
 * useful way to go on without memory, and checking every allocation hides the real error paths.
 */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "eddy: out of memory allocating %zu bytes\n", n);
    abort();
}

_Noreturn void ed_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "eddy: internal error: assertion '%s' failed at %s:%d\n", cond, file, line);
    abort();
}

void *ed_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *ed_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *ed_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *ed_xstrdup(const char *s)
{
    return ed_xstrndup(s, strlen(s));
}

char *ed_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = ed_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ed_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(0);
    char *p = ed_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool ed_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool ed_str_has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool ed_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80             ? 0
                   : (c & 0xe0) == 0xc0 ? 1
                   : (c & 0xf0) == 0xe0 ? 2
                   : (c & 0xf8) == 0xf0 ? 3
                                        : 4;
        if (n == 4)
            return false;
        uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        /* overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 */
        static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        p += n + 1;
    }
    return true;
}

int ed_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool ed_path_within(const char *rel, long depth)
{
    if (rel[0] == '/')
        return false;
    const char *p = rel;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

char *ed_path_clamp(const char *path)
{
    size_t cap = strlen(path) + 1;
    char *out = ed_xmalloc(cap);
    size_t len = 0;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            /* Up one segment; at the root, stay there. */
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (len > 0)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    out[len] = '\0';
    return out;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

char *ed_file_read(const char *path, size_t max, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    ed_buf b = ED_BUF_INIT(max);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ed_buf_append(&b, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (rc != 0 || failed) {
        ed_buf_free(&b);
        errno = rc != 0 ? EFBIG : EIO;
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : ed_xstrdup("");
}

void ed_path_remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int ed_path_mkdir_all(const char *path)
{
    if (!*path) {
        errno = ENOENT;
        return -1;
    }
    /* Each parent in turn: "/a", "/a/b", ..., then path itself. */
    for (size_t i = 1; path[i]; i++) {
        if (path[i] != '/')
            continue;
        char *parent = ed_xstrndup(path, i);
        int failed = mkdir(parent, 0750) != 0 && errno != EEXIST;
        free(parent);
        if (failed)
            return -1;
    }
    return mkdir(path, 0750) != 0 && errno != EEXIST ? -1 : 0;
}
