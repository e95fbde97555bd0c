/*
 * End-to-end tests of the apply engine (src/apply) against the real control plane: staged
 * apply of a set that creates its own Namespace and CRD, Flux's change set, no write when
 * nothing changed, drift reverted, a refused object stops the whole set before any write,
 * opt-outs, prune with owner labels, and health (ready, failed, timed out); the hook called
 * between validation and the first write, and the Kustomization controller's finalizer patch
 * in the background that it joins there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apply/apply.h"
#include "controllers/controllers.h"
#include "e2e.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *kube;
static char ns[64], group[64];

/* Parse a YAML stream with "NS" and "GROUP" replaced by the test's namespace and group. */
static ed_doc **objects(const char *tmpl, size_t *n)
{
    ed_buf text = ED_BUF_INIT(1 << 20);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "NS", 2) == 0) {
            ed_buf_append_str(&text, ns);
            p += 2;
        } else if (strncmp(p, "GROUP", 5) == 0) {
            ed_buf_append_str(&text, group);
            p += 5;
        } else {
            ed_buf_append(&text, p, 1);
            p++;
        }
    }
    ed_doc **docs = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(text.data, text.len, "set.yaml", &docs, n, &err))
        fail_msg("%s", err.msg);
    ed_buf_free(&text);
    return docs;
}

static ed_apply_result *apply(ed_doc **docs, size_t n, int want_rc, ed_err *err)
{
    ed_node **nodes = calloc(n, sizeof(*nodes));
    for (size_t i = 0; i < n; i++)
        nodes[i] = ed_doc_root(docs[i]);
    ed_apply_result *r = NULL;
    ed_apply_opts o = {.wait_timeout_ms = 30000};
    int rc = ed_apply_all(kube, nodes, n, &o, &r, err);
    free(nodes);
    if (rc != want_rc)
        fail_msg("apply returned %d (%s), want %d", rc, err->msg, want_rc);
    return r;
}

/* The change set as "Action Subject" lines joined by '\n'. */
static char *changes(const ed_apply_result *r)
{
    ed_buf b = ED_BUF_INIT(1 << 16);
    for (size_t i = 0; i < r->n; i++)
        ed_buf_printf(&b, "%s %s\n", ed_apply_action_name(r->entries[i].action),
                      r->entries[i].subject);
    return ed_buf_take(&b);
}

static void assert_changes(const ed_apply_result *r, const char *want_tmpl)
{
    size_t n = 0;
    (void)n;
    ed_buf want = ED_BUF_INIT(1 << 16);
    for (const char *p = want_tmpl; *p;) {
        if (strncmp(p, "NS", 2) == 0) {
            ed_buf_append_str(&want, ns);
            p += 2;
        } else if (strncmp(p, "GROUP", 5) == 0) {
            ed_buf_append_str(&want, group);
            p += 5;
        } else {
            ed_buf_append(&want, p, 1);
            p++;
        }
    }
    char *got = changes(r);
    if (strcmp(got, want.data) != 0)
        fail_msg("change set:\n%s\nwant:\n%s", got, want.data);
    free(got);
    ed_buf_free(&want);
}

#define OWNER                                                                                      \
    "labels: {kustomize.toolkit.fluxcd.io/name: apps, kustomize.toolkit.fluxcd.io/namespace: "     \
    "flux-system}"

static const char *base_set =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: NS, " OWNER "}\n"
    "spec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: nginx:1.27}]}\n"
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: NS, " OWNER "}\n"
    "data: {color: blue}\n"
    "---\napiVersion: GROUP/v1\nkind: Widget\nmetadata: {name: w, namespace: NS, " OWNER "}\n"
    "spec: {size: 3}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: NS, " OWNER "}\n"
    "spec: {selector: {app: web}, ports: [{port: 80}]}\n"
    "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    "metadata: {name: widgets.GROUP, " OWNER "}\n"
    "spec:\n  group: GROUP\n  scope: Namespaced\n"
    "  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n"
    "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
    "    schema:\n      openAPIV3Schema:\n        type: object\n"
    "        x-kubernetes-preserve-unknown-fields: true\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: NS, " OWNER "}\n";

