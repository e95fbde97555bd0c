#!/usr/bin/env bash
# tests/e2e/ks_remote_test.sh: spec.kubeConfig.secretRef in the real agent, with a second real
# control plane started by this test (scripts/cluster up): the Kustomization's objects are
# applied to, pruned from and (on deletion) removed from the remote cluster, never the local
# one; a hand edit there is reverted by the next reconcile; with serviceAccountName that account is impersonated there; a missing Secret or key is reported on Ready=False without the kubeconfig's content;
# a kubeconfig's exec plugin is dropped (Flux's --insecure-kubeconfig-exec=false), never run; a
# kubeConfig.configMapRef (workload identity, not built), or a kubeConfig with neither or both
# refs (Flux's "exactly one of" message), is refused and stalled, never applied locally.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
# Failures here are fixed by a change (spec or commit), which reconciles at once: a long
# retryInterval keeps a retry from flipping Ready to Unknown while the test reads a failure.
export KS_RETRY=1m

remote_name=remote-$$
trap '"$EDDY_ROOT/scripts/cluster" down "$remote_name" >/dev/null 2>&1 || true' EXIT
step "a second control plane"
remote_kc=$("$EDDY_ROOT/scripts/cluster" up "$remote_name" 2>/dev/null | tail -n 1)
[ -f "$remote_kc" ] || fail "no kubeconfig for the remote cluster: '$remote_kc'"
rk() { KUBECONFIG=$remote_kc kubectl "$@"; }
retry 60 rk get namespace default

ks_setup ks-remote remote
kubectl -n "$ns" create secret generic remote-kubeconfig --from-file=value="$remote_kc" >/dev/null
kubectl -n "$ns" create secret generic other-key --from-file=config="$remote_kc" >/dev/null
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\ndata: {v: "1"}\n' "$1"; }
cm far-away | put app/a.yaml
cm second | put app/b.yaml
commit "two ConfigMaps"
gitrepository
kustomization app ./app "  kubeConfig: {secretRef: {name: remote-kubeconfig}}"
agent

step "applied to the remote cluster only"
applied app "$(rev)"
assert_eq 1 "$(rk -n default get configmap far-away -o 'jsonpath={.data.v}')" "on the remote cluster"
assert_eq app "$(rk -n default get configmap far-away -o 'jsonpath={.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}')" "owner label"
assert_fails "not on the local cluster" kubectl -n default get configmap far-away
assert_eq "default_far-away__ConfigMap default_second__ConfigMap" "$(ksget app '{.status.inventory.entries[*].id}')" "inventory"

step "pruned from the remote cluster"
rm "$work/app/b.yaml"
commit "drop second"
poke
applied app "$(rev)"
retry 20 bash -c "! KUBECONFIG=$remote_kc kubectl -n default get configmap second >/dev/null 2>&1"

step "drift on the remote cluster is reverted at the next reconcile (no instant watch there)"
rk -n default patch configmap far-away --type=merge -p '{"data":{"v":"2"}}' >/dev/null
kubectl -n "$ns" annotate --overwrite kustomization/app reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
reverted() { [ "$(rk -n default get configmap far-away -o 'jsonpath={.data.v}')" = 1 ]; }
retry 30 reverted

step "the kubeconfig under another key"
kustomization other ./app "  kubeConfig: {secretRef: {name: other-key, key: config}}
  nameSuffix: -other"
applied other "$(rev)"
rk -n default get configmap far-away-other >/dev/null

step "with serviceAccountName: impersonated on the remote cluster (no rights there: denied)"
kustomization as-sa ./app "  kubeConfig: {secretRef: {name: remote-kubeconfig}}
  serviceAccountName: deployer
  nameSuffix: -sa"
ready_is as-sa False ReconciliationFailed
assert_contains "$(ready_message as-sa)" "User \"system:serviceaccount:$ns:deployer\" cannot" "impersonated remotely"
assert_fails "nothing applied" rk -n default get configmap far-away-sa

