/*
 * Unit tests of the doc module: scalar typing as kustomize/yaml.v3 does it, multi-document
 * streams, JSON parse and output, paths, mutation, copy and equality, and errors that name the
 * line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc/doc.h"

#include <stdlib.h>
#include <string.h>

#include "doc_tests.h"

/* Parse one YAML document (the test fails otherwise). */
static ed_doc *yaml1(const char *text)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    int rc = ed_doc_parse_yaml(text, strlen(text), "test.yaml", &docs, &n, &err);
    if (rc)
        fail_msg("parse failed: %s", err.msg);
    assert_int_equal(n, 1);
    ed_doc *d = docs[0];
    free(docs);
    return d;
}

static char *to_json(const ed_node *n)
{
    ed_buf b = ED_BUF_INIT(1 << 20);
    assert_int_equal(ed_node_to_json(n, &b), 0);
    return ed_buf_take(&b);
}

static void assert_json(const ed_node *n, const char *want)
{
    char *got = to_json(n);
    if (strcmp(got, want) != 0)
        fail_msg("json:\n got  %s\n want %s", got, want);
    free(got);
}

static void test_scalar_typing(void **state)
{
    (void)state;
    ed_doc *d = yaml1("# unicode is fine: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\n"
                      "a: '1'\n"
                      "b: 1\n"
                      "c: yes\n"
                      "d: \"true\"\n"
                      "e: ~\n"
                      "f: [1, 'x', {g: h}]\n"
                      "h: 0x1F\n"
                      "i: 0o17\n"
                      "j: 1.50\n"
                      "k: |\n  multi\n  line\n"
                      "l: 2.5\n"
                      "m: 2026-01-01\n"
                      "n: TRUE\n"
                      "o:\n"
                      "p: -12\n"
                      "q: !!str 42\n"
                      "r: !!int \"7\"\n"
                      "s: 1e3\n"
                      "t: 010\n"
                      "u: 12abc\n"
                      "v: 0o17\n"
                      "w: 1_000\n"
                      "x: -0x1F\n"
                      "y: 0b101\n"
                      "z: 1_x\n");
    ed_node *r = ed_doc_root(d);
    assert_json(r, "{\"a\":\"1\",\"b\":1,\"c\":\"yes\",\"d\":\"true\",\"e\":null,"
                   "\"f\":[1,\"x\",{\"g\":\"h\"}],\"h\":31,\"i\":15,\"j\":1.50,"
                   "\"k\":\"multi\\nline\\n\",\"l\":2.5,\"m\":\"2026-01-01\",\"n\":true,"
                   "\"o\":null,\"p\":-12,\"q\":\"42\",\"r\":7,\"s\":1e3,\"t\":8,"
                   "\"u\":\"12abc\",\"v\":15,\"w\":1000,\"x\":-31,\"y\":5,\"z\":\"1_x\"}");
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "l")), ED_NODE_FLOAT);
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "m")), ED_NODE_STR);
    int64_t v = 0;
    assert_true(ed_node_int(ed_node_get(r, "p"), &v));
    assert_int_equal(v, -12);
    assert_false(ed_node_int(ed_node_get(r, "a"), &v));
    bool b = false;
    assert_true(ed_node_bool(ed_node_get(r, "n"), &b));
    assert_true(b);
    ed_doc_free(d);
}

/* A number past the float range is a string, as yaml.v3 types it (Go's ParseFloat fails);
 * .inf stays an infinite float, and an underflow is 0. */
static void test_float_out_of_range(void **state)
{
    (void)state;
    ed_doc *d = yaml1("a: 1e400\nb: -1e400\nc: .inf\nd: 1e-400\ne: -.Inf\n");
    ed_node *r = ed_doc_root(d);
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "a")), ED_NODE_STR);
    assert_string_equal(ed_node_str(ed_node_get(r, "a")), "1e400");
    assert_true(ed_node_str_plain(ed_node_get(r, "a")));
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "b")), ED_NODE_STR);
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "c")), ED_NODE_FLOAT);
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "d")), ED_NODE_FLOAT);
    assert_int_equal(ed_node_kind_of(ed_node_get(r, "e")), ED_NODE_FLOAT);
    ed_doc_free(d);
}

/* Whether a key was written plain (YAML 1.1 readers type plain `on` and `y` as booleans) is
 * kept, through copies too; quoted and built keys are not plain. */
/* A string may hold NUL bytes (a generated ConfigMap's file): its length says where it ends,
 * and copies, comparison, YAML and JSON keep every byte. */