static const char *rv_of(const char *kind, const char *name, ed_doc **keep)
{
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, "v1", kind, ns, name, keep, &err))
        fail_msg("get %s: %s", name, err.msg);
    return ed_node_path_str(ed_doc_root(*keep), "/metadata/resourceVersion");
}

static void free_docs(ed_doc **docs, size_t n)
{
    ed_doc_list_free(docs, n);
}

static void test_apply_lifecycle(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    size_t n;
    ed_doc **docs = objects(base_set, &n);

    /* First apply: the CRD and the Namespace come first, in one pass with their users. */
    ed_apply_result *r = apply(docs, n, 0, &err);
    char crd[160];
    snprintf(crd, sizeof(crd), "Created CustomResourceDefinition/widgets.%s\n", group);
    char want[2048];
    snprintf(want, sizeof(want),
             "%sCreated Namespace/NS\nCreated ConfigMap/NS/settings\nCreated Service/NS/web\n"
             "Created Deployment/NS/web\nCreated Widget/NS/w\n",
             crd);
    assert_changes(r, want);
    char *id = ed_apply_id(ed_doc_root(docs[0]));
    char want_id[128];
    snprintf(want_id, sizeof(want_id), "%s_web_apps_Deployment", ns);
    assert_string_equal(id, want_id);
    free(id);

    /* Health: the Deployment becomes available on the simulated node. */
    assert_int_equal(ed_apply_wait_healthy(kube, r, 60000, 500, true, &err), 0);
    ed_apply_result_free(r);

    /* Nothing changed: nothing written, resourceVersions stay. */
    ed_doc *before = NULL, *after = NULL;
    char *rv = strdup(rv_of("ConfigMap", "settings", &before));
    r = apply(docs, n, 0, &err);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(r->entries[i].action, ED_APPLY_UNCHANGED);
    assert_string_equal(rv_of("ConfigMap", "settings", &after), rv);
    free(rv);
    ed_doc_free(before);
    ed_doc_free(after);
    ed_apply_result_free(r);

    /* Drift by hand (another field manager): reverted, and only that object written. */
    const char *scale = "{\"spec\":{\"replicas\":5}}";
    ed_kube_opts human = {.field_manager = "kubectl-edit"};
    assert_int_equal(ed_kube_patch(kube, "apps/v1", "Deployment", ns, "web", ED_KUBE_PATCH_MERGE,
                                   scale, strlen(scale), &human, NULL, &err),
                     0);
    r = apply(docs, n, 0, &err);
    snprintf(want, sizeof(want),
             "Unchanged CustomResourceDefinition/widgets.%s\nUnchanged Namespace/NS\n"
             "Unchanged ConfigMap/NS/settings\nUnchanged Service/NS/web\n"
             "Configured Deployment/NS/web\nUnchanged Widget/NS/w\n",
             group);
    assert_changes(r, want);
    ed_doc *dep = NULL;
    assert_int_equal(ed_kube_get(kube, "apps/v1", "Deployment", ns, "web", &dep, &err), 0);
    int64_t replicas = 0;
    assert_true(ed_node_int(ed_node_path(ed_doc_root(dep), "/spec/replicas"), &replicas));
    assert_int_equal(replicas, 2);
    ed_doc_free(dep);
    ed_apply_result *inventory = r;

    /* A refused object stops the whole set: the new ConfigMap is not created either. */
    size_t nb;
    ed_doc **bad =
        objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: newer, namespace: NS}\n---\n"
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken, namespace: NS}\n"
                "spec:\n  replicas: -1\n  selector: {matchLabels: {app: b}}\n"
                "  template:\n    metadata: {labels: {app: b}}\n"
                "    spec: {containers: [{name: b, image: b}]}\n",
                &nb);
    r = apply(bad, nb, ED_EINVALID, &err);
    assert_null(r);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "Deployment/%s/broken dry-run failed (Invalid): ", ns);
    if (!ed_str_has_prefix(err.msg, prefix) || !strstr(err.msg, "spec.replicas"))
        fail_msg("message: %s", err.msg);
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", ns, "newer", NULL, &err), ED_ENOTFOUND);
    free_docs(bad, nb);

    /* A refused Secret: Flux's words, none of the API's (they could quote its data). */
    bad = objects("apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: NS}\n"
                  "data: {token: \"s3cr3t-n0t-base64!\"}\n",
                  &nb);
    /* (The API server answers 500 to data that is not base64: whatever the code, it fails.) */
    ed_node *secret = ed_doc_root(bad[0]);
    ed_apply_opts so = {.wait_timeout_ms = 30000};
    assert_int_not_equal(ed_apply_all(kube, &secret, 1, &so, &r, &err), 0);
    assert_null(r);
    snprintf(prefix, sizeof(prefix), "Secret/%s/creds ", ns);
    if (!ed_str_has_prefix(err.msg, prefix) ||
        !strstr(err.msg, ", error: data values must be of type string") ||
        strstr(err.msg, "s3cr3t"))
        fail_msg("message: %s", err.msg);
    free_docs(bad, nb);

    /* An object in a namespace that does not exist (nor is in the set). */
    bad = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lost, namespace: "
                  "no-such-namespace-here}\n",
                  &nb);
    r = apply(bad, nb, ED_ENOTFOUND, &err);
    assert_null(r);
    if (!ed_str_has_prefix(err.msg, "ConfigMap/no-such-namespace-here/lost not found: "
                                    "namespaces \"no-such-namespace-here\" not found"))
        fail_msg("message: %s", err.msg);
    free_docs(bad, nb);

    /* A namespaced object that names no namespace (and no targetNamespace gives one). */
    bad = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nowhere}\n", &nb);
    r = apply(bad, nb, ED_ENOTFOUND, &err);
    assert_null(r);
    assert_string_equal(err.msg, "ConfigMap/nowhere namespace not specified: the server could "
                                 "not find the requested resource");
    free_docs(bad, nb);

    /* Prune: the Service and the ConfigMap leave the set; the ConfigMap opts out (in any
     * case, as Flux reads it: "Disabled" keeps it too). */
    const char *optout = "{\"metadata\":{\"annotations\":{\"kustomize.toolkit.fluxcd.io/prune\":"
                         "\"Disabled\"}}}";
    assert_int_equal(ed_kube_patch(kube, "v1", "ConfigMap", ns, "settings", ED_KUBE_PATCH_MERGE,
                                   optout, strlen(optout), NULL, NULL, &err),
                     0);
    size_t ns2;
    ed_doc **smaller = objects(base_set, &ns2);
    /* Keep Deployment, Widget, CRD, Namespace: drop entries 1 (ConfigMap) and 3 (Service). */
    ed_doc *keep[4] = {smaller[0], smaller[2], smaller[4], smaller[5]};
    ed_apply_result *cur = apply(keep, 4, 0, &err);
    ed_apply_result *pruned = NULL;
    assert_int_equal(ed_apply_prune(kube, inventory->entries, inventory->n, cur, "apps",
                                    "flux-system", &pruned, &err),
                     0);
    assert_changes(pruned, "Deleted Service/NS/web\nSkipped ConfigMap/NS/settings\n");
    assert_int_equal(ed_kube_get(kube, "v1", "Service", ns, "web", NULL, &err), ED_ENOTFOUND);
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", ns, "settings", NULL, &err), 0);
    /* Pruning again finds nothing more to do. */
    ed_apply_result_free(pruned);
    assert_int_equal(ed_apply_prune(kube, inventory->entries, inventory->n, cur, "apps",
                                    "flux-system", &pruned, &err),
                     0);
    /* already gone counts as deleted */
    assert_changes(pruned, "Deleted Service/NS/web\nSkipped ConfigMap/NS/settings\n");
    ed_apply_result_free(pruned);
    ed_apply_result_free(cur);
    ed_apply_result_free(inventory);
    free_docs(smaller, ns2);
    free_docs(docs, n);
}

