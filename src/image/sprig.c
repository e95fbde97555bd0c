/*
 * The functions of ImageUpdateAutomation's commit message templates. Flux renders the template
 * with Go's text/template and sprig's hermetic function map (sprig.HermeticTxtFuncMap: every
 * sprig function but the clock, random, environment and network ones, so `now` and `date` are
 * not defined there either). eddy implements Go's builtins len, index, not, and, or, eq, ne,
 * lt, le, gt, ge, print, println and printf (their errors in Go's words), and the sprig
 * functions people put in commit messages, with sprig's argument order (the string last, so
 * that `.X | trimPrefix "v"` reads well) and results:
 *
 *   strings   upper lower title untitle swapcase trim trimAll trimPrefix trimSuffix replace
 *             trunc abbrev abbrevboth substr initials wrap wrapWith indent nindent cat plural
 *             contains hasPrefix hasSuffix quote squote repeat nospace toString split splitn
 *             toStrings snakecase kebabcase camelcase
 *   encodings sha1sum sha256sum sha512sum adler32sum b64enc b64dec b32enc b32dec
 *             encryptAES decryptAES (OpenSSL's AES-256-CBC), derivePassword (its scrypt)
 *   paths     base dir clean ext isAbs (and the os* twins: the same on Linux)
 *   regexes   regexMatch regexFind regexFindAll regexReplaceAll regexReplaceAllLiteral
 *             regexSplit regexQuoteMeta and their must* forms (PCRE2 reading RE2's syntax)
 *   lists     list join splitList first last rest initial reverse compact uniq sortAlpha has
 *             without append prepend concat slice chunk and their must* forms
 *   dicts     dict get set unset hasKey pluck keys values pick omit dig merge mergeOverwrite
 *             mustMerge mustMergeOverwrite (keys and values in
 *             sorted order: one of the orders Go's random map iteration gives)
 *   math      add add1 sub mul div mod max biggest min int int64 atoi toDecimal until untilStep
 *             seq, on integers with cast's conversions (strings read as Go's integer literals);
 *             float64 floor ceil round maxf minf, and addf add1f subf mulf divf in decimal
 *             (shopspring/decimal's, with OpenSSL's BIGNUM);
 *             duration durationRound; randInt and shuffle (random, as in Flux: no two runs
 *             agree)
 *   dates     toDate mustToDate unixEpoch mustDateModify must_date_modify ago (gotime.c: Go's
 *             layouts, Local being UTC as in Flux's image; a time.Time's methods without
 *             arguments are its fields, template.c calls its Format)
 *   types     typeOf typeIs typeIsLike kindOf kindIs deepEqual
 *   urls      urlParse urlJoin (url.c: Go's net/url)
 *   versions  semverCompare (base/semver.c's ranges, those of ImagePolicy), semver (a
 *             *semver.Version whose methods without arguments are its fields, IncPatch
 *             IncMinor IncMajor giving a semver.Version; template.c calls its comparisons,
 *             Compare Equal LessThan... with another version, and SetPrerelease SetMetadata)
 *   defaults  default empty coalesce all any ternary fail deepCopy hello, and JSON: toJson
 *             toRawJson toPrettyJson fromJson and their must* forms
 *
 * Case mapping (upper, lower, title, untitle, swapcase) is Unicode's, from the C library's
 * C.UTF-8 tables (Go's unicode package); whitespace (trim, untitle) is Unicode's too. initials
 * and nospace read a byte at a time as sprig's goutils does. Any other name is reported to the
 * caller, which refuses the template naming the function.
 *
 * The values (ed_tv) live here too: what Flux's template data and these functions produce.
 */
#include "image_int.h"

#include "../doc/doc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pcre2.h>
#include <pthread.h>
#include <wctype.h>
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

/* ---- floats, as Go's strconv writes them ---- */

/*
 * The shortest decimal digits that read back as f (finite, not 0; its sign ignored), as Go's
 * strconv finds them: into digits (no trailing zeros), with the decimal point dp places after
 * the first digit (f = 0.DIGITS x 10^dp). Returns the number of digits.
 */
static size_t float_digits(double f, char digits[32], int *dp)
{
    char e[48];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, fabs(f));
        if (strtod(e, NULL) == fabs(f))
            break;
    }
    size_t n = 0; /* e is D.DDDDe[+-]XX */
    const char *q = e;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[n++] = *q;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *dp = (int)strtol(q + 1, NULL, 10) + 1;
    return n;
}

/* The digits in %e form (d.ddde+XX, two exponent digits at least). */
static void float_e_form(ed_buf *b, const char *d, size_t n, int dp, char e)
{
    ed_buf_append(b, d, 1);
    if (n > 1) {
        ed_buf_append(b, ".", 1);
        ed_buf_append(b, d + 1, n - 1);
    }
    int x = dp - 1;
    ed_buf_printf(b, "%c%c%02d", e, x < 0 ? '-' : '+', x < 0 ? -x : x);
}

/* The digits in %f form (no exponent, no trailing zeros after the point). */
static void float_f_form(ed_buf *b, const char *d, size_t n, int dp)
{
    if (dp <= 0) {
        ed_buf_append(b, "0.", 2);
        for (int i = dp; i < 0; i++)
            ed_buf_append(b, "0", 1);
        ed_buf_append(b, d, n);
    } else if ((size_t)dp >= n) {
        ed_buf_append(b, d, n);
        for (size_t i = n; i < (size_t)dp; i++)
            ed_buf_append(b, "0", 1);
    } else {
        ed_buf_append(b, d, (size_t)dp);
        ed_buf_append(b, ".", 1);
        ed_buf_append(b, d + dp, n - (size_t)dp);
    }
}

/*
 * f without its sign in the shortest digits: form 'g' as strconv's 'g' with precision -1 (fmt's
 * %v: the %e form when the exponent is below -4 or 6 and above; 'G' with E), 'j' as
 * encoding/json writes a float64 (the %e form below 1e-6 and from 1e21, "e-7" not "e-07").
 */
static void float_shortest(ed_buf *b, double f, char form)
{
    if (isnan(f) || isinf(f)) {
        ed_buf_append_str(b, isnan(f) ? "NaN" : "Inf");
        return;
    }
    if (f == 0) {
        ed_buf_append(b, "0", 1);
        return;
    }
    char d[32];
    int dp;
    size_t n = float_digits(f, d, &dp);
    int x = dp - 1;
    bool e_form = form == 'j' ? fabs(f) < 1e-6 || fabs(f) >= 1e21 : x < -4 || x >= 6;
    if (!e_form) {
        float_f_form(b, d, n, dp);
        return;
    }
    ed_buf e = ED_BUF_INIT(64);
    float_e_form(&e, d, n, dp, form == 'G' ? 'E' : 'e');
    if (form == 'j' && e.len >= 4 && memcmp(e.data + e.len - 4, "e-0", 3) == 0) {
        e.data[e.len - 2] = e.data[e.len - 1];
        e.len--;
    }
    ed_buf_append(b, e.data, e.len);
    ed_buf_free(&e);
}

ed_tv *ed_tv_float(ed_tv_pool *p, double f)
{
    ed_buf b = ED_BUF_INIT(64);
    if (signbit(f) && !isnan(f))
        ed_buf_append(&b, "-", 1);
    else if (isinf(f))
        ed_buf_append(&b, "+", 1);
    float_shortest(&b, f, 'g');
    char *s = ed_buf_take(&b);
    ed_buf_free(&b);
    ed_tv *v = ed_tv_new(p, ED_TV_FLOAT, s);
    free(s);
    v->f = f;
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
    case ED_TV_FLOAT:
        return v->f != 0;
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

/* fmt's %v of v, or (s_verb) its %s: inside a list, map or struct, %s prints an int or bool as
 * "%!s(int=1)", as Go's fmt applies the verb to each element. */
static void print_value(ed_buf *b, const ed_tv *v, const char *nil_text, bool s_verb)
{
    if (!v || v->kind == ED_TV_NIL) {
        ed_buf_append_str(b, nil_text);
        return;
    }
    switch (v->kind) {
    case ED_TV_NUM:
    case ED_TV_FLOAT:
    case ED_TV_BOOL:
        if (s_verb) {
            ed_buf_printf(b, "%%!s(%s=%s)", v->kind == ED_TV_BOOL ? "bool" : ed_tv_type_name(v),
                          v->s);
            return;
        }
        ed_buf_append_str(b, v->s);
        return;
    case ED_TV_STR:
        ed_buf_append_str(b, v->s);
        return;
    case ED_TV_LIST:
    case ED_TV_MAP:
        ed_buf_append_str(b, v->kind == ED_TV_LIST ? "[" : "map[");
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                ed_buf_append(b, " ", 1);
            if (v->kind == ED_TV_MAP) {
                print_value(b, v->keys[i], "<nil>", s_verb);
                ed_buf_append(b, ":", 1);
            }
            print_value(b, v->items[i], "<nil>", s_verb);
        }
        ed_buf_append(b, "]", 1);
        return;
    case ED_TV_OBJ:
        break;
    case ED_TV_NIL:
        return; /* handled above */
    }
    switch (v->type) {
    case ED_TV_STRUCT_SEMVER: /* its String */
    case ED_TV_STRUCT_SEMVER_VALUE:
    case ED_TV_STRUCT_TIME:
        ed_buf_append_str(b, field_str(v, "String"));
        return;
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
    case ED_TV_STRUCT_STRINGS: /* (lists, maps and numbers only) */
    case ED_TV_STRUCT_INTS:
    case ED_TV_STRUCT_LISTS:
    case ED_TV_STRUCT_DICT:
    case ED_TV_STRUCT_INT64:
    case ED_TV_STRUCT_UINT64:
        /* Go's %v of a struct: its fields' values in braces. Result's Changes and Objects are
         * methods in Go, not fields: only FileChanges prints. */
        ed_buf_append(b, "{", 1);
        for (size_t i = 0, k = 0; i < v->len; i++) {
            if (v->type == ED_TV_STRUCT_RESULT && strcmp(v->keys[i]->s, "FileChanges") != 0)
                continue;
            if (k++)
                ed_buf_append(b, " ", 1);
            print_value(b, v->items[i], "<nil>", s_verb);
        }
        ed_buf_append(b, "}", 1);
        return;
    }
}

void ed_tv_print(ed_buf *b, const ed_tv *v, const char *nil_text)
{
    print_value(b, v, nil_text, false);
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
    case ED_TV_FLOAT:
        return a->f == b->f;
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
    case ED_TV_FLOAT:
        if (isnan(v->f) || isinf(v->f))
            return false; /* json: unsupported value */
        if (signbit(v->f))
            ed_buf_append(b, "-", 1);
        float_shortest(b, v->f, 'j');
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
    if (v->type == ED_TV_STRUCT_SEMVER || v->type == ED_TV_STRUCT_SEMVER_VALUE) {
        /* its MarshalJSON: the String, quoted */
        ed_image_json_quote(b, field_str(v, "String"));
        return true;
    }
    if (v->type == ED_TV_STRUCT_TIME) { /* its MarshalJSON: RFC 3339 with nanoseconds */
        ed_buf rfc = ED_BUF_INIT(256);
        ed_go_time_format(&rfc, &v->time, "2006-01-02T15:04:05.999999999Z07:00");
        char *text = ed_buf_take(&rfc);
        ed_buf_free(&rfc);
        ed_image_json_quote(b, text);
        free(text);
        return true;
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

static void utf8_rune(ed_buf *b, int64_t r);

/* ---- Unicode letters (Go's unicode package, through glibc's C.UTF-8 tables) ---- */

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_open(void)
{
    /* NULL when the C library has no C.UTF-8: then only ASCII letters change case. */
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t letters(void)
{
    pthread_once(&utf8_locale_once, utf8_locale_open);
    return utf8_locale;
}

/* The rune at p (Go's utf8.DecodeRuneInString): its length, and U+FFFD with length 1 for a
 * byte that starts no valid sequence (overlong forms and surrogates included). */
static size_t rune_decode(const unsigned char *p, int32_t *r)
{
    if (p[0] < 0x80) {
        *r = p[0];
        return 1;
    }
    size_t n = rune_len(p);
    int32_t v = n == 2 ? p[0] & 0x1f : n == 3 ? p[0] & 0x0f : p[0] & 0x07;
    for (size_t i = 1; i < n; i++)
        v = (v << 6) | (p[i] & 0x3f);
    if (n == 1 || (n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (n == 4 && (v < 0x10000 || v > 0x10FFFF))) {
        *r = 0xFFFD;
        return 1;
    }
    *r = v;
    return n;
}

static bool rune_is_space(int32_t r)
{
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0 || r == 0x1680 ||
           (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f ||
           r == 0x205f || r == 0x3000;
}

/* unicode.IsTitle: the digraphs' title forms and Greek's capitals with prosgegrammeni. */
static bool rune_is_title(int32_t r)
{
    return r == 0x1C5 || r == 0x1C8 || r == 0x1CB || r == 0x1F2 || (r >= 0x1F88 && r <= 0x1F8F) ||
           (r >= 0x1F98 && r <= 0x1F9F) || (r >= 0x1FA8 && r <= 0x1FAF) || r == 0x1FBC ||
           r == 0x1FCC || r == 0x1FFC;
}

/* The Roman numerals and circled letters: cased for the C library, not letters for Go. */
static bool rune_is_cased_symbol(int32_t r)
{
    return (r >= 0x2160 && r <= 0x217F) || (r >= 0x24B6 && r <= 0x24E9);
}

/* unicode.IsUpper: not the title forms (ǅ), which the C library counts as capitals. */
static bool rune_is_upper(int32_t r)
{
    if (r < 0x80)
        return r >= 'A' && r <= 'Z';
    return letters() && iswupper_l((wint_t)r, letters()) && !rune_is_title(r) &&
           !rune_is_cased_symbol(r);
}

static bool rune_is_lower(int32_t r)
{
    if (r < 0x80)
        return r >= 'a' && r <= 'z';
    return letters() && iswlower_l((wint_t)r, letters()) && !rune_is_cased_symbol(r);
}

static bool rune_is_letter_or_digit(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
    return letters() && iswalnum_l((wint_t)r, letters());
}

/* unicode.ToUpper, ToLower ('u', 'l') and ToTitle ('t'). */
static int32_t rune_case(int32_t r, char to)
{
    if (r < 0x80) {
        if (to != 'l' && r >= 'a' && r <= 'z')
            return r - 'a' + 'A';
        if (to == 'l' && r >= 'A' && r <= 'Z')
            return r - 'A' + 'a';
        return r;
    }
    if (to == 't') {
        /* the digraphs DŽ, LJ, NJ, DZ have a title form of their own, between upper and lower */
        static const int32_t digraphs[][2] = {
            {0x1C4, 0x1C6}, {0x1C7, 0x1C9}, {0x1CA, 0x1CC}, {0x1F1, 0x1F3}};
        for (size_t i = 0; i < 4; i++)
            if (r >= digraphs[i][0] && r <= digraphs[i][1])
                return digraphs[i][0] + 1;
    }
    if (!letters())
        return r;
    return (int32_t)(to == 'l' ? towlower_l((wint_t)r, letters())
                               : towupper_l((wint_t)r, letters()));
}

/* strings.Map with a case mapping over s: invalid bytes become U+FFFD, as in Go. */
static char *map_runes(const char *s, char to)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int32_t r;
        size_t n = rune_decode(p, &r);
        int32_t m = rune_case(r, to);
        if (m == r && r != 0xFFFD)
            ed_buf_append(&b, p, n);
        else
            utf8_rune(&b, m);
        p += n;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
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

/* goutils.DeleteWhiteSpace reads a byte at a time, each for the rune of its value: the bytes
 * \t-\r, ' ', 0x85 and 0xA0 go, and when any went, every kept byte >= 0x80 is written as that
 * rune's UTF-8 (so "a b\u00a0" gives "ab\u00c2": Flux's output, byte for byte). */
static char *no_space(const char *s)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 21);
    bool removed = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ' ' || (*p >= '\t' && *p <= '\r') || *p == 0x85 || *p == 0xA0) {
            removed = true;
            continue;
        }
        utf8_rune(&b, *p);
    }
    char *out = removed ? ed_buf_take(&b) : ed_xstrdup(s);
    ed_buf_free(&b);
    return out;
}

static char *map_case(const char *s, bool up)
{
    return map_runes(s, up ? 'u' : 'l');
}

/* strings.Title: the first letter after a separator (an ASCII character but a letter, digit or
 * '_'; white space among the others) is mapped to title case. */
static char *title(const char *s)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    int32_t prev = ' ';
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int32_t r;
        size_t n = rune_decode(p, &r);
        bool sep = prev < 0x80 ? !(rune_is_letter_or_digit(prev) || prev == '_')
                               : !rune_is_letter_or_digit(prev) && rune_is_space(prev);
        int32_t m = sep ? rune_case(r, 't') : r;
        if (m == r && r != 0xFFFD)
            ed_buf_append(&b, p, n);
        else
            utf8_rune(&b, m);
        prev = r;
        p += n;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
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
    case ED_TV_FLOAT:
        return "float64";
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

/* sprig's reflect.TypeOf(nil).Kind() panics: Go's words for it. */
static int nil_deref(call *c)
{
    return fail(c, "runtime error: invalid memory address or nil pointer dereference", NULL);
}

static int need_list(call *c, const ed_tv *v, const char *verb)
{
    if (v->kind == ED_TV_LIST)
        return 0;
    if (v->kind == ED_TV_NIL)
        return nil_deref(c);
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

static void fmt_value(ed_buf *b, char verb, const struct fmt_spec *f, const ed_tv *v, int depth);

/* f (not negative) in hex as Go's %x writes it: 0x1.8p+00 (two exponent digits at least). */
static void float_hex(ed_buf *b, double f, long prec, char verb)
{
    char h[64];
    if (prec >= 0)
        snprintf(h, sizeof(h), verb == 'X' ? "%.*A" : "%.*a", (int)(prec > 13 ? 13 : prec), f);
    else
        snprintf(h, sizeof(h), verb == 'X' ? "%A" : "%a", f);
    char *p = strpbrk(h, "pP");
    if (!p) {
        ed_buf_append_str(b, h);
        return;
    }
    ed_buf_append(b, h, (size_t)(p + 2 - h));
    if (strlen(p + 2) < 2)
        ed_buf_append(b, "0", 1);
    ed_buf_append_str(b, p + 2);
}

/* A float64 as fmt's %v, %g, %G (shortest digits without a precision), %e, %E, %f, %F (6
 * digits by default) print it: the sign, '+' or ' ' flags, zeros after the sign with '0'
 * (not for NaN and Inf), "+Inf", "NaN". */
static void fmt_float(ed_buf *b, const struct fmt_spec *f, double x, char verb)
{
    ed_buf num = ED_BUF_INIT(64 + (size_t)(f->prec > 0 ? f->prec : 0));
    bool neg = signbit(x) && !isnan(x), special = isnan(x) || isinf(x);
    if (neg)
        ed_buf_append(&num, "-", 1);
    else if (f->plus || isinf(x))
        ed_buf_append(&num, "+", 1);
    else if (f->space)
        ed_buf_append(&num, " ", 1);
    size_t sign = num.len;
    double ax = fabs(x);
    int prec = f->prec < 0 ? 6 : (int)(f->prec > 1000 ? 1000 : f->prec);
    if (special)
        ed_buf_append_str(&num, isnan(x) ? "NaN" : "Inf");
    else if (verb == 'v' || ((verb == 'g' || verb == 'G') && f->prec < 0))
        float_shortest(&num, ax, verb == 'G' ? 'G' : 'g');
    else if (verb == 'x' || verb == 'X')
        float_hex(&num, ax, f->prec, verb);
    else if (verb == 'e')
        ed_buf_printf(&num, "%.*e", prec, ax);
    else if (verb == 'E')
        ed_buf_printf(&num, "%.*E", prec, ax);
    else if (verb == 'g')
        ed_buf_printf(&num, "%.*g", prec == 0 ? 1 : prec, ax);
    else if (verb == 'G')
        ed_buf_printf(&num, "%.*G", prec == 0 ? 1 : prec, ax);
    else
        ed_buf_printf(&num, "%.*f", prec, ax);
    struct fmt_spec g = *f;
    g.zero = false;
    if (f->zero && !f->minus && !special && f->width > (long)num.len) {
        ed_buf z = ED_BUF_INIT((size_t)1 << 21);
        ed_buf_append(&z, num.data, sign);
        for (long k = (long)num.len; k < f->width && k < (1L << 20); k++)
            ed_buf_append(&z, "0", 1);
        ed_buf_append(&z, num.data + sign, num.len - sign);
        pad(b, &g, z.data, z.len);
        ed_buf_free(&z);
    } else {
        pad(b, &g, num.data, num.len);
    }
    ed_buf_free(&num);
}

/* The fields of a struct as fmt prints them, each with the verb: {a b}; an ObjectIdentifier
 * as its nested structs, {{{apiVersion kind} {name namespace}}}; a Result its FileChanges only
 * (Changes and Objects are methods in Go). */
static void fmt_struct(ed_buf *b, char verb, const struct fmt_spec *f, const ed_tv *v, int depth)
{
    if (v->type == ED_TV_STRUCT_SEMVER || v->type == ED_TV_STRUCT_SEMVER_VALUE) {
        /* its fields, through a pointer for semver's */
        static const char *const fields[] = {"Major",      "Minor",    "Patch",
                                             "Prerelease", "Metadata", "Original"};
        ed_buf_append_str(b, v->type == ED_TV_STRUCT_SEMVER ? "&{" : "{");
        for (size_t i = 0; i < 6; i++) {
            if (i)
                ed_buf_append(b, " ", 1);
            fmt_value(b, verb, f, ed_tv_field(v, fields[i], strlen(fields[i])), depth + 1);
        }
        ed_buf_append(b, "}", 1);
        return;
    }
    if (v->type == ED_TV_STRUCT_OBJECT) {
        static const char *const parts[] = {"{{{",  "APIVersion", " ",         "Kind", "} {",
                                            "Name", " ",          "Namespace", "}}}"};
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
            if (i % 2 == 0)
                ed_buf_append_str(b, parts[i]);
            else
                fmt_value(b, verb, f, ed_tv_field(v, parts[i], strlen(parts[i])), depth + 1);
        }
        return;
    }
    ed_buf_append(b, "{", 1);
    for (size_t i = 0, k = 0; i < v->len; i++) {
        if (v->type == ED_TV_STRUCT_RESULT && strcmp(v->keys[i]->s, "FileChanges") != 0)
            continue;
        if (k++)
            ed_buf_append(b, " ", 1);
        fmt_value(b, verb, f, v->items[i], depth + 1);
    }
    ed_buf_append(b, "}", 1);
}

/* A rune in single quotes, as strconv.QuoteRune writes it (%q of an integer). */
static void quote_rune(ed_buf *q, int64_t r)
{
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
    ed_buf_append(q, "'", 1);
    if (esc)
        ed_buf_append_str(q, esc);
    else if (r >= 0 && (r < 0x20 || r == 0x7f))
        ed_buf_printf(q, "\\x%02x", (unsigned)r);
    else
        utf8_rune(q, r);
    ed_buf_append(q, "'", 1);
}

/*
 * A value as Go's fmt prints it with a verb (strings, ints, bools, nil, lists, maps, structs):
 * %v %s %q %d %t %x %X %o %O %b %c %U with flags, width and precision. Lists, maps and structs
 * print each element with the verb and the flags (depth > 0 inside them, where a nil prints
 * "<nil>" whatever the verb); types.NamespacedName is a Stringer for v, s, x, X and q; a verb
 * that does not fit prints "%!verb(type=value)" (the value as %v with the same flags), or
 * "%!verb(<nil>)".
 */
static void fmt_value(ed_buf *b, char verb, const struct fmt_spec *f, const ed_tv *v, int depth)
{
    if (!v || v->kind == ED_TV_NIL) {
        if (verb == 'v' || depth > 0)
            pad(b, f, "<nil>", 5);
        else
            ed_buf_printf(b, "%%!%c(<nil>)", verb);
        return;
    }
    bool num = v->kind == ED_TV_NUM, str = v->kind == ED_TV_STR;
    if (v->kind == ED_TV_OBJ &&
        (v->type == ED_TV_STRUCT_AUTOMATION || v->type == ED_TV_STRUCT_SEMVER ||
         v->type == ED_TV_STRUCT_SEMVER_VALUE || v->type == ED_TV_STRUCT_TIME) &&
        strchr("vsxXq", verb)) {
        char *s = strval_dup(v);
        ed_tv as_str = {.kind = ED_TV_STR, .s = s};
        fmt_value(b, verb, f, &as_str, depth);
        free(s);
        return;
    }
    if (num && (verb == 'q' || verb == 'c')) {
        ed_buf q = ED_BUF_INIT(32);
        if (verb == 'q')
            quote_rune(&q, v->n);
        else
            utf8_rune(&q, v->n);
        pad(b, f, q.data, q.len);
        ed_buf_free(&q);
        return;
    }
    if (num && (verb == 'v' || strchr("dxXoOb", verb))) {
        fmt_integer(b, f, v->n, (char)(verb == 'v' ? 'd' : verb));
        return;
    }
    if (num && verb == 'U') {
        char u[32];
        int64_t r = v->n;
        int n = r < 0 ? snprintf(u, sizeof(u), "U+%" PRIX64, (uint64_t)r)
                      : snprintf(u, sizeof(u), "U+%04" PRIX64, (uint64_t)r);
        pad(b, f, u, (size_t)n);
        return;
    }
    if (str && (verb == 'x' || verb == 'X')) {
        fmt_hex_string(b, f, v->s, verb);
        return;
    }
    if (str && (verb == 'v' || verb == 's' || verb == 'q')) {
        size_t n = strlen(v->s);
        if (f->prec >= 0)
            n = rune_prefix(v->s, f->prec);
        if (verb == 'q') {
            char *s = ed_xstrndup(v->s, n);
            ed_buf q = ED_BUF_INIT((size_t)1 << 20);
            ed_buf_append_go_quoted(&q, s);
            pad(b, f, q.data, q.len);
            ed_buf_free(&q);
            free(s);
        } else {
            pad(b, f, v->s, n);
        }
        return;
    }
    if (v->kind == ED_TV_FLOAT && strchr("vgGeEfFxX", verb)) {
        fmt_float(b, f, v->f, verb);
        return;
    }
    if (v->kind == ED_TV_BOOL && (verb == 'v' || verb == 't')) {
        pad(b, f, v->s, strlen(v->s));
        return;
    }
    if (v->kind == ED_TV_LIST || v->kind == ED_TV_MAP) {
        ed_buf_append_str(b, v->kind == ED_TV_LIST ? "[" : "map[");
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                ed_buf_append(b, " ", 1);
            if (v->kind == ED_TV_MAP) {
                fmt_value(b, verb, f, v->keys[i], depth + 1);
                ed_buf_append(b, ":", 1);
            }
            fmt_value(b, verb, f, v->items[i], depth + 1);
        }
        ed_buf_append(b, "]", 1);
        return;
    }
    if (v->kind == ED_TV_OBJ) {
        fmt_struct(b, verb, f, v, depth);
        return;
    }
    ed_buf_printf(b, "%%!%c(%s=", verb, ed_tv_type_name(v));
    fmt_value(b, 'v', f, v, 0);
    ed_buf_append(b, ")", 1);
}

