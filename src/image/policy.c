/*
 * ImagePolicy's choice of the latest tag: filterTags (a regular expression, with `extract`
 * rewriting a matching tag into the value that is ordered, using $name, ${name}, $1 or ${1}
 * references to capture groups), then semver, alphabetical or numerical ordering.
 *
 * Patterns are Go regular expressions (RE2) in Flux; PCRE2 reads the same syntax, named groups
 * `(?P<name>...)` included. PCRE2 also knows constructs RE2 refuses (backreferences,
 * lookaround); those are refused here too, so a policy that works with eddy works with Flux.
 */
#include "image.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Constructs RE2 does not support: backreferences and lookaround. */
static const char *re2_incompatible(const char *pattern)
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

/* Expand extract's references for one match into out. */
static int expand(const char *extract, pcre2_code *re, pcre2_match_data *md, const char *subject,
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
        char name[64];
        size_t n = 0;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || (size_t)(close - p - 1) >= sizeof(name))
                return ED_EINVALID;
            n = (size_t)(close - p - 1);
            memcpy(name, p + 1, n);
            p = close + 1;
        } else {
            while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
                   (p[n] >= '0' && p[n] <= '9') || p[n] == '_') {
                if (n + 1 >= sizeof(name))
                    return ED_EINVALID;
                name[n] = p[n];
                n++;
            }
            p += n;
        }
        name[n] = '\0';
        if (n == 0) {
            ed_buf_append(out, "$", 1);
            continue;
        }
        int group;
        char *end;
        long num = strtol(name, &end, 10);
        if (*end == '\0')
            group = (int)num;
        else
            group = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
        /* As Go's Regexp.Expand: an unknown or unmatched group expands to nothing. */
        if (group >= 0 && (uint32_t)group < ngroups && ov[2 * group] != PCRE2_UNSET)
            ed_buf_append(out, subject + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
    return 0;
}

struct candidate {
    const char *tag; /* the original tag (the result) */
    char *value;     /* what is ordered */
};

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
            (*out)[(*count)++] = (struct candidate){tags[i], ed_xstrdup(tags[i])};
        return 0;
    }
    const char *why = re2_incompatible(spec->filter);
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
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (pcre2_match(re, (PCRE2_SPTR)tags[i], strlen(tags[i]), 0, 0, md, NULL) < 0)
            continue;
        ed_buf v = ED_BUF_INIT(4096);
        if (spec->extract && *spec->extract) {
            if (expand(spec->extract, re, md, tags[i], &v) != 0)
                rc = ed_err_set(err, ED_EINVALID, "invalid extract template '%s'", spec->extract);
        } else {
            ed_buf_append_str(&v, tags[i]);
        }
        (*out)[(*count)++] = (struct candidate){tags[i], ed_buf_take(&v)};
        ed_buf_free(&v);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}

int ed_policy_latest(const ed_policy_spec *spec, const char *const *tags, size_t n,
                     const char **out, ed_err *err)
{
    *out = NULL;
    struct candidate *c = NULL;
    size_t nc = 0;
    int rc = filter(spec, tags, n, &c, &nc, err);
    ed_semver_range *range = NULL;
    if (rc)
        goto out;
    const char *best = NULL;
    if (spec->kind == ED_POLICY_SEMVER) {
        rc = ed_semver_range_parse(spec->range ? spec->range : "", &range, err);
        if (rc)
            goto out;
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
            char *end;
            double d = strtod(c[i].value, &end);
            if (!*c[i].value || *end || isnan(d)) {
                rc = ed_err_set(err, ED_EINVALID, "failed to parse invalid numeric value '%s'",
                                c[i].value);
                goto out;
            }
            if (!best || (spec->descending ? d < best_v : d > best_v)) {
                best = c[i].tag;
                best_v = d;
            }
        }
    }
    if (!best) {
        rc = ed_err_set(err, ED_ENOTFOUND, "no image found for policy");
        goto out;
    }
    *out = best;
out:
    ed_semver_range_free(range);
    free_candidates(c, nc);
    return rc;
}
