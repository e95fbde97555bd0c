/*
 * The ImageRepository reconciler (image.toolkit.fluxcd.io/v1), a flat list of phases as in
 * Flux's image-reflector-controller:
 *
 *   1. read the object; on deletion remove its stored tags and the finalizer, and stop;
 *   2. add the finalizer; a suspended object is left alone (but for lastHandledReconcileAt and
 *      observedGeneration, which Flux writes then too: ed_ctrl_kind.suspended_handled_by);
 *   3. (status writes queue nothing: Flux's predicates, ed_ctrl_register; what comes after a
 *      restart or a new generation is reconciled in full, and phase 5 decides on a scan);
 *   4. parse spec.image into the canonical name; read spec.secretRef (dockerconfigjson) and
 *      spec.serviceAccountName's imagePullSecrets, spec.certSecretRef (ca.crt, tls.crt, tls.key)
 *      and spec.proxySecretRef;
 *   5. scan when Flux's shouldScan would (never scanned, a requestedAt token, another image
 *      name or exclusionList, no tags kept, the interval over: a new generation alone is no
 *      reason; else the last scan's result stands, and the next scan is when the interval
 *      ends): list the tags (spec.timeout per request, spec.insecure for plain HTTP), drop
 *      spec.exclusionList's matches, keep the list on disk under the storage path;
 *   6. status, written in one place: canonicalImageName, lastScanResult (revision, tagCount,
 *      scanTime, latestTags), observedExclusionList, conditions with Flux's reasons; an Event
 *      (when ready and the message is the same, Flux's trace: "tags did not change, next scan
 *      in 10m0s", "no change in repository configuration since last scan, next scan in ...").
 *
 * A registry answering 429 is asked again after its Retry-After (not after the interval, and
 * not with a growing backoff); other failures back off.
 */
#include "image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_VERSION "image.toolkit.fluxcd.io/v1"
#define KIND        "ImageRepository"
#define MANAGER     "image-reflector-controller"
#define NAME        "imagerepository"
#define LATEST_TAGS 10

struct ed_imagerepo_controller {
    ed_imagerepo_opts o;
    ed_ctrl_kind kind;
};

/* What one reconcile found, for the status and the event. */
struct outcome {
    bool ok;
    bool stalled;       /* the spec itself is wrong: retrying will not help */
    const char *reason; /* Flux's reason */
    char message[ED_ERR_MSG_MAX * 2];
    int64_t retry_after; /* the registry asked us to wait (429) */
    char progress[160];  /* the phase reached, Flux's Reconciling message on a retried failure */
};

/* The scan's results, for the status. */
struct scan {
    char canonical[800];
    char revision[65];
    char **tags;
    size_t ntags;
    bool kept; /* no scan was due: the last scan's result stands (status.lastScanResult) */
};

static const char *str_at(const ed_node *n, const char *path)
{
    return ed_node_path_str(n, path);
}

/* The pull secrets Flux's keychain is built from, in their order: spec.secretRef's, then the
 * imagePullSecrets of spec.serviceAccountName. */
struct pull_secrets {
    ed_ctrl_secret *s;
    size_t n;
};

static ed_ctrl_secret *pull_secret_slot(struct pull_secrets *ps)
{
    ps->s = ed_xrealloc(ps->s, (ps->n + 1) * sizeof(*ps->s));
    return &ps->s[ps->n++];
}

static void pull_secrets_clear(struct pull_secrets *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        ed_ctrl_secret_clear(&ps->s[i]);
    free(ps->s);
    memset(ps, 0, sizeof(*ps));
}

/* spec.serviceAccountName, read by Flux's runtime in both controllers: it must exist, and so
 * must each of its imagePullSecrets, appended to ps. */
