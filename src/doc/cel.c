/*
 * cel: the Common Expression Language (github.com/google/cel-spec, doc/langdef.md) as Flux
 * evaluates it for a Kustomization's spec.healthCheckExprs and spec.dependsOn[].readyExpr:
 * expressions are parsed and evaluated over dynamically typed JSON values, with cel-go's
 * options CrossTypeNumericComparisons and OptionalTypes and its ext.Strings, ext.Sets and
 * ext.Encoders libraries. There is no full type checker: ed_cel_check finds what cel-go's
 * would when Flux compiles readyExpr as far as the syntax alone decides it (names that are not
 * declared, a result that is not a bool).
 *
 * The parser is recursive descent with CEL's precedence; it expands the macros (has, all,
 * exists, exists_one or existsOne, map, filter) into their own nodes. Nesting is capped
 * (CEL_MAX_DEPTH, for parentheses and for left-leaning chains such as a+a+a... alike) so hostile
 * text cannot exhaust the stack, and so is the text's length.
 *
 * Evaluation makes values in an arena freed when it ends. Errors are values, as in CEL: `&&`
 * and `||` are commutative (an error on one side is absorbed when the other side decides), as
 * are all() and exists(); every other operator and function passes its first error on. A step
 * budget and a byte budget stop runaway evaluations (a comprehension over a comprehension).
 * Timestamps (RFC 3339) and durations (Go's format) compare, add and subtract; their getters
 * take UTC (DefaultUTCTimeZone) or a fixed offset, not a named zone. type() is not there.
 */
#include "doc.h"

#include <errno.h>
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Longest expression text, nesting depth of its syntax tree, evaluation steps and bytes. */
#define CEL_MAX_LEN    (100 * 1000)
#define CEL_MAX_DEPTH  128
#define CEL_MAX_STEPS  (2 * 1000 * 1000)
#define CEL_MAX_BYTES  (64u << 20)
#define CEL_MAX_RE_LEN 4096

/* ---- values ---- */

typedef enum {
    V_NULL,
    V_BOOL,
    V_INT,
    V_UINT,
    V_DOUBLE,
    V_STRING,
    V_BYTES,
    V_LIST,
    V_MAP,
    V_OPT,
    V_TIME, /* google.protobuf.Timestamp: t.sec since the epoch and t.nsec */
    V_DUR,  /* google.protobuf.Duration: i nanoseconds */
    V_ERR,
} vkind;

typedef struct val val;
struct val {
    vkind kind;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        struct {
            const char *p;
            size_t n;
        } s; /* string (UTF-8), bytes, and an error's message */
        struct {
            val **v;
            size_t n;
        } l;
        struct {
            val **k;
            val **v;
            size_t n;
        } m;
        val *opt; /* NULL for optional.none() */
        struct {
            int64_t sec;
            int32_t nsec;
        } t;
    };
};

static const char *kind_name(vkind k)
{
    static const char *names[] = {"null_type",
                                  "bool",
                                  "int",
                                  "uint",
                                  "double",
                                  "string",
                                  "bytes",
                                  "list",
                                  "map",
                                  "optional",
                                  "google.protobuf.Timestamp",
                                  "google.protobuf.Duration",
                                  "error"};
    return names[k];
}

/* ---- syntax tree ---- */

typedef enum {
    N_LIT,
    N_IDENT,
    N_SELECT, /* target.name, or target.?name when opt */
    N_INDEX,  /* target[args[0]], or target[?args[0]] when opt */
    N_CALL,   /* name(args) or target.name(args); operators are calls named by their symbol */
    N_LIST,
    N_MAP, /* args[2i]: args[2i+1] */
    N_COND,
    N_AND,
    N_OR,
    N_HAS,  /* has(target.name) */
    N_COMP, /* a macro over target with the variable name */
} nkind;

typedef enum {
    M_ALL,
    M_EXISTS,
    M_EXISTS_ONE,
    M_MAP,
    M_FILTER
} macro;

typedef struct node node;
struct node {
    nkind kind;
    bool opt;
    macro mac;
    int depth;
    const char *name;
    val *lit;
    node *target;
    node **args;
    bool *optent; /* optional entries ([?x], {?k: v}) of a list or map literal */
    size_t nargs;
    size_t pos; /* an identifier's or a call's offset in the text, for the checker's messages */
};

struct ed_cel {
    ed_arena *arena;
    node *root;
    char *expr;
};

/* ---- UTF-8 ---- */

/* The code point at s[*i] (U+FFFD for a byte that starts none), advancing *i. */
static uint32_t u8_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = n - *i;
    uint32_t c = p[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > left) {
        (*i)++;
        return 0xFFFD;
    }
    if (len == 1) {
        (*i)++;
        return c;
    }
    c &= 0x3F >> (len - 1);
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        c = (c << 6) | (p[k] & 0x3F);
    }
    *i += len;
    return c;
}

static size_t u8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++)
        u8_next(s, n, &i);
    return count;
}

/* The byte offset of code point cp, or SIZE_MAX past the end (cp == count gives n). */
static size_t u8_offset(const char *s, size_t n, int64_t cp)
{
    size_t i = 0;
    if (cp < 0)
        return SIZE_MAX;
    for (int64_t k = 0; k < cp; k++) {
        if (i >= n)
            return SIZE_MAX;
        u8_next(s, n, &i);
    }
    return i;
}

static size_t u8_put(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static bool u8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t at = i;
        uint32_t c = u8_next(s, n, &i);
        if (c == 0xFFFD && !(i - at == 3 && (unsigned char)s[at] == 0xEF))
            return false;
        if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
            return false;
    }
    return true;
}

/* ---- lexer ---- */

typedef enum {
    T_EOF,
    T_IDENT,
    T_INT,
    T_UINT,
    T_DOUBLE,
    T_STRING,
    T_BYTES,
    T_OP
} tkind;

typedef struct {
    tkind kind;
    size_t pos;
    char op[4];
    const char *text; /* identifier, or a string/bytes literal's decoded value */
    size_t len;
    uint64_t u; /* int (as its magnitude) and uint literals */
    double d;
} token;

typedef struct {
    const char *src;
    size_t n, pos;
    ed_arena *arena;
    token tok;
    char err[512];
    bool failed;
    int depth;
} parser;

