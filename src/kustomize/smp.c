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
 * A kustomization's own OpenAPI document (`openapi: {path: ...}`) replaces the table, as in
 * kustomize: its definitions (with $ref, x-kubernetes-patch-strategy, -patch-merge-key and
 * -list-map-keys) are read in place.
 * kustomize's merge does not interpret the API server's other directives
 * (`$setElementOrder/`, `$retainKeys`, `$deleteFromPrimitiveList/`): like it, this engine
 * copies them into the result as ordinary keys.
 */
#include "kustomize_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A definition: of the built-in table (def, -1 for none), or of a kustomization's own OpenAPI
 * document (cdef, a schema object in it, NULL for none). */
typedef struct schema_ref {
    int def;
    const ed_node *cdef;
} schema_ref;

/* The schema of a field: the definition of its value (or of a list's elements) and whether it
 * merges as a list, with which keys ("a,b"; NULL for a list of scalars). */
typedef struct field_schema {
    schema_ref elem;
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

static field_schema builtin_field(int def, const char *name)
{
    field_schema fs = {{-1, NULL}, false, NULL};
    if (def < 0 || def >= NDEFS)
        return fs;
    /* The fields of a definition are sorted by name (the generator sorts them). */
    int lo = smp_defs[def].first, hi = lo + smp_defs[def].count;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(smp_fields[mid].name, name);
        if (c == 0) {
            fs.elem.def = smp_fields[mid].def;
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
    const ed_node *custom; /* the `definitions` of a kustomization's OpenAPI document, or NULL */
    char path[512];        /* where the merge is, for messages: ".spec.containers[0]" */
    size_t plen;
};

/* Descend into a key or index (for messages); returns the mark to give to path_pop. */
static size_t path_push(struct merger *m, const char *key, size_t index)
{
    size_t mark = m->plen;
    int n = key ? snprintf(m->path + mark, sizeof(m->path) - mark, ".%s", key)
                : snprintf(m->path + mark, sizeof(m->path) - mark, "[%zu]", index);
    if (n > 0)
        m->plen = mark + (size_t)n < sizeof(m->path) ? mark + (size_t)n : sizeof(m->path) - 1;
    return mark;
}

static void path_pop(struct merger *m, size_t mark)
{
    m->plen = mark;
    m->path[mark] = '\0';
}

/* The path for messages, without its leading dot ("the top" at the top). */
static const char *path_text(const struct merger *m)
{
    return m->plen ? m->path + (m->path[0] == '.') : "the top";
}

/* ---- a kustomization's own OpenAPI document (`openapi: {path: ...}`) ---- */

/* Follow `$ref: "#/definitions/NAME"` from a schema object; NULL when it leads nowhere. */
static const ed_node *custom_resolve(const ed_node *defs, const ed_node *schema)
{
    for (int hops = 0; schema && hops < 32; hops++) {
        const char *ref = ed_node_str(ed_node_get(schema, "$ref"));
        if (!ref)
            return ed_node_kind_of(schema) == ED_NODE_MAP ? schema : NULL;
        if (!ed_str_has_prefix(ref, "#/definitions/"))
            return NULL;
        schema = ed_node_get(defs, ref + strlen("#/definitions/"));
    }
    return NULL;
}

/* The definition whose x-kubernetes-group-version-kind names obj's kind. */
static const ed_node *custom_root(const ed_node *defs, const ed_node *obj)
{
    ks_id id;
    ks_id_of(obj, &id);
    for (size_t i = 0; i < ed_node_len(defs); i++) {
        const ed_node *gvks =
            ed_node_get(ed_node_value_at(defs, i), "x-kubernetes-group-version-kind");
        for (size_t k = 0; k < ed_node_len(gvks); k++) {
            const ed_node *g = ed_node_at(gvks, k);
            const char *group = ed_node_str(ed_node_get(g, "group"));
            const char *version = ed_node_str(ed_node_get(g, "version"));
            const char *kind = ed_node_str(ed_node_get(g, "kind"));
            if (group && version && kind && strlen(group) == id.group_len &&
                strncmp(group, id.group, id.group_len) == 0 && strcmp(version, id.version) == 0 &&
                strcmp(kind, id.kind) == 0)
                return custom_resolve(defs, ed_node_value_at(defs, i));
        }
    }
    return NULL;
}

/* A field of a custom definition: its schema (a map value of additionalProperties when the
 * name is not a property), the definition of its value or its list's elements, and its
 * strategy and keys (the list-map keys when it has a strategy and them, else the merge key). */
static field_schema custom_field(struct merger *m, const ed_node *cdef, const char *name)
{
    field_schema fs = {{-1, NULL}, false, NULL};
    const ed_node *prop = ed_node_get(ed_node_get(cdef, "properties"), name);
    if (!prop)
        prop = ed_node_get(cdef, "additionalProperties");
    const ed_node *field = custom_resolve(m->custom, prop);
    if (!field)
        return fs;
    const ed_node *items = ed_node_get(field, "items");
    const char *type = ed_node_str(ed_node_get(field, "type"));
    bool list = items || (type && strcmp(type, "array") == 0);
    fs.elem.cdef = list ? custom_resolve(m->custom, items) : field;
    const char *strategy = ed_node_str(ed_node_get(field, "x-kubernetes-patch-strategy"));
    fs.merge = list && strategy && has_merge_strategy(strategy);
    const ed_node *map_keys = ed_node_get(field, "x-kubernetes-list-map-keys");
    if (strategy && ed_node_len(map_keys) > 0) {
        ed_buf b = ED_BUF_INIT(4096);
        for (size_t i = 0; i < ed_node_len(map_keys); i++)
            if (ed_node_str(ed_node_at(map_keys, i)))
                ed_buf_printf(&b, "%s%s", b.len ? "," : "", ed_node_str(ed_node_at(map_keys, i)));
        ed_buf_append(&b, "", 1);
        fs.key = ed_arena_strdup(ed_doc_arena(m->doc), b.data);
        ed_buf_free(&b);
    } else {
        fs.key = ed_node_str(ed_node_get(field, "x-kubernetes-patch-merge-key"));
    }
    return fs;
}

static field_schema lookup_field(struct merger *m, schema_ref sr, const char *name)
{
    if (m->custom) {
        field_schema none = {{-1, NULL}, false, NULL};
        return sr.cdef ? custom_field(m, sr.cdef, name) : none;
    }
    return builtin_field(sr.def, name);
}

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
        return ed_err_set(
            m->err, ED_EINVALID,
            "%s: unknown patch directive '$patch: %s' (want delete, replace or merge)",
            path_text(m), s ? s : ed_node_kind_name(ed_node_kind_of(d)));
    return 0;
}

static int merge_value(struct merger *m, ed_node *dst_map, const char *key, const ed_node *pv,
                       field_schema fs);

/*
 * Merge mapping patch into mapping dst (of definition def). *deleted is set when the patch
 * says `$patch: delete`; on `$patch: replace`, *replacement is the mapping to use instead.
 */
static int merge_map(struct merger *m, ed_node *dst, const ed_node *patch, schema_ref sr,
                     bool *deleted, ed_node **replacement)
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
        /* The patch's content alone, read as if merged into nothing (its nulls dropped, its
         * own directives applied). */
        *replacement = ed_node_new_map(m->doc);
        dst = *replacement;
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
        size_t mark = path_push(m, key, 0);
        rc = merge_value(m, dst, key, pv, lookup_field(m, sr, key));
        path_pop(m, mark);
    }
    return rc;
}

