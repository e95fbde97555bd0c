/*
 * ed_source_git_write (commit.c), what eddy bootstrap commits with, against bare repositories
 * made with the git CLI in a temp dir (file:// URLs): the root commit of an empty repository,
 * no commit when every file already holds the bytes, a changed file committed on top of the
 * head with the other files kept, each commit reported before its push (and a failed push
 * told from a failed commit), paths leaving the repository refused, and the commit signed
 * with the key of a key ring that --gpg-key-id names (keys made with gpg, checked with git
 * verify-commit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The trimmed output of a shell command (tests only; src/ never shells out); fails the test
 * when it fails. */
static void out_of(char *out, size_t n, const char *fmt, ...) ED_PRINTF(3, 4);
static void out_of(char *out, size_t n, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    if (pclose(p) != 0)
        fail_msg("command failed: %s", cmd);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
}

struct fixture {
    char dir[64];
    char url[128];
    char bare[96];
    ed_source_cache *cache;
};

static void fixture_open(struct fixture *f)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/eddy-write-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->bare, sizeof(f->bare), "%s/fleet.git", f->dir);
    snprintf(f->url, sizeof(f->url), "file://%s", f->bare);
    char ignored[64];
    out_of(ignored, sizeof(ignored), "git init -q --bare -b main %s", f->bare);
    char storage[sizeof(f->dir) + 16];
    snprintf(storage, sizeof(storage), "%s/storage", f->dir);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&f->cache, storage, &err), 0);
}

static void fixture_close(struct fixture *f)
{
    ed_source_cache_free(f->cache);
    ed_path_remove_tree(f->dir);
}

static int write_files(struct fixture *f, const ed_source_file *files, size_t n,
                       ed_source_git_write_result *res, ed_err *err)
{
    ed_source_git_write_opts o = {.url = f->url,
                                  .branch = "main",
                                  .author_name = "Flux",
                                  .author_email = "flux@eddy.invalid",
                                  .message = "Add sync manifests",
                                  .files = files,
                                  .nfiles = n};
    return ed_source_git_write(f->cache, &o, res, err);
}

void test_write_root_commit_then_nothing(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    const ed_source_file files[] = {
        {"clusters/a/flux-system/gotk-sync.yaml", "kind: GitRepository\n", 20, false},
        {"./clusters/a//flux-system/kustomization.yaml", "resources: []\n", 14, false},
    };
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(write_files(&f, files, 2, &res, &err), 0);
    assert_true(res.committed);
    assert_true(res.created_branch);
    char out[512];
    out_of(out, sizeof(out), "git -C %s rev-parse main", f.bare);
    assert_string_equal(out, res.commit);
    out_of(out, sizeof(out), "git -C %s ls-tree -r --name-only main", f.bare);
    assert_string_equal(out, "clusters/a/flux-system/gotk-sync.yaml\n"
                             "clusters/a/flux-system/kustomization.yaml");
    out_of(out, sizeof(out), "git -C %s show main:clusters/a/flux-system/gotk-sync.yaml", f.bare);
    assert_string_equal(out, "kind: GitRepository");
    out_of(out, sizeof(out), "git -C %s log -1 --format='%%an <%%ae> %%s|%%P' main", f.bare);
    assert_string_equal(out, "Flux <flux@eddy.invalid> Add sync manifests|");

    /* The same bytes again: no commit, the head reported. */
    char first[41];
    memcpy(first, res.commit, sizeof(first));
    assert_int_equal(write_files(&f, files, 2, &res, &err), 0);
    assert_false(res.committed);
    assert_false(res.created_branch);
    assert_string_equal(res.commit, first);
    out_of(out, sizeof(out), "git -C %s rev-list --count main", f.bare);
    assert_string_equal(out, "1");
    fixture_close(&f);
}

void test_write_on_top_keeps_other_files(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    char out[512];
    /* Another cluster's files, committed by someone else. */
    out_of(out, sizeof(out),
           "cd %s && git clone -q %s work 2>/dev/null && cd work && mkdir -p clusters/b && "
           "echo b > clusters/b/app.yaml && git add . && git -c user.name=h -c "
           "user.email=h@h.invalid commit -qm b && git push -q origin HEAD:main 2>/dev/null && "
           "git rev-parse HEAD",
           f.dir, f.url);
    char base[41];
    snprintf(base, sizeof(base), "%.40s", out);
    const ed_source_file v1[] = {{"clusters/a/x.yaml", "one\n", 4, false}};
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(write_files(&f, v1, 1, &res, &err), 0);
    assert_true(res.committed);
    assert_false(res.created_branch);
    out_of(out, sizeof(out), "git -C %s log -1 --format=%%P main", f.bare);
    assert_string_equal(out, base);
    const ed_source_file v2[] = {{"clusters/a/x.yaml", "two\n", 4, false}};
    assert_int_equal(write_files(&f, v2, 1, &res, &err), 0);
    assert_true(res.committed);
    out_of(out, sizeof(out), "git -C %s ls-tree -r --name-only main", f.bare);
    assert_string_equal(out, "clusters/a/x.yaml\nclusters/b/app.yaml");
    out_of(out, sizeof(out), "git -C %s show main:clusters/a/x.yaml", f.bare);
    assert_string_equal(out, "two");
    out_of(out, sizeof(out), "git -C %s rev-list --count main", f.bare);
    assert_string_equal(out, "3");
    fixture_close(&f);
}

