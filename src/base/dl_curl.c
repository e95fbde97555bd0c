/*
 * libcurl, loaded on first use (dl.h): the Kubernetes API client, registries and Git over HTTPS
 * call curl_* as declared in <curl/curl.h>; these definitions forward each call to the library.
 *
 * curl_easy_setopt(), curl_easy_getinfo() and curl_share_setopt() take their value through
 * `...`, which C cannot pass on as such: each reads the one argument with the type libcurl itself
 * reads for that option (libcurl numbers its options by argument type, CURLOPTTYPE_*), so the
 * call libcurl receives is the one the caller made. Callers keep curl's compile-time type checks
 * of these three macros; this file alone turns them off, to define the functions.
 */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdarg.h>

#include "dl.h"

#ifndef ED_SONAME_CURL
#error "ED_SONAME_CURL (libcurl's SONAME) comes from the Makefile"
#endif
_Static_assert(sizeof(ED_SONAME_CURL) > 1,
               "ED_SONAME_CURL is empty: is libcurl's -dev package installed?");

#define CURL_FUNCTIONS(X)                                                                          \
    X(curl_global_init)                                                                            \
    X(curl_global_cleanup)                                                                         \
    X(curl_easy_init)                                                                              \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_reset)                                                                             \
    X(curl_easy_strerror)                                                                          \
    X(curl_easy_escape)                                                                            \
    X(curl_free)                                                                                   \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)                                                                         \
    X(curl_multi_init)                                                                             \
    X(curl_multi_add_handle)                                                                       \
    X(curl_multi_remove_handle)                                                                    \
    X(curl_multi_perform)                                                                          \
    X(curl_multi_poll)                                                                             \
    X(curl_multi_info_read)                                                                        \
    X(curl_multi_strerror)                                                                         \
    X(curl_multi_cleanup)                                                                          \
    X(curl_share_init)                                                                             \
    X(curl_share_setopt)                                                                           \
    X(curl_share_cleanup)

/* Any callback: libcurl reads a function pointer argument and converts it to its own type. */
typedef void (*any_function)(void);

static ed_dl_lib lib = ED_DL_LIB_INIT(ED_SONAME_CURL);
static struct {
    CURL_FUNCTIONS(ED_DL_SLOT)
} fn;

static void load(void)
{
    ed_dl_open(&lib);
#define LOAD(name) ED_DL_LOAD(&lib, fn, name)
    CURL_FUNCTIONS(LOAD)
#undef LOAD
}

/* Loads libcurl once; ends the process if it cannot be loaded. */
static void need(void)
{
    pthread_once(&lib.once, load);
    if (!lib.handle)
        ed_dl_fail(&lib);
}

CURLcode curl_global_init(long flags)
{
    need();
    return fn.curl_global_init(flags);
}

void curl_global_cleanup(void)
{
    need();
    fn.curl_global_cleanup();
}

CURL *curl_easy_init(void)
{
    need();
    return fn.curl_easy_init();
}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    need();
    va_list ap;
    va_start(ap, option);
    /* One typed variable per argument type: libcurl's own reading of the same option. */
    long number = 0;
    void *pointer = NULL; /* strings, lists, callback data, blobs */
    any_function callback = NULL;
    curl_off_t offset = 0;
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        number = va_arg(ap, long);
        rc = fn.curl_easy_setopt(curl, option, number);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB) {
        pointer = va_arg(ap, void *);
        rc = fn.curl_easy_setopt(curl, option, pointer);
    } else if (option < CURLOPTTYPE_OFF_T) {
        callback = va_arg(ap, any_function);
        rc = fn.curl_easy_setopt(curl, option, callback);
    } else {
        offset = va_arg(ap, curl_off_t);
        rc = fn.curl_easy_setopt(curl, option, offset);
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    need();
    return fn.curl_easy_perform(curl);
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    need();
    /* Every CURLINFO_* takes a pointer to where the answer goes. */
    va_list ap;
    va_start(ap, info);
    CURLcode rc = fn.curl_easy_getinfo(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

void curl_easy_cleanup(CURL *curl)
{
    need();
    fn.curl_easy_cleanup(curl);
}

void curl_easy_reset(CURL *curl)
{
    need();
    fn.curl_easy_reset(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
    need();
    return fn.curl_easy_strerror(code);
}

char *curl_easy_escape(CURL *handle, const char *string, int length)
{
    need();
    return fn.curl_easy_escape(handle, string, length);
}

void curl_free(void *p)
{
    need();
    fn.curl_free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
    need();
    return fn.curl_slist_append(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
    need();
    fn.curl_slist_free_all(list);
}

CURLM *curl_multi_init(void)
{
    need();
    return fn.curl_multi_init();
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl)
{
    need();
    return fn.curl_multi_add_handle(multi, curl);
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl)
{
    need();
    return fn.curl_multi_remove_handle(multi, curl);
}

CURLMcode curl_multi_perform(CURLM *multi, int *running)
{
    need();
    return fn.curl_multi_perform(multi, running);
}

CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
                          int timeout_ms, int *ret)
{
    need();
    return fn.curl_multi_poll(multi, extra_fds, extra_nfds, timeout_ms, ret);
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue)
{
    need();
    return fn.curl_multi_info_read(multi, msgs_in_queue);
}

const char *curl_multi_strerror(CURLMcode code)
{
    need();
    return fn.curl_multi_strerror(code);
}

CURLMcode curl_multi_cleanup(CURLM *multi)
{
    need();
    return fn.curl_multi_cleanup(multi);
}

CURLSH *curl_share_init(void)
{
    need();
    return fn.curl_share_init();
}

CURLSHcode curl_share_setopt(CURLSH *share, CURLSHoption option, ...)
{
    need();
    va_list ap;
    va_start(ap, option);
    int data = 0;
    any_function callback = NULL;
    void *pointer = NULL;
    CURLSHcode rc = CURLSHE_BAD_OPTION;
    if (option == CURLSHOPT_SHARE || option == CURLSHOPT_UNSHARE) {
        data = va_arg(ap, int); /* a curl_lock_data */
        rc = fn.curl_share_setopt(share, option, data);
    } else if (option == CURLSHOPT_LOCKFUNC || option == CURLSHOPT_UNLOCKFUNC) {
        callback = va_arg(ap, any_function);
        rc = fn.curl_share_setopt(share, option, callback);
    } else if (option == CURLSHOPT_USERDATA) {
        pointer = va_arg(ap, void *);
        rc = fn.curl_share_setopt(share, option, pointer);
    }
    va_end(ap);
    return rc;
}

CURLSHcode curl_share_cleanup(CURLSH *share)
{
    need();
    return fn.curl_share_cleanup(share);
}
