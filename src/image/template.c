/*
 * Commit messages of ImageUpdateAutomation: the subset of Go's text/template that Flux users
 * write in git.commit.messageTemplate, interpreted over the data Flux exposes:
 *
 *   .AutomationObject             "namespace/name" (fields .Namespace, .Name)
 *   .Changed.Changes              every distinct change: {.OldValue, .NewValue, .Setter}
 *   .Changed.FileChanges          file (relative to update.path) -> object -> changes
 *   .Changed.Objects              object -> changes; an object has .APIVersion, .Kind, .Name,
 *                                 .Namespace
 *   .Values                       git.commit.messageTemplateValues
 *
 * Constructs: text, {{ pipeline }} with `.`, `$`, `$var`, field chains and string literals,
 * {{ if }} / {{ else if }} / {{ else }} / {{ end }}, {{ range }} over lists and maps (with
 * `$v :=` or `$k, $v :=`, keys in Go's sorted order, and {{ else }} for an empty range),
 * {{ with }}, comments (an action that starts with a slash and a star), and the trim markers {{-
 * and -}}. Anything else (functions, pipes, templates, variables assigned outside range) is refused
 * with an error that names the construct, so a message never silently comes out wrong.
 */
#include "image.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUT ((size_t)1 << 20)
#define MAX_DEPTH  32

/* ---- values ---- */

typedef enum {
    V_STR,
    V_LIST,
    V_MAP,
    V_OBJ
} vkind;

typedef struct val {
    vkind kind;
    char *s;           /* V_STR: the string; V_OBJ: how it prints */
    struct val **keys; /* V_MAP: keys (sorted); V_OBJ: field names as V_STR */
    struct val **items;
    size_t n;
    struct val *next_alloc; /* every value, for freeing */
} val;

typedef struct pool {
    val *all;
} pool;

static val *v_new(pool *p, vkind k, const char *s)
{
    val *v = ed_xcalloc(1, sizeof(*v));
    v->kind = k;
    v->s = s ? ed_xstrdup(s) : NULL;
    v->next_alloc = p->all;
    p->all = v;
    return v;
}

static void v_add(val *v, val *key, val *item)
{
    v->keys = ed_xrealloc(v->keys, (v->n + 1) * sizeof(val *));
    v->items = ed_xrealloc(v->items, (v->n + 1) * sizeof(val *));
    v->keys[v->n] = key;
    v->items[v->n++] = item;
}

static void pool_free(pool *p)
{
    for (val *v = p->all, *next; v; v = next) {
        next = v->next_alloc;
        free(v->s);
        free(v->keys);
        free(v->items);
        free(v);
    }
}

static val *obj_field(pool *p, val *obj, const char *name, const char *value)
{
    v_add(obj, v_new(p, V_STR, name), v_new(p, V_STR, value ? value : ""));
    return obj;
}

static val *v_get_or_add(pool *p, val *map, val *key, bool (*same)(const val *, const val *))
{
    for (size_t i = 0; i < map->n; i++)
        if (same(map->keys[i], key))
            return map->items[i];
    val *list = v_new(p, V_LIST, NULL);
    v_add(map, key, list);
    return list;
}

static bool same_str(const val *a, const val *b)
{
    return strcmp(a->s, b->s) == 0;
}

/* Objects compare by their printed form, which holds every field. */
static bool same_obj(const val *a, const val *b)
{
    return strcmp(a->s, b->s) == 0;
}

static val *change_val(pool *p, const ed_setter_change *c)
{
    val *v = v_new(p, V_OBJ, c->new_value);
    obj_field(p, v, "OldValue", c->old_value);
    obj_field(p, v, "NewValue", c->new_value);
    obj_field(p, v, "Setter", c->setter);
    return v;
}

