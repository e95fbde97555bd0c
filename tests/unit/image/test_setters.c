/*
 * Unit tests of setters (src/image/setters.c) with golden files: each case under
 * tests/unit/image/testdata/setters/<case>/ is an input.yaml and the expected.yaml the markers
 * must turn it into, byte for byte (comments, quoting, blank lines, CRLF kept). Also the
 * changes reported (old and new values, objects) and the errors for bad markers.
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

#define CASES "tests/unit/image/testdata/setters"

/* apps:web is at 1.3.0 with a digest; apps:other belongs to someone else; the rest is absent. */
static int lookup(const char *ns, const char *name, ed_setter_image *out, void *user)
{
    (void)user;
    if (strcmp(ns, "apps") != 0)
        return ED_ENOTFOUND;
    if (strcmp(name, "other") == 0)
        return 1;
    if (strcmp(name, "web") != 0)
        return ED_ENOTFOUND;
    out->name = "127.0.0.1:5000/apps/web";
    out->tag = "1.3.0";
    out->digest = "sha256:1111";
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return ed_buf_take(&b);
}

/* Apply the case's input; compare with expected; return the number of changes. */
static size_t run_case(const char *name, ed_setter_changes *ch)
{
    char in_path[256], exp_path[256];
    snprintf(in_path, sizeof(in_path), "%s/%s/input.yaml", CASES, name);
    snprintf(exp_path, sizeof(exp_path), "%s/%s/expected.yaml", CASES, name);
    size_t in_len, exp_len;
    char *in = slurp(in_path, &in_len), *exp = slurp(exp_path, &exp_len);
    ed_buf out = ED_BUF_INIT((size_t)1 << 20);
    ed_err err = ED_ERR_INIT;
    if (ed_setters_apply("deploy/app.yaml", in, in_len, lookup, NULL, &out, ch, &err) != 0)
        fail_msg("%s: %s", name, err.msg);
    if (out.len != exp_len || memcmp(out.data, exp, exp_len) != 0)
        fail_msg("%s: output differs from expected.yaml:\n%s", name, out.data);
    ed_buf_free(&out);
    free(in);
    free(exp);
    return ch->n;
}

void test_setters_golden(void **state)
{
    (void)state;
    ed_setter_changes ch = {0};
    assert_int_equal(run_case("multidoc", &ch), 6);
    /* The first change: the Deployment's image, with its object and values. */
    assert_string_equal(ch.items[0].file, "deploy/app.yaml");
    assert_string_equal(ch.items[0].kind, "Deployment");
    assert_string_equal(ch.items[0].obj_name, "web");
    assert_string_equal(ch.items[0].obj_namespace, "apps");
    assert_string_equal(ch.items[0].old_value, "127.0.0.1:5000/apps/web:1.2.0");
    assert_string_equal(ch.items[0].new_value, "127.0.0.1:5000/apps/web:1.3.0@sha256:1111");
    assert_string_equal(ch.items[0].setter, "apps:web");
    assert_int_equal(ch.items[0].line, 12);
    /* Quotes are not part of the value. */
    assert_string_equal(ch.items[1].old_value, "example.org/web:1.0.0@sha256:0000");
    /* The second document is the HelmRelease. */
    assert_string_equal(ch.items[2].kind, "HelmRelease");
    assert_string_equal(ch.items[2].obj_name, "web-chart");
    assert_string_equal(ch.items[3].old_value, "1.2.0");
    assert_string_equal(ch.items[3].setter, "apps:web:tag");
    ed_setter_changes_free(&ch);

    assert_int_equal(run_case("uptodate", &ch), 0);
    assert_int_equal(run_case("crlf", &ch), 1);
    assert_string_equal(ch.items[0].old_value, "old:1");
    ed_setter_changes_free(&ch);
    /* A marker on a flow mapping or sequence is left alone, as kyaml's setters leave it: only
     * the scalar changes. */
    assert_int_equal(run_case("flow", &ch), 1);
    assert_string_equal(ch.items[0].old_value, "1.2.0");
    ed_setter_changes_free(&ch);
}

void test_setters_errors(void **state)
{
    (void)state;
    /* What Flux does not take for a marker of a known policy is left alone: malformed
     * markers, a policy that does not exist (another cluster's), a line without a value. */
    static const char *const skipped[] = {
        "a: 1\nimage: x:1 # {\"$imagepolicy\": apps:web}\n",
        "image: x:1 # {\"$imagepolicy\": \"apps-web\"}\n",
        "image: x:1 # {\"$imagepolicy\": \"apps:web:version\"}\n",
        "image: x:1 # {\"$imagepolicy\": \"apps:gone\"}\n",
        "image: # {\"$imagepolicy\": \"apps:web\"}\n",
        "image: x:1 # {\"$imagepolicy\": 7}\n",
    };
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        ed_setter_changes ch = {0};
        /* A good marker in the same file is still applied. */
        char *yaml =
            ed_xasprintf("tag: 1.0 # {\"$imagepolicy\": \"apps:web:tag\"}\n%s", skipped[i]);
        ed_buf out = ED_BUF_INIT((size_t)1 << 20);
        ed_err err = ED_ERR_INIT;
        int rc = ed_setters_apply("f.yaml", yaml, strlen(yaml), lookup, NULL, &out, &ch, &err);
        if (rc != 0)
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.msg);
        assert_int_equal(ch.n, 1);
        assert_non_null(strstr(out.data, skipped[i])); /* that line as it was */
        assert_null(strstr(out.data, "tag: 1.0 #"));
        ed_buf_free(&out);
        ed_setter_changes_free(&ch);
        free(yaml);
    }
    /* What is not a YAML file at all is still an error. */
    static const char nul[] = "a: 1\n\0b: 2\n";
    ed_setter_changes ch = {0};
    ed_buf out = ED_BUF_INIT((size_t)1 << 20);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(
        ed_setters_apply("f.yaml", nul, sizeof(nul) - 1, lookup, NULL, &out, &ch, &err),
        ED_EINVALID);
    assert_non_null(strstr(err.msg, "NUL byte"));
    ed_buf_free(&out);
    ed_setter_changes_free(&ch);
}
