/*
 * End-to-end tests of informers against the real control plane: the first list fills the
 * cache, then every create, update and delete reaches the cache and the handlers in order,
 * filtered by label selector; a cached object reads back whole (apiVersion and kind included).
 * Informers stopped together (ed_informer_stop) end together, their caches readable meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"
#include "e2e.h"

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *kube;
static char ns[64];

struct log {
    pthread_mutex_t lock;
    char lines[64][96];
    int n;
};

static void record(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct log *log = user;
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"};
    pthread_mutex_lock(&log->lock);
    if (log->n < 64)
        snprintf(log->lines[log->n++], 96, "%s %s %s", names[type],
                 ed_node_path_str(obj, "/metadata/name"), ed_node_str(ed_node_get(obj, "kind")));
    pthread_mutex_unlock(&log->lock);
}

static int count(struct log *log)
{
    pthread_mutex_lock(&log->lock);
    int n = log->n;
    pthread_mutex_unlock(&log->lock);
    return n;
}

static void wait_count(struct log *log, int want)
{
    for (int i = 0; i < 400 && count(log) < want; i++)
        usleep(50 * 1000);
    if (count(log) != want) {
        for (int i = 0; i < log->n; i++)
            fprintf(stderr, "  event: %s\n", log->lines[i]);
        fail_msg("%d events, want %d", count(log), want);
    }
}

static void create_cm(const char *name, const char *label)
{
    char text[512];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"%s\",\"labels\":{\"set\":\"%s\"}},\"data\":{\"v\":\"1\"}}",
             name, ns, label);
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_json(text, strlen(text), &d, &err), 0);
    if (ed_kube_create(kube, ed_doc_root(d), NULL, NULL, &err) != 0)
        fail_msg("create %s: %s", name, err.msg);
    ed_doc_free(d);
}

static void test_informer(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm("before", "watched"); /* exists before the informer starts: comes from the list */
    struct log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ed_informer_opts opts = {.api_version = "v1",
                             .kind = "ConfigMap",
                             .ns = ns,
                             .label_selector = "set=watched",
                             .watch_timeout_seconds = 5};
    ed_informer *inf = ed_informer_new(kube, &opts);
    ed_informer_add_handler(inf, record, &log);
    assert_int_equal(ed_informer_start(inf, &err), 0);
    assert_true(ed_informer_wait_synced(inf, 10000));
    wait_count(&log, 1);
    assert_string_equal(log.lines[0], "ADDED before ConfigMap");
    assert_int_equal(ed_informer_len(inf), 1);

    create_cm("one", "watched");
    create_cm("other", "ignored"); /* filtered out by the label selector */
    wait_count(&log, 2);
    assert_string_equal(log.lines[1], "ADDED one ConfigMap");

    const char *patch = "{\"data\":{\"v\":\"2\"}}";
    assert_int_equal(ed_kube_patch(kube, "v1", "ConfigMap", ns, "one", ED_KUBE_PATCH_MERGE, patch,
                                   strlen(patch), NULL, NULL, &err),
                     0);
    wait_count(&log, 3);
    assert_string_equal(log.lines[2], "MODIFIED one ConfigMap");
    ed_doc *cached = NULL;
    for (int i = 0; i < 50; i++) {
        cached = ed_informer_get(inf, ns, "one");
        if (cached && strcmp(ed_node_path_str(ed_doc_root(cached), "/data/v"), "2") == 0)
            break;
        ed_doc_free(cached);
        cached = NULL;
        usleep(20 * 1000);
    }
    assert_non_null(cached);
    assert_string_equal(ed_node_str(ed_node_get(ed_doc_root(cached), "apiVersion")), "v1");
    ed_doc_free(cached);
    assert_null(ed_informer_get(inf, ns, "other"));

    /* The watch requests last 5 s: changes after the server ended one still arrive. */
    sleep(6);
    assert_int_equal(ed_kube_delete(kube, "v1", "ConfigMap", ns, "before", NULL, &err), 0);
    wait_count(&log, 4);
    assert_string_equal(log.lines[3], "DELETED before ConfigMap");
    assert_int_equal(ed_informer_len(inf), 1);

    /* The API server restarts: the informer's watch breaks; it reconnects and resumes, and a
     * change made right after the restart still arrives. */
    const char *root = getenv("EDDY_ROOT"), *cluster = getenv("EDDY_CLUSTER");
    assert_non_null(root);
    assert_non_null(cluster);
    char script[512];
    snprintf(script, sizeof(script), "%s/scripts/cluster", root);
    char *argv[] = {script, "restart-apiserver", (char *)cluster, NULL};
    extern char **environ;
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, script, NULL, NULL, argv, environ), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    create_cm("after-restart", "watched");
    wait_count(&log, 5);
    assert_string_equal(log.lines[4], "ADDED after-restart ConfigMap");
    assert_int_equal(ed_informer_len(inf), 2);

    int64_t t0 = ed_time_mono_ms();
    ed_informer_free(inf); /* stops the thread promptly, even mid-watch */
    assert_true(ed_time_mono_ms() - t0 < 3000);
}