/* if_absent (bootstrap's kustomization.yaml): written where the branch lacks it, kept as the
 * branch has it otherwise, while the other files of the same write are written. */
void test_write_if_absent_keeps_existing(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    const ed_source_file v1[] = {{"a/sync.yaml", "one\n", 4, false},
                                 {"a/kustomization.yaml", "generated\n", 10, true}};
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(write_files(&f, v1, 2, &res, &err), 0);
    assert_true(res.committed);
    char out[512];
    out_of(out, sizeof(out), "git -C %s show main:a/kustomization.yaml", f.bare);
    assert_string_equal(out, "generated");
    const ed_source_file v2[] = {{"a/sync.yaml", "two\n", 4, false},
                                 {"a/kustomization.yaml", "regenerated\n", 12, true}};
    assert_int_equal(write_files(&f, v2, 2, &res, &err), 0);
    assert_true(res.committed);
    out_of(out, sizeof(out), "git -C %s show main:a/kustomization.yaml", f.bare);
    assert_string_equal(out, "generated");
    out_of(out, sizeof(out), "git -C %s show main:a/sync.yaml", f.bare);
    assert_string_equal(out, "two");
    /* Only the kept file differs: nothing to commit. */
    assert_int_equal(write_files(&f, v2, 2, &res, &err), 0);
    assert_false(res.committed);
    fixture_close(&f);
}

/* What on_commit saw: the calls, the last commit and attempt. */
struct seen {
    int calls, attempt;
    char commit[41];
};

static void on_commit(void *user, const char *commit, int attempt)
{
    struct seen *s = user;
    s->calls++;
    s->attempt = attempt;
    snprintf(s->commit, sizeof(s->commit), "%s", commit);
}

/* on_commit is told of a commit before its push (bootstrap prints flux's commit line, then its
 * push line); a push that fails after the commit is made says so in push_failed (flux's
 * "failed to push ..."), an unchanged tree calls nothing. */
void test_write_reports_commit_before_push(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    struct seen seen = {0};
    const ed_source_file v1[] = {{"clusters/a/x.yaml", "one\n", 4, false}};
    ed_source_git_write_opts o = {.url = f.url,
                                  .branch = "main",
                                  .author_email = "flux@eddy.invalid",
                                  .message = "Add sync manifests",
                                  .files = v1,
                                  .nfiles = 1,
                                  .on_commit = on_commit,
                                  .on_commit_user = &seen};
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_write(f.cache, &o, &res, &err), 0);
    assert_true(res.committed);
    assert_false(res.push_failed);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.attempt, 1);
    assert_string_equal(seen.commit, res.commit);
    assert_int_equal(ed_source_git_write(f.cache, &o, &res, &err), 0);
    assert_false(res.committed);
    assert_int_equal(seen.calls, 1);

    /* main's ref locked in the remote: the commit is made, its push fails */
    char out[512];
    out_of(out, sizeof(out), "touch %s/refs/heads/main.lock && git -C %s rev-parse main", f.bare,
           f.bare);
    const ed_source_file v2[] = {{"clusters/a/x.yaml", "two\n", 4, false}};
    o.files = v2;
    o.max_attempts = 1;
    assert_int_not_equal(ed_source_git_write(f.cache, &o, &res, &err), 0);
    assert_true(res.push_failed);
    assert_false(res.committed);
    assert_int_equal(seen.calls, 2);
    assert_string_not_equal(seen.commit, out);
    char after[512];
    out_of(after, sizeof(after), "git -C %s rev-parse main", f.bare);
    assert_string_equal(after, out);
    fixture_close(&f);
}

void test_write_refuses_bad_paths(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    const char *bad[] = {"../escape.yaml", "a/../../b.yaml", "", "./"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const ed_source_file files[] = {{bad[i], "x\n", 2, false}};
        ed_source_git_write_result res;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(write_files(&f, files, 1, &res, &err), ED_EINVALID);
        assert_false(res.committed);
        assert_non_null(strstr(err.msg, "leaves the repository"));
    }
    char out[64];
    out_of(out, sizeof(out), "git -C %s rev-list --all | wc -l", f.bare);
    assert_string_equal(out, "0");
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    ed_source_git_write_opts none = {.url = f.url, .branch = "main"};
    assert_int_equal(ed_source_git_write(f.cache, &none, &res, &err), ED_EINVALID);
    fixture_close(&f);
}

/* Two signing keys made with gpg in f's directory: their long ids and fingerprints, a key
 * ring of both secret keys (ring.asc), and one holding key one's secret key and only key two's
 * public key (mixed.asc). */
