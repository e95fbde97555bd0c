/*
 * The persistent Git cache and the fetch (DESIGN.md commitment 4: "Git is fetched
 * incrementally"). Flux's source-controller clones afresh into a temp dir on every new
 * revision; eddy keeps one bare repository per normalized URL under `<storage>/git/`, named
 * after the SHA-256 of the URL, across calls and restarts.
 *
 * A fetch connects once and lists the remote's refs (git_remote_ls). When the wanted ref
 * points where the cache's copy of that ref already points, and the commit and its tree are
 * readable, nothing more is sent: an unchanged remote costs one ref listing. Otherwise the same
 * connection fetches that one ref into the same name in the cache (`+refs/heads/main:
 * refs/heads/main`); the cache's refs are the "haves" of the negotiation, so only the delta
 * travels. A cache that cannot be opened, or whose ref names an object it does not have, was
 * damaged (a crash, a full disk): it is removed, re-initialised and fetched again, never used.
 *
 * Over HTTP(S), a branch, tag, semver or name ref is fetched shallow (depth 1), as Flux clones
 * it: the first fetch of a long history brings the tip's tree only (a small pack, a small index
 * in memory), and each later one the new tip's objects that the cache lacks. A commit ref needs
 * history (a commit alone is looked up among every branch and tag; commit + branch must be in
 * the branch's history): those fetches are full, and deepen a shallow cache to the whole
 * history, which it keeps. Every fetch into a shallow cache says its depth: libgit2 forgets a
 * repository's shallow boundary on a fetch without one, and would then look for parents it
 * never had. When shallow fetches are made, and when not, is in fetch_refspecs.
 *
 * Concurrency: a lock file next to each repository (`<hash>.lock`) is held with flock(2):
 * exclusively while fetching, shared while reading a tree. flock locks belong to the open file
 * description, so they also order threads of one process that each open the file.
 *
 * Ref precedence is that of Flux's code (fluxcd/pkg's clone): commit > name > tag > semver > branch
 * (its API documentation puts semver before tag); no ref means branch `master`.
 */
#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int ed_source_cache_open(ed_source_cache **out, const char *storage_path, ed_err *err)
{
    *out = NULL;
    ed_source_cache *c = ed_xcalloc(1, sizeof(*c));
    c->storage = ed_xstrdup(storage_path);
    c->git_dir = ed_xasprintf("%s/git", storage_path);
    c->tmp_dir = ed_xasprintf("%s/tmp", storage_path);
    if (ed_path_mkdir_all(c->git_dir) != 0 || ed_path_mkdir_all(c->tmp_dir) != 0) {
        int rc = ed_err_set(err, ED_ERROR, "cannot create the git cache under '%s': %s",
                            storage_path, strerror(errno));
        free(c->storage);
        free(c->git_dir);
        free(c->tmp_dir);
        free(c);
        return rc;
    }
    /* libgit2 counts its initialisations; each cache holds one. */
    git_libgit2_init();
    ed_source_socket_register();
    *out = c;
    return 0;
}

void ed_source_cache_free(ed_source_cache *cache)
{
    if (!cache)
        return;
    free(cache->storage);
    free(cache->git_dir);
    free(cache->tmp_dir);
    free(cache);
    git_libgit2_shutdown();
}

/* The repository directory and lock file of url in the cache. */
static int cache_paths(ed_source_cache *cache, const char *url, char **repo_dir, char **lock_path,
                       ed_err *err)
{
    char *norm = NULL;
    int rc = ed_source_url_normalize(url, &norm, err);
    if (rc != 0)
        return rc;
    char hex[65];
    ed_sha256_hex(norm, strlen(norm), hex);
    free(norm);
    *repo_dir = ed_xasprintf("%s/%s.git", cache->git_dir, hex);
    *lock_path = ed_xasprintf("%s/%s.lock", cache->git_dir, hex);
    return 0;
}

static int lock_open(const char *path, int op, int *fd_out, ed_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return ed_err_set(err, ED_ERROR, "cannot open cache lock: %s", strerror(errno));
    while (flock(fd, op) != 0) {
        if (errno != EINTR) {
            int rc = ed_err_set(err, ED_ERROR, "cannot lock the cache: %s", strerror(errno));
            close(fd);
            return rc;
        }
    }
    *fd_out = fd;
    return 0;
}

