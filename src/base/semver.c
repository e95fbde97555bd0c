/*
 * Semantic versions and ranges as Flux reads them for ImagePolicy ranges and GitRepository
 * ref.semver (the Masterminds semver v3 library): lenient versions in ranges ("v1.2" is 1.2.0),
 * strict ones for the tags a range chooses from (fluxcd/pkg's ParseVersion), semver 2.0
 * precedence, and constraints made of comparisons, tilde, caret, wildcards and hyphen ranges,
 * joined by "," or spaces (and) and
 * "||" (or). Every term is turned into a pair of bounds; a pre-release version matches a term
 * only when the term's own version carries a pre-release, as Masterminds does.
 */
#include "base.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse up to three dot-separated numbers; missing ones become wildcards when allowed. Returns
 * the count of numbers given (1-3), or 0 on error; *wild is set when a part was x, X or *. */
static int parse_numbers(const char **p, uint64_t nums[3], bool allow_wild, bool *wild)
{
    int count = 0;
    *wild = false;
    for (;;) {
        if (allow_wild && (**p == 'x' || **p == 'X' || **p == '*')) {
            *wild = true;
            (*p)++;
        } else if (isdigit((unsigned char)**p)) {
            if (*wild)
                return 0; /* 1.x.3 */
            errno = 0;
            char *end;
            nums[count] = strtoull(*p, &end, 10);
            if (errno)
                return 0;
            *p = end;
        } else {
            return 0;
        }
        count++;
        if (count == 3 || **p != '.')
            break;
        (*p)++;
    }
    return count;
}

