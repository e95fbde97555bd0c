/*
 * `eddy kustomize build DIR`: render DIR with eddy's native kustomize engine and print the
 * YAML stream, as `kubectl kustomize DIR` does. The build may read what lies in the Git work
 * tree DIR belongs to (an overlay's `../base`, as kubectl reads it and as Flux builds within a
 * repository's artifact); outside a work tree, only DIR.
 */
#include "cli_int.h"

#include "../kustomize/kustomize.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The top of the Git work tree holding dir (the nearest directory above it, itself included,
 * with a .git entry), else dir; both with symlinks resolved. A new string, or NULL when dir
 * cannot be resolved. */
static char *build_root(const char *dir)
{
    char *real = realpath(dir, NULL);
    if (!real)
        return NULL;
    char *p = ed_xstrdup(real);
    for (;;) {
        char git[PATH_MAX + 8];
        snprintf(git, sizeof(git), "%s/.git", p);
        if (access(git, F_OK) == 0) {
            free(real);
            return p;
        }
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = '\0';
    }
    free(p);
    return real;
}

int ed_cli_kustomize(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "build") != 0) {
        fprintf(stderr, "Usage: eddy kustomize build DIR\n");
        return 2;
    }
    char *dir = realpath(argv[2], NULL), *root = build_root(argv[2]);
    if (!dir || !root) {
        fprintf(stderr, "Error: kustomize build failed: %s: no such directory\n", argv[2]);
        free(dir);
        free(root);
        return 1;
    }
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.root = root;
    ed_buf out = ED_BUF_INIT((size_t)1 << 30);
    ed_err err = ED_ERR_INIT;
    ed_cli_remote remote;
    int rc = ed_cli_remote_open(&remote, &err);
    if (!rc) {
        ed_ks_remote_options(&remote.src, &opts);
        rc = ed_ks_build_yaml(dir, &opts, &out, &err);
    }
    ed_cli_remote_close(&remote);
    free(dir);
    free(root);
    if (rc) {
        fprintf(stderr, "Error: kustomize build failed: %s\n", err.msg);
        ed_buf_free(&out);
        return 1;
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    ed_buf_free(&out);
    return 0;
}
