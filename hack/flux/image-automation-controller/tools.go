//go:build tools

// Package tools pins Flux's image-automation-controller, the oracle of
// tests/e2e/flux_oracle_automation_test.sh: its version is this module's go.mod, built into .bin/
// by hack/flux/build.
package tools

import _ "github.com/fluxcd/image-automation-controller"