static int service_account_secrets(ed_kube *kube, const char *ns, const char *sa,
                                   struct pull_secrets *ps, ed_err *err)
{
    ed_doc *doc = NULL;
    int rc = ed_kube_get(kube, "v1", "ServiceAccount", ns, sa, &doc, err);
    if (rc == ED_ENOTFOUND)
        return ed_err_set(err, ED_EINVALID, "serviceaccount '%s/%s' not found", ns, sa);
    if (rc)
        return ed_err_wrap(err, "failed to get serviceaccount '%s/%s'", ns, sa);
    const ed_node *pulls = ed_node_path(ed_doc_root(doc), "/imagePullSecrets");
    for (size_t i = 0; i < ed_node_len(pulls) && !rc; i++) {
        const char *name = ed_node_path_str(ed_node_at(pulls, i), "/name");
        rc = ed_ctrl_secret_read(kube, ns, name ? name : "", pull_secret_slot(ps), err);
        if (rc == ED_ENOTFOUND)
            rc = ed_err_set(err, ED_EINVALID, "secret '%s/%s' not found", ns, name ? name : "");
        if (rc) {
            ps->n--;
            rc = ed_err_wrap(err, "failed to get image pull secret for serviceaccount '%s/%s'", ns,
                             sa);
        }
    }
    ed_doc_free(doc);
    return rc;
}

/* The credentials for ref in the pull secrets, as Flux's keychain finds them
 * (go-containerregistry's NewFromPullSecrets): it reads .dockerconfigjson of a
 * kubernetes.io/dockerconfigjson Secret and .dockercfg of a kubernetes.io/dockercfg one, and
 * nothing else (an Opaque Secret holding .dockerconfigjson gives no credentials, and the scan is
 * anonymous: the registry says what it thinks of that); every entry of every Secret is decoded, and
 * the most specific key that matches the image wins (ed_image_keyring_resolve). None found is no
 * error: anonymous. */
static int keychain(const struct pull_secrets *ps, const ed_image_ref *ref,
                    ed_ctrl_registry_auth *auth, ed_err *err)
{
    ed_image_keyring *k = ed_image_keyring_new();
    int rc = 0;
    for (size_t i = 0; i < ps->n && !rc; i++) {
        size_t len = 0;
        const char *cfg = NULL;
        bool legacy = strcmp(ps->s[i].type, "kubernetes.io/dockercfg") == 0;
        if (strcmp(ps->s[i].type, "kubernetes.io/dockerconfigjson") == 0)
            cfg = ed_ctrl_secret_value(&ps->s[i], ".dockerconfigjson", &len);
        else if (legacy)
            cfg = ed_ctrl_secret_value(&ps->s[i], ".dockercfg", &len);
        if (cfg && len)
            rc = ed_image_keyring_add(k, cfg, len, legacy, err);
    }
    if (!rc && ed_image_keyring_resolve(k, ref->canonical, &auth->username, &auth->password) != 0)
        auth->username = auth->password = NULL;
    ed_image_keyring_free(k);
    return rc;
}

/* spec.secretRef, then spec.serviceAccountName, then the keychain of both; *failed says which
 * failed. */
static int credentials(ed_kube *kube, const ed_node *repo, const ed_image_ref *ref,
                       ed_ctrl_auth_flavour flavour, ed_ctrl_registry_auth *auth,
                       ed_ctrl_auth_part *failed, ed_err *err)
{
    const char *ns = str_at(repo, "/metadata/namespace");
    const char *secret_name = str_at(repo, "/spec/secretRef/name");
    const char *sa_name = str_at(repo, "/spec/serviceAccountName");
    struct pull_secrets ps = {0};
    int rc = 0;
    *failed = ED_CTRL_AUTH_SECRET;
    if (secret_name) {
        /* The reflector reads it itself: the API server's words, a missing Secret included;
         * source-controller wraps them. */
        rc = ed_ctrl_secret_get(kube, ns, secret_name, pull_secret_slot(&ps), err);
        if (rc == ED_ENOTFOUND)
            rc = ed_err_set(err, ED_EINVALID, "secrets \"%s\" not found", secret_name);
        if (rc) {
            ps.n--;
            if (flavour == ED_CTRL_AUTH_SOURCE)
                ed_err_wrap(err, "failed to get secret '%s/%s'", ns, secret_name);
        }
    }
    if (!rc && sa_name) {
        rc = service_account_secrets(kube, ns, sa_name, &ps, err);
        if (rc)
            *failed = ED_CTRL_AUTH_SERVICE_ACCOUNT;
    }
    if (!rc) {
        *failed = ED_CTRL_AUTH_SECRET;
        rc = keychain(&ps, ref, auth, err);
    }
    pull_secrets_clear(&ps);
    return rc;
}

