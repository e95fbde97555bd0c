/*
 * What every verb of the command line shares, so that they all behave as `flux` does: the
 * five Flux kinds and the words that name them ("source git", "kustomization" or "ks",
 * "image repository|policy|update"), flag parsing in cobra's manner (--x V, --x=V, -x V,
 * booleans as --x or --x=false, comma-separated repeatable lists) with flux's global flags
 * on every verb (-n/--namespace flux-system, --kubeconfig, --context, kubectl's --server,
 * --token, --as and --as-group, --timeout 5m, --verbose) and flux's message for an unknown flag,
 * flux's progress lines (► ✚ ◎ ✔ ✗), aligned tables, and the wait on a controller's Ready condition
 * that create, resume and reconcile end with.
 */
#include "cli_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- kinds ---- */

const ed_cli_kind ed_cli_gitrepository = {"source.toolkit.fluxcd.io/v1",
                                          "GitRepository",
                                          "source git",
                                          "gitrepositories.source.toolkit.fluxcd.io",
                                          "source-controller",
                                          true};
const ed_cli_kind ed_cli_ocirepository = {"source.toolkit.fluxcd.io/v1",
                                          "OCIRepository",
                                          "source oci",
                                          "ocirepositories.source.toolkit.fluxcd.io",
                                          "source-controller",
                                          true};
const ed_cli_kind ed_cli_kustomization = {"kustomize.toolkit.fluxcd.io/v1",
                                          "Kustomization",
                                          "kustomization",
                                          "kustomizations.kustomize.toolkit.fluxcd.io",
                                          "kustomize-controller",
                                          true};
const ed_cli_kind ed_cli_imagerepository = {
    "image.toolkit.fluxcd.io/v1", "ImageRepository",
    "image repository",           "imagerepositories.image.toolkit.fluxcd.io",
    "image-reflector-controller", true};
const ed_cli_kind ed_cli_imagepolicy = {"image.toolkit.fluxcd.io/v1",
                                        "ImagePolicy",
                                        "image policy",
                                        "imagepolicies.image.toolkit.fluxcd.io",
                                        "image-reflector-controller",
                                        true};
const ed_cli_kind ed_cli_imageupdate = {
    "image.toolkit.fluxcd.io/v1",  "ImageUpdateAutomation",
    "image update automation",     "imageupdateautomations.image.toolkit.fluxcd.io",
    "image-automation-controller", true};

const ed_cli_kind *const ed_cli_kinds[] = {&ed_cli_gitrepository,
                                           &ed_cli_ocirepository,
                                           &ed_cli_kustomization,
                                           &ed_cli_imagerepository,
                                           &ed_cli_imagepolicy,
                                           &ed_cli_imageupdate,
                                           NULL};

static bool word_is(const char *w, const char *a, const char *b)
{
    return strcmp(w, a) == 0 || (b && strcmp(w, b) == 0);
}

const ed_cli_kind *ed_cli_kind_parse(char **pos, int npos, int *used)
{
    *used = 0;
    if (npos < 1)
        return NULL;
    if (word_is(pos[0], "kustomization", "kustomizations") || strcmp(pos[0], "ks") == 0) {
        *used = 1;
        return &ed_cli_kustomization;
    }
    if (npos < 2)
        return NULL;
    if (word_is(pos[0], "source", "sources") && strcmp(pos[1], "git") == 0) {
        *used = 2;
        return &ed_cli_gitrepository;
    }
    if (word_is(pos[0], "source", "sources") && strcmp(pos[1], "oci") == 0) {
        *used = 2;
        return &ed_cli_ocirepository;
    }
    if (!word_is(pos[0], "image", "images"))
        return NULL;
    *used = 2;
    if (word_is(pos[1], "repository", "repositories"))
        return &ed_cli_imagerepository;
    if (word_is(pos[1], "policy", "policies"))
        return &ed_cli_imagepolicy;
    if (word_is(pos[1], "update", "updates"))
        return &ed_cli_imageupdate;
    *used = 0;
    return NULL;
}

const ed_cli_kind *ed_cli_kind_by_name(const char *kind)
{
    for (int i = 0; ed_cli_kinds[i]; i++)
        if (strcasecmp(ed_cli_kinds[i]->kind, kind) == 0)
            return ed_cli_kinds[i];
    return NULL;
}

/* ---- flags ---- */

/* Copies of list values live until the process ends (ed_cli_parse_cleanup). */
static ed_arena *parse_arena;

static const ed_cli_flag *find_flag(const ed_cli_flag *const *sets, const char *name, size_t len,
                                    char shorthand)
{
    for (int s = 0; sets[s]; s++)
        for (const ed_cli_flag *f = sets[s]; f->name; f++) {
            if (shorthand ? f->shorthand == shorthand
                          : strlen(f->name) == len && strncmp(f->name, name, len) == 0)
                return f;
        }
    return NULL;
}

char *ed_cli_quoted(const char *s)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    if (ed_buf_append_go_quoted(&b, s) != 0) {
        ed_buf_reset(&b);
        ed_buf_append_str(&b, "\"...\""); /* an argument of a megabyte */
    }
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}

void ed_cli_invalid_argument(const char *value, const char *flag, const char *why_fmt, ...)
{
    va_list ap;
    va_start(ap, why_fmt);
    int n = vsnprintf(NULL, 0, why_fmt, ap);
    va_end(ap);
    char *why = ed_xmalloc(n > 0 ? (size_t)n + 1 : 1);
    *why = '\0';
    if (n > 0) {
        va_start(ap, why_fmt);
        vsnprintf(why, (size_t)n + 1, why_fmt, ap);
        va_end(ap);
    }
    char *q = ed_cli_quoted(value);
    ed_cli_failure("invalid argument %s for \"%s\" flag: %s", q, flag, why);
    free(q);
    free(why);
}

