/*
 * End-to-end tests of the kube client and of informers through tests/e2e/faultproxy.py, a proxy
 * in front of the real API server that drops connections, answers 429/500/503, cuts watch
 * streams mid-event and refuses connections for a while, as real networks and API servers do.
 * Each check counts at the proxy what the client really sent: idempotent requests are retried
 * through failures, Retry-After is honoured, a create is never sent twice, and an informer ends
 * up with every object however often its watch breaks.
 *
 * Environment (tests/e2e/faults_test.sh sets it): EDDY_FAULTPROXY_URL (https://127.0.0.1:PORT),
 * EDDY_FAULTPROXY_CONTROL (http://127.0.0.1:PORT), EDDY_CLUSTER_CA (the cluster CA's file) and
 * KUBECONFIG (the admin's, for setting up and checking without the proxy in the way).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"
#include "e2e.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *admin; /* straight to the API server */
static ed_kube *px;    /* through the proxy: CA only, no client certificate */
static const char *control;
static char ns[64];

/* ---- the proxy's control endpoint ---- */

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    ed_buf_append(user, data, size * n);
    return size * n;
}

/* A request to the control endpoint; the JSON reply is parsed into a new document. */
static ed_doc *ctl(const char *method, const char *path, const char *json)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", control, path);
    ed_buf reply = ED_BUF_INIT(1 << 20);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (json)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK || status != 200)
        fail_msg("proxy control %s %s: %s (HTTP %ld) %s", method, path, curl_easy_strerror(cc),
                 status, reply.data ? reply.data : "");
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(reply.data, reply.len, &d, &err) != 0)
        fail_msg("proxy control reply: %s", err.msg);
    ed_buf_free(&reply);
    return d;
}

static void ctl_post(const char *path, const char *json)
{
    ed_doc_free(ctl("POST", path, json));
}

/* Requests the proxy saw since the last reset whose "METHOD target" matches regex. */
static int64_t seen(const char *regex)
{
    char *esc = curl_easy_escape(NULL, regex, 0);
    char path[1024];
    snprintf(path, sizeof(path), "/count?match=%s", esc);
    curl_free(esc);
    ed_doc *d = ctl("GET", path, NULL);
    int64_t n = -1;
    ed_node_int(ed_node_get(ed_doc_root(d), "count"), &n);
    ed_doc_free(d);
    return n;
}

/* A regex for one object's path (or the collection's, name NULL) in the test namespace, with
 * or without a query. JSON-escaped as the control endpoint gets it inside a string. */
static void path_re(char *out, size_t cap, const char *method, const char *name)
{
    if (name)
        snprintf(out, cap, "^%s /api/v1/namespaces/%s/configmaps/%s(\\\\?|$)", method, ns, name);
    else
        snprintf(out, cap, "^%s /api/v1/namespaces/%s/configmaps(\\\\?|$)", method, ns);
}

/* The same regex unescaped, for seen(). */
static void path_re_plain(char *out, size_t cap, const char *method, const char *name)
{
    if (name)
        snprintf(out, cap, "^%s /api/v1/namespaces/%s/configmaps/%s(\\?|$)", method, ns, name);
    else
        snprintf(out, cap, "^%s /api/v1/namespaces/%s/configmaps(\\?|$)", method, ns);
}

static void fault(const char *method, const char *name, const char *action, int status,
                  int retry_after, int count)
{
    char re[256], json[512];
    path_re(re, sizeof(re), method, name);
    int n = snprintf(json, sizeof(json), "{\"match\":\"%s\",\"action\":\"%s\",\"count\":%d", re,
                     action, count);
    if (status)
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"status\":%d", status);
    if (retry_after)
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"retry_after\":%d", retry_after);
    snprintf(json + n, sizeof(json) - (size_t)n, "}");
    ctl_post("/fault", json);
}

/* ---- helpers ---- */

static ed_doc *cm_doc(const char *name, const char *label, const char *value)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"%s\",\"labels\":{\"set\":\"%s\"}},\"data\":{\"v\":\"%s\"}}",
             name, ns, label, value);
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(text, strlen(text), &d, &err) != 0)
        fail_msg("bad test JSON: %s", err.msg);
    return d;
}

