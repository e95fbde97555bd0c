/*
 * controllers: one reconciler per Flux kind, each a flat list of phases that mirrors Flux's
 * controller, with one place that writes status on every exit.
 *
 * Built: GitRepository (gitrepository.c), OCIRepository (ocirepository.c), Kustomization
 * (kustomization.c: its core; see the file for what is not built yet), the status conditions
 * helpers (conditions.c), what every reconciler shares (lifecycle.c, reconciler.c), and the
 * image automation: ImageRepository (imagerepository.c), ImagePolicy (imagepolicy.c) and
 * ImageUpdateAutomation (imageupdate.c), with Secrets read by secrets.c.
 */
#ifndef ED_CONTROLLERS_H
#define ED_CONTROLLERS_H

#include "../base/base.h"
#include "../doc/doc.h"
#include "../kube/kube.h"
#include "../runtime/runtime.h"
#include "../source/source.h"

/* ---- status conditions (metav1.Condition), as Flux's conditions package writes them ---- */

/*
 * Set condition type in the sequence `conditions` (a node of doc) to status/reason/message for
 * generation. lastTransitionTime moves only when the status changes, as Kubernetes expects.
 */
void ed_cond_set(ed_doc *doc, ed_node *conditions, const char *type, const char *status,
                 const char *reason, const char *message, int64_t generation);
/* Remove condition type (Flux removes negative-polarity conditions once they are False). */
void ed_cond_remove(ed_node *conditions, const char *type);
/* The condition's status ("True", "False", "Unknown") or NULL. */
const char *ed_cond_status(const ed_node *conditions, const char *type);
/* The condition's reason, or NULL. */
const char *ed_cond_reason(const ed_node *conditions, const char *type);
/* The condition's message, or NULL. */
const char *ed_cond_message(const ed_node *conditions, const char *type);

/* ---- status: one patch of the status subresource per reconcile ---- */

/* A status patch being built: {"status": {...}} with a copy of the object's conditions. */
typedef struct ed_status_patch {
    ed_doc *doc;
    ed_node *status;     /* fields go here */
    ed_node *conditions; /* the object's conditions, to change with ed_cond_set/remove */
    int64_t generation;  /* the object's metadata.generation */
    bool always;         /* send even when obj's status has every value: an earlier patch of
                          * this reconcile changed the status since obj was read */
    char written_rv[32]; /* after ed_status_commit: the object's resourceVersion that the
                          * write gave it, or "" when nothing was written */
} ed_status_patch;

/* Start a status patch for obj; lastHandledReconcileAt is set from the requestedAt annotation. */
void ed_status_begin(ed_status_patch *sp, const ed_node *obj);
/* A failed reconcile's conditions, as Flux's summary writes them: Ready False with reason and
 * message, then either Stalled True (nothing changes until the spec does: observedGeneration
 * becomes current) or Reconciling True ProgressingWithRetry (retried), the other of the two
 * removed so that an earlier failure's condition does not stay beside it. The Reconciling
 * message is progress (the phase the reconcile had reached, as Flux's progressive status
 * keeps it), or message when progress is NULL. */
void ed_status_failed(ed_status_patch *sp, bool stalled, const char *reason, const char *message,
                      const char *progress);
/* Flux's progressive status at the start of a reconcile, into out (n bytes): "processing
 * object: new generation O -> G" when obj's generation is not its status.observedGeneration
 * (-1 when absent, the CRDs' default), else "reconciliation in progress". */
void ed_status_progress(const ed_node *obj, char *out, size_t n);
/* Send it (merge patch of the status subresource, field manager `manager`) and free it; when
 * every field it sets already has that value in obj's status, nothing is sent. An object gone
 * meanwhile is not an error. Failures are logged under `controller`. */
int ed_status_commit(ed_status_patch *sp, ed_kube *kube, const char *api_version, const char *kind,
                     const ed_node *obj, const char *manager, const char *controller);

/* ---- the start of every reconcile (lifecycle.c) ---- */

