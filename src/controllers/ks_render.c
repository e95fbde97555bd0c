/*
 * Flux's build layer of the Kustomization reconciler (kustomize-controller's generate, build
 * and post-build steps):
 *
 *   1. the overlay: spec.targetNamespace, namePrefix/nameSuffix, images, patches and components
 *      (without the missing ones when ignoreMissingComponents) merged into the path's
 *      kustomization (ed_ks_flux_overlay);
 *   2. the native kustomize build, its output in the order accumulated unless the top
 *      kustomization has sortOptions (Flux builds with no Reorder; `kubectl kustomize` sorts);
 *   3. postBuild: the variables of spec.postBuild.substituteFrom (ConfigMaps and Secrets of the
 *      Kustomization's namespace, in order, later ones winning; a missing one is an error
 *      unless `optional`) and then spec.postBuild.substitute (winning over all), every value
 *      without its line feeds (as Flux: a value from a file keeps no final newline), substituted
 *      in every object in strict mode (Flux's StrictPostBuildSubstitutions, on by default since
 *      kustomize-controller 1.9; the agent's --feature-gates turns it off).
 *      With substituteStrategy WithVariables (the default) nothing is substituted when there
 *      are no variables at all; Always substitutes in any case;
 *   4. spec.commonMetadata on every object (after the history digest is taken, as Flux
 *      takes it before applying).
 *
 *   2b. spec.decryption (SOPS, with the age and PGP keys of the `*.agekey` and `*.asc`
 *      entries of its Secret; without a secretRef, the age keys of the controller's
 *      --sops-age-secret in its runtime namespace, as Flux's): the files secretGenerator reads are
 * decrypted as they are read (dotenv, YAML, JSON and sops's binary envelope), and after the build
 * every object with SOPS metadata, before the substitution (src/kustomize/sops.c). Without
 * decryption an encrypted Secret is refused, as Flux refuses it;
 *
 * healthCheckExprs and dependsOn[].readyExpr are refused (BuildFailed, naming the field) until
 * eddy implements them.
 *
 * Secret values are read into memory only for the substitution and wiped afterwards; they never
 * appear in messages (a message names the variable, never its value).
 */
#include "ks_int.h"

#include "../kustomize/kustomize.h"

#include <openssl/crypto.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The variables of a postBuild: name -> malloc'd value. */
struct vars {
    ed_strmap *map;
};

static void vars_free(struct vars *v)
{
    if (!v->map)
        return;
    size_t pos = 0;
    const char *k;
    void *val;
    while (ed_strmap_next(v->map, &pos, &k, &val)) {
        memset(val, 0, strlen(val)); /* Secret values do not linger in freed memory */
        free(val);
    }
    ed_strmap_free(v->map);
    v->map = NULL;
}

/* Put name = value (taken), without its line feeds as Flux does: a value read from a file with
 * a final newline substitutes as the bare value. */
static void vars_put(struct vars *v, const char *name, char *value)
{
    char *w = value;
    const char *r = value;
    for (; *r; r++)
        if (*r != '\n')
            *w++ = *r;
    memset(w, 0, (size_t)(r - w) + 1); /* the tail a Secret's value left behind, too */
    char *old = ed_strmap_put(v->map, name, value);
    if (old) {
        memset(old, 0, strlen(old));
        free(old);
    }
}

/* A Secret's base64 value, decoded into a new string (*out_len bytes before its NUL, when
 * out_len is not NULL); NULL when it is not valid base64 or not a string at all (a manifest's
 * `data: {k: null}`). */
static char *decode_b64_len(const char *b64, size_t *out_len)
{
    size_t n = 0;
    char *out = b64 ? (char *)ed_base64_decode(b64, strlen(b64), ED_BASE64_LINES, &n) : NULL;
    if (out_len)
        *out_len = n;
    return out;
}

static char *decode_b64(const char *b64)
{
    return decode_b64_len(b64, NULL);
}