/* The value of key in s, else of legacy (Flux's runtime reads caFile, certFile and keyFile
 * when the standard key is absent); NULL when neither has a value. */
static const char *tls_value(const ed_ctrl_secret *s, const char *key, const char *legacy,
                             size_t *len)
{
    const char *v = ed_ctrl_secret_value(s, key, len);
    if (!v || !*len)
        v = ed_ctrl_secret_value(s, legacy, len);
    return v && *len ? v : NULL;
}

/* spec.certSecretRef: ca.crt, and tls.crt with tls.key for mutual TLS. */
static int certificate(ed_kube *kube, const ed_node *repo, ed_ctrl_auth_flavour flavour,
                       ed_ctrl_registry_auth *auth, ed_err *err)
{
    const char *ns = str_at(repo, "/metadata/namespace");
    const char *cert_name = str_at(repo, "/spec/certSecretRef/name");
    const char *secret_name = str_at(repo, "/spec/secretRef/name");
    ed_ctrl_secret s;
    if (!cert_name)
        return 0;
    /* The reflector, given the Secret of spec.secretRef again, takes the empty Secret it
     * declared for that case and never filled, and asks Flux's runtime for a Secret without a
     * name or namespace: the client refuses to (image-reflector-controller v1.2.0's
     * GetOptions). The same Secret in both fields never scans in Flux. */
    if (flavour == ED_CTRL_AUTH_REFLECTOR && secret_name && strcmp(secret_name, cert_name) == 0)
        return ed_err_set(err, ED_EINVALID,
                          "failed to get secret '/': resource name may not be empty");
    /* The reflector reads the Secret itself first (the API server's words, a missing one
     * included); source-controller has Flux's runtime read it (its words). */
    int rc = flavour == ED_CTRL_AUTH_SOURCE ? ed_ctrl_secret_read(kube, ns, cert_name, &s, err)
                                            : ed_ctrl_secret_get(kube, ns, cert_name, &s, err);
    if (rc == ED_ENOTFOUND)
        return flavour == ED_CTRL_AUTH_SOURCE
                   ? ed_err_set(err, ED_EINVALID, "secret '%s/%s' not found", ns, cert_name)
                   : ed_err_set(err, ED_EINVALID, "secrets \"%s\" not found", cert_name);
    if (rc)
        return rc;
    /* Flux's runtime (secrets.TLSConfigFromSecretRef) in both controllers: the standard keys,
     * else the legacy ones; an empty value is none; its words for what is missing or bad. */
    size_t pem_len = 0, cert_len = 0, key_len = 0;
    const char *pem = tls_value(&s, "ca.crt", "caFile", &pem_len);
    const char *cert = tls_value(&s, "tls.crt", "certFile", &cert_len);
    const char *key = tls_value(&s, "tls.key", "keyFile", &key_len);
    if (!cert != !key)
        rc = ed_err_set(err, ED_EINVALID, "secret '%s/%s' contains '%s' but missing '%s'", ns,
                        cert_name, cert ? "tls.crt" : "tls.key", cert ? "tls.key" : "tls.crt");
    else if (!pem && !cert)
        rc = ed_err_set(err, ED_EINVALID,
                        "secret '%s/%s' must contain either 'ca.crt' or both 'tls.crt' and "
                        "'tls.key'",
                        ns, cert_name);
    else if (pem && !ed_image_pem_has_certificate(pem, pem_len))
        rc = ed_err_set(err, ED_EINVALID, "failed to parse CA certificate");
    if (!rc && pem)
        auth->ca_pem = ed_xstrndup(pem, pem_len);
    if (!rc && cert) {
        auth->cert_pem = ed_xstrndup(cert, cert_len);
        auth->key_pem = ed_xstrndup(key, key_len);
    }
    ed_ctrl_secret_clear(&s);
    return rc;
}