int ed_source_cache_repo_open(ed_source_cache *cache, const char *url, git_repository **out,
                              int *lock_fd, ed_err *err)
{
    char *dir = NULL, *lock = NULL;
    *out = NULL;
    *lock_fd = -1;
    int rc = cache_paths(cache, url, &dir, &lock, err);
    if (rc != 0)
        return rc;
    rc = lock_open(lock, LOCK_SH, lock_fd, err);
    if (rc == 0 && git_repository_open_bare(out, dir) != 0) {
        rc = ed_err_set(err, ED_ENOTFOUND, "the repository is not in the cache: fetch it first");
        close(*lock_fd);
        *lock_fd = -1;
    }
    free(dir);
    free(lock);
    return rc;
}

void ed_source_cache_repo_close(git_repository *repo, int lock_fd)
{
    git_repository_free(repo);
    if (lock_fd >= 0)
        close(lock_fd);
}

/* Remove whatever is at dir and create an empty bare repository there. */
static int cache_reinit(const char *dir, git_repository **repo, ed_err *err)
{
    ed_path_remove_tree(dir);
    if (git_repository_init(repo, dir, 1) != 0)
        return ed_source_git_error(err, ED_ERROR, "cannot create the cache repository");
    return 0;
}

/* ---- resolving and fetching a ref ---- */

/* True when the commit and its tree can be read from repo. */
static bool have_commit(git_repository *repo, const git_oid *oid)
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    bool ok = git_commit_lookup(&c, repo, oid) == 0 && git_commit_tree(&t, c) == 0;
    git_tree_free(t);
    git_commit_free(c);
    return ok;
}

/* Peel the local ref refname to a commit id. */
static int local_commit(git_repository *repo, const char *refname, git_oid *out)
{
    git_reference *ref = NULL;
    git_object *obj = NULL;
    int rc = git_reference_lookup(&ref, repo, refname);
    if (rc == 0)
        rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
    if (rc == 0)
        git_oid_cpy(out, git_object_id(obj));
    git_object_free(obj);
    git_reference_free(ref);
    return rc;
}

/* What went wrong in a connect or fetch, as an ed_err code and message. */
static int transfer_error(ed_err *err, const ed_source_auth *auth, int gitrc, const char *what,
                          const char *flux_what, const char *url_safe)
{
    if (ed_source_deadline_passed(auth->deadline)) {
        char took[32];
        ed_duration_string(auth->deadline->timeout_ms * ED_NS_PER_MS, took);
        return ed_err_set(err, ED_ETIMEOUT, "%s '%s': timed out after %s", what, url_safe, took);
    }
    /* Refused credentials, host keys and certificates in Flux's words: go-git's error under
     * fluxcd/pkg's "unable to clone '<url>'" (or "unable to list remote for", flux_what). */
    if (auth->failed || auth->host_refused)
        return ed_err_set(err, ED_EAUTH, "%s '%s': %s", flux_what, url_safe, auth->reason);
    const git_error *e = git_error_last();
    const char *msg = e && e->message ? e->message : "unknown error";
    int code = ED_ERROR;
    if (gitrc == GIT_EAUTH || gitrc == GIT_ECERTIFICATE)
        code = ED_EAUTH;
    else if (e &&
             (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSH ||
              e->klass == GIT_ERROR_HTTP || e->klass == GIT_ERROR_SSL || e->klass == GIT_ERROR_OS))
        code = ED_ERETRY;
    /* A TLS server that ends the handshake with an alert, to a client without a certificate,
     * most often wants one (mutual TLS): say so rather than repeat the TLS library's code. */
    if (e && e->klass == GIT_ERROR_SSL && strstr(msg, "alert") &&
        !ed_source_secret_get(auth->secret, auth->secret_len, "tls.crt", NULL))
        return ed_err_set(err, ED_EAUTH,
                          "%s '%s': the server refused the TLS handshake; it may require a client "
                          "certificate ('tls.crt' and 'tls.key' in the secret)",
                          flux_what, url_safe);
    /* libgit2 reports an HTTP 401/403 with the URL it was given, which may hold a password:
     * never repeat its text then, but go-git's (Flux's) words for the status. */
    if (strstr(msg, "403"))
        return ed_err_set(err, ED_EAUTH, "%s '%s': authorization failed", flux_what, url_safe);
    if (code == ED_EAUTH || strstr(msg, "authentication") || strstr(msg, "401"))
        return ed_err_set(err, ED_EAUTH, "%s '%s': authentication required", flux_what, url_safe);
    /* A server without the repository: go-git's words (libgit2 gives the bare status). */
    if (strstr(msg, "status code: 404"))
        return ed_err_set(err, code, "%s '%s': repository not found", flux_what, url_safe);
    if (strchr(msg, '@'))
        msg = "transfer failed";
    return ed_err_set(err, code, "%s '%s': %s", flux_what, url_safe, msg);
}

