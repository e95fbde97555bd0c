#!/usr/bin/env bash
# tests/e2e/flux_handoff_test.sh: "a cluster can be handed from Flux to eddy and back", with
# Flux's own kustomize-controller (Flux 2.9.5, tests/e2e/flux_lib.sh) on a control plane of its
# own that has Flux's CRDs, not eddy's:
#   - Flux applies a Kustomization (eddy reconciles its GitRepository, Flux fetches eddy's
#     artifact); then it moves to eddy's shard: eddy writes nothing to the objects Flux applied
#     (same resourceVersion and managed fields), keeps Flux's inventory and revision, and counts
#     its reconcile in Flux's history entry (same build digest);
#   - under eddy: drift is reverted, a commit is applied and what left Git (applied by Flux) is
#     pruned;
#   - back to Flux: Flux writes nothing either, keeps eddy's inventory and history entry, prunes
#     what eddy applied once it leaves Git, and on deletion its finalizer prunes the rest;
#   - leaving eddy's shard is not a deletion: eddy prunes nothing when the label moves.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

cl=handoff-$$
ns=handoff
repo=handoff
apps=handoff-apps

cleanup() {
    "$EDDY_ROOT/scripts/cluster" down "$cl" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "a control plane of its own, with Flux's CRDs"
"$EDDY_ROOT/scripts/cluster" up "$cl" >"$scratch/cluster.log" 2>&1 ||
    fail "cluster $cl did not start: $(tail -5 "$scratch/cluster.log")"
KUBECONFIG=$("$EDDY_ROOT/scripts/cluster" status "$cl")
export KUBECONFIG
kubectl apply --server-side -f "$flux_crds/" >/dev/null
# (Flux's image CRDs are not in the Go modules served here: eddy's, which its agent watches.)
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/image.toolkit.fluxcd.io_imagepolicies.yaml" \
    -f "$EDDY_ROOT/deploy/crds/image.toolkit.fluxcd.io_imagerepositories.yaml" \
    -f "$EDDY_ROOT/deploy/crds/image.toolkit.fluxcd.io_imageupdateautomations.yaml" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null
kubectl create namespace "$ns" >/dev/null
new_repo "$repo"
git clone -q "$(git_http_url "$repo")" "$work" 2>/dev/null
git_auth_secret "$ns"

# app_yaml [YAML]: deploy/app.yaml written anew: the Namespace $apps and its Deployment web (two
# replicas), then YAML (more objects, after a `---` line).
app_yaml() {
    rm -f "$work/deploy/app.yaml"
    put deploy/app.yaml <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $apps}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $apps}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
YAML
    [ -z "${1:-}" ] || printf '%s\n' "$1" >>"$work/deploy/app.yaml"
}
app_yaml "---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $apps}
data: {color: blue}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $apps}
spec:
  selector: {app: web}
  ports: [{port: 80}]"
commit "app"
rev1=$(rev)

gitrepository "$repo" "{shard: both}"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, labels: {shard: flux}}
spec:
  interval: 10m
  path: ./deploy
  prune: true
  wait: true
  timeout: 1m
  sourceRef: {kind: GitRepository, name: $repo}
YAML

# objects: each applied object's kind/name, resourceVersion and kustomize-controller's managed
# fields (a write by either controller changes them; the Deployment's status, written by the
# controller manager, is left out: its resourceVersion is not compared).
objects() {
    kubectl get namespace "$apps" -o json --show-managed-fields | jq -c '{k: .kind, n: .metadata.name, rv: .metadata.resourceVersion,
        mf: [.metadata.managedFields[] | select(.manager == "kustomize-controller")]}'
    kubectl -n "$apps" get deployment,configmap,service -o json --show-managed-fields |
        jq -c '.items[] | select(.metadata.name != "kube-root-ca.crt") | {k: .kind, n: .metadata.name,
            rv: (if .kind == "Deployment" then .metadata.generation else .metadata.resourceVersion end),
            mf: [.metadata.managedFields[] | select(.manager == "kustomize-controller")
                 | del(.time) + {t: .time}]}' | sort
}
inventory() { ksget app '{.status.inventory.entries}'; }
history() { kubectl -n "$ns" get kustomization app -o json | jq -c '[.status.history[] | {digest, totalReconciliations, r: .metadata.revision}]'; }
# request NAME: a reconcile of the Kustomization, and wait until it was handled.
request() {
    local t
    t=$(date +%s%N)
    kubectl -n "$ns" annotate --overwrite kustomization app "reconcile.fluxcd.io/requestedAt=$t" >/dev/null
    kubectl -n "$ns" wait kustomization/app --for=jsonpath="{.status.lastHandledReconcileAt}=$t" \
        --timeout=90s >/dev/null || fail "$1 did not handle a reconcile request: $(ksget app '{.status}')"
}
# shard NAME: move the Kustomization to NAME's shard.
shard() { kubectl -n "$ns" label --overwrite kustomization app "shard=$1" >/dev/null; }

