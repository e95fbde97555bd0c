/*
 * image_int.h: private to the image and OCI reconcilers (imagerepository.c, imagepolicy.c,
 * imageupdate.c, ocirepository.c): what one of them computes and another reuses.
 */
#ifndef ED_CONTROLLERS_IMAGE_INT_H
#define ED_CONTROLLERS_IMAGE_INT_H

#include "../image/image.h"
#include "controllers.h"

/* The image controllers' line about a suspended object (ed_ctrl_kind.suspended_msg). */
#define ED_CTRL_IMAGE_SUSPENDED "reconciliation is suspended for this object"

/* Registry access for an ImageRepository: its credentials and CA, owned here. */
typedef struct ed_ctrl_registry_auth {
    char *username;
    char *password;
    char *ca_pem;
    char *cert_pem; /* client certificate (tls.crt) and key (tls.key) */
    char *key_pem;
    char *proxy; /* proxySecretRef: address, username, password */
    char *proxy_username;
    char *proxy_password;
} ed_ctrl_registry_auth;

/* Whose order and words ed_ctrl_registry_auth_read follows: Flux's image-reflector-controller
 * (the proxy, the certificate, then the credentials; a missing Secret it reads itself in the
 * API server's words) or its source-controller for an OCIRepository (the credentials, the
 * proxy, then the certificate, read by Flux's runtime: "secret 'NS/NAME' not found"). */
typedef enum {
    ED_CTRL_AUTH_REFLECTOR,
    ED_CTRL_AUTH_SOURCE
} ed_ctrl_auth_flavour;

/* Which part of the registry access ed_ctrl_registry_auth_read failed to read. */
typedef enum {
    ED_CTRL_AUTH_SECRET,          /* spec.secretRef */
    ED_CTRL_AUTH_SERVICE_ACCOUNT, /* spec.serviceAccountName */
    ED_CTRL_AUTH_PROXY,           /* spec.proxySecretRef */
    ED_CTRL_AUTH_CERT,            /* spec.certSecretRef */
} ed_ctrl_auth_part;

/*
 * Read repo's spec.secretRef (dockerconfigjson: the entry for ref's registry; none means
 * anonymous), the imagePullSecrets of spec.serviceAccountName (used when the secretRef gave
 * none; the ServiceAccount must exist, as in Flux), spec.proxySecretRef (address, username,
 * password) and spec.certSecretRef (ca.crt; tls.crt and tls.key for mutual TLS) into *auth, in
 * flavour's order and words, and point ro's credentials at them. On an error, *failed (when not
 * NULL) says which part failed. Errors name the Secret and the missing key (never a value).
 */
int ed_ctrl_registry_auth_read(ed_kube *kube, const ed_node *repo, const ed_image_ref *ref,
                               ed_ctrl_auth_flavour flavour, ed_ctrl_registry_auth *auth,
                               ed_registry_opts *ro, ed_ctrl_auth_part *failed, ed_err *err);
/* Wipe and free. */
void ed_ctrl_registry_auth_clear(ed_ctrl_registry_auth *auth);

/*
 * OCIRepository spec.verify with cosign public keys (ocirepository_verify.c): verify the
 * signatures of the manifest digest in ref's repository (through ro) with the `.pub` entries of
 * the Secret spec.verify.secretRef of obj; payloads are downloaded to files under tmpdir.
 * ref_name ("<registry>/<repo>:<tag>") names the artifact in messages. Returns 0 when one
 * signature verifies. Errors, their message what follows Flux's "failed to verify the signature
 * using provider 'cosign': ": ED_EAUTH "no matching signatures were found for '<ref_name>'"
 * (why, of why_len bytes, then says what eddy found: no signature tag, a signature that no key
 * verifies, a payload for another digest); the Secret's errors (not found, bad base64);
 * ED_EINVALID "no public keys found in secret '<ns>/<name>'" or a `.pub` entry that is no
 * public key (named); ED_ERROR (temporary files).
 */
int ed_ctrl_cosign_verify(ed_kube *kube, const ed_node *obj, const ed_image_ref *ref,
                          const ed_registry_opts *ro, const char *digest, const char *ref_name,
                          const char *tmpdir, char *why, size_t why_len, ed_err *err);

#endif