/* One substituteFrom entry (ref, item i) into v. */
static int load_ref(ed_kube *kube, const char *ns, const ed_node *ref, struct vars *v, ed_err *err)
{
    const char *kind = ed_node_str(ed_node_get(ref, "kind"));
    const char *name = ed_node_str(ed_node_get(ref, "name"));
    bool optional = false;
    ed_node_bool(ed_node_get(ref, "optional"), &optional);
    if (!kind || !name || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0))
        return ed_err_set(err, ED_EINVALID,
                          "spec.postBuild.substituteFrom: kind must be ConfigMap or Secret, with "
                          "a name");
    ed_doc *doc = NULL;
    ed_err gerr = ED_ERR_INIT;
    int rc = ed_kube_get(kube, "v1", kind, ns, name, &doc, &gerr);
    if (rc == ED_ENOTFOUND && optional)
        return 0;
    if (rc)
        return ed_err_set(err, rc, "substitute from '%s/%s' error: %s", kind, name, gerr.msg);
    bool secret = strcmp(kind, "Secret") == 0;
    const ed_node *data = ed_node_get(ed_doc_root(doc), "data");
    for (size_t i = 0; i < ed_node_len(data); i++) {
        const char *raw = ed_node_str(ed_node_value_at(data, i));
        char *value = !raw ? NULL : secret ? decode_b64(raw) : ed_xstrdup(raw);
        if (!value) {
            rc = ed_err_set(err, ED_EINVALID,
                            "substitute from '%s/%s' error: key '%s' is not "
                            "valid",
                            kind, name, ed_node_key_at(data, i));
            break;
        }
        vars_put(v, ed_node_key_at(data, i), value);
    }
    ed_doc_free(doc);
    return rc;
}

/* Flux's rule for variable names: ^[_[:alpha:]][_[:alpha:][:digit:]]*$ */
static int check_names(const struct vars *v, ed_err *err)
{
    regex_t re;
    if (regcomp(&re, "^[_[:alpha:]][_[:alpha:][:digit:]]*$", REG_EXTENDED | REG_NOSUB) != 0)
        return ed_err_set(err, ED_ERROR, "cannot compile the variable name rule");
    size_t pos = 0;
    const char *k;
    void *val;
    int rc = 0;
    while (!rc && ed_strmap_next(v->map, &pos, &k, &val))
        if (regexec(&re, k, 0, NULL, 0) != 0)
            rc = ed_err_set(err, ED_EINVALID,
                            "'%s' var name is invalid, must match "
                            "'^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
                            k);
    regfree(&re);
    return rc;
}

/* The variables of obj's postBuild into v (names unchecked). */
static int read_vars(ed_kube *kube, const ed_node *obj, struct vars *v, ed_err *err)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const ed_node *pb = ed_node_path(obj, "/spec/postBuild");
    v->map = ed_strmap_new();
    const ed_node *from = ed_node_get(pb, "substituteFrom");
    for (size_t i = 0; i < ed_node_len(from); i++) {
        int rc = load_ref(kube, ns, ed_node_at(from, i), v, err);
        if (rc)
            return rc;
    }
    const ed_node *inline_vars = ed_node_get(pb, "substitute");
    for (size_t i = 0; i < ed_node_len(inline_vars); i++) {
        const char *val = ed_node_str(ed_node_value_at(inline_vars, i));
        if (!val)
            return ed_err_set(err, ED_EINVALID,
                              "spec.postBuild.substitute.%s: must be a string (quote numbers "
                              "and booleans)",
                              ed_node_key_at(inline_vars, i));
        vars_put(v, ed_node_key_at(inline_vars, i), ed_xstrdup(val));
    }
    return 0;
}

static int load_vars(ed_kube *kube, const ed_node *obj, struct vars *v, ed_err *err)
{
    int rc = read_vars(kube, obj, v, err);
    return rc ? rc : check_names(v, err);
}

int ed_ks_vars_load(ed_kube *kube, const ed_node *obj, ed_strmap **out, ed_err *err)
{
    struct vars v = {0};
    int rc = read_vars(kube, obj, &v, err);
    if (rc)
        vars_free(&v);
    *out = v.map;
    return rc;
}