/* The line and column (in code points, from 1) of offset pos in src, as cel-go counts them. */
static void line_col(const char *src, size_t n, size_t pos, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos && i < n; i++) {
        if (src[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)src[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static void perr(parser *p, size_t pos, const char *fmt, ...) ED_PRINTF(3, 4);
static void perr(parser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    int line, col;
    line_col(p->src, p->n, pos, &line, &col);
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(p->err, sizeof(p->err), "ERROR: <input>:%d:%d: Syntax error: %s", line, col, what);
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read a quoted literal starting at the quote at p->pos into the token. */
static void lex_string(parser *p, bool raw, bool bytes, size_t start)
{
    const char *s = p->src;
    char q = s[p->pos];
    bool triple = p->pos + 2 < p->n && s[p->pos + 1] == q && s[p->pos + 2] == q;
    p->pos += triple ? 3 : 1;
    /* Decoded text is never longer than the source. */
    char *out = ed_arena_alloc(p->arena, p->n - p->pos + 1);
    size_t len = 0;
    for (;;) {
        if (p->pos >= p->n) {
            perr(p, start, "unterminated string literal");
            return;
        }
        char c = s[p->pos];
        if (c == q &&
            (!triple || (p->pos + 2 < p->n && s[p->pos + 1] == q && s[p->pos + 2] == q))) {
            p->pos += triple ? 3 : 1;
            break;
        }
        if (!triple && (c == '\n' || c == '\r')) {
            perr(p, start, "unterminated string literal");
            return;
        }
        if (c != '\\' || raw) {
            out[len++] = c;
            p->pos++;
            continue;
        }
        size_t esc = p->pos;
        char e = '\0';
        if (p->pos + 1 < p->n)
            e = s[p->pos + 1];
        p->pos += 2;
        const char *simple = strchr("abfnrtv\\'\"`?", e);
        if (e && simple) {
            static const char map[] = "\a\b\f\n\r\t\v\\'\"`?";
            out[len++] = map[simple - "abfnrtv\\'\"`?"];
            continue;
        }
        uint32_t cp = 0;
        int digits = e == 'x' || e == 'X' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (digits) {
            for (int k = 0; k < digits; k++) {
                int h = p->pos < p->n ? ed_hex_digit(s[p->pos]) : -1;
                if (h < 0) {
                    perr(p, esc, "invalid escape sequence");
                    return;
                }
                cp = cp * 16 + (uint32_t)h;
                p->pos++;
            }
        } else if (e >= '0' && e <= '3') {
            cp = (uint32_t)(e - '0');
            for (int k = 0; k < 2; k++) {
                if (p->pos >= p->n || s[p->pos] < '0' || s[p->pos] > '7') {
                    perr(p, esc, "invalid escape sequence");
                    return;
                }
                cp = cp * 8 + (uint32_t)(s[p->pos] - '0');
                p->pos++;
            }
        } else {
            perr(p, esc, "invalid escape sequence");
            return;
        }
        /* \x and octal escapes are bytes in a bytes literal and code points in a string. */
        if (bytes && digits <= 2) {
            out[len++] = (char)cp;
            continue;
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            perr(p, esc, "invalid unicode code point");
            return;
        }
        char enc[4];
        size_t k = u8_put(enc, cp);
        if (len + k > p->n) { /* defensive: an escape is never shorter than its encoding */
            perr(p, esc, "invalid escape sequence");
            return;
        }
        memcpy(out + len, enc, k);
        len += k;
    }
    out[len] = '\0';
    p->tok.kind = bytes ? T_BYTES : T_STRING;
    p->tok.text = out;
    p->tok.len = len;
}

static void lex_number(parser *p, size_t start)
{
    const char *s = p->src;
    size_t i = p->pos;
    if (s[i] == '0' && i + 1 < p->n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
        uint64_t v = 0;
        bool any = false, over = false;
        while (i < p->n && ed_hex_digit(s[i]) >= 0) {
            if (v >> 60)
                over = true;
            v = v * 16 + (uint64_t)ed_hex_digit(s[i]);
            i++;
            any = true;
        }
        if (!any) {
            perr(p, start, "invalid hex literal");
            return;
        }
        p->tok.kind = T_INT;
        if (i < p->n && (s[i] == 'u' || s[i] == 'U')) {
            p->tok.kind = T_UINT;
            i++;
        }
        if (over) {
            perr(p, start, "invalid int literal");
            return;
        }
        p->tok.u = v;
        p->pos = i;
        return;
    }
    while (i < p->n && is_digit(s[i]))
        i++;
    bool dbl = false;
    if (i + 1 < p->n && s[i] == '.' && is_digit(s[i + 1])) {
        dbl = true;
        i++;
        while (i < p->n && is_digit(s[i]))
            i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < p->n && is_digit(s[j])) {
            dbl = true;
            i = j;
            while (i < p->n && is_digit(s[i]))
                i++;
        }
    }
    char *text = ed_arena_alloc(p->arena, i - p->pos + 1);
    memcpy(text, s + p->pos, i - p->pos);
    if (dbl) {
        p->tok.kind = T_DOUBLE;
        p->tok.d = strtod(text, NULL);
        p->pos = i;
        return;
    }
    p->tok.kind = T_INT;
    if (i < p->n && (s[i] == 'u' || s[i] == 'U')) {
        p->tok.kind = T_UINT;
        i++;
    }
    uint64_t v = 0;
    for (const char *c = text; *c; c++) {
        if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) {
            perr(p, start, "invalid %s literal", p->tok.kind == T_UINT ? "uint" : "int");
            return;
        }
        v = v * 10 + (uint64_t)(*c - '0');
    }
    p->tok.u = v;
    p->pos = i;
}

static void next(parser *p)
{
    const char *s = p->src;
    memset(&p->tok, 0, sizeof(p->tok));
    for (;;) {
        while (p->pos < p->n && strchr(" \t\n\r\f", s[p->pos]) && s[p->pos])
            p->pos++;
        if (p->pos + 1 < p->n && s[p->pos] == '/' && s[p->pos + 1] == '/') {
            while (p->pos < p->n && s[p->pos] != '\n')
                p->pos++;
            continue;
        }
        break;
    }
    size_t start = p->pos;
    p->tok.pos = start;
    if (p->failed || p->pos >= p->n) {
        p->tok.kind = T_EOF;
        return;
    }
    char c = s[p->pos];
    if (is_ident_start(c)) {
        /* String and bytes prefixes: r, b, and both in either order, any case. */
        size_t i = p->pos;
        bool raw = false, bytes = false;
        for (int k = 0; k < 2 && i < p->n; k++, i++) {
            if ((s[i] == 'r' || s[i] == 'R') && !raw)
                raw = true;
            else if ((s[i] == 'b' || s[i] == 'B') && !bytes)
                bytes = true;
            else
                break;
        }
        if ((raw || bytes) && i < p->n && (s[i] == '\'' || s[i] == '"')) {
            p->pos = i;
            lex_string(p, raw, bytes, start);
            return;
        }
        i = p->pos;
        while (i < p->n && (is_ident_start(s[i]) || is_digit(s[i])))
            i++;
        p->tok.kind = T_IDENT;
        p->tok.text = ed_arena_alloc(p->arena, i - p->pos + 1);
        memcpy((char *)p->tok.text, s + p->pos, i - p->pos);
        p->tok.len = i - p->pos;
        p->pos = i;
        return;
    }
    if (c == '\'' || c == '"') {
        lex_string(p, false, false, start);
        return;
    }
    if (is_digit(c) || (c == '.' && p->pos + 1 < p->n && is_digit(s[p->pos + 1]))) {
        lex_number(p, start);
        return;
    }
    static const char *ops[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!",
                                "+",  "-",  "*",  "/",  "%",  "?",  ":", ".", ",",
                                "(",  ")",  "[",  "]",  "{",  "}",  NULL};
    for (int k = 0; ops[k]; k++) {
        size_t len = strlen(ops[k]);
        if (p->pos + len <= p->n && memcmp(s + p->pos, ops[k], len) == 0) {
            p->tok.kind = T_OP;
            memcpy(p->tok.op, ops[k], len);
            p->pos += len;
            return;
        }
    }
    perr(p, start, "token recognition error at: '%c'", c >= 0x20 && c < 0x7f ? c : '?');
    p->tok.kind = T_EOF;
}

static bool is_op(const parser *p, const char *op)
{
    return p->tok.kind == T_OP && strcmp(p->tok.op, op) == 0;
}

static bool accept(parser *p, const char *op)
{
    if (!is_op(p, op))
        return false;
    next(p);
    return true;
}

static void expect(parser *p, const char *op)
{
    if (!accept(p, op))
        perr(p, p->tok.pos, "expected '%s'", op);
}

/* ---- parser ---- */

static node *mk(parser *p, nkind kind, node *target, size_t nargs)
{
    node *n = ed_arena_alloc(p->arena, sizeof(*n));
    n->kind = kind;
    n->target = target;
    n->nargs = nargs;
    n->depth = 1 + (target ? target->depth : 0);
    if (n->depth > CEL_MAX_DEPTH) /* a chain of selections or calls without arguments */
        perr(p, p->tok.pos, "expression recursion limit exceeded: %d", CEL_MAX_DEPTH);
    if (nargs) {
        n->args = ed_arena_alloc(p->arena, nargs * sizeof(node *));
        n->optent = ed_arena_alloc(p->arena, nargs * sizeof(bool));
    }
    return n;
}

/* Record a child's depth in its parent, refusing trees deeper than CEL_MAX_DEPTH. */
static void deepen(parser *p, node *n, const node *child)
{
    if (child && child->depth + 1 > n->depth)
        n->depth = child->depth + 1;
    if (n->depth > CEL_MAX_DEPTH)
        perr(p, p->tok.pos, "expression recursion limit exceeded: %d", CEL_MAX_DEPTH);
}

static node *call2(parser *p, const char *op, node *a, node *b)
{
    node *n = mk(p, N_CALL, NULL, b ? 2 : 1);
    n->name = op;
    n->args[0] = a;
    deepen(p, n, a);
    if (b) {
        n->args[1] = b;
        deepen(p, n, b);
    }
    return n;
}

static val *mkval(ed_arena *a, vkind k)
{
    val *v = ed_arena_alloc(a, sizeof(*v));
    v->kind = k;
    return v;
}

static node *parse_expr(parser *p);

static bool reserved(const char *name)
{
    static const char *words[] = {"as",        "break",  "const",  "continue", "else",  "for",
                                  "function",  "if",     "import", "let",      "loop",  "package",
                                  "namespace", "return", "var",    "void",     "while", "in",
                                  "true",      "false",  "null",   NULL};
    for (int k = 0; words[k]; k++)
        if (strcmp(name, words[k]) == 0)
            return true;
    return false;
}

/* Arguments up to the closing parenthesis (the opening one is consumed). */
static node **parse_args(parser *p, size_t *count)
{
    node **args = NULL;
    size_t n = 0, cap = 0;
    if (!is_op(p, ")")) {
        do {
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                node **grown = ed_arena_alloc(p->arena, cap * sizeof(node *));
                if (n)
                    memcpy(grown, args, n * sizeof(node *));
                args = grown;
            }
            args[n++] = parse_expr(p);
        } while (!p->failed && accept(p, ","));
    }
    expect(p, ")");
    *count = n;
    return args;
}

/* The functions called with a namespace (sets.contains): a receiver-style call on one of these
 * names is a global call by the qualified name. */
static const char *qualified(parser *p, const node *target, const char *name)
{
    static const char *names[] = {"sets.contains", "sets.equivalent",         "sets.intersects",
                                  "base64.encode", "base64.decode",           "optional.of",
                                  "optional.none", "optional.ofNonZeroValue", NULL};
    if (!target || target->kind != N_IDENT)
        return NULL;
    char full[128];
    snprintf(full, sizeof(full), "%s.%s", target->name, name);
    for (int k = 0; names[k]; k++)
        if (strcmp(full, names[k]) == 0)
            return ed_arena_strdup(p->arena, full);
    return NULL;
}

static node *make_call(parser *p, node *target, const char *name, node **args, size_t nargs,
                       size_t pos)
{
    static const struct {
        const char *name;
        macro mac;
    } macros[] = {{"all", M_ALL},
                  {"exists", M_EXISTS},
                  {"exists_one", M_EXISTS_ONE},
                  {"existsOne", M_EXISTS_ONE}, /* cel-go's newer name, among its macros */
                  {"map", M_MAP},
                  {"filter", M_FILTER}};
    if (!target && strcmp(name, "has") == 0 && nargs == 1) {
        if (args[0]->kind != N_SELECT || args[0]->opt) {
            perr(p, pos, "invalid argument to has() macro");
            return NULL;
        }
        node *n = mk(p, N_HAS, args[0], 0);
        deepen(p, n, args[0]);
        return n;
    }
    if (target) {
        for (size_t k = 0; k < sizeof(macros) / sizeof(macros[0]); k++) {
            if (strcmp(name, macros[k].name) != 0)
                continue;
            bool three = macros[k].mac == M_MAP && nargs == 3;
            if (nargs != 2 && !three)
                break;
            if (args[0]->kind != N_IDENT) {
                perr(p, pos, "argument must be a simple name");
                return NULL;
            }
            node *n = mk(p, N_COMP, target, nargs - 1);
            n->mac = macros[k].mac;
            n->name = args[0]->name;
            for (size_t a = 1; a < nargs; a++) {
                n->args[a - 1] = args[a];
                deepen(p, n, args[a]);
            }
            return n;
        }
    }
    const char *q = qualified(p, target, name);
    node *n = mk(p, N_CALL, q ? NULL : target, nargs);
    n->name = q ? q : name;
    if (q)
        n->depth = 1;
    for (size_t a = 0; a < nargs; a++) {
        n->args[a] = args[a];
        deepen(p, n, args[a]);
    }
    return n;
}

/* A list's items or a map's entries up to the closing bracket (the opening one consumed). */
static node *parse_aggregate(parser *p, bool is_map)
{
    const char *close = is_map ? "}" : "]";
    node **items = NULL;
    bool *opts = NULL;
    size_t n = 0, cap = 0;
    while (!p->failed && !is_op(p, close)) {
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 8;
            node **grown = ed_arena_alloc(p->arena, cap * sizeof(node *));
            bool *ogrown = ed_arena_alloc(p->arena, cap * sizeof(bool));
            if (n) {
                memcpy(grown, items, n * sizeof(node *));
                memcpy(ogrown, opts, n * sizeof(bool));
            }
            items = grown;
            opts = ogrown;
        }
        bool opt = accept(p, "?");
        opts[n] = opt;
        items[n++] = parse_expr(p);
        if (is_map) {
            expect(p, ":");
            items[n++] = parse_expr(p);
        }
        if (!accept(p, ","))
            break;
    }
    expect(p, close);
    node *agg = mk(p, is_map ? N_MAP : N_LIST, NULL, n);
    for (size_t k = 0; k < n && !p->failed; k++) {
        agg->args[k] = items[k];
        agg->optent[k] = opts[k];
        deepen(p, agg, items[k]);
    }
    return agg;
}

static node *parse_primary(parser *p)
{
    token t = p->tok;
    if (p->failed)
        return NULL;
    if (t.kind == T_IDENT || is_op(p, ".")) {
        if (is_op(p, ".")) {
            next(p);
            t = p->tok;
            if (t.kind != T_IDENT) {
                perr(p, t.pos, "expected an identifier");
                return NULL;
            }
        }
        next(p);
        if (strcmp(t.text, "true") == 0 || strcmp(t.text, "false") == 0) {
            node *n = mk(p, N_LIT, NULL, 0);
            n->lit = mkval(p->arena, V_BOOL);
            n->lit->b = t.text[0] == 't';
            return n;
        }
        if (strcmp(t.text, "null") == 0) {
            node *n = mk(p, N_LIT, NULL, 0);
            n->lit = mkval(p->arena, V_NULL);
            return n;
        }
        if (reserved(t.text)) {
            perr(p, t.pos, "reserved identifier: %s", t.text);
            return NULL;
        }
        if (accept(p, "(")) {
            size_t nargs;
            node **args = parse_args(p, &nargs);
            node *n = p->failed ? NULL : make_call(p, NULL, t.text, args, nargs, t.pos);
            if (n)
                n->pos = t.pos;
            return n;
        }
        if (is_op(p, "{")) {
            perr(p, p->tok.pos, "message construction is not supported");
            return NULL;
        }
        node *n = mk(p, N_IDENT, NULL, 0);
        n->name = t.text;
        n->pos = t.pos;
        return n;
    }
    if (accept(p, "(")) {
        node *n = parse_expr(p);
        expect(p, ")");
        return n;
    }
    if (accept(p, "["))
        return parse_aggregate(p, false);
    if (accept(p, "{"))
        return parse_aggregate(p, true);
    node *n = mk(p, N_LIT, NULL, 0);
    switch (t.kind) {
    case T_INT:
        if (t.u > INT64_MAX) {
            perr(p, t.pos, "invalid int literal");
            return NULL;
        }
        n->lit = mkval(p->arena, V_INT);
        n->lit->i = (int64_t)t.u;
        break;
    case T_UINT:
        n->lit = mkval(p->arena, V_UINT);
        n->lit->u = t.u;
        break;
    case T_DOUBLE:
        n->lit = mkval(p->arena, V_DOUBLE);
        n->lit->d = t.d;
        break;
    case T_STRING:
    case T_BYTES:
        if (t.kind == T_STRING && !u8_valid(t.text, t.len)) {
            perr(p, t.pos, "invalid UTF-8 in string literal");
            return NULL;
        }
        n->lit = mkval(p->arena, t.kind == T_STRING ? V_STRING : V_BYTES);
        n->lit->s.p = t.text;
        n->lit->s.n = t.len;
        break;
    case T_EOF:
        perr(p, t.pos, "mismatched input '<EOF>'");
        return NULL;
    default:
        perr(p, t.pos, "mismatched input '%s'", t.op);
        return NULL;
    }
    next(p);
    return n;
}

static node *parse_member(parser *p)
{
    node *n = parse_primary(p);
    while (!p->failed) {
        size_t pos = p->tok.pos;
        if (accept(p, ".")) {
            bool opt = accept(p, "?");
            token t = p->tok;
            /* Reserved words may name fields, CEL's keywords may not. */
            if (t.kind != T_IDENT || strcmp(t.text, "in") == 0 || strcmp(t.text, "true") == 0 ||
                strcmp(t.text, "false") == 0 || strcmp(t.text, "null") == 0) {
                perr(p, t.pos, "expected a field name");
                return NULL;
            }
            next(p);
            size_t open = p->tok.pos; /* cel-go places a method call at its parenthesis */
            if (!opt && accept(p, "(")) {
                size_t nargs;
                node **args = parse_args(p, &nargs);
                if (p->failed)
                    return NULL;
                n = make_call(p, n, t.text, args, nargs, pos);
                if (n)
                    n->pos = open;
                continue;
            }
            node *sel = mk(p, N_SELECT, n, 0);
            sel->name = t.text;
            sel->opt = opt;
            deepen(p, sel, n);
            n = sel;
        } else if (accept(p, "[")) {
            bool opt = accept(p, "?");
            node *idx = mk(p, N_INDEX, n, 1);
            idx->opt = opt;
            idx->args[0] = parse_expr(p);
            expect(p, "]");
            deepen(p, idx, n);
            deepen(p, idx, idx->args[0]);
            n = idx;
        } else {
            break;
        }
    }
    return p->failed ? NULL : n;
}