/* One operand of printf (fmt_value's), or Go's "%!v(MISSING)" when absent; %T its type. */
static int printf_operand(call *c, ed_buf *b, char verb, const struct fmt_spec *f, size_t i)
{
    if (i >= c->nargs) {
        ed_buf_printf(b, "%%!%c(MISSING)", verb);
        return 0;
    }
    const ed_tv *v = c->args[i];
    if (verb == 'T') {
        const char *t = v->kind == ED_TV_NIL ? "<nil>" : ed_tv_type_name(v);
        pad(b, f, t, strlen(t));
        return 0;
    }
    fmt_value(b, verb, f, v, 0);
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
    if (c->args[1]->kind == ED_TV_NIL) { /* a nil haystack holds nothing */
        *c->out = ed_tv_bool(c->pool, false);
        return 0;
    }
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
    return v->kind == ED_TV_STR || v->kind == ED_TV_NUM || v->kind == ED_TV_FLOAT ||
           v->kind == ED_TV_BOOL;
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
        print_value(&pa, a, "<nil>", true);
        print_value(&pb, b, "<nil>", true);
        /* Go's canCompare passes two values of one kind (two slices, two maps): the second
         * is then found not comparable */
        bool same_type = a->kind == b->kind;
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
        /* two *semver.Version are pointers: equal when one */
        *eq = a->type == ED_TV_STRUCT_SEMVER ? a == b : tv_equal(a, b);
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
    int cmp = a->kind == ED_TV_STR     ? strcmp(a->s, b->s)
              : a->kind == ED_TV_FLOAT ? (a->f > b->f) - (a->f < b->f)
                                       : (a->n > b->n) - (a->n < b->n);
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

/* Does s (UTF-8) hold the rune r? */
static bool strchr_rune(const char *s, int32_t r)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int32_t q;
        p += rune_decode(p, &q);
        if (q == r)
            return true;
    }
    return false;
}

/* ---- paths (Go's path package; filepath's is the same on Linux) ---- */