static void test_opt_out_and_health_failures(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    size_t n;
    ed_doc **docs =
        objects("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hands-off\n  namespace: NS\n"
                "  annotations: {kustomize.toolkit.fluxcd.io/reconcile: disabled}\n---\n"
                "apiVersion: batch/v1\nkind: Job\nmetadata: {name: fails, namespace: NS}\n"
                "spec:\n  backoffLimit: 0\n  template:\n"
                "    metadata: {annotations: {fakenode.eddy.dev/state: fail}}\n"
                "    spec: {restartPolicy: Never, containers: [{name: j, image: j}]}\n",
                &n);
    ed_apply_result *r = apply(docs, n, 0, &err);
    assert_changes(r, "Skipped ConfigMap/NS/hands-off\nCreated Job/NS/fails\n");
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", ns, "hands-off", NULL, &err),
                     ED_ENOTFOUND);
    /* The failing Job fails the health check at once, not at the timeout. */
    int64_t t0 = ed_time_mono_ms();
    assert_int_equal(ed_apply_wait_healthy(kube, r, 60000, 500, true, &err), ED_ERROR);
    assert_true(ed_time_mono_ms() - t0 < 30000);
    char want[256];
    snprintf(want, sizeof(want),
             "failed early due to stalled resources: [Job/%s/fails status: 'Failed']", ns);
    if (!ed_str_has_prefix(err.msg, want))
        fail_msg("message: %s", err.msg);
    ed_apply_result_free(r);
    ed_doc_list_free(docs, n);

    /* A Deployment that never becomes ready: the timeout names it. */
    docs = objects("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck, namespace: NS}\n"
                   "spec:\n  selector: {matchLabels: {app: s}}\n  template:\n"
                   "    metadata: {labels: {app: s}, annotations: {fakenode.eddy.dev/state: "
                   "not-ready}}\n    spec: {containers: [{name: s, image: s}]}\n",
                   &n);
    r = apply(docs, n, 0, &err);
    assert_int_equal(ed_apply_wait_healthy(kube, r, 3000, 500, true, &err), ED_ETIMEOUT);
    snprintf(want, sizeof(want), "timeout waiting for: [Deployment/%s/stuck status: 'InProgress']",
             ns);
    assert_string_equal(err.msg, want);
    ed_apply_result_free(r);
    ed_doc_list_free(docs, n);
}

