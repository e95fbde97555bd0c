/*
 * kustomize build: find and validate a directory's kustomization file, accumulate its
 * resources (files of YAML documents, and directories that hold a kustomization, built
 * recursively), apply its transformers, and at the top order the result: as `sortOptions` say,
 * else in kustomize's legacy order (`kubectl kustomize`) or as accumulated (Flux's builds).
 *
 * Every path is resolved (symlinks included) and must stay below the build root, so a build
 * reads nothing outside the tree it was given, whatever `..` or symlinks the tree contains.
 * Messages name files relative to the root, never by absolute path, and wrap the way
 * kustomize's do ("accumulating resources from 'base': ...").
 */
#include "kustomize_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_FILE ((size_t)64 << 20)
/* Nested kustomizations deeper than this are refused (a guard against runaway trees; real
 * layouts nest a handful of levels). */
#define MAX_DEPTH 64

struct build {
    char *root; /* realpath of the root */
    size_t rootlen;
    size_t max_file;
    const char *stack[MAX_DEPTH]; /* realpaths of the kustomization dirs being built */
    ed_doc *top;                  /* a copy of the top kustomization, for its final options */
    ed_doc *vars;                 /* the legacy vars declared so far (a sequence) */
    ed_doc *config;               /* the entries of `configurations` read so far (a mapping) */
    /* The field specs of `crds` the kustomization being built sees (a mapping): its own, its
     * components' and those of the kustomizations it accumulated, not its siblings' (kustomize
     * merges a target's transformer configuration into its parent's once built). */
    ed_doc *fields;
    ks_schema schema; /* `openapi`: kustomize's one schema for the build, the first one named */
    char *top_kfile;
    size_t depth;
    const ed_node *overlay; /* Flux's overlay for the top kustomization, or NULL */
    const char *generated;  /* the top kustomization's text when it has no file, or NULL */
    ed_ks_inputs *inputs;   /* where to record what the build reads, or NULL */
    int (*secret_source)(void *, const char *, bool, char **, size_t *, ed_err *);
    void *secret_source_user;
    /* remote targets (ed_ks_options.remote...), and the entries being built, for cycles */
    int (*remote)(void *, const ed_ks_remote *, const char *, ed_err *);
    int (*remote_file)(void *, const char *, size_t, char **, size_t *, ed_err *);
    void *remote_user;
    const char *remote_tmp;
    const char *remotes[MAX_DEPTH];
    size_t nremotes;
    /* the remote target being built, as buildMetadata's origin names it: kustomize's clone
     * spec and ref ("" for none), or NULL in the build's own tree */
    char *origin_repo;
    const char *origin_ref;
    ed_err *err;
};

/* ---- the resource list ---- */

void ks_list_push(ks_list *l, ed_doc *doc)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = ed_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->len++] = (ks_res){.doc = doc};
}

void ks_list_take_all(ks_list *dst, ks_list *src)
{
    for (size_t i = 0; i < src->len; i++) {
        ks_list_push(dst, src->items[i].doc);
        dst->items[dst->len - 1] = src->items[i];
    }
    free(src->items);
    *src = (ks_list){0};
}

void ks_list_free(ks_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        ed_doc_free(l->items[i].doc);
        ks_res_free_history(&l->items[i]);
    }
    free(l->items);
    *l = (ks_list){0};
}

/* ---- paths ---- */

/* path relative to the root, for messages ("." for the root itself); borrowed from path. */
static const char *rel(const struct build *b, const char *path)
{
    ED_ASSERT(path != NULL);
    if (strncmp(path, b->root, b->rootlen) == 0) {
        if (path[b->rootlen] == '\0')
            return ".";
        if (path[b->rootlen] == '/')
            return path + b->rootlen + 1;
    }
    return path;
}

static bool below_root(const struct build *b, const char *real)
{
    return strncmp(real, b->root, b->rootlen) == 0 &&
           (real[b->rootlen] == '\0' || real[b->rootlen] == '/' || b->rootlen == 1);
}

/* True when joining `entry` to a directory below the root stays below it lexically (no `..`
 * climbing above the root, no absolute path elsewhere). dir_rel_depth is the depth of the
 * directory below the root. */
static bool lexically_inside(size_t dir_depth, const char *entry)
{
    return ed_path_within(entry, (long)dir_depth);
}

static size_t depth_below_root(const struct build *b, const char *dir)
{
    const char *r = rel(b, dir);
    if (strcmp(r, ".") == 0)
        return 0;
    size_t d = 1;
    for (; *r; r++)
        if (*r == '/')
            d++;
    return d;
}

/*
 * Resolve `entry` (as written in kfile, in directory dir) to a real path below the root.
 * Returns 0 with *out malloc'd, ED_ENOTFOUND when it does not exist, ED_EINVALID when it leads
 * outside the root.
 */
static int resolve_entry(struct build *b, const char *dir, const char *entry, const char *kfile,
                         char **out)
{
    *out = NULL;
    if (!lexically_inside(depth_below_root(b, dir), entry))
        return ed_err_set(b->err, ED_EINVALID,
                          "%s: resource '%s' is outside the build root (paths must stay below it)",
                          kfile, entry);
    char *joined = ed_xasprintf("%s/%s", dir, entry);
    /* as written: where it resolves to is part of the input, as is its absence */
    ed_ks_inputs_add(b->inputs, ED_KS_INPUT_PROBE, joined);
    char *real = realpath(joined, NULL);
    int saved = errno;
    free(joined);
    if (!real) {
        if (saved == ENOENT || saved == ENOTDIR)
            return ed_err_set(b->err, ED_ENOTFOUND, "%s: missing '%s'", kfile, entry);
        return ed_err_set(b->err, ED_ERROR, "%s: cannot resolve '%s': %s", kfile, entry,
                          strerror(saved));
    }
    if (!below_root(b, real)) {
        free(real);
        return ed_err_set(b->err, ED_EINVALID,
                          "%s: resource '%s' is a symlink leading outside the build root", kfile,
                          entry);
    }
    *out = real;
    return 0;
}

int ks_file_read(const char *real, const char *rel, size_t max, char **data, size_t *len,
                 ed_err *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ed_err_set(err, ED_ERROR, "cannot open '%s': %s", rel, strerror(errno));
    ed_buf buf = ED_BUF_INIT(max);
    int rc = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ed_err_set(err, ED_ERROR, "cannot read '%s': %s", rel, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (ed_buf_append(&buf, chunk, (size_t)n)) {
            rc = ed_err_set(err, ED_ETOOBIG, "'%s' is larger than %zu bytes", rel, max);
            goto cleanup;
        }
    }
    *len = buf.len;
    *data = ed_buf_take(&buf);

cleanup:
    ed_buf_free(&buf);
    close(fd);
    return rc;
}

/* Read a whole file (path is real and below the root), recorded as an input of the build. */
static int read_file(struct build *b, const char *path, char **data, size_t *len)
{
    ed_ks_inputs_add(b->inputs, ED_KS_INPUT_FILE, path);
    return ks_file_read(path, rel(b, path), b->max_file, data, len, b->err);
}

