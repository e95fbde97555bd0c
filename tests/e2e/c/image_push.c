/*
 * End-to-end tests of commits pushed back to Git (src/source/push.c) against the real Git HTTP
 * server: a push rejected because another writer moved the branch meanwhile is retried from the
 * new head in-process (the other writer's commit is kept, ours lands on top); nothing changed
 * means no commit; a refspec is pushed after the branch (the push branch, else the checkout
 * branch), its source that branch or HEAD; a push branch that already holds
 * the result gets nothing; a tag can be the checkout when a push branch is given; a push a server
 * hook refuses is reported at once, not retried; wrong credentials give ED_EAUTH without the
 * password in the message. Push options (git.push.options) reach the server's hooks over HTTP
 * and SSH, a server that does not advertise them fails the push with a clear message and
 * nothing pushed, and an option that is not one line is refused. A fetch or a push that stalls
 * fails with ED_ETIMEOUT once timeout_ms has passed (tests/e2e/gitstall.py).
 *
 * Environment (tests/e2e/image_automation_test.sh sets it): EDDY_PUSH_URL (the repository,
 * without credentials), EDDY_PUSH_WORK (a clone to push the competing commit from),
 * EDDY_PUSH_SERVER_REPO (the server's bare repository), EDDY_PUSH_OPTIONS_LOG (where its
 * pre-receive hook writes GIT_PUSH_OPTION_COUNT and each option), EDDY_PUSH_SSH_URL (the same
 * repository over SSH), EDDY_PUSH_STALL_FETCH_URL and EDDY_PUSH_STALL_PUSH_URL (gitstall.py's
 * http and push listeners), and the servers' EDDY_GIT_HTTP_USER / EDDY_GIT_HTTP_PASSWORD,
 * EDDY_GIT_SSH_KEY / EDDY_GIT_SSH_KNOWN_HOSTS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char storage[512];
static ed_source_cache *cache;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set: run with tests/e2e/run image_automation", name);
    return v;
}

/* Run cmd with sh in the work clone; its trimmed stdout into out (may be NULL). */
static void sh(const char *cmd, char *out, size_t n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/sh.out", storage);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_addchdir_np(&fa, env("EDDY_PUSH_WORK"));
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("command failed: %s", cmd);
    if (out) {
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(out, 1, n - 1, f) : 0;
        if (f)
            fclose(f);
        out[len] = '\0';
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
            out[--len] = '\0';
    }
}

/* The edit: "v: 1" becomes "v: 2" in race.yaml; on the first attempt another writer pushes. */
struct edit_state {
    int calls;
    bool race;
    int begins;
};

static int edit(const char *path, const char *data, size_t len, ed_buf *out, bool *changed,
                void *user, ed_err *err)
{
    (void)err;
    struct edit_state *st = user;
    *changed = false;
    if (strcmp(path, "race.yaml") != 0)
        return 0;
    if (st->race && st->calls++ == 0)
        sh("git pull -q origin main && echo other >other.txt && git add -A && "
           "git commit -qm other && git push -q origin HEAD:main",
           NULL, 0);
    const char *at = memmem(data, len, "v: 1", 4);
    if (!at)
        return 0;
    ed_buf_append(out, data, (size_t)(at - data));
    ed_buf_append_str(out, "v: 2");
    ed_buf_append(out, at + 4, len - (size_t)(at - data) - 4);
    *changed = true;
    return 0;
}

static int message(void *user, char **msg, ed_err *err)
{
    (void)user;
    (void)err;
    *msg = ed_xstrdup("bump v");
    return 0;
}

static void begin(void *user)
{
    ((struct edit_state *)user)->begins++;
}

static ed_source_git_update_opts opts(struct edit_state *st, ed_source_secret_entry *secret)
{
    secret[0] = (ed_source_secret_entry){"username", env("EDDY_GIT_HTTP_USER"),
                                         strlen(env("EDDY_GIT_HTTP_USER"))};
    secret[1] = (ed_source_secret_entry){"password", env("EDDY_GIT_HTTP_PASSWORD"),
                                         strlen(env("EDDY_GIT_HTTP_PASSWORD"))};
    ed_source_git_update_opts o = {.url = env("EDDY_PUSH_URL"),
                                   .secret = secret,
                                   .secret_len = 2,
                                   .checkout_branch = "main",
                                   .author_name = "bot",
                                   .author_email = "bot@eddy.dev",
                                   .edit = edit,
                                   .message = message,
                                   .begin = begin,
                                   .user = st};
    return o;
}

