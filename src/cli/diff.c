/*
 * `eddy build kustomization NAME --path DIR` and `eddy diff kustomization NAME --path DIR`, as
 * flux has them: render a local directory as the Kustomization NAME would render it in the
 * cluster, and print it (build) or compare it with the cluster (diff).
 *
 * The render is the controller's (ed_ks_render): the Git work tree holding the directory is
 * mirrored in a scratch directory (so nothing is written into the user's tree, and ../base
 * references resolve as in the repository; its files are hard links when the scratch is on
 * the same filesystem, so a large monorepo costs no copy), a kustomization.yaml listing the
 * manifests is
 * generated when the directory has none, then Flux's overlay of the Kustomization's spec
 * (targetNamespace, namePrefix/nameSuffix, images, patches, components), the kustomize build,
 * postBuild substitution with the cluster's ConfigMaps and Secrets, commonMetadata, and the
 * owner labels (kustomize.toolkit.fluxcd.io/name and /namespace). build --dry-run needs no
 * cluster (the Kustomization need not exist anywhere; its spec is then not applied), and
 * --kustomization-file takes the Kustomization from a local file instead of the cluster.
 *
 * diff asks the API server what each object would become (a server-side dry-run apply with
 * the kustomize-controller field manager) and compares that with the live object, without the
 * fields the server owns; it prints flux's lines (► Kind/ns/name created | drifted | deleted)
 * and, for a drifted object, each changed field with its old and new value (Secret values
 * masked). Objects of the Kustomization's inventory that the render lacks are listed as
 * deleted when it prunes. It also works for a Kustomization that does not exist yet. Exit
 * status: 0 no difference, 1 differences, 2 an error.
 *
 * flux's other flags: --ignore-paths (gitignore patterns, relative to the directory, whose
 * files are left out of the copy, as a GitRepository's spec.ignore leaves them out of its
 * artifact), --strict-substitute, and -r/--recursive with --local-sources
 * Kind/namespace/name=DIR: the Flux Kustomizations a render holds are rendered in turn from
 * the local directory of their source (DIR joined with their spec.path). build appends their
 * objects (and those of the Kustomizations they hold) after the first render's; diff follows
 * the ones that exist in the cluster, each compared with its live spec and inventory, and
 * prints their lines after "📁 Kustomization/ns/name changed" when something differs, or
 * skips one that applies to a remote cluster (spec.kubeConfig) with flux's warning.
 */
#include "cli_int.h"

#include "../apply/apply.h"
#include "../controllers/controllers.h"
#include "../source/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- copying the directory ---- */

#define COPY_MAX_BYTES ((size_t)256 << 20) /* what is copied, not linked */

static int copy_file(const char *from, const char *to, size_t *budget, ed_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ed_err_set(err, ED_ERROR, "%s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = out < 0 ? ed_err_set(err, ED_ERROR, "%s: %s", to, strerror(errno)) : 0;
    char chunk[65536];
    ssize_t n;
    while (!rc && (n = read(in, chunk, sizeof(chunk))) > 0) {
        if ((size_t)n > *budget)
            rc = ed_err_set(err, ED_ETOOBIG,
                            "more than 256 MiB to copy into the scratch directory (files are "
                            "linked, not copied, when TMPDIR is on the work tree's filesystem)");
        else if (write(out, chunk, (size_t)n) != n)
            rc = ed_err_set(err, ED_ERROR, "%s: %s", to, strerror(errno));
        else
            *budget -= (size_t)n;
    }
    close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/*
 * Mirror the regular files and directories below from into to (symlinks and .git left out: the
 * kustomize engine refuses links out of its root anyway). A file is hard-linked when it can be
 * (same filesystem), else copied within *budget. Linking is safe because the render only reads
 * the tree (O_RDONLY) and writes nothing but a new kustomization.yaml where none exists.
 */
static int copy_tree(const char *from, const char *to, size_t *budget, int depth, ed_err *err)
{
    if (depth > 64)
        return ed_err_set(err, ED_EINVALID, "%s: directories nested too deep", from);
    DIR *d = opendir(from);
    if (!d)
        return ed_err_set(err, ED_ENOTFOUND, "%s: %s", from, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, ".git") == 0)
            continue;
        char *src = ed_xasprintf("%s/%s", from, e->d_name);
        char *dst = ed_xasprintf("%s/%s", to, e->d_name);
        struct stat st;
        if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = mkdir(dst, 0700) == 0 ? copy_tree(src, dst, budget, depth + 1, err)
                                       : ed_err_set(err, ED_ERROR, "%s: %s", dst, strerror(errno));
        } else if (lstat(src, &st) == 0 && S_ISREG(st.st_mode)) {
            if (link(src, dst) != 0)
                rc = copy_file(src, dst, budget, err);
        }
        free(src);
        free(dst);
    }
    closedir(d);
    return rc;
}

