/*
 * Unit tests of a scan's helpers (src/image/scan.c): dockerconfigjson credentials (username/
 * password or auth, host matching with schemes, paths and Docker Hub's aliases), exclusionList
 * filtering and its invalid patterns, the summary's order and revision, and the tag list kept
 * on disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image/image.h"
#include "image_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_docker_credentials(void **state)
{
    (void)state;
    /* "dXNlcjpwYXNzOndvcmQ=" is base64 of "user:pass:word". */
    const char *cfg = "{\"auths\": {"
                      "\"https://index.docker.io/v1/\": {\"auth\": \"dXNlcjpwYXNzOndvcmQ=\"},"
                      "\"127.0.0.1:5000\": {\"username\": \"u\", \"password\": \"p\"},"
                      "\"https://ghcr.io/v2/\": {\"email\": \"x@y\"}}}";
    char *u = NULL, *p = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(
        ed_image_docker_credentials(cfg, strlen(cfg), "registry-1.docker.io", &u, &p, &err), 0);
    assert_string_equal(u, "user");
    assert_string_equal(p, "pass:word");
    free(u);
    free(p);
    assert_int_equal(ed_image_docker_credentials(cfg, strlen(cfg), "127.0.0.1:5000", &u, &p, &err),
                     0);
    assert_string_equal(u, "u");
    assert_string_equal(p, "p");
    free(u);
    free(p);
    assert_int_equal(ed_image_docker_credentials(cfg, strlen(cfg), "quay.io", &u, &p, &err),
                     ED_ENOTFOUND);
    /* An entry without credentials gives none (go-containerregistry sends none). */
    assert_int_equal(ed_image_docker_credentials(cfg, strlen(cfg), "ghcr.io", &u, &p, &err),
                     ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "ghcr.io"));
    /* An auth that does not decode fails the whole document, whichever registry is asked for,
     * in go-containerregistry's words (Go's base64 offsets: the bad byte; a raw text's lone
     * last byte; a padded text's incomplete last quantum). */
    static const struct {
        const char *auth, *msg;
    } bad[] = {
        {"!!", "illegal base64 data at input byte 0"},
        {"dXNl!jpw", "illegal base64 data at input byte 4"},
        {"dXNlcjpwY", "illegal base64 data at input byte 8"},
        {"dXNlcjpwYQ=x=", "illegal base64 data at input byte 10"},
        {"dXNlcjpwYQ=", "illegal base64 data at input byte 11"},
        {"dXNlcjpwY==", "illegal base64 data at input byte 9"},
        {"dXNlcjpwYQ==x", "illegal base64 data at input byte 10"},
        {"dXNlcg==", "must be formatted as base64(username:password)"},
        {"dXNlcg", "must be formatted as base64(username:password)"},
    };
    /* (checked against Go's encoding/base64: "dXNlcjp=" is "user:", an empty password) */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[256];
        snprintf(doc, sizeof(doc),
                 "{\"auths\": {\"quay.io\": {\"auth\": \"%s\"}, \"ghcr.io\": "
                 "{\"username\": \"u\", \"password\": \"p\"}}}",
                 bad[i].auth);
        assert_int_equal(ed_image_docker_credentials(doc, strlen(doc), "ghcr.io", &u, &p, &err),
                         ED_EINVALID);
        char want[160];
        snprintf(want, sizeof(want), "unable to decode auth field: %s", bad[i].msg);
        assert_string_equal(err.msg, want);
        assert_null(u);
    }
    assert_int_equal(ed_image_docker_credentials("{nope", 5, "ghcr.io", &u, &p, &err), ED_EINVALID);

    /* As Go reads it (image-reflector-controller): a registry given twice keeps its last
     * entry, and a password may hold a surrogate pair escape (Python's json.dumps writes one
     * for a character past U+FFFF). */
    const char *twice = "{\"auths\": {\"ghcr.io\": {\"username\": \"a\", \"password\": \"b\"}, "
                        "\"ghcr.io\": {\"username\": \"bot\", \"password\": \"p\\ud83d\\udd11\"}}}";
    assert_int_equal(ed_image_docker_credentials(twice, strlen(twice), "ghcr.io", &u, &p, &err), 0);
    assert_string_equal(u, "bot");
    assert_string_equal(p, "p\xf0\x9f\x94\x91");
    free(u);
    free(p);

    /* The legacy .dockercfg of a kubernetes.io/dockercfg Secret: the auths map alone. */
    const char *legacy = "{\"https://quay.io\": {\"auth\": \"dXNlcjpwYXNzOndvcmQ=\", "
                         "\"email\": \"x@y\"}}";
    assert_int_equal(ed_image_docker_credentials(legacy, strlen(legacy), "quay.io", &u, &p, &err),
                     0);
    assert_string_equal(u, "user");
    assert_string_equal(p, "pass:word");
    free(u);
    free(p);
}

