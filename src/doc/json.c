/*
 * JSON written by a program (the API server's replies and watch events, registries' replies,
 * exec plugins' credentials, .dockerconfigjson) parsed with json-c: twice as fast as the
 * libyaml path of ed_doc_parse_json (28 against 56 us for a 3 KB watch event of a Deployment),
 * which was a fifth of the agent's CPU at 1,000 Kustomizations (bench/kustomization, perf).
 * json-c's tokener runs strict (RFC 8259: no comments, no single quotes, no trailing commas,
 * nothing after the value); the text is checked first as the libyaml path checks it (UTF-8,
 * control characters), then json-c's tree is copied into a document.
 *
 * For the same valid JSON text the nodes are those of ed_doc_parse_json (differential unit
 * test and fuzz target), but a duplicate key keeps its last value (as Go's decoder does)
 * instead of failing, and a surrogate pair escape is read where libyaml refuses it. An integer
 * json-c may have clamped sends the text to the libyaml parser. Nodes carry no line. Text a
 * person wrote (manifests, setter comments) goes through ed_doc_parse_json, which reports
 * duplicates and positions.
 */
#include "doc_int.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

struct copy_state {
    ed_err *err;
    bool fallback; /* the text holds what json-c may have misread: parse it with libyaml */
};

/* Copies v into doc; NULL when it cannot be (err set, or st->fallback). */
static ed_node *copy(struct copy_state *st, ed_doc *doc, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return ed_node_new_null(doc);
    case json_type_boolean:
        return ed_node_new_bool(doc, json_object_get_boolean(v));
    case json_type_int: {
        /* json-c reads a positive integer past INT64_MAX as unsigned, and clamps one past 64
         * bits to UINT64_MAX (a negative one to INT64_MIN) without a word: those two values
         * may not be what was written, so such a text goes to the libyaml parser instead. */
        int64_t i = json_object_get_int64(v);
        uint64_t u = i == INT64_MAX ? json_object_get_uint64(v) : 0;
        if (i == INT64_MIN || u == UINT64_MAX) {
            st->fallback = true;
            return NULL;
        }
        if (u > (uint64_t)INT64_MAX) {
            char text[32];
            int n = snprintf(text, sizeof(text), "%" PRIu64, u);
            return ed_doc_node_new_float(doc, (double)u, text, (size_t)n);
        }
        return ed_node_new_int(doc, i);
    }
    case json_type_double: {
        /* The tokener keeps a number's text: json_object_get_string gives it back as written.
         * Strict as it is, it takes NaN and Infinity, which JSON has not. */
        const char *text = json_object_get_string(v);
        const char *digit = text + (*text == '-');
        if (*digit < '0' || *digit > '9') {
            ed_err_set(st->err, ED_EINVALID, "not JSON: %s", text);
            return NULL;
        }
        size_t n = strlen(text);
        if (n > ED_DOC_MAX_NUMBER) {
            ed_err_set(st->err, ED_EINVALID, "a number of %zu characters", n);
            return NULL;
        }
        return ed_doc_node_new_float(doc, json_object_get_double(v), text, n);
    }
    case json_type_string:
        return ed_node_new_strn(doc, json_object_get_string(v),
                                (size_t)json_object_get_string_len(v));
    case json_type_array: {
        ed_node *seq = ed_node_new_seq(doc);
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            ed_node *item = copy(st, doc, json_object_array_get_idx(v, i));
            if (!item)
                return NULL;
            ed_node_append(doc, seq, item);
        }
        return seq;
    }
    case json_type_object: {
        ed_node *map = ed_node_new_map(doc);
        json_object_object_foreach(v, key, val)
        {
            if (ed_doc_key_too_long(key)) {
                ed_err_set(st->err, ED_EINVALID,
                           "a mapping key is too long (over 1024 characters as JSON)");
                return NULL;
            }
            ed_node *item = copy(st, doc, val);
            if (!item)
                return NULL;
            ed_node_append_pair(doc, map, key, item); /* json-c merged duplicates */
        }
        return map;
    }
    }
    ed_err_set(st->err, ED_EINVALID, "unexpected JSON value");
    return NULL;
}

