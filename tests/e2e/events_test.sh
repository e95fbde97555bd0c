#!/usr/bin/env bash
# tests/e2e/events_test.sh: Kubernetes Events (src/kube/event.c) against the real control plane:
# core v1 Events read back through both APIs, aggregation of repeats into a count, messages
# longer than events.k8s.io's limit kept whole, cluster-scoped objects. The checks live in
# tests/e2e/c/kube_events.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-kube_events"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