/* path.Clean: one slash between names, no "." names, ".." resolved lexically, "." for "". */
static char *path_clean(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return ed_xstrdup(".");
    bool rooted = s[0] == '/';
    char *out = ed_xmalloc(n + 2);
    size_t w = 0, r = 0, dotdot = 0;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (s[r] == '/' || (s[r] == '.' && (r + 1 == n || s[r + 1] == '/'))) {
            r++; /* an empty or "." name */
        } else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && s[r] != '/'; r++)
                out[w++] = s[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

static int fn_base(call *c)
{
    const char *s = str_arg(c, 0);
    size_t n = strlen(s);
    if (n == 0)
        return ret_str_take(c, ed_xstrdup("."));
    while (n > 0 && s[n - 1] == '/')
        n--;
    if (n == 0)
        return ret_str_take(c, ed_xstrdup("/"));
    size_t start = n;
    while (start > 0 && s[start - 1] != '/')
        start--;
    return ret_str_take(c, ed_xstrndup(s + start, n - start));
}

static int fn_dir(call *c)
{
    const char *s = str_arg(c, 0);
    const char *slash = strrchr(s, '/');
    char *head = ed_xstrndup(s, slash ? (size_t)(slash - s) + 1 : 0);
    char *out = path_clean(head);
    free(head);
    return ret_str_take(c, out);
}

static int fn_clean(call *c)
{
    return ret_str_take(c, path_clean(str_arg(c, 0)));
}

static int fn_ext(call *c)
{
    const char *s = str_arg(c, 0);
    for (size_t i = strlen(s); i > 0 && s[i - 1] != '/'; i--)
        if (s[i - 1] == '.')
            return ret_str_take(c, ed_xstrdup(s + i - 1));
    return ret_str_take(c, ed_xstrdup(""));
}

static int fn_is_abs(call *c)
{
    *c->out = ed_tv_bool(c->pool, str_arg(c, 0)[0] == '/');
    return 0;
}

/* ---- more of sprig's strings ---- */

static int64_t int_arg(call *c, size_t i)
{
    return c->args[i]->n;
}

/* goutils.AbbreviateFull(s, offset, width) as sprig's abbrevboth calls it (errors give ""). */
static char *abbreviate_full(const char *s, int64_t offset, int64_t width)
{
    int64_t len = (int64_t)strlen(s);
    if (len == 0)
        return ed_xstrdup("");
    if (width < 4)
        return ed_xstrdup("");
    if (len <= width)
        return ed_xstrdup(s);
    if (offset > len)
        offset = len;
    if (len - offset < width - 3)
        offset = len - (width - 3);
    if (offset <= 4)
        return ed_xasprintf("%.*s...", (int)(width - 3), s);
    if (width < 7)
        return ed_xstrdup("");
    if (offset + width - 3 < len) {
        char *rest = abbreviate_full(s + offset, 0, width - 3);
        char *out = ed_xasprintf("...%s", rest);
        free(rest);
        return out;
    }
    return ed_xasprintf("...%s", s + len - (width - 3));
}

static int fn_abbrevboth(call *c)
{
    int64_t left = int_arg(c, 0), right = int_arg(c, 1);
    const char *s = str_arg(c, 2);
    if (right < 4 || (left > 0 && right < 7))
        return ret_str_take(c, ed_xstrdup(s));
    return ret_str_take(c, abbreviate_full(s, left, right));
}

/* goutils reads these strings a byte at a time, each byte taken for the rune of its value (a
 * Latin-1 reading): a white space is one of \t-\r, ' ', 0x85, 0xA0, and a kept byte >= 0x80 is
 * written back as that rune's UTF-8, so a non-ASCII letter comes out changed, as in Flux. */
static bool byte_is_space(unsigned char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r') || ch == 0x85 || ch == 0xA0;
}

static int fn_initials(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    bool gap = true;
    for (const unsigned char *p = (const unsigned char *)str_arg(c, 0); *p; p++) {
        if (byte_is_space(*p)) {
            gap = true;
        } else if (gap) {
            utf8_rune(&b, *p);
            gap = false;
        }
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* goutils.Uncapitalize: the first rune of each white-space-separated word lower-cased. */
static int fn_untitle(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    bool next = true;
    for (const unsigned char *p = (const unsigned char *)str_arg(c, 0); *p;) {
        int32_t r;
        size_t n = rune_decode(p, &r);
        if (rune_is_space(r)) {
            next = true;
            ed_buf_append(&b, p, n);
        } else if (next) {
            utf8_rune(&b, rune_case(r, 'l'));
            next = false;
        } else {
            utf8_rune(&b, r);
        }
        p += n;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* goutils.SwapCase: upper and title to lower; lower to title after white space (or at the
 * start), to upper elsewhere. */
static int fn_swapcase(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    bool space = true;
    for (const unsigned char *p = (const unsigned char *)str_arg(c, 0); *p;) {
        int32_t r;
        size_t n = rune_decode(p, &r);
        if (rune_is_upper(r) || rune_is_title(r)) {
            r = rune_case(r, 'l');
            space = false;
        } else if (rune_is_lower(r)) {
            r = rune_case(r, space ? 't' : 'u');
            space = false;
        } else {
            space = rune_is_space(r);
        }
        utf8_rune(&b, r);
        p += n;
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* ---- xstrings' case conversions: snakecase, kebabcase, camelcase ---- */

/* unicode.IsNumber: digits, Latin-1's superscripts and fractions, the Roman numerals and the
 * circled numbers, and what the C library counts as digits. */
static bool rune_is_number(int32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return r == 0xB2 || r == 0xB3 || r == 0xB9 || (r >= 0xBC && r <= 0xBE) ||
           (r >= 0x2160 && r <= 0x2188) || (r >= 0x2460 && r <= 0x249B) ||
           (letters() && iswdigit_l((wint_t)r, letters()));
}

/* unicode.IsLetter */
static bool rune_is_letter(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    return letters() && iswalpha_l((wint_t)r, letters()) && !rune_is_cased_symbol(r) &&
           !rune_is_number(r);
}

/* unicode.IsPunct: ASCII's and Latin-1's punctuation exactly (not the symbols $+<=>^`|~),
 * and the punctuation blocks (general, supplemental, CJK, the fullwidth forms); the C library's
 * class would take symbols (emoji) too. */
static bool rune_is_punct(int32_t r)
{
    if (r < 0x80)
        return r != 0 && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)r);
    if (r < 0x100)
        return r == 0xA1 || r == 0xA7 || r == 0xAB || r == 0xB6 || r == 0xB7 || r == 0xBB ||
               r == 0xBF;
    if (r >= 0x2010 && r <= 0x205E)
        return r <= 0x2027 || (r >= 0x2030 && r != 0x2044 && r != 0x2052);
    return (r >= 0x2E00 && r <= 0x2E4F) || (r >= 0x3001 && r <= 0x3003) ||
           (r >= 0x3008 && r <= 0x3011) || (r >= 0x3014 && r <= 0x301F) ||
           (r >= 0xFE10 && r <= 0xFE19) || (r >= 0xFE30 && r <= 0xFE4F) ||
           (r >= 0xFF01 && r <= 0xFF0F && r != 0xFF04 && r != 0xFF0B) || r == 0xFF1A ||
           r == 0xFF1B || r == 0xFF1F || r == 0xFF20 || (r >= 0xFF3B && r <= 0xFF3D) ||
           r == 0xFF3F || r == 0xFF5B || r == 0xFF5D || (r >= 0xFF5F && r <= 0xFF65);
}

/* xstrings' isAlphabet: a letter, but not a CJK ideograph. */
static bool rune_is_alphabet(int32_t r)
{
    if (!rune_is_letter(r))
        return false;
    return !((r >= 0x4E00 && r <= 0x9FCC) || (r >= 0x3400 && r <= 0x4D85) ||
             (r >= 0x20000 && r <= 0x2B81D));
}

/* The separators of words: '-', '_' and white space. */
static bool rune_is_connector(int32_t r)
{
    return r == '-' || r == '_' || rune_is_space(r);
}

/* The next rune of s that is not U+FFFD (invalid bytes included) and the bytes up to its end;
 * prev when there is none (the length then covers all of s). */
static size_t valid_rune(const unsigned char *s, int32_t prev, int32_t *r)
{
    size_t n = 0;
    while (s[n]) {
        n += rune_decode(s + n, r);
        if (*r != 0xFFFD)
            return n;
    }
    *r = prev;
    return n;
}

enum word_kind {
    W_INVALID,
    W_NUMBER,
    W_UPPER,
    W_ALPHA,
    W_CONNECTOR,
    W_PUNCT,
    W_OTHER
};

/* Does r continue a word of kind k (the runs of nextWord)? */
static bool word_goes_on(enum word_kind k, int32_t r)
{
    switch (k) {
    case W_CONNECTOR:
        return rune_is_connector(r);
    case W_PUNCT:
        return rune_is_punct(r);
    case W_ALPHA:
    case W_UPPER:
        return rune_is_alphabet(r) && !rune_is_upper(r);
    case W_NUMBER:
        return rune_is_number(r);
    case W_OTHER:
        return !(rune_is_connector(r) || rune_is_alphabet(r) || rune_is_number(r) ||
                 rune_is_punct(r));
    case W_INVALID:
        break;
    }
    return false;
}

/*
 * xstrings' nextWord: the first word of s, its kind and length in *len. A word is a run of
 * connectors, of punctuation, of digits, of letters (a capital then small letters, or capitals:
 * "HTTPServer" is HTTP then Server), or of anything else.
 */
static enum word_kind next_word(const unsigned char *s, size_t *len)
{
    int32_t r;
    size_t off = valid_rune(s, 0xFFFD, &r), n;
    *len = off;
    if (r == 0xFFFD)
        return W_INVALID;
    enum word_kind k = rune_is_connector(r)  ? W_CONNECTOR
                       : rune_is_punct(r)    ? W_PUNCT
                       : rune_is_upper(r)    ? W_UPPER
                       : rune_is_alphabet(r) ? W_ALPHA
                       : rune_is_number(r)   ? W_NUMBER
                                             : W_OTHER;
    if (k == W_UPPER && s[off]) {
        n = valid_rune(s + off, r, &r);
        if (rune_is_upper(r)) {
            /* capitals: all of them, but the last when a small letter follows it */
            size_t last = n;
            off += n;
            while (s[off]) {
                n = valid_rune(s + off, r, &r);
                if (!rune_is_upper(r))
                    break;
                last = n;
                off += n;
            }
            if (s[off] && rune_is_alphabet(r))
                off -= last;
            *len = off;
            return k;
        }
        if (!rune_is_alphabet(r))
            return k;
        off += n;
    }
    while (s[off]) {
        n = valid_rune(s + off, r, &r);
        if (n == 0 || !word_goes_on(k, r))
            break;
        off += n;
    }
    *len = off;
    return k;
}

/* xstrings' toLower of a word: capitals and connectors words lowered, their connectors
 * replaced; any other word as it is. */
static void word_lower(ed_buf *b, enum word_kind k, const unsigned char *w, size_t len, char conn)
{
    if (k != W_UPPER && k != W_CONNECTOR) {
        ed_buf_append(b, w, len);
        return;
    }
    for (size_t i = 0; i < len;) {
        int32_t r;
        i += rune_decode(w + i, &r);
        if (rune_is_connector(r))
            ed_buf_append(b, &conn, 1);
        else
            utf8_rune(b, rune_is_upper(r) ? rune_case(r, 'l') : r);
    }
}

/* A cursor over the words of a string. */
struct words {
    const unsigned char *rest;
    enum word_kind k;
    const unsigned char *w;
    size_t len;
};

static void words_next(struct words *ws)
{
    ws->w = ws->rest;
    ws->k = *ws->rest ? next_word(ws->rest, &ws->len) : W_INVALID;
    if (!*ws->rest)
        ws->len = 0;
    ws->rest += ws->len;
}

/* xstrings' camelCaseToLowerCase (ToSnakeCase, ToKebabCase): words lowered and joined by conn,
 * digits kept with the word before them unless small letters follow ("Bld4Floor" is
 * bld4_floor, "HTTP2xx" http_2xx). */
static char *words_lower(const char *s, char conn)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    struct words ws = {.rest = (const unsigned char *)s};
    words_next(&ws);
    while (*ws.rest) {
        if (ws.k != W_CONNECTOR)
            word_lower(&b, ws.k, ws.w, ws.len, conn);
        struct words prev = ws;
        words_next(&ws);
        if (prev.k == W_NUMBER) {
            while (ws.k == W_ALPHA || ws.k == W_NUMBER) {
                word_lower(&b, ws.k, ws.w, ws.len, conn);
                words_next(&ws);
            }
            if (ws.k != W_INVALID && ws.k != W_PUNCT && ws.k != W_CONNECTOR)
                ed_buf_append(&b, &conn, 1);
        } else if (prev.k == W_CONNECTOR) {
            word_lower(&b, prev.k, prev.w, prev.len, conn);
        } else if (prev.k != W_PUNCT) {
            if (ws.k != W_NUMBER) {
                if (ws.k != W_CONNECTOR && ws.k != W_PUNCT)
                    ed_buf_append(&b, &conn, 1);
                continue;
            }
            if (!*ws.rest)
                continue;
            struct words number = ws;
            words_next(&ws);
            if (ws.k != W_ALPHA) {
                /* digits after a word are part of it: "Bld4Floor" is "bld4_floor" */
                word_lower(&b, W_NUMBER, number.w, number.len, conn);
                if (ws.k != W_CONNECTOR && ws.k != W_PUNCT)
                    ed_buf_append(&b, &conn, 1);
                continue;
            }
            /* digits followed by small letters start a word: "HTTP2xx" is "http_2xx" */
            ed_buf_append(&b, &conn, 1);
            word_lower(&b, W_NUMBER, number.w, number.len, conn);
            while (ws.k == W_ALPHA || ws.k == W_NUMBER) {
                word_lower(&b, ws.k, ws.w, ws.len, conn);
                words_next(&ws);
            }
            if (ws.k != W_INVALID && ws.k != W_CONNECTOR && ws.k != W_PUNCT)
                ed_buf_append(&b, &conn, 1);
        }
    }
    word_lower(&b, ws.k, ws.w, ws.len, conn);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

static int fn_snakecase(call *c)
{
    return ret_str_take(c, words_lower(str_arg(c, 0), '_'));
}

static int fn_kebabcase(call *c)
{
    return ret_str_take(c, words_lower(str_arg(c, 0), '-'));
}

/* xstrings.ToPascalCase (sprig's camelcase): connectors dropped and the letter after them
 * raised, leading connectors kept; a run of capitals after a connector is lowered after its
 * first letter. */
static int fn_camelcase(call *c)
{
    const unsigned char *p = (const unsigned char *)str_arg(c, 0);
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    int32_t r0 = 0, r1;
    size_t n = 0;
    bool first_upper = false;
    while (*p) {
        n = rune_decode(p, &r0);
        p += n;
        if (!rune_is_connector(r0)) {
            first_upper = rune_is_upper(r0);
            r0 = rune_case(r0, 'u');
            break;
        }
        utf8_rune(&b, r0);
    }
    while (*p) {
        r1 = r0;
        p += rune_decode(p, &r0);
        if (rune_is_connector(r0) && rune_is_connector(r1)) {
            utf8_rune(&b, r1);
            continue;
        }
        if (rune_is_connector(r1)) {
            first_upper = rune_is_upper(r0);
            r0 = rune_case(r0, 'u');
            continue;
        }
        if (first_upper && rune_is_upper(r0))
            r0 = rune_case(r0, 'l');
        else
            first_upper = false;
        utf8_rune(&b, r1);
    }
    if (n)
        utf8_rune(&b, r0);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* Go's panic text for a slice expression s[lo:hi] out of range, as text/template reports it. */
static int slice_panic(call *c, int64_t lo, int64_t hi, int64_t len, bool has_hi)
{
    char what[160];
    if (has_hi && (hi < 0 || hi > len))
        snprintf(what, sizeof(what),
                 "runtime error: slice bounds out of range [:%" PRId64 "] with length %" PRId64, hi,
                 len);
    else
        snprintf(what, sizeof(what),
                 "runtime error: slice bounds out of range [%" PRId64 ":%" PRId64 "]", lo,
                 has_hi ? hi : len);
    return fail(c, what, NULL);
}

static int fn_substr(call *c)
{
    int64_t start = int_arg(c, 0), end = int_arg(c, 1);
    const char *s = str_arg(c, 2);
    int64_t len = (int64_t)strlen(s);
    if (start < 0) {
        if (end < 0 || end > len)
            return slice_panic(c, 0, end, len, true);
        return ret_str_take(c, ed_xstrndup(s, (size_t)end));
    }
    if (end < 0 || end > len) {
        if (start > len)
            return slice_panic(c, start, len, len, false);
        return ret_str_take(c, ed_xstrdup(s + start));
    }
    if (start > end)
        return slice_panic(c, start, end, len, true);
    return ret_str_take(c, ed_xstrndup(s + start, (size_t)(end - start)));
}

/* strings.Trim(s, cutset): the runes of cutset removed from both ends. */
static int fn_trim_all(call *c)
{
    const char *cutset = str_arg(c, 0), *s = str_arg(c, 1);
    size_t len = strlen(s), start = 0, end = len;
    while (start < end) {
        int32_t r;
        size_t n = rune_decode((const unsigned char *)s + start, &r);
        if (!strchr_rune(cutset, r))
            break;
        start += n;
    }
    while (end > start) {
        size_t k = 1;
        while (k < 4 && end - k > start && ((unsigned char)s[end - k] & 0xC0) == 0x80)
            k++;
        int32_t r;
        if (rune_decode((const unsigned char *)s + end - k, &r) != k) {
            k = 1;
            r = 0xFFFD;
        }
        if (!strchr_rune(cutset, r))
            break;
        end -= k;
    }
    return ret_str_take(c, ed_xstrndup(s + start, end - start));
}

/* goutils.WrapCustom: lines broken at the last space within width (its leading spaces
 * dropped); a longer word is cut at width when long words wrap, else kept whole. */
static char *wrap_text(const char *s, int64_t width, const char *newline, bool long_words)
{
    size_t len = strlen(s);
    if (len == 0)
        return ed_xstrdup("");
    if (!newline[0])
        newline = "\n";
    if (width < 1)
        width = 1;
    size_t w = (size_t)width, off = 0;
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    while (len - off > w) {
        if (s[off] == ' ') {
            off++;
            continue;
        }
        size_t end = w + off + 1, space = SIZE_MAX;
        for (size_t i = off; i < end && i < len; i++)
            if (s[i] == ' ')
                space = i;
        if (space != SIZE_MAX) {
            ed_buf_append(&b, s + off, space - off);
            ed_buf_append_str(&b, newline);
            off = space + 1;
        } else if (long_words) {
            ed_buf_append(&b, s + off, w);
            ed_buf_append_str(&b, newline);
            off += w;
        } else {
            const char *next = strchr(s + off + w, ' ');
            if (!next) {
                ed_buf_append_str(&b, s + off);
                off = len;
            } else {
                ed_buf_append(&b, s + off, (size_t)(next - (s + off)));
                ed_buf_append_str(&b, newline);
                off = (size_t)(next - s) + 1;
            }
        }
    }
    ed_buf_append_str(&b, s + off);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

static int fn_wrap(call *c)
{
    return ret_str_take(c, wrap_text(str_arg(c, 1), int_arg(c, 0), "", false));
}

static int fn_wrap_with(call *c)
{
    return ret_str_take(c, wrap_text(str_arg(c, 2), int_arg(c, 0), str_arg(c, 1), true));
}

static int fn_cat(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    size_t k = 0;
    for (size_t i = 0; i < c->nargs; i++) {
        if (c->args[i]->kind == ED_TV_NIL)
            continue;
        if (k++)
            ed_buf_append(&b, " ", 1);
        ed_tv_print(&b, c->args[i], "<nil>");
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int indent_text(call *c, bool newline)
{
    int64_t n = int_arg(c, 0);
    if (n < 0)
        return fail(c, "strings: negative Repeat count", NULL);
    if (n > (1 << 16))
        return fail(c, "the result is larger than 1 MiB", NULL);
    char *pad = ed_xmalloc((size_t)n + 2);
    pad[0] = '\n';
    memset(pad + 1, ' ', (size_t)n);
    pad[n + 1] = '\0';
    char *body = replace_all(str_arg(c, 1), "\n", pad);
    char *out = ed_xasprintf("%s%s%s", newline ? "\n" : "", pad + 1, body);
    free(body);
    free(pad);
    return ret_str_take(c, out);
}

static int fn_indent(call *c)
{
    return indent_text(c, false);
}

static int fn_nindent(call *c)
{
    return indent_text(c, true);
}

static int fn_plural(call *c)
{
    *c->out = ed_tv_new(c->pool, ED_TV_STR, int_arg(c, 2) == 1 ? str_arg(c, 0) : str_arg(c, 1));
    return 0;
}

/* A map[string]string from a list of strings, keyed _0, _1, ... (sprig's split), keys sorted
 * as Go prints them. */
static ed_tv *indexed_map(call *c, const ed_tv *parts)
{
    ed_tv *m = ed_tv_new(c->pool, ED_TV_MAP, NULL);
    for (size_t i = 0; i < parts->len; i++) {
        char key[32];
        snprintf(key, sizeof(key), "_%zu", i);
        ed_tv_add(m, ed_tv_new(c->pool, ED_TV_STR, key), parts->items[i]);
    }
    /* insertion sort by key: _0 _1 _10 _11 _2 ... */
    for (size_t i = 1; i < m->len; i++)
        for (size_t j = i; j > 0 && strcmp(m->keys[j - 1]->s, m->keys[j]->s) > 0; j--) {
            ed_tv *k = m->keys[j], *v = m->items[j];
            m->keys[j] = m->keys[j - 1];
            m->items[j] = m->items[j - 1];
            m->keys[j - 1] = k;
            m->items[j - 1] = v;
        }
    return m;
}

/* strings.SplitN(s, sep, n): n < 0 all parts, 0 none, else at most n (the last the rest). */
static ed_tv *split_n(call *c, const char *sep, const char *s, int64_t n)
{
    ed_tv *l = new_list(c);
    l->type = ED_TV_STRUCT_STRINGS;
    if (n == 0)
        return l;
    size_t sn = strlen(sep);
    for (const char *p = s;;) {
        if (n > 0 && (int64_t)l->len == n - 1) {
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, p));
            break;
        }
        if (sn == 0) {
            if (!*p)
                break;
            size_t k = rune_len((const unsigned char *)p);
            char *part = ed_xstrndup(p, k);
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, part));
            free(part);
            p += k;
            continue;
        }
        const char *hit = strstr(p, sep);
        char *part = ed_xstrndup(p, hit ? (size_t)(hit - p) : strlen(p));
        ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, part));
        free(part);
        if (!hit)
            break;
        p = hit + sn;
    }
    return l;
}

static int fn_split(call *c)
{
    *c->out = indexed_map(c, split_n(c, str_arg(c, 0), str_arg(c, 1), -1));
    return 0;
}

static int fn_splitn(call *c)
{
    *c->out = indexed_map(c, split_n(c, str_arg(c, 0), str_arg(c, 2), int_arg(c, 1)));
    return 0;
}

static int fn_to_strings(call *c)
{
    ed_tv *l = strslice(c, c->args[0]);
    l->type = ED_TV_STRUCT_STRINGS;
    *c->out = l;
    return 0;
}

static int digest(call *c, const char *algo)
{
    char hex[129];
    if (ed_digest_hex(algo, str_arg(c, 0), strlen(str_arg(c, 0)), hex) != 0)
        return fail(c, "no such digest in this build: ", algo);
    return ret_str_take(c, ed_xstrdup(hex));
}

static int fn_sha1sum(call *c)
{
    return digest(c, "sha1");
}

static int fn_sha512sum(call *c)
{
    return digest(c, "sha512");
}

static int fn_adler32sum(call *c)
{
    uint32_t a = 1, b = 0;
    for (const unsigned char *p = (const unsigned char *)str_arg(c, 0); *p; p++) {
        a = (a + *p) % 65521;
        b = (b + a) % 65521;
    }
    return ret_str_take(c, ed_xasprintf("%" PRIu32, (b << 16) | a));
}

/* base64/base32 with the standard alphabets and padding (Go's StdEncoding). */
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static char *base_encode(const char *s, unsigned bits)
{
    const char *alpha = bits == 6 ? b64_alphabet : b32_alphabet;
    size_t group = bits == 6 ? 4 : 8;
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    uint32_t acc = 0;
    unsigned have = 0;
    size_t out = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        acc = (acc << 8) | *p;
        have += 8;
        while (have >= bits) {
            have -= bits;
            ed_buf_append(&b, &alpha[(acc >> have) & ((1u << bits) - 1)], 1);
            out++;
        }
    }
    if (have) {
        ed_buf_append(&b, &alpha[(acc << (bits - have)) & ((1u << bits) - 1)], 1);
        out++;
    }
    for (; out % group; out++)
        ed_buf_append(&b, "=", 1);
    char *r = ed_buf_take(&b);
    ed_buf_free(&b);
    return r;
}

/*
 * Go's base64/base32 StdEncoding decoding: CR and LF are skipped; a quantum ends at its
 * padding, which must be complete and end the input. The error is Go's CorruptInputError
 * text (the offset of the first byte that cannot be), returned as the result, as sprig does.
 */
static char *base_decode(const char *s, unsigned bits, size_t *out_len, bool *ok)
{
    const char *alpha = bits == 6 ? b64_alphabet : b32_alphabet;
    size_t group = bits == 6 ? 4 : 8, len = strlen(s), pos = 0;
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    const char *name = bits == 6 ? "base64" : "base32";
    *ok = true;
    while (pos < len) {
        uint64_t acc = 0;
        size_t got = 0, pad_at = SIZE_MAX;
        while (got < group) {
            while (pos < len && (s[pos] == '\n' || s[pos] == '\r'))
                pos++;
            if (pos == len)
                break;
            char ch = s[pos];
            if (ch == '=') {
                pad_at = got;
                break;
            }
            const char *hit = strchr(alpha, ch);
            if (!hit || !ch)
                goto corrupt;
            acc = (acc << bits) | (uint64_t)(hit - alpha);
            got++;
            pos++;
        }
        if (pad_at != SIZE_MAX) {
            /* the padding: valid lengths of data before it, then '=' to the group's end */
            bool valid_len = bits == 6 ? got >= 2 : (got == 2 || got == 4 || got == 5 || got == 7);
            if (!valid_len)
                goto corrupt;
            size_t need = group - got;
            for (size_t k = 0; k < need; k++) {
                while (pos < len && (s[pos] == '\n' || s[pos] == '\r'))
                    pos++;
                if (pos == len)
                    goto corrupt;
                if (s[pos] != '=')
                    goto corrupt;
                pos++;
            }
            while (pos < len && (s[pos] == '\n' || s[pos] == '\r'))
                pos++;
            if (pos < len)
                goto corrupt;
        } else if (got < group) {
            if (got == 0)
                break;
            pos -= got; /* Go reports a short last quantum where it starts */
            goto corrupt;
        }
        size_t nbytes = got * bits / 8;
        acc >>= (got * bits) % 8;
        for (size_t k = nbytes; k > 0; k--) {
            unsigned char byte = (unsigned char)(acc >> ((k - 1) * 8));
            ed_buf_append(&b, &byte, 1);
        }
        if (pad_at != SIZE_MAX)
            break;
    }
    *out_len = b.len;
    char *r = ed_buf_take(&b);
    ed_buf_free(&b);
    return r;
corrupt:
    ed_buf_free(&b);
    *ok = false;
    *out_len = 0;
    return ed_xasprintf("illegal %s data at input byte %zu", name, pos);
}

static int base_decode_fn(call *c, unsigned bits)
{
    size_t n;
    bool ok;
    char *out = base_decode(str_arg(c, 0), bits, &n, &ok);
    if (ok && strlen(out) != n) {
        /* a NUL in the data: the template's strings are C strings here */
        free(out);
        return fail(c, "the decoded data holds a NUL byte", NULL);
    }
    return ret_str_take(c, out);
}

static int fn_b64enc(call *c)
{
    return ret_str_take(c, base_encode(str_arg(c, 0), 6));
}

static int fn_b64dec(call *c)
{
    return base_decode_fn(c, 6);
}

static int fn_b32enc(call *c)
{
    return ret_str_take(c, base_encode(str_arg(c, 0), 5));
}

static int fn_b32dec(call *c)
{
    return base_decode_fn(c, 5);
}

/* ---- encryptAES, decryptAES: AES-256-CBC with the password as the key (cut or padded with
 * zeros to 32 bytes), PKCS#7 padding, a random IV first, in base64: sprig's scheme ---- */

/* AES-256-CBC of in (n bytes, whole blocks) with key and iv, without padding. */
static void aes_cbc(bool encrypt, const unsigned char key[32], const unsigned char iv[16],
                    const unsigned char *in, size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, encrypt) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
              EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1 &&
              EVP_CipherFinal_ex(ctx, out + len, &fin) == 1;
    ED_ASSERT(ok); /* (whole blocks with a 32-byte key cannot fail) */
    EVP_CIPHER_CTX_free(ctx);
}

static void aes_key(const char *password, unsigned char key[32])
{
    memset(key, 0, 32);
    size_t n = strlen(password);
    memcpy(key, password, n < 32 ? n : 32);
}

static int fn_encrypt_aes(call *c)
{
    const char *text = str_arg(c, 1);
    size_t n = strlen(text), padded = n / 16 * 16 + 16;
    if (n == 0)
        return ret_str_take(c, ed_xstrdup(""));
    if (n > ((size_t)1 << 24))
        return fail(c, "the text is over 16 MiB", NULL);
    unsigned char key[32];
    aes_key(str_arg(c, 0), key);
    unsigned char *plain = ed_xmalloc(padded), *crypt = ed_xmalloc(16 + padded);
    memset(plain, (int)(padded - n), padded); /* PKCS#7: the pad's length in each pad byte */
    for (size_t i = 0; i < n; i++)
        plain[i] = (unsigned char)text[i];
    int rand_ok = RAND_bytes(crypt, 16);
    ED_ASSERT(rand_ok == 1); /* (OpenSSL's generator is seeded from the kernel) */
    aes_cbc(true, key, crypt, plain, padded, crypt + 16);
    char *out = ed_base64_encode(crypt, 16 + padded);
    free(plain);
    free(crypt);
    return ret_str_take(c, out);
}

/* decryptAES, with Go's panics for what is not sprig's ciphertext (too short, not whole
 * blocks, a padding past the text). */
static int fn_decrypt_aes(call *c)
{
    const char *in = str_arg(c, 1);
    if (!*in)
        return ret_str_take(c, ed_xstrdup(""));
    size_t n;
    bool ok;
    unsigned char *crypt = (unsigned char *)base_decode(in, 6, &n, &ok);
    int rc = 0;
    char msg[128];
    if (!ok) {
        rc = fail(c, (const char *)crypt, NULL);
    } else if (n < 16) {
        /* (Go's decoded slice has the capacity of the whole groups) */
        snprintf(msg, sizeof(msg),
                 "runtime error: slice bounds out of range [:16] with capacity %zu",
                 strlen(in) / 4 * 3);
        rc = fail(c, msg, NULL);
    } else if ((n - 16) % 16) {
        rc = fail(c, "crypto/cipher: input not full blocks", NULL);
    } else if (n == 16) {
        rc = fail(c, "runtime error: index out of range [-1]", NULL);
    } else {
        unsigned char key[32];
        aes_key(str_arg(c, 0), key);
        size_t m = n - 16;
        unsigned char *plain = ed_xmalloc(m + 1);
        aes_cbc(false, key, crypt, crypt + 16, m, plain);
        size_t pad = plain[m - 1];
        if (pad > m) {
            snprintf(msg, sizeof(msg), "runtime error: slice bounds out of range [:%lld]",
                     (long long)m - (long long)pad);
            rc = fail(c, msg, NULL);
        } else if (memchr(plain, 0, m - pad)) {
            rc = fail(c, "the decrypted text holds a NUL byte", NULL);
        } else {
            rc = ret_str_take(c, ed_xstrndup((const char *)plain, m - pad));
        }
        free(plain);
    }
    free(crypt);
    return rc;
}

/* ---- derivePassword: the Master Password algorithm (scrypt of the password salted with the
 * user, HMAC-SHA256 of the site and counter choosing a template and its characters) ---- */

static const struct {
    const char *type;
    const char *templates[21];
} password_types[] = {
    {"maximum", {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"}},
    {"long",
     {"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
      "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
      "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
      "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
      "CvccCvcvCvccno"}},
    {"medium", {"CvcnoCvc", "CvcCvcno"}},
    {"short", {"Cvcn"}},
    {"basic", {"aaanaaan", "aannaaan", "aaannaaa"}},
    {"pin", {"nnnn"}},
};

static const char *password_chars(char class)
{
    switch (class) {
    case 'V':
        return "AEIOU";
    case 'C':
        return "BCDFGHJKLMNPQRSTVWXYZ";
    case 'v':
        return "aeiou";
    case 'c':
        return "bcdfghjklmnpqrstvwxyz";
    case 'A':
        return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
    case 'a':
        return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    case 'n':
        return "0123456789";
    case 'o':
        return "@&%?,=[]_:-+*$#!'^~;()/.";
    default: /* 'x' */
        return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
    }
}

static void put_be32(ed_buf *b, uint32_t v)
{
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    ed_buf_append(b, be, 4);
}

/* derivePassword counter type password user site. An unknown type gives sprig's text as the
 * result, not an error. */
static int fn_derive_password(call *c)
{
    uint32_t counter = (uint32_t)c->args[0]->n;
    const char *type = str_arg(c, 1), *password = str_arg(c, 2), *user = str_arg(c, 3),
               *site = str_arg(c, 4);
    size_t t = 0, count = sizeof(password_types) / sizeof(password_types[0]);
    while (t < count && strcmp(password_types[t].type, type) != 0)
        t++;
    if (t == count)
        return ret_str_take(c, ed_xasprintf("cannot find password template %s", type));
    static const char seed[] = "com.lyndir.masterpassword";
    ed_buf salt = ED_BUF_INIT((size_t)1 << 26);
    ed_buf_append_str(&salt, seed);
    put_be32(&salt, (uint32_t)strlen(user));
    ed_buf_append_str(&salt, user);
    unsigned char key[64];
    /* scrypt N=32768 r=8 p=2 needs 32 MiB and a little more: OpenSSL's default cap is 32 */
    bool ok = EVP_PBE_scrypt(password, strlen(password), (const unsigned char *)salt.data, salt.len,
                             32768, 8, 2, (uint64_t)64 << 20, key, sizeof(key)) == 1;
    ed_buf_free(&salt);
    if (!ok)
        return fail(c, "scrypt failed (OpenSSL)", NULL);
    ed_buf msg = ED_BUF_INIT((size_t)1 << 26);
    ed_buf_append_str(&msg, seed);
    put_be32(&msg, (uint32_t)strlen(site));
    ed_buf_append_str(&msg, site);
    put_be32(&msg, counter);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    ok = HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)msg.data, msg.len, mac,
              &mac_len) != NULL;
    ed_buf_free(&msg);
    if (!ok)
        return fail(c, "HMAC-SHA256 failed (OpenSSL)", NULL);
    size_t ntemplates = 0;
    while (ntemplates < 21 && password_types[t].templates[ntemplates])
        ntemplates++;
    ED_ASSERT(ntemplates > 0);
    const char *tmpl = password_types[t].templates[mac[0] % ntemplates];
    char out[32];
    size_t i = 0;
    for (; tmpl[i] && i + 1 < sizeof(out); i++) {
        const char *chars = password_chars(tmpl[i]);
        out[i] = chars[mac[i + 1] % strlen(chars)];
    }
    out[i] = '\0';
    return ret_str_take(c, ed_xstrdup(out));
}

/* ---- regular expressions (sprig's regex*, Go's regexp; here PCRE2 in UTF mode) ---- */

/*
 * Go's RE2 syntax is, for what commit messages use, a subset of PCRE2's: classes, groups,
 * named groups (?P<n>...), flags (?i), anchors and repetition mean the same. PCRE2 accepts
 * more (backreferences, lookaround), and the text of a compile error is PCRE2's.
 */
typedef struct regex {
    pcre2_code *code;
    pcre2_match_data *md;
} regex;

static int regex_compile(call *c, const char *pattern, regex *re)
{
    int code;
    PCRE2_SIZE off;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    re->md = NULL;
    if (!re->code) {
        PCRE2_UCHAR text[256];
        pcre2_get_error_message(code, text, sizeof(text));
        /* sprig's must* functions return Compile's error; the others call MustCompile, whose
         * panic names the pattern first */
        bool must = strncmp(c->name, "must", 4) == 0;
        if (strcmp((const char *)text, "missing closing parenthesis") == 0)
            snprintf((char *)text, sizeof(text), "missing closing )"); /* RE2's words */
        snprintf(c->msg, c->msglen, "error calling %s: %s%s%serror parsing regexp: %s: `%s`",
                 c->name, must ? "" : "regexp: Compile(`", must ? "" : pattern,
                 must ? "" : "`): ", (const char *)text, pattern);
        return -1;
    }
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    return 0;
}

static void regex_free(regex *re)
{
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
}

/*
 * The next match of re in s at or after *pos, as Go's FindAll iterates: an empty match
 * right after the previous match is skipped. Returns false at the end; else the match is
 * ovector[0..1] of re->md and *pos, *prev_end are advanced.
 */
static bool regex_next(regex *re, const char *s, size_t len, size_t *pos, long *prev_end,
                       PCRE2_SIZE **ov)
{
    while (*pos <= len) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, *pos, 0, re->md, NULL);
        if (rc < 0)
            return false;
        *ov = pcre2_get_ovector_pointer(re->md);
        size_t a = (*ov)[0], b = (*ov)[1];
        bool accept = !(a == b && (long)b == *prev_end);
        if (b == a)
            *pos = a < len ? a + rune_len((const unsigned char *)s + a) : len + 1;
        else
            *pos = b;
        if (accept) {
            *prev_end = (long)b;
            return true;
        }
    }
    return false;
}

