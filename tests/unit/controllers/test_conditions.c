/*
 * Unit tests of status conditions: set adds or updates in place, lastTransitionTime moves when
 * the status, reason or message changes (Flux's conditions.Set), the list in Flux's order,
 * remove drops one condition and keeps the others in order. And the controller's render of a
 * Secret whose data values are not strings (ks_render.c reads them for SOPS markers), and which
 * writes (managedFields entries) spec.ignore covers (the drift watch's question). And the
 * requeue interval every reconciler reads from spec.interval, with its fallback. And a failure's
 * Stalled/Reconciling pair (ed_status_failed), and a source's conditions
 * (ed_ctrl_source_conditions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controllers/controllers.h"
#include "controllers/ks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_conditions(void **state)
{
    (void)state;
    ed_doc *d = ed_doc_new();
    ed_node *conds = ed_node_new_seq(d);
    ed_cond_set(d, conds, "FetchFailed", "True", "GitOperationFailed", "boom", 1);
    ed_cond_set(d, conds, "Ready", "False", "GitOperationFailed", "boom", 1);
    assert_int_equal(ed_node_len(conds), 2);
    assert_string_equal(ed_cond_status(conds, "Ready"), "False");
    assert_string_equal(ed_node_path_str(conds, "/0/type"), "Ready"); /* Flux's order */
    /* Force an old transition time, then set the same state: it stays. */
    ed_node *ready = ed_node_at(conds, 0);
    ed_node_set(d, ready, "lastTransitionTime", ed_node_new_str(d, "2000-01-01T00:00:00Z"));
    ed_cond_set(d, conds, "Ready", "False", "GitOperationFailed", "boom", 2);
    assert_string_equal(ed_node_path_str(conds, "/0/lastTransitionTime"), "2000-01-01T00:00:00Z");
    /* Another reason (or message) moves it, as Flux's conditions.Set does. */
    ed_cond_set(d, conds, "Ready", "False", "AuthenticationFailed", "denied", 2);
    assert_string_not_equal(ed_node_path_str(conds, "/0/lastTransitionTime"),
                            "2000-01-01T00:00:00Z");
    assert_string_equal(ed_node_path_str(conds, "/0/reason"), "AuthenticationFailed");
    ed_cond_set(d, conds, "Stalled", "True", "AuthenticationFailed", "denied", 2);
    ed_cond_set(d, conds, "Artifact", "True", "X", "y", 2);
    ed_cond_set(d, conds, "Reconciling", "True", "Progressing", "z", 2);
    const char *order[] = {"Stalled", "Reconciling", "Ready", "Artifact", "FetchFailed"};
    assert_int_equal(ed_node_len(conds), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(ed_node_str(ed_node_get(ed_node_at(conds, i), "type")), order[i]);
    ed_cond_remove(conds, "Stalled");
    ed_cond_remove(conds, "Reconciling");
    ed_cond_remove(conds, "Artifact");
    ready = ed_node_at(conds, 0);
    int64_t gen = 0;
    assert_true(ed_node_int(ed_node_path(conds, "/0/observedGeneration"), &gen));
    assert_int_equal(gen, 2);
    /* A flip moves it. */
    ed_node_set(d, ready, "lastTransitionTime", ed_node_new_str(d, "2000-01-01T00:00:00Z"));
    ed_cond_set(d, conds, "Ready", "True", "Succeeded", "stored artifact", 2);
    assert_string_not_equal(ed_node_path_str(conds, "/0/lastTransitionTime"),
                            "2000-01-01T00:00:00Z");
    assert_string_equal(ed_cond_status(conds, "Ready"), "True");
    ed_cond_remove(conds, "FetchFailed");
    ed_cond_remove(conds, "Stalled"); /* absent: no effect */
    assert_int_equal(ed_node_len(conds), 1);
    assert_null(ed_cond_status(conds, "FetchFailed"));
    /* Messages are capped at the API's 32768 bytes. */
    static char big[40000];
    memset(big, 'x', sizeof(big) - 1);
    ed_cond_set(d, conds, "Ready", "False", "BuildFailed", big, 3);
    assert_int_equal(strlen(ed_node_path_str(conds, "/0/message")), 32768);
    ed_doc_free(d);
}

