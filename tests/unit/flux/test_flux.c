/*
 * Unit tests of Flux's layer on the kustomize engine (src/kustomize/flux.c, envsubst.c):
 *   - the envsubst grammar, table driven: every operator, escapes, nesting, strict mode;
 *   - golden substitution cases, one folder each under tests/golden/substitute/<case>/ with
 *     input.yaml, vars (NAME=value lines), an optional `strict` marker, and expected.yaml (the
 *     objects after substitution, as eddy prints them) or expected-error (a line the error
 *     must contain); run from the repository root, as `make unit` does;
 *   - the overlay (targetNamespace, namePrefix/nameSuffix, images) built by the engine on top
 *     of a path's own kustomization, and commonMetadata;
 *   - in test_dependson.c, the dependsOn readiness rule of the Kustomization controller, and
 *     in test_history.c its status.history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kustomize/kustomize.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flux_tests.h"

/* ---- envsubst grammar ---- */

struct subst_case {
    const char *in;
    const char *want; /* NULL when an error is expected */
    const char *err;  /* a substring of the error */
    bool strict;
};

static ed_strmap *test_vars(void)
{
    ed_strmap *m = ed_strmap_new();
    ed_strmap_put(m, "name", "podinfo");
    ed_strmap_put(m, "path", "/usr/local/bin/tool.tar.gz");
    ed_strmap_put(m, "empty", "");
    ed_strmap_put(m, "mixed", "hello World");
    ed_strmap_put(m, "utf", "h\xc3\xa9llo");
    ed_strmap_put(m, "other", "x");
    ed_strmap_put(m, "_under9", "u");
    return m;
}