/* A reconciler's kind, for ed_ctrl_begin. */
typedef struct ed_ctrl_kind {
    ed_kube *kube;
    ed_metrics *metrics; /* or NULL */
    const char *api_version, *kind;
    const char *controller; /* its name in logs ("gitrepository") */
    /* Called for an object being deleted, before its finalizer is dropped (NULL: nothing to
     * clean up); a non-zero return keeps the finalizer, and the reconcile fails (retried). */
    int (*finalize)(const ed_node *obj, void *user, ed_err *err);
    void *user;
    /* The shard (--watch-label-selector) set by ed_ctrl_register from the manager; NULL for
     * every object. */
    const ed_label_selector *shard;
    /* Its line about a suspended object; NULL: "Reconciliation is suspended for this object",
     * source-controller's and kustomize-controller's words (the image controllers' begin with a
     * small r). */
    const char *suspended_msg;
    /* The field manager that records a requested reconcile (reconcile.fluxcd.io/requestedAt)
     * as handled on a suspended object, and its generation as observed when it is Ready or
     * Stalled, as Flux's image-reflector-controller does (its final status patch is deferred
     * before the suspend check); NULL: a suspended object is not written. */
    const char *suspended_handled_by;
    /* With suspended_handled_by: only the generation is recorded, not the requested reconcile,
     * as Flux's image-automation-controller does (its token is set by the reconcile proper,
     * which a suspended object never reaches). */
    bool suspended_generation_only;
} ed_ctrl_kind;

typedef enum {
    ED_CTRL_GO,   /* reconcile *objdoc: it exists, is not being deleted, holds the finalizer
                     and is not suspended */
    ED_CTRL_STOP, /* done: return *rc (the object is gone, was finalized, is suspended, or the
                     API failed) */
} ed_ctrl_step;

/*
 * Flux's first steps of a reconcile of ns/name: read it (*objdoc, freed by the caller in
 * either case) and stop with *rc 0 when it is another shard's (ed_ctrl_in_shard); when it is
 * being deleted, run k->finalize and drop the finalizer; add the finalizer when it is missing
 * (and read the object again); leave a suspended object alone (but for its
 * lastHandledReconcileAt, when k->suspended_handled_by says so).
 * Records the per-object metrics on deletion and suspension, and logs what it did.
 */
ed_ctrl_step ed_ctrl_begin(const ed_ctrl_kind *k, const char *ns, const char *name, ed_doc **objdoc,
                           int *rc, ed_err *err);

/* ---- the rest of a reconciler's shape (reconciler.c) ---- */

/*
 * Register the reconciler k names (k->controller is its log key, metrics label and queue
 * name; k->user is passed to reconcile) with Flux's predicates: a change counts when the
 * generation or the requestedAt annotation moved. Sets k->shard to the manager's. Returns its
 * queue, borrowed from the manager.
 */
ed_queue *ed_ctrl_register(ed_manager *m, ed_ctrl_kind *k, int workers, ed_reconcile_fn reconcile);

/*
 * Whether obj, read from the API, is one of this agent's: its labels match shard (Flux's
 * --watch-label-selector; NULL: every object). The shared informers hold only those, but a
 * reconcile also comes from a requeue timer, from another kind's change, or from an object
 * relabeled out of the shard (its informer's deletion), and reads the API: an object of another
 * shard is then left alone as gone, never written (no status, finalizer, Event or artifact),
 * as Flux's controllers, whose cache never holds it, leave it. Logs the skip at debug level.
 */
bool ed_ctrl_in_shard(const ed_label_selector *shard, const char *controller, const ed_node *obj);

/* Whether obj, the cached object under key in namespace ns, is to be queued. */
typedef bool (*ed_ctrl_match_fn)(const char *key, const char *ns, const ed_node *obj, void *user);

/*
 * A watch handler's work: queue on queue each key of cache whose object match accepts; with
 * only_ns, the keys of that namespace alone are looked at. A NULL match queues every key
 * looked at without reading the objects. An object deleted since the keys were listed is passed
 * over.
 */
void ed_ctrl_queue_matching(ed_informer *cache, ed_queue *queue, const char *only_ns,
                            ed_ctrl_match_fn match, void *user);

/* obj's spec.interval in milliseconds, or fallback when it is missing, invalid or not positive
 * (the CRDs require a valid one: defensive only). */
int64_t ed_ctrl_interval(const ed_node *obj, int64_t fallback);

/* The log line that ends a reconcile of obj, as Flux's controllers write it: message at info
 * level on success; otherwise controller-runtime's "Reconciler error" (an error returned for a
 * retry) or, when stalled, source-controller's "reconciliation stalled", with message as the
 * error. */
void ed_ctrl_log_result(const char *controller, const ed_node *obj, bool ok, bool stalled,
                        const char *message);

