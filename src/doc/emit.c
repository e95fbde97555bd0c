/*
 * YAML output byte for byte as `kubectl kustomize` prints it. kustomize turns each object into
 * JSON and the JSON into YAML with sigs.k8s.io/yaml, which decodes it into Go maps and encodes
 * them with its copy of go-yaml v2. That path fixes every visible detail, and this file
 * reproduces each of them:
 *
 *  - mapping keys are sorted by go-yaml v2's "natural" order (non-letters before letters, runs
 *    of digits compared as numbers), not kept in document order;
 *  - floats pass through JSON: 1.0 comes out as the integer 1, 1.50 as 1.5, 1e6 as 1000000;
 *  - a string is plain unless it would read back as another type under YAML 1.1 rules (yes,
 *    on, y, 0x1F, 017, 1_000, 1:20, 2001-12-14, ...), which makes it double-quoted, or unless
 *    libyaml's scalar analysis forbids plain style (leading indicator, ": ", " #", leading or
 *    trailing space), which makes it single-quoted; strings with a line break are literal
 *    blocks (`|`, `|-`, `|+`, `|2`) when libyaml allows it and double-quoted otherwise;
 *  - non-printable characters (tab, C1 controls, and every character outside the BMP, which
 *    go-yaml's printable test does not accept) force double quotes with escapes;
 *  - values longer than 80 columns are folded at spaces onto continuation lines indented two
 *    more than their key (go-yaml v2 keeps libyaml's best width of 80);
 *  - block sequences inside mappings are not indented ("- " at the key's column);
 *  - documents of a stream are joined with "---".
 */
#include "doc_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libyaml's (and go-yaml's) preferred line width; longer scalars are folded at spaces. */
#define BEST_WIDTH  80
#define BEST_INDENT 2
/* sops's YAML store: yaml.v3 with an indent of 4 and no width. */
#define SOPS_INDENT 4

struct emitter {
    ed_buf *out;
    bool sops;       /* sops's layout (ed_node_to_yaml_sops) rather than kustomize's */
    int width;       /* fold plain and quoted scalars past this column */
    int column;      /* in characters, as libyaml counts for folding */
    bool whitespace; /* the last character written was white space */
    int rc;          /* the first ed_buf error, after which writing stops */
    /* comments to write among the nodes (sops), by the lines of the text they were parsed
     * from: the next to write, and where the keys or items of each column of that text are
     * written (-1: none seen yet) */
    const ed_yaml_comment *comments;
    size_t ncomments, next_comment;
    int columns[128];
};

static void put(struct emitter *e, char c)
{
    if (!e->rc)
        e->rc = ed_buf_append(e->out, &c, 1);
    e->column++;
    e->whitespace = c == ' ';
}

static void put_str(struct emitter *e, const char *s)
{
    for (; *s; s++)
        put(e, *s);
}

/* A word after a separating space, unless at the start of a line. */
static void put_word(struct emitter *e, const char *s)
{
    if (!e->whitespace)
        put(e, ' ');
    put_str(e, s);
}

static void put_break(struct emitter *e)
{
    if (!e->rc)
        e->rc = ed_buf_append(e->out, "\n", 1);
    e->column = 0;
    e->whitespace = true;
}

/* The byte length of the UTF-8 character that starts with c. */
static size_t utf8_width(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xe0) == 0xc0 ? 2
           : (c & 0xf0) == 0xe0 ? 3
           : (c & 0xf8) == 0xf0 ? 4
                                : 1;
}

/* Copy the character at s[*i] and advance; a character counts one column. */
static void write_char(struct emitter *e, const char *s, size_t len, size_t *i)
{
    size_t w = utf8_width((unsigned char)s[*i]);
    if (*i + w > len)
        w = len - *i;
    if (!e->rc)
        e->rc = ed_buf_append(e->out, s + *i, w);
    *i += w;
    e->column++;
    e->whitespace = false;
}

/* Start a new line (unless already at its start) and pad to indent. */
static void write_indent(struct emitter *e, int indent)
{
    /* (sops's four columns may lie past a short key's colon, "db:", which still ends its line) */
    if (e->column > indent || (e->column > 0 && e->column == indent && !e->whitespace) ||
        (e->sops && e->column > 0 && !e->whitespace))
        put_break(e);
    while (e->column < indent)
        put(e, ' ');
    e->whitespace = true;
}

/* ---- character classes, as go-yaml's yamlprivateh.go defines them on UTF-8 bytes ---- */

static bool at(const char *s, size_t len, size_t i, unsigned char c)
{
    return i < len && (unsigned char)s[i] == c;
}

