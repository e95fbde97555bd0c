#!/usr/bin/env bash
# tests/e2e/manager_test.sh: the controller manager (src/runtime/manager.c) on Flux's
# Kustomization kind: shared informers, work queues, Flux's generation predicate, metrics. The
# checks live in tests/e2e/c/runtime_manager.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null
prog="$EDDY_ROOT/build/tests/e2e-runtime_manager"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
