#!/usr/bin/env bash
# tests/e2e/ks_impersonation_test.sh: spec.serviceAccountName and --default-service-account in
# the real agent. The agent applies as system:serviceaccount:<ns>:<name>, so RBAC decides: a
# revision that holds an object the account may not write is refused by the dry-run,
# Ready=False names the denial, and nothing of it is applied; within its rights it applies.
# A Kustomization that names no account uses --default-service-account (here one without any
# rights): denied too. RBAC changed under an unchanged revision shows at the next reconcile, as
# with Flux (which dry-runs every time; eddy's no-op reconcile watches RBAC for that): a grant
# applies, its removal fails again (tests/e2e/flux_oracle_rbac_test.sh compares it with Flux). With --no-cross-namespace-refs a source in another namespace is refused
# (Ready=False and Stalled, AccessDenied), and so are an ImageUpdateAutomation's GitRepository
# and an ImagePolicy's ImageRepository there.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
# Failures here are fixed by a change (spec or commit), which reconciles at once: a long
# retryInterval keeps a retry from flipping Ready to Unknown while the test reads a failure.
export KS_RETRY=1m

ks_setup ks-imp imp
other=ks-imp-other
new_namespace "$other"

step "a service account that may write ConfigMaps in its namespace only"
kubectl -n "$ns" create serviceaccount deployer >/dev/null
kubectl -n "$ns" create serviceaccount restricted >/dev/null
kubectl -n "$ns" create role configmaps --verb=get,list,watch,create,update,patch,delete \
    --resource=configmaps >/dev/null
kubectl -n "$ns" create rolebinding deployer --role=configmaps --serviceaccount="$ns:deployer" >/dev/null

cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: {v: "1"}\n' "$1" "$2"; }
cm mine "$ns" | put app/mine.yaml
cm theirs "$other" | put app/theirs.yaml
cm fallback "$ns" | put fallback/cm.yaml
commit "two namespaces"
gitrepository
kustomization app ./app "  serviceAccountName: deployer"
agent --default-service-account restricted --no-cross-namespace-refs

step "an object outside the account's rights: refused, nothing applied"
ready_is app False ReconciliationFailed
msg=$(ready_message app)
assert_contains "$msg" "ConfigMap/$other/theirs dry-run failed" "names the object"
assert_contains "$msg" "forbidden" "RBAC denial"
assert_contains "$msg" "system:serviceaccount:$ns:deployer" "as the service account"
assert_fails "nothing applied, not even what was allowed" kubectl -n "$ns" get configmap mine
assert_fails "nothing applied elsewhere" kubectl -n "$other" get configmap theirs

step "within its rights: applied"
rm "$work/app/theirs.yaml"
commit "own namespace only"
poke
applied app "$(rev)"
assert_eq 1 "$(kubectl -n "$ns" get configmap mine -o 'jsonpath={.data.v}')" "applied"
assert_eq "kustomize-controller" "$(kubectl -n "$ns" get configmap mine -o 'jsonpath={.metadata.managedFields[0].manager}')" "field manager"

step "no serviceAccountName: --default-service-account is impersonated"
kustomization fallback ./fallback ""
ready_is fallback False ReconciliationFailed
assert_contains "$(ready_message fallback)" "system:serviceaccount:$ns:restricted" "the default account"
assert_contains "$(ready_message fallback)" "forbidden" "denied"

step "RBAC changed, revision not: a grant applies, its removal fails at the next reconcile"
# request NAME: a reconcile of NAME requested, and handled.
request() {
    local token
    token=$(date +%s%N)
    kubectl -n "$ns" annotate --overwrite "kustomization/$1" \
        reconcile.fluxcd.io/requestedAt="$token" >/dev/null
    handled() { [ "$(ksget "$1" '{.status.lastHandledReconcileAt}')" = "$2" ]; }
    retry 60 handled "$1" "$token"
}
kubectl -n "$ns" create rolebinding restricted --role=configmaps --serviceaccount="$ns:restricted" \
    >/dev/null
