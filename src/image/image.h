/*
 * image: the OCI registry client (tags, auth, pagination), tag policies (semver, alphabetical,
 * numerical), in-place setter edits.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #8 builds
 * it. Its place in the layering (STYLE.md): base <- image.
 */
#ifndef ED_IMAGE_H
#define ED_IMAGE_H

#endif
