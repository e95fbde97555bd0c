#!/usr/bin/env bash
# tests/e2e/drift_test.sh: drift healing that leaves room to tinker (issue 10), in the real agent
# against the real control plane and Git server:
#   - a 20s grace period keeps a `kubectl scale` for 20 s, also through a reconcile requested
#     meanwhile, reports it in the Drifted condition, then reverts it and clears the condition;
#   - suspending during the grace period keeps the edit until resume;
#   - a loop of `kubectl patch` fighting eddy gives one event per grace period, and the
#     eddy_drift_detected_total counter shows the fight;
#   - detect-only mode reports and never reverts, while a new revision from Git still applies;
#   - a no-op reconcile (same revision, same objects, no drift) sends no request at all.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=drift-e2e
apps=drift-e2e-apps
work=$EDDY_E2E_SCRATCH/work

step "CRDs, namespaces, repository"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"
new_namespace "$apps"
new_repo drift
git clone -q "$(git_http_url drift)" "$work" 2>/dev/null
commit() {
    (cd "$work" && git add -A && git commit -qm "$1" && git push -q origin HEAD:main)
}
# deployment NAME REPLICAS
deployment() {
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: $apps}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
YAML
}
mkdir -p "$work/grace" "$work/detect" "$work/idle" "$work/first"
deployment web 2 >"$work/grace/web.yaml"
deployment watched 2 >"$work/detect/watched.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: idle, namespace: %s}\ndata: {a: "1"}\n' \
    "$apps" >"$work/idle/cm.yaml"
# Created when missing, never updated (Flux's ssa: IfNotPresent): edits to it are not drift.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seed, namespace: %s, annotations: {kustomize.toolkit.fluxcd.io/ssa: IfNotPresent}}\ndata: {a: "1"}\n' \
    "$apps" >"$work/idle/seed.yaml"
# A custom resource whose CRD has no status subresource: its status is written through the
# object itself, which moves its generation.
cat >"$work/idle/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.drift.example.com}
spec:
  group: drift.example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
printf 'apiVersion: drift.example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: %s}\nspec: {size: 1}\n' \
    "$apps" >"$work/idle/widget.yaml"
# first: a ConfigMap and a Widget (of idle's CRD) whose health check waits for a status the
# test writes, so that the Kustomization's first reconcile lasts while a hand edit happens.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: %s}\ndata: {a: "1"}\n' \
    "$apps" >"$work/first/cm.yaml"
printf 'apiVersion: drift.example.com/v1\nkind: Widget\nmetadata: {name: gate, namespace: %s}\nspec: {size: 1}\n' \
    "$apps" >"$work/first/widget.yaml"
commit first

git_auth_secret "$ns"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: drift}
spec:
  interval: 1h
  url: $EDDY_GIT_HTTP_URL/drift.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: grace
  annotations: {eddy.dev/drift-grace-period: 20s}
spec:
  interval: 10m
  path: ./grace
  prune: true
  sourceRef: {kind: GitRepository, name: drift}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: detect
  annotations: {eddy.dev/drift-mode: detect-only}
spec:
  interval: 2s
  path: ./detect
  prune: true
  sourceRef: {kind: GitRepository, name: drift}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: idle}
spec:
  interval: 1s
  path: ./idle
  prune: true
  sourceRef: {kind: GitRepository, name: drift}
YAML

step "the agent"
mport=$(free_port)
sport=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-level debug \
    --leader-election-namespace default --leader-election-id "eddy-drift-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$EDDY_E2E_SCRATCH/storage" \
    --storage-addr "127.0.0.1:$sport" --storage-adv-addr "127.0.0.1:$sport" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$mport"
rev() { echo "main@sha1:$(git -C "$work" rev-parse HEAD)"; }
for k in grace detect idle; do
    kubectl -n "$ns" wait "kustomization/$k" --for=jsonpath='{.status.lastAppliedRevision}'="$(rev)" \
        --timeout=90s >/dev/null
