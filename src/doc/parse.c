/*
 * Parsing YAML streams and JSON texts into documents with libyaml's event API. Scalars are
 * typed by the YAML 1.2 core schema, the way yaml.v3 (and so kustomize and kubectl) types
 * them: quoted scalars are strings; plain `~`, `null` and the empty scalar are null; `true` and
 * `false` (any case form of the spec) are booleans; decimal, 0x and 0o integers are ints (and,
 * as yaml.v3 reads them, 0b, leading-zero octal and numbers with '_' separators); other
 * numbers are floats; everything else is a string. Explicit tags (!!str, !!int, ...)
 * win. Aliases are expanded into copies of their anchor's node, and a merge key (`<<`) adds
 * the keys its mappings have and the mapping lacks. Duplicate mapping keys are
 * errors, as in kustomize. Errors carry the line and column of the fault.
 *
 * Why libyaml and not libfyaml (which DESIGN.md first named): fuzzing this file found libfyaml
 * 0.7.12, Debian 12's version, looping forever, leaking and crashing (SIGSEGV in its error
 * reporter) on malformed input. Manifests come from Git, so a parser bug would stop the whole
 * agent; libyaml has been fuzzed for years (OSS-Fuzz) and its event API gives all this needs.
 */
#include "doc_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Aliases are expanded into copies; this many copied nodes in one stream at most, so that an
 * alias bomb ("billion laughs") is refused instead of expanding exponentially. */
#define MAX_ALIAS_NODES ((size_t)1 << 20)

struct anchor {
    char *name;
    ed_node *node;
};

struct parse_state {
    yaml_parser_t parser;
    const char *name; /* file name for messages, or NULL */
    bool json;
    ed_err *err;
    struct anchor *anchors;
    size_t nanchors;
    size_t alias_nodes; /* nodes created by alias expansion so far */
};

static int fail_at(struct parse_state *st, const yaml_mark_t *m, const char *msg,
                   const char *detail)
{
    char where[128] = "";
    if (m)
        snprintf(where, sizeof(where), "line %zu, column %zu: ", m->line + 1, m->column + 1);
    if (st->name)
        return ed_err_set(st->err, ED_EINVALID, "%s: %s%s%s", st->name, where, msg,
                          detail ? detail : "");
    return ed_err_set(st->err, ED_EINVALID, "%s%s%s", where, msg, detail ? detail : "");
}

/* libyaml refused the input: report its problem where it found it. */
static int fail_parser(struct parse_state *st)
{
    const yaml_parser_t *p = &st->parser;
    const char *problem = p->problem ? p->problem : "invalid syntax";
    if (p->context) {
        char detail[256];
        snprintf(detail, sizeof(detail), " %s", p->context);
        return fail_at(st, &p->problem_mark, problem, detail);
    }
    return fail_at(st, &p->problem_mark, problem, NULL);
}

/* The next event, or false (with err set) when the input is malformed. */
static bool next_event(struct parse_state *st, yaml_event_t *ev)
{
    if (yaml_parser_parse(&st->parser, ev))
        return true;
    fail_parser(st);
    return false;
}

static bool is_one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(s, *words, len) == 0)
            return true;
    return false;
}