/* The flag as pflag names it in an error: "-A, --all-namespaces", or "--timeout". */
static char *flag_name(const ed_cli_flag *f)
{
    return f->shorthand ? ed_xasprintf("-%c, --%s", f->shorthand, f->name)
                        : ed_xasprintf("--%s", f->name);
}

static int set_bool(const ed_cli_flag *f, const char *value)
{
    /* Go's strconv.ParseBool, as pflag reads a boolean flag */
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    bool *dst = f->dst;
    if (!value) {
        *dst = true;
        return 0;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
            *dst = strcmp(value, yes[i]) == 0;
            return 0;
        }
    }
    char *q = ed_cli_quoted(value), *name = flag_name(f);
    ed_cli_failure("invalid argument %s for \"%s\" flag: strconv.ParseBool: parsing %s: "
                   "invalid syntax",
                   q, name, q);
    free(q);
    free(name);
    return 2;
}

/* The first record of a CSV text as Go's encoding/csv Reader.Read gives it (a comma between
 * fields, a field in double quotes holding commas, '""' and line ends; empty lines before it
 * skipped), each field appended to l (copies in the parse arena). Returns 0, or 2 with Go's
 * ParseError text in why (cap bytes). */
static int csv_record(const char *text, ed_cli_list *l, char *why, size_t cap)
{
    static const char bare[] = "bare \" in non-quoted-field";
    static const char quote[] = "extraneous or missing \" in quoted-field";
    const char *p = text;
    while (*p == '\n' || (p[0] == '\r' && p[1] == '\n'))
        p += *p == '\n' ? 1 : 2;
    int line = 1, start_line = 1;
    size_t col = 1;
    ed_buf field = ED_BUF_INIT((size_t)1 << 20);
    int rc = 0;
    const char *err = NULL;
    size_t err_col = 0;
    for (bool more = true; more && !err;) {
        ed_buf_reset(&field);
        if (*p != '"') {
            size_t n = strcspn(p, ",\n");
            size_t end = n;
            if (p[n] != ',' && n > 0 && p[n - 1] == '\r' && (p[n] == '\n' || !p[n]))
                end = n - 1; /* a line's \r\n, or a last \r, as Go's readLine drops it */
            const char *q = memchr(p, '"', end);
            if (q) {
                err = bare;
                err_col = col + (size_t)(q - p);
                break;
            }
            ed_buf_append(&field, p, end);
            more = p[n] == ',';
            col += n + 1;
            p += n + (more ? 1 : 0);
        } else {
            p++;
            col++;
            for (;;) {
                const char *q = strchr(p, '"');
                const char *nl = strchr(p, '\n');
                if (q && (!nl || q < nl)) {
                    ed_buf_append(&field, p, (size_t)(q - p));
                    col += (size_t)(q - p) + 1;
                    p = q + 1;
                    if (*p == '"') {
                        ed_buf_append(&field, "\"", 1);
                        p++;
                        col++;
                    } else if (*p == ',') {
                        p++;
                        col++;
                        break;
                    } else if (!*p || *p == '\n' || (p[0] == '\r' && (!p[1] || p[1] == '\n'))) {
                        more = false;
                        break;
                    } else {
                        err = quote;
                        err_col = col - 1;
                        break;
                    }
                } else if (nl) {
                    /* the field goes on on the next line, its line end kept (as \n) */
                    size_t n = (size_t)(nl - p);
                    ed_buf_append(&field, p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
                    ed_buf_append(&field, "\n", 1);
                    p = nl + 1;
                    line++;
                    col = 1;
                } else {
                    ed_buf_append(&field, p, strlen(p));
                    col += strlen(p);
                    err = quote;
                    err_col = col;
                    break;
                }
            }
        }
        if (!err) {
            if (l->n >= (int)(sizeof(l->items) / sizeof(l->items[0]))) {
                snprintf(why, cap, "too many values");
                rc = 2;
                break;
            }
            l->items[l->n++] = ed_arena_strdup(parse_arena, field.data ? field.data : "");
        }
    }
    if (err && line != start_line)
        snprintf(why, cap, "record on line %d; parse error on line %d, column %zu: %s", start_line,
                 line, err_col, err);
    else if (err)
        snprintf(why, cap, "parse error on line %d, column %zu: %s", line, err_col, err);
    ed_buf_free(&field);
    return err ? 2 : rc;
}

/* pflag's StringToString: see ED_CLI_FLAG_MAP. */
static int set_map(const ed_cli_flag *f, const char *value)
{
    ed_cli_list *l = f->dst, pairs = {0};
    l->given = true;
    if (!parse_arena)
        parse_arena = ed_arena_new();
    char why[512] = "";
    int rc = 0;
    const char *eq = strchr(value, '=');
    if (!eq) {
        snprintf(why, sizeof(why), "%s must be formatted as key=value", value);
        rc = 2;
    } else if (!strchr(eq + 1, '=')) {
        size_t n = strlen(value);
        size_t b = strspn(value, "\""), e = n;
        while (e > b && value[e - 1] == '"')
            e--;
        char *pair = ed_xstrndup(value + b, e - b);
        pairs.items[pairs.n++] = ed_arena_strdup(parse_arena, pair);
        free(pair);
    } else {
        rc = csv_record(value, &pairs, why, sizeof(why));
    }
    for (int i = 0; !rc && i < pairs.n; i++)
        if (!strchr(pairs.items[i], '=')) {
            snprintf(why, sizeof(why), "%s must be formatted as key=value", pairs.items[i]);
            rc = 2;
        }
    if (rc) {
        char *name = flag_name(f);
        ed_cli_invalid_argument(value, name, "%s", why);
        free(name);
        return 2;
    }
    for (int i = 0; i < pairs.n; i++) {
        const char *pair = pairs.items[i];
        size_t klen = (size_t)(strchr(pair, '=') - pair);
        int at = 0;
        while (at < l->n && !(strncmp(l->items[at], pair, klen) == 0 && l->items[at][klen] == '='))
            at++;
        if (at == l->n && l->n >= (int)(sizeof(l->items) / sizeof(l->items[0]))) {
            ed_cli_failure("too many values for --%s", f->name);
            return 2;
        }
        l->items[at] = pair; /* a key given again: its last value, as a Go map keeps it */
        if (at == l->n)
            l->n++;
    }
    return 0;
}

static int set_value(const ed_cli_flag *f, const char *value)
{
    switch (f->type) {
    case ED_CLI_FLAG_BOOL:
        return set_bool(f, value);
    case ED_CLI_FLAG_STR:
        *(const char **)f->dst = value;
        return 0;
    case ED_CLI_FLAG_DURATION: {
        ed_err err = ED_ERR_INIT;
        bool parsed = ed_duration_parse(value, f->dst, &err) == 0;
        if (parsed && *(int64_t *)f->dst >= 0)
            return 0;
        /* in flux's words (pflag's and Go's time.ParseDuration's); Go reads a negative one,
         * which eddy refuses in its own */
        char *why =
            parsed ? ed_xstrdup("a duration of 0 or more is expected") : ed_duration_error(value);
        char *name = flag_name(f);
        ed_cli_invalid_argument(value, name, "%s", why);
        free(why);
        free(name);
        return 2;
    }
    case ED_CLI_FLAG_MAP:
        return set_map(f, value);
    case ED_CLI_FLAG_LIST:
    case ED_CLI_FLAG_SLICE: {
        ed_cli_list *l = f->dst;
        l->given = true;
        if (!parse_arena)
            parse_arena = ed_arena_new();
        char *item = ed_arena_strdup(parse_arena, value);
        bool keep_empty = f->type == ED_CLI_FLAG_SLICE && *value;
        while (item) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            if (l->n >= (int)(sizeof(l->items) / sizeof(l->items[0]))) {
                ed_cli_failure("too many values for --%s", f->name);
                return 2;
            }
            if (*item || keep_empty)
                l->items[l->n++] = item;
            item = comma ? comma + 1 : NULL;
        }
        return 0;
    }
    }
    return 2;
}

