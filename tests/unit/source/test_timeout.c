/*
 * A fetch's timeout (GitRepository spec.timeout) against a server that accepts the TCP
 * connection and never answers: a listening socket that is never accept(2)ed, whose backlog
 * completes the handshake. Over http:// and git:// (the plain socket libssh2 also gets) the
 * fetch fails with ED_ETIMEOUT and "timed out after 500ms" about half a second later, and
 * leaves the thread as it was (a sleep afterwards is not interrupted). ssh:// is tested end to
 * end (tests/e2e/gitrepository_timeout_test.sh): libgit2 1.5 leaks per SSH connection, which
 * would fail the ASan run here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A listening socket on 127.0.0.1 that is never accepted from; *port gets its port. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void expect_timeout(ed_source_cache *c, const char *url, const ed_source_secret_entry *s,
                           size_t ns)
{
    ed_source_git_fetch_opts o = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    o.url = url;
    o.ref.branch = "main";
    o.secret = s;
    o.secret_len = ns;
    o.timeout_ms = 500;
    ed_source_git_result r;
    ed_err err = {0};
    int64_t t0 = ed_time_mono_ms();
    int rc = ed_source_git_fetch(c, &o, &r, &err);
    int64_t took = ed_time_mono_ms() - t0;
    assert_int_equal(rc, ED_ETIMEOUT);
    assert_non_null(strstr(err.msg, "timed out after 500ms"));
    assert_true(took >= 450);
    assert_true(took < 3000);
    /* The timer is gone and no signal is left: a sleep is not cut short. */
    struct timespec nap = {0, 700 * 1000000L};
    assert_int_equal(nanosleep(&nap, NULL), 0);
}

void test_fetch_timeout_silent_server(void **state)
{
    (void)state;
    char dir[] = "/tmp/eddy-timeout-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    ed_source_cache *c = NULL;
    ed_err err = {0};
    assert_int_equal(ed_source_cache_open(&c, dir, &err), 0);
    int port = 0;
    int fd = silent_listener(&port);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x.git", port);
    expect_timeout(c, url, NULL, 0);
    snprintf(url, sizeof(url), "git://127.0.0.1:%d/x.git", port);
    expect_timeout(c, url, NULL, 0);

    close(fd);
    ed_source_cache_free(c);
    ed_path_remove_tree(dir);
}
