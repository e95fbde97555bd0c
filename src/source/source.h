/*
 * source: where eddy's desired state comes from. This header is the Git half of Flux's
 * source-controller (GitRepository, source.toolkit.fluxcd.io/v1) as a library:
 *
 *   - a persistent cache of bare repositories, one per normalized URL, kept across calls and
 *     restarts (DESIGN.md commitment 4): an unchanged remote costs one ref listing, a new commit
 *     costs a fetch of the delta, a corrupt cache is detected and rebuilt;
 *   - `ref` resolution with Flux's precedence (commit > name > tag > semver > branch, default
 *     branch `master`) and Flux's revision strings (`main@sha1:<hex>`, `v1.0.0@sha1:<hex>`,
 *     `refs/heads/main@sha1:<hex>`, `sha1:<hex>`);
 *   - authentication from a Flux Secret's data: `username`/`password`, `bearerToken`, `ca.crt`,
 *     `tls.crt` + `tls.key` (mutual TLS), `identity` + `known_hosts` (+ `password` for an
 *     encrypted key), and a proxy Secret (`address`, `username`, `password`); client
 *     certificates and proxies go through a libcurl transport (transport.c), the rest through
 *     libgit2's own;
 *   - artifacts: the tree of a commit written without `.git`, filtered by Flux's default
 *     exclusions, `.sourceignore` files and `spec.ignore`, optionally limited to sparse-checkout
 *     directories and with submodules fetched and written in place, other repositories'
 *     artifacts copied in (`include`), packed as a deterministic tar.gz with Flux's header
 *     normalisation, and its digest `sha256:<hex>`; and the safe unpacking of such an archive
 *     for in-process consumers;
 *   - OpenPGP (gpgme) and SSH (OpenSSL) signature verification of the fetched commit and tag,
 *     as `spec.verify`; and cosign signatures of OCI artifacts with public keys (cosign.c),
 *     OCIRepository's `spec.verify`;
 *   - the artifact store (atomic writes, Flux's garbage collection by count and age) and its
 *     HTTP server.
 *
 * Artifact digests are not Flux's, by decision. Flux's digest is the sha256 of the bytes Go's
 * archive/tar and compress/gzip (default level) write. The tar part could be reproduced (Go's
 * header layout, a "." entry for the root, directory names without a trailing '/'), but not
 * the gzip part: Go's DEFLATE encoder has its own match finder and block splitting, unlike
 * zlib's at any level, and it has changed between Go releases, so the same tree gives other
 * bytes with each Go version Flux is built with; so the tar stream is left to libarchive as well
 * (the same entries, but directory names end in '/' and the root has no entry). Nothing needs the
 * two to agree: every consumer (kustomize-controller, eddy's Kustomization reconciler) checks
 * `artifact.digest` against the bytes the same controller stored and serves. eddy's archive is
 * deterministic on its own terms (one tree, one digest, across runs and machines), and a cluster
 * handed from Flux to eddy gets a rebuilt artifact with the same revision on the first reconcile.
 *
 *   - GitHub App installation tokens (`spec.provider: github`, githubapp.c), cached in the
 *     process until near their expiry.
 *
 * Not here yet: cloud provider authentication, proxies for ssh:// and git:// URLs.
 *
 * Thread safety: an ed_source_cache may be used from several threads at once; calls on one URL
 * are serialised by a lock file (flock) per cache directory, which also guards against a second
 * process sharing the storage path.
 */
#ifndef ED_SOURCE_H
#define ED_SOURCE_H

#include "../base/base.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the repository cache ---- */

/* A set of bare repositories under `<storage>/git/`, one per normalized URL. */
typedef struct ed_source_cache ed_source_cache;

/*
 * Open (creating the directories if needed) the cache under storage_path. *out belongs to the
 * caller: free it with ed_source_cache_free. Errors: ED_ERROR when the directories cannot be
 * created.
 */
int ed_source_cache_open(ed_source_cache **out, const char *storage_path, ed_err *err);
/* Free the handle (the cache on disk stays). Accepts NULL. */
void ed_source_cache_free(ed_source_cache *cache);

/* ---- fetching ---- */

/*
 * GitRepository `spec.ref`. Unset fields are NULL; all NULL means branch `master`. Precedence:
 * commit > name > tag > semver > branch. A commit with a branch must be in that branch's
 * history; a commit alone is taken from any branch or tag.
 */
typedef struct ed_source_git_ref {
    const char *branch;
    const char *tag;
    const char *semver; /* the highest tag matching a range: ">=1.0.0 <2.0.0", "^1.2", "~1.2.3" */
    const char *name;   /* a full ref: refs/heads/main, refs/pull/420/head */
    const char *commit; /* 40 lowercase hex digits */
    /* What `git fetch <url> <fetchable>` takes, as kustomize's remote targets name a ref:
     * "HEAD" (the branch the remote's HEAD names), else a branch, a tag or a full ref name,
     * looked up in that order. Alone: the other fields NULL. */
    const char *fetchable;
} ed_source_git_ref;

/* One key of a Secret's data; values are bytes (not necessarily NUL-terminated). */
typedef struct ed_source_secret_entry {
    const char *key;
    const char *value;
    size_t len;
} ed_source_secret_entry;

/* True when key (len bytes, a Secret's `identity`) is an SSH private key encrypted with a
 * passphrase: OpenSSH's format with a cipher other than "none", an encrypted PKCS#8 key, or a
 * PEM key with an ENCRYPTED Proc-Type. False for anything else, garbage included. */
bool ed_source_ssh_key_encrypted(const char *key, size_t len);

/*
 * A new SSH key pair, as flux's bootstrap makes a deploy key: algorithm "rsa" (rsa_bits, at
 * least 1024), "ecdsa" (curve "p256", "p384" or "p521") or "ed25519". *private_pem gets the
 * private key as unencrypted PKCS#8 PEM, *public_line its authorized_keys line (ending in a
 * newline); both new strings the caller frees (wipe the private one). Errors: ED_EINVALID (an
 * unknown algorithm or curve, a failed generation).
 */
