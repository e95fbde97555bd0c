/*
 * The artifact server: source-controller's file server for its storage (Flux's
 * --storage-addr), from which kustomize-controller and others download artifacts at the URLs the
 * store advertises. Read-only and deliberately small: GET and HEAD of `/<kind>/<ns>/<name>/<file>`
 * stream that regular file from disk (MHD_create_response_from_fd: no copy in memory), with its
 * Content-Length and application/gzip for `.tar.gz`. Everything else is refused: other methods
 * (405), directories (never listed), missing files, and any path that is not a plain artifact
 * path or that resolves outside the storage root, through `..` (libmicrohttpd has already
 * decoded `%2e%2e` by then) or a symlink (404, the same answer as a missing file, so the
 * server tells nothing about what lies outside).
 *
 * One libmicrohttpd daemon with its own polling thread. The store is borrowed: stop the server
 * before freeing it.
 */
#include "source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct ed_artifact_server {
    struct MHD_Daemon *daemon;
    ed_artifact_store *store;
    int port;
};

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    ed_artifact_server *srv = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    /* The store checks the path's text and resolves it (realpath, below the root, a regular
     * file); NULL covers every refusal alike. */
    char *file = url[0] == '/' ? ed_artifact_store_file(srv->store, url + 1) : NULL;
    if (!file)
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    /* O_NOFOLLOW and fstat on what was opened: the resolved name has no symlink left, so one
     * appearing now (a race with a writer of the storage) is refused, not followed. */
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    free(file);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    /* The response owns fd from here and closes it when done. */
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    const char *type =
        ed_str_has_suffix(url, ".tar.gz") ? "application/gzip" : "application/octet-stream";
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Parse "host:port", ":port" (every interface) or "[v6]:port" into ss. "localhost" is the IPv4
 * loopback. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, bool *v6, ed_err *err)
{
    memset(ss, 0, sizeof(*ss));
    *v6 = false;
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return ed_err_set(err, ED_EINVALID, "address \"%s\" has no port", addr);
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno != 0 || port < 0 || port > 65535)
        return ed_err_set(err, ED_EINVALID, "address \"%s\" has no valid port", addr);
    const char *host = addr;
    size_t hostlen = (size_t)(colon - addr);
    if (hostlen >= 2 && host[0] == '[' && host[hostlen - 1] == ']') {
        host++;
        hostlen -= 2;
        *v6 = true;
    }
    char h[64];
    if (hostlen >= sizeof(h))
        return ed_err_set(err, ED_EINVALID, "address \"%s\" is too long", addr);
    memcpy(h, host, hostlen);
    h[hostlen] = '\0';
    if (*v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
            return ed_err_set(err, ED_EINVALID, "address \"%s\": \"%s\" is not an IPv6 address",
                              addr, h);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (hostlen == 0) {
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    if (strcmp(h, "localhost") == 0)
        snprintf(h, sizeof(h), "127.0.0.1");
    if (inet_pton(AF_INET, h, &s4->sin_addr) != 1)
        return ed_err_set(err, ED_EINVALID, "address \"%s\": \"%s\" is not an IP address", addr, h);
    return 0;
}

int ed_artifact_server_start(ed_artifact_store *store, const char *listen_addr,
                             ed_artifact_server **out, ed_err *err)
{
    *out = NULL;
    struct sockaddr_storage ss;
    bool v6 = false;
    int rc = parse_addr(listen_addr, &ss, &v6, err);
    if (rc != 0)
        return rc;
    ed_artifact_server *srv = ed_xcalloc(1, sizeof(*srv));
    srv->store = store;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    /* Bounded: a connection limit and an idle timeout, so slow or many clients cannot pin the
     * process's descriptors. */
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, srv, MHD_OPTION_SOCK_ADDR,
                                   (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 256u,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!srv->daemon) {
        free(srv);
        return ed_err_set(err, ED_ERROR, "cannot listen on %s", listen_addr);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info)
        srv->port = info->port;
    else if (v6)
        srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *out = srv;
    return 0;
}

int ed_artifact_server_port(const ed_artifact_server *srv)
{
    return srv->port;
}

void ed_artifact_server_stop(ed_artifact_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