/* Shorthand flags at argv[*i], as pflag reads them: -n V, -nV, -n=V, and booleans grouped
 * (-Aw is -A -w); moves *i past a value taken from the next argument. */
static int parse_shorthands(int argc, char **argv, int *i, const ed_cli_flag *const *sets)
{
    const char *arg = argv[*i];
    for (const char *p = arg + 1; *p;) {
        const ed_cli_flag *f = find_flag(sets, NULL, 0, *p);
        if (!f) {
            ed_cli_failure("unknown shorthand flag: '%c' in %s", *p, arg);
            return 2;
        }
        if (p[1] == '=' && p[2])
            return set_value(f, p + 2);
        if (f->type == ED_CLI_FLAG_BOOL) {
            int rc = set_bool(f, NULL);
            if (rc)
                return rc;
            p++;
            continue;
        }
        if (p[1])
            return set_value(f, p + 1);
        if (*i + 1 >= argc) {
            ed_cli_failure("flag needs an argument: '%c' in %s", *p, arg);
            return 2;
        }
        return set_value(f, argv[++*i]);
    }
    return 0;
}

/* One flag at argv[*i]; moves *i past its value. */
static int parse_one(int argc, char **argv, int *i, const ed_cli_flag *const *sets)
{
    const char *arg = argv[*i];
    const ed_cli_flag *f;
    const char *value = NULL;
    if (arg[1] != '-')
        return parse_shorthands(argc, argv, i, sets);
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    f = find_flag(sets, name, len, 0);
    if (!f) {
        ed_cli_failure("unknown flag: --%.*s", (int)len, name);
        return 2;
    }
    value = eq ? eq + 1 : NULL;
    if (!value && f->type != ED_CLI_FLAG_BOOL) {
        if (*i + 1 >= argc) {
            ed_cli_failure("flag needs an argument: --%s", f->name);
            return 2;
        }
        value = argv[++*i];
    }
    return set_value(f, value);
}

/* A DNS-1123 label, as Kubernetes wants a namespace's name. */
static bool is_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* flux's default namespace: $FLUX_SYSTEM_NAMESPACE when it is a valid name, else flux-system. */
static const char *default_namespace(void)
{
    const char *env = getenv("FLUX_SYSTEM_NAMESPACE");
    if (!env || !*env)
        return "flux-system";
    if (!is_dns_label(env)) {
        ed_cli_warning(" ignoring invalid FLUX_SYSTEM_NAMESPACE: \"%s\"", env);
        return "flux-system";
    }
    return env;
}