step "a missing Secret, a missing key"
kustomization broken ./app "  kubeConfig: {secretRef: {name: nowhere}}"
ready_is broken False ReconciliationFailed
assert_contains "$(ready_message broken)" "unable to read KubeConfig secret '$ns/nowhere'" "names the Secret"
kustomization broken ./app "  kubeConfig: {secretRef: {name: other-key}}"
retry 30 bash -c "kubectl -n $ns get kustomization broken -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].message}' | grep -q \"does not contain the 'value' or 'value.yaml' key\""
assert_not_contains "$(kubectl -n "$ns" get kustomization broken -o yaml) $(cat "$scratch/ctl.log")" "client-key-data" "no kubeconfig content in status or logs"

step "a configMapRef (workload identity), neither ref or both: refused and stalled, nothing applied"
kubectl -n "$ns" create configmap remote-wi --from-literal=provider=aws \
    --from-literal=cluster=arn:aws:eks:eu-west-1:1:cluster/c >/dev/null
kustomization by-identity ./app "  kubeConfig: {configMapRef: {name: remote-wi}}
  nameSuffix: -wi"
ready_is by-identity False ReconciliationFailed
assert_contains "$(ready_message by-identity)" \
    "spec.kubeConfig.configMapRef 'remote-wi': remote clusters reached with workload identity" \
    "configMapRef refused, named"
assert_eq True "$(ksget by-identity '{.status.conditions[?(@.type=="Stalled")].status}')" \
    "configMapRef stalled"
assert_fails "nothing applied to the local cluster" kubectl -n default get configmap far-away-wi
assert_fails "nothing applied to the remote cluster" rk -n default get configmap far-away-wi
kustomization no-secret ./app "  kubeConfig: {}
  nameSuffix: -none"
ready_is no-secret False ReconciliationFailed
assert_eq "exactly one of .spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be set" \
    "$(ready_message no-secret)" "an empty kubeConfig refused, in Flux's words"
assert_fails "nothing applied to the local cluster" kubectl -n default get configmap far-away-none
kustomization both-refs ./app "  kubeConfig: {secretRef: {name: remote-kubeconfig}, configMapRef: {name: remote-wi}}
  nameSuffix: -both"
ready_is both-refs False ReconciliationFailed
assert_eq "exactly one of .spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be set" \
    "$(ready_message both-refs)" "both refs refused, in Flux's words"
assert_eq True "$(ksget both-refs '{.status.conditions[?(@.type=="Stalled")].status}')" \
    "both refs stalled"
assert_fails "nothing applied to the remote cluster" rk -n default get configmap far-away-both

step "a kubeconfig whose user runs a command: the exec plugin is dropped (Flux's default), never run"
marker=$scratch/exec-ran
server=$(KUBECONFIG=$remote_kc kubectl config view --raw --minify -o 'jsonpath={.clusters[0].cluster.server}')
ca=$(KUBECONFIG=$remote_kc kubectl config view --raw --minify -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
cat >"$scratch/exec-kc" <<YAML
apiVersion: v1
kind: Config
current-context: c
clusters:
- name: r
  cluster: {server: "$server", certificate-authority-data: "$ca"}
contexts:
- name: c
  context: {cluster: r, user: u}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      interactiveMode: Never
      command: /bin/sh
      args: [-c, 'touch $marker; echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}"']
YAML
kubectl -n "$ns" create secret generic exec-kubeconfig --from-file=value="$scratch/exec-kc" >/dev/null
kustomization with-exec ./app "  kubeConfig: {secretRef: {name: exec-kubeconfig}}
  nameSuffix: -exec"
ready_is with-exec False ReconciliationFailed
[ ! -e "$marker" ] || fail "the kubeconfig's exec plugin ran in the agent"
assert_fails "nothing applied" rk -n default get configmap far-away-exec

step "deleted: its objects are removed from the remote cluster"
kubectl -n "$ns" delete kustomization app --timeout=60s >/dev/null
retry 20 bash -c "! KUBECONFIG=$remote_kc kubectl -n default get configmap far-away >/dev/null 2>&1"