static node *parse_unary(parser *p)
{
    if (is_op(p, "!") || is_op(p, "-")) {
        bool neg = is_op(p, "-");
        size_t pos = p->tok.pos;
        next(p);
        /* The most negative int is written as a negated literal CEL folds into one value. */
        if (neg && p->tok.kind == T_INT && p->tok.u == (uint64_t)INT64_MAX + 1) {
            size_t save = p->pos;
            token t = p->tok;
            next(p);
            if (!is_op(p, ".") && !is_op(p, "[")) {
                node *n = mk(p, N_LIT, NULL, 0);
                n->lit = mkval(p->arena, V_INT);
                n->lit->i = INT64_MIN;
                return n;
            }
            p->pos = save;
            p->tok = t;
        }
        if (++p->depth > CEL_MAX_DEPTH) {
            perr(p, pos, "expression recursion limit exceeded: %d", CEL_MAX_DEPTH);
            return NULL;
        }
        node *operand = parse_unary(p);
        p->depth--;
        return p->failed ? NULL : call2(p, neg ? "neg" : "!", operand, NULL);
    }
    return parse_member(p);
}

static node *parse_binary(parser *p, int level)
{
    static const char *levels[][7] = {
        {"||", NULL},     {"&&", NULL},          {"==", "!=", "<", "<=", ">", ">=", "in"},
        {"+", "-", NULL}, {"*", "/", "%", NULL},
    };
    if (level == 5)
        return parse_unary(p);
    node *left = parse_binary(p, level + 1);
    while (!p->failed) {
        const char *op = NULL;
        for (int k = 0; k < 7 && levels[level][k]; k++) {
            if (is_op(p, levels[level][k]) ||
                (strcmp(levels[level][k], "in") == 0 && p->tok.kind == T_IDENT &&
                 strcmp(p->tok.text, "in") == 0))
                op = levels[level][k];
        }
        if (!op)
            break;
        next(p);
        node *right = parse_binary(p, level + 1);
        if (p->failed)
            return NULL;
        if (level <= 1) {
            node *n = mk(p, level == 0 ? N_OR : N_AND, NULL, 2);
            n->args[0] = left;
            n->args[1] = right;
            deepen(p, n, left);
            deepen(p, n, right);
            left = n;
        } else {
            left = call2(p, op, left, right);
        }
    }
    return p->failed ? NULL : left;
}

static node *parse_expr(parser *p)
{
    if (++p->depth > CEL_MAX_DEPTH) {
        perr(p, p->tok.pos, "expression recursion limit exceeded: %d", CEL_MAX_DEPTH);
        return NULL;
    }
    node *cond = parse_binary(p, 0);
    if (!p->failed && accept(p, "?")) {
        node *n = mk(p, N_COND, NULL, 3);
        n->args[0] = cond;
        n->args[1] = parse_binary(p, 0);
        expect(p, ":");
        n->args[2] = parse_expr(p);
        for (int k = 0; k < 3 && !p->failed; k++)
            deepen(p, n, n->args[k]);
        cond = n;
    }
    p->depth--;
    return p->failed ? NULL : cond;
}

/* Messages quote the expression as Flux does, cut to CEL_QUOTE_MAX bytes ("...") so that the
 * cause after it still fits in an ed_err. */
#define CEL_QUOTE_MAX 1024
#define QUOTE(expr)                                                                                \
    (strlen(expr) > CEL_QUOTE_MAX ? CEL_QUOTE_MAX : (int)strlen(expr)), (expr),                    \
        (strlen(expr) > CEL_QUOTE_MAX ? "..." : "")

int ed_cel_parse(const char *expr, ed_cel **out, ed_err *err)
{
    *out = NULL;
    parser p = {.src = expr, .n = strlen(expr), .arena = ed_arena_new()};
    if (p.n > CEL_MAX_LEN)
        perr(&p, 0, "expression size exceeds limit: %d", CEL_MAX_LEN);
    else if (!u8_valid(expr, p.n))
        perr(&p, 0, "invalid UTF-8");
    next(&p);
    node *root = p.failed ? NULL : parse_expr(&p);
    if (!p.failed && p.tok.kind != T_EOF)
        perr(&p, p.tok.pos, "extraneous input after the expression");
    if (p.failed) {
        ed_arena_free(p.arena);
        return ed_err_set(err, ED_EINVALID, "failed to parse the CEL expression '%.*s%s': %s",
                          QUOTE(expr), p.err);
    }
    ed_cel *c = ed_xcalloc(1, sizeof(*c));
    c->arena = p.arena;
    c->root = root;
    c->expr = ed_xstrdup(expr);
    *out = c;
    return 0;
}

void ed_cel_free(ed_cel *c)
{
    if (!c)
        return;
    ed_arena_free(c->arena);
    free(c->expr);
    free(c);
}

/* ---- checking ---- */

/*
 * What cel-go's checker finds in an expression (Flux compiles dependsOn[].readyExpr with it)
 * without knowing the variables' values: the names that are neither a declared variable, a
 * macro's variable, nor a function or type of Flux's environment, and the type of the result
 * where the syntax decides it. Flux declares its variables google.protobuf.Struct, which
 * cel-go types map(string, dyn): a field or an element of one, or of anything dyn, is dyn. A
 * type the syntax does not decide is NULL, and the expression is left to its evaluation.
 * Types are named as cel-go prints them.
 */

#define CHECK_MAX_ERRORS 16

typedef struct bound bound;
struct bound {
    const char *name;
    const char *type; /* NULL when not known */
    const bound *up;
};

typedef struct {
    const char *const *vars;
    size_t nvars;
    ed_arena *arena;
    size_t nerr;
    size_t pos[CHECK_MAX_ERRORS];
    const char *name[CHECK_MAX_ERRORS];
} checker;

static const char STRUCT_TYPE[] = "map(string, dyn)";

static bool word_in(const char *words, const char *w)
{
    size_t n = strlen(w);
    for (const char *at = strstr(words, w); at && n; at = strstr(at + 1, w))
        if (at[-1] == ' ' && at[n] == ' ')
            return true;
    return false;
}

/* The functions of cel-go's standard library, OptionalTypes, ext.Strings, ext.Sets and
 * ext.Encoders, those eddy does not evaluate (type(), format(), first()...) included. */
static bool known_function(const char *fn)
{
    static const char names[] =
        " == != < <= > >= in + - * / % ! neg int uint double string bool bytes dyn type size"
        " timestamp duration matches contains startsWith endsWith getFullYear getMonth"
        " getDayOfMonth getDate getDayOfWeek getDayOfYear getHours getMinutes getSeconds"
        " getMilliseconds optional.of optional.ofNonZeroValue optional.none optional.unwrap"
        " hasValue value or orValue unwrapOpt first last charAt indexOf lastIndexOf lowerAscii"
        " upperAscii replace split substring trim join format reverse strings.quote"
        " sets.contains sets.equivalent sets.intersects base64.encode base64.decode ";
    return word_in(names, fn);
}

/* The type names an identifier may be, and the protobuf types cel-go registers. */
static bool known_type_name(const char *name)
{
    static const char names[] =
        " bool bytes double int uint string list map null_type type dyn optional_type ";
    return word_in(names, name) || strncmp(name, "google.protobuf.", 16) == 0;
}

static void undeclared(checker *ck, size_t pos, const char *name)
{
    if (ck->nerr < CHECK_MAX_ERRORS) {
        ck->pos[ck->nerr] = pos;
        ck->name[ck->nerr++] = name;
    }
}

/* a.b.c of an identifier and field selections, as cel-go tries it as a qualified name; NULL
 * for anything else. */
static const char *dotted(checker *ck, const node *n)
{
    if (n->kind == N_IDENT)
        return n->name;
    if (n->kind != N_SELECT || n->opt)
        return NULL;
    const char *up = dotted(ck, n->target);
    return up ? ed_arena_printf(ck->arena, "%s.%s", up, n->name) : NULL;
}

