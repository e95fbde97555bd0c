/*
 * libFuzzer target for the unpacking of tar.gz archives from outside (OCI layers, `pull
 * artifact`): an input is a tar stream, gzip-compressed here so that the fuzzer works on the tar
 * headers. For any input the unpack either succeeds or fails with a message; it never crashes or
 * leaks, never creates anything beside its destination, never leaves a symlink in it, and never
 * writes more file content than its cap.
 */
#include "source/source.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum {
    CAP = 1 << 20
};

/* Removes the tree at path; aborts on a symlink in it and adds its file bytes to *bytes. */
static void check_and_remove(const char *path, int64_t *bytes)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *sub = ed_xasprintf("%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) != 0)
            abort();
        if (S_ISLNK(st.st_mode)) {
            fprintf(stderr, "a symlink was made: %s\n", sub);
            abort();
        }
        if (S_ISDIR(st.st_mode)) {
            chmod(sub, 0700);
            check_and_remove(sub, bytes);
        } else {
            *bytes += st.st_size;
            unlink(sub);
        }
        free(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char top[] = "/tmp/eddy-fuzz-untar-XXXXXX";
    if (!mkdtemp(top))
        return 0;
    char *archive = ed_xasprintf("%s/in.tar.gz", top);
    char *dest = ed_xasprintf("%s/root", top);
    gzFile gz = gzopen(archive, "wb");
    if (gz) {
        if (size)
            gzwrite(gz, data, (unsigned)size);
        gzclose(gz);
    }
    mkdir(dest, 0700);
    ed_err err = ED_ERR_INIT;
    ed_source_archive_unpack(archive, dest, CAP, &err);
    int64_t bytes = 0;
    check_and_remove(dest, &bytes);
    if (bytes > CAP) {
        fprintf(stderr, "%lld bytes written, more than the cap\n", (long long)bytes);
        abort();
    }
    unlink(archive);
    /* Nothing else may be left beside the destination. */
    if (rmdir(top) != 0) {
        fprintf(stderr, "something was made beside the destination in %s\n", top);
        abort();
    }
    free(archive);
    free(dest);
    return 0;
}
