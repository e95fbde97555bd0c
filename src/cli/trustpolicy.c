/*
 * The check flux's create secret notation makes of a Notation trust policy file: Go's
 * encoding/json reading it into notation-go's trustpolicy.Document (its syntax errors, then its
 * type errors, in Go's words), then the document's Validate (notation-go 1.3.2's rules and
 * messages, the x509.subject identities parsed as go-ldap's ParseDN does).
 */
#include "cli_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- Go's JSON reading ---- */

/* A buffer's text ("" before anything was written). */
static const char *text(const ed_buf *b)
{
    return b->data ? b->data : "";
}

struct json_in {
    const char *s;
    size_t len, pos;
    ed_doc *doc;
    ed_buf *why;
};

/* Go's quoteChar: the byte as a Go character literal. */
static void quote_char(ed_buf *b, unsigned char c)
{
    static const char esc[] = "\a\b\f\n\r\t\v";
    static const char name[] = "abfnrtv";
    const char *e = c ? strchr(esc, c) : NULL;
    if (c == '\'')
        ed_buf_append_str(b, "'\\''");
    else if (e)
        ed_buf_printf(b, "'\\%c'", name[e - esc]);
    else if (c < 0x20 || c == 0x7f)
        ed_buf_printf(b, "'\\x%02x'", c);
    else if (c < 0x80)
        ed_buf_printf(b, "'%c'", c);
    else if (c < 0xa1 || c == 0xad) /* not printable as a rune in Go */
        ed_buf_printf(b, "'\\u%04x'", c);
    else
        ed_buf_printf(b, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

/* A syntax error: at the end of the input Go's "unexpected end of JSON input", else the
 * character and where it was met. Returns NULL for the callers' convenience. */
static ed_node *syntax(struct json_in *in, const char *context)
{
    if (in->pos >= in->len) {
        ed_buf_append_str(in->why, "unexpected end of JSON input");
        return NULL;
    }
    ed_buf_append_str(in->why, "invalid character ");
    quote_char(in->why, (unsigned char)in->s[in->pos]);
    ed_buf_printf(in->why, " %s", context);
    return NULL;
}

static int peek(struct json_in *in)
{
    return in->pos < in->len ? (unsigned char)in->s[in->pos] : -1;
}

static void skip_space(struct json_in *in)
{
    while (in->pos < in->len && strchr(" \t\r\n", in->s[in->pos]) && in->s[in->pos])
        in->pos++;
}

static int hex_digit(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void put_utf8(ed_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    ed_buf_append(b, u, n);
}

/* Four hex digits after "\u" at in->pos; -1 after the syntax error. */
static long hex4(struct json_in *in)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(peek(in));
        if (d < 0) {
            syntax(in, "in \\u hexadecimal character escape");
            return -1;
        }
        v = v * 16 + d;
        in->pos++;
    }
    return v;
}

/* A string, the opening quote at in->pos; its text unescaped into out. */
static bool read_string(struct json_in *in, ed_buf *out)
{
    in->pos++;
    for (;;) {
        int c = peek(in);
        if (c < 0 || c < 0x20) {
            syntax(in, "in string literal");
            return false;
        }
        in->pos++;
        if (c == '"')
            return true;
        if (c != '\\') {
            char ch = (char)c;
            ed_buf_append(out, &ch, 1);
            continue;
        }
        c = peek(in);
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = c > 0 ? strchr(from, c) : NULL;
        if (hit) {
            in->pos++;
            ed_buf_append(out, to + (hit - from), 1);
        } else if (c == 'u') {
            in->pos++;
            long cp = hex4(in);
            if (cp < 0)
                return false;
            /* Go's decoder: a surrogate pair makes one rune, a lone surrogate U+FFFD */
            if (cp >= 0xd800 && cp < 0xdc00 && in->pos + 6 <= in->len && in->s[in->pos] == '\\' &&
                in->s[in->pos + 1] == 'u') {
                size_t at = in->pos;
                in->pos += 2;
                long lo = hex4(in);
                if (lo < 0)
                    return false;
                if (lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    in->pos = at; /* read again as its own escape */
            }
            put_utf8(out, cp >= 0xd800 && cp < 0xe000 ? 0xfffd : (unsigned)cp);
        } else {
            syntax(in, "in string escape code");
            return false;
        }
    }
}

static bool digits(struct json_in *in, const char *context)
{
    if (!isdigit(peek(in))) {
        syntax(in, context);
        return false;
    }
    while (isdigit(peek(in)))
        in->pos++;
    return true;
}

static ed_node *read_number(struct json_in *in)
{
    size_t start = in->pos;
    if (peek(in) == '-')
        in->pos++;
    if (peek(in) == '0')
        in->pos++;
    else if (!digits(in, "in numeric literal"))
        return NULL;
    if (peek(in) == '.') {
        in->pos++;
        if (!digits(in, "after decimal point in numeric literal"))
            return NULL;
    }
    if (peek(in) == 'e' || peek(in) == 'E') {
        in->pos++;
        if (peek(in) == '+' || peek(in) == '-')
            in->pos++;
        if (!digits(in, "in exponent of numeric literal"))
            return NULL;
    }
    char *text = ed_xstrndup(in->s + start, in->pos - start);
    ed_node *n = ed_node_new_float(in->doc, 0, text);
    free(text);
    return n;
}

static ed_node *read_literal(struct json_in *in, const char *word, ed_node *node)
{
    in->pos++;
    for (const char *w = word + 1; *w; w++, in->pos++) {
        if (peek(in) != *w) {
            char context[64];
            snprintf(context, sizeof(context), "in literal %s (expecting '%c')", word, *w);
            return syntax(in, context);
        }
    }
    return node;
}

static ed_node *read_value(struct json_in *in, int depth);

static ed_node *read_object(struct json_in *in, int depth)
{
    ed_node *map = ed_node_new_map(in->doc);
    in->pos++;
    skip_space(in);
    if (peek(in) == '}') {
        in->pos++;
        return map;
    }
    for (;;) {
        if (peek(in) != '"')
            return syntax(in, "looking for beginning of object key string");
        ed_buf key = ED_BUF_INIT((size_t)1 << 20);
        bool ok = read_string(in, &key);
        skip_space(in);
        if (ok && peek(in) != ':')
            ok = syntax(in, "after object key") != NULL;
        ed_node *value = NULL;
        if (ok) {
            in->pos++;
            value = read_value(in, depth + 1);
        }
        if (value) /* a key met twice is kept twice: Go reads both, in order */
            ed_node_append_pair(in->doc, map, text(&key), value);
        ed_buf_free(&key);
        if (!value)
            return NULL;
        skip_space(in);
        if (peek(in) == '}') {
            in->pos++;
            return map;
        }
        if (peek(in) != ',')
            return syntax(in, "after object key:value pair");
        in->pos++;
        skip_space(in);
    }
}

static ed_node *read_array(struct json_in *in, int depth)
{
    ed_node *seq = ed_node_new_seq(in->doc);
    in->pos++;
    skip_space(in);
    if (peek(in) == ']') {
        in->pos++;
        return seq;
    }
    for (;;) {
        ed_node *value = read_value(in, depth + 1);
        if (!value)
            return NULL;
        ed_node_append(in->doc, seq, value);
        skip_space(in);
        if (peek(in) == ']') {
            in->pos++;
            return seq;
        }
        if (peek(in) != ',')
            return syntax(in, "after array element");
        in->pos++;
    }
}

static ed_node *read_value(struct json_in *in, int depth)
{
    skip_space(in);
    if (depth > ED_DOC_MAX_DEPTH) {
        ed_buf_append_str(in->why, "exceeded max depth");
        return NULL;
    }
    int c = peek(in);
    if (c == '{')
        return read_object(in, depth);
    if (c == '[')
        return read_array(in, depth);
    if (c == '"') {
        ed_buf str = ED_BUF_INIT((size_t)1 << 20);
        ed_node *n = read_string(in, &str) ? ed_node_new_strn(in->doc, text(&str), str.len) : NULL;
        ed_buf_free(&str);
        return n;
    }
    if (c == '-' || isdigit(c))
        return read_number(in);
    if (c == 't')
        return read_literal(in, "true", ed_node_new_bool(in->doc, true));
    if (c == 'f')
        return read_literal(in, "false", ed_node_new_bool(in->doc, false));
    if (c == 'n')
        return read_literal(in, "null", ed_node_new_null(in->doc));
    return syntax(in, "looking for beginning of value");
}

/* ---- Go's decoding into trustpolicy.Document: its type errors ---- */

/* Go's name of a JSON value's kind in "cannot unmarshal X". */
static const char *json_kind(const ed_node *n)
{
    switch (ed_node_kind_of(n)) {
    case ED_NODE_MAP:
        return "object";
    case ED_NODE_SEQ:
        return "array";
    case ED_NODE_STR:
        return "string";
    case ED_NODE_BOOL:
        return "bool";
    default:
        return "number";
    }
}

/* The Go types of the document's fields. */
enum go_type {
    GO_STRING,
    GO_STRINGS,
    GO_POLICIES,
    GO_POLICY,
    GO_VERIFICATION,
    GO_OVERRIDE
};

struct go_field {
    const char *json; /* its JSON name */
    enum go_type type;
    const char *go_name; /* its Go type as Go prints it */
};

static const struct go_field document_fields[] = {
    {"version", GO_STRING, "string"},
    {"trustPolicies", GO_POLICIES, "[]trustpolicy.TrustPolicy"},
    {NULL, 0, NULL},
};
static const struct go_field policy_fields[] = {
    {"name", GO_STRING, "string"},
    {"registryScopes", GO_STRINGS, "[]string"},
    {"signatureVerification", GO_VERIFICATION, "trustpolicy.SignatureVerification"},
    {"trustStores", GO_STRINGS, "[]string"},
    {"trustedIdentities", GO_STRINGS, "[]string"},
    {NULL, 0, NULL},
};
static const struct go_field verification_fields[] = {
    {"level", GO_STRING, "string"},
    {"override", GO_OVERRIDE, "map[trustpolicy.ValidationType]trustpolicy.ValidationAction"},
    {"verifyTimestamp", GO_STRING, "trustpolicy.TimestampOption"},
    {NULL, 0, NULL},
};

/* Where a type error is: the innermost struct's Go name and the JSON path from the top. */
struct go_ctx {
    const char *go_struct;
    char path[256];
};

static bool type_error(ed_buf *why, const ed_node *n, const struct go_ctx *c, const char *type)
{
    if (why->len == 0)
        ed_buf_printf(why, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                      json_kind(n), c->go_struct, c->path, type);
    return false;
}

static void check_struct(const ed_node *map, const struct go_field *fields, const char *go_struct,
                         const char *path, ed_buf *why);

/* Go's decoding of n into a field of type t; the first type error into why. */
static void check_value(const ed_node *n, enum go_type t, const char *go_name,
                        const struct go_ctx *c, ed_buf *why)
{
    ed_node_kind k = ed_node_kind_of(n);
    if (k == ED_NODE_NULL)
        return; /* Go leaves the field as it was */
    switch (t) {
    case GO_STRING:
        if (k != ED_NODE_STR)
            type_error(why, n, c, go_name);
        return;
    case GO_STRINGS:
    case GO_POLICIES:
        if (k != ED_NODE_SEQ) {
            type_error(why, n, c, go_name);
            return;
        }
        for (size_t i = 0; i < ed_node_len(n); i++)
            check_value(ed_node_at(n, i), t == GO_STRINGS ? GO_STRING : GO_POLICY,
                        t == GO_STRINGS ? "string" : "trustpolicy.TrustPolicy", c, why);
        return;
    case GO_POLICY:
    case GO_VERIFICATION:
        if (k != ED_NODE_MAP) {
            type_error(why, n, c, go_name);
            return;
        }
        check_struct(n, t == GO_POLICY ? policy_fields : verification_fields,
                     t == GO_POLICY ? "TrustPolicy" : "SignatureVerification", c->path, why);
        return;
    case GO_OVERRIDE:
        if (k != ED_NODE_MAP) {
            type_error(why, n, c, go_name);
            return;
        }
        for (size_t i = 0; i < ed_node_len(n); i++)
            check_value(ed_node_value_at(n, i), GO_STRING, "trustpolicy.ValidationAction", c, why);
        return;
    }
}

/* The field a JSON key names: Go matches the names without regard to case. */
static const struct go_field *field_of(const struct go_field *fields, const char *key)
{
    for (const struct go_field *f = fields; f->json; f++)
        if (strcasecmp(f->json, key) == 0)
            return f;
    return NULL;
}

static void check_struct(const ed_node *map, const struct go_field *fields, const char *go_struct,
                         const char *path, ed_buf *why)
{
    for (size_t i = 0; i < ed_node_len(map); i++) {
        const struct go_field *f = field_of(fields, ed_node_key_at(map, i));
        if (!f)
            continue; /* unknown fields are ignored */
        struct go_ctx c = {.go_struct = go_struct};
        snprintf(c.path, sizeof(c.path), "%s%s%s", path, *path ? "." : "", f->json);
        check_value(ed_node_value_at(map, i), f->type, f->go_name, &c, why);
    }
}

/* The value Go leaves in a field after reading map: the last key naming it (a null leaves a
 * string or a struct as it was, and empties a list or a map); NULL for none. */
static const ed_node *field(const ed_node *map, const char *name, bool null_empties)
{
    const ed_node *v = NULL;
    for (size_t i = 0; map && ed_node_kind_of(map) == ED_NODE_MAP && i < ed_node_len(map); i++) {
        const ed_node *n = ed_node_value_at(map, i);
        if (strcasecmp(ed_node_key_at(map, i), name) != 0)
            continue;
        if (ed_node_kind_of(n) == ED_NODE_NULL)
            v = null_empties ? NULL : v;
        else
            v = n;
    }
    return v;
}

static const char *str_field(const ed_node *map, const char *name)
{
    const ed_node *n = field(map, name, false);
    return n ? ed_node_str(n) : "";
}

/* A list of strings' item i ("" for a null). */
static const char *item(const ed_node *seq, size_t i)
{
    const ed_node *n = ed_node_at(seq, i);
    return ed_node_kind_of(n) == ED_NODE_STR ? ed_node_str(n) : "";
}

static bool contains(const ed_node *seq, const char *s)
{
    for (size_t i = 0; seq && i < ed_node_len(seq); i++)
        if (strcmp(item(seq, i), s) == 0)
            return true;
    return false;
}

/* ---- notation-go's Validate ---- */

static bool fail(ed_buf *why, const char *fmt, ...) ED_PRINTF(2, 3);
static bool fail(ed_buf *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ed_buf_vprintf(why, fmt, ap);
    va_end(ap);
    return false;
}

/* Go's %q of s. */
static const char *q(ed_buf *b, const char *s)
{
    ed_buf_reset(b);
    ed_buf_append_go_quoted(b, s);
    return text(b);
}

static const char *const validation_types[] = {"integrity", "authenticity", "authenticTimestamp",
                                               "expiry",    "revocation",   NULL};
static const char *const validation_actions[] = {"enforce", "log", "skip", NULL};

static bool listed(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* Go's %q of a list of strings: ["a" "b"]. */
static char *q_list(const char *const *list)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 16);
    ed_buf_append_str(&b, "[");
    for (int i = 0; list[i]; i++) {
        if (i)
            ed_buf_append_str(&b, " ");
        ed_buf_append_go_quoted(&b, list[i]);
    }
    ed_buf_append_str(&b, "]");
    return ed_buf_take(&b);
}

/* GetVerificationLevel: the level's name ("skip" matters), or NULL after the error. */
static const char *verification_level(const ed_node *sv, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    const char *level = str_field(sv, "level"), *found = NULL;
    static const char *const levels[] = {"strict", "permissive", "audit", "skip", NULL};
    for (int i = 0; levels[i]; i++)
        if (strcmp(levels[i], level) == 0)
            found = levels[i];
    const ed_node *over = field(sv, "override", true);
    if (!*level)
        fail(why, "signature verification level is empty or missing in the trust policy "
                  "statement");
    else if (!found)
        fail(why, "invalid signature verification level %s", q(&b, level));
    else if (over && ed_node_len(over) > 0 && strcmp(found, "skip") == 0)
        fail(why,
             "signature verification level %s can't be used to customize signature "
             "verification",
             q(&b, found));
    for (size_t i = 0; !why->len && over && i < ed_node_len(over); i++) {
        /* Go goes through the map in no set order; here in the file's */
        const char *type = ed_node_key_at(over, i);
        const ed_node *v = ed_node_value_at(over, i);
        const char *action = ed_node_kind_of(v) == ED_NODE_STR ? ed_node_str(v) : "";
        char *all = NULL;
        if (!listed(validation_types, type)) {
            all = q_list(validation_types);
            fail(why,
                 "verification type %s in custom signature verification is not supported, "
                 "supported values are %s",
                 q(&b, type), all);
        } else if (!listed(validation_actions, action)) {
            all = q_list(validation_actions);
            fail(why,
                 "verification action %s in custom signature verification is not "
                 "supported, supported values are %s",
                 q(&b, action), all);
        } else if (strcmp(type, "integrity") == 0) {
            fail(why, "%s verification can not be overridden in custom signature verification",
                 q(&b, type));
        } else if (strcmp(type, "revocation") != 0 && strcmp(action, "skip") == 0) {
            fail(why, "%s verification can not be skipped in custom signature verification",
                 q(&b, type));
        }
        free(all);
    }
    ed_buf_free(&b);
    return why->len ? NULL : found;
}

static bool store_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return false;
    return true;
}

