/*
 * Unit tests of the YAML emitter (src/doc/emit.c): kustomize's key order, quoting, literal
 * blocks, folding at 80 columns, numbers after a JSON round trip, and stream separators. The
 * expectations are what `kubectl kustomize` printed for the same input.
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

/* Parse text (one document) and check that it prints as want. */
static void assert_yaml(const char *text, const char *want)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(text, strlen(text), "t.yaml", &docs, &n, &err))
        fail_msg("parse failed: %s", err.msg);
    ed_buf out = ED_BUF_INIT(1 << 20);
    assert_int_equal(ed_doc_list_to_yaml(docs, n, &out), 0);
    if (strcmp(out.data ? out.data : "", want) != 0)
        fail_msg("yaml:\n--- got\n%s--- want\n%s", out.data ? out.data : "", want);
    ed_buf_free(&out);
    ed_doc_list_free(docs, n);
}

void test_emit_key_order(void **state)
{
    (void)state;
    assert_yaml(
        "kind: A\napiVersion: v1\na10: x\na2: x\na01: x\na1: x\n_x: x\nZ: x\n\"10\": x\n\"9\": x\n",
        "_x: x\n\"9\": x\n\"10\": x\nZ: x\na1: x\na01: x\na2: x\na10: x\napiVersion: v1\n"
        "kind: A\n");
}

/* Digit runs longer than int64 wrap as Go's arithmetic does (kubectl put "c9223372036854775808",
 * read as a negative number, before "c1"); UBSan checks that the wrap is defined behaviour. */
void test_emit_key_order_long_digit_runs(void **state)
{
    (void)state;
    assert_yaml("a99999999999999999999: x\na1: x\nb1: x\nb18446744073709551617: x\n"
                "c9223372036854775808: x\nc1: x\n",
                "a1: x\na99999999999999999999: x\nb1: x\nb18446744073709551617: x\n"
                "c9223372036854775808: x\nc1: x\n");
}

void test_emit_quoting(void **state)
{
    (void)state;
    assert_yaml("a: \"yes\"\nb: \"y\"\nc: \"1:20\"\nd: \"0x1F\"\ne: \"2001-12-14\"\nf: \"*x\"\n"
                "g: \"a: b\"\nh: \"-\"\ni: \"-x\"\nj: \"\"\nk: \"'q'\"\nl: \"tab\\there\"\n"
                "m: \"1.2.3\"\nn: \"3.\"\no: \"<<\"\np: \"?x\"\n",
                "a: \"yes\"\nb: \"y\"\nc: \"1:20\"\nd: \"0x1F\"\ne: \"2001-12-14\"\nf: '*x'\n"
                "g: 'a: b'\nh: '-'\ni: -x\nj: \"\"\nk: '''q'''\nl: \"tab\\there\"\nm: 1.2.3\n"
                "\"n\": \"3.\"\no: <<\np: ?x\n");
}

/* Strings go-yaml v2 would read as timestamps are quoted: Go's time.Parse takes a comma for
 * the fraction's point and several spaces for one, and refuses a zone past 24:00 or 60
 * minutes. */
void test_emit_timestamps(void **state)
{
    (void)state;
    assert_yaml("a: \"2024-01-01T10:00:00,5Z\"\nb: \"2024-01-01T10:00:00+23:61\"\n"
                "c: \"2024-01-01T10:00:00+24:00\"\nd: \"2024-01-01T10:00:00+25:00\"\n"
                "e: \"2024-01-01  10:00:00\"\nf: \"2024-01-01T10:00:00.Z\"\n",
                "a: \"2024-01-01T10:00:00,5Z\"\nb: 2024-01-01T10:00:00+23:61\n"
                "c: \"2024-01-01T10:00:00+24:00\"\nd: 2024-01-01T10:00:00+25:00\n"
                "e: \"2024-01-01  10:00:00\"\nf: 2024-01-01T10:00:00.Z\n");
}

void test_emit_literal_blocks(void **state)
{
    (void)state;
    assert_yaml("a: \"x\\ny\\n\"\nb: \"x\\ny\"\nc: \"x\\n\\n\"\nd: \" lead\\nx\\n\"\n"
                "e: \"trail \\nx\\n\"\nf:\n- \"in\\nseq\\n\"\n",
                "a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |+\n  x\n\nd: |2\n   lead\n  x\n"
                "e: \"trail \\nx\\n\"\nf:\n- |\n  in\n  seq\n");
}

void test_emit_folding(void **state)
{
    (void)state;
    assert_yaml("data:\n  long: \"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll "
                "mmmm nnnn oooo pppp qqqq\"\n",
                "data:\n  long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm "
                "nnnn oooo\n    pppp qqqq\n");
}

void test_emit_numbers_and_collections(void **state)
{
    (void)state;
    assert_yaml("a: 1.50\nb: 1.0\nc: 1e6\nd: 0.00001\ne: 1234567.5\nf: 0x1F\ng: ~\nh: []\n"
                "i: {}\nj: [a, [b, c], {y: 1, x: [2]}, {}]\nk: 12345678901234567890\n",
                "a: 1.5\nb: 1\nc: 1000000\nd: 1e-05\ne: 1.2345675e+06\nf: 31\ng: null\nh: []\n"
                "i: {}\nj:\n- a\n- - b\n  - c\n- x:\n  - 2\n  \"y\": 1\n- {}\n"
                "k: 12345678901234567890\n");
}

void test_emit_stream_and_errors(void **state)
{
    (void)state;
    assert_yaml("a: 1\n---\n---\nb: 2\n", "a: 1\n---\nb: 2\n");
    assert_yaml("\"multi\\nline\": v\n", "? |-\n  multi\n  line\n: v\n");
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    const char *inf = "a: .inf\n";
    assert_int_equal(ed_doc_parse_yaml(inf, strlen(inf), NULL, &docs, &n, &err), 0);
    ed_buf out = ED_BUF_INIT(1 << 10);
    assert_int_equal(ed_doc_list_to_yaml(docs, n, &out), ED_EINVALID);
    ed_buf_free(&out);
    ed_buf small = ED_BUF_INIT(4);
    const char *big = "abcdef: ghijkl\n";
    ed_doc_list_free(docs, n);
    assert_int_equal(ed_doc_parse_yaml(big, strlen(big), NULL, &docs, &n, &err), 0);
    assert_int_equal(ed_doc_list_to_yaml(docs, n, &small), ED_ETOOBIG);
    ed_buf_free(&small);
    ed_doc_list_free(docs, n);
}
