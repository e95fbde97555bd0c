/*
 * Unit tests of the base module: errors and their context chain, capped buffers, JSON string
 * escaping, the arena and its cleanup hooks, Go durations, RFC 3339 time, SHA-256 and secret
 * redaction in logs, and libraries loaded on first use (dl.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "base/dl.h"

#include <curl/curl.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_err_set_and_wrap(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_err_set(&err, ED_ENOTFOUND, "missing '%s'", "deploy.yaml"), ED_ENOTFOUND);
    assert_int_equal(ed_err_wrap(&err, "accumulating resources from '%s'", "apps/"), ED_ENOTFOUND);
    assert_int_equal(ed_err_wrap(&err, "kustomize build failed"), ED_ENOTFOUND);
    assert_string_equal(err.msg, "kustomize build failed: accumulating resources from 'apps/': "
                                 "missing 'deploy.yaml'");
    ed_err_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");
    /* A NULL err is allowed and only returns the code. */
    assert_int_equal(ed_err_set(NULL, ED_EGONE, "x"), ED_EGONE);
    assert_int_equal(ed_err_wrap(NULL, "x"), ED_ERROR);
    /* Wrapping an empty error gives it the generic code and the context as message. */
    assert_int_equal(ed_err_wrap(&err, "context"), ED_ERROR);
    assert_string_equal(err.msg, "context");
}

static void test_err_wrap_truncates_inner_end(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    char long_msg[ED_ERR_MSG_MAX + 1000];
    memset(long_msg, 'x', sizeof(long_msg) - 1);
    long_msg[sizeof(long_msg) - 1] = '\0';
    ed_err_set(&err, ED_EINVALID, "%s", long_msg);
    assert_int_equal(strlen(err.msg), ED_ERR_MSG_MAX - 1);
    ed_err_wrap(&err, "outer");
    assert_true(ed_str_has_prefix(err.msg, "outer: xxx"));
    assert_int_equal(strlen(err.msg), ED_ERR_MSG_MAX - 1);
}

static void test_err_code_names(void **state)
{
    (void)state;
    assert_string_equal(ed_err_code_name(ED_ENOTFOUND), "not found");
    assert_string_equal(ed_err_code_name(ED_ECONFLICT), "conflict");
    assert_string_equal(ed_err_code_name(ED_ETOOBIG), "too big");
    assert_string_equal(ed_err_code_name(-1000), "error");
}

static void test_buf_grows_and_caps(void **state)
{
    (void)state;
    ed_buf b = ED_BUF_INIT(10);
    assert_int_equal(ed_buf_append_str(&b, "hello"), 0);
    assert_int_equal(ed_buf_printf(&b, "%d%d", 12, 34), 0);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(b.len, 9);
    /* Two more bytes would pass the cap: refused, buffer unchanged. */
    assert_int_equal(ed_buf_append_str(&b, "ab"), ED_ETOOBIG);
    assert_int_equal(ed_buf_printf(&b, "%s", "ab"), ED_ETOOBIG);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(ed_buf_append_str(&b, "a"), 0);
    assert_int_equal(b.len, 10);
    /* A huge length cannot overflow the size check. */
    assert_int_equal(ed_buf_append(&b, "", SIZE_MAX), ED_ETOOBIG);
    char *s = ed_buf_take(&b);
    assert_string_equal(s, "hello1234a");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
    /* An empty buffer hands out an empty string, not NULL. */
    s = ed_buf_take(&b);
    assert_string_equal(s, "");
    free(s);
    ed_buf_free(&b);
}