/* A failure's conditions: a stall removes the Reconciling an earlier retry left (the image
 * controllers kept both True), and a retry removes an earlier stall's Stalled. */
static void test_status_failed(void **state)
{
    (void)state;
    ed_doc *obj = NULL;
    ed_err err = ED_ERR_INIT;
    const char *json = "{\"metadata\": {\"name\": \"p\", \"generation\": 3},"
                       " \"status\": {\"observedGeneration\": 2, \"conditions\": [{"
                       "\"type\": \"Reconciling\", \"status\": \"True\","
                       " \"reason\": \"ProgressingWithRetry\", \"message\": \"retry\","
                       " \"observedGeneration\": 2,"
                       " \"lastTransitionTime\": \"2000-01-01T00:00:00Z\"}]}}";
    assert_int_equal(ed_doc_parse_json(json, strlen(json), &obj, &err), 0);
    ed_status_patch sp;
    ed_status_begin(&sp, ed_doc_root(obj));
    ed_status_failed(&sp, true, "AccessDenied", "denied", NULL);
    assert_string_equal(ed_cond_status(sp.conditions, "Ready"), "False");
    assert_string_equal(ed_cond_status(sp.conditions, "Stalled"), "True");
    assert_null(ed_cond_status(sp.conditions, "Reconciling"));
    int64_t gen = 0;
    assert_true(ed_node_int(ed_node_get(sp.status, "observedGeneration"), &gen));
    assert_int_equal(gen, 3);
    /* Then a retry of the same patch's conditions: Stalled goes, observedGeneration is not
     * moved by the retry itself. */
    ed_status_failed(&sp, false, "ReconciliationFailed", "try again", NULL);
    assert_null(ed_cond_status(sp.conditions, "Stalled"));
    assert_string_equal(ed_cond_status(sp.conditions, "Reconciling"), "True");
    assert_string_equal(ed_node_path_str(sp.conditions, "/0/reason"), "ProgressingWithRetry");
    assert_string_equal(ed_node_path_str(sp.conditions, "/0/message"), "try again");
    /* With the phase reached, Reconciling keeps it, as Flux's progressive status does. */
    char progress[160];
    ed_status_progress(ed_doc_root(obj), progress, sizeof(progress));
    assert_string_equal(progress, "processing object: new generation 2 -> 3");
    ed_status_failed(&sp, false, "ReconciliationFailed", "try again", progress);
    assert_string_equal(ed_node_path_str(sp.conditions, "/0/message"),
                        "processing object: new generation 2 -> 3");
    assert_string_equal(ed_cond_status(sp.conditions, "Ready"), "False");
    ed_doc_free(sp.doc);
    ed_doc_free(obj);
}

/* The condition types of conds, in order, joined by spaces into buf. */
static const char *cond_types(const ed_node *conds, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ed_node_len(conds) && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " " : "",
                                ed_node_path_str(ed_node_at(conds, i), "/type"));
    return buf;
}

/* A source's conditions: a failure's own negative condition replaces an earlier one's, a new
 * revision beside a stored artifact is ArtifactOutdated (and Reconciling's message names it),
 * a success clears them; a verification failure is SourceVerified False alone. In Flux's
 * order (ed_cond_set). */