/* spec.proxySecretRef: address, and username and password; read by Flux's runtime in both
 * controllers. */
static int proxy(ed_kube *kube, const ed_node *repo, ed_ctrl_registry_auth *auth, ed_err *err)
{
    const char *ns = str_at(repo, "/metadata/namespace");
    const char *proxy_name = str_at(repo, "/spec/proxySecretRef/name");
    ed_ctrl_secret s;
    if (!proxy_name)
        return 0;
    int rc = ed_ctrl_secret_read(kube, ns, proxy_name, &s, err);
    if (rc == ED_ENOTFOUND)
        return ed_err_set(err, ED_EINVALID, "secret '%s/%s' not found", ns, proxy_name);
    if (rc)
        return rc;
    const char *addr = ed_ctrl_secret_value(&s, "address", NULL);
    const char *pu = ed_ctrl_secret_value(&s, "username", NULL);
    const char *pp = ed_ctrl_secret_value(&s, "password", NULL);
    if (!addr) {
        rc = ed_err_set(err, ED_EINVALID, "secret '%s/%s' has no address", ns, proxy_name);
    } else {
        auth->proxy = ed_xstrdup(addr);
        auth->proxy_username = pu ? ed_xstrdup(pu) : NULL;
        auth->proxy_password = pp ? ed_xstrdup(pp) : NULL;
    }
    ed_ctrl_secret_clear(&s);
    return rc;
}

int ed_ctrl_registry_auth_read(ed_kube *kube, const ed_node *repo, const ed_image_ref *ref,
                               ed_ctrl_auth_flavour flavour, ed_ctrl_registry_auth *auth,
                               ed_registry_opts *ro, ed_ctrl_auth_part *failed, ed_err *err)
{
    memset(auth, 0, sizeof(*auth));
    /* Each flavour's order, as its controller reads them (it stops at the first error). */
    static const ed_ctrl_auth_part reflector[] = {ED_CTRL_AUTH_PROXY, ED_CTRL_AUTH_CERT,
                                                  ED_CTRL_AUTH_SECRET};
    static const ed_ctrl_auth_part source[] = {ED_CTRL_AUTH_SECRET, ED_CTRL_AUTH_PROXY,
                                               ED_CTRL_AUTH_CERT};
    const ed_ctrl_auth_part *order = flavour == ED_CTRL_AUTH_SOURCE ? source : reflector;
    ed_ctrl_auth_part part = ED_CTRL_AUTH_SECRET;
    int rc = 0;
    for (size_t i = 0; i < 3 && !rc; i++) {
        part = order[i];
        switch (order[i]) {
        case ED_CTRL_AUTH_SECRET: /* (with the ServiceAccount: the credentials) */
        case ED_CTRL_AUTH_SERVICE_ACCOUNT:
            rc = credentials(kube, repo, ref, flavour, auth, &part, err);
            break;
        case ED_CTRL_AUTH_PROXY:
            rc = proxy(kube, repo, auth, err);
            break;
        case ED_CTRL_AUTH_CERT:
            rc = certificate(kube, repo, flavour, auth, err);
            break;
        }
    }
    if (rc && failed)
        *failed = part;
    if (rc) {
        ed_ctrl_registry_auth_clear(auth);
        return rc;
    }
    ro->proxy = auth->proxy;
    ro->proxy_username = auth->proxy_username;
    ro->proxy_password = auth->proxy_password;
    ro->username = auth->username;
    ro->password = auth->password;
    ro->ca_pem = auth->ca_pem;
    ro->cert_pem = auth->cert_pem;
    ro->key_pem = auth->key_pem;
    return 0;
}

