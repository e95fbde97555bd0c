/*
 * What kustomize's way of printing a build does to values. kustomize turns each object into a
 * Go map (yaml.v3) and that into JSON before it writes YAML, and it reads and writes
 * metadata.annotations back as strings when it removes its own build annotations:
 *
 *   - every top-level annotation value becomes a string, the scalar's text as written
 *     (`port: 8080` is "8080"); an empty or null annotations mapping is dropped;
 *   - elsewhere, a plain scalar yaml.v3 reads as a timestamp (2024-01-01, 2024-01-01 10:00:00,
 *     2024-01-01T10:00:00.5+02:00) becomes a time and then Go's JSON text of it, RFC 3339
 *     with nanoseconds ("2024-01-01T00:00:00Z"); a list's items go through the same map and
 *     JSON when kustomize inlines them, annotations included.
 *
 * Numbers and booleans need nothing here: the emitter prints them as Go's JSON would.
 */
#include "kustomize_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- annotations ---- */

/* The string kustomize makes of an annotation's value: a scalar's text as written ("8080",
 * "true", "0755", "~"), a built scalar's JSON text, and "" for a mapping or sequence. */
static ed_node *annotation_string(ed_doc *doc, const ed_node *v)
{
    const char *text = ed_node_scalar_text(v);
    if (text)
        return ed_node_new_str(doc, text);
    if (ed_node_kind_of(v) == ED_NODE_MAP || ed_node_kind_of(v) == ED_NODE_SEQ)
        return ed_node_new_str(doc, "");
    ed_buf b = ED_BUF_INIT(1 << 10);
    (void)ed_node_to_json(v, &b);
    ed_node *s = ed_node_new_strn(doc, b.data ? b.data : "", b.len);
    ed_buf_free(&b);
    return s;
}

void ks_finish_annotations(ks_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        ed_doc *doc = l->items[i].doc;
        ed_node *meta = ed_node_get(ed_doc_root(doc), "metadata");
        ed_node *ann = ed_node_get(meta, "annotations");
        if (ann && (ed_node_kind_of(ann) == ED_NODE_NULL ||
                    (ed_node_kind_of(ann) == ED_NODE_MAP && ed_node_len(ann) == 0))) {
            ed_node_remove(meta, "annotations");
            continue;
        }
        for (size_t k = 0; k < ed_node_len(ann); k++) {
            const ed_node *v = ed_node_value_at(ann, k);
            if (ed_node_kind_of(v) != ED_NODE_STR)
                ed_node_set(doc, ann, ed_node_key_at(ann, k), annotation_string(doc, v));
        }
    }
}

/* ---- timestamps ---- */

/* Go's getnum: one or two digits. */
static bool two_digits(const char **p, int *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    *out = *s - '0';
    s++;
    if (*s >= '0' && *s <= '9')
        *out = *out * 10 + (*s++ - '0');
    *p = s;
    return true;
}