/* go-ldap's stripLeadingAndTrailingSpaces and decodeString of s[0..n). */
static bool ldap_decode(const char *s, size_t n, ed_buf *out, ed_buf *why)
{
    size_t a = 0, z = n;
    while (a < z && s[a] == ' ')
        a++;
    while (z > a && s[z - 1] == ' ')
        z--;
    bool kept_space = z > a && s[z - 1] == '\\' && n > 0 && s[n - 1] == ' ';
    if (kept_space)
        z++; /* an escaped trailing space stays */
    ed_buf_reset(out);
    for (size_t i = a; i < z; i++) {
        if (s[i] != '\\') {
            ed_buf_append(out, s + i, 1);
            continue;
        }
        if (i + 1 >= z)
            return fail(why, "got corrupted escaped character: '%.*s'", (int)(z - a), s + a);
        if (strchr(" \"#+,;<=>\\", s[i + 1]) && s[i + 1]) {
            ed_buf_append(out, s + i + 1, 1);
            i++;
            continue;
        }
        if (i + 2 >= z)
            return fail(why, "failed to decode escaped character: encoding/hex: invalid byte: %c",
                        s[i + 1]);
        int hi = hex_digit((unsigned char)s[i + 1]), lo = hex_digit((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0) {
            unsigned char bad = (unsigned char)s[hi < 0 ? i + 1 : i + 2];
            return fail(why,
                        "failed to decode escaped character: encoding/hex: invalid byte: "
                        "U+%04X '%c'",
                        bad, bad);
        }
        char ch = (char)(hi * 16 + lo);
        ed_buf_append(out, &ch, 1);
        i += 2;
    }
    return true;
}

/* A parsed x509.subject: its attributes (S read as ST), each once. */
struct dn {
    char *type[64], *value[64];
    int n;
};

static void dn_free(struct dn *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->type[i]);
        free(d->value[i]);
    }
    d->n = 0;
}

