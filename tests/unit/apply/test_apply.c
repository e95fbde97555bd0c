/*
 * Unit tests of the apply module's pure parts: kstatus rules per kind, inventory ids and
 * change-set names, the custom stage kinds' parser and the field take-over's choice of
 * managers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apply/apply.h"
#include "apply/apply_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *status_of(const char *json, const char **why)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(json, strlen(json), &d, &err))
        fail_msg("%s", err.msg);
    const char *s = ed_apply_status(ed_doc_root(d), why);
    ed_doc_free(d);
    return s;
}

static void expect(const char *json, const char *want)
{
    const char *why = NULL;
    const char *got = status_of(json, &why);
    if (strcmp(got, want) != 0)
        fail_msg("%s (%s), want %s for %s", got, why, want, json);
}

static void test_kstatus(void **state)
{
    (void)state;
    /* Deployments: generation observed, replicas updated and available. */
    expect("{\"kind\":\"Deployment\",\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
           "\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,"
           "\"readyReplicas\":2,\"availableReplicas\":2}}",
           "Current");
    expect("{\"kind\":\"Deployment\",\"metadata\":{\"generation\":3},\"spec\":{\"replicas\":2},"
           "\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,"
           "\"readyReplicas\":2,\"availableReplicas\":2}}",
           "InProgress");
    expect("{\"kind\":\"Deployment\",\"metadata\":{\"generation\":1},\"spec\":{\"replicas\":3},"
           "\"status\":{\"observedGeneration\":1,\"replicas\":4,\"updatedReplicas\":3,"
           "\"readyReplicas\":3,\"availableReplicas\":3}}",
           "InProgress"); /* an old pod still terminating */
    expect("{\"kind\":\"Deployment\",\"metadata\":{\"generation\":1},\"status\":{"
           "\"observedGeneration\":1,\"conditions\":[{\"type\":\"Progressing\",\"status\":"
           "\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}",
           "Failed");
    /* Jobs. */
    expect("{\"kind\":\"Job\",\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":"
           "\"True\"}]}}",
           "Current");
    expect("{\"kind\":\"Job\",\"status\":{\"conditions\":[{\"type\":\"Failed\",\"status\":"
           "\"True\"}]}}",
           "Failed");
    expect("{\"kind\":\"Job\",\"status\":{}}", "InProgress");
    /* StatefulSets mid-rollout, DaemonSets, CRDs, PVCs. */
    expect("{\"kind\":\"StatefulSet\",\"spec\":{\"replicas\":1},\"status\":{"
           "\"observedGeneration\":1,\"readyReplicas\":1,\"currentReplicas\":1,"
           "\"updatedReplicas\":1,\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}",
           "InProgress");
    expect("{\"kind\":\"DaemonSet\",\"status\":{\"observedGeneration\":1,"
           "\"desiredNumberScheduled\":1,\"updatedNumberScheduled\":1,\"numberAvailable\":1,"
           "\"numberReady\":1}}",
           "Current");
    expect("{\"kind\":\"CustomResourceDefinition\",\"status\":{\"conditions\":[{\"type\":"
           "\"Established\",\"status\":\"True\"}]}}",
           "Current");
    expect("{\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":\"Pending\"}}", "InProgress");
    /* Generic: Flux kinds and anything with Ready/Stalled; no status at all is Current. */
    expect("{\"kind\":\"Kustomization\",\"metadata\":{\"generation\":1},\"status\":{"
           "\"observedGeneration\":1,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
           "Current");
    expect("{\"kind\":\"Kustomization\",\"status\":{\"conditions\":[{\"type\":\"Stalled\","
           "\"status\":\"True\"}]}}",
           "Failed");
    expect("{\"kind\":\"GitRepository\",\"status\":{\"conditions\":[{\"type\":\"Ready\","
           "\"status\":\"False\"}]}}",
           "InProgress");
    expect("{\"kind\":\"ConfigMap\",\"data\":{}}", "Current");
    expect("{\"kind\":\"ConfigMap\",\"metadata\":{\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"}}",
           "InProgress");
}

