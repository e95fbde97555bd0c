/*
 * Unit tests of exec credential plugins (exec.c): parsing the ExecCredential a plugin prints
 * (token, client certificate and key, expirationTimestamp, and client-go's checks, with the
 * output never quoted in a message), the KUBERNETES_EXEC_INFO handed to the plugin, and running
 * real plugins (/bin/sh scripts): environment, arguments, stdin, descriptors, exit status and
 * stderr in errors, signals, the deadline and the output cap. The client's use of the plugin
 * (caching, expiry, the retry on 401) is tested end to end (tests/e2e/c/kube_exec.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/client_int.h"
#include "kube/kube.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_tests.h"

#define V1 "client.authentication.k8s.io/v1"

static int parse(const char *json, ed_kube_exec_cred *out, ed_err *err)
{
    return ed_kube_exec_cred_parse(json, strlen(json), V1, "get-token", out, err);
}

void test_exec_cred_parse(void **state)
{
    (void)state;
    ed_kube_exec_cred c;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(parse("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\"tok-123\"}}",
                           &c, &err),
                     0);
    assert_string_equal(c.token, "tok-123");
    assert_null(c.cert_pem);
    assert_null(c.key_pem);
    assert_int_equal(c.expiry, 0);
    ed_kube_exec_cred_clear(&c);
    assert_null(c.token);

    /* Certificate and key, with an expiry in UTC. */
    assert_int_equal(parse("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                           "\"spec\":{\"interactive\":false},\"status\":{"
                           "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nX\\n\","
                           "\"clientKeyData\":\"-----BEGIN EC PRIVATE KEY-----\\nY\\n\","
                           "\"expirationTimestamp\":\"2026-01-02T03:04:05Z\"}}",
                           &c, &err),
                     0);
    assert_null(c.token);
    assert_string_equal(c.cert_pem, "-----BEGIN CERTIFICATE-----\nX\n");
    assert_string_equal(c.key_pem, "-----BEGIN EC PRIVATE KEY-----\nY\n");
    assert_int_equal(c.expiry, 1767323045);
    ed_kube_exec_cred_clear(&c);

    /* Both, with fractional seconds and an offset. */
    assert_int_equal(parse("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\"t\",\"clientCertificateData\":\"C\","
                           "\"clientKeyData\":\"K\","
                           "\"expirationTimestamp\":\"2026-01-02T05:04:05.999+02:00\"}}",
                           &c, &err),
                     0);
    assert_string_equal(c.token, "t");
    assert_string_equal(c.cert_pem, "C");
    assert_int_equal(c.expiry, 1767323045);
    ed_kube_exec_cred_clear(&c);
    assert_int_equal(parse("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\"t\","
                           "\"expirationTimestamp\":\"2026-01-02T00:04:05-03:00\"}}",
                           &c, &err),
                     0);
    assert_int_equal(c.expiry, 1767323045);
    ed_kube_exec_cred_clear(&c);

    /* Read as client-go reads it: a plugin written in Python escapes what is not ASCII
     * (json.dumps), a character past U+FFFF as a surrogate pair; a key given twice keeps its
     * last value. */
    assert_int_equal(parse("{\"apiVersion\": \"" V1 "\", \"kind\": \"ExecCredential\", "
                           "\"spec\": {\"note\": \"\\ud83d\\ude80 \\u00e9\"}, "
                           "\"status\": {\"token\": \"old\", \"token\": \"new\"}}",
                           &c, &err),
                     0);
    assert_string_equal(c.token, "new");
    ed_kube_exec_cred_clear(&c);
}

