/*
 * Unit tests of the inputs a build records (inputs.c): which files, listings and probes a
 * build of a kustomization and of a plain directory (Flux's generated kustomization) records,
 * and that their fingerprint changes exactly when one of them does: an edit to a file read, a
 * kustomization file appearing where one was probed, a new manifest in a listed directory, a
 * symlink pointing elsewhere; not for a file the build never looked at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kustomize/kustomize.h"
#include "kustomize_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void make_root(void)
{
    snprintf(root, sizeof(root), "/tmp/eddy-inputs-XXXXXX");
    assert_non_null(mkdtemp(root));
}

/* Write text to root/rel, creating directories. */
static void put(const char *rel, const char *text)
{
    put_file(root, rel, text);
}

static void rm(const char *rel)
{
    char *path = ed_xasprintf("%s/%s", root, rel);
    assert_int_equal(unlink(path), 0);
    free(path);
}

/* Build root/rel as the controller does (Flux's generated kustomization when it has none),
 * recording into a new recorder returned. */
static ed_ks_inputs *record_build(const char *rel)
{
    ed_ks_inputs *rec = ed_ks_inputs_new(root);
    char *dir = ed_xasprintf("%s/%s", root, rel);
    ed_buf generated = ED_BUF_INIT(1 << 20);
    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.root = root;
    opts.inputs = rec;
    if (ed_ks_flux_generate(dir, &generated, rec))
        opts.generated = generated.data;
    ed_buf out = ED_BUF_INIT(1 << 20);
    ed_err err = ED_ERR_INIT;
    int rc = ed_ks_build_yaml(dir, &opts, &out, &err);
    if (rc)
        fail_msg("build of %s failed: %s", rel, err.msg);
    ed_buf_free(&out);
    ed_buf_free(&generated);
    free(dir);
    return rec;
}

static void fingerprint(const ed_ks_inputs *rec, char out[65])
{
    ed_err err = ED_ERR_INIT;
    if (ed_ks_inputs_fingerprint(rec, root, 0, out, &err) != 0)
        fail_msg("fingerprint failed: %s", err.msg);
    assert_int_equal(strlen(out), 64);
}

#define CM(name) "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " name "\n"

void test_inputs_kustomization(void **state)
{
    (void)state;
    make_root();
    put("apps/a/kustomization.yaml", "resources:\n- cm.yaml\n- ../../base\n");
    put("apps/a/cm.yaml", CM("a"));
    put("apps/a/README.md", "not read\n");
    put("base/kustomization.yaml", "resources:\n- shared.yaml\n");
    put("base/shared.yaml", CM("shared"));
    put("apps/b/kustomization.yaml", "resources:\n- cm.yaml\n");
    put("apps/b/cm.yaml", CM("b"));

    ed_ks_inputs *rec = record_build("apps/a");
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "apps/a/kustomization.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "apps/a/cm.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "base/kustomization.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "base/shared.yaml"));
    /* probed and missing: a kustomization.yml appearing would make the build fail */
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "apps/a/kustomization.yml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "apps/a/Kustomization"));
    /* the entry as written, which says where it resolves to */
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "apps/a/../../base"));
    assert_false(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "apps/a/README.md"));
    assert_false(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "apps/b/cm.yaml"));
    /* a kustomization file was found: no generated one, no listing */
    assert_false(ed_ks_inputs_has(rec, ED_KS_INPUT_DIR, "apps/a"));
    assert_false(ed_ks_inputs_incomplete(rec));

    char first[65], now[65];
    fingerprint(rec, first);
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* what the build never read changes nothing */
    put("apps/a/README.md", "edited\n");
    put("apps/b/cm.yaml", CM("b2"));
    put("apps/c/cm.yaml", CM("c"));
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* a file read, through the shared base */
    put("base/shared.yaml", CM("shared2"));
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    put("base/shared.yaml", CM("shared"));
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* a kustomization file where one was probed and missing */
    put("apps/a/kustomization.yml", "resources: []\n");
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    rm("apps/a/kustomization.yml");

    /* a file read, gone */
    rm("apps/a/cm.yaml");
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    put("apps/a/cm.yaml", CM("a"));
    fingerprint(rec, now);
    assert_string_equal(first, now);

    ed_ks_inputs_free(rec);
    ed_path_remove_tree(root);
}

void test_inputs_generated(void **state)
{
    (void)state;
    make_root();
    put("plain/one.yaml", CM("one"));
    put("plain/sub/two.yml", CM("two"));
    put("plain/notes.txt", "not a manifest\n");
    put("plain/nested/kustomization.yaml", "resources:\n- three.yaml\n");
    put("plain/nested/three.yaml", CM("three"));

    ed_ks_inputs *rec = record_build("plain");
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_DIR, "plain"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_DIR, "plain/sub"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "plain/kustomization.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "plain/sub/Kustomization"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "plain/one.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "plain/sub/two.yml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "plain/nested/three.yaml"));
    assert_false(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "plain/notes.txt"));
    /* a directory with its own kustomization is one entry: it is built, not listed */
    assert_false(ed_ks_inputs_has(rec, ED_KS_INPUT_DIR, "plain/nested"));

    char first[65], now[65];
    fingerprint(rec, first);

    /* Flux's generator walks dot names too: a new dot file is a new manifest */
    put("plain/sub/.hidden.yaml", CM("hidden"));
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    ed_buf gen = ED_BUF_INIT(1 << 16);
    char *dir = ed_xasprintf("%s/plain", root);
    assert_true(ed_ks_flux_generate(dir, &gen, NULL));
    assert_non_null(strstr(gen.data, "- sub/.hidden.yaml\n- sub/two.yml\n"));
    free(dir);
    ed_buf_free(&gen);
    rm("plain/sub/.hidden.yaml");
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* a new manifest in a listed directory, even one below it */
    put("plain/sub/four.yaml", CM("four"));
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    rm("plain/sub/four.yaml");
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* a kustomization.yaml appearing at the top replaces the generated one */
    put("plain/kustomization.yaml", "resources:\n- one.yaml\n");
    fingerprint(rec, now);
    assert_string_not_equal(first, now);

    ed_ks_inputs_free(rec);
    ed_path_remove_tree(root);
}

