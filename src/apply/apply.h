/*
 * apply: bring the cluster to a set of objects the way Flux's kustomize-controller does
 * (fluxcd/pkg/ssa), on the kube client:
 *
 *   - every object is first checked with a server-side dry-run; if any is refused, nothing is
 *     written and the error names the object and the API's message;
 *   - objects are applied in stages: CRDs, Namespaces and ClusterRoles first (then waited for),
 *     `*Class` kinds next (waited for), everything else last, each stage in Flux's kind order;
 *   - an object is written (server-side apply, field manager kustomize-controller, force) only
 *     when the dry-run shows it differs from the live object: an unchanged object keeps its
 *     resourceVersion;
 *   - the result is Flux's change set (Created, Configured, Unchanged, Skipped), which is also
 *     the new inventory (ids `<namespace>_<name>_<group>_<kind>`);
 *   - prune deletes what left the set, only when the live object still carries the owner labels
 *     and does not opt out;
 *   - health follows kstatus: Deployments, StatefulSets, DaemonSets, Jobs, CRDs, PVCs, Pods, and
 *     the generic Ready/Stalled conditions with observedGeneration for everything else.
 *
 *   - with force (spec.force, or the object's force label or annotation), an object whose
 *     dry-run fails on an immutable field is deleted and created again.
 *
 *   - fields kubectl owns (client-side and server-side `kubectl apply`, `kubectl edit`, ...)
 *     are taken over before the apply (takeover.c), so what left Git is removed, unless the
 *     object says `kustomize.toolkit.fluxcd.io/ssa: Merge`; so are those of the managers
 *     named with Flux's --override-manager;
 *   - kinds named with Flux's --custom-apply-stage-kinds are applied in a stage of their own,
 *     after the `*Class` kinds and before the rest (not waited for, as Flux's).
 */
#ifndef ED_APPLY_H
#define ED_APPLY_H

#include "../base/base.h"
#include "../doc/doc.h"
#include "../kube/kube.h"

typedef enum {
    ED_APPLY_CREATED,
    ED_APPLY_CONFIGURED,
    ED_APPLY_UNCHANGED,
    ED_APPLY_DELETED,
    ED_APPLY_SKIPPED,
} ed_apply_action;

/* One entry of a change set. */
typedef struct ed_apply_entry {
    char *id;      /* inventory id: "<namespace>_<name>_<group>_<kind>" */
    char *version; /* the API version ("v1"), the inventory's `v` */
    char *subject; /* "Kind/namespace/name" or "Kind/name", as Flux prints it */
    ed_apply_action action;
    /* For a health check: NotFound counts as Current (a Job with ttlSecondsAfterFinished, which
     * the TTL controller deletes once it finished, as Flux's JobsWithTTL). */
    bool gone_ok;
} ed_apply_entry;

typedef struct ed_apply_result {
    ed_apply_entry *entries;
    size_t n;
} ed_apply_result;

