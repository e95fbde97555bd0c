/*
 * Unit tests of the flux executable that live outside test_flux.c (which holds main()).
 */
#ifndef ED_FLUX_TESTS_H
#define ED_FLUX_TESTS_H

/* test_dependson.c */
void test_dependency_rule(void **state);
void test_dependency_ready_expr(void **state);

/* test_history.c */
void test_history(void **state);
void test_history_origin_revision(void **state);

#endif