static const char *dn_get(const struct dn *d, const char *type)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->type[i], type) == 0)
            return d->value[i];
    return "";
}

/* go-ldap's ParseDN of value: its attributes in order into all, rdn[i] the RDN of each; false
 * after its error into why. */
static bool ldap_parse_dn(const char *value, struct dn *all, int *rdn, ed_buf *why)
{
    ed_buf t = ED_BUF_INIT((size_t)1 << 20), v = ED_BUF_INIT((size_t)1 << 20);
    size_t start = 0, len = strlen(value);
    bool escaping = false, have_type = false, ok = true;
    int nrdn = 0;
    if (strspn(value, " \t\n\v\f\r") == len)
        return true; /* an empty DN */
    for (size_t i = 0; ok && i <= len; i++) {
        bool end = i == len;
        char c = ',';
        if (!end)
            c = value[i];
        if (!end && escaping) {
            escaping = false;
        } else if (!end && c == '\\') {
            escaping = true;
        } else if (!end && c == '=' && !have_type) {
            ok = ldap_decode(value + start, i - start, &t, why);
            have_type = t.len > 0;
            start = i + 1;
        } else if (end || c == ',' || c == '+' || c == ';') {
            if (!have_type) {
                ok = fail(why, "%s",
                          end ? "DN ended with incomplete type, value pair"
                              : "incomplete type, value pair");
                break;
            }
            ok = ldap_decode(value + start, i - start, &v, why);
            if (ok && all->n < 64) {
                all->type[all->n] = ed_xstrdup(strcmp(text(&t), "S") == 0 ? "ST" : text(&t));
                all->value[all->n] = ed_xstrdup(text(&v));
                rdn[all->n++] = nrdn;
            }
            nrdn += c != '+';
            have_type = false;
            start = i + 1;
        }
    }
    ed_buf_free(&t);
    ed_buf_free(&v);
    return ok;
}

