/*
 * envsubst: Flux's post-build variable substitution grammar (fluxcd/pkg/envsubst, itself a
 * fork of drone/envsubst), applied to text.
 *
 * Only the braced form is substituted: `${name}` and `${name<op><args>}`; `$name` without
 * braces is left as it is, and `$$` is an escape for `$` (`$${x}` is a literal `${x}`), except
 * inside an operator's arguments. A name is a run of letters, digits and `_` (non-ASCII
 * characters count as letters), in any position: `${1abc}` is a variable that no Kustomization
 * can define. A `${` not followed by a name is an error ("unable to parse variable name"), as
 * is a name followed by anything but `}` or an operator ("missing closing brace"): the whole
 * text fails, as in Flux. The operators are bash's, with Flux's meanings:
 *
 *   ${#v}                       length (in bytes)
 *   ${v=d} ${v:=d} ${v:-d} ${v:+d} ${v:?d}  d when v is unset or empty (all the same in Flux;
 *                               bash's `-`, `+` and `?` without the colon are errors)
 *   ${v:n} ${v:n:len}           substring, in bytes (negative n counts from the end)
 *   ${v#p} ${v##p} ${v%p} ${v%%p}  strip the shortest/longest prefix/suffix matching glob p
 *                               (`*` matches `/` too)
 *   ${v/p/r} ${v//p/r} ${v/#p/r} ${v/%p/r}  replace the first/every/leading/trailing literal p;
 *                               in p and r, `\/` is `/`, `\\` is `\` and `$$` is `$`
 *   ${v^} ${v^^} ${v,} ${v,,}   upper/lower case of the first/every character (ASCII); a mixed
 *                               pair (`${v^,}`) leaves v as it is
 *
 * Arguments may hold substitutions themselves (`${a:=${b}}`); a default is expanded before v
 * is looked at, as Flux does, so in strict mode (Flux's StrictPostBuildSubstitutions, on by
 * default since kustomize-controller 1.9) `${a:-${b}}` fails when b is not set even if a is.
 * A variable that is not set is an error naming it, unless the operator supplies a default.
 */
#include "kustomize.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Nested substitutions deeper than this are refused (defaults inside defaults...). */
#define MAX_NESTING 32

struct subst {
    const ed_strmap *vars;
    bool strict;
    ed_err *err;
    int depth;
};

static int expand(struct subst *s, const char *in, size_t len, ed_buf *out);

/* Letters, digits and `_`; a byte of a multi-byte UTF-8 character counts as a letter (Flux's
 * scanner takes Unicode letters and digits). */
static bool name_char(char c)
{
    return c == '_' || isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* The offset of the `}` closing a `${` whose body starts at in[0], counting nested `${`;
 * len when there is none. */
static size_t closing_brace(const char *in, size_t len)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            depth++;
            i++;
        } else if (in[i] == '}') {
            if (depth == 0)
                return i;
            depth--;
        }
    }
    return len;
}

/* The offset of the first sep in in[0..len) outside nested `${...}`; len when none. */
static size_t split_at(const char *in, size_t len, char sep)
{
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            i += 2 + closing_brace(in + i + 2, len - i - 2);
            continue;
        }
        if (in[i] == sep)
            return i;
    }
    return len;
}

/* Expand an argument into a new NUL-terminated string (*out, malloc'd). */
static int expand_arg(struct subst *s, const char *in, size_t len, char **out)
{
    ed_buf b = ED_BUF_INIT((size_t)64 << 20);
    int rc = expand(s, in, len, &b);
    *out = rc ? NULL : ed_xstrdup(b.data ? b.data : "");
    ed_buf_free(&b);
    return rc;
}

