#!/usr/bin/env bash
# tests/e2e/ks_notify_test.sh: --events-addr, events forwarded to Flux's notification-controller
# as Flux's controllers forward them: a receiver on loopback standing where notification-
# controller listens gets each event as Flux's event/v1 JSON (POST, application/json): the
# GitRepository's from source-controller, the Kustomization's from kustomize-controller with its
# revision in the metadata (and the object's event.toolkit.fluxcd.io/ annotations), a failure
# with severity error; a receiver that is down holds no reconcile.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-notify notify

step "a receiver, and the agent forwarding to it"
got=$scratch/events.jsonl
: >"$got"
bg_start receiver python3 "$EDDY_ROOT/tests/e2e/events_receiver.py" "$scratch/receiver.port" "$got"
retry 20 test -s "$scratch/receiver.port"
port=$(cat "$scratch/receiver.port")
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: %s}\ndata: {v: "1"}\n' "$ns" |
    put apps/app.yaml
commit "first"
gitrepository
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  annotations: {event.toolkit.fluxcd.io/cluster: staging, other.example.com/x: "no"}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: $repo}
YAML
agent --events-addr "http://127.0.0.1:$port/"
applied apps "$(rev)"

# event KIND REASON: the first forwarded event of KIND with REASON, as JSON.
event() {
    jq -c --arg k "$1" --arg r "$2" 'select(.event.involvedObject.kind == $k and .event.reason == $r)' "$got" | head -1
}
has_event() { [ -n "$(event "$1" "$2")" ]; }

step "the Kustomization's success, as Flux's event/v1"
retry 30 has_event Kustomization ReconciliationSucceeded
e=$(event Kustomization ReconciliationSucceeded)
assert_eq "/ application/json" "$(jq -r '.path + " " + .contentType' <<<"$e")" "a POST of JSON to the address"
assert_eq "kustomize.toolkit.fluxcd.io/v1 Kustomization $ns apps" \
    "$(jq -r '.event.involvedObject | "\(.apiVersion) \(.kind) \(.namespace) \(.name)"' <<<"$e")" "involvedObject"
assert_eq "$(ksget apps '{.metadata.uid}')" "$(jq -r .event.involvedObject.uid <<<"$e")" "involvedObject.uid"
assert_eq "info kustomize-controller" "$(jq -r '"\(.event.severity) \(.event.reportingController)"' <<<"$e")" "severity, reporter"
assert_eq "$(rev)" "$(jq -r '.event.metadata["kustomize.toolkit.fluxcd.io/revision"]' <<<"$e")" "the revision in the metadata"
assert_eq "staging" "$(jq -r '.event.metadata["event.toolkit.fluxcd.io/cluster"]' <<<"$e")" "the object's event annotation"
assert_eq "null" "$(jq -r '.event.metadata["other.example.com/x"]' <<<"$e")" "no other annotation"
assert_contains "$(jq -r .event.message <<<"$e")" "Reconciliation finished" "message"
assert_contains "$(jq -r .event.timestamp <<<"$e")" "Z" "timestamp"
# The change set, the same as the Kubernetes Event.
retry 30 has_event Kustomization Progressing
assert_contains "$(jq -r .event.message <<<"$(event Kustomization Progressing)")" "ConfigMap/$ns/app created" "the change set"

step "the GitRepository's, from source-controller"
retry 30 has_event GitRepository NewArtifact
e=$(event GitRepository NewArtifact)
assert_eq "source-controller info" "$(jq -r '"\(.event.reportingController) \(.event.severity)"' <<<"$e")" "reporter, severity"

step "a failure: severity error"
kubectl -n "$ns" patch kustomization apps --type=merge -p '{"spec":{"path":"./missing"}}' >/dev/null
retry 30 has_event Kustomization ArtifactFailed
e=$(event Kustomization ArtifactFailed)
assert_eq "error" "$(jq -r .event.severity <<<"$e")" "severity of a failure"
assert_contains "$(jq -r .event.message <<<"$e")" "missing" "the failure's message"

step "a receiver that is down holds no reconcile"
bg_stop receiver
kubectl -n "$ns" patch kustomization apps --type=merge -p '{"spec":{"path":"./apps"}}' >/dev/null
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: %s}\ndata: {v: "2"}\n' "$ns" |
    put apps/app.yaml
commit "second"
poke
applied apps "$(rev)"
assert_eq "2" "$(kubectl -n "$ns" get configmap app -o jsonpath='{.data.v}')" "applied with the receiver down"
retry 30 grep -q "unable to record event" "$scratch/ctl.log"
