/*
 * doc: one document model for YAML and JSON, shared by every module above it: API objects
 * from the Kubernetes API server, manifests from Git, kustomization files, registry replies.
 *
 * A document is a tree of nodes: null, bool, int, float, string, sequence and mapping (keys
 * keep their order). Scalars are typed the way Kubernetes and kustomize (yaml.v3, the YAML 1.2
 * core schema) type them: `replicas: 3` is an int, `version: "3"` and `enabled: yes` are
 * strings, `~` and `null` are null. libfyaml does the parsing; the tree is eddy's own so that
 * types, key order and output format are under eddy's control (compact JSON, and YAML laid out
 * byte for byte as kustomize prints it).
 *
 * Memory: each document owns an arena; every node, string and mutation of a document is
 * allocated in it and released by ed_doc_free. Nodes are borrowed pointers that live as long
 * as their document. A node must only be attached to the document it was created in
 * (ed_node_copy moves a subtree between documents).
 */
#ifndef ED_DOC_H
#define ED_DOC_H

#include "../base/base.h"

typedef struct ed_doc ed_doc;
typedef struct ed_node ed_node;

typedef enum {
    ED_NODE_NULL,
    ED_NODE_BOOL,
    ED_NODE_INT,
    ED_NODE_FLOAT,
    ED_NODE_STR,
    ED_NODE_SEQ,
    ED_NODE_MAP,
} ed_node_kind;

/* Input size limits: a document larger than this is refused with ED_ETOOBIG, and nesting
 * deeper than ED_DOC_MAX_DEPTH with ED_EINVALID, so hostile input cannot exhaust the stack. */
#define ED_DOC_MAX_DEPTH 256

/* ---- parsing ---- */

/*
 * Parse one JSON text. On success *out is a new document the caller frees with ed_doc_free.
 * Errors: ED_EINVALID with the position ("line 3, column 5: ...") of the first problem.
 */
int ed_doc_parse_json(const char *data, size_t len, ed_doc **out, ed_err *err);

/*
 * ed_doc_parse_json for JSON a program wrote (the API server's replies and watch events, a
 * registry's, an exec plugin's ExecCredential, a .dockerconfigjson): twice as fast (json-c).
 * The same nodes for the same valid text, but a duplicate key keeps its last value (as Go's
 * decoder, which Flux reads them with, does) instead of failing, a surrogate pair escape (an
 * emoji, as Python writes it) is read where libyaml refuses it, and nodes carry no line. Text
 * a person wrote (a setter's comment) goes through ed_doc_parse_json.
 */
int ed_doc_parse_api_json(const char *data, size_t len, ed_doc **out, ed_err *err);

/*
 * Parse a YAML stream of any number of documents ("---" separated). Empty documents are
 * skipped, as kustomize does. On success *out is a new array of *count documents; free it with
 * ed_doc_list_free. `name` (a file name, may be NULL) prefixes error messages.
 * Errors: ED_EINVALID naming the line and column; duplicate mapping keys are errors, as in
 * kustomize.
 */
int ed_doc_parse_yaml(const char *data, size_t len, const char *name, ed_doc ***out, size_t *count,
                      ed_err *err);
void ed_doc_list_free(ed_doc **docs, size_t count);

/* ---- documents ---- */

/* A new empty document (its root is NULL). Never NULL. */
ed_doc *ed_doc_new(void);
void ed_doc_free(ed_doc *doc);
/* The root node, or NULL for an empty document. Borrowed. */
ed_node *ed_doc_root(const ed_doc *doc);
/* Make node (created in doc) the root. */
void ed_doc_set_root(ed_doc *doc, ed_node *node);
/* The document's arena, for temporaries that should live as long as the document. */
ed_arena *ed_doc_arena(ed_doc *doc);

/* ---- building nodes (all belong to doc) ---- */

ed_node *ed_node_new_null(ed_doc *doc);
ed_node *ed_node_new_bool(ed_doc *doc, bool value);
ed_node *ed_node_new_int(ed_doc *doc, int64_t value);
ed_node *ed_node_new_str(ed_doc *doc, const char *value);
ed_node *ed_node_new_strn(ed_doc *doc, const char *value, size_t len);
/* A float written as text (kept to print it the same way), value as strtod reads it. */
ed_node *ed_node_new_float(ed_doc *doc, double value, const char *text);
ed_node *ed_node_new_seq(ed_doc *doc);
ed_node *ed_node_new_map(ed_doc *doc);
/* A deep copy of src (from any document) into dst. */
ed_node *ed_node_copy(ed_doc *dst, const ed_node *src);