static void test_source_conditions(void **state)
{
    (void)state;
    static const char *const negative[] = {"FetchFailed", "StorageOperationFailed", NULL};
    ed_doc *obj = NULL;
    ed_err err = ED_ERR_INIT;
    const char *json =
        "{\"metadata\": {\"name\": \"s\", \"generation\": 2}, \"status\": {"
        "\"observedGeneration\": 1, \"artifact\": {\"revision\": \"v1\"}, \"conditions\": ["
        "{\"type\": \"Ready\", \"status\": \"True\", \"reason\": \"Succeeded\"},"
        "{\"type\": \"ArtifactInStorage\", \"status\": \"True\", \"reason\": \"Succeeded\"},"
        "{\"type\": \"FetchFailed\", \"status\": \"True\", \"reason\": \"Old\"}]}}";
    assert_int_equal(ed_doc_parse_json(json, strlen(json), &obj, &err), 0);
    ed_status_patch sp;
    ed_status_begin(&sp, ed_doc_root(obj));
    char types[256];
    ed_ctrl_source_result r = {.message = "disk full",
                               .reason = "ArchiveOperationFailed",
                               .cond = "StorageOperationFailed",
                               .negative = negative,
                               .new_revision = "new revision 'v2' for 'r/x:v2'",
                               .outdated = true};
    ed_ctrl_source_conditions(&sp, ed_doc_root(obj), &r);
    assert_string_equal(cond_types(sp.conditions, types, sizeof(types)),
                        "Reconciling Ready ArtifactOutdated StorageOperationFailed "
                        "ArtifactInStorage");
    assert_string_equal(ed_cond_message(sp.conditions, "ArtifactOutdated"),
                        "new revision 'v2' for 'r/x:v2'");
    assert_string_equal(ed_cond_reason(sp.conditions, "ArtifactOutdated"), "NewRevision");
    assert_string_equal(ed_cond_message(sp.conditions, "Reconciling"),
                        "building artifact: new revision 'v2' for 'r/x:v2'");
    assert_string_equal(ed_cond_reason(sp.conditions, "Ready"), "ArchiveOperationFailed");
    assert_null(ed_node_get(sp.status, "observedGeneration"));
    /* Success: the failure's conditions go, observedGeneration is current. */
    r.ok = true;
    r.message = "stored artifact for revision 'v2'";
    ed_ctrl_source_conditions(&sp, ed_doc_root(obj), &r);
    assert_string_equal(cond_types(sp.conditions, types, sizeof(types)), "Ready ArtifactInStorage");
    int64_t gen = 0;
    assert_true(ed_node_int(ed_node_get(sp.status, "observedGeneration"), &gen));
    assert_int_equal(gen, 2);
    /* A kind without ArtifactOutdated, a verification that stalls: SourceVerified False with
     * the failure's reason, no negative condition True, and no retry's progress. */
    r = (ed_ctrl_source_result){.message = "no signature",
                                .reason = "InvalidVerificationMode",
                                .cond = "SourceVerified",
                                .negative = negative,
                                .stalled = true,
                                .new_revision = "new upstream revision 'v3'",
                                .verified = ED_CTRL_VERIFIED_FAILED};
    ed_ctrl_source_conditions(&sp, ed_doc_root(obj), &r);
    assert_string_equal(cond_types(sp.conditions, types, sizeof(types)),
                        "Stalled Ready ArtifactInStorage SourceVerified");
    assert_string_equal(ed_cond_status(sp.conditions, "SourceVerified"), "False");
    assert_string_equal(ed_cond_reason(sp.conditions, "SourceVerified"), "InvalidVerificationMode");
    /* Retried, with nothing new: the progress of ed_status_progress, and no spec.verify
     * removes SourceVerified. */
    r.stalled = false;
    r.new_revision = NULL;
    r.cond = "FetchFailed";
    r.verified = ED_CTRL_VERIFIED_NONE;
    ed_ctrl_source_conditions(&sp, ed_doc_root(obj), &r);
    assert_string_equal(cond_types(sp.conditions, types, sizeof(types)),
                        "Reconciling Ready ArtifactInStorage FetchFailed");
    assert_string_equal(ed_cond_message(sp.conditions, "Reconciling"),
                        "processing object: new generation 1 -> 2");
    ed_doc_free(sp.doc);
    ed_doc_free(obj);
}

/* A Secret in Git with `data: {a: null, b: 1}` renders (the API judges it later); the check
 * for secretGenerator's encrypted files once dereferenced the missing string. */
static void test_render_secret_values(void **state)
{
    (void)state;
    char dir[] = "/tmp/eddy-render.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/secret.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: null, b: 1}\n", f);
    fclose(f);
    const char *ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                     "metadata: {name: x, namespace: default}\nspec: {interval: 1m, path: ./}\n";
    ed_doc **k = NULL, **out = NULL;
    size_t nk = 0, n = 0;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_yaml(ks, strlen(ks), "ks.yaml", &k, &nk, &err), 0);
    const char *reason = NULL;
    assert_int_equal(ed_ks_render(NULL, ed_doc_root(k[0]), dir, dir, ED_KS_RENDER_STRICT, NULL,
                                  &out, &n, &reason, &err),
                     0);
    assert_int_equal(n, 1);
    ed_doc_list_free(out, n);
    ed_doc_list_free(k, nk);
    unlink(path);
    rmdir(dir);
}

