/*
 * The functions of ImageUpdateAutomation's commit message templates. Flux renders the template
 * with Go's text/template and sprig's hermetic function map (sprig.HermeticTxtFuncMap: every
 * sprig function but the clock, random, environment and network ones, so `now` and `date` are
 * not defined there either). eddy implements Go's builtins len, index, not, and, or, eq, ne,
 * lt, le, gt, ge, print, println and printf (their errors in Go's words), and the sprig
 * functions people put in commit messages, with sprig's argument order (the string last, so
 * that `.X | trimPrefix "v"` reads well) and results:
 *
 *   strings   upper lower title trim trimPrefix trimSuffix replace trunc abbrev contains
 *             hasPrefix hasSuffix quote squote repeat nospace toString
 *   lists     list join splitList first last uniq sortAlpha has without append
 *   defaults  default empty coalesce ternary toJson
 *
 * Case mapping (upper, lower, title) is ASCII's; other letters are left as they are (Go maps
 * every Unicode letter). Whitespace (trim, nospace) is Unicode's, as in Go. Any other name is
 * reported to the caller, which refuses the template naming the function.
 *
 * The values (ed_tv) live here too: what Flux's template data and these functions produce.
 */
#include "image_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

ed_tv *ed_tv_new(ed_tv_pool *p, ed_tv_kind k, const char *s)
{
    ed_tv *v = ed_xcalloc(1, sizeof(*v));
    v->kind = k;
    v->s = s ? ed_xstrdup(s) : NULL;
    v->next_alloc = p->all;
    p->all = v;
    return v;
}

ed_tv *ed_tv_num(ed_tv_pool *p, int64_t n)
{
    char s[32];
    snprintf(s, sizeof(s), "%" PRId64, n);
    ed_tv *v = ed_tv_new(p, ED_TV_NUM, s);
    v->n = n;
    return v;
}

ed_tv *ed_tv_bool(ed_tv_pool *p, bool b)
{
    ed_tv *v = ed_tv_new(p, ED_TV_BOOL, b ? "true" : "false");
    v->n = b;
    return v;
}

void ed_tv_add(ed_tv *v, ed_tv *key, ed_tv *item)
{
    v->keys = ed_xrealloc(v->keys, (v->len + 1) * sizeof(ed_tv *));
    v->items = ed_xrealloc(v->items, (v->len + 1) * sizeof(ed_tv *));
    v->keys[v->len] = key;
    v->items[v->len++] = item;
}

void ed_tv_pool_free(ed_tv_pool *p)
{
    for (ed_tv *v = p->all, *next; v; v = next) {
        next = v->next_alloc;
        free(v->s);
        free(v->keys);
        free(v->items);
        free(v);
    }
    p->all = NULL;
}

ed_tv *ed_tv_field(const ed_tv *v, const char *name, size_t n)
{
    if (!v || (v->kind != ED_TV_OBJ && v->kind != ED_TV_MAP))
        return NULL;
    for (size_t i = 0; i < v->len; i++)
        if (v->keys[i] && v->keys[i]->kind == ED_TV_STR && strlen(v->keys[i]->s) == n &&
            strncmp(v->keys[i]->s, name, n) == 0)
            return v->items[i];
    return NULL;
}

static const char *field_str(const ed_tv *v, const char *name)
{
    const ed_tv *f = ed_tv_field(v, name, strlen(name));
    return f && f->s ? f->s : "";
}

bool ed_tv_truthy(const ed_tv *v)
{
    if (!v)
        return false;
    switch (v->kind) {
    case ED_TV_STR:
        return v->s && v->s[0];
    case ED_TV_NUM:
    case ED_TV_BOOL:
        return v->n != 0;
    case ED_TV_NIL:
        return false;
    case ED_TV_LIST:
    case ED_TV_MAP:
        return v->len > 0;
    case ED_TV_OBJ:
        return true;
    }
    return false;
}

void ed_tv_print(ed_buf *b, const ed_tv *v, const char *nil_text)
{
    if (!v || v->kind == ED_TV_NIL) {
        ed_buf_append_str(b, nil_text);
        return;
    }
    switch (v->kind) {
    case ED_TV_STR:
    case ED_TV_NUM:
    case ED_TV_BOOL:
        ed_buf_append_str(b, v->s);
        return;
    case ED_TV_LIST:
    case ED_TV_MAP:
        ed_buf_append_str(b, v->kind == ED_TV_LIST ? "[" : "map[");
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                ed_buf_append(b, " ", 1);
            if (v->kind == ED_TV_MAP) {
                ed_tv_print(b, v->keys[i], "<nil>");
                ed_buf_append(b, ":", 1);
            }
            ed_tv_print(b, v->items[i], "<nil>");
        }
        ed_buf_append(b, "]", 1);
        return;
    case ED_TV_OBJ:
        break;
    case ED_TV_NIL:
        return; /* handled above */
    }
    switch (v->type) {
    case ED_TV_STRUCT_AUTOMATION: /* types.NamespacedName's String */
        ed_buf_printf(b, "%s/%s", field_str(v, "Namespace"), field_str(v, "Name"));
        return;
    case ED_TV_STRUCT_OBJECT:
        /* kyaml's ResourceIdentifier has no String: Go prints its nested structs,
         * {TypeMeta{APIVersion Kind} NameMeta{Name Namespace}} inside ObjectIdentifier. */
        ed_buf_printf(b, "{{{%s %s} {%s %s}}}", field_str(v, "APIVersion"), field_str(v, "Kind"),
                      field_str(v, "Name"), field_str(v, "Namespace"));
        return;
    case ED_TV_STRUCT_CHANGE:
    case ED_TV_STRUCT_RESULT:
    case ED_TV_STRUCT_ROOT:
        /* Go's %v of a struct: its fields' values in braces. Result's Changes and Objects are
         * methods in Go, not fields: only FileChanges prints. */
        ed_buf_append(b, "{", 1);
        for (size_t i = 0, k = 0; i < v->len; i++) {
            if (v->type == ED_TV_STRUCT_RESULT && strcmp(v->keys[i]->s, "FileChanges") != 0)
                continue;
            if (k++)
                ed_buf_append(b, " ", 1);
            ed_tv_print(b, v->items[i], "<nil>");
        }
        ed_buf_append(b, "}", 1);
        return;
    }
}

/* sprig's strval: a string as it is, anything else as %v prints it. */
static void strval(ed_buf *b, const ed_tv *v)
{
    ed_tv_print(b, v, "<nil>");
}

static char *strval_dup(const ed_tv *v)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    strval(&b, v);
    char *s = ed_buf_take(&b);
    ed_buf_free(&b);
    return s;
}

