/*
 * Private to the cli module: the verbs implemented in the files of the folder, and what they
 * share (common.c): the Flux kinds and how flux names them on the command line, flag parsing
 * with flux's global flags, flux's progress lines, aligned tables and the waits on a
 * controller's Ready condition.
 */
#ifndef ED_CLI_INT_H
#define ED_CLI_INT_H

#include "../base/base.h"
#include "../doc/doc.h"
#include "../controllers/controllers.h"
#include "../kube/kube.h"

#include <stdio.h>
#include <time.h>

#ifndef ED_VERSION
#define ED_VERSION "0.0.0-unknown"
#endif
#define ED_CLI_VERSION ED_VERSION

/* ---- verbs ---- */

/* `eddy controller [flags]`: the agent process (controller.c). Each returns the exit status. */
int ed_cli_controller(int argc, char **argv);
/* get.c: get, stats */
int ed_cli_get(int argc, char **argv);
int ed_cli_stats(int argc, char **argv);
/* flux.c: suspend, resume, reconcile */
int ed_cli_suspend(int argc, char **argv);
int ed_cli_resume(int argc, char **argv);
int ed_cli_reconcile(int argc, char **argv);
/* create.c: create, delete, export */
int ed_cli_create(int argc, char **argv);
int ed_cli_delete(int argc, char **argv);
int ed_cli_export(int argc, char **argv);
/* trustpolicy.c: flux's check of create secret notation's --trust-policy-file (file, its path,
 * in the messages): 0, or 2 with flux's error in *error (freed by the caller). */
int ed_cli_trust_policy_check(const char *data, size_t len, const char *file, char **error);
/* install.c: install, uninstall, check, version */
int ed_cli_version(int argc, char **argv);
int ed_cli_install(int argc, char **argv);
int ed_cli_uninstall(int argc, char **argv);
int ed_cli_check(int argc, char **argv);
/* events.c: events, tree, trace */
int ed_cli_events(int argc, char **argv);
/* seconds as Kubernetes' duration.HumanDuration prints an age (45s, 3m12s, 25m, 5h12m, 20h,
 * 3d4h, 12d, 2y30d, 9y; "0s" just ahead, "<invalid>" further in the future), into out. */
void ed_cli_human_duration(int64_t seconds, char *out, size_t cap);
int ed_cli_trace(int argc, char **argv);
int ed_cli_tree(int argc, char **argv);
/* logs.c: the agent's log */
int ed_cli_logs(int argc, char **argv);

/* Which log entries `eddy logs` shows. */
typedef struct ed_cli_log_filter {
    const char *ns;      /* the objects' namespace (-n), unless all_namespaces */
    bool all_namespaces; /* -A: every entry, the agent's own too */
    const char *kind;    /* --kind, any case */
    const char *name;    /* --name */
    const char *level;   /* --level: debug, info or error */
    time_t since;        /* entries from this time on (0: all) */
} ed_cli_log_filter;

/* One line of the agent's log as `eddy logs` prints it ("<ts> <level> <Kind>/<name>.<ns> -
 * <msg>[: <error>]\n"), appended to out. Returns 1 when the filter keeps it, 0 when not (out
 * unchanged). */
int ed_cli_log_format(const char *line, size_t len, const ed_cli_log_filter *f, ed_buf *out);

/* diff.c: build and diff of a Kustomization's local directory */
int ed_cli_build(int argc, char **argv);
int ed_cli_diff(int argc, char **argv);
/* debug.c: debug kustomization, envsubst */
int ed_cli_debug(int argc, char **argv);
int ed_cli_envsubst(int argc, char **argv);
int ed_cli_push(int argc, char **argv);
/* artifact.c: the OCI artifact verbs (push above; diff artifact is reached from ed_cli_diff). */
int ed_cli_pull(int argc, char **argv);
int ed_cli_list_artifacts(int argc, char **argv);
int ed_cli_tag(int argc, char **argv);
int ed_cli_diff_artifact(int argc, char **argv);
/* migrate.c: flux migrate, in cluster and file-system (-f) mode */
int ed_cli_migrate(int argc, char **argv);

/* The latest API version of a Flux kind, as flux migrate's table gives it for a Flux minor
 * version. */
typedef struct ed_cli_api_latest {
    const char *group;   /* "kustomize.toolkit.fluxcd.io" */
    const char *kind;    /* "Kustomization" */
    const char *version; /* "v1" */
} ed_cli_api_latest;

