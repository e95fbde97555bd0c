/*
 * End-to-end tests of Kubernetes Events (src/kube/event.c) against the real control plane the
 * e2e runner starts ($KUBECONFIG: admin). Each Event is read back from the API server, through
 * core v1 (what eddy writes, as Flux does) and through the events.k8s.io/v1 view of the same
 * object: the fields Flux's `flux events` and `kubectl describe` show, aggregation of repeats
 * into one Event's count (also from several threads at once), a different reason making a
 * second Event, messages longer than events.k8s.io's 1024 bytes kept whole (and cut on a UTF-8
 * boundary past eddy's own limit), cluster-scoped objects (Events in "default"), incomplete
 * events refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/kube.h"
#include "e2e.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
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

static int setup(void **state)
{
    (void)state;
    if (!(admin = e2e_kube()) || e2e_namespace(admin, "kube-events", ns, sizeof(ns)) != 0)
        return -1;
    char text[256];
    snprintf(text, sizeof(text),
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: target, namespace: %s}\n"
             "data: {a: \"1\"}\n",
             ns);
    ed_doc *d = yaml(text);
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_create(admin, ed_doc_root(d), NULL, &target, &err);
    ed_doc_free(d);
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

/* The Events of one API about an object, filtered by a field selector ("involvedObject.name=x"
 * and more). A new document (a list). */
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

    ed_doc *list = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    const ed_node *cm = ed_doc_root(target);
    assert_string_equal(ed_node_path_str(e, "/involvedObject/kind"), "ConfigMap");
    assert_string_equal(ed_node_path_str(e, "/involvedObject/apiVersion"), "v1");
    assert_string_equal(ed_node_path_str(e, "/involvedObject/namespace"), ns);
    assert_string_equal(ed_node_path_str(e, "/involvedObject/uid"),
                        ed_node_path_str(cm, "/metadata/uid"));
    assert_string_equal(ed_node_path_str(e, "/involvedObject/resourceVersion"),
                        ed_node_path_str(cm, "/metadata/resourceVersion"));
    assert_string_equal(ed_node_path_str(e, "/type"), "Normal");
    assert_string_equal(ed_node_path_str(e, "/reason"), "ReconciliationSucceeded");
    assert_string_equal(ed_node_path_str(e, "/message"), "Applied revision: main@sha1:0123");
    assert_string_equal(ed_node_path_str(e, "/action"), "Reconcile");
    assert_string_equal(ed_node_path_str(e, "/source/component"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(e, "/reportingComponent"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(e, "/reportingInstance"),
                        "kustomize-controller-6f8d9c-x2x4z");
    assert_string_equal(
        ed_node_path_str(e, "/metadata/annotations/kustomize.toolkit.fluxcd.io~1revision"),
        "main@sha1:0123456789abcdef");
    assert_int_equal(int_at(e, "/count"), 1);
    /* metav1.Time: whole seconds, "2026-01-02T03:04:05Z". */
    const char *first = ed_node_path_str(e, "/firstTimestamp");
    assert_non_null(first);
    assert_int_equal(strlen(first), 20);
    assert_string_equal(ed_node_path_str(e, "/lastTimestamp"), first);
    /* client-go's name: "<object>.<hex nanoseconds>". */
    const char *name = ed_node_path_str(e, "/metadata/name");
    assert_true(ed_str_has_prefix(name, "target."));
    assert_true(strlen(name) > strlen("target.") + 8);
    assert_int_equal(strspn(name + 7, "0123456789abcdef"), strlen(name + 7));

    /* The same Event through events.k8s.io/v1. */
    ed_doc *v1 = list_events("events.k8s.io/v1", ns, "regarding.name=target");
    assert_int_equal(ed_node_len(items(v1)), 1);
    ed_node *c = ed_node_at(items(v1), 0);
    assert_string_equal(ed_node_path_str(c, "/metadata/name"), name);
    assert_string_equal(ed_node_path_str(c, "/regarding/uid"),
                        ed_node_path_str(cm, "/metadata/uid"));
    assert_string_equal(ed_node_path_str(c, "/note"), "Applied revision: main@sha1:0123");
    assert_string_equal(ed_node_path_str(c, "/reason"), "ReconciliationSucceeded");
    ed_doc_free(v1);
    ed_doc_free(list);
}

static void test_repeats_aggregate(void **state)
{
    (void)state;
    /* The event of the previous test, three more times: still one Event, counted. */
    ed_kube_event ev = flux_event("ReconciliationSucceeded", "Applied revision: main@sha1:0123");
    ed_doc *before = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(before)), 1);
    sleep(1); /* so lastTimestamp moves */
    for (int i = 0; i < 3; i++)
        record(&ev);
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    assert_string_equal(ed_node_path_str(e, "/metadata/name"),
                        ed_node_path_str(ed_node_at(items(before), 0), "/metadata/name"));
    assert_int_equal(int_at(e, "/count"), 4);
    const char *last = ed_node_path_str(e, "/lastTimestamp");
    assert_non_null(last);
    assert_true(strcmp(last, ed_node_path_str(e, "/firstTimestamp")) > 0);

    /* Another reason is another Event. */
    ed_kube_event failed = flux_event("ReconciliationFailed", "Applied revision: main@sha1:0123");
    failed.type = ED_KUBE_EVENT_WARNING;
    record(&failed);
    ed_doc *two = list_events("v1", ns, "involvedObject.name=target");
    assert_int_equal(ed_node_len(items(two)), 2);
    ed_doc *warn = list_events("v1", ns, "involvedObject.name=target,reason=ReconciliationFailed");
    assert_int_equal(ed_node_len(items(warn)), 1);
    assert_string_equal(ed_node_path_str(ed_node_at(items(warn), 0), "/type"), "Warning");
    assert_int_equal(int_at(ed_node_at(items(warn), 0), "/count"), 1);
    ed_doc_free(warn);
    ed_doc_free(two);
    ed_doc_free(list);
    ed_doc_free(before);
}

