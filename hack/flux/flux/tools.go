//go:build tools

// Package tools pins Flux's CLI (flux2 v2.9.5), the oracle of tests/e2e/flux_oracle_cli_test.sh
// and a client of eddy's agent: its version is this module's go.mod, built into .bin/ by
// hack/flux/build.
package tools

import _ "github.com/fluxcd/flux2/v2/cmd/flux"