void ed_ks_vars_free(ed_strmap *vars)
{
    struct vars v = {vars};
    vars_free(&v);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sha256 of v's names and values in name order. The text hashed holds Secret values: it is
 * wiped before it is freed, and only the hash leaves. */
static void vars_hash(const struct vars *v, char out[65])
{
    size_t n = ed_strmap_len(v->map), k = 0, pos = 0;
    const char **names = ed_xcalloc(n ? n : 1, sizeof(*names));
    const char *name;
    void *val;
    while (ed_strmap_next(v->map, &pos, &name, &val))
        names[k++] = name;
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    /* sized first and allocated once: no reallocation leaves a copy of a value behind */
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1 + strlen(ed_strmap_get(v->map, names[i])) + 1;
    char *text = ed_xmalloc(len ? len : 1), *p = text;
    for (size_t i = 0; i < n; i++) {
        /* NUL-separated: two different sets never give the same text */
        const char *value = ed_strmap_get(v->map, names[i]);
        size_t nl = strlen(names[i]) + 1, vl = strlen(value) + 1;
        memcpy(p, names[i], nl);
        memcpy(p + nl, value, vl);
        p += nl + vl;
    }
    ed_sha256_hex(text, len, out);
    memset(text, 0, len);
    free(text);
    free(names);
}

int ed_ks_vars_digest(ed_kube *kube, const ed_node *obj, char out[65], ed_err *err)
{
    out[0] = '\0';
    if (!ed_node_path(obj, "/spec/postBuild"))
        return 0;
    struct vars v = {0};
    int rc = load_vars(kube, obj, &v, err);
    if (!rc)
        vars_hash(&v, out);
    vars_free(&v);
    return rc;
}

/* Step 3: postBuild substitution of docs; vars_digest (may be NULL) receives the variables'
 * hash when they were read. */
static int post_build(ed_kube *kube, const ed_node *obj, ed_doc **docs, size_t n, bool strict,
                      char *vars_digest, ed_err *err)
{
    const ed_node *pb = ed_node_path(obj, "/spec/postBuild");
    if (!pb || n == 0)
        return 0;
    struct vars v = {0};
    int rc = load_vars(kube, obj, &v, err);
    if (!rc && vars_digest)
        vars_hash(&v, vars_digest);
    if (rc) {
        /* Flux reads the variables for each object: its message names the first one. */
        char *id = ed_ks_flux_object_id(ed_doc_root(docs[0]));
        ed_err_wrap(err, "post build failed for '%s'", id);
        free(id);
        goto cleanup;
    }
    const char *strategy = ed_node_str(ed_node_get(pb, "substituteStrategy"));
    bool always = strategy && strcmp(strategy, "Always") == 0;
    if (ed_strmap_len(v.map) > 0 || always)
        rc = ed_ks_flux_substitute(docs, n, v.map, strict, err);

cleanup:
    vars_free(&v);
    return rc;
}

/* spec with ignoreMissingComponents applied: a copy in *tmp (freed by the caller) that lists
 * only the components that exist relative to dir, or spec itself. A remote or absolute one is
 * kept, for the overlay to refuse, as Flux refuses it before looking for it. */
static const ed_node *drop_missing_components(const ed_node *spec, const char *dir, ed_doc **tmp,
                                              ed_ks_inputs *rec)
{
    bool ignore = false;
    ed_node_bool(ed_node_get(spec, "ignoreMissingComponents"), &ignore);
    const ed_node *comps = ed_node_get(spec, "components");
    *tmp = NULL;
    if (!ignore || ed_node_len(comps) == 0)
        return spec;
    *tmp = ed_doc_new();
    ed_node *copy = ed_node_copy(*tmp, spec);
    ed_doc_set_root(*tmp, copy);
    ed_node *kept = ed_node_new_seq(*tmp);
    for (size_t i = 0; i < ed_node_len(comps); i++) {
        const char *c = ed_node_str(ed_node_at(comps, i));
        char *p = c ? ed_xasprintf("%s/%s", dir, c) : NULL;
        struct stat st;
        if (p)
            ed_ks_inputs_add(rec, ED_KS_INPUT_PROBE, p);
        if (p && (!ed_ks_flux_local_path(c) || stat(p, &st) == 0))
            ed_node_append(*tmp, kept, ed_node_new_str(*tmp, c));
        free(p);
    }
    ed_node_set(*tmp, copy, "components", kept);
    return copy;
}

/* ---- decryption (kustomize-controller's decryptor: SOPS with age and PGP keys) ---- */

/* The sha256 (hex) of a decryption Secret's data (its namespace/name, then each key and base64
 * value, NUL-separated, in the API's order), for the memo: a Secret whose keys did not change
 * costs no build. The text hashed holds the keys: it is wiped before it is freed, and only the
 * hash leaves. */
static void secret_hash(const ed_node *secret, char out[65])
{
    const char *ns = ed_node_path_str(secret, "/metadata/namespace");
    const char *name = ed_node_path_str(secret, "/metadata/name");
    const ed_node *data = ed_node_get(secret, "data");
    ns = ns ? ns : "";
    name = name ? name : "";
    /* sized first and allocated once: no reallocation leaves a copy of a key behind */
    size_t len = strlen(ns) + 1 + strlen(name) + 1;
    for (size_t i = 0; i < ed_node_len(data); i++) {
        const char *v = ed_node_str(ed_node_value_at(data, i));
        len += strlen(ed_node_key_at(data, i)) + 1 + (v ? strlen(v) : 0) + 1;
    }
    char *text = ed_xmalloc(len), *p = text;
    const char *parts[2] = {ns, name};
    for (int k = 0; k < 2; k++) {
        size_t l = strlen(parts[k]) + 1;
        memcpy(p, parts[k], l);
        p += l;
    }
    for (size_t i = 0; i < ed_node_len(data); i++) {
        const char *key = ed_node_key_at(data, i);
        const char *v = ed_node_str(ed_node_value_at(data, i));
        size_t kl = strlen(key) + 1, vl = (v ? strlen(v) : 0) + 1;
        memcpy(p, key, kl);
        memcpy(p + kl, v ? v : "", vl);
        p += kl + vl;
    }
    ed_sha256_hex(text, len, out);
    OPENSSL_cleanse(text, len);
    free(text);
}

/* The Secret whose keys decrypt obj's build into *out (NULL when there is none to read: no
 * spec.decryption, or no secretRef and no fallback), and in *fallback whether it is Flux's
 * --sops-age-secret (age_secret in age_ns, for a spec.decryption without a secretRef: only its
 * `*.agekey` entries count, cloud credentials staying per Kustomization). Errors are Flux's: a
 * missing Secret is the API's "secrets \"name\" not found" alone. */
static int decryption_secret(ed_kube *kube, const ed_node *obj, const char *age_secret,
                             const char *age_ns, ed_doc **out, bool *fallback, ed_err *err)
{
    *out = NULL;
    *fallback = false;
    const ed_node *dec = ed_node_path(obj, "/spec/decryption");
    if (!dec)
        return 0;
    const char *provider = ed_node_str(ed_node_get(dec, "provider"));
    if (!provider || strcmp(provider, "sops") != 0)
        return ed_err_set(err, ED_EINVALID,
                          "spec.decryption.provider: '%s' is not supported, only 'sops'",
                          provider ? provider : "");
    const char *name = ed_node_path_str(dec, "/secretRef/name");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    if (!name && age_secret && *age_secret && age_ns && *age_ns) {
        name = age_secret;
        ns = age_ns;
        *fallback = true;
    }
    if (!name)
        return 0; /* no Secret: nothing can be decrypted, which the first encrypted object says */
    ed_err gerr = ED_ERR_INIT;
    int rc = ed_kube_get(kube, "v1", "Secret", ns, name, out, &gerr);
    if (rc == ED_ENOTFOUND)
        return ed_err_set(err, rc, "%s", gerr.msg);
    if (rc)
        return ed_err_set(err, rc, "cannot get %s %sdecryption Secret '%s/%s': %s", provider,
                          *fallback ? "SOPS age " : "", ns, name, gerr.msg);
    return 0;
}

/* The keys of spec.decryption's Secret (its `*.agekey` age identities and `*.asc` PGP private
 * keys) into *out, or without a secretRef the age keys of the fallback Secret (age_secret in
 * age_ns, when set); *out stays NULL when the spec asks for no decryption. digest (may be NULL)
 * receives secret_hash of the Secret read, "" when none was. */
static int decryption_keys(ed_kube *kube, const ed_node *obj, const char *age_secret,
                           const char *age_ns, ed_sops_keys **out, char *digest, ed_err *err)
{
    *out = NULL;
    if (digest)
        digest[0] = '\0';
    ed_doc *secret = NULL;
    bool fallback = false;
    int rc = decryption_secret(kube, obj, age_secret, age_ns, &secret, &fallback, err);
    if (rc || !ed_node_path(obj, "/spec/decryption"))
        return rc;
    *out = ed_sops_keys_new();
    if (!secret)
        return 0;
    if (digest)
        secret_hash(ed_doc_root(secret), digest);
    const char *provider = "sops";
    const char *ns = ed_node_path_str(ed_doc_root(secret), "/metadata/namespace");
    const char *name = ed_node_path_str(ed_doc_root(secret), "/metadata/name");
    const char *what = fallback ? "sops SOPS age" : provider;
    const ed_node *data = ed_node_get(ed_doc_root(secret), "data");
    for (size_t i = 0; !rc && i < ed_node_len(data); i++) {
        const char *key = ed_node_key_at(data, i);
        bool age = ed_str_has_suffix(key, ".agekey");
        bool pgp = !fallback && ed_str_has_suffix(key, ".asc");
        if (!age && !pgp)
            continue; /* cloud KMS credentials: not supported */
        char *value = decode_b64(ed_node_str(ed_node_value_at(data, i)));
        if (!value) {
            rc = ed_err_set(err, ED_EINVALID,
                            "failed to import '%s' data from %s decryption Secret '%s/%s': not "
                            "base64",
                            key, what, ns, name);
            break;
        }
        ed_err kerr = ED_ERR_INIT;
        size_t vl = strlen(value);
        if ((age ? ed_sops_keys_add_age : ed_sops_keys_add_pgp)(*out, value, vl, &kerr) != 0)
            rc = ed_err_set(err, ED_EINVALID,
                            "failed to import '%s' data from %s decryption Secret '%s/%s': %s", key,
                            what, ns, name, kerr.msg);
        OPENSSL_cleanse(value, vl);
        free(value);
    }
    ed_doc_free(secret);
    return rc;
}

int ed_ks_decryption_digest(ed_kube *kube, const ed_node *obj, const char *age_secret,
                            const char *age_ns, char out[65], ed_err *err)
{
    out[0] = '\0';
    ed_doc *secret = NULL;
    bool fallback = false;
    int rc = decryption_secret(kube, obj, age_secret, age_ns, &secret, &fallback, err);
    if (!rc && secret)
        secret_hash(ed_doc_root(secret), out);
    ed_doc_free(secret);
    return rc;
}

/* What decrypt_source reads: the keys, and the first decryption failure, which is the
 * render's error as it is (Flux decrypts the sources before it builds, so its message is not
 * kustomize's). */
struct source_decryption {
    const ed_sops_keys *keys;
    ed_err failure;
};

/* ed_ks_options.secret_source: a secretGenerator's file, decrypted when SOPS encrypted it
 * (kustomize-controller's DecryptSources). The plain text lives only in memory. */
static int decrypt_source(void *user, const char *entry, bool env, char **data, size_t *len,
                          ed_err *err)
{
    struct source_decryption *sd = user;
    char *plain = NULL;
    size_t plain_len = 0;
    ed_err derr = ED_ERR_INIT;
    if (ed_sops_decrypt_file(entry, env, *data, *len, sd->keys, &plain, &plain_len, &derr) != 0) {
        if (!sd->failure.code)
            ed_err_set(&sd->failure, derr.code, "error decrypting sources: %s", derr.msg);
        return ed_err_set(err, derr.code, "error decrypting sources: %s", derr.msg);
    }
    if (plain) {
        OPENSSL_cleanse(*data, *len);
        free(*data);
        *data = plain;
        *len = plain_len;
    }
    return 0;
}

/* True when a Secret's data holds what secretGenerator made of a SOPS-encrypted file (a
 * dotenv file's sops_mac key, or a file with SOPS metadata). */
static bool generated_from_sops(const ed_node *obj)
{
    const ed_node *data = ed_node_get(obj, "data");
    for (size_t i = 0; i < ed_node_len(data); i++) {
        if (strcmp(ed_node_key_at(data, i), "sops_mac") == 0)
            return true;
        char *v = decode_b64(ed_node_str(ed_node_value_at(data, i)));
        if (!v)
            continue;
        size_t vl = strlen(v);
        bool found = ed_sops_text_is_encrypted(v, vl);
        memset(v, 0, vl);
        free(v);
        if (found)
            return true;
    }
    return false;
}

/* The annotation kustomize.toolkit.fluxcd.io/decrypt: disabled (any case, as Flux): the object
 * is left as Git has it, neither decrypted nor refused. */
static bool decryption_disabled(const ed_node *obj)
{
    const char *v = ed_node_str(ed_node_get(ed_node_path(obj, "/metadata/annotations"),
                                            "kustomize.toolkit.fluxcd.io/decrypt"));
    return v && strcasecmp(v, "disabled") == 0;
}

/* kustomize's name of obj's group, version and kind (its resid.Gvk), which Flux's decryption
 * errors begin with: "Secret.v1.[noGrp]", "Deployment.v1.apps"; malloc'd. */
static char *gvk_string(const ed_node *obj)
{
    const char *kind = ed_node_str(ed_node_get(obj, "kind"));
    const char *av = ed_node_str(ed_node_get(obj, "apiVersion"));
    const char *slash = av ? strchr(av, '/') : NULL;
    const char *version = slash ? slash + 1 : av;
    int glen = slash ? (int)(slash - av) : 0;
    return ed_xasprintf("%s.%s.%.*s%s", kind && *kind ? kind : "[noKind]",
                        version && *version ? version : "[noVer]", glen, slash ? av : "",
                        glen ? "" : "[noGrp]");
}

/* Flux's pass over a Secret without SOPS metadata: a `data` value that is a whole
 * SOPS-encrypted file (base64 of it: a hand-written Secret, or a generator's file read where
 * the hook did not see it) is decrypted in the format its key's extension names, and stored
 * back as base64. */
static int decrypt_secret_values(ed_doc *doc, ed_node *o, const ed_sops_keys *keys, const char *ns,
                                 const char *name, ed_err *err)
{
    ed_node *data = ed_node_get(o, "data");
    for (size_t i = 0; i < ed_node_len(data); i++) {
        const char *key = ed_node_key_at(data, i);
        size_t vl = 0;
        char *v = decode_b64_len(ed_node_str(ed_node_value_at(data, i)), &vl);
        if (!v)
            continue; /* not base64: the API says so later, as with Flux */
        char *plain = NULL;
        size_t pl = 0;
        ed_err derr = ED_ERR_INIT;
        int rc = ed_sops_text_is_encrypted(v, vl)
                     ? ed_sops_decrypt_file(key, false, v, vl, keys, &plain, &pl, &derr)
                     : 0;
        OPENSSL_cleanse(v, vl);
        free(v);
        if (rc) {
            char *gvk = gvk_string(o);
            ed_err_set(err, rc,
                       "decryption failed for '%s/%s': failed to decrypt and format '%s/%s' Secret "
                       "field '%s': %s",
                       gvk, name, ns, name, key, derr.msg);
            free(gvk);
            return rc;
        }
        if (!plain)
            continue;
        char *enc = ed_base64_encode(plain, pl);
        OPENSSL_cleanse(plain, pl);
        free(plain);
        ed_node_set(doc, data, key, ed_node_new_str(doc, enc));
        OPENSSL_cleanse(enc, strlen(enc));
        free(enc);
    }
    return 0;
}

/* Decrypt the SOPS-encrypted objects of the build (any kind, as Flux), with keys (NULL: no
 * spec.decryption, and an encrypted Secret is refused, as Flux refuses it). */
static int decrypt_all(ed_doc **objs, size_t n, const ed_sops_keys *keys, ed_err *err)
{
    for (size_t i = 0; i < n; i++) {
        ed_node *o = ed_doc_root(objs[i]);
        const char *kind = ed_node_str(ed_node_get(o, "kind"));
        const char *ns = ed_node_path_str(o, "/metadata/namespace");
        const char *name = ed_node_path_str(o, "/metadata/name");
        bool secret = kind && strcmp(kind, "Secret") == 0;
        if (decryption_disabled(o))
            continue;
        if (!ed_sops_is_encrypted(o)) {
            if (secret && keys) {
                int rc =
                    decrypt_secret_values(objs[i], o, keys, ns ? ns : "", name ? name : "", err);
                if (rc)
                    return rc;
            }
            if (secret && !keys && generated_from_sops(o))
                return ed_err_set(err, ED_EINVALID,
                                  "Secret/%s/%s is generated from SOPS-encrypted files, "
                                  "configuring decryption is required for this secret to be "
                                  "reconciled",
                                  ns ? ns : "", name ? name : "");
            continue;
        }
        char subject[800];
        snprintf(subject, sizeof(subject), "%s/%s%s%s", kind ? kind : "", ns ? ns : "",
                 ns ? "/" : "", name ? name : "");
        if (!keys) {
            if (secret)
                return ed_err_set(err, ED_EINVALID,
                                  "%s is SOPS encrypted, configuring decryption is required for "
                                  "this secret to be reconciled",
                                  subject);
            continue;
        }
        ed_err derr = ED_ERR_INIT;
        int rc = ed_sops_decrypt(objs[i], o, subject, keys, &derr);
        if (rc) {
            char *gvk = gvk_string(o);
            ed_err_set(err, rc,
                       "decryption failed for '%s/%s': failed to decrypt and format '%s/%s' %s "
                       "data: %s",
                       gvk, name ? name : "", ns ? ns : "", name ? name : "", kind ? kind : "",
                       derr.msg);
            free(gvk);
            return rc;
        }
    }
    return 0;
}

/* The CLI's build: SOPS-encrypted Secrets keep their keys, every value "**SOPS**" (base64 in
 * data), and lose their metadata, as flux build prints them. */
static void mask_sops(ed_doc **objs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ed_node *o = ed_doc_root(objs[i]);
        const char *kind = ed_node_str(ed_node_get(o, "kind"));
        if (!kind || strcmp(kind, "Secret") != 0 || !ed_sops_is_encrypted(o))
            continue;
        static const char *const fields[] = {"data", "stringData"};
        for (int f = 0; f < 2; f++) {
            ed_node *m = ed_node_get(o, fields[f]);
            for (size_t k = 0; k < ed_node_len(m); k++)
                ed_node_set(objs[i], m, ed_node_key_at(m, k),
                            ed_node_new_str(objs[i], f == 0 ? "KipTT1BTKio=" : "**SOPS**"));
        }
        ed_node_remove(o, "sops");
    }
}

