/*
 * libFuzzer target for kustomize's remote target URLs (entries of a kustomization's resources
 * and components, from Git): the parse may not crash or leak; a parse that succeeds gives a
 * repository, a path that stays inside it (no ".." element, no leading '/') and a positive
 * timeout; one that fails sets ED_EINVALID and leaves nothing allocated.
 */
#include "kustomize/kustomize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *entry = ed_xstrndup((const char *)data, size);
    ed_ks_remote r;
    ed_err err = ED_ERR_INIT;
    if (ed_ks_remote_parse(entry, &r, &err) == 0) {
        if (!r.repo || !*r.repo || !r.path || !r.ref || r.timeout_ms <= 0 || r.path[0] == '/')
            abort();
        for (const char *p = r.path; p; p = strchr(p, '/')) {
            p += *p == '/';
            if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
                abort();
        }
        ed_ks_remote_clear(&r);
    } else if (err.code != ED_EINVALID || r.repo || r.path || r.ref) {
        abort();
    }
    free(entry);
    return 0;
}