static const char *const null_words[] = {"~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};

/*
 * Parse an integer of the YAML 1.2 core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. With
 * go_syntax (YAML, not JSON), as yaml.v3 reads them through Go's strconv.ParseInt(s, 0, 64): the
 * prefixes in either case and after a sign, 0b for binary, and YAML 1.1's leading-zero octal
 * (`defaultMode: 0644` is 420).
 */
static bool parse_int(const char *s, size_t len, bool go_syntax, int64_t *out)
{
    char buf[72];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    const char *p = buf;
    int base = 10;
    bool neg = false;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    char prefix = '\0';
    if (p[0] == '0')
        prefix = p[1];
    if (go_syntax && (prefix == 'x' || prefix == 'X' || prefix == 'o' || prefix == 'O' ||
                      prefix == 'b' || prefix == 'B')) {
        base = prefix == 'x' || prefix == 'X' ? 16 : prefix == 'b' || prefix == 'B' ? 2 : 8;
        p += 2;
    } else if (go_syntax && p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
        base = 8;
        p++;
    } else if ((prefix == 'x' || prefix == 'o') && p == buf) {
        base = prefix == 'x' ? 16 : 8;
        p += 2;
    }
    if (!*p)
        return false;
    for (const char *q = p; *q; q++) {
        bool ok = base == 16  ? strchr("0123456789abcdefABCDEF", *q) != NULL
                  : base == 2 ? (*q == '0' || *q == '1')
                              : (*q >= '0' && *q < (base == 8 ? '8' : ':'));
        if (!ok)
            return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, base);
    if (errno || *end)
        return false;
    if (neg ? v > (unsigned long long)INT64_MAX + 1 : v > (unsigned long long)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* yaml.v3 reads a plain scalar that starts like a number with every '_' removed ("1_000" is
 * 1000). The text without them is put in buf (of cap bytes); returns its length, or len and s
 * untouched when there is nothing to remove or it does not fit. */
static const char *without_underscores(const char *s, size_t *len, char *buf, size_t cap)
{
    if (*len == 0 || !strchr("-+.0123456789", s[0]) || !memchr(s, '_', *len) || *len >= cap)
        return s;
    size_t o = 0;
    for (size_t i = 0; i < *len; i++)
        if (s[i] != '_')
            buf[o++] = s[i];
    buf[o] = '\0';
    *len = o;
    return buf;
}

/* A float of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan */
static bool parse_float(const char *s, size_t len, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
    if (is_one_of(s, len, inf)) {
        *out = INFINITY;
        return true;
    }
    if (is_one_of(s, len, ninf)) {
        *out = -INFINITY;
        return true;
    }
    if (is_one_of(s, len, nan_words)) {
        *out = NAN;
        return true;
    }
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, exp++;
        if (!exp)
            return false;
    }
    if (i != len)
        return false;
    char buf[ED_DOC_MAX_NUMBER + 1];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

/* Type a scalar: quoted → string; plain → core schema; explicit tags win. */
static ed_node *make_typed_scalar(struct parse_state *st, ed_doc *doc, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const yaml_mark_t *m = &ev->start_mark;
    /* The standard tags, written "!!str" or in full; libyaml expands "!!" to the full form. */
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *tagname = NULL;
    if (tag && ed_str_has_prefix(tag, "tag:yaml.org,2002:"))
        tagname = tag + 18;
    int64_t iv;
    double fv;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (st->json && (tag || ev->data.scalar.anchor ||
                     (!plain && ev->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE))) {
        fail_at(st, m, "not JSON: ",
                tag                      ? "a tag"
                : ev->data.scalar.anchor ? "an anchor"
                                         : "a quoted scalar");
        return NULL;
    }
    if (tagname) {
        if (strcmp(tagname, "str") == 0)
            return ed_node_new_strn(doc, text, len);
        if (strcmp(tagname, "null") == 0)
            return ed_node_new_null(doc);
        if (strcmp(tagname, "bool") == 0) {
            if (is_one_of(text, len, true_words))
                return ed_node_new_bool(doc, true);
            if (is_one_of(text, len, false_words))
                return ed_node_new_bool(doc, false);
            fail_at(st, m, "invalid !!bool value", NULL);
            return NULL;
        }
        if (strcmp(tagname, "int") == 0) {
            if (parse_int(text, len, !st->json, &iv))
                return ed_node_new_int(doc, iv);
            fail_at(st, m, "invalid !!int value", NULL);
            return NULL;
        }
        if (strcmp(tagname, "float") == 0) {
            if (parse_float(text, len, &fv))
                return ed_doc_node_new_float(doc, fv, text, len);
            fail_at(st, m, "invalid !!float value", NULL);
            return NULL;
        }
        plain = false; /* any other tag (!!binary, !!timestamp, custom): keep the text */
    } else if (tag && !ed_str_has_prefix(tag, "!")) {
        plain = false;
    }
    if (!plain)
        return ed_node_new_strn(doc, text, len);
    if (len == 0 && st->json) {
        fail_at(st, m, "not JSON: missing value", NULL);
        return NULL;
    }
    if (len == 0 || is_one_of(text, len, null_words))
        return ed_node_new_null(doc);
    if (is_one_of(text, len, true_words))
        return ed_node_new_bool(doc, true);
    if (is_one_of(text, len, false_words))
        return ed_node_new_bool(doc, false);
    char digits[72];
    size_t nlen = len;
    const char *num = st->json ? text : without_underscores(text, &nlen, digits, sizeof(digits));
    if (parse_int(num, nlen, !st->json, &iv))
        return ed_node_new_int(doc, iv);
    /* yaml.v3 types a number past the float range (1e400) as a string: Go's ParseFloat fails */
    if (parse_float(num, nlen, &fv) &&
        (st->json || !isinf(fv) || num[nlen - 1] == 'f' || num[nlen - 1] == 'F'))
        return ed_doc_node_new_float(doc, fv, num, nlen);
    if (st->json) {
        /* JSON has no plain strings: a bare word is a syntax error. */
        fail_at(st, m, "not JSON: unquoted value ", text);
        return NULL;
    }
    ed_node *n = ed_node_new_strn(doc, text, len);
    n->plain = true;
    return n;
}

/* A scalar, typed, with its text as written when it is a boolean, integer or null. */
static ed_node *make_scalar(struct parse_state *st, ed_doc *doc, const yaml_event_t *ev)
{
    ed_node *n = make_typed_scalar(st, doc, ev);
    if (n)
        ed_doc_node_set_text(doc, n, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    return n;
}

/* The values of a mapping's merge keys (`<<`), applied once the mapping is read. */
struct merges {
    ed_node **items;
    size_t len;
    yaml_mark_t mark; /* the last `<<`, for messages */
};

static ed_node *merges_fail(struct merges *m)
{
    free(m->items);
    m->items = NULL;
    return NULL;
}

/* Add the keys of the merged mappings that node lacks: its own keys win, then the earlier
 * mapping of a list over the later ones (YAML's merge key, as kustomize reads it). */
static bool apply_merges(struct parse_state *st, ed_doc *doc, ed_node *node, const struct merges *m)
{
    for (size_t i = 0; i < m->len; i++) {
        const ed_node *v = m->items[i];
        if (v->kind != ED_NODE_SEQ && v->kind != ED_NODE_MAP) {
            fail_at(st, &m->mark, "map merge requires map or sequence of maps as the value", NULL);
            return false;
        }
        size_t n = v->kind == ED_NODE_SEQ ? v->u.c.len : 1;
        for (size_t j = 0; j < n; j++) {
            const ed_node *from = v->kind == ED_NODE_SEQ ? v->u.c.items[j].value : v;
            if (from->kind != ED_NODE_MAP) {
                fail_at(st, &m->mark, "map merge requires map or sequence of maps as the value",
                        NULL);
                return false;
            }
            for (size_t k = 0; k < from->u.c.len; k++)
                if (!ed_node_get(node, from->u.c.items[k].key))
                    ed_node_set(doc, node, from->u.c.items[k].key,
                                ed_node_copy(doc, from->u.c.items[k].value));
        }
    }
    return true;
}

static void remember_anchor(struct parse_state *st, const yaml_char_t *anchor, ed_node *node)
{
    if (!anchor)
        return;
    st->anchors = ed_xrealloc(st->anchors, (st->nanchors + 1) * sizeof(*st->anchors));
    st->anchors[st->nanchors].name = ed_xstrdup((const char *)anchor);
    st->anchors[st->nanchors].node = node;
    st->nanchors++;
}

static ed_node *find_anchor(struct parse_state *st, const yaml_char_t *alias)
{
    /* The newest definition of a name wins, as YAML specifies. */
    for (size_t i = st->nanchors; i-- > 0;)
        if (strcmp(st->anchors[i].name, (const char *)alias) == 0)
            return st->anchors[i].node;
    return NULL;
}

/* The number of nodes in the tree under n, counting no further than limit. */
static size_t count_nodes(const ed_node *n, size_t limit)
{
    size_t total = 1;
    if (n->kind == ED_NODE_SEQ || n->kind == ED_NODE_MAP)
        for (size_t i = 0; i < n->u.c.len && total <= limit; i++)
            total += count_nodes(n->u.c.items[i].value, limit - total);
    return total;
}

static void forget_anchors(struct parse_state *st)
{
    for (size_t i = 0; i < st->nanchors; i++)
        free(st->anchors[i].name);
    free(st->anchors);
    st->anchors = NULL;
    st->nanchors = 0;
}

/* The text a mapping key is stored under: scalars only, typed keys in their canonical form. */
static const char *key_text(const ed_node *key, char *buf, size_t cap)
{
    switch (key->kind) {
    case ED_NODE_STR:
        return key->u.s.text;
    case ED_NODE_INT:
        snprintf(buf, cap, "%lld", (long long)key->u.i.value);
        return buf;
    case ED_NODE_BOOL:
        return key->u.b.value ? "true" : "false";
    case ED_NODE_FLOAT:
        return key->u.f.text;
    case ED_NODE_NULL:
        return "null";
    default:
        return NULL;
    }
}

bool ed_doc_key_too_long(const char *key)
{
    /* A key of at most 169 bytes is within 1024 characters whatever its escapes (\u00XX is 6
     * characters per byte, plus the quotes): no need to write it out. */
    if (strlen(key) <= 169)
        return false;
    ed_buf b = ED_BUF_INIT(SIZE_MAX / 2);
    ed_buf_append_json_str(&b, key);
    size_t n = b.len;
    ed_buf_free(&b);
    return n > 1024;
}

void ed_doc_text_position(const char *data, size_t off, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char)data[i] & 0xc0) != 0x80) {
            ++*column;
        }
    }
}

