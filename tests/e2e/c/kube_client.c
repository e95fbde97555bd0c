/*
 * End-to-end tests of the kube client against the real control plane the e2e runner starts
 * ($KUBECONFIG: admin; $EDDY_USER_KUBECONFIG: a user without permissions). Every operation is
 * checked against what the API server really did: typed errors, paging, server-side apply and
 * its field managers, dry-run, a CRD and a custom resource of it in one pass (discovery
 * refresh), RBAC refusals, impersonation, TLS verification and retries on a dead server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube/kube.h"
#include "e2e.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ed_kube *admin;
static char ns[64];

static ed_doc *yaml(const char *text)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(text, strlen(text), "test", &docs, &n, &err) != 0 || n != 1)
        fail_msg("bad test YAML: %s", err.msg);
    ed_doc *d = docs[0];
    free(docs);
    return d;
}

/* Build a manifest from a template with the test namespace substituted for every "%s". */
static ed_doc *manifest(const char *tmpl)
{
    ed_buf text = ED_BUF_INIT(65536);
    for (const char *p = tmpl; *p;) {
        const char *hole = strstr(p, "%s");
        size_t n = hole ? (size_t)(hole - p) : strlen(p);
        ed_buf_append(&text, p, n);
        if (!hole)
            break;
        ed_buf_append_str(&text, ns);
        p = hole + 2;
    }
    ed_doc *d = yaml(text.data);
    ed_buf_free(&text);
    return d;
}

static ed_kube *client_from(const char *path, ed_kube_config **cfg_out)
{
    ed_kube_load_opts opts = {.kubeconfig = path};
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_config_load(&opts, &cfg, &err) != 0)
        fail_msg("loading %s: %s", path, err.msg);
    ed_kube *k = NULL;
    if (ed_kube_new(cfg, &k, &err) != 0)
        fail_msg("client: %s", err.msg);
    if (cfg_out)
        *cfg_out = cfg;
    else
        ed_kube_config_free(cfg);
    return k;
}

static int setup(void **state)
{
    (void)state;
    const char *kc = getenv("KUBECONFIG");
    if (!kc)
        return -1;
    admin = client_from(kc, NULL);
    return e2e_namespace(admin, "kube-client", ns, sizeof(ns));
}

static int teardown(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_delete(admin, "v1", "Namespace", NULL, ns, NULL, &err);
    ed_kube_free(admin);
    return 0;
}

static void test_mapping(void **state)
{
    (void)state;
    ed_kube_resource r;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_resource_for(admin, "apps/v1", "Deployment", &r, &err), 0);
    assert_string_equal(r.group, "apps");
    assert_string_equal(r.resource, "deployments");
    assert_true(r.namespaced);
    assert_int_equal(ed_kube_resource_for(admin, "v1", "Namespace", &r, &err), 0);
    assert_string_equal(r.group, "");
    assert_false(r.namespaced);
    char *p = ed_kube_path(&r, "ignored", "my ns", NULL);
    assert_string_equal(p, "/api/v1/namespaces/my%20ns");
    free(p);
    assert_int_equal(ed_kube_resource_for(admin, "apps/v1", "Deploymnet", &r, &err), ED_ENOTFOUND);
    assert_string_equal(err.msg, "no matches for kind \"Deploymnet\" in version \"apps/v1\"");
    assert_int_equal(ed_kube_resource_for(admin, "nope.example.com/v1", "X", &r, &err),
                     ED_ENOTFOUND);
}

/* Every request goes over HTTP/2 (TLS with ALPN), and sequential requests reuse one
 * connection instead of opening a TLS connection each. */
