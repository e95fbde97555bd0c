/*
 * URLs as Go's net/url reads and writes them, for sprig's urlParse and urlJoin in commit message
 * templates (sprig v3 url.go: url.Parse and URL.String, as Flux's image-automation-controller
 * v1.2.0 runs them, built with Go 1.26 whose strict colons are the default). What a template
 * sees is the same pieces and the same errors (url.Error's `parse "RAW": why`) as Flux's:
 *
 *   - the scheme is letters then letters, digits, + - . up to the first ':'; a URL with a scheme
 *     and no '/' after it is opaque ("mailto:x@y"); without a scheme, a colon in the first path
 *     segment is an error;
 *   - "//" starts an authority: userinfo up to the last '@' (its characters checked, then
 *     unescaped), a host whose port must be digits (after the first colon for http and https,
 *     after the last for the others) and where %-escapes of ASCII are refused but %25; a
 *     bracketed host is an IPv6 address with an optional %25zone;
 *   - the path and fragment are unescaped, their raw forms kept when they differ from Go's own
 *     escaping, so that String writes them back as they were.
 *
 * Bracketed addresses are checked by inet_pton: Go's netip words a few malformed addresses
 * more precisely than the "unable to parse IP" eddy gives for all of them.
 */
#include "image_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* The parts of a URL Go's escaping treats apart (net/url's encoding modes). */
typedef enum {
    ESC_PATH,
    ESC_HOST,
    ESC_ZONE,
    ESC_USERINFO,
    ESC_FRAGMENT
} esc_mode;

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether Go writes byte c %-escaped in a part of the given mode (RFC 3986 as net/url reads it). */
static bool should_escape(unsigned char c, esc_mode mode)
{
    if (is_alnum(c))
        return false;
    if ((mode == ESC_HOST || mode == ESC_ZONE) && c && strchr("!$&'()*+,;=:[]<>\"", c))
        return false;
    if (c == '-' || c == '_' || c == '.' || c == '~')
        return false;
    if (c && strchr("$&+,/:;=?@", c)) {
        switch (mode) {
        case ESC_PATH:
            return c == '?';
        case ESC_USERINFO:
            return c == '@' || c == '/' || c == '?' || c == ':';
        case ESC_FRAGMENT:
            return false;
        default:
            return true;
        }
    }
    if (mode == ESC_FRAGMENT && c && strchr("!()*", c))
        return false;
    return true;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(unsigned char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Go's error for a bad escape: `invalid URL escape "%zz"` (at most three bytes of it). */
static char *escape_error(const char *s, size_t n)
{
    ed_buf b = ED_BUF_INIT(64);
    char *bad = ed_xstrndup(s, n > 3 ? 3 : n);
    ed_buf_append_str(&b, "invalid URL escape ");
    ed_buf_append_go_quoted(&b, bad);
    free(bad);
    char *msg = ed_buf_take(&b);
    ed_buf_free(&b);
    return msg;
}

/* s[0..n) unescaped into *out (NUL-terminated, the caller's), or Go's error in *err. */
static int unescape(const char *s, size_t n, esc_mode mode, char **out, char **err)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) ||
                !is_hex((unsigned char)s[i + 2])) {
                *err = escape_error(s + i, n - i);
                return -1;
            }
            unsigned v =
                hex_value((unsigned char)s[i + 1]) << 4 | hex_value((unsigned char)s[i + 2]);
            bool pct25 = strncmp(s + i, "%25", 3) == 0;
            /* a host may escape only non-ASCII bytes (and %25 before a zone) */
            if ((mode == ESC_HOST && hex_value((unsigned char)s[i + 1]) < 8 && !pct25) ||
                (mode == ESC_ZONE && !pct25 && v != ' ' && should_escape((unsigned char)v, mode))) {
                *err = escape_error(s + i, 3);
                return -1;
            }
            i += 3;
            continue;
        }
        if ((mode == ESC_HOST || mode == ESC_ZONE) && c < 0x80 && should_escape(c, mode)) {
            char bad[2] = {(char)c, 0};
            ed_buf b = ED_BUF_INIT(64);
            ed_buf_append_str(&b, "invalid character ");
            ed_buf_append_go_quoted(&b, bad);
            ed_buf_append_str(&b, " in host name");
            *err = ed_buf_take(&b);
            ed_buf_free(&b);
            return -1;
        }
        i++;
    }
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            char byte = (char)(hex_value((unsigned char)s[i + 1]) << 4 |
                               hex_value((unsigned char)s[i + 2]));
            ed_buf_append(&b, &byte, 1);
            i += 2;
        } else {
            ed_buf_append(&b, s + i, 1);
        }
    }
    *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return 0;
}