/* A metadata-only informer: listed and watched objects carry the watched kind's apiVersion
 * and kind (not PartialObjectMetadata's), their metadata, and nothing else. */
static void test_metadata_only(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm("meta-before", "meta");
    struct log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ed_informer_opts opts = {.api_version = "v1",
                             .kind = "ConfigMap",
                             .ns = ns,
                             .label_selector = "set=meta",
                             .metadata_only = true};
    ed_informer *inf = ed_informer_new(kube, &opts);
    ed_informer_add_handler(inf, record, &log);
    assert_int_equal(ed_informer_start(inf, &err), 0);
    assert_true(ed_informer_wait_synced(inf, 10000));
    wait_count(&log, 1);
    assert_string_equal(log.lines[0], "ADDED meta-before ConfigMap");
    const char *patch = "{\"data\":{\"v\":\"2\"}}";
    assert_int_equal(ed_kube_patch(kube, "v1", "ConfigMap", ns, "meta-before", ED_KUBE_PATCH_MERGE,
                                   patch, strlen(patch), NULL, NULL, &err),
                     0);
    wait_count(&log, 2);
    assert_string_equal(log.lines[1], "MODIFIED meta-before ConfigMap");
    ed_doc *cached = ed_informer_get(inf, ns, "meta-before"); /* stored before the handler ran */
    assert_non_null(cached);
    const ed_node *root = ed_doc_root(cached);
    assert_string_equal(ed_node_str(ed_node_get(root, "apiVersion")), "v1");
    assert_string_equal(ed_node_str(ed_node_get(root, "kind")), "ConfigMap");
    assert_string_equal(ed_node_path_str(root, "/metadata/labels/set"), "meta");
    assert_null(ed_node_get(root, "data")); /* metadata only */
    ed_doc_free(cached);
    /* A plain list with metadata_only: the same shape, from the API. */
    ed_kube_opts lo = {.label_selector = "set=meta", .metadata_only = true};
    ed_doc *list = NULL;
    assert_int_equal(ed_kube_list(kube, "v1", "ConfigMap", ns, &lo, &list, &err), 0);
    const ed_node *items = ed_node_get(ed_doc_root(list), "items");
    assert_int_equal(ed_node_len(items), 1);
    assert_null(ed_node_get(ed_node_at(items, 0), "data"));
    assert_string_equal(ed_node_path_str(ed_node_at(items, 0), "/metadata/name"), "meta-before");
    ed_doc_free(list);
    ed_informer_free(inf);
}

/* A handler that notes whether each event's object had managedFields. */
static void record_managed(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct log *log = user;
    (void)type;
    pthread_mutex_lock(&log->lock);
    if (log->n < 64)
        snprintf(log->lines[log->n++], 96, "%s managedFields=%s",
                 ed_node_path_str(obj, "/metadata/name"),
                 ed_node_path(obj, "/metadata/managedFields") ? "yes" : "no");
    pthread_mutex_unlock(&log->lock);
}

/* A brief cache (the drift watch's): handlers get whole events, the cache keeps what names
 * each object (its labels and annotations too) and drops the rest, managedFields first. */
