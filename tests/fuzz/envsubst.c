/*
 * libFuzzer target for Flux's postBuild substitution (the text comes from Git): the input is
 * substituted with a few variables set, strict and not; neither may crash or leak, a success
 * leaves no error, a failure sets one, and a text without `$` comes out unchanged.
 */
#include "kustomize/kustomize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_strmap *vars = ed_strmap_new();
    ed_strmap_put(vars, "a", "value/with.dots");
    ed_strmap_put(vars, "empty", "");
    ed_strmap_put(vars, "n", "42");
    for (int strict = 0; strict < 2; strict++) {
        ed_buf out = ED_BUF_INIT(1 << 20);
        ed_err err = ED_ERR_INIT;
        int rc = ed_ks_envsubst((const char *)data, size, vars, strict, &out, &err);
        if ((rc == 0) != (err.code == 0))
            abort();
        if (rc == 0 && !memchr(data, '$', size) &&
            (out.len != size || (size && memcmp(out.data, data, size) != 0)))
            abort();
        ed_buf_free(&out);
    }
    ed_strmap_free(vars);
    return 0;
}
