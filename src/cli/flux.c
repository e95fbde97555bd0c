/*
 * The everyday verbs, as `flux` has them: get, suspend, resume and reconcile, for GitRepository
 * (`source git`) and Kustomization (`kustomization`, `ks`). The CLI talks only to the
 * Kubernetes API: suspend and resume patch spec.suspend, reconcile (and resume) set the
 * reconcile.fluxcd.io/requestedAt annotation and wait until the controller echoes it in
 * status.lastHandledReconcileAt, then report the Ready condition, with flux's output.
 */
#include "cli_int.h"

#include "../apply/apply.h"
#include "../kube/kube.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct kind {
    const char *api_version;
    const char *kind;
    const char *label;   /* how flux names it in messages: "kustomization", "source git" */
    const char *done_as; /* the Ready message flux prints after a reconcile */
};

static const struct kind gitrepository = {"source.toolkit.fluxcd.io/v1", "GitRepository",
                                          "source git", "fetched"};
static const struct kind kustomization = {"kustomize.toolkit.fluxcd.io/v1", "Kustomization",
                                          "kustomization", "applied"};

struct flags {
    const char *ns;
    const char *kubeconfig;
    const char *context;
    int64_t timeout_ms;
    bool all_namespaces; /* get -A */
    bool all;            /* suspend/resume --all */
    bool wait;           /* resume --wait (default true) */
    bool with_source;    /* reconcile kustomization --with-source */
    bool no_header;
};

/* Parse "source git NAME", "kustomization NAME", ... at argv[1]; returns the kind and moves
 * *next to the first argument after the kind. */
static const struct kind *parse_kind(int argc, char **argv, int *next)
{
    if (argc > 2 && (strcmp(argv[1], "source") == 0 || strcmp(argv[1], "sources") == 0) &&
        strcmp(argv[2], "git") == 0) {
        *next = 3;
        return &gitrepository;
    }
    if (argc > 1 && (strcmp(argv[1], "kustomization") == 0 ||
                     strcmp(argv[1], "kustomizations") == 0 || strcmp(argv[1], "ks") == 0)) {
        *next = 2;
        return &kustomization;
    }
    return NULL;
}

static int parse_flags(int argc, char **argv, struct flags *f, const char *verb)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'}, {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},   {"timeout", required_argument, NULL, 't'},
        {"all-namespaces", no_argument, NULL, 'A'},  {"all", no_argument, NULL, 'a'},
        {"wait", optional_argument, NULL, 'w'},      {"with-source", no_argument, NULL, 's'},
        {"no-header", no_argument, NULL, 'H'},       {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "n:A", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            f->ns = optarg;
            break;
        case 'k':
            f->kubeconfig = optarg;
            break;
        case 'c':
            f->context = optarg;
            break;
        case 't': {
            ed_err err = ED_ERR_INIT;
            if (ed_duration_parse(optarg, &f->timeout_ms, &err) != 0 || f->timeout_ms <= 0) {
                fprintf(stderr, "✗ invalid --timeout \"%s\"\n", optarg);
                return 2;
            }
            break;
        }
        case 'A':
            f->all_namespaces = true;
            break;
        case 'a':
            f->all = true;
            break;
        case 'w':
            f->wait = !optarg || strcmp(optarg, "true") == 0;
            break;
        case 's':
            f->with_source = true;
            break;
        case 'H':
            f->no_header = true;
            break;
        default:
            fprintf(stderr, "✗ eddy %s: unknown flag %s\n", verb, argv[optind - 1]);
            return 2;
        }
    }
    return 0;
}

static ed_kube *connect(const struct flags *f)
{
    ed_kube_load_opts lo = {.kubeconfig = f->kubeconfig, .context = f->context};
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_config_load(&lo, &cfg, &err) == 0)
        ed_kube_new(cfg, &kube, &err);
    ed_kube_config_free(cfg);
    if (!kube)
        fprintf(stderr, "✗ %s\n", err.msg);
    return kube;
}

