#!/usr/bin/env bash
# tests/e2e/migration_test.sh: the seed's two closing promises, on real control planes.
#   - Migration: cluster A (the runner's) is bootstrapped from clusters/prod of a repository
#     that already holds apps there; a second control plane B, bootstrapped from the same
#     repository and path, makes no commit and converges to the same objects: the live objects
#     (less the fields the server sets) and `eddy export` of the Flux objects are identical.
#   - Another cluster on the same repository: C, bootstrapped from clusters/staging with the
#     default (Deployment) agent, adds only its own files in one commit, and gets nothing of
#     clusters/prod.
#   - Recovery: B's control plane is destroyed with its data (scripts/cluster down), a fresh one
#     comes up under the same name, bootstrap: every object comes back, identical to A's.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
repo=$EDDY_GIT_ROOT/fleet-mig.git
url=$EDDY_GIT_HTTP_URL/fleet-mig.git
apps=mig-apps
kc_a=$KUBECONFIG
b=mig-b-$$
c=mig-c-$$

cleanup() {
    stop_pidfile "$scratch/agent-a/agent.pid"
    stop_pidfile "$scratch/agent-b/agent.pid"
    stop_pidfile "$scratch/agent-b2/agent.pid"
    "$EDDY_ROOT/scripts/cluster" down "$b" >/dev/null 2>&1 || true
    "$EDDY_ROOT/scripts/cluster" down "$c" >/dev/null 2>&1 || true
    KUBECONFIG=$kc_a "$eddy" uninstall --silent >/dev/null 2>&1 || true
    # the next test may bootstrap again: wait until the namespace is really gone
    KUBECONFIG=$kc_a kubectl wait --for=delete namespace/flux-system --timeout=90s >/dev/null 2>&1 || true
    KUBECONFIG=$kc_a kubectl delete namespace "$apps" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# boot KUBECONFIG PATH AGENT_DIR: bootstrap that cluster from PATH of the repository.
boot() {
    KUBECONFIG=$1 "$eddy" bootstrap git --url="$url" --allow-insecure-http --branch=main --path="$2" --silent \
        -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" \
        --local-agent --local-agent-dir "$3" --timeout 2m || {
        # what the agent said, for the failure's message (the scratch directory goes with the run)
        [ ! -f "$3/agent.log" ] || { echo "--- $3/agent.log:"; tail -15 "$3/agent.log"; } >&2
        return 1
    }
}
commits() { git -C "$repo" rev-list --count main; }
# snapshot KUBECONFIG: what flux-system applied, as JSON without the fields a server sets.
snapshot() {
    KUBECONFIG=$1 kubectl get namespace,deployment,configmap,service,serviceaccount,clusterrole,clusterrolebinding,customresourcedefinition \
        -A -l kustomize.toolkit.fluxcd.io/name=flux-system -o json |
        jq -S '[.items[] | del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp,
                   .metadata.generation, .metadata.managedFields, .status, .spec.clusterIP,
                   .spec.clusterIPs, .metadata.annotations["deployment.kubernetes.io/revision"])]
               | sort_by(.kind, .metadata.namespace, .metadata.name)'
}
# exported KUBECONFIG: the Flux objects as `eddy export` prints them, less the request for a
# reconcile (a time stamp that `eddy bootstrap` or `eddy reconcile` may have left).
exported() {
    {
        KUBECONFIG=$1 "$eddy" export source git --all
        KUBECONFIG=$1 "$eddy" export kustomization --all
    } | yq -y 'del(.metadata.annotations["reconcile.fluxcd.io/requestedAt"])
               | if .metadata.annotations == {} then del(.metadata.annotations) else . end'
}
cluster_up() {
    "$EDDY_ROOT/scripts/cluster" up "$1" >"$scratch/$1.log" 2>&1 || fail "cluster $1 did not start: $(tail -5 "$scratch/$1.log")"
    "$EDDY_ROOT/scripts/cluster" status "$1"
}

step "a repository that holds the apps of clusters/prod"
new_repo fleet-mig
work=$scratch/work
git clone -q "$(git_http_url fleet-mig)" "$work" 2>/dev/null
mkdir -p "$work/clusters/prod/apps"
cat >"$work/clusters/prod/apps/web.yaml" <<YAML
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
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $apps}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: $apps}
data: {color: blue}
YAML
(cd "$work" && git add -A && git commit -qm "prod apps" && git push -q origin HEAD:main)

step "cluster A: bootstrap from clusters/prod"
# A is the shared cluster: let namespaces an earlier test's flux-system left behind finish
# terminating, so that the snapshot holds this test's objects only.
no_terminating() {
    ! kubectl get namespace -l kustomize.toolkit.fluxcd.io/name=flux-system \
        -o jsonpath='{.items[*].status.phase}' | grep -q Terminating
}
retry 120 no_terminating
out=$(boot "$kc_a" clusters/prod "$scratch/agent-a" 2>&1) || fail "bootstrap A failed:
$out"
assert_eq 3 "$(commits)" "A's bootstrap added two commits: the components', the sync's"
assert_eq 2 "$(kubectl -n "$apps" get deployment web -o jsonpath='{.spec.replicas}')" "A runs the app"
kubectl -n "$apps" rollout status deployment/web --timeout=60s >/dev/null
snap_a=$(snapshot "$kc_a")
exp_a=$(exported "$kc_a")
assert_contains "$exp_a" "path: ./clusters/prod" "the export holds the Kustomization"
assert_contains "$snap_a" '"name": "web-config"' "the snapshot holds the apps"
assert_contains "$snap_a" '"name": "gitrepositories.source.toolkit.fluxcd.io"' "the snapshot holds the CRDs"