void ed_ctrl_registry_auth_clear(ed_ctrl_registry_auth *auth)
{
    if (auth->password) {
        memset(auth->password, 0, strlen(auth->password));
        free(auth->password);
    }
    free(auth->username);
    free(auth->ca_pem);
    free(auth->cert_pem);
    free(auth->proxy);
    free(auth->proxy_username);
    if (auth->proxy_password) {
        memset(auth->proxy_password, 0, strlen(auth->proxy_password));
        free(auth->proxy_password);
    }
    if (auth->key_pem) {
        memset(auth->key_pem, 0, strlen(auth->key_pem));
        free(auth->key_pem);
    }
    memset(auth, 0, sizeof(*auth));
}

/* spec.exclusionList, or Flux's default when it is absent or empty (GetExclusionList: an
 * empty list does not turn the default off). Returns the count; the strings are borrowed. */
static size_t exclusions(const ed_node *obj, const char ***out)
{
    static const char *const dflt[] = {"^.*\\.sig$"};
    ed_node *list = ed_node_path(obj, "/spec/exclusionList");
    size_t n = ed_node_kind_of(list) == ED_NODE_SEQ ? ed_node_len(list) : 0;
    *out = ed_xcalloc(n ? n : 1, sizeof(**out));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ed_node_str(ed_node_at(list, i)))
            (*out)[k++] = ed_node_str(ed_node_at(list, i));
    if (n == 0)
        (*out)[k++] = dflt[0];
    return k;
}

/* Whether the observed list holds the same patterns as the one in use (in any order). */
static bool same_exclusions(const ed_node *observed, const char **pats, size_t npats)
{
    if (ed_node_kind_of(observed) != ED_NODE_SEQ || ed_node_len(observed) != npats)
        return false;
    for (size_t i = 0; i < npats; i++) {
        bool found = false;
        for (size_t k = 0; k < npats && !found; k++) {
            const char *o = ed_node_str(ed_node_at(observed, k));
            found = o && strcmp(o, pats[i]) == 0;
        }
        if (!found)
            return false;
    }
    return true;
}

/* Flux's shouldScan: why a scan is due, in its words (its Reconciling message is "scanning:
 * <why>"), or NULL when none is (a new generation alone is no reason); *when_ms is the time to
 * the next scan. */
static const char *scan_reason(ed_imagerepo_controller *c, const ed_node *obj,
                               const ed_image_ref *ref, int64_t interval, int64_t *when_ms)
{
    *when_ms = interval;
    if (!ed_node_path(obj, "/status/lastScanResult"))
        return "first scan";
    const char *req = ed_node_str(
        ed_node_get(ed_node_path(obj, "/metadata/annotations"), "reconcile.fluxcd.io/requestedAt"));
    const char *handled = str_at(obj, "/status/lastHandledReconcileAt");
    if (req && (!handled || strcmp(req, handled) != 0))
        return "reconcile requested";
    const char *seen = str_at(obj, "/status/canonicalImageName");
    if (!seen || strcmp(seen, ref->canonical) != 0)
        return "new image name";
    const char **pats = NULL;
    size_t npats = exclusions(obj, &pats);
    bool same = same_exclusions(ed_node_path(obj, "/status/observedExclusionList"), pats, npats);
    free(pats);
    if (!same)
        return "updated exclusion list";
    char **tags = NULL;
    size_t n = 0;
    if (ed_image_tags_load(c->o.storage_path, str_at(obj, "/metadata/namespace"),
                           str_at(obj, "/metadata/name"), &tags, &n, NULL) != 0 ||
        n == 0) {
        ed_registry_tags_free(tags);
        return "no tags in database";
    }
    ed_registry_tags_free(tags);
    /* (Flux scans when less than a second of the interval is left.) */
    int64_t scanned =
        (int64_t)ed_time_parse_rfc3339(str_at(obj, "/status/lastScanResult/scanTime"));
    int64_t left = interval - ((int64_t)time(NULL) - scanned) * 1000;
    if (scanned < 0 || left < 1000)
        return "triggered by interval";
    *when_ms = left;
    return NULL;
}

