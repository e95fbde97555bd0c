/*
 * `eddy bootstrap git`, as `flux bootstrap git` does it: the cluster is made to sync itself
 * from a path of a Git repository, in flux's steps and with its progress lines (stderr):
 *
 *   1. the branch is cloned (fetched into a scratch cache: source module, libgit2);
 *   2. the component manifests (<path>/<namespace>/gotk-components.yaml: what `eddy install`
 *      applies) are committed as "Add Flux <version> component manifests" and pushed, then
 *      installed unless the flux-system Kustomization has applied a revision already (with
 *      --registry-creds, the image pull Secret before the Deployment: in the cluster only,
 *      never in Git, as flux keeps it);
 *   3. the source secret (username/password, bearerToken, identity/known_hosts, ca.crt) is
 *      applied, an SSH key's public half shown first; over SSH without --private-key-file
 *      the key pair is made here (bootstrap's own clone and pushes use the ssh-agent's keys)
 *      and the host key scanned at the host the GitRepository reaches;
 *   4. the sync manifests (gotk-sync.yaml: the GitRepository and Kustomization named after the
 *      namespace; kustomization.yaml listing the directory's manifests as flux's generator
 *      does, kept when the branch has one) are committed as "Add Flux sync manifests" and
 *      pushed, and that kustomization.yaml is applied, built by
 *      eddy's kustomize engine (the components again, with a user's patches: flux applies the
 *      directory, and installs it too when the branch has it);
 *   5. the GitRepository and the Kustomization are awaited at the pushed commit, then the
 *      components' health.
 * A commit is made only when a file changed, so a second run, or a second cluster
 * bootstrapped from the same path, changes nothing; an empty repository gets a root commit.
 * Each commit is signed with --gpg-key-ring's key (--gpg-key-id, --gpg-passphrase) and its
 * message ends with --commit-message-appendix. Nothing prints the objects applied: flux's
 * bootstrap discards its install's change set.
 *
 * The agent is the in-cluster Deployment by default. With --local-agent (no container can run
 * on a local control plane) it is also started here as a detached local process, `eddy
 * controller` against the same kubeconfig, its pid, log and storage in a directory of the
 * cluster (<state>/eddy/agents/<kube-system namespace uid>, or --local-agent-dir); an agent
 * already running there is kept.
 */
#include "cli_int.h"

#include "../kustomize/kustomize.h"
#include "../source/source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct boot_opts {
    ed_cli_global g;
    const char *url, *branch, *path;
    const char *username, *password, *key_file, *ca_file, *known_hosts_file;
    /* flux's deploy key flags: the key pair made over SSH without --private-key-file
     * (--ssh-key-algorithm, --ssh-ecdsa-curve, --ssh-rsa-bits, checked as flux checks them),
     * and the host the GitRepository reaches over SSH (--ssh-hostname: host[:port]) */
    const char *key_algorithm, *ecdsa_curve, *rsa_bits_flag, *ssh_hostname;
    int rsa_bits;
    char *sync_url;  /* the GitRepository's url, as flux writes it (a new string) */
    char *shown_url; /* --url without a password, for the progress lines (a new string) */
    bool bearer, token_auth, silent;
    bool insecure_http;  /* --allow-insecure-http: flux refuses http:// without it */
    char *password_read; /* the password read from stdin (--token-auth without one), or NULL */
    int64_t interval_ms;
    const char *secret_name;
    const char *author_name, *author_email;
    /* flux's commit flags: the key ring signing bootstrap's commit (--gpg-key-ring), the key
     * of it (--gpg-key-id, 16 hex digits once checked) and its passphrase; a line appended to
     * the message (--commit-message-appendix) */
    const char *gpg_key_ring, *gpg_key_id, *gpg_passphrase;
    const char *message_appendix;
    ed_cli_list components, extra;
    ed_cli_install_shape shape; /* install's flags */
    bool local_agent;
    const char *agent_dir;
    bool force; /* --force: override an installation another tool manages, unasked */
};

/* The credentials: the Secret's data (keys as Flux names them), and what bootstrap's own clone
 * and pushes use (libgit2), which differs over SSH: there the key may be the user's ssh-agent's
 * and the host key is checked against the client's known_hosts, while the Secret gets the key
 * pair (--private-key-file's, or one made at the source secret step) and the host key scanned
 * at the host the GitRepository reaches. */
struct creds {
    ed_source_secret_entry e[6];
    size_t n;
    char *owned[6];
    ed_source_secret_entry git[6]; /* the clone's and pushes' (values borrowed or git_kh) */
    size_t ngit;
    char *git_kh;       /* the clone's known_hosts when it is not the Secret's, or NULL */
    bool agent;         /* over SSH without --private-key-file: the ssh-agent's keys */
    bool no_kh;         /* ... and no known_hosts file to trust: the clone fails, as flux's */
    bool generate;      /* over SSH without --private-key-file: the Secret's key pair is made */
    char *gpg_key_ring; /* --gpg-key-ring's bytes (not for the Secret), or NULL */
    size_t gpg_key_ring_len;
};

static void creds_add(struct creds *c, const char *key, char *value_owned)
{
    c->e[c->n] = (ed_source_secret_entry){key, value_owned, strlen(value_owned)};
    c->owned[c->n++] = value_owned;
}

static void creds_free(struct creds *c)
{
    for (size_t i = 0; i < c->n; i++) {
        memset(c->owned[i], 0, strlen(c->owned[i])); /* secrets do not linger in memory */
        free(c->owned[i]);
    }
    c->n = 0;
    free(c->git_kh);
    c->git_kh = NULL;
    if (c->gpg_key_ring) {
        memset(c->gpg_key_ring, 0, c->gpg_key_ring_len);
        free(c->gpg_key_ring);
        c->gpg_key_ring = NULL;
    }
}

/* Collect the credentials the flags give. Returns 0, or 2 after printing the error. */
static int collect_creds(const struct boot_opts *o, struct creds *c)
{
    bool ssh = ed_str_has_prefix(o->url, "ssh://");
    if (ssh) {
        /* the Secret's known_hosts: --known-hosts-file's (eddy's), else the host key scanned at
         * the source secret step, as flux does */
        char *kh = o->known_hosts_file
                       ? ed_cli_read_flag_file("known-hosts-file", o->known_hosts_file, NULL)
                       : NULL;
        if (o->known_hosts_file && !kh)
            return 2;
        if (kh)
            creds_add(c, "known_hosts", kh);
        if (o->key_file) {
            char *key = ed_cli_read_flag_file("private-key-file", o->key_file, NULL);
            if (!key)
                return 2;
            /* as flux: the public key derived from the private one (a .pub beside it unread),
             * --password its passphrase */
            char *pub = NULL;
            ed_err err = ED_ERR_INIT;
            creds_add(c, "identity", key);
            const char *passphrase = o->password && *o->password ? o->password : NULL;
            if (ed_source_ssh_public_line(key, strlen(key), passphrase, &pub, &err) != 0) {
                ed_cli_failure("%s", err.msg);
                return 2;
            }
            creds_add(c, "identity.pub", pub);
        } else {
            c->agent = c->generate = true;
        }
        if (o->password)
            creds_add(c, "password", ed_xstrdup(o->password));
    } else if (o->bearer) {
        if (!o->password || !*o->password) {
            ed_cli_failure("--with-bearer-token needs the token in --password");
            return 2;
        }
        creds_add(c, "bearerToken", ed_xstrdup(o->password));
    } else if (o->username || o->password) {
        if (!o->password || !*o->password) {
            ed_cli_failure("--username needs --password (or GIT_PASSWORD, or --token-auth to "
                           "be asked for it)");
            return 2;
        }
        /* flux's --username defaults to "git" */
        creds_add(c, "username", ed_xstrdup(o->username ? o->username : "git"));
        creds_add(c, "password", ed_xstrdup(o->password));
    }
    if (o->ca_file) {
        char *ca = ed_cli_read_flag_file("ca-file", o->ca_file, NULL);
        if (!ca)
            return 2;
        creds_add(c, "ca.crt", ca);
    }
    if (o->gpg_key_ring && !(c->gpg_key_ring = ed_cli_read_flag_file(
                                 "gpg-key-ring", o->gpg_key_ring, &c->gpg_key_ring_len)))
        return 2;
    return 0;
}

/* ---- URLs and SSH hosts ---- */

/* A URL scheme://[user[:password]@]host[:port][/path], split: each part a new string, user
 * NULL without one (a password is dropped: it never reaches Git). */
struct url_parts {
    char *scheme, *user, *hostport, *rest;
};

static void url_split(const char *url, struct url_parts *u)
{
    const char *sep = strstr(url, "://"); /* parse_boot checked the scheme */
    const char *auth = sep ? sep + 3 : url;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    u->scheme = ed_xstrndup(url, sep ? (size_t)(sep - url) : 0);
    u->user = NULL;
    if (at) {
        size_t n = strcspn(auth, ":@");
        u->user = ed_xstrndup(auth, auth + n > at ? (size_t)(at - auth) : n);
    }
    const char *host = at ? at + 1 : auth;
    u->hostport = ed_xstrndup(host, (size_t)(end - host));
    u->rest = ed_xstrdup(end);
}

/* scheme://[user@]hostport<rest>: a new string. */
static char *url_join(const struct url_parts *u, const char *user, const char *hostport)
{
    return ed_xasprintf("%s://%s%s%s%s", u->scheme, user ? user : "", user ? "@" : "", hostport,
                        u->rest);
}