/* notation-go's ParseDistinguishedName of value (go-ldap's ParseDN, then its own rules). */
static bool parse_dn(const char *value, struct dn *d, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20), e = ED_BUF_INIT((size_t)1 << 20);
    char *quoted = ed_xstrdup(q(&b, value));
    struct dn all = {0};
    int rdn[64];
    memset(d, 0, sizeof(*d));
    if (strstr(value, "=#"))
        fail(why,
             "unsupported distinguished name (DN) %s: notation does not support "
             "x509.subject identities containing \"=#\"",
             quoted);
    else if (!ldap_parse_dn(value, &all, rdn, &e))
        fail(why,
             "parsing distinguished name (DN) %s failed with err: %s. A valid DN must "
             "contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC "
             "4514 standard",
             quoted, text(&e));
    for (int i = 0; !why->len && i < all.n; i++) {
        bool multi = (i > 0 && rdn[i - 1] == rdn[i]) || (i + 1 < all.n && rdn[i + 1] == rdn[i]);
        if (multi) {
            fail(why,
                 "distinguished name (DN) %s has multi-valued RDN attributes, remove "
                 "multi-valued RDN attributes as they are not supported",
                 quoted);
        } else if (*dn_get(d, all.type[i])) {
            fail(why,
                 "distinguished name (DN) %s has duplicate RDN attribute for %s, DN can "
                 "only have unique RDN attributes",
                 quoted, q(&b, all.type[i]));
        } else {
            /* Go's map: an attribute of an empty value may be given again */
            int at = 0;
            while (at < d->n && strcmp(d->type[at], all.type[i]) != 0)
                at++;
            if (at == d->n) {
                d->type[d->n++] = ed_xstrdup(all.type[i]);
            } else {
                free(d->value[at]);
            }
            d->value[at] = ed_xstrdup(all.value[i]);
        }
    }
    static const char *const mandatory[] = {"C", "ST", "O"};
    for (int i = 0; !why->len && i < 3; i++)
        if (!*dn_get(d, mandatory[i]))
            fail(why,
                 "distinguished name (DN) %s has no mandatory RDN attribute for %s, it must "
                 "contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum",
                 quoted, q(&b, mandatory[i]));
    dn_free(&all);
    free(quoted);
    ed_buf_free(&b);
    ed_buf_free(&e);
    if (why->len)
        dn_free(d);
    return !why->len;
}

