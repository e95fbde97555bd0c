/*
 * Unit tests of tag policies: semver parsing and precedence, ranges (comparisons, tilde, caret,
 * wildcards, hyphen, or), pre-release rules, and ImagePolicy's choice with filterTags/extract,
 * alphabetical and numerical orders.
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

static void test_semver_parse_and_order(void **state)
{
    (void)state;
    ed_semver a, b;
    assert_int_equal(ed_semver_parse("v1.2", &a), 0);
    assert_int_equal(a.major, 1);
    assert_int_equal(a.minor, 2);
    assert_int_equal(a.patch, 0);
    assert_int_equal(ed_semver_parse("1.2.3-rc.1+build.5", &a), 0);
    assert_string_equal(a.pre, "rc.1");
    assert_string_equal(a.build, "build.5");
    const char *bad[] = {"", "latest", "1.2.3.4", "1..2", "v", "1.2.3-", "1.2.3-a..b", "main-abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ed_semver_parse(bad[i], &a) == 0)
            fail_msg("'%s' parsed", bad[i]);
    /* Precedence (semver 2.0 §11). */
    const char *ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                             "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                             "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                             "1.10.0",      "2.0.0"};
    for (size_t i = 0; i + 1 < sizeof(ordered) / sizeof(ordered[0]); i++) {
        assert_int_equal(ed_semver_parse(ordered[i], &a), 0);
        assert_int_equal(ed_semver_parse(ordered[i + 1], &b), 0);
        if (ed_semver_compare(&a, &b) >= 0 || ed_semver_compare(&b, &a) <= 0)
            fail_msg("%s should order before %s", ordered[i], ordered[i + 1]);
    }
    assert_int_equal(ed_semver_parse("1.0.0+a", &a), 0);
    assert_int_equal(ed_semver_parse("1.0.0+b", &b), 0);
    assert_int_equal(ed_semver_compare(&a, &b), 0); /* build metadata does not count */
}

static bool in(const char *range, const char *version)
{
    ed_semver_range *r = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_semver_range_parse(range, &r, &err) != 0)
        fail_msg("range %s: %s", range, err.msg);
    ed_semver v;
    if (ed_semver_parse(version, &v) != 0)
        fail_msg("version %s", version);
    bool m = ed_semver_range_match(r, &v);
    ed_semver_range_free(r);
    return m;
}