/* ---- lists merged by key ---- */

#define MAX_KEYS 4
#define KEY_TEXT 64

/* The merge keys of a list ("containerPort,protocol") and one element's values of them, as
 * strings ("" when absent or not a scalar), which is how kustomize compares them. */
typedef struct merge_keys {
    char names[MAX_KEYS][KEY_TEXT];
    size_t n;
} merge_keys;

typedef struct key_tuple {
    const char *v[MAX_KEYS]; /* the element's string, or num[i]; never NULL */
    char num[MAX_KEYS][24];  /* numbers and booleans written out */
    size_t filled;           /* how many values are not empty */
} key_tuple;

static void parse_keys(const char *spec, merge_keys *k)
{
    k->n = 0;
    while (*spec && k->n < MAX_KEYS) {
        size_t len = strcspn(spec, ",");
        snprintf(k->names[k->n++], KEY_TEXT, "%.*s", (int)len, spec);
        spec += len + (spec[len] == ',');
    }
}

/* A key's value as kustomize compares it: the scalar's text, "" for anything else. */
static const char *scalar_text(const ed_node *n, char num[24])
{
    int64_t i;
    bool b;
    if (ed_node_str(n))
        return ed_node_str(n);
    if (ed_node_int(n, &i)) {
        snprintf(num, 24, "%lld", (long long)i);
        return num;
    }
    if (ed_node_bool(n, &b))
        return b ? "true" : "false";
    return "";
}

