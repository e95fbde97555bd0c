/*
 * Private to the controllers module: the parts of the Kustomization reconciler that live in
 * their own files (ks_render.c: Flux's build layer; dependson.c: dependencies; ks_client.c:
 * the client a Kustomization applies with).
 */
#ifndef ED_KS_INT_H
#define ED_KS_INT_H

#include "controllers.h"

#include "../apply/apply.h"
#include "../kustomize/kustomize.h"

/* What a render read besides the spec (ed_ks_render_traced), for the controller's memo. */
typedef struct ed_ks_render_trace {
    /* in: where to record the paths of the tree the build reads (its root: the render's
     * root), or NULL */
    ed_ks_inputs *files;
    /* in: Flux's --sops-age-secret, the Secret (name, in namespace) whose age identities
     * decrypt for a spec.decryption without a secretRef; NULL for none */
    const char *sops_age_secret, *sops_age_namespace;
    /* out: the hash of the postBuild variables substituted (ed_ks_vars_digest), "" when the
     * render read none */
    char vars[65];
    /* out: the hash of the decryption Secret whose keys the render read (spec.decryption's
     * secretRef, or the --sops-age-secret fallback; ed_ks_decryption_digest), "" when none */
    char decryption[65];
    /* out: Flux's history digest of the render, "sha256:<hex>" of its objects as one YAML
     * stream after postBuild and before commonMetadata, as kustomize-controller takes it;
     * "" when the render failed */
    char digest[80];
} ed_ks_render_trace;

/* ed_ks_render, recording into trace (may be NULL) what the render read. */
int ed_ks_render_traced(ed_kube *kube, const ed_node *obj, const char *dir, const char *root,
                        unsigned flags, const ed_ks_remote_source *remote,
                        ed_ks_render_trace *trace, ed_doc ***out, size_t *n, const char **reason,
                        ed_err *err);

/*
 * The sha256 (hex) of obj's postBuild variables (substituteFrom read with kube, then
 * substitute), names and values, "" when obj has no postBuild. Only the hash leaves: values can
 * be Secrets. Errors: those of reading the variables (a missing ConfigMap or Secret, a bad
 * value or name).
 */
int ed_ks_vars_digest(ed_kube *kube, const ed_node *obj, char out[65], ed_err *err);

/*
 * The sha256 (hex) of the Secret whose keys decrypt obj's build (spec.decryption.secretRef in
 * obj's namespace; without a secretRef, age_secret in age_ns when both are set: Flux's
 * --sops-age-secret), its name and data, "" when obj reads none. Only the hash leaves: the data
 * are keys. Errors: those of reading it, as the render gives them (a missing Secret, an
 * unsupported provider).
 */
int ed_ks_decryption_digest(ed_kube *kube, const ed_node *obj, const char *age_secret,
                            const char *age_ns, char out[65], ed_err *err);

/* dependsOn (dependson.c): the Kustomization cache to read dependencies from, and who waits
 * for whom. */
typedef struct ed_ks_deps ed_ks_deps;
/* cache and queue are borrowed and must outlive the result. */
ed_ks_deps *ed_ks_deps_new(ed_informer *cache, ed_queue *queue);
void ed_ks_deps_free(ed_ks_deps *d);

/*
 * Flux's dependency rule for obj's spec.dependsOn, reading the dependencies from the cache.
 * source_revision is the current revision of obj's source (a dependency on the same source
 * must have applied it). Returns 0 when every dependency is ready; otherwise ED_ENOTFOUND,
 * ED_ERETRY or ED_EINVALID with Flux's message in err ("dependency 'ns/name' is not ready",
 * "... revision is not up to date", "... not found"), and obj waits for its dependencies:
 * ed_ks_queue_dependents queues it when one becomes ready.
 */
int ed_ks_dependencies_ready(ed_ks_deps *d, const ed_node *obj, const char *source_revision,
                             ed_err *err);

/* Flux's rule for one dependency: dep (the dependency as read, NULL when it does not exist,
 * key its "namespace/name") of obj, with obj's source at source_revision, and its readyExpr
 * (NULL or empty: none). 0 when ready, else an error with Flux's message (as
 * ed_ks_dependencies_ready); a readyExpr that does not parse is ED_EINVALID with the reason
 * InvalidCELExpression (terminal). */
int ed_ks_dependency_check(const ed_node *obj, const ed_node *dep, const char *key,
                           const char *source_revision, const char *expr, ed_err *err);

/* changed (a Kustomization that changed) is Ready: queue the Kustomizations waiting for it. */
void ed_ks_queue_dependents(ed_ks_deps *d, const ed_node *changed);