static const struct subst_case subst_cases[] = {
    /* plain forms */
    {"${name}", "podinfo", NULL, true},
    {"a-${name}-b ${other}", "a-podinfo-b x", NULL, true},
    {"${_under9}", "u", NULL, true},
    {"$name ${name}", "$name podinfo", NULL, true}, /* unbraced: never substituted */
    {"cost: $5 $ {name} $", "cost: $5 $ {name} $", NULL, true},
    {"$${name} and $${missing}", "${name} and ${missing}", NULL, true}, /* the escape */
    {"$$ is $; $$$$ is $$", "$ is $; $$ is $", NULL, true},
    {"pid $$, $$${name}, $ alone", "pid $, $podinfo, $ alone", NULL, true},
    {"${missing:-$${name}}", "$podinfo", NULL, true}, /* no escape inside an argument */
    /* names: letters, digits and _ anywhere; anything else after `${` fails the whole text */
    {"${1abc}", NULL, "variable not set (strict mode): \"1abc\"", true},
    {"${1abc}x", "x", NULL, false},
    {"${}", NULL, "unable to parse variable name", true},
    {"a ${.x} b", NULL, "unable to parse variable name", true},
    {"${ name}", NULL, "unable to parse variable name", true},
    {"${name bar}", NULL, "missing closing brace", true},
    {"${name.bar}", NULL, "missing closing brace", true},
    {"text then ${", NULL, "missing closing brace", true},
    /* defaults */
    {"${missing:=def}", "def", NULL, true},
    {"${missing:-def}", "def", NULL, true},
    {"${missing=def}", "def", NULL, true},
    {"${missing-def}", NULL, "missing closing brace", true}, /* bash's -, + and ?: errors */
    {"${name+alt}", NULL, "missing closing brace", true},
    {"${name?msg}", NULL, "missing closing brace", true},
    {"${missing:+alt}", "alt", NULL, true}, /* :+ and :? are defaults in Flux */
    {"${name:+alt}", "podinfo", NULL, true},
    {"${missing:?msg}", "msg", NULL, true},
    {"${empty:-def}", "def", NULL, true},
    {"${empty=def}", "def", NULL, true},
    {"${name:-def}", "podinfo", NULL, true},
    {"${missing:-}", "", NULL, true},
    {"${missing:-${name}-x}", "podinfo-x", NULL, true}, /* nested */
    {"${missing:-${also:-deep}}", "deep", NULL, true},
    {"${name:-${missing}}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${name:-${missing}}", "podinfo", NULL, false}, /* the default is expanded first */
    {"${missing:-a:b/c}", "a:b/c", NULL, true},
    /* length */
    {"${#name}", "7", NULL, true},
    {"${#utf}", "6", NULL, true}, /* bytes */
    {"${#}", NULL, "bad substitution", true},
    {"${#empty}", "0", NULL, true},
    /* case */
    {"${mixed^}", "Hello World", NULL, true},
    {"${mixed^^}", "HELLO WORLD", NULL, true},
    {"${mixed,}", "hello World", NULL, true},
    {"${mixed,,}", "hello world", NULL, true},
    {"${name^}", "Podinfo", NULL, true},
    {"${name^,}", "podinfo", NULL, true}, /* a mixed pair: unchanged */
    {"${name^^^}", NULL, "bad substitution", true},
    /* substring */
    {"${name:3}", "info", NULL, true},
    {"${name:0:3}", "pod", NULL, true},
    {"${name:3:2}", "in", NULL, true},
    {"${name:-4}", "podinfo", NULL, true},  /* :- is the default operator, not a negative offset */
    {"${name: -4}", "podinfo", NULL, true}, /* Go's Atoi: no spaces */
    {"${name:10}", "", NULL, true},
    {"${name:2:100}", "dinfo", NULL, true},
    {"${name:x}", "podinfo", NULL, true},
    /* strip */
    {"${path#*/}", "usr/local/bin/tool.tar.gz", NULL, true},
    {"${path##*/}", "tool.tar.gz", NULL, true}, /* '*' crosses '/' */
    {"${path##*l}", ".tar.gz", NULL, true},
    {"${name##*o}", "", NULL, true},
    {"${name#*o}", "dinfo", NULL, true},
    {"${path%.*}", "/usr/local/bin/tool.tar", NULL, true},
    {"${path%%.*}", "/usr/local/bin/tool", NULL, true},
    {"${name#pod}", "info", NULL, true},
    {"${name#p*}", "odinfo", NULL, true},
    {"${name##p*}", "", NULL, true},
    {"${name%in*}", "pod", NULL, true},
    {"${name%%o*}", "p", NULL, true},
    {"${name%o*}", "podinf", NULL, true},
    {"${name#zzz}", "podinfo", NULL, true},
    {"${name#?o}", "dinfo", NULL, true},
    /* replace */
    {"${path/o/0}", "/usr/l0cal/bin/tool.tar.gz", NULL, true},
    {"${path//o/0}", "/usr/l0cal/bin/t00l.tar.gz", NULL, true},
    {"${name/#pod/cod}", "codinfo", NULL, true},
    {"${name/#info/x}", "podinfo", NULL, true},
    {"${name/%info/cast}", "podcast", NULL, true},
    {"${name/%pod/x}", "podinfo", NULL, true},
    {"${name//o}", "pdinf", NULL, true},
    {"${name/i/${other}}", "podxnfo", NULL, true},
    {"${path/\\/usr/\\/opt}", "/opt/local/bin/tool.tar.gz", NULL, true}, /* \/ is / */
    {"${name/o/$$}", "p$dinfo", NULL, true},
    {"${name/o/a\\\\b}", "pa\\bdinfo", NULL, true},
    /* strict mode */
    {"${missing}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"x ${name} ${unset_var} y", NULL, "variable not set (strict mode): \"unset_var\"", true},
    {"${#missing}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${missing^^}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${missing/a/b}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${missing:0:1}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${missing#a}", NULL, "variable not set (strict mode): \"missing\"", true},
    {"${missing:-${deeper}}", NULL, "variable not set (strict mode): \"deeper\"", true},
    {"${missing}-${#missing}-${missing/a/b}", "-0-", NULL, false}, /* not strict: empty */
    /* malformed */
    {"${name", NULL, "unterminated", true},
    {"${name!x}", NULL, "missing closing brace", true},
    {"${name^x}", NULL, "bad substitution", true},
};

static void test_envsubst_table(void **state)
{
    (void)state;
    ed_strmap *vars = test_vars();
    for (size_t i = 0; i < sizeof(subst_cases) / sizeof(subst_cases[0]); i++) {
        const struct subst_case *c = &subst_cases[i];
        ed_buf out = ED_BUF_INIT(1 << 16);
        ed_err err = ED_ERR_INIT;
        int rc = ed_ks_envsubst(c->in, strlen(c->in), vars, c->strict, &out, &err);
        if (c->want) {
            if (rc != 0 || strcmp(out.data ? out.data : "", c->want) != 0)
                fail_msg("case %zu '%s': got rc %d '%s' (%s), want '%s'", i, c->in, rc,
                         out.data ? out.data : "", err.msg, c->want);
        } else {
            if (rc != ED_EINVALID || !strstr(err.msg, c->err))
                fail_msg("case %zu '%s': got rc %d '%s', want an error with '%s'", i, c->in, rc,
                         err.msg, c->err);
        }
        ed_buf_free(&out);
    }
    ed_strmap_free(vars);
}

