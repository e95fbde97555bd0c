/*
 * Setters: the image fields marked in YAML files with a line comment
 *
 *     image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
 *     tag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}
 *
 * are rewritten from the ImagePolicy's latest ref, as Flux's image-automation-controller does
 * with kyaml setters: the bare marker sets name:tag (and @digest when reflected), the `:tag`,
 * `:name` and `:digest` suffixes set only that part. Unlike a parse-and-emit round trip, the
 * edit works on the bytes: only the marked scalar changes, and every other byte of the file
 * (comments, key order, quoting, indentation, blank lines, document separators) stays as it was.
 * A quoted scalar keeps its quotes.
 *
 * As in Flux, a comment that is not a well-formed marker, a marker naming a policy that does
 * not exist (say, one only another cluster has) and a marker on a line without a value, or
 * whose value is a flow mapping or sequence, are left alone: the line stays as it is, and the other
 * markers of the file are applied.
 */
#include "image.h"

#include "../doc/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARKER_KEY "$imagepolicy"

/* The marker comment of line [p, end): the last '#' that follows a blank (or starts the line)
 * and opens a JSON object naming $imagepolicy. Taking the last one keeps a '#' inside a quoted
 * value (or an earlier comment) out of it. NULL when the line has none. */
static const char *marker_start(const char *p, const char *end)
{
    for (const char *s = end; s-- > p;) {
        if (*s != '#' || (s > p && s[-1] != ' ' && s[-1] != '\t'))
            continue;
        const char *t = s + 1;
        while (t < end && (*t == ' ' || *t == '\t'))
            t++;
        if (t < end && *t == '{' && memmem(t, (size_t)(end - t), MARKER_KEY, 12))
            return s;
    }
    return NULL;
}

/* The scalar of the line [p, end) (the comment already cut off): after a `key:` or a `- `
 * indicator. Sets [*vs, *ve); false when the line has no value. */
static bool value_span(const char *p, const char *end, const char **vs, const char **ve)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *s = p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (s + 1 < end && *s == '-' && (s[1] == ' ' || s[1] == '\t')) {
        s += 2;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
    }
    /* A `key: ` outside quotes: the value follows it. */
    if (s < end && *s != '"' && *s != '\'') {
        for (const char *k = s; k < end; k++) {
            if (*k == ':' && (k + 1 == end || k[1] == ' ' || k[1] == '\t')) {
                s = k + 1;
                while (s < end && (*s == ' ' || *s == '\t'))
                    s++;
                break;
            }
        }
    } else if (s < end) {
        /* A quoted key: skip to its closing quote, then the colon. */
        char q = *s;
        const char *k = s + 1;
        while (k < end && *k != q)
            k += (*k == '\\' && q == '"') ? 2 : 1;
        if (k + 1 < end && k[1] == ':') {
            s = k + 2;
            while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        }
    }
    /* A flow mapping or sequence (`data: {tag: "1.0.0"} # marker`) is no scalar: kyaml's
     * setters leave a collection alone, and so does eddy. */
    if (s >= end || *s == '{' || *s == '[')
        return false;
    *vs = s;
    *ve = end;
    return true;
}