/* ---- reading ---- */

ed_node_kind ed_node_kind_of(const ed_node *node);
/* The name of a kind as in messages ("string", "mapping", ...). */
const char *ed_node_kind_name(ed_node_kind kind);
/* The string value, or NULL when node is NULL or not a string. */
const char *ed_node_str(const ed_node *node);
/* The length in bytes of a string's value, which may hold NUL bytes (a generated ConfigMap's
 * file); 0 when node is NULL or not a string. */
size_t ed_node_str_len(const ed_node *node);
/* The number of items of a sequence or pairs of a mapping; 0 for anything else. */
size_t ed_node_len(const ed_node *node);
/* Item i of a sequence, or NULL. */
ed_node *ed_node_at(const ed_node *seq, size_t i);
/* Key and value of pair i of a mapping, or NULL. */
const char *ed_node_key_at(const ed_node *map, size_t i);
ed_node *ed_node_value_at(const ed_node *map, size_t i);
/* True when key i of a parsed mapping was written as a plain string scalar (not quoted, no
 * tag), as YAML 1.1 readers type it; false for built and copied-in keys set since. */
bool ed_node_key_plain_at(const ed_node *map, size_t i);
/* The value under key in a mapping; NULL when absent or when map is not a mapping. */
ed_node *ed_node_get(const ed_node *map, const char *key);
/*
 * Follow a path of mapping keys and sequence indexes separated by '/', as in JSON pointer
 * ("/metadata/name", "/spec/template/spec/containers/0/image"; "~1" stands for '/' and "~0"
 * for '~' inside a key). Returns NULL when any step is missing.
 */
ed_node *ed_node_path(const ed_node *node, const char *path);
/* ed_node_str(ed_node_path(node, path)). */
const char *ed_node_path_str(const ed_node *node, const char *path);
/* True when node is a string that was parsed from a plain scalar (not quoted, no tag, no
 * block style): a text that YAML would type again if it changed (Flux's substitution needs it:
 * `replicas: ${n}` becomes a number, `"${n}"` stays a string). False for built nodes. */
bool ed_node_str_plain(const ed_node *node);
/* Integer and boolean values: true and *out set when node has that type. */
bool ed_node_int(const ed_node *node, int64_t *out);
bool ed_node_bool(const ed_node *node, bool *out);
/* A float's value (and its text as written, when text is not NULL); false for other kinds. */
bool ed_node_float(const ed_node *node, double *out, const char **text);
/* The text of a scalar as written in its source: a string's value, a float's text, and for a
 * boolean, integer or null parsed from YAML or JSON its text as written ("0755", "True", "~",
 * "" for an empty value); NULL for a built boolean, integer or null and for collections.
 * Borrowed from node's document. (kustomize keeps annotation values as this text.) */
const char *ed_node_scalar_text(const ed_node *node);
/* Line (1-based) where a parsed node started; 0 for built nodes. */
int ed_node_line(const ed_node *node);
/* Column (0-based) where a parsed node started; 0 for built nodes. */
int ed_node_col(const ed_node *node);
/* Give node (a built one, replacing a parsed one) the place of from: line and column. */
void ed_node_take_place(ed_node *node, const ed_node *from);
/* Deep equality (mapping key order ignored, sequence order significant). */
bool ed_node_equal(const ed_node *a, const ed_node *b);

/* ---- changing (map and seq must belong to doc; so must value) ---- */

/* Set key to value in a mapping, replacing an existing value in place or appending. */
void ed_node_set(ed_doc *doc, ed_node *map, const char *key, ed_node *value);
/* Append key and value to a mapping without looking for the key first: for building large
 * mappings in linear time when the caller knows every key is new (a repeated key would make a
 * mapping kustomize refuses). */
