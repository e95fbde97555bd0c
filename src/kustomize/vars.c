/*
 * kustomize's legacy `vars`: `$(NAME)` in the fields of kustomize's varReference table (container
 * args, command, env values and mount paths of every workload kind, Service ports, Ingress
 * hosts and TLS, NFS servers, and every label and annotation) is replaced, at the very end of a
 * build, by a field of the object the var names (its metadata.name by default), read after every
 * rename. `$$(NAME)` stands for a literal `$(NAME)`; an undefined name is left as written. A
 * field that is exactly one reference takes the value's type (a port stays a number).
 *
 * A var's object is bound in the kustomization that declares it: exactly one object of its
 * apiVersion, kind and name (and namespace, when given or when the kind is cluster-scoped),
 * current or previous, must match there; a name declared twice in a build is an error.
 */
#include "kustomize_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct var_spec {
    const char *kind; /* NULL: every kind */
    const char *path;
} var_spec;

#define POD_VARS(kind, p)                                                                          \
    {kind, p "containers/args"}, {kind, p "containers/command"}, {kind, p "containers/env/value"}, \
        {kind, p "containers/volumeMounts/mountPath"}, {kind, p "initContainers/args"},            \
        {kind, p "initContainers/command"}, {kind, p "initContainers/env/value"},                  \
        {kind, p "initContainers/volumeMounts/mountPath"},                                         \
    {                                                                                              \
        kind, p "volumes/nfs/server"                                                               \
    }

static const var_spec var_table[] = {
    POD_VARS("CronJob", "spec/jobTemplate/spec/template/spec/"),
    POD_VARS("DaemonSet", "spec/template/spec/"),
    POD_VARS("Deployment", "spec/template/spec/"),
    {"Ingress", "spec/rules/host"},
    {"Ingress", "spec/tls/hosts"},
    {"Ingress", "spec/tls/secretName"},
    POD_VARS("Job", "spec/template/spec/"),
    POD_VARS("Pod", "spec/"),
    POD_VARS("ReplicaSet", "spec/template/spec/"),
    {"Service", "spec/ports/port"},
    {"Service", "spec/ports/targetPort"},
    {"StatefulSet", "spec/template/spec/containers/args"},
    {"StatefulSet", "spec/template/spec/containers/command"},
    {"StatefulSet", "spec/template/spec/containers/env/value"},
    {"StatefulSet", "spec/template/spec/containers/volumeMounts/mountPath"},
    {"StatefulSet", "spec/template/spec/initContainers/args"},
    {"StatefulSet", "spec/template/spec/initContainers/command"},
    {"StatefulSet", "spec/template/spec/initContainers/env/value"},
    {"StatefulSet", "spec/template/spec/initContainers/volumeMounts/mountPath"},
    {"StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server"},
    {"PersistentVolume", "spec/nfs/server"},
    {NULL, "metadata/labels"},
    {NULL, "metadata/annotations"},
};

#define NVARS (sizeof(var_table) / sizeof(var_table[0]))

/* ---- declaring and binding ---- */

static int var_error(ed_err *err, const char *kfile, const char *name, const char *what)
{
    return ed_err_set(err, ED_EINVALID, "%s: var '%s': %s", kfile, name ? name : "", what);
}

static bool ns_eq(const char *a, const char *b)
{
    return strcmp(*a ? a : "default", *b ? b : "default") == 0;
}

/* The objref's id matches r's current or a previous id (kustomize's GvknEquals, or Equals when
 * the namespace counts). */