static void test_http2_and_reuse(void **state)
{
    (void)state;
    ed_kube *k = client_from(getenv("KUBECONFIG"), NULL);
    ed_err err = ED_ERR_INIT;
    for (int i = 0; i < 50; i++) {
        ed_doc *d = NULL;
        assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, ns, &d, &err), 0);
        ed_doc_free(d);
    }
    ed_kube_stats st;
    ed_kube_get_stats(k, &st);
    /* Discovery adds a request or two before the first GET. */
    assert_true(st.requests >= 50);
    assert_int_equal(st.http2, st.requests);
    assert_int_equal(st.watches, 0);
    assert_int_equal(st.connections, 1);
    ed_kube_free(k);
}

/* A token for service account `name` of the test namespace, from the TokenRequest API. */
static char *sa_token(const char *name)
{
    ed_err err = ED_ERR_INIT;
    char *sa = ed_xasprintf("apiVersion: v1\nkind: ServiceAccount\n"
                            "metadata: {name: %s, namespace: %%s}\n",
                            name);
    ed_doc *d = manifest(sa);
    free(sa);
    assert_int_equal(ed_kube_create(admin, ed_doc_root(d), NULL, NULL, &err), 0);
    ed_doc_free(d);
    char *path = ed_xasprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", ns, name);
    const char *body = "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\","
                       "\"spec\":{\"expirationSeconds\":3600}}";
    ed_kube_response resp;
    assert_int_equal(
        ed_kube_request(admin, "POST", path, "application/json", body, strlen(body), &resp, &err),
        0);
    free(path);
    ed_doc *reply = NULL;
    assert_int_equal(ed_doc_parse_json(resp.body.data, resp.body.len, &reply, &err), 0);
    char *token = ed_xstrdup(ed_node_path_str(ed_doc_root(reply), "/status/token"));
    ed_doc_free(reply);
    ed_kube_response_free(&resp);
    return token;
}

/* The user the API server sees for client k (a SelfSubjectReview). */
static char *whoami(ed_kube *k)
{
    const char *body =
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}";
    ed_kube_response resp;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_request(k, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                        "application/json", body, strlen(body), &resp, &err) != 0)
        fail_msg("SelfSubjectReview: %s", err.msg);
    ed_doc *reply = NULL;
    assert_int_equal(ed_doc_parse_json(resp.body.data, resp.body.len, &reply, &err), 0);
    char *user = ed_xstrdup(ed_node_path_str(ed_doc_root(reply), "/status/userInfo/username"));
    ed_doc_free(reply);
    ed_kube_response_free(&resp);
    return user;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* In-cluster configuration: the service account's token file is read again when the kubelet
 * rotates it (a new file moved into place), also within the same second, so the client goes on
 * as the new token's identity without a restart. */
static void test_in_cluster_token_rotation(void **state)
{
    (void)state;
    char *tok_a = sa_token("rotate-a");
    char *tok_b = sa_token("rotate-b");
    char dir[] = "/tmp/eddy-sa.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *token = ed_xasprintf("%s/token", dir), *next = ed_xasprintf("%s/token.next", dir);
    char *ca = ed_xasprintf("%s/ca.crt", dir), *nsfile = ed_xasprintf("%s/namespace", dir);
    write_file(token, tok_a);
    write_file(ca, ed_kube_get_config(admin)->ca_pem);
    write_file(nsfile, ns);
    /* "https://127.0.0.1:PORT" */
    const char *server = ed_kube_get_config(admin)->server;
    const char *port = strrchr(server, ':') + 1;
    setenv("ED_KUBE_SA_DIR", dir, 1);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);

    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_config_in_cluster(&cfg, &err) != 0)
        fail_msg("in-cluster configuration: %s", err.msg);
    ed_kube *k = NULL;
    assert_int_equal(ed_kube_new(cfg, &k, &err), 0);
    char *user = whoami(k);
    char *want = ed_xasprintf("system:serviceaccount:%s:rotate-a", ns);
    assert_string_equal(user, want);
    free(user);
    free(want);

    /* Rotate as the kubelet does: write the new token aside, then rename it over the old. */
    write_file(next, tok_b);
    assert_int_equal(rename(next, token), 0);
    user = whoami(k);
    want = ed_xasprintf("system:serviceaccount:%s:rotate-b", ns);
    assert_string_equal(user, want);
    free(user);
    free(want);

    ed_kube_free(k);
    ed_kube_config_free(cfg);
    unsetenv("ED_KUBE_SA_DIR");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unlink(token);
    unlink(ca);
    unlink(nsfile);
    rmdir(dir);
    free(token);
    free(next);
    free(ca);
    free(nsfile);
    free(tok_a);
    free(tok_b);
}

