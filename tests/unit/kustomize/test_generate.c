/*
 * Unit tests of the generators' name hash (against suffixes kubectl kustomize v5.5 printed for
 * the same objects), of the JSON encoding it hashes (Go's escaping rules), and of the name
 * reference table and its use on a list of renamed objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kustomize/kustomize_int.h"
#include "kustomize_tests.h"

#include <stdlib.h>
#include <string.h>

static ed_doc *parse_one(const char *yaml)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(yaml, strlen(yaml), "test", &docs, &n, &err) != 0 || n != 1)
        fail_msg("cannot parse test input: %s", err.msg);
    ed_doc *doc = docs[0];
    free(docs);
    return doc;
}

static void assert_hash(const char *yaml, const char *want)
{
    ed_doc *doc = parse_one(yaml);
    char h[11];
    ks_hash_object(ed_doc_root(doc), h);
    assert_string_equal(h, want);
    ed_doc_free(doc);
}

static void assert_encoding(const char *yaml, const char *want)
{
    ed_doc *doc = parse_one(yaml);
    ed_buf out = ED_BUF_INIT(1 << 16);
    ks_hash_encode(ed_doc_root(doc), &out);
    assert_string_equal(out.data, want);
    ed_buf_free(&out);
    ed_doc_free(doc);
}

void test_hash_vectors(void **state)
{
    (void)state;
    /* suffixes printed by `kubectl kustomize` for generators of these contents */
    assert_hash("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: empty\n", "6ct58987ht");
    assert_hash("kind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: \"1\"\n", "h29d89cmmt");
    /* the name does not count: kustomize's lookup of it never finds it */
    assert_hash("kind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: \"1\"\n", "h29d89cmmt");
    assert_hash("kind: Secret\nmetadata:\n  name: s\ndata:\n  p: c2VjcmV0\ntype: Opaque\n",
                "4k4899t6bh");
    assert_hash("kind: Secret\nmetadata:\n  name: t\ndata:\n  tls.crt: YQ==\n"
                "type: kubernetes.io/tls\n",
                "b6hg978gmg");
    /* the type counts for a Secret */
    ed_doc *a = parse_one("kind: Secret\ndata:\n  p: c2VjcmV0\ntype: Opaque\n");
    ed_doc *b = parse_one("kind: Secret\ndata:\n  p: c2VjcmV0\ntype: other\n");
    char ha[11], hb[11];
    ks_hash_object(ed_doc_root(a), ha);
    ks_hash_object(ed_doc_root(b), hb);
    assert_string_not_equal(ha, hb);
    ed_doc_free(a);
    ed_doc_free(b);
    /* the suffix alphabet never holds 0, 1, 3, a or e */
    for (const char *p = ha; *p; p++)
        assert_null(strchr("013ae", *p));
}

void test_hash_encoding(void **state)
{
    (void)state;
    assert_encoding("kind: ConfigMap\n", "{\"data\":\"\",\"kind\":\"ConfigMap\",\"name\":\"\"}");
    /* keys sorted, binaryData first when present */
    assert_encoding("kind: ConfigMap\ndata:\n  z: \"1\"\n  b: \"2\"\nbinaryData:\n  k: AA==\n",
                    "{\"binaryData\":{\"k\":\"AA==\"},\"data\":{\"b\":\"2\",\"z\":\"1\"},"
                    "\"kind\":\"ConfigMap\",\"name\":\"\"}");
    /* Go's escaping: HTML characters, short escapes, other controls, U+2028 */
    assert_encoding(
        "kind: ConfigMap\ndata:\n  k: \"<a>&\\b\\f\\n\\t\\x01\\u2028\\\"\\\\\"\n",
        "{\"data\":{\"k\":\"\\u003ca\\u003e\\u0026\\b\\f\\n\\t\\u0001\\u2028\\\"\\\\\"},"
        "\"kind\":\"ConfigMap\",\"name\":\"\"}");
    assert_encoding("kind: Secret\ndata:\n  a: YQ==\n",
                    "{\"data\":{\"a\":\"YQ==\"},\"kind\":\"Secret\",\"name\":\"\",\"type\":\"\"}");
}

