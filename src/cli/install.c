/*
 * `eddy install`, `eddy uninstall`, `eddy check` and `eddy version`, as flux has them.
 *
 * install reads the manifests embedded in the binary (deploy/crds and deploy/install, turned
 * into C by scripts/embed-files at build time): the Flux CRDs of the chosen components, the
 * Namespace, the ServiceAccount and RBAC, the Deployment running `eddy controller` and the
 * Service of its artifact server; or, with --manifests DIR, the .yaml files below DIR, through
 * the same code. It renames the namespace (-n), points the Deployment at
 * <--registry>/eddy:v<this version> with the agent's --log-level and
 * --watch-all-namespaces, flux's --toleration-keys (tolerations with operator Exists) and
 * --cluster-domain (in the artifact server's advertised address), then prints them
 * (--export) or applies them with server-side apply (field manager flux; the Namespace, the
 * CRDs, the identity and RBAC first; flux's --registry-creds Secret before the Deployment,
 * never printed) and waits until the Deployment is ready. --version accepts only this eddy's
 * own version (or latest): its manifests are the embedded ones. uninstall deletes the components,
 * removes the finalizers of every object of each kind flux's uninstall knows, Buckets and
 * HelmReleases too (the controller that would clear them is gone; what
 * they applied stays), deletes the CRDs and the namespace (unless --keep-namespace). check verifies
 * the Kubernetes version and the permissions install needs (--pre), then the installed Deployment
 * (when there is one), the agent's leader-election Lease (held and renewed within its duration) and
 * the CRDs (Established). version prints this binary's version and the installed agent's.
 */
#include "cli_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The components eddy serves, as flux names them. */
static const char *const served[] = {"source-controller", "kustomize-controller",
                                     "image-reflector-controller", "image-automation-controller",
                                     NULL};
/* Flux components eddy does not serve: accepted, left out with a warning. */
static const char *const not_served[] = {"helm-controller", "notification-controller",
                                         "source-watcher", NULL};

static bool in(const char *const *set, const char *s)
{
    for (int i = 0; set[i]; i++)
        if (strcmp(set[i], s) == 0)
            return true;
    return false;
}

struct install_opts {
    ed_cli_global g;
    bool export_only;
    ed_cli_list components, extra;
    ed_cli_install_shape shape;       /* the flags bootstrap shares */
    const ed_cli_manifest *manifests; /* the files to install: embedded, or --manifests DIR's */
};

int ed_cli_components_check(const ed_cli_list *components, const ed_cli_list *extra)
{
    const ed_cli_list *lists[] = {components, extra};
    for (int l = 0; l < 2; l++)
        for (int i = 0; lists[l] && i < lists[l]->n; i++) {
            const char *c = lists[l]->items[i];
            if (!in(not_served, c) && !in(served, c)) {
                ed_cli_failure("component %s is not available", c);
                return 2;
            }
        }
    return 0;
}

/* Check --components and --components-extra; the chosen set goes to *chosen. */
static int choose_components(const struct install_opts *o, ed_cli_list *chosen)
{
    chosen->n = 0;
    const ed_cli_list *lists[] = {&o->components, &o->extra};
    /* as flux's ValidateComponents, before anything is said of the others */
    if (ed_cli_components_check(&o->components, &o->extra) != 0)
        return 2;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lists[l]->n; i++) {
            const char *c = lists[l]->items[i];
            if (in(not_served, c))
                ed_cli_warning("%s is not served by eddy: left out", c);
            else
                chosen->items[chosen->n++] = c;
        }
    return 0;
}

/* ---- the manifests ---- */

static bool crd_wanted(const ed_node *obj, const ed_cli_list *components)
{
    const char *name = ed_node_path_str(obj, "/metadata/name");
    for (int i = 0; ed_cli_kinds[i]; i++) {
        if (!name || strcmp(ed_cli_kinds[i]->crd, name) != 0)
            continue;
        for (int c = 0; c < components->n; c++)
            if (strcmp(components->items[c], ed_cli_kinds[i]->component) == 0)
                return true;
        return false;
    }
    return true;
}

static void set_str(ed_doc *d, ed_node *map, const char *key, const char *value)
{
    if (map)
        ed_node_set(d, map, key, ed_node_new_str(d, value));
}

/* "crd-controller-flux-system" -> "crd-controller-<ns>". */
static void rename_suffix(ed_doc *d, ed_node *map, const char *key, const char *ns)
{
    const char *v = ed_node_str(ed_node_get(map, key));
    if (!v || !ed_str_has_suffix(v, "-flux-system"))
        return;
    char *renamed = ed_xasprintf("%.*s-%s", (int)(strlen(v) - strlen("-flux-system")), v, ns);
    set_str(d, map, key, renamed);
    free(renamed);
}

/* The image tag of this binary: "v0.1.0-dev" from "0.1.0-dev+commit". */
static char *image_of(const char *registry)
{
    const char *plus = strchr(ED_CLI_VERSION, '+');
    int len = plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION);
    return ed_xasprintf("%s/eddy:v%.*s", registry, len, ED_CLI_VERSION);
}

/* Set the value of "--flag=value" in a container's args (moved to the end: after the verb,
 * the agent's flags may come in any order). */
static void set_arg(ed_doc *d, ed_node *args, const char *flag, const char *value)
{
    size_t len = strlen(flag);
    for (size_t i = 0; i < ed_node_len(args); i++) {
        const char *a = ed_node_str(ed_node_at(args, i));
        if (a && strncmp(a, flag, len) == 0 && a[len] == '=') {
            char *arg = ed_xasprintf("%s=%s", flag, value);
            ed_node_remove_at(args, i);
            ed_node_append(d, args, ed_node_new_str(d, arg));
            free(arg);
            return;
        }
    }
}

/* The controller a CRD belongs to in flux's install (each base labels its own CRDs with
 * app.kubernetes.io/component), by the CRD's name; NULL for another. */
static const char *crd_component(const char *name)
{
    if (!name)
        return NULL;
    if (ed_str_has_suffix(name, ".source.toolkit.fluxcd.io"))
        return "source-controller";
    if (ed_str_has_suffix(name, ".kustomize.toolkit.fluxcd.io"))
        return "kustomize-controller";
    if (strcmp(name, "imageupdateautomations.image.toolkit.fluxcd.io") == 0)
        return "image-automation-controller";
    if (ed_str_has_suffix(name, ".image.toolkit.fluxcd.io"))
        return "image-reflector-controller";
    return NULL;
}