static void test_crud_and_typed_errors(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_doc *cm = manifest("apiVersion: v1\nkind: ConfigMap\n"
                          "metadata: {name: settings, namespace: %s}\ndata: {a: \"1\"}\n");
    ed_doc *created = NULL;
    assert_int_equal(ed_kube_create(admin, ed_doc_root(cm), NULL, &created, &err), 0);
    assert_non_null(ed_node_path_str(ed_doc_root(created), "/metadata/uid"));
    const char *rv = ed_node_path_str(ed_doc_root(created), "/metadata/resourceVersion");
    assert_non_null(rv);

    assert_int_equal(ed_kube_create(admin, ed_doc_root(cm), NULL, NULL, &err), ED_EEXISTS);
    assert_non_null(strstr(err.msg, "already exists"));

    ed_doc *got = NULL;
    assert_int_equal(ed_kube_get(admin, "v1", "ConfigMap", ns, "settings", &got, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(got), "/data/a"), "1");

    /* An update that carries an old resourceVersion loses the race: a conflict. */
    ed_doc *stale = manifest("apiVersion: v1\nkind: ConfigMap\n"
                             "metadata: {name: settings, namespace: %s, resourceVersion: \"1\"}\n"
                             "data: {a: \"2\"}\n");
    assert_int_equal(ed_kube_update(admin, ed_doc_root(stale), NULL, NULL, &err), ED_ECONFLICT);

    /* The three patch types. */
    const char *merge = "{\"data\":{\"b\":\"merge\"}}";
    const char *json = "[{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"json\"}]";
    const char *smp = "{\"metadata\":{\"labels\":{\"patched\":\"strategic\"}}}";
    ed_doc *p = NULL;
    assert_int_equal(ed_kube_patch(admin, "v1", "ConfigMap", ns, "settings", ED_KUBE_PATCH_MERGE,
                                   merge, strlen(merge), NULL, NULL, &err),
                     0);
    assert_int_equal(ed_kube_patch(admin, "v1", "ConfigMap", ns, "settings", ED_KUBE_PATCH_JSON,
                                   json, strlen(json), NULL, NULL, &err),
                     0);
    assert_int_equal(ed_kube_patch(admin, "v1", "ConfigMap", ns, "settings",
                                   ED_KUBE_PATCH_STRATEGIC, smp, strlen(smp), NULL, &p, &err),
                     0);
    ed_node *root = ed_doc_root(p);
    assert_string_equal(ed_node_path_str(root, "/data/b"), "merge");
    assert_string_equal(ed_node_path_str(root, "/data/c"), "json");
    assert_string_equal(ed_node_path_str(root, "/metadata/labels/patched"), "strategic");

    /* Invalid: the API's message names the field. */
    ed_doc *bad = manifest("apiVersion: apps/v1\nkind: Deployment\n"
                           "metadata: {name: bad, namespace: %s}\n"
                           "spec:\n  replicas: -1\n  selector: {matchLabels: {app: x}}\n"
                           "  template:\n    metadata: {labels: {app: x}}\n"
                           "    spec: {containers: [{name: x, image: x}]}\n");
    assert_int_equal(ed_kube_create(admin, ed_doc_root(bad), NULL, NULL, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "spec.replicas"));

    /* A dry-run delete deletes nothing. */
    ed_kube_opts dry = {.dry_run = true};
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "settings", &dry, &err), 0);
    assert_int_equal(ed_kube_get(admin, "v1", "ConfigMap", ns, "settings", NULL, &err), 0);

    /* Preconditions: a delete aimed at another incarnation (uid) or an older
     * resourceVersion is refused with a conflict and deletes nothing. */
    ed_kube_opts other_uid = {.precondition_uid = "00000000-0000-0000-0000-000000000000"};
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "settings", &other_uid, &err),
                     ED_ECONFLICT);
    assert_non_null(strstr(err.msg, "recondition"));
    ed_kube_opts old_rv = {.precondition_resource_version = rv};
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "settings", &old_rv, &err),
                     ED_ECONFLICT);
    assert_int_equal(ed_kube_get(admin, "v1", "ConfigMap", ns, "settings", NULL, &err), 0);
    ed_kube_opts this_uid = {.precondition_uid =
                                 ed_node_path_str(ed_doc_root(created), "/metadata/uid"),
                             .propagation_policy = "Foreground"};
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "settings", &this_uid, &err), 0);
    /* Foreground: the garbage collector removes the object once it has no dependents. */
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = ed_kube_get(admin, "v1", "ConfigMap", ns, "settings", NULL, &err) == ED_ENOTFOUND;
        if (!gone)
            usleep(100 * 1000);
    }
    assert_true(gone);
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "settings", NULL, &err),
                     ED_ENOTFOUND);
    ed_doc_free(cm);
    ed_doc_free(created);
    ed_doc_free(got);
    ed_doc_free(stale);
    ed_doc_free(p);
    ed_doc_free(bad);
}