/* reflect.DeepEqual over template values. */
static bool tv_equal(const ed_tv *a, const ed_tv *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case ED_TV_NIL:
        return true;
    case ED_TV_NUM:
    case ED_TV_BOOL:
        return a->n == b->n;
    case ED_TV_STR:
        return strcmp(a->s, b->s) == 0;
    case ED_TV_OBJ:
    case ED_TV_LIST:
    case ED_TV_MAP:
        if (a->type != b->type || a->len != b->len)
            return false;
        for (size_t i = 0; i < a->len; i++)
            if ((a->keys[i] && !tv_equal(a->keys[i], b->keys[i])) ||
                !tv_equal(a->items[i], b->items[i]))
                return false;
        return true;
    }
    return false;
}

/* ---- JSON (sprig's toJson: encoding/json, "" when it fails) ---- */

static bool json_write(ed_buf *b, const ed_tv *v)
{
    switch (v ? v->kind : ED_TV_NIL) {
    case ED_TV_NIL:
        ed_buf_append_str(b, "null");
        return true;
    case ED_TV_STR:
        ed_image_json_quote(b, v->s);
        return true;
    case ED_TV_NUM:
    case ED_TV_BOOL:
        ed_buf_append_str(b, v->s);
        return true;
    case ED_TV_LIST:
        ed_buf_append(b, "[", 1);
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                ed_buf_append(b, ",", 1);
            if (!json_write(b, v->items[i]))
                return false;
        }
        ed_buf_append(b, "]", 1);
        return true;
    case ED_TV_MAP:
        /* Go's maps: sorted string keys; a struct key (ObjectIdentifier) is an error. */
        if (v->is_nil) {
            ed_buf_append(b, "null", 4);
            return true;
        }
        ed_buf_append(b, "{", 1);
        for (size_t i = 0; i < v->len; i++) {
            if (v->keys[i]->kind != ED_TV_STR)
                return false;
            if (i)
                ed_buf_append(b, ",", 1);
            ed_image_json_quote(b, v->keys[i]->s);
            ed_buf_append(b, ":", 1);
            if (!json_write(b, v->items[i]))
                return false;
        }
        ed_buf_append(b, "}", 1);
        return true;
    case ED_TV_OBJ:
        break;
    }
    ed_buf_append(b, "{", 1);
    size_t k = 0;
    for (size_t i = 0; i < v->len; i++) {
        const char *name = v->keys[i]->s;
        const ed_tv *item = v->items[i];
        char json_name[32];
        if (v->type == ED_TV_STRUCT_RESULT && strcmp(name, "FileChanges") != 0)
            continue; /* methods in Go */
        if (v->type == ED_TV_STRUCT_OBJECT) {
            /* kyaml's tags: apiVersion, kind, name, namespace, each omitempty */
            if (!item->s || !item->s[0])
                continue;
            snprintf(json_name, sizeof(json_name), "%c%s", name[0] + ('a' - 'A'), name + 1);
            if (strcmp(name, "APIVersion") == 0)
                snprintf(json_name, sizeof(json_name), "apiVersion");
            name = json_name;
        }
        if (k++)
            ed_buf_append(b, ",", 1);
        ed_image_json_quote(b, name);
        ed_buf_append(b, ":", 1);
        if (!json_write(b, item))
            return false;
    }
    ed_buf_append(b, "}", 1);
    return true;
}

/* ---- strings ---- */

/* The length of the Unicode white space character (unicode.IsSpace) at p, or 0. */
static size_t space_len(const unsigned char *p)
{
    if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        return 1;
    if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3; /* U+1680 */
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        return 3; /* U+2000-200A, 2028, 2029, 202F */
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        return 3; /* U+205F */
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* The length of the UTF-8 sequence at p (1 for a byte that starts none). */
static size_t rune_len(const unsigned char *p)
{
    size_t n = *p < 0x80 ? 1 : *p >= 0xf0 && *p < 0xf8 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

static char *trim_space(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    while ((n = space_len(p)) > 0)
        p += n;
    size_t len = strlen((const char *)p);
    for (bool again = true; again && len > 0;) {
        again = false;
        for (size_t k = 1; k <= 3 && k <= len; k++)
            if (space_len(p + len - k) == k) {
                len -= k;
                again = true;
                break;
            }
    }
    return ed_xstrndup((const char *)p, len);
}

static char *no_space(const char *s)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = space_len(p);
        if (n) {
            p += n;
            continue;
        }
        ed_buf_append(&b, p, 1);
        p++;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

static char *map_case(const char *s, bool up)
{
    char *out = ed_xstrdup(s);
    for (char *p = out; *p; p++) {
        if (up && *p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (!up && *p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return out;
}

/* strings.Title: the first letter after a separator (anything but a letter, digit or '_'; for
 * other characters, only white space) is upper-cased. */
static char *title(const char *s)
{
    char *out = ed_xstrdup(s);
    bool after_sep = true;
    for (unsigned char *p = (unsigned char *)out; *p;) {
        size_t n = rune_len(p);
        if (after_sep && *p >= 'a' && *p <= 'z')
            *p = (unsigned char)(*p - 'a' + 'A');
        if (*p < 0x80)
            after_sep = !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                          (*p >= '0' && *p <= '9') || *p == '_');
        else
            after_sep = space_len(p) > 0;
        p += n;
    }
    return out;
}

/* strings.Replace(s, old, new, -1): an empty old matches before every character and at the
 * end. */
static char *replace_all(const char *s, const char *old, const char *new_s)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    size_t on = strlen(old);
    if (on == 0) {
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
            size_t n = rune_len(p);
            ed_buf_append_str(&b, new_s);
            ed_buf_append(&b, p, n);
            p += n;
        }
        ed_buf_append_str(&b, new_s);
    } else {
        for (const char *p = s, *hit; *p; p = hit + on) {
            hit = strstr(p, old);
            if (!hit) {
                ed_buf_append_str(&b, p);
                break;
            }
            ed_buf_append(&b, p, (size_t)(hit - p));
            ed_buf_append_str(&b, new_s);
            if (!hit[on])
                break;
        }
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

/* ---- the function table ---- */

typedef struct call {
    ed_tv_pool *pool;
    const char *name;
    ed_tv **args;
    size_t nargs;
    ed_tv **out;
    char *msg;
    size_t msglen;
} call;

static int fail(call *c, const char *what, const char *arg)
{
    snprintf(c->msg, c->msglen, "error calling %s: %s%s", c->name, what, arg ? arg : "");
    return -1;
}

static int ret_str_take(call *c, char *s)
{
    *c->out = ed_tv_new(c->pool, ED_TV_STR, s);
    free(s);
    return 0;
}

static const char *str_arg(call *c, size_t i)
{
    return c->args[i]->s;
}

/* reflect's Kind name, for sprig's "Cannot ... on type X". */
static const char *kind_name(const ed_tv *v)
{
    switch (v->kind) {
    case ED_TV_STR:
        return "string";
    case ED_TV_NUM:
        return "int";
    case ED_TV_BOOL:
        return "bool";
    case ED_TV_NIL:
        return "invalid";
    case ED_TV_LIST:
        return "slice";
    case ED_TV_MAP:
        return "map";
    case ED_TV_OBJ:
        return "struct";
    }
    return "invalid";
}

static ed_tv *new_list(call *c)
{
    return ed_tv_new(c->pool, ED_TV_LIST, NULL);
}

/* sprig's strslice: a list's non-nil items as strings, anything else as one string. */
static ed_tv *strslice(call *c, const ed_tv *v)
{
    ed_tv *l = new_list(c);
    if (v->kind != ED_TV_LIST) {
        if (v->kind != ED_TV_NIL) {
            char *s = strval_dup(v);
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, s));
            free(s);
        }
        return l;
    }
    for (size_t i = 0; i < v->len; i++) {
        if (v->items[i]->kind == ED_TV_NIL)
            continue;
        char *s = strval_dup(v->items[i]);
        ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, s));
        free(s);
    }
    return l;
}