/* A --kube-api-qps (float) or --kube-api-burst (integer) value, at least 0: 0 with *out set
 * (when out is not NULL); NUMBER_SYNTAX or NUMBER_RANGE where strconv would not read it (an
 * integer in any base Go's ParseInt(s, 0, 64) reads, as pflag's IntVar); NUMBER_EDDY for a
 * negative or larger value (flux passes those to client-go). */
enum {
    NUMBER_SYNTAX = 1,
    NUMBER_RANGE,
    NUMBER_EDDY
};
static int parse_number(const char *s, bool integer, double *out)
{
    char *end = NULL;
    errno = 0;
    /* a float32, as pflag's Float32Var reads it: out of range only when too large */
    double v = integer ? (double)strtoll(s, &end, 0) : (double)strtof(s, &end);
    if (!*s || *end || strchr(" \t\n\r\v\f", *s) || (errno && errno != ERANGE))
        return NUMBER_SYNTAX;
    if (errno == ERANGE && (integer || isinf(v)))
        return NUMBER_RANGE;
    if (!(v >= 0 && v <= 1e9)) /* NaN too */
        return NUMBER_EDDY;
    if (out)
        *out = v;
    return 0;
}

/* pflag's error for a --kube-api-qps or --kube-api-burst value parse_number refuses (what):
 * strconv's words, or eddy's for its range. */
static int bad_number(const char *flag, const char *value, bool integer, int what)
{
    char *q = ed_cli_quoted(value);
    if (what == NUMBER_EDDY)
        ed_cli_invalid_argument(value, flag, "a number from 0 to 1e9 is expected");
    else
        ed_cli_invalid_argument(value, flag, "strconv.%s: parsing %s: %s",
                                integer ? "ParseInt" : "ParseFloat", q,
                                what == NUMBER_RANGE ? "value out of range" : "invalid syntax");
    free(q);
    return 2;
}

int ed_cli_parse(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g, char **pos,
                 int *npos)
{
    if (g->ns && strcmp(g->ns, "flux-system") == 0)
        g->ns = default_namespace();
    const ed_cli_flag global[] = {
        {"namespace", 'n', ED_CLI_FLAG_STR, &g->ns},
        {"kubeconfig", 0, ED_CLI_FLAG_STR, &g->kubeconfig},
        {"context", 0, ED_CLI_FLAG_STR, &g->context},
        {"timeout", 0, ED_CLI_FLAG_DURATION, &g->timeout_ms},
        {"verbose", 0, ED_CLI_FLAG_BOOL, &g->verbose},
        {"as", 0, ED_CLI_FLAG_STR, &g->as},
        {"as-group", 0, ED_CLI_FLAG_LIST, &g->as_groups},
        {"server", 0, ED_CLI_FLAG_STR, &g->server},
        {"token", 0, ED_CLI_FLAG_STR, &g->token},
        {"cluster", 0, ED_CLI_FLAG_STR, &g->cluster},
        {"user", 0, ED_CLI_FLAG_STR, &g->user},
        {"certificate-authority", 0, ED_CLI_FLAG_STR, &g->ca_file},
        {"insecure-skip-tls-verify", 0, ED_CLI_FLAG_BOOL, &g->insecure},
        {"tls-server-name", 0, ED_CLI_FLAG_STR, &g->tls_server_name},
        {"client-certificate", 0, ED_CLI_FLAG_STR, &g->client_cert},
        {"client-key", 0, ED_CLI_FLAG_STR, &g->client_key},
        {"as-uid", 0, ED_CLI_FLAG_STR, &g->as_uid},
        {"cache-dir", 0, ED_CLI_FLAG_STR, &g->cache_dir},
        {"disable-compression", 0, ED_CLI_FLAG_BOOL, &g->disable_compression},
        {"kube-api-qps", 0, ED_CLI_FLAG_STR, &g->qps},
        {"kube-api-burst", 0, ED_CLI_FLAG_STR, &g->burst},
        {NULL, 0, 0, NULL},
    };
    static const ed_cli_flag none[] = {{NULL, 0, 0, NULL}};
    const ed_cli_flag *const sets[] = {global, flags ? flags : none, NULL};
    *npos = 0;
    int64_t default_timeout = g->timeout_ms;
    g->timeout_ms = INT64_MIN; /* still so after the loop: --timeout was not given */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (++i < argc)
                pos[(*npos)++] = argv[i];
            break;
        }
        if (argv[i][0] != '-' || argv[i][1] == '\0') {
            pos[(*npos)++] = argv[i];
            continue;
        }
        int rc = parse_one(argc, argv, &i, sets);
        if (rc) {
            if (g->timeout_ms == INT64_MIN)
                g->timeout_ms = default_timeout;
            return rc;
        }
    }
    g->timeout_set = g->timeout_ms != INT64_MIN;
    if (!g->timeout_set)
        g->timeout_ms = default_timeout;
    if (g->timeout_ms <= 0) {
        ed_cli_failure("--timeout must be greater than 0");
        return 2;
    }
    if (g->as_groups.n && !g->as) {
        ed_cli_failure("--as-group needs --as: a group is impersonated with a user");
        return 2;
    }
    if (g->as_uid && *g->as_uid) {
        ed_cli_failure("--as-uid is not supported by eddy: impersonate with --as and --as-group");
        return 2;
    }
    int what;
    if (g->qps && (what = parse_number(g->qps, false, NULL)))
        return bad_number("--kube-api-qps", g->qps, false, what);
    if (g->burst && (what = parse_number(g->burst, true, NULL)))
        return bad_number("--kube-api-burst", g->burst, true, what);
    if (g->ns && !is_dns_label(g->ns)) {
        ed_cli_failure("namespace must be a valid DNS label: \"%s\"", g->ns);
        return 2;
    }
    return 0;
}

