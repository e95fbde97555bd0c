/*
 * Unit tests of the source module: Flux's revision strings, URL normalisation (the cache key),
 * known_hosts matching (plain, hashed, [host]:port), gitignore rules with Flux's defaults, semver
 * ranges, and,
 * against local repositories made with the git CLI in a temp dir (file:// URLs), the cache
 * (no fetch when unchanged, delta fetch, corrupt cache rebuilt, concurrent fetches), ref
 * resolution, checkout with ignore rules, deterministic archives and safe unpacking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* ---- helpers ---- */

extern char **environ;
static char tmp_root[256];

/* Start `/bin/sh -c cmd` (tests only; src/ never shells out), its stdout to out_fd if >= 0,
 * and return its exit status. */
static int run_sh(const char *cmd, int out_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char cmd[4096];
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (run_sh(cmd, -1) != 0)
        fail_msg("command failed: %s", cmd);
}

/* The output of a shell command, trimmed. */
static void sh_out(char *out, size_t n, const char *cmd)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/.out", tmp_root);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    int rc = run_sh(cmd, fd);
    close(fd);
    if (rc != 0)
        fail_msg("command failed: %s", cmd);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(out, 1, n - 1, f);
    fclose(f);
    out[len] = '\0';
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
}

void git_hermetic(void)
{
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
    setenv("GIT_AUTHOR_NAME", "t", 1);
    setenv("GIT_AUTHOR_EMAIL", "t@t.invalid", 1);
    setenv("GIT_COMMITTER_NAME", "t", 1);
    setenv("GIT_COMMITTER_EMAIL", "t@t.invalid", 1);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    ed_buf b = ED_BUF_INIT(64 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return ed_buf_take(&b);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/eddy-source-test.XXXXXX");
    assert_non_null(mkdtemp(tmp_root));
    git_hermetic();
    return 0;
}

static int teardown_tmp(void **state)
{
    (void)state;
    ed_path_remove_tree(tmp_root);
    return 0;
}

/* A work tree at <tmp>/<name> with one commit on main; returns its file:// URL. */
static void make_repo(const char *name, char *url, size_t n)
{
    sh("cd %s && git init -q -b main %s && cd %s && echo one > a.txt && git add . && "
       "git commit -qm one",
       tmp_root, name, name);
    snprintf(url, n, "file://%s/%s", tmp_root, name);
}

static void head_of(const char *name, const char *rev, char out[41])
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "git -C %s/%s rev-parse %s", tmp_root, name, rev);
    sh_out(out, 41, cmd);
}

/* ---- pure parts ---- */

static void test_revision_format(void **state)
{
    (void)state;
    const char *hex = "0123456789abcdef0123456789abcdef01234567";
    char out[320];
    ed_source_revision_format("refs/heads/main", false, hex, out, sizeof(out));
    assert_string_equal(out, "main@sha1:0123456789abcdef0123456789abcdef01234567");
    ed_source_revision_format("refs/heads/feature/x", false, hex, out, sizeof(out));
    assert_string_equal(out, "feature/x@sha1:0123456789abcdef0123456789abcdef01234567");
    ed_source_revision_format("refs/tags/v1.0.0", false, hex, out, sizeof(out));
    assert_string_equal(out, "v1.0.0@sha1:0123456789abcdef0123456789abcdef01234567");
    ed_source_revision_format("refs/pull/420/head", true, hex, out, sizeof(out));
    assert_string_equal(out, "refs/pull/420/head@sha1:0123456789abcdef0123456789abcdef01234567");
    ed_source_revision_format(NULL, false, hex, out, sizeof(out));
    assert_string_equal(out, "sha1:0123456789abcdef0123456789abcdef01234567");
}

static void check_norm(const char *url, const char *want)
{
    char *out = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_url_normalize(url, &out, &err), 0);
    assert_string_equal(out, want);
    free(out);
}

static void test_url_normalize(void **state)
{
    (void)state;
    check_norm("https://Example.COM:443/org/repo/", "https://example.com/org/repo");
    check_norm("HTTPS://user:secret@example.com/org/repo.git", "https://example.com/org/repo.git");
    check_norm("http://127.0.0.1:8080/git/a.git", "http://127.0.0.1:8080/git/a.git");
    check_norm("ssh://git@github.com:22/org/repo", "ssh://github.com/org/repo");
    check_norm("ssh://git@[::1]:2222/r", "ssh://[::1]:2222/r");
    check_norm("git://host/r", "git://host/r");
    check_norm("file:///tmp/x/", "file:///tmp/x");
    ed_err err = ED_ERR_INIT;
    char *out = NULL;
    /* git's scp-like syntax: ssh on port 22, the path relative to the home directory unless
     * absolute (kept apart from ssh://host/repo, an absolute path). */
    check_norm("git@GitHub.com:org/repo.git", "ssh://github.com/~/org/repo.git");
    check_norm("host:/srv/r.git", "ssh://host/srv/r.git");
    check_norm("me@host:~other/r.git", "ssh://host/~other/r.git");
    check_norm("git@[::1]:r.git", "ssh://[::1]/~/r.git");
    const char *not_urls[] = {"org/repo:x", "host:", ":path", "/abs/path", "rel/path", "a@:x"};
    for (size_t i = 0; i < sizeof(not_urls) / sizeof(*not_urls); i++)
        assert_int_equal(ed_source_url_normalize(not_urls[i], &out, &err), ED_EINVALID);
    assert_int_equal(ed_source_url_normalize("ftp://h/r", &out, &err), ED_EINVALID);
    assert_int_equal(ed_source_url_normalize("https://h:99999/r", &out, &err), ED_EINVALID);
    assert_int_equal(ed_source_url_normalize("https://user:pw@:1/r", &out, &err), ED_EINVALID);
    assert_null(strstr(err.msg, "pw"));
    /* The parsed user is kept for ssh, the password never. */
    ed_source_url u;
    assert_int_equal(ed_source_url_parse("ssh://root@127.0.0.1:2222/srv/r.git", &u, &err), 0);
    assert_string_equal(u.user, "root");
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 2222);
    assert_string_equal(u.path, "/srv/r.git");
    ed_source_url_clear(&u);
    assert_int_equal(ed_source_url_parse("git@github.com:org/repo.git", &u, &err), 0);
    assert_string_equal(u.scheme, "ssh");
    assert_string_equal(u.user, "git");
    assert_string_equal(u.host, "github.com");
    assert_int_equal(u.port, 22);
    ed_source_url_clear(&u);
    /* In messages: the spec's URL as written (Flux repeats it), less the password only. */
    static const char *const shown[][2] = {
        {"ssh://git@github.com/org/repo", "ssh://git@github.com/org/repo"},
        {"https://me:s3cret@Example.com:8443/r.git/", "https://me@Example.com:8443/r.git/"},
        {"https://:tok@h/r", "https://@h/r"},
        {"https://h/a@b:c", "https://h/a@b:c"},
        {"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
    };
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        char *d = ed_source_url_display(shown[i][0]);
        assert_string_equal(d, shown[i][1]);
        free(d);
    }
}

