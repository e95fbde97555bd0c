/*
 * Strategic merge patch as kustomize v5 applies it (kyaml's merge2 walker, the engine behind
 * `patches` and `patchesStrategicMerge`), on ed_node trees.
 *
 * Mappings merge recursively; a null value deletes the key. A list merges when the schema
 * gives its field the patch strategy "merge": by the merge key for lists of objects, as a
 * union for lists of scalars; the merged list holds the patch's elements first (merged with
 * the target's element of the same key), in patch order, then the target's other elements in
 * their order. Every other list is replaced. `$patch: delete` removes the object, mapping or
 * list element it appears in, `$patch: replace` replaces it, `$patch: merge` is the default.
 *
 * The schema is the table generated from the API server's OpenAPI document
 * (smp_table.inc, see hack/openapi/gen-smp-table). A kind not in the table (a custom
 * resource) has no schema: its mappings merge and its lists are replaced, as in kustomize.
 * kustomize's merge does not interpret the API server's other directives
 * (`$setElementOrder/`, `$retainKeys`, `$deleteFromPrimitiveList/`): like it, this engine
 * copies them into the result as ordinary keys.
 */
#include "kustomize_int.h"

#include <string.h>

struct smp_field {
    const char *name;
    int def;
    bool list;
    const char *strategy;
    const char *merge_key;
};

struct smp_def {
    const char *name;
    int first, count;
};

struct smp_kind {
    const char *group, *version, *kind;
    int def;
};

#include "smp_table.inc"

#define NDEFS  ((int)(sizeof(smp_defs) / sizeof(smp_defs[0])))
#define NKINDS (sizeof(smp_kinds) / sizeof(smp_kinds[0]))

/* The schema of a field: the definition of its value (or of a list's elements) and whether it
 * merges as a list, with which key (NULL for a list of scalars). */
typedef struct field_schema {
    int def;
    bool merge;
    const char *key;
} field_schema;

static int root_def(const ed_node *obj)
{
    ks_id id;
    ks_id_of(obj, &id);
    for (size_t i = 0; i < NKINDS; i++)
        if (strlen(smp_kinds[i].group) == id.group_len &&
            strncmp(smp_kinds[i].group, id.group, id.group_len) == 0 &&
            strcmp(smp_kinds[i].version, id.version) == 0 &&
            strcmp(smp_kinds[i].kind, id.kind) == 0)
            return smp_kinds[i].def;
    return -1;
}

static bool has_merge_strategy(const char *strategy)
{
    const char *p = strstr(strategy, "merge");
    while (p) {
        bool start = p == strategy || p[-1] == ',';
        bool end = p[5] == '\0' || p[5] == ',';
        if (start && end)
            return true;
        p = strstr(p + 1, "merge");
    }
    return false;
}