/* go-yaml's is_printable: note that it accepts no 4-byte (non-BMP) character. */
static bool is_printable(const char *s, size_t len, size_t i)
{
    const unsigned char *b = (const unsigned char *)s;
    unsigned char b1 = i + 1 < len ? b[i + 1] : 0, b2 = i + 2 < len ? b[i + 2] : 0;
    return b[i] == 0x0a || (b[i] >= 0x20 && b[i] <= 0x7e) || (b[i] == 0xc2 && b1 >= 0xa0) ||
           (b[i] > 0xc2 && b[i] < 0xed) || (b[i] == 0xed && b1 < 0xa0) || b[i] == 0xee ||
           (b[i] == 0xef && !(b1 == 0xbb && b2 == 0xbf) &&
            !(b1 == 0xbf && (b2 == 0xbe || b2 == 0xbf)));
}

static bool is_space(const char *s, size_t len, size_t i)
{
    return at(s, len, i, ' ');
}

static bool is_break(const char *s, size_t len, size_t i)
{
    return at(s, len, i, '\r') || at(s, len, i, '\n') ||
           (at(s, len, i, 0xc2) && at(s, len, i + 1, 0x85)) ||
           (at(s, len, i, 0xe2) && at(s, len, i + 1, 0x80) &&
            (at(s, len, i + 2, 0xa8) || at(s, len, i + 2, 0xa9)));
}

/* Blank, break or the end of the string. */
static bool is_blankz(const char *s, size_t len, size_t i)
{
    return i >= len || is_space(s, len, i) || at(s, len, i, '\t') || is_break(s, len, i) ||
           at(s, len, i, 0);
}

/* ---- what a plain scalar would be read back as (go-yaml v2's resolve) ---- */

static bool all_digits(const char *s, size_t n, int base)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = base == 16   ? strchr("0123456789abcdefABCDEF", c) && c
                  : base == 10 ? c >= '0' && c <= '9'
                  : base == 8  ? c >= '0' && c <= '7'
                               : c == '0' || c == '1';
        if (!ok)
            return false;
    }
    return true;
}

/* Go's strconv.ParseInt/ParseUint with base 0 accepting the syntax (range aside: an integer
 * too large for 64 bits is still a number, a float, so it is never a plain string either). */
static bool go_int_syntax(const char *s, size_t n)
{
    if (n && (s[0] == '+' || s[0] == '-'))
        s++, n--;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return all_digits(s + 2, n - 2, 16);
    if (n >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        return all_digits(s + 2, n - 2, 8);
    if (n >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        return all_digits(s + 2, n - 2, 2);
    if (n >= 1 && s[0] == '0')
        return all_digits(s, n, 8);
    return all_digits(s, n, 10);
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$, and finite as a double. */
static bool yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t d = 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, d++;
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, d++;
        if (d && i < n && s[i] == '.') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (!d)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, e++;
        if (!e)
            return false;
    }
    if (i != n || n >= 64)
        return false;
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    return errno != ERANGE || v == 0; /* Go's ParseFloat fails on overflow */
}

/* Read 1 or 2 digits (Go's time.Parse for fields like "1", "15", "4"). */
static bool num12(const char *s, size_t n, size_t *i, int *out)
{
    if (*i >= n || s[*i] < '0' || s[*i] > '9')
        return false;
    *out = s[(*i)++] - '0';
    if (*i < n && s[*i] >= '0' && s[*i] <= '9')
        *out = *out * 10 + (s[(*i)++] - '0');
    return true;
}

/* One of go-yaml v2's timestamp forms: YYYY-M-D, optionally followed by [Tt ]H:M:S[.frac] and,
 * after T or t, a zone (Z or +hh:mm). */
static bool is_timestamp(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i != 4 || i == n || s[i] != '-')
        return false;
    int mon, day, h, m, sec;
    i++;
    if (!num12(s, n, &i, &mon) || i >= n || s[i] != '-')
        return false;
    i++;
    if (!num12(s, n, &i, &day))
        return false;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1])
        return false;
    if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return false;
    if (i == n)
        return true;
    char sep = s[i++];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return false;
    while (sep == ' ' && i < n && s[i] == ' ')
        i++; /* Go's time.Parse reads a layout's space as one or more */
    if (!num12(s, n, &i, &h) || i >= n || s[i++] != ':' || !num12(s, n, &i, &m) || i >= n ||
        s[i++] != ':' || !num12(s, n, &i, &sec))
        return false;
    if (h > 23 || m > 59 || sec > 59)
        return false;
    if (i + 1 < n && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' && s[i + 1] <= '9') {
        i++; /* Go takes a comma for the fraction's point too */
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (sep == ' ')
        return i == n;
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        /* Z07:00: exactly hh:mm, at most 24 hours and 60 minutes (Go's range check) */
        return n - i == 6 && s[i + 1] >= '0' && s[i + 1] <= '9' && s[i + 2] >= '0' &&
               s[i + 2] <= '9' && s[i + 3] == ':' && s[i + 4] >= '0' && s[i + 4] <= '9' &&
               s[i + 5] >= '0' && s[i + 5] <= '9' &&
               (s[i + 1] - '0') * 10 + (s[i + 2] - '0') <= 24 &&
               (s[i + 4] - '0') * 10 + (s[i + 5] - '0') <= 60;
    }
    return false;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ : YAML 1.1 sexagesimal numbers. */
