/*
 * kustomize's `replacements`: copy a value from one field of one object (the source) into
 * fields of other objects (the targets), after every other transformer of the kustomization.
 *
 * A source selects exactly one object by group, version, kind, name and namespace (matching
 * its current or any previous id) and names a field (metadata.name by default); with
 * `options.delimiter` the value is one part of that field's text, split on the delimiter. Each
 * target selects objects the same way, plus label and annotation selectors, less those matching
 * a `reject` entry, and lists field paths (metadata.name by default). A path is dot-separated:
 * mapping keys, `[key=value]` for the items of a list whose key has that value, `[=value]` for
 * the items equal to it, a number for one item, `*` for every item; a key holding dots is
 * written `[example.com/key]` or with `\.`. With `options.create`
 * missing fields are created; otherwise a path that finds nothing is an error. With
 * `options.delimiter` the value replaces the part `index` of the target's text (or is
 * prepended for a negative index, appended past the end). A scalar target keeps its type
 * where the new text allows it (`replicas: 1` stays a number); anything else is replaced whole.
 * Entries with `path` load replacements (one, or a list) from a file of the kustomization.
 */
#include "kustomize_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct repl_ctx {
    ks_list *l;
    const char *kfile;
    ed_err *err;
};

/* ---- selecting objects ---- */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static bool sel_part(const ed_node *sel, const char *key, const char *have, size_t have_len)
{
    const char *want = ed_node_str(ed_node_get(sel, key));
    return !want || !*want || (strlen(want) == have_len && strncmp(want, have, have_len) == 0);
}

static bool ns_eq(const char *a, const char *b)
{
    return strcmp(*a ? a : "default", *b ? b : "default") == 0;
}

/* kustomize's ResId.IsSelectedBy for one id (name and namespace given separately). */
static bool id_selected(const ed_node *sel, const ks_id *id, const char *name, const char *ns)
{
    const char *sns = ed_node_str(ed_node_get(sel, "namespace"));
    return sel_part(sel, "group", id->group, id->group_len) &&
           sel_part(sel, "version", id->version, strlen(id->version)) &&
           sel_part(sel, "kind", id->kind, strlen(id->kind)) &&
           sel_part(sel, "name", name, strlen(name)) && (!sns || !*sns || ns_eq(sns, ns));
}

/* The selector picks r by its current id or any previous one. */
static bool res_selected(const ed_node *sel, const ks_res *r)
{
    ks_id id;
    ks_id_of(ed_doc_root(r->doc), &id);
    if (id_selected(sel, &id, id.name, id.ns))
        return true;
    for (size_t i = 0; i < r->n_old_names; i++)
        if (id_selected(sel, &id, r->old_names[i], r->old_ns[i]))
            return true;
    return false;
}

/* A label or annotation selector (kustomize's, set-based ones included) on map. */
static int selector_ok(struct repl_ctx *c, const char *selector, const ed_node *map, bool *ok)
{
    *ok = true;
    if (!selector)
        return 0;
    int rc = ks_selector_match(selector, map, ok, c->err);
    return rc ? ed_err_wrap(c->err, "%s: replacements", c->kfile) : 0;
}

/* ---- paths ---- */

static void parts_add(char ***parts, size_t *n, size_t *cap, char *part)
{
    if (*n + 2 > *cap) {
        *cap *= 2;
        *parts = ed_xrealloc(*parts, *cap * sizeof(char *));
    }
    (*parts)[(*n)++] = part;
    (*parts)[*n] = NULL;
}

/* Split a field path on '.' as kustomize does: "\." is a dot inside a key, a leading '.' is
 * dropped, and a "[...]" that spans dots stays whole: with a '=' it selects list items
 * ("[name=com.example]"), without one it is a mapping key, brackets removed
 * ("[example.com/key]"). Returns a NULL-terminated array. */