/* Run kubectl with stdin text (the test's KUBECONFIG); fails the test when it fails. */
static void kubectl(const char *args, const char *text)
{
    char *cmd = ed_xasprintf("kubectl %s >/dev/null", args);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    fputs(text, p);
    if (pclose(p) != 0)
        fail_msg("%s failed", cmd);
    free(cmd);
}

/* What kubectl set (with a client-side `kubectl apply`, and a `kubectl edit`-like update) is
 * taken over: fields that left Git are removed, kubectl's annotation goes, and no kubectl
 * manager is left. With ssa: Merge, the other managers' fields stay. */
static void test_kubectl_takeover(void **state)
{
    (void)state;
    char *nsk = ed_xasprintf("%s-k", ns);
    char *text = ed_xasprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
                              "apiVersion: v1\nkind: ConfigMap\n"
                              "metadata: {name: hand, namespace: %s}\n"
                              "data: {color: blue, extra: from-kubectl}\n---\n"
                              "apiVersion: v1\nkind: ConfigMap\n"
                              "metadata: {name: merged, namespace: %s}\n"
                              "data: {color: blue, extra: from-kubectl}\n",
                              nsk, nsk, nsk);
    kubectl("apply -f -", text);
    free(text);
    char *set = ed_xasprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hand, "
                             "namespace: %s, " OWNER "}\ndata: {color: green}\n---\n"
                             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: merged, "
                             "namespace: %s, annotations: {kustomize.toolkit.fluxcd.io/ssa: "
                             "Merge}, " OWNER "}\ndata: {color: green}\n",
                             nsk, nsk);
    size_t n = 0;
    ed_doc **docs = objects(set, &n);
    free(set);
    ed_err err = ED_ERR_INIT;
    ed_apply_result *r = apply(docs, n, 0, &err);
    ed_apply_result_free(r);

    ed_doc *hand = NULL, *merged = NULL;
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", nsk, "hand", &hand, &err), 0);
    const ed_node *h = ed_doc_root(hand);
    assert_string_equal(ed_node_path_str(h, "/data/color"), "green");
    assert_null(ed_node_path(h, "/data/extra"));
    assert_null(
        ed_node_path(h, "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"));
    const ed_node *mf = ed_node_path(h, "/metadata/managedFields");
    for (size_t i = 0; i < ed_node_len(mf); i++)
        assert_string_equal(ed_node_path_str(ed_node_at(mf, i), "/manager"),
                            "kustomize-controller");
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", nsk, "merged", &merged, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(merged), "/data/color"), "green");
    assert_string_equal(ed_node_path_str(ed_doc_root(merged), "/data/extra"), "from-kubectl");

    /* A second apply has nothing to take over and nothing to write. */
    r = apply(docs, n, 0, &err);
    assert_changes(r, "Unchanged ConfigMap/NS-k/hand\nUnchanged ConfigMap/NS-k/merged\n");
    ed_apply_result_free(r);
    ed_doc_free(hand);
    ed_doc_free(merged);
    free_docs(docs, n);
    ed_kube_delete(kube, "v1", "Namespace", NULL, nsk, NULL, &err);
    free(nsk);
}

