/*
 * image: image update automation's pure parts. Built: tag policies as Flux's ImagePolicy
 * evaluates them (policy.c, semver.c): semver ranges with the constraint syntax Flux uses
 * (Masterminds semver v3), alphabetical and numerical ordering, and filterTags (a regular
 * expression with named groups, and `extract` to order by part of a tag).
 *
 * Not built yet (issue #8): the OCI registry client, the ImageRepository scan, and in-place
 * setter edits.
 */
#ifndef ED_IMAGE_H
#define ED_IMAGE_H

#include "../base/base.h"

/* ---- semantic versions ---- */

/* A parsed version. Versions are read leniently, as Flux does: an optional "v", one to three
 * numbers ("1.2" is 1.2.0), an optional pre-release ("-rc.1") and build ("+sha.5"). */
typedef struct ed_semver {
    uint64_t major, minor, patch;
    char pre[128];   /* "" when none */
    char build[128]; /* ignored in comparisons */
} ed_semver;

/* Parse s. Returns 0, or ED_EINVALID when s is not a version. */
int ed_semver_parse(const char *s, ed_semver *out);
/* <0, 0, >0 as a orders before, with or after b (semver 2.0 precedence). */
int ed_semver_compare(const ed_semver *a, const ed_semver *b);

typedef struct ed_semver_range ed_semver_range;

/*
 * Parse a constraint: comparisons (= != > < >= <=), tilde (~1.2), caret (^1.2), wildcards
 * (1.2.x, *), hyphen ranges (1.2 - 1.4.5), terms joined by spaces or commas (and) and by "||"
 * (or). As in Masterminds semver, a pre-release version only matches a term whose own version
 * has a pre-release. Errors: ED_EINVALID naming the bad part.
 */
int ed_semver_range_parse(const char *s, ed_semver_range **out, ed_err *err);
bool ed_semver_range_match(const ed_semver_range *r, const ed_semver *v);
void ed_semver_range_free(ed_semver_range *r);

/* ---- ImagePolicy ---- */

typedef enum {
    ED_POLICY_SEMVER,
    ED_POLICY_ALPHABETICAL,
    ED_POLICY_NUMERICAL,
} ed_policy_kind;

typedef struct ed_policy_spec {
    ed_policy_kind kind;
    const char *range;   /* semver: the constraint */
    bool descending;     /* alphabetical/numerical: order "desc" (default "asc") */
    const char *filter;  /* filterTags.pattern, or NULL */
    const char *extract; /* filterTags.extract ("$ts", "${1}"), or NULL for the whole tag */
} ed_policy_spec;

/*
 * Choose the latest tag of tags by spec, as ImagePolicy does: filter (tags the pattern does
 * not match are dropped; extract gives the value that is ordered), then the highest version in
 * range (semver; tags that are not versions are ignored), the last in alphabetical order, or
 * the largest number (asc; desc picks the first / smallest). *out is the chosen tag (borrowed
 * from tags). Errors: ED_ENOTFOUND when no tag qualifies ("no image found for policy"),
 * ED_EINVALID for a bad pattern or range, or a numerical value that is not a number.
 */
int ed_policy_latest(const ed_policy_spec *spec, const char *const *tags, size_t n,
                     const char **out, ed_err *err);

#endif
