/*
 * kustomize's alpha ValueAddTransformer (a `transformers:` entry): one value written into one
 * field of the objects each target selects.
 *
 * A target's fieldPath is a '/'-separated path as kyaml's PathGetter walks it with create:
 * mapping keys ("\/" is a slash inside a key; empty parts are dropped), a number for a list
 * item, "-" for the last one, "[key=value]" or "[=value]" for the first item matching (added
 * when none does); missing mappings and lists on the way, and the field itself, are created. A
 * list index past the end, or a null on the way, leaves the object alone. The field must be a
 * scalar; its new text keeps a quoted string a string, and is typed as plain YAML otherwise (a
 * created field holding "8080" is a number), as kyaml's field setter does. With
 * filePathPosition N > 0 the value is inserted into the field's text as a file path part at
 * position N - 1 (Go's filepath.Join cleans the result). The path metadata/namespace runs the
 * NamespaceTransformer's rules (namespaced objects only, the subjects named "default" of role
 * bindings).
 */
#include "kustomize_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* kyaml's name of a node kind, for its "wrong node kind" messages. */
static const char *yaml_kind(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_MAP:
        return "MappingNode";
    case ED_NODE_SEQ:
        return "SequenceNode";
    default:
        return "ScalarNode";
    }
}

/* ---- the path ---- */

char *ks_trim_space(const char *s)
{
    static const char space[] = " \t\n\v\f\r";
    s += strspn(s, space);
    size_t len = strlen(s);
    while (len > 0 && strchr(space, s[len - 1]))
        len--;
    return ed_xstrndup(s, len);
}

/* Split on '/', joining "a\" and "b" into "a/b", then drop the parts that are empty once
 * trimmed of spaces (kyaml's cleanPath). NULL-terminated. */
static char **split(const char *path)
{
    size_t n = 0;
    char **parts = ed_xcalloc(strlen(path) + 2, sizeof(char *));
    const char *start = path;
    for (const char *p = path;; p++) {
        if (*p != '\0' && *p != '/')
            continue;
        char *part = ed_xstrndup(start, (size_t)(p - start));
        size_t prev = n ? strlen(parts[n - 1]) : 0;
        if (prev && parts[n - 1][prev - 1] == '\\') {
            parts[n - 1][prev - 1] = '\0';
            char *joined = ed_xasprintf("%s/%s", parts[n - 1], part);
            free(parts[n - 1]);
            free(part);
            parts[n - 1] = joined;
        } else {
            parts[n++] = part;
        }
        if (*p == '\0')
            break;
        start = p + 1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = ks_trim_space(parts[i]);
        free(parts[i]);
        if (*t)
            parts[kept++] = t;
        else
            free(t);
    }
    parts[kept] = NULL;
    return parts;
}

static void free_parts(char **parts)
{
    for (size_t i = 0; parts[i]; i++)
        free(parts[i]);
    free(parts);
}

/* Go's strconv.Atoi, for the parts that index a list: true with *out set for a number. */
static bool atoi_go(const char *s, long long *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return !*end && !errno && !(s[0] == ' ' || s[0] == '\t');
}

static bool is_list_index(const char *p)
{
    size_t len = strlen(p);
    return len >= 2 && p[0] == '[' && p[len - 1] == ']';
}

/* The container a missing part is created as: a list when the next part indexes one. */
static ed_node *new_part(ed_doc *doc, const char *next)
{
    long long idx;
    if (!next)
        return ed_node_new_null(doc); /* the field itself, typed by its new text */
    if (is_list_index(next) || (atoi_go(next, &idx) && idx >= 0))
        return ed_node_new_seq(doc);
    return ed_node_new_map(doc);
}

/* Where the field is: the mapping and key, or the list and index, holding it. */
struct place {
    ed_node *parent;
    const char *key; /* NULL for a list item */
    size_t index;
};

/* The node at `at`; a place without a parent is the object itself. */
static ed_node *place_get(const struct place *at, ed_node *root)
{
    if (!at->parent)
        return root;
    return at->key ? ed_node_get(at->parent, at->key) : ed_node_at(at->parent, at->index);
}

static int wrong_kind(const char *where, const char *want, const ed_node *got, ed_err *err)
{
    return ed_err_set(err, ED_EINVALID, "%s: wrong node kind: expected %s but got %s", where, want,
                      yaml_kind(got));
}