/*
 * The image controllers' eventLogf: record an Event about obj from reporter (type, reason,
 * message, annotations or NULL) and log its message, as Flux's image-reflector-controller and
 * image-automation-controller log every Event they record: a Warning at error level with the
 * reason as the error, any other at info level. The line is the reconcile's (its log scope).
 */
void ed_ctrl_event_log(ed_kube *kube, const ed_node *obj, const char *reporter, const char *type,
                       const char *reason, const char *message, const char *const *annotations);

/*
 * The image controllers' notify at the end of a reconcile of obj (as read before it), each
 * Event logged (ed_ctrl_event_log): a Warning with reason and message on every failure; on
 * success a Normal "Succeeded" one with message (and annotations, or NULL) when obj was not
 * Ready or its Ready message was another, else Flux's trace Event (a Normal "Succeeded" one in
 * the cluster) with trace, when it is not NULL.
 */
void ed_ctrl_notify(ed_kube *kube, const ed_node *obj, const char *reporter, bool ok,
                    const char *reason, const char *message, const char *trace,
                    const char *const *annotations);

/* ---- metrics Flux exports per object ---- */

/*
 * Record obj's Ready condition and suspend flag as Flux does: gotk_reconcile_condition{kind,
 * name, namespace, type="Ready", status} is 1 for the current status and 0 for the others
 * (True, False, Unknown, Deleted), and gotk_suspend_status{kind, name, namespace} is 1 or 0.
 * With deleted, the object is gone: status "Deleted" is 1. m may be NULL.
 */
void ed_ctrl_record_metrics(ed_metrics *m, const char *kind, const ed_node *obj,
                            const char *ready_status, bool deleted);

/* ---- finalizers (finalizers.fluxcd.io), shared by the reconcilers ---- */

#define ED_FINALIZER "finalizers.fluxcd.io"

bool ed_ctrl_has_finalizer(const ed_node *obj);
/* Add (present) or remove Flux's finalizer on obj, a merge patch that carries the
 * resourceVersion read, so a concurrent change is not overwritten (ED_ECONFLICT then). */
int ed_ctrl_set_finalizer(ed_kube *kube, const char *api_version, const char *kind,
                          const ed_node *obj, bool present, ed_err *err);
/* Adding the finalizer to obj in the background (the same patch, on a thread of its own), so
 * that a reconcile's first round trip overlaps with work that writes nothing (render,
 * dry-runs). The reconcile joins it before its first write: ed_ctrl_finalizer_join returns the
 * patch's outcome (the same one on every call; 0 for a NULL job), with the error in err. */
typedef struct ed_ctrl_finalizer_job ed_ctrl_finalizer_job;
ed_ctrl_finalizer_job *ed_ctrl_finalizer_add_start(ed_kube *kube, const char *api_version,
                                                   const char *kind, const ed_node *obj);
int ed_ctrl_finalizer_join(ed_ctrl_finalizer_job *job, ed_err *err);
/* Joins it when still running, then frees it. NULL is fine. */
void ed_ctrl_finalizer_job_free(ed_ctrl_finalizer_job *job);

/* ---- Secrets ---- */

/* A Secret's data, decoded: each value NUL-terminated (len excludes the NUL). */
typedef struct ed_ctrl_secret {
    ed_source_secret_entry *entries;
    size_t n;
    char **keys;
    char *type; /* its type ("Opaque" when the API gave none) */
} ed_ctrl_secret;

/* Read Secret ns/name and decode its data into *out (clear with ed_ctrl_secret_clear, which
 * wipes the values). Errors: the API's (ED_ENOTFOUND ...), ED_EINVALID for bad base64; the
 * message names the Secret, never a value. */
int ed_ctrl_secret_read(ed_kube *kube, const char *ns, const char *name, ed_ctrl_secret *out,
                        ed_err *err);
/* The same, with an error of the API server in its words alone, as a controller that reads the
 * Secret itself (not through Flux's runtime) reports it: 'secrets "NAME" is forbidden: ...'. */
int ed_ctrl_secret_get(ed_kube *kube, const char *ns, const char *name, ed_ctrl_secret *out,
                       ed_err *err);
/* The value of key (borrowed), or NULL; *len (may be NULL) gets its length. */
const char *ed_ctrl_secret_value(const ed_ctrl_secret *s, const char *key, size_t *len);
void ed_ctrl_secret_clear(ed_ctrl_secret *s);