void ed_node_append_pair(ed_doc *doc, ed_node *map, const char *key, ed_node *value);
/* Remove key from a mapping; true when it was there. */
bool ed_node_remove(ed_node *map, const char *key);
void ed_node_append(ed_doc *doc, ed_node *seq, ed_node *value);
/* Remove item i of a sequence (later items move up); true when there was one. */
bool ed_node_remove_at(ed_node *seq, size_t i);
/* Replace item i of a sequence with value (a node of the same document); false when out of
 * range. */
bool ed_node_set_at(ed_node *seq, size_t i, ed_node *value);
/*
 * The mapping under each key of path (created as needed, like `mkdir -p`), starting at the
 * mapping node. Returns NULL when a step exists but is not a mapping.
 */
ed_node *ed_node_ensure_map(ed_doc *doc, ed_node *node, const char *path);

/* ---- output ---- */

/* Append node as compact JSON. Returns 0, ED_ETOOBIG when out's cap is reached, or ED_EINVALID
 * for a value JSON cannot hold (.inf, .nan). */
int ed_node_to_json(const ed_node *node, ed_buf *out);

/*
 * Append node as YAML exactly as `kubectl kustomize` prints an object (src/doc/emit.c says
 * how): mapping keys sorted in go-yaml v2's order, two-space indent, sequences in mappings not
 * indented, strings quoted only where they would read back as another type or where YAML
 * forbids plain style, multi-line strings as literal blocks, long values folded at 80 columns,
 * and numbers as they come out of a round trip through JSON. Ends with a newline.
 * Returns 0, ED_ETOOBIG when out's cap is reached, or ED_EINVALID for .inf and .nan (which
 * kustomize cannot print either).
 */
int ed_node_to_yaml(const ed_node *node, ed_buf *out);
/* Append the documents as one YAML stream, separated by "---" lines, as kustomize prints a
 * build; nothing for count 0. Errors as ed_node_to_yaml. */
int ed_doc_list_to_yaml(ed_doc *const *docs, size_t count, ed_buf *out);
/* A comment of a YAML text: its line (1-based), column (0-based) and the text after '#'. */
typedef struct ed_yaml_comment {
    int line, col;
    char *text;
} ed_yaml_comment;
/*
 * The comments of a YAML stream (its lines whose first character other than spaces is a '#'
 * outside every token: not inside a block scalar), in order, and the lines of its explicit
 * document starts ("---"). Both malloc'd (free the texts too: ed_yaml_comments_free).
 * ED_EINVALID when the text does not scan as YAML.
 */
int ed_yaml_comments(const char *data, size_t len, ed_yaml_comment **comments, size_t *count,
                     int **doc_starts, size_t *starts, ed_err *err);
void ed_yaml_comments_free(ed_yaml_comment *comments, size_t count);
/*
 * Append the documents as sops's YAML store writes a decrypted file (yaml.v3's encoder with an
 * indent of 4, what Flux's kustomize-controller puts in a Secret for a secretGenerator's
 * encrypted YAML file): mappings in document order, a block nested at the next multiple of
 * four past its key and two past a sequence's dash, sequences in mappings indented, no folding
 * of long scalars, floats as Go's strconv 'g' format writes them (1, 1e+06, -0, .inf), strings
 * quoted as ed_node_to_yaml quotes them but "<<", which yaml.v3 writes "!!merge <<"; documents
 * separated by "---" lines. Errors as ed_node_to_yaml, except that .inf and .nan are written.
 * comments (count of them, in line order; may be NULL) are written where they stood among the
 * parsed keys and items (each before the first key or item that came after it in the text,
 * at the column where the keys or items of its column are written; the rest at the end of the
 * document whose text held them: doc_starts are the lines of the documents' "---").
 */
int ed_doc_list_to_yaml_sops(ed_doc *const *docs, size_t count, const ed_yaml_comment *comments,
                             size_t ncomments, const int *doc_starts, size_t starts, ed_buf *out);

/* ---- CEL expressions (cel.c) ---- */

/*
 * A parsed Common Expression Language expression, as Flux evaluates Kustomization's
 * spec.healthCheckExprs and spec.dependsOn[].readyExpr: parsed (and readyExpr checked, see
 * ed_cel_check) and evaluated over JSON values, with cel-go's standard functions, optionals
 * (`.?field`, `[?key]`, optional.of...), ext.Strings, ext.Sets, ext.Encoders, timestamp() and
 * duration() (UTC or a fixed offset for their getters, no named time zones). type() is not
 * there. Immutable once parsed: one may be evaluated by several threads at once.
 */
