//go:build tools

// Package tools pins Flux's image-reflector-controller, the oracle of
// tests/e2e/flux_oracle_image_test.sh: its version is this module's go.mod, built into .bin/ by
// hack/flux/build. Flux 2.9.5 pins the controller's api at v1.2.5, which the Go module proxy
// refuses to serve; v1.2.0 is the nearest version it serves.
package tools

import _ "github.com/fluxcd/image-reflector-controller"