static int need_list(call *c, const ed_tv *v, const char *verb)
{
    if (v->kind == ED_TV_LIST)
        return 0;
    char what[64];
    snprintf(what, sizeof(what), "Cannot %s on type ", verb);
    return fail(c, what, kind_name(v));
}

static int fn_upper(call *c)
{
    return ret_str_take(c, map_case(str_arg(c, 0), true));
}

static int fn_lower(call *c)
{
    return ret_str_take(c, map_case(str_arg(c, 0), false));
}

static int fn_title(call *c)
{
    return ret_str_take(c, title(str_arg(c, 0)));
}

static int fn_trim(call *c)
{
    return ret_str_take(c, trim_space(str_arg(c, 0)));
}

static int fn_nospace(call *c)
{
    return ret_str_take(c, no_space(str_arg(c, 0)));
}

static int fn_trim_prefix(call *c)
{
    const char *pre = str_arg(c, 0), *s = str_arg(c, 1);
    size_t n = strlen(pre);
    *c->out = ed_tv_new(c->pool, ED_TV_STR, strncmp(s, pre, n) == 0 ? s + n : s);
    return 0;
}

static int fn_trim_suffix(call *c)
{
    const char *suf = str_arg(c, 0), *s = str_arg(c, 1);
    size_t n = strlen(suf), len = strlen(s);
    bool has = len >= n && strcmp(s + len - n, suf) == 0;
    return ret_str_take(c, ed_xstrndup(s, has ? len - n : len));
}

static int fn_replace(call *c)
{
    return ret_str_take(c, replace_all(str_arg(c, 2), str_arg(c, 0), str_arg(c, 1)));
}

static int fn_trunc(call *c)
{
    int64_t n = c->args[0]->n;
    const char *s = str_arg(c, 1);
    int64_t len = (int64_t)strlen(s);
    if (n < 0 && len + n > 0)
        return ret_str_take(c, ed_xstrdup(s + len + n));
    if (n >= 0 && len > n)
        return ret_str_take(c, ed_xstrndup(s, (size_t)n));
    return ret_str_take(c, ed_xstrdup(s));
}

static int fn_abbrev(call *c)
{
    /* goutils.Abbreviate at offset 0: the first width-3 bytes and "..." */
    int64_t w = c->args[0]->n;
    const char *s = str_arg(c, 1);
    if (w < 4 || (int64_t)strlen(s) <= w)
        return ret_str_take(c, ed_xstrdup(s));
    return ret_str_take(c, ed_xasprintf("%.*s...", (int)(w - 3), s));
}

static int fn_contains(call *c)
{
    *c->out = ed_tv_bool(c->pool, strstr(str_arg(c, 1), str_arg(c, 0)) != NULL);
    return 0;
}

static int fn_has_prefix(call *c)
{
    *c->out = ed_tv_bool(c->pool, ed_str_has_prefix(str_arg(c, 1), str_arg(c, 0)));
    return 0;
}

static int fn_has_suffix(call *c)
{
    *c->out = ed_tv_bool(c->pool, ed_str_has_suffix(str_arg(c, 1), str_arg(c, 0)));
    return 0;
}