/* Parse the marker comment (text after '#'): "ns:name[:tag|:name|:digest]". */
static int parse_marker(const char *c, size_t n, const char *file, int line, ed_setter_marker *m,
                        ed_err *err)
{
    memset(m, 0, sizeof(*m));
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    int rc = 0;
    /* The comment is the object and nothing else (the JSON reader would skip a YAML comment). */
    while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t'))
        n--;
    if (n == 0 || c[n - 1] != '}' || ed_doc_parse_json(c, n, &d, &perr) != 0 ||
        ed_node_kind_of(ed_doc_root(d)) != ED_NODE_MAP) {
        rc = ed_err_set(err, ED_EINVALID, "%s:%d: malformed $imagepolicy marker: not a JSON object",
                        file, line);
        goto out;
    }
    const char *v = ed_node_str(ed_node_get(ed_doc_root(d), MARKER_KEY));
    if (!v) {
        rc = ed_err_set(err, ED_EINVALID, "%s:%d: malformed marker: \"%s\" must be a string", file,
                        line, MARKER_KEY);
        goto out;
    }
    snprintf(m->setter, sizeof(m->setter), "%s", v);
    char ns[256] = "", name[256] = "", field[32] = "";
    const char *a = strchr(v, ':');
    const char *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || a == v || (b && b == a + 1) || (!b && !a[1]) || (b && strchr(b + 1, ':')) ||
        (size_t)(a - v) >= sizeof(ns)) {
        rc = ed_err_set(err, ED_EINVALID,
                        "%s:%d: malformed marker \"%s\": expected \"<namespace>:<policy>\" with an "
                        "optional \":tag\", \":name\" or \":digest\"",
                        file, line, v);
        goto out;
    }
    snprintf(ns, sizeof(ns), "%.*s", (int)(a - v), v);
    snprintf(name, sizeof(name), "%.*s", (int)(b ? (size_t)(b - a - 1) : strlen(a + 1)), a + 1);
    if (b)
        snprintf(field, sizeof(field), "%s", b + 1);
    if (b && strcmp(field, "tag") != 0 && strcmp(field, "name") != 0 &&
        strcmp(field, "digest") != 0) {
        rc =
            ed_err_set(err, ED_EINVALID,
                       "%s:%d: malformed marker \"%s\": unknown field \"%s\" (tag, name or digest)",
                       file, line, v, field);
        goto out;
    }
    snprintf(m->ns, sizeof(m->ns), "%s", ns);
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->field, sizeof(m->field), "%s", field);
out:
    ed_doc_free(d);
    return rc;
}

/* The value a marker asks for ("" for a digest the policy does not reflect). */
static void wanted_value(const ed_setter_marker *m, const ed_setter_image *img, ed_buf *out)
{
    ed_buf_reset(out);
    if (!m->field[0]) {
        ed_buf_printf(out, "%s:%s", img->name, img->tag);
        if (img->digest && *img->digest)
            ed_buf_printf(out, "@%s", img->digest);
    } else if (strcmp(m->field, "tag") == 0) {
        ed_buf_append_str(out, img->tag);
    } else if (strcmp(m->field, "name") == 0) {
        ed_buf_append_str(out, img->name);
    } else if (img->digest) {
        ed_buf_append_str(out, img->digest);
    }
}

/* The current scalar's text (quotes removed; escapes are not expected in image refs). */
static void scalar_text(const char *vs, const char *ve, const char **ts, const char **te)
{
    *ts = vs;
    *te = ve;
    if (ve - vs >= 2 && (*vs == '"' || *vs == '\'') && ve[-1] == *vs) {
        *ts = vs + 1;
        *te = ve - 1;
    }
}

/* Record one change (old and new value) on the list. */
static void add_change(ed_setter_changes *ch, const ed_setter_marker *m, const char *old,
                       size_t oldn, const char *new_value, int line, int doc_index)
{
    ch->items = ed_xrealloc(ch->items, (ch->n + 1) * sizeof(*ch->items));
    ed_setter_change *c = &ch->items[ch->n++];
    memset(c, 0, sizeof(*c));
    c->old_value = ed_xstrndup(old, oldn);
    c->new_value = ed_xstrdup(new_value);
    c->setter = ed_xstrdup(m->setter);
    c->line = line;
    c->doc_index = doc_index;
}

/* Fill in each change's object from the document it is in. */
static void identify_objects(const char *file, const char *data, size_t len, ed_setter_changes *ch,
                             size_t first)
{
    if (first >= ch->n)
        return;
    ed_doc **docs = NULL;
    size_t count = 0;
    if (ed_doc_parse_yaml(data, len, file, &docs, &count, NULL) != 0)
        return;
    for (size_t i = first; i < ch->n; i++) {
        ed_setter_change *c = &ch->items[i];
        c->file = ed_xstrdup(file);
        if ((size_t)c->doc_index >= count)
            continue;
        const ed_node *r = ed_doc_root(docs[c->doc_index]);
        const char *v;
        if ((v = ed_node_path_str(r, "/apiVersion")))
            c->api_version = ed_xstrdup(v);
        if ((v = ed_node_path_str(r, "/kind")))
            c->kind = ed_xstrdup(v);
        if ((v = ed_node_path_str(r, "/metadata/name")))
            c->obj_name = ed_xstrdup(v);
        if ((v = ed_node_path_str(r, "/metadata/namespace")))
            c->obj_namespace = ed_xstrdup(v);
    }
    ed_doc_list_free(docs, count);
}

