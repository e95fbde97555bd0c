/*
 * Unit tests of OCI artifacts as an OCIRepository reads them (src/image/oci.c): its oci://
 * address (Flux's refusals of a scheme, a tag and a digest), and the layer chosen from a
 * manifest (the first, or the first of layerSelector's media type, with the manifest's
 * annotations) and every manifest it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc/doc.h"
#include "image/image.h"
#include "image_tests.h"

#include <stdlib.h>
#include <string.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

void test_oci_url(void **state)
{
    (void)state;
    ed_image_ref r;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_oci_url_parse("oci://127.0.0.1:5000/org/app-manifests", &r, &err), 0);
    assert_string_equal(r.registry, "127.0.0.1:5000");
    assert_string_equal(r.repository, "org/app-manifests");
    assert_int_equal(ed_oci_url_parse("oci://ghcr.io/stefanprodan/manifests/podinfo", &r, &err), 0);
    assert_string_equal(r.registry, "ghcr.io");
    assert_string_equal(r.repository, "stefanprodan/manifests/podinfo");
    /* No host in the first part: a Docker Hub repository, as go-containerregistry reads it. */
    assert_int_equal(ed_oci_url_parse("oci://ghcr.io", &r, &err), 0);
    assert_string_equal(r.canonical, "index.docker.io/library/ghcr.io");
    assert_int_equal(ed_oci_url_parse("oci://org/app", &r, &err), 0);
    assert_string_equal(r.canonical, "index.docker.io/org/app");
    struct {
        const char *in, *msg;
    } bad[] = {
        {"https://ghcr.io/org/app", "URL must be in format 'oci://<domain>/<org>/<repo>'"},
        {"oci://", "a repository name must be specified"},
        /* A tag or a digest: refused by go-containerregistry's check, as in Flux. */
        {"oci://ghcr.io/org/app:v1",
         "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: "
         "org/app:v1"},
        {"oci://127.0.0.1:5000/app:latest",
         "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: "
         "app:latest"},
        {"oci://ghcr.io/org/app@" D1,
         "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: "
         "org/app@" D1},
        {"oci://127.0.0.1:5000",
         "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: "
         "127.0.0.1:5000"},
        {"oci://ghcr.io/Org/app",
         "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: "
         "Org/app"},
        {"oci://ghcr.io/a", "repository must be between 2 and 255 characters in length: a"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_err e = ED_ERR_INIT;
        if (ed_oci_url_parse(bad[i].in, &r, &e) != ED_EINVALID)
            fail_msg("'%s' accepted", bad[i].in);
        if (!strstr(e.msg, bad[i].msg))
            fail_msg("'%s': %s", bad[i].in, e.msg);
    }
}

void test_oci_layer(void **state)
{
    (void)state;
    const char *m =
        "{\"schemaVersion\":2,"
        "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"" ED_OCI_FLUX_CONFIG_TYPE "\",\"digest\":\"" D1
        "\",\"size\":2},"
        "\"layers\":[{\"mediaType\":\"application/vnd.example.docs\",\"digest\":\"" D1
        "\",\"size\":10},"
        "{\"mediaType\":\"" ED_OCI_FLUX_CONTENT_TYPE "\",\"digest\":\"" D2 "\",\"size\":20}],"
        "\"annotations\":{\"org.opencontainers.image.source\":\"https://g/x\","
        "\"org.opencontainers.image.revision\":\"main@sha1:abc\"}}";
    ed_oci_layer l;
    ed_err err = ED_ERR_INIT;
    /* No selector: the first layer, as Flux. */
    assert_int_equal(ed_oci_manifest_layer(m, strlen(m), NULL, &l, &err), 0);
    assert_string_equal(l.digest, D1);
    assert_int_equal(l.size, 10);
    assert_non_null(l.annotations);
    assert_string_equal(
        ed_node_str(ed_node_get(ed_doc_root(l.annotations), "org.opencontainers.image.revision")),
        "main@sha1:abc");
    ed_oci_layer_clear(&l);
    assert_int_equal(ed_oci_manifest_layer(m, strlen(m), ED_OCI_FLUX_CONTENT_TYPE, &l, &err), 0);
    assert_string_equal(l.digest, D2);
    assert_string_equal(l.media_type, ED_OCI_FLUX_CONTENT_TYPE);
    ed_oci_layer_clear(&l);
    assert_int_equal(ed_oci_manifest_layer(m, strlen(m), "text/plain", &l, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to find layer with media type 'text/plain' in artifact");
    struct {
        const char *manifest, *msg;
    } bad[] = {
        {"not json", "failed to parse artifact manifest"},
        {"{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
         "unsupported media type 'application/vnd.oci.image.index.v1+json'"},
        {"{\"schemaVersion\":2,\"layers\":[]}", "no layers found in artifact"},
        {"{\"schemaVersion\":2,\"layers\":[{\"digest\":\"sha256:../../etc\"}]}",
         "invalid digest 'sha256:../../etc'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_err e = ED_ERR_INIT;
        if (ed_oci_manifest_layer(bad[i].manifest, strlen(bad[i].manifest), NULL, &l, &e) !=
            ED_EINVALID)
            fail_msg("manifest %zu accepted", i);
        if (!strstr(e.msg, bad[i].msg))
            fail_msg("manifest %zu: %s", i, e.msg);
        ed_oci_layer_clear(&l);
    }
}

/* flux list artifacts: newest name first, cosign's tags out, then the semver and regex filters. */
void test_oci_tags_filter(void **state)
{
    (void)state;
    const char *in[] = {"1.0.0",  "latest",      "sha256-ab.sig", "sha256-ab.att", "1.2.0",
                        "x.sbom", "v2.0.0-rc.1", "1.10.0",        "dev-1"};
    size_t n = sizeof(in) / sizeof(in[0]);
    char **tags = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        tags[i] = strdup(in[i]);
    ed_err err = ED_ERR_INIT;
    size_t m = n;
    assert_int_equal(ed_oci_tags_filter(tags, &m, NULL, NULL, &err), 0);
    assert_int_equal(m, 6);
    const char *all[] = {"v2.0.0-rc.1", "latest", "dev-1", "1.2.0", "1.10.0", "1.0.0"};
    for (size_t i = 0; i < m; i++)
        assert_string_equal(tags[i], all[i]);
    assert_int_equal(ed_oci_tags_filter(tags, &m, ">=1.1.0", NULL, &err), 0);
    assert_int_equal(m, 2);
    assert_string_equal(tags[0], "1.2.0");
    assert_string_equal(tags[1], "1.10.0");
    assert_int_equal(ed_oci_tags_filter(tags, &m, NULL, "^1\\.1", &err), 0);
    assert_int_equal(m, 1);
    assert_string_equal(tags[0], "1.10.0");
    assert_int_equal(ed_oci_tags_filter(tags, &m, "not a range", NULL, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "semver 'not a range' parse error: "));
    assert_int_equal(ed_oci_tags_filter(tags, &m, NULL, "([", &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "regex '([' parse error: "));
    assert_int_equal(m, 1);
    for (size_t i = 0; i < m; i++)
        free(tags[i]);
    free(tags);
}
