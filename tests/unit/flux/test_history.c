/*
 * status.history of a Kustomization (src/controllers/ks_history.c): one entry per digest and
 * result, updated in place when both repeat, the newest first, five at most.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controllers/ks_int.h"

#include <stdio.h>
#include <string.h>

#include "flux_tests.h"

/* Record one reconcile on top of history (a document whose root is the history sequence, or
 * NULL); returns the new history document. */
static ed_doc *record_origin(ed_doc *history, const char *digest, const char *result,
                             const char *rev, const char *origin)
{
    ed_doc *d = ed_doc_new();
    ed_node *status = ed_node_new_map(d);
    ed_doc_set_root(d, status);
    ed_ks_history_record(d, status, history ? ed_doc_root(history) : NULL, digest, result, rev,
                         origin, 1234567891);
    ed_doc *out = ed_doc_new();
    ed_doc_set_root(out, ed_node_copy(out, ed_node_get(status, "history")));
    ed_doc_free(d);
    ed_doc_free(history);
    return out;
}

static ed_doc *record(ed_doc *history, const char *digest, const char *result, const char *rev)
{
    return record_origin(history, digest, result, rev, NULL);
}

static const char *at(const ed_doc *h, size_t i, const char *path)
{
    return ed_node_path_str(ed_node_at(ed_doc_root(h), i), path);
}

void test_history(void **state)
{
    (void)state;
    ed_doc *h = record(NULL, "sha256:a", "ReconciliationSucceeded", "main@sha1:1");
    assert_int_equal(ed_node_len(ed_doc_root(h)), 1);
    assert_string_equal(at(h, 0, "/digest"), "sha256:a");
    /* the measured time as Go writes it, to the nanosecond (Flux's metav1.Duration) */
    assert_string_equal(at(h, 0, "/lastReconciledDuration"), "1.234567891s");
    assert_string_equal(at(h, 0, "/metadata/revision"), "main@sha1:1");
    assert_null(at(h, 0, "/metadata/originRevision"));
    assert_non_null(at(h, 0, "/firstReconciled"));
    /* The same build and result again: one entry, counted twice. */
    h = record(h, "sha256:a", "ReconciliationSucceeded", "main@sha1:1");
    assert_int_equal(ed_node_len(ed_doc_root(h)), 1);
    int64_t total = 0;
    assert_true(
        ed_node_int(ed_node_path(ed_node_at(ed_doc_root(h), 0), "/totalReconciliations"), &total));
    assert_int_equal(total, 2);
    /* Another result of the same build, then other builds: new entries, newest first. */
    h = record(h, "sha256:a", "HealthCheckFailed", "main@sha1:1");
    assert_int_equal(ed_node_len(ed_doc_root(h)), 2);
    assert_string_equal(at(h, 0, "/lastReconciledStatus"), "HealthCheckFailed");
    char digest[32];
    for (int i = 0; i < 6; i++) {
        snprintf(digest, sizeof(digest), "sha256:b%d", i);
        h = record(h, digest, "ReconciliationSucceeded", "main@sha1:2");
    }
    assert_int_equal(ed_node_len(ed_doc_root(h)), 5);
    assert_string_equal(at(h, 0, "/digest"), "sha256:b5");
    assert_string_equal(at(h, 4, "/digest"), "sha256:b1");
    ed_doc_free(h);
}

/* An artifact with an origin revision (an OCI artifact's org.opencontainers.image.revision)
 * puts it in the entry's metadata beside the revision, as Flux's historyMeta; a repeat takes
 * the latest reconcile's metadata whole. */
void test_history_origin_revision(void **state)
{
    (void)state;
    ed_doc *h = record_origin(NULL, "sha256:a", "ReconciliationSucceeded", "latest@sha256:1",
                              "main@sha1:abc");
    assert_string_equal(at(h, 0, "/metadata/revision"), "latest@sha256:1");
    assert_string_equal(at(h, 0, "/metadata/originRevision"), "main@sha1:abc");
    h = record_origin(h, "sha256:a", "ReconciliationSucceeded", "latest@sha256:1", "main@sha1:def");
    assert_int_equal(ed_node_len(ed_doc_root(h)), 1);
    assert_string_equal(at(h, 0, "/metadata/originRevision"), "main@sha1:def");
    h = record(h, "sha256:a", "ReconciliationSucceeded", "latest@sha256:1");
    assert_int_equal(ed_node_len(ed_doc_root(h)), 1);
    assert_null(at(h, 0, "/metadata/originRevision"));
    ed_doc_free(h);
}
