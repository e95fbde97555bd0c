/*
 * libmicrohttpd, loaded on first use (dl.h): the health and metrics endpoints and the artifact
 * server call MHD_* as declared in <microhttpd.h>; these definitions forward each call.
 * MHD_start_daemon() passes its option list on through MHD_start_daemon_va(), which the library
 * provides for that.
 */
#include <microhttpd.h>

#include "dl.h"

#ifndef ED_SONAME_MICROHTTPD
#error "ED_SONAME_MICROHTTPD (libmicrohttpd's SONAME) comes from the Makefile"
#endif
_Static_assert(sizeof(ED_SONAME_MICROHTTPD) > 1,
               "ED_SONAME_MICROHTTPD is empty: is libmicrohttpd's -dev package installed?");

#define MHD_FUNCTIONS(X)                                                                           \
    X(MHD_start_daemon_va)                                                                         \
    X(MHD_stop_daemon)                                                                             \
    X(MHD_get_daemon_info)                                                                         \
    X(MHD_create_response_from_buffer)                                                             \
    X(MHD_create_response_from_fd)                                                                 \
    X(MHD_add_response_header)                                                                     \
    X(MHD_queue_response)                                                                          \
    X(MHD_destroy_response)

static ed_dl_lib lib = ED_DL_LIB_INIT(ED_SONAME_MICROHTTPD);
static struct {
    MHD_FUNCTIONS(ED_DL_SLOT)
} fn;

static void load(void)
{
    ed_dl_open(&lib);
#define LOAD(name) ED_DL_LOAD(&lib, fn, name)
    MHD_FUNCTIONS(LOAD)
#undef LOAD
}

/* Loads libmicrohttpd once; ends the process if it cannot be loaded. */
static void need(void)
{
    pthread_once(&lib.once, load);
    if (!lib.handle)
        ed_dl_fail(&lib);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    need();
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *d = fn.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
    need();
    fn.MHD_stop_daemon(daemon);
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
                                                enum MHD_DaemonInfoType info_type, ...)
{
    need();
    /* No information type eddy asks for (or the library reads) takes a further argument. */
    return fn.MHD_get_daemon_info(daemon, info_type);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
    need();
    return fn.MHD_create_response_from_buffer(size, buffer, mode);
}

struct MHD_Response *MHD_create_response_from_fd(size_t size, int fd)
{
    need();
    return fn.MHD_create_response_from_fd(size, fd);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
                                        const char *content)
{
    need();
    return fn.MHD_add_response_header(response, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    need();
    return fn.MHD_queue_response(connection, status_code, response);
}

void MHD_destroy_response(struct MHD_Response *response)
{
    need();
    fn.MHD_destroy_response(response);
}
