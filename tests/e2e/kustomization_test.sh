#!/usr/bin/env bash
# tests/e2e/kustomization_test.sh: the GitOps loop end to end, in the real agent process
# (`eddy controller`): a commit in Git is applied (Kustomization Ready, Flux's inventory and
# revision, owner labels, the Deployment Available); a change in Git is applied and what left
# Git is pruned (an RBAC name with ':' too, its id as cli-utils writes it; a prune that fails
# goes on with the others, keeps prune: Disabled objects and is retried; an entry whose API
# version is no longer served fails the prune, as Flux's query fails); suspend lets a person scale by hand, and resume snaps the cluster back to Git; a
# broken manifest applies nothing and says why; deleting the Kustomization prunes its objects;
# drift (a scale by hand, a deleted object) is healed within seconds.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=ks-e2e
apps=ks-e2e-apps
scratch=$EDDY_E2E_SCRATCH
work=$scratch/work

step "CRDs, namespace, repository"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"
kubectl delete namespace "$apps" --ignore-not-found --wait=true >/dev/null
new_repo apps
git clone -q "$(git_http_url apps)" "$work" 2>/dev/null

# commit MESSAGE: commit and push everything in the work tree; prints nothing.
commit() {
    (cd "$work" && git add -A && git commit -qm "$1" && git push -q origin HEAD:main)
}
# deployment REPLICAS: the web Deployment's manifest.
deployment() {
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $apps}
spec:
  replicas: $1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
YAML
}
mkdir -p "$work/deploy"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$apps" >"$work/deploy/namespace.yaml"
deployment 2 >"$work/deploy/web.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\ndata: {color: blue}\n' \
    "$apps" >"$work/deploy/settings.yaml"
commit "first"

git_auth_secret "$ns"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: apps}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/apps.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps}
spec:
  interval: 10m
  retryInterval: 5s
  path: ./deploy
  prune: true
  wait: true
  timeout: 1m
  sourceRef: {kind: GitRepository, name: apps}
YAML

step "the agent"
port=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --log-level debug --leader-election-namespace default --leader-election-id "eddy-ks-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
    --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)"

ks() { kubectl -n "$ns" get kustomization apps -o "jsonpath=$1"; }
rev() { echo "main@sha1:$(git -C "$work" rev-parse HEAD)"; }
# applied REVISION: wait until the Kustomization applied REVISION.
applied() {
    kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAppliedRevision}'="$1" \
        --timeout=90s >/dev/null
}
# poke: ask the GitRepository to look at Git now.
poke() {
    kubectl -n "$ns" annotate --overwrite gitrepository/apps reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
}

step "a commit is applied"
applied "$(rev)"
kubectl -n "$ns" wait kustomization/apps --for=condition=Ready --timeout=30s >/dev/null
assert_eq "Applied revision: $(rev)" "$(ks '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message"
assert_eq "_${apps}__Namespace ${apps}_settings__ConfigMap ${apps}_web_apps_Deployment" \
    "$(ks '{.status.inventory.entries[*].id}')" "inventory ids"
assert_eq "v1 v1 v1" "$(ks '{.status.inventory.entries[*].v}')" "inventory versions"
assert_eq "apps" "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}')" "owner label"
kubectl -n "$apps" wait deploy/web --for=condition=Available --timeout=30s >/dev/null
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.name=apps,involvedObject.kind=Kustomization -o jsonpath='{.items[*].message}')" \
    "Deployment/$apps/web created" "change-set event"

step "drift is healed in seconds, not at the next interval (10m)"
kubectl -n "$apps" scale deploy/web --replicas=7 >/dev/null
t0=$(date +%s%3N)
healed() { [ "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" = 2 ]; }
retry 15 healed
echo "scale reverted after $(($(date +%s%3N) - t0)) ms"
# A ConfigMap has no generation: its drift watch (metadata only) sees the edit in who wrote it.
kubectl -n "$apps" patch configmap settings --type merge -p '{"data":{"color":"red"}}' >/dev/null
t0=$(date +%s%3N)
blue() { [ "$(kubectl -n "$apps" get configmap settings -o 'jsonpath={.data.color}')" = blue ]; }
retry 15 blue
echo "ConfigMap data edit reverted after $(($(date +%s%3N) - t0)) ms"
# The same manager editing it again (it lost the field to eddy's revert in between).
kubectl -n "$apps" patch configmap settings --type merge -p '{"data":{"color":"green"}}' >/dev/null
retry 15 blue
step "a grace period leaves room to tinker, and the drift is announced once"
kubectl -n "$ns" annotate --overwrite kustomization/apps eddy.dev/drift-grace-period=6s >/dev/null
# (A reconcile due meanwhile for another reason, such as the 5s retry left from the first
# attempt, leaves the drifted object alone until the grace period ends.)
kubectl -n "$apps" scale deploy/web --replicas=7 >/dev/null
t0=$(date +%s%3N)
sleep 3
assert_eq 7 "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" "kept during the grace period"
kubectl -n "$apps" scale deploy/web --replicas=8 >/dev/null # keeps fighting: no second event
retry 20 healed
echo "with a 6s grace period, reverted after $(($(date +%s%3N) - t0)) ms"
events=$(kubectl -n "$ns" get events --field-selector reason=DriftDetected -o jsonpath='{range .items[*]}{.message}{"|"}{.count}{"\n"}{end}')
assert_contains "$events" "drift on Deployment/$apps/web: spec.replicas changed by kubectl" "event names object, field, manager"
assert_contains "$events" "reverting in 6s" "event says when"
assert_eq 1 "$(grep -c 'reverting in 6s' <<<"$events")" "one event per grace period"
assert_eq "" "$(kubectl -n "$ns" get events.events.k8s.io --field-selector reason=DriftDetected \
    -o jsonpath='{.items[*].series.count}')" "not repeated while the fight goes on"
