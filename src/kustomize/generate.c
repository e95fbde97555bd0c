/*
 * kustomize's configMapGenerator and secretGenerator, and the name suffix hash they carry.
 *
 * A generator entry makes one ConfigMap or Secret from key/value pairs: env files first (`envs`,
 * then the legacy `env`), then `literals` ("key=value", surrounding quotes removed), then
 * `files` ("path" keyed by its base name, or "key=path"). A key may appear once. A ConfigMap
 * keeps UTF-8 values in `data` and the others, base64-encoded, in `binaryData`; a Secret holds
 * every value base64-encoded in `data` and has a `type` (Opaque unless given). Labels,
 * annotations, `immutable` and `disableNameSuffixHash` come from the entry's `options` merged
 * over the kustomization's `generatorOptions` (the entry's keys win, the flags are or-ed).
 *
 * `behavior` says how the object meets one of the same id already accumulated (from a base or
 * an earlier generator): create (the default; an existing id is an error), merge (its data is
 * laid over the existing object's, whose name, namespace, labels and annotations it keeps and
 * extends) or replace (its data replaces the existing object's). Merge and replace need an
 * existing object; the result takes the hash suffix only when both the existing object and the
 * new generator want one (what kubectl prints: an object from `resources`, or a generator with
 * disableNameSuffixHash on either side, stays unhashed).
 *
 * The hash suffix is added at the very end of a build, after every transformer, as kustomize
 * does: the first ten hex digits of the SHA-256 of a JSON encoding (Go's encoding/json, keys
 * sorted) of {"data", "kind", "name"} (ConfigMap, plus "binaryData" when present) or {"data",
 * "kind", "name", "type"} (Secret, plus "stringData"), with 0, 1, 3, a and e replaced by g, h,
 * k, m and t so the suffix never reads as a number or a word. kustomize looks the name up with
 * a path it cannot resolve, so "name" is always the empty string: the hash depends on the
 * content alone, and eddy reproduces that.
 */
#include "kustomize_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Go's encoding/json, for the hash ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool ks_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* A string of n bytes as Go's json.Marshal writes it: HTML-safe (<, > and & escaped), U+2028
 * and U+2029 escaped, invalid UTF-8 replaced by U+FFFD, a NUL byte as \u0000. */
static void go_json_str(ed_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    (void)ed_buf_append(out, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = utf8_seq_len(p + i, n - i);
        if (!k) {
            (void)ed_buf_append_str(out, "\\ufffd");
            i++;
            continue;
        }
        if (k == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            (void)ed_buf_append_str(out, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
            i += 3;
            continue;
        }
        if (k > 1) {
            (void)ed_buf_append(out, p + i, k);
            i += k;
            continue;
        }
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            break;
        }
        if (esc) {
            (void)ed_buf_append_str(out, esc);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            (void)ed_buf_append_str(out, u);
        } else {
            (void)ed_buf_append(out, &c, 1);
        }
        i++;
    }
    (void)ed_buf_append(out, "\"", 1);
}

/* A mapping's pair, for sorting by key without looking each key up again afterwards. */
struct kv_ref {
    const char *key;
    const ed_node *value;
};

static int cmp_kv_ref(const void *a, const void *b)
{
    return strcmp(((const struct kv_ref *)a)->key, ((const struct kv_ref *)b)->key);
}

/* A node as Go writes a value it unmarshalled into interface{}: mappings with sorted keys. */
static void go_json_node(ed_buf *out, const ed_node *n, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    switch (ed_node_kind_of(n)) {
    case ED_NODE_STR:
        go_json_str(out, ed_node_str(n), ed_node_str_len(n));
        return;
    case ED_NODE_SEQ:
        (void)ed_buf_append(out, "[", 1);
        for (size_t i = 0; i < ed_node_len(n); i++) {
            if (i)
                (void)ed_buf_append(out, ",", 1);
            go_json_node(out, ed_node_at(n, i), depth + 1);
        }
        (void)ed_buf_append(out, "]", 1);
        return;
    case ED_NODE_MAP: {
        size_t len = ed_node_len(n);
        struct kv_ref *pairs = ed_xcalloc(len ? len : 1, sizeof(*pairs));
        for (size_t i = 0; i < len; i++)
            pairs[i] = (struct kv_ref){ed_node_key_at(n, i), ed_node_value_at(n, i)};
        qsort(pairs, len, sizeof(*pairs), cmp_kv_ref);
        (void)ed_buf_append(out, "{", 1);
        for (size_t i = 0; i < len; i++) {
            if (i)
                (void)ed_buf_append(out, ",", 1);
            go_json_str(out, pairs[i].key, strlen(pairs[i].key));
            (void)ed_buf_append(out, ":", 1);
            go_json_node(out, pairs[i].value, depth + 1);
        }
        (void)ed_buf_append(out, "}", 1);
        free(pairs);
        return;
    }
    default:
        /* numbers, booleans and null as compact JSON (Go prints them the same way for the
         * values a ConfigMap can hold) */
        (void)ed_node_to_json(n, out);
        return;
    }
}