/* No scan due: the last scan's result stands, and is reported again as Flux does. */
static void keep_last_scan(const ed_node *obj, struct scan *sc, struct outcome *out)
{
    int64_t count = 0;
    ed_node_int(ed_node_path(obj, "/status/lastScanResult/tagCount"), &count);
    const char *rev = str_at(obj, "/status/lastScanResult/revision");
    snprintf(sc->revision, sizeof(sc->revision), "%s", rev ? rev : "");
    sc->kept = true;
    out->ok = true;
    out->reason = "Succeeded";
    snprintf(out->message, sizeof(out->message),
             "successful scan: found %lld tags with checksum %s", (long long)count, sc->revision);
}

/* Phase 5: list, filter, store. */
static int scan(ed_imagerepo_controller *c, const ed_node *obj, const ed_image_ref *ref,
                const ed_registry_opts *ro, struct scan *sc, struct outcome *out)
{
    ed_err err = ED_ERR_INIT;
    int rc = ed_registry_tags(ref, ro, &sc->tags, &sc->ntags, &err);
    /* Flux marks every failure of the scan itself (a registry refusing the credentials
     * included) ReadOperationFailed, "scan failed: ...", and retries it. */
    if (rc) {
        out->reason = "ReadOperationFailed";
        out->retry_after = *ro->retry_after_ms;
        snprintf(out->message, sizeof(out->message), "scan failed: %s", err.msg);
        return rc;
    }
    const char **pats = NULL;
    size_t npats = exclusions(obj, &pats);
    rc = ed_image_exclude(sc->tags, &sc->ntags, pats, npats, &err);
    free(pats);
    if (rc) {
        out->reason = "ReadOperationFailed";
        snprintf(out->message, sizeof(out->message), "scan failed: %s", err.msg);
        return rc;
    }
    ed_image_tags_summary(sc->tags, sc->ntags, sc->revision);
    rc = ed_image_tags_save(c->o.storage_path, str_at(obj, "/metadata/namespace"),
                            str_at(obj, "/metadata/name"), (const char *const *)sc->tags, sc->ntags,
                            &err);
    if (rc) {
        out->reason = "StorageOperationFailed";
        snprintf(out->message, sizeof(out->message), "failed to store the tags: %s", err.msg);
        return rc;
    }
    out->ok = true;
    out->reason = "Succeeded";
    snprintf(out->message, sizeof(out->message), "successful scan: found %zu tags with checksum %s",
             sc->ntags, sc->revision);
    return 0;
}

/* Phase 6: write status from the outcome. */
static int write_status(ed_imagerepo_controller *c, const ed_node *obj, const struct outcome *out,
                        const struct scan *sc)
{
    ed_ctrl_record_metrics(c->o.metrics, KIND, obj, out->ok ? "True" : "False", false);
    ed_status_patch sp;
    ed_status_begin(&sp, obj);
    ed_doc *d = sp.doc;
    if (out->ok) {
        /* Flux records the name only with a successful scan (shouldScan compares it). */
        ed_node_set(d, sp.status, "canonicalImageName", ed_node_new_str(d, sc->canonical));
        ed_cond_set(d, sp.conditions, "Ready", "True", out->reason, out->message, sp.generation);
        ed_cond_remove(sp.conditions, "Reconciling");
        ed_cond_remove(sp.conditions, "Stalled");
    }
    if (out->ok && !sc->kept) {
        ed_node *res = ed_node_new_map(d);
        char now[32];
        ed_time_rfc3339(time(NULL), now);
        ed_node_set(d, res, "revision", ed_node_new_str(d, sc->revision));
        ed_node_set(d, res, "scanTime", ed_node_new_str(d, now));
        ed_node_set(d, res, "tagCount", ed_node_new_int(d, (int64_t)sc->ntags));
        /* No tags: Flux omits latestTags (null removes an earlier scan's from the merge). */
        ed_node *latest = sc->ntags ? ed_node_new_seq(d) : ed_node_new_null(d);
        for (size_t i = 0; i < sc->ntags && i < LATEST_TAGS; i++)
            ed_node_append(d, latest, ed_node_new_str(d, sc->tags[i]));
        ed_node_set(d, res, "latestTags", latest);
        ed_node_set(d, sp.status, "lastScanResult", res);
    }
    if (out->ok) {
        ed_node_set(d, sp.status, "observedGeneration", ed_node_new_int(d, sp.generation));
        /* The list the scan used, the default included, as Flux records it. */
        const char **pats = NULL;
        size_t npats = exclusions(obj, &pats);
        ed_node *excl = ed_node_new_seq(d);
        for (size_t i = 0; i < npats; i++)
            ed_node_append(d, excl, ed_node_new_str(d, pats[i]));
        free(pats);
        ed_node_set(d, sp.status, "observedExclusionList", excl);
    } else {
        ed_status_failed(&sp, out->stalled, out->reason, out->message, out->progress);
    }
    return ed_status_commit(&sp, c->o.kube, API_VERSION, KIND, obj, MANAGER, NAME);
}