static bool same_type(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool dyn_or_struct(const char *t)
{
    return same_type(t, "dyn") || same_type(t, STRUCT_TYPE);
}

/* The type of a macro's variable over a range of type range. */
static const char *range_elem(checker *ck, const char *range)
{
    if (same_type(range, "dyn"))
        return "dyn";
    if (same_type(range, STRUCT_TYPE))
        return "string"; /* a map's keys */
    size_t n = range ? strlen(range) : 0;
    if (n > 6 && strncmp(range, "list(", 5) == 0)
        return ed_arena_printf(ck->arena, "%.*s", (int)(n - 6), range + 5);
    return NULL;
}

static const char *check_node(checker *ck, const node *n, const bound *b);

/* The type of a call of n->name with arguments (receiver first) of types t[0..argc). */
static const char *call_type(const node *n, const char **t, size_t argc)
{
    static const char bools[] = " == != < <= > >= in ! contains startsWith endsWith matches"
                                " hasValue sets.contains sets.equivalent sets.intersects ";
    static const char ints[] = " size indexOf lastIndexOf getFullYear getMonth getDayOfMonth"
                               " getDate getDayOfWeek getDayOfYear getHours getMinutes"
                               " getSeconds getMilliseconds ";
    static const char strings[] = " charAt lowerAscii upperAscii replace substring trim join"
                                  " format reverse strings.quote base64.encode ";
    static const char convs[] = " int uint double string bool bytes dyn ";
    const char *fn = n->name;
    if (word_in(bools, fn))
        return "bool";
    if (word_in(ints, fn))
        return "int";
    if (word_in(strings, fn))
        return "string";
    if (strcmp(fn, "split") == 0)
        return "list(string)";
    if (strcmp(fn, "base64.decode") == 0)
        return "bytes";
    if (n->target || argc != 1) {
        if (argc != 2 || !same_type(t[0], t[1]) || !strchr("+-*/%", fn[0]) || fn[1])
            return NULL;
        /* Arithmetic on operands of one type: numbers, and + joins strings, bytes, lists. */
        if (strcmp(t[0], "int") == 0 || strcmp(t[0], "uint") == 0 ||
            (strcmp(t[0], "double") == 0 && fn[0] != '%'))
            return t[0];
        if (fn[0] == '+' && (strcmp(t[0], "string") == 0 || strcmp(t[0], "bytes") == 0 ||
                             strncmp(t[0], "list(", 5) == 0))
            return t[0];
        return NULL;
    }
    if (word_in(convs, fn))
        return fn;
    if (strcmp(fn, "timestamp") == 0)
        return "google.protobuf.Timestamp";
    if (strcmp(fn, "duration") == 0)
        return "google.protobuf.Duration";
    if (strcmp(fn, "neg") == 0 && (same_type(t[0], "int") || same_type(t[0], "double")))
        return t[0];
    return NULL;
}

static const char *check_call(checker *ck, const node *n, const bound *b)
{
    const char *t[8] = {NULL};
    size_t argc = 0;
    if (n->target) {
        /* a.b.f() is the function a.b.f when there is one (strings.quote), else f on a.b. */
        const char *q = dotted(ck, n->target);
        if (q && known_function(ed_arena_printf(ck->arena, "%s.%s", q, n->name))) {
            for (size_t i = 0; i < n->nargs; i++)
                check_node(ck, n->args[i], b);
            return NULL;
        }
        /* OptionalTypes' macros: x.optMap(v, e) and x.optFlatMap(v, e) bind v in e. */
        if ((strcmp(n->name, "optMap") == 0 || strcmp(n->name, "optFlatMap") == 0) &&
            n->nargs == 2 && n->args[0]->kind == N_IDENT) {
            check_node(ck, n->target, b);
            bound v = {n->args[0]->name, NULL, b};
            check_node(ck, n->args[1], &v);
            return NULL;
        }
        t[argc++] = check_node(ck, n->target, b);
    }
    if (!known_function(n->name))
        undeclared(ck, n->pos, n->name);
    for (size_t i = 0; i < n->nargs; i++) {
        const char *ti = check_node(ck, n->args[i], b);
        if (argc < 8)
            t[argc] = ti;
        argc++;
    }
    return argc <= 8 && known_function(n->name) ? call_type(n, t, argc) : NULL;
}

/* The type of an aggregate's items from, every step-th: "list(T)" or "map(K, V)" when they
 * all have one type T (cel-go's HomogeneousAggregateLiterals), dyn when there are none. */
static const char *items_type(const node *n, const char **types, size_t from, size_t step)
{
    if (n->nargs == 0)
        return "dyn";
    for (size_t k = 0; k < n->nargs; k += step) /* a map's keys carry its entries' marks */
        if (n->optent[k])
            return NULL;
    for (size_t k = from + step; k < n->nargs; k += step)
        if (!same_type(types[from], types[k]))
            return NULL;
    return types[from];
}

static const char *check_aggregate(checker *ck, const node *n, const bound *b)
{
    const char **types = ed_arena_alloc(ck->arena, (n->nargs + 1) * sizeof(char *));
    for (size_t k = 0; k < n->nargs; k++)
        types[k] = check_node(ck, n->args[k], b);
    if (n->kind == N_LIST) {
        const char *e = items_type(n, types, 0, 1);
        return e ? ed_arena_printf(ck->arena, "list(%s)", e) : NULL;
    }
    const char *k = items_type(n, types, 0, 2), *v = items_type(n, types, 1, 2);
    return k && v ? ed_arena_printf(ck->arena, "map(%s, %s)", k, v) : NULL;
}

static const char *check_node(checker *ck, const node *n, const bound *b)
{
    static const char *lit_types[] = {
        [V_NULL] = "null_type", [V_BOOL] = "bool",     [V_INT] = "int",    [V_UINT] = "uint",
        [V_DOUBLE] = "double",  [V_STRING] = "string", [V_BYTES] = "bytes"};
    switch (n->kind) {
    case N_LIT:
        return n->lit->kind <= V_BYTES ? lit_types[n->lit->kind] : NULL;
    case N_IDENT:
        for (const bound *v = b; v; v = v->up)
            if (strcmp(v->name, n->name) == 0)
                return v->type;
        for (size_t i = 0; i < ck->nvars; i++)
            if (strcmp(ck->vars[i], n->name) == 0)
                return STRUCT_TYPE;
        if (!known_type_name(n->name))
            undeclared(ck, n->pos, n->name);
        return NULL;
    case N_SELECT: {
        const char *q = dotted(ck, n);
        if (q && known_type_name(q))
            return NULL;
        const char *t = check_node(ck, n->target, b);
        if (!dyn_or_struct(t))
            return NULL;
        return n->opt ? "optional_type(dyn)" : "dyn";
    }
    case N_INDEX: {
        const char *t = check_node(ck, n->target, b);
        check_node(ck, n->args[0], b);
        if (n->opt)
            return NULL;
        if (dyn_or_struct(t))
            return "dyn";
        return t && strncmp(t, "list(", 5) == 0 ? range_elem(ck, t) : NULL;
    }
    case N_CALL:
        return check_call(ck, n, b);
    case N_LIST:
    case N_MAP:
        return check_aggregate(ck, n, b);
    case N_COND: {
        check_node(ck, n->args[0], b);
        const char *t1 = check_node(ck, n->args[1], b), *t2 = check_node(ck, n->args[2], b);
        return same_type(t1, t2) ? t1 : NULL;
    }
    case N_AND:
    case N_OR:
        check_node(ck, n->args[0], b);
        check_node(ck, n->args[1], b);
        return "bool";
    case N_HAS:
        check_node(ck, n->target->target, b);
        return "bool";
    case N_COMP: {
        const char *range = check_node(ck, n->target, b);
        const char *elem = range_elem(ck, range);
        bound v = {n->name, elem, b};
        const char *last = NULL;
        for (size_t k = 0; k < n->nargs; k++)
            last = check_node(ck, n->args[k], &v);
        if (n->mac == M_MAP)
            return last ? ed_arena_printf(ck->arena, "list(%s)", last) : NULL;
        if (n->mac == M_FILTER)
            return elem ? ed_arena_printf(ck->arena, "list(%s)", elem) : NULL;
        return "bool";
    }
    }
    return NULL;
}

int ed_cel_check(const ed_cel *c, const char *const *vars, size_t nvars, bool want_bool,
                 ed_err *err)
{
    checker ck = {.vars = vars, .nvars = nvars, .arena = ed_arena_new()};
    const char *type = check_node(&ck, c->root, NULL);
    int rc = 0;
    if (ck.nerr) {
        /* cel-go's issues, one a line, in the order of the text. */
        char issues[ED_ERR_MSG_MAX];
        size_t len = 0;
        for (size_t k = 0; k < ck.nerr && len < sizeof(issues); k++) {
            int line, col;
            line_col(c->expr, strlen(c->expr), ck.pos[k], &line, &col);
            int w =
                snprintf(issues + len, sizeof(issues) - len,
                         "%sERROR: <input>:%d:%d: undeclared reference to '%s' (in container '')",
                         k ? "\n" : "", line, col, ck.name[k]);
            len += w > 0 ? (size_t)w : 0;
        }
        rc = ed_err_set(err, ED_EINVALID, "failed to parse the CEL expression '%.*s%s': %s",
                        QUOTE(c->expr), issues);
    } else if (want_bool && type && strcmp(type, "bool") != 0) {
        rc = ed_err_set(err, ED_EINVALID,
                        "CEL expression output type mismatch: expected bool, got %s", type);
    }
    ed_arena_free(ck.arena);
    return rc;
}

/* ---- evaluation ---- */

typedef struct scope scope;
struct scope {
    const char *name;
    val *value;
    scope *up;
};

typedef struct {
    ed_arena *arena;
    const ed_node *vars;
    const char **var_names; /* the variables converted so far, and their values */
    val **var_vals;
    size_t nvars;
    size_t steps;
    size_t bytes;
} evalctx;

static val null_val = {.kind = V_NULL};
static val true_val = {.kind = V_BOOL, .b = true};
static val false_val = {.kind = V_BOOL, .b = false};
static val none_val = {.kind = V_OPT, .opt = NULL};

static void *ev_alloc(evalctx *e, size_t n)
{
    e->bytes += n;
    return ed_arena_alloc(e->arena, n ? n : 1);
}

static val *newval(evalctx *e, vkind k)
{
    val *v = ev_alloc(e, sizeof(*v));
    v->kind = k;
    return v;
}

static val *boolval(bool b)
{
    return b ? &true_val : &false_val;
}

static val *intval(evalctx *e, int64_t i)
{
    val *v = newval(e, V_INT);
    v->i = i;
    return v;
}

static val *uintval(evalctx *e, uint64_t u)
{
    val *v = newval(e, V_UINT);
    v->u = u;
    return v;
}

static val *dblval(evalctx *e, double d)
{
    val *v = newval(e, V_DOUBLE);
    v->d = d;
    return v;
}

/* A string or bytes value holding a copy of n bytes of s. */
static val *strval(evalctx *e, vkind k, const char *s, size_t n)
{
    val *v = newval(e, k);
    char *copy = ev_alloc(e, n + 1);
    if (n)
        memcpy(copy, s, n);
    v->s.p = copy;
    v->s.n = n;
    return v;
}

static val *errval(evalctx *e, const char *fmt, ...) ED_PRINTF(2, 3);
static val *errval(evalctx *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return strval(e, V_ERR, msg, strlen(msg));
}

static val *listval(evalctx *e, size_t n)
{
    val *v = newval(e, V_LIST);
    v->l.v = ev_alloc(e, n * sizeof(val *));
    v->l.n = n;
    return v;
}

static val *optval(evalctx *e, val *inner)
{
    val *v = newval(e, V_OPT);
    v->opt = inner;
    return v;
}

/* A JSON value from the document as a CEL value. */
static val *from_node(evalctx *e, const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_BOOL: {
        bool b = false;
        ed_node_bool(n, &b);
        return boolval(b);
    }
    case ED_NODE_INT: {
        int64_t i = 0;
        ed_node_int(n, &i);
        return intval(e, i);
    }
    case ED_NODE_FLOAT: {
        double d = 0;
        ed_node_float(n, &d, NULL);
        return dblval(e, d);
    }
    case ED_NODE_STR: {
        const char *s = ed_node_str(n);
        return strval(e, V_STRING, s, strlen(s));
    }
    case ED_NODE_SEQ: {
        size_t len = ed_node_len(n);
        val *l = listval(e, len);
        for (size_t i = 0; i < len; i++)
            l->l.v[i] = from_node(e, ed_node_at(n, i));
        return l;
    }
    case ED_NODE_MAP: {
        size_t len = ed_node_len(n);
        val *m = newval(e, V_MAP);
        m->m.k = ev_alloc(e, len * sizeof(val *));
        m->m.v = ev_alloc(e, len * sizeof(val *));
        m->m.n = len;
        for (size_t i = 0; i < len; i++) {
            const char *k = ed_node_key_at(n, i);
            m->m.k[i] = strval(e, V_STRING, k, strlen(k));
            m->m.v[i] = from_node(e, ed_node_value_at(n, i));
        }
        return m;
    }
    case ED_NODE_NULL:
    default:
        return &null_val;
    }
}

static bool is_num(const val *v)
{
    return v->kind == V_INT || v->kind == V_UINT || v->kind == V_DOUBLE;
}

static double num_of(const val *v)
{
    return v->kind == V_INT ? (double)v->i : v->kind == V_UINT ? (double)v->u : v->d;
}

static int cmp_i(int64_t x, int64_t y)
{
    return (x > y) - (x < y);
}

static int cmp_u(uint64_t x, uint64_t y)
{
    return (x > y) - (x < y);
}

/* Exact order of an integer (negative when neg, else with magnitude u) and a double that is
 * not NaN: compare with the double's integral part, then its fraction breaks a tie. */
static int cmp_int_double(bool neg, int64_t i, uint64_t u, double d)
{
    if (d >= 18446744073709551616.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    double t = trunc(d);
    int c;
    if (neg)
        c = t < 0 ? cmp_i(i, (int64_t)t) : -1;
    else
        c = t < 0 ? 1 : cmp_u(u, (uint64_t)t);
    if (c)
        return c;
    return (t > d) - (t < d);
}

static int compare(const val *a, const val *b)
{
    if (is_num(a) && is_num(b)) {
        if ((a->kind == V_DOUBLE && isnan(a->d)) || (b->kind == V_DOUBLE && isnan(b->d)))
            return 2;
        if (a->kind == V_DOUBLE && b->kind == V_DOUBLE)
            return (a->d > b->d) - (a->d < b->d);
        if (b->kind == V_DOUBLE)
            return cmp_int_double(a->kind == V_INT && a->i < 0, a->i,
                                  a->kind == V_UINT ? a->u : (uint64_t)a->i, b->d);
        if (a->kind == V_DOUBLE)
            return -compare(b, a);
        if (a->kind == V_INT && b->kind == V_INT)
            return cmp_i(a->i, b->i);
        if (a->kind == V_INT && a->i < 0)
            return b->kind == V_UINT ? -1 : cmp_i(a->i, b->i);
        if (b->kind == V_INT && b->i < 0)
            return 1;
        return cmp_u(a->kind == V_INT ? (uint64_t)a->i : a->u,
                     b->kind == V_INT ? (uint64_t)b->i : b->u);
    }
    if (a->kind != b->kind)
        return 3;
    switch (a->kind) {
    case V_BOOL:
        return (a->b > b->b) - (a->b < b->b);
    case V_STRING:
    case V_BYTES: {
        size_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
        int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
        if (c)
            return c > 0 ? 1 : -1;
        return (a->s.n > b->s.n) - (a->s.n < b->s.n);
    }
    case V_TIME:
        return a->t.sec != b->t.sec ? cmp_i(a->t.sec, b->t.sec) : cmp_i(a->t.nsec, b->t.nsec);
    case V_DUR:
        return cmp_i(a->i, b->i);
    default:
        return 3;
    }
}

static val *map_find(const val *m, const val *key);

/* CEL equality: numbers across kinds, lists and maps deeply, other kinds unequal. */
static bool equal(const val *a, const val *b)
{
    if (is_num(a) && is_num(b))
        return compare(a, b) == 0;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case V_NULL:
        return true;
    case V_BOOL:
        return a->b == b->b;
    case V_STRING:
    case V_BYTES:
        return a->s.n == b->s.n && (a->s.n == 0 || memcmp(a->s.p, b->s.p, a->s.n) == 0);
    case V_LIST:
        if (a->l.n != b->l.n)
            return false;
        for (size_t i = 0; i < a->l.n; i++)
            if (!equal(a->l.v[i], b->l.v[i]))
                return false;
        return true;
    case V_MAP:
        if (a->m.n != b->m.n)
            return false;
        for (size_t i = 0; i < a->m.n; i++) {
            const val *other = map_find(b, a->m.k[i]);
            if (!other || !equal(a->m.v[i], other))
                return false;
        }
        return true;
    case V_TIME:
    case V_DUR:
        return compare(a, b) == 0;
    case V_OPT:
        if (!a->opt || !b->opt)
            return a->opt == b->opt;
        return equal(a->opt, b->opt);
    default:
        return false;
    }
}