/* pkix.IsSubsetDN: every attribute of a has the same value in b. */
static bool dn_subset(const struct dn *a, const struct dn *b)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->value[i], dn_get(b, a->type[i])) != 0)
            return false;
    return true;
}

static bool check_identities(const char *policy, const ed_node *tis, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20), e = ED_BUF_INIT((size_t)1 << 20);
    size_t n = ed_node_len(tis);
    struct dn *dns = ed_xcalloc(n + 1, sizeof(*dns));
    const char **raw = ed_xcalloc(n + 1, sizeof(*raw));
    int ndn = 0;
    char *p = ed_xstrdup(q(&b, policy));
    if (n > 1 && contains(tis, "*"))
        fail(why,
             "trust policy statement %s uses a wildcard trusted identity '*', a wildcard "
             "identity cannot be used in conjunction with other values",
             p);
    for (size_t i = 0; !why->len && i < n; i++) {
        const char *id = item(tis, i), *colon = strchr(id, ':');
        if (!*id) {
            fail(why, "trust policy statement %s has an empty trusted identity", p);
        } else if (strcmp(id, "*") == 0) {
            continue;
        } else if (!colon) {
            fail(why, "trust policy statement %s has trusted identity %s missing separator", p,
                 q(&b, id));
        } else if ((size_t)(colon - id) == strlen("x509.subject") &&
                   strncmp(id, "x509.subject", (size_t)(colon - id)) == 0) {
            if (!colon[1]) {
                fail(why,
                     "trust policy statement %s has trusted identity %s without an identity "
                     "value",
                     p, q(&b, id));
            } else if (!parse_dn(colon + 1, &dns[ndn], &e)) {
                fail(why,
                     "trust policy statement %s has trusted identity %s with invalid "
                     "identity value: %s",
                     p, q(&b, id), text(&e));
            } else {
                raw[ndn++] = id;
            }
        }
    }
    for (int i = 0; !why->len && i < ndn; i++)
        for (int j = 0; !why->len && j < ndn; j++)
            if (i != j && dn_subset(&dns[i], &dns[j])) {
                char *a = ed_xstrdup(q(&b, raw[i]));
                fail(why,
                     "trust policy statement %s has overlapping x509 trustedIdentities, %s "
                     "overlaps with %s",
                     p, a, q(&b, raw[j]));
                free(a);
            }
    for (int i = 0; i < ndn; i++)
        dn_free(&dns[i]);
    free(dns);
    free(raw);
    free(p);
    ed_buf_free(&b);
    ed_buf_free(&e);
    return !why->len;
}

