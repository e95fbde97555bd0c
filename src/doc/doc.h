/*
 * doc: one document model for YAML and JSON (libfyaml): parse, emit, get/set by path, strategic
 * merge patch, JSON patch, merge patch, stable output.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #4 builds
 * it. Its place in the layering (STYLE.md): base <- doc <- kube, kustomize.
 */
#ifndef ED_DOC_H
#define ED_DOC_H

#endif
