/*
 * Unit tests of label selectors (src/doc/label_selector.c): Kubernetes' grammar with its error
 * messages (the ones labels.Parse gives for the same text), the label rules on keys and values, and
 * matching of every operator, a missing label and integer comparisons; and the older messages of
 * kyaml's copy of labels.Parse, which kustomize's target selectors give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc/doc.h"

#include <string.h>

#include "doc_tests.h"

static bool matches(const char *selector, const char *labels_json)
{
    ed_label_selector *sel = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_label_selector_parse(selector, &sel, &err), 0);
    ed_doc *labels = NULL;
    assert_int_equal(ed_doc_parse_json(labels_json, strlen(labels_json), &labels, &err), 0);
    bool m = ed_label_selector_matches(sel, ed_doc_root(labels));
    ed_doc_free(labels);
    ed_label_selector_free(sel);
    return m;
}

void test_label_selector_matches(void **state)
{
    (void)state;
    const char *both = "{\"shard\":\"both\",\"sharding.fluxcd.io/key\":\"a\",\"n\":\"7\"}";
    assert_true(matches("", both));
    assert_true(matches("shard in (flux,both)", both));
    assert_false(matches("shard in (flux,eddy)", both));
    assert_true(matches("shard notin (flux)", both));
    assert_true(matches("missing notin (flux)", both));
    assert_true(matches("shard=both", both));
    assert_true(matches("shard==both,n", both));
    assert_false(matches("shard!=both", both));
    assert_true(matches("missing!=x", both));
    assert_true(matches("sharding.fluxcd.io/key=a", both));
    assert_false(matches("sharding.fluxcd.io/key", "{}"));
    assert_true(matches("!sharding.fluxcd.io/key", "{}"));
    assert_false(matches("!shard", both));
    assert_true(matches("n>6,n<8", both));
    assert_false(matches("n>7", both));
    assert_false(matches("shard>1", both)); /* not an integer: no match */
    assert_true(matches(" shard  in ( both ) , n ", both));
    assert_true(matches("v in (in,notin)", "{\"v\":\"notin\"}"));
    assert_true(matches("v=", "{\"v\":\"\"}"));
    assert_true(matches("v in (,a)", "{\"v\":\"\"}"));
    /* a NULL selector or NULL labels */
    assert_true(ed_label_selector_matches(NULL, NULL));
    ed_label_selector *sel = NULL;
    assert_int_equal(ed_label_selector_parse("!a", &sel, NULL), 0);
    assert_true(ed_label_selector_matches(sel, NULL));
    ed_label_selector_free(sel);
}

/* Kubernetes' messages of the label rules, for the cases below. */
#define NAME_MSG                                                                                   \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                                  \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "    \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "             \
    "'my_value',  or '12345', regex used for validation is "                                       \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

