/*
 * image: image update automation's pure parts. Built: tag policies as Flux's ImagePolicy
 * evaluates them (policy.c): semver ranges (base/semver.c, shared with Git sources), alphabetical
 * and numerical ordering, and filterTags (a regular expression with named groups, and `extract`
 * to order by part of a tag).
 *
 * Built too: the registry client (registry.c): an image reference's canonical name and the
 * tag listing of the OCI distribution API with Link pagination and Basic or Bearer-token auth;
 * manifests and blobs (digests checked) for OCIRepository, whose oci:// addresses and layer
 * choice are oci.c's.
 *
 * Built too: a scan's helpers (scan.c: exclusionList, dockerconfigjson credentials, tags kept on
 * disk), in-place setter edits (setters.c) and the commit message templates (template.c, with
 * the sprig functions of sprig.c).
 */
#ifndef ED_IMAGE_H
#define ED_IMAGE_H

#include "../base/base.h"

/* ---- ImagePolicy ---- */

typedef enum {
    ED_POLICY_SEMVER,
    ED_POLICY_ALPHABETICAL,
    ED_POLICY_NUMERICAL,
} ed_policy_kind;

typedef struct ed_policy_spec {
    ed_policy_kind kind;
    const char *range;   /* semver: the constraint */
    bool descending;     /* alphabetical/numerical: order "desc" (default "asc") */
    const char *filter;  /* filterTags.pattern, or NULL */
    const char *extract; /* filterTags.extract ("$ts", "${1}", "$$" for '$'), or NULL: the tag */
} ed_policy_spec;

/*
 * Choose the latest tag of tags by spec, as ImagePolicy does: filter (tags the pattern does
 * not match are dropped; extract gives the value that is ordered), then the highest version in
 * range (semver; tags that are not versions are ignored), the last in alphabetical order, or
 * the largest number (asc; desc picks the first / smallest), ties broken as Flux breaks them
 * (policy.c). *out is the chosen tag (borrowed from tags). Errors, with Flux's messages:
 * ED_EINVALID for a bad pattern or range (the spec is wrong); ED_ENOTFOUND when no tag is left
 * after the filter ("version list argument cannot be empty") or none is in the semver range
 * ("unable to determine latest version from provided list"); ED_ERROR for a numerical value
 * that is not a number (the tags are wrong, not the spec).
 */
int ed_policy_latest(const ed_policy_spec *spec, const char *const *tags, size_t n,
                     const char **out, ed_err *err);

/* Append s as Go's json.Marshal writes a string: HTML-safe (<, >, & as \u003c...), \b and \f as
 * such, other control characters as \u00XX, U+2028 and U+2029 escaped. (The image module's
 * templates write JSON with it, and so does the CLI's dockerconfigjson.) */
void ed_image_json_quote(ed_buf *b, const char *s);

/* ---- registries ---- */

/* Where an image lives: "nginx" is docker.io's library/nginx, served by registry-1.docker.io. */
typedef struct ed_image_ref {
    char registry[256];   /* host[:port] to connect to ("registry-1.docker.io") */
    char repository[512]; /* "library/nginx", "stefanprodan/podinfo" */
    char canonical[800];  /* as Flux reports canonicalImageName: "index.docker.io/library/nginx" */
} ed_image_ref;

/* Parse an image name (without tag or digest). ED_EINVALID for a malformed one. */
int ed_image_ref_parse(const char *image, ed_image_ref *out, ed_err *err);

typedef struct ed_registry_opts {
    const char *username; /* credentials (from a dockerconfigjson Secret), or NULL */
    const char *password;
    const char *ca_pem;   /* extra CA for the registry's TLS, or NULL */
    const char *cert_pem; /* client certificate for mutual TLS (certSecretRef tls.crt), or NULL */
    const char *key_pem;  /* its key (tls.key), or NULL */
    const char *proxy;    /* proxy URL (proxySecretRef address), or NULL */
    const char *proxy_username;
    const char *proxy_password;
    bool insecure;      /* plain HTTP allowed (ImageRepository spec.insecure) */
    int page_size;      /* tags per page; 0 for 1000 */
    int64_t timeout_ms; /* per request; 0 for 60 s */
    /* Out, or NULL: on HTTP 429, the wait the registry asked for with Retry-After (seconds,
     * in ms; 0 when it gave none). Reset to 0 by each call. */
    int64_t *retry_after_ms;
    bool push; /* a Bearer token is asked for pull and push (ed_registry_*_put) */
    /* The registry's certificate is not verified: OCIRepository's spec.insecure without a
     * certSecretRef, the one place Flux allows it (source-controller's getTLSConfig). */
    bool tls_skip_verify;
} ed_registry_opts;

