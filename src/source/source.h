/*
 * source: Git (libgit2): fetch, refs, semver tags, auth, the persistent bare-repository cache,
 * artifacts (tar.gz, digest, storage, GC), the artifact HTTP server, ignore rules, signature
 * verification.
 *
 * Not built yet: this module has no functions, and nothing in eddy calls it. Issue #5 builds
 * it. Its place in the layering (STYLE.md): base <- source.
 */
#ifndef ED_SOURCE_H
#define ED_SOURCE_H

#endif