/* The controllers take only Flux's transports, whatever the CRD let through. */
static void test_transport_check(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    static const char *const ok[] = {"https://h/r.git", "http://h:8080/r", "ssh://git@h/r",
                                     "git@github.com:org/repo.git", "HTTPS://H/r"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(ed_source_git_transport_check(ok[i], &err), 0);
    static const char *const refused[][2] = {{"file:///var/lib/eddy/cache/x", "file"},
                                             {"git://h/r.git", "git"},
                                             {"FILE:///etc", "file"}};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(ed_source_git_transport_check(refused[i][0], &err), ED_EAUTH);
        char want[64];
        snprintf(want, sizeof(want), "unknown transport '%s'", refused[i][1]);
        assert_string_equal(err.msg, want);
    }
    assert_int_equal(ed_source_git_transport_check("ftp://h/r", &err), ED_EINVALID);
    /* The fetch options' check refuses it before any secret is looked at. */
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = "file:///tmp/r.git";
    assert_int_equal(ed_source_git_auth_check(&fo, &err), ED_EAUTH);
    assert_string_equal(err.msg, "unknown transport 'file'");
}

static void check_submodule(const char *parent, const char *raw, const char *want,
                            bool want_same_origin)
{
    char *url = NULL;
    bool same = !want_same_origin;
    ed_err err = ED_ERR_INIT;
    if (ed_source_submodule_url(parent, raw, "sub", &url, &same, &err) != 0)
        fail_msg("%s below %s: %s", raw, parent, err.msg);
    assert_string_equal(url, want);
    if (same != want_same_origin)
        fail_msg("%s below %s: same origin %d", raw, parent, same);
    free(url);
}

/* Submodule URLs: relative ones resolved against the parent, scp-like ones on either side, and
 * which get the parent's credentials (same scheme, host and port). */
static void test_submodule_urls(void **state)
{
    (void)state;
    check_submodule("ssh://git@github.com/org/app.git", "git@github.com:org/lib.git",
                    "git@github.com:org/lib.git", true);
    check_submodule("ssh://git@github.com:22/org/app.git", "github.com:org/lib.git",
                    "github.com:org/lib.git", true);
    check_submodule("ssh://git@github.com/org/app.git", "../lib.git",
                    "ssh://git@github.com/org/lib.git", true);
    check_submodule("git@github.com:org/app.git", "../lib.git", "git@github.com:org/lib.git", true);
    check_submodule("git@github.com:org/app.git", "../../x/lib.git", "git@github.com:x/lib.git",
                    true);
    check_submodule("git@host:app.git", "./sub/lib.git", "git@host:app.git/sub/lib.git", true);
    check_submodule("https://host/org/app.git", "../lib.git", "https://host/org/lib.git", true);
    check_submodule("https://host/app.git", "../../lib.git", "https://host/lib.git", true);
    /* Another port, scheme or host: no credentials. */
    check_submodule("ssh://git@host:2222/app.git", "git@host:lib.git", "git@host:lib.git", false);
    check_submodule("https://github.com/org/app.git", "git@github.com:org/lib.git",
                    "git@github.com:org/lib.git", false);
    check_submodule("ssh://git@github.com/org/app.git", "git@gitlab.com:org/lib.git",
                    "git@gitlab.com:org/lib.git", false);
    /* Refused: a file:// submodule below another scheme, something that is not a URL. */
    char *url = NULL;
    bool same = true;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(
        ed_source_submodule_url("git@host:app.git", "file:///etc", "s", &url, &same, &err),
        ED_EINVALID);
    assert_false(same);
    free(url);
    assert_int_equal(
        ed_source_submodule_url("https://host/app.git", "lib/x.git", "s", &url, &same, &err),
        ED_EINVALID);
    free(url);
}