/* One member of the hashed object: a scalar is written as its string value ("" when absent, as
 * kustomize's lookup yields), anything else as its JSON. */
static void hash_member(ed_buf *out, const char *key, const ed_node *v, bool first)
{
    if (!first)
        (void)ed_buf_append(out, ",", 1);
    go_json_str(out, key, strlen(key));
    (void)ed_buf_append(out, ":", 1);
    ed_node_kind k = ed_node_kind_of(v);
    if (!v)
        go_json_str(out, "", 0);
    else if (k == ED_NODE_MAP || k == ED_NODE_SEQ)
        go_json_node(out, v, 0);
    else if (k == ED_NODE_STR)
        go_json_str(out, ed_node_str(v), ed_node_str_len(v));
    else {
        /* a scalar's text as yaml wrote it; null reads back as "" */
        ed_buf tmp = ED_BUF_INIT(SIZE_MAX);
        if (k != ED_NODE_NULL)
            (void)ed_node_to_json(v, &tmp);
        go_json_str(out, tmp.data ? tmp.data : "", tmp.len);
        ed_buf_free(&tmp);
    }
}

void ks_hash_encode(const ed_node *obj, ed_buf *out)
{
    const char *kind = ed_node_path_str(obj, "/kind");
    if (kind && strcmp(kind, "Secret") == 0) {
        const ed_node *sd = ed_node_get(obj, "stringData");
        (void)ed_buf_append(out, "{", 1);
        hash_member(out, "data", ed_node_get(obj, "data"), true);
        (void)ed_buf_append_str(out, ",\"kind\":\"Secret\",\"name\":\"\"");
        if (ed_node_kind_of(sd) == ED_NODE_MAP)
            hash_member(out, "stringData", sd, false);
        hash_member(out, "type", ed_node_get(obj, "type"), false);
        (void)ed_buf_append(out, "}", 1);
        return;
    }
    const ed_node *bd = ed_node_get(obj, "binaryData");
    bool has_bd = ed_node_kind_of(bd) == ED_NODE_MAP;
    (void)ed_buf_append(out, "{", 1);
    if (has_bd)
        hash_member(out, "binaryData", bd, true);
    hash_member(out, "data", ed_node_get(obj, "data"), !has_bd);
    (void)ed_buf_append_str(out, ",\"kind\":\"ConfigMap\",\"name\":\"\"}");
}

void ks_hash_object(const ed_node *obj, char out[11])
{
    ed_buf enc = ED_BUF_INIT(SIZE_MAX);
    char hex[65];
    ks_hash_encode(obj, &enc);
    ed_sha256_hex(enc.data ? enc.data : "", enc.len, hex);
    ed_buf_free(&enc);
    for (int i = 0; i < 10; i++) {
        switch (hex[i]) {
        case '0':
            out[i] = 'g';
            break;
        case '1':
            out[i] = 'h';
            break;
        case '3':
            out[i] = 'k';
            break;
        case 'a':
            out[i] = 'm';
            break;
        case 'e':
            out[i] = 't';
            break;
        default:
            out[i] = hex[i];
        }
    }
    out[10] = '\0';
}

void ks_hash_names(ks_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        ks_res *r = &l->items[i];
        if (!r->needs_hash)
            continue;
        ed_node *root = ed_doc_root(r->doc);
        char h[11];
        ks_hash_object(root, h);
        ks_res_store_prev(r);
        const char *name = ed_node_path_str(root, "/metadata/name");
        char *hashed = ed_xasprintf("%s-%s", name ? name : "", h);
        ed_node_set(r->doc, ed_node_ensure_map(r->doc, root, "metadata"), "name",
                    ed_node_new_str(r->doc, hashed));
        free(hashed);
    }
}

/* ---- base64 ---- */

static char *base64(const unsigned char *p, size_t n)
{
    return ed_base64_encode(p, n);
}

/* ---- checking the fields ---- */

