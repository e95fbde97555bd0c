/*
 * End-to-end tests of the source module's Git half against the real Git servers the e2e runner
 * starts (tests/e2e/source_test.sh prepares the repository and the bad credentials):
 * HTTP with basic auth, HTTPS with the test CA from the secret's `ca.crt`, SSH with an in-memory
 * key and known_hosts, and git daemon. Wrong passwords, untrusted CAs, unknown or changed host
 * keys are refused with ED_EAUTH and a message without secrets; an unchanged remote costs one
 * ref listing and no objects; a new commit arrives as a small delta; artifacts are stable
 * across builds and change with the content. A branch is fetched shallow over the network (the
 * tip's objects only); a commit ref deepens the cache to the history it needs. Timings are
 * printed for the record.
 *
 * Environment: the servers' variables (EDDY_GIT_*), EDDY_SOURCE_REPO (repository name),
 * EDDY_SOURCE_WORK (a clone to push new commits from), EDDY_SOURCE_OTHER_CA (a CA that did not
 * sign the server), EDDY_SOURCE_BAD_KNOWN_HOSTS (the server's host with another key),
 * EDDY_SOURCE_OTHER_KNOWN_HOSTS (another host only), EDDY_SOURCE_OTHER_KEY (a key the server
 * does not know), EDDY_SOURCE_OTHER_CA_KEY (the other CA's key, used as a stranger's client
 * certificate against git-mtls), EDDY_SOURCE_PROXY and EDDY_SOURCE_PROXY_LOG (the test proxy,
 * user pxuser, password pxpass, and its request log); EDDY_SOURCE_ONLY / EDDY_SOURCE_SKIP
 * (cmocka test name patterns).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char storage[512];
static ed_source_cache *cache;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set: run with tests/e2e/run source", name);
    return v;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    ed_buf b = ED_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return ed_buf_take(&b);
}

/* Run `/bin/sh -c cmd` in the work clone; its trimmed stdout goes to out (if not NULL). */
static void sh(char *out, size_t n, const char *cmd)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/.sh-out", storage);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_addchdir_np(&fa, env("EDDY_SOURCE_WORK"));
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
        size_t len = 0;
        char *s = slurp(path, &len);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
            s[--len] = '\0';
        snprintf(out, n, "%s", s);
        free(s);
    }
}

/* The secret data of one test: up to 4 keys, values read from files or given inline. */
typedef struct secret {
    ed_source_secret_entry e[4];
    char *owned[4];
    size_t n;
} secret;

static void secret_add(secret *s, const char *key, const char *value)
{
    s->e[s->n] = (ed_source_secret_entry){key, value, strlen(value)};
    s->n++;
}

static void secret_add_file(secret *s, const char *key, const char *path)
{
    size_t len = 0;
    char *v = slurp(path, &len);
    s->owned[s->n] = v;
    s->e[s->n] = (ed_source_secret_entry){key, v, len};
    s->n++;
}

static void secret_free(secret *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->owned[i]);
}

static char *repo_url(const char *base_var)
{
    return ed_xasprintf("%s/%s.git", env(base_var), env("EDDY_SOURCE_REPO"));
}

/* The proxy secret every fetch uses (test_proxy sets it), or NULL. */
static const secret *proxy;

static int fetch_ref(const char *url, const secret *s, ed_source_git_ref ref,
                     ed_source_git_result *res, ed_err *err)
{
    ed_source_git_fetch_opts o = {.url = url, .ref = ref};
    if (s) {
        o.secret = s->e;
        o.secret_len = s->n;
    }
    if (proxy) {
        o.proxy = proxy->e;
        o.proxy_len = proxy->n;
    }
    ed_err_clear(err);
    return ed_source_git_fetch(cache, &o, res, err);
}

static int fetch(const char *url, const secret *s, ed_source_git_result *res, ed_err *err)
{
    return fetch_ref(url, s, (ed_source_git_ref){.branch = "main"}, res, err);
}

static void expect_head(const ed_source_git_result *res)
{
    char head[64], want[128];
    sh(head, sizeof(head), "git rev-parse HEAD");
    snprintf(want, sizeof(want), "main@sha1:%s", head);
    assert_string_equal(res->revision, want);
}