static void tuple_of(const ed_node *elem, const merge_keys *k, key_tuple *t)
{
    t->filled = 0;
    for (size_t i = 0; i < k->n; i++) {
        const ed_node *v =
            ed_node_kind_of(elem) == ED_NODE_MAP ? ed_node_get(elem, k->names[i]) : NULL;
        t->v[i] = scalar_text(v, t->num[i]);
        if (t->v[i][0])
            t->filled++;
    }
}

static bool tuple_same(const key_tuple *a, const key_tuple *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
    return true;
}

/* Two tuples that agree on every key both have, but are not the same: kustomize finds the
 * target's element by the patch element's keys and then fails to match it, dropping the patch
 * element (a port given with a protocol against one without). */
static bool tuple_conflicts(const key_tuple *a, const key_tuple *b, size_t n)
{
    size_t common = 0;
    for (size_t i = 0; i < n; i++) {
        if (!a->v[i][0] || !b->v[i][0])
            continue;
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
        common++;
    }
    return common > 0 && !tuple_same(a, b, n);
}

/* What becomes of one element of a patch list. */
typedef enum {
    ELEM_NEW,
    ELEM_MATCH,
    ELEM_DROP,
    ELEM_NOKEY,
    ELEM_DUPLICATE
} elem_fate;

typedef struct keyed_merge {
    struct merger *m;
    const ed_node *dst, *patch;
    field_schema fs;
    merge_keys keys;
    key_tuple *dt, *pt; /* tuples of the target's and the patch's elements */
    elem_fate *fate;
    bool has_nokey;     /* some patch element lacks every key */
    size_t *match;      /* for ELEM_MATCH: the index of the target's element */
    size_t *matched_by; /* for each target element: the patch element matching it, or SIZE_MAX */
    bool several_keys;  /* some element has values for more than one key */
} keyed_merge;

static void classify(keyed_merge *km)
{
    size_t nd = ed_node_len(km->dst), np = ed_node_len(km->patch), n = km->keys.n;
    for (size_t d = 0; d < nd; d++)
        km->matched_by[d] = SIZE_MAX;
    for (size_t p = 0; p < np; p++) {
        const ed_node *pe = ed_node_at(km->patch, p);
        km->fate[p] = ELEM_NEW;
        if (ed_node_kind_of(pe) != ED_NODE_MAP || km->pt[p].filled == 0) {
            km->fate[p] = ELEM_NOKEY;
            km->has_nokey = true;
            continue;
        }
        for (size_t q = 0; q < p && km->fate[p] == ELEM_NEW; q++)
            if (km->fate[q] != ELEM_NOKEY && tuple_same(&km->pt[q], &km->pt[p], n))
                km->fate[p] = ELEM_DUPLICATE;
        for (size_t d = 0; d < nd && km->fate[p] == ELEM_NEW; d++)
            if (km->dt[d].filled && tuple_same(&km->dt[d], &km->pt[p], n)) {
                km->fate[p] = ELEM_MATCH;
                km->match[p] = d;
                km->matched_by[d] = p;
            }
        for (size_t d = 0; d < nd && km->fate[p] == ELEM_NEW; d++)
            if (tuple_conflicts(&km->dt[d], &km->pt[p], n))
                km->fate[p] = ELEM_DROP;
    }
}

