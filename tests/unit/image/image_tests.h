/* Tests of the image module defined in other files of this executable. */
#ifndef IMAGE_TESTS_H
#define IMAGE_TESTS_H

void test_setters_golden(void **state);
void test_setters_errors(void **state);
void test_template_render(void **state);
void test_template_errors(void **state);
void test_template_unsupported(void **state);
void test_template_functions(void **state);
void test_sprig_strings(void **state);
void test_sprig_numbers_lists(void **state);
void test_template_language(void **state);
void test_sprig_argument_errors(void **state);
void test_sprig_case_words(void **state);
void test_sprig_printf_composites(void **state);
void test_template_define_main(void **state);
void test_sprig_floats(void **state);
void test_sprig_from_json(void **state);
void test_sprig_semver(void **state);
void test_sprig_duration_round(void **state);
void test_sprig_url(void **state);
void test_sprig_semver_methods(void **state);
void test_sprig_dates(void **state);
void test_sprig_ago(void **state);
void test_sprig_aes(void **state);
void test_sprig_derive_password(void **state);
void test_docker_credentials(void **state);
void test_keyring(void **state);
void test_exclude_and_summary(void **state);
void test_oci_url(void **state);
void test_oci_layer(void **state);
void test_oci_tags_filter(void **state);

#endif
