/*
 * Unit tests of kustomize's remote targets (remote.c, build.c): how an entry is split into the
 * repository to clone, the directory to build and the query's options, by kustomize's rules;
 * and how a build uses the caller's fetchers (stand-ins here that write a tree or return a
 * file; the real ones are tested against a Git server in the e2e tests): the fetched tree
 * built with the kustomization's transformers, its own boundary, cycles, a file URL tried
 * before a repository, refusals without fetchers, and the record made incomplete.
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

void test_remote_parse(void **state)
{
    (void)state;
    static const struct {
        const char *entry, *repo, *path, *ref;
        int64_t timeout_ms;
        bool submodules;
    } ok[] = {
        {"https://github.com/org/repo//deploy/x?ref=v1.2.0", "https://github.com/org/repo.git",
         "deploy/x", "v1.2.0", 27000, true},
        {"github.com/org/repo/deploy", "https://github.com/org/repo.git", "deploy", "", 27000,
         true},
        {"git@github.com:org/repo.git/deploy?version=v2", "git@github.com:org/repo.git", "deploy",
         "v2", 27000, true},
        {"git@host.example:org/repo.git/deploy", "git@host.example:org/repo.git", "deploy", "",
         27000, true},
        {"ssh://git@host.example/org/repo.git", "ssh://git@host.example/org/repo.git", "", "",
         27000, true},
        {"https://dev.azure.com/org/proj/_git/repo/deploy?ref=main",
         "https://dev.azure.com/org/proj/_git/repo", "deploy", "main", 27000, true},
        {"http://127.0.0.1:8080/public/base.git//app/./b/../c?ref=main&ref=other&timeout=2m",
         "http://127.0.0.1:8080/public/base.git", "app/c", "main", 120000, true},
        {"https://host.example/org/repo.git//app?timeout=90&submodules=false&version=v1&ref=",
         "https://host.example/org/repo.git", "app", "v1", 90000, false},
        {"file:///srv/repo//app?ref=v1", "file:///srv/repo", "app", "v1", 27000, true},
        {"file:///srv/base.git//app", "file:///srv/base.git", "app", "", 27000, true},
        /* bad options fall back to the defaults, as kustomize's do */
        {"https://host.example/org/repo.git?timeout=-1&submodules=maybe",
         "https://host.example/org/repo.git", "", "", 27000, true},
        {"git::https://host.example/org/repo.git//a%20b?ref=v%201",
         "https://host.example/org/repo.git", "a b", "v 1", 27000, true},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        ed_ks_remote r;
        ed_err err = ED_ERR_INIT;
        int rc = ed_ks_remote_parse(ok[i].entry, &r, &err);
        if (rc)
            fail_msg("%s: %s", ok[i].entry, err.msg);
        assert_string_equal(r.repo, ok[i].repo);
        assert_string_equal(r.path, ok[i].path);
        assert_string_equal(r.ref, ok[i].ref);
        assert_int_equal(r.timeout_ms, ok[i].timeout_ms);
        assert_int_equal(r.submodules, ok[i].submodules);
        ed_ks_remote_clear(&r);
    }
    static const struct {
        const char *entry, *msg;
    } bad[] = {
        {"https://host.example/a", "url lacks repoPath: https://host.example/a"},
        {"https://host.example/org/repo//../x", "url path exits repo: "},
        {"https://host.example/org/repo.git//a/../../x", "url path exits repo: "},
        {"/abs/path", "uri looks like abs path: /abs/path"},
        {"git://host.example/org/repo.git", "url lacks host: "},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ed_ks_remote r;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_ks_remote_parse(bad[i].entry, &r, &err), ED_EINVALID);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: %s", bad[i].entry, err.msg);
        assert_null(r.repo);
    }
}

static char tree[64];

#define CM(name) "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " name "\ndata:\n  a: b\n"

/* What the stand-in fetchers saw and serve. */
struct fake {
    int trees, files;
    char last_ref[64];
    char dest[4096];
};