static char **split_path(const char *path)
{
    size_t cap = 8, n = 0;
    char **raw = ed_xcalloc(cap, sizeof(char *));
    const char *start = path;
    for (const char *p = path;; p++) {
        if (*p != '\0' && *p != '.')
            continue;
        char *part = ed_xstrndup(start, (size_t)(p - start));
        size_t len = strlen(part);
        if (n > 0 && strlen(raw[n - 1]) > 0 && raw[n - 1][strlen(raw[n - 1]) - 1] == '\\') {
            /* an escaped dot: join with the previous part */
            char *prev = raw[n - 1];
            prev[strlen(prev) - 1] = '\0';
            raw[n - 1] = ed_xasprintf("%s.%s", prev, part);
            free(prev);
            free(part);
        } else if (n == 0 && len == 0 && *p == '.') {
            free(part); /* a leading '.' */
        } else {
            parts_add(&raw, &n, &cap, part);
        }
        if (*p == '\0')
            break;
        start = p + 1;
    }
    size_t out_cap = 8, out_n = 0;
    char **parts = ed_xcalloc(out_cap, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(raw[i]);
        if (raw[i][0] != '[' || (len > 0 && raw[i][len - 1] == ']')) {
            parts_add(&parts, &out_n, &out_cap, raw[i]);
            continue;
        }
        char *joined = raw[i];
        while (i + 1 < n) {
            i++;
            char *next = ed_xasprintf("%s.%s", joined, raw[i]);
            free(joined);
            size_t rlen = strlen(raw[i]);
            bool closes = rlen > 0 && raw[i][rlen - 1] == ']';
            free(raw[i]);
            joined = next;
            if (closes)
                break;
        }
        if (!strchr(joined, '=')) {
            /* Go's strings.Trim(s, "[]") */
            size_t b = strspn(joined, "[]");
            size_t e = strlen(joined);
            while (e > b && (joined[e - 1] == '[' || joined[e - 1] == ']'))
                e--;
            char *key = ed_xstrndup(joined + b, e - b);
            free(joined);
            joined = key;
        }
        parts_add(&parts, &out_n, &out_cap, joined);
    }
    free(raw);
    return parts;
}

/* A "[...]" part without '=' left by split_path (one spanning no dot) is no list selector, and
 * kustomize refuses it rather than reading it as a key: the first such part, or NULL. */
static const char *bad_selector(char **parts)
{
    for (size_t i = 0; parts[i]; i++) {
        size_t len = strlen(parts[i]);
        if (parts[i][0] == '[' && len > 1 && parts[i][len - 1] == ']' && !strchr(parts[i], '='))
            return parts[i];
    }
    return NULL;
}

/* Paths are walked recursively, one level per part: a guard against a hostile path. */
static bool too_deep(char **parts)
{
    size_t n = 0;
    while (parts[n])
        n++;
    return n > ED_DOC_MAX_DEPTH;
}

static void free_parts(char **parts)
{
    for (size_t i = 0; parts && parts[i]; i++)
        free(parts[i]);
    free(parts);
}

static bool is_index(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A place a value is written to: the mapping and key, or the sequence and index, holding it. */
struct slot {
    ed_node *parent;
    const char *key; /* NULL for a sequence item */
    size_t index;
};

struct slots {
    struct slot *items;
    size_t len, cap;
};

static void slots_add(struct slots *s, ed_node *parent, const char *key, size_t index)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->items = ed_xrealloc(s->items, s->cap * sizeof(*s->items));
    }
    s->items[s->len++] = (struct slot){parent, key, index};
}

static ed_node *slot_get(const struct slot *s)
{
    return s->key ? ed_node_get(s->parent, s->key) : ed_node_at(s->parent, s->index);
}

