/*
 * Events forwarded to notification-controller (notify.c): Flux's event/v1 JSON, and the
 * forwarder's delivery against a small HTTP receiver on loopback (a 5xx retried, a 429 not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void test_notify_json(void **state);
void test_notify_delivery(void **state);

static ed_doc *parse(const char *json)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(json, strlen(json), &d, &err) != 0)
        fail_msg("%s: %s", err.msg, json);
    return d;
}

static const char object_json[] =
    "{\"apiVersion\":\"kustomize.toolkit.fluxcd.io/v1\",\"kind\":\"Kustomization\","
    "\"metadata\":{\"name\":\"apps\",\"namespace\":\"flux-system\",\"uid\":\"u-1\","
    "\"resourceVersion\":\"42\",\"annotations\":{\"event.toolkit.fluxcd.io/env\":\"prod\","
    "\"other.example.com/x\":\"no\"}}}";

void test_notify_json(void **state)
{
    (void)state;
    ed_doc *obj = parse(object_json);
    const char *anns[] = {"kustomize.toolkit.fluxcd.io/revision", "main@sha1:abc", NULL};
    ed_kube_event ev = {.regarding = ed_doc_root(obj),
                        .type = ED_KUBE_EVENT_WARNING,
                        .reason = "HealthCheckFailed",
                        .note = "timeout \"waiting\"",
                        .action = "Reconcile",
                        .reporting_controller = "kustomize-controller",
                        .reporting_instance = "eddy-0",
                        .annotations = anns};
    char *json = ed_notifier_event_json(&ev, 1700000000);
    ed_doc *d = parse(json);
    const ed_node *r = ed_doc_root(d);
    assert_string_equal(ed_node_path_str(r, "/involvedObject/kind"), "Kustomization");
    assert_string_equal(ed_node_path_str(r, "/involvedObject/apiVersion"),
                        "kustomize.toolkit.fluxcd.io/v1");
    assert_string_equal(ed_node_path_str(r, "/involvedObject/namespace"), "flux-system");
    assert_string_equal(ed_node_path_str(r, "/involvedObject/name"), "apps");
    assert_string_equal(ed_node_path_str(r, "/involvedObject/uid"), "u-1");
    assert_string_equal(ed_node_path_str(r, "/involvedObject/resourceVersion"), "42");
    assert_string_equal(ed_node_path_str(r, "/severity"), "error");
    assert_string_equal(ed_node_path_str(r, "/timestamp"), "2023-11-14T22:13:20Z");
    assert_string_equal(ed_node_path_str(r, "/message"), "timeout \"waiting\"");
    assert_string_equal(ed_node_path_str(r, "/reason"), "HealthCheckFailed");
    assert_string_equal(ed_node_path_str(r, "/reportingController"), "kustomize-controller");
    assert_string_equal(ed_node_path_str(r, "/reportingInstance"), "eddy-0");
    const ed_node *meta = ed_node_path(r, "/metadata");
    assert_int_equal(ed_node_len(meta), 2);
    assert_string_equal(ed_node_str(ed_node_get(meta, "kustomize.toolkit.fluxcd.io/revision")),
                        "main@sha1:abc");
    assert_string_equal(ed_node_str(ed_node_get(meta, "event.toolkit.fluxcd.io/env")), "prod");
    ed_doc_free(d);
    free(json);
    /* Normal is "info"; the host name stands in for a missing instance. */
    ev.type = ED_KUBE_EVENT_NORMAL;
    ev.reporting_instance = NULL;
    ev.annotations = NULL;
    json = ed_notifier_event_json(&ev, 1700000000);
    d = parse(json);
    r = ed_doc_root(d);
    assert_string_equal(ed_node_path_str(r, "/severity"), "info");
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    assert_string_equal(ed_node_path_str(r, "/reportingInstance"), host);
    assert_int_equal(ed_node_len(ed_node_path(r, "/metadata")), 1);
    ed_doc_free(d);
    free(json);
    ed_doc_free(obj);
}

/* A receiver on loopback: answers each request with the next status of its script (the last
 * one repeats) and keeps the bodies. */
struct receiver {
    int fd;
    int port;
    const int *statuses;
    size_t nstatuses;
    pthread_mutex_t lock;
    int requests;
    char bodies[8][4096];
};