/* The message of the Event with this reason about the target. */
static char *note_of(const char *reason)
{
    char sel[256];
    snprintf(sel, sizeof(sel), "involvedObject.name=target,reason=%s", reason);
    ed_doc *list = list_events("v1", ns, sel);
    assert_int_equal(ed_node_len(items(list)), 1);
    char *note = ed_xstrdup(ed_node_path_str(ed_node_at(items(list), 0), "/message"));
    ed_doc_free(list);
    return note;
}

static void test_long_note(void **state)
{
    (void)state;
    /* A change set of many objects: far past events.k8s.io's 1024 bytes, kept whole. */
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    for (int i = 0; i < 200; i++)
        ed_buf_printf(&b, "%sDeployment/apps/service-%03d configured", i ? "\n" : "", i);
    ed_kube_event ev = flux_event("LongChangeSet", b.data);
    record(&ev);
    char *note = note_of("LongChangeSet");
    assert_true(b.len > 5000);
    assert_string_equal(note, b.data);
    free(note);

    /* Past eddy's own limit: cut there, and never inside a UTF-8 character ("€" is 3 bytes
     * from the limit's last byte on). */
    ed_buf_reset(&b);
    for (int i = 0; i < ED_KUBE_EVENT_NOTE_MAX - 1; i++)
        ed_buf_append(&b, "b", 1);
    ed_buf_append_str(&b, "\xe2\x82\xac and more");
    ev = flux_event("LongNoteSplit", b.data);
    record(&ev);
    note = note_of("LongNoteSplit");
    assert_int_equal(strlen(note), ED_KUBE_EVENT_NOTE_MAX - 1);
    assert_memory_equal(note, b.data, ED_KUBE_EVENT_NOTE_MAX - 1);
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
    snprintf(sel, sizeof(sel), "involvedObject.name=%s", ns);
    ed_doc *list = list_events("v1", "default", sel);
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_node *e = ed_node_at(items(list), 0);
    assert_string_equal(ed_node_path_str(e, "/metadata/namespace"), "default");
    assert_string_equal(ed_node_path_str(e, "/involvedObject/kind"), "Namespace");
    assert_null(ed_node_path(e, "/involvedObject/namespace"));
    char host[256] = "";
    gethostname(host, sizeof(host));
    assert_string_equal(ed_node_path_str(e, "/reportingInstance"), host);
    ed_kube_delete(admin, "v1", "Event", "default", ed_node_path_str(e, "/metadata/name"), NULL,
                   &err);
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
    char reason[200];
    memset(reason, 'R', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    ev = flux_event(reason, "x");
    assert_int_equal(ed_kube_event_record(admin, &ev, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "longer than"));
    /* Nothing was written by any of these. */
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=NoAction");
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
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=HealthCheckFailed");
    assert_int_equal(ed_node_len(items(list)), 1);
    assert_int_equal(int_at(ed_node_at(items(list), 0), "/count"), 20);
    ed_doc_free(list);
}

static void test_deleted_event_is_recreated(void **state)
{
    (void)state;
    ed_kube_event ev = flux_event("Progressing", "Building manifests");
    record(&ev);
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=Progressing");
    assert_int_equal(ed_node_len(items(list)), 1);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_delete(admin, "v1", "Event", ns,
                                    ed_node_path_str(ed_node_at(items(list), 0), "/metadata/name"),
                                    NULL, &err),
                     0);
    /* The repeat finds its Event gone (expired, deleted): it is created again, counted. */
    record(&ev);
    ed_doc *again = list_events("v1", ns, "involvedObject.name=target,reason=Progressing");
    assert_int_equal(ed_node_len(items(again)), 1);
    assert_int_equal(int_at(ed_node_at(items(again), 0), "/count"), 2);
    ed_doc_free(again);
    ed_doc_free(list);
}

