/*
 * The document tree: nodes allocated in their document's arena, mappings as ordered arrays of
 * pairs (Kubernetes objects have small mappings, where a linear scan beats hashing), typed
 * scalars, paths, deep copy and equality, and compact JSON output.
 */
#include "doc_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ed_doc *ed_doc_new(void)
{
    ed_arena *arena = ed_arena_new();
    ed_doc *doc = ed_arena_alloc(arena, sizeof(*doc));
    doc->arena = arena;
    return doc;
}

void ed_doc_free(ed_doc *doc)
{
    if (doc)
        ed_arena_free(doc->arena);
}

ed_node *ed_doc_root(const ed_doc *doc)
{
    return doc->root;
}

void ed_doc_set_root(ed_doc *doc, ed_node *node)
{
    doc->root = node;
}

ed_arena *ed_doc_arena(ed_doc *doc)
{
    return doc->arena;
}

void ed_doc_list_free(ed_doc **docs, size_t count)
{
    if (!docs)
        return;
    for (size_t i = 0; i < count; i++)
        ed_doc_free(docs[i]);
    free(docs);
}

ed_node *ed_doc_node_alloc(ed_doc *doc, ed_node_kind kind)
{
    ed_node *n = ed_arena_alloc(doc->arena, sizeof(*n));
    n->kind = kind;
    n->plain = false;
    memset(&n->u, 0, sizeof(n->u));
    return n;
}

/* A copy of text in doc's arena (NULL stays NULL). */
static const char *arena_text(ed_doc *doc, const char *text, size_t len)
{
    if (!text)
        return NULL;
    char *t = ed_arena_alloc(doc->arena, len + 1);
    memcpy(t, text, len);
    t[len] = '\0';
    return t;
}

void ed_doc_node_set_text(ed_doc *doc, ed_node *n, const char *text, size_t len)
{
    if (n->kind == ED_NODE_BOOL)
        n->u.b.text = arena_text(doc, text, len);
    else if (n->kind == ED_NODE_INT)
        n->u.i.text = arena_text(doc, text, len);
    else if (n->kind == ED_NODE_NULL)
        n->u.z.text = arena_text(doc, text, len);
}

const char *ed_node_scalar_text(const ed_node *node)
{
    switch (ed_node_kind_of(node)) {
    case ED_NODE_STR:
        return node->u.s.text;
    case ED_NODE_FLOAT:
        return node->u.f.text;
    case ED_NODE_BOOL:
        return node->u.b.text;
    case ED_NODE_INT:
        return node->u.i.text;
    case ED_NODE_NULL:
        return node ? node->u.z.text : NULL;
    default:
        return NULL;
    }
}

ed_node *ed_node_new_null(ed_doc *doc)
{
    return ed_doc_node_alloc(doc, ED_NODE_NULL);
}

ed_node *ed_node_new_bool(ed_doc *doc, bool value)
{
    ed_node *n = ed_doc_node_alloc(doc, ED_NODE_BOOL);
    n->u.b.value = value;
    return n;
}

ed_node *ed_node_new_int(ed_doc *doc, int64_t value)
{
    ed_node *n = ed_doc_node_alloc(doc, ED_NODE_INT);
    n->u.i.value = value;
    return n;
}

ed_node *ed_node_new_strn(ed_doc *doc, const char *value, size_t len)
{
    ed_node *n = ed_doc_node_alloc(doc, ED_NODE_STR);
    char *s = ed_arena_alloc(doc->arena, len + 1);
    memcpy(s, value, len);
    s[len] = '\0';
    n->u.s.text = s;
    n->u.s.len = len;
    return n;
}

ed_node *ed_node_new_str(ed_doc *doc, const char *value)
{
    return ed_node_new_strn(doc, value, strlen(value));
}

ed_node *ed_node_new_seq(ed_doc *doc)
{
    return ed_doc_node_alloc(doc, ED_NODE_SEQ);
}

ed_node *ed_node_new_map(ed_doc *doc)
{
    return ed_doc_node_alloc(doc, ED_NODE_MAP);
}

ed_node *ed_doc_node_new_float(ed_doc *doc, double value, const char *text, size_t len)
{
    ed_node *n = ed_doc_node_alloc(doc, ED_NODE_FLOAT);
    n->u.f.value = value;
    char *t = ed_arena_alloc(doc->arena, len + 1);
    memcpy(t, text, len);
    n->u.f.text = t;
    return n;
}

