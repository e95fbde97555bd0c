/*
 * Unit tests of the kube module's configuration (config.c): kubeconfig files with inline data and
 * with file references, $KUBECONFIG merging with clientcmd's precedence, --kubeconfig and
 * --context, unknown contexts, clusters and users, base64 and type errors that name the file,
 * entry and field, exec plugins, in-memory kubeconfigs refusing file references, the in-cluster
 * configuration, dup and free, and secrets kept out of every error message.
 *
 * Each test works in a fresh temp dir (mkdtemp) and a clean environment: the variables the loader
 * reads are saved, cleared (HOME pointing at an empty folder, ED_KUBE_SA_DIR at a missing one, so
 * the machine's own kubeconfig or service account never leaks in) and restored afterwards.
 *
 * This file holds the module's main(); other test files of tests/unit/kube/ add their tests to it
 * (declared in kube_tests.h): test_events.c (Events) and test_exec.c (exec credential plugins).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/kube.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kube_tests.h"

/* ---- fixture: a temp dir and a clean environment ---- */

static const char *const env_vars[] = {
    "HOME",           "KUBECONFIG",    "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT",
    "ED_KUBE_SA_DIR", "POD_NAMESPACE",
};
#define NVARS (sizeof(env_vars) / sizeof(env_vars[0]))

struct fx {
    char dir[64];
    char *saved[NVARS];
};

/* A new string "<fx dir>/<rel>". */
static char *at(const struct fx *f, const char *rel)
{
    return ed_xasprintf("%s/%s", f->dir, rel);
}

/* Write content to <dir>/<rel>, creating the folders on the way. Returns the full path (the
 * caller frees it). */
static char *write_file(const struct fx *f, const char *rel, const char *content)
{
    char *path = at(f, rel);
    for (char *p = path + strlen(f->dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0700) != 0)
            assert_true(access(path, F_OK) == 0);
        *p = '/';
    }
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(content, 1, strlen(content), fp), strlen(content));
    assert_int_equal(fclose(fp), 0);
    return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = ed_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/eddy-kube-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    for (size_t i = 0; i < NVARS; i++) {
        const char *v = getenv(env_vars[i]);
        f->saved[i] = v ? ed_xstrdup(v) : NULL;
        unsetenv(env_vars[i]);
    }
    char *home = at(f, "home");
    char *sa = at(f, "no-service-account");
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    setenv("ED_KUBE_SA_DIR", sa, 1);
    free(home);
    free(sa);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < NVARS; i++) {
        if (f->saved[i])
            setenv(env_vars[i], f->saved[i], 1);
        else
            unsetenv(env_vars[i]);
        free(f->saved[i]);
    }
    int rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

/* ---- helpers ---- */

/* Base64 of s, as kubectl writes *-data fields. The caller frees it. */
static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = ed_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

static int load(const char *kubeconfig, const char *context, ed_kube_config **out, ed_err *err)
{
    ed_kube_load_opts opts = {.kubeconfig = kubeconfig, .context = context};
    return ed_kube_config_load(&opts, out, err);
}

/* Load must fail with code, and the message must contain needle. */
static void expect_load_error(const char *kubeconfig, const char *context, int code,
                              const char *needle)
{
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(kubeconfig, context, &cfg, &err);
    if (rc != code)
        fail_msg("load of %s gave %d (%s), want %d", kubeconfig ? kubeconfig : "(default)", rc,
                 err.msg, code);
    assert_null(cfg);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void expect_yaml_error(const char *yaml, const char *context, int code, const char *needle)
{
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_from_yaml(yaml, strlen(yaml), context, &cfg, &err);
    if (rc != code)
        fail_msg("from_yaml gave %d (%s), want %d", rc, err.msg, code);
    assert_null(cfg);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void assert_strv(char *const *got, const char *const *want)
{
    assert_non_null(got);
    size_t i = 0;
    for (; want[i]; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], want[i]);
    }
    assert_null(got[i]);
}

#define CA_PEM     "-----BEGIN CERTIFICATE-----\nQ0EgY2VydA==\n-----END CERTIFICATE-----\n"
#define CERT_PEM   "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n"
#define KEY_PEM    "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n"
#define SECRET_TOK "tok-s3cr3t-7f9c2b"

/* ---- single files ---- */

