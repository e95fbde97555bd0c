/*
 * The everyday verbs, as `flux` has them: suspend, resume and reconcile, for every Flux kind
 * (`source git`, `kustomization`/`ks`, `image repository|policy|update`). The CLI talks only
 * to the Kubernetes API: suspend and resume merge-patch spec.suspend; reconcile (and resume)
 * set the reconcile.fluxcd.io/requestedAt annotation and wait until the controller echoes it
 * in status.lastHandledReconcileAt with a Ready condition, then print the result with flux's
 * lines. `--all` acts on every object of the kind in the namespace; resume waits after a
 * single object unless --wait=false, and after --all only with --wait.
 */
#include "cli_int.h"

#include <stdlib.h>
#include <string.h>

/* Merge-patch obj: spec.suspend (when suspend is 0 or 1), flux's suspend reason annotation
 * (when reason is set) and the requestedAt token (when set). */
static int patch(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name, int suspend,
                 const char *reason, const char *token, ed_err *err)
{
    ed_buf body = ED_BUF_INIT((size_t)1 << 20);
    ed_buf_append_str(&body, "{");
    if (suspend >= 0)
        ed_buf_printf(&body, "\"spec\":{\"suspend\":%s}", suspend ? "true" : "false");
    if (token || (reason && *reason)) {
        ed_buf_printf(&body, "%s\"metadata\":{\"annotations\":{", suspend >= 0 ? "," : "");
        if (token)
            ed_buf_printf(&body, "\"reconcile.fluxcd.io/requestedAt\":\"%s\"", token);
        if (reason && *reason) {
            ed_buf_printf(&body, "%s\"suspend.toolkit.fluxcd.io/reason\":", token ? "," : "");
            ed_buf_append_json_str(&body, reason);
        }
        ed_buf_append_str(&body, "}}");
    }
    ed_buf_append_str(&body, "}");
    ed_kube_opts o = {.field_manager = "flux-client-side-apply"};
    int rc = ed_kube_patch(kube, k->api_version, k->kind, ns, name, ED_KUBE_PATCH_MERGE, body.data,
                           body.len, &o, NULL, err);
    ed_buf_free(&body);
    return rc;
}

/* The names to act on: the NAMEs given (each once, in order), or with --all and no NAME every
 * object of the kind in the namespace (possibly none). NULL after an API error. */
static char **targets(ed_kube *kube, const ed_cli_kind *k, const char *ns, bool all, char **given,
                      int ngiven, size_t *n)
{
    *n = 0;
    char **names = ed_xcalloc((size_t)ngiven + 1, sizeof(char *));
    if (ngiven > 0 || !all) {
        for (int i = 0; i < ngiven; i++) {
            bool seen = false;
            for (size_t j = 0; j < *n; j++)
                seen |= strcmp(names[j], given[i]) == 0;
            if (!seen)
                names[(*n)++] = ed_xstrdup(given[i]);
        }
        return names;
    }
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_list(kube, k->api_version, k->kind, ns, NULL, &list, &err) != 0) {
        ed_cli_api_failure(&err);
        free(names);
        return NULL;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    for (size_t i = 0; i < ed_node_len(items); i++) {
        names = ed_xrealloc(names, (*n + 1) * sizeof(char *));
        names[(*n)++] = ed_xstrdup(ed_node_path_str(ed_node_at(items, i), "/metadata/name"));
    }
    ed_doc_free(list);
    return names;
}

/* Parse "KIND NAME..." (or "KIND --all") for suspend and resume, "KIND NAME" for reconcile
 * (max_names 1): the kind, and the names at pos[*first..npos). */
static int parse_targets(const char *verb, char **pos, int npos, bool all, int max_names,
                         const ed_cli_kind **k, int *first)
{
    int used = 0;
    *k = ed_cli_kind_parse(pos, npos, &used);
    if (!*k) {
        ed_cli_failure("%s: unknown kind; eddy %s (source git | kustomization | image "
                       "repository|policy|update) NAME",
                       npos ? pos[0] : "missing kind", verb);
        return 2;
    }
    *first = used;
    if (npos == used && !all) {
        /* (flux's reconcile names the Kind, its suspend and resume the kind's words) */
        ed_cli_failure("%s name is required",
                       strcmp(verb, "reconcile") == 0 ? (*k)->kind : (*k)->label);
        return 2;
    }
    if (npos - used > max_names) {
        ed_cli_failure("unexpected argument '%s'", pos[used + max_names]);
        return 2;
    }
    return 0;
}