/* validatePolicyCore, behind "trust policy: ". */
static bool check_statement(const ed_node *st, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20), e = ED_BUF_INIT((size_t)1 << 20);
    const char *name = str_field(st, "name");
    const ed_node *sv = field(st, "signatureVerification", false);
    const ed_node *stores = field(st, "trustStores", true);
    const ed_node *tis = field(st, "trustedIdentities", true);
    size_t nstores = stores ? ed_node_len(stores) : 0, ntis = tis ? ed_node_len(tis) : 0;
    char *p = ed_xstrdup(q(&b, name));
    const char *level = NULL, *ts = str_field(sv, "verifyTimestamp");
    if (!*name) {
        fail(why, "a trust policy statement is missing a name, every statement requires a name");
    } else if (!(level = verification_level(sv, &e))) {
        fail(why, "trust policy statement %s has invalid signatureVerification: %s", p, text(&e));
    } else if (*ts && strcmp(ts, "always") != 0 && strcmp(ts, "afterCertExpiry") != 0) {
        fail(why,
             "trust policy statement %s has invalid signatureVerification: verifyTimestamp "
             "must be \"always\" or \"afterCertExpiry\", but got %s",
             p, q(&b, ts));
    } else if (strcmp(level, "skip") == 0) {
        if (nstores || ntis)
            fail(why,
                 "trust policy statement %s is set to skip signature verification but "
                 "configured with trust stores and/or trusted identities, remove them if "
                 "signature verification needs to be skipped",
                 p);
    } else if (!nstores || !ntis) {
        fail(why,
             "trust policy statement %s is either missing trust stores or trusted "
             "identities, both must be specified",
             p);
    } else {
        for (size_t i = 0; !why->len && i < nstores; i++) {
            const char *store = item(stores, i), *colon = strchr(store, ':');
            char *type = colon ? ed_xstrndup(store, (size_t)(colon - store)) : NULL;
            char *qs = ed_xstrdup(q(&b, store));
            if (!colon)
                fail(why,
                     "trust policy statement %s has malformed trust store value %s. The "
                     "required format is <TrustStoreType>:<TrustStoreName>",
                     p, qs);
            else if (strcmp(type, "ca") != 0 && strcmp(type, "signingAuthority") != 0 &&
                     strcmp(type, "tsa") != 0)
                fail(why,
                     "trust policy statement %s uses an unsupported trust store type %s in "
                     "trust store value %s",
                     p, q(&b, type), qs);
            else if (!store_name_ok(colon + 1))
                fail(why,
                     "trust policy statement %s uses an unsupported trust store name %s in "
                     "trust store value %s. Named store name needs to follow "
                     "[a-zA-Z0-9_.-]+ format",
                     p, q(&b, colon + 1), qs);
            free(type);
            free(qs);
        }
        if (!why->len)
            check_identities(name, tis, why);
    }
    free(p);
    ed_buf_free(&b);
    ed_buf_free(&e);
    return !why->len;
}

