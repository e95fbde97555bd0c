//go:build tools

// Package tools pins Flux's kustomize-controller, the oracle of the Kustomization tests among
// tests/e2e/flux_*_test.sh: its version is this module's go.mod, built into .bin/ by
// hack/flux/build.
package tools

import _ "github.com/fluxcd/kustomize-controller"