static val *map_find(const val *m, const val *key)
{
    for (size_t i = 0; i < m->m.n; i++)
        if (equal(m->m.k[i], key))
            return m->m.v[i];
    return NULL;
}

/* A key as it reads in "no such key" messages. */
static const char *key_text(evalctx *e, const val *k)
{
    switch (k->kind) {
    case V_STRING: {
        char *s = ev_alloc(e, k->s.n + 1);
        memcpy(s, k->s.p, k->s.n);
        return s;
    }
    case V_INT:
        return ed_arena_printf(e->arena, "%lld", (long long)k->i);
    case V_UINT:
        return ed_arena_printf(e->arena, "%llu", (unsigned long long)k->u);
    case V_DOUBLE:
        return ed_arena_printf(e->arena, "%g", k->d);
    case V_BOOL:
        return k->b ? "true" : "false";
    default:
        return kind_name(k->kind);
    }
}

static val *no_overload(evalctx *e, const char *fn, val **args, size_t n)
{
    char types[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(types) - 32; i++)
        len += (size_t)snprintf(types + len, sizeof(types) - len, "%s%s", i ? ", " : "",
                                kind_name(args[i]->kind));
    return errval(e, "no such overload: %s(%s)", fn, types);
}

static val *eval(evalctx *e, const node *n, scope *sc);

static val *lookup_var(evalctx *e, const char *name, scope *sc)
{
    for (scope *s = sc; s; s = s->up)
        if (strcmp(s->name, name) == 0)
            return s->value;
    for (size_t i = 0; i < e->nvars; i++)
        if (strcmp(e->var_names[i], name) == 0)
            return e->var_vals[i];
    const ed_node *n = ed_node_get(e->vars, name);
    if (!n)
        return errval(e, "no such attribute(s): %s", name);
    /* Converted once, on first use: most expressions read one or two variables. */
    const char **names = ev_alloc(e, (e->nvars + 1) * sizeof(char *));
    val **vals = ev_alloc(e, (e->nvars + 1) * sizeof(val *));
    if (e->nvars) {
        memcpy(names, e->var_names, e->nvars * sizeof(char *));
        memcpy(vals, e->var_vals, e->nvars * sizeof(val *));
    }
    names[e->nvars] = name;
    vals[e->nvars] = from_node(e, n);
    e->var_names = names;
    e->var_vals = vals;
    return vals[e->nvars++];
}

/* target.name, or target.?name when opt (an optional target makes the rest of a chain
 * optional: a missing field gives optional.none()). */
static val *select_field(evalctx *e, val *target, const char *name, bool opt)
{
    if (target->kind == V_ERR)
        return target;
    if (target->kind == V_OPT) {
        if (!target->opt)
            return target;
        target = target->opt;
        opt = true;
    }
    if (target->kind != V_MAP)
        return errval(e, "type '%s' does not support field selection", kind_name(target->kind));
    val key = {.kind = V_STRING, .s = {name, strlen(name)}};
    val *v = map_find(target, &key);
    if (opt)
        return v ? optval(e, v) : &none_val;
    return v ? v : errval(e, "no such key: %s", name);
}

static val *index_value(evalctx *e, val *target, val *idx, bool opt)
{
    if (target->kind == V_ERR)
        return target;
    if (idx->kind == V_ERR)
        return idx;
    if (target->kind == V_OPT) {
        if (!target->opt)
            return target;
        target = target->opt;
        opt = true;
    }
    if (target->kind == V_LIST) {
        int64_t i;
        if (idx->kind == V_INT)
            i = idx->i;
        else if (idx->kind == V_UINT && idx->u <= INT64_MAX)
            i = (int64_t)idx->u;
        else if (idx->kind == V_DOUBLE && idx->d == trunc(idx->d) && fabs(idx->d) < 9e18)
            i = (int64_t)idx->d;
        else
            return errval(e, "unsupported index type '%s' in list", kind_name(idx->kind));
        if (i < 0 || (uint64_t)i >= target->l.n) {
            if (opt)
                return &none_val;
            return errval(e, "index out of range: %lld", (long long)i);
        }
        return opt ? optval(e, target->l.v[i]) : target->l.v[i];
    }
    if (target->kind == V_MAP) {
        val *v = map_find(target, idx);
        if (opt)
            return v ? optval(e, v) : &none_val;
        return v ? v : errval(e, "no such key: %s", key_text(e, idx));
    }
    return no_overload(e, "_[_]", (val *[]){target, idx}, 2);
}

static val *eval_logic(evalctx *e, const node *n, scope *sc)
{
    /* a && b: false wins over an error on either side, true && true is true; || likewise. */
    bool decisive = n->kind == N_OR;
    val *l = eval(e, n->args[0], sc);
    if (l->kind == V_BOOL && l->b == decisive)
        return l;
    val *r = eval(e, n->args[1], sc);
    if (r->kind == V_BOOL && r->b == decisive)
        return r;
    if (l->kind == V_ERR)
        return l;
    if (r->kind == V_ERR)
        return r;
    if (l->kind != V_BOOL || r->kind != V_BOOL)
        return no_overload(e, decisive ? "_||_" : "_&&_", (val *[]){l, r}, 2);
    return boolval(!decisive);
}

static val *eval_comp(evalctx *e, const node *n, scope *sc)
{
    val *range = eval(e, n->target, sc);
    if (range->kind == V_ERR)
        return range;
    if (range->kind != V_LIST && range->kind != V_MAP)
        return errval(e, "cannot iterate over a value of type '%s'", kind_name(range->kind));
    size_t count = range->kind == V_LIST ? range->l.n : range->m.n;
    scope inner = {n->name, NULL, sc};
    val *firsterr = NULL;
    size_t found = 0;
    val *out = n->mac == M_MAP || n->mac == M_FILTER ? listval(e, count) : NULL;
    if (out)
        out->l.n = 0;
    for (size_t i = 0; i < count; i++) {
        inner.value = range->kind == V_LIST ? range->l.v[i] : range->m.k[i];
        val *r = eval(e, n->args[0], &inner);
        bool need_bool = n->mac != M_MAP || n->nargs == 2;
        if (n->mac == M_MAP && n->nargs == 1) {
            if (r->kind == V_ERR)
                return r;
            out->l.v[out->l.n++] = r;
            continue;
        }
        if (need_bool && r->kind != V_BOOL && r->kind != V_ERR)
            r = errval(e, "no such overload: %s predicate of type '%s'",
                       n->mac == M_ALL ? "all" : "comprehension", kind_name(r->kind));
        if (r->kind == V_ERR) {
            /* all() and exists() are as commutative as && and ||: a later element that
             * decides the result absorbs an earlier error. */
            if (n->mac != M_ALL && n->mac != M_EXISTS)
                return r;
            if (!firsterr)
                firsterr = r;
            continue;
        }
        switch (n->mac) {
        case M_ALL:
            if (!r->b)
                return &false_val;
            break;
        case M_EXISTS:
            if (r->b)
                return &true_val;
            break;
        case M_EXISTS_ONE:
            found += r->b;
            break;
        case M_FILTER:
            if (r->b)
                out->l.v[out->l.n++] = inner.value;
            break;
        case M_MAP:
            if (r->b) {
                val *t = eval(e, n->args[1], &inner);
                if (t->kind == V_ERR)
                    return t;
                out->l.v[out->l.n++] = t;
            }
            break;
        }
    }
    if (firsterr)
        return firsterr;
    switch (n->mac) {
    case M_ALL:
        return &true_val;
    case M_EXISTS:
        return &false_val;
    case M_EXISTS_ONE:
        return boolval(found == 1);
    default:
        return out;
    }
}

static val *eval_call(evalctx *e, const node *n, scope *sc);

static val *eval(evalctx *e, const node *n, scope *sc)
{
    if (++e->steps > CEL_MAX_STEPS || e->bytes > CEL_MAX_BYTES)
        return errval(e, "operation cancelled: actual cost limit exceeded");
    switch (n->kind) {
    case N_LIT:
        return n->lit;
    case N_IDENT:
        return lookup_var(e, n->name, sc);
    case N_SELECT:
        return select_field(e, eval(e, n->target, sc), n->name, n->opt);
    case N_INDEX: {
        val *t = eval(e, n->target, sc);
        if (t->kind == V_ERR)
            return t;
        return index_value(e, t, eval(e, n->args[0], sc), n->opt);
    }
    case N_HAS: {
        val *t = eval(e, n->target->target, sc);
        if (t->kind == V_ERR)
            return t;
        if (t->kind != V_MAP)
            return errval(e, "invalid type for field selection: '%s'", kind_name(t->kind));
        val key = {.kind = V_STRING, .s = {n->target->name, strlen(n->target->name)}};
        return boolval(map_find(t, &key) != NULL);
    }
    case N_AND:
    case N_OR:
        return eval_logic(e, n, sc);
    case N_COND: {
        val *c = eval(e, n->args[0], sc);
        if (c->kind == V_ERR)
            return c;
        if (c->kind != V_BOOL)
            return no_overload(e, "_?_:_", &c, 1);
        return eval(e, n->args[c->b ? 1 : 2], sc);
    }
    case N_LIST: {
        val *l = listval(e, n->nargs);
        l->l.n = 0;
        for (size_t i = 0; i < n->nargs; i++) {
            val *v = eval(e, n->args[i], sc);
            if (v->kind == V_ERR)
                return v;
            if (n->optent[i]) {
                if (v->kind != V_OPT)
                    return no_overload(e, "optional list entry", &v, 1);
                if (!v->opt)
                    continue;
                v = v->opt;
            }
            l->l.v[l->l.n++] = v;
        }
        return l;
    }
    case N_MAP: {
        val *m = newval(e, V_MAP);
        m->m.k = ev_alloc(e, n->nargs / 2 * sizeof(val *));
        m->m.v = ev_alloc(e, n->nargs / 2 * sizeof(val *));
        for (size_t i = 0; i + 1 < n->nargs; i += 2) {
            val *k = eval(e, n->args[i], sc);
            if (k->kind == V_ERR)
                return k;
            val *v = eval(e, n->args[i + 1], sc);
            if (v->kind == V_ERR)
                return v;
            if (k->kind != V_STRING && k->kind != V_INT && k->kind != V_UINT && k->kind != V_BOOL)
                return errval(e, "unsupported key type: %s", kind_name(k->kind));
            if (map_find(m, k))
                return errval(e, "Failed with repeated key: %s", key_text(e, k));
            if (n->optent[i]) {
                if (v->kind != V_OPT)
                    return no_overload(e, "optional map entry", &v, 1);
                if (!v->opt)
                    continue;
                v = v->opt;
            }
            m->m.k[m->m.n] = k;
            m->m.v[m->m.n++] = v;
        }
        return m;
    }
    case N_COMP:
        return eval_comp(e, n, sc);
    case N_CALL:
        return eval_call(e, n, sc);
    }
    return errval(e, "internal error: unknown node"); /* defensive: every kind is above */
}

int ed_cel_eval_bool(const ed_cel *c, const ed_node *vars, bool *result, ed_err *err)
{
    *result = false;
    evalctx e = {.arena = ed_arena_new(), .vars = vars};
    val *v = eval(&e, c->root, NULL);
    int rc = 0;
    if (v->kind == V_ERR)
        rc = ed_err_set(err, ED_EINVALID, "failed to evaluate the CEL expression '%.*s%s': %.*s",
                        QUOTE(c->expr), (int)v->s.n, v->s.p);
    else if (v->kind != V_BOOL)
        rc = ed_err_set(err, ED_EINVALID, "failed to evaluate CEL expression as boolean: '%.*s%s'",
                        QUOTE(c->expr));
    else
        *result = v->b;
    ed_arena_free(e.arena);
    return rc;
}

/* ---- timestamps and durations ---- */

/* CEL's timestamps run from year 1 to year 9999. */
#define CEL_TIME_MIN (-62135596800LL)
#define CEL_TIME_MAX 253402300799LL
#define NS_PER_S     1000000000LL

static val *timeval(evalctx *e, int64_t sec, int64_t nsec)
{
    sec += nsec / NS_PER_S;
    nsec %= NS_PER_S;
    if (nsec < 0) {
        nsec += NS_PER_S;
        sec--;
    }
    if (sec < CEL_TIME_MIN || sec > CEL_TIME_MAX)
        return errval(e, "timestamp out of range");
    val *v = newval(e, V_TIME);
    v->t.sec = sec;
    v->t.nsec = (int32_t)nsec;
    return v;
}

static val *durval(evalctx *e, int64_t ns)
{
    val *v = newval(e, V_DUR);
    v->i = ns;
    return v;
}

