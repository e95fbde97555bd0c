#!/usr/bin/env bash
# tests/e2e/exec_test.sh: exec credential plugins (src/kube/exec.c) against the real control
# plane: a shell-script plugin printing the unprivileged user's token or the admin's client
# certificate, run once for many requests, again on expiry and on a 401, and clear errors when it
# fails. The checks live in tests/e2e/c/kube_exec.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-kube_exec"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
