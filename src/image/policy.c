/*
 * ImagePolicy's choice of the latest tag: filterTags (a regular expression, with `extract`
 * rewriting a matching tag into the value that is ordered, using $name, ${name}, $1 or ${1}
 * references to capture groups), then semver, alphabetical or numerical ordering.
 *
 * Patterns are Go regular expressions (RE2) in Flux; PCRE2 reads the same syntax, named groups
 * `(?P<name>...)` included. PCRE2 also knows constructs RE2 refuses (backreferences,
 * lookaround); those are refused here too, so a policy that works with eddy works with Flux.
 *
 * Ties are broken as image-reflector-controller breaks them. Its policies read the tags in the
 * order its database keeps them, descending byte order (the scan sorts them so), and:
 *   - filterTags maps each extracted value to the last tag that gave it, so when two tags extract
 *     the same value the one later in that order (the smaller tag) stands for it;
 *   - numerical keeps the later of two equal numbers (its loop replaces on equality);
 *   - semver and alphabetical keep the earlier (only a strictly greater version replaces).
 * Flux hands the extracted values to the policy in a Go map's order, which is random; eddy keeps
 * the tags' order there, so a tie between two different values that Flux decides by chance (1
 * and 1.0 extracted, numerically equal) is decided the same way every time here.
 */
#include "image_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ed_image_re2_incompatible(const char *pattern)
{
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) {
            if (p[1] >= '1' && p[1] <= '9')
                return "backreferences";
            if (p[1] == 'k' || p[1] == 'g')
                return "backreferences";
            p++;
            continue;
        }
        if (p[0] == '(' && p[1] == '?' &&
            (p[2] == '=' || p[2] == '!' || (p[2] == '<' && (p[3] == '=' || p[3] == '!'))))
            return "lookaround";
    }
    return NULL;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Expand extract's references for one match into out, as Go's Regexp.Expand does: `$$` is a
 * literal `$`; `$name` takes the longest run of letters, digits and '_', `${name}` what the
 * braces hold; a name of digits without a leading zero is a group number, any other a group
 * name; a reference that is malformed (`$` before anything else, `${` without its `}`, `${}`)
 * leaves its `$` as text; an unknown or unmatched group expands to nothing.
 */