static bool domain_ok(const char *s, size_t n)
{
    /* labels of [a-zA-Z0-9] with inner '-', joined by '.', then an optional :port */
    const char *colon = memchr(s, ':', n);
    size_t host = colon ? (size_t)(colon - s) : n;
    if (colon && (n - host < 2 || strspn(colon + 1, "0123456789") < n - host - 1))
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= host; i++) {
        if (i == host || s[i] == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (isalnum((unsigned char)s[i]) || (s[i] == '-' && label > 0)) {
            label++;
        } else {
            return false;
        }
    }
    return true;
}

/* One path component: [a-z0-9]+ joined by '.', '_', "__" or any run of '-'. */
static bool component_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 0;
        while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) {
            i++;
            run++;
        }
        if (run == 0)
            return false;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
        else
            while (i < n && s[i] == '-')
                i++;
        if (i == sep || i == n)
            return false;
    }
    return n > 0;
}

static bool scope_ok(const char *scope)
{
    const char *slash = strchr(scope, '/');
    if (!slash || slash == scope || !slash[1] || !domain_ok(scope, (size_t)(slash - scope)))
        return false;
    for (const char *c = slash + 1;;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (!component_ok(c, n))
            return false;
        if (!end)
            return true;
        c = end + 1;
    }
}