static ed_doc *json(const char *text)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_json(text, strlen(text), &d, &err), 0);
    return d;
}

static void test_ignore_covers(void **state)
{
    (void)state;
    ed_doc *rules = json("[{\"paths\":[\"/spec/replicas\",\"/metadata/annotations/a.io~1note\"],"
                         "\"target\":{\"kind\":\"Deployment\",\"name\":\"web-.*\"}},"
                         "{\"paths\":[\"/data/mode\",\"/spec/template/spec/containers\"]}]");
    ed_doc *web = json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                       "\"metadata\":{\"name\":\"web-1\",\"namespace\":\"a\"}}");
    ed_doc *api = json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                       "\"metadata\":{\"name\":\"api\",\"namespace\":\"a\"}}");
    const ed_node *r = ed_doc_root(rules);
    static const struct {
        const char *fields;
        bool web, api;
    } cases[] = {
        {"{\"f:spec\":{\"f:replicas\":{}}}", true, false},
        /* '/' in a key is ~1 in the rule's pointer */
        {"{\"f:metadata\":{\"f:annotations\":{\"f:a.io/note\":{}}}}", true, false},
        {"{\"f:metadata\":{\"f:annotations\":{\".\":{},\"f:a.io/note\":{}}}}", true, false},
        {"{\"f:metadata\":{\"f:annotations\":{\"f:a.io/other\":{}}}}", false, false},
        /* one ignored field and one that is not */
        {"{\"f:spec\":{\"f:replicas\":{},\"f:paused\":{}}}", false, false},
        /* a list item below an ignored path, for every object (the second rule) */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}"
         "\":"
         "{\"f:image\":{}}}}}}}",
         true, true},
        /* a list item with no ignored path above it */
        {"{\"f:spec\":{\"f:volumes\":{\"k:{\\\"name\\\":\\\"v\\\"}\":{\"f:name\":{}}}}}", false,
         false},
        /* a prefix of a segment is no parent: /spec/replicasX */
        {"{\"f:spec\":{\"f:replicasX\":{}}}", false, false},
        {"{}", false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *f = json(cases[i].fields);
        if (ed_ks_ignore_covers(r, ed_doc_root(web), NULL, ed_doc_root(f), NULL) != cases[i].web ||
            ed_ks_ignore_covers(r, ed_doc_root(api), NULL, ed_doc_root(f), NULL) != cases[i].api)
            fail_msg("case %zu: %s", i, cases[i].fields);
        ed_doc_free(f);
    }
    assert_false(ed_ks_ignore_covers(NULL, ed_doc_root(web), NULL, ed_doc_root(web), NULL));
    ed_doc_free(rules);
    ed_doc_free(web);
    ed_doc_free(api);
}

/* Paths that name a list item by its index (/spec/template/spec/containers/1/image): the
 * managedFields key of the item (k:{"name":"b"}) is matched to its place in the live object. */
static void test_ignore_covers_index(void **state)
{
    (void)state;
    ed_doc *rules = json("[{\"paths\":[\"/spec/template/spec/containers/1/image\","
                         "\"/spec/template/spec/containers/0/ports/0/containerPort\","
                         "\"/metadata/finalizers/1\"]}]");
    ed_doc *live = json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                        "\"metadata\":{\"name\":\"web\",\"namespace\":\"a\",\"finalizers\":[\"x.io/"
                        "a\",\"x.io/b\"]},"
                        "\"spec\":{\"template\":{\"spec\":{\"containers\":["
                        "{\"name\":\"a\",\"image\":\"a:1\",\"ports\":[{\"containerPort\":80,"
                        "\"protocol\":\"TCP\"}]},{\"name\":\"b\",\"image\":\"b:1\"}]}}}}");
    const ed_node *r = ed_doc_root(rules), *obj = ed_doc_root(live);
    static const struct {
        const char *fields;
        bool covered, need_live;
    } cases[] = {
        /* container b is item 1: its image is ignored */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"b\\\"}"
         "\":"
         "{\"f:image\":{}}}}}}}",
         true, true},
        /* container a is item 0: its image is not */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}"
         "\":"
         "{\"f:image\":{}}}}}}}",
         false, true},
        /* a list keyed by two fields, one a number, inside an item */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}"
         "\":"
         "{\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":"
         "{\".\":{},\"f:containerPort\":{}}}}}}}}}",
         true, true},
        /* the item's existence and its key field are more than the ignored field */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"b\\\"}"
         "\":"
         "{\".\":{},\"f:name\":{},\"f:image\":{}}}}}}}",
         false, true},
        /* an item the live object no longer has */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":"
         "\\\"gone\\\"}\":"
         "{\"f:image\":{}}}}}}}",
         false, true},
        /* a set item by value */
        {"{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"x.io/b\\\"\":{}}}}", true, true},
        {"{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"x.io/a\\\"\":{}}}}", false, true},
        /* no path goes below this list: the live object would not help */
        {"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:volumes\":{\"k:{\\\"name\\\":\\\"v\\\"}\":"
         "{\"f:name\":{}}}}}}}",
         false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *f = json(cases[i].fields);
        bool need = true;
        if (ed_ks_ignore_covers(r, obj, obj, ed_doc_root(f), &need) != cases[i].covered || need)
            fail_msg("case %zu with the live object: %s", i, cases[i].fields);
        if (ed_ks_ignore_covers(r, obj, NULL, ed_doc_root(f), &need) || need != cases[i].need_live)
            fail_msg("case %zu without it: %s", i, cases[i].fields);
        ed_doc_free(f);
    }
    ed_doc_free(rules);
    ed_doc_free(live);
}

