/*
 * The checkout options of the source module on local (file://) repositories: sparse checkout
 * (only the listed directories; a missing or escaping one refused), submodules (relative URLs,
 * written in place only with recurse_submodules, a submodule on its own URL refused), include
 * (an artifact's subtree moved into place; escaping paths, missing directories and occupied
 * targets refused) and OpenPGP verification with keys made for the test in a temp GNUPGHOME
 * (good, wrong-key and unsigned commits; signed and unsigned tags).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

/* The trimmed first line of a file. */
static void first_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
}

static bool present(const char *dir, const char *rel)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return lstat(path, &st) == 0;
}

/* A fresh storage, cache and empty destination directory under root/<name>. */
static ed_source_cache *fresh(const char *name, char *dest, size_t n)
{
    char storage[512];
    snprintf(storage, sizeof(storage), "%s/%s-storage", root, name);
    snprintf(dest, n, "%s/%s-dest", root, name);
    assert_int_equal(mkdir(dest, 0700), 0);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    return c;
}

static void fetch_main(ed_source_cache *c, const char *url, ed_source_git_result *res)
{
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = url;
    fo.ref.branch = "main";
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_fetch(c, &fo, res, &err) != 0)
        fail_msg("fetch %s: %s", url, err.msg);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/eddy-checkout-test.XXXXXX");
    assert_non_null(mkdtemp(root));
    git_hermetic();
    char gnupg[300];
    snprintf(gnupg, sizeof(gnupg), "%s/gnupg", root);
    setenv("GNUPGHOME", gnupg, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* The agent that signing started runs detached. */
    sh("gpgconf --kill all >/dev/null 2>&1 || true");
    ed_path_remove_tree(root);
    return 0;
}

/* ---- sparse checkout ---- */

static void test_sparse_checkout(void **state)
{
    (void)state;
    sh("cd %s && git init -q -b main sparse && cd sparse && mkdir -p apps/x apps/y docs && "
       "echo x > apps/x/a.yaml && echo y > apps/y/b.yaml && echo d > docs/d.txt && "
       "echo r > root.yaml && echo '*.txt' > .sourceignore && git add -A && git commit -qm one",
       root);
    char url[512], dest[512];
    snprintf(url, sizeof(url), "file://%s/sparse", root);
    ed_source_cache *c = fresh("sparse", dest, sizeof(dest));
    ed_source_git_result res;
    fetch_main(c, url, &res);
    const char *dirs[] = {"./apps/x/", "docs"};
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = res.commit;
    o.sparse = dirs;
    o.sparse_len = 2;
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_checkout_with(c, &o, dest, &err) != 0)
        fail_msg("checkout: %s", err.msg);
    assert_true(present(dest, "apps/x/a.yaml"));
    /* The root's .sourceignore is not in the sparse checkout, so it excludes nothing (Flux
     * reads the .sourceignore files of its checkout). */
    assert_true(present(dest, "docs/d.txt"));
    assert_false(present(dest, "apps/y"));
    assert_false(present(dest, "root.yaml"));

    /* An excluded directory entered for a file a `!pattern` brings back has no entry of its
     * own in the archive (Flux's filter leaves out its header and walks on into it). */
    char tar[600];
    snprintf(tar, sizeof(tar), "%s/sparse-negated.tar.gz", root);
    ed_source_artifact_info info;
    assert_int_equal(ed_source_git_artifact_build(c, url, res.commit, "/docs/\n!/docs/d.txt\n", tar,
                                                  &info, &err),
                     0);
    sh("tar tzf %s | grep -qx docs/d.txt && ! tar tzf %s | grep -qx 'docs/\\?'", tar, tar);

    const char *missing[] = {"apps/z"};
    o.sparse = missing;
    o.sparse_len = 1;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "sparse checkout dir 'apps/z' does not exist in repository"));
    const char *escaping[] = {"../outside"};
    o.sparse = escaping;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "'../outside'"));
    ed_source_cache_free(c);
}

/* ---- Flux's default exclusions ---- */

