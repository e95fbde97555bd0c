/*
 * Signatures of commits (ImageUpdateAutomation spec.git.commit.signingKey). OpenPGP (type gpg),
 * as Flux signs them: a detached, ASCII-armoured signature over the commit object's content, stored
 * in its `gpgsig` header. The key comes from a Secret (`git.asc`, with an optional `passphrase`)
 * and is imported into a throw-away GnuPG home per signature, removed at once, so no key stays
 * on disk and no keyring is shared between automations. GnuPG is driven through gpgme.
 * SSH (type ssh): the `identity` key (optional `password`) signs through OpenSSH's ssh-keygen,
 * as git itself does for gpg.format=ssh; the armoured SSHSIG goes into the same header.
 */
#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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
static int sign_in(gpgme_ctx_t ctx, const char *key, size_t key_len, const char *key_id,
                   const char *passphrase, const char *data, size_t len, char **sig, ed_err *err)
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
    const char *fpr = imp->imports->fpr;
    if (key_id) {
        /* flux's --gpg-key-id: the primary key whose long id (the fingerprint's last 16
         * hex digits) it names; another key of the ring is not used in its stead */
        fpr = NULL;
        for (gpgme_import_status_t s = imp->imports; s && !fpr; s = s->next) {
            size_t n = s->fpr ? strlen(s->fpr) : 0;
            if (n >= 16 && strcasecmp(s->fpr + n - 16, key_id) == 0)
                fpr = s->fpr;
        }
        if (!fpr) {
            rc = ed_err_set(err, ED_EINVALID, "no GPG keyring matching key id '%s' found", key_id);
            goto out;
        }
    }
    e = gpgme_get_key(ctx, fpr, &signer, 1);
    if (e && key_id) {
        rc = ed_err_set(err, ED_EINVALID, "keyring does not contain private key for key id '%s'",
                        key_id);
        goto out;
    }
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

int ed_source_sign_openpgp(const char *tmp_dir, const char *key, size_t key_len, const char *key_id,
                           const char *passphrase, const char *data, size_t len, char **sig,
                           ed_err *err)
{
    *sig = NULL;
    ed_gpg_ready();
    /* (a deep storage path falls back to /tmp; the home is removed at once) */
    char *home = ed_gpg_home_new(tmp_dir, "gnupg");
    if (!home)
        return ed_err_set(err, ED_ERROR, "signing the commit: cannot create a GnuPG home");
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t e = gpgme_new(&ctx);
    if (!e)
        e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
    int rc = e ? gpg_fail(err, "starting GnuPG", e)
               : sign_in(ctx, key, key_len, key_id, passphrase, data, len, sig, err);
    gpgme_release(ctx);
    ed_gpg_agent_stop(home);
    /* The key goes with the home. */
    ed_path_remove_tree(home);
    free(home);
    return rc;
}

/* ---- SSH signatures: ssh-keygen -Y sign, as git signs with gpg.format=ssh ---- */

/* Write len bytes to a new file path, readable by this user only. */
static int write_private(const char *path, const char *data, size_t len, bool newline)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, data, len) == (ssize_t)len && (!newline || write(fd, "\n", 1) == 1);
    return close(fd) == 0 && ok ? 0 : -1;
}

int ed_source_askpass_main(void)
{
    const char *path = getenv(ED_SOURCE_ASKPASS_ENV);
    size_t len = 0;
    char *pass = path ? ed_file_read(path, 4096, &len) : NULL;
    if (!pass)
        return 1;
    bool ok = fwrite(pass, 1, len, stdout) == len && fputc('\n', stdout) != EOF;
    memset(pass, 0, len);
    free(pass);
    return ok && fflush(stdout) == 0 ? 0 : 1;
}

/* The environment for ssh-keygen: ours without any askpass setting, then askpass only when a
 * password is to be given (by this very program, reading pass_file), never a prompt otherwise.
 * A new array; the strings it adds are in *owned (free them). */