/* The table of flux_version ("2.9", ..., "2.6"; NULL or "" for the newest), ending with an
 * entry whose kind is NULL; NULL for a version flux migrate does not support. Static. */
const ed_cli_api_latest *ed_cli_migrate_latest(const char *flux_version);

/* One apiVersion line to upgrade in a manifest. */
typedef struct ed_cli_migrate_upgrade {
    size_t line;             /* 0-based */
    char *kind;              /* owned */
    char *old_version;       /* owned: "v1beta2" */
    const char *new_version; /* the table's */
} ed_cli_migrate_upgrade;

typedef struct ed_cli_migrate_upgrades {
    ed_cli_migrate_upgrade *items; /* in line order */
    size_t n;
} ed_cli_migrate_upgrades;

/*
 * The upgrades of text (len bytes) as flux migrate -f finds them, line by line without parsing
 * the YAML: a line holding "apiVersion: G/V" whose next line holds "kind: K" (each value
 * trimmed and cut at its first space), K of group G having a version other than V in latest.
 * An apiVersion with two '/' or more is appended to warnings as "<file>:<line>: unexpected
 * GroupVersion string: <value>\n". *out is the caller's (ed_cli_migrate_upgrades_free).
 */
void ed_cli_migrate_detect(const char *file, const char *text, size_t len,
                           const ed_cli_api_latest *latest, ed_cli_migrate_upgrades *out,
                           ed_buf *warnings);
/* text with each upgrade's line changed as flux changes it (the first occurrence of the old
 * version replaced by the new one), every other byte kept, appended to out. Returns 0, or
 * ED_ETOOBIG when out's cap is reached. */
int ed_cli_migrate_rewrite(const char *text, size_t len, const ed_cli_migrate_upgrades *u,
                           ed_buf *out);
void ed_cli_migrate_upgrades_free(ed_cli_migrate_upgrades *u);
/* completion.c */
int ed_cli_completion(int argc, char **argv);
/* `eddy kustomize build DIR` (kustomize.c). */
int ed_cli_kustomize(int argc, char **argv);

/* The name of verb i (and its one-line summary in *summary when not NULL), or NULL past the
 * last: for completion (cli.c). */
const char *ed_cli_verb_at(size_t i, const char **summary);
/* The help text of the verb named name (what `eddy help VERB` prints), or NULL. Static. */
const char *ed_cli_verb_usage(const char *name);

/* ---- the manifests embedded in the binary (generated from deploy/ by scripts/embed-files) ---- */

typedef struct ed_cli_manifest {
    const char *path; /* "deploy/crds/source.toolkit.fluxcd.io_gitrepositories.yaml" */
    const char *data; /* the file's bytes, NUL-terminated */
    size_t len;
} ed_cli_manifest;

/* Every embedded file, ending with an entry whose path is NULL. */
extern const ed_cli_manifest ed_cli_manifests[];

/* ---- the Flux kinds ---- */

typedef struct ed_cli_kind {
    const char *api_version; /* "source.toolkit.fluxcd.io/v1" */
    const char *kind;        /* "GitRepository" */
    const char *label;       /* how flux names it in messages: "source git" */
    const char *crd;         /* "gitrepositories.source.toolkit.fluxcd.io" */
    const char *component;   /* the Flux controller serving it: "source-controller" */
    bool has_suspend;        /* spec.suspend exists */
} ed_cli_kind;

extern const ed_cli_kind ed_cli_gitrepository, ed_cli_ocirepository, ed_cli_kustomization,
    ed_cli_imagerepository, ed_cli_imagepolicy, ed_cli_imageupdate;
/* The six kinds, in flux's order, NULL-terminated. */
extern const ed_cli_kind *const ed_cli_kinds[];

/*
 * The kind named by the words at the start of pos ("source git", "sources git", "kustomization",
 * "ks", "image repository", "images policy", "image update", ...): returns it and sets *used to
 * the number of words; NULL when the words name no kind.
 */
const ed_cli_kind *ed_cli_kind_parse(char **pos, int npos, int *used);
/* The kind of a Kind name ("GitRepository", case-insensitive), or NULL. */
const ed_cli_kind *ed_cli_kind_by_name(const char *kind);

/* ---- flags ---- */