static void test_default_exclusions(void **state)
{
    (void)state;
    sh("cd %s && git init -q -b main defaults && cd defaults && mkdir -p .github/workflows app && "
       "echo w > .github/workflows/ci.yml && echo p > logo.png && echo a > app/a.yaml && "
       "echo g > .gitignore && echo c > codeship-steps.yml && echo s > app/.sops.yaml && "
       "git add -A && git commit -qm one",
       root);
    char url[512], dest[512], dest2[600], dest3[600];
    snprintf(url, sizeof(url), "file://%s/defaults", root);
    ed_source_cache *c = fresh("defaults", dest, sizeof(dest));
    ed_source_git_result res;
    fetch_main(c, url, &res);
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = res.commit;
    ed_err err = ED_ERR_INIT;
    /* No pattern anywhere: every default exclusion applies. */
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), 0);
    assert_true(present(dest, "app/a.yaml"));
    assert_false(present(dest, ".github"));
    assert_false(present(dest, "logo.png"));
    assert_false(present(dest, "codeship-steps.yml"));
    assert_false(present(dest, "app/.sops.yaml"));
    assert_false(present(dest, ".gitignore"));
    /* spec.ignore replaces them; the VCS ones stay. */
    snprintf(dest2, sizeof(dest2), "%s-ignore", dest);
    assert_int_equal(mkdir(dest2, 0700), 0);
    o.ignore = "app/\n";
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest2, &err), 0);
    assert_true(present(dest2, ".github/workflows/ci.yml"));
    assert_true(present(dest2, "logo.png"));
    assert_false(present(dest2, "app"));
    assert_false(present(dest2, ".gitignore"));
    /* So does any .sourceignore file, wherever it is. */
    sh("cd %s/defaults && mkdir -p deep/er && echo '*.txt' > deep/er/.sourceignore && "
       "git add -A && git commit -qm sourceignore",
       root);
    fetch_main(c, url, &res);
    snprintf(dest3, sizeof(dest3), "%s-sourceignore", dest);
    assert_int_equal(mkdir(dest3, 0700), 0);
    o.ignore = NULL;
    o.commit = res.commit;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest3, &err), 0);
    assert_true(present(dest3, ".github/workflows/ci.yml"));
    assert_true(present(dest3, "logo.png"));
    assert_true(present(dest3, "deep/er/.sourceignore"));
    /* As in Flux (not git), a `!pattern` brings back a file below an excluded directory, and
     * the directory's other files stay out. */
    sh("cd %s/defaults && mkdir -p charts/app && echo v > charts/app/values.yaml && "
       "echo o > charts/app/other.yaml && echo r > charts/README && "
       "git add -A && git commit -qm charts",
       root);
    fetch_main(c, url, &res);
    char dest4[600];
    snprintf(dest4, sizeof(dest4), "%s-negation", dest);
    assert_int_equal(mkdir(dest4, 0700), 0);
    o.ignore = "charts/\n!charts/app/values.yaml\n";
    o.commit = res.commit;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest4, &err), 0);
    assert_true(present(dest4, "charts/app/values.yaml"));
    assert_false(present(dest4, "charts/app/other.yaml"));
    assert_false(present(dest4, "charts/README"));
    assert_true(present(dest4, "app/a.yaml"));
    ed_source_cache_free(c);
}

/* ---- submodules ---- */

static void test_submodules(void **state)
{
    (void)state;
    sh("cd %s && git init -q -b main lib && cd lib && mkdir deep && echo l > deep/lib.yaml && "
       "echo s > .sourceignore-me && git add -A && git commit -qm lib",
       root);
    sh("cd %s && git init -q -b main app && cd app && echo a > app.yaml && "
       "git -c protocol.file.allow=always submodule add -q ../lib vendor/lib >/dev/null 2>&1 && "
       "git add -A && "
       "git commit -qm app",
       root);
    char url[512], dest[512], dest2[600];
    snprintf(url, sizeof(url), "file://%s/app", root);
    ed_source_cache *c = fresh("sub", dest, sizeof(dest));
    ed_source_git_result res;
    fetch_main(c, url, &res);
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = res.commit;
    o.ignore = "vendor/lib/.sourceignore-me\n";
    ed_err err = ED_ERR_INIT;
    /* Without the flag the gitlink is left out. */
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), 0);
    assert_true(present(dest, "app.yaml"));
    assert_false(present(dest, "vendor/lib"));
    assert_false(present(dest, ".gitmodules"));

    snprintf(dest2, sizeof(dest2), "%s-recursive", dest);
    assert_int_equal(mkdir(dest2, 0700), 0);
    o.recurse_submodules = true;
    if (ed_source_git_checkout_with(c, &o, dest2, &err) != 0)
        fail_msg("checkout with submodules: %s", err.msg);
    assert_true(present(dest2, "vendor/lib/deep/lib.yaml"));
    /* spec.ignore is judged from the artifact's root, also inside a submodule. */
    assert_false(present(dest2, "vendor/lib/.sourceignore-me"));
    ed_source_cache_free(c);

    /* A submodule that points back at its own repository. */
    sh("cd %s && git init -q -b main selfref && cd selfref && echo s > s.yaml && "
       "git add -A && git commit -qm one && "
       "git -c protocol.file.allow=always submodule add -q ../selfref me >/dev/null 2>&1 && "
       "git commit -qm self",
       root);
    snprintf(url, sizeof(url), "file://%s/selfref", root);
    c = fresh("selfref", dest, sizeof(dest));
    fetch_main(c, url, &res);
    o.url = url;
    o.commit = res.commit;
    o.ignore = NULL;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "points to its own repository"));
    ed_source_cache_free(c);
}

/* ---- artifacts streamed from the object database ---- */