static const char *cond(const ed_node *obj, const char *type, const char *field)
{
    ed_node *conds = ed_node_path(obj, "/status/conditions");
    for (size_t i = 0; i < ed_node_len(conds); i++) {
        const char *t = ed_node_path_str(ed_node_at(conds, i), "/type");
        if (t && strcmp(t, type) == 0)
            return ed_node_path_str(ed_node_at(conds, i), field);
    }
    return NULL;
}

static const char *revision_of(const struct kind *k, const ed_node *obj)
{
    const char *r = ed_node_path_str(obj, k == &gitrepository ? "/status/artifact/revision"
                                                              : "/status/lastAppliedRevision");
    return r ? r : "";
}

/* ---- get ---- */

int ed_cli_get(int argc, char **argv)
{
    struct flags f = {.ns = "flux-system"};
    int next = 0;
    const struct kind *k = parse_kind(argc, argv, &next);
    if (!k) {
        fprintf(stderr, "Usage: eddy get (sources git | kustomizations) [NAME] [-n NS | -A]\n");
        return 2;
    }
    int rc = parse_flags(argc - next + 1, argv + next - 1, &f, "get");
    if (rc)
        return rc;
    const char *only = optind < argc - next + 1 ? argv[next - 1 + optind] : NULL;
    ed_kube *kube = connect(&f);
    if (!kube)
        return 1;
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    rc = ed_kube_list(kube, k->api_version, k->kind, f.all_namespaces ? NULL : f.ns, NULL, &list,
                      &err);
    if (rc) {
        fprintf(stderr, "✗ %s\n", err.msg);
        ed_kube_free(kube);
        return 1;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    /* Columns as flux prints them, padded to the widest cell. */
    const char *head[] = {"NAMESPACE", "NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"};
    size_t n = ed_node_len(items), rows = 0;
    const char **cells = ed_xcalloc((n + 1) * 6, sizeof(char *));
    for (int c = 0; c < 6; c++)
        cells[c] = head[c];
    for (size_t i = 0; i < n; i++) {
        ed_node *o = ed_node_at(items, i);
        const char *name = ed_node_path_str(o, "/metadata/name");
        if (only && (!name || strcmp(name, only) != 0))
            continue;
        bool suspended = false;
        ed_node_bool(ed_node_path(o, "/spec/suspend"), &suspended);
        const char *ready = cond(o, "Ready", "/status");
        const char *msg = cond(o, "Ready", "/message");
        const char **row = cells + (rows + 1) * 6;
        row[0] = ed_node_path_str(o, "/metadata/namespace");
        row[1] = name;
        row[2] = revision_of(k, o);
        row[3] = suspended ? "True" : "False";
        row[4] = ready ? ready : "Unknown";
        row[5] = msg ? msg : "";
        rows++;
    }
    size_t width[6] = {0};
    for (size_t r = 0; r <= rows; r++)
        for (int c = 0; c < 6; c++)
            if (cells[r * 6 + c] && strlen(cells[r * 6 + c]) > width[c])
                width[c] = strlen(cells[r * 6 + c]);
    for (size_t r = f.no_header ? 1 : 0; r <= rows; r++) {
        for (int c = f.all_namespaces ? 0 : 1; c < 6; c++) {
            const char *cell = cells[r * 6 + c] ? cells[r * 6 + c] : "";
            if (c < 5)
                printf("%-*s\t", (int)width[c], cell);
            else
                printf("%s\n", cell);
        }
    }
    if (only && rows == 0) {
        fprintf(stderr, "✗ %s object '%s' not found in \"%s\" namespace\n", k->kind, only, f.ns);
        rc = 1;
    }
    free(cells);
    ed_doc_free(list);
    ed_kube_free(kube);
    return rc;
}

/* ---- suspend, resume, reconcile ---- */

static void now_token(char *out, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char base[32];
    ed_time_rfc3339(tv.tv_sec, base);
    snprintf(out, cap, "%.19s.%06ldZ", base, (long)tv.tv_usec);
}

/* Merge-patch obj: spec.suspend (when suspend is 0 or 1) and the requestedAt token (when set). */
static int patch(ed_kube *kube, const struct kind *k, const char *ns, const char *name, int suspend,
                 const char *token, ed_err *err)
{
    ed_buf body = ED_BUF_INIT(4096);
    ed_buf_append_str(&body, "{");
    if (suspend >= 0)
        ed_buf_printf(&body, "\"spec\":{\"suspend\":%s}", suspend ? "true" : "false");
    if (token)
        ed_buf_printf(
            &body, "%s\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%s\"}}",
            suspend >= 0 ? "," : "", token);
    ed_buf_append_str(&body, "}");
    ed_kube_opts o = {.field_manager = "flux-client-side-apply"};
    int rc = ed_kube_patch(kube, k->api_version, k->kind, ns, name, ED_KUBE_PATCH_MERGE, body.data,
                           body.len, &o, NULL, err);
    ed_buf_free(&body);
    return rc;
}

/* Wait until the controller handled token, then report Ready as flux does. */
static int wait_handled(ed_kube *kube, const struct kind *k, const char *ns, const char *name,
                        const char *token, int64_t timeout_ms)
{
    printf("◎ waiting for %s reconciliation\n", k->kind);
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_kube_get(kube, k->api_version, k->kind, ns, name, &d, &err) != 0) {
            fprintf(stderr, "✗ %s\n", err.msg);
            return 1;
        }
        ed_node *o = ed_doc_root(d);
        const char *handled = ed_node_path_str(o, "/status/lastHandledReconcileAt");
        const char *ready = cond(o, "Ready", "/status");
        if (handled && strcmp(handled, token) == 0 && ready && strcmp(ready, "Unknown") != 0) {
            int rc = 0;
            if (strcmp(ready, "True") == 0) {
                printf("✔ %s %s reconciliation completed\n", k->kind, name);
                printf("✔ %s revision %s\n", k->done_as, revision_of(k, o));
            } else {
                const char *msg = cond(o, "Ready", "/message");
                fprintf(stderr, "✗ %s reconciliation failed: %s\n", k->kind, msg ? msg : "");
                rc = 1;
            }
            ed_doc_free(d);
            return rc;
        }
        ed_doc_free(d);
        if (ed_time_mono_ms() >= deadline) {
            fprintf(stderr, "✗ timeout waiting for %s %s/%s to be reconciled\n", k->kind, ns, name);
            return 1;
        }
        usleep(500 * 1000);
    }
}