void test_inputs_symlinks_and_limits(void **state)
{
    (void)state;
    make_root();
    put("app/kustomization.yaml", "resources:\n- current.yaml\n");
    put("app/v1.yaml", CM("v1"));
    put("app/v2.yaml", CM("v1")); /* the same content under another name */
    char *link = ed_xasprintf("%s/app/current.yaml", root);
    assert_int_equal(symlink("v1.yaml", link), 0);

    ed_ks_inputs *rec = record_build("app");
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_PROBE, "app/current.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "app/v1.yaml"));
    char first[65], now[65];
    fingerprint(rec, first);

    /* the link now leads to another file: where it resolves to is part of the state (the
     * origin annotations name the file), whatever the content */
    unlink(link);
    assert_int_equal(symlink("v2.yaml", link), 0);
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    unlink(link);
    assert_int_equal(symlink("v1.yaml", link), 0);
    fingerprint(rec, now);
    assert_string_equal(first, now);

    /* a link leading out of the root: its state is "outside", never read */
    unlink(link);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    fingerprint(rec, now);
    assert_string_not_equal(first, now);

    /* a path outside the root cannot be recorded: the record is incomplete, never
     * fingerprinted */
    ed_ks_inputs_add(rec, ED_KS_INPUT_FILE, "/etc/hostname");
    assert_true(ed_ks_inputs_incomplete(rec));
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_ks_inputs_fingerprint(rec, root, 0, now, &err), ED_EINVALID);

    /* a NULL recorder records nothing (the CLI's builds) */
    ed_ks_inputs_add(NULL, ED_KS_INPUT_FILE, link);
    assert_int_equal(ed_ks_inputs_count(NULL), 0);

    /* a file larger than the limit cannot be fingerprinted */
    ed_ks_inputs *small = ed_ks_inputs_new(root);
    char *v1 = ed_xasprintf("%s/app/v1.yaml", root);
    ed_ks_inputs_add(small, ED_KS_INPUT_FILE, v1);
    ed_ks_inputs_add(small, ED_KS_INPUT_FILE, v1);
    assert_int_equal(ed_ks_inputs_count(small), 1);
    assert_int_equal(ed_ks_inputs_fingerprint(small, root, 8, now, &err), ED_ETOOBIG);
    assert_non_null(strstr(err.msg, "'app/v1.yaml' is larger than 8 bytes"));
    free(v1);
    ed_ks_inputs_free(small);

    free(link);
    ed_ks_inputs_free(rec);
    ed_path_remove_tree(root);
}

void test_inputs_other_tree(void **state)
{
    (void)state;
    /* Two trees (two revisions) with the same files: the record of one fingerprints the same
     * in the other; a change in the other's copy of a file read shows. */
    make_root();
    char first_root[64];
    snprintf(first_root, sizeof(first_root), "%s", root);
    put("apps/a/kustomization.yaml", "resources:\n- cm.yaml\n");
    put("apps/a/cm.yaml", CM("a"));
    ed_ks_inputs *rec = record_build("apps/a");
    char first[65], second[65];
    fingerprint(rec, first);

    make_root();
    put("apps/a/kustomization.yaml", "resources:\n- cm.yaml\n");
    put("apps/a/cm.yaml", CM("a"));
    put("apps/b/cm.yaml", CM("b"));
    fingerprint(rec, second);
    assert_string_equal(first, second);
    put("apps/a/cm.yaml", CM("a2"));
    fingerprint(rec, second);
    assert_string_not_equal(first, second);

    ed_ks_inputs_free(rec);
    ed_path_remove_tree(root);
    ed_path_remove_tree(first_root);
}

void test_inputs_plugin_configs(void **state)
{
    (void)state;
    /* the files of plugin configs (a file, a directory's) and the patch file a config names are
     * inputs of the build: a change to any of them rebuilds */
    make_root();
    put("app/kustomization.yaml", "resources:\n- cm.yaml\ntransformers:\n- patch.yaml\n- dir\n");
    put("app/cm.yaml", CM("a"));
    put("app/patch.yaml", "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\n"
                          "path: p.json\ntarget:\n  kind: ConfigMap\n");
    put("app/p.json", "[{\"op\": \"add\", \"path\": \"/data\", \"value\": {\"k\": \"v\"}}]\n");
    put("app/dir/kustomization.yaml", "resources:\n- labels.yaml\n");
    put("app/dir/labels.yaml", "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n"
                               "  name: l\nlabels:\n  a: b\nfieldSpecs:\n- path: metadata/labels\n"
                               "  create: true\n");
    ed_ks_inputs *rec = record_build("app");
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "app/patch.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "app/p.json"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "app/dir/kustomization.yaml"));
    assert_true(ed_ks_inputs_has(rec, ED_KS_INPUT_FILE, "app/dir/labels.yaml"));
    char first[65], now[65];
    fingerprint(rec, first);
    put("app/p.json", "[{\"op\": \"add\", \"path\": \"/data\", \"value\": {\"k\": \"w\"}}]\n");
    fingerprint(rec, now);
    assert_string_not_equal(first, now);
    ed_ks_inputs_free(rec);
    ed_path_remove_tree(root);
}