int ed_cli_parse_flags(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g)
{
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, g, pos, &npos);
    if (!rc && npos) {
        ed_cli_failure("unexpected argument '%s'", pos[0]);
        rc = 2;
    }
    free(pos);
    return rc;
}

int ed_cli_parse_noargs(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g)
{
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, g, pos, &npos);
    if (!rc && npos) {
        ed_cli_failure("unknown command \"%s\" for \"eddy %s\"", pos[0], argv[0]);
        rc = 2;
    }
    free(pos);
    return rc;
}

void ed_cli_parse_cleanup(void)
{
    ed_arena_free(parse_arena);
    parse_arena = NULL;
}

/* ---- output ---- */

/* The mark's colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
static const char *colour_of(FILE *out, const char *mark)
{
    const char *no = getenv("NO_COLOR");
    if ((no && *no) || !isatty(fileno(out)))
        return NULL;
    if (strncmp(mark, "✔", strlen("✔")) == 0)
        return "\033[32m";
    if (strncmp(mark, "✗", strlen("✗")) == 0)
        return "\033[31m";
    if (strncmp(mark, "⚠", strlen("⚠")) == 0)
        return "\033[33m";
    return NULL;
}

/*
 * Every progress line goes to stderr, as flux's logger writes them: stdout carries only a verb's
 * data (tables, YAML, diff's lines, a report), so `eddy ... >file` or `out=$(eddy ...)` holds just
 * that. What stdout buffered is written first, so a terminal shows both in the order printed.
 */
static void line(const char *mark, const char *fmt, va_list ap)
{
    FILE *out = stderr;
    fflush(stdout);
    const char *colour = colour_of(out, mark);
    if (colour)
        fprintf(out, "%s%s\033[0m", colour, mark);
    else
        fputs(mark, out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
}

#define LINE(mark)                                                                                 \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        line(mark, fmt, ap);                                                                       \
        va_end(ap);                                                                                \
    } while (0)

void ed_cli_action(const char *fmt, ...)
{
    LINE("► ");
}

void ed_cli_generate(const char *fmt, ...)
{
    LINE("✚ ");
}

void ed_cli_waiting(const char *fmt, ...)
{
    LINE("◎ ");
}

void ed_cli_success(const char *fmt, ...)
{
    LINE("✔ ");
}

char *ed_cli_read_flag_file(const char *flag, const char *path, size_t *len)
{
    size_t n = 0;
    char *data = ed_file_read(path, (size_t)1 << 20, &n);
    if (!data) {
        if (errno == EFBIG)
            ed_cli_failure("--%s %s: larger than 1 MiB", flag, path);
        else
            ed_cli_failure("--%s %s: cannot read the file: %s", flag, path, strerror(errno));
        return NULL;
    }
    if (len)
        *len = n;
    return data;
}

void ed_cli_failure(const char *fmt, ...)
{
    LINE("✗ ");
}

void ed_cli_warning(const char *fmt, ...)
{
    LINE("⚠️ ");
}

struct ed_cli_table {
    int ncols;
    size_t nrows;
    char **cells;
    bool head; /* row 0 is the header */
};

ed_cli_table *ed_cli_table_new(int ncols)
{
    ed_cli_table *t = ed_xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    return t;
}

void ed_cli_table_row(ed_cli_table *t, const char *const *cells)
{
    t->cells = ed_xrealloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(char *));
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = ed_xstrdup(cells[c] ? cells[c] : "");
    t->nrows++;
}

void ed_cli_table_head(ed_cli_table *t, const char *const *cells)
{
    ED_ASSERT(t->nrows == 0);
    ed_cli_table_row(t, cells);
    t->head = true;
}

size_t ed_cli_table_rows(const ed_cli_table *t)
{
    return t->nrows;
}

/* The width of a cell in terminal columns: UTF-8 continuation bytes take none. */
/* The display width of the n bytes at s (one column per UTF-8 character). */
static size_t display_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            w++;
    return w;
}

/* Line `line` of cell (lines split at '\n', as tablewriter does): its start and length; NULL
 * past the last. */
static const char *cell_line(const char *cell, size_t line, size_t *len)
{
    for (; line > 0; line--) {
        cell = strchr(cell, '\n');
        if (!cell)
            return NULL;
        cell++;
    }
    const char *nl = strchr(cell, '\n');
    *len = nl ? (size_t)(nl - cell) : strlen(cell);
    return cell;
}

void ed_cli_table_print(const ed_cli_table *t, FILE *out, size_t first_row, int skip_cols)
{
    size_t *width = ed_xcalloc((size_t)t->ncols, sizeof(size_t));
    for (size_t r = first_row; r < t->nrows; r++)
        for (int c = skip_cols; c < t->ncols; c++) {
            const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c], *line;
            size_t len;
            for (size_t l = 0; (line = cell_line(cell, l, &len)); l++)
                if (display_width(line, len) > width[c])
                    width[c] = display_width(line, len);
        }
    for (size_t r = first_row; r < t->nrows; r++) {
        /* A cell of several lines makes the row as tall; the other cells' missing lines are
         * two spaces, padded (tablewriter's filler). */
        size_t height = 1;
        for (int c = skip_cols; c < t->ncols; c++) {
            size_t n = 1;
            for (const char *p = t->cells[r * (size_t)t->ncols + (size_t)c]; *p; p++)
                n += *p == '\n';
            if (n > height)
                height = n;
        }
        for (size_t l = 0; l < height; l++) {
            for (int c = skip_cols; c < t->ncols; c++) {
                size_t len;
                const char *line = cell_line(t->cells[r * (size_t)t->ncols + (size_t)c], l, &len);
                if (!line) {
                    line = "  ";
                    len = 2;
                }
                fwrite(line, 1, len, out);
                for (size_t w = display_width(line, len); w < width[c]; w++)
                    fputc(' ', out);
                /* (tablewriter's quirk: the header's last cell ends in a space, not the
                 * padding) */
                fputc(r == 0 && t->head && c == t->ncols - 1 ? ' ' : '\t', out);
            }
            fputc('\n', out);
        }
    }
    free(width);
}

