/*
 * source_int.h: private to src/source. The pure parts of the module (URL normalisation,
 * revision strings, known_hosts matching, gitignore matching) are declared here so the unit
 * tests can reach them, next to the libgit2 glue shared by the module's files.
 */
#ifndef ED_SOURCE_INT_H
#define ED_SOURCE_INT_H

#include "source.h"

#include <git2.h>
#include <git2/sys/errors.h>
#include <signal.h>
#include <time.h>

/* ---- deadlines (deadline.c) ---- */

/* The deadline of one Git operation, on the thread that runs it (see deadline.c). */
typedef struct ed_source_deadline {
    int64_t at_ms;      /* on the monotonic clock; 0: none */
    int64_t timeout_ms; /* as given, for messages */
    timer_t timer;
    bool armed;
    bool mask_saved;
    sigset_t old_mask;
} ed_source_deadline;

/* Start a deadline timeout_ms from now for the calling thread (timeout_ms <= 0: none). When it
 * passes, blocking system calls of this thread are interrupted until ed_source_deadline_stop,
 * which the same thread must call. */
void ed_source_deadline_start(ed_source_deadline *d, int64_t timeout_ms);
/* True once d (which may be NULL) has passed. */
bool ed_source_deadline_passed(const ed_source_deadline *d);
/* Milliseconds left before d (0 once passed), or -1 when there is no deadline. */
int64_t ed_source_deadline_left_ms(const ed_source_deadline *d);
/* Stop interrupting the thread and restore its signal mask. */
void ed_source_deadline_stop(ed_source_deadline *d);
/* Register eddy's TCP stream with libgit2 (once per process; socket.c). */
void ed_source_socket_register(void);
/* Shut down the socket of the calling thread's latest libgit2 connection, if any. Async-signal
 * safe: called by the deadline's signal handler. */
void ed_source_socket_interrupt(void);
/* Forget the calling thread's latest connection (at the start and end of a deadline, so a
 * descriptor number reused by other code is never shut down). */
void ed_source_socket_forget(void);

/* ---- URLs ---- */

/* A parsed remote URL. Every string is owned by the struct. */
typedef struct ed_source_url {
    char *scheme; /* lowercase: http, https, ssh, git, file */
    char *user;   /* NULL when absent (never the password) */
    char *host;   /* lowercase, without brackets */
    int port;     /* explicit port, or the scheme's default (0 for file) */
    char *path;   /* starts with '/' */
} ed_source_url;

/* Parse url: scheme://... or git's scp-like "[user@]host:path" (ssh, port 22; path "/~/<path>"
 * when relative to the home directory). Errors: ED_EINVALID naming the problem (never echoing a
 * password). */
int ed_source_url_parse(const char *url, ed_source_url *out, ed_err *err);
void ed_source_url_clear(ed_source_url *u);
/*
 * The cache key of url: scheme and host lowercased, credentials and the default port dropped,
 * trailing slashes removed ("https://Example.com:443/org/repo/" -> "https://example.com/org/repo").
 * *out belongs to the caller (free). Errors as ed_source_url_parse.
 */
int ed_source_url_normalize(const char *url, char **out, ed_err *err);
/* url as the spec gives it, for messages (Flux repeats spec.url), less any password in its
 * userinfo ("https://me:pw@host/r" -> "https://me@host/r"). The result is the caller's (free). */
char *ed_source_url_display(const char *url);

/*
 * The URL of a submodule at path (for messages) whose .gitmodules URL is raw, below a
 * repository at parent: raw resolved against parent when relative ("../lib.git"), either of
 * them possibly scp-like ("git@host:org/lib.git"); *url is new (the caller frees it, also on
 * failure). *same_origin says whether the parent's credentials may go with it (same scheme,
 * host and port). Errors: ED_EINVALID (an unparsable URL, a file:// URL below another scheme).
 */
int ed_source_submodule_url(const char *parent, const char *raw, const char *path, char **url,
                            bool *same_origin, ed_err *err);

/* ---- revisions ---- */

/*
 * Flux's revision for a commit reached through ref (fluxcd/pkg/git): the ref with its first two
 * segments removed ("refs/heads/main" -> "main@sha1:<hex>"), the whole ref when keep_full is set
 * (spec.ref.name), or "sha1:<hex>" when ref is NULL. Writes at most n bytes to out.
 */
void ed_source_revision_format(const char *ref, bool keep_full, const char *hex, char *out,
                               size_t n);

/* ---- known_hosts ---- */

/*
 * Check the host key blob (SSH wire format: what the base64 field of known_hosts decodes to)
 * presented by host:port against known_hosts text (OpenSSH format: plain and hashed `|1|`
 * entries, comma-separated patterns, `[host]:port` for non-22 ports; `@cert-authority` lines are
 * ignored, a `@revoked` key is refused). Returns 0 when a line for the host has this key,
 * ED_ENOTFOUND when no line names the host, ED_EAUTH when lines name it but with other keys.
 */