static void *receive(void *arg)
{
    struct receiver *rv = arg;
    for (;;) {
        int c = accept(rv->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char req[8192];
        size_t got = 0;
        long want = -1;
        while (got < sizeof(req) - 1) {
            ssize_t r = read(c, req + got, sizeof(req) - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            char *end = strstr(req, "\r\n\r\n");
            if (end && want < 0) {
                char *cl = strcasestr(req, "Content-Length:");
                want = (long)(end + 4 - req) + (cl ? strtol(cl + 15, NULL, 10) : 0);
            }
            if (want >= 0 && (long)got >= want)
                break;
        }
        pthread_mutex_lock(&rv->lock);
        int n = rv->requests++;
        int status = rv->statuses[(size_t)n < rv->nstatuses ? (size_t)n : rv->nstatuses - 1];
        char *body = strstr(req, "\r\n\r\n");
        if (n < 8)
            snprintf(rv->bodies[n], sizeof(rv->bodies[n]), "%s", body ? body + 4 : "");
        pthread_mutex_unlock(&rv->lock);
        char resp[128];
        int len =
            snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        ssize_t unused = write(c, resp, (size_t)len);
        (void)unused;
        close(c);
    }
}

static void receiver_start(struct receiver *rv, pthread_t *t)
{
    rv->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(rv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(rv->fd, (struct sockaddr *)&a, &al);
    rv->port = ntohs(a.sin_port);
    assert_int_equal(listen(rv->fd, 8), 0);
    pthread_mutex_init(&rv->lock, NULL);
    assert_int_equal(pthread_create(t, NULL, receive, rv), 0);
}

static void receiver_stop(struct receiver *rv, pthread_t t)
{
    shutdown(rv->fd, SHUT_RDWR);
    close(rv->fd);
    pthread_join(t, NULL);
    pthread_mutex_destroy(&rv->lock);
}

static int requests(struct receiver *rv)
{
    pthread_mutex_lock(&rv->lock);
    int n = rv->requests;
    pthread_mutex_unlock(&rv->lock);
    return n;
}

void test_notify_delivery(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    assert_null(ed_notifier_new("ftp://h/", &err));
    assert_non_null(strstr(err.msg, "--events-addr must be an http:// or https:// URL"));
    assert_int_equal(ed_notifier_check_url("http:///x", &err), ED_EINVALID);

    /* A 503 is retried (after a second); the next answer, 202, delivers it. */
    static const int flaky[] = {503, 202};
    struct receiver rv = {.statuses = flaky, .nstatuses = 2};
    pthread_t t;
    receiver_start(&rv, &t);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv.port);
    ed_notifier *n = ed_notifier_new(url, &err);
    assert_non_null(n);
    ed_doc *obj = parse(object_json);
    ed_kube_event ev = {.regarding = ed_doc_root(obj),
                        .type = ED_KUBE_EVENT_NORMAL,
                        .reason = "ReconciliationSucceeded",
                        .note = "Reconciliation finished",
                        .action = "Reconcile",
                        .reporting_controller = "kustomize-controller"};
    ed_notifier_post(&ev, n);
    ed_notifier_stats st = {0};
    for (int i = 0; i < 100 && st.delivered < 1; i++) {
        usleep(50 * 1000);
        ed_notifier_get_stats(n, &st);
    }
    assert_int_equal(st.delivered, 1);
    assert_int_equal(requests(&rv), 2);
    assert_non_null(strstr(rv.bodies[1], "\"reason\":\"ReconciliationSucceeded\""));
    assert_string_equal(rv.bodies[0], rv.bodies[1]);
    ed_notifier_free(n);
    receiver_stop(&rv, t);

    /* A 429 (notification-controller's "duplicate") is not retried; what is queued at the
     * end goes out before the forwarder stops. */
    static const int dup[] = {429, 202};
    struct receiver rv2 = {.statuses = dup, .nstatuses = 2};
    receiver_start(&rv2, &t);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv2.port);
    n = ed_notifier_new(url, &err);
    assert_non_null(n);
    ed_notifier_post(&ev, n);
    ed_notifier_post(&ev, n);
    ed_notifier_free(n);
    assert_int_equal(requests(&rv2), 2);
    receiver_stop(&rv2, t);
    ed_doc_free(obj);
}