int ks_read_source(struct build *b, const char *dir, const char *entry, const char *kfile,
                   char **data, size_t *len, ed_err *err)
{
    ED_ASSERT(err == b->err);
    *data = NULL;
    *len = 0;
    /* the same rule as for resources: anywhere below the build root (Flux builds with
     * kustomize's LoadRestrictionsNone, inside the source's tree) */
    char *real = NULL;
    int rc = resolve_entry(b, dir, entry, kfile, &real);
    if (rc)
        return rc;
    ED_ASSERT(real != NULL);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        rc = ed_err_set(err, ED_EINVALID, "%s: '%s' must resolve to a file", kfile, entry);
    else
        rc = read_file(b, real, data, len);
    free(real);
    return rc;
}

int ks_secret_source(struct build *b, const char *entry, bool env, char **data, size_t *len)
{
    return b->secret_source ? b->secret_source(b->secret_source_user, entry, env, data, len, b->err)
                            : 0;
}

char *ks_origin_remote(struct build *b, const char *indent)
{
    if (!b->origin_repo)
        return ed_xstrdup("");
    return ed_xasprintf("repo: %s\n%s%s%s%s", b->origin_repo,
                        b->origin_ref && *b->origin_ref ? indent : "",
                        b->origin_ref && *b->origin_ref ? "ref: " : "",
                        b->origin_ref && *b->origin_ref ? b->origin_ref : "",
                        b->origin_ref && *b->origin_ref ? "\n" : "");
}

char *ks_origin_path(struct build *b, const char *path)
{
    /* an http(s) resource: the URL, cleaned as Go's filepath.Join cleans it ("http:/host/x") */
    if (path[0] != '/') {
        char *url = ed_xstrdup(path);
        size_t o = 0;
        for (size_t i = 0; url[i]; i++)
            if (!(url[i] == '/' && o > 0 && url[o - 1] == '/'))
                url[o++] = url[i];
        url[o] = '\0';
        return url;
    }
    /* a remote target's file: relative to its fetched tree (the root while it builds) */
    if (b->origin_repo)
        return ed_xstrdup(rel(b, path));
    const char *top = b->depth > 0 ? b->stack[0] : b->root;
    size_t n = strlen(top);
    if (strncmp(path, top, n) == 0 && path[n] == '/')
        return ed_xstrdup(path + n + 1);
    if (!below_root(b, top))
        return ed_xstrdup(rel(b, path));
    /* outside the top kustomization's directory (an overlay's ../base): relative to it, as
     * kustomize writes it ("../base/deploy.yaml"); both are real paths below the root */
    size_t common = 0;
    for (size_t i = 0; top[i] && top[i] == path[i]; i++)
        if (top[i] == '/')
            common = i;
    if (path[common] != '/' || (top[common] != '/' && top[common] != '\0'))
        return ed_xstrdup(rel(b, path));
    ed_buf out = ED_BUF_INIT(1 << 20);
    for (const char *t = top + common; *t; t++)
        if (*t == '/')
            ed_buf_append_str(&out, "../");
    ed_buf_append_str(&out, path + common + 1);
    return ed_buf_take(&out);
}

/* ---- the kustomization file ---- */

/* Every field of kustomize's Kustomization type. */
static const char *const known_fields[] = {"apiVersion",
                                           "kind",
                                           "metadata",
                                           "openapi",
                                           "namePrefix",
                                           "nameSuffix",
                                           "namespace",
                                           "commonLabels",
                                           "labels",
                                           "commonAnnotations",
                                           "patchesStrategicMerge",
                                           "patchesJson6902",
                                           "patches",
                                           "images",
                                           "imageTags",
                                           "replacements",
                                           "replicas",
                                           "vars",
                                           "sortOptions",
                                           "resources",
                                           "components",
                                           "crds",
                                           "bases",
                                           "configMapGenerator",
                                           "secretGenerator",
                                           "helmGlobals",
                                           "helmCharts",
                                           "helmChartInflationGenerator",
                                           "generatorOptions",
                                           "configurations",
                                           "generators",
                                           "transformers",
                                           "validators",
                                           "buildMetadata",
                                           NULL};

/* The fields this engine implements; the others are refused rather than ignored. */
static const char *const supported_fields[] = {"apiVersion",
                                               "kind",
                                               "metadata",
                                               "namePrefix",
                                               "nameSuffix",
                                               "namespace",
                                               "commonLabels",
                                               "labels",
                                               "commonAnnotations",
                                               "images",
                                               "imageTags",
                                               "replicas",
                                               "resources",
                                               "bases",
                                               "configMapGenerator",
                                               "secretGenerator",
                                               "generatorOptions",
                                               "components",
                                               "patches",
                                               "patchesStrategicMerge",
                                               "patchesJson6902",
                                               "openapi",
                                               "replacements",
                                               "sortOptions",
                                               "buildMetadata",
                                               "vars",
                                               "configurations",
                                               "crds",
                                               "generators",
                                               "transformers",
                                               "validators",
                                               NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

bool ed_ks_supports_field(const char *field)
{
    return in_list(supported_fields, field);
}

/* The kustomization file of dir (a real path), malloc'd; ED_ENOTFOUND when there is none. */
static int find_kfile(struct build *b, const char *dir, char **out)
{
    static const char *const names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};
    *out = NULL;
    char *found = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = ed_xasprintf("%s/%s", dir, names[i]);
        ed_ks_inputs_add(b->inputs, ED_KS_INPUT_PROBE, p); /* the ones missing count too */
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            if (found) {
                free(p);
                free(found);
                return ed_err_set(b->err, ED_EINVALID,
                                  "Found multiple kustomization files under: %s", rel(b, dir));
            }
            found = p;
        } else {
            free(p);
        }
    }
    if (!found)
        return ed_err_set(b->err, ED_ENOTFOUND,
                          "unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
                          "'Kustomization' in directory '%s'",
                          rel(b, dir));
    *out = found;
    return 0;
}

/* Go's json type names, for kustomize's "cannot unmarshal" messages. */
const char *ks_json_type(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_STR:
        return "string";
    case ED_NODE_INT:
    case ED_NODE_FLOAT:
        return "number";
    case ED_NODE_BOOL:
        return "bool";
    case ED_NODE_SEQ:
        return "array";
    case ED_NODE_MAP:
        return "object";
    default:
        return "null";
    }
}

static int type_error(struct build *b, const char *kfile, const ed_node *n, const char *field,
                      const char *want)
{
    return ed_err_set(b->err, ED_EINVALID,
                      "%s: invalid Kustomization: json: cannot unmarshal %s into Go struct field "
                      "Kustomization.%s of type %s",
                      kfile, ks_json_type(n), field, want);
}

/* A mapping of strings to strings (labels, annotations, selectors); null is allowed. */
static int check_string_map(struct build *b, const char *kfile, const ed_node *n, const char *field)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_MAP)
        return type_error(b, kfile, n, field, "map[string]string");
    for (size_t i = 0; i < ed_node_len(n); i++)
        if (ed_node_kind_of(ed_node_value_at(n, i)) != ED_NODE_STR)
            return type_error(b, kfile, ed_node_value_at(n, i), field, "string");
    return 0;
}

static int check_string(struct build *b, const char *kfile, const ed_node *n, const char *field)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL || ed_node_kind_of(n) == ED_NODE_STR)
        return 0;
    return type_error(b, kfile, n, field, "string");
}