/* Parse the node that starts with event ev; ev is deleted here. */
static ed_node *parse_node(struct parse_state *st, ed_doc *doc, yaml_event_t *ev, int depth)
{
    ed_node *node = NULL;
    yaml_mark_t start = ev->start_mark;
    yaml_event_t sub;
    if (depth > ED_DOC_MAX_DEPTH) {
        fail_at(st, &start, "nesting too deep", NULL);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        node = make_scalar(st, doc, ev);
        if (node)
            remember_anchor(st, ev->data.scalar.anchor, node);
        yaml_event_delete(ev);
        break;
    case YAML_ALIAS_EVENT: {
        ed_node *target = st->json ? NULL : find_anchor(st, ev->data.alias.anchor);
        yaml_event_delete(ev);
        if (!target) {
            fail_at(st, &start, st->json ? "not JSON: an alias" : "unknown alias", NULL);
            return NULL;
        }
        st->alias_nodes += count_nodes(target, MAX_ALIAS_NODES);
        if (st->alias_nodes > MAX_ALIAS_NODES) {
            fail_at(st, &start, "too many alias expansions", NULL);
            return NULL;
        }
        node = ed_node_copy(doc, target);
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
        if (st->json && (ev->data.sequence_start.anchor || ev->data.sequence_start.tag ||
                         ev->data.sequence_start.style != YAML_FLOW_SEQUENCE_STYLE)) {
            yaml_event_delete(ev);
            fail_at(st, &start, "not JSON: a YAML sequence", NULL);
            return NULL;
        }
        node = ed_node_new_seq(doc);
        remember_anchor(st, ev->data.sequence_start.anchor, node);
        yaml_event_delete(ev);
        for (;;) {
            if (!next_event(st, &sub))
                return NULL;
            if (sub.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            ed_node *child = parse_node(st, doc, &sub, depth + 1);
            if (!child)
                return NULL;
            ed_node_append(doc, node, child);
        }
        break;
    case YAML_MAPPING_START_EVENT:
        if (st->json && (ev->data.mapping_start.anchor || ev->data.mapping_start.tag ||
                         ev->data.mapping_start.style != YAML_FLOW_MAPPING_STYLE)) {
            yaml_event_delete(ev);
            fail_at(st, &start, "not JSON: a YAML mapping", NULL);
            return NULL;
        }
        node = ed_node_new_map(doc);
        remember_anchor(st, ev->data.mapping_start.anchor, node);
        yaml_event_delete(ev);
        struct merges merges = {0};
        for (;;) {
            if (!next_event(st, &sub)) {
                free(merges.items);
                return NULL;
            }
            if (sub.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            yaml_mark_t kstart = sub.start_mark;
            bool scalar_key = sub.type == YAML_SCALAR_EVENT || sub.type == YAML_ALIAS_EVENT;
            /* YAML's merge key: a plain `<<` whose value is a mapping or a list of them */
            bool merge_key =
                sub.type == YAML_SCALAR_EVENT && !st->json &&
                sub.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                (!sub.data.scalar.tag ||
                 strcmp((const char *)sub.data.scalar.tag, "tag:yaml.org,2002:merge") == 0) &&
                sub.data.scalar.length == 2 && memcmp(sub.data.scalar.value, "<<", 2) == 0;
            if (merge_key && merges.len) {
                yaml_event_delete(&sub);
                fail_at(st, &kstart, "duplicate merge key", NULL);
                return merges_fail(&merges);
            }
            if (merge_key) {
                yaml_event_delete(&sub);
                ed_node *from = next_event(st, &sub) ? parse_node(st, doc, &sub, depth + 1) : NULL;
                if (!from) {
                    free(merges.items);
                    return NULL;
                }
                merges.items = ed_xrealloc(merges.items, (merges.len + 1) * sizeof(ed_node *));
                merges.items[merges.len++] = from;
                merges.mark = kstart;
                continue;
            }
            if (st->json && !(sub.type == YAML_SCALAR_EVENT &&
                              sub.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)) {
                yaml_event_delete(&sub);
                fail_at(st, &kstart, "not JSON: a key must be a string", NULL);
                return NULL;
            }
            ed_node *key = parse_node(st, doc, &sub, depth + 1);
            if (!key)
                return merges_fail(&merges);
            char numbuf[32];
            const char *k = scalar_key ? key_text(key, numbuf, sizeof(numbuf)) : NULL;
            if (!k) {
                fail_at(st, &kstart, "a mapping key must be a scalar", NULL);
                return merges_fail(&merges);
            }
            if (ed_doc_key_too_long(k)) {
                fail_at(st, &kstart, "a mapping key is too long (over 1024 characters as JSON)",
                        NULL);
                return merges_fail(&merges);
            }
            if (ed_node_get(node, k)) {
                fail_at(st, &kstart, "duplicate mapping key ", k);
                return merges_fail(&merges);
            }
            if (!next_event(st, &sub))
                return merges_fail(&merges);
            ed_node *value = parse_node(st, doc, &sub, depth + 1);
            if (!value)
                return merges_fail(&merges);
            ed_node_set(doc, node, k, value);
            ed_pair *pair = &node->u.c.items[node->u.c.len - 1];
            pair->key_plain = ed_node_str_plain(key);
            pair->key_line = (int)kstart.line + 1;
            pair->key_col = (int)kstart.column;
        }
        if (merges.len && !apply_merges(st, doc, node, &merges)) {
            free(merges.items);
            return NULL;
        }
        free(merges.items);
        break;
    default:
        yaml_event_delete(ev);
        fail_at(st, &start, "unexpected YAML event", NULL);
        return NULL;
    }
    if (node) {
        node->line = (int)start.line + 1;
        node->col = (int)start.column;
    }
    return node;
}

/*
 * YAML streams are UTF-8 text of printable characters (YAML 1.2 §5.1; yaml.v3 enforces the
 * same). Checking that before libfyaml sees the input also keeps malformed bytes away from
 * its scanner (libfyaml 0.7.12 loops forever on some invalid UTF-8 inside a directive).
 * Returns the byte offset of the first bad character, or len when all are good; *what says why.
 */
size_t ed_doc_check_text(const unsigned char *s, size_t len, const char **what)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                *what = "control character not allowed";
                return i;
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
        } else {
            *what = "invalid UTF-8";
            return i;
        }
        if (i + n > len) {
            *what = "invalid UTF-8";
            return i;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                *what = "invalid UTF-8";
                return i;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            *what = "invalid UTF-8";
            return i;
        }
        if ((cp >= 0x80 && cp <= 0x9f && cp != 0x85) || cp == 0xfffe || cp == 0xffff) {
            *what = "control character not allowed";
            return i;
        }
        i += n;
    }
    return len;
}