static bool has_kustomization(const char *dir)
{
    static const char *const names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};
    for (size_t i = 0; i < 3; i++) {
        char *p = ed_xasprintf("%s/%s", dir, names[i]);
        bool found = access(p, F_OK) == 0;
        free(p);
        if (found)
            return true;
    }
    return false;
}

/* The manifests below dir (relative to base), as kustomization resources, into list. */
static void collect(const char *dir, const char *rel, ed_buf *list)
{
    struct dirent **names = NULL;
    char *full = ed_xasprintf("%s%s%s", dir, *rel ? "/" : "", rel);
    int n = scandir(full, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        char *sub = ed_xasprintf("%s%s%s", rel, *rel ? "/" : "", nm);
        char *path = ed_xasprintf("%s/%s", full, nm);
        struct stat st;
        if (nm[0] != '.' && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                collect(dir, sub, list);
            else if (ed_str_has_suffix(nm, ".yaml") || ed_str_has_suffix(nm, ".yml") ||
                     ed_str_has_suffix(nm, ".json"))
                ed_buf_printf(list, "- %s\n", sub);
        }
        free(path);
        free(sub);
        free(names[i]);
    }
    free(names);
    free(full);
}

/* A kustomization.yaml listing dir's manifests, as the controller generates it. */
static int generate_kustomization(const char *dir, ed_err *err)
{
    if (has_kustomization(dir))
        return 0;
    ed_buf list = ED_BUF_INIT((size_t)16 << 20);
    collect(dir, "", &list);
    char *path = ed_xasprintf("%s/kustomization.yaml", dir);
    FILE *f = fopen(path, "w");
    free(path);
    if (!f) {
        ed_buf_free(&list);
        return ed_err_set(err, ED_ERROR, "cannot write the generated kustomization.yaml");
    }
    fprintf(f, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n%s",
            list.len ? list.data : "[]\n");
    fclose(f);
    ed_buf_free(&list);
    return 0;
}

/* ---- the render ---- */

struct ks_args {
    ed_cli_global g;
    const char *path;
    const char *ks_file; /* --kustomization-file */
    bool dry_run;
    bool strict;               /* --strict-substitute */
    ed_cli_list ignore_paths;  /* --ignore-paths: gitignore patterns, relative to each path */
    bool recursive;            /* -r/--recursive */
    ed_cli_list local_sources; /* --local-sources Kind/namespace/name=DIR */
    const char *name;
};

struct render {
    ed_doc **objs;
    size_t n;
};

static void render_free(struct render *r)
{
    ed_doc_list_free(r->objs, r->n);
    r->objs = NULL;
    r->n = 0;
}

/* The root to copy for path (a directory): the Git work tree it lies in, so that a
 * kustomization may refer to ../base as in the repository, or path itself outside Git.
 * *rel receives path relative to the root ("" for the root). Both are new strings. */
static int find_root(const char *path, char **root, char **rel, ed_err *err)
{
    char *real = realpath(path, NULL);
    struct stat st;
    if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return ed_err_set(err, ED_ENOTFOUND, "--path %s: no such directory", path);
    }
    size_t len = strlen(real);
    for (;;) {
        char *git = ed_xasprintf("%.*s/.git", (int)len, real);
        bool found = access(git, F_OK) == 0;
        free(git);
        if (found)
            break;
        while (len > 0 && real[len - 1] != '/')
            len--;
        if (len <= 1) { /* no work tree: the directory alone */
            len = strlen(real);
            break;
        }
        len--; /* the slash */
    }
    *root = ed_xstrndup(real, len);
    *rel = ed_xstrdup(real[len] == '/' ? real + len + 1 : real + len);
    free(real);
    return 0;
}

/* The Kustomization to render as: the live one, or a bare one named ns/name. */
static ed_doc *render_as(const ed_doc *ks, const char *ns, const char *name)
{
    ed_doc *d = ed_doc_new();
    if (ks) {
        ed_doc_set_root(d, ed_node_copy(d, ed_doc_root(ks)));
        return d;
    }
    ed_node *root = ed_node_new_map(d), *meta = ed_node_new_map(d);
    ed_doc_set_root(d, root);
    ed_node_set(d, meta, "name", ed_node_new_str(d, name));
    ed_node_set(d, meta, "namespace", ed_node_new_str(d, ns));
    ed_node_set(d, root, "metadata", meta);
    ed_node_set(d, root, "spec", ed_node_new_map(d));
    return d;
}

/*
 * Render dir as Kustomization ns/name (ks, when it exists; kube may be NULL without one) would:
 * a copy of the work tree, kustomization.yaml generated when missing, the controller's render
 * (Flux's overlay of the spec, build, postBuild substitution, commonMetadata), owner labels.
 */