static void expand(const char *extract, pcre2_code *re, pcre2_match_data *md, const char *subject,
                   ed_buf *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t ngroups = pcre2_get_ovector_count(md);
    for (const char *p = extract; *p;) {
        if (*p != '$') {
            ed_buf_append(out, p, 1);
            p++;
            continue;
        }
        p++;
        if (*p == '$') {
            ed_buf_append(out, "$", 1);
            p++;
            continue;
        }
        bool brace = *p == '{';
        const char *name = p + brace;
        size_t n = 0;
        while (name_char(name[n]))
            n++;
        if (n == 0 || (brace && name[n] != '}')) {
            ed_buf_append(out, "$", 1); /* malformed: the '$' is text, the rest is read on */
            continue;
        }
        p = name + n + brace;
        long group = -1;
        if (!(name[0] == '0' && n > 1)) {
            group = 0;
            for (size_t i = 0; i < n && group >= 0; i++)
                group = name[i] >= '0' && name[i] <= '9' && group < 100000000
                            ? group * 10 + (name[i] - '0')
                            : -1;
        }
        if (group < 0) {
            char *nm = ed_xstrndup(name, n);
            group = pcre2_substring_number_from_name(re, (PCRE2_SPTR)nm);
            free(nm);
        }
        if (group >= 0 && (uint32_t)group < ngroups && ov[2 * group] != PCRE2_UNSET)
            ed_buf_append(out, subject + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
}

struct candidate {
    const char *tag; /* the original tag (the result) */
    char *value;     /* what is ordered */
    size_t pos;      /* where the tag is in the database's order */
};

static int cmp_tags_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

static int cmp_value_pos(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    int c = strcmp(x->value, y->value);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_pos(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * One candidate a value, as Flux's filter keeps them (a map from the value to its tag, written
 * in the tags' order): the tag is the last one that gave the value, the candidate stands where
 * the value first appeared.
 */
static void dedupe_values(struct candidate *c, size_t *n)
{
    if (*n < 2)
        return;
    qsort(c, *n, sizeof(*c), cmp_value_pos);
    size_t out = 0;
    for (size_t i = 0; i < *n;) {
        size_t j = i + 1;
        while (j < *n && strcmp(c[j].value, c[i].value) == 0)
            j++;
        c[i].tag = c[j - 1].tag; /* the last tag wins */
        for (size_t k = i + 1; k < j; k++)
            free(c[k].value);
        c[out++] = c[i];
        i = j;
    }
    *n = out;
    qsort(c, *n, sizeof(*c), cmp_pos);
}

static void free_candidates(struct candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].value);
    free(c);
}

/* Apply filterTags to tags. */
static int filter(const ed_policy_spec *spec, const char *const *tags, size_t n,
                  struct candidate **out, size_t *count, ed_err *err)
{
    *out = ed_xcalloc(n ? n : 1, sizeof(**out));
    *count = 0;
    if (!spec->filter || !*spec->filter) {
        for (size_t i = 0; i < n; i++)
            (*out)[(*count)++] = (struct candidate){tags[i], ed_xstrdup(tags[i]), i};
        return 0;
    }
    const char *why = ed_image_re2_incompatible(spec->filter);
    if (why)
        return ed_err_set(err, ED_EINVALID,
                          "invalid regular expression pattern '%s': %s are "
                          "not supported",
                          spec->filter, why);
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)spec->filter, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                                   &ecode, &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ecode, msg, sizeof(msg));
        return ed_err_set(err, ED_EINVALID,
                          "invalid regular expression pattern '%s': %s at offset %zu", spec->filter,
                          (const char *)msg, (size_t)eoff);
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    for (size_t i = 0; i < n; i++) {
        if (pcre2_match(re, (PCRE2_SPTR)tags[i], strlen(tags[i]), 0, 0, md, NULL) < 0)
            continue;
        ed_buf v = ED_BUF_INIT(4096);
        if (spec->extract && *spec->extract)
            expand(spec->extract, re, md, tags[i], &v);
        else
            ed_buf_append_str(&v, tags[i]);
        (*out)[(*count)++] = (struct candidate){tags[i], ed_buf_take(&v), i};
        ed_buf_free(&v);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    dedupe_values(*out, count);
    return 0;
}

static char lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

static bool is_digit(char c, bool hex)
{
    return (c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f');
}

/* Go's rule for '_' in a number: only between two digits (a base prefix counts as one). */
static bool underscores_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    bool hex = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        s++;
        n--;
    }
    if (n >= 2 && s[0] == '0' && (lower(s[1]) == 'x' || lower(s[1]) == 'o' || lower(s[1]) == 'b')) {
        i = 2;
        saw = '0';
        hex = lower(s[1]) == 'x';
    }
    for (; i < n; i++) {
        if (is_digit(s[i], hex)) {
            saw = '0';
        } else if (s[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
        } else {
            if (saw == '_')
                return false;
            saw = '!';
        }
    }
    return saw != '_';
}

/*
 * A number as Go's strconv.ParseFloat reads it (Flux's numerical policy): decimal or hexadecimal
 * (0x mantissa with a p exponent) with '_' between digits, NaN, and Inf or Infinity with a
 * sign, in any case; nothing before or after. An overflow to infinity is an error, as in Go.
 */
static bool go_parse_float(const char *s, double *out)
{
    size_t n = strlen(s), i = 0;
    size_t sign = n && (s[0] == '+' || s[0] == '-');
    const char *w = s + sign;
    size_t wn = n - sign;
    if (wn == 3 || wn == 8) {
        const char *inf = "infinity";
        bool is_inf = true, is_nan = wn == 3 && !sign;
        for (size_t k = 0; k < wn; k++) {
            is_inf = is_inf && lower(w[k]) == inf[k];
            is_nan = is_nan && lower(w[k]) == "nan"[k];
        }
        if (is_inf || is_nan) {
            *out = is_nan ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
            return true;
        }
    }
    i = sign;
    bool hex = i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x';
    if (hex)
        i += 2;
    bool digits = false, dot = false, underscores = false;
    for (; i < n; i++) {
        if (s[i] == '_')
            underscores = true;
        else if (s[i] == '.' && !dot)
            dot = true;
        else if (is_digit(s[i], hex))
            digits = true;
        else
            break;
    }
    if (!digits)
        return false;
    if (i < n && lower(s[i]) == (hex ? 'p' : 'e')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
            underscores = underscores || s[i] == '_';
    } else if (hex) {
        return false; /* Go: a hexadecimal mantissa needs an exponent */
    }
    if (i != n || (underscores && !underscores_ok(s, n)))
        return false;
    /* strtod reads the same numbers once the separators are gone. */
    char *clean = ed_xmalloc(n + 1), *end;
    size_t k = 0;
    for (i = 0; i < n; i++)
        if (s[i] != '_')
            clean[k++] = s[i];
    clean[k] = '\0';
    errno = 0;
    double d = strtod(clean, &end);
    bool ok = *end == '\0' && !(errno == ERANGE && isinf(d));
    free(clean);
    *out = d;
    return ok;
}

/* A range that does not parse, in the words of Flux's semver library: "improper constraint:
 * \"<alternative>\"", quoting the first ||-alternative that does not parse alone (the whole
 * range when it has one). err keeps its code. */
static void improper_constraint(const char *range, ed_err *err)
{
    if (!err)
        return;
    const char *alt = range;
    for (;;) {
        const char *bar = strstr(alt, "||");
        size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
        char *one = ed_xstrndup(alt, len);
        ed_semver_range *r = NULL;
        ed_err e = ED_ERR_INIT;
        int bad = ed_semver_range_parse(one, &r, &e);
        ed_semver_range_free(r);
        if (bad || !bar) {
            ed_err_set(err, err->code, "improper constraint: \"%s\"", one);
            free(one);
            return;
        }
        free(one);
        alt = bar + 2;
    }
}

int ed_policy_latest(const ed_policy_spec *spec, const char *const *tags, size_t n,
                     const char **out, ed_err *err)
{
    *out = NULL;
    struct candidate *c = NULL;
    size_t nc = 0;
    /* The database's order, on which Flux's ties depend (see the top of the file). */
    const char **sorted = ed_xcalloc(n ? n : 1, sizeof(*sorted));
    if (n)
        memcpy(sorted, tags, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_tags_desc);
    ed_semver_range *range = NULL;
    int rc = 0;
    /* The policy is checked before the filter, as Flux builds its policer first. */
    if (spec->kind == ED_POLICY_SEMVER &&
        (rc = ed_semver_range_parse(spec->range ? spec->range : "", &range, err)) != 0) {
        improper_constraint(spec->range ? spec->range : "", err);
        goto out;
    }
    rc = filter(spec, sorted, n, &c, &nc, err);
    if (rc)
        goto out;
    /* Flux's policies say so when nothing is left to choose from. */
    if (nc == 0) {
        rc = ed_err_set(err, ED_ENOTFOUND, "version list argument cannot be empty");
        goto out;
    }
    const char *best = NULL;
    if (spec->kind == ED_POLICY_SEMVER) {
        ed_semver best_v;
        for (size_t i = 0; i < nc; i++) {
            ed_semver v;
            if (ed_semver_parse_tag(c[i].value, &v) != 0 || !ed_semver_range_match(range, &v))
                continue;
            if (!best || ed_semver_compare(&v, &best_v) > 0) {
                best = c[i].tag;
                best_v = v;
            }
        }
    } else if (spec->kind == ED_POLICY_ALPHABETICAL) {
        const char *best_v = NULL;
        for (size_t i = 0; i < nc; i++) {
            int cmp = best_v ? strcmp(c[i].value, best_v) : 0;
            if (!best_v || (spec->descending ? cmp < 0 : cmp > 0)) {
                best = c[i].tag;
                best_v = c[i].value;
            }
        }
    } else {
        double best_v = 0;
        for (size_t i = 0; i < nc; i++) {
            double d;
            if (!go_parse_float(c[i].value, &d)) {
                /* Not the spec's fault: a later tag may be a number again, so it is retried. */
                rc = ed_err_set(err, ED_ERROR, "failed to parse invalid numeric value '%s'",
                                c[i].value);
                goto out;
            }
            /* Written as Flux's loop is, so that an equal number (and NaN) replaces. */
            if (best && (spec->descending ? d > best_v : d < best_v))
                continue;
            best = c[i].tag;
            best_v = d;
        }
    }
    if (!best) {
        rc = ed_err_set(err, ED_ENOTFOUND, "unable to determine latest version from provided list");
        goto out;
    }
    *out = best;
out:
    ed_semver_range_free(range);
    free_candidates(c, nc);
    free(sorted);
    return rc;
}