static void create_cm(ed_kube *k, const char *name, const char *label, const char *value)
{
    ed_doc *d = cm_doc(name, label, value);
    ed_err err = ED_ERR_INIT;
    if (ed_kube_create(k, ed_doc_root(d), NULL, NULL, &err) != 0)
        fail_msg("create %s: %s", name, err.msg);
    ed_doc_free(d);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    ed_buf b = ED_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    return ed_buf_take(&b);
}

static int setup(void **state)
{
    (void)state;
    const char *url = getenv("EDDY_FAULTPROXY_URL");
    const char *ca = getenv("EDDY_CLUSTER_CA");
    control = getenv("EDDY_FAULTPROXY_CONTROL");
    if (!url || !ca || !control || !getenv("KUBECONFIG")) {
        fprintf(stderr, "run with tests/e2e/faults_test.sh\n");
        return -1;
    }
    if (!(admin = e2e_kube()))
        return -1;

    /* The proxy's client: the cluster CA and nothing else (the proxy authenticates upstream),
     * no client-side rate limit, and a short timeout so a hung request fails the test fast. */
    ed_err err = ED_ERR_INIT;
    ed_kube_config cfg = {0};
    cfg.server = (char *)url;
    cfg.ca_pem = read_file(ca);
    cfg.timeout_ms = 15000;
    if (!cfg.ca_pem || ed_kube_new(&cfg, &px, &err) != 0) {
        fprintf(stderr, "proxy client: %s\n", cfg.ca_pem ? err.msg : "cannot read the CA");
        return -1;
    }
    free(cfg.ca_pem);
    return e2e_namespace(admin, "kube-faults", ns, sizeof(ns));
}

static int teardown(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_delete(admin, "v1", "Namespace", NULL, ns, NULL, &err);
    ed_kube_free(px);
    ed_kube_free(admin);
    return 0;
}

/* Every test starts and ends with a proxy that forwards everything. */
static int reset_proxy(void **state)
{
    (void)state;
    ctl_post("/reset", "{}");
    return 0;
}

/* ---- requests ---- */

static void test_get_retried_through_drop_and_500s(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm(admin, "target", "none", "1");
    fault("GET", "target", "drop", 0, 0, 1);
    fault("GET", "target", "status", 500, 0, 2);
    ed_doc *got = NULL;
    int rc = ed_kube_get(px, "v1", "ConfigMap", ns, "target", &got, &err);
    if (rc)
        fail_msg("get through a drop and two 500s: %s", err.msg);
    assert_string_equal(ed_node_path_str(ed_doc_root(got), "/data/v"), "1");
    ed_doc_free(got);
    char re[256];
    path_re_plain(re, sizeof(re), "GET", "target");
    assert_int_equal(seen(re), 4); /* dropped, 500, 500, 200 */
}

static void test_429_retry_after_honoured(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm(admin, "limited", "none", "1");
    fault("GET", "limited", "status", 429, 1, 1);
    int64_t t0 = ed_time_mono_ms();
    int rc = ed_kube_get(px, "v1", "ConfigMap", ns, "limited", NULL, &err);
    int64_t took = ed_time_mono_ms() - t0;
    if (rc)
        fail_msg("get after a 429: %s", err.msg);
    /* The client's own first backoff is 200 ms: at least a second means Retry-After won. */
    if (took < 1000)
        fail_msg("the retry came after %lld ms, before Retry-After: 1", (long long)took);
    char re[256];
    path_re_plain(re, sizeof(re), "GET", "limited");
    assert_int_equal(seen(re), 2);
}

/*
 * A create whose connection breaks after the request reached the server: the object may exist,
 * and the client cannot know. It must report an error and not send the POST again (a second
 * POST would create a second object with generateName, or fail with AlreadyExists for a
 * create that in fact succeeded). The POST goes over a connection the client reuses (a GET
 * just before leaves it in the pool), as nearly all requests of a long-running process do.
 */