struct gen_ctx {
    struct build *b;
    const char *dir;   /* the kustomization's directory (real path) */
    const char *kfile; /* its file, for messages */
    const char *field; /* "configMapGenerator" or "secretGenerator" */
    const char *what;  /* "configmap" or "secret", for kustomize's messages */
    ed_err *err;
    const char *origin; /* a plugin config's origin for what it generates, or NULL */
};

static int field_type_error(const struct gen_ctx *g, const char *path, const char *want)
{
    return ed_err_set(g->err, ED_EINVALID, "%s: invalid Kustomization: %s.%s must be %s", g->kfile,
                      g->field, path, want);
}

static int check_str_seq(const struct gen_ctx *g, const ed_node *n, const char *name)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_SEQ)
        return field_type_error(g, name, "a list of strings");
    for (size_t i = 0; i < ed_node_len(n); i++)
        if (ed_node_kind_of(ed_node_at(n, i)) != ED_NODE_STR)
            return field_type_error(g, name, "a list of strings");
    return 0;
}

static int check_str_map(const struct gen_ctx *g, const ed_node *n, const char *name)
{
    if (!n || ed_node_kind_of(n) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(n) != ED_NODE_MAP)
        return field_type_error(g, name, "a mapping of strings to strings");
    for (size_t i = 0; i < ed_node_len(n); i++)
        if (ed_node_kind_of(ed_node_value_at(n, i)) != ED_NODE_STR)
            return field_type_error(g, name, "a mapping of strings to strings");
    return 0;
}