/* flux's install labels (its LabelTransformer, pkg/manifestgen/install/templates.go): on every
 * object and a Deployment's pod template, app.kubernetes.io/instance (the namespace), part-of
 * flux and version (this eddy's release, "v0.1.0-dev": what flux check's distribution and the
 * override question read from the GitRepository CRD); a CRD also names its controller. */
static void set_labels(ed_doc *d, ed_node *obj, const char *ns)
{
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *plus = strchr(ED_CLI_VERSION, '+');
    int len = plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION);
    char *version = ed_xasprintf("v%.*s", len, ED_CLI_VERSION);
    ed_node *sets[2] = {ed_node_ensure_map(d, obj, "/metadata/labels"), NULL};
    if (kind && strcmp(kind, "Deployment") == 0)
        sets[1] = ed_node_ensure_map(d, obj, "/spec/template/metadata/labels");
    for (size_t i = 0; i < 2 && sets[i]; i++) {
        set_str(d, sets[i], "app.kubernetes.io/instance", ns);
        set_str(d, sets[i], "app.kubernetes.io/part-of", "flux");
        set_str(d, sets[i], "app.kubernetes.io/version", version);
    }
    const char *component = kind && strcmp(kind, "CustomResourceDefinition") == 0
                                ? crd_component(ed_node_path_str(obj, "/metadata/name"))
                                : NULL;
    if (component)
        set_str(d, sets[0], "app.kubernetes.io/component", component);
    free(version);
}

/* Adapt one object to the options: namespace, names, labels, image, the agent's flags. */
static void customize(ed_doc *d, const struct install_opts *o)
{
    ed_node *obj = ed_doc_root(d);
    ed_node *meta = ed_node_get(obj, "metadata");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *ns = o->g.ns;
    if (ed_node_get(meta, "namespace"))
        set_str(d, meta, "namespace", ns);
    set_labels(d, obj, ns);
    if (strcmp(kind, "Namespace") == 0)
        set_str(d, meta, "name", ns);
    if (strcmp(kind, "ClusterRole") == 0 || strcmp(kind, "ClusterRoleBinding") == 0)
        rename_suffix(d, meta, "name", ns);
    if (strcmp(kind, "ClusterRoleBinding") == 0) {
        rename_suffix(d, ed_node_get(obj, "roleRef"), "name", ns);
        ed_node *subjects = ed_node_get(obj, "subjects");
        for (size_t i = 0; i < ed_node_len(subjects); i++)
            set_str(d, ed_node_at(subjects, i), "namespace", ns);
    }
    if (strcmp(kind, "Deployment") == 0) {
        set_arg(d, ed_node_path(obj, "/spec/template/spec/containers/0/args"), "--log-level",
                o->shape.log_level);
        set_arg(d, ed_node_path(obj, "/spec/template/spec/containers/0/args"),
                "--watch-all-namespaces", o->shape.watch_all_namespaces ? "true" : "false");
        /* The artifact server's address that the agent advertises: the Service's name in the
         * cluster's DNS domain, as flux's --cluster-domain sets it for source-controller. */
        if (o->shape.cluster_domain) {
            char *addr = ed_xasprintf("source-controller.$(RUNTIME_NAMESPACE).svc.%s.",
                                      o->shape.cluster_domain);
            set_arg(d, ed_node_path(obj, "/spec/template/spec/containers/0/args"),
                    "--storage-adv-addr", addr);
            free(addr);
        }
        char *image = image_of(o->shape.registry);
        set_str(d, ed_node_path(obj, "/spec/template/spec/containers/0"), "image", image);
        free(image);
        /* flux's --toleration-keys: tolerate any taint with each key (operator Exists). */
        if (o->shape.toleration_keys.n) {
            ed_node *seq = ed_node_new_seq(d);
            for (int i = 0; i < o->shape.toleration_keys.n; i++) {
                ed_node *t = ed_node_new_map(d);
                set_str(d, t, "key", o->shape.toleration_keys.items[i]);
                set_str(d, t, "operator", "Exists");
                ed_node_append(d, seq, t);
            }
            ed_node_set(d, ed_node_path(obj, "/spec/template/spec"), "tolerations", seq);
        }
        if (o->shape.pull_secret) {
            ed_node *seq = ed_node_new_seq(d);
            ed_node *ref = ed_node_new_map(d);
            set_str(d, ref, "name", o->shape.pull_secret);
            ed_node_append(d, seq, ref);
            ed_node_set(d, ed_node_path(obj, "/spec/template/spec"), "imagePullSecrets", seq);
        }
    }
}

/* ---- flux's install flags that shape what is installed ---- */

/* --registry-creds was given (not empty). */
static bool has_creds(const ed_cli_install_shape *s)
{
    return s->registry_creds && *s->registry_creds;
}

int ed_cli_install_shape_check(const ed_cli_install_shape *s)
{
    /* flux's checks and words: the credentials need the Secret's name, and one colon. */
    if (has_creds(s) && (!s->pull_secret || !*s->pull_secret)) {
        ed_cli_failure("--registry-creds requires --image-pull-secret to be set");
        return 1;
    }
    if (has_creds(s)) {
        const char *colon = strchr(s->registry_creds, ':');
        if (!colon || strchr(colon + 1, ':')) {
            ed_cli_failure("invalid --registry-creds format, expected 'user:password'");
            return 1;
        }
    }
    if (!ed_cli_dns_name(s->cluster_domain)) {
        ed_cli_failure("--cluster-domain %s: not a DNS name", s->cluster_domain);
        return 1;
    }
    for (int i = 0; i < s->toleration_keys.n; i++)
        if (!*s->toleration_keys.items[i]) {
            ed_cli_failure("--toleration-keys: an empty key");
            return 1;
        }
    if (strcmp(s->log_level, "debug") != 0 && strcmp(s->log_level, "info") != 0 &&
        strcmp(s->log_level, "error") != 0) {
        ed_cli_failure("--log-level %s: debug, info or error", s->log_level);
        return 2;
    }
    return 0;
}

bool ed_cli_install_version_ok(const char *v)
{
    const char *plus = strchr(ED_CLI_VERSION, '+');
    size_t len = plus ? (size_t)(plus - ED_CLI_VERSION) : strlen(ED_CLI_VERSION);
    const char *bare = v && v[0] == 'v' ? v + 1 : v;
    return !v || !*v || strcmp(v, "latest") == 0 ||
           (strlen(bare) == len && strncmp(bare, ED_CLI_VERSION, len) == 0);
}