static void url_parts_free(struct url_parts *u)
{
    free(u->scheme);
    free(u->user);
    free(u->hostport);
    free(u->rest);
}

/*
 * The GitRepository's url as flux's bootstrap writes it into gotk-sync.yaml. Over SSH the
 * user is --username when one other than flux's default "git" is given, else the URL's, else
 * "git", and the host --ssh-hostname when given. Over http(s) (flux's --token-auth) the user
 * part goes. A password in the URL is never written (flux would write one of an ssh:// URL
 * whose user it keeps). A new string.
 */
static char *sync_url_of(const struct boot_opts *o)
{
    struct url_parts u;
    url_split(o->url, &u);
    char *out;
    if (strcmp(u.scheme, "ssh") == 0) {
        bool named = o->username && strcmp(o->username, "git") != 0;
        const char *user = named || !u.user ? (o->username ? o->username : "git") : u.user;
        const char *host = o->ssh_hostname && *o->ssh_hostname ? o->ssh_hostname : u.hostport;
        out = url_join(&u, user, host);
    } else {
        out = url_join(&u, NULL, u.hostport);
    }
    url_parts_free(&u);
    return out;
}

/* --url as the progress lines show it: a password in it left out (flux prints it). A new
 * string. */
static char *shown_url_of(const char *url)
{
    struct url_parts u;
    url_split(url, &u);
    char *out = url_join(&u, u.user, u.hostport);
    url_parts_free(&u);
    return out;
}

/* The host and port of host[:port] ("[v6]:port" too; port 22 when none). A new string. */
static char *split_host(const char *hostport, int *port)
{
    const char *colon = NULL;
    char *host;
    const char *close = hostport[0] == '[' ? strchr(hostport, ']') : NULL;
    if (close) {
        host = ed_xstrndup(hostport + 1, (size_t)(close - hostport - 1));
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(hostport, ':');
        host = colon ? ed_xstrndup(hostport, (size_t)(colon - hostport)) : ed_xstrdup(hostport);
    }
    long p = colon && colon[1] ? strtol(colon + 1, NULL, 10) : 22;
    *port = p > 0 && p < 65536 ? (int)p : 22;
    return host;
}

/* The host key of hostport as a known_hosts line, scanned as flux scans it (30 s at most);
 * NULL after flux's error, what_failed (or "") before it. */
static char *scan_host(const char *hostport, const char *what_failed)
{
    int port = 22;
    char *host = split_host(hostport, &port);
    char *line = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_source_ssh_host_key_scan(host, port, 30000, &line, &err) != 0)
        ed_cli_failure("%sSSH key scan for host %s%s%s:%d failed, error: %s", what_failed,
                       strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
                       err.msg);
    free(host);
    return line;
}

/* The host keys flux's client trusts without a key file (go-git's default known_hosts): the
 * files SSH_KNOWN_HOSTS lists (':' between them), else ~/.ssh/known_hosts and
 * /etc/ssh/ssh_known_hosts, those that exist, concatenated; NULL when there is none. */
static char *default_known_hosts(void)
{
    const char *env = getenv("SSH_KNOWN_HOSTS");
    const char *home = getenv("HOME");
    char *list = env && *env ? ed_xstrdup(env)
                             : ed_xasprintf("%s/.ssh/known_hosts:/etc/ssh/ssh_known_hosts",
                                            home && *home ? home : "/nonexistent");
    ed_buf all = ED_BUF_INIT((size_t)16 << 20);
    bool found = false;
    for (char *f = list, *next; f; f = next) {
        next = strchr(f, ':');
        if (next)
            *next++ = '\0';
        size_t len = 0;
        char *text = *f && access(f, R_OK) == 0 ? ed_file_read(f, (size_t)8 << 20, &len) : NULL;
        if (!text)
            continue;
        found = true;
        ed_buf_append(&all, text, len);
        if (len && text[len - 1] != '\n')
            ed_buf_append_str(&all, "\n");
        free(text);
    }
    free(list);
    char *out = found ? ed_buf_take(&all) : NULL;
    ed_buf_free(&all);
    return out;
}

/*
 * The credentials of bootstrap's own clone and pushes (c->git): over http(s) the Secret's.
 * Over SSH the key (--private-key-file's, else the ssh-agent's, as flux's client takes it)
 * and the host keys to trust: --known-hosts-file's; else, with a key file, the host's key
 * scanned (flux's getAuthOpts); else the default known_hosts files flux's client reads (none:
 * c->no_kh, flux's clone error). Returns 0, or 1 after the error.
 */
static int client_creds(const struct boot_opts *o, struct creds *c)
{
    bool ssh = ed_str_has_prefix(o->url, "ssh://");
    bool have_kh = false;
    for (size_t i = 0; i < c->n; i++) {
        have_kh |= strcmp(c->e[i].key, "known_hosts") == 0;
        c->git[c->ngit++] = c->e[i];
    }
    if (!ssh || have_kh)
        return 0;
    if (!o->key_file) {
        c->git_kh = default_known_hosts();
        c->no_kh = !c->git_kh;
        if (c->no_kh)
            return 0;
    } else {
        struct url_parts u;
        url_split(o->url, &u);
        char *what = ed_xasprintf("failed to create authentication options for %s: ", o->shown_url);
        c->git_kh = scan_host(u.hostport, what);
        free(what);
        url_parts_free(&u);
        if (!c->git_kh)
            return 1;
    }
    c->git[c->ngit++] = (ed_source_secret_entry){"known_hosts", c->git_kh, strlen(c->git_kh)};
    return 0;
}

/* ---- the files of Flux's layout ---- */

static void put_str(ed_doc *d, const char *path, const char *value)
{
    const char *slash = strrchr(path, '/');
    char *parent = ed_xstrndup(path, (size_t)(slash - path));
    ed_node *map = ed_node_ensure_map(d, ed_doc_root(d), parent);
    ed_node_set(d, map, slash + 1, ed_node_new_str(d, value));
    free(parent);
}

static ed_doc *new_object(const char *api_version, const char *kind, const char *ns,
                          const char *name)
{
    ed_doc *d = ed_doc_new();
    ed_doc_set_root(d, ed_node_new_map(d));
    put_str(d, "/apiVersion", api_version);
    put_str(d, "/kind", kind);
    put_str(d, "/metadata/name", name);
    put_str(d, "/metadata/namespace", ns);
    return d;
}

/* gotk-sync.yaml: the GitRepository and the Kustomization named after the namespace
 * (flux-system), as flux writes them (fields in sigs.k8s.io/yaml's sorted order). */
static int render_sync(const struct boot_opts *o, const char *path, bool with_secret, ed_buf *out)
{
    char interval[32];
    ed_duration_string(o->interval_ms * ED_NS_PER_MS, interval);
    ed_doc *repo = new_object("source.toolkit.fluxcd.io/v1", "GitRepository", o->g.ns, o->g.ns);
    put_str(repo, "/spec/interval", interval);
    put_str(repo, "/spec/ref/branch", o->branch);
    if (with_secret)
        put_str(repo, "/spec/secretRef/name", o->secret_name);
    put_str(repo, "/spec/url", o->sync_url);
    ed_doc *ks = new_object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", o->g.ns, o->g.ns);
    char *p = ed_xasprintf("./%s", path); /* "" -> "./" */
    put_str(ks, "/spec/interval", "10m0s");
    put_str(ks, "/spec/path", p);
    ed_node_set(ks, ed_node_ensure_map(ks, ed_doc_root(ks), "/spec"), "prune",
                ed_node_new_bool(ks, true));
    put_str(ks, "/spec/sourceRef/kind", "GitRepository");
    put_str(ks, "/spec/sourceRef/name", o->g.ns);
    free(p);
    ed_buf_append_str(out, "# This manifest was generated by eddy. DO NOT EDIT.\n---\n");
    int rc = ed_node_to_yaml(ed_doc_root(repo), out);
    ed_buf_append_str(out, "---\n");
    rc |= ed_node_to_yaml(ed_doc_root(ks), out);
    ed_doc_free(repo);
    ed_doc_free(ks);
    if (rc)
        ed_cli_failure("cannot print the sync manifests");
    return rc ? 1 : 0;
}

/* --path without "./" and trailing slashes; NULL (after the message) when it leaves the
 * repository. */
static char *clean_path(const char *path)
{
    while (ed_str_has_prefix(path, "./"))
        path += 2;
    char *p = ed_xstrdup(path);
    for (size_t n = strlen(p); n > 0 && p[n - 1] == '/'; n--)
        p[n - 1] = '\0';
    if (p[0] == '/' || (p[0] && !ed_path_within(p, 0))) {
        ed_cli_failure("--path '%s' must be relative and stay inside the repository", path);
        free(p);
        return NULL;
    }
    return p;
}

/* ---- Git ---- */

/* The version in the components commit's message: this eddy's release, without build
 * metadata ("v0.1.0-dev"), the one gotk-components.yaml's header and the agent's image tag
 * carry (flux puts its own, "v2.9.5"). A new string. */
static char *release_version(void)
{
    const char *plus = strchr(ED_CLI_VERSION, '+');
    int len = plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION);
    return ed_xasprintf("v%.*s", len, ED_CLI_VERSION);
}

