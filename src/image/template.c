/*
 * Commit messages of ImageUpdateAutomation: Go's text/template as Flux users write it in
 * git.commit.messageTemplate, interpreted over the data Flux exposes:
 *
 *   .AutomationObject             "namespace/name" (fields .Namespace, .Name)
 *   .Changed.Changes              every distinct change: {.OldValue, .NewValue, .Setter}
 *   .Changed.FileChanges          file (relative to update.path) -> object -> changes
 *   .Changed.Objects              object -> changes; an object has .APIVersion, .Kind, .Name,
 *                                 .Namespace
 *   .Values                       git.commit.messageTemplateValues (a missing key prints
 *                                 "<no value>", as Go prints it)
 *
 * Constructs: text, {{ pipeline }} where a pipeline is commands joined by '|' (a command is an
 * operand: `.`, `$`, `$var`, field chains, string, raw string, integer, true, false, nil, or a
 * pipeline in parentheses; or a function and its arguments, the piped value last), with the
 * functions of sprig.c; {{ if }} / {{ else if }} / {{ else }} / {{ end }}, {{ range }} over lists
 * and maps (with `$v :=` or `$k, $v :=`, keys in Go's sorted order, and {{ else }} for an empty
 * range), {{ with }}, comments (an action that starts with a slash and a star), and the trim
 * markers {{- and -}}, variables ({{ $x := pipeline }} declares, {{ $x = pipeline }} assigns, as
 * the docs' Gerrit Change-Id example does). Anything else (templates, a function eddy does not
 * implement) is refused with an error that names it, so a message never silently
 * comes out wrong; an unknown function is refused wherever it appears, as Go refuses it when it
 * parses the template.
 */
#include "image_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUT ((size_t)1 << 20)
#define MAX_DEPTH  32
#define MAX_VARS   256

/* ---- Flux's template data ---- */

typedef ed_tv val;

static val *obj_field(ed_tv_pool *p, val *obj, const char *name, const char *value)
{
    ed_tv_add(obj, ed_tv_new(p, ED_TV_STR, name), ed_tv_new(p, ED_TV_STR, value ? value : ""));
    return obj;
}

static val *new_obj(ed_tv_pool *p, ed_tv_struct type, const char *key)
{
    val *v = ed_tv_new(p, ED_TV_OBJ, key);
    v->type = type;
    return v;
}

/* Objects compare by their key, which holds every field. */
static val *v_get_or_add(ed_tv_pool *p, val *map, val *key)
{
    for (size_t i = 0; i < map->len; i++)
        if (strcmp(map->keys[i]->s, key->s) == 0)
            return map->items[i];
    val *list = ed_tv_new(p, ED_TV_LIST, NULL);
    ed_tv_add(map, key, list);
    return list;
}

static val *change_val(ed_tv_pool *p, const ed_setter_change *c)
{
    val *v = new_obj(p, ED_TV_STRUCT_CHANGE, "");
    obj_field(p, v, "OldValue", c->old_value);
    obj_field(p, v, "NewValue", c->new_value);
    obj_field(p, v, "Setter", c->setter);
    return v;
}

