/*
 * Child processes: a program started directly (posix_spawn, no shell), its output collected
 * under a cap and a deadline, after which it is killed. Used for kubeconfig exec credential
 * plugins (kube/exec.c) and ssh-keygen's SSH signatures of commits (source/sign.c): both hand
 * the child nothing but its arguments, its environment and /dev/null on stdin, and must never
 * hang the controller that asked.
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *ed_proc_find(const char *command)
{
    struct stat st;
    if (strchr(command, '/')) {
        if (access(command, X_OK) != 0)
            return NULL;
        return ed_xstrdup(command);
    }
    const char *p = getenv("PATH");
    while (p && *p) {
        size_t n = strcspn(p, ":");
        /* An empty entry is the current folder, as in a shell. */
        char *cand =
            n ? ed_xasprintf("%.*s/%s", (int)n, p, command) : ed_xasprintf("./%s", command);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p = p[n] ? p + n + 1 : p + n;
    }
    errno = ENOENT;
    return NULL;
}

void ed_proc_first_line(const ed_buf *b, char *out, size_t cap)
{
    out[0] = '\0';
    if (!b->data)
        return;
    const char *s = b->data;
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    size_t n = strcspn(s, "\r\n");
    if (n == 0)
        return;
    if (n > 200)
        n = 200;
    snprintf(out, cap, ": %.*s", (int)n, s);
}

/* Read stdout and stderr until both are closed or the deadline passes. */
static ed_proc_outcome read_output(int out_fd, int err_fd, int64_t deadline_ms, ed_buf *out,
                                   ed_buf *errb)
{
    struct pollfd fds[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
    char chunk[8192];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int64_t left = deadline_ms - ed_time_mono_ms();
        if (left <= 0)
            return ED_PROC_TIMED_OUT;
        int pr = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (pr < 0 && errno != EINTR)
            return ED_PROC_IO_FAILED;
        if (pr <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = read(fds[i].fd, chunk, sizeof(chunk));
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                fds[i].fd = -1; /* closed: poll ignores negative descriptors */
                continue;
            }
            if (i == 0 && ed_buf_append(out, chunk, (size_t)r) != 0)
                return ED_PROC_TOO_BIG;
            /* Of stderr only the start is kept; the rest is read and dropped so that the child
             * never blocks on a full pipe. */
            if (i == 1 && errb->len < ED_PROC_STDERR_MAX) {
                size_t room = ED_PROC_STDERR_MAX - errb->len;
                ed_buf_append(errb, chunk, (size_t)r < room ? (size_t)r : room);
            }
        }
    }
    return ED_PROC_EXITED;
}

/* Wait for the child to exit until the deadline. true with *status set when it did. */
static bool wait_exit(pid_t pid, int64_t deadline_ms, int *status)
{
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return true;
        if (w < 0 && errno != EINTR)
            return false;
        if (ed_time_mono_ms() >= deadline_ms)
            return false;
        usleep(5000);
    }
}

ed_proc_outcome ed_proc_run(const char *program, char *const argv[], char *const env[],
                            int64_t timeout_ms, ed_buf *out, ed_buf *errb, int *status,
                            int *sys_errno)
{
    *status = 0;
    *sys_errno = 0;
    ed_proc_outcome oc = ED_PROC_EXITED;
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    pid_t pid = -1;
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        *sys_errno = errno;
        oc = ED_PROC_IO_FAILED;
        goto cleanup;
    }
    /* stdin: nothing (never interactive); stdout and stderr: the pipes. dup2 clears
     * close-on-exec on the copies; every other descriptor of this process (sockets of other
     * requests) is closed in the child. */
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* The child starts with default signal handling and nothing blocked, whatever this
     * process has set up for itself (an ignored SIGPIPE, a signal-handling thread's mask). */
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    int se = posix_spawn(&pid, program, &fa, &attr, argv, env ? env : environ);
    if (se != 0) {
        pid = -1;
        *sys_errno = se;
        oc = ED_PROC_SPAWN_FAILED;
        goto cleanup;
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;

    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    oc = read_output(out_pipe[0], err_pipe[0], deadline, out, errb);
    *sys_errno = oc == ED_PROC_IO_FAILED ? errno : 0;
    if (oc == ED_PROC_EXITED && !wait_exit(pid, deadline, status))
        oc = ED_PROC_TIMED_OUT;
    if (oc == ED_PROC_EXITED) {
        pid = -1;
        goto cleanup;
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;

cleanup:
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            close(err_pipe[i]);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return oc;
}