static void test_ids(void **state)
{
    (void)state;
    const char *objs[][2] = {
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
         "\"namespace\":\"default\"}}",
         "default_web_apps_Deployment"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
         "\"namespace\":\"default\"}}",
         "default_web__Service"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"apps\"}}",
         "_apps__Namespace"},
        /* cli-utils writes the ':' of RBAC names as "__" */
        {"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\","
         "\"metadata\":{\"name\":\"system:metrics:reader\"}}",
         "_system__metrics__reader_rbac.authorization.k8s.io_ClusterRole"},
        {"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
         "\"metadata\":{\"name\":\"app:view\",\"namespace\":\"apps\"}}",
         "apps_app__view_rbac.authorization.k8s.io_RoleBinding"},
    };
    const char *want[][4] = {
        {"default", "web", "apps", "Deployment"},
        {"default", "web", "", "Service"},
        {"", "apps", "", "Namespace"},
        {"", "system:metrics:reader", "rbac.authorization.k8s.io", "ClusterRole"},
        {"apps", "app:view", "rbac.authorization.k8s.io", "RoleBinding"}};
    for (size_t i = 0; i < 5; i++) {
        ed_doc *d = NULL;
        assert_int_equal(ed_doc_parse_json(objs[i][0], strlen(objs[i][0]), &d, NULL), 0);
        char *id = ed_apply_id(ed_doc_root(d));
        assert_string_equal(id, objs[i][1]);
        ed_apply_id_parts p;
        assert_true(ed_apply_id_parse(id, &p));
        assert_string_equal(p.ns, want[i][0]);
        assert_string_equal(p.name, want[i][1]);
        assert_string_equal(p.group, want[i][2]);
        assert_string_equal(p.kind, want[i][3]);
        free(id);
        ed_doc_free(d);
    }
    char av[64];
    ed_apply_id_parts p;
    assert_true(ed_apply_id_parse("default_web_apps_Deployment", &p));
    ed_apply_id_api_version(&p, "v1", av, sizeof(av));
    assert_string_equal(av, "apps/v1");
    const char *bad[] = {"", "a", "a_b", "a_b_c", "ns__g_Kind", "ns_a_b_g_Kind", "ns_n_g_"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ed_apply_id_parse(bad[i], &p))
            fail_msg("'%s' parsed as an id", bad[i]);
    assert_string_equal(ed_apply_action_name(ED_APPLY_CONFIGURED), "Configured");
    assert_string_equal(ed_apply_action_name(ED_APPLY_SKIPPED), "Skipped");
}

/* obj's metadata as JSON, parsed, and whether it opts out of writes / asks IfNotPresent. */
static void opts_of(const char *meta, bool *out, bool *if_not_present)
{
    char json[512];
    snprintf(json, sizeof(json), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":%s}",
             meta);
    ed_doc *d = NULL;
    assert_int_equal(ed_doc_parse_json(json, strlen(json), &d, NULL), 0);
    *out = ed_apply_opted_out(ed_doc_root(d));
    *if_not_present = ed_apply_if_not_present(ed_doc_root(d));
    ed_doc_free(d);
}

/* The opt-outs are read as Flux's AnyInMetadata reads them: a label or an annotation, its
 * value in any case ("Disabled", "ignore"), an empty value never. */
static void test_opt_outs(void **state)
{
    (void)state;
    const struct {
        const char *meta;
        bool out, if_not_present;
    } cases[] = {
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/reconcile\":\"disabled\"}}", true, false},
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/reconcile\":\"Disabled\"}}", true, false},
        {"{\"labels\":{\"kustomize.toolkit.fluxcd.io/reconcile\":\"DISABLED\"}}", true, false},
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/ssa\":\"ignore\"}}", true, false},
        {"{\"labels\":{\"kustomize.toolkit.fluxcd.io/ssa\":\"Ignore\"}}", true, false},
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/ssa\":\"ifnotpresent\"}}", false, true},
        {"{\"labels\":{\"kustomize.toolkit.fluxcd.io/ssa\":\"IfNotPresent\"}}", false, true},
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/reconcile\":\"enabled\"}}", false, false},
        {"{\"annotations\":{\"kustomize.toolkit.fluxcd.io/ssa\":\"\"}}", false, false},
        {"{\"name\":\"plain\"}", false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool out, inp;
        opts_of(cases[i].meta, &out, &inp);
        if (out != cases[i].out || inp != cases[i].if_not_present)
            fail_msg("%s: opted out %d, if not present %d", cases[i].meta, out, inp);
    }
}