/* ed_source_git_artifact_build_with of o must give the bytes of checkout_with + archive_create. */
static void assert_stream_same(ed_source_cache *c, const ed_source_checkout_opts *o,
                               const char *name)
{
    char dir[600], a1[600], a2[600];
    snprintf(dir, sizeof(dir), "%s/%s-tree", root, name);
    snprintf(a1, sizeof(a1), "%s/%s-disk.tar.gz", root, name);
    snprintf(a2, sizeof(a2), "%s/%s-stream.tar.gz", root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    ed_err err = ED_ERR_INIT;
    ed_source_artifact_info i1, i2;
    if (ed_source_git_checkout_with(c, o, dir, &err) != 0)
        fail_msg("%s: checkout: %s", name, err.msg);
    assert_int_equal(ed_source_archive_create(dir, a1, &i1, &err), 0);
    bool write_failed = true;
    if (ed_source_git_artifact_build_with(c, o, a2, &i2, &write_failed, &err) != 0)
        fail_msg("%s: stream: %s", name, err.msg);
    assert_false(write_failed);
    assert_string_equal(i1.digest, i2.digest);
    assert_int_equal(i1.size, i2.size);
    sh("cmp -s %s %s", a1, a2);
}

static void test_stream_same_bytes(void **state)
{
    (void)state;
    /* Names whose Git order differs from a directory's ("a-b" < "a/" in Git), an executable, a
     * file over one 64 KiB chunk, a symlink (left out), a directory whose files are all ignored
     * (kept, empty), a spec.ignore re-include, and a submodule. */
    sh("cd %s && git init -q -b main slib && cd slib && mkdir -p z/y && echo l > z/y/l.yaml && "
       "echo x > x.md && git add -A && git commit -qm lib",
       root);
    sh("cd %s && git init -q -b main stream && cd stream && mkdir -p a b/c empty/sub d && "
       "echo 1 > a-b && echo 2 > a/f && echo 3 > a.txt && echo 4 > b/c/g.yaml && "
       "printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s a/f link && "
       "head -c 200000 /dev/urandom | od -An -x > d/big.txt && echo e > empty/sub/e.log && "
       "printf '*.log\\n' > .sourceignore && echo k > empty/keep.tmp && "
       "git -c protocol.file.allow=always submodule add -q ../slib vendor/slib >/dev/null 2>&1 && "
       "git add -A && git commit -qm one",
       root);
    char url[512], dest[512];
    snprintf(url, sizeof(url), "file://%s/stream", root);
    ed_source_cache *c = fresh("stream", dest, sizeof(dest));
    ed_source_git_result res;
    fetch_main(c, url, &res);
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = res.commit;
    assert_stream_same(c, &o, "stream-plain");
    o.ignore = "*.tmp\n!empty/keep.tmp\na.txt\n";
    assert_stream_same(c, &o, "stream-ignore");
    o.recurse_submodules = true;
    assert_stream_same(c, &o, "stream-submodule");
    const char *dirs[] = {"b/c", "vendor"};
    o.sparse = dirs;
    o.sparse_len = 2;
    assert_stream_same(c, &o, "stream-sparse");
    o.sparse_len = 0;
    o.unfiltered = true;
    assert_stream_same(c, &o, "stream-unfiltered");

    /* The archive of the plain tree holds the entries in the directory's order. */
    char list[600];
    snprintf(list, sizeof(list), "%s/stream-plain-stream.tar.gz", root);
    sh("tar tzf %s | grep -v '^[.]' | head -4 | tr '\\n' ' ' | grep -qx 'a/ a/f a-b a.txt '", list);

    /* Errors: a missing commit, a sparse path that leaves the repository; nothing is left. */
    char out[600];
    snprintf(out, sizeof(out), "%s/stream-missing.tar.gz", root);
    ed_source_artifact_info info;
    ed_err err = ED_ERR_INIT;
    bool write_failed = true;
    o.commit = "0000000000000000000000000000000000000001";
    assert_int_equal(ed_source_git_artifact_build_with(c, &o, out, &info, &write_failed, &err),
                     ED_ENOTFOUND);
    assert_false(write_failed);
    assert_false(present(root, "stream-missing.tar.gz"));
    o.commit = res.commit;
    const char *bad[] = {"../x"};
    o.sparse = bad;
    o.sparse_len = 1;
    assert_int_equal(ed_source_git_artifact_build_with(c, &o, out, &info, NULL, &err), ED_EINVALID);
    /* A directory that cannot be written to is the storage's failure. */
    o.sparse_len = 0;
    snprintf(out, sizeof(out), "%s/no-such-dir/a.tar.gz", root);
    assert_int_equal(ed_source_git_artifact_build_with(c, &o, out, &info, &write_failed, &err),
                     ED_ERROR);
    assert_true(write_failed);
    ed_source_cache_free(c);
}

/* ---- include ---- */

static void test_include_copy(void **state)
{
    (void)state;
    char src[512], tar[600], dest[512];
    snprintf(src, sizeof(src), "%s/inc-src", root);
    snprintf(tar, sizeof(tar), "%s/inc.tar.gz", root);
    snprintf(dest, sizeof(dest), "%s/inc-dest", root);
    sh("mkdir -p %s/base/sub %s/other && echo b > %s/base/sub/b.yaml && echo o > %s/other/o.yaml "
       "&& mkdir -p %s/taken && echo t > %s/taken/t.yaml && mkdir -p %s/empty",
       src, src, src, src, dest, dest, dest);
    ed_source_artifact_info info;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_archive_create(src, tar, &info, &err), 0);

    assert_int_equal(ed_source_include_copy(tar, "./base/", "deps/base", dest, root, &err), 0);
    assert_true(present(dest, "deps/base/sub/b.yaml"));
    assert_false(present(dest, "deps/base/other"));
    assert_int_equal(ed_source_include_copy(tar, NULL, "all", dest, root, &err), 0);
    assert_true(present(dest, "all/base/sub/b.yaml"));
    assert_true(present(dest, "all/other/o.yaml"));
    /* An empty directory is replaced, as a rename does. */
    assert_int_equal(ed_source_include_copy(tar, "other", "empty", dest, root, &err), 0);
    assert_true(present(dest, "empty/o.yaml"));

    /* A single file. */
    assert_int_equal(ed_source_include_copy(tar, "other/o.yaml", "one/o.yaml", dest, root, &err),
                     0);
    assert_true(present(dest, "one/o.yaml"));
    assert_int_equal(ed_source_include_copy(tar, "base", "taken", dest, root, &err), ED_ECONFLICT);
    assert_true(present(dest, "taken/t.yaml"));
    assert_int_equal(ed_source_include_copy(tar, "nope", "x", dest, root, &err), ED_ENOTFOUND);
    /* Paths are read as Flux's SecureJoin reads them: never above the root, "/" the root. */
    assert_int_equal(ed_source_include_copy(tar, "base", "../escape", dest, root, &err), 0);
    assert_true(present(dest, "escape/sub/b.yaml"));
    assert_int_equal(ed_source_include_copy(tar, "/../other", "/vendor/", dest, root, &err), 0);
    assert_true(present(dest, "vendor/o.yaml"));
    assert_int_equal(ed_source_include_copy(tar, "../..", "x", dest, root, &err), 0);
    assert_true(present(dest, "x/base/sub/b.yaml"));
    assert_int_equal(ed_source_include_copy(tar, "base", "./", dest, root, &err), ED_EINVALID);
    assert_int_equal(ed_source_include_copy(tar, "base", "a/..", dest, root, &err), ED_EINVALID);
    assert_false(present(root, "escape"));
    /* No unpacked artifact is left in the temp directory. */
    sh("test -z \"$(ls -d %s/include-* 2>/dev/null)\"", root);
}

