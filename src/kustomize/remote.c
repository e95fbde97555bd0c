/*
 * kustomize's remote targets: an entry of `resources` or `components` that names a Git
 * repository ("https://github.com/org/repo//deploy?ref=v1.2.0", "git@host:org/repo.git/deploy",
 * "ssh://git@host/org/repo.git", "file:///srv/repo//app") is parsed here into what to clone,
 * which directory of it to build and how (`ref` or `version`, `timeout`, `submodules`), by
 * kustomize's rules, so that an entry means the same repository and directory to eddy as to
 * `kubectl kustomize`. Fetching is the caller's (ed_ks_options.remote).
 */
#include "kustomize_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 27000 /* kustomize's */

static bool prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Percent-decode s[0..n) ('+' as a space when plus); NULL for a bad escape. */
static char *unescape(const char *s, size_t n, bool plus)
{
    char *out = ed_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                free(out);
                return NULL;
            }
            int hi = ed_hex_digit(s[i + 1]), lo = ed_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            char c = s[i];
            if (plus && c == '+')
                c = ' ';
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

/* The path part of a URL path with its fragment cut and escapes decoded (as written when
 * they do not decode). */
static char *url_path(const char *s)
{
    size_t n = strcspn(s, "#");
    char *p = unescape(s, n, false);
    return p ? p : ed_xstrndup(s, n);
}

/* Go's strconv.ParseBool. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* The query's first value of key (decoded), or NULL; *bad when the query does not decode. */
static char *query_get(const char *query, const char *key, bool *bad)
{
    size_t klen = strlen(key);
    for (const char *p = query; *p;) {
        size_t n = strcspn(p, "&;");
        const char *eq = memchr(p, '=', n);
        size_t kn = eq ? (size_t)(eq - p) : n;
        char *k = unescape(p, kn, true);
        char *v = eq ? unescape(eq + 1, n - kn - 1, true) : ed_xstrdup("");
        if (!k || !v) {
            *bad = true;
            free(k);
            free(v);
            return NULL;
        }
        bool match = strlen(k) == klen && memcmp(k, key, klen) == 0;
        free(k);
        if (match)
            return v;
        free(v);
        p += n;
        if (*p)
            p++;
    }
    return NULL;
}

static void parse_query(const char *query, ed_ks_remote *r)
{
    r->timeout_ms = DEFAULT_TIMEOUT_MS;
    r->submodules = true;
    if (!query || !*query)
        return;
    bool bad = false;
    char *version = query_get(query, "version", &bad);
    char *ref = query_get(query, "ref", &bad);
    char *timeout = query_get(query, "timeout", &bad);
    char *submodules = query_get(query, "submodules", &bad);
    if (!bad) { /* a query that does not decode leaves every default (kustomize) */
        if (ref && *ref) {
            free(r->ref);
            r->ref = ref;
            ref = NULL;
        } else if (version) {
            free(r->ref);
            r->ref = version;
            version = NULL;
        }
        if (timeout && *timeout) {
            char *end = NULL;
            long long secs = strtoll(timeout, &end, 10);
            int64_t ms = 0;
            ed_err ignored = ED_ERR_INIT;
            if (end && *end == '\0' && secs > 0 && secs < INT64_MAX / 1000)
                r->timeout_ms = secs * 1000;
            else if (ed_duration_parse(timeout, &ms, &ignored) == 0 && ms > 0)
                r->timeout_ms = ms;
        }
        bool b;
        if (submodules && *submodules && parse_bool(submodules, &b))
            r->submodules = b;
    }
    free(version);
    free(ref);
    free(timeout);
    free(submodules);
}

/* kustomize's host of an entry without a scheme kustomize knows the host of: "" (none). */
static char *match_host(const char *scheme, const char *s, const char **rest)
{
    bool scp = prefix_ci(s, "git@");
    if (scp)
        s += 4;
    const char *normalized, *sep;
    if (!*scheme) {
        normalized = scp ? "git@github.com:" : "https://github.com/";
        sep = scp ? ":" : "";
    } else if (strcmp(scheme, "ssh://") == 0) {
        normalized = "git@github.com:";
        sep = "/";
    } else {
        normalized = "https://github.com/";
        sep = "/";
    }
    static const char *const github[] = {"github.com:", "github.com/"};
    for (int i = 0; i < 2; i++)
        if (prefix_ci(s, github[i])) {
            *rest = s + strlen(github[i]);
            return ed_xstrdup(normalized);
        }
    const char *at = *sep ? strstr(s, sep) : s;
    if (!at || at == s) {
        *rest = s;
        return ed_xstrdup("");
    }
    if (*sep == ':') { /* scp's colon only when no '/' comes before it */
        const char *slash = strchr(s, '/');
        if (slash && slash < at) {
            *rest = s;
            return ed_xstrdup("");
        }
    }
    *rest = at + 1;
    return ed_xasprintf("%s%s%.*s", scheme, scp ? "git@" : "", (int)(at + 1 - s), s);
}

