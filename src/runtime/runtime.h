/*
 * runtime: informers and caches, the work queue with rate limits, the worker pool, leader election
 * (Lease), Events, metrics and health endpoints, signals.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #3 builds
 * it. Its place in the layering (STYLE.md): kube <- runtime <- apply.
 */
#ifndef ED_RUNTIME_H
#define ED_RUNTIME_H

#endif