bool ed_cli_dns_name(const char *s)
{
    size_t label = 0;
    if (!s || !*s || strlen(s) > 253)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (label == 0 || p[-1] == '-')
                return false;
            label = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   (*p == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && s[strlen(s) - 1] != '-';
}

#define MANIFESTS_MAX_BYTES ((size_t)64 << 20) /* --manifests: all files together */

struct manifest_files {
    ed_cli_manifest *files; /* ending with an entry whose path is NULL */
    size_t n;
    size_t bytes;
};

static void manifest_files_free(struct manifest_files *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free((char *)m->files[i].path);
        free((char *)m->files[i].data);
    }
    free(m->files);
    *m = (struct manifest_files){0};
}

/* The .yaml files below dir, sorted by name, into m (regular files only: no link is
 * followed). Returns 0, or 1 after saying why. */
static int read_manifest_dir(const char *dir, int depth, struct manifest_files *m)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;
    if (n < 0) {
        ed_cli_failure("--manifests %s: %s", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        char *path = ed_xasprintf("%s/%s", dir, nm);
        struct stat st;
        if (!rc && nm[0] != '.' && lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 8) {
                rc = read_manifest_dir(path, depth + 1, m);
            } else if (S_ISREG(st.st_mode) && ed_str_has_suffix(nm, ".yaml")) {
                ed_buf data = ED_BUF_INIT(MANIFESTS_MAX_BYTES - m->bytes);
                FILE *f = fopen(path, "rb");
                char chunk[65536];
                size_t got;
                int r = f ? 0 : -1;
                while (f && !r && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                    r = ed_buf_append(&data, chunk, got);
                if (f)
                    fclose(f);
                if (r) {
                    ed_cli_failure("--manifests %s: %s", path,
                                   f ? "more than 64 MiB of manifests" : strerror(errno));
                    ed_buf_free(&data);
                    rc = 1;
                } else {
                    m->files = ed_xrealloc(m->files, (m->n + 2) * sizeof(ed_cli_manifest));
                    m->files[m->n++] = (ed_cli_manifest){
                        .path = ed_xstrdup(path),
                        .data = data.data ? data.data : ed_xstrdup(""),
                        .len = data.len,
                    };
                    m->files[m->n] = (ed_cli_manifest){0};
                    m->bytes += data.len;
                }
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* The dockerconfigjson Secret --registry-creds makes, as flux's: named --image-pull-secret, in
 * the namespace, with the credentials for --registry. */
static ed_doc *pull_secret(const char *ns, const ed_cli_install_shape *shape)
{
    const char *creds = shape->registry_creds;
    const char *colon = strchr(creds, ':');
    char *user = ed_xstrndup(creds, (size_t)(colon - creds));
    char *auth = ed_base64_encode(creds, strlen(creds));
    ed_doc *cfg = ed_doc_new();
    ed_node *root = ed_node_new_map(cfg), *auths = ed_node_new_map(cfg);
    ed_node *entry = ed_node_new_map(cfg);
    ed_doc_set_root(cfg, root);
    set_str(cfg, entry, "username", user);
    set_str(cfg, entry, "password", colon + 1);
    set_str(cfg, entry, "auth", auth);
    ed_node_set(cfg, auths, shape->registry, entry);
    ed_node_set(cfg, root, "auths", auths);
    ed_buf json = ED_BUF_INIT((size_t)1 << 20);
    ed_node_to_json(root, &json);
    char *encoded = ed_base64_encode(json.data ? json.data : "", json.len);
    ed_doc *d = ed_doc_new();
    ed_node *obj = ed_node_new_map(d), *meta = ed_node_new_map(d), *data = ed_node_new_map(d);
    ed_doc_set_root(d, obj);
    set_str(d, obj, "apiVersion", "v1");
    set_str(d, obj, "kind", "Secret");
    set_str(d, meta, "name", shape->pull_secret);
    set_str(d, meta, "namespace", ns);
    ed_node_set(d, obj, "metadata", meta);
    set_str(d, obj, "type", "kubernetes.io/dockerconfigjson");
    set_str(d, data, ".dockerconfigjson", encoded);
    ed_node_set(d, obj, "data", data);
    ed_buf_free(&json);
    free(auth);
    free(encoded);
    free(user);
    ed_doc_free(cfg);
    return d;
}

/* When a kind is applied: the Namespace (0), the CRDs (1), the identity and its RBAC (2), so
 * that the Deployment's Pods can be created at once, then the rest (3). */
static int stage_of(const char *kind)
{
    if (strcmp(kind, "Namespace") == 0)
        return 0;
    if (strcmp(kind, "CustomResourceDefinition") == 0)
        return 1;
    if (strcmp(kind, "ServiceAccount") == 0 || strcmp(kind, "ClusterRole") == 0 ||
        strcmp(kind, "ClusterRoleBinding") == 0)
        return 2;
    return 3;
}

static void free_docs(ed_doc **docs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ed_doc_free(docs[i]);
    free(docs);
}

/* The objects to install (o->manifests, else the embedded ones), in apply order (Namespace,
 * CRDs, the rest). Returns 0 or 1. */
static int load_manifests(const struct install_opts *o, const ed_cli_list *components,
                          ed_doc ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    ed_doc **all = NULL;
    size_t count = 0;
    for (int stage = 0; stage < 4; stage++)
        for (const ed_cli_manifest *m = o->manifests ? o->manifests : ed_cli_manifests; m->path;
             m++) {
            if (!ed_str_has_suffix(m->path, ".yaml"))
                continue;
            ed_doc **docs = NULL;
            size_t ndocs = 0;
            ed_err err = ED_ERR_INIT;
            if (ed_doc_parse_yaml(m->data, m->len, m->path, &docs, &ndocs, &err) != 0) {
                ed_cli_failure("%s%s: %s", o->manifests ? "" : "embedded ", m->path, err.msg);
                free_docs(all, count);
                return 1;
            }
            for (size_t i = 0; i < ndocs; i++) {
                const char *kind = ed_node_path_str(ed_doc_root(docs[i]), "/kind");
                if (!kind || stage_of(kind) != stage ||
                    (strcmp(kind, "NetworkPolicy") == 0 && !o->shape.network_policy) ||
                    (strcmp(kind, "CustomResourceDefinition") == 0 &&
                     !crd_wanted(ed_doc_root(docs[i]), components))) {
                    ed_doc_free(docs[i]);
                    continue;
                }
                customize(docs[i], o);
                all = ed_xrealloc(all, (count + 1) * sizeof(ed_doc *));
                all[count++] = docs[i];
            }
            free(docs);
        }
    *out = all;
    *n = count;
    return 0;
}

/* "Kind/ns/name" or "Kind/name". */
static char *object_id(const ed_node *obj)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    return ns ? ed_xasprintf("%s/%s/%s", kind, ns, name) : ed_xasprintf("%s/%s", kind, name);
}

/* True when an apply changed nothing: the same generation (the spec; a controller may have
 * written the status meanwhile), or the same resourceVersion for kinds without one. */
static bool same_version(const ed_node *before, const ed_node *after)
{
    int64_t g0 = 0, g1 = 0;
    if (ed_node_int(ed_node_path(before, "/metadata/generation"), &g0) &&
        ed_node_int(ed_node_path(after, "/metadata/generation"), &g1))
        return g0 == g1;
    const char *v0 = ed_node_path_str(before, "/metadata/resourceVersion");
    const char *v1 = ed_node_path_str(after, "/metadata/resourceVersion");
    return v0 && v1 && strcmp(v0, v1) == 0;
}

/* Apply obj and, with print, print "Kind/ns/name created|configured|unchanged" as flux does
 * (bootstrap prints none: flux's discards the change set of its install). */
static int apply_one(ed_kube *kube, const ed_node *obj, bool print)
{
    ed_err err = ED_ERR_INIT;
    const char *api = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    ed_doc *before = NULL, *after = NULL;
    int got = ed_kube_get(kube, api, kind, ns, name, &before, &err);
    ed_kube_opts ko = {.field_manager = "flux", .force = true};
    char *id = object_id(obj);
    int rc = 0;
    if (got && got != ED_ENOTFOUND) {
        ed_cli_failure("%s: %s", id, err.msg);
        rc = 1;
    } else if (ed_kube_apply(kube, obj, &ko, &after, &err) != 0) {
        ed_cli_failure("%s apply failed: %s", id, err.msg);
        rc = 1;
    } else if (print) {
        printf("%s %s\n", id,
               !before                                                 ? "created"
               : same_version(ed_doc_root(before), ed_doc_root(after)) ? "unchanged"
                                                                       : "configured");
    }
    free(id);
    ed_doc_free(before);
    ed_doc_free(after);
    return rc;
}

/* Apply docs in order; with --registry-creds the pull Secret goes in before the Deployment
 * whose Pods pull with it (flux applies it after the manifests, and the kubelet retries the
 * pull meanwhile). */
static int apply_components(ed_kube *kube, const char *ns, const ed_cli_install_shape *shape,
                            ed_doc *const *docs, size_t n, bool print)
{
    bool secret_done = !has_creds(shape);
    int rc = 0;
    for (size_t i = 0; i <= n && !rc; i++) {
        const char *kind = i < n ? ed_node_path_str(ed_doc_root(docs[i]), "/kind") : NULL;
        if (!secret_done && (i == n || (kind && strcmp(kind, "Deployment") == 0))) {
            if (print)
                ed_cli_action("generating image pull secret %s", shape->pull_secret);
            ed_doc *secret = pull_secret(ns, shape);
            rc = apply_one(kube, ed_doc_root(secret), print);
            ed_doc_free(secret);
            secret_done = true;
        }
        if (!rc && i < n && ed_doc_root(docs[i]))
            rc = apply_one(kube, ed_doc_root(docs[i]), print);
    }
    return rc;
}

/* True when the Deployment rolled out: every replica updated and available. */
static bool deployment_ready(const ed_node *d)
{
    int64_t gen = 0, observed = -1, want = 1, updated = 0, available = 0;
    ed_node_int(ed_node_path(d, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(d, "/status/observedGeneration"), &observed);
    ed_node_int(ed_node_path(d, "/spec/replicas"), &want);
    ed_node_int(ed_node_path(d, "/status/updatedReplicas"), &updated);
    ed_node_int(ed_node_path(d, "/status/availableReplicas"), &available);
    return observed >= gen && updated >= want && available >= want;
}

static int wait_deployment(ed_kube *kube, const char *ns, const char *name, int64_t timeout_ms)
{
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        bool ready = false;
        if (ed_kube_get(kube, "apps/v1", "Deployment", ns, name, &d, &err) == 0)
            ready = deployment_ready(ed_doc_root(d));
        ed_doc_free(d);
        if (ready) {
            ed_cli_success("%s: deployment ready", name);
            return 0;
        }
        if (ed_time_mono_ms() >= deadline) {
            ed_cli_failure("%s: deployment not ready after the --timeout", name);
            return 1;
        }
        usleep(500 * 1000);
    }
}

static int print_manifests(ed_doc **docs, size_t n, const ed_cli_list *components)
{
    printf("# eddy version: v%s\n# Components: ", ED_CLI_VERSION);
    for (int i = 0; i < components->n; i++)
        printf("%s%s", i ? "," : "", components->items[i]);
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        ed_buf out = ED_BUF_INIT((size_t)64 << 20);
        if (ed_node_to_yaml(ed_doc_root(docs[i]), &out) != 0) {
            ed_buf_free(&out);
            ed_cli_failure("cannot print the manifests");
            return 1;
        }
        fputs("---\n", stdout);
        fwrite(out.data, 1, out.len, stdout);
        ed_buf_free(&out);
    }
    return 0;
}

int ed_cli_install(int argc, char **argv)
{
    struct install_opts o = {.g = ED_CLI_GLOBAL_INIT, .shape = ED_CLI_INSTALL_SHAPE_INIT};
    const char *version = NULL, *manifests_dir = NULL;
    const ed_cli_flag flags[] = {
        {"export", 0, ED_CLI_FLAG_BOOL, &o.export_only},
        {"network-policy", 0, ED_CLI_FLAG_BOOL, &o.shape.network_policy},
        {"log-level", 0, ED_CLI_FLAG_STR, &o.shape.log_level},
        {"watch-all-namespaces", 0, ED_CLI_FLAG_BOOL, &o.shape.watch_all_namespaces},
        {"components", 0, ED_CLI_FLAG_LIST, &o.components},
        {"components-extra", 0, ED_CLI_FLAG_LIST, &o.extra},
        {"registry", 0, ED_CLI_FLAG_STR, &o.shape.registry},
        {"image-pull-secret", 0, ED_CLI_FLAG_STR, &o.shape.pull_secret},
        {"registry-creds", 0, ED_CLI_FLAG_STR, &o.shape.registry_creds},
        {"version", 'v', ED_CLI_FLAG_STR, &version},
        {"cluster-domain", 0, ED_CLI_FLAG_STR, &o.shape.cluster_domain},
        {"toleration-keys", 0, ED_CLI_FLAG_LIST, &o.shape.toleration_keys},
        {"manifests", 0, ED_CLI_FLAG_STR, &manifests_dir},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &o.g);
    if (rc)
        return rc;
    if (!ed_cli_install_version_ok(version)) {
        const char *plus = strchr(ED_CLI_VERSION, '+');
        int len = plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION);
        ed_cli_failure("--version %s: this eddy installs v%.*s only (its manifests are embedded "
                       "in the binary); install %s with the eddy binary of that version",
                       version, len, ED_CLI_VERSION, version);
        return 1;
    }
    if ((rc = ed_cli_install_shape_check(&o.shape)) != 0)
        return rc;
    /* One process runs every controller: all of them unless told otherwise. */
    if (o.components.n == 0)
        for (int i = 0; served[i]; i++)
            o.components.items[o.components.n++] = served[i];
    ed_cli_list chosen = {0};
    if ((rc = choose_components(&o, &chosen)) != 0)
        return rc;
    if (!o.export_only)
        ed_cli_generate("generating manifests");
    /* --manifests DIR: the same path as the embedded files, from DIR's instead. */
    struct manifest_files files = {0};
    if (manifests_dir && read_manifest_dir(manifests_dir, 0, &files) != 0) {
        manifest_files_free(&files);
        return 1;
    }
    if (manifests_dir && files.n == 0) {
        ed_cli_failure("--manifests %s: no .yaml file in it", manifests_dir);
        return 1;
    }
    o.manifests = files.files;
    ed_doc **docs = NULL;
    size_t n = 0;
    rc = load_manifests(&o, &chosen, &docs, &n);
    manifest_files_free(&files);
    if (rc)
        return 1;
    if (o.export_only) { /* as flux's, without the pull Secret: no credentials on stdout */
        rc = print_manifests(docs, n, &chosen);
        free_docs(docs, n);
        return rc;
    }
    ed_cli_success("manifests build completed");
    ed_kube *kube = ed_cli_connect(&o.g);
    if (!kube) {
        free_docs(docs, n);
        return 1;
    }
    ed_cli_action("installing components in %s namespace", o.g.ns);
    rc = apply_components(kube, o.g.ns, &o.shape, docs, n, true);
    if (!rc) {
        ed_cli_waiting("verifying installation");
        rc = wait_deployment(kube, o.g.ns, "eddy", o.g.timeout_ms);
    }
    if (!rc)
        ed_cli_success("install finished");
    free_docs(docs, n);
    ed_kube_free(kube);
    return rc;
}

/* ---- uninstall ---- */

/* The kinds whose finalizers flux's uninstall removes (pkg/uninstall's Finalizers), in its
 * order: those of every Flux controller, served by eddy's agent or not (a HelmRelease left by
 * Flux would keep its namespace from going once helm-controller is gone). */
static const struct flux_kind {
    const char *api_version, *kind;
} flux_kinds[] = {
    {"source.toolkit.fluxcd.io/v1", "GitRepository"},
    {"source.toolkit.fluxcd.io/v1", "OCIRepository"},
    {"source.toolkit.fluxcd.io/v1", "HelmRepository"},
    {"source.toolkit.fluxcd.io/v1", "HelmChart"},
    {"source.toolkit.fluxcd.io/v1", "Bucket"},
    {"kustomize.toolkit.fluxcd.io/v1", "Kustomization"},
    {"helm.toolkit.fluxcd.io/v2", "HelmRelease"},
    {"notification.toolkit.fluxcd.io/v1beta3", "Alert"},
    {"notification.toolkit.fluxcd.io/v1beta3", "Provider"},
    {"notification.toolkit.fluxcd.io/v1", "Receiver"},
    {"image.toolkit.fluxcd.io/v1", "ImagePolicy"},
    {"image.toolkit.fluxcd.io/v1", "ImageRepository"},
    {"image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"},
    {"source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator"},
};

/* Remove the finalizers of every object of kind k, in every namespace. As flux: a line for
 * every object (flux updates each with no finalizers; one that has none needs no request), in
 * flux's words, a failure said and the next object done. */
static void drop_finalizers(ed_kube *kube, const struct flux_kind *k, bool dry_run)
{
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_list(kube, k->api_version, k->kind, NULL, NULL, &list, &err);
    if (rc == ED_ENOTFOUND)
        return; /* the CRD is not installed */
    if (rc) {
        ed_cli_api_failure(&err);
        return;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    static const char body[] = "{\"metadata\":{\"finalizers\":null}}";
    ed_kube_opts ko = {.field_manager = "flux", .dry_run = dry_run};
    for (size_t i = 0; i < ed_node_len(items); i++) {
        const ed_node *item = ed_node_at(items, i);
        const char *ns = ed_node_path_str(item, "/metadata/namespace");
        const char *name = ed_node_path_str(item, "/metadata/name");
        rc = 0;
        if (ed_node_len(ed_node_path(item, "/metadata/finalizers")) > 0)
            rc = ed_kube_patch(kube, k->api_version, k->kind, ns, name, ED_KUBE_PATCH_MERGE, body,
                               strlen(body), &ko, NULL, &err);
        if (rc && rc != ED_ENOTFOUND)
            ed_cli_failure("%s/%s/%s removing finalizers failed: %s", k->kind, ns, name, err.msg);
        else /* flux's line ends with a space when it is no dry run */
            ed_cli_success("%s/%s/%s finalizers deleted %s", k->kind, ns, name,
                           dry_run ? "(dry run)" : "");
    }
    ed_doc_free(list);
}

/* Delete obj (with dry_run, only say whether it would be: a GET, since the API server reads
 * dryRun from the query only when a DELETE has no body, and ed_kube_delete sends one). One
 * that is not there is skipped (flux lists the components by label), unless must_exist: flux
 * deletes the namespace by name and says when it is not there. */
static void delete_object(ed_kube *kube, const ed_node *obj, bool dry_run, bool must_exist)
{
    ed_err err = ED_ERR_INIT;
    const char *api = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    ed_kube_opts ko = {.propagation_policy = "Background"};
    int rc = dry_run ? ed_kube_get(kube, api, kind, ns, name, NULL, &err)
                     : ed_kube_delete(kube, api, kind, ns, name, &ko, &err);
    char *id = object_id(obj);
    if (rc == 0)
        ed_cli_success("%s deleted%s", id, dry_run ? " (dry run)" : "");
    else if (rc != ED_ENOTFOUND || must_exist)
        ed_cli_failure("%s deletion failed: %s", id, err.msg);
    free(id);
}

/* As flux's uninstall: every CRD labelled app.kubernetes.io/part-of=flux, whoever installed it
 * (eddy's, and those of the Flux controllers eddy does not serve, such as HelmReleases'), not
 * the ones of eddy's manifests by name; a CRD without the label stays. A list that fails is
 * skipped, as flux skips it; each deletion gets flux's line (its trailing space included when
 * it is no dry run). With dry_run nothing is deleted: what is listed exists. */
static void delete_flux_crds(ed_kube *kube, bool dry_run)
{
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    const ed_kube_opts lo = {.label_selector = "app.kubernetes.io/part-of=flux"};
    if (ed_kube_list(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, &lo, &list,
                     &err) != 0)
        return;
    const ed_node *items = ed_node_get(ed_doc_root(list), "items");
    ed_kube_opts ko = {.propagation_policy = "Background"};
    for (size_t i = 0; i < ed_node_len(items); i++) {
        const char *name = ed_node_path_str(ed_node_at(items, i), "/metadata/name");
        if (!name)
            continue;
        int rc = dry_run ? 0
                         : ed_kube_delete(kube, "apiextensions.k8s.io/v1",
                                          "CustomResourceDefinition", NULL, name, &ko, &err);
        if (rc)
            ed_cli_failure("CustomResourceDefinition/%s deletion failed: %s", name, err.msg);
        else
            ed_cli_success("CustomResourceDefinition/%s deleted %s", name,
                           dry_run ? "(dry run)" : "");
    }
    ed_doc_free(list);
}

int ed_cli_uninstall(int argc, char **argv)
{
    /* Every object install may have made (a missing one is skipped). */
    struct install_opts o = {.g = ED_CLI_GLOBAL_INIT, .shape = ED_CLI_INSTALL_SHAPE_INIT};
    bool keep_ns = false, silent = false, dry_run = false;
    const ed_cli_flag flags[] = {
        {"keep-namespace", 0, ED_CLI_FLAG_BOOL, &keep_ns},
        {"silent", 's', ED_CLI_FLAG_BOOL, &silent},
        {"dry-run", 0, ED_CLI_FLAG_BOOL, &dry_run},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &o.g);
    if (rc)
        return rc;
    if (!silent && !dry_run &&
        !ed_cli_confirm("Are you sure you want to delete eddy and its custom resource "
                        "definitions?")) {
        ed_cli_failure("aborting");
        return 1;
    }
    /* Every component, so that all its objects are found (the CRDs are found by label). */
    ed_cli_list all = {0};
    for (int i = 0; served[i]; i++)
        all.items[all.n++] = served[i];
    ed_doc **docs = NULL;
    size_t n = 0;
    if (load_manifests(&o, &all, &docs, &n) != 0)
        return 1;
    ed_kube *kube = ed_cli_connect(&o.g);
    if (!kube) {
        free_docs(docs, n);
        return 1;
    }
    ed_cli_action("deleting components in %s namespace", o.g.ns);
    for (size_t i = n; i-- > 0;) {
        const char *kind = ed_node_path_str(ed_doc_root(docs[i]), "/kind");
        if (strcmp(kind, "Namespace") != 0 && strcmp(kind, "CustomResourceDefinition") != 0)
            delete_object(kube, ed_doc_root(docs[i]), dry_run, false);
    }
    ed_cli_action("deleting toolkit.fluxcd.io finalizers in all namespaces");
    for (size_t i = 0; i < sizeof(flux_kinds) / sizeof(flux_kinds[0]); i++)
        drop_finalizers(kube, &flux_kinds[i], dry_run);
    ed_cli_action("deleting toolkit.fluxcd.io custom resource definitions");
    delete_flux_crds(kube, dry_run);
    for (size_t i = 0; i < n && !keep_ns; i++)
        if (strcmp(ed_node_path_str(ed_doc_root(docs[i]), "/kind"), "Namespace") == 0)
            delete_object(kube, ed_doc_root(docs[i]), dry_run, true);
    /* As flux: each failure was said on its line; the uninstall still finished (exit 0). */
    ed_cli_success("uninstall finished");
    free_docs(docs, n);
    ed_kube_free(kube);
    return 0;
}

/* ---- check ---- */

static int check_version(ed_kube *kube)
{
    ed_kube_response resp = {0};
    ed_err err = ED_ERR_INIT;
    if (ed_kube_request(kube, "GET", "/version", NULL, NULL, 0, &resp, &err) != 0) {
        ed_kube_response_free(&resp);
        ed_cli_failure("Kubernetes API call failed: %s", err.msg);
        return 1;
    }
    ed_doc *d = NULL;
    ed_semver v, min;
    int rc = ed_doc_parse_api_json(resp.body.data, resp.body.len, &d, &err);
    const char *git = rc ? NULL : ed_node_path_str(ed_doc_root(d), "/gitVersion");
    ed_semver_parse("1.33.0", &min);
    if (!git || ed_semver_parse(git, &v) != 0) {
        ed_cli_failure("Kubernetes version can't be determined");
        rc = 1;
    } else if (ed_semver_compare(&v, &min) < 0) {
        ed_cli_failure("Kubernetes version %s does not match >=1.33.0-0", git);
        rc = 1;
    } else {
        ed_cli_success("Kubernetes %s >=1.33.0-0", git[0] == 'v' ? git + 1 : git);
    }
    ed_doc_free(d);
    ed_kube_response_free(&resp);
    return rc;
}

/* The CRDs of the chosen components (all when chosen is NULL). */
static int check_crds(ed_kube *kube, const ed_cli_list *chosen)
{
    int rc = 0;
    for (int i = 0; ed_cli_kinds[i]; i++) {
        const ed_cli_kind *k = ed_cli_kinds[i];
        bool wanted = !chosen;
        for (int c = 0; chosen && c < chosen->n; c++)
            wanted |= strcmp(chosen->items[c], k->component) == 0;
        if (!wanted)
            continue;
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        int got = ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
                              k->crd, &d, &err);
        const char *est = got ? NULL : ed_cli_cond(ed_doc_root(d), "Established", "/status");
        const char *version = strrchr(k->api_version, '/') + 1;
        if (got == ED_ENOTFOUND)
            ed_cli_warning("%s not installed (%s)", k->crd, k->component);
        else if (got) {
            ed_cli_failure("%s: %s", k->crd, err.msg);
            rc = 1;
        } else if (!est || strcmp(est, "True") != 0) {
            ed_cli_failure("%s/%s not established", k->crd, version);
            rc = 1;
        } else {
            ed_cli_success("%s/%s", k->crd, version);
        }
        ed_doc_free(d);
    }
    return rc;
}

/* flux check's "checking version in cluster" (fluxClusterVersionCheck, cluster_info.go): the
 * GitRepository CRD's labels give the distribution (part-of and version: "flux-v0.1.0-dev"
 * on what eddy install applied), and whether a Kustomization applied it (bootstrapped; flux
 * looks at its kustomize.toolkit.fluxcd.io/namespace label). A CRD that cannot be read fails,
 * in flux's words. */
static int check_cluster_version(ed_kube *kube)
{
    ed_cli_action("checking version in cluster");
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
                    "gitrepositories.source.toolkit.fluxcd.io", &d, &err) != 0) {
        ed_cli_failure("checking failed: %s", err.msg);
        return 1;
    }
    const ed_node *labels = ed_node_path(ed_doc_root(d), "/metadata/labels");
    const char *version = ed_node_str(ed_node_get(labels, "app.kubernetes.io/version"));
    const char *part_of = ed_node_str(ed_node_get(labels, "app.kubernetes.io/part-of"));
    if (part_of && *part_of)
        ed_cli_success("distribution: %s-%s", part_of, version ? version : "");
    else if (version && *version)
        ed_cli_success("distribution: %s", version);
    ed_cli_success("bootstrapped: %s",
                   ed_node_get(labels, "kustomize.toolkit.fluxcd.io/namespace") ? "true" : "false");
    ed_doc_free(d);
    return 0;
}

