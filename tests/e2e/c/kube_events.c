/*
 * End-to-end tests of Kubernetes Events (src/kube/event.c) against the real control plane the
 * e2e runner starts ($KUBECONFIG: admin). Each Event is read back from the API server, through
 * events.k8s.io/v1 and through the core v1 view of the same object: the fields Flux's
 * `flux events` and `kubectl describe` show, aggregation of repeats into one Event's series
 * (also from several threads at once), a different reason making a second Event, notes cut at
 * 1024 bytes on a UTF-8 boundary, cluster-scoped objects (Events in "default"), incomplete
 * events refused, and the core v1 fallback for servers without events.k8s.io/v1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/client_int.h" /* the fallback test forces the core API */
#include "kube/kube.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *admin;
static char ns[64];
static ed_doc *target; /* the ConfigMap the events are about, as the server returned it */

static ed_doc *yaml(const char *text)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(text, strlen(text), "test", &docs, &n, &err) != 0 || n != 1)
        fail_msg("bad test YAML: %s", err.msg);
    ed_doc *d = docs[0];
    free(docs);
    return d;
}

static ed_kube *new_admin(void)
{
    const char *kc = getenv("KUBECONFIG");
    ed_kube_load_opts opts = {.kubeconfig = kc};
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    if (!kc || ed_kube_config_load(&opts, &cfg, &err) != 0)
        fail_msg("loading $KUBECONFIG: %s", err.msg);
    ed_kube *k = NULL;
    if (ed_kube_new(cfg, &k, &err) != 0)
        fail_msg("client: %s", err.msg);
    ed_kube_config_free(cfg);
    return k;
}

static int setup(void **state)
{
    (void)state;
    admin = new_admin();
    snprintf(ns, sizeof(ns), "kube-events-%d", (int)getpid());
    char text[256];
    snprintf(text, sizeof(text), "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", ns);
    ed_doc *d = yaml(text);
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_create(admin, ed_doc_root(d), NULL, NULL, &err);
    ed_doc_free(d);
    if (rc == 0) {
        snprintf(text, sizeof(text),
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: target, namespace: %s}\n"
                 "data: {a: \"1\"}\n",
                 ns);
        d = yaml(text);
        rc = ed_kube_create(admin, ed_doc_root(d), NULL, &target, &err);
        ed_doc_free(d);
    }
    if (rc) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_delete(admin, "v1", "Namespace", NULL, ns, NULL, &err);
    ed_doc_free(target);
    ed_kube_free(admin);
    return 0;
}

/* The Events of one API about an object, filtered by a field selector ("regarding.name=x" and
 * more). A new document (a list). */
static ed_doc *list_events(const char *api_version, const char *in_ns, const char *selector)
{
    ed_kube_opts o = {.field_selector = selector};
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_list(admin, api_version, "Event", in_ns, &o, &list, &err) != 0)
        fail_msg("listing events (%s): %s", selector, err.msg);
    return list;
}

static ed_node *items(ed_doc *list)
{
    return ed_node_get(ed_doc_root(list), "items");
}

static int64_t int_at(const ed_node *n, const char *path)
{
    int64_t v = -1;
    if (!ed_node_int(ed_node_path(n, path), &v))
        return -1;
    return v;
}

static ed_kube_event flux_event(const char *reason, const char *note)
{
    static const char *const annotations[] = {"kustomize.toolkit.fluxcd.io/revision",
                                              "main@sha1:0123456789abcdef", NULL};
    ed_kube_event ev = ED_KUBE_EVENT_INIT;
    ev.regarding = ed_doc_root(target);
    ev.type = ED_KUBE_EVENT_NORMAL;
    ev.reason = reason;
    ev.note = note;
    ev.action = "Reconcile";
    ev.reporting_controller = "kustomize-controller";
    ev.reporting_instance = "kustomize-controller-6f8d9c-x2x4z";
    ev.annotations = annotations;
    return ev;
}

static void record(const ed_kube_event *ev)
{
    ed_err err = ED_ERR_INIT;
    if (ed_kube_event_record(admin, ev, &err) != 0)
        fail_msg("recording: %s", err.msg);
}