/* flux push artifact's archive: --ignore-paths patterns leave files and whole directories out,
 * a single file is one entry under its own name, and the same tree gives the same bytes. */
static void test_archive_create_from(void **state)
{
    (void)state;
    char src[512], tar[600], tar2[600], out[600];
    snprintf(src, sizeof(src), "%s/push-src", root);
    snprintf(tar, sizeof(tar), "%s/push.tar.gz", root);
    snprintf(tar2, sizeof(tar2), "%s/push2.tar.gz", root);
    snprintf(out, sizeof(out), "%s/push-out", root);
    sh("mkdir -p %s/.git %s/apps/img %s && echo h > %s/.git/HEAD && echo a > %s/apps/a.yaml && "
       "echo p > %s/apps/img/logo.png && echo n > %s/notes.md",
       src, src, out, src, src, src, src);
    ed_source_artifact_info i1, i2;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_archive_create_from(src, ".git/\n*.png\nimg/\n", tar, &i1, &err), 0);
    assert_int_equal(ed_source_archive_unpack(tar, out, 0, &err), 0);
    assert_true(present(out, "apps/a.yaml"));
    assert_true(present(out, "notes.md"));
    assert_false(present(out, ".git"));
    assert_false(present(out, "apps/img"));
    assert_int_equal(ed_source_archive_create_from(src, ".git/\n*.png\nimg/\n", tar2, &i2, &err),
                     0);
    assert_string_equal(i1.digest, i2.digest);
    /* No pattern: everything, each entry with its own mode as flux push keeps it (0644, 0755,
     * a 0700 directory), where ed_source_archive_create normalises them (0600, 0700, 0750). */
    sh("chmod 644 %s/notes.md && printf '#!/bin/sh\\n' > %s/run.sh && chmod 755 %s/run.sh && "
       "chmod 700 %s/apps",
       src, src, src, src);
    assert_int_equal(ed_source_archive_create_from(src, NULL, tar2, &i2, &err), 0);
    assert_int_equal(ed_source_archive_create(src, tar, &i1, &err), 0);
    assert_string_not_equal(i1.digest, i2.digest);
    sh("tar -tvzf %s | grep -q '^-rw-r--r-- .* notes.md$' && "
       "tar -tvzf %s | grep -q '^-rwxr-xr-x .* run.sh$' && "
       "tar -tvzf %s | grep -q '^drwx------ .* apps/$'",
       tar2, tar2, tar2);
    sh("tar -tvzf %s | grep -q '^-rw------- .* notes.md$' && "
       "tar -tvzf %s | grep -q '^-rwx------ .* run.sh$' && "
       "tar -tvzf %s | grep -q '^drwxr-x--- .* apps/$'",
       tar, tar, tar);
    /* One file. */
    char file[700];
    snprintf(file, sizeof(file), "%s/apps/a.yaml", src);
    assert_int_equal(ed_source_archive_create_from(file, NULL, tar, &i1, &err), 0);
    sh("rm -rf %s && mkdir %s", out, out);
    assert_int_equal(ed_source_archive_unpack(tar, out, 0, &err), 0);
    assert_true(present(out, "a.yaml"));
    sh("test \"$(ls -A %s)\" = a.yaml", out);
    snprintf(file, sizeof(file), "%s/missing", src);
    assert_int_equal(ed_source_archive_create_from(file, NULL, tar, &i1, &err), ED_EINVALID);
}