/* A remote cluster's kubeconfig as Flux uses it: exec plugin, insecure TLS and the kubeconfig's
 * own impersonation dropped unless the controller allows the first two. */
static void test_kubeconfig_sanitize(void **state)
{
    (void)state;
    static const char kc[] = "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                             "clusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443\n"
                             "    insecure-skip-tls-verify: true\n"
                             "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
                             "users:\n- name: u\n  user:\n    token: abc\n    as: admin\n"
                             "    as-groups: [system:masters]\n"
                             "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                             "      command: /bin/sh\n      args: [-c, 'touch /tmp/pwned']\n      "
                             "interactiveMode: Never\n";
    for (unsigned flags = 0; flags < 4; flags++) {
        ed_kube_config *cfg = NULL;
        ed_err err = ED_ERR_INIT;
        int rc = ed_kube_config_from_yaml(kc, sizeof(kc) - 1, NULL, &cfg, &err);
        if (rc)
            fail_msg("%s", err.msg);
        assert_non_null(cfg->exec);
        assert_true(cfg->insecure);
        assert_non_null(cfg->impersonate_user);
        cfg = ed_ks_kubeconfig_sanitize(cfg, flags);
        assert_string_equal(cfg->server, "https://10.0.0.1:6443");
        assert_string_equal(cfg->token, "abc");
        assert_null(cfg->impersonate_user);
        assert_null(cfg->impersonate_groups);
        if (flags & ED_KS_KUBECONFIG_EXEC)
            assert_string_equal(cfg->exec->command, "/bin/sh");
        else
            assert_null(cfg->exec);
        assert_int_equal(cfg->insecure, (flags & ED_KS_KUBECONFIG_TLS) != 0);
        ed_kube_config_free(cfg);
    }
}

/* spec.interval, or the fallback when it is missing, unparsable or not positive. */
static void test_interval(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int64_t want;
    } cases[] = {
        {"{\"spec\": {\"interval\": \"5m\"}}", 300000},
        {"{\"spec\": {\"interval\": \"1h30s\"}}", 3630000},
        {"{\"spec\": {}}", 42},
        {"{\"spec\": {\"interval\": \"soon\"}}", 42},
        {"{\"spec\": {\"interval\": \"0s\"}}", 42},
        {"{\"spec\": {\"interval\": \"-1m\"}}", 42},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_doc_parse_json(cases[i].json, strlen(cases[i].json), &d, &err), 0);
        assert_int_equal(ed_ctrl_interval(ed_doc_root(d), 42), cases[i].want);
        ed_doc_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditions),          cmocka_unit_test(test_render_secret_values),
        cmocka_unit_test(test_ignore_covers),       cmocka_unit_test(test_ignore_covers_index),
        cmocka_unit_test(test_kubeconfig_sanitize), cmocka_unit_test(test_interval),
        cmocka_unit_test(test_status_failed),       cmocka_unit_test(test_source_conditions)};
    return cmocka_run_group_tests_name("controllers", tests, NULL, NULL);
}