void ed_cli_table_free(ed_cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

/* ---- the cluster ---- */

/* kubectl's --server, --token, --as and --as-group over the kubeconfig's values, as flux
 * takes them (genericclioptions). */
static void override_config(const ed_cli_global *g, ed_kube_config *cfg)
{
    if (g->server && *g->server) {
        free(cfg->server);
        cfg->server = ed_xstrdup(g->server);
        size_t n = strlen(cfg->server);
        while (n > 0 && cfg->server[n - 1] == '/')
            cfg->server[--n] = '\0';
    }
    if (g->token && *g->token) {
        free(cfg->token);
        free(cfg->token_file);
        cfg->token = ed_xstrdup(g->token);
        cfg->token_file = NULL;
    }
    if (g->as && *g->as) {
        free(cfg->impersonate_user);
        cfg->impersonate_user = ed_xstrdup(g->as);
        if (cfg->impersonate_groups)
            for (char **p = cfg->impersonate_groups; *p; p++)
                free(*p);
        free(cfg->impersonate_groups);
        cfg->impersonate_groups = NULL;
        if (g->as_groups.n) {
            cfg->impersonate_groups = ed_xcalloc((size_t)g->as_groups.n + 1, sizeof(char *));
            for (int i = 0; i < g->as_groups.n; i++)
                cfg->impersonate_groups[i] = ed_xstrdup(g->as_groups.items[i]);
        }
    }
}

/* Set when nothing chose a cluster and the configuration is client-go's default server: a
 * failed connection then says so (ed_cli_api_failure). */
static bool default_server_used;

int ed_cli_load_config(const ed_cli_global *g, ed_kube_config **out, ed_err *err)
{
    ed_kube_load_opts lo = {
        .kubeconfig = g->kubeconfig,
        .context = g->context,
        .cluster = g->cluster,
        .user = g->user,
        .certificate_authority = g->ca_file,
        .insecure_skip_tls_verify = g->insecure,
        .tls_server_name = g->tls_server_name,
        .client_certificate = g->client_cert,
        .client_key = g->client_key,
    };
    int rc = ed_kube_config_load(&lo, out, err);
    if (rc == ED_ENOTFOUND && strncmp(err->msg, "no ", 3) == 0) {
        /* Nothing chose a cluster (no kubeconfig file, or none of its contexts, and no
         * in-cluster configuration): as flux's client (genericclioptions over client-go), the
         * default server, $KUBERNETES_MASTER or http://localhost:8080, with --server and the
         * other flags over it. So a verb's own checks come first, as flux's do, and the first
         * request is what fails. */
        const char *master = getenv("KUBERNETES_MASTER");
        ed_err_clear(err);
        *out = ed_xcalloc(1, sizeof(**out));
        (*out)->server = ed_xstrdup(master && *master ? master : "http://localhost:8080");
        default_server_used = !g->server || !*g->server;
        rc = 0;
    }
    if (rc)
        return rc;
    ed_kube_config *cfg = *out;
    override_config(g, cfg);
    double v = 0;
    if (g->qps && !parse_number(g->qps, false, &v))
        cfg->qps = v;
    if (g->burst && !parse_number(g->burst, true, &v))
        cfg->burst = (int)v;
    /* A request never outlives the command's --timeout (nor the client's 30 s). */
    if (cfg->timeout_ms == 0)
        cfg->timeout_ms = 30000;
    if (cfg->timeout_ms > g->timeout_ms)
        cfg->timeout_ms = g->timeout_ms;
    return 0;
}

ed_kube *ed_cli_connect(const ed_cli_global *g)
{
    return ed_cli_connect_rest(g, false);
}

ed_kube *ed_cli_connect_rest(const ed_cli_global *g, bool rest_config)
{
    ed_kube_config *cfg = NULL;
    ed_kube *kube = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_cli_load_config(g, &cfg, &err) == 0)
        ed_kube_new(cfg, &kube, &err);
    else if (rest_config) /* flux's utils.KubeConfig; a missing file or context is said in
                           * client-go's words */
        ed_err_wrap(&err, "kubernetes configuration load failed");
    if (kube && g->verbose) {
        char *shown = ed_kube_url_redact(cfg->server);
        fprintf(stderr, "► using context %s, server %s, namespace %s\n",
                cfg->context          ? cfg->context
                : default_server_used ? "(none: client-go's default server)"
                                      : "(in-cluster)",
                shown, g->ns);
        free(shown);
    }
    ed_kube_config_free(cfg);
    if (!kube)
        ed_cli_failure("%s", err.msg);
    return kube;
}