void test_label_selector_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"shard in (flux", "unable to parse requirement: found '', expected: ',' or ')'"},
        {"shard in flux", "unable to parse requirement: found 'flux' expected: '('"},
        {"shard,", "found '', expected: identifier after ','"},
        {"a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
        {"a,!b=c", "found '=', expected: ',' or 'end of string'"},
        {",a", "found ',', expected: !, identifier, or 'end of string'"},
        {"!", "unable to parse requirement: found '', expected: identifier"},
        {"a in ()x", "found 'x', expected: ',' or 'end of string'"},
        {"a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
        {"a=(", "unable to parse requirement: found '(', expected: identifier"},
        {"a =! b", "unable to parse requirement: found '!', expected: identifier"},
        {"a <> b", "unable to parse requirement: found '>', expected: identifier"},
        {"a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"},
        {"a !! b",
         "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"},
        {"-a=b", "unable to parse requirement: <nil>: Invalid value: \"-a\": name part " NAME_MSG},
        {"Ex.com/a=b", "unable to parse requirement: <nil>: Invalid value: \"Ex.com/a\": prefix "
                       "part a lowercase RFC 1123 subdomain must consist of lower case "
                       "alphanumeric characters, '-' or '.', and must start and end with an "
                       "alphanumeric character (e.g. 'example.com', regex used for validation is "
                       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
        {"/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be "
               "non-empty"},
        {"a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be "
               "non-empty; name part " NAME_MSG},
        {"a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label "
                  "key " NAME_MSG " with an optional DNS subdomain prefix and '/' (e.g. "
                  "'example.com/MyName')"},
        {"a in (z_,b_)",
         "unable to parse requirement: [values[0][a]: Invalid value: \"b_\": " VALUE_MSG
         ", values[1][a]: Invalid value: \"z_\": " VALUE_MSG "]"},
        {"a>b_",
         "unable to parse requirement: [values[0]: Invalid value: \"b_\": for 'Gt', 'Lt' "
         "operators, the value must be an integer, values[0][a]: Invalid value: \"b_\": " VALUE_MSG
         "]"},
        {"a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' "
                "operators, the value must be an integer"},
        /* field.Invalid quotes the value with Go's %q (labels.Parse's words, from Go) */
        {"a=b\"c",
         "unable to parse requirement: values[0][a]: Invalid value: \"b\\\"c\": " VALUE_MSG},
        {"a\\b=c",
         "unable to parse requirement: <nil>: Invalid value: \"a\\\\b\": name part " NAME_MSG},
        {"a=x\x01y",
         "unable to parse requirement: values[0][a]: Invalid value: \"x\\x01y\": " VALUE_MSG},
        {"k in (\xc3\xa9,ok)",
         "unable to parse requirement: values[1][k]: Invalid value: \"\xc3\xa9\": " VALUE_MSG},
        {"a>\xc2\xa0",
         "unable to parse requirement: [values[0]: Invalid value: \"\\u00a0\": for 'Gt', 'Lt' "
         "operators, the value must be an integer, values[0][a]: Invalid value: "
         "\"\\u00a0\": " VALUE_MSG "]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_label_selector *sel = (ed_label_selector *)&cases; /* must be reset */
        ed_err err = ED_ERR_INIT;
        int rc = ed_label_selector_parse(cases[i].text, &sel, &err);
        if (rc != ED_EINVALID || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("\"%s\": %d \"%s\", want \"%s\"", cases[i].text, rc, err.msg, cases[i].msg);
        assert_null(sel);
    }
}

void test_label_selector_watch(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg; /* NULL: accepted */
    } cases[] = {
        {"shard in (flux,both)", NULL},
        {"a=b,!c,d notin (e)", NULL},
        {"", NULL},
        {"shard in (flux", "couldn't parse the selector string \"shard in (flux\": unable to "
                           "parse requirement: found '', expected: ',' or ')'"},
        {"z!=a,b=c", "\"!=\" is not a valid label selector operator"},
        {"z<1,b>2", "\"gt\" isn't supported in label selectors"}, /* b sorts first */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_label_selector *sel = NULL;
        ed_err err = ED_ERR_INIT;
        int rc = ed_label_selector_parse_watch(cases[i].text, &sel, &err);
        if (cases[i].msg ? rc != ED_EINVALID || strcmp(err.msg, cases[i].msg) != 0 : rc != 0)
            fail_msg("\"%s\": %d \"%s\"", cases[i].text, rc, err.msg);
        assert_true(cases[i].msg ? sel == NULL : sel != NULL);
        ed_label_selector_free(sel);
    }
}

/* kyaml's older copy of labels.Parse (kubectl kustomize's messages for a bad target selector):
 * the same grammar, older words for the label rules, the first bad value only. */
void test_label_selector_kyaml(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"shard in flux", "unable to parse requirement: found 'flux' expected: '('"},
        {"a b", "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'"},
        {"-a=b", "unable to parse requirement: invalid label key \"-a\": name part " NAME_MSG},
        {"Ex.com/a=b", "unable to parse requirement: invalid label key \"Ex.com/a\": prefix part "
                       "a DNS-1123 subdomain must consist of lower case alphanumeric characters, "
                       "'-' or '.', and must start and end with an alphanumeric character (e.g. "
                       "'example.com', regex used for validation is "
                       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
        {"a/b/c",
         "unable to parse requirement: invalid label key \"a/b/c\": a qualified name " NAME_MSG
         " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
        {"a in (z_,b_)",
         "unable to parse requirement: invalid label value: \"b_\": at key: \"a\": " VALUE_MSG},
        {"a=b\"c",
         "unable to parse requirement: invalid label value: \"b\\\"c\": at key: \"a\": " VALUE_MSG},
        {"a\\b=c",
         "unable to parse requirement: invalid label key \"a\\\\b\": name part " NAME_MSG},
        {"a>b_", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                 "integer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_label_selector *sel = (ed_label_selector *)&cases; /* must be reset */
        ed_err err = ED_ERR_INIT;
        int rc = ed_label_selector_parse_kyaml(cases[i].text, &sel, &err);
        if (rc != ED_EINVALID || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("\"%s\": %d \"%s\", want \"%s\"", cases[i].text, rc, err.msg, cases[i].msg);
        assert_null(sel);
    }
    ed_label_selector *sel = NULL;
    assert_int_equal(ed_label_selector_parse_kyaml("n>1,a in (b,c)", &sel, NULL), 0);
    ed_doc *labels = NULL;
    assert_int_equal(ed_doc_parse_json("{\"n\":\"2\",\"a\":\"c\"}", 17, &labels, NULL), 0);
    assert_true(ed_label_selector_matches(sel, ed_doc_root(labels)));
    ed_doc_free(labels);
    ed_label_selector_free(sel);
}
