#!/usr/bin/env bash
# tests/e2e/leader_test.sh: leader election on a real Lease (src/runtime/leader.c): hand-over on
# release, and a leader killed with SIGKILL replaced after its lease expires. The checks live in
# tests/e2e/c/runtime_leader.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-runtime_leader"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