/* ---- GitHub App credentials (spec.provider: github; source_common.c) ---- */

/* Why a GitHub App login failed, for the caller's reason and wording. */
typedef enum {
    ED_CTRL_GITHUB_NO_SECRET,  /* no secretRef: nothing to retry until the spec changes */
    ED_CTRL_GITHUB_NO_APP,     /* a secretRef without App data (or without its ID or key) */
    ED_CTRL_GITHUB_BAD_SECRET, /* App data without exactly one installation (Flux's bare error) */
    ED_CTRL_GITHUB_TOKEN,      /* the App's data unusable or the API's refusal */
} ed_ctrl_github_failure;

/* A GitRepository's Secret data with a GitHub App's installation token as basic auth. */
typedef struct ed_ctrl_github_creds {
    ed_source_secret_entry *entries; /* username x-access-token, password the token, then the
                                        Secret's own entries but bearerToken (borrowed) */
    size_t n;
    char *token;
} ed_ctrl_github_creds;

/* The message of a GitRepository of provider github with no secretRef or no App data in it. */
#define ED_CTRL_GITHUB_MISSING                                                                     \
    "secretRef with github app data must be specified when provider is set to github"

/*
 * Log in as the GitHub App in the Secret ns/secret_name (secret_name NULL: none) for a
 * GitRepository of provider github, as Flux's getAuthOpts does (its Secret checked, then a token
 * from the process's cache or the API, through the proxy Secret's data when given). On success
 * *out holds the credentials for the fetch or push (clear with ed_ctrl_github_creds_clear; they
 * borrow the Secret's entries). On failure *why says which check failed and err says it in
 * Flux's words: ED_CTRL_GITHUB_NO_SECRET and ED_CTRL_GITHUB_NO_APP with ED_CTRL_GITHUB_MISSING,
 * ED_CTRL_GITHUB_BAD_SECRET ("secret 'ns/name' must contain exactly one of ..."),
 * ED_CTRL_GITHUB_TOKEN ("failed to configure authentication options: POST ...: 401 ..."). The
 * token reaches no message. who ("gitrepository", "imageupdateautomation") and name are logged
 * (debug) with where the token came from.
 */
int ed_ctrl_github_app_login(const char *who, const char *ns, const char *name,
                             const char *secret_name, const ed_source_secret_entry *secret,
                             size_t n, const ed_source_secret_entry *proxy, size_t nproxy,
                             ed_ctrl_github_creds *out, ed_ctrl_github_failure *why, ed_err *err);
/* Wipe the token and free what out holds. */
void ed_ctrl_github_creds_clear(ed_ctrl_github_creds *c);

/* ---- small shared helpers (reconciler.c) ---- */
/* Record an Event (Action "Reconcile") about obj from controller (the reporting controller,
 * e.g. "image-reflector-controller"); annotations as ed_kube_event's, or NULL. Failures are
 * logged. */
void ed_ctrl_record_event(ed_kube *kube, const ed_node *obj, const char *controller,
                          const char *type, const char *reason, const char *note,
                          const char *const *annotations);
/* The same from reporter ("source-controller"), with a failure logged under controller
 * ("gitrepository"). */
void ed_ctrl_record_event_as(ed_kube *kube, const ed_node *obj, const char *reporter,
                             const char *controller, const char *type, const char *reason,
                             const char *note, const char *const *annotations);

/* ---- what the source reconcilers share (source_common.c) ---- */

/*
 * status.url of a source obj whose status.artifact is about to be artifact: the URL of the
 * object's latest.tar.gz link, pointed at artifact when it is new or the link is missing
 * (ed_artifact_store_link_latest), else left as it is. A new string, or NULL when it cannot be
 * made (logged with Flux's "failed to update status URL symlink", as source-controller logs it:
 * the reconcile goes on).
 */
char *ed_ctrl_source_latest_url(ed_artifact_store *store, const ed_node *obj,
                                const ed_node *artifact, const char *controller);

/*
 * Phase 2b of a source reconcile, as source-controller runs it: the artifacts of obj other than
 * the one in its status.artifact.path are collected by age (ttl_ms) and count (records), see
 * ed_artifact_store_gc. Nothing without an artifact in status. A failure is logged under
 * controller and does not stop the reconcile (Flux ignores it too); what went is logged at
 * debug level.
 */
void ed_ctrl_source_gc(ed_artifact_store *store, const ed_node *obj, int records, int64_t ttl_ms,
                       const char *controller);