static void test_brief(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm("brief", "brief");
    const char *note = "{\"metadata\":{\"annotations\":{\"a.io/note\":\"n\"}}}";
    assert_int_equal(ed_kube_patch(kube, "v1", "ConfigMap", ns, "brief", ED_KUBE_PATCH_MERGE, note,
                                   strlen(note), NULL, NULL, &err),
                     0);
    struct log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ed_informer_opts opts = {.api_version = "v1",
                             .kind = "ConfigMap",
                             .ns = ns,
                             .label_selector = "set=brief",
                             .metadata_only = true,
                             .brief = true};
    ed_informer *inf = ed_informer_new(kube, &opts);
    ed_informer_add_handler(inf, record_managed, &log);
    assert_int_equal(ed_informer_start(inf, &err), 0);
    assert_true(ed_informer_wait_synced(inf, 10000));
    wait_count(&log, 1);
    const char *patch = "{\"data\":{\"v\":\"2\"}}";
    assert_int_equal(ed_kube_patch(kube, "v1", "ConfigMap", ns, "brief", ED_KUBE_PATCH_MERGE, patch,
                                   strlen(patch), NULL, NULL, &err),
                     0);
    wait_count(&log, 2);
    assert_string_equal(log.lines[0], "brief managedFields=yes"); /* listed */
    assert_string_equal(log.lines[1], "brief managedFields=yes"); /* watched */
    ed_doc *cached = ed_informer_get(inf, ns, "brief");
    assert_non_null(cached);
    const ed_node *root = ed_doc_root(cached);
    assert_string_equal(ed_node_str(ed_node_get(root, "apiVersion")), "v1");
    assert_string_equal(ed_node_str(ed_node_get(root, "kind")), "ConfigMap");
    assert_string_equal(ed_node_path_str(root, "/metadata/name"), "brief");
    assert_string_equal(ed_node_path_str(root, "/metadata/namespace"), ns);
    assert_non_null(ed_node_path_str(root, "/metadata/uid"));
    assert_non_null(ed_node_path_str(root, "/metadata/resourceVersion"));
    assert_string_equal(ed_node_path_str(root, "/metadata/labels/set"), "brief");
    assert_string_equal(ed_node_path_str(root, "/metadata/annotations/a.io~1note"), "n");
    assert_null(ed_node_path(root, "/metadata/managedFields"));
    assert_null(ed_node_path(root, "/metadata/creationTimestamp"));
    ed_doc_free(cached);
    ed_informer_free(inf);
}

/* Informers told to stop together end together: stopping 8 takes about the second one watch
 * needs to notice, not 8 of them one after another; meanwhile their caches stay readable. */
static void test_stop_together(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm("stop-together", "stopping");
    enum {
        N = 8
    };
    ed_informer *infs[N];
    char selectors[N][32];
    /* The same objects through 8 watches (8 requests, 8 threads), started last to first 1/8 s
     * apart: an idle watch looks at its stop flag once a second, from its start, so freed
     * first to last one after another, each would wait most of a second for its turn. */
    for (int i = N - 1; i >= 0; i--) {
        snprintf(selectors[i], sizeof(selectors[i]), "set=stopping,n!=%d", i);
        ed_informer_opts opts = {
            .api_version = "v1", .kind = "ConfigMap", .ns = ns, .label_selector = selectors[i]};
        infs[i] = ed_informer_new(kube, &opts);
        assert_int_equal(ed_informer_start(infs[i], &err), 0);
        assert_true(ed_informer_wait_synced(infs[i], 10000));
        usleep(125 * 1000);
    }
    sleep(1); /* every watch is established and idle */
    int64_t t0 = ed_time_mono_ms();
    for (int i = 0; i < N; i++)
        ed_informer_stop(infs[i]);
    assert_true(ed_time_mono_ms() - t0 < 100); /* asks, does not wait */
    for (int i = 0; i < N; i++) {
        ed_doc *d = ed_informer_get(infs[i], ns, "stop-together");
        assert_non_null(d);
        ed_doc_free(d);
    }
    for (int i = 0; i < N; i++)
        ed_informer_free(infs[i]);
    int64_t took = ed_time_mono_ms() - t0;
    printf("8 informers stopped in %lld ms\n", (long long)took);
    assert_true(took < 2500); /* one after another: about 7 s */
}

static int setup(void **state)
{
    (void)state;
    kube = e2e_kube();
    return kube ? e2e_namespace(kube, "informer", ns, sizeof(ns)) : -1;
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_informer),
        cmocka_unit_test(test_metadata_only),
        cmocka_unit_test(test_brief),
        cmocka_unit_test(test_stop_together),
    };
    return cmocka_run_group_tests_name("informer e2e", tests, setup, teardown);
}