static void test_record_and_read_back(void **state)
{
    (void)state;
    ed_kube_event ev = flux_event("ReconciliationSucceeded", "Applied revision: main@sha1:0123");
    record(&ev);

    ed_doc *list = list_events("events.k8s.io/v1", ns, "regarding.name=target");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    const ed_node *cm = ed_doc_root(target);
    assert_string_equal(ed_node_path_str(e, "/regarding/kind"), "ConfigMap");
    assert_string_equal(ed_node_path_str(e, "/regarding/apiVersion"), "v1");
    assert_string_equal(ed_node_path_str(e, "/regarding/namespace"), ns);
    assert_string_equal(ed_node_path_str(e, "/regarding/uid"),
                        ed_node_path_str(cm, "/metadata/uid"));
    assert_string_equal(ed_node_path_str(e, "/regarding/resourceVersion"),
                        ed_node_path_str(cm, "/metadata/resourceVersion"));
    assert_string_equal(ed_node_path_str(e, "/type"), "Normal");
    assert_string_equal(ed_node_path_str(e, "/reason"), "ReconciliationSucceeded");
    assert_string_equal(ed_node_path_str(e, "/note"), "Applied revision: main@sha1:0123");
    assert_string_equal(ed_node_path_str(e, "/action"), "Reconcile");
    assert_string_equal(ed_node_path_str(e, "/reportingController"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(e, "/reportingInstance"),
                        "kustomize-controller-6f8d9c-x2x4z");
    assert_string_equal(
        ed_node_path_str(e, "/metadata/annotations/kustomize.toolkit.fluxcd.io~1revision"),
        "main@sha1:0123456789abcdef");
    assert_null(ed_node_get(e, "series"));
    /* eventTime is a MicroTime: "2026-01-02T03:04:05.123456Z". */
    const char *t = ed_node_path_str(e, "/eventTime");
    assert_non_null(t);
    assert_int_equal(strlen(t), 27);
    assert_int_equal(t[19], '.');
    assert_int_equal(t[26], 'Z');
    /* client-go's name: "<object>.<hex nanoseconds>". */
    const char *name = ed_node_path_str(e, "/metadata/name");
    assert_true(ed_str_has_prefix(name, "target."));
    assert_true(strlen(name) > strlen("target.") + 8);
    assert_int_equal(strspn(name + 7, "0123456789abcdef"), strlen(name + 7));

    /* The same Event through the core API. */
    ed_doc *core = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(core)), 1);
    ed_node *c = ed_node_at(items(core), 0);
    assert_string_equal(ed_node_path_str(c, "/metadata/name"), name);
    assert_string_equal(ed_node_path_str(c, "/involvedObject/uid"),
                        ed_node_path_str(cm, "/metadata/uid"));
    assert_string_equal(ed_node_path_str(c, "/message"), "Applied revision: main@sha1:0123");
    assert_string_equal(ed_node_path_str(c, "/reason"), "ReconciliationSucceeded");
    assert_string_equal(ed_node_path_str(c, "/reportingComponent"), "kustomize-controller");
    ed_doc_free(core);
    ed_doc_free(list);
}

static void test_repeats_aggregate(void **state)
{
    (void)state;
    /* The event of the previous test, three more times: still one Event, with a series. */
    ed_kube_event ev = flux_event("ReconciliationSucceeded", "Applied revision: main@sha1:0123");
    ed_doc *before = list_events("events.k8s.io/v1", ns, "regarding.name=target");
    assert_int_equal(ed_node_len(items(before)), 1);
    for (int i = 0; i < 3; i++)
        record(&ev);
    ed_doc *list = list_events("events.k8s.io/v1", ns, "regarding.name=target");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    assert_string_equal(ed_node_path_str(e, "/metadata/name"),
                        ed_node_path_str(ed_node_at(items(before), 0), "/metadata/name"));
    assert_int_equal(int_at(e, "/series/count"), 4);
    const char *last = ed_node_path_str(e, "/series/lastObservedTime");
    assert_non_null(last);
    assert_true(strcmp(last, ed_node_path_str(e, "/eventTime")) > 0);
    /* The core view shows the series too. */
    ed_doc *core = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(core)), 1);
    assert_int_equal(int_at(ed_node_at(items(core), 0), "/series/count"), 4);
    ed_doc_free(core);

    /* Another reason is another Event. */
    ed_kube_event failed = flux_event("ReconciliationFailed", "Applied revision: main@sha1:0123");
    failed.type = ED_KUBE_EVENT_WARNING;
    record(&failed);
    ed_doc *two = list_events("events.k8s.io/v1", ns, "regarding.name=target");
    assert_int_equal(ed_node_len(items(two)), 2);
    ed_doc *warn =
        list_events("events.k8s.io/v1", ns, "regarding.name=target,reason=ReconciliationFailed");
    assert_int_equal(ed_node_len(items(warn)), 1);
    assert_string_equal(ed_node_path_str(ed_node_at(items(warn), 0), "/type"), "Warning");
    assert_null(ed_node_path(ed_node_at(items(warn), 0), "/series"));
    ed_doc_free(warn);
    ed_doc_free(two);
    ed_doc_free(list);
    ed_doc_free(before);
}