/* SourceVerified after a source reconcile. */
typedef enum ed_ctrl_verified {
    ED_CTRL_VERIFIED_UNTOUCHED, /* left as it is (not verified this time) */
    ED_CTRL_VERIFIED_NONE,      /* no spec.verify: removed */
    ED_CTRL_VERIFIED_OK,        /* True, Succeeded, with verified_message */
    ED_CTRL_VERIFIED_FAILED     /* False, with the failure's reason and message */
} ed_ctrl_verified;

/* What a source reconcile found, for its conditions (ed_ctrl_source_conditions). The strings
 * are borrowed. */
typedef struct ed_ctrl_source_result {
    bool ok;
    const char *message;         /* Ready's (and, on success, ArtifactInStorage's) */
    const char *reason;          /* on failure: Flux's reason */
    const char *cond;            /* on failure: the condition that says why (one of negative,
                                  * or SourceVerified) */
    const char *const *negative; /* the kind's negative conditions, NULL-terminated */
    bool stalled;                /* on failure: no retry until the spec changes */
    const char *new_revision;    /* "new upstream revision 'R'": one found and not stored yet,
                                  * in the kind's words; NULL or "" when none */
    bool outdated;               /* the kind writes ArtifactOutdated (NewRevision) */
    bool outdated_cleared;       /* on failure: the reconcile got past where Flux removes an
                                  * earlier ArtifactOutdated (GitRepository: its includes) */
    ed_ctrl_verified verified;
    const char *verified_message;
} ed_ctrl_source_result;

/*
 * The conditions of source obj after a reconcile, into sp, as source-controller's summary
 * writes them. Success: Ready and ArtifactInStorage True (Succeeded), the negative conditions,
 * ArtifactOutdated (when r->outdated), Reconciling and Stalled removed, observedGeneration
 * current. Failure: r->cond True (unless it is SourceVerified, whose False is written below)
 * and the other negative conditions removed, Ready False, ArtifactOutdated True beside a stored
 * artifact when a new revision was found (when r->outdated; else removed when
 * r->outdated_cleared, left as it was otherwise), then Stalled (observedGeneration
 * current) or Reconciling ProgressingWithRetry with the progress Flux's reconcile had marked
 * ("building artifact: <new_revision>", "building artifact" with no artifact yet, else
 * ed_status_progress's). Then SourceVerified as r->verified says.
 */
void ed_ctrl_source_conditions(ed_status_patch *sp, const ed_node *obj,
                               const ed_ctrl_source_result *r);

/* ---- GitRepository ---- */

typedef struct ed_gitrepo_controller ed_gitrepo_controller;

typedef struct ed_gitrepo_opts {
    ed_kube *kube;            /* borrowed */
    ed_metrics *metrics;      /* borrowed, or NULL */
    ed_source_cache *cache;   /* borrowed: the Git cache */
    ed_artifact_store *store; /* borrowed: where artifacts go */
    int workers;              /* --concurrent */
    /* Flux's artifact garbage collection at the start of each reconcile: how many artifacts
     * an object keeps (--artifact-retention-records) and how long an older one may stay
     * (--artifact-retention-ttl); see ed_artifact_store_gc. */
    int retention_records;
    int64_t retention_ttl_ms;
} ed_gitrepo_opts;

/* Register the GitRepository reconciler with the manager. The controller lives until freed,
 * after the manager. */
ed_gitrepo_controller *ed_gitrepo_register(ed_manager *m, const ed_gitrepo_opts *opts);
void ed_gitrepo_free(ed_gitrepo_controller *c);

/* ---- OCIRepository ---- */

typedef struct ed_ocirepo_controller ed_ocirepo_controller;

typedef struct ed_ocirepo_opts {
    ed_kube *kube;            /* borrowed */
    ed_metrics *metrics;      /* borrowed, or NULL */
    ed_artifact_store *store; /* borrowed: where artifacts go */
    int workers;              /* --concurrent */
    int retention_records;    /* as ed_gitrepo_opts' */
    int64_t retention_ttl_ms;
} ed_ocirepo_opts;

/* Register the OCIRepository reconciler with the manager (ocirepository.c). The controller
 * lives until freed, after the manager. */
ed_ocirepo_controller *ed_ocirepo_register(ed_manager *m, const ed_ocirepo_opts *opts);
void ed_ocirepo_free(ed_ocirepo_controller *c);

