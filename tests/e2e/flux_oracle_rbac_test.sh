#!/usr/bin/env bash
# tests/e2e/flux_oracle_rbac_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh)
# as the oracle of an impersonating Kustomization (spec.serviceAccountName) whose RBAC changes
# under an unchanged revision. eddy's no-op reconcile sends no dry-run when nothing it applied
# changed (README, "A reconcile with nothing to do costs nothing"); Flux dry-runs and applies on
# every reconcile, so it finds out when the account lost the right to write its objects. eddy
# watches RBAC while a Kustomization impersonates, and a change makes the next reconcile of such
# a Kustomization a full one: the RoleBinding deleted, a requested reconcile gives in eddy what
# it gives in Flux (Ready=False with the API's forbidden message, the same Events), and the
# RoleBinding back, Ready again. Before that, an unchanged RBAC keeps eddy's reconcile a no-op
# (no dry-run), and a Kustomization that does not impersonate starts no RBAC watch; once none
# impersonates any more, the watch ends.
#
# The Kustomization is given twice, to Flux in namespace orbac-flux and to eddy in orbac-eddy,
# each applying into its own namespace; only the namespace of the pair and durations are
# normalised.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nse=orbac-eddy
nsf=orbac-flux
ks_setup "$nse" orbac
new_namespace "$nsf"
git_auth_secret "$nsf"
flux_bucket_crd

put app/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1"}
YAML
commit "a ConfigMap"

# ks N NAME SHARD TARGET [SPEC]: Kustomization NAME of ./app in namespace N, applying into
# namespace TARGET.
ks() {
    kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $2, labels: {shard: $3}}
spec:
  interval: 10m
  retryInterval: 1h
  path: ./app
  prune: true
  timeout: 30s
  targetNamespace: $4
  sourceRef: {kind: GitRepository, name: $repo}
${5:-}
YAML
}

# binding N: the RoleBinding that lets deployer write ConfigMaps in N.
binding() {
    kubectl -n "$1" create rolebinding deployer --role=configmaps --serviceaccount="$1:deployer" \
        >/dev/null
}

for n in "$nse" "$nsf"; do
    ns=$n gitrepository "$repo" "{shard: both}"
    kubectl -n "$n" create serviceaccount deployer >/dev/null
    kubectl -n "$n" create role configmaps --verb=get,list,watch,create,update,patch,delete \
        --resource=configmaps >/dev/null
    binding "$n"
done
ks "$nsf" app flux "$nsf" "  serviceAccountName: deployer"
# eddy's plain Kustomization (no account: the agent's own rights) applies into a namespace of
# its own.
new_namespace "$nse-plain"
ks "$nse" plain eddy "$nse-plain"

FLUX_NS=$nsf flux_start
RUNTIME_NAMESPACE=$nse agent --watch-label-selector 'shard in (eddy,both)'
log=$scratch/ctl.log

step "a Kustomization that does not impersonate starts no RBAC watch"
ns=$nse applied plain "$(rev)"
rbac_requests() { grep -c 'API request.*/apis/rbac.authorization.k8s.io/' "$log" || true; }
assert_eq 0 "$(rbac_requests)" "RBAC requests of the agent with no impersonating Kustomization"
ks "$nse" app eddy "$nse" "  serviceAccountName: deployer"

# ready STATUS: both say Ready STATUS for app.
ready() {
    local n
    for n in "$nse" "$nsf"; do
        assert_eq "$1" "$(kubectl -n "$n" get kustomization app \
            -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" "$n: app's Ready"
    done
}

# dry_runs: the dry-runs eddy sent to its namespace's ConfigMaps so far (its debug log).
dry_runs() { grep 'API request' "$log" | grep "/namespaces/$nse/configmaps" | grep -c dryRun || true; }

step "both apply the revision as the service account"
for n in "$nse" "$nsf"; do
    ns=$n applied app "$(rev)"
done
retry 15 same_status app
[ "$(rbac_requests)" -gt 0 ] || fail "no RBAC watch once a Kustomization impersonates"

step "RBAC unchanged: eddy's requested reconcile is a no-op, Ready in both"
d0=$(dry_runs)
request app
ready True
assert_eq "$d0" "$(dry_runs)" "eddy's dry-runs with RBAC unchanged"

step "the RoleBinding deleted: the next reconcile fails in both, with Flux's message"
for n in "$nse" "$nsf"; do
    kubectl -n "$n" delete rolebinding deployer >/dev/null
done
request app
ready False
assert_eq ReconciliationFailed "$(ns=$nse ready_reason app)" "eddy's reason"
msg=$(ns=$nse ready_message app)
assert_contains "$msg" "ConfigMap/$nse/settings dry-run failed" "names the object"
assert_contains "$msg" "system:serviceaccount:$nse:deployer" "as the service account"
assert_contains "$msg" "forbidden" "the API's denial"
[ "$(dry_runs)" -gt "$d0" ] || fail "eddy sent no dry-run after the RBAC change"

step "the RoleBinding back: Ready again in both"
for n in "$nse" "$nsf"; do
    binding "$n"
done
request app
ready True
assert_eq 1 "$(kubectl -n "$nse" get configmap settings -o 'jsonpath={.data.a}')" "eddy's object"

step "eddy's last impersonating Kustomization without its account: the RBAC watch ends"
kubectl -n "$nse" patch kustomization app --type json \
    -p '[{"op": "remove", "path": "/spec/serviceAccountName"}]' >/dev/null
unwatched() { grep -q "RBAC no longer watched" "$log"; }
retry 30 unwatched || fail "the RBAC watch did not end"
changes() { grep -c "RBAC changed" "$log" || true; }
c0=$(changes)
kubectl -n "$nse" delete rolebinding deployer >/dev/null
sleep 2
assert_eq "$c0" "$(changes)" "RBAC changes seen with no Kustomization impersonating"
ns=$nse ready_is app True ReconciliationSucceeded
assert_eq "$(rev)" "$(ns=$nse ksget app '{.status.lastAppliedRevision}')" "applied as the agent itself"