/*
 * kustomize splits a stream at its `---` lines itself and decodes each document as a stream of
 * its own, so a byte order mark that starts a later document is skipped as the first one is.
 * libyaml skips it too but counts it as a column, which breaks the document's indentation.
 * Returns a copy of data without such marks (its length in *out_len), or NULL when it has none.
 */
static char *drop_document_boms(const char *data, size_t len, size_t *out_len)
{
    char *copy = NULL;
    size_t n = 0, from = 0;
    for (size_t i = 0; i + 4 <= len; i++) {
        if (data[i] != '\n' || memcmp(data + i + 1, "---", 3) != 0)
            continue;
        size_t eol = i + 4;
        if (eol < len && !strchr(" \t\r\n", data[eol]))
            continue; /* "---x" is no document marker */
        while (eol < len && data[eol] != '\n')
            eol++;
        if (eol + 4 > len || memcmp(data + eol + 1, "\xef\xbb\xbf", 3) != 0)
            continue;
        if (!copy)
            copy = ed_xmalloc(len);
        memcpy(copy + n, data + from, eol + 1 - from);
        n += eol + 1 - from;
        from = eol + 4;
        i = eol;
    }
    if (!copy)
        return NULL;
    memcpy(copy + n, data + from, len - from);
    *out_len = n + len - from;
    return copy;
}