int ed_source_ssh_keypair_new(const char *algorithm, int rsa_bits, const char *curve,
                              char **private_pem, char **public_line, ed_err *err);
/*
 * The authorized_keys line ("ssh-ed25519 AAAA...\n") of the private key (len bytes), as flux's
 * bootstrap derives it from --private-key-file (x/crypto's ParsePrivateKey, or
 * ParsePrivateKeyWithPassphrase when passphrase is not NULL): PKCS#1, SEC 1 or PKCS#8 PEM
 * (OpenSSL reads it; an encrypted PEM key with the passphrase) or OpenSSH's format (the public
 * key written in its clear part: an encrypted one's passphrase is not checked). *line is a new
 * string. Errors: ED_EINVALID with x/crypto's words ("ssh: no key found", "ssh: this private key
 * is passphrase protected", "ssh: not an encrypted key", ...).
 */
int ed_source_ssh_public_line(const char *key, size_t len, const char *passphrase, char **line,
                              ed_err *err);
/*
 * The host key of the SSH server at host:port (an IPv6 address without brackets), read from
 * its key exchange before any authentication, as a known_hosts line (no newline): "host type
 * base64" on port 22, else "[host]:port type base64". *out is a new string. Errors: ED_ETIMEOUT
 * after timeout_ms (> 0), ED_EINVALID (no connection, no SSH server) with libgit2's message.
 */
int ed_source_ssh_host_key_scan(const char *host, int port, int64_t timeout_ms, char **out,
                                ed_err *err);
/*
 * Check a client certificate and its key (PEM, each len bytes) as Go's tls.X509KeyPair does,
 * the check Flux's secret factories make before writing a TLS Secret: a CERTIFICATE block in
 * cert, a block of a type ending in PRIVATE KEY in key (PKCS#1, SEC1 or PKCS#8: RSA, ECDSA or
 * Ed25519), and the key belonging to the first certificate. Returns 0, or ED_EINVALID with
 * Go's message in err ("tls: private key does not match public key", ...).
 */
int ed_source_tls_pair_check(const char *cert, size_t cert_len, const char *key, size_t key_len,
                             ed_err *err);

typedef struct ed_source_git_fetch_opts {
    const char *url; /* http://, https://, ssh:// (Flux's pattern) or git:// */
    ed_source_git_ref ref;
    /* The Secret named by spec.secretRef, or NULL/0. Borrowed for the call. */
    const ed_source_secret_entry *secret;
    size_t secret_len;
    /* The Secret named by spec.proxySecretRef (`address`, optional `username`, `password`),
     * or NULL/0 for no proxy. HTTP(S) URLs only (ssh:// and git:// connect directly). */
    const ed_source_secret_entry *proxy;
    size_t proxy_len;
    /* spec.timeout: the fetch (connection, ref listing, transfer) fails with ED_ETIMEOUT once
     * this many milliseconds have passed; 0 for no limit. */
    int64_t timeout_ms;
    /* The caller commits and pushes from the cache: fetch the whole history (deepening a
     * shallow cache), since libgit2 cannot build a push pack in a shallow repository. */
    bool full_history;
    /* The object has an artifact in storage (Flux's LastObservedCommit): for a branch or tag
     * Flux then lists the remote before it clones, and a failure there (refused credentials)
     * reads "unable to list remote for '<url>': ..." instead of "unable to clone '<url>': ...". */
    bool last_observed;
    /* Over SSH without `identity` in secret: the user's ssh-agent (SSH_AUTH_SOCK) holds the
     * key, as flux's bootstrap uses it without --private-key-file. For a CLI's own
     * connection: never set from a Secret. */
    bool ssh_agent;
} ed_source_git_fetch_opts;

#define ED_SOURCE_GIT_FETCH_OPTS_INIT                                                              \
    {                                                                                              \
        0                                                                                          \
    }

/* What a fetch found and what it cost. */
typedef struct ed_source_git_result {
    char revision[320]; /* Flux's revision string, e.g. "main@sha1:<40 hex>" */
    char commit[41];    /* the commit's hex id */
    /* Flux's ShortMessage of the commit: its first line, cut after 50 characters with "..."
     * ("" when it could not be read) */
    char subject[256];
    int ref_listings; /* connections that listed the remote's refs (0 or 1) */
    bool fetched;     /* false when the cache already had the commit: no objects transferred */
    bool rebuilt;     /* the cache directory was corrupt and was recreated */
    /* On ED_ENOTFOUND for a branch: the remote has no refs at all (a repository without
     * commits), Flux's EmptyGitRepository; the message is "git repository is empty". */
    bool empty;
    uint64_t received_objects;
    uint64_t received_bytes;
} ed_source_git_result;

/* The environment variable that makes this program an SSH_ASKPASS helper for ssh-keygen
 * (ed_source_sign_ssh): it names the file holding the key's password. */
#define ED_SOURCE_ASKPASS_ENV "EDDY_SSH_ASKPASS_FILE"
/* Print the password in the file ED_SOURCE_ASKPASS_ENV names, then a line break, as an askpass
 * program does. Returns the exit status (1 when there is none to print). */
int ed_source_askpass_main(void);

/*
 * Check that url is on one of Flux's Git transports (http, https, ssh): the controllers take a
 * URL from any tenant's object, and any other scheme (file://: the agent's own disk, every
 * tenant's Git cache) is refused with ED_EAUTH "unknown transport '<scheme>'" (Flux's words),
 * even where a CRD without Flux's URL pattern let it through. A URL that does not parse:
 * ED_EINVALID.
 */
int ed_source_git_transport_check(const char *url, ed_err *err);