typedef struct ed_cel ed_cel;

/*
 * Parse expr. On success *out is a new expression the caller frees with ed_cel_free.
 * Errors: ED_EINVALID with Flux's message, "failed to parse the CEL expression '<expr>':
 * ERROR: <input>:1:5: Syntax error: ..." (also for text longer than 100000 bytes or nested
 * deeper than 128). Messages quote an expression longer than 1024 bytes cut, with "...".
 */
int ed_cel_parse(const char *expr, ed_cel **out, ed_err *err);

/*
 * Check c as Flux compiles an expression (cel-go's Compile, with variables vars[0..nvars),
 * borrowed, declared google.protobuf.Struct, and with want_bool the output type bool), as far
 * as the syntax decides without the variables' values. Returns 0 when c passes, else
 * ED_EINVALID with cel-go's message: a name that is not a variable, a macro's variable, nor a
 * function or type of Flux's environment is "failed to parse the CEL expression '<expr>':
 * ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')" (one line each); with
 * want_bool, a result known not to be bool (dyn included, as a field of a variable is) is "CEL
 * expression output type mismatch: expected bool, got string". Type errors the syntax does
 * not decide are left to ed_cel_eval_bool.
 */
int ed_cel_check(const ed_cel *c, const char *const *vars, size_t nvars, bool want_bool,
                 ed_err *err);

/*
 * Evaluate c with the variables of vars (a mapping node: each key is a variable, each value
 * its JSON value; borrowed) and set *result. The result must be a bool, else ED_EINVALID
 * "failed to evaluate CEL expression as boolean: '<expr>'"; an evaluation error (a missing
 * key, an overflow, an unknown function) is ED_EINVALID "failed to evaluate the CEL expression
 * '<expr>': no such key: conditions". *result is false on error.
 */
int ed_cel_eval_bool(const ed_cel *c, const ed_node *vars, bool *result, ed_err *err);
void ed_cel_free(ed_cel *c);

/* ---- label selectors (label_selector.c) ---- */

/*
 * A label selector in Kubernetes' string form (`app=web,tier!=db,env in (a,b),!legacy`), as
 * apimachinery's labels.Parse reads it: what Flux's --watch-label-selector and kustomize's
 * labelSelector and annotationSelector (patch and replacement targets) take. Immutable once
 * parsed.
 */
typedef struct ed_label_selector ed_label_selector;

/*
 * Parse text as Kubernetes' labels.Parse does ("" or NULL: every object) into *out (the
 * caller's, freed with ed_label_selector_free). Returns 0, or ED_EINVALID with Kubernetes'
 * message in err ("unable to parse requirement: found '', expected: identifier", ...).
 */
int ed_label_selector_parse(const char *text, ed_label_selector **out, ed_err *err);
/* As ed_label_selector_parse, with the messages of the older copy of labels.Parse that
 * kustomize's kyaml holds (what kubectl kustomize and Flux print for a bad labelSelector or
 * annotationSelector of a patch or replacement target): the same grammar and the same grammar
 * errors, but a bad key is "invalid label key \"<key>\": ...", a bad value "invalid label
 * value: \"<value>\": at key: \"<key>\": ..." (the first one only), and a `>` or `<` value
 * that is no integer "for 'Gt', 'Lt' operators, the value must be an integer". */
int ed_label_selector_parse_kyaml(const char *text, ed_label_selector **out, ed_err *err);
/* Whether labels (a string map such as metadata.labels or metadata.annotations, or NULL for
 * none) satisfy every requirement of sel; a NULL sel matches every object. */
bool ed_label_selector_matches(const ed_label_selector *sel, const ed_node *labels);
void ed_label_selector_free(ed_label_selector *sel);
/* As ed_label_selector_parse, for a selector that Kubernetes turns into a LabelSelector object
 * (metav1.ParseToLabelSelector: what Flux's --watch-label-selector goes through): a parse error
 * is wrapped as "couldn't parse the selector string \"<text>\": ...", and `!=`, `>` and `<`,
 * which that object cannot hold, are refused. */
int ed_label_selector_parse_watch(const char *text, ed_label_selector **out, ed_err *err);

#endif