/* ---- Kustomization ---- */

typedef struct ed_ks_controller ed_ks_controller;

/* The eddy-specific annotation that sets a Kustomization's drift grace period ("5m"). */
#define ED_DRIFT_GRACE_ANNOTATION "eddy.dev/drift-grace-period"
/* The eddy-specific annotation that selects what happens to drift: "heal" (the default) or
 * "detect-only" (report it in an event and the Drifted condition, never revert it; a new
 * revision from Git still applies). */
#define ED_DRIFT_MODE_ANNOTATION "eddy.dev/drift-mode"

typedef struct ed_ks_controller_opts {
    ed_kube *kube;            /* borrowed */
    ed_metrics *metrics;      /* borrowed, or NULL */
    ed_artifact_store *store; /* borrowed: artifacts are read from it in-process */
    int workers;
    int64_t drift_grace_ms;              /* wait this long before healing drift (0: at once) */
    int64_t requeue_dependency_ms;       /* --requeue-dependency: retry after a dependency was not
                                            ready (0: Flux's 30 s) */
    const char *default_service_account; /* --default-service-account, or NULL */
    bool no_cross_namespace_refs;        /* --no-cross-namespace-refs */
    bool lenient_substitutions; /* --feature-gates=StrictPostBuildSubstitutions=false: an unset
                                   variable substitutes as "" instead of failing the build */
    /* Git cache for kustomize's remote targets (borrowed), or NULL: refused (--no-remote-bases) */
    ed_source_cache *remote_cache;
    bool insecure_kubeconfig_exec; /* --insecure-kubeconfig-exec: keep a kubeConfig's exec plugin */
    bool insecure_kubeconfig_tls;  /* --insecure-kubeconfig-tls: keep insecure-skip-tls-verify */
    bool oci_sources; /* OCIRepository is served: sourceRef.kind OCIRepository is read too */
    /* --override-manager: field managers whose fields the apply takes over (NULL-terminated,
     * borrowed), or NULL */
    const char *const *override_managers;
    /* --custom-apply-stage-kinds: as ed_apply_opts.custom_stage_kinds (borrowed), or NULL */
    const char *const *custom_stage_kinds;
    int concurrent_ssa; /* --concurrent-ssa: dry-runs at a time (0: 4) */
    /* --watch-configs-label-selector: the ConfigMaps and Secrets whose changes queue the
     * Kustomizations that read them; NULL for Flux's reconcile.fluxcd.io/watch=Enabled, ""
     * for every one */
    const char *watch_configs_selector;
    /* --sops-age-secret: a Secret of sops_age_namespace whose `*.agekey` age identities
     * decrypt for a spec.decryption without a secretRef; NULL for none */
    const char *sops_age_secret;
    const char *sops_age_namespace;
} ed_ks_controller_opts;

/* Register the Kustomization reconciler (and its watch of GitRepositories, and of OCIRepositories
 * with opts->oci_sources) with the manager. */
ed_ks_controller *ed_kustomization_register(ed_manager *m, const ed_ks_controller_opts *opts);
void ed_kustomization_free(ed_ks_controller *c);

/*
 * Render a Kustomization (obj) from the directory dir (below root, the unpacked artifact), as
 * kustomize-controller does after the fetch: Flux's overlay of the spec (targetNamespace,
 * namePrefix/nameSuffix, images, patches, components) on dir's kustomization, the build,
 * postBuild substitution (variables from spec.postBuild, read with kube, in obj's namespace;
 * strict: an unset variable without a default fails the build, else it is ""), then
 * commonMetadata. On success *out holds *n documents (ed_doc_list_free). On
 * failure *reason is Flux's (BuildFailed) and err holds Flux's message ("kustomize build
 * failed: ...", "post build failed for '<id>': ...", or the spec field at fault). kube may be
 * NULL when obj has no spec.postBuild.substituteFrom (`eddy build --dry-run`). Public for the
 * CLI's build and diff, which render a local directory exactly as the controller would, except
 * for SOPS: flags ED_KS_RENDER_MASK_SOPS masks encrypted Secrets (their values "**SOPS**", as
 * flux build prints them) instead of decrypting them with spec.decryption's keys.
 */
#define ED_KS_RENDER_STRICT    1u /* strict substitution */
#define ED_KS_RENDER_MASK_SOPS 2u /* SOPS-encrypted Secrets masked, not decrypted */