/* Whether pem (len bytes) holds a certificate that parses, as Go's
 * x509.CertPool.AppendCertsFromPEM asks (blocks of other types are passed over). */
bool ed_image_pem_has_certificate(const char *pem, size_t len);

/*
 * List every tag of ref's repository (following Link pagination), answering the registry's
 * auth challenge: Basic with the credentials, or Bearer (a token from the challenge's realm,
 * for service and scope, fetched with the credentials when given). On success *tags is a new
 * NULL-terminated array of *n strings (free with ed_registry_tags_free). Errors: ED_EAUTH
 * (credentials refused), ED_ENOTFOUND (no such repository), ED_ERETRY (429, 5xx, network),
 * ED_ETOOBIG (more than 100,000 tags or an oversized page).
 */
int ed_registry_tags(const ed_image_ref *ref, const ed_registry_opts *opts, char ***tags, size_t *n,
                     ed_err *err);
void ed_registry_tags_free(char **tags);

/*
 * Whether the registry of ref may be spoken to over plain HTTP when HTTPS gives no reply, as
 * Flux's client (go-containerregistry) decides: insecure (spec.insecure), or a registry that
 * looks local: localhost:<port>, a *.local or *.localhost name, a loopback or RFC 1918
 * address. ed_registry_tags and ed_registry_digest always try HTTPS first.
 */
bool ed_registry_plain_http_allowed(const ed_image_ref *ref, bool insecure);

#define ED_DIGEST_MAX 80

/*
 * The digest ("sha256:<hex>") of tag's manifest (or index), from a HEAD of the manifest and its
 * Docker-Content-Digest header, with the same auth flow as ed_registry_tags. Errors as there,
 * and ED_ERROR when the registry gives no digest.
 */
int ed_registry_digest(const ed_image_ref *ref, const ed_registry_opts *opts, const char *tag,
                       char out[ED_DIGEST_MAX], ed_err *err);

/*
 * GET the manifest of reference (a tag, or a digest "sha256:<hex>") of ref's repository,
 * accepting an OCI image manifest or Docker's schema 2 (an index is not asked for), with the
 * auth flow of ed_registry_tags. *body is the manifest as sent (a new string) and digest its
 * sha256, computed from the bytes. Errors as ed_registry_tags, and ED_EINVALID when a manifest
 * asked for by digest has another digest.
 */
int ed_registry_manifest(const ed_image_ref *ref, const ed_registry_opts *opts,
                         const char *reference, char **body, char digest[ED_DIGEST_MAX],
                         ed_err *err);

/*
 * ed_registry_manifest for an OCI image index (the Accept header asks for one only): cosign's
 * referrers tag sha256-<hex> on a registry without the referrers API. Errors as there.
 */
int ed_registry_index(const ed_image_ref *ref, const ed_registry_opts *opts, const char *reference,
                      char **body, char digest[ED_DIGEST_MAX], ed_err *err);

/*
 * The OCI 1.1 referrers API: GET /v2/<name>/referrers/<digest>, asking for artifact_type (NULL
 * for all), the image index it answers in *body (a new string). A registry without the API
 * answers 404: ED_ENOTFOUND, after which the referrers tag schema (ed_registry_index of the
 * tag sha256-<hex>) is the way. The registry may ignore the filter: the caller checks each
 * descriptor's artifactType. Errors as ed_registry_tags; ED_EINVALID for a malformed digest.
 */
int ed_registry_referrers(const ed_image_ref *ref, const ed_registry_opts *opts, const char *digest,
                          const char *artifact_type, char **body, ed_err *err);