/* What json-c lets through that JSON has not: a control character inside a string (JSON
 * wants it escaped; json-c takes it raw, and libyaml folds a raw line break into a space), and
 * an integer part with a leading zero ("01", "-00": json-c reads them, as libyaml does, but
 * not always to the same number). Returns the offset of the first one, or len, with *what. */
static size_t scan(const char *data, size_t len, const char **what)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (in_string) {
            if (c == '\\') {
                i++; /* the escaped character, whatever it is: json-c checks escapes */
            } else if (c == '"') {
                in_string = false;
            } else if (c < 0x20) {
                *what = "a control character in a string";
                return i;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            continue;
        }
        if (c != '0' || i + 1 >= len || data[i + 1] < '0' || data[i + 1] > '9')
            continue;
        /* A zero followed by a digit: the first digit of an integer part (not of a fraction
         * or an exponent) when what precedes it, past a sign, is not part of the number. */
        size_t j = i;
        if (j > 0 && data[j - 1] == '-')
            j--;
        char before = ' ';
        if (j > 0)
            before = data[j - 1];
        if (!((before >= '0' && before <= '9') || before == '.' || before == 'e' || before == 'E' ||
              before == '+' || before == '-')) {
            *what = "a number with a leading zero";
            return i;
        }
    }
    return len;
}

int ed_doc_parse_api_json(const char *data, size_t len, ed_doc **out, ed_err *err)
{
    *out = NULL;
    if (len > ED_DOC_MAX_INPUT)
        return ed_err_set(err, ED_ETOOBIG, "input of %zu bytes is larger than the %zu MiB limit",
                          len, ED_DOC_MAX_INPUT >> 20);
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", data[start]))
        start++;
    if (start == len)
        return ed_err_set(err, ED_EINVALID, "empty JSON text");
    /* The characters the libyaml path accepts, no more: what one parser reads, the other can
     * read back from the JSON eddy writes of it. */
    const char *what = NULL;
    size_t bad = ed_doc_check_text((const unsigned char *)data, len, &what);
    if (bad == len)
        bad = scan(data, len, &what);
    if (bad < len) {
        size_t line, column;
        ed_doc_text_position(data, bad, &line, &column);
        return ed_err_set(err, ED_EINVALID, "line %zu, column %zu: not JSON: %s", line, column,
                          what);
    }

    struct json_tokener *tok = json_tokener_new_ex(ED_DOC_MAX_DEPTH + 1);
    if (!tok)
        return ed_err_set(err, ED_ERROR, "cannot create the JSON parser");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT); /* UTF-8 checked above */
    /* json-c takes an int length: ED_DOC_MAX_INPUT is well under INT_MAX. */
    struct json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A number or literal at the very end is complete only once something follows it. */
        root = json_tokener_parse_ex(tok, " ", 1);
        jerr = json_tokener_get_error(tok);
        end = len;
    }
    int rc = 0;
    if (jerr == json_tokener_continue) {
        rc = ed_err_set(err, ED_EINVALID, "not JSON: the text ends inside a value");
    } else if (jerr != json_tokener_success) {
        size_t line, column;
        ed_doc_text_position(data, end, &line, &column);
        rc = ed_err_set(err, ED_EINVALID, "line %zu, column %zu: not JSON: %s", line, column,
                        jerr == json_tokener_error_depth ? "nesting too deep"
                                                         : json_tokener_error_desc(jerr));
    } else {
        while (end < len && strchr(" \t\r\n", data[end]))
            end++;
        if (end < len) {
            size_t line, column;
            ed_doc_text_position(data, end, &line, &column);
            rc = ed_err_set(err, ED_EINVALID,
                            "line %zu, column %zu: not JSON: more after the value", line, column);
        }
    }
    json_tokener_free(tok);
    struct copy_state st = {.err = err};
    if (rc == 0) {
        ed_doc *doc = ed_doc_new();
        if (root) { /* JSON null is a valid text: an empty document */
            doc->root = copy(&st, doc, root);
            if (!doc->root) {
                ed_doc_free(doc);
                doc = NULL;
                rc = st.fallback ? 0 : err ? err->code : ED_EINVALID;
            }
        }
        *out = doc;
    }
    json_object_put(root);
    if (st.fallback)
        return ed_doc_parse_json(data, len, out, err);
    return rc;
}
