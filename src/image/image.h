/*
 * image: image update automation's pure parts. Built: tag policies as Flux's ImagePolicy
 * evaluates them (policy.c): semver ranges (base/semver.c, shared with Git sources), alphabetical
 * and numerical ordering, and filterTags (a regular expression with named groups, and `extract`
 * to order by part of a tag).
 *
 * Built too: the registry client (registry.c): an image reference's canonical name and the
 * tag listing of the OCI distribution API with Link pagination and Basic or Bearer-token auth.
 *
 * Not built yet (issue #8): the ImageRepository scan controller and in-place setter edits.
 */
#ifndef ED_IMAGE_H
#define ED_IMAGE_H

#include "../base/base.h"

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

/* ---- registries ---- */

/* Where an image lives: "nginx" is docker.io's library/nginx, served by registry-1.docker.io. */
typedef struct ed_image_ref {
    char registry[256];   /* host[:port] to connect to ("registry-1.docker.io") */
    char repository[512]; /* "library/nginx", "stefanprodan/podinfo" */
    char canonical[800];  /* as Flux reports canonicalImageName: "index.docker.io/library/nginx" */
} ed_image_ref;

/* Parse an image name (without tag or digest). ED_EINVALID for a malformed one. */
int ed_image_ref_parse(const char *image, ed_image_ref *out, ed_err *err);

typedef struct ed_registry_opts {
    const char *username; /* credentials (from a dockerconfigjson Secret), or NULL */
    const char *password;
    const char *ca_pem; /* extra CA for the registry's TLS, or NULL */
    bool insecure;      /* plain HTTP (ImageRepository spec.insecure) */
    int page_size;      /* tags per page; 0 for 1000 */
    int64_t timeout_ms; /* per request; 0 for 60 s */
} ed_registry_opts;

/*
 * List every tag of ref's repository (following Link pagination), answering the registry's
 * auth challenge: Basic with the credentials, or Bearer (a token from the challenge's realm,
 * for service and scope, fetched with the credentials when given). On success *tags is a new
 * NULL-terminated array of *n strings (free with ed_registry_tags_free). Errors: ED_EAUTH
 * (credentials refused), ED_ENOTFOUND (no such repository), ED_ERETRY (429, 5xx, network),
 * ED_ETOOBIG (more than 100,000 tags or an oversized page).
 */
int ed_registry_tags(const ed_image_ref *ref, const ed_registry_opts *opts, char ***tags, size_t *n,
                     ed_err *err);
void ed_registry_tags_free(char **tags);

#endif