/* Names a USTAR name field cannot hold (a long path, a last component longer than 100 bytes)
 * and a non-ASCII name each come back whole from the unpacker: the UTF-8 name too, archived
 * and unpacked in the C locale the process runs in (Go writes such names in Flux's artifacts,
 * and a Git tree may hold them), and names that are not UTF-8 (a 0xff byte). */
static void test_archive_long_names(void **state)
{
    (void)state;
    char src[512], tar[600], out[600];
    snprintf(src, sizeof(src), "%s/long-src", root);
    snprintf(tar, sizeof(tar), "%s/long.tar.gz", root);
    snprintf(out, sizeof(out), "%s/long-out", root);
    const char *deep = "d00000000/d11111111/d22222222/d33333333/d44444444/d55555555/"
                       "d66666666/d77777777/d88888888/d99999999/deep.yaml";
    char wide[130];
    snprintf(wide, sizeof(wide), "%0120d.yaml", 0);
    memset(wide, 'w', 120);
    sh("mkdir -p %s/d00000000/d11111111/d22222222/d33333333/d44444444/d55555555/d66666666/"
       "d77777777/d88888888/d99999999 %s && echo d > %s/%s && echo w > %s/%s && "
       "echo u > %s/caf\303\251.yaml && mkdir %s/bin\377 && echo b > %s/bin\377/x\377.yaml",
       src, out, src, deep, src, wide, src, src, src);
    ed_source_artifact_info info;
    ed_err err = ED_ERR_INIT;
    if (ed_source_archive_create(src, tar, &info, &err) != 0)
        fail_msg("archive: %s", err.msg);
    if (ed_source_archive_unpack(tar, out, 0, &err) != 0)
        fail_msg("unpack: %s", err.msg);
    assert_true(present(out, deep));
    assert_true(present(out, wide));
    assert_true(present(out, "caf\303\251.yaml"));
    /* The name in the archive is the UTF-8 bytes, which tar lists in any UTF-8 locale. */
    sh("LC_ALL=C.UTF-8 tar tzf %s | grep -qx 'caf\303\251.yaml'", tar);
    /* A name that is not UTF-8 is its bytes in the archive, as Go's archive/tar writes it. */
    assert_true(present(out, "bin\377/x\377.yaml"));
    sh("LC_ALL=C tar --quoting-style=literal -tzf %s 2>/dev/null | grep -qx 'bin\377/x\377.yaml'",
       tar);
}

/* Flux's rules over a whole tree on disk: a checkout without filtering, an include, then
 * ed_source_dir_filter, so spec.ignore and the included .sourceignore files reach the
 * included files. */
static void test_filter_with_includes(void **state)
{
    (void)state;
    char src[512], tar[600], dest[512];
    snprintf(src, sizeof(src), "%s/flt-src", root);
    snprintf(tar, sizeof(tar), "%s/flt.tar.gz", root);
    sh("mkdir -p %s/base && echo k > %s/base/keep.yaml && echo d > %s/base/drop.md && "
       "echo '*.tmp' > %s/base/.sourceignore && echo t > %s/base/x.tmp",
       src, src, src, src, src);
    ed_source_artifact_info info;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_archive_create(src, tar, &info, &err), 0);
    sh("cd %s && git init -q -b main withinc && cd withinc && mkdir -p .github && "
       "echo c > .github/ci.yml && echo p > logo.png && echo a > a.yaml && echo m > notes.md && "
       "git add -A && git commit -qm one",
       root);
    char url[512];
    snprintf(url, sizeof(url), "file://%s/withinc", root);
    ed_source_cache *c = fresh("withinc", dest, sizeof(dest));
    ed_source_git_result res;
    fetch_main(c, url, &res);
    ed_source_checkout_opts o = ED_SOURCE_CHECKOUT_OPTS_INIT;
    o.url = url;
    o.commit = res.commit;
    o.unfiltered = true;
    assert_int_equal(ed_source_git_checkout_with(c, &o, dest, &err), 0);
    assert_true(present(dest, ".github/ci.yml"));
    assert_int_equal(ed_source_include_copy(tar, "base", "deps", dest, root, &err), 0);
    assert_true(present(dest, "deps/x.tmp"));
    assert_int_equal(ed_source_dir_filter(dest, "*.md\n", &err), 0);
    assert_true(present(dest, "a.yaml"));
    assert_true(present(dest, "deps/keep.yaml"));
    assert_true(present(dest, "deps/.sourceignore"));
    assert_false(present(dest, "notes.md"));
    assert_false(present(dest, "deps/drop.md"));
    assert_false(present(dest, "deps/x.tmp"));
    /* Patterns were given: Flux's other defaults do not apply. */
    assert_true(present(dest, ".github/ci.yml"));
    assert_true(present(dest, "logo.png"));
    ed_source_cache_free(c);

    /* No pattern at all: the defaults do. */
    char bare[512];
    snprintf(bare, sizeof(bare), "%s/flt-bare", root);
    sh("mkdir -p %s/.github %s/app && echo c > %s/.github/ci.yml && echo p > %s/logo.png && "
       "echo a > %s/app/a.yaml && echo g > %s/.gitattributes && ln -s app %s/link",
       bare, bare, bare, bare, bare, bare, bare);
    assert_int_equal(ed_source_dir_filter(bare, NULL, &err), 0);
    assert_true(present(bare, "app/a.yaml"));
    assert_false(present(bare, ".github"));
    assert_false(present(bare, "logo.png"));
    assert_false(present(bare, ".gitattributes"));
    assert_false(present(bare, "link"));
}

