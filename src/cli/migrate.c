/*
 * `eddy migrate`: flux migrate (flux2 2.9's cmd/flux/migrate.go), in its two modes.
 *
 * Cluster mode (no -f): for each CRD labelled app.kubernetes.io/part-of=flux, every custom
 * resource is listed at the CRD's storage version and patched (its managed fields moved to that
 * version by a JSON patch, or an empty merge patch when they already say it), so that the API
 * server writes it again in the storage version; then the CRD's status.storedVersions is set
 * to that version alone, so an older one can be dropped from the CRD.
 *
 * File-system mode (-f PATH): the manifests below PATH (files ending in one of --extensions)
 * are read as lines, as flux reads them, not parsed as YAML: a line holding "apiVersion: G/V"
 * followed by a line holding "kind: K", where K of group G has a later version in flux's table
 * for --version, gets V replaced (its first occurrence in the line) and nothing else of the
 * file changes: comments, quoting, order and line ends stay byte for byte. Files are reached
 * below the working directory only (flux opens it as an os.Root): an absolute PATH or one that
 * climbs out is refused, and a symlink that leads out of it is not followed. The upgrades found
 * are listed, then confirmed with promptui's prompt on stdout (--yes skips it, --dry-run stops
 * before it).
 */
#include "cli_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

/* ---- flux's table of the latest API versions ---- */

/* Flux 2.7's kinds and versions (2.8 and 2.9 have the same). */
static const ed_cli_api_latest flux27[] = {
    {"source.toolkit.fluxcd.io", "Bucket", "v1"},
    {"source.toolkit.fluxcd.io", "GitRepository", "v1"},
    {"source.toolkit.fluxcd.io", "OCIRepository", "v1"},
    {"source.toolkit.fluxcd.io", "HelmRepository", "v1"},
    {"source.toolkit.fluxcd.io", "HelmChart", "v1"},
    {"source.toolkit.fluxcd.io", "ExternalArtifact", "v1"},
    {"kustomize.toolkit.fluxcd.io", "Kustomization", "v1"},
    {"helm.toolkit.fluxcd.io", "HelmRelease", "v2"},
    {"notification.toolkit.fluxcd.io", "Receiver", "v1"},
    {"notification.toolkit.fluxcd.io", "Alert", "v1beta3"},
    {"notification.toolkit.fluxcd.io", "Provider", "v1beta3"},
    {"image.toolkit.fluxcd.io", "ImageRepository", "v1"},
    {"image.toolkit.fluxcd.io", "ImagePolicy", "v1"},
    {"image.toolkit.fluxcd.io", "ImageUpdateAutomation", "v1"},
    {"source.extensions.fluxcd.io", "ArtifactGenerator", "v1beta1"},
    {NULL, NULL, NULL},
};

/* Flux 2.6's: the image kinds still at v1beta2, no ArtifactGenerator. */
static const ed_cli_api_latest flux26[] = {
    {"source.toolkit.fluxcd.io", "Bucket", "v1"},
    {"source.toolkit.fluxcd.io", "GitRepository", "v1"},
    {"source.toolkit.fluxcd.io", "OCIRepository", "v1"},
    {"source.toolkit.fluxcd.io", "HelmRepository", "v1"},
    {"source.toolkit.fluxcd.io", "HelmChart", "v1"},
    {"source.toolkit.fluxcd.io", "ExternalArtifact", "v1"},
    {"kustomize.toolkit.fluxcd.io", "Kustomization", "v1"},
    {"helm.toolkit.fluxcd.io", "HelmRelease", "v2"},
    {"notification.toolkit.fluxcd.io", "Receiver", "v1"},
    {"notification.toolkit.fluxcd.io", "Alert", "v1beta3"},
    {"notification.toolkit.fluxcd.io", "Provider", "v1beta3"},
    {"image.toolkit.fluxcd.io", "ImageRepository", "v1beta2"},
    {"image.toolkit.fluxcd.io", "ImagePolicy", "v1beta2"},
    {"image.toolkit.fluxcd.io", "ImageUpdateAutomation", "v1beta2"},
    {NULL, NULL, NULL},
};

/* The Flux minor versions flux 2.9 supports, newest first (its default is the first). */
static const struct {
    const char *flux;
    const ed_cli_api_latest *latest;
} flux_versions[] = {
    {"2.9", flux27},
    {"2.8", flux27},
    {"2.7", flux27},
    {"2.6", flux26},
};

