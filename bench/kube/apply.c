/*
 * bench/kube/apply.c: server-side apply throughput of the kube client, as the
 * kustomize-controller drives it: THREADS threads share one ed_kube client and each applies its
 * share of COUNT ConfigMaps (about 1 KiB of data each) with ed_kube_apply, field manager
 * kustomize-controller.
 *
 *   apply KUBECONFIG NAMESPACE PREFIX COUNT THREADS [BODIES]
 *
 * With BODIES, nothing is applied: the exact request body of each object (the compact JSON
 * ed_kube_apply sends) is written to the file BODIES, one a line, for the curl floor.
 *
 * Objects are PREFIX-00000... in NAMESPACE; thread t applies objects t, t+THREADS, ... in order,
 * as bench/kube/run's curl loops do. The objects are built before the clock starts (a
 * controller has them from its kustomize build); the clock covers the applies only, replies not
 * parsed (out NULL). The client-side rate limit is off (qps 0). Prints key=value lines: ms, ok,
 * failed, cpu_ms (the process' user+system CPU time over the applies) and the first error.
 */
#include "kube/kube.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

static ed_kube *kube;
static ed_doc **objs;
static long count, threads;
static int failed;
static char first_error[2048];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static ed_doc *configmap(const char *ns, const char *prefix, long i)
{
    /* About 1 KiB of data that differs from object to object. */
    char payload[1025];
    unsigned x = (unsigned)i * 2654435761u + 1;
    for (size_t k = 0; k < sizeof(payload) - 1; k++) {
        x = x * 1103515245u + 12345u;
        payload[k] = "abcdefghijklmnopqrstuvwxyz0123456789"[(x >> 16) % 36];
    }
    payload[sizeof(payload) - 1] = '\0';
    char *json = ed_xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                              "{\"name\":\"%s-%05ld\",\"namespace\":\"%s\"},"
                              "\"data\":{\"payload\":\"%s\"}}",
                              prefix, i, ns, payload);
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(json, strlen(json), &d, &err) != 0) {
        fprintf(stderr, "apply: %s\n", err.msg);
        exit(1);
    }
    free(json);
    return d;
}

static int64_t cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    ed_kube_opts opts = {.field_manager = "kustomize-controller"};
    for (long i = t; i < count; i += threads) {
        ed_err err = ED_ERR_INIT;
        if (ed_kube_apply(kube, ed_doc_root(objs[i]), &opts, NULL, &err) != 0) {
            pthread_mutex_lock(&lock);
            if (!failed++)
                snprintf(first_error, sizeof(first_error), "%s", err.msg);
            pthread_mutex_unlock(&lock);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: apply KUBECONFIG NAMESPACE PREFIX COUNT THREADS [BODIES]\n");
        return 2;
    }
    count = strtol(argv[4], NULL, 10);
    threads = strtol(argv[5], NULL, 10);
    if (count <= 0 || threads <= 0 || threads > 256) {
        fprintf(stderr, "apply: bad COUNT or THREADS\n");
        return 2;
    }
    if (argc == 7) {
        FILE *f = fopen(argv[6], "w");
        if (!f) {
            perror(argv[6]);
            return 1;
        }
        for (long i = 0; i < count; i++) {
            ed_doc *d = configmap(argv[2], argv[3], i);
            ed_buf b = ED_BUF_INIT((size_t)1 << 20);
            ed_node_to_json(ed_doc_root(d), &b);
            fprintf(f, "%s\n", b.data);
            ed_buf_free(&b);
            ed_doc_free(d);
        }
        return fclose(f) == 0 ? 0 : 1;
    }
    ed_err err = ED_ERR_INIT;
    ed_kube_load_opts lo = {.kubeconfig = argv[1]};
    ed_kube_config *cfg = NULL;
    if (ed_kube_config_load(&lo, &cfg, &err) != 0) {
        fprintf(stderr, "apply: %s\n", err.msg);
        return 1;
    }
    cfg->qps = 0; /* no client-side rate limit: the floor has none either */
    if (ed_kube_new(cfg, &kube, &err) != 0) {
        fprintf(stderr, "apply: %s\n", err.msg);
        return 1;
    }
    ed_kube_config_free(cfg);
    objs = ed_xcalloc((size_t)count, sizeof(*objs));
    for (long i = 0; i < count; i++)
        objs[i] = configmap(argv[2], argv[3], i);
    /* Discovery before the clock, as in a running controller. */
    ed_kube_resource res;
    if (ed_kube_resource_for(kube, "v1", "ConfigMap", &res, &err) != 0) {
        fprintf(stderr, "apply: %s\n", err.msg);
        return 1;
    }

    pthread_t *tids = ed_xcalloc((size_t)threads, sizeof(*tids));
    int64_t cpu0 = cpu_ms();
    int64_t t0 = ed_time_mono_ms();
    for (long t = 0; t < threads; t++)
        pthread_create(&tids[t], NULL, worker, (void *)(intptr_t)t);
    for (long t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    int64_t ms = ed_time_mono_ms() - t0;
    int64_t cpu = cpu_ms() - cpu0;

    printf("ms=%lld\nok=%ld\nfailed=%d\ncpu_ms=%lld\n", (long long)ms, count - failed, failed,
           (long long)cpu);
    if (failed)
        printf("error=%s\n", first_error);
    for (long i = 0; i < count; i++)
        ed_doc_free(objs[i]);
    free(objs);
    free(tids);
    ed_kube_free(kube);
    return failed ? 1 : 0;
}
