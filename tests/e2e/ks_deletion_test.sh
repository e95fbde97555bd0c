#!/usr/bin/env bash
# tests/e2e/ks_deletion_test.sh: every spec.deletionPolicy in the real agent, as Flux. When a
# Kustomization is deleted: MirrorPrune deletes its objects if prune is true and leaves them if
# not; Delete deletes them whatever prune says; Orphan leaves them; WaitForTermination deletes
# them and holds the Kustomization until they are gone (an object's finalizer is honoured); a
# suspended Kustomization leaves its objects. What was deleted is told in an Event.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-del del

policies="mirror-prune mirror-keep delete orphan wait suspended"
for p in $policies; do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {p: %s}\n' "$p" "$p" | put "$p/cm.yaml"
done
# The object of WaitForTermination holds a finalizer of its own: deleting it takes until the
# test lets it go.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wait\n  finalizers: [test.eddy.dev/hold]\ndata: {p: wait}\n' | put wait/cm.yaml
# One that is never let go: the Kustomization waits at most Flux's timeout.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stuck\n  finalizers: [test.eddy.dev/hold]\ndata: {p: stuck}\n' | put stuck/cm.yaml
commit "one ConfigMap per policy"
gitrepository
KS_PRUNE=true kustomization mirror-prune ./mirror-prune "  targetNamespace: $ns"
KS_PRUNE=false kustomization mirror-keep ./mirror-keep "  targetNamespace: $ns
  deletionPolicy: MirrorPrune"
KS_PRUNE=false kustomization delete ./delete "  targetNamespace: $ns
  deletionPolicy: Delete"
KS_PRUNE=true kustomization orphan ./orphan "  targetNamespace: $ns
  deletionPolicy: Orphan"
KS_PRUNE=true kustomization wait ./wait "  targetNamespace: $ns
  deletionPolicy: WaitForTermination"
KS_PRUNE=true kustomization suspended ./suspended "  targetNamespace: $ns"
# (no spec.timeout: Flux's is the interval less 30 s, here 30 s)
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: stuck}
spec:
  interval: 1m
  path: ./stuck
  prune: true
  targetNamespace: $ns
  deletionPolicy: WaitForTermination
  sourceRef: {kind: GitRepository, name: $repo}
YAML
agent

step "all applied"
for p in $policies stuck; do
    applied "$p" "$(rev)"
    kubectl -n "$ns" get configmap "$p" >/dev/null
done
kubectl -n "$ns" patch kustomization suspended --type merge -p '{"spec":{"suspend":true}}' >/dev/null

step "deleted: each policy does what Flux does"
for p in $policies; do
    kubectl -n "$ns" delete kustomization "$p" --wait=false >/dev/null
done
for p in mirror-prune mirror-keep delete orphan suspended; do
    retry 30 bash -c "! kubectl -n $ns get kustomization $p >/dev/null 2>&1"
done
exists() { kubectl -n "$ns" get configmap "$1" -o 'jsonpath={.metadata.deletionTimestamp}' 2>/dev/null && echo " present"; }
gone() { ! kubectl -n "$ns" get configmap "$1" >/dev/null 2>&1; }
assert_fails "MirrorPrune with prune: deleted" kubectl -n "$ns" get configmap mirror-prune
assert_eq " present" "$(exists mirror-keep)" "MirrorPrune without prune: kept"
assert_fails "Delete without prune: deleted" kubectl -n "$ns" get configmap delete
assert_eq " present" "$(exists orphan)" "Orphan: kept"
assert_eq " present" "$(exists suspended)" "suspended: kept"
kevents() {
    kubectl -n "$ns" get events --field-selector "involvedObject.kind=Kustomization,involvedObject.name=$1" \
        -o 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\n"}{end}'
}
assert_contains "$(kevents mirror-prune)" "Normal ReconciliationSucceeded ConfigMap/$ns/mirror-prune deleted" \
    "the deleted objects in an Event, as Flux"
assert_not_contains "$(kevents orphan)" "deleted" "Orphan: no deletion Event"

step "WaitForTermination holds the Kustomization until its objects are gone"
retry 20 bash -c "[ -n \"\$(kubectl -n $ns get configmap wait -o 'jsonpath={.metadata.deletionTimestamp}')\" ]"
sleep 3
kubectl -n "$ns" get kustomization wait >/dev/null || fail "the Kustomization went before its object"
kubectl -n "$ns" patch configmap wait --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
t0=$(date +%s%3N)
retry 30 bash -c "! kubectl -n $ns get kustomization wait >/dev/null 2>&1"
echo "Kustomization let go $(($(date +%s%3N) - t0)) ms after its last object terminated"
assert_fails "its object" kubectl -n "$ns" get configmap wait

step "WaitForTermination waits at most Flux's timeout (interval less 30 s, at least 30 s), then lets go"
kubectl -n "$ns" delete kustomization stuck --wait=false >/dev/null
t0=$(date +%s)
retry 20 bash -c "[ -n \"\$(kubectl -n $ns get configmap stuck -o 'jsonpath={.metadata.deletionTimestamp}')\" ]"
sleep 20
kubectl -n "$ns" get kustomization stuck >/dev/null || fail "the Kustomization went before its timeout"
retry 40 bash -c "! kubectl -n $ns get kustomization stuck >/dev/null 2>&1"
echo "Kustomization let go $(($(date +%s) - t0)) s after its deletion"
[ $(($(date +%s) - t0)) -lt 50 ] || fail "it waited past Flux's timeout of 30 s"
assert_contains "$(kevents stuck)" "Warning ReconciliationSucceeded failed to wait for resources termination" \
    "a Warning Event says so"
kubectl -n "$ns" patch configmap stuck --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