static int render(ed_kube *kube, const ed_doc *ks, const char *dir, const char *ns,
                  const char *name, const struct ks_args *a, struct render *out, ed_err *err)
{
    char *root = NULL, *rel = NULL;
    int rc = find_root(dir, &root, &rel, err);
    if (rc || !root || !rel) { /* find_root sets both on success */
        free(root);
        free(rel);
        return rc ? rc : ED_ERROR;
    }
    const char *tmpdir = getenv("TMPDIR");
    char *scratch = ed_xasprintf("%s/eddy-build.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(scratch)) {
        rc = ed_err_set(err, ED_ERROR, "cannot make a scratch directory %s: %s", scratch,
                        strerror(errno));
        free(scratch);
        free(root);
        free(rel);
        return rc;
    }
    size_t budget = COPY_MAX_BYTES;
    char *build_dir = ed_xasprintf("%s%s%s", scratch, *rel ? "/" : "", rel);
    rc = copy_tree(root, scratch, &budget, 0, err);
    if (!rc && a->ignore_paths.n > 0) {
        /* --ignore-paths: the files the patterns match (from the directory rendered, with the
         * .sourceignore files below it, as a GitRepository's ignore leaves them out of its
         * artifact) are gone from the copy before a kustomization.yaml is generated. */
        ed_buf patterns = ED_BUF_INIT((size_t)1 << 20);
        for (int i = 0; i < a->ignore_paths.n; i++)
            ed_buf_printf(&patterns, "%s\n", a->ignore_paths.items[i]);
        rc = ed_source_dir_filter(build_dir, patterns.data, err);
        ed_buf_free(&patterns);
    }
    if (!rc)
        rc = generate_kustomization(build_dir, err);
    ed_doc *as = render_as(ks, ns, name);
    const char *reason = NULL;
    ed_cli_remote remote = {0};
    if (!rc)
        rc = ed_cli_remote_open(&remote, err);
    if (!rc)
        rc = ed_ks_render(kube, ed_doc_root(as), build_dir, scratch,
                          (a->strict ? ED_KS_RENDER_STRICT : 0) | ED_KS_RENDER_MASK_SOPS,
                          &remote.src, &out->objs, &out->n, &reason, err);
    ed_cli_remote_close(&remote);
    ed_doc_free(as);
    ed_path_remove_tree(scratch);
    free(build_dir);
    free(scratch);
    free(root);
    free(rel);
    for (size_t i = 0; !rc && i < out->n; i++) {
        ed_node *labels =
            ed_node_ensure_map(out->objs[i], ed_doc_root(out->objs[i]), "/metadata/labels");
        if (!labels)
            continue;
        ed_node_set(out->objs[i], labels, "kustomize.toolkit.fluxcd.io/name",
                    ed_node_new_str(out->objs[i], name));
        ed_node_set(out->objs[i], labels, "kustomize.toolkit.fluxcd.io/namespace",
                    ed_node_new_str(out->objs[i], ns));
    }
    return rc;
}

/* ---- shared by build and diff ---- */

/* Parse "kustomization NAME --path DIR" and the verb's flags: build's --dry-run (when
 * allow_dry_run), diff's --progress-bar (otherwise). flux's --in-memory-build and diff's
 * --progress-bar are taken and change nothing: eddy builds from a private copy whatever the
 * flag, and prints no progress bar (so CI scripts that turn it off run unchanged). */
static int parse_ks_args(const char *verb, int argc, char **argv, struct ks_args *a,
                         bool allow_dry_run)
{
    bool in_memory = false, progress_bar = true;
    ed_cli_flag flags[] = {
        {"path", 0, ED_CLI_FLAG_STR, &a->path},
        {"kustomization-file", 0, ED_CLI_FLAG_STR, &a->ks_file},
        {"strict-substitute", 0, ED_CLI_FLAG_BOOL, &a->strict},
        {"in-memory-build", 0, ED_CLI_FLAG_BOOL, &in_memory},
        {"dry-run", 0, ED_CLI_FLAG_BOOL, &a->dry_run},
        {"ignore-paths", 0, ED_CLI_FLAG_LIST, &a->ignore_paths},
        {"recursive", 'r', ED_CLI_FLAG_BOOL, &a->recursive},
        {"local-sources", 0, ED_CLI_FLAG_LIST, &a->local_sources},
        {NULL, 0, 0, NULL},
    };
    if (!allow_dry_run)
        flags[4] = (ed_cli_flag){"progress-bar", 0, ED_CLI_FLAG_BOOL, &progress_bar};
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &a->g, pos, &npos);
    const ed_cli_kind *k = rc ? NULL : ed_cli_kind_parse(pos, npos, &used);
    a->name = k && npos == used + 1 ? pos[used] : NULL;
    free(pos);
    if (rc)
        return rc;
    if (k != &ed_cli_kustomization || !a->name) {
        ed_cli_failure("usage: eddy %s kustomization NAME --path DIR", verb);
        return 2;
    }
    if (!a->path) {
        ed_cli_failure("--path is required: the local directory to render");
        return 2;
    }
    /* flux's stringToString: each entry KEY=VALUE (Kind/namespace/name=DIR here). */
    for (int i = 0; i < a->local_sources.n; i++) {
        const char *item = a->local_sources.items[i], *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1] || !strchr(item, '/') || strchr(item, '/') > eq) {
            ed_cli_failure("invalid argument \"%s\" for \"--local-sources\" flag: expected "
                           "Kind/namespace/name=path",
                           item);
            return 2;
        }
    }
    return 0;
}