int ed_source_known_hosts_check(const char *known_hosts, size_t len, const char *host, int port,
                                const unsigned char *key, size_t key_len);

/* Semantic versions (spec.ref.semver) are base/semver.c: ed_semver, ed_semver_range. */

/* ---- ignore rules (gitignore syntax, as fluxcd/pkg/sourceignore applies them) ---- */

typedef struct ed_source_ignore ed_source_ignore;

ed_source_ignore *ed_source_ignore_new(void);
void ed_source_ignore_free(ed_source_ignore *ig);
/* Add the patterns of text (gitignore syntax), relative to dir ("" for the root, else "a/b"). */
void ed_source_ignore_add(ed_source_ignore *ig, const char *text, size_t len, const char *dir);
/* Add Flux's default exclusions: the VCS ones and the others (CI, tools, media files). */
void ed_source_ignore_add_defaults(ed_source_ignore *ig);
/* Add only the VCS exclusions (.git/, .gitignore, .gitmodules, .gitattributes): always applied. */
void ed_source_ignore_add_vcs(ed_source_ignore *ig);
/* Add only the non-VCS default exclusions (Flux applies them when there is no other pattern). */
void ed_source_ignore_add_extra(ed_source_ignore *ig);
/* The number of rules added so far. */
size_t ed_source_ignore_len(const ed_source_ignore *ig);
/* True when path ("a/b/c", relative to the root) is excluded: the last rule that matches it or
 * a directory it lies in wins. */
bool ed_source_ignore_match(const ed_source_ignore *ig, const char *path, bool is_dir);
/* True when some rule is a `!pattern`: only then can a path below an excluded directory be
 * included again, and the walk must look below it. */
bool ed_source_ignore_has_negation(const ed_source_ignore *ig);

/* ---- libgit2 glue ---- */

/* Set err from libgit2's last error, with code. Returns code. */
int ed_source_git_error(ed_err *err, int code, const char *what);

/* Connection state shared by the credential and certificate callbacks of one fetch. */
typedef struct ed_source_auth {
    const ed_source_secret_entry *secret;
    size_t secret_len;
    const ed_source_secret_entry *proxy; /* spec.proxySecretRef's data, or NULL */
    size_t proxy_len;
    ed_source_url url;
    int cred_calls;
    bool failed;          /* credentials were refused or missing */
    bool host_refused;    /* the certificate or host key was not trusted */
    char reason[256];     /* why, for the error message (no secret in it) */
    git_strarray headers; /* Authorization for bearerToken */
    char *header_value;
    /* The operation's deadline, or NULL: every callback fails once it has passed. */
    const ed_source_deadline *deadline;
    /* Over SSH without `identity`: the keys of the user's ssh-agent (SSH_AUTH_SOCK). */
    bool ssh_agent;
} ed_source_auth;

/* Prepare auth for a fetch of url (parsed) with the secret and the proxy secret (both may be
 * NULL/0); ssh_agent: over SSH, the user's ssh-agent holds the key when the secret has no
 * `identity` (a CLI's own connection, never a Secret's). Errors: ED_EINVALID (a bad URL, an
 * ssh:// URL without `identity` (unless ssh_agent) or `known_hosts`), ED_EAUTH (`tls.crt`
 * without `tls.key` or the reverse, a proxy secret without `address`). */
int ed_source_auth_init(ed_source_auth *auth, const char *url, const ed_source_secret_entry *secret,
                        size_t secret_len, const ed_source_secret_entry *proxy, size_t proxy_len,
                        bool ssh_agent, ed_err *err);
void ed_source_auth_clear(ed_source_auth *auth);
/* Install the credential, certificate, progress (fetch and push), sideband and update-tips
 * callbacks (payload: auth, which must be the first member of any other payload set later) in
 * cb; each fails once auth->deadline has passed. */
void ed_source_auth_callbacks(ed_source_auth *auth, git_remote_callbacks *cb);
/* The value of key in the secret, or NULL; *len gets its length. */
const char *ed_source_secret_get(const ed_source_secret_entry *secret, size_t n, const char *key,
                                 size_t *len);
/* The CA of the fetch's secret: `ca.crt`, else Flux's older key `caFile`; NULL when neither.
 * *len (may be NULL) gets its length. */
const char *ed_source_secret_ca(const ed_source_auth *auth, size_t *len);

/* ---- SSH signatures (sshsig.c) ---- */

/* True when sig is an armored SSH signature ("-----BEGIN SSH SIGNATURE-----"). */
bool ed_source_sshsig_is_armored(const char *sig, size_t n);
/*
 * Verify the armored SSH signature sig over data (namespace "git") with one of the public keys
 * in the `.sshpub` entries of keys (authorized_keys format). On success fpr gets the key's
 * "SHA256:<base64>" fingerprint. what ("commit", "tag") names the object in messages.
 * Errors: ED_EAUTH (malformed, another namespace, no matching key, bad signature).
 */