static bool objref_matches(const ed_node *ref, const ks_res *r)
{
    ks_id id;
    ks_id_of(ed_doc_root(r->doc), &id);
    /* the objref names its apiVersion, or its group and version apart */
    const char *api = ed_node_str(ed_node_get(ref, "apiVersion"));
    const char *group = ed_node_str(ed_node_get(ref, "group"));
    const char *version = ed_node_str(ed_node_get(ref, "version"));
    char *composed = NULL;
    if (!api || !*api) {
        composed = group && *group ? ed_xasprintf("%s/%s", group, version ? version : "")
                                   : ed_xstrdup(version ? version : "");
        api = composed;
    }
    const char *kind = ed_node_str(ed_node_get(ref, "kind"));
    const char *name = ed_node_str(ed_node_get(ref, "name"));
    const char *ns = ed_node_str(ed_node_get(ref, "namespace"));
    const char *av = ed_node_path_str(ed_doc_root(r->doc), "/apiVersion");
    bool same_gvk = strcmp(api, av ? av : "") == 0 && strcmp(kind ? kind : "", id.kind) == 0;
    free(composed);
    if (!same_gvk)
        return false;
    bool with_ns = (ns && *ns) || ks_is_cluster_scoped(&id);
    if (strcmp(name ? name : "", id.name) == 0 && (!with_ns || ns_eq(ns ? ns : "", id.ns)))
        return true;
    for (size_t i = 0; i < r->n_old_names; i++)
        if (strcmp(name ? name : "", r->old_names[i]) == 0 &&
            (!with_ns || ns_eq(ns ? ns : "", r->old_ns[i])))
            return true;
    return false;
}

static int check_var(const ed_node *v, const char *kfile, ed_err *err)
{
    const char *name = ed_node_str(ed_node_get(v, "name"));
    if (ed_node_kind_of(v) != ED_NODE_MAP)
        return var_error(err, kfile, "", "a var must be a mapping");
    for (size_t i = 0; i < ed_node_len(v); i++) {
        const char *k = ed_node_key_at(v, i);
        if (strcmp(k, "name") != 0 && strcmp(k, "objref") != 0 && strcmp(k, "fieldref") != 0)
            return ed_err_set(err, ED_EINVALID,
                              "%s: invalid Kustomization: json: unknown field \"%s\"", kfile, k);
    }
    if (!name || !*name)
        return var_error(err, kfile, name, "a var must have a name");
    const ed_node *ref = ed_node_get(v, "objref");
    if (ed_node_kind_of(ref) != ED_NODE_MAP || !ed_node_str(ed_node_get(ref, "kind")) ||
        !ed_node_str(ed_node_get(ref, "name")))
        return var_error(err, kfile, name, "objref must name a kind and a name");
    return 0;
}

int ks_vars_declare(ed_doc *declared, const ed_node *kz, const char *kfile, ks_list *l, ed_err *err)
{
    const ed_node *vars = ed_node_get(kz, "vars");
    if (!vars || ed_node_kind_of(vars) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(vars) != ED_NODE_SEQ)
        return ed_err_set(err, ED_EINVALID, "%s: vars must be a list", kfile);
    ed_node *all = ed_doc_root(declared);
    for (size_t i = 0; i < ed_node_len(vars); i++) {
        const ed_node *v = ed_node_at(vars, i);
        int rc = check_var(v, kfile, err);
        if (rc)
            return rc;
        const char *name = ed_node_str(ed_node_get(v, "name"));
        for (size_t k = 0; k < ed_node_len(all); k++)
            if (strcmp(ed_node_path_str(ed_node_at(all, k), "/name"), name) == 0)
                return var_error(err, kfile, name, "var already encountered");
        ks_res *match = NULL;
        size_t count = 0;
        for (size_t r = 0; r < l->len; r++)
            if (objref_matches(ed_node_get(v, "objref"), &l->items[r]))
                match = &l->items[r], count++;
        if (count > 1)
            return var_error(err, kfile, name,
                             "found several objects for its objref (unable to disambiguate)");
        if (match) {
            match->var_names =
                ed_xrealloc(match->var_names, (match->n_var_names + 1) * sizeof(char *));
            match->var_names[match->n_var_names++] = ed_xstrdup(name);
        }
        ed_node_append(declared, all, ed_node_copy(declared, v));
    }
    return 0;
}

/* ---- reading the value ---- */

/* A field of obj by kustomize's field path ("spec.ports[0].port"). */
static const ed_node *field_value(const ed_node *obj, const char *path)
{
    const ed_node *n = obj;
    char key[256];
    const char *p = path;
    while (n && *p) {
        size_t k = 0;
        while (*p && *p != '.' && *p != '[' && k + 1 < sizeof(key))
            key[k++] = *p++;
        key[k] = '\0';
        if (k)
            n = ed_node_get(n, key);
        while (n && *p == '[') {
            char *end;
            unsigned long idx = strtoul(p + 1, &end, 10);
            if (*end != ']')
                return NULL;
            n = ed_node_at(n, idx);
            p = end + 1;
        }
        if (*p == '.')
            p++;
    }
    return n;
}