#define NFLUX_VERSIONS (sizeof(flux_versions) / sizeof(flux_versions[0]))

const ed_cli_api_latest *ed_cli_migrate_latest(const char *flux_version)
{
    if (!flux_version || !*flux_version)
        return flux_versions[0].latest;
    for (size_t i = 0; i < NFLUX_VERSIONS; i++)
        if (strcmp(flux_versions[i].flux, flux_version) == 0)
            return flux_versions[i].latest;
    return NULL;
}

static const char *latest_for(const ed_cli_api_latest *latest, const char *group, const char *kind)
{
    for (const ed_cli_api_latest *l = latest; l->kind; l++)
        if (strcmp(l->group, group) == 0 && strcmp(l->kind, kind) == 0)
            return l->version;
    return NULL;
}

/* ---- detecting and rewriting apiVersion lines ---- */

/* The length of the Unicode space at s (Go's unicode.IsSpace), 0 when none. */
static size_t space_len(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) /* U+1680 */
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
        (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) /* U+2000-200A, ... */
        return s[2] >= 0x80 ? 3 : 0;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) /* U+205F */
        return 3;
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    return 0;
}

/* Whether the n bytes before end are a Unicode space (the last rune of [start, end)). */
static size_t space_len_before(const unsigned char *start, const unsigned char *end)
{
    for (size_t k = 1; k <= 3 && (size_t)(end - start) >= k; k++)
        if (space_len(end - k, k) == k)
            return k;
    return 0;
}

/*
 * The value after `prefix` in the line [s, s+n) as flux takes it: from the first occurrence of
 * prefix, trimmed of Unicode spaces (Go's strings.TrimSpace), up to its first ' '. Returns
 * false when the line does not hold prefix.
 */
static bool line_value(const char *s, size_t n, const char *prefix, const char **val, size_t *len)
{
    size_t plen = strlen(prefix);
    const char *at = n >= plen ? memmem(s, n, prefix, plen) : NULL;
    if (!at)
        return false;
    const unsigned char *b = (const unsigned char *)at + plen, *e = (const unsigned char *)s + n;
    size_t k;
    while (b < e && (k = space_len(b, (size_t)(e - b))) > 0)
        b += k;
    while (e > b && (k = space_len_before(b, e)) > 0)
        e -= k;
    const unsigned char *sp = memchr(b, ' ', (size_t)(e - b));
    *val = (const char *)b;
    *len = (size_t)((sp ? sp : e) - b);
    return true;
}

/* The length of the line starting at s, up to its '\n' or end. */
static size_t line_len(const char *s, const char *end)
{
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    return (size_t)((nl ? nl : end) - s);
}

void ed_cli_migrate_upgrades_free(ed_cli_migrate_upgrades *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->items[i].kind);
        free(u->items[i].old_version);
    }
    free(u->items);
    *u = (ed_cli_migrate_upgrades){0};
}

void ed_cli_migrate_detect(const char *file, const char *text, size_t len,
                           const ed_cli_api_latest *latest, ed_cli_migrate_upgrades *out,
                           ed_buf *warnings)
{
    *out = (ed_cli_migrate_upgrades){0};
    const char *line = text, *end = text + len;
    for (size_t no = 0; line <= end; no++) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = (size_t)((nl ? nl : end) - line);
        const char *next = nl ? nl + 1 : NULL;
        const char *av;
        size_t avlen;
        if (line_value(line, n, "apiVersion: ", &av, &avlen)) {
            /* apimachinery's ParseGroupVersion: "" and "/" are empty, no '/' is a version of
             * the core group, two or more are refused. */
            const char *slash = memchr(av, '/', avlen);
            size_t slashes = 0;
            for (size_t i = 0; i < avlen; i++)
                slashes += av[i] == '/';
            char *group = NULL, *version = NULL;
            if (avlen == 0 || (avlen == 1 && av[0] == '/')) {
                group = ed_xstrdup("");
                version = ed_xstrdup("");
            } else if (slashes == 0) {
                group = ed_xstrdup("");
                version = ed_xstrndup(av, avlen);
            } else if (slashes == 1) {
                group = ed_xstrndup(av, (size_t)(slash - av));
                version = ed_xstrndup(slash + 1, avlen - (size_t)(slash - av) - 1);
            } else {
                ed_buf_printf(warnings, "%s:%zu: unexpected GroupVersion string: %.*s\n", file,
                              no + 1, (int)avlen, av);
            }
            const char *kv;
            size_t kvlen;
            if (group && next && line_value(next, line_len(next, end), "kind: ", &kv, &kvlen)) {
                char *kind = ed_xstrndup(kv, kvlen);
                const char *to = latest_for(latest, group, kind);
                if (to && strcmp(to, version) != 0) {
                    out->items = ed_xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
                    out->items[out->n++] = (ed_cli_migrate_upgrade){
                        .line = no, .kind = kind, .old_version = version, .new_version = to};
                    kind = NULL;
                    version = NULL;
                }
                free(kind);
            }
            free(group);
            free(version);
        }
        if (!next)
            break;
        line = next;
    }
}