/* The note of the Event with this reason about the target. */
static char *note_of(const char *reason)
{
    char sel[256];
    snprintf(sel, sizeof(sel), "regarding.name=target,reason=%s", reason);
    ed_doc *list = list_events("events.k8s.io/v1", ns, sel);
    assert_int_equal(ed_node_len(items(list)), 1);
    char *note = ed_xstrdup(ed_node_path_str(ed_node_at(items(list), 0), "/note"));
    ed_doc_free(list);
    return note;
}

static void test_long_note_truncated(void **state)
{
    (void)state;
    /* 1022 bytes, then "é" (2 bytes, ending at 1024) and "€" (3 bytes, crossing 1024): cut
     * after the "é". */
    ed_buf b = ED_BUF_INIT(8192);
    for (int i = 0; i < 1022; i++)
        ed_buf_append_str(&b, "a");
    ed_buf_append_str(&b, "\xc3\xa9\xe2\x82\xac and more");
    ed_kube_event ev = flux_event("LongNoteBoundary", b.data);
    record(&ev);
    char *note = note_of("LongNoteBoundary");
    assert_int_equal(strlen(note), 1024);
    assert_memory_equal(note, b.data, 1024);
    free(note);

    /* 1023 bytes, then "€" (bytes 1023..1025): the character goes whole, 1023 bytes stay. */
    ed_buf_reset(&b);
    for (int i = 0; i < 1023; i++)
        ed_buf_append_str(&b, "b");
    ed_buf_append_str(&b, "\xe2\x82\xac\xe2\x82\xac");
    ev = flux_event("LongNoteSplit", b.data);
    record(&ev);
    note = note_of("LongNoteSplit");
    assert_int_equal(strlen(note), 1023);
    assert_memory_equal(note, b.data, 1023);
    free(note);

    /* Far too long: still 1024 bytes, and the server accepted it. */
    ed_buf_reset(&b);
    for (int i = 0; i < 5000; i++)
        ed_buf_append_str(&b, "c");
    ev = flux_event("LongNoteHuge", b.data);
    record(&ev);
    note = note_of("LongNoteHuge");
    assert_int_equal(strlen(note), 1024);
    free(note);
    ed_buf_free(&b);
}

static void test_cluster_scoped_object(void **state)
{
    (void)state;
    ed_doc *nsobj = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_get(admin, "v1", "Namespace", NULL, ns, &nsobj, &err), 0);
    ed_kube_event ev = flux_event("NamespaceChecked", "a cluster-scoped object");
    ev.regarding = ed_doc_root(nsobj);
    ev.annotations = NULL;
    ev.reporting_instance = NULL; /* the host name */
    record(&ev);
    char sel[128];
    snprintf(sel, sizeof(sel), "regarding.name=%s", ns);
    ed_doc *list = list_events("events.k8s.io/v1", "default", sel);
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    assert_string_equal(ed_node_path_str(e, "/metadata/namespace"), "default");
    assert_string_equal(ed_node_path_str(e, "/regarding/kind"), "Namespace");
    assert_null(ed_node_path(e, "/regarding/namespace"));
    char host[256] = "";
    gethostname(host, sizeof(host));
    assert_string_equal(ed_node_path_str(e, "/reportingInstance"), host);
    ed_kube_delete(admin, "events.k8s.io/v1", "Event", "default",
                   ed_node_path_str(e, "/metadata/name"), NULL, &err);
    ed_doc_free(list);
    ed_doc_free(nsobj);
}

static void test_invalid_events(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_event ev = flux_event("Whatever", "x");
    ev.type = "Info";
    assert_int_equal(ed_kube_event_record(admin, &ev, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "neither Normal nor Warning"));
    ev = flux_event(NULL, "x");
    assert_int_equal(ed_kube_event_record(admin, &ev, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "needs a reason"));
    ev = flux_event("NoAction", "x");
    ev.action = NULL;
    assert_int_equal(ed_kube_event_record(admin, &ev, &err), ED_EINVALID);
    /* The API's own validation comes back typed: a reporting controller must be a qualified
     * name. */
    ev = flux_event("BadController", "x");
    ev.reporting_controller = "not a name!";
    assert_int_equal(ed_kube_event_record(admin, &ev, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "reportingController"));
    /* Nothing was written by any of these. */
    ed_doc *list =
        list_events("events.k8s.io/v1", ns, "regarding.name=target,reason=BadController");
    assert_int_equal(ed_node_len(items(list)), 0);
    ed_doc_free(list);
}

struct worker {
    ed_kube_event ev;
    int failures;
};

