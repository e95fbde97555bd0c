/*
 * The agent's small HTTP servers (libmicrohttpd, one thread each): /healthz and /readyz on the
 * health address, /metrics on the metrics address, as controller-runtime serves them for Flux.
 * Handlers are registered by exact path before the server starts taking requests; anything
 * else is 404. Only GET and HEAD are served.
 */
#include "runtime.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct route {
    char *path;
    ed_http_handler fn;
    void *user;
};

struct ed_http_server {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t lock;
    struct route *routes;
    size_t nroutes;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    ed_http_server *srv = cls;
    int status = 404;
    ed_buf body = ED_BUF_INIT((size_t)32 << 20);
    const char *content_type = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = 405;
        ed_buf_append_str(&body, "method not allowed\n");
    } else {
        struct route r = {0};
        pthread_mutex_lock(&srv->lock);
        for (size_t i = 0; i < srv->nroutes; i++)
            if (strcmp(srv->routes[i].path, url) == 0)
                r = srv->routes[i];
        pthread_mutex_unlock(&srv->lock);
        if (r.fn)
            status = r.fn(&body, &content_type, r.user);
        else
            ed_buf_append_str(&body, "not found\n");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body.len, body.data ? body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
    ed_buf_free(&body);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", content_type);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int ed_http_start(const char *addr, ed_http_server **out, ed_err *err)
{
    *out = NULL;
    /* "[host]:port", "host:port" or ":port" (every interface, as Go's net/http reads it). */
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return ed_err_set(err, ED_EINVALID, "address \"%s\" has no port", addr);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!*(colon + 1) || *end || port < 0 || port > 65535)
        return ed_err_set(err, ED_EINVALID, "address \"%s\" has no valid port", addr);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    size_t hostlen = (size_t)(colon - addr);
    if (hostlen == 0) {
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
    } else {
        char host[64];
        if (hostlen >= sizeof(host))
            return ed_err_set(err, ED_EINVALID, "address \"%s\" is too long", addr);
        memcpy(host, addr, hostlen);
        host[hostlen] = '\0';
        if (strcmp(host, "localhost") == 0)
            snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
            return ed_err_set(err, ED_EINVALID, "address \"%s\": \"%s\" is not an IPv4 address",
                              addr, host);
    }
    ed_http_server *srv = ed_xcalloc(1, sizeof(*srv));
    pthread_mutex_init(&srv->lock, NULL);
    srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                   NULL, answer, srv, MHD_OPTION_SOCK_ADDR, &sin,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!srv->daemon) {
        pthread_mutex_destroy(&srv->lock);
        free(srv);
        return ed_err_set(err, ED_ERROR, "cannot listen on %s", addr);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : (int)port;
    *out = srv;
    return 0;
}

int ed_http_port(const ed_http_server *srv)
{
    return srv->port;
}

void ed_http_handle(ed_http_server *srv, const char *path, ed_http_handler fn, void *user)
{
    pthread_mutex_lock(&srv->lock);
    srv->routes = ed_xrealloc(srv->routes, (srv->nroutes + 1) * sizeof(*srv->routes));
    srv->routes[srv->nroutes++] = (struct route){ed_xstrdup(path), fn, user};
    pthread_mutex_unlock(&srv->lock);
}

void ed_http_stop(ed_http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    for (size_t i = 0; i < srv->nroutes; i++)
        free(srv->routes[i].path);
    free(srv->routes);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}