static int quote_each(call *c, bool single)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    size_t k = 0;
    for (size_t i = 0; i < c->nargs; i++) {
        if (c->args[i]->kind == ED_TV_NIL)
            continue; /* sprig skips nil */
        if (k++)
            ed_buf_append(&b, " ", 1);
        char *s = strval_dup(c->args[i]);
        if (single)
            ed_buf_printf(&b, "'%s'", s);
        else
            ed_buf_append_go_quoted(&b, s);
        free(s);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_quote(call *c)
{
    return quote_each(c, false);
}

static int fn_squote(call *c)
{
    return quote_each(c, true);
}

static int fn_repeat(call *c)
{
    int64_t n = c->args[0]->n;
    const char *s = str_arg(c, 1);
    if (n < 0)
        return fail(c, "strings: negative Repeat count", NULL);
    size_t len = strlen(s);
    if (len == 0 || n == 0)
        return ret_str_take(c, ed_xstrdup("")); /* at once, as Go (no loop of n empty appends) */
    if ((uint64_t)n > ((size_t)1 << 20) / len)
        return fail(c, "the result is larger than 1 MiB", NULL);
    ed_buf b = ED_BUF_INIT((size_t)1 << 21);
    for (int64_t i = 0; i < n; i++)
        ed_buf_append(&b, s, len);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_to_string(call *c)
{
    return ret_str_take(c, strval_dup(c->args[0]));
}

static int fn_sha256sum(call *c)
{
    char hex[65];
    ed_sha256_hex(str_arg(c, 0), strlen(str_arg(c, 0)), hex);
    return ret_str_take(c, ed_xstrdup(hex));
}

/* A printf directive's flags, width and precision. */
struct fmt_spec {
    bool minus, plus, space, sharp, zero;
    long width, prec; /* -1 when absent */
};

/* The number of characters (UTF-8 runes) of s's first n bytes. */
static long rune_count(const char *s, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* The first prec runes of s, as a byte length. */
static size_t rune_prefix(const char *s, long prec)
{
    size_t i = 0;
    for (long k = 0; s[i]; k++) {
        if (k == prec)
            break;
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Append s (n bytes) padded to the width as fmt pads: spaces, or zeros with '0' (Go pads strings
 * with zeros too), on the right with '-'. */
static void pad(ed_buf *b, const struct fmt_spec *f, const char *s, size_t n)
{
    long fill = f->width - rune_count(s, n);
    if (fill > (1L << 20))
        fill = 1L << 20; /* the message's cap: wider is only more padding than it can hold */
    if (!f->minus)
        for (long k = 0; k < fill; k++)
            ed_buf_append(b, f->zero ? "0" : " ", 1);
    ed_buf_append(b, s, n);
    if (f->minus)
        for (long k = 0; k < fill; k++)
            ed_buf_append(b, " ", 1);
}

/* An integer as fmt's fmtInteger writes it for the verbs d, x, X, o, O, b: precision or '0'
 * padding as a minimum of digits, then the base prefix ('#', or O's 0o), then the sign. */
static void fmt_integer(ed_buf *b, const struct fmt_spec *f, int64_t n, char verb)
{
    unsigned base = verb == 'd' ? 10 : verb == 'b' ? 2 : (verb == 'o' || verb == 'O') ? 8 : 16;
    const char *digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    bool neg = n < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    char rev[72];
    size_t nd = 0;
    if (!(f->prec == 0 && u == 0))
        do {
            rev[nd++] = digits[u % base];
            u /= base;
        } while (u && nd < sizeof(rev));
    long prec = f->prec;
    if (prec < 0 && f->zero && !f->minus && f->width > 0)
        prec = f->width - ((neg || f->plus || f->space) ? 1 : 0);
    ed_buf num = ED_BUF_INIT((size_t)1 << 20);
    if (neg)
        ed_buf_append(&num, "-", 1);
    else if (f->plus)
        ed_buf_append(&num, "+", 1);
    else if (f->space)
        ed_buf_append(&num, " ", 1);
    if (verb == 'O')
        ed_buf_append(&num, "0o", 2);
    else if (f->sharp && verb == 'b')
        ed_buf_append(&num, "0b", 2);
    else if (f->sharp && (verb == 'x' || verb == 'X'))
        ed_buf_append(&num, verb == 'x' ? "0x" : "0X", 2);
    else if (f->sharp && verb == 'o' && (nd == 0 || rev[nd - 1] != '0') &&
             (prec < 0 || (size_t)prec <= nd))
        ed_buf_append(&num, "0", 1);
    for (long k = (long)nd; k < prec && k < (1L << 20); k++)
        ed_buf_append(&num, "0", 1);
    while (nd)
        ed_buf_append(&num, &rev[--nd], 1);
    struct fmt_spec g = *f;
    g.zero = false; /* the zeros are in the digits already */
    pad(b, &g, num.data ? num.data : "", num.len);
    ed_buf_free(&num);
}

/* A string's bytes in hex (x, X), with fmt's ' ' (a space between bytes) and '#' (0x). */
static void fmt_hex_string(ed_buf *b, const struct fmt_spec *f, const char *s, char verb)
{
    size_t n = strlen(s);
    if (f->prec >= 0 && (size_t)f->prec < n)
        n = (size_t)f->prec;
    const char *digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    ed_buf h = ED_BUF_INIT((size_t)1 << 20);
    for (size_t i = 0; i < n; i++) {
        if (f->space && i > 0)
            ed_buf_append(&h, " ", 1);
        if (f->sharp && (f->space || i == 0))
            ed_buf_append(&h, verb == 'x' ? "0x" : "0X", 2);
        unsigned char c = (unsigned char)s[i];
        char pair[2] = {digits[c >> 4], digits[c & 15]};
        ed_buf_append(&h, pair, 2);
    }
    pad(b, f, h.data ? h.data : "", h.len);
    ed_buf_free(&h);
}

/* A rune as UTF-8 (Go's %c); invalid ones as U+FFFD. */
static void utf8_rune(ed_buf *b, int64_t r)
{
    unsigned char o[4];
    size_t n;
    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = 0xFFFD;
    if (r < 0x80) {
        o[0] = (unsigned char)r;
        n = 1;
    } else if (r < 0x800) {
        o[0] = (unsigned char)(0xC0 | (r >> 6));
        o[1] = (unsigned char)(0x80 | (r & 0x3F));
        n = 2;
    } else if (r < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (r >> 12));
        o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (r & 0x3F));
        n = 3;
    } else {
        o[0] = (unsigned char)(0xF0 | (r >> 18));
        o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (r & 0x3F));
        n = 4;
    }
    ed_buf_append(b, o, n);
}

/*
 * One operand of printf, as Go's fmt prints the template's values (strings, ints, bools, nil,
 * lists, maps, structs): %v %s %q %d %t %x %X %o %O %b %c %U %T with flags, width and precision;
 * Go's "%!v(MISSING)" when absent, and "%!verb(type=value)" (or "%!verb(<nil>)") for a verb
 * that does not fit the value.
 */
static int printf_operand(call *c, ed_buf *b, char verb, const struct fmt_spec *f, size_t i)
{
    if (i >= c->nargs) {
        ed_buf_printf(b, "%%!%c(MISSING)", verb);
        return 0;
    }
    const ed_tv *v = c->args[i];
    bool num = v->kind == ED_TV_NUM, str = v->kind == ED_TV_STR;
    if (verb == 'T') {
        const char *t = v->kind == ED_TV_NIL ? "<nil>" : ed_tv_type_name(v);
        pad(b, f, t, strlen(t));
        return 0;
    }
    if (v->kind == ED_TV_NIL) {
        if (verb == 'v')
            pad(b, f, "<nil>", 5);
        else
            ed_buf_printf(b, "%%!%c(<nil>)", verb);
        return 0;
    }
    if (num && verb == 'q') {
        /* A rune in single quotes, as strconv.QuoteRune writes it. */
        ed_buf q = ED_BUF_INIT(32);
        int64_t r = v->n;
        const char *esc = r == '\\'   ? "\\\\"
                          : r == '\'' ? "\\'"
                          : r == '\a' ? "\\a"
                          : r == '\b' ? "\\b"
                          : r == '\f' ? "\\f"
                          : r == '\n' ? "\\n"
                          : r == '\r' ? "\\r"
                          : r == '\t' ? "\\t"
                          : r == '\v' ? "\\v"
                                      : NULL;
        ed_buf_append(&q, "'", 1);
        if (esc)
            ed_buf_append_str(&q, esc);
        else if (r >= 0 && (r < 0x20 || r == 0x7f))
            ed_buf_printf(&q, "\\x%02x", (unsigned)r);
        else
            utf8_rune(&q, r);
        ed_buf_append(&q, "'", 1);
        pad(b, f, q.data, q.len);
        ed_buf_free(&q);
        return 0;
    }
    if (num && (verb == 'v' || strchr("dxXoOb", verb))) {
        char base = verb;
        if (base == 'v')
            base = 'd';
        fmt_integer(b, f, v->n, base);
        return 0;
    }
    if (num && verb == 'c') {
        ed_buf r = ED_BUF_INIT(8);
        utf8_rune(&r, v->n);
        pad(b, f, r.data, r.len);
        ed_buf_free(&r);
        return 0;
    }
    if (num && verb == 'U') {
        char u[32];
        int64_t r = v->n;
        int n = r < 0 ? snprintf(u, sizeof(u), "U+%" PRIX64, (uint64_t)r)
                      : snprintf(u, sizeof(u), "U+%04" PRIX64, (uint64_t)r);
        pad(b, f, u, (size_t)n);
        return 0;
    }
    if (str && (verb == 'x' || verb == 'X')) {
        fmt_hex_string(b, f, v->s, verb);
        return 0;
    }
    if ((str && (verb == 'v' || verb == 's' || verb == 'q')) ||
        (v->kind == ED_TV_BOOL && (verb == 'v' || verb == 't')) ||
        (!num && !str && v->kind != ED_TV_BOOL && verb == 'v')) {
        char *s = strval_dup(v);
        size_t n = strlen(s);
        if (f->prec >= 0 && str)
            n = rune_prefix(s, f->prec);
        if (verb == 'q') {
            s[n] = '\0';
            ed_buf q = ED_BUF_INIT((size_t)1 << 20);
            ed_buf_append_go_quoted(&q, s);
            pad(b, f, q.data, q.len);
            ed_buf_free(&q);
        } else {
            pad(b, f, s, n);
        }
        free(s);
        return 0;
    }
    if (!num && !str && v->kind != ED_TV_BOOL && verb == 's') {
        char *s = strval_dup(v); /* lists, maps, structs: their elements as %v */
        pad(b, f, s, strlen(s));
        free(s);
        return 0;
    }
    char *sv = strval_dup(v);
    ed_buf_printf(b, "%%!%c(%s=%s)", verb, ed_tv_type_name(v), sv);
    free(sv);
    return 0;
}

/* A run of digits at *p, advancing *p; -1 when there is none. As Go's fmt reads it, a number
 * already past a million before its last digit is none, and takes the rest of the format with
 * it (so "%9999999999s" prints "%!(NOVERB)"). */
static long fmt_number(const char **p)
{
    long n = -1;
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        if (n > 1000000) {
            *p += strlen(*p);
            return -1;
        }
        n = n < 0 ? **p - '0' : n * 10 + (**p - '0');
    }
    return n;
}

/* Go's printf: flags, width, precision, argument indexes ("%[2]s"), the verbs of
 * printf_operand and %%; missing operands print as Go prints them, extra ones (without
 * indexes) as "%!(EXTRA type=value, ...)". */
static int fn_printf(call *c)
{
    const char *f = str_arg(c, 0);
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    size_t arg = 1;
    bool reordered = false;
    int rc = 0;
    for (const char *p = f; *p && !rc;) {
        if (*p != '%') {
            ed_buf_append(&b, p++, 1);
            continue;
        }
        p++;
        struct fmt_spec spec = {.width = -1, .prec = -1};
        for (;; p++) {
            if (*p == '-')
                spec.minus = true;
            else if (*p == '+')
                spec.plus = true;
            else if (*p == ' ')
                spec.space = true;
            else if (*p == '#')
                spec.sharp = true;
            else if (*p == '0')
                spec.zero = true;
            else
                break;
        }
        if (spec.minus)
            spec.zero = false; /* Go pads with zeros only on the left */
        if (*p == '[') {
            const char *q = p + 1;
            long idx = fmt_number(&q);
            if (*q == ']' && idx >= 1) {
                arg = (size_t)idx;
                reordered = true;
                p = q + 1;
            }
        }
        spec.width = fmt_number(&p);
        if (*p == '.') {
            p++;
            spec.prec = fmt_number(&p);
            if (spec.prec < 0)
                spec.prec = 0;
        }
        if (*p == '%') {
            ed_buf_append(&b, "%", 1);
            p++;
        } else if (!*p) {
            ed_buf_append_str(&b, "%!(NOVERB)");
        } else if ((unsigned char)*p >= 0x80) {
            /* A verb is one rune; no verb is outside ASCII, so this one fits no value. */
            size_t n = 1;
            while (n < 4 && ((unsigned char)p[n] & 0xC0) == 0x80)
                n++;
            if (arg < c->nargs && c->args[arg]->kind == ED_TV_NIL) {
                ed_buf_printf(&b, "%%!%.*s(<nil>)", (int)n, p);
            } else if (arg < c->nargs) {
                char *sv = strval_dup(c->args[arg]);
                ed_buf_printf(&b, "%%!%.*s(%s=%s)", (int)n, p, ed_tv_type_name(c->args[arg]), sv);
                free(sv);
            } else {
                ed_buf_printf(&b, "%%!%.*s(MISSING)", (int)n, p);
            }
            p += n;
            arg++;
        } else {
            rc = printf_operand(c, &b, *p++, &spec, arg++);
        }
    }
    if (!rc && !reordered && arg < c->nargs) {
        ed_buf_append_str(&b, "%!(EXTRA ");
        for (size_t i = arg; i < c->nargs; i++) {
            char *sv = strval_dup(c->args[i]);
            ed_buf_printf(&b, "%s%s=%s", i > arg ? ", " : "", ed_tv_type_name(c->args[i]), sv);
            free(sv);
        }
        ed_buf_append_str(&b, ")");
    }
    if (rc) {
        ed_buf_free(&b);
        return rc;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_list(call *c)
{
    ed_tv *l = new_list(c);
    for (size_t i = 0; i < c->nargs; i++)
        ed_tv_add(l, NULL, c->args[i]);
    *c->out = l;
    return 0;
}

static int fn_join(call *c)
{
    ed_tv *l = strslice(c, c->args[1]);
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            ed_buf_append_str(&b, str_arg(c, 0));
        ed_buf_append_str(&b, l->items[i]->s);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_split_list(call *c)
{
    /* strings.Split(orig, sep): an empty sep splits into characters. */
    const char *sep = str_arg(c, 0), *s = str_arg(c, 1);
    size_t n = strlen(sep);
    ed_tv *l = new_list(c);
    if (n == 0) {
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
            size_t k = rune_len(p);
            char *part = ed_xstrndup((const char *)p, k);
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, part));
            free(part);
            p += k;
        }
    } else {
        for (const char *p = s;;) {
            const char *hit = strstr(p, sep);
            char *part = ed_xstrndup(p, hit ? (size_t)(hit - p) : strlen(p));
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, part));
            free(part);
            if (!hit)
                break;
            p = hit + n;
        }
    }
    *c->out = l;
    return 0;
}