/* The value of each declared var (NULL where its object was not found), as nodes of vals. */
static int var_values(const ed_node *all, const ks_list *l, ed_doc *vals, ed_node **out,
                      ed_err *err)
{
    for (size_t i = 0; i < ed_node_len(all); i++) {
        const ed_node *v = ed_node_at(all, i);
        const char *name = ed_node_path_str(v, "/name");
        /* Go's JSON decoding matches field names without regard to case: "fieldPath" works */
        const char *fp = NULL;
        const ed_node *fr = ed_node_get(v, "fieldref");
        for (size_t k = 0; k < ed_node_len(fr) && !fp; k++)
            if (strcasecmp(ed_node_key_at(fr, k), "fieldpath") == 0)
                fp = ed_node_str(ed_node_value_at(fr, k));
        if (!fp || !*fp)
            fp = "metadata.name";
        const ks_res *owner = NULL;
        for (size_t r = 0; r < l->len && !owner; r++)
            for (size_t k = 0; k < l->items[r].n_var_names; k++)
                if (strcmp(l->items[r].var_names[k], name) == 0)
                    owner = &l->items[r];
        if (!owner)
            return ed_err_set(err, ED_ENOTFOUND,
                              "var '%s' cannot be mapped to a field in the set of known resources",
                              name);
        const ed_node *val = field_value(ed_doc_root(owner->doc), fp);
        ed_node_kind k = ed_node_kind_of(val);
        if (!val || k == ED_NODE_MAP || k == ED_NODE_SEQ || k == ED_NODE_NULL)
            return ed_err_set(err, ED_EINVALID,
                              "var '%s': field '%s' of its object is missing or not a scalar", name,
                              fp);
        out[i] = ed_node_copy(vals, val);
    }
    return 0;
}

/* ---- expanding ---- */

struct expand {
    const ed_node *all;
    ed_node **values;
};

static const ed_node *lookup(const struct expand *x, const char *name, size_t n)
{
    for (size_t i = 0; i < ed_node_len(x->all); i++) {
        const char *vn = ed_node_path_str(ed_node_at(x->all, i), "/name");
        if (strlen(vn) == n && strncmp(vn, name, n) == 0)
            return x->values[i];
    }
    return NULL;
}

static void append_scalar(ed_buf *b, const ed_node *v)
{
    if (ed_node_kind_of(v) == ED_NODE_STR)
        (void)ed_buf_append_str(b, ed_node_str(v));
    else
        (void)ed_node_to_json(v, b);
}

/* The expansion of s (Kubernetes' $(VAR) rules) in doc; a field that is exactly one known
 * reference takes the value itself. NULL when nothing changes. */
static ed_node *expand(const struct expand *x, ed_doc *doc, const char *s)
{
    size_t n = strlen(s);
    if (!strstr(s, "$"))
        return NULL;
    if (n > 3 && s[0] == '$' && s[1] == '(' && s[n - 1] == ')' && !memchr(s + 2, ')', n - 3)) {
        const ed_node *v = lookup(x, s + 2, n - 3);
        if (v)
            return ed_node_copy(doc, v);
    }
    ed_buf b = ED_BUF_INIT(SIZE_MAX);
    for (size_t i = 0; i < n;) {
        if (s[i] != '$' || i + 1 >= n) {
            (void)ed_buf_append(&b, s + i, 1);
            i++;
            continue;
        }
        if (s[i + 1] == '$') {
            (void)ed_buf_append(&b, "$", 1);
            i += 2;
            continue;
        }
        if (s[i + 1] == '(') {
            const char *close = memchr(s + i + 2, ')', n - i - 2);
            if (close) {
                size_t len = (size_t)(close - (s + i + 2));
                const ed_node *v = lookup(x, s + i + 2, len);
                if (v)
                    append_scalar(&b, v);
                else
                    (void)ed_buf_append(&b, s + i, len + 3);
                i += len + 3;
                continue;
            }
        }
        (void)ed_buf_append(&b, s + i, 2);
        i += 2;
    }
    ed_node *out = ed_node_new_str(doc, b.data ? b.data : "");
    ed_buf_free(&b);
    return out;
}