/* Flux's trace Event (a Normal one, recorded by ed_ctrl_notify when obj was Ready and stays so
 * with the same message): when the next scan is, and whether this one found other tags or ran
 * at all. */
static void next_scan_note(const ed_node *obj, const struct scan *sc, int64_t when_ms, char *note,
                           size_t size)
{
    char when[32];
    ed_duration_string(when_ms * ED_NS_PER_MS, when);
    const char *old_rev = str_at(obj, "/status/lastScanResult/revision");
    if (sc->kept)
        snprintf(note, size,
                 "no change in repository configuration since last scan, next scan in %s", when);
    else if (old_rev && strcmp(old_rev, sc->revision) == 0)
        snprintf(note, size, "tags did not change, next scan in %s", when);
    else
        snprintf(note, size, "successful scan, next scan in %s", when);
}

/* Phases 4-6 for a live, unsuspended object. Returns the reconcile's result. */
static int scan_and_report(ed_imagerepo_controller *c, const ed_node *obj, int64_t interval,
                           int64_t *requeue_after_ms)
{
    struct outcome out = {.reason = "ReadOperationFailed"};
    struct scan sc = {0};
    const char *why = NULL;
    int64_t when = interval;
    ed_ctrl_registry_auth auth = {0};
    int64_t retry_after = 0;
    ed_err err = ED_ERR_INIT;
    ed_image_ref ref;
    int64_t timeout = interval;
    const char *to = str_at(obj, "/spec/timeout");
    if (to && (ed_duration_parse(to, &timeout, &err) != 0 || timeout <= 0))
        timeout = interval;
    ed_registry_opts ro = {.timeout_ms = timeout, .retry_after_ms = &retry_after};
    ed_node_bool(ed_node_path(obj, "/spec/insecure"), &ro.insecure);
    ed_status_progress(obj, out.progress, sizeof(out.progress));
    int rc = ed_image_ref_parse(str_at(obj, "/spec/image"), &ref, &err);
    if (rc) {
        out.reason = "ImageURLInvalid";
        out.stalled = true;
        snprintf(out.message, sizeof(out.message), "%s", err.msg);
        goto status;
    }
    snprintf(sc.canonical, sizeof(sc.canonical), "%s", ref.canonical);
    const char *provider = str_at(obj, "/spec/provider");
    if (provider && strcmp(provider, "generic") != 0) {
        /* Cloud workload identity is not built: say so rather than scan anonymously. */
        out.reason = "AuthenticationFailed";
        out.stalled = true;
        rc = ED_EINVALID;
        snprintf(out.message, sizeof(out.message),
                 "spec.provider '%s' is not supported by eddy: use generic with secretRef",
                 provider);
        goto status;
    }
    rc = ed_ctrl_registry_auth_read(c->o.kube, obj, &ref, ED_CTRL_AUTH_REFLECTOR, &auth, &ro, NULL,
                                    &err);
    if (rc) {
        out.reason = "AuthenticationFailed";
        snprintf(out.message, sizeof(out.message), "failed to configure authentication options: %s",
                 err.msg);
    } else if ((why = scan_reason(c, obj, &ref, interval, &when)) != NULL) {
        snprintf(out.progress, sizeof(out.progress), "scanning: %s", why);
        rc = scan(c, obj, &ref, &ro, &sc, &out);
    } else {
        keep_last_scan(obj, &sc, &out);
    }
status:
    if (write_status(c, obj, &out, &sc) != 0 && out.ok)
        rc = ED_ERETRY;
    /* Flux's notify: an Event when the repository becomes ready or its Ready message changes
     * (another checksum), a Warning on every failure, else its trace with the next scan's time;
     * no annotations (Flux's carry none). */
    char trace[160];
    next_scan_note(obj, &sc, when, trace, sizeof(trace));
    ed_ctrl_notify(c->o.kube, obj, MANAGER, out.ok, out.reason, out.message, trace, NULL);
    /* controller-runtime's line for the error Flux returns for a retry (none when stalled). */
    if (!out.ok && !out.stalled)
        ed_ctrl_log_result(NAME, obj, false, false, out.message);
    if (out.ok) {
        *requeue_after_ms = when;
    } else {
        if (out.retry_after > 0) {
            /* The registry said when to come back: do so, without counting a failure. */
            /* The manager jitters requeues by +/-5%: never come back before the time. */
            *requeue_after_ms = out.retry_after + out.retry_after / 16;
            rc = 0;
        } else if (out.stalled) {
            rc = 0; /* only a new generation helps: the watch brings it */
            *requeue_after_ms = 0;
        } else if (!rc) {
            rc = ED_ERROR;
        }
    }
    ed_ctrl_registry_auth_clear(&auth);
    ed_registry_tags_free(sc.tags);
    return rc;
}

