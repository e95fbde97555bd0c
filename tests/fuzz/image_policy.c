/*
 * libFuzzer target for what an ImageRepository and an ImagePolicy read from users and
 * registries: image names, OCI URLs, the policy (kind, range, filterTags pattern and extract),
 * exclusion patterns and the registry's tags. The input is lines: an image name, an OCI URL, a
 * policy line ("s RANGE", "a" / "A" for alphabetical asc / desc, "n" / "N" numerical), a filter
 * pattern, an extract, an exclusion pattern, then the tags, one per line. Nothing may crash or
 * leak; a chosen tag is one of the tags, and exclusion leaves no more tags than it was given.
 */
#include "image/image.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_TAGS = 256
};

/* The next line of *p (cut in place), or "" once the text is spent. */
static char *next_line(char **p)
{
    char *s = *p;
    if (!*s)
        return s;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ed_xstrndup((const char *)data, size);
    char *p = text;
    const char *image = next_line(&p), *url = next_line(&p), *policy = next_line(&p);
    const char *filter = next_line(&p), *extract = next_line(&p), *exclude = next_line(&p);
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    ed_image_ref_parse(image, &ref, &err);
    ed_err_clear(&err);
    ed_oci_url_parse(url, &ref, &err);
    ed_err_clear(&err);

    char **tags = ed_xcalloc(MAX_TAGS + 1, sizeof(*tags));
    size_t n = 0;
    while (*p && n < MAX_TAGS)
        tags[n++] = ed_xstrdup(next_line(&p));
    size_t given = n;
    if (*exclude && ed_image_exclude(tags, &n, &exclude, 1, &err) == 0 && n > given)
        abort();
    ed_err_clear(&err);

    ed_policy_spec spec = {.kind = ED_POLICY_SEMVER, .range = "*"};
    switch (policy[0]) {
    case 's':
        spec.range = policy[1] ? policy + 2 : "";
        break;
    case 'a':
    case 'A':
        spec.kind = ED_POLICY_ALPHABETICAL;
        spec.descending = policy[0] == 'A';
        break;
    case 'n':
    case 'N':
        spec.kind = ED_POLICY_NUMERICAL;
        spec.descending = policy[0] == 'N';
        break;
    default:
        break;
    }
    spec.filter = *filter ? filter : NULL;
    spec.extract = *extract ? extract : NULL;
    const char *chosen = NULL;
    if (ed_policy_latest(&spec, (const char *const *)tags, n, &chosen, &err) == 0) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = tags[i] == chosen;
        if (!found) {
            fprintf(stderr, "the chosen tag is not one of the tags\n");
            abort();
        }
    }
    ed_err_clear(&err);
    const char *semver = spec.kind == ED_POLICY_SEMVER ? spec.range : NULL;
    ed_oci_tags_filter(tags, &n, semver, spec.filter, &err);
    ed_err_clear(&err);
    for (size_t i = 0; i < n; i++)
        free(tags[i]);
    free(tags);
    free(text);
    return 0;
}