static int check_lease(ed_kube *kube, const char *ns, const char *name)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, "coordination.k8s.io/v1", "Lease", ns, name, &d, &err) != 0) {
        ed_cli_failure("no agent: Lease %s/%s: %s (is `eddy controller` running?)", ns, name,
                       err.msg);
        return 1;
    }
    const ed_node *l = ed_doc_root(d);
    const char *holder = ed_node_path_str(l, "/spec/holderIdentity");
    int64_t duration = 0;
    ed_node_int(ed_node_path(l, "/spec/leaseDurationSeconds"), &duration);
    time_t renewed = ed_time_parse_rfc3339(ed_node_path_str(l, "/spec/renewTime"));
    time_t age = time(NULL) - renewed;
    int rc = 0;
    if (!holder || !*holder || renewed < 0) {
        ed_cli_failure("no agent holds the Lease %s/%s", ns, name);
        rc = 1;
    } else if (age > duration) {
        ed_cli_failure("the agent %s stopped renewing the Lease %s/%s %llds ago", holder, ns, name,
                       (long long)(age - duration));
        rc = 1;
    } else {
        ed_cli_success("agent %s leads (Lease %s/%s renewed %llds ago)", holder, ns, name,
                       (long long)(age < 0 ? 0 : age));
    }
    ed_doc_free(d);
    return rc;
}