done
replicas() { kubectl -n "$apps" get deploy "$1" -o 'jsonpath={.spec.replicas}'; }
drifted() { kubectl -n "$ns" get kustomization "$1" -o 'jsonpath={.status.conditions[?(@.type=="Drifted")].message}'; }
metric() { curl -fs "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

step "a no-op reconcile sends no request"
# idle reconciles every second: its revision, objects and live state do not change.
count() {
    curl -fs "http://127.0.0.1:$mport/metrics" |
        awk '$1 ~ /^gotk_reconcile_duration_seconds_count\{/ && /name="idle"/ {print $2}'
}
# requests: the agent's API requests so far about this test's namespaces (from its debug log;
# the agent also serves what earlier tests left in the cluster, and renews its Lease).
requests() {
    grep '"msg":"API request"' "$EDDY_E2E_SCRATCH/ctl.log" | grep -c "/namespaces/drift-e2e" || true
}
sleep 2
r0=$(count)
q0=$(requests)
l0=$(metric eddy_kube_requests_total)
sleep 10
r1=$(count)
q1=$(requests)
l1=$(metric eddy_kube_requests_total)
reconciles=$((r1 - r0))
echo "idle: $reconciles reconciles in 10 s; API requests: $((q1 - q0)) for this test's objects, $((l1 - l0)) in all"
[ "$reconciles" -ge 7 ] || fail "idle reconciled only $reconciles times in 10 s"
# (detect, every 2 s, also reconciles without a request.)
assert_eq 0 "$((q1 - q0))" "API requests of no-op reconciles"
[ "$((l1 - l0))" -gt 0 ] || fail "eddy_kube_requests_total did not count the lease renewals"

step "writes that leave eddy's fields alone are no drift; a field removed by hand is"
drift_count() {
    curl -fs "http://127.0.0.1:$mport/metrics" |
        awk '$1 ~ /^eddy_drift_detected_total\{/ && /name="idle"/ {s += $2} END {print s + 0}'
}
d0=$(drift_count)
q0=$(requests)
# Another manager applying the values eddy applied (shared ownership), a label of someone
# else's (not a kubectl manager: eddy takes those over at its next apply, as Flux does), and an
# operator writing the Widget's status five times (each moves its generation).
kubectl -n "$apps" apply --server-side --field-manager=someone -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: idle, namespace: $apps}
data: {a: "1"}
YAML
kubectl -n "$apps" label --field-manager=hand configmap idle added-by-hand=yes >/dev/null
for i in 1 2 3 4 5; do
    kubectl -n "$apps" patch widget w --type merge --field-manager=operator -p "{\"status\":{\"n\":$i}}" >/dev/null
done
kubectl -n "$apps" patch configmap seed --type merge -p '{"data":{"a":"mine"}}' >/dev/null
assert_eq 6 "$(kubectl -n "$apps" get widget w -o 'jsonpath={.metadata.generation}')" "status writes moved the generation"
sleep 3
assert_eq "$d0" "$(drift_count)" "no drift counted for idle"
assert_eq 0 "$(($(requests) - q0))" "no request about idle's objects (no reconcile applied)"
assert_eq mine "$(kubectl -n "$apps" get configmap seed -o 'jsonpath={.data.a}')" "ssa: IfNotPresent object left as edited"
# A removal leaves no managedFields entry for its writer: only eddy's entry shows it.
kubectl -n "$apps" patch configmap idle --type json -p '[{"op":"remove","path":"/data/a"}]' >/dev/null
back() { [ "$(kubectl -n "$apps" get configmap idle -o 'jsonpath={.data.a}')" = 1 ]; }
retry 15 back
[ "$(drift_count)" -gt "$d0" ] || fail "the removal was not counted as drift"
assert_eq yes "$(kubectl -n "$apps" get configmap idle -o 'jsonpath={.metadata.labels.added-by-hand}')" "someone else's label kept"

step "drift during a Kustomization's first reconcile (its health wait) is healed after it"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: first}
spec:
  interval: 1s
  path: ./first
  prune: true
  wait: true
  timeout: 1m
  healthCheckExprs:
  - apiVersion: drift.example.com/v1
    kind: Widget
    current: "has(status.ready) && status.ready"
  sourceRef: {kind: GitRepository, name: drift}
YAML
retry 30 kubectl -n "$apps" get configmap first
sleep 1
kubectl -n "$apps" patch configmap first --type merge -p '{"data":{"a":"by-hand"}}' >/dev/null
kubectl -n "$apps" patch widget gate --type merge -p '{"status":{"ready":true}}' >/dev/null
kubectl -n "$ns" wait kustomization/first --for=condition=Ready --timeout=60s >/dev/null
first_back() { [ "$(kubectl -n "$apps" get configmap first -o 'jsonpath={.data.a}')" = 1 ]; }
retry 15 first_back

step "a commit that changes other paths: applied without a request for idle's objects"
before=$(grep '"msg":"API request"' "$EDDY_E2E_SCRATCH/ctl.log" | grep -c "/configmaps/idle" || true)
printf '# a comment\n' >>"$work/grace/web.yaml"
commit "grace only"
kubectl -n "$ns" annotate --overwrite gitrepository/drift reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
kubectl -n "$ns" wait kustomization/idle --for=jsonpath='{.status.lastAppliedRevision}'="$(rev)" \
    --timeout=60s >/dev/null
