/*
 * spec.ignore of a Kustomization (Flux 2.6+): fields excluded from drift correction. Each rule
 * is {paths: [JSON pointer], target?: {group, version, kind, name, namespace (regular
 * expressions, anchored), labelSelector, annotationSelector}}; without a target it covers every
 * object.
 *
 * For an object a rule covers that already exists, the desired object takes the live value of
 * each path (or loses the path when the live object has none) before the apply: the dry-run
 * then shows no drift there, and nothing reverts what another party set. Flux strips such a
 * field when another Apply manager owns it and adopts the live value when it is the sole
 * owner; eddy always adopts, which leaves the value where it is in both cases. A new object is
 * created whole.
 *
 * The same rules keep those fields out of drift detection (ed_ks_ignore_covers): a change there
 * does not queue a reconcile or announce drift.
 *
 * Label and annotation selectors take Kubernetes' equality forms: `k=v`, `k==v`, `k!=v`, `k`,
 * `!k`, separated by commas.
 */
#include "ks_int.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* True when value matches the anchored regular expression re ("" or NULL matches all). An
 * invalid expression is an error (ED_EINVALID). */
static int regex_match(const char *re, const char *value, bool *match, ed_err *err)
{
    *match = true;
    if (!re || !*re)
        return 0;
    char *anchored = ed_xasprintf("^(%s)$", re);
    regex_t rx;
    int rc = regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    if (rc != 0)
        return ed_err_set(err, ED_EINVALID, "spec.ignore: invalid regular expression '%s'", re);
    *match = regexec(&rx, value ? value : "", 0, NULL, 0) == 0;
    regfree(&rx);
    return 0;
}

/* One term of a selector against the labels (or annotations) map. */
static bool term_matches(const ed_node *map, const char *term)
{
    bool negate_exists = term[0] == '!' && !strchr(term, '=');
    const char *op = strstr(term, "!=");
    const char *eq = op ? NULL : strchr(term, '=');
    if (negate_exists)
        return ed_node_get(map, term + 1) == NULL;
    if (!op && !eq)
        return ed_node_get(map, term) != NULL;
    char *key = ed_xstrndup(term, (size_t)((op ? op : eq) - term));
    const char *want = op ? op + 2 : (eq[1] == '=' ? eq + 2 : eq + 1);
    const char *have = ed_node_str(ed_node_get(map, key));
    free(key);
    bool same = have && strcmp(have, want) == 0;
    return op ? !same : same;
}

static bool selector_matches(const ed_node *map, const char *selector)
{
    bool ok = true;
    for (const char *p = selector; p && *p && ok;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            char *term = ed_xstrndup(p, len);
            ok = term_matches(map, term);
            free(term);
        }
        p = comma ? comma + 1 : NULL;
    }
    return ok;
}

/* True when the rule's target covers obj. */
static int target_matches(const ed_node *target, const ed_node *obj, bool *match, ed_err *err)
{
    *match = true;
    if (!target)
        return 0;
    const char *av = ed_node_path_str(obj, "/apiVersion");
    const char *slash = av ? strchr(av, '/') : NULL;
    char *group = slash ? ed_xstrndup(av, (size_t)(slash - av)) : ed_xstrdup("");
    const char *version = slash ? slash + 1 : av;
    const struct {
        const char *field, *value;
    } fields[] = {
        {"group", group},
        {"version", version},
        {"kind", ed_node_path_str(obj, "/kind")},
        {"name", ed_node_path_str(obj, "/metadata/name")},
        {"namespace", ed_node_path_str(obj, "/metadata/namespace")},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && *match && !rc; i++)
        rc = regex_match(ed_node_str(ed_node_get(target, fields[i].field)), fields[i].value, match,
                         err);
    free(group);
    if (!rc && *match)
        *match = selector_matches(ed_node_path(obj, "/metadata/labels"),
                                  ed_node_str(ed_node_get(target, "labelSelector"))) &&
                 selector_matches(ed_node_path(obj, "/metadata/annotations"),
                                  ed_node_str(ed_node_get(target, "annotationSelector")));
    return rc;
}

/* The last segment of a JSON pointer, unescaped (~1 is '/', ~0 is '~'), malloc'd. */
static char *last_segment(const char *path, char **parent)
{
    const char *slash = strrchr(path, '/');
    *parent = ed_xstrndup(path, (size_t)(slash - path));
    ed_buf b = ED_BUF_INIT(4096);
    for (const char *p = slash + 1; *p; p++) {
        if (p[0] == '~' && p[1] == '1') {
            ed_buf_append(&b, "/", 1);
            p++;
        } else if (p[0] == '~' && p[1] == '0') {
            ed_buf_append(&b, "~", 1);
            p++;
        } else {
            ed_buf_append(&b, p, 1);
        }
    }
    return b.data ? ed_buf_take(&b) : ed_xstrdup("");
}