/* resolve K IMAGE: the user of IMAGE's credentials in K, "" for anonymous. */
static const char *resolved(ed_image_keyring *k, const char *image, char *buf, size_t cap)
{
    char *u = NULL, *p = NULL;
    int rc = ed_image_keyring_resolve(k, image, &u, &p);
    snprintf(buf, cap, "%s%s%s", rc == 0 ? u : "", rc == 0 ? "/" : "", rc == 0 ? p : "");
    if (rc != 0)
        assert_int_equal(rc, ED_ENOTFOUND);
    free(u);
    free(p);
    return buf;
}

void test_keyring(void **state)
{
    (void)state;
    char buf[128];
    ed_err err = ED_ERR_INIT;
    ed_image_keyring *k = ed_image_keyring_new();
    /* Keys as go-containerregistry's NewFromPullSecrets makes them, matched as its urlsMatch
     * does; the reverse lexical order puts the longer of two keys with a prefix in common
     * first, whatever the order in the Secret. "dXNlcjo=" is "user:" (no password). */
    const char *cfg =
        "{\"auths\": {"
        "\"127.0.0.1:5000\": {\"username\": \"host\", \"password\": \"h\"},"
        "\"http://127.0.0.1:5000/team/\": {\"username\": \"team\", \"password\": \"t\"},"
        "\"127.0.0.1:5000/team/app\": {\"email\": \"x@y\"},"
        "\"127.0.0.1:5000/solo\": {\"auth\": \"dXNlcjo=\"},"
        "\"https://index.docker.io/v1/\": {\"username\": \"hub\", \"password\": \"d\"},"
        "\"docker.io\": {\"username\": \"alias\", \"password\": \"a\"},"
        "\"*.example.com\": {\"Username\": \"glob\", \"PASSWORD\": \"g\"},"
        "\"127.0.0.1:6000/v2/\": {\"username\": \"v2\", \"password\": \"p\"}}}";
    assert_int_equal(ed_image_keyring_add(k, cfg, strlen(cfg), false, &err), 0);
    assert_string_equal(resolved(k, "127.0.0.1:5000/web", buf, sizeof(buf)), "host/h");
    assert_string_equal(resolved(k, "127.0.0.1:5000/team/web", buf, sizeof(buf)), "team/t");
    /* (the path a prefix as a string: the key's trailing / keeps /teamx out) */
    assert_string_equal(resolved(k, "127.0.0.1:5000/teamx/web", buf, sizeof(buf)), "host/h");
    /* the most specific key has no credentials: anonymous, the others are not tried */
    assert_string_equal(resolved(k, "127.0.0.1:5000/team/app", buf, sizeof(buf)), "");
    assert_string_equal(resolved(k, "127.0.0.1:5000/solo/x", buf, sizeof(buf)), "");
    assert_string_equal(resolved(k, "127.0.0.1:5001/web", buf, sizeof(buf)), "");
    assert_string_equal(resolved(k, "127.0.0.1:6000/web", buf, sizeof(buf)), "v2/p");
    /* Docker Hub is index.docker.io: a "docker.io" key has a host part fewer */
    assert_string_equal(resolved(k, "index.docker.io/library/nginx", buf, sizeof(buf)), "hub/d");
    assert_string_equal(resolved(k, "registry.example.com/app", buf, sizeof(buf)), "glob/g");
    assert_string_equal(resolved(k, "a.b.example.com/app", buf, sizeof(buf)), "");
    /* A second Secret: a key seen before keeps its first credential, a new one is added; a
     * .dockercfg is the map alone, and a .dockerconfigjson without "auths" gives nothing. */
    const char *second = "{\"AUTHS\": {\"127.0.0.1:5000\": {\"username\": \"late\", "
                         "\"password\": \"l\"}, \"quay.io\": {\"username\": \"q\", "
                         "\"password\": \"q\"}}}";
    assert_int_equal(ed_image_keyring_add(k, second, strlen(second), false, &err), 0);
    assert_string_equal(resolved(k, "127.0.0.1:5000/web", buf, sizeof(buf)), "host/h");
    assert_string_equal(resolved(k, "quay.io/org/app", buf, sizeof(buf)), "q/q");
    const char *legacy = "{\"ghcr.io\": {\"auth\": \"dXNlcjpwYXNzOndvcmQ=\"}}";
    assert_int_equal(ed_image_keyring_add(k, legacy, strlen(legacy), true, &err), 0);
    assert_string_equal(resolved(k, "ghcr.io/org/app", buf, sizeof(buf)), "user/pass:word");
    const char *bare = "{\"registry.gitlab.com\": {\"username\": \"u\", \"password\": \"p\"}}";
    assert_int_equal(ed_image_keyring_add(k, bare, strlen(bare), false, &err), 0);
    assert_string_equal(resolved(k, "registry.gitlab.com/org/app", buf, sizeof(buf)), "");
    /* An auth that does not decode fails the Secret, whichever registry it is for. */
    const char *bad = "{\"auths\": {\"other.invalid\": {\"auth\": \"dXNl!jpw\"}}}";
    assert_int_equal(ed_image_keyring_add(k, bad, strlen(bad), false, &err), ED_EINVALID);
    assert_string_equal(err.msg,
                        "unable to decode auth field: illegal base64 data at input byte 4");
    ed_image_keyring_free(k);
}