/*
 * Check, without connecting, that opts->url is on a Flux transport (above) and that
 * opts->secret and opts->proxy can be used for it (`tls.crt` with `tls.key`, a proxy
 * `address`, `identity` and `known_hosts` for ssh://), as ed_source_git_fetch would first.
 * Errors: ED_EAUTH or ED_EINVALID naming the key, never a value.
 */
int ed_source_git_auth_check(const ed_source_git_fetch_opts *opts, ed_err *err);

/*
 * Resolve opts->ref on the remote at opts->url and make sure the cache holds its commit and
 * tree, fetching only what is missing. *out is filled on success.
 *
 * Errors: ED_EAUTH (wrong or missing credentials, unknown SSH host key, untrusted certificate;
 * the message never contains a secret), ED_ENOTFOUND (the branch, tag, ref or commit does not
 * exist, or no tag matches the semver range, in Flux's words: "unable to clone '<url>':
 * couldn't find remote ref \"refs/heads/x\"", "no match found for semver: <range>"; a ref or
 * commit no repository can have, such as a short commit id; or a branch of an empty
 * repository: out->empty), ED_EINVALID (bad URL, range or secret),
 * ED_ERETRY (the server could not be reached or the transfer broke), ED_ETIMEOUT (opts->timeout_ms
 * passed; the message says "timed out after <timeout>"), ED_ERROR otherwise. The calling thread's
 * blocking system calls are interrupted (EINTR) once the timeout passes, until the call returns.
 */
int ed_source_git_fetch(ed_source_cache *cache, const ed_source_git_fetch_opts *opts,
                        ed_source_git_result *out, ed_err *err);

/* ---- GitHub App installation tokens (spec.provider: github) ---- */

/* The user name a GitHub App installation token is sent with (its password). */
#define ED_SOURCE_GITHUB_APP_USER "x-access-token"

/*
 * Check a Secret's GitHub App data as Flux's GitHubAppDataFromSecret reads it: *present is true
 * when githubAppID and githubAppPrivateKey are both there (without either, Flux's "key not
 * found" counts as no App data: *present false, 0 returned). With them, exactly one of
 * githubAppInstallationOwner or githubAppInstallationID is required. Errors: ED_EINVALID in
 * Flux's words naming secret_ref ("<namespace>/<name>"): "secret 'ns/name' must contain
 * exactly one of 'githubAppInstallationOwner' or 'githubAppInstallationID'".
 */
int ed_source_github_app_check(const ed_source_secret_entry *secret, size_t n,
                               const char *secret_ref, bool *present, ed_err *err);

/*
 * The JSON Web Token a GitHub App authenticates with: RS256 over {"iss":"<app_id>","exp":
 * now+90,"iat":now-30} (seconds since the epoch), signed with key (PEM: an RSA key, PKCS#1 or
 * PKCS#8). *out is a new string "<header>.<claims>.<signature>" (base64url, unpadded). Errors:
 * ED_EINVALID "could not parse private key: ..." (not PEM, not RSA, encrypted), ED_ERROR.
 */
int ed_source_github_app_jwt(int64_t app_id, const char *key, size_t key_len, int64_t now,
                             char **out, ed_err *err);

typedef struct ed_source_github_app_opts {
    /* The secretRef's data: the GitHub App keys, and the TLS keys for the API (ca.crt or
     * caFile, tls.crt + tls.key). Borrowed. */
    const ed_source_secret_entry *secret;
    size_t secret_len;
    /* The proxy Secret's data (address, username, password), or NULL/0: the environment's. */
    const ed_source_secret_entry *proxy;
    size_t proxy_len;
    int64_t timeout_ms; /* bounds each API call; 0 for none */
} ed_source_github_app_opts;

/*
 * An installation access token for the App in o->secret (checked with
 * ed_source_github_app_check first): from the process's cache while it has one for the same
 * App data (80% of its lifetime, at most an hour), else from the API (githubAppBaseURL, else
 * https://api.github.com/): the installation of githubAppInstallationOwner looked up (its
 * organization's, else its user's) when no ID is given, then POST
 * app/installations/<id>/access_tokens with a new JWT. *token is the caller's (free it with
 * ed_source_secret_free_str); *cached (may be NULL) says where it came from. Errors, in Flux's
 * words: ED_EINVALID (the App ID, installation or key missing or unusable), ED_EAUTH (the API
 * refused: "POST <url>: 401 <message> []"), ED_ENOTFOUND (another 4xx), ED_ERETRY (no
 * connection, 5xx), ED_ETIMEOUT, ED_ERROR (a reply without a token).
 */
int ed_source_github_app_token(const ed_source_github_app_opts *o, char **token, bool *cached,
                               ed_err *err);
/* Wipe and free a string copied from a secret (a token). Accepts NULL. */
void ed_source_secret_free_str(char *s);
/* Forget every cached token (tests). */
void ed_source_github_app_cache_clear(void);

/* ---- kustomize's remote targets ---- */

/*
 * Write the tree of the repository at url at ref (a 40-hex commit id, else a name as
 * ed_source_git_ref.fetchable takes it; "" for the remote's HEAD) into dest_dir (existing,
 * empty): every file (no .git, no symlinks), with submodules when asked, fetched through the
 * cache without credentials, within timeout_ms (0: none). Errors as ed_source_git_fetch and
 * ed_source_git_checkout_with.
 */
int ed_source_remote_tree(ed_source_cache *cache, const char *url, const char *ref, bool submodules,
                          int64_t timeout_ms, const char *dest_dir, ed_err *err);

/*
 * GET an http(s) URL (redirects followed, no credentials) within timeout_ms: *data (malloc'd,
 * NUL-terminated) and *len get the body of a 2xx reply. Errors: ED_ENOTFOUND with "status code
 * <N> (<text>)" for another reply, ED_ETOOBIG past max bytes, ED_EINVALID for another scheme,
 * ED_ERETRY when the server cannot be reached, ED_ETIMEOUT.
 */