static void test_buf_large(void **state)
{
    (void)state;
    ed_buf b = ED_BUF_INIT(1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(ed_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 99990, "0123456789", 10);
    ed_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    ed_buf_free(&b);
}

static void test_buf_json_str(void **state)
{
    (void)state;
    ed_buf b = ED_BUF_INIT(1024);
    assert_int_equal(ed_buf_append_json_str(&b, "a\"b\\c\nd\te\x01 é"), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001 é\"");
    ed_buf_reset(&b);
    assert_int_equal(ed_buf_append_json_str(&b, "\x7f \xc2\x99 \xc2\xa0 \xef\xbf\xbf "
                                                "\xe2\x80\xa8\xe2\x80\xa9"),
                     0);
    assert_string_equal(b.data, "\"\\u007f \\u0099 \xc2\xa0 \\uffff \\u2028\\u2029\"");
    ed_buf_free(&b);
}

static int cleanups_run;
static char cleanup_order[8];

static void record_cleanup(void *ctx)
{
    cleanup_order[cleanups_run++] = *(char *)ctx;
}

static void test_arena(void **state)
{
    (void)state;
    ed_arena *a = ed_arena_new();
    char *s = ed_arena_strdup(a, "kustomization.yaml");
    char *f = ed_arena_printf(a, "%s/%d", "apps", 42);
    assert_string_equal(s, "kustomization.yaml");
    assert_string_equal(f, "apps/42");
    /* Many small and a few large allocations, all zeroed and usable. */
    for (int i = 0; i < 5000; i++) {
        unsigned char *p = ed_arena_alloc(a, (size_t)(i % 97) + 1);
        assert_int_equal(p[0], 0);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)(i % 97) + 1);
    }
    /* Sizes around the growing blocks' boundaries (1 KiB doubling to 16 KiB, 4 KiB and more
     * in a block of their own). */
    for (size_t n = 1000; n < 20000; n += 997) {
        unsigned char *p = ed_arena_alloc(a, n);
        assert_int_equal(p[n - 1], 0);
        memset(p, 0xcd, n);
    }
    unsigned char *big = ed_arena_alloc(a, 100000);
    assert_int_equal(big[99999], 0);
    memset(big, 1, 100000);
    assert_string_equal(s, "kustomization.yaml");

    static char first = 'a', second = 'b';
    cleanups_run = 0;
    ed_arena_on_free(a, record_cleanup, &first);
    ed_arena_on_free(a, record_cleanup, &second);
    ed_arena_free(a);
    assert_int_equal(cleanups_run, 2);
    /* Newest first, like a stack of deferred cleanups. */
    assert_memory_equal(cleanup_order, "ba", 2);
    ed_arena_free(NULL);
}

static void test_duration_parse(void **state)
{
    (void)state;
    struct {
        const char *in;
        int64_t ms;
    } ok[] = {
        {"0", 0},          {"1s", 1000},   {"10m", 600000},     {"1h", 3600000}, {"1m30s", 90000},
        {"1.5h", 5400000}, {"500ms", 500}, {"2h45m", 9900000},  {"-5s", -5000},  {"1500us", 1},
        {"100ns", 0},      {"0.5s", 500},  {"1h0m0s", 3600000}, {"30s", 30000},  {"1µs", 0},
        {".5s", 500},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = -1;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_duration_parse(ok[i].in, &ms, &err), 0);
        if (ms != ok[i].ms)
            fail_msg("%s: got %lld, want %lld", ok[i].in, (long long)ms, (long long)ok[i].ms);
    }
    const char *bad[] = {"", "10", "5x", "m", "1..2s", "1s2", "-", "abc", "1 s", ".s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 0;
        ed_err err = ED_ERR_INIT;
        if (ed_duration_parse(bad[i], &ms, &err) != ED_EINVALID)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err.msg, "invalid duration"));
    }
}

/* Durations as Go's time.Duration String() writes them: the table is the output of a Go program
 * printing time.Duration(ns).String() for each value (Go 1.26). */