/* Flux's --custom-apply-stage-kinds: "Kind" and "/Kind" are the core group's, blanks and
 * empty entries are skipped, an entry Flux could never match is an error naming it. */
static void test_group_kinds(void **state)
{
    (void)state;
    char **kinds = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_apply_group_kinds_parse(
                         " rbac.authorization.k8s.io/Role, Secret,,/ConfigMap ,", &kinds, &err),
                     0);
    assert_non_null(kinds);
    assert_string_equal(kinds[0], "rbac.authorization.k8s.io/Role");
    assert_string_equal(kinds[1], "Secret");
    assert_string_equal(kinds[2], "ConfigMap");
    assert_null(kinds[3]);
    ed_apply_group_kinds_free(kinds);

    assert_int_equal(ed_apply_group_kinds_parse("", &kinds, &err), 0);
    assert_null(kinds[0]);
    ed_apply_group_kinds_free(kinds);

    const char *bad[] = {"apps/v1/Deployment", "apps/", "Role,x.io/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kinds = NULL;
        assert_int_equal(ed_apply_group_kinds_parse(bad[i], &kinds, &err), ED_EINVALID);
        assert_null(kinds);
        assert_non_null(strstr(err.msg, "invalid group/kind"));
    }
}

/* The take-over patch for a live object whose fields "helm" and "kubectl-edit" own: kubectl's
 * always, another manager's only when named (Flux's --override-manager), applied or updated;
 * a named manager's subresource entry never. */
static void test_takeover_managers(void **state)
{
    (void)state;
    const char *live_json =
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
        "\"managedFields\":["
        "{\"manager\":\"helm\",\"operation\":\"Update\",\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}},"
        "{\"manager\":\"argocd\",\"operation\":\"Apply\",\"fieldsV1\":{\"f:data\":{\"f:b\":{}}}},"
        "{\"manager\":\"helm\",\"operation\":\"Update\",\"subresource\":\"status\","
        "\"fieldsV1\":{\"f:status\":{}}},"
        "{\"manager\":\"kustomize-controller\",\"operation\":\"Apply\","
        "\"fieldsV1\":{\"f:data\":{\"f:c\":{}}}}]}}";
    ed_doc *d = NULL;
    assert_int_equal(ed_doc_parse_json(live_json, strlen(live_json), &d, NULL), 0);
    ed_buf patch = ED_BUF_INIT(1 << 20);
    /* nothing of kubectl's: no patch without named managers */
    assert_false(ed_apply_takeover_patch(ed_doc_root(d), "kustomize-controller", NULL, &patch));
    const char *none[] = {"flagger", NULL};
    assert_false(ed_apply_takeover_patch(ed_doc_root(d), "kustomize-controller", none, &patch));
    const char *named[] = {"helm", "argocd", NULL};
    assert_true(ed_apply_takeover_patch(ed_doc_root(d), "kustomize-controller", named, &patch));
    ed_doc *p = NULL;
    assert_int_equal(ed_doc_parse_json(patch.data, patch.len, &p, NULL), 0);
    const ed_node *list = ed_node_path(ed_node_at(ed_doc_root(p), 0), "/value");
    /* left: helm's status entry and our Apply entry, which now owns a, b and c */
    assert_int_equal(ed_node_len(list), 2);
    assert_string_equal(ed_node_path_str(ed_node_at(list, 0), "/subresource"), "status");
    const ed_node *own = ed_node_at(list, 1);
    assert_string_equal(ed_node_path_str(own, "/manager"), "kustomize-controller");
    const char *fields[] = {"/fieldsV1/f:data/f:a", "/fieldsV1/f:data/f:b", "/fieldsV1/f:data/f:c"};
    for (size_t i = 0; i < 3; i++)
        assert_non_null(ed_node_path(own, fields[i]));
    ed_doc_free(p);
    ed_buf_free(&patch);
    ed_doc_free(d);
}

