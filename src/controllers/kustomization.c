/*
 * The Kustomization reconciler (kustomize.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's kustomize-controller:
 *
 *   1. read the object; on deletion apply spec.deletionPolicy to its inventory, drop the
 *      finalizer;
 *   2. add the finalizer; a suspended object is left alone;
 *   3. source: the GitRepository's or OCIRepository's artifact (one code path: both are
 *      tar.gz artifacts in the same store); then dependsOn; then the progress marks and the
 *      client to apply with; the artifact is unpacked in-process from the artifact store (no
 *      download), into a temp directory;
 *   4. build: spec.path inside the artifact (never outside it); a kustomization.yaml is
 *      generated when there is none, listing the manifests found; the native kustomize engine
 *      renders it with the spec's fields, postBuild and commonMetadata; every object gets the
 *      owner labels;
 *   5. apply: validation by dry-run before any write, staged server-side apply (spec.force),
 *      then prune of what left the inventory (spec.prune), then health (spec.wait or
 *      spec.healthChecks) within spec.timeout;
 *   6. status in one place: inventory, lastAppliedRevision, lastAttemptedRevision, conditions
 *      (Ready, Reconciling, Healthy) with Flux's reasons, observedGeneration,
 * lastHandledReconcileAt; an Event with the change set.
 *
 * A change of a GitRepository or OCIRepository queues the Kustomizations that use it. Drift is
 * noticed at once (DESIGN.md, commitment 2): every kind eddy applied is watched (objects with the
 * owner label; their metadata only), and when another field manager changes or removes a field eddy
 * applied (it leaves eddy's managedFields entry), or the object is deleted, its Kustomization
 * is queued: the reconcile finds the drift and applies Git again, in seconds rather than at
 * the next interval. Success requeues after spec.interval; failure after
 * spec.retryInterval (default: the interval).
 *
 * Flux's layer lives in files of its own: ks_render.c (the spec's kustomize fields, postBuild,
 * commonMetadata), dependson.c (dependsOn), ks_client.c (serviceAccountName impersonation and
 * kubeConfig), ks_health.c (healthChecks, the Healthy condition), ks_delete.c
 * (deletionPolicy), ks_ignore.c (spec.ignore), ks_history.c (status.history); the watches of
 * ks_configwatch.c (labelled ConfigMaps and Secrets) and ks_rbacwatch.c (RBAC, for the no-op
 * reconcile of a Kustomization that impersonates).
 *
 * Not built yet: SOPS with cloud KMS or Vault keys.
 *
 * Drift healing leaves room to tinker: a grace period (--drift-grace-period, or the annotation
 * eddy.dev/drift-grace-period on the Kustomization) delays the revert; each drift gets one
 * Warning event (DriftDetected) naming the object, the fields and the field manager.
 */
#include "ks_int.h"

#include "../apply/apply.h"
#include "../kustomize/kustomize.h"

#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define API_VERSION "kustomize.toolkit.fluxcd.io/v1"
#define KIND        "Kustomization"
#define MANAGER     "kustomize-controller"

/* A watch of one kind of applied object, to notice drift at once. */
struct drift_watch {
    char *api_version, *kind;
    ed_informer *inf;
};

struct ed_ks_controller {
    ed_ks_controller_opts o;
    ed_informer *self;              /* the Kustomization cache, to find users of a source */
    const ed_label_selector *shard; /* --watch-label-selector, or NULL (ed_ctrl_in_shard) */
    ed_informer *source;            /* the GitRepository cache */
    ed_informer *oci_source; /* the OCIRepository cache, or NULL when that kind is not served */
    ed_queue *queue;         /* our queue, fed from GitRepository changes and drift */
    ed_manager *manager;

    pthread_mutex_t drift_lock;
    pthread_mutex_t watch_lock; /* guards watches and watches_ended */
    struct drift_watch *watches;
    size_t nwatches;
    bool watches_ended;      /* ks_stop ran: no new watch */
    ed_strmap *seen;         /* object uid -> struct seen: eddy's fields, as last seen (owned) */
    ed_strmap *drift_events; /* object uid -> monotonic ms of its last drift event (owned) */
    ed_strmap *written;      /* inventory id -> resourceVersion eddy's last apply gave it */
    ed_strmap *deleting;     /* inventory ids eddy deletes (prune, recreate): no drift */
    ed_ks_config_watch *config_watch; /* labelled ConfigMaps and Secrets (ks_configwatch.c) */
    ed_ks_rbac_watch *rbac_watch;     /* RBAC, for impersonating ones (ks_rbacwatch.c) */
    ed_ks_deps *deps;                 /* who waits for which dependency (dependson.c) */
    ed_strmap *ignore_rules;   /* Kustomization key -> ed_doc of its spec.ignore (drift_lock) */
    pthread_mutex_t tree_lock; /* guards trees */
    pthread_cond_t tree_ready; /* a tree was unpacked (or failed to be) */
    struct tree *trees;        /* artifacts unpacked, shared by the reconciles of a revision */
    ed_strmap *holds;          /* inventory id -> struct hold: drift left alone for now */
    ed_strmap *memos;          /* "ns/name" -> struct memo: the last successful apply */
    ed_strmap *source_waits;   /* "ns/name" -> int64_t: when it began waiting (drift_lock) */
    ed_strmap *status_rv;      /* "ns/name" -> resourceVersion our last status write gave it */
    ed_strmap *source_seen;    /* source "kind/ns/name" -> artifact_of it, last seen (on_source) */
    ed_strmap *ttl_jobs; /* "ns/name" -> ids of its Jobs with a TTL, one a line (drift_lock) */
};

/* How long a Kustomization waits, writing nothing, for a source's first fetch. */
#define SOURCE_WAIT_MS 10000

/* A drifted object left alone until `until` (monotonic ms; INT64_MAX in detect-only mode). */
struct hold {
    int64_t until;
    char ks[512]; /* its Kustomization, "ns/name" */
    char subject[300];
};

/* What a build read, besides the spec: with the same object (uid) and generation, the same
 * states of these paths in a tree, the same postBuild variables and the same decryption Secret
 * give the same objects, so a later reconcile that changed none of them need not build again.
 * The controller's flags that change a build (--no-remote-bases, --feature-gates,
 * --sops-age-secret, --default-service-account) are fixed for the life of the process, as
 * the memo is. */
struct memo_build {
    ed_ks_inputs *inputs; /* the paths of the tree it read (owned), NULL when unknown */
    char inputs_fp[65];   /* their fingerprint in the tree it was built from */
    char vars[65];        /* the postBuild variables' hash, "" when none were read */
    char decryption[65];  /* the decryption Secret's hash, "" when none was read */
    char built[80];       /* Flux's history digest of the output ("sha256:<hex>") */
};

/* What the last successful apply of a Kustomization was made from. When a reconcile finds the
 * same generation and rendered objects (of this revision or another), and no drift was seen
 * since, the cluster provably holds what Git says: no dry-run and no write are needed. */
struct memo {
    char digest[65];
    char uid[64]; /* the Kustomization's: one deleted and made again starts at generation 1 */
    int64_t generation;
    uint64_t drifts;   /* drift seen on its objects, counted */
    uint64_t clean_at; /* the count when the cluster last matched: dirty while they differ */
    /* For a Kustomization that impersonates, the RBAC epoch (ed_ks_rbac_watch_ensure) before
     * its apply, plus one; 0 for one that does not. Its objects being those applied says
     * nothing once RBAC changed: the account may have lost the right to write them, which
     * only a dry-run tells (Flux's every reconcile does one). */
    uint64_t rbac;
    struct memo_build build;
};

struct outcome {
    const char *reason;
    char message[ED_ERR_MSG_MAX * 3];
    const char *revision;
    const char *origin_revision; /* the artifact's org.opencontainers.image.revision, or NULL */
    ed_apply_result *changes;    /* applied */
    ed_apply_result *pruned;     /* deleted (before a failure too) */
    const ed_apply_result *old_inventory; /* borrowed: status.inventory before this reconcile */
    char drift[1024];                     /* the Drifted condition's message, or "" */
    const char *healthy; /* the Healthy condition's status when health was checked, or NULL */
    char digest[80];     /* "sha256:<hex>" of the built YAML, once built ("" before) */
    int64_t started_ns;  /* when the reconcile started (monotonic), for the history */
    char health_message[ED_ERR_MSG_MAX * 2];
    bool ok;
    bool attempted;     /* past the source and dependency checks: lastAttemptedRevision moves */
    bool applied;       /* the apply succeeded: changes is the new inventory */
    bool no_health;     /* health was reached with nothing to check: no Healthy condition */
    bool stalled;       /* a terminal error (Flux's Stalled): no retry until the spec changes */
    bool noop;          /* nothing was sent: the cluster already held these objects */
    bool marked;        /* the progress marks were written: the status is not obj's any more */
    const char *stage;  /* Flux's progress step reached ("Building manifests"), NULL before */
    int64_t timeout_ms; /* spec.timeout as Flux reads it, for the stage's message */
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

/* ---- kustomization.yaml generation (Flux's generator, for plain directories) ---- */

/* ---- status ---- */

/* Remember the resourceVersion a status write of ours gave obj (none: nothing was sent). */
/* How a Kustomization's kubeConfig is sanitised (ed_ks_client). */
static unsigned kubeconfig_flags(const ed_ks_controller *c)
{
    return (c->o.insecure_kubeconfig_exec ? ED_KS_KUBECONFIG_EXEC : 0) |
           (c->o.insecure_kubeconfig_tls ? ED_KS_KUBECONFIG_TLS : 0);
}

static void remember_status_rv(ed_ks_controller *c, const ed_node *obj, const char *rv)
{
    if (!rv[0])
        return;
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", str_at(obj, "/metadata/namespace"),
             str_at(obj, "/metadata/name"));
    pthread_mutex_lock(&c->drift_lock);
    free(ed_strmap_put(c->status_rv, key, ed_xstrdup(rv)));
    pthread_mutex_unlock(&c->drift_lock);
}

/* True when the cached copy of a Kustomization is older than our last status write to it: the
 * watch has not delivered that write yet, and a reconcile must not work from (nor compare its
 * status with) what came before. resourceVersions are compared as the numbers the API server
 * gives; one that is not a number is taken as current. */
static bool older_than_our_write(ed_ks_controller *c, const char *key, const ed_node *obj)
{
    const char *have = str_at(obj, "/metadata/resourceVersion");
    pthread_mutex_lock(&c->drift_lock);
    const char *ours = ed_strmap_get(c->status_rv, key);
    bool older = false;
    if (have && ours) {
        char *e1, *e2;
        unsigned long long h = strtoull(have, &e1, 10), o = strtoull(ours, &e2, 10);
        older = !*e1 && !*e2 && h < o;
    }
    pthread_mutex_unlock(&c->drift_lock);
    return older;
}

static bool has_entry(const ed_apply_result *set, const char *id, bool deleted)
{
    for (size_t i = 0; set && i < set->n; i++)
        if ((set->entries[i].action == ED_APPLY_DELETED) == deleted &&
            strcmp(set->entries[i].id, id) == 0)
            return true;
    return false;
}

/* True when set lists id, whatever its action (a prune's Deleted and Skipped are settled). */
static bool in_set(const ed_apply_result *set, const char *id)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->entries[i].id, id) == 0)
            return true;
    return false;
}

static void add_inventory_entry(ed_doc *d, ed_node *entries, const ed_apply_entry *e)
{
    ed_node *m = ed_node_new_map(d);
    ed_node_set(d, m, "id", ed_node_new_str(d, e->id));
    ed_node_set(d, m, "v", ed_node_new_str(d, e->version));
    ed_node_append(d, entries, m);
}

/*
 * The inventory, as Flux writes it once the apply succeeded (before prune and health, so that
 * what a failed health check or prune leaves applied is still owned and pruned later): the
 * change set in apply order; after a failed prune, the old entries it neither deleted nor
 * skipped too, so that the next reconcile tries again (Flux's inventory.Merge).
 */
static void write_inventory(ed_doc *d, ed_node *status, const struct outcome *out)
{
    ed_node *entries = ed_node_new_seq(d);
    for (size_t i = 0; out->changes && i < out->changes->n; i++)
        if (out->changes->entries[i].action != ED_APPLY_DELETED)
            add_inventory_entry(d, entries, &out->changes->entries[i]);
    const ed_apply_result *old = out->old_inventory;
    bool prune_failed = out->reason && strcmp(out->reason, "PruneFailed") == 0;
    for (size_t i = 0; prune_failed && old && i < old->n; i++)
        if (!has_entry(out->changes, old->entries[i].id, false) &&
            !in_set(out->pruned, old->entries[i].id))
            add_inventory_entry(d, entries, &old->entries[i]);
    ed_node_set(d, ed_node_ensure_map(d, status, "/inventory"), "entries", entries);
}

/* Whether out applied a revision other than obj's lastAppliedRevision (obj as read before). */
static bool new_revision(const ed_node *obj, const struct outcome *out)
{
    const char *applied = str_at(obj, "/status/lastAppliedRevision");
    return out->ok && out->revision && (!applied || strcmp(applied, out->revision) != 0);
}

