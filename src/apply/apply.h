/*
 * apply: apply a set of objects: ordering, server-side dry-run, drift, server-side apply,
 * inventory, prune, health (kstatus).
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #6 builds
 * it. Its place in the layering (STYLE.md): runtime <- apply <- controllers.
 */
#ifndef ED_APPLY_H
#define ED_APPLY_H

#endif
