/*
 * The golden-test driver for the kustomize engine: `kustomize_build DIR [ROOT]` prints what
 * ed_ks_build_yaml makes of DIR, exactly as `kubectl kustomize DIR` would, or the error on
 * stderr with exit status 1. tests/golden/run diffs its output with each case's expected.yaml.
 */
#include "kustomize/kustomize.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s DIR [ROOT]\n", argv[0]);
        return 2;
    }
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.root = argc == 3 ? argv[2] : NULL;
    ed_err err = ED_ERR_INIT;
    ed_buf out = ED_BUF_INIT((size_t)1 << 30);
    int rc = ed_ks_build_yaml(argv[1], &opts, &out, &err);
    if (rc) {
        fprintf(stderr, "kustomize build failed: %s\n", err.msg);
    } else if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
        rc = ED_ERROR;
    }
    ed_buf_free(&out);
    return rc ? 1 : 0;
}