/* The marks Flux v1 left on what it applied (checksum annotations, the sync-gc-mark label)
 * go on the first apply, as Flux's apply cleanup removes them; labels Git sets stay. */
static void test_flux_v1_marks(void **state)
{
    (void)state;
    char *nsv = ed_xasprintf("%s-v1", ns);
    char *text = ed_xasprintf(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n  namespace: %s\n"
        "  annotations: {kustomize.toolkit.fluxcd.io/checksum: 0a1b2c, fluxcd.io/sync-checksum: "
        "3d4e5f, keep.example.com/a: x}\n"
        "  labels: {fluxcd.io/sync-gc-mark: sha256.abc, app: legacy}\n"
        "data: {color: green}\n",
        nsv, nsv);
    /* Written by a manager that is not taken over: only the marks make the apply act. */
    kubectl("create --field-manager=fluxd -f -", text);
    free(text);
    char *set = ed_xasprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: legacy, "
                             "namespace: %s, labels: {app: legacy, "
                             "kustomize.toolkit.fluxcd.io/name: apps, "
                             "kustomize.toolkit.fluxcd.io/namespace: flux-system}}\n"
                             "data: {color: green}\n",
                             nsv);
    size_t n = 0;
    ed_doc **docs = objects(set, &n);
    free(set);
    ed_err err = ED_ERR_INIT;
    ed_apply_result *r = apply(docs, n, 0, &err);
    assert_changes(r, "Configured ConfigMap/NS-v1/legacy\n");
    ed_apply_result_free(r);
    ed_doc *live = NULL;
    assert_int_equal(ed_kube_get(kube, "v1", "ConfigMap", nsv, "legacy", &live, &err), 0);
    const ed_node *l = ed_doc_root(live);
    assert_null(ed_node_path(l, "/metadata/annotations/kustomize.toolkit.fluxcd.io~1checksum"));
    assert_null(ed_node_path(l, "/metadata/annotations/fluxcd.io~1sync-checksum"));
    assert_null(ed_node_path(l, "/metadata/labels/fluxcd.io~1sync-gc-mark"));
    assert_string_equal(ed_node_path_str(l, "/metadata/annotations/keep.example.com~1a"), "x");
    assert_string_equal(ed_node_path_str(l, "/metadata/labels/app"), "legacy");
    ed_doc_free(live);
    r = apply(docs, n, 0, &err);
    assert_changes(r, "Unchanged ConfigMap/NS-v1/legacy\n");
    ed_apply_result_free(r);
    free_docs(docs, n);
    ed_kube_delete(kube, "v1", "Namespace", NULL, nsv, NULL, &err);
    free(nsv);
}