static void test_list_pages(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    for (int i = 0; i < 23; i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page-%02d\n"
                 "  namespace: %s\n  labels: {set: paging}\n",
                 i, ns);
        ed_doc *d = yaml(text);
        assert_int_equal(ed_kube_create(admin, ed_doc_root(d), NULL, NULL, &err), 0);
        ed_doc_free(d);
    }
    ed_kube_opts opts = {.label_selector = "set=paging", .limit = 5};
    ed_doc *list = NULL;
    assert_int_equal(ed_kube_list(admin, "v1", "ConfigMap", ns, &opts, &list, &err), 0);
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    assert_int_equal(ed_node_len(items), 23);
    assert_string_equal(ed_node_path_str(items, "/0/metadata/name"), "page-00");
    assert_string_equal(ed_node_path_str(items, "/22/metadata/name"), "page-22");
    assert_null(ed_node_path(ed_doc_root(list), "/metadata/continue"));
    ed_doc_free(list);

    opts.label_selector = "set=none";
    assert_int_equal(ed_kube_list(admin, "v1", "ConfigMap", ns, &opts, &list, &err), 0);
    assert_int_equal(ed_node_len(ed_node_get(ed_doc_root(list), "items")), 0);
    ed_doc_free(list);
}

/* The manager of the managed-fields entry that owns data.key, or NULL. */
static const char *owner_of(const ed_node *obj, const char *key)
{
    ed_node *mf = ed_node_path(obj, "/metadata/managedFields");
    char field[128];
    snprintf(field, sizeof(field), "f:%s", key);
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        ed_node *e = ed_node_at(mf, i);
        if (ed_node_get(ed_node_path(e, "/fieldsV1/f:data"), field))
            return ed_node_str(ed_node_get(e, "manager"));
    }
    return NULL;
}

