/*
 * Unit tests of the patch engines on ed_node trees: strategic merge patch (ed_ks_smp_apply),
 * JSON 6902 (ed_ks_json6902_apply) and label selectors. Each case parses an object, a patch
 * and the expected result from YAML and compares trees (sequence order counts). The golden
 * cases in tests/golden/kustomize check the same behaviour through whole builds against kubectl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kustomize/kustomize_int.h"
#include "patch_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ed_doc *parse_one(const char *yaml)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    int rc = ed_doc_parse_yaml(yaml, strlen(yaml), "test.yaml", &docs, &n, &err);
    if (rc)
        fail_msg("cannot parse test input: %s", err.msg);
    assert_int_equal(n, 1);
    ed_doc *doc = docs[0];
    docs[0] = NULL;
    ed_doc_list_free(docs, n);
    return doc;
}

static void assert_tree(const ed_node *got, const char *want_yaml)
{
    ed_doc *want = parse_one(want_yaml);
    if (!ed_node_equal(got, ed_doc_root(want))) {
        ed_buf out = ED_BUF_INIT(1 << 20);
        ed_node_to_yaml(got, &out);
        ed_buf_append(&out, "", 1);
        fail_msg("got:\n%s", out.data);
    }
    ed_doc_free(want);
}

/* Apply an SMP and compare; want NULL means the patch must delete the object. */
static void smp_case(const char *obj, const char *patch, const char *want)
{
    ed_doc *doc = parse_one(obj), *p = parse_one(patch);
    ed_err err = ED_ERR_INIT;
    bool deleted = false;
    int rc = ed_ks_smp_apply(doc, ed_doc_root(p), &deleted, &err);
    if (rc)
        fail_msg("smp failed: %s", err.msg);
    if (want) {
        assert_false(deleted);
        assert_tree(ed_doc_root(doc), want);
    } else {
        assert_true(deleted);
    }
    ed_doc_free(doc);
    ed_doc_free(p);
}

static void smp_fails(const char *obj, const char *patch, int code, const char *msg)
{
    ed_doc *doc = parse_one(obj), *p = parse_one(patch);
    ed_err err = ED_ERR_INIT;
    bool deleted = false;
    assert_int_equal(ed_ks_smp_apply(doc, ed_doc_root(p), &deleted, &err), code);
    if (!strstr(err.msg, msg))
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
    ed_doc_free(doc);
    ed_doc_free(p);
}

static const char deploy[] = "apiVersion: apps/v1\n"
                             "kind: Deployment\n"
                             "metadata: {name: web, labels: {app: web, tier: fe}, "
                             "finalizers: [a, b]}\n"
                             "spec:\n"
                             "  replicas: 1\n"
                             "  template:\n"
                             "    spec:\n"
                             "      containers:\n"
                             "      - {name: app, image: app:1, args: [x, y], "
                             "env: [{name: A, value: '1'}, {name: B, value: '2'}]}\n"
                             "      - {name: side, image: side:1}\n"
                             "      volumes: [{name: v1, emptyDir: {}}]\n";

void test_smp_maps(void **state)
{
    (void)state;
    /* Mappings merge; null deletes; a new mapping is added without its nulls. */
    smp_case(deploy,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {tier: null, "
             "v: '2'}}\nspec: {replicas: null, strategy: {type: Recreate, rollingUpdate: null}}\n",
             "apiVersion: apps/v1\nkind: Deployment\n"
             "metadata: {name: web, labels: {app: web, v: '2'}, finalizers: [a, b]}\n"
             "spec:\n"
             "  strategy: {type: Recreate}\n"
             "  template:\n"
             "    spec:\n"
             "      containers:\n"
             "      - {name: app, image: app:1, args: [x, y], "
             "env: [{name: A, value: '1'}, {name: B, value: '2'}]}\n"
             "      - {name: side, image: side:1}\n"
             "      volumes: [{name: v1, emptyDir: {}}]\n");
}

void test_smp_keyed_lists(void **state)
{
    (void)state;
    /* containers merge by name, env by name, args (no strategy) are replaced; the patch's
     * elements come first, then the target's others; finalizers (scalars, strategy merge)
     * are a union in the same order. */
    smp_case(deploy,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, finalizers: [c, b]}\n"
             "spec:\n  template:\n    spec:\n      containers:\n"
             "      - {name: side, image: side:2}\n"
             "      - {name: app, args: [z], env: [{name: C, value: '3'}, {name: A, $patch: "
             "delete}]}\n"
             "      - {name: new, image: new:1}\n",
             "apiVersion: apps/v1\nkind: Deployment\n"
             "metadata: {name: web, labels: {app: web, tier: fe}, finalizers: [c, b, a]}\n"
             "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n"
             "      - {name: side, image: side:2}\n"
             "      - {name: app, image: app:1, args: [z], env: [{name: C, value: '3'}, "
             "{name: B, value: '2'}]}\n"
             "      - {name: new, image: new:1}\n"
             "      volumes: [{name: v1, emptyDir: {}}]\n");
}