static int check_string_seq(struct build *b, const char *kfile, const ed_node *n, const char *field)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_SEQ)
        return type_error(b, kfile, n, field, "[]string");
    for (size_t i = 0; i < ed_node_len(n); i++)
        if (ed_node_kind_of(ed_node_at(n, i)) != ED_NODE_STR)
            return type_error(b, kfile, ed_node_at(n, i), field, "string");
    return 0;
}

/* A sequence of mappings whose listed keys (if present) hold values of the given kinds. */
struct key_kind {
    const char *key;
    ed_node_kind kind;
    const char *go_type;
};

static int check_seq_of_maps(struct build *b, const char *kfile, const ed_node *n,
                             const char *field, const char *elem_type, const struct key_kind *keys,
                             size_t nkeys)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_SEQ)
        return type_error(b, kfile, n, field, elem_type);
    for (size_t i = 0; i < ed_node_len(n); i++) {
        const ed_node *item = ed_node_at(n, i);
        if (ed_node_kind_of(item) != ED_NODE_MAP)
            return type_error(b, kfile, item, field, elem_type + 2);
        for (size_t k = 0; k < ed_node_len(item); k++) {
            const char *key = ed_node_key_at(item, k);
            const ed_node *v = ed_node_value_at(item, k);
            size_t j = 0;
            while (j < nkeys && strcmp(keys[j].key, key) != 0)
                j++;
            if (j == nkeys)
                return ed_err_set(b->err, ED_EINVALID,
                                  "%s: invalid Kustomization: json: unknown field \"%s\"", kfile,
                                  key);
            if (ed_node_kind_of(v) != keys[j].kind && ed_node_kind_of(v) != ED_NODE_NULL) {
                char *f = ed_xasprintf("%s.%s", field, key);
                int rc = type_error(b, kfile, v, f, keys[j].go_type);
                free(f);
                return rc;
            }
            if (keys[j].kind == ED_NODE_MAP && check_string_map(b, kfile, v, key))
                return ED_EINVALID;
        }
    }
    return 0;
}

/* Go decodes a null into a string of a map[string]string as "": do the same in the string
 * maps of a kustomization (labels, annotations, generator options). */
static void null_values_empty(ed_doc *doc, ed_node *map)
{
    if (ed_node_kind_of(map) != ED_NODE_MAP)
        return;
    for (size_t i = 0; i < ed_node_len(map); i++)
        if (ed_node_kind_of(ed_node_value_at(map, i)) == ED_NODE_NULL)
            ed_node_set(doc, map, ed_node_key_at(map, i), ed_node_new_str(doc, ""));
}

static void null_strings_empty(ed_doc *doc, ed_node *kz)
{
    null_values_empty(doc, ed_node_get(kz, "commonLabels"));
    null_values_empty(doc, ed_node_get(kz, "commonAnnotations"));
    ed_node *labels = ed_node_get(kz, "labels");
    for (size_t i = 0; i < ed_node_len(labels); i++)
        null_values_empty(doc, ed_node_get(ed_node_at(labels, i), "pairs"));
    ed_node *opts = ed_node_get(kz, "generatorOptions");
    null_values_empty(doc, ed_node_get(opts, "labels"));
    null_values_empty(doc, ed_node_get(opts, "annotations"));
    static const char *const gens[] = {"configMapGenerator", "secretGenerator"};
    for (size_t g = 0; g < 2; g++) {
        ed_node *seq = ed_node_get(kz, gens[g]);
        for (size_t i = 0; i < ed_node_len(seq); i++) {
            ed_node *o = ed_node_get(ed_node_at(seq, i), "options");
            null_values_empty(doc, ed_node_get(o, "labels"));
            null_values_empty(doc, ed_node_get(o, "annotations"));
        }
    }
}

/* Check every field of the kustomization kz (read from kfile) for name and type. */
static int check_kustomization(struct build *b, const char *kfile, const ed_node *kz)
{
    static const struct key_kind label_keys[] = {
        {"pairs", ED_NODE_MAP, "map[string]string"},
        {"includeSelectors", ED_NODE_BOOL, "bool"},
        {"includeTemplates", ED_NODE_BOOL, "bool"},
        {"fields", ED_NODE_SEQ, "[]types.FieldSpec"},
    };
    static const struct key_kind image_keys[] = {
        {"name", ED_NODE_STR, "string"},      {"newName", ED_NODE_STR, "string"},
        {"newTag", ED_NODE_STR, "string"},    {"digest", ED_NODE_STR, "string"},
        {"tagSuffix", ED_NODE_STR, "string"},
    };
    static const struct key_kind replica_keys[] = {
        {"name", ED_NODE_STR, "string"},
        {"count", ED_NODE_INT, "int64"},
    };
    for (size_t i = 0; i < ed_node_len(kz); i++) {
        const char *key = ed_node_key_at(kz, i);
        if (!in_list(known_fields, key))
            return ed_err_set(b->err, ED_EINVALID,
                              "%s: invalid Kustomization: json: unknown field \"%s\"", kfile, key);
        const ed_node *v = ed_node_value_at(kz, i);
        /* Flux's kustomize-controller builds with Helm disabled: kustomize's own error */
        if ((strcmp(key, "helmCharts") == 0 || strcmp(key, "helmChartInflationGenerator") == 0) &&
            ed_node_len(v) > 0)
            return ed_err_set(b->err, ED_EINVALID,
                              "%s: %s: Helm chart inflation is disabled, as in Flux's "
                              "kustomize-controller (kustomize: must specify --enable-helm); a "
                              "HelmRelease installs a chart",
                              kfile, key);
        /* empty lists and helmGlobals (which only helmCharts read) change nothing */
        bool inert = strcmp(key, "helmGlobals") == 0 || ed_node_kind_of(v) == ED_NODE_NULL ||
                     (ed_node_kind_of(v) == ED_NODE_SEQ && ed_node_len(v) == 0);
        if (!in_list(supported_fields, key) && !inert)
            return ed_err_set(b->err, ED_EINVALID,
                              "%s: kustomization field '%s' is not supported by eddy yet", kfile,
                              key);
    }
    const char *kind = ed_node_str(ed_node_get(kz, "kind"));
    if (kind && *kind && strcmp(kind, "Kustomization") != 0 && strcmp(kind, "Component") != 0)
        return ed_err_set(b->err, ED_EINVALID, "%s: kind '%s' is not supported here", kfile, kind);
    /* kustomize's rule: an apiVersion, when given, is the one of the kind */
    const char *api = ed_node_str(ed_node_get(kz, "apiVersion"));
    bool component = kind && strcmp(kind, "Component") == 0;
    const char *want_api =
        component ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1";
    if (api && *api && strcmp(api, want_api) != 0)
        return ed_err_set(b->err, ED_EINVALID, "%s: apiVersion for %s should be %s", kfile,
                          component ? "Component" : "Kustomization", want_api);
    int rc = ks_generators_check(kz, kfile, b->err);
    /* The fields that are a string, a map of strings or a list of strings, in this order. */
    static const struct {
        const char *field;
        int (*check)(struct build *b, const char *kfile, const ed_node *n, const char *field);
    } plain[] = {
        {"apiVersion", check_string},       {"namespace", check_string},
        {"namePrefix", check_string},       {"nameSuffix", check_string},
        {"commonLabels", check_string_map}, {"commonAnnotations", check_string_map},
        {"resources", check_string_seq},    {"bases", check_string_seq},
        {"components", check_string_seq},   {"generators", check_string_seq},
        {"transformers", check_string_seq}, {"validators", check_string_seq},
    };
    for (size_t i = 0; !rc && i < sizeof(plain) / sizeof(plain[0]); i++)
        rc = plain[i].check(b, kfile, ed_node_get(kz, plain[i].field), plain[i].field);
    const ed_node *repls = ed_node_get(kz, "replacements");
    if (!rc && repls && ed_node_kind_of(repls) != ED_NODE_SEQ &&
        ed_node_kind_of(repls) != ED_NODE_NULL)
        rc = type_error(b, kfile, repls, "replacements", "[]types.ReplacementField");
    for (size_t i = 0; !rc && i < ed_node_len(repls); i++)
        if (ed_node_kind_of(ed_node_at(repls, i)) != ED_NODE_MAP)
            rc = type_error(b, kfile, ed_node_at(repls, i), "replacements",
                            "types.ReplacementField");
    if (!rc)
        rc = check_seq_of_maps(b, kfile, ed_node_get(kz, "labels"), "labels", "[]types.Label",
                               label_keys, 4);
    if (!rc)
        rc = check_seq_of_maps(b, kfile, ed_node_get(kz, "images"), "images", "[]types.Image",
                               image_keys, 5);
    const ed_node *helm = ed_node_get(kz, "helmGlobals");
    if (!rc && helm && ed_node_kind_of(helm) != ED_NODE_MAP &&
        ed_node_kind_of(helm) != ED_NODE_NULL)
        rc = type_error(b, kfile, helm, "helmGlobals", "types.HelmGlobals");
    if (!rc)
        rc = check_seq_of_maps(b, kfile, ed_node_get(kz, "imageTags"), "imageTags", "[]types.Image",
                               image_keys, 5);
    if (!rc)
        rc = check_seq_of_maps(b, kfile, ed_node_get(kz, "replicas"), "replicas", "[]types.Replica",
                               replica_keys, 2);
    static const struct key_kind field_spec_keys[] = {
        {"group", ED_NODE_STR, "string"}, {"version", ED_NODE_STR, "string"},
        {"kind", ED_NODE_STR, "string"},  {"path", ED_NODE_STR, "string"},
        {"create", ED_NODE_BOOL, "bool"},
    };
    const ed_node *labels = ed_node_get(kz, "labels");
    for (size_t i = 0; !rc && i < ed_node_len(labels); i++)
        rc = check_seq_of_maps(b, kfile, ed_node_get(ed_node_at(labels, i), "fields"),
                               "labels.fields", "[]types.FieldSpec", field_spec_keys, 5);
    return rc;
}