kubectl -n "$ns" annotate kustomization/apps eddy.dev/drift-grace-period- >/dev/null

step "a deleted object is recreated"
kubectl -n "$apps" delete configmap settings >/dev/null
t0=$(date +%s%3N)
recreated() { kubectl -n "$apps" get configmap settings >/dev/null 2>&1; }
retry 15 recreated
echo "deleted ConfigMap recreated after $(($(date +%s%3N) - t0)) ms"

step "eddy get"
out=$("$eddy" get kustomizations -n "$ns")
r=$(rev)
r=${r:0:18} # flux's tables cut commits to 8 digits
assert_match "^NAME[[:space:]]+REVISION[[:space:]]+SUSPENDED[[:space:]]+READY[[:space:]]+MESSAGE" "$out" "header"
assert_match "apps[[:space:]]+$r[[:space:]]+False[[:space:]]+True[[:space:]]+Applied revision: $r" "$out" "row"
assert_match "apps[[:space:]]+$r[[:space:]]+False[[:space:]]+True" "$("$eddy" get sources git -n "$ns")" "source row"

step "a change in Git: scaled, and what left Git is pruned (eddy reconcile --with-source)"
deployment 3 >"$work/deploy/web.yaml"
rm "$work/deploy/settings.yaml"
commit "scale, drop settings"
out=$("$eddy" reconcile kustomization apps -n "$ns" --with-source 2>&1)
assert_contains "$out" "✔ fetched revision $(rev)" "source reconciled first"
assert_contains "$out" "✔ applied revision $(rev)" "reconcile result"
applied "$(rev)"
assert_eq 3 "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" "replicas from Git"
retry 10 bash -c "! kubectl -n $apps get configmap settings >/dev/null 2>&1"
assert_not_contains "$(ks '{.status.inventory.entries[*].id}')" "settings" "inventory after prune"

step "an RBAC name with ':' (its id as cli-utils writes it), pruned when it leaves Git"
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: "web:reader", namespace: %s}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]\n' \
    "$apps" >"$work/deploy/role.yaml"
commit "a role"
"$eddy" reconcile kustomization apps -n "$ns" --with-source >/dev/null
applied "$(rev)"
assert_contains "$(ks '{.status.inventory.entries[*].id}')" "${apps}_web__reader_rbac.authorization.k8s.io_Role" "inventory id"
rm "$work/deploy/role.yaml"
commit "no role"
"$eddy" reconcile kustomization apps -n "$ns" --with-source >/dev/null
applied "$(rev)"
retry 10 bash -c "! kubectl -n $apps get role web:reader >/dev/null 2>&1"
sleep 1
assert_not_contains "$(kubectl -n "$ns" get events --field-selector reason=DriftDetected -o jsonpath='{.items[*].message}')" \
    "Role/$apps/web:reader" "eddy's own prune is no drift"

step "a prune that fails goes on with the others, keeps what opts out in any case, and retries"
# zblocked cannot be deleted (an admission policy denies it, as a webhook would); free goes
# all the same (Flux's DeleteAll tries every object); keep says prune: Disabled (any case).
for cm in zblocked free keep; do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\n' "$cm" "$apps" \
        >"$work/deploy/$cm.yaml"
done
printf '  annotations: {kustomize.toolkit.fluxcd.io/prune: Disabled}\n' >>"$work/deploy/keep.yaml"
commit "three configmaps"
"$eddy" reconcile kustomization apps -n "$ns" --with-source >/dev/null
applied "$(rev)"
policy=eddy-e2e-no-delete-$$
kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: $policy}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [DELETE], resources: [configmaps]}
  validations:
  - expression: "oldObject.metadata.name != 'zblocked'"
    message: "zblocked stays"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: $policy}