/* n digits at s as a number, or -1. */
static int64_t digits_at(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339, as Go's time.Parse(time.RFC3339) reads it: 2006-01-02T15:04:05.999999999Z07:00. */
static val *parse_timestamp(evalctx *e, const char *s, size_t n)
{
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        goto bad;
    int64_t y = digits_at(s, 4), mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2);
    int64_t h = digits_at(s + 11, 2), mi = digits_at(s + 14, 2), sec = digits_at(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 59)
        goto bad;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        goto bad;
    size_t i = 19;
    int64_t nsec = 0;
    if (i < n && s[i] == '.') {
        size_t k = 0;
        for (i++; i < n && is_digit(s[i]); i++, k++)
            if (k < 9)
                nsec = nsec * 10 + (s[i] - '0');
        if (k == 0)
            goto bad;
        for (; k < 9; k++)
            nsec *= 10;
    }
    int64_t offset = 0;
    /* The text ends with the zone: Z or a ±hh:mm offset. */
    if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int64_t oh = digits_at(s + i + 1, 2), om = digits_at(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            goto bad;
        offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    } else if (i + 1 != n || s[i] != 'Z') {
        goto bad;
    }
    return timeval(e, ed_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset,
                   nsec);
bad:
    return errval(e, "cannot parse '%.*s' as an RFC 3339 timestamp", (int)(n < 64 ? n : 64), s);
}

/* Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0". */
static val *parse_duration(evalctx *e, const char *s, size_t n)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"ns", 1},       {"us", 1000},    {"\xc2\xb5s", 1000},  {"\xce\xbcs", 1000},
                 {"ms", 1000000}, {"s", NS_PER_S}, {"m", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S}};
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (n - i == 1 && s[i] == '0')
        return durval(e, 0);
    if (i == n)
        goto bad;
    uint64_t total = 0;
    while (i < n) {
        uint64_t whole = 0, frac = 0, scale = 1;
        bool any = false;
        for (; i < n && is_digit(s[i]); i++, any = true) {
            if (whole > (UINT64_MAX - 9) / 10)
                goto bad;
            whole = whole * 10 + (uint64_t)(s[i] - '0');
        }
        if (i < n && s[i] == '.') {
            for (i++; i < n && is_digit(s[i]); i++, any = true) {
                if (scale < NS_PER_S * 10ULL) { /* digits past nanoseconds do not count */
                    frac = frac * 10 + (uint64_t)(s[i] - '0');
                    scale *= 10;
                }
            }
        }
        if (!any)
            goto bad;
        size_t u = i;
        while (u < n && s[u] != '.' && !is_digit(s[u]))
            u++;
        int64_t unit = 0;
        for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
            if (strlen(units[k].unit) == u - i && memcmp(s + i, units[k].unit, u - i) == 0)
                unit = units[k].ns;
        if (!unit)
            goto bad;
        i = u;
        uint64_t part;
        /* The fraction in floating point, as Go's ParseDuration (frac * unit would overflow
         * 64 bits for hours with ten digits). */
        uint64_t fpart = (uint64_t)((double)frac * ((double)unit / (double)scale));
        if (__builtin_mul_overflow(whole, (uint64_t)unit, &part) ||
            __builtin_add_overflow(part, fpart, &part) ||
            __builtin_add_overflow(total, part, &total) || total > (uint64_t)INT64_MAX + neg)
            goto bad;
    }
    return durval(e, neg ? (int64_t)(0 - total) : (int64_t)total);
bad:
    return errval(e, "time: invalid duration \"%.*s\"", (int)(n < 64 ? n : 64), s);
}

static val *time_make(evalctx *e, const char *fn, val *a)
{
    bool ts = fn[0] == 't';
    if (a->kind == (ts ? V_TIME : V_DUR))
        return a;
    if (a->kind == V_STRING)
        return ts ? parse_timestamp(e, a->s.p, a->s.n) : parse_duration(e, a->s.p, a->s.n);
    if (ts && a->kind == V_INT)
        return timeval(e, a->i, 0);
    if (!ts && a->kind == V_INT)
        return durval(e, a->i);
    return no_overload(e, fn, &a, 1);
}

static val *time_convert(evalctx *e, const char *fn, val *a)
{
    int64_t sec = a->kind == V_TIME ? a->t.sec : a->i / NS_PER_S;
    int64_t nsec = a->kind == V_TIME ? a->t.nsec : a->i % NS_PER_S;
    if (fn[0] == 'i')
        return intval(e, a->kind == V_TIME ? sec : a->i);
    char frac[16] = "";
    if (nsec) {
        snprintf(frac, sizeof(frac), ".%09lld", (long long)(nsec < 0 ? -nsec : nsec));
        for (size_t k = strlen(frac); frac[k - 1] == '0'; k--)
            frac[k - 1] = '\0';
    }
    char out[64];
    int len;
    if (a->kind == V_DUR) {
        len = snprintf(out, sizeof(out), "%s%lld%ss", a->i < 0 ? "-" : "",
                       (long long)(sec < 0 ? -sec : sec), frac);
    } else {
        int64_t y, mo, d, days = sec / 86400, rem = sec % 86400;
        if (rem < 0) {
            rem += 86400;
            days--;
        }
        ed_civil_from_days(days, &y, &mo, &d);
        len = snprintf(out, sizeof(out), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld%sZ",
                       (long long)y, (long long)mo, (long long)d, (long long)(rem / 3600),
                       (long long)(rem / 60 % 60), (long long)(rem % 60), frac);
    }
    return strval(e, V_STRING, out, (size_t)len);
}

static val *time_arith(evalctx *e, char o, val *a, val *b)
{
    int64_t r;
    if (a->kind == V_DUR && b->kind == V_DUR && (o == '+' || o == '-')) {
        bool over = o == '+' ? __builtin_add_overflow(a->i, b->i, &r)
                             : __builtin_sub_overflow(a->i, b->i, &r);
        return over ? errval(e, "integer overflow") : durval(e, r);
    }
    if (a->kind == V_TIME && b->kind == V_TIME && o == '-') {
        int64_t ds = a->t.sec - b->t.sec; /* both within years 1..9999: no overflow */
        if (__builtin_mul_overflow(ds, NS_PER_S, &r) ||
            __builtin_add_overflow(r, (int64_t)a->t.nsec - b->t.nsec, &r))
            return errval(e, "integer overflow");
        return durval(e, r);
    }
    if (o == '+' && a->kind == V_DUR && b->kind == V_TIME)
        return time_arith(e, o, b, a);
    if (a->kind == V_TIME && b->kind == V_DUR && (o == '+' || o == '-')) {
        /* Seconds and nanoseconds apart: negating INT64_MIN nanoseconds would overflow. */
        int64_t ds = b->i / NS_PER_S, dn = b->i % NS_PER_S;
        if (o == '-') {
            ds = -ds;
            dn = -dn;
        }
        return timeval(e, a->t.sec + ds, a->t.nsec + dn);
    }
    return NULL;
}

/* The getters: of a timestamp in UTC or a fixed offset ("+05:30"), or of a duration's total. */
static val *time_get(evalctx *e, const char *fn, val **a, size_t argc)
{
    if (a[0]->kind == V_DUR) {
        if (argc != 1)
            return NULL;
        int64_t ns = a[0]->i;
        if (strcmp(fn, "getHours") == 0)
            return intval(e, ns / (3600 * NS_PER_S));
        if (strcmp(fn, "getMinutes") == 0)
            return intval(e, ns / (60 * NS_PER_S));
        if (strcmp(fn, "getSeconds") == 0)
            return intval(e, ns / NS_PER_S);
        if (strcmp(fn, "getMilliseconds") == 0)
            return intval(e, ns / 1000000);
        return NULL;
    }
    int64_t offset = 0;
    if (argc == 2) {
        const val *tz = a[1];
        if (tz->kind != V_STRING)
            return NULL;
        if (tz->s.n == 6 && (tz->s.p[0] == '+' || tz->s.p[0] == '-') && tz->s.p[3] == ':' &&
            digits_at(tz->s.p + 1, 2) >= 0 && digits_at(tz->s.p + 4, 2) >= 0)
            offset = (digits_at(tz->s.p + 1, 2) * 60 + digits_at(tz->s.p + 4, 2)) * 60 *
                     (tz->s.p[0] == '-' ? -1 : 1);
        else if (!(tz->s.n == 3 && memcmp(tz->s.p, "UTC", 3) == 0))
            return errval(e, "unsupported time zone: %.*s", (int)(tz->s.n < 64 ? tz->s.n : 64),
                          tz->s.p);
    }
    int64_t sec = a[0]->t.sec + offset, days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y, mo, d;
    ed_civil_from_days(days, &y, &mo, &d);
    if (strcmp(fn, "getFullYear") == 0)
        return intval(e, y);
    if (strcmp(fn, "getMonth") == 0)
        return intval(e, mo - 1);
    if (strcmp(fn, "getDate") == 0)
        return intval(e, d);
    if (strcmp(fn, "getDayOfMonth") == 0)
        return intval(e, d - 1);
    if (strcmp(fn, "getDayOfYear") == 0)
        return intval(e, days - ed_days_from_civil(y, 1, 1));
    if (strcmp(fn, "getDayOfWeek") == 0) /* 1970-01-01 was a Thursday */
        return intval(e, ((days % 7) + 11) % 7);
    if (strcmp(fn, "getHours") == 0)
        return intval(e, rem / 3600);
    if (strcmp(fn, "getMinutes") == 0)
        return intval(e, rem / 60 % 60);
    if (strcmp(fn, "getSeconds") == 0)
        return intval(e, rem % 60);
    if (strcmp(fn, "getMilliseconds") == 0)
        return intval(e, a[0]->t.nsec / 1000000);
    return NULL;
}

/* ---- functions ---- */

static val *arith(evalctx *e, const char *op, val *a, val *b)
{
    char o = op[0];
    if (a->kind == V_INT && b->kind == V_INT) {
        int64_t r = 0;
        bool over = false;
        switch (o) {
        case '+':
            over = __builtin_add_overflow(a->i, b->i, &r);
            break;
        case '-':
            over = __builtin_sub_overflow(a->i, b->i, &r);
            break;
        case '*':
            over = __builtin_mul_overflow(a->i, b->i, &r);
            break;
        default:
            if (b->i == 0)
                return errval(e, o == '/' ? "division by zero" : "modulus by zero");
            if (a->i == INT64_MIN && b->i == -1)
                return errval(e, "integer overflow");
            r = o == '/' ? a->i / b->i : a->i % b->i;
        }
        return over ? errval(e, "integer overflow") : intval(e, r);
    }
    if (a->kind == V_UINT && b->kind == V_UINT) {
        uint64_t r = 0;
        bool over = false;
        switch (o) {
        case '+':
            over = __builtin_add_overflow(a->u, b->u, &r);
            break;
        case '-':
            over = __builtin_sub_overflow(a->u, b->u, &r);
            break;
        case '*':
            over = __builtin_mul_overflow(a->u, b->u, &r);
            break;
        default:
            if (b->u == 0)
                return errval(e, o == '/' ? "division by zero" : "modulus by zero");
            r = o == '/' ? a->u / b->u : a->u % b->u;
        }
        return over ? errval(e, "unsigned integer overflow") : uintval(e, r);
    }
    if (a->kind == V_DOUBLE && b->kind == V_DOUBLE && o != '%') {
        double r = o == '+'   ? a->d + b->d
                   : o == '-' ? a->d - b->d
                   : o == '*' ? a->d * b->d
                              : a->d / b->d;
        return dblval(e, r);
    }
    if (o == '+' && a->kind == b->kind && (a->kind == V_STRING || a->kind == V_BYTES)) {
        if (a->s.n + b->s.n > CEL_MAX_BYTES / 4)
            return errval(e, "operation cancelled: actual cost limit exceeded");
        val *v = newval(e, a->kind);
        char *s = ev_alloc(e, a->s.n + b->s.n + 1);
        if (a->s.n)
            memcpy(s, a->s.p, a->s.n);
        if (b->s.n)
            memcpy(s + a->s.n, b->s.p, b->s.n);
        v->s.p = s;
        v->s.n = a->s.n + b->s.n;
        return v;
    }
    if (o == '+' && a->kind == V_LIST && b->kind == V_LIST) {
        val *v = listval(e, a->l.n + b->l.n);
        if (a->l.n)
            memcpy(v->l.v, a->l.v, a->l.n * sizeof(val *));
        if (b->l.n)
            memcpy(v->l.v + a->l.n, b->l.v, b->l.n * sizeof(val *));
        return v;
    }
    if (a->kind == V_TIME || a->kind == V_DUR || b->kind == V_TIME || b->kind == V_DUR) {
        val *v = time_arith(e, o, a, b);
        if (v)
            return v;
    }
    return no_overload(e, op, (val *[]){a, b}, 2);
}