int ed_source_remote_file(const char *url, size_t max, int64_t timeout_ms, char **data, size_t *len,
                          ed_err *err);

/* ---- commits pushed back (image update automation) ---- */

/*
 * Called with each YAML file (.yaml, .yml) under the update path of the checked-out commit:
 * path is relative to the repository root, data its bytes. Set *changed and write the whole
 * new content to out when the file changes. A non-zero return stops the update (nothing is
 * committed) and is returned.
 */
typedef int (*ed_source_edit_fn)(const char *path, const char *data, size_t len, ed_buf *out,
                                 bool *changed, void *user, ed_err *err);
/* The commit message, once the edits are known: *message is a new string. */
typedef int (*ed_source_message_fn)(void *user, char **message, ed_err *err);

typedef struct ed_source_git_update_opts {
    const char *url;
    const ed_source_secret_entry *secret; /* credentials, as for a fetch */
    size_t secret_len;
    bool ssh_agent; /* as ed_source_git_fetch_opts' */
    /* The GitRepository's spec.proxySecretRef data (`address`, optional `username` and
     * `password`), or NULL/0: each fetch and push of an http(s) URL goes through it. */
    const ed_source_secret_entry *proxy;
    size_t proxy_len;
    const char *checkout_branch; /* the branch the commit is made on top of */
    /* Or any ref (tag, semver, name, commit; checkout_branch NULL then, and push_branch or
     * refspec required); NULL to check out checkout_branch. */
    const ed_source_git_ref *checkout;
    const char *push_branch; /* where it goes; NULL: the checkout branch. Another branch is
                                force-pushed, as Flux does by default, unless it already
                                holds the same files (then nothing is pushed). */
    const char *refspec;     /* git.push.refspec ("refs/heads/main:refs/heads/auto"), or NULL */
    /* git.push.options: the push options sent with every push, each a whole option string
     * ("ci.skip", "merge_request.create", "topic=x"); NULL/0 for none. With any, a server that
     * does not advertise push-options fails the push (ED_EINVALID) rather than push without. */
    const char *const *push_options;
    size_t npush_options;
    /* The GitRepository's spec.timeout: bounds each fetch and each push (ED_ETIMEOUT, "timed
     * out after <timeout>"); 0 for no limit. */
    int64_t timeout_ms;
    const char *path; /* update.path, relative to the root (a ".." stops at it, as Flux's
                       * securejoin); NULL or "" for all */
    const char *author_name;
    const char *author_email; /* required */
    /* A key to sign the commit with, or NULL: an armoured OpenPGP secret key (signingKey's
     * git.asc) or, with signing_ssh, an SSH private key (its identity); its passphrase (or
     * password), or NULL. */
    const char *signing_key;
    size_t signing_key_len;
    const char *signing_passphrase;
    bool signing_ssh;
    ed_source_edit_fn edit;
    ed_source_message_fn message;
    void (*begin)(void *user); /* called before each attempt's edits (to forget the last one's) */
    void *user;
    int max_attempts; /* on a rejected push; 0 for 3 */
} ed_source_git_update_opts;

/* Where an update stopped, in Flux's phases: checking out the source (the fetches), applying
 * the policies (update.path, the edits), committing and pushing (the message included). */
typedef enum {
    ED_SOURCE_UPDATE_CHECKOUT,
    ED_SOURCE_UPDATE_APPLY,
    ED_SOURCE_UPDATE_PUSH,
} ed_source_update_stage;

typedef struct ed_source_git_update_result {
    ed_source_update_stage stage; /* the phase reached (where a failure happened) */
    char source_revision[320];    /* the checkout branch's revision the edits started from */
    bool committed;               /* a commit was made and pushed */
    char commit[41];              /* its hex id */
    int files_changed;
    int attempts;
} ed_source_git_update_result;

/*
 * Fetch checkout_branch (or the checkout ref) into the cache, run edit over the YAML files under
 * path, and when any changed, commit them (author and committer: author_name <author_email>,
 * message from opts->message) on top of the branch's head and push it (on top of push_branch's
 * head instead when it names another branch that exists, as Flux does). A rejected push (the branch
 * moved) is retried from a fresh fetch, up to max_attempts. Errors: a fetch's (ED_EAUTH,
 * ED_ENOTFOUND, ED_ERETRY, ED_ETIMEOUT ...), the callbacks', ED_EINVALID (bad path, refspec,
 * author or push option; push options the server does not accept), ED_ETIMEOUT (a push longer
 * than timeout_ms), ED_ECONFLICT (still rejected after every attempt).
 */
int ed_source_git_update(ed_source_cache *cache, const ed_source_git_update_opts *opts,
                         ed_source_git_update_result *out, ed_err *err);

/* ---- files written by eddy bootstrap ---- */

/* One file to write: path relative to the repository root ("clusters/a/flux-system/x.yaml").
 * With if_absent, written only when the branch does not hold the path yet (bootstrap's
 * kustomization.yaml, which its user may have edited since, as flux keeps it). */
typedef struct ed_source_file {
    const char *path;
    const char *data;
    size_t len;
    bool if_absent;
} ed_source_file;

