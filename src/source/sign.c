/*
 * OpenPGP signatures of commits (ImageUpdateAutomation spec.git.commit.signingKey, type gpg), as
 * Flux signs them: a detached, ASCII-armoured signature over the commit object's content, stored
 * in its `gpgsig` header. The key comes from a Secret (`git.asc`, with an optional `passphrase`)
 * and is imported into a throw-away GnuPG home per signature, removed at once, so no key stays
 * on disk and no keyring is shared between automations. GnuPG is driven through gpgme.
 */
#include "source_int.h"

#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;

static void gpgme_init(void)
{
    gpgme_check_version(NULL);
}

/* Hands the passphrase to GnuPG (loopback pinentry). */
static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info, int bad,
                                   int fd)
{
    (void)uid_hint;
    (void)info;
    const char *pass = hook;
    if (bad || !pass)
        return gpgme_error(GPG_ERR_BAD_PASSPHRASE);
    size_t len = strlen(pass);
    if (gpgme_io_writen(fd, pass, len) != 0 || gpgme_io_writen(fd, "\n", 1) != 0)
        return gpgme_error(GPG_ERR_CANCELED);
    return 0;
}

static int gpg_fail(ed_err *err, const char *what, gpgme_error_t e)
{
    return ed_err_set(err, ED_EINVALID, "signing the commit: %s: %s", what, gpgme_strerror(e));
}

/* Import the key and sign with it in ctx; *sig gets the armoured signature. */
static int sign_in(gpgme_ctx_t ctx, const char *key, size_t key_len, const char *passphrase,
                   const char *data, size_t len, char **sig, ed_err *err)
{
    gpgme_data_t keydata = NULL, in = NULL, out = NULL;
    gpgme_key_t signer = NULL;
    int rc = 0;
    gpgme_error_t e = gpgme_data_new_from_mem(&keydata, key, key_len, 0);
    if (!e)
        e = gpgme_op_import(ctx, keydata);
    gpgme_import_result_t imp = e ? NULL : gpgme_op_import_result(ctx);
    if (e || !imp || imp->secret_imported < 1 || !imp->imports) {
        rc = e ? gpg_fail(err, "importing git.asc", e)
               : ed_err_set(err, ED_EINVALID,
                            "signing the commit: git.asc holds no OpenPGP secret key");
        goto out;
    }
    e = gpgme_get_key(ctx, imp->imports->fpr, &signer, 1);
    if (!e)
        e = gpgme_signers_add(ctx, signer);
    if (e) {
        rc = gpg_fail(err, "selecting the key", e);
        goto out;
    }
    gpgme_set_armor(ctx, 1);
    gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
    gpgme_set_passphrase_cb(ctx, passphrase_cb, (void *)passphrase);
    e = gpgme_data_new_from_mem(&in, data, len, 0);
    if (!e)
        e = gpgme_data_new(&out);
    if (!e)
        e = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH);
    if (e) {
        rc = gpg_fail(err, "signing", e);
        goto out;
    }
    size_t n = 0;
    char *buf = gpgme_data_release_and_get_mem(out, &n);
    out = NULL;
    *sig = ed_xstrndup(buf ? buf : "", n);
    gpgme_free(buf);
out:
    gpgme_key_unref(signer);
    gpgme_data_release(keydata);
    gpgme_data_release(in);
    gpgme_data_release(out);
    return rc;
}

/* Stop the gpg-agent GnuPG started for home (it would otherwise linger until it notices its
 * socket is gone). */
static void kill_agent(const char *home)
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

int ed_source_sign_openpgp(const char *tmp_dir, const char *key, size_t key_len,
                           const char *passphrase, const char *data, size_t len, char **sig,
                           ed_err *err)
{
    *sig = NULL;
    pthread_once(&gpgme_once, gpgme_init);
    /* gpg-agent's socket lives in the home and a socket path has ~100 bytes at most: a deep
     * storage path falls back to /tmp (the directory is private, 0700, and removed at once). */
    char *home = ed_xasprintf("%s/gnupg.XXXXXX", strlen(tmp_dir) < 60 ? tmp_dir : "/tmp");
    if (!mkdtemp(home)) {
        free(home);
        return ed_err_set(err, ED_ERROR, "signing the commit: cannot create a GnuPG home");
    }
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t e = gpgme_new(&ctx);
    if (!e)
        e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
    int rc = e ? gpg_fail(err, "starting GnuPG", e)
               : sign_in(ctx, key, key_len, passphrase, data, len, sig, err);
    gpgme_release(ctx);
    kill_agent(home);
    /* The key goes with the home. */
    ed_path_remove_tree(home);
    free(home);
    return rc;
}