/* The key of /tmp/khtest/k.pub and another key, as SSH wire blobs. */
static const char key1_b64[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIL4Fnp7TMfvXJXp9vWmRii3VGWG7YgmOtPvrgapJdMmy";
static const char key2_b64[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIBQYd2D+kWQ7YQNvNExgPz3iVo0S0vhMknitb/p79Kky";

static size_t decode(const char *b64, unsigned char *out)
{
    /* 68 base64 chars with one '=' of padding decode to 51 bytes. */
    ED_ASSERT(strlen(b64) == 68);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = b64; *p && *p != '='; p++) {
        acc = (acc << 6) | (uint32_t)(strchr(tbl, *p) - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

static void test_known_hosts(void **state)
{
    (void)state;
    unsigned char k1[64], k2[64];
    size_t n1 = decode(key1_b64, k1), n2 = decode(key2_b64, k2);
    assert_int_equal(n1, 51);
    char plain[512];
    snprintf(plain, sizeof(plain), "# comment\n\n[127.0.0.1]:2222 ssh-ed25519 %s\n", key1_b64);
    assert_int_equal(ed_source_known_hosts_check(plain, strlen(plain), "127.0.0.1", 2222, k1, n1),
                     0);
    /* Another key for the same host is refused; a host without a line is unknown. */
    assert_int_equal(ed_source_known_hosts_check(plain, strlen(plain), "127.0.0.1", 2222, k2, n2),
                     ED_EAUTH);
    assert_int_equal(ed_source_known_hosts_check(plain, strlen(plain), "127.0.0.1", 22, k1, n1),
                     ED_ENOTFOUND);
    /* Comma-separated patterns, default port written without brackets. */
    snprintf(plain, sizeof(plain), "github.com,140.82.1.1 ssh-ed25519 %s\n", key2_b64);
    assert_int_equal(ed_source_known_hosts_check(plain, strlen(plain), "140.82.1.1", 22, k2, n2),
                     0);
    /* Hashed entry made by `ssh-keygen -H` for [127.0.0.1]:2222. */
    char hashed[512];
    snprintf(hashed, sizeof(hashed),
             "|1|08z01whvxljE2iCS7WKdbq+5hNA=|nohJ3PtCNRZARg+60MGO7Zeh1QU= ssh-ed25519 %s\r\n",
             key1_b64);
    assert_int_equal(ed_source_known_hosts_check(hashed, strlen(hashed), "127.0.0.1", 2222, k1, n1),
                     0);
    assert_int_equal(ed_source_known_hosts_check(hashed, strlen(hashed), "127.0.0.2", 2222, k1, n1),
                     ED_ENOTFOUND);
    /* A revoked key is refused even when another line accepts it. */
    char revoked[1024];
    snprintf(revoked, sizeof(revoked), "h ssh-ed25519 %s\n@revoked h ssh-ed25519 %s\n", key1_b64,
             key1_b64);
    assert_int_equal(ed_source_known_hosts_check(revoked, strlen(revoked), "h", 22, k1, n1),
                     ED_EAUTH);
    /* Garbage lines are skipped. */
    const char *junk = "h\nh ssh-ed25519\nh ssh-ed25519 !!!!\n|1|x|y ssh-ed25519 AAAA\n";
    assert_int_equal(ed_source_known_hosts_check(junk, strlen(junk), "h", 22, k1, n1), ED_EAUTH);
}

/* An openssh-key-v1 PEM of the given cipher name: the magic, the cipher as an SSH string, a
 * little more (the rest of a real key does not matter to the check). */
static char *openssh_pem(const char *cipher)
{
    unsigned char raw[64];
    size_t n = 0, clen = strlen(cipher);
    memcpy(raw, "openssh-key-v1", 15);
    n = 15;
    raw[n++] = 0;
    raw[n++] = 0;
    raw[n++] = 0;
    raw[n++] = (unsigned char)clen;
    memcpy(raw + n, cipher, clen);
    n += clen;
    memcpy(raw + n, "\0\0\0\4none", 8);
    n += 8;
    char *b64 = ed_base64_encode(raw, n);
    /* Line breaks inside the body, as ssh-keygen writes them. */
    char *pem = ed_xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%.10s\n%s\n"
                             "-----END OPENSSH PRIVATE KEY-----\n",
                             b64, b64 + 10);
    free(b64);
    return pem;
}

static void test_ssh_key_encrypted(void **state)
{
    (void)state;
    char *clear = openssh_pem("none"), *enc = openssh_pem("aes256-ctr");
    assert_false(ed_source_ssh_key_encrypted(clear, strlen(clear)));
    assert_true(ed_source_ssh_key_encrypted(enc, strlen(enc)));
    free(clear);
    free(enc);
    const char *pem_enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                          "DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert_true(ed_source_ssh_key_encrypted(pem_enc, strlen(pem_enc)));
    const char *pkcs8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                        "-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_true(ed_source_ssh_key_encrypted(pkcs8, strlen(pkcs8)));
    const char *pem_clear = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    assert_false(ed_source_ssh_key_encrypted(pem_clear, strlen(pem_clear)));
    /* Garbage, a truncated body, a length past the end: not encrypted (libssh2 says why). */
    assert_false(ed_source_ssh_key_encrypted("garbage", 7));
    const char *cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n"
                      "-----END OPENSSH PRIVATE KEY-----\n";
    assert_false(ed_source_ssh_key_encrypted(cut, strlen(cut)));
    const char *longlen = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA/////w==\n"
                          "-----END OPENSSH PRIVATE KEY-----\n";
    assert_false(ed_source_ssh_key_encrypted(longlen, strlen(longlen)));
}

/* A client certificate and its key, checked as Go's tls.X509KeyPair (flux's create secret tls
 * and helm). Test keys made for this test alone. */
static const char tls_crt[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBbjCCARWgAwIBAgIUV8Nm6qU0aeZS//AV4NDNGqmXLRUwCgYIKoZIzj0EAwIw\n"
                              "DDEKMAgGA1UEAwwBdDAgFw0yNjEyMDEwMDE0NTRaGA8yMTI2MTEwNzAwMTQ1NFow\n"
                              "DDEKMAgGA1UEAwwBdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLn9eG5opz52\n"
                              "Yv4nDlSoJ625XfbXm66tyv1KRcJ6P8KKspk2ZuTGuArnv4qYYLUc20E1y1AbvafU\n"
                              "9Lm6HeAmlfijUzBRMB0GA1UdDgQWBBTSLiKToy7ITzdE1YTzN+hCkL1MMTAfBgNV\n"
                              "HSMEGDAWgBTSLiKToy7ITzdE1YTzN+hCkL1MMTAPBgNVHRMBAf8EBTADAQH/MAoG\n"
                              "CCqGSM49BAMCA0cAMEQCIAaobRF2mq0PYqSKK38J+ksXzVUhqbaMs3ZlSOYfI6cQ\n"
                              "AiA/870nG1ibK3xv86qhcoO3QEAC0XcMZooYfWZC/qGYWw==\n"
                              "-----END CERTIFICATE-----\n";
static const char tls_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
                              "MHcCAQEEICxdqAtzDEZJ8W9zaDjRI5VnqaDZ6j5XfxPRsNCZRcXRoAoGCCqGSM49\n"
                              "AwEHoUQDQgAEuf14bminPnZi/icOVKgnrbld9tebrq3K/UpFwno/woqymTZm5Ma4\n"
                              "Cue/iphgtRzbQTXLUBu9p9T0ubod4CaV+A==\n"
                              "-----END EC PRIVATE KEY-----\n";
static const char tls_other_key[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIDu4U38twhwCbYI55JS71OoM5YgVYycb669MrAjaq0wqoAoGCCqGSM49\n"
    "AwEHoUQDQgAEGgyMc97EqL0JoJpS+eCQyJGl2zimBUV3BCMfLQCVMKzbl/PC1PFi\n"
    "gwnDzoRkbD3n4mhKlwuhOdH3I7OIlOwgRQ==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char tls_ed_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIFxFAVqUf3NYAUNlQox4wrtyioIcyBIiGl93B/wwenQS\n"
    "-----END PRIVATE KEY-----\n";

static void expect_pair(const char *crt, const char *key, const char *msg)
{
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_tls_pair_check(crt, strlen(crt), key, strlen(key), &err);
    if (!msg) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, ED_EINVALID);
    assert_string_equal(err.msg, msg);
}

static void test_tls_pair_check(void **state)
{
    (void)state;
    expect_pair(tls_crt, tls_key, NULL);
    expect_pair(tls_crt, tls_other_key, "tls: private key does not match public key");
    expect_pair(tls_crt, tls_ed_key, "tls: private key type does not match public key type");
    expect_pair("nothing", tls_key, "tls: failed to find any PEM data in certificate input");
    expect_pair(tls_key, tls_crt,
                "tls: failed to find certificate PEM data in certificate input, but did find a "
                "private key; PEM inputs may have been switched");
    expect_pair(tls_crt, tls_crt,
                "tls: found a certificate rather than a key in the PEM for the private key");
    expect_pair(tls_crt, "", "tls: failed to find any PEM data in key input");
    const char *two = "-----BEGIN A-----\nAAAA\n-----END A-----\n"
                      "-----BEGIN B-----\nAAAA\n-----END B-----\n";
    expect_pair(two, tls_key,
                "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after "
                "skipping PEM blocks of the following types: [A B]");
    expect_pair(tls_crt, two,
                "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input "
                "after skipping PEM blocks of the following types: [A B]");
    const char *bad_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    expect_pair(tls_crt, bad_key, "tls: failed to parse private key");
    const char *bad_crt = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    expect_pair(bad_crt, tls_key, "x509: malformed certificate");
}

static void test_ignore_rules(void **state)
{
    (void)state;
    ed_source_ignore *ig = ed_source_ignore_new();
    ed_source_ignore_add_defaults(ig);
    assert_true(ed_source_ignore_match(ig, ".git", true));
    assert_true(ed_source_ignore_match(ig, "sub/.gitignore", false));
    assert_true(ed_source_ignore_match(ig, ".github", true));
    assert_false(ed_source_ignore_match(ig, ".github", false));
    assert_true(ed_source_ignore_match(ig, "deep/dir/logo.png", false));
    assert_true(ed_source_ignore_match(ig, "x.tar.gz", false));
    assert_true(ed_source_ignore_match(ig, "codeship-steps.yml", false));
    assert_false(ed_source_ignore_match(ig, "deploy.yaml", false));
    assert_false(ed_source_ignore_match(ig, ".sourceignore", false));
    /* A .sourceignore in apps/: unanchored at any depth below it, anchored from it. */
    const char *si = "# comment\n*.md\n/only-top.yaml\nsecrets/\n!keep.md\nnested/**/x.yaml\n";
    ed_source_ignore_add(ig, si, strlen(si), "apps");
    assert_true(ed_source_ignore_match(ig, "apps/README.md", false));
    assert_true(ed_source_ignore_match(ig, "apps/a/b/NOTES.md", false));
    assert_false(ed_source_ignore_match(ig, "README.md", false));
    assert_false(ed_source_ignore_match(ig, "apps/keep.md", false));
    assert_true(ed_source_ignore_match(ig, "apps/only-top.yaml", false));
    assert_false(ed_source_ignore_match(ig, "apps/a/only-top.yaml", false));
    assert_true(ed_source_ignore_match(ig, "apps/x/secrets", true));
    assert_false(ed_source_ignore_match(ig, "apps/x/secrets", false));
    assert_true(ed_source_ignore_match(ig, "apps/nested/x.yaml", false));
    assert_true(ed_source_ignore_match(ig, "apps/nested/a/b/x.yaml", false));
    assert_false(ed_source_ignore_match(ig, "apps/other/x.yaml", false));
    /* spec.ignore comes last and can re-include a default exclusion. */
    const char *spec = "!logo.png\n";
    ed_source_ignore_add(ig, spec, strlen(spec), "");
    assert_false(ed_source_ignore_match(ig, "deep/dir/logo.png", false));
    assert_true(ed_source_ignore_match(ig, "deep/dir/other.png", false));
    assert_true(ed_source_ignore_has_negation(ig));
    ed_source_ignore_free(ig);
    /* go-git's matching, as Flux applies it: a rule on a directory covers what lies below it,
     * and a later `!pattern` brings a file below it back. */
    ig = ed_source_ignore_new();
    const char *neg = "/*\n!/kustomize\ncharts/\n!charts/app/values.yaml\n";
    ed_source_ignore_add(ig, neg, strlen(neg), "");
    assert_false(ed_source_ignore_match(ig, "kustomize/base/a.yaml", false));
    assert_true(ed_source_ignore_match(ig, "other/a.yaml", false));
    assert_true(ed_source_ignore_match(ig, "top.yaml", false));
    assert_true(ed_source_ignore_match(ig, "kustomize/charts", true));
    assert_true(ed_source_ignore_match(ig, "kustomize/charts/app/other.yaml", false));
    assert_true(ed_source_ignore_match(ig, "charts/app/other.yaml", false));
    assert_false(ed_source_ignore_match(ig, "charts/app/values.yaml", false));
    assert_true(
        ed_source_ignore_match(ig, "kustomize/charts/app/values.yaml", false)); /* anchored */
    ed_source_ignore_free(ig);
    ig = ed_source_ignore_new();
    ed_source_ignore_add_defaults(ig);
    assert_false(ed_source_ignore_has_negation(ig));
    ed_source_ignore_free(ig);
}

static bool satisfies(const char *range, const char *version)
{
    ed_semver_range *c = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_semver_range_parse(range, &c, &err) != 0)
        fail_msg("range '%s': %s", range, err.msg);
    ed_semver v;
    if (ed_semver_parse(version, &v) != 0)
        fail_msg("version '%s'", version);
    bool ok = ed_semver_range_match(c, &v);
    ed_semver_range_free(c);
    return ok;
}

static void test_semver(void **state)
{
    (void)state;
    ed_semver a, b;
    assert_true(ed_semver_parse("v1.2.3", &a) == 0);
    assert_true(a.major == 1 && a.minor == 2 && a.patch == 3 && a.pre[0] == '\0');
    assert_true(ed_semver_parse("1.2.3-rc.1+build.5", &b) == 0);
    assert_string_equal(b.pre, "rc.1");
    /* Read leniently, as Masterminds' NewVersion (which Flux uses) does. */
    assert_true(ed_semver_parse("1.2", &a) == 0 && a.patch == 0);
    assert_true(ed_semver_parse("01.2.3", &a) == 0 && a.major == 1);
    assert_false(ed_semver_parse("1.2.3-", &a) == 0);
    assert_false(ed_semver_parse("latest", &a) == 0);
    /* Precedence, pre-releases included (semver.org §11). */
    const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                           "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                           "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                           "1.10.0",      "2.0.0"};
    for (size_t i = 0; i + 1 < sizeof(order) / sizeof(*order); i++) {
        assert_true(ed_semver_parse(order[i], &a) == 0);
        assert_true(ed_semver_parse(order[i + 1], &b) == 0);
        if (ed_semver_compare(&a, &b) >= 0 || ed_semver_compare(&b, &a) <= 0)
            fail_msg("%s should sort before %s", order[i], order[i + 1]);
    }
    assert_true(satisfies("1.2.3", "v1.2.3"));
    assert_false(satisfies("1.2.3", "1.2.4"));
    assert_true(satisfies("1.2", "1.2.9"));
    assert_false(satisfies("1.2", "1.3.0"));
    assert_true(satisfies(">=1.0.0 <2.0.0", "1.9.9"));
    assert_false(satisfies(">=1.0.0 <2.0.0", "2.0.0"));
    assert_true(satisfies(">= 1.0.0, < 2.0.0", "1.0.0"));
    assert_true(satisfies("^1.2.3", "1.9.0"));
    assert_false(satisfies("^1.2.3", "1.2.2"));
    assert_false(satisfies("^1.2.3", "2.0.0"));
    assert_true(satisfies("^0.2.3", "0.2.9"));
    assert_false(satisfies("^0.2.3", "0.3.0"));
    assert_true(satisfies("~1.2.3", "1.2.9"));
    assert_false(satisfies("~1.2.3", "1.3.0"));
    assert_true(satisfies("~1", "1.9.0"));
    assert_true(satisfies(">1.2", "1.3.0"));
    assert_false(satisfies(">1.2", "1.2.9"));
    assert_true(satisfies("<=1.2", "1.2.9"));
    assert_true(satisfies("*", "0.0.1"));
    assert_true(satisfies("<1.0.0 || >=3.0.0", "3.1.0"));
    assert_false(satisfies("<1.0.0 || >=3.0.0", "2.0.0"));
    /* Pre-releases only when the range names one. */
    assert_false(satisfies(">=1.0.0", "1.1.0-rc.1"));
    assert_true(satisfies(">=1.1.0-rc.0", "1.1.0-rc.1"));
    ed_semver_range *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_semver_range_parse(">=x.y", &c, &err), ED_EINVALID);
    assert_int_equal(ed_semver_range_parse("", &c, &err), ED_EINVALID);
    assert_int_equal(ed_semver_range_parse("!1.0.0", &c, &err), ED_EINVALID);
    assert_null(c);
}

/* ---- fetching from local repositories ---- */

static void fetch_ok(ed_source_cache *c, const char *url, ed_source_git_ref ref,
                     ed_source_git_result *res)
{
    ed_source_git_fetch_opts o = {.url = url, .ref = ref};
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_git_fetch(c, &o, res, &err);
    if (rc != 0)
        fail_msg("fetch %s: %s", url, err.msg);
}

/* A repository without commits: a branch ref says so as Flux does (EmptyGitRepository); other
 * refs are simply not found. */
static void test_fetch_empty(void **state)
{
    (void)state;
    char url[512], storage[300];
    sh("cd %s && git init -q --bare -b main empty.git", tmp_root);
    snprintf(url, sizeof(url), "file://%s/empty.git", tmp_root);
    snprintf(storage, sizeof(storage), "%s/storage-empty", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    ed_source_git_result res;
    ed_source_git_fetch_opts o = {.url = url, .ref = {.branch = "main"}};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_true(res.empty);
    assert_string_equal(err.msg, "git repository is empty");
    o.ref = (ed_source_git_ref){0}; /* the default branch too */
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_true(res.empty);
    o.ref = (ed_source_git_ref){.tag = "v1"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_false(res.empty);
    o.ref = (ed_source_git_ref){.semver = ">=1.0.0"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_false(res.empty);
    /* Once it has a commit, the branch is fetched. */
    sh("cd %s && git clone -q empty.git empty-work 2>/dev/null && cd empty-work && "
       "git checkout -q -b main && echo x > x && git add x && git commit -qm x && "
       "git push -q origin main",
       tmp_root);
    o.ref = (ed_source_git_ref){.branch = "main"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), 0);
    assert_false(res.empty);
    ed_source_cache_free(c);
}

/* ref.fetchable, as kustomize's remote targets name a ref: HEAD is the branch the remote's HEAD
 * names (here "trunk", not Flux's default "master"); a name is a branch, else a tag, else a full
 * ref; ed_source_remote_tree writes the tree of one. */
static void test_fetch_fetchable(void **state)
{
    (void)state;
    char url[512], storage[300], dest[400];
    sh("cd %s && git init -q -b trunk fx && cd fx && echo 1 > f && git add f && "
       "git commit -qm one && git tag t1 && git checkout -q -b other && echo 2 > f && "
       "git commit -qam two && git checkout -q trunk && git clone -q --bare . ../fx.git",
       tmp_root);
    snprintf(url, sizeof(url), "file://%s/fx.git", tmp_root);
    snprintf(storage, sizeof(storage), "%s/storage-fx", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    ed_source_git_result head, other, tag, full;
    fetch_ok(c, url, (ed_source_git_ref){.fetchable = "HEAD"}, &head);
    assert_true(ed_str_has_prefix(head.revision, "trunk@sha1:"));
    fetch_ok(c, url, (ed_source_git_ref){.fetchable = "other"}, &other);
    assert_true(ed_str_has_prefix(other.revision, "other@sha1:"));
    assert_string_not_equal(other.commit, head.commit);
    fetch_ok(c, url, (ed_source_git_ref){.fetchable = "t1"}, &tag);
    assert_string_equal(tag.commit, head.commit);
    fetch_ok(c, url, (ed_source_git_ref){.fetchable = "refs/heads/other"}, &full);
    assert_string_equal(full.commit, other.commit);
    ed_source_git_fetch_opts o = {.url = url, .ref = {.fetchable = "nope"}};
    assert_int_equal(ed_source_git_fetch(c, &o, &head, &err), ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "couldn't find remote ref \"nope\""));

    snprintf(dest, sizeof(dest), "%s/fx-tree", tmp_root);
    assert_int_equal(mkdir(dest, 0700), 0);
    int rc = ed_source_remote_tree(c, url, "other", false, 0, dest, &err);
    if (rc)
        fail_msg("%s", err.msg);
    char *f = ed_xasprintf("%s/f", dest);
    FILE *in = fopen(f, "r");
    assert_non_null(in);
    assert_int_equal(fgetc(in), '2');
    fclose(in);
    free(f);
    ed_source_cache_free(c);
}

/* ref.semver with tied versions: Flux's clone takes the tag whose commit was committed last. */
static void test_fetch_semver_tie(void **state)
{
    (void)state;
    char url[512], storage[300], old[41], young[41], want[320];
    make_repo("tie", url, sizeof(url));
    sh("cd %s/tie && echo a > t && git add t && GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' "
       "git commit -qm old && echo b > t && git add t && "
       "GIT_COMMITTER_DATE='2021-01-01T00:00:00Z' git commit -qm young",
       tmp_root);
    head_of("tie", "HEAD~1", old);
    head_of("tie", "HEAD", young);
    /* By name "1.0.0" and "3.0.0+a" would win; by commit time the younger commit's tags do. A
     * tag on the older commit is annotated, so the peeled commit's time is what counts. */
    sh("cd %s/tie && git tag -a 1.0.0 -m old HEAD~1 && git tag v1.0.0 HEAD && "
       "git tag 3.0.0+a HEAD~1 && git tag -a 3.0.0+b -m young HEAD && "
       "git tag 5.0.0 HEAD && git tag v5.0.0 HEAD",
       tmp_root);
    snprintf(storage, sizeof(storage), "%s/storage-tie", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    ed_source_git_result res;
    fetch_ok(c, url, (ed_source_git_ref){.semver = "1.0.0"}, &res);
    snprintf(want, sizeof(want), "v1.0.0@sha1:%s", young);
    assert_string_equal(res.revision, want);
    fetch_ok(c, url, (ed_source_git_ref){.semver = ">=3.0.0 <4.0.0"}, &res);
    snprintf(want, sizeof(want), "3.0.0+b@sha1:%s", young);
    assert_string_equal(res.revision, want);
    /* The same commit: the smaller name, for a stable choice. */
    fetch_ok(c, url, (ed_source_git_ref){.semver = ">=5.0.0"}, &res);
    snprintf(want, sizeof(want), "5.0.0@sha1:%s", young);
    assert_string_equal(res.revision, want);
    /* Unchanged remote: the tied tags are in the cache, nothing is transferred. */
    fetch_ok(c, url, (ed_source_git_ref){.semver = "1.0.0"}, &res);
    assert_false(res.fetched);
    fetch_ok(c, url, (ed_source_git_ref){.tag = "1.0.0"}, &res);
    assert_string_equal(res.commit, old);
    /* A tied tag of a tree is no candidate (and does not make the cache look corrupt); ties
     * of nothing but such tags fail with a message, at every try the same. */
    sh("cd %s/tie && git tag 7.0.0 HEAD~1 && git tag v7.0.0 'HEAD^{tree}' && "
       "git tag 9.0.0 'HEAD^{tree}' && git tag v9.0.0 'HEAD~1^{tree}'",
       tmp_root);
    fetch_ok(c, url, (ed_source_git_ref){.semver = "7.0.0"}, &res);
    snprintf(want, sizeof(want), "7.0.0@sha1:%s", old);
    assert_string_equal(res.revision, want);
    for (int i = 0; i < 2; i++) {
        ed_source_git_fetch_opts o = {.url = url, .ref = {.semver = "9.0.0"}};
        ed_err ferr = ED_ERR_INIT;
        assert_int_not_equal(ed_source_git_fetch(c, &o, &res, &ferr), 0);
        assert_non_null(strstr(ferr.msg, "points to a commit"));
    }
    ed_source_cache_free(c);
}

static void test_fetch_cache(void **state)
{
    (void)state;
    char url[512], head[41], want[320];
    make_repo("r1", url, sizeof(url));
    head_of("r1", "HEAD", head);
    char storage[300];
    snprintf(storage, sizeof(storage), "%s/storage", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);

    ed_source_git_result res;
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    snprintf(want, sizeof(want), "main@sha1:%s", head);
    assert_string_equal(res.revision, want);
    assert_string_equal(res.commit, head);
    assert_true(res.fetched);
    assert_int_equal(res.ref_listings, 1);
    assert_true(res.received_objects > 0);

    /* Unchanged remote: one ref listing, nothing transferred. */
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    assert_string_equal(res.revision, want);
    assert_false(res.fetched);
    assert_int_equal(res.ref_listings, 1);
    assert_int_equal(res.received_objects, 0);

    /* A new commit: only the delta (commit, tree, one blob) comes. */
    sh("cd %s/r1 && echo two > b.txt && git add . && git commit -qm two", tmp_root);
    head_of("r1", "HEAD", head);
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    snprintf(want, sizeof(want), "main@sha1:%s", head);
    assert_string_equal(res.revision, want);
    assert_true(res.fetched);
    assert_true(res.received_objects <= 3);

    /* Default branch is master: absent here, in go-git's words as Flux reports them. */
    ed_source_git_fetch_opts o = {.url = url};
    char msg[1024];
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    snprintf(msg, sizeof(msg),
             "unable to clone '%s': couldn't find remote ref \"refs/heads/master\"", url);
    assert_string_equal(err.msg, msg);
    assert_false(res.empty);
    o.ref = (ed_source_git_ref){.tag = "v9"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "couldn't find remote ref \"refs/tags/v9\""));
    o.ref = (ed_source_git_ref){.name = "refs/pull/1/head"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "unable to resolve ref 'refs/pull/1/head' to a specific commit");

    /* Tags (annotated: the revision names the commit, not the tag object). */
    sh("cd %s/r1 && git tag -a v1.0.0 -m v1 HEAD~1 && git tag light HEAD", tmp_root);
    char first[41];
    head_of("r1", "HEAD~1", first);
    fetch_ok(c, url, (ed_source_git_ref){.tag = "v1.0.0"}, &res);
    snprintf(want, sizeof(want), "v1.0.0@sha1:%s", first);
    assert_string_equal(res.revision, want);
    fetch_ok(c, url, (ed_source_git_ref){.tag = "light", .branch = "main"}, &res);
    snprintf(want, sizeof(want), "light@sha1:%s", head);
    assert_string_equal(res.revision, want);

    /* semver: the highest matching tag, pre-releases only when asked for. */
    sh("cd %s/r1 && git tag v1.1.0 HEAD~1 && git tag v2.0.0-rc.1 HEAD && git tag 1.0.5 HEAD",
       tmp_root);
    fetch_ok(c, url, (ed_source_git_ref){.semver = ">=1.0.0 <2.0.0"}, &res);
    snprintf(want, sizeof(want), "v1.1.0@sha1:%s", first);
    assert_string_equal(res.revision, want);
    /* A tag wins over semver, as in Flux's code (its API documentation says the reverse). */
    fetch_ok(c, url, (ed_source_git_ref){.semver = ">=1.0.0 <2.0.0", .tag = "light"}, &res);
    snprintf(want, sizeof(want), "light@sha1:%s", head);
    assert_string_equal(res.revision, want);
    fetch_ok(c, url, (ed_source_git_ref){.semver = "~1.0"}, &res);
    snprintf(want, sizeof(want), "1.0.5@sha1:%s", head);
    assert_string_equal(res.revision, want);
    fetch_ok(c, url, (ed_source_git_ref){.semver = ">=2.0.0-rc.0"}, &res);
    snprintf(want, sizeof(want), "v2.0.0-rc.1@sha1:%s", head);
    assert_string_equal(res.revision, want);
    o.ref = (ed_source_git_ref){.semver = ">=3.0.0"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "no match found for semver: >=3.0.0");
    o.ref = (ed_source_git_ref){.semver = "not a range"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_EINVALID);

    /* name keeps the full ref; commit alone gives sha1:<hex>; commit wins over branch. */
    fetch_ok(c, url, (ed_source_git_ref){.name = "refs/heads/main", .tag = "v1.0.0"}, &res);
    snprintf(want, sizeof(want), "refs/heads/main@sha1:%s", head);
    assert_string_equal(res.revision, want);
    fetch_ok(c, url, (ed_source_git_ref){.commit = first}, &res);
    snprintf(want, sizeof(want), "sha1:%s", first);
    assert_string_equal(res.revision, want);
    /* already cached: no transfer, but a connection (the fetcher's credentials checked) */
    assert_int_equal(res.ref_listings, 1);
    assert_false(res.fetched);
    fetch_ok(c, url, (ed_source_git_ref){.commit = first, .branch = "main"}, &res);
    snprintf(want, sizeof(want), "main@sha1:%s", first);
    assert_string_equal(res.revision, want);
    o.ref = (ed_source_git_ref){.commit = "0000000000000000000000000000000000000001"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    /* Refs no remote can have are not found (Flux's GitOperationFailed, not a bad URL). */
    o.ref = (ed_source_git_ref){.commit = "xyz"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    o.ref = (ed_source_git_ref){.commit = "bda1525"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    o.ref = (ed_source_git_ref){.branch = "a..b"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    o.ref = (ed_source_git_ref){.name = "heads/main"};
    assert_int_equal(ed_source_git_fetch(c, &o, &res, &err), ED_ENOTFOUND);
    /* An upper-case commit id is read as go-git reads it; the revision is in lower case. */
    char upper[41];
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] = (char)toupper((unsigned char)first[i]);
    fetch_ok(c, url, (ed_source_git_ref){.commit = upper}, &res);
    snprintf(want, sizeof(want), "sha1:%s", first);
    assert_string_equal(res.revision, want);
    assert_string_equal(res.commit, first);

    /* A cache that lost its objects is rebuilt, never trusted. */
    char *norm = NULL, hex[65], cmd[1024];
    assert_int_equal(ed_source_url_normalize(url, &norm, &err), 0);
    ed_sha256_hex(norm, strlen(norm), hex);
    free(norm);
    sh("rm -rf %s/git/%s.git/objects/pack %s/git/%s.git/objects/??", storage, hex, storage, hex);
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    assert_true(res.rebuilt);
    assert_true(res.fetched);
    snprintf(want, sizeof(want), "main@sha1:%s", head);
    assert_string_equal(res.revision, want);
    /* So is one that is not a repository at all (a half-written directory). */
    sh("rm -rf %s/git/%s.git && mkdir -p %s/git/%s.git/junk", storage, hex, storage, hex);
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    assert_true(res.rebuilt);
    assert_string_equal(res.revision, want);
    snprintf(cmd, sizeof(cmd), "%s/git/%s.git/junk", storage, hex);
    assert_false(exists(cmd));
    ed_source_cache_free(c);
}

typedef struct thread_arg {
    ed_source_cache *cache;
    const char *url;
    int rc;
    char revision[320];
} thread_arg;

static void *fetch_thread(void *p)
{
    thread_arg *a = p;
    ed_source_git_fetch_opts o = {.url = a->url, .ref = {.branch = "main"}};
    ed_source_git_result res;
    ed_err err = ED_ERR_INIT;
    a->rc = ed_source_git_fetch(a->cache, &o, &res, &err);
    memcpy(a->revision, res.revision, sizeof(a->revision));
    return NULL;
}

static void test_fetch_concurrent(void **state)
{
    (void)state;
    char url[512], storage[300];
    make_repo("r2", url, sizeof(url));
    snprintf(storage, sizeof(storage), "%s/storage-conc", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    thread_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){.cache = c, .url = url};
        assert_int_equal(pthread_create(&th[i], NULL, fetch_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, 0);
        assert_string_equal(args[i].revision, args[0].revision);
    }
    ed_source_cache_free(c);
}

/* ---- checkout, archives, unpack ---- */

static void test_checkout_and_archive(void **state)
{
    (void)state;
    char url[512], storage[300], head[41], path[600];
    make_repo("r3", url, sizeof(url));
    sh("cd %s/r3 && mkdir -p apps/x .github/workflows img && echo k > apps/x/deploy.yaml && "
       "echo s > apps/x/secret.yaml && echo '/x/secret.yaml' > apps/.sourceignore && "
       "echo w > .github/workflows/ci.yml && echo p > img/logo.png && echo g > .gitignore && "
       "printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s ../../../etc/passwd escape && "
       "ln -s apps/x inside && echo d > drop.txt && git add -A && git commit -qm tree",
       tmp_root);
    head_of("r3", "HEAD", head);
    snprintf(storage, sizeof(storage), "%s/storage-art", tmp_root);
    ed_source_cache *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_source_cache_open(&c, storage, &err), 0);
    ed_source_git_result res;
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);

    char dest[400];
    snprintf(dest, sizeof(dest), "%s/co", tmp_root);
    assert_int_equal(mkdir(dest, 0700), 0);
    int rc = ed_source_git_checkout(c, url, head, "drop.txt\n", dest, &err);
    if (rc != 0)
        fail_msg("checkout: %s", err.msg);
    /* A .sourceignore and spec.ignore replace Flux's non-VCS default exclusions, so .github and
     * the image stay (test_checkout.c has the repository without patterns). */
    const char *present[] = {"a.txt",  "apps/x/deploy.yaml",       "apps/.sourceignore",
                             "run.sh", ".github/workflows/ci.yml", "img/logo.png"};
    const char *absent[] = {".git",   ".gitignore", "apps/x/secret.yaml",
                            "escape", "inside",     "drop.txt"};
    for (size_t i = 0; i < sizeof(present) / sizeof(*present); i++) {
        snprintf(path, sizeof(path), "%s/%s", dest, present[i]);
        if (!exists(path))
            fail_msg("missing %s", present[i]);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(*absent); i++) {
        snprintf(path, sizeof(path), "%s/%s", dest, absent[i]);
        if (exists(path))
            fail_msg("unexpected %s", absent[i]);
    }
    struct stat st;
    snprintf(path, sizeof(path), "%s/run.sh", dest);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/a.txt", dest);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Two builds (a second apart) give the same bytes; gzip has no timestamp. */
    char out1[400], out2[400];
    snprintf(out1, sizeof(out1), "%s/a1.tar.gz", tmp_root);
    snprintf(out2, sizeof(out2), "%s/a2.tar.gz", tmp_root);
    ed_source_artifact_info i1, i2;
    assert_int_equal(ed_source_git_artifact_build(c, url, head, NULL, out1, &i1, &err), 0);
    sleep(1);
    assert_int_equal(ed_source_git_artifact_build(c, url, head, NULL, out2, &i2, &err), 0);
    assert_string_equal(i1.digest, i2.digest);
    assert_int_equal(i1.size, i2.size);
    size_t l1, l2;
    char *b1 = read_file(out1, &l1), *b2 = read_file(out2, &l2);
    assert_int_equal(l1, (size_t)i1.size);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    assert_true(l1 > 10 && (unsigned char)b1[0] == 0x1f && (unsigned char)b1[1] == 0x8b);
    assert_true(b1[4] == 0 && b1[5] == 0 && b1[6] == 0 && b1[7] == 0);
    /* One gzip member and nothing after it (no block padding). */
    z_stream zs = {0};
    assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
    unsigned char sink[65536];
    zs.next_in = (unsigned char *)b1;
    zs.avail_in = (unsigned)l1;
    int zrc;
    do {
        zs.next_out = sink;
        zs.avail_out = sizeof(sink);
        zrc = inflate(&zs, Z_NO_FLUSH);
    } while (zrc == Z_OK);
    assert_int_equal(zrc, Z_STREAM_END);
    assert_int_equal(zs.avail_in, 0);
    inflateEnd(&zs);
    char digest[65], want[80];
    ed_sha256_hex(b1, l1, digest);
    snprintf(want, sizeof(want), "sha256:%s", digest);
    assert_string_equal(i1.digest, want);
    free(b1);
    free(b2);
    /* Nothing is left in the storage's temp dir. */
    snprintf(path, sizeof(path), "%s/tmp", storage);
    char listing[64];
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", path);
    sh_out(listing, sizeof(listing), cmd);
    assert_string_equal(listing, "0");

    /* The listing: sorted, normalised headers, only files and directories (no symlinks). */
    snprintf(cmd, sizeof(cmd), "tar --numeric-owner -tvzf %s | awk '{print $1, $2, $6}'", out1);
    char tv[4096];
    sh_out(tv, sizeof(tv), cmd);
    assert_string_equal(tv, "drwxr-x--- 0/0 .github/\n"
                            "drwxr-x--- 0/0 .github/workflows/\n"
                            "-rw------- 0/0 .github/workflows/ci.yml\n"
                            "-rw------- 0/0 a.txt\n"
                            "drwxr-x--- 0/0 apps/\n"
                            "-rw------- 0/0 apps/.sourceignore\n"
                            "drwxr-x--- 0/0 apps/x/\n"
                            "-rw------- 0/0 apps/x/deploy.yaml\n"
                            "-rw------- 0/0 drop.txt\n"
                            "drwxr-x--- 0/0 img/\n"
                            "-rw------- 0/0 img/logo.png\n"
                            "-rwx------ 0/0 run.sh");
    snprintf(cmd, sizeof(cmd), "tar -tvzf %s --full-time | awk '{print $4}' | sort -u", out1);
    sh_out(tv, sizeof(tv), cmd);
    assert_string_equal(tv, "1970-01-01");

    /* Content changes change the digest; ignore rules too. */
    sh("cd %s/r3 && echo changed > a.txt && git commit -qam change", tmp_root);
    char head2[41];
    head_of("r3", "HEAD", head2);
    fetch_ok(c, url, (ed_source_git_ref){.branch = "main"}, &res);
    assert_int_equal(ed_source_git_artifact_build(c, url, head2, NULL, out2, &i2, &err), 0);
    assert_string_not_equal(i1.digest, i2.digest);
    assert_int_equal(ed_source_git_artifact_build(c, url, head, "drop.txt\n", out2, &i2, &err), 0);
    assert_string_not_equal(i1.digest, i2.digest);

    /* Unpack the artifact: the same tree comes back. */
    char un[400];
    snprintf(un, sizeof(un), "%s/unpacked", tmp_root);
    assert_int_equal(mkdir(un, 0700), 0);
    rc = ed_source_archive_unpack(out1, un, 0, &err);
    if (rc != 0)
        fail_msg("unpack: %s", err.msg);
    snprintf(cmd, sizeof(cmd), "cd %s && find . | sort | tr '\\n' ' '", un);
    sh_out(tv, sizeof(tv), cmd);
    assert_string_equal(tv, ". ./.github ./.github/workflows ./.github/workflows/ci.yml ./a.txt "
                            "./apps ./apps/.sourceignore ./apps/x ./apps/x/deploy.yaml "
                            "./drop.txt ./img ./img/logo.png ./run.sh");
    snprintf(path, sizeof(path), "%s/apps/x/deploy.yaml", un);
    size_t dl;
    char *data = read_file(path, &dl);
    assert_non_null(data);
    assert_string_equal(data, "k\n");
    free(data);
    /* A cap smaller than the content is refused. */
    snprintf(un, sizeof(un), "%s/unpacked-capped", tmp_root);
    assert_int_equal(mkdir(un, 0700), 0);
    assert_int_equal(ed_source_archive_unpack(out1, un, 4, &err), ED_ETOOBIG);

    /* A commit not in the cache. */
    assert_int_equal(ed_source_git_checkout(c, url, "0000000000000000000000000000000000000001",
                                            NULL, dest, &err),
                     ED_ENOTFOUND);
    ed_source_cache_free(c);
}

/* Write a tar.gz with one hostile entry (type, path, link target) after a harmless file. */
static void hostile_archive(const char *out, mode_t type, const char *path, const char *link,
                            bool hard)
{
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "ok.txt");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, 2);
    archive_write_header(a, e);
    archive_write_data(a, "ok", 2);
    archive_entry_clear(e);
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, 0600);
    if (link && hard)
        archive_entry_set_hardlink(e, link);
    else if (link)
        archive_entry_set_symlink(e, link);
    archive_entry_set_size(e, type == AE_IFREG && !hard ? 1 : 0);
    archive_write_header(a, e);
    if (type == AE_IFREG && !hard)
        archive_write_data(a, "x", 1);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
}

static void test_unpack_refuses_hostile(void **state)
{
    (void)state;
    struct {
        const char *path, *link;
        const char *why;
        mode_t type;
        bool hard;
    } cases[] = {
        {"/tmp/eddy-abs-escape", NULL, "unsafe path", AE_IFREG, false},
        {"../escape", NULL, "unsafe path", AE_IFREG, false},
        {"a/../../escape", NULL, "unsafe path", AE_IFREG, false},
        {"h", "/etc/passwd", "hard link", AE_IFREG, true},
        {"fifo", NULL, "unsupported", AE_IFIFO, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char arch[400], dest[400];
        snprintf(arch, sizeof(arch), "%s/hostile%zu.tar.gz", tmp_root, i);
        snprintf(dest, sizeof(dest), "%s/hostile%zu", tmp_root, i);
        hostile_archive(arch, cases[i].type, cases[i].path, cases[i].link, cases[i].hard);
        assert_int_equal(mkdir(dest, 0700), 0);
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_source_archive_unpack(arch, dest, 0, &err), ED_EINVALID);
        if (!strstr(err.msg, cases[i].why))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].why);
    }
    assert_false(exists("/tmp/eddy-abs-escape"));
    /* Symlinks are left out, wherever they lead (Flux's WithSkipSymlinks): one leading out, one
     * inside, and a chain whose every target reads as inside but whose last leads out. */
    struct {
        const char *path, *target;
    } links[] = {
        {"l", "/etc"}, {"d/l", "../../etc"}, {"d/in", "../ok.txt"}, {"b", "."}, {"c", "b/.."}};
    char arch[400], dest[400];
    snprintf(arch, sizeof(arch), "%s/links.tar.gz", tmp_root);
    snprintf(dest, sizeof(dest), "%s/links", tmp_root);
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, arch), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++) {
        archive_entry_clear(e);
        archive_entry_set_pathname(e, links[i].path);
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, links[i].target);
        archive_entry_set_perm(e, 0777);
        archive_write_header(a, e);
    }
    /* c/x: through the chain's link, were it made; a plain directory "c" since it is not */
    archive_entry_clear(e);
    archive_entry_set_pathname(e, "c/x");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, 1);
    archive_write_header(a, e);
    archive_write_data(a, "x", 1);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    assert_int_equal(mkdir(dest, 0700), 0);
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_archive_unpack(arch, dest, 0, &err);
    if (rc != 0)
        fail_msg("links: %s", err.msg);
    for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++) {
        char path[500];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dest, links[i].path);
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            fail_msg("symlink %s was made", links[i].path);
    }
    char cx[500];
    struct stat st;
    snprintf(cx, sizeof(cx), "%s/c/x", dest);
    assert_int_equal(lstat(cx, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    snprintf(cx, sizeof(cx), "%s/x", tmp_root);
    assert_false(exists(cx));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revision_format),
        cmocka_unit_test(test_url_normalize),
        cmocka_unit_test(test_transport_check),
        cmocka_unit_test(test_submodule_urls),
        cmocka_unit_test(test_known_hosts),
        cmocka_unit_test(test_ssh_key_encrypted),
        cmocka_unit_test(test_tls_pair_check),
        cmocka_unit_test(test_ignore_rules),
        cmocka_unit_test(test_semver),
        cmocka_unit_test(test_fetch_cache),
        cmocka_unit_test(test_fetch_empty),
        cmocka_unit_test(test_fetch_fetchable),
        cmocka_unit_test(test_fetch_semver_tie),
        cmocka_unit_test(test_fetch_concurrent),
        cmocka_unit_test(test_fetch_timeout_silent_server),
        cmocka_unit_test(test_checkout_and_archive),
        cmocka_unit_test(test_unpack_refuses_hostile),
        cmocka_unit_test(test_store_put_gc),
        cmocka_unit_test(test_store_url),
        cmocka_unit_test(test_store_link_latest),
        cmocka_unit_test(test_store_invalid_names),
        cmocka_unit_test(test_store_server),
        cmocka_unit_test(test_write_root_commit_then_nothing),
        cmocka_unit_test(test_write_on_top_keeps_other_files),
        cmocka_unit_test(test_write_if_absent_keeps_existing),
        cmocka_unit_test(test_write_reports_commit_before_push),
        cmocka_unit_test(test_write_refuses_bad_paths),
        cmocka_unit_test(test_write_signed_with_key_id),
        cmocka_unit_test(test_ssh_keypair_new),
        cmocka_unit_test(test_ssh_public_line),
    };
    int failed = cmocka_run_group_tests_name("source", tests, setup_tmp, teardown_tmp);
    return failed + test_checkout_main() + test_cosign_main() + test_githubapp_main();
}