int ed_cli_migrate_rewrite(const char *text, size_t len, const ed_cli_migrate_upgrades *u,
                           ed_buf *out)
{
    const char *line = text, *end = text + len;
    size_t k = 0;
    for (size_t no = 0;; no++) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = (size_t)((nl ? nl : end) - line);
        while (k < u->n && u->items[k].line < no)
            k++;
        const char *at = NULL;
        size_t olen = 0;
        if (k < u->n && u->items[k].line == no) {
            /* strings.Replace(line, old, new, 1): the first occurrence, wherever it is (an
             * empty old version puts the new one at the start of the line, as flux does). */
            olen = strlen(u->items[k].old_version);
            at = olen ? (n >= olen ? memmem(line, n, u->items[k].old_version, olen) : NULL) : line;
        }
        int rc;
        if (at)
            rc = ed_buf_append(out, line, (size_t)(at - line)) ||
                 ed_buf_append_str(out, u->items[k].new_version) ||
                 ed_buf_append(out, at + olen, n - (size_t)(at - line) - olen);
        else
            rc = ed_buf_append(out, line, n);
        if (!rc && nl)
            rc = ed_buf_append(out, "\n", 1);
        if (rc)
            return ED_ETOOBIG;
        if (!nl)
            return 0;
        line = nl + 1;
    }
}

/* ---- files below the working directory ---- */

/* Go's filepath.Clean of a relative or absolute path: a new string ("." for nothing). */
static char *path_clean(const char *path)
{
    bool abs = path[0] == '/';
    size_t n = strlen(path);
    char *out = ed_xmalloc(n + 2);
    /* floor: what ".." cannot remove (the root's '/', leading "../" parts) */
    size_t len = 0, floor = abs ? 1 : 0;
    if (abs)
        out[len++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t seg = e ? (size_t)(e - p) : strlen(p);
        if (seg == 0)
            break;
        if (seg == 1 && p[0] == '.') {
            /* dropped */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
            if (len > floor) {
                while (len > floor && out[len - 1] != '/')
                    len--;
                if (len > floor)
                    len--; /* the '/' before the part dropped */
            } else if (!abs) {
                if (len > 0)
                    out[len++] = '/';
                memcpy(out + len, "..", 2);
                len += 2;
                floor = len;
            }
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, p, seg);
            len += seg;
        }
        p += seg;
    }
    if (len == 0)
        out[len++] = '.';
    out[len] = '\0';
    return out;
}

/* path/name as Go's path.Join makes a walked entry's name ("." contributes nothing). */
static char *path_join(const char *dir, const char *name)
{
    return strcmp(dir, ".") == 0 ? ed_xstrdup(name) : ed_xasprintf("%s/%s", dir, name);
}