/* Is [p, end) a document separator (`---`, optionally followed by a blank or content)? */
static bool is_doc_separator(const char *p, const char *end)
{
    return end - p >= 3 && strncmp(p, "---", 3) == 0 &&
           (end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r');
}

int ed_setters_apply(const char *file, const char *data, size_t len, ed_setter_lookup_fn lookup,
                     void *user, ed_buf *out, ed_setter_changes *changes, ed_err *err)
{
    size_t first = changes->n;
    ed_buf_reset(out);
    if (len == 0)
        return 0; /* an empty file (data may be NULL then) */
    if (memchr(data, '\0', len))
        return ed_err_set(err, ED_EINVALID, "%s: not a YAML file (it holds a NUL byte)", file);
    ed_buf want = ED_BUF_INIT(4096);
    int rc = 0, line = 0, doc_index = 0;
    bool doc_has_content = false;
    const char *p = data, *end = data + len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        line++;
        if (is_doc_separator(p, le)) {
            if (doc_has_content)
                doc_index++;
            doc_has_content = false;
        } else if (le > p && *p != '#' && *p != '\r') {
            doc_has_content = true;
        }
        const char *hash =
            memmem(p, (size_t)(le - p), "\"" MARKER_KEY "\"", 14) ? marker_start(p, le) : NULL;
        if (!hash) {
            rc = ed_buf_append(out, p, (size_t)(next - p));
            p = next;
            continue;
        }
        ed_setter_marker m;
        const char *ce = le > hash && le[-1] == '\r' ? le - 1 : le;
        ed_err merr = ED_ERR_INIT;
        const char *vs = NULL, *ve = NULL;
        int found = parse_marker(hash + 1, (size_t)(ce - hash - 1), file, line, &m, &merr);
        if (found == 0 && !value_span(p, hash, &vs, &ve))
            found = ED_EINVALID;
        ed_setter_image img = {0};
        if (found == 0)
            found = lookup(m.ns, m.name, &img, user);
        const char *ts = NULL, *te = NULL;
        if (found == 0) {
            scalar_text(vs, ve, &ts, &te);
            wanted_value(&m, &img, &want);
            if (want.len == 0)
                found = 1; /* a :digest the policy does not reflect: nothing to write */
        }
        if (found != 0 || ((size_t)(te - ts) == want.len &&
                           (!want.len || memcmp(ts, want.data, want.len) == 0))) {
            /* Not a marker, no such policy, another automation's policy, or already up to
             * date: the line stays. */
            rc = ed_buf_append(out, p, (size_t)(next - p));
            p = next;
            continue;
        }
        add_change(changes, &m, ts, (size_t)(te - ts), want.data ? want.data : "", line, doc_index);
        ed_buf_append(out, p, (size_t)(ts - p));
        ed_buf_append(out, want.data, want.len);
        rc = ed_buf_append(out, te, (size_t)(next - te));
        p = next;
    }
    ed_buf_free(&want);
    if (rc) {
        /* Nothing half-done: drop this file's changes. */
        while (changes->n > first)
            ed_setter_change_clear(&changes->items[--changes->n]);
        if (rc == ED_ETOOBIG)
            ed_err_set(err, ED_ETOOBIG, "%s: the edited file is too large", file);
        return rc;
    }
    identify_objects(file, data, len, changes, first);
    return 0;
}

void ed_setter_change_clear(ed_setter_change *c)
{
    free(c->file);
    free(c->api_version);
    free(c->kind);
    free(c->obj_name);
    free(c->obj_namespace);
    free(c->old_value);
    free(c->new_value);
    free(c->setter);
    memset(c, 0, sizeof(*c));
}

void ed_setter_changes_free(ed_setter_changes *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        ed_setter_change_clear(&ch->items[i]);
    free(ch->items);
    memset(ch, 0, sizeof(*ch));
}
