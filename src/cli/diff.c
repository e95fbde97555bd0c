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
 * and, for a drifted object, flux's dyff report of the changes (Secret values masked; see
 * "the report of a drifted object" below). Objects of the Kustomization's inventory that
 * the render lacks are listed as deleted when it prunes. It also works for a Kustomization
 * that does not exist yet. Exit status: 0 no difference, 1 differences, 2 an error.
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
#include <sys/ioctl.h>
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
    char *clean_path; /* build's --path made absolute and clean, as flux builds it (owned) */
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

/* path made absolute (against the working directory) and clean: no ".", "..", or repeated
 * slashes. A new string. */
static char *absolute_path(const char *path)
{
    char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
    char *full = ed_xasprintf("%s/%s", cwd ? cwd : "", path);
    free(cwd);
    ed_buf out = ED_BUF_INIT(PATH_MAX * 4);
    for (char *part = full; *part;) {
        char *slash = strchr(part, '/');
        size_t n = slash ? (size_t)(slash - part) : strlen(part);
        if (n == 2 && part[0] == '.' && part[1] == '.') {
            while (out.len > 0 && out.data[out.len - 1] != '/')
                out.len--;
            if (out.len > 0)
                out.len--; /* the slash before the dropped part */
            if (out.data)
                out.data[out.len] = '\0';
        } else if (n > 0 && !(n == 1 && part[0] == '.')) {
            ed_buf_printf(&out, "/%.*s", (int)n, part);
        }
        part += n + (slash ? 1 : 0);
    }
    char *clean = ed_xstrdup(out.len ? out.data : "/");
    ed_buf_free(&out);
    free(full);
    return clean;
}

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
        {"local-sources", 0, ED_CLI_FLAG_MAP, &a->local_sources},
        {NULL, 0, 0, NULL},
    };
    if (!allow_dry_run)
        flags[4] = (ed_cli_flag){"progress-bar", 0, ED_CLI_FLAG_BOOL, &progress_bar};
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &a->g, pos, &npos);
    const ed_cli_kind *k = rc ? NULL : ed_cli_kind_parse(pos, npos, &used);
    a->name = k && npos == used + 1 ? pos[used] : NULL;
    free(pos);
    /* flux's exit codes: 1 for its flags and a missing name, 2 for the path (diff's error) */
    if (rc)
        return 1;
    if (k == &ed_cli_kustomization && npos == used) {
        ed_cli_failure("kustomization name is required"); /* flux's words */
        return 1;
    }
    if (k != &ed_cli_kustomization || !a->name) {
        ed_cli_failure("usage: eddy %s kustomization NAME --path DIR", verb);
        return 2;
    }
    /* flux's check and words; its build looks at (and names) the path made absolute and
     * clean */
    char *checked = !a->path                     ? ed_xstrdup("")
                    : strcmp(verb, "build") == 0 ? absolute_path(a->path)
                                                 : ed_xstrdup(a->path);
    struct stat st;
    bool is_dir = stat(checked, &st) == 0 && S_ISDIR(st.st_mode);
    if (!a->path || !is_dir) {
        ed_cli_failure("invalid resource path \"%s\"", checked);
        free(checked);
        return 2;
    }
    /* build renders the path it checked, so that ./x/../app is ./app even when x does not
     * exist; diff checks and renders the path as given, as flux diff does */
    if (strcmp(verb, "build") == 0) {
        a->clean_path = checked;
        a->path = checked;
    } else {
        free(checked);
    }
    /* Each entry is KEY=VALUE (the flag's parsing, flux's stringToString, saw to it); eddy
     * also wants the key as Kind/namespace/name, where flux would never find the source. */
    for (int i = 0; i < a->local_sources.n; i++) {
        const char *item = a->local_sources.items[i], *eq = strchr(item, '=');
        if (eq == item || !eq[1] || !strchr(item, '/') || strchr(item, '/') > eq) {
            ed_cli_invalid_argument(item, "--local-sources", "expected Kind/namespace/name=path");
            return 1;
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
    if (rc) {
        free(a.clean_path);
        return rc;
    }
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
    free(a.clean_path);
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

/* Remove what the server owns, so that only what a person wrote is compared (generation is
 * kept: flux shows its change along with a changed spec). */
static void strip_server_fields(ed_node *obj)
{
    ed_node *meta = ed_node_get(obj, "metadata");
    static const char *const fields[] = {"managedFields", "resourceVersion", "uid",
                                         "creationTimestamp", "selfLink"};
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

/* ---- the report of a drifted object, as flux prints it (dyff's human report) ---- */

/*
 * flux diff compares the live and the dry-run object with dyff and prints its human report
 * without header, indent 0, colours off when stdout is no terminal. Its rules, followed here:
 * - a mapping's removed keys and its added keys are each reported once, at the mapping's
 *   path ("- two map entries removed:", "+ one map entry added:" and the entries in YAML,
 *   removals first), before the changes inside the keys both hold (in the live key order);
 * - a list whose entries are all mappings with a distinct name (or key, id, manager) is
 *   compared entry by entry (path ".NAME"), a list of one entry on each side at ".0", any
 *   other list as a multiset: its removed and added entries each reported once ("list
 *   entries"), and an order change of the common entries as "⇆ order changed";
 * - a changed scalar is "± value change" with its old and new value ("± type change from
 *   string to map" when its type changed), a text of several lines "± value change in
 *   multiline text" with the runs of lines removed and added, and a text whose spaces and
 *   newlines at its ends alone changed "± whitespace only change" (spaces shown as '·').
 * The YAML of added entries is indented by two spaces, that of removed ones not at all, and
 * its mappings' keys are put in dyff's order (name, key or id first, and the like).
 */

/* A count as dyff words it: "one map entry", "two map entries", ..., "13 list entries". */
static void append_count(ed_buf *o, size_t n, const char *one, const char *many)
{
    static const char *const words[] = {"no",    "one",   "two",  "three", "four",   "five",  "six",
                                        "seven", "eight", "nine", "ten",   "eleven", "twelve"};
    if (n < sizeof(words) / sizeof(words[0]))
        ed_buf_printf(o, "%s %s", words[n], n == 1 ? one : many);
    else
        ed_buf_printf(o, "%zu %s", n, n == 1 ? one : many);
}

/* The keys dyff moves to the front of a mapping that holds any of them: of the first list
 * with the most keys in common, those keys in the list's order (the others follow, the
 * shallow ones first). */
static const char *const *const key_orders[] = {
    (const char *const[]){"name", "director_uuid", "releases", "instance_groups", "networks",
                          "resource_pools", "compilation", NULL},
    (const char *const[]){"name", "url", "version", "sha1", NULL},
    (const char *const[]){"jobs", "resources", "resource_types", NULL},
    (const char *const[]){"name", "type", "source", NULL},
    (const char *const[]){"get", NULL},
    (const char *const[]){"put", NULL},
    (const char *const[]){"task", NULL},
    (const char *const[]){"releases", "instance_groups", "configuration", "variables", NULL},
    (const char *const[]){"auth", "templates", NULL},
    (const char *const[]){"name", NULL},
    (const char *const[]){"key", NULL},
    (const char *const[]){"id", NULL},
};

/* How deep a value nests: 0 for a scalar or an empty collection. */
static int depth_of(const ed_node *v)
{
    int deepest = 0;
    ed_node_kind k = ed_node_kind_of(v);
    if (k != ED_NODE_MAP && k != ED_NODE_SEQ)
        return 0;
    for (size_t i = 0; i < ed_node_len(v); i++) {
        int d = 1 + depth_of(k == ED_NODE_MAP ? ed_node_value_at(v, i) : ed_node_at(v, i));
        if (d > deepest)
            deepest = d;
    }
    return deepest;
}

/* The order in which a mapping's pairs are printed, in order (ed_node_len(map) indexes). */
static void key_order(const ed_node *map, size_t *order)
{
    size_t n = ed_node_len(map), best = 0, best_hits = 0, used = 0;
    for (size_t c = 0; c < sizeof(key_orders) / sizeof(key_orders[0]); c++) {
        size_t hits = 0;
        for (const char *const *k = key_orders[c]; *k; k++)
            hits += ed_node_get(map, *k) != NULL;
        if (hits > best_hits) {
            best = c;
            best_hits = hits;
        }
    }
    if (best_hits == 0) {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    for (const char *const *k = key_orders[best]; *k; k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(ed_node_key_at(map, i), *k) == 0)
                order[used++] = i;
    size_t front = used;
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        for (size_t j = 0; j < front; j++)
            listed = listed || order[j] == i;
        if (!listed)
            order[used++] = i;
    }
    /* the rest by depth, stable (an insertion sort, as Go sorts so few keys) */
    for (size_t i = front + 1; i < n; i++) {
        size_t x = order[i], j = i;
        int d = depth_of(ed_node_value_at(map, x));
        for (; j > front && depth_of(ed_node_value_at(map, order[j - 1])) > d; j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
}

/* The text of a scalar as dyff prints it: strings as they are, quoted when they are true,
 * false or null, start with a dash or hold a space, '*', '&', ':' or ','; a text of several
 * lines as a block ("|", its lines at indent). */
static void append_scalar_at(ed_buf *b, int indent, const ed_node *v)
{
    const char *text = ed_node_kind_of(v) == ED_NODE_STR ? ed_node_str(v) : NULL;
    if (text && strchr(text, '\n')) {
        ed_buf_append_str(b, "|");
        for (const char *line = text;;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            ed_buf_printf(b, "\n%*s%.*s", indent, "", (int)len, line);
            if (!nl)
                break;
            line = nl + 1;
        }
        return;
    }
    if (text && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0 ||
                 strcmp(text, "null") == 0 || *text == '-' || strpbrk(text, " *&:,"))) {
        ed_buf_append_json_str(b, text);
        return;
    }
    if (!text)
        text = ed_node_scalar_text(v);
    if (text) {
        ed_buf_append_str(b, text);
        return;
    }
    ed_node_to_json(v, b);
}

static void append_scalar(ed_buf *b, const ed_node *v)
{
    append_scalar_at(b, 0, v);
}

static void append_yaml(ed_buf *b, int indent, const ed_node *v);

/* After "key:" or "-": a scalar, an empty collection, or a newline and the nested lines
 * (a list under a key at the key's indent, a mapping two further). */
static void append_after_marker(ed_buf *b, int indent, const ed_node *v, bool under_key)
{
    ed_node_kind k = ed_node_kind_of(v);
    if ((k == ED_NODE_MAP || k == ED_NODE_SEQ) && ed_node_len(v) == 0) {
        ed_buf_append_str(b, k == ED_NODE_MAP ? " {}\n" : " []\n");
    } else if (k == ED_NODE_MAP || k == ED_NODE_SEQ) {
        ed_buf_append_str(b, "\n");
        append_yaml(b, under_key && k == ED_NODE_SEQ ? indent : indent + 2, v);
    } else {
        ed_buf_append_str(b, " ");
        append_scalar_at(b, indent + 2, v);
        ed_buf_append_str(b, "\n");
    }
}

/* v as YAML lines at indent (neat's style, as dyff prints added and removed entries). */
static void append_yaml(ed_buf *b, int indent, const ed_node *v)
{
    size_t n = ed_node_len(v);
    if (ed_node_kind_of(v) == ED_NODE_MAP) {
        size_t *order = ed_xmalloc((n ? n : 1) * sizeof(*order));
        key_order(v, order);
        for (size_t i = 0; i < n; i++) {
            ed_buf_printf(b, "%*s%s:", indent, "", ed_node_key_at(v, order[i]));
            append_after_marker(b, indent, ed_node_value_at(v, order[i]), true);
        }
        free(order);
    } else if (ed_node_kind_of(v) == ED_NODE_SEQ) {
        for (size_t i = 0; i < n; i++) {
            const ed_node *item = ed_node_at(v, i);
            ed_node_kind k = ed_node_kind_of(item);
            if ((k == ED_NODE_MAP || k == ED_NODE_SEQ) && ed_node_len(item) > 0) {
                /* the item's first line follows the dash: "- name: a" */
                size_t at = b->len;
                append_yaml(b, indent + 2, item);
                if (b->data && b->len >= at + (size_t)indent + 2)
                    memcpy(b->data + at + indent, "- ", 2);
            } else {
                ed_buf_printf(b, "%*s-", indent, "");
                append_after_marker(b, indent, item, false);
            }
        }
    } else {
        ed_buf_printf(b, "%*s", indent, "");
        append_scalar(b, v);
        ed_buf_append_str(b, "\n");
    }
}

/* The width of a line as a terminal shows it (UTF-8 characters). */
static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* The width dyff lays its blocks out in: the terminal's, 80 when stdout is none. */
static size_t terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/*
 * Text blocks as dyff lays them out after indent spaces: side by side (three spaces apart,
 * each padded to its widest line, trailing blanks cut) when that fits the terminal, else one
 * after the other, each line kept whole and each block followed by an empty line (its final
 * newline).
 */
static void append_blocks(ed_buf *out, int indent, const ed_buf *blocks, size_t n)
{
    size_t *widest = ed_xcalloc(n ? n : 1, sizeof(*widest)), total = (size_t)indent + 3 * (n - 1);
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = blocks[i].data ? blocks[i].data : "";
        size_t lines = 1;
        for (const char *line = s;; lines++) {
            const char *nl = strchr(line, '\n');
            size_t w = text_width(line, nl ? (size_t)(nl - line) : strlen(line));
            widest[i] = w > widest[i] ? w : widest[i];
            if (!nl)
                break;
            line = nl + 1;
        }
        rows = lines > rows ? lines : rows;
        total += widest[i];
    }
    if (total > terminal_width()) {
        for (size_t i = 0; i < n; i++) {
            const char *line = blocks[i].data ? blocks[i].data : "";
            for (;;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                ed_buf_printf(out, "%*s%.*s\n", indent, "", (int)len, line);
                if (!nl)
                    break;
                line = nl + 1;
            }
        }
        free(widest);
        return;
    }
    const char **at = ed_xcalloc(n ? n : 1, sizeof(*at));
    for (size_t i = 0; i < n; i++)
        at[i] = blocks[i].data ? blocks[i].data : "";
    for (size_t r = 0; r < rows; r++) {
        size_t start = out->len;
        for (size_t i = 0; i < n; i++) {
            const char *line = at[i];
            const char *nl = line ? strchr(line, '\n') : NULL;
            size_t len = line ? (nl ? (size_t)(nl - line) : strlen(line)) : 0;
            ed_buf_printf(out, "%s%*s%.*s%*s", i ? "   " : "", indent, "", (int)len,
                          line ? line : "", (int)(widest[i] - text_width(line ? line : "", len)),
                          "");
            at[i] = line && nl ? nl + 1 : NULL;
        }
        while (out->len > start && out->data[out->len - 1] == ' ')
            out->data[--out->len] = '\0';
        if (r + 1 < rows)
            ed_buf_append_str(out, "\n");
    }
    free(at);
    free(widest);
}

/* A group of added or removed entries: the header, then their YAML (added ones indented). */
static void append_group(ed_buf *out, const ed_node *entries, bool added)
{
    bool map = ed_node_kind_of(entries) == ED_NODE_MAP;
    ed_buf_printf(out, "%c ", added ? '+' : '-');
    append_count(out, ed_node_len(entries), map ? "map entry" : "list entry",
                 map ? "map entries" : "list entries");
    ed_buf_printf(out, " %s:\n", added ? "added" : "removed");
    ed_buf yaml = ED_BUF_INIT(16 << 20);
    append_yaml(&yaml, 0, entries);
    append_blocks(out, added ? 2 : 0, &yaml, 1);
    ed_buf_free(&yaml);
}

/* One change: its path, then its blocks laid out as dyff does (freed here). */
static void print_change(FILE *o, const char *path, ed_buf *blocks, size_t n)
{
    fprintf(o, "\n%s\n", *path ? path : "(root level)");
    ed_buf out = ED_BUF_INIT(64 << 20);
    append_blocks(&out, 0, blocks, n);
    fputs(out.data ? out.data : "", o);
    ed_buf_free(&out);
    for (size_t i = 0; i < n; i++)
        ed_buf_free(&blocks[i]);
}

/* The text of a list entry in an order change: a scalar's, else its YAML. */
static void append_entry_text(ed_buf *b, const ed_node *v)
{
    ed_node_kind k = ed_node_kind_of(v);
    if (k == ED_NODE_MAP || k == ED_NODE_SEQ) {
        ed_buf y = ED_BUF_INIT(1 << 20);
        append_yaml(&y, 0, v);
        if (y.len && y.data[y.len - 1] == '\n')
            y.data[--y.len] = '\0';
        ed_buf_append_str(b, y.data ? y.data : "");
        ed_buf_free(&y);
        return;
    }
    append_scalar(b, v);
}

/* "⇆ order changed" with the common entries, old order then new, each on one line. */
static void append_order_change(ed_buf *o, const ed_node *const *from, const ed_node *const *to,
                                size_t n)
{
    ed_buf_append_str(o, "⇆ order changed\n");
    for (int side = 0; side < 2; side++) {
        ed_buf b = ED_BUF_INIT(1 << 20);
        for (size_t i = 0; i < n; i++) {
            if (i)
                ed_buf_append_str(&b, ", ");
            append_entry_text(&b, side ? to[i] : from[i]);
        }
        ed_buf_printf(o, "%c %s\n", side ? '+' : '-', b.data ? b.data : "");
        ed_buf_free(&b);
    }
}

/* dyff's name of a value's type. */
static const char *type_name(ed_node_kind k)
{
    switch (k) {
    case ED_NODE_MAP:
        return "map";
    case ED_NODE_SEQ:
        return "list";
    case ED_NODE_STR:
        return "string";
    case ED_NODE_INT:
        return "int";
    case ED_NODE_FLOAT:
        return "float";
    case ED_NODE_BOOL:
        return "bool";
    default:
        return "<nil>";
    }
}

/* text after prefix, line by line: with every line prefixed (continuous, one final newline
 * dropped first), or with the next lines indented as far as the prefix. */
static void append_prefixed(ed_buf *out, const char *prefix, const char *text, bool continuous)
{
    size_t len = strlen(text);
    if (continuous && len && text[len - 1] == '\n')
        len--;
    for (size_t at = 0, i = 0;; at++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        ed_buf_printf(out, "%s%.*s\n", continuous || at == 0 ? prefix : "  ", (int)(end - i),
                      text + i);
        if (!nl)
            break;
        i = end + 1;
    }
}

/* The lines of a text, each with its newline (the last may have none). */
struct lines {
    const char **at;
    size_t *len, n;
};

static void split_lines(const char *text, struct lines *l)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == '\n';
    l->at = ed_xcalloc(cap, sizeof(*l->at));
    l->len = ed_xcalloc(cap, sizeof(*l->len));
    l->n = 0;
    for (const char *c = text; *c;) {
        const char *nl = strchr(c, '\n');
        size_t n = nl ? (size_t)(nl - c) + 1 : strlen(c);
        l->at[l->n] = c;
        l->len[l->n++] = n;
        c += n;
    }
}

static bool same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* Lines [from, to) of l as one text. */
static char *join_lines(const struct lines *l, size_t from, size_t to)
{
    if (from >= to)
        return ed_xstrdup("");
    size_t n = (size_t)(l->at[to - 1] + l->len[to - 1] - l->at[from]);
    return ed_xstrndup(l->at[from], n);
}

#define LINE_DIFF_MAX_CELLS ((size_t)4 << 20) /* a longest common subsequence table's cap */

/*
 * A change of multi-line text as dyff words it ("± value change in multiline text (one
 * insert, one deletion)"): the lines both share are left out, each run of changed lines is
 * printed as its removed lines ("- ") then its added ones ("+ "), and a blank line ends it.
 * The runs are those between the lines of a longest common subsequence (dyff's line diff
 * finds the same for ordinary edits); past LINE_DIFF_MAX_CELLS the middle is one run.
 */
static void append_multiline_change(ed_buf *out, const char *from, const char *to)
{
    struct lines a, b;
    split_lines(from, &a);
    split_lines(to, &b);
    size_t pre = 0, suf = 0;
    while (pre < a.n && pre < b.n && same_line(&a, pre, &b, pre))
        pre++;
    while (suf < a.n - pre && suf < b.n - pre && same_line(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
        suf++;
    size_t n = a.n - pre - suf, m = b.n - pre - suf;
    /* lcs[i][j]: the longest common subsequence of a's middle from i and b's from j */
    uint32_t *lcs = NULL;
    if (n && m && (n + 1) * (m + 1) <= LINE_DIFF_MAX_CELLS) {
        lcs = ed_xcalloc((n + 1) * (m + 1), sizeof(*lcs));
        for (size_t i = n; i-- > 0;)
            for (size_t j = m; j-- > 0;) {
                uint32_t *c = &lcs[i * (m + 1) + j];
                if (same_line(&a, pre + i, &b, pre + j))
                    *c = lcs[(i + 1) * (m + 1) + j + 1] + 1;
                else {
                    uint32_t down = lcs[(i + 1) * (m + 1) + j], right = lcs[i * (m + 1) + j + 1];
                    *c = down >= right ? down : right;
                }
            }
    }
    ed_buf body = ED_BUF_INIT(64 << 20);
    size_t ins = 0, del = 0, i = 0, j = 0;
    while (i < n || j < m) {
        size_t i0 = i, j0 = j;
        /* one run: up to the next line both keep */
        while (i < n || j < m) {
            bool both = lcs && i < n && j < m;
            if (both && same_line(&a, pre + i, &b, pre + j))
                break;
            /* a's line goes when the rest keeps as much of the common lines without it */
            bool drop_a = both ? lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1] : i < n;
            if (drop_a)
                i++;
            else
                j++;
        }
        if (i > i0) {
            char *t = join_lines(&a, pre + i0, pre + i);
            append_prefixed(&body, "- ", t, true);
            free(t);
            del++;
        }
        if (j > j0) {
            char *t = join_lines(&b, pre + j0, pre + j);
            append_prefixed(&body, "+ ", t, true);
            free(t);
            ins++;
        }
        while (i < n && j < m && same_line(&a, pre + i, &b, pre + j)) {
            i++;
            j++;
        }
    }
    ed_buf_append_str(out, "± value change in multiline text (");
    append_count(out, ins, "insert", "inserts");
    ed_buf_append_str(out, ", ");
    append_count(out, del, "deletion", "deletions");
    ed_buf_printf(out, ")\n%s\n", body.data ? body.data : "");
    ed_buf_free(&body);
    free(lcs);
    free(a.at);
    free(a.len);
    free(b.at);
    free(b.len);
}

/* True when two texts differ only in spaces and newlines at their ends. */
static bool whitespace_only(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b), as = 0, bs = 0;
    while (as < al && (a[as] == ' ' || a[as] == '\n'))
        as++;
    while (al > as && (a[al - 1] == ' ' || a[al - 1] == '\n'))
        al--;
    while (bs < bl && (b[bs] == ' ' || b[bs] == '\n'))
        bs++;
    while (bl > bs && (b[bl - 1] == ' ' || b[bl - 1] == '\n'))
        bl--;
    return al - as == bl - bs && memcmp(a + as, b + bs, al - as) == 0;
}

/* text with its spaces shown as '·' and its newlines as '↵', as dyff shows them. */
static char *shown_whitespace(const char *text)
{
    ed_buf b = ED_BUF_INIT(64 << 20);
    for (const char *c = text; *c; c++) {
        if (*c == ' ')
            ed_buf_append_str(&b, "·");
        else if (*c == '\n')
            ed_buf_append_str(&b, "↵\n");
        else
            ed_buf_append(&b, c, 1);
    }
    char *s = ed_xstrdup(b.data ? b.data : "");
    ed_buf_free(&b);
    return s;
}

/* A changed string as dyff reports it, into blocks (two for a whitespace change, side by
 * side: its old and new text); the number of blocks. */
static size_t append_string_change(ed_buf *blocks, const char *from, const char *to)
{
    if (whitespace_only(from, to)) {
        ed_buf_append_str(&blocks[0], "± whitespace only change\n");
        ed_buf sides[2] = {ED_BUF_INIT(64 << 20), ED_BUF_INIT(64 << 20)};
        for (int side = 0; side < 2; side++) {
            char *shown = shown_whitespace(side ? to : from);
            append_prefixed(&sides[side], side ? "+ " : "- ", shown, false);
            free(shown);
        }
        append_blocks(&blocks[0], 0, sides, 2);
        ed_buf_free(&sides[0]);
        ed_buf_free(&sides[1]);
        return 1;
    }
    if (strchr(from, '\n') || strchr(to, '\n')) {
        append_multiline_change(&blocks[0], from, to);
        return 1;
    }
    ed_buf_append_str(&blocks[0], "± value change\n");
    append_prefixed(&blocks[0], "- ", from, false);
    append_prefixed(&blocks[0], "+ ", to, false);
    return 1;
}

static int diff_nodes(FILE *o, const char *path, const ed_node *a, const ed_node *b);

static char *sub_path(const char *path, const char *element)
{
    return ed_xasprintf("%s%s%s", path, *path ? "." : "", element);
}

/* A mapping: its removed and added keys as one group each, then the keys both hold. */
static int diff_maps(FILE *o, const char *path, const ed_node *a, const ed_node *b)
{
    ed_doc *scratch = ed_doc_new();
    ed_node *removed = ed_node_new_map(scratch), *added = ed_node_new_map(scratch);
    for (size_t i = 0; i < ed_node_len(a); i++)
        if (!ed_node_get(b, ed_node_key_at(a, i)))
            ed_node_set(scratch, removed, ed_node_key_at(a, i),
                        ed_node_copy(scratch, ed_node_value_at(a, i)));
    for (size_t i = 0; i < ed_node_len(b); i++)
        if (!ed_node_get(a, ed_node_key_at(b, i)))
            ed_node_set(scratch, added, ed_node_key_at(b, i),
                        ed_node_copy(scratch, ed_node_value_at(b, i)));
    int n = 0;
    if (ed_node_len(removed) || ed_node_len(added)) {
        ed_buf blocks[2] = {ED_BUF_INIT(64 << 20), ED_BUF_INIT(64 << 20)};
        size_t nblocks = 0;
        if (ed_node_len(removed))
            append_group(&blocks[nblocks++], removed, false);
        if (ed_node_len(added))
            append_group(&blocks[nblocks++], added, true);
        print_change(o, path, blocks, nblocks);
        n++;
    }
    ed_doc_free(scratch);
    for (size_t i = 0; i < ed_node_len(a); i++) {
        const ed_node *other = ed_node_get(b, ed_node_key_at(a, i));
        if (!other)
            continue;
        char *sub = sub_path(path, ed_node_key_at(a, i));
        n += diff_nodes(o, sub, ed_node_value_at(a, i), other);
        free(sub);
    }
    return n;
}

/* The field that names each entry of both lists (dyff's name, key, id, and manager for
 * Kubernetes): a scalar present in every entry with a distinct value; NULL when none. */
static const char *list_identifier(const ed_node *a, const ed_node *b)
{
    static const char *const candidates[] = {"name", "key", "id", "manager"};
    for (size_t c = 0; c < sizeof(candidates) / sizeof(candidates[0]); c++) {
        bool ok = true;
        for (int side = 0; side < 2 && ok; side++) {
            const ed_node *l = side ? b : a;
            for (size_t i = 0; i < ed_node_len(l) && ok; i++) {
                const char *v = ed_node_scalar_text(ed_node_get(ed_node_at(l, i), candidates[c]));
                ok = v != NULL;
                for (size_t j = 0; j < i && ok; j++) {
                    const char *w =
                        ed_node_scalar_text(ed_node_get(ed_node_at(l, j), candidates[c]));
                    ok = strcmp(v, w) != 0;
                }
            }
        }
        if (ok)
            return candidates[c];
    }
    return NULL;
}

/* A list's own change at path: its order change (from, the common entries in a's order, when
 * not NULL, against to, in b's), then the removed and the added entries; 1 when there was any
 * to print, else 0. */
static int print_list_change(FILE *o, const char *path, const ed_node **from, const ed_node **to,
                             size_t ncommon, const ed_node *removed, const ed_node *added)
{
    if (!from && !ed_node_len(removed) && !ed_node_len(added))
        return 0;
    ed_buf blocks[3] = {ED_BUF_INIT(64 << 20), ED_BUF_INIT(64 << 20), ED_BUF_INIT(64 << 20)};
    size_t nblocks = 0;
    if (from)
        append_order_change(&blocks[nblocks++], from, to, ncommon);
    if (ed_node_len(removed))
        append_group(&blocks[nblocks++], removed, false);
    if (ed_node_len(added))
        append_group(&blocks[nblocks++], added, true);
    print_change(o, path, blocks, nblocks);
    return 1;
}

/* The entry of list named name by field id, or NULL. */
static const ed_node *entry_named(const ed_node *list, const char *id, const char *name)
{
    for (size_t i = 0; i < ed_node_len(list); i++) {
        const char *v = ed_node_scalar_text(ed_node_get(ed_node_at(list, i), id));
        if (v && strcmp(v, name) == 0)
            return ed_node_at(list, i);
    }
    return NULL;
}

/* A list of named entries: order change, removed and added entries, then each common one. */
static int diff_named_lists(FILE *o, const char *path, const ed_node *a, const ed_node *b,
                            const char *id)
{
    ed_doc *scratch = ed_doc_new();
    ed_node *removed = ed_node_new_seq(scratch), *added = ed_node_new_seq(scratch);
    size_t na = ed_node_len(a), nb = ed_node_len(b), common = 0, tn = 0;
    const ed_node **from = ed_xcalloc(na + 1, sizeof(const ed_node *));
    const ed_node **to = ed_xcalloc(nb + 1, sizeof(const ed_node *));
    for (size_t i = 0; i < na; i++) {
        const ed_node *e = ed_node_at(a, i);
        if (entry_named(b, id, ed_node_scalar_text(ed_node_get(e, id))))
            from[common++] = ed_node_get(e, id);
        else
            ed_node_append(scratch, removed, ed_node_copy(scratch, e));
    }
    for (size_t i = 0; i < nb; i++) {
        const ed_node *e = ed_node_at(b, i);
        if (entry_named(a, id, ed_node_scalar_text(ed_node_get(e, id))))
            to[tn++] = ed_node_get(e, id);
        else
            ed_node_append(scratch, added, ed_node_copy(scratch, e));
    }
    bool moved = false;
    for (size_t i = 0; i < common && !moved; i++)
        moved = strcmp(ed_node_scalar_text(from[i]), ed_node_scalar_text(to[i])) != 0;
    int n = print_list_change(o, path, moved ? from : NULL, to, common, removed, added);
    for (size_t i = 0; i < na; i++) {
        const ed_node *e = ed_node_at(a, i);
        const char *name = ed_node_scalar_text(ed_node_get(e, id));
        const ed_node *other = entry_named(b, id, name);
        if (!other)
            continue;
        char *sub = sub_path(path, name);
        n += diff_nodes(o, sub, e, other);
        free(sub);
    }
    free(from);
    free(to);
    ed_doc_free(scratch);
    return n;
}

/* How many entries of list equal v. */
static size_t count_equal(const ed_node *list, const ed_node *v)
{
    size_t n = 0;
    for (size_t i = 0; i < ed_node_len(list); i++)
        n += ed_node_equal(ed_node_at(list, i), v);
    return n;
}

/* The entries of a (with their copies when a holds more of them than b) that b lacks into
 * out, those b also holds into common. */
static void list_minus(ed_doc *scratch, ed_node *out, const ed_node *a, const ed_node *b,
                       const ed_node **common, size_t *ncommon)
{
    *ncommon = 0;
    for (size_t i = 0; i < ed_node_len(a); i++) {
        const ed_node *e = ed_node_at(a, i);
        size_t in_a = count_equal(a, e), in_b = count_equal(b, e);
        if (in_b)
            common[(*ncommon)++] = e;
        if (!in_b || (in_a > in_b && count_equal(out, e) == 0)) {
            for (size_t k = 0; k < (in_b ? in_a - in_b : 1); k++)
                ed_node_append(scratch, out, ed_node_copy(scratch, e));
        }
    }
}

/* Any other list, as a multiset (a list of one entry on each side: that entry at ".0"). */
static int diff_simple_lists(FILE *o, const char *path, const ed_node *a, const ed_node *b)
{
    if (ed_node_len(a) == 1 && ed_node_len(b) == 1) {
        char *sub = sub_path(path, "0");
        int n = diff_nodes(o, sub, ed_node_at(a, 0), ed_node_at(b, 0));
        free(sub);
        return n;
    }
    ed_doc *scratch = ed_doc_new();
    ed_node *removed = ed_node_new_seq(scratch), *added = ed_node_new_seq(scratch);
    const ed_node **from = ed_xcalloc(ed_node_len(a) + 1, sizeof(const ed_node *));
    const ed_node **to = ed_xcalloc(ed_node_len(b) + 1, sizeof(const ed_node *));
    size_t nfrom, nto;
    list_minus(scratch, removed, a, b, from, &nfrom);
    list_minus(scratch, added, b, a, to, &nto);
    bool moved = false;
    for (size_t i = 0; nfrom == nto && i < nfrom && !moved; i++)
        moved = !ed_node_equal(from[i], to[i]);
    int n = print_list_change(o, path, moved ? from : NULL, to, nfrom, removed, added);
    free(from);
    free(to);
    ed_doc_free(scratch);
    return n;
}

static int compare_keys(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* v copied into doc with every mapping's keys in byte order, as flux holds an object (a Go
 * map, marshalled sorted) when it compares it. */
static ed_node *sorted_copy(ed_doc *doc, const ed_node *v)
{
    size_t n = ed_node_len(v);
    if (ed_node_kind_of(v) == ED_NODE_SEQ) {
        ed_node *seq = ed_node_new_seq(doc);
        for (size_t i = 0; i < n; i++)
            ed_node_append(doc, seq, sorted_copy(doc, ed_node_at(v, i)));
        return seq;
    }
    if (ed_node_kind_of(v) != ED_NODE_MAP)
        return ed_node_copy(doc, v);
    const char **keys = ed_xmalloc((n ? n : 1) * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        keys[i] = ed_node_key_at(v, i);
    qsort(keys, n, sizeof(*keys), compare_keys);
    ed_node *map = ed_node_new_map(doc);
    for (size_t i = 0; i < n; i++)
        ed_node_append_pair(doc, map, keys[i], sorted_copy(doc, ed_node_get(v, keys[i])));
    free(keys);
    return map;
}

/* Print the changes between a (live) and b (wanted) below path to o; their count. */
static int diff_nodes(FILE *o, const char *path, const ed_node *a, const ed_node *b)
{
    if (ed_node_equal(a, b))
        return 0;
    ed_node_kind ka = ed_node_kind_of(a), kb = ed_node_kind_of(b);
    if (ka == ED_NODE_MAP && kb == ED_NODE_MAP)
        return diff_maps(o, path, a, b);
    if (ka == ED_NODE_SEQ && kb == ED_NODE_SEQ) {
        if (ed_node_len(a) == 0 && ed_node_len(b) == 0)
            return 0;
        const char *id = list_identifier(a, b);
        return id ? diff_named_lists(o, path, a, b, id) : diff_simple_lists(o, path, a, b);
    }
    if (ka == ED_NODE_NULL && kb == ED_NODE_NULL)
        return 0; /* dyff: null however written */
    if (ka == ED_NODE_STR && kb == ED_NODE_STR) {
        ed_buf blocks[2] = {ED_BUF_INIT(64 << 20), ED_BUF_INIT(64 << 20)};
        size_t n = append_string_change(blocks, ed_node_str(a), ed_node_str(b));
        print_change(o, path, blocks, n);
        return 1;
    }
    ed_buf block = ED_BUF_INIT(64 << 20);
    if (ka != kb)
        ed_buf_printf(&block, "± type change from %s to %s\n", type_name(ka), type_name(kb));
    else
        ed_buf_append_str(&block, "± value change\n");
    ed_buf t = ED_BUF_INIT(16 << 20);
    for (int side = 0; side < 2; side++) {
        ed_buf_reset(&t);
        append_yaml(&t, 0, side ? b : a);
        while (t.len && t.data[t.len - 1] == '\n')
            t.data[--t.len] = '\0';
        append_prefixed(&block, side ? "+ " : "- ", t.data ? t.data : "", false);
    }
    ed_buf_free(&t);
    print_change(o, path, &block, 1);
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
        ed_doc *sorted = ed_doc_new();
        diff_nodes(o, "", sorted_copy(sorted, a), sorted_copy(sorted, b));
        ed_doc_free(sorted);
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
    if (argc > 1 && strcmp(argv[1], "artifact") == 0) {
        /* flux's diff artifact exits 1 on any error, as its other verbs */
        int ar = ed_cli_diff_artifact(argc, argv);
        return ar == 2 ? 1 : ar;
    }
    struct ks_args a = {.g = ED_CLI_GLOBAL_INIT};
    int rc = parse_ks_args("diff", argc, argv, &a, false);
    if (rc)
        return rc;
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