/* kustomize's fix of the deprecated `imageTags`: its entries go after those of `images`. */
static void fold_image_tags(ed_doc *kdoc)
{
    ed_node *kz = ed_doc_root(kdoc);
    const ed_node *tags = ed_node_get(kz, "imageTags");
    if (ed_node_len(tags) > 0) {
        ed_node *images = ed_node_get(kz, "images");
        if (ed_node_kind_of(images) != ED_NODE_SEQ) {
            images = ed_node_new_seq(kdoc);
            ed_node_set(kdoc, kz, "images", images);
        }
        for (size_t i = 0; i < ed_node_len(tags); i++)
            ed_node_append(kdoc, images, ed_node_copy(kdoc, ed_node_at(tags, i)));
    }
    ed_node_remove(kz, "imageTags");
}

/* ---- files named by a kustomization (patch.c reads its patch files through this) ---- */

struct ks_loader {
    struct build *b;
    const char *dir;   /* real path of the kustomization's directory */
    const char *kfile; /* the kustomization file, for messages */
};

int ks_loader_read(ks_loader *ld, const char *entry, char **data, size_t *len, ed_err *err)
{
    ED_ASSERT(ld->b->err == err);
    /* anywhere below the build root, as resources and generator files: Flux builds with
     * kustomize's LoadRestrictionsNone, so an overlay may name ../patches/x.yaml */
    char *real = NULL;
    int rc = resolve_entry(ld->b, ld->dir, entry, ld->kfile, &real);
    if (!rc)
        rc = read_file(ld->b, real, data, len);
    free(real);
    return rc;
}

int ks_loader_read_source(ks_loader *ld, const char *entry, char **data, size_t *len, ed_err *err)
{
    int rc = ks_loader_read(ld, entry, data, len, err);
    if (!rc && (rc = ks_secret_source(ld->b, entry, false, data, len)) != 0)
        ed_err_wrap(err, "%s", ld->kfile);
    return rc;
}

/* ---- accumulation ---- */

/* What a kustomization directory is built as: the root of the build, a resource of another
 * kustomization, or a component (kind Component) applied to its parent's resources. */
enum role {
    ROLE_TOP,
    ROLE_RESOURCE,
    ROLE_COMPONENT
};

static int build_dir(struct build *b, const char *dir, enum role role, ks_list *out);

/* The namespace kustomize compares ids by: none for a cluster-scoped kind, and "" is
 * "default". */
static const char *effective_ns(const ks_id *id)
{
    if (ks_is_cluster_scoped(id))
        return "";
    return *id->ns ? id->ns : "default";
}

static bool is_list_kind(const ed_node *root)
{
    const char *kind = ed_node_path_str(root, "/kind");
    return kind && ed_str_has_suffix(kind, "List");
}

struct doc_queue {
    ed_doc **items;
    size_t len, cap;
};

static void queue_push(struct doc_queue *q, ed_doc *d)
{
    if (q->len == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->items = ed_xrealloc(q->items, q->cap * sizeof(ed_doc *));
    }
    q->items[q->len++] = d;
}

static int items_error(struct build *b, const char *path, const ed_node *list, const ed_node *items)
{
    return ed_err_set(b->err, ED_EINVALID, "%s: line %d: expected array in %s/items, but found %s",
                      rel(b, path), ed_node_line(items), ed_node_path_str(list, "/kind"),
                      ed_node_kind_name(ed_node_kind_of(items)));
}

/* Copy the items of a list into q as documents, a list among them replaced by its own items
 * in place; null items are dropped. */
static int list_items(struct build *b, const char *path, const ed_node *list, int depth,
                      struct doc_queue *q)
{
    const ed_node *items = ed_node_get(list, "items");
    if (ed_node_kind_of(items) != ED_NODE_SEQ && ed_node_kind_of(items) != ED_NODE_NULL)
        return items_error(b, path, list, items);
    if (depth > ED_DOC_MAX_DEPTH)
        return ed_err_set(b->err, ED_EINVALID, "%s: lists nested too deep", rel(b, path));
    for (size_t k = 0; k < ed_node_len(items); k++) {
        const ed_node *item = ed_node_at(items, k);
        if (ed_node_kind_of(item) == ED_NODE_NULL)
            continue;
        if (ed_node_kind_of(item) == ED_NODE_MAP && is_list_kind(item) &&
            ed_node_get(item, "items")) {
            int rc = list_items(b, path, item, depth + 1, q);
            if (rc)
                return rc;
            continue;
        }
        ed_doc *one = ed_doc_new();
        ed_doc_set_root(one, ed_node_copy(one, item));
        queue_push(q, one);
        /* kustomize reads the items through Go maps */
        if (ks_timestamps_as_go(one, true, b->err))
            return ed_err_wrap(b->err, "%s: %s item %zu", rel(b, path),
                               ed_node_path_str(list, "/kind"), k);
    }
    return 0;
}