/* The branch fetched into the bootstrap's cache, as flux clones it before its first commit;
 * an empty repository (or a branch it does not have) is no error: the first commit makes it. */
static int clone_branch(const struct boot_opts *o, const struct creds *c, ed_source_cache *cache)
{
    ed_cli_action("cloning branch \"%s\" from Git repository \"%s\"", o->branch, o->shown_url);
    if (c->no_kh) { /* go-git's words, through flux's clone */
        ed_cli_failure("failed to clone repository: unable to clone '%s': cannot create known "
                       "hosts callback: unable to find any valid known_hosts file, set "
                       "SSH_KNOWN_HOSTS env variable",
                       o->shown_url);
        return 1;
    }
    ed_source_git_fetch_opts fo = ED_SOURCE_GIT_FETCH_OPTS_INIT;
    fo.url = o->url;
    fo.ref.branch = o->branch;
    fo.secret = c->git;
    fo.secret_len = c->ngit;
    fo.ssh_agent = c->agent;
    fo.timeout_ms = o->g.timeout_ms;
    fo.full_history = true;
    ed_source_git_result fr;
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_git_fetch(cache, &fo, &fr, &err);
    if (rc && rc != ED_ENOTFOUND) {
        ed_cli_failure("failed to clone repository: %s", err.msg);
        return 1;
    }
    ed_cli_success("cloned repository");
    return 0;
}

/* What a commit's lines name: "component manifests" or "sync manifests", and where. */
struct commit_lines {
    const struct boot_opts *o;
    const char *what;
};

/* flux's lines between its commit and its push; a push rejected because the branch moved is
 * retried from the new head, with flux's line of its sync's retry first. */
static void report_commit(void *user, const char *commit, int attempt)
{
    const struct commit_lines *l = user;
    if (attempt > 1)
        ed_cli_waiting("git conflict detected, retrying with a fresh clone");
    ed_cli_success("committed %s to \"%s\" (\"%s\")", l->what, l->o->branch, commit);
    ed_cli_action("pushing %s to \"%s\"", l->what, l->o->shown_url);
}

/* Commit files over the branch's head and push, with the message and --commit-message-appendix,
 * signed with --gpg-key-ring's key when given; what names them in flux's lines ("component
 * manifests", "sync manifests") and push_error is flux's words for a failed push. head (41
 * bytes) gets the branch's head afterwards. */
static int commit_files(const struct boot_opts *o, const struct creds *c, ed_source_cache *cache,
                        const ed_source_file *files, size_t nfiles, const char *subject,
                        const char *what, const char *push_error, char *head)
{
    char *message = o->message_appendix && *o->message_appendix
                        ? ed_xasprintf("%s\n\n%s", subject, o->message_appendix)
                        : ed_xstrdup(subject);
    struct commit_lines lines = {o, what};
    ed_source_git_write_opts wo = {.url = o->url,
                                   .secret = c->git,
                                   .secret_len = c->ngit,
                                   .ssh_agent = c->agent,
                                   .branch = o->branch,
                                   .author_name = o->author_name,
                                   .author_email = o->author_email,
                                   .message = message,
                                   .signing_key = c->gpg_key_ring,
                                   .signing_key_len = c->gpg_key_ring_len,
                                   .signing_key_id = o->gpg_key_id,
                                   .signing_passphrase = o->gpg_passphrase,
                                   .files = files,
                                   .nfiles = nfiles,
                                   .timeout_ms = o->g.timeout_ms,
                                   .on_commit = report_commit,
                                   .on_commit_user = &lines};
    ed_source_git_write_result res;
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_git_write(cache, &wo, &res, &err);
    free(message);
    if (rc) {
        if (res.push_failed)
            ed_cli_failure("%s: %s", push_error, err.msg);
        else
            ed_cli_failure("failed to commit %s: %s", what, err.msg);
        return 1;
    }
    memcpy(head, res.commit, sizeof(res.commit));
    if (!res.committed)
        ed_cli_success("%s are up to date", what);
    return 0;
}

/* ---- the cluster ---- */

/* True when the CRD named name is Established. */
static bool crd_established(ed_kube *kube, const char *name)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    bool ok = false;
    if (ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name, &d,
                    &err) == 0) {
        const char *st = ed_cli_cond(ed_doc_root(d), "Established", "/status");
        ok = st && strcmp(st, "True") == 0;
    }
    ed_doc_free(d);
    return ok;
}

/* Wait until every CRD of docs is Established (the agent started next discovers the kinds it
 * serves once, at its start), then forget what this process discovered before. */
static int wait_crds(ed_kube *kube, ed_doc *const *docs, size_t n, int64_t timeout_ms)
{
    int64_t deadline = ed_time_mono_ms() + timeout_ms;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const ed_node *obj = ed_doc_root(docs[i]);
        const char *kind = ed_node_path_str(obj, "/kind");
        const char *name = ed_node_path_str(obj, "/metadata/name");
        while (!rc && kind && name && strcmp(kind, "CustomResourceDefinition") == 0 &&
               !crd_established(kube, name)) {
            if (ed_time_mono_ms() >= deadline) {
                ed_cli_failure("CustomResourceDefinition %s not established after the --timeout",
                               name);
                rc = 1;
            }
            usleep(100 * 1000);
        }
    }
    /* The kinds the new CRDs serve are found from now on: must_install asked for a
     * Kustomization before they were there, and discovery kept the answer. */
    ed_kube_discovery_reset(kube);
    return rc;
}

/* True for what flux applies first, and waits for, before the rest: CRDs and Namespaces. */
static bool cluster_definition(const ed_doc *d)
{
    const char *kind = ed_node_path_str(ed_doc_root(d), "/kind");
    return kind &&
           (strcmp(kind, "CustomResourceDefinition") == 0 || strcmp(kind, "Namespace") == 0);
}

/*
 * Apply docs as flux's bootstrap applies a set, printing nothing: the CRDs and Namespaces
 * first, then, once the CRDs are Established, the rest in their order (with shape's pull
 * Secret, if any, just before the Deployment). Returns 0, or 1 after the error.
 */
static int apply_staged(ed_kube *kube, const struct boot_opts *o, const ed_cli_install_shape *shape,
                        ed_doc **docs, size_t n)
{
    ed_doc **first = ed_xcalloc(n + 1, sizeof(ed_doc *));
    ed_doc **rest = ed_xcalloc(n + 1, sizeof(ed_doc *));
    size_t nfirst = 0, nrest = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ed_doc_root(docs[i]))
            continue;
        if (cluster_definition(docs[i]))
            first[nfirst++] = docs[i];
        else
            rest[nrest++] = docs[i];
    }
    const ed_cli_install_shape none = {.registry_creds = NULL};
    int rc = ed_cli_install_apply_docs(kube, o->g.ns, &none, first, nfirst, false);
    if (!rc && nfirst)
        rc = wait_crds(kube, first, nfirst, o->g.timeout_ms);
    if (!rc)
        rc = ed_cli_install_apply_docs(kube, o->g.ns, shape, rest, nrest, false);
    free(first);
    free(rest);
    return rc;
}

/* The branch's tree at commit head, written to <scratch>/tree (emptied first). Returns the
 * tree's path (a new string), or NULL after the error. */
static char *checkout_tree(ed_source_cache *cache, const struct boot_opts *o, const char *head,
                           const char *scratch)
{
    char *tree = ed_xasprintf("%s/tree", scratch);
    ed_err err = ED_ERR_INIT;
    ed_path_remove_tree(tree);
    ed_source_checkout_opts co = ED_SOURCE_CHECKOUT_OPTS_INIT;
    co.url = o->url;
    co.commit = head;
    co.unfiltered = true;
    if (ed_path_mkdir_all(tree) != 0 || ed_source_git_checkout_with(cache, &co, tree, &err) != 0) {
        ed_cli_failure("failed to check out %s@%s: %s", o->branch, head,
                       err.msg[0] ? err.msg : strerror(errno));
        free(tree);
        return NULL;
    }
    return tree;
}

/* True when the file at path is what kustomize's resource factory takes (flux's generator
 * lists only those): YAML whose every document is empty or a mapping with a kind and, unless
 * the kind is a List, a metadata.name. */
static bool resource_file(const char *path)
{
    size_t len = 0;
    char *text = ed_file_read(path, (size_t)64 << 20, &len);
    if (!text)
        return false;
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    bool ok = ed_doc_parse_yaml(text, len, path, &docs, &n, &err) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        const ed_node *obj = ed_doc_root(docs[i]);
        if (!obj || ed_node_kind_of(obj) == ED_NODE_NULL)
            continue;
        const char *kind = ed_node_path_str(obj, "/kind");
        const char *name = ed_node_path_str(obj, "/metadata/name");
        ok = ed_node_kind_of(obj) == ED_NODE_MAP && kind && *kind &&
             (ed_str_has_suffix(kind, "List") || (name && *name));
    }
    ed_doc_list_free(docs, n);
    free(text);
    return ok;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* flux's walk of the flux-system directory (manifestgen/kustomization): below dir, in name
 * order and depth first, each file kustomize reads as resources, and each subdirectory that
 * holds its own kustomization file as one entry (not entered); rel is dir's path relative to
 * the top. Symlinks are left out (a link may lead out of the clone). */