void test_exclude_and_summary(void **state)
{
    (void)state;
    const char *in[] = {"1.0.0", "sha256-abc.sig", "1.10.0", "latest", "1.2.0", "x.sig"};
    size_t n = 6;
    char **tags = ed_xcalloc(n + 1, sizeof(*tags));
    for (size_t i = 0; i < n; i++)
        tags[i] = ed_xstrdup(in[i]);
    const char *pats[] = {"^.*\\.sig$", "^latest$"};
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_image_exclude(tags, &n, pats, 2, &err), 0);
    assert_int_equal(n, 3);
    char rev[65], rev2[65];
    ed_image_tags_summary(tags, n, rev);
    /* Reverse lexical order, as Flux lists latestTags. */
    assert_string_equal(tags[0], "1.2.0");
    assert_string_equal(tags[1], "1.10.0");
    assert_string_equal(tags[2], "1.0.0");
    /* Flux's revision: adler32 of the JSON array its database stores, in decimal
     * (zlib.adler32(b'["1.2.0","1.10.0","1.0.0"]')). */
    assert_string_equal(rev, "1096942807");
    ed_image_tags_summary(tags, n, rev2);
    assert_string_equal(rev, rev2);
    ed_image_tags_summary(tags, 0, rev2);
    assert_string_equal(rev2, "18153657"); /* "[]" */
    char *odd[] = {"x<y&", NULL};
    ed_image_tags_summary(odd, 1, rev2);
    assert_string_equal(rev2, "892470606"); /* Go's HTML-safe escapes: ["x\u003cy\u0026"] */
    const char *bad[] = {"(unclosed"};
    assert_int_equal(ed_image_exclude(tags, &n, bad, 1, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to compile regex (unclosed: missing closing parenthesis "
                                 "at offset 9");
    const char *ahead[] = {"^1(?=\\.)"};
    assert_int_equal(ed_image_exclude(tags, &n, ahead, 1, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to compile regex ^1(?=\\.): lookaround are not supported");
    assert_int_equal(n, 3);

    /* Kept on disk and read back. */
    char dir[] = "/tmp/eddy-scan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ed_image_tags_save(dir, "ns", "repo", (const char *const *)tags, n, &err), 0);
    char **back = NULL;
    size_t nb = 0;
    assert_int_equal(ed_image_tags_load(dir, "ns", "repo", &back, &nb, &err), 0);
    assert_int_equal(nb, 3);
    assert_string_equal(back[1], "1.10.0");
    assert_null(back[3]);
    ed_registry_tags_free(back);
    assert_int_equal(ed_image_tags_save(dir, "ns", "../x", (const char *const *)tags, n, &err),
                     ED_EINVALID);
    ed_image_tags_remove(dir, "ns", "repo");
    assert_int_equal(ed_image_tags_load(dir, "ns", "repo", &back, &nb, &err), ED_ENOTFOUND);
    ed_path_remove_tree(dir);
    ed_registry_tags_free(tags);
}