static int fn_regex_match(call *c)
{
    regex re;
    if (regex_compile(c, str_arg(c, 0), &re)) {
        if (strncmp(c->name, "must", 4) == 0)
            return -1;
        *c->out = ed_tv_bool(c->pool, false); /* regexp.MatchString's error is ignored */
        return 0;
    }
    const char *s = str_arg(c, 1);
    bool hit = pcre2_match(re.code, (PCRE2_SPTR)s, strlen(s), 0, 0, re.md, NULL) >= 0;
    regex_free(&re);
    *c->out = ed_tv_bool(c->pool, hit);
    return 0;
}

/* regexFindAll regex s n: at most n matches (all when n < 0) as a []string. */
static int fn_regex_find_all(call *c)
{
    regex re;
    if (regex_compile(c, str_arg(c, 0), &re))
        return -1;
    const char *s = str_arg(c, 1);
    int64_t n = int_arg(c, 2);
    size_t len = strlen(s), pos = 0;
    long prev = -1;
    PCRE2_SIZE *ov;
    ed_tv *l = new_list(c);
    l->type = ED_TV_STRUCT_STRINGS;
    while ((n < 0 || (int64_t)l->len < n) && regex_next(&re, s, len, &pos, &prev, &ov)) {
        char *m = ed_xstrndup(s + ov[0], ov[1] - ov[0]);
        ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, m));
        free(m);
    }
    regex_free(&re);
    *c->out = l;
    return 0;
}

static int fn_regex_find(call *c)
{
    regex re;
    if (regex_compile(c, str_arg(c, 0), &re))
        return -1;
    const char *s = str_arg(c, 1);
    int rc = pcre2_match(re.code, (PCRE2_SPTR)s, strlen(s), 0, 0, re.md, NULL);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re.md);
    char *m = rc >= 0 ? ed_xstrndup(s + ov[0], ov[1] - ov[0]) : ed_xstrdup("");
    regex_free(&re);
    return ret_str_take(c, m);
}

/* Regexp.Expand: $1, ${1}, $name, ${name} become the group's text (empty when there is no
 * such group), $$ a '$'; a '$' that starts no such reference stays as it is. */
static void regex_expand(ed_buf *b, regex *re, const char *s, const PCRE2_SIZE *ov, int groups,
                         const char *tmpl)
{
    for (const char *p = tmpl; *p;) {
        const char *dollar = strchr(p, '$');
        if (!dollar) {
            ed_buf_append_str(b, p);
            break;
        }
        ed_buf_append(b, p, (size_t)(dollar - p));
        p = dollar + 1;
        if (*p == '$') {
            ed_buf_append(b, "$", 1);
            p++;
            continue;
        }
        bool brace = *p == '{';
        const char *name = brace ? p + 1 : p, *end = name;
        while ((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') ||
               (*end >= '0' && *end <= '9') || *end == '_')
            end++;
        if (end == name || (brace && *end != '}')) {
            ed_buf_append(b, "$", 1); /* malformed: the '$' as text */
            continue;
        }
        char *ref = ed_xstrndup(name, (size_t)(end - name));
        long idx = -1;
        bool number = true;
        for (const char *q = ref; *q; q++)
            number = number && *q >= '0' && *q <= '9';
        if (number) {
            idx = strlen(ref) < 9 ? strtol(ref, NULL, 10) : -1;
        } else {
            int k = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)ref);
            idx = k > 0 ? k : -1;
        }
        if (idx >= 0 && idx < groups && ov[2 * idx] != PCRE2_UNSET)
            ed_buf_append(b, s + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
        free(ref);
        p = brace ? end + 1 : end;
    }
}

static int regex_replace(call *c, bool literal)
{
    regex re;
    if (regex_compile(c, str_arg(c, 0), &re))
        return -1;
    const char *s = str_arg(c, 1), *repl = str_arg(c, 2);
    size_t len = strlen(s), pos = 0, last = 0;
    long prev = -1;
    PCRE2_SIZE *ov;
    uint32_t groups = 0;
    pcre2_pattern_info(re.code, PCRE2_INFO_CAPTURECOUNT, &groups);
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    while (regex_next(&re, s, len, &pos, &prev, &ov)) {
        ed_buf_append(&b, s + last, ov[0] - last);
        if (literal)
            ed_buf_append_str(&b, repl);
        else
            regex_expand(&b, &re, s, ov, (int)groups + 1, repl);
        last = ov[1];
    }
    ed_buf_append_str(&b, s + last);
    regex_free(&re);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_regex_replace_all(call *c)
{
    return regex_replace(c, false);
}

static int fn_regex_replace_all_literal(call *c)
{
    return regex_replace(c, true);
}

/* Regexp.Split(s, n): the texts between at most n-1 matches (all when n < 0, none when 0). */
static int fn_regex_split(call *c)
{
    regex re;
    if (regex_compile(c, str_arg(c, 0), &re))
        return -1;
    const char *s = str_arg(c, 1);
    int64_t n = int_arg(c, 2);
    size_t len = strlen(s), pos = 0, beg = 0, end = 0;
    long prev = -1;
    PCRE2_SIZE *ov;
    ed_tv *l = new_list(c);
    l->type = ED_TV_STRUCT_STRINGS;
    if (n != 0 && str_arg(c, 0)[0] && len == 0) {
        ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, ""));
    } else if (n != 0) {
        int64_t found = 0;
        while ((n < 0 || found < n) && regex_next(&re, s, len, &pos, &prev, &ov)) {
            found++;
            if (n > 0 && (int64_t)l->len == n - 1)
                break;
            end = ov[0];
            if (ov[1] != 0) {
                char *part = ed_xstrndup(s + beg, end - beg);
                ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, part));
                free(part);
            }
            beg = ov[1];
        }
        if (end != len)
            ed_tv_add(l, NULL, ed_tv_new(c->pool, ED_TV_STR, s + beg));
    }
    regex_free(&re);
    *c->out = l;
    return 0;
}

