/*
 * JSON patch (RFC 6902) on ed_node trees, as kustomize applies `patches` entries whose body is
 * a list of operations and the legacy `patchesJson6902`: add, remove, replace, move, copy and
 * test, with RFC 6901 pointers (`~0` for '~', `~1` for '/', `-` for the end of an array).
 *
 * Like the library kustomize uses (evanphx/json-patch), `add` needs the parent of its path to
 * exist, `remove` needs the path itself, `replace` needs it too except that replacing a missing
 * key of a mapping adds it, an array index may equal the length only for `add`, a negative index
 * counts from the end, `test` of a missing mapping member against null passes, and a '~' not
 * followed by 0 or 1 is kept literally. Operations apply in order; the first failure stops the
 * patch and names the operation, its index and its path.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

/* A parsed pointer: the parent container of the last token, and that token. */
struct pointer_target {
    ed_node *parent; /* NULL when the pointer is the whole document ("") */
    char *token;     /* unescaped last token, malloc'd */
};

/* Unescape one reference token (RFC 6901 section 4). Like the library kustomize uses, a '~'
 * not followed by 0 or 1 is kept as it is. Never NULL. */
static char *unescape_token(const char *s, size_t n)
{
    char *out = ed_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '~') {
            out[o++] = s[i];
            continue;
        }
        if (i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[o++] = s[i + 1] == '0' ? '~' : '/';
            i++;
            continue;
        }
        out[o++] = '~';
    }
    out[o] = '\0';
    return out;
}

/* An array index token read as kustomize's library reads it (Go's strconv.Atoi): an optional
 * sign and digits; false otherwise. */