/*
 * Flux's health check of a Kustomization obj after its apply (changes: the change set): every
 * applied object with spec.wait, else the spec.healthChecks objects (apiVersion defaulting to
 * apps/v1, namespace to obj's), within timeout_ms; the Kustomization itself is never waited
 * for. *checked says whether anything was to be checked (Flux then sets the Healthy condition;
 * it removes it when the set is empty); msg receives the Healthy condition's message ("Health
 * check passed in D", or the wait's error), ready_msg on failure Ready's ("health check failed
 * after D: <error>"). exprs (NULL: none) decides the status of the kinds it names; ttl_jobs
 * (inventory ids one a line, or NULL) are the Jobs with ttlSecondsAfterFinished, whose absence
 * counts as done (Flux's JobsWithTTL). waiting (NULL: none) is called with user once, just
 * before the wait, when there is something to wait for (Flux's "Running health checks" marks).
 * Returns 0 when healthy (or nothing to check), else the error of the wait.
 */
/*
 * spec.healthCheckExprs of obj, parsed (Flux's custom status readers): *out is NULL when there
 * are none. ED_EINVALID with Flux's message ("failed to create custom status reader for
 * healthchecks[I]: ...") when an entry lacks `current` or an expression does not parse.
 */
typedef struct ed_ks_exprs ed_ks_exprs;
int ed_ks_exprs_parse(const ed_node *obj, ed_ks_exprs **out, ed_err *err);
void ed_ks_exprs_free(ed_ks_exprs *x);
int ed_ks_check_health(ed_kube *kube, const ed_node *obj, const ed_ks_exprs *exprs,
                       const ed_apply_result *changes, const char *ttl_jobs, int64_t timeout_ms,
                       bool *checked, char *msg, size_t msgcap, char *ready_msg, size_t ready_cap,
                       void (*waiting)(void *user), void *user);

/*
 * The client to apply obj with: *out is a new client (ed_kube_free) for spec.kubeConfig's
 * cluster and/or impersonating spec.serviceAccountName (default_sa when the spec names none,
 * NULL for no default), or NULL when the controller's own client (kube) is to be used.
 * The kubeconfig is sanitised as Flux does (ed_ks_kubeconfig_sanitize) with flags.
 * Errors: the Secret or its key missing, an unusable kubeconfig (message names the Secret,
 * never its content); ED_EINVALID for a kubeConfig eddy cannot honour (a configMapRef, or not
 * exactly one of secretRef and configMapRef), which retrying cannot mend.
 */
#define ED_KS_KUBECONFIG_EXEC 1u /* --insecure-kubeconfig-exec */
#define ED_KS_KUBECONFIG_TLS  2u /* --insecure-kubeconfig-tls */
int ed_ks_client(ed_kube *kube, const ed_node *obj, const char *default_sa, unsigned flags,
                 ed_kube **out, ed_err *err);

/*
 * A remote cluster's kubeconfig as kustomize-controller uses one (fluxcd/pkg's sanitising):
 * the server, its TLS (server name, CA, client certificate) and the credentials (token, basic
 * auth) are kept; its exec plugin, which would run a command of the Secret's choosing in the
 * agent, only with ED_KS_KUBECONFIG_EXEC; insecure-skip-tls-verify only with
 * ED_KS_KUBECONFIG_TLS; its own impersonation never. Takes cfg, returns the sanitised one.
 */
ed_kube_config *ed_ks_kubeconfig_sanitize(ed_kube_config *cfg, unsigned flags);

/* True when deleting obj deletes its objects: not suspended, an inventory, and
 * spec.deletionPolicy (with spec.prune for MirrorPrune) says so (ks_delete.c). */
bool ed_ks_deletes_objects(const ed_node *obj, const ed_apply_result *inventory);
/*
 * Delete obj's inventory (the objects of status.inventory) with kube, through the apply
 * module's prune and its safety rules; *gone gets what was deleted or skipped (free it with
 * ed_apply_result_free). Returns 0 or the prune's error.
 */
int ed_ks_finalize(ed_kube *kube, const ed_node *obj, const ed_apply_result *inventory,
                   ed_apply_result **gone, ed_err *err);
/* For spec.deletionPolicy WaitForTermination: wait at most timeout_ms until every object of
 * gone no longer exists (ED_ETIMEOUT naming one still there); 0 at once for other policies. */
int ed_ks_wait_terminated(ed_kube *kube, const ed_node *obj, const ed_apply_result *gone,
                          int64_t timeout_ms, ed_err *err);

/* Watched configuration objects (ks_configwatch.c): ConfigMaps and Secrets labelled
 * reconcile.fluxcd.io/watch=Enabled (or matching another selector) queue the Kustomizations
 * (in ks_cache) that read them. */