static void test_string_with_nul(void **state)
{
    (void)state;
    ed_doc *d = ed_doc_new();
    ed_node *m = ed_node_new_map(d);
    ed_doc_set_root(d, m);
    ed_node_set(d, m, "k", ed_node_new_strn(d, "ab\0cd", 5));
    assert_int_equal(ed_node_str_len(ed_node_get(m, "k")), 5);
    assert_int_equal(ed_node_str_len(m), 0);
    assert_int_equal(ed_node_str_len(NULL), 0);
    ed_doc *c = ed_doc_new();
    ed_doc_set_root(c, ed_node_copy(c, m));
    assert_true(ed_node_equal(m, ed_doc_root(c)));
    ed_node_set(c, ed_doc_root(c), "k", ed_node_new_str(c, "ab"));
    assert_false(ed_node_equal(m, ed_doc_root(c)));
    ed_buf y = ED_BUF_INIT(1 << 16), j = ED_BUF_INIT(1 << 16);
    assert_int_equal(ed_node_to_yaml(m, &y), 0);
    assert_int_equal(ed_node_to_json(m, &j), 0);
    assert_int_equal(y.len, strlen("k: \"ab\\0cd\"\n"));
    assert_memory_equal(y.data, "k: \"ab\\0cd\"\n", y.len);
    assert_int_equal(j.len, strlen("{\"k\":\"ab\\u0000cd\"}"));
    assert_memory_equal(j.data, "{\"k\":\"ab\\u0000cd\"}", j.len);
    ed_buf_free(&y);
    ed_buf_free(&j);
    ed_doc_free(c);
    ed_doc_free(d);
}

static void test_key_plain(void **state)
{
    (void)state;
    ed_doc *d = yaml1("on: 1\n\"y\": 2\nk: 3\n");
    ed_doc *c = ed_doc_new();
    ed_doc_set_root(c, ed_node_copy(c, ed_doc_root(d)));
    ed_node_set(c, ed_doc_root(c), "n", ed_node_new_int(c, 4));
    for (int i = 0; i < 2; i++) {
        ed_node *r = ed_doc_root(i ? c : d);
        assert_true(ed_node_key_plain_at(r, 0));
        assert_false(ed_node_key_plain_at(r, 1));
        assert_true(ed_node_key_plain_at(r, 2));
    }
    assert_false(ed_node_key_plain_at(ed_doc_root(c), 3));
    ed_doc_free(c);
    ed_doc_free(d);
}

/* Booleans, integers and nulls keep their text as written, through copies into another
 * document (whose arena outlives the source's); built ones have none. */