int ed_source_sshsig_verify(const char *data, size_t len, const char *sig, size_t sig_len,
                            const ed_source_secret_entry *keys, size_t nkeys, char *fpr,
                            size_t fpr_len, const char *what, ed_err *err);

/* ---- the libcurl transport (transport.c) ---- */

/*
 * True when a fetch or push with auth needs eddy's libcurl transport instead of libgit2's HTTP
 * one: an
 * HTTPS URL with a client certificate (`tls.crt`), an HTTP(S) URL with a proxy secret or while
 * the environment names a proxy for its scheme (https_proxy, http_proxy, either case, as
 * Flux's controllers honour them; no_proxy applies). libgit2's HTTP transport, 1.8 included,
 * has neither client certificates nor SOCKS proxies, and sends plain HTTP past its proxy.
 */
bool ed_source_transport_wanted(const ed_source_auth *auth);
/* Make the fetch or push whose callbacks are cb use the libcurl transport when it is wanted
 * (payload: auth, which must outlive the remote's connection). */
void ed_source_transport_install(ed_source_auth *auth, git_remote_callbacks *cb);

/* The bare repository cache behind ed_source_cache, opened under its lock. */
struct ed_source_cache {
    char *storage;
    char *git_dir; /* <storage>/git */
    char *tmp_dir; /* <storage>/tmp */
};

/*
 * Push commit (in repo, the cache repository of o->url) to o's push branch, refspec or checkout
 * branch, with o's credentials (push.c; also used by commit.c). ED_ECONFLICT when the server
 * rejected it (the branch moved), ED_EAUTH, ED_ERETRY otherwise.
 */
int ed_source_git_push_commit(git_repository *repo, const ed_source_git_update_opts *o,
                              const git_oid *commit, ed_err *err);

/* How a new commit is signed (push.c): no key, not signed; an OpenPGP key (key_id as
 * ed_source_sign_openpgp's, NULL for the first), or with ssh an SSH private key. Borrowed. */
typedef struct ed_source_commit_signing {
    const char *key;
    size_t key_len;
    const char *key_id;
    const char *passphrase; /* or NULL */
    bool ssh;
} ed_source_commit_signing;

/*
 * Write the commit of tree on parent (NULL: a root commit), by sig as author and committer,
 * with message, signed as signing says (the signature in the gpgsig header, as git commit -S
 * writes it), without moving any ref (push.c; also used by commit.c). *out gets its id.
 * Errors: the signers' (ED_EINVALID ...), ED_ERROR.
 */
int ed_source_commit_create(ed_source_cache *cache, git_repository *repo, const git_signature *sig,
                            const char *message, const git_tree *tree, const git_commit *parent,
                            const ed_source_commit_signing *signing, git_oid *out, ed_err *err);

/* Open the cached bare repository of url for reading (no fetch). Errors: ED_ENOTFOUND. */
int ed_source_cache_repo_open(ed_source_cache *cache, const char *url, git_repository **out,
                              int *lock_fd, ed_err *err);
/* Free what ed_source_cache_repo_open gave (repo may be NULL, lock_fd -1): the repository, then
 * its shared lock on the cache. */
void ed_source_cache_repo_close(git_repository *repo, int lock_fd);

/* ---- OpenPGP commit signatures (sign.c) ---- */

/*
 * Sign data (a commit's content) with an OpenPGP secret key of key (git.asc, or bootstrap's
 * --gpg-key-ring: armoured or binary, one key or several; passphrase may be NULL), in a
 * throw-away GnuPG home under tmp_dir: the key whose primary key's long id is key_id (16 hex
 * digits, any case; flux's --gpg-key-id), or with key_id NULL the first key imported. *sig is
 * a new armoured detached signature. Errors: ED_EINVALID (no secret key, no key of key_id or
 * not its secret part, wrong passphrase), ED_ERROR.
 */
int ed_source_sign_openpgp(const char *tmp_dir, const char *key, size_t key_len, const char *key_id,
                           const char *passphrase, const char *data, size_t len, char **sig,
                           ed_err *err);

/*
 * Sign data (a commit's content) with the SSH private key (signingKey type ssh: `identity`, in
 * any format OpenSSH reads; password may be NULL) as git does with gpg.format=ssh: OpenSSH's
 * `ssh-keygen -Y sign -n git` over copies in a private scratch directory under tmp_dir, removed
 * at once. The password reaches ssh-keygen through SSH_ASKPASS, which is this program
 * (ed_source_askpass_main); without one ssh-keygen never prompts. *sig is a new armoured
 * SSHSIG signature. Errors: ED_EINVALID (an encrypted key without its password, a key
 * ssh-keygen refuses), ED_ERROR (no ssh-keygen, I/O).
 */
int ed_source_sign_ssh(const char *tmp_dir, const char *key, size_t key_len, const char *password,
                       const char *data, size_t len, char **sig, ed_err *err);

#endif
