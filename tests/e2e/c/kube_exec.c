/*
 * End-to-end tests of exec credential plugins (src/kube/exec.c and the client's credential
 * cache) against the real control plane the e2e runner starts. The plugin is a small shell
 * script written here that prints an ExecCredential from a file the test writes, and appends a
 * line to a count file each time it runs:
 *  - with the token of the cluster's unprivileged user ($EDDY_USER_KUBECONFIG), requests
 *    authenticate as "eddy-user" (Forbidden, naming the user), and the plugin runs once for
 *    many requests; it sees KUBERNETES_EXEC_INFO and its env;
 *  - with a client certificate and key (the admin's), requests succeed, watches too;
 *  - an expired credential runs the plugin again; a 401 (a revoked token) runs it again once and
 *    the request succeeds; a token that stays wrong gives ED_EAUTH after exactly two runs;
 *  - a plugin that exits 1 gives an error naming the command, the exit status and its stderr's
 *    first line, and never the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ed_kube_config *user_cfg;  /* eddy-user: a bearer token */
static ed_kube_config *admin_cfg; /* the admin: a client certificate */
static char dir[512];
static char script[600], count_file[600], cred_file[600], info_file[600];

static ed_kube_config *load(const char *path)
{
    ed_kube_load_opts opts = {.kubeconfig = path};
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    if (!path || ed_kube_config_load(&opts, &cfg, &err) != 0)
        fail_msg("loading %s: %s", path ? path : "(unset)", err.msg);
    return cfg;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ed_xstrdup("");
    ed_buf b = ED_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    return ed_buf_take(&b);
}

/* How many times the plugin ran since the count file was last removed. */
static int runs(void)
{
    char *text = read_text(count_file);
    int n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* The ExecCredential the plugin prints: on run n (1-based) from cred_file.n when that exists,
 * from cred_file otherwise. */
static void write_cred(int run, const char *token, const char *cert, const char *key,
                       const char *expiry)
{
    ed_buf b = ED_BUF_INIT(1 << 20);
    ed_buf_append_str(&b, "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                          "\"kind\":\"ExecCredential\",\"status\":{");
    const char *sep = "";
    const char *fields[][2] = {{"token", token},
                               {"clientCertificateData", cert},
                               {"clientKeyData", key},
                               {"expirationTimestamp", expiry}};
    for (size_t i = 0; i < 4; i++) {
        if (!fields[i][1])
            continue;
        ed_buf_printf(&b, "%s\"%s\":", sep, fields[i][0]);
        ed_buf_append_json_str(&b, fields[i][1]);
        sep = ",";
    }
    ed_buf_append_str(&b, "}}\n");
    char path[700];
    if (run > 0)
        snprintf(path, sizeof(path), "%s.%d", cred_file, run);
    else
        snprintf(path, sizeof(path), "%s", cred_file);
    write_text(path, b.data);
    ed_buf_free(&b);
}

/* Forget every credential file and the run count. */
static void reset_plugin(void)
{
    unlink(count_file);
    unlink(cred_file);
    unlink(info_file);
    for (int i = 1; i < 10; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s.%d", cred_file, i);
        unlink(path);
    }
}

static int setup(void **state)
{
    (void)state;
    user_cfg = load(getenv("EDDY_USER_KUBECONFIG"));
    admin_cfg = load(getenv("KUBECONFIG"));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/kube-exec-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return -1;
    snprintf(script, sizeof(script), "%s/get-token", dir);
    snprintf(count_file, sizeof(count_file), "%s/runs", dir);
    snprintf(cred_file, sizeof(cred_file), "%s/cred.json", dir);
    snprintf(info_file, sizeof(info_file), "%s/exec-info", dir);
    write_text(script, "#!/bin/sh\n"
                       "echo run >> \"$EDDY_EXEC_COUNT\"\n"
                       "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$EDDY_EXEC_INFO\"\n"
                       "printf '%s %s' \"$EDDY_EXEC_REGION\" \"$1\" >> \"$EDDY_EXEC_INFO.env\"\n"
                       "n=$(wc -l < \"$EDDY_EXEC_COUNT\")\n"
                       "if [ -f \"$EDDY_EXEC_CRED.$n\" ]; then cat \"$EDDY_EXEC_CRED.$n\"; "
                       "else cat \"$EDDY_EXEC_CRED\"; fi\n");
    chmod(script, 0755);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    reset_plugin();
    char path[700];
    snprintf(path, sizeof(path), "%s.env", info_file);
    unlink(path);
    unlink(script);
    rmdir(dir);
    ed_kube_config_free(user_cfg);
    ed_kube_config_free(admin_cfg);
    return 0;
}

/* A configuration for the cluster that authenticates only through the plugin. */
static ed_kube_config *exec_config(const char *command)
{
    ed_kube_config *cfg = ed_kube_config_dup(user_cfg);
    free(cfg->token);
    cfg->token = NULL;
    cfg->exec = ed_xcalloc(1, sizeof(*cfg->exec));
    cfg->exec->command = ed_xstrdup(command);
    cfg->exec->args = ed_xcalloc(2, sizeof(char *));
    cfg->exec->args[0] = ed_xstrdup("--cluster=e2e");
    cfg->exec->env = ed_xcalloc(5, sizeof(char *));
    cfg->exec->env[0] = ed_xasprintf("EDDY_EXEC_COUNT=%s", count_file);
    cfg->exec->env[1] = ed_xasprintf("EDDY_EXEC_CRED=%s", cred_file);
    cfg->exec->env[2] = ed_xasprintf("EDDY_EXEC_INFO=%s", info_file);
    cfg->exec->env[3] = ed_xstrdup("EDDY_EXEC_REGION=eu-west-1");
    cfg->exec->api_version = ed_xstrdup("client.authentication.k8s.io/v1");
    cfg->exec->provide_cluster_info = true;
    return cfg;
}

static ed_kube *exec_client(const char *command)
{
    ed_kube_config *cfg = exec_config(command);
    ed_kube *k = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_new(cfg, &k, &err) != 0)
        fail_msg("client: %s", err.msg);
    ed_kube_config_free(cfg);
    return k;
}