/* Go's time.ParseDuration errors, as Go 1.26 prints each. */
static void test_duration_error(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"5q", "time: unknown unit \"q\" in duration \"5q\""},
        {"5", "time: missing unit in duration \"5\""},
        {"", "time: invalid duration \"\""},
        {"x", "time: invalid duration \"x\""},
        {".s", "time: invalid duration \".s\""},
        {"1h2", "time: missing unit in duration \"1h2\""},
        {"5\xc2\xb5q", "time: unknown unit \"\\xc2\\xb5q\" in duration \"5\\xc2\\xb5q\""},
        {"1m\"x", "time: unknown unit \"m\\\"x\" in duration \"1m\\\"x\""},
        {"1s\\", "time: unknown unit \"s\\\\\" in duration \"1s\\\\\""},
        {"1.2.3s", "time: missing unit in duration \"1.2.3s\""},
        {"-", "time: invalid duration \"-\""},
        {"12xs3", "time: unknown unit \"xs\" in duration \"12xs3\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ed_duration_error(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

static void test_duration_string(void **state)
{
    (void)state;
    struct {
        int64_t ns;
        const char *out;
    } cases[] = {
        {0LL, "0s"},
        {1LL, "1ns"},
        {999LL, "999ns"},
        {1000LL, "1µs"},
        {1001LL, "1.001µs"},
        {1500LL, "1.5µs"},
        {999999LL, "999.999µs"},
        {1000000LL, "1ms"},
        {4123456LL, "4.123456ms"},
        {4000000LL, "4ms"},
        {999999999LL, "999.999999ms"},
        {1000000000LL, "1s"},
        {1234567891LL, "1.234567891s"},
        {1500000000LL, "1.5s"},
        {59999999999LL, "59.999999999s"},
        {60000000000LL, "1m0s"},
        {123500000000LL, "2m3.5s"},
        {3600000000000LL, "1h0m0s"},
        {3661000000001LL, "1h1m1.000000001s"},
        {600000000000LL, "10m0s"},
        {86400000000000LL, "24h0m0s"},
        {-1LL, "-1ns"},
        {-4123456LL, "-4.123456ms"},
        {-1500000000LL, "-1.5s"},
        {INT64_MAX, "2562047h47m16.854775807s"},
        {INT64_MIN, "-2562047h47m16.854775808s"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        ed_duration_string(cases[i].ns, out);
        assert_string_equal(out, cases[i].out);
    }
    /* A configured interval in ms, written and parsed back. */
    int64_t ms[] = {500, 1000, 1500, 90000, 600000, 3600000, 5400000, 61001};
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        char out[32];
        int64_t back = 0;
        ed_duration_string(ms[i] * ED_NS_PER_MS, out);
        assert_int_equal(ed_duration_parse(out, &back, NULL), 0);
        assert_int_equal(back, ms[i]);
    }
}

/* UTF-8 as Go's utf8.ValidString judges it: a name with a 0xff byte is not (Git allows it). */
static void test_utf8_valid(void **state)
{
    (void)state;
    const char *ok[] = {"",
                        "plain.yaml",
                        "caf\xc3\xa9.yaml",
                        "\xe2\x82\xac",
                        "\xf0\x9f\x98\x80",
                        "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_true(ed_utf8_valid(ok[i]));
    const char *bad[] = {"bad\xff.yaml", "\xc3",
                         "\xc0\xaf",     "\xe0\x80\xaf",
                         "\xed\xa0\x80", "\xf4\x90\x80\x80",
                         "\x80",         "\xf8\x88\x80\x80\x80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(ed_utf8_valid(bad[i]));
}

static void test_time(void **state)
{
    (void)state;
    char out[32];
    ed_time_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    ed_time_rfc3339(1795821592, out);
    assert_string_equal(out, "2026-11-27T23:19:52Z");
    int64_t a = ed_time_mono_ms();
    int64_t b = ed_time_mono_ms();
    assert_true(b >= a);
}

/* decoded(in, flags): the decode as a string ("<null>" when refused). */
static char *decoded(const char *in, unsigned flags)
{
    size_t n = 0;
    unsigned char *out = ed_base64_decode(in, strlen(in), flags, &n);
    if (!out)
        return ed_xstrdup("<null>");
    assert_int_equal(out[n], '\0');
    char *s = ed_xstrndup((char *)out, n);
    free(out);
    return s;
}

/* Go's %q, as fmt.Sprintf("%q", s) prints each (Go 1.24). */
static void test_go_quoted(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "\"\""},
        {"plain-value_1.2", "\"plain-value_1.2\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
        {"\x01\x1b\x7f", "\"\\x01\\x1b\\x7f\""},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\""},
        {"\xc2\x85", "\"\\u0085\""}, /* C1 control */
        {"a\xc2\xa0"
         "b",
         "\"a\\u00a0b\""},                       /* no-break space */
        {"\xc2\xad", "\"\\u00ad\""},             /* soft hyphen (Cf) */
        {"\xe2\x80\x8b", "\"\\u200b\""},         /* zero width space (Cf) */
        {"\xe3\x80\x80", "\"\\u3000\""},         /* ideographic space (Zs) */
        {"\xee\x80\x80", "\"\\ue000\""},         /* private use */
        {"\xcd\xb8", "\"\\u0378\""},             /* unassigned */
        {"\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""}, /* beyond the last plane in use */
        {"\xff", "\"\\xff\""},                   /* a stray byte */
        {"\xe2\x82", "\"\\xe2\\x82\""},          /* a truncated rune */
        {"\xc0\xaf", "\"\\xc0\\xaf\""},          /* an overlong '/' */
        {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""}, /* a surrogate */
        {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},    /* U+FFFD itself prints */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_buf b = ED_BUF_INIT(1024);
        assert_int_equal(ed_buf_append_go_quoted(&b, cases[i][0]), 0);
        assert_string_equal(b.data, cases[i][1]);
        ed_buf_free(&b);
    }
    ed_buf small = ED_BUF_INIT(4);
    assert_int_equal(ed_buf_append_go_quoted(&small, "abcdef"), ED_ETOOBIG);
    ed_buf_free(&small);
}

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned flags;
        const char *want;
    } cases[] = {
        {"", 0, ""},
        {"YQ==", 0, "a"},
        {"YWI=", 0, "ab"},
        {"YWJj", 0, "abc"},
        {"YWJjZA==", 0, "abcd"},
        {"YQ", 0, "<null>"}, /* padding required by default */
        {"YQ", ED_BASE64_UNPADDED, "a"},
        {"YWI", ED_BASE64_UNPADDED, "ab"},
        {"YQ==", ED_BASE64_UNPADDED, "a"},
        {"Y", ED_BASE64_UNPADDED, "<null>"},
        {"YWJjZ", ED_BASE64_UNPADDED, "<null>"},
        {"YQ=", 0, "<null>"},
        {"Y===", 0, "<null>"},
        {"YQ==YQ==", 0, "<null>"}, /* '=' before the end */
        {"YW Jj", 0, "<null>"},
        {"YWJj\n", ED_BASE64_LINES, "abc"},
        {"YW\r\nJjZA==\n", ED_BASE64_LINES, "abcd"},
        {"YW Jj", ED_BASE64_LINES, "<null>"}, /* Go's decoder skips CR and LF only */
        {"YW\tJj", ED_BASE64_LINES, "<null>"},
        {" YWJj", 0, "<null>"}, /* OpenSSL would trim it: refused here */
        {"YW-j", 0, "<null>"},  /* the URL alphabet is not this one */
        {"YW_j", 0, "<null>"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = decoded(cases[i].in, cases[i].flags);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu '%s': want '%s', got '%s'", i, cases[i].in, cases[i].want, got);
        free(got);
    }
    /* binary round trip, every length up to 40 */
    unsigned char bin[40];
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i * 37 + 200);
    for (size_t len = 0; len <= sizeof(bin); len++) {
        char *enc = ed_base64_encode(bin, len);
        assert_int_equal(strlen(enc), (len + 2) / 3 * 4);
        size_t n = 0;
        unsigned char *dec = ed_base64_decode(enc, strlen(enc), 0, &n);
        assert_non_null(dec);
        assert_int_equal(n, len);
        assert_memory_equal(dec, bin, len);
        free(dec);
        free(enc);
    }
    char *e = ed_base64_encode("abcd", 4);
    assert_string_equal(e, "YWJjZA==");
    free(e);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    ed_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ed_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_strings(void **state)
{
    (void)state;
    assert_true(ed_str_has_prefix("main@sha1:abc", "main@"));
    assert_false(ed_str_has_prefix("ma", "main"));
    assert_true(ed_str_has_suffix("deploy.yaml", ".yaml"));
    assert_false(ed_str_has_suffix("yaml", ".yaml"));
    assert_int_equal(ed_hex_digit('0'), 0);
    assert_int_equal(ed_hex_digit('9'), 9);
    assert_int_equal(ed_hex_digit('a'), 10);
    assert_int_equal(ed_hex_digit('F'), 15);
    assert_int_equal(ed_hex_digit('g'), -1);
    assert_int_equal(ed_hex_digit('\0'), -1);
    /* Go's http.StatusText, which Flux's messages quote */
    assert_string_equal(ed_http_status_text(404), "Not Found");
    assert_string_equal(ed_http_status_text(410), "Gone");
    assert_string_equal(ed_http_status_text(413), "Request Entity Too Large");
    assert_string_equal(ed_http_status_text(418), "I'm a teapot");
    assert_string_equal(ed_http_status_text(511), "Network Authentication Required");
    assert_string_equal(ed_http_status_text(299), "");
    char *s = ed_xasprintf("%s_%s_%s_%s", "default", "web", "apps", "Deployment");
    assert_string_equal(s, "default_web_apps_Deployment");
    free(s);
    s = ed_xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
}

/* Run ed_log with stderr redirected to a temp file and return what it wrote. */
static char *capture_log(ed_log_format format, void (*emit)(void))
{
    char path[] = "/tmp/eddy-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    ed_log_init(format, ED_LOG_INFO);
    emit();
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *out = ed_xcalloc(1, 4096);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, 4095);
    assert_true(n > 0);
    close(fd);
    unlink(path);
    ed_log_init(ED_LOG_JSON, ED_LOG_INFO);
    return out;
}

