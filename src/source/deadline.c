/*
 * The deadline of one Git operation (GitRepository spec.timeout; Flux: "the timeout for Git
 * operations like cloning"): a fetch, and an ImageUpdateAutomation's push. libgit2 has no
 * per-operation timeout (1.7 added GIT_OPT_SET_SERVER_TIMEOUT, one process-wide limit on each
 * read, which bounds neither a whole operation nor libssh2), so an operation is bounded in two
 * ways:
 *
 *  - every remote callback (credentials, certificate, transfer progress, sideband, update
 *    tips, push progress) and eddy's libcurl transport check the deadline and fail once it has
 *    passed, which aborts the operation at its next step;
 *  - a server that accepts the connection and then says nothing never reaches a callback, and
 *    libgit2's sockets and libssh2 block in recv(2) or poll(2) without a timeout. For that, a
 *    per-thread POSIX timer sends ED_DEADLINE_SIGNAL to the fetching thread when the deadline
 *    passes, and again every 200 ms until the operation returns. The handler shuts down the
 *    thread's connection (socket.c) and is installed without SA_RESTART, so a blocked system
 *    call fails with EINTR or sees the end of the stream, which libgit2 and libssh2 report. The
 * signal is unblocked only in that thread and only while the operation runs; a stray one is
 * consumed before the thread's signal mask is restored, so no later system call of the thread is
 * interrupted.
 */
#include "source_int.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ED_DEADLINE_SIGNAL (SIGRTMIN + 3)
#define REPEAT_NS          (200L * 1000000L)

static void on_signal(int sig)
{
    (void)sig;
    /* Returning interrupts a blocked system call; libssh2 retries its poll, so the
     * connection itself is ended too. */
    ed_source_socket_interrupt();
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked recv or poll returns EINTR */
    sigaction(ED_DEADLINE_SIGNAL, &sa, NULL);
}

static void arm_timer(ed_source_deadline *d)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = ED_DEADLINE_SIGNAL;
    sev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &sev, &d->timer) != 0)
        return; /* the callbacks still bound everything that makes progress */
    struct itimerspec its = {
        .it_value = {.tv_sec = d->timeout_ms / 1000, .tv_nsec = (d->timeout_ms % 1000) * 1000000L},
        .it_interval = {.tv_sec = 0, .tv_nsec = REPEAT_NS},
    };
    if (timer_settime(d->timer, 0, &its, NULL) != 0) {
        timer_delete(d->timer);
        return;
    }
    d->armed = true;
}

void ed_source_deadline_start(ed_source_deadline *d, int64_t timeout_ms)
{
    memset(d, 0, sizeof(*d));
    if (timeout_ms <= 0)
        return;
    d->timeout_ms = timeout_ms;
    d->at_ms = ed_time_mono_ms() + timeout_ms;
    ed_source_socket_forget();
    pthread_once(&handler_once, install_handler);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, ED_DEADLINE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, &d->old_mask);
    d->mask_saved = true;
    arm_timer(d);
}

bool ed_source_deadline_passed(const ed_source_deadline *d)
{
    return d && d->at_ms > 0 && ed_time_mono_ms() >= d->at_ms;
}

int64_t ed_source_deadline_left_ms(const ed_source_deadline *d)
{
    if (!d || d->at_ms <= 0)
        return -1;
    int64_t left = d->at_ms - ed_time_mono_ms();
    return left > 0 ? left : 0;
}

void ed_source_deadline_stop(ed_source_deadline *d)
{
    if (d->armed)
        timer_delete(d->timer);
    d->armed = false;
    if (!d->mask_saved)
        return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, ED_DEADLINE_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) == ED_DEADLINE_SIGNAL)
        ; /* a signal queued before the timer was deleted */
    pthread_sigmask(SIG_SETMASK, &d->old_mask, NULL);
    d->mask_saved = false;
    ed_source_socket_forget();
}