static int write_status(ed_ks_controller *c, const ed_node *obj, const struct outcome *out)
{
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    sp.always = out->marked;
    ed_doc *d = sp.doc;
    ed_node *status = sp.status, *conds = sp.conditions;
    int64_t gen = sp.generation;
    if (out->revision && out->attempted)
        ed_node_set(d, status, "lastAttemptedRevision", ed_node_new_str(d, out->revision));
    /* A reconcile that had nothing to do is not history (Flux counts it in
     * totalReconciliations; eddy leaves status unwritten so that it costs no request), unless
     * it applied a new revision: status is written then, and Flux's entry of the same objects
     * counts it and names the new revision. */
    if (out->digest[0] && (!out->noop || new_revision(obj, out)))
        ed_ks_history_record(d, status, ed_node_path(obj, "/status/history"), out->digest,
                             out->ok ? "ReconciliationSucceeded" : out->reason, out->revision,
                             out->origin_revision, ed_time_mono_ns() - out->started_ns);
    /* Healthy: only while wait or healthChecks ask for health (Flux). */
    bool wait = false;
    ed_node_bool(ed_node_path(obj, "/spec/wait"), &wait);
    if (out->healthy)
        ed_cond_set(d, conds, "Healthy", out->healthy,
                    strcmp(out->healthy, "True") == 0 ? "Succeeded" : "HealthCheckFailed",
                    out->health_message, gen);
    else if (out->no_health || (!wait && ed_node_len(ed_node_path(obj, "/spec/healthChecks")) == 0))
        ed_cond_remove(conds, "Healthy");
    if (out->ok) {
        ed_cond_set(d, conds, "Ready", "True", "ReconciliationSucceeded", out->message, gen);
        ed_cond_remove(conds, "Reconciling");
        ed_cond_remove(conds, "Stalled");
        ed_node_set(d, status, "observedGeneration", ed_node_new_int(d, gen));
        ed_node_set(d, status, "lastAppliedRevision", ed_node_new_str(d, out->revision));
        /* Flux's origin revision: the source's, when its artifact names one (an OCI artifact
         * pushed with --revision); none removes an earlier source's. */
        ed_node_set(d, status, "lastAppliedOriginRevision",
                    out->origin_revision ? ed_node_new_str(d, out->origin_revision)
                                         : ed_node_new_null(d));
    } else if (out->stalled) {
        ed_cond_set(d, conds, "Ready", "False", out->reason, out->message, gen);
        ed_cond_set(d, conds, "Stalled", "True", out->reason, out->message, gen);
        ed_cond_remove(conds, "Reconciling");
        ed_node_set(d, status, "observedGeneration", ed_node_new_int(d, gen));
    } else {
        ed_cond_set(d, conds, "Ready", "False", out->reason, out->message, gen);
        /* Reconciling, retried: past the source and dependency checks, with Flux's message of
         * the step its progress marks last reached ("Building manifests for revision R with a
         * timeout of T"). Before them Flux leaves it as it was, only its reason turned to
         * ProgressingWithRetry, and adds none: a Kustomization whose source never existed has
         * Ready=False alone (its observedGeneration, behind, tells kstatus it is in
         * progress). */
        char progress[sizeof(out->message)];
        const char *was = ed_cond_message(conds, "Reconciling");
        if (out->stage) {
            char t[32];
            ed_duration_string(out->timeout_ms * ED_NS_PER_MS, t);
            snprintf(progress, sizeof(progress), "%s for revision %s with a timeout of %s",
                     out->stage, out->revision ? out->revision : "", t);
        } else if (was) {
            snprintf(progress, sizeof(progress), "%s", was);
        }
        if (out->stage || was)
            ed_cond_set(d, conds, "Reconciling", "True", "ProgressingWithRetry", progress, gen);
        ed_cond_remove(conds, "Stalled");
    }
    if (out->applied)
        write_inventory(d, status, out);
    /* eddy's own condition (kstatus and Flux tools ignore types they do not know). */
    if (out->drift[0])
        ed_cond_set(d, conds, "Drifted", "True", "DriftDetected", out->drift, gen);
    else
        ed_cond_remove(conds, "Drifted");
    int rc = ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, "gotk-kustomize-controller",
                              "kustomization");
    remember_status_rv(c, obj, sp.written_rv);
    return rc;
}

/* Flux's progress marks before a build that may change something (a new revision or
 * generation, or not ready): Reconciling=True/Progressing "Fetching manifests for revision R
 * with a timeout of T" and Ready=Unknown/Progressing "Reconciliation in progress", so that
 * dependents and `get` see the work in flight. A reconcile with nothing new writes nothing.
 * True when the marks were sent: the outcome must then be written whatever obj says. */
static bool write_progressing(ed_ks_controller *c, const ed_node *obj, const char *revision,
                              int64_t timeout_ms)
{
    int64_t gen = 0, observed = -1;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &observed);
    const char *applied = str_at(obj, "/status/lastAppliedRevision");
    const char *ready = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready");
    if (gen == observed && applied && revision && strcmp(applied, revision) == 0 && ready &&
        strcmp(ready, "True") == 0)
        return false;
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    /* lastHandledReconcileAt waits for the outcome: `eddy reconcile` reads it as "done". */
    ed_node_remove(sp.status, "lastHandledReconcileAt");
    char t[32], msg[ED_ERR_MSG_MAX];
    ed_duration_string(timeout_ms * ED_NS_PER_MS, t);
    snprintf(msg, sizeof(msg), "Fetching manifests for revision %s with a timeout of %s",
             revision ? revision : "", t);
    ed_cond_set(sp.doc, sp.conditions, "Reconciling", "True", "Progressing", msg, sp.generation);
    ed_cond_set(sp.doc, sp.conditions, "Ready", "Unknown", "Progressing",
                "Reconciliation in progress", sp.generation);
    ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, "gotk-kustomize-controller",
                     "kustomization");
    remember_status_rv(c, obj, sp.written_rv);
    return true;
}

/* What write_health_progress needs. */
struct health_progress {
    ed_ks_controller *c;
    const ed_node *obj;
    const char *revision;
    int64_t timeout_ms;
    bool marked; /* the first marks were written (else no-op reconciles would write too) */
};

/* Flux's marks before it waits for health: Reconciling=True/Progressing and Healthy=Unknown/
 * Progressing "Running health checks for revision R with a timeout of T", Ready still
 * Unknown "Reconciliation in progress" (the first marks', which this write replaces). */
static void write_health_progress(void *user)
{
    struct health_progress *hp = user;
    if (!hp->marked)
        return;
    ed_status_patch sp;
    ed_status_begin(&sp, hp->obj);
    sp.always = true;
    ed_node_remove(sp.status, "lastHandledReconcileAt");
    char t[32], msg[ED_ERR_MSG_MAX];
    ed_duration_string(hp->timeout_ms * ED_NS_PER_MS, t);
    snprintf(msg, sizeof(msg), "Running health checks for revision %s with a timeout of %s",
             hp->revision ? hp->revision : "", t);
    ed_cond_set(sp.doc, sp.conditions, "Reconciling", "True", "Progressing", msg, sp.generation);
    ed_cond_set(sp.doc, sp.conditions, "Healthy", "Unknown", "Progressing", msg, sp.generation);
    ed_cond_set(sp.doc, sp.conditions, "Ready", "Unknown", "Progressing",
                "Reconciliation in progress", sp.generation);
    ed_status_commit(&sp, hp->c->o.kube, API_VERSION, KIND, hp->obj, "gotk-kustomize-controller",
                     "kustomization");
    remember_status_rv(hp->c, hp->obj, sp.written_rv);
}

/* The status of a suspended Kustomization, as Flux's finalizeStatus leaves it (it runs on
 * every exit, suspended too): the reconcile request handled, and when Ready is True,
 * observedGeneration following the generation (suspending bumps it) and no Reconciling, so
 * that kstatus (a parent's health check, `kubectl wait`) sees it current, not in progress for
 * ever. Nothing is sent when that changes nothing. */
static void write_suspended(ed_ks_controller *c, const ed_node *obj)
{
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    const char *ready = ed_cond_status(sp.conditions, "Ready");
    if (ready && strcmp(ready, "True") == 0) {
        ed_cond_remove(sp.conditions, "Reconciling");
        ed_node_set(sp.doc, sp.status, "observedGeneration",
                    ed_node_new_int(sp.doc, sp.generation));
    }
    ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, "gotk-kustomize-controller",
                     "kustomization");
    remember_status_rv(c, obj, sp.written_rv);
}

/* An Event about obj, with Flux's revision and originRevision annotations (and commit_status:
 * update when asked). */
static void ks_event(ed_ks_controller *c, const ed_node *obj, const char *type, const char *reason,
                     const char *note, const char *revision, const char *origin_revision,
                     bool commit_status)
{
    const char *annotations[7] = {NULL};
    int n = 0;
    if (revision) {
        annotations[n++] = "kustomize.toolkit.fluxcd.io/revision";
        annotations[n++] = revision;
    }
    if (origin_revision) {
        annotations[n++] = "kustomize.toolkit.fluxcd.io/originRevision";
        annotations[n++] = origin_revision;
    }
    if (commit_status) {
        annotations[n++] = "kustomize.toolkit.fluxcd.io/commit_status";
        annotations[n++] = "update";
    }
    ed_ctrl_record_event_as(c->o.kube, obj, MANAGER, "kustomization", type, reason, note,
                            n ? annotations : NULL);
}

/*
 * Flux's change-set Event, sent as soon as the apply (or the prune) is done, whatever comes
 * after: one line per object created or configured ("Deployment/apps/web configured"), or,
 * for a prune, per object deleted or skipped (kept: not ours any more, or opted out), as
 * Flux's prune event lists its whole change set; none when nothing changed. Its reason is
 * Ready's at that moment, Progressing, as Flux's.
 */
/* Append the lines of a change set to out ("Deployment/apps/web configured", joined by '\n'):
 * what was created, configured or deleted, and with prune what was skipped too. */
static void change_lines(const ed_apply_result *set, bool prune, ed_buf *out)
{
    for (size_t i = 0; set && i < set->n; i++) {
        ed_apply_action a = set->entries[i].action;
        const char *verb = a == ED_APPLY_CREATED            ? "created"
                           : a == ED_APPLY_CONFIGURED       ? "configured"
                           : a == ED_APPLY_DELETED          ? "deleted"
                           : a == ED_APPLY_SKIPPED && prune ? "skipped"
                                                            : NULL;
        if (verb)
            ed_buf_printf(out, "%s%s %s", out->len ? "\n" : "", set->entries[i].subject, verb);
    }
}

/* Flux's message of a failed apply: the error, a newline, then a line ending in a newline for
 * each object the stages before the failure created or configured ("Namespace/apps created"),
 * so a dry-run refused before any write ends in one newline. */
static void apply_failure_message(const ed_err *err, const ed_apply_result *partial, char *msg,
                                  size_t cap)
{
    ed_buf lines = ED_BUF_INIT((size_t)1 << 20);
    change_lines(partial, false, &lines);
    snprintf(msg, cap, "%s\n%s%s", err->msg, lines.len ? lines.data : "", lines.len ? "\n" : "");
    ed_buf_free(&lines);
}

static void change_event(ed_ks_controller *c, const ed_node *obj, const ed_apply_result *set,
                         bool prune, const struct outcome *out)
{
    ed_buf note = ED_BUF_INIT((size_t)1 << 20);
    change_lines(set, prune, &note);
    if (note.len)
        ks_event(c, obj, "Normal", "Progressing", note.data, out->revision, out->origin_revision,
                 false);
    /* Flux's line for a prune that did something (its Event's lines). */
    if (note.len && prune) {
        ed_buf msg = ED_BUF_INIT((size_t)1 << 20);
        ed_buf_printf(&msg, "garbage collection completed: %s", note.data);
        ed_log(ED_LOG_INFO, msg.data, "controller", "kustomization", "name",
               str_at(obj, "/metadata/name"), "namespace", str_at(obj, "/metadata/namespace"),
               NULL);
        ed_buf_free(&msg);
    }
    ed_buf_free(&note);
}

static int by_subject(const void *a, const void *b)
{
    const ed_apply_entry *x = *(const ed_apply_entry *const *)a;
    const ed_apply_entry *y = *(const ed_apply_entry *const *)b;
    return strcmp(x->subject, y->subject);
}

/* Flux's line after an apply: every object's action ("output", a map of subject to action,
 * in the subjects' order as Go writes a map) and the revision. A no-op's objects are all
 * unchanged, as Flux's dry-run finds them. */
static void log_applied(const ed_node *obj, const ed_apply_result *set, const char *revision)
{
    if (!set || set->n == 0)
        return;
    const ed_apply_entry **sorted = ed_xcalloc(set->n, sizeof(const ed_apply_entry *));
    for (size_t i = 0; i < set->n; i++)
        sorted[i] = &set->entries[i];
    qsort(sorted, set->n, sizeof(const ed_apply_entry *), by_subject);
    /* (within the log line's cap, ED_LOG_LINE_MAX: a larger change set is not logged rather
     * than logged as a broken line) */
    ed_buf output = ED_BUF_INIT(ED_LOG_LINE_MAX / 2);
    int full = ed_buf_append(&output, "{", 1);
    for (size_t i = 0; i < set->n && !full; i++) {
        char action[16];
        snprintf(action, sizeof(action), "%s", ed_apply_action_name(sorted[i]->action));
        action[0] = (char)tolower((unsigned char)action[0]);
        if (i)
            full |= ed_buf_append(&output, ",", 1);
        full |= ed_buf_append_json_str(&output, sorted[i]->subject);
        full |= ed_buf_append(&output, ":", 1);
        full |= ed_buf_append_json_str(&output, action);
    }
    full |= ed_buf_append(&output, "}", 1);
    if (!full)
        ed_log(ED_LOG_INFO, "server-side apply completed", "controller", "kustomization", "name",
               str_at(obj, "/metadata/name"), "namespace", str_at(obj, "/metadata/namespace"),
               ED_LOG_JSON_KEY("output"), output.data, "revision", revision ? revision : "", NULL);
    ed_buf_free(&output);
    free(sorted);
}

/* Flux's Normal Event "Health check passed in D" (reason Progressing: Ready's while the
 * reconcile runs), when the objects were not healthy before (a first check, a recovery) or a
 * new revision changed some of them. */
static void health_event(ed_ks_controller *c, const ed_node *obj, const struct outcome *out)
{
    const char *was = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Healthy");
    const char *applied = str_at(obj, "/status/lastAppliedRevision");
    bool new_revision = !applied || !out->revision || strcmp(applied, out->revision) != 0;
    bool changed = false;
    for (size_t i = 0; !out->noop && out->changes && i < out->changes->n; i++)
        changed = changed || out->changes->entries[i].action == ED_APPLY_CREATED ||
                  out->changes->entries[i].action == ED_APPLY_CONFIGURED;
    if (!was || strcmp(was, "True") != 0 || (new_revision && changed))
        ks_event(c, obj, "Normal", "Progressing", out->health_message, out->revision,
                 out->origin_revision, false);
}

/* The outcome's Event: Flux's "Reconciliation finished in D, next run in I" after a
 * reconcile that did its work (a no-op resync sends none, so that it costs no request), or
 * the Warning with Ready's reason and message. */
