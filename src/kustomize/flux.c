/*
 * Flux's layer on top of kustomize (fluxcd/pkg/kustomize, as kustomize-controller uses it):
 *
 *   - the overlay: a Kustomization's targetNamespace, namePrefix/nameSuffix, images, patches,
 *     components and buildMetadata become kustomization fields merged into the top kustomization of
 * the path, exactly where Flux's generator writes them (scalars replace the path's own value, lists
 * are appended, but an image of a name the path's `images` already has is merged into that
 * entry field by field, as Flux 2.9, and buildMetadata replaces the path's), so the engine
 * applies them with its own transformers;
 *   - commonMetadata: labels and annotations set on every built object, overwriting;
 *   - postBuild substitution: Flux's envsubst grammar (envsubst.c) run on each object's YAML
 *     text and the result read back as YAML 1.1, as Flux does (keys are substituted too, and
 *     a value's quotes in the source do not keep it a string); objects labelled or annotated
 *     `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone.
 */
#include "kustomize_int.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SUBSTITUTE_KEY "kustomize.toolkit.fluxcd.io/substitute"

/* ---- the overlay ---- */

static void copy_str(ed_doc *d, ed_node *kz, const ed_node *spec, const char *from, const char *to)
{
    const char *v = ed_node_str(ed_node_get(spec, from));
    if (v && *v)
        ed_node_set(d, kz, to, ed_node_new_str(d, v));
}

/* spec.images[] ({name, newName, newTag, digest}) as kustomize images. */
static int copy_images(ed_doc *d, ed_node *kz, const ed_node *images, ed_err *err)
{
    if (!images || ed_node_kind_of(images) == ED_NODE_NULL)
        return 0;
    ed_node *seq = ed_node_new_seq(d);
    static const char *const keys[] = {"name", "newName", "newTag", "digest"};
    for (size_t i = 0; i < ed_node_len(images); i++) {
        const ed_node *img = ed_node_at(images, i);
        if (!ed_node_str(ed_node_get(img, "name")))
            return ed_err_set(err, ED_EINVALID, "spec.images[%zu]: name is required", i);
        ed_node *m = ed_node_new_map(d);
        for (size_t k = 0; k < 4; k++) {
            const ed_node *v = ed_node_get(img, keys[k]);
            if (v && ed_node_kind_of(v) != ED_NODE_STR)
                return ed_err_set(err, ED_EINVALID, "spec.images[%zu].%s: must be a string", i,
                                  keys[k]);
            if (v && *ed_node_str(v))
                ed_node_set(d, m, keys[k], ed_node_copy(d, v));
        }
        ed_node_append(d, seq, m);
    }
    if (ed_node_len(seq))
        ed_node_set(d, kz, "images", seq);
    return 0;
}

/* spec.patches[] ({patch, target}) as kustomize patches. */
static int copy_patches(ed_doc *d, ed_node *kz, const ed_node *patches, ed_err *err)
{
    if (!patches || ed_node_len(patches) == 0)
        return 0;
    if (!ed_ks_supports_field("patches"))
        return ed_err_set(err, ED_EINVALID,
                          "spec.patches: kustomize patches are not supported by eddy yet");
    ed_node *seq = ed_node_new_seq(d);
    for (size_t i = 0; i < ed_node_len(patches); i++) {
        const ed_node *p = ed_node_at(patches, i);
        if (!ed_node_str(ed_node_get(p, "patch")))
            return ed_err_set(err, ED_EINVALID, "spec.patches[%zu]: patch is required", i);
        ed_node *m = ed_node_new_map(d);
        ed_node_set(d, m, "patch", ed_node_copy(d, ed_node_get(p, "patch")));
        if (ed_node_get(p, "target"))
            ed_node_set(d, m, "target", ed_node_copy(d, ed_node_get(p, "target")));
        ed_node_append(d, seq, m);
    }
    ed_node_set(d, kz, "patches", seq);
    return 0;
}

bool ed_ks_flux_local_path(const char *path)
{
    static const char *const remote[] = {"git::",   "gh:",  "ssh://",      "https://",
                                         "http://", "git@", "github.com:", "github.com/"};
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        size_t n = strlen(remote[i]);
        if (n < len && strncasecmp(path, remote[i], n) == 0)
            return false;
    }
    if (path[0] == '/')
        return false;
    return !(strncasecmp(path, "file://", 7) == 0 && path[7] == '/');
}