static void test_rejected_push_retried(void **state)
{
    (void)state;
    struct edit_state st = {.race = true};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_git_update(cache, &o, &res, &err);
    if (rc)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    assert_int_equal(res.attempts, 2); /* the first push was rejected */
    assert_int_equal(st.begins, 2);
    char head[64], parent_subject[256], content[256];
    sh("git fetch -q origin && git reset -q --hard origin/main && git rev-parse HEAD", head,
       sizeof(head));
    assert_string_equal(head, res.commit);
    sh("git log -1 --format=%s HEAD~1", parent_subject, sizeof(parent_subject));
    assert_string_equal(parent_subject, "other"); /* the other writer's commit is kept */
    sh("cat race.yaml other.txt", content, sizeof(content));
    assert_string_equal(content, "# keep me\nv: 2 # the value\nother");
    printf("rejected push retried: %d attempts\n", res.attempts);
}

static void test_nothing_changed_no_commit(void **state)
{
    (void)state;
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    char before[64], after[64];
    sh("git ls-remote origin refs/heads/main | cut -f1", before, sizeof(before));
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), 0);
    assert_false(res.committed);
    sh("git ls-remote origin refs/heads/main | cut -f1", after, sizeof(after));
    assert_string_equal(before, after);
}

static void test_refspec_other_branch(void **state)
{
    (void)state;
    sh("sed -i 's/v: 2/v: 1/' race.yaml && git commit -qam back && git push -q origin HEAD:main",
       NULL, 0);
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    /* A refspec alone: as Flux documents, the checkout branch gets the commit too. */
    o.refspec = "refs/heads/main:refs/heads/auto";
    char main_after[64], autob[64];
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    sh("git ls-remote origin refs/heads/main | cut -f1", main_after, sizeof(main_after));
    sh("git ls-remote origin refs/heads/auto | cut -f1", autob, sizeof(autob));
    assert_string_equal(main_after, res.commit);
    assert_string_equal(autob, res.commit);
    sh("git fetch -q origin && git reset -q --hard origin/main && sed -i 's/v: 2/v: 1/' race.yaml "
       "&& git commit -qam back && git push -q origin HEAD:main",
       NULL, 0);
    o.refspec = "refs/heads/other:refs/heads/auto";
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "git.push.refspec"));
    /* The docs' Gerrit and Gitea setups: the commit is made on the push branch, and the
     * refspec pushes that branch on. */
    o.push_branch = "flux-updates";
    o.refspec = "refs/heads/flux-updates:refs/heads/review";
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    char pushed[64], review[64], main_now[64], main_back[64];
    sh("git ls-remote origin refs/heads/flux-updates | cut -f1", pushed, sizeof(pushed));
    sh("git ls-remote origin refs/heads/review | cut -f1", review, sizeof(review));
    sh("git ls-remote origin refs/heads/main | cut -f1", main_now, sizeof(main_now));
    sh("git rev-parse HEAD", main_back, sizeof(main_back));
    assert_string_equal(pushed, res.commit);
    assert_string_equal(review, res.commit);
    assert_string_equal(main_now, main_back); /* main is only the checkout here */
    sh("git push -q origin --delete flux-updates review", NULL, 0);
}

static void test_push_branch_once(void **state)
{
    (void)state;
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    o.push_branch = "automation";
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    char head[64], first[41];
    sh("git ls-remote origin refs/heads/automation | cut -f1", head, sizeof(head));
    assert_string_equal(head, res.commit);
    snprintf(first, sizeof(first), "%s", res.commit);
    /* main has not changed, so the same edit is due again: the branch has it, nothing pushed. */
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), 0);
    assert_false(res.committed);
    sh("git ls-remote origin refs/heads/automation | cut -f1", head, sizeof(head));
    assert_string_equal(head, first);
}