typedef struct fetch_ctx {
    ed_source_cache *cache;
    const ed_source_git_fetch_opts *opts;
    const char *url_safe;
    /* Flux's words for a failure to connect and list refs: "unable to list remote for" when it
     * lists before cloning (opts->last_observed with a branch or tag), else "unable to clone". */
    const char *listing;
    ed_source_git_result *out;
    ed_source_auth auth;
    git_repository *repo;
    git_remote *remote;
    bool corrupt; /* set when the cache turned out to be damaged */
} fetch_ctx;

/* A cache with more refs than this is not fetched shallow (see shallow_fetch_safe). */
#define MAX_SHALLOW_REFS 16

/*
 * Whether a depth-1 fetch into repo works with libgit2 1.8: its negotiation sends "haves" in
 * rounds of 20, and when the first round goes out with the deepen request, it misreads the
 * server's second shallow list as the pack ("incomplete pack header"). The haves are the
 * commits walked from every local ref, so the walk must stay under 20: an empty cache, or a
 * shallow one (each ref's walk stops at its shallow tip) with a few refs. A cache with history
 * (fetched whole before, or deepened for a commit ref) stays whole.
 */
static bool shallow_fetch_safe(git_repository *repo)
{
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_new(&it, repo) != 0)
        return false;
    size_t refs = 0;
    git_reference *ref = NULL;
    while (refs <= MAX_SHALLOW_REFS && git_reference_next(&ref, it) == 0) {
        refs++;
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    return refs == 0 || (git_repository_is_shallow(repo) == 1 && refs <= MAX_SHALLOW_REFS);
}

/* Fetch specs; shallow: at depth 1 where that works, else the whole history (deepening a
 * shallow cache). Shallow over HTTP(S) only: libgit2's transport for file:// has no shallow
 * fetch, and over git:// and ssh:// (one stream, not request and response) libgit2 1.8's
 * shallow negotiation breaks the connection. */
static int fetch_refspecs(fetch_ctx *fc, char **specs, size_t n, bool shallow, ed_err *err)
{
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    const char *scheme = fc->auth.url.scheme;
    if (shallow && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
        shallow_fetch_safe(fc->repo))
        fo.depth = 1;
    else if (git_repository_is_shallow(fc->repo) == 1)
        fo.depth = GIT_FETCH_DEPTH_UNSHALLOW;
    ed_source_auth_callbacks(&fc->auth, &fo.callbacks);
    ed_source_transport_install(&fc->auth, &fo.callbacks);
    fo.custom_headers = fc->auth.headers;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.update_fetchhead = 0;
    git_strarray refspecs = {specs, n};
    int rc = git_remote_fetch(fc->remote, &refspecs, &fo, "eddy fetch");
    if (rc != 0) {
        if (rc == GIT_ELOCKED)
            fc->corrupt = true;
        return transfer_error(err, &fc->auth, rc, "fetch", "unable to clone", fc->url_safe);
    }
    const git_indexer_progress *st = git_remote_stats(fc->remote);
    fc->out->fetched = true;
    fc->out->received_objects += st->received_objects;
    fc->out->received_bytes += st->received_bytes;
    return 0;
}

/* Connect and list the remote's refs (once per fetch). */
static int connect_remote(fetch_ctx *fc, ed_err *err)
{
    /* An in-memory remote. Skipping url.*.insteadOf also keeps clear of libgit2's config regex
     * matching, which leaked its pcre2 match data on a miss in 1.5. */
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = fc->repo;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&fc->remote, fc->opts->url, &ro) != 0)
        return ed_source_git_error(err, ED_EINVALID, "invalid URL");
    git_remote_callbacks cb;
    git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
    ed_source_auth_callbacks(&fc->auth, &cb);
    ed_source_transport_install(&fc->auth, &cb);
    int rc = git_remote_connect(fc->remote, GIT_DIRECTION_FETCH, &cb, NULL, &fc->auth.headers);
    if (rc != 0)
        return transfer_error(err, &fc->auth, rc, "connect to", fc->listing, fc->url_safe);
    fc->out->ref_listings++;
    return 0;
}

