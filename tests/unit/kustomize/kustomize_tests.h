/*
 * The kustomize module's unit tests that live outside test_kustomize.c (which holds main()).
 */
#ifndef ED_KUSTOMIZE_TESTS_H
#define ED_KUSTOMIZE_TESTS_H

/* test_kustomize.c: put_file writes TEXT to BASE/REL, creating the directories on the way. */
void put_file(const char *base, const char *rel, const char *text);

/* test_generate.c */
void test_hash_vectors(void **state);
void test_hash_encoding(void **state);
void test_utf8_validity(void **state);
void test_nameref_table(void **state);
void test_nameref_fix(void **state);

/* test_inputs.c */
void test_inputs_kustomization(void **state);
void test_inputs_generated(void **state);
void test_inputs_symlinks_and_limits(void **state);
void test_inputs_other_tree(void **state);
void test_inputs_plugin_configs(void **state);

/* test_remote.c */
void test_remote_parse(void **state);
void test_remote_build(void **state);

/* test_sops.c */
void test_sops_decrypt(void **state);
void test_sops_refusals(void **state);
void test_sops_files(void **state);
void test_sops_pgp(void **state);
void test_sops_key_groups(void **state);
void test_sops_comments(void **state);
void test_sops_comments_documents(void **state);
void test_sops_ini_unicode_space(void **state);

#endif