static int parse_stream(const char *data, size_t len, const char *name, bool json, ed_doc ***out,
                        size_t *count, ed_err *err)
{
    struct parse_state st = {.name = name, .json = json, .err = err};
    ed_doc **docs = NULL;
    size_t ndocs = 0;
    int rc = ED_EINVALID;
    yaml_event_t ev;

    *out = NULL;
    *count = 0;
    /* A UTF-8 byte order mark (editors on Windows write one) is no content: libyaml would skip
     * it but count it as a column, so the first line's mapping would sit one column in and the
     * next line would end the document. */
    if (!json && len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (len > ED_DOC_MAX_INPUT)
        return ed_err_set(err, ED_ETOOBIG,
                          "%s%sinput of %zu bytes is larger than the %zu MiB limit",
                          name ? name : "", name ? ": " : "", len, ED_DOC_MAX_INPUT >> 20);
    char *unmarked = json ? NULL : drop_document_boms(data, len, &len);
    if (unmarked)
        data = unmarked;
    const char *what = NULL;
    size_t bad = ed_doc_check_text((const unsigned char *)data, len, &what);
    if (bad < len) {
        size_t line, column;
        ed_doc_text_position(data, bad, &line, &column);
        yaml_mark_t m = {bad, line - 1, column - 1};
        char detail[32];
        snprintf(detail, sizeof(detail), " (byte 0x%02x)", (unsigned char)data[bad]);
        free(unmarked);
        return fail_at(&st, &m, what, detail);
    }

    if (!yaml_parser_initialize(&st.parser)) {
        free(unmarked);
        return ed_err_set(err, ED_ERROR, "cannot create the YAML parser");
    }
    yaml_parser_set_input_string(&st.parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&st.parser, YAML_UTF8_ENCODING);

    for (;;) {
        if (!next_event(&st, &ev))
            goto cleanup;
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type != YAML_DOCUMENT_START_EVENT)
            continue;
        ed_doc *doc = ed_doc_new();
        if (!next_event(&st, &ev)) {
            ed_doc_free(doc);
            goto cleanup;
        }
        /* A document holds exactly one node; libyaml reports an empty one as a null scalar. */
        doc->root = parse_node(&st, doc, &ev, 0);
        if (!doc->root) {
            ed_doc_free(doc);
            goto cleanup;
        }
        if (!next_event(&st, &ev)) {
            ed_doc_free(doc);
            goto cleanup;
        }
        yaml_event_delete(&ev); /* DOCUMENT-END */
        forget_anchors(&st);    /* anchors do not cross documents */
        if (doc->root->kind == ED_NODE_NULL) {
            ed_doc_free(doc);
            continue;
        }
        docs = ed_xrealloc(docs, (ndocs + 1) * sizeof(ed_doc *));
        docs[ndocs++] = doc;
    }
    *out = docs;
    *count = ndocs;
    docs = NULL;
    ndocs = 0;
    rc = 0;

cleanup:
    forget_anchors(&st);
    ed_doc_list_free(docs, ndocs);
    yaml_parser_delete(&st.parser);
    free(unmarked);
    return rc;
}