static bool is_base60_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        size_t d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && d < 2)
            i++, d++;
        if (d == 0 || (d == 2 && s[i - 2] > '5'))
            return false;
        groups++;
    }
    if (!groups)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
    }
    return i == n;
}

/* True when s, written plain, reads back as a string in go-yaml v2 (not a bool, null, number,
 * timestamp or sexagesimal number). */
static bool plain_reads_as_string(const char *s, size_t n)
{
    static const char *const words[] = {
        "y",    "Y",    "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",  "on",    "On",
        "ON",   "n",    "N",     "no",    "No",    "NO",    "false", "False", "FALSE", "off",
        "Off",  "OFF",  "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",
        ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
    if (n == 0)
        return false; /* the empty plain scalar is null */
    char c = s[0];
    bool hinted = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
                  strchr("yYnNtTfFoO~", c) != NULL;
    if (!hinted)
        return !is_base60_float(s, n);
    for (const char *const *w = words; *w; w++)
        if (strlen(*w) == n && memcmp(*w, s, n) == 0)
            return false;
    if (c == '.') {
        /* Go's ParseFloat on ".5", ".5e3" */
        return !yaml_style_float(s, n);
    }
    if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
        if (is_timestamp(s, n))
            return false;
        /* underscores are dropped before the number checks */
        char buf[128];
        if (n >= sizeof(buf))
            return !is_base60_float(s, n);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] != '_')
                buf[m++] = s[i];
        if (go_int_syntax(buf, m) || yaml_style_float(buf, m))
            return false;
    }
    return !is_base60_float(s, n);
}

/* ---- scalar styles (libyaml's yaml_emitter_analyze_scalar and select_scalar_style) ---- */

enum style {
    STYLE_PLAIN,
    STYLE_SINGLE,
    STYLE_DOUBLE,
    STYLE_LITERAL
};

static enum style choose_style(const char *s, size_t n, bool key)
{
    bool has_newline = memchr(s, '\n', n) != NULL;
    enum style want = has_newline                   ? STYLE_LITERAL
                      : plain_reads_as_string(s, n) ? STYLE_PLAIN
                                                    : STYLE_DOUBLE;
    if (n == 0)
        return want == STYLE_PLAIN ? STYLE_SINGLE : want;

    bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
    bool leading_space = false, leading_break = false, trailing_space = false;
    bool trailing_break = false, break_space = false, space_break = false;
    bool prev_space = false, prev_break = false;
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
        block_ind = flow_ind = true;
    bool preceded_by_ws = true;
    size_t w0 = utf8_width((unsigned char)s[0]);
    bool followed_by_ws = is_blankz(s, n, w0);
    for (size_t i = 0; i < n;) {
        char c = s[i];
        size_t w = utf8_width((unsigned char)c);
        if (i == 0) {
            if ((c && strchr("#,[]{}&*!|>'\"%@`", c)) || (c == '-' && followed_by_ws)) {
                flow_ind = block_ind = true;
            } else if (c == '?' || c == ':') {
                flow_ind = true;
                if (followed_by_ws)
                    block_ind = true;
            }
        } else {
            if (c && strchr(",?[]{}", c)) {
                flow_ind = true;
            } else if (c == ':') {
                flow_ind = true;
                if (followed_by_ws)
                    block_ind = true;
            } else if (c == '#' && preceded_by_ws) {
                flow_ind = block_ind = true;
            }
        }
        if (!is_printable(s, n, i))
            special = true;
        if (is_break(s, n, i))
            line_breaks = true;
        if (is_space(s, n, i)) {
            if (i == 0)
                leading_space = true;
            if (i + w >= n)
                trailing_space = true;
            if (prev_break)
                break_space = true;
            prev_space = true;
            prev_break = false;
        } else if (is_break(s, n, i)) {
            if (i == 0)
                leading_break = true;
            if (i + w >= n)
                trailing_break = true;
            if (prev_space)
                space_break = true;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = prev_break = false;
        }
        preceded_by_ws = is_blankz(s, n, i);
        i += w;
        if (i < n)
            followed_by_ws = is_blankz(s, n, i + utf8_width((unsigned char)s[i]));
    }
    bool block_plain = true, single = true, block = true;
    if (leading_space || leading_break || trailing_space || trailing_break)
        block_plain = false;
    if (trailing_space)
        block = false;
    if (break_space)
        block_plain = single = false;
    if (space_break || special)
        block_plain = single = block = false;
    if (line_breaks)
        block_plain = false;
    if (block_ind)
        block_plain = false;
    (void)flow_ind; /* kustomize's output has no flow context */

