/*
 * controllers: one reconciler per kind (GitRepository, Kustomization, ImageRepository, ImagePolicy,
 * ImageUpdateAutomation), each a flat list of phases mirroring Flux's.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #6 builds
 * it. Its place in the layering (STYLE.md): apply, source, image <- controllers <- cli.
 */
#ifndef ED_CONTROLLERS_H
#define ED_CONTROLLERS_H

#endif