static int fn_regex_quote_meta(call *c)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    for (const char *p = str_arg(c, 0); *p; p++) {
        if (strchr("\\.+*?()|[]{}^$", *p))
            ed_buf_append(&b, "\\", 1);
        ed_buf_append(&b, p, 1);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* ---- integer math (sprig's add sub mul div mod max min, with cast's conversions) ---- */

static ed_tv *num_typed(call *c, int64_t n, ed_tv_struct type)
{
    ed_tv *v = ed_tv_num(c->pool, n);
    v->type = type;
    return v;
}

/* strconv.ParseInt(s, 0, 64): an optional sign, a 0x/0o/0b or leading-0 octal prefix, digits
 * with '_' between them. false when s is no such integer or does not fit. */
static bool parse_int_base0(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    int base = 10;
    bool prefixed = false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        prefixed = true;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
        prefixed = true;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
        prefixed = true;
    } else if (p[0] == '0' && p[1]) {
        base = 8;
        p++;
        prefixed = true;
    }
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool digits = false;
    char last = prefixed ? '_' : 0; /* '_' may follow a prefix */
    for (; *p; p++) {
        if (*p == '_') {
            if (last == '_' && !(prefixed && !digits))
                return false;
            last = '_';
            continue;
        }
        int d = *p >= '0' && *p <= '9'   ? *p - '0'
                : *p >= 'a' && *p <= 'z' ? *p - 'a' + 10
                : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 10
                                         : 99;
        if (d >= base)
            return false;
        if (v > (limit - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
        digits = true;
        last = *p;
    }
    if (!digits || last == '_')
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* cast.ToInt64 as sprig uses it (its error ignored): integers as they are, bools 1 and 0, a
 * string parsed as Go's integer literals (a trailing ".0" dropped), anything else 0. */
static int64_t to_int64(const ed_tv *v)
{
    switch (v->kind) {
    case ED_TV_FLOAT: /* Go's int64(f): toward zero */
        return isnan(v->f)                                                      ? INT64_MIN
               : v->f >= 9223372036854775807.0 || v->f < -9223372036854775807.0 ? INT64_MIN
                                                                                : (int64_t)v->f;
    case ED_TV_NUM:
    case ED_TV_BOOL:
        return v->n;
    case ED_TV_STR: {
        char *s = ed_xstrdup(v->s);
        size_t n = strlen(s);
        bool zero = false;
        for (size_t i = n; i > 0; i--) {
            if (s[i - 1] == '0') {
                zero = true;
            } else if (s[i - 1] == '.' && zero) {
                s[i - 1] = '\0';
                break;
            } else {
                break;
            }
        }
        int64_t r = 0;
        if (!parse_int_base0(s, &r))
            r = 0;
        free(s);
        return r;
    }
    default:
        return 0;
    }
}

static int fn_add(call *c)
{
    uint64_t sum = 0; /* Go's int64 arithmetic wraps */
    for (size_t i = 0; i < c->nargs; i++)
        sum += (uint64_t)to_int64(c->args[i]);
    *c->out = num_typed(c, (int64_t)sum, ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_add1(call *c)
{
    *c->out = num_typed(c, (int64_t)((uint64_t)to_int64(c->args[0]) + 1), ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_sub(call *c)
{
    uint64_t a = (uint64_t)to_int64(c->args[0]), b = (uint64_t)to_int64(c->args[1]);
    *c->out = num_typed(c, (int64_t)(a - b), ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_mul(call *c)
{
    uint64_t v = (uint64_t)to_int64(c->args[0]);
    for (size_t i = 1; i < c->nargs; i++)
        v *= (uint64_t)to_int64(c->args[i]);
    *c->out = num_typed(c, (int64_t)v, ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_div_mod(call *c)
{
    int64_t a = to_int64(c->args[0]), b = to_int64(c->args[1]);
    if (b == 0)
        return fail(c, "runtime error: integer divide by zero", NULL);
    bool div = strcmp(c->name, "div") == 0;
    int64_t r = b == -1 ? (div ? (int64_t)(0 - (uint64_t)a) : 0) : div ? a / b : a % b;
    *c->out = num_typed(c, r, ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_max_min(call *c)
{
    bool max = strcmp(c->name, "min") != 0;
    int64_t v = to_int64(c->args[0]);
    for (size_t i = 1; i < c->nargs; i++) {
        int64_t x = to_int64(c->args[i]);
        if (max ? x > v : x < v)
            v = x;
    }
    *c->out = num_typed(c, v, ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_int64(call *c)
{
    *c->out = num_typed(c, to_int64(c->args[0]), ED_TV_STRUCT_INT64);
    return 0;
}

static int fn_int(call *c)
{
    *c->out = ed_tv_num(c->pool, to_int64(c->args[0]));
    return 0;
}

/* strconv.Atoi (ParseInt base 10), its error ignored: a sign and decimal digits, else 0; out of
 * range it gives the nearest int64, as Go's does. */
static int64_t atoi_go(const char *s)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool ok = *p != '\0', clamped = false;
    for (; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
        if (ok && !clamped) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (limit - d) / 10) {
                v = limit;
                clamped = true;
            } else {
                v = v * 10 + d;
            }
        }
    }
    return !ok ? 0 : neg ? (int64_t)(0 - v) : (int64_t)v;
}

static int fn_atoi(call *c)
{
    *c->out = ed_tv_num(c->pool, atoi_go(str_arg(c, 0)));
    return 0;
}

/* sprig's untilStep: start, start+step, ... before stop ([] when step goes the wrong way). */
static ed_tv *until_step(call *c, int64_t start, int64_t stop, int64_t step)
{
    ed_tv *l = new_list(c);
    l->type = ED_TV_STRUCT_INTS;
    if (stop < start ? step >= 0 : step <= 0)
        return l;
    for (int64_t i = start; stop < start ? i > stop : i < stop; i += step) {
        if (l->len >= 100000)
            return NULL;
        ed_tv_add(l, NULL, ed_tv_num(c->pool, i));
        if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step))
            break;
    }
    return l;
}

static int ret_range(call *c, ed_tv *l)
{
    if (!l)
        return fail(c, "the result is longer than 100000 numbers", NULL);
    *c->out = l;
    return 0;
}

static int fn_until(call *c)
{
    int64_t n = int_arg(c, 0);
    return ret_range(c, until_step(c, 0, n, n < 0 ? -1 : 1));
}

static int fn_until_step(call *c)
{
    return ret_range(c, until_step(c, int_arg(c, 0), int_arg(c, 1), int_arg(c, 2)));
}

/* sprig's seq: seq END (from 1), seq START END, seq START STEP END, as a string "1 2 3". */
static int fn_seq(call *c)
{
    int64_t start = 1, end = 0, step = 1;
    ed_tv *l = NULL;
    if (c->nargs == 1) {
        end = int_arg(c, 0);
        step = end < start ? -1 : 1;
        l = until_step(c, start, end + step, step);
    } else if (c->nargs == 2) {
        start = int_arg(c, 0);
        end = int_arg(c, 1);
        step = end < start ? -1 : 1;
        l = until_step(c, start, end + step, step);
    } else if (c->nargs == 3) {
        start = int_arg(c, 0);
        step = int_arg(c, 1);
        end = int_arg(c, 2);
        int64_t inc = 1;
        if (end < start) {
            inc = -1;
            if (step > 0)
                return ret_str_take(c, ed_xstrdup(""));
        }
        l = until_step(c, start, end + inc, step);
    } else {
        return ret_str_take(c, ed_xstrdup(""));
    }
    if (!l)
        return fail(c, "the result is longer than 100000 numbers", NULL);
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < l->len; i++)
        ed_buf_printf(&b, "%s%" PRId64, i ? " " : "", l->items[i]->n);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* ---- types (sprig's typeOf kindOf typeIs typeIsLike kindIs deepEqual) ---- */

static const char *type_of(const ed_tv *v)
{
    return v->kind == ED_TV_NIL ? "<nil>" : ed_tv_type_name(v);
}

static const char *kind_of(const ed_tv *v)
{
    if (v->kind == ED_TV_NUM && v->type != ED_TV_STRUCT_INTS)
        return v->type == ED_TV_STRUCT_INT64    ? "int64"
               : v->type == ED_TV_STRUCT_UINT64 ? "uint64"
                                                : "int";
    if (v->kind == ED_TV_OBJ && v->type == ED_TV_STRUCT_SEMVER)
        return "ptr";
    return kind_name(v);
}

static int fn_type_of(call *c)
{
    *c->out = ed_tv_new(c->pool, ED_TV_STR, type_of(c->args[0]));
    return 0;
}

static int fn_kind_of(call *c)
{
    *c->out = ed_tv_new(c->pool, ED_TV_STR, kind_of(c->args[0]));
    return 0;
}

static int fn_type_is(call *c)
{
    const char *want = str_arg(c, 0), *t = type_of(c->args[1]);
    bool like = strcmp(c->name, "typeIsLike") == 0;
    *c->out = ed_tv_bool(c->pool,
                         strcmp(want, t) == 0 || (like && t[0] == '*' && strcmp(want, t + 1) == 0));
    return 0;
}

static int fn_kind_is(call *c)
{
    *c->out = ed_tv_bool(c->pool, strcmp(str_arg(c, 0), kind_of(c->args[1])) == 0);
    return 0;
}

static int fn_deep_equal(call *c)
{
    const ed_tv *a = c->args[0], *b = c->args[1];
    bool same = (a->kind == ED_TV_NIL) == (b->kind == ED_TV_NIL) &&
                strcmp(type_of(a), type_of(b)) == 0 && tv_equal(a, b);
    *c->out = ed_tv_bool(c->pool, same);
    return 0;
}

/* ---- more of sprig's lists ---- */

static ed_tv *list_copy(call *c, const ed_tv *src, size_t from, size_t to)
{
    ed_tv *l = new_list(c);
    for (size_t i = from; i < to; i++)
        ed_tv_add(l, NULL, src->items[i]);
    return l;
}

static int fn_rest(call *c)
{
    const ed_tv *l = c->args[0];
    if (need_list(c, l, "find rest"))
        return -1;
    *c->out = list_copy(c, l, l->len ? 1 : 0, l->len);
    return 0;
}

static int fn_initial(call *c)
{
    const ed_tv *l = c->args[0];
    if (need_list(c, l, "find initial"))
        return -1;
    *c->out = list_copy(c, l, 0, l->len ? l->len - 1 : 0);
    return 0;
}

static int fn_reverse(call *c)
{
    const ed_tv *l = c->args[0];
    if (need_list(c, l, "find reverse"))
        return -1;
    ed_tv *r = new_list(c);
    for (size_t i = l->len; i > 0; i--)
        ed_tv_add(r, NULL, l->items[i - 1]);
    *c->out = r;
    return 0;
}

static int fn_compact(call *c)
{
    const ed_tv *l = c->args[0];
    if (need_list(c, l, "compact"))
        return -1;
    ed_tv *r = new_list(c);
    for (size_t i = 0; i < l->len; i++)
        if (ed_tv_truthy(l->items[i]))
            ed_tv_add(r, NULL, l->items[i]);
    *c->out = r;
    return 0;
}

static int fn_prepend(call *c)
{
    const ed_tv *l = c->args[0];
    if (need_list(c, l, "prepend"))
        return -1;
    ed_tv *r = new_list(c);
    ed_tv_add(r, NULL, c->args[1]);
    for (size_t i = 0; i < l->len; i++)
        ed_tv_add(r, NULL, l->items[i]);
    *c->out = r;
    return 0;
}

static int fn_concat(call *c)
{
    ed_tv *r = new_list(c);
    for (size_t k = 0; k < c->nargs; k++) {
        const ed_tv *l = c->args[k];
        if (l->kind == ED_TV_NIL)
            return nil_deref(c);
        if (l->kind != ED_TV_LIST) {
            snprintf(c->msg, c->msglen, "error calling concat: Cannot concat type %s as list",
                     kind_name(l));
            return -1;
        }
        for (size_t i = 0; i < l->len; i++)
            ed_tv_add(r, NULL, l->items[i]);
    }
    *c->out = r;
    return 0;
}

/* sprig's slice list [start [end]]: Go's l[start:end], of the list's own type. */
static int fn_slice(call *c)
{
    const ed_tv *l = c->args[0];
    if (l->kind == ED_TV_NIL)
        return nil_deref(c);
    if (l->kind != ED_TV_LIST)
        return fail(c, "list should be type of slice or array but ", kind_name(l));
    if (l->len == 0) {
        *c->out = ed_tv_new(c->pool, ED_TV_NIL, NULL);
        return 0;
    }
    int64_t len = (int64_t)l->len;
    int64_t start = c->nargs > 1 ? to_int64(c->args[1]) : 0;
    int64_t end = c->nargs > 2 ? to_int64(c->args[2]) : len;
    char what[128];
    if (end < 0 || end > len) {
        snprintf(what, sizeof(what), "reflect: slice index out of range");
        return fail(c, what, NULL);
    }
    if (start < 0 || start > end) {
        snprintf(what, sizeof(what), "reflect.Value.Slice: slice index out of bounds");
        return fail(c, what, NULL);
    }
    ed_tv *r = list_copy(c, l, (size_t)start, (size_t)end);
    r->type = l->type;
    *c->out = r;
    return 0;
}

static int fn_chunk(call *c)
{
    int64_t size = int_arg(c, 0);
    const ed_tv *l = c->args[1];
    if (l->kind == ED_TV_NIL)
        return nil_deref(c);
    if (l->kind != ED_TV_LIST)
        return fail(c, "Cannot chunk type ", kind_name(l));
    if (size <= 0)
        return fail(c, "runtime error: makeslice: len out of range", NULL);
    ed_tv *r = new_list(c);
    r->type = ED_TV_STRUCT_LISTS;
    for (size_t i = 0; i < l->len; i += (size_t)size) {
        size_t end = i + (size_t)size < l->len ? i + (size_t)size : l->len;
        ed_tv_add(r, NULL, list_copy(c, l, i, end));
    }
    *c->out = r;
    return 0;
}

/* ---- sprig's dicts (map[string]interface {}) ---- */

static ed_tv *new_dict(call *c)
{
    ed_tv *d = ed_tv_new(c->pool, ED_TV_MAP, NULL);
    d->type = ED_TV_STRUCT_DICT;
    return d;
}

/* The i-th key of a dict (always a string; "" defensively). */
static const char *dict_key(const ed_tv *d, size_t i)
{
    return d->keys[i] && d->keys[i]->s ? d->keys[i]->s : "";
}

/* Set key in a dict, keeping its keys sorted (the order Go prints a map in). */
static void dict_put(call *c, ed_tv *d, const char *key, ed_tv *value)
{
    size_t i = 0;
    while (i < d->len && strcmp(dict_key(d, i), key) < 0)
        i++;
    if (i < d->len && strcmp(dict_key(d, i), key) == 0) {
        d->items[i] = value;
        return;
    }
    ed_tv *k = ed_tv_new(c->pool, ED_TV_STR, key);
    ed_tv_add(d, k, value);
    memmove(d->keys + i + 1, d->keys + i, (d->len - 1 - i) * sizeof(ed_tv *));
    memmove(d->items + i + 1, d->items + i, (d->len - 1 - i) * sizeof(ed_tv *));
    d->keys[i] = k;
    d->items[i] = value;
}

static ed_tv *dict_get(const ed_tv *d, const char *key)
{
    if (d->kind != ED_TV_MAP)
        return NULL;
    for (size_t i = 0; i < d->len; i++)
        if (strcmp(dict_key(d, i), key) == 0)
            return d->items[i];
    return NULL;
}

static int fn_dict(call *c)
{
    ed_tv *d = new_dict(c);
    for (size_t i = 0; i < c->nargs; i += 2) {
        char *key = strval_dup(c->args[i]);
        dict_put(c, d, key, i + 1 < c->nargs ? c->args[i + 1] : ed_tv_new(c->pool, ED_TV_STR, ""));
        free(key);
    }
    *c->out = d;
    return 0;
}

static int fn_get(call *c)
{
    ed_tv *v = dict_get(c->args[0], str_arg(c, 1));
    *c->out = v ? v : ed_tv_new(c->pool, ED_TV_STR, "");
    return 0;
}

static int fn_set(call *c)
{
    ed_tv *d = c->args[0];
    if (d->kind == ED_TV_NIL)
        return fail(c, "assignment to entry in nil map", NULL);
    dict_put(c, d, str_arg(c, 1), c->args[2]);
    *c->out = d;
    return 0;
}

static int fn_unset(call *c)
{
    ed_tv *d = c->args[0];
    for (size_t i = 0; d->kind == ED_TV_MAP && i < d->len; i++)
        if (strcmp(dict_key(d, i), str_arg(c, 1)) == 0) {
            memmove(d->keys + i, d->keys + i + 1, (d->len - 1 - i) * sizeof(ed_tv *));
            memmove(d->items + i, d->items + i + 1, (d->len - 1 - i) * sizeof(ed_tv *));
            d->len--;
            break;
        }
    *c->out = d;
    return 0;
}

static int fn_has_key(call *c)
{
    *c->out = ed_tv_bool(c->pool, dict_get(c->args[0], str_arg(c, 1)) != NULL);
    return 0;
}

static int fn_pluck(call *c)
{
    ed_tv *l = new_list(c);
    for (size_t i = 1; i < c->nargs; i++) {
        ed_tv *v = dict_get(c->args[i], str_arg(c, 0));
        if (v)
            ed_tv_add(l, NULL, v);
    }
    *c->out = l;
    return 0;
}

/* keys of the dicts in order: Go's map order is random, eddy's is sorted (one of Go's). */
static int fn_keys(call *c)
{
    ed_tv *l = new_list(c);
    l->type = ED_TV_STRUCT_STRINGS;
    for (size_t k = 0; k < c->nargs; k++)
        for (size_t i = 0; c->args[k]->kind == ED_TV_MAP && i < c->args[k]->len; i++)
            ed_tv_add(l, NULL, c->args[k]->keys[i]);
    *c->out = l;
    return 0;
}

static int fn_values(call *c)
{
    ed_tv *l = new_list(c);
    for (size_t i = 0; c->args[0]->kind == ED_TV_MAP && i < c->args[0]->len; i++)
        ed_tv_add(l, NULL, c->args[0]->items[i]);
    *c->out = l;
    return 0;
}

static int pick_omit(call *c, bool pick)
{
    const ed_tv *d = c->args[0];
    ed_tv *r = new_dict(c);
    for (size_t i = 0; d->kind == ED_TV_MAP && i < d->len; i++) {
        bool named = false;
        for (size_t k = 1; k < c->nargs && !named; k++)
            named = strcmp(c->args[k]->s, dict_key(d, i)) == 0;
        if (named == pick)
            dict_put(c, r, dict_key(d, i), d->items[i]);
    }
    *c->out = r;
    return 0;
}

static int fn_pick(call *c)
{
    return pick_omit(c, true);
}

static int fn_omit(call *c)
{
    return pick_omit(c, false);
}

/* Go's panic for a failed type assertion v.(want). */
static int not_a(call *c, const ed_tv *v, const char *want)
{
    if (v->kind == ED_TV_NIL)
        snprintf(c->msg, c->msglen,
                 "error calling %s: interface conversion: interface {} is nil, "
                 "not %s",
                 c->name, want);
    else
        snprintf(c->msg, c->msglen,
                 "error calling %s: interface conversion: interface {} is %s, "
                 "not %s",
                 c->name, ed_tv_type_name(v), want);
    return -1;
}

/* dig KEY... DEFAULT DICT: the value under the keys, or DEFAULT where one is missing. */
static int fn_dig(call *c)
{
    if (c->nargs < 3)
        return fail(c, "dig needs at least three arguments", NULL);
    const ed_tv *d = c->args[c->nargs - 1];
    if (d->kind != ED_TV_MAP || d->type != ED_TV_STRUCT_DICT)
        return not_a(c, d, "map[string]interface {}");
    for (size_t i = 0; i + 2 < c->nargs; i++) {
        if (c->args[i]->kind != ED_TV_STR)
            return not_a(c, c->args[i], "string");
        ed_tv *v = dict_get(d, c->args[i]->s);
        if (!v) {
            *c->out = c->args[c->nargs - 2];
            return 0;
        }
        if (i + 3 == c->nargs) {
            *c->out = v;
            return 0;
        }
        if (v->kind != ED_TV_MAP || v->type != ED_TV_STRUCT_DICT)
            return not_a(c, v, "map[string]interface {}");
        d = v;
    }
    return 0;
}

/* ---- Go's escapers html, js and urlquery ---- */

/* text/template's evalArgs: one string as it is, else fmt.Sprint of the values (a space
 * between two operands neither of which is a string; nil is "<no value>", a string). */
static char *sprint_args(call *c)
{
    if (c->nargs == 1 && c->args[0]->kind == ED_TV_STR)
        return ed_xstrdup(c->args[0]->s);
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < c->nargs; i++) {
        const ed_tv *prev = i ? c->args[i - 1] : NULL, *v = c->args[i];
        bool prev_str = prev && (prev->kind == ED_TV_STR || prev->kind == ED_TV_NIL);
        bool str = v->kind == ED_TV_STR || v->kind == ED_TV_NIL;
        if (prev && !prev_str && !str)
            ed_buf_append(&b, " ", 1);
        ed_tv_print(&b, v, "<no value>");
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

static int fn_html(call *c)
{
    char *s = sprint_args(c);
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '"':
            ed_buf_append_str(&b, "&#34;");
            break;
        case '\'':
            ed_buf_append_str(&b, "&#39;");
            break;
        case '&':
            ed_buf_append_str(&b, "&amp;");
            break;
        case '<':
            ed_buf_append_str(&b, "&lt;");
            break;
        case '>':
            ed_buf_append_str(&b, "&gt;");
            break;
        default:
            ed_buf_append(&b, p, 1);
        }
    }
    free(s);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* JSEscape: \ ' " as \\ \' \", < > & = and control characters as \u00XX, other runes that
 * unicode.IsPrint refuses (non-ASCII spaces, format characters) as \uXXXX. */
static int fn_js(call *c)
{
    char *s = sprint_args(c);
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned char ch = *p;
        if (ch < 0x80) {
            if (ch == '\\' || ch == '\'' || ch == '"')
                ed_buf_printf(&b, "\\%c", ch);
            else if (ch == '<' || ch == '>' || ch == '&' || ch == '=' || ch < ' ')
                ed_buf_printf(&b, "\\u00%02X", ch);
            else
                ed_buf_append(&b, p, 1);
            p++;
            continue;
        }
        int32_t r;
        size_t n = rune_decode(p, &r);
        bool printable = !rune_is_space(r) && r != 0xFFFD && letters() &&
                         iswprint_l((wint_t)r, letters()) && !(r >= 0x200B && r <= 0x200F) &&
                         !(r >= 0x202A && r <= 0x202E) && !(r >= 0x2060 && r <= 0x2064) &&
                         r != 0xFEFF && r != 0xAD;
        if (n == 1 && r == 0xFFFD)
            ed_buf_append_str(&b, "\\uFFFD");
        else if (printable)
            ed_buf_append(&b, p, n);
        else
            ed_buf_printf(&b, "\\u%04X", (unsigned)r);
        p += n;
    }
    free(s);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* url.QueryEscape: letters, digits and -_.~ as they are, ' ' as '+', other bytes %XX. */
static int fn_urlquery(call *c)
{
    char *s = sprint_args(c);
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((isalnum(*p) && *p < 0x80) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            ed_buf_append(&b, p, 1);
        else if (*p == ' ')
            ed_buf_append(&b, "+", 1);
        else
            ed_buf_printf(&b, "%%%02X", *p);
    }
    free(s);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* ---- more JSON (sprig's toRawJson, toPrettyJson, must* forms) and defaults ---- */

/* The first value json.Marshal cannot write (a map with struct keys: update.ObjectChanges). */
static const ed_tv *json_unsupported(const ed_tv *v)
{
    if (!v || (v->kind != ED_TV_LIST && v->kind != ED_TV_MAP && v->kind != ED_TV_OBJ))
        return NULL;
    for (size_t i = 0; i < v->len; i++) {
        if (v->kind == ED_TV_MAP && v->keys[i]->kind != ED_TV_STR)
            return v;
        if (v->kind == ED_TV_OBJ && v->type == ED_TV_STRUCT_RESULT &&
            strcmp(v->keys[i]->s, "FileChanges") != 0)
            continue; /* methods in Go */
        const ed_tv *bad = json_unsupported(v->items[i]);
        if (bad)
            return bad;
    }
    return NULL;
}

/* Go's json.Indent with "" and "  " over compact JSON: a newline and indentation after an
 * opening bracket (not of an empty one) and each comma, ": " between key and value. */
static void json_indent(ed_buf *b, const char *s)
{
    int depth = 0;
    bool in_str = false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (in_str) {
            ed_buf_append(b, p, 1);
            if (ch == '\\' && p[1])
                ed_buf_append(b, ++p, 1);
            else if (ch == '"')
                in_str = false;
            continue;
        }
        if (ch == '"') {
            in_str = true;
            ed_buf_append(b, p, 1);
        } else if ((ch == '{' || ch == '[') && (p[1] == '}' || p[1] == ']')) {
            ed_buf_append(b, p, 2);
            p++;
        } else if (ch == '{' || ch == '[' || ch == ',') {
            depth += ch != ',';
            ed_buf_append(b, p, 1);
            ed_buf_append(b, "\n", 1);
            for (int i = 0; i < depth; i++)
                ed_buf_append(b, "  ", 2);
        } else if (ch == '}' || ch == ']') {
            depth--;
            ed_buf_append(b, "\n", 1);
            for (int i = 0; i < depth; i++)
                ed_buf_append(b, "  ", 2);
            ed_buf_append(b, p, 1);
        } else if (ch == ':') {
            ed_buf_append(b, ": ", 2);
        } else {
            ed_buf_append(b, p, 1);
        }
    }
}

/* The compact JSON with <, > and & as they are (an Encoder without SetEscapeHTML). */
static void json_unescape_html(ed_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1] == 'u' &&
            (strncmp(p + 2, "003c", 4) == 0 || strncmp(p + 2, "003e", 4) == 0 ||
             strncmp(p + 2, "0026", 4) == 0)) {
            ed_buf_append(b, p[5] == 'c' ? "<" : p[5] == 'e' ? ">" : "&", 1);
            p += 5;
        } else if (*p == '\\' && p[1]) {
            ed_buf_append(b, p, 2);
            p++;
        } else {
            ed_buf_append(b, p, 1);
        }
    }
}

/* toJson's family: 'c' compact (HTML-safe), 'r' raw, 'p' pretty; toJson and toPrettyJson give ""
 * for what cannot be written, the others fail with encoding/json's error. */
static int json_fn(call *c, char mode, bool must)
{
    const ed_tv *bad = json_unsupported(c->args[0]);
    if (bad && !must)
        return ret_str_take(c, ed_xstrdup(""));
    if (bad) {
        snprintf(c->msg, c->msglen, "error calling %s: json: unsupported type: %s", c->name,
                 ed_tv_type_name(bad));
        return -1;
    }
    ed_buf compact = ED_BUF_INIT((size_t)1 << 24);
    if (!json_write(&compact, c->args[0])) {
        ed_buf_free(&compact);
        return ret_str_take(c, ed_xstrdup("")); /* (defensive: json_unsupported found none) */
    }
    char *s = ed_buf_take(&compact);
    ed_buf_free(&compact);
    if (mode == 'c')
        return ret_str_take(c, s);
    ed_buf b = ED_BUF_INIT((size_t)1 << 25);
    if (mode == 'r')
        json_unescape_html(&b, s);
    else
        json_indent(&b, s);
    free(s);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

static int fn_must_to_json(call *c)
{
    return json_fn(c, 'c', true);
}

static int fn_to_raw_json(call *c)
{
    return json_fn(c, 'r', true); /* toRawJson panics on what it cannot write */
}

static int fn_to_pretty_json(call *c)
{
    return json_fn(c, 'p', strcmp(c->name, "mustToPrettyJson") == 0);
}

static int fn_all_any(call *c)
{
    bool any = strcmp(c->name, "any") == 0, r = !any;
    for (size_t i = 0; i < c->nargs; i++)
        if (ed_tv_truthy(c->args[i]) == any) {
            r = any;
            break;
        }
    *c->out = ed_tv_bool(c->pool, r);
    return 0;
}

static int fn_hello(call *c)
{
    *c->out = ed_tv_new(c->pool, ED_TV_STR, "Hello!");
    return 0;
}

static int fn_fail(call *c)
{
    return fail(c, str_arg(c, 0), NULL);
}

/* A copy of v whose dicts and lists are new (set on the copy leaves v as it is). */
static ed_tv *deep_copy(call *c, const ed_tv *v)
{
    if (v->kind != ED_TV_LIST && v->kind != ED_TV_MAP)
        return (ed_tv *)v;
    ed_tv *r = ed_tv_new(c->pool, v->kind, v->s);
    r->type = v->type;
    r->is_nil = v->is_nil;
    for (size_t i = 0; i < v->len; i++)
        ed_tv_add(r, v->keys ? v->keys[i] : NULL, deep_copy(c, v->items[i]));
    return r;
}

static int fn_deep_copy(call *c)
{
    if (c->args[0]->kind == ED_TV_NIL)
        return fail(c, "reflect: call of reflect.Value.Type on zero Value", NULL);
    *c->out = deep_copy(c, c->args[0]);
    return 0;
}

/* ---- semverCompare (Masterminds semver, as sprig calls it; eddy's ImagePolicy ranges) ---- */

static int fn_semver_compare(call *c)
{
    const char *range = str_arg(c, 0), *version = str_arg(c, 1);
    ed_semver_range *r = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_semver_range_parse(range, &r, &err) != 0) {
        /* NewConstraint names the first ||-alternative that does not parse alone */
        const char *alt = range;
        for (;;) {
            const char *bar = strstr(alt, "||");
            char *one = ed_xstrndup(alt, bar ? (size_t)(bar - alt) : strlen(alt));
            ed_semver_range *r1 = NULL;
            int bad = ed_semver_range_parse(one, &r1, &err);
            ed_semver_range_free(r1);
            if (bad || !bar) {
                snprintf(c->msg, c->msglen, "error calling semverCompare: improper constraint: %s",
                         one);
                free(one);
                return -1;
            }
            free(one);
            alt = bar + 2;
        }
    }
    ed_semver v;
    if (ed_semver_parse(version, &v) != 0) {
        ed_semver_range_free(r);
        return fail(c, "Invalid Semantic Version", NULL);
    }
    *c->out = ed_tv_bool(c->pool, ed_semver_range_match(r, &v));
    ed_semver_range_free(r);
    return 0;
}

/* ---- merge, mergeOverwrite (mergo.Merge into the first dict, as sprig calls it) ---- */

/*
 * Merge src into dst: a key dst lacks, or holds an empty value for, takes src's value; with
 * overwrite, every key src has a value for does; two dicts under one key merge key by key
 * (dst's dict stays). false past 32 nested dicts (eddy's bound; sprig's merge then gives "").
 */
static bool merge_into(call *c, ed_tv *dst, const ed_tv *src, bool overwrite, int depth)
{
    if (depth > 32)
        return false;
    for (size_t i = 0; i < src->len; i++) {
        const char *k = dict_key(src, i);
        ed_tv *sv = src->items[i], *dv = dict_get(dst, k);
        if (sv->kind == ED_TV_NIL) {
            if (overwrite)
                dict_put(c, dst, k, sv);
            continue;
        }
        bool dicts = sv->kind == ED_TV_MAP && sv->type == ED_TV_STRUCT_DICT && dv &&
                     dv->kind == ED_TV_MAP && dv->type == ED_TV_STRUCT_DICT;
        if (dicts && !merge_into(c, dv, sv, overwrite, depth + 1))
            return false;
        if (dicts && ed_tv_truthy(dv))
            continue;
        if (overwrite || !dv || !ed_tv_truthy(dv))
            dict_put(c, dst, k, sv);
    }
    return true;
}

/* merge and mergeOverwrite (and their must forms, which mergo gives no error to here). */
static int fn_merge(call *c)
{
    bool overwrite = strstr(c->name, "Overwrite") != NULL;
    ed_tv *dst = c->args[0]->kind == ED_TV_NIL ? new_dict(c) : c->args[0];
    for (size_t i = 1; i < c->nargs; i++) {
        if (c->args[i]->kind == ED_TV_NIL)
            continue;
        if (!merge_into(c, dst, c->args[i], overwrite, 0))
            return ret_str_take(c, ed_xstrdup(""));
    }
    *c->out = dst;
    return 0;
}

/* ---- toDecimal, duration, and sprig's random randInt and shuffle ---- */

/* toDecimal: the value as fmt prints it, read as an octal integer (0 when it is not one). */
static int fn_to_decimal(call *c)
{
    char *s = strval_dup(c->args[0]);
    const char *p = s + (*s == '+' || *s == '-');
    uint64_t v = 0, limit = *s == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool ok = *p != '\0';
    for (; ok && *p; p++) {
        ok = *p >= '0' && *p <= '7' && v <= (limit - (uint64_t)(*p - '0')) / 8;
        if (ok)
            v = v * 8 + (uint64_t)(*p - '0');
    }
    int64_t r = !ok ? 0 : *s == '-' ? (int64_t)(0 - v) : (int64_t)v;
    free(s);
    *c->out = num_typed(c, r, ED_TV_STRUCT_INT64);
    return 0;
}

/* The digits of v's last prec decimal places, trailing zeros dropped, after a '.' (Go's
 * Duration.String's fraction); v is divided by 10^prec. */
static void duration_frac(ed_buf *b, uint64_t *v, int prec)
{
    char digits[16];
    int n = 0;
    bool any = false;
    for (int i = 0; i < prec; i++) {
        unsigned d = (unsigned)(*v % 10);
        any = any || d != 0;
        if (any)
            digits[n++] = (char)('0' + d);
        *v /= 10;
    }
    if (n) {
        ed_buf_append(b, ".", 1);
        for (int i = n; i > 0; i--)
            ed_buf_append(b, &digits[i - 1], 1);
    }
}

/* time.Duration(ns).String(): "1h2m3.5s", "1.5ms", "0s". */
static char *duration_string(int64_t ns)
{
    if (ns == 0)
        return ed_xstrdup("0s");
    bool neg = ns < 0;
    uint64_t u = neg ? 0 - (uint64_t)ns : (uint64_t)ns;
    ed_buf b = ED_BUF_INIT(128);
    if (neg)
        ed_buf_append(&b, "-", 1);
    if (u < 1000000000u) {
        const char *unit = u < 1000u ? "ns" : u < 1000000u ? "\xc2\xb5s" : "ms";
        int prec = u < 1000u ? 0 : u < 1000000u ? 3 : 6;
        ed_buf frac = ED_BUF_INIT(32);
        duration_frac(&frac, &u, prec);
        ed_buf_printf(&b, "%" PRIu64 "%.*s%s", u, (int)frac.len, frac.data ? frac.data : "", unit);
        ed_buf_free(&frac);
    } else {
        ed_buf frac = ED_BUF_INIT(32);
        duration_frac(&frac, &u, 9);
        uint64_t sec = u % 60, min = (u / 60) % 60, hours = u / 3600;
        if (hours)
            ed_buf_printf(&b, "%" PRIu64 "h", hours);
        if (hours || min)
            ed_buf_printf(&b, "%" PRIu64 "m", min);
        ed_buf_printf(&b, "%" PRIu64 "%.*ss", sec, (int)frac.len, frac.data ? frac.data : "");
        ed_buf_free(&frac);
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

/* duration: seconds (an int64, or a string of a decimal integer; anything else is 0) as Go's
 * Duration prints them. */
static int fn_duration(call *c)
{
    const ed_tv *v = c->args[0];
    int64_t n = 0;
    if (v->kind == ED_TV_NUM && v->type == ED_TV_STRUCT_INT64) {
        n = v->n;
    } else if (v->kind == ED_TV_STR) {
        n = atoi_go(v->s);
    }
    /* Go multiplies by a second in int64 arithmetic, wrapping */
    return ret_str_take(c, duration_string((int64_t)((uint64_t)n * 1000000000u)));
}

/* Go's time.ParseDuration: [-+] then numbers with a unit each ("1h30m", "1.5s", "300ms");
 * false when s is not a duration or overflows one. */
static bool parse_duration(const char *s, int64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"ns", 1},       {"us", 1000},      {"\u00b5s", 1000},  {"\u03bcs", 1000},
                 {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000}};
    const uint64_t limit = (uint64_t)1 << 63;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    if (!*s)
        return false;
    uint64_t d = 0;
    while (*s) {
        if (*s != '.' && !isdigit((unsigned char)*s))
            return false;
        uint64_t v = 0, f = 0;
        double scale = 1;
        const char *p = s;
        for (; isdigit((unsigned char)*s); s++) {
            if (v > limit / 10)
                return false;
            v = v * 10 + (uint64_t)(*s - '0');
            if (v > limit)
                return false;
        }
        bool pre = s != p, post = false;
        if (*s == '.') {
            p = ++s;
            bool overflow = false;
            for (; isdigit((unsigned char)*s); s++) {
                if (overflow)
                    continue;
                if (f > (limit - 1) / 10) {
                    overflow = true;
                    continue;
                }
                uint64_t y = f * 10 + (uint64_t)(*s - '0');
                if (y > limit) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = s != p;
        }
        if (!pre && !post)
            return false;
        p = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strlen(units[i].unit) == (size_t)(s - p) &&
                strncmp(units[i].unit, p, (size_t)(s - p)) == 0)
                unit = units[i].ns;
        if (!unit || v > limit / unit)
            return false;
        v *= unit;
        if (f > 0) {
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > limit)
                return false;
        }
        d += v;
        if (d > limit)
            return false;
    }
    if (!neg && d > limit - 1)
        return false;
    *out = neg ? (int64_t)(0 - d) : (int64_t)d;
    return true;
}

static int64_t since_value(const ed_tv *v);

/* durationRound: a Go duration (a string ParseDuration reads, 0 when it cannot, or an int64 of
 * nanoseconds; anything else is 0) in its largest whole unit past one: "2h", "3mo" (30 days),
 * "1y" (365 days), without its sign; "0s" up to a second. */
static int fn_duration_round(call *c)
{
    const ed_tv *v = c->args[0];
    int64_t d = 0;
    if (v->kind == ED_TV_STR && !parse_duration(v->s, &d))
        d = 0;
    else if (v->kind == ED_TV_NUM && v->type == ED_TV_STRUCT_INT64)
        d = v->n;
    else if (v->kind == ED_TV_OBJ && v->type == ED_TV_STRUCT_TIME)
        d = since_value(v);
    uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    static const struct {
        uint64_t ns;
        const char *unit;
    } steps[] = {{31536000000000000, "y"}, {2592000000000000, "mo"}, {86400000000000, "d"},
                 {3600000000000, "h"},     {60000000000, "m"},       {1000000000, "s"}};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (u > steps[i].ns)
            return ret_str_take(c, ed_xasprintf("%" PRIu64 "%s", u / steps[i].ns, steps[i].unit));
    return ret_str_take(c, ed_xstrdup("0s"));
}

/* ---- dates: time.Time values (gotime.c) ---- */

/* A time.Time value: its methods without arguments as fields (String, Year, Day, Hour,
 * Minute, Second, Nanosecond, YearDay in its zone; Unix... since the epoch; IsZero). */
static ed_tv *time_value(ed_tv_pool *pool, const ed_go_time *t)
{
    char *str = ed_go_time_string(t);
    ed_tv *o = ed_tv_new(pool, ED_TV_OBJ, str);
    o->type = ED_TV_STRUCT_TIME;
    o->time = *t;
    ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, "String"), ed_tv_new(pool, ED_TV_STR, str));
    free(str);
    static const char *const parts[][2] = {{"Year", "2006"}, {"Day", "2"},    {"Hour", "15"},
                                           {"Minute", "4"},  {"Second", "5"}, {"YearDay", "002"}};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        ed_buf b = ED_BUF_INIT(64);
        ed_go_time_format(&b, t, parts[i][1]);
        char *text = ed_buf_take(&b);
        ed_buf_free(&b);
        ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, parts[i][0]),
                  ed_tv_num(pool, strtoll(text, NULL, 10)));
        free(text);
    }
    ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, "Nanosecond"), ed_tv_num(pool, t->nsec));
    /* (UnixNano wraps past 1678 and 2262, as Go's arithmetic does) */
    const int64_t unix[][2] = {{t->sec, 1},
                               {t->sec * 1000, t->nsec / 1000000},
                               {t->sec * 1000000, t->nsec / 1000},
                               {(int64_t)((uint64_t)t->sec * 1000000000u), t->nsec}};
    static const char *const unix_names[] = {"Unix", "UnixMilli", "UnixMicro", "UnixNano"};
    for (size_t i = 0; i < 4; i++) {
        ed_tv *n = ed_tv_num(pool, i == 0 ? t->sec
                                          : (int64_t)((uint64_t)unix[i][0] + (uint64_t)unix[i][1]));
        n->type = ED_TV_STRUCT_INT64;
        ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, unix_names[i]), n);
    }
    ed_go_time zero;
    ed_go_time_zero(&zero);
    ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, "IsZero"),
              ed_tv_bool(pool, t->sec == zero.sec && t->nsec == 0));
    return o;
}