static void test_server_side_apply(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_doc *obj = manifest("apiVersion: v1\nkind: ConfigMap\n"
                           "metadata: {name: applied, namespace: %s}\ndata: {key: git}\n");
    ed_kube_opts flux = {.field_manager = "kustomize-controller"};
    ed_doc *out = NULL;
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(obj), &flux, &out, &err), 0);
    assert_string_equal(owner_of(ed_doc_root(out), "key"), "kustomize-controller");
    ed_doc_free(out);

    /* Another manager changing the same field conflicts unless it forces. */
    ed_doc *edit = manifest("apiVersion: v1\nkind: ConfigMap\n"
                            "metadata: {name: applied, namespace: %s}\ndata: {key: hand}\n");
    ed_kube_opts human = {.field_manager = "human"};
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(edit), &human, NULL, &err), ED_ECONFLICT);
    assert_non_null(strstr(err.msg, "conflict"));
    human.force = true;
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(edit), &human, &out, &err), 0);
    assert_string_equal(owner_of(ed_doc_root(out), "key"), "human");
    ed_doc_free(out);

    /* A dry-run apply validates and answers, and changes nothing. */
    flux.force = true;
    flux.dry_run = true;
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(obj), &flux, &out, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(out), "/data/key"), "git");
    ed_doc_free(out);
    assert_int_equal(ed_kube_get(admin, "v1", "ConfigMap", ns, "applied", &out, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(out), "/data/key"), "hand");
    ed_doc_free(out);

    /* A dry-run create does not create. */
    ed_doc *fresh = manifest("apiVersion: v1\nkind: ConfigMap\n"
                             "metadata: {name: dry, namespace: %s}\n");
    ed_kube_opts dry = {.dry_run = true};
    assert_int_equal(ed_kube_create(admin, ed_doc_root(fresh), &dry, NULL, &err), 0);
    assert_int_equal(ed_kube_get(admin, "v1", "ConfigMap", ns, "dry", NULL, &err), ED_ENOTFOUND);
    ed_doc_free(fresh);
    ed_doc_free(obj);
    ed_doc_free(edit);
}

static void test_crd_then_custom_resource(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    char crd_text[2048];
    snprintf(crd_text, sizeof(crd_text),
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
             "metadata: {name: widgets.t%d.example.com}\n"
             "spec:\n  group: t%d.example.com\n  scope: Namespaced\n"
             "  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n"
             "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
             "    subresources: {status: {}}\n"
             "    schema:\n      openAPIV3Schema:\n        type: object\n"
             "        x-kubernetes-preserve-unknown-fields: true\n",
             (int)getpid(), (int)getpid());
    ed_doc *crd = yaml(crd_text);
    ed_kube_opts flux = {.field_manager = "kustomize-controller"};
    char api_version[128];
    snprintf(api_version, sizeof(api_version), "t%d.example.com/v1", (int)getpid());
    ed_kube_resource r;
    /* Unknown first (and cached as unknown)... */
    assert_int_equal(ed_kube_resource_for(admin, api_version, "Widget", &r, &err), ED_ENOTFOUND);
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(crd), &flux, NULL, &err), 0);
    /* ...then found once the CRD is established: the mapping refreshes itself. */
    int rc = ED_ENOTFOUND;
    for (int i = 0; i < 100 && rc == ED_ENOTFOUND; i++) {
        rc = ed_kube_resource_for(admin, api_version, "Widget", &r, &err);
        if (rc == ED_ENOTFOUND)
            usleep(100 * 1000);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(r.resource, "widgets");
    char cr_text[512];
    snprintf(cr_text, sizeof(cr_text),
             "apiVersion: %s\nkind: Widget\nmetadata: {name: w, namespace: %s}\nspec: {size: 3}\n",
             api_version, ns);
    ed_doc *cr = yaml(cr_text);
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(cr), &flux, NULL, &err), 0);
    /* The status subresource takes status; the main resource ignores it. */
    const char *status = "{\"status\":{\"ready\":true}}";
    ed_kube_opts st = {.subresource = "status"};
    ed_doc *out = NULL;
    assert_int_equal(ed_kube_patch(admin, api_version, "Widget", ns, "w", ED_KUBE_PATCH_MERGE,
                                   status, strlen(status), &st, &out, &err),
                     0);
    bool ready = false;
    assert_true(ed_node_bool(ed_node_path(ed_doc_root(out), "/status/ready"), &ready));
    assert_true(ready);
    ed_doc_free(out);
    assert_int_equal(ed_kube_delete(admin, "apiextensions.k8s.io/v1", "CustomResourceDefinition",
                                    NULL, ed_node_path_str(ed_doc_root(crd), "/metadata/name"),
                                    NULL, &err),
                     0);
    ed_doc_free(crd);
    ed_doc_free(cr);
}