static void test_envsubst_nesting_bounded(void **state)
{
    (void)state;
    ed_strmap *vars = ed_strmap_new();
    ed_buf in = ED_BUF_INIT(1 << 16);
    for (int i = 0; i < 100; i++)
        ed_buf_append_str(&in, "${a:-");
    ed_buf_append_str(&in, "x");
    for (int i = 0; i < 100; i++)
        ed_buf_append_str(&in, "}");
    ed_buf out = ED_BUF_INIT(1 << 16);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_ks_envsubst(in.data, in.len, vars, true, &out, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "nested deeper"));
    ed_buf_free(&in);
    ed_buf_free(&out);
    ed_strmap_free(vars);
}

/* ---- golden substitution cases ---- */

#define GOLDEN "tests/golden/substitute"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    ed_buf b = ED_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ed_buf_append(&b, chunk, n);
    fclose(f);
    return b.data ? ed_buf_take(&b) : ed_xstrdup("");
}

/* vars: NAME=value lines; values are owned by the returned list (freed by the caller). */
static ed_strmap *read_vars(const char *path, char **text)
{
    ed_strmap *m = ed_strmap_new();
    *text = slurp(path);
    if (!*text)
        return m;
    for (char *line = *text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        ed_strmap_put(m, line, eq + 1);
    }
    return m;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Run one case; returns NULL when it passed, else a malloc'd reason. */
static char *run_golden(const char *dir)
{
    char *p_in = ed_xasprintf("%s/input.yaml", dir), *p_vars = ed_xasprintf("%s/vars", dir);
    char *p_strict = ed_xasprintf("%s/strict", dir),
         *p_want = ed_xasprintf("%s/expected.yaml", dir);
    char *p_err = ed_xasprintf("%s/expected-error", dir);
    char *input = slurp(p_in), *want = slurp(p_want), *want_err = slurp(p_err), *vtext = NULL;
    ed_strmap *vars = read_vars(p_vars, &vtext);
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    ed_buf out = ED_BUF_INIT(1 << 20);
    char *why = NULL;
    if (!input) {
        why = ed_xasprintf("no input.yaml");
        goto cleanup;
    }
    if (ed_doc_parse_yaml(input, strlen(input), "input.yaml", &docs, &n, &err)) {
        why = ed_xasprintf("input.yaml: %s", err.msg);
        goto cleanup;
    }
    int rc = ed_ks_flux_substitute(docs, n, vars, exists(p_strict), &err);
    if (want_err) {
        char *nl = strchr(want_err, '\n');
        if (nl)
            *nl = '\0';
        if (rc == 0 || !strstr(err.msg, want_err))
            why = ed_xasprintf("want an error with '%s', got rc %d '%s'", want_err, rc, err.msg);
        goto cleanup;
    }
    if (rc) {
        why = ed_xasprintf("substitution failed: %s", err.msg);
        goto cleanup;
    }
    ed_doc_list_to_yaml(docs, n, &out);
    if (!want || strcmp(want, out.data ? out.data : "") != 0)
        why = ed_xasprintf("output differs; got:\n%s", out.data ? out.data : "");

cleanup:
    ed_buf_free(&out);
    ed_doc_list_free(docs, n);
    ed_strmap_free(vars);
    free(vtext);
    free(input);
    free(want);
    free(want_err);
    free(p_in);
    free(p_vars);
    free(p_strict);
    free(p_want);
    free(p_err);
    return why;
}

static void test_golden_substitution(void **state)
{
    (void)state;
    DIR *d = opendir(GOLDEN);
    assert_non_null(d);
    int cases = 0, failed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *dir = ed_xasprintf("%s/%s", GOLDEN, e->d_name);
        char *why = run_golden(dir);
        cases++;
        if (why) {
            print_error("golden substitute/%s: %s\n", e->d_name, why);
            failed++;
        }
        free(why);
        free(dir);
    }
    closedir(d);
    assert_true(cases >= 5);
    assert_int_equal(failed, 0);
}

/* ---- the overlay and commonMetadata ---- */