static void test_scalar_text(void **state)
{
    (void)state;
    ed_doc *d = yaml1("a: 0755\nb: True\nc: ~\nd:\ne: 1_000\nf: 1.50\ng: x\nh: !!int \"7\"\n"
                      "i: [NULL, &n 8, *n]\n");
    ed_doc *c = ed_doc_new();
    ed_doc_set_root(c, ed_node_copy(c, ed_doc_root(d)));
    ed_doc_free(d);
    ed_node *r = ed_doc_root(c);
    static const char *const want[][2] = {{"a", "0755"},  {"b", "True"}, {"c", "~"}, {"d", ""},
                                          {"e", "1_000"}, {"f", "1.50"}, {"g", "x"}, {"h", "7"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *got = ed_node_scalar_text(ed_node_get(r, want[i][0]));
        if (!got || strcmp(got, want[i][1]) != 0)
            fail_msg("%s: got %s, want %s", want[i][0], got ? got : "(null)", want[i][1]);
    }
    ed_node *seq = ed_node_get(r, "i");
    assert_string_equal(ed_node_scalar_text(ed_node_at(seq, 0)), "NULL");
    assert_string_equal(ed_node_scalar_text(ed_node_at(seq, 2)), "8");
    assert_null(ed_node_scalar_text(seq));
    assert_null(ed_node_scalar_text(ed_node_new_int(c, 5)));
    assert_null(ed_node_scalar_text(ed_node_new_bool(c, true)));
    assert_null(ed_node_scalar_text(ed_node_new_null(c)));
    assert_null(ed_node_scalar_text(NULL));
    ed_doc_free(c);
}

/* A leading UTF-8 byte order mark is skipped (libyaml would count it as a column, and the
 * second line would end the document); JSON keeps refusing it. */
static void test_byte_order_mark(void **state)
{
    (void)state;
    ed_doc *d = yaml1("\xef\xbb\xbf"
                      "a: 1\nb: 2\n");
    assert_json(ed_doc_root(d), "{\"a\":1,\"b\":2}");
    ed_doc_free(d);
    ed_doc *j = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_not_equal(ed_doc_parse_json("\xef\xbb\xbf{}", 5, &j, &err), 0);
    assert_null(j);
}

/* YAML's merge key: the merged mappings' keys the mapping lacks, its own keys winning, the
 * earlier of a list over the later; a bad value or a second `<<` is an error. */
static void test_merge_keys(void **state)
{
    (void)state;
    ed_doc *d = yaml1("base: &b {x: 1, y: 2}\n"
                      "one: {<<: *b, y: 3}\n"
                      "two: {z: 0, <<: [{x: a}, {x: b, w: c}]}\n"
                      "tagged: {!!merge <<: {q: 1}}\n");
    assert_json(ed_doc_root(d), "{\"base\":{\"x\":1,\"y\":2},\"one\":{\"y\":3,\"x\":1},"
                                "\"two\":{\"z\":0,\"x\":\"a\",\"w\":\"c\"},"
                                "\"tagged\":{\"q\":1}}");
    ed_doc_free(d);
    static const char *const bad[] = {"a: {<<: 1}\n", "a: {<<: [1]}\n",
                                      "a:\n  <<: {x: 1}\n  <<: {y: 2}\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_doc **docs = NULL;
        size_t n = 0;
        ed_err err = ED_ERR_INIT;
        assert_int_not_equal(ed_doc_parse_yaml(bad[i], strlen(bad[i]), "t", &docs, &n, &err), 0);
        assert_non_null(strstr(err.msg, "merge"));
    }
}

static void test_stream(void **state)
{
    (void)state;
    const char *text = "---\n"
                       "apiVersion: v1\n"
                       "kind: ConfigMap\n"
                       "metadata: {name: a}\n"
                       "---\n"
                       "# only a comment\n"
                       "---\n"
                       "apiVersion: v1\n"
                       "kind: Service\n"
                       "metadata:\n"
                       "  name: b\n"
                       "...\n";
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_yaml(text, strlen(text), NULL, &docs, &n, &err), 0);
    /* The empty document is skipped, as kustomize does. */
    assert_int_equal(n, 2);
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[0]), "/metadata/name"), "a");
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[1]), "/kind"), "Service");
    assert_int_equal(ed_node_line(ed_node_path(ed_doc_root(docs[1]), "/metadata/name")), 11);
    ed_doc_list_free(docs, n);

    assert_int_equal(ed_doc_parse_yaml("", 0, NULL, &docs, &n, &err), 0);
    assert_int_equal(n, 0);
    ed_doc_list_free(docs, n);
}

static void test_anchors(void **state)
{
    (void)state;
    ed_doc *d = yaml1("base: &b {x: 1, y: [a]}\n"
                      "copy: *b\n");
    ed_node *r = ed_doc_root(d);
    assert_true(ed_node_equal(ed_node_get(r, "base"), ed_node_get(r, "copy")));
    /* A copy, not shared: changing one leaves the other. */
    ed_node_set(d, ed_node_get(r, "copy"), "x", ed_node_new_int(d, 2));
    assert_false(ed_node_equal(ed_node_get(r, "base"), ed_node_get(r, "copy")));
    ed_doc_free(d);
}

static void expect_yaml_error(const char *text, const char *needle)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    int rc = ed_doc_parse_yaml(text, strlen(text), "apps/deploy.yaml", &docs, &n, &err);
    if (rc != ED_EINVALID)
        fail_msg("accepted: %s", text);
    assert_null(docs);
    assert_true(ed_str_has_prefix(err.msg, "apps/deploy.yaml: "));
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_yaml_error("a: 1\na: 2\n", "line 2, column 1: duplicate mapping key a");
    expect_yaml_error("a: [1, 2\n", "line ");
    expect_yaml_error("a: b\n  c: d\n",
                      "line 2, column 4: mapping values are not allowed in this context");
    expect_yaml_error("a: *nope\n", "");
    expect_yaml_error("n: -\n", "line 1");
    expect_yaml_error("? [a]\n: b\n", "a mapping key must be a scalar");
    expect_yaml_error("x: !!int abc\n", "invalid !!int value");
    /* 600 quotes are 1202 characters as JSON: more than a JSON reader takes as a key. */
    char longkey[600 + 16];
    longkey[0] = '\'';
    memset(longkey + 1, '"', 600);
    memcpy(longkey + 601, "': v\n", 6);
    expect_yaml_error(longkey, "a mapping key is too long (over 1024 characters as JSON)");
    /* Text that is not printable UTF-8 is refused before it reaches the YAML scanner. */
    expect_yaml_error("a: b\nc: \x16\n",
                      "line 2, column 4: control character not allowed (byte 0x16)");
    expect_yaml_error("%x \x85\n", "line 1, column 4: invalid UTF-8 (byte 0x85)");
    expect_yaml_error("a: \xc0\xaf\n", "invalid UTF-8");
    expect_yaml_error("a: \xed\xa0\x80\n", "invalid UTF-8");
    expect_yaml_error("a: \xe2\x82\n", "invalid UTF-8");
    /* An alias bomb is refused, not expanded. */
    expect_yaml_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
                      "too many alias expansions");
    /* Deep nesting is refused rather than recursing without bound. */
    size_t depth = 1000;
    char *deep = calloc(1, depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    expect_yaml_error(deep, "nesting too deep");
    free(deep);
}