/* The installed Deployment, when there is one (an agent may also run outside the cluster). */
static int check_deployment(ed_kube *kube, const char *ns)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_get(kube, "apps/v1", "Deployment", ns, "eddy", &d, &err);
    if (rc == ED_ENOTFOUND)
        return 0;
    bool ready = !rc && deployment_ready(ed_doc_root(d));
    if (rc)
        ed_cli_failure("Deployment %s/eddy: %s", ns, err.msg);
    else if (ready)
        ed_cli_success("eddy: deployment ready");
    else
        ed_cli_failure("eddy: deployment not ready");
    ed_doc_free(d);
    return ready ? 0 : 1;
}

int ed_cli_check(int argc, char **argv)
{
    struct install_opts o = {.g = ED_CLI_GLOBAL_INIT, .shape = ED_CLI_INSTALL_SHAPE_INIT};
    bool pre = false;
    const char *lease = "eddy-leader-election";
    int64_t poll_ms = 5000; /* flux's --poll-interval: eddy checks once, nothing to poll */
    const ed_cli_flag flags[] = {
        {"pre", 0, ED_CLI_FLAG_BOOL, &pre},
        {"lease", 0, ED_CLI_FLAG_STR, &lease},
        {"components", 0, ED_CLI_FLAG_LIST, &o.components},
        {"components-extra", 0, ED_CLI_FLAG_LIST, &o.extra},
        {"poll-interval", 0, ED_CLI_FLAG_DURATION, &poll_ms},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &o.g);
    if (rc)
        return rc;
    /* As flux check: --components (and --components-extra) name the controllers whose CRDs
     * are checked; by default every one eddy serves. */
    ed_cli_list chosen = {0};
    bool narrowed = o.components.n || o.extra.n;
    if (narrowed && (rc = choose_components(&o, &chosen)) != 0)
        return rc;
    /* As flux check: the action first, then the client, whose failure is one line of flux's
     * words; --pre checks the version alone and, failed, exits without a summary line. */
    ed_cli_action("checking prerequisites");
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_cli_load_config(&o.g, &cfg, &err) == 0)
        ed_kube_new(cfg, &kube, &err);
    else /* flux's utils.KubeConfig */
        ed_err_wrap(&err, "kubernetes configuration load failed");
    ed_kube_config_free(cfg);
    if (!kube) {
        ed_cli_failure("Kubernetes client initialization failed: %s", err.msg);
        return 1;
    }
    rc = check_version(kube);
    if (pre) {
        if (!rc)
            ed_cli_success("prerequisites checks passed");
        ed_kube_free(kube);
        return rc ? 1 : 0;
    }
    rc |= check_cluster_version(kube);
    ed_cli_action("checking the agent");
    rc |= check_deployment(kube, o.g.ns);
    rc |= check_lease(kube, o.g.ns, lease);
    ed_cli_action("checking crds");
    rc |= check_crds(kube, narrowed ? &chosen : NULL);
    if (rc)
        ed_cli_failure("check failed");
    else
        ed_cli_success("all checks passed");
    ed_kube_free(kube);
    return rc ? 1 : 0;
}