static int check_options(const struct gen_ctx *g, const ed_node *opts, const char *name)
{
    if (!opts || ed_node_kind_of(opts) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(opts) != ED_NODE_MAP)
        return field_type_error(g, name, "a mapping");
    for (size_t i = 0; i < ed_node_len(opts); i++) {
        const char *key = ed_node_key_at(opts, i);
        const ed_node *v = ed_node_value_at(opts, i);
        char *path = ed_xasprintf("%s.%s", name, key);
        int rc = 0;
        if (strcmp(key, "labels") == 0 || strcmp(key, "annotations") == 0)
            rc = check_str_map(g, v, path);
        else if (strcmp(key, "disableNameSuffixHash") == 0 || strcmp(key, "immutable") == 0) {
            if (ed_node_kind_of(v) != ED_NODE_BOOL && ed_node_kind_of(v) != ED_NODE_NULL)
                rc = field_type_error(g, path, "a boolean");
        } else
            rc = ed_err_set(g->err, ED_EINVALID,
                            "%s: invalid Kustomization: json: unknown field \"%s\"", g->kfile, key);
        free(path);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_entry(const struct gen_ctx *g, const ed_node *e, bool secret)
{
    if (ed_node_kind_of(e) != ED_NODE_MAP)
        return field_type_error(g, "[]", "a list of mappings");
    for (size_t i = 0; i < ed_node_len(e); i++) {
        const char *key = ed_node_key_at(e, i);
        const ed_node *v = ed_node_value_at(e, i);
        int rc = 0;
        if (strcmp(key, "name") == 0 || strcmp(key, "namespace") == 0 ||
            strcmp(key, "behavior") == 0 || strcmp(key, "env") == 0 ||
            (secret && strcmp(key, "type") == 0)) {
            if (ed_node_kind_of(v) != ED_NODE_STR && ed_node_kind_of(v) != ED_NODE_NULL)
                rc = field_type_error(g, key, "a string");
        } else if (strcmp(key, "literals") == 0 || strcmp(key, "files") == 0 ||
                   strcmp(key, "envs") == 0) {
            rc = check_str_seq(g, v, key);
        } else if (strcmp(key, "options") == 0) {
            rc = check_options(g, v, "options");
        } else {
            rc = ed_err_set(g->err, ED_EINVALID,
                            "%s: invalid Kustomization: json: unknown field \"%s\"", g->kfile, key);
        }
        if (rc)
            return rc;
    }
    const char *name = ed_node_str(ed_node_get(e, "name"));
    if (!name || !*name)
        return ed_err_set(g->err, ED_EINVALID, "%s: %s: a %s must have a name", g->kfile, g->field,
                          g->what);
    return 0;
}

int ks_generators_check(const ed_node *kz, const char *kfile, ed_err *err)
{
    static const char *const fields[] = {"configMapGenerator", "secretGenerator"};
    for (int f = 0; f < 2; f++) {
        struct gen_ctx g = {NULL, NULL, kfile, fields[f], f ? "secret" : "configmap", err, NULL};
        const ed_node *seq = ed_node_get(kz, fields[f]);
        if (!seq || ed_node_kind_of(seq) == ED_NODE_NULL)
            continue;
        if (ed_node_kind_of(seq) != ED_NODE_SEQ)
            return field_type_error(&g, "", "a list");
        for (size_t i = 0; i < ed_node_len(seq); i++) {
            int rc = check_entry(&g, ed_node_at(seq, i), f == 1);
            if (rc)
                return rc;
        }
    }
    struct gen_ctx g = {NULL, NULL, kfile, "generatorOptions", "", err, NULL};
    const ed_node *opts = ed_node_get(kz, "generatorOptions");
    if (!opts || ed_node_kind_of(opts) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(opts) != ED_NODE_MAP)
        return ed_err_set(err, ED_EINVALID,
                          "%s: invalid Kustomization: generatorOptions must be a mapping", kfile);
    for (size_t i = 0; i < ed_node_len(opts); i++) {
        const char *key = ed_node_key_at(opts, i);
        const ed_node *v = ed_node_value_at(opts, i);
        int rc = 0;
        if (strcmp(key, "labels") == 0 || strcmp(key, "annotations") == 0)
            rc = check_str_map(&g, v, key);
        else if (strcmp(key, "disableNameSuffixHash") == 0 || strcmp(key, "immutable") == 0) {
            if (ed_node_kind_of(v) != ED_NODE_BOOL && ed_node_kind_of(v) != ED_NODE_NULL)
                rc = field_type_error(&g, key, "a boolean");
        } else
            rc = ed_err_set(err, ED_EINVALID,
                            "%s: invalid Kustomization: json: unknown field \"%s\"", kfile, key);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- key/value pairs ---- */

struct kv {
    char *key;
    char *value; /* malloc'd, NUL-terminated, may hold non-UTF-8 bytes */
    size_t len;
};

struct kvs {
    struct kv *items;
    size_t len, cap;
    ed_strmap *seen; /* the keys so far: a linear search would be quadratic in hostile input */
};

static void kvs_free(struct kvs *k)
{
    for (size_t i = 0; i < k->len; i++) {
        free(k->items[i].key);
        free(k->items[i].value);
    }
    free(k->items);
    ed_strmap_free(k->seen);
    *k = (struct kvs){0};
}

/* Add a pair (taking key and value); a key seen before is kustomize's "illegally repeats". */
static int kvs_add(const struct gen_ctx *g, const char *name, struct kvs *k, char *key, char *value,
                   size_t len)
{
    if (!k->seen)
        k->seen = ed_strmap_new();
    if (ed_strmap_has(k->seen, key)) {
        int rc = ed_err_set(g->err, ED_EINVALID, "%s: %s %s illegally repeats the key `%s`",
                            g->kfile, g->what, name, key);
        free(key);
        free(value);
        return rc;
    }
    ed_strmap_put(k->seen, key, NULL);
    if (k->len == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->items = ed_xrealloc(k->items, k->cap * sizeof(*k->items));
    }
    k->items[k->len++] = (struct kv){key, value, len};
    return 0;
}

/* Lines of an env file: blank lines and comments skipped, "KEY=value" (the value kept as
 * written, up to the end of the line), a first-line BOM dropped. A key without '=' would take
 * its value from kustomize's own environment; eddy gives it the empty value instead, so a
 * build never depends on (or leaks) the controller's environment. */
static int parse_env(const struct gen_ctx *g, const char *name, const char *file, const char *data,
                     size_t len, struct kvs *out)
{
    size_t pos = 0;
    int line = 0;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t stop = end;
        line++;
        if (stop > pos && data[stop - 1] == '\r')
            stop--;
        size_t s = pos;
        while (s < stop && (data[s] == ' ' || data[s] == '\t' || data[s] == '\v' ||
                            data[s] == '\f' || data[s] == '\r'))
            s++;
        if (!ks_utf8_valid(data + pos, stop - pos))
            return ed_err_set(g->err, ED_EINVALID,
                              "%s: env file '%s': line %d has invalid UTF-8 bytes", g->kfile, file,
                              line);
        if (s < stop && data[s] != '#') {
            const char *eq = memchr(data + s, '=', stop - s);
            size_t klen = eq ? (size_t)(eq - (data + s)) : stop - s;
            char *key = ed_xstrndup(data + s, klen);
            char *value = eq ? ed_xstrndup(eq + 1, (size_t)(data + stop - eq - 1)) : ed_xstrdup("");
            /* kustomize skips a line without a key ("=value") as it skips a comment */
            if (!*key) {
                free(key);
                free(value);
            } else {
                int rc = kvs_add(g, name, out, key, value, strlen(value));
                if (rc)
                    return rc;
            }
        }
        pos = nl ? end + 1 : len;
    }
    return 0;
}

static int add_envs(const struct gen_ctx *g, const ed_node *e, const char *name, struct kvs *out)
{
    const ed_node *envs = ed_node_get(e, "envs");
    const char *legacy = ed_node_str(ed_node_get(e, "env"));
    size_t n = ed_node_len(envs);
    for (size_t i = 0; i <= n; i++) {
        const char *file = i < n ? ed_node_str(ed_node_at(envs, i)) : legacy;
        if (!file || !*file)
            continue;
        char *data = NULL;
        size_t len = 0;
        int rc = ks_read_source(g->b, g->dir, file, g->kfile, &data, &len, g->err);
        if (!rc && strcmp(g->what, "secret") == 0)
            rc = ks_secret_source(g->b, file, true, &data, &len);
        if (!rc)
            rc = parse_env(g, name, file, data, len, out);
        free(data);
        if (rc)
            return ed_err_wrap(g->err, "%s %s: env source files", g->what, name);
    }
    return 0;
}

static char *strip_quotes(const char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == s[n - 1] && (s[0] == '"' || s[0] == '\''))
        return ed_xstrndup(s + 1, n - 2);
    return ed_xstrdup(s);
}

static int add_literals(const struct gen_ctx *g, const ed_node *e, const char *name,
                        struct kvs *out)
{
    const ed_node *lits = ed_node_get(e, "literals");
    for (size_t i = 0; i < ed_node_len(lits); i++) {
        const char *lit = ed_node_str(ed_node_at(lits, i));
        const char *eq = strchr(lit, '=');
        /* a Secret's literal is never echoed: it may be the secret itself */
        bool secret = strcmp(g->what, "secret") == 0;
        if (!eq || eq == lit)
            return ed_err_set(g->err, ED_EINVALID,
                              "%s: %s %s: invalid literal source %s, expected key=value", g->kfile,
                              g->what, name, secret ? "(not shown)" : lit);
        char *value = strip_quotes(eq + 1);
        int rc = kvs_add(g, name, out, ed_xstrndup(lit, (size_t)(eq - lit)), value, strlen(value));
        if (rc)
            return rc;
    }
    return 0;
}

static int add_files(const struct gen_ctx *g, const ed_node *e, const char *name, struct kvs *out)
{
    const ed_node *files = ed_node_get(e, "files");
    for (size_t i = 0; i < ed_node_len(files); i++) {
        const char *src = ed_node_str(ed_node_at(files, i));
        const char *eq = strchr(src, '=');
        char *key;
        const char *path = src;
        if (eq) {
            if (strchr(eq + 1, '='))
                return ed_err_set(g->err, ED_EINVALID,
                                  "%s: %s %s: source \"%s\" key name or file path contains '='",
                                  g->kfile, g->what, name, src);
            if (eq == src)
                return ed_err_set(g->err, ED_EINVALID,
                                  "%s: %s %s: missing key name for file path \"%s\" in source "
                                  "\"%s\"",
                                  g->kfile, g->what, name, eq + 1, src);
            if (!eq[1])
                return ed_err_set(g->err, ED_EINVALID,
                                  "%s: %s %s: missing file path for key name \"%.*s\" in source "
                                  "\"%s\"",
                                  g->kfile, g->what, name, (int)(eq - src), src, src);
            key = ed_xstrndup(src, (size_t)(eq - src));
            path = eq + 1;
        } else {
            const char *slash = strrchr(src, '/');
            key = ed_xstrdup(slash ? slash + 1 : src);
        }
        char *data = NULL;
        size_t len = 0;
        int rc = ks_read_source(g->b, g->dir, path, g->kfile, &data, &len, g->err);
        if (!rc && strcmp(g->what, "secret") == 0)
            rc = ks_secret_source(g->b, path, false, &data, &len);
        if (rc) {
            free(key);
            free(data);
            return ed_err_wrap(g->err, "%s %s: file sources", g->what, name);
        }
        rc = kvs_add(g, name, out, key, data, len);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the generated object ---- */

/* The effective options: the entry's, then the kustomization's for keys the entry lacks. */
struct opts {
    const ed_node *labels[2], *annotations[2];
    bool no_hash, immutable;
};

static void merge_opts(struct opts *o, const ed_node *local, const ed_node *global)
{
    bool v;
    o->labels[0] = ed_node_get(local, "labels");
    o->labels[1] = ed_node_get(global, "labels");
    o->annotations[0] = ed_node_get(local, "annotations");
    o->annotations[1] = ed_node_get(global, "annotations");
    o->no_hash = o->immutable = false;
    const ed_node *both[] = {local, global};
    for (int i = 0; i < 2; i++) {
        if (ed_node_bool(ed_node_get(both[i], "disableNameSuffixHash"), &v) && v)
            o->no_hash = true;
        if (ed_node_bool(ed_node_get(both[i], "immutable"), &v) && v)
            o->immutable = true;
    }
}

/* Copy the pairs of the maps into metadata[key], earlier maps winning. */
static void set_meta_map(ed_doc *doc, ed_node *meta, const char *key, const ed_node *const maps[2])
{
    if (ed_node_len(maps[0]) == 0 && ed_node_len(maps[1]) == 0)
        return;
    ed_node *m = ed_node_new_map(doc);
    for (int k = 1; k >= 0; k--)
        for (size_t i = 0; i < ed_node_len(maps[k]); i++)
            ed_node_set(doc, m, ed_node_key_at(maps[k], i),
                        ed_node_copy(doc, ed_node_value_at(maps[k], i)));
    ed_node_set(doc, meta, key, m);
}

static ed_doc *make_object(const ed_node *e, bool secret, const struct kvs *kv,
                           const struct opts *o)
{
    ed_doc *doc = ed_doc_new();
    ed_node *root = ed_node_new_map(doc);
    ed_doc_set_root(doc, root);
    ed_node_set(doc, root, "apiVersion", ed_node_new_str(doc, "v1"));
    ed_node_set(doc, root, "kind", ed_node_new_str(doc, secret ? "Secret" : "ConfigMap"));
    ed_node *meta = ed_node_new_map(doc);
    ed_node_set(doc, root, "metadata", meta);
    ed_node_set(doc, meta, "name", ed_node_new_str(doc, ed_node_str(ed_node_get(e, "name"))));
    const char *ns = ed_node_str(ed_node_get(e, "namespace"));
    if (ns && *ns)
        ed_node_set(doc, meta, "namespace", ed_node_new_str(doc, ns));
    set_meta_map(doc, meta, "labels", o->labels);
    set_meta_map(doc, meta, "annotations", o->annotations);
    ed_node *data = NULL, *binary = NULL;
    if (secret) {
        /* a generated Secret always has its data mapping, even empty */
        data = ed_node_new_map(doc);
        ed_node_set(doc, root, "data", data);
    }
    for (size_t i = 0; i < kv->len; i++) {
        const struct kv *p = &kv->items[i];
        bool text = !secret && ks_utf8_valid(p->value, p->len);
        ed_node **target = text ? &data : &binary;
        if (secret)
            target = &data;
        if (!*target) {
            *target = ed_node_new_map(doc);
            ed_node_set(doc, root, target == &data ? "data" : "binaryData", *target);
        }
        /* keys are unique (kvs_add saw to it): append in linear time */
        if (text) {
            ed_node_append_pair(doc, *target, p->key, ed_node_new_strn(doc, p->value, p->len));
        } else {
            char *b64 = base64((const unsigned char *)p->value, p->len);
            ed_node_append_pair(doc, *target, p->key, ed_node_new_str(doc, b64));
            free(b64);
        }
    }
    if (o->immutable)
        ed_node_set(doc, root, "immutable", ed_node_new_bool(doc, true));
    if (secret) {
        const char *type = ed_node_str(ed_node_get(e, "type"));
        ed_node_set(doc, root, "type", ed_node_new_str(doc, type && *type ? type : "Opaque"));
    }
    return doc;
}

/* ---- behavior against the accumulated resources ---- */

static bool ns_equal(const char *a, const char *b)
{
    if (!*a)
        a = "default";
    if (!*b)
        b = "default";
    return strcmp(a, b) == 0;
}

/* True when r has, or had, the id (kind, name, namespace) of the generated object. */
static bool matches_any_id(const ks_res *r, const char *kind, const char *name, const char *ns)
{
    const char *rkind = ed_node_path_str(ed_doc_root(r->doc), "/kind");
    if (!rkind || strcmp(rkind, kind) != 0)
        return false;
    ks_id id;
    ks_id_of(ed_doc_root(r->doc), &id);
    if (id.group_len != 0 || strcmp(id.version, "v1") != 0)
        return false;
    if (strcmp(id.name, name) == 0 && ns_equal(id.ns, ns))
        return true;
    for (size_t i = 0; i < r->n_old_names; i++)
        if (strcmp(r->old_names[i], name) == 0 && ns_equal(r->old_ns[i], ns))
            return true;
    return false;
}

/* Lay the pairs of src's mapping `key` over dst's (dst's object keeps its other pairs). */
static void merge_data(ed_doc *dst, ed_node *droot, const ed_node *sroot, const char *key)
{
    const ed_node *src = ed_node_get(sroot, key);
    if (ed_node_len(src) == 0)
        return;
    ed_node *d = ed_node_get(droot, key);
    if (ed_node_kind_of(d) != ED_NODE_MAP) {
        d = ed_node_new_map(dst);
        ed_node_set(dst, droot, key, d);
    }
    for (size_t i = 0; i < ed_node_len(src); i++)
        ed_node_set(dst, d, ed_node_key_at(src, i), ed_node_copy(dst, ed_node_value_at(src, i)));
}

/* The generated object gen takes the place of old: kustomize keeps old's name, namespace,
 * build history and hash marker, merges the labels and annotations (the new ones win), and for
 * merge lays the new data over the old. */
static void absorb(ks_res *old, ed_doc *gen, bool merge, bool needs_hash, char *origin)
{
    /* a merge keeps where the object came from; a replacement comes from the new generator */
    if (!merge) {
        free(old->origin);
        old->origin = origin;
        origin = NULL;
    }
    free(origin);
    /* the hash suffix stays only when both the old object and the new generator want it */
    old->needs_hash = old->needs_hash && needs_hash;
    ed_node *groot = ed_doc_root(gen);
    ed_node *oroot = ed_doc_root(old->doc);
    ed_node *gmeta = ed_node_get(groot, "metadata");
    const ed_node *ometa = ed_node_get(oroot, "metadata");
    static const char *const maps[] = {"labels", "annotations"};
    for (int m = 0; m < 2; m++) {
        const ed_node *om = ed_node_get(ometa, maps[m]);
        if (ed_node_len(om) == 0)
            continue;
        ed_node *merged = ed_node_copy(gen, om);
        const ed_node *gm = ed_node_get(gmeta, maps[m]);
        for (size_t i = 0; i < ed_node_len(gm); i++)
            ed_node_set(gen, merged, ed_node_key_at(gm, i),
                        ed_node_copy(gen, ed_node_value_at(gm, i)));
        ed_node_set(gen, gmeta, maps[m], merged);
    }
    ed_node_set(gen, gmeta, "name", ed_node_copy(gen, ed_node_get(ometa, "name")));
    const ed_node *ons = ed_node_get(ometa, "namespace");
    if (ons)
        ed_node_set(gen, gmeta, "namespace", ed_node_copy(gen, ons));
    else
        ed_node_remove(gmeta, "namespace");
    if (merge) {
        /* the old data, overridden by the new */
        ed_doc *tmp = ed_doc_new();
        ed_node *troot = ed_node_copy(tmp, oroot);
        ed_doc_set_root(tmp, troot);
        merge_data(tmp, troot, groot, "data");
        merge_data(tmp, troot, groot, "binaryData");
        static const char *const keys[] = {"data", "binaryData"};
        for (int k = 0; k < 2; k++) {
            const ed_node *v = ed_node_get(troot, keys[k]);
            if (v)
                ed_node_set(gen, groot, keys[k], ed_node_copy(gen, v));
        }
        ed_doc_free(tmp);
    }
    ed_doc_free(old->doc);
    old->doc = gen;
}

static const char *behavior_of(const ed_node *e)
{
    const char *b = ed_node_str(ed_node_get(e, "behavior"));
    return b && *b ? b : "create";
}

/* kustomize's origin annotation of a generated object: the kustomization and the generator. */
static char *origin_of(const struct gen_ctx *g)
{
    if (g->origin)
        return ed_xstrdup(g->origin);
    /* kfile names the kustomization file relative to the build root; the origin wants it
     * relative to the top kustomization's directory */
    const char *base = strrchr(g->kfile, '/');
    char *kpath = ed_xasprintf("%s/%s", g->dir, base ? base + 1 : g->kfile);
    char *in = ks_origin_path(g->b, kpath);
    char *remote = ks_origin_remote(g->b, "");
    char *out = ed_xasprintf(
        "%sconfiguredIn: %s\nconfiguredBy:\n  apiVersion: builtin\n  kind: %s\n", remote, in,
        strcmp(g->what, "secret") == 0 ? "SecretGenerator" : "ConfigMapGenerator");
    free(remote);
    free(in);
    free(kpath);
    return out;
}

static int place(const struct gen_ctx *g, const ed_node *e, ed_doc *gen, bool needs_hash,
                 ks_list *acc)
{
    const char *kind = ed_node_path_str(ed_doc_root(gen), "/kind");
    const char *name = ed_node_str(ed_node_get(e, "name"));
    const char *ns = ed_node_str(ed_node_get(e, "namespace"));
    const char *behavior = behavior_of(e);
    bool merge = strcmp(behavior, "merge") == 0, replace = strcmp(behavior, "replace") == 0;
    ks_res *match = NULL;
    size_t count = 0;
    int rc = 0;
    for (size_t i = 0; i < acc->len; i++) {
        if (matches_any_id(&acc->items[i], kind, name, ns ? ns : "")) {
            match = &acc->items[i];
            count++;
        }
    }
    if (count > 1) {
        rc = ed_err_set(g->err, ED_EINVALID,
                        "%s: %s %s: found multiple objects that could accept a merge of it",
                        g->kfile, g->what, name);
    } else if (!match && (merge || replace)) {
        rc = ed_err_set(g->err, ED_ENOTFOUND,
                        "%s: %s %s has behavior %s, but no %s named '%s' exists to %s "
                        "(does not exist; cannot merge or replace)",
                        g->kfile, g->what, name, behavior, kind, name, behavior);
    } else if (!match) {
        /* create (kustomize treats an unknown behavior the same way) */
        ks_list_push(acc, gen);
        acc->items[acc->len - 1].needs_hash = needs_hash;
        acc->items[acc->len - 1].origin = origin_of(g);
        return 0;
    } else if (!merge && !replace) {
        rc = ed_err_set(g->err, ED_EINVALID,
                        "%s: %s %s: a %s of that name exists already; behavior must be merge "
                        "or replace",
                        g->kfile, g->what, name, kind);
    } else {
        absorb(match, gen, merge, needs_hash, origin_of(g));
        return 0;
    }
    ed_doc_free(gen);
    return rc;
}

static int generate_one(const struct gen_ctx *g, const ed_node *e, const ed_node *global,
                        bool secret, ks_list *acc)
{
    const char *name = ed_node_str(ed_node_get(e, "name"));
    struct kvs kv = {0};
    int rc = add_envs(g, e, name, &kv);
    if (!rc)
        rc = add_literals(g, e, name, &kv);
    if (!rc)
        rc = add_files(g, e, name, &kv);
    if (!rc) {
        struct opts o;
        merge_opts(&o, ed_node_get(e, "options"), global);
        ed_doc *doc = make_object(e, secret, &kv, &o);
        static const char *const keyed[] = {"/metadata/labels", "/metadata/annotations", "/data",
                                            "/binaryData"};
        char *where = ed_xasprintf("%s '%s'", g->field, name);
        for (size_t k = 0; k < sizeof(keyed) / sizeof(keyed[0]) && !rc; k++)
            rc = ks_check_plain_keys(ed_node_path(ed_doc_root(doc), keyed[k]), g->kfile, where,
                                     g->err);
        free(where);
        if (rc)
            ed_doc_free(doc);
        else
            rc = place(g, e, doc, !o.no_hash, acc);
    }
    kvs_free(&kv);
    return rc;
}

int ks_generate(struct build *b, const ed_node *kz, const char *dir, const char *kfile,
                ks_list *acc, ed_err *err)
{
    static const char *const fields[] = {"configMapGenerator", "secretGenerator"};
    const ed_node *global = ed_node_get(kz, "generatorOptions");
    for (int f = 0; f < 2; f++) {
        struct gen_ctx g = {b, dir, kfile, fields[f], f ? "secret" : "configmap", err, NULL};
        const ed_node *seq = ed_node_get(kz, fields[f]);
        for (size_t i = 0; i < ed_node_len(seq); i++) {
            int rc = generate_one(&g, ed_node_at(seq, i), global, f == 1, acc);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int ks_generate_plugin(struct build *b, const ed_node *entry, bool secret, const char *dir,
                       const char *kfile, char *origin, ks_list *acc, ed_err *err)
{
    struct gen_ctx g = {b,
                        dir,
                        kfile,
                        secret ? "SecretGenerator" : "ConfigMapGenerator",
                        secret ? "secret" : "configmap",
                        err,
                        origin};
    int rc = check_entry(&g, entry, secret);
    if (!rc)
        rc = generate_one(&g, entry, NULL, secret, acc);
    free(origin);
    return rc;
}