static int fn_first(call *c)
{
    if (need_list(c, c->args[0], "find first"))
        return -1;
    const ed_tv *l = c->args[0];
    *c->out = l->len ? l->items[0] : ed_tv_new(c->pool, ED_TV_NIL, NULL);
    return 0;
}

static int fn_last(call *c)
{
    if (need_list(c, c->args[0], "find last"))
        return -1;
    const ed_tv *l = c->args[0];
    *c->out = l->len ? l->items[l->len - 1] : ed_tv_new(c->pool, ED_TV_NIL, NULL);
    return 0;
}

static bool in_list(const ed_tv *const *items, size_t n, const ed_tv *v)
{
    for (size_t i = 0; i < n; i++)
        if (tv_equal(items[i], v))
            return true;
    return false;
}

static int fn_uniq(call *c)
{
    if (need_list(c, c->args[0], "find uniq"))
        return -1;
    ed_tv *l = new_list(c);
    for (size_t i = 0; i < c->args[0]->len; i++)
        if (!in_list((const ed_tv *const *)l->items, l->len, c->args[0]->items[i]))
            ed_tv_add(l, NULL, c->args[0]->items[i]);
    *c->out = l;
    return 0;
}

static int cmp_str_items(const void *a, const void *b)
{
    return strcmp((*(ed_tv *const *)a)->s, (*(ed_tv *const *)b)->s);
}

