/*
 * kustomize: kustomize build as a pure function from a directory to a list of objects, reading only
 * below its root, output-identical to kubectl kustomize.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #4 builds
 * it. Its place in the layering (STYLE.md): doc <- kustomize.
 */
#ifndef ED_KUSTOMIZE_H
#define ED_KUSTOMIZE_H

#endif