static void test_token_plugin_runs_once(void **state)
{
    (void)state;
    reset_plugin();
    write_cred(0, user_cfg->token, NULL, NULL, NULL);
    ed_kube *k = exec_client(script);
    ed_err err = ED_ERR_INIT;
    /* Authenticated as eddy-user, who may do nothing. */
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "eddy-user"));
    assert_null(strstr(err.msg, user_cfg->token));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ed_kube_get(k, "v1", "ConfigMap", "default", "x", NULL, &err),
                         ED_EFORBIDDEN);
        assert_non_null(strstr(err.msg, "\"eddy-user\""));
    }
    assert_int_equal(runs(), 1);

    /* What the plugin was told: KUBERNETES_EXEC_INFO with the cluster, its env and args. */
    char *info = read_text(info_file);
    assert_non_null(strstr(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\""));
    assert_non_null(strstr(info, "\"kind\":\"ExecCredential\""));
    assert_non_null(strstr(info, "\"interactive\":false"));
    assert_non_null(strstr(info, user_cfg->server));
    assert_non_null(strstr(info, "\"certificate-authority-data\":\"LS0tLS1CRUdJTi"));
    free(info);
    char path[700];
    snprintf(path, sizeof(path), "%s.env", info_file);
    char *env = read_text(path);
    assert_string_equal(env, "eu-west-1 --cluster=e2e");
    free(env);
    unlink(path);
    ed_kube_free(k);
}

static int ignore_event(ed_kube_event_type type, const ed_node *obj, void *user)
{
    (void)type, (void)obj, (void)user;
    return 0;
}

