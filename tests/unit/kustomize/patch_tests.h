/*
 * The kustomize module's unit tests of the patch engines (test_patch.c); main() is in
 * test_kustomize.c.
 */
#ifndef ED_KUSTOMIZE_PATCH_TESTS_H
#define ED_KUSTOMIZE_PATCH_TESTS_H

void test_smp_maps(void **state);
void test_smp_keyed_lists(void **state);
void test_smp_list_map_keys(void **state);
void test_smp_directives(void **state);
void test_smp_custom_resources(void **state);
void test_smp_custom_schema(void **state);
void test_smp_errors(void **state);
void test_json_operations(void **state);
void test_json_errors(void **state);
void test_label_selectors(void **state);

#endif