void test_smp_list_map_keys(void **state)
{
    (void)state;
    static const char pod[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                              "  containers:\n  - name: c\n    ports:\n";
    char obj[512], patch[512], want[512];
    /* Ports merge by (containerPort, protocol). With no protocol anywhere, by containerPort,
     * the patch's elements first. */
    snprintf(obj, sizeof(obj), "%s    - {containerPort: 1}\n    - {containerPort: 2}\n", pod);
    snprintf(patch, sizeof(patch), "%s    - {containerPort: 2, name: b}\n", pod);
    snprintf(want, sizeof(want), "%s    - {containerPort: 2, name: b}\n    - {containerPort: 1}\n",
             pod);
    smp_case(obj, patch, want);
    /* With a protocol somewhere: new elements first, the target's keep their places; an element
     * whose keys only partly agree with the target's is dropped, as kustomize does. */
    snprintf(obj, sizeof(obj),
             "%s    - {containerPort: 53, protocol: UDP}\n    - {containerPort: 53, protocol: "
             "TCP}\n    - {containerPort: 80}\n",
             pod);
    snprintf(
        patch, sizeof(patch),
        "%s    - {containerPort: 53, protocol: TCP, hostPort: 53}\n    - {containerPort: 8080}\n"
        "    - {containerPort: 80, protocol: TCP, name: dropped}\n",
        pod);
    snprintf(want, sizeof(want),
             "%s    - {containerPort: 8080}\n    - {containerPort: 53, protocol: UDP}\n"
             "    - {containerPort: 53, protocol: TCP, hostPort: 53}\n    - {containerPort: 80}\n",
             pod);
    smp_case(obj, patch, want);
}

void test_smp_directives(void **state)
{
    (void)state;
    /* $patch: replace on a list and a mapping, $patch: delete on a mapping and an element. */
    smp_case(deploy,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {$patch: "
             "replace, only: this}}\n"
             "spec:\n  template:\n    spec:\n"
             "      volumes: [{$patch: replace}, {name: v2, secret: {secretName: s}}]\n"
             "      containers: [{name: side, $patch: delete}]\n",
             "apiVersion: apps/v1\nkind: Deployment\n"
             "metadata: {name: web, labels: {only: this}, finalizers: [a, b]}\n"
             "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n"
             "      - {name: app, image: app:1, args: [x, y], "
             "env: [{name: A, value: '1'}, {name: B, value: '2'}]}\n"
             "      volumes: [{name: v2, secret: {secretName: s}}]\n");
    /* The whole object. */
    smp_case(deploy,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n$patch: delete\n",
             NULL);
    /* kustomize does not interpret the apiserver's other directives: they stay as keys. */
    smp_case("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, $deleteFromPrimitiveList/"
             "finalizers: [x]}\n",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, $deleteFromPrimitiveList/"
             "finalizers: [x]}\ndata: {a: '1'}\n");
}

void test_smp_custom_resources(void **state)
{
    (void)state;
    /* No schema: mappings merge, every list is replaced, even one of named objects. */
    smp_case("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
             "spec: {items: [{name: a, v: 1}, {name: b, v: 2}], nested: {a: 1, b: {c: 2}}}\n",
             "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
             "spec: {items: [{name: a, v: 9}], nested: {b: {d: 3}}}\n",
             "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
             "spec: {items: [{name: a, v: 9}], nested: {a: 1, b: {c: 2, d: 3}}}\n");
}

void test_smp_custom_schema(void **state)
{
    (void)state;
    ed_doc *schema = parse_one(
        "definitions:\n"
        "  w:\n"
        "    x-kubernetes-group-version-kind: [{group: example.com, version: v1, kind: Widget}]\n"
        "    properties: {spec: {$ref: '#/definitions/spec'}}\n"
        "  spec:\n"
        "    properties:\n"
        "      items: {type: array, items: {type: object}, x-kubernetes-patch-strategy: merge,\n"
        "              x-kubernetes-patch-merge-key: name}\n");
    const ed_node *defs = ed_node_get(ed_doc_root(schema), "definitions");
    ed_doc *doc = parse_one("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
                            "spec: {items: [{name: a, v: 1}, {name: b, v: 2}]}\n");
    ed_doc *patch = parse_one("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
                              "spec: {items: [{name: b, v: 9}]}\n");
    ed_err err = ED_ERR_INIT;
    bool deleted = false;
    assert_int_equal(ed_ks_smp_apply_schema(doc, ed_doc_root(patch), defs, &deleted, &err), 0);
    /* The schema's merge key: the lists merge, patch elements first. */
    assert_tree(ed_doc_root(doc), "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
                                  "spec: {items: [{name: b, v: 9}, {name: a, v: 1}]}\n");
    ed_doc_free(doc);
    ed_doc_free(patch);
    /* The schema replaces the built-in table: a Deployment's containers are now replaced. */
    doc = parse_one(deploy);
    patch = parse_one("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                      "spec: {template: {spec: {containers: [{name: x, image: x}]}}}\n");
    assert_int_equal(ed_ks_smp_apply_schema(doc, ed_doc_root(patch), defs, &deleted, &err), 0);
    assert_int_equal(ed_node_len(ed_node_path(ed_doc_root(doc), "/spec/template/spec/containers")),
                     1);
    ed_doc_free(doc);
    ed_doc_free(patch);
    ed_doc_free(schema);
}

void test_smp_errors(void **state)
{
    (void)state;
    smp_fails(deploy,
              "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
              "spec: {template: {spec: {containers: [{name: app, $patch: remove}]}}}\n",
              ED_EINVALID, "unknown patch directive '$patch: remove'");
    smp_fails(deploy, "[1, 2]\n", ED_EINVALID, "must be a mapping");
}

/* ---- JSON 6902 ---- */

static void json_case(const char *obj, const char *ops, const char *want)
{
    ed_doc *doc = parse_one(obj), *p = parse_one(ops);
    ed_err err = ED_ERR_INIT;
    if (ed_ks_json6902_apply(doc, ed_doc_root(p), &err))
        fail_msg("json patch failed: %s", err.msg);
    assert_tree(ed_doc_root(doc), want);
    ed_doc_free(doc);
    ed_doc_free(p);
}

static void json_fails(const char *obj, const char *ops, int code, const char *msg)
{
    ed_doc *doc = parse_one(obj), *p = parse_one(ops);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_ks_json6902_apply(doc, ed_doc_root(p), &err), code);
    if (!strstr(err.msg, msg))
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
    ed_doc_free(doc);
    ed_doc_free(p);
}

static const char obj[] = "{metadata: {name: x, annotations: {a/b: '1', c~d: '2'}}, "
                          "spec: {list: [a, b, c], map: {k: v}}}";

void test_json_operations(void **state)
{
    (void)state;
    json_case(obj,
              "[{op: add, path: /spec/list/0, value: first}, {op: add, path: /spec/list/-, "
              "value: last}, {op: add, path: /spec/list/2, value: mid}]",
              "{metadata: {name: x, annotations: {a/b: '1', c~d: '2'}}, "
              "spec: {list: [first, a, mid, b, c, last], map: {k: v}}}");
    json_case(obj,
              "[{op: remove, path: /spec/list/1}, {op: replace, path: /spec/map, value: {n: 1}}, "
              "{op: remove, path: /metadata/annotations/a~1b}, "
              "{op: replace, path: /metadata/annotations/c~0d, value: '3'}]",
              "{metadata: {name: x, annotations: {c~d: '3'}}, spec: {list: [a, c], map: {n: 1}}}");
    json_case(obj,
              "[{op: move, from: /spec/map, path: /spec/moved}, {op: copy, from: /spec/list/2, "
              "path: /spec/list/0}, {op: test, path: /spec/list, value: [c, a, b, c]}]",
              "{metadata: {name: x, annotations: {a/b: '1', c~d: '2'}}, "
              "spec: {list: [c, a, b, c], moved: {k: v}}}");
    /* Replacing a missing key of a mapping adds it, as kustomize's library does. */
    json_case("{a: {}}", "[{op: replace, path: /a/b, value: 1}]", "{a: {b: 1}}");
    /* Negative indexes count from the end (an add at -1 appends); a missing member tests equal
     * to null; indexes read as Go's Atoi reads them. */
    json_case("{l: [a, b]}",
              "[{op: add, path: /l/-1, value: c}, {op: add, path: /l/-2, value: x}, "
              "{op: remove, path: /l/-4}, {op: replace, path: /l/-1, value: z}]",
              "{l: [b, x, z]}");
    json_case("{l: [a, b], m: {}}",
              "[{op: test, path: /m/absent, value: null}, {op: add, path: /l/01, value: c}]",
              "{l: [a, c, b], m: {}}");
    /* The whole document. */
    json_case("{a: 1}", "[{op: replace, path: '', value: {b: 2}}]", "{b: 2}");
}

void test_json_errors(void **state)
{
    (void)state;
    json_fails(obj, "[{op: remove, path: /spec/nothing}]", ED_ENOTFOUND,
               "operation 0 (remove): path '/spec/nothing' does not exist");
    json_fails(obj, "[{op: add, path: /spec/missing/x, value: 1}]", ED_ENOTFOUND,
               "'/spec/missing/x' does not exist");
    json_fails(obj, "[{op: add, path: /spec/list/4, value: 1}]", ED_EINVALID, "out of range");
    json_fails(obj, "[{op: add, path: /spec/list/-5, value: 1}]", ED_EINVALID, "out of range");
    json_fails(obj, "[{op: remove, path: /spec/list/-4}]", ED_ENOTFOUND, "does not exist");
    json_fails(obj, "[{op: test, path: /spec/nothing, value: 1}]", ED_ENOTFOUND, "does not exist");
    json_fails(obj, "[{op: test, path: /spec/list/7, value: null}]", ED_ENOTFOUND,
               "does not exist");
    json_fails(obj, "[{op: test, path: /spec/list/0, value: z}]", ED_EINVALID,
               "test of '/spec/list/0' failed");
    json_fails(obj, "[{op: frob, path: /spec}]", ED_EINVALID, "unknown operation 'frob'");
    json_fails(obj, "[{op: add, path: /spec/x}]", ED_EINVALID, "has no value");
    json_fails(obj, "[{op: move, path: /spec/map/k2}]", ED_EINVALID, "no string 'from'");
    json_fails(obj, "[{op: move, from: /spec, path: /spec/map/inner}]", ED_EINVALID,
               "into its own child");
    json_fails(obj, "[{op: add, path: spec, value: 1}]", ED_EINVALID, "is not a JSON pointer");
    json_fails(obj, "{op: add}", ED_EINVALID, "must be a list of operations");
    json_fails(obj, "[{op: add, path: /spec/list/0/x, value: 1}]", ED_EINVALID,
               "leads into a string");
}

/* ---- label selectors ---- */

static bool selects(const char *selector, const char *labels_yaml)
{
    ed_doc *labels = parse_one(labels_yaml);
    ed_err err = ED_ERR_INIT;
    bool match = false;
    if (ks_selector_match(selector, ed_doc_root(labels), &match, &err))
        fail_msg("selector '%s' failed: %s", selector, err.msg);
    ed_doc_free(labels);
    return match;
}

void test_label_selectors(void **state)
{
    (void)state;
    const char *l = "{app: web, tier: frontend, env: prod}";
    assert_true(selects("", l));
    assert_true(selects("app=web", l));
    assert_true(selects("app==web, tier = frontend", l));
    assert_false(selects("app=api", l));
    assert_true(selects("app!=api", l));
    assert_true(selects("missing!=x", l));
    assert_true(selects("tier in (frontend, backend)", l));
    assert_false(selects("tier notin (frontend)", l));
    assert_true(selects("missing notin (x)", l));
    assert_true(selects("env,!missing", l));
    assert_false(selects("!env", l));
    assert_false(selects("app=web,missing", l));
    /* labels.Parse's grammar, which kustomize's targets take: integer comparisons. */
    assert_true(selects("n>2,n<4", "{n: \"3\"}"));
    assert_false(selects("n>3", "{n: \"3\"}"));

    ed_doc *labels = parse_one(l);
    ed_err err = ED_ERR_INIT;
    bool match;
    assert_int_equal(ks_selector_match("app in web", ed_doc_root(labels), &match, &err),
                     ED_EINVALID);
    assert_string_equal(err.msg, "unable to parse requirement: found 'web' expected: '('");
    assert_int_equal(ks_selector_match("app=web;", ed_doc_root(labels), &match, &err), ED_EINVALID);
    assert_non_null(
        strstr(err.msg, "invalid label value: \"web;\": at key: \"app\": a valid label"));
    ed_doc_free(labels);
}