static void list_manifests(const char *dir, const char *rel, ed_doc *d, ed_node *seq)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dh));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = ed_xrealloc(names, (n + 1) * sizeof(char *));
        names[n++] = ed_xstrdup(e->d_name);
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof(char *), cmp_names);
    static const char *const kfiles[] = {"kustomization.yaml", "kustomization.yml",
                                         "Kustomization"};
    for (size_t i = 0; i < n; i++) {
        char *full = ed_xasprintf("%s/%s", dir, names[i]);
        char *sub = ed_xasprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            bool has = false;
            for (size_t k = 0; k < 3 && !has; k++) {
                char *kf = ed_xasprintf("%s/%s", full, kfiles[k]);
                has = access(kf, F_OK) == 0;
                free(kf);
            }
            if (has)
                ed_node_append(d, seq, ed_node_new_str(d, sub));
            else
                list_manifests(full, sub, d, seq);
        } else if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && resource_file(full)) {
            ed_node_append(d, seq, ed_node_new_str(d, sub));
        }
        free(full);
        free(sub);
        free(names[i]);
    }
    free(names);
}

/*
 * The flux-system directory's kustomization.yaml as flux's bootstrap makes it when the branch
 * has none in dir: one listing what dir holds at head, gotk-sync.yaml (sync, written there
 * first) included, so a manifest a user put beside flux's files is applied too. The commit
 * writes it only where the file is absent (one a user has is kept, as flux keeps it), so it is
 * made even when head has one: a push retried over a head without it still writes a listing.
 * Returns 0, or 1 after the error.
 */
static int sync_kustomization(ed_source_cache *cache, const struct boot_opts *o, const char *head,
                              const char *scratch, const char *dir, const ed_buf *sync, ed_buf *out)
{
    char *tree = checkout_tree(cache, o, head, scratch);
    if (!tree)
        return 1;
    char *top = ed_xasprintf("%s/%s", tree, dir);
    char *sfile = ed_xasprintf("%s/gotk-sync.yaml", top);
    int rc = 0;
    FILE *f = ed_path_mkdir_all(top) == 0 ? fopen(sfile, "wb") : NULL;
    if (!f || fwrite(sync->data, 1, sync->len, f) != sync->len)
        rc = 1;
    if (f && fclose(f) != 0)
        rc = 1;
    if (rc) {
        ed_cli_failure("kustomization.yaml generation failed: %s: %s", sfile, strerror(errno));
        goto out;
    }
    ed_doc *d = ed_doc_new();
    ed_node *root = ed_node_new_map(d);
    ed_doc_set_root(d, root);
    put_str(d, "/apiVersion", "kustomize.config.k8s.io/v1beta1");
    put_str(d, "/kind", "Kustomization");
    ed_node *seq = ed_node_new_seq(d);
    list_manifests(top, "", d, seq);
    ed_node_set(d, root, "resources", seq);
    if (ed_node_to_yaml(root, out) != 0) {
        ed_cli_failure("kustomization.yaml generation failed");
        rc = 1;
    }
    ed_doc_free(d);
out:
    free(tree);
    free(top);
    free(sfile);
    return rc;
}

/*
 * What flux applies for the flux-system directory dir (relative to the repository) at commit
 * head: its kustomization.yaml built with eddy's kustomize engine (the components and the sync
 * manifests with whatever patches a user added there), the repository as the build's
 * boundary, as flux builds it in its clone. The tree is written below scratch (a directory of
 * this run's). *docs gets a new list (ed_doc_list_free), or NULL with *n 0 when dir has no
 * kustomization.yaml (flux then applies gotk-components.yaml alone). Returns 0, or 1 after the
 * error.
 */
static int build_flux_dir(ed_source_cache *cache, const struct boot_opts *o, const char *head,
                          const char *scratch, const char *dir, ed_doc ***docs, size_t *n)
{
    *docs = NULL;
    *n = 0;
    char *tree = checkout_tree(cache, o, head, scratch);
    if (!tree)
        return 1;
    char *top = ed_xasprintf("%s/%s", tree, dir);
    char *kfile = ed_xasprintf("%s/kustomization.yaml", top);
    ed_err err = ED_ERR_INIT;
    int rc = 0;
    if (access(kfile, F_OK) == 0) {
        ed_ks_options ko = ED_KS_OPTIONS_INIT;
        ko.root = tree;
        ko.keep_order = true; /* flux's krusty options: no reordering, the apply stages it */
        if (ed_ks_build(top, &ko, docs, n, &err) != 0) {
            ed_cli_failure("%s", err.msg);
            rc = 1;
        }
    }
    free(tree);
    free(top);
    free(kfile);
    return rc;
}

static char *base64(const char *data, size_t len)
{
    return ed_base64_encode(data, len);
}

/* The Secret the GitRepository reads, applied without a line. Its values are never printed.
 * As flux updates an existing Secret (existing, or NULL), its other keys and its type stay:
 * credentials of another kind given before (a username next to a new SSH key) are kept. */
static int apply_secret(ed_kube *kube, const struct boot_opts *o, const struct creds *c,
                        const ed_node *existing)
{
    ed_doc *d = new_object("v1", "Secret", o->g.ns, o->secret_name);
    const char *type = ed_node_path_str(existing, "/type");
    put_str(d, "/type", type ? type : "Opaque");
    ed_node *data = ed_node_ensure_map(d, ed_doc_root(d), "/data");
    const ed_node *had = ed_node_path(existing, "/data");
    for (size_t i = 0; i < ed_node_len(had); i++) {
        const char *v = ed_node_str(ed_node_value_at(had, i));
        if (ed_node_key_at(had, i) && v)
            ed_node_set(d, data, ed_node_key_at(had, i), ed_node_new_str(d, v));
    }
    for (size_t i = 0; i < c->n; i++) {
        char *v = base64(c->e[i].value, c->e[i].len);
        ed_node_set(d, data, c->e[i].key, ed_node_new_str(d, v));
        free(v);
    }
    int rc = ed_cli_apply(kube, ed_doc_root(d), false);
    ed_doc_free(d);
    return rc;
}

/* As flux: the components are installed unless the flux-system Kustomization has applied a
 * revision already (from then on, it applies them from Git itself); any error reading it
 * means install. */
static bool must_install(ed_kube *kube, const char *ns)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", ns, ns, &d, &err) != 0)
        return true;
    const char *rev = ed_node_path_str(ed_doc_root(d), "/status/lastAppliedRevision");
    bool install = !rev || !*rev;
    ed_doc_free(d);
    return install;
}

/* The uid of the kube-system namespace: what tells one cluster from another. */
static char *cluster_id(ed_kube *kube)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    char *id = NULL;
    if (ed_kube_get(kube, "v1", "Namespace", NULL, "kube-system", &d, &err) == 0) {
        const char *uid = ed_node_path_str(ed_doc_root(d), "/metadata/uid");
        if (uid)
            id = ed_xstrdup(uid);
    } else {
        ed_cli_failure("cannot read namespace kube-system: %s", err.msg);
    }
    ed_doc_free(d);
    return id;
}

/* Bind port on 127.0.0.1 (0: the kernel's pick) and let it go: the port bound, or -1. */
static int try_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int bound = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        bound = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return bound;
}

/* A port nothing listens on now, picked at random below the kernel's ephemeral range, as the
 * test harness picks its servers' (scripts/lib/common.sh): a port from that range (what binding
 * port 0 gives) can become the local end of an outgoing connection before the agent binds it,
 * and the agent then stops at once ("Address already in use"). Port 0's pick as the last
 * resort. */
static int free_port(void)
{
    int low = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &low) != 1)
            low = 32768;
        fclose(f);
    }
    static unsigned seed;
    if (!seed)
        seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    for (int i = 0; low > 11000 && i < 200; i++) {
        int port = 10000 + (int)(rand_r(&seed) % (unsigned)(low - 10000));
        if (try_port(port) == port)
            return port;
    }
    return try_port(0);
}