/* ---- version ---- */

int ed_cli_version(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    g.timeout_ms = 5000; /* the agent's version is a bonus: do not hang on a far cluster */
    bool client = false;
    const char *output = "yaml";
    const ed_cli_flag flags[] = {
        {"client", 0, ED_CLI_FLAG_BOOL, &client},
        {"output", 'o', ED_CLI_FLAG_STR, &output},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_flags(argc, argv, flags, &g);
    if (rc)
        return rc;
    bool json = strcmp(output, "json") == 0;
    if (!json && strcmp(output, "yaml") != 0) {
        ed_cli_failure("--output must be json or yaml, not %s", output);
        return 2;
    }
    /* Quietly: an unreachable cluster or no agent just means no agent line. */
    char *agent = NULL;
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (!client && ed_cli_load_config(&g, &cfg, &err) == 0)
        ed_kube_new(cfg, &kube, &err);
    if (kube && ed_kube_get(kube, "apps/v1", "Deployment", g.ns, "eddy", &d, &err) == 0) {
        const char *image =
            ed_node_path_str(ed_doc_root(d), "/spec/template/spec/containers/0/image");
        const char *tag = image ? strrchr(image, ':') : NULL;
        if (tag && !strchr(tag, '/'))
            agent = ed_xstrdup(tag + 1);
    }
    /* flux version's distribution: the GitRepository CRD's part-of and version labels */
    char *distribution = NULL;
    ed_doc *crd = NULL;
    if (kube && ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
                            "gitrepositories.source.toolkit.fluxcd.io", &crd, &err) == 0) {
        const ed_node *labels = ed_node_path(ed_doc_root(crd), "/metadata/labels");
        const char *version = ed_node_str(ed_node_get(labels, "app.kubernetes.io/version"));
        const char *part_of = ed_node_str(ed_node_get(labels, "app.kubernetes.io/part-of"));
        if (part_of && *part_of)
            distribution = ed_xasprintf("%s-%s", part_of, version ? version : "");
        else if (version && *version)
            distribution = ed_xstrdup(version);
    }
    /* As flux version: YAML by default, or a JSON object with its keys sorted (values from the
     * cluster's labels and image, printed as JSON strings). */
    if (json) {
        ed_buf out = ED_BUF_INIT(1 << 16);
        ed_buf_append_str(&out, "{\n");
        const char *keys[] = {"agent", "distribution"};
        const char *values[] = {agent, distribution};
        for (size_t i = 0; i < 2; i++) {
            if (!values[i])
                continue;
            ed_buf_printf(&out, "  \"%s\": ", keys[i]);
            ed_buf_append_json_str(&out, values[i]);
            ed_buf_append_str(&out, ",\n");
        }
        ed_buf_printf(&out, "  \"eddy\": \"v%s\"\n}\n", ED_CLI_VERSION);
        fwrite(out.data, 1, out.len, stdout);
        ed_buf_free(&out);
    } else {
        printf("eddy: v%s\n", ED_CLI_VERSION);
        if (distribution)
            printf("distribution: %s\n", distribution);
        if (agent)
            printf("agent: %s (Deployment %s/eddy)\n", agent, g.ns);
    }
    free(agent);
    free(distribution);
    ed_doc_free(crd);
    ed_doc_free(d);
    ed_kube_free(kube);
    ed_kube_config_free(cfg);
    return 0;
}

