/*
 * Unit tests of the kube module's Events (event.c) that need no API server: notes cut on UTF-8
 * character boundaries, MicroTime formatting, the aggregation cache (repeats, the 10-minute
 * window, LRU eviction, coalescing of concurrent repeats, failed writes) and the checks of an
 * incomplete event, which refuse it before any request. The writes themselves are tested end to
 * end (tests/e2e/c/kube_events.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/client_int.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_tests.h"

void test_event_utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(ed_kube_utf8_prefix("", 4), 0);
    assert_int_equal(ed_kube_utf8_prefix("abc", 4), 3);
    assert_int_equal(ed_kube_utf8_prefix("abcd", 4), 4);
    assert_int_equal(ed_kube_utf8_prefix("abcde", 4), 4);
    /* "ab" + "é" (2 bytes) ends at 4: kept whole. */
    assert_int_equal(ed_kube_utf8_prefix("ab\xc3\xa9z", 4), 4);
    /* "abc" + "é": the é would be split, so it goes. */
    assert_int_equal(ed_kube_utf8_prefix("abc\xc3\xa9", 4), 3);
    /* "a" + "€" (3 bytes, 1..3) + "€": cut after the first €. */
    assert_int_equal(ed_kube_utf8_prefix("a\xe2\x82\xac\xe2\x82\xac", 4), 4);
    assert_int_equal(ed_kube_utf8_prefix("ab\xe2\x82\xac", 4), 2);
    /* A 4-byte character (U+1F600) split after 1, 2 or 3 of its bytes. */
    assert_int_equal(ed_kube_utf8_prefix("abc\xf0\x9f\x98\x80", 4), 3);
    assert_int_equal(ed_kube_utf8_prefix("ab\xf0\x9f\x98\x80", 4), 2);
    assert_int_equal(ed_kube_utf8_prefix("a\xf0\x9f\x98\x80", 4), 1);
    assert_int_equal(ed_kube_utf8_prefix("\xf0\x9f\x98\x80x", 4), 4);
    /* Not UTF-8 (continuation bytes only): cut where the limit says. */
    assert_int_equal(ed_kube_utf8_prefix("\x80\x80\x80\x80\x80\x80", 4), 4);
    /* A large limit. */
    char big[2048];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[1023] = '\xc3';
    big[1024] = '\xa9';
    assert_int_equal(ed_kube_utf8_prefix(big, 1024), 1023);
    assert_int_equal(ed_kube_utf8_prefix(big, ED_KUBE_EVENT_NOTE_MAX), sizeof(big) - 1);
}

static struct timespec at_sec(time_t s)
{
    struct timespec t = {.tv_sec = s, .tv_nsec = 5};
    return t;
}

void test_event_cache_repeats(void **state)
{
    (void)state;
    ed_kube_event_cache *c = ed_kube_event_cache_new(16, 600000);
    ed_kube_event_write w, w2;
    /* First occurrence: a new Event to create, named after the object and the time. */
    assert_true(ed_kube_event_cache_observe(c, "k1", "app", "ns", 1000, at_sec(1), &w));
    assert_string_equal(w.name, "app.3b9aca05");
    assert_string_equal(w.ns, "ns");
    assert_int_equal(w.count, 1);
    assert_false(w.created);
    assert_false(ed_kube_event_cache_written(c, &w, 0));

    /* A repeat: the same Event, count 2, to patch. */
    assert_true(ed_kube_event_cache_observe(c, "k1", "app", "ns", 2000, at_sec(2), &w));
    assert_string_equal(w.name, "app.3b9aca05");
    assert_int_equal(w.count, 2);
    assert_true(w.created);
    assert_int_equal(w.first.tv_sec, 1);
    assert_int_equal(w.last.tv_sec, 2);

    /* Repeats while that write runs are left to its writer, which then writes them too. */
    assert_false(ed_kube_event_cache_observe(c, "k1", "app", "ns", 2100, at_sec(3), &w2));
    assert_false(ed_kube_event_cache_observe(c, "k1", "app", "ns", 2200, at_sec(4), &w2));
    assert_true(ed_kube_event_cache_written(c, &w, 0));
    assert_int_equal(w.count, 4);
    assert_int_equal(w.last.tv_sec, 4);
    assert_false(ed_kube_event_cache_written(c, &w, 0));

    /* Another key is another Event. */
    assert_true(ed_kube_event_cache_observe(c, "k2", "app", "ns", 3000, at_sec(5), &w2));
    assert_int_equal(w2.count, 1);
    assert_string_not_equal(w2.name, w.name);
    assert_false(ed_kube_event_cache_written(c, &w2, 0));

    /* Ten minutes after the last occurrence, it starts over as a new Event. */
    assert_true(ed_kube_event_cache_observe(c, "k1", "app", "ns", 2200 + 599999, at_sec(6), &w));
    assert_int_equal(w.count, 5);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_true(
        ed_kube_event_cache_observe(c, "k1", "app", "ns", 2200 + 599999 + 600000, at_sec(7), &w));
    assert_int_equal(w.count, 1);
    assert_false(w.created);
    assert_string_equal(w.name, "app.1a13b8605");
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_int_equal(ed_kube_event_cache_len(c), 2);
    ed_kube_event_cache_free(c);
}

