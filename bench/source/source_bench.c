/*
 * bench/source/source_bench.c: one GitRepository reconcile's Git work through the source
 * module's API, one per process so that the peak RSS (getrusage ru_maxrss) belongs to it alone:
 *
 *   source_bench STORAGE URL BRANCH USER PASSWORD ARTIFACT
 *
 * ed_source_git_fetch of BRANCH from URL with the cache in STORAGE (basic auth from USER and
 * PASSWORD, as a Secret's data), then, when the fetch brought something new or ARTIFACT does
 * not exist yet, ed_source_git_artifact_build of the commit to ARTIFACT (the tar.gz a
 * GitRepository serves). Prints "name value" lines: fetch_ms, artifact_ms, total_ms, cpu_ms
 * (user + system), peak_rss_kib (fetch_peak_rss_kib: the peak before the artifact; rss_before_kib:
 * at the start), ref_listings, fetched,
 * received_objects, received_bytes, artifact_bytes, revision.
 */
#include "source/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

static int fail(const char *what, const ed_err *err)
{
    fprintf(stderr, "source_bench: %s: %s\n", what, err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: source_bench STORAGE URL BRANCH USER PASSWORD ARTIFACT\n");
        return 2;
    }
    const char *storage = argv[1], *url = argv[2], *artifact = argv[6];
    long before = peak_kib();
    int64_t t0 = ed_time_mono_ms();
    ed_err err = ED_ERR_INIT;
    ed_source_cache *cache = NULL;
    if (ed_source_cache_open(&cache, storage, &err) != 0)
        return fail("cache", &err);
    ed_source_secret_entry secret[] = {
        {"username", argv[4], strlen(argv[4])},
        {"password", argv[5], strlen(argv[5])},
    };
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = url;
    fo.ref.branch = argv[3];
    fo.secret = secret;
    fo.secret_len = 2;
    ed_source_git_result res;
    if (ed_source_git_fetch(cache, &fo, &res, &err) != 0)
        return fail("fetch", &err);
    int64_t t1 = ed_time_mono_ms();
    long fetch_peak = peak_kib();
    struct stat st;
    ed_source_artifact_info info = {0};
    bool build = res.fetched || stat(artifact, &st) != 0;
    if (build &&
        ed_source_git_artifact_build(cache, url, res.commit, NULL, artifact, &info, &err) != 0)
        return fail("artifact", &err);
    int64_t t2 = ed_time_mono_ms();
    printf("fetch_ms %lld\n", (long long)(t1 - t0));
    printf("artifact_ms %lld\n", (long long)(build ? t2 - t1 : 0));
    printf("total_ms %lld\n", (long long)(t2 - t0));
    printf("cpu_ms %ld\n", cpu_ms());
    printf("peak_rss_kib %ld\n", peak_kib());
    printf("fetch_peak_rss_kib %ld\n", fetch_peak);
    printf("rss_before_kib %ld\n", before);
    printf("ref_listings %d\n", res.ref_listings);
    printf("fetched %d\n", res.fetched ? 1 : 0);
    printf("received_objects %llu\n", (unsigned long long)res.received_objects);
    printf("received_bytes %llu\n", (unsigned long long)res.received_bytes);
    printf("artifact_bytes %lld\n", (long long)info.size);
    printf("revision %s\n", res.revision);
    ed_source_cache_free(cache);
    return 0;
}