typedef struct ed_source_git_write_opts {
    const char *url;
    const ed_source_secret_entry *secret; /* credentials, as for a fetch */
    size_t secret_len;
    bool ssh_agent;     /* as ed_source_git_fetch_opts' */
    const char *branch; /* created (root commit) when the repository does not have it */
    const char *author_name;
    const char *author_email; /* required */
    const char *message;      /* the commit message (required) */
    /* An OpenPGP key ring to sign the commit with (flux bootstrap's --gpg-key-ring: armoured
     * or binary), or NULL; the key of signing_key_id (16 hex digits, --gpg-key-id) or, when
     * NULL, its first; the key's passphrase or NULL. */
    const char *signing_key;
    size_t signing_key_len;
    const char *signing_key_id;
    const char *signing_passphrase;
    const ed_source_file *files;
    size_t nfiles;
    int max_attempts;   /* on a rejected push; 0 for 3 */
    int64_t timeout_ms; /* bounds each fetch and push (deadline.c); 0 for no limit */
    /* Called when a commit is made, before it is pushed (again on each attempt after a
     * rejected push: attempt counts from 1), with its id (40 hex): what bootstrap reports
     * between the two, as flux prints its commit line before its push. NULL for none. */
    void (*on_commit)(void *user, const char *commit, int attempt);
    void *on_commit_user;
} ed_source_git_write_opts;

typedef struct ed_source_git_write_result {
    bool committed;      /* a commit was made and pushed */
    bool created_branch; /* the branch did not exist (an empty repository) */
    char commit[41];     /* the branch's head afterwards: the new commit, or the unchanged head */
    int attempts;
    bool push_failed; /* on an error: a commit was made and its push failed */
} ed_source_git_write_result;

/*
 * Write opts->files over the head of opts->branch (fetched into the cache) and, when the tree
 * changes, commit them and push the branch (never forced). Files not named are left as they
 * are. Nothing is committed when every file already has these bytes (out->committed false). A
 * rejected push is retried from a fresh fetch, up to max_attempts. Errors: a fetch's (ED_EAUTH,
 * ED_ERETRY ...), ED_EINVALID (a path leaving the repository, bad author; a signing key that
 * cannot sign: none of signing_key_id, no secret key, wrong passphrase), ED_ECONFLICT (still
 * rejected after every attempt).
 */
int ed_source_git_write(ed_source_cache *cache, const ed_source_git_write_opts *opts,
                        ed_source_git_write_result *out, ed_err *err);

/* ---- signature verification (spec.verify) ---- */

typedef struct ed_source_verify_opts {
    const char *url;    /* the repository, already fetched into the cache */
    const char *commit; /* 40 hex: the fetched commit */
    bool head;          /* check the commit's signature (modes HEAD, TagAndHEAD) */
    bool tag;           /* check the annotated tag's signature (modes Tag, TagAndHEAD) */
    /* "refs/tags/<name>" the commit was fetched through, or NULL. With tag set, a NULL, a
     * peeled name ("refs/tags/<name>^{}") or a lightweight tag fails as Flux's
     * InvalidVerificationMode: there is no tag object to verify. */
    const char *tag_ref;
    /* The data of spec.verify.secretRef: armored OpenPGP public keys (any key but `.sshpub`) and
     * SSH public keys in authorized_keys format (keys ending in `.sshpub`). */
    const ed_source_secret_entry *keys;
    size_t nkeys;
} ed_source_verify_opts;

typedef struct ed_source_verify_result {
    const char *reason; /* Flux's SourceVerified reason: Succeeded, InvalidCommitSignature,
                           InvalidTagSignature, InvalidGitObject, InvalidVerificationMode,
                           VerificationError (static strings) */
    char message[1024]; /* on success, Flux's "verified signature of\n\t- commit '<sha>' with
                           key '<key id>'" */
} ed_source_verify_result;

/*
 * Verify the OpenPGP signatures opts asks for with gpgme (the gpg program must be installed),
 * against only the keys in opts->keys (a temporary GnuPG home per call), and SSH signatures
 * (git's gpg.format=ssh) against the `.sshpub` entries (OpenSSL). On success *out has
 * the message; on failure out->reason says which check failed and err says why, in Flux's
 * words ("signature verification of commit '<sha>' failed: unable to verify Git commit: unable
 * to verify payload with any of the given key rings: no matching key"). Errors: ED_EAUTH (unsigned,
 * wrongly signed), ED_EINVALID (no usable key; a tag mode without a tag object: reason
 * InvalidVerificationMode), ED_ENOTFOUND (not in the cache), ED_ERROR (GnuPG missing).
 */
int ed_source_git_verify(ed_source_cache *cache, const ed_source_verify_opts *opts,
                         ed_source_verify_result *out, ed_err *err);

/* ---- artifacts ---- */

/* The file an archive was written to, with Flux's artifact fields. */
typedef struct ed_source_artifact_info {
    char digest[72]; /* "sha256:<64 hex>" of the .tar.gz bytes */
    int64_t size;    /* bytes */
} ed_source_artifact_info;

/*
 * Write the tree of commit (40 hex, already in the cache for url) into dest_dir, which must
 * exist and be empty, leaving out what Flux leaves out: the VCS files, the paths matched by
 * `.sourceignore` files (gitignore syntax, each relative to its directory) and `ignore`
 * (spec.ignore, may be NULL; applied last so it can re-include), Flux's other default
 * exclusions (media, archives, CI and tool files) only when neither gave a pattern, plus every
 * symlink and
 * submodule (Flux's archives hold only files and directories; a symlink is never written, so
 * nothing can point outside dest_dir). Files get mode 0600, or 0700 when executable.
 *
 * Errors: ED_ENOTFOUND (commit not in the cache), ED_EINVALID (a tree entry with an unsafe
 * name), ED_ERROR (file system).
 */
int ed_source_git_checkout(ed_source_cache *cache, const char *url, const char *commit,
                           const char *ignore, const char *dest_dir, ed_err *err);

