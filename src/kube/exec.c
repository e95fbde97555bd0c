/*
 * Exec credential plugins (kubeconfig users[].user.exec), as client-go's exec authenticator runs
 * them: the plugin is started directly (posix_spawn, no shell) with the process's environment
 * plus the plugin's `env` and KUBERNETES_EXEC_INFO (an ExecCredential whose spec says the
 * session is not interactive and, with provideClusterInfo, describes the cluster), stdin from
 * /dev/null, and must print an ExecCredential of the configured apiVersion whose status holds a
 * bearer token or a client certificate and key, and optionally an expirationTimestamp.
 *
 * The plugin's output is capped (1 MiB) and it gets a deadline, after which it is killed: a
 * plugin that hangs (waiting for a browser login, say) must not hang every request of a
 * controller. Errors name the command, its exit status and the first line of its stderr; the
 * output itself never appears in a message, because it holds the credential.
 *
 * The client (client.c) caches the credential and decides when to run the plugin again.
 */
#include "client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

#define MAX_STDOUT ((size_t)1 << 20)

void ed_kube_exec_cred_clear(ed_kube_exec_cred *c)
{
    if (!c)
        return;
    char *secrets[] = {c->token, c->cert_pem, c->key_pem};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (secrets[i]) {
            memset(secrets[i], 0, strlen(secrets[i]));
            free(secrets[i]);
        }
    }
    memset(c, 0, sizeof(*c));
}

/* ---- KUBERNETES_EXEC_INFO ---- */

char *ed_kube_exec_info(const ed_kube_config *cfg)
{
    ed_buf b = ED_BUF_INIT((size_t)16 << 20);
    ed_buf_append_str(&b, "{\"apiVersion\":");
    ed_buf_append_json_str(&b, cfg->exec && cfg->exec->api_version ? cfg->exec->api_version : "");
    ed_buf_append_str(&b, ",\"kind\":\"ExecCredential\",\"spec\":{");
    if (cfg->exec && cfg->exec->provide_cluster_info) {
        /* clientauthentication's Cluster, with its JSON names. */
        ed_buf_append_str(&b, "\"cluster\":{\"server\":");
        ed_buf_append_json_str(&b, cfg->server ? cfg->server : "");
        if (cfg->tls_server_name && *cfg->tls_server_name) {
            ed_buf_append_str(&b, ",\"tls-server-name\":");
            ed_buf_append_json_str(&b, cfg->tls_server_name);
        }
        if (cfg->insecure)
            ed_buf_append_str(&b, ",\"insecure-skip-tls-verify\":true");
        if (cfg->ca_pem && *cfg->ca_pem) {
            /* A []byte in Go: standard base64. */
            char *enc = ed_base64_encode(cfg->ca_pem, strlen(cfg->ca_pem));
            ed_buf_append_str(&b, ",\"certificate-authority-data\":");
            ed_buf_append_json_str(&b, enc);
            free(enc);
        }
        ed_buf_append_str(&b, "},");
    }
    ed_buf_append_str(&b, "\"interactive\":false}}");
    return ed_buf_take(&b);
}

/* ---- parsing the ExecCredential ---- */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Parse an RFC 3339 time ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+02:00"), the format
 * of metav1.Time, into seconds since the epoch (fractions dropped). */
static bool parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm = {0};
    int year, mon, day, hour, min, sec;
    if (strlen(s) < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) ||
        s[7] != '-' || !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    *out = timegm(&tm) - offset;
    return true;
}

int ed_kube_exec_cred_parse(const char *data, size_t len, const char *api_version,
                            const char *command, ed_kube_exec_cred *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    ed_doc *doc = NULL;
    ed_err perr = ED_ERR_INIT;
    int rc = 0;
    /* The parser's message may quote the output, which may hold the secret: say only where. */
    if (ed_doc_parse_api_json(data, len, &doc, &perr) != 0) {
        rc = ed_err_set(err, ED_EAUTH,
                        "exec plugin \"%s\": its output is not a JSON "
                        "ExecCredential",
                        command);
        goto out;
    }
    ed_node *root = ed_doc_root(doc);
    if (ed_node_kind_of(root) != ED_NODE_MAP) {
        rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\": its output is not an ExecCredential",
                        command);
        goto out;
    }
    const char *av = ed_node_str(ed_node_get(root, "apiVersion"));
    const char *kind = ed_node_str(ed_node_get(root, "kind"));
    if (!kind || strcmp(kind, "ExecCredential") != 0) {
        rc = ed_err_set(err, ED_EAUTH,
                        "exec plugin \"%s\": its output is not an ExecCredential "
                        "(kind \"%.64s\")",
                        command, kind ? kind : "");
        goto out;
    }
    if (!av || !api_version || strcmp(av, api_version) != 0) {
        rc = ed_err_set(err, ED_EAUTH,
                        "exec plugin \"%s\" is configured to use API version %s, plugin returned "
                        "version %.128s",
                        command, api_version ? api_version : "", av ? av : "(none)");
        goto out;
    }
    ed_node *status = ed_node_get(root, "status");
    if (ed_node_kind_of(status) != ED_NODE_MAP) {
        rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" didn't return a status field", command);
        goto out;
    }
    const char *token = ed_node_str(ed_node_get(status, "token"));
    const char *cert = ed_node_str(ed_node_get(status, "clientCertificateData"));
    const char *key = ed_node_str(ed_node_get(status, "clientKeyData"));
    const char *exp = ed_node_str(ed_node_get(status, "expirationTimestamp"));
    token = token && *token ? token : NULL;
    cert = cert && *cert ? cert : NULL;
    key = key && *key ? key : NULL;
    if (!token && !cert && !key) {
        rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" didn't return a token or cert/key pair",
                        command);
        goto out;
    }
    if (!cert != !key) {
        rc = ed_err_set(err, ED_EAUTH,
                        "exec plugin \"%s\" returned only a client certificate or key, not both",
                        command);
        goto out;
    }
    if (exp && *exp && !parse_rfc3339(exp, &out->expiry)) {
        rc = ed_err_set(err, ED_EAUTH,
                        "exec plugin \"%s\": expirationTimestamp \"%.64s\" is not an RFC 3339 time",
                        command, exp);
        goto out;
    }
    out->token = token ? ed_xstrdup(token) : NULL;
    out->cert_pem = cert ? ed_xstrdup(cert) : NULL;
    out->key_pem = key ? ed_xstrdup(key) : NULL;
