/*
 * Private to the doc module: the layout of documents and nodes.
 */
#ifndef ED_DOC_INT_H
#define ED_DOC_INT_H

#include "doc.h"

typedef struct ed_pair {
    const char *key; /* NULL for sequence items */
    ed_node *value;
    bool key_plain; /* the key was parsed from a plain string scalar */
    int key_line; /* where a parsed key stands, 1-based line and 0-based column; 0, 0 when built */
    int key_col;
} ed_pair;

struct ed_node {
    ed_node_kind kind;
    int line;   /* where a parsed node started, 1-based; 0 when built */
    int col;    /* and its column, 0-based */
    bool plain; /* a string written as a plain (unquoted, untagged) scalar */
    /* Booleans, integers and nulls parsed from YAML or JSON keep their text as written
     * (ed_node_scalar_text); built ones have NULL there. */
    union {
        struct {
            bool value;
            const char *text;
        } b;
        struct {
            int64_t value;
            const char *text;
        } i;
        struct {
            const char *text;
        } z; /* null */
        struct {
            double value;
            const char *text; /* as written, to reproduce it exactly */
        } f;
        struct {
            const char *text;
            size_t len;
        } s;
        struct {
            ed_pair *items;
            size_t len, cap;
        } c; /* sequences and mappings */
    } u;
};

struct ed_doc {
    ed_arena *arena;
    ed_node *root;
};

#define ED_DOC_ASSERT(cond) ED_ASSERT(cond)

ed_node *ed_doc_node_alloc(ed_doc *doc, ed_node_kind kind);
ed_node *ed_doc_node_new_float(ed_doc *doc, double value, const char *text, size_t len);
/* Record the text a parsed boolean, integer or null was written as (copied into doc). */
void ed_doc_node_set_text(ed_doc *doc, ed_node *n, const char *text, size_t len);

/* The largest input accepted in one parse. Manifests and API replies are far smaller; the cap
 * keeps a hostile input from turning into gigabytes of nodes. */
#define ED_DOC_MAX_INPUT ((size_t)256 << 20)
/* The longest number read: longer ones are no number a person or program meant. */
#define ED_DOC_MAX_NUMBER 127

/* The byte offset of the first character of s that YAML does not allow in a stream (invalid
 * UTF-8, a surrogate, a control character other than tab and line breaks), or len when every
 * one is allowed; *what says why. */
size_t ed_doc_check_text(const unsigned char *s, size_t len, const char **what);
/* YAML limits implicit keys to 1024 characters of source, so a key whose JSON form (quotes
 * and escapes included) is longer could not be read back from the JSON eddy writes: both
 * parsers refuse such keys. */
bool ed_doc_key_too_long(const char *key);
/* The 1-based line and column (in characters) of byte offset off in data. */
void ed_doc_text_position(const char *data, size_t off, size_t *line, size_t *column);

#endif