/* The pid recorded in file when that process is still an eddy controller, else 0. */
static pid_t running_agent(const char *pidfile)
{
    char *text = NULL;
    FILE *f = fopen(pidfile, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    if (pid <= 0 || kill((pid_t)pid, 0) != 0)
        return 0;
    char *cmdline = ed_xasprintf("/proc/%ld/cmdline", pid);
    f = fopen(cmdline, "r");
    free(cmdline);
    bool ours = false;
    if (f) {
        char buf[256] = {0};
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        /* argv[1] follows argv[0]'s NUL */
        size_t first = strnlen(buf, n);
        text = first + 1 < n ? buf + first + 1 : NULL;
        ours = text && strcmp(text, "controller") == 0;
    }
    return ours ? (pid_t)pid : 0;
}

/* The directory of the local agent: --local-agent-dir, or <state>/eddy/agents/<cluster>. */
static char *agent_dir(const struct boot_opts *o, const char *cluster)
{
    if (o->agent_dir)
        return ed_xstrdup(o->agent_dir);
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    return state && *state ? ed_xasprintf("%s/eddy/agents/%s", state, cluster)
                           : ed_xasprintf("%s/.local/state/eddy/agents/%s",
                                          home && *home ? home : "/tmp", cluster);
}

/* Start `eddy controller` in its own session, detached, with its output in log. */
static pid_t spawn_agent(const struct boot_opts *o, const char *dir, const char *log)
{
    char kubeconfig[PATH_MAX] = "";
    if (o->g.kubeconfig && !realpath(o->g.kubeconfig, kubeconfig))
        snprintf(kubeconfig, sizeof(kubeconfig), "%s", o->g.kubeconfig);
    int sport = free_port(), hport = free_port(), mport = free_port();
    char *storage = ed_xasprintf("--storage-path=%s/storage", dir);
    char *saddr = ed_xasprintf("--storage-addr=127.0.0.1:%d", sport);
    char *sadv = ed_xasprintf("--storage-adv-addr=127.0.0.1:%d", sport);
    char *haddr = ed_xasprintf("--health-addr=127.0.0.1:%d", hport);
    char *maddr = ed_xasprintf("--metrics-addr=127.0.0.1:%d", mport);
    char *lns = ed_xasprintf("--leader-election-namespace=%s", o->g.ns);
    char *kc = kubeconfig[0] ? ed_xasprintf("--kubeconfig=%s", kubeconfig) : NULL;
    char *ctx = o->g.context ? ed_xasprintf("--context=%s", o->g.context) : NULL;
    char *argv[12] = {"eddy", "controller", storage, saddr, sadv, haddr, maddr, lns};
    int argc = 8;
    if (kc)
        argv[argc++] = kc;
    if (ctx)
        argv[argc++] = ctx;
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (in < 0 || out < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    free(storage);
    free(saddr);
    free(sadv);
    free(haddr);
    free(maddr);
    free(lns);
    free(kc);
    free(ctx);
    return pid;
}

/* The cluster the agent of dir serves (its `cluster` file: the kube-system uid), or NULL. */
static char *agent_cluster(const char *dir)
{
    char *path = ed_xasprintf("%s/cluster", dir);
    FILE *f = fopen(path, "r");
    free(path);
    char uid[128] = "";
    if (f) {
        if (!fgets(uid, sizeof(uid), f))
            uid[0] = '\0';
        fclose(f);
    }
    uid[strcspn(uid, "\n")] = '\0';
    return uid[0] ? ed_xstrdup(uid) : NULL;
}

/* Record pid and the cluster in dir. Returns 0, or -1 when a file cannot be written. */
static int agent_record(const char *dir, pid_t pid, const char *cluster)
{
    const char *names[] = {"agent.pid", "cluster"};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        char *path = ed_xasprintf("%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        free(path);
        if (!f) {
            rc = -1;
            continue;
        }
        if (i == 0)
            fprintf(f, "%ld\n", (long)pid);
        else
            fprintf(f, "%s\n", cluster);
        if (fclose(f) != 0)
            rc = -1;
    }
    return rc;
}

/* The agent of dir runs: keep it when it serves this cluster, else refuse (it is not ours to
 * stop: it may serve a cluster that still exists). */
static int keep_running_agent(const char *dir, pid_t pid, const char *cluster, const char *log)
{
    char *serves = agent_cluster(dir);
    int rc = 0;
    if (serves && strcmp(serves, cluster) != 0) {
        ed_cli_failure("the agent in %s (pid %ld) serves another cluster (kube-system uid %s): "
                       "stop it first (kill %ld) or choose another --local-agent-dir",
                       dir, (long)pid, serves, (long)pid);
        rc = 1;
    } else {
        ed_cli_success("local agent already running (pid %ld, log %s)", (long)pid, log);
    }
    free(serves);
    return rc;
}

/* Start the local agent unless one runs for this cluster already. */
static int start_local_agent(const struct boot_opts *o, ed_kube *kube)
{
    char *cluster = cluster_id(kube);
    char *dir = cluster ? agent_dir(o, cluster) : NULL;
    if (!dir) {
        free(cluster);
        return 1;
    }
    char *pidfile = ed_xasprintf("%s/agent.pid", dir);
    char *log = ed_xasprintf("%s/agent.log", dir);
    int rc = 0;
    pid_t pid = running_agent(pidfile);
    if (pid) {
        rc = keep_running_agent(dir, pid, cluster, log);
        goto out;
    }
    if (ed_path_mkdir_all(dir) != 0) {
        ed_cli_failure("cannot create %s: %s", dir, strerror(errno));
        rc = 1;
        goto out;
    }
    /* A bad flag or an unreadable kubeconfig ends it at once: say so now, not at the timeout.
     * A port taken between its choice and the agent's bind ends it too: tried again, with
     * other ports, twice. */
    bool recorded = false, started = false;
    for (int attempt = 0; attempt < 3 && !started; attempt++) {
        pid = spawn_agent(o, dir, log);
        recorded = pid > 0 && agent_record(dir, pid, cluster) == 0;
        if (!recorded)
            break;
        usleep(300 * 1000);
        int status = 0;
        started = waitpid(pid, &status, WNOHANG) == 0;
    }
    if (!started) {
        ed_cli_failure("the local agent did not start; see %s", log);
        rc = 1;
    } else {
        ed_cli_success("local agent started (pid %ld, log %s)", (long)pid, log);
    }
out:
    free(cluster);
    free(dir);
    free(pidfile);
    free(log);
    return rc;
}

/* Ask the flux-system GitRepository to fetch now (reconcile.fluxcd.io/requestedAt), rather
 * than at its interval; token (64 bytes) gets the request's value. */
static int request_fetch(ed_kube *kube, const char *ns, char *token)
{
    char body[160];
    ed_cli_now_token(token, 64);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%s\"}}}",
             token);
    ed_kube_opts ko = {.field_manager = "flux"};
    ed_err err = ED_ERR_INIT;
    if (ed_kube_patch(kube, ed_cli_gitrepository.api_version, "GitRepository", ns, ns,
                      ED_KUBE_PATCH_MERGE, body, strlen(body), &ko, NULL, &err) != 0) {
        ed_cli_failure("GitRepository %s/%s: %s", ns, ns, err.msg);
        return 1;
    }
    return 0;
}

/* What one of the sync objects is waited for: its kind, and where its status keeps the
 * revision it reconciled (flux's: the artifact's, the last attempted). */
struct sync_kind {
    const ed_cli_kind *kind;
    const char *revision_path;
};

/*
 * As flux's check of a sync object: 1 when it is Ready at want for its current generation, 0
 * while not yet, -1 when it is suspended (msg says so) or, for its current generation, Ready
 * False (msg is the condition's message): flux stops waiting then. *msg gets its Ready
 * message, a new string, either way. A Ready False counts once it is about want (the revision
 * it attempted), or comes from a reconcile that handled token (the last fetch requested, or
 * ""): not one left from before this bootstrap applied the Secret, such as the "secret not
 * found" of a GitRepository the install step applied first.
 */
static int reconciled(ed_kube *kube, const char *ns, const struct sync_kind *k, const char *want,
                      const char *token, char **msg)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int state = 0;
    free(*msg);
    *msg = NULL;
    if (ed_kube_get(kube, k->kind->api_version, k->kind->kind, ns, ns, &d, &err) != 0) {
        *msg = ed_xstrdup(err.msg);
        return 0;
    }
    const ed_node *obj = ed_doc_root(d);
    bool suspended = false;
    const ed_node *suspend = ed_node_path(obj, "/spec/suspend");
    if (suspend)
        ed_node_bool(suspend, &suspended);
    const char *ready = ed_cli_cond(obj, "Ready", "/status");
    const char *rev = ed_node_path_str(obj, k->revision_path);
    const char *handled = ed_node_path_str(obj, "/status/lastHandledReconcileAt");
    const char *m = ed_cli_cond(obj, "Ready", "/message");
    int64_t gen = 0, seen = -1;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &seen);
    if (suspended) {
        *msg = ed_xasprintf("%s '%s/%s' is suspended", k->kind->kind, ns, ns);
        state = -1;
    } else if (seen == gen && ready && strcmp(ready, "False") == 0 &&
               ((rev && strcmp(rev, want) == 0) ||
                (token[0] && handled && strcmp(handled, token) == 0))) {
        *msg = ed_xstrdup(m ? m : "");
        state = -1;
    } else {
        state = ready && strcmp(ready, "True") == 0 && rev && strcmp(rev, want) == 0 && seen == gen;
        /* the message only when Ready is not True: flux's timeout names it then */
        if (!(ready && strcmp(ready, "True") == 0))
            *msg = ed_xstrdup(m ? m : "");
    }
    ed_doc_free(d);
    return state;
}

/*
 * Wait until the flux-system object of k reconciled the branch's head, with flux's lines;
 * on failure, flux's error is appended to errs. The GitRepository is asked to fetch when the
 * commit is not there after 2 s (one that did not change would wait for its interval), and
 * again every 10 s: when the sync objects changed (another URL), the agent may first put back
 * what the previous revision said, and reach the new one only after the next fetch.
 */