/* Flux's managers match by prefix (fluxcd/pkg/ssa's FieldManager without ExactMatch):
 * "kubectl" takes kubectl-edit (Update) and kubectl (Apply), "before-first-apply" and the
 * controller's own name take a longer name's Update but not its Apply, a named "helm" takes
 * helm-controller; the first entry taken becomes the controller's Apply entry, its time kept,
 * last in the list. */
static void test_takeover_prefixes(void **state)
{
    (void)state;
    const char *live_json =
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
        "\"managedFields\":["
        "{\"manager\":\"kubectl-edit\",\"operation\":\"Update\",\"time\":\"T1\","
        "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}},"
        "{\"manager\":\"my-tool\",\"operation\":\"Update\",\"fieldsV1\":{\"f:data\":{\"f:m\":{}}}},"
        "{\"manager\":\"before-first-apply-x\",\"operation\":\"Update\","
        "\"fieldsV1\":{\"f:data\":{\"f:b\":{}}}},"
        "{\"manager\":\"before-first-apply\",\"operation\":\"Apply\","
        "\"fieldsV1\":{\"f:data\":{\"f:n\":{}}}},"
        "{\"manager\":\"kustomize-controller-old\",\"operation\":\"Update\","
        "\"fieldsV1\":{\"f:data\":{\"f:c\":{}}}},"
        "{\"manager\":\"helm-controller\",\"operation\":\"Apply\","
        "\"fieldsV1\":{\"f:data\":{\"f:d\":{}}}},"
        "{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"fieldsV1\":{\"f:data\":{\"f:e\":{}}}}"
        "]}}";
    ed_doc *d = NULL;
    assert_int_equal(ed_doc_parse_json(live_json, strlen(live_json), &d, NULL), 0);
    ed_buf patch = ED_BUF_INIT(1 << 20);
    const char *named[] = {"helm", NULL};
    assert_true(ed_apply_takeover_patch(ed_doc_root(d), "kustomize-controller", named, &patch));
    ed_doc *p = NULL;
    assert_int_equal(ed_doc_parse_json(patch.data, patch.len, &p, NULL), 0);
    const ed_node *list = ed_node_path(ed_node_at(ed_doc_root(p), 0), "/value");
    /* left: my-tool's Update, before-first-apply's Apply, then ours */
    assert_int_equal(ed_node_len(list), 3);
    assert_string_equal(ed_node_path_str(ed_node_at(list, 0), "/manager"), "my-tool");
    assert_string_equal(ed_node_path_str(ed_node_at(list, 1), "/manager"), "before-first-apply");
    const ed_node *own = ed_node_at(list, 2);
    assert_string_equal(ed_node_path_str(own, "/manager"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(own, "/operation"), "Apply");
    assert_string_equal(ed_node_path_str(own, "/time"), "T1");
    const char *fields[] = {"/fieldsV1/f:data/f:a", "/fieldsV1/f:data/f:b", "/fieldsV1/f:data/f:c",
                            "/fieldsV1/f:data/f:d", "/fieldsV1/f:data/f:e"};
    for (size_t i = 0; i < 5; i++)
        assert_non_null(ed_node_path(own, fields[i]));
    assert_null(ed_node_path(own, "/fieldsV1/f:data/f:m"));
    assert_null(ed_node_path(own, "/fieldsV1/f:data/f:n"));
    ed_doc_free(p);
    ed_buf_free(&patch);
    ed_doc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kstatus),           cmocka_unit_test(test_ids),
        cmocka_unit_test(test_opt_outs),          cmocka_unit_test(test_group_kinds),
        cmocka_unit_test(test_takeover_managers), cmocka_unit_test(test_takeover_prefixes),
    };
    return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}