static void test_json(void **state)
{
    (void)state;
    const char *text = "{\"kind\":\"Status\",\"code\":404,\"details\":{\"causes\":"
                       "[{\"field\":\"spec.replicas\",\"message\":\"must be \\\"ok\\\"\\n\"}]},"
                       "\"ok\":false,\"n\":null,\"f\":-1.5e-3,\"u\":\"\\u00e9\\t\"}";
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_json(text, strlen(text), &d, &err), 0);
    ed_node *r = ed_doc_root(d);
    int64_t code = 0;
    assert_true(ed_node_int(ed_node_get(r, "code"), &code));
    assert_int_equal(code, 404);
    assert_string_equal(ed_node_path_str(r, "/details/causes/0/field"), "spec.replicas");
    assert_string_equal(ed_node_path_str(r, "/details/causes/0/message"), "must be \"ok\"\n");
    assert_null(ed_node_path(r, "/details/causes/1"));
    assert_null(ed_node_path(r, "/details/causes/-1"));
    assert_null(ed_node_path(r, "/kind/x"));
    assert_json(r, "{\"kind\":\"Status\",\"code\":404,\"details\":{\"causes\":"
                   "[{\"field\":\"spec.replicas\",\"message\":\"must be \\\"ok\\\"\\n\"}]},"
                   "\"ok\":false,\"n\":null,\"f\":-1.5e-3,\"u\":\"é\\t\"}");
    ed_doc_free(d);

    const char *bad[] = {"",
                         "   ",
                         "{",
                         "{\"a\":}",
                         "[1,]x",
                         "{\"a\":1} {\"b\":2}",
                         "nope",
                         "{\"a\":1,\"a\":2}",
                         "{\"a\"}",
                         "{a: 1}",
                         "['x']",
                         "[1, &a 2]",
                         "- 1",
                         "x: 1",
                         "{\"a\": !!str 1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = NULL;
        if (ed_doc_parse_json(bad[i], strlen(bad[i]), &d, &err) == 0)
            fail_msg("accepted JSON '%s'", bad[i]);
        assert_null(d);
        assert_int_equal(err.code, ED_EINVALID);
    }
}

