//go:build tools

// Package tools pins Flux's source-controller, the oracle of tests/e2e/flux_oracle_source_test.sh
// (GitRepository and OCIRepository artifacts and status): its version is this module's go.mod,
// built into .bin/ by hack/flux/build.
package tools

import _ "github.com/fluxcd/source-controller"