/* A commit alone (no branch): from the cache if present, else fetch every branch and tag.
 * The remote is connected to in any case: the cache is shared by every object of the URL, and
 * only a connection with this object's credentials shows that it may read the repository. */
static int fetch_commit(fetch_ctx *fc, const git_oid *want, ed_err *err)
{
    int rc = connect_remote(fc, err);
    if (rc != 0)
        return rc;
    if (!have_commit(fc->repo, want)) {
        char *specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
        rc = fetch_refspecs(fc, specs, 2, false, err);
        if (rc != 0)
            return rc;
        if (!have_commit(fc->repo, want))
            return ed_err_set(err, ED_ENOTFOUND, "commit '%s' not found in '%s'",
                              fc->opts->ref.commit, fc->url_safe);
    }
    /* (From the id, not the spec: "sha1:<lowercase hex>" whatever case the spec used.) */
    git_oid_tostr(fc->out->commit, sizeof(fc->out->commit), want);
    ed_source_revision_format(NULL, false, fc->out->commit, fc->out->revision,
                              sizeof(fc->out->revision));
    return 0;
}

/* True when want is tip or in its history, as far as the cache has it. */
static bool in_history(git_repository *repo, const git_oid *tip, const git_oid *want)
{
    return git_oid_equal(want, tip) ||
           (have_commit(repo, want) && git_graph_descendant_of(repo, tip, want) == 1);
}

/* Make the cache's refname match the remote's (listed in heads), fetching only when it moved;
 * then resolve the commit and format the revision. */
static int sync_ref(fetch_ctx *fc, const git_remote_head **heads, size_t nheads,
                    const char *refname, const char *what, bool keep_full, ed_err *err)
{
    const git_remote_head *head = NULL;
    int rc = 0;
    for (size_t i = 0; i < nheads; i++)
        if (strcmp(heads[i]->name, refname) == 0)
            head = heads[i];
    if (!head) {
        /* Flux's words: go-git's for a branch or tag its clone does not find, fluxcd/pkg's for
         * a full ref name it cannot resolve. */
        if (fc->opts->ref.name && !fc->opts->ref.commit)
            return ed_err_set(err, ED_ENOTFOUND, "unable to resolve ref '%s' to a specific commit",
                              refname);
        return ed_err_set(err, ED_ENOTFOUND,
                          "unable to clone '%s': couldn't find remote ref \"%s\"", fc->url_safe,
                          refname);
    }
    git_oid local_ref_target;
    git_reference *local = NULL;
    bool same = false;
    if (git_reference_lookup(&local, fc->repo, refname) == 0 &&
        git_reference_type(local) == GIT_REFERENCE_DIRECT) {
        git_oid_cpy(&local_ref_target, git_reference_target(local));
        same = git_oid_equal(&local_ref_target, &head->oid);
    }
    git_reference_free(local);
    if (same && fc->opts->full_history && git_repository_is_shallow(fc->repo) == 1)
        same = false; /* deepen it */
    git_oid commit;
    if (same) {
        /* The cache says it has this ref: it must also have its objects. */
        if (local_commit(fc->repo, refname, &commit) != 0 || !have_commit(fc->repo, &commit)) {
            fc->corrupt = true;
            return ed_err_set(err, ED_ERROR, "cache of '%s' is missing objects", fc->url_safe);
        }
    } else {
        char *spec = ed_xasprintf("+%s:%s", refname, refname);
        rc = fetch_refspecs(fc, &spec, 1, !fc->opts->ref.commit && !fc->opts->full_history, err);
        free(spec);
        if (rc != 0)
            return rc;
        if (local_commit(fc->repo, refname, &commit) != 0 || !have_commit(fc->repo, &commit)) {
            fc->corrupt = true;
            return ed_err_set(err, ED_ERROR, "%s of '%s' does not point to a readable commit", what,
                              fc->url_safe);
        }
    }
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), &commit);
    const ed_source_git_ref *ref = &fc->opts->ref;
    if (ref->commit) {
        /* commit + branch: the commit must be the branch's tip or in its history. */
        git_oid want;
        if (git_oid_fromstr(&want, ref->commit) != 0)
            return ed_err_set(err, ED_EINVALID, "invalid commit '%s'", ref->commit);
        /* The branch's history may be cut where another GitRepository of the URL last fetched
         * shallow: deepen it once before deciding. */
        if (!in_history(fc->repo, &commit, &want) && git_repository_is_shallow(fc->repo) == 1) {
            char *spec = ed_xasprintf("+%s:%s", refname, refname);
            rc = fetch_refspecs(fc, &spec, 1, false, err);
            free(spec);
            if (rc != 0)
                return rc;
        }
        if (!in_history(fc->repo, &commit, &want))
            return ed_err_set(err, ED_ENOTFOUND, "commit '%s' not found in %s of '%s'", ref->commit,
                              what, fc->url_safe);
        git_oid_tostr(hex, sizeof(hex), &want);
    }
    ed_source_revision_format(refname, keep_full, hex, fc->out->revision,
                              sizeof(fc->out->revision));
    memcpy(fc->out->commit, hex, sizeof(fc->out->commit));
    return 0;
}