    enum style st = want;
    if (st == STYLE_PLAIN && !block_plain)
        st = STYLE_SINGLE;
    if (st == STYLE_SINGLE && !single)
        st = STYLE_DOUBLE;
    if (st == STYLE_LITERAL && (!block || key))
        st = STYLE_DOUBLE;
    return st;
}

/* ---- writing scalars ---- */

static void write_plain(struct emitter *e, const char *s, size_t n, bool allow_breaks, int indent)
{
    if (!e->whitespace)
        put(e, ' ');
    bool spaces = false;
    for (size_t i = 0; i < n;) {
        if (is_space(s, n, i)) {
            if (allow_breaks && !spaces && e->column > e->width && !is_space(s, n, i + 1)) {
                write_indent(e, indent);
                i++;
            } else {
                write_char(e, s, n, &i);
            }
            spaces = true;
        } else {
            write_char(e, s, n, &i);
            spaces = false;
        }
    }
}

static void write_single(struct emitter *e, const char *s, size_t n, bool allow_breaks, int indent)
{
    if (!e->whitespace)
        put(e, ' ');
    put(e, '\'');
    bool spaces = false;
    for (size_t i = 0; i < n;) {
        if (is_space(s, n, i)) {
            if (allow_breaks && !spaces && e->column > e->width && i > 0 && i < n - 1 &&
                !is_space(s, n, i + 1)) {
                write_indent(e, indent);
                i++;
            } else {
                write_char(e, s, n, &i);
            }
            spaces = true;
        } else {
            if (s[i] == '\'')
                put(e, '\'');
            write_char(e, s, n, &i);
            spaces = false;
        }
    }
    put(e, '\'');
}

/* Decode the UTF-8 character at s[i] (the input was validated when it was parsed). */
static unsigned decode(const char *s, size_t n, size_t i, size_t *w)
{
    const unsigned char *b = (const unsigned char *)s;
    *w = utf8_width(b[i]);
    if (i + *w > n)
        *w = 1;
    if (*w == 1)
        return b[i];
    unsigned v = b[i] & (*w == 2 ? 0x1f : *w == 3 ? 0x0f : 0x07);
    for (size_t k = 1; k < *w; k++)
        v = (v << 6) | (b[i + k] & 0x3f);
    return v;
}

static void write_double(struct emitter *e, const char *s, size_t n, bool allow_breaks, int indent)
{
    if (!e->whitespace)
        put(e, ' ');
    put(e, '"');
    bool spaces = false;
    /* go-yaml's is_bom looks at the start of the string whatever the index, so a string that
     * starts with a byte order mark comes out with every character escaped. */
    bool bom = at(s, n, 0, 0xef) && at(s, n, 1, 0xbb) && at(s, n, 2, 0xbf);
    for (size_t i = 0; i < n;) {
        if (!is_printable(s, n, i) || bom || is_break(s, n, i) || s[i] == '"' || s[i] == '\\') {
            size_t w;
            unsigned v = decode(s, n, i, &w);
            i += w;
            put(e, '\\');
            char esc = 0;
            switch (v) {
            case 0x00:
                esc = '0';
                break;
            case 0x07:
                esc = 'a';
                break;
            case 0x08:
                esc = 'b';
                break;
            case 0x09:
                esc = 't';
                break;
            case 0x0a:
                esc = 'n';
                break;
            case 0x0b:
                esc = 'v';
                break;
            case 0x0c:
                esc = 'f';
                break;
            case 0x0d:
                esc = 'r';
                break;
            case 0x1b:
                esc = 'e';
                break;
            case 0x22:
                esc = '"';
                break;
            case 0x5c:
                esc = '\\';
                break;
            case 0x85:
                esc = 'N';
                break;
            case 0xa0:
                esc = '_';
                break;
            case 0x2028:
                esc = 'L';
                break;
            case 0x2029:
                esc = 'P';
                break;
            default:
                break;
            }
            if (esc) {
                put(e, esc);
            } else {
                char hex[16];
                if (v <= 0xff)
                    snprintf(hex, sizeof(hex), "x%02X", v);
                else if (v <= 0xffff)
                    snprintf(hex, sizeof(hex), "u%04X", v);
                else
                    snprintf(hex, sizeof(hex), "U%08X", v);
                put_str(e, hex);
            }
            spaces = false;
        } else if (is_space(s, n, i)) {
            if (allow_breaks && !spaces && e->column > e->width && i != 0 && i != n - 1) {
                write_indent(e, indent);
                if (is_space(s, n, i + 1))
                    put(e, '\\');
                i++;
            } else {
                write_char(e, s, n, &i);
            }
            spaces = true;
        } else {
            write_char(e, s, n, &i);
            spaces = false;
        }
    }
    put(e, '"');
}