out:
    ed_doc_free(doc);
    return rc;
}

/* ---- running the plugin ---- */

/* The length of an environment entry's name ("NAME=value"). */
static size_t env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* True when list (NULL-terminated) sets the variable that entry names. */
static bool env_overrides(char *const *list, const char *entry)
{
    size_t n = env_name_len(entry);
    for (char *const *p = list; p && *p; p++)
        if (env_name_len(*p) == n && strncmp(*p, entry, n) == 0)
            return true;
    return false;
}

/* The plugin's environment: ours, without what the plugin's env or KUBERNETES_EXEC_INFO set,
 * then those. A new array of borrowed strings (except the last, exec_info, also borrowed). */
static char **plugin_env(const ed_kube_exec *x, char *exec_info)
{
    size_t n = 0, m = 0;
    for (char **p = environ; p && *p; p++)
        n++;
    for (char *const *p = x->env; p && *p; p++)
        m++;
    char **env = ed_xcalloc(n + m + 2, sizeof(*env));
    char *const info[] = {exec_info, NULL};
    size_t k = 0;
    for (char **p = environ; p && *p; p++)
        if (!env_overrides(x->env, *p) && !env_overrides(info, *p))
            env[k++] = *p;
    for (char *const *p = x->env; p && *p; p++)
        env[k++] = *p;
    env[k++] = exec_info;
    env[k] = NULL;
    return env;
}

/* The program to start (ed_proc_find). Checking first (rather than leaving it to posix_spawn)
 * gives one clear message whatever the C library reports for an exec that fails in the child.
 * Returns a new string, or NULL with err set. */
static char *resolve_command(const char *command, ed_err *err)
{
    char *program = ed_proc_find(command);
    if (program)
        return program;
    if (strchr(command, '/'))
        ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" cannot be run: %s", command, strerror(errno));
    else
        ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" cannot be run: not found in $PATH", command);
    return NULL;
}

int ed_kube_exec_run(const ed_kube_config *cfg, int64_t timeout_ms, ed_kube_exec_cred *out,
                     ed_err *err)
{
    memset(out, 0, sizeof(*out));
    const ed_kube_exec *x = cfg->exec;
    ED_ASSERT(x && x->command);
    char *program = resolve_command(x->command, err);
    if (!program)
        return err ? err->code : ED_EAUTH;
    int rc = 0;
    ed_buf stdout_buf = ED_BUF_INIT(MAX_STDOUT);
    ed_buf stderr_buf = ED_BUF_INIT(ED_PROC_STDERR_MAX + 1);
    char *info_json = ed_kube_exec_info(cfg);
    char *info = ed_xasprintf("KUBERNETES_EXEC_INFO=%s", info_json);
    free(info_json);
    char **env = plugin_env(x, info);
    size_t nargs = 0;
    for (char **a = x->args; a && *a; a++)
        nargs++;
    char **argv = ed_xcalloc(nargs + 2, sizeof(*argv));
    argv[0] = x->command;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = x->args[i];

    int status = 0, sys_errno = 0;
    ed_proc_outcome oc =
        ed_proc_run(program, argv, env, timeout_ms, &stdout_buf, &stderr_buf, &status, &sys_errno);
    char line[256];
    ed_proc_first_line(&stderr_buf, line, sizeof(line));
    switch (oc) {
    case ED_PROC_SPAWN_FAILED:
        rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" cannot be run: %s", x->command,
                        strerror(sys_errno));
        goto cleanup;
    case ED_PROC_TOO_BIG:
        rc = ed_err_set(err, ED_ETOOBIG, "exec plugin \"%s\": its output is larger than %zu MiB",
                        x->command, MAX_STDOUT >> 20);
        goto cleanup;
    case ED_PROC_IO_FAILED:
        rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\": cannot read its output: %s", x->command,
                        strerror(sys_errno));
        goto cleanup;
    case ED_PROC_TIMED_OUT: {
        char limit[32];
        ed_duration_string(timeout_ms * ED_NS_PER_MS, limit);
        rc = ed_err_set(err, ED_ETIMEOUT,
                        "exec plugin \"%s\" did not finish within %s and was killed%s", x->command,
                        limit, line);
        goto cleanup;
    }
    case ED_PROC_EXITED:
        break;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" was killed by signal %d%s",
                            x->command, WTERMSIG(status), line);
        else
            rc = ed_err_set(err, ED_EAUTH, "exec plugin \"%s\" failed with exit status %d%s",
                            x->command, WEXITSTATUS(status), line);
        goto cleanup;
    }
    rc = ed_kube_exec_cred_parse(stdout_buf.data ? stdout_buf.data : "", stdout_buf.len,
                                 x->api_version, x->command, out, err);

cleanup:
    /* The output holds the credential: wipe it. */
    if (stdout_buf.data)
        memset(stdout_buf.data, 0, stdout_buf.len);
    ed_buf_free(&stdout_buf);
    ed_buf_free(&stderr_buf);
    free(argv);
    free(env);
    free(info);
    free(program);
    return rc;
}