static int copy_components(ed_doc *d, ed_node *kz, const ed_node *components, ed_err *err)
{
    if (!components || ed_node_len(components) == 0)
        return 0;
    if (!ed_ks_supports_field("components"))
        return ed_err_set(err, ED_EINVALID,
                          "spec.components: kustomize components are not supported by eddy yet");
    for (size_t i = 0; i < ed_node_len(components); i++) {
        const char *c = ed_node_str(ed_node_at(components, i));
        if (!c)
            return ed_err_set(err, ED_EINVALID, "spec.components[%zu]: must be a string", i);
        /* Flux's generator: a spec component is never fetched */
        if (!ed_ks_flux_local_path(c))
            return ed_err_set(err, ED_EINVALID, "component path '%s' must be local and relative",
                              c);
    }
    ed_node_set(d, kz, "components", ed_node_copy(d, components));
    return 0;
}

/* spec.buildMetadata (originAnnotations, transformerAnnotations) as kustomize's. */
static int copy_build_metadata(ed_doc *d, ed_node *kz, const ed_node *bm, ed_err *err)
{
    if (!bm || ed_node_len(bm) == 0)
        return 0;
    if (!ed_ks_supports_field("buildMetadata"))
        return ed_err_set(
            err, ED_EINVALID,
            "spec.buildMetadata: kustomize buildMetadata is not supported by eddy yet");
    ed_node_set(d, kz, "buildMetadata", ed_node_copy(d, bm));
    return 0;
}

