/*
 * OpenPGP signature verification of a fetched commit and of the annotated tag that points to
 * it: GitRepository `spec.verify` (modes HEAD, Tag, TagAndHEAD) as Flux's source-controller
 * does it. The public keys come from a Secret: every value is read as an armored key ring
 * (Flux reads keys ending in `.asc` and any other key the same way), except entries ending in
 * `.sshpub`: SSH public keys in authorized_keys format, for commits and tags signed with SSH
 * (git's gpg.format=ssh; sshsig.c checks those).
 *
 * A commit's signature is its `gpgsig` header (git_commit_extract_signature gives the signed
 * bytes); a tag's is the armored block at the end of the tag object. OpenPGP signatures are
 * checked by gpgme against a throwaway GnuPG home under the cache's temp directory, made when
 * the first OpenPGP signature needs it and removed after the call, so no key ever lands in a
 * shared keyring and two reconciles never see each other's keys. A signature counts when it is
 * cryptographically good and made by one of the Secret's keys (no web of trust, as Flux); an
 * OpenPGP key is reported by its 16-hex key ID, an SSH key by its SHA256 fingerprint.
 */
#include "source_int.h"

#include <errno.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one call checks signatures with: the Secret's keys and, once an OpenPGP signature
 * needs it, a gpgme context on a fresh GnuPG home holding the OpenPGP keys. */
typedef struct verifier {
    ed_source_cache *cache;
    const ed_source_secret_entry *keys;
    size_t nkeys;
    char *home; /* the GnuPG home, removed at the end of the call */
    gpgme_ctx_t ctx;
} verifier;

#define KEY_ID_MAX 64

static int keyring_open(verifier *v, ed_err *err)
{
    if (v->ctx)
        return 0;
    if (!ed_gpg_ready())
        return ed_err_set(err, ED_ERROR, "GnuPG (gpg) is not available for signature checks");
    v->home = ed_xasprintf("%s/gnupg-XXXXXX", v->cache->tmp_dir);
    if (!mkdtemp(v->home)) {
        free(v->home);
        v->home = NULL;
        return ed_err_set(err, ED_ERROR, "create GnuPG home: %s", strerror(errno));
    }
    gpgme_ctx_t ctx = NULL;
    if (gpgme_new(&ctx) != GPG_ERR_NO_ERROR ||
        gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, v->home) != GPG_ERR_NO_ERROR) {
        gpgme_release(ctx);
        return ed_err_set(err, ED_ERROR, "cannot start GnuPG");
    }
    gpgme_set_armor(ctx, 1);
    int imported = 0;
    for (size_t i = 0; i < v->nkeys; i++) {
        if (ed_str_has_suffix(v->keys[i].key, ".sshpub"))
            continue;
        gpgme_data_t data = NULL;
        if (gpgme_data_new_from_mem(&data, v->keys[i].value, v->keys[i].len, 0) != GPG_ERR_NO_ERROR)
            continue;
        if (gpgme_op_import(ctx, data) == GPG_ERR_NO_ERROR) {
            gpgme_import_result_t r = gpgme_op_import_result(ctx);
            if (r)
                imported += r->imported + r->unchanged;
        }
        gpgme_data_release(data);
    }
    if (imported == 0) {
        gpgme_release(ctx);
        return ed_err_set(err, ED_EINVALID, "unable to read armored key ring: no public key");
    }
    v->ctx = ctx;
    return 0;
}

static void verifier_clear(verifier *v)
{
    gpgme_release(v->ctx);
    if (v->home)
        ed_path_remove_tree(v->home);
    free(v->home);
}