/* The tags (names without refs/tags/, borrowed from heads) of the highest version among the
 * remote's tags that matches range, in heads' order: more than one when versions tie ("v1.0.0"
 * and "1.0.0", or "1.0.0+a" and "1.0.0+b": build metadata does not count). *n gets how many (0:
 * no match); the array is the caller's to free. */
static const char **pick_semver_tags(const git_remote_head **heads, size_t nheads,
                                     const ed_semver_range *range, size_t *n)
{
    const char **best = ed_xcalloc(nheads ? nheads : 1, sizeof(*best));
    ed_semver best_v = {0};
    *n = 0;
    for (size_t i = 0; i < nheads; i++) {
        const char *name = heads[i]->name;
        if (!ed_str_has_prefix(name, "refs/tags/") || ed_str_has_suffix(name, "^{}"))
            continue;
        const char *tag = name + strlen("refs/tags/");
        ed_semver v;
        if (ed_semver_parse_tag(tag, &v) != 0 || !ed_semver_range_match(range, &v))
            continue;
        int c = *n ? ed_semver_compare(&v, &best_v) : 1;
        if (c > 0) {
            *n = 0;
            best_v = v;
        }
        if (c >= 0)
            best[(*n)++] = tag;
    }
    return best;
}

/* Of tags whose versions tie, the one Flux's clone picks: the one whose commit was committed
 * last (fluxcd/pkg sorts equal versions by their commits' committer time); on equal times the
 * smaller name, for a stable choice where Flux's is random. The tied tags are fetched first
 * (those the cache does not have at the remote's id). *out is borrowed from tags. */
static int latest_tied_tag(fetch_ctx *fc, const git_remote_head **heads, size_t nheads,
                           const char **tags, size_t n, const char **out, ed_err *err)
{
    char **specs = ed_xcalloc(n, sizeof(*specs));
    size_t nspecs = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *refname = ed_xasprintf("refs/tags/%s", tags[i]);
        git_oid local;
        bool same = false;
        for (size_t h = 0; h < nheads; h++)
            if (strcmp(heads[h]->name, refname) == 0)
                same = git_reference_name_to_id(&local, fc->repo, refname) == 0 &&
                       git_oid_equal(&local, &heads[h]->oid);
        if (!same)
            specs[nspecs++] = ed_xasprintf("+%s:%s", refname, refname);
        free(refname);
    }
    if (nspecs > 0)
        rc = fetch_refspecs(fc, specs, nspecs, !fc->opts->full_history, err);
    git_time_t best_time = 0;
    *out = NULL;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *refname = ed_xasprintf("refs/tags/%s", tags[i]);
        git_oid oid;
        git_commit *c = NULL;
        if (local_commit(fc->repo, refname, &oid) != 0 || git_commit_lookup(&c, fc->repo, &oid)) {
            /* A tag of a tree or a blob: no candidate (marking the cache corrupt would clone it
             * again, to the same tag, at every reconcile). */
        } else {
            git_time_t t = git_commit_committer(c)->when.time;
            if (!*out || t > best_time || (t == best_time && strcmp(tags[i], *out) < 0)) {
                *out = tags[i];
                best_time = t;
            }
        }
        git_commit_free(c);
        free(refname);
    }
    if (rc == 0 && !*out)
        rc = ed_err_set(err, ED_ERROR,
                        "no tag among those tied for the newest version of '%s' "
                        "points to a commit",
                        fc->url_safe);
    for (size_t i = 0; i < nspecs; i++)
        free(specs[i]);
    free(specs);
    return rc;
}