/* What shapes an artifact's tree beyond the commit (GitRepository spec fields). */
typedef struct ed_source_checkout_opts {
    const char *url;    /* the repository, already fetched into the cache */
    const char *commit; /* 40 hex */
    const char *ignore; /* spec.ignore, or NULL */
    /* spec.sparseCheckout: directories ("apps", "./apps/", "a/b"); only files below them are
     * written (Flux's semantics: files in the root are left out too). NULL/0: everything. */
    const char *const *sparse;
    size_t sparse_len;
    /* spec.recurseSubmodules: each submodule (gitlink with its .gitmodules entry) is fetched
     * into the cache with the parent's proxy, and with the parent's credentials when it is on
     * the parent's scheme, host and port, at the commit the parent records, and written in
     * place, recursively (at most 8 levels). A relative submodule URL ("../lib.git") is
     * resolved against the parent's; a file:// one is refused unless the parent is file://.
     * Off: submodules are left out. */
    bool recurse_submodules;
    const ed_source_secret_entry *secret; /* the parent's spec.secretRef, or NULL */
    size_t secret_len;
    const ed_source_secret_entry *proxy; /* spec.proxySecretRef's data, or NULL */
    size_t proxy_len;
    /* spec.timeout for each submodule's fetch (as ed_source_git_fetch_opts); 0: none. */
    int64_t timeout_ms;
    /* Write every file and directory (still no .git, symlinks or, without recurse_submodules,
     * submodules): the caller filters the finished tree with ed_source_dir_filter, as for an
     * artifact with includes, whose rules are Flux's over the whole tree. */
    bool unfiltered;
} ed_source_checkout_opts;

#define ED_SOURCE_CHECKOUT_OPTS_INIT                                                               \
    {                                                                                              \
        0                                                                                          \
    }

/*
 * ed_source_git_checkout with every option: sparse checkout and submodules as opts says. The
 * ignore rules (defaults, `.sourceignore` files, including those inside submodules, and
 * opts->ignore) are judged on paths from the root of the artifact. Errors as
 * ed_source_git_checkout, plus those of ed_source_git_fetch for a submodule (wrapped with the
 * submodule's path), ED_EINVALID for a sparse path with `..` or a submodule without a URL.
 */
int ed_source_git_checkout_with(ed_source_cache *cache, const ed_source_checkout_opts *opts,
                                const char *dest_dir, ed_err *err);

/*
 * Apply Flux's ignore rules to the tree at dir, on disk, as source-controller filters the
 * directory it archives: the VCS exclusions, every `.sourceignore` file below dir (also those
 * that came in with included artifacts), then ignore (spec.ignore, may be NULL); Flux's other
 * default exclusions only when there is no pattern at all. What the rules exclude is removed,
 * with anything that is neither a file nor a directory. Errors: ED_ERROR (file system),
 * ED_ETOOBIG (a .sourceignore over 1 MiB).
 */
int ed_source_dir_filter(const char *dir, const char *ignore, ed_err *err);

/*
 * GitRepository `spec.include`: unpack the artifact at archive_path (safely, as
 * ed_source_archive_unpack does) into a temp directory under tmp_dir, and move its from_path
 * (NULL or "" for the whole tree) to to_path below dest_dir, creating the parents of to_path as
 * Flux does. An existing non-empty directory at to_path is not merged into: ED_ECONFLICT.
 * from_path may also name a single file. Both paths are read as Flux's SecureJoin reads them
 * (ed_path_clamp: "/x" and "../x" are "x"). Errors: ED_EINVALID (to_path names the root),
 * ED_ENOTFOUND (from_path is not in the artifact), ED_ECONFLICT, ED_ERROR (file system, broken
 * archive).
 */
int ed_source_include_copy(const char *archive_path, const char *from_path, const char *to_path,
                           const char *dest_dir, const char *tmp_dir, ed_err *err);

/*
 * Pack dir as a deterministic tar.gz at out_path (written to a temp file and renamed): entries
 * sorted by name, directories before their contents, only directories and regular files,
 * uid/gid 0 without names, mtime 0, modes 0750 (directories), 0600 (files), 0700 (executable
 * files), gzip without a timestamp. The same tree gives the same bytes. *info gets the digest
 * and the size. Errors: ED_ERROR (file system).
 */
int ed_source_archive_create(const char *dir, const char *out_path, ed_source_artifact_info *info,
                             ed_err *err);

/*
 * ed_source_archive_create of path, a directory or a single regular file (then the archive holds
 * that one file under its own name), leaving out the paths that ignore (gitignore patterns, one
 * a line, relative to path; NULL or "" for none) excludes: what `flux push artifact
 * --ignore-paths` leaves out. Each entry keeps its file's or directory's permission bits (flux
 * push's tar headers come from the files' modes), where ed_source_archive_create normalises
 * them. An excluded directory is not entered. Errors: ED_EINVALID (path
 * missing, or neither a directory nor a file), ED_ERROR (file system).
 */
int ed_source_archive_create_from(const char *path, const char *ignore, const char *out_path,
                                  ed_source_artifact_info *info, ed_err *err);

/*
 * Checkout and archive in one pass, without a directory: the tree that
 * ed_source_git_checkout_with(cache, opts, ...) would write (sparse checkout, submodules and
 * ignore rules as opts says; opts->unfiltered as there) goes from the cache's object database
 * straight into the tar.gz at out_path, written to a temp file and renamed. The bytes, and so
 * the digest, are those of ed_source_archive_create on that checkout. *info gets the digest and
 * size. For an artifact with includes, whose tree is assembled on disk, use the two calls.
 *
 * Errors as ed_source_git_checkout_with, and ED_ERROR when out_path cannot be written; then
 * *write_failed (may be NULL) is set, so a caller can tell a storage failure from a Git one.
 */
int ed_source_git_artifact_build_with(ed_source_cache *cache, const ed_source_checkout_opts *opts,
                                      const char *out_path, ed_source_artifact_info *info,
                                      bool *write_failed, ed_err *err);

/* ed_source_git_artifact_build_with of commit with spec.ignore = ignore (may be NULL) and no
 * other option. */
int ed_source_git_artifact_build(ed_source_cache *cache, const char *url, const char *commit,
                                 const char *ignore, const char *out_path,
                                 ed_source_artifact_info *info, ed_err *err);

