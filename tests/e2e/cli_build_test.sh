#!/usr/bin/env bash
# tests/e2e/cli_build_test.sh: the CLI's build and diff flags that flux has besides --path,
# against the real agent: --ignore-paths (the files a pattern matches are left out of the
# render, so diff sees them as pruned); -r/--recursive with --local-sources (build appends the
# objects of the Kustomizations the render holds; diff follows those that exist in the cluster,
# prints "📁 Kustomization/ns/name changed" before their lines, skips one for a remote cluster,
# and exits 1 on a difference only they have, 2 when a source has no local directory); a
# nested spec.path that climbs out of its local source is refused. Also flux's exit statuses
# of resume (0 when the wait fails: the object was resumed) and create kustomization with a
# Bucket source (accepted; eddy's agent stalls it at once with the reason, so the wait ends
# without the timeout).
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
local=(--local-sources "GitRepository/$ns/$repo=$work")

step "build -r: the nested Kustomization's objects follow, from its local source"
out=$("$eddy" build ks top -n "$ns" --path "$work/clusters" -r "${local[@]}")
assert_contains "$out" "  name: apps
  namespace: $ns" "the top render"
assert_contains "$out" "data:
  color: blue
kind: ConfigMap
metadata:
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
    kustomize.toolkit.fluxcd.io/namespace: $ns
  name: web" "apps' object, with apps' owner labels"
assert_not_contains "$("$eddy" build ks top -n "$ns" --path "$work/clusters")" "name: web" "no -r: only the top"
assert_fails "-r without the local source" "$eddy" build ks top -n "$ns" --path "$work/clusters" -r
assert_contains "$OUT" "cannot get local path for GitRepository/$ns/$repo of kustomization apps" "flux's message"
assert_fails "a malformed --local-sources" "$eddy" build ks top -n "$ns" --path "$work/clusters" -r \
    --local-sources "$work"
assert_contains "$OUT" "$work must be formatted as key=value" "flux's words for no '='"
assert_fails "a --local-sources key of another form" "$eddy" build ks top -n "$ns" \
    --path "$work/clusters" -r --local-sources "x=$work"
assert_contains "$OUT" "expected Kind/namespace/name=path" "the form named"
# Without the cluster: the nested spec is the rendered one, and a path out of its source is refused.
mkdir -p "$scratch/esc/clusters"
cat >"$scratch/esc/clusters/top.yaml" <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: top, namespace: $ns}
spec: {interval: 10m, path: ./clusters, prune: true, sourceRef: {kind: GitRepository, name: $repo}}
YAML
sed 's#path: ./apps#path: ../../etc#' "$work/clusters/apps.yaml" >"$scratch/esc/clusters/apps.yaml"
assert_fails "a nested path that climbs out" "$eddy" build ks top -n "$ns" --path "$scratch/esc/clusters" \
    --dry-run --kustomization-file "$scratch/esc/clusters/top.yaml" -r \
    --local-sources "GitRepository/$ns/$repo=$scratch/esc" --kubeconfig /nonexistent
assert_contains "$OUT" "spec.path '../../etc' climbs out of GitRepository/$ns/$repo" "refused, named"

step "--ignore-paths: the matched files are left out"
out=$("$eddy" build ks apps -n "$ns" --path "$work/apps" --ignore-paths junk.yaml)
assert_contains "$out" "name: web" "the others stay"
assert_not_contains "$out" "name: junk" "junk.yaml ignored"
out=$("$eddy" build ks apps -n "$ns" --path "$work/apps" --ignore-paths '/*.yaml' --ignore-paths '!web.yaml')
assert_contains "$out" "name: web" "a negation re-includes"
assert_not_contains "$out" "name: junk" "anchored pattern"
set +e
out=$("$eddy" diff ks apps -n "$ns" --path "$work/apps" --ignore-paths junk.yaml 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "diff: the ignored object would be pruned"
assert_contains "$out" "► ConfigMap/$ns/junk deleted" "pruned"

step "diff -r: the nested Kustomizations that exist, against their live spec"
out=$("$eddy" diff ks top -n "$ns" --path "$work/clusters" -r "${local[@]}")
assert_eq "⚠️ Kustomization/$ns/edge skipped: diff not supported for remote clusters" "$out" \
    "in sync; the remote one skipped"
sed -i 's/color: blue/color: red/' "$work/apps/web.yaml"
out=$("$eddy" diff ks top -n "$ns" --path "$work/clusters") || fail "without -r the top is in sync: $out"
set +e
out=$("$eddy" diff ks top -n "$ns" --path "$work/clusters" -r "${local[@]}" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "a difference in a nested Kustomization"
assert_contains "$out" "📁 Kustomization/$ns/apps changed
► ConfigMap/$ns/web drifted

data.color
± value change
- blue
+ red" "flux's lines for the nested one"
assert_contains "$out" "identified at least one change" "summary"
set +e
"$eddy" diff ks top -n "$ns" --path "$work/clusters" -r >/dev/null 2>&1
rc=$?
set -e
assert_eq 2 "$rc" "diff -r without the local source: an error"
git -C "$work" checkout -q -- apps/web.yaml

step "resume: a wait that fails is said, and resume exits 0 as flux's"
kustomization broken ./missing "  suspend: true"
OUT=$("$eddy" resume ks broken -n "$ns" --timeout 1m 2>&1) || fail "resume exits 0 when its wait fails: $OUT"
assert_contains "$OUT" "✔ kustomization resumed" "resumed"
assert_contains "$OUT" "✗" "the failure is printed"
assert_contains "$OUT" "missing" "with the controller's message"

step "create kustomization --source Bucket/x: accepted, stalled by eddy's agent"
out=$("$eddy" create ks oci -n "$ns" --source Bucket/podinfo --path ./ --export)
assert_contains "$out" "  sourceRef:
    kind: Bucket
    name: podinfo" "--export"
start=$(date +%s)
assert_fails "create in the cluster" "$eddy" create ks oci -n "$ns" --source bucket/podinfo \
    --path ./ --timeout 2m
assert_contains "$OUT" "eddy's agent reconciles GitRepository and OCIRepository sources only" "said first"
assert_contains "$OUT" "source kind 'Bucket' is not supported by eddy yet" "the controller's reason"
[ $(($(date +%s) - start)) -lt 60 ] || fail "the wait ended only at its timeout"
assert_eq "False ArtifactFailed" "$(ready_status oci) $(ready_reason oci)" "Ready"
assert_eq True "$(ksget oci '{.status.conditions[?(@.type=="Stalled")].status}')" "Stalled"