void test_utf8_validity(void **state)
{
    (void)state;
    assert_true(ks_utf8_valid("plain", 5));
    assert_true(ks_utf8_valid("h\xc3\xa9llo", 6));
    assert_true(ks_utf8_valid("\xf0\x9f\x9a\x80", 4));
    assert_false(ks_utf8_valid("\xff", 1));
    assert_false(ks_utf8_valid("\xc3", 1));         /* truncated */
    assert_false(ks_utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(ks_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(ks_utf8_valid("\x89PNG\r\n", 6));
}

void test_nameref_table(void **state)
{
    (void)state;
    /* kustomize's built-in table, one entry per (target, referrer, path) */
    assert_int_equal(ks_nameref_table_len(), 166);
    static const char *const present[][3] = {
        {"ConfigMap", "Deployment", "spec/template/spec/volumes/configMap/name"},
        {"ConfigMap", "CronJob",
         "spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name"},
        {"ConfigMap", "StatefulSet", "spec/template/spec/volumes/projected/sources/configMap/name"},
        {"Secret", "Deployment", "spec/template/spec/imagePullSecrets/name"},
        {"Secret", "Ingress", "spec/tls/secretName"},
        {"Secret", "ServiceAccount", "imagePullSecrets/name"},
        {"ServiceAccount", "RoleBinding", "subjects"},
        {"ServiceAccount", "ClusterRoleBinding", "subjects"},
        {"ServiceAccount", "Job", "spec/template/spec/serviceAccountName"},
        {"Role", "RoleBinding", "roleRef/name"},
        {"ClusterRole", "ClusterRoleBinding", "roleRef/name"},
        {"Service", "StatefulSet", "spec/serviceName"},
        {"Service", "Ingress", "spec/rules/http/paths/backend/service/name"},
        {"Service", "APIService", "spec/service/name"},
        {"PersistentVolumeClaim", "Deployment",
         "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
        {"PriorityClass", "DaemonSet", "spec/template/spec/priorityClassName"},
        {"StorageClass", "PersistentVolumeClaim", "spec/storageClassName"},
        {"Deployment", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"},
    };
    for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
        if (!ks_nameref_table_has(present[i][0], present[i][1], present[i][2]))
            fail_msg("missing name reference %s <- %s %s", present[i][0], present[i][1],
                     present[i][2]);
    /* a Role is not referred to from a ClusterRoleBinding */
    assert_false(ks_nameref_table_has("Role", "ClusterRoleBinding", "roleRef/name"));
    assert_false(ks_nameref_table_has("ConfigMap", "Deployment", "spec/volumes/configMap/name"));
}

static void push_renamed(ks_list *l, const char *yaml, const char *old_name)
{
    ed_doc *doc = parse_one(yaml);
    ks_list_push(l, doc);
    if (old_name) {
        ks_res *r = &l->items[l->len - 1];
        ed_node *meta = ed_node_get(ed_doc_root(doc), "metadata");
        const char *cur = ed_node_str(ed_node_get(meta, "name"));
        char *keep = ed_xstrdup(cur);
        ed_node_set(doc, meta, "name", ed_node_new_str(doc, old_name));
        ks_res_store_prev(r);
        ed_node_set(doc, meta, "name", ed_node_new_str(doc, keep));
        free(keep);
    }
}

void test_nameref_fix(void **state)
{
    (void)state;
    ks_list l = {0};
    ed_err err = ED_ERR_INIT;
    push_renamed(&l, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-abc\n", "cfg");
    push_renamed(&l,
                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere-x\n"
                 "  namespace: other\n",
                 "elsewhere");
    push_renamed(&l,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n"
                 "  template:\n    spec:\n      containers:\n      - name: c\n"
                 "        envFrom:\n        - configMapRef:\n            name: cfg\n"
                 "        - configMapRef:\n            name: elsewhere\n"
                 "        - configMapRef:\n            name: unknown\n",
                 NULL);
    assert_int_equal(ks_fix_name_refs(&l, NULL, &err), 0);
    const ed_node *from =
        ed_node_path(ed_doc_root(l.items[2].doc), "/spec/template/spec/containers/0/envFrom");
    /* renamed in the same namespace: follows */
    assert_string_equal(ed_node_path_str(from, "/0/configMapRef/name"), "cfg-abc");
    /* in another namespace: not visible to the Deployment, stays */
    assert_string_equal(ed_node_path_str(from, "/1/configMapRef/name"), "elsewhere");
    /* nothing had that name: stays */
    assert_string_equal(ed_node_path_str(from, "/2/configMapRef/name"), "unknown");
    ks_list_free(&l);
}