void test_event_cache_failed_writes(void **state)
{
    (void)state;
    ed_kube_event_cache *c = ed_kube_event_cache_new(16, 600000);
    ed_kube_event_write w;
    /* A create that failed: the next occurrence creates, with the count so far. */
    assert_true(ed_kube_event_cache_observe(c, "k", "o", "ns", 0, at_sec(1), &w));
    assert_false(ed_kube_event_cache_written(c, &w, ED_ERETRY));
    assert_true(ed_kube_event_cache_observe(c, "k", "o", "ns", 10, at_sec(2), &w));
    assert_false(w.created);
    assert_int_equal(w.count, 2);
    /* A failed write with repeats waiting stops: the next occurrence writes them. */
    ed_kube_event_write other;
    assert_false(ed_kube_event_cache_observe(c, "k", "o", "ns", 20, at_sec(3), &other));
    assert_false(ed_kube_event_cache_written(c, &w, ED_EFORBIDDEN));
    assert_true(ed_kube_event_cache_observe(c, "k", "o", "ns", 30, at_sec(4), &w));
    assert_int_equal(w.count, 4);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_true(ed_kube_event_cache_observe(c, "k", "o", "ns", 40, at_sec(5), &w));
    assert_true(w.created);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    ed_kube_event_cache_free(c);
}

void test_event_cache_eviction(void **state)
{
    (void)state;
    ed_kube_event_cache *c = ed_kube_event_cache_new(3, 600000);
    ed_kube_event_write w;
    const char *keys[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_true(ed_kube_event_cache_observe(c, keys[i], "o", "ns", i, at_sec(i + 1), &w));
        assert_false(ed_kube_event_cache_written(c, &w, 0));
    }
    /* "a" is seen again, so "b" is now the least recently seen. */
    assert_true(ed_kube_event_cache_observe(c, "a", "o", "ns", 10, at_sec(10), &w));
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_true(ed_kube_event_cache_observe(c, "d", "o", "ns", 11, at_sec(11), &w));
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_int_equal(ed_kube_event_cache_len(c), 3);
    /* "b" was forgotten: a new Event. "a" and "c" are remembered. */
    assert_true(ed_kube_event_cache_observe(c, "b", "o", "ns", 12, at_sec(12), &w));
    assert_int_equal(w.count, 1);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_true(ed_kube_event_cache_observe(c, "a", "o", "ns", 13, at_sec(13), &w));
    assert_int_equal(w.count, 3);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_int_equal(ed_kube_event_cache_len(c), 3);

    /* An entry evicted while it is being written: its writer stops when done. */
    assert_true(ed_kube_event_cache_observe(c, "x", "o", "ns", 20, at_sec(20), &w));
    ed_kube_event_write w2;
    for (int i = 0; i < 3; i++) {
        char k[8];
        snprintf(k, sizeof(k), "y%d", i);
        assert_true(ed_kube_event_cache_observe(c, k, "o", "ns", 21 + i, at_sec(21 + i), &w2));
        assert_false(ed_kube_event_cache_written(c, &w2, 0));
    }
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_int_equal(ed_kube_event_cache_len(c), 3);
    ed_kube_event_cache_free(c);
}

