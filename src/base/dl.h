/*
 * Libraries loaded when first used (private to base/). A command that never talks HTTP, serves
 * nothing and packs no archive should not pay for libcurl, libmicrohttpd and libarchive: linked,
 * they and their dependencies (GnuTLS, LDAP, libxml2, ICU, ...) cost every eddy process about
 * 6 MiB of resident memory and milliseconds of start-up before main() runs, half of what
 * `eddy kustomize build` of a small tree needs.
 *
 * Each such library has a shim file here (dl_curl.c, dl_microhttpd.c, dl_archive.c) that defines
 * the functions eddy calls under the library's own names, with the library's own prototypes (its
 * header is included), so callers include the library's header and call it as if linked. Each
 * definition forwards through a function pointer typed with __typeof__ of the real declaration,
 * filled from dlopen() and dlsym() once (pthread_once) on the first call.
 *
 * A library that cannot be loaded ends the process with its name and the loader's reason and
 * status 127, as the dynamic loader did at start-up when it was linked: eddy depends on these
 * packages (Dockerfile, scripts/setup); only the moment of the check moved.
 */
#ifndef ED_BASE_DL_H
#define ED_BASE_DL_H

#include <pthread.h>

/* One library loaded on demand; define it with ED_DL_LIB_INIT and share it within a shim file. */
typedef struct ed_dl_lib {
    const char *soname; /* the file dlopen() looks for, the SONAME eddy was built against */
    pthread_once_t once;
    void *handle;    /* NULL until loaded, and when loading failed */
    char error[512]; /* why loading failed; empty while it has not */
} ed_dl_lib;

#define ED_DL_LIB_INIT(soname)                                                                     \
    {                                                                                              \
        (soname), PTHREAD_ONCE_INIT, NULL,                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Opens lib->soname (RTLD_NOW | RTLD_LOCAL). Returns 0, or -1 with lib->error set. */
int ed_dl_open(ed_dl_lib *lib);

/* The address of the function NAME in lib, which ed_dl_open() opened; NULL with lib->error set
 * (and lib->handle closed) when the library has no such symbol (an older version). */
void *ed_dl_sym(ed_dl_lib *lib, const char *name);

/* Ends the process (status 127) after printing why lib could not be loaded. */
_Noreturn void ed_dl_fail(const ed_dl_lib *lib);

/* A struct member and a loader line for each name of a shim's function list. */
#define ED_DL_SLOT(name) __typeof__(name) *name;
#define ED_DL_LOAD(lib, table, name)                                                               \
    if ((lib)->handle)                                                                             \
        (table).name = (__typeof__((table).name))ed_dl_sym((lib), #name);

#endif
