/*
 * libFuzzer target for the doc parsers, which read untrusted input (manifests from Git, replies
 * from API servers and registries). For any input: parsing as YAML, as JSON and as API JSON
 * (json-c) never crashes, leaks or overflows; whatever parses round-trips: its JSON output
 * parses back as JSON into an equal tree; and what both JSON parsers accept, they read into
 * equal trees.
 */
#include "doc/doc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static void round_trip(const ed_node *root)
{
    ed_buf json = ED_BUF_INIT((size_t)64 << 20);
    int rc = ed_node_to_json(root, &json);
    if (rc == ED_EINVALID) { /* .inf or .nan: no JSON form, refused cleanly */
        ed_buf_free(&json);
        return;
    }
    if (rc)
        abort();
    ed_doc *back = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(json.data, json.len, &back, &err) != 0)
        abort(); /* our own JSON must parse */
    if (!ed_node_equal(root, ed_doc_root(back)))
        abort();
    ed_doc_free(back);
    ed_buf_free(&json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml((const char *)data, size, "fuzz.yaml", &docs, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            round_trip(ed_doc_root(docs[i]));
        ed_doc_list_free(docs, n);
    }
    ed_doc *doc = NULL, *api = NULL;
    bool json_ok = ed_doc_parse_json((const char *)data, size, &doc, &err) == 0;
    if (json_ok && ed_doc_root(doc))
        round_trip(ed_doc_root(doc));
    if (ed_doc_parse_api_json((const char *)data, size, &api, &err) == 0) {
        if (ed_doc_root(api))
            round_trip(ed_doc_root(api));
        if (json_ok && !ed_node_equal(ed_doc_root(doc), ed_doc_root(api)))
            abort();
        ed_doc_free(api);
    }
    ed_doc_free(doc);
    return 0;
}