static int fresh_cache(void **state)
{
    (void)state;
    snprintf(storage, sizeof(storage), "%s/storage", env("EDDY_E2E_SCRATCH"));
    ed_err err = ED_ERR_INIT;
    if (ed_source_cache_open(&cache, storage, &err) != 0)
        fail_msg("cache: %s", err.msg);
    return 0;
}

static int close_cache(void **state)
{
    (void)state;
    ed_source_cache_free(cache);
    cache = NULL;
    return 0;
}

/* First fetch, unchanged fetch, new commit, on one protocol; prints the timings. */
static void incremental(const char *proto, const char *url, const secret *s)
{
    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    int64_t t0 = ed_time_mono_ms();
    if (fetch(url, s, &res, &err) != 0)
        fail_msg("%s first fetch: %s", proto, err.msg);
    int64_t first = ed_time_mono_ms() - t0;
    assert_true(res.fetched);
    expect_head(&res);
    uint64_t first_objects = res.received_objects;

    t0 = ed_time_mono_ms();
    if (fetch(url, s, &res, &err) != 0)
        fail_msg("%s second fetch: %s", proto, err.msg);
    int64_t unchanged = ed_time_mono_ms() - t0;
    /* One ref listing, nothing transferred. */
    assert_false(res.fetched);
    assert_int_equal(res.ref_listings, 1);
    assert_int_equal(res.received_objects, 0);
    expect_head(&res);

    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "echo %s-$$ >> changes.txt && git add changes.txt && git commit -qm %s && "
             "git push -q origin HEAD:main",
             proto, proto);
    sh(NULL, 0, cmd);
    t0 = ed_time_mono_ms();
    if (fetch(url, s, &res, &err) != 0)
        fail_msg("%s delta fetch: %s", proto, err.msg);
    int64_t delta = ed_time_mono_ms() - t0;
    assert_true(res.fetched);
    expect_head(&res);
    /* The commit, its tree and the changed blob. */
    assert_true(res.received_objects <= 3);
    printf("%-6s first fetch %4lld ms (%llu objects), unchanged %3lld ms (0 objects), "
           "new commit %3lld ms (%llu objects)\n",
           proto, (long long)first, (unsigned long long)first_objects, (long long)unchanged,
           (long long)delta, (unsigned long long)res.received_objects);
}