/* ---- what bootstrap shares (bootstrap.c) ---- */

static bool in_list(const ed_cli_list *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

int ed_cli_install_render(const char *ns, const ed_cli_install_shape *shape,
                          const ed_cli_list *components, const ed_cli_list *extra, ed_buf *out)
{
    struct install_opts o = {.g = ED_CLI_GLOBAL_INIT, .shape = *shape};
    o.g.ns = ns;
    if (components && components->n)
        o.components = *components;
    else /* install's default: every component the agent serves */
        for (int i = 0; served[i]; i++)
            o.components.items[o.components.n++] = served[i];
    /* An extra component already chosen (the default has them all) is not listed twice. */
    for (int i = 0; extra && i < extra->n; i++)
        if (!in_list(&o.components, extra->items[i]))
            o.extra.items[o.extra.n++] = extra->items[i];
    ed_cli_list chosen = {0};
    int rc = choose_components(&o, &chosen);
    ed_doc **docs = NULL;
    size_t n = 0;
    if (rc || (rc = load_manifests(&o, &chosen, &docs, &n)) != 0)
        return rc;
    /* The version without build metadata: the file changes when eddy's release does. */
    const char *plus = strchr(ED_CLI_VERSION, '+');
    int vlen = plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION);
    ed_buf_printf(out,
                  "# This manifest was generated by eddy. DO NOT EDIT.\n"
                  "# eddy version: v%.*s\n# Components: ",
                  vlen, ED_CLI_VERSION);
    for (int i = 0; i < chosen.n; i++)
        ed_buf_printf(out, "%s%s", i ? "," : "", chosen.items[i]);
    ed_buf_append_str(out, "\n");
    for (size_t i = 0; i < n && !rc; i++) {
        ed_buf_append_str(out, "---\n");
        if (ed_node_to_yaml(ed_doc_root(docs[i]), out) != 0) {
            ed_cli_failure("cannot print the manifests");
            rc = 1;
        }
    }
    free_docs(docs, n);
    return rc;
}