/* Set (value non-NULL) or remove the field at path in the object root of doc. Sequences along
 * the way are changed item by item; a missing parent is left alone. */
static void put_at(ed_doc *doc, ed_node *root, const char *path, const ed_node *value)
{
    if (!path[0] || path[0] != '/')
        return;
    char *parent_path = NULL;
    char *key = last_segment(path, &parent_path);
    ed_node *parent = parent_path[0] ? ed_node_path(root, parent_path) : root;
    if (ed_node_kind_of(parent) == ED_NODE_MAP) {
        if (value)
            ed_node_set(doc, parent, key, ed_node_copy(doc, value));
        else
            ed_node_remove(parent, key);
    } else if (ed_node_kind_of(parent) == ED_NODE_SEQ) {
        char *end;
        unsigned long idx = strtoul(key, &end, 10);
        if (*key && !*end && idx < ed_node_len(parent)) {
            /* rebuild the sequence with the item replaced or dropped, then put it back */
            ed_node *seq = ed_node_new_seq(doc);
            for (size_t i = 0; i < ed_node_len(parent); i++) {
                if (i != idx)
                    ed_node_append(doc, seq, ed_node_at(parent, i));
                else if (value)
                    ed_node_append(doc, seq, ed_node_copy(doc, value));
            }
            put_at(doc, root, parent_path, seq);
        }
    }
    free(key);
    free(parent_path);
}

int ed_ks_apply_ignore(ed_kube *kube, const ed_node *obj, ed_doc **docs, size_t n, ed_err *err)
{
    const ed_node *rules = ed_node_path(obj, "/spec/ignore");
    if (ed_node_len(rules) == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        ed_node *desired = ed_doc_root(docs[i]);
        ed_doc *live = NULL;
        bool fetched = false;
        for (size_t r = 0; r < ed_node_len(rules); r++) {
            const ed_node *rule = ed_node_at(rules, r);
            bool match = false;
            int rc = target_matches(ed_node_get(rule, "target"), desired, &match, err);
            if (rc) {
                ed_doc_free(live);
                return rc;
            }
            if (!match)
                continue;
            if (!fetched) {
                ed_err gerr = ED_ERR_INIT;
                fetched = true;
                if (ed_kube_get(kube, ed_node_path_str(desired, "/apiVersion"),
                                ed_node_path_str(desired, "/kind"),
                                ed_node_path_str(desired, "/metadata/namespace"),
                                ed_node_path_str(desired, "/metadata/name"), &live, &gerr) != 0)
                    live = NULL; /* new (or unreadable): applied whole */
            }
            if (!live)
                break;
            const ed_node *paths = ed_node_get(rule, "paths");
            for (size_t p = 0; p < ed_node_len(paths); p++) {
                const char *path = ed_node_str(ed_node_at(paths, p));
                if (path)
                    put_at(docs[i], desired, path, ed_node_path(ed_doc_root(live), path));
            }
        }
        ed_doc_free(live);
    }
    return 0;
}

/* The paths (string nodes) of every rule whose target covers obj, together: a new array of *n
 * borrowed nodes (NULL when none). A target with a bad regular expression covers nothing. */
static const ed_node **covering_paths(const ed_node *rules, const ed_node *obj, size_t *n)
{
    const ed_node **paths = NULL;
    *n = 0;
    for (size_t r = 0; r < ed_node_len(rules); r++) {
        const ed_node *rule = ed_node_at(rules, r);
        bool match = false;
        ed_err err = ED_ERR_INIT;
        if (target_matches(ed_node_get(rule, "target"), obj, &match, &err) != 0 || !match)
            continue;
        const ed_node *list = ed_node_get(rule, "paths");
        for (size_t p = 0; p < ed_node_len(list); p++) {
            paths = ed_xrealloc(paths, (*n + 1) * sizeof(const ed_node *));
            paths[(*n)++] = ed_node_at(list, p);
        }
    }
    return paths;
}

/* Append the JSON pointer segment of name, escaped ('~' as ~0, '/' as ~1). */
static void append_segment(ed_buf *b, const char *name)
{
    ed_buf_append(b, "/", 1);
    for (const char *p = name; *p; p++) {
        if (*p == '~')
            ed_buf_append(b, "~0", 2);
        else if (*p == '/')
            ed_buf_append(b, "~1", 2);
        else
            ed_buf_append(b, p, 1);
    }
}

