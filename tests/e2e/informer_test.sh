#!/usr/bin/env bash
# tests/e2e/informer_test.sh: informers (src/runtime) against the real control plane: list,
# watch, resumed watches, label filtering, cache reads and prompt stop. The checks live in
# tests/e2e/c/runtime_informer.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-runtime_informer"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