typedef enum {
    ED_CLI_FLAG_BOOL,     /* bool *: --x, --x=true, --x=false */
    ED_CLI_FLAG_STR,      /* const char **: --x V, --x=V */
    ED_CLI_FLAG_DURATION, /* int64_t * milliseconds: 1m30s */
    ED_CLI_FLAG_LIST,     /* ed_cli_list *: comma-separated, repeatable, empty items dropped */
    /* ed_cli_list *: pflag's StringSlice: comma-separated, repeatable, empty items kept
     * ("a," is "a" and ""), an empty value adding none */
    ED_CLI_FLAG_SLICE,
    /* ed_cli_list * of "KEY=VALUE" items: pflag's StringToString (a value with one '=' is one
     * pair, its '"' trimmed at both ends; with more, a CSV record of pairs, as Go's
     * encoding/csv reads it); a key given again is kept once, with its last value */
    ED_CLI_FLAG_MAP,
} ed_cli_flag_type;

typedef struct ed_cli_list {
    const char *items[64];
    int n;
    bool given; /* the flag was on the command line (an empty value too) */
} ed_cli_list;

typedef struct ed_cli_flag {
    const char *name; /* long name without "--" */
    char shorthand;   /* 'n' for -n, or 0 */
    ed_cli_flag_type type;
    void *dst;
} ed_cli_flag;

/* flux's global flags, on every verb. */
typedef struct ed_cli_global {
    const char *ns;         /* -n/--namespace, default flux-system */
    const char *kubeconfig; /* --kubeconfig */
    const char *context;    /* --context */
    int64_t timeout_ms;     /* --timeout, default 5m */
    bool verbose;           /* --verbose */
    bool timeout_set;       /* --timeout was given (timeout_ms is the default otherwise) */
    /* kubectl's connection flags that flux has too, over the kubeconfig's values: */
    const char *as;              /* --as: the user to impersonate */
    ed_cli_list as_groups;       /* --as-group (repeatable), with --as */
    const char *server;          /* --server: the API server's address */
    const char *token;           /* --token: a bearer token */
    const char *cluster;         /* --cluster: the kubeconfig cluster instead of the context's */
    const char *user;            /* --user: the kubeconfig user instead of the context's */
    const char *ca_file;         /* --certificate-authority: the API server's CA (a file) */
    bool insecure;               /* --insecure-skip-tls-verify */
    const char *tls_server_name; /* --tls-server-name */
    const char *client_cert;     /* --client-certificate (a file) */
    const char *client_key;      /* --client-key (a file) */
    const char *as_uid;          /* --as-uid: refused, eddy cannot impersonate a UID */
    const char *cache_dir;       /* --cache-dir: accepted, eddy keeps no discovery cache */
    bool disable_compression;    /* --disable-compression: accepted; eddy asks for none */
    const char *qps;             /* --kube-api-qps: the client's rate limit (default 50) */
    const char *burst;           /* --kube-api-burst (default 300) */
} ed_cli_global;

#define ED_CLI_GLOBAL_INIT                                                                         \
    {                                                                                              \
        .ns = "flux-system", .timeout_ms = 300000                                                  \
    }

/*
 * Parse argv[1..argc) (argv[0] is the verb) with the global flags and the verb's flags
 * (terminated by an entry with a NULL name). Arguments that are not flags are collected in
 * pos (which has room for argc entries), their number in *npos. As in flux, -n defaults to
 * $FLUX_SYSTEM_NAMESPACE when that is a valid name, and a namespace that is not a DNS label is
 * refused. Returns 0, or 2 after printing flux's message for an unknown flag or a malformed
 * value.
 */
int ed_cli_parse(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g, char **pos,
                 int *npos);
/* ed_cli_parse for a verb that takes no argument but flags: 2, with flux's message, when
 * one is given. */
int ed_cli_parse_flags(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g);
/* s as Go's %q quotes it (pflag's "invalid argument %q for ..."). The caller frees it. */
char *ed_cli_quoted(const char *s);
/* "✗ invalid argument <value as %q> for "<flag>" flag: <why>" on stderr, pflag's words for a
 * value its Set refused (flag as pflag names it: "--source", "-A, --all-namespaces"). */
void ed_cli_invalid_argument(const char *value, const char *flag, const char *why_fmt, ...)
    ED_PRINTF(3, 4);
