/*
 * Unit tests of metrics rendering (Prometheus text format: families sorted, labels escaped,
 * histogram buckets cumulative) and of the HTTP endpoint server on a loopback port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_metrics_render(void **state);
void test_http_server(void **state);

void test_metrics_render(void **state)
{
    (void)state;
    ed_metrics *m = ed_metrics_new();
    ed_metrics_describe(m, "gotk_reconcile_duration_seconds", ED_METRIC_HISTOGRAM,
                        "The duration in seconds of a GitOps Toolkit resource reconciliation.");
    ed_metrics_describe(m, "eddy_drift_total", ED_METRIC_COUNTER, "Drift corrections.");
    ed_buf labels = ED_BUF_INIT(1024);
    ed_metrics_labels(&labels, "kind", "Kustomization", "name", "apps", "namespace",
                      "flux \"system\"\\", NULL);
    ed_metrics_observe(m, "gotk_reconcile_duration_seconds", labels.data, 0.2);
    ed_metrics_observe(m, "gotk_reconcile_duration_seconds", labels.data, 3);
    ed_metrics_counter_add(m, "eddy_drift_total", NULL, 2);
    ed_metrics_counter_add(m, "eddy_drift_total", NULL, -1); /* counters never go down */
    ed_metrics_gauge_set(m, "undeclared", NULL, 1);          /* ignored */
    ed_buf out = ED_BUF_INIT(1 << 20);
    assert_int_equal(ed_metrics_render(m, &out), 0);
    const char *s = out.data;
    /* Families sorted by name: eddy_ before gotk_. */
    assert_true(strstr(s, "# TYPE eddy_drift_total counter\neddy_drift_total 2\n") != NULL);
    assert_true(strstr(s, "eddy_drift_total") < strstr(s, "gotk_reconcile"));
    const char *l = "kind=\"Kustomization\",name=\"apps\",namespace=\"flux \\\"system\\\"\\\\\"";
    char want[512];
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_bucket{%s,le=\"0.1\"} 0\n", l);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_bucket{%s,le=\"0.25\"} 1\n", l);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_bucket{%s,le=\"5\"} 2\n", l);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_bucket{%s,le=\"+Inf\"} 2\n", l);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_count{%s} 2\n", l);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof(want), "gotk_reconcile_duration_seconds_sum{%s} 3.2000000000000002\n", l);
    assert_non_null(strstr(s, want));
    assert_null(strstr(s, "undeclared"));
    ed_metrics_delete(m, "gotk_reconcile_duration_seconds", labels.data);
    ed_buf_reset(&out);
    ed_metrics_render(m, &out);
    assert_null(strstr(out.data, "_bucket"));
    ed_buf_free(&out);
    ed_buf_free(&labels);
    ed_metrics_free(m);
}

static int ready_handler(ed_buf *out, const char **content_type, void *user)
{
    (void)content_type;
    bool *ready = user;
    ed_buf_append_str(out, *ready ? "ok\n" : "not ready\n");
    return *ready ? 200 : 503;
}

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    return ed_buf_append(user, data, size * n) == 0 ? size * n : 0;
}

static long fetch(int port, const char *path, ed_buf *body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    ed_buf_reset(body);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

void test_http_server(void **state)
{
    (void)state;
    ed_http_server *srv = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_http_start("127.0.0.1:0", &srv, &err), 0);
    int port = ed_http_port(srv);
    assert_true(port > 0);
    bool ready = false;
    ed_http_handle(srv, "/readyz", ready_handler, &ready);
    ed_buf body = ED_BUF_INIT(4096);
    assert_int_equal(fetch(port, "/readyz", &body), 503);
    assert_string_equal(body.data, "not ready\n");
    ready = true;
    assert_int_equal(fetch(port, "/readyz", &body), 200);
    assert_string_equal(body.data, "ok\n");
    assert_int_equal(fetch(port, "/nope", &body), 404);
    ed_buf_free(&body);
    ed_http_stop(srv);
    /* Bad addresses are refused with a reason. */
    assert_int_equal(ed_http_start("8080", &srv, &err), ED_EINVALID);
    assert_int_equal(ed_http_start("nohost:80", &srv, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "not an IPv4 address"));
}
