/*
 * eddy's plain TCP stream for libgit2, registered once as its GIT_STREAM_STANDARD stream, so
 * that a fetch's deadline (deadline.c) can cut a connection that says nothing.
 *
 * libgit2's socket stream blocks in recv(2) with no per-operation timeout (its only one,
 * GIT_OPT_SET_SERVER_TIMEOUT, is process-wide), and libssh2, which libgit2 hands the socket
 * to for ssh://, retries its poll(2) after a signal: a stalled SSH server (one that accepts and
 * never sends its banner) would hold the fetch for ever. This stream records the socket of the
 * thread's latest connection; when the deadline's signal arrives, the handler shuts that socket
 * down (shutdown(2) is async-signal-safe), so every reader sees the end of the stream at once.
 *
 * Everything else is what libgit2's own socket stream does: resolve, connect to the first
 * address that answers, read and write. The layout starts like libgit2's internal
 * git_socket_stream (the stream, host, port, then the descriptor), because libgit2's SSH
 * transport reads the descriptor from there to give it to libssh2.
 */
#include "source_int.h"

#include <errno.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct tcp_stream {
    git_stream parent;
    char *host;
    char *port;
    int fd; /* where libgit2's SSH transport expects it */
} tcp_stream;

/* The socket of this thread's latest connection, or -1. */
static _Thread_local volatile int current_fd = -1;

void ed_source_socket_interrupt(void)
{
    int fd = current_fd;
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

void ed_source_socket_forget(void)
{
    current_fd = -1;
}

static int tcp_connect(git_stream *stream)
{
    tcp_stream *t = (tcp_stream *)stream;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(t->host, t->port, &hints, &res);
    if (rc != 0) {
        git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", t->host,
                      gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        current_fd = fd;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            saved = errno;
            current_fd = -1;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        git_error_set(GIT_ERROR_NET, "failed to connect to %s: %s", t->host, strerror(saved));
        return -1;
    }
    /* No Nagle: libgit2 writes an HTTP request's headers and body in two sends, and the body
     * would wait for the server's delayed ACK of the headers (40 ms on Linux) on every
     * negotiation round. curl and git set the same option. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    t->fd = fd;
    return 0;
}

static ssize_t tcp_read(git_stream *stream, void *data, size_t len)
{
    tcp_stream *t = (tcp_stream *)stream;
    ssize_t n = recv(t->fd, data, len, 0);
    if (n < 0) {
        git_error_set(GIT_ERROR_NET, "error receiving socket data: %s", strerror(errno));
        return -1;
    }
    return n;
}

static ssize_t tcp_write(git_stream *stream, const char *data, size_t len, int flags)
{
    tcp_stream *t = (tcp_stream *)stream;
    ssize_t n = send(t->fd, data, len, flags | MSG_NOSIGNAL);
    if (n < 0) {
        git_error_set(GIT_ERROR_NET, "error sending data: %s", strerror(errno));
        return -1;
    }
    return n;
}

static int tcp_close(git_stream *stream)
{
    tcp_stream *t = (tcp_stream *)stream;
    if (t->fd < 0)
        return 0;
    if (current_fd == t->fd)
        current_fd = -1;
    close(t->fd);
    t->fd = -1;
    return 0;
}

static void tcp_free(git_stream *stream)
{
    tcp_stream *t = (tcp_stream *)stream;
    tcp_close(stream);
    free(t->host);
    free(t->port);
    free(t);
}

static int tcp_new(git_stream **out, const char *host, const char *port)
{
    tcp_stream *t = ed_xcalloc(1, sizeof(*t));
    t->parent.version = GIT_STREAM_VERSION;
    t->parent.connect = tcp_connect;
    t->parent.read = tcp_read;
    t->parent.write = tcp_write;
    t->parent.close = tcp_close;
    t->parent.free = tcp_free;
    t->host = ed_xstrdup(host);
    t->port = ed_xstrdup(port);
    t->fd = -1;
    *out = &t->parent;
    return 0;
}

static void register_stream(void)
{
    git_stream_registration reg = {.version = GIT_STREAM_VERSION, .init = tcp_new};
    git_stream_register(GIT_STREAM_STANDARD, &reg);
}

void ed_source_socket_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_stream);
}