/* ---- posted Events (ed_kube_event_post) ---- */

/* A request of `client` that stays in flight for `seconds`: a watch of ConfigMaps sent as a
 * plain request, which the server ends after timeoutSeconds. */
struct slow_request {
    ed_kube *client;
    int seconds;
    int rc;
    atomic_bool done;
};

static void *slow_request_main(void *arg)
{
    struct slow_request *r = arg;
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps?watch=true&timeoutSeconds=%d",
             ns, r->seconds);
    ed_kube_response resp;
    ed_err err = ED_ERR_INIT;
    r->rc = ed_kube_request(r->client, "GET", path, NULL, NULL, 0, &resp, &err);
    ed_kube_response_free(&resp);
    atomic_store(&r->done, true);
    return NULL;
}

static size_t count_reason(const char *reason)
{
    char sel[128];
    snprintf(sel, sizeof(sel), "involvedObject.name=target,reason=%s", reason);
    ed_doc *list = list_events("v1", ns, sel);
    size_t n = ed_node_len(items(list));
    ed_doc_free(list);
    return n;
}

/* Wait up to ms for an Event of reason to exist; its count of Events. */
static size_t wait_reason(const char *reason, int ms)
{
    size_t n = 0;
    for (int waited = 0; (n = count_reason(reason)) == 0 && waited < ms; waited += 50)
        usleep(50 * 1000);
    return n;
}

static void post(ed_kube *client, const char *reason, const char *note)
{
    ed_kube_event ev = flux_event(reason, note);
    ed_err err = ED_ERR_INIT;
    if (ed_kube_event_post(client, &ev, "test", &err) != 0)
        fail_msg("posting: %s", err.msg);
}