static val *object_val(pool *p, const ed_setter_change *c)
{
    /* Printed (and ordered) as Go's fmtsort orders an ObjectIdentifier: apiVersion, kind, name,
     * namespace. */
    char *key = ed_xasprintf("%s\x1f%s\x1f%s\x1f%s", c->api_version ? c->api_version : "",
                             c->kind ? c->kind : "", c->obj_name ? c->obj_name : "",
                             c->obj_namespace ? c->obj_namespace : "");
    val *v = v_new(p, V_OBJ, key);
    free(key);
    obj_field(p, v, "APIVersion", c->api_version);
    obj_field(p, v, "Kind", c->kind);
    obj_field(p, v, "Name", c->obj_name);
    obj_field(p, v, "Namespace", c->obj_namespace);
    return v;
}

static int key_cmp(const void *a, const void *b)
{
    const val *const *x = a, *const *y = b;
    return strcmp((*x)->s, (*y)->s);
}

/* Sort a map's entries by key (Go's text/template ranges over sorted keys). */
static void sort_map(val *m)
{
    size_t n = m->n;
    val **pairs = ed_xcalloc(n ? n * 2 : 1, sizeof(val *));
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = m->keys[i];
        pairs[2 * i + 1] = m->items[i];
    }
    qsort(pairs, n, 2 * sizeof(val *), key_cmp);
    for (size_t i = 0; i < n; i++) {
        m->keys[i] = pairs[2 * i];
        m->items[i] = pairs[2 * i + 1];
    }
    free(pairs);
}

static val *build_data(pool *p, const ed_template_data *d)
{
    val *root = v_new(p, V_OBJ, "");
    char *ao = ed_xasprintf("%s/%s", d->automation_ns, d->automation_name);
    val *auto_obj = v_new(p, V_OBJ, ao);
    free(ao);
    obj_field(p, auto_obj, "Namespace", d->automation_ns);
    obj_field(p, auto_obj, "Name", d->automation_name);
    v_add(root, v_new(p, V_STR, "AutomationObject"), auto_obj);
    val *changed = v_new(p, V_OBJ, "");
    val *all = v_new(p, V_LIST, NULL), *files = v_new(p, V_MAP, NULL);
    val *objects = v_new(p, V_MAP, NULL);
    for (size_t i = 0; d->changes && i < d->changes->n; i++) {
        const ed_setter_change *c = &d->changes->items[i];
        val *cv = change_val(p, c);
        /* .Changed.Changes lists a change (old value, new value, setter) once, wherever and
         * however often it was made, as Flux's Result.Changes does; FileChanges and Objects
         * keep every occurrence, as Flux's do. */
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const ed_setter_change *o = &d->changes->items[k];
            seen =
                strcmp(o->old_value ? o->old_value : "", c->old_value ? c->old_value : "") == 0 &&
                strcmp(o->new_value ? o->new_value : "", c->new_value ? c->new_value : "") == 0 &&
                strcmp(o->setter ? o->setter : "", c->setter ? c->setter : "") == 0;
        }
        if (!seen)
            v_add(all, NULL, cv);
        val *file_key = v_new(p, V_STR, c->file ? c->file : "");
        val *objs = NULL;
        for (size_t f = 0; f < files->n && !objs; f++)
            if (same_str(files->keys[f], file_key))
                objs = files->items[f];
        if (!objs) {
            objs = v_new(p, V_MAP, NULL);
            v_add(files, file_key, objs);
        }
        v_add(v_get_or_add(p, objs, object_val(p, c), same_obj), NULL, cv);
        v_add(v_get_or_add(p, objects, object_val(p, c), same_obj), NULL, cv);
    }
    sort_map(files);
    for (size_t f = 0; f < files->n; f++)
        sort_map(files->items[f]);
    sort_map(objects);
    v_add(changed, v_new(p, V_STR, "Changes"), all);
    v_add(changed, v_new(p, V_STR, "FileChanges"), files);
    v_add(changed, v_new(p, V_STR, "Objects"), objects);
    v_add(root, v_new(p, V_STR, "Changed"), changed);
    val *values = v_new(p, V_MAP, NULL);
    for (const char *const *kv = d->values; kv && kv[0] && kv[1]; kv += 2)
        v_add(values, v_new(p, V_STR, kv[0]), v_new(p, V_STR, kv[1]));
    sort_map(values);
    v_add(root, v_new(p, V_STR, "Values"), values);
    return root;
}