/* How long an http(s) resource may take: kustomize sets none; its Git fetches get 27 s. */
#define REMOTE_FILE_TIMEOUT_MS 27000

static int fetch_remote(void *user, const ed_ks_remote *r, const char *dest, ed_err *err)
{
    const ed_ks_remote_source *src = user;
    if (!src->allow_file && strncasecmp(r->repo, "file://", 7) == 0)
        return ed_err_set(err, ED_EINVALID,
                          "remote target '%s': file:// repositories are not allowed", r->repo);
    return ed_source_remote_tree(src->cache, r->repo, r->ref, r->submodules, r->timeout_ms, dest,
                                 err);
}

static int fetch_remote_file(void *user, const char *url, size_t max, char **data, size_t *len,
                             ed_err *err)
{
    (void)user;
    return ed_source_remote_file(url, max, REMOTE_FILE_TIMEOUT_MS, data, len, err);
}

void ed_ks_remote_options(const ed_ks_remote_source *src, ed_ks_options *ko)
{
    ko->remote = fetch_remote;
    ko->remote_file = fetch_remote_file;
    ko->remote_user = (void *)src;
    ko->remote_tmp = src->tmp_dir;
}

/* Flux's history digest: sha256 of the objects as one YAML stream. */
static void history_digest(ed_doc *const *objs, size_t n, char out[80])
{
    ed_buf yaml = ED_BUF_INIT((size_t)256 << 20);
    char hex[65];
    ed_doc_list_to_yaml(objs, n, &yaml);
    ed_sha256_hex(yaml.data ? yaml.data : "", yaml.len, hex);
    snprintf(out, 80, "sha256:%s", hex);
    ed_buf_free(&yaml);
}

