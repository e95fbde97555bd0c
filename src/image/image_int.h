/*
 * image_int.h: private to the image module: the values of the commit message templates
 * (template.c interprets them, sprig.c implements the functions over them).
 */
#ifndef ED_IMAGE_INT_H
#define ED_IMAGE_INT_H

#include "image.h"

/* Which construct of pattern Go's RE2 does not support and PCRE2 does ("backreferences",
 * "lookaround"), so that eddy refuses the patterns Flux refuses; NULL when none. */
const char *ed_image_re2_incompatible(const char *pattern);

/* ---- template values ---- */

typedef enum {
    ED_TV_STR,
    ED_TV_NUM,   /* an int (literals, len) */
    ED_TV_FLOAT, /* a float64 (literals like 1.5, sprig's float math) */
    ED_TV_BOOL,
    ED_TV_NIL, /* Go's nil or a missing map key: prints "<no value>" */
    ED_TV_LIST,
    ED_TV_MAP,
    ED_TV_OBJ /* a struct of Flux's template data */
} ed_tv_kind;

/* Which struct an ED_TV_OBJ is, for printing and JSON as Go does. */
typedef enum {
    ED_TV_STRUCT_ROOT,        /* TemplateData */
    ED_TV_STRUCT_AUTOMATION,  /* types.NamespacedName: prints "ns/name" (its String) */
    ED_TV_STRUCT_RESULT,      /* update.Result */
    ED_TV_STRUCT_CHANGE,      /* update.Change */
    ED_TV_STRUCT_OBJECT,      /* update.ObjectIdentifier */
    ED_TV_STRUCT_STRINGS,     /* on a list: a []string (toStrings, splitList, regexFindAll...) */
    ED_TV_STRUCT_INTS,        /* on a list: a []int (until, untilStep) */
    ED_TV_STRUCT_LISTS,       /* on a list: a [][]interface {} (chunk) */
    ED_TV_STRUCT_DICT,        /* on a map: sprig's map[string]interface {} (dict) */
    ED_TV_STRUCT_INT64,       /* on a number: an int64 (sprig's math) */
    ED_TV_STRUCT_UINT64,      /* on a number: a uint64 (a version's Major...) */
    ED_TV_STRUCT_SEMVER,      /* sprig's semver: a *semver.Version, its methods without
                               * arguments (Major, Prerelease, String...) as fields */
    ED_TV_STRUCT_TIME,        /* a time.Time (toDate...): its methods without arguments
                               * (Year, Unix, String...) as fields, the time in ed_tv.time */
    ED_TV_STRUCT_SEMVER_VALUE /* a semver.Version (IncPatch's...): a *semver.Version's fields
                               * but Original, whose method takes the pointer */
} ed_tv_struct;
/* (On a list, ED_TV_STRUCT_CHANGE marks Flux's []update.Change; on a map, ED_TV_STRUCT_RESULT
 * its FileChanges and ED_TV_STRUCT_OBJECT an update.ObjectChanges, for the names of their
 * types in Go's messages; other lists and maps are sprig's.) */

/* A time as Go's time.Time holds it: an instant and the zone it is shown in. */
typedef struct ed_go_time {
    int64_t sec;    /* seconds since the Unix epoch */
    int32_t nsec;   /* [0, 1e9) */
    int32_t offset; /* of the zone, seconds east of UTC */
    char zone[16];  /* its abbreviation ("UTC"); "" for a fixed zone Format writes as "+0200" */
} ed_go_time;

typedef struct ed_tv {
    ed_tv_kind kind;
    ed_tv_struct type; /* ED_TV_OBJ */
    char *s;           /* ED_TV_STR: the string; NUM/BOOL: how it prints; OBJ: a sort key */
    int64_t n;         /* ED_TV_NUM; ED_TV_BOOL: 0 or 1; ED_TV_FLOAT: see int_literal */
    double f;          /* ED_TV_FLOAT */
    /* ED_TV_FLOAT: a literal ("1e3", "2.0") that Go also reads as the int n where a function
     * wants an int */
    bool int_literal;
    struct ed_tv **keys; /* ED_TV_MAP: keys (sorted); ED_TV_OBJ: field names */
    struct ed_tv **items;
    size_t len;
    bool is_nil;              /* ED_TV_MAP: Go's nil map (prints map[], JSON null) */
    ed_go_time time;          /* ED_TV_STRUCT_TIME */
    struct ed_tv *next_alloc; /* every value of a pool, for freeing */
} ed_tv;

/* Every value of one rendering, freed at once. */
typedef struct ed_tv_pool {
    ed_tv *all;
} ed_tv_pool;

ed_tv *ed_tv_new(ed_tv_pool *p, ed_tv_kind k, const char *s);
ed_tv *ed_tv_num(ed_tv_pool *p, int64_t n);
ed_tv *ed_tv_bool(ed_tv_pool *p, bool b);
/* A float64, its text as fmt's %v prints it (shortest digits: 1.5, 1e+06, 1e-05). */
ed_tv *ed_tv_float(ed_tv_pool *p, double f);
/* Append item (with key for maps and objects, NULL for lists). */
void ed_tv_add(ed_tv *v, ed_tv *key, ed_tv *item);
void ed_tv_pool_free(ed_tv_pool *p);
/* The field name of an object, or NULL. */
ed_tv *ed_tv_field(const ed_tv *v, const char *name, size_t n);

