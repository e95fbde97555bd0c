/*
 * The doc module's unit tests that live outside test_doc.c (which holds main()).
 */
#ifndef ED_DOC_TESTS_H
#define ED_DOC_TESTS_H

/* test_emit.c */
void test_emit_key_order(void **state);
void test_emit_key_order_long_digit_runs(void **state);
void test_emit_quoting(void **state);
void test_emit_timestamps(void **state);
void test_emit_literal_blocks(void **state);
void test_emit_folding(void **state);
void test_emit_numbers_and_collections(void **state);
void test_emit_stream_and_errors(void **state);

/* test_json.c */
void test_api_json_same_trees(void **state);
void test_api_json_differences(void **state);
void test_api_json_refused(void **state);

/* test_cel.c */
void test_cel_table(void **state);
void test_cel_messages(void **state);
void test_cel_limits(void **state);
void test_cel_check(void **state);

/* test_label_selector.c */
void test_label_selector_matches(void **state);
void test_label_selector_errors(void **state);
void test_label_selector_watch(void **state);
void test_label_selector_kyaml(void **state);

#endif
