/*
 * Troubleshooting verbs, as flux's:
 *
 *   eddy debug kustomization NAME (--show-status | --show-vars | --show-history)
 *       exactly one of them, as flux requires: the Kustomization's status or its history as
 *       YAML (after a comment pointing at Flux's
 *       documentation of the fields), or the final postBuild variables in dot-env format
 *       (NAME=value lines sorted by name), read from the cluster as the agent reads them;
 *   eddy envsubst [--strict]
 *       standard input with the environment's variables substituted line by line, Flux's
 *       envsubst grammar, to replay a postBuild substitution by hand.
 *
 * --show-vars prints the values of Secrets on purpose (the user asked for them on their
 * terminal, as flux does); nothing is logged.
 */
#include "cli_int.h"

#include "../controllers/controllers.h"
#include "../kustomize/kustomize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char status_doc[] =
    "# Status documentation: "
    "https://fluxcd.io/flux/components/kustomize/kustomizations/#kustomization-status\n";
static const char history_doc[] =
    "# History documentation: "
    "https://fluxcd.io/flux/components/kustomize/kustomizations/#history\n";

/* node as YAML after the comment line; empty (NULL) prints as `empty`. */
static int print_commented(const char *comment, const ed_node *node, const char *empty)
{
    fputs(comment, stdout);
    if (!node) {
        printf("%s\n", empty);
        return 0;
    }
    ed_buf out = ED_BUF_INIT((size_t)64 << 20);
    int rc = ed_node_to_yaml(node, &out);
    if (rc == 0)
        fwrite(out.data, 1, out.len, stdout);
    else
        ed_cli_failure("cannot print the status as YAML");
    ed_buf_free(&out);
    return rc ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The variables as NAME=value lines, sorted by name. */
static int print_vars(ed_kube *kube, const ed_node *ks)
{
    ed_strmap *vars = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_ks_vars_load(kube, ks, &vars, &err) != 0) {
        ed_cli_failure("%s", err.msg);
        return 1;
    }
    size_t n = ed_strmap_len(vars), k = 0, pos = 0;
    const char **names = ed_xcalloc(n ? n : 1, sizeof(*names));
    const char *name;
    void *val;
    while (ed_strmap_next(vars, &pos, &name, &val))
        names[k++] = name;
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++)
        printf("%s=%s\n", names[i], (const char *)ed_strmap_get(vars, names[i]));
    free(names);
    ed_ks_vars_free(vars);
    return 0;
}

int ed_cli_debug(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool show_status = false, show_vars = false, show_history = false;
    const ed_cli_flag flags[] = {
        {"show-status", 0, ED_CLI_FLAG_BOOL, &show_status},
        {"show-vars", 0, ED_CLI_FLAG_BOOL, &show_vars},
        {"show-history", 0, ED_CLI_FLAG_BOOL, &show_history},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    bool is_ks = npos >= 1 && (strcmp(pos[0], "kustomization") == 0 || strcmp(pos[0], "ks") == 0 ||
                               strcmp(pos[0], "kustomizations") == 0);
    const char *name = is_ks && npos == 2 ? pos[1] : NULL;
    free(pos);
    if (rc)
        return rc;
    if (!name) {
        ed_cli_failure("usage: eddy debug kustomization NAME (--show-status | --show-vars | "
                       "--show-history)");
        return 2;
    }
    /* flux asks for exactly one view, before it reads the cluster, with one message for none
     * and for several (its words, with the third flag it gained named too). */
    if (show_status + show_vars + show_history != 1) {
        ed_cli_failure("exactly one of --show-status, --show-vars, or --show-history must be set");
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    const ed_cli_kind *k = &ed_cli_kustomization;
    ed_doc *doc = NULL;
    ed_err err = ED_ERR_INIT;
    rc = ed_kube_get(kube, k->api_version, k->kind, g.ns, name, &doc, &err);
    if (rc == ED_ENOTFOUND) {
        ed_cli_failure("%s '%s' not found in \"%s\" namespace", k->kind, name, g.ns);
        rc = 1;
    } else if (rc) {
        ed_cli_api_failure(&err);
        rc = 1;
    } else if (show_vars && !ed_node_path(ed_doc_root(doc), "/spec/postBuild")) {
        ed_cli_failure("no post build substitutions found"); /* flux's words */
        rc = 1;
    } else if (show_vars) {
        rc = print_vars(kube, ed_doc_root(doc));
    } else if (show_history) {
        const ed_node *history = ed_node_path(ed_doc_root(doc), "/status/history");
        rc = print_commented(history_doc, ed_node_len(history) ? history : NULL, "[]");
    } else {
        rc = print_commented(status_doc, ed_node_path(ed_doc_root(doc), "/status"), "{}");
    }
    ed_doc_free(doc);
    ed_kube_free(kube);
    return rc;
}

/* The environment as a map of names to values (borrowed from environ). */
static ed_strmap *environment(void)
{
    ed_strmap *env = ed_strmap_new();
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        char *key = ed_xstrndup(*e, (size_t)(eq - *e));
        ed_strmap_put(env, key, (void *)(eq + 1));
        free(key);
    }
    return env;
}

int ed_cli_envsubst(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool strict = false;
    const ed_cli_flag flags[] = {
        {"strict", 0, ED_CLI_FLAG_BOOL, &strict},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &g);
    if (rc)
        return rc;
    ed_strmap *env = environment();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    ed_buf out = ED_BUF_INIT((size_t)64 << 20);
    ed_err err = ED_ERR_INIT;
    while (!rc && (len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            len--;
        out.len = 0;
        if (ed_ks_envsubst(line, (size_t)len, env, strict, &out, &err) != 0) {
            ed_cli_failure("%s", err.msg);
            rc = 1;
            break;
        }
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        putchar('\n');
    }
    if (!rc && ferror(stdin)) {
        ed_cli_failure("cannot read standard input");
        rc = 1;
    }
    ed_buf_free(&out);
    free(line);
    ed_strmap_free(env);
    return rc;
}
