/*
 * bench/image/image_bench.c: the image module's costs, one measurement per process so that the
 * peak RSS (getrusage ru_maxrss) belongs to it alone.
 *
 *   image_bench policy N      ImagePolicy evaluation over N generated tags (semver ^1.x with
 *                             pre-releases and non-versions mixed in; numerical over an
 *                             extracted timestamp; alphabetical), 5 rounds each, median ms
 *   image_bench scan HOSTPORT REPO
 *                             one ImageRepository scan: the tag listing with Link pagination
 *                             (plain HTTP), exclusionList, summary and the list written to disk
 *
 * Prints "name value unit" lines.
 */
#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t median_ms(const ed_policy_spec *spec, const char *const *tags, size_t n,
                         const char **chosen)
{
    int64_t t[5];
    for (int r = 0; r < 5; r++) {
        int64_t t0 = ed_time_mono_ms();
        ed_err err = ED_ERR_INIT;
        if (ed_policy_latest(spec, tags, n, chosen, &err) != 0) {
            fprintf(stderr, "policy: %s\n", err.msg);
            exit(1);
        }
        t[r] = ed_time_mono_ms() - t0;
    }
    qsort(t, 5, sizeof(t[0]), cmp_i64);
    return t[2];
}

static int policy(size_t n)
{
    char **tags = ed_xcalloc(n + 1, sizeof(*tags));
    for (size_t i = 0; i < n; i++) {
        switch (i % 5) {
        case 0:
            tags[i] = ed_xasprintf("1.%zu.%zu", i / 100 % 500, i % 100);
            break;
        case 1:
            tags[i] = ed_xasprintf("2.%zu.0-rc.%zu", i % 50, i % 7);
            break;
        case 2:
            tags[i] = ed_xasprintf("main-%07zx-%zu", i * 2654435761u % 0xfffffff,
                                   1700000000 + i);
            break;
        case 3:
            tags[i] = ed_xasprintf("v1.%zu.%zu", i % 300, i % 13);
            break;
        default:
            tags[i] = ed_xasprintf("build-%zu", i);
        }
    }
    const char *const *t = (const char *const *)tags;
    const char *chosen = NULL;
    ed_policy_spec semver = {.kind = ED_POLICY_SEMVER, .range = "^1.x"};
    int64_t ms = median_ms(&semver, t, n, &chosen);
    printf("policy_semver_ms %lld ms (%zu tags, chose %s)\n", (long long)ms, n, chosen);
    ed_policy_spec numerical = {.kind = ED_POLICY_NUMERICAL,
                                .filter = "^main-[a-f0-9]+-(?P<ts>[0-9]+)$",
                                .extract = "$ts"};
    ms = median_ms(&numerical, t, n, &chosen);
    printf("policy_numerical_filter_ms %lld ms (chose %s)\n", (long long)ms, chosen);
    ed_policy_spec alpha = {.kind = ED_POLICY_ALPHABETICAL};
    ms = median_ms(&alpha, t, n, &chosen);
    printf("policy_alphabetical_ms %lld ms (chose %s)\n", (long long)ms, chosen);
    printf("policy_peak_rss %ld KiB\n", peak_kib());
    ed_registry_tags_free(tags);
    return 0;
}

static int scan(const char *hostport, const char *repo)
{
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    char *image = ed_xasprintf("%s/%s", hostport, repo);
    if (ed_image_ref_parse(image, &ref, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    free(image);
    long before = peak_kib();
    int64_t t0 = ed_time_mono_ms();
    ed_registry_opts o = {.insecure = true};
    char **tags = NULL;
    size_t n = 0;
    if (ed_registry_tags(&ref, &o, &tags, &n, &err) != 0) {
        fprintf(stderr, "scan: %s\n", err.msg);
        return 1;
    }
    int64_t t1 = ed_time_mono_ms();
    const char *excl[] = {"^.*\\.sig$"};
    char rev[65];
    char dir[] = "/tmp/eddy-bench-scan-XXXXXX";
    if (!mkdtemp(dir) || ed_image_exclude(tags, &n, excl, 1, &err) != 0)
        return 1;
    ed_image_tags_summary(tags, n, rev);
    if (ed_image_tags_save(dir, "ns", "repo", (const char *const *)tags, n, &err) != 0)
        return 1;
    int64_t t2 = ed_time_mono_ms();
    ed_path_remove_tree(dir);
    printf("scan_list_ms %lld ms (%zu tags)\n", (long long)(t1 - t0), n);
    printf("scan_total_ms %lld ms (list + exclusions + summary + write)\n", (long long)(t2 - t0));
    printf("scan_peak_rss %ld KiB (before the scan: %ld KiB)\n", peak_kib(), before);
    ed_registry_tags_free(tags);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "policy") == 0)
        return policy((size_t)strtoul(argv[2], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "scan") == 0)
        return scan(argv[2], argv[3]);
    fprintf(stderr, "usage: image_bench policy N | scan HOSTPORT REPO\n");
    return 2;
}
