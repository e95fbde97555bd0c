/*
 * End-to-end tests of leader election on a real Lease: one leader at a time; a released lease
 * passes to the waiting candidate at once; a leader killed with SIGKILL (a real process) is
 * replaced once its lease expires, and not before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/runtime.h"
#include "e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char lease_name[64];

static ed_kube *new_client(void)
{
    ed_kube *k = e2e_kube();
    if (!k)
        fail_msg("no client of $KUBECONFIG");
    return k;
}

static ed_leader *candidate(ed_kube *k, const char *identity)
{
    ed_leader_opts o = {.ns = "default",
                        .name = lease_name,
                        .identity = identity,
                        .lease_ms = 3000,
                        .renew_deadline_ms = 2000,
                        .retry_ms = 300};
    ed_leader *l = ed_leader_new(k, &o);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_leader_start(l, &err), 0);
    return l;
}

static const char *holder(ed_kube *k, ed_doc **keep)
{
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(k, "coordination.k8s.io/v1", "Lease", "default", lease_name, keep, &err))
        fail_msg("get lease: %s", err.msg);
    return ed_node_path_str(ed_doc_root(*keep), "/spec/holderIdentity");
}

static void test_release_hands_over(void **state)
{
    (void)state;
    snprintf(lease_name, sizeof(lease_name), "eddy-release-%d", (int)getpid());
    ed_kube *k = new_client();
    ed_leader *a = candidate(k, "a");
    assert_true(ed_leader_wait(a, 5000));
    ed_leader *b = candidate(k, "b");
    assert_false(ed_leader_wait(b, 1500)); /* a renews: b stays a candidate */
    assert_true(ed_leader_is_leader(a));
    ed_doc *d = NULL;
    assert_string_equal(holder(k, &d), "a");
    ed_doc_free(d);
    int64_t t0 = ed_time_mono_ms();
    ed_leader_free(a); /* releases */
    assert_true(ed_leader_wait(b, 3000));
    /* Well before a's lease (3 s) would have run out. */
    assert_true(ed_time_mono_ms() - t0 < 2000);
    assert_string_equal(holder(k, &d), "b");
    int64_t transitions = 0;
    assert_true(ed_node_int(ed_node_path(ed_doc_root(d), "/spec/leaseTransitions"), &transitions));
    assert_int_equal(transitions, 1);
    ed_doc_free(d);
    ed_leader_free(b);
    ed_kube_free(k);
}

static void test_killed_leader_is_replaced(void **state)
{
    (void)state;
    snprintf(lease_name, sizeof(lease_name), "eddy-kill-%d", (int)getpid());
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The leader to be killed: a process of its own. */
        ed_kube *ck = new_client();
        ed_leader *cl = candidate(ck, "doomed");
        char ok = ed_leader_wait(cl, 5000) ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(ready[1]);
    char ok = 0;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    assert_int_equal(ok, 'y');

    ed_kube *k = new_client();
    ed_leader *heir = candidate(k, "heir");
    assert_false(ed_leader_wait(heir, 1000));
    kill(child, SIGKILL);
    int64_t t0 = ed_time_mono_ms();
    waitpid(child, NULL, 0);
    assert_true(ed_leader_wait(heir, 8000));
    int64_t took = ed_time_mono_ms() - t0;
    /* Not before the dead leader's lease ran out on the heir's clock, and soon after. */
    assert_true(took >= 1500);
    assert_true(took < 3000 + 2 * 300 + 1500);
    ed_doc *d = NULL;
    assert_string_equal(holder(k, &d), "heir");
    ed_doc_free(d);
    ed_leader_free(heir);
    ed_kube_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_hands_over),
        cmocka_unit_test(test_killed_leader_is_replaced),
    };
    return cmocka_run_group_tests_name("leader election e2e", tests, NULL, NULL);
}