static void test_post_waits_for_idle_client(void **state)
{
    (void)state;
    ed_kube *client = e2e_kube();
    assert_non_null(client);
    struct slow_request slow = {.client = client, .seconds = 2};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_request_main, &slow), 0);
    usleep(300 * 1000); /* the watch is on its way */
    time_t posted = time(NULL);
    post(client, "PostedWhileBusy", "Reconciliation finished in 1s, next run in 10m");
    /* Not written while the client's other request is in flight. */
    usleep(700 * 1000);
    assert_false(atomic_load(&slow.done));
    assert_int_equal(count_reason("PostedWhileBusy"), 0);
    pthread_join(t, NULL);
    assert_int_equal(slow.rc, 0);
    /* Written once it is idle, with the time it was posted. */
    assert_int_equal(wait_reason("PostedWhileBusy", 3000), 1);
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=PostedWhileBusy");
    ed_node *e = ed_node_at(items(list), 0);
    char at[32];
    ed_time_rfc3339(posted, at);
    const char *first = ed_node_path_str(e, "/firstTimestamp");
    assert_non_null(first);
    /* Whole seconds: the second of the post, or the next one if it was crossed meanwhile. */
    char next[32];
    ed_time_rfc3339(posted + 1, next);
    assert_true(strcmp(first, at) == 0 || strcmp(first, next) == 0);
    assert_string_equal(ed_node_path_str(e, "/message"),
                        "Reconciliation finished in 1s, next run in 10m");
    assert_string_equal(
        ed_node_path_str(e, "/metadata/annotations/kustomize.toolkit.fluxcd.io~1revision"),
        "main@sha1:0123456789abcdef");
    ed_doc_free(list);
    ed_kube_free(client);
}

static void test_post_waits_at_most_the_delay(void **state)
{
    (void)state;
    ed_kube *client = e2e_kube();
    assert_non_null(client);
    ed_kube_set_event_delay(client, 500);
    struct slow_request slow = {.client = client, .seconds = 4};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_request_main, &slow), 0);
    usleep(300 * 1000);
    post(client, "PostedPastDelay", "a busy client writes it after the delay");
    /* Written while the other request is still in flight: the delay is over. */
    assert_int_equal(wait_reason("PostedPastDelay", 2500), 1);
    assert_false(atomic_load(&slow.done));
    pthread_join(t, NULL);
    ed_kube_free(client);
}

static void test_posted_events_written_when_freed(void **state)
{
    (void)state;
    ed_kube *client = e2e_kube();
    assert_non_null(client);
    struct slow_request slow = {.client = client, .seconds = 1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_request_main, &slow), 0);
    usleep(300 * 1000);
    for (int i = 0; i < 3; i++)
        post(client, "PostedBeforeFree", "the client stops");
    pthread_join(t, NULL);
    /* Freed at once: what is still queued is written first, the repeats as one Event. */
    ed_kube_free(client);
    ed_doc *list = list_events("v1", ns, "involvedObject.name=target,reason=PostedBeforeFree");
    assert_int_equal(ed_node_len(items(list)), 1);
    assert_int_equal(int_at(ed_node_at(items(list), 0), "/count"), 3);
    ed_doc_free(list);
}

static bool gate_busy(void *user)
{
    return atomic_load((atomic_bool *)user);
}

static void test_post_waits_for_the_gate(void **state)
{
    (void)state;
    ed_kube *client = e2e_kube();
    assert_non_null(client);
    atomic_bool busy = true;
    ed_kube_set_event_gate(client, gate_busy, &busy);
    post(client, "PostedBehindGate", "reconciles wait for a worker");
    usleep(700 * 1000);
    assert_int_equal(count_reason("PostedBehindGate"), 0);
    atomic_store(&busy, false); /* the reconciles got their workers */
    assert_int_equal(wait_reason("PostedBehindGate", 2000), 1);
    ed_kube_set_event_gate(client, NULL, NULL);
    ed_kube_free(client);
}

static void test_post_refuses_incomplete_events(void **state)
{
    (void)state;
    ed_kube_event ev = flux_event("", "no reason");
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_event_post(admin, &ev, "test", &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "needs a reason"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_read_back),
        cmocka_unit_test(test_repeats_aggregate),
        cmocka_unit_test(test_long_note),
        cmocka_unit_test(test_cluster_scoped_object),
        cmocka_unit_test(test_invalid_events),
        cmocka_unit_test(test_concurrent_repeats),
        cmocka_unit_test(test_deleted_event_is_recreated),
        cmocka_unit_test(test_post_waits_for_idle_client),
        cmocka_unit_test(test_post_waits_at_most_the_delay),
        cmocka_unit_test(test_post_waits_for_the_gate),
        cmocka_unit_test(test_posted_events_written_when_freed),
        cmocka_unit_test(test_post_refuses_incomplete_events),
    };
    return cmocka_run_group_tests_name("kube events e2e", tests, setup, teardown);
}