static void test_create_not_resent_after_drop(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_get(px, "v1", "Namespace", NULL, ns, NULL, &err), 0);
    fault("POST", NULL, "drop-after-forward", 0, 0, 1);
    ed_doc *d = cm_doc("created-once", "none", "1");
    int rc = ed_kube_create(px, ed_doc_root(d), NULL, NULL, &err);
    ed_doc_free(d);
    char re[256];
    path_re_plain(re, sizeof(re), "POST", NULL);
    int64_t posts = seen(re);
    int exists = ed_kube_get(admin, "v1", "ConfigMap", ns, "created-once", NULL, &err) == 0;
    print_message("create through a dropped reply: rc %d (%s), %lld POST(s) at the proxy, "
                  "object %s\n",
                  rc, ed_err_code_name(rc), (long long)posts, exists ? "exists" : "absent");
    if (posts != 1)
        fail_msg("the POST was sent %lld times: a create must not be re-sent after its "
                 "connection broke once the request was out (rc %s)",
                 (long long)posts, ed_err_code_name(rc));
    assert_int_not_equal(rc, 0);
}

static void test_503_until_attempts_run_out(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    create_cm(admin, "unavailable", "none", "1");
    fault("GET", "unavailable", "status", 503, 0, -1);
    int64_t t0 = ed_time_mono_ms();
    int rc = ed_kube_get(px, "v1", "ConfigMap", ns, "unavailable", NULL, &err);
    int64_t took = ed_time_mono_ms() - t0;
    char re[256];
    path_re_plain(re, sizeof(re), "GET", "unavailable");
    int64_t attempts = seen(re);
    print_message("503 on every attempt: %s after %lld attempts in %lld ms: %s\n",
                  ed_err_code_name(rc), (long long)attempts, (long long)took, err.msg);
    assert_int_equal(rc, ED_ERETRY);
    assert_true(attempts >= 3);
    assert_true(attempts <= 10);
}

/* ---- watches ---- */

struct names {
    pthread_mutex_t lock;
    int added, modified, deleted, other;
    char list[64][64];
    int n;
};

