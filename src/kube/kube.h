/*
 * kube: the Kubernetes API client (libcurl): kubeconfig and in-cluster auth, discovery and REST
 * mapping, get/list/watch, apply/patch/delete, dry-run, impersonation, retries, typed API errors.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #3 builds
 * it. Its place in the layering (STYLE.md): doc <- kube <- runtime.
 */
#ifndef ED_KUBE_H
#define ED_KUBE_H

#endif