int ed_cli_kind_served(ed_kube *kube, const ed_cli_kind *k, ed_err *err)
{
    ed_kube_resource res;
    int rc = ed_kube_resource_for(kube, k->api_version, k->kind, &res, err);
    if (rc != ED_ENOTFOUND)
        return rc;
    bool served = true;
    ed_err gv_err = ED_ERR_INIT;
    if (ed_kube_group_version_served(kube, k->api_version, &served, &gv_err) == 0 && !served)
        ed_err_set(err, ED_ENOTFOUND,
                   "unable to retrieve the complete list of server APIs: %s: no matches for %s, "
                   "Resource=",
                   k->api_version, k->api_version);
    return ED_ENOTFOUND;
}

int ed_cli_require_kind(ed_kube *kube, const ed_cli_kind *k)
{
    ed_err err = ED_ERR_INIT;
    if (ed_cli_kind_served(kube, k, &err) != ED_ENOTFOUND)
        return 0; /* another error: the verb's own request meets it and says so */
    ed_cli_failure("%s", err.msg);
    return 1;
}

void ed_cli_api_failure(const ed_err *err)
{
    const char *hint = NULL;
    switch (err->code) {
    case ED_ERETRY:
    case ED_ETIMEOUT:
        hint = default_server_used
                   ? "no kubeconfig chose a cluster, so client-go's default server was tried: set "
                     "KUBECONFIG, or pass --kubeconfig and --context"
                   : "is the cluster reachable? check --kubeconfig and --context, or a longer "
                     "--timeout";
        break;
    case ED_EAUTH:
        /* The client gives the TLS handshake's failures this code too (no retry helps), but
         * they are not about the user's credentials. */
        if (strstr(err->msg, "SSL") || strstr(err->msg, "certificate"))
            hint = "the TLS handshake failed: check the API server's certificate authority "
                   "(the kubeconfig's, or --certificate-authority; --tls-server-name) and the "
                   "client certificate";
        else
            hint = "the cluster refused the credentials of the kubeconfig's user: log in again "
                   "or choose another --context";
        break;
    case ED_EFORBIDDEN:
        hint = "the kubeconfig's user lacks this permission (RBAC): use another --context or "
               "ask for it";
        break;
    default:
        break;
    }
    if (hint)
        ed_cli_failure("%s (%s)", err->msg, hint);
    else
        ed_cli_failure("%s", err->msg);
}

const char *ed_cli_cond(const ed_node *obj, const char *type, const char *field)
{
    ed_node *conds = ed_node_path(obj, "/status/conditions");
    for (size_t i = 0; i < ed_node_len(conds); i++) {
        const char *t = ed_node_path_str(ed_node_at(conds, i), "/type");
        if (t && strcmp(t, type) == 0)
            return ed_node_path_str(ed_node_at(conds, i), field);
    }
    return NULL;
}