/* ---- --recursive: the Kustomizations a render holds ---- */

#define NESTED_MAX_DEPTH 16

/* True for a Flux Kustomization (any version of kustomize.toolkit.fluxcd.io). */
static bool is_flux_kustomization(const ed_node *obj)
{
    const char *api = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    return api && kind && ed_str_has_prefix(api, "kustomize.toolkit.fluxcd.io/") &&
           strcmp(kind, "Kustomization") == 0;
}

/* True when obj is the Kustomization ns/name itself (flux compares name and namespace). */
static bool is_self(const ed_node *obj, const char *ns, const char *name)
{
    const char *n = ed_node_path_str(obj, "/metadata/name");
    const char *o = ed_node_path_str(obj, "/metadata/namespace");
    return n && strcmp(n, name) == 0 && strcmp(o ? o : "", ns) == 0;
}

char *ed_cli_local_source_dir(const ed_cli_list *local_sources, const ed_node *ks, ed_err *err)
{
    const char *name = ed_node_path_str(ks, "/metadata/name");
    const char *ns = ed_node_path_str(ks, "/metadata/namespace");
    const char *skind = ed_node_path_str(ks, "/spec/sourceRef/kind");
    const char *sname = ed_node_path_str(ks, "/spec/sourceRef/name");
    const char *sns = ed_node_path_str(ks, "/spec/sourceRef/namespace");
    const char *path = ed_node_path_str(ks, "/spec/path");
    if (!sns || !*sns)
        sns = ns;
    char *key = sns && *sns ? ed_xasprintf("%s/%s/%s", skind ? skind : "", sns, sname ? sname : "")
                            : ed_xasprintf("%s/%s", skind ? skind : "", sname ? sname : "");
    const char *local = NULL;
    size_t klen = strlen(key);
    for (int i = 0; i < local_sources->n && !local; i++) {
        const char *item = local_sources->items[i];
        if (strncmp(item, key, klen) == 0 && item[klen] == '=')
            local = item + klen + 1;
    }
    if (!local) {
        ed_err_set(err, ED_ENOTFOUND, "cannot get local path for %s of kustomization %s", key,
                   name ? name : "");
        free(key);
        return NULL;
    }
    /* Lexically, as filepath.Join cleans it: a ".." below the source's root is refused. */
    int depth = 0;
    for (const char *p = path ? path : ""; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && strncmp(p, "..", 2) == 0)
            depth--;
        else if (len > 0 && !(len == 1 && *p == '.'))
            depth++;
        if (depth < 0) {
            ed_err_set(err, ED_EINVALID,
                       "Kustomization %s/%s: spec.path '%s' climbs out of %s (%s)", ns ? ns : "",
                       name ? name : "", path, key, local);
            free(key);
            return NULL;
        }
        p += len;
        p += *p == '/';
    }
    free(key);
    return ed_xasprintf("%s/%s", local, path && *path ? path : ".");
}

/* The Kustomization ns/name in the cluster (NULL when it does not exist); 0 or the error. */
static int get_live(ed_kube *kube, const char *ns, const char *name, ed_doc **ks, ed_err *err)
{
    *ks = NULL;
    int rc =
        ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", ns, name, ks, err);
    return rc == ED_ENOTFOUND ? 0 : rc;
}

static void render_append(struct render *to, ed_doc **objs, size_t n)
{
    to->objs = ed_xrealloc(to->objs, (to->n + n + 1) * sizeof(ed_doc *));
    for (size_t i = 0; i < n; i++)
        to->objs[to->n++] = objs[i];
}

/*
 * build --recursive: render each Kustomization in out->objs[first, first + n) other than the
 * one they came from (self_ns/self_name), from its local source, as flux's builder does: with
 * the cluster's Kustomization of that name when there is one (and not --dry-run), else the
 * rendered one; its objects, then those of its own nested Kustomizations, are appended to out.
 * Returns 0, or the error in err.
 */