static void test_inline_data(void **state)
{
    struct fx *f = *state;
    char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
    char *yaml = ed_xasprintf("apiVersion: v1\n"
                              "kind: Config\n"
                              "current-context: admin@test\n"
                              "clusters:\n"
                              "- name: test\n"
                              "  cluster:\n"
                              "    server: https://127.0.0.1:6443/\n"
                              "    certificate-authority-data: %s\n"
                              "    tls-server-name: kubernetes.default\n"
                              "users:\n"
                              "- name: eddy-admin\n"
                              "  user:\n"
                              "    client-certificate-data: %s\n"
                              "    client-key-data: %s\n"
                              "    as: jane\n"
                              "    as-groups: [devs, ops]\n"
                              "contexts:\n"
                              "- name: admin@test\n"
                              "  context: {cluster: test, user: eddy-admin, namespace: apps}\n"
                              "preferences: {}\n",
                              ca, cert, key);
    char *path = write_file(f, "config", yaml);
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://127.0.0.1:6443");
    assert_string_equal(cfg->tls_server_name, "kubernetes.default");
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_false(cfg->insecure);
    assert_string_equal(cfg->cert_pem, CERT_PEM);
    assert_string_equal(cfg->key_pem, KEY_PEM);
    assert_null(cfg->token);
    assert_null(cfg->token_file);
    assert_null(cfg->username);
    assert_null(cfg->password);
    assert_null(cfg->exec);
    assert_string_equal(cfg->impersonate_user, "jane");
    assert_strv(cfg->impersonate_groups, (const char *const[]){"devs", "ops", NULL});
    assert_string_equal(cfg->namespace, "apps");
    assert_string_equal(cfg->context, "admin@test");
    /* Flux's defaults. */
    assert_true(cfg->qps == 50.0);
    assert_int_equal(cfg->burst, 300);
    assert_int_equal(cfg->timeout_ms, 0);
    assert_null(cfg->user_agent);
    ed_kube_config_free(cfg);

    /* The same text from memory gives the same configuration. */
    rc = ed_kube_config_from_yaml(yaml, strlen(yaml), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    assert_string_equal(cfg->key_pem, KEY_PEM);
    assert_string_equal(cfg->context, "admin@test");
    ed_kube_config_free(cfg);
    free(path);
    free(yaml);
    free(ca);
    free(cert);
    free(key);
}

static void test_file_references(void **state)
{
    struct fx *f = *state;
    free(write_file(f, "kube/pki/ca.crt", CA_PEM));
    free(write_file(f, "certs/client.crt", CERT_PEM));
    char *key = write_file(f, "keys/client.key", KEY_PEM);
    free(write_file(f, "kube/token", SECRET_TOK "\n"));
    char *yaml = ed_xasprintf("clusters:\n"
                              "- name: c\n"
                              "  cluster:\n"
                              "    server: https://api.example.com:6443\n"
                              "    certificate-authority: pki/ca.crt\n"
                              "users:\n"
                              "- name: u\n"
                              "  user:\n"
                              "    client-certificate: ../certs/client.crt\n"
                              "    client-key: %s\n"
                              "    tokenFile: token\n"
                              "contexts:\n"
                              "- name: x\n"
                              "  context: {cluster: c, user: u}\n"
                              "current-context: x\n",
                              key);
    char *path = write_file(f, "kube/config", yaml);
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    /* Relative paths resolve against the kubeconfig's folder; the files are read. */
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_string_equal(cfg->cert_pem, CERT_PEM);
    assert_string_equal(cfg->key_pem, KEY_PEM);
    /* The token file is kept as a path (the client re-reads it), not read into token. */
    assert_null(cfg->token);
    char *want_token = at(f, "kube/token");
    assert_string_equal(cfg->token_file, want_token);
    assert_null(cfg->namespace);
    ed_kube_config_free(cfg);

    /* A missing referenced file: the message names the kubeconfig, entry, field and file. */
    assert_int_equal(unlink(key), 0);
    char *want = ed_xasprintf("%s: users[u]: client-key: reading %s: No such file", path, key);
    expect_load_error(path, NULL, ED_ENOTFOUND, want);
    free(want);
    assert_int_equal(unlink(want_token), 0);
    want = ed_xasprintf("%s: users[u]: tokenFile: reading %s", path, want_token);
    expect_load_error(path, NULL, ED_ENOTFOUND, want);
    free(want);
    free(want_token);
    free(path);
    free(yaml);
    free(key);
}

/* A relative --kubeconfig resolves its references against its folder, from the working dir. */
static void test_relative_kubeconfig_path(void **state)
{
    struct fx *f = *state;
    free(write_file(f, "k/ca.crt", CA_PEM));
    free(write_file(f, "k/config",
                    "clusters: [{name: c, cluster: {server: 'https://h', "
                    "certificate-authority: ca.crt}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n"));
    char old[4096];
    assert_non_null(getcwd(old, sizeof(old)));
    assert_int_equal(chdir(f->dir), 0);
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load("k/config", NULL, &cfg, &err);
    assert_int_equal(chdir(old), 0);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    /* A context without a user is anonymous. */
    assert_null(cfg->token);
    assert_null(cfg->cert_pem);
    ed_kube_config_free(cfg);
}

/* ---- merging ---- */

static void test_merge(void **state)
{
    struct fx *f = *state;
    char *a = write_file(f, "a/config",
                         "clusters:\n"
                         "- name: shared\n"
                         "  cluster: {server: 'https://from-a:6443'}\n"
                         "users:\n"
                         "- name: alice\n"
                         "  user: {token: token-a}\n"
                         "contexts:\n"
                         "- name: ctx-a\n"
                         "  context: {cluster: shared, user: alice, namespace: ns-a}\n");
    free(write_file(f, "b/certs/b.crt", CERT_PEM));
    free(write_file(f, "b/certs/b.key", KEY_PEM));
    char *b = write_file(f, "b/config",
                         "current-context: ctx-b\n"
                         "clusters:\n"
                         "- name: shared\n"
                         "  cluster: {server: 'https://from-b:6443'}\n"
                         "- name: only-b\n"
                         "  cluster: {server: 'https://only-b', insecure-skip-tls-verify: true}\n"
                         "users:\n"
                         "- name: alice\n"
                         "  user: {token: token-b}\n"
                         "- name: bob\n"
                         "  user: {client-certificate: certs/b.crt, client-key: certs/b.key}\n"
                         "contexts:\n"
                         "- name: ctx-a\n"
                         "  context: {cluster: only-b, user: bob}\n"
                         "- name: ctx-b\n"
                         "  context: {cluster: shared, user: bob, namespace: ns-b}\n"
                         "- name: ctx-b2\n"
                         "  context: {cluster: only-b, user: alice}\n");
    char *missing = at(f, "missing/config");
    /* A missing file and empty entries are skipped; a repeated file counts once. */
    char *list = ed_xasprintf("%s::%s:%s:%s:", missing, a, b, a);
    setenv("KUBECONFIG", list, 1);

    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    /* current-context comes from b, the only file setting it; the cluster "shared" from a, the
     * first file defining it; the user bob from b, with b's folder for its relative paths. */
    int rc = load(NULL, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->context, "ctx-b");
    assert_string_equal(cfg->server, "https://from-a:6443");
    assert_string_equal(cfg->cert_pem, CERT_PEM);
    assert_string_equal(cfg->key_pem, KEY_PEM);
    assert_string_equal(cfg->namespace, "ns-b");
    ed_kube_config_free(cfg);

    /* The context ctx-a is a's whole entry, not a mix with b's. */
    rc = load(NULL, "ctx-a", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://from-a:6443");
    assert_string_equal(cfg->token, "token-a");
    assert_null(cfg->cert_pem);
    assert_string_equal(cfg->namespace, "ns-a");
    ed_kube_config_free(cfg);

    /* The user alice is a's too, even through a context of b. */
    rc = load(NULL, "ctx-b2", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://only-b");
    assert_true(cfg->insecure);
    assert_string_equal(cfg->token, "token-a");
    ed_kube_config_free(cfg);

    /* With b first, b's entries and b's current-context win. */
    free(list);
    list = ed_xasprintf("%s:%s", b, a);
    setenv("KUBECONFIG", list, 1);
    rc = load(NULL, "ctx-a", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://only-b");
    assert_string_equal(cfg->cert_pem, CERT_PEM);
    assert_null(cfg->token);
    ed_kube_config_free(cfg);

    /* When both set current-context, the first file's wins. */
    char *c = write_file(f, "c/config",
                         "current-context: ctx-a\n"
                         "contexts: [{name: ctx-a, context: {cluster: shared, user: alice}}]\n");
    free(list);
    list = ed_xasprintf("%s:%s:%s", c, b, a);
    setenv("KUBECONFIG", list, 1);
    rc = load(NULL, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->context, "ctx-a");
    assert_string_equal(cfg->server, "https://from-b:6443");
    assert_string_equal(cfg->token, "token-b");
    ed_kube_config_free(cfg);

    /* --kubeconfig means that one file: $KUBECONFIG is not read. */
    rc = load(a, "ctx-a", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->token, "token-a");
    ed_kube_config_free(cfg);
    expect_load_error(a, NULL, ED_ENOTFOUND, "no context is set");
    expect_load_error(missing, NULL, ED_ENOTFOUND, "no such file or directory");

    /* An unreadable file in the list is an error, not skipped like a missing one. */
    free(list);
    list = ed_xasprintf("%s:%s", a, f->dir);
    setenv("KUBECONFIG", list, 1);
    /* a directory, in clientcmd's words (Go's read(2) of it) */
    char *dir_msg =
        ed_xasprintf("error loading config file \"%s\": read %s: is a directory", f->dir, f->dir);
    expect_load_error(NULL, "ctx-a", ED_EINVALID, dir_msg);
    free(dir_msg);

    free(list);
    free(missing);
    free(a);
    free(b);
    free(c);
}

static void test_home_default(void **state)
{
    struct fx *f = *state;
    free(write_file(f, "home/.kube/config",
                    "current-context: home\n"
                    "clusters: [{name: c, cluster: {server: 'https://home.example'}}]\n"
                    "contexts: [{name: home, context: {cluster: c}}]\n"));
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_load(NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://home.example");
    assert_string_equal(cfg->context, "home");
    ed_kube_config_free(cfg);

    /* $KUBECONFIG, even naming only missing files, replaces ~/.kube/config. */
    setenv("KUBECONFIG", "/nonexistent/eddy/config", 1);
    expect_load_error(NULL, NULL, ED_ENOTFOUND,
                      "no kubeconfig found ($KUBECONFIG): not running in a cluster: "
                      "KUBERNETES_SERVICE_HOST is not set");
}

/* ---- choosing a context ---- */

static const char *const two_contexts =
    "current-context: dev\n"
    "clusters:\n"
    "- {name: dev, cluster: {server: 'https://dev:6443'}}\n"
    "- {name: prod, cluster: {server: 'https://prod:6443'}}\n"
    "users:\n"
    "- {name: dev, user: {token: dev-token}}\n"
    "- {name: prod, user: {username: admin, password: pw}}\n"
    "contexts:\n"
    "- {name: dev, context: {cluster: dev, user: dev, namespace: dev-ns}}\n"
    "- {name: prod, context: {cluster: prod, user: prod}}\n"
    "- {name: lost-cluster, context: {cluster: gone, user: dev}}\n"
    "- {name: lost-user, context: {cluster: dev, user: gone}}\n"
    "- {name: no-cluster, context: {user: dev}}\n"
    "- {name: dangling, context: {cluster: dev, user: dev}}\n";

static void test_context_override(void **state)
{
    struct fx *f = *state;
    char *path = write_file(f, "config", two_contexts);
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->context, "dev");
    assert_string_equal(cfg->server, "https://dev:6443");
    assert_string_equal(cfg->token, "dev-token");
    assert_string_equal(cfg->namespace, "dev-ns");
    ed_kube_config_free(cfg);

    rc = load(path, "prod", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->context, "prod");
    assert_string_equal(cfg->server, "https://prod:6443");
    assert_null(cfg->token);
    assert_string_equal(cfg->username, "admin");
    assert_string_equal(cfg->password, "pw");
    assert_null(cfg->namespace);
    ed_kube_config_free(cfg);

    /* An empty --context means "not given". */
    rc = load(path, "", &cfg, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->context, "dev");
    ed_kube_config_free(cfg);
    free(path);
}

/* What messages show of a server's address: never its userinfo. */
static void test_url_redact(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"https://host:6443", "https://host:6443"},
        {"https://user:pw@host:6443", "https://host:6443"},
        {"https://u:p@w@host/api?x=a@b", "https://host/api?x=a@b"},
        {"http://tok@[::1]:8080/", "http://[::1]:8080/"},
        {"ftp://u:s3cret@h", "ftp://h"},
        {"u:s3cret@h:1", "h:1"},
        {"https://host/p@th", "https://host/p@th"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ed_kube_url_redact(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

/* kubectl's --cluster, --user, --certificate-authority, --insecure-skip-tls-verify,
 * --tls-server-name, --client-certificate and --client-key, as clientcmd merges them. */
static void test_kubectl_overrides(void **state)
{
    struct fx *f = *state;
    char *ca = write_file(f, "ca.crt", CA_PEM);
    char *crt = write_file(f, "client.crt", CERT_PEM);
    char *key = write_file(f, "client.key", KEY_PEM);
    char *path = write_file(f, "config",
                            "current-context: dev\n"
                            "clusters:\n"
                            "- {name: dev, cluster: {server: 'https://dev:6443', "
                            "insecure-skip-tls-verify: true}}\n"
                            "- {name: prod, cluster: {server: 'https://prod:6443', "
                            "certificate-authority-data: Q0E=}}\n"
                            "users:\n"
                            "- {name: dev, user: {token: dev-token}}\n"
                            "- {name: prod, user: {username: admin, password: pw}}\n"
                            "contexts:\n"
                            "- {name: dev, context: {cluster: dev, user: dev, namespace: n}}\n");
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;

    /* --cluster and --user replace the context's entries; its namespace stays. */
    ed_kube_load_opts o = {.kubeconfig = path, .cluster = "prod", .user = "prod"};
    if (ed_kube_config_load(&o, &cfg, &err))
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://prod:6443");
    assert_string_equal(cfg->ca_pem, "CA");
    assert_null(cfg->token);
    assert_string_equal(cfg->username, "admin");
    assert_string_equal(cfg->namespace, "n");
    assert_string_equal(cfg->context, "dev");
    ed_kube_config_free(cfg);

    /* --certificate-authority replaces the entry's insecure setting and CA data. */
    o = (ed_kube_load_opts){.kubeconfig = path, .certificate_authority = ca};
    if (ed_kube_config_load(&o, &cfg, &err))
        fail_msg("load: %s", err.msg);
    assert_false(cfg->insecure);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    ed_kube_config_free(cfg);

    /* --insecure-skip-tls-verify drops the entry's CA; --tls-server-name; a client certificate
     * from files replaces the user's. */
    o = (ed_kube_load_opts){.kubeconfig = path,
                            .cluster = "prod",
                            .insecure_skip_tls_verify = true,
                            .tls_server_name = "api.example",
                            .client_certificate = crt,
                            .client_key = key};
    if (ed_kube_config_load(&o, &cfg, &err))
        fail_msg("load: %s", err.msg);
    assert_true(cfg->insecure);
    assert_null(cfg->ca_pem);
    assert_string_equal(cfg->tls_server_name, "api.example");
    assert_string_equal(cfg->cert_pem, CERT_PEM);
    assert_string_equal(cfg->key_pem, KEY_PEM);
    assert_string_equal(cfg->token, "dev-token");
    ed_kube_config_free(cfg);

    /* Both at once are refused, as kubectl refuses them. */
    o = (ed_kube_load_opts){
        .kubeconfig = path, .certificate_authority = ca, .insecure_skip_tls_verify = true};
    assert_int_equal(ed_kube_config_load(&o, &cfg, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "with the insecure flag is not allowed"));
    assert_null(cfg);

    /* Unknown names, said as such. */
    o = (ed_kube_load_opts){.kubeconfig = path, .cluster = "nope"};
    assert_int_equal(ed_kube_config_load(&o, &cfg, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "cluster \"nope\" does not exist");
    o = (ed_kube_load_opts){.kubeconfig = path, .user = "nope"};
    assert_int_equal(ed_kube_config_load(&o, &cfg, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "user \"nope\" does not exist");
    free(path);

    /* No context at all: --cluster and --user make one. */
    path = write_file(f, "nocontext",
                      "clusters: [{name: c, cluster: {server: 'https://c:6443'}}]\n"
                      "users: [{name: u, user: {token: t}}]\n");
    o = (ed_kube_load_opts){.kubeconfig = path, .cluster = "c", .user = "u"};
    if (ed_kube_config_load(&o, &cfg, &err))
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://c:6443");
    assert_string_equal(cfg->token, "t");
    assert_null(cfg->context);
    ed_kube_config_free(cfg);
    free(path);
    free(ca);
    free(crt);
    free(key);
}

static void test_unknown_names(void **state)
{
    struct fx *f = *state;
    char *path = write_file(f, "config", two_contexts);
    expect_load_error(path, "nope", ED_ENOTFOUND, "context \"nope\" does not exist");
    expect_load_error(path, "lost-cluster", ED_ENOTFOUND,
                      "context \"lost-cluster\": cluster \"gone\" does not exist");
    expect_load_error(path, "lost-user", ED_ENOTFOUND,
                      "context \"lost-user\": user \"gone\" does not exist");
    expect_load_error(path, "no-cluster", ED_ENOTFOUND, "context \"no-cluster\" names no cluster");
    free(path);

    /* current-context naming a context that is not there. */
    path = write_file(f, "config2",
                      "current-context: ghost\n"
                      "contexts: [{name: real, context: {cluster: c}}]\n");
    expect_load_error(path, NULL, ED_ENOTFOUND, "context \"ghost\" does not exist");
    free(path);

    /* No current-context, no --context, not in a cluster. */
    path = write_file(f, "config3", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n");
    expect_load_error(path, NULL, ED_ENOTFOUND, "no context is set");
    free(path);
    path = write_file(f, "empty", "");
    expect_load_error(path, NULL, ED_ENOTFOUND, "no context is set");
    expect_load_error(path, "x", ED_ENOTFOUND, "context \"x\" does not exist");
    free(path);

    /* --kubeconfig must exist: clientcmd's os.Stat says so in Go's words */
    path = at(f, "absent/config");
    char *want = ed_xasprintf("stat %s: no such file or directory", path);
    expect_load_error(path, NULL, ED_ENOTFOUND, want);
    free(want);
    free(path);

    /* Nothing at all: no kubeconfig and not in a cluster. */
    expect_load_error(NULL, NULL, ED_ENOTFOUND,
                      "no kubeconfig found (~/.kube/config): not running in a cluster: "
                      "KUBERNETES_SERVICE_HOST is not set");
    /* ... and a --context with nothing to find it in. */
    expect_load_error(NULL, "dev", ED_ENOTFOUND, "context \"dev\" does not exist");
}

/* ---- malformed kubeconfigs ---- */

static void test_bad_base64(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "c2VjcmV0LWtleQ",       /* no padding (Go requires it) */
        "c2Vj cmV0LWtleQ==",    /* a space */
        "c2VjcmV0-LWtleQ==",    /* '-' (OpenSSL would stop there) */
        "c2VjcmV0LWtleQ==QQ",   /* data after the padding */
        "c2VjcmV0LWtleQ==QUFB", /* data after the padding, a whole quantum */
        "c2Vj=mV0",             /* padding inside */
        "c2VjcmV0LWtleQ===",    /* too much padding */
        "c2VjcmV0LW*leQ==",     /* not in the alphabet */
        "c2VjcmV0LWtleQ_=",     /* URL-safe alphabet */
        "=",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *yaml =
            ed_xasprintf("current-context: x\n"
                         "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                         "users:\n"
                         "- name: eddy-admin\n"
                         "  user:\n"
                         "    client-certificate-data: %s\n"
                         "    client-key-data: \"%s\"\n"
                         "contexts: [{name: x, context: {cluster: c, user: eddy-admin}}]\n",
                         "Y2VydA==", bad[i]);
        char *path = write_file(f, "config", yaml);
        char *want = ed_xasprintf("%s: users[eddy-admin]: client-key-data: invalid base64", path);
        ed_kube_config *cfg = NULL;
        ed_err err = ED_ERR_INIT;
        int rc = load(path, NULL, &cfg, &err);
        if (rc != ED_EINVALID)
            fail_msg("accepted base64 '%s' (%d: %s)", bad[i], rc, err.msg);
        assert_string_equal(err.msg, want);
        free(want);
        free(path);
        free(yaml);
    }

    /* Line breaks inside the data are fine (Go ignores CR and LF). */
    char *yaml = ed_xasprintf("current-context: x\n"
                              "clusters:\n"
                              "- name: c\n"
                              "  cluster:\n"
                              "    server: https://h\n"
                              "    certificate-authority-data: |\n"
                              "      LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClEwRWdZ\r\n"
                              "      MlZ5ZEE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==\n"
                              "contexts: [{name: x, context: {cluster: c}}]\n");
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_from_yaml(yaml, strlen(yaml), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    ed_kube_config_free(cfg);
    free(yaml);

    /* The whole file is decoded, as clientcmd does: a bad entry fails even when unused. */
    expect_yaml_error("current-context: x\n"
                      "clusters:\n"
                      "- {name: c, cluster: {server: 'https://h'}}\n"
                      "- {name: other, cluster: {server: 'https://o', "
                      "certificate-authority-data: 'not base64!'}}\n"
                      "contexts: [{name: x, context: {cluster: c}}]\n",
                      NULL, ED_EINVALID,
                      "clusters[other]: certificate-authority-data: invalid base64");
    /* Decoded data must be text: the configuration holds PEM as C strings. */
    expect_yaml_error(
        "current-context: x\n"
        "clusters: [{name: c, cluster: {server: 'https://h', "
        "certificate-authority-data: 'AAEC'}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\n",
        NULL, ED_EINVALID,
        "clusters[c]: certificate-authority-data: not PEM text (contains a NUL byte)");
}

static void test_malformed(void **state)
{
    struct fx *f = *state;
    const char *ctx = "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
    struct {
        const char *yaml;
        const char *needle;
    } cases[] = {
        {"clusters: [{name: c, cluster: {server: [a]}}]\n", "clusters[c]: server: expected a "
                                                            "string, got a sequence"},
        {"clusters: {c: {server: x}}\n", "clusters: expected a list, got a mapping"},
        {"clusters: [hello]\n", "clusters[0]: expected a mapping, got a string"},
        {"clusters: [{name: c, cluster: 3}]\n", "clusters[c]: cluster: expected a mapping"},
        {"clusters: [{name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: "
         "'true'}}]\n",
         "clusters[c]: insecure-skip-tls-verify: expected a boolean, got a string"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}, {name: c, cluster: {}}]\n",
         "clusters: duplicate name \"c\""},
        {"users: [{name: u, user: {as-groups: a}}]\n", "users[u]: as-groups: expected a list"},
        {"users: [{name: u, user: {exec: {args: [{a: b}]}}}]\n",
         "users[u]: exec: args: item 0: expected a string, got a mapping"},
        {"users: [{name: u, user: {exec: {env: [x]}}}]\n",
         "users[u]: exec: env[0]: expected a mapping"},
        {"contexts: [{name: x, context: {cluster: [c]}}]\n",
         "contexts[x]: cluster: expected a string"},
        {"[a, b]\n", "expected a mapping, got a sequence"},
        {"a: 1\n---\nb: 2\n", "expected one YAML document, found 2"},
        {"current-context: x\nclusters: [\n", "line "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *yaml = ed_xstrdup(cases[i].yaml);
        char *path = write_file(f, "config", yaml);
        char *want = ed_xasprintf("%s: %s", path, cases[i].needle);
        expect_load_error(path, "x", ED_EINVALID, want);
        free(want);
        free(path);
        free(yaml);
    }

    /* Validation of the chosen entries, as clientcmd's ConfirmUsable does. */
    struct {
        const char *clusters_users;
        const char *needle;
    } usable[] = {
        {"clusters: [{name: c, cluster: {}}]\nusers: [{name: u}]\n",
         "clusters[c]: no server found for cluster \"c\""},
        {"clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: ca, "
         "certificate-authority-data: Q0E=}}]\nusers: [{name: u}]\n",
         "clusters[c]: certificate-authority-data and certificate-authority are both "
         "specified"},
        {"clusters: [{name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: true, "
         "certificate-authority-data: Q0E=}}]\nusers: [{name: u}]\n",
         "clusters[c]: specifying a root certificates file with the insecure flag is not "
         "allowed"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {token: t, password: p}}]\n",
         "users[u]: more than one authentication method found (token and basic auth)"},
        {"clusters: [{name: c, cluster: {server: 'https://h', proxy-url: 'http://p'}}]\n"
         "users: [{name: u}]\n",
         "clusters[c]: proxy-url: not supported"},
        {"clusters: [{name: c, cluster: {server: 'ftp://h'}}]\nusers: [{name: u}]\n",
         "clusters[c]: server: the scheme must be https or http"},
        {"clusters: [{name: c, cluster: {server: 'https://'}}]\nusers: [{name: u}]\n",
         "clusters[c]: server: not a valid URL (no host)"},
        {"clusters: [{name: c, cluster: {server: 'https://h x'}}]\nusers: [{name: u}]\n",
         "clusters[c]: server: not a valid URL"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {client-certificate-data: Q0E=}}]\n",
         "users[u]: client-key-data or client-key must be specified"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {client-certificate-data: Q0E=, client-certificate: c, "
         "client-key-data: Q0E=}}]\n",
         "users[u]: client-certificate-data and client-certificate are both specified"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {client-certificate-data: Q0E=, client-key: k, "
         "client-key-data: Q0E=}}]\n",
         "users[u]: client-key-data and client-key are both specified"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
         "users[u]: auth-provider: not supported by eddy (use an exec plugin)"},
        {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
         "users: [{name: u, user: {as: x, as-uid: '1'}}]\n",
         "users[u]: as-uid: not supported"},
    };
    for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]); i++) {
        char *yaml = ed_xasprintf("%s%s", usable[i].clusters_users, ctx);
        char *path = write_file(f, "config", yaml);
        char *want = ed_xasprintf("%s: %s", path, usable[i].needle);
        expect_load_error(path, NULL, ED_EINVALID, want);
        free(want);
        free(path);
        free(yaml);
    }
}

/* Scalars are read the way clientcmd's YAML decoding reads them. */
static void test_scalars_and_servers(void **state)
{
    (void)state;
    const char *yaml = "current-context: x\n"
                       "clusters:\n"
                       "- name: 42\n"
                       "  cluster: {server: 'https://h:6443/prefix/?q=1#f', "
                       "insecure-skip-tls-verify: yes}\n"
                       "users: [{name: u, user: {as: bot, as-groups: []}}]\n"
                       "contexts: [{name: x, context: {cluster: 42, user: u, namespace: 7}}]\n";
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_from_yaml(yaml, strlen(yaml), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    /* YAML 1.1's yes is true for clientcmd; numbers are strings where strings are expected. */
    assert_true(cfg->insecure);
    assert_string_equal(cfg->namespace, "7");
    /* A path prefix stays; the query, fragment and trailing slash go. */
    assert_string_equal(cfg->server, "https://h:6443/prefix");
    assert_string_equal(cfg->impersonate_user, "bot");
    assert_null(cfg->impersonate_groups);
    ed_kube_config_free(cfg);

    /* A plain http server (and a bare host:port, which client-go takes as http) gets no
     * credentials and no TLS settings, as client-go does. Impersonation stays. */
    const char *plain[] = {"http://127.0.0.1:8080/", "127.0.0.1:8080"};
    for (size_t i = 0; i < 2; i++) {
        char *text = ed_xasprintf(
            "current-context: x\n"
            "clusters: [{name: c, cluster: {server: '%s', tls-server-name: n, "
            "certificate-authority-data: Q0E=}}]\n"
            "users: [{name: u, user: {token: t, as: bot, as-groups: [g], client-certificate-data: "
            "Q0E=, client-key-data: Q0E=, exec: {command: c, apiVersion: "
            "client.authentication.k8s.io/v1beta1}}}]\n"
            "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
            plain[i]);
        rc = ed_kube_config_from_yaml(text, strlen(text), NULL, &cfg, &err);
        if (rc)
            fail_msg("from_yaml: %s", err.msg);
        assert_string_equal(cfg->server, "http://127.0.0.1:8080");
        assert_null(cfg->token);
        assert_null(cfg->ca_pem);
        assert_null(cfg->tls_server_name);
        assert_null(cfg->cert_pem);
        assert_null(cfg->key_pem);
        assert_null(cfg->exec);
        assert_string_equal(cfg->impersonate_user, "bot");
        assert_strv(cfg->impersonate_groups, (const char *const[]){"g", NULL});
        ed_kube_config_free(cfg);
        free(text);
    }

    /* as-groups without as are ignored, as in clientcmd. */
    const char *groups = "current-context: x\n"
                         "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                         "users: [{name: u, user: {as-groups: [g], token: t, tokenFile: ''}}]\n"
                         "contexts: [{name: x, context: {cluster: c, user: u}}]\n";
    rc = ed_kube_config_from_yaml(groups, strlen(groups), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    assert_null(cfg->impersonate_user);
    assert_null(cfg->impersonate_groups);
    assert_string_equal(cfg->token, "t");
    assert_null(cfg->token_file);
    ed_kube_config_free(cfg);
}

/* Both a token and a token file: both are kept, as client-go keeps them; the file is not read. */
static void test_token_and_token_file(void **state)
{
    struct fx *f = *state;
    char *path = write_file(f, "config",
                            "current-context: x\n"
                            "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                            "users: [{name: u, user: {token: static, tokenFile: /nonexistent/t}}]\n"
                            "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->token, "static");
    assert_string_equal(cfg->token_file, "/nonexistent/t");
    ed_kube_config_free(cfg);
    free(path);
}

static void test_oversized(void **state)
{
    struct fx *f = *state;
    size_t big = ((size_t)4 << 20) + 1;
    char *data = ed_xmalloc(big + 1);
    memset(data, '#', big);
    data[big] = '\0';
    char *path = write_file(f, "config", data);
    char *want = ed_xasprintf("reading %s: larger than 4 MiB", path);
    expect_load_error(path, NULL, ED_ETOOBIG, want);
    free(want);
    free(path);

    /* A referenced file is capped too. */
    path = write_file(f, "ca.crt", data);
    free(path);
    path = write_file(f, "config2",
                      "current-context: x\n"
                      "clusters: [{name: c, cluster: {server: 'https://h', "
                      "certificate-authority: ca.crt}}]\n"
                      "contexts: [{name: x, context: {cluster: c}}]\n");
    expect_load_error(path, NULL, ED_ETOOBIG, "clusters[c]: certificate-authority: reading ");
    expect_load_error(path, NULL, ED_ETOOBIG, "ca.crt: larger than 4 MiB");
    free(path);

    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_config_from_yaml(data, big, NULL, &cfg, &err), ED_ETOOBIG);
    assert_null(cfg);
    assert_non_null(strstr(err.msg, "larger than 4 MiB"));
    free(data);
}

/* ---- exec plugins ---- */

static void test_exec(void **state)
{
    struct fx *f = *state;
    char *path = write_file(f, "kube/config",
                            "current-context: x\n"
                            "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                            "users:\n"
                            "- name: u\n"
                            "  user:\n"
                            "    exec:\n"
                            "      apiVersion: client.authentication.k8s.io/v1\n"
                            "      command: bin/get-token\n"
                            "      args: [--cluster, prod, '']\n"
                            "      env:\n"
                            "      - {name: REGION, value: eu-west-1}\n"
                            "      - {name: EMPTY}\n"
                            "      provideClusterInfo: true\n"
                            "      interactiveMode: Never\n"
                            "      installHint: install get-token\n"
                            "- name: bare\n"
                            "  user:\n"
                            "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
                            "command: aws}\n"
                            "contexts:\n"
                            "- {name: x, context: {cluster: c, user: u}}\n"
                            "- {name: bare, context: {cluster: c, user: bare}}\n");
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_non_null(cfg->exec);
    /* A command with a slash is a path relative to the kubeconfig's folder. */
    char *want = at(f, "kube/bin/get-token");
    assert_string_equal(cfg->exec->command, want);
    free(want);
    assert_strv(cfg->exec->args, (const char *const[]){"--cluster", "prod", "", NULL});
    assert_strv(cfg->exec->env, (const char *const[]){"REGION=eu-west-1", "EMPTY=", NULL});
    assert_string_equal(cfg->exec->api_version, "client.authentication.k8s.io/v1");
    assert_true(cfg->exec->provide_cluster_info);
    ed_kube_config_free(cfg);

    /* A bare command is looked up in $PATH: left alone. v1beta1 needs no interactiveMode. */
    rc = load(path, "bare", &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->exec->command, "aws");
    assert_strv(cfg->exec->args, (const char *const[]){NULL});
    assert_strv(cfg->exec->env, (const char *const[]){NULL});
    assert_false(cfg->exec->provide_cluster_info);
    ed_kube_config_free(cfg);
    free(path);

    struct {
        const char *exec;
        const char *needle;
    } bad[] = {
        {"{apiVersion: client.authentication.k8s.io/v1beta1}",
         "users[u]: exec: command: must be specified"},
        {"{command: c}", "users[u]: exec: apiVersion: must be specified"},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1alpha1}",
         "users[u]: exec: apiVersion: \"client.authentication.k8s.io/v1alpha1\" is not "
         "supported"},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1}",
         "users[u]: exec: interactiveMode: must be specified"},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Always}",
         "users[u]: exec: interactiveMode: Always needs a terminal"},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Maybe}",
         "users[u]: exec: interactiveMode: invalid value \"Maybe\""},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1beta1, env: [{value: v}]}",
         "users[u]: exec: env[0]: name: must be specified"},
        {"{command: c, apiVersion: client.authentication.k8s.io/v1beta1, env: [{name: 'A=B'}]}",
         "users[u]: exec: env[0]: name: must not contain '='"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *yaml = ed_xasprintf("current-context: x\n"
                                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                  "users: [{name: u, user: {exec: %s}}]\n"
                                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                                  bad[i].exec);
        expect_yaml_error(yaml, NULL, ED_EINVALID, bad[i].needle);
        free(yaml);
    }
}