/* ${v:pos} and ${v:pos:len}, as Flux: an argument that is not a number leaves v unchanged. */
static void substring(const char *v, const char *pos_s, const char *len_s, ed_buf *out)
{
    long n = (long)strlen(v);
    char *end;
    long pos = strtol(pos_s, &end, 10);
    if (!*pos_s || *end || isspace((unsigned char)*pos_s)) {
        ed_buf_append_str(out, v);
        return;
    }
    if (pos < 0)
        pos = n + pos < 0 ? 0 : n + pos;
    if (pos >= n)
        return;
    long take = n - pos;
    if (len_s) {
        long l = strtol(len_s, &end, 10);
        if (!*len_s || *end || isspace((unsigned char)*len_s)) {
            ed_buf_append_str(out, v);
            return;
        }
        if (l < 0)
            l = n + l - pos; /* a negative length counts from the end, as in bash */
        if (l < 0)
            l = 0;
        if (l < take)
            take = l;
    }
    ed_buf_append(out, v + pos, (size_t)take);
}

static bool glob_match(const char *pattern, const char *s, size_t len)
{
    char *t = ed_xstrndup(s, len);
    bool m = fnmatch(pattern, t, 0) == 0;
    free(t);
    return m;
}

/* ${v#p} ${v##p} (prefix) and ${v%p} ${v%%p} (suffix): strip the shortest or longest part of
 * v (one character at least) that matches glob p. */
static void strip(const char *v, const char *p, bool prefix, bool longest, ed_buf *out)
{
    size_t n = strlen(v);
    for (size_t k = 1; k <= n; k++) {
        size_t len = longest ? n + 1 - k : k;
        const char *part = prefix ? v : v + n - len;
        if (glob_match(p, part, len)) {
            if (prefix)
                ed_buf_append(out, v + len, n - len);
            else
                ed_buf_append(out, v, n - len);
            return;
        }
    }
    ed_buf_append_str(out, v);
}

/* ${v/p/r} (first), ${v//p/r} (all), ${v/#p/r} (leading), ${v/%p/r} (trailing), literal p. */
static void replace(const char *v, const char *op, const char *p, const char *r, ed_buf *out)
{
    size_t n = strlen(v), pl = strlen(p);
    if (strcmp(op, "/#") == 0) {
        if (ed_str_has_prefix(v, p)) {
            ed_buf_append_str(out, r);
            ed_buf_append_str(out, v + pl);
        } else {
            ed_buf_append_str(out, v);
        }
        return;
    }
    if (strcmp(op, "/%") == 0) {
        if (ed_str_has_suffix(v, p)) {
            ed_buf_append(out, v, n - pl);
            ed_buf_append_str(out, r);
        } else {
            ed_buf_append_str(out, v);
        }
        return;
    }
    bool all = strcmp(op, "//") == 0;
    const char *cur = v;
    const char *hit;
    while (pl && (hit = strstr(cur, p))) {
        ed_buf_append(out, cur, (size_t)(hit - cur));
        ed_buf_append_str(out, r);
        cur = hit + pl;
        if (!all)
            break;
    }
    ed_buf_append_str(out, cur);
}

static void change_case(const char *v, bool upper, bool every, ed_buf *out)
{
    size_t start = out->len;
    ed_buf_append_str(out, v);
    for (size_t i = start; i < out->len; i++) {
        unsigned char c = (unsigned char)out->data[i];
        if (c < 0x80)
            out->data[i] = (char)(upper ? toupper(c) : tolower(c));
        if (!every)
            break;
    }
}

/* The operators, longest first so that `##` is not read as `#`. */
static const char *const operators[] = {":=", ":-", ":?", ":+", "##", "%%", "//", "/#", "/%", "^^",
                                        ",,", ":",  "=",  "#",  "%",  "/",  "^",  ",",  NULL};

static bool is_default_op(const char *op)
{
    return strchr("=-?+", op[strlen(op) - 1]) != NULL;
}

/* The offset of the first unescaped `/` of a replacement's arguments outside nested `${...}`;
 * len when none. */
