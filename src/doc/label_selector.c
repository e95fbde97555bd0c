/*
 * Label selectors in Kubernetes' string form (apimachinery's labels.Parse), the one parser and
 * matcher of the program: a selector flag is refused at start as Flux's controllers refuse it,
 * a controller tells whether an object it read is one of its shard without asking the API
 * server again, and kustomize's patch and replacement targets pick resources by labelSelector
 * and annotationSelector (kustomize parses both with labels.Parse, so its build fails with the
 * same messages).
 *
 * The grammar is Kubernetes': requirements separated by commas, each `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>1` or
 * `key<1`; white space between tokens is ignored; `in` and `notin` are keywords only where an
 * operator is expected. Errors carry Kubernetes' messages word for word: the grammar's
 * ("found ',', expected: identifier after ','") and those of the label rules a key or value
 * breaks (with the field paths and regular expressions that Kubernetes' messages name). Matching is
 * Kubernetes': every requirement must hold, `!=` and `notin` hold for a missing label, `>` and `<`
 * compare integers.
 */
#include "doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum token {
    T_END,
    T_IDENT,
    T_COMMA,
    T_NOT,   /* ! */
    T_EQ,    /* = */
    T_EQEQ,  /* == */
    T_NE,    /* != */
    T_GT,    /* > */
    T_LT,    /* < */
    T_IN,    /* in */
    T_NOTIN, /* notin */
    T_OPEN,  /* ( */
    T_CLOSE, /* ) */
    T_ERROR, /* a run of symbols that is no operator */
};

/* OP_EQ and OP_NE match as OP_IN and OP_NOTIN; kept apart for ed_label_selector_parse_watch. */
enum op {
    OP_IN,
    OP_NOTIN,
    OP_EQ,
    OP_NE,
    OP_EXISTS,
    OP_NOT_EXISTS,
    OP_GT,
    OP_LT
};

struct requirement {
    char *key;
    enum op op;
    char **values;
    size_t nvalues;
};

struct ed_label_selector {
    struct requirement *reqs;
    size_t n;
};

struct item {
    enum token tok;
    char *lit;
};