/* A big cache fills to its bound and no further. */
void test_event_cache_bound(void **state)
{
    (void)state;
    ed_kube_event_cache *c = ed_kube_event_cache_new(4096, 600000);
    ed_kube_event_write w;
    for (int i = 0; i < 5000; i++) {
        char k[16];
        snprintf(k, sizeof(k), "key-%d", i);
        assert_true(ed_kube_event_cache_observe(c, k, "o", "ns", i, at_sec(i), &w));
        assert_false(ed_kube_event_cache_written(c, &w, 0));
    }
    assert_int_equal(ed_kube_event_cache_len(c), 4096);
    /* The newest are there; the oldest are gone. */
    assert_true(ed_kube_event_cache_observe(c, "key-4999", "o", "ns", 6000, at_sec(1), &w));
    assert_int_equal(w.count, 2);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    assert_true(ed_kube_event_cache_observe(c, "key-0", "o", "ns", 6001, at_sec(1), &w));
    assert_int_equal(w.count, 1);
    assert_false(ed_kube_event_cache_written(c, &w, 0));
    ed_kube_event_cache_free(c);
}

void test_event_invalid(void **state)
{
    (void)state;
    /* Nothing listens there: the checks must refuse before any request. */
    ed_kube_config cfg = {.server = "https://127.0.0.1:1"};
    ed_kube *kube = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_new(&cfg, &kube, &err), 0);
    const char *cm_json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                          "\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"}}";
    ed_doc *cm = NULL;
    assert_int_equal(ed_doc_parse_json(cm_json, strlen(cm_json), &cm, &err), 0);
    const char *nameless_json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}";
    ed_doc *nameless = NULL;
    assert_int_equal(ed_doc_parse_json(nameless_json, strlen(nameless_json), &nameless, &err), 0);
    char long_reason[200];
    memset(long_reason, 'R', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';

    struct {
        ed_kube_event ev;
        const char *needle;
    } cases[] = {
        {{.regarding = ed_doc_root(nameless),
          .type = "Normal",
          .reason = "R",
          .action = "A",
          .reporting_controller = "c"},
         "needs apiVersion, kind and metadata.name"},
        {{.regarding = ed_doc_root(cm),
          .type = NULL,
          .reason = "R",
          .action = "A",
          .reporting_controller = "c"},
         "event type \"\" is neither Normal nor Warning"},
        {{.regarding = ed_doc_root(cm),
          .type = "Error",
          .reason = "R",
          .action = "A",
          .reporting_controller = "c"},
         "event type \"Error\" is neither Normal nor Warning"},
        {{.regarding = ed_doc_root(cm),
          .type = "Normal",
          .reason = "",
          .action = "A",
          .reporting_controller = "c"},
         "an event needs a reason"},
        {{.regarding = ed_doc_root(cm),
          .type = "Warning",
          .reason = "R",
          .action = NULL,
          .reporting_controller = "c"},
         "an event needs an action"},
        {{.regarding = ed_doc_root(cm),
          .type = "Warning",
          .reason = "R",
          .action = "A",
          .reporting_controller = NULL},
         "an event needs a reporting controller"},
        {{.regarding = ed_doc_root(cm),
          .type = "Warning",
          .reason = long_reason,
          .action = "A",
          .reporting_controller = "c"},
         "an event's reason is longer than 128 bytes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_err_clear(&err);
        assert_int_equal(ed_kube_event_record(kube, &cases[i].ev, &err), ED_EINVALID);
        if (!strstr(err.msg, cases[i].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].needle);
        assert_non_null(strstr(err.msg, "recording event"));
    }
    ed_doc_free(cm);
    ed_doc_free(nameless);
    ed_kube_free(kube);
}