/* kustomize's inlining of lists (`kind: List`, `ConfigMapList`, ...): a document whose kind
 * ends in "List" and that has `items` is replaced by its items (a list among them by its own
 * items, in place), which join the end of the file's documents: they come after the
 * documents that follow the list. Null items are dropped; `items: null` or `[]` adds
 * nothing; a "List" without `items` stays an object (its name may be missing). *docs and *n
 * are replaced. */
static int inline_lists(struct build *b, const char *path, ed_doc ***docs, size_t *n)
{
    struct doc_queue q = {*docs, *n, *n};
    struct doc_queue kept = {0};
    int rc = 0;
    size_t i = 0;
    for (; i < q.len && !rc; i++) {
        ed_doc *d = q.items[i];
        q.items[i] = NULL;
        ed_node *root = ed_doc_root(d);
        if (ed_node_kind_of(root) != ED_NODE_MAP || !is_list_kind(root) ||
            !ed_node_get(root, "items")) {
            queue_push(&kept, d);
            continue;
        }
        rc = list_items(b, path, root, 0, &q);
        ed_doc_free(d);
    }
    for (; i < q.len; i++)
        ed_doc_free(q.items[i]); /* what an error left */
    free(q.items);
    if (rc) {
        ed_doc_list_free(kept.items, kept.len);
        *docs = NULL;
        *n = 0;
        return rc;
    }
    *docs = kept.items;
    *n = kept.len;
    return 0;
}

/* An object's kind or name: a non-empty string. kustomize takes any scalar as written there
 * (`name: 5`), which the API server then refuses; eddy refuses it at once, saying so. */
static int check_id_field(struct build *b, const char *path, const ed_node *root,
                          const char *pointer, const char *field)
{
    const ed_node *v = ed_node_path(root, pointer);
    const char *s = ed_node_str(v);
    if (s && *s)
        return 0;
    if (!v || ed_node_kind_of(v) == ED_NODE_NULL || (s && !*s))
        return ed_err_set(b->err, ED_EINVALID, "%s: line %d: missing %s in object", rel(b, path),
                          ed_node_line(root), field);
    const char *kind = ed_node_kind_name(ed_node_kind_of(v));
    const char *text = ed_node_scalar_text(v);
    return ed_err_set(b->err, ED_EINVALID, "%s: line %d: %s must be a string, not %s %s%s%s%s",
                      rel(b, path), ed_node_line(root), field,
                      strchr("aeiou", kind[0]) ? "an" : "a", kind, text ? " (" : "",
                      text ? text : "", text ? ")" : "");
}

/* A resource file: every document must be an object with a kind and a name (a list's items
 * take its place). */
static int load_data(struct build *b, const char *path, char *data, size_t len, ks_list *out);

static int load_file(struct build *b, const char *path, ks_list *out)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(b, path, &data, &len);
    if (rc)
        return rc;
    return load_data(b, path, data, len, out);
}

/* The documents of a resource file read from path (a file below the root, or a URL), data
 * (taken) its bytes. */
static int load_data(struct build *b, const char *path, char *data, size_t len, ks_list *out)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    int rc = ed_doc_parse_yaml(data, len, rel(b, path), &docs, &n, b->err);
    if (!rc)
        rc = inline_lists(b, path, &docs, &n);
    if (rc)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        ed_node *root = ed_doc_root(docs[i]);
        ks_drop_merge_keys(root, 0);
        if (ed_node_kind_of(root) != ED_NODE_MAP) {
            rc = ed_err_set(b->err, ED_EINVALID,
                            "%s: line %d: a resource must be a mapping, not a %s", rel(b, path),
                            ed_node_line(root), ed_node_kind_name(ed_node_kind_of(root)));
            goto cleanup;
        }
        if ((rc = check_id_field(b, path, root, "/kind", "kind")) != 0)
            goto cleanup;
        if (is_list_kind(root) && !ed_node_get(root, "metadata")) {
            /* kustomize prints a list it kept with `metadata: {}` */
            ed_node_set(docs[i], root, "metadata", ed_node_new_map(docs[i]));
        } else if (is_list_kind(root)) {
            /* a list needs no name */
        } else if ((rc = check_id_field(b, path, root, "/metadata/name", "metadata.name")) != 0) {
            goto cleanup;
        }
    }
    /* one file may not hold an id twice either (a list's items included) */
    ed_strmap *seen = ed_strmap_new();
    for (size_t i = 0; i < n && !rc; i++) {
        ks_id id;
        ks_id_of(ed_doc_root(docs[i]), &id);
        char *key = ed_xasprintf("%.*s/%s/%s/%s/%s", (int)id.group_len, id.group, id.version,
                                 id.kind, id.name, effective_ns(&id));
        if (ed_strmap_has(seen, key)) {
            char *s = ks_id_string(&id);
            rc = ed_err_set(b->err, ED_EINVALID,
                            "%s: may not add resource with an already registered id: %s",
                            rel(b, path), s);
            free(s);
        } else {
            ed_strmap_put(seen, key, NULL);
        }
        free(key);
    }
    ed_strmap_free(seen);
    if (rc)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        ks_list_push(out, docs[i]);
        docs[i] = NULL;
        char *op = ks_origin_path(b, path);
        char *remote = ks_origin_remote(b, "");
        out->items[out->len - 1].origin = ed_xasprintf("path: %s\n%s", op, remote);
        free(remote);
        free(op);
    }

cleanup:
    ed_doc_list_free(docs, n);
    free(data);
    return rc;
}

static bool same_id(const ks_id *a, const ks_id *b)
{
    return a->group_len == b->group_len && strncmp(a->group, b->group, a->group_len) == 0 &&
           strcmp(a->version, b->version) == 0 && strcmp(a->kind, b->kind) == 0 &&
           strcmp(a->name, b->name) == 0 && strcmp(effective_ns(a), effective_ns(b)) == 0;
}

/* Append add to acc, refusing an id acc already holds (kustomize's "already registered id").
 * The ids of add are computed once and each of acc's once (not once per pair). */
static int merge(struct build *b, ks_list *acc, ks_list *add, const char *entry)
{
    ks_id *ids = ed_xcalloc(add->len ? add->len : 1, sizeof(*ids));
    for (size_t i = 0; i < add->len; i++)
        ks_id_of(ed_doc_root(add->items[i].doc), &ids[i]);
    size_t first = add->len; /* the first of add already registered, reported as kustomize does */
    for (size_t j = 0; j < acc->len; j++) {
        ks_id other;
        ks_id_of(ed_doc_root(acc->items[j].doc), &other);
        for (size_t i = 0; i < first; i++)
            if (same_id(&ids[i], &other))
                first = i;
    }
    int rc = 0;
    if (first < add->len) {
        char *s = ks_id_string(&ids[first]);
        rc = ed_err_set(b->err, ED_EINVALID,
                        "merging resources from '%s': may not add resource with an already "
                        "registered id: %s",
                        entry, s);
        free(s);
    }
    free(ids);
    if (!rc)
        ks_list_take_all(acc, add);
    return rc;
}