static size_t split_replace(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\\' && i + 1 < len) {
            i++;
            continue;
        }
        if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            i += 2 + closing_brace(in + i + 2, len - i - 2);
            continue;
        }
        if (in[i] == '/')
            return i;
    }
    return len;
}

/* A replacement's pattern or text: `\/` is `/`, `\\` is `\`, `$$` is `$`, `${...}` expanded,
 * anything else as written. */
static int expand_replace_arg(struct subst *s, const char *in, size_t len, char **out)
{
    ed_buf b = ED_BUF_INIT((size_t)64 << 20);
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        if (in[i] == '\\' && i + 1 < len && (in[i + 1] == '/' || in[i + 1] == '\\')) {
            rc = ed_buf_append(&b, in + i + 1, 1);
            i++;
        } else if (in[i] == '$' && i + 1 < len && in[i + 1] == '$') {
            rc = ed_buf_append(&b, "$", 1);
            i++;
        } else if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            size_t close = closing_brace(in + i + 2, len - i - 2);
            rc = expand(s, in + i, close + 3 <= len - i ? close + 3 : len - i, &b);
            i += 2 + close;
        } else {
            rc = ed_buf_append(&b, in + i, 1);
        }
    }
    *out = rc ? NULL : ed_xstrdup(b.data ? b.data : "");
    ed_buf_free(&b);
    return rc;
}

/* Apply op with its raw argument text to the value v (NULL when unset). */
static int apply_op(struct subst *s, const char *name, const char *v, const char *op,
                    const char *arg, size_t alen, ed_buf *out)
{
    if (is_default_op(op)) {
        /* Flux expands the default first, used or not (strict mode sees its variables). */
        ed_buf d = ED_BUF_INIT((size_t)64 << 20);
        int rc = expand(s, arg, alen, &d);
        if (!rc)
            rc = v && *v ? ed_buf_append_str(out, v)
                         : ed_buf_append(out, d.data ? d.data : "", d.len);
        ed_buf_free(&d);
        return rc;
    }
    if (!v && s->strict)
        return ed_err_set(s->err, ED_EINVALID, "variable not set (strict mode): \"%s\"", name);
    if (!v)
        v = "";
    char *a = NULL, *b = NULL;
    int rc = 0;
    if (op[0] == '/') {
        size_t cut = split_replace(arg, alen);
        rc = expand_replace_arg(s, arg, cut, &a);
        if (!rc)
            rc = expand_replace_arg(s, cut < alen ? arg + cut + 1 : "",
                                    cut < alen ? alen - cut - 1 : 0, &b);
        if (!rc)
            replace(v, op, a, b, out);
    } else if (strcmp(op, ":") == 0) {
        size_t cut = split_at(arg, alen, ':');
        rc = expand_arg(s, arg, cut, &a);
        if (!rc && cut < alen)
            rc = expand_arg(s, arg + cut + 1, alen - cut - 1, &b);
        if (!rc)
            substring(v, a, b, out);
    } else if (op[0] == '#' || op[0] == '%') {
        rc = expand_arg(s, arg, alen, &a);
        if (!rc)
            strip(v, a, op[0] == '#', op[1] != '\0', out);
    } else { /* ^ ^^ , ,, take no argument; a mixed pair (^, or ,^) changes nothing */
        if (!op[1] && alen == 1 && (arg[0] == '^' || arg[0] == ','))
            ed_buf_append_str(out, v);
        else if (alen)
            rc = ed_err_set(s->err, ED_EINVALID, "bad substitution: '${%s%s%.*s}'", name, op,
                            (int)alen, arg);
        else
            change_case(v, op[0] == '^', op[1] != '\0', out);
    }
    free(a);
    free(b);
    return rc;
}

