//go:build tools

// Package tools pins cosign, the oracle of the OCIRepository signature tests: its version is
// this module's go.mod, built into .bin/ by hack/cosign/build.
package tools

import _ "github.com/sigstore/cosign/v3/cmd/cosign"
