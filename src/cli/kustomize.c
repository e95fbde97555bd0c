/*
 * `eddy kustomize build DIR`: render DIR with eddy's native kustomize engine and print the
 * YAML stream, as `kubectl kustomize DIR` does. Nothing outside DIR is read.
 */
#include "cli_int.h"

#include "../kustomize/kustomize.h"

#include <stdio.h>
#include <string.h>

int ed_cli_kustomize(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "build") != 0) {
        fprintf(stderr, "Usage: eddy kustomize build DIR\n");
        return 2;
    }
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.root = argv[2];
    ed_buf out = ED_BUF_INIT((size_t)1 << 30);
    ed_err err = ED_ERR_INIT;
    int rc = ed_ks_build_yaml(argv[2], &opts, &out, &err);
    if (rc) {
        fprintf(stderr, "Error: kustomize build failed: %s\n", err.msg);
        ed_buf_free(&out);
        return 1;
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    ed_buf_free(&out);
    return 0;
}