static void record_event(ed_ks_controller *c, const ed_node *obj, const struct outcome *out,
                         int64_t interval_ms)
{
    if (!out->ok) {
        ks_event(c, obj, "Warning", out->reason, out->message, out->revision, out->origin_revision,
                 false);
        return;
    }
    /* A no-op has nothing to tell, unless it is of a new revision (whose commit status the
     * notification-controller sets from this Event, as from Flux's). */
    if (out->noop && !new_revision(obj, out))
        return;
    char took[32], next[32], msg[128];
    ed_duration_string(ed_time_mono_ns() - out->started_ns, took);
    ed_duration_string(interval_ms * ED_NS_PER_MS, next);
    snprintf(msg, sizeof(msg), "Reconciliation finished in %s, next run in %s", took, next);
    ks_event(c, obj, "Normal", "ReconciliationSucceeded", msg, out->revision, out->origin_revision,
             true);
}

/* Flux's line at the end of a reconcile that leaves Ready True (deletion included, suspension
 * not): how long it took and when the next run is, with the revision last attempted. */
static void log_finished(const ed_node *obj, int64_t started_ns, int64_t interval_ms,
                         const char *revision)
{
    char took[32], next[32], msg[128];
    ed_duration_string(ed_time_mono_ns() - started_ns, took);
    ed_duration_string(interval_ms * ED_NS_PER_MS, next);
    snprintf(msg, sizeof(msg), "Reconciliation finished in %s, next run in %s", took, next);
    ed_log(ED_LOG_INFO, msg, "controller", "kustomization", "name", str_at(obj, "/metadata/name"),
           "namespace", str_at(obj, "/metadata/namespace"), "revision", revision ? revision : "",
           NULL);
}

/* Flux's Normal event while dependencies are not ready. */
static void dependency_event(ed_ks_controller *c, const ed_node *obj, const struct outcome *out,
                             int64_t wait_ms)
{
    char d[32], note[128];
    ed_duration_string(wait_ms * ED_NS_PER_MS, d);
    snprintf(note, sizeof(note), "Dependencies do not meet ready condition, retrying in %s", d);
    ed_log(ED_LOG_INFO, note, "controller", "kustomization", "name", str_at(obj, "/metadata/name"),
           "namespace", str_at(obj, "/metadata/namespace"), NULL);
    ks_event(c, obj, "Normal", out->reason, note, out->revision, out->origin_revision, false);
}

/* ---- finalizer and inventory ---- */

/* The inventory in status, as change-set entries (owned by the result). */
static ed_apply_result *old_inventory(const ed_node *obj)
{
    ed_apply_result *r = ed_xcalloc(1, sizeof(*r));
    ed_node *entries = ed_node_path(obj, "/status/inventory/entries");
    size_t n = ed_node_len(entries);
    r->entries = ed_xcalloc(n ? n : 1, sizeof(*r->entries));
    for (size_t i = 0; i < n; i++) {
        const char *id = str_at(ed_node_at(entries, i), "/id");
        const char *v = str_at(ed_node_at(entries, i), "/v");
        ed_apply_id_parts p;
        if (!id || !v || !ed_apply_id_parse(id, &p))
            continue;
        /* Flux's way to name an object: Kind/namespace/name, Kind/name when cluster-scoped */
        char *subject = p.ns[0] ? ed_xasprintf("%s/%s/%s", p.kind, p.ns, p.name)
                                : ed_xasprintf("%s/%s", p.kind, p.name);
        r->entries[r->n++] =
            (ed_apply_entry){ed_xstrdup(id), ed_xstrdup(v), subject, ED_APPLY_UNCHANGED, false};
    }
    return r;
}

/* ---- drift: watch what was applied ---- */

/* What the drift watch remembers of an object: eddy's own managedFields entry (its Apply) as
 * last seen. Drift is a change to a field eddy owns, and whoever changes one takes it from
 * eddy (an update, a forced apply) or removes it: either way it leaves eddy's entry, which is
 * what a metadata-only watch can see. A status update, a field of someone else's, or another
 * manager applying the values eddy applied leave eddy's entry as it was: no drift. */
struct seen {
    char time[40];   /* eddy's entry's time at the last event, "" without one */
    char writes[65]; /* digest of every managedFields entry but the status writers' then */
    char *base;      /* eddy's fieldsV1 (compact JSON) after its last write, or NULL */
    char owner[512]; /* its Kustomization ("ns/name") as of eddy's last write: a hand-edited
                      * owner label is drift of that one */
};

static void seen_free(struct seen *s)
{
    if (s)
        free(s->base);
    free(s);
}

/* The digest of obj's managedFields less the status writers' entries: it moves with every
 * write but a status update (a field's owner, or a writer's time). */
static void writes_digest(const ed_node *obj, char out[65])
{
    const ed_node *mf = ed_node_path(obj, "/metadata/managedFields");
    ed_buf b = ED_BUF_INIT((size_t)16 << 20);
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        const ed_node *e = ed_node_at(mf, i);
        const char *sub = str_at(e, "/subresource");
        if (!sub || strcmp(sub, "status") != 0)
            ed_node_to_json(e, &b);
    }
    ed_sha256_hex(b.data ? b.data : "", b.len, out);
    ed_buf_free(&b);
}

/* node as compact JSON (a new string), or NULL when it does not fit 16 MiB. */
static char *to_json(const ed_node *node)
{
    ed_buf b = ED_BUF_INIT((size_t)16 << 20);
    if (ed_node_to_json(node, &b) != 0) {
        ed_buf_free(&b);
        return NULL;
    }
    return ed_buf_take(&b);
}

/* eddy's Apply entry in obj's managedFields, or NULL. */
static const ed_node *own_entry(const ed_node *obj)
{
    const ed_node *mf = ed_node_path(obj, "/metadata/managedFields");
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        const ed_node *e = ed_node_at(mf, i);
        const char *m = str_at(e, "/manager"), *op = str_at(e, "/operation");
        if (m && strcmp(m, MANAGER) == 0 && op && strcmp(op, "Apply") == 0 &&
            !str_at(e, "/subresource"))
            return e;
    }
    return NULL;
}

/* What of before (a fieldsV1 tree) after lacks, as a fieldsV1 tree made in doc; NULL when
 * after holds all of it. */
static ed_node *lost_fields(ed_doc *doc, const ed_node *before, const ed_node *after)
{
    ed_node *out = NULL;
    for (size_t i = 0; i < ed_node_len(before); i++) {
        const char *k = ed_node_key_at(before, i);
        if (!k)
            continue;
        const ed_node *was = ed_node_value_at(before, i), *is = ed_node_get(after, k);
        ed_node *gone = is ? lost_fields(doc, was, is) : ed_node_copy(doc, was);
        if (!gone)
            continue;
        if (!out)
            out = ed_node_new_map(doc);
        ed_node_set(doc, out, k, gone);
    }
    return out;
}

/* True when the fieldsV1 trees a and b name a field in common. */
static bool share_a_field(const ed_node *a, const ed_node *b)
{
    for (size_t i = 0; i < ed_node_len(b); i++) {
        const char *k = ed_node_key_at(b, i);
        const ed_node *in_a = k ? ed_node_get(a, k) : NULL;
        if (!in_a)
            continue;
        const ed_node *in_b = ed_node_value_at(b, i);
        if (ed_node_len(in_a) == 0 || ed_node_len(in_b) == 0 || share_a_field(in_a, in_b))
            return true;
    }
    return false;
}

/* Append the field paths below a fieldsV1 node ("f:spec" -> "f:replicas" gives spec.replicas),
 * at most *budget of them. */
static void field_paths(const ed_node *fields, const char *prefix, ed_buf *out, int *budget)
{
    size_t n = ed_node_len(fields);
    bool leaf = true;
    for (size_t i = 0; i<n && * budget> 0; i++) {
        const char *k = ed_node_key_at(fields, i);
        if (!k || strcmp(k, ".") == 0)
            continue;
        leaf = false;
        char *path;
        if (ed_str_has_prefix(k, "f:"))
            path = ed_xasprintf("%s%s%s", prefix, *prefix ? "." : "", k + 2);
        else
            path = ed_xasprintf("%s[%s]", prefix, k + 2); /* k:{...} or v:... items */
        field_paths(ed_node_value_at(fields, i), path, out, budget);
        free(path);
    }
    if (leaf && *prefix && *budget > 0) {
        ed_buf_printf(out, "%s%s", out->len ? ", " : "", prefix);
        (*budget)--;
    }
}

/* The field manager other than eddy that owns one of the fields eddy lost (the newest one,
 * status writers aside; an entry of the scale subresource has no time and counts as newest),
 * or NULL: a field removed has no owner. Who to name in a drift event. */
static const char *new_owner(const ed_node *obj, const ed_node *lost)
{
    const ed_node *mf = ed_node_path(obj, "/metadata/managedFields");
    const char *best = NULL, *best_time = "";
    for (size_t i = 0; i < ed_node_len(mf); i++) {
        const ed_node *e = ed_node_at(mf, i);
        const char *m = str_at(e, "/manager"), *sub = str_at(e, "/subresource");
        if (!m || strcmp(m, MANAGER) == 0 || (sub && strcmp(sub, "status") == 0) ||
            !share_a_field(ed_node_get(e, "fieldsV1"), lost))
            continue;
        const char *t = str_at(e, "/time");
        if (!t)
            t = "9999";
        if (strcmp(t, best_time) >= 0) { /* RFC 3339 in UTC orders as text */
            best = m;
            best_time = t;
        }
    }
    return best;
}

/* The grace period before drift of Kustomization ns/name is healed: its annotation, or the
 * controller-wide default. */
static int64_t grace_for(ed_ks_controller *c, const char *ns, const char *name, ed_doc **ks)
{
    int64_t grace = c->o.drift_grace_ms;
    *ks = ed_informer_get(c->self, ns, name);
    const char *v =
        *ks ? ed_node_str(ed_node_get(ed_node_path(ed_doc_root(*ks), "/metadata/annotations"),
                                      ED_DRIFT_GRACE_ANNOTATION))
            : NULL;
    int64_t parsed;
    if (v && ed_duration_parse(v, &parsed, NULL) == 0 && parsed >= 0)
        grace = parsed;
    return grace;
}

/* True when Kustomization ks (a cached copy, may be NULL) only reports drift. */
static bool detect_only(const ed_doc *ks)
{
    const char *v =
        ks ? ed_node_str(ed_node_get(ed_node_path(ed_doc_root(ks), "/metadata/annotations"),
                                     ED_DRIFT_MODE_ANNOTATION))
           : NULL;
    return v && strcmp(v, "detect-only") == 0;
}

/* Hold obj (drifted) back until now + grace, unless a hold of the same episode runs already;
 * mark its Kustomization's memo dirty. Called with drift_lock held. */
static void hold_locked(ed_ks_controller *c, const ed_node *obj, const char *key, int64_t grace,
                        bool forever)
{
    struct memo *m = ed_strmap_get(c->memos, key);
    if (!m) {
        /* Drift during a first reconcile (no memo yet): counted all the same, so that the
         * memo it stores is not clean (its digest matches nothing until then). */
        m = ed_xcalloc(1, sizeof(*m));
        ed_strmap_put(c->memos, key, m);
    }
    m->drifts++;
    if (grace <= 0 && !forever)
        return;
    char *id = ed_apply_id(obj);
    int64_t now = ed_time_mono_ms();
    struct hold *h = ed_strmap_get(c->holds, id);
    if (!h || h->until <= now) {
        if (!h) {
            h = ed_xcalloc(1, sizeof(*h));
            ed_strmap_put(c->holds, id, h);
        }
        h->until = forever ? INT64_MAX : now + grace;
        snprintf(h->ks, sizeof(h->ks), "%s", key);
        const char *kind = str_at(obj, "/kind"), *ons = str_at(obj, "/metadata/namespace");
        snprintf(h->subject, sizeof(h->subject), "%s/%s%s%s", kind ? kind : "", ons ? ons : "",
                 ons ? "/" : "", str_at(obj, "/metadata/name"));
    }
    free(id);
}

/* Objects of inventory that kept (may be NULL) lacks are about to be deleted by eddy (prune,
 * the Kustomization's own deletion): their DELETED events are no drift. */
static void expect_deletions(ed_ks_controller *c, const ed_apply_result *inventory,
                             const ed_apply_result *kept)
{
    pthread_mutex_lock(&c->drift_lock);
    for (size_t i = 0; inventory && i < inventory->n; i++)
        if (!kept || !has_entry(kept, inventory->entries[i].id, false))
            ed_strmap_put(c->deleting, inventory->entries[i].id, NULL);
    pthread_mutex_unlock(&c->drift_lock);
}

/* ed_apply_opts.deleting: the apply engine deletes an object to create it again. */
static void deleting(const char *id, void *user)
{
    ed_ks_controller *c = user;
    pthread_mutex_lock(&c->drift_lock);
    ed_strmap_put(c->deleting, id, NULL);
    pthread_mutex_unlock(&c->drift_lock);
}

/* ed_apply_opts.written: eddy just wrote obj (the API's reply). Its resourceVersion marks the
 * watch event of this write as eddy's, and its entry becomes at once the base that drift is
 * judged against: an event that beats the reply within the second of an earlier write of
 * eddy's (the entry's time does not move) is not known for eddy's and keeps the old base. */
static void written(const ed_node *obj, void *user)
{
    ed_ks_controller *c = user;
    const ed_node *labels = ed_node_path(obj, "/metadata/labels");
    const char *ks = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/name"));
    const char *ksns = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/namespace"));
    const char *rv = str_at(obj, "/metadata/resourceVersion");
    const char *uid = str_at(obj, "/metadata/uid");
    const ed_node *own = own_entry(obj);
    const char *own_time = own ? str_at(own, "/time") : NULL;
    char *id = ed_apply_id(obj);
    pthread_mutex_lock(&c->drift_lock);
    if (rv)
        free(ed_strmap_put(c->written, id, ed_xstrdup(rv)));
    struct seen *s = uid ? ed_strmap_get(c->seen, uid) : NULL;
    if (s && own) {
        free(s->base);
        s->base = to_json(ed_node_get(own, "fieldsV1"));
        if (own_time && strcmp(own_time, s->time) > 0)
            snprintf(s->time, sizeof(s->time), "%s", own_time);
        if (ks && ksns)
            snprintf(s->owner, sizeof(s->owner), "%s/%s", ksns, ks);
    }
    pthread_mutex_unlock(&c->drift_lock);
    free(id);
}

