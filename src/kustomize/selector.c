/*
 * Kubernetes label selectors in their string form (`app=web,tier!=db,env in (a,b),!legacy`),
 * as kustomize's patch targets use them for labelSelector and annotationSelector: a
 * comma-separated list of requirements that must all hold. A requirement is `key` (exists),
 * `!key` (does not exist), `key=value` or `key==value`, `key!=value` (absent or different),
 * `key in (v1,v2)` and `key notin (v1,v2)` (absent or none of them).
 */
#include "kustomize_int.h"

#include <ctype.h>
#include <string.h>

struct cursor {
    const char *s;
    size_t pos;
};

static void skip_space(struct cursor *c)
{
    while (c->s[c->pos] == ' ' || c->s[c->pos] == '\t')
        c->pos++;
}

/* A key or value: letters, digits and `-_./`; returns its length (0 when none). */
static size_t word(struct cursor *c, const char **start)
{
    skip_space(c);
    *start = c->s + c->pos;
    size_t n = 0;
    while (isalnum((unsigned char)c->s[c->pos]) || strchr("-_./", c->s[c->pos])) {
        if (c->s[c->pos] == '\0')
            break;
        c->pos++;
        n++;
    }
    return n;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return n == strlen(lit) && strncmp(w, lit, n) == 0;
}

/* The value of key (n bytes) in the string map m, or NULL (also when m is no map: labels
 * written as a list match no selector). */
static const char *lookup(const ed_node *m, const char *key, size_t n)
{
    if (ed_node_kind_of(m) != ED_NODE_MAP)
        return NULL;
    for (size_t i = 0; i < ed_node_len(m); i++) {
        const char *k = ed_node_key_at(m, i);
        if (strlen(k) == n && strncmp(k, key, n) == 0) {
            const char *v = ed_node_str(ed_node_value_at(m, i));
            return v ? v : "";
        }
    }
    return NULL;
}

static int bad(const char *sel, size_t pos, const char *what, ed_err *err)
{
    return ed_err_set(err, ED_EINVALID, "bad selector '%s' at position %zu: %s", sel, pos, what);
}

/* `in (a,b)` / `notin (a,b)`: *found is whether have is one of the values. */
static int value_set(struct cursor *c, const char *have, bool *found, ed_err *err)
{
    skip_space(c);
    if (c->s[c->pos] != '(')
        return bad(c->s, c->pos, "expected '('", err);
    c->pos++;
    *found = false;
    for (;;) {
        const char *v;
        size_t n = word(c, &v);
        if (have && strlen(have) == n && strncmp(have, v, n) == 0)
            *found = true;
        skip_space(c);
        if (c->s[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->s[c->pos] == ')') {
            c->pos++;
            return 0;
        }
        return bad(c->s, c->pos, "expected ',' or ')'", err);
    }
}

/* One requirement; *ok is whether labels satisfy it. */
static int requirement(struct cursor *c, const ed_node *labels, bool *ok, ed_err *err)
{
    skip_space(c);
    bool negate = c->s[c->pos] == '!';
    if (negate)
        c->pos++;
    const char *key;
    size_t klen = word(c, &key);
    if (klen == 0)
        return bad(c->s, c->pos, "expected a key", err);
    const char *have = lookup(labels, key, klen);
    skip_space(c);
    char ch = c->s[c->pos];
    if (negate || ch == ',' || ch == '\0') {
        *ok = negate ? !have : have != NULL;
        return 0;
    }
    if (ch == '=' || (ch == '!' && c->s[c->pos + 1] == '=')) {
        bool not_equal = ch == '!';
        c->pos += not_equal ? 2 : (c->s[c->pos + 1] == '=' ? 2 : 1);
        const char *v;
        size_t vlen = word(c, &v);
        bool equal = have && strlen(have) == vlen && strncmp(have, v, vlen) == 0;
        *ok = not_equal ? !equal : equal;
        return 0;
    }
    const char *op;
    size_t oplen = word(c, &op);
    bool found = false;
    if (word_is(op, oplen, "in") || word_is(op, oplen, "notin")) {
        int rc = value_set(c, have, &found, err);
        *ok = word_is(op, oplen, "in") ? found : !found;
        return rc;
    }
    return bad(c->s, c->pos, "expected an operator (=, ==, !=, in, notin)", err);
}

int ks_selector_match(const char *selector, const ed_node *labels, bool *match, ed_err *err)
{
    struct cursor c = {selector, 0};
    *match = true;
    skip_space(&c);
    if (c.s[c.pos] == '\0')
        return 0;
    for (;;) {
        bool ok = false;
        int rc = requirement(&c, labels, &ok, err);
        if (rc)
            return rc;
        if (!ok)
            *match = false;
        skip_space(&c);
        if (c.s[c.pos] == '\0')
            return 0;
        if (c.s[c.pos] != ',')
            return bad(c.s, c.pos, "expected ','", err);
        c.pos++;
    }
}