static int wait_reconciled(ed_kube *kube, const struct boot_opts *o, const struct sync_kind *k,
                           const char *head, ed_buf *errs)
{
    const char *ns = o->g.ns, *kind = k->kind->kind;
    char *want = ed_xasprintf("%s@sha1:%s", o->branch, head);
    char *msg = NULL;
    int64_t deadline = ed_time_mono_ms() + o->g.timeout_ms;
    int64_t next_fetch = ed_time_mono_ms() + 2000;
    int state;
    ed_cli_waiting("waiting for %s \"%s/%s\" to be reconciled", kind, ns, ns);
    /* the GitRepository's Ready False counts after a fetch requested here */
    char token[64] = "", requested[64];
    bool repo = k->kind == &ed_cli_gitrepository;
    while ((state = reconciled(kube, ns, k, want, token, &msg)) == 0 &&
           ed_time_mono_ms() < deadline) {
        if (ed_time_mono_ms() >= next_fetch) {
            if (request_fetch(kube, ns, requested) == 0 && repo)
                memcpy(token, requested, sizeof(token));
            next_fetch = ed_time_mono_ms() + 10000;
        }
        usleep(200 * 1000);
    }
    int rc = 0;
    if (state == 1) {
        ed_cli_success("%s reconciled successfully", kind);
    } else {
        /* flux's words: the Ready message at the timeout when Ready is not True */
        char *lower = ed_xstrdup(kind);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        char *why = state < 0 ? ed_xstrdup(msg)
                    : msg     ? ed_xasprintf("%s '%s/%s' not ready: '%s'", lower, ns, ns, msg)
                              : ed_xstrdup("context deadline exceeded");
        ed_cli_failure("%s", why);
        ed_buf_printf(errs, "%serror while waiting for %s to be ready: '%s'", errs->len ? ", " : "",
                      kind, why);
        free(why);
        free(lower);
        rc = 1;
    }
    free(msg);
    free(want);
    return rc;
}

/* flux's last check: the components' Deployments healthy. eddy has one, the agent; with
 * --local-agent, the agent is the local process instead (a control plane without nodes never
 * makes the Deployment ready). On failure, flux's error is appended to errs. */
static int confirm_components(ed_kube *kube, const struct boot_opts *o, ed_buf *errs)
{
    ed_cli_action("confirming components are healthy");
    int rc = 0;
    if (o->local_agent) {
        char *cluster = cluster_id(kube);
        char *dir = cluster ? agent_dir(o, cluster) : NULL;
        char *pidfile = dir ? ed_xasprintf("%s/agent.pid", dir) : NULL;
        pid_t pid = pidfile ? running_agent(pidfile) : 0;
        if (pid) {
            ed_cli_success("eddy: local agent ready (pid %ld)", (long)pid);
        } else {
            ed_cli_failure("eddy: local agent not running (see %s/agent.log)", dir ? dir : "?");
            rc = 1;
        }
        free(cluster);
        free(dir);
        free(pidfile);
    } else {
        rc = ed_cli_install_wait(kube, o->g.ns, o->g.timeout_ms);
    }
    if (rc)
        ed_buf_printf(errs, "%stimed out waiting for all resources to be ready",
                      errs->len ? ", " : "");
    else
        ed_cli_success("all components are healthy");
    return rc;
}

/* ---- the verb ---- */

/* flux's checks of the signing flags, in its words: a key id is 16 hex digits ("0x" allowed
 * before them); the id and the passphrase are for a key ring. Returns 0, or 2 after the error. */
static int check_gpg(struct boot_opts *o)
{
    if (o->gpg_key_ring && !*o->gpg_key_ring)
        o->gpg_key_ring = NULL;
    if (o->gpg_key_id && !*o->gpg_key_id)
        o->gpg_key_id = NULL;
    if (!o->gpg_key_ring && (o->gpg_key_id || o->gpg_passphrase)) {
        ed_cli_failure("--gpg-key-id and --gpg-passphrase need --gpg-key-ring");
        return 2;
    }
    if (!o->gpg_key_id)
        return 0;
    if (ed_str_has_prefix(o->gpg_key_id, "0x"))
        o->gpg_key_id += 2;
    size_t n = strlen(o->gpg_key_id);
    if (n != 16) {
        ed_cli_failure("invalid GPG key id length; expected 16, got %zu", n);
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)o->gpg_key_id[i])) {
            ed_cli_failure("--gpg-key-id '%s': not a hexadecimal key id", o->gpg_key_id);
            return 2;
        }
    return 0;
}

/* flux's checks of its deploy key flags (cobra's, before anything else), in its words. Returns
 * 0, or 2 after the error. */
static int check_key_flags(struct boot_opts *o)
{
    static const char *const algorithms[] = {"rsa", "ecdsa", "ed25519"};
    bool known = false;
    for (size_t i = 0; i < 3; i++)
        known |= strcmp(o->key_algorithm, algorithms[i]) == 0;
    const char *a = o->key_algorithm;
    while (isspace((unsigned char)*a))
        a++;
    if (!*a) {
        ed_cli_invalid_argument(o->key_algorithm, "--ssh-key-algorithm",
                                "no public key algorithm given, must be one of: rsa, ecdsa, "
                                "ed25519");
        return 2;
    }
    if (!known) {
        ed_cli_invalid_argument(o->key_algorithm, "--ssh-key-algorithm",
                                "unsupported public key algorithm '%s', must be one of: rsa, "
                                "ecdsa, ed25519",
                                o->key_algorithm);
        return 2;
    }
    if (strcmp(o->ecdsa_curve, "p256") != 0 && strcmp(o->ecdsa_curve, "p384") != 0 &&
        strcmp(o->ecdsa_curve, "p521") != 0) {
        ed_cli_invalid_argument(o->ecdsa_curve, "--ssh-ecdsa-curve",
                                "unsupported curve '%s', must be one of: p256, p384, p521",
                                o->ecdsa_curve);
        return 2;
    }
    const char *b = o->rsa_bits_flag;
    while (isspace((unsigned char)*b))
        b++;
    if (!*b)
        return 0; /* flux's default, 2048 */
    char *end = NULL;
    errno = 0;
    long bits = strtol(o->rsa_bits_flag, &end, 10);
    bool digits = *o->rsa_bits_flag && !isspace((unsigned char)*o->rsa_bits_flag);
    if (!digits || *end || errno || bits > INT_MAX || bits < INT_MIN) {
        ed_cli_invalid_argument(o->rsa_bits_flag, "--ssh-rsa-bits",
                                "strconv.Atoi: parsing \"%s\": %s", o->rsa_bits_flag,
                                errno ? "value out of range" : "invalid syntax");
        return 2;
    }
    if (bits < 1024) {
        ed_cli_invalid_argument(o->rsa_bits_flag, "--ssh-rsa-bits",
                                "RSA key bit size must be at least 1024");
        return 2;
    }
    if (bits % 8 != 0) {
        ed_cli_invalid_argument(o->rsa_bits_flag, "--ssh-rsa-bits",
                                "RSA key bit size must be a multiples of 8");
        return 2;
    }
    o->rsa_bits = (int)bits;
    return 0;
}

static int parse_boot(struct boot_opts *o, int argc, char **argv)
{
    const ed_cli_flag flags[] = {
        {"url", 0, ED_CLI_FLAG_STR, &o->url},
        {"branch", 0, ED_CLI_FLAG_STR, &o->branch},
        {"path", 0, ED_CLI_FLAG_STR, &o->path},
        {"username", 'u', ED_CLI_FLAG_STR, &o->username},
        {"password", 'p', ED_CLI_FLAG_STR, &o->password},
        {"private-key-file", 0, ED_CLI_FLAG_STR, &o->key_file},
        {"known-hosts-file", 0, ED_CLI_FLAG_STR, &o->known_hosts_file},
        {"ca-file", 0, ED_CLI_FLAG_STR, &o->ca_file},
        {"with-bearer-token", 0, ED_CLI_FLAG_BOOL, &o->bearer},
        {"token-auth", 0, ED_CLI_FLAG_BOOL, &o->token_auth},
        {"allow-insecure-http", 0, ED_CLI_FLAG_BOOL, &o->insecure_http},
        {"silent", 's', ED_CLI_FLAG_BOOL, &o->silent},
        {"interval", 0, ED_CLI_FLAG_DURATION, &o->interval_ms},
        {"secret-name", 0, ED_CLI_FLAG_STR, &o->secret_name},
        {"author-name", 0, ED_CLI_FLAG_STR, &o->author_name},
        {"author-email", 0, ED_CLI_FLAG_STR, &o->author_email},
        {"gpg-key-ring", 0, ED_CLI_FLAG_STR, &o->gpg_key_ring},
        {"gpg-key-id", 0, ED_CLI_FLAG_STR, &o->gpg_key_id},
        {"gpg-passphrase", 0, ED_CLI_FLAG_STR, &o->gpg_passphrase},
        {"commit-message-appendix", 0, ED_CLI_FLAG_STR, &o->message_appendix},
        {"components", 0, ED_CLI_FLAG_LIST, &o->components},
        {"components-extra", 0, ED_CLI_FLAG_LIST, &o->extra},
        {"registry", 0, ED_CLI_FLAG_STR, &o->shape.registry},
        {"network-policy", 0, ED_CLI_FLAG_BOOL, &o->shape.network_policy},
        {"image-pull-secret", 0, ED_CLI_FLAG_STR, &o->shape.pull_secret},
        {"registry-creds", 0, ED_CLI_FLAG_STR, &o->shape.registry_creds},
        {"log-level", 0, ED_CLI_FLAG_STR, &o->shape.log_level},
        {"watch-all-namespaces", 0, ED_CLI_FLAG_BOOL, &o->shape.watch_all_namespaces},
        {"cluster-domain", 0, ED_CLI_FLAG_STR, &o->shape.cluster_domain},
        {"toleration-keys", 0, ED_CLI_FLAG_LIST, &o->shape.toleration_keys},
        {"local-agent", 0, ED_CLI_FLAG_BOOL, &o->local_agent},
        {"local-agent-dir", 0, ED_CLI_FLAG_STR, &o->agent_dir},
        {"force", 0, ED_CLI_FLAG_BOOL, &o->force},
        {"ssh-key-algorithm", 0, ED_CLI_FLAG_STR, &o->key_algorithm},
        {"ssh-ecdsa-curve", 0, ED_CLI_FLAG_STR, &o->ecdsa_curve},
        {"ssh-rsa-bits", 0, ED_CLI_FLAG_STR, &o->rsa_bits_flag},
        {"ssh-hostname", 0, ED_CLI_FLAG_STR, &o->ssh_hostname},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &o->g, pos, &npos);
    if (!rc)
        rc = check_key_flags(o);
    if (!rc && (npos != 1 || strcmp(pos[0], "git") != 0)) {
        ed_cli_failure("eddy bootstrap supports one provider: git (eddy bootstrap git --url ...)");
        rc = 2;
    }
    free(pos);
    /* flux's bootstrapValidate first: the components it cannot do without (when --components
     * is given: eddy's default has them), then the names */
    static const char *const required[] = {"source-controller", "kustomize-controller"};
    for (size_t i = 0; !rc && o->components.n && i < sizeof(required) / sizeof(required[0]); i++) {
        bool found = false;
        for (int j = 0; j < o->components.n; j++)
            found |= strcmp(o->components.items[j], required[i]) == 0;
        for (int j = 0; j < o->extra.n; j++)
            found |= strcmp(o->extra.items[j], required[i]) == 0;
        if (!found) {
            ed_cli_failure("component %s is required", required[i]);
            rc = 2;
        }
    }
    if (!rc)
        rc = ed_cli_components_check(&o->components, &o->extra);
    if (!rc && !o->url) {
        ed_cli_failure("--url is required");
        rc = 2;
    }
    if (!rc && !(ed_str_has_prefix(o->url, "http://") || ed_str_has_prefix(o->url, "https://") ||
                 ed_str_has_prefix(o->url, "ssh://"))) {
        ed_cli_failure("--url '%s': the scheme must be http, https or ssh", o->url);
        rc = 2;
    }
    if (!rc && o->bearer && ed_str_has_prefix(o->url, "ssh://")) {
        ed_cli_failure("--with-bearer-token is for http(s) URLs");
        rc = 2;
    }
    if (!rc && o->token_auth && ed_str_has_prefix(o->url, "ssh://")) {
        ed_cli_failure("--token-auth is for http(s) URLs");
        rc = 2;
    }
    if (!rc)
        rc = ed_cli_install_shape_check(&o->shape);
    if (!rc)
        rc = check_gpg(o);
    return rc;
}