static int fn_sort_alpha(call *c)
{
    ed_tv *l;
    if (c->args[0]->kind == ED_TV_LIST) {
        l = strslice(c, c->args[0]);
        if (l->len)
            qsort(l->items, l->len, sizeof(ed_tv *), cmp_str_items);
    } else {
        l = new_list(c);
        char *s = strval_dup(c->args[0]);
        ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, s));
        free(s);
    }
    *c->out = l;
    return 0;
}

static int fn_has(call *c)
{
    if (need_list(c, c->args[1], "find has"))
        return -1;
    *c->out = ed_tv_bool(
        c->pool, in_list((const ed_tv *const *)c->args[1]->items, c->args[1]->len, c->args[0]));
    return 0;
}

static int fn_without(call *c)
{
    if (need_list(c, c->args[0], "find without"))
        return -1;
    ed_tv *l = new_list(c);
    for (size_t i = 0; i < c->args[0]->len; i++)
        if (!in_list((const ed_tv *const *)c->args + 1, c->nargs - 1, c->args[0]->items[i]))
            ed_tv_add(l, NULL, c->args[0]->items[i]);
    *c->out = l;
    return 0;
}

static int fn_append(call *c)
{
    if (need_list(c, c->args[0], "push"))
        return -1;
    ed_tv *l = new_list(c);
    for (size_t i = 0; i < c->args[0]->len; i++)
        ed_tv_add(l, NULL, c->args[0]->items[i]);
    ed_tv_add(l, NULL, c->args[1]);
    *c->out = l;
    return 0;
}

static int fn_default(call *c)
{
    *c->out = c->nargs < 2 || !ed_tv_truthy(c->args[1]) ? c->args[0] : c->args[1];
    return 0;
}

static int fn_empty(call *c)
{
    *c->out = ed_tv_bool(c->pool, !ed_tv_truthy(c->args[0]));
    return 0;
}

static int fn_coalesce(call *c)
{
    for (size_t i = 0; i < c->nargs; i++)
        if (ed_tv_truthy(c->args[i])) {
            *c->out = c->args[i];
            return 0;
        }
    *c->out = ed_tv_new(c->pool, ED_TV_NIL, NULL);
    return 0;
}

static int fn_ternary(call *c)
{
    *c->out = c->args[2]->n ? c->args[0] : c->args[1];
    return 0;
}

static int fn_to_json(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    bool ok = json_write(&b, c->args[0]);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    if (!ok)
        out[0] = '\0'; /* sprig ignores the marshalling error */
    return ret_str_take(c, out);
}

/* ---- Go's builtins ---- */

static int fn_len(call *c)
{
    const ed_tv *v = c->args[0];
    if (v->kind == ED_TV_STR)
        *c->out = ed_tv_num(c->pool, (int64_t)strlen(v->s));
    else if (v->kind == ED_TV_LIST || v->kind == ED_TV_MAP)
        *c->out = ed_tv_num(c->pool, (int64_t)v->len);
    else if (v->kind == ED_TV_NIL)
        return fail(c, "reflect: call of reflect.Value.Type on zero Value", NULL);
    else
        return fail(c, "len of type ", ed_tv_type_name(v));
    return 0;
}

static int fn_not(call *c)
{
    *c->out = ed_tv_bool(c->pool, !ed_tv_truthy(c->args[0]));
    return 0;
}

static int fn_and(call *c)
{
    size_t i = 0;
    while (i + 1 < c->nargs && ed_tv_truthy(c->args[i]))
        i++;
    *c->out = c->args[i];
    return 0;
}

static int fn_or(call *c)
{
    size_t i = 0;
    while (i + 1 < c->nargs && !ed_tv_truthy(c->args[i]))
        i++;
    *c->out = c->args[i];
    return 0;
}

static bool basic_kind(const ed_tv *v)
{
    return v->kind == ED_TV_STR || v->kind == ED_TV_NUM || v->kind == ED_TV_BOOL;
}

/* eq: arg1 equal to any of the others, as Go's eq compares them: basic values of one kind;
 * values of two kinds are incompatible unless one is nil (then unequal); two other values
 * (lists, maps, structs) only when of one type and comparable (structs). */
static int eq_any(call *c, bool *eq)
{
    const ed_tv *a = c->args[0];
    *eq = false;
    if (c->nargs < 2) {
        snprintf(c->msg, c->msglen, "error calling %s: missing argument for comparison", c->name);
        return -1;
    }
    for (size_t i = 1; i < c->nargs && !*eq; i++) {
        const ed_tv *b = c->args[i];
        bool ka = basic_kind(a), kb = basic_kind(b);
        if ((ka || kb) && (a->kind != b->kind)) {
            if (a->kind != ED_TV_NIL && b->kind != ED_TV_NIL) {
                snprintf(c->msg, c->msglen,
                         "error calling %s: incompatible types for comparison: %s and %s", c->name,
                         ed_tv_type_name(a), ed_tv_type_name(b));
                return -1;
            }
            continue;
        }
        if (ka || a->kind == ED_TV_NIL || b->kind == ED_TV_NIL) {
            *eq = tv_equal(a, b);
            continue;
        }
        ed_buf pa = ED_BUF_INIT(4096), pb = ED_BUF_INIT(4096);
        ed_tv_print(&pa, a, "<nil>");
        ed_tv_print(&pb, b, "<nil>");
        bool same_type = strcmp(ed_tv_type_name(a), ed_tv_type_name(b)) == 0;
        if (!same_type || a->kind != ED_TV_OBJ) {
            if (!same_type)
                snprintf(c->msg, c->msglen,
                         "error calling %s: non-comparable types %.*s: %s, %s: %.*s", c->name,
                         (int)pa.len, pa.data ? pa.data : "", ed_tv_type_name(a),
                         ed_tv_type_name(b), (int)pb.len, pb.data ? pb.data : "");
            else
                snprintf(c->msg, c->msglen, "error calling %s: non-comparable type %.*s: %s",
                         c->name, (int)pb.len, pb.data ? pb.data : "", ed_tv_type_name(b));
            ed_buf_free(&pa);
            ed_buf_free(&pb);
            return -1;
        }
        ed_buf_free(&pa);
        ed_buf_free(&pb);
        *eq = tv_equal(a, b);
    }
    return 0;
}

static int fn_eq(call *c)
{
    bool eq;
    if (eq_any(c, &eq))
        return -1;
    *c->out = ed_tv_bool(c->pool, eq);
    return 0;
}