ed_tv *ed_tv_time_method(ed_tv_pool *p, const ed_tv *v, const char *name, size_t n)
{
    if (v->kind != ED_TV_OBJ || v->type != ED_TV_STRUCT_TIME ||
        !((n == 3 && strncmp(name, "UTC", 3) == 0) || (n == 5 && strncmp(name, "Local", 5) == 0)))
        return NULL;
    ed_go_time t = v->time; /* Local is UTC: both are the instant in UTC */
    t.offset = 0;
    snprintf(t.zone, sizeof(t.zone), "UTC");
    return time_value(p, &t);
}

/* toDate and mustToDate: the string read with Go's layout in Local (UTC); toDate gives Go's
 * zero time for what does not parse, mustToDate time.ParseError's words. */
static int fn_to_date(call *c)
{
    ed_go_time t;
    char *err;
    if (ed_go_time_parse(str_arg(c, 0), str_arg(c, 1), &t, &err) < 0) {
        if (strcmp(c->name, "mustToDate") == 0) {
            int rc = fail(c, err, NULL);
            free(err);
            return rc;
        }
        free(err);
        ed_go_time_zero(&t);
    }
    *c->out = time_value(c->pool, &t);
    return 0;
}

static int fn_unix_epoch(call *c)
{
    return ret_str_take(c, ed_xasprintf("%" PRId64, c->args[0]->time.sec));
}

/* t moved by d nanoseconds (Time.Add). */
static ed_go_time time_add(ed_go_time t, int64_t d)
{
    int64_t ns = (int64_t)t.nsec + d % 1000000000;
    t.sec += d / 1000000000 + (ns >= 1000000000) - (ns < 0);
    t.nsec = (int32_t)(ns >= 1000000000 ? ns - 1000000000 : ns < 0 ? ns + 1000000000 : ns);
    return t;
}

/* mustDateModify: the time moved by a Go duration ("-1.5h"), or ParseDuration's error. */
static int fn_must_date_modify(call *c)
{
    int64_t d;
    if (!parse_duration(str_arg(c, 0), &d)) {
        char *err = ed_duration_error(str_arg(c, 0));
        int rc = fail(c, err, NULL);
        free(err);
        return rc;
    }
    ed_go_time t = time_add(c->args[1]->time, d);
    *c->out = time_value(c->pool, &t);
    return 0;
}

/* time.Since(t): now less t in nanoseconds, held at Go's int64 bounds (Time.Sub). */
static int64_t since(const ed_go_time *t)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* seconds apart fit in an int64 for any year Go reads; their nanoseconds may not */
    int64_t secs = (int64_t)now.tv_sec - t->sec, ns = (int64_t)now.tv_nsec - t->nsec;
    if (secs > INT64_MAX / 1000000000 - 1)
        return INT64_MAX;
    if (secs < INT64_MIN / 1000000000 + 1)
        return INT64_MIN;
    return secs * 1000000000 + ns;
}

/* Duration.Round(time.Second): halves away from zero, held at the bounds. */
static int64_t round_second(int64_t d)
{
    const int64_t m = 1000000000;
    int64_t r = d % m;
    if (d < 0) {
        r = -r;
        if (r + r < m)
            return d + r;
        return d >= INT64_MIN + m - r ? d - m + r : INT64_MIN;
    }
    if (r + r < m)
        return d - r;
    return d <= INT64_MAX - (m - r) ? d + m - r : INT64_MAX;
}

/* ago: how long since a time.Time (or an int or int64 of Unix seconds; anything else is now),
 * to the second, as a Go duration. Depends on the clock, as in Flux. */