ed_node *ed_node_new_float(ed_doc *doc, double value, const char *text)
{
    return ed_doc_node_new_float(doc, value, text, strlen(text));
}

bool ed_node_float(const ed_node *node, double *out, const char **text)
{
    if (!node || node->kind != ED_NODE_FLOAT)
        return false;
    *out = node->u.f.value;
    if (text)
        *text = node->u.f.text;
    return true;
}

ed_node *ed_node_copy(ed_doc *dst, const ed_node *src)
{
    if (!src)
        return NULL;
    ed_node *n;
    switch (src->kind) {
    case ED_NODE_STR:
        n = ed_node_new_strn(dst, src->u.s.text, src->u.s.len);
        break;
    case ED_NODE_FLOAT:
        n = ed_doc_node_new_float(dst, src->u.f.value, src->u.f.text, strlen(src->u.f.text));
        break;
    case ED_NODE_SEQ:
        n = ed_node_new_seq(dst);
        for (size_t i = 0; i < src->u.c.len; i++)
            ed_node_append(dst, n, ed_node_copy(dst, src->u.c.items[i].value));
        break;
    case ED_NODE_MAP:
        n = ed_node_new_map(dst);
        for (size_t i = 0; i < src->u.c.len; i++) {
            ed_node_set(dst, n, src->u.c.items[i].key, ed_node_copy(dst, src->u.c.items[i].value));
            n->u.c.items[n->u.c.len - 1].key_plain = src->u.c.items[i].key_plain;
        }
        break;
    default:
        n = ed_doc_node_alloc(dst, src->kind);
        n->u = src->u;
        /* the text lives in src's arena */
        const char *text = ed_node_scalar_text(src);
        ed_doc_node_set_text(dst, n, text, text ? strlen(text) : 0);
        break;
    }
    n->line = src->line;
    n->col = src->col;
    n->plain = src->plain;
    return n;
}

ed_node_kind ed_node_kind_of(const ed_node *node)
{
    return node ? node->kind : ED_NODE_NULL;
}