/* True when pointer (len bytes) is one of paths or lies below one. */
static bool under_a_path(const ed_node *const *paths, size_t npaths, const char *pointer,
                         size_t len)
{
    for (size_t i = 0; i < npaths; i++) {
        const char *p = ed_node_str(paths[i]);
        size_t pl = p ? strlen(p) : 0;
        if (pl && pl <= len && memcmp(p, pointer, pl) == 0 && (pl == len || pointer[pl] == '/'))
            return true;
    }
    return false;
}

/* True when a path of paths goes below pointer (len bytes): one that names an item of the list
 * there by its index. */
static bool a_path_below(const ed_node *const *paths, size_t npaths, const char *pointer,
                         size_t len)
{
    for (size_t i = 0; i < npaths; i++) {
        const char *p = ed_node_str(paths[i]);
        if (p && strlen(p) > len + 1 && memcmp(p, pointer, len) == 0 && p[len] == '/')
            return true;
    }
    return false;
}

/* The index, in the list at pointer of the live object, of the item managedFields key k names
 * (`k:{"name":"app"}` by its key fields, `v:VALUE` by its value, `i:N` by its position); -1
 * when no item is that one. */
static long item_index(const ed_node *live, const char *pointer, const char *k)
{
    const ed_node *list = *pointer ? ed_node_path(live, pointer) : live;
    size_t n = ed_node_len(list);
    if (!list || ed_node_kind_of(list) != ED_NODE_SEQ || strlen(k) < 2 || k[1] != ':')
        return -1;
    if (k[0] == 'i') {
        char *end;
        long i = strtol(k + 2, &end, 10);
        return *end || i < 0 || (size_t)i >= n ? -1 : i;
    }
    if (k[0] != 'k' && k[0] != 'v')
        return -1;
    ed_doc *want = NULL;
    if (ed_doc_parse_json(k + 2, strlen(k + 2), &want, NULL) != 0)
        return -1;
    const ed_node *w = ed_doc_root(want);
    long found = -1;
    for (size_t i = 0; found < 0 && i < n; i++) {
        const ed_node *item = ed_node_at(list, i);
        bool same = k[0] == 'v' ? ed_node_equal(item, w) : ed_node_kind_of(w) == ED_NODE_MAP;
        for (size_t j = 0; k[0] == 'k' && same && j < ed_node_len(w); j++)
            same = ed_node_equal(ed_node_get(item, ed_node_key_at(w, j)), ed_node_value_at(w, j));
        if (same)
            found = (long)i;
    }
    ed_doc_free(want);
    return found;
}

struct cover {
    const ed_node *const *paths;
    size_t npaths;
    const ed_node *live; /* the whole live object, or NULL */
    bool need_live;      /* a list item under a path that names items by index, and no live */
    ed_buf b;            /* the JSON pointer of the fields at hand */
};

/* Every field below fields (at pointer cv->b) is covered by the paths. A list item is named by
 * its index in the live object, which managedFields does not give. */
static bool fields_covered(struct cover *cv, const ed_node *fields)
{
    ed_buf *b = &cv->b;
    if (under_a_path(cv->paths, cv->npaths, b->data ? b->data : "", b->len))
        return true;
    size_t n = ed_node_len(fields), mark = b->len;
    bool leaf = true;
    for (size_t i = 0; i < n; i++) {
        const char *k = ed_node_key_at(fields, i);
        if (!k || strcmp(k, ".") == 0) /* the map's own existence: no value of its own */
            continue;
        leaf = false;
        if (ed_str_has_prefix(k, "f:")) {
            append_segment(b, k + 2);
        } else {
            /* a list item: only a path with its index can cover it */
            if (!a_path_below(cv->paths, cv->npaths, b->data ? b->data : "", b->len))
                return false;
            if (!cv->live) {
                cv->need_live = true;
                return false;
            }
            long at = item_index(cv->live, b->data ? b->data : "", k);
            if (at < 0)
                return false;
            ed_buf_printf(b, "/%ld", at);
        }
        bool ok = fields_covered(cv, ed_node_value_at(fields, i));
        b->len = mark;
        if (b->data)
            b->data[mark] = '\0';
        if (!ok)
            return false;
    }
    return !leaf;
}

bool ed_ks_ignore_covers(const ed_node *rules, const ed_node *obj, const ed_node *live,
                         const ed_node *fields_v1, bool *need_live)
{
    size_t npaths;
    const ed_node **paths = covering_paths(rules, obj, &npaths);
    struct cover cv = {.paths = paths, .npaths = npaths, .live = live, .b = ED_BUF_INIT(64 * 1024)};
    bool covered = npaths > 0 && fields_v1 && fields_covered(&cv, fields_v1);
    if (need_live)
        *need_live = !covered && cv.need_live;
    ed_buf_free(&cv.b);
    free(paths);
    return covered;
}