/*
 * Download the blob digest ("sha256:<hex>") of ref's repository to a new file (created, never
 * overwritten), following redirects (the credentials go only to the registry), hashing it on
 * the way. Errors: those of ed_registry_tags; ED_EINVALID for a malformed digest or a blob whose
 * bytes have another digest; ED_ETOOBIG past max_bytes; ED_ERROR when the file cannot be
 * written. On error the file is removed.
 */
int ed_registry_blob_get(const ed_image_ref *ref, const ed_registry_opts *opts, const char *digest,
                         const char *file, int64_t max_bytes, ed_err *err);

/*
 * Upload a blob of ref's repository, unless the registry has it already (a HEAD): the file at
 * file, or else len bytes at data, whose sha256 is digest (the registry checks it), with the
 * distribution API's two steps (POST an upload, PUT its Location with ?digest=). Set
 * opts->push for a Bearer registry. Errors as ed_registry_tags, ED_EINVALID for a malformed
 * digest, ED_ERROR when the file cannot be read.
 */
int ed_registry_blob_put(const ed_image_ref *ref, const ed_registry_opts *opts, const char *file,
                         const char *data, size_t len, const char *digest, ed_err *err);

/*
 * PUT manifest (JSON, NUL-terminated, of media_type) as tag of ref's repository; digest gets
 * its sha256 ("sha256:<hex>"), checked against the registry's Docker-Content-Digest. Errors as
 * ed_registry_blob_put.
 */
int ed_registry_manifest_put(const ed_image_ref *ref, const ed_registry_opts *opts, const char *tag,
                             const char *manifest, const char *media_type,
                             char digest[ED_DIGEST_MAX], ed_err *err);

/* ---- OCI artifacts (OCIRepository) ---- */

/* Flux's media types of an artifact pushed by `flux push artifact`. */
#define ED_OCI_FLUX_CONFIG_TYPE  "application/vnd.cncf.flux.config.v1+json"
#define ED_OCI_FLUX_CONTENT_TYPE "application/vnd.cncf.flux.content.v1.tar+gzip"

/*
 * Parse an OCIRepository's spec.url, "oci://<host>[:port]/<path>", into *out, as Flux's
 * go-containerregistry does (a first part that names no host makes a Docker Hub repository).
 * Errors, with Flux's messages: ED_EINVALID for another scheme, an empty name, a repository of
 * fewer than 2 or more than 255 characters, or with a character outside a-z0-9_-./ (a tag's
 * ':' and a digest's '@' among them).
 */
int ed_oci_url_parse(const char *url, ed_image_ref *out, ed_err *err);

/* The layer of an artifact that an OCIRepository uses. */
typedef struct ed_oci_layer {
    char digest[ED_DIGEST_MAX]; /* "sha256:<hex>" */
    char media_type[256];
    int64_t size;               /* as the manifest says; -1 when it does not */
    struct ed_doc *annotations; /* the manifest's string annotations (a map), or NULL */
} ed_oci_layer;

/*
 * From the manifest (JSON, len bytes; an OCI image manifest or Docker's schema 2), the layer
 * an OCIRepository uses: the first whose mediaType is media_type, or the first layer when
 * media_type is NULL or "" (as Flux's layerSelector). Fills *out (clear it with
 * ed_oci_layer_clear). Errors, ED_EINVALID, with Flux's messages: a manifest that is not JSON
 * or of another media type, no layers, no layer of media_type, a layer digest that is not
 * sha256:<hex>.
 */
int ed_oci_manifest_layer(const char *manifest, size_t len, const char *media_type,
                          ed_oci_layer *out, ed_err *err);
void ed_oci_layer_clear(ed_oci_layer *layer);

/*
 * The tags `flux list artifacts` shows, in place: sorted in reverse lexical order, without
 * cosign's (".att", ".sbom", ".sig"), and, when given (NULL or "" for none), only those that are
 * versions within the semver range and those the regular expression matches (anywhere in the
 * tag). Dropped tags are freed and *n updated. Errors, ED_EINVALID with flux's words ("semver
 * '<range>' parse error: ...", "regex '<re>' parse error: ..."), leave the tags untouched.
 */
