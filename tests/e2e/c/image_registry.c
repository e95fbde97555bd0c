/*
 * End-to-end tests of the registry client against real OCI registries (Debian's
 * docker-registry): tags listed across pages, Basic auth answered from the challenge, wrong or
 * missing credentials refused, an unknown repository reported, and the whole ImagePolicy choice
 * over the listed tags. The shell part (image_test.sh) pushes the tags first. Also the push and
 * pull of an OCIRepository artifact: blobs uploaded (a wrong digest refused by the registry),
 * a manifest put under a tag, read back by tag and by digest with its layer, a blob over the
 * cap refused and its file removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_image_ref ref_for(const char *registry_env, const char *repo)
{
    const char *registry = getenv(registry_env);
    if (!registry)
        fail_msg("%s is not set", registry_env);
    char name[512];
    snprintf(name, sizeof(name), "%s/%s", registry, repo);
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    if (ed_image_ref_parse(name, &ref, &err))
        fail_msg("%s", err.msg);
    return ref;
}

static bool has(char **tags, const char *t)
{
    for (; *tags; tags++)
        if (strcmp(*tags, t) == 0)
            return true;
    return false;
}

static void test_anonymous_paged(void **state)
{
    (void)state;
    ed_image_ref ref = ref_for("EDDY_REGISTRY", "apps/web");
    ed_registry_opts o = {.insecure = true, .page_size = 2};
    char **tags = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_registry_tags(&ref, &o, &tags, &n, &err))
        fail_msg("%s", err.msg);
    /* Five tags pushed, two a page: three pages followed through Link. */
    assert_int_equal(n, 5);
    assert_true(has(tags, "1.0.0") && has(tags, "1.2.0") && has(tags, "2.0.0-rc.1") &&
                has(tags, "main-abc1234-1700000100") && has(tags, "latest"));
    ed_policy_spec semver = {.kind = ED_POLICY_SEMVER, .range = ">=1.0.0"};
    const char *latest = NULL;
    assert_int_equal(ed_policy_latest(&semver, (const char *const *)tags, n, &latest, &err), 0);
    assert_string_equal(latest, "1.2.0");
    ed_registry_tags_free(tags);

    ed_image_ref missing = ref_for("EDDY_REGISTRY", "apps/none");
    assert_int_equal(ed_registry_tags(&missing, &o, &tags, &n, &err), ED_ENOTFOUND);
}

static void test_basic_auth(void **state)
{
    (void)state;
    ed_image_ref ref = ref_for("EDDY_REGISTRY_AUTH", "apps/api");
    ed_registry_opts o = {.insecure = true,
                          .username = getenv("EDDY_REGISTRY_USER"),
                          .password = getenv("EDDY_REGISTRY_PASSWORD")};
    char **tags = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_registry_tags(&ref, &o, &tags, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    assert_true(has(tags, "v1.0.0") && has(tags, "v1.1.0"));
    ed_registry_tags_free(tags);

    o.password = "wrong-password";
    assert_int_equal(ed_registry_tags(&ref, &o, &tags, &n, &err), ED_EAUTH);
    assert_null(strstr(err.msg, "wrong-password"));
    o.username = NULL;
    o.password = NULL;
    assert_int_equal(ed_registry_tags(&ref, &o, &tags, &n, &err), ED_EAUTH);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 4096);
    *len = fread(buf, 1, 4095, f);
    fclose(f);
    return buf;
}

static void test_artifact_push_pull(void **state)
{
    (void)state;
    ed_image_ref ref = ref_for("EDDY_REGISTRY_AUTH", "apps/artifact");
    ed_registry_opts o = {.push = true,
                          .username = getenv("EDDY_REGISTRY_USER"),
                          .password = getenv("EDDY_REGISTRY_PASSWORD")};
    ed_err err = ED_ERR_INIT;
    static const char layer[] = "not really a tarball, bytes all the same";
    static const char config[] = "{}";
    char hex[65], layer_digest[80], config_digest[80], wrong[80];
    ed_sha256_hex(layer, sizeof(layer) - 1, hex);
    snprintf(layer_digest, sizeof(layer_digest), "sha256:%s", hex);
    ed_sha256_hex(config, sizeof(config) - 1, hex);
    snprintf(config_digest, sizeof(config_digest), "sha256:%s", hex);
    ed_sha256_hex("other", 5, hex);
    snprintf(wrong, sizeof(wrong), "sha256:%s", hex);
    if (ed_registry_blob_put(&ref, &o, NULL, layer, sizeof(layer) - 1, layer_digest, &err) ||
        ed_registry_blob_put(&ref, &o, NULL, config, sizeof(config) - 1, config_digest, &err))
        fail_msg("%s", err.msg);
    /* Again: the registry has them, nothing is sent. */
    if (ed_registry_blob_put(&ref, &o, NULL, layer, sizeof(layer) - 1, layer_digest, &err))
        fail_msg("%s", err.msg);
    /* The registry checks what it receives against the digest. */
    assert_int_not_equal(
        ed_registry_blob_put(&ref, &o, NULL, layer, sizeof(layer) - 1, wrong, &err), 0);
    char manifest[1024];
    snprintf(manifest, sizeof(manifest),
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
             "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2},"
             "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}],"
             "\"annotations\":{\"org.opencontainers.image.revision\":\"main@sha1:abc\"}}",
             ED_OCI_FLUX_CONFIG_TYPE, config_digest, ED_OCI_FLUX_CONTENT_TYPE, layer_digest,
             sizeof(layer) - 1);
    char digest[ED_DIGEST_MAX], head[ED_DIGEST_MAX], got[ED_DIGEST_MAX];
    if (ed_registry_manifest_put(&ref, &o, "1.0.0", manifest,
                                 "application/vnd.oci.image.manifest.v1+json", digest, &err))
        fail_msg("%s", err.msg);
    if (ed_registry_digest(&ref, &o, "1.0.0", head, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(head, digest);
    char *body = NULL;
    if (ed_registry_manifest(&ref, &o, digest, &body, got, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(body, manifest);
    assert_string_equal(got, digest);
    ed_oci_layer l;
    if (ed_oci_manifest_layer(body, strlen(body), NULL, &l, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(l.digest, layer_digest);
    free(body);
    char dir[] = "/tmp/eddy-blob-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64];
    snprintf(file, sizeof(file), "%s/layer", dir);
    if (ed_registry_blob_get(&ref, &o, l.digest, file, 1 << 20, &err))
        fail_msg("%s", err.msg);
    size_t len = 0;
    char *data = read_all(file, &len);
    assert_int_equal(len, sizeof(layer) - 1);
    assert_memory_equal(data, layer, len);
    free(data);
    unlink(file);
    if (ed_registry_blob_get(&ref, &o, l.digest, file, 8, &err) != ED_ETOOBIG)
        fail_msg("over the cap: %s", err.msg);
    assert_int_equal(access(file, F_OK), -1);
    assert_int_equal(ed_registry_blob_get(&ref, &o, "sha256:../../x", file, 8, &err), ED_EINVALID);
    ed_oci_layer_clear(&l);
    rmdir(dir);
    /* Without credentials the push is refused as such. */
    ed_registry_opts anon = {.push = true};
    assert_int_equal(ed_registry_manifest_put(&ref, &anon, "1.0.1", manifest,
                                              "application/vnd.oci.image.manifest.v1+json", digest,
                                              &err),
                     ED_EAUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_paged),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_artifact_push_pull),
    };
    return cmocka_run_group_tests_name("registry e2e", tests, NULL, NULL);
}