int ed_cli_install_apply(ed_kube *kube, const char *ns, const ed_cli_install_shape *shape,
                         const ed_buf *yaml, bool print)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(yaml->data, yaml->len, "gotk-components.yaml", &docs, &n, &err) != 0) {
        ed_cli_failure("%s", err.msg);
        return 1;
    }
    int rc = apply_components(kube, ns, shape, docs, n, print);
    free_docs(docs, n);
    return rc;
}

int ed_cli_install_apply_docs(ed_kube *kube, const char *ns, const ed_cli_install_shape *shape,
                              ed_doc *const *docs, size_t n, bool print)
{
    return apply_components(kube, ns, shape, docs, n, print);
}

int ed_cli_install_apply_pull_secret(ed_kube *kube, const char *ns,
                                     const ed_cli_install_shape *shape)
{
    if (!has_creds(shape))
        return 0;
    ed_doc *secret = pull_secret(ns, shape);
    int rc = apply_one(kube, ed_doc_root(secret), false);
    ed_doc_free(secret);
    return rc;
}

int ed_cli_apply(ed_kube *kube, const ed_node *obj, bool print)
{
    return apply_one(kube, obj, print);
}

int ed_cli_install_wait(ed_kube *kube, const char *ns, int64_t timeout_ms)
{
    return wait_deployment(kube, ns, "eddy", timeout_ms);
}
