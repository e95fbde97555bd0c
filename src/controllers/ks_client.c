/*
 * The client a Kustomization applies, prunes and checks health with (kustomize-controller's
 * impersonation and kubeConfig):
 *
 *   - spec.kubeConfig.secretRef: the kubeconfig in that Secret of the Kustomization's namespace
 *     (key `value`, else `value.yaml`, or the key given) targets a remote cluster; files it
 *     names are refused, and its exec plugin, insecure TLS and impersonation dropped (unless
 *     the controller's --insecure-kubeconfig-exec / -tls), as Flux does;
 *   - spec.serviceAccountName, or the controller's --default-service-account when the spec
 *     names none: the client impersonates `system:serviceaccount:<namespace>:<name>` (on the
 *     remote cluster too, in the Kustomization's namespace), so RBAC decides what it may do;
 *   - spec.kubeConfig.configMapRef (Flux 2.7: a remote cluster reached with a cloud provider's
 *     workload identity, no Secret) is not built here, and a kubeConfig with neither or both
 *     refs is refused as Flux refuses it, rather than taken as none: that would apply to, and
 *     prune from, the controller's own cluster the objects meant for another one;
 *   - neither: the controller's own client.
 *
 * The kubeconfig's content never reaches a message or a log.
 */
#include "ks_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The decoded value of key in a Secret's data (malloc'd, *len set), or NULL. */
static char *secret_value(const ed_node *secret, const char *key, size_t *len)
{
    const char *b64 = ed_node_str(ed_node_get(ed_node_get(secret, "data"), key));
    if (!b64)
        return NULL;
    size_t n = strlen(b64);
    unsigned char *dec = ed_xmalloc(n * 3 / 4 + 4);
    int dl = n ? EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n) : 0;
    if (dl < 0) {
        free(dec);
        return NULL;
    }
    if (n >= 1 && b64[n - 1] == '=')
        dl--;
    if (n >= 2 && b64[n - 2] == '=')
        dl--;
    dec[dl] = '\0';
    *len = (size_t)dl;
    return (char *)dec;
}

ed_kube_config *ed_ks_kubeconfig_sanitize(ed_kube_config *cfg, unsigned flags)
{
    if (!cfg)
        return NULL;
    ed_kube_exec *exec = cfg->exec;
    char *user = cfg->impersonate_user;
    char **groups = cfg->impersonate_groups;
    if (!(flags & ED_KS_KUBECONFIG_EXEC))
        cfg->exec = NULL;
    cfg->impersonate_user = NULL;
    cfg->impersonate_groups = NULL;
    ed_kube_config *out = ed_kube_config_dup(cfg);
    cfg->exec = exec;
    cfg->impersonate_user = user;
    cfg->impersonate_groups = groups;
    ed_kube_config_free(cfg);
    if (!(flags & ED_KS_KUBECONFIG_TLS))
        out->insecure = false;
    return out;
}

/* The configuration in spec.kubeConfig's Secret, into *cfg. */
static int remote_config(ed_kube *kube, const ed_node *obj, ed_kube_config **cfg, ed_err *err)
{
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/spec/kubeConfig/secretRef/name");
    const char *key = ed_node_path_str(obj, "/spec/kubeConfig/secretRef/key");
    if (!name)
        return ed_err_set(err, ED_EINVALID, "spec.kubeConfig: secretRef.name is required");
    ed_doc *secret = NULL;
    ed_err gerr = ED_ERR_INIT;
    int rc = ed_kube_get(kube, "v1", "Secret", ns, name, &secret, &gerr);
    if (rc)
        return ed_err_set(err, rc, "unable to read KubeConfig secret '%s/%s': %s", ns, name,
                          gerr.msg);
    size_t len = 0;
    char *data = NULL;
    if (key)
        data = secret_value(ed_doc_root(secret), key, &len);
    else if (!(data = secret_value(ed_doc_root(secret), "value", &len)))
        data = secret_value(ed_doc_root(secret), "value.yaml", &len);
    ed_doc_free(secret);
    if (!data)
        return ed_err_set(err, ED_ENOTFOUND,
                          "KubeConfig secret '%s/%s' does not contain the '%s' key", ns, name,
                          key ? key : "value' or 'value.yaml");
    ed_err cerr = ED_ERR_INIT;
    rc = ed_kube_config_from_yaml(data, len, NULL, cfg, &cerr);
    memset(data, 0, len);
    free(data);
    if (rc)
        return ed_err_set(err, rc, "KubeConfig secret '%s/%s' is not usable: %s", ns, name,
                          cerr.msg);
    return 0;
}

int ed_ks_client(ed_kube *kube, const ed_node *obj, const char *default_sa, unsigned flags,
                 ed_kube **out, ed_err *err)
{
    *out = NULL;
    const char *sa = ed_node_path_str(obj, "/spec/serviceAccountName");
    if (!sa || !*sa)
        sa = default_sa && *default_sa ? default_sa : NULL;
    const ed_node *kubeconfig = ed_node_path(obj, "/spec/kubeConfig");
    bool remote = ed_node_get(kubeconfig, "secretRef") != NULL;
    const ed_node *cm = ed_node_get(kubeconfig, "configMapRef");
    if (kubeconfig && remote == (cm != NULL)) /* Flux's words for both or neither */
        return ed_err_set(err, ED_EINVALID,
                          "exactly one of .spec.kubeConfig.configMapRef or "
                          "spec.kubeConfig.secretRef must be set");
    if (cm)
        return ed_err_set(err, ED_EINVALID,
                          "spec.kubeConfig.configMapRef '%s': remote clusters reached with "
                          "workload identity (aws, azure, gcp) are not supported by eddy: use "
                          "spec.kubeConfig.secretRef with a kubeconfig",
                          ed_node_path_str(cm, "/name") ? ed_node_path_str(cm, "/name") : "");
    if (!sa && !remote)
        return 0;
    ed_kube_config *cfg = NULL;
    int rc = 0;
    if (remote) {
        rc = remote_config(kube, obj, &cfg, err);
        if (!rc)
            cfg = ed_ks_kubeconfig_sanitize(cfg, flags);
    } else
        cfg = ed_kube_config_dup(ed_kube_get_config(kube));
    if (rc || !cfg)
        return rc ? rc : ed_err_set(err, ED_ERROR, "no client configuration");
    if (sa) {
        free(cfg->impersonate_user);
        cfg->impersonate_user = ed_xasprintf("system:serviceaccount:%s:%s",
                                             ed_node_path_str(obj, "/metadata/namespace"), sa);
        if (cfg->impersonate_groups) {
            for (char **g = cfg->impersonate_groups; *g; g++)
                free(*g);
            free(cfg->impersonate_groups);
            cfg->impersonate_groups = NULL;
        }
    }
    rc = ed_kube_new(cfg, out, err);
    ed_kube_config_free(cfg);
    return rc;
}