/* Put value at slot s (in doc). A sequence item is replaced by moving the items after it. */
static void slot_set(ed_doc *doc, const struct slot *s, ed_node *value)
{
    if (s->key) {
        ed_node_set(doc, s->parent, s->key, value);
        return;
    }
    size_t n = ed_node_len(s->parent);
    ed_node **rest = ed_xcalloc(n + 1, sizeof(ed_node *));
    size_t k = 0;
    for (size_t i = s->index + 1; i < n; i++)
        rest[k++] = ed_node_at(s->parent, i);
    while (ed_node_len(s->parent) > s->index)
        ed_node_remove_at(s->parent, s->index);
    ed_node_append(doc, s->parent, value);
    for (size_t i = 0; i < k; i++)
        ed_node_append(doc, s->parent, rest[i]);
    free(rest);
}

/* The kind of node a path step leads into when it has to be created. */
static ed_node *new_container(ed_doc *doc, const char *next)
{
    return next && (next[0] == '[' || is_index(next) || strcmp(next, "*") == 0)
               ? ed_node_new_seq(doc)
               : ed_node_new_map(doc);
}

static void find(ed_doc *doc, const struct slot *at, char **parts, bool create,
                 ed_node_kind leaf_kind, struct slots *out);

/* The items of seq matching "[key=value]" or "[=value]" (created when missing and create). */
static void find_items(ed_doc *doc, ed_node *seq, const char *part, char **rest, bool create,
                       ed_node_kind leaf_kind, struct slots *out)
{
    size_t plen = strlen(part);
    const char *eq = strchr(part, '=');
    if (!eq || part[plen - 1] != ']')
        return;
    char *key = ed_xstrndup(part + 1, (size_t)(eq - part - 1));
    char *value = ed_xstrndup(eq + 1, (size_t)(part + plen - 1 - eq - 1));
    bool found = false;
    for (size_t i = 0; i < ed_node_len(seq); i++) {
        const ed_node *item = ed_node_at(seq, i);
        const char *v = *key ? ed_node_str(ed_node_get(item, key)) : ed_node_str(item);
        if (v && strcmp(v, value) == 0) {
            struct slot s = {seq, NULL, i};
            find(doc, &s, rest, create, leaf_kind, out);
            found = true;
        }
    }
    if (!found && create && *key) {
        ed_node *item = ed_node_new_map(doc);
        ed_node_set(doc, item, ed_arena_strdup(ed_doc_arena(doc), key),
                    ed_node_new_str(doc, value));
        ed_node_append(doc, seq, item);
        struct slot s = {seq, NULL, ed_node_len(seq) - 1};
        find(doc, &s, rest, create, leaf_kind, out);
    }
    free(key);
    free(value);
}

/* Follow parts from the node at slot `at`, collecting the slots they lead to. */
static void find(ed_doc *doc, const struct slot *at, char **parts, bool create,
                 ed_node_kind leaf_kind, struct slots *out)
{
    if (!parts[0]) {
        slots_add(out, at->parent, at->key, at->index);
        return;
    }
    ed_node *node = slot_get(at);
    const char *part = parts[0];
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        if (strcmp(part, "*") == 0) {
            for (size_t i = 0; i < ed_node_len(node); i++) {
                struct slot s = {node, NULL, i};
                find(doc, &s, parts + 1, create, leaf_kind, out);
            }
        } else if (part[0] == '[') {
            find_items(doc, node, part, parts + 1, create, leaf_kind, out);
        } else if (is_index(part)) {
            size_t i = (size_t)strtoul(part, NULL, 10);
            if (i < ed_node_len(node)) {
                struct slot s = {node, NULL, i};
                find(doc, &s, parts + 1, create, leaf_kind, out);
            }
        }
        return;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return;
    ed_node *child = ed_node_get(node, part);
    if ((!child || ed_node_kind_of(child) == ED_NODE_NULL) && create) {
        child = parts[1]                   ? new_container(doc, parts[1])
                : leaf_kind == ED_NODE_MAP ? ed_node_new_map(doc)
                : leaf_kind == ED_NODE_SEQ ? ed_node_new_seq(doc)
                                           : ed_node_new_null(doc); /* typed by its text */
        ed_node_set(doc, node, ed_arena_strdup(ed_doc_arena(doc), part), child);
    }
    if (!child)
        return;
    /* the slot keeps the document's own copy of the key, which outlives parts */
    struct slot s = {node, NULL, 0};
    for (size_t i = 0; i < ed_node_len(node) && !s.key; i++)
        if (strcmp(ed_node_key_at(node, i), part) == 0)
            s.key = ed_node_key_at(node, i);
    if (!s.key)
        return;
    find(doc, &s, parts + 1, create, leaf_kind, out);
}

