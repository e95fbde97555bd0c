/*
 * End-to-end tests of the registry client against real OCI registries (Debian's
 * docker-registry): tags listed across pages, Basic auth answered from the challenge, wrong or
 * missing credentials refused, an unknown repository reported, and the whole ImagePolicy choice
 * over the listed tags. The shell part (image_test.sh) pushes the tags first.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_paged),
        cmocka_unit_test(test_basic_auth),
    };
    return cmocka_run_group_tests_name("registry e2e", tests, NULL, NULL);
}