/*
 * Unpack the tar.gz at archive_path into dest_dir (which must exist). Refused with ED_EINVALID,
 * before anything outside dest_dir can be touched: absolute paths, `..` components, hard links,
 * devices and FIFOs. Symlinks are left out, as Flux's untar does for OCI layers and `pull
 * artifact` (WithSkipSymlinks); eddy's own artifacts never hold any. (Keeping the ones whose
 * target stays inside, judged by its text, was not enough: `b -> .` then `c -> b/..` leads out.)
 * At most max_bytes of file content are written (0: no cap), else ED_ETOOBIG.
 */
int ed_source_archive_unpack(const char *archive_path, const char *dest_dir, int64_t max_bytes,
                             ed_err *err);

/* ---- artifact storage and the artifact server ---- */

/*
 * Artifacts as source-controller keeps them: files under the storage path at
 * `<lowercase kind>/<namespace>/<name>/<file>` (file named after the revision's commit, e.g.
 * `<sha>.tar.gz`), served read-only over HTTP at `http://<advertised address>/<path>`.
 */
typedef struct ed_artifact_store ed_artifact_store;

/*
 * Open the store under storage_path (directories created as needed). adv_addr is the host[:port]
 * put into artifact URLs (Flux's --storage-adv-addr); a value with a scheme is used as is.
 * Errors: ED_ERROR (file system), ED_EINVALID (empty address).
 */
int ed_artifact_store_open(const char *storage_path, const char *adv_addr, ed_artifact_store **out,
                           ed_err *err);
void ed_artifact_store_free(ed_artifact_store *store);

/*
 * Move the finished archive at tmp_path (on the same file system, e.g. made under
 * ed_artifact_store_tmpdir) to `<kind>/<ns>/<name>/<file>` atomically (rename; mode 0600, the
 * time of the put as its modification time). Older files stay until ed_artifact_store_gc.
 * *path (relative to the storage root) and *url are new strings the caller frees. kind is
 * lowercased. Names must be plain (no '/', no "..": ED_EINVALID).
 */
int ed_artifact_store_put(ed_artifact_store *store, const char *kind, const char *ns,
                          const char *name, const char *file, const char *tmp_path, char **path,
                          char **url, ed_err *err);

/* Flux's defaults: --artifact-retention-records and --artifact-retention-ttl. */
#define ED_ARTIFACT_RETENTION_RECORDS 2
#define ED_ARTIFACT_RETENTION_TTL_MS  60000

/*
 * Garbage-collect the files of current's object (current: an artifact path as put returned it,
 * the one in the object's status, never removed), as source-controller does at the start of
 * each reconcile: every other file last written more than ttl_ms ago goes; then, unless fewer
 * than records files are left, the oldest others go until records remain (Flux counts the files
 * of this second pass twice when the first removed any, so it may then keep a few more).
 * *deleted (may be NULL) gets the number removed. Errors: ED_EINVALID (a path put did not
 * give), ED_ERROR (file system; what could be removed was).
 */
int ed_artifact_store_gc(ed_artifact_store *store, const char *current, int records, int64_t ttl_ms,
                         int *deleted, ed_err *err);
/* The name of the link to an object's latest artifact, beside its artifacts. */
#define ED_ARTIFACT_LATEST "latest.tar.gz"

/*
 * Point the object's `latest.tar.gz` (ED_ARTIFACT_LATEST, in the directory of path, an artifact
 * path as put returned it) at that artifact, as source-controller's Storage.Symlink does for
 * status.url, "the dynamic fetch link for the latest Artifact": a relative symlink replaced
 * atomically, served by the artifact server like the artifact, left alone by
 * ed_artifact_store_gc (which counts regular files only) and removed with the object's
 * directory. *url is the link's advertised URL (a new string). Errors: ED_EINVALID (a path put
 * did not give), ED_ERROR (file system; Flux's "failed to update status URL symlink: ...").
 */
int ed_artifact_store_link_latest(ed_artifact_store *store, const char *path, char **url,
                                  ed_err *err);
/* The URL the store advertises for path (relative, as put returned it): a new string. */
char *ed_artifact_store_url(ed_artifact_store *store, const char *path);
/* True when path (relative, as put returned it) names an existing artifact file. */
bool ed_artifact_store_has(ed_artifact_store *store, const char *path);
/* The absolute file name of path, a new string (for in-process readers: no download). */
char *ed_artifact_store_file(ed_artifact_store *store, const char *path);
/* Remove every artifact of one object (its directory): on deletion of the object. */
int ed_artifact_store_remove_all(ed_artifact_store *store, const char *kind, const char *ns,
                                 const char *name, ed_err *err);
/* A directory for temp files on the store's file system (for archives before put). */
const char *ed_artifact_store_tmpdir(ed_artifact_store *store);

typedef struct ed_artifact_server ed_artifact_server;

/*
 * Serve the store's files over HTTP on listen_addr ("host:port", ":port"; port 0 picks one):
 * GET and HEAD of `/<path>` stream the file (Content-Length, application/gzip for .tar.gz);
 * anything outside the storage root, directories and missing files are 404. Errors:
 * ED_EINVALID (address), ED_ERROR (cannot listen).
 */
int ed_artifact_server_start(ed_artifact_store *store, const char *listen_addr,
                             ed_artifact_server **out, ed_err *err);
int ed_artifact_server_port(const ed_artifact_server *srv);
void ed_artifact_server_stop(ed_artifact_server *srv);

/* ---- cosign signatures of OCI artifacts (cosign.c) ---- */

/* Caps on what a registry may send as signatures: the signature manifest, its layers, one
 * payload (the simple-signing JSON) and one decoded signature. */
#define ED_COSIGN_MAX_MANIFEST   (1 << 20)
#define ED_COSIGN_MAX_SIGNATURES 128
#define ED_COSIGN_MAX_PAYLOAD    (128 << 10)
#define ED_COSIGN_MAX_SIG        4096
#define ED_COSIGN_TAG_MAX        80

