/*
 * libFuzzer target for the kustomize engine's readers of untrusted input: kustomization files
 * and everything they point to (generator literals, env files and files, replacements, vars,
 * components, sortOptions, buildMetadata). An input is a small tree written out as files: it
 * starts with the kustomization itself, and each line "=== NAME" starts the next file NAME (a
 * plain name, or "dir/name" one level deep). For any input the build either succeeds and prints,
 * or fails with a message; it never crashes, leaks or reads outside the tree.
 */
#include "kustomize/kustomize.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *sub = ed_xasprintf("%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
        free(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

/* A file name from the fuzzer: letters, digits, '.', '-', '_' and at most one '/'. */
static bool safe_name(const char *s, size_t n)
{
    int slashes = 0;
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '/' || s[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '/')
            slashes++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '_'))
            return false;
    }
    return slashes <= 1 && !memmem(s, n, "/.", 2);
}

static void write_file(const char *root, const char *name, size_t nlen, const uint8_t *data,
                       size_t len)
{
    char *path = ed_xasprintf("%s/%.*s", root, (int)nlen, name);
    char *slash = strrchr(path, '/');
    if (slash > path + strlen(root)) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char root[] = "/tmp/eddy-fuzz-ks-XXXXXX";
    if (!mkdtemp(root))
        return 0;
    const char *name = "kustomization.yaml";
    size_t nlen = strlen(name);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        bool at_marker =
            i + 4 <= size && (i == 0 || data[i - 1] == '\n') && memcmp(data + i, "=== ", 4) == 0;
        if (i < size && !at_marker)
            continue;
        if (safe_name(name, nlen))
            write_file(root, name, nlen, data + start, i - start);
        if (i == size)
            break;
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        name = (const char *)data + i + 4;
        nlen = (size_t)((nl ? nl : data + size) - (data + i + 4));
        start = nl ? (size_t)(nl - data) + 1 : size;
        i = start - 1;
    }
    ed_buf out = ED_BUF_INIT((size_t)16 << 20);
    ed_err err = ED_ERR_INIT;
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.max_file_bytes = 1 << 20;
    (void)ed_ks_build_yaml(root, &opts, &out, &err);
    ed_buf_free(&out);
    remove_tree(root);
    return 0;
}