/* validateRegistryScopes. */
static bool check_scopes(const ed_node *policies, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    static const char ensure[] = "make sure it is a fully qualified repository without the "
                                 "scheme, protocol or tag. For example domain.com/my/repository "
                                 "or a local scope like local/myOCILayout";
    size_t n = ed_node_len(policies);
    for (size_t i = 0; !why->len && i < n; i++) {
        const ed_node *st = ed_node_at(policies, i);
        const ed_node *scopes = field(st, "registryScopes", true);
        size_t ns = scopes ? ed_node_len(scopes) : 0;
        char *p = ed_xstrdup(q(&b, str_field(st, "name")));
        if (ns == 0)
            fail(why,
                 "trust policy statement %s has zero registry scopes, it must specify "
                 "registry scopes with at least one value",
                 p);
        else if (ns > 1 && contains(scopes, "*"))
            fail(why,
                 "trust policy statement %s uses wildcard registry scope '*', a wildcard "
                 "scope cannot be used in conjunction with other scope values",
                 p);
        for (size_t j = 0; !why->len && j < ns; j++) {
            const char *scope = item(scopes, j);
            if (strcmp(scope, "*") == 0)
                continue;
            if (strlen(scope) > 1 && strchr(scope, '*'))
                fail(why, "registry scope %s with wild card(s) is not valid, %s", q(&b, scope),
                     ensure);
            else if (!scope_ok(scope))
                fail(why, "registry scope %s is not valid, %s", q(&b, scope), ensure);
        }
        free(p);
    }
    /* a scope in two statements (Go reports one of several in no set order; here the first) */
    for (size_t i = 0; !why->len && i < n; i++) {
        const ed_node *a = field(ed_node_at(policies, i), "registryScopes", true);
        for (size_t j = 0; !why->len && a && j < ed_node_len(a); j++) {
            int count = 0;
            for (size_t k = 0; k < n; k++) {
                const ed_node *s = field(ed_node_at(policies, k), "registryScopes", true);
                for (size_t m = 0; s && m < ed_node_len(s); m++)
                    count += strcmp(item(s, m), item(a, j)) == 0;
            }
            if (count > 1)
                fail(why,
                     "registry scope %s is present in multiple trust policy statements, one "
                     "registry scope value can only be associated with one statement",
                     q(&b, item(a, j)));
        }
    }
    ed_buf_free(&b);
    return !why->len;
}

static bool validate(const ed_node *root, ed_buf *why)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    const char *version = str_field(root, "version");
    const ed_node *policies = field(root, "trustPolicies", true);
    size_t n = policies ? ed_node_len(policies) : 0;
    if (!*version)
        fail(why, "trust policy document has empty version, version must be specified");
    else if (strcmp(version, "1.0") != 0)
        fail(why, "trust policy document uses unsupported version %s", q(&b, version));
    else if (n == 0)
        fail(why, "trust policy document can not have zero trust policy statements");
    for (size_t i = 0; !why->len && i < n; i++) {
        const ed_node *st = ed_node_at(policies, i);
        const char *name = str_field(st, "name");
        for (size_t j = 0; j < i && !why->len; j++)
            if (strcmp(str_field(ed_node_at(policies, j), "name"), name) == 0)
                fail(why,
                     "multiple trust policy statements use the same name %s, statement "
                     "names must be unique",
                     q(&b, name));
        ed_buf e = ED_BUF_INIT((size_t)1 << 20);
        if (!why->len && !check_statement(st, &e)) {
            fail(why, "trust policy: %s", text(&e));
        }
        ed_buf_free(&e);
    }
    if (!why->len)
        check_scopes(policies, why);
    ed_buf_free(&b);
    return !why->len;
}

int ed_cli_trust_policy_check(const char *data, size_t len, const char *file, char **error)
{
    ed_buf why = ED_BUF_INIT((size_t)1 << 20);
    struct json_in in = {.s = data, .len = len, .doc = ed_doc_new(), .why = &why};
    ed_node *root = read_value(&in, 0);
    if (root) {
        skip_space(&in);
        if (in.pos < in.len) {
            root = NULL;
            syntax(&in, "after top-level value");
        }
    }
    if (root) {
        ed_node_kind k = ed_node_kind_of(root);
        if (k != ED_NODE_MAP && k != ED_NODE_NULL)
            ed_buf_printf(&why,
                          "json: cannot unmarshal %s into Go value of type "
                          "trustpolicy.Document",
                          json_kind(root));
        else if (k == ED_NODE_MAP)
            check_struct(root, document_fields, "Document", "", &why);
    }
    int rc = 0;
    if (why.len) {
        *error = ed_xasprintf("failed to unmarshal trust policy %s: %s", file, text(&why));
        rc = 2;
    } else if (!validate(root, &why)) {
        *error = ed_xasprintf("invalid trust policy: %s", text(&why));
        rc = 2;
    }
    ed_buf_free(&why);
    ed_doc_free(in.doc);
    return rc;
}