/* A repository per URL: "loop" lists itself, "escape" builds a symlink out of its tree. */
static int fake_tree(void *user, const ed_ks_remote *r, const char *dest, ed_err *err)
{
    struct fake *f = user;
    f->trees++;
    snprintf(f->last_ref, sizeof(f->last_ref), "%s", r->ref);
    snprintf(f->dest, sizeof(f->dest), "%s", dest);
    if (strstr(r->repo, "missing"))
        return ed_err_set(err, ED_ENOTFOUND, "unable to clone '%s': repository not found", r->repo);
    put_file(dest, "app/kustomization.yaml", "resources:\n- cm.yaml\n- ../shared\n");
    put_file(dest, "app/cm.yaml", CM("remote"));
    put_file(dest, "shared/kustomization.yaml", "resources:\n- cm.yaml\n");
    put_file(dest, "shared/cm.yaml", CM("shared"));
    put_file(dest, "loop/kustomization.yaml",
             "resources:\n- https://host.example/org/loop.git//loop\n");
    put_file(dest, "file.yaml", CM("plain"));
    put_file(dest, "comp/kustomization.yaml",
             "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  "
             "from: component\n");
    put_file(dest, "plugins/kustomization.yaml",
             "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
             "transformers:\n- labels.yaml\n");
    put_file(dest, "plugins/labels.yaml",
             "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n"
             "  from: plugin\nfieldSpecs:\n- path: metadata/labels\n  create: true\n");
    char *link = ed_xasprintf("%s/escape", dest);
    assert_int_equal(symlink(tree, link), 0);
    free(link);
    return 0;
}

static int fake_file(void *user, const char *url, size_t max, char **data, size_t *len, ed_err *err)
{
    (void)max;
    struct fake *f = user;
    f->files++;
    if (strstr(url, "/cm.yaml")) {
        *data = ed_xstrdup(CM("from-http"));
        *len = strlen(*data);
        return 0;
    }
    return ed_err_set(err, ED_ENOTFOUND, "status code 404 (Not Found)");
}

static int build(const char *kustomization, struct fake *f, bool fetchers, ed_buf *out,
                 ed_ks_inputs *rec, ed_err *err)
{
    put_file(tree, "kustomization.yaml", kustomization);
    ed_ks_options o = ED_KS_OPTIONS_INIT;
    o.remote_tmp = tree; /* the fetched trees are made (and removed) inside the test's tree */
    o.inputs = rec;
    if (fetchers) {
        o.remote = fake_tree;
        o.remote_file = fake_file;
        o.remote_user = f;
    }
    ed_buf_reset(out);
    return ed_ks_build_yaml(tree, &o, out, err);
}