static void test_checkout_tag(void **state)
{
    (void)state;
    sh("git tag -f v1 && git push -q -f origin v1", NULL, 0);
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    ed_source_git_ref tag = {.tag = "v1"};
    o.checkout_branch = NULL;
    o.checkout = &tag;
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    /* Nowhere to push a change made on a tag. */
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "git.push.branch"));
    o.push_branch = "from-tag";
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    assert_non_null(strstr(res.source_revision, "v1@sha1:"));
    char parent[64], tagged[64];
    sh("git fetch -q origin from-tag && git rev-parse FETCH_HEAD~1", parent, sizeof(parent));
    sh("git rev-parse v1^{commit}", tagged, sizeof(tagged));
    assert_string_equal(parent, tagged);
}

static void test_refused_by_hook(void **state)
{
    (void)state;
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    o.push_branch = "protected"; /* the server's pre-receive hook refuses it */
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_EFORBIDDEN);
    assert_int_equal(res.attempts, 1); /* not retried */
    assert_non_null(
        strstr(err.msg, "failed to push to remote: command error on refs/heads/protected: "));
    char head[64];
    sh("git ls-remote origin refs/heads/protected | cut -f1", head, sizeof(head));
    assert_string_equal(head, ""); /* nothing half-written */
}

static void test_wrong_password(void **state)
{
    (void)state;
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    secret[1] = (ed_source_secret_entry){"password", "not-the-password", 16};
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_EAUTH);
    assert_null(strstr(err.msg, "not-the-password"));
}

/* The whole of file path, NUL-terminated, into buf; its length. */
static size_t slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    size_t len = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[len] = '\0';
    return len;
}

/* Put race.yaml back to "v: 1" on main, so the next update has something to commit. */
static void reset_value(void)
{
    sh("git fetch -q origin && git reset -q --hard origin/main && "
       "sed -i 's/v: 2/v: 1/' race.yaml && { git diff --quiet || git commit -qam back; } && "
       "git push -q origin HEAD:main",
       NULL, 0);
}

static void advertise_push_options(bool on)
{
    sh(on ? "git -C \"$EDDY_PUSH_SERVER_REPO\" config receive.advertisePushOptions true"
          : "git -C \"$EDDY_PUSH_SERVER_REPO\" config receive.advertisePushOptions false",
       NULL, 0);
}

static const char *const push_opts[] = {"ci.skip=", "merge_request.create=", "topic=image updates"};

static const char expected_log[] =
    "count=3\nci.skip=\nmerge_request.create=\ntopic=image updates\n";

static void test_push_options_http(void **state)
{
    (void)state;
    reset_value();
    advertise_push_options(true);
    unlink(env("EDDY_PUSH_OPTIONS_LOG"));
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    o.push_options = push_opts;
    o.npush_options = 3;
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    char log[512];
    slurp(env("EDDY_PUSH_OPTIONS_LOG"), log, sizeof(log));
    assert_string_equal(log, expected_log);
    printf("push options over HTTP: %s", log);
}

static void test_push_options_ssh(void **state)
{
    (void)state;
    reset_value();
    advertise_push_options(true);
    unlink(env("EDDY_PUSH_OPTIONS_LOG"));
    static char key[8192], known[4096];
    size_t key_len = slurp(env("EDDY_GIT_SSH_KEY"), key, sizeof(key));
    size_t known_len = slurp(env("EDDY_GIT_SSH_KNOWN_HOSTS"), known, sizeof(known));
    struct edit_state st = {0};
    ed_source_secret_entry unused[2];
    ed_source_git_update_opts o = opts(&st, unused);
    ed_source_secret_entry secret[2] = {{"identity", key, key_len},
                                        {"known_hosts", known, known_len}};
    o.url = env("EDDY_PUSH_SSH_URL");
    o.secret = secret;
    o.secret_len = 2;
    o.push_options = push_opts;
    o.npush_options = 3;
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update over ssh: %s", err.msg);
    assert_true(res.committed);
    char log[512], head[64];
    slurp(env("EDDY_PUSH_OPTIONS_LOG"), log, sizeof(log));
    assert_string_equal(log, expected_log);
    sh("git ls-remote origin refs/heads/main | cut -f1", head, sizeof(head));
    assert_string_equal(head, res.commit);
    printf("push options over SSH: %s", log);
}

