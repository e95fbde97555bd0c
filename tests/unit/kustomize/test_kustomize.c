/*
 * Unit tests of the kustomize engine: builds of small trees written to a temporary directory,
 * checking the objects, the order and the errors (missing file, bad YAML with its line, a path
 * or symlink leading outside the root, unknown and unsupported fields, cycles, duplicate ids).
 * The golden cases in tests/golden/kustomize compare whole outputs with kubectl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kustomize/kustomize.h"
#include "patch_tests.h"
#include "kustomize_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* A temporary tree, removed by the test's teardown. */
static char tree[64];

static int make_tree(void **state)
{
    (void)state;
    snprintf(tree, sizeof(tree), "/tmp/eddy-ks-XXXXXX");
    return mkdtemp(tree) ? 0 : -1;
}

/* Remove a tree (recursion depth is the tree's, a few levels). */
static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *sub = ed_xasprintf("%s/%s", path, e->d_name);
            rm_rf(sub);
            free(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int remove_tree(void **state)
{
    (void)state;
    rm_rf(tree);
    return 0;
}

void put_file(const char *base, const char *rel, const char *text)
{
    char *path = ed_xasprintf("%s/%s", base, rel);
    for (char *p = path + strlen(base) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

/* Write text to tree/rel, creating directories. */
static void put(const char *rel, const char *text)
{
    put_file(tree, rel, text);
}

/* Build tree/rel (root: the tree) as YAML; returns the code, output in *yaml. */
static int build(const char *rel, char **yaml, ed_err *err)
{
    char *dir = ed_xasprintf("%s/%s", tree, rel);
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.root = tree;
    ed_buf out = ED_BUF_INIT(1 << 20);
    int rc = ed_ks_build_yaml(dir, &opts, &out, err);
    *yaml = ed_buf_take(&out);
    ed_buf_free(&out);
    free(dir);
    return rc;
}

static void assert_build(const char *rel, const char *want)
{
    char *yaml;
    ed_err err = ED_ERR_INIT;
    int rc = build(rel, &yaml, &err);
    if (rc)
        fail_msg("build failed: %s", err.msg);
    if (strcmp(yaml, want) != 0)
        fail_msg("--- got\n%s--- want\n%s", yaml, want);
    free(yaml);
}

static void assert_build_fails(const char *rel, int code, const char *needle)
{
    char *yaml;
    ed_err err = ED_ERR_INIT;
    int rc = build(rel, &yaml, &err);
    free(yaml);
    if (rc != code || !strstr(err.msg, needle))
        fail_msg("rc %d (want %d), message: %s (want it to contain: %s)", rc, code, err.msg,
                 needle);
}

static const char cm[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";

/* buildMetadata's origin of a file outside the top kustomization's directory (an overlay's
 * ../base, the build root above both, as Flux builds a path of the repository) is relative to
 * the top directory, as kustomize writes it. */
static void test_origin_outside_top(void **state)
{
    (void)state;
    put("apps/base/kustomization.yaml", "resources:\n- cm.yaml\nconfigMapGenerator:\n"
                                        "- name: g\n  literals: [a=b]\n");
    put("apps/base/cm.yaml", cm);
    put("apps/envs/prod/kustomization.yaml",
        "resources:\n- ../../base\nbuildMetadata: [originAnnotations]\n");
    assert_build("apps/envs/prod", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n"
                                   "    config.kubernetes.io/origin: |\n"
                                   "      path: ../../base/cm.yaml\n  name: cm\n---\n"
                                   "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n"
                                   "  annotations:\n    config.kubernetes.io/origin: |\n"
                                   "      configuredIn: ../../base/kustomization.yaml\n"
                                   "      configuredBy:\n        apiVersion: builtin\n"
                                   "        kind: ConfigMapGenerator\n  name: g-4h2mbtbbt6\n");
}

static void test_resources_and_order(void **state)
{
    (void)state;
    put("kustomization.yaml", "resources:\n- base\n- ns.yaml\n");
    put("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n");
    put("base/kustomization.yml", "resources:\n- cm.yaml\n");
    put("base/cm.yaml", cm);
    assert_build(".", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"n\"\n---\n"
                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");

    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    assert_int_equal(ed_ks_build(tree, &opts, &docs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[1]), "/metadata/name"), "cm");
    ed_doc_list_free(docs, n);

    /* keep_order (Flux's builds): the order of accumulation, base's ConfigMap first */
    opts.keep_order = true;
    assert_int_equal(ed_ks_build(tree, &opts, &docs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[0]), "/metadata/name"), "cm");
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[1]), "/kind"), "Namespace");
    ed_doc_list_free(docs, n);

    /* ... unless the top kustomization has sortOptions, which decide either way */
    put("kustomization.yaml", "resources:\n- base\n- ns.yaml\nsortOptions: {order: legacy}\n");
    assert_int_equal(ed_ks_build(tree, &opts, &docs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[0]), "/kind"), "Namespace");
    ed_doc_list_free(docs, n);
    put("kustomization.yaml", "resources:\n- base\n- ns.yaml\nsortOptions: {order: bad}\n");
    assert_int_equal(ed_ks_build(tree, &opts, &docs, &n, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "sortOptions.order"));

    /* a file past max_file_bytes is refused, named relative to the root */
    opts.max_file_bytes = 20;
    assert_int_equal(ed_ks_build(tree, &opts, &docs, &n, &err), ED_ETOOBIG);
    assert_non_null(strstr(err.msg, "'kustomization.yaml' is larger than 20 bytes"));
}