static char **keygen_env(const char *pass_file, char *owned[3])
{
    size_t n = 0;
    for (char **p = environ; p && *p; p++)
        n++;
    char **env = ed_xcalloc(n + 4, sizeof(*env));
    size_t k = 0;
    for (char **p = environ; p && *p; p++)
        if (!ed_str_has_prefix(*p, "SSH_ASKPASS") && !ed_str_has_prefix(*p, "DISPLAY=") &&
            !ed_str_has_prefix(*p, ED_SOURCE_ASKPASS_ENV "="))
            env[k++] = *p;
    char self[4096];
    ssize_t sl = pass_file ? readlink("/proc/self/exe", self, sizeof(self) - 1) : -1;
    if (sl > 0) {
        self[sl] = '\0';
        owned[0] = ed_xasprintf("SSH_ASKPASS=%s", self);
        owned[1] = ed_xstrdup("SSH_ASKPASS_REQUIRE=force");
        owned[2] = ed_xasprintf("%s=%s", ED_SOURCE_ASKPASS_ENV, pass_file);
    } else {
        owned[0] = ed_xstrdup("SSH_ASKPASS_REQUIRE=never");
    }
    for (int i = 0; i < 3; i++)
        if (owned[i])
            env[k++] = owned[i];
    env[k] = NULL;
    return env;
}

int ed_source_sign_ssh(const char *tmp_dir, const char *key, size_t key_len, const char *password,
                       const char *data, size_t len, char **sig, ed_err *err)
{
    *sig = NULL;
    if (!password && ed_source_ssh_key_encrypted(key, key_len))
        return ed_err_set(err, ED_EINVALID,
                          "signing the commit: the SSH key is encrypted but no 'password' field "
                          "was provided in the secret");
    char *program = ed_proc_find("ssh-keygen");
    if (!program)
        return ed_err_set(err, ED_ERROR,
                          "signing the commit: ssh-keygen (OpenSSH) is needed for an SSH key and "
                          "was not found in $PATH");
    char *dir = ed_xasprintf("%s/sshsig.XXXXXX", tmp_dir);
    if (!mkdtemp(dir)) {
        free(dir);
        free(program);
        return ed_err_set(err, ED_ERROR, "signing the commit: cannot create a directory");
    }
    char *key_file = ed_xasprintf("%s/key", dir);
    char *pass_file = ed_xasprintf("%s/pass", dir);
    char *commit_file = ed_xasprintf("%s/commit", dir);
    char *sig_file = ed_xasprintf("%s/commit.sig", dir);
    char *owned[3] = {NULL, NULL, NULL};
    char **env = NULL;
    ed_buf out = ED_BUF_INIT(4096), errb = ED_BUF_INIT(ED_PROC_STDERR_MAX + 1);
    int rc = 0;
    /* ssh-keygen reads a key only when it ends with a line break. */
    bool nl = key_len == 0 || key[key_len - 1] != '\n';
    if (write_private(key_file, key, key_len, nl) != 0 ||
        write_private(commit_file, data, len, false) != 0 ||
        (password && write_private(pass_file, password, strlen(password), false) != 0)) {
        rc = ed_err_set(err, ED_ERROR, "signing the commit: cannot write to %s: %s", dir,
                        strerror(errno));
        goto out;
    }
    env = keygen_env(password ? pass_file : NULL, owned);
    char *argv[] = {"ssh-keygen", "-Y", "sign", "-n", "git", "-f", key_file, commit_file, NULL};
    int status = 0, sys_errno = 0;
    ed_proc_outcome oc = ed_proc_run(program, argv, env, 30000, &out, &errb, &status, &sys_errno);
    char line[256];
    ed_proc_first_line(&errb, line, sizeof(line));
    if (oc == ED_PROC_SPAWN_FAILED || oc == ED_PROC_IO_FAILED) {
        rc = ed_err_set(err, ED_ERROR, "signing the commit: running ssh-keygen: %s",
                        strerror(sys_errno));
        goto out;
    }
    if (oc != ED_PROC_EXITED || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* (The message names the scratch key file, never its content.) */
        rc = ed_err_set(err, ED_EINVALID, "signing the commit with the SSH key failed%s",
                        oc == ED_PROC_TIMED_OUT ? ": ssh-keygen did not finish within 30s" : line);
        goto out;
    }
    size_t sig_len = 0;
    *sig = ed_file_read(sig_file, 64 * 1024, &sig_len);
    if (!*sig)
        rc = ed_err_set(err, ED_ERROR, "signing the commit: ssh-keygen wrote no signature");
out:
    ed_path_remove_tree(dir);
    ed_buf_free(&out);
    ed_buf_free(&errb);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    free(env);
    free(key_file);
    free(pass_file);
    free(commit_file);
    free(sig_file);
    free(dir);
    free(program);
    return rc;
}
