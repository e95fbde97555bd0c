/*
 * The kube module's unit tests that live outside test_config.c (which holds main()).
 */
#ifndef ED_KUBE_TESTS_H
#define ED_KUBE_TESTS_H

/* test_events.c */
void test_event_utf8_prefix(void **state);
void test_event_cache_repeats(void **state);
void test_event_cache_failed_writes(void **state);
void test_event_cache_eviction(void **state);
void test_event_cache_bound(void **state);
void test_event_invalid(void **state);

/* test_exec.c */
void test_exec_cred_parse(void **state);
void test_exec_cred_parse_errors(void **state);
void test_exec_info(void **state);
void test_exec_run(void **state);
void test_exec_run_failures(void **state);

#endif