void test_remote_build(void **state)
{
    (void)state;
    snprintf(tree, sizeof(tree), "/tmp/eddy-remote-XXXXXX");
    assert_non_null(mkdtemp(tree));
    struct fake f = {0};
    ed_buf out = ED_BUF_INIT((size_t)1 << 20);
    ed_err err = ED_ERR_INIT;

    /* a repository's directory, with a base elsewhere in the same repository, transformed by
     * the kustomization that lists it; the fetched tree is gone afterwards */
    ed_ks_inputs *rec = ed_ks_inputs_new(tree);
    int rc = build("namePrefix: p-\nresources:\n- https://host.example/org/repo//app?ref=v1\n", &f,
                   true, &out, rec, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "name: p-remote\n"));
    assert_non_null(strstr(out.data, "name: p-shared\n"));
    assert_int_equal(f.trees, 1);
    assert_int_equal(f.files, 1); /* an http(s) URL is tried as a file first, as kustomize does */
    assert_string_equal(f.last_ref, "v1");
    struct stat st;
    assert_int_not_equal(stat(f.dest, &st), 0);
    assert_true(ed_ks_inputs_incomplete(rec)); /* the output depends on more than the tree */
    ed_ks_inputs_free(rec);

    /* buildMetadata names the repository (as the entry wrote it: no ".git" added) and ref of
     * a fetched file, as kustomize does: in its origin and in its transformers' */
    rc = build("namePrefix: p-\nbuildMetadata: [originAnnotations, transformerAnnotations]\n"
               "resources:\n- github.com/org/repo/app?ref=v1\n",
               &f, true, &out, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "      path: app/cm.yaml\n"
                                     "      repo: https://github.com/org/repo\n"
                                     "      ref: v1\n"));
    assert_non_null(strstr(out.data, "      - configuredIn: kustomization.yaml\n"));
    put_file(tree, "cm.yaml", CM("local"));
    rc = build("resources:\n- cm.yaml\ncomponents:\n- github.com/org/repo/comp?ref=v1\n"
               "buildMetadata: [transformerAnnotations]\n",
               &f, true, &out, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "      - repo: https://github.com/org/repo\n"
                                     "        ref: v1\n"
                                     "        configuredIn: comp/kustomization.yaml\n"));

    /* a plugin config of a fetched tree: its transformations entry names the repository and
     * ref before the config's file, relative to the fetched tree */
    rc = build("resources:\n- cm.yaml\ncomponents:\n- github.com/org/repo/plugins?ref=v1\n"
               "buildMetadata: [transformerAnnotations]\n",
               &f, true, &out, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "from: plugin\n"));
    assert_non_null(strstr(out.data, "      - repo: https://github.com/org/repo\n"
                                     "        ref: v1\n"
                                     "        configuredIn: plugins/labels.yaml\n"
                                     "        configuredBy:\n"
                                     "          apiVersion: builtin\n"
                                     "          kind: LabelTransformer\n"
                                     "          name: l\n"));

    /* an http(s) file; its origin is the URL as Go's filepath.Join cleans it */
    rc = build("resources:\n- https://host.example/files/cm.yaml\n"
               "buildMetadata: [originAnnotations]\n",
               &f, true, &out, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "name: from-http\n"));
    assert_non_null(strstr(out.data, "      path: https:/host.example/files/cm.yaml\n"));
    /* a file URL that is no repository either: the HTTP status */
    rc = build("resources:\n- https://host.example/nothing.yaml\n", &f, true, &out, NULL, &err);
    assert_int_equal(rc, ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "status code 404 (Not Found)"));

    /* a component from a repository */
    put_file(tree, "cm.yaml", CM("local"));
    rc = build("resources:\n- cm.yaml\ncomponents:\n- github.com/org/repo/comp\n", &f, true, &out,
               NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(out.data, "from: component\n"));

    /* errors: a cycle, a symlink out of the fetched tree, a file where a directory is
     * expected, a failed fetch, a path that exits the repository */
    rc = build("resources:\n- https://host.example/org/loop.git//loop\n", &f, true, &out, NULL,
               &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(
        strstr(err.msg, "cycle detected: URI 'https://host.example/org/loop.git//loop'"));
    rc = build("resources:\n- ssh://git@host.example/org/repo.git//escape\n", &f, true, &out, NULL,
               &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "outside of repo"));
    rc = build("resources:\n- ssh://git@host.example/org/repo.git//file.yaml\n", &f, true, &out,
               NULL, &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "expecting directory"));
    rc = build("resources:\n- ssh://git@host.example/org/missing.git//app\n", &f, true, &out, NULL,
               &err);
    assert_int_equal(rc, ED_ENOTFOUND);
    assert_non_null(strstr(err.msg, "accumulating resources from "
                                    "'ssh://git@host.example/org/missing.git//app': unable to "
                                    "clone"));
    rc = build("resources:\n- ssh://git@host.example/org/repo.git//app/../../x\n", &f, true, &out,
               NULL, &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "url path exits repo"));

    /* without fetchers: refused, naming the entry */
    int before = f.trees + f.files;
    rc = build("resources:\n- https://host.example/org/repo//app\n", &f, false, &out, NULL, &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(
        strstr(err.msg, "remote resource 'https://host.example/org/repo//app' is not allowed"));
    rc = build("components:\n- github.com/org/repo/comp\n", &f, false, &out, NULL, &err);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "remote component 'github.com/org/repo/comp' is not allowed"));
    assert_int_equal(f.trees + f.files, before);

    ed_buf_free(&out);
    ed_path_remove_tree(tree);
}