static bool parse_signed(const char *tok, long *out)
{
    const char *p = tok;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (!*p || strlen(p) > 9)
        return false;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* The element index tok names in seq: negative counts from the end (-1 is the last, as the
 * library's negative-index support has it); false when out of range. */
static bool elem_index(const ed_node *seq, const char *tok, size_t *out)
{
    long v, len = (long)ed_node_len(seq);
    if (!parse_signed(tok, &v))
        return false;
    if (v < 0)
        v += len;
    if (v < 0 || v >= len)
        return false;
    *out = (size_t)v;
    return true;
}

/* Where an add at tok inserts into seq: "-" and the length append, -1 appends too, -2 goes
 * before the last element; false when out of range. */
static bool insert_index(const ed_node *seq, const char *tok, size_t *out)
{
    long v, len = (long)ed_node_len(seq);
    if (strcmp(tok, "-") == 0) {
        *out = (size_t)len;
        return true;
    }
    if (!parse_signed(tok, &v))
        return false;
    if (v < 0)
        v += len + 1;
    if (v < 0 || v > len)
        return false;
    *out = (size_t)v;
    return true;
}

/* The child of node under an (unescaped) token, or NULL. */
static ed_node *child(const ed_node *node, const char *tok)
{
    size_t idx;
    if (ed_node_kind_of(node) == ED_NODE_MAP)
        return ed_node_get(node, tok);
    if (ed_node_kind_of(node) == ED_NODE_SEQ && elem_index(node, tok, &idx))
        return ed_node_at(node, idx);
    return NULL;
}

/* Walk pointer ptr from root down to the parent of its last token. */
static int resolve(ed_node *root, const char *ptr, struct pointer_target *t, ed_err *err)
{
    ED_ASSERT(ptr != NULL);
    t->parent = NULL;
    t->token = NULL;
    if (*ptr == '\0')
        return 0;
    if (*ptr != '/')
        return ed_err_set(err, ED_EINVALID,
                          "path '%s' is not a JSON pointer (it must start with '/')", ptr);
    ed_node *cur = root;
    const char *p = ptr + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char *tok = unescape_token(p, n);
        if (!slash) {
            t->parent = cur;
            t->token = tok;
            return 0;
        }
        ed_node *next = child(cur, tok);
        free(tok);
        if (!next)
            return ed_err_set(err, ED_ENOTFOUND, "path '%s' does not exist in the object", ptr);
        cur = next;
        p = slash + 1;
    }
}

static ed_node *target_value(const struct pointer_target *t, ed_node *root)
{
    return t->parent ? child(t->parent, t->token) : root;
}

/* Insert value into seq before index idx (idx == len appends). */
static void seq_insert(ed_doc *doc, ed_node *seq, size_t idx, ed_node *value)
{
    size_t len = ed_node_len(seq);
    ed_node *tail = ed_node_new_seq(doc);
    for (size_t i = idx; i < len; i++)
        ed_node_append(doc, tail, ed_node_at(seq, i));
    while (ed_node_len(seq) > idx)
        ed_node_remove_at(seq, idx);
    ed_node_append(doc, seq, value);
    for (size_t i = 0; i < ed_node_len(tail); i++)
        ed_node_append(doc, seq, ed_node_at(tail, i));
}

static int op_add(ed_doc *doc, const char *path, ed_node *value, ed_err *err)
{
    struct pointer_target t;
    int rc = resolve(ed_doc_root(doc), path, &t, err);
    if (rc)
        return rc;
    if (!t.parent) {
        ed_doc_set_root(doc, value);
    } else if (ed_node_kind_of(t.parent) == ED_NODE_MAP) {
        ed_node_set(doc, t.parent, t.token, value);
    } else if (ed_node_kind_of(t.parent) == ED_NODE_SEQ) {
        size_t idx = 0;
        if (!insert_index(t.parent, t.token, &idx))
            rc = ed_err_set(err, ED_EINVALID,
                            "index '%s' of path '%s' is out of range (the array has %zu items)",
                            t.token, path, ed_node_len(t.parent));
        else
            seq_insert(doc, t.parent, idx, value);
    } else {
        rc = ed_err_set(err, ED_EINVALID, "path '%s' leads into a %s", path,
                        ed_node_kind_name(ed_node_kind_of(t.parent)));
    }
    free(t.token);
    return rc;
}

/* Remove the value at path; *removed (when not NULL) receives it. */
static int op_remove(ed_doc *doc, const char *path, ed_node **removed, ed_err *err)
{
    struct pointer_target t;
    int rc = resolve(ed_doc_root(doc), path, &t, err);
    if (rc)
        return rc;
    ed_node *v = target_value(&t, ed_doc_root(doc));
    if (!t.parent || !v) {
        rc = ed_err_set(err, ED_ENOTFOUND,
                        t.parent ? "path '%s' does not exist in the object"
                                 : "path '%s' is the whole object",
                        path);
    } else if (ed_node_kind_of(t.parent) == ED_NODE_MAP) {
        ed_node_remove(t.parent, t.token);
    } else {
        size_t idx = 0;
        elem_index(t.parent, t.token, &idx);
        ed_node_remove_at(t.parent, idx);
    }
    if (!rc && removed)
        *removed = v;
    free(t.token);
    return rc;
}

static int op_replace(ed_doc *doc, const char *path, ed_node *value, ed_err *err)
{
    struct pointer_target t;
    int rc = resolve(ed_doc_root(doc), path, &t, err);
    if (rc)
        return rc;
    /* As in kustomize's library, replacing a missing key of a mapping adds it. */
    bool map_parent = t.parent && ed_node_kind_of(t.parent) == ED_NODE_MAP;
    if (!map_parent && !target_value(&t, ed_doc_root(doc))) {
        rc = ed_err_set(err, ED_ENOTFOUND, "path '%s' does not exist in the object", path);
    } else if (!t.parent) {
        ed_doc_set_root(doc, value);
    } else if (ed_node_kind_of(t.parent) == ED_NODE_MAP) {
        ed_node_set(doc, t.parent, t.token, value);
    } else {
        size_t idx = 0;
        elem_index(t.parent, t.token, &idx);
        ed_node_remove_at(t.parent, idx);
        seq_insert(doc, t.parent, idx, value);
    }
    free(t.token);
    return rc;
}

static int op_get(ed_doc *doc, const char *path, ed_node **out, ed_err *err)
{
    struct pointer_target t;
    int rc = resolve(ed_doc_root(doc), path, &t, err);
    if (rc)
        return rc;
    *out = target_value(&t, ed_doc_root(doc));
    free(t.token);
    if (!*out)
        return ed_err_set(err, ED_ENOTFOUND, "path '%s' does not exist in the object", path);
    return 0;
}

/* Is the parent of path an existing mapping? */
static bool parent_is_map(ed_doc *doc, const char *path)
{
    struct pointer_target t;
    ed_err ignored = ED_ERR_INIT;
    if (resolve(ed_doc_root(doc), path, &t, &ignored) != 0)
        return false;
    free(t.token);
    return ed_node_kind_of(t.parent) == ED_NODE_MAP;
}

/* The string field `name` of operation op; NULL (and err set) when missing. */
static const char *op_string(const ed_node *op, const char *name, ed_err *err)
{
    const char *s = ed_node_str(ed_node_get(op, name));
    if (!s)
        ed_err_set(err, ED_EINVALID, "the operation has no string '%s'", name);
    return s;
}

static int apply_op(ed_doc *doc, const ed_node *op, ed_err *err)
{
    if (ed_node_kind_of(op) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID, "an operation must be a mapping, not a %s",
                          ed_node_kind_name(ed_node_kind_of(op)));
    const char *name = op_string(op, "op", err);
    if (!name)
        return ED_EINVALID;
    const char *path = op_string(op, "path", err);
    if (!path)
        return ED_EINVALID;
    const ed_node *value = ed_node_get(op, "value");
    bool needs_value =
        strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 || strcmp(name, "test") == 0;
    if (needs_value && !value)
        return ed_err_set(err, ED_EINVALID, "'%s' operation on '%s' has no value", name, path);
    const char *from = NULL;
    if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
        from = op_string(op, "from", err);
        if (!from)
            return ED_EINVALID;
    }
    ed_node *v = NULL;
    int rc;
    if (strcmp(name, "add") == 0)
        return op_add(doc, path, ed_node_copy(doc, value), err);
    if (strcmp(name, "remove") == 0)
        return op_remove(doc, path, NULL, err);
    if (strcmp(name, "replace") == 0)
        return op_replace(doc, path, ed_node_copy(doc, value), err);
    if (strcmp(name, "move") == 0) {
        ED_ASSERT(from != NULL);
        if (strncmp(path, from, strlen(from)) == 0 && path[strlen(from)] == '/')
            return ed_err_set(err, ED_EINVALID, "cannot move '%s' into its own child '%s'", from,
                              path);
        rc = op_remove(doc, from, &v, err);
        return rc ? rc : op_add(doc, path, v, err);
    }
    if (strcmp(name, "copy") == 0) {
        ED_ASSERT(from != NULL);
        rc = op_get(doc, from, &v, err);
        return rc ? rc : op_add(doc, path, ed_node_copy(doc, v), err);
    }
    if (strcmp(name, "test") == 0) {
        rc = op_get(doc, path, &v, err);
        /* The library finds a missing member of an existing mapping equal to null. */
        if (rc == ED_ENOTFOUND && ed_node_kind_of(value) == ED_NODE_NULL &&
            parent_is_map(doc, path))
            return 0;
        if (!rc && !ed_node_equal(v, value))
            rc = ed_err_set(err, ED_EINVALID, "test of '%s' failed: the value differs", path);
        return rc;
    }
    return ed_err_set(err, ED_EINVALID,
                      "unknown operation '%s' (want add, remove, replace, move, copy or test)",
                      name);
}

int ed_ks_json6902_apply(ed_doc *doc, const ed_node *ops, ed_err *err)
{
    ED_ASSERT(doc != NULL);
    if (ed_node_kind_of(ops) != ED_NODE_SEQ)
        return ed_err_set(err, ED_EINVALID, "a JSON patch must be a list of operations, not a %s",
                          ed_node_kind_name(ed_node_kind_of(ops)));
    for (size_t i = 0; i < ed_node_len(ops); i++) {
        int rc = apply_op(doc, ed_node_at(ops, i), err);
        if (rc) {
            const char *op = ed_node_str(ed_node_get(ed_node_at(ops, i), "op"));
            return ed_err_wrap(err, "operation %zu (%s)", i, op ? op : "?");
        }
    }
    return 0;
}