static field_schema lookup_field(int def, const char *name)
{
    field_schema fs = {-1, false, NULL};
    if (def < 0 || def >= NDEFS)
        return fs;
    /* The fields of a definition are sorted by name (the generator sorts them). */
    int lo = smp_defs[def].first, hi = lo + smp_defs[def].count;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(smp_fields[mid].name, name);
        if (c == 0) {
            fs.def = smp_fields[mid].def;
            fs.merge = smp_fields[mid].list && has_merge_strategy(smp_fields[mid].strategy);
            fs.key = smp_fields[mid].merge_key;
            return fs;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return fs;
}

/* ---- the merge ---- */

typedef enum {
    DIRECTIVE_MERGE,
    DIRECTIVE_REPLACE,
    DIRECTIVE_DELETE
} directive;

struct merger {
    ed_doc *doc;
    ed_err *err;
};

static int directive_of(struct merger *m, const ed_node *patch, directive *out)
{
    *out = DIRECTIVE_MERGE;
    const ed_node *d = ed_node_get(patch, "$patch");
    if (!d)
        return 0;
    const char *s = ed_node_str(d);
    if (s && strcmp(s, "delete") == 0)
        *out = DIRECTIVE_DELETE;
    else if (s && strcmp(s, "replace") == 0)
        *out = DIRECTIVE_REPLACE;
    else if (!s || strcmp(s, "merge") != 0)
        return ed_err_set(m->err, ED_EINVALID,
                          "unknown patch directive '$patch: %s' (want delete, replace or merge)",
                          s ? s : ed_node_kind_name(ed_node_kind_of(d)));
    return 0;
}

static int merge_value(struct merger *m, ed_node *dst_map, const char *key, const ed_node *pv,
                       field_schema fs);

/* A copy of mapping src without its `$patch` key. */
static ed_node *copy_without_directive(struct merger *m, const ed_node *src)
{
    ed_node *out = ed_node_new_map(m->doc);
    for (size_t i = 0; i < ed_node_len(src); i++)
        if (strcmp(ed_node_key_at(src, i), "$patch") != 0)
            ed_node_set(m->doc, out, ed_node_key_at(src, i),
                        ed_node_copy(m->doc, ed_node_value_at(src, i)));
    return out;
}

/*
 * Merge mapping patch into mapping dst (of definition def). *deleted is set when the patch
 * says `$patch: delete`; on `$patch: replace`, *replacement is the mapping to use instead.
 */
static int merge_map(struct merger *m, ed_node *dst, const ed_node *patch, int def, bool *deleted,
                     ed_node **replacement)
{
    directive d;
    *deleted = false;
    *replacement = NULL;
    int rc = directive_of(m, patch, &d);
    if (rc)
        return rc;
    if (d == DIRECTIVE_DELETE) {
        *deleted = true;
        return 0;
    }
    if (d == DIRECTIVE_REPLACE) {
        *replacement = copy_without_directive(m, patch);
        return 0;
    }
    for (size_t i = 0; i < ed_node_len(patch) && !rc; i++) {
        const char *key = ed_node_key_at(patch, i);
        const ed_node *pv = ed_node_value_at(patch, i);
        if (strcmp(key, "$patch") == 0)
            continue;
        if (ed_node_kind_of(pv) == ED_NODE_NULL) {
            ed_node_remove(dst, key);
            continue;
        }
        rc = merge_value(m, dst, key, pv, lookup_field(def, key));
        if (rc)
            ed_err_wrap(m->err, "%s", key);
    }
    return rc;
}

/* The merge key's value of a list element, or NULL. */
static const ed_node *key_of(const ed_node *elem, const char *key)
{
    return ed_node_kind_of(elem) == ED_NODE_MAP ? ed_node_get(elem, key) : NULL;
}

static bool list_has_key(const ed_node *list, size_t upto, const char *key, const ed_node *kv)
{
    for (size_t i = 0; i < upto && i < ed_node_len(list); i++) {
        const ed_node *other = key ? key_of(ed_node_at(list, i), key) : ed_node_at(list, i);
        if (other && ed_node_equal(other, kv))
            return true;
    }
    return false;
}

static ed_node *find_by_key(const ed_node *list, const char *key, const ed_node *kv)
{
    for (size_t i = 0; i < ed_node_len(list); i++) {
        ed_node *e = ed_node_at(list, i);
        const ed_node *k = key_of(e, key);
        if (k && ed_node_equal(k, kv))
            return e;
    }
    return NULL;
}

/* One element of a patch list merged by key into result (dst is the target's list). */
static int merge_element(struct merger *m, ed_node *result, const ed_node *dst, const ed_node *pe,
                         field_schema fs)
{
    const ed_node *kv = key_of(pe, fs.key);
    if (ed_node_kind_of(pe) != ED_NODE_MAP || !kv) {
        /* An element without its merge key cannot be matched: it is added as it is. */
        ed_node_append(m->doc, result, ed_node_copy(m->doc, pe));
        return 0;
    }
    const ed_node *de = find_by_key(dst, fs.key, kv);
    ed_node *merged = de && ed_node_kind_of(de) == ED_NODE_MAP ? ed_node_copy(m->doc, de)
                                                               : ed_node_new_map(m->doc);
    bool deleted;
    ed_node *replacement;
    int rc = merge_map(m, merged, pe, fs.def, &deleted, &replacement);
    if (rc || deleted)
        return rc;
    ed_node_append(m->doc, result, replacement ? replacement : merged);
    return 0;
}

/* True when a patch list says `- $patch: replace` (the list replaces the target's). */
static bool list_replaces(const ed_node *patch)
{
    for (size_t i = 0; i < ed_node_len(patch); i++) {
        const ed_node *e = ed_node_at(patch, i);
        const char *s = ed_node_str(ed_node_get(e, "$patch"));
        if (ed_node_kind_of(e) == ED_NODE_MAP && ed_node_len(e) == 1 && s &&
            strcmp(s, "replace") == 0)
            return true;
    }
    return false;
}

/* The patch list without `$patch` marker elements, copied. */
static ed_node *copy_list_without_markers(struct merger *m, const ed_node *patch)
{
    ed_node *out = ed_node_new_seq(m->doc);
    for (size_t i = 0; i < ed_node_len(patch); i++) {
        const ed_node *e = ed_node_at(patch, i);
        if (ed_node_kind_of(e) == ED_NODE_MAP && ed_node_len(e) == 1 && ed_node_get(e, "$patch"))
            continue;
        ed_node_append(m->doc, out, ed_node_copy(m->doc, e));
    }
    return out;
}

/* Merge list patch into list dst (NULL when the target has none); *out is the new list. */
static int merge_list(struct merger *m, const ed_node *dst, const ed_node *patch, field_schema fs,
                      ed_node **out)
{
    *out = NULL;
    if (list_replaces(patch)) {
        *out = copy_list_without_markers(m, patch);
        return 0;
    }
    ed_node *result = ed_node_new_seq(m->doc);
    for (size_t i = 0; i < ed_node_len(patch); i++) {
        const ed_node *pe = ed_node_at(patch, i);
        if (fs.key) {
            int rc = merge_element(m, result, dst, pe, fs);
            if (rc)
                return ed_err_wrap(m->err, "[%zu]", i);
        } else if (!list_has_key(patch, i, NULL, pe)) {
            ed_node_append(m->doc, result, ed_node_copy(m->doc, pe));
        }
    }
    for (size_t i = 0; i < ed_node_len(dst); i++) {
        const ed_node *de = ed_node_at(dst, i);
        const ed_node *kv = fs.key ? key_of(de, fs.key) : de;
        if (kv && list_has_key(patch, ed_node_len(patch), fs.key, kv))
            continue;
        ed_node_append(m->doc, result, ed_node_copy(m->doc, de));
    }
    *out = result;
    return 0;
}

/* Merge the patch value pv of key into the mapping dst_map. */
static int merge_value(struct merger *m, ed_node *dst_map, const char *key, const ed_node *pv,
                       field_schema fs)
{
    ed_node *dv = ed_node_get(dst_map, key);
    switch (ed_node_kind_of(pv)) {
    case ED_NODE_MAP: {
        bool fresh = ed_node_kind_of(dv) != ED_NODE_MAP;
        ed_node *target = fresh ? ed_node_new_map(m->doc) : dv;
        bool deleted;
        ed_node *replacement;
        int rc = merge_map(m, target, pv, fs.def, &deleted, &replacement);
        if (rc)
            return rc;
        if (deleted)
            ed_node_remove(dst_map, key);
        else if (replacement)
            ed_node_set(m->doc, dst_map, key, replacement);
        else if (fresh)
            ed_node_set(m->doc, dst_map, key, target);
        return 0;
    }
    case ED_NODE_SEQ: {
        ed_node *list = NULL;
        if (fs.merge) {
            int rc = merge_list(m, ed_node_kind_of(dv) == ED_NODE_SEQ ? dv : NULL, pv, fs, &list);
            if (rc)
                return rc;
        } else {
            list = copy_list_without_markers(m, pv);
        }
        ed_node_set(m->doc, dst_map, key, list);
        return 0;
    }
    default:
        ed_node_set(m->doc, dst_map, key, ed_node_copy(m->doc, pv));
        return 0;
    }
}

int ed_ks_smp_apply(ed_doc *doc, const ed_node *patch, bool *deleted, ed_err *err)
{
    ED_ASSERT(doc != NULL && deleted != NULL);
    *deleted = false;
    ed_node *root = ed_doc_root(doc);
    if (ed_node_kind_of(root) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "the object to patch is not a mapping");
    if (ed_node_kind_of(patch) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "a strategic merge patch must be a mapping, not a %s",
                          ed_node_kind_name(ed_node_kind_of(patch)));
    struct merger m = {doc, err};
    ed_node *replacement = NULL;
    int rc = merge_map(&m, root, patch, root_def(root), deleted, &replacement);
    if (rc)
        return rc;
    if (replacement)
        ed_doc_set_root(doc, replacement);
    return 0;
}
