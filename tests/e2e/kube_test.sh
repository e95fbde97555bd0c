#!/usr/bin/env bash
# tests/e2e/kube_test.sh: the kube client (src/kube) against the real control plane: typed
# errors, paging, server-side apply, dry-run, CRD discovery refresh, RBAC, impersonation, TLS
# and retries. The checks live in tests/e2e/c/kube_client.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-kube_client"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
