/*
 * The source module's tests that live outside test_source.c (whose main runs them all).
 */
#ifndef ED_SOURCE_TESTS_H
#define ED_SOURCE_TESTS_H

/* test_source.c: helpers the other files use. sh runs a shell command (tests only: src/ never
 * shells out) and fails the test when it fails; git_hermetic sets the environment that keeps
 * git away from the user's and the system's configuration, with a fixed author and committer. */
void sh(const char *fmt, ...) ED_PRINTF(1, 2);
void git_hermetic(void);

/* test_store.c: the artifact store and its HTTP server. */
void test_store_put_gc(void **state);
void test_store_url(void **state);
void test_store_link_latest(void **state);
void test_store_invalid_names(void **state);
void test_store_server(void **state);

/* test_checkout.c: sparse checkout, submodules, include and verification (its own group). */
int test_checkout_main(void);

/* test_cosign.c: cosign signatures of OCI artifacts (its own group). */
int test_cosign_main(void);

/* test_githubapp.c: GitHub App data, JWTs and refused App data (its own group). */
int test_githubapp_main(void);

/* test_write.c: files committed and pushed (eddy bootstrap). */
void test_write_root_commit_then_nothing(void **state);
void test_write_on_top_keeps_other_files(void **state);
void test_write_if_absent_keeps_existing(void **state);
void test_write_reports_commit_before_push(void **state);
void test_write_refuses_bad_paths(void **state);
void test_write_signed_with_key_id(void **state);

/* test_sshkey.c: the key pairs bootstrap makes. */
void test_ssh_keypair_new(void **state);
/* test_sshkey.c: the public key bootstrap derives from --private-key-file. */
void test_ssh_public_line(void **state);

/* test_timeout.c: spec.timeout against a server that never answers. */
void test_fetch_timeout_silent_server(void **state);

#endif