/* The secret_source hook (SOPS decryption in the agent) sees `patches[].path` files, as
 * kustomize-controller decrypts them, and not the legacy patchesStrategicMerge ones. */
static int rewrite_source(void *user, const char *entry, bool env, char **data, size_t *len,
                          ed_err *err)
{
    (void)err;
    char *seen = user;
    size_t n = strlen(seen);
    snprintf(seen + n, 256 - n, "%s%s,", entry, env ? "(env)" : "");
    if (strcmp(entry, "sealed.yaml") == 0) {
        free(*data);
        *data = ed_xstrdup("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
                           "data:\n  k: opened\n");
        *len = strlen(*data);
    }
    return 0;
}

static void test_source_hook_patches(void **state)
{
    (void)state;
    put("kustomization.yaml", "resources: [cm.yaml]\npatches:\n- path: sealed.yaml\n"
                              "patchesStrategicMerge: [legacy.yaml]\n");
    put("cm.yaml", cm);
    put("sealed.yaml", "not: [yaml\n"); /* only the hook's text parses */
    put("legacy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
                       "data:\n  l: legacy\n");
    char seen[256] = "";
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.secret_source = rewrite_source;
    opts.secret_source_user = seen;
    if (ed_ks_build(tree, &opts, &docs, &n, &err) != 0)
        fail_msg("build: %s", err.msg);
    assert_string_equal(seen, "sealed.yaml,");
    assert_int_equal(n, 1);
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[0]), "/data/k"), "opened");
    assert_string_equal(ed_node_path_str(ed_doc_root(docs[0]), "/data/l"), "legacy");
    ed_doc_list_free(docs, n);
}

static void test_transformers(void **state)
{
    (void)state;
    put("kustomization.yaml", "namespace: prod\nnamePrefix: a-\nnameSuffix: -z\n"
                              "commonLabels:\n  team: x\ncommonAnnotations:\n  note: \"1\"\n"
                              "images:\n- name: nginx\n  newTag: \"2\"\n"
                              "replicas:\n- name: web\n  count: 4\nresources:\n- d.yaml\n");
    put("d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  template:\n    spec:\n      containers:\n      - name: w\n        image: nginx\n");
    assert_build(".",
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n"
                 "    note: \"1\"\n  labels:\n    team: x\n  name: a-web-z\n  namespace: prod\n"
                 "spec:\n  replicas: 4\n  selector:\n    matchLabels:\n      team: x\n"
                 "  template:\n    metadata:\n      annotations:\n        note: \"1\"\n"
                 "      labels:\n        team: x\n    spec:\n      containers:\n"
                 "      - image: nginx:2\n        name: w\n");
}