static void emit_sample(void)
{
    ed_log(ED_LOG_DEBUG, "not shown", NULL);
    ed_log(ED_LOG_INFO, "fetched \"main\"", "controller", "gitrepository", "name", "podinfo",
           "password", "hunter2", "namespace", "apps", "bearerToken", "abc", NULL);
}

static void test_log_json_redacts(void **state)
{
    (void)state;
    char *out = capture_log(ED_LOG_JSON, emit_sample);
    assert_true(ed_str_has_prefix(out, "{\"level\":\"info\",\"ts\":\""));
    assert_non_null(strstr(out, "\"msg\":\"fetched \\\"main\\\"\""));
    assert_non_null(strstr(out, "\"controller\":\"gitrepository\",\"namespace\":\"apps\","
                                "\"name\":\"podinfo\",\"password\":\"***\""));
    assert_non_null(strstr(out, "\"password\":\"***\""));
    assert_non_null(strstr(out, "\"bearerToken\":\"***\""));
    assert_null(strstr(out, "hunter2"));
    assert_null(strstr(out, "not shown"));
    assert_true(ed_str_has_suffix(out, "}\n"));
    /* Exactly one line. */
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);

    /* A known controller's entries carry its group and kind and the object under its kind, in
     * controller-runtime's order: then the reconcile's id, then the other keys. */
    ed_log_controller_kind("gitrepository", "source.toolkit.fluxcd.io", "GitRepository");
    free(out);
    out = capture_log(ED_LOG_JSON, emit_sample);
    assert_non_null(strstr(out, "\"controller\":\"gitrepository\",\"controllerGroup\":"
                                "\"source.toolkit.fluxcd.io\",\"controllerKind\":\"GitRepository\","
                                "\"GitRepository\":{\"name\":\"podinfo\",\"namespace\":\"apps\"},"
                                "\"namespace\":\"apps\",\"name\":\"podinfo\",\"password\":\"***\","
                                "\"bearerToken\":\"***\"}\n"));
    free(out);

    /* During a reconcile, its id. */
    char id[37];
    ed_uuid4(id);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    assert_non_null(strchr("89ab", id[19]));
    char other[37];
    ed_uuid4(other);
    assert_string_not_equal(id, other);
    ed_log_set_reconcile_id(id);
    out = capture_log(ED_LOG_JSON, emit_sample);
    char *want = ed_xasprintf("\"name\":\"podinfo\",\"reconcileID\":\"%s\",\"password\"", id);
    assert_non_null(strstr(out, want));
    free(want);
    free(out);
    ed_log_set_reconcile_id(NULL);
    out = capture_log(ED_LOG_JSON, emit_sample);
    assert_null(strstr(out, "reconcileID"));
    free(out);

    out = capture_log(ED_LOG_CONSOLE, emit_sample);
    assert_string_equal(out, "fetched \"main\" controller=gitrepository name=podinfo "
                             "password=*** namespace=apps bearerToken=***\n");
    free(out);
    assert_true(ed_log_key_is_secret("identity.pub"));
    assert_false(ed_log_key_is_secret("namespace"));
}

