/*
 * status.history of a Kustomization, as Flux keeps it (fluxcd/pkg/apis/meta History): one
 * entry per distinct build digest (sha256 of the built YAML) and result (the Ready reason),
 * with firstReconciled, lastReconciled, lastReconciledDuration, totalReconciliations and
 * metadata (revision, and originRevision when the source's artifact names one); a reconcile with
 * the same digest and result updates its entry, another one adds an entry; the newest first, five
 * at most.
 */
#include "ks_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_MAX 5

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *last_reconciled(const ed_node *e)
{
    const char *t = ed_node_path_str(e, "/lastReconciled");
    return t ? t : "";
}

/* Stable sort by lastReconciled, newest first (RFC 3339 in UTC orders as text). */
static void sort_newest_first(ed_node **items, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ed_node *x = items[i];
        const char *t = last_reconciled(x);
        size_t j = i;
        while (j > 0 && strcmp(last_reconciled(items[j - 1]), t) < 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
}

/* Flux's history metadata: the revision, and the origin revision when there is one. An entry
 * that repeats takes the latest reconcile's metadata whole, as Flux's Upsert replaces it. */
static ed_node *history_metadata(ed_doc *d, const char *revision, const char *origin_revision)
{
    ed_node *meta = ed_node_new_map(d);
    if (revision)
        ed_node_set(d, meta, "revision", ed_node_new_str(d, revision));
    if (origin_revision)
        ed_node_set(d, meta, "originRevision", ed_node_new_str(d, origin_revision));
    return meta;
}

void ed_ks_history_record(ed_doc *d, ed_node *status, const ed_node *old, const char *digest,
                          const char *result, const char *revision, const char *origin_revision,
                          int64_t duration_ns)
{
    char now[32], took[32];
    ed_time_rfc3339(time(NULL), now);
    ed_duration_string(duration_ns, took);
    size_t n = ed_node_len(old);
    ed_node **items = ed_xcalloc(n + 1, sizeof(ed_node *));
    size_t count = 0;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        ed_node *e = ed_node_copy(d, ed_node_at(old, i));
        if (!found && same(ed_node_path_str(e, "/digest"), digest) &&
            same(ed_node_path_str(e, "/lastReconciledStatus"), result)) {
            int64_t total = 0;
            ed_node_int(ed_node_get(e, "totalReconciliations"), &total);
            ed_node_set(d, e, "totalReconciliations", ed_node_new_int(d, total + 1));
            ed_node_set(d, e, "lastReconciled", ed_node_new_str(d, now));
            ed_node_set(d, e, "lastReconciledDuration", ed_node_new_str(d, took));
            if (revision)
                ed_node_set(d, e, "metadata", history_metadata(d, revision, origin_revision));
            found = true;
        }
        items[count++] = e;
    }
    if (!found) {
        ed_node *e = ed_node_new_map(d);
        ed_node_set(d, e, "digest", ed_node_new_str(d, digest));
        ed_node_set(d, e, "firstReconciled", ed_node_new_str(d, now));
        ed_node_set(d, e, "lastReconciled", ed_node_new_str(d, now));
        ed_node_set(d, e, "lastReconciledDuration", ed_node_new_str(d, took));
        ed_node_set(d, e, "lastReconciledStatus", ed_node_new_str(d, result));
        ed_node_set(d, e, "totalReconciliations", ed_node_new_int(d, 1));
        if (revision)
            ed_node_set(d, e, "metadata", history_metadata(d, revision, origin_revision));
        memmove(items + 1, items, count * sizeof(ed_node *)); /* the newest goes first */
        items[0] = e;
        count++;
    }
    sort_newest_first(items, count);
    ed_node *seq = ed_node_new_seq(d);
    for (size_t i = 0; i < count && i < HISTORY_MAX; i++)
        ed_node_append(d, seq, items[i]);
    ed_node_set(d, status, "history", seq);
    free(items);
}