const char *ed_node_kind_name(ed_node_kind kind)
{
    static const char *const names[] = {"null",   "boolean",  "integer", "number",
                                        "string", "sequence", "mapping"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

bool ed_node_str_plain(const ed_node *node)
{
    return node && node->kind == ED_NODE_STR && node->plain;
}

const char *ed_node_str(const ed_node *node)
{
    return node && node->kind == ED_NODE_STR ? node->u.s.text : NULL;
}

size_t ed_node_str_len(const ed_node *node)
{
    return node && node->kind == ED_NODE_STR ? node->u.s.len : 0;
}

size_t ed_node_len(const ed_node *node)
{
    return node && (node->kind == ED_NODE_SEQ || node->kind == ED_NODE_MAP) ? node->u.c.len : 0;
}

ed_node *ed_node_at(const ed_node *seq, size_t i)
{
    return seq && seq->kind == ED_NODE_SEQ && i < seq->u.c.len ? seq->u.c.items[i].value : NULL;
}

const char *ed_node_key_at(const ed_node *map, size_t i)
{
    return map && map->kind == ED_NODE_MAP && i < map->u.c.len ? map->u.c.items[i].key : NULL;
}

bool ed_node_key_plain_at(const ed_node *map, size_t i)
{
    return map && map->kind == ED_NODE_MAP && i < map->u.c.len && map->u.c.items[i].key_plain;
}

ed_node *ed_node_value_at(const ed_node *map, size_t i)
{
    return map && map->kind == ED_NODE_MAP && i < map->u.c.len ? map->u.c.items[i].value : NULL;
}

static ed_pair *find_pair(const ed_node *map, const char *key, size_t keylen)
{
    if (!map || map->kind != ED_NODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->u.c.len; i++) {
        ed_pair *p = &map->u.c.items[i];
        if (strncmp(p->key, key, keylen) == 0 && p->key[keylen] == '\0')
            return p;
    }
    return NULL;
}

ed_node *ed_node_get(const ed_node *map, const char *key)
{
    ed_pair *p = find_pair(map, key, strlen(key));
    return p ? p->value : NULL;
}

/* Decode one JSON-pointer segment (s, len) into buf: "~1" is '/', "~0" is '~'. */
static size_t unescape_segment(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
            buf[o++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            buf[o++] = s[i];
        }
    }
    buf[o] = '\0';
    return o;
}

ed_node *ed_node_path(const ed_node *node, const char *path)
{
    const char *p = path;
    if (*p == '/')
        p++;
    ed_node *cur = (ed_node *)node;
    char seg[512];
    while (cur && *p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t n = unescape_segment(p, len, seg, sizeof(seg));
        if (cur->kind == ED_NODE_MAP) {
            ed_pair *pair = find_pair(cur, seg, n);
            cur = pair ? pair->value : NULL;
        } else if (cur->kind == ED_NODE_SEQ) {
            char *stop;
            unsigned long idx = strtoul(seg, &stop, 10);
            cur = (n && *stop == '\0' && seg[0] != '-') ? ed_node_at(cur, idx) : NULL;
        } else {
            cur = NULL;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return cur;
}

const char *ed_node_path_str(const ed_node *node, const char *path)
{
    return ed_node_str(ed_node_path(node, path));
}

bool ed_node_int(const ed_node *node, int64_t *out)
{
    if (!node || node->kind != ED_NODE_INT)
        return false;
    *out = node->u.i.value;
    return true;
}

bool ed_node_bool(const ed_node *node, bool *out)
{
    if (!node || node->kind != ED_NODE_BOOL)
        return false;
    *out = node->u.b.value;
    return true;
}

int ed_node_line(const ed_node *node)
{
    return node ? node->line : 0;
}

int ed_node_col(const ed_node *node)
{
    return node ? node->col : 0;
}

void ed_node_take_place(ed_node *node, const ed_node *from)
{
    node->line = from->line;
    node->col = from->col;
}

bool ed_node_equal(const ed_node *a, const ed_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case ED_NODE_NULL:
        return true;
    case ED_NODE_BOOL:
        return a->u.b.value == b->u.b.value;
    case ED_NODE_INT:
        return a->u.i.value == b->u.i.value;
    case ED_NODE_FLOAT:
        return a->u.f.value == b->u.f.value || (isnan(a->u.f.value) && isnan(b->u.f.value));
    case ED_NODE_STR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.text, b->u.s.text, a->u.s.len) == 0;
    case ED_NODE_SEQ:
        if (a->u.c.len != b->u.c.len)
            return false;
        for (size_t i = 0; i < a->u.c.len; i++)
            if (!ed_node_equal(a->u.c.items[i].value, b->u.c.items[i].value))
                return false;
        return true;
    case ED_NODE_MAP:
        if (a->u.c.len != b->u.c.len)
            return false;
        for (size_t i = 0; i < a->u.c.len; i++)
            if (!ed_node_equal(a->u.c.items[i].value, ed_node_get(b, a->u.c.items[i].key)))
                return false;
        return true;
    }
    return false;
}

static void grow(ed_doc *doc, ed_node *n)
{
    if (n->u.c.len < n->u.c.cap)
        return;
    /* Arena memory is not freed one piece at a time; doubling keeps the waste bounded. */
    size_t cap = n->u.c.cap ? n->u.c.cap * 2 : 4;
    ed_pair *items = ed_arena_alloc(doc->arena, cap * sizeof(*items));
    if (n->u.c.len)
        memcpy(items, n->u.c.items, n->u.c.len * sizeof(*items));
    n->u.c.items = items;
    n->u.c.cap = cap;
}

void ed_node_set(ed_doc *doc, ed_node *map, const char *key, ed_node *value)
{
    ED_DOC_ASSERT(map && map->kind == ED_NODE_MAP);
    ed_pair *p = find_pair(map, key, strlen(key));
    if (p) {
        p->value = value;
        return;
    }
    grow(doc, map);
    p = &map->u.c.items[map->u.c.len++];
    p->key = ed_arena_strdup(doc->arena, key);
    p->value = value;
    p->key_plain = false;
}

void ed_node_append_pair(ed_doc *doc, ed_node *map, const char *key, ed_node *value)
{
    ED_DOC_ASSERT(map && map->kind == ED_NODE_MAP);
    grow(doc, map);
    ed_pair *p = &map->u.c.items[map->u.c.len++];
    p->key = ed_arena_strdup(doc->arena, key);
    p->value = value;
    p->key_plain = false;
}

bool ed_node_remove(ed_node *map, const char *key)
{
    ed_pair *p = find_pair(map, key, strlen(key));
    if (!p)
        return false;
    size_t i = (size_t)(p - map->u.c.items);
    memmove(p, p + 1, (map->u.c.len - i - 1) * sizeof(*p));
    map->u.c.len--;
    return true;
}

void ed_node_append(ed_doc *doc, ed_node *seq, ed_node *value)
{
    ED_DOC_ASSERT(seq && seq->kind == ED_NODE_SEQ);
    grow(doc, seq);
    ed_pair *p = &seq->u.c.items[seq->u.c.len++];
    p->key = NULL;
    p->value = value;
    p->key_plain = false;
}

bool ed_node_set_at(ed_node *seq, size_t i, ed_node *value)
{
    if (!seq || seq->kind != ED_NODE_SEQ || i >= seq->u.c.len || !value)
        return false;
    seq->u.c.items[i].value = value;
    return true;
}

bool ed_node_remove_at(ed_node *seq, size_t i)
{
    if (!seq || seq->kind != ED_NODE_SEQ || i >= seq->u.c.len)
        return false;
    memmove(&seq->u.c.items[i], &seq->u.c.items[i + 1],
            (seq->u.c.len - i - 1) * sizeof(seq->u.c.items[0]));
    seq->u.c.len--;
    return true;
}

ed_node *ed_node_ensure_map(ed_doc *doc, ed_node *node, const char *path)
{
    const char *p = path;
    if (*p == '/')
        p++;
    ed_node *cur = node;
    char seg[512];
    while (cur && *p) {
        if (cur->kind != ED_NODE_MAP)
            return NULL;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        unescape_segment(p, len, seg, sizeof(seg));
        ed_node *next = ed_node_get(cur, seg);
        if (!next || next->kind == ED_NODE_NULL) {
            next = ed_node_new_map(doc);
            ed_node_set(doc, cur, seg, next);
        }
        cur = next;
        p += len;
        if (*p == '/')
            p++;
    }
    return cur && cur->kind == ED_NODE_MAP ? cur : NULL;
}

/* True when text is a number in JSON's grammar, so it can be copied to JSON output as is. */
static bool json_number_text(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

int ed_node_to_json(const ed_node *node, ed_buf *out)
{
    int rc = 0;
    if (!node)
        return ed_buf_append(out, "null", 4);
    switch (node->kind) {
    case ED_NODE_NULL:
        return ed_buf_append(out, "null", 4);
    case ED_NODE_BOOL:
        return ed_buf_append_str(out, node->u.b.value ? "true" : "false");
    case ED_NODE_INT:
        return ed_buf_printf(out, "%lld", (long long)node->u.i.value);
    case ED_NODE_FLOAT:
        if (json_number_text(node->u.f.text))
            return ed_buf_append_str(out, node->u.f.text);
        if (!isfinite(node->u.f.value)) /* .inf and .nan have no JSON form */
            return ED_EINVALID;
        /* YAML spellings JSON lacks ("1.", ".5", "+2.0"): print the value, keeping it a
         * float ("1.0", not "1", which would read back as an integer). */
        char num[40];
        snprintf(num, sizeof(num), "%.17g", node->u.f.value);
        if (!strpbrk(num, ".eE"))
            return ed_buf_printf(out, "%s.0", num);
        return ed_buf_append_str(out, num);
    case ED_NODE_STR:
        return ed_buf_append_json_strn(out, node->u.s.text, node->u.s.len);
    case ED_NODE_SEQ:
        rc = ed_buf_append(out, "[", 1);
        for (size_t i = 0; i < node->u.c.len && !rc; i++) {
            if (i)
                rc = ed_buf_append(out, ",", 1);
            if (!rc)
                rc = ed_node_to_json(node->u.c.items[i].value, out);
        }
        return rc ? rc : ed_buf_append(out, "]", 1);
    case ED_NODE_MAP:
        rc = ed_buf_append(out, "{", 1);
        for (size_t i = 0; i < node->u.c.len && !rc; i++) {
            if (i)
                rc = ed_buf_append(out, ",", 1);
            if (!rc)
                rc = ed_buf_append_json_str(out, node->u.c.items[i].key);
            if (!rc)
                rc = ed_buf_append(out, ":", 1);
            if (!rc)
                rc = ed_node_to_json(node->u.c.items[i].value, out);
        }
        return rc ? rc : ed_buf_append(out, "}", 1);
    }
    return ED_ERROR;
}
