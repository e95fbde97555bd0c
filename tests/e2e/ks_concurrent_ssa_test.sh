#!/usr/bin/env bash
# tests/e2e/ks_concurrent_ssa_test.sh: --concurrent-ssa, Flux's flag, sets how many of one
# apply's server-side dry-runs are in flight at once. The agent talks to the API server through
# the fault proxy (tests/e2e/faultproxy.py), which holds every dry-run of a ConfigMap for 0.4 s
# and reports the most that were in it at one time: with --concurrent-ssa 1 one at a time, with
# 4 (also the default) four, for a Kustomization of eight ConfigMaps.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-cssa cssa
cluster_dir=${KUBECONFIG%/*}
ready=$scratch/faultproxy.addr

for i in 1 2 3 4 5 6 7 8; do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s}\ndata: {k: v}\n' "$i" |
        put "app/cm-$i.yaml"
done
commit "eight ConfigMaps"
gitrepository

step "the fault proxy in front of the API server, and a kubeconfig of it for the agent"
trap 'bg_stop faultproxy' EXIT
bg_start faultproxy python3 -u "$EDDY_ROOT/tests/e2e/faultproxy.py" --cluster-dir "$cluster_dir" \
    --ready-file "$ready" --workdir "$scratch/faultproxy"
wait_ready "$scratch/faultproxy.pid" 30 "the fault proxy" test -s "$ready" ||
    fail "the fault proxy did not start: $(cat "$scratch/faultproxy.log")"
port=$(sed -n 's/^port=//p' "$ready")
control=http://127.0.0.1:$(sed -n 's/^control=//p' "$ready")
proxy_kc=$scratch/proxy.kubeconfig
cat >"$proxy_kc" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: proxy, cluster: {server: "https://127.0.0.1:$port", certificate-authority: "$cluster_dir/ca.crt"}}]
users: [{name: anyone, user: {token: ignored-by-the-proxy}}]
contexts: [{name: proxy, context: {cluster: proxy, user: anyone}}]
current-context: proxy
YAML

# dry_runs TARGET-NS: the regular expression of the dry-runs of the ConfigMaps in TARGET-NS.
dry_runs() { echo "^PATCH /api/v1/namespaces/$1/configmaps/cm-[0-9][?].*dryRun=All"; }

# overlap_with N TARGET-NS: the agent (--concurrent-ssa N, through the proxy) applies the eight
# ConfigMaps into TARGET-NS; the most of their dry-runs the proxy held at one time.
overlap_with() {
    local n=$1 target=$2 match
    match=$(dry_runs "$target")
    new_namespace "$target"
    curl -fsS -X POST "$control/reset" >/dev/null
    curl -fsS -X POST "$control/fault" \
        -d "{\"match\": \"$match\", \"action\": \"delay\", \"seconds\": 0.4, \"count\": -1}" >/dev/null
    KUBECONFIG=$proxy_kc agent ${n:+--concurrent-ssa "$n"}
    kustomization "app-$target" ./app "  targetNamespace: $target"
    ready_is "app-$target" True ReconciliationSucceeded 90
    bg_stop ctl
    local seen
    seen=$(curl -fsS -G "$control/count" --data-urlencode "match=$match" | jq .count)
    [ "$seen" -ge 8 ] || fail "the proxy saw $seen dry-runs of the eight ConfigMaps in $target"
    curl -fsS -G "$control/overlap" --data-urlencode "match=$match" | jq .overlap
}

step "--concurrent-ssa 1: one dry-run at a time"
assert_eq 1 "$(overlap_with 1 ks-cssa-one)" "dry-runs in flight at once, --concurrent-ssa 1"

step "--concurrent-ssa 4: four at a time"
assert_eq 4 "$(overlap_with 4 ks-cssa-four)" "dry-runs in flight at once, --concurrent-ssa 4"

step "no flag: Flux's default, 4"
assert_eq 4 "$(overlap_with "" ks-cssa-default)" "dry-runs in flight at once, by default"

step "the objects are there"
for t in ks-cssa-one ks-cssa-four ks-cssa-default; do
    assert_eq 8 "$(kubectl -n "$t" get configmaps -l kustomize.toolkit.fluxcd.io/name="app-$t" \
        -o name | wc -l)" "ConfigMaps applied into $t"
done
