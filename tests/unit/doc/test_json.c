/*
 * ed_doc_parse_api_json (json-c) against ed_doc_parse_json (libyaml): the same trees for the
 * same valid JSON, the documented differences, and refusals.
 */
#include "doc/doc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc_tests.h"

static char *to_json(const ed_node *n)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    assert_int_equal(ed_node_to_json(n, &b), 0);
    ed_buf_append(&b, "", 1);
    return b.data;
}

/* Both parsers accept text and give equal trees with the same JSON form. */
static void expect_same(const char *text)
{
    ed_doc *a = NULL, *b = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(text, strlen(text), &a, &err) != 0)
        fail_msg("libyaml refused %s: %s", text, err.msg);
    if (ed_doc_parse_api_json(text, strlen(text), &b, &err) != 0)
        fail_msg("json-c refused %s: %s", text, err.msg);
    if (!ed_doc_root(a)) {
        assert_null(ed_doc_root(b));
    } else {
        assert_non_null(ed_doc_root(b));
        char *ja = to_json(ed_doc_root(a)), *jb = to_json(ed_doc_root(b));
        assert_string_equal(ja, jb);
        if (!ed_node_equal(ed_doc_root(a), ed_doc_root(b)))
            fail_msg("trees differ for %s", text);
        assert_int_equal(ed_node_kind_of(ed_doc_root(a)), ed_node_kind_of(ed_doc_root(b)));
        free(ja);
        free(jb);
    }
    ed_doc_free(a);
    ed_doc_free(b);
}

void test_api_json_same_trees(void **state)
{
    (void)state;
    const char *texts[] = {
        /* a watch event as the API server writes it */
        "{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
        "\"metadata\":{\"name\":\"app\",\"namespace\":\"apps\",\"resourceVersion\":\"123\","
        "\"generation\":2,\"labels\":{\"app\":\"app\"},\"managedFields\":[{\"manager\":"
        "\"kustomize-controller\",\"operation\":\"Apply\",\"fieldsType\":\"FieldsV1\","
        "\"fieldsV1\":{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
        "\"k:{\\\"name\\\":\\\"app\\\"}\":{\".\":{},\"f:image\":{}}}}}}}}]},"
        "\"spec\":{\"replicas\":3,\"paused\":false,\"template\":{\"spec\":{\"containers\":"
        "[{\"name\":\"app\",\"image\":\"nginx:1.27\",\"args\":[]}]}}},"
        "\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"True\","
        "\"message\":\"ReplicaSet \\\"app-5d8\\\" has successfully progressed.\"}]}}}",
        "{}",
        "[]",
        "[[],{},[[{}]]]",
        "null",
        "  {\"a\" : [ 1 , 2 ] }\n",
        "\"text\"",
        "42",
        "-7",
        "0",
        "-0",
        "true",
        "false",
        "{\"f\":1.5,\"g\":-1.5e-3,\"h\":1E+5,\"i\":1.0,\"j\":0.1,\"k\":5e-324}",
        "[0,-0,0.05,10,100,1e05,1E-05,0e0,-0.0,20.0e+01]",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
        "{\"u64\":18446744073709551615}",
        "{\"s\":\"\\u00e9\\u4e2d \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"}",
        "{\"e\":\"\",\"sp\":\"  a  \",\"num\":\"123\",\"bool\":\"true\",\"nul\":\"null\"}",
        "{\"é\":\"ü\",\"a.b/c\":{\"k:{\\\"x\\\":1}\":[null,true,1,\"1\"]}}",
        "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_same(texts[i]);

    /* Nesting up to the limit. */
    size_t depth = ED_DOC_MAX_DEPTH;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    expect_same(deep);
    free(deep);
}