/* Go's truth (text/template's isTrue, sprig's !empty): false for nil, false, 0, "" and empty
 * lists and maps; structs are true. */
bool ed_tv_truthy(const ed_tv *v);
/* Append v as fmt's %v prints it ([a b], map[k:v], {old new setter}, ns/name); nil as nil_text. */
void ed_tv_print(ed_buf *b, const ed_tv *v, const char *nil_text);

/* Go's name of v's type in its messages: "string", "int", "source.TemplateData",
 * "update.Change", "[]update.Change", "[]interface {}", "map[string]string"... */
const char *ed_tv_type_name(const ed_tv *v);

/* Where a failed call failed, as Go's text/template names it in "executing ... at <node>":
 * the function's name (its arguments' count), the whole command (an error of the function
 * itself), or (>= 0) the index of the argument of the wrong type. */
enum {
    ED_TV_AT_FUNCTION = -1,
    ED_TV_AT_COMMAND = -2
};

/*
 * Call the template function name (Go's builtins len, not, and, or, eq, ne, and the sprig
 * functions eddy implements) with args. Returns 0 with *out, 1 when no such function is
 * implemented (Flux's sprig has more: the caller refuses the template naming it), or -1 with a
 * message in msg (Go's wording: "wrong number of args for ...", "error calling ...") and *at
 * saying which part of the call it is about. literal[i] says whether args[i] was written as a
 * constant (NULL: none was), which Go converts itself where a function wants a uint32.
 */
int ed_tv_call(ed_tv_pool *p, const char *name, ed_tv **args, const bool *literal, size_t nargs,
               ed_tv **out, char *msg, size_t msglen, int *at);
/* Is name a function eddy implements? */
bool ed_tv_function_known(const char *name);
/* The Version v's method IncPatch, IncMinor or IncMajor (name, n bytes) gives, as Masterminds'
 * semver v3 does (the pre-release and metadata dropped, a "v" of the original kept); v is a
 * *semver.Version or a semver.Version. NULL when name is not one of these. */
ed_tv *ed_tv_semver_next(ed_tv_pool *p, const ed_tv *v, const char *name, size_t n);
/* The time.Time v's UTC or Local (name, n bytes): the instant in UTC (Local is UTC for eddy).
 * NULL when v is not a time or name not one of these. */
ed_tv *ed_tv_time_method(ed_tv_pool *p, const ed_tv *v, const char *name, size_t n);
/* The Version v's SetPrerelease or SetMetadata (metadata true) of part: a semver.Version, or
 * NULL with Masterminds' error in *err ("Invalid Prerelease string", static). */
ed_tv *ed_tv_semver_set(ed_tv_pool *p, const ed_tv *v, bool metadata, const char *part,
                        const char **err);
/* Is name a function of Flux's template (Go's builtins and sprig's hermetic map), implemented
 * or not? */
bool ed_tv_sprig_name(const char *name);

/* A URL as Go's net/url holds it (url.go's URL): the decoded path and fragment with their raw
 * forms when these differ from Go's escaping, the raw query. Every string is owned by the URL
 * (NULL reads as empty). */
typedef struct ed_go_url {
    char *scheme, *opaque, *username, *password, *host;
    char *path, *raw_path, *raw_query, *fragment, *raw_fragment;
    bool has_user; /* userinfo present ("@"), with a password when password is set */
    bool force_query, omit_host;
} ed_go_url;

/* Parse raw as url.Parse does into *u (released with ed_go_url_free). Returns 0, or -1 with
 * url.Error's text in *err (`parse "RAW": why`, the caller's to free) and *u empty. */
int ed_go_url_parse(const char *raw, ed_go_url *u, char **err);
void ed_go_url_free(ed_go_url *u);
/* URL.String(), User.String() (escaped "user:password") and Hostname(), each the caller's. */
char *ed_go_url_string(const ed_go_url *u);
char *ed_go_url_userinfo(const ed_go_url *u);
char *ed_go_url_hostname(const ed_go_url *u);

/* Parse value with Go's layout as time.ParseInLocation does in Local, which is UTC for eddy as
 * for Flux's controller (gotime.c). Returns 0, or -1 with time.ParseError's text in *err
 * (`parsing time "X" as "2006-01-02": cannot parse "X" as "2006"`, the caller's to free). */
int ed_go_time_parse(const char *layout, const char *value, ed_go_time *out, char **err);
/* Append t formatted with Go's layout (Time.Format) to b. */
void ed_go_time_format(ed_buf *b, const ed_go_time *t, const char *layout);
/* Time.String ("2006-01-02 15:04:05.999999999 -0700 MST"), the caller's. */
char *ed_go_time_string(const ed_go_time *t);
/* Go's zero time, January 1, year 1, 00:00:00 UTC. */
void ed_go_time_zero(ed_go_time *t);

#endif