static int64_t since_value(const ed_tv *v)
{
    ed_go_time t = {0};
    if (v->kind == ED_TV_OBJ && v->type == ED_TV_STRUCT_TIME)
        t = v->time;
    else if (v->kind == ED_TV_NUM && v->type != ED_TV_STRUCT_UINT64)
        t.sec = v->n;
    else
        return 0;
    return since(&t);
}

static int fn_ago(call *c)
{
    return ret_str_take(c, duration_string(round_second(since_value(c->args[0]))));
}

/* A uniformly random integer in [0, n), n > 0. */
static uint64_t random_below(uint64_t n)
{
    if (n <= UINT32_MAX)
        return arc4random_uniform((uint32_t)n);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;
    do {
        r = ((uint64_t)arc4random() << 32) | arc4random();
    } while (r >= limit);
    return r % n;
}

/* randInt min max: a random int in [min, max) (Flux's is random too: no two runs agree). */
static int fn_rand_int(call *c)
{
    int64_t lo = int_arg(c, 0), hi = int_arg(c, 1);
    if (hi <= lo || (lo < 0 && hi > INT64_MAX + lo))
        return fail(c, "invalid argument to Intn", NULL);
    *c->out = ed_tv_num(c->pool, lo + (int64_t)random_below((uint64_t)(hi - lo)));
    return 0;
}

/* shuffle: the string's runes in a random order. */
static int fn_shuffle(call *c)
{
    const unsigned char *s = (const unsigned char *)str_arg(c, 0);
    size_t n = 0;
    for (const unsigned char *p = s; *p; p += rune_len(p))
        n++;
    const unsigned char **runes = ed_xcalloc(n ? n : 1, sizeof(*runes));
    size_t k = 0;
    for (const unsigned char *p = s; *p; p += rune_len(p))
        runes[k++] = p;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)random_below(i);
        const unsigned char *t = runes[i - 1];
        runes[i - 1] = runes[j];
        runes[j] = t;
    }
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    for (size_t i = 0; i < n; i++)
        ed_buf_append(&b, runes[i], rune_len(runes[i]));
    free(runes);
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return ret_str_take(c, out);
}

/* ---- float math: float64 floor ceil round maxf minf, and the decimal addf add1f subf mulf
 * divf ---- */

/* cast.ToFloat64: ints, bools (1, 0), floats, strings as strconv.ParseFloat reads them (0 when
 * it cannot); anything else 0. */
static double to_float64(const ed_tv *v)
{
    switch (v->kind) {
    case ED_TV_FLOAT:
        return v->f;
    case ED_TV_NUM:
    case ED_TV_BOOL:
        return (double)v->n;
    case ED_TV_STR: {
        const char *s = v->s, *digits = s + (*s == '+' || *s == '-');
        /* ParseFloat: no white space, hex only with a 'p' exponent, no C "nan(...)" */
        if (!*s || isspace((unsigned char)*s) ||
            ((digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) && !strpbrk(s, "pP")) ||
            strchr(s, '('))
            return 0;
        /* '_' between digits (or after 0x) as Go's literals allow it */
        char *copy = ed_xstrdup(s), *end;
        size_t n = 0;
        for (size_t i = 0; s[i]; i++) {
            if (s[i] != '_') {
                copy[n++] = s[i];
                continue;
            }
            if (i == 0 || !isxdigit((unsigned char)s[i + 1]) ||
                !(isxdigit((unsigned char)s[i - 1]) || s[i - 1] == 'x' || s[i - 1] == 'X')) {
                free(copy);
                return 0;
            }
        }
        copy[n] = '\0';
        errno = 0;
        double f = strtod(copy, &end);
        bool bad = *end || (errno == ERANGE && isinf(f));
        free(copy);
        return bad ? 0 : f;
    }
    default:
        return 0;
    }
}

static int ret_float(call *c, double f)
{
    *c->out = ed_tv_float(c->pool, f);
    return 0;
}

static int fn_float64(call *c)
{
    return ret_float(c, to_float64(c->args[0]));
}

static int fn_floor(call *c)
{
    return ret_float(c, floor(to_float64(c->args[0])));
}

static int fn_ceil(call *c)
{
    return ret_float(c, ceil(to_float64(c->args[0])));
}

/* sprig's round: up from the fraction roundOn (0.5 unless given) at p decimal places. */
static int fn_round(call *c)
{
    double on = c->nargs > 2 ? to_float64(c->args[2]) : 0.5;
    double pow10 = pow(10, (double)c->args[1]->n), digit = pow10 * to_float64(c->args[0]);
    double whole;
    double frac = modf(digit, &whole);
    return ret_float(c, (frac >= on ? ceil(digit) : floor(digit)) / pow10);
}

/* maxf, minf: math.Max and math.Min over the values as floats (NaN wins, +0 over -0). */
static int fn_max_min_f(call *c)
{
    bool max = strcmp(c->name, "maxf") == 0;
    double r = to_float64(c->args[0]);
    for (size_t i = 1; i < c->nargs; i++) {
        double x = to_float64(c->args[i]);
        if (isnan(r) || isnan(x))
            r = NAN;
        else if (x == r && x == 0)
            r = (signbit(x) != max) ? x : r;
        else if (max ? x > r : x < r)
            r = x;
    }
    return ret_float(c, r);
}

/* A decimal as shopspring's decimal holds one: m x 10^e. */
typedef struct decimal {
    BIGNUM *m;
    int e;
} decimal;

/* decimal.NewFromFloat: the shortest digits that read back as f. */
static int decimal_from(call *c, double f, decimal *d, BN_CTX *ctx)
{
    (void)ctx;
    d->m = BN_new();
    d->e = 0;
    if (!d->m)
        abort(); /* out of memory */
    if (isnan(f) || isinf(f)) {
        snprintf(c->msg, c->msglen, "error calling %s: Cannot create a Decimal from %s", c->name,
                 isnan(f) ? "NaN"
                 : f > 0  ? "+Inf"
                          : "-Inf");
        return -1;
    }
    if (f == 0)
        return 0;
    char digits[32];
    int dp;
    size_t n = float_digits(f, digits, &dp);
    if (!BN_dec2bn(&d->m, digits))
        abort();
    BN_set_negative(d->m, f < 0);
    d->e = dp - (int)n;
    return 0;
}

/* m times 10^k (k >= 0), in place. */
static void bn_scale(BIGNUM *m, int k, BN_CTX *ctx)
{
    BIGNUM *p = BN_new(), *ten = BN_new(), *exp = BN_new();
    if (!p || !ten || !exp || !BN_set_word(ten, 10) || !BN_set_word(exp, (BN_ULONG)k) ||
        !BN_exp(p, ten, exp, ctx) || !BN_mul(m, m, p, ctx))
        abort();
    BN_free(p);
    BN_free(ten);
    BN_free(exp);
}

/* The float64 nearest to d (Decimal.Float64). */
static double decimal_float(const decimal *d)
{
    char *m = BN_bn2dec(d->m);
    if (!m)
        abort();
    char *s = ed_xasprintf("%se%d", m, d->e);
    double f = strtod(s, NULL);
    OPENSSL_free(m);
    free(s);
    return f;
}

/* d op x (op '+', '-', '*', '/': Div rounds to 16 decimal places, half away from zero), into
 * d. */
static int decimal_op(call *c, decimal *d, decimal *x, char op, BN_CTX *ctx)
{
    if (op == '*') {
        if (!BN_mul(d->m, d->m, x->m, ctx))
            abort();
        d->e += x->e;
        return 0;
    }
    if (op == '/') {
        if (BN_is_zero(x->m)) {
            snprintf(c->msg, c->msglen, "error calling %s: decimal division by 0", c->name);
            return -1;
        }
        int k = d->e + 16 - x->e;
        BIGNUM *b = BN_dup(x->m), *q = BN_new(), *r = BN_new();
        if (!b || !q || !r)
            abort();
        if (k >= 0)
            bn_scale(d->m, k, ctx);
        else
            bn_scale(b, -k, ctx);
        if (!BN_div(q, r, d->m, b, ctx))
            abort();
        /* 2|r| >= |b|: away from zero */
        BN_set_negative(r, 0);
        if (!BN_lshift1(r, r))
            abort();
        bool neg = BN_is_negative(d->m) != BN_is_negative(b);
        BN_set_negative(b, 0);
        if (BN_cmp(r, b) >= 0 && !(neg ? BN_sub_word(q, 1) : BN_add_word(q, 1)))
            abort();
        BN_free(d->m);
        d->m = q;
        d->e = -16;
        BN_free(b);
        BN_free(r);
        return 0;
    }
    /* + and -: at the smaller exponent */
    if (d->e > x->e) {
        bn_scale(d->m, d->e - x->e, ctx);
        d->e = x->e;
    } else if (x->e > d->e) {
        bn_scale(x->m, x->e - d->e, ctx);
        x->e = d->e;
    }
    if (!(op == '+' ? BN_add(d->m, d->m, x->m) : BN_sub(d->m, d->m, x->m)))
        abort();
    return 0;
}

/* sprig's execDecimalOp: the first value, then op with each other one, in decimal (so addf
 * 0.1 0.2 is 0.3), as a float64. addf starts from 0, add1f adds 1. */
static int fn_decimal(call *c)
{
    char op = '/';
    if (strcmp(c->name, "addf") == 0 || strcmp(c->name, "add1f") == 0)
        op = '+';
    else if (strcmp(c->name, "subf") == 0)
        op = '-';
    else if (strcmp(c->name, "mulf") == 0)
        op = '*';
    BN_CTX *ctx = BN_CTX_new();
    if (!ctx)
        abort();
    bool add1 = strcmp(c->name, "add1f") == 0, from_zero = strcmp(c->name, "addf") == 0;
    size_t n = c->nargs + (add1 || from_zero);
    decimal acc = {0}, x = {0};
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        double f = from_zero        ? (i == 0 ? 0 : to_float64(c->args[i - 1]))
                   : add1 && i == 1 ? 1
                                    : to_float64(c->args[i]);
        if (i == 0) {
            rc = decimal_from(c, f, &acc, ctx);
            continue;
        }
        rc = decimal_from(c, f, &x, ctx);
        if (!rc)
            rc = decimal_op(c, &acc, &x, op, ctx);
        BN_free(x.m);
        x.m = NULL;
    }
    double r = rc ? 0 : decimal_float(&acc);
    BN_free(acc.m);
    BN_free(x.m);
    BN_CTX_free(ctx);
    return rc ? rc : ret_float(c, r);
}

/* ---- fromJson: encoding/json's Unmarshal into an interface{} ---- */

/* A parsed JSON node as Go's decoder gives it: objects as map[string]interface {} (sprig's
 * dict), arrays as []interface {}, every number a float64, null nil. */
static ed_tv *from_json_node(call *c, const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_BOOL: {
        bool b = false;
        ed_node_bool(n, &b);
        return ed_tv_bool(c->pool, b);
    }
    case ED_NODE_INT: {
        int64_t i = 0;
        ed_node_int(n, &i);
        return ed_tv_float(c->pool, (double)i);
    }
    case ED_NODE_FLOAT: {
        double f = 0;
        ed_node_float(n, &f, NULL);
        return ed_tv_float(c->pool, f);
    }
    case ED_NODE_STR:
        return ed_tv_new(c->pool, ED_TV_STR, ed_node_str(n));
    case ED_NODE_SEQ: {
        ed_tv *l = new_list(c);
        for (size_t i = 0; i < ed_node_len(n); i++)
            ed_tv_add(l, NULL, from_json_node(c, ed_node_at(n, i)));
        return l;
    }
    case ED_NODE_MAP: {
        ed_tv *d = new_dict(c);
        for (size_t i = 0; i < ed_node_len(n); i++)
            dict_put(c, d, ed_node_key_at(n, i), from_json_node(c, ed_node_value_at(n, i)));
        return d;
    }
    case ED_NODE_NULL:
        break;
    }
    return ed_tv_new(c->pool, ED_TV_NIL, NULL);
}

/* fromJson: the value, or nil when the text is not JSON; mustFromJson fails then (in Go's
 * words for a text cut short, in the JSON parser's otherwise: a deliberate difference). */
static int fn_from_json(call *c)
{
    const char *s = str_arg(c, 0);
    ed_doc *doc = NULL;
    ed_err err = ED_ERR_INIT;
    const char *p = s;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    int rc = *p ? ed_doc_parse_api_json(s, strlen(s), &doc, &err) : ED_EINVALID;
    if (rc == 0) {
        *c->out = from_json_node(c, ed_doc_root(doc));
        ed_doc_free(doc);
        return 0;
    }
    if (strcmp(c->name, "mustFromJson") != 0) {
        *c->out = ed_tv_new(c->pool, ED_TV_NIL, NULL);
        return 0;
    }
    /* a text cut short is Go's "unexpected end"; what else is wrong, in eddy's parser's words */
    bool cut = !*p || strstr(err.msg, "ends inside") != NULL;
    return fail(c, cut ? "unexpected end of JSON input" : err.msg, NULL);
}

/* ---- semver: Masterminds' NewVersion ---- */

/* sprig's urlParse: the parts of a URL as url.Parse reads it, in a dict; a URL it refuses
 * panics with url.Error's text. */
static int fn_url_parse(call *c)
{
    ed_go_url u;
    char *err;
    if (ed_go_url_parse(str_arg(c, 0), &u, &err) < 0) {
        int rc = fail(c, "unable to parse url: ", err);
        free(err);
        return rc;
    }
    char *hostname = ed_go_url_hostname(&u), *userinfo = ed_go_url_userinfo(&u);
    const char *const parts[][2] = {
        {"scheme", u.scheme},     {"host", u.host},       {"hostname", hostname},
        {"path", u.path},         {"query", u.raw_query}, {"opaque", u.opaque},
        {"fragment", u.fragment}, {"userinfo", userinfo},
    };
    ed_tv *d = new_dict(c);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        dict_put(c, d, parts[i][0], ed_tv_new(c->pool, ED_TV_STR, parts[i][1] ? parts[i][1] : ""));
    free(hostname);
    free(userinfo);
    ed_go_url_free(&u);
    *c->out = d;
    return 0;
}

/* A string of urlJoin's dict (sprig's dictGetOrEmpty): absent is empty, another kind panics. */
static int url_part(call *c, const char *key, char **out)
{
    const ed_tv *v = c->args[0]->kind == ED_TV_MAP ? dict_get(c->args[0], key) : NULL;
    if (v && v->kind == ED_TV_NIL)
        return nil_deref(c);
    if (v && v->kind != ED_TV_STR) {
        char *what = ed_xasprintf("unable to parse %s key, must be of type string, but ", key);
        char *found = ed_xasprintf("%s found", kind_name(v));
        int rc = fail(c, what, found);
        free(what);
        free(found);
        return rc;
    }
    *out = ed_xstrdup(v ? v->s : "");
    return 0;
}

/* sprig's urlJoin: URL.String() of the dict's parts, the userinfo read as url.Parse reads
 * "proto://USERINFO@host". */
static int fn_url_join(call *c)
{
    ed_go_url u = {0};
    char *userinfo = NULL;
    int rc = -1;
    if (url_part(c, "scheme", &u.scheme) < 0 || url_part(c, "host", &u.host) < 0 ||
        url_part(c, "path", &u.path) < 0 || url_part(c, "query", &u.raw_query) < 0 ||
        url_part(c, "opaque", &u.opaque) < 0 || url_part(c, "fragment", &u.fragment) < 0 ||
        url_part(c, "userinfo", &userinfo) < 0)
        goto cleanup;
    if (userinfo[0]) {
        char *raw = ed_xasprintf("proto://%s@host", userinfo), *err;
        ed_go_url user;
        if (ed_go_url_parse(raw, &user, &err) < 0) {
            free(raw);
            fail(c, "unable to parse userinfo in dict: ", err);
            free(err);
            goto cleanup;
        }
        free(raw);
        u.has_user = user.has_user;
        u.username = user.username;
        u.password = user.password;
        user.username = user.password = NULL;
        ed_go_url_free(&user);
    }
    rc = ret_str_take(c, ed_go_url_string(&u));
cleanup:
    free(userinfo);
    ed_go_url_free(&u);
    return rc;
}

/* A version as sprig's semver gives it (type ED_TV_STRUCT_SEMVER) or as its IncPatch...
 * return it (ED_TV_STRUCT_SEMVER_VALUE): its methods without arguments as fields, original
 * (its sort key) as read. */
static ed_tv *semver_object(ed_tv_pool *pool, const char *original, const ed_semver *v,
                            ed_tv_struct type)
{
    ed_tv *o = ed_tv_new(pool, ED_TV_OBJ, original);
    o->type = type;
    const uint64_t nums[] = {v->major, v->minor, v->patch};
    static const char *const num_names[] = {"Major", "Minor", "Patch"};
    for (size_t i = 0; i < 3; i++) {
        char text[32];
        snprintf(text, sizeof(text), "%" PRIu64, nums[i]);
        ed_tv *n = ed_tv_new(pool, ED_TV_NUM, text);
        n->n = (int64_t)nums[i];
        n->type = ED_TV_STRUCT_UINT64;
        ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, num_names[i]), n);
    }
    char *str =
        ed_xasprintf("%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%s%s%s", v->major, v->minor, v->patch,
                     v->pre[0] ? "-" : "", v->pre, v->build[0] ? "+" : "", v->build);
    const char *const strs[][2] = {
        {"Prerelease", v->pre}, {"Metadata", v->build}, {"Original", original}, {"String", str}};
    for (size_t i = 0; i < 4; i++)
        ed_tv_add(o, ed_tv_new(pool, ED_TV_STR, strs[i][0]),
                  ed_tv_new(pool, ED_TV_STR, strs[i][1]));
    free(str);
    return o;
}

ed_tv *ed_tv_semver_next(ed_tv_pool *p, const ed_tv *v, const char *name, size_t n)
{
    static const char *const names[] = {"IncPatch", "IncMinor", "IncMajor"};
    size_t which = 3;
    for (size_t i = 0; i < 3; i++)
        if (strlen(names[i]) == n && strncmp(names[i], name, n) == 0)
            which = i;
    if (which == 3 || v->kind != ED_TV_OBJ ||
        (v->type != ED_TV_STRUCT_SEMVER && v->type != ED_TV_STRUCT_SEMVER_VALUE))
        return NULL;
    ed_semver next = {0};
    next.major = (uint64_t)ed_tv_field(v, "Major", 5)->n;
    next.minor = (uint64_t)ed_tv_field(v, "Minor", 5)->n;
    next.patch = (uint64_t)ed_tv_field(v, "Patch", 5)->n;
    bool pre = field_str(v, "Prerelease")[0] != 0;
    if (which == 0 && !pre)
        next.patch++; /* (a pre-release's next patch is its release) */
    if (which >= 1) {
        next.patch = 0;
        next.minor = which == 1 ? next.minor + 1 : 0;
        next.major += which == 2;
    }
    char *original = ed_xasprintf("%s%" PRIu64 ".%" PRIu64 ".%" PRIu64, v->s[0] == 'v' ? "v" : "",
                                  next.major, next.minor, next.patch);
    ed_tv *o = semver_object(p, original, &next, ED_TV_STRUCT_SEMVER_VALUE);
    free(original);
    return o;
}

