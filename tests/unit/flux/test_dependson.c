/*
 * Flux's readiness rule for spec.dependsOn (src/controllers/dependson.c), table driven: a
 * dependency is ready when it exists, has conditions, observedGeneration == generation,
 * Ready=True, and (same source only) lastAppliedRevision == the source's revision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controllers/ks_int.h"

#include <string.h>

#include "flux_tests.h"

static ed_doc *parse(const char *yaml)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_yaml(yaml, strlen(yaml), "t", &docs, &n, &err), 0);
    ed_doc *d = docs[0];
    docs[0] = NULL;
    ed_doc_list_free(docs, n);
    return d;
}

#define DEP(gen, observed, ready, src, applied)                                                    \
    "metadata: {name: infra, namespace: apps, generation: " gen "}\n"                              \
    "spec: {sourceRef: {kind: GitRepository, name: " src "}}\n"                                    \
    "status:\n  observedGeneration: " observed "\n  lastAppliedRevision: " applied "\n"            \
    "  conditions: [{type: Ready, status: '" ready "', reason: x, message: x}]\n"

static const struct {
    const char *dep;  /* NULL: does not exist */
    const char *want; /* NULL: ready */
} cases[] = {
    {DEP("2", "2", "True", "repo", "main@sha1:new"), NULL},
    {NULL, "dependency 'apps/infra' not found: kustomizations.kustomize.toolkit.fluxcd.io "
           "\"infra\" not found"},
    {DEP("3", "2", "True", "repo", "main@sha1:new"), "dependency 'apps/infra' is not ready"},
    {DEP("2", "2", "False", "repo", "main@sha1:new"), "dependency 'apps/infra' is not ready"},
    {DEP("2", "2", "Unknown", "repo", "main@sha1:new"), "dependency 'apps/infra' is not ready"},
    {"metadata: {name: infra, namespace: apps, generation: 1}\nstatus: {observedGeneration: 1}\n",
     "dependency 'apps/infra' is not ready"},
    {DEP("2", "2", "True", "repo", "main@sha1:old"),
     "dependency 'apps/infra' revision is not up to date"},
    /* Another source: its revision is not compared. */
    {DEP("2", "2", "True", "other", "main@sha1:old"), NULL},
};

/* dependsOn[].readyExpr: the expression alone decides (self and dep are the objects). */
static const struct {
    const char *expr;
    const char *dep_ready; /* the dependency's Ready status */
    int rc;
    const char *want; /* the message (a prefix for CEL's evaluation errors) */
} expr_cases[] = {
    {"dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')", "False", 0, NULL},
    {"self.metadata.name == 'app' && dep.metadata.generation == 2", "False", 0, NULL},
    {"dep.metadata.generation == 3", "True", ED_ERETRY,
     "dependency 'apps/infra' is not ready according to readyExpr eval"},
    {"dep.status.missing == 1", "True", ED_ERETRY,
     "failed to evaluate the CEL expression 'dep.status.missing == 1'"},
    {"dep.metadata.generation ==", "True", ED_EINVALID,
     "failed to evaluate dependency infra: failed to parse the CEL expression "
     "'dep.metadata.generation =='"},
    /* Compiled as Flux does: self and dep are the only variables, the result is a bool. */
    {"deps.metadata.generation == 2", "True", ED_EINVALID,
     "failed to evaluate dependency infra: failed to parse the CEL expression "
     "'deps.metadata.generation == 2': ERROR: <input>:1:1: undeclared reference to 'deps' (in "
     "container '')"},
    {"dep.status.conditions.exists(c, c.type == 'Ready' && status == 'True')", "True", ED_EINVALID,
     "failed to evaluate dependency infra: failed to parse the CEL expression "
     "'dep.status.conditions.exists(c, c.type == 'Ready' && status == 'True')': ERROR: "
     "<input>:1:54: undeclared reference to 'status' (in container '')"},
    {"dep.metadata.name", "True", ED_EINVALID,
     "failed to evaluate dependency infra: CEL expression output type mismatch: expected bool, "
     "got dyn"},
    {"size(dep.status.conditions)", "True", ED_EINVALID,
     "failed to evaluate dependency infra: CEL expression output type mismatch: expected bool, "
     "got int"},
};

void test_dependency_ready_expr(void **state)
{
    (void)state;
    ed_doc *obj = parse("metadata: {name: app, namespace: apps}\n"
                        "spec: {sourceRef: {kind: GitRepository, name: repo}}\n");
    for (size_t i = 0; i < sizeof(expr_cases) / sizeof(expr_cases[0]); i++) {
        ed_doc *dep = parse(strcmp(expr_cases[i].dep_ready, "True") == 0
                                ? DEP("2", "2", "True", "repo", "main@sha1:new")
                                : DEP("2", "2", "False", "repo", "main@sha1:new"));
        ed_err err = ED_ERR_INIT;
        int rc = ed_ks_dependency_check(ed_doc_root(obj), ed_doc_root(dep), "apps/infra",
                                        "main@sha1:new", expr_cases[i].expr, &err);
        if (rc != expr_cases[i].rc)
            fail_msg("case %zu: want rc %d, got %d '%s'", i, expr_cases[i].rc, rc, err.msg);
        if (expr_cases[i].want &&
            strncmp(err.msg, expr_cases[i].want, strlen(expr_cases[i].want)) != 0)
            fail_msg("case %zu: want '%s...', got '%s'", i, expr_cases[i].want, err.msg);
        assert_string_equal(err.reason, rc == ED_EINVALID ? "InvalidCELExpression" : "");
        ed_doc_free(dep);
    }
    ed_doc_free(obj);
}

void test_dependency_rule(void **state)
{
    (void)state;
    ed_doc *obj = parse("metadata: {name: app, namespace: apps}\n"
                        "spec: {sourceRef: {kind: GitRepository, name: repo}}\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *dep = cases[i].dep ? parse(cases[i].dep) : NULL;
        ed_err err = ED_ERR_INIT;
        int rc = ed_ks_dependency_check(ed_doc_root(obj), dep ? ed_doc_root(dep) : NULL,
                                        "apps/infra", "main@sha1:new", NULL, &err);
        if (cases[i].want == NULL && rc != 0)
            fail_msg("case %zu: want ready, got '%s'", i, err.msg);
        if (cases[i].want && (rc == 0 || strcmp(err.msg, cases[i].want) != 0))
            fail_msg("case %zu: want '%s', got rc %d '%s'", i, cases[i].want, rc, err.msg);
        ed_doc_free(dep);
    }
    ed_doc_free(obj);
}