/* True when the remote advertised any ref (an empty repository advertises none). */
static bool any_ref(const git_remote_head **heads, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ed_str_has_prefix(heads[i]->name, "refs/"))
            return true;
    return false;
}

/* Connect, list the remote's refs once, pick the ref (refname_in, or the best tag for range)
 * and sync it. what_in names the ref in messages ("branch 'main'"). */
static const git_remote_head *find_head(const git_remote_head **heads, size_t nheads,
                                        const char *name)
{
    for (size_t i = 0; i < nheads; i++)
        if (strcmp(heads[i]->name, name) == 0)
            return heads[i];
    return NULL;
}

/* ref.fetchable against the remote's refs: HEAD's branch, else a branch, a tag, a full ref. */
static int resolve_fetchable(fetch_ctx *fc, const git_remote_head **heads, size_t nheads,
                             char **refname, char **what, ed_err *err)
{
    const char *want = fc->opts->ref.fetchable;
    if (strcmp(want, "HEAD") == 0) {
        const git_remote_head *head = find_head(heads, nheads, "HEAD");
        const char *target = head ? head->symref_target : NULL;
        /* a server that does not say which branch HEAD is: the branch at the same commit */
        for (size_t i = 0; head && !target && i < nheads; i++)
            if (ed_str_has_prefix(heads[i]->name, "refs/heads/") &&
                git_oid_equal(&heads[i]->oid, &head->oid))
                target = heads[i]->name;
        if (!target || !ed_str_has_prefix(target, "refs/heads/"))
            return ed_err_set(err, ED_ENOTFOUND,
                              "unable to clone '%s': the remote names no default branch (HEAD)",
                              fc->url_safe);
        *refname = ed_xstrdup(target);
        *what = ed_xasprintf("branch '%s'", target + strlen("refs/heads/"));
        return 0;
    }
    static const char *const kinds[][2] = {
        {"refs/heads/", "branch"}, {"refs/tags/", "tag"}, {"", "ref"}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
        char *name = ed_xasprintf("%s%s", kinds[k][0], want);
        if (find_head(heads, nheads, name) && (*kinds[k][0] || ed_str_has_prefix(name, "refs/"))) {
            *refname = name;
            *what = ed_xasprintf("%s '%s'", kinds[k][1], want);
            return 0;
        }
        free(name);
    }
    return ed_err_set(err, ED_ENOTFOUND, "unable to clone '%s': couldn't find remote ref \"%s\"",
                      fc->url_safe, want);
}

static int fetch_ref(fetch_ctx *fc, const char *refname_in, const char *what_in,
                     const ed_semver_range *range, bool keep_full, ed_err *err)
{
    int rc = connect_remote(fc, err);
    if (rc != 0)
        return rc;
    const git_remote_head **heads = NULL;
    size_t nheads = 0;
    if (git_remote_ls(&heads, &nheads, fc->remote) != 0)
        return transfer_error(err, &fc->auth, -1, "list refs of", fc->listing, fc->url_safe);
    const ed_source_git_ref *ref = &fc->opts->ref;
    if (!range && !ref->name && !ref->tag && !ref->commit && !any_ref(heads, nheads)) {
        /* A branch of a repository without commits: Flux's clone makes an empty repository of
         * it and reports EmptyGitRepository (a tag, semver or commit ref fails as not found). */
        fc->out->empty = true;
        return ed_err_set(err, ED_ENOTFOUND, "git repository is empty");
    }
    char *refname_owned = NULL, *what_owned = NULL;
    const char *refname = refname_in, *what = what_in;
    if (ref->fetchable) {
        rc = resolve_fetchable(fc, heads, nheads, &refname_owned, &what_owned, err);
        if (rc != 0)
            return rc;
        refname = refname_owned;
        what = what_owned;
    } else if (range) {
        size_t ntags = 0;
        const char **tags = pick_semver_tags(heads, nheads, range, &ntags);
        const char *tag = ntags ? tags[0] : NULL;
        if (ntags > 1)
            rc = latest_tied_tag(fc, heads, nheads, tags, ntags, &tag, err);
        free(tags);
        if (rc != 0)
            return rc;
        if (!tag)
            return ed_err_set(err, ED_ENOTFOUND, "no match found for semver: %s", ref->semver);
        refname = refname_owned = ed_xasprintf("refs/tags/%s", tag);
        what = what_owned = ed_xasprintf("tag '%s'", tag);
    }
    ED_ASSERT(refname && what);
    rc = sync_ref(fc, heads, nheads, refname, what, keep_full, err);
    free(refname_owned);
    free(what_owned);
    return rc;
}
/* A full commit id; either case, as Flux's go-git reads it. */
static bool valid_commit_hex(const char *s)
{
    size_t n = strlen(s);
    if (n != GIT_OID_HEXSZ)
        return false;
    return strspn(s, "0123456789abcdefABCDEF") == n;
}