typedef struct ed_apply_opts {
    const char *field_manager; /* NULL for "kustomize-controller" */
    int64_t wait_timeout_ms;   /* readiness wait after stages 1 and 2; 0 for 60 s */
    /* When set and true for an object's inventory id, that object is left alone: no dry-run,
     * no write, listed as Unchanged (the Kustomization controller holds drifted objects back
     * during their grace period). */
    bool (*hold)(const char *id, void *user);
    void *hold_user;
    /* When set: told the inventory id of an object before the engine deletes it to create it
     * again (force), so that its deletion is not taken for drift. */
    void (*deleting)(const char *id, void *user);
    void *deleting_user;
    /* When set: handed each object the engine writes (the API's reply to its apply: the
     * object as written, managedFields and resourceVersion included) as soon as the reply
     * arrives, in the thread that sent it; a watcher tells eddy's own writes from someone
     * else's by it. obj is borrowed for the call. */
    void (*written)(const ed_node *obj, void *user);
    void *written_user;
    /* Flux's spec.force: an object whose dry-run fails on an immutable field is deleted and
     * created again (also per object with kustomize.toolkit.fluxcd.io/force: enabled, as a
     * label or annotation). The deletion happens in the apply phase, once every other object
     * passed its dry-run. */
    bool force;
    /* When set: called once every object was validated, before the first write; nonzero
     * stops the apply there, nothing written, with the callback's error (the Kustomization
     * controller joins its finalizer's patch here). */
    int (*before_writes)(void *user, ed_err *err);
    void *before_writes_user;
    /* Flux's --override-manager: more field managers whose fields (applied or updated, a
     * subresource's aside) are taken over before the apply, as kubectl's are, each a prefix
     * of the managers' names as Flux matches them; a NULL-terminated list, or NULL. */
    const char *const *takeover_managers;
    /* Flux's --custom-apply-stage-kinds: kinds (as ed_apply_group_kinds_parse writes them)
     * applied in a stage of their own, after the `*Class` kinds (which stay in theirs, as do
     * CRDs, Namespaces and ClusterRoles) and before every other object; a NULL-terminated
     * list, or NULL. */
    const char *const *custom_stage_kinds;
    /* Flux's --concurrent-ssa: how many objects are read and dry-run at a time; 0 for 4. */
    int concurrency;
} ed_apply_opts;

/*
 * Parse Flux's --custom-apply-stage-kinds: a comma-separated list of "group/Kind" ("Kind" or
 * "/Kind" for the core group), blanks around an entry and empty entries ignored. On success
 * *out is a NULL-terminated list (free with ed_apply_group_kinds_free), each entry "Kind" for
 * the core group or "group/Kind", as ed_apply_opts.custom_stage_kinds takes them. Errors:
 * ED_EINVALID naming the entry without a kind or with more than one '/'.
 */
int ed_apply_group_kinds_parse(const char *list, char ***out, ed_err *err);
void ed_apply_group_kinds_free(char **kinds);

/* "Created", "Configured", ... as in Flux's change set and events. */
const char *ed_apply_action_name(ed_apply_action a);
/* The inventory id of an object ("default_web_apps_Deployment"), as cli-utils writes it: the
 * ':' of an RBAC object's name ("system:reader") as "__"; a new string. */
char *ed_apply_id(const ed_node *obj);

/* An inventory id taken apart. */
typedef struct ed_apply_id_parts {
    char ns[256];    /* "" for a cluster-scoped object */
    char name[256];  /* with the ':' of RBAC names back */
    char group[256]; /* "" for the core group */
    char kind[256];
} ed_apply_id_parts;

/* Parse an id as cli-utils does (the namespace before the first '_', the kind after the last,
 * the group before that, the name between: "__" in an RBAC name is ':'). False for a string
 * that is not an id. */
bool ed_apply_id_parse(const char *id, ed_apply_id_parts *out);
/* The apiVersion of a parsed id's object at version ("apps/v1", "v1"). */
void ed_apply_id_api_version(const ed_apply_id_parts *p, const char *version, char *out,
                             size_t cap);

/*
 * Apply objects (each a mapping with apiVersion, kind, metadata.name) as described above. On
 * success *out is the change set in apply order (free with ed_apply_result_free); on failure
 * it is that of the stages written whole before the failing one, or NULL. Errors:
 * ED_EINVALID when an object is malformed or refused by the dry-run (message as
 * ed_apply_dry_run_error's; nothing was written), or the first API error.
 */
int ed_apply_all(ed_kube *kube, ed_node *const *objects, size_t n, const ed_apply_opts *opts,
                 ed_apply_result **out, ed_err *err);