static int days_in(int month, int year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/*
 * Read s as yaml.v3 reads a plain scalar as a timestamp: Go's time.Parse with the layouts
 * "2006-1-2T15:4:5.999999999Z07:00" (also with 't'), "2006-1-2 15:4:5.999999999" (one or more
 * spaces) and "2006-1-2", and write Go's RFC 3339 text of that time into out. Returns false
 * when s is no timestamp; *bad_zone is set when it is one Go's JSON cannot write (an offset of
 * 24 hours or more, which time.Parse takes and Time.MarshalJSON refuses).
 */
static bool go_timestamp(const char *s, char *out, size_t cap, bool *bad_zone)
{
    *bad_zone = false;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (s[4] != '-')
        return false;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    const char *p = s + 5;
    int month, day, hour = 0, min = 0, sec = 0, nsec = 0, offset = 0; /* offset in minutes */
    if (!two_digits(&p, &month) || *p++ != '-' || !two_digits(&p, &day))
        return false;
    if (month < 1 || month > 12)
        return false;
    if (*p) {
        bool zone;
        if (*p == 'T' || *p == 't') {
            zone = true;
            p++;
        } else if (*p == ' ') {
            zone = false;
            while (*p == ' ')
                p++;
        } else {
            return false;
        }
        if (!two_digits(&p, &hour) || *p++ != ':' || !two_digits(&p, &min) || *p++ != ':' ||
            !two_digits(&p, &sec))
            return false;
        if (hour >= 24 || min >= 60 || sec >= 60)
            return false;
        if ((p[0] == '.' || p[0] == ',') && p[1] >= '0' && p[1] <= '9') {
            p++;
            int ndigits = 0;
            for (; *p >= '0' && *p <= '9'; p++)
                if (ndigits < 9) {
                    nsec = nsec * 10 + (*p - '0');
                    ndigits++;
                }
            for (; ndigits < 9; ndigits++)
                nsec *= 10;
        }
        if (zone) {
            if (*p == 'Z') {
                p++;
            } else {
                if ((p[0] != '+' && p[0] != '-') || strlen(p) < 6 || p[3] != ':')
                    return false;
                for (int i = 1; i < 6; i++)
                    if (i != 3 && (p[i] < '0' || p[i] > '9'))
                        return false;
                int oh = (p[1] - '0') * 10 + (p[2] - '0');
                int om = (p[4] - '0') * 10 + (p[5] - '0');
                if (oh > 24 || om > 60)
                    return false;
                offset = (oh * 60 + om) * (p[0] == '-' ? -1 : 1);
                p += 6;
            }
        }
    }
    if (*p || day < 1 || day > days_in(month, year))
        return false;
    char frac[16] = "";
    if (nsec) {
        snprintf(frac, sizeof(frac), ".%09d", nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    char zone[16] = "Z";
    if (abs(offset) >= 24 * 60) {
        *bad_zone = true;
        return true;
    }
    if (offset)
        snprintf(zone, sizeof(zone), "%c%02d:%02d", offset < 0 ? '-' : '+', abs(offset) / 60,
                 abs(offset) % 60);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", year, month, day, hour, min, sec, frac,
             zone);
    return true;
}

/* *r is the node itself, or a new string of its time's text when it is a plain timestamp;
 * ED_EINVALID for a time or a number Go's JSON cannot write (key names the field, for the
 * message). */
static int retyped(ed_doc *doc, ed_node *v, const char *key, ed_node **r, ed_err *err)
{
    char text[64];
    bool bad_zone;
    const char *s = ed_node_str(v);
    double f;
    *r = v;
    /* .inf and .nan: Go's JSON has no text for them either */
    if (ed_node_kind_of(v) == ED_NODE_FLOAT && ed_node_float(v, &f, NULL) && !isfinite(f))
        return ed_err_set(err, ED_EINVALID, "%s%s%sjson: unsupported value: %s",
                          key ? "field '" : "", key ? key : "", key ? "': " : "",
                          isnan(f) ? "NaN"
                          : f > 0  ? "+Inf"
                                   : "-Inf");
    if (!ed_node_str_plain(v) || !s || !go_timestamp(s, text, sizeof(text), &bad_zone))
        return 0;
    if (bad_zone)
        return ed_err_set(err, ED_EINVALID,
                          "%s%s%s%s: json: error calling MarshalJSON for type time.Time: "
                          "Time.MarshalJSON: timezone hour outside of range [0,23]",
                          key ? "field '" : "", key ? key : "", key ? "': " : "", s);
    *r = ed_node_new_str(doc, text);
    return 0;
}

static int timestamps_walk(ed_doc *doc, ed_node *node, const ed_node *skip, int depth, ed_err *err)
{
    if (depth > ED_DOC_MAX_DEPTH || node == skip)
        return 0;
    bool map = ed_node_kind_of(node) == ED_NODE_MAP;
    if (!map && ed_node_kind_of(node) != ED_NODE_SEQ)
        return 0;
    for (size_t i = 0; i < ed_node_len(node); i++) {
        ed_node *v = map ? ed_node_value_at(node, i) : ed_node_at(node, i);
        const char *key = map ? ed_node_key_at(node, i) : NULL;
        ed_node *r;
        int rc = retyped(doc, v, key, &r, err);
        if (!rc && r == v)
            rc = timestamps_walk(doc, v, skip, depth + 1, err);
        else if (!rc && map)
            ed_node_set(doc, node, key, r);
        else if (!rc)
            ed_node_set_at(node, i, r);
        if (rc)
            return rc;
    }
    return 0;
}

int ks_timestamps_as_go(ed_doc *doc, bool annotations, ed_err *err)
{
    ed_node *root = ed_doc_root(doc);
    const ed_node *skip =
        annotations ? NULL : ed_node_get(ed_node_get(root, "metadata"), "annotations");
    return timestamps_walk(doc, root, skip, 0, err);
}

/* ---- YAML 1.1 and JSON, where kustomize goes through them ---- */

/* True for the words YAML 1.1 reads as booleans and YAML 1.2 (eddy's parser, as kustomize's)
 * as strings. */
static bool yaml11_bool(const char *s, bool *value)
{
    static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL};
    static const char *const no[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL};
    for (size_t i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *value = strcmp(s, yes[i]) == 0;
            return true;
        }
    return false;
}

/* An integer YAML 1.2 reads in 0o notation, which YAML 1.1 leaves a string. */
static bool yaml12_octal(const ed_node *v)
{
    const char *text = ed_node_scalar_text(v);
    if (ed_node_kind_of(v) != ED_NODE_INT || !text)
        return false;
    if (*text == '-' || *text == '+')
        text++;
    return text[0] == '0' && (text[1] == 'o' || text[1] == 'O');
}

void ks_retype_yaml11(ed_doc *d, ed_node *v, ed_node **out)
{
    *out = v;
    ed_node_kind k = ed_node_kind_of(v);
    bool b;
    if (k == ED_NODE_STR && ed_node_str_plain(v) && yaml11_bool(ed_node_str(v), &b)) {
        *out = ed_node_new_bool(d, b);
        return;
    }
    if (yaml12_octal(v)) {
        *out = ed_node_new_str(d, ed_node_scalar_text(v));
        return;
    }
    if (k != ED_NODE_MAP && k != ED_NODE_SEQ)
        return;
    size_t n = ed_node_len(v);
    ed_node **items = ed_xcalloc(n ? n : 1, sizeof(ed_node *));
    bool changed = false, renamed = false;
    for (size_t i = 0; i < n; i++) {
        ed_node *item = k == ED_NODE_MAP ? ed_node_value_at(v, i) : ed_node_at(v, i);
        ks_retype_yaml11(d, item, &items[i]);
        changed |= items[i] != item;
        renamed |=
            k == ED_NODE_MAP && ed_node_key_plain_at(v, i) && yaml11_bool(ed_node_key_at(v, i), &b);
    }
    if (renamed) {
        /* a plain key y, on, off, ... is a boolean too, and its text "true" or "false" the
         * key (YAMLToJSON); a later pair wins over an earlier one it now shares a key with */
        *out = ed_node_new_map(d);
        for (size_t i = 0; i < n; i++) {
            const char *key = ed_node_key_at(v, i);
            if (ed_node_key_plain_at(v, i) && yaml11_bool(key, &b))
                key = b ? "true" : "false";
            ed_node_set(d, *out, key, items[i]);
        }
    } else if (changed && k == ED_NODE_MAP) {
        for (size_t i = 0; i < n; i++)
            ed_node_set(d, v, ed_node_key_at(v, i), items[i]);
    } else if (changed) {
        *out = ed_node_new_seq(d);
        for (size_t i = 0; i < n; i++)
            ed_node_append(d, *out, items[i]);
    }
    free(items);
}

/* Go's strconv.FormatFloat(v, 'g', -1, 64), the text kustomize gives a float it read back
 * from JSON: the shortest digits that read back as v, in %e form (exponent of two digits at
 * least) when the exponent is below -4 or from 6 on, else in %f form. */
static void go_float_text(double v, char *out, size_t cap)
{
    char e[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e[+-]XX: its digits and exponent */
    char digits[24];
    size_t nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.' && nd + 1 < sizeof(digits))
            digits[nd++] = *p;
    digits[nd] = '\0';
    int exp = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    if (v == 0)
        exp = 0;
    if (exp < -4 || exp >= 6) {
        snprintf(out, cap, "%s%c%s%se%c%02d", neg ? "-" : "", digits[0], nd > 1 ? "." : "",
                 digits + 1, exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    ed_buf b = ED_BUF_INIT(1 << 10);
    if (neg)
        (void)ed_buf_append_str(&b, "-");
    if (exp < 0) {
        (void)ed_buf_append_str(&b, "0.");
        for (int i = 0; i < -exp - 1; i++)
            (void)ed_buf_append_str(&b, "0");
        (void)ed_buf_append_str(&b, digits);
    } else {
        for (int i = 0; i <= exp || i < (int)nd; i++) {
            if (i == exp + 1)
                (void)ed_buf_append_str(&b, ".");
            (void)ed_buf_append(&b, i < (int)nd ? &digits[i] : "0", 1);
        }
    }
    snprintf(out, cap, "%s", b.data ? b.data : "0");
    ed_buf_free(&b);
}

/* Give every float the text kustomize gives it after a JSON round trip (go_float_text). */
static void floats_as_go(ed_doc *doc, ed_node *node, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    bool map = ed_node_kind_of(node) == ED_NODE_MAP;
    if (!map && ed_node_kind_of(node) != ED_NODE_SEQ)
        return;
    for (size_t i = 0; i < ed_node_len(node); i++) {
        ed_node *v = map ? ed_node_value_at(node, i) : ed_node_at(node, i);
        double f;
        const char *text;
        if (ed_node_float(v, &f, &text)) {
            char go[64];
            go_float_text(f, go, sizeof(go));
            if (strcmp(go, text) == 0)
                continue;
            ed_node *r = ed_node_new_float(doc, f, go);
            if (map)
                ed_node_set(doc, node, ed_node_key_at(node, i), r);
            else
                ed_node_set_at(node, i, r);
        } else {
            floats_as_go(doc, v, depth + 1);
        }
    }
}

int ks_json_roundtrip(ed_doc **doc, ed_err *err)
{
    ed_buf text = ED_BUF_INIT((size_t)256 << 20);
    ed_doc *back = NULL;
    int rc = ed_node_to_json(ed_doc_root(*doc), &text);
    if (rc)
        rc = ed_err_set(err, rc,
                        "the object cannot be written as JSON (an infinite or NaN number?)");
    else
        rc = ed_doc_parse_api_json(text.data, text.len, &back, err);
    ed_buf_free(&text);
    if (rc)
        return rc;
    floats_as_go(back, ed_doc_root(back), 0);
    ed_doc_free(*doc);
    *doc = back;
    return 0;
}

void ks_drop_merge_keys(ed_node *node, int depth)
{
    if (depth > ED_DOC_MAX_DEPTH)
        return;
    if (ed_node_kind_of(node) == ED_NODE_MAP)
        ed_node_remove(node, "<<");
    if (ed_node_kind_of(node) != ED_NODE_MAP && ed_node_kind_of(node) != ED_NODE_SEQ)
        return;
    for (size_t i = 0; i < ed_node_len(node); i++)
        ks_drop_merge_keys(ed_node_kind_of(node) == ED_NODE_MAP ? ed_node_value_at(node, i)
                                                                : ed_node_at(node, i),
                           depth + 1);
}

/* ---- keys kustomize writes plain ---- */

/* What yaml.v3 reads key as when it is written as a plain scalar, the way kustomize writes the
 * keys it adds (labels, annotations, generated data): NULL for a string, else the type. */
static const char *plain_key_type(const char *key)
{
    char text[64];
    bool bad_zone;
    if (!*key)
        return "null";
    if (go_timestamp(key, text, sizeof(text), &bad_zone))
        return "timestamp";
    /* only such keys can read as a null, boolean or number */
    if (strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") !=
        strlen(key))
        return NULL;
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    const char *type = NULL;
    if (ed_doc_parse_yaml(key, strlen(key), NULL, &docs, &n, &err) == 0 && n == 1) {
        ed_node_kind kind = ed_node_kind_of(ed_doc_root(docs[0]));
        if (kind == ED_NODE_BOOL || kind == ED_NODE_INT || kind == ED_NODE_FLOAT)
            type = ed_node_kind_name(kind);
    } else if (n == 0 && !err.msg[0]) {
        type = "null"; /* "~", "null": the parser drops a null document */
    }
    ed_doc_list_free(docs, n);
    return type;
}

int ks_check_plain_keys(const ed_node *map, const char *kfile, const char *where, ed_err *err)
{
    for (size_t i = 0; i < ed_node_len(map); i++) {
        const char *key = ed_node_key_at(map, i);
        const char *type = plain_key_type(key);
        if (type)
            return ed_err_set(err, ED_EINVALID,
                              "%s: %s: the key '%s' is written plain and read back as %s %s, not "
                              "a string: kustomize fails on it (json: unsupported type: "
                              "map[interface {}]interface {})",
                              kfile, where, key, strchr("aeiou", type[0]) ? "an" : "a", type);
    }
    return 0;
}
