/*
 * libFuzzer target for kubeconfig parsing from memory (a Kustomization's spec.kubeConfig comes
 * from a Secret someone else wrote): any input is refused or accepted cleanly, never crashes
 * or leaks, and whatever is accepted has a server and survives a copy.
 */
#include "kube/kube.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_kube_config *cfg = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_config_from_yaml((const char *)data, size, NULL, &cfg, &err) == 0) {
        if (!cfg || !cfg->server)
            abort();
        ed_kube_config *copy = ed_kube_config_dup(cfg);
        ed_kube_config_free(copy);
        ed_kube_config_free(cfg);
    } else if (cfg || err.code == 0) {
        abort(); /* a refusal sets the error and returns nothing */
    }
    return 0;
}