static void write_literal(struct emitter *e, const char *s, size_t n, int indent)
{
    if (!e->whitespace)
        put(e, ' ');
    put(e, '|');
    if (is_space(s, n, 0) || is_break(s, n, 0))
        put(e, (char)('0' + (e->sops ? SOPS_INDENT : BEST_INDENT)));
    /* Chomping: "-" without a final break, "+" with more than one, none with exactly one. */
    size_t last = n - 1;
    while (last > 0 && ((unsigned char)s[last] & 0xc0) == 0x80)
        last--;
    if (!is_break(s, n, last)) {
        put(e, '-');
    } else if (last == 0) {
        put(e, '+');
    } else {
        size_t prev = last - 1;
        while (prev > 0 && ((unsigned char)s[prev] & 0xc0) == 0x80)
            prev--;
        if (is_break(s, n, prev))
            put(e, '+');
    }
    put_break(e);
    bool breaks = true;
    for (size_t i = 0; i < n;) {
        if (is_break(s, n, i)) {
            if (s[i] == '\r' && at(s, n, i + 1, '\n'))
                i++;
            i += utf8_width((unsigned char)s[i]);
            put_break(e);
            breaks = true;
        } else {
            if (breaks)
                write_indent(e, indent);
            write_char(e, s, n, &i);
            breaks = false;
        }
    }
}

/* Write string s as a key (key true) or as a value whose continuation lines and block content
 * are indented by indent. */
static void write_string(struct emitter *e, const char *s, size_t n, bool key, int indent)
{
    switch (choose_style(s, n, key)) {
    case STYLE_PLAIN:
        write_plain(e, s, n, !key, indent);
        break;
    case STYLE_SINGLE:
        write_single(e, s, n, !key, indent);
        break;
    case STYLE_DOUBLE:
        write_double(e, s, n, !key, indent);
        break;
    case STYLE_LITERAL:
        write_literal(e, s, n, indent);
        break;
    }
}

/* ---- numbers: float64 through encoding/json and back through go-yaml v2 ---- */

/* The shortest decimal digits that read back as v (Go's strconv 'shortest' mode), and the
 * decimal exponent: v = 0.d1d2d3... x 10^dp. */
static void shortest_digits(double v, char *digits, size_t cap, int *dp)
{
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf is "d.ddde[+-]xx" */
    size_t k = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && k + 1 < cap)
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    *dp = (int)strtol(p + 1, NULL, 10) + 1;
}