/* Patch element pe merged onto the target's element de (NULL: a new element). *out is NULL
 * when pe deletes the element. */
static int merge_one(keyed_merge *km, const ed_node *de, const ed_node *pe, ed_node **out)
{
    struct merger *m = km->m;
    ed_node *merged = de ? ed_node_copy(m->doc, de) : ed_node_new_map(m->doc);
    bool deleted;
    ed_node *replacement;
    *out = NULL;
    int rc = merge_map(m, merged, pe, km->fs.elem, &deleted, &replacement);
    if (rc || deleted)
        return rc;
    /* kustomize keeps the target's element as it was when a patch element that matches it says
     * `$patch: replace`; a new element is added without the directive. */
    if (replacement && de)
        *out = ed_node_copy(m->doc, de);
    else
        *out = replacement ? replacement : merged;
    return 0;
}

/*
 * The merged list as kustomize builds it. When every element is identified by one key, the
 * patch's elements come first in patch order (merged with the target's element of the same
 * key), then the target's other elements. When some element carries several keys (a port with
 * its protocol), only the patch's new elements come first, and the target's elements keep their
 * places, merged in place (a deletion then needs the patch element to give every key).
 * A patch element without any key is dropped; with one key, kustomize then matches it against
 * every element of the target, and keeps only the patch's elements.
 */
static int assemble(keyed_merge *km, ed_node *result)
{
    struct merger *m = km->m;
    size_t nd = ed_node_len(km->dst), np = ed_node_len(km->patch);
    for (size_t p = 0; p < np; p++) {
        const ed_node *pe = ed_node_at(km->patch, p);
        ed_node *v = NULL;
        int rc = 0;
        size_t mark = path_push(m, NULL, p);
        if (km->fate[p] == ELEM_NEW)
            rc = merge_one(km, NULL, pe, &v);
        else if (km->fate[p] == ELEM_MATCH && !km->several_keys)
            rc = merge_one(km, ed_node_at(km->dst, km->match[p]), pe, &v);
        path_pop(m, mark);
        if (rc)
            return rc;
        if (v)
            ed_node_append(m->doc, result, v);
    }
    for (size_t d = 0; d < nd; d++) {
        const ed_node *de = ed_node_at(km->dst, d);
        size_t p = km->matched_by[d];
        if (!km->several_keys && (p != SIZE_MAX || km->has_nokey))
            continue;
        ed_node *v = ed_node_copy(m->doc, de);
        if (p != SIZE_MAX) {
            size_t mark = path_push(m, NULL, p);
            int rc = merge_one(km, de, ed_node_at(km->patch, p), &v);
            path_pop(m, mark);
            if (rc)
                return rc;
            if (!v && km->pt[p].filled < km->keys.n)
                v = ed_node_copy(m->doc, de);
        }
        if (v)
            ed_node_append(m->doc, result, v);
    }
    return 0;
}