struct keys {
    char home[96];
    char id1[17], id2[17];
    char fpr2[41];
};

static void make_keys(const struct fixture *f, struct keys *k)
{
    char out[512];
    snprintf(k->home, sizeof(k->home), "%s/g", f->dir);
    char pre[256];
    snprintf(pre, sizeof(pre), "GNUPGHOME=%s gpg --batch --quiet --no-tty", k->home);
    out_of(out, sizeof(out),
           "mkdir -m 700 %s && %s --passphrase '' --quick-gen-key "
           "'One <one@e.invalid>' ed25519 sign never 2>&1 && %s --passphrase "
           "'' --quick-gen-key 'Two <two@e.invalid>' ed25519 sign never 2>&1",
           k->home, pre, pre);
    out_of(k->id1, sizeof(k->id1),
           "%s --with-colons --list-keys one@e.invalid | "
           "awk -F: '/^pub/ {print $5; exit}'",
           pre);
    out_of(k->id2, sizeof(k->id2),
           "%s --with-colons --list-keys two@e.invalid | "
           "awk -F: '/^pub/ {print $5; exit}'",
           pre);
    out_of(k->fpr2, sizeof(k->fpr2),
           "%s --with-colons --list-keys two@e.invalid | "
           "awk -F: '/^fpr/ {print $10; exit}'",
           pre);
    out_of(out, sizeof(out),
           "%s --armor --export-secret-keys > %s/ring.asc && "
           "%s --armor --export-secret-keys one@e.invalid > %s/mixed.asc && "
           "%s --armor --export two@e.invalid >> %s/mixed.asc",
           pre, f->dir, pre, f->dir, pre, f->dir);
}

static void drop_keys(const struct keys *k)
{
    char out[64];
    out_of(out, sizeof(out), "GNUPGHOME=%s gpgconf --kill gpg-agent", k->home);
}

static int write_signed(struct fixture *f, const char *ring, const char *key_id,
                        const ed_source_file *file, ed_source_git_write_result *res, ed_err *err)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", f->dir, ring);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char key[16384];
    size_t len = fread(key, 1, sizeof(key), in);
    fclose(in);
    ed_source_git_write_opts o = {.url = f->url,
                                  .branch = "main",
                                  .author_name = "Flux",
                                  .author_email = "flux@eddy.invalid",
                                  .message = "Add sync manifests",
                                  .signing_key = key,
                                  .signing_key_len = len,
                                  .signing_key_id = key_id,
                                  .files = file,
                                  .nfiles = 1};
    return ed_source_git_write(f->cache, &o, res, err);
}

void test_write_signed_with_key_id(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f);
    struct keys k;
    make_keys(&f, &k);
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;

    /* --gpg-key-id picks the second key of the ring (any case), not the first. */
    const ed_source_file one = {"a.yaml", "a: 1\n", 5, false};
    char lower[17];
    for (int i = 0; i < 17; i++)
        lower[i] = (char)tolower((unsigned char)k.id2[i]);
    assert_int_equal(write_signed(&f, "ring.asc", lower, &one, &res, &err), 0);
    assert_true(res.committed);
    char out[512], want[64];
    out_of(out, sizeof(out),
           "GNUPGHOME=%s git -C %s verify-commit --raw main 2>&1 | grep -o 'VALIDSIG [0-9A-F]*'",
           k.home, f.bare);
    snprintf(want, sizeof(want), "VALIDSIG %s", k.fpr2);
    assert_string_equal(out, want);

    /* Without an id, the first key signs. */
    const ed_source_file two = {"a.yaml", "a: 2\n", 5, false};
    assert_int_equal(write_signed(&f, "ring.asc", NULL, &two, &res, &err), 0);
    out_of(out, sizeof(out),
           "GNUPGHOME=%s git -C %s verify-commit --raw main 2>&1 | "
           "grep -o 'VALIDSIG [0-9A-F]*' | grep -c %s",
           k.home, f.bare, k.id1);
    assert_string_equal(out, "1");

    /* An id the ring does not hold, and a key of the ring without its secret part: refused
     * in flux's words, nothing pushed. */
    const ed_source_file three = {"a.yaml", "a: 3\n", 5, false};
    assert_int_equal(write_signed(&f, "ring.asc", "0123456789ABCDEF", &three, &res, &err),
                     ED_EINVALID);
    assert_string_equal(err.msg, "no GPG keyring matching key id '0123456789ABCDEF' found");
    ed_err_clear(&err);
    assert_int_equal(write_signed(&f, "mixed.asc", k.id2, &three, &res, &err), ED_EINVALID);
    char msg[128];
    snprintf(msg, sizeof(msg), "keyring does not contain private key for key id '%s'", k.id2);
    assert_string_equal(err.msg, msg);
    out_of(out, sizeof(out), "git -C %s rev-list --count main", f.bare);
    assert_string_equal(out, "2");
    drop_keys(&k);
    fixture_close(&f);
}