int ed_oci_tags_filter(char **tags, size_t *n, const char *semver, const char *regex, ed_err *err);

/* ---- setters: in-place edits of marked image fields ---- */

/* A parsed `# {"$imagepolicy": "<ns>:<name>[:tag|:name|:digest]"}` marker. */
typedef struct ed_setter_marker {
    char ns[256];
    char name[256];
    char field[16];   /* "", "tag", "name" or "digest" */
    char setter[600]; /* the marker's value as written ("flux-system:app:tag") */
} ed_setter_marker;

/* What a policy says the image is (strings borrowed). */
typedef struct ed_setter_image {
    const char *name;   /* "ghcr.io/org/app" */
    const char *tag;    /* "1.2.0" */
    const char *digest; /* "sha256:..." or NULL */
} ed_setter_image;

/*
 * Look up policy ns/name: fill *out and return 0 to apply it; return 1 to leave the marker
 * alone (a policy this automation does not select, or one without a latest image yet), or
 * ED_ENOTFOUND when no such policy exists (an error naming the file and line).
 */
typedef int (*ed_setter_lookup_fn)(const char *ns, const char *name, ed_setter_image *out,
                                   void *user);

/* One value changed, with Flux's template fields: the file, the object (its document's
 * apiVersion, kind, metadata.name and .namespace, each NULL when absent) and old/new values. */
typedef struct ed_setter_change {
    char *file;
    char *api_version, *kind, *obj_name, *obj_namespace;
    char *old_value, *new_value;
    char *setter; /* the marker's value */
    int line;     /* 1-based */
    int doc_index;
} ed_setter_change;

typedef struct ed_setter_changes {
    ed_setter_change *items;
    size_t n;
} ed_setter_changes;

/*
 * Apply the markers of one YAML file (data, len; file names it in messages and changes):
 * out gets the whole new content, byte-identical to data except for the marked scalars whose
 * value changed (quotes kept); each change is appended to *changes. Files without the token
 * "$imagepolicy" come out unchanged. Errors (nothing appended then): ED_EINVALID (malformed
 * marker, marker without a value, :digest without a reflected digest, a NUL byte), ED_ENOTFOUND (a
 * marker naming a policy that does not exist), ED_ETOOBIG (out's cap).
 */
int ed_setters_apply(const char *file, const char *data, size_t len, ed_setter_lookup_fn lookup,
                     void *user, ed_buf *out, ed_setter_changes *changes, ed_err *err);
void ed_setter_change_clear(ed_setter_change *c);
void ed_setter_changes_free(ed_setter_changes *ch);

/* ---- commit message templates ---- */

/* What a messageTemplate sees (all borrowed). */
typedef struct ed_template_data {
    const char *automation_ns, *automation_name; /* .AutomationObject */
    const ed_setter_changes *changes;            /* .Changed */
    /* .Values: "key", "value", ..., NULL (messageTemplateValues); NULL for none (Go's nil map) */
    const char *const *values;
} ed_template_data;

/*
 * Parse tmpl (the subset of Go's text/template described in template.c) as Go's template.Parse
 * does, named name ("commit message" in Flux's messages). Returns 0, or ED_EINVALID with Go's
 * parse error ("template: NAME:LINE: unexpected EOF", `function "x" not defined`...), or eddy's
 * naming what it does not implement.
 */
int ed_template_check(const char *tmpl, const char *name, ed_err *err);

/*
 * Render tmpl (the subset of Go's text/template described in template.c, with Go's builtins
 * and the sprig functions of sprig.c), named name, over data into *out (a new string): parsed
 * first, as ed_template_check does, then run. Errors: ED_EINVALID with Go's words, a parse
 * error as ed_template_check gives it, or an execution error ("template: NAME:LINE:COL:
 * executing "NAME" at <NODE>: can't evaluate field X in type T"...); ED_ETOOBIG past 1 MiB.
 */
int ed_template_render(const char *tmpl, const char *name, const ed_template_data *data, char **out,
                       ed_err *err);

/* ---- ImageRepository scans ---- */