/* errno in Go's words (its syscall table is strerror's, lowercased, for these). */
static const char *go_errno(int e)
{
    static __thread char buf[128];
    if (e == EXDEV)
        return "path escapes from parent";
    snprintf(buf, sizeof(buf), "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/*
 * Open the clean relative path below the working directory as os.Root opens it: symlinks are
 * followed while they stay below it (an absolute one, or one whose ".." climbs out, fails with
 * EXDEV, Go's "path escapes from parent"). Returns the descriptor, or -1 with errno set.
 */
static int open_beneath(const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

/* What the migration of -f works with: the options and the files found. */
typedef struct fs_migration {
    const char *path; /* clean, relative */
    const ed_cli_list *extensions;
    const ed_cli_api_latest *latest;
    char **files;
    size_t nfiles;
} fs_migration;

static bool matches_extensions(const fs_migration *m, const char *file)
{
    size_t n = strlen(file);
    for (int i = 0; i < m->extensions->n; i++) {
        size_t e = strlen(m->extensions->items[i]);
        if (e <= n && memcmp(file + n - e, m->extensions->items[i], e) == 0)
            return true;
    }
    return false;
}

static void add_file(fs_migration *m, const char *file)
{
    m->files = ed_xrealloc(m->files, (m->nfiles + 1) * sizeof(char *));
    m->files[m->nfiles++] = ed_xstrdup(file);
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* fs.WalkDir below dir (open as fd, owned here): entries in lexical order, symlinks not
 * followed; a regular file with a matching name is kept, another matching non-directory is
 * skipped with flux's warning. Returns 0, or -1 with the error in err. */
static int walk_dir(fs_migration *m, const char *dir, int fd, ed_err *err)
{
    struct dirent **names = NULL;
    int n = scandirat(fd, ".", &names, NULL, name_cmp);
    if (n < 0) {
        int e = errno;
        close(fd);
        return ed_err_set(err, ED_ERROR, "openat %s: %s", dir, go_errno(e));
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char *path = path_join(dir, name);
        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = ed_err_set(err, ED_ERROR, "lstat %s: %s", path, go_errno(errno));
        } else {
            if (matches_extensions(m, path)) {
                if (S_ISREG(st.st_mode))
                    add_file(m, path);
                else if (!S_ISDIR(st.st_mode))
                    ed_cli_warning("skipping irregular file %s", path);
            }
            if (S_ISDIR(st.st_mode)) {
                int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                rc = sub < 0 ? ed_err_set(err, ED_ERROR, "openat %s: %s", path, go_errno(errno))
                             : walk_dir(m, path, sub, err);
            }
        }
        free(path);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    close(fd);
    return rc;
}

/* flux's listFiles: the files -f names (a directory walked, or one file checked). Returns 0,
 * or 1 after printing the error. */
static int list_files(fs_migration *m)
{
    ed_err err = ED_ERR_INIT;
    /* fs.ValidPath: os.Root's FS takes no absolute path and none that starts above it. */
    if (m->path[0] == '/' || strcmp(m->path, "..") == 0 || strncmp(m->path, "../", 3) == 0) {
        ed_cli_failure("failed to stat path %s: open %s: invalid argument", m->path, m->path);
        return 1;
    }
    int fd = open_beneath(m->path, O_PATH);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ed_cli_failure("failed to stat path %s: openat %s: %s", m->path, m->path, go_errno(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    if (S_ISDIR(st.st_mode)) {
        int dfd = open_beneath(m->path, O_RDONLY | O_DIRECTORY);
        if (dfd < 0 || walk_dir(m, m->path, dfd, &err) != 0) {
            if (dfd < 0)
                ed_err_set(&err, ED_ERROR, "openat %s: %s", m->path, go_errno(errno));
            ed_cli_failure("failed to walk directory %s: %s", m->path, err.msg);
            return 1;
        }
        return 0;
    }
    if (!matches_extensions(m, m->path)) {
        ed_buf exts = ED_BUF_INIT(1 << 20);
        for (int i = 0; i < m->extensions->n; i++)
            ed_buf_printf(&exts, "%s%s", i ? ", " : "", m->extensions->items[i]);
        ed_cli_failure("file %s does not match the specified extensions: %s", m->path,
                       exts.data ? exts.data : "");
        ed_buf_free(&exts);
        return 1;
    }
    /* A symlink to a file (followed above) is irregular, as flux finds it in the listing of
     * its directory. */
    char *slash = strrchr(m->path, '/');
    char *dir = slash ? ed_xstrndup(m->path, (size_t)(slash - m->path)) : ed_xstrdup(".");
    int dfd = open_beneath(dir, O_RDONLY | O_DIRECTORY);
    int rc = 0;
    if (dfd < 0 || fstatat(dfd, slash ? slash + 1 : m->path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        ed_cli_failure("failed to validate file %s: openat %s: %s", m->path, dir, go_errno(errno));
        rc = 1;
    } else if (!S_ISREG(st.st_mode)) {
        ed_cli_failure("file %s is irregular", m->path);
        rc = 1;
    } else {
        add_file(m, m->path);
    }
    if (dfd >= 0)
        close(dfd);
    free(dir);
    return rc;
}

/* The bytes of file (below the working directory), NUL-terminated (*len of them), up to 1 GiB;
 * or NULL after printing flux's error. The caller frees them. */
static char *read_file(const char *file, size_t *len)
{
    int fd = open_beneath(file, O_RDONLY | O_NOFOLLOW);
    ed_buf b = ED_BUF_INIT((size_t)1 << 30);
    int e = 0;
    if (fd < 0) {
        e = errno;
    } else {
        char chunk[65536];
        for (;;) {
            ssize_t r = read(fd, chunk, sizeof(chunk));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                e = errno;
                break;
            }
            if (r == 0)
                break;
            if (ed_buf_append(&b, chunk, (size_t)r) != 0) {
                e = EFBIG;
                break;
            }
        }
        close(fd);
    }
    if (e) {
        ed_cli_failure("failed to read file %s: %s %s: %s", file, fd < 0 ? "openat" : "read", file,
                       go_errno(e));
        ed_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data ? ed_buf_take(&b) : ed_xstrdup("");
}

/* Write data over file in place (its mode and owner kept, as os.WriteFile keeps them). */
static int write_file(const char *file, const char *data, size_t len)
{
    int fd = open_beneath(file, O_WRONLY | O_TRUNC | O_NOFOLLOW);
    int e = fd < 0 ? errno : 0;
    for (size_t off = 0; !e && off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            e = errno;
        else
            off += (size_t)w;
    }
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (e) {
        ed_cli_failure("failed to write file %s: open %s: %s", file, file, go_errno(e));
        return 1;
    }
    return 0;
}

/* ---- promptui's confirmation ---- */

/* Where promptui's screen buffer stands: lines drawn, to be moved up over and cleared. */
typedef struct prompt_screen {
    int height;
} prompt_screen;

/* Draw line as promptui's screenbuf draws one, over the one before. */
static void prompt_draw(prompt_screen *sc, const char *line)
{
    for (; sc->height > 0; sc->height--)
        fputs("\033[1A\033[2K\r", stdout);
    printf("\033[2K\r%s\n", line);
    sc->height = 1;
    fflush(stdout);
}

/* The question, as promptui's confirm template draws it, with the input and its cursor. */
static void prompt_draw_input(prompt_screen *sc, const char *label, const ed_buf *input)
{
    char *line = ed_xasprintf("\033[1m\033[34m?\033[0m \033[1m%s\033[0m? \033[2m[y/N]\033[0m "
                              "%s\xe2\x96\x88",
                              label, input->data ? input->data : "");
    prompt_draw(sc, line);
    free(line);
}

/*
 * promptui's Prompt{Label: label, IsConfirm: true}.Run(), as flux runs it: the question on
 * stdout, redrawn with each key read from stdin (a pipe or a terminal), until Enter. Returns 0
 * for y or Y; otherwise 1 with *why set to promptui's error: "^D" at the end of the input, "^C"
 * for an interrupt, "" (its ErrAbort) for any other answer.
 */
static int prompt_confirm(const char *label, const char **why)
{
    /* On a terminal, keys come one by one and unechoed, Ctrl-C as a key (readline's raw
     * mode), so that the prompt is what redraws them. */
    struct termios saved, raw;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        raw = saved;
        raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON | BRKINT | ISTRIP | INLCR | IGNCR);
        raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tty = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
    }
    prompt_screen sc = {0};
    ed_buf input = ED_BUF_INIT(4096);
    fputs("\033[?25l", stdout);
    prompt_draw_input(&sc, label, &input);
    int rc = 0;
    *why = "";
    for (;;) {
        unsigned char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (c == 0x04 && input.len == 0) || c == 0x03) {
            /* A key (Ctrl-D, Ctrl-C) is drawn before it ends the prompt; the end of input
             * is no key. */
            if (r > 0)
                prompt_draw_input(&sc, label, &input);
            prompt_draw(&sc, "");
            *why = c == 0x03 && r > 0 ? "^C" : "^D";
            rc = 1;
            break;
        }
        if (c == '\n' || c == '\r') {
            prompt_draw_input(&sc, label, &input);
            break;
        }
        if (c == 0x7f || c == 0x08) {
            /* Backspace: the last character (its UTF-8 bytes) goes, with the bell readline
             * rings for it. */
            fputs("\a", stdout);
            while (input.len > 0 && ((unsigned char)input.data[--input.len] & 0xc0) == 0x80)
                ;
            if (input.data)
                input.data[input.len] = '\0';
        } else if (c >= 0x20 || c == '\t') {
            /* One character (all the bytes of its UTF-8 form) is one key. */
            unsigned char rune[4] = {c};
            size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            for (size_t k = 1; k < n; k++)
                if (read(STDIN_FILENO, &rune[k], 1) != 1)
                    n = k;
            if (ed_buf_append(&input, rune, n) != 0) {
                prompt_draw(&sc, "");
                *why = "^D";
                rc = 1;
                break;
            }
        }
        prompt_draw_input(&sc, label, &input);
    }
    if (rc == 0) {
        const char *answer = input.data ? input.data : "";
        char *line;
        if (strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0) {
            line = ed_xasprintf("\033[2m%s\033[0m\033[2m:\033[0m %s", label, answer);
        } else {
            line = ed_xasprintf("\033[1m\033[31m\xe2\x9c\x97\033[0m \033[1m%s\033[0m\033[1m:"
                                "\033[0m ",
                                label);
            rc = 1;
        }
        prompt_draw(&sc, line);
        free(line);
    }
    fputs("\033[?25h", stdout);
    fflush(stdout);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    ed_buf_free(&input);
    return rc;
}

/* ---- file-system mode ---- */

static int migrate_files(const char *path, const ed_cli_list *extensions,
                         const ed_cli_api_latest *latest, bool yes, bool dry_run)
{
    ed_cli_action("starting migration of custom resources");
    char *clean = path_clean(path);
    fs_migration m = {.path = clean, .extensions = extensions, .latest = latest};
    ed_cli_migrate_upgrades *found = NULL;
    char **found_files = NULL;
    size_t nfound = 0;
    int rc = list_files(&m);
    for (size_t i = 0; !rc && i < m.nfiles; i++) {
        size_t len;
        char *text = read_file(m.files[i], &len);
        if (!text) {
            rc = 1;
            break;
        }
        ed_cli_migrate_upgrades u;
        ed_buf warnings = ED_BUF_INIT((size_t)1 << 30);
        ed_cli_migrate_detect(m.files[i], text, len, latest, &u, &warnings);
        free(text);
        for (char *w = warnings.data, *nl; w && (nl = strchr(w, '\n')) != NULL; w = nl + 1) {
            *nl = '\0';
            ed_cli_warning("%s", w);
        }
        ed_buf_free(&warnings);
        if (u.n == 0) {
            ed_cli_migrate_upgrades_free(&u);
            continue;
        }
        for (size_t k = 0; k < u.n; k++)
            ed_cli_generate("%s:%zu: %s %s -> %s", m.files[i], u.items[k].line + 1, u.items[k].kind,
                            u.items[k].old_version, u.items[k].new_version);
        found = ed_xrealloc(found, (nfound + 1) * sizeof(*found));
        found_files = ed_xrealloc(found_files, (nfound + 1) * sizeof(*found_files));
        found[nfound] = u;
        found_files[nfound++] = m.files[i];
    }
    if (!rc && nfound == 0) {
        ed_cli_success("no custom resources found that require migration");
    } else if (!rc && dry_run) {
        ed_cli_success("dry-run mode enabled, no changes will be made");
    } else if (!rc) {
        const char *why;
        if (!yes &&
            prompt_confirm("Are you sure you want to proceed with the above upgrades", &why) != 0) {
            ed_cli_failure("%s", why);
            rc = 1;
        }
        for (size_t i = 0; !rc && i < nfound; i++) {
            /* Read again, as flux does: the file as it is now gets the upgrades. */
            size_t len;
            char *text = read_file(found_files[i], &len);
            ed_buf out = ED_BUF_INIT((size_t)1 << 30);
            int wrc = text ? ed_cli_migrate_rewrite(text, len, &found[i], &out) : 1;
            if (text && wrc)
                ed_cli_failure("failed to write file %s: too large", found_files[i]);
            if (!wrc)
                wrc = write_file(found_files[i], out.data ? out.data : "", out.len);
            if (wrc)
                rc = 1;
            else
                ed_cli_success("file %s migrated successfully", found_files[i]);
            free(text);
            ed_buf_free(&out);
        }
        if (!rc)
            ed_cli_success("custom resources migrated successfully");
    }
    for (size_t i = 0; i < nfound; i++)
        ed_cli_migrate_upgrades_free(&found[i]);
    free(found);
    free(found_files);
    for (size_t i = 0; i < m.nfiles; i++)
        free(m.files[i]);
    free(m.files);
    free(clean);
    return rc;
}

/* ---- cluster mode ---- */

/* The managed fields of item moved to api_version, as fluxcd/pkg/ssa's PatchMigrateToVersion
 * makes the JSON patch; "" (nothing to patch) when every entry says it already. */
static char *managed_fields_patch(const ed_node *item, const char *api_version)
{
    const ed_node *mf = ed_node_path(item, "/metadata/managedFields");
    bool changed = false;
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        const char *v = ed_node_path_str(ed_node_at(mf, i), "/apiVersion");
        changed |= !v || strcmp(v, api_version) != 0;
    }
    if (!changed)
        return ed_xstrdup("");
    ed_doc *doc = ed_doc_new();
    ed_node *entries = ed_node_copy(doc, mf);
    for (size_t i = 0; i < ed_node_len(entries); i++) {
        ed_node *e = ed_node_at(entries, i);
        if (ed_node_kind_of(e) == ED_NODE_MAP)
            ed_node_set(doc, e, "apiVersion", ed_node_new_str(doc, api_version));
    }
    ed_node *op = ed_node_new_map(doc);
    ed_node_append_pair(doc, op, "op", ed_node_new_str(doc, "replace"));
    ed_node_append_pair(doc, op, "path", ed_node_new_str(doc, "/metadata/managedFields"));
    ed_node_append_pair(doc, op, "value", entries);
    ed_node *patch = ed_node_new_seq(doc);
    ed_node_append(doc, patch, op);
    ed_buf b = ED_BUF_INIT((size_t)1 << 30);
    ed_node_to_json(patch, &b);
    ed_doc_free(doc);
    return b.data ? ed_buf_take(&b) : ed_xstrdup("[]");
}

/* flux's migrateCR: every object of crd (its group and kind) patched at version, one line
 * each. Returns 0, or the API's error code with the message in err. */
static int migrate_objects(ed_kube *kube, const ed_node *crd, const char *version, ed_err *err)
{
    const char *name = ed_node_path_str(crd, "/metadata/name");
    const char *kind = ed_node_path_str(crd, "/spec/names/kind");
    char *api_version = ed_xasprintf("%s/%s", ed_node_path_str(crd, "/spec/group") ?: "", version);
    ed_doc *list = NULL;
    int rc = ed_kube_list(kube, api_version, kind ? kind : "", NULL, NULL, &list, err);
    if (rc) {
        ed_err_wrap(err, "failed to list resources for CRD %s", name);
        goto cleanup;
    }
    const ed_node *items = ed_node_get(ed_doc_root(list), "items");
    for (size_t i = 0; i < ed_node_len(items); i++) {
        const ed_node *item = ed_node_at(items, i);
        const char *ns = ed_node_path_str(item, "/metadata/namespace");
        const char *obj = ed_node_path_str(item, "/metadata/name");
        const char *item_kind = ed_node_path_str(item, "/kind");
        char *patch = managed_fields_patch(item, api_version);
        bool empty = !*patch;
        rc = ed_kube_patch(kube, api_version, kind, ns, obj,
                           empty ? ED_KUBE_PATCH_MERGE : ED_KUBE_PATCH_JSON, empty ? "{}" : patch,
                           empty ? 2 : strlen(patch), NULL, NULL, err);
        free(patch);
        if (rc == ED_ENOTFOUND)
            rc = 0;
        if (rc) {
            ed_err_wrap(err, " %s/%s/%s failed to migrate%s", item_kind ? item_kind : kind,
                        ns ? ns : "", obj ? obj : "", empty ? "" : " managed fields");
            goto cleanup;
        }
        ed_cli_success("%s/%s/%s migrated to version %s", item_kind ? item_kind : kind,
                       ns ? ns : "", obj ? obj : "", version);
    }
cleanup:
    ed_doc_free(list);
    free(api_version);
    return rc;
}

/* flux's migrateCRD. Returns 0, or 1 after printing the error. */
static int migrate_crd(ed_kube *kube, const char *name)
{
    ed_err err = ED_ERR_INIT;
    ed_doc *crd = NULL;
    int rc = 1;
    if (ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name, &crd,
                    &err) != 0) {
        ed_cli_failure("failed to get CRD %s: %s", name, err.msg);
        goto cleanup;
    }
    ed_node *root = ed_doc_root(crd);
    const char *storage = NULL;
    const ed_node *versions = ed_node_path(root, "/spec/versions");
    for (size_t i = 0; !storage && i < ed_node_len(versions); i++) {
        bool on = false;
        if (ed_node_bool(ed_node_get(ed_node_at(versions, i), "storage"), &on) && on)
            storage = ed_node_path_str(ed_node_at(versions, i), "/name");
    }
    if (!storage || !*storage) {
        ed_cli_failure("no storage version found for CRD %s", name);
        goto cleanup;
    }
    /* client-go's retry.DefaultRetry: five tries 10ms apart while the writes conflict. */
    int r = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (attempt)
            usleep(10 * 1000);
        r = migrate_objects(kube, root, storage, &err);
        if (r != ED_ECONFLICT)
            break;
    }
    if (r) {
        ed_cli_failure("failed to migrate resources for CRD %s: %s", name, err.msg);
        goto cleanup;
    }
    ed_node *stored = ed_node_path(root, "/status/storedVersions");
    const char *first = ed_node_str(ed_node_at(stored, 0));
    if (ed_node_len(stored) != 1 || !first || strcmp(first, storage) != 0) {
        ed_node *seq = ed_node_new_seq(crd);
        ed_node_append(crd, seq, ed_node_new_str(crd, storage));
        ed_node_set(crd, ed_node_ensure_map(crd, root, "/status"), "storedVersions", seq);
        ed_kube_opts opts = {.subresource = "status"};
        if (ed_kube_update(kube, root, &opts, NULL, &err) != 0) {
            ed_cli_failure("failed to update CRD %s status: %s", name, err.msg);
            goto cleanup;
        }
        ed_cli_success("%s migrated to storage version %s", name, storage);
    }
    rc = 0;
cleanup:
    ed_doc_free(crd);
    return rc;
}

static int migrate_cluster(const ed_cli_global *g)
{
    ed_cli_action("starting migration of custom resources");
    /* flux's utils.KubeConfig, then its own prefix */
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_cli_load_config(g, &cfg, &err) == 0)
        ed_kube_new(cfg, &kube, &err);
    else
        ed_err_wrap(&err, "kubernetes configuration load failed");
    ed_kube_config_free(cfg);
    if (!kube) {
        ed_cli_failure("the Kubernetes client initialization failed: %s", err.msg);
        return 1;
    }
    ed_err_clear(&err);
    ed_doc *crds = NULL;
    ed_kube_opts opts = {.label_selector = "app.kubernetes.io/part-of=flux"};
    int rc = 0;
    if (ed_kube_list(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, &opts,
                     &crds, &err) != 0) {
        ed_cli_failure("failed to list CRDs: %s", err.msg);
        rc = 1;
    }
    const ed_node *items = crds ? ed_node_get(ed_doc_root(crds), "items") : NULL;
    for (size_t i = 0; !rc && i < ed_node_len(items); i++)
        rc = migrate_crd(kube, ed_node_path_str(ed_node_at(items, i), "/metadata/name") ?: "");
    if (!rc)
        ed_cli_success("custom resources migrated successfully");
    ed_doc_free(crds);
    ed_kube_free(kube);
    return rc;
}

/* ---- the verb ---- */

int ed_cli_migrate(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *path = NULL, *version = NULL;
    bool yes = false, dry_run = false;
    ed_cli_list extensions = {0};
    const ed_cli_flag flags[] = {
        {"path", 'f', ED_CLI_FLAG_STR, &path},
        {"extensions", 'e', ED_CLI_FLAG_SLICE, &extensions},
        {"version", 'v', ED_CLI_FLAG_STR, &version},
        {"yes", 'y', ED_CLI_FLAG_BOOL, &yes},
        {"dry-run", 0, ED_CLI_FLAG_BOOL, &dry_run},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &g);
    if (rc)
        return rc;
    if (!path || !*path)
        return migrate_cluster(&g);
    if (!extensions.given) {
        extensions.items[extensions.n++] = ".yaml";
        extensions.items[extensions.n++] = ".yml";
    }
    const ed_cli_api_latest *latest = ed_cli_migrate_latest(version);
    if (!latest) {
        ed_buf supported = ED_BUF_INIT(1 << 10);
        for (size_t i = 0; i < NFLUX_VERSIONS; i++)
            ed_buf_printf(&supported, "%s%s", i ? ", " : "", flux_versions[i].flux);
        ed_cli_failure("version %s is not supported, supported versions are: %s", version,
                       supported.data);
        ed_buf_free(&supported);
        return 1;
    }
    return migrate_files(path, &extensions, latest, yes, dry_run);
}