static bool looks_remote(const char *entry)
{
    return strstr(entry, "://") || ed_str_has_prefix(entry, "git@") ||
           ed_str_has_prefix(entry, "github.com/") || ed_str_has_prefix(entry, "gitlab.com/") ||
           ed_str_has_prefix(entry, "bitbucket.org/");
}

/* The tree of remote target entry (of kfile), fetched into a directory of its own and built
 * there as role with that directory as the root, into acc. */
static int build_remote(struct build *b, const char *kfile, const char *entry, enum role role,
                        ks_list *acc)
{
    for (size_t i = 0; i < b->nremotes; i++)
        if (ed_str_has_prefix(b->remotes[i], entry))
            return ed_err_set(b->err, ED_EINVALID,
                              "cycle detected: URI '%s' referenced by previous URI '%s'", entry,
                              b->remotes[i]);
    if (b->nremotes == MAX_DEPTH)
        return ed_err_set(b->err, ED_EINVALID, "remote targets nested deeper than %d levels",
                          MAX_DEPTH);
    ed_ks_remote r;
    int rc = ed_ks_remote_parse(entry, &r, b->err);
    if (rc)
        return rc;
    const char *tmp = b->remote_tmp;
    if (!tmp || !*tmp)
        tmp = getenv("TMPDIR");
    char *dest = ed_xasprintf("%s/kustomize-remote-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *top = NULL, *real = NULL, *want = NULL;
    if (!mkdtemp(dest)) {
        rc = ed_err_set(b->err, ED_ERROR, "%s: cannot make a directory for '%s': %s", kfile, entry,
                        strerror(errno));
        free(dest);
        ed_ks_remote_clear(&r);
        return rc;
    }
    /* the build's output now depends on more than its tree */
    ed_ks_inputs_add(b->inputs, ED_KS_INPUT_PROBE, dest);
    rc = b->remote(b->remote_user, &r, dest, b->err);
    if (!rc) {
        top = realpath(dest, NULL);
        if (!top)
            rc = ed_err_set(b->err, ED_ERROR, "cannot resolve '%s': %s", dest, strerror(errno));
    }
    if (!rc && top) {
        want = ed_xasprintf("%s%s%s", top, *r.path ? "/" : "", r.path);
        real = realpath(want, NULL);
        struct stat st;
        size_t n = strlen(top);
        if (!real)
            rc = ed_err_set(b->err, ED_ENOTFOUND, "'%s' does not exist in '%s'", r.path, r.repo);
        else if (strncmp(real, top, n) != 0 || (real[n] != '\0' && real[n] != '/'))
            rc = ed_err_set(b->err, ED_EINVALID, "'%s' refers to a directory outside of repo '%s'",
                            r.path, r.repo);
        else if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = ed_err_set(b->err, ED_EINVALID,
                            "'%s' refers to a file of '%s'; expecting directory", r.path, r.repo);
    }
    if (!rc && top && real) {
        char *outer = b->root;
        size_t outer_len = b->rootlen;
        b->root = top;
        b->rootlen = strlen(top);
        b->remotes[b->nremotes++] = entry;
        char *outer_repo = b->origin_repo;
        const char *outer_ref = b->origin_ref;
        /* kustomize's clone spec: the repository as the entry wrote it (no ".git" added) */
        size_t rl = strlen(r.repo);
        b->origin_repo = !strstr(entry, ".git") && rl > 4 && strcmp(r.repo + rl - 4, ".git") == 0
                             ? ed_xstrndup(r.repo, rl - 4)
                             : ed_xstrdup(r.repo);
        b->origin_ref = r.ref;
        rc = build_dir(b, real, role, acc);
        free(b->origin_repo);
        b->origin_repo = outer_repo;
        b->origin_ref = outer_ref;
        b->nremotes--;
        b->root = outer;
        b->rootlen = outer_len;
    }
    ed_path_remove_tree(dest);
    free(want);
    free(real);
    free(top);
    free(dest);
    ed_ks_remote_clear(&r);
    return rc;
}

static bool is_http_url(const char *entry)
{
    return strncasecmp(entry, "http://", 7) == 0 || strncasecmp(entry, "https://", 8) == 0;
}

/* A remote entry of `resources`: an http(s) URL is read as a file first, as kustomize does,
 * then (unless the server answered with an error for what is no repository) as a repository. */
static int accumulate_remote(struct build *b, const char *kfile, const char *entry, ks_list *acc)
{
    if (!b->remote)
        return ed_err_set(b->err, ED_EINVALID,
                          "%s: remote resource '%s' is not allowed (remote bases are disabled)",
                          kfile, entry);
    if (!is_http_url(entry) || !b->remote_file)
        return build_remote(b, kfile, entry, ROLE_RESOURCE, acc);
    char *data = NULL;
    size_t len = 0;
    ed_ks_inputs_add(b->inputs, ED_KS_INPUT_PROBE, entry); /* not in the tree: incomplete */
    int rc = b->remote_file(b->remote_user, entry, b->max_file, &data, &len, b->err);
    ed_ks_remote probe;
    ed_err ignored = ED_ERR_INIT;
    bool repo = ed_ks_remote_parse(entry, &probe, &ignored) == 0;
    if (repo)
        ed_ks_remote_clear(&probe);
    if (rc == 0) {
        ks_list add = {0};
        rc = load_data(b, entry, data, len, &add);
        if (rc == 0) {
            ks_list_take_all(acc, &add);
            return 0;
        }
        ks_list_free(&add);
        /* not a resource file (an HTML page of a repository's web view): maybe a repository */
        if (!repo)
            return rc;
    } else if (!repo || rc == ED_ETOOBIG) {
        return rc;
    }
    char first[ED_ERR_MSG_MAX];
    snprintf(first, sizeof(first), "%s", b->err->msg);
    rc = build_remote(b, kfile, entry, ROLE_RESOURCE, acc);
    if (rc)
        ed_err_wrap(b->err, "accumulation err='%s'", first);
    return rc;
}

/* One entry of `resources` (or `bases`), written in kfile of directory dir. */
static int accumulate(struct build *b, const char *dir, const char *kfile, const char *entry,
                      ks_list *acc)
{
    char *real = NULL;
    ks_list add = {0};
    int rc;
    if (looks_remote(entry)) {
        rc = accumulate_remote(b, kfile, entry, &add);
        if (!rc) {
            rc = merge(b, acc, &add, entry);
            goto cleanup;
        }
        goto wrap;
    }
    rc = resolve_entry(b, dir, entry, kfile, &real);
    if (rc)
        goto wrap;
    ED_ASSERT(real != NULL);
    struct stat st;
    if (stat(real, &st) != 0) {
        rc =
            ed_err_set(b->err, ED_ERROR, "%s: cannot stat '%s': %s", kfile, entry, strerror(errno));
        goto wrap;
    }
    if (S_ISDIR(st.st_mode))
        rc = build_dir(b, real, ROLE_RESOURCE, &add);
    else
        rc = load_file(b, real, &add);
    if (!rc) {
        rc = merge(b, acc, &add, entry); /* its message names the entry already */
        goto cleanup;
    }

wrap:
    ed_err_wrap(b->err, "accumulating resources from '%s'", entry);
cleanup:
    ks_list_free(&add);
    free(real);
    return rc;
}

int ks_accumulate(struct build *b, const char *dir, const char *kfile, const char *entry,
                  ks_list *acc)
{
    /* kustomize reads plugin configs into an accumulator of their own: a directory's crds
     * field specs stay there */
    ed_doc *outer = b->fields, *scratch = ed_doc_new();
    ed_doc_set_root(scratch, ed_node_new_map(scratch));
    b->fields = scratch;
    int rc = accumulate(b, dir, kfile, entry, acc);
    b->fields = outer;
    ed_doc_free(scratch);
    return rc;
}

/* One entry of `components`: a directory whose kustomization (kind Component) adds its
 * resources and generators to acc and applies its transformers to all of acc. */
static int accumulate_component(struct build *b, const char *dir, const char *kfile,
                                const char *entry, ks_list *acc)
{
    char *real = NULL;
    int rc;
    if (looks_remote(entry)) {
        if (b->remote)
            rc = build_remote(b, kfile, entry, ROLE_COMPONENT, acc);
        else
            rc = ed_err_set(b->err, ED_EINVALID,
                            "%s: remote component '%s' is not allowed (remote bases are disabled)",
                            kfile, entry);
        goto cleanup;
    }
    rc = resolve_entry(b, dir, entry, kfile, &real);
    if (rc)
        goto cleanup;
    ED_ASSERT(real != NULL);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = ed_err_set(b->err, ED_EINVALID, "%s: component '%s' is not a directory", kfile, entry);
        goto cleanup;
    }
    rc = build_dir(b, real, ROLE_COMPONENT, acc);

cleanup:
    if (rc)
        ed_err_wrap(b->err, "accumulating components");
    free(real);
    return rc;
}

