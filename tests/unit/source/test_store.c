/*
 * Unit tests of the artifact store and server (src/source/store.c, server.c): put, has, file,
 * remove_all and Flux's garbage collection by age and count (modification times); artifact URLs
 * with and without a scheme in the advertised address; refused names; and the HTTP server on a
 * loopback port fetched with libcurl: exact bytes and headers for GET and HEAD, 404 for missing
 * files, directories, `..` (plain and percent-encoded) and symlinks leading out of the root, 405
 * for other methods. Each test works in its own temp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

static void make_tmp(char *out, size_t n)
{
    snprintf(out, n, "/tmp/eddy-store-test.XXXXXX");
    assert_non_null(mkdtemp(out));
}

/* Write len bytes to path. */
static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A temp archive under the store's temp directory holding text; returns its path (free). */
static char *tmp_artifact(ed_artifact_store *store, const char *text)
{
    char *path = ed_xasprintf("%s/artifact.XXXXXX", ed_artifact_store_tmpdir(store));
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Set the modification time of the stored file rel to sec (seconds since the epoch). */
static void set_mtime(const char *root, const char *rel, time_t sec)
{
    char *p = ed_xasprintf("%s/%s", root, rel);
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
}

/* Put text as kind/ns/name/file; returns the relative path (free). */
static char *put(ed_artifact_store *store, const char *name, const char *file, const char *text)
{
    ed_err err = ED_ERR_INIT;
    char *tmp = tmp_artifact(store, text);
    char *path = NULL, *url = NULL;
    int rc = ed_artifact_store_put(store, "GitRepository", "flux-system", name, file, tmp, &path,
                                   &url, &err);
    if (rc != 0)
        fail_msg("put %s: %s", file, err.msg);
    assert_false(exists(tmp));
    free(tmp);
    free(url);
    return path;
}

/* ---- the store ---- */

void test_store_put_gc(void **state)
{
    (void)state;
    char dir[64], storage[128];
    make_tmp(dir, sizeof(dir));
    snprintf(storage, sizeof(storage), "%s/storage", dir);
    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = NULL;
    assert_int_equal(
        ed_artifact_store_open(storage, "source-controller.flux-system.svc", &store, &err), 0);
    assert_true(exists(ed_artifact_store_tmpdir(store)));

    /* One put: the file is in place with mode 0600, has and file find it. */
    char *tmp = tmp_artifact(store, "first");
    char *path = NULL, *url = NULL;
    assert_int_equal(ed_artifact_store_put(store, "GitRepository", "flux-system", "podinfo",
                                           "zzz.tar.gz", tmp, &path, &url, &err),
                     0);
    assert_string_equal(path, "gitrepository/flux-system/podinfo/zzz.tar.gz");
    assert_string_equal(
        url,
        "http://source-controller.flux-system.svc/gitrepository/flux-system/podinfo/zzz.tar.gz");
    assert_false(exists(tmp));
    assert_true(ed_artifact_store_has(store, path));
    char *abs = ed_artifact_store_file(store, path);
    assert_non_null(abs);
    char *want = ed_xasprintf("%s/%s", storage, path);
    assert_string_equal(abs, want);
    struct stat st;
    assert_int_equal(stat(abs, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 5);
    free(want);
    free(abs);
    free(tmp);
    free(url);
    set_mtime(storage, path, 1000);

    /* A sibling object whose old files GC must not touch. */
    char *other = put(store, "other", "old.tar.gz", "o");
    set_mtime(storage, other, 10);

    /* Puts keep every file: garbage is collected separately, as Flux does at the start of a
     * reconcile. */
    time_t now = time(NULL);
    char *second = put(store, "podinfo", "aaa.tar.gz", "second");
    set_mtime(storage, second, 2000);
    char *third = put(store, "podinfo", "mmm.tar.gz", "third");
    assert_true(ed_artifact_store_has(store, path));
    assert_true(ed_artifact_store_has(store, second));

    /* Every file older than the TTL goes but the current one (zzz, the oldest): with a TTL of a
     * minute, aaa (1970) is collected, mmm (just put) stays, and so does the sibling's. */
    int deleted = -1;
    assert_int_equal(ed_artifact_store_gc(store, path, 2, 60000, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_true(ed_artifact_store_has(store, path));
    assert_false(ed_artifact_store_has(store, second));
    assert_true(ed_artifact_store_has(store, third));
    assert_true(ed_artifact_store_has(store, other));

    /* Within the TTL, by count: the oldest go until `records` remain (by time, not by name:
     * names would keep "zzz" and drop "aaa"); the current one stays however old. */
    char *fourth = put(store, "podinfo", "aaa.tar.gz", "fourth");
    char *fifth = put(store, "podinfo", "bbb.tar.gz", "fifth");
    set_mtime(storage, third, now - 30);
    set_mtime(storage, fourth, now - 20);
    set_mtime(storage, fifth, now - 10);
    assert_int_equal(ed_artifact_store_gc(store, path, 2, 3600000, &deleted, &err), 0);
    assert_int_equal(deleted, 2); /* 4 files, 2 kept: the current one and the newest */
    assert_true(ed_artifact_store_has(store, path));
    assert_false(ed_artifact_store_has(store, third));
    assert_false(ed_artifact_store_has(store, fourth));
    assert_true(ed_artifact_store_has(store, fifth));

    /* Fewer than `records` left after the TTL: nothing more by count. */
    char *sixth = put(store, "podinfo", "ccc.tar.gz", "sixth");
    assert_int_equal(ed_artifact_store_gc(store, path, 5, 3600000, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    /* Flux's count when some expired: each file it takes by count is counted twice, so of
     * four young files and one expired, with records 1, two go by count, not all four. */
    char *seventh = put(store, "podinfo", "ddd.tar.gz", "seventh");
    char *eighth = put(store, "podinfo", "eee.tar.gz", "eighth");
    set_mtime(storage, fifth, now - 40);
    set_mtime(storage, sixth, now - 30);
    set_mtime(storage, seventh, now - 20);
    set_mtime(storage, eighth, now - 10);
    set_mtime(storage, path, now - 5);
    char *expired = put(store, "podinfo", "old.tar.gz", "expired");
    set_mtime(storage, expired, now - 7200);
    assert_int_equal(ed_artifact_store_gc(store, path, 1, 3600000, &deleted, &err), 0);
    assert_int_equal(deleted, 3);
    assert_false(ed_artifact_store_has(store, expired));
    assert_false(ed_artifact_store_has(store, fifth));
    assert_false(ed_artifact_store_has(store, sixth));
    assert_true(ed_artifact_store_has(store, seventh));
    assert_true(ed_artifact_store_has(store, eighth));
    assert_true(ed_artifact_store_has(store, path));
    /* A path put did not give is refused; an object without a directory has nothing. */
    assert_int_equal(ed_artifact_store_gc(store, "../x/y/z", 2, 0, &deleted, &err), ED_EINVALID);
    assert_int_equal(ed_artifact_store_gc(store, "gitrepository/flux-system/none/x.tar.gz", 2, 0,
                                          &deleted, &err),
                     0);
    free(fourth);
    free(fifth);
    free(sixth);
    free(seventh);
    free(eighth);
    free(expired);
    /* Re-putting a file name replaces it. */
    free(put(store, "podinfo", "aaa.tar.gz", "second again"));
    assert_true(ed_artifact_store_has(store, second));

    /* has/file: only plain four-part paths to regular files. */
    assert_false(ed_artifact_store_has(store, "gitrepository/flux-system/podinfo"));
    assert_false(ed_artifact_store_has(store, "gitrepository/flux-system/podinfo/nope.tar.gz"));
    assert_false(ed_artifact_store_has(store, "gitrepository/flux-system/podinfo/../podinfo/"
                                              "aaa.tar.gz"));
    assert_false(ed_artifact_store_has(store, "/etc/passwd"));
    assert_false(ed_artifact_store_has(store, ""));
    assert_null(ed_artifact_store_file(store, "../../../../etc/passwd"));

    /* remove_all: the object's directory goes, the sibling stays; removing twice is fine. */
    assert_int_equal(
        ed_artifact_store_remove_all(store, "GitRepository", "flux-system", "podinfo", &err), 0);
    assert_false(ed_artifact_store_has(store, second));
    assert_false(ed_artifact_store_has(store, third));
    char *objdir = ed_xasprintf("%s/gitrepository/flux-system/podinfo", storage);
    assert_false(exists(objdir));
    free(objdir);
    assert_true(ed_artifact_store_has(store, other));
    assert_int_equal(
        ed_artifact_store_remove_all(store, "gitrepository", "flux-system", "podinfo", &err), 0);

    free(path);
    free(other);
    free(second);
    free(third);
    ed_artifact_store_free(store);
    ed_path_remove_tree(dir);
}

/* The URL of one put with adv_addr, or NULL when put fails. */
static char *url_with(const char *storage, const char *adv_addr, const char *file)
{
    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = NULL;
    assert_int_equal(ed_artifact_store_open(storage, adv_addr, &store, &err), 0);
    char *tmp = tmp_artifact(store, "x");
    char *path = NULL, *url = NULL;
    assert_int_equal(
        ed_artifact_store_put(store, "OCIRepository", "apps", "web", file, tmp, &path, &url, &err),
        0);
    free(tmp);
    free(path);
    ed_artifact_store_free(store);
    return url;
}

void test_store_url(void **state)
{
    (void)state;
    char dir[64];
    make_tmp(dir, sizeof(dir));
    char *u = url_with(dir, "localhost:9090", "abc.tar.gz");
    assert_string_equal(u, "http://localhost:9090/ocirepository/apps/web/abc.tar.gz");
    free(u);
    u = url_with(dir, "https://artifacts.example.com/", "abc.tar.gz");
    assert_string_equal(u, "https://artifacts.example.com/ocirepository/apps/web/abc.tar.gz");
    free(u);
    u = url_with(dir, "http://10.0.0.1:8080", "a b#?.tar.gz");
    assert_string_equal(u, "http://10.0.0.1:8080/ocirepository/apps/web/a%20b%23%3F.tar.gz");
    free(u);
    /* An OCIRepository's artifact is named by its digest: ':' stays as it is, as in Flux's. */
    u = url_with(dir, "localhost:9090", "sha256:0123abcd.tar.gz");
    assert_string_equal(u, "http://localhost:9090/ocirepository/apps/web/sha256:0123abcd.tar.gz");
    free(u);

    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = (ed_artifact_store *)&err; /* must be reset to NULL */
    assert_int_equal(ed_artifact_store_open(dir, "", &store, &err), ED_EINVALID);
    assert_null(store);
    assert_int_equal(ed_artifact_store_open(dir, "///", &store, &err), ED_EINVALID);
    ed_path_remove_tree(dir);
}

void test_store_invalid_names(void **state)
{
    (void)state;
    char dir[64];
    make_tmp(dir, sizeof(dir));
    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = NULL;
    assert_int_equal(ed_artifact_store_open(dir, "localhost:9090", &store, &err), 0);
    char *tmp = tmp_artifact(store, "x");
    const char *bad[] = {"", "a/b", "..", ".", "../x", "/abs", ".hidden"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int field = 0; field < 4; field++) {
            const char *v[4] = {"GitRepository", "ns", "name", "f.tar.gz"};
            v[field] = bad[i];
            char *path = (char *)"unset", *url = (char *)"unset";
            int rc = ed_artifact_store_put(store, v[0], v[1], v[2], v[3], tmp, &path, &url, &err);
            if (rc != ED_EINVALID)
                fail_msg("put with field %d = \"%s\" gave %d", field, bad[i], rc);
            assert_null(path);
            assert_null(url);
            assert_true(exists(tmp));
            if (field < 3) {
                assert_int_equal(ed_artifact_store_remove_all(store, v[0], v[1], v[2], &err),
                                 ED_EINVALID);
            }
        }
    }
    /* Kinds that name the Git cache and temp directories sharing the storage path. */
    char *path = NULL, *url = NULL;
    assert_int_equal(ed_artifact_store_put(store, "Git", "ns", "n", "f", tmp, &path, &url, &err),
                     ED_EINVALID);
    assert_int_equal(ed_artifact_store_put(store, "tmp", "ns", "n", "f", tmp, &path, &url, &err),
                     ED_EINVALID);
    assert_int_equal(ed_artifact_store_remove_all(store, "tmp", "a", "b", &err), ED_EINVALID);
    /* A missing temp file is an error, not a crash. */
    char *missing = ed_xasprintf("%s/missing", dir);
    assert_int_equal(
        ed_artifact_store_put(store, "GitRepository", "ns", "n", "f", missing, &path, &url, &err),
        ED_ERROR);
    free(missing);
    /* A symlink planted as an object's directory is not written through. */
    char *outside = ed_xasprintf("%s/outside", dir);
    assert_int_equal(mkdir(outside, 0700), 0);
    char *kind_dir = ed_xasprintf("%s/gitrepository", dir);
    char *kdir = ed_xasprintf("%s/ns", kind_dir);
    assert_int_equal(mkdir(kind_dir, 0750), 0);
    assert_int_equal(mkdir(kdir, 0750), 0);
    free(kind_dir);
    char *link = ed_xasprintf("%s/n", kdir);
    assert_int_equal(symlink(outside, link), 0);
    assert_int_equal(
        ed_artifact_store_put(store, "GitRepository", "ns", "n", "f", tmp, &path, &url, &err),
        ED_ERROR);
    assert_true(exists(tmp));
    /* remove_all removes the link, not what it points to. */
    assert_int_equal(ed_artifact_store_remove_all(store, "GitRepository", "ns", "n", &err), 0);
    assert_false(exists(link));
    assert_true(exists(outside));
    free(link);
    free(kdir);
    free(outside);
    free(tmp);
    ed_artifact_store_free(store);
    ed_path_remove_tree(dir);
}

/* ---- the server ---- */

struct fetched {
    long status;
    ed_buf body;
    curl_off_t content_length;
    char content_type[128];
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct fetched *f = user;
    return ed_buf_append(&f->body, data, size * n) == 0 ? size * n : 0;
}

/* Request method path (sent as is: no dot-segment removal) from the server on port. */
static void fetch(int port, const char *method, const char *path, struct fetched *f)
{
    memset(f, 0, sizeof(*f));
    f->body = (ed_buf)ED_BUF_INIT((size_t)16 << 20);
    f->content_length = -1;
    char *url = ed_xasprintf("http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &f->content_length);
    const char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(f->content_type, sizeof(f->content_type), "%s", ct ? ct : "");
    curl_easy_cleanup(c);
    free(url);
}

static void expect_status(int port, const char *method, const char *path, long status)
{
    struct fetched f;
    fetch(port, method, path, &f);
    if (f.status != status)
        fail_msg("%s %s: status %ld, want %ld", method, path, f.status, status);
    assert_null(strstr(f.body.data ? f.body.data : "", "secret"));
    ed_buf_free(&f.body);
}

void test_store_server(void **state)
{
    (void)state;
    char dir[64], storage[128];
    make_tmp(dir, sizeof(dir));
    snprintf(storage, sizeof(storage), "%s/storage", dir);
    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = NULL;
    assert_int_equal(ed_artifact_store_open(storage, "localhost:9090", &store, &err), 0);

    /* A binary artifact of 300 KiB, NULs included, so the body is more than one send. */
    size_t size = 300 * 1024;
    unsigned char *data = ed_xmalloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char)((i * 7919u) >> 3);
    char *tmp = ed_xasprintf("%s/a.XXXXXX", ed_artifact_store_tmpdir(store));
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    write_bytes(tmp, data, size);
    char *path = NULL, *url = NULL;
    assert_int_equal(ed_artifact_store_put(store, "GitRepository", "flux-system", "podinfo",
                                           "abc.tar.gz", tmp, &path, &url, &err),
                     0);
    free(tmp);
    free(url);

    /* Things outside the root that must never be served. */
    char *outside = ed_xasprintf("%s/outside.tar.gz", dir);
    write_bytes(outside, "secret", 6);
    char *link = ed_xasprintf("%s/gitrepository/flux-system/podinfo/evil.tar.gz", storage);
    assert_int_equal(symlink(outside, link), 0);
    char *dirlink = ed_xasprintf("%s/gitrepository/flux-system/escape", storage);
    assert_int_equal(symlink(dir, dirlink), 0);
    char *git = ed_xasprintf("%s/git/x.git/refs/heads", storage);
    char *cmd_dirs[] = {"git", "git/x.git", "git/x.git/refs", "git/x.git/refs/heads"};
    for (size_t i = 0; i < 4; i++) {
        char *d = ed_xasprintf("%s/%s", storage, cmd_dirs[i]);
        assert_int_equal(mkdir(d, 0700), 0);
        free(d);
    }
    char *gitref = ed_xasprintf("%s/main", git);
    write_bytes(gitref, "secret", 6);

    ed_artifact_server *srv = NULL;
    assert_int_equal(ed_artifact_server_start(store, "nohost", &srv, &err), ED_EINVALID);
    assert_int_equal(ed_artifact_server_start(store, "127.0.0.1:99999", &srv, &err), ED_EINVALID);
    assert_int_equal(ed_artifact_server_start(store, "127.0.0.1:0", &srv, &err), 0);
    int port = ed_artifact_server_port(srv);
    assert_true(port > 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    char *req = ed_xasprintf("/%s", path);
    struct fetched f;
    fetch(port, "GET", req, &f);
    assert_int_equal(f.status, 200);
    assert_int_equal(f.body.len, size);
    assert_memory_equal(f.body.data, data, size);
    assert_int_equal(f.content_length, (curl_off_t)size);
    assert_string_equal(f.content_type, "application/gzip");
    ed_buf_free(&f.body);

    fetch(port, "HEAD", req, &f);
    assert_int_equal(f.status, 200);
    assert_int_equal(f.body.len, 0);
    assert_int_equal(f.content_length, (curl_off_t)size);
    ed_buf_free(&f.body);

    expect_status(port, "GET", "/gitrepository/flux-system/podinfo/missing.tar.gz", 404);
    expect_status(port, "GET", "/gitrepository/flux-system/podinfo", 404);
    expect_status(port, "GET", "/gitrepository/flux-system/podinfo/", 404);
    expect_status(port, "GET", "/", 404);
    expect_status(port, "GET", "/gitrepository/flux-system/podinfo/evil.tar.gz", 404);
    expect_status(port, "GET", "/gitrepository/flux-system/escape/outside.tar.gz", 404);
    expect_status(port, "GET", "/../outside.tar.gz", 404);
    expect_status(port, "GET", "/gitrepository/../../outside.tar.gz", 404);
    expect_status(port, "GET", "/%2e%2e/outside.tar.gz", 404);
    expect_status(port, "GET",
                  "/gitrepository/flux-system/podinfo/%2e%2e/%2e%2e/%2e%2e/%2e%2e/"
                  "outside.tar.gz",
                  404);
    expect_status(port, "GET",
                  "/gitrepository%2fflux-system%2fpodinfo%2f..%2f..%2f..%2f.."
                  "%2foutside.tar.gz",
                  404);
    expect_status(port, "GET", "//etc/passwd", 404);
    expect_status(port, "GET", "/git/x.git/refs/heads/main", 404);
    expect_status(port, "HEAD", "/gitrepository/flux-system/podinfo/missing.tar.gz", 404);
    expect_status(port, "POST", req, 405);
    expect_status(port, "POST", "/nothing", 405);

    ed_artifact_server_stop(srv);
    ed_artifact_server_stop(NULL);
    curl_global_cleanup();
    free(req);
    free(gitref);
    free(git);
    free(dirlink);
    free(link);
    free(outside);
    free(path);
    free(data);
    ed_artifact_store_free(store);
    ed_path_remove_tree(dir);
}

/* status.url's link: latest.tar.gz beside the artifacts, moved to each new one, resolved by the
 * store as the server resolves it, never collected, removed with the object. */
void test_store_link_latest(void **state)
{
    (void)state;
    char dir[64];
    make_tmp(dir, sizeof(dir));
    ed_err err = ED_ERR_INIT;
    ed_artifact_store *store = NULL;
    assert_int_equal(ed_artifact_store_open(dir, "localhost:9090", &store, &err), 0);
    char *a = put(store, "app", "a.tar.gz", "first");
    char *url = NULL;
    assert_int_equal(ed_artifact_store_link_latest(store, a, &url, &err), 0);
    assert_string_equal(url, "http://localhost:9090/gitrepository/flux-system/app/latest.tar.gz");
    free(url);
    const char *link = "gitrepository/flux-system/app/latest.tar.gz";
    char *f = ed_artifact_store_file(store, link);
    assert_non_null(f);
    assert_true(ed_str_has_suffix(f, "/a.tar.gz"));
    free(f);
    char *b = put(store, "app", "b.tar.gz", "second");
    assert_int_equal(ed_artifact_store_link_latest(store, b, &url, &err), 0);
    free(url);
    f = ed_artifact_store_file(store, link);
    assert_non_null(f);
    assert_true(ed_str_has_suffix(f, "/b.tar.gz"));
    free(f);
    /* GC counts the artifacts only: with one record kept, a goes, the link stays. */
    int deleted = 0;
    assert_int_equal(ed_artifact_store_gc(store, b, 1, 0, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_true(ed_artifact_store_has(store, link));
    assert_int_equal(ed_artifact_store_link_latest(store, "../x/y/z", &url, &err), ED_EINVALID);
    assert_null(url);
    /* no directory to put the link in */
    assert_int_equal(ed_artifact_store_link_latest(store, "abc.tar.gz", &url, &err), ED_EINVALID);
    assert_null(url);
    assert_int_equal(
        ed_artifact_store_remove_all(store, "GitRepository", "flux-system", "app", &err), 0);
    char *abs = ed_xasprintf("%s/%s", dir, link);
    assert_false(exists(abs));
    free(abs);
    free(a);
    free(b);
    ed_artifact_store_free(store);
    ed_path_remove_tree(dir);
}