static void test_ranges(void **state)
{
    (void)state;
    struct {
        const char *range, *version;
        bool match;
    } cases[] = {
        {">=1.0.0", "1.0.0", true},
        {">=1.0.0", "0.9.9", false},
        {">1.0.0", "1.0.0", false},
        {"<2.0.0", "1.99.0", true},
        {"<=1.2", "1.2.9", true},
        {"<=1.2", "1.3.0", false},
        {"1.2.x", "1.2.7", true},
        {"1.2.x", "1.3.0", false},
        {"5.1.x", "5.1.4", true},
        {"1.2", "1.2.5", true},
        {"*", "9.9.9", true},
        {"~1.2.3", "1.2.9", true},
        {"~1.2.3", "1.3.0", false},
        {"~1", "1.9.0", true},
        {"^1.2.3", "1.9.0", true},
        {"^1.2.3", "2.0.0", false},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.3.0", false},
        {"^0.0.3", "0.0.4", false},
        {">= 1.0, < 1.4", "1.3.9", true},
        {">=1.0.0 <1.4.0", "1.4.0", false},
        {"1.2 - 1.4.5", "1.4.5", true},
        {"1.2 - 1.4.5", "1.4.6", false},
        {"1.2 - 1.4.5", "1.1.9", false},
        {"<1.0.0 || >=3.0.0", "3.1.0", true},
        {"<1.0.0 || >=3.0.0", "2.0.0", false},
        {"!=1.2.3", "1.2.3", false},
        {"!=1.2.3", "1.2.4", true},
        {"=v1.2.3", "1.2.3", true},
        /* Pre-releases match only terms that name a pre-release. */
        {">=1.0.0", "1.1.0-rc.1", false},
        {">=1.0.0-0", "1.1.0-rc.1", true},
        {"*", "1.0.0-beta", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (in(cases[i].range, cases[i].version) != cases[i].match)
            fail_msg("%s in %s: want %d", cases[i].version, cases[i].range, cases[i].match);
    const char *bad[] = {"", ">>1.0", "1.x.3", "abc", ">= ", "||"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_semver_range *r = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_semver_range_parse(bad[i], &r, &err) == 0)
            fail_msg("range '%s' parsed", bad[i]);
        assert_non_null(strstr(err.msg, "invalid semver range"));
    }
}

static const char *latest(const ed_policy_spec *spec, const char *const *tags, size_t n, int want)
{
    const char *out = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_policy_latest(spec, tags, n, &out, &err);
    if (rc != want)
        fail_msg("policy returned %d (%s), want %d", rc, err.msg, want);
    return out;
}

static void test_policies(void **state)
{
    (void)state;
    const char *tags[] = {"latest", "1.0.0", "v1.2.0", "1.10.0", "2.0.0-rc.1", "1.9.3", "main"};
    ed_policy_spec semver = {.kind = ED_POLICY_SEMVER, .range = ">=1.0.0 <2.0.0"};
    assert_string_equal(latest(&semver, tags, 7, 0), "1.10.0");
    semver.range = "1.2.x";
    assert_string_equal(latest(&semver, tags, 7, 0), "v1.2.0");
    semver.range = ">=3.0.0";
    latest(&semver, tags, 7, ED_ENOTFOUND);
    /* Flux's messages when nothing is chosen: none in range, none left after the filter. */
    const char *got = NULL;
    ed_err perr = ED_ERR_INIT;
    assert_int_equal(ed_policy_latest(&semver, tags, 7, &got, &perr), ED_ENOTFOUND);
    assert_string_equal(perr.msg, "unable to determine latest version from provided list");
    ed_policy_spec none = {.kind = ED_POLICY_ALPHABETICAL, .filter = "^nothing-"};
    assert_int_equal(ed_policy_latest(&none, tags, 7, &got, &perr), ED_ENOTFOUND);
    assert_string_equal(perr.msg, "version list argument cannot be empty");
    /* A bad range is the spec's fault, reported before any filtering. */
    ed_policy_spec bad_range = {.kind = ED_POLICY_SEMVER, .range = "abc", .filter = "^("};
    assert_int_equal(ed_policy_latest(&bad_range, tags, 7, &got, &perr), ED_EINVALID);
    assert_string_equal(perr.msg, "improper constraint: \"abc\"");
    /* Flux's semver library quotes the ||-alternative that does not parse. */
    ed_policy_spec bad_alt = {.kind = ED_POLICY_SEMVER, .range = ">=1.0.0 || not a range"};
    assert_int_equal(ed_policy_latest(&bad_alt, tags, 7, &got, &perr), ED_EINVALID);
    assert_string_equal(perr.msg, "improper constraint: \" not a range\"");
    /* Tags are read strictly, as Flux does: dates, short and zero-padded versions, a capital
     * V are not versions, however high they would rank. */
    const char *loose[] = {"20240101", "7", "v1.3", "V1.9.9", "01.5.0", "1.4.0-rc.01", "1.2.5"};
    semver.range = ">=1.0.0";
    assert_string_equal(latest(&semver, loose, 7, 0), "1.2.5");
    ed_semver v;
    assert_int_equal(ed_semver_parse_tag("v1.2.3-rc.1+build.01", &v), 0);
    assert_string_equal(v.pre, "rc.1");
    assert_int_equal(ed_semver_parse_tag("0.0.0", &v), 0);
    const char *bad_tags[] = {"",         "v",       "1.2",          "1.2.3.4",
                              "1.2.3-",   "1.2.3+",  "1.2.3-a..b",   "1.02.3",
                              "1.2.3-00", "v01.2.3", "1.2.3-rc+a..b"};
    for (size_t i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++)
        if (ed_semver_parse_tag(bad_tags[i], &v) == 0)
            fail_msg("tag '%s' read as a version", bad_tags[i]);

    /* The example of Flux's docs: main-<sha>-<timestamp>, newest timestamp wins. */
    const char *builds[] = {"main-a1b2c3d-1700000300", "main-ffffff0-1700000100",
                            "feature-x-1700000999", "main-0000000-1700000200"};
    ed_policy_spec num = {
        .kind = ED_POLICY_NUMERICAL, .filter = "^main-[a-f0-9]+-(?P<ts>[0-9]+)", .extract = "$ts"};
    assert_string_equal(latest(&num, builds, 4, 0), "main-a1b2c3d-1700000300");
    num.descending = true;
    assert_string_equal(latest(&num, builds, 4, 0), "main-ffffff0-1700000100");
    num.extract = "${ts}";
    num.descending = false;
    assert_string_equal(latest(&num, builds, 4, 0), "main-a1b2c3d-1700000300");
    /* Numerical without a filter over non-numbers is an error, as in Flux, but of the tags,
     * not of the spec (ED_ERROR is retried, ED_EINVALID would stall). */
    ed_policy_spec plain_num = {.kind = ED_POLICY_NUMERICAL};
    latest(&plain_num, builds, 4, ED_ERROR);
    const char *nums[] = {"9", "10", "2.5"};
    assert_string_equal(latest(&plain_num, nums, 3, 0), "10");

    /* Ties as Flux breaks them: over the tags in descending order, numerical keeps the last
     * of equal numbers (the smallest tag), in either order. */
    const char *tied[] = {"1.0", "1", "01", "0.5"};
    assert_string_equal(latest(&plain_num, tied, 4, 0), "01");
    const char *tied2[] = {"01", "1", "1.0", "2"};
    plain_num.descending = true;
    assert_string_equal(latest(&plain_num, tied2, 4, 0), "01");
    plain_num.descending = false;
    /* Numbers as Go's ParseFloat reads them: '_' between digits, Inf, hexadecimal only with
     * an exponent; an overflow fails. */
    const char *go_nums[] = {"999", "20240101_1200", "1e3"};
    assert_string_equal(latest(&plain_num, go_nums, 3, 0), "20240101_1200");
    const char *inf[] = {"Inf", "5"};
    assert_string_equal(latest(&plain_num, inf, 2, 0), "Inf");
    const char *hexp[] = {"0x1p4", "15"};
    assert_string_equal(latest(&plain_num, hexp, 2, 0), "0x1p4");
    const char *bad_nums[] = {"0x10", "1__0", "_1", "1e400", "+nan", "1.2.3", "infin", " 1"};
    for (size_t i = 0; i < sizeof(bad_nums) / sizeof(bad_nums[0]); i++) {
        const char *one[] = {bad_nums[i]};
        latest(&plain_num, one, 1, ED_ERROR);
    }
    /* Two tags extracting the same value: Flux keeps the later one in descending order, the
     * smaller tag, whatever order the registry listed them in. */
    ed_policy_spec same = {
        .kind = ED_POLICY_ALPHABETICAL, .filter = "^(dev-)?v(?P<ver>[0-9.]+)$", .extract = "$ver"};
    const char *collide[] = {"v1.0", "dev-v1.0", "v0.9"};
    assert_string_equal(latest(&same, collide, 3, 0), "dev-v1.0");
    const char *collide2[] = {"dev-v1.0", "v0.9", "v1.0"};
    assert_string_equal(latest(&same, collide2, 3, 0), "dev-v1.0");
    same.kind = ED_POLICY_SEMVER;
    same.range = ">=1.0.0";
    same.filter = "^(rc-)?(?P<ver>[0-9.]+)$";
    const char *collide3[] = {"rc-1.0.0", "1.0.0", "0.9.0"};
    assert_string_equal(latest(&same, collide3, 3, 0), "1.0.0");
    /* Equal versions without a filter: the first in descending order (only a greater one
     * replaces). */
    ed_policy_spec sv = {.kind = ED_POLICY_SEMVER, .range = ">=1.0.0"};
    const char *eq[] = {"1.0.0", "v1.0.0", "1.0.0+b", "1.0.0+a"};
    assert_string_equal(latest(&sv, eq, 4, 0), "v1.0.0");

    ed_policy_spec alpha = {.kind = ED_POLICY_ALPHABETICAL};
    const char *dates[] = {"RELEASE.2023-01-31", "RELEASE.2024-06-01", "RELEASE.2022-12-24"};
    assert_string_equal(latest(&alpha, dates, 3, 0), "RELEASE.2024-06-01");
    alpha.descending = true;
    assert_string_equal(latest(&alpha, dates, 3, 0), "RELEASE.2022-12-24");
    /* semver over an extracted part. */
    const char *prefixed[] = {"app-1.2.0", "app-1.10.1", "other-9.9.9"};
    ed_policy_spec sx = {
        .kind = ED_POLICY_SEMVER, .range = "*", .filter = "^app-(.*)$", .extract = "$1"};
    assert_string_equal(latest(&sx, prefixed, 3, 0), "app-1.10.1");
    /* extract as Go's Regexp.Expand reads it: "$$" is a literal '$' (not the start of a
     * reference), a malformed reference leaves its '$' as text, "$01" names no group. The
     * value is seen in the numerical policy's message. */
    const char *prices[] = {"p-9"};
    struct {
        const char *extract, *value;
    } exp[] = {{"$$1", "$1"},   {"$$$1", "$9"}, {"${1", "${1"},  {"${}x", "${}x"}, {"$01", ""},
               {"$-$1", "$-9"}, {"a$1b", "a"},  {"${1}b", "9b"}, {"$$$$", "$$"},   {"$", "$"}};
    for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
        ed_policy_spec x = {
            .kind = ED_POLICY_NUMERICAL, .filter = "^p-([0-9]+)$", .extract = exp[i].extract};
        char want[128];
        snprintf(want, sizeof(want), "failed to parse invalid numeric value '%s'", exp[i].value);
        const char *chosen = NULL;
        ed_err xerr = ED_ERR_INIT;
        int xrc = ed_policy_latest(&x, prices, 1, &chosen, &xerr);
        if (strcmp(exp[i].value, "9") == 0 ? xrc != 0 : strcmp(xerr.msg, want) != 0)
            fail_msg("extract '%s': %d '%s', want '%s'", exp[i].extract, xrc, xerr.msg, want);
    }

    /* Patterns RE2 refuses are refused here too; broken patterns name the problem. */
    ed_policy_spec look = {.kind = ED_POLICY_ALPHABETICAL, .filter = "^(?!dev).*"};
    latest(&look, dates, 3, ED_EINVALID);
    ed_policy_spec broken = {.kind = ED_POLICY_ALPHABETICAL, .filter = "^(main"};
    latest(&broken, dates, 3, ED_EINVALID);
}