/* ---- verification ---- */

static void test_verify_signatures(void **state)
{
    (void)state;
    sh("mkdir -m 700 \"$GNUPGHOME\" && "
       "gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key 'signer <s@t.invalid>' "
       "ed25519 sign never 2>/dev/null && "
       "gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key 'other <o@t.invalid>' "
       "ed25519 sign never 2>/dev/null && "
       "gpg --list-keys --with-colons s@t.invalid 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}' "
       "> %s/fpr "
       "&& gpg --armor --export s@t.invalid > %s/signer.asc && "
       "gpg --armor --export o@t.invalid > %s/other.asc",
       root, root, root);
    char fpr[128], fpr_path[300];
    snprintf(fpr_path, sizeof(fpr_path), "%s/fpr", root);
    first_line(fpr_path, fpr, sizeof(fpr));
    sh("cd %s && git init -q -b main signed && cd signed && echo s > s.yaml && git add -A && "
       "git -c user.signingkey=%s commit -qS -m signed 2>/dev/null && "
       "git -c user.signingkey=%s tag -s v1 -m v1 2>/dev/null && git tag -a v0 -m v0 && "
       "git tag light && git checkout -q -b unsigned && echo u > u.yaml && git add -A && "
       "git commit -qm unsigned && git checkout -q main && git rev-parse v1 > %s/tagid",
       root, fpr, fpr, root);
    /* Flux names a tag by its object's name and id (not the commit's). */
    char tagid[64], tagid_path[300];
    snprintf(tagid_path, sizeof(tagid_path), "%s/tagid", root);
    first_line(tagid_path, tagid, sizeof(tagid));
    char url[512], dest[512], path[600];
    snprintf(url, sizeof(url), "file://%s/signed", root);
    ed_source_cache *c = fresh("verify", dest, sizeof(dest));
    ed_source_git_result res;
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = url;
    fo.ref.tag = "v1";
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_fetch(c, &fo, &res, &err), 0);
    fo.ref.tag = "v0";
    ed_source_git_result res_v0;
    assert_int_equal(ed_source_git_fetch(c, &fo, &res_v0, &err), 0);
    fo.ref.tag = "light";
    assert_int_equal(ed_source_git_fetch(c, &fo, &res_v0, &err), 0);
    fo.ref.tag = NULL;
    fo.ref.branch = "unsigned";
    ed_source_git_result res_unsigned;
    assert_int_equal(ed_source_git_fetch(c, &fo, &res_unsigned, &err), 0);

    size_t signer_len = 0, other_len = 0;
    snprintf(path, sizeof(path), "%s/signer.asc", root);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char signer[8192], other[8192];
    signer_len = fread(signer, 1, sizeof(signer), f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/other.asc", root);
    f = fopen(path, "rb");
    assert_non_null(f);
    other_len = fread(other, 1, sizeof(other), f);
    fclose(f);
    ed_source_secret_entry good[] = {{"ssh.sshpub", "ssh-ed25519 AAAA", 16},
                                     {"author.asc", signer, signer_len}};
    ed_source_secret_entry wrong[] = {{"author.asc", other, other_len}};

    ed_source_verify_opts vo = {.url = url,
                                .commit = res.commit,
                                .head = true,
                                .tag = true,
                                .tag_ref = "refs/tags/v1",
                                .keys = good,
                                .nkeys = 2};
    ed_source_verify_result vr;
    if (ed_source_git_verify(c, &vo, &vr, &err) != 0)
        fail_msg("verify: %s", err.msg);
    assert_string_equal(vr.reason, "Succeeded");
    char want[512];
    snprintf(want, sizeof(want),
             "verified signature of\n\t- tag 'v1@%s' with key '%s'\n\t- commit '%s' with "
             "key '%s'",
             tagid, fpr + strlen(fpr) - 16, res.commit, fpr + strlen(fpr) - 16);
    assert_string_equal(vr.message, want);

    vo.keys = wrong;
    vo.nkeys = 1;
    assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
    assert_string_equal(vr.reason, "InvalidTagSignature");
    vo.tag = false;
    assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
    assert_string_equal(vr.reason, "InvalidCommitSignature");
    snprintf(want, sizeof(want),
             "signature verification of commit '%s' failed: unable to verify Git commit: unable "
             "to verify payload with any of the given key rings: no matching key",
             res.commit);
    assert_string_equal(err.msg, want);

    vo.keys = good;
    vo.nkeys = 2;
    vo.commit = res_unsigned.commit;
    assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
    assert_string_equal(vr.reason, "InvalidCommitSignature");
    assert_non_null(strstr(err.msg, "unsupported signature type: empty"));

    /* Tags: an unsigned annotated tag is not a signed object; a lightweight tag, a peeled name
     * and no tag at all give no tag object to verify (Flux's InvalidVerificationMode). */
    vo.commit = res.commit;
    vo.head = false;
    vo.tag = true;
    vo.tag_ref = "refs/tags/v0";
    assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
    assert_string_equal(vr.reason, "InvalidGitObject");
    /* (Flux's words: the tag object's name and id, which is not the commit's.) */
    assert_non_null(strstr(err.msg, "cannot verify signature of tag 'v0@"));
    assert_null(strstr(err.msg, res.commit));
    assert_null(strstr(err.msg, "sha1:"));
    const char *no_tag_object[] = {"refs/tags/light", "refs/tags/v1^{}", "refs/heads/main", NULL};
    for (size_t i = 0; i < sizeof(no_tag_object) / sizeof(*no_tag_object); i++) {
        vo.tag_ref = no_tag_object[i];
        assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EINVALID);
        assert_string_equal(vr.reason, "InvalidVerificationMode");
        assert_string_equal(err.msg, "cannot verify tag object's signature if a tag reference is "
                                     "not specified");
    }

    /* Keys that are not keys. */
    ed_source_secret_entry junk[] = {{"a.asc", "not a key", 9}};
    vo.tag = false;
    vo.head = true;
    vo.keys = junk;
    vo.nkeys = 1;
    /* As Flux: the key ring is read when the commit is checked, so it is the commit that fails. */
    assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EINVALID);
    assert_string_equal(vr.reason, "InvalidCommitSignature");
    assert_non_null(strstr(err.msg, "unable to read armored key ring"));
    /* The throwaway GnuPG homes are gone. */
    snprintf(path, sizeof(path), "%s/verify-storage/tmp", root);
    sh("test -z \"$(ls -A %s)\"", path);
    ed_source_cache_free(c);
}

