#!/usr/bin/env bash
# tests/e2e/cli_build_test.sh: flux's exit statuses of the CLI against the real agent: resume
# exits 0 when the wait fails (the object was resumed); create kustomization with an
# OCIRepository source is accepted and eddy's agent stalls it at once with the reason, so the
# wait ends without the timeout.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup cli-build clibuild
agent

step "a repository whose top Kustomization applies two more"
put clusters/apps.yaml <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: $ns}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: $repo}
YAML
put clusters/edge.yaml <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: edge, namespace: $ns}
spec:
  suspend: true
  interval: 10m
  path: ./apps
  prune: false
  sourceRef: {kind: GitRepository, name: $repo}
  kubeConfig: {secretRef: {name: edge-kubeconfig}}
YAML
put apps/web.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: $ns}
data: {color: blue}
YAML
put apps/junk.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: junk, namespace: $ns}
YAML
commit "nested"
gitrepository
kustomization top ./clusters
applied top "$(rev)"
applied apps "$(rev)"

step "resume: a wait that fails is said, and resume exits 0 as flux's"
kustomization broken ./missing "  suspend: true"
OUT=$("$eddy" resume ks broken -n "$ns" --timeout 1m 2>&1) || fail "resume exits 0 when its wait fails: $OUT"
assert_contains "$OUT" "✔ kustomization resumed" "resumed"
assert_contains "$OUT" "✗" "the failure is printed"
assert_contains "$OUT" "missing" "with the controller's message"

step "create kustomization --source OCIRepository/x: accepted, stalled by eddy's agent"
out=$("$eddy" create ks oci -n "$ns" --source OCIRepository/podinfo --path ./ --export)
assert_contains "$out" "  sourceRef:
    kind: OCIRepository
    name: podinfo" "--export"
start=$(date +%s)
assert_fails "create in the cluster" "$eddy" create ks oci -n "$ns" --source ocirepository/podinfo \
    --path ./ --timeout 2m
assert_contains "$OUT" "eddy's agent reconciles GitRepository sources only" "said first"
assert_contains "$OUT" "source kind 'OCIRepository' is not supported by eddy yet" "the controller's reason"
[ $(($(date +%s) - start)) -lt 60 ] || fail "the wait ended only at its timeout"
assert_eq "False ArtifactFailed" "$(ready_status oci) $(ready_reason oci)" "Ready"
assert_eq True "$(ksget oci '{.status.conditions[?(@.type=="Stalled")].status}')" "Stalled"