static void test_http_basic_auth(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_HTTP_URL");
    secret s = {0};
    secret_add(&s, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&s, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    incremental("http", url, &s);

    /* Wrong password: an auth error that names neither password. */
    secret bad = {0};
    secret_add(&bad, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&bad, "password", "not-the-password-x9");
    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(fetch(url, &bad, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "unable to clone '"));
    assert_non_null(strstr(err.msg, "': authentication required"));
    assert_null(strstr(err.msg, "not-the-password-x9"));
    assert_null(strstr(err.msg, env("EDDY_GIT_HTTP_PASSWORD")));
    /* No secret at all. */
    assert_int_equal(fetch(url, NULL, &res, &err), ED_EAUTH);
    /* A bearer token is sent as a header; this server only knows basic auth. */
    secret bearer = {0};
    secret_add(&bearer, "bearerToken", "tok-abc");
    assert_int_equal(fetch(url, &bearer, &res, &err), ED_EAUTH);
    assert_null(strstr(err.msg, "tok-abc"));
    /* A commit the shared cache already holds is still read with the fetcher's own
     * credentials: without them (another tenant's GitRepository of the same URL), refused. */
    char head[64];
    sh(head, sizeof(head), "git rev-parse HEAD");
    ed_source_git_ref pinned = {.commit = head};
    assert_int_equal(fetch_ref(url, NULL, pinned, &res, &err), ED_EAUTH);
    assert_int_equal(fetch_ref(url, &bad, pinned, &res, &err), ED_EAUTH);
    if (fetch_ref(url, &s, pinned, &res, &err) != 0)
        fail_msg("pinned commit: %s", err.msg);
    assert_int_equal(res.ref_listings, 1);
    assert_false(res.fetched);
    secret_free(&s);
    free(url);
}

static void test_https_ca(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_HTTPS_URL");
    secret s = {0};
    secret_add(&s, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&s, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&s, "ca.crt", env("EDDY_GIT_HTTPS_CA"));
    incremental("https", url, &s);

    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    /* Without the CA, and with a CA that did not sign the server: refused. */
    secret noca = {0};
    secret_add(&noca, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&noca, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    assert_int_equal(fetch(url, &noca, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "unknown authority"));
    secret other = {0};
    secret_add(&other, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&other, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&other, "ca.crt", env("EDDY_SOURCE_OTHER_CA"));
    assert_int_equal(fetch(url, &other, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "unknown authority"));
    assert_null(strstr(err.msg, env("EDDY_GIT_HTTP_PASSWORD")));
    /* Flux's older key for the CA, caFile, when ca.crt is absent. */
    secret legacy = {0};
    secret_add(&legacy, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&legacy, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&legacy, "caFile", env("EDDY_GIT_HTTPS_CA"));
    if (fetch(url, &legacy, &res, &err) != 0)
        fail_msg("caFile: %s", err.msg);
    /* A password without a username: refused before any connection, as Flux does. */
    secret nouser = {0};
    secret_add(&nouser, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&nouser, "ca.crt", env("EDDY_GIT_HTTPS_CA"));
    assert_int_equal(fetch(url, &nouser, &res, &err), ED_EAUTH);
    assert_string_equal(err.msg,
                        "invalid 'https' auth option: 'password' requires 'username' to be set");
    secret_free(&legacy);
    secret_free(&nouser);
    secret_free(&other);
    secret_free(&s);
    free(url);
}

/* Mutual TLS through the libcurl transport: the same no-op and delta costs as libgit2's own. */
static void test_mtls(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_MTLS_URL");
    secret s = {0};
    secret_add_file(&s, "ca.crt", env("EDDY_GIT_MTLS_CA"));
    secret_add_file(&s, "tls.crt", env("EDDY_GIT_MTLS_CLIENT_CERT"));
    secret_add_file(&s, "tls.key", env("EDDY_GIT_MTLS_CLIENT_KEY"));
    incremental("mtls", url, &s);

    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    /* A certificate the server's CA did not sign. */
    secret stranger = {0};
    secret_add_file(&stranger, "ca.crt", env("EDDY_GIT_MTLS_CA"));
    secret_add_file(&stranger, "tls.crt", env("EDDY_SOURCE_OTHER_CA"));
    secret_add_file(&stranger, "tls.key", env("EDDY_SOURCE_OTHER_CA_KEY"));
    assert_int_equal(fetch(url, &stranger, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "client certificate"));
    assert_null(strstr(err.msg, "PRIVATE KEY"));
    /* The server's certificate checked against another CA. */
    secret wrong_ca = {0};
    secret_add_file(&wrong_ca, "ca.crt", env("EDDY_SOURCE_OTHER_CA"));
    secret_add_file(&wrong_ca, "tls.crt", env("EDDY_GIT_MTLS_CLIENT_CERT"));
    secret_add_file(&wrong_ca, "tls.key", env("EDDY_GIT_MTLS_CLIENT_KEY"));
    assert_int_equal(fetch(url, &wrong_ca, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "unknown authority"));
    /* tls.key alone. */
    secret half = {0};
    secret_add_file(&half, "tls.key", env("EDDY_GIT_MTLS_CLIENT_KEY"));
    assert_int_equal(fetch(url, &half, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "'tls.crt' and 'tls.key' go together"));
    secret_free(&half);
    secret_free(&wrong_ca);
    secret_free(&stranger);
    secret_free(&s);
    free(url);
}

/* A forward proxy with basic auth (tests/e2e/gitproxy.py): HTTP forwarded, HTTPS tunnelled. */
static void test_proxy(void **state)
{
    (void)state;
    secret p = {0};
    secret_add(&p, "address", env("EDDY_SOURCE_PROXY"));
    secret_add(&p, "username", "pxuser");
    secret_add(&p, "password", "pxpass");
    proxy = &p;
    char *url = repo_url("EDDY_GIT_HTTP_URL");
    secret s = {0};
    secret_add(&s, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&s, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    incremental("proxy", url, &s);
    char *tls_url = repo_url("EDDY_GIT_HTTPS_URL");
    secret t = {0};
    secret_add(&t, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&t, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&t, "ca.crt", env("EDDY_GIT_HTTPS_CA"));
    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    if (fetch(tls_url, &t, &res, &err) != 0)
        fail_msg("https through the proxy: %s", err.msg);
    expect_head(&res);
    size_t len = 0;
    char *log = slurp(env("EDDY_SOURCE_PROXY_LOG"), &len);
    char want[600];
    snprintf(want, sizeof(want), "POST %s/git-upload-pack 200", url);
    assert_non_null(strstr(log, want));
    const char *hostport = env("EDDY_GIT_HTTPS_URL") + strlen("https://");
    snprintf(want, sizeof(want), "CONNECT %.*s 200", (int)strcspn(hostport, "/"), hostport);
    assert_non_null(strstr(log, want));
    free(log);

    /* Wrong proxy credentials: refused, and the password is not told. */
    secret wrong = {0};
    secret_add(&wrong, "address", env("EDDY_SOURCE_PROXY"));
    secret_add(&wrong, "username", "pxuser");
    secret_add(&wrong, "password", "proxy-secret-x7");
    proxy = &wrong;
    assert_int_equal(fetch(url, &s, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "proxy refused the credentials"));
    assert_null(strstr(err.msg, "proxy-secret-x7"));
    /* The same over CONNECT, with a client certificate that must not be blamed. */
    char *mtls_url = repo_url("EDDY_GIT_MTLS_URL");
    secret m = {0};
    secret_add_file(&m, "ca.crt", env("EDDY_GIT_MTLS_CA"));
    secret_add_file(&m, "tls.crt", env("EDDY_GIT_MTLS_CLIENT_CERT"));
    secret_add_file(&m, "tls.key", env("EDDY_GIT_MTLS_CLIENT_KEY"));
    assert_int_equal(fetch(mtls_url, &m, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "proxy refused the credentials"));
    proxy = &p;
    if (fetch(mtls_url, &m, &res, &err) != 0)
        fail_msg("mTLS through the proxy: %s", err.msg);
    expect_head(&res);
    proxy = &wrong;
    secret_free(&m);
    free(mtls_url);
    /* A proxy secret without an address. */
    secret noaddr = {0};
    secret_add(&noaddr, "username", "pxuser");
    proxy = &noaddr;
    assert_int_equal(fetch(url, &s, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "'address' is required"));
    proxy = NULL;
    secret_free(&t);
    secret_free(&s);
    free(tls_url);
    free(url);
}

/* Proxy log lines written since offset *seen (which moves on), or "" (malloc'd). */
static char *proxy_log_since(size_t *seen)
{
    size_t len = 0;
    char *log = slurp(env("EDDY_SOURCE_PROXY_LOG"), &len);
    char *since = strdup(len > *seen ? log + *seen : "");
    *seen = len;
    free(log);
    return since;
}

/* No proxy Secret: the environment's proxy, as Flux's controllers take it (https_proxy,
 * http_proxy, no_proxy); with userinfo for the proxy's basic auth. */
static void test_env_proxy(void **state)
{
    (void)state;
    const char *p = env("EDDY_SOURCE_PROXY");
    char proxy_url[300];
    snprintf(proxy_url, sizeof(proxy_url), "http://pxuser:pxpass@%s", p + strlen("http://"));
    size_t seen = 0;
    free(proxy_log_since(&seen));
    setenv("http_proxy", proxy_url, 1);
    setenv("https_proxy", proxy_url, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");

    char *url = repo_url("EDDY_GIT_HTTP_URL");
    secret s = {0};
    secret_add(&s, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&s, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    if (fetch(url, &s, &res, &err) != 0)
        fail_msg("http through the environment's proxy: %s", err.msg);
    expect_head(&res);
    char *log = proxy_log_since(&seen), want[600];
    snprintf(want, sizeof(want), "GET %s/info/refs?service=git-upload-pack 200", url);
    if (!strstr(log, want))
        fail_msg("not through the proxy: %s", log);
    free(log);

    /* HTTPS (libgit2's transport) and mutual TLS (eddy's libcurl one): CONNECT tunnels. */
    char *tls_url = repo_url("EDDY_GIT_HTTPS_URL");
    secret t = {0};
    secret_add(&t, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&t, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    secret_add_file(&t, "ca.crt", env("EDDY_GIT_HTTPS_CA"));
    if (fetch(tls_url, &t, &res, &err) != 0)
        fail_msg("https through the environment's proxy: %s", err.msg);
    expect_head(&res);
    char *mtls_url = repo_url("EDDY_GIT_MTLS_URL");
    secret m = {0};
    secret_add_file(&m, "ca.crt", env("EDDY_GIT_MTLS_CA"));
    secret_add_file(&m, "tls.crt", env("EDDY_GIT_MTLS_CLIENT_CERT"));
    secret_add_file(&m, "tls.key", env("EDDY_GIT_MTLS_CLIENT_KEY"));
    if (fetch(mtls_url, &m, &res, &err) != 0)
        fail_msg("mTLS through the environment's proxy: %s", err.msg);
    expect_head(&res);
    log = proxy_log_since(&seen);
    const char *urls[] = {env("EDDY_GIT_HTTPS_URL"), env("EDDY_GIT_MTLS_URL")};
    for (int i = 0; i < 2; i++) {
        const char *hostport = urls[i] + strlen("https://");
        snprintf(want, sizeof(want), "CONNECT %.*s 200", (int)strcspn(hostport, "/"), hostport);
        if (!strstr(log, want))
            fail_msg("%s not tunnelled: %s", urls[i], log);
    }
    free(log);

    /* no_proxy: straight to the server. */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    if (fetch(url, &s, &res, &err) != 0 || fetch(mtls_url, &m, &res, &err) != 0)
        fail_msg("no_proxy: %s", err.msg);
    log = proxy_log_since(&seen);
    assert_string_equal(log, "");
    free(log);
    unsetenv("no_proxy");
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    secret_free(&m);
    secret_free(&t);
    secret_free(&s);
    free(mtls_url);
    free(tls_url);
    free(url);
}

static void test_ssh_known_hosts(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_SSH_URL");
    secret s = {0};
    secret_add_file(&s, "identity", env("EDDY_GIT_SSH_KEY"));
    secret_add_file(&s, "known_hosts", env("EDDY_GIT_SSH_KNOWN_HOSTS"));
    incremental("ssh", url, &s);

    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    /* The host with another key, and a known_hosts without the host: refused. */
    secret bad = {0};
    secret_add_file(&bad, "identity", env("EDDY_GIT_SSH_KEY"));
    secret_add_file(&bad, "known_hosts", env("EDDY_SOURCE_BAD_KNOWN_HOSTS"));
    assert_int_equal(fetch(url, &bad, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "ssh: handshake failed: knownhosts: key mismatch"));
    secret unknown = {0};
    secret_add_file(&unknown, "identity", env("EDDY_GIT_SSH_KEY"));
    secret_add_file(&unknown, "known_hosts", env("EDDY_SOURCE_OTHER_KNOWN_HOSTS"));
    assert_int_equal(fetch(url, &unknown, &res, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "ssh: handshake failed: knownhosts: key is unknown"));
    /* A key the server does not accept. */
    secret wrongkey = {0};
    secret_add_file(&wrongkey, "identity", env("EDDY_SOURCE_OTHER_KEY"));
    secret_add_file(&wrongkey, "known_hosts", env("EDDY_GIT_SSH_KNOWN_HOSTS"));
    assert_int_equal(fetch(url, &wrongkey, &res, &err), ED_EAUTH);
    assert_null(strstr(err.msg, "PRIVATE KEY"));
    /* No known_hosts at all is a configuration error, with Flux's message. */
    secret nokh = {0};
    secret_add_file(&nokh, "identity", env("EDDY_GIT_SSH_KEY"));
    assert_int_equal(fetch(url, &nokh, &res, &err), ED_EAUTH);
    assert_string_equal(err.msg, "invalid 'ssh' auth option: 'known_hosts' is required");
    secret_free(&bad);
    secret_free(&unknown);
    secret_free(&wrongkey);
    secret_free(&nokh);
    secret_free(&s);
    free(url);
}

static void test_git_daemon_and_artifacts(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_DAEMON_URL");
    incremental("daemon", url, NULL);

    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(fetch(url, NULL, &res, &err), 0);
    char a1[600], a2[600];
    snprintf(a1, sizeof(a1), "%s/a1.tar.gz", storage);
    snprintf(a2, sizeof(a2), "%s/a2.tar.gz", storage);
    ed_source_artifact_info i1, i2;
    if (ed_source_git_artifact_build(cache, url, res.commit, NULL, a1, &i1, &err) != 0)
        fail_msg("artifact: %s", err.msg);
    assert_int_equal(ed_source_git_artifact_build(cache, url, res.commit, NULL, a2, &i2, &err), 0);
    assert_string_equal(i1.digest, i2.digest);
    printf("artifact %s (%lld bytes) for %s\n", i1.digest, (long long)i1.size, res.revision);

    sh(NULL, 0,
       "echo changed-$$ > deploy.yaml && git commit -qam content && git push -q origin HEAD:main");
    assert_int_equal(fetch(url, NULL, &res, &err), 0);
    assert_int_equal(ed_source_git_artifact_build(cache, url, res.commit, NULL, a2, &i2, &err), 0);
    assert_string_not_equal(i1.digest, i2.digest);

    /* Another branch that does not exist on the server. */
    ed_source_git_fetch_opts o = {.url = url, .ref = {.branch = "nope"}};
    assert_int_equal(ed_source_git_fetch(cache, &o, &res, &err), ED_ENOTFOUND);
    free(url);
}

/* True when the cache's repository of url is shallow. */
static bool cache_shallow(ed_source_cache *c, const char *url)
{
    git_repository *repo = NULL;
    int lock_fd = -1;
    ed_err err = ED_ERR_INIT;
    if (ed_source_cache_repo_open(c, url, &repo, &lock_fd, &err) != 0)
        fail_msg("open cache: %s", err.msg);
    bool shallow = git_repository_is_shallow(repo) == 1;
    git_repository_free(repo);
    close(lock_fd);
    return shallow;
}

static void test_shallow_history(void **state)
{
    (void)state;
    char *url = repo_url("EDDY_GIT_HTTP_URL");
    secret s = {0};
    secret_add(&s, "username", env("EDDY_GIT_HTTP_USER"));
    secret_add(&s, "password", env("EDDY_GIT_HTTP_PASSWORD"));
    /* A cache of its own: the other tests fetched this URL already. */
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/shallow-storage", env("EDDY_E2E_SCRATCH"));
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, dir, &err), 0);
    char tip_objects[32], all_objects[32], old[64], head[64];
    /* The commit, its root tree, and every tree and blob below. */
    sh(tip_objects, sizeof(tip_objects), "echo $(( $(git ls-tree -rt HEAD | wc -l) + 2 ))");
    sh(all_objects, sizeof(all_objects), "git rev-list --objects HEAD | wc -l");
    sh(old, sizeof(old), "git rev-parse HEAD~5");
    sh(head, sizeof(head), "git rev-parse HEAD");

    /* A branch: the tip's commit, trees and blobs only, and the cache is shallow. */
    ed_source_git_fetch_opts o = {
        .url = url, .ref = {.branch = "main"}, .secret = s.e, .secret_len = s.n};
    ed_source_git_result res;
    if (ed_source_git_fetch(c, &o, &res, &err) != 0)
        fail_msg("shallow fetch: %s", err.msg);
    assert_int_equal(res.received_objects, strtoull(tip_objects, NULL, 10));
    assert_true(res.received_objects < strtoull(all_objects, NULL, 10));
    assert_true(cache_shallow(c, url));
    assert_string_equal(res.commit, head);

    /* A commit of the branch's history below the shallow tip: the cache is deepened. */
    o.ref.commit = old;
    if (ed_source_git_fetch(c, &o, &res, &err) != 0)
        fail_msg("commit in branch: %s", err.msg);
    assert_string_equal(res.commit, old);
    assert_false(cache_shallow(c, url));
    /* A commit alone, now in the cache: no transfer. */
    o.ref.branch = NULL;
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), 0);
    assert_false(res.fetched);
    assert_string_equal(res.commit, old);

    /* The branch again: unchanged, one ref listing; then a new commit arrives as a delta, and
     * the cache keeps its history (libgit2 1.8 cannot fetch shallow into it), so the pinned
     * commit is still found without a transfer. */
    o.ref.branch = "main";
    o.ref.commit = NULL;
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), 0);
    assert_false(res.fetched);
    assert_int_equal(res.ref_listings, 1);
    sh(NULL, 0,
       "echo shallow-$$ >> changes.txt && git add changes.txt && git commit -qm shallow && "
       "git push -q origin HEAD:main");
    if (ed_source_git_fetch(c, &o, &res, &err) != 0)
        fail_msg("shallow fetch into a deepened cache: %s", err.msg);
    assert_true(res.fetched);
    assert_true(res.received_objects <= 3);
    assert_false(cache_shallow(c, url));
    o.ref.commit = old;
    if (ed_source_git_fetch(c, &o, &res, &err) != 0)
        fail_msg("commit in branch after a shallow fetch: %s", err.msg);
    assert_false(res.fetched);
    assert_string_equal(res.commit, old);
    /* A commit that is not in the branch stays not found. */
    o.ref.commit = "0123456789012345678901234567890123456789";
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    ed_source_cache_free(c);

    /* Many tags into one shallow cache: past 16 refs the cache is deepened once and fetched
     * whole from then on; every fetch works (libgit2 1.8 breaks on a shallow fetch whose first
     * round of haves is full). */
    snprintf(dir, sizeof(dir), "%s/shallow-tags-storage", env("EDDY_E2E_SCRATCH"));
    assert_int_equal(ed_source_cache_open(&c, dir, &err), 0);
    sh(NULL, 0,
       "for i in $(seq 1 20); do git tag -f st$i HEAD~$i >/dev/null; done && "
       "git push -q -f origin 'refs/tags/st*'");
    o.ref.branch = NULL;
    o.ref.commit = NULL;
    char tag[16];
    for (int i = 1; i <= 20; i++) {
        snprintf(tag, sizeof(tag), "st%d", i);
        o.ref.tag = tag;
        if (ed_source_git_fetch(c, &o, &res, &err) != 0)
            fail_msg("tag %s: %s", tag, err.msg);
        /* A fetch into a cache of up to 16 refs is shallow. */
        assert_int_equal(cache_shallow(c, url), i <= 17);
    }
    o.ref.tag = NULL;
    o.ref.branch = "main";
    sh(NULL, 0,
       "echo tags-$$ >> changes.txt && git commit -qam tags && git push -q origin HEAD:main");
    if (ed_source_git_fetch(c, &o, &res, &err) != 0)
        fail_msg("branch after many tags: %s", err.msg);
    /* Two commits the cache lacks (st1 is HEAD~2 now), each with its root tree and blob. */
    assert_true(res.received_objects <= 6);
    sh(head, sizeof(head), "git rev-parse HEAD");
    assert_string_equal(res.commit, head);
    ed_source_cache_free(c);
    secret_free(&s);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_basic_auth, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_https_ca, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_mtls, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_proxy, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_env_proxy, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_ssh_known_hosts, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_git_daemon_and_artifacts, fresh_cache, close_cache),
        cmocka_unit_test_setup_teardown(test_shallow_history, fresh_cache, close_cache),
    };
    /* source_test.sh runs the ssh test on its own, with libgit2 1.5.1's ssh leaks suppressed. */
    const char *only = getenv("EDDY_SOURCE_ONLY"), *skip = getenv("EDDY_SOURCE_SKIP");
    if (only && *only)
        cmocka_set_test_filter(only);
    if (skip && *skip)
        cmocka_set_skip_filter(skip);
    return cmocka_run_group_tests_name("source_git", tests, NULL, NULL);
}
