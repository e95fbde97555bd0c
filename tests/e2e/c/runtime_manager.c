/*
 * End-to-end test of the controller manager on Flux's Kustomization kind (the CRDs from
 * deploy/crds, installed by manager_test.sh): a new object is reconciled; the reconciler's own
 * status write does not trigger another reconcile; a spec change (new generation) and a
 * reconcile.fluxcd.io/requestedAt annotation do; a label change does not; the reconcile
 * metrics count it all. A controller's stop hook runs once the workers are done and before the
 * shared caches go, while watches of its own still deliver events (ASan tells a use after
 * free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"
#include "e2e.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *kube;
static char ns[64];
static atomic_int reconciles;

static int reconcile_ks(const char *key, int64_t *requeue_after_ms, void *user)
{
    (void)requeue_after_ms, (void)user;
    atomic_fetch_add(&reconciles, 1);
    const char *name = strchr(key, '/') + 1;
    ed_doc *obj = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, name, &obj, &err))
        return ED_ENOTFOUND == err.code ? 0 : err.code;
    int64_t gen = 0;
    ed_node_int(ed_node_path(ed_doc_root(obj), "/metadata/generation"), &gen);
    char status[128];
    snprintf(status, sizeof(status), "{\"status\":{\"observedGeneration\":%lld}}", (long long)gen);
    ed_kube_opts o = {.subresource = "status", .field_manager = "gotk-kustomize-controller"};
    int rc = ed_kube_patch(kube, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, name,
                           ED_KUBE_PATCH_MERGE, status, strlen(status), &o, NULL, &err);
    ed_doc_free(obj);
    return rc;
}

static void wait_reconciles(int want)
{
    for (int i = 0; i < 100 && atomic_load(&reconciles) < want; i++)
        usleep(50 * 1000);
    usleep(1500 * 1000); /* and nothing more comes */
    assert_int_equal(atomic_load(&reconciles), want);
}

static void patch_ks(const char *patch)
{
    ed_err err = ED_ERR_INIT;
    if (ed_kube_patch(kube, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, "a",
                      ED_KUBE_PATCH_MERGE, patch, strlen(patch), NULL, NULL, &err))
        fail_msg("patch: %s", err.msg);
}

static void test_manager(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_metrics *mx = ed_metrics_new();
    ed_manager_opts mo = {.ns = ns, .metrics = mx};
    ed_manager *m = ed_manager_new(kube, &mo);
    ed_controller_def def = {.name = "kustomization",
                             .api_version = "kustomize.toolkit.fluxcd.io/v1",
                             .kind = "Kustomization",
                             .workers = 2,
                             .reconcile = reconcile_ks,
                             .generation_changed_only = true};
    ed_manager_add(m, &def);
    assert_non_null(ed_manager_queue(m, "kustomization"));
    assert_int_equal(ed_manager_start(m, 10000, &err), 0);

    char text[512];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"kustomize.toolkit.fluxcd.io/v1\",\"kind\":\"Kustomization\","
             "\"metadata\":{\"name\":\"a\",\"namespace\":\"%s\"},\"spec\":{\"interval\":\"10m\","
             "\"prune\":true,\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}",
             ns);
    ed_doc *d = NULL;
    assert_int_equal(ed_doc_parse_json(text, strlen(text), &d, &err), 0);
    assert_int_equal(ed_kube_create(kube, ed_doc_root(d), NULL, NULL, &err), 0);
    ed_doc_free(d);
    wait_reconciles(1); /* created: once; its status write: no more */

    patch_ks("{\"spec\":{\"interval\":\"5m\"}}");
    wait_reconciles(2); /* new generation */
    patch_ks("{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"now\"}}}");
    wait_reconciles(3); /* asked for */
    patch_ks("{\"metadata\":{\"labels\":{\"team\":\"x\"}}}");
    wait_reconciles(3); /* neither: ignored */

    ed_buf out = ED_BUF_INIT(1 << 20);
    assert_int_equal(ed_metrics_render(mx, &out), 0);
    if (!strstr(out.data, "controller_runtime_reconcile_total{controller=\"kustomization\","
                          "result=\"success\"} 3\n"))
        fail_msg("metrics:\n%s", out.data);
    char want[256];
    snprintf(want, sizeof(want),
             "gotk_reconcile_duration_seconds_count{kind=\"Kustomization\",name=\"a\","
             "namespace=\"%s\"} 3\n",
             ns);
    assert_non_null(strstr(out.data, want));
    ed_buf_free(&out);
    assert_true(ed_manager_free(m, 5000));
    ed_metrics_free(mx);
}

/* ---- a controller with a watch of its own, ended by its stop hook ---- */