/* True when prefix + name is a valid reference name (or name is NULL). */
static bool ref_is_valid(const char *prefix, const char *name)
{
    if (!name)
        return true;
    char *full = ed_xasprintf("%s%s", prefix, name);
    int valid = 0;
    int rc = git_reference_name_is_valid(&valid, full);
    free(full);
    return rc == 0 && valid;
}

/* One attempt at a fetch into the repository at dir. */
static int fetch_once(fetch_ctx *fc, const char *dir, ed_err *err)
{
    const ed_source_git_ref *ref = &fc->opts->ref;
    if (git_repository_open_bare(&fc->repo, dir) != 0) {
        struct stat st;
        if (stat(dir, &st) == 0)
            fc->out->rebuilt = true;
        int rc = cache_reinit(dir, &fc->repo, err);
        if (rc != 0)
            return rc;
    }
    /* Flux's precedence (fluxcd/pkg's clone): commit (within branch when one is given) > name
     * > tag > semver > branch. */
    if (ref->commit && !ref->branch) {
        git_oid want;
        git_oid_fromstr(&want, ref->commit);
        return fetch_commit(fc, &want, err);
    }
    ed_semver_range *range = NULL;
    char *refname = NULL, *what = NULL;
    bool keep_full = false;
    int rc = 0;
    if (ref->commit) {
        refname = ed_xasprintf("refs/heads/%s", ref->branch);
        what = ed_xasprintf("branch '%s'", ref->branch);
    } else if (ref->name) {
        keep_full = true;
        refname = ed_xstrdup(ref->name);
        what = ed_xasprintf("ref '%s'", ref->name);
    } else if (ref->tag) {
        refname = ed_xasprintf("refs/tags/%s", ref->tag);
        what = ed_xasprintf("tag '%s'", ref->tag);
    } else if (ref->semver) {
        rc = ed_semver_range_parse(ref->semver, &range, err);
    } else if (ref->fetchable) {
        /* resolved against the remote's refs once listed (fetch_ref) */
    } else {
        const char *branch = ref->branch ? ref->branch : "master";
        refname = ed_xasprintf("refs/heads/%s", branch);
        what = ed_xasprintf("branch '%s'", branch);
    }
    if (rc == 0)
        rc = fetch_ref(fc, refname, what, range, keep_full, err);
    ed_semver_range_free(range);
    free(refname);
    free(what);
    return rc;
}

/* The fetched commit's subject as Flux's Commit.ShortMessage gives it. */
static void commit_subject(git_repository *repo, ed_source_git_result *out)
{
    git_oid oid;
    git_commit *c = NULL;
    out->subject[0] = '\0';
    if (git_oid_fromstr(&oid, out->commit) != 0 || git_commit_lookup(&c, repo, &oid) != 0)
        return;
    const char *m = git_commit_message(c);
    size_t n = m ? strcspn(m, "\n") : 0, i = 0;
    /* i: where the 51st character starts (UTF-8), or the line's end */
    for (int chars = 0; i < n; i++)
        if (((unsigned char)m[i] & 0xC0) != 0x80 && chars++ == 50)
            break;
    snprintf(out->subject, sizeof(out->subject), "%.*s%s", (int)i, m ? m : "", i < n ? "..." : "");
    git_commit_free(c);
}

static void fetch_ctx_reset(fetch_ctx *fc)
{
    if (fc->remote) {
        git_remote_disconnect(fc->remote);
        git_remote_free(fc->remote);
    }
    git_repository_free(fc->repo);
    fc->remote = NULL;
    fc->repo = NULL;
}

int ed_source_git_transport_check(const char *url, ed_err *err)
{
    ed_source_url u;
    int rc = ed_source_url_parse(url, &u, err);
    if (rc != 0)
        return rc;
    if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0 &&
        strcmp(u.scheme, "ssh") != 0)
        rc = ed_err_set(err, ED_EAUTH, "unknown transport '%s'", u.scheme);
    ed_source_url_clear(&u);
    return rc;
}