static int fn_ne(call *c)
{
    bool eq;
    if (eq_any(c, &eq))
        return -1;
    *c->out = ed_tv_bool(c->pool, !eq);
    return 0;
}

/* lt (le, gt, ge are made of it and eq): two basic values of one kind, as Go orders them;
 * booleans and other values are not ordered. *lt gets arg1 < arg2, *eq arg1 == arg2. */
static int order(call *c, bool *lt, bool *eq)
{
    const ed_tv *a = c->args[0], *b = c->args[1];
    if (!basic_kind(a) || !basic_kind(b) || (a->kind == b->kind && a->kind == ED_TV_BOOL)) {
        snprintf(c->msg, c->msglen, "error calling %s: invalid type for comparison", c->name);
        return -1;
    }
    if (a->kind != b->kind) {
        snprintf(c->msg, c->msglen,
                 "error calling %s: incompatible types for comparison: %s and %s", c->name,
                 ed_tv_type_name(a), ed_tv_type_name(b));
        return -1;
    }
    int cmp = a->kind == ED_TV_STR ? strcmp(a->s, b->s) : (a->n > b->n) - (a->n < b->n);
    *lt = cmp < 0;
    *eq = cmp == 0;
    return 0;
}

static int fn_order(call *c)
{
    bool lt, eq;
    if (order(c, &lt, &eq))
        return -1;
    bool r = strcmp(c->name, "lt") == 0   ? lt
             : strcmp(c->name, "le") == 0 ? lt || eq
             : strcmp(c->name, "gt") == 0 ? !lt && !eq
                                          : !lt;
    *c->out = ed_tv_bool(c->pool, r);
    return 0;
}

/* print and println: fmt's Sprint (a blank between two operands neither of which is a string)
 * and Sprintln (a blank between every two, a line feed after). */
