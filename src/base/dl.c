/*
 * Loading a library on first use: dlopen() and dlsym() with an error that names the library
 * and the reason (see dl.h for why eddy loads some libraries late).
 */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int ed_dl_open(ed_dl_lib *lib)
{
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof lib->error, "cannot load %s: %s", lib->soname,
                 why ? why : "unknown error");
        return -1;
    }
    return 0;
}

void *ed_dl_sym(ed_dl_lib *lib, const char *name)
{
    void *p = dlsym(lib->handle, name);
    if (!p) {
        snprintf(lib->error, sizeof lib->error, "cannot load %s: it has no function %s",
                 lib->soname, name);
        dlclose(lib->handle);
        lib->handle = NULL;
    }
    return p;
}

_Noreturn void ed_dl_fail(const ed_dl_lib *lib)
{
    /* stderr is unbuffered; _exit, not exit: another thread may be running atexit's work. */
    fprintf(stderr, "eddy: %s (install the package that provides it)\n", lib->error);
    _exit(127);
}