static int count_event(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct names *s = user;
    pthread_mutex_lock(&s->lock);
    if (type == ED_KUBE_ADDED) {
        s->added++;
        if (s->n < 64)
            snprintf(s->list[s->n++], 64, "%s", ed_node_path_str(obj, "/metadata/name"));
    } else if (type == ED_KUBE_MODIFIED) {
        s->modified++;
    } else if (type == ED_KUBE_DELETED) {
        s->deleted++;
    } else if (type != ED_KUBE_BOOKMARK) {
        s->other++;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void cut_watches(const char *label, int after_events, int count, bool mid_line)
{
    char json[512];
    snprintf(json, sizeof(json),
             "{\"match\":\"^GET /api/v1/namespaces/%s/configmaps\\\\?.*watch=.*labelSelector="
             "set%%3D%s\",\"after_events\":%d,\"count\":%d,\"mid_line\":%s}",
             ns, label, after_events, count, mid_line ? "true" : "false");
    ctl_post("/cut", json);
}

static void watch_cut_once(const char *label, bool mid_line)
{
    ed_err err = ED_ERR_INIT;
    char selector[64];
    snprintf(selector, sizeof(selector), "set=%s", label);
    ed_kube_opts lo = {.label_selector = selector};
    ed_doc *list = NULL;
    assert_int_equal(ed_kube_list(admin, "v1", "ConfigMap", ns, &lo, &list, &err), 0);
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s-%d", label, i);
        create_cm(admin, name, label, "x");
    }
    cut_watches(label, 2, 1, mid_line);
    struct names s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ed_kube_watch_opts wo = {.resource_version =
                                 ed_node_path_str(ed_doc_root(list), "/metadata/resourceVersion"),
                             .label_selector = selector,
                             .timeout_seconds = 20};
    int64_t t0 = ed_time_mono_ms();
    int rc = ed_kube_watch(px, "v1", "ConfigMap", ns, &wo, count_event, &s, &err);
    int64_t took = ed_time_mono_ms() - t0;
    print_message("watch cut after 2 events%s: rc %s after %lld ms (%s), %d events\n",
                  mid_line ? " mid-line" : " on a line boundary", ed_err_code_name(rc),
                  (long long)took, rc ? err.msg : "", s.added);
    /* The two whole events and nothing of the torn one; returned, not hung to the timeout. */
    assert_int_equal(s.added, 2);
    assert_int_equal(s.other + s.modified + s.deleted, 0);
    char first[64];
    snprintf(first, sizeof(first), "%s-0", label);
    assert_string_equal(s.list[0], first);
    assert_true(took < 10000);
    ed_doc_free(list);
}

static void test_watch_cut_mid_event(void **state)
{
    (void)state;
    watch_cut_once("torn", true);
    watch_cut_once("split", false);
}

/* ---- informers ---- */

struct seen_objects {
    pthread_mutex_t lock;
    ed_strmap *added; /* name -> count (as a pointer-sized integer) */
    int added_events, modified, deleted;
    char last_deleted[64];
};

static void on_change(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct seen_objects *s = user;
    const char *name = ed_node_path_str(obj, "/metadata/name");
    pthread_mutex_lock(&s->lock);
    if (type == ED_KUBE_ADDED) {
        s->added_events++;
        intptr_t n = (intptr_t)ed_strmap_get(s->added, name);
        ed_strmap_put(s->added, name, (void *)(n + 1));
    } else if (type == ED_KUBE_MODIFIED) {
        s->modified++;
    } else if (type == ED_KUBE_DELETED) {
        s->deleted++;
        snprintf(s->last_deleted, sizeof(s->last_deleted), "%s", name ? name : "");
    }
    pthread_mutex_unlock(&s->lock);
}

static int added_events(struct seen_objects *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->added_events;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static ed_informer *start_informer(const char *label, struct seen_objects *s)
{
    char selector[64];
    snprintf(selector, sizeof(selector), "set=%s", label);
    ed_informer_opts io = {.api_version = "v1",
                           .kind = "ConfigMap",
                           .ns = ns,
                           .label_selector = selector,
                           .watch_timeout_seconds = 120};
    ed_informer *inf = ed_informer_new(px, &io);
    ed_informer_add_handler(inf, on_change, s);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_informer_start(inf, &err), 0);
    assert_true(ed_informer_wait_synced(inf, 20000));
    return inf;
}

/*
 * 20 ConfigMaps created while every watch breaks inside its fourth event: the cache ends up
 * with all 20 and the handler sees each ADDED exactly once, and nothing else (a relist must not
 * report unchanged objects as MODIFIED). How long it took, and how many watches and lists it
 * needed, is printed: an informer that resumes a broken watch at once needs no relist.
 */
static void test_informer_through_cut_streams(void **state)
{
    (void)state;
    struct seen_objects s = {.lock = PTHREAD_MUTEX_INITIALIZER, .added = ed_strmap_new()};
    /* Every watch of this informer breaks inside its fourth event. */
    cut_watches("cut", 3, -1, true);
    ed_informer *inf = start_informer("cut", &s);
    assert_int_equal(ed_informer_len(inf), 0);
    int64_t t0 = ed_time_mono_ms();
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof(name), "cut-%02d", i);
        create_cm(admin, name, "cut", "x");
    }
    for (int i = 0; i < 1200 && (ed_informer_len(inf) < 20 || added_events(&s) < 20); i++)
        usleep(50 * 1000);
    int64_t took = ed_time_mono_ms() - t0;
    char watches_re[256], lists_re[256];
    snprintf(watches_re, sizeof(watches_re),
             "^GET /api/v1/namespaces/%s/configmaps\\?.*watch=", ns);
    snprintf(lists_re, sizeof(lists_re), "^GET /api/v1/namespaces/%s/configmaps\\?(?!.*watch=)",
             ns);
    int64_t watches = seen(watches_re), lists = seen(lists_re);
    print_message("informer through watches cut every 3 events: %zu cached, %d ADDED after "
                  "%lld ms; %lld watch and %lld list requests\n",
                  ed_informer_len(inf), added_events(&s), (long long)took, (long long)watches,
                  (long long)lists);
    /* Judge after freeing, so a failure leaks nothing (cmocka's failures jump out). */
    size_t cached = ed_informer_len(inf);
    int missing = 0, wrong_added = 0;
    char first_wrong[128] = "";
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof(name), "cut-%02d", i);
        ed_doc *d = ed_informer_get(inf, ns, name);
        missing += d == NULL;
        ed_doc_free(d);
        pthread_mutex_lock(&s.lock);
        intptr_t n = (intptr_t)ed_strmap_get(s.added, name);
        pthread_mutex_unlock(&s.lock);
        if (n != 1 && !wrong_added++)
            snprintf(first_wrong, sizeof(first_wrong), "%s: %d ADDED events", name, (int)n);
    }
    ed_informer_free(inf);
    ed_strmap_free(s.added);
    assert_int_equal(cached, 20);
    assert_int_equal(missing, 0);
    if (wrong_added)
        fail_msg("%d objects not seen ADDED exactly once (%s)", wrong_added, first_wrong);
    assert_int_equal(s.added_events, 20);
    assert_true(watches >= 2); /* the cuts did happen */
    /* Nothing was modified or deleted: a relist that reports MODIFIED for objects it already
     * holds unchanged sends every controller a spurious reconcile. */
    if (s.modified + s.deleted != 0)
        fail_msg("the handler saw %d MODIFIED and %d DELETED events for objects that were only "
                 "created",
                 s.modified, s.deleted);
}