/* Whether --wait was given (its value, any of ParseBool's spellings, is then in wait). */
static bool wait_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--wait") == 0 || strncmp(argv[i], "--wait=", 7) == 0)
            return true;
    return false;
}

/* One object's suspend or resume (with its requestedAt token in token). Returns 0, 1 after
 * printing an error, or ED_ENOTFOUND after saying in flux's words that it is missing (which
 * flux does not count as a failure; flux's resume names the first NAME given, first, whichever
 * is missing). */
static int toggle_one(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                      const char *first, bool suspend, const char *reason, char *token,
                      size_t token_cap)
{
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_get(kube, k->api_version, k->kind, ns, name, NULL, &err);
    if (rc == ED_ENOTFOUND) {
        if (suspend)
            ed_cli_failure("%s %s not found in %s namespace", k->kind, name, ns);
        else
            ed_cli_failure("%s object '%s' not found in %s namespace", k->kind, first, ns);
        return ED_ENOTFOUND;
    }
    if (rc) {
        ed_cli_api_failure(&err);
        return 1;
    }
    ed_cli_action("%s %s %s in %s namespace", suspend ? "suspending" : "resuming", k->label, name,
                  ns);
    ed_cli_now_token(token, token_cap);
    if (patch(kube, k, ns, name, suspend ? 1 : 0, suspend ? reason : NULL, suspend ? NULL : token,
              &err)) {
        ed_cli_api_failure(&err);
        return 1;
    }
    ed_cli_success("%s %s", k->label, suspend ? "suspended" : "resumed");
    return 0;
}

/*
 * suspend and resume, as flux: several NAMEs (each once), or --all; a NAME that is missing is
 * said and the others still done, and, as in flux, that is no failure (exit 0): the state
 * asked for holds for every object that exists. --all that finds nothing fails suspend ("no
 * objects found", exit 1) but not resume, as in flux. resume waits for Ready after a single
 * NAME unless --wait=false, after several or --all only with --wait; every object is resumed
 * first, then each is waited for. A wait that fails is printed but, as in flux, resume still
 * exits 0: the object was resumed.
 */
static int toggle(int argc, char **argv, bool suspend)
{
    const char *verb = suspend ? "suspend" : "resume";
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool all = false, wait = true;
    const char *reason = NULL;
    ed_cli_flag flags[] = {
        {"all", 0, ED_CLI_FLAG_BOOL, &all},
        {"wait", 0, ED_CLI_FLAG_BOOL, &wait},
        {NULL, 0, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    if (suspend) /* --wait is resume's, --reason suspend's */
        flags[1] = (ed_cli_flag){"reason", 'r', ED_CLI_FLAG_STR, &reason};
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, first = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const ed_cli_kind *k = NULL;
    if (!rc)
        rc = parse_targets(verb, pos, npos, all, argc, &k, &first);
    if (rc) {
        free(pos);
        return rc;
    }
    /* flux waits after a single resume; after several or --all only when asked to. */
    if ((npos - first != 1) && !wait_given(argc, argv))
        wait = false;
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube) {
        free(pos);
        return 1;
    }
    /* A kind the server does not serve: flux's suspend says so for each NAME and exits 0; its
     * resume, and suspend --all, fail with the error. */
    ed_err kerr = ED_ERR_INIT;
    if (ed_cli_kind_served(kube, k, &kerr) == ED_ENOTFOUND) {
        bool each = suspend && npos > first;
        for (int i = first; each && i < npos; i++) {
            bool seen = false;
            for (int j = first; j < i; j++)
                seen |= strcmp(pos[j], pos[i]) == 0;
            if (seen)
                continue;
            ed_cli_failure("failed suspending %s %s in %s namespace: %s", k->kind, pos[i], g.ns,
                           kerr.msg);
            /* controller-runtime's mapper, once it has looked, says "no matches for kind" */
            ed_err_set(&kerr, ED_ENOTFOUND, "no matches for kind \"%s\" in version \"%s\"", k->kind,
                       k->api_version);
        }
        if (!each)
            ed_cli_failure("%s", kerr.msg);
        free(pos);
        ed_kube_free(kube);
        return each ? 0 : 1;
    }
    size_t n = 0;
    char **names = targets(kube, k, g.ns, all, pos + first, npos - first, &n);
    free(pos);
    if (!names) {
        ed_kube_free(kube);
        return 1;
    }
    if (n == 0) {
        if (suspend) {
            ed_cli_failure("no objects found");
            rc = 1;
        } else {
            ed_cli_failure("no %s objects found in %s namespace", k->kind, g.ns);
        }
    }
    char(*tokens)[64] = ed_xcalloc(n ? n : 1, sizeof(*tokens));
    bool *done = ed_xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        int one = toggle_one(kube, k, g.ns, names[i], names[0], suspend, reason, tokens[i],
                             sizeof(tokens[i]));
        if (one == 0)
            done[i] = true;
        else if (one != ED_ENOTFOUND)
            rc = 1;
    }
    /* A wait that ends in a failure (or the timeout) is said, but resume itself succeeded:
     * flux's resume prints the wait's error and still exits 0 (its run returns nil whatever
     * the waits gave), and scripts that resume then check the status rely on it. */
    for (size_t i = 0; !suspend && wait && i < n; i++)
        if (done[i])
            (void)ed_cli_wait_ready(kube, k, g.ns, names[i], tokens[i], g.timeout_ms);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tokens);
    free(done);
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