/* ed_cli_parse_flags for a verb that takes no argument (argv[0] is the verb), one refused as
 * cobra's NoArgs refuses it in flux: `unknown command "X" for "eddy VERB"`. */
int ed_cli_parse_noargs(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g);
/* Free what parsing allocated (the lists' copies); called once by ed_cli_main. */
void ed_cli_parse_cleanup(void);

/* ---- output: flux's progress lines ---- */

void ed_cli_action(const char *fmt, ...) ED_PRINTF(1, 2);   /* "► ..." on stderr */
void ed_cli_generate(const char *fmt, ...) ED_PRINTF(1, 2); /* "✚ ..." on stderr */
void ed_cli_waiting(const char *fmt, ...) ED_PRINTF(1, 2);  /* "◎ ..." on stderr */
void ed_cli_success(const char *fmt, ...) ED_PRINTF(1, 2);  /* "✔ ..." on stderr */
void ed_cli_failure(const char *fmt, ...) ED_PRINTF(1, 2);  /* "✗ ..." on stderr */
void ed_cli_warning(const char *fmt, ...) ED_PRINTF(1, 2);  /* "⚠️ ..." on stderr */

/* The bytes of the file a flag names (--flag path), NUL-terminated, at most 1 MiB; *len (may
 * be NULL) gets their number. The caller frees them. NULL after a failure message naming the
 * flag and the file: it cannot be read, or it is larger. */
char *ed_cli_read_flag_file(const char *flag, const char *path, size_t *len);

/* A table printed as flux prints them (its table writer, tablewriter 0.0.5, with no borders
 * and a tab as padding): every cell padded to its column's width and followed by a tab, the
 * last cell of the header by a space instead. Cells are copied. */
typedef struct ed_cli_table ed_cli_table;
ed_cli_table *ed_cli_table_new(int ncols);
/* Append a row of ncols cells (NULL prints as ""). */
void ed_cli_table_row(ed_cli_table *t, const char *const *cells);
/* The same for the header: row 0, before any other row. */
void ed_cli_table_head(ed_cli_table *t, const char *const *cells);
size_t ed_cli_table_rows(const ed_cli_table *t);
/* Print the rows from first_row on (1 leaves the header out); the skip_cols first columns
 * are left out. As flux, the widths are those of the rows printed. */
void ed_cli_table_print(const ed_cli_table *t, FILE *out, size_t first_row, int skip_cols);
void ed_cli_table_free(ed_cli_table *t);

/* ---- the cluster ---- */

/* Whether the server serves kind k (a verb asks before its first request, as flux's client
 * maps the kind first). Returns 0; or ED_ENOTFOUND with controller-runtime's words in err, as
 * flux prints them: "unable to retrieve the complete list of server APIs: G/V: no matches for
 * G/V, Resource=" when the group-version is not served (no Flux CRDs), `no matches for kind "K"
 * in version "G/V"` when it is but lacks the kind; or another API error. */
int ed_cli_kind_served(ed_kube *kube, const ed_cli_kind *k, ed_err *err);
/* ed_cli_kind_served for a verb that stops when k is not served: 0, or 1 after printing
 * flux's error. */
int ed_cli_require_kind(ed_kube *kube, const ed_cli_kind *k);

/* Print an API error ("✗ <message>") with what to do next when the code suggests it: the
 * cluster unreachable, the credentials refused, the permission missing. */
void ed_cli_api_failure(const ed_err *err);

/* The configuration of the global flags' kubeconfig and context, with kubectl's overrides
 * (--cluster, --user, --certificate-authority, --insecure-skip-tls-verify, --tls-server-name,
 * --client-certificate, --client-key, --server, --token, --as and --as-group, --kube-api-qps
 * and --kube-api-burst) over the kubeconfig's values, and requests capped at --timeout. When
 * nothing chooses a cluster (no kubeconfig, no context, not in a cluster), client-go's default
 * server, as flux's client has it: $KUBERNETES_MASTER, else http://localhost:8080.
 * Returns 0 with *out new (ed_kube_config_free), or the error in err. */
int ed_cli_load_config(const ed_cli_global *g, ed_kube_config **out, ed_err *err);
/* A client for ed_cli_load_config's configuration; NULL after printing the error. */
ed_kube *ed_cli_connect(const ed_cli_global *g);
/* ed_cli_connect for the verbs whose flux counterpart reads the configuration with its
 * utils.KubeConfig (logs, check): a configuration that does not load (rest_config true) is
 * said as "kubernetes configuration load failed: ...". */