/* The shortest text that reads back as d, laid out as Go's strconv.FormatFloat(d, 'g', -1). */
static val *double_text(evalctx *e, double d)
{
    if (isnan(d))
        return strval(e, V_STRING, "NaN", 3);
    if (isinf(d))
        return strval(e, V_STRING, d > 0 ? "+Inf" : "-Inf", 4);
    char sci[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, d);
        if (strtod(sci, NULL) == d)
            break;
    }
    /* sci is [-]D[.DDD]e±XX: take the digits and the exponent apart. */
    char digits[24] = {'0'};
    size_t nd = 0;
    const char *p = sci;
    bool negative = *p == '-';
    if (negative)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.' && nd < sizeof(digits))
            digits[nd++] = *p;
    if (nd == 0) /* defensive: %e always writes a digit */
        nd = 1;
    int exp = (int)strtol(p + 1, NULL, 10);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char out[64];
    size_t len = 0;
    if (negative)
        out[len++] = '-';
    if (exp < -4 || exp >= 21) {
        out[len++] = digits[0];
        if (nd > 1) {
            out[len++] = '.';
            memcpy(out + len, digits + 1, nd - 1);
            len += nd - 1;
        }
        len += (size_t)snprintf(out + len, sizeof(out) - len, "e%c%02d", exp < 0 ? '-' : '+',
                                abs(exp));
    } else if (exp < 0) {
        out[len++] = '0';
        out[len++] = '.';
        for (int k = -1; k > exp; k--)
            out[len++] = '0';
        memcpy(out + len, digits, nd);
        len += nd;
    } else {
        for (int k = 0; k <= exp || (size_t)k < nd; k++) {
            if (k == exp + 1)
                out[len++] = '.';
            out[len++] = '0';
            if ((size_t)k < nd)
                out[len - 1] = digits[k];
        }
    }
    return strval(e, V_STRING, out, len);
}