/* Verify the detached armored signature sig over data. *keyid gets the signer's key ID. */
static int check_pgp(gpgme_ctx_t ctx, const char *data, size_t data_len, const char *sig,
                     size_t sig_len, char keyid[KEY_ID_MAX], const char *what, ed_err *err)
{
    gpgme_data_t d = NULL, s = NULL;
    /* Flux's words (fluxcd/pkg/git: the object's error around the signature package's). */
    int rc = ed_err_set(err, ED_EAUTH,
                        "unable to verify Git %s: unable to verify payload with any of the given "
                        "key rings: no matching key",
                        what);
    if (gpgme_data_new_from_mem(&d, data, data_len, 0) != GPG_ERR_NO_ERROR ||
        gpgme_data_new_from_mem(&s, sig, sig_len, 0) != GPG_ERR_NO_ERROR)
        goto cleanup;
    if (gpgme_op_verify(ctx, s, d, NULL) != GPG_ERR_NO_ERROR)
        goto cleanup;
    gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
    for (gpgme_signature_t g = vr ? vr->signatures : NULL; g; g = g->next) {
        /* Good and made by an imported key; trust levels do not matter (no web of trust). */
        if (gpgme_err_code(g->status) == GPG_ERR_NO_ERROR && g->fpr) {
            size_t n = strlen(g->fpr);
            snprintf(keyid, KEY_ID_MAX, "%s", n > 16 ? g->fpr + n - 16 : g->fpr);
            ed_err_clear(err);
            rc = 0;
            break;
        }
    }
cleanup:
    gpgme_data_release(d);
    gpgme_data_release(s);
    return rc;
}

/* Check sig (OpenPGP or SSH, by its armor) over data. */
static int check_signature(verifier *v, const char *data, size_t data_len, const char *sig,
                           size_t sig_len, char keyid[KEY_ID_MAX], const char *what, ed_err *err)
{
    if (ed_source_sshsig_is_armored(sig, sig_len))
        return ed_source_sshsig_verify(data, data_len, sig, sig_len, v->keys, v->nkeys, keyid,
                                       KEY_ID_MAX, what, err);
    int rc = keyring_open(v, err);
    return rc ? rc : check_pgp(v->ctx, data, data_len, sig, sig_len, keyid, what, err);
}

/* The commit's gpgsig and signed bytes, checked. */
static int verify_commit(git_repository *repo, const git_oid *oid, verifier *v,
                         char keyid[KEY_ID_MAX], ed_err *err)
{
    git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
    int rc;
    if (git_commit_extract_signature(&sig, &data, repo, (git_oid *)oid, NULL) != 0)
        /* Flux dispatches on the signature's type, which is "empty" here. */
        rc = ed_err_set(err, ED_EAUTH, "unsupported signature type: empty");
    else
        rc = check_signature(v, data.ptr, data.size, sig.ptr, sig.size, keyid, "commit", err);
    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    return rc;
}

/* Start of the armored signature (OpenPGP or SSH) in a raw tag object, or NULL. */
static const char *tag_signature(const char *raw, size_t n)
{
    static const char pgp[] = "-----BEGIN PGP SIGNATURE-----";
    static const char ssh[] = "-----BEGIN SSH SIGNATURE-----";
    const char *found = NULL;
    for (const char *p = raw; p && p < raw + n;) {
        size_t left = (size_t)(raw + n - p);
        if ((left >= sizeof(pgp) - 1 && memcmp(p, pgp, sizeof(pgp) - 1) == 0) ||
            (left >= sizeof(ssh) - 1 && memcmp(p, ssh, sizeof(ssh) - 1) == 0))
            found = p; /* the last one: a message may quote a signature */
        const char *nl = memchr(p, '\n', (size_t)(raw + n - p));
        p = nl ? nl + 1 : NULL;
    }
    return found;
}

/* The annotated tag refname, which must point (peeled) at commit: signature checked. *kind
 * says what the tag was when it could not be checked: 1 an annotated tag without a signature,
 * 2 a lightweight tag (no tag object). name gets the tag as Flux's messages name it once its
 * object is read: the tag object's name, '@', the tag object's id ("v1.0.0@<hex>"). */