/* One `${...}` whose body is body[0..len): expand it into out. */
static int expand_param(struct subst *s, const char *body, size_t len, ed_buf *out)
{
    bool length = len > 1 && body[0] == '#' && name_char(body[1]);
    const char *p = body + (length ? 1 : 0), *end = body + len;
    size_t nl = 0;
    while (p + nl < end && name_char(p[nl]))
        nl++;
    if (nl == 0)
        return ed_err_set(s->err, ED_EINVALID,
                          len && body[0] == '#' ? "bad substitution: '${%.*s}'"
                                                : "unable to parse variable name: '${%.*s}'",
                          (int)(len > 40 ? 40 : len), body);
    char *name = ed_xstrndup(p, nl);
    const char *v = ed_strmap_get(s->vars, name);
    const char *rest = p + nl;
    int rc = 0;
    if (length) {
        if (rest != end)
            rc = ed_err_set(s->err, ED_EINVALID, "bad substitution: '${%.*s}'", (int)len, body);
        else if (!v && s->strict)
            rc = ed_err_set(s->err, ED_EINVALID, "variable not set (strict mode): \"%s\"", name);
        else
            ed_buf_printf(out, "%zu", v ? strlen(v) : 0);
    } else if (rest == end) {
        if (!v && s->strict)
            rc = ed_err_set(s->err, ED_EINVALID, "variable not set (strict mode): \"%s\"", name);
        else if (v)
            ed_buf_append_str(out, v);
    } else {
        const char *op = NULL;
        for (size_t i = 0; operators[i] && !op; i++)
            if ((size_t)(end - rest) >= strlen(operators[i]) &&
                strncmp(rest, operators[i], strlen(operators[i])) == 0)
                op = operators[i];
        if (!op)
            rc = ed_err_set(s->err, ED_EINVALID, "missing closing brace: '${%.*s}'",
                            (int)(len > 60 ? 60 : len), body);
        else
            rc =
                apply_op(s, name, v, op, rest + strlen(op), (size_t)(end - rest - strlen(op)), out);
    }
    free(name);
    return rc;
}

static int expand(struct subst *s, const char *in, size_t len, ed_buf *out)
{
    if (++s->depth > MAX_NESTING) {
        s->depth--;
        return ed_err_set(s->err, ED_EINVALID, "substitutions nested deeper than %d levels",
                          MAX_NESTING);
    }
    int rc = 0;
    size_t i = 0;
    while (i < len && !rc) {
        const char *dollar = memchr(in + i, '$', len - i);
        size_t at = dollar ? (size_t)(dollar - in) : len;
        rc = ed_buf_append(out, in + i, at - i);
        i = at;
        if (rc || i >= len)
            break;
        /* Outside an operator's arguments `$$` is an escape for `$` (so `$${x}` is a
         * literal `${x}`); inside them it is not (`${a:-$${b}}` is `$` and b's value). */
        if (s->depth == 1 && i + 1 < len && in[i + 1] == '$') {
            rc = ed_buf_append(out, "$", 1);
            i += 2;
            continue;
        }
        if (i + 1 >= len || in[i + 1] != '{') { /* `$` alone, `$name`: text */
            rc = ed_buf_append(out, "$", 1);
            i++;
            continue;
        }
        size_t close = closing_brace(in + i + 2, len - i - 2);
        if (i + 2 >= len || close == len - i - 2) {
            rc = ed_err_set(s->err, ED_EINVALID,
                            "missing closing brace: unterminated '${' in "
                            "'%.*s'",
                            (int)(len - i > 40 ? 40 : len - i), in + i);
            break;
        }
        rc = expand_param(s, in + i + 2, close, out);
        i += 2 + close + 1;
    }
    s->depth--;
    if (rc == ED_ETOOBIG)
        ed_err_set(s->err, rc, "the substituted text is larger than its cap");
    return rc;
}

int ed_ks_envsubst(const char *in, size_t len, const ed_strmap *vars, bool strict, ed_buf *out,
                   ed_err *err)
{
    struct subst s = {.vars = vars, .strict = strict, .err = err};
    return expand(&s, in, len, out);
}