/* Where a render fetches kustomize's remote targets (Git repositories and http(s) files that
 * kustomization files list), as kustomize-controller does unless --no-remote-bases. */
typedef struct ed_ks_remote_source {
    ed_source_cache *cache; /* Git repositories, fetched without credentials; borrowed */
    const char *tmp_dir;    /* where a fetched tree lies while the build reads it */
    /* file:// repositories: only for a local user's build (the CLI), never in the agent,
     * whose disk holds every tenant's Git cache */
    bool allow_file;
} ed_ks_remote_source;

/* Set ko's remote fields to fetch through src (borrowed for ko's use). */
struct ed_ks_options;
void ed_ks_remote_options(const ed_ks_remote_source *src, struct ed_ks_options *ko);

/* ed_ks_render's remote: NULL refuses remote targets ("remote bases are disabled"). */
int ed_ks_render(ed_kube *kube, const ed_node *obj, const char *dir, const char *root,
                 unsigned flags, const ed_ks_remote_source *remote, ed_doc ***out, size_t *n,
                 const char **reason, ed_err *err);

/*
 * The postBuild variables of Kustomization obj, as its build substitutes them: those of
 * spec.postBuild.substituteFrom (read with kube in obj's namespace, later entries winning, a
 * missing optional one skipped), then spec.postBuild.substitute winning over all, every value
 * without its line feeds. *out maps each name to its value (an empty map without postBuild);
 * free it with ed_ks_vars_free, which wipes the values (they may come from Secrets). Names
 * are not checked. For `eddy debug kustomization --show-vars`.
 */
int ed_ks_vars_load(ed_kube *kube, const ed_node *obj, ed_strmap **out, ed_err *err);
void ed_ks_vars_free(ed_strmap *vars);

/* ---- ImageRepository ---- */

typedef struct ed_imagerepo_controller ed_imagerepo_controller;

typedef struct ed_imagerepo_opts {
    ed_kube *kube;            /* borrowed */
    ed_metrics *metrics;      /* borrowed, or NULL */
    const char *storage_path; /* borrowed: tags go to <storage>/imagerepository/<ns>/<name> */
    int workers;
} ed_imagerepo_opts;

/* Register the ImageRepository reconciler (tag scans) with the manager. */
ed_imagerepo_controller *ed_imagerepo_register(ed_manager *m, const ed_imagerepo_opts *opts);
void ed_imagerepo_free(ed_imagerepo_controller *c);

/* ---- ImagePolicy ---- */

typedef struct ed_imagepolicy_controller ed_imagepolicy_controller;

typedef struct ed_imagepolicy_opts {
    ed_kube *kube;            /* borrowed */
    ed_metrics *metrics;      /* borrowed, or NULL */
    const char *storage_path; /* borrowed: where the ImageRepository reconciler keeps tags */
    int workers;
    bool no_cross_namespace_refs;  /* --no-cross-namespace-refs: an ImageRepository elsewhere is
                                      refused (AccessDenied), whatever its accessFrom says */
    int64_t requeue_dependency_ms; /* --requeue-dependency (0: Flux's 30s): a repository with no
                                      tags yet is asked again after it */
} ed_imagepolicy_opts;

/* Register the ImagePolicy reconciler (and its watch of ImageRepositories, which re-evaluates
 * a policy as soon as its repository's scan changes). */
ed_imagepolicy_controller *ed_imagepolicy_register(ed_manager *m, const ed_imagepolicy_opts *opts);
void ed_imagepolicy_free(ed_imagepolicy_controller *c);

/* ---- ImageUpdateAutomation ---- */

typedef struct ed_imageupdate_controller ed_imageupdate_controller;

typedef struct ed_imageupdate_opts {
    ed_kube *kube;          /* borrowed */
    ed_metrics *metrics;    /* borrowed, or NULL */
    ed_source_cache *cache; /* borrowed: the Git cache the checkout comes from */
    int workers;
    bool no_cross_namespace_refs; /* --no-cross-namespace-refs: a GitRepository elsewhere is
                                     refused (AccessDenied, stalled) */
} ed_imageupdate_opts;

/* Register the ImageUpdateAutomation reconciler (and its watch of ImagePolicies, which runs the
 * automations of a namespace as soon as one of its policies changes). */
ed_imageupdate_controller *ed_imageupdate_register(ed_manager *m, const ed_imageupdate_opts *opts);
void ed_imageupdate_free(ed_imageupdate_controller *c);

#endif