/* The names to act on: NAME, or every object of the kind with --all. */
static char **targets(ed_kube *kube, const struct kind *k, const struct flags *f, const char *name,
                      size_t *n)
{
    *n = 0;
    char **names = ed_xcalloc(1, sizeof(char *));
    if (!f->all) {
        names[0] = ed_xstrdup(name);
        *n = 1;
        return names;
    }
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_list(kube, k->api_version, k->kind, f->ns, NULL, &list, &err) != 0) {
        fprintf(stderr, "✗ %s\n", err.msg);
        return names;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    for (size_t i = 0; i < ed_node_len(items); i++) {
        names = ed_xrealloc(names, (*n + 1) * sizeof(char *));
        names[(*n)++] = ed_xstrdup(ed_node_path_str(ed_node_at(items, i), "/metadata/name"));
    }
    ed_doc_free(list);
    return names;
}

static int toggle(int argc, char **argv, bool suspend)
{
    const char *verb = suspend ? "suspend" : "resume";
    struct flags f = {.ns = "flux-system", .timeout_ms = 300000, .wait = true};
    int next = 0;
    const struct kind *k = parse_kind(argc, argv, &next);
    if (!k) {
        fprintf(stderr, "Usage: eddy %s (source git | kustomization) (NAME | --all) [-n NS]\n",
                verb);
        return 2;
    }
    int rc = parse_flags(argc - next + 1, argv + next - 1, &f, verb);
    if (rc)
        return rc;
    const char *name = optind < argc - next + 1 ? argv[next - 1 + optind] : NULL;
    if (!name && !f.all) {
        fprintf(stderr, "✗ %s name is required (or --all)\n", k->label);
        return 2;
    }
    ed_kube *kube = connect(&f);
    if (!kube)
        return 1;
    size_t n;
    char **names = targets(kube, k, &f, name, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        printf("► %s %s %s in %s namespace\n", suspend ? "suspending" : "resuming", k->label,
               names[i], f.ns);
        char token[64];
        now_token(token, sizeof(token));
        ed_err err = ED_ERR_INIT;
        if (patch(kube, k, f.ns, names[i], suspend ? 1 : 0, suspend ? NULL : token, &err)) {
            fprintf(stderr, "✗ %s\n", err.msg);
            rc = 1;
            break;
        }
        printf("✔ %s %s\n", k->label, suspend ? "suspended" : "resumed");
        /* flux waits after a single resume; with --all only when asked to. */
        if (!suspend && f.wait && (n == 1 || !f.all))
            rc = wait_handled(kube, k, f.ns, names[i], token, f.timeout_ms);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    ed_kube_free(kube);
    return rc;
}

int ed_cli_suspend(int argc, char **argv)
{
    return toggle(argc, argv, true);
}

int ed_cli_resume(int argc, char **argv)
{
    return toggle(argc, argv, false);
}

static int reconcile_one(ed_kube *kube, const struct kind *k, const char *ns, const char *name,
                         int64_t timeout_ms)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, k->api_version, k->kind, ns, name, &d, &err) != 0) {
        fprintf(stderr, "✗ %s\n", err.msg);
        return 1;
    }
    bool suspended = false;
    ed_node_bool(ed_node_path(ed_doc_root(d), "/spec/suspend"), &suspended);
    ed_doc_free(d);
    if (suspended) {
        fprintf(stderr, "✗ resource is suspended\n");
        return 1;
    }
    printf("► annotating %s %s in %s namespace\n", k->kind, name, ns);
    char token[64];
    now_token(token, sizeof(token));
    if (patch(kube, k, ns, name, -1, token, &err)) {
        fprintf(stderr, "✗ %s\n", err.msg);
        return 1;
    }
    printf("✔ %s annotated\n", k->kind);
    return wait_handled(kube, k, ns, name, token, timeout_ms);
}