static char *host_spec(const char *n, const char **rest)
{
    if (prefix_ci(n, "git::"))
        n += 5;
    if (prefix_ci(n, "gh:")) {
        *rest = n + 3;
        return ed_xstrdup("gh:");
    }
    const char *sep = strstr(n, "://");
    if (sep) {
        size_t len = (size_t)(sep - n);
        if (len == 4 && strncasecmp(n, "file", 4) == 0) {
            *rest = sep + 3;
            return ed_xstrdup("file://");
        }
        static const char *const schemes[] = {"https", "http", "ssh"};
        for (int i = 0; i < 3; i++)
            if (len == strlen(schemes[i]) && strncasecmp(n, schemes[i], len) == 0) {
                char scheme[16];
                snprintf(scheme, sizeof(scheme), "%s://", schemes[i]);
                return match_host(scheme, sep + 3, rest);
            }
    }
    return match_host("", n, rest);
}

/* Azure DevOps' _git URLs: the host as written, with github.com and git:: normalised. */
static char *normalize_host(const char *host, size_t n)
{
    char *h = ed_xstrndup(host, n);
    if (strcasestr(h, "github.com")) {
        bool ssh = strcasestr(h, "git@") || strcasestr(h, "ssh:");
        free(h);
        return ed_xstrdup(ssh ? "git@github.com:" : "https://github.com/");
    }
    if (prefix_ci(h, "git::")) {
        char *t = ed_xstrdup(h + 5);
        for (char *p = t; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        free(h);
        return t;
    }
    return h;
}

void ed_ks_remote_clear(ed_ks_remote *r)
{
    free(r->repo);
    free(r->path);
    free(r->ref);
    *r = (ed_ks_remote){0};
}

/* Lexically clean rel (no leading '/'); false when it climbs out ("..", "../x"). */
static bool clean_inside(const char *in, char **out)
{
    size_t n = strlen(in);
    char **parts = ed_xcalloc(n + 1, sizeof(*parts));
    size_t np = 0;
    char *copy = ed_xstrdup(in);
    bool ok = true;
    for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0)
            continue;
        if (strcmp(t, "..") == 0) {
            if (np == 0) {
                ok = false;
                break;
            }
            np--;
            continue;
        }
        parts[np++] = t;
    }
    ed_buf b = ED_BUF_INIT(n + 1);
    for (size_t i = 0; ok && i < np; i++)
        ed_buf_printf(&b, "%s%s", i ? "/" : "", parts[i]);
    *out = ok ? ed_buf_take(&b) : NULL;
    if (ok && !*out)
        *out = ed_xstrdup("");
    ed_buf_free(&b);
    free(parts);
    free(copy);
    return ok;
}

int ed_ks_remote_parse(const char *entry, ed_ks_remote *out, ed_err *err)
{
    *out = (ed_ks_remote){0};
    if (entry[0] == '/')
        return ed_err_set(err, ED_EINVALID, "uri looks like abs path: %s", entry);
    const char *q = strchr(entry, '?');
    char *n = q ? ed_xstrndup(entry, (size_t)(q - entry)) : ed_xstrdup(entry);
    out->ref = ed_xstrdup("");
    parse_query(q ? q + 1 : NULL, out);
    char *host = NULL, *repo = NULL, *path = NULL;
    const char *suffix = ".git";
    const char *d = strstr(n, "_git/");
    if (d) {
        host = normalize_host(n, (size_t)(d + 5 - n));
        const char *r = d + 5;
        size_t rl = strcspn(r, "/");
        repo = ed_xstrndup(r, rl);
        path = url_path(r + rl);
        suffix = "";
    } else {
        const char *rest = NULL;
        host = host_spec(n, &rest);
        bool local = ed_str_has_prefix(host, "file://");
        if (local)
            suffix = "";
        const char *g = strstr(rest, ".git");
        const char *dd = local ? strstr(rest, "//") : NULL;
        if (g) {
            suffix = ".git";
            repo = ed_xstrndup(rest, (size_t)(g - rest));
            const char *p = g + 4;
            if (*p == '/')
                p++;
            path = url_path(p);
        } else if (local && dd && dd > rest) {
            repo = ed_xstrndup(rest, (size_t)(dd - rest));
            path = url_path(dd + 2);
        } else if (local) {
            repo = url_path(rest);
        } else {
            const char *i = strchr(rest, '/');
            const char *j = i && i > rest ? strchr(i + 1, '/') : NULL;
            if (!i || i == rest) {
                path = url_path(rest);
            } else if (j) {
                repo = ed_xstrndup(rest, (size_t)(j - rest));
                path = url_path(j + 1);
            } else {
                repo = url_path(rest);
            }
        }
    }
    int rc = 0;
    char *clean = NULL;
    if (!repo || !*repo)
        rc = ed_err_set(err, ED_EINVALID, "url lacks repoPath: %s", entry);
    else if (!*host)
        rc = ed_err_set(err, ED_EINVALID, "url lacks host: %s", entry);
    else if (!clean_inside(path ? path : "", &clean))
        rc = ed_err_set(err, ED_EINVALID, "url path exits repo: %s", entry);
    if (!rc) {
        bool plain = strcasestr(host, "dev.azure.com") || strcasestr(host, "visualstudio.com") ||
                     strcasestr(host, "amazonaws.com");
        out->repo = ed_xasprintf("%s%s%s", host, repo, plain ? "" : suffix);
        out->path = clean;
        clean = NULL;
    } else {
        ed_ks_remote_clear(out);
    }
    free(clean);
    free(host);
    free(repo);
    free(path);
    free(n);
    return rc;
}