request fallback
ready_is fallback True ReconciliationSucceeded
assert_eq 1 "$(kubectl -n "$ns" get configmap fallback -o 'jsonpath={.data.v}')" "applied once granted"
request fallback
assert_eq True "$(ready_status fallback)" "still Ready with RBAC unchanged"
kubectl -n "$ns" delete rolebinding restricted >/dev/null
request fallback
assert_eq "False ReconciliationFailed" "$(ready_status fallback) $(ready_reason fallback)" \
    "Ready once the grant is gone"
assert_contains "$(ready_message fallback)" "ConfigMap/$ns/fallback dry-run failed (Forbidden)" \
    "the API's denial, named"
assert_contains "$(ready_message fallback)" "system:serviceaccount:$ns:restricted" "the default account"

step "--no-cross-namespace-refs: a source in another namespace is refused, terminally (image objects too)"
kubectl -n "$other" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cross}
spec:
  interval: 10m
  path: ./app
  prune: true
  sourceRef: {kind: GitRepository, name: $repo, namespace: $ns}
YAML
cross() { kubectl -n "$other" get kustomization cross -o "jsonpath={.status.conditions[?(@.type==\"$1\")].$2}"; }
denied() { [ "$(cross Ready reason)" = AccessDenied ]; }
retry 30 denied
assert_eq "can't access 'GitRepository/$ns/$repo', cross-namespace references have been blocked" \
    "$(cross Ready message)" "Flux's message"
assert_eq False "$(cross Ready status)" "Ready"
assert_eq True "$(cross Stalled status)" "Stalled"
assert_eq AccessDenied "$(cross Stalled reason)" "Stalled reason"
assert_eq "" "$(cross Reconciling status)" "not Reconciling"
# The image controllers follow the same flag, as Flux's do: an ImageUpdateAutomation whose
# GitRepository, and an ImagePolicy whose ImageRepository, is in another namespace.
kubectl -n "$other" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: cross}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: $repo, namespace: $ns}
  git:
    commit: {author: {name: eddy-bot, email: bot@eddy.dev}}
  update: {path: ./app}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: cross}
spec:
  imageRepositoryRef: {name: app, namespace: $ns}
  policy: {semver: {range: 1.x}}
YAML
cond() { kubectl -n "$other" get "$1" cross -o "jsonpath={.status.conditions[?(@.type==\"$2\")].$3}"; }
denied_image() { [ "$(cond "$1" Ready reason)" = AccessDenied ]; }
retry 30 denied_image imageupdateautomation ||
    fail "automation not denied: $(kubectl -n "$other" get imageupdateautomation cross -o jsonpath='{.status.conditions}')"
assert_eq "can't access 'GitRepository/$ns/$repo', cross-namespace references have been blocked" \
    "$(cond imageupdateautomation Ready message)" "automation: Flux's message"
assert_eq True "$(cond imageupdateautomation Stalled status)" "automation: Stalled"
retry 30 denied_image imagepolicy ||
    fail "policy not denied: $(kubectl -n "$other" get imagepolicy cross -o jsonpath='{.status.conditions}')"
assert_eq "failed to get the referred ImageRepository: access denied: cannot access 'ImageRepository/$ns/app', cross-namespace references have been blocked" \
    "$(cond imagepolicy Ready message)" "policy: Flux's message"
kubectl -n "$other" delete imageupdateautomation/cross imagepolicy/cross --timeout=30s >/dev/null

step "the service account gone: deleting the Kustomization leaves its objects and says so"
# A namespace being deleted takes the account along: nothing can be pruned in its name, and
# holding the finalizer would hold the namespace in Terminating for ever (Flux lets it go).
kubectl -n "$ns" delete serviceaccount deployer >/dev/null
kubectl -n "$ns" delete kustomization app --wait=false >/dev/null
retry 30 bash -c "! kubectl -n $ns get kustomization app >/dev/null 2>&1"
assert_eq 1 "$(kubectl -n "$ns" get configmap mine -o 'jsonpath={.data.v}')" "its object left"
kevents() {
    kubectl -n "$ns" get events --field-selector "involvedObject.kind=Kustomization,involvedObject.name=$1" \
        -o 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\n"}{end}'
}
assert_contains "$(kevents app)" "Warning ReconciliationSucceeded unable to prune objects: 
ConfigMap/$ns/mine" "a Warning Event names what was left"