static void test_build_and_mutate(void **state)
{
    (void)state;
    ed_doc *d = ed_doc_new();
    assert_null(ed_doc_root(d));
    ed_node *obj = ed_node_new_map(d);
    ed_doc_set_root(d, obj);
    ed_node_set(d, obj, "apiVersion", ed_node_new_str(d, "apps/v1"));
    ed_node_set(d, obj, "kind", ed_node_new_str(d, "Deployment"));
    ed_node *labels = ed_node_ensure_map(d, obj, "/metadata/labels");
    assert_non_null(labels);
    ed_node_set(d, labels, "kustomize.toolkit.fluxcd.io/name", ed_node_new_str(d, "apps"));
    ed_node_set(d, ed_node_ensure_map(d, obj, "/spec"), "replicas", ed_node_new_int(d, 3));
    /* A string that looks like a number stays a string. */
    ed_node_set(d, labels, "version", ed_node_new_str(d, "123"));
    ed_node *ports = ed_node_new_seq(d);
    for (int i = 0; i < 10; i++)
        ed_node_append(d, ports, ed_node_new_int(d, 8000 + i));
    ed_node_set(d, ed_node_get(obj, "spec"), "ports", ports);
    assert_int_equal(ed_node_len(ports), 10);
    assert_json(obj, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
                     "{\"labels\":{\"kustomize.toolkit.fluxcd.io/name\":\"apps\","
                     "\"version\":\"123\"}},\"spec\":{\"replicas\":3,\"ports\":"
                     "[8000,8001,8002,8003,8004,8005,8006,8007,8008,8009]}}");
    /* Keys with '/' are reached with "~1" in paths. */
    assert_string_equal(ed_node_path_str(obj, "/metadata/labels/kustomize.toolkit.fluxcd.io~1name"),
                        "apps");
    /* Replace keeps the key's position. */
    ed_node_set(d, obj, "kind", ed_node_new_str(d, "StatefulSet"));
    assert_string_equal(ed_node_key_at(obj, 1), "kind");
    assert_string_equal(ed_node_str(ed_node_value_at(obj, 1)), "StatefulSet");
    assert_true(ed_node_remove_at(ports, 0));
    assert_false(ed_node_remove_at(ports, 99));
    assert_int_equal(ed_node_len(ports), 9);
    int64_t first = 0;
    assert_true(ed_node_int(ed_node_at(ports, 0), &first));
    assert_int_equal(first, 8001);
    assert_true(ed_node_remove(obj, "kind"));
    assert_false(ed_node_remove(obj, "kind"));
    assert_string_equal(ed_node_key_at(obj, 1), "metadata");
    /* ensure_map refuses to go through a non-mapping. */
    assert_null(ed_node_ensure_map(d, obj, "/apiVersion/x"));

    /* Copy into another document; equality ignores key order. */
    ed_doc *d2 = ed_doc_new();
    ed_node *c = ed_node_copy(d2, obj);
    ed_doc_set_root(d2, c);
    assert_true(ed_node_equal(obj, c));
    ed_node *reordered = ed_node_new_map(d2);
    for (size_t i = ed_node_len(c); i-- > 0;)
        ed_node_set(d2, reordered, ed_node_key_at(c, i), ed_node_value_at(c, i));
    assert_true(ed_node_equal(obj, reordered));
    ed_node_set(d2, ed_node_get(c, "spec"), "replicas", ed_node_new_str(d2, "3"));
    assert_false(ed_node_equal(obj, c));
    ed_doc_free(d);
    ed_doc_free(d2);
}

static void test_json_output_cap(void **state)
{
    (void)state;
    ed_doc *inf = yaml1("a: .inf\nb: \"nul\\0byte\"\nc: [0., .5, +2.0]\n");
    ed_buf out = ED_BUF_INIT(1024);
    assert_int_equal(ed_node_to_json(ed_node_get(ed_doc_root(inf), "a"), &out), ED_EINVALID);
    ed_buf_reset(&out);
    assert_int_equal(ed_node_to_json(ed_node_get(ed_doc_root(inf), "b"), &out), 0);
    assert_string_equal(out.data, "\"nul\\u0000byte\"");
    /* YAML float spellings JSON lacks are printed as JSON floats, never as integers. */
    ed_buf_reset(&out);
    assert_int_equal(ed_node_to_json(ed_node_get(ed_doc_root(inf), "c"), &out), 0);
    assert_string_equal(out.data, "[0.0,0.5,2.0]");
    ed_buf_free(&out);
    ed_doc_free(inf);
    ed_doc *d = yaml1("a: [aaaaaaaaaa, bbbbbbbbbb, cccccccccc]\n");
    ed_buf b = ED_BUF_INIT(16);
    assert_int_equal(ed_node_to_json(ed_doc_root(d), &b), ED_ETOOBIG);
    ed_buf_free(&b);
    ed_doc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_typing),
        cmocka_unit_test(test_scalar_text),
        cmocka_unit_test(test_float_out_of_range),
        cmocka_unit_test(test_key_plain),
        cmocka_unit_test(test_string_with_nul),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_build_and_mutate),
        cmocka_unit_test(test_json_output_cap),
        cmocka_unit_test(test_emit_key_order),
        cmocka_unit_test(test_emit_key_order_long_digit_runs),
        cmocka_unit_test(test_emit_quoting),
        cmocka_unit_test(test_emit_timestamps),
        cmocka_unit_test(test_emit_literal_blocks),
        cmocka_unit_test(test_emit_folding),
        cmocka_unit_test(test_emit_numbers_and_collections),
        cmocka_unit_test(test_emit_stream_and_errors),
        cmocka_unit_test(test_api_json_same_trees),
        cmocka_unit_test(test_api_json_differences),
        cmocka_unit_test(test_api_json_refused),
        cmocka_unit_test(test_cel_table),
        cmocka_unit_test(test_cel_messages),
        cmocka_unit_test(test_cel_limits),
        cmocka_unit_test(test_cel_check),
        cmocka_unit_test(test_label_selector_matches),
        cmocka_unit_test(test_label_selector_errors),
        cmocka_unit_test(test_label_selector_watch),
        cmocka_unit_test(test_label_selector_kyaml),
    };
    return cmocka_run_group_tests_name("doc", tests, NULL, NULL);
}