/* ---- the interpreter ---- */

typedef struct var {
    char name[64];
    val *v;
} var;

typedef struct exec {
    const char *src; /* the whole template, for line numbers */
    const char *p;   /* where parsing is */
    val *root;
    var vars[MAX_DEPTH * 2];
    size_t nvars;
    ed_buf out;
    pool *pool;
    ed_err *err;
    bool trim_next; /* the last action ended with -}} */
    int depth;
} exec;

static int line_of(const exec *x, const char *at)
{
    int line = 1;
    for (const char *s = x->src; s < at; s++)
        line += *s == '\n';
    return line;
}

static int fail(exec *x, const char *at, const char *fmt, const char *what)
{
    return ed_err_set(x->err, ED_EINVALID, "messageTemplate line %d: %s%s%s", line_of(x, at), fmt,
                      what ? " " : "", what ? what : "");
}

/* An action: the text between {{ and }} (trim markers removed), and where it ends. */
typedef struct action {
    const char *start, *end; /* the action's words */
    const char *at;          /* the opening {{, for messages */
    const char *after;       /* just after the closing }} */
    bool trim_left, trim_right;
} action;

/* Find the next action from x->p: *text_end is where the text before it ends. Returns false
 * at the end of the template. */
static bool next_action(exec *x, const char **text_end, action *a, int *rc)
{
    const char *open = strstr(x->p, "{{");
    if (!open) {
        *text_end = x->p + strlen(x->p);
        return false;
    }
    *text_end = open;
    a->at = open;
    const char *s = open + 2;
    a->trim_left = s[0] == '-' && (s[1] == ' ' || s[1] == '\t' || s[1] == '\n');
    if (a->trim_left)
        s += 2;
    const char *close = strstr(s, "}}");
    if (!close) {
        *rc = fail(x, open, "unclosed action", NULL);
        return false;
    }
    const char *e = close;
    a->trim_right = e - s >= 2 && e[-1] == '-' && (e[-2] == ' ' || e[-2] == '\t' || e[-2] == '\n');
    if (a->trim_right)
        e -= 2;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    a->start = s;
    a->end = e;
    a->after = close + 2;
    return true;
}

static bool word_is(const action *a, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(a->end - a->start) >= n && strncmp(a->start, w, n) == 0 &&
           (a->start + n == a->end || isspace((unsigned char)a->start[n]));
}

static val *lookup_var(exec *x, const char *name, size_t n)
{
    if (n == 1)
        return x->root; /* "$" */
    for (size_t i = x->nvars; i-- > 0;)
        if (strlen(x->vars[i].name) == n && strncmp(x->vars[i].name, name, n) == 0)
            return x->vars[i].v;
    return NULL;
}

static val *field(val *v, const char *name, size_t n)
{
    if (!v || (v->kind != V_OBJ && v->kind != V_MAP))
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->keys[i]->kind == V_STR && strlen(v->keys[i]->s) == n &&
            strncmp(v->keys[i]->s, name, n) == 0)
            return v->items[i];
    return NULL;
}