static void test_push_options_not_advertised(void **state)
{
    (void)state;
    reset_value();
    advertise_push_options(false);
    unlink(env("EDDY_PUSH_OPTIONS_LOG"));
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    o.push_options = push_opts;
    o.npush_options = 3;
    char before[64], after[64];
    sh("git ls-remote origin refs/heads/main | cut -f1", before, sizeof(before));
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_ERROR);
    assert_false(res.committed);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(err.msg, "the server does not accept push options (git.push.options)"));
    assert_non_null(strstr(err.msg, "receive.advertisePushOptions"));
    printf("not advertised: %s\n", err.msg);
    sh("git ls-remote origin refs/heads/main | cut -f1", after, sizeof(after));
    assert_string_equal(before, after); /* nothing pushed without the options */
    assert_int_equal(access(env("EDDY_PUSH_OPTIONS_LOG"), F_OK), -1); /* the hook never ran */
    /* Without push options the same server takes the push. */
    o.npush_options = 0;
    if (ed_source_git_update(cache, &o, &res, &err) != 0)
        fail_msg("update: %s", err.msg);
    assert_true(res.committed);
    advertise_push_options(true);
}

static void test_push_option_invalid(void **state)
{
    (void)state;
    reset_value();
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    const char *bad[] = {"ci.skip=", "two=lines\nthree"};
    o.push_options = bad;
    o.npush_options = 2;
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_git_update(cache, &o, &res, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "git.push.options"));
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An update against a stalling server with a 2 s timeout: ED_ETIMEOUT, in about 2 s. */
static void stalled(const char *url, const char *what)
{
    struct edit_state st = {0};
    ed_source_secret_entry secret[2];
    ed_source_git_update_opts o = opts(&st, secret);
    o.url = url;
    o.timeout_ms = 2000;
    ed_source_git_update_result res;
    ed_err err = ED_ERR_INIT;
    int64_t t0 = now_ms();
    int rc = ed_source_git_update(cache, &o, &res, &err);
    int64_t took = now_ms() - t0;
    printf("%s: %s (after %lld ms)\n", what, err.msg, (long long)took);
    assert_int_equal(rc, ED_ETIMEOUT);
    assert_non_null(strstr(err.msg, "timed out after 2s"));
    assert_non_null(strstr(err.msg, what));
    assert_false(res.committed);
    assert_true(took >= 1900 && took < 6000);
}

static void test_fetch_timeout(void **state)
{
    (void)state;
    stalled(env("EDDY_PUSH_STALL_FETCH_URL"), "fetch");
}

static void test_push_timeout(void **state)
{
    (void)state;
    stalled(env("EDDY_PUSH_STALL_PUSH_URL"), "push to");
}

static int setup(void **state)
{
    (void)state;
    snprintf(storage, sizeof(storage), "%s/../push-storage", env("EDDY_PUSH_WORK"));
    ed_err err = ED_ERR_INIT;
    if (ed_source_cache_open(&cache, storage, &err) != 0)
        fail_msg("cache: %s", err.msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ed_source_cache_free(cache);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejected_push_retried),
        cmocka_unit_test(test_nothing_changed_no_commit),
        cmocka_unit_test(test_refspec_other_branch),
        cmocka_unit_test(test_push_branch_once),
        cmocka_unit_test(test_checkout_tag),
        cmocka_unit_test(test_refused_by_hook),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_push_options_http),
        cmocka_unit_test(test_push_options_ssh),
        cmocka_unit_test(test_push_options_not_advertised),
        cmocka_unit_test(test_push_option_invalid),
        cmocka_unit_test(test_fetch_timeout),
        cmocka_unit_test(test_push_timeout),
    };
    return cmocka_run_group_tests_name("image_push", tests, setup, teardown);
}