step "migration: a second control plane B bootstrapped from the same path"
kc_b=$(cluster_up "$b")
assert_fails "B starts empty" env KUBECONFIG="$kc_b" kubectl get namespace "$apps"
head=$(git -C "$repo" rev-parse main)
out=$(boot "$kc_b" clusters/prod "$scratch/agent-b" 2>&1) || fail "bootstrap B failed:
$out"
assert_contains "$out" "up to date" "B's bootstrap commits nothing"
assert_eq "$head" "$(git -C "$repo" rev-parse main)" "main unchanged by B"
KUBECONFIG=$kc_b kubectl -n "$apps" rollout status deployment/web --timeout=60s >/dev/null
snap_b=$(snapshot "$kc_b")
assert_eq "$snap_a" "$snap_b" "B's objects are A's"
assert_eq "$exp_a" "$(exported "$kc_b")" "B's exported Flux objects are A's"

step "another cluster C on the same repository, at clusters/staging, with the default agent"
kc_c=$(cluster_up "$c")
# Without --local-agent, bootstrap waits for the agent's Deployment (the fake node reports its
# pod ready) and for flux-system to sync: the agent is started here as the pod would be, before
# the CRDs and the namespace exist.
bg_start agent-c "$eddy" controller --kubeconfig "$kc_c" --leader-election-namespace flux-system \
    --storage-path "$scratch/storage-c" --storage-addr "127.0.0.1:$(free_port)" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)"
out=$(KUBECONFIG=$kc_c "$eddy" bootstrap git --url="$url" --allow-insecure-http --branch=main --path=clusters/staging \
    --silent -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --timeout 2m 2>&1) ||
    fail "bootstrap C failed:
$out"
assert_contains "$out" "eddy: deployment ready" "C waited for the Deployment"
assert_not_contains "$out" "local agent" "C started no local agent"
assert_eq 5 "$(commits)" "C's bootstrap added two commits"
assert_eq "clusters/staging/flux-system/gotk-components.yaml
clusters/staging/flux-system/gotk-sync.yaml
clusters/staging/flux-system/kustomization.yaml" "$(git -C "$repo" diff --name-only main~2 main)" \
    "C's commits touch only its own path"
assert_fails "C gets nothing of clusters/prod" env KUBECONFIG="$kc_c" kubectl get namespace "$apps"
assert_eq "./clusters/staging" \
    "$(KUBECONFIG=$kc_c kubectl -n flux-system get kustomization flux-system -o jsonpath='{.spec.path}')" "C's path"
bg_stop agent-c
"$EDDY_ROOT/scripts/cluster" down "$c" >/dev/null

step "recovery: B's control plane and data destroyed, a fresh one, bootstrap"
uid_before=$(KUBECONFIG=$kc_b kubectl get namespace kube-system -o jsonpath='{.metadata.uid}')
assert_eq "$uid_before" "$(cat "$scratch/agent-b/cluster")" "the agent's directory names its cluster"
"$EDDY_ROOT/scripts/cluster" down "$b" >/dev/null
assert_fails "B is gone" "$EDDY_ROOT/scripts/cluster" status "$b"
[ ! -e "$EDDY_CLUSTERS_DIR/$b" ] || fail "B's data is still on disk"
kc_b=$(cluster_up "$b")
assert_ne "$uid_before" "$(KUBECONFIG=$kc_b kubectl get namespace kube-system -o jsonpath='{.metadata.uid}')" \
    "a fresh control plane"
assert_fails "the fresh B is empty" env KUBECONFIG="$kc_b" kubectl get namespace "$apps"
# The old agent still runs in agent-b, for the destroyed cluster: not taken for the new one.
assert_fails "an agent of another cluster" boot "$kc_b" clusters/prod "$scratch/agent-b"
assert_contains "$OUT" "serves another cluster (kube-system uid $uid_before)" "the old agent is refused"
stop_pidfile "$scratch/agent-b/agent.pid"
head=$(git -C "$repo" rev-parse main)
out=$(boot "$kc_b" clusters/prod "$scratch/agent-b2" 2>&1) || fail "bootstrap of the fresh B failed:
$out"
assert_eq "$head" "$(git -C "$repo" rev-parse main)" "recovery commits nothing"
KUBECONFIG=$kc_b kubectl -n "$apps" rollout status deployment/web --timeout=60s >/dev/null
assert_eq "$snap_a" "$(snapshot "$kc_b")" "every object is back"
assert_eq "$exp_a" "$(exported "$kc_b")" "the Flux objects are back"