static void emit_in_reconcile(void)
{
    /* What the API client logs (no controller), and a line with a JSON value. */
    ed_log(ED_LOG_INFO, "a warning", NULL);
    ed_log(ED_LOG_INFO, "server-side apply completed", "controller", "kustomization", "name",
           "apps", ED_LOG_JSON_KEY("output"), "{\"ConfigMap/a/b\":\"created\"}", "revision", "r1",
           NULL);
}

static void test_log_reconcile_scope(void **state)
{
    (void)state;
    ed_log_controller_kind("kustomization", "kustomize.toolkit.fluxcd.io", "Kustomization");
    ed_log_set_reconcile_id("id-1");
    ed_log_set_reconcile_object("kustomization", "team", "apps");
    /* A thread that works for the reconcile takes its scope along. */
    ed_log_scope scope;
    ed_log_scope_get(&scope);
    ed_log_set_reconcile_id(NULL);
    ed_log_scope_set(&scope);
    char *out = capture_log(ED_LOG_JSON, emit_in_reconcile);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(out, "\"msg\":\"a warning\",\"controller\":\"kustomization\","
                                "\"controllerGroup\":\"kustomize.toolkit.fluxcd.io\","
                                "\"controllerKind\":\"Kustomization\",\"Kustomization\":{\"name\":"
                                "\"apps\",\"namespace\":\"team\"},\"namespace\":\"team\",\"name\":"
                                "\"apps\",\"reconcileID\":\"id-1\"}"));
    /* A line that names its controller keeps its own keys; the JSON value is written as is. */
    assert_non_null(strstr(second, "\"Kustomization\":{\"name\":\"apps\"},\"name\":\"apps\","
                                   "\"reconcileID\":\"id-1\",\"output\":{\"ConfigMap/a/b\":"
                                   "\"created\"},\"revision\":\"r1\"}\n"));
    free(out);
    out = capture_log(ED_LOG_CONSOLE, emit_in_reconcile);
    assert_string_equal(out, "a warning\nserver-side apply completed controller=kustomization "
                             "name=apps output={\"ConfigMap/a/b\":\"created\"} revision=r1\n");
    free(out);
    /* Out of the reconcile: no object. */
    ed_log_scope_set(NULL);
    out = capture_log(ED_LOG_JSON, emit_in_reconcile);
    assert_null(strstr(out, "\"msg\":\"a warning\",\"controller\""));
    assert_null(strstr(out, "reconcileID"));
    free(out);
}