static int fn_print(call *c)
{
    bool ln = strcmp(c->name, "println") == 0;
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < c->nargs; i++) {
        if (i && (ln || (c->args[i - 1]->kind != ED_TV_STR && c->args[i]->kind != ED_TV_STR)))
            ed_buf_append(&b, " ", 1);
        ed_tv_print(&b, c->args[i], "<nil>");
    }
    if (ln)
        ed_buf_append(&b, "\n", 1);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* index: Go's, item[i][j]...: lists by an int in range, strings too (a byte, as a number), maps
 * of strings by a string (a missing key gives its type's zero value: "" for .Values). */
static int fn_index(call *c)
{
    const ed_tv *item = c->args[0];
    if (item->kind == ED_TV_NIL)
        return fail(c, "index of untyped nil", NULL);
    for (size_t i = 1; i < c->nargs; i++) {
        const ed_tv *x = c->args[i];
        char num[32];
        if (item->kind == ED_TV_LIST || item->kind == ED_TV_STR) {
            if (x->kind == ED_TV_NIL)
                return fail(c, "cannot index slice/array with nil", NULL);
            if (x->kind != ED_TV_NUM)
                return fail(c, "cannot index slice/array with type ", ed_tv_type_name(x));
            size_t len = item->kind == ED_TV_LIST ? item->len : strlen(item->s);
            if (x->n < 0 || (uint64_t)x->n > len) {
                snprintf(num, sizeof(num), "%" PRId64, x->n);
                return fail(c, "index out of range: ", num);
            }
            if ((uint64_t)x->n == len) /* (Go's check lets it by, reflect's Index panics) */
                return fail(c,
                            item->kind == ED_TV_LIST ? "reflect: slice index out of range"
                                                     : "reflect: string index out of range",
                            NULL);
            item = item->kind == ED_TV_LIST
                       ? item->items[x->n]
                       : ed_tv_num(c->pool, (int64_t)(unsigned char)item->s[x->n]);
        } else if (item->kind == ED_TV_MAP) {
            if (item->type == ED_TV_STRUCT_OBJECT && x->kind == ED_TV_OBJ &&
                x->type == ED_TV_STRUCT_OBJECT) { /* an update.ObjectChanges by its key */
                const ed_tv *v = NULL;
                for (size_t k = 0; k < item->len && !v; k++)
                    if (tv_equal(item->keys[k], x))
                        v = item->items[k];
                if (!v) {
                    ed_tv *none = new_list(c);
                    none->type = ED_TV_STRUCT_CHANGE;
                    v = none;
                }
                item = v;
                continue;
            }
            const char *key_type =
                item->type == ED_TV_STRUCT_OBJECT ? "update.ObjectIdentifier" : "string";
            if (x->kind != ED_TV_STR || item->type == ED_TV_STRUCT_OBJECT) {
                if (x->kind == ED_TV_NIL)
                    snprintf(c->msg, c->msglen,
                             "error calling index: value is nil; should be of type %s", key_type);
                else
                    snprintf(c->msg, c->msglen,
                             "error calling index: value has type %s; should be %s",
                             ed_tv_type_name(x), key_type);
                return -1;
            }
            const ed_tv *v = ed_tv_field(item, x->s, strlen(x->s));
            if (!v && item->type == ED_TV_STRUCT_RESULT) {
                ed_tv *empty = ed_tv_new(c->pool, ED_TV_MAP, NULL);
                empty->type = ED_TV_STRUCT_OBJECT;
                v = empty;
            }
            item = v ? v : ed_tv_new(c->pool, ED_TV_STR, "");
        } else {
            return fail(c, "can't index item of type ", ed_tv_type_name(item));
        }
    }
    *c->out = (ed_tv *)item;
    return 0;
}

/*
 * Each function: its arity (max -1: variadic) and the types of its parameters, one letter each
 * ('s' string, 'i' int, 'b' bool, 'a' anything; parameters past the string are 'a').
 */
static const struct fn {
    const char *name;
    int min, max;
    const char *types;
    int (*run)(call *);
} fns[] = {
    {"abbrev", 2, 2, "is", fn_abbrev},
    {"and", 1, -1, "", fn_and},
    {"append", 2, 2, "aa", fn_append},
    {"coalesce", 0, -1, "", fn_coalesce},
    {"contains", 2, 2, "ss", fn_contains},
    {"default", 1, -1, "a", fn_default},
    {"empty", 1, 1, "a", fn_empty},
    {"eq", 1, -1, "aa", fn_eq},
    {"ge", 2, 2, "aa", fn_order},
    {"gt", 2, 2, "aa", fn_order},
    {"first", 1, 1, "a", fn_first},
    {"has", 2, 2, "aa", fn_has},
    {"hasPrefix", 2, 2, "ss", fn_has_prefix},
    {"hasSuffix", 2, 2, "ss", fn_has_suffix},
    {"join", 2, 2, "sa", fn_join},
    {"last", 1, 1, "a", fn_last},
    {"index", 1, -1, "a", fn_index},
    {"le", 2, 2, "aa", fn_order},
    {"len", 1, 1, "a", fn_len},
    {"list", 0, -1, "", fn_list},
    {"lower", 1, 1, "s", fn_lower},
    {"lt", 2, 2, "aa", fn_order},
    {"ne", 2, 2, "aa", fn_ne},
    {"nospace", 1, 1, "s", fn_nospace},
    {"not", 1, 1, "a", fn_not},
    {"or", 1, -1, "", fn_or},
    {"print", 0, -1, "", fn_print},
    {"printf", 1, -1, "s", fn_printf},
    {"println", 0, -1, "", fn_print},
    {"push", 2, 2, "aa", fn_append},
    {"quote", 0, -1, "", fn_quote},
    {"repeat", 2, 2, "is", fn_repeat},
    {"replace", 3, 3, "sss", fn_replace},
    {"sha256sum", 1, 1, "s", fn_sha256sum},
    {"sortAlpha", 1, 1, "a", fn_sort_alpha},
    {"splitList", 2, 2, "ss", fn_split_list},
    {"squote", 0, -1, "", fn_squote},
    {"ternary", 3, 3, "aab", fn_ternary},
    {"title", 1, 1, "s", fn_title},
    {"toJson", 1, 1, "a", fn_to_json},
    {"toString", 1, 1, "a", fn_to_string},
    {"trim", 1, 1, "s", fn_trim},
    {"trimPrefix", 2, 2, "ss", fn_trim_prefix},
    {"trimSuffix", 2, 2, "ss", fn_trim_suffix},
    {"trunc", 2, 2, "is", fn_trunc},
    {"tuple", 0, -1, "", fn_list},
    {"uniq", 1, 1, "a", fn_uniq},
    {"upper", 1, 1, "s", fn_upper},
    {"without", 1, -1, "a", fn_without},
};

static const struct fn *find_fn(const char *name)
{
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (strcmp(fns[i].name, name) == 0)
            return &fns[i];
    return NULL;
}

bool ed_tv_function_known(const char *name)
{
    return find_fn(name) != NULL;
}

const char *ed_tv_type_name(const ed_tv *v)
{
    switch (v->kind) {
    case ED_TV_LIST:
        return v->type == ED_TV_STRUCT_CHANGE ? "[]update.Change" : "[]interface {}";
    case ED_TV_MAP:
        return v->type == ED_TV_STRUCT_OBJECT   ? "update.ObjectChanges"
               : v->type == ED_TV_STRUCT_RESULT ? "map[string]update.ObjectChanges"
                                                : "map[string]string";
    case ED_TV_OBJ:
        return v->type == ED_TV_STRUCT_CHANGE       ? "update.Change"
               : v->type == ED_TV_STRUCT_OBJECT     ? "update.ObjectIdentifier"
               : v->type == ED_TV_STRUCT_AUTOMATION ? "types.NamespacedName"
               : v->type == ED_TV_STRUCT_RESULT     ? "update.Result"
                                                    : "source.TemplateData";
    default:
        return kind_name(v);
    }
}

int ed_tv_call(ed_tv_pool *p, const char *name, ed_tv **args, size_t nargs, ed_tv **out, char *msg,
               size_t msglen, int *at)
{
    const struct fn *f = find_fn(name);
    *at = ED_TV_AT_FUNCTION;
    if (!f)
        return 1;
    if (nargs < (size_t)f->min || (f->max >= 0 && nargs > (size_t)f->max)) {
        if (f->max < 0)
            snprintf(msg, msglen, "wrong number of args for %s: want at least %d got %zu", name,
                     f->min, nargs);
        else
            snprintf(msg, msglen, "wrong number of args for %s: want %d got %zu", name, f->max,
                     nargs);
        return -1;
    }
    for (size_t i = 0; i < nargs && f->types[i]; i++) {
        char t = f->types[i];
        const ed_tv *v = args[i];
        if (t == 'a')
            continue;
        const char *want = t == 's' ? "string" : t == 'i' ? "int" : "bool";
        ed_tv_kind k = t == 's' ? ED_TV_STR : t == 'i' ? ED_TV_NUM : ED_TV_BOOL;
        *at = (int)i;
        if (v->kind == ED_TV_NIL) {
            snprintf(msg, msglen, "invalid value; expected %s", want);
            return -1;
        }
        if (v->kind != k) {
            snprintf(msg, msglen, "wrong type for value; expected %s; got %s", want,
                     ed_tv_type_name(v));
            return -1;
        }
    }
    call c = {p, name, args, nargs, out, msg, msglen};
    *at = ED_TV_AT_COMMAND;
    return f->run(&c) == 0 ? 0 : -1;
}

/* Every function of Flux's template that eddy may not implement: Go's builtins and sprig's
 * hermetic map (sprig v3 functions.go without its non-hermetic names), so that a refusal says
 * whether Flux would have run the template. */
static const char *const flux_names[] = {
    "abbrevboth",
    "add",
    "add1",
    "add1f",
    "addf",
    "adler32sum",
    "ago",
    "all",
    "any",
    "atoi",
    "b32dec",
    "b32enc",
    "b64dec",
    "b64enc",
    "base",
    "bcrypt",
    "biggest",
    "buildCustomCert",
    "call",
    "camelcase",
    "cat",
    "ceil",
    "chunk",
    "clean",
    "compact",
    "concat",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "derivePassword",
    "dict",
    "dig",
    "dir",
    "div",
    "divf",
    "duration",
    "durationRound",
    "encryptAES",
    "ext",
    "fail",
    "float64",
    "floor",
    "fromJson",
    "ge",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "gt",
    "hasKey",
    "hello",
    "html",
    "htpasswd",
    "index",
    "indent",
    "initial",
    "initials",
    "int",
    "int64",
    "isAbs",
    "js",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "le",
    "lt",
    "max",
    "maxf",
    "merge",
    "mergeOverwrite",
    "min",
    "minf",
    "mod",
    "mul",
    "mulf",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustUniq",
    "mustWithout",
    "must_date_modify",
    "nindent",
    "omit",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "print",
    "println",
    "randInt",
    "randSeededNumeric",
    "regexFind",
    "regexFindAll",
    "regexMatch",
    "regexQuoteMeta",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "rest",
    "reverse",
    "round",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "sha1sum",
    "shuffle",
    "slice",
    "snakecase",
    "split",
    "splitn",
    "sub",
    "subf",
    "substr",
    "swapcase",
    "toDate",
    "toDecimal",
    "toPrettyJson",
    "toRawJson",
    "toStrings",
    "trimAll",
    "trimall",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "untitle",
    "urlJoin",
    "urlParse",
    "urlquery",
    "values",
    "wrap",
    "wrapWith",
};

bool ed_tv_sprig_name(const char *name)
{
    if (find_fn(name))
        return true;
    for (size_t i = 0; i < sizeof(flux_names) / sizeof(flux_names[0]); i++)
        if (strcmp(flux_names[i], name) == 0)
            return true;
    return false;
}