static void escape_into(ed_buf *b, const char *s, esc_mode mode)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (should_escape(*p, mode))
            ed_buf_printf(b, "%%%02X", *p);
        else
            ed_buf_append(b, p, 1);
}

static char *escape(const char *s, esc_mode mode)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    escape_into(&b, s, mode);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

/* ":digits" or nothing (Go's validOptionalPort). */
static bool valid_port(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != ':')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static char *port_error(const char *s, size_t n)
{
    ed_buf b = ED_BUF_INIT(1024);
    char *port = ed_xstrndup(s, n);
    ed_buf_append_str(&b, "invalid port ");
    ed_buf_append_go_quoted(&b, port);
    ed_buf_append_str(&b, " after host");
    free(port);
    char *msg = ed_buf_take(&b);
    ed_buf_free(&b);
    return msg;
}

/* Whether a bracketed host's address (its zone unescaped after '%') is IPv6, or Go's error. */
static int check_ipv6(const char *addr, char **err)
{
    char *ip = ed_xstrdup(addr);
    char *zone = strchr(ip, '%');
    if (zone)
        *zone = 0;
    unsigned char bin[16];
    int rc = 0;
    if (inet_pton(AF_INET, ip, bin) == 1 && !zone) {
        *err = ed_xstrdup("invalid IP-literal");
        rc = -1;
    } else if (inet_pton(AF_INET6, ip, bin) != 1 || (zone && !zone[1])) {
        ed_buf b = ED_BUF_INIT(1024);
        ed_buf_append_str(&b, "invalid host: ParseAddr(");
        ed_buf_append_go_quoted(&b, addr);
        ed_buf_append_str(&b, "): unable to parse IP");
        *err = ed_buf_take(&b);
        ed_buf_free(&b);
        rc = -1;
    }
    free(ip);
    return rc;
}

/* The host of an authority, unescaped, or Go's error (net/url's parseHost). */
static int parse_host(const char *scheme, const char *h, size_t n, char **out, char **err)
{
    const char *open = NULL;
    for (size_t i = 0; i < n; i++)
        if (h[i] == '[')
            open = h + i;
    if (open && open != h) {
        *err = ed_xstrdup("invalid IP-literal");
        return -1;
    }
    if (open) {
        const char *close = NULL;
        for (size_t i = 0; i < n; i++)
            if (h[i] == ']')
                close = h + i;
        if (!close) {
            *err = ed_xstrdup("missing ']' in host");
            return -1;
        }
        const char *port = close + 1;
        size_t port_n = n - (size_t)(port - h);
        if (!valid_port(port, port_n)) {
            *err = port_error(port, port_n);
            return -1;
        }
        const char *name = h + 1;
        size_t name_n = (size_t)(close - name);
        const char *zone = NULL;
        for (size_t i = 0; i + 3 <= name_n && !zone; i++)
            if (strncmp(name + i, "%25", 3) == 0)
                zone = name + i;
        char *addr = NULL, *zpart = NULL;
        int rc = unescape(name, zone ? (size_t)(zone - name) : name_n, ESC_HOST, &addr, err);
        if (rc == 0 && zone)
            rc = unescape(zone, name_n - (size_t)(zone - name), ESC_ZONE, &zpart, err);
        if (rc == 0) {
            char *full = ed_xasprintf("%s%s", addr, zpart ? zpart : "");
            rc = check_ipv6(full, err);
            if (rc == 0)
                *out = ed_xasprintf("[%s]%.*s", full, (int)port_n, port);
            free(full);
        }
        free(addr);
        free(zpart);
        return rc;
    }
    const char *first = memchr(h, ':', n);
    if (first) {
        const char *last = first;
        for (const char *p = first; p < h + n; p++)
            if (*p == ':')
                last = p;
        /* Go 1.26's strict colons: http and https take the port after the first colon */
        const char *colon =
            strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ? first : last;
        size_t port_n = n - (size_t)(colon - h);
        if (!valid_port(colon, port_n)) {
            *err = port_error(colon, port_n);
            return -1;
        }
    }
    return unescape(h, n, ESC_HOST, out, err);
}