/* Commits signed with an SSH key (signingKey type ssh) through ssh-keygen: the signature is
 * one git and eddy's own verifier accept, for each key type; an encrypted key needs its
 * password; nothing is left in the scratch directory. */
static void test_sign_ssh(void **state)
{
    (void)state;
    static const char *const types[][2] = {
        {"ed25519", "-t ed25519"}, {"rsa", "-t rsa -b 2048"}, {"ecdsa", "-t ecdsa -b 256"}};
    char path[700], scratch[600];
    snprintf(scratch, sizeof(scratch), "%s/sign-scratch", root);
    sh("mkdir -p %s", scratch);
    static const char data[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                               "author bot <bot@eddy.dev> 1700000000 +0000\n"
                               "committer bot <bot@eddy.dev> 1700000000 +0000\n\nUpdate\n";
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *t = types[i][0];
        sh("cd %s && ssh-keygen -q %s -N '' -C bot -f signer-%s", root, types[i][1], t);
        size_t key_len = 0, pub_len = 0;
        snprintf(path, sizeof(path), "%s/signer-%s", root, t);
        char *key = ed_file_read(path, 1 << 16, &key_len);
        snprintf(path, sizeof(path), "%s/signer-%s.pub", root, t);
        char *pub = ed_file_read(path, 1 << 16, &pub_len);
        assert_non_null(key);
        assert_non_null(pub);
        char *sig = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_source_sign_ssh(scratch, key, key_len, NULL, data, sizeof(data) - 1, &sig, &err))
            fail_msg("sign with %s: %s", t, err.msg);
        assert_true(ed_source_sshsig_is_armored(sig, strlen(sig)));
        ed_source_secret_entry keys[] = {{"bot.sshpub", pub, pub_len}};
        char fpr[128];
        if (ed_source_sshsig_verify(data, sizeof(data) - 1, sig, strlen(sig), keys, 1, fpr,
                                    sizeof(fpr), "commit", &err))
            fail_msg("verify %s: %s", t, err.msg);
        /* Another content: the same signature does not hold. */
        assert_int_equal(ed_source_sshsig_verify("tree 0\n", 7, sig, strlen(sig), keys, 1, fpr,
                                                 sizeof(fpr), "commit", &err),
                         ED_EAUTH);
        free(sig);
        free(key);
        free(pub);
    }
    /* An encrypted key: refused without its password, before ssh-keygen is asked. */
    sh("cd %s && ssh-keygen -q -t ed25519 -N pw -C bot -f signer-locked", root);
    snprintf(path, sizeof(path), "%s/signer-locked", root);
    size_t key_len = 0;
    char *key = ed_file_read(path, 1 << 16, &key_len);
    assert_non_null(key);
    char *sig = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(
        ed_source_sign_ssh(scratch, key, key_len, NULL, data, sizeof(data) - 1, &sig, &err),
        ED_EINVALID);
    assert_null(sig);
    assert_non_null(strstr(err.msg, "encrypted but no 'password' field"));
    /* Not a key at all: ssh-keygen's refusal, without the content. */
    assert_int_equal(ed_source_sign_ssh(scratch, "not-a-key-at-all", 16, NULL, data,
                                        sizeof(data) - 1, &sig, &err),
                     ED_EINVALID);
    assert_null(strstr(err.msg, "not-a-key-at-all"));
    free(key);
    sh("test -z \"$(ls -A %s)\"", scratch);
}