typedef struct ed_ks_config_watch ed_ks_config_watch;
/* A new watch (not started) of the objects matching selector (NULL for Flux's default label,
 * "" for every object); kube, ks_cache, queue and selector are borrowed and must outlive it. */
ed_ks_config_watch *ed_ks_config_watch_new(ed_kube *kube, ed_informer *ks_cache, ed_queue *queue,
                                           const char *selector);
/* Start the informers on first use (from a reconcile, so only the leader watches); then a
 * no-op. Waits (up to 10 s each) for their first lists. */
void ed_ks_config_watch_ensure(ed_ks_config_watch *w);
/* Ask both watches to stop, without waiting (ed_informer_stop). */
void ed_ks_config_watch_stop(ed_ks_config_watch *w);
/* End both watches (stop, wait for them, free them): no handler runs after; ensure is a no-op
 * from now on. Before ks_cache or queue go. */
void ed_ks_config_watch_end(ed_ks_config_watch *w);
/* End, and free w. Accepts NULL. */
void ed_ks_config_watch_free(ed_ks_config_watch *w);

/* The RBAC watch of impersonating Kustomizations (ks_rbacwatch.c): Roles, RoleBindings,
 * ClusterRoles and ClusterRoleBindings, every change counted in an epoch, so that a memo of a
 * Kustomization that impersonates is trusted only under the epoch it was stored in. */
typedef struct ed_ks_rbac_watch ed_ks_rbac_watch;
/* A new watch (not started); kube is borrowed and must outlive it. */
ed_ks_rbac_watch *ed_ks_rbac_watch_new(ed_kube *kube);
/* The Kustomization key ("ns/name", copied) impersonates: start the informers if none runs
 * (from a reconcile, so only the leader watches, and only while a Kustomization impersonates),
 * waiting (up to 10 s each) for their first lists. *epoch gets the epoch now: read it before an
 * apply, and a change after moves it. Returns true when all four kinds are listed and watched;
 * false when one is not (yet), or after the end: no change of it would be seen, so no memo may
 * be trusted. */
bool ed_ks_rbac_watch_ensure(ed_ks_rbac_watch *w, const char *key, uint64_t *epoch);
/* The Kustomization key no longer impersonates (or is gone): when it was the last, the
 * informers end (waiting for them). */
void ed_ks_rbac_watch_leave(ed_ks_rbac_watch *w, const char *key);
/* Ask the informers to stop, without waiting (ed_informer_stop). Accepts NULL. */
void ed_ks_rbac_watch_stop(ed_ks_rbac_watch *w);
/* End the informers (stop, wait, free): no handler runs after; ensure starts none from now on
 * (and says false). Accepts NULL. */
void ed_ks_rbac_watch_end(ed_ks_rbac_watch *w);
/* End, and free w. Accepts NULL. */
void ed_ks_rbac_watch_free(ed_ks_rbac_watch *w);

/*
 * Record a reconcile in status.history (ks_history.c): old is the object's current history (or
 * NULL), digest the build's "sha256:<hex>", result the Ready reason, revision the source
 * revision, origin_revision the artifact's org.opencontainers.image.revision (or NULL),
 * duration_ns how long the reconcile took (written as Go writes it, to the nanosecond). Sets
 * status.history in d.
 */
void ed_ks_history_record(ed_doc *d, ed_node *status, const ed_node *old, const char *digest,
                          const char *result, const char *revision, const char *origin_revision,
                          int64_t duration_ns);

/*
 * spec.ignore (ks_ignore.c): in each of docs (the objects about to be applied) that a rule
 * covers and that exists (read with kube), the rule's paths take the live values, so that
 * what others changed there is not reverted. ED_EINVALID for a bad regular expression.
 */
int ed_ks_apply_ignore(ed_kube *kube, const ed_node *obj, ed_doc **docs, size_t n, ed_err *err);

/* True when every field of fields_v1 (in the shape of a managedFields entry's fieldsV1: the
 * fields eddy lost to a write) lies at or below a path that a spec.ignore rule covering obj
 * names: a write that touched only ignored fields. obj needs only its apiVersion, kind and
 * metadata (the drift watch holds no more). A field inside a list item (k:, v:, i:) is covered
 * by a path above the list, or by one that names the item by its index: that index is the
 * item's place in live, the whole live object. Without live (NULL) such a field is not
 * covered, and *need_live (may be NULL) tells the caller that live would decide. */
bool ed_ks_ignore_covers(const ed_node *rules, const ed_node *obj, const ed_node *live,
                         const ed_node *fields_v1, bool *need_live);

#endif