spec:
  policyName: $policy
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $apps}}
YAML
denied() { ! kubectl -n "$apps" delete configmap zblocked --dry-run=server >/dev/null 2>&1; }
retry 30 denied
rm "$work/deploy/zblocked.yaml" "$work/deploy/free.yaml" "$work/deploy/keep.yaml"
commit "drop the three"
assert_fails "reconcile with a prune denied" "$eddy" reconcile kustomization apps -n "$ns" --with-source
kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAttemptedRevision}'="$(rev)" --timeout=60s >/dev/null
assert_eq "False PruneFailed" "$(ks '{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}')" "Ready"
assert_match "^delete failed, errors: ConfigMap/$apps/zblocked delete failed: .*zblocked stays.*;\$" \
    "$(ks '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message, Flux's"
retry 10 bash -c "! kubectl -n $apps get configmap free >/dev/null 2>&1"
kubectl -n "$apps" get configmap keep >/dev/null || fail "prune: Disabled (any case) was pruned"
inv=$(ks '{.status.inventory.entries[*].id}')
assert_contains "$inv" "${apps}_zblocked__ConfigMap" "what failed stays in the inventory, to retry"
assert_not_contains "$inv" "${apps}_free__ConfigMap" "what was pruned left the inventory"
assert_not_contains "$inv" "${apps}_keep__ConfigMap" "what was skipped left the inventory"
kubectl delete validatingadmissionpolicybinding "$policy" >/dev/null
kubectl delete validatingadmissionpolicy "$policy" >/dev/null
# (retryInterval 5s)
kubectl -n "$ns" wait kustomization/apps --for=condition=Ready --timeout=60s >/dev/null
retry 10 bash -c "! kubectl -n $apps get configmap zblocked >/dev/null 2>&1"
assert_not_contains "$(ks '{.status.inventory.entries[*].id}')" "zblocked" "inventory after the retry"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.name=apps,involvedObject.kind=Kustomization -o jsonpath='{.items[*].message}')" \
    "ConfigMap/$apps/zblocked deleted" "the retried prune's event"
kubectl -n "$apps" delete configmap keep >/dev/null

step "an inventory entry whose API version is no longer served: the prune fails, as Flux's does"
crd() { # SERVED: whether v1alpha1 is served (v1 stores)
    kubectl apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.kse2e.eddy.dev}
spec:
  group: kse2e.eddy.dev
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - {name: v1alpha1, served: $1, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
YAML
}
crd true
kubectl wait --for=condition=Established --timeout=30s crd/widgets.kse2e.eddy.dev >/dev/null
printf 'apiVersion: kse2e.eddy.dev/v1alpha1\nkind: Widget\nmetadata: {name: w1, namespace: %s}\n' \
    "$apps" >"$work/deploy/widget.yaml"
commit "a widget"
poke
applied "$(rev)"
rm "$work/deploy/widget.yaml"
commit "no widget"
crd false
served() { ! kubectl get --raw /apis/kse2e.eddy.dev/v1alpha1 >/dev/null 2>&1; }
retry 30 served
poke
kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAttemptedRevision}'="$(rev)" --timeout=60s >/dev/null
kubectl -n "$ns" wait kustomization/apps \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=PruneFailed --timeout=30s >/dev/null
assert_eq "delete failed, errors: Widget/$apps/w1 query failed: no matches for kind \"Widget\" in version \"kse2e.eddy.dev/v1alpha1\";" \
    "$(ks '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message, Flux's"
assert_contains "$(ks '{.status.inventory.entries[*].id}')" "${apps}_w1_kse2e.eddy.dev_Widget" \
    "the entry stays in the inventory, to retry"
kubectl -n "$apps" get widgets.v1.kse2e.eddy.dev w1 >/dev/null || fail "the widget is gone"
# The drift watch of the unserved version fails on and on: logged once as an error, its
# repeats at debug level only (before, an error line every 1, 2, 4, ... 30 s, forever).
widget_failures() { grep -c "^${1}informer: list or watch failed, retrying kind=Widget" "$scratch/ctl.log" || true; }
widget_repeats() { test "$(widget_failures ".*")" -ge 3; }
retry 30 widget_repeats
assert_eq 1 "$(widget_failures "✗ ")" "error lines of the Widget drift watch (of 3 or more failures)"
crd true
kubectl -n "$ns" wait kustomization/apps --for=condition=Ready --timeout=60s >/dev/null
retry 10 bash -c "! kubectl -n $apps get widgets.v1.kse2e.eddy.dev w1 >/dev/null 2>&1"
assert_not_contains "$(ks '{.status.inventory.entries[*].id}')" "Widget" "inventory after the retry"
# Deleted meanwhile: the prune of the deletion fails the same way, the finalizer stays, and it
# is tried again (not at the next interval) until it works.
mkdir -p "$work/widgets"
printf 'apiVersion: kse2e.eddy.dev/v1alpha1\nkind: Widget\nmetadata: {name: w2, namespace: %s}\n' \
    "$apps" >"$work/widgets/w2.yaml"