const char *ed_cli_revision(const ed_cli_kind *k, const ed_node *obj)
{
    const char *r = NULL;
    if (k == &ed_cli_gitrepository || k == &ed_cli_ocirepository)
        r = ed_node_path_str(obj, "/status/artifact/revision");
    else if (k == &ed_cli_kustomization)
        r = ed_node_path_str(obj, "/status/lastAppliedRevision");
    else if (k == &ed_cli_imagerepository)
        r = ed_node_path_str(obj, "/status/lastScanResult/scanTime");
    else if (k == &ed_cli_imagepolicy)
        r = ed_node_path_str(obj, "/status/latestRef/tag");
    else if (k == &ed_cli_imageupdate)
        r = ed_node_path_str(obj, "/status/lastAutomationRunTime");
    return r ? r : "";
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *ed_cli_truncate_hex(const char *s)
{
    ed_buf b = ED_BUF_INIT((size_t)64 << 20);
    while (*s) {
        if (!is_word_char(*s)) {
            ed_buf_append(&b, s, 1);
            s++;
            continue;
        }
        size_t len = 0;
        bool hex = true;
        while (is_word_char(s[len])) {
            hex &= (s[len] >= '0' && s[len] <= '9') || (s[len] >= 'a' && s[len] <= 'f');
            len++;
        }
        ed_buf_append(&b, s, hex && len >= 40 && len <= 128 ? 8 : len);
        s += len;
    }
    return ed_buf_take(&b);
}

void ed_cli_now_token(char *out, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char base[32];
    ed_time_rfc3339(tv.tv_sec, base);
    snprintf(out, cap, "%.19s.%06ldZ", base, (long)tv.tv_usec);
}

/* The line flux prints once a kind's object is Ready. */
static void print_result(const ed_cli_kind *k, const ed_node *o)
{
    if (k == &ed_cli_gitrepository || k == &ed_cli_ocirepository)
        ed_cli_success("fetched revision %s", ed_cli_revision(k, o));
    else if (k == &ed_cli_kustomization)
        ed_cli_success("applied revision %s", ed_cli_revision(k, o));
    else if (k == &ed_cli_imagerepository) {
        int64_t tags = 0;
        ed_node_int(ed_node_path(o, "/status/lastScanResult/tagCount"), &tags);
        ed_cli_success("scan fetched %lld tags", (long long)tags);
    } else if (k == &ed_cli_imagepolicy) {
        const char *img = ed_node_path_str(o, "/status/latestRef/name");
        ed_cli_success("selected image %s:%s", img ? img : "", ed_cli_revision(k, o));
    } else {
        const char *msg = ed_cli_cond(o, "Ready", "/message");
        ed_cli_success("%s", msg ? msg : "ready");
    }
}

int ed_cli_ready_state(const ed_node *o, const char *token)
{
    const char *ready = ed_cli_cond(o, "Ready", "/status");
    if (token) {
        /* As flux reconcile: once the request is handled, Ready says how it went (a failed
         * attempt leaves observedGeneration and Reconciling as they were). */
        const char *handled = ed_node_path_str(o, "/status/lastHandledReconcileAt");
        if (!handled || strcmp(handled, token) != 0 || !ready || strcmp(ready, "Unknown") == 0)
            return 0;
        return strcmp(ready, "True") == 0 ? 1 : -1;
    }
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(o, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(o, "/status/observedGeneration"), &observed);
    if (!ready || strcmp(ready, "Unknown") == 0)
        return 0;
    if (strcmp(ready, "True") == 0)
        return observed >= gen ? 1 : 0;
    const char *reconciling = ed_cli_cond(o, "Reconciling", "/status");
    return reconciling && strcmp(reconciling, "True") == 0 ? 0 : -1;
}

/* The lines flux create prints once the object is Ready; 0, or 1 for a source without an
 * artifact (flux fails then). */
static int print_created(const ed_cli_kind *k, const char *name, const ed_node *o)
{
    if (k == &ed_cli_gitrepository || k == &ed_cli_ocirepository) {
        bool git = k == &ed_cli_gitrepository;
        ed_cli_success("%s reconciliation completed", git ? "GitRepository source" : k->kind);
        const char *rev = ed_cli_revision(k, o);
        if (!*rev) {
            ed_cli_failure("%s reconciliation completed but no artifact was found",
                           git ? "GitRepository source" : k->kind);
            return 1;
        }
        ed_cli_success("fetched revision: %s", rev);
    } else if (k == &ed_cli_kustomization) {
        ed_cli_success("Kustomization %s is ready", name);
        ed_cli_success("applied revision %s", ed_cli_revision(k, o));
    } else {
        ed_cli_success("%s reconciliation completed", k->kind);
        print_result(k, o);
    }
    return 0;
}

/* What a wait is after, for its lines: flux create's, resume's, or reconcile's (which says
 * no "reconciliation completed" and quotes the failure's message). */
enum wait_for {
    WAIT_CREATED,
    WAIT_RESUMED,
    WAIT_RECONCILED
};

static int wait_ready(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                      const char *token, int64_t timeout_ms, enum wait_for what)
{
    ed_cli_waiting("waiting for %s reconciliation", k->kind);
    char *last = NULL; /* the last Ready message seen */
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    for (;;) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_kube_get(kube, k->api_version, k->kind, ns, name, &d, &err) != 0) {
            ed_cli_api_failure(&err);
            free(last);
            return 1;
        }
        ed_node *o = ed_doc_root(d);
        int state = ed_cli_ready_state(o, token);
        const char *msg = ed_cli_cond(o, "Ready", "/message");
        free(last);
        last = msg ? ed_xstrdup(msg) : NULL;
        if (state > 0 && what == WAIT_CREATED) {
            state = print_created(k, name, o) ? -1 : 1;
        } else if (state > 0) {
            if (what == WAIT_RESUMED)
                ed_cli_success("%s %s reconciliation completed", k->kind, name);
            print_result(k, o);
        } else if (state < 0 && what == WAIT_RECONCILED) {
            ed_cli_failure("%s reconciliation failed: '%s'", k->kind, msg ? msg : "");
        } else if (state < 0) {
            ed_cli_failure("%s reconciliation failed: %s", k->kind, msg ? msg : "");
        }
        ed_doc_free(d);
        if (state) {
            free(last);
            return state > 0 ? 0 : 1;
        }
        if (ed_time_mono_ms() >= deadline) {
            /* Say where it stands: the controller's last word, or that none answered. */
            ed_cli_failure("timeout waiting for %s %s/%s to be reconciled: %s", k->kind, ns, name,
                           last ? last : "no controller reported on it");
            free(last);
            return 1;
        }
        usleep(500 * 1000);
    }
}

int ed_cli_wait_ready(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                      const char *token, int64_t timeout_ms)
{
    return wait_ready(kube, k, ns, name, token, timeout_ms, WAIT_RESUMED);
}

int ed_cli_wait_reconciled(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                           const char *token, int64_t timeout_ms)
{
    return wait_ready(kube, k, ns, name, token, timeout_ms, WAIT_RECONCILED);
}

int ed_cli_wait_created(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                        int64_t timeout_ms)
{
    return wait_ready(kube, k, ns, name, NULL, timeout_ms, WAIT_CREATED);
}

bool ed_cli_confirm(const char *question)
{
    printf("%s [y/N]: ", question);
    fflush(stdout);
    char answer[16] = "";
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    answer[strcspn(answer, "\r\n")] = '\0';
    return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
}

int ed_cli_remote_open(ed_cli_remote *r, ed_err *err)
{
    *r = (ed_cli_remote){0};
    const char *tmp = getenv("TMPDIR");
    r->dir = ed_xasprintf("%s/eddy-remote.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir)) {
        int rc = ed_err_set(err, ED_ERROR, "cannot make a scratch directory %s: %s", r->dir,
                            strerror(errno));
        free(r->dir);
        r->dir = NULL;
        return rc;
    }
    int rc = ed_source_cache_open(&r->src.cache, r->dir, err);
    if (rc) {
        ed_cli_remote_close(r);
        return rc;
    }
    r->src.tmp_dir = r->dir;
    r->src.allow_file = true;
    return 0;
}

void ed_cli_remote_close(ed_cli_remote *r)
{
    ed_source_cache_free(r->src.cache);
    if (r->dir)
        ed_path_remove_tree(r->dir);
    free(r->dir);
    *r = (ed_cli_remote){0};
}