void test_api_json_differences(void **state)
{
    (void)state;
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    /* A duplicate key keeps its last value, where ed_doc_parse_json fails. */
    const char *dup = "{\"a\":1,\"b\":2,\"a\":3}";
    assert_int_equal(ed_doc_parse_api_json(dup, strlen(dup), &d, &err), 0);
    char *j = to_json(ed_doc_root(d));
    assert_string_equal(j, "{\"a\":3,\"b\":2}");
    free(j);
    ed_doc_free(d);
    assert_int_not_equal(ed_doc_parse_json(dup, strlen(dup), &d, &err), 0);

    /* A character past U+FFFF written as a surrogate pair, which libyaml refuses. */
    const char *emoji = "[\"\\ud83d\\ude00\"]";
    d = NULL;
    assert_int_equal(ed_doc_parse_api_json(emoji, strlen(emoji), &d, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(d), "/0"), "\xf0\x9f\x98\x80");
    ed_doc_free(d);
    assert_int_not_equal(ed_doc_parse_json(emoji, strlen(emoji), &d, &err), 0);

    /* An integer past 64 bits: a number that keeps its digits. */
    const char *big = "{\"n\":18446744073709551616}";
    d = NULL;
    if (ed_doc_parse_api_json(big, strlen(big), &d, &err) == 0) {
        ed_node *n = ed_node_get(ed_doc_root(d), "n");
        assert_int_equal(ed_node_kind_of(n), ED_NODE_FLOAT);
        j = to_json(n);
        assert_string_equal(j, "18446744073709551616");
        free(j);
        ed_doc_free(d);
    } else {
        assert_int_equal(err.code, ED_EINVALID);
    }
}

void test_api_json_refused(void **state)
{
    (void)state;
    static const char nul[] = "{\"a\":\"x\0y\"}";
    struct {
        const char *text;
        size_t len;
    } bad[] = {
        {"", 0},
        {"   ", 3},
        {"{", 1},
        {"{\"a\":}", 6},
        {"[1,]", 4},
        {"[1,]x", 5},
        {"{\"a\":1,}", 8},
        {"{\"a\":1} {\"b\":2}", 15},
        {"{\"a\":1}x", 8},
        {"nope", 4},
        {"{\"a\"}", 5},
        {"{a: 1}", 6},
        {"['x']", 5},
        {"[1, &a 2]", 9},
        {"- 1", 3},
        {"x: 1", 4},
        {"{\"a\": !!str 1}", 14},
        {"{\"a\":1} // c", 12},
        {"/* c */ {}", 10},
        {"[NaN]", 5},
        {"[Infinity]", 10},
        {"[-Infinity]", 11},
        {"[01]", 4},
        {"[-01]", 5},
        {"00", 2},
        {"{\"a\":-00.5}", 11},
        {"[.5]", 4},
        {"[+1]", 4},
        {"[\"a\nb\"]", 7},
        {"[\"a\tb\"]", 7},
        {"{\"a\x01\":1}", 8},
        {"[1,\x0c"
         "2]",
         6},
        {"[\"\\x41\"]", 8},
        {"[\"\xff\"]", 5},
        {"[\"\xc3\"]", 5},
        {nul, sizeof(nul) - 1},
        {"[tru]", 5},
        {"\"unterminated", 13},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_doc_parse_api_json(bad[i].text, bad[i].len, &d, &err) == 0)
            fail_msg("accepted JSON '%s'", bad[i].text);
        assert_null(d);
        assert_int_equal(err.code, ED_EINVALID);
        assert_true(strlen(err.msg) > 0);
    }

    /* Where: the line and column of the fault. */
    const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_not_equal(ed_doc_parse_api_json(text, strlen(text), &d, &err), 0);
    if (!strstr(err.msg, "line 3, column "))
        fail_msg("no position in: %s", err.msg);

    /* Keys: 1022 characters (1024 as JSON) are read, 1023 are not, as by the libyaml path. */
    for (size_t n = 1022; n <= 1023; n++) {
        char *key_text = malloc(n + 6);
        memcpy(key_text, "{\"", 2);
        memset(key_text + 2, 'k', n);
        memcpy(key_text + 2 + n, "\":1}", 4);
        ed_doc *api = NULL, *yaml = NULL;
        int rc = ed_doc_parse_api_json(key_text, n + 6, &api, &err);
        assert_int_equal(rc, ed_doc_parse_json(key_text, n + 6, &yaml, &err));
        assert_int_equal(rc, n == 1022 ? 0 : ED_EINVALID);
        if (rc && !strstr(err.msg, "too long"))
            fail_msg("unexpected message: %s", err.msg);
        ed_doc_free(api);
        ed_doc_free(yaml);
        free(key_text);
    }

    /* Too deep. */
    size_t depth = ED_DOC_MAX_DEPTH + 2;
    char *deep = malloc(2 * depth);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    assert_int_not_equal(ed_doc_parse_api_json(deep, 2 * depth, &d, &err), 0);
    if (!strstr(err.msg, "nesting too deep"))
        fail_msg("unexpected message: %s", err.msg);
    free(deep);
}
