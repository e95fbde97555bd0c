#!/usr/bin/env bash
# tests/e2e/apply_test.sh: the apply engine (src/apply) against the real control plane: staged
# server-side apply, change sets, drift, validation before any write, prune, health. The checks
# live in tests/e2e/c/apply_engine.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-apply_engine"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