struct hook {
    int calls;
    int rc;         /* what the hook returns */
    int configmaps; /* ConfigMaps of the set that existed when it was called */
};

static int count_configmap(const char *name)
{
    ed_err err = ED_ERR_INIT;
    return ed_kube_get(kube, "v1", "ConfigMap", ns, name, NULL, &err) == 0;
}

static int hook_fn(void *user, ed_err *err)
{
    struct hook *h = user;
    h->calls++;
    h->configmaps = count_configmap("hook-a") + count_configmap("hook-b");
    return h->rc ? ed_err_set(err, h->rc, "held by the hook") : 0;
}

/* ed_apply_opts.before_writes: called once, after every dry-run and before any write; its
 * failure stops the set with nothing written; not called when validation fails. */
static void test_before_writes(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    const char *set = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hook-a, namespace: NS}\n"
                      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: hook-b, namespace: "
                      "NS}\n";
    size_t n;
    ed_doc **docs = objects(set, &n);
    ed_node *nodes[2] = {ed_doc_root(docs[0]), ed_doc_root(docs[1])};
    ed_apply_result *r = NULL;

    struct hook h = {.rc = ED_ECONFLICT};
    ed_apply_opts o = {.before_writes = hook_fn, .before_writes_user = &h};
    assert_int_equal(ed_apply_all(kube, nodes, 2, &o, &r, &err), ED_ECONFLICT);
    assert_null(r);
    assert_string_equal(err.msg, "held by the hook");
    assert_int_equal(h.calls, 1);
    assert_int_equal(count_configmap("hook-a") + count_configmap("hook-b"), 0);

    h = (struct hook){0};
    ed_err_clear(&err);
    assert_int_equal(ed_apply_all(kube, nodes, 2, &o, &r, &err), 0);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.configmaps, 0); /* called before the first write */
    assert_int_equal(count_configmap("hook-a") + count_configmap("hook-b"), 2);
    ed_apply_result_free(r);
    free_docs(docs, n);

    /* A refused object: validation stops the set before the hook. */
    docs = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hook-c, namespace: NS}\n"
                   "data: {k: [not, a, string]}\n",
                   &n);
    nodes[0] = ed_doc_root(docs[0]);
    h = (struct hook){0};
    r = NULL;
    assert_int_not_equal(ed_apply_all(kube, nodes, 1, &o, &r, &err), 0);
    assert_int_equal(h.calls, 0);
    free_docs(docs, n);
}

struct writes {
    pthread_mutex_t lock;
    int n;
    char names[8][64], rvs[8][32];
    bool own_entry[8]; /* the reply had the field manager's Apply entry */
};

static void written_fn(const ed_node *obj, void *user)
{
    struct writes *w = user;
    const ed_node *mf = ed_node_path(obj, "/metadata/managedFields");
    bool own = false;
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        const char *m = ed_node_path_str(ed_node_at(mf, i), "/manager");
        const char *op = ed_node_path_str(ed_node_at(mf, i), "/operation");
        own =
            own || (m && op && strcmp(m, "kustomize-controller") == 0 && strcmp(op, "Apply") == 0);
    }
    pthread_mutex_lock(&w->lock);
    if (w->n < 8) {
        snprintf(w->names[w->n], 64, "%s", ed_node_path_str(obj, "/metadata/name"));
        snprintf(w->rvs[w->n], 32, "%s", ed_node_path_str(obj, "/metadata/resourceVersion"));
        w->own_entry[w->n] = own;
    }
    w->n++;
    pthread_mutex_unlock(&w->lock);
}

/* ed_apply_opts.written: told each object written, with the API's reply (its resourceVersion
 * is the live one, its managedFields hold the apply's entry); not told unchanged objects. */