static void test_errors(void **state)
{
    (void)state;
    put("missing/kustomization.yaml", "resources:\n- nope.yaml\n");
    assert_build_fails("missing", ED_ENOTFOUND, "missing 'nope.yaml'");

    put("bad/kustomization.yaml", "resources:\n- x.yaml\n");
    put("bad/x.yaml", "a: b\n c: [\n");
    assert_build_fails("bad", ED_EINVALID, "bad/x.yaml: line 2");

    put("unknown/kustomization.yaml", "resourcez: []\n");
    assert_build_fails("unknown", ED_EINVALID,
                       "invalid Kustomization: json: unknown field \"resourcez\"");
    /* only builtin plugins run, as in Flux */
    put("external/kustomization.yaml", "generators: [g.yaml]\n");
    put("external/g.yaml", "apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: g\n");
    assert_build_fails("external", ED_EINVALID,
                       "external/kustomization.yaml: generators: g.yaml: external "
                       "plugins disabled; unable to load external plugin 'Foo'");
    put("badtype/kustomization.yaml", "commonLabels:\n  n: 1\n");
    assert_build_fails("badtype", ED_EINVALID, "cannot unmarshal number");

    put("escape/kustomization.yaml", "resources:\n- ../../etc/passwd\n");
    assert_build_fails("escape", ED_EINVALID, "outside the build root");
    put("abs/kustomization.yaml", "resources:\n- /etc/passwd\n");
    assert_build_fails("abs", ED_EINVALID, "outside the build root");
    put("link/kustomization.yaml", "resources:\n- l.yaml\n");
    char *link = ed_xasprintf("%s/link/l.yaml", tree);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    free(link);
    assert_build_fails("link", ED_EINVALID, "symlink leading outside the build root");

    put("cyc/a/kustomization.yaml", "resources:\n- ../b\n");
    put("cyc/b/kustomization.yaml", "resources:\n- ../a\n");
    assert_build_fails("cyc/a", ED_EINVALID, "cycle detected");

    put("dup/kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n");
    put("dup/a.yaml", cm);
    put("dup/b.yaml", cm);
    assert_build_fails("dup", ED_EINVALID, "already registered id: ConfigMap.v1.[noGrp]/cm.[noNs]");

    /* Several ids already registered: the first of the added file is named, as kustomize does. */
    put("dup2/kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n");
    put("dup2/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n"
                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n");
    put("dup2/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n---\n"
                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n---\n"
                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
    assert_build_fails("dup2", ED_EINVALID, "already registered id: ConfigMap.v1.[noGrp]/y.[noNs]");

    put("none/x.yaml", cm);
    assert_build_fails("none", ED_ENOTFOUND, "unable to find one of 'kustomization.yaml'");
    put("remote/kustomization.yaml", "resources:\n- https://github.com/x/y\n");
    assert_build_fails("remote", ED_EINVALID, "is not allowed (remote bases are disabled)");
    put("noname/kustomization.yaml", "resources:\n- a.yaml\n");
    put("noname/a.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    assert_build_fails("noname", ED_EINVALID, "noname/a.yaml: line 1: missing metadata.name");
}

/* Generator files follow the rule of resources: anywhere below the build root (Flux's
 * LoadRestrictionsNone), never outside it, not even through a symlink. */
static void test_generator_files(void **state)
{
    (void)state;
    put("shared/app.env", "MODE=prod\n");
    put("gen/kustomization.yaml",
        "configMapGenerator:\n- name: cfg\n  envs:\n  - ../shared/app.env\n"
        "  options:\n    disableNameSuffixHash: true\n");
    assert_build("gen", "apiVersion: v1\ndata:\n  MODE: prod\nkind: ConfigMap\nmetadata:\n"
                        "  name: cfg\n");
    put("genout/kustomization.yaml", "configMapGenerator:\n- name: cfg\n  files:\n"
                                     "  - ../../etc/hostname\n");
    assert_build_fails("genout", ED_EINVALID, "outside the build root");
    put("genlink/kustomization.yaml", "secretGenerator:\n- name: s\n  files:\n  - key\n");
    char *link = ed_xasprintf("%s/genlink/key", tree);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    free(link);
    assert_build_fails("genlink", ED_EINVALID, "symlink leading outside the build root");
    put("genmissing/kustomization.yaml", "configMapGenerator:\n- name: cfg\n  envs:\n  - no.env\n");
    assert_build_fails("genmissing", ED_ENOTFOUND, "missing 'no.env'");

    /* a secret never shows in a message */
    put("leak/kustomization.yaml", "secretGenerator:\n- name: s\n  literals:\n  - =hunter2\n");
    char *yaml;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(build("leak", &yaml, &err), ED_EINVALID);
    free(yaml);
    assert_non_null(strstr(err.msg, "invalid literal source (not shown)"));
    assert_null(strstr(err.msg, "hunter2"));
    put("leak2/kustomization.yaml",
        "resources:\n- s.yaml\nreplacements:\n- source:\n    kind: Secret\n    fieldPath: data.k\n"
        "    options:\n      delimiter: '-'\n      index: 3\n  targets: []\n");
    put("leak2/s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: aHVudGVyMg==\n");
    ed_err_clear(&err);
    assert_int_equal(build("leak2", &yaml, &err), ED_EINVALID);
    free(yaml);
    assert_non_null(strstr(err.msg, "out of bounds"));
    assert_null(strstr(err.msg, "aHVudGVyMg=="));
}

/* count of needle in hay */
static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Two overlays (prefixes a- and b-) of a base of many ConfigMaps and Deployments, each overlay
 * with a generated ConfigMap: every reference follows its own overlay's rename, among many
 * candidates of the same old name. */
static void test_many_name_references(void **state)
{
    (void)state;
    enum {
        APPS = 60
    };
    ed_buf res = ED_BUF_INIT(1 << 20);
    ed_buf_append_str(&res, "resources:\n");
    for (int i = 0; i < APPS; i++) {
        char *rel = ed_xasprintf("many/base/app%02d.yaml", i);
        char *text = ed_xasprintf(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%02d\n---\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%02d\nspec:\n"
            "  template:\n    spec:\n      containers:\n      - name: c\n        envFrom:\n"
            "        - configMapRef:\n            name: cm%02d\n        - configMapRef:\n"
            "            name: env\n",
            i, i, i);
        put(rel, text);
        free(rel);
        free(text);
        char *line = ed_xasprintf("- app%02d.yaml\n", i);
        ed_buf_append_str(&res, line);
        free(line);
    }
    char *k = ed_buf_take(&res);
    ed_buf_free(&res);
    put("many/base/kustomization.yaml", k);
    free(k);
    put("many/a/kustomization.yaml", "namePrefix: a-\nresources:\n- ../base\n"
                                     "configMapGenerator:\n- name: env\n  literals:\n  - E=a\n");
    put("many/b/kustomization.yaml", "namePrefix: b-\nresources:\n- ../base\n"
                                     "configMapGenerator:\n- name: env\n  literals:\n  - E=b\n");
    put("many/kustomization.yaml", "resources:\n- a\n- b\n");
    char *yaml;
    ed_err err = ED_ERR_INIT;
    if (build("many", &yaml, &err))
        fail_msg("build failed: %s", err.msg);
    for (int i = 0; i < APPS; i++) {
        char want[64];
        /* the ConfigMap's own name and the Deployment's reference */
        snprintf(want, sizeof(want), "name: a-cm%02d\n", i);
        assert_int_equal(occurrences(yaml, want), 2);
        snprintf(want, sizeof(want), "name: b-cm%02d\n", i);
        assert_int_equal(occurrences(yaml, want), 2);
    }
    /* each generated ConfigMap (name + hash) once as an object, then from its overlay's apps */
    const char *a_env = strstr(yaml, "name: a-env-");
    const char *b_env = strstr(yaml, "name: b-env-");
    assert_non_null(a_env);
    assert_non_null(b_env);
    char a_name[64], b_name[64];
    assert_int_equal(sscanf(a_env, "name: %63s", a_name), 1);
    assert_int_equal(sscanf(b_env, "name: %63s", b_name), 1);
    char want[80];
    snprintf(want, sizeof(want), "name: %s\n", a_name);
    assert_int_equal(occurrences(yaml, want), APPS + 1);
    snprintf(want, sizeof(want), "name: %s\n", b_name);
    assert_int_equal(occurrences(yaml, want), APPS + 1);
    assert_int_equal(occurrences(yaml, "name: env\n"), 0);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resources_and_order, make_tree, remove_tree),
        cmocka_unit_test_setup_teardown(test_origin_outside_top, make_tree, remove_tree),
        cmocka_unit_test_setup_teardown(test_source_hook_patches, make_tree, remove_tree),
        cmocka_unit_test_setup_teardown(test_transformers, make_tree, remove_tree),
        cmocka_unit_test_setup_teardown(test_errors, make_tree, remove_tree),
        cmocka_unit_test_setup_teardown(test_many_name_references, make_tree, remove_tree),
        cmocka_unit_test(test_smp_maps),
        cmocka_unit_test(test_smp_keyed_lists),
        cmocka_unit_test(test_smp_list_map_keys),
        cmocka_unit_test(test_smp_directives),
        cmocka_unit_test(test_smp_custom_resources),
        cmocka_unit_test(test_smp_custom_schema),
        cmocka_unit_test(test_smp_errors),
        cmocka_unit_test(test_json_operations),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_label_selectors),
        cmocka_unit_test_setup_teardown(test_generator_files, make_tree, remove_tree),
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_hash_encoding),
        cmocka_unit_test(test_utf8_validity),
        cmocka_unit_test(test_nameref_table),
        cmocka_unit_test(test_nameref_fix),
        cmocka_unit_test(test_inputs_kustomization),
        cmocka_unit_test(test_inputs_generated),
        cmocka_unit_test(test_inputs_symlinks_and_limits),
        cmocka_unit_test(test_inputs_other_tree),
        cmocka_unit_test(test_inputs_plugin_configs),
        cmocka_unit_test(test_remote_parse),
        cmocka_unit_test(test_remote_build),
        cmocka_unit_test(test_sops_decrypt),
        cmocka_unit_test(test_sops_refusals),
        cmocka_unit_test(test_sops_files),
        cmocka_unit_test(test_sops_pgp),
        cmocka_unit_test(test_sops_comments),
        cmocka_unit_test(test_sops_comments_documents),
        cmocka_unit_test(test_sops_ini_unicode_space),
        cmocka_unit_test(test_sops_key_groups),
    };
    return cmocka_run_group_tests_name("kustomize", tests, NULL, NULL);
}