static int build_nested(ed_kube *kube, const struct ks_args *a, struct render *out, size_t first,
                        size_t n, const char *self_ns, const char *self_name, int depth,
                        ed_err *err)
{
    for (size_t i = first; i < first + n; i++) {
        const ed_node *obj = ed_doc_root(out->objs[i]);
        if (!is_flux_kustomization(obj) || is_self(obj, self_ns, self_name))
            continue;
        const char *name = ed_node_path_str(obj, "/metadata/name");
        const char *ns = ed_node_path_str(obj, "/metadata/namespace");
        if (!name)
            continue;
        if (!ns)
            ns = "";
        if (depth >= NESTED_MAX_DEPTH)
            return ed_err_set(err, ED_EINVALID,
                              "Kustomization %s/%s: Kustomizations nested more than %d deep (do "
                              "they apply each other?)",
                              ns, name, NESTED_MAX_DEPTH);
        char *dir = ed_cli_local_source_dir(&a->local_sources, obj, err);
        if (!dir)
            return err->code ? err->code : ED_ERROR;
        ed_doc *live = NULL, *as = ed_doc_new();
        int rc = a->dry_run ? 0 : get_live(kube, ns, name, &live, err);
        ed_doc_set_root(as, ed_node_copy(as, live ? ed_doc_root(live) : obj));
        if (a->dry_run) /* no cluster: its ConfigMaps and Secrets are not read (flux's dry run) */
            ed_node_remove(ed_node_path(ed_doc_root(as), "/spec/postBuild"), "substituteFrom");
        char *nsname = ed_xstrdup(ns), *nm = ed_xstrdup(name); /* obj may move with out */
        struct render sub = {0};
        if (!rc)
            rc = render(kube, as, dir, nsname, nm, a, &sub, err);
        ed_doc_free(live);
        ed_doc_free(as);
        free(dir);
        if (!rc) {
            size_t start = out->n, count = sub.n;
            render_append(out, sub.objs, sub.n);
            free(sub.objs);
            rc = build_nested(kube, a, out, start, count, nsname, nm, depth + 1, err);
        } else {
            render_free(&sub);
            ed_err_wrap(err, "Kustomization %s/%s", nsname, nm);
        }
        free(nsname);
        free(nm);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * --kustomization-file: the Kustomization named name (or the only one) in a local YAML file,
 * instead of the cluster's. Without a cluster (dry_run), substituteFrom is dropped: its
 * ConfigMaps and Secrets live in the cluster (flux build --dry-run skips them too).
 */
static int read_kustomization_file(const char *file, const char *name, bool dry_run, ed_doc **ks)
{
    *ks = NULL;
    ed_buf data = ED_BUF_INIT((size_t)16 << 20);
    FILE *f = fopen(file, "rb");
    char chunk[65536];
    size_t got;
    int rc = f ? 0 : ED_ENOTFOUND;
    while (f && !rc && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ed_buf_append(&data, chunk, got);
    if (f)
        fclose(f);
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (rc) {
        ed_cli_failure("--kustomization-file %s: cannot read it", file);
    } else if ((rc = ed_doc_parse_yaml(data.data ? data.data : "", data.len, file, &docs, &n,
                                       &err)) != 0) {
        ed_cli_failure("--kustomization-file %s", err.msg);
    }
    for (size_t i = 0; !rc && i < n && !*ks; i++) {
        const ed_node *o = ed_doc_root(docs[i]);
        const char *kind = ed_node_path_str(o, "/kind");
        const char *nm = ed_node_path_str(o, "/metadata/name");
        if (kind && strcmp(kind, "Kustomization") == 0 && (n == 1 || (nm && !strcmp(nm, name)))) {
            *ks = docs[i];
            docs[i] = NULL;
        }
    }
    if (!rc && !*ks) {
        ed_cli_failure("--kustomization-file %s: no Kustomization named %s in it", file, name);
        rc = 1;
    }
    if (*ks && dry_run)
        ed_node_remove(ed_node_path(ed_doc_root(*ks), "/spec/postBuild"), "substituteFrom");
    ed_doc_list_free(docs, n);
    ed_buf_free(&data);
    return rc ? 1 : 0;
}

/* The Kustomization ns/name when it exists (*ks NULL when it does not). */
static int get_kustomization(ed_kube *kube, const char *ns, const char *name, ed_doc **ks)
{
    ed_err err = ED_ERR_INIT;
    *ks = NULL;
    int rc =
        ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", ns, name, ks, &err);
    if (rc && rc != ED_ENOTFOUND) {
        ed_cli_api_failure(&err);
        return 1;
    }
    return 0;
}

int ed_cli_build(int argc, char **argv)
{
    struct ks_args a = {.g = ED_CLI_GLOBAL_INIT};
    int rc = parse_ks_args("build", argc, argv, &a, true);
    if (rc)
        return rc;
    /* The Kustomization must exist, as flux build requires; --dry-run does without it (and
     * without the cluster): the spec's fields are then not applied. */
    ed_kube *kube = NULL;
    ed_doc *ks = NULL;
    if (a.ks_file)
        rc = read_kustomization_file(a.ks_file, a.name, a.dry_run, &ks);
    if (!rc && !a.dry_run) {
        kube = ed_cli_connect(&a.g);
        rc = kube ? 0 : 1;
    }
    if (!rc && !a.dry_run && !ks) {
        rc = get_kustomization(kube, a.g.ns, a.name, &ks);
        if (!rc && !ks) {
            ed_cli_failure("Kustomization %s/%s not found (--dry-run builds without the cluster)",
                           a.g.ns, a.name);
            rc = 1;
        }
    }
    struct render r = {0};
    ed_err err = ED_ERR_INIT;
    if (!rc &&
        (render(kube, ks, a.path, a.g.ns, a.name, &a, &r, &err) != 0 ||
         (a.recursive && build_nested(kube, &a, &r, 0, r.n, a.g.ns, a.name, 0, &err) != 0))) {
        ed_cli_api_failure(&err);
        rc = 1;
    }
    ed_doc_free(ks);
    ed_kube_free(kube);
    if (rc) {
        render_free(&r);
        return rc;
    }
    ed_buf out = ED_BUF_INIT((size_t)1 << 30);
    rc = ed_doc_list_to_yaml(r.objs, r.n, &out);
    if (rc == 0 && out.len)
        fwrite(out.data, 1, out.len, stdout);
    else if (rc)
        ed_cli_failure("cannot print the objects");
    ed_buf_free(&out);
    render_free(&r);
    return rc ? 1 : 0;
}

/* ---- diff ---- */

/* Remove what the server owns, so that only what a person wrote is compared. */
static void strip_server_fields(ed_node *obj)
{
    ed_node *meta = ed_node_get(obj, "metadata");
    static const char *const fields[] = {"managedFields", "resourceVersion",   "generation",
                                         "uid",           "creationTimestamp", "selfLink"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        ed_node_remove(meta, fields[i]);
    ed_node *ann = ed_node_get(meta, "annotations");
    ed_node_remove(ann, "deployment.kubernetes.io/revision");
    ed_node_remove(ann, "kubectl.kubernetes.io/last-applied-configuration");
    if (ann && ed_node_len(ann) == 0)
        ed_node_remove(meta, "annotations");
    ed_node_remove(obj, "status");
}

/* Secret values never reach the terminal: each becomes "*****", or "****** (changed)" in the
 * new object when it differs from the live one. */
static void mask_secret(ed_doc *live_doc, ed_node *live, ed_doc *want_doc, ed_node *want)
{
    static const char *const maps[] = {"data", "stringData"};
    for (size_t m = 0; m < 2; m++) {
        ed_node *a = ed_node_get(live, maps[m]), *b = ed_node_get(want, maps[m]);
        for (size_t i = 0; i < ed_node_len(b); i++) {
            const char *key = ed_node_key_at(b, i);
            ed_node *old = ed_node_get(a, key);
            bool same = old && ed_node_equal(old, ed_node_value_at(b, i));
            ed_node_set(want_doc, b, key,
                        ed_node_new_str(want_doc, same ? "*****" : "****** (changed)"));
        }
        for (size_t i = 0; i < ed_node_len(a); i++)
            ed_node_set(live_doc, a, ed_node_key_at(a, i), ed_node_new_str(live_doc, "*****"));
    }
}

/* One value of a change, after indent spaces and its sign. */
static void print_value(FILE *o, int indent, const ed_node *v, const char *sign)
{
    ed_buf b = ED_BUF_INIT(1 << 20);
    if (ed_node_kind_of(v) == ED_NODE_STR)
        ed_buf_append_str(&b, ed_node_str(v));
    else
        ed_node_to_json(v, &b);
    fprintf(o, "%*s%s %s\n", indent, "", sign, b.data ? b.data : "");
    ed_buf_free(&b);
}

/* Print the fields that differ between a (live) and b (wanted) below path to o; the count. */
static int diff_nodes(FILE *o, const char *path, const ed_node *a, const ed_node *b)
{
    if (a && b && ed_node_equal(a, b))
        return 0;
    if (a && b && ed_node_kind_of(a) == ED_NODE_MAP && ed_node_kind_of(b) == ED_NODE_MAP) {
        int n = 0;
        for (size_t i = 0; i < ed_node_len(a); i++) {
            const char *k = ed_node_key_at(a, i);
            char *sub = ed_xasprintf("%s%s%s", path, *path ? "." : "", k);
            n += diff_nodes(o, sub, ed_node_value_at(a, i), ed_node_get(b, k));
            free(sub);
        }
        for (size_t i = 0; i < ed_node_len(b); i++) {
            const char *k = ed_node_key_at(b, i);
            if (ed_node_get(a, k))
                continue;
            char *sub = ed_xasprintf("%s%s%s", path, *path ? "." : "", k);
            n += diff_nodes(o, sub, NULL, ed_node_value_at(b, i));
            free(sub);
        }
        return n;
    }
    fprintf(o, "\n%s\n", path);
    if (a && b) {
        /* as flux's dyff report (its indent is 0) */
        fprintf(o, "± value change\n");
        print_value(o, 0, a, "-");
        print_value(o, 0, b, "+");
    } else if (b) {
        fprintf(o, "  + added\n");
        print_value(o, 4, b, "+");
    } else {
        fprintf(o, "  - removed\n");
        print_value(o, 4, a, "-");
    }
    return 1;
}

static char *subject_of(const ed_node *obj)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    return ns ? ed_xasprintf("%s/%s/%s", kind, ns, name) : ed_xasprintf("%s/%s", kind, name);
}

/* True for a Secret the render masked (SOPS-encrypted: ED_KS_RENDER_MASK_SOPS). */
static bool sops_masked(const ed_node *obj)
{
    const char *kind = ed_node_path_str(obj, "/kind");
    if (!kind || strcmp(kind, "Secret") != 0)
        return false;
    size_t masked = 0;
    static const char *const fields[] = {"data", "stringData"};
    static const char *const masks[] = {"KipTT1BTKio=", "**SOPS**"};
    for (int f = 0; f < 2; f++) {
        const ed_node *m = ed_node_get(obj, fields[f]);
        for (size_t i = 0; i < ed_node_len(m); i++) {
            const char *v = ed_node_str(ed_node_value_at(m, i));
            if (!v || strcmp(v, masks[f]) != 0)
                return false;
            masked++;
        }
    }
    return masked > 0;
}

/* What diff_object found. */
enum {
    DIFF_SAME,
    DIFF_DRIFTED,
    DIFF_ERROR,
    DIFF_CREATED
};

/* Compare one rendered object with the cluster, printing flux's lines to o. */
static int diff_object(ed_kube *kube, ed_doc *want, FILE *o)
{
    ed_node *obj = ed_doc_root(want);
    const char *api = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    char *subject = subject_of(obj);
    if (sops_masked(obj)) { /* the CLI holds no decryption keys: nothing to compare */
        fprintf(o, "► %s skipped (SOPS-encrypted)\n", subject);
        free(subject);
        return DIFF_SAME;
    }
    ed_doc *live = NULL, *dry = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_get(kube, api, kind, ns, name, &live, &err);
    if (rc == ED_ENOTFOUND) {
        fprintf(o, "► %s created\n", subject);
        rc = DIFF_CREATED;
        goto done;
    }
    if (rc) {
        ed_cli_failure("%s: %s", subject, err.msg);
        rc = DIFF_ERROR;
        goto done;
    }
    ed_kube_opts opts = {.field_manager = "kustomize-controller", .force = true, .dry_run = true};
    if (ed_kube_apply(kube, obj, &opts, &dry, &err) != 0) {
        ed_err msg = ED_ERR_INIT;
        ed_apply_dry_run_error(&msg, subject, kind, err.code, err.reason, err.msg);
        ed_cli_failure("%s", msg.msg);
        rc = DIFF_ERROR;
        goto done;
    }
    ed_node *a = ed_doc_root(live), *b = ed_doc_root(dry);
    strip_server_fields(a);
    strip_server_fields(b);
    if (strcmp(kind, "Secret") == 0)
        mask_secret(live, a, dry, b);
    rc = DIFF_SAME;
    if (!ed_node_equal(a, b)) {
        fprintf(o, "► %s drifted\n", subject);
        diff_nodes(o, "", a, b);
        fputc('\n', o);
        rc = DIFF_DRIFTED;
    }
done:
    free(subject);
    ed_doc_free(live);
    ed_doc_free(dry);
    return rc;
}

/* The inventory entries of ks the render lacks, when ks prunes: they would be deleted. */
static int diff_pruned(const ed_doc *ks, const struct render *r, FILE *o)
{
    bool prune = false;
    ed_node_bool(ed_node_path(ed_doc_root(ks), "/spec/prune"), &prune);
    ed_node *entries = ed_node_path(ed_doc_root(ks), "/status/inventory/entries");
    int n = 0;
    for (size_t i = 0; prune && i < ed_node_len(entries); i++) {
        const char *id = ed_node_path_str(ed_node_at(entries, i), "/id");
        bool kept = false;
        for (size_t j = 0; id && j < r->n && !kept; j++) {
            char *rid = ed_apply_id(ed_doc_root(r->objs[j]));
            kept = rid && strcmp(rid, id) == 0;
            free(rid);
        }
        if (kept || !id)
            continue;
        ed_apply_id_parts p;
        if (ed_apply_id_parse(id, &p))
            fprintf(o, "► %s/%s%s%s deleted\n", p.kind, p.ns, *p.ns ? "/" : "", p.name);
        n++;
    }
    return n;
}

static int diff_tree(ed_kube *kube, const struct ks_args *a, const ed_doc *ks, const ed_doc *spec,
                     const char *dir, const char *ns, const char *name, int depth, FILE *o);

/*
 * diff --recursive, for the Kustomization obj of a render that exists in the cluster: as
 * flux's, one that applies to a remote cluster is skipped with a warning; otherwise its local
 * source's directory is diffed against its live object, and when something differs the lines
 * follow "📁 Kustomization/ns/name changed". Returns DIFF_SAME, DIFF_DRIFTED or DIFF_ERROR.
 */
static int diff_nested(ed_kube *kube, const struct ks_args *a, const ed_node *obj, int depth,
                       FILE *o)
{
    char *subject = subject_of(obj);
    const char *name = ed_node_path_str(obj, "/metadata/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    if (ed_node_path(obj, "/spec/kubeConfig")) {
        fprintf(o, "⚠️ %s skipped: diff not supported for remote clusters\n", subject);
        free(subject);
        return DIFF_SAME;
    }
    ed_err err = ED_ERR_INIT;
    ed_doc *live = NULL;
    char *dir = NULL;
    int rc = DIFF_ERROR;
    if (depth >= NESTED_MAX_DEPTH) {
        ed_cli_failure("%s: Kustomizations nested more than %d deep (do they apply each other?)",
                       subject, NESTED_MAX_DEPTH);
    } else if (!(dir = ed_cli_local_source_dir(&a->local_sources, obj, &err))) {
        ed_cli_failure("%s", err.msg);
    } else if (get_live(kube, ns ? ns : "", name, &live, &err) != 0 || !live) {
        ed_cli_failure("%s: %s", subject, live ? err.msg : "not found");
    } else {
        char *text = NULL;
        size_t len = 0;
        FILE *sub = open_memstream(&text, &len);
        if (!sub) {
            ed_cli_failure("%s: cannot buffer its diff", subject);
        } else {
            rc = diff_tree(kube, a, live, live, dir, ns ? ns : "", name, depth + 1, sub);
            fclose(sub);
            if (rc == DIFF_DRIFTED) {
                fprintf(o, "📁 %s changed\n", subject);
                fwrite(text, 1, len, o);
            }
        }
        free(text);
    }
    ed_doc_free(live);
    free(dir);
    free(subject);
    return rc;
}

/*
 * Diff the render of dir as Kustomization ns/name (spec: the one to render as, NULL for a
 * bare one; ks: the live one, whose inventory says what would be pruned, or NULL) against the
 * cluster, printing flux's lines to o. As flux, every object is compared even after an error,
 * and nothing is said about pruning then. Returns DIFF_SAME, DIFF_DRIFTED or DIFF_ERROR.
 */
static int diff_tree(ed_kube *kube, const struct ks_args *a, const ed_doc *ks, const ed_doc *spec,
                     const char *dir, const char *ns, const char *name, int depth, FILE *o)
{
    struct render r = {0};
    ed_err err = ED_ERR_INIT;
    if (render(kube, spec, dir, ns, name, a, &r, &err) != 0) {
        if (depth > 0)
            ed_err_wrap(&err, "Kustomization %s/%s", ns, name);
        ed_cli_api_failure(&err);
        render_free(&r);
        return DIFF_ERROR;
    }
    bool differs = false, failed = false;
    for (size_t i = 0; i < r.n; i++) {
        int d = diff_object(kube, r.objs[i], o);
        failed |= d == DIFF_ERROR;
        differs |= d == DIFF_DRIFTED || d == DIFF_CREATED;
        /* flux follows a Kustomization only where it exists: a new one has nothing to
         * compare with. */
        const ed_node *obj = ed_doc_root(r.objs[i]);
        if (a->recursive && d != DIFF_CREATED && d != DIFF_ERROR && is_flux_kustomization(obj) &&
            !is_self(obj, ns, name)) {
            int nd = diff_nested(kube, a, obj, depth, o);
            failed |= nd == DIFF_ERROR;
            differs |= nd == DIFF_DRIFTED;
        }
    }
    if (!failed && ks && diff_pruned(ks, &r, o) > 0)
        differs = true;
    render_free(&r);
    return failed ? DIFF_ERROR : differs ? DIFF_DRIFTED : DIFF_SAME;
}

int ed_cli_diff(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "artifact") == 0)
        return ed_cli_diff_artifact(argc, argv);
    struct ks_args a = {.g = ED_CLI_GLOBAL_INIT};
    int rc = parse_ks_args("diff", argc, argv, &a, false);
    if (rc)
        return 2;
    ed_kube *kube = ed_cli_connect(&a.g);
    if (!kube)
        return 2;
    /* ks: the live Kustomization (its inventory says what would be pruned); spec: the one to
     * render as (--kustomization-file, else the live one). */
    ed_doc *ks = NULL, *file_ks = NULL;
    int d = DIFF_ERROR;
    if (get_kustomization(kube, a.g.ns, a.name, &ks) == 0 &&
        (!a.ks_file || read_kustomization_file(a.ks_file, a.name, false, &file_ks) == 0)) {
        d = diff_tree(kube, &a, ks, file_ks ? file_ks : ks, a.path, a.g.ns, a.name, 0, stdout);
    }
    /* flux prints the lines, then: 0 nothing differs, 1 something does, 2 an error. */
    if (d == DIFF_ERROR) {
        rc = 2;
    } else if (d == DIFF_DRIFTED) {
        ed_cli_warning("identified at least one change, exiting with non-zero exit code");
        rc = 1;
    }
    ed_doc_free(ks);
    ed_doc_free(file_ks);
    ed_kube_free(kube);
    return rc;
}