/* Go's %e form of shortest digits: "1.2345675e+06", "1e-05". */
static void format_exp(ed_buf *b, const char *digits, int dp)
{
    int exp = dp - 1;
    char tmp[80];
    snprintf(tmp, sizeof(tmp), "%c%s%s%s%c%02d", digits[0], digits[1] ? "." : "", digits + 1, "e",
             exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    ed_buf_append_str(b, tmp);
}

static int write_float(struct emitter *e, double v)
{
    if (!isfinite(v) && e->sops) { /* yaml.v3's words for them */
        put_word(e, isnan(v) ? ".nan" : v > 0 ? ".inf" : "-.inf");
        return 0;
    }
    if (!isfinite(v))
        return ED_EINVALID; /* encoding/json refuses it, and so does kustomize */
    ed_buf num = ED_BUF_INIT(256);
    double a = fabs(v);
    /* yaml.v3 writes a float as Go's strconv.FormatFloat(v, 'g', -1, 64), an integral one too
     * ("1", "1e+06"); kustomize's pass through JSON makes integral floats integers. */
    if (v == floor(v) && a < 1e21 && !e->sops) {
        /* JSON prints it without a fraction, so go-yaml reads back an integer, or a float
         * when it does not fit 64 bits. */
        if (a < 9223372036854775808.0) {
            ed_buf_printf(&num, "%lld", (long long)v);
        } else if (v > 0 && v < 18446744073709551616.0) {
            ed_buf_printf(&num, "%llu", (unsigned long long)v);
        } else {
            char digits[32] = {0};
            int dp;
            shortest_digits(v, digits, sizeof(digits), &dp);
            if (v < 0)
                ed_buf_append_str(&num, "-");
            format_exp(&num, digits, dp);
        }
    } else {
        char digits[32] = {0};
        int dp;
        shortest_digits(a, digits, sizeof(digits), &dp);
        if (e->sops ? signbit(v) : v < 0) /* Go writes -0 as "-0" */
            ed_buf_append_str(&num, "-");
        int exp = dp - 1;
        if (exp < -4 || exp >= 6) {
            format_exp(&num, digits, dp);
        } else if (dp <= 0) {
            ed_buf_append_str(&num, "0.");
            for (int i = 0; i < -dp; i++)
                ed_buf_append_str(&num, "0");
            ed_buf_append_str(&num, digits);
        } else {
            size_t nd = strlen(digits);
            for (int i = 0; i < dp; i++)
                ed_buf_append(&num, (size_t)i < nd ? &digits[i] : "0", 1);
            if ((size_t)dp < nd) {
                ed_buf_append_str(&num, ".");
                ed_buf_append_str(&num, digits + dp);
            }
        }
    }
    if (!e->whitespace)
        put(e, ' ');
    put_str(e, num.data ? num.data : "0");
    ed_buf_free(&num);
    return 0;
}

/* True when text is a decimal integer that fits uint64 (and so not int64, or the parser would
 * have made an int of it). */
static bool uint64_text(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n > 20 || !all_digits(text, n, 10) || (n > 1 && text[0] == '0'))
        return false;
    return n < 20 || strcmp(text, "18446744073709551615") <= 0;
}

/* ---- key order: go-yaml v2's keyList.Less ---- */

static bool is_letter(unsigned v)
{
    /* unicode.IsLetter for ASCII; every non-ASCII character above U+00BF that appears in keys
     * is taken as a letter (approximation outside ASCII). */
    return (v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') || v == 0xaa || v == 0xb5 ||
           v == 0xba || (v >= 0xc0 && v != 0xd7 && v != 0xf7);
}

static bool is_digit(unsigned v)
{
    return v >= '0' && v <= '9';
}

/* Decode a key into code points (the caller frees *out). */
static size_t runes(const char *s, unsigned **out)
{
    size_t n = strlen(s), k = 0;
    unsigned *r = ed_xmalloc((n + 1) * sizeof(unsigned));
    for (size_t i = 0; i < n;) {
        size_t w;
        r[k++] = decode(s, n, i, &w);
        i += w;
    }
    *out = r;
    return k;
}

static bool key_less(const char *as, const char *bs)
{
    unsigned *a, *b;
    size_t na = runes(as, &a), nb = runes(bs, &b);
    bool result = na < nb;
    for (size_t i = 0; i < na && i < nb; i++) {
        if (a[i] == b[i])
            continue;
        bool al = is_letter(a[i]), bl = is_letter(b[i]);
        if (al && bl) {
            result = a[i] < b[i];
            goto done;
        }
        if (al || bl) {
            result = bl;
            goto done;
        }
        int64_t an = 0, bn = 0;
        if (a[i] == '0' || b[i] == '0') {
            for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
                if (a[j] != '0') {
                    an = bn = 1;
                    break;
                }
            }
        }
        /* Go's int64 arithmetic wraps on overflow, and the order of long digit runs follows it:
         * accumulate in unsigned arithmetic (defined wrap) and read the result as signed. */
        uint64_t au = (uint64_t)an, bu = (uint64_t)bn;
        size_t ai = i, bi = i;
        for (; ai < na && is_digit(a[ai]); ai++)
            au = au * 10 + (uint64_t)(a[ai] - '0');
        for (; bi < nb && is_digit(b[bi]); bi++)
            bu = bu * 10 + (uint64_t)(b[bi] - '0');
        an = (int64_t)au;
        bn = (int64_t)bu;
        if (an != bn)
            result = an < bn;
        else if (ai != bi)
            result = ai < bi;
        else
            result = a[i] < b[i];
        goto done;
    }
done:
    free(a);
    free(b);
    return result;
}

/* Sort the pair indexes of a mapping (insertion sort: Kubernetes mappings are small, and the
 * order is total, so stability does not matter). */