void test_exec_cred_parse_errors(void **state)
{
    (void)state;
    struct {
        const char *json;
        const char *needle;
    } bad[] = {
        {"token: secret-abc", "exec plugin \"get-token\": its output is not a JSON ExecCredential"},
        {"", "its output is not a JSON ExecCredential"},
        {"[\"secret-abc\"]", "its output is not an ExecCredential"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"Secret\",\"status\":{\"token\":\"secret-abc\"}}",
         "its output is not an ExecCredential (kind \"Secret\")"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"secret-abc\"}}",
         "exec plugin \"get-token\" is configured to use API version " V1
         ", plugin returned version client.authentication.k8s.io/v1beta1"},
        {"{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"secret-abc\"}}",
         "plugin returned version (none)"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}",
         "exec plugin \"get-token\" didn't return a status field"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\"}}",
         "exec plugin \"get-token\" didn't return a token or cert/key pair"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
         "\"status\":{\"clientCertificateData\":\"secret-abc\"}}",
         "returned only a client certificate or key, not both"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"secret-abc\",\"clientKeyData\":\"k\"}}",
         "returned only a client certificate or key, not both"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"secret-abc\",\"expirationTimestamp\":\"tomorrow\"}}",
         "expirationTimestamp \"tomorrow\" is not an RFC 3339 time"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"secret-abc\",\"expirationTimestamp\":\"2026-13-02T03:04:05Z\"}}",
         "is not an RFC 3339 time"},
        {"{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"secret-abc\",\"expirationTimestamp\":\"2026-01-02T03:04:05\"}}",
         "is not an RFC 3339 time"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ed_kube_exec_cred c;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(parse(bad[i].json, &c, &err), ED_EAUTH);
        if (!strstr(err.msg, bad[i].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, bad[i].needle);
        if (strstr(err.msg, "secret-abc"))
            fail_msg("case %zu: the message quotes the output: %s", i, err.msg);
        assert_null(c.token);
        assert_null(c.cert_pem);
    }
}

void test_exec_info(void **state)
{
    (void)state;
    ed_kube_exec x = {.command = "c", .api_version = V1};
    ed_kube_config cfg = {.server = "https://10.0.0.1:6443", .exec = &x};
    char *info = ed_kube_exec_info(&cfg);
    assert_string_equal(info, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                              "\"spec\":{\"interactive\":false}}");
    free(info);
    x.provide_cluster_info = true;
    cfg.tls_server_name = "kubernetes";
    cfg.insecure = true;
    cfg.ca_pem = "CA!";
    info = ed_kube_exec_info(&cfg);
    assert_string_equal(info, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                              "\"spec\":{\"cluster\":{\"server\":\"https://10.0.0.1:6443\","
                              "\"tls-server-name\":\"kubernetes\","
                              "\"insecure-skip-tls-verify\":true,"
                              "\"certificate-authority-data\":\"Q0Eh\"},"
                              "\"interactive\":false}}");
    free(info);
}

/* A configuration whose plugin is `sh -c script`. */
static int run_sh(const char *command, const char *script, char **env, int64_t timeout_ms,
                  ed_kube_exec_cred *out, ed_err *err)
{
    char *args[] = {"-c", (char *)script, "plugin", "--flag", NULL};
    char *no_env[] = {NULL};
    ed_kube_exec x = {.command = (char *)command,
                      .args = args,
                      .env = env ? env : no_env,
                      .api_version = V1,
                      .provide_cluster_info = true};
    ed_kube_config cfg = {.server = "https://h:6443", .exec = &x};
    return ed_kube_exec_run(&cfg, timeout_ms, out, err);
}

#define PRINT_CRED(token_expr)                                                                     \
    "printf '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","                              \
    "\"status\":{\"token\":\"%s\"}}' " token_expr

void test_exec_run(void **state)
{
    (void)state;
    ed_kube_exec_cred c;
    ed_err err = ED_ERR_INIT;
    /* The token says what the plugin saw: its arguments, the plugin's env overriding ours, and
     * KUBERNETES_EXEC_INFO (ours, from a parent plugin, replaced). */
    setenv("EDDY_TEST_REGION", "from-parent", 1);
    setenv("EDDY_TEST_PARENT", "kept", 1);
    setenv("KUBERNETES_EXEC_INFO", "stale", 1);
    char *env[] = {"EDDY_TEST_REGION=eu-west-1", "EDDY_TEST_EMPTY=", NULL};
    int rc =
        run_sh("/bin/sh",
               "case \"$KUBERNETES_EXEC_INFO\" in *'\"server\":\"https://h:6443\"'*) ;; "
               "*) exit 7;; esac; " PRINT_CRED("\"$0.$1.$EDDY_TEST_REGION.${EDDY_TEST_EMPTY-unset}"
                                               ".$EDDY_TEST_PARENT\""),
               env, 5000, &c, &err);
    unsetenv("EDDY_TEST_REGION");
    unsetenv("EDDY_TEST_PARENT");
    unsetenv("KUBERNETES_EXEC_INFO");
    if (rc)
        fail_msg("run: %s", err.msg);
    assert_string_equal(c.token, "plugin.--flag.eu-west-1..kept");
    ed_kube_exec_cred_clear(&c);

    /* A bare command is looked up in $PATH. stdin is empty. */
    rc = run_sh("sh", "if read -r line; then exit 3; fi; " PRINT_CRED("ok"), NULL, 5000, &c, &err);
    if (rc)
        fail_msg("run: %s", err.msg);
    assert_string_equal(c.token, "ok");
    ed_kube_exec_cred_clear(&c);

    /* Our descriptors are not the plugin's. */
    int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    assert_true(fd > 2);
    char fd_var[32];
    snprintf(fd_var, sizeof(fd_var), "EDDY_TEST_FD=%d", fd);
    char *fd_env[] = {fd_var, NULL};
    rc =
        run_sh("/bin/sh", "if [ -e /proc/$$/fd/$EDDY_TEST_FD ]; then exit 4; fi; " PRINT_CRED("fd"),
               fd_env, 5000, &c, &err);
    close(fd);
    if (rc)
        fail_msg("run: %s", err.msg);
    ed_kube_exec_cred_clear(&c);
}

void test_exec_run_failures(void **state)
{
    (void)state;
    ed_kube_exec_cred c;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(run_sh("/bin/sh",
                            "echo; echo '  error: no credentials for cluster prod' >&2; "
                            "echo 'second line' >&2; exit 1",
                            NULL, 5000, &c, &err),
                     ED_EAUTH);
    assert_string_equal(err.msg, "exec plugin \"/bin/sh\" failed with exit status 1: error: no "
                                 "credentials for cluster prod");
    /* Silent failure: no stderr to quote. */
    assert_int_equal(run_sh("/bin/sh", "exit 2", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg, "exec plugin \"/bin/sh\" failed with exit status 2");
    assert_int_equal(run_sh("/bin/sh", "kill -9 $$", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg, "exec plugin \"/bin/sh\" was killed by signal 9");

    /* Not there. */
    assert_int_equal(run_sh("/nonexistent/get-token", "", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg, "exec plugin \"/nonexistent/get-token\" cannot be run: No such "
                                 "file or directory");
    assert_int_equal(run_sh("eddy-no-such-plugin", "", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg,
                        "exec plugin \"eddy-no-such-plugin\" cannot be run: not found in $PATH");
    /* There, but not a program. */
    assert_int_equal(run_sh("/etc/passwd", "", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg, "exec plugin \"/etc/passwd\" cannot be run: Permission denied");

    /* Hangs: killed at the deadline. */
    int64_t t0 = ed_time_mono_ms();
    assert_int_equal(
        run_sh("/bin/sh", "echo 'waiting for the browser' >&2; exec sleep 30", NULL, 300, &c, &err),
        ED_ETIMEOUT);
    assert_true(ed_time_mono_ms() - t0 < 5000);
    assert_string_equal(err.msg, "exec plugin \"/bin/sh\" did not finish within 300ms and was "
                                 "killed: waiting for the browser");

    /* Too much output. */
    assert_int_equal(run_sh("/bin/sh", "exec head -c 3000000 /dev/zero", NULL, 5000, &c, &err),
                     ED_ETOOBIG);
    assert_non_null(strstr(err.msg, "larger than 1 MiB"));

    /* Exits 0 but prints no ExecCredential: the output is not quoted. */
    assert_int_equal(run_sh("/bin/sh", "echo 'token: secret-abc'", NULL, 5000, &c, &err), ED_EAUTH);
    assert_string_equal(err.msg,
                        "exec plugin \"/bin/sh\": its output is not a JSON ExecCredential");
    assert_null(c.token);
}