static int verify_tag(git_repository *repo, const char *refname, const git_oid *commit, verifier *v,
                      char keyid[KEY_ID_MAX], int *kind, char *name, size_t name_size, ed_err *err)
{
    git_reference *ref = NULL;
    git_odb *odb = NULL;
    git_odb_object *raw = NULL;
    git_object *peeled = NULL;
    int rc = 0;
    *kind = 0;
    if (git_reference_lookup(&ref, repo, refname) != 0 ||
        git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) != 0 ||
        !git_oid_equal(git_object_id(peeled), commit)) {
        rc = ed_err_set(err, ED_ENOTFOUND, "tag '%s' not found in the cache", refname);
        goto cleanup;
    }
    const git_oid *target = git_reference_target(ref);
    if (!target || git_repository_odb(&odb, repo) != 0 || git_odb_read(&raw, odb, target) != 0 ||
        git_odb_object_type(raw) != GIT_OBJECT_TAG) {
        *kind = 2; /* a lightweight tag: no tag object to verify */
        rc = ed_err_set(err, ED_EINVALID, "tag is not an annotated tag object");
        goto cleanup;
    }
    git_tag *tag = NULL;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), target);
    if (git_tag_lookup(&tag, repo, target) == 0)
        snprintf(name, name_size, "%s@%s", git_tag_name(tag), hex);
    git_tag_free(tag);
    const char *data = git_odb_object_data(raw);
    size_t n = git_odb_object_size(raw);
    const char *sig = tag_signature(data, n);
    if (!sig) {
        *kind = 1;
        rc = ed_err_set(err, ED_EAUTH, "tag does not have a PGP signature");
        goto cleanup;
    }
    rc = check_signature(v, data, (size_t)(sig - data), sig, n - (size_t)(sig - data), keyid, "tag",
                         err);
cleanup:
    git_object_free(peeled);
    git_odb_object_free(raw);
    git_odb_free(odb);
    git_reference_free(ref);
    return rc;
}

int ed_source_git_verify(ed_source_cache *cache, const ed_source_verify_opts *opts,
                         ed_source_verify_result *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    out->reason = "VerificationError";
    git_repository *repo = NULL;
    verifier v = {.cache = cache, .keys = opts->keys, .nkeys = opts->nkeys};
    int lock_fd = -1;
    git_oid oid;
    char tag_id[KEY_ID_MAX] = "", head_id[KEY_ID_MAX] = "", tag_name[320] = "";
    int rc;
    if (git_oid_fromstr(&oid, opts->commit) != 0) {
        rc = ed_err_set(err, ED_EINVALID, "invalid commit '%s'", opts->commit);
        goto cleanup;
    }
    if ((rc = ed_source_cache_repo_open(cache, opts->url, &repo, &lock_fd, err)) != 0)
        goto cleanup;
    if (opts->tag) {
        /* As Flux: a tag mode needs the commit to have come through a tag object. A branch,
         * a commit, a "refs/tags/x^{}" name (the peeled commit) or a lightweight tag gives
         * none, and waiting will not change the ref: the caller stalls (InvalidVerificationMode).
         */
        int kind = 2;
        bool tag_ref = opts->tag_ref && ed_str_has_prefix(opts->tag_ref, "refs/tags/") &&
                       !ed_str_has_suffix(opts->tag_ref, "^{}");
        rc = tag_ref ? verify_tag(repo, opts->tag_ref, &oid, &v, tag_id, &kind, tag_name,
                                  sizeof(tag_name), err)
                     : ED_EINVALID;
        if (rc && kind == 2) {
            out->reason = "InvalidVerificationMode";
            rc = ed_err_set(err, ED_EINVALID,
                            "cannot verify tag object's signature if a tag reference is not "
                            "specified");
            goto cleanup;
        }
        if (rc) {
            if (kind == 1) {
                out->reason = "InvalidGitObject";
                ed_err_set(err, rc, "cannot verify signature of tag '%s' since it is not signed",
                           tag_name);
            } else {
                out->reason = "InvalidTagSignature";
                ed_err_wrap(err, "signature verification of tag '%s' failed", tag_name);
            }
            goto cleanup;
        }
    }
    if (opts->head) {
        rc = verify_commit(repo, &oid, &v, head_id, err);
        if (rc) {
            out->reason = "InvalidCommitSignature";
            ed_err_wrap(err, "signature verification of commit '%s' failed", opts->commit);
            goto cleanup;
        }
    }
    /* Flux's message: one line per verified object. */
    int n = snprintf(out->message, sizeof(out->message), "verified signature of");
    if (opts->tag && n > 0 && (size_t)n < sizeof(out->message))
        n += snprintf(out->message + n, sizeof(out->message) - (size_t)n,
                      "\n\t- tag '%s' with key '%s'", tag_name, tag_id);
    if (opts->head && n > 0 && (size_t)n < sizeof(out->message))
        snprintf(out->message + n, sizeof(out->message) - (size_t)n,
                 "\n\t- commit '%s' with key '%s'", opts->commit, head_id);
    out->reason = "Succeeded";
cleanup:
    verifier_clear(&v);
    ed_source_cache_repo_close(repo, lock_fd);
    return rc;
}