static void test_rbac_and_impersonation(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    const char *user_kc = getenv("EDDY_USER_KUBECONFIG");
    assert_non_null(user_kc);
    ed_kube *user = client_from(user_kc, NULL);
    assert_int_equal(ed_kube_get(user, "v1", "Namespace", NULL, ns, NULL, &err), ED_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "eddy-user"));
    /* The token never appears in a message. */
    const char *token = ed_kube_get_config(user)->token;
    assert_non_null(token);
    assert_null(strstr(err.msg, token));
    ed_kube_free(user);

    /* The admin impersonating a service account is refused like that account. */
    ed_kube_config *cfg = ed_kube_config_dup(ed_kube_get_config(admin));
    free(cfg->impersonate_user);
    cfg->impersonate_user = ed_xasprintf("system:serviceaccount:%s:deployer", ns);
    ed_kube *imp = NULL;
    assert_int_equal(ed_kube_new(cfg, &imp, &err), 0);
    assert_int_equal(ed_kube_get(imp, "v1", "ConfigMap", ns, "x", NULL, &err), ED_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "system:serviceaccount:"));
    /* Granted a Role, the same impersonated account may read: allowed, not only denied. */
    ed_doc *rbac =
        manifest("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
                 "metadata: {name: reader, namespace: %s}\n"
                 "rules: [{apiGroups: [\"\"], resources: [configmaps], verbs: [get, list]}]\n");
    ed_doc *binding =
        manifest("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
                 "metadata: {name: deployer-reads, namespace: %s}\n"
                 "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\n"
                 "subjects: [{kind: ServiceAccount, name: deployer, namespace: %s}]\n");
    ed_doc *readable = manifest("apiVersion: v1\nkind: ConfigMap\n"
                                "metadata: {name: readable, namespace: %s}\n");
    ed_kube_opts fm = {.field_manager = "kustomize-controller"};
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(rbac), &fm, NULL, &err), 0);
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(binding), &fm, NULL, &err), 0);
    assert_int_equal(ed_kube_apply(admin, ed_doc_root(readable), &fm, NULL, &err), 0);
    ed_doc_free(readable);
    int rc = ED_EFORBIDDEN;
    for (int i = 0; i < 50 && rc == ED_EFORBIDDEN; i++) {
        rc = ed_kube_get(imp, "v1", "ConfigMap", ns, "readable", NULL, &err);
        if (rc == ED_EFORBIDDEN)
            usleep(100 * 1000); /* RBAC caches catch up */
    }
    if (rc)
        fail_msg("impersonated get: %s", err.msg);
    ed_doc_free(rbac);
    ed_doc_free(binding);
    ed_kube_free(imp);
    ed_kube_config_free(cfg);
}

static void test_tls_and_dead_server(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_kube_config *cfg = ed_kube_config_dup(ed_kube_get_config(admin));
    /* The wrong CA: the server's certificate is refused. */
    free(cfg->ca_pem);
    cfg->ca_pem = ed_xstrdup(cfg->cert_pem); /* a certificate that is not the CA */
    ed_kube *k = NULL;
    assert_int_equal(ed_kube_new(cfg, &k, &err), 0);
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_EAUTH);
    ed_kube_free(k);
    /* Nothing listens: retried, then a retryable error naming the server. */
    free(cfg->server);
    cfg->server = ed_xstrdup("https://127.0.0.1:1");
    cfg->timeout_ms = 2000;
    assert_int_equal(ed_kube_new(cfg, &k, &err), 0);
    int64_t t0 = ed_time_mono_ms();
    assert_int_equal(ed_kube_get(k, "v1", "Namespace", NULL, "default", NULL, &err), ED_ERETRY);
    assert_true(ed_time_mono_ms() - t0 >= 1000); /* it did back off and retry */
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));
    ed_kube_free(k);
    ed_kube_config_free(cfg);
}