ed_kube *ed_cli_connect_rest(const ed_cli_global *g, bool rest_config);
/* The field `field` ("/status", "/message", "/reason") of condition `type`, or NULL. */
const char *ed_cli_cond(const ed_node *obj, const char *type, const char *field);
/* A string field of the status that says where the object stands for flux's REVISION-like
 * column and success lines (a GitRepository's artifact revision, ...); "" when absent. */
const char *ed_cli_revision(const ed_cli_kind *k, const ed_node *obj);
/*
 * s with every hexadecimal word of 40 to 128 lowercase digits (a SHA-1 to SHA-512: a commit,
 * a digest) cut to its first 8, as flux's tables show revisions and messages
 * ("main@sha1:1a2b3c4d"). A word is a run of letters, digits and '_' (Go's \b); a longer or
 * mixed word stays whole. Returns a new string.
 */
char *ed_cli_truncate_hex(const char *s);
/* An RFC3339 timestamp with nanoseconds, the value flux writes in requestedAt. */
void ed_cli_now_token(char *out, size_t cap);
/*
 * Wait until obj ns/name has a Ready condition the controller set for the current generation
 * (and, when token is not NULL, status.lastHandledReconcileAt == token), polling every
 * 500 ms until timeout_ms. Prints flux's lines: "◎ waiting for <Kind> reconciliation" first
 * (unless quiet_start), then "✔ <Kind> <name> reconciliation completed" and the kind's result
 * line, or "✗ ..." with the Ready message. Returns 0 when Ready is True, 1 otherwise.
 */
int ed_cli_wait_ready(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                      const char *token, int64_t timeout_ms);
/* ed_cli_wait_ready after flux reconcile: the same wait, without the "reconciliation
 * completed" line, and "✗ <Kind> reconciliation failed: '<message>'", as flux reconcile says. */
int ed_cli_wait_reconciled(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                           const char *token, int64_t timeout_ms);
/* ed_cli_wait_ready after flux create, with its success lines: "✔ GitRepository source
 * reconciliation completed" and "✔ fetched revision: <rev>" (1 without an artifact), "✔
 * Kustomization <name> is ready" and "✔ applied revision <rev>", "✔ <Kind> reconciliation
 * completed" and the kind's result line. */
int ed_cli_wait_created(ed_kube *kube, const ed_cli_kind *k, const char *ns, const char *name,
                        int64_t timeout_ms);
/*
 * Where obj stands: 1 Ready, -1 failed, 0 still in progress. After a requested reconcile
 * (token), the controller's answer is final once it echoed the token: Ready True or not.
 * Otherwise (a new object), kstatus's rule: Ready False while Reconciling is True (a retry) is
 * still in progress, and the condition counts only for the current generation.
 */
int ed_cli_ready_state(const ed_node *obj, const char *token);
/* Ask stdin "question [y/N]"; true on y/yes. */
bool ed_cli_confirm(const char *question);

/* ---- build and diff (diff.c) ---- */

/*
 * build/diff --recursive: the local directory of the Flux Kustomization ks (a document's
 * root): its source as flux keys it (Kind/namespace/name, the namespace defaulting to the
 * Kustomization's; Kind/name without either) looked up in local_sources ("KEY=DIR" entries of
 * --local-sources), joined with its spec.path. Returns a new string, or NULL with err set:
 * ED_ENOTFOUND (flux's "cannot get local path for KEY of kustomization NAME"), ED_EINVALID
 * (a spec.path whose ".." climbs out of DIR).
 */
char *ed_cli_local_source_dir(const ed_cli_list *local_sources, const ed_node *ks, ed_err *err);

/* ---- install and bootstrap ---- */

/* install --version: true for this eddy's own version ("0.1.0", "v0.1.0", its build metadata
 * left out), "latest" or empty (the default); eddy installs the manifests it embeds. */
bool ed_cli_install_version_ok(const char *version);
/* install --cluster-domain: true for a DNS name (dot-separated labels of lowercase letters,
 * digits and inner '-', 63 characters each, 253 in all). */
bool ed_cli_dns_name(const char *s);

/* install's flags that shape the manifests, which bootstrap takes too (with install's
 * defaults: ED_CLI_INSTALL_SHAPE_INIT). */