/* One step from node (the value at *at) along part: *at becomes the next place; *found false
 * when a list index finds nothing (the object is left alone). */
static int step(ed_doc *doc, struct place *at, const char *part, const char *next, bool *found,
                const char *where, ed_err *err)
{
    ed_node *node = place_get(at, ed_doc_root(doc));
    long long idx = 0;
    if (atoi_go(part, &idx) || strcmp(part, "-") == 0) {
        if (strcmp(part, "-") != 0 && idx < 0)
            return ed_err_set(err, ED_EINVALID, "%s: array index %lld cannot be negative", where,
                              idx);
        if (ed_node_kind_of(node) != ED_NODE_SEQ)
            return wrong_kind(where, "SequenceNode", node, err);
        size_t len = ed_node_len(node);
        if (strcmp(part, "-") == 0)
            idx = (long long)len - 1;
        if (idx < 0 || (size_t)idx >= len) {
            *found = false;
            return 0;
        }
        *at = (struct place){node, NULL, (size_t)idx};
        return 0;
    }
    if (strcmp(part, "*") == 0)
        return ed_err_set(err, ED_EINVALID, "%s: wildcard is not supported in PathGetter", where);
    if (is_list_index(part)) {
        const char *eq = strchr(part, '=');
        if (!eq)
            return ed_err_set(err, ED_EINVALID,
                              "%s: list path element must contain fieldName=fieldValue for "
                              "element to match",
                              where);
        if (ed_node_kind_of(node) != ED_NODE_SEQ)
            return wrong_kind(where, "SequenceNode", node, err);
        char *key = ed_xstrndup(part + 1, (size_t)(eq - part - 1));
        char *value = ed_xstrndup(eq + 1, strlen(eq + 1) - 1);
        size_t i = 0;
        for (; i < ed_node_len(node); i++) {
            const ed_node *item = ed_node_at(node, i);
            const char *v = ed_node_scalar_text(*key ? ed_node_get(item, key) : item);
            if (v && strcmp(v, value) == 0)
                break;
        }
        if (i == ed_node_len(node)) {
            ed_node *item;
            if (*key) {
                item = ed_node_new_map(doc);
                ed_node_set(doc, item, ed_arena_strdup(ed_doc_arena(doc), key),
                            ed_node_new_str(doc, value));
            } else {
                item = ed_node_new_str(doc, value);
            }
            ed_node_append(doc, node, item);
        }
        free(key);
        free(value);
        *at = (struct place){node, NULL, i};
        return 0;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return wrong_kind(where, "MappingNode", node, err);
    ed_node *child = ed_node_get(node, part);
    if (child && ed_node_kind_of(child) == ED_NODE_NULL && next) {
        /* kyaml walks into the null and writes below it, where nothing is kept */
        *found = false;
        return 0;
    }
    if (!child)
        ed_node_set(doc, node, ed_arena_strdup(ed_doc_arena(doc), part), new_part(doc, next));
    /* the place keeps the document's own copy of the key */
    for (size_t i = 0; i < ed_node_len(node); i++)
        if (strcmp(ed_node_key_at(node, i), part) == 0)
            *at = (struct place){node, ed_node_key_at(node, i), 0};
    return 0;
}

/* ---- file paths ---- */

/* Go's path.Clean. */
static char *clean(const char *path)
{
    bool rooted = path[0] == '/';
    size_t n = 0, cap = strlen(path) + 2;
    const char **seg = ed_xcalloc(cap, sizeof(char *));
    size_t *len = ed_xcalloc(cap, sizeof(size_t));
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t l = (size_t)(e - p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            /* nothing */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0 && !(len[n - 1] == 2 && strncmp(seg[n - 1], "..", 2) == 0))
                n--;
            else if (!rooted)
                seg[n] = p, len[n++] = l;
        } else {
            seg[n] = p, len[n++] = l;
        }
        p = e;
    }
    ed_buf out = ED_BUF_INIT(cap + 1);
    if (rooted)
        ed_buf_append(&out, "/", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ed_buf_append(&out, "/", 1);
        ed_buf_append(&out, seg[i], len[i]);
    }
    if (out.len == 0)
        ed_buf_append(&out, ".", 1);
    free(seg);
    free(len);
    return ed_buf_take(&out);
}