static char tree[64];

static void put(const char *rel, const char *text)
{
    char *path = ed_xasprintf("%s/%s", tree, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void remove_tree(void)
{
    const char *files[] = {"kustomization.yaml", "app.yaml"};
    for (size_t i = 0; i < 2; i++) {
        char *p = ed_xasprintf("%s/%s", tree, files[i]);
        unlink(p);
        free(p);
    }
    rmdir(tree);
}

static ed_doc *parse_one(const char *yaml)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_yaml(yaml, strlen(yaml), "spec", &docs, &n, &err), 0);
    assert_int_equal(n, 1);
    ed_doc *d = docs[0];
    free(docs);
    return d;
}

static char *build_with(const char *spec_yaml, ed_err *err, int *rc)
{
    ed_doc *spec = parse_one(spec_yaml), *overlay = NULL;
    ed_buf out = ED_BUF_INIT(1 << 20);
    *rc = ed_ks_flux_overlay(ed_doc_root(spec), &overlay, err);
    if (*rc == 0) {
        ed_ks_options o = ED_KS_OPTIONS_INIT;
        o.overlay = ed_doc_root(overlay);
        *rc = ed_ks_build_yaml(tree, &o, &out, err);
    }
    ed_doc_free(overlay);
    ed_doc_free(spec);
    return out.data ? ed_buf_take(&out) : ed_xstrdup("");
}