/* On deletion: the tags kept on disk go too. */
static int remove_tags(const ed_node *obj, void *user, ed_err *err)
{
    (void)err;
    ed_imagerepo_controller *c = user;
    ed_image_tags_remove(c->o.storage_path, str_at(obj, "/metadata/namespace"),
                         str_at(obj, "/metadata/name"));
    return 0;
}

static int reconcile(const char *key, int64_t *requeue_after_ms, void *user)
{
    ed_imagerepo_controller *c = user;
    char ns[256];
    const char *name = ed_key_split(key, ns, sizeof(ns));
    ed_err err = ED_ERR_INIT;
    ed_doc *objdoc = NULL;
    int rc;
    if (ed_ctrl_begin(&c->kind, ns, name, &objdoc, &rc, &err) == ED_CTRL_STOP)
        goto done;
    ed_node *obj = ed_doc_root(objdoc);
    int64_t interval = ed_ctrl_interval(obj, 60000);
    rc = scan_and_report(c, obj, interval, requeue_after_ms);
done:
    if (rc && err.msg[0])
        ed_log(ED_LOG_ERROR, "Reconciler error", "controller", NAME, "name", name, "namespace", ns,
               "error", err.msg, NULL);
    ed_doc_free(objdoc);
    return rc;
}

ed_imagerepo_controller *ed_imagerepo_register(ed_manager *m, const ed_imagerepo_opts *opts)
{
    ed_imagerepo_controller *c = ed_xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->kind =
        (ed_ctrl_kind){opts->kube, opts->metrics,           API_VERSION, KIND, NAME, remove_tags, c,
                       NULL,       ED_CTRL_IMAGE_SUSPENDED, MANAGER,     false};
    ed_ctrl_register(m, &c->kind, opts->workers, reconcile);
    return c;
}

void ed_imagerepo_free(ed_imagerepo_controller *c)
{
    free(c);
}