/* kustomize refuses a kustomization that decodes to nothing: every field other than apiVersion
 * and kind absent, null or a zero scalar (an empty list or mapping counts as content). */
static bool kustomization_empty(const ed_node *kz)
{
    for (size_t i = 0; i < ed_node_len(kz); i++) {
        const char *key = ed_node_key_at(kz, i);
        const ed_node *v = ed_node_value_at(kz, i);
        if (strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0)
            continue;
        bool b = false;
        int64_t n = 0;
        switch (ed_node_kind_of(v)) {
        case ED_NODE_NULL:
            continue;
        case ED_NODE_STR:
            if (!*ed_node_str(v))
                continue;
            return false;
        case ED_NODE_BOOL:
            if (ed_node_bool(v, &b) && !b)
                continue;
            return false;
        case ED_NODE_INT:
            if (ed_node_int(v, &n) && n == 0)
                continue;
            return false;
        default:
            return false;
        }
    }
    return true;
}

/* kustomize's rule: a component is kind Component, and nothing else is. */
static int check_role(struct build *b, const char *dir, const ed_node *kz, enum role role)
{
    const char *kind = ed_node_str(ed_node_get(kz, "kind"));
    bool component = kind && strcmp(kind, "Component") == 0;
    if (role == ROLE_COMPONENT && !component)
        return ed_err_set(b->err, ED_EINVALID,
                          "expected kind 'Component' for path '%s' but got '%s'", rel(b, dir),
                          kind && *kind ? kind : "Kustomization");
    if (role == ROLE_RESOURCE && component)
        return ed_err_set(b->err, ED_EINVALID, "expected kind != 'Component' for path '%s'",
                          rel(b, dir));
    return 0;
}

/* Build the kustomization in dir (a real path below the root) into out; a component works on
 * out (its parent's resources) directly. */
static int build_dir(struct build *b, const char *dir, enum role role, ks_list *out)
{
    char *kpath = NULL, *data = NULL;
    ed_doc **docs = NULL;
    size_t ndocs = 0, len = 0;
    ks_list acc = {0};
    ks_patch_set *patches = NULL;
    ed_doc *outer_fields = b->fields, *fields = NULL;
    int rc;

    for (size_t i = 0; i < b->depth; i++)
        if (strcmp(b->stack[i], dir) == 0)
            return ed_err_set(b->err, ED_EINVALID,
                              "cycle detected: '%s' includes itself through '%s'", rel(b, dir),
                              rel(b, b->stack[b->depth - 1]));
    if (b->depth == MAX_DEPTH)
        return ed_err_set(b->err, ED_EINVALID,
                          "kustomizations nested deeper than %d levels at '%s'", MAX_DEPTH,
                          rel(b, dir));
    b->stack[b->depth++] = dir;
    if (role != ROLE_COMPONENT) {
        /* a component works in its parent's configuration, as on its parent's resources */
        fields = ed_doc_new();
        ed_doc_set_root(fields, ed_node_new_map(fields));
        b->fields = fields;
    }

    rc = find_kfile(b, dir, &kpath);
    bool generated = rc == ED_ENOTFOUND && b->depth == 1 && b->generated;
    if (generated) {
        /* Flux's generated kustomization, in memory: the tree stays as it was. */
        ed_err_clear(b->err);
        kpath = ed_xasprintf("%s/kustomization.yaml", dir);
        data = ed_xstrdup(b->generated);
        len = strlen(data);
        rc = 0;
    }
    if (rc)
        goto cleanup;
    const char *kfile = rel(b, kpath);
    if (!generated)
        rc = read_file(b, kpath, &data, &len);
    if (!rc)
        rc = ed_doc_parse_yaml(data, len, kfile, &docs, &ndocs, b->err);
    if (rc)
        goto cleanup;
    if (ndocs > 1) {
        rc = ed_err_set(b->err, ED_EINVALID, "%s: a kustomization file holds one document, not %zu",
                        kfile, ndocs);
        goto cleanup;
    }
    if (ndocs == 0) {
        rc = ed_err_set(b->err, ED_EINVALID, "%s is empty", kfile);
        goto cleanup;
    }
    /* kustomize reads the file with YAMLToJSON (go-yaml v2): YAML 1.1's booleans */
    ed_node *typed = NULL;
    ks_retype_yaml11(docs[0], ed_doc_root(docs[0]), &typed);
    ed_doc_set_root(docs[0], typed);
    null_strings_empty(docs[0], typed);
    const ed_node *kz = ed_doc_root(docs[0]);
    if (b->depth == 1 && b->overlay && ed_node_kind_of(kz) == ED_NODE_MAP)
        ks_overlay_merge(docs[0], b->overlay, generated);
    if (ed_node_kind_of(kz) != ED_NODE_MAP) {
        rc = ed_err_set(b->err, ED_EINVALID,
                        "%s: invalid Kustomization: json: cannot unmarshal %s into Go value of "
                        "type types.Kustomization",
                        kfile, ks_json_type(kz));
        goto cleanup;
    }
    rc = check_kustomization(b, kfile, kz);
    if (!rc)
        fold_image_tags(docs[0]);
    if (!rc && kustomization_empty(kz))
        rc = ed_err_set(b->err, ED_EINVALID, "%s is empty", kfile);
    if (!rc)
        rc = check_role(b, dir, kz, role);
    if (rc)
        goto cleanup;
    ks_list *target = role == ROLE_COMPONENT ? out : &acc;
    ks_loader ld = {b, dir, kfile};
    ks_plugin_ctx plugins = {b, &ld, &b->schema, dir, kpath, kfile};
    /* kustomize sets the schema as it loads a kustomization, before its resources */
    rc = ks_openapi_load(kz, &ld, kfile, &b->schema, b->err);
    if (rc)
        goto cleanup;
    if (role == ROLE_TOP) {
        /* options that act on the whole result, at the end of the build */
        b->top = ed_doc_new();
        ed_doc_set_root(b->top, ed_node_copy(b->top, kz));
        b->top_kfile = ed_xstrdup(kfile);
    }
    /* kustomize appends the legacy `bases` to `resources`. */
    const char *lists[] = {"resources", "bases"};
    for (size_t l = 0; l < 2 && !rc; l++) {
        const ed_node *seq = ed_node_get(kz, lists[l]);
        for (size_t i = 0; i < ed_node_len(seq) && !rc; i++)
            rc = accumulate(b, dir, kfile, ed_node_str(ed_node_at(seq, i)), target);
    }
    if (rc) {
        ed_err_wrap(b->err, "accumulating resources");
        goto cleanup;
    }
    /* kustomize's order: resources, configurations, crds, generators (the fields', then those
     * of `generators`), components, then the transformers (patches first, those of
     * `transformers` last), then `validators` */
    rc = ks_config_load(b, b->config, b->fields, kz, dir, kfile, b->err);
    if (!rc)
        rc = ks_crds_load(b, b->config, b->fields, kz, dir, kfile, b->err);
    if (!rc)
        rc = ks_generate(b, kz, dir, kfile, target, b->err);
    if (!rc)
        rc = ks_plugins_generate(&plugins, kz, target, b->err);
    const ed_node *components = ed_node_get(kz, "components");
    for (size_t i = 0; i < ed_node_len(components) && !rc; i++)
        rc = accumulate_component(b, dir, kfile, ed_node_str(ed_node_at(components, i)), target);
    if (!rc)
        rc = ks_patches_load(kz, &ld, kfile, &b->schema, &patches, b->err);
    if (!rc)
        rc = ks_patches_apply_early(patches, target, kfile, b->err);
    if (!rc)
        rc = ks_transform(kz, b->fields, target, kfile, patches, b->err);
    if (!rc)
        rc = ks_replace(b, kz, dir, kfile, target, b->err);
    if (!rc) {
        char *in = ks_origin_path(b, kpath);
        char *remote = ks_origin_remote(b, "  ");
        ks_record_transformers(kz, remote, in, target);
        free(remote);
        free(in);
        /* the transformers of plugin configs follow the fields', then the validators run */
        rc = ks_plugins_transform(&plugins, kz, target, b->err);
        if (!rc)
            rc = ks_plugins_validate(&plugins, kz, target, b->err);
        if (!rc)
            rc = ks_vars_declare(b->vars, kz, kfile, target, b->err);
    }
    if (!rc && role != ROLE_COMPONENT)
        ks_list_take_all(out, &acc);

cleanup:
    b->depth--;
    if (fields) {
        if (!rc && outer_fields)
            ks_crds_merge(outer_fields, fields);
        ed_doc_free(fields);
        b->fields = outer_fields;
    }
    ks_patch_set_free(patches);
    ks_list_free(&acc);
    ed_doc_list_free(docs, ndocs);
    free(data);
    free(kpath);
    return rc;
}