/*
 * flux's generation of the Secret's SSH data (sourcesecret.GenerateGit): without
 * --private-key-file a new key pair (--ssh-key-algorithm's), and, unless --known-hosts-file
 * gave them, the host keys scanned at the host the GitRepository reaches (--ssh-hostname, else
 * the URL's). Added to c; returns 0, or 1 after flux's error.
 */
static int ssh_secret(const struct boot_opts *o, struct creds *c)
{
    if (c->generate) {
        char *priv = NULL, *pub = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_source_ssh_keypair_new(o->key_algorithm, o->rsa_bits, o->ecdsa_curve, &priv, &pub,
                                      &err) != 0) {
            ed_cli_failure("key pair generation failed, error: %s", err.msg);
            return 1;
        }
        creds_add(c, "identity", priv);
        creds_add(c, "identity.pub", pub);
        c->generate = false; /* made once */
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, "known_hosts") == 0)
            return 0;
    struct url_parts u;
    url_split(o->sync_url, &u);
    char *kh = scan_host(u.hostport, "");
    url_parts_free(&u);
    if (!kh)
        return 1;
    creds_add(c, "known_hosts", kh);
    return 0;
}

/*
 * flux's source secret step: "determining if source secret ... exists"; a Secret that exists
 * is kept when the flags give nothing flux regenerates it for (only a bearer token: no key
 * pair, no CA, no username or password); otherwise it is generated, an SSH key's public half
 * shown ("✔ public key: ...", --silent or not) and, unless --silent, the user asked whether
 * the key was given access, then applied.
 */
static int reconcile_source_secret(ed_kube *kube, const struct boot_opts *o, struct creds *c)
{
    ed_cli_action("determining if source secret \"%s/%s\" exists", o->g.ns, o->secret_name);
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int got = ed_kube_get(kube, "v1", "Secret", o->g.ns, o->secret_name, &d, &err);
    int rc = 0;
    if (got && got != ED_ENOTFOUND) {
        ed_cli_failure("failed to determine if deploy key secret exists: %s", err.msg);
        rc = 1;
        goto out;
    }
    /* flux's test: a key file, a CA, a username or password; --known-hosts-file (eddy's)
     * alone does not make a new deploy key */
    bool custom = false;
    for (size_t i = 0; i < c->n; i++)
        custom |=
            strcmp(c->e[i].key, "bearerToken") != 0 && strcmp(c->e[i].key, "known_hosts") != 0;
    if (!got && !custom) {
        ed_cli_success("source secret up to date");
        goto out;
    }
    ed_cli_action("generating source secret");
    if (ed_str_has_prefix(o->url, "ssh://") && (rc = ssh_secret(o, c)) != 0)
        goto out;
    if (ed_str_has_prefix(o->url, "ssh://")) {
        for (size_t i = 0; i < c->n; i++)
            if (strcmp(c->e[i].key, "identity.pub") == 0) {
                size_t len = c->e[i].len;
                while (len && isspace((unsigned char)c->e[i].value[len - 1]))
                    len--;
                ed_cli_success("public key: %.*s", (int)len, c->e[i].value);
            }
        if (!o->silent && !ed_cli_confirm("Please give the key access to your repository")) {
            ed_cli_failure("aborting");
            rc = 1;
            goto out;
        }
    }
    ed_cli_action("applying source secret \"%s/%s\"", o->g.ns, o->secret_name);
    if ((rc = apply_secret(kube, o, c, got ? NULL : ed_doc_root(d))) == 0)
        ed_cli_success("reconciled source secret");
out:
    ed_doc_free(d);
    return rc;
}

/* flux's "./a" for "a", "./a/" and "./a"; "./" for the root. A new string. */
static char *sync_path(const char *p)
{
    size_t n = strlen(p);
    if (n > 2 && p[n - 1] == '/')
        n--;
    if (ed_str_has_prefix(p, "./")) {
        p += 2;
        n -= 2;
    }
    return ed_xasprintf("./%.*s", (int)n, p);
}

/* flux's refusal to move an existing flux-system Kustomization to another --path. */
static int check_sync_path(ed_kube *kube, const struct boot_opts *o)
{
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int got = ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", o->g.ns, o->g.ns,
                          &d, &err);
    if (got == ED_ENOTFOUND)
        return 0;
    if (got) {
        ed_cli_failure("failed to determine if sync configuration would overwrite existing "
                       "Kustomization: %s",
                       err.msg);
        return 1;
    }
    const char *cur = ed_node_path_str(ed_doc_root(d), "/spec/path");
    char *a = sync_path(o->path), *b = sync_path(cur ? cur : "");
    int rc = 0;
    if (strcmp(a, b) != 0) {
        ed_cli_failure("sync path configuration (\"%s\") would overwrite path (\"%s\") of existing "
                       "Kustomization",
                       o->path, cur ? cur : "");
        rc = 1;
    }
    free(a);
    free(b);
    ed_doc_free(d);
    return rc;
}

/*
 * flux's install: the flux-system directory's kustomization.yaml at head when the branch has
 * one (a re-bootstrap: the components with a user's patches, and the sync manifests), else
 * gotk-components.yaml alone; staged, with --registry-creds' Secret before the Deployment.
 */
static int install_components(const struct boot_opts *o, ed_kube *kube, ed_source_cache *cache,
                              const char *head, const char *scratch, const char *dir,
                              const ed_buf *components)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    int rc = build_flux_dir(cache, o, head, scratch, dir, &docs, &n);
    if (!rc && !docs &&
        ed_doc_parse_yaml(components->data, components->len, "gotk-components.yaml", &docs, &n,
                          &err) != 0) {
        ed_cli_failure("%s", err.msg);
        rc = 1;
    }
    if (!rc)
        rc = apply_staged(kube, o, &o->shape, docs, n);
    ed_doc_list_free(docs, n);
    return rc;
}

/*
 * flux's confirmation, unless --force: when the GitRepository CRD says another tool installed
 * it (an app.kubernetes.io/managed-by label other than "flux"), flux names the tool and asks
 * before overriding it; no answer (stdin closed, not a terminal) cancels. Returns 0 to go on,
 * or 1 after the error.
 */
static int confirm_override(ed_kube *kube, const struct boot_opts *o)
{
    if (o->force)
        return 0;
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int got = ed_kube_get(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
                          "gitrepositories.source.toolkit.fluxcd.io", &d, &err);
    int rc = 0;
    if (got && got != ED_ENOTFOUND) {
        ed_cli_failure("cluster info unavailable: %s", err.msg);
        rc = 1;
    } else if (!got) {
        const ed_node *labels = ed_node_path(ed_doc_root(d), "/metadata/labels");
        const char *manager = ed_node_str(ed_node_get(labels, "app.kubernetes.io/managed-by"));
        const char *version = ed_node_str(ed_node_get(labels, "app.kubernetes.io/version"));
        if (manager && *manager && strcmp(manager, "flux") != 0) {
            fprintf(stderr, "Flux %s has been installed on this cluster with %s!\n",
                    version ? version : "", manager);
            char *q =
                ed_xasprintf("Are you sure you want to override the %s installation? Y/N", manager);
            if (!ed_cli_confirm(q)) {
                ed_cli_failure("bootstrap cancelled");
                rc = 1;
            }
            free(q);
        }
    }
    ed_doc_free(d);
    return rc;
}