/* ---- values ---- */

/* The text of a scalar as kustomize reads it (NULL for a mapping or sequence). */
static char *scalar_text(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_STR:
        return ed_xstrdup(ed_node_str(n));
    case ED_NODE_NULL:
        return ed_xstrdup("");
    case ED_NODE_INT:
    case ED_NODE_FLOAT:
    case ED_NODE_BOOL: {
        ed_buf b = ED_BUF_INIT(1 << 10);
        (void)ed_node_to_json(n, &b);
        return ed_buf_take(&b);
    }
    default:
        return NULL;
    }
}

ed_node *ks_plain_scalar(ed_doc *doc, const char *text)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    ed_node *out = NULL;
    if (*text && !strchr(text, '\n') &&
        ed_doc_parse_yaml(text, strlen(text), NULL, &docs, &n, &err) == 0 && n == 1) {
        const ed_node *v = ed_doc_root(docs[0]);
        ed_node_kind k = ed_node_kind_of(v);
        if (k == ED_NODE_NULL || k == ED_NODE_BOOL || k == ED_NODE_INT || k == ED_NODE_FLOAT ||
            (ed_node_str_plain(v) && strcmp(ed_node_str(v), text) == 0))
            out = ed_node_copy(doc, v);
    }
    ed_doc_list_free(docs, n);
    ed_err_clear(&err);
    /* the parser drops a document that is only a null */
    if (!out && (strcmp(text, "~") == 0 || strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
                 strcmp(text, "NULL") == 0))
        out = ed_node_new_null(doc);
    return out ? out : ed_node_new_str(doc, text);
}

/* A scalar of the target's type holding text, where the text reads as that type. */
static ed_node *typed_scalar(ed_doc *doc, ed_node_kind kind, const char *text)
{
    if (kind == ED_NODE_NULL)
        return ks_plain_scalar(doc, text);
    if (kind == ED_NODE_INT && *text) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (!*end && !errno)
            return ed_node_new_int(doc, v);
    }
    if (kind == ED_NODE_BOOL && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0))
        return ed_node_new_bool(doc, strcmp(text, "true") == 0);
    return ed_node_new_str(doc, text);
}

/* Join parts[0..n) with delim; the caller frees it. */
static char *join(char **parts, size_t n, const char *delim)
{
    ed_buf b = ED_BUF_INIT(SIZE_MAX);
    for (size_t i = 0; i < n; i++) {
        if (i)
            (void)ed_buf_append_str(&b, delim);
        (void)ed_buf_append_str(&b, parts[i]);
    }
    return ed_buf_take(&b);
}

/* Split text on delim (non-empty) into a malloc'd array of *n malloc'd strings. */
static char **split_on(const char *text, const char *delim, size_t *n)
{
    size_t cap = 4;
    char **parts = ed_xcalloc(cap, sizeof(char *));
    *n = 0;
    size_t dl = strlen(delim);
    for (const char *p = text;;) {
        const char *hit = strstr(p, delim);
        if (*n + 2 > cap) {
            cap *= 2;
            parts = ed_xrealloc(parts, cap * sizeof(char *));
        }
        parts[(*n)++] = ed_xstrndup(p, hit ? (size_t)(hit - p) : strlen(p));
        if (!hit)
            break;
        p = hit + dl;
    }
    return parts;
}

static void free_split(char **parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
}

/* ---- checking the fields ---- */

static const char *const repl_keys[] = {"path", "source", "targets", NULL};
static const char *const source_keys[] = {"group",     "version",   "kind",    "name",
                                          "namespace", "fieldPath", "options", NULL};