step "Flux applies the Kustomization from eddy's artifact"
agent --watch-label-selector 'shard in (eddy,both)'
flux_start
applied app "$rev1"
ready_is app True ReconciliationSucceeded
kubectl -n "$apps" rollout status deployment/web --timeout=60s >/dev/null
flux_inv=$(inventory)
assert_contains "$flux_inv" "${apps}_web_apps_Deployment" "Flux's inventory"
flux_objs=$(objects)
flux_hist=$(history)
assert_eq 1 "$(jq length <<<"$flux_hist")" "Flux's history: one entry"
assert_eq "$(ksget app '{.status.conditions[?(@.type=="Ready")].message}')" "Applied revision: $rev1" \
    "Flux's Ready message"

step "handed to eddy: nothing written, Flux's inventory and history entry kept"
flux_stop
shard eddy
request eddy
ready_is app True ReconciliationSucceeded
assert_eq "Applied revision: $rev1" "$(ready_message app)" "eddy's Ready message"
assert_eq "$flux_inv" "$(inventory)" "eddy kept Flux's inventory"
assert_eq "$flux_objs" "$(objects)" "eddy wrote nothing to the objects Flux applied"
eddy_hist=$(history)
assert_eq 1 "$(jq length <<<"$eddy_hist")" "eddy's reconcile of the same build is Flux's history entry: $eddy_hist"
assert_eq "$(jq -r '.[0].digest' <<<"$flux_hist")" "$(jq -r '.[0].digest' <<<"$eddy_hist")" \
    "eddy's build digest is Flux's"
assert_eq 2 "$(jq -r '.[0].totalReconciliations' <<<"$eddy_hist")" "the entry counts both reconciles"
assert_eq "finalizers.fluxcd.io" "$(ksget app '{.metadata.finalizers[*]}')" "one finalizer, Flux's"

step "under eddy: drift reverted, a commit applied, what Flux applied and left Git pruned"
kubectl -n "$apps" scale deployment web --replicas=5 >/dev/null
replicas_back() { [ "$(kubectl -n "$apps" get deployment web -o jsonpath='{.spec.replicas}')" = 2 ]; }
retry 30 replicas_back
app_yaml "---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $apps}
data: {color: green}"
commit "no service, green"
rev2=$(rev)
poke
applied app "$rev2"
assert_fails "the Service Flux applied is pruned" kubectl -n "$apps" get service web
assert_eq green "$(kubectl -n "$apps" get configmap settings -o jsonpath='{.data.color}')" "the ConfigMap updated"
eddy_inv=$(inventory)
assert_not_contains "$eddy_inv" "_Service" "eddy's inventory"
kubectl -n "$apps" rollout status deployment/web --timeout=60s >/dev/null
eddy_objs=$(objects)
eddy_hist=$(history)
assert_eq 2 "$(jq length <<<"$eddy_hist")" "a new build is a new history entry"

step "leaving eddy's shard is no deletion; back to Flux: nothing written, eddy's state kept"
shard flux
sleep 2
assert_eq "$eddy_objs" "$(objects)" "eddy pruned and wrote nothing when the Kustomization left its shard"
flux_start
request Flux
ready_is app True ReconciliationSucceeded
assert_eq "Applied revision: $rev2" "$(ready_message app)" "Flux's Ready message"
assert_eq "$eddy_inv" "$(inventory)" "Flux kept eddy's inventory"
assert_eq "$eddy_objs" "$(objects)" "Flux wrote nothing to the objects eddy applied"
flux_hist=$(history)
assert_eq 2 "$(jq length <<<"$flux_hist")" "Flux's reconcile of eddy's build is eddy's history entry: $flux_hist"
assert_eq 2 "$(jq -r '.[0].totalReconciliations' <<<"$flux_hist")" "the entry counts both reconciles"

step "under Flux: what eddy applied and left Git is pruned; deletion prunes the rest"
app_yaml
commit "no settings"
rev3=$(rev)
poke
applied app "$rev3"
assert_fails "the ConfigMap eddy updated is pruned by Flux" kubectl -n "$apps" get configmap settings
kubectl -n "$ns" delete kustomization app --timeout=90s >/dev/null
assert_ok "Flux's finalizer pruned the Namespace eddy kept" kubectl wait --for=delete "namespace/$apps" --timeout=90s