static void *record_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 5; i++) {
        ed_err err = ED_ERR_INIT;
        if (ed_kube_event_record(admin, &w->ev, &err) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_repeats(void **state)
{
    (void)state;
    /* Four reconcilers failing the same way at once: one Event, every occurrence counted. */
    struct worker workers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        workers[i].ev = flux_event("HealthCheckFailed", "timeout waiting for: [Deployment/x]");
        workers[i].ev.type = ED_KUBE_EVENT_WARNING;
        workers[i].failures = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, record_many, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    ed_doc *list =
        list_events("events.k8s.io/v1", ns, "regarding.name=target,reason=HealthCheckFailed");
    assert_int_equal(ed_node_len(items(list)), 1);
    assert_int_equal(int_at(ed_node_at(items(list), 0), "/series/count"), 20);
    ed_doc_free(list);
}

static void test_deleted_event_is_recreated(void **state)
{
    (void)state;
    ed_kube_event ev = flux_event("Progressing", "Building manifests");
    record(&ev);
    ed_doc *list = list_events("events.k8s.io/v1", ns, "regarding.name=target,reason=Progressing");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_delete(admin, "events.k8s.io/v1", "Event", ns,
                                    ed_node_path_str(ed_node_at(items(list), 0), "/metadata/name"),
                                    NULL, &err),
                     0);
    /* The repeat finds its Event gone (expired, deleted): it is created again, counted. */
    record(&ev);
    ed_doc *again = list_events("events.k8s.io/v1", ns, "regarding.name=target,reason=Progressing");
    assert_int_equal(ed_node_len(items(again)), 1);
    assert_int_equal(int_at(ed_node_at(items(again), 0), "/series/count"), 2);
    ed_doc_free(again);
    ed_doc_free(list);
}

static void test_core_fallback(void **state)
{
    (void)state;
    /* A client that found no events.k8s.io/v1 in discovery (an old server) writes core v1
     * Events. */
    ed_kube *old = new_admin();
    atomic_store(&old->events_api, ED_KUBE_EVENTS_CORE);
    ed_kube_event ev = flux_event("CoreOnly", "written through the core API");
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_event_record(old, &ev, &err), 0);
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=CoreOnly");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    assert_true(ed_str_has_prefix(ed_node_path_str(e, "/metadata/name"), "target."));
    assert_string_equal(ed_node_path_str(e, "/message"), "written through the core API");
    assert_string_equal(ed_node_path_str(e, "/type"), "Normal");
    assert_string_equal(ed_node_path_str(e, "/source/component"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(e, "/source/host"), "kustomize-controller-6f8d9c-x2x4z");
    assert_string_equal(ed_node_path_str(e, "/involvedObject/uid"),
                        ed_node_path_str(ed_doc_root(target), "/metadata/uid"));
    assert_string_equal(ed_node_path_str(e, "/involvedObject/kind"), "ConfigMap");
    assert_int_equal(int_at(e, "/count"), 1);
    const char *first = ed_node_path_str(e, "/firstTimestamp");
    assert_non_null(first);
    assert_int_equal(strlen(first), 20); /* metav1.Time: whole seconds */
    assert_string_equal(ed_node_path_str(e, "/lastTimestamp"), first);
    assert_string_equal(
        ed_node_path_str(e, "/metadata/annotations/kustomize.toolkit.fluxcd.io~1revision"),
        "main@sha1:0123456789abcdef");

    sleep(1); /* so lastTimestamp moves */
    assert_int_equal(ed_kube_event_record(old, &ev, &err), 0);
    assert_int_equal(ed_kube_event_record(old, &ev, &err), 0);
    ed_doc *after = list_events("v1", ns, "involvedObject.name=target,reason=CoreOnly");
    assert_int_equal(ed_node_len(items(after)), 1);
    e = ed_node_at(items(after), 0);
    assert_int_equal(int_at(e, "/count"), 3);
    assert_string_equal(ed_node_path_str(e, "/firstTimestamp"), first);
    assert_true(strcmp(ed_node_path_str(e, "/lastTimestamp"), first) > 0);
    ed_doc_free(after);
    ed_doc_free(list);
    ed_kube_free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_read_back),
        cmocka_unit_test(test_repeats_aggregate),
        cmocka_unit_test(test_long_note_truncated),
        cmocka_unit_test(test_cluster_scoped_object),
        cmocka_unit_test(test_invalid_events),
        cmocka_unit_test(test_concurrent_repeats),
        cmocka_unit_test(test_deleted_event_is_recreated),
        cmocka_unit_test(test_core_fallback),
    };
    return cmocka_run_group_tests_name("kube events e2e", tests, setup, teardown);
}