/* Masterminds' containsOnly: every byte of s in set (an empty s qualifies). */
static bool contains_only(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

ed_tv *ed_tv_semver_set(ed_tv_pool *p, const ed_tv *v, bool metadata, const char *part,
                        const char **err)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    /* each dot-separated identifier: not empty (semver v3.5.0, Flux's), of allowed bytes, a
     * numeric pre-release one without a leading zero */
    for (const char *id = part; *part;) {
        size_t n = strcspn(id, ".");
        if (n == 0) {
            *err = metadata ? "Invalid Metadata string" : "Invalid Prerelease string";
            return NULL;
        }
        if (!metadata && contains_only(id, n, "0123456789")) {
            if (n > 1 && id[0] == '0') {
                *err = "Version segment starts with 0";
                return NULL;
            }
        } else if (!contains_only(id, n, allowed)) {
            *err = metadata ? "Invalid Metadata string" : "Invalid Prerelease string";
            return NULL;
        }
        if (!id[n])
            break;
        id += n + 1;
    }
    ed_semver next = {0};
    next.major = (uint64_t)ed_tv_field(v, "Major", 5)->n;
    next.minor = (uint64_t)ed_tv_field(v, "Minor", 5)->n;
    next.patch = (uint64_t)ed_tv_field(v, "Patch", 5)->n;
    const char *pre = metadata ? field_str(v, "Prerelease") : part;
    const char *build = metadata ? part : field_str(v, "Metadata");
    if (strlen(pre) >= sizeof(next.pre) || strlen(build) >= sizeof(next.build)) {
        *err = "eddy reads pre-releases and metadata up to 127 bytes";
        return NULL;
    }
    snprintf(next.pre, sizeof(next.pre), "%s", pre);
    snprintf(next.build, sizeof(next.build), "%s", build);
    char *original = ed_xasprintf("%s%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%s%s%s",
                                  v->s[0] == 'v' ? "v" : "", next.major, next.minor, next.patch,
                                  pre[0] ? "-" : "", pre, build[0] ? "+" : "", build);
    ed_tv *o = semver_object(p, original, &next, ED_TV_STRUCT_SEMVER_VALUE);
    free(original);
    return o;
}

/* A *semver.Version of s (read leniently: "v1.2" is 1.2.0), its methods without arguments as
 * fields; "Invalid Semantic Version" when s is none. */
static int fn_semver(call *c)
{
    const char *s = str_arg(c, 0);
    ed_semver v;
    if (s[0] == 'V' || ed_semver_parse(s, &v) != 0) /* (only a small v) */
        return fail(c, "Invalid Semantic Version", NULL);
    /* a numeric pre-release identifier has no leading zero */
    for (const char *id = v.pre; *id;) {
        size_t n = strcspn(id, "."), digits = strspn(id, "0123456789");
        if (n > 1 && digits == n && id[0] == '0')
            return fail(c, "Version segment starts with 0", NULL);
        id += n + (id[n] == '.');
    }
    *c->out = semver_object(c->pool, s, &v, ED_TV_STRUCT_SEMVER);
    return 0;
}

/*
 * Each function: its arity (max -1: variadic) and the types of its parameters, one letter each
 * ('s' string, 'i' int, 'u' uint32, 'f' float64, 'b' bool, 'd' sprig's dict, 't' time.Time, 'a'
 * anything; parameters past the string are 'a').
 */
static const struct fn {
    const char *name;
    int min, max;
    const char *types;
    int (*run)(call *);
} fns[] = {
    {"abbrev", 2, 2, "is", fn_abbrev},
    {"abbrevboth", 3, 3, "iis", fn_abbrevboth},
    {"add", 0, -1, "", fn_add},
    {"add1", 1, 1, "a", fn_add1},
    {"add1f", 1, 1, "a", fn_decimal},
    {"addf", 0, -1, "", fn_decimal},
    {"adler32sum", 1, 1, "s", fn_adler32sum},
    {"ago", 1, 1, "a", fn_ago},
    {"all", 0, -1, "", fn_all_any},
    {"and", 1, -1, "", fn_and},
    {"any", 0, -1, "", fn_all_any},
    {"append", 2, 2, "aa", fn_append},
    {"atoi", 1, 1, "s", fn_atoi},
    {"b32dec", 1, 1, "s", fn_b32dec},
    {"b32enc", 1, 1, "s", fn_b32enc},
    {"b64dec", 1, 1, "s", fn_b64dec},
    {"b64enc", 1, 1, "s", fn_b64enc},
    {"base", 1, 1, "s", fn_base},
    {"biggest", 1, -1, "a", fn_max_min},
    {"camelcase", 1, 1, "s", fn_camelcase},
    {"cat", 0, -1, "", fn_cat},
    {"ceil", 1, 1, "a", fn_ceil},
    {"chunk", 2, 2, "ia", fn_chunk},
    {"clean", 1, 1, "s", fn_clean},
    {"coalesce", 0, -1, "", fn_coalesce},
    {"compact", 1, 1, "a", fn_compact},
    {"concat", 0, -1, "", fn_concat},
    {"contains", 2, 2, "ss", fn_contains},
    {"decryptAES", 2, 2, "ss", fn_decrypt_aes},
    {"deepCopy", 1, 1, "a", fn_deep_copy},
    {"deepEqual", 2, 2, "aa", fn_deep_equal},
    {"default", 1, -1, "a", fn_default},
    {"derivePassword", 5, 5, "ussss", fn_derive_password},
    {"dict", 0, -1, "", fn_dict},
    {"dig", 0, -1, "", fn_dig},
    {"dir", 1, 1, "s", fn_dir},
    {"div", 2, 2, "aa", fn_div_mod},
    {"divf", 1, -1, "a", fn_decimal},
    {"duration", 1, 1, "a", fn_duration},
    {"durationRound", 1, 1, "a", fn_duration_round},
    {"empty", 1, 1, "a", fn_empty},
    {"encryptAES", 2, 2, "ss", fn_encrypt_aes},
    {"eq", 1, -1, "aa", fn_eq},
    {"ext", 1, 1, "s", fn_ext},
    {"fail", 1, 1, "s", fn_fail},
    {"first", 1, 1, "a", fn_first},
    {"float64", 1, 1, "a", fn_float64},
    {"floor", 1, 1, "a", fn_floor},
    {"fromJson", 1, 1, "s", fn_from_json},
    {"ge", 2, 2, "aa", fn_order},
    {"get", 2, 2, "ds", fn_get},
    {"gt", 2, 2, "aa", fn_order},
    {"has", 2, 2, "aa", fn_has},
    {"hasKey", 2, 2, "ds", fn_has_key},
    {"hasPrefix", 2, 2, "ss", fn_has_prefix},
    {"hasSuffix", 2, 2, "ss", fn_has_suffix},
    {"hello", 0, 0, "", fn_hello},
    {"html", 0, -1, "", fn_html},
    {"indent", 2, 2, "is", fn_indent},
    {"index", 1, -1, "a", fn_index},
    {"initial", 1, 1, "a", fn_initial},
    {"initials", 1, 1, "s", fn_initials},
    {"int", 1, 1, "a", fn_int},
    {"int64", 1, 1, "a", fn_int64},
    {"isAbs", 1, 1, "s", fn_is_abs},
    {"join", 2, 2, "sa", fn_join},
    {"js", 0, -1, "", fn_js},
    {"kebabcase", 1, 1, "s", fn_kebabcase},
    {"keys", 0, -1, "dddddddddddddddddddddddddddddddd", fn_keys},
    {"kindIs", 2, 2, "sa", fn_kind_is},
    {"kindOf", 1, 1, "a", fn_kind_of},
    {"last", 1, 1, "a", fn_last},
    {"le", 2, 2, "aa", fn_order},
    {"len", 1, 1, "a", fn_len},
    {"list", 0, -1, "", fn_list},
    {"lower", 1, 1, "s", fn_lower},
    {"lt", 2, 2, "aa", fn_order},
    {"max", 1, -1, "a", fn_max_min},
    {"maxf", 1, -1, "a", fn_max_min_f},
    {"merge", 1, -1, "dddddddddddddddddddddddddddddddd", fn_merge},
    {"mergeOverwrite", 1, -1, "dddddddddddddddddddddddddddddddd", fn_merge},
    {"min", 1, -1, "a", fn_max_min},
    {"minf", 1, -1, "a", fn_max_min_f},
    {"mod", 2, 2, "aa", fn_div_mod},
    {"mul", 1, -1, "a", fn_mul},
    {"mulf", 1, -1, "a", fn_decimal},
    {"must_date_modify", 2, 2, "st", fn_must_date_modify},
    {"mustAppend", 2, 2, "aa", fn_append},
    {"mustChunk", 2, 2, "ia", fn_chunk},
    {"mustCompact", 1, 1, "a", fn_compact},
    {"mustDeepCopy", 1, 1, "a", fn_deep_copy},
    {"mustFirst", 1, 1, "a", fn_first},
    {"mustFromJson", 1, 1, "s", fn_from_json},
    {"mustHas", 2, 2, "aa", fn_has},
    {"mustInitial", 1, 1, "a", fn_initial},
    {"mustLast", 1, 1, "a", fn_last},
    {"mustMerge", 1, -1, "dddddddddddddddddddddddddddddddd", fn_merge},
    {"mustMergeOverwrite", 1, -1, "dddddddddddddddddddddddddddddddd", fn_merge},
    {"mustPrepend", 2, 2, "aa", fn_prepend},
    {"mustPush", 2, 2, "aa", fn_append},
    {"mustRegexFind", 2, 2, "ss", fn_regex_find},
    {"mustRegexFindAll", 3, 3, "ssi", fn_regex_find_all},
    {"mustRegexMatch", 2, 2, "ss", fn_regex_match},
    {"mustRegexReplaceAll", 3, 3, "sss", fn_regex_replace_all},
    {"mustRegexReplaceAllLiteral", 3, 3, "sss", fn_regex_replace_all_literal},
    {"mustRegexSplit", 3, 3, "ssi", fn_regex_split},
    {"mustRest", 1, 1, "a", fn_rest},
    {"mustReverse", 1, 1, "a", fn_reverse},
    {"mustSlice", 1, -1, "a", fn_slice},
    {"mustDateModify", 2, 2, "st", fn_must_date_modify},
    {"mustToDate", 2, 2, "ss", fn_to_date},
    {"mustToJson", 1, 1, "a", fn_must_to_json},
    {"mustToPrettyJson", 1, 1, "a", fn_to_pretty_json},
    {"mustToRawJson", 1, 1, "a", fn_to_raw_json},
    {"mustUniq", 1, 1, "a", fn_uniq},
    {"mustWithout", 1, -1, "a", fn_without},
    {"ne", 2, 2, "aa", fn_ne},
    {"nindent", 2, 2, "is", fn_nindent},
    {"nospace", 1, 1, "s", fn_nospace},
    {"not", 1, 1, "a", fn_not},
    {"omit", 1, -1, "dssssssssssssssssssssssssssssssss", fn_omit},
    {"or", 1, -1, "", fn_or},
    {"osBase", 1, 1, "s", fn_base},
    {"osClean", 1, 1, "s", fn_clean},
    {"osDir", 1, 1, "s", fn_dir},
    {"osExt", 1, 1, "s", fn_ext},
    {"osIsAbs", 1, 1, "s", fn_is_abs},
    {"pick", 1, -1, "dssssssssssssssssssssssssssssssss", fn_pick},
    {"pluck", 1, -1, "sdddddddddddddddddddddddddddddddd", fn_pluck},
    {"plural", 3, 3, "ssi", fn_plural},
    {"prepend", 2, 2, "aa", fn_prepend},
    {"print", 0, -1, "", fn_print},
    {"printf", 1, -1, "s", fn_printf},
    {"println", 0, -1, "", fn_print},
    {"push", 2, 2, "aa", fn_append},
    {"quote", 0, -1, "", fn_quote},
    {"randInt", 2, 2, "ii", fn_rand_int},
    {"regexFind", 2, 2, "ss", fn_regex_find},
    {"regexFindAll", 3, 3, "ssi", fn_regex_find_all},
    {"regexMatch", 2, 2, "ss", fn_regex_match},
    {"regexQuoteMeta", 1, 1, "s", fn_regex_quote_meta},
    {"regexReplaceAll", 3, 3, "sss", fn_regex_replace_all},
    {"regexReplaceAllLiteral", 3, 3, "sss", fn_regex_replace_all_literal},
    {"regexSplit", 3, 3, "ssi", fn_regex_split},
    {"repeat", 2, 2, "is", fn_repeat},
    {"replace", 3, 3, "sss", fn_replace},
    {"rest", 1, 1, "a", fn_rest},
    {"reverse", 1, 1, "a", fn_reverse},
    {"round", 2, -1, "aiffffffffffffffffffffffffffffff", fn_round},
    {"semver", 1, 1, "s", fn_semver},
    {"semverCompare", 2, 2, "ss", fn_semver_compare},
    {"seq", 0, -1, "iiiiiiiiiiiiiiii", fn_seq},
    {"set", 3, 3, "dsa", fn_set},
    {"sha1sum", 1, 1, "s", fn_sha1sum},
    {"sha256sum", 1, 1, "s", fn_sha256sum},
    {"sha512sum", 1, 1, "s", fn_sha512sum},
    {"shuffle", 1, 1, "s", fn_shuffle},
    {"slice", 1, -1, "a", fn_slice},
    {"snakecase", 1, 1, "s", fn_snakecase},
    {"sortAlpha", 1, 1, "a", fn_sort_alpha},
    {"split", 2, 2, "ss", fn_split},
    {"splitList", 2, 2, "ss", fn_split_list},
    {"splitn", 3, 3, "sis", fn_splitn},
    {"squote", 0, -1, "", fn_squote},
    {"sub", 2, 2, "aa", fn_sub},
    {"subf", 1, -1, "a", fn_decimal},
    {"substr", 3, 3, "iis", fn_substr},
    {"swapcase", 1, 1, "s", fn_swapcase},
    {"ternary", 3, 3, "aab", fn_ternary},
    {"title", 1, 1, "s", fn_title},
    {"toDate", 2, 2, "ss", fn_to_date},
    {"toDecimal", 1, 1, "a", fn_to_decimal},
    {"toJson", 1, 1, "a", fn_to_json},
    {"toPrettyJson", 1, 1, "a", fn_to_pretty_json},
    {"toRawJson", 1, 1, "a", fn_to_raw_json},
    {"toString", 1, 1, "a", fn_to_string},
    {"toStrings", 1, 1, "a", fn_to_strings},
    {"trim", 1, 1, "s", fn_trim},
    {"trimAll", 2, 2, "ss", fn_trim_all},
    {"trimPrefix", 2, 2, "ss", fn_trim_prefix},
    {"trimSuffix", 2, 2, "ss", fn_trim_suffix},
    {"trimall", 2, 2, "ss", fn_trim_all},
    {"trunc", 2, 2, "is", fn_trunc},
    {"tuple", 0, -1, "", fn_list},
    {"typeIs", 2, 2, "sa", fn_type_is},
    {"typeIsLike", 2, 2, "sa", fn_type_is},
    {"typeOf", 1, 1, "a", fn_type_of},
    {"uniq", 1, 1, "a", fn_uniq},
    {"unixEpoch", 1, 1, "t", fn_unix_epoch},
    {"unset", 2, 2, "ds", fn_unset},
    {"until", 1, 1, "i", fn_until},
    {"untilStep", 3, 3, "iii", fn_until_step},
    {"untitle", 1, 1, "s", fn_untitle},
    {"upper", 1, 1, "s", fn_upper},
    {"urlJoin", 1, 1, "d", fn_url_join},
    {"urlParse", 1, 1, "s", fn_url_parse},
    {"urlquery", 0, -1, "", fn_urlquery},
    {"values", 1, 1, "d", fn_values},
    {"without", 1, -1, "a", fn_without},
    {"wrap", 2, 2, "is", fn_wrap},
    {"wrapWith", 3, 3, "iss", fn_wrap_with},
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
        return v->type == ED_TV_STRUCT_CHANGE    ? "[]update.Change"
               : v->type == ED_TV_STRUCT_STRINGS ? "[]string"
               : v->type == ED_TV_STRUCT_INTS    ? "[]int"
               : v->type == ED_TV_STRUCT_LISTS   ? "[][]interface {}"
                                                 : "[]interface {}";
    case ED_TV_MAP:
        return v->type == ED_TV_STRUCT_DICT     ? "map[string]interface {}"
               : v->type == ED_TV_STRUCT_OBJECT ? "update.ObjectChanges"
               : v->type == ED_TV_STRUCT_RESULT ? "map[string]update.ObjectChanges"
                                                : "map[string]string";
    case ED_TV_OBJ:
        return v->type == ED_TV_STRUCT_SEMVER         ? "*semver.Version"
               : v->type == ED_TV_STRUCT_TIME         ? "time.Time"
               : v->type == ED_TV_STRUCT_SEMVER_VALUE ? "semver.Version"
               : v->type == ED_TV_STRUCT_CHANGE       ? "update.Change"
               : v->type == ED_TV_STRUCT_OBJECT       ? "update.ObjectIdentifier"
               : v->type == ED_TV_STRUCT_AUTOMATION   ? "types.NamespacedName"
               : v->type == ED_TV_STRUCT_RESULT       ? "update.Result"
                                                      : "source.TemplateData";
    case ED_TV_NUM:
        return v->type == ED_TV_STRUCT_INT64    ? "int64"
               : v->type == ED_TV_STRUCT_UINT64 ? "uint64"
                                                : "int";
    default:
        return kind_name(v);
    }
}

int ed_tv_call(ed_tv_pool *p, const char *name, ed_tv **args, const bool *literal, size_t nargs,
               ed_tv **out, char *msg, size_t msglen, int *at)
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
        if (t == 'u') { /* a uint32: Go converts a literal itself, takes no other int */
            *at = (int)i;
            bool lit = literal && literal[i];
            bool whole = v->kind == ED_TV_NUM || (v->kind == ED_TV_FLOAT && v->int_literal);
            if (lit && whole && v->type != ED_TV_STRUCT_INT64 && v->n >= 0) {
                args[i] = ed_tv_num(p, (int64_t)(uint32_t)v->n); /* (reflect's SetUint cuts) */
                continue;
            }
            if (lit && v->kind == ED_TV_NIL)
                snprintf(msg, msglen, "cannot assign nil to uint32");
            else if (lit) /* (the caller words it with the literal as written) */
                snprintf(msg, msglen, "expected unsigned integer; found");
            else if (v->kind == ED_TV_NIL)
                snprintf(msg, msglen, "invalid value; expected uint32");
            else
                snprintf(msg, msglen, "wrong type for value; expected uint32; got %s",
                         ed_tv_type_name(v));
            return -1;
        }
        if (t == 'f' && v->kind == ED_TV_NUM && v->type != ED_TV_STRUCT_INT64 &&
            v->type != ED_TV_STRUCT_UINT64) {
            args[i] = ed_tv_float(p, (double)v->n); /* (an int literal is a float there) */
            continue;
        }
        const char *want = t == 's'   ? "string"
                           : t == 'i' ? "int"
                           : t == 'f' ? "float64"
                           : t == 'd' ? "map[string]interface {}"
                           : t == 't' ? "time.Time"
                                      : "bool";
        ed_tv_kind k = t == 's'   ? ED_TV_STR
                       : t == 'i' ? ED_TV_NUM
                       : t == 'f' ? ED_TV_FLOAT
                       : t == 'd' ? ED_TV_MAP
                       : t == 't' ? ED_TV_OBJ
                                  : ED_TV_BOOL;
        *at = (int)i;
        if (t == 'i' && v->kind == ED_TV_FLOAT && v->int_literal) {
            args[i] = ed_tv_num(p, v->n); /* Go reads an integral literal as an int */
            continue;
        }
        if (v->kind == ED_TV_NIL) {
            if (t == 'd')
                continue; /* Go passes a nil map */
            snprintf(msg, msglen, "invalid value; expected %s", want);
            return -1;
        }
        /* an int64 (sprig's math) is not an int, nor Flux's map[string]string a dict */
        if (v->kind != k || (t == 'i' && v->type == ED_TV_STRUCT_INT64) ||
            (t == 'd' && v->type != ED_TV_STRUCT_DICT) ||
            (t == 't' && v->type != ED_TV_STRUCT_TIME)) {
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
    "bcrypt",
    "buildCustomCert",
    "call",
    "ge",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "gt",
    "htpasswd",
    "index",
    "le",
    "lt",
    "print",
    "println",
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