static void test_written(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    size_t n;
    ed_doc **docs =
        objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wr-a, namespace: NS}\n"
                "data: {k: a}\n---\napiVersion: v1\nkind: ConfigMap\n"
                "metadata: {name: wr-b, namespace: NS}\ndata: {k: b}\n",
                &n);
    ed_node *nodes[2] = {ed_doc_root(docs[0]), ed_doc_root(docs[1])};
    struct writes w = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ed_apply_opts o = {.written = written_fn, .written_user = &w};
    ed_apply_result *r = NULL;
    assert_int_equal(ed_apply_all(kube, nodes, 2, &o, &r, &err), 0);
    ed_apply_result_free(r);
    assert_int_equal(w.n, 2);
    for (int i = 0; i < 2; i++) {
        ed_doc *live = NULL;
        assert_string_equal(rv_of("ConfigMap", w.names[i], &live), w.rvs[i]);
        ed_doc_free(live);
        assert_true(w.own_entry[i]);
    }
    /* the same set again: nothing written, nothing told */
    w.n = 0;
    assert_int_equal(ed_apply_all(kube, nodes, 2, &o, &r, &err), 0);
    ed_apply_result_free(r);
    assert_int_equal(w.n, 0);
    /* one of them changed: only that one */
    ed_node_set(docs[1], ed_node_get(nodes[1], "data"), "k", ed_node_new_str(docs[1], "b2"));
    assert_int_equal(ed_apply_all(kube, nodes, 2, &o, &r, &err), 0);
    ed_apply_result_free(r);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.names[0], "wr-b");
    ed_doc *live = NULL;
    assert_string_equal(rv_of("ConfigMap", "wr-b", &live), w.rvs[0]);
    ed_doc_free(live);
    free_docs(docs, n);
}

/* The finalizer's patch in the background (ed_ctrl_finalizer_add_start), on a custom resource
 * (the API refuses an unqualified finalizer name on built-in kinds): joined, it is on the
 * object; a second patch from the same (now stale) read fails on its resourceVersion, and the
 * join says so, every time it is asked. */
static void test_finalizer_job(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    char av[96];
    snprintf(av, sizeof(av), "%s/v1", group);
    size_t n;
    ed_doc **docs =
        objects("apiVersion: GROUP/v1\nkind: Widget\nmetadata: {name: fin, namespace: NS}\n", &n);
    ed_doc *live = NULL;
    if (ed_kube_create(kube, ed_doc_root(docs[0]), NULL, &live, &err))
        fail_msg("create: %s", err.msg);
    ed_node *obj = ed_doc_root(live);
    assert_false(ed_ctrl_has_finalizer(obj));

    ed_ctrl_finalizer_job *job = ed_ctrl_finalizer_add_start(kube, av, "Widget", obj);
    if (ed_ctrl_finalizer_join(job, &err))
        fail_msg("join: %s", err.msg);
    ed_ctrl_finalizer_job_free(job);
    ed_doc *now = NULL;
    assert_int_equal(ed_kube_get(kube, av, "Widget", ns, "fin", &now, &err), 0);
    assert_true(ed_ctrl_has_finalizer(ed_doc_root(now)));

    job = ed_ctrl_finalizer_add_start(kube, av, "Widget", obj); /* a stale read */
    assert_int_equal(ed_ctrl_finalizer_join(job, &err), ED_ECONFLICT);
    if (!ed_str_has_prefix(err.msg, "adding the finalizer finalizers.fluxcd.io: "))
        fail_msg("message: %s", err.msg);
    assert_int_equal(ed_ctrl_finalizer_join(job, NULL), ED_ECONFLICT);
    ed_ctrl_finalizer_job_free(job);
    ed_ctrl_finalizer_job_free(NULL);
    assert_int_equal(ed_ctrl_finalizer_join(NULL, &err), 0);

    /* Let the namespace go. */
    if (ed_ctrl_set_finalizer(kube, av, "Widget", ed_doc_root(now), false, &err))
        fail_msg("removing the finalizer: %s", err.msg);
    ed_doc_free(now);
    ed_doc_free(live);
    free_docs(docs, n);
}