struct seen {
    char events[16][64]; /* "ADDED watched-1" */
    int n;
};

static int record_event(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct seen *seen = user;
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"};
    if (type == ED_KUBE_BOOKMARK)
        return 0;
    if (seen->n < 16)
        snprintf(seen->events[seen->n++], 64, "%s %s", names[type],
                 ed_node_path_str(obj, "/metadata/name"));
    return type == ED_KUBE_DELETED; /* stop after the deletion */
}

struct watcher {
    const char *rv;
    struct seen seen;
    int rc;
    ed_err err;
};

static void *run_watch(void *arg)
{
    struct watcher *w = arg;
    ed_kube_watch_opts opts = {.resource_version = w->rv,
                               .bookmarks = true,
                               .timeout_seconds = 30,
                               .field_selector = "metadata.name=watched"};
    w->rc = ed_kube_watch(admin, "v1", "ConfigMap", ns, &opts, record_event, &w->seen, &w->err);
    return NULL;
}

static void test_watch(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_doc *list = NULL;
    ed_kube_opts lo = {.field_selector = "metadata.name=watched"};
    assert_int_equal(ed_kube_list(admin, "v1", "ConfigMap", ns, &lo, &list, &err), 0);
    struct watcher w = {.rv = ed_node_path_str(ed_doc_root(list), "/metadata/resourceVersion")};
    assert_non_null(w.rv);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_watch, &w), 0);
    usleep(300 * 1000);
    ed_doc *cm = manifest("apiVersion: v1\nkind: ConfigMap\n"
                          "metadata: {name: watched, namespace: %s}\ndata: {v: \"1\"}\n");
    assert_int_equal(ed_kube_create(admin, ed_doc_root(cm), NULL, NULL, &err), 0);
    const char *patch = "{\"data\":{\"v\":\"2\"}}";
    assert_int_equal(ed_kube_patch(admin, "v1", "ConfigMap", ns, "watched", ED_KUBE_PATCH_MERGE,
                                   patch, strlen(patch), NULL, NULL, &err),
                     0);
    assert_int_equal(ed_kube_delete(admin, "v1", "ConfigMap", ns, "watched", NULL, &err), 0);
    pthread_join(t, NULL);
    if (w.rc)
        fail_msg("watch: %s", w.err.msg);
    assert_int_equal(w.seen.n, 3);
    assert_string_equal(w.seen.events[0], "ADDED watched");
    assert_string_equal(w.seen.events[1], "MODIFIED watched");
    assert_string_equal(w.seen.events[2], "DELETED watched");
    ed_doc_free(cm);
    ed_doc_free(list);
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data, (void)user;
    return size * n;
}

/* Compact etcd's history up to now, as a long-running cluster does every few minutes. */
static void compact_etcd(const char *etcd_url, const char *revision)
{
    char url[256], body[128];
    snprintf(url, sizeof(url), "%s/v3/kv/compaction", etcd_url);
    snprintf(body, sizeof(body), "{\"revision\":\"%s\",\"physical\":true}", revision);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(h);
}

static int never_called(ed_kube_event_type type, const ed_node *obj, void *user)
{
    (void)type, (void)obj, (void)user;
    return 0;
}

struct bulk {
    ed_kube *k;
    int from, to;
    int failed;
};