static void test_path_within(void **state)
{
    (void)state;
    assert_true(ed_path_within("apps/deploy.yaml", 0));
    assert_true(ed_path_within("./a/../b", 0));
    assert_true(ed_path_within("../x", 1));
    assert_false(ed_path_within("../x", 0));
    assert_false(ed_path_within("a/../../x", 0));
    assert_false(ed_path_within("/etc/passwd", 3));
    assert_true(ed_path_within("a//b/./c", 0));
    assert_false(ed_path_within("a/b/../../..", 0));
    assert_true(ed_path_within("", 0));
}

/* Flux's SecureJoin of a spec path below an artifact: never above the root. */
static void test_path_clamp(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"apps", "apps"},
        {"./apps/", "apps"},
        {"/apps", "apps"},
        {"../../apps", "apps"},
        {"a/../../b/./c", "b/c"},
        {"a//b", "a/b"},
        {"", ""},
        {"./", ""},
        {"/", ""},
        {"..", ""},
        {"a/b/..", "a"},
        {"/../a/../..", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ed_path_clamp(cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("'%s': '%s', want '%s'", cases[i][0], got, cases[i][1]);
        free(got);
    }
}

static void test_strmap_basic(void **state)
{
    (void)state;
    ed_strmap *m = ed_strmap_new();
    int a = 1, b = 2;
    assert_null(ed_strmap_put(m, "flux-system/apps", &a));
    assert_ptr_equal(ed_strmap_put(m, "flux-system/apps", &b), &a);
    assert_ptr_equal(ed_strmap_get(m, "flux-system/apps"), &b);
    assert_null(ed_strmap_get(m, "flux-system/infra"));
    assert_null(ed_strmap_put(m, "with-null", NULL));
    assert_true(ed_strmap_has(m, "with-null"));
    assert_int_equal(ed_strmap_len(m), 2);
    assert_ptr_equal(ed_strmap_del(m, "flux-system/apps"), &b);
    assert_null(ed_strmap_del(m, "flux-system/apps"));
    assert_false(ed_strmap_has(m, "flux-system/apps"));
    assert_int_equal(ed_strmap_len(m), 1);
    ed_strmap_free(m);
    ed_strmap_free(NULL);
}