/* An API server restart as clients see it: every connection breaks and new ones are refused
 * for 3 s. Changes made meanwhile reach the cache once it is back. */
static void test_informer_resumes_after_outage(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    struct seen_objects s = {.lock = PTHREAD_MUTEX_INITIALIZER, .added = ed_strmap_new()};
    create_cm(admin, "out-a", "outage", "1");
    create_cm(admin, "out-b", "outage", "1");
    create_cm(admin, "out-c", "outage", "1");
    ed_informer *inf = start_informer("outage", &s);
    assert_int_equal(ed_informer_len(inf), 3);
    usleep(300 * 1000); /* the watch is established */

    ctl_post("/refuse", "{\"seconds\":3}");
    int64_t t0 = ed_time_mono_ms();
    create_cm(admin, "out-d", "outage", "1");
    const char *patch = "{\"data\":{\"v\":\"2\"}}";
    assert_int_equal(ed_kube_patch(admin, "v1", "ConfigMap", ns, "out-a", ED_KUBE_PATCH_MERGE,
                                   patch, strlen(patch), NULL, NULL, &err),
                     0);
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "out-b", NULL, &err), 0);

    bool caught_up = false;
    int64_t took = 0;
    for (int i = 0; i < 1200 && !caught_up; i++) {
        ed_doc *a = ed_informer_get(inf, ns, "out-a");
        ed_doc *b = ed_informer_get(inf, ns, "out-b");
        ed_doc *d = ed_informer_get(inf, ns, "out-d");
        const char *v = a ? ed_node_path_str(ed_doc_root(a), "/data/v") : NULL;
        caught_up = v && strcmp(v, "2") == 0 && !b && d && ed_informer_len(inf) == 3;
        ed_doc_free(a);
        ed_doc_free(b);
        ed_doc_free(d);
        if (!caught_up)
            usleep(50 * 1000);
    }
    took = ed_time_mono_ms() - t0;
    print_message("informer after a 3 s outage: %s after %lld ms\n",
                  caught_up ? "caught up" : "NOT caught up", (long long)took);
    ed_informer_free(inf); /* the handler runs no more */
    intptr_t d_added = (intptr_t)ed_strmap_get(s.added, "out-d");
    ed_strmap_free(s.added);
    assert_true(caught_up);
    assert_int_equal(d_added, 1);
    assert_int_equal(s.added_events, 4);
    assert_int_equal(s.modified, 1);
    assert_int_equal(s.deleted, 1);
    assert_string_equal(s.last_deleted, "out-b");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(fn) cmocka_unit_test_setup_teardown(fn, reset_proxy, reset_proxy)
    const struct CMUnitTest tests[] = {
        T(test_get_retried_through_drop_and_500s),
        T(test_429_retry_after_honoured),
        T(test_create_not_resent_after_drop),
        T(test_503_until_attempts_run_out),
        T(test_watch_cut_mid_event),
        T(test_informer_through_cut_streams),
        T(test_informer_resumes_after_outage),
    };
#undef T
    int failed = cmocka_run_group_tests_name("kube client through faults", tests, setup, teardown);
    curl_global_cleanup();
    return failed;
}