/* Userinfo's characters as Go accepts them before unescaping (net/url's validUserinfo). */
static bool valid_userinfo(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && !(c && strchr("-._:~!$&'()*+,;=%@", c)))
            return false;
    }
    return true;
}

static int parse_authority(ed_go_url *u, const char *a, size_t n, char **err)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i] == '@')
            at = a + i;
    const char *host = at ? at + 1 : a;
    if (parse_host(u->scheme, host, n - (size_t)(host - a), &u->host, err) < 0)
        return -1;
    if (!at)
        return 0;
    size_t ui_n = (size_t)(at - a);
    if (!valid_userinfo(a, ui_n)) {
        *err = ed_xstrdup("net/url: invalid userinfo");
        return -1;
    }
    const char *colon = memchr(a, ':', ui_n);
    size_t user_n = colon ? (size_t)(colon - a) : ui_n;
    if (unescape(a, user_n, ESC_USERINFO, &u->username, err) < 0)
        return -1;
    if (colon && unescape(colon + 1, ui_n - user_n - 1, ESC_USERINFO, &u->password, err) < 0)
        return -1;
    u->has_user = true;
    return 0;
}

/* The decoded form of a path or fragment, and its raw form when Go's escaping would differ. */
static int set_escaped(const char *s, size_t n, esc_mode mode, char **value, char **raw, char **err)
{
    if (unescape(s, n, mode, value, err) < 0)
        return -1;
    char *again = escape(*value, mode);
    if (strlen(again) != n || memcmp(again, s, n) != 0)
        *raw = ed_xstrndup(s, n);
    free(again);
    return 0;
}

/* net/url's parse of a URL without its fragment. */
static int parse_main(ed_go_url *u, const char *s, char **err)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < ' ' || *p == 0x7f) {
            *err = ed_xstrdup("net/url: invalid control character in URL");
            return -1;
        }
    if (strcmp(s, "*") == 0) {
        u->path = ed_xstrdup("*");
        return 0;
    }
    const char *rest = s;
    for (const char *p = s; *p; p++) {
        if (is_alnum((unsigned char)*p) && (p > s || !(*p >= '0' && *p <= '9')))
            continue;
        if (p > s && (*p == '+' || *p == '-' || *p == '.'))
            continue;
        if (*p == ':') {
            if (p == s) {
                *err = ed_xstrdup("missing protocol scheme");
                return -1;
            }
            u->scheme = ed_xstrndup(s, (size_t)(p - s));
            for (char *q = u->scheme; *q; q++)
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q | 0x20);
            rest = p + 1;
        }
        break;
    }
    if (!u->scheme)
        u->scheme = ed_xstrdup("");
    size_t n = strlen(rest);
    const char *q = strchr(rest, '?');
    if (q && q == rest + n - 1) {
        u->force_query = true;
        n--;
    } else if (q) {
        u->raw_query = ed_xstrdup(q + 1);
        n = (size_t)(q - rest);
    }
    if (n == 0 || rest[0] != '/') {
        if (u->scheme[0]) {
            u->opaque = ed_xstrndup(rest, n);
            return 0;
        }
        const char *slash = memchr(rest, '/', n);
        if (memchr(rest, ':', slash ? (size_t)(slash - rest) : n)) {
            *err = ed_xstrdup("first path segment in URL cannot contain colon");
            return -1;
        }
    }
    if (n >= 2 && rest[0] == '/' && rest[1] == '/' && (u->scheme[0] || n < 3 || rest[2] != '/')) {
        const char *auth = rest + 2;
        const char *slash = memchr(auth, '/', n - 2);
        size_t auth_n = slash ? (size_t)(slash - auth) : n - 2;
        if (parse_authority(u, auth, auth_n, err) < 0)
            return -1;
        n -= 2 + auth_n;
        rest = auth + auth_n;
    } else if (u->scheme[0] && n > 0 && rest[0] == '/') {
        u->omit_host = true;
    }
    return set_escaped(rest, n, ESC_PATH, &u->path, &u->raw_path, err);
}