static val *convert(evalctx *e, const char *fn, val *a)
{
    char buf[64];
    if (strcmp(fn, "dyn") == 0)
        return a;
    if ((strcmp(fn, "string") == 0 || strcmp(fn, "int") == 0) &&
        (a->kind == V_TIME || a->kind == V_DUR))
        return time_convert(e, fn, a);
    if (strcmp(fn, "int") == 0) {
        switch (a->kind) {
        case V_INT:
            return a;
        case V_UINT:
            return a->u > INT64_MAX
                       ? errval(e, "range error converting %llu to int", (unsigned long long)a->u)
                       : intval(e, (int64_t)a->u);
        case V_DOUBLE:
            if (!(a->d > -9223372036854775808.0 && a->d < 9223372036854775808.0))
                return errval(e, "range error converting %g to int", a->d);
            return intval(e, (int64_t)a->d);
        case V_STRING: {
            if (a->s.n == 0 || a->s.n >= sizeof(buf))
                return errval(e, "cannot convert '%.*s' to int", (int)a->s.n, a->s.p);
            memcpy(buf, a->s.p, a->s.n);
            buf[a->s.n] = '\0';
            char *end;
            errno = 0;
            long long v = strtoll(buf, &end, 10);
            if (*end || errno || buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n')
                return errval(e, "cannot convert '%s' to int", buf);
            return intval(e, v);
        }
        default:
            break;
        }
    } else if (strcmp(fn, "uint") == 0) {
        switch (a->kind) {
        case V_UINT:
            return a;
        case V_INT:
            return a->i < 0 ? errval(e, "range error converting %lld to uint", (long long)a->i)
                            : uintval(e, (uint64_t)a->i);
        case V_DOUBLE:
            if (!(a->d > -1.0 && a->d < 18446744073709551616.0))
                return errval(e, "range error converting %g to uint", a->d);
            return uintval(e, (uint64_t)a->d);
        case V_STRING: {
            if (a->s.n == 0 || a->s.n >= sizeof(buf) || !is_digit(a->s.p[0]))
                return errval(e, "cannot convert '%.*s' to uint", (int)a->s.n, a->s.p);
            memcpy(buf, a->s.p, a->s.n);
            buf[a->s.n] = '\0';
            char *end;
            errno = 0;
            unsigned long long v = strtoull(buf, &end, 10);
            if (*end || errno)
                return errval(e, "cannot convert '%s' to uint", buf);
            return uintval(e, v);
        }
        default:
            break;
        }
    } else if (strcmp(fn, "double") == 0) {
        if (is_num(a))
            return dblval(e, num_of(a));
        if (a->kind == V_STRING) {
            if (a->s.n == 0 || a->s.n >= sizeof(buf))
                return errval(e, "cannot convert '%.*s' to double", (int)a->s.n, a->s.p);
            memcpy(buf, a->s.p, a->s.n);
            buf[a->s.n] = '\0';
            char *end;
            double d = strtod(buf, &end);
            if (*end || buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n')
                return errval(e, "cannot convert '%s' to double", buf);
            return dblval(e, d);
        }
    } else if (strcmp(fn, "string") == 0) {
        switch (a->kind) {
        case V_STRING:
            return a;
        case V_BYTES:
            if (!u8_valid(a->s.p, a->s.n))
                return errval(e, "invalid UTF-8 in bytes, cannot convert to string");
            return strval(e, V_STRING, a->s.p, a->s.n);
        case V_BOOL:
            return strval(e, V_STRING, a->b ? "true" : "false", a->b ? 4 : 5);
        case V_INT:
        case V_UINT: {
            int len = a->kind == V_INT
                          ? snprintf(buf, sizeof(buf), "%lld", (long long)a->i)
                          : snprintf(buf, sizeof(buf), "%llu", (unsigned long long)a->u);
            return strval(e, V_STRING, buf, (size_t)len);
        }
        case V_DOUBLE:
            return double_text(e, a->d);
        default:
            break;
        }
    } else if (strcmp(fn, "bool") == 0) {
        if (a->kind == V_BOOL)
            return a;
        if (a->kind == V_STRING) {
            static const char *yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
            static const char *no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
            for (int k = 0; yes[k]; k++) {
                if (a->s.n == strlen(yes[k]) && memcmp(a->s.p, yes[k], a->s.n) == 0)
                    return &true_val;
                if (a->s.n == strlen(no[k]) && memcmp(a->s.p, no[k], a->s.n) == 0)
                    return &false_val;
            }
            return errval(e, "type conversion error from 'string' to 'bool'");
        }
    } else if (strcmp(fn, "bytes") == 0) {
        if (a->kind == V_BYTES)
            return a;
        if (a->kind == V_STRING)
            return strval(e, V_BYTES, a->s.p, a->s.n);
    }
    return errval(e, "type conversion error from '%s' to '%s'", kind_name(a->kind), fn);
}

/* Go's strings.TrimSpace set: ASCII and Unicode white space. */
static bool is_space(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* The byte offset of the first occurrence of needle in s at or after byte from, or -1. */
static int64_t find_bytes(const char *s, size_t n, const char *needle, size_t nn, size_t from)
{
    if (nn == 0)
        return from <= n ? (int64_t)from : -1;
    for (size_t i = from; i + nn <= n; i++)
        if (memcmp(s + i, needle, nn) == 0)
            return (int64_t)i;
    return -1;
}

static val *str_fn(evalctx *e, const char *fn, val **a, size_t n)
{
    const char *s = a[0]->s.p;
    size_t len = a[0]->s.n;
    bool arg_str = n > 1 && a[1]->kind == V_STRING;
    bool arg_int = n > 1 && a[1]->kind == V_INT;
    if (n == 2 && arg_str && strcmp(fn, "contains") == 0)
        return boolval(find_bytes(s, len, a[1]->s.p, a[1]->s.n, 0) >= 0);
    if (n == 2 && arg_str && strcmp(fn, "startsWith") == 0)
        return boolval(a[1]->s.n <= len && memcmp(s, a[1]->s.p, a[1]->s.n) == 0);
    if (n == 2 && arg_str && strcmp(fn, "endsWith") == 0)
        return boolval(a[1]->s.n <= len && memcmp(s + len - a[1]->s.n, a[1]->s.p, a[1]->s.n) == 0);
    if (n == 1 && strcmp(fn, "size") == 0)
        return intval(e, (int64_t)u8_count(s, len));
    if (n == 2 && arg_str && strcmp(fn, "matches") == 0) {
        if (a[1]->s.n > CEL_MAX_RE_LEN)
            return errval(e, "regular expression too long");
        int code;
        PCRE2_SIZE off;
        pcre2_code *re =
            pcre2_compile((PCRE2_SPTR)a[1]->s.p, a[1]->s.n, PCRE2_UTF, &code, &off, NULL);
        if (!re) {
            char msg[256];
            pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
            return errval(e, "error parsing regexp: %s", msg);
        }
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        /* Backtracking is bounded: RE2, which cel-go uses, never backtracks. */
        pcre2_set_match_limit(mc, 100000);
        pcre2_set_depth_limit(mc, 1000);
        int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mc);
        pcre2_match_context_free(mc);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            return errval(e, "regular expression match failed (%d)", rc);
        return boolval(rc >= 0);
    }
    if (n == 2 && arg_int && strcmp(fn, "charAt") == 0) {
        size_t at = u8_offset(s, len, a[1]->i);
        if (at == SIZE_MAX)
            return errval(e, "index out of range: %lld", (long long)a[1]->i);
        size_t end = at;
        if (end < len)
            u8_next(s, len, &end);
        return strval(e, V_STRING, s + at, end - at);
    }
    if ((n == 2 || (n == 3 && a[2]->kind == V_INT)) && arg_str &&
        (strcmp(fn, "indexOf") == 0 || strcmp(fn, "lastIndexOf") == 0)) {
        bool last = fn[0] == 'l';
        int64_t count = (int64_t)u8_count(s, len);
        int64_t from = n == 3 ? a[2]->i : last ? count : 0;
        if (from < 0 || from > count)
            return errval(e, "index out of range: %lld", (long long)from);
        /* Scan code point by code point, remembering the last match at or before from. */
        int64_t found = -1, cp = 0;
        for (size_t i = 0;; cp++) {
            bool here = a[1]->s.n <= len - i && memcmp(s + i, a[1]->s.p, a[1]->s.n) == 0;
            if (!last && cp >= from && here)
                return intval(e, cp);
            if (last && cp <= from && here)
                found = cp;
            if (i >= len)
                break;
            u8_next(s, len, &i);
        }
        return intval(e, found);
    }
    if (n == 1 && (strcmp(fn, "lowerAscii") == 0 || strcmp(fn, "upperAscii") == 0)) {
        val *v = strval(e, V_STRING, s, len);
        char *p = (char *)v->s.p;
        for (size_t i = 0; i < len; i++) {
            if (fn[0] == 'l' && p[i] >= 'A' && p[i] <= 'Z')
                p[i] = (char)(p[i] + 32);
            else if (fn[0] == 'u' && p[i] >= 'a' && p[i] <= 'z')
                p[i] = (char)(p[i] - 32);
        }
        return v;
    }
    if ((n == 3 || (n == 4 && a[3]->kind == V_INT)) && arg_str && a[2]->kind == V_STRING &&
        strcmp(fn, "replace") == 0) {
        int64_t limit = n == 4 ? a[3]->i : -1;
        ed_buf out = ED_BUF_INIT(CEL_MAX_BYTES / 4);
        size_t i = 0;
        int rc = 0;
        for (int64_t done = 0; limit < 0 || done < limit; done++) {
            int64_t at = find_bytes(s, len, a[1]->s.p, a[1]->s.n, i);
            if (at < 0)
                break;
            rc |= ed_buf_append(&out, s + i, (size_t)at - i);
            rc |= ed_buf_append(&out, a[2]->s.p, a[2]->s.n);
            i = (size_t)at + a[1]->s.n;
            if (a[1]->s.n == 0) { /* an empty needle matches between code points, as Go's */
                if (i >= len)
                    break;
                size_t nexti = i;
                u8_next(s, len, &nexti);
                rc |= ed_buf_append(&out, s + i, nexti - i);
                i = nexti;
            }
            if (rc)
                break;
        }
        if (i < len)
            rc |= ed_buf_append(&out, s + i, len - i);
        val *v = rc ? errval(e, "operation cancelled: actual cost limit exceeded")
                    : strval(e, V_STRING, out.data ? out.data : "", out.len);
        ed_buf_free(&out);
        return v;
    }
    if ((n == 2 || (n == 3 && a[2]->kind == V_INT)) && arg_str && strcmp(fn, "split") == 0) {
        int64_t limit = n == 3 ? a[2]->i : -1;
        const char *sep = a[1]->s.p;
        size_t sn = a[1]->s.n;
        size_t cap = (sn ? len / sn : len) + 1;
        /* Charged up front: the pieces are made in a loop that does not pass eval's check. */
        if (cap > CEL_MAX_BYTES / (sizeof(val *) + sizeof(val) + 16) ||
            e->bytes + cap * (sizeof(val *) + sizeof(val) + 16) > CEL_MAX_BYTES)
            return errval(e, "operation cancelled: actual cost limit exceeded");
        val *l = listval(e, cap);
        l->l.n = 0;
        if (limit == 0)
            return l;
        size_t i = 0;
        while (l->l.n < cap) {
            if (limit > 0 && (int64_t)l->l.n == limit - 1)
                break;
            size_t at;
            if (sn == 0) {
                if (i >= len)
                    break;
                at = i;
                u8_next(s, len, &at);
                if (at >= len)
                    break;
                l->l.v[l->l.n++] = strval(e, V_STRING, s + i, at - i);
                i = at;
                continue;
            }
            int64_t f = find_bytes(s, len, sep, sn, i);
            if (f < 0)
                break;
            l->l.v[l->l.n++] = strval(e, V_STRING, s + i, (size_t)f - i);
            i = (size_t)f + sn;
        }
        if (sn || i < len)
            l->l.v[l->l.n++] = strval(e, V_STRING, s + i, len - i);
        return l;
    }
    if ((n == 2 || (n == 3 && a[2]->kind == V_INT)) && arg_int && strcmp(fn, "substring") == 0) {
        int64_t count = (int64_t)u8_count(s, len);
        int64_t start = a[1]->i, end = n == 3 ? a[2]->i : count;
        if (start < 0 || start > count)
            return errval(e, "index out of range: %lld", (long long)start);
        if (end < 0 || end > count)
            return errval(e, "index out of range: %lld", (long long)end);
        if (start > end)
            return errval(e, "invalid substring range. start: %lld, end: %lld", (long long)start,
                          (long long)end);
        size_t from = u8_offset(s, len, start), to = u8_offset(s, len, end);
        return strval(e, V_STRING, s + from, to - from);
    }
    if (n == 1 && strcmp(fn, "trim") == 0) {
        size_t from = 0, to = len;
        for (size_t i = 0; i < len;) {
            size_t at = i;
            if (!is_space(u8_next(s, len, &i))) {
                from = at;
                break;
            }
            from = i;
        }
        for (size_t i = from; i < len;) {
            if (!is_space(u8_next(s, len, &i)))
                to = i;
        }
        if (to < from)
            to = from;
        return strval(e, V_STRING, s + from, to - from);
    }
    if (n == 1 && strcmp(fn, "reverse") == 0) {
        val *v = strval(e, V_STRING, s, len);
        char *p = (char *)v->s.p;
        for (size_t i = 0; i < len;) {
            size_t at = i;
            u8_next(s, len, &i);
            memcpy(p + len - i, s + at, i - at);
        }
        return v;
    }
    return NULL;
}

static val *base64_encode(evalctx *e, const val *a)
{
    char *enc = ed_base64_encode(a->s.p, a->s.n);
    size_t len = strlen(enc);
    char *out = ev_alloc(e, len + 1);
    memcpy(out, enc, len + 1);
    free(enc);
    val *v = newval(e, V_STRING);
    v->s.p = out;
    v->s.n = len;
    return v;
}

/* Standard base64 with or without padding, as cel-go's base64.decode accepts. */
static val *base64_decode(evalctx *e, const val *a)
{
    size_t len = 0;
    unsigned char *dec = ed_base64_decode(a->s.p, a->s.n, ED_BASE64_UNPADDED, &len);
    if (!dec) { /* Go's message names the first byte it could not take */
        size_t at = 0;
        while (at < a->s.n && a->s.p[at] != '=' && a->s.p[at] &&
               (strchr("+/", a->s.p[at]) || isalnum((unsigned char)a->s.p[at])))
            at++;
        return errval(e, "illegal base64 data at input byte %zu", at);
    }
    unsigned char *out = ev_alloc(e, len + 1);
    memcpy(out, dec, len + 1);
    free(dec);
    val *v = newval(e, V_BYTES);
    v->s.p = (const char *)out;
    v->s.n = len;
    return v;
}

static bool list_has(const val *l, const val *x)
{
    for (size_t i = 0; i < l->l.n; i++)
        if (equal(l->l.v[i], x))
            return true;
    return false;
}

static bool list_contains_all(const val *l, const val *sub)
{
    for (size_t i = 0; i < sub->l.n; i++)
        if (!list_has(l, sub->l.v[i]))
            return false;
    return true;
}

static bool zero_value(const val *v)
{
    switch (v->kind) {
    case V_NULL:
        return true;
    case V_BOOL:
        return !v->b;
    case V_INT:
        return v->i == 0;
    case V_UINT:
        return v->u == 0;
    case V_DOUBLE:
        return v->d == 0;
    case V_STRING:
    case V_BYTES:
        return v->s.n == 0;
    case V_LIST:
        return v->l.n == 0;
    case V_MAP:
        return v->m.n == 0;
    default:
        return false;
    }
}

static val *eval_call(evalctx *e, const node *n, scope *sc)
{
    /* Every function is strict: its first erroneous argument is its result. */
    size_t argc = n->nargs + (n->target ? 1 : 0);
    val *stack[8];
    val **a = argc <= 8 ? stack : ev_alloc(e, argc * sizeof(val *));
    size_t k = 0;
    if (n->target)
        a[k++] = eval(e, n->target, sc);
    for (size_t i = 0; i < n->nargs; i++)
        a[k++] = eval(e, n->args[i], sc);
    for (size_t i = 0; i < argc; i++)
        if (a[i]->kind == V_ERR)
            return a[i];
    const char *fn = n->name;
    bool recv = n->target != NULL;

    if (argc == 2 && !recv) {
        if (strcmp(fn, "==") == 0 || strcmp(fn, "!=") == 0)
            return boolval(equal(a[0], a[1]) == (fn[0] == '='));
        if (strchr("<>", fn[0])) {
            int c = compare(a[0], a[1]);
            if (c == 3)
                return no_overload(e, fn, a, 2);
            if (c == 2)
                return &false_val;
            bool r = fn[0] == '<' ? (fn[1] ? c <= 0 : c < 0) : (fn[1] ? c >= 0 : c > 0);
            return boolval(r);
        }
        if (strcmp(fn, "in") == 0) {
            if (a[1]->kind == V_LIST)
                return boolval(list_has(a[1], a[0]));
            if (a[1]->kind == V_MAP)
                return boolval(map_find(a[1], a[0]) != NULL);
            return no_overload(e, fn, a, 2);
        }
        if (strchr("+-*/%", fn[0]) && fn[1] == '\0')
            return arith(e, fn, a[0], a[1]);
    }
    if (argc == 1 && !recv && strcmp(fn, "!") == 0)
        return a[0]->kind == V_BOOL ? boolval(!a[0]->b) : no_overload(e, fn, a, 1);
    if (argc == 1 && !recv && strcmp(fn, "neg") == 0) {
        if (a[0]->kind == V_INT)
            return a[0]->i == INT64_MIN ? errval(e, "integer overflow") : intval(e, -a[0]->i);
        if (a[0]->kind == V_DOUBLE)
            return dblval(e, -a[0]->d);
        return no_overload(e, "-_", a, 1);
    }
    if (argc == 1 && !recv &&
        (strcmp(fn, "int") == 0 || strcmp(fn, "uint") == 0 || strcmp(fn, "double") == 0 ||
         strcmp(fn, "string") == 0 || strcmp(fn, "bool") == 0 || strcmp(fn, "bytes") == 0 ||
         strcmp(fn, "dyn") == 0))
        return convert(e, fn, a[0]);
    if (!recv && argc == 1 && (strcmp(fn, "timestamp") == 0 || strcmp(fn, "duration") == 0))
        return time_make(e, fn, a[0]);
    if (recv && (argc == 1 || argc == 2) && (a[0]->kind == V_TIME || a[0]->kind == V_DUR) &&
        strncmp(fn, "get", 3) == 0) {
        val *v = time_get(e, fn, a, argc);
        if (v)
            return v;
    }
    if (argc == 1 && strcmp(fn, "size") == 0) {
        switch (a[0]->kind) {
        case V_STRING:
            return intval(e, (int64_t)u8_count(a[0]->s.p, a[0]->s.n));
        case V_BYTES:
            return intval(e, (int64_t)a[0]->s.n);
        case V_LIST:
            return intval(e, (int64_t)a[0]->l.n);
        case V_MAP:
            return intval(e, (int64_t)a[0]->m.n);
        default:
            return no_overload(e, fn, a, 1);
        }
    }
    /* matches() is also a global function: matches(s, re). */
    if (argc >= 1 && a[0]->kind == V_STRING && (recv || strcmp(fn, "matches") == 0)) {
        val *v = str_fn(e, fn, a, argc);
        if (v)
            return v;
    }
    if (recv && strcmp(fn, "join") == 0 && a[0]->kind == V_LIST &&
        (argc == 1 || (argc == 2 && a[1]->kind == V_STRING))) {
        ed_buf out = ED_BUF_INIT(CEL_MAX_BYTES / 4);
        int rc = 0;
        for (size_t i = 0; i < a[0]->l.n; i++) {
            const val *item = a[0]->l.v[i];
            if (item->kind != V_STRING) {
                ed_buf_free(&out);
                return no_overload(e, "join", (val *[]){a[0]}, 1);
            }
            if (i && argc == 2)
                rc |= ed_buf_append(&out, a[1]->s.p, a[1]->s.n);
            rc |= ed_buf_append(&out, item->s.p, item->s.n);
        }
        val *v = rc ? errval(e, "operation cancelled: actual cost limit exceeded")
                    : strval(e, V_STRING, out.data ? out.data : "", out.len);
        ed_buf_free(&out);
        return v;
    }
    if (!recv && argc == 2 && strncmp(fn, "sets.", 5) == 0) {
        if (a[0]->kind != V_LIST || a[1]->kind != V_LIST)
            return no_overload(e, fn, a, 2);
        if (strcmp(fn, "sets.contains") == 0)
            return boolval(list_contains_all(a[0], a[1]));
        if (strcmp(fn, "sets.equivalent") == 0)
            return boolval(list_contains_all(a[0], a[1]) && list_contains_all(a[1], a[0]));
        for (size_t i = 0; i < a[1]->l.n; i++)
            if (list_has(a[0], a[1]->l.v[i]))
                return &true_val;
        return &false_val;
    }
    if (!recv && argc == 1 && strcmp(fn, "base64.encode") == 0 && a[0]->kind == V_BYTES)
        return base64_encode(e, a[0]);
    if (!recv && argc == 1 && strcmp(fn, "base64.decode") == 0 && a[0]->kind == V_STRING)
        return base64_decode(e, a[0]);
    if (!recv && argc == 1 && strcmp(fn, "optional.of") == 0)
        return optval(e, a[0]);
    if (!recv && argc == 0 && strcmp(fn, "optional.none") == 0)
        return &none_val;
    if (!recv && argc == 1 && strcmp(fn, "optional.ofNonZeroValue") == 0)
        return zero_value(a[0]) ? &none_val : optval(e, a[0]);
    if (recv && a[0]->kind == V_OPT) {
        val *inner = a[0]->opt;
        if (argc == 1 && strcmp(fn, "hasValue") == 0)
            return boolval(inner != NULL);
        if (argc == 1 && strcmp(fn, "value") == 0)
            return inner ? inner : errval(e, "optional.none() dereference");
        if (argc == 2 && strcmp(fn, "orValue") == 0)
            return inner ? inner : a[1];
        if (argc == 2 && strcmp(fn, "or") == 0) {
            if (a[1]->kind != V_OPT)
                return no_overload(e, fn, a, 2);
            return inner ? a[0] : a[1];
        }
    }
    /* A known function with arguments of the wrong types, or one eddy does not have. */
    static const char known[] =
        " int uint double string bool bytes dyn size contains startsWith endsWith matches charAt"
        " indexOf lastIndexOf lowerAscii upperAscii replace split substring trim join reverse"
        " sets.contains sets.equivalent sets.intersects base64.encode base64.decode optional.of"
        " optional.none optional.ofNonZeroValue hasValue value orValue or == != < <= > >= in + - *"
        " / % ! neg timestamp duration getFullYear getMonth getDayOfMonth getDate getDayOfWeek"
        " getDayOfYear getHours getMinutes getSeconds getMilliseconds ";
    size_t fl = strlen(fn);
    for (const char *at = strstr(known, fn); at; at = strstr(at + 1, fn))
        if (at[-1] == ' ' && at[fl] == ' ')
            return no_overload(e, fn, a, argc);
    return errval(e, "no such function: %s", fn);
}