/* The apply engine's question: is this object held back now? */
static bool is_held(const char *id, void *user)
{
    ed_ks_controller *c = user;
    pthread_mutex_lock(&c->drift_lock);
    struct hold *h = ed_strmap_get(c->holds, id);
    bool held = h && h->until > ed_time_mono_ms();
    pthread_mutex_unlock(&c->drift_lock);
    return held;
}

/* Drop the holds of Kustomization key (a new revision applies everything), or only the
 * expired ones (all == false). */
static void release_holds(ed_ks_controller *c, const char *key, bool all)
{
    int64_t now = ed_time_mono_ms();
    pthread_mutex_lock(&c->drift_lock);
    size_t pos = 0, n = 0;
    const char *id;
    void *v;
    char **drop = NULL;
    while (ed_strmap_next(c->holds, &pos, &id, &v)) {
        struct hold *h = v;
        if (strcmp(h->ks, key) == 0 && (all || h->until <= now)) {
            drop = ed_xrealloc(drop, (n + 1) * sizeof(*drop));
            drop[n++] = ed_xstrdup(id);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(ed_strmap_del(c->holds, drop[i]));
        free(drop[i]);
    }
    free(drop);
    pthread_mutex_unlock(&c->drift_lock);
}

/* The holds of Kustomization key active at now: how many, the first subjects, and the earliest
 * end. */
static size_t active_holds(ed_ks_controller *c, const char *key, int64_t now, ed_buf *subjects,
                           int64_t *until)
{
    size_t n = 0;
    *until = INT64_MAX;
    pthread_mutex_lock(&c->drift_lock);
    size_t pos = 0;
    const char *id;
    void *v;
    while (ed_strmap_next(c->holds, &pos, &id, &v)) {
        struct hold *h = v;
        if (strcmp(h->ks, key) != 0 || h->until <= now)
            continue;
        if (n < 3)
            ed_buf_printf(subjects, "%s%s", n ? ", " : "", h->subject);
        n++;
        if (h->until < *until)
            *until = h->until;
    }
    pthread_mutex_unlock(&c->drift_lock);
    if (n > 3)
        ed_buf_printf(subjects, " and %zu more", n - 3);
    return n;
}

static void on_drift(ed_kube_event_type type, const ed_node *obj, void *user)
{
    ed_ks_controller *c = user;
    const ed_node *labels = ed_node_path(obj, "/metadata/labels");
    const char *ks = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/name"));
    const char *ksns = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/namespace"));
    const char *uid = str_at(obj, "/metadata/uid");
    if (!ks || !ksns || !uid)
        return;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ksns, ks);
    const ed_node *own = type == ED_KUBE_DELETED ? NULL : own_entry(obj);
    const char *own_time = own ? str_at(own, "/time") : NULL;
    char writes[65] = "";
    if (type != ED_KUBE_DELETED)
        writes_digest(obj, writes);
    char *id = ed_apply_id(obj);
    const char *rv = str_at(obj, "/metadata/resourceVersion");
    bool first = false, ours = false, wrote = true;
    ed_doc *base = NULL; /* eddy's fields after its last write, when someone else wrote since */
    pthread_mutex_lock(&c->drift_lock);
    struct seen *s = ed_strmap_get(c->seen, uid);
    if (type == ED_KUBE_DELETED) {
        if (s && s->owner[0])
            snprintf(key, sizeof(key), "%s", s->owner);
        seen_free(ed_strmap_del(c->seen, uid));
        free(ed_strmap_del(c->written, id));
        /* eddy's own deletion (prune, a forced recreate): not drift; nor that of an object
         * eddy would not create again (reconcile: disabled, ssa: Ignore) */
        ours = ed_strmap_has(c->deleting, id) || ed_apply_opted_out(obj);
        ed_strmap_del(c->deleting, id);
    } else {
        first = !s;
        if (first) {
            s = ed_xcalloc(1, sizeof(*s));
            ed_strmap_put(c->seen, uid, s);
        }
        /* eddy's own write: a resourceVersion an apply reported, or (when the event beats
         * the apply's reply) its entry's time moved, which only its own write does (to the
         * second). */
        const char *written = ed_strmap_get(c->written, id);
        ours = (own_time && strcmp(own_time, s->time) > 0) ||
               (written && rv && strcmp(written, rv) == 0);
        wrote = strcmp(writes, s->writes) != 0;
        /* An object eddy never writes once it exists (reconcile: disabled, ssa: Ignore or
         * IfNotPresent) has no drift but its deletion: what others write is theirs. */
        if (ed_apply_opted_out(obj) || ed_apply_if_not_present(obj))
            wrote = false;
        snprintf(s->time, sizeof(s->time), "%s", own_time ? own_time : "");
        snprintf(s->writes, sizeof(s->writes), "%s", writes);
        if (first || ours || type == ED_KUBE_ADDED) {
            /* serialized only here: most events (status updates) keep the base as it is */
            free(s->base);
            s->base = own ? to_json(ed_node_get(own, "fieldsV1")) : NULL;
            snprintf(s->owner, sizeof(s->owner), "%s", key);
        } else if (s->owner[0]) {
            snprintf(key, sizeof(key), "%s", s->owner);
        }
        if (!first && !ours && type != ED_KUBE_ADDED && wrote && s->base &&
            ed_doc_parse_json(s->base, strlen(s->base), &base, NULL) != 0)
            base = NULL;
    }
    pthread_mutex_unlock(&c->drift_lock);
    free(id);
    /* A new object (ADDED, or first seen) is what an apply just did; only changes and
     * deletions count. */
    if (first || type == ED_KUBE_ADDED) {
        ed_doc_free(base);
        return;
    }
    /* Drift: someone else wrote, and eddy's entry lacks fields it had after eddy's last write
     * (taken over or removed), other than those spec.ignore leaves to others. While drift
     * is left alone (a grace period, detect-only), each further write counts again. */
    ed_doc *scratch = ed_doc_new();
    ed_node *lost = NULL;
    if (type != ED_KUBE_DELETED && !ours) {
        lost = base ? lost_fields(scratch, ed_doc_root(base),
                                  own ? ed_node_get(own, "fieldsV1") : NULL)
                    : NULL;
        bool ignored = false, need_live = false;
        if (lost) {
            pthread_mutex_lock(&c->drift_lock);
            ed_doc *r = ed_strmap_get(c->ignore_rules, key);
            ignored = r && ed_ks_ignore_covers(ed_doc_root(r), obj, NULL, lost, &need_live);
            pthread_mutex_unlock(&c->drift_lock);
        }
        if (need_live) {
            /* a rule names a list item by its index (/spec/template/spec/containers/0/image):
             * the watch holds metadata only, the live object tells which item that is */
            ed_doc *live = NULL;
            ed_err gerr = ED_ERR_INIT;
            if (ed_kube_get(c->o.kube, str_at(obj, "/apiVersion"), str_at(obj, "/kind"),
                            str_at(obj, "/metadata/namespace"), str_at(obj, "/metadata/name"),
                            &live, &gerr) == 0) {
                pthread_mutex_lock(&c->drift_lock);
                ed_doc *r = ed_strmap_get(c->ignore_rules, key);
                ignored =
                    r && ed_ks_ignore_covers(ed_doc_root(r), obj, ed_doc_root(live), lost, NULL);
                pthread_mutex_unlock(&c->drift_lock);
            }
            ed_doc_free(live);
        }
        if (!lost || ignored) {
            ed_doc_free(scratch);
            ed_doc_free(base);
            return;
        }
    }
    ed_doc_free(base);
    ed_log(ED_LOG_DEBUG, "object changed", "controller", "kustomization", "object",
           str_at(obj, "/metadata/name"), "ours", ours ? "true" : "false", "resourceVersion",
           str_at(obj, "/metadata/resourceVersion"), NULL);
    const char *writer = lost ? new_owner(obj, lost) : NULL;
    ed_buf paths = ED_BUF_INIT(4096);
    int budget = 5;
    if (lost)
        field_paths(lost, "", &paths, &budget);
    if (ours) {
        /* eddy's own write (a revert, or a new revision): not drift, and the end of a drift
         * episode: the next drift of this object is announced again. */
        pthread_mutex_lock(&c->drift_lock);
        free(ed_strmap_del(c->drift_events, uid));
        char *oid = ed_apply_id(obj);
        free(ed_strmap_del(c->holds, oid));
        free(oid);
        pthread_mutex_unlock(&c->drift_lock);
        ed_buf_free(&paths);
        ed_doc_free(scratch);
        return; /* the reconcile that wrote it is running: no need to queue another */
    }
    ed_doc *ksdoc = NULL;
    /* The owner as of eddy's last write (a hand-edited owner label is that one's drift). */
    char owner_ns[256];
    const char *owner = ed_key_split(key, owner_ns, sizeof(owner_ns));
    int64_t grace = grace_for(c, owner_ns, owner, &ksdoc);
    bool report_only = detect_only(ksdoc);
    pthread_mutex_lock(&c->drift_lock);
    hold_locked(c, obj, key, grace, report_only);
    pthread_mutex_unlock(&c->drift_lock);
    if (c->o.metrics) {
        /* Every drift counts, announced or not: a steady rise shows something fighting eddy. */
        ed_buf mlabels = ED_BUF_INIT(1024);
        ed_metrics_labels(&mlabels, "kind", KIND, "name", owner, "namespace", owner_ns, NULL);
        ed_metrics_counter_add(c->o.metrics, "eddy_drift_detected_total", mlabels.data, 1);
        ed_buf_free(&mlabels);
    }
    /* One event per drift episode (from the first change until eddy's revert), however often
     * someone keeps changing the object meanwhile: no event storm when something fights eddy.
     * Episodes that repeat with the same message add to one Event's series count. */
    /* In detect-only mode drift is never reverted, so an episode never ends: repeat the news
     * at most every five minutes. */
    int64_t now = ed_time_mono_ms(), quiet = report_only ? 300000 : grace > 0 ? grace : 1000;
    pthread_mutex_lock(&c->drift_lock);
    int64_t *last = ed_strmap_get(c->drift_events, uid);
    bool announce = !last || now - *last >= quiet;
    if (announce) {
        if (!last) {
            last = ed_xmalloc(sizeof(*last));
            ed_strmap_put(c->drift_events, uid, last);
        }
        *last = now;
    }
    pthread_mutex_unlock(&c->drift_lock);
    if (announce && ksdoc) {
        const char *kind = str_at(obj, "/kind"), *ons = str_at(obj, "/metadata/namespace");
        bool deleted = type == ED_KUBE_DELETED;
        char then[64];
        if (report_only) {
            snprintf(then, sizeof(then), "not %s (detect-only)",
                     deleted ? "recreated" : "reverted");
        } else {
            char when[48] = "now";
            if (grace > 0) {
                char d[32];
                ed_duration_string(grace * ED_NS_PER_MS, d);
                snprintf(when, sizeof(when), "in %s", d);
            }
            snprintf(then, sizeof(then), "%s %s", deleted ? "recreating" : "reverting", when);
        }
        ed_buf note = ED_BUF_INIT(8192);
        ed_buf_printf(&note, "drift on %s/%s%s%s: ", kind ? kind : "", ons ? ons : "",
                      ons ? "/" : "", str_at(obj, "/metadata/name"));
        if (deleted)
            ed_buf_printf(&note, "deleted, %s", then);
        else
            ed_buf_printf(&note, "%s changed by %s, %s", paths.len ? paths.data : "fields",
                          writer ? writer : "another manager", then);
        ed_ctrl_record_event_as(c->o.kube, ed_doc_root(ksdoc), MANAGER, "kustomization", "Warning",
                                "DriftDetected", note.data, NULL);
        ed_log(ED_LOG_INFO, note.data, "controller", "kustomization", "name", owner, "namespace",
               owner_ns, NULL);
        ed_buf_free(&note);
    }
    ed_doc_free(ksdoc);
    ed_buf_free(&paths);
    ed_doc_free(scratch);
    /* Now: the reconcile holds the object back and reports the drift in the Drifted
     * condition (or, without a grace period, reverts it); it requeues itself for the end of
     * the grace period. */
    ed_queue_add(c->queue, key);
}

/* Keep obj's spec.ignore for the drift watch (key: its "namespace/name"). */
static void remember_ignore_rules(ed_ks_controller *c, const char *key, const ed_node *obj)
{
    const ed_node *rules = ed_node_path(obj, "/spec/ignore");
    ed_doc *copy = NULL;
    if (ed_node_len(rules) > 0) {
        copy = ed_doc_new();
        ed_doc_set_root(copy, ed_node_copy(copy, rules));
    }
    pthread_mutex_lock(&c->drift_lock);
    ed_doc_free(copy ? ed_strmap_put(c->ignore_rules, key, copy)
                     : ed_strmap_del(c->ignore_rules, key));
    pthread_mutex_unlock(&c->drift_lock);
}

/* Make sure every kind in the change set is watched (an informer per kind, on the owner
 * label, started on first use). */