static const char *const target_keys[] = {"select", "reject", "fieldPaths", "options", NULL};
static const char *const select_keys[] = {
    "group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector", NULL};
static const char *const option_keys[] = {"delimiter", "index", "create", NULL};

/* Every key of map is one of keys (kustomize decodes strictly). */
static int check_keys(const ed_node *map, const char *const *keys, const char *kfile, ed_err *err)
{
    for (size_t i = 0; i < ed_node_len(map); i++) {
        const char *k = ed_node_key_at(map, i);
        size_t j = 0;
        while (keys[j] && strcmp(keys[j], k) != 0)
            j++;
        if (!keys[j])
            return ed_err_set(err, ED_EINVALID,
                              "%s: invalid Kustomization: json: unknown field \"%s\"", kfile, k);
    }
    return 0;
}

static int check_map(const ed_node *n, const char *const *keys, const char *what, const char *kfile,
                     ed_err *err)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "%s: replacements: %s must be a mapping", kfile, what);
    return check_keys(n, keys, kfile, err);
}

static int check_target(const ed_node *t, const char *kfile, ed_err *err)
{
    int rc = check_map(t, target_keys, "a target", kfile, err);
    if (!rc)
        rc = check_map(ed_node_get(t, "select"), select_keys, "select", kfile, err);
    if (!rc)
        rc = check_map(ed_node_get(t, "options"), option_keys, "options", kfile, err);
    const ed_node *rejects = ed_node_get(t, "reject");
    for (size_t i = 0; !rc && i < ed_node_len(rejects); i++)
        rc = check_map(ed_node_at(rejects, i), select_keys, "reject", kfile, err);
    const ed_node *paths = ed_node_get(t, "fieldPaths");
    if (!rc && paths && ed_node_kind_of(paths) != ED_NODE_SEQ)
        rc = ed_err_set(err, ED_EINVALID, "%s: replacements: fieldPaths must be a list", kfile);
    for (size_t i = 0; !rc && i < ed_node_len(paths); i++)
        if (!ed_node_str(ed_node_at(paths, i)))
            rc = ed_err_set(err, ED_EINVALID,
                            "%s: replacements: fieldPaths must be a list of strings", kfile);
    return rc;
}

static int check_replacement(const ed_node *r, const char *kfile, ed_err *err)
{
    int rc = check_map(r, repl_keys, "a replacement", kfile, err);
    const ed_node *source = ed_node_get(r, "source");
    if (!rc)
        rc = check_map(source, source_keys, "source", kfile, err);
    if (!rc)
        rc = check_map(ed_node_get(source, "options"), option_keys, "options", kfile, err);
    const ed_node *targets = ed_node_get(r, "targets");
    if (!rc && targets && ed_node_kind_of(targets) != ED_NODE_SEQ)
        rc = ed_err_set(err, ED_EINVALID, "%s: replacements: targets must be a list", kfile);
    for (size_t i = 0; !rc && i < ed_node_len(targets); i++)
        rc = check_target(ed_node_at(targets, i), kfile, err);
    return rc;
}

/* ---- one replacement ---- */

static int get_index(const ed_node *opts, int64_t *index)
{
    *index = 0;
    ed_node_int(ed_node_get(opts, "index"), index);
    return 0;
}