int ed_doc_parse_yaml(const char *data, size_t len, const char *name, ed_doc ***out, size_t *count,
                      ed_err *err)
{
    return parse_stream(data, len, name, false, out, count, err);
}

int ed_doc_parse_json(const char *data, size_t len, ed_doc **out, ed_err *err)
{
    ed_doc **docs = NULL;
    size_t count = 0;
    *out = NULL;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i == len)
        return ed_err_set(err, ED_EINVALID, "empty JSON text");
    if (data[i] != '{' && data[i] != '[' && data[i] != '"' && !(data[i] >= '0' && data[i] <= '9') &&
        data[i] != '-' && data[i] != 't' && data[i] != 'f' && data[i] != 'n')
        return ed_err_set(err, ED_EINVALID, "not JSON: starts with '%c'", data[i]);
    int rc = parse_stream(data, len, NULL, true, &docs, &count, err);
    if (rc)
        return rc;
    if (count == 1) {
        *out = docs[0];
        free(docs);
        return 0;
    }
    ed_doc_list_free(docs, count);
    if (count == 0) {
        /* JSON null is a valid text: an empty document. */
        *out = ed_doc_new();
        return 0;
    }
    return ed_err_set(err, ED_EINVALID, "expected one JSON value, found %zu", count);
}

/* ---- comments ---- */