static val *object_val(ed_tv_pool *p, const ed_setter_change *c)
{
    /* Keyed (and ordered) as Go's fmtsort orders an ObjectIdentifier: apiVersion, kind, name,
     * namespace. */
    char *key = ed_xasprintf("%s\x1f%s\x1f%s\x1f%s", c->api_version ? c->api_version : "",
                             c->kind ? c->kind : "", c->obj_name ? c->obj_name : "",
                             c->obj_namespace ? c->obj_namespace : "");
    val *v = new_obj(p, ED_TV_STRUCT_OBJECT, key);
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
    size_t n = m->len;
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

static bool same_change(const ed_setter_change *a, const ed_setter_change *b)
{
    return strcmp(a->old_value ? a->old_value : "", b->old_value ? b->old_value : "") == 0 &&
           strcmp(a->new_value ? a->new_value : "", b->new_value ? b->new_value : "") == 0 &&
           strcmp(a->setter ? a->setter : "", b->setter ? b->setter : "") == 0;
}

static val *build_data(ed_tv_pool *p, const ed_template_data *d)
{
    val *root = new_obj(p, ED_TV_STRUCT_ROOT, "");
    val *auto_obj = new_obj(p, ED_TV_STRUCT_AUTOMATION, "");
    obj_field(p, auto_obj, "Namespace", d->automation_ns);
    obj_field(p, auto_obj, "Name", d->automation_name);
    ed_tv_add(root, ed_tv_new(p, ED_TV_STR, "AutomationObject"), auto_obj);
    val *changed = new_obj(p, ED_TV_STRUCT_RESULT, "");
    val *all = ed_tv_new(p, ED_TV_LIST, NULL), *files = ed_tv_new(p, ED_TV_MAP, NULL);
    val *objects = ed_tv_new(p, ED_TV_MAP, NULL);
    for (size_t i = 0; d->changes && i < d->changes->n; i++) {
        const ed_setter_change *c = &d->changes->items[i];
        val *cv = change_val(p, c);
        /* .Changed.Changes lists a change (old value, new value, setter) once, wherever and
         * however often it was made, as Flux's Result.Changes does; FileChanges and Objects
         * keep every occurrence, as Flux's do. */
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = same_change(&d->changes->items[k], c);
        if (!seen)
            ed_tv_add(all, NULL, cv);
        val *file_key = ed_tv_new(p, ED_TV_STR, c->file ? c->file : "");
        val *objs = NULL;
        for (size_t f = 0; f < files->len && !objs; f++)
            if (strcmp(files->keys[f]->s, file_key->s) == 0)
                objs = files->items[f];
        if (!objs) {
            objs = ed_tv_new(p, ED_TV_MAP, NULL);
            ed_tv_add(files, file_key, objs);
        }
        ed_tv_add(v_get_or_add(p, objs, object_val(p, c)), NULL, cv);
        ed_tv_add(v_get_or_add(p, objects, object_val(p, c)), NULL, cv);
    }
    sort_map(files);
    for (size_t f = 0; f < files->len; f++)
        sort_map(files->items[f]);
    sort_map(objects);
    ed_tv_add(changed, ed_tv_new(p, ED_TV_STR, "FileChanges"), files);
    ed_tv_add(changed, ed_tv_new(p, ED_TV_STR, "Changes"), all);
    ed_tv_add(changed, ed_tv_new(p, ED_TV_STR, "Objects"), objects);
    ed_tv_add(root, ed_tv_new(p, ED_TV_STR, "Changed"), changed);
    val *values = ed_tv_new(p, ED_TV_MAP, NULL);
    for (const char *const *kv = d->values; kv && kv[0] && kv[1]; kv += 2)
        ed_tv_add(values, ed_tv_new(p, ED_TV_STR, kv[0]), ed_tv_new(p, ED_TV_STR, kv[1]));
    sort_map(values);
    ed_tv_add(root, ed_tv_new(p, ED_TV_STR, "Values"), values);
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
    var vars[MAX_VARS];
    size_t nvars;
    ed_buf out;
    ed_tv_pool *pool;
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
    /* The closing }}, past any string literal that holds one. */
    const char *close = NULL;
    for (const char *q = s; *q && !close; q++) {
        if (*q == '"' || *q == '`') {
            char quote = *q;
            for (q++; *q && *q != quote; q++)
                if (quote == '"' && *q == '\\' && q[1])
                    q++;
            if (!*q)
                break;
        } else if (q[0] == '}' && q[1] == '}') {
            close = q;
        }
    }
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

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Follow the field chain [p, e) (".A.B") from v. */
static int fields(exec *x, const action *a, val *v, const char *p, const char *e, val **out)
{
    while (p < e) {
        if (*p != '.' || p + 1 == e || !ident_char(p[1])) {
            char *what = ed_xstrndup(p, (size_t)(e - p));
            int rc = fail(x, a->at, "unsupported construct:", what);
            free(what);
            return rc;
        }
        const char *f = ++p;
        while (p < e && ident_char(*p))
            p++;
        val *next = ed_tv_field(v, f, (size_t)(p - f));
        if (!next && v && v->kind == ED_TV_MAP)
            next = ed_tv_new(x->pool, ED_TV_NIL, NULL); /* a missing key: Go's "<no value>" */
        if (!next) {
            char *name = ed_xstrndup(f, (size_t)(p - f));
            int rc;
            if (strcmp(name, "Updated") == 0)
                rc = fail(x, a->at,
                          "the field .Updated was removed from Flux's template data: use "
                          ".Changed",
                          NULL);
            else if (strcmp(name, "ImageResult") == 0)
                rc = fail(x, a->at,
                          "the field .Changed.ImageResult was removed from Flux's template data: "
                          "use .Changed.FileChanges or .Changed.Objects",
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
}

/* Evaluate a field chain [s, e): ".", ".A.B", "$", "$x.A". */
static int eval_chain(exec *x, const action *a, const char *s, const char *e, val *dot, val **out)
{
    val *v;
    const char *p = s;
    if (*s == '$') {
        p = s + 1;
        while (p < e && ident_char(*p))
            p++;
        v = lookup_var(x, s, (size_t)(p - s));
        if (!v) {
            char *name = ed_xstrndup(s, (size_t)(p - s));
            int rc = fail(x, a->at, "undefined variable", name);
            free(name);
            return rc;
        }
    } else {
        v = dot;
        if (e - s == 1) {
            *out = v; /* "." alone */
            return 0;
        }
    }
    return fields(x, a, v, p, e, out);
}

/*
 * Pipelines as Go's text/template reads them: commands separated by '|', each an operand (a
 * field chain, a variable, a string, raw string, integer, true, false or nil, or a pipeline in
 * parentheses) or a function with its arguments; a command's value is the last argument of the
 * next. run false: only check the syntax and that the functions exist (Go refuses an unknown
 * function when it parses the template, whether or not the branch runs).
 */
typedef struct parser {
    exec *x;
    const action *a;
    const char *p, *e;
    val *dot;
    bool run;
    int depth; /* parentheses open */
} parser;

static void skip_ws(parser *ps)
{
    while (ps->p < ps->e && isspace((unsigned char)*ps->p))
        ps->p++;
}

static bool at_end_of_command(parser *ps)
{
    skip_ws(ps);
    return ps->p >= ps->e || *ps->p == '|' || *ps->p == ')';
}

static int parse_pipeline(parser *ps, val **out);

static int unsupported(parser *ps, const char *why, const char *s, size_t n)
{
    char *what = ed_xstrndup(s, n);
    int rc = fail(ps->x, ps->a->at, why, what);
    free(what);
    return rc;
}

/* A string literal with Go's escapes. */
static int parse_string(parser *ps, val **out)
{
    const char *s = ps->p;
    ed_buf b = ED_BUF_INIT(MAX_OUTPUT);
    bool raw = *ps->p == '`';
    for (ps->p++; ps->p < ps->e && *ps->p != (raw ? '`' : '"'); ps->p++) {
        char c = *ps->p;
        if (raw || c != '\\') {
            ed_buf_append(&b, &c, 1);
            continue;
        }
        if (++ps->p >= ps->e)
            break;
        static const char from[] = "abfnrtv\\\"'";
        static const char to[] = "\a\b\f\n\r\t\v\\\"'";
        const char *k = strchr(from, *ps->p);
        if (*ps->p && k) {
            ed_buf_append(&b, &to[k - from], 1);
        } else if (*ps->p == 'x' && ps->e - ps->p > 2 && isxdigit((unsigned char)ps->p[1]) &&
                   isxdigit((unsigned char)ps->p[2])) {
            char hex[3] = {ps->p[1], ps->p[2], 0};
            char byte = (char)strtol(hex, NULL, 16);
            ed_buf_append(&b, &byte, 1);
            ps->p += 2;
        } else if ((*ps->p == 'u' || *ps->p == 'U') && ps->e - ps->p > (*ps->p == 'u' ? 4 : 8)) {
            /* \uXXXX, \UXXXXXXXX: the code point in UTF-8 */
            int digits = *ps->p == 'u' ? 4 : 8;
            char hex[9] = {0};
            memcpy(hex, ps->p + 1, (size_t)digits);
            char *end;
            unsigned long cp = strtoul(hex, &end, 16);
            if (*end || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                ed_buf_free(&b);
                return unsupported(ps, "invalid escape in string literal:", s,
                                   (size_t)(ps->p - s + 1));
            }
            unsigned char u[4];
            size_t n = 0;
            if (cp < 0x80) {
                u[n++] = (unsigned char)cp;
            } else if (cp < 0x800) {
                u[n++] = (unsigned char)(0xc0 | (cp >> 6));
                u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                u[n++] = (unsigned char)(0xe0 | (cp >> 12));
                u[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
            } else {
                u[n++] = (unsigned char)(0xf0 | (cp >> 18));
                u[n++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
                u[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
            }
            ed_buf_append(&b, u, n);
            ps->p += digits;
        } else {
            ed_buf_free(&b);
            return unsupported(ps, "unsupported escape in string literal:", s,
                               (size_t)(ps->p - s + 1));
        }
    }
    if (ps->p >= ps->e) {
        ed_buf_free(&b);
        return unsupported(ps, "unterminated string literal:", s, (size_t)(ps->e - s));
    }
    ps->p++;
    char *str = ed_buf_take(&b);
    ed_buf_free(&b);
    *out = ed_tv_new(ps->x->pool, ED_TV_STR, str);
    free(str);
    return 0;
}

/* A function eddy does not implement: one of Flux's it names, any other in Go's words. */
static int check_function(parser *ps, const char *name)
{
    if (ed_tv_function_known(name))
        return 0;
    if (ed_tv_sprig_name(name))
        return fail(ps->x, ps->a->at, "the sprig function is not supported by eddy:", name);
    char *msg = ed_xasprintf("function \"%s\" not defined", name);
    int rc = fail(ps->x, ps->a->at, msg, NULL);
    free(msg);
    return rc;
}

static int call_function(parser *ps, const char *name, val **args, size_t nargs, val **out)
{
    int rc = check_function(ps, name);
    if (rc)
        return rc;
    if (!ps->run) {
        *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
        return 0;
    }
    char msg[512];
    if (ed_tv_call(ps->x->pool, name, args, nargs, out, msg, sizeof(msg)) != 0)
        return fail(ps->x, ps->a->at, msg, NULL);
    return 0;
}

/* One operand; *fn gets a function's name instead when the operand is one. */
static int parse_operand(parser *ps, val **out, char fn[64])
{
    fn[0] = '\0';
    skip_ws(ps);
    const char *s = ps->p;
    char c = *s;
    if (c == '(') {
        if (ps->depth >= MAX_DEPTH)
            return fail(ps->x, ps->a->at, "parentheses nested too deeply", NULL);
        ps->p++;
        ps->depth++;
        int rc = parse_pipeline(ps, out);
        ps->depth--;
        if (rc)
            return rc;
        skip_ws(ps);
        if (ps->p >= ps->e || *ps->p != ')')
            return unsupported(ps, "unclosed parenthesis in", s, (size_t)(ps->e - s));
        ps->p++;
        if (ps->p < ps->e && *ps->p == '.') { /* (pipeline).Field */
            const char *f = ps->p;
            while (ps->p < ps->e && (ident_char(*ps->p) || *ps->p == '.'))
                ps->p++;
            if (ps->run)
                return fields(ps->x, ps->a, *out, f, ps->p, out);
        }
        return 0;
    }
    if (c == '"' || c == '`')
        return parse_string(ps, out);
    if (c == '.' || c == '$') {
        while (ps->p < ps->e && (ident_char(*ps->p) || *ps->p == '.' || *ps->p == '$'))
            ps->p++;
        if (!ps->run) {
            *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
            return 0;
        }
        return eval_chain(ps->x, ps->a, s, ps->p, ps->dot, out);
    }
    if (isdigit((unsigned char)c) ||
        ((c == '-' || c == '+') && ps->p + 1 < ps->e && isdigit((unsigned char)s[1]))) {
        ps->p++;
        while (ps->p < ps->e && (ident_char(*ps->p) || *ps->p == '.'))
            ps->p++;
        char *lit = ed_xstrndup(s, (size_t)(ps->p - s)), *end;
        errno = 0;
        long long n = strtoll(lit, &end, 0);
        bool ok = *end == '\0' && errno == 0;
        free(lit);
        if (!ok)
            return unsupported(ps, "unsupported number (integers only):", s, (size_t)(ps->p - s));
        *out = ed_tv_num(ps->x->pool, n);
        return 0;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        while (ps->p < ps->e && ident_char(*ps->p))
            ps->p++;
        size_t n = (size_t)(ps->p - s);
        if (n == 4 && strncmp(s, "true", 4) == 0)
            *out = ed_tv_bool(ps->x->pool, true);
        else if (n == 5 && strncmp(s, "false", 5) == 0)
            *out = ed_tv_bool(ps->x->pool, false);
        else if (n == 3 && strncmp(s, "nil", 3) == 0)
            *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
        else if (n < 64)
            snprintf(fn, 64, "%.*s", (int)n, s);
        else
            return unsupported(ps, "unsupported construct:", s, n);
        return 0;
    }
    return unsupported(ps, "unsupported construct:", s, (size_t)(ps->e - s));
}

#define MAX_ARGS 32

/* A command: a function and its arguments (piped, when not NULL, is the last), or an operand. */
static int parse_command(parser *ps, val *piped, val **out)
{
    const char *s = ps->p;
    char fn[64], argfn[64];
    val *first = NULL;
    int rc = parse_operand(ps, &first, fn);
    if (rc)
        return rc;
    if (!fn[0]) {
        if (!at_end_of_command(ps) || piped)
            return unsupported(ps, "can't give argument to non-function:", s, (size_t)(ps->e - s));
        *out = first;
        return 0;
    }
    if ((rc = check_function(ps, fn)) != 0)
        return rc; /* before its arguments: Go refuses it when parsing */
    val *args[MAX_ARGS + 1];
    size_t n = 0;
    while (!at_end_of_command(ps)) {
        if (n >= MAX_ARGS)
            return unsupported(ps, "too many arguments:", s, (size_t)(ps->e - s));
        if ((rc = parse_operand(ps, &args[n], argfn)) != 0)
            return rc;
        /* A function named as an argument is called without arguments. */
        if (argfn[0] && (rc = call_function(ps, argfn, NULL, 0, &args[n])) != 0)
            return rc;
        n++;
    }
    if (piped)
        args[n++] = piped;
    return call_function(ps, fn, args, n, out);
}

static int parse_pipeline(parser *ps, val **out)
{
    val *v = NULL;
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->e || *ps->p == '|' || *ps->p == ')')
            return fail(ps->x, ps->a->at, "missing value", NULL);
        int rc = parse_command(ps, v, &v);
        if (rc)
            return rc;
        skip_ws(ps);
        if (ps->p < ps->e && *ps->p == '|') {
            ps->p++;
            continue;
        }
        *out = v;
        return 0;
    }
}

/* Evaluate the pipeline [s, e) of action a; run false checks it only. */
static int eval_pipeline(exec *x, const action *a, const char *s, const char *e, val *dot,
                         val **out, bool run)
{
    parser ps = {x, a, s, e, dot, run, 0};
    int rc = parse_pipeline(&ps, out);
    if (!rc && ps.p < ps.e)
        rc = unsupported(&ps, "unexpected", ps.p, (size_t)(ps.e - ps.p));
    return rc;
}

static bool truthy(const val *v)
{
    return ed_tv_truthy(v);
}

static void print(exec *x, const val *v)
{
    ed_tv_print(&x->out, v, "<no value>");
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

static bool push_var(exec *x, const char *name, val *v)
{
    if (!name[0] || x->nvars >= sizeof(x->vars) / sizeof(x->vars[0]))
        return false;
    snprintf(x->vars[x->nvars].name, sizeof(x->vars[x->nvars].name), "%s", name);
    x->vars[x->nvars++].v = v;
    return true;
}

/*
 * {{ $x := pipeline }} declares $x until the end of the enclosing block (Go's scope: the "end"
 * of the if, with or range, else the template); {{ $x = pipeline }} gives a declared variable a
 * new value. Both print nothing. Returns 1 when the action is neither (an ordinary pipeline).
 */
static int do_variable(exec *x, const action *a, val *dot, bool emit)
{
    const char *p = a->start + 1;
    while (p < a->end && ident_char(*p))
        p++;
    size_t n = (size_t)(p - a->start);
    const char *op = p;
    while (op < a->end && isspace((unsigned char)*op))
        op++;
    bool declare = a->end - op >= 2 && op[0] == ':' && op[1] == '=';
    bool assign = op < a->end && op[0] == '=' && (op + 1 == a->end || op[1] != '=');
    if (!declare && !assign)
        return 1;
    if (n < 2 || n >= sizeof(x->vars[0].name))
        return fail(x, a->at, "invalid variable name", NULL);
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)n, a->start);
    val *v = NULL;
    int rc = eval_pipeline(x, a, op + (declare ? 2 : 1), a->end, dot, &v, emit);
    if (rc)
        return rc;
    if (!v)
        v = ed_tv_new(x->pool, ED_TV_NIL, NULL);
    if (declare)
        return push_var(x, name, v) ? 0 : fail(x, a->at, "too many variables", NULL);
    for (size_t i = x->nvars; i-- > 0;)
        if (strcmp(x->vars[i].name, name) == 0) {
            if (emit)
                x->vars[i].v = v;
            return 0;
        }
    return fail(x, a->at, "undefined variable", name);
}

/* {{ range }}: run the body once per element (or once without emitting to find its end). */
static int do_range(exec *x, const action *a, val *dot, bool emit)
{
    char k[64], v[64];
    const char *pipe = a->end;
    int rc = range_vars(x, a, a->start + 5, k, v, &pipe);
    val *coll = NULL;
    if (!rc)
        rc = eval_pipeline(x, a, pipe, a->end, dot, &coll, emit);
    if (rc)
        return rc;
    /* Go ranges over nothing for a missing value (nil). */
    if (emit && coll && coll->kind != ED_TV_LIST && coll->kind != ED_TV_MAP &&
        coll->kind != ED_TV_NIL)
        return fail(x, a->at, "range over a value that is not a list or map", NULL);
    const char *body = x->p;
    size_t n = emit && coll && coll->kind != ED_TV_NIL ? coll->len : 0;
    block_end ended = END_EOF;
    action last;
    bool saved_trim = x->trim_next;
    for (size_t i = 0; i < n; i++) {
        x->p = body;
        x->trim_next = saved_trim;
        size_t mark = x->nvars;
        val *key = coll->kind == ED_TV_MAP ? coll->keys[i] : NULL;
        push_var(x, k, key ? key : ed_tv_num(x->pool, (int64_t)i));
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
    int rc = eval_pipeline(x, a, cond, a->end, dot, &v, emit);
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
            rc = eval_pipeline(x, &last, rest + 2, last.end, dot, &c, emit && !done);
            t = emit && !done && !rc && truthy(c);
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
    size_t scope = x->nvars; /* variables declared in this block end with it */
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
            rc = a.start[0] == '$' ? do_variable(x, &a, dot, emit) : 1;
            if (rc == 1 && (rc = eval_pipeline(x, &a, a.start, a.end, dot, &v, emit)) == 0 && emit)
                print(x, v);
        }
        if (rc)
            break;
    }
    x->nvars = scope;
    x->depth--;
    return rc;
}

int ed_template_render(const char *tmpl, const ed_template_data *data, char **out, ed_err *err)
{
    *out = NULL;
    ed_tv_pool p = {0};
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
    ed_tv_pool_free(&p);
    return rc;
}