commit "widgets"
poke
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: widgets}
spec:
  interval: 10m
  retryInterval: 5s
  path: ./widgets
  prune: true
  sourceRef: {kind: GitRepository, name: apps}
YAML
kubectl -n "$ns" wait kustomization/widgets --for=condition=Ready --timeout=60s >/dev/null
crd false
retry 30 served
kubectl -n "$ns" delete kustomization widgets --wait=false >/dev/null
prune_failed() {
    kubectl -n "$ns" get events --field-selector involvedObject.name=widgets -o jsonpath='{.items[*].message}' |
        grep -q "pruning for deleted resource failed"
}
retry 30 prune_failed
kubectl -n "$ns" get kustomization widgets >/dev/null || fail "let go with its objects unpruned"
kubectl -n "$apps" get widgets.v1.kse2e.eddy.dev w2 >/dev/null || fail "w2 is gone"
crd true
kubectl -n "$ns" wait --for=delete kustomization/widgets --timeout=60s >/dev/null
retry 10 bash -c "! kubectl -n $apps get widgets.v1.kse2e.eddy.dev w2 >/dev/null 2>&1"
kubectl delete crd widgets.kse2e.eddy.dev >/dev/null

step "eddy suspend, change by hand, eddy resume: back to Git"
assert_contains "$("$eddy" suspend kustomization apps -n "$ns" 2>&1)" "✔ kustomization suspended" "suspend"
assert_eq true "$(ks '{.spec.suspend}')" "spec.suspend"
# Flux's status of a suspended object: observedGeneration follows the generation the suspend
# gave it (kstatus, a parent's health check, sees it current), Ready as it was.
observed() { [ "$(ks '{.status.observedGeneration}')" = "$(ks '{.metadata.generation}')" ]; }
retry 10 observed
assert_eq True "$(ks '{.status.conditions[?(@.type=="Ready")].status}')" "Ready while suspended"
kubectl -n "$ns" annotate --overwrite kustomization/apps reconcile.fluxcd.io/requestedAt=while-suspended >/dev/null
retry 10 bash -c "[ \"\$(kubectl -n $ns get kustomization apps -o 'jsonpath={.status.lastHandledReconcileAt}')\" = while-suspended ]"
assert_fails "reconcile while suspended" "$eddy" reconcile kustomization apps -n "$ns"
assert_contains "$OUT" "resource is suspended" "reconcile refused"
sleep 1
kubectl -n "$apps" scale deploy/web --replicas=5 >/dev/null
sleep 2
assert_eq 5 "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" "hand-made change kept while suspended"
out=$("$eddy" resume kustomization apps -n "$ns" 2>&1)
assert_contains "$out" "✔ applied revision $(rev)" "resume waits for the reconcile"
assert_eq 3 "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" "replicas back to Git"

step "a broken manifest applies nothing"
before=$(rev)
deployment -1 >"$work/deploy/web.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: newer, namespace: %s}\n' "$apps" >"$work/deploy/newer.yaml"
commit "broken"
assert_fails "reconcile of a broken revision" "$eddy" reconcile kustomization apps -n "$ns" --with-source
assert_contains "$OUT" "dry-run failed" "reconcile reports the failure"
kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAttemptedRevision}'="$(rev)" --timeout=60s >/dev/null
assert_eq False "$(ks '{.status.conditions[?(@.type=="Ready")].status}')" "Ready"
assert_contains "$(ks '{.status.conditions[?(@.type=="Ready")].message}')" \
    "Deployment/$apps/web dry-run failed" "Ready message names the object"
assert_eq "$before" "$(ks '{.status.lastAppliedRevision}')" "last applied revision unchanged"
assert_fails "the ConfigMap of the broken revision" kubectl -n "$apps" get configmap newer
assert_eq 3 "$(kubectl -n "$apps" get deploy web -o 'jsonpath={.spec.replicas}')" "replicas unchanged"

step "deleting the Kustomization prunes what it applied"
kubectl -n "$ns" delete kustomization/apps --timeout=60s >/dev/null
gone() { ! kubectl -n "$apps" get deploy web >/dev/null 2>&1; }
retry 30 gone