/* The source value (a node of the source's document), refined by its options. */
static int source_value(struct repl_ctx *c, const ed_node *source, ed_doc *tmp, ed_node **out)
{
    ks_res *found = NULL;
    for (size_t i = 0; i < c->l->len; i++) {
        if (!res_selected(source, &c->l->items[i]))
            continue;
        if (found)
            return ed_err_set(c->err, ED_EINVALID,
                              "%s: replacements: multiple matches for the source selector",
                              c->kfile);
        found = &c->l->items[i];
    }
    if (!found)
        return ed_err_set(c->err, ED_ENOTFOUND,
                          "%s: replacements: nothing selected by the source selector (kind '%s', "
                          "name '%s')",
                          c->kfile, or_empty(ed_node_str(ed_node_get(source, "kind"))),
                          or_empty(ed_node_str(ed_node_get(source, "name"))));
    const char *fp = ed_node_str(ed_node_get(source, "fieldPath"));
    if (!fp || !*fp)
        fp = "metadata.name";
    char **parts = split_path(fp);
    if (too_deep(parts)) {
        free_parts(parts);
        return ed_err_set(c->err, ED_EINVALID, "%s: replacements: fieldPath `%.64s...` is too deep",
                          c->kfile, fp);
    }
    if (bad_selector(parts)) {
        int rc = ed_err_set(c->err, ED_EINVALID,
                            "%s: replacements: fieldPath `%s`: list path element %s must contain "
                            "fieldName=fieldValue for element to match",
                            c->kfile, fp, bad_selector(parts));
        free_parts(parts);
        return rc;
    }
    struct slots got = {0};
    ed_doc *doc = found->doc;
    struct slot root = {NULL, NULL, 0};
    /* a pseudo-slot for the root: wrap it in a one-item sequence of tmp */
    ed_node *wrap = ed_node_new_seq(tmp);
    ed_node_append(tmp, wrap, ed_node_copy(tmp, ed_doc_root(doc)));
    root.parent = wrap;
    find(tmp, &root, parts, false, ED_NODE_NULL, &got);
    free_parts(parts);
    ed_node *v = got.len ? slot_get(&got.items[0]) : NULL;
    free(got.items);
    if (!v || ed_node_kind_of(v) == ED_NODE_NULL ||
        ((ed_node_kind_of(v) == ED_NODE_MAP || ed_node_kind_of(v) == ED_NODE_SEQ) &&
         ed_node_len(v) == 0) ||
        (ed_node_kind_of(v) == ED_NODE_STR && !*ed_node_str(v)))
        return ed_err_set(c->err, ED_EINVALID,
                          "%s: replacements: fieldPath `%s` is missing for replacement source %s",
                          c->kfile, fp, ed_node_path_str(ed_doc_root(doc), "/metadata/name"));
    const ed_node *opts = ed_node_get(source, "options");
    const char *delim = ed_node_str(ed_node_get(opts, "delimiter"));
    if (delim && *delim) {
        char *text = scalar_text(v);
        if (!text)
            return ed_err_set(c->err, ED_EINVALID,
                              "%s: replacements: delimiter option can only be used with scalar "
                              "nodes",
                              c->kfile);
        int64_t index;
        get_index(opts, &index);
        size_t n;
        char **split = split_on(text, delim, &n);
        int rc = 0;
        /* a value read from a Secret is never echoed */
        const char *skind = ed_node_path_str(ed_doc_root(found->doc), "/kind");
        bool secret = skind && strcmp(skind, "Secret") == 0;
        if (index < 0 || (uint64_t)index >= n)
            rc = ed_err_set(c->err, ED_EINVALID,
                            "%s: replacements: options.index %lld is out of bounds for value %s",
                            c->kfile, (long long)index,
                            secret ? "(from a Secret, not shown)" : text);
        else
            v = ed_node_new_str(tmp, split[index]);
        free_split(split, n);
        free(text);
        if (rc)
            return rc;
    }
    *out = v;
    return 0;
}