static int merge_keyed(struct merger *m, const ed_node *dst, const ed_node *patch, field_schema fs,
                       ed_node *result)
{
    size_t nd = ed_node_len(dst), np = ed_node_len(patch);
    keyed_merge km = {.m = m, .dst = dst, .patch = patch, .fs = fs};
    parse_keys(fs.key, &km.keys);
    km.dt = ed_xcalloc(nd + 1, sizeof(*km.dt));
    km.pt = ed_xcalloc(np + 1, sizeof(*km.pt));
    km.fate = ed_xcalloc(np + 1, sizeof(*km.fate));
    km.match = ed_xcalloc(np + 1, sizeof(*km.match));
    km.matched_by = ed_xcalloc(nd + 1, sizeof(*km.matched_by));
    for (size_t d = 0; d < nd; d++) {
        tuple_of(ed_node_at(dst, d), &km.keys, &km.dt[d]);
        km.several_keys |= km.dt[d].filled > 1;
    }
    for (size_t p = 0; p < np; p++) {
        tuple_of(ed_node_at(patch, p), &km.keys, &km.pt[p]);
        km.several_keys |= km.pt[p].filled > 1;
    }
    classify(&km);
    int rc = assemble(&km, result);
    free(km.dt);
    free(km.pt);
    free(km.fate);
    free(km.match);
    free(km.matched_by);
    return rc;
}

/* A list of scalars with strategy merge: the patch's values, then the target's others. */
static void merge_scalars(struct merger *m, const ed_node *dst, const ed_node *patch,
                          ed_node *result)
{
    const ed_node *lists[] = {patch, dst};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < ed_node_len(lists[l]); i++) {
            const ed_node *e = ed_node_at(lists[l], i);
            bool seen = false;
            for (size_t k = 0; k < ed_node_len(result) && !seen; k++)
                seen = ed_node_equal(ed_node_at(result, k), e);
            if (!seen)
                ed_node_append(m->doc, result, ed_node_copy(m->doc, e));
        }
}

/* True when a patch list holds the element `{$patch: <directive>}` (replace: the list replaces
 * the target's; delete: the field is removed). */
static bool list_says(const ed_node *patch, const char *word)
{
    for (size_t i = 0; i < ed_node_len(patch); i++) {
        const ed_node *e = ed_node_at(patch, i);
        const char *s = ed_node_str(ed_node_get(e, "$patch"));
        if (ed_node_kind_of(e) == ED_NODE_MAP && ed_node_len(e) == 1 && s && strcmp(s, word) == 0)
            return true;
    }
    return false;
}

/* The patch list without `$patch` marker elements, each mapping read as if merged into
 * nothing (nulls dropped, deleted elements left out), for a list that replaces the target's. */
static int replacement_list(struct merger *m, const ed_node *patch, field_schema fs, ed_node **out)
{
    *out = ed_node_new_seq(m->doc);
    for (size_t i = 0; i < ed_node_len(patch); i++) {
        const ed_node *e = ed_node_at(patch, i);
        if (ed_node_kind_of(e) != ED_NODE_MAP) {
            ed_node_append(m->doc, *out, ed_node_copy(m->doc, e));
            continue;
        }
        if (ed_node_len(e) == 1 && ed_node_get(e, "$patch"))
            continue;
        ed_node *fresh = ed_node_new_map(m->doc), *replacement;
        bool deleted;
        size_t mark = path_push(m, NULL, i);
        int rc = merge_map(m, fresh, e, fs.elem, &deleted, &replacement);
        path_pop(m, mark);
        if (rc)
            return rc;
        if (!deleted)
            ed_node_append(m->doc, *out, replacement ? replacement : fresh);
    }
    return 0;
}

/* Merge list patch into list dst (NULL when the target has none); *out is the new list, or
 * NULL when the patch deletes it. */
static int merge_list(struct merger *m, const ed_node *dst, const ed_node *patch, field_schema fs,
                      ed_node **out)
{
    *out = NULL;
    if (list_says(patch, "delete"))
        return 0;
    if (list_says(patch, "replace"))
        return replacement_list(m, patch, fs, out);
    ed_node *result = ed_node_new_seq(m->doc);
    if (fs.key) {
        int rc = merge_keyed(m, dst, patch, fs, result);
        if (rc)
            return rc;
    } else {
        merge_scalars(m, dst, patch, result);
    }
    *out = result;
    return 0;
}