static size_t *sorted_keys(const ed_node *map)
{
    size_t n = map->u.c.len;
    size_t *idx = ed_xmalloc((n ? n : 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && key_less(map->u.c.items[i].key, map->u.c.items[idx[j - 1]].key)) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return idx;
}

/* ---- comments ---- */

/* Write the comments that stood before line (INT_MAX: all) at the columns their columns' keys
 * and items are written at (indent when none was seen). */
static void flush_comments(struct emitter *e, int line, int indent)
{
    while (e->next_comment < e->ncomments && e->comments[e->next_comment].line < line) {
        const ed_yaml_comment *c = &e->comments[e->next_comment++];
        int at =
            c->col >= 0 && c->col < 128 && e->columns[c->col] >= 0 ? e->columns[c->col] : indent;
        if (e->column > 0)
            put_break(e);
        while (e->column < at)
            put(e, ' ');
        put(e, '#');
        put_str(e, c->text);
        put_break(e);
    }
}

/* A key or item of the parsed text at line and col is written at indent: the comments before
 * it first. (Built nodes, line 0, have none.) */
static void comments_before(struct emitter *e, int line, int col, int indent)
{
    if (!e->comments || line <= 0)
        return;
    if (col >= 0 && col < 128)
        e->columns[col] = indent;
    flush_comments(e, line, indent);
}

/* ---- nodes ---- */

static int emit_seq(struct emitter *e, const ed_node *seq, int indent, bool inline_first,
                    int depth);
static int emit_map(struct emitter *e, const ed_node *map, int indent, bool inline_first,
                    int depth);

/* A value after "key:" or "-": scalars and empty collections on the same line; indent is the
 * column of the key or dash. in_map says whether a sequence here is a mapping value (written
 * without indentation) or a sequence item. */
/* The indentation of a block nested in a mapping whose keys are at column indent: two more
 * for kustomize; for yaml.v3 the next multiple of its indent past the key ("aligns to the
 * chosen indentation"), so that a mapping inside a sequence item, whose keys sit two columns
 * after the dash, nests at a multiple of four. */
static int nested(const struct emitter *e, int indent)
{
    if (!e->sops)
        return indent + BEST_INDENT;
    return SOPS_INDENT * ((indent + SOPS_INDENT) / SOPS_INDENT);
}

static int emit_value(struct emitter *e, const ed_node *v, int indent, bool in_map, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH * 2)
        return ED_EINVALID;
    switch (v ? v->kind : ED_NODE_NULL) {
    case ED_NODE_NULL:
        put_word(e, "null");
        return 0;
    case ED_NODE_BOOL:
        put_word(e, v->u.b.value ? "true" : "false");
        return 0;
    case ED_NODE_INT: {
        char num[32];
        snprintf(num, sizeof(num), "%lld", (long long)v->u.i.value);
        put_word(e, num);
        return 0;
    }
    case ED_NODE_FLOAT:
        /* (sops's decrypted floats are written 'f' and may read as integers: for sops only
         * past int64 is it one) */
        if (uint64_text(v->u.f.text) && (!e->sops || v->u.f.value >= 9223372036854775808.0)) {
            /* an integer too large for int64: yaml.v3 keeps it as uint64, and so does JSON */
            put_word(e, v->u.f.text);
            return 0;
        }
        return write_float(e, v->u.f.value);
    case ED_NODE_STR:
        if (e->sops && v->u.s.len == 2 && memcmp(v->u.s.text, "<<", 2) == 0) {
            /* yaml.v3 resolves "<<" to its merge tag and writes the tag out */
            put_word(e, "!!merge <<");
            return 0;
        }
        /* a sequence item's content sits after its "- " */
        write_string(e, v->u.s.text, v->u.s.len, false, in_map ? nested(e, indent) : indent + 2);
        return 0;
    case ED_NODE_SEQ:
        if (v->u.c.len == 0) {
            put_word(e, "[]");
            return 0;
        }
        if (in_map) /* kustomize does not indent a sequence in a mapping, yaml.v3 does */
            return emit_seq(e, v, e->sops ? nested(e, indent) : indent, false, depth + 1);
        put(e, ' ');
        return emit_seq(e, v, indent + 2, true, depth + 1);
    case ED_NODE_MAP:
        if (v->u.c.len == 0) {
            put_word(e, "{}");
            return 0;
        }
        if (in_map)
            return emit_map(e, v, nested(e, indent), false, depth + 1);
        put(e, ' ');
        return emit_map(e, v, indent + 2, true, depth + 1);
    }
    return ED_ERROR;
}