int ed_source_git_auth_check(const ed_source_git_fetch_opts *opts, ed_err *err)
{
    if (!opts->url)
        return ed_err_set(err, ED_EINVALID, "no URL");
    int rc = ed_source_git_transport_check(opts->url, err);
    if (rc != 0)
        return rc;
    ed_source_auth auth;
    rc = ed_source_auth_init(&auth, opts->url, opts->secret, opts->secret_len, opts->proxy,
                             opts->proxy_len, opts->ssh_agent, err);
    ed_source_auth_clear(&auth);
    return rc;
}

int ed_source_git_fetch(ed_source_cache *cache, const ed_source_git_fetch_opts *opts,
                        ed_source_git_result *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    const ed_source_git_ref *ref = &opts->ref;
    if (!opts->url)
        return ed_err_set(err, ED_EINVALID, "no URL");
    /* A ref no remote can have: not found, as Flux's clone finds no such ref or commit (its
     * reason is GitOperationFailed, not a URL's). */
    if (ref->commit && !valid_commit_hex(ref->commit))
        return ed_err_set(err, ED_ENOTFOUND, "invalid commit '%s': 40 hexadecimal digits",
                          ref->commit);
    if (ref->name && !ed_str_has_prefix(ref->name, "refs/"))
        return ed_err_set(err, ED_ENOTFOUND, "invalid ref name '%s': must start with 'refs/'",
                          ref->name);
    if (ref->fetchable && strcmp(ref->fetchable, "HEAD") != 0 &&
        !ref_is_valid(ed_str_has_prefix(ref->fetchable, "refs/") ? "" : "refs/heads/",
                      ref->fetchable))
        return ed_err_set(err, ED_ENOTFOUND, "invalid ref: not a valid Git reference name");
    if (!ref_is_valid("", ref->name) || !ref_is_valid("refs/tags/", ref->tag) ||
        !ref_is_valid("refs/heads/", ref->branch))
        return ed_err_set(err, ED_ENOTFOUND, "invalid ref: not a valid Git reference name");
    char *dir = NULL, *lock = NULL, *url_safe = NULL;
    int lock_fd = -1;
    fetch_ctx fc = {.cache = cache, .opts = opts, .out = out};
    ed_source_deadline deadline = {0};
    int rc = cache_paths(cache, opts->url, &dir, &lock, err);
    if (rc != 0)
        return rc;
    url_safe = ed_source_url_display(opts->url);
    fc.url_safe = url_safe;
    fc.listing = opts->last_observed && !ref->commit && !ref->name && !ref->semver
                     ? "unable to list remote for"
                     : "unable to clone";
    rc = ed_source_auth_init(&fc.auth, opts->url, opts->secret, opts->secret_len, opts->proxy,
                             opts->proxy_len, opts->ssh_agent, err);
    if (rc == 0)
        rc = lock_open(lock, LOCK_EX, &lock_fd, err);
    if (rc != 0)
        goto cleanup;
    /* The timeout counts from here: waiting for another fetch of the URL is bounded by its. */
    ed_source_deadline_start(&deadline, opts->timeout_ms);
    fc.auth.deadline = &deadline;
    rc = fetch_once(&fc, dir, err);
    if (rc != 0 && fc.corrupt && !ed_source_deadline_passed(&deadline)) {
        /* A damaged cache is never used: start again from an empty repository. */
        fetch_ctx_reset(&fc);
        ed_source_auth_clear(&fc.auth);
        ed_err_clear(err);
        rc = ed_source_auth_init(&fc.auth, opts->url, opts->secret, opts->secret_len, opts->proxy,
                                 opts->proxy_len, opts->ssh_agent, err);
        if (rc == 0) {
            ed_path_remove_tree(dir);
            memset(out, 0, sizeof(*out));
            out->rebuilt = true;
            fc.corrupt = false;
            fc.auth.deadline = &deadline;
            rc = fetch_once(&fc, dir, err);
        }
    }
    if (rc == 0)
        commit_subject(fc.repo, out);
cleanup:
    fetch_ctx_reset(&fc);
    ed_source_deadline_stop(&deadline);
    ed_source_auth_clear(&fc.auth);
    if (lock_fd >= 0)
        close(lock_fd);
    free(dir);
    free(lock);
    free(url_safe);
    return rc;
}