/* Random puts and deletes checked against a plain array, through many grows and shifts. */
static void test_strmap_model(void **state)
{
    (void)state;
    enum {
        N = 600
    };
    static bool present[N];
    static intptr_t values[N];
    memset(present, 0, sizeof(present));
    ed_strmap *m = ed_strmap_new();
    unsigned seed = 12345;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % N);
        char key[32];
        snprintf(key, sizeof(key), "ns-%d/obj", k);
        if ((seed >> 4) % 3 == 0) {
            void *v = ed_strmap_del(m, key);
            assert_ptr_equal(v, present[k] ? (void *)values[k] : NULL);
            present[k] = false;
        } else {
            values[k] = step + 1;
            ed_strmap_put(m, key, (void *)values[k]);
            present[k] = true;
        }
    }
    size_t count = 0;
    for (int k = 0; k < N; k++) {
        char key[32];
        snprintf(key, sizeof(key), "ns-%d/obj", k);
        assert_int_equal(ed_strmap_has(m, key), present[k]);
        if (present[k]) {
            assert_ptr_equal(ed_strmap_get(m, key), (void *)values[k]);
            count++;
        }
    }
    assert_int_equal(ed_strmap_len(m), count);
    size_t pos = 0, seen = 0;
    const char *key;
    void *value;
    while (ed_strmap_next(m, &pos, &key, &value)) {
        int k = (int)strtol(key + 3, NULL, 10);
        assert_true(present[k]);
        assert_ptr_equal(value, (void *)values[k]);
        seen++;
    }
    assert_int_equal(seen, count);
    ed_strmap_free(m);
}

/* Whether this process has mapped a file whose name contains NAME. */
static bool mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, name) != NULL;
    fclose(f);
    return found;
}

static void test_dl_lazy_curl(void **state)
{
    (void)state;
    /* libcurl is not linked: the first curl_* call maps it, and the call reaches it. */
    assert_false(mapped("libcurl"));
    assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
    assert_true(mapped("libcurl"));
    CURL *h = curl_easy_init();
    assert_non_null(h);
    /* One option of each argument type passes through the shim's `...` unchanged. */
    assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 40), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L), CURLE_OK);
    /* A refused connection, and the URL read back through curl_easy_getinfo's `...`. */
    assert_int_equal(curl_easy_perform(h), CURLE_COULDNT_CONNECT);
    char *url = NULL;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
    assert_string_equal(url, "http://127.0.0.1:1/");
    curl_easy_cleanup(h);
    CURLSH *share = curl_share_init();
    assert_int_equal(curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS), CURLSHE_OK);
    assert_int_equal(curl_share_setopt(share, CURLSHOPT_LAST, 0), CURLSHE_BAD_OPTION);
    assert_int_equal(curl_share_cleanup(share), CURLSHE_OK);
}

static void test_dl_errors(void **state)
{
    (void)state;
    ed_dl_lib missing = ED_DL_LIB_INIT("libeddy-no-such-library.so.1");
    assert_int_equal(ed_dl_open(&missing), -1);
    assert_null(missing.handle);
    assert_non_null(strstr(missing.error, "cannot load libeddy-no-such-library.so.1: "));

    ed_dl_lib curl = ED_DL_LIB_INIT(ED_SONAME_CURL);
    assert_int_equal(ed_dl_open(&curl), 0);
    assert_non_null(ed_dl_sym(&curl, "curl_easy_init"));
    assert_null(ed_dl_sym(&curl, "curl_no_such_function"));
    assert_null(curl.handle);
    assert_string_equal(curl.error, "cannot load " ED_SONAME_CURL ": it has no function "
                                    "curl_no_such_function");

    /* A library that cannot be loaded ends the process with status 127 and says why. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        ed_dl_fail(&missing);
    }
    close(fds[1]);
    char out[1024] = {0};
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    assert_non_null(strstr(out, "eddy: cannot load libeddy-no-such-library.so.1: "));
    assert_non_null(strstr(out, "(install the package that provides it)\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_and_wrap),
        cmocka_unit_test(test_err_wrap_truncates_inner_end),
        cmocka_unit_test(test_err_code_names),
        cmocka_unit_test(test_buf_grows_and_caps),
        cmocka_unit_test(test_buf_large),
        cmocka_unit_test(test_buf_json_str),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_duration_string),
        cmocka_unit_test(test_duration_error),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_log_json_redacts),
        cmocka_unit_test(test_log_reconcile_scope),
        cmocka_unit_test(test_path_within),
        cmocka_unit_test(test_path_clamp),
        cmocka_unit_test(test_strmap_basic),
        cmocka_unit_test(test_strmap_model),
        cmocka_unit_test(test_dl_lazy_curl),
        cmocka_unit_test(test_dl_errors),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_go_quoted),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