static void test_image_refs(void **state)
{
    (void)state;
    struct {
        const char *in, *registry, *repository, *canonical;
    } ok[] = {
        {"nginx", "registry-1.docker.io", "library/nginx", "index.docker.io/library/nginx"},
        {"docker.io/fluxcd/flux", "registry-1.docker.io", "fluxcd/flux",
         "index.docker.io/fluxcd/flux"},
        {"ghcr.io/stefanprodan/podinfo", "ghcr.io", "stefanprodan/podinfo",
         "ghcr.io/stefanprodan/podinfo"},
        {"127.0.0.1:5000/apps/web", "127.0.0.1:5000", "apps/web", "127.0.0.1:5000/apps/web"},
        {"localhost/app", "localhost", "app", "localhost/app"},
        {"team/app", "registry-1.docker.io", "team/app", "index.docker.io/team/app"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ed_image_ref r;
        ed_err err = ED_ERR_INIT;
        if (ed_image_ref_parse(ok[i].in, &r, &err) != 0)
            fail_msg("%s: %s", ok[i].in, err.msg);
        assert_string_equal(r.registry, ok[i].registry);
        assert_string_equal(r.repository, ok[i].repository);
        assert_string_equal(r.canonical, ok[i].canonical);
    }
    const char *bad[] = {"",    "nginx:1.27", "ghcr.io/Upper/app", "app@sha256:abc",
                         "a b", "ghcr.io/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_image_ref r;
        ed_err err = ED_ERR_INIT;
        if (ed_image_ref_parse(bad[i], &r, &err) != ED_EINVALID)
            fail_msg("'%s' accepted", bad[i]);
    }
    /* Flux's messages for a URL and for a name with its tag (a URL was read as a registry
     * named "https:" before). */
    struct {
        const char *in, *msg;
    } msgs[] = {
        {"https://ghcr.io/org/app",
         "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'"},
        {"oci://127.0.0.1:5000/app",
         "image 'oci://127.0.0.1:5000/app' should not include URL scheme; remove 'oci://'"},
        {"nginx:1.27", "image 'nginx:1.27' should not include a tag; remove ':1.27'"},
        {"127.0.0.1:5000/apps/web:1.0.0",
         "image '127.0.0.1:5000/apps/web:1.0.0' should not include a tag; remove ':1.0.0'"},
        /* Any other bad name in go-containerregistry's words, checked before the tag. */
        {"127.0.0.1:5000/apps/Web", "could not parse reference: 127.0.0.1:5000/apps/Web"},
        {"ghcr.io/Org/web:1.0", "could not parse reference: ghcr.io/Org/web:1.0"},
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        ed_image_ref r;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_image_ref_parse(msgs[i].in, &r, &err), ED_EINVALID);
        assert_string_equal(err.msg, msgs[i].msg);
    }
}

