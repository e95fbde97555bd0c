/*
 * GnuPG through gpgme, the parts every user of it shares: gpgme's one-time start-up, a
 * private GnuPG home, and stopping the gpg-agent GnuPG starts for a home. Used by SOPS's PGP
 * keys (kustomize/sops.c), commit signing (source/sign.c) and commit verification
 * (source/verify.c). gpgme's own types stay in those files.
 */
#include "base.h"

#include <gpgme.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static bool gpgme_ready;

static void gpgme_start(void)
{
    gpgme_ready = gpgme_check_version(NULL) != NULL &&
                  gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == GPG_ERR_NO_ERROR;
}

bool ed_gpg_ready(void)
{
    pthread_once(&gpgme_once, gpgme_start);
    return gpgme_ready;
}

char *ed_gpg_home_new(const char *dir, const char *prefix)
{
    /* gpg-agent's socket lives in the home and a socket path holds ~100 bytes */
    if (!dir || !*dir || strlen(dir) > 60)
        dir = "/tmp";
    char *home = ed_xasprintf("%s/%s.XXXXXX", dir, prefix);
    if (!mkdtemp(home)) {
        free(home);
        return NULL;
    }
    return home;
}

void ed_gpg_agent_stop(const char *home)
{
    gpgme_ctx_t a = NULL;
    if (gpgme_new(&a) != 0)
        return;
    char *socket = ed_xasprintf("%s/S.gpg-agent", home);
    gpgme_error_t op_err = 0;
    if (gpgme_set_protocol(a, GPGME_PROTOCOL_ASSUAN) == 0 &&
        gpgme_ctx_set_engine_info(a, GPGME_PROTOCOL_ASSUAN, socket, home) == 0)
        gpgme_op_assuan_transact_ext(a, "KILLAGENT", NULL, NULL, NULL, NULL, NULL, NULL, &op_err);
    gpgme_release(a);
    free(socket);
}