void ed_yaml_comments_free(ed_yaml_comment *comments, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(comments[i].text);
    free(comments);
}

int ed_yaml_comments(const char *data, size_t len, ed_yaml_comment **comments, size_t *count,
                     int **doc_starts, size_t *starts, ed_err *err)
{
    *comments = NULL;
    *count = 0;
    *doc_starts = NULL;
    *starts = 0;
    /* the tokens' spans: a '#' inside one (a block scalar's line) is no comment */
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return ed_err_set(err, ED_ERROR, "cannot start the YAML scanner");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    size_t *span = NULL, nspan = 0, cap = 0;
    int rc = 0;
    for (;;) {
        yaml_token_t t;
        if (!yaml_parser_scan(&p, &t)) {
            rc = ed_err_set(err, ED_EINVALID, "cannot read the YAML: %s",
                            p.problem ? p.problem : "scanner error");
            break;
        }
        yaml_token_type_t type = t.type;
        if (nspan + 2 > cap) {
            cap = cap ? cap * 2 : 64;
            span = ed_xrealloc(span, cap * sizeof(size_t));
        }
        span[nspan++] = t.start_mark.index;
        span[nspan++] = t.end_mark.index;
        if (type == YAML_DOCUMENT_START_TOKEN) {
            *doc_starts = ed_xrealloc(*doc_starts, (*starts + 1) * sizeof(int));
            (*doc_starts)[(*starts)++] = (int)t.start_mark.line + 1;
        }
        yaml_token_delete(&t);
        if (type == YAML_STREAM_END_TOKEN)
            break;
    }
    yaml_parser_delete(&p);
    size_t next = 0; /* tokens come in order: the first span not ending before the line */
    int line = 1;
    for (size_t at = 0; !rc && at < len; line++) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t hash = at;
        while (hash < end && data[hash] == ' ')
            hash++;
        if (hash < end && data[hash] == '#') {
            while (next < nspan && span[next + 1] <= hash)
                next += 2;
            bool inside = next < nspan && span[next] < hash;
            if (!inside) {
                size_t tail = end;
                if (tail > hash && data[tail - 1] == '\r')
                    tail--;
                *comments = ed_xrealloc(*comments, (*count + 1) * sizeof(ed_yaml_comment));
                (*comments)[(*count)++] =
                    (ed_yaml_comment){.line = line,
                                      .col = (int)(hash - at),
                                      .text = ed_xstrndup(data + hash + 1, tail - hash - 1)};
            }
        }
        at = end + 1;
    }
    free(span);
    if (rc) {
        ed_yaml_comments_free(*comments, *count);
        free(*doc_starts);
        *comments = NULL;
        *doc_starts = NULL;
        *count = *starts = 0;
    }
    return rc;
}
