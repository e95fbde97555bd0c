/*
 * libFuzzer target for semver versions and ranges (ImagePolicy ranges and registry tags come
 * from users and registries): the input is split at the first newline into a range and a
 * version; neither parse may crash or leak, and a version that parses compares equal to itself.
 */
#include "image/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ed_xstrndup((const char *)data, size);
    char *nl = strchr(text, '\n');
    const char *version = "";
    if (nl) {
        *nl = '\0';
        version = nl + 1;
    }
    ed_semver v;
    bool have_v = ed_semver_parse(version, &v) == 0;
    if (have_v && ed_semver_compare(&v, &v) != 0)
        abort();
    ed_semver_range *r = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_semver_range_parse(text, &r, &err) == 0) {
        if (have_v)
            (void)ed_semver_range_match(r, &v);
        ed_semver_range_free(r);
    } else if (r || err.code == 0) {
        abort();
    }
    free(text);
    return 0;
}