int ed_ks_build(const char *dir, const ed_ks_options *opts, ed_doc ***out, size_t *count,
                ed_err *err)
{
    struct build b = {.err = err};
    ks_list list = {0};
    char *real = NULL;
    int rc;

    *out = NULL;
    *count = 0;
    b.max_file = opts && opts->max_file_bytes ? opts->max_file_bytes : DEFAULT_MAX_FILE;
    b.overlay = opts ? opts->overlay : NULL;
    b.generated = opts ? opts->generated : NULL;
    b.inputs = opts ? opts->inputs : NULL;
    b.secret_source = opts ? opts->secret_source : NULL;
    b.secret_source_user = opts ? opts->secret_source_user : NULL;
    b.remote = opts ? opts->remote : NULL;
    b.remote_file = opts ? opts->remote_file : NULL;
    b.remote_user = opts ? opts->remote_user : NULL;
    b.remote_tmp = opts ? opts->remote_tmp : NULL;
    ed_ks_inputs_add(b.inputs, ED_KS_INPUT_PROBE, dir);
    const char *root = opts && opts->root ? opts->root : dir;
    b.root = realpath(root, NULL);
    if (!b.root) {
        rc = ed_err_set(err, errno == ENOENT ? ED_ENOTFOUND : ED_ERROR,
                        "cannot resolve root '%s': %s", root, strerror(errno));
        goto cleanup;
    }
    b.rootlen = strlen(b.root);
    real = realpath(dir, NULL);
    if (!real) {
        rc = ed_err_set(err, errno == ENOENT ? ED_ENOTFOUND : ED_ERROR, "cannot resolve '%s': %s",
                        dir, strerror(errno));
        goto cleanup;
    }
    if (!below_root(&b, real)) {
        rc = ed_err_set(err, ED_EINVALID, "'%s' is outside the build root '%s'", dir, root);
        goto cleanup;
    }
    b.vars = ed_doc_new();
    ed_doc_set_root(b.vars, ed_node_new_seq(b.vars));
    b.config = ed_doc_new();
    ed_doc_set_root(b.config, ed_node_new_map(b.config));
    rc = build_dir(&b, real, ROLE_TOP, &list);
    if (rc)
        goto cleanup;
    /* kustomize's last steps, once every transformer has run: hash suffixes, then the name
     * references to everything renamed */
    ks_hash_names(&list);
    rc = ks_fix_name_refs(&list, b.config, err);
    if (!rc)
        rc = ks_vars_resolve(b.vars, &list, b.config, err);
    if (rc)
        goto cleanup;
    rc = ks_build_metadata(ed_doc_root(b.top), b.top_kfile, &list, err);
    if (!rc) {
        ks_finish_annotations(&list);
        for (size_t i = 0; i < list.len && !rc; i++) {
            rc = ks_timestamps_as_go(list.items[i].doc, false, err);
            if (rc) {
                ks_id id;
                ks_id_of(ed_doc_root(list.items[i].doc), &id);
                char *ids = ks_id_string(&id);
                ed_err_wrap(err, "%s", ids);
                free(ids);
            }
        }
    }
    if (!rc)
        rc = ks_sort(&list, ed_node_get(ed_doc_root(b.top), "sortOptions"),
                     opts && opts->keep_order, b.top_kfile, err);
    if (rc)
        goto cleanup;
    *out = ed_xcalloc(list.len ? list.len : 1, sizeof(ed_doc *));
    for (size_t i = 0; i < list.len; i++) {
        (*out)[i] = list.items[i].doc;
        list.items[i].doc = NULL;
    }
    *count = list.len;

cleanup:
    ks_list_free(&list);
    free(real);
    free(b.root);
    ed_doc_free(b.top);
    ed_doc_free(b.vars);
    ed_doc_free(b.config);
    ks_schema_free(&b.schema);
    free(b.top_kfile);
    return rc;
}

int ed_ks_build_yaml(const char *dir, const ed_ks_options *opts, ed_buf *out, ed_err *err)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    int rc = ed_ks_build(dir, opts, &docs, &n, err);
    if (rc)
        return rc;
    rc = ed_doc_list_to_yaml(docs, n, out);
    if (rc)
        ed_err_set(err, rc, "cannot print the build result: %s", ed_err_code_name(rc));
    ed_doc_list_free(docs, n);
    return rc;
}