int ed_cli_reconcile(int argc, char **argv)
{
    struct flags f = {.ns = "flux-system", .timeout_ms = 300000};
    int next = 0;
    const struct kind *k = parse_kind(argc, argv, &next);
    if (!k) {
        fprintf(stderr, "Usage: eddy reconcile (source git | kustomization) NAME [-n NS] "
                        "[--with-source]\n");
        return 2;
    }
    int rc = parse_flags(argc - next + 1, argv + next - 1, &f, "reconcile");
    if (rc)
        return rc;
    const char *name = optind < argc - next + 1 ? argv[next - 1 + optind] : NULL;
    if (!name) {
        fprintf(stderr, "✗ %s name is required\n", k->label);
        return 2;
    }
    ed_kube *kube = connect(&f);
    if (!kube)
        return 1;
    if (f.with_source && k == &kustomization) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_kube_get(kube, k->api_version, k->kind, f.ns, name, &d, &err) != 0) {
            fprintf(stderr, "✗ %s\n", err.msg);
            ed_kube_free(kube);
            return 1;
        }
        const char *sname = ed_node_path_str(ed_doc_root(d), "/spec/sourceRef/name");
        const char *sns = ed_node_path_str(ed_doc_root(d), "/spec/sourceRef/namespace");
        char *src = sname ? ed_xstrdup(sname) : NULL;
        char *srcns = ed_xstrdup(sns ? sns : f.ns);
        ed_doc_free(d);
        rc = src ? reconcile_one(kube, &gitrepository, srcns, src, f.timeout_ms) : 0;
        free(src);
        free(srcns);
    }
    if (!rc)
        rc = reconcile_one(kube, k, f.ns, name, f.timeout_ms);
    ed_kube_free(kube);
    return rc;
}