static void test_overlay(void **state)
{
    (void)state;
    snprintf(tree, sizeof(tree), "/tmp/eddy-flux-XXXXXX");
    assert_non_null(mkdtemp(tree));
    put("kustomization.yaml", "resources: [app.yaml]\nnamePrefix: own-\nnamespace: own\n"
                              "images: [{name: nginx, newTag: '1.0'}]\n");
    put("app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                    "spec:\n  template:\n    spec:\n      containers:\n"
                    "      - {name: a, image: nginx}\n      - {name: b, image: redis:6}\n"
                    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n");
    ed_err err = ED_ERR_INIT;
    int rc;
    /* No Flux fields: the path's own kustomization as it is. */
    char *out = build_with("{}", &err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "name: own-web\n  namespace: own\n"));
    assert_non_null(strstr(out, "image: nginx:1.0"));
    free(out);
    /* Flux's fields replace the scalars and add to the images, as Flux's generator does. */
    out = build_with("{targetNamespace: apps, namePrefix: flux-, nameSuffix: -v2, images: "
                     "[{name: redis, newName: valkey, newTag: '8'}, {name: nginx, digest: "
                     "'sha256:abc'}]}",
                     &err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "name: flux-web-v2\n  namespace: apps\n"));
    /* kustomize renames a Namespace object to the target namespace */
    assert_non_null(strstr(out, "kind: Namespace\nmetadata:\n  name: apps\n---"));
    assert_null(strstr(out, "own-"));
    assert_non_null(strstr(out, "image: valkey:8"));
    assert_non_null(strstr(out, "image: nginx@sha256:abc")); /* the digest replaces 1.0 */
    free(out);
    /* A spec image of a name the path lists is merged into that entry field by field (Flux
     * 2.9): a newName alone keeps the path's tag, where two entries would leave the image
     * renamed by the first out of the second's reach. */
    put("kustomization.yaml", "resources: [app.yaml]\n"
                              "images: [{name: nginx, newName: old/nginx, newTag: '1.0'},"
                              " {name: redis, newTag: '6.2', digest: 'sha256:def'}]\n");
    out = build_with("{images: [{name: nginx, newName: new/nginx}, {name: redis, newTag: '7'}]}",
                     &err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "image: new/nginx:1.0"));
    assert_non_null(strstr(out, "image: redis:7\n")); /* the tag and digest as one unit */
    free(out);
    /* two spec entries of one name: the second merges into the first, as Flux's loop does
     * (one after the other, the rename would leave the image out of the second's reach) */
    put("kustomization.yaml", "resources: [app.yaml]\n");
    out = build_with("{images: [{name: nginx, newName: new/nginx}, {name: nginx, newTag: '2'}]}",
                     &err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "image: new/nginx:2\n"));
    free(out);
    /* a path's kustomization without resources gets buildMetadata [originAnnotations] from
     * Flux's generator, in place of its own */
    put("kustomization.yaml", "configMapGenerator: [{name: g, literals: [a=b]}]\n"
                              "buildMetadata: [transformerAnnotations]\n");
    out = build_with("{}", &err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "config.kubernetes.io/origin: |\n      configuredIn: "
                                "kustomization.yaml\n"));
    free(out);
    /* spec.buildMetadata replaces the path's own list, as Flux's generator sets the field */
    put("kustomization.yaml", "resources: [app.yaml]\nbuildMetadata: [originAnnotations]\n");
    out = build_with("{namePrefix: t-, buildMetadata: [transformerAnnotations]}", &err, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "config.kubernetes.io/origin"));
    assert_non_null(strstr(out, "alpha.config.kubernetes.io/transformations"));
    free(out);
    /* Fields the engine does not implement yet are refused, naming the spec field. */
    if (!ed_ks_supports_field("patches")) {
        out = build_with("{patches: [{patch: 'x'}]}", &err, &rc);
        assert_int_equal(rc, ED_EINVALID);
        assert_string_equal(err.msg,
                            "spec.patches: kustomize patches are not supported by eddy yet");
        free(out);
    }
    if (!ed_ks_supports_field("components")) {
        out = build_with("{components: [../c]}", &err, &rc);
        assert_int_equal(rc, ED_EINVALID);
        assert_non_null(strstr(err.msg, "spec.components"));
        free(out);
    }
    if (!ed_ks_supports_field("buildMetadata")) {
        out = build_with("{buildMetadata: [originAnnotations]}", &err, &rc);
        assert_int_equal(rc, ED_EINVALID);
        assert_non_null(strstr(err.msg, "spec.buildMetadata"));
        free(out);
    }
    /* a spec component is local and relative, as Flux's generator checks it */
    assert_true(ed_ks_flux_local_path("../components/x"));
    assert_true(ed_ks_flux_local_path("github.com")); /* a prefix must leave something */
    assert_true(ed_ks_flux_local_path("file://rel/x"));
    assert_false(ed_ks_flux_local_path("HTTPS://github.com/org/repo//c"));
    assert_false(ed_ks_flux_local_path("github.com/org/repo/c"));
    assert_false(ed_ks_flux_local_path("git@host:org/repo.git/c"));
    assert_false(ed_ks_flux_local_path("/abs/c"));
    assert_false(ed_ks_flux_local_path("file:///abs/c"));
    out = build_with("{components: ['https://example.com/org/repo//c']}", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_string_equal(
        err.msg, "component path 'https://example.com/org/repo//c' must be local and relative");
    free(out);
    out = build_with("{images: [{newTag: x}]}", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_string_equal(err.msg, "spec.images[0]: name is required");
    free(out);
    remove_tree();
}

static void test_common_metadata(void **state)
{
    (void)state;
    const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {app: "
                       "x, team: old}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n";
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_yaml(yaml, strlen(yaml), "t", &docs, &n, &err), 0);
    ed_doc *meta = parse_one("{labels: {team: new, env: prod}, annotations: {owner: me}}");
    assert_int_equal(ed_ks_flux_common_metadata(docs, n, ed_doc_root(meta), &err), 0);
    ed_node *a = ed_doc_root(docs[0]), *b = ed_doc_root(docs[1]);
    assert_string_equal(ed_node_path_str(a, "/metadata/labels/team"), "new");
    assert_string_equal(ed_node_path_str(a, "/metadata/labels/app"), "x");
    assert_string_equal(ed_node_path_str(a, "/metadata/labels/env"), "prod");
    assert_string_equal(ed_node_path_str(b, "/metadata/labels/env"), "prod");
    assert_string_equal(ed_node_path_str(b, "/metadata/annotations/owner"), "me");
    ed_doc_free(meta);
    meta = parse_one("{labels: {n: 1}}");
    assert_int_equal(ed_ks_flux_common_metadata(docs, n, ed_doc_root(meta), &err), ED_EINVALID);
    assert_string_equal(err.msg, "spec.commonMetadata.labels.n: must be a string");
    ed_doc_free(meta);
    ed_doc_list_free(docs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envsubst_table),
        cmocka_unit_test(test_envsubst_nesting_bounded),
        cmocka_unit_test(test_golden_substitution),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_common_metadata),
        cmocka_unit_test(test_dependency_rule),
        cmocka_unit_test(test_dependency_ready_expr),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_history_origin_revision),
    };
    return cmocka_run_group_tests_name("flux", tests, NULL, NULL);
}