/*
 * flux's bootstrap, step by step, with its lines on stderr: clone; the components generated,
 * committed and pushed ("Add Flux <version> component manifests"), installed unless the
 * flux-system Kustomization applied a revision already; the source secret; the sync manifests
 * generated, committed and pushed ("Add Flux sync manifests"), applied; then the GitRepository,
 * the Kustomization and the components awaited. eddy's own step: --local-agent's agent,
 * started where flux's components would come up.
 */
static int bootstrap(struct boot_opts *o, struct creds *c, const char *path)
{
    ed_buf components = ED_BUF_INIT((size_t)64 << 20), sync = ED_BUF_INIT(1 << 20);
    ed_buf kust = ED_BUF_INIT(1 << 20);
    ed_buf errs = ED_BUF_INIT(1 << 16);
    ed_doc **docs = NULL;
    size_t ndocs = 0;
    char *dir = path[0] ? ed_xasprintf("%s/%s", path, o->g.ns) : ed_xstrdup(o->g.ns);
    char *f_comp = ed_xasprintf("%s/gotk-components.yaml", dir);
    char *f_sync = ed_xasprintf("%s/gotk-sync.yaml", dir);
    char *f_ks = ed_xasprintf("%s/kustomization.yaml", dir);
    char *version = release_version();
    char *subject = ed_xasprintf("Add Flux %s component manifests", version);
    ed_kube *kube = NULL;
    ed_source_cache *cache = NULL;
    char head[41] = "", tmpl[PATH_MAX] = "";
    ed_err err = ED_ERR_INIT;
    int rc = 1;
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpl, sizeof(tmpl), "%s/eddy-bootstrap-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        ed_cli_failure("failed to create temporary working dir: %s", strerror(errno));
        tmpl[0] = '\0';
        goto out;
    }
    if (ed_source_cache_open(&cache, tmpl, &err) != 0) {
        ed_cli_failure("failed to create a Git client: %s", err.msg);
        goto out;
    }
    if (!(kube = ed_cli_connect(&o->g)) || confirm_override(kube, o) != 0 ||
        clone_branch(o, c, cache) != 0)
        goto out;

    ed_cli_action("generating component manifests");
    if ((rc = ed_cli_install_render(o->g.ns, &o->shape, &o->components, &o->extra, &components)) !=
        0)
        goto out;
    ed_cli_success("generated component manifests");
    const ed_source_file comp_files[] = {{f_comp, components.data, components.len, false}};
    if ((rc = commit_files(o, c, cache, comp_files, 1, subject, "component manifests",
                           "failed to push manifests", head)) != 0)
        goto out;
    if (must_install(kube, o->g.ns)) {
        ed_cli_action("installing components in \"%s\" namespace", o->g.ns);
        if ((rc = install_components(o, kube, cache, head, tmpl, dir, &components)) != 0)
            goto out;
        ed_cli_success("installed components");
    } else if ((rc = ed_cli_install_apply_pull_secret(kube, o->g.ns, &o->shape)) != 0) {
        goto out;
    }
    if (o->shape.registry_creds && *o->shape.registry_creds)
        ed_cli_success("reconciled image pull secret %s", o->shape.pull_secret);
    if (o->local_agent && (rc = start_local_agent(o, kube)) != 0)
        goto out;
    ed_cli_success("reconciled components");

    /* eddy's: without credentials (a repository open to read), no Secret and no secretRef */
    bool secret = c->n > 0 || c->generate;
    if (secret && (rc = reconcile_source_secret(kube, o, c)) != 0)
        goto out;

    if ((rc = check_sync_path(kube, o)) != 0)
        goto out;
    ed_cli_action("generating sync manifests");
    if ((rc = render_sync(o, path, secret, &sync)) != 0)
        goto out;
    if ((rc = sync_kustomization(cache, o, head, tmpl, dir, &sync, &kust)) != 0)
        goto out;
    ed_cli_success("generated sync manifests");
    const ed_source_file sync_files[] = {
        {f_sync, sync.data, sync.len, false},
        {f_ks, kust.data, kust.len, true},
    };
    if ((rc = commit_files(o, c, cache, sync_files, 2, "Add Flux sync manifests", "sync manifests",
                           "failed to push sync manifests", head)) != 0)
        goto out;
    /* flux applies the directory's kustomization.yaml: the components again, with the sync
     * manifests and a user's patches */
    ed_cli_action("applying sync manifests");
    if ((rc = build_flux_dir(cache, o, head, tmpl, dir, &docs, &ndocs)) != 0)
        goto out;
    const ed_cli_install_shape no_pull_secret = {.registry_creds = NULL};
    if ((rc = apply_staged(kube, o, &no_pull_secret, docs, ndocs)) != 0)
        goto out;
    ed_cli_success("reconciled sync configuration");

    /* flux checks all three, then fails with every failure */
    const struct sync_kind repo = {&ed_cli_gitrepository, "/status/artifact/revision"};
    const struct sync_kind ks = {&ed_cli_kustomization, "/status/lastAttemptedRevision"};
    int failed = wait_reconciled(kube, o, &repo, head, &errs);
    failed += wait_reconciled(kube, o, &ks, head, &errs);
    failed += confirm_components(kube, o, &errs);
    if (failed)
        ed_cli_failure("bootstrap failed with %d health check failure(s): %s%.*s%s", failed,
                       failed > 1 ? "[" : "", (int)errs.len, errs.data, failed > 1 ? "]" : "");
    rc = failed ? 1 : 0;
out:
    ed_doc_list_free(docs, ndocs);
    ed_kube_free(kube);
    ed_source_cache_free(cache);
    if (tmpl[0])
        ed_path_remove_tree(tmpl);
    ed_buf_free(&components);
    ed_buf_free(&sync);
    ed_buf_free(&kust);
    ed_buf_free(&errs);
    free(dir);
    free(f_comp);
    free(f_sync);
    free(f_ks);
    free(version);
    free(subject);
    return rc;
}

/*
 * flux's question for the password when --token-auth (or --with-bearer-token) gives none:
 * "Please enter your Git repository password: " on stdout, the answer read without echo from
 * a terminal, else one line of stdin. Returns the answer (a new string), or NULL after flux's
 * error.
 */
static char *ask_password(void)
{
    fputs("Please enter your Git repository password: ", stdout);
    fflush(stdout);
    struct termios was, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &was) == 0;
    if (tty) {
        quiet = was;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char line[4096];
    bool got = fgets(line, sizeof(line), stdin) != NULL;
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &was);
    if (!got) {
        ed_cli_failure("could not read token: could not read from stdin: EOF");
        return NULL;
    }
    putchar('\n');
    line[strcspn(line, "\r\n")] = '\0';
    char *answer = ed_xstrdup(line);
    memset(line, 0, sizeof(line)); /* the password does not linger on the stack */
    return answer;
}

/* flux's sources of the password, after the flags: GIT_PASSWORD when --password is not given,
 * then, with --token-auth or --with-bearer-token, the question. Returns 0, or 1 after the
 * error. */
static int find_password(struct boot_opts *o)
{
    const char *env = getenv("GIT_PASSWORD");
    if ((!o->password || !*o->password) && env && *env)
        o->password = env;
    if ((o->token_auth || o->bearer) && (!o->password || !*o->password)) {
        if (!(o->password_read = ask_password()))
            return 1;
        o->password = o->password_read;
    }
    return 0;
}

int ed_cli_bootstrap(int argc, char **argv)
{
    struct boot_opts o = {.g = ED_CLI_GLOBAL_INIT,
                          .branch = "main",
                          .path = "",
                          .interval_ms = 60000,
                          .secret_name = "flux-system",
                          .key_algorithm = "ecdsa",
                          .ecdsa_curve = "p384",
                          .rsa_bits_flag = "2048",
                          .rsa_bits = 2048,
                          .author_name = "Flux",
                          .author_email = "flux@eddy.invalid",
                          .shape = ED_CLI_INSTALL_SHAPE_INIT};
    int rc = parse_boot(&o, argc, argv);
    if (rc)
        return rc;
    char *path = clean_path(o.path);
    if (!path)
        return 2;
    /* flux's getAuthOpts, after its flags' own checks (--path's too): credentials and
     * manifests over plain http only when asked for */
    if (ed_str_has_prefix(o.url, "http://") && !o.insecure_http) {
        ed_cli_failure("scheme http is insecure, pass --allow-insecure-http=true to allow it");
        free(path);
        return 1;
    }
    struct creds c = {0};
    o.sync_url = sync_url_of(&o);
    o.shown_url = shown_url_of(o.url);
    rc = find_password(&o);
    if (!rc)
        rc = collect_creds(&o, &c);
    if (!rc)
        rc = client_creds(&o, &c);
    if (!rc)
        rc = bootstrap(&o, &c, path);
    creds_free(&c);
    free(o.sync_url);
    free(o.shown_url);
    free(path);
    if (o.password_read) {
        memset(o.password_read, 0, strlen(o.password_read));
        free(o.password_read);
    }
    return rc;
}