/* ---- kubeconfigs held in memory ---- */

static void test_from_yaml_refuses_files(void **state)
{
    (void)state;
    static const char *const refs[][2] = {
        {"clusters", "certificate-authority: /etc/kubernetes/pki/ca.crt"},
        {"users", "client-certificate: /etc/kubernetes/pki/admin.crt"},
        {"users", "client-key: admin.key"},
        {"users", "tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"},
    };
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        bool cluster = strcmp(refs[i][0], "clusters") == 0;
        char *yaml =
            ed_xasprintf("current-context: x\n"
                         "clusters: [{name: c, cluster: {server: 'https://h'%s%s}}]\n"
                         "users: [{name: u, user: {%s}}]\n"
                         "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                         cluster ? ", " : "", cluster ? refs[i][1] : "", cluster ? "" : refs[i][1]);
        char field[64];
        snprintf(field, sizeof(field), "%.*s", (int)strcspn(refs[i][1], ":"), refs[i][1]);
        char *want = ed_xasprintf("%s[%s]: %s: file references are not allowed", refs[i][0],
                                  cluster ? "c" : "u", field);
        expect_yaml_error(yaml, NULL, ED_EINVALID, want);
        free(want);
        free(yaml);
    }

    /* Exec is parsed: whether to run it is the controller's decision. */
    const char *exec = "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                       "users: [{name: u, user: {exec: {command: ./plugin, apiVersion: "
                       "client.authentication.k8s.io/v1beta1}}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}, "
                       "{name: y, context: {cluster: c}}]\n";
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_from_yaml(exec, strlen(exec), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    assert_non_null(cfg->exec);
    /* No folder to resolve against in memory: the command is left as written. */
    assert_string_equal(cfg->exec->command, "./plugin");
    ed_kube_config_free(cfg);

    /* The context argument picks another context. */
    rc = ed_kube_config_from_yaml(exec, strlen(exec), "y", &cfg, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->context, "y");
    assert_null(cfg->exec);
    ed_kube_config_free(cfg);
    expect_yaml_error(exec, "z", ED_ENOTFOUND, "context \"z\" does not exist");
    expect_yaml_error("clusters: []\n", NULL, ED_ENOTFOUND, "no context is set");
    expect_yaml_error("", NULL, ED_ENOTFOUND, "no context is set");
}

/* ---- in-cluster ---- */

static void test_in_cluster(void **state)
{
    struct fx *f = *state;
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "not running in a cluster: KUBERNETES_SERVICE_HOST is not set");
    assert_null(cfg);

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "not running in a cluster: KUBERNETES_SERVICE_PORT is not set");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);

    /* No token mounted. */
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "in-cluster configuration: service account token: reading "));
    assert_null(cfg);

    char *sa = at(f, "sa");
    setenv("ED_KUBE_SA_DIR", sa, 1);
    free(write_file(f, "sa/token", SECRET_TOK));
    free(write_file(f, "sa/ca.crt", CA_PEM));
    free(write_file(f, "sa/namespace", "  flux-system\n"));
    int rc = ed_kube_config_in_cluster(&cfg, &err);
    if (rc)
        fail_msg("in_cluster: %s", err.msg);
    assert_string_equal(cfg->server, "https://10.96.0.1:443");
    char *token = at(f, "sa/token");
    assert_string_equal(cfg->token_file, token);
    assert_null(cfg->token);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_string_equal(cfg->namespace, "flux-system");
    assert_null(cfg->context);
    assert_null(cfg->exec);
    assert_true(cfg->qps == 50.0);
    assert_int_equal(cfg->burst, 300);
    ed_kube_config_free(cfg);

    /* IPv6 gets brackets; POD_NAMESPACE comes first; a missing CA means the system roots. */
    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    setenv("POD_NAMESPACE", "from-downward-api", 1);
    char *ca = at(f, "sa/ca.crt");
    assert_int_equal(unlink(ca), 0);
    rc = ed_kube_config_in_cluster(&cfg, &err);
    if (rc)
        fail_msg("in_cluster: %s", err.msg);
    assert_string_equal(cfg->server, "https://[fd00:10:96::1]:443");
    assert_string_equal(cfg->namespace, "from-downward-api");
    assert_null(cfg->ca_pem);
    ed_kube_config_free(cfg);
    unsetenv("POD_NAMESPACE");

    /* Malformed variables are refused, not pasted into the URL. */
    setenv("KUBERNETES_SERVICE_PORT", "443/evil", 1);
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "invalid KUBERNETES_SERVICE_PORT"));
    setenv("KUBERNETES_SERVICE_PORT", "70000", 1);
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_EINVALID);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    setenv("KUBERNETES_SERVICE_HOST", "evil.example/x?", 1);
    assert_int_equal(ed_kube_config_in_cluster(&cfg, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "invalid KUBERNETES_SERVICE_HOST"));
    assert_null(cfg);
    setenv("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc", 1);

    /* ed_kube_config_load falls back to in-cluster when there is no kubeconfig... */
    rc = ed_kube_config_load(NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://kubernetes.default.svc:6443");
    assert_string_equal(cfg->token_file, token);
    assert_string_equal(cfg->namespace, "flux-system");
    ed_kube_config_free(cfg);

    /* ... and when the kubeconfig chooses no context, as client-go does ... */
    free(write_file(f, "home/.kube/config",
                    "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"));
    rc = ed_kube_config_load(NULL, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://kubernetes.default.svc:6443");
    ed_kube_config_free(cfg);

    /* ... but a kubeconfig's context wins over in-cluster. */
    ed_kube_load_opts opts = {.context = "x"};
    rc = ed_kube_config_load(&opts, &cfg, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg->server, "https://h");
    assert_string_equal(cfg->context, "x");
    ed_kube_config_free(cfg);

    free(ca);
    free(token);
    free(sa);
}

/* ---- dup, free, secrets ---- */

static void assert_str_copy(const char *a, const char *b)
{
    if (!a) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_string_equal(a, b);
}

static void assert_strv_copy(char *const *a, char *const *b)
{
    if (!a) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    size_t i = 0;
    for (; a[i]; i++)
        assert_str_copy(a[i], b[i]);
    assert_null(b[i]);
}

static void test_dup(void **state)
{
    (void)state;
    const char *yaml = "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: 'https://h:1', "
                       "tls-server-name: n, certificate-authority-data: Q0E=}}]\n"
                       "users: [{name: u, user: {token: t, username: '', client-certificate-data: "
                       "Q0U=, client-key-data: S0U=, as: me, as-groups: [a, b], exec: {command: "
                       "c, args: [x], env: [{name: N, value: V}], apiVersion: "
                       "client.authentication.k8s.io/v1beta1, provideClusterInfo: true}}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]\n";
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_config_from_yaml(yaml, strlen(yaml), NULL, &cfg, &err);
    if (rc)
        fail_msg("from_yaml: %s", err.msg);
    /* Fields no kubeconfig sets, so that the copy of each is checked too. */
    cfg->user_agent = ed_xstrdup("eddy-test/1");
    cfg->token_file = ed_xstrdup("/t");
    cfg->username = ed_xstrdup("user");
    cfg->password = ed_xstrdup("pass");
    cfg->insecure = true;
    cfg->qps = 5.5;
    cfg->burst = 7;
    cfg->timeout_ms = 1234;

    ed_kube_config *copy = ed_kube_config_dup(cfg);
    assert_non_null(copy);
    assert_ptr_not_equal(copy, cfg);
    assert_str_copy(cfg->server, copy->server);
    assert_str_copy(cfg->tls_server_name, copy->tls_server_name);
    assert_str_copy(cfg->ca_pem, copy->ca_pem);
    assert_int_equal(cfg->insecure, copy->insecure);
    assert_str_copy(cfg->cert_pem, copy->cert_pem);
    assert_str_copy(cfg->key_pem, copy->key_pem);
    assert_str_copy(cfg->token, copy->token);
    assert_str_copy(cfg->token_file, copy->token_file);
    assert_str_copy(cfg->username, copy->username);
    assert_str_copy(cfg->password, copy->password);
    assert_non_null(copy->exec);
    assert_ptr_not_equal(cfg->exec, copy->exec);
    assert_str_copy(cfg->exec->command, copy->exec->command);
    assert_strv_copy(cfg->exec->args, copy->exec->args);
    assert_strv_copy(cfg->exec->env, copy->exec->env);
    assert_str_copy(cfg->exec->api_version, copy->exec->api_version);
    assert_int_equal(cfg->exec->provide_cluster_info, copy->exec->provide_cluster_info);
    assert_str_copy(cfg->impersonate_user, copy->impersonate_user);
    assert_strv_copy(cfg->impersonate_groups, copy->impersonate_groups);
    assert_str_copy(cfg->namespace, copy->namespace);
    assert_str_copy(cfg->context, copy->context);
    assert_true(copy->qps == 5.5);
    assert_int_equal(copy->burst, 7);
    assert_int_equal(copy->timeout_ms, 1234);
    assert_str_copy(cfg->user_agent, copy->user_agent);
    /* The copy stands alone. */
    ed_kube_config_free(cfg);
    assert_string_equal(copy->exec->env[0], "N=V");
    assert_string_equal(copy->key_pem, "KE");
    ed_kube_config_free(copy);

    /* A minimal configuration (NULLs everywhere) copies too; NULL is accepted. */
    assert_null(ed_kube_config_dup(NULL));
    ed_kube_config empty;
    memset(&empty, 0, sizeof(empty));
    copy = ed_kube_config_dup(&empty);
    assert_null(copy->server);
    assert_null(copy->exec);
    assert_null(copy->impersonate_groups);
    ed_kube_config_free(copy);
    ed_kube_config_free(NULL);
}

static void test_no_secret_in_errors(void **state)
{
    struct fx *f = *state;
    static const char *const secrets[] = {SECRET_TOK, "hunter2-pw", "ENV-SECRET-VALUE", "c2VjcmV0"};
    /* Each of these fails; none of the messages may quote a secret. */
    static const char *const users[] = {
        /* token and basic auth together */
        "{token: " SECRET_TOK ", username: admin, password: hunter2-pw}",
        /* a key that is not base64 */
        "{client-certificate-data: Q0E=, client-key-data: 'c2VjcmV0 " SECRET_TOK "'}",
        /* a token of the wrong type */
        "{token: [" SECRET_TOK "]}",
        /* an exec plugin with a secret in its env and a bad apiVersion */
        "{exec: {command: c, apiVersion: v9, env: [{name: K, value: ENV-SECRET-VALUE}]}}",
        /* a password in a mapping */
        "{password: {hunter2-pw: " SECRET_TOK "}}",
        /* YAML syntax error on the line of the token */
        "{token: " SECRET_TOK " : : hunter2-pw ]",
    };
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        char *yaml = ed_xasprintf("current-context: x\n"
                                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                  "users: [{name: u, user: %s}]\n"
                                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                                  users[i]);
        char *path = write_file(f, "config", yaml);
        ed_kube_config *cfg = NULL;
        ed_err err = ED_ERR_INIT;
        int rc = load(path, NULL, &cfg, &err);
        if (rc == 0)
            fail_msg("case %zu accepted", i);
        assert_true(err.msg[0] != '\0');
        for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++)
            if (strstr(err.msg, secrets[s]))
                fail_msg("case %zu: message '%s' quotes a secret", i, err.msg);
        assert_int_equal(ed_kube_config_from_yaml(yaml, strlen(yaml), NULL, &cfg, &err), rc);
        for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++)
            if (strstr(err.msg, secrets[s]))
                fail_msg("case %zu: message '%s' quotes a secret", i, err.msg);
        free(path);
        free(yaml);
    }
    /* A server URL with credentials in it is not quoted either. */
    expect_yaml_error("current-context: x\n"
                      "clusters: [{name: c, cluster: {server: 'ftp://admin:hunter2-pw@h'}}]\n"
                      "contexts: [{name: x, context: {cluster: c}}]\n",
                      NULL, ED_EINVALID, "clusters[c]: server: the scheme must be https or http");
    ed_err err = ED_ERR_INIT;
    ed_kube_config *cfg = NULL;
    const char *y = "current-context: x\n"
                    "clusters: [{name: c, cluster: {server: 'ftp://admin:hunter2-pw@h'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n";
    assert_int_equal(ed_kube_config_from_yaml(y, strlen(y), NULL, &cfg, &err), ED_EINVALID);
    assert_null(strstr(err.msg, "hunter2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inline_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_kubeconfig_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_home_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_override, setup, teardown),
        cmocka_unit_test(test_url_redact),
        cmocka_unit_test_setup_teardown(test_kubectl_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalars_and_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_and_token_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_yaml_refuses_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_in_errors, setup, teardown),
        cmocka_unit_test(test_event_utf8_prefix),
        cmocka_unit_test(test_event_cache_repeats),
        cmocka_unit_test(test_event_cache_failed_writes),
        cmocka_unit_test(test_event_cache_eviction),
        cmocka_unit_test(test_event_cache_bound),
        cmocka_unit_test(test_event_invalid),
        cmocka_unit_test(test_exec_cred_parse),
        cmocka_unit_test(test_exec_cred_parse_errors),
        cmocka_unit_test(test_exec_info),
        cmocka_unit_test(test_exec_run),
        cmocka_unit_test(test_exec_run_failures),
    };
    return cmocka_run_group_tests_name("kube", tests, NULL, NULL);
}