struct own_watch {
    ed_informer *shared; /* the manager's Kustomization cache */
    ed_queue *queue;     /* the manager's queue of the controller */
    ed_informer *own;    /* ConfigMaps of ns, started by the test (as a reconcile would) */
    atomic_int events, stops, shared_keys_at_stop;
    atomic_bool churn; /* the writer keeps changing the ConfigMap */
};

static int reconcile_nothing(const char *key, int64_t *requeue_after_ms, void *user)
{
    (void)key, (void)requeue_after_ms, (void)user;
    return 0;
}

/* What the Kustomization controller's configuration watch does: read the shared cache and
 * queue. */
static void on_own(ed_kube_event_type type, const ed_node *obj, void *user)
{
    (void)type, (void)obj;
    struct own_watch *w = user;
    size_t n = 0;
    char **keys = ed_informer_keys(w->shared, &n);
    for (size_t i = 0; i < n; i++) {
        ed_queue_add(w->queue, keys[i]);
        free(keys[i]);
    }
    free(keys);
    atomic_fetch_add(&w->events, 1);
}

static void own_stop(void *user)
{
    struct own_watch *w = user;
    atomic_fetch_add(&w->stops, 1);
    /* The shared cache is still there (under ASan a read after its free fails the test). */
    size_t n = 0;
    char **keys = ed_informer_keys(w->shared, &n);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    atomic_store(&w->shared_keys_at_stop, (int)n);
    ed_informer_free(w->own); /* stops it, and waits for its thread */
    w->own = NULL;
}

static void *churn(void *arg)
{
    struct own_watch *w = arg;
    for (int i = 0; atomic_load(&w->churn); i++) {
        char patch[128];
        snprintf(patch, sizeof(patch), "{\"data\":{\"n\":\"%d\"}}", i);
        ed_err err = ED_ERR_INIT;
        ed_kube_patch(kube, "v1", "ConfigMap", ns, "churn", ED_KUBE_PATCH_MERGE, patch,
                      strlen(patch), NULL, NULL, &err);
        usleep(5 * 1000);
    }
    return NULL;
}

static void test_stop_hook(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    char text[256];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"churn\","
             "\"namespace\":\"%s\"}}",
             ns);
    ed_doc *d = NULL;
    assert_int_equal(ed_doc_parse_json(text, strlen(text), &d, &err), 0);
    assert_int_equal(ed_kube_create(kube, ed_doc_root(d), NULL, NULL, &err), 0);
    ed_doc_free(d);

    struct own_watch w = {0};
    ed_manager_opts mo = {.ns = ns};
    ed_manager *m = ed_manager_new(kube, &mo);
    ed_controller_def def = {.name = "own",
                             .api_version = "kustomize.toolkit.fluxcd.io/v1",
                             .kind = "Kustomization",
                             .workers = 1,
                             .reconcile = reconcile_nothing,
                             .user = &w,
                             .stop = own_stop};
    ed_manager_add(m, &def);
    w.shared = ed_manager_informer(m, "kustomize.toolkit.fluxcd.io/v1", "Kustomization");
    w.queue = ed_manager_queue(m, "own");
    assert_int_equal(ed_manager_start(m, 10000, &err), 0);
    ed_informer_opts io = {.api_version = "v1", .kind = "ConfigMap", .ns = ns};
    w.own = ed_informer_new(kube, &io);
    ed_informer_add_handler(w.own, on_own, &w);
    assert_int_equal(ed_informer_start(w.own, &err), 0);
    assert_true(ed_informer_wait_synced(w.own, 10000));

    atomic_store(&w.churn, true);
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, churn, &w), 0);
    for (int i = 0; i < 200 && atomic_load(&w.events) < 5; i++)
        usleep(20 * 1000);
    assert_true(atomic_load(&w.events) >= 5); /* events flow while the manager shuts down */
    assert_true(ed_manager_free(m, 5000));
    atomic_store(&w.churn, false);
    pthread_join(writer, NULL);
    assert_int_equal(atomic_load(&w.stops), 1);
    assert_null(w.own);
    /* test_manager's Kustomization "a", seen through the shared cache at the stop. */
    assert_int_equal(atomic_load(&w.shared_keys_at_stop), 1);
}

static int setup(void **state)
{
    (void)state;
    kube = e2e_kube();
    return kube ? e2e_namespace(kube, "manager", ns, sizeof(ns)) : -1;
}

static int teardown(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_delete(kube, "v1", "Namespace", NULL, ns, NULL, &err);
    ed_kube_free(kube);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_manager),
                                       cmocka_unit_test(test_stop_hook)};
    return cmocka_run_group_tests_name("manager e2e", tests, setup, teardown);
}