struct parser {
    struct item *items;
    size_t n, pos;
    bool kyaml; /* kyaml's older copy of labels.Parse: its messages (ed_label_selector_parse_kyaml)
                 */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_symbol(char c)
{
    return c && strchr("=!(),<>", c) != NULL;
}

static enum token symbol_token(const char *s, size_t len)
{
    static const struct {
        const char *text;
        enum token tok;
    } symbols[] = {{"(", T_OPEN}, {")", T_CLOSE}, {",", T_COMMA}, {"!", T_NOT}, {"==", T_EQEQ},
                   {"=", T_EQ},   {">", T_GT},    {"<", T_LT},    {"!=", T_NE}};
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
        if (strlen(symbols[i].text) == len && memcmp(symbols[i].text, s, len) == 0)
            return symbols[i].tok;
    return T_ERROR;
}

/* Kubernetes' lexer: the longest run of symbols that is an operator (a run that never was one
 * is an error token), else a word up to a symbol or a space ("in" and "notin" keywords). */
static void scan(struct parser *p, const char *s)
{
    size_t cap = 0;
    for (;;) {
        while (is_space(*s))
            s++;
        struct item it = {T_END, NULL};
        if (!*s) {
            it.lit = ed_xstrdup("");
        } else if (is_symbol(*s)) {
            size_t len = 0, good = 0;
            enum token last = T_ERROR;
            while (is_symbol(s[len])) {
                len++;
                enum token t = symbol_token(s, len);
                if (t != T_ERROR) {
                    last = t;
                    good = len;
                } else if (good) {
                    len--;
                    break;
                }
            }
            it.tok = last;
            it.lit = last == T_ERROR
                         ? ed_xasprintf("error expected: keyword found '%.*s'", (int)len, s)
                         : ed_xasprintf("%.*s", (int)good, s);
            s += last == T_ERROR ? len : good;
        } else {
            size_t len = 0;
            while (s[len] && !is_symbol(s[len]) && !is_space(s[len]))
                len++;
            it.lit = ed_xasprintf("%.*s", (int)len, s);
            it.tok = strcmp(it.lit, "in") == 0      ? T_IN
                     : strcmp(it.lit, "notin") == 0 ? T_NOTIN
                                                    : T_IDENT;
            s += len;
        }
        if (p->n == cap) {
            cap = cap ? 2 * cap : 8;
            p->items = ed_xrealloc(p->items, cap * sizeof(*p->items));
        }
        p->items[p->n++] = it;
        if (it.tok == T_END)
            return;
    }
}

/* The token at the cursor; where values are expected "in" and "notin" are plain words. */
static enum token peek(const struct parser *p, bool values, const char **lit)
{
    const struct item *it = &p->items[p->pos];
    if (lit)
        *lit = it->lit;
    if (values && (it->tok == T_IN || it->tok == T_NOTIN))
        return T_IDENT;
    return it->tok;
}

static enum token next(struct parser *p, bool values, const char **lit)
{
    enum token t = peek(p, values, lit);
    if (p->pos + 1 < p->n)
        p->pos++;
    return t;
}

/* Kubernetes' label rules and their messages (apimachinery's validation package). */
#define NAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define NAME_MSG                                                                                   \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '" NAME_FMT "')"
#define VALUE_MSG                                                                                  \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "    \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "             \
    "'my_value',  or '12345', regex used for validation is '(" NAME_FMT ")?')"
#define SUBDOMAIN_MSG_REST                                                                         \
    " must consist of lower case alphanumeric characters, '-' or "                                 \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "       \
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

#define SUBDOMAIN_MSG       "a lowercase RFC 1123 subdomain" SUBDOMAIN_MSG_REST
#define KYAML_SUBDOMAIN_MSG "a DNS-1123 subdomain" SUBDOMAIN_MSG_REST

/* Whether s[0..len) matches NAME_FMT. */
static bool name_ok(const char *s, size_t len)
{
    bool ok = len > 0 && is_alnum(s[0]) && is_alnum(s[len - 1]);
    for (size_t i = 0; ok && i < len; i++)
        ok = is_alnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.';
    return ok;
}

/* Whether s[0..len) is a DNS subdomain: dot-separated lower-case alphanumeric labels, '-'
 * inside a label only. */
static bool subdomain_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        bool edge = i == 0 || i + 1 == len || s[i - 1] == '.' || s[i + 1] == '.';
        bool lower_alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
        if (!(lower_alnum || (!edge && s[i] == '-') ||
              (s[i] == '.' && i > 0 && i + 1 < len && s[i - 1] != '.' && s[i + 1] != '.')))
            return false;
    }
    return len > 0;
}

/* Kubernetes' field errors of one requirement, joined as its aggregate error is: one alone,
 * several as "[a, b]". */
struct problems {
    char text[ED_ERR_MSG_MAX];
    int n;
};

static void ED_PRINTF(2, 3) problem_add(struct problems *p, const char *fmt, ...)
{
    char one[ED_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(one, sizeof(one), fmt, ap);
    va_end(ap);
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof(p->text) - used, "%s%s", p->n ? ", " : "", one);
    p->n++;
}

static int problems_report(const struct problems *p, ed_err *err)
{
    if (p->n == 0)
        return 0;
    return p->n == 1 ? ed_err_set(err, ED_EINVALID, "%s", p->text)
                     : ed_err_set(err, ED_EINVALID, "[%s]", p->text);
}