/* Evaluate one operand [s, e): ".", ".A.B", "$", "$x.A", "\"lit\"". */
static int eval(exec *x, const action *a, const char *s, const char *e, val *dot, val **out)
{
    val *v;
    const char *p = s;
    if (s < e && *s == '"') {
        if (e - s < 2 || e[-1] != '"' || memchr(s + 1, '\\', (size_t)(e - s - 2)))
            return fail(x, a->at, "unsupported string literal", NULL);
        char *lit = ed_xstrndup(s + 1, (size_t)(e - s - 2));
        *out = v_new(x->pool, V_STR, lit);
        free(lit);
        return 0;
    }
    if (s < e && *s == '$') {
        p = s + 1;
        while (p < e && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        v = lookup_var(x, s, (size_t)(p - s));
        if (!v) {
            char *name = ed_xstrndup(s, (size_t)(p - s));
            int rc = fail(x, a->at, "undefined variable", name);
            free(name);
            return rc;
        }
    } else if (s < e && *s == '.') {
        v = dot;
    } else {
        char *what = ed_xstrndup(s, (size_t)(e - s));
        int rc = fail(x, a->at,
                      "unsupported construct (functions and pipelines are not supported):", what);
        free(what);
        return rc;
    }
    if (p < e && *p == '.' && p + 1 == e && v == dot)
        p++; /* "." alone */
    while (p < e) {
        if (*p != '.')
            goto bad;
        const char *f = ++p;
        while (p < e && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        if (p == f)
            goto bad;
        val *next = field(v, f, (size_t)(p - f));
        if (!next && v && v->kind == V_MAP)
            next = v_new(x->pool, V_STR, ""); /* a missing key: empty, and false in an if */
        if (!next) {
            char *name = ed_xstrndup(f, (size_t)(p - f));
            int rc;
            if (strcmp(name, "Updated") == 0)
                rc = fail(x, a->at,
                          "the field .Updated was removed from Flux's template data: use "
                          ".Changed",
                          NULL);
            else
                rc = fail(x, a->at, "no such field:", name);
            free(name);
            return rc;
        }
        v = next;
    }
    *out = v;
    return 0;
bad:;
    char *what = ed_xstrndup(s, (size_t)(e - s));
    int rc = fail(x, a->at, "unsupported construct:", what);
    free(what);
    return rc;
}

/* Evaluate the pipeline [s, e): exactly one operand. */
static int eval_pipeline(exec *x, const action *a, const char *s, const char *e, val *dot,
                         val **out)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (s == e)
        return fail(x, a->at, "missing value", NULL);
    bool in_str = false;
    for (const char *p = s; p < e; p++) {
        if (*p == '"')
            in_str = !in_str;
        if (!in_str && (isspace((unsigned char)*p) || *p == '|' || *p == '(')) {
            char *what = ed_xstrndup(s, (size_t)(e - s));
            int rc =
                fail(x, a->at,
                     "unsupported construct (functions and pipelines are not supported):", what);
            free(what);
            return rc;
        }
    }
    return eval(x, a, s, e, dot, out);
}

static bool truthy(const val *v)
{
    if (!v)
        return false;
    switch (v->kind) {
    case V_STR:
        return v->s && v->s[0];
    case V_LIST:
    case V_MAP:
        return v->n > 0;
    case V_OBJ:
        return true;
    }
    return false;
}

static void print(exec *x, const val *v)
{
    if (!v)
        return; /* defensive: eval always gives a value on success */
    if (v->kind == V_STR || v->kind == V_OBJ) {
        if (v->kind == V_OBJ && strchr(v->s, '\x1f')) {
            /* An object identifier: Kind/namespace/name, readable. */
            ed_buf_printf(
                &x->out, "%s/%s%s%s", field((val *)v, "Kind", 4)->s,
                field((val *)v, "Namespace", 9)->s[0] ? field((val *)v, "Namespace", 9)->s : "",
                field((val *)v, "Namespace", 9)->s[0] ? "/" : "", field((val *)v, "Name", 4)->s);
            return;
        }
        ed_buf_append_str(&x->out, v->s);
        return;
    }
    ed_buf_append_str(&x->out, v->kind == V_LIST ? "[list]" : "map[...]");
}

/* What ended a block: "end", "else" or the end of the template. */
typedef enum {
    END_EOF,
    END_END,
    END_ELSE
} block_end;

static int run_block(exec *x, val *dot, bool emit, block_end *ended, action *last);

/* Skip or run the text up to *text_end, honouring trim markers. */
static void emit_text(exec *x, const char *s, const char *e, bool trim_right_of_text, bool emit)
{
    if (x->trim_next)
        while (s < e && isspace((unsigned char)*s))
            s++;
    if (trim_right_of_text)
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
    if (emit && e > s)
        ed_buf_append(&x->out, s, (size_t)(e - s));
}

/* Parse "$k, $v := PIPE" or "$v := PIPE" or "PIPE" of range; names into k and v. */
static int range_vars(exec *x, const action *a, const char *s, char k[64], char v[64],
                      const char **pipe)
{
    k[0] = v[0] = '\0';
    const char *assign = strstr(s, ":=");
    if (!assign || assign > a->end) {
        *pipe = s;
        return 0;
    }
    char decl[160];
    snprintf(decl, sizeof(decl), "%.*s", (int)(assign - s), s);
    char *comma = strchr(decl, ',');
    char *first = decl, *second = comma ? comma + 1 : NULL;
    if (comma)
        *comma = '\0';
    char a1[64] = "", a2[64] = "";
    if (sscanf(first, " %63[$a-zA-Z0-9_] ", a1) != 1 || a1[0] != '$' ||
        (second && (sscanf(second, " %63[$a-zA-Z0-9_] ", a2) != 1 || a2[0] != '$')))
        return fail(x, a->at, "invalid range variables", NULL);
    if (second) {
        snprintf(k, 64, "%s", a1);
        snprintf(v, 64, "%s", a2);
    } else {
        snprintf(v, 64, "%s", a1);
    }
    *pipe = assign + 2;
    return 0;
}

static void push_var(exec *x, const char *name, val *v)
{
    if (!name[0] || x->nvars >= sizeof(x->vars) / sizeof(x->vars[0]))
        return;
    snprintf(x->vars[x->nvars].name, sizeof(x->vars[x->nvars].name), "%s", name);
    x->vars[x->nvars++].v = v;
}

/* {{ range }}: run the body once per element (or once without emitting to find its end). */
static int do_range(exec *x, const action *a, val *dot, bool emit)
{
    char k[64], v[64];
    const char *pipe = a->end;
    int rc = range_vars(x, a, a->start + 5, k, v, &pipe);
    val *coll = NULL;
    if (!rc && emit)
        rc = eval_pipeline(x, a, pipe, a->end, dot, &coll);
    if (rc)
        return rc;
    if (emit && coll && coll->kind != V_LIST && coll->kind != V_MAP)
        return fail(x, a->at, "range over a value that is not a list or map", NULL);
    const char *body = x->p;
    size_t n = emit && coll ? coll->n : 0;
    block_end ended = END_EOF;
    action last;
    bool saved_trim = x->trim_next;
    for (size_t i = 0; i < n; i++) {
        x->p = body;
        x->trim_next = saved_trim;
        size_t mark = x->nvars;
        val *key = coll->kind == V_MAP ? coll->keys[i] : NULL;
        char idx[32];
        snprintf(idx, sizeof(idx), "%zu", i);
        push_var(x, k, key ? key : v_new(x->pool, V_STR, idx));
        push_var(x, v, coll->items[i]);
        rc = run_block(x, coll->items[i], true, &ended, &last);
        x->nvars = mark;
        if (rc)
            return rc;
    }
    /* Once more without output when empty, to find the block's end (and run its else). */
    if (n == 0) {
        x->p = body;
        x->trim_next = saved_trim;
        rc = run_block(x, dot, false, &ended, &last);
        if (!rc && ended == END_ELSE)
            rc = run_block(x, dot, emit, &ended, &last);
    } else if (ended == END_ELSE) {
        rc = run_block(x, dot, false, &ended, &last);
    }
    if (!rc && ended != END_END)
        rc = fail(x, a->at, "range without end", NULL);
    return rc;
}

/* {{ if }} and {{ with }}, with else / else if chains. */
static int do_if(exec *x, const action *a, val *dot, bool emit, bool with)
{
    const char *cond = a->start + (with ? 4 : 2);
    val *v = NULL;
    int rc = emit ? eval_pipeline(x, a, cond, a->end, dot, &v) : 0;
    if (rc)
        return rc;
    bool taken = emit && truthy(v);
    block_end ended;
    action last;
    rc = run_block(x, with && taken ? v : dot, taken, &ended, &last);
    bool done = taken;
    while (!rc && ended == END_ELSE) {
        const char *rest = last.start + 4;
        while (rest < last.end && isspace((unsigned char)*rest))
            rest++;
        if (rest < last.end && strncmp(rest, "if", 2) == 0 &&
            (rest + 2 == last.end || isspace((unsigned char)rest[2]))) {
            val *c = NULL;
            bool t = false;
            if (emit && !done) {
                rc = eval_pipeline(x, &last, rest + 2, last.end, dot, &c);
                t = !rc && truthy(c);
            }
            if (!rc)
                rc = run_block(x, dot, t, &ended, &last);
            done = done || t;
        } else {
            rc = run_block(x, dot, emit && !done, &ended, &last);
            if (!rc && ended == END_ELSE)
                rc = fail(x, last.at, "else after else", NULL);
        }
    }
    if (!rc && ended != END_END)
        rc = fail(x, a->at, with ? "with without end" : "if without end", NULL);
    return rc;
}

/* Run text and actions until {{ end }}, {{ else }} or the end. emit false: parse only. */
static int run_block(exec *x, val *dot, bool emit, block_end *ended, action *last)
{
    if (++x->depth > MAX_DEPTH) {
        x->depth--;
        return fail(x, x->p, "blocks nested too deeply", NULL);
    }
    int rc = 0;
    *ended = END_EOF;
    for (;;) {
        const char *text_end;
        action a;
        bool more = next_action(x, &text_end, &a, &rc);
        if (rc)
            break;
        emit_text(x, x->p, text_end, more && a.trim_left, emit);
        if (!more) {
            x->p = text_end;
            break;
        }
        x->p = a.after;
        x->trim_next = a.trim_right;
        if (a.end - a.start >= 2 && strncmp(a.start, "/*", 2) == 0) {
            if (a.end - a.start < 4 || strncmp(a.end - 2, "*/", 2) != 0)
                rc = fail(x, a.at, "unclosed comment", NULL);
        } else if (word_is(&a, "end")) {
            *ended = END_END;
            *last = a;
            break;
        } else if (word_is(&a, "else")) {
            *ended = END_ELSE;
            *last = a;
            break;
        } else if (word_is(&a, "range")) {
            rc = do_range(x, &a, dot, emit);
        } else if (word_is(&a, "if")) {
            rc = do_if(x, &a, dot, emit, false);
        } else if (word_is(&a, "with")) {
            rc = do_if(x, &a, dot, emit, true);
        } else if (word_is(&a, "define") || word_is(&a, "template") || word_is(&a, "block") ||
                   word_is(&a, "break") || word_is(&a, "continue")) {
            char *what = ed_xstrndup(a.start, (size_t)(a.end - a.start));
            rc = fail(x, a.at, "unsupported construct:", what);
            free(what);
        } else {
            val *v = NULL;
            if (emit) {
                if (memmem(a.start, (size_t)(a.end - a.start), ":=", 2) ||
                    memmem(a.start, (size_t)(a.end - a.start), " = ", 3)) {
                    char *what = ed_xstrndup(a.start, (size_t)(a.end - a.start));
                    rc = fail(x, a.at, "unsupported construct (variable assignment):", what);
                    free(what);
                } else if ((rc = eval_pipeline(x, &a, a.start, a.end, dot, &v)) == 0) {
                    print(x, v);
                }
            }
        }
        if (rc)
            break;
    }
    x->depth--;
    return rc;
}

int ed_template_render(const char *tmpl, const ed_template_data *data, char **out, ed_err *err)
{
    *out = NULL;
    pool p = {0};
    exec x = {.src = tmpl, .p = tmpl, .pool = &p, .err = err, .out = ED_BUF_INIT(MAX_OUTPUT)};
    x.root = build_data(&p, data);
    block_end ended;
    action last;
    int rc = run_block(&x, x.root, true, &ended, &last);
    if (!rc && ended != END_EOF)
        rc = fail(&x, last.at, ended == END_END ? "unexpected end" : "unexpected else", NULL);
    if (!rc && x.out.len >= MAX_OUTPUT - 1)
        rc = ed_err_set(err, ED_ETOOBIG, "messageTemplate: the message is larger than 1 MiB");
    if (rc)
        ed_buf_free(&x.out);
    else
        *out = ed_buf_take(&x.out);
    pool_free(&p);
    return rc;
}