static int expand_value(const struct expand *x, ed_doc *doc, ed_node *parent, const char *key,
                        ed_node *v, const char *path, ed_err *err)
{
    switch (ed_node_kind_of(v)) {
    case ED_NODE_STR: {
        ed_node *nv = expand(x, doc, ed_node_str(v));
        if (nv)
            ed_node_set(doc, parent, key, nv);
        return 0;
    }
    case ED_NODE_MAP:
        for (size_t i = 0; i < ed_node_len(v); i++) {
            ed_node *item = ed_node_value_at(v, i);
            if (ed_node_kind_of(item) != ED_NODE_STR)
                continue;
            ed_node *nv = expand(x, doc, ed_node_str(item));
            if (nv)
                ed_node_set(doc, v, ed_node_key_at(v, i), nv);
        }
        return 0;
    case ED_NODE_SEQ: {
        bool changed = false;
        ed_node *out = ed_node_new_seq(doc);
        for (size_t i = 0; i < ed_node_len(v); i++) {
            ed_node *item = ed_node_at(v, i);
            if (ed_node_kind_of(item) != ED_NODE_STR)
                return ed_err_set(err, ED_EINVALID,
                                  "vars: '%s' holds a value that is not a string (invalid value "
                                  "type expect a string)",
                                  path);
            ed_node *nv = expand(x, doc, ed_node_str(item));
            changed = changed || nv;
            ed_node_append(doc, out, nv ? nv : ed_node_copy(doc, item));
        }
        if (changed)
            ed_node_set(doc, parent, key, out);
        return 0;
    }
    default:
        return 0;
    }
}

static int walk(const struct expand *x, ed_doc *doc, ed_node *node, const char *rest,
                const char *path, ed_err *err)
{
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++) {
            int rc = walk(x, doc, ed_node_at(node, i), rest, path, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return 0;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    for (size_t i = 0; i < ed_node_len(node); i++) {
        const char *key = ed_node_key_at(node, i);
        if (strlen(key) != n || strncmp(key, rest, n) != 0)
            continue;
        ed_node *child = ed_node_value_at(node, i);
        if (!slash)
            return expand_value(x, doc, node, key, child, path, err);
        return walk(x, doc, child, slash + 1, path, err);
    }
    return 0;
}

/* A varReference field spec of `configurations` selects the object. */
static bool extra_selects(const ed_node *fs, const ks_id *id)
{
    const char *g = ed_node_str(ed_node_get(fs, "group"));
    const char *v = ed_node_str(ed_node_get(fs, "version"));
    const char *k = ed_node_str(ed_node_get(fs, "kind"));
    return (!g || !*g ||
            (strlen(g) == id->group_len && strncmp(g, id->group, id->group_len) == 0)) &&
           (!v || !*v || strcmp(v, id->version) == 0) && (!k || !*k || strcmp(k, id->kind) == 0);
}

int ks_vars_resolve(const ed_doc *declared, ks_list *l, const ed_doc *config, ed_err *err)
{
    const ed_node *extra = config ? ed_node_get(ed_doc_root(config), "varReference") : NULL;
    const ed_node *all = ed_doc_root(declared);
    size_t n = ed_node_len(all);
    if (n == 0)
        return 0;
    ed_doc *vals = ed_doc_new();
    ed_node **values = ed_xcalloc(n, sizeof(ed_node *));
    int rc = var_values(all, l, vals, values, err);
    struct expand x = {all, values};
    for (size_t i = 0; i < l->len && !rc; i++) {
        ks_id id;
        ks_id_of(ed_doc_root(l->items[i].doc), &id);
        for (size_t t = 0; t < NVARS && !rc; t++) {
            if (var_table[t].kind && strcmp(var_table[t].kind, id.kind) != 0)
                continue;
            rc = walk(&x, l->items[i].doc, ed_doc_root(l->items[i].doc), var_table[t].path,
                      var_table[t].path, err);
            ks_id_of(ed_doc_root(l->items[i].doc), &id);
        }
        for (size_t t = 0; t < ed_node_len(extra) && !rc; t++) {
            const ed_node *fs = ed_node_at(extra, t);
            const char *path = ed_node_str(ed_node_get(fs, "path"));
            if (path && extra_selects(fs, &id))
                rc = walk(&x, l->items[i].doc, ed_doc_root(l->items[i].doc), path, path, err);
        }
    }
    free(values);
    ed_doc_free(vals);
    return rc;
}
