/*
 * Metrics in the Prometheus text exposition format (version 0.0.4): counters, gauges and
 * histograms, each a family of series told apart by their labels. Controllers record with the
 * names Flux uses (gotk_reconcile_duration_seconds, ...); /metrics renders everything, families
 * and series sorted so the output is stable.
 */
#include "runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prometheus' default buckets, which controller-runtime uses for reconcile durations. */
static const double default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(default_buckets) / sizeof(default_buckets[0]))

struct series {
    double value;               /* counter, gauge; histogram: sum */
    uint64_t count;             /* histogram */
    uint64_t buckets[NBUCKETS]; /* histogram: cumulative counts per upper bound */
};

struct family {
    ed_metric_type type;
    char *help;
    ed_strmap *series; /* labels -> struct series */
};

struct ed_metrics {
    pthread_mutex_t lock;
    ed_strmap *families; /* name -> struct family */
};

ed_metrics *ed_metrics_new(void)
{
    ed_metrics *m = ed_xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->families = ed_strmap_new();
    return m;
}

static void free_family(struct family *f)
{
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(f->series, &pos, &k, &v))
        free(v);
    ed_strmap_free(f->series);
    free(f->help);
    free(f);
}

void ed_metrics_free(ed_metrics *m)
{
    if (!m)
        return;
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(m->families, &pos, &k, &v))
        free_family(v);
    ed_strmap_free(m->families);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void ed_metrics_describe(ed_metrics *m, const char *name, ed_metric_type type, const char *help)
{
    pthread_mutex_lock(&m->lock);
    struct family *f = ed_strmap_get(m->families, name);
    if (!f) {
        f = ed_xcalloc(1, sizeof(*f));
        f->series = ed_strmap_new();
        ed_strmap_put(m->families, name, f);
    }
    f->type = type;
    free(f->help);
    f->help = ed_xstrdup(help);
    pthread_mutex_unlock(&m->lock);
}

/* The series of name{labels}, created on first use; call with the lock held. NULL when the
 * family was never described (a programming error, reported once per call). */
static struct series *series_for(ed_metrics *m, const char *name, const char *labels,
                                 ed_metric_type type)
{
    struct family *f = ed_strmap_get(m->families, name);
    if (!f || f->type != type)
        return NULL;
    struct series *s = ed_strmap_get(f->series, labels ? labels : "");
    if (!s) {
        s = ed_xcalloc(1, sizeof(*s));
        ed_strmap_put(f->series, labels ? labels : "", s);
    }
    return s;
}

void ed_metrics_counter_add(ed_metrics *m, const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(m, name, labels, ED_METRIC_COUNTER);
    if (s && v > 0)
        s->value += v;
    pthread_mutex_unlock(&m->lock);
}

void ed_metrics_gauge_set(ed_metrics *m, const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(m, name, labels, ED_METRIC_GAUGE);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&m->lock);
}

void ed_metrics_observe(ed_metrics *m, const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(m, name, labels, ED_METRIC_HISTOGRAM);
    if (s) {
        s->value += v;
        s->count++;
        for (size_t i = 0; i < NBUCKETS; i++)
            if (v <= default_buckets[i])
                s->buckets[i]++;
    }
    pthread_mutex_unlock(&m->lock);
}

void ed_metrics_delete(ed_metrics *m, const char *name, const char *labels)
{
    pthread_mutex_lock(&m->lock);
    struct family *f = ed_strmap_get(m->families, name);
    if (f)
        free(ed_strmap_del(f->series, labels ? labels : ""));
    pthread_mutex_unlock(&m->lock);
}

void ed_metrics_labels(ed_buf *out, ...)
{
    va_list ap;
    va_start(ap, out);
    bool first = out->len == 0;
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        ed_buf_printf(out, "%s%s=\"", first ? "" : ",", k);
        first = false;
        /* Label values escape backslash, double quote and newline. */
        for (const char *p = v ? v : ""; *p; p++) {
            if (*p == '\\' || *p == '"')
                ed_buf_printf(out, "\\%c", *p);
            else if (*p == '\n')
                ed_buf_append_str(out, "\\n");
            else
                ed_buf_append(out, p, 1);
        }
        ed_buf_append(out, "\"", 1);
    }
    va_end(ap);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a map, sorted; the caller frees the array (not the keys). */
static const char **sorted_keys(const ed_strmap *map, size_t *n)
{
    *n = ed_strmap_len(map);
    const char **keys = ed_xcalloc(*n ? *n : 1, sizeof(*keys));
    size_t pos = 0, i = 0;
    const char *k;
    while (ed_strmap_next(map, &pos, &k, NULL))
        keys[i++] = k;
    qsort(keys, *n, sizeof(*keys), cmp_str);
    return keys;
}

static void number(ed_buf *out, double v)
{
    if (isinf(v))
        ed_buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        ed_buf_append_str(out, "NaN");
    else
        ed_buf_printf(out, "%.17g", v);
}

/* name{labels,extra} — with extra (such as le="0.5") appended to the series' labels. */
static void series_name(ed_buf *out, const char *name, const char *suffix, const char *labels,
                        const char *extra)
{
    ed_buf_printf(out, "%s%s", name, suffix);
    bool has = labels && *labels, has_extra = extra && *extra;
    if (has || has_extra)
        ed_buf_printf(out, "{%s%s%s}", has ? labels : "", has && has_extra ? "," : "",
                      has_extra ? extra : "");
    ed_buf_append(out, " ", 1);
}

int ed_metrics_render(ed_metrics *m, ed_buf *out)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&m->lock);
    size_t nf;
    const char **names = sorted_keys(m->families, &nf);
    for (size_t i = 0; i < nf; i++) {
        struct family *f = ed_strmap_get(m->families, names[i]);
        ed_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", names[i], f->help, names[i],
                      type_names[f->type]);
        size_t ns;
        const char **labels = sorted_keys(f->series, &ns);
        for (size_t j = 0; j < ns; j++) {
            struct series *s = ed_strmap_get(f->series, labels[j]);
            if (f->type != ED_METRIC_HISTOGRAM) {
                series_name(out, names[i], "", labels[j], NULL);
                number(out, s->value);
                ed_buf_append(out, "\n", 1);
                continue;
            }
            for (size_t b = 0; b < NBUCKETS; b++) {
                char le[48];
                snprintf(le, sizeof(le), "le=\"%g\"", default_buckets[b]);
                series_name(out, names[i], "_bucket", labels[j], le);
                ed_buf_printf(out, "%llu\n", (unsigned long long)s->buckets[b]);
            }
            series_name(out, names[i], "_bucket", labels[j], "le=\"+Inf\"");
            ed_buf_printf(out, "%llu\n", (unsigned long long)s->count);
            series_name(out, names[i], "_sum", labels[j], NULL);
            number(out, s->value);
            ed_buf_append(out, "\n", 1);
            series_name(out, names[i], "_count", labels[j], NULL);
            ed_buf_printf(out, "%llu\n", (unsigned long long)s->count);
        }
        free(labels);
    }
    free(names);
    pthread_mutex_unlock(&m->lock);
    return out->len >= out->max ? ED_ETOOBIG : 0;
}