/* Whether a value is a mapping, a sequence or a scalar: kustomize refuses to merge values of
 * different shapes (NONE: absent or null, which merge with anything). */
typedef enum {
    SHAPE_NONE,
    SHAPE_MAP,
    SHAPE_SEQ,
    SHAPE_SCALAR
} shape;

static shape shape_of(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_MAP:
        return SHAPE_MAP;
    case ED_NODE_SEQ:
        return SHAPE_SEQ;
    case ED_NODE_NULL:
        return SHAPE_NONE;
    default:
        return n ? SHAPE_SCALAR : SHAPE_NONE;
    }
}

static const char *shape_name(shape s)
{
    return s == SHAPE_MAP ? "mapping" : s == SHAPE_SEQ ? "sequence" : "scalar";
}

/* Merge the patch value pv of key into the mapping dst_map. */
static int merge_value(struct merger *m, ed_node *dst_map, const char *key, const ed_node *pv,
                       field_schema fs)
{
    ed_node *dv = ed_node_get(dst_map, key);
    if (shape_of(dv) != SHAPE_NONE && shape_of(pv) != SHAPE_NONE && shape_of(dv) != shape_of(pv))
        return ed_err_set(m->err, ED_EINVALID,
                          "%s: wrong node kind: the object has a %s, the patch a %s", path_text(m),
                          shape_name(shape_of(dv)), shape_name(shape_of(pv)));
    switch (ed_node_kind_of(pv)) {
    case ED_NODE_MAP: {
        bool fresh = ed_node_kind_of(dv) != ED_NODE_MAP;
        ed_node *target = fresh ? ed_node_new_map(m->doc) : dv;
        bool deleted;
        ed_node *replacement;
        int rc = merge_map(m, target, pv, fs.elem, &deleted, &replacement);
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
            /* A list that does not merge is replaced, directives and all. */
            list = ed_node_copy(m->doc, pv);
        }
        if (list)
            ed_node_set(m->doc, dst_map, key, list);
        else
            ed_node_remove(dst_map, key);
        return 0;
    }
    default:
        ed_node_set(m->doc, dst_map, key, ed_node_copy(m->doc, pv));
        return 0;
    }
}

int ks_smp_apply(ed_doc *doc, const ed_node *patch, const ed_node *definitions, bool with_builtin,
                 bool *deleted, ed_err *err)
{
    ED_ASSERT(doc != NULL && deleted != NULL);
    *deleted = false;
    ed_node *root = ed_doc_root(doc);
    if (ed_node_kind_of(root) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "the object to patch is not a mapping");
    if (ed_node_kind_of(patch) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "a strategic merge patch must be a mapping, not a %s",
                          ed_node_kind_name(ed_node_kind_of(patch)));
    struct merger m = {.doc = doc, .err = err, .custom = definitions};
    schema_ref sr = {-1, NULL};
    if (definitions)
        sr.cdef = custom_root(definitions, root);
    if (!definitions || (!sr.cdef && with_builtin)) {
        m.custom = NULL;
        sr.def = root_def(root);
    }
    ed_node *replacement = NULL;
    /* `$patch: replace` at the top is ignored by kustomize: the object stays as it is. */
    return merge_map(&m, root, patch, sr, deleted, &replacement);
}

int ed_ks_smp_apply_schema(ed_doc *doc, const ed_node *patch, const ed_node *definitions,
                           bool *deleted, ed_err *err)
{
    return ks_smp_apply(doc, patch, definitions, false, deleted, err);
}

int ed_ks_smp_apply(ed_doc *doc, const ed_node *patch, bool *deleted, ed_err *err)
{
    return ed_ks_smp_apply_schema(doc, patch, NULL, deleted, err);
}