int ed_go_url_parse(const char *raw, ed_go_url *u, char **err)
{
    memset(u, 0, sizeof(*u));
    *err = NULL;
    const char *hash = strchr(raw, '#');
    char *main_part = hash ? ed_xstrndup(raw, (size_t)(hash - raw)) : ed_xstrdup(raw);
    char *why = NULL;
    int rc = parse_main(u, main_part, &why);
    bool in_fragment = false; /* url.Error names the whole URL only when the fragment failed */
    if (rc == 0 && hash && hash[1]) {
        in_fragment = true;
        rc = set_escaped(hash + 1, strlen(hash + 1), ESC_FRAGMENT, &u->fragment, &u->raw_fragment,
                         &why);
    }
    if (rc < 0) {
        ed_buf b = ED_BUF_INIT((size_t)1 << 24);
        ed_buf_append_str(&b, "parse ");
        ed_buf_append_go_quoted(&b, in_fragment ? raw : main_part);
        ed_buf_printf(&b, ": %s", why);
        *err = ed_buf_take(&b);
        ed_buf_free(&b);
        free(why);
        ed_go_url_free(u);
    }
    free(main_part);
    return rc;
}

void ed_go_url_free(ed_go_url *u)
{
    free(u->scheme);
    free(u->opaque);
    free(u->username);
    free(u->password);
    free(u->host);
    free(u->path);
    free(u->raw_path);
    free(u->raw_query);
    free(u->fragment);
    free(u->raw_fragment);
    memset(u, 0, sizeof(*u));
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

char *ed_go_url_userinfo(const ed_go_url *u)
{
    if (!u->has_user)
        return ed_xstrdup("");
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    escape_into(&b, or_empty(u->username), ESC_USERINFO);
    if (u->password) {
        ed_buf_append(&b, ":", 1);
        escape_into(&b, u->password, ESC_USERINFO);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

char *ed_go_url_hostname(const ed_go_url *u)
{
    const char *h = or_empty(u->host);
    size_t n = strlen(h);
    const char *colon = strrchr(h, ':');
    if (colon && valid_port(colon, n - (size_t)(colon - h)))
        n = (size_t)(colon - h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
        return ed_xstrndup(h + 1, n - 2);
    return ed_xstrndup(h, n);
}

/* The raw form when it still decodes to the value and has only what Go lets through raw. */
static char *escaped_form(const char *value, const char *raw, esc_mode mode)
{
    if (raw && raw[0]) {
        bool valid = true;
        for (const unsigned char *p = (const unsigned char *)raw; *p && valid; p++)
            valid = strchr("!$&'()*+,;=:@[]%", *p) || !should_escape(*p, mode);
        char *dec = NULL, *err = NULL;
        if (valid && unescape(raw, strlen(raw), mode, &dec, &err) == 0 && strcmp(dec, value) == 0) {
            free(dec);
            return ed_xstrdup(raw);
        }
        free(dec);
        free(err);
    }
    if (mode == ESC_PATH && strcmp(value, "*") == 0)
        return ed_xstrdup("*");
    return escape(value, mode);
}

char *ed_go_url_string(const ed_go_url *u)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    const char *scheme = or_empty(u->scheme), *host = or_empty(u->host);
    if (scheme[0])
        ed_buf_printf(&b, "%s:", scheme);
    if (u->opaque && u->opaque[0]) {
        ed_buf_append_str(&b, u->opaque);
    } else {
        const char *value = or_empty(u->path);
        if ((scheme[0] || host[0] || u->has_user) && !(u->omit_host && !host[0] && !u->has_user)) {
            if (host[0] || value[0] || u->has_user)
                ed_buf_append_str(&b, "//");
            if (u->has_user) {
                char *ui = ed_go_url_userinfo(u);
                ed_buf_printf(&b, "%s@", ui);
                free(ui);
            }
            escape_into(&b, host, ESC_HOST);
        }
        char *path = escaped_form(value, u->raw_path, ESC_PATH);
        if (path[0] && path[0] != '/' && host[0])
            ed_buf_append(&b, "/", 1);
        if (b.len == 0) {
            /* a colon in the first segment would read as a scheme */
            size_t seg = strcspn(path, "/");
            if (memchr(path, ':', seg))
                ed_buf_append_str(&b, "./");
        }
        ed_buf_append_str(&b, path);
        free(path);
    }
    if (u->force_query || (u->raw_query && u->raw_query[0]))
        ed_buf_printf(&b, "?%s", or_empty(u->raw_query));
    if (u->fragment && u->fragment[0]) {
        char *frag = escaped_form(u->fragment, u->raw_fragment, ESC_FRAGMENT);
        ed_buf_printf(&b, "#%s", frag);
        free(frag);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}
