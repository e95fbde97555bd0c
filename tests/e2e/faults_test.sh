#!/usr/bin/env bash
# tests/e2e/faults_test.sh: the kube client and informers through a fault-injecting proxy
# (tests/e2e/faultproxy.py) in front of the real API server: dropped connections, 429 with
# Retry-After, 500 and 503 replies, watch streams cut mid-event and a 3 s outage. The checks live
# in tests/e2e/c/kube_faults.c (cmocka, built with ASan+UBSan); this script starts the proxy.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

prog="$EDDY_ROOT/build/tests/e2e-kube_faults"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
cluster_dir=${KUBECONFIG%/*}
ready=$EDDY_E2E_SCRATCH/faultproxy.addr

step "start the fault proxy"
trap 'bg_stop faultproxy' EXIT
bg_start faultproxy python3 -u "$EDDY_ROOT/tests/e2e/faultproxy.py" --cluster-dir "$cluster_dir" \
    --ready-file "$ready" --workdir "$EDDY_E2E_SCRATCH/faultproxy"
wait_ready "$EDDY_E2E_SCRATCH/faultproxy.pid" 30 "the fault proxy" test -s "$ready" ||
    fail "the fault proxy did not start: $(cat "$EDDY_E2E_SCRATCH/faultproxy.log")"
port=$(sed -n 's/^port=//p' "$ready")
control=$(sed -n 's/^control=//p' "$ready")

step "the proxy offers only http/1.1: libcurl asking for HTTP/2 falls back through ALPN"
out=$(curl -sS -v --http2 --cacert "$cluster_dir/ca.crt" -H "Authorization: Bearer not-a-token" \
    "https://127.0.0.1:$port/version" 2>&1) || fail "curl through the proxy failed:
$out"
assert_contains "$out" "ALPN: server accepted http/1.1" "ALPN"
assert_contains "$out" "< HTTP/1.1 200" "the reply"
assert_contains "$out" '"gitVersion"' "the reply"

step "the client through the proxy"
ASAN_OPTIONS=detect_leaks=1 EDDY_FAULTPROXY_URL="https://127.0.0.1:$port" \
    EDDY_FAULTPROXY_CONTROL="http://127.0.0.1:$control" EDDY_CLUSTER_CA="$cluster_dir/ca.crt" \
    "$prog"