/* The pre-release and build parts after the numbers. */
static bool parse_suffix(const char *p, ed_semver *v)
{
    v->pre[0] = v->build[0] = '\0';
    if (*p == '-') {
        size_t n = strcspn(p + 1, "+");
        if (n == 0 || n >= sizeof(v->pre))
            return false;
        memcpy(v->pre, p + 1, n);
        v->pre[n] = '\0';
        p += 1 + n;
    }
    if (*p == '+') {
        size_t n = strlen(p + 1);
        if (n == 0 || n >= sizeof(v->build))
            return false;
        memcpy(v->build, p + 1, n + 1);
        p += 1 + n;
    }
    if (*p)
        return false;
    /* Identifiers: [0-9A-Za-z-], non-empty, dot-separated. */
    for (const char *s = v->pre; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return false;
    for (const char *s = v->build; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return false;
    return !strstr(v->pre, "..") && v->pre[0] != '.';
}

int ed_semver_parse(const char *s, ed_semver *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = s;
    if (*p == 'v' || *p == 'V')
        p++;
    uint64_t nums[3] = {0, 0, 0};
    bool wild;
    if (!parse_numbers(&p, nums, false, &wild))
        return ED_EINVALID;
    out->major = nums[0];
    out->minor = nums[1];
    out->patch = nums[2];
    return parse_suffix(p, out) ? 0 : ED_EINVALID;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* A number of a strict version: digits without a leading zero ("0" itself is one). */
static bool strict_number(const char *s, size_t n)
{
    return all_digits(s, n) && (n == 1 || s[0] != '0');
}

/* Every dot-separated identifier of ids is non-empty, and (numeric_strict) a numeric one has
 * no leading zero. */
static bool strict_identifiers(const char *ids, bool numeric_strict)
{
    if (!*ids)
        return true;
    for (;;) {
        size_t n = strcspn(ids, ".");
        if (n == 0 || (numeric_strict && all_digits(ids, n) && !strict_number(ids, n)))
            return false;
        if (!ids[n])
            return true;
        ids += n + 1;
    }
}

int ed_semver_parse_tag(const char *s, ed_semver *out)
{
    const char *p = s[0] == 'v' ? s + 1 : s;
    for (int i = 0; i < 3; i++) {
        size_t n = strspn(p, "0123456789");
        if (!strict_number(p, n))
            return ED_EINVALID;
        p += n;
        if (i < 2 && *p++ != '.')
            return ED_EINVALID;
    }
    if (ed_semver_parse(s, out) != 0 || !strict_identifiers(out->pre, true) ||
        !strict_identifiers(out->build, false))
        return ED_EINVALID;
    return 0;
}

/* Compare pre-release strings by semver 2.0 rule 11 (no pre-release ranks higher). */
static int compare_pre(const char *a, const char *b)
{
    if (!*a || !*b)
        return !*a && !*b ? 0 : (!*a ? 1 : -1);
    while (*a || *b) {
        if (!*a)
            return -1;
        if (!*b)
            return 1;
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        bool na = all_digits(a, la), nb = all_digits(b, lb);
        int c;
        if (na && nb) {
            c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
        } else if (na != nb) {
            c = na ? -1 : 1; /* numeric identifiers rank lower */
        } else {
            size_t m = la < lb ? la : lb;
            c = strncmp(a, b, m);
            if (c == 0 && la != lb)
                c = la < lb ? -1 : 1;
        }
        if (c)
            return c < 0 ? -1 : 1;
        a += la + (a[la] == '.');
        b += lb + (b[lb] == '.');
    }
    return 0;
}

int ed_semver_compare(const ed_semver *a, const ed_semver *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return compare_pre(a->pre, b->pre);
}

/* One term as bounds: lo (inclusive or not) and hi (inclusive or not), each optional; plus an
 * exclusion for "!=". */
struct term {
    bool has_lo, lo_incl, has_hi, hi_incl, is_not;
    ed_semver lo, hi, not_v;
    bool allows_pre; /* the term's version had a pre-release */
};

struct ed_semver_range {
    struct term *terms; /* conjunctions separated by or-markers */
    size_t n;
    size_t *group_end; /* end index (exclusive) of each "||" alternative */
    size_t ngroups;
};

static void push_term(ed_semver_range *r, struct term t)
{
    r->terms = ed_xrealloc(r->terms, (r->n + 1) * sizeof(*r->terms));
    r->terms[r->n++] = t;
}

static ed_semver ver(uint64_t ma, uint64_t mi, uint64_t pa)
{
    ed_semver v = {ma, mi, pa, "", ""};
    return v;
}

/* Parse one version operand of a term ("1.2", "1.2.x", "1.2.3-rc.1"). count = numbers given. */
static bool parse_operand(const char *s, ed_semver *v, int *count, bool *wild)
{
    const char *p = s;
    if (*p == 'v' || *p == 'V')
        p++;
    uint64_t nums[3] = {0, 0, 0};
    *count = parse_numbers(&p, nums, true, wild);
    if (!*count)
        return false;
    *v = ver(nums[0], nums[1], nums[2]);
    if (*wild && *p)
        return false;
    return parse_suffix(p, v);
}

/* The version right after the wildcard part: 1.2.x -> 1.3.0, 1.x -> 2.0.0. */
static ed_semver bump(const ed_semver *v, int count)
{
    if (count <= 1)
        return ver(v->major + 1, 0, 0);
    if (count == 2)
        return ver(v->major, v->minor + 1, 0);
    return ver(v->major, v->minor, v->patch + 1);
}

static int parse_term(ed_semver_range *r, const char *tok, ed_err *err)
{
    const char *p = tok;
    char op[3] = "";
    size_t ol = strspn(p, "<>=!~^");
    if (ol > 2)
        return ed_err_set(err, ED_EINVALID, "improper constraint: %s", tok);
    memcpy(op, p, ol);
    op[ol] = '\0';
    p += ol;
    ed_semver v;
    int count;
    bool wild;
    if (strcmp(p, "*") == 0 || strcmp(p, "x") == 0 || strcmp(p, "X") == 0) {
        if (ol && strcmp(op, "=") != 0 && strcmp(op, ">=") != 0)
            return ed_err_set(err, ED_EINVALID, "improper constraint: %s", tok);
        push_term(r, (struct term){0}); /* anything (but pre-releases) */
        return 0;
    }
    if (!parse_operand(p, &v, &count, &wild))
        return ed_err_set(err, ED_EINVALID, "improper constraint: %s", tok);
    int given = wild ? count - 1 : count; /* numbers before the wildcard */
    if (given < 1)
        given = 1;
    struct term t = {.allows_pre = v.pre[0] != '\0'};
    ed_semver next = bump(&v, given);
    bool partial = wild || count < 3;
    if (strcmp(op, "") == 0 || strcmp(op, "=") == 0) {
        t.has_lo = t.lo_incl = true;
        t.lo = v;
        t.has_hi = true;
        if (partial) {
            t.hi = next;
        } else {
            t.hi = v;
            t.hi_incl = true;
        }
    } else if (strcmp(op, "!=") == 0) {
        if (partial) { /* != 1.2: outside [1.2.0, 1.3.0) is not expressible as one pair */
            return ed_err_set(err, ED_EINVALID, "improper constraint: %s", tok);
        }
        t.is_not = true;
        t.not_v = v;
    } else if (strcmp(op, ">") == 0) {
        t.has_lo = true;
        t.lo = partial ? next : v;
        t.lo_incl = partial;
    } else if (strcmp(op, ">=") == 0 || strcmp(op, "=>") == 0) {
        t.has_lo = t.lo_incl = true;
        t.lo = v;
    } else if (strcmp(op, "<") == 0) {
        t.has_hi = true;
        t.hi = v;
    } else if (strcmp(op, "<=") == 0 || strcmp(op, "=<") == 0) {
        t.has_hi = true;
        if (partial) {
            t.hi = next;
        } else {
            t.hi = v;
            t.hi_incl = true;
        }
    } else if (strcmp(op, "~") == 0 || strcmp(op, "~>") == 0) {
        t.has_lo = t.lo_incl = t.has_hi = true;
        t.lo = v;
        t.hi = given >= 2 ? ver(v.major, v.minor + 1, 0) : ver(v.major + 1, 0, 0);
    } else if (strcmp(op, "^") == 0) {
        t.has_lo = t.lo_incl = t.has_hi = true;
        t.lo = v;
        if (v.major > 0 || given == 1)
            t.hi = ver(v.major + 1, 0, 0);
        else if (v.minor > 0 || given == 2)
            t.hi = ver(0, v.minor + 1, 0);
        else
            t.hi = ver(0, 0, v.patch + 1);
    } else {
        return ed_err_set(err, ED_EINVALID, "improper constraint: %s", tok);
    }
    push_term(r, t);
    return 0;
}

int ed_semver_range_parse(const char *s, ed_semver_range **out, ed_err *err)
{
    *out = NULL;
    ed_semver_range *r = ed_xcalloc(1, sizeof(*r));
    char *copy = ed_xstrdup(s);
    int rc = 0;
    /* Split on "||" into alternatives, each a list of terms. */
    char *alt = copy;
    for (;;) {
        char *bar = strstr(alt, "||");
        if (bar)
            *bar = '\0';
        /* Normalise: "a - b" is a hyphen range; ", " and spaces separate terms; an operator may
         * be followed by spaces (">= 1.2"). */
        char *tokens[64];
        size_t nt = 0;
        for (char *q = alt; *q;) {
            while (*q == ' ' || *q == ',' || *q == '\t')
                q++;
            if (!*q)
                break;
            char *start = q;
            size_t ops = strspn(q, "<>=!~^");
            q += ops;
            while (ops && *q == ' ')
                memmove(q, q + 1, strlen(q)); /* glue the operator to its version */
            while (*q && *q != ' ' && *q != ',' && *q != '\t')
                q++;
            if (*q)
                *q++ = '\0';
            if (nt == sizeof(tokens) / sizeof(tokens[0])) {
                rc = ed_err_set(err, ED_EINVALID, "constraint \"%s\" has too many terms", s);
                goto out;
            }
            tokens[nt++] = start;
        }
        if (nt == 0) {
            rc = ed_err_set(err, ED_EINVALID, "empty constraint in \"%s\"", s);
            goto out;
        }
        for (size_t i = 0; i < nt; i++) {
            if (i + 2 < nt && strcmp(tokens[i + 1], "-") == 0) {
                /* Hyphen range: >= the first, <= the second (partial: below its bump). */
                char lo[160], hi[160];
                snprintf(lo, sizeof(lo), ">=%s", tokens[i]);
                snprintf(hi, sizeof(hi), "<=%s", tokens[i + 2]);
                if ((rc = parse_term(r, lo, err)) || (rc = parse_term(r, hi, err)))
                    goto out;
                i += 2;
                continue;
            }
            if ((rc = parse_term(r, tokens[i], err)) != 0)
                goto out;
        }
        r->group_end = ed_xrealloc(r->group_end, (r->ngroups + 1) * sizeof(*r->group_end));
        r->group_end[r->ngroups++] = r->n;
        if (!bar)
            break;
        alt = bar + 2;
    }
out:
    free(copy);
    if (rc) {
        ed_err_wrap(err, "invalid semver range \"%s\"", s);
        ed_semver_range_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static bool term_match(const struct term *t, const ed_semver *v)
{
    /* A pre-release only matches a term that names a pre-release of the same version. */
    if (v->pre[0] && !t->allows_pre)
        return false;
    if (t->is_not)
        return ed_semver_compare(v, &t->not_v) != 0;
    if (t->has_lo) {
        int c = ed_semver_compare(v, &t->lo);
        if (c < 0 || (c == 0 && !t->lo_incl))
            return false;
    }
    if (t->has_hi) {
        int c = ed_semver_compare(v, &t->hi);
        if (c > 0 || (c == 0 && !t->hi_incl))
            return false;
    }
    return true;
}

bool ed_semver_range_match(const ed_semver_range *r, const ed_semver *v)
{
    size_t start = 0;
    for (size_t g = 0; g < r->ngroups; g++) {
        bool all = true;
        for (size_t i = start; i < r->group_end[g] && all; i++)
            all = term_match(&r->terms[i], v);
        if (all)
            return true;
        start = r->group_end[g];
    }
    return false;
}

void ed_semver_range_free(ed_semver_range *r)
{
    if (!r)
        return;
    free(r->terms);
    free(r->group_end);
    free(r);
}