static int write_target(struct repl_ctx *c, ed_doc *doc, const struct slot *s, const ed_node *value,
                        const ed_node *opts)
{
    ed_node *cur = slot_get(s);
    const char *delim = ed_node_str(ed_node_get(opts, "delimiter"));
    char *text = scalar_text(value);
    if (delim && *delim) {
        char *ttext = scalar_text(cur);
        if (!ttext || !text) {
            free(ttext);
            free(text);
            return ed_err_set(c->err, ED_EINVALID,
                              "%s: replacements: delimiter option can only be used with scalar "
                              "nodes",
                              c->kfile);
        }
        int64_t index;
        get_index(opts, &index);
        size_t n;
        char **parts = split_on(ttext, delim, &n);
        parts = ed_xrealloc(parts, (n + 1) * sizeof(char *));
        if (index < 0) {
            memmove(parts + 1, parts, n * sizeof(char *));
            parts[0] = ed_xstrdup(text);
            n++;
        } else if ((uint64_t)index >= n) {
            parts[n++] = ed_xstrdup(text);
        } else {
            free(parts[index]);
            parts[index] = ed_xstrdup(text);
        }
        free(text);
        text = join(parts, n, delim);
        free_split(parts, n);
        free(ttext);
    }
    bool cur_scalar = ed_node_kind_of(cur) != ED_NODE_MAP && ed_node_kind_of(cur) != ED_NODE_SEQ;
    if (cur_scalar && text)
        slot_set(doc, s, typed_scalar(doc, ed_node_kind_of(cur), text));
    else
        slot_set(doc, s, ed_node_copy(doc, value));
    free(text);
    return 0;
}

/* Does r match select's id fields and its label and annotation selectors? */
static int matches(struct repl_ctx *c, const ed_node *sel, const ks_res *r, bool *match)
{
    const ed_node *meta = ed_node_get(ed_doc_root(r->doc), "metadata");
    bool lok, aok;
    *match = false;
    int rc = selector_ok(c, ed_node_str(ed_node_get(sel, "labelSelector")),
                         ed_node_get(meta, "labels"), &lok);
    if (!rc)
        rc = selector_ok(c, ed_node_str(ed_node_get(sel, "annotationSelector")),
                         ed_node_get(meta, "annotations"), &aok);
    if (!rc)
        *match = lok && aok && res_selected(sel, r);
    return rc;
}

/* Is r matched by one of the (non-empty) reject selectors, labels and annotations included? */
static int rejected(struct repl_ctx *c, const ed_node *rejects, const ks_res *r, bool *out)
{
    *out = false;
    for (size_t i = 0; i < ed_node_len(rejects) && !*out; i++) {
        const ed_node *sel = ed_node_at(rejects, i);
        if (ed_node_len(sel) == 0)
            continue;
        int rc = matches(c, sel, r, out);
        if (rc)
            return rc;
    }
    return 0;
}

static int apply_target(struct repl_ctx *c, const ed_node *target, const ed_node *value)
{
    const ed_node *sel = ed_node_get(target, "select");
    if (!sel)
        return ed_err_set(c->err, ED_EINVALID,
                          "%s: replacements: target must specify resources to select", c->kfile);
    const ed_node *opts = ed_node_get(target, "options");
    bool create = false;
    ed_node_bool(ed_node_get(opts, "create"), &create);
    const ed_node *paths = ed_node_get(target, "fieldPaths");
    for (size_t i = 0; i < c->l->len; i++) {
        ks_res *r = &c->l->items[i];
        const ed_node *meta = ed_node_get(ed_doc_root(r->doc), "metadata");
        bool selected, reject = false;
        int rc = matches(c, sel, r, &selected);
        if (!rc && selected)
            rc = rejected(c, ed_node_get(target, "reject"), r, &reject);
        if (rc)
            return rc;
        if (!selected || reject)
            continue;
        size_t np = ed_node_len(paths) ? ed_node_len(paths) : 1;
        for (size_t p = 0; p < np; p++) {
            const char *fp = ed_node_len(paths) ? ed_node_str(ed_node_at(paths, p)) : NULL;
            if (!fp)
                fp = "metadata.name";
            char **parts = split_path(fp);
            if (too_deep(parts)) {
                free_parts(parts);
                return ed_err_set(c->err, ED_EINVALID,
                                  "%s: replacements: fieldPath `%.64s...` is too deep", c->kfile,
                                  fp);
            }
            if (bad_selector(parts)) {
                rc = ed_err_set(c->err, ED_EINVALID,
                                "%s: replacements: fieldPath `%s`: list path element %s must "
                                "contain fieldName=fieldValue for element to match",
                                c->kfile, fp, bad_selector(parts));
                free_parts(parts);
                return rc;
            }
            struct slots got = {0};
            ed_node *wrap = ed_node_new_seq(r->doc);
            ed_node_append(r->doc, wrap, ed_doc_root(r->doc));
            struct slot root = {wrap, NULL, 0};
            find(r->doc, &root, parts, create, ed_node_kind_of(value), &got);
            free_parts(parts);
            if (got.len == 0) {
                free(got.items);
                return ed_err_set(c->err, ED_EINVALID,
                                  "%s: replacements: unable to find%s field \"%s\" in replacement "
                                  "target %s",
                                  c->kfile, create ? " or create" : "", fp,
                                  or_empty(ed_node_str(ed_node_get(meta, "name"))));
            }
            for (size_t k = 0; k < got.len && !rc; k++)
                rc = write_target(c, r->doc, &got.items[k], value, opts);
            free(got.items);
            if (rc)
                return rc;
            /* the root itself may have been replaced through the wrapper */
            ed_doc_set_root(r->doc, ed_node_at(wrap, 0));
        }
    }
    return 0;
}