static void *create_range(void *arg)
{
    struct bulk *b = arg;
    for (int i = b->from; i < b->to; i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                 "\"bulk-%04d\",\"namespace\":\"%s\",\"labels\":{\"set\":\"bulk\"}}}",
                 i, ns);
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_doc_parse_json(text, strlen(text), &d, &err) != 0 ||
            ed_kube_create(b->k, ed_doc_root(d), NULL, NULL, &err) != 0)
            b->failed++;
        ed_doc_free(d);
    }
    return NULL;
}

/* Paging over 2,000 objects: every object exactly once, in name order, across pages. */
static void test_list_2000(void **state)
{
    (void)state;
    ed_kube_config *cfg = ed_kube_config_dup(ed_kube_get_config(admin));
    cfg->qps = 0; /* no client-side limit for the bulk load */
    ed_kube *k = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_kube_new(cfg, &k, &err), 0);
    pthread_t t[4];
    struct bulk b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (struct bulk){k, i * 500, (i + 1) * 500, 0};
        pthread_create(&t[i], NULL, create_range, &b[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(b[i].failed, 0);
    }
    ed_kube_opts opts = {.label_selector = "set=bulk", .limit = 300};
    ed_doc *list = NULL;
    assert_int_equal(ed_kube_list(k, "v1", "ConfigMap", ns, &opts, &list, &err), 0);
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    assert_int_equal(ed_node_len(items), 2000);
    for (size_t i = 0; i < 2000; i++) {
        char want[32];
        snprintf(want, sizeof(want), "bulk-%04zu", i);
        const char *name = ed_node_path_str(ed_node_at(items, i), "/metadata/name");
        if (!name || strcmp(name, want) != 0)
            fail_msg("item %zu is %s, want %s", i, name ? name : "(none)", want);
    }
    ed_doc_free(list);
    ed_kube_free(k);
    ed_kube_config_free(cfg);
}

static void test_watch_gone(void **state)
{
    (void)state;
    const char *etcd = getenv("EDDY_ETCD_URL");
    assert_non_null(etcd);
    ed_err err = ED_ERR_INIT;
    /* PodTemplates bypass the apiserver's watch cache in the test cluster (scripts/cluster). */
    ed_doc *pt =
        manifest("apiVersion: v1\nkind: PodTemplate\nmetadata: {name: old, namespace: %s}\n"
                 "template: {spec: {containers: [{name: c, image: x}]}}\n");
    ed_doc *created = NULL;
    assert_int_equal(ed_kube_create(admin, ed_doc_root(pt), NULL, &created, &err), 0);
    const char *rv = ed_node_path_str(ed_doc_root(created), "/metadata/resourceVersion");
    assert_int_equal(ed_kube_delete(admin, "v1", "PodTemplate", ns, "old", NULL, &err), 0);
    ed_doc *after = NULL;
    assert_int_equal(ed_kube_create(admin, ed_doc_root(pt), NULL, &after, &err), 0);
    compact_etcd(etcd, ed_node_path_str(ed_doc_root(after), "/metadata/resourceVersion"));
    /* A resourceVersion from before the compaction: 410 Gone, so the caller lists again. */
    ed_kube_watch_opts wo = {.resource_version = rv, .timeout_seconds = 5};
    assert_int_equal(ed_kube_watch(admin, "v1", "PodTemplate", ns, &wo, never_called, NULL, &err),
                     ED_EGONE);
    ed_doc_free(pt);
    ed_doc_free(created);
    ed_doc_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_http2_and_reuse),
        cmocka_unit_test(test_in_cluster_token_rotation),
        cmocka_unit_test(test_crud_and_typed_errors),
        cmocka_unit_test(test_list_pages),
        cmocka_unit_test(test_server_side_apply),
        cmocka_unit_test(test_crd_then_custom_resource),
        cmocka_unit_test(test_rbac_and_impersonation),
        cmocka_unit_test(test_tls_and_dead_server),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_watch_gone),
        cmocka_unit_test(test_list_2000),
    };
    return cmocka_run_group_tests_name("kube client e2e", tests, setup, teardown);
}