static void test_client_certificate_plugin(void **state)
{
    (void)state;
    reset_plugin();
    write_cred(0, NULL, admin_cfg->cert_pem, admin_cfg->key_pem, NULL);
    ed_kube *k = exec_client(script);
    ed_err err = ED_ERR_INIT;
    ed_doc *d = NULL;
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", &d, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(d), "/metadata/name"), "default");
    ed_doc_free(d);
    /* Watches use the plugin's credential too. */
    ed_kube_watch_opts wo = {.timeout_seconds = 1, .field_selector = "metadata.name=none"};
    assert_int_equal(ed_kube_watch(k, "v1", "ConfigMap", "default", &wo, ignore_event, NULL, &err),
                     0);
    assert_int_equal(runs(), 1);
    ed_kube_free(k);
}

static void test_expired_credential_runs_again(void **state)
{
    (void)state;
    reset_plugin();
    /* Expires in two seconds: cached until then, then the plugin runs again. */
    char expiry[32];
    ed_time_rfc3339(time(NULL) + 2, expiry);
    write_cred(0, user_cfg->token, NULL, NULL, expiry);
    ed_kube *k = exec_client(script);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EFORBIDDEN);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EFORBIDDEN);
    assert_int_equal(runs(), 1);
    sleep(3);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EFORBIDDEN);
    assert_int_equal(runs(), 2);
    ed_kube_free(k);
}

static void test_unauthorized_runs_plugin_again(void **state)
{
    (void)state;
    reset_plugin();
    /* The first credential is refused (revoked); the second run gives a good one. */
    write_cred(1, "revoked-token-0123456789", NULL, NULL, NULL);
    write_cred(0, user_cfg->token, NULL, NULL, NULL);
    ed_kube *k = exec_client(script);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "eddy-user"));
    assert_int_equal(runs(), 2);
    ed_kube_free(k);

    /* A credential that stays wrong: one more run, then the 401 comes back. */
    reset_plugin();
    write_cred(0, "wrong-token-0123456789", NULL, NULL, NULL);
    k = exec_client(script);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EAUTH);
    assert_int_equal(runs(), 2);
    assert_null(strstr(err.msg, "wrong-token"));
    ed_kube_free(k);
}

static void test_failing_plugin(void **state)
{
    (void)state;
    reset_plugin();
    char failing[700];
    snprintf(failing, sizeof(failing), "%s/failing-plugin", dir);
    write_text(failing, "#!/bin/sh\n"
                        "echo 'error: you must be logged in to the server (run login)' >&2\n"
                        "echo 'more detail' >&2\n"
                        "exit 1\n");
    chmod(failing, 0755);
    ed_kube *k = exec_client(failing);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EAUTH);
    char *want = ed_xasprintf("getting credentials: exec plugin \"%s\" failed with exit status 1: "
                              "error: you must be logged in to the server (run login)",
                              failing);
    /* The first request of a client is discovery's, which says so in front. */
    assert_true(ed_str_has_suffix(err.msg, want));
    free(want);
    ed_kube_free(k);

    /* A plugin that is not there. */
    snprintf(failing, sizeof(failing), "%s/no-such-plugin", dir);
    k = exec_client(failing);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EAUTH);
    assert_non_null(strstr(err.msg, "no-such-plugin"));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    ed_kube_free(k);

    /* A plugin that prints something else than an ExecCredential. */
    write_text(cred_file, "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                          "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"secret-xyz\"}}");
    k = exec_client(script);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EAUTH);
    assert_non_null(
        strstr(err.msg, "plugin returned version client.authentication.k8s.io/v1beta1"));
    assert_null(strstr(err.msg, "secret-xyz"));
    ed_kube_free(k);
    snprintf(failing, sizeof(failing), "%s/failing-plugin", dir);
    unlink(failing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_plugin_runs_once),
        cmocka_unit_test(test_client_certificate_plugin),
        cmocka_unit_test(test_expired_credential_runs_again),
        cmocka_unit_test(test_unauthorized_runs_plugin_again),
        cmocka_unit_test(test_failing_plugin),
    };
    return cmocka_run_group_tests_name("kube exec e2e", tests, setup, teardown);
}