/* SSH signatures (git's gpg.format=ssh) with ed25519, RSA and ECDSA keys. */
static void test_verify_ssh_signatures(void **state)
{
    (void)state;
    static const char *const types[][2] = {
        {"ed25519", "-t ed25519"}, {"rsa", "-t rsa -b 2048"}, {"ecdsa", "-t ecdsa -b 256"}};
    sh("cd %s && git init -q -b main sshsigned && cd sshsigned && echo 0 > f && git add -A && "
       "git commit -qm base && ssh-keygen -q -t ed25519 -N '' -C stranger -f %s/stranger",
       root, root);
    char url[512], dest[512], path[700];
    snprintf(url, sizeof(url), "file://%s/sshsigned", root);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *t = types[i][0];
        sh("cd %s && ssh-keygen -q %s -N '' -C %s -f key-%s && "
           "ssh-keygen -lf key-%s.pub | cut -d' ' -f2 > fpr-%s && cd sshsigned && "
           "git checkout -q -b %s main && echo %s > f && git add -A && "
           "git -c gpg.format=ssh -c user.signingkey=%s/key-%s.pub commit -qS -m %s && "
           "git -c gpg.format=ssh -c user.signingkey=%s/key-%s.pub tag -s v-%s -m %s && "
           "git rev-parse v-%s > %s/tagid-%s",
           root, types[i][1], t, t, t, t, t, t, root, t, t, root, t, t, t, t, root, t);
    }
    ed_source_cache *c = fresh("sshsig", dest, sizeof(dest));
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *t = types[i][0];
        ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
        char tag[32];
        snprintf(tag, sizeof(tag), "v-%s", t);
        fo.url = url;
        fo.ref.tag = tag;
        ed_source_git_result res;
        ed_err err = ED_ERR_INIT;
        if (ed_source_git_fetch(c, &fo, &res, &err) != 0)
            fail_msg("fetch %s: %s", tag, err.msg);
        char pub[2048], fpr[128], stranger[2048], tagid[64];
        snprintf(path, sizeof(path), "%s/tagid-%s", root, t);
        first_line(path, tagid, sizeof(tagid));
        snprintf(path, sizeof(path), "%s/key-%s.pub", root, t);
        first_line(path, pub, sizeof(pub));
        snprintf(path, sizeof(path), "%s/fpr-%s", root, t);
        first_line(path, fpr, sizeof(fpr));
        snprintf(path, sizeof(path), "%s/stranger.pub", root);
        first_line(path, stranger, sizeof(stranger));
        /* authorized_keys lines: a comment, another key, options before ours. */
        char authorized[4200];
        snprintf(authorized, sizeof(authorized), "# keys\n%s\nno-pty %s\n", stranger, pub);
        ed_source_secret_entry good[] = {{"keys.sshpub", authorized, strlen(authorized)}};
        ed_source_secret_entry wrong[] = {{"keys.sshpub", stranger, strlen(stranger)}};
        ed_source_verify_opts vo = {.url = url,
                                    .commit = res.commit,
                                    .head = true,
                                    .tag = true,
                                    .tag_ref = "refs/tags/",
                                    .keys = good,
                                    .nkeys = 1};
        char tag_ref[64];
        snprintf(tag_ref, sizeof(tag_ref), "refs/tags/%s", tag);
        vo.tag_ref = tag_ref;
        ed_source_verify_result vr;
        if (ed_source_git_verify(c, &vo, &vr, &err) != 0)
            fail_msg("verify %s: %s", t, err.msg);
        char want[512];
        snprintf(want, sizeof(want),
                 "verified signature of\n\t- tag '%s@%s' with key '%s'\n\t- commit '%s' "
                 "with key '%s'",
                 tag, tagid, fpr, res.commit, fpr);
        assert_string_equal(vr.message, want);
        vo.keys = wrong;
        assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
        assert_string_equal(vr.reason, "InvalidTagSignature");
        vo.tag = false;
        assert_int_equal(ed_source_git_verify(c, &vo, &vr, &err), ED_EAUTH);
        assert_string_equal(vr.reason, "InvalidCommitSignature");
        assert_non_null(strstr(err.msg,
                               "unable to verify Git commit SSH signature: unable to verify "
                               "payload with any of the given authorized keys: no "
                               "matching key"));
    }
    ed_source_cache_free(c);
}

int test_checkout_main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse_checkout),    cmocka_unit_test(test_default_exclusions),
        cmocka_unit_test(test_submodules),         cmocka_unit_test(test_stream_same_bytes),
        cmocka_unit_test(test_include_copy),       cmocka_unit_test(test_filter_with_includes),
        cmocka_unit_test(test_verify_signatures),  cmocka_unit_test(test_verify_ssh_signatures),
        cmocka_unit_test(test_sign_ssh),           cmocka_unit_test(test_archive_create_from),
        cmocka_unit_test(test_archive_long_names),
    };
    return cmocka_run_group_tests_name("source checkout", tests, setup, teardown);
}