after=$(grep '"msg":"API request"' "$EDDY_E2E_SCRATCH/ctl.log" | grep -c "/configmaps/idle" || true)
assert_eq 0 "$((after - before))" "requests about idle's ConfigMap for a revision that does not change it"
kubectl -n "$ns" wait kustomization/grace --for=jsonpath='{.status.lastAppliedRevision}'="$(rev)" \
    --timeout=60s >/dev/null

step "a 20s grace period keeps a hand-made change, through a requested reconcile"
kubectl -n "$apps" scale deploy/web --replicas=5 >/dev/null
t0=$(date +%s%3N)
has_drift() { [[ "$(drifted grace)" == *"Deployment/$apps/web"* ]]; }
retry 10 has_drift
assert_contains "$(drifted grace)" "drift on 1 object (Deployment/$apps/web), reverting at 20" "Drifted condition"
out=$("$eddy" get kustomizations -n "$ns")
echo "$out"
r=$(rev)
assert_match "grace[[:space:]].*Applied revision: ${r:0:18}; drift on 1 object \(Deployment/$apps/web\), reverting in [0-9]+s" "$out" "eddy get shows the pending drift"
kubectl -n "$ns" annotate --overwrite kustomization/grace reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
sleep 8
assert_eq 5 "$(replicas web)" "kept through a requested reconcile"
sleep 8
assert_eq 5 "$(replicas web)" "kept 16 s into the grace period"
healed() { [ "$(replicas web)" = 2 ]; }
retry 15 healed
took=$(($(date +%s%3N) - t0))
echo "with a 20s grace period, reverted after $took ms"
[ "$took" -ge 19000 ] || fail "reverted after $took ms, before the grace period ended"
no_drift() { [ -z "$(drifted grace)" ]; }
retry 10 no_drift

step "suspended during the grace period: the edit stays until resume"
kubectl -n "$apps" scale deploy/web --replicas=4 >/dev/null
retry 10 has_drift
"$eddy" suspend kustomization grace -n "$ns" >/dev/null
sleep 24
assert_eq 4 "$(replicas web)" "kept past the grace period while suspended"
out=$("$eddy" resume kustomization grace -n "$ns" 2>&1)
assert_contains "$out" "✔ applied revision $(rev)" "resume"
retry 10 healed

step "something fighting eddy: one event per grace period, and the counter shows it"
kubectl -n "$ns" annotate --overwrite kustomization/grace eddy.dev/drift-grace-period=8s >/dev/null
sleep 1
d0=$(metric 'eddy_drift_detected_total{kind="Kustomization",name="grace",namespace="drift-e2e"}')
for i in $(seq 1 12); do
    kubectl -n "$apps" patch deploy/web --type=merge -p "{\"spec\":{\"replicas\":$((i % 3 + 3))}}" >/dev/null
    sleep 1
done
retry 15 healed
d1=$(metric 'eddy_drift_detected_total{kind="Kustomization",name="grace",namespace="drift-e2e"}')
echo "drift counter: ${d0:-0} -> $d1"
[ "$((d1 - ${d0:-0}))" -ge 10 ] || fail "the drift counter rose by $((d1 - ${d0:-0})) for 12 patches"
# Events for 8s grace periods: 12 s of fighting span two periods, so at most 2 (3 if a revert
# lands between two patches right at the end).
n=$(kubectl -n "$ns" get events --field-selector reason=DriftDetected,involvedObject.name=grace \
    -o jsonpath='{range .items[*]}{.message}{"|"}{.count}{"\n"}{end}' | grep 'reverting in 8s' |
    awk -F'|' '{s += ($2 == "" ? 1 : $2)} END {print s + 0}')
echo "DriftDetected events while fighting: $n"
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "$n drift events for 12 s of fighting with an 8s grace"

step "detect-only: reported, never reverted; Git still applies"
kubectl -n "$apps" scale deploy/watched --replicas=6 >/dev/null
detected() { [[ "$(drifted detect)" == *"not reverted (detect-only)"* ]]; }
retry 10 detected
sleep 6 # three intervals of 2 s
assert_eq 6 "$(replicas watched)" "never reverted"
assert_contains "$(kubectl -n "$ns" get events --field-selector reason=DriftDetected,involvedObject.name=detect \
    -o jsonpath='{.items[*].message}')" \
    "drift on Deployment/$apps/watched: spec.replicas changed by kubectl, not reverted (detect-only)" "event"
deployment watched 3 >"$work/detect/watched.yaml"
commit "three"
kubectl -n "$ns" annotate --overwrite gitrepository/drift reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
kubectl -n "$ns" wait kustomization/detect --for=jsonpath='{.status.lastAppliedRevision}'="$(rev)" \
    --timeout=60s >/dev/null
assert_eq 3 "$(replicas watched)" "a new revision applies"
no_detect_drift() { [ -z "$(drifted detect)" ]; }
retry 10 no_detect_drift