/* Append to why (of cap bytes), "; "-separated, truncated at its end. */
static void ED_PRINTF(3, 4) why_add(char *why, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(why);
    if (used && used + 2 < cap) {
        memcpy(why + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + used, cap - used, fmt, ap);
    va_end(ap);
}

/* s as Go's %q writes it, the way apimachinery's field errors and kyaml's messages quote a
 * key or a value (the caller frees it). */
static char *quoted(const char *s)
{
    ed_buf b = ED_BUF_INIT(ED_ERR_MSG_MAX);
    if (ed_buf_append_go_quoted(&b, s) != 0) {
        ed_buf_reset(&b);
        ed_buf_append_str(&b, "\"...\""); /* longer than any message can hold */
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

/* A label key: a name of at most 63 characters, with an optional DNS subdomain prefix and '/'.
 * The parser's check, whose field path is unset ("<nil>"); kyaml's copy words it as
 * apimachinery once did ("invalid label key ...", "a qualified name", "a DNS-1123 subdomain"). */
static int check_key(const char *key, bool kyaml, ed_err *err)
{
    const char *slash = strchr(key, '/');
    const char *name = slash ? slash + 1 : key;
    char why[ED_ERR_MSG_MAX] = "";
    if (slash && strchr(name, '/')) {
        why_add(why, sizeof(why),
                "%s %s with an optional DNS subdomain prefix and '/' (e.g. "
                "'example.com/MyName')",
                kyaml ? "a qualified name" : "a valid label key", NAME_MSG);
    } else {
        size_t plen = slash ? (size_t)(slash - key) : 0;
        if (slash && plen == 0)
            why_add(why, sizeof(why), "prefix part must be non-empty");
        if (plen > 253)
            why_add(why, sizeof(why), "prefix part must be no more than 253 characters");
        if (plen && !subdomain_ok(key, plen))
            why_add(why, sizeof(why), "prefix part %s",
                    kyaml ? KYAML_SUBDOMAIN_MSG : SUBDOMAIN_MSG);
        size_t nlen = strlen(name);
        if (nlen == 0)
            why_add(why, sizeof(why), "name part must be non-empty");
        else if (nlen > 63)
            why_add(why, sizeof(why), "name part must be no more than 63 characters");
        if (!name_ok(name, nlen))
            why_add(why, sizeof(why), "name part %s", NAME_MSG);
    }
    if (!*why)
        return 0;
    char *q = quoted(key);
    if (kyaml)
        ed_err_set(err, ED_EINVALID, "invalid label key %s: %s", q, why);
    else
        ed_err_set(err, ED_EINVALID, "<nil>: Invalid value: %s: %s", q, why);
    free(q);
    return ED_EINVALID;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool parse_int(const char *s, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return *s && !*end && errno == 0;
}

static void add_value(struct requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return; /* a set, as Kubernetes' */
    r->values = ed_xrealloc(r->values, (r->nvalues + 1) * sizeof(*r->values));
    r->values[r->nvalues++] = ed_xstrdup(v);
}

/* `( values )` after in/notin: words, possibly empty between commas. */
static int parse_set(struct parser *p, struct requirement *r, ed_err *err)
{
    const char *lit;
    if (next(p, true, &lit) != T_OPEN)
        return ed_err_set(err, ED_EINVALID, "found '%s' expected: '('", lit);
    enum token t = peek(p, true, &lit);
    if (t == T_CLOSE) {
        next(p, true, NULL);
        add_value(r, "");
        return 0;
    }
    if (t != T_IDENT && t != T_COMMA)
        return ed_err_set(err, ED_EINVALID, "found '%s', expected: ',', ')' or identifier", lit);
    const char *first = lit;
    for (;;) {
        const char *word;
        t = next(p, true, &word);
        if (t == T_IDENT) {
            add_value(r, word);
            enum token t2 = peek(p, true, &lit);
            if (t2 == T_CLOSE)
                break;
            if (t2 != T_COMMA)
                return ed_err_set(err, ED_EINVALID, "found '%s', expected: ',' or ')'", lit);
        } else if (t == T_COMMA) {
            if (r->nvalues == 0)
                add_value(r, "");
            enum token t2 = peek(p, true, NULL);
            if (t2 == T_CLOSE) {
                add_value(r, "");
                break;
            }
            if (t2 == T_COMMA)
                add_value(r, "");
        } else {
            return ed_err_set(err, ED_EINVALID, "found '%s', expected: ',', or identifier", word);
        }
    }
    if (next(p, true, NULL) != T_CLOSE) /* defensive: the loop stops before a ')' only */
        return ed_err_set(err, ED_EINVALID, "found '%s', expected: ')'", first);
    return 0;
}

static int parse_requirement(struct parser *p, struct requirement *r, ed_err *err)
{
    const char *lit;
    enum token t = next(p, true, &lit);
    bool negated = t == T_NOT;
    if (negated)
        t = next(p, true, &lit);
    if (t != T_IDENT)
        return ed_err_set(err, ED_EINVALID, "found '%s', expected: identifier", lit);
    r->key = ed_xstrdup(lit);
    if (check_key(r->key, p->kyaml, err) != 0)
        return ED_EINVALID;
    t = peek(p, true, NULL);
    if (negated || t == T_END || t == T_COMMA) {
        r->op = negated ? OP_NOT_EXISTS : OP_EXISTS;
        return 0;
    }
    t = next(p, false, &lit);
    switch (t) {
    case T_IN:
    case T_NOTIN:
        r->op = t == T_IN ? OP_IN : OP_NOTIN;
        if (parse_set(p, r, err) != 0)
            return ED_EINVALID;
        break;
    case T_EQ:
    case T_EQEQ:
    case T_NE:
    case T_GT:
    case T_LT: {
        r->op = t == T_NE ? OP_NE : t == T_GT ? OP_GT : t == T_LT ? OP_LT : OP_EQ;
        enum token v = peek(p, true, NULL);
        if (v == T_END || v == T_COMMA) {
            add_value(r, "");
        } else if (next(p, true, &lit) == T_IDENT) {
            add_value(r, lit);
        } else {
            return ed_err_set(err, ED_EINVALID, "found '%s', expected: identifier", lit);
        }
        break;
    }
    default:
        if (p->kyaml) /* sic: the quote of notin is missing there */
            return ed_err_set(err, ED_EINVALID,
                              "found '%s', expected: '=', '!=', '==', 'in', notin'", lit);
        return ed_err_set(err, ED_EINVALID, "found '%s', expected: in, notin, =, ==, !=, gt, lt",
                          lit);
    }
    /* As Kubernetes' requirement: its values sorted, the operator's errors, then each value's;
     * kyaml's older copy stops at the first, worded as apimachinery once did. */
    qsort(r->values, r->nvalues, sizeof(*r->values), compare_strings);
    struct problems pr = {.n = 0};
    long long n;
    for (size_t i = 0; (r->op == OP_GT || r->op == OP_LT) && i < r->nvalues; i++) {
        if (parse_int(r->values[i], &n))
            continue;
        if (p->kyaml)
            return ed_err_set(err, ED_EINVALID,
                              "for 'Gt', 'Lt' operators, the value must be an integer");
        char *q = quoted(r->values[i]);
        problem_add(&pr,
                    "values[%zu]: Invalid value: %s: for 'Gt', 'Lt' operators, the value "
                    "must be an integer",
                    i, q);
        free(q);
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        const char *v = r->values[i];
        size_t len = strlen(v);
        bool bad_chars = len && !name_ok(v, len);
        if (len <= 63 && !bad_chars)
            continue;
        const char *why = len <= 63   ? VALUE_MSG
                          : bad_chars ? "must be no more than 63 characters; " VALUE_MSG
                                      : "must be no more than 63 characters";
        char *qv = quoted(v);
        if (p->kyaml) {
            char *qk = quoted(r->key);
            ed_err_set(err, ED_EINVALID, "invalid label value: %s: at key: %s: %s", qv, qk, why);
            free(qk);
            free(qv);
            return ED_EINVALID;
        }
        problem_add(&pr, "values[%zu][%s]: Invalid value: %s: %s", i, r->key, qv, why);
        free(qv);
    }
    if (problems_report(&pr, err) != 0)
        return ED_EINVALID;
    return 0;
}

static void requirement_clear(struct requirement *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
}

void ed_label_selector_free(ed_label_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++)
        requirement_clear(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

static int parse(const char *text, bool kyaml, ed_label_selector **out, ed_err *err)
{
    *out = NULL;
    struct parser p = {.kyaml = kyaml};
    scan(&p, text ? text : "");
    ed_label_selector *sel = ed_xcalloc(1, sizeof(*sel));
    int rc = 0;
    for (;;) {
        const char *lit;
        enum token t = peek(&p, true, &lit);
        if (t == T_END)
            break;
        if (t != T_IDENT && t != T_NOT) {
            rc = ed_err_set(err, ED_EINVALID,
                            "found '%s', expected: !, identifier, or 'end of string'", lit);
            break;
        }
        sel->reqs = ed_xrealloc(sel->reqs, (sel->n + 1) * sizeof(*sel->reqs));
        struct requirement *r = &sel->reqs[sel->n++];
        memset(r, 0, sizeof(*r));
        if (parse_requirement(&p, r, err) != 0) {
            rc = ed_err_wrap(err, "unable to parse requirement");
            break;
        }
        t = next(&p, true, &lit);
        if (t == T_END)
            break;
        if (t != T_COMMA) {
            rc = ed_err_set(err, ED_EINVALID, "found '%s', expected: ',' or 'end of string'", lit);
            break;
        }
        t = peek(&p, true, &lit);
        if (t != T_IDENT && t != T_NOT) {
            rc = ed_err_set(err, ED_EINVALID, "found '%s', expected: identifier after ','", lit);
            break;
        }
    }
    for (size_t i = 0; i < p.n; i++)
        free(p.items[i].lit);
    free(p.items);
    if (rc) {
        ed_label_selector_free(sel);
        return rc;
    }
    *out = sel;
    return 0;
}

int ed_label_selector_parse(const char *text, ed_label_selector **out, ed_err *err)
{
    return parse(text, false, out, err);
}

int ed_label_selector_parse_kyaml(const char *text, ed_label_selector **out, ed_err *err)
{
    return parse(text, true, out, err);
}

/* A label's value as text. kustomize reads labels through JSON into strings, so a value YAML
 * typed as a number or boolean (`a: 1`, `b: true`, `c: 0x10`) is compared as the text it
 * prints ("1", "true", "16"); NULL for a collection. Owned by text. */
static const char *label_text(const ed_node *value, ed_buf *text)
{
    const char *s = ed_node_str(value);
    if (s || !value)
        return s;
    ed_node_kind kind = ed_node_kind_of(value);
    if (kind != ED_NODE_INT && kind != ED_NODE_BOOL && kind != ED_NODE_FLOAT)
        return NULL;
    if (ed_node_to_yaml(value, text) != 0 || !text->data)
        return NULL;
    while (text->len && text->data[text->len - 1] == '\n')
        text->data[--text->len] = '\0';
    return text->data;
}

static bool requirement_matches(const struct requirement *r, const ed_node *labels)
{
    ed_buf text = ED_BUF_INIT(64);
    const char *v = label_text(ed_node_get(labels, r->key), &text);
    bool has = ed_node_get(labels, r->key) != NULL;
    bool matches = false;
    bool listed = false;
    for (size_t i = 0; v && i < r->nvalues; i++)
        listed = listed || strcmp(r->values[i], v) == 0;
    long long have, want;
    switch (r->op) {
    case OP_IN:
    case OP_EQ:
        matches = has && listed;
        break;
    case OP_NOTIN:
    case OP_NE:
        matches = !has || !listed;
        break;
    case OP_EXISTS:
        matches = has;
        break;
    case OP_NOT_EXISTS:
        matches = !has;
        break;
    case OP_GT:
    case OP_LT:
        matches = v && parse_int(v, &have) && r->nvalues == 1 && parse_int(r->values[0], &want) &&
                  (r->op == OP_GT ? have > want : have < want);
        break;
    }
    ed_buf_free(&text);
    return matches;
}

bool ed_label_selector_matches(const ed_label_selector *sel, const ed_node *labels)
{
    for (size_t i = 0; sel && i < sel->n; i++)
        if (!requirement_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

int ed_label_selector_parse_watch(const char *text, ed_label_selector **out, ed_err *err)
{
    if (ed_label_selector_parse(text, out, err) != 0)
        return ed_err_wrap(err, "couldn't parse the selector string \"%s\"", text ? text : "");
    /* Kubernetes turns the requirements, sorted by key, into a LabelSelector object, which
     * has no operator for these: the first one in that order is refused. */
    const struct requirement *bad = NULL;
    for (size_t i = 0; i < (*out)->n; i++) {
        const struct requirement *r = &(*out)->reqs[i];
        if ((r->op == OP_NE || r->op == OP_GT || r->op == OP_LT) &&
            (!bad || strcmp(r->key, bad->key) < 0))
            bad = r;
    }
    if (!bad)
        return 0;
    if (bad->op == OP_NE)
        ed_err_set(err, ED_EINVALID, "\"!=\" is not a valid label selector operator");
    else
        ed_err_set(err, ED_EINVALID, "\"%s\" isn't supported in label selectors",
                   bad->op == OP_GT ? "gt" : "lt");
    ed_label_selector_free(*out);
    *out = NULL;
    return ED_EINVALID;
}
