/*
 * bench/kube/informer_sync.c: how long an informer of every ConfigMap takes from
 * ed_informer_start to synced, and how much memory its cache costs next to the JSON it holds.
 *
 *   informer_sync KUBECONFIG
 *
 * Prints key=value lines for bench/kube/run: sync_ms, objects, json_bytes (the compact JSON of
 * every cached object, as ed_informer_get returns it), heap_* (bytes malloc has handed out and
 * not got back: the cache's real cost), rss_* (the process' resident set, in KiB, before the
 * start, right after sync, and after malloc_trim gave freed memory back to the system) and
 * hwm_kb (the peak resident set). The client-side rate limit is off (qps 0): the list's pages
 * go out as fast as the server answers.
 */
#include "runtime/runtime.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "Vm...:" field of /proc/self/status, in KiB. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    }
    if (f)
        fclose(f);
    return v;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: informer_sync KUBECONFIG\n");
        return 2;
    }
    ed_err err = ED_ERR_INIT;
    ed_kube_load_opts lo = {.kubeconfig = argv[1]};
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    if (ed_kube_config_load(&lo, &cfg, &err) != 0) {
        fprintf(stderr, "informer_sync: %s\n", err.msg);
        return 1;
    }
    cfg->qps = 0; /* no client-side rate limit */
    if (ed_kube_new(cfg, &kube, &err) != 0) {
        fprintf(stderr, "informer_sync: %s\n", err.msg);
        return 1;
    }
    ed_kube_config_free(cfg);
    /* Discovery and the first connection happen before the clock starts: they are not the
     * informer's. */
    ed_kube_resource res;
    if (ed_kube_resource_for(kube, "v1", "ConfigMap", &res, &err) != 0) {
        fprintf(stderr, "informer_sync: %s\n", err.msg);
        return 1;
    }
    malloc_trim(0);
    long rss0 = status_kb("VmRSS:");
    size_t heap0 = heap_in_use();

    ed_informer_opts io = {.api_version = "v1", .kind = "ConfigMap"};
    ed_informer *inf = ed_informer_new(kube, &io);
    int64_t t0 = ed_time_mono_ms();
    if (ed_informer_start(inf, &err) != 0 || !ed_informer_wait_synced(inf, 600000)) {
        fprintf(stderr, "informer_sync: no sync in 10 minutes\n");
        return 1;
    }
    int64_t sync_ms = ed_time_mono_ms() - t0;
    size_t objects = ed_informer_len(inf);
    long rss1 = status_kb("VmRSS:");
    long hwm = status_kb("VmHWM:");
    size_t heap1 = heap_in_use();
    malloc_trim(0);
    long rss2 = status_kb("VmRSS:");

    /* The JSON the cache holds: every object as the cache gives it back, in compact JSON. */
    ed_doc *list = NULL;
    size_t json_bytes = 0, counted = 0;
    if (ed_kube_list(kube, "v1", "ConfigMap", NULL, NULL, &list, &err) != 0) {
        fprintf(stderr, "informer_sync: %s\n", err.msg);
        return 1;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    for (size_t i = 0; i < ed_node_len(items); i++) {
        ed_node *meta = ed_node_get(ed_node_at(items, i), "metadata");
        ed_doc *d = ed_informer_get(inf, ed_node_str(ed_node_get(meta, "namespace")),
                                    ed_node_str(ed_node_get(meta, "name")));
        if (!d)
            continue;
        ed_buf b = ED_BUF_INIT((size_t)64 << 20);
        ed_node_to_json(ed_doc_root(d), &b);
        json_bytes += b.len;
        counted++;
        ed_buf_free(&b);
        ed_doc_free(d);
    }
    ed_doc_free(list);

    printf("sync_ms=%lld\nobjects=%zu\njson_objects=%zu\njson_bytes=%zu\n", (long long)sync_ms,
           objects, counted, json_bytes);
    printf("heap_before=%zu\nheap_after=%zu\n", heap0, heap1);
    printf("rss_before_kb=%ld\nrss_after_kb=%ld\nrss_after_trim_kb=%ld\nhwm_kb=%ld\n", rss0, rss1,
           rss2, hwm);
    ed_informer_free(inf);
    ed_kube_free(kube);
    return 0;
}