/*
 * Set err to Flux's message for an object (subject "Kind/namespace/name", kind) whose dry-run
 * failed with code, the API's Status reason (or "") and message msg (fluxcd/pkg ssa's
 * DryRunErr): "<subject> dry-run failed (Invalid): <msg>"; an API NotFound "<subject> not
 * found: <msg>" (its namespace does not exist), or "<subject> namespace not specified: <msg>"
 * for a namespaced object that names none; a Secret "<subject> invalid, error: data values
 * must be of type string" (or "secret is immutable"): no text of the API's, which could quote
 * its data. msg must not be err's own. Returns code.
 */
int ed_apply_dry_run_error(ed_err *err, const char *subject, const char *kind, int code,
                           const char *reason, const char *msg);

/* True when obj (its metadata is enough) opts out of every write: kustomize.toolkit.fluxcd.io/
 * reconcile: disabled or /ssa: Ignore, as an annotation or a label. Every opt-out value
 * (these, ssa: IfNotPresent and Merge, force: enabled, prune: disabled) is compared without
 * regard to case, as Flux's AnyInMetadata compares them. */
bool ed_apply_opted_out(const ed_node *obj);
/* True when obj says kustomize.toolkit.fluxcd.io/ssa: IfNotPresent (created when missing,
 * never updated). */
bool ed_apply_if_not_present(const ed_node *obj);

/*
 * Delete the objects of the old inventory (ids and versions) that the new change set lacks,
 * when the live object still has both owner labels with these values
 * (kustomize.toolkit.fluxcd.io/name and /namespace) and none of the opt-outs
 * (kustomize.toolkit.fluxcd.io/prune: disabled, /reconcile: disabled, /ssa: Ignore), in
 * Flux's order (the apply order reversed). *out lists them all, also on failure: Deleted (an
 * object already gone counts as deleted) or Skipped (not ours, or opted out); one that failed
 * is not listed. Every object is tried; the failures give one error, as Flux's:
 * "delete failed, errors: ConfigMap/apps/x delete failed: <API message>;" (the first one's
 * code).
 */
int ed_apply_prune(ed_kube *kube, const ed_apply_entry *old_inventory, size_t n_old,
                   const ed_apply_result *current, const char *owner_name,
                   const char *owner_namespace, ed_apply_result **out, ed_err *err);

/*
 * Wait until every object of entries (except Skipped and Deleted ones) is healthy by kstatus
 * rules, polling every poll_ms, for at most timeout_ms. Errors: ED_ETIMEOUT listing what is not
 * ready ("timeout waiting for: [Deployment/default/web status: 'InProgress']", an object that
 * does not exist 'NotFound'), or ED_ERROR at once when objects report failure, as Flux's
 * fail-fast ("failed early due to stalled resources: [Job/default/migrate status: 'Failed']"),
 * or, with missing_fails (objects just applied), when one is gone ("ConfigMap/default/settings
 * status: 'NotFound'").
 */
int ed_apply_wait_healthy(ed_kube *kube, const ed_apply_result *entries, int64_t timeout_ms,
                          int64_t poll_ms, bool missing_fails, ed_err *err);
/*
 * A status the caller decides for some objects (Flux's healthCheckExprs): "Current",
 * "InProgress" or "Failed" for obj; NULL to leave obj to the kstatus rules; "Unknown" with
 * why filled (an evaluation error, quoted after the status as Flux's wait quotes it).
 */
typedef const char *(*ed_apply_status_fn)(const ed_node *obj, void *user, char *why,
                                          size_t why_cap);
/* ed_apply_wait_healthy with fn (and its user) deciding the status of the objects it knows. */
int ed_apply_wait_healthy_with(ed_kube *kube, const ed_apply_result *entries, int64_t timeout_ms,
                               int64_t poll_ms, bool missing_fails, ed_apply_status_fn fn,
                               void *user, ed_err *err);

/* kstatus of one live object: "Current", "InProgress" or "Failed"; *why explains (static). */
const char *ed_apply_status(const ed_node *obj, const char **why);

void ed_apply_result_free(ed_apply_result *r);

#endif