static void watch_kinds(ed_ks_controller *c, const ed_apply_result *changes)
{
    for (size_t i = 0; changes && i < changes->n; i++) {
        const ed_apply_entry *e = &changes->entries[i];
        ed_apply_id_parts id;
        if (!ed_apply_id_parse(e->id, &id))
            continue;
        const char *kind = id.kind;
        char api_version[400];
        ed_apply_id_api_version(&id, e->version, api_version, sizeof(api_version));
        /* watch_lock, not drift_lock: the new informer's first list calls on_drift, which takes
         * drift_lock, while we wait for it here. */
        pthread_mutex_lock(&c->watch_lock);
        bool have = false;
        for (size_t w = 0; w < c->nwatches && !have; w++)
            have = strcmp(c->watches[w].api_version, api_version) == 0 &&
                   strcmp(c->watches[w].kind, kind) == 0;
        if (!have && !c->watches_ended) {
            ed_informer_opts io = {.api_version = api_version,
                                   .kind = kind,
                                   .label_selector = "kustomize.toolkit.fluxcd.io/name",
                                   .metadata_only = true,
                                   .brief = true};
            ed_informer *inf = ed_informer_new(c->o.kube, &io);
            ed_informer_add_handler(inf, on_drift, c);
            ed_err err = ED_ERR_INIT;
            /* Wait for the first list, so that a change made right after this reconcile is
             * seen as a change and not as the starting state. */
            if (ed_informer_start(inf, &err) == 0 && ed_informer_wait_synced(inf, 10000)) {
                c->watches = ed_xrealloc(c->watches, (c->nwatches + 1) * sizeof(*c->watches));
                c->watches[c->nwatches++] =
                    (struct drift_watch){ed_xstrdup(api_version), ed_xstrdup(kind), inf};
            } else {
                ed_informer_free(inf);
            }
        }
        pthread_mutex_unlock(&c->watch_lock);
    }
}

/* ---- artifacts unpacked once per revision ---- */

/* An artifact unpacked once and shared, read-only, by every reconcile of its revision: with
 * many Kustomizations on one repository, each reconcile would otherwise unpack the whole
 * repository again (the build never writes into the tree: Flux's generated kustomization is
 * kept in memory). The unpack and the removal of old trees run outside tree_lock: at 1,000
 * apps either takes up to a second, and reconciles of other sources (or of a tree already
 * there) need not wait for it; the reconciles of the tree being unpacked wait on tree_ready. */
struct tree {
    char *archive; /* the artifact file it was unpacked from */
    char *digest;  /* and its digest (an include can change the file of the same commit) */
    char dir[4096];
    int refs;
    bool ready; /* unpacked (or failed): until then its users wait on tree_ready */
    bool stale; /* a newer artifact of the same source replaced it: removed once unused */
    int code;   /* not 0: the unpack failed (msg says why), and the tree is stale */
    char msg[ED_ERR_MSG_MAX];
    struct tree *next;
};

/* Take the stale trees nobody uses off the list, into *out (removed by trees_free, outside
 * the lock). Called with tree_lock held. */
static void trees_sweep(ed_ks_controller *c, struct tree **out)
{
    for (struct tree **p = &c->trees; *p;) {
        struct tree *t = *p;
        if (t->stale && t->refs == 0 && t->ready) {
            *p = t->next;
            t->next = *out;
            *out = t;
        } else {
            p = &t->next;
        }
    }
}

static void trees_free(struct tree *t)
{
    while (t) {
        struct tree *next = t->next;
        if (t->code == 0) /* a failed unpack removed its directory */
            ed_path_remove_tree(t->dir);
        free(t->archive);
        free(t->digest);
        free(t);
        t = next;
    }
}

