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
 * operand: `.`, `$`, `$var`, field chains, string, raw string, number, true, false, nil, or a
 * pipeline in parentheses; or a function and its arguments, the piped value last), with the
 * functions of sprig.c; {{ if }} / {{ else if }} / {{ else }} / {{ end }}, {{ range }} over lists,
 * maps and integers (with `$v :=` or `$k, $v :=`, keys in Go's sorted order, and {{ else }} for
 * an empty range), {{ with }}, comments (an action that starts with a slash and a star), and the
 * trim markers {{- and -}}, variables ({{ $x := pipeline }} declares, {{ $x = pipeline }}
 * assigns, as the docs' Gerrit Change-Id example does), {{ break }} and {{ continue }} in a
 * range, {{ else with }} in a with chain, and named templates: {{ define "name" }} at the top
 * level, {{ template "name" pipeline }} and {{ block "name" pipeline }} (recorded by the parse
 * pass, so a template may be called before its definition).
 *
 * Errors are Go's, word for word, as Flux's Ready condition quotes them. Go parses the whole
 * template before it runs any of it: the template is walked once without running (every
 * branch, each range body once) for its parse errors ("template: NAME:LINE: MSG": an unclosed
 * action, unexpected EOF, an undefined function or variable...), then run, where an error names
 * the node Go was evaluating as its executor does ("template: NAME:LINE:COL: executing "NAME"
 * at <NODE>: MSG"). Anything else (a function eddy does not implement, an imaginary number) is
 * refused with eddy's error naming it, so a message never silently comes out wrong.
 */
#include "image_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
    list->type = ED_TV_STRUCT_CHANGE; /* []update.Change */
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
    all->type = ED_TV_STRUCT_CHANGE;
    files->type = ED_TV_STRUCT_RESULT;
    objects->type = ED_TV_STRUCT_OBJECT;
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
            objs->type = ED_TV_STRUCT_OBJECT;
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
    values->is_nil = !d->values; /* no messageTemplateValues: Flux's nil map */
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
    const char *name; /* the template's name in messages ("commit message") */
    const char *src;  /* the whole template, for line numbers */
    const char *p;    /* where parsing is */
    val *root;
    var vars[MAX_VARS];
    size_t nvars;
    ed_buf out;
    ed_tv_pool *pool;
    ed_err *err;
    bool trim_next; /* the last action ended with -}} */
    int depth;
    int ranges; /* {{range}} bodies open, where {{break}} and {{continue}} parse */
    /* A {{break}} ('b') or {{continue}} ('c') ran: the rest of the range's body is only
     * parsed, and the range stops or goes on to its next element. */
    char loop_ctl;
    /* {{define}} and {{block}}: the named templates, found by the parse pass (a template may
     * be called before its definition); while one runs, its name is the executing one and
     * variables below var_floor are not its own. */
    struct {
        char name[128];
        const char *body;     /* just after the defining action */
        const char *body_end; /* its {{end}} */
        bool trim;            /* that action ended with -}} */
    } defs[32];
    size_t ndefs;
    bool parsed; /* the parse pass is done: definitions are known */
    /* The main template has more than white space, comments and definitions (Go's
     * IsEmptyTree): a non-empty {{define}} of its own name is an error then, and replaces it
     * otherwise. */
    bool main_nonempty;
    const char *exec_name; /* the template running ("commit message", or a defined one) */
    size_t var_floor;
    /* The node being evaluated, as Go's state.at(node) keeps it: where an execution error is
     * (its text, and its position). */
    const char *at_s, *at_e, *at_pos;
    /* The first word of a command is being evaluated: a method of *semver.Version ending its
     * chain is left to the command (method_recv, method_name), which gives it its arguments. */
    bool want_method;
    val *method_recv;
    char method_name[24];
} exec;

static int line_of(const exec *x, const char *at)
{
    int line = 1;
    for (const char *s = x->src; s < at; s++)
        line += *s == '\n';
    return line;
}

/* A parse error, as Go's parser words it: "template: NAME:LINE: MSG". */
static int perr(exec *x, const char *at, const char *msg)
{
    return ed_err_set(x->err, ED_EINVALID, "template: %s:%d: %s", x->name, line_of(x, at), msg);
}

/* The same with MSG formatted. */
static int perrf(exec *x, const char *at, const char *fmt, ...) ED_PRINTF(3, 4);
static int perrf(exec *x, const char *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return perr(x, at, msg);
}

static void at(exec *x, const char *s, const char *e)
{
    x->at_s = s;
    x->at_e = e;
    x->at_pos = s;
    /* (Go's parser positions a chain of fields at its second one) */
    if (s && (*s == '.' || *s == '$'))
        for (const char *f = s + 1; f < e && x->at_pos == s; f++)
            if (*f == '.')
                x->at_pos = f;
}

/* A node's text as Go's Node.String gives it back: blanks between words one space, none inside
 * parentheses' edges; string literals as written. */
static void node_text(ed_buf *b, const char *s, const char *e)
{
    bool blank = false;
    while (s < e && isspace((unsigned char)*s))
        s++;
    for (; s < e; s++) {
        if (isspace((unsigned char)*s)) {
            blank = true;
            continue;
        }
        if (blank && *s != ')' && b->len && b->data[b->len - 1] != '(')
            ed_buf_append(b, " ", 1);
        blank = false;
        if (*s == '"' || *s == '`') {
            const char *q = s;
            for (q++; q < e && *q != *s; q++)
                if (*s == '"' && *q == '\\' && q + 1 < e)
                    q++;
            q = q < e ? q + 1 : e;
            ed_buf_append(b, s, (size_t)(q - s));
            s = q - 1;
            continue;
        }
        ed_buf_append(b, s, 1);
    }
}

/* An execution error, as Go's executor words it: "template: NAME:LINE:COL: executing "NAME" at
 * <NODE>: MSG", the column the node's byte offset in its line. */
static int xerr(exec *x, const char *msg)
{
    if (!x->at_s)
        return ed_err_set(x->err, ED_EINVALID, "template: %s: %s", x->name, msg);
    const char *line_start = x->at_pos;
    while (line_start > x->src && line_start[-1] != '\n')
        line_start--;
    ed_buf ctx = ED_BUF_INIT(4096);
    node_text(&ctx, x->at_s, x->at_e);
    int rc = ed_err_set(x->err, ED_EINVALID, "template: %s:%d:%d: executing \"%s\" at <%.*s>: %s",
                        x->name, line_of(x, x->at_pos), (int)(x->at_pos - line_start),
                        x->exec_name ? x->exec_name : x->name, (int)ctx.len,
                        ctx.data ? ctx.data : "", msg);
    ed_buf_free(&ctx);
    return rc;
}

/* An action: the text between {{ and }} (trim markers removed), and where it ends. */
typedef struct action {
    const char *start, *end; /* the action's words */
    const char *at;          /* the opening {{, for messages */
    const char *after;       /* just after the closing }} */
    bool trim_left, trim_right;
    bool comment; /* a slash and a star right after the delimiter (and trim marker) */
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
    a->comment = s[0] == '/' && s[1] == '*';
    /* The closing }}, past any string literal that holds one (Go's lexer: a quoted string ends
     * on its line). */
    const char *close = NULL;
    for (const char *q = s; *q && !close; q++) {
        if ((*q == '"' || *q == '`') && !a->comment) {
            const char *quote = q;
            for (q++; *q && *q != *quote && (*quote == '`' || *q != '\n'); q++)
                if (*quote == '"' && *q == '\\' && q[1] && q[1] != '\n')
                    q++;
            if (*q != *quote) {
                *rc = perr(x, quote,
                           *quote == '`' ? "unterminated raw quoted string"
                                         : "unterminated quoted string");
                return false;
            }
        } else if (q[0] == '}' && q[1] == '}') {
            close = q;
        }
    }
    if (!close) {
        /* Go's lexer reports it on the line of the last word it read */
        const char *end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
            end--;
        *rc = perr(x, end, a->comment ? "unclosed comment" : "unclosed action");
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

/* The length of the token at s (before e): up to the first byte of stop. */
static size_t strcspn_n(const char *s, const char *e, const char *stop)
{
    size_t n = 0;
    while (s + n < e && !strchr(stop, s[n]))
        n++;
    return n;
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
    for (size_t i = x->nvars; i-- > x->var_floor;)
        if (strlen(x->vars[i].name) == n && strncmp(x->vars[i].name, name, n) == 0)
            return x->vars[i].v;
    return NULL;
}

/* A byte of an identifier: Go's are Unicode letters and digits (any byte of a multi-byte
 * UTF-8 character is taken for one). */
static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* The methods with one argument eddy calls: the comparisons of Masterminds' *semver.Version,
 * which take another version ('v'), its setters and time.Time's Format, which take a string
 * ('s'). */
static const struct arg_method {
    const char *name;
    ed_tv_struct recv;
    char arg;
} arg_methods[] = {
    {"Compare", ED_TV_STRUCT_SEMVER, 'v'},
    {"Equal", ED_TV_STRUCT_SEMVER, 'v'},
    {"GreaterThan", ED_TV_STRUCT_SEMVER, 'v'},
    {"GreaterThanEqual", ED_TV_STRUCT_SEMVER, 'v'},
    {"LessThan", ED_TV_STRUCT_SEMVER, 'v'},
    {"LessThanEqual", ED_TV_STRUCT_SEMVER, 'v'},
    {"Format", ED_TV_STRUCT_TIME, 's'},
    {"SetPrerelease", ED_TV_STRUCT_SEMVER, 's'},
    {"SetPrerelease", ED_TV_STRUCT_SEMVER_VALUE, 's'},
    {"SetMetadata", ED_TV_STRUCT_SEMVER, 's'},
    {"SetMetadata", ED_TV_STRUCT_SEMVER_VALUE, 's'},
};

/* Does v have methods (a *semver.Version or semver.Version, a time.Time)? */
static bool has_methods(const val *v)
{
    return v && v->kind == ED_TV_OBJ &&
           (v->type == ED_TV_STRUCT_SEMVER || v->type == ED_TV_STRUCT_SEMVER_VALUE ||
            v->type == ED_TV_STRUCT_TIME);
}

/* v's method name (n bytes) taking one argument, or NULL. */
static const struct arg_method *arg_method(const val *v, const char *name, size_t n)
{
    for (size_t i = 0; has_methods(v) && i < sizeof(arg_methods) / sizeof(arg_methods[0]); i++)
        if (arg_methods[i].recv == v->type && strlen(arg_methods[i].name) == n &&
            strncmp(arg_methods[i].name, name, n) == 0)
            return &arg_methods[i];
    return NULL;
}

/* Is name (n bytes) a method of v that eddy does not give: a Version's encoders,
 * time.Time's others (Month and Weekday print names, Add, In...)? */
static bool refused_method(const val *v, const char *name, size_t n)
{
    static const char *const semver_methods[] = {
        "Value", "Scan", "MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText", NULL};
    static const char *const time_methods[] = {
        "Add",   "AddDate", "After",    "AppendBinary",  "AppendFormat", "AppendText",  "Before",
        "Clock", "Compare", "Date",     "Equal",         "GoString",     "GobEncode",   "ISOWeek",
        "In",    "IsDST",   "Location", "MarshalBinary", "MarshalJSON",  "MarshalText", "Month",
        "Round", "Sub",     "Truncate", "Weekday",       "Zone",         "ZoneBounds",  NULL};
    if (!has_methods(v))
        return false;
    const char *const *m = v->type == ED_TV_STRUCT_TIME ? time_methods : semver_methods;
    for (; *m; m++)
        if (strlen(*m) == n && strncmp(*m, name, n) == 0)
            return true;
    return false;
}

/* Follow the field chain [p, e) (".A.B") from v: a missing map key or a field of nothing is
 * nothing (Go's zero value, printed "<no value>"); any other missing field is Go's error, at the
 * node x->at the caller set. */
static int fields(exec *x, const action *a, val *v, const char *p, const char *e, val **out)
{
    while (p < e) {
        if (*p != '.' || p + 1 == e || !ident_char(p[1])) {
            char *what = ed_xstrndup(p, (size_t)(e - p));
            int rc = perrf(x, a->at, "unsupported construct: %s", what);
            free(what);
            return rc;
        }
        const char *f = ++p;
        while (p < e && ident_char(*p))
            p++;
        size_t fn = (size_t)(p - f);
        val *next = ed_tv_field(v, f, fn);
        if (!next && has_methods(v))
            next = ed_tv_semver_next(x->pool, v, f, fn); /* IncPatch... */
        if (!next && has_methods(v))
            next = ed_tv_time_method(x->pool, v, f, fn); /* UTC, Local */
        if (next && v->type == ED_TV_STRUCT_SEMVER_VALUE && fn == 8 &&
            strncmp(f, "Original", 8) == 0)
            next = NULL; /* (a method of *semver.Version only) */
        if (has_methods(v) && x->want_method && p == e && fn < sizeof(x->method_name) &&
            (next || arg_method(v, f, fn))) {
            /* the command's first word: its arguments, if any, go to the method */
            x->method_recv = v;
            snprintf(x->method_name, sizeof(x->method_name), "%.*s", (int)fn, f);
            if (!next) {
                *out = v; /* (the command calls it) */
                return 0;
            }
        } else if (arg_method(v, f, fn)) {
            char *msg = ed_xasprintf("wrong number of args for %.*s: want 1 got 0", (int)fn, f);
            int rc = xerr(x, msg);
            free(msg);
            return rc;
        }
        if (!next && v &&
            (v->kind == ED_TV_NIL || (v->kind == ED_TV_MAP && v->type != ED_TV_STRUCT_OBJECT)))
            next = ed_tv_new(x->pool, ED_TV_NIL, NULL);
        if (!next && refused_method(v, f, fn))
            return perrf(x, a->at, "unsupported construct: the method %.*s of %s", (int)fn, f,
                         ed_tv_type_name(v));
        if (!next) {
            char *msg = ed_xasprintf("can't evaluate field %.*s in type %s", (int)(p - f), f,
                                     ed_tv_type_name(v));
            int rc = xerr(x, msg);
            free(msg);
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
    at(x, s, e);
    if (*s == '$') {
        p = s + 1;
        while (p < e && ident_char(*p))
            p++;
        v = lookup_var(x, s, (size_t)(p - s));
        if (!v) {
            char *name = ed_xstrndup(s, (size_t)(p - s));
            int rc = perrf(x, a->at, "undefined variable \"%s\"", name);
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
 * field chain, a variable, a string, raw string, number, true, false or nil, or a pipeline in
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
    int depth;           /* parentheses open */
    const char *context; /* what the pipeline is of, in Go's parse errors: "command", "if"... */
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
    int rc = perrf(ps->x, ps->a->at, "%s %s", why, what);
    free(what);
    return rc;
}

/* Go's parser on a character where it wants an operand: `unexpected "|" in command`. */
static int unexpected(parser *ps, const char *where)
{
    char *msg;
    unsigned char c = (unsigned char)*ps->p;
    if (c >= 0x20 && c < 0x7f)
        msg =
            ed_xasprintf("unexpected \"%s%c\" in %s", c == '"' || c == '\\' ? "\\" : "", c, where);
    else
        msg = ed_xasprintf("unrecognized character in action: U+%04X", c);
    int rc = perr(ps->x, ps->a->at, msg);
    free(msg);
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
                return perr(ps->x, ps->a->at, "invalid syntax"); /* strconv.Unquote's */
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
            return perr(ps->x, ps->a->at, "invalid syntax");
        }
    }
    if (ps->p >= ps->e) {
        ed_buf_free(&b);
        return perr(ps->x, s, "unterminated quoted string");
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
    if (ed_tv_function_known(name) || strcmp(name, "call") == 0)
        return 0;
    if (ed_tv_sprig_name(name))
        return perrf(ps->x, ps->a->at, "the sprig function is not supported by eddy: %s", name);
    return perrf(ps->x, ps->a->at, "function \"%s\" not defined", name);
}

/* The words of a call: the function's name, its arguments (each with its text and whether it
 * is a literal, which Go converts itself and words differently), the whole command. */
typedef struct call_site {
    const char *fn_s, *fn_e;
    const char *arg_s[33], *arg_e[33];
    /* where Go stands once it has evaluated each argument: the argument itself, or for a
     * parenthesised pipeline the last node evaluated inside it */
    const char *arg_at_s[33], *arg_at_e[33];
    bool literal[33];
    size_t nwritten; /* arguments written in the command; a piped value comes after them */
    const char *cmd_s, *cmd_e;
} call_site;

/* Go's words for an argument literal of the wrong type (its evalArg converts literals itself):
 * "expected string; found 5"; want is the type the call wanted ("int" is Go's "integer"). */
static char *literal_mismatch(const char *msg, const char *s, const char *e)
{
    const char *want = strstr(msg, "expected ");
    if (!want)
        return ed_xstrdup(msg);
    want += strlen("expected ");
    size_t n = strcspn(want, ";");
    if (e - s == 3 && strncmp(s, "nil", 3) == 0)
        return ed_xasprintf("cannot assign nil to %.*s", (int)n, want);
    if (strncmp(want, "map[", 4) == 0 || strncmp(want, "time.Time", 9) == 0)
        /* a kind evalArg has no conversion for */
        return ed_xasprintf("can't handle %.*s for arg of type %.*s", (int)(e - s), s, (int)n,
                            want);
    bool is_int = n == 3 && strncmp(want, "int", 3) == 0;
    bool is_float = n == 7 && strncmp(want, "float64", 7) == 0;
    return ed_xasprintf("expected %.*s; found %.*s", is_int ? 7 : (int)n - (is_float ? 2 : 0),
                        is_int ? "integer" : want, (int)(e - s), s);
}

/* Go's call: Flux's data holds no function, so it always fails, in Go's words ("call of nil",
 * "non-function .Values.env of type string": the argument as written, or the piped value). */
static int call_builtin(exec *x, val **args, size_t nargs, const call_site *cs)
{
    if (cs)
        at(x, cs->nwritten ? cs->cmd_s : cs->fn_s, cs->nwritten ? cs->cmd_e : cs->fn_e);
    if (nargs == 0)
        return xerr(x, "wrong number of args for call: want at least 1 got 0");
    if (!args[0] || args[0]->kind == ED_TV_NIL)
        return xerr(x, "error calling call: call of nil");
    ed_buf what = ED_BUF_INIT(4096);
    if (cs && cs->nwritten) {
        const char *s = cs->arg_s[0], *e = cs->arg_e[0];
        if (*s == '(' && e > s + 1 && e[-1] == ')') { /* a pipeline prints without its parens */
            s++;
            e--;
        }
        node_text(&what, s, e);
    } else {
        ed_tv_print(&what, args[0], "<nil>");
    }
    char *msg = ed_xasprintf("error calling call: non-function %.*s of type %s", (int)what.len,
                             what.data ? what.data : "", ed_tv_type_name(args[0]));
    ed_buf_free(&what);
    int rc = xerr(x, msg);
    free(msg);
    return rc;
}

static int call_function(parser *ps, const char *name, val **args, size_t nargs,
                         const call_site *cs, val **out)
{
    int rc = check_function(ps, name);
    if (rc)
        return rc;
    if (!ps->run) {
        *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
        return 0;
    }
    char msg[512];
    int where;
    exec *x = ps->x;
    if (strcmp(name, "call") == 0)
        return call_builtin(x, args, nargs, cs);
    if (ed_tv_call(ps->x->pool, name, args, cs ? cs->literal : NULL, nargs, out, msg, sizeof(msg),
                   &where) == 0) {
        /* Go is left at the last argument it evaluated (a piped value is not evaluated
         * there), or at the function's name */
        if (cs && cs->nwritten)
            at(x, cs->arg_at_s[cs->nwritten - 1], cs->arg_at_e[cs->nwritten - 1]);
        else if (cs)
            at(x, cs->fn_s, cs->fn_e);
        return 0;
    }
    if (!cs) {
        at(x, NULL, NULL);
        return xerr(x, msg);
    }
    if (where == ED_TV_AT_COMMAND) {
        at(x, cs->cmd_s, cs->cmd_e);
        return xerr(x, msg);
    }
    if (where >= 0 && (size_t)where < cs->nwritten) {
        at(x, cs->arg_at_s[where], cs->arg_at_e[where]);
        if (cs->literal[where]) {
            char *m = literal_mismatch(msg, cs->arg_s[where], cs->arg_e[where]);
            rc = xerr(x, m);
            free(m);
            return rc;
        }
        return xerr(x, msg);
    }
    /* the count of arguments, or the piped value: Go is still at the last argument it
     * evaluated, or at the function's name */
    if (where >= 0 && cs->nwritten)
        at(x, cs->arg_at_s[cs->nwritten - 1], cs->arg_at_e[cs->nwritten - 1]);
    else
        at(x, cs->fn_s, cs->fn_e);
    return xerr(x, msg);
}

/*
 * A number literal [s, ps->p), as Go's parser reads it: an int (decimal, 0x, 0o, 0b, with '_'
 * between digits), else a float64 (1.5, 1e3, 0x1p-2) that is also an int where a function wants
 * one when it is integral; an imaginary number is refused, as numbers past int64.
 */
static int number_literal(parser *ps, const char *s, val **out)
{
    size_t len = (size_t)(ps->p - s);
    char *lit = ed_xmalloc(len + 1), *end;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_')
            lit[n++] = s[i];
        else if (!(i > 0 && i + 1 < len && isxdigit((unsigned char)s[i + 1]) &&
                   (isxdigit((unsigned char)s[i - 1]) || strchr("xXoObB", s[i - 1]))))
            lit[n++] = '!'; /* an underscore that is not between digits: no number */
    lit[n] = '\0';
    errno = 0;
    long long i = strtoll(lit, &end, 0);
    bool is_int = *end == '\0' && errno == 0;
    if (!is_int && (lit[0] == '0' || ((lit[0] == '-' || lit[0] == '+') && lit[1] == '0')) &&
        strpbrk(lit, "oObB") && !strpbrk(lit, "xX")) {
        /* 0o17, 0b101: strtoll knows neither prefix */
        const char *digits = strpbrk(lit, "oObB") + 1;
        int base = strchr("oO", digits[-1]) ? 8 : 2;
        errno = 0;
        i = strtoll(digits, &end, base);
        is_int = *end == '\0' && *digits && errno == 0 && digits - lit == 2 + (lit[0] != '0');
        if (lit[0] == '-')
            i = -i;
    }
    double f = 0;
    bool is_float = false;
    const char *why = "illegal number syntax";
    if (!is_int && !strchr(lit, 'i') && (!strpbrk(lit, "xX") || strpbrk(lit, "pP"))) {
        errno = 0;
        f = strtod(lit, &end);
        is_float = *end == '\0' && !(errno == ERANGE && isinf(f)) && strpbrk(lit, ".eEpP");
        if (*end == '\0' && !strpbrk(lit, ".eEpP"))
            why = "integer overflow"; /* Go's word for an int it cannot read: 08 too */
    }
    errno = 0;
    (void)strtoull(lit, &end, 0); /* a uint64 past int64: Go's "overflows int" when it runs */
    bool int_range = !is_int && *end == '\0' && errno == 0 && lit[0] != '-';
    free(lit);
    if (!is_int && !is_float && (s[len - 1] == 'i' || int_range))
        return unsupported(ps, "unsupported number:", s, len); /* complex, or past int64 */
    if (!is_int && !is_float) {
        char *q = ed_xstrndup(s, len);
        ed_buf b = ED_BUF_INIT(4096);
        ed_buf_append_go_quoted(&b, q);
        int rc = perrf(ps->x, ps->a->at, "%s: %.*s", why, (int)b.len, b.data);
        ed_buf_free(&b);
        free(q);
        return rc;
    }
    if (ps->run)
        at(ps->x, s, ps->p);
    if (is_int) {
        *out = ed_tv_num(ps->x->pool, i);
        return 0;
    }
    *out = ed_tv_float(ps->x->pool, f);
    if (f >= -9223372036854775807.0 && f < 9223372036854775807.0 && f == (double)(int64_t)f) {
        (*out)->int_literal = true;
        (*out)->n = (int64_t)f;
    }
    return 0;
}

/* One operand; *fn gets a function's name instead when the operand is one; *literal says
 * whether it is a constant (string, number, true, false, nil). */
static int parse_operand(parser *ps, val **out, char fn[64], bool *literal)
{
    fn[0] = '\0';
    *literal = false;
    skip_ws(ps);
    const char *s = ps->p;
    char c = *s;
    if (c == '(') {
        if (ps->depth >= MAX_DEPTH)
            return perr(ps->x, ps->a->at, "parentheses nested too deeply");
        ps->p++;
        ps->depth++;
        const char *context = ps->context;
        bool want_method = ps->x->want_method; /* for the (pipeline).Method after it */
        ps->x->want_method = false;
        ps->context = "command";
        int rc = parse_pipeline(ps, out);
        ps->context = context;
        ps->x->want_method = want_method;
        ps->depth--;
        if (rc)
            return rc;
        skip_ws(ps);
        if (ps->p >= ps->e || *ps->p != ')')
            return perr(ps->x, ps->a->at, "unclosed left paren");
        ps->p++;
        if (ps->p < ps->e && *ps->p == '.') { /* (pipeline).Field */
            const char *f = ps->p;
            while (ps->p < ps->e && (ident_char(*ps->p) || *ps->p == '.'))
                ps->p++;
            /* (Go is still at the last node the pipeline evaluated) */
            if (ps->run)
                return fields(ps->x, ps->a, *out, f, ps->p, out);
        }
        return 0;
    }
    if (c == '"' || c == '`') {
        *literal = true;
        int rc = parse_string(ps, out);
        if (!rc && ps->run)
            at(ps->x, s, ps->p);
        return rc;
    }
    if (c == '.' || c == '$') {
        while (ps->p < ps->e && (ident_char(*ps->p) || *ps->p == '.' || *ps->p == '$'))
            ps->p++;
        if (!ps->run) {
            /* Go's parser knows its variables: an undefined one does not parse */
            if (c == '$') {
                const char *n = s + 1;
                while (n < ps->p && ident_char(*n))
                    n++;
                if (!lookup_var(ps->x, s, (size_t)(n - s)))
                    return eval_chain(ps->x, ps->a, s, ps->p, ps->dot, out);
            }
            *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
            return 0;
        }
        return eval_chain(ps->x, ps->a, s, ps->p, ps->dot, out);
    }
    if (isdigit((unsigned char)c) ||
        ((c == '-' || c == '+') && ps->p + 1 < ps->e && isdigit((unsigned char)s[1]))) {
        *literal = true;
        ps->p++;
        bool hex = ps->e - s > 2 &&
                   (s[1] == 'x' || s[1] == 'X' || (s[0] != '0' && (s[2] == 'x' || s[2] == 'X')));
        while (ps->p < ps->e &&
               (ident_char(*ps->p) || *ps->p == '.' ||
                ((*ps->p == '-' || *ps->p == '+') && strchr(hex ? "pP" : "eE", ps->p[-1]))))
            ps->p++;
        return number_literal(ps, s, out);
    }
    if (isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
        while (ps->p < ps->e && ident_char(*ps->p))
            ps->p++;
        size_t n = (size_t)(ps->p - s);
        if (n == 4 && strncmp(s, "true", 4) == 0) {
            *out = ed_tv_bool(ps->x->pool, true);
        } else if (n == 5 && strncmp(s, "false", 5) == 0) {
            *out = ed_tv_bool(ps->x->pool, false);
        } else if (n == 3 && strncmp(s, "nil", 3) == 0) {
            *out = ed_tv_new(ps->x->pool, ED_TV_NIL, NULL);
        } else {
            if (n >= 64)
                return unsupported(ps, "unsupported construct:", s, n);
            snprintf(fn, 64, "%.*s", (int)n, s);
            return 0;
        }
        *literal = true;
        if (ps->run)
            at(ps->x, s, ps->p);
        return 0;
    }
    return unexpected(ps, ps->context);
}

/* A method's error ("error calling NAME: WHY"), at the chain that called it. */
static int method_error(exec *x, const char *s, const char *chain_e, const char *name,
                        const char *why)
{
    at(x, s, chain_e);
    if (*s == '(') /* Go's chain node is at its first field, after the parenthesis */
        for (x->at_pos = chain_e; x->at_pos > s && x->at_pos[-1] != ')'; x->at_pos--)
            ;
    char *msg = ed_xasprintf("error calling %s: %s", name, why);
    int rc = xerr(x, msg);
    free(msg);
    return rc;
}

/* Go's evalArg and validateType for the argument of a method (m->arg): a literal Go converts
 * itself or refuses, another value of the type or nil where a pointer may be (*nil_out). */
static int method_arg(exec *x, const struct arg_method *m, const char *as, const char *ae,
                      bool literal, const val *v, bool *nil_out)
{
    const char *type = m->arg == 'v' ? "*semver.Version" : "string";
    char *msg = NULL;
    *nil_out = v->kind == ED_TV_NIL;
    if (literal && v->kind == ED_TV_NIL)
        msg = m->arg == 'v' ? NULL : ed_xasprintf("cannot assign nil to %s", type);
    else if (literal && m->arg == 'v')
        msg = ed_xasprintf("can't handle %.*s for arg of type %s", (int)(ae - as), as, type);
    else if (literal && v->kind != ED_TV_STR)
        msg = ed_xasprintf("expected string; found %.*s", (int)(ae - as), as);
    else if (v->kind == ED_TV_NIL)
        msg = m->arg == 'v' ? NULL : ed_xasprintf("invalid value; expected %s", type);
    else if (m->arg == 'v' ? v->kind != ED_TV_OBJ || v->type != ED_TV_STRUCT_SEMVER
                           : v->kind != ED_TV_STR)
        msg = ed_xasprintf("wrong type for value; expected %s; got %s", type, ed_tv_type_name(v));
    if (!msg)
        return 0;
    int rc = xerr(x, msg);
    free(msg);
    return rc;
}

/* recv's comparison m with other (a *semver.Version, or nil). */
static int compare_versions(exec *x, const char *s, const char *chain_e, const struct arg_method *m,
                            const val *recv, const val *other, val **out)
{
    ed_semver a, b;
    if (!other || ed_semver_parse(recv->s, &a) != 0 || ed_semver_parse(other->s, &b) != 0)
        return method_error(x, s, chain_e, m->name, /* (semver's versions parse again) */
                            "runtime error: invalid memory address or nil pointer dereference");
    int c = ed_semver_compare(&a, &b);
    c = c < 0 ? -1 : c > 0;
    if (strcmp(m->name, "Compare") == 0)
        *out = ed_tv_num(x->pool, c);
    else
        *out = ed_tv_bool(x->pool, strcmp(m->name, "Equal") == 0           ? c == 0
                                   : strcmp(m->name, "LessThan") == 0      ? c < 0
                                   : strcmp(m->name, "LessThanEqual") == 0 ? c <= 0
                                   : strcmp(m->name, "GreaterThan") == 0   ? c > 0
                                                                           : c >= 0);
    return 0;
}

/*
 * A command whose first word ends in a method of a *semver.Version or a time.Time (recv's), as
 * Go calls it: the number of arguments (the piped value counted) checked before any is
 * evaluated, then the argument's type. The methods without arguments are recv's fields (field,
 * its value); the others are arg_methods.
 */
static int method_command(parser *ps, const char *s, const char *chain_e, val *recv, val *field,
                          val *piped, val **out)
{
    exec *x = ps->x;
    char name[sizeof(x->method_name)];
    memcpy(name, x->method_name, sizeof(name));
    const struct arg_method *m = arg_method(recv, name, strlen(name));
    const char *recv_at_s = x->at_s, *recv_at_e = x->at_e;
    const char *args_s = ps->p;
    size_t n = 0;
    ps->run = false; /* count the arguments only */
    int rc = 0;
    while (rc == 0 && !at_end_of_command(ps)) {
        val *ignored;
        char argfn[64];
        bool literal;
        rc = parse_operand(ps, &ignored, argfn, &literal);
        n++;
    }
    ps->run = true;
    if (rc)
        return rc;
    ps->p = args_s;
    size_t want = m ? 1 : 0, got = n + (piped ? 1 : 0);
    if (got != want) {
        at(x, recv_at_s, recv_at_e);
        char *msg = ed_xasprintf("wrong number of args for %s: want %zu got %zu", name, want, got);
        rc = xerr(x, msg);
        free(msg);
        return rc;
    }
    if (!m) {
        *out = field;
        return 0;
    }
    val *arg = piped;
    const char *as = NULL, *ae = NULL;
    bool literal = false;
    if (n == 1) {
        skip_ws(ps);
        as = ps->p;
        char argfn[64];
        if ((rc = parse_operand(ps, &arg, argfn, &literal)) != 0)
            return rc;
        ae = ps->p;
        if (argfn[0]) {
            call_site fcs = {.fn_s = as, .fn_e = ae, .cmd_s = as, .cmd_e = ae};
            if ((rc = call_function(ps, argfn, NULL, 0, &fcs, &arg)) != 0)
                return rc;
        }
        if (*as != '(' || !x->at_s)
            at(x, as, ae);
    }
    ED_ASSERT(arg != NULL); /* one argument, written or piped: got == want */
    bool is_nil;
    if ((rc = method_arg(x, m, as, ae, literal, arg, &is_nil)) != 0)
        return rc;
    if (m->arg == 'v')
        return compare_versions(x, s, chain_e, m, recv, is_nil ? NULL : arg, out);
    if (recv->type != ED_TV_STRUCT_TIME) { /* SetPrerelease, SetMetadata */
        const char *why = NULL;
        *out = ed_tv_semver_set(x->pool, recv, strcmp(m->name, "SetMetadata") == 0, arg->s, &why);
        return *out ? 0 : method_error(x, s, chain_e, m->name, why);
    }
    ed_buf b = ED_BUF_INIT((size_t)1 << 20); /* Format */
    ed_go_time_format(&b, &recv->time, arg->s);
    char *text = ed_buf_take(&b);
    ed_buf_free(&b);
    *out = ed_tv_new(x->pool, ED_TV_STR, text);
    free(text);
    return 0;
}

#define MAX_ARGS 32

/* A command: a function and its arguments (piped, when not NULL, is the last), or an operand.
 * stage counts the commands of the pipeline from 1. */
static int parse_command(parser *ps, val *piped, int stage, val **out)
{
    const char *s = ps->p;
    char fn[64], argfn[64];
    val *first = NULL;
    bool literal;
    ps->x->want_method = true;
    ps->x->method_recv = NULL;
    int rc = parse_operand(ps, &first, fn, &literal);
    ps->x->want_method = false;
    if (rc)
        return rc;
    const char *first_e = ps->p;
    if (ps->p < ps->e && !isspace((unsigned char)*ps->p) && *ps->p != '|' && *ps->p != ')')
        return unexpected(ps, "operand");
    if (ps->run && ps->x->method_recv) {
        val *recv = ps->x->method_recv;
        ps->x->method_recv = NULL;
        return method_command(ps, s, first_e, recv, first, piped, out);
    }
    if (!fn[0]) {
        /* Go's parser: only a pipeline's first command may be a constant or dot */
        if (stage > 1 && (literal || (first_e - s == 1 && *s == '.'))) {
            char *msg = ed_xasprintf("non executable command in pipeline stage %d", stage);
            rc = perr(ps->x, ps->a->at, msg);
            free(msg);
            return rc;
        }
        if (!at_end_of_command(ps) || piped) {
            if (!ps->run) {
                while (!at_end_of_command(ps)) { /* still parse the rest */
                    val *ignored;
                    if ((rc = parse_operand(ps, &ignored, argfn, &literal)) != 0)
                        return rc;
                    if (argfn[0] && (rc = check_function(ps, argfn)) != 0)
                        return rc;
                }
                *out = first;
                return 0;
            }
            char *name = ed_xstrndup(s, (size_t)(first_e - s));
            char *msg = ed_xasprintf("can't give argument to non-function %s", name);
            at(ps->x, s, first_e);
            rc = xerr(ps->x, msg);
            free(msg);
            free(name);
            return rc;
        }
        if (ps->run && literal && first->kind == ED_TV_NIL) {
            at(ps->x, s, first_e);
            return xerr(ps->x, "nil is not a command");
        }
        *out = first;
        return 0;
    }
    if ((rc = check_function(ps, fn)) != 0)
        return rc; /* before its arguments: Go refuses it when parsing */
    call_site cs = {.fn_s = s, .fn_e = first_e, .cmd_s = s};
    val *args[MAX_ARGS + 1] = {0};
    size_t n = 0;
    while (!at_end_of_command(ps)) {
        if (n >= MAX_ARGS)
            return unsupported(ps, "too many arguments:", s, (size_t)(ps->e - s));
        skip_ws(ps);
        cs.arg_s[n] = ps->p;
        if ((rc = parse_operand(ps, &args[n], argfn, &cs.literal[n])) != 0)
            return rc;
        cs.arg_e[n] = ps->p;
        if (ps->p < ps->e && !isspace((unsigned char)*ps->p) && *ps->p != '|' && *ps->p != ')')
            return unexpected(ps, "operand");
        /* A function named as an argument is called without arguments. */
        if (argfn[0]) {
            call_site fcs = {
                .fn_s = cs.arg_s[n], .fn_e = ps->p, .cmd_s = cs.arg_s[n], .cmd_e = ps->p};
            if ((rc = call_function(ps, argfn, NULL, 0, &fcs, &args[n])) != 0)
                return rc;
        }
        cs.arg_at_s[n] = cs.arg_s[n];
        cs.arg_at_e[n] = cs.arg_e[n];
        if (*cs.arg_s[n] == '(' && ps->run && ps->x->at_s) {
            cs.arg_at_s[n] = ps->x->at_s;
            cs.arg_at_e[n] = ps->x->at_e;
        }
        n++;
    }
    cs.nwritten = n;
    cs.cmd_e = n ? cs.arg_e[n - 1] : first_e;
    if (piped)
        args[n++] = piped;
    return call_function(ps, fn, args, n, &cs, out);
}

static int parse_pipeline(parser *ps, val **out)
{
    val *v = NULL;
    for (int stage = 1;; stage++) {
        skip_ws(ps);
        if (ps->p >= ps->e || *ps->p == ')') {
            if (stage == 1)
                return perrf(ps->x, ps->a->at, "missing value for %s", ps->context);
            *out = v; /* Go's parser takes a last '|' with nothing after it */
            return 0;
        }
        if (*ps->p == '|')
            return unexpected(ps, ps->context);
        int rc = parse_command(ps, v, stage, &v);
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

/* Evaluate the pipeline [s, e) of action a (the pipeline of context: "command", "if", "range",
 * "with"); run false checks it only. */
static int eval_pipeline(exec *x, const action *a, const char *context, const char *s,
                         const char *e, val *dot, val **out, bool run)
{
    /* Go's lexer counts parentheses before its parser reads the words */
    int depth = 0;
    for (const char *q = s; q < e; q++) {
        if (*q == '"' || *q == '`') {
            char quote = *q;
            for (q++; q < e && *q != quote; q++)
                if (quote == '"' && *q == '\\')
                    q++;
        } else if (*q == '(') {
            depth++;
        } else if (*q == ')' && --depth < 0) {
            return perr(x, a->at, "unexpected right paren");
        }
    }
    if (depth > 0)
        return perr(x, a->at, "unclosed left paren");
    parser ps = {x, a, s, e, dot, run, 0, context};
    int rc = parse_pipeline(&ps, out);
    if (!rc && ps.p < ps.e)
        rc = *ps.p == ')' ? perr(x, a->at, "unexpected right paren") : unexpected(&ps, context);
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
        return perr(x, a->at, "invalid range variables");
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
        return perr(x, a->at, "invalid variable name");
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)n, a->start);
    val *v = NULL;
    int rc = eval_pipeline(x, a, "command", op + (declare ? 2 : 1), a->end, dot, &v, emit);
    if (rc)
        return rc;
    if (!v)
        v = ed_tv_new(x->pool, ED_TV_NIL, NULL);
    if (declare)
        return push_var(x, name, v) ? 0 : perr(x, a->at, "too many variables");
    for (size_t i = x->nvars; i-- > x->var_floor;)
        if (strcmp(x->vars[i].name, name) == 0) {
            if (emit)
                x->vars[i].v = v;
            return 0;
        }
    if (!emit)
        return 0; /* Go's parser does not look: its executor does, at the value's node */
    char *msg = ed_xasprintf("undefined variable: %s", name);
    rc = xerr(x, msg);
    free(msg);
    return rc;
}

/* A block the template ends in: Go's parser meets the end of its input. */
static int unexpected_eof(exec *x)
{
    return perr(x, x->src + strlen(x->src), "unexpected EOF");
}

static int else_after_else(exec *x, const action *second)
{
    return perr(x, second->at, "expected end; found {{else}}");
}

/* "if" or "with" when the {{else}} action goes on with one (Go chains it to an if or with only),
 * else NULL. */
static const char *else_chained(const action *a)
{
    const char *rest = a->start + 4;
    while (rest < a->end && isspace((unsigned char)*rest))
        rest++;
    for (int i = 0; i < 2; i++) {
        const char *w = i ? "with" : "if";
        size_t n = strlen(w);
        if ((size_t)(a->end - rest) >= n && strncmp(rest, w, n) == 0 &&
            (rest + n == a->end || isspace((unsigned char)rest[n])))
            return w;
    }
    return NULL;
}

/* {{ range }}: run the body once per element (or once without emitting to find its end). */
static int do_range(exec *x, const action *a, val *dot, bool emit)
{
    char k[64], v[64];
    const char *pipe = a->end;
    int rc = range_vars(x, a, a->start + 5, k, v, &pipe);
    val *coll = NULL;
    if (!rc)
        rc = eval_pipeline(x, a, "range", pipe, a->end, dot, &coll, emit);
    if (rc)
        return rc;
    /* Go ranges over nothing for a missing value (nil), over 0..n-1 for an integer n. */
    size_t n = 0;
    if (emit && coll && coll->kind == ED_TV_NUM && !k[0]) {
        n = coll->n > 0 ? (size_t)coll->n : 0;
    } else if (emit && coll && coll->kind != ED_TV_LIST && coll->kind != ED_TV_MAP &&
               coll->kind != ED_TV_NIL) {
        ed_buf b = ED_BUF_INIT(4096);
        ed_tv_print(&b, coll, "<nil>");
        char *msg = ed_xasprintf(coll->kind == ED_TV_NUM
                                     ? "can't use %.*s to iterate over more than one variable"
                                     : "range can't iterate over %.*s",
                                 (int)b.len, b.data ? b.data : "");
        ed_buf_free(&b);
        rc = xerr(x, msg);
        free(msg);
        return rc;
    } else if (emit && coll && coll->kind != ED_TV_NIL) {
        n = coll->len;
    }
    const char *body = x->p;
    block_end ended = END_EOF;
    action last;
    bool saved_trim = x->trim_next;
    x->ranges++;
    for (size_t i = 0; i < n && !rc; i++) {
        x->p = body;
        x->trim_next = saved_trim;
        size_t mark = x->nvars;
        val *key = coll->kind == ED_TV_MAP ? coll->keys[i] : NULL;
        val *item = coll->kind == ED_TV_NUM ? ed_tv_num(x->pool, (int64_t)i) : coll->items[i];
        push_var(x, k, key ? key : ed_tv_num(x->pool, (int64_t)i));
        push_var(x, v, item);
        rc = run_block(x, item, true, &ended, &last);
        x->nvars = mark;
        char ctl = x->loop_ctl;
        x->loop_ctl = 0;
        if (ctl == 'b')
            break;
    }
    x->ranges--;
    if (rc)
        return rc;
    /* Once more without output when empty, to find the block's end (and run its else). */
    size_t mark = x->nvars;
    if (n == 0) {
        x->p = body;
        x->trim_next = saved_trim;
        /* (the variables are known to the body and the else, as Go's parser knows them) */
        push_var(x, k, ed_tv_new(x->pool, ED_TV_NIL, NULL));
        push_var(x, v, ed_tv_new(x->pool, ED_TV_NIL, NULL));
        x->ranges++;
        rc = run_block(x, dot, false, &ended, &last);
        x->ranges--;
        if (!rc && ended == END_ELSE && else_chained(&last))
            rc = perrf(x, last.at, "unexpected <%s> in input", else_chained(&last));
        if (!rc && ended == END_ELSE)
            rc = run_block(x, dot, emit, &ended, &last);
    } else if (ended == END_ELSE && else_chained(&last)) {
        rc = perrf(x, last.at, "unexpected <%s> in input", else_chained(&last));
    } else if (ended == END_ELSE) {
        push_var(x, k, ed_tv_new(x->pool, ED_TV_NIL, NULL));
        push_var(x, v, ed_tv_new(x->pool, ED_TV_NIL, NULL));
        rc = run_block(x, dot, false, &ended, &last);
    }
    x->nvars = mark;
    if (!rc && ended == END_ELSE)
        rc = else_after_else(x, &last);
    if (!rc && ended != END_END)
        rc = unexpected_eof(x);
    return rc;
}

/* {{ if }} and {{ with }}, with else / else if chains. */
static int do_if(exec *x, const action *a, val *dot, bool emit, bool with)
{
    const char *cond = a->start + (with ? 4 : 2);
    val *v = NULL;
    int rc = eval_pipeline(x, a, with ? "with" : "if", cond, a->end, dot, &v, emit);
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
        /* {{else if P}} and {{else with P}} (Go 1.23): a nested if or with */
        bool else_with = rest < last.end && strncmp(rest, "with", 4) == 0 &&
                         (rest + 4 == last.end || isspace((unsigned char)rest[4]));
        bool else_if = rest < last.end && strncmp(rest, "if", 2) == 0 &&
                       (rest + 2 == last.end || isspace((unsigned char)rest[2]));
        if ((else_with && !with) || (else_if && with)) {
            /* Go's parser chains each only to its own kind */
            rc = perrf(x, last.at, "unexpected <%s> in input", else_with ? "with" : "if");
            break;
        }
        if (else_with || else_if) {
            val *c = NULL;
            bool t = false;
            rc = eval_pipeline(x, &last, else_with ? "with" : "if", rest + (else_with ? 4 : 2),
                               last.end, dot, &c, emit && !done);
            t = emit && !done && !rc && truthy(c);
            if (!rc)
                rc = run_block(x, else_with && t ? c : dot, t, &ended, &last);
            done = done || t;
        } else {
            rc = run_block(x, dot, emit && !done, &ended, &last);
            if (!rc && ended == END_ELSE)
                rc = else_after_else(x, &last);
        }
    }
    if (!rc && ended != END_END)
        rc = unexpected_eof(x);
    return rc;
}

/* The quoted name after {{define}}, {{block}} or {{template}} (a Go string or raw string without
 * escapes), into name; *rest is what follows it. Go's parser errors otherwise. */
static int clause_name(exec *x, const action *a, const char *word, char name[128],
                       const char **rest)
{
    const char *p = a->start + strlen(word);
    while (p < a->end && isspace((unsigned char)*p))
        p++;
    char q = '\0';
    if (p < a->end)
        q = *p;
    const char *close = q == '"' || q == '`' ? memchr(p + 1, q, (size_t)(a->end - p - 1)) : NULL;
    if (!close) {
        size_t n = p < a->end ? strcspn_n(p, a->end, " \t\r\n") : 2;
        char *tok = ed_xstrndup(p < a->end ? p : "}}", n);
        ed_buf b = ED_BUF_INIT(4096);
        ed_buf_append_go_quoted(&b, tok);
        int rc =
            perrf(x, a->at, "unexpected %.*s in %s clause", (int)b.len, b.data ? b.data : "", word);
        ed_buf_free(&b);
        free(tok);
        return rc;
    }
    if (memchr(p + 1, '\\', (size_t)(close - p - 1)) || close - p - 1 >= 128)
        return perrf(x, a->at, "unsupported construct: a %s name with escapes or over 127 bytes",
                     word);
    snprintf(name, 128, "%.*s", (int)(close - p - 1), p + 1);
    *rest = close + 1;
    return 0;
}

static int find_def(const exec *x, const char *name)
{
    for (size_t i = 0; i < x->ndefs; i++)
        if (strcmp(x->defs[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Run the named template at its body with dot (Go: its own variables, $ its dot). */
static int call_template(exec *x, int def, val *dot)
{
    const char *saved_p = x->p, *saved_name = x->exec_name;
    bool saved_trim = x->trim_next;
    size_t saved_floor = x->var_floor;
    int saved_ranges = x->ranges;
    val *saved_root = x->root;
    x->p = x->defs[def].body;
    x->trim_next = x->defs[def].trim;
    x->var_floor = x->nvars;
    x->ranges = 0;
    x->root = dot;
    x->exec_name = x->defs[def].name;
    block_end ended;
    action last;
    int rc = run_block(x, dot, true, &ended, &last);
    x->p = saved_p;
    x->trim_next = saved_trim;
    x->var_floor = saved_floor;
    x->ranges = saved_ranges;
    x->root = saved_root;
    x->exec_name = saved_name;
    return rc;
}

/* The end of the comment action at s (a slash and a star after "{{", trim markers allowed), or
 * NULL. */
static const char *comment_end(const char *s, const char *e)
{
    if (e - s < 4 || strncmp(s, "{{", 2) != 0)
        return NULL;
    s += 2;
    if (e - s >= 2 && s[0] == '-' && isspace((unsigned char)s[1]))
        s += 2;
    if (e - s < 2 || strncmp(s, "/*", 2) != 0)
        return NULL;
    const char *close = memmem(s + 2, (size_t)(e - s - 2), "*/", 2);
    if (!close)
        return NULL;
    s = close + 2;
    if (e - s >= 2 && isspace((unsigned char)s[0]) && s[1] == '-')
        s += 2;
    return e - s >= 2 && strncmp(s, "}}", 2) == 0 ? s + 2 : NULL;
}

/* Is the body from s to its {{end}} (exclusive) only white space and comments (Go's
 * IsEmptyTree)? Go keeps the first of two definitions when the second is empty, and replaces
 * an empty one. */
static bool body_empty(const char *s, const char *e)
{
    while (s < e) {
        const char *c = comment_end(s, e);
        if (c)
            s = c;
        else if (isspace((unsigned char)*s))
            s++;
        else
            return false;
    }
    return true;
}

/* {{define "name"}}...{{end}} (top level only) and {{block "name" pipeline}}...{{end}}: the
 * parse pass records the body; a block also runs it, as {{template}} would. */
static int do_define(exec *x, const action *a, val *dot, bool emit)
{
    bool block = word_is(a, "block");
    const char *word = block ? "block" : "define";
    if (!block && (x->depth > 1 || x->exec_name))
        return perr(x, a->at, "unexpected <define> in command");
    char name[128] = "";
    const char *rest = NULL;
    int rc = clause_name(x, a, word, name, &rest);
    if (rc || !rest)
        return rc ? rc : ED_ERROR; /* (defensive: clause_name sets rest when it succeeds) */
    while (rest < a->end && isspace((unsigned char)*rest))
        rest++;
    if (!block && rest < a->end) {
        char *tok = ed_xstrndup(rest, strcspn_n(rest, a->end, " \t\r\n"));
        ed_buf b = ED_BUF_INIT(4096);
        ed_buf_append_go_quoted(&b, tok);
        rc = perrf(x, a->at, "unexpected %.*s in define clause", (int)b.len, b.data ? b.data : "");
        ed_buf_free(&b);
        free(tok);
        return rc;
    }
    val *arg = NULL;
    if (block && rest == a->end)
        return perr(x, a->at, "missing value for block clause");
    if (block)
        rc = eval_pipeline(x, a, "block", rest, a->end, dot, &arg, emit);
    if (rc)
        return rc;
    /* the body: parsed only, with none of the surrounding variables */
    const char *body = x->p;
    bool trim = x->trim_next;
    size_t saved_floor = x->var_floor;
    int saved_ranges = x->ranges;
    x->var_floor = x->nvars;
    x->ranges = 0;
    block_end ended;
    action last;
    rc = run_block(x, dot, false, &ended, &last);
    x->var_floor = saved_floor;
    x->ranges = saved_ranges;
    if (!rc && ended == END_ELSE)
        rc = perrf(x, last.at, "unexpected {{else}} in %s clause", word);
    if (!rc && ended != END_END)
        rc = unexpected_eof(x);
    if (rc)
        return rc;
    if (!x->parsed) {
        bool empty = body_empty(body, last.at);
        int i = find_def(x, name);
        if (i >= 0 && !empty && !body_empty(x->defs[i].body, x->defs[i].body_end))
            return perrf(x, a->at, "template: multiple definition of template \"%s\"", name);
        if (i < 0 && x->ndefs >= sizeof(x->defs) / sizeof(x->defs[0]))
            return perr(x, a->at, "unsupported construct: more than 32 defined templates");
        if (i < 0)
            i = (int)x->ndefs++;
        if (!empty || !x->defs[i].body) {
            snprintf(x->defs[i].name, sizeof(x->defs[i].name), "%s", name);
            x->defs[i].body = body;
            x->defs[i].body_end = last.at;
            x->defs[i].trim = trim;
        }
    }
    if (!block || !emit)
        return 0;
    /* run the block's template: the last definition of its name, with the pipeline's value */
    const char *after = x->p;
    bool after_trim = x->trim_next;
    rc = call_template(x, find_def(x, name), arg ? arg : ed_tv_new(x->pool, ED_TV_NIL, NULL));
    x->p = after;
    x->trim_next = after_trim;
    return rc;
}

/* {{template "name"}} and {{template "name" pipeline}}. */
static int do_template(exec *x, const action *a, val *dot, bool emit)
{
    char name[128] = "";
    const char *rest = NULL;
    int rc = clause_name(x, a, "template", name, &rest);
    if (rc || !rest)
        return rc ? rc : ED_ERROR; /* (defensive: clause_name sets rest when it succeeds) */
    const char *name_at = rest - strlen(name) - 2; /* the quoted name: Go's node position */
    while (rest < a->end && isspace((unsigned char)*rest))
        rest++;
    if (rest < a->end && *rest == '|')
        return perrf(x, a->at, "unexpected \"|\" in template clause");
    val *arg = NULL;
    int i = find_def(x, name);
    if (rest < a->end && (i >= 0 || !emit)) /* Go looks the template up first */
        rc = eval_pipeline(x, a, "template", rest, a->end, dot, &arg, emit);
    if (rc || !emit)
        return rc;
    if (i < 0) {
        /* at the template node: {{template "name" pipeline}} */
        x->at_s = x->at_e = name_at;
        x->at_pos = name_at;
        const char *line_start = name_at;
        while (line_start > x->src && line_start[-1] != '\n')
            line_start--;
        ed_buf node = ED_BUF_INIT(4096);
        node_text(&node, rest, a->end);
        rc = ed_err_set(x->err, ED_EINVALID,
                        "template: %s:%d:%d: executing \"%s\" at <{{template \"%s\"%s%.*s}}>: "
                        "template \"%s\" not defined",
                        x->name, line_of(x, name_at), (int)(name_at - line_start),
                        x->exec_name ? x->exec_name : x->name, name, node.len ? " " : "",
                        (int)node.len, node.data ? node.data : "", name);
        ed_buf_free(&node);
        return rc;
    }
    if (x->depth >= MAX_DEPTH)
        return perr(x, a->at, "templates nested too deeply");
    const char *after = x->p;
    bool after_trim = x->trim_next;
    rc = call_template(x, i, arg ? arg : ed_tv_new(x->pool, ED_TV_NIL, NULL));
    x->p = after;
    x->trim_next = after_trim;
    return rc;
}

/* Run text and actions until {{ end }}, {{ else }} or the end. emit false: parse only. */
static int run_block(exec *x, val *dot, bool emit, block_end *ended, action *last)
{
    if (++x->depth > MAX_DEPTH) {
        x->depth--;
        return perr(x, x->p, "blocks nested too deeply");
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
        if (x->depth == 1 && !body_empty(x->p, text_end))
            x->main_nonempty = true;
        if (!more) {
            x->p = text_end;
            break;
        }
        x->p = a.after;
        x->trim_next = a.trim_right;
        if (x->depth == 1 && !a.comment && !word_is(&a, "define"))
            x->main_nonempty = true;
        if (a.comment) {
            if (a.end - a.start < 4 || strncmp(a.end - 2, "*/", 2) != 0)
                rc = perr(x, a.at, "unclosed comment");
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
        } else if ((word_is(&a, "break") || word_is(&a, "continue")) && !x->ranges) {
            rc = perrf(x, a.at, "{{%s}} outside {{range}}",
                       word_is(&a, "break") ? "break" : "continue");
        } else if (word_is(&a, "break") || word_is(&a, "continue")) {
            const char *word = word_is(&a, "break") ? "break" : "continue";
            const char *extra = a.start + strlen(word);
            while (extra < a.end && isspace((unsigned char)*extra))
                extra++;
            if (extra < a.end) { /* Go's parser wants the action's end next: the token, quoted */
                char *tok = ed_xstrndup(extra, strcspn_n(extra, a.end, " \t\r\n"));
                ed_buf q = ED_BUF_INIT(4096);
                ed_buf_append_go_quoted(&q, tok);
                rc = perrf(x, a.at, "unexpected %.*s in {{%s}}", (int)q.len, q.data ? q.data : "",
                           word);
                ed_buf_free(&q);
                free(tok);
            }
            if (emit && !rc)
                x->loop_ctl = word_is(&a, "break") ? 'b' : 'c';
        } else if (word_is(&a, "define") || word_is(&a, "block")) {
            rc = do_define(x, &a, dot, emit);
        } else if (word_is(&a, "template")) {
            rc = do_template(x, &a, dot, emit);
        } else {
            val *v = NULL;
            rc = a.start[0] == '$' ? do_variable(x, &a, dot, emit) : 1;
            if (rc == 1 &&
                (rc = eval_pipeline(x, &a, "command", a.start, a.end, dot, &v, emit)) == 0 && emit)
                print(x, v);
        }
        if (rc)
            break;
        if (x->loop_ctl)
            emit = false; /* the rest of the body is skipped, as Go's break and continue do */
    }
    x->nvars = scope;
    x->depth--;
    return rc;
}

/* Run the whole template: emit false parses it only (every branch, once). */
static int run(exec *x, bool emit)
{
    block_end ended = END_EOF;
    action last;
    x->p = x->src;
    x->nvars = 0;
    x->var_floor = 0;
    x->exec_name = NULL;
    x->trim_next = false;
    int def = find_def(x, x->name);
    if (emit && def >= 0 && !x->main_nonempty)
        return call_template(x, def, x->root); /* {{define}} replaced the empty template */
    int rc = run_block(x, x->root, emit, &ended, &last);
    if (!rc && ended != END_EOF)
        rc = perr(x, last.at, ended == END_END ? "unexpected {{end}}" : "unexpected {{else}}");
    /* Go adds the main template last, and names the line where the template ends */
    def = find_def(x, x->name);
    if (!rc && !emit && def >= 0 && x->main_nonempty &&
        !body_empty(x->defs[def].body, x->defs[def].body_end))
        rc = perrf(x, x->src + strlen(x->src), "template: multiple definition of template \"%s\"",
                   x->name);
    return rc;
}

int ed_template_check(const char *tmpl, const char *name, ed_err *err)
{
    ed_tv_pool p = {0};
    exec x = {.name = name, .src = tmpl, .pool = &p, .err = err, .out = ED_BUF_INIT(MAX_OUTPUT)};
    x.root = ed_tv_new(&p, ED_TV_NIL, NULL);
    int rc = run(&x, false);
    ed_buf_free(&x.out);
    ed_tv_pool_free(&p);
    return rc;
}

int ed_template_render(const char *tmpl, const char *name, const ed_template_data *data, char **out,
                       ed_err *err)
{
    *out = NULL;
    ed_tv_pool p = {0};
    exec x = {.name = name, .src = tmpl, .pool = &p, .err = err, .out = ED_BUF_INIT(MAX_OUTPUT)};
    x.root = build_data(&p, data);
    /* Go parses the whole template before it runs any of it */
    int rc = run(&x, false);
    x.parsed = true;
    if (!rc)
        rc = run(&x, true);
    if (!rc && x.out.len >= MAX_OUTPUT - 1)
        rc = ed_err_set(err, ED_ETOOBIG, "template: %s: the message is larger than 1 MiB", name);
    if (rc)
        ed_buf_free(&x.out);
    else
        *out = ed_buf_take(&x.out);
    ed_tv_pool_free(&p);
    return rc;
}