/* Plain HTTP as go-containerregistry allows it: insecure, or a registry that looks local. */
static void test_plain_http(void **state)
{
    (void)state;
    struct {
        const char *image;
        bool insecure, plain;
    } cases[] = {
        {"ghcr.io/org/app", false, false},
        {"ghcr.io/org/app", true, true},
        {"nginx", false, false},
        {"localhost:5000/app", false, true},
        {"localhost/app", false, false},
        {"registry.local:5000/app", false, true},
        {"registry.localhost/app", false, true},
        {"127.0.0.1:5000/app", false, true},
        {"10.96.0.12:5000/app", false, true},
        {"172.16.0.1/app", false, true},
        {"172.31.255.1:80/app", false, true},
        {"172.32.0.1:5000/app", false, false},
        {"192.168.1.5:5000/app", false, true},
        {"192.169.1.5:5000/app", false, false},
        {"8.8.8.8:5000/app", false, false},
        {"10.0.0.1.example.com/app", false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_image_ref r;
        ed_err err = ED_ERR_INIT;
        if (ed_image_ref_parse(cases[i].image, &r, &err) != 0)
            fail_msg("%s: %s", cases[i].image, err.msg);
        if (ed_registry_plain_http_allowed(&r, cases[i].insecure) != cases[i].plain)
            fail_msg("%s (insecure %d): plain HTTP %s", cases[i].image, cases[i].insecure,
                     cases[i].plain ? "refused" : "allowed");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver_parse_and_order),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_image_refs),
        cmocka_unit_test(test_oci_url),
        cmocka_unit_test(test_oci_tags_filter),
        cmocka_unit_test(test_oci_layer),
        cmocka_unit_test(test_plain_http),
        cmocka_unit_test(test_setters_golden),
        cmocka_unit_test(test_setters_errors),
        cmocka_unit_test(test_template_render),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_template_unsupported),
        cmocka_unit_test(test_template_functions),
        cmocka_unit_test(test_sprig_strings),
        cmocka_unit_test(test_sprig_numbers_lists),
        cmocka_unit_test(test_template_language),
        cmocka_unit_test(test_sprig_argument_errors),
        cmocka_unit_test(test_sprig_case_words),
        cmocka_unit_test(test_sprig_printf_composites),
        cmocka_unit_test(test_template_define_main),
        cmocka_unit_test(test_sprig_floats),
        cmocka_unit_test(test_sprig_from_json),
        cmocka_unit_test(test_sprig_semver),
        cmocka_unit_test(test_sprig_duration_round),
        cmocka_unit_test(test_sprig_url),
        cmocka_unit_test(test_sprig_semver_methods),
        cmocka_unit_test(test_sprig_dates),
        cmocka_unit_test(test_sprig_ago),
        cmocka_unit_test(test_sprig_aes),
        cmocka_unit_test(test_sprig_derive_password),
        cmocka_unit_test(test_docker_credentials),
        cmocka_unit_test(test_keyring),
        cmocka_unit_test(test_exclude_and_summary),
    };
    return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