int ed_ks_render(ed_kube *kube, const ed_node *obj, const char *dir, const char *root,
                 unsigned flags, const ed_ks_remote_source *remote, ed_doc ***out, size_t *n,
                 const char **reason, ed_err *err)
{
    return ed_ks_render_traced(kube, obj, dir, root, flags, remote, NULL, out, n, reason, err);
}

int ed_ks_render_traced(ed_kube *kube, const ed_node *obj, const char *dir, const char *root,
                        unsigned flags, const ed_ks_remote_source *remote,
                        ed_ks_render_trace *trace, ed_doc ***out, size_t *n, const char **reason,
                        ed_err *err)
{
    bool strict = (flags & ED_KS_RENDER_STRICT) != 0;
    ed_doc *filtered = NULL;
    ed_doc *overlay = NULL;
    ed_ks_inputs *rec = trace ? trace->files : NULL;
    *out = NULL;
    *n = 0;
    if (trace) {
        trace->vars[0] = '\0';
        trace->decryption[0] = '\0';
        trace->digest[0] = '\0';
    }
    const ed_node *spec = drop_missing_components(ed_node_get(obj, "spec"), dir, &filtered, rec);
    ed_sops_keys *keys = NULL; /* spec.decryption's, or NULL */
    bool mask = (flags & ED_KS_RENDER_MASK_SOPS) != 0;
    int rc = 0;
    if (!mask)
        rc = decryption_keys(kube, obj, trace ? trace->sops_age_secret : NULL,
                             trace ? trace->sops_age_namespace : NULL, &keys,
                             trace ? trace->decryption : NULL, err);
    if (!rc)
        rc = ed_ks_flux_overlay(spec, &overlay, err);
    if (!rc) {
        struct source_decryption sources = {.keys = keys, .failure = ED_ERR_INIT};
        ed_ks_options ko = ED_KS_OPTIONS_INIT;
        ko.root = root;
        ko.overlay = ed_doc_root(overlay);
        ko.inputs = rec;
        ko.keep_order = true; /* Flux's builds do not sort without sortOptions */
        if (keys) {
            /* secretGenerator's encrypted files, decrypted as they are read */
            ko.secret_source = decrypt_source;
            ko.secret_source_user = &sources;
        }
        if (remote)
            ed_ks_remote_options(remote, &ko);
        ed_buf generated = ED_BUF_INIT((size_t)16 << 20);
        if (ed_ks_flux_generate(dir, &generated, rec))
            ko.generated = generated.data;
        rc = ed_ks_build(dir, &ko, out, n, err);
        ed_buf_free(&generated);
        if (rc && sources.failure.code)
            ed_err_set(err, rc, "%s", sources.failure.msg);
        else if (rc)
            ed_err_wrap(err, "kustomize build failed");
    }
    if (!rc && mask)
        mask_sops(*out, *n);
    else if (!rc) /* decrypted before the substitution, as Flux */
        rc = decrypt_all(*out, *n, keys, err);
    ed_sops_keys_free(keys);
    if (!rc)
        rc = post_build(kube, obj, *out, *n, strict, trace ? trace->vars : NULL, err);
    if (!rc && trace) /* Flux applies commonMetadata after taking the digest */
        history_digest(*out, *n, trace->digest);
    if (!rc)
        rc = ed_ks_flux_common_metadata(*out, *n, ed_node_get(spec, "commonMetadata"), err);
    if (rc) {
        *reason = "BuildFailed";
        ed_doc_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    ed_doc_free(overlay);
    ed_doc_free(filtered);
    return rc;
}