typedef struct ed_cli_install_shape {
    const char *registry;        /* --registry: the image's */
    const char *pull_secret;     /* --image-pull-secret, or NULL */
    const char *log_level;       /* --log-level: the agent's (debug, info, error) */
    bool watch_all_namespaces;   /* --watch-all-namespaces */
    bool network_policy;         /* --network-policy: Flux's NetworkPolicies */
    const char *cluster_domain;  /* --cluster-domain: in the artifact server's address */
    ed_cli_list toleration_keys; /* --toleration-keys: a toleration (Exists) per key */
    /* --registry-creds user:password, or NULL/"": not in the manifests, a dockerconfigjson
     * Secret named pull_secret applied beside them (before the Deployment) */
    const char *registry_creds;
} ed_cli_install_shape;

#define ED_CLI_INSTALL_SHAPE_INIT                                                                  \
    {                                                                                              \
        .registry = "ghcr.io/eddy-gitops", .log_level = "info", .watch_all_namespaces = true,      \
        .network_policy = true, .cluster_domain = "cluster.local"                                  \
    }

/* flux's checks of those flags, with its words (--registry-creds needs --image-pull-secret
 * and one colon). Returns 0, or 1 (2 for --log-level) after printing the error. */
int ed_cli_install_shape_check(const ed_cli_install_shape *shape);

/*
 * What bootstrap shares with install (install.c): the manifests `eddy install` applies in
 * namespace ns, shaped by shape, for components (flux's names; NULL or empty for install's
 * default: all four the agent serves) and extra, appended to out as a YAML stream in apply
 * order after a header naming the version and components (gotk-components.yaml). Returns 0,
 * or 1 (2 for an unknown component) after printing the error.
 */
int ed_cli_install_render(const char *ns, const ed_cli_install_shape *shape,
                          const ed_cli_list *components, const ed_cli_list *extra, ed_buf *out);
/* flux's ValidateComponents: 0 when every name in components and extra (either may be NULL)
 * is a Flux component (served by eddy or not), else 2 after "component X is not available". */
int ed_cli_components_check(const ed_cli_list *components, const ed_cli_list *extra);
/* Apply the stream yaml (gotk-components.yaml: ed_cli_install_render's) in order, as install
 * applies its manifests: with shape->registry_creds, the pull Secret (never in yaml, its data
 * never printed) just before the Deployment. With print, install's lines (ed_cli_apply's);
 * bootstrap prints none. Returns 0, or 1 after printing the error. */
int ed_cli_install_apply(ed_kube *kube, const char *ns, const ed_cli_install_shape *shape,
                         const ed_buf *yaml, bool print);
/* ed_cli_install_apply for objects already parsed (docs, n of them, borrowed; what bootstrap
 * builds from the flux-system directory's kustomization.yaml), in their order. */
int ed_cli_install_apply_docs(ed_kube *kube, const char *ns, const ed_cli_install_shape *shape,
                              ed_doc *const *docs, size_t n, bool print);
/* With shape->registry_creds, apply its dockerconfigjson Secret alone, printing nothing (what
 * bootstrap reconciles when it installs no components). Returns 0, or 1 after the error. */
int ed_cli_install_apply_pull_secret(ed_kube *kube, const char *ns,
                                     const ed_cli_install_shape *shape);
/* Server-side apply obj (field manager flux); with print, "Kind/ns/name created|configured|
 * unchanged" on stdout as flux install prints it. Returns 0, or 1 after printing the error. */
int ed_cli_apply(ed_kube *kube, const ed_node *obj, bool print);
/* Wait until the agent's Deployment "eddy" in ns is rolled out. Returns 0, or 1 after
 * printing why. */
int ed_cli_install_wait(ed_kube *kube, const char *ns, int64_t timeout_ms);
/* kustomize's remote targets for a build on this machine (`kustomize build`, `build`,
 * `diff`): a Git cache in a scratch directory below $TMPDIR (or /tmp), file:// repositories
 * allowed, as kubectl kustomize allows them. ed_cli_remote_close removes the directory. */
typedef struct ed_cli_remote {
    ed_ks_remote_source src;
    char *dir;
} ed_cli_remote;
int ed_cli_remote_open(ed_cli_remote *r, ed_err *err);
void ed_cli_remote_close(ed_cli_remote *r);

/* bootstrap.c: `eddy bootstrap git` */
int ed_cli_bootstrap(int argc, char **argv);

#endif
