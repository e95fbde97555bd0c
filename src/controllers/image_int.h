/*
 * image_int.h: private to the image reconcilers (imagerepository.c, imagepolicy.c,
 * imageupdate.c): what one of them computes and another reuses.
 */
#ifndef ED_CONTROLLERS_IMAGE_INT_H
#define ED_CONTROLLERS_IMAGE_INT_H

#include "../image/image.h"
#include "controllers.h"

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

/*
 * Read repo's spec.secretRef (dockerconfigjson: the entry for ref's registry; none means
 * anonymous), else the imagePullSecrets of spec.serviceAccountName, and spec.certSecretRef (ca.crt;
 * tls.crt and tls.key for mutual TLS) and spec.proxySecretRef (address, username, password) into
 * *auth, and point ro's credentials at them. Errors name the Secret and the missing key (never a
 * value).
 */
int ed_ctrl_registry_auth_read(ed_kube *kube, const ed_node *repo, const ed_image_ref *ref,
                               ed_ctrl_registry_auth *auth, ed_registry_opts *ro, ed_err *err);
/* Wipe and free. */
void ed_ctrl_registry_auth_clear(ed_ctrl_registry_auth *auth);

#endif