int ed_ks_flux_overlay(const ed_node *spec, ed_doc **out, ed_err *err)
{
    ed_doc *d = ed_doc_new();
    ed_node *kz = ed_node_new_map(d);
    ed_doc_set_root(d, kz);
    copy_str(d, kz, spec, "targetNamespace", "namespace");
    copy_str(d, kz, spec, "namePrefix", "namePrefix");
    copy_str(d, kz, spec, "nameSuffix", "nameSuffix");
    int rc = copy_images(d, kz, ed_node_get(spec, "images"), err);
    if (!rc)
        rc = copy_patches(d, kz, ed_node_get(spec, "patches"), err);
    if (!rc)
        rc = copy_components(d, kz, ed_node_get(spec, "components"), err);
    if (!rc)
        rc = copy_build_metadata(d, kz, ed_node_get(spec, "buildMetadata"), err);
    if (rc) {
        ed_doc_free(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

/* The entry of images (a kustomization's `images`) named name, or NULL. */
static ed_node *image_named(ed_node *images, const char *name)
{
    for (size_t i = 0; i < ed_node_len(images); i++) {
        ed_node *e = ed_node_at(images, i);
        const char *n = ed_node_str(ed_node_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

/* One spec.images entry (img) into the kustomization's images, as Flux's generator does: an
 * entry of the same name takes the fields img sets (newName; newTag and digest as one unit,
 * the one img leaves out removed, since either selects the version), else img is appended. */
static void merge_image(ed_doc *kdoc, ed_node *images, const ed_node *img)
{
    ed_node *e = image_named(images, ed_node_str(ed_node_get(img, "name")));
    if (!e || ed_node_kind_of(e) != ED_NODE_MAP) {
        ed_node_append(kdoc, images, ed_node_copy(kdoc, img));
        return;
    }
    const ed_node *name = ed_node_get(img, "newName");
    const ed_node *tag = ed_node_get(img, "newTag");
    const ed_node *digest = ed_node_get(img, "digest");
    if (name)
        ed_node_set(kdoc, e, "newName", ed_node_copy(kdoc, name));
    if (tag || digest) {
        ed_node_remove(e, "newTag");
        ed_node_remove(e, "digest");
        if (tag)
            ed_node_set(kdoc, e, "newTag", ed_node_copy(kdoc, tag));
        if (digest)
            ed_node_set(kdoc, e, "digest", ed_node_copy(kdoc, digest));
    }
}

int ks_overlay_merge(ed_doc *kdoc, const ed_node *overlay, bool generated)
{
    ed_node *kz = ed_doc_root(kdoc);
    /* Flux's generator gives the path's own kustomization without resources (generators
     * only, say) buildMetadata [originAnnotations], in place of its own, so that kustomize
     * does not find it empty: the objects then carry their origin */
    if (!generated && ed_node_len(ed_node_get(kz, "resources")) == 0) {
        ed_node *bm = ed_node_new_seq(kdoc);
        ed_node_append(kdoc, bm, ed_node_new_str(kdoc, "originAnnotations"));
        ed_node_set(kdoc, kz, "buildMetadata", bm);
    }
    for (size_t i = 0; i < ed_node_len(overlay); i++) {
        const char *key = ed_node_key_at(overlay, i);
        const ed_node *v = ed_node_value_at(overlay, i);
        ed_node *have = ed_node_get(kz, key);
        if (strcmp(key, "images") == 0 && (!have || ed_node_kind_of(have) == ED_NODE_SEQ)) {
            /* also without images of the path's own: a second spec entry of one name merges
             * into the first, as in Flux's loop */
            if (!have) {
                have = ed_node_new_seq(kdoc);
                ed_node_set(kdoc, kz, key, have);
            }
            for (size_t k = 0; k < ed_node_len(v); k++)
                merge_image(kdoc, have, ed_node_at(v, k));
        } else if (ed_node_kind_of(v) == ED_NODE_SEQ && have &&
                   ed_node_kind_of(have) == ED_NODE_SEQ && strcmp(key, "buildMetadata") != 0) {
            for (size_t k = 0; k < ed_node_len(v); k++)
                ed_node_append(kdoc, have, ed_node_copy(kdoc, ed_node_at(v, k)));
        } else {
            ed_node_set(kdoc, kz, key, ed_node_copy(kdoc, v));
        }
    }
    return 0;
}

/* ---- commonMetadata ---- */

static int set_all(ed_doc *d, ed_node *obj, const char *path, const ed_node *pairs)
{
    if (ed_node_len(pairs) == 0)
        return 0;
    ed_node *m = ed_node_ensure_map(d, obj, path);
    if (!m)
        return ED_EINVALID;
    for (size_t i = 0; i < ed_node_len(pairs); i++)
        ed_node_set(d, m, ed_node_key_at(pairs, i), ed_node_copy(d, ed_node_value_at(pairs, i)));
    return 0;
}

static int check_pairs(const ed_node *pairs, const char *field, ed_err *err)
{
    if (!pairs || ed_node_kind_of(pairs) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(pairs) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "spec.commonMetadata.%s: must be a mapping", field);
    for (size_t i = 0; i < ed_node_len(pairs); i++)
        if (ed_node_kind_of(ed_node_value_at(pairs, i)) != ED_NODE_STR)
            return ed_err_set(err, ED_EINVALID, "spec.commonMetadata.%s.%s: must be a string",
                              field, ed_node_key_at(pairs, i));
    return 0;
}

int ed_ks_flux_common_metadata(ed_doc **docs, size_t n, const ed_node *meta, ed_err *err)
{
    const ed_node *labels = ed_node_get(meta, "labels");
    const ed_node *annotations = ed_node_get(meta, "annotations");
    int rc = check_pairs(labels, "labels", err);
    if (!rc)
        rc = check_pairs(annotations, "annotations", err);
    for (size_t i = 0; i < n && !rc; i++) {
        ed_node *obj = ed_doc_root(docs[i]);
        if (set_all(docs[i], obj, "/metadata/labels", labels) ||
            set_all(docs[i], obj, "/metadata/annotations", annotations))
            rc = ed_err_set(err, ED_EINVALID, "object %zu: metadata is not a mapping", i);
    }
    return rc;
}

/* ---- postBuild substitution ---- */

static bool opted_out(const ed_node *obj)
{
    const char *l = ed_node_str(ed_node_get(ed_node_path(obj, "/metadata/labels"), SUBSTITUTE_KEY));
    const char *a =
        ed_node_str(ed_node_get(ed_node_path(obj, "/metadata/annotations"), SUBSTITUTE_KEY));
    return (l && strcmp(l, "disabled") == 0) || (a && strcmp(a, "disabled") == 0);
}

char *ed_ks_flux_object_id(const ed_node *obj)
{
    ks_id id;
    ks_id_of(obj, &id);
    return ed_xasprintf("%s.%s.%.*s%s/%s", id.kind, id.version, (int)id.group_len, id.group,
                        id.group_len ? "" : "[noGrp]", id.name);
}

/*
 * Substitute in one object as Flux does: on its YAML text as kustomize prints it (the same
 * text: keys included, quotes the source had gone, a string that must be quoted quoted), read
 * back as YAML 1.1. So a number or boolean substituted into `"${n}"` is a number or boolean,
 * as in Flux (its documented way to keep a string is `${quote}${n}${quote}` with quote: '"').
 */
static int substitute_doc(ed_doc *doc, const ed_strmap *vars, bool strict, ed_err *err)
{
    ed_buf text = ED_BUF_INIT((size_t)64 << 20), res = ED_BUF_INIT((size_t)64 << 20);
    int rc = ed_node_to_yaml(ed_doc_root(doc), &text);
    if (rc) {
        rc = ed_err_set(err, rc, "YAMLToJSON: the object cannot be printed as YAML");
        goto done;
    }
    if (!memchr(text.data, '$', text.len))
        goto done;
    rc = ed_ks_envsubst(text.data, text.len, vars, strict, &res, err);
    if (rc) {
        ed_err_wrap(err, "envsubst error: variable substitution failed");
        goto done;
    }
    if (res.len == text.len && memcmp(res.data, text.data, text.len) == 0)
        goto done;
    ed_doc **parsed = NULL;
    size_t np = 0;
    rc = ed_doc_parse_yaml(res.data, res.len, NULL, &parsed, &np, err);
    if (!rc && np != 1)
        rc = ed_err_set(err, ED_EINVALID, "the substituted object is %zu YAML documents", np);
    if (rc) {
        ed_err_wrap(err, "YAMLToJSON");
    } else {
        ed_node *root = ed_node_copy(doc, ed_doc_root(parsed[0])), *typed = NULL;
        ks_retype_yaml11(doc, root, &typed);
        ed_doc_set_root(doc, typed);
    }
    ed_doc_list_free(parsed, np);
done:
    ed_buf_free(&text);
    ed_buf_free(&res);
    return rc;
}

int ed_ks_flux_substitute(ed_doc *const *docs, size_t n, const ed_strmap *vars, bool strict,
                          ed_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (opted_out(ed_doc_root(docs[i])))
            continue;
        int rc = substitute_doc(docs[i], vars, strict, err);
        if (rc) {
            char *id = ed_ks_flux_object_id(ed_doc_root(docs[i]));
            ed_err_wrap(err, "post build failed for '%s'", id);
            free(id);
            return rc;
        }
    }
    return 0;
}

/* ---- Flux's generated kustomization ---- */

static bool has_kustomization(const char *dir, ed_ks_inputs *rec)
{
    static const char *const names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};
    for (size_t i = 0; i < 3; i++) {
        char *p = ed_xasprintf("%s/%s", dir, names[i]);
        ed_ks_inputs_add(rec, ED_KS_INPUT_PROBE, p);
        bool found = access(p, F_OK) == 0;
        free(p);
        if (found)
            return true;
    }
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the manifests below dir (rel is its path relative to the kustomization): YAML files,
 * and directories holding their own kustomization as one entry each. */
static void collect(const char *dir, const char *rel, ed_buf *out, ed_ks_inputs *rec)
{
    /* the names and their types: the files' contents are the build's inputs */
    ed_ks_inputs_add(rec, ED_KS_INPUT_DIR, dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        /* dot names too: Flux's walk skips nothing (.sourceignore has left out what it
         * names when the artifact was made) */
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = ed_xrealloc(names, (n + 1) * sizeof(char *));
        names[n++] = ed_xstrdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(char *), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char *full = ed_xasprintf("%s/%s", dir, names[i]);
        char *sub = ed_xasprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode)) {
            free(full);
            free(sub);
            free(names[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (has_kustomization(full, rec))
                ed_buf_printf(out, "- %s\n", sub);
            else
                collect(full, sub, out, rec);
        } else if (ed_str_has_suffix(names[i], ".yaml") || ed_str_has_suffix(names[i], ".yml")) {
            ed_buf_printf(out, "- %s\n", sub);
        }
        free(full);
        free(sub);
        free(names[i]);
    }
    free(names);
}

/* Write a kustomization.yaml into dir listing its manifests, when it has none. */
bool ed_ks_flux_generate(const char *dir, ed_buf *out, ed_ks_inputs *rec)
{
    if (has_kustomization(dir, rec))
        return false;
    ed_buf list = ED_BUF_INIT((size_t)16 << 20);
    collect(dir, "", &list, rec);
    ed_buf_append_str(out, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if (list.len)
        ed_buf_printf(out, "resources:\n%s", list.data);
    ed_buf_free(&list);
    return true;
}