static int run_one(struct repl_ctx *c, const ed_node *repl)
{
    const ed_node *source = ed_node_get(repl, "source");
    if (!source)
        return ed_err_set(c->err, ED_EINVALID, "%s: replacements: a replacement needs a source",
                          c->kfile);
    ed_doc *tmp = ed_doc_new();
    ed_node *value = NULL;
    int rc = source_value(c, source, tmp, &value);
    const ed_node *targets = ed_node_get(repl, "targets");
    for (size_t i = 0; !rc && i < ed_node_len(targets); i++)
        rc = apply_target(c, ed_node_at(targets, i), value);
    ed_doc_free(tmp);
    return rc;
}

/* Replacements from a file: a list of them, or one. */
static int run_file(struct repl_ctx *c, struct build *b, const char *dir, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    ed_doc **docs = NULL;
    size_t n = 0;
    int rc = ks_read_source(b, dir, path, c->kfile, &data, &len, c->err);
    if (!rc)
        rc = ed_doc_parse_yaml(data, len, path, &docs, &n, c->err);
    for (size_t d = 0; !rc && d < n; d++) {
        const ed_node *root = ed_doc_root(docs[d]);
        if (ed_node_kind_of(root) == ED_NODE_SEQ) {
            for (size_t i = 0; !rc && i < ed_node_len(root); i++) {
                rc = check_replacement(ed_node_at(root, i), path, c->err);
                if (!rc)
                    rc = run_one(c, ed_node_at(root, i));
            }
        } else {
            rc = check_replacement(root, path, c->err);
            if (!rc)
                rc = run_one(c, root);
        }
    }
    ed_doc_list_free(docs, n);
    free(data);
    return rc;
}

int ks_replace(struct build *b, const ed_node *kz, const char *dir, const char *kfile, ks_list *l,
               ed_err *err)
{
    struct repl_ctx c = {l, kfile, err};
    const ed_node *all = ed_node_get(kz, "replacements");
    for (size_t i = 0; i < ed_node_len(all); i++) {
        int rc = check_replacement(ed_node_at(all, i), kfile, err);
        if (rc)
            return rc;
    }
    const ed_node *repls = ed_node_get(kz, "replacements");
    for (size_t i = 0; i < ed_node_len(repls); i++) {
        const ed_node *r = ed_node_at(repls, i);
        const char *path = ed_node_str(ed_node_get(r, "path"));
        int rc;
        if (path && (ed_node_get(r, "source") || ed_node_get(r, "targets")))
            rc = ed_err_set(err, ED_EINVALID,
                            "%s: replacements: cannot specify both path and inline replacement",
                            kfile);
        else if (path)
            rc = run_file(&c, b, dir, path);
        else
            rc = run_one(&c, r);
        if (rc)
            return rc;
    }
    return 0;
}
