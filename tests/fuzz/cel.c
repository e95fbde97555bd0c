/*
 * libFuzzer target for the CEL evaluator (src/doc/cel.c): Kustomization's healthCheckExprs
 * and readyExpr come from Git, and the objects they read from the cluster. The input is split
 * at its first NUL byte into an expression and a JSON document (the variables); without one,
 * the whole input is the expression. The expression is evaluated against that document when it
 * is a JSON mapping and against a fixed Deployment-like object. For any input: no crash, leak,
 * overflow or runaway recursion; a parse, check (ed_cel_check, as readyExpr is checked) or
 * evaluation fails with ED_EINVALID and Flux's message, or succeeds with no error set;
 * evaluating twice gives the same verdict.
 */
#include "doc/doc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char object[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"app\","
    "\"generation\":3,\"labels\":{\"x\":\"1\"}},\"spec\":{\"replicas\":2,\"f\":1.5,\"n\":null,"
    "\"b\":true},\"status\":{\"observedGeneration\":3,\"readyReplicas\":2,\"conditions\":["
    "{\"type\":\"Ready\",\"status\":\"True\",\"message\":\"h\\u00e9llo\"}]},"
    "\"self\":{\"metadata\":{\"name\":\"app\"}},\"dep\":{\"status\":{}}}";

/* ed_cel_check with readyExpr's variables, then with none (every name undeclared). */
static void check_check(const ed_cel *c)
{
    static const char *const vars[] = {"self", "dep"};
    for (size_t nvars = 0; nvars <= 2; nvars += 2) {
        ed_err e = ED_ERR_INIT;
        int rc = ed_cel_check(c, nvars ? vars : NULL, nvars, nvars != 0, &e);
        if ((rc == 0) != (e.code == 0))
            abort();
        if (rc != 0 &&
            (rc != ED_EINVALID ||
             (strncmp(e.msg, "failed to parse the CEL expression '", 36) != 0 &&
              strncmp(e.msg, "CEL expression output type mismatch: expected bool, got ", 56) != 0)))
            abort();
    }
}

static void check_eval(const ed_cel *c, const ed_node *vars)
{
    bool r1 = false, r2 = false;
    ed_err e1 = ED_ERR_INIT, e2 = ED_ERR_INIT;
    int rc1 = ed_cel_eval_bool(c, vars, &r1, &e1);
    int rc2 = ed_cel_eval_bool(c, vars, &r2, &e2);
    if (rc1 != rc2 || r1 != r2 || strcmp(e1.msg, e2.msg) != 0)
        abort();
    if (rc1 == 0 && e1.code != 0)
        abort();
    if (rc1 != 0 && (rc1 != ED_EINVALID || r1 ||
                     (strncmp(e1.msg, "failed to evaluate the CEL expression '", 39) != 0 &&
                      strncmp(e1.msg, "failed to evaluate CEL expression as boolean: '", 47) != 0)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t elen = nul ? (size_t)(nul - data) : size;
    char *expr = malloc(elen + 1);
    memcpy(expr, data, elen);
    expr[elen] = '\0';
    ed_cel *c = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_cel_parse(expr, &c, &err);
    if ((rc == 0) != (c != NULL) || (rc == 0) != (err.code == 0))
        abort();
    if (rc != 0 &&
        (rc != ED_EINVALID || strncmp(err.msg, "failed to parse the CEL expression '", 36) != 0))
        abort();
    if (c) {
        check_check(c);
        ed_doc *fixed = NULL;
        if (ed_doc_parse_json(object, strlen(object), &fixed, &err) != 0)
            abort();
        check_eval(c, ed_doc_root(fixed));
        ed_doc_free(fixed);
        ed_doc *doc = NULL;
        if (nul && ed_doc_parse_api_json((const char *)nul + 1, size - elen - 1, &doc, &err) == 0 &&
            ed_node_kind_of(ed_doc_root(doc)) == ED_NODE_MAP)
            check_eval(c, ed_doc_root(doc));
        ed_doc_free(doc);
    }
    ed_cel_free(c);
    free(expr);
    return 0;
}
