/*
 * Private to the controllers module: the parts of the Kustomization reconciler that live in
 * their own files (ks_render.c: Flux's build layer; dependson.c: dependencies; ks_client.c:
 * the client a Kustomization applies with).
 */
#ifndef ED_KS_INT_H
#define ED_KS_INT_H

#include "controllers.h"

#include "../apply/apply.h"

/*
 * Flux's dependency rule for obj's spec.dependsOn, reading the dependencies from cache (the
 * Kustomization informer). source_revision is the current revision of obj's source (a
 * dependency on the same source must have applied it). Returns 0 when every dependency is
 * ready; otherwise ED_ENOTFOUND, ED_ERETRY or ED_EINVALID with Flux's message in err
 * ("dependency 'ns/name' is not ready", "... revision is not up to date", "... not found").
 */
int ed_ks_dependencies_ready(ed_informer *cache, const ed_node *obj, const char *source_revision,
                             ed_err *err);

/* changed (a Kustomization that changed) is Ready: queue every Kustomization in cache whose
 * dependsOn lists it. */
void ed_ks_queue_dependents(ed_informer *cache, ed_queue *queue, const ed_node *changed);

/*
 * Flux's health check of a Kustomization obj after its apply (changes: the change set): every
 * applied object with spec.wait, else the spec.healthChecks objects, within timeout_ms.
 * *checked says whether anything was to be checked (Flux then sets the Healthy condition);
 * msg receives Flux's message ("Health check passed in D" or "health check failed after D:
 * <why>"). Returns 0 when healthy (or nothing to check), else the error of the wait.
 */
int ed_ks_check_health(ed_kube *kube, const ed_node *obj, const ed_apply_result *changes,
                       int64_t timeout_ms, bool *checked, char *msg, size_t msgcap);

#endif