/* Go's filepath.Join: the non-empty elements joined with '/' and cleaned ("" for none). */
static char *join_go(char **elems, size_t n, bool rooted)
{
    ed_buf b = ED_BUF_INIT(1 << 16);
    if (rooted)
        ed_buf_append(&b, "/", 1);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!*elems[i])
            continue;
        if (any)
            ed_buf_append(&b, "/", 1);
        ed_buf_append_str(&b, elems[i]);
        any = true;
    }
    char *text = ed_buf_take(&b);
    char *out = any || rooted ? clean(text) : ed_xstrdup("");
    free(text);
    return out;
}

/* kyaml's filesys.InsertPathPart: part inserted into path's parts (filesys.PathSplit: "" first
 * for an absolute path) at position pos, 0 the first after a leading '/'. */
static char *insert_path_part(const char *path, long long pos, const char *part)
{
    if (!*part)
        return ed_xstrdup(path);
    size_t n = 0;
    char **parts = ed_xcalloc(strlen(path) + 3, sizeof(char *));
    const char *s = path;
    if (*s == '/')
        parts[n++] = "";
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        parts[n++] = ed_xstrndup(s, l);
        s += l;
    }
    bool rooted = n > 0 && !*parts[0];
    if (pos < 0)
        pos = 0;
    if ((size_t)pos > n)
        pos = (long long)n;
    if (rooted && (size_t)pos < n)
        pos++;
    memmove(parts + pos + 1, parts + pos, (n - (size_t)pos) * sizeof(char *));
    parts[pos] = (char *)part;
    /* PathJoin: a leading "" makes the path absolute */
    char *out = rooted ? join_go(parts + 1, n, true) : join_go(parts, n + 1, false);
    for (size_t i = 0; i <= n; i++)
        if (i != (size_t)pos && *parts[i])
            free(parts[i]);
    free(parts);
    return out;
}

/* ---- the transformer ---- */

/* Write value (or, with file_pos, value inserted into the field's text) into the field at
 * parts below r's root. */
static int add_one(ks_res *r, char **parts, const char *value, int64_t file_pos, const char *where,
                   ed_err *err)
{
    ed_doc *doc = r->doc;
    struct place at = {NULL, NULL, 0};
    bool found = true;
    for (size_t i = 0; parts[i] && found; i++) {
        int rc = step(doc, &at, parts[i], parts[i + 1], &found, where, err);
        if (rc)
            return rc;
    }
    if (!found)
        return 0;
    ed_node *cur = place_get(&at, ed_doc_root(doc));
    if (!at.parent)
        return wrong_kind(where, "ScalarNode", cur, err);
    if (ed_node_kind_of(cur) == ED_NODE_MAP || ed_node_kind_of(cur) == ED_NODE_SEQ)
        return wrong_kind(where, "ScalarNode", cur, err);
    char *text = ed_xstrdup(value);
    if (file_pos > 0) {
        const char *old = ed_node_scalar_text(cur);
        free(text);
        text = insert_path_part(old ? old : "", file_pos - 1, value);
    }
    ks_res_store_prev(r);
    /* a quoted string stays a string; anything plain is typed by its new text */
    bool quoted = ed_node_kind_of(cur) == ED_NODE_STR && !ed_node_str_plain(cur);
    ed_node *v = quoted ? ed_node_new_str(doc, text) : ks_plain_scalar(doc, text);
    if (at.key)
        ed_node_set(doc, at.parent, at.key, v);
    else
        ed_node_set_at(at.parent, at.index, v);
    free(text);
    return 0;
}

int ks_plugin_value_add(ks_list *l, const char *value, const ed_node *selector,
                        const char *field_path, int64_t file_pos, const char *where, ed_err *err)
{
    bool *selected = ed_xcalloc(l->len + 1, sizeof(bool));
    int rc = ks_select(selector, l, selected, err);
    if (rc) {
        free(selected);
        return ed_err_wrap(err, "%s", where);
    }
    bool ns = strcmp(field_path, "metadata/namespace") == 0;
    char **parts = ns ? NULL : split(field_path);
    for (size_t i = 0; i < l->len && !rc; i++) {
        if (!selected[i])
            continue;
        if (ns) {
            ks_list one = {.items = &l->items[i], .len = 1, .cap = 1};
            rc =
                ks_plugin_namespace(&one, value, NULL, false, KS_SUBJECTS_DEFAULT_ONLY, where, err);
        } else {
            rc = add_one(&l->items[i], parts, value, file_pos, where, err);
        }
    }
    if (parts)
        free_parts(parts);
    free(selected);
    return rc;
}