static int reconcile_one(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                         int64_t timeout_ms)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, k->api_version, k->kind, ns, name, &d, &err) != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    bool suspended = false;
    ed_node_bool(ed_node_path(ed_doc_root(d), "/spec/suspend"), &suspended);
    ed_doc_free(d);
    if (suspended) {
        ed_cli_failure("resource is suspended");
        return 1;
    }
    ed_cli_action("annotating %s %s in %s namespace", k->kind, name, ns);
    char token[64];
    ed_cli_now_token(token, sizeof(token));
    if (patch(kube, k, ns, name, -1, NULL, token, &err)) {
        ed_cli_api_failure(&err);
        return 1;
    }
    ed_cli_success("%s annotated", k->kind);
    return ed_cli_wait_reconciled(kube, k, ns, name, token, timeout_ms);
}

/* --with-source: the Kustomization's GitRepository first; as flux, not when the Kustomization
 * is suspended (its source is left alone: the request fails at once). */
static int reconcile_source(ed_kube *kube, const char *ns, const char *name, int64_t timeout_ms)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", ns, name, &d, &err) !=
        0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    const ed_node *root = ed_doc_root(d);
    bool suspended = false;
    ed_node_bool(ed_node_path(root, "/spec/suspend"), &suspended);
    if (suspended) {
        ed_cli_failure("resource is suspended");
        ed_doc_free(d);
        return 1;
    }
    const char *skind = ed_node_path_str(root, "/spec/sourceRef/kind");
    const char *sname = ed_node_path_str(root, "/spec/sourceRef/name");
    const char *sns = ed_node_path_str(root, "/spec/sourceRef/namespace");
    int rc = 0;
    const ed_cli_kind *sk = !skind || strcmp(skind, "GitRepository") == 0 ? &ed_cli_gitrepository
                            : strcmp(skind, "OCIRepository") == 0         ? &ed_cli_ocirepository
                                                                          : NULL;
    if (!sk) {
        ed_cli_failure("--with-source: source kind %s is not served by eddy", skind);
        rc = 1;
    } else if (sname) {
        rc = reconcile_one(kube, sk, sns ? sns : ns, sname, timeout_ms);
    }
    ed_doc_free(d);
    return rc;
}

int ed_cli_reconcile(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool with_source = false;
    const ed_cli_flag flags[] = {
        {"with-source", 0, ED_CLI_FLAG_BOOL, &with_source},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const ed_cli_kind *k = NULL;
    int first = 0;
    if (!rc)
        rc = parse_targets("reconcile", pos, npos, false, 1, &k, &first);
    const char *name = rc ? NULL : pos[first];
    free(pos);
    if (rc)
        return rc;
    if (with_source && k != &ed_cli_kustomization) {
        ed_cli_failure("--with-source is for kustomizations");
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    if (ed_cli_require_kind(kube, k) != 0) {
        ed_kube_free(kube);
        return 1;
    }
    if (with_source)
        rc = reconcile_source(kube, g.ns, name, g.timeout_ms);
    if (!rc)
        rc = reconcile_one(kube, k, g.ns, name, g.timeout_ms);
    ed_kube_free(kube);
    return rc;
}