/* True when a and b are files of the same directory (one source's artifacts). */
static bool same_source(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* The unpacked tree of archive (with digest), unpacked now if needed; release it with
 * tree_release. NULL with err set when it cannot be unpacked. */
static struct tree *tree_acquire(ed_ks_controller *c, const char *archive, const char *digest,
                                 ed_err *err)
{
    struct tree *gone = NULL, *t;
    pthread_mutex_lock(&c->tree_lock);
    trees_sweep(c, &gone);
    for (t = c->trees; t; t = t->next)
        if (!t->stale && strcmp(t->archive, archive) == 0 && strcmp(t->digest, digest) == 0)
            break;
    bool mine = t == NULL; /* this reconcile unpacks it */
    if (mine) {
        t = ed_xcalloc(1, sizeof(*t));
        t->archive = ed_xstrdup(archive);
        t->digest = ed_xstrdup(digest);
        snprintf(t->dir, sizeof(t->dir), "%s/kustomization-XXXXXX",
                 ed_artifact_store_tmpdir(c->o.store));
        t->next = c->trees;
        c->trees = t;
    }
    t->refs++;
    pthread_mutex_unlock(&c->tree_lock);
    trees_free(gone);

    if (mine) {
        ed_err uerr = ED_ERR_INIT;
        bool made = mkdtemp(t->dir) != NULL;
        int rc = made ? ed_source_archive_unpack(archive, t->dir, 0, &uerr)
                      : ed_err_set(&uerr, ED_ERROR, "cannot create a temp directory");
        if (rc && made)
            ed_path_remove_tree(t->dir);
        pthread_mutex_lock(&c->tree_lock);
        if (rc) {
            t->stale = true;
            t->code = rc;
            snprintf(t->msg, sizeof(t->msg), "%s", uerr.msg);
        } else {
            /* The source's older revisions go once their reconciles are done. */
            for (struct tree *o = c->trees; o; o = o->next)
                if (o != t && same_source(o->archive, archive))
                    o->stale = true;
        }
        t->ready = true;
        pthread_cond_broadcast(&c->tree_ready);
    } else {
        pthread_mutex_lock(&c->tree_lock);
        while (!t->ready)
            pthread_cond_wait(&c->tree_ready, &c->tree_lock);
    }
    bool failed = t->code != 0;
    if (failed) {
        ed_err_set(err, t->code, "%s", t->msg);
        t->refs--;
    }
    pthread_mutex_unlock(&c->tree_lock);
    return failed ? NULL : t;
}

static void tree_release(ed_ks_controller *c, const struct tree *done)
{
    if (!done)
        return;
    struct tree *gone = NULL;
    pthread_mutex_lock(&c->tree_lock);
    for (struct tree *t = c->trees; t; t = t->next)
        if (t == done)
            t->refs--;
    trees_sweep(c, &gone);
    pthread_mutex_unlock(&c->tree_lock);
    trees_free(gone);
}

/* ---- the reconcile ---- */

/* True when obj's status says its last reconcile succeeded with this revision and generation
 * (what a detect-only Kustomization trusts after a restart instead of applying again). */
static bool adopt_last_apply(const ed_node *obj, const char *revision, int64_t gen)
{
    const char *applied = str_at(obj, "/status/lastAppliedRevision");
    const char *ready = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready");
    int64_t observed = -1;
    ed_node_int(ed_node_path(obj, "/status/observedGeneration"), &observed);
    return revision && applied && strcmp(applied, revision) == 0 && observed == gen && ready &&
           strcmp(ready, "True") == 0;
}

/* A digest of the rendered objects, in order. */
static void rendered_digest(ed_node *const *nodes, size_t n, char out[65])
{
    ed_buf b = ED_BUF_INIT((size_t)256 << 20);
    for (size_t i = 0; i < n; i++) {
        ed_node_to_json(nodes[i], &b);
        ed_buf_append(&b, "\n", 1);
    }
    ed_sha256_hex(b.data ? b.data : "", b.len, out);
    ed_buf_free(&b);
}

/* Compare this reconcile's input with the memo of key's last success. *same: the generation
 * and the rendered objects are those of the last success (a new revision that does not change
 * them counts as the same: it is applied by saying so, without a request); *clean: and no
 * drift was seen since. *drifts receives the drift count now, for memo_store. */
static void memo_check(ed_ks_controller *c, const char *key, const char *digest, int64_t gen,
                       bool *same, bool *clean, uint64_t *drifts)
{
    pthread_mutex_lock(&c->drift_lock);
    struct memo *m = ed_strmap_get(c->memos, key);
    *same = m && strcmp(m->digest, digest) == 0 && m->generation == gen;
    *clean = *same && m->drifts == m->clean_at;
    *drifts = m ? m->drifts : 0;
    pthread_mutex_unlock(&c->drift_lock);
}

/* True when key's memo was stored under RBAC epoch rbac (struct memo). Apart from memo_check's
 * clean: detect-only mode disregards drift, never a change of RBAC. */
static bool memo_rbac_same(ed_ks_controller *c, const char *key, uint64_t rbac)
{
    pthread_mutex_lock(&c->drift_lock);
    struct memo *m = ed_strmap_get(c->memos, key);
    bool same = m && m->rbac == rbac;
    pthread_mutex_unlock(&c->drift_lock);
    return same;
}

/* After a success: remember what was applied. The cluster matches it as of drift count
 * `drifts` (and RBAC epoch `rbac`, struct memo), unless drifted objects are still held back. build
 * (taken, its inputs then NULL) is what the objects were built from; NULL keeps the memo's (a
 * reconcile that skipped the build). */
static void memo_store(ed_ks_controller *c, const char *key, const char *uid, const char *digest,
                       int64_t gen, uint64_t drifts, uint64_t rbac, bool holding,
                       struct memo_build *build)
{
    pthread_mutex_lock(&c->drift_lock);
    struct memo *m = ed_strmap_get(c->memos, key);
    bool fresh = !m;
    if (fresh) {
        m = ed_xcalloc(1, sizeof(*m));
        ed_strmap_put(c->memos, key, m);
    }
    snprintf(m->uid, sizeof(m->uid), "%s", uid ? uid : "");
    snprintf(m->digest, sizeof(m->digest), "%s", digest);
    m->generation = gen;
    m->rbac = rbac;
    if (build) {
        ed_ks_inputs_free(m->build.inputs);
        m->build = *build;
        build->inputs = NULL;
    }
    if (fresh)
        m->drifts = drifts;
    m->clean_at = holding ? m->drifts - 1 : drifts;
    pthread_mutex_unlock(&c->drift_lock);
}

static void memo_build_reset(struct memo_build *b)
{
    ed_ks_inputs_free(b->inputs);
    *b = (struct memo_build){0};
}

static void memo_free(struct memo *m)
{
    if (m)
        ed_ks_inputs_free(m->build.inputs);
    free(m);
}

static void memo_forget(ed_ks_controller *c, const char *key)
{
    pthread_mutex_lock(&c->drift_lock);
    memo_free(ed_strmap_del(c->memos, key));
    pthread_mutex_unlock(&c->drift_lock);
}

/* Forget key's memo when it is another object's (uid): a Kustomization deleted and made again
 * under its name before a reconcile saw it gone starts at generation 1 again, with another spec
 * and an empty inventory. A memo stored before its first success (drift counted) has no uid
 * yet and is kept. */
static void memo_claim(ed_ks_controller *c, const char *key, const char *uid)
{
    pthread_mutex_lock(&c->drift_lock);
    struct memo *m = ed_strmap_get(c->memos, key);
    if (m && m->uid[0] && strcmp(m->uid, uid ? uid : "") != 0)
        memo_free(ed_strmap_del(c->memos, key));
    pthread_mutex_unlock(&c->drift_lock);
}

/*
 * True when obj's build can be skipped for the tree at root: the memo of its last success is
 * clean (no drift seen since, RBAC epoch rbac) and of this object and generation, and every path
 * that build read is in the same state in this tree, with the same postBuild variables and the same
 * decryption Secret. Then *digest, built and *drifts take the memo's (the objects are provably
 * those it applied). Any doubt (no memo, a path that cannot be read, variables or a Secret that
 * cannot be) says false: the caller builds, and says what failed as Flux would.
 * The memo's inputs are read outside the lock: only this Kustomization's reconcile replaces
 * them, and the queue never runs two of those at once.
 */
static bool inputs_unchanged(ed_ks_controller *c, const char *key, const ed_node *obj, int64_t gen,
                             uint64_t rbac, const char *root, char digest[65], char built[80],
                             uint64_t *drifts)
{
    struct memo_build mb = {0};
    pthread_mutex_lock(&c->drift_lock);
    struct memo *m = ed_strmap_get(c->memos, key);
    bool usable =
        m && m->build.inputs && m->generation == gen && m->drifts == m->clean_at && m->rbac == rbac;
    if (usable) {
        mb = m->build;
        snprintf(digest, 65, "%s", m->digest);
        *drifts = m->drifts;
    }
    pthread_mutex_unlock(&c->drift_lock);
    /* spec.ignore mixes live values into the objects: those are compared by building */
    if (!usable || ed_node_len(ed_node_path(obj, "/spec/ignore")) > 0)
        return false;
    ed_err err = ED_ERR_INIT;
    char fp[65], vars[65], dec[65];
    if (ed_ks_inputs_fingerprint(mb.inputs, root, 0, fp, &err) != 0 ||
        strcmp(fp, mb.inputs_fp) != 0)
        return false;
    /* A build that gave no objects read no variables (mb.vars ""): nothing they hold can
     * change what it gives, so they are not read either. */
    if (mb.vars[0] &&
        (ed_ks_vars_digest(c->o.kube, obj, vars, &err) != 0 || strcmp(vars, mb.vars) != 0))
        return false;
    /* a key rotated, broken or deleted shows at this reconcile, as with Flux's */
    if (ed_ks_decryption_digest(c->o.kube, obj, c->o.sops_age_secret, c->o.sops_age_namespace, dec,
                                &err) != 0 ||
        strcmp(dec, mb.decryption) != 0)
        return false;
    snprintf(built, 80, "%s", mb.built);
    return true;
}

/* The inventory as an all-Unchanged change set: what a reconcile with nothing to do reports. */
static ed_apply_result *unchanged(const ed_apply_result *inventory)
{
    ed_apply_result *r = ed_xcalloc(1, sizeof(*r));
    r->entries = ed_xcalloc(inventory->n ? inventory->n : 1, sizeof(*r->entries));
    for (size_t i = 0; i < inventory->n; i++) {
        const ed_apply_entry *e = &inventory->entries[i];
        r->entries[r->n++] = (ed_apply_entry){ed_xstrdup(e->id), ed_xstrdup(e->version),
                                              ed_xstrdup(e->subject), ED_APPLY_UNCHANGED, false};
    }
    return r;
}

/* Fill out->drift from the holds of key active at now (when the apply looked at them); returns
 * the ms from this moment until the earliest one ends, 0 when it has ended since
 * (INT64_MAX when none ends). */
static int64_t drift_report(ed_ks_controller *c, const char *key, int64_t now, bool report_only,
                            struct outcome *out)
{
    ed_buf subjects = ED_BUF_INIT(4096);
    int64_t until;
    size_t n = active_holds(c, key, now, &subjects, &until);
    int64_t left = INT64_MAX;
    if (n == 0) {
        out->drift[0] = '\0';
    } else if (report_only || until == INT64_MAX) {
        snprintf(out->drift, sizeof(out->drift),
                 "drift on %zu object%s (%s), not reverted "
                 "(detect-only)",
                 n, n == 1 ? "" : "s", subjects.data);
    } else {
        left = until - ed_time_mono_ms();
        if (left < 0)
            left = 0;
        /* An absolute time: the status is read later (eddy get says "in 4m12s" then). */
        char at[32];
        ed_time_rfc3339(time(NULL) + (time_t)((left + 999) / 1000), at);
        snprintf(out->drift, sizeof(out->drift), "drift on %zu object%s (%s), reverting at %s", n,
                 n == 1 ? "" : "s", subjects.data, at);
    }
    ed_buf_free(&subjects);
    return left;
}

/* A source that has never reported (no Ready condition, not suspended) is on its first fetch,
 * which queues its Kustomizations when it ends (on_source). Until then a Kustomization waits
 * without writing "artifact not found" into its status: at start-up with many Kustomizations
 * on one new source, that saves a status write each. A reconcile more than SOURCE_WAIT_MS
 * after the first wait writes it all the same. True while it should wait. */
static bool wait_for_source(ed_ks_controller *c, const char *key, const ed_doc *src)
{
    const ed_node *s = src ? ed_doc_root(src) : NULL;
    bool suspended = false;
    ed_node_bool(ed_node_path(s, "/spec/suspend"), &suspended);
    bool first = s && !suspended && !ed_cond_status(ed_node_path(s, "/status/conditions"), "Ready");
    int64_t now = ed_time_mono_ms();
    pthread_mutex_lock(&c->drift_lock);
    int64_t *since = ed_strmap_get(c->source_waits, key);
    if (!first) {
        free(ed_strmap_del(c->source_waits, key));
        since = NULL;
    } else if (!since) {
        since = ed_xmalloc(sizeof(*since));
        *since = now;
        ed_strmap_put(c->source_waits, key, since);
    }
    bool wait = since && now - *since < SOURCE_WAIT_MS;
    pthread_mutex_unlock(&c->drift_lock);
    return wait;
}

/* The finalizer's patch in flight (step 2) settles before any other write: a status write
 * first would fail its resourceVersion precondition, and nothing may reach the cluster
 * before the finalizer is on. True, with rc and err set, when the patch failed: the
 * reconcile ends there, as it did when the patch went first (a conflict: the change that
 * caused it queues the object again). */
static bool finalizer_failed(ed_ctrl_finalizer_job *fin, int *rc, ed_err *err)
{
    if (!ed_ctrl_finalizer_join(fin, err))
        return false;
    *rc = err->code;
    return true;
}

/* Flux's GetTimeout, for the build, apply and health and for WaitForTermination: spec.timeout,
 * else the interval less 30 s; never under 30 s. */
static int64_t ks_timeout(const ed_node *obj)
{
    int64_t interval = 600000, timeout = 0;
    const char *v;
    if ((v = str_at(obj, "/spec/interval")))
        ed_duration_parse(v, &interval, NULL);
    if ((v = str_at(obj, "/spec/timeout")))
        ed_duration_parse(v, &timeout, NULL);
    if (timeout <= 0)
        timeout = interval - 30000;
    return timeout < 30000 ? 30000 : timeout;
}

/* An Event of the deletion, as kustomize-controller's: its reason is Ready's (or the
 * severity, "info" or "error"), with the last applied revision. */
static void deletion_event(ed_ks_controller *c, const ed_node *obj, bool warning, const char *note)
{
    const char *reason = ed_cond_reason(ed_node_path(obj, "/status/conditions"), "Ready");
    ks_event(c, obj, warning ? "Warning" : "Normal",
             reason && *reason ? reason
             : warning         ? "error"
                               : "info",
             note, str_at(obj, "/status/lastAppliedRevision"),
             str_at(obj, "/status/lastAppliedOriginRevision"), false);
}

/*
 * Step 1 of a reconcile: obj is being deleted. Carry out spec.deletionPolicy on the inventory
 * (ks_delete.c) in the name of the account it applied with; 0 when the finalizer may go.
 * The deleted objects are announced in an Event; a failed prune is retried. When the service
 * account to impersonate no longer exists the objects are left, named in a Warning Event.
 */
static int finalize(ed_ks_controller *c, const ed_node *obj, const ed_apply_result *inventory,
                    ed_kube **kc, ed_err *err)
{
    if (!ed_ks_deletes_objects(obj, inventory))
        return 0;
    const char *ns = str_at(obj, "/metadata/namespace"), *name = str_at(obj, "/metadata/name");
    const char *sa = str_at(obj, "/spec/serviceAccountName");
    if (!sa || !*sa)
        sa = c->o.default_service_account;
    if (sa && *sa) {
        ed_doc *account = NULL;
        ed_err gerr = ED_ERR_INIT;
        int grc = ed_kube_get(c->o.kube, "v1", "ServiceAccount", ns, sa, &account, &gerr);
        ed_doc_free(account);
        if (grc && grc != ED_ENOTFOUND) /* not known to be gone: ask again later */
            return ed_err_set(err, grc, "checking service account '%s': %s", sa, gerr.msg);
        if (grc == ED_ENOTFOUND) {
            ed_buf note = ED_BUF_INIT((size_t)1 << 20);
            ed_buf_printf(&note, "unable to prune objects: \n");
            for (size_t i = 0; i < inventory->n; i++)
                ed_buf_printf(&note, "%s%s", i ? "\n" : "", inventory->entries[i].subject);
            ed_log(ED_LOG_ERROR, "skipping pruning, failed to find account to impersonate",
                   "controller", "kustomization", "name", name, "namespace", ns, "serviceAccount",
                   sa, "objects", note.data, NULL);
            deletion_event(c, obj, true, note.data);
            ed_buf_free(&note);
            return 0;
        }
    }
    int rc =
        ed_ks_client(c->o.kube, obj, c->o.default_service_account, kubeconfig_flags(c), kc, err);
    if (rc)
        return rc;
    ed_kube *kube = *kc ? *kc : c->o.kube;
    ed_apply_result *gone = NULL;
    expect_deletions(c, inventory, NULL);
    rc = ed_ks_finalize(kube, obj, inventory, &gone, err);
    if (rc) {
        deletion_event(c, obj, true, "pruning for deleted resource failed");
    } else if (gone && gone->n) {
        ed_buf note = ED_BUF_INIT((size_t)1 << 20);
        change_lines(gone, true, &note);
        deletion_event(c, obj, false, note.data);
        ed_buf_free(&note);
        ed_err werr = ED_ERR_INIT;
        if (ed_ks_wait_terminated(kube, obj, gone, ks_timeout(obj), &werr)) {
            /* Flux lets the Kustomization go all the same: say so, do not block forever. */
            ed_log(ED_LOG_ERROR, "failed to wait for resources termination", "controller",
                   "kustomization", "name", name, "namespace", ns, "error", werr.msg, NULL);
            deletion_event(c, obj, true, "failed to wait for resources termination");
        }
    }
    ed_apply_result_free(gone);
    return rc;
}

/* Remember the ids of the Jobs with spec.ttlSecondsAfterFinished among the built objects of
 * Kustomization key (the TTL controller deletes them once finished: Flux's JobsWithTTL), for
 * the health checks of this build and of later reconciles that skip the build. */
static void remember_ttl_jobs(ed_ks_controller *c, const char *key, ed_node *const *nodes, size_t n)
{
    ed_buf ids = ED_BUF_INIT((size_t)16 << 20);
    for (size_t i = 0; i < n; i++) {
        const char *av = str_at(nodes[i], "/apiVersion"), *kind = str_at(nodes[i], "/kind");
        if (!av || !kind || strcmp(kind, "Job") != 0 || !ed_str_has_prefix(av, "batch/") ||
            !ed_node_path(nodes[i], "/spec/ttlSecondsAfterFinished"))
            continue;
        char *id = ed_apply_id(nodes[i]);
        ed_buf_printf(&ids, "%s%s", ids.len ? "\n" : "", id);
        free(id);
    }
    pthread_mutex_lock(&c->drift_lock);
    if (ids.len)
        free(ed_strmap_put(c->ttl_jobs, key, ed_buf_take(&ids)));
    else
        free(ed_strmap_del(c->ttl_jobs, key));
    pthread_mutex_unlock(&c->drift_lock);
    ed_buf_free(&ids);
}

/* ed_apply_opts.before_writes: the finalizer is on before the first write. */
static int finalizer_before_writes(void *user, ed_err *err)
{
    return ed_ctrl_finalizer_join(user, err);
}

/* A CEL expression of the spec that does not parse (healthCheckExprs, dependsOn[].readyExpr):
 * Flux's terminal configuration error, stalled until the spec changes. Clears err. */
static void invalid_cel(struct outcome *out, ed_err *err)
{
    out->reason = "InvalidCELExpression";
    out->stalled = true;
    snprintf(out->message, sizeof(out->message),
             "Reconciliation failed terminally due to configuration error: %s", err->msg);
    ed_err_clear(err);
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_ks_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL, *srcdoc = NULL, **objs = NULL;
    size_t nobjs = 0;
    char tmpdir[4096] = ""; /* the unpacked artifact (shared: read only) */
    struct tree *tree = NULL;
    char *archive = NULL, *dir = NULL;
    ed_apply_result *inventory = NULL;
    ed_kube *kc = NULL;        /* the client to apply with (impersonation, kubeConfig), or NULL */
    ed_ks_exprs *exprs = NULL; /* spec.healthCheckExprs, parsed (step 2) */
    struct outcome out = {.reason = "ReconciliationFailed", .started_ns = ed_time_mono_ns()};
    struct memo_build built = {0};     /* what this reconcile's build read, for memo_store */
    bool keep_build = false;           /* the memo's build stays (no build, or stored already) */
    ed_ctrl_finalizer_job *fin = NULL; /* adding the finalizer, in flight (step 2) */

    ed_log(ED_LOG_DEBUG, "reconciliation started", "controller", "kustomization", "name", name,
           "namespace", ns, NULL);
    /* From the shared cache (a no-op reconcile costs no request); the API when it is not
     * there yet. */
    int rc = 0;
    objdoc = ed_informer_get(c->self, ns, name);
    if (objdoc && older_than_our_write(c, key, ed_doc_root(objdoc))) {
        ed_doc_free(objdoc);
        objdoc = NULL;
    }
    if (!objdoc) {
        rc = ed_kube_get(c->o.kube, API_VERSION, KIND, ns, name, &objdoc, &err);
        if (rc == 0 && !ed_ctrl_in_shard(c->shard, "kustomization", ed_doc_root(objdoc))) {
            ed_doc_free(objdoc);
            objdoc = NULL;
            rc = ED_ENOTFOUND;
        }
    }
    if (rc == ED_ENOTFOUND) {
        memo_forget(c, key);
        ed_ks_rbac_watch_leave(c->rbac_watch, key);
        release_holds(c, key, true);
        pthread_mutex_lock(&c->drift_lock);
        free(ed_strmap_del(c->source_waits, key));
        free(ed_strmap_del(c->status_rv, key));
        free(ed_strmap_del(c->ttl_jobs, key));
        pthread_mutex_unlock(&c->drift_lock);
        return 0;
    }
    if (rc)
        return rc;
    ed_node *obj = ed_doc_root(objdoc);
    const char *uid = ed_node_path_str(obj, "/metadata/uid");
    memo_claim(c, key, uid);
    bool prune = false;
    ed_node_bool(ed_node_path(obj, "/spec/prune"), &prune);
    inventory = old_inventory(obj);

    /* 1. Deletion: spec.deletionPolicy (ks_delete.c), then let go. A suspended Kustomization
     * leaves its objects, as Flux's does. */
    if (ed_node_path(obj, "/metadata/deletionTimestamp")) {
        ed_ctrl_record_metrics(c->o.metrics, KIND, obj, NULL, true);
        rc = finalize(c, obj, inventory, &kc, &err);
        if (!rc && ed_ctrl_has_finalizer(obj))
            rc = ed_ctrl_set_finalizer(c->o.kube, API_VERSION, KIND, obj, false, &err);
        if (rc == ED_ENOTFOUND)
            rc = 0;
        /* Flux's reconcile ends as any other: its line when the object was Ready. */
        bool suspended = false;
        ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
        const char *ready = ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready");
        if (!rc && !suspended && ready && strcmp(ready, "True") == 0)
            log_finished(obj, out.started_ns, ed_ctrl_interval(obj, 600000),
                         str_at(obj, "/status/lastAttemptedRevision"));
        goto done;
    }
    /* 2. Finalizer, suspension, interval. The finalizer's patch goes out in the background:
     * its round trip overlaps with what writes nothing (source, render, dry-runs), and
     * finalizer_failed settles it before the first write. */
    if (!ed_ctrl_has_finalizer(obj))
        fin = ed_ctrl_finalizer_add_start(c->o.kube, API_VERSION, KIND, obj);
    bool suspended = false;
    ed_node_bool(ed_node_path(obj, "/spec/suspend"), &suspended);
    if (suspended) {
        ed_ctrl_record_metrics(c->o.metrics, KIND, obj,
                               ed_cond_status(ed_node_path(obj, "/status/conditions"), "Ready"),
                               false);
        if (!finalizer_failed(fin, &rc, &err))
            write_suspended(c, obj);
        ed_log(ED_LOG_INFO, "Reconciliation is suspended for this object", "controller",
               "kustomization", "name", name, "namespace", ns, NULL);
        goto done;
    }
    ed_ks_config_watch_ensure(c->config_watch);
    int64_t interval = 600000, retry = 0, timeout = 0;
    const char *v;
    if ((v = str_at(obj, "/spec/interval")))
        ed_duration_parse(v, &interval, NULL);
    if ((v = str_at(obj, "/spec/retryInterval")))
        ed_duration_parse(v, &retry, NULL);
    if (retry <= 0)
        retry = interval;
    /* Flux parses the custom health checks first: a broken expression is a configuration
     * error, terminal until the spec changes. */
    if (ed_ks_exprs_parse(obj, &exprs, &err) != 0) {
        invalid_cel(&out, &err);
        goto status;
    }
    timeout = ks_timeout(obj);

    /* 3. Source. */
    const char *skind = str_at(obj, "/spec/sourceRef/kind");
    const char *sname = str_at(obj, "/spec/sourceRef/name");
    const char *sns = str_at(obj, "/spec/sourceRef/namespace");
    bool oci_kind = skind && strcmp(skind, "OCIRepository") == 0;
    if (!skind || (strcmp(skind, "GitRepository") != 0 && !(oci_kind && c->oci_source))) {
        /* Terminal until the spec changes (a retry finds the same kind): stalled, so that a
         * client waiting for Ready (eddy create kustomization --source Bucket/x) is told at
         * once instead of at its timeout. */
        out.reason = "ArtifactFailed";
        out.stalled = true;
        if (oci_kind)
            snprintf(out.message, sizeof(out.message),
                     "source kind 'OCIRepository' is not served: its CRD "
                     "(ocirepositories.source.toolkit.fluxcd.io) was not installed when the "
                     "controller started");
        else
            snprintf(out.message, sizeof(out.message),
                     "source kind '%s' is not supported by eddy yet (only GitRepository and "
                     "OCIRepository)",
                     skind ? skind : "");
        rc = ED_EINVALID;
        goto status;
    }
    if (c->o.no_cross_namespace_refs && sns && *sns && strcmp(sns, ns) != 0) {
        /* Flux's AccessDenied, terminal until the spec changes. */
        out.reason = "AccessDenied";
        out.stalled = true;
        snprintf(out.message, sizeof(out.message),
                 "can't access '%s/%s/%s', cross-namespace references have been blocked", skind,
                 sns, sname ? sname : "");
        goto status;
    }
    srcdoc =
        sname ? ed_informer_get(oci_kind ? c->oci_source : c->source, sns ? sns : ns, sname) : NULL;
    if (!srcdoc)
        rc = ed_kube_get(c->o.kube, "source.toolkit.fluxcd.io/v1", skind, sns ? sns : ns, sname,
                         &srcdoc, &err);
    if (rc) {
        /* Flux's words: the cache's NotFound ("GitRepository.source.toolkit.fluxcd.io \"x\"
         * not found"), retried after retryInterval (its creation queues us sooner), or "unable
         * to get source", retried with backoff. */
        if (finalizer_failed(fin, &rc, &err))
            goto done;
        out.reason = "ArtifactFailed";
        if (rc == ED_ENOTFOUND)
            snprintf(out.message, sizeof(out.message),
                     "%s.source.toolkit.fluxcd.io \"%s\" not found", skind, sname ? sname : "");
        else
            snprintf(out.message, sizeof(out.message), "unable to get source '%s/%s': %s",
                     sns ? sns : ns, sname ? sname : "", err.msg);
        write_status(c, obj, &out);
        /* Flux's lines: the sourceRef as written (Kind/[namespace/]name) when it is not
         * found, else controller-runtime's for the error it returns. */
        if (rc == ED_ENOTFOUND) {
            bool in_ns = sns && *sns;
            char *msg = ed_xasprintf("Source '%s/%s%s%s' not found", skind, in_ns ? sns : "",
                                     in_ns ? "/" : "", sname ? sname : "");
            ed_log(ED_LOG_INFO, msg, "controller", "kustomization", "name", name, "namespace", ns,
                   NULL);
            free(msg);
        } else {
            ed_log(ED_LOG_ERROR, "Reconciler error", "controller", "kustomization", "name", name,
                   "namespace", ns, "error", out.message, NULL);
        }
        if (rc == ED_ENOTFOUND) {
            *requeue_after_ms = retry;
            rc = 0;
        }
        goto done;
    }
    const char *apath = str_at(ed_doc_root(srcdoc), "/status/artifact/path");
    out.revision = str_at(ed_doc_root(srcdoc), "/status/artifact/revision");
    out.origin_revision =
        str_at(ed_doc_root(srcdoc), "/status/artifact/metadata/org.opencontainers.image.revision");
    archive = apath ? ed_artifact_store_file(c->o.store, apath) : NULL;
    if (!archive) {
        /* Not ready yet: try again after --requeue-dependency, as Flux does (not an error),
         * with Flux's line (and no Event, as Flux records none). While the source makes its
         * first fetch the status is left alone (wait_for_source); its first status queues us
         * sooner (on_source). */
        bool waiting = wait_for_source(c, key, srcdoc);
        if (finalizer_failed(fin, &rc, &err))
            goto done;
        int64_t wait_ms = c->o.requeue_dependency_ms > 0 ? c->o.requeue_dependency_ms : 30000;
        char wait[32];
        ed_duration_string(wait_ms * ED_NS_PER_MS, wait);
        out.reason = "ArtifactFailed";
        snprintf(out.message, sizeof(out.message), "Source artifact not found, retrying in %s",
                 wait);
        if (!waiting)
            write_status(c, obj, &out);
        ed_log(ED_LOG_INFO, out.message, "controller", "kustomization", "name", name, "namespace",
               ns, NULL);
        *requeue_after_ms = wait_ms;
        rc = 0;
        goto done;
    }
    /* 3b. Dependencies (Flux checks them once the source has an artifact). */
    if (ed_ks_dependencies_ready(c->deps, obj, out.revision, &err)) {
        if (finalizer_failed(fin, &rc, &err))
            goto done;
        if (strcmp(err.reason, "InvalidCELExpression") == 0) { /* terminal, as Flux */
            invalid_cel(&out, &err);
            goto status;
        }
        int64_t wait_ms = c->o.requeue_dependency_ms > 0 ? c->o.requeue_dependency_ms : 30000;
        out.reason = "DependencyNotReady";
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        write_status(c, obj, &out);
        dependency_event(c, obj, &out, wait_ms);
        *requeue_after_ms = wait_ms;
        rc = 0;
        goto done;
    }
    if (ed_node_len(ed_node_path(obj, "/spec/dependsOn")) > 0)
        ed_log(ED_LOG_INFO, "All dependencies are ready, proceeding with reconciliation",
               "controller", "kustomization", "name", name, "namespace", ns, NULL);
    out.stage = "Fetching manifests";
    out.timeout_ms = timeout;
    const char *adigest = str_at(ed_doc_root(srcdoc), "/status/artifact/digest");
    tree = tree_acquire(c, archive, adigest ? adigest : "", &err);
    if (!tree) {
        rc = err.code ? err.code : ED_ERROR;
        out.reason = "ArtifactFailed";
        snprintf(out.message, sizeof(out.message), "failed to extract artifact: %s", err.msg);
        goto status;
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s", tree->dir);

    /* 4. Build. */
    const char *path = str_at(obj, "/spec/path");
    if (!path || !*path)
        path = "./";
    struct stat st;
    free(dir);
    /* As Flux's SecureJoin: below the artifact's root whatever the path says ("/apps" and
     * "../apps" name "apps"); the tree holds no symlinks to lead elsewhere. */
    char *rel = ed_path_clamp(path);
    dir = ed_xasprintf("%s/%s", tmpdir, rel);
    free(rel);
    bool absent = stat(dir, &st) != 0;
    if (absent || !S_ISDIR(st.st_mode)) {
        /* Flux's message quotes Go's os.Stat error: the joined path and Go's lowercase text. */
        out.reason = "ArtifactFailed";
        snprintf(out.message, sizeof(out.message), "kustomization path not found: stat %s: %s", dir,
                 absent ? "no such file or directory" : "not a directory");
        rc = ED_ENOTFOUND;
        goto status;
    }
    out.attempted = true; /* Flux records the attempt once the artifact and path are there */
    out.stage = "Building manifests";
    /* 3c. The client: impersonation and kubeConfig. */
    rc = ed_ks_client(c->o.kube, obj, c->o.default_service_account, kubeconfig_flags(c), &kc, &err);
    if (rc) {
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        /* A kubeConfig eddy cannot honour waits for the spec to change. */
        const ed_node *kcfg = ed_node_path(obj, "/spec/kubeConfig");
        out.stalled = rc == ED_EINVALID && kcfg &&
                      (ed_node_get(kcfg, "configMapRef") || !ed_node_get(kcfg, "secretRef"));
        rc = 0;
        goto status;
    }
    ed_kube *target = kc ? kc : c->o.kube;
    int64_t gen = 0;
    ed_node_int(ed_node_path(obj, "/metadata/generation"), &gen);
    bool report_only = detect_only(objdoc), same, clean;
    uint64_t drifts;
    char digest[65];
    /* Only objects the drift watch sees can be known unchanged: those of a remote cluster
     * (spec.kubeConfig) are compared on every reconcile, as Flux does (there, RBAC included:
     * it is the remote cluster's, which eddy does not watch). */
    bool watched = ed_node_path(obj, "/spec/kubeConfig") == NULL;
    /* Impersonating (a client of its own on this cluster): known unchanged only while RBAC
     * is watched, and as of the epoch read now, before the apply (ks_rbacwatch.c). A
     * Kustomization that does not impersonate never starts that watch. */
    uint64_t rbac = 0;
    if (watched && kc) {
        uint64_t epoch;
        watched = ed_ks_rbac_watch_ensure(c->rbac_watch, key, &epoch);
        rbac = epoch + 1;
    } else {
        ed_ks_rbac_watch_leave(c->rbac_watch, key);
    }
    /* A revision that changed nothing this build reads gives the objects last applied: with a
     * clean memo that is a no-op, decided without building. */
    bool skipped =
        watched && inputs_unchanged(c, key, obj, gen, rbac, tmpdir, digest, out.digest, &drifts);
    /* A first reconcile (no condition yet) that waits for no health writes its outcome
     * alone: it has no earlier state for the marks to replace, and at start-up with many
     * new Kustomizations that saves a status write each. So does one that skips its build
     * and waits for no health: it has no progress to show (a new commit that changes one of
     * many Kustomizations costs the others one status write, not two). */
    bool waits = false;
    ed_node_bool(ed_node_path(obj, "/spec/wait"), &waits);
    waits = waits || ed_node_len(ed_node_path(obj, "/spec/healthChecks")) > 0;
    if (waits || (!skipped && ed_node_len(ed_node_path(obj, "/status/conditions")) > 0)) {
        if (finalizer_failed(fin, &rc, &err))
            goto done;
        out.marked = write_progressing(c, obj, out.revision, timeout);
    }
    ed_node **nodes = NULL;
    if (skipped) {
        ed_log(ED_LOG_DEBUG, "inputs unchanged, build skipped", "controller", "kustomization",
               "name", name, "namespace", ns, "revision", out.revision ? out.revision : "", NULL);
        same = clean = keep_build = true;
        goto apply;
    }
    ed_ks_render_trace trace = {.files = ed_ks_inputs_new(tmpdir),
                                .sops_age_secret = c->o.sops_age_secret,
                                .sops_age_namespace = c->o.sops_age_namespace};
    ed_ks_remote_source remote = {.cache = c->o.remote_cache,
                                  .tmp_dir = ed_artifact_store_tmpdir(c->o.store)};
    rc = ed_ks_render_traced(
        c->o.kube, obj, dir, tmpdir, c->o.lenient_substitutions ? 0 : ED_KS_RENDER_STRICT,
        c->o.remote_cache ? &remote : NULL, &trace, &objs, &nobjs, &out.reason, &err);
    if (rc) {
        ed_ks_inputs_free(trace.files);
        out.reason = "BuildFailed";
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        goto status;
    }
    snprintf(out.digest, sizeof(out.digest), "%s", trace.digest);
    /* What the build read, fingerprinted in its own tree for the next revision's; when that
     * fails, the memo knows no inputs and the next revision is built. */
    memo_build_reset(&built);
    built.inputs = trace.files;
    snprintf(built.vars, sizeof(built.vars), "%s", trace.vars);
    snprintf(built.decryption, sizeof(built.decryption), "%s", trace.decryption);
    snprintf(built.built, sizeof(built.built), "%s", out.digest);
    ed_err fperr = ED_ERR_INIT;
    if (ed_ks_inputs_fingerprint(built.inputs, tmpdir, 0, built.inputs_fp, &fperr) != 0) {
        ed_log(ED_LOG_DEBUG, "build inputs not fingerprinted", "controller", "kustomization",
               "name", name, "namespace", ns, "error", fperr.msg, NULL);
        ed_ks_inputs_free(built.inputs);
        built.inputs = NULL;
    }
    nodes = ed_xcalloc(nobjs ? nobjs : 1, sizeof(ed_node *));
    for (size_t i = 0; i < nobjs; i++) {
        nodes[i] = ed_doc_root(objs[i]);
        ed_node *labels = ed_node_ensure_map(objs[i], nodes[i], "/metadata/labels");
        if (labels) {
            ed_node_set(objs[i], labels, "kustomize.toolkit.fluxcd.io/name",
                        ed_node_new_str(objs[i], name));
            ed_node_set(objs[i], labels, "kustomize.toolkit.fluxcd.io/namespace",
                        ed_node_new_str(objs[i], ns));
        }
    }

    remember_ttl_jobs(c, key, nodes, nobjs);

    /* 5. spec.ignore, then apply, prune, health; or nothing, when the last success applied
     * exactly these objects and no drift was seen since (in detect-only mode, drift does not
     * count). */
    if ((rc = ed_ks_apply_ignore(target, obj, objs, nobjs, &err)) != 0) {
        free(nodes);
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        goto status;
    }
    rendered_digest(nodes, nobjs, digest);
    memo_check(c, key, digest, gen, &same, &clean, &drifts);
    if (!same && report_only && adopt_last_apply(obj, out.revision, gen)) {
        /* Detect-only after a restart: what the status says was applied stays as it is. */
        memo_store(c, key, uid, digest, gen, drifts, rbac, false, &built);
        same = clean = true;
        keep_build = true;
    }

apply:
    out.stage = "Detecting drift";
    /* New objects (a revision or spec that changes them) apply everything; the same ones leave
     * held objects alone. */
    release_holds(c, key, !same);
    /* The holds the apply honours are those of this instant: one that ends while the apply
     * runs is still reported, with a requeue at once, or the object it kept back would wait
     * for the interval. */
    int64_t holds_at = ed_time_mono_ms();
    bool noop = watched && same && (clean || report_only) && memo_rbac_same(c, key, rbac);
    ed_apply_opts ao = {.field_manager = MANAGER,
                        .hold = is_held,
                        .hold_user = c,
                        .deleting = deleting,
                        .deleting_user = c,
                        .written = written,
                        .written_user = c,
                        .before_writes = fin ? finalizer_before_writes : NULL,
                        .before_writes_user = fin,
                        .takeover_managers = c->o.override_managers,
                        .custom_stage_kinds = c->o.custom_stage_kinds,
                        .concurrency = c->o.concurrent_ssa};
    ed_node_bool(ed_node_path(obj, "/spec/force"), &ao.force);
    out.noop = noop;
    out.old_inventory = inventory;
    if (noop) {
        out.changes = unchanged(inventory);
        prune = false;
    } else {
        rc = ed_apply_all(target, nodes, nobjs, &ao, &out.changes, &err);
    }
    out.applied = rc == 0;
    if (out.applied)
        log_applied(obj, out.changes, out.revision);
    if (out.applied && !noop)
        change_event(c, obj, out.changes, false, &out);
    free(nodes);
    if (rc) {
        apply_failure_message(&err, out.changes, out.message, sizeof(out.message));
        ed_apply_result_free(out.changes);
        out.changes = NULL;
        goto status;
    }
    if (prune) {
        expect_deletions(c, inventory, out.changes);
        rc = ed_apply_prune(target, inventory->entries, inventory->n, out.changes, name, ns,
                            &out.pruned, &err);
        if (rc) {
            out.reason = "PruneFailed";
            snprintf(out.message, sizeof(out.message), "%s", err.msg);
            goto status;
        }
        change_event(c, obj, out.pruned, true, &out);
    }
    bool checked = false;
    out.stage = "Running health checks";
    pthread_mutex_lock(&c->drift_lock);
    const char *ttl = ed_strmap_get(c->ttl_jobs, key);
    char *ttl_jobs = ttl ? ed_xstrdup(ttl) : NULL;
    pthread_mutex_unlock(&c->drift_lock);
    struct health_progress hp = {c, obj, out.revision, timeout, out.marked};
    rc = ed_ks_check_health(target, obj, exprs, out.changes, ttl_jobs, timeout, &checked,
                            out.health_message, sizeof(out.health_message), out.message,
                            sizeof(out.message), write_health_progress, &hp);
    free(ttl_jobs);
    if (checked)
        out.healthy = rc ? "False" : "True";
    out.no_health = !checked;
    if (checked && rc == 0)
        health_event(c, obj, &out);
    if (rc) {
        out.reason = "HealthCheckFailed";
        goto status;
    }
    out.ok = true;
    snprintf(out.message, sizeof(out.message), "Applied revision: %s", out.revision);
    remember_ignore_rules(c, key, obj);
    if (!ed_node_path(obj, "/spec/kubeConfig"))
        watch_kinds(c, out.changes); /* drift watches are on this cluster only */
    *requeue_after_ms = interval;
    /* Drift held back: report it, and come back when its grace period ends. */
    int64_t left = drift_report(c, key, holds_at, report_only, &out);
    if (left < *requeue_after_ms)
        *requeue_after_ms = left + 50;
    memo_store(c, key, uid, digest, gen, drifts, rbac, out.drift[0] != '\0',
               keep_build ? NULL : &built);

status:
    /* 6. Status and event, on every exit past the source (a finalizer that failed ends the
     * reconcile before them). */
    if (finalizer_failed(fin, &rc, &err))
        goto done;
    if (write_status(c, obj, &out) != 0 && out.ok)
        rc = ED_ERETRY;
    record_event(c, obj, &out, interval);
    if (!out.ok) {
        memo_forget(c, key);
        /* Flux's line: how long the reconcile took and when it is tried again (a stalled
         * object too: Flux's retry interval, though eddy waits for the spec to change) */
        char took[32], next[32], msg[128];
        ed_duration_string(ed_time_mono_ns() - out.started_ns, took);
        ed_duration_string(retry * ED_NS_PER_MS, next);
        snprintf(msg, sizeof(msg), "Reconciliation failed after %s, next try in %s", took, next);
        ed_log(ED_LOG_ERROR, msg, "controller", "kustomization", "name", name, "namespace", ns,
               "revision", out.revision ? out.revision : "", "error", out.message, NULL);
        /* Retry after retryInterval, as Flux does, rather than the short error backoff; a
         * stalled object waits for its spec to change. */
        *requeue_after_ms = out.stalled ? 0 : retry;
        rc = 0;
    } else {
        log_finished(obj, out.started_ns, interval, out.revision);
    }
done:
    ed_ctrl_finalizer_job_free(fin);
    ed_ks_exprs_free(exprs);
    memo_build_reset(&built);
    tree_release(c, tree);
    free(archive);
    free(dir);
    ed_doc_list_free(objs, nobjs);
    ed_apply_result_free(out.changes);
    ed_apply_result_free(out.pruned);
    ed_apply_result_free(inventory);
    ed_kube_free(kc);
    ed_doc_free(srcdoc);
    ed_doc_free(objdoc);
    return rc;
}

/* A Kustomization changed: when it is ready, queue those that depend on it. */
static void on_self(ed_kube_event_type type, const ed_node *obj, void *user)
{
    ed_ks_controller *c = user;
    if (type != ED_KUBE_DELETED)
        ed_ks_queue_dependents(c->deps, obj);
}

/* A source as its users see it (a new string): its artifact's revision and digest; without an
 * artifact, its Ready status (a failed first fetch is reported by its Kustomizations at once,
 * not at their retryInterval). */
static char *artifact_of(const ed_node *src)
{
    const char *rev = str_at(src, "/status/artifact/revision");
    const char *digest = str_at(src, "/status/artifact/digest");
    if (rev || digest)
        return ed_xasprintf("artifact %s %s", rev ? rev : "", digest ? digest : "");
    const char *ready = ed_cond_status(ed_node_path(src, "/status/conditions"), "Ready");
    return ed_xasprintf("none %s", ready ? ready : "");
}

/* True when the source changed as its users see it (artifact_of) since its last event, or it
 * came or went, and records it: what its Kustomizations are queued for, as Flux's predicate on
 * the artifact's revision does. Its other changes (a finalizer, progress marks, an annotation)
 * would queue every user for a reconcile that finds the same artifact. Called in the source
 * informers' threads (one per source kind): under drift_lock. */
static bool artifact_changed(ed_ks_controller *c, ed_kube_event_type type, const char *skind,
                             const ed_node *src)
{
    const char *sns = str_at(src, "/metadata/namespace"), *sname = str_at(src, "/metadata/name");
    char *key = ed_xasprintf("%s/%s/%s", skind, sns ? sns : "", sname ? sname : "");
    bool changed = true;
    pthread_mutex_lock(&c->drift_lock);
    if (type == ED_KUBE_DELETED) {
        free(ed_strmap_del(c->source_seen, key));
    } else {
        char *now = artifact_of(src);
        const char *seen = ed_strmap_get(c->source_seen, key);
        changed = !seen || strcmp(seen, now) != 0;
        if (changed)
            free(ed_strmap_put(c->source_seen, key, now));
        else
            free(now);
    }
    pthread_mutex_unlock(&c->drift_lock);
    free(key);
    return changed;
}

/* What changed, for uses_source. */
struct changed_source {
    const char *kind;
    const ed_node *obj;
};

/* Whether Kustomization r (in namespace ns) names the changed source in its sourceRef. */
static bool uses_source(const char *key, const char *ns, const ed_node *r, void *user)
{
    const struct changed_source *cs = user;
    const char *sns = str_at(cs->obj, "/metadata/namespace");
    const char *sname = str_at(cs->obj, "/metadata/name");
    const char *rk = str_at(r, "/spec/sourceRef/kind");
    const char *rn = str_at(r, "/spec/sourceRef/name");
    const char *rns = str_at(r, "/spec/sourceRef/namespace");
    if (!ns[0] || !rk || !cs->kind || strcmp(rk, cs->kind) != 0 || !rn || !sname ||
        strcmp(rn, sname) != 0 || strcmp(rns ? rns : ns, sns ? sns : "") != 0)
        return false;
    ed_log(ED_LOG_DEBUG, "queued by its source", "controller", "kustomization", "object", key,
           NULL);
    return true;
}

/* A source of kind skind changed: queue the Kustomizations that use it, when the change
 * matters to them. */
static void on_source(ed_kube_event_type type, const char *skind, const ed_node *src,
                      ed_ks_controller *c)
{
    if (!artifact_changed(c, type, skind, src))
        return;
    struct changed_source cs = {skind, src};
    ed_ctrl_queue_matching(c->self, c->queue, NULL, uses_source, &cs);
}

static void on_git_source(ed_kube_event_type type, const ed_node *src, void *user)
{
    on_source(type, "GitRepository", src, user);
}

static void on_oci_source(ed_kube_event_type type, const ed_node *src, void *user)
{
    on_source(type, "OCIRepository", src, user);
}

/* ed_controller_def.stop: the drift, configuration and RBAC watches end (every one is told at once,
 * then each is waited for): their handlers read the Kustomization cache and feed the queue,
 * which the manager frees next. */
static void ks_stop(void *user)
{
    ed_ks_controller *c = user;
    pthread_mutex_lock(&c->watch_lock);
    c->watches_ended = true;
    struct drift_watch *watches = c->watches;
    size_t n = c->nwatches;
    c->watches = NULL;
    c->nwatches = 0;
    pthread_mutex_unlock(&c->watch_lock);
    for (size_t i = 0; i < n; i++)
        ed_informer_stop(watches[i].inf);
    ed_ks_config_watch_stop(c->config_watch);
    ed_ks_rbac_watch_stop(c->rbac_watch);
    for (size_t i = 0; i < n; i++) {
        ed_informer_free(watches[i].inf);
        free(watches[i].api_version);
        free(watches[i].kind);
    }
    free(watches);
    ed_ks_config_watch_end(c->config_watch);
    ed_ks_rbac_watch_end(c->rbac_watch);
}

ed_ks_controller *ed_kustomization_register(ed_manager *m, const ed_ks_controller_opts *opts)
{
    ed_ks_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->manager = m;
    pthread_mutex_init(&c->drift_lock, NULL);
    pthread_mutex_init(&c->watch_lock, NULL);
    c->seen = ed_strmap_new();
    c->deleting = ed_strmap_new();
    c->drift_events = ed_strmap_new();
    c->written = ed_strmap_new();
    pthread_mutex_init(&c->tree_lock, NULL);
    pthread_cond_init(&c->tree_ready, NULL);
    c->holds = ed_strmap_new();
    c->memos = ed_strmap_new();
    c->source_waits = ed_strmap_new();
    c->status_rv = ed_strmap_new();
    c->source_seen = ed_strmap_new();
    c->ttl_jobs = ed_strmap_new();
    if (opts->metrics)
        ed_metrics_describe(opts->metrics, "eddy_drift_detected_total", ED_METRIC_COUNTER,
                            "Changes by others to objects a Kustomization applied (drift), "
                            "counted whether or not they were announced.");
    c->ignore_rules = ed_strmap_new();
    ed_controller_def def = {.name = "kustomization",
                             .api_version = API_VERSION,
                             .kind = KIND,
                             .workers = opts->workers,
                             .reconcile = reconcile,
                             .user = c,
                             .generation_changed_only = true,
                             .stop = ks_stop};
    ed_manager_add(m, &def);
    c->self = ed_manager_informer(m, API_VERSION, KIND);
    c->shard = ed_manager_shard(m);
    c->queue = ed_manager_queue(m, "kustomization");
    c->source = ed_manager_informer(m, "source.toolkit.fluxcd.io/v1", "GitRepository");
    ed_informer_add_handler(c->source, on_git_source, c);
    if (opts->oci_sources) {
        c->oci_source = ed_manager_informer(m, "source.toolkit.fluxcd.io/v1", "OCIRepository");
        ed_informer_add_handler(c->oci_source, on_oci_source, c);
    }
    ed_informer_add_handler(c->self, on_self, c);
    c->config_watch =
        ed_ks_config_watch_new(c->o.kube, c->self, c->queue, c->o.watch_configs_selector);
    c->rbac_watch = ed_ks_rbac_watch_new(c->o.kube);
    c->deps = ed_ks_deps_new(c->self, c->queue);
    return c;
}

void ed_kustomization_free(ed_ks_controller *c)
{
    if (!c)
        return;
    ks_stop(c); /* (done already when the manager was freed first) */
    ed_ks_config_watch_free(c->config_watch);
    ed_ks_rbac_watch_free(c->rbac_watch);
    ed_ks_deps_free(c->deps);
    size_t pos = 0;
    const char *k;
    void *v;
    while (ed_strmap_next(c->seen, &pos, &k, &v))
        seen_free(v);
    ed_strmap_free(c->seen);
    ed_strmap_free(c->deleting);
    pos = 0;
    while (ed_strmap_next(c->drift_events, &pos, &k, &v))
        free(v);
    ed_strmap_free(c->drift_events);
    pos = 0;
    while (ed_strmap_next(c->written, &pos, &k, &v))
        free(v);
    ed_strmap_free(c->written);
    pos = 0;
    while (ed_strmap_next(c->memos, &pos, &k, &v)) {
        struct memo *m = v;
        ed_ks_inputs_free(m->build.inputs);
        m->build.inputs = NULL;
    }
    ed_strmap *owned[] = {c->holds,     c->memos,       c->source_waits,
                          c->status_rv, c->source_seen, c->ttl_jobs};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        pos = 0;
        while (ed_strmap_next(owned[i], &pos, &k, &v))
            free(v);
        ed_strmap_free(owned[i]);
    }
    pos = 0;
    while (ed_strmap_next(c->ignore_rules, &pos, &k, &v))
        ed_doc_free(v);
    ed_strmap_free(c->ignore_rules);
    struct tree *gone = NULL;
    for (struct tree *t = c->trees; t; t = t->next)
        t->stale = t->ready = true, t->refs = 0;
    trees_sweep(c, &gone);
    trees_free(gone);
    pthread_cond_destroy(&c->tree_ready);
    pthread_mutex_destroy(&c->tree_lock);
    pthread_mutex_destroy(&c->drift_lock);
    pthread_mutex_destroy(&c->watch_lock);
    free(c);
}