/*
 * Drop the tags (an array of n strings owned by the array, as ed_registry_tags gives) that match
 * any of the regular expressions (spec.exclusionList): they are freed and the rest moved up;
 * *n is updated. ED_EINVALID names the invalid pattern (the tags are untouched then).
 */
int ed_image_exclude(char **tags, size_t *n, const char *const *patterns, size_t npatterns,
                     ed_err *err);

/*
 * The credentials for registry (host[:port]) in a dockerconfigjson document (the Secret's
 * `.dockerconfigjson`, or the legacy `.dockercfg`: the `auths` map alone): `auths` keys are
 * matched by host (a scheme and path are ignored;
 * docker.io, index.docker.io and registry-1.docker.io are one), and either auth (base64
 * "user:password", which wins) or username/password is read. *user and *password are new
 * strings. Errors: ED_EINVALID (not JSON; an auth of any entry that does not decode, in
 * go-containerregistry's words: "unable to decode auth field: ..."), ED_ENOTFOUND (no entry
 * for the host, or one without credentials: go-containerregistry then sends none).
 */
int ed_image_docker_credentials(const char *config, size_t len, const char *registry, char **user,
                                char **password, ed_err *err);

/*
 * The credentials of Kubernetes pull secrets as Flux's controllers find them for an image
 * (go-containerregistry's kubernetes keychain, NewFromPullSecrets): every entry of every
 * Secret added, keyed by its host and path ("https://index.docker.io/v1/" is
 * "index.docker.io", "registry:5000/team" keeps its path); a key seen again keeps its first
 * credential.
 */
typedef struct ed_image_keyring ed_image_keyring;

/* An empty keyring; free it with ed_image_keyring_free (which wipes the passwords). */
ed_image_keyring *ed_image_keyring_new(void);
void ed_image_keyring_free(ed_image_keyring *k);

/*
 * Add the entries of one Secret's `.dockerconfigjson` (legacy false: the `auths` map, its name
 * in any case) or `.dockercfg` (legacy true: the map alone). Field names are read in any case,
 * as Go's encoding/json reads them; an auth (base64 "user:password") wins over username and
 * password. Errors: ED_EINVALID for text that is no JSON, or an auth of any entry that does not
 * decode, in go-containerregistry's words ("unable to decode auth field: ...").
 */
int ed_image_keyring_add(ed_image_keyring *k, const char *config, size_t len, bool legacy,
                         ed_err *err);

/*
 * The credentials for image (a canonical repository name, "host[:port]/path") into new strings
 * *user and *password: those of the first key, in reverse lexical order (so the longest of
 * keys sharing a prefix), that matches the image: the same port, as many host parts, each a
 * glob ("*.example.com"), the image's path under the key's. ED_ENOTFOUND when no key matches or
 * the first that does holds no username and password (an empty entry): the scan is anonymous.
 */
int ed_image_keyring_resolve(const ed_image_keyring *k, const char *image, char **user,
                             char **password);

/*
 * Sort tags in reverse lexical order (the order of Flux's status.lastScanResult.latestTags)
 * and write the revision of the list to revision as Flux computes it: the adler32 checksum, in
 * decimal, of the sorted tags as a JSON array (what its database stores).
 */
void ed_image_tags_summary(char **tags, size_t n, char revision[65]);

/*
 * Keep a scan's tags on disk, not in etcd: `<storage>/imagerepository/<ns>/<name>/tags.txt`, one
 * tag a line, written atomically. Errors: ED_EINVALID (a name with '/'), ED_ERROR (file system).
 */
int ed_image_tags_save(const char *storage, const char *ns, const char *name,
                       const char *const *tags, size_t n, ed_err *err);
/* Read them back: *tags as ed_registry_tags gives them (free with ed_registry_tags_free).
 * Errors: ED_ENOTFOUND (never scanned), ED_ERROR. */
int ed_image_tags_load(const char *storage, const char *ns, const char *name, char ***tags,
                       size_t *n, ed_err *err);
/* Remove an ImageRepository's stored tags (on deletion). */
void ed_image_tags_remove(const char *storage, const char *ns, const char *name);

#endif