/* The tag cosign stores the signatures of the manifest digest ("sha256:<hex>") under,
 * "sha256-<hex>.sig". ED_EINVALID for a digest of another form. */
int ed_source_cosign_tag(const char *digest, char tag[ED_COSIGN_TAG_MAX], ed_err *err);

/* One signature of a signature manifest: the payload blob to fetch, and the signature. */
typedef struct ed_source_cosign_sig {
    char payload_digest[80]; /* the layer's digest, "sha256:<hex>" */
    int64_t payload_size;    /* as the manifest says (at most ED_COSIGN_MAX_PAYLOAD) */
    unsigned char *sig;      /* decoded from dev.cosignproject.cosign/signature */
    size_t sig_len;
} ed_source_cosign_sig;

/*
 * The signatures of a cosign signature manifest (JSON, len bytes, from the registry): each
 * layer with a sha256 digest, a size within the cap and a base64 signature annotation; other
 * layers are passed over. On success *sigs is a new array of *n (at least one); free it with
 * ed_source_cosign_sigs_free. Errors: ED_EINVALID (not JSON, no layers), ED_ETOOBIG (past the
 * caps), ED_ENOTFOUND (no layer is a signature).
 */
int ed_source_cosign_manifest_parse(const char *manifest, size_t len, ed_source_cosign_sig **sigs,
                                    size_t *n, ed_err *err);
void ed_source_cosign_sigs_free(ed_source_cosign_sig *sigs, size_t n);

/* Load every `.pub` entry of keys as a public key; *npub gets how many there are. ED_EINVALID
 * names the first entry that is no PEM public key of a supported type (ECDSA, RSA, Ed25519). */
int ed_source_cosign_keys_check(const ed_source_secret_entry *keys, size_t nkeys, size_t *npub,
                                ed_err *err);

/* Check that the simple-signing payload (len bytes) names digest as its
 * critical.image.docker-manifest-digest. ED_EAUTH otherwise (not JSON, missing, another). */
int ed_source_cosign_payload_check(const char *payload, size_t len, const char *digest,
                                   ed_err *err);

/*
 * Verify sig over payload with the `.pub` entries of keys, then that the payload names digest.
 * On success *key_name (may be NULL) is the entry whose key verified (borrowed from keys).
 * Errors: ED_EAUTH (no key verifies the signature, or the payload names another digest),
 * ED_EINVALID (a `.pub` entry is no usable public key, named).
 */
int ed_source_cosign_verify(const char *payload, size_t len, const unsigned char *sig,
                            size_t sig_len, const char *digest, const ed_source_secret_entry *keys,
                            size_t nkeys, const char **key_name, ed_err *err);

/* ---- cosign v3 bundles (Sigstore bundles as OCI 1.1 referrers) ---- */

/* The artifactType of a referrer that holds a Sigstore bundle (and its layer's media type), the
 * in-toto predicate type of cosign sign's statement, and caps: the bundles of one artifact, one
 * bundle (JSON), one referrers index. */
#define ED_COSIGN_BUNDLE_TYPE    "application/vnd.dev.sigstore.bundle.v0.3+json"
#define ED_COSIGN_SIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1"
#define ED_COSIGN_MAX_BUNDLES    128
#define ED_COSIGN_MAX_BUNDLE     (256 << 10)
#define ED_COSIGN_MAX_REFERRERS  4096

/* The referrers tag schema's tag of the manifest digest: "sha256-<hex>". ED_EINVALID for a
 * digest of another form. */
int ed_source_cosign_referrers_tag(const char *digest, char tag[ED_COSIGN_TAG_MAX], ed_err *err);

/* A manifest digest ("sha256:<hex>"), one referrer that holds a bundle. */
typedef struct ed_source_cosign_ref {
    char digest[80];
} ed_source_cosign_ref;

/*
 * The referrers of an image index (JSON, len bytes: the referrers API's answer or the
 * referrers tag's index) whose artifactType is ED_COSIGN_BUNDLE_TYPE and digest sha256; other
 * descriptors are passed over. *refs is a new array of *n (free it), possibly empty.
 * Errors: ED_EINVALID (not JSON, no manifests list), ED_ETOOBIG (past the caps).
 */
int ed_source_cosign_referrers_parse(const char *index, size_t len, ed_source_cosign_ref **refs,
                                     size_t *n, ed_err *err);

/*
 * The bundle layer of a referrer's manifest (JSON, len bytes): *layer gets its digest and *size
 * its size (within ED_COSIGN_MAX_BUNDLE). A manifest with a subject must name digest there.
 * Errors: ED_EINVALID (not JSON), ED_ENOTFOUND (no bundle layer), ED_ETOOBIG, ED_EAUTH (the
 * subject is another manifest).
 */
int ed_source_cosign_bundle_manifest_parse(const char *manifest, size_t len, const char *digest,
                                           char layer[80], int64_t *size, ed_err *err);

/*
 * Verify a Sigstore bundle (JSON, len bytes) as a signature of the manifest digest: its DSSE
 * envelope is signed by one of the `.pub` entries of keys (over DSSE's pre-authentication
 * encoding) and its payload is an in-toto statement of predicate type ED_COSIGN_SIGN_PREDICATE
 * whose subject names digest (sha256). On success *key_name (may be NULL) is the entry whose
 * key verified (borrowed from keys). Errors: ED_EAUTH (malformed, no key verifies, another
 * digest or predicate), ED_EINVALID (a `.pub` entry is no usable public key, named).
 */
int ed_source_cosign_bundle_verify(const char *bundle, size_t len, const char *digest,
                                   const ed_source_secret_entry *keys, size_t nkeys,
                                   const char **key_name, ed_err *err);

#endif
