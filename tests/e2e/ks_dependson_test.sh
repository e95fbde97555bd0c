#!/usr/bin/env bash
# tests/e2e/ks_dependson_test.sh: spec.dependsOn with Flux's readiness rule in the real agent.
# A Kustomization whose dependency does not exist or is not ready is Ready=False with reason
# DependencyNotReady and Flux's message, applies nothing and emits Flux's Normal event; when the
# dependency becomes ready the dependent is applied at once, long before --requeue-dependency
# (1h here) would retry it; a new revision that breaks the dependency holds the dependent back.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-deps deps

cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: {v: "%s"}\n' "$1" "$ns" "$2"; }
deploy() {
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: $ns}
spec:
  replicas: $1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
YAML
}
cm infra-marker 1 | put infra/marker.yaml
deploy 1 | put infra/db.yaml
cm app 1 | put apps/app.yaml
commit "first"
gitrepository
kustomization apps ./apps "  dependsOn: [{name: infra}]"
agent --requeue-dependency 1h

step "a missing dependency"
ready_is apps False DependencyNotReady
assert_eq "dependency '$ns/infra' not found: kustomizations.kustomize.toolkit.fluxcd.io \"infra\" not found" \
    "$(ready_message apps)" "Flux's message"
assert_fails "nothing applied" kubectl -n "$ns" get configmap app
assert_eq "" "$(ksget apps '{.status.lastAttemptedRevision}')" "not attempted yet (Flux)"
events() { kubectl -n "$ns" get events --field-selector involvedObject.name=apps,reason=DependencyNotReady -o 'jsonpath={range .items[*]}{.type} {.message}{"\n"}{end}'; }
retry 10 bash -c "[ -n \"\$(kubectl -n $ns get events --field-selector involvedObject.name=apps,reason=DependencyNotReady -o name)\" ]"
assert_contains "$(events)" "Normal Dependencies do not meet ready condition, retrying in 1h0m0s" "Flux's event"

step "the dependency appears and becomes ready: the dependent follows at once"
t0=$(date +%s%3N)
kustomization infra ./infra "  wait: true"
applied infra "$(rev)"
applied apps "$(rev)"
echo "dependent applied $(($(date +%s%3N) - t0)) ms after its dependency was created (requeue-dependency: 1h)"
assert_eq 1 "$(kubectl -n "$ns" get configmap app -o 'jsonpath={.data.v}')" "applied"
assert_eq True "$(ready_status apps)" "Ready"

step "a new revision that breaks the dependency holds the dependent back"
good=$(rev)
deploy -1 | put infra/db.yaml
cm app 2 | put apps/app.yaml
commit "break infra"
poke
ready_is infra False ReconciliationFailed
ready_is apps False DependencyNotReady
assert_match "^dependency '$ns/infra' (is not ready|revision is not up to date)$" "$(ready_message apps)" "Flux's message"
assert_eq "$good" "$(ksget apps '{.status.lastAppliedRevision}')" "not applied"
assert_eq 1 "$(kubectl -n "$ns" get configmap app -o 'jsonpath={.data.v}')" "unchanged"

step "the dependency fixed: the dependent applies the new revision"
deploy 2 | put infra/db.yaml
commit "fix infra"
poke
applied infra "$(rev)"
applied apps "$(rev)"
assert_eq 2 "$(kubectl -n "$ns" get configmap app -o 'jsonpath={.data.v}')" "applied"

step "a dependency in another namespace, given explicitly"
kubectl create namespace ks-deps-other >/dev/null 2>&1 || true
kubectl -n ks-deps-other apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: later}
spec:
  interval: 10m
  path: ./apps
  prune: false
  sourceRef: {kind: GitRepository, name: $repo, namespace: $ns}
  dependsOn: [{name: infra, namespace: $ns}, {name: nothing-here}]
YAML
ok_later() { [ "$(kubectl -n ks-deps-other get kustomization later -o 'jsonpath={.status.conditions[?(@.type=="Ready")].message}')" = "dependency 'ks-deps-other/nothing-here' not found: kustomizations.kustomize.toolkit.fluxcd.io \"nothing-here\" not found" ]; }
retry 30 ok_later
kubectl delete namespace ks-deps-other --wait=false >/dev/null