/* A cluster-scoped object written with a namespace (a ClusterRole; a custom kind whose CRD
 * says scope: Cluster, which kustomize's namespace transformer gives one) is named as the API
 * server returns it, without: its id and subject have none. An inventory id that named one
 * (written before) is the same object, not stale: the prune leaves it. */
static void test_cluster_scoped_namespace(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    size_t n;
    ed_doc **docs =
        objects("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                "metadata: {name: gadgets.GROUP}\n"
                "spec:\n  group: GROUP\n  scope: Cluster\n"
                "  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}\n"
                "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
                "    schema:\n      openAPIV3Schema:\n        type: object\n"
                "        x-kubernetes-preserve-unknown-fields: true\n"
                "---\napiVersion: GROUP/v1\nkind: Gadget\nmetadata: {name: g, namespace: NS}\n"
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                "metadata: {name: NS-reader, namespace: NS, " OWNER "}\nrules: []\n",
                &n);
    ed_apply_result *r = apply(docs, n, 0, &err);
    assert_changes(r,
                   "Created CustomResourceDefinition/gadgets.GROUP\nCreated ClusterRole/NS-reader\n"
                   "Created Gadget/g\n");
    char want[256];
    snprintf(want, sizeof(want), "_%s-reader_rbac.authorization.k8s.io_ClusterRole", ns);
    assert_string_equal(r->entries[1].id, want);
    snprintf(want, sizeof(want), "_g_%s_Gadget", group);
    assert_string_equal(r->entries[2].id, want);
    ed_apply_result_free(r);
    ed_doc_list_free(docs, n);

    docs = objects("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                   "metadata: {name: NS-reader, namespace: NS, " OWNER "}\nrules: []\n",
                   &n);
    r = apply(docs, n, 0, &err);
    assert_changes(r, "Unchanged ClusterRole/NS-reader\n");
    char old_id[256];
    snprintf(old_id, sizeof(old_id), "%s_%s-reader_rbac.authorization.k8s.io_ClusterRole", ns, ns);
    ed_apply_entry old = {.id = old_id, .version = "v1", .subject = old_id};
    ed_apply_result *pruned = NULL;
    assert_int_equal(ed_apply_prune(kube, &old, 1, r, "apps", "flux-system", &pruned, &err), 0);
    if (pruned->n)
        fail_msg("pruned %s (%s)", pruned->entries[0].subject,
                 ed_apply_action_name(pruned->entries[0].action));
    snprintf(want, sizeof(want), "%s-reader", ns);
    assert_int_equal(
        ed_kube_get(kube, "rbac.authorization.k8s.io/v1", "ClusterRole", NULL, want, NULL, &err),
        0);
    ed_apply_result_free(pruned);
    ed_apply_result_free(r);
    ed_doc_list_free(docs, n);
}

static int setup(void **state)
{
    (void)state;
    if (!(kube = e2e_kube()))
        return -1;
    snprintf(ns, sizeof(ns), "apply-%d", (int)getpid());
    snprintf(group, sizeof(group), "apply%d.example.com", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    char crd[128];
    snprintf(crd, sizeof(crd), "widgets.%s", group);
    ed_kube_delete(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, crd, NULL,
                   &err);
    snprintf(crd, sizeof(crd), "gadgets.%s", group);
    ed_kube_delete(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, crd, NULL,
                   &err);
    snprintf(crd, sizeof(crd), "%s-reader", ns);
    ed_kube_delete(kube, "rbac.authorization.k8s.io/v1", "ClusterRole", NULL, crd, NULL, &err);
    ed_kube_delete(kube, "v1", "Namespace", NULL, ns, NULL, &err);
    ed_kube_free(kube);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_lifecycle),  cmocka_unit_test(test_opt_out_and_health_failures),
        cmocka_unit_test(test_kubectl_takeover), cmocka_unit_test(test_flux_v1_marks),
        cmocka_unit_test(test_before_writes),    cmocka_unit_test(test_written),
        cmocka_unit_test(test_finalizer_job),    cmocka_unit_test(test_cluster_scoped_namespace),
    };
    return cmocka_run_group_tests_name("apply e2e", tests, setup, teardown);
}