static int emit_seq(struct emitter *e, const ed_node *seq, int indent, bool inline_first, int depth)
{
    for (size_t i = 0; i < seq->u.c.len; i++) {
        const ed_node *item = seq->u.c.items[i].value;
        if (item && (i > 0 || !inline_first || e->column == 0))
            comments_before(e, item->line, item->col - 2, indent); /* its dash's column */
        if (i > 0 || !inline_first)
            write_indent(e, indent);
        put(e, '-');
        int rc = emit_value(e, seq->u.c.items[i].value, indent, false, depth);
        if (rc)
            return rc;
    }
    return 0;
}

/* libyaml's check_simple_key for a scalar: at most 128 bytes and on one line. */
static bool simple_key(const char *s, size_t n)
{
    if (n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (is_break(s, n, i))
            return false;
    return true;
}

static int emit_map(struct emitter *e, const ed_node *map, int indent, bool inline_first, int depth)
{
    size_t *idx = e->sops ? NULL : sorted_keys(map); /* sops keeps the document's order */
    int rc = 0;
    for (size_t i = 0; i < map->u.c.len && !rc; i++) {
        const ed_pair *p = &map->u.c.items[idx ? idx[i] : i];
        if (i > 0 || !inline_first || e->column == 0)
            comments_before(e, p->key_line, p->key_col, indent);
        if (i > 0 || !inline_first)
            write_indent(e, indent);
        size_t klen = strlen(p->key);
        if (simple_key(p->key, klen)) {
            write_string(e, p->key, klen, true, indent);
        } else {
            /* libyaml writes keys over 128 bytes or with line breaks as "? key" / ": value" */
            put(e, '?');
            write_string(e, p->key, klen, false, nested(e, indent));
            write_indent(e, indent);
        }
        put(e, ':');
        rc = emit_value(e, p->value, indent, true, depth);
    }
    free(idx);
    return rc;
}

static int emit_document(struct emitter *e0, const ed_node *node)
{
    struct emitter e = *e0;
    int rc;
    if (node && node->kind == ED_NODE_MAP && node->u.c.len > 0) {
        rc = emit_map(&e, node, 0, true, 0);
    } else if (node && node->kind == ED_NODE_SEQ && node->u.c.len > 0) {
        rc = emit_seq(&e, node, 0, true, 0);
    } else {
        /* a scalar or an empty collection as the whole document */
        rc = emit_value(&e, node, -BEST_INDENT, false, 0);
    }
    if (rc)
        return rc;
    if (e.column != 0)
        put_break(&e);
    /* the comments written, and where each column's keys went, carry on to the next document */
    e0->next_comment = e.next_comment;
    memcpy(e0->columns, e.columns, sizeof(e.columns));
    return e.rc;
}

int ed_node_to_yaml(const ed_node *node, ed_buf *out)
{
    struct emitter e = {.out = out, .whitespace = true, .width = BEST_WIDTH};
    return emit_document(&e, node);
}

static int list_to_yaml(ed_doc *const *docs, size_t count, bool sops,
                        const ed_yaml_comment *comments, size_t ncomments, const int *doc_starts,
                        size_t starts, ed_buf *out)
{
    struct emitter e = {.out = out,
                        .whitespace = true,
                        .sops = sops,
                        .width = sops ? INT_MAX : BEST_WIDTH,
                        .comments = comments,
                        .ncomments = ncomments};
    for (size_t c = 0; c < 128; c++)
        e.columns[c] = -1;
    /* a document's text ends where the next one's "---" stands (the first "---" may open the
     * first document) */
    const ed_node *first = count ? ed_doc_root(docs[0]) : NULL;
    size_t skip = starts > 0 && first && doc_starts[0] <= first->line ? 1 : 0;
    for (size_t i = 0; i < count; i++) {
        int rc = 0;
        if (i > 0)
            rc = ed_buf_append_str(out, "---\n");
        if (!rc)
            rc = emit_document(&e, ed_doc_root(docs[i]));
        if (!rc && comments) {
            e.column = 0;
            e.whitespace = true;
            flush_comments(&e, i + skip < starts ? doc_starts[i + skip] : INT_MAX, 0);
            rc = e.rc;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int ed_doc_list_to_yaml(ed_doc *const *docs, size_t count, ed_buf *out)
{
    return list_to_yaml(docs, count, false, NULL, 0, NULL, 0, out);
}

int ed_doc_list_to_yaml_sops(ed_doc *const *docs, size_t count, const ed_yaml_comment *comments,
                             size_t ncomments, const int *doc_starts, size_t starts, ed_buf *out)
{
    return list_to_yaml(docs, count, true, comments, ncomments, doc_starts, starts, out);
}
