#!/usr/bin/env bash
# tests/e2e/ks_ignore_test.sh: spec.ignore in the real agent: fields a rule covers keep what
# others set there (a replica count scaled by hand, an annotation with '/' in its key written
# as ~1), on the objects its target selects (kind, name regex, label selector); the same
# change on an object outside the target is reverted as drift (and announced; the ignored one
# is not).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-ignore ignore

deployment() { # NAME TIER
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  labels: {tier: $2}
  annotations: {example.com/note: from-git}
spec:
  replicas: 2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec: {containers: [{name: c, image: nginx}]}
YAML
}
deployment web-frontend front | put app/web.yaml
deployment api back | put app/api.yaml
put app/settings.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: from-git, level: info}
YAML
commit "two Deployments and a ConfigMap"
gitrepository
kustomization app ./app "  targetNamespace: $ns
  ignore:
  - paths: [/spec/replicas, /metadata/annotations/example.com~1note]
    target: {kind: Deployment, name: 'web-.*', labelSelector: 'tier=front'}
  - paths: [/data/mode]
    target: {kind: ConfigMap}"
agent
applied app "$(rev)"

step "an ignored field edited by hand right after the drift watch started is not drift"
# Nothing else writes a ConfigMap: this edit is the first event the drift watch sees after its
# list. (A watch event and a listed object once had their apiVersion and kind in different
# places, so the first event after a list always looked like a change.)
kubectl -n "$ns" patch configmap settings --type merge -p '{"data":{"mode":"by-hand"}}' >/dev/null
sleep 2
assert_eq by-hand "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.mode}')" "ignored data kept"
drift=$(kubectl -n "$ns" get events --field-selector reason=DriftDetected -o 'jsonpath={.items[*].message}')
assert_not_contains "$drift" "ConfigMap/$ns/settings" "an ignored edit after the list is not drift"

step "changes by hand on ignored fields stay; elsewhere they are reverted"
# One write for both fields (as kubectl edit would): a reconcile that reads the object between
# two writes would take the first change for the live state and apply Git's value of the other.
kubectl -n "$ns" patch deploy/web-frontend --type merge \
    -p '{"metadata":{"annotations":{"example.com/note":"by-hand"}},"spec":{"replicas":5}}' >/dev/null
sleep 1
kubectl -n "$ns" scale deploy/api --replicas=5 >/dev/null
reverted() { [ "$(kubectl -n "$ns" get deploy api -o 'jsonpath={.spec.replicas}')" = 2 ]; }
retry 20 reverted
"$eddy" reconcile kustomization app -n "$ns" >/dev/null
assert_eq 5 "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.spec.replicas}')" "ignored replicas kept"
assert_eq by-hand "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.metadata.annotations.example\.com/note}')" "ignored annotation kept"
assert_eq 2 "$(kubectl -n "$ns" get deploy api -o 'jsonpath={.spec.replicas}')" "outside the target: reverted"
assert_eq True "$(ready_status app)" "Ready"
drift=$(kubectl -n "$ns" get events --field-selector reason=DriftDetected -o 'jsonpath={.items[*].message}')
assert_contains "$drift" "drift on Deployment/$ns/api" "drift outside the target announced"
assert_not_contains "$drift" "Deployment/$ns/web-frontend" "ignored fields are not drift"

step "an ignored scale does not hide a later edit elsewhere"
# kubectl scale writes through the scale subresource (a managedFields entry with no time, as an
# autoscaler's): the image set by hand afterwards is drift all the same.
kubectl -n "$ns" scale deploy/web-frontend --replicas=4 >/dev/null
sleep 1
kubectl -n "$ns" set image deploy/web-frontend c=nginx:by-hand >/dev/null
image_back() { [ "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.spec.template.spec.containers[0].image}')" = nginx ]; }
retry 20 image_back
assert_eq 4 "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.spec.replicas}')" "ignored replicas kept"

step "a path that names a list item by its index"
# managedFields name a container by its key (k:{"name":"c"}), the rule by its place in the list:
# the drift watch reads the live object to match them, so the change is neither drift nor
# announced (before, every image set by hand was announced as drift, then kept).
kustomization app ./app "  targetNamespace: $ns
  ignore:
  - paths: [/spec/template/spec/containers/0/image]
    target: {kind: Deployment, name: api}"
"$eddy" reconcile kustomization app -n "$ns" >/dev/null
kubectl -n "$ns" set image deploy/api c=nginx:by-hand >/dev/null
sleep 3
"$eddy" reconcile kustomization app -n "$ns" >/dev/null
assert_eq nginx:by-hand "$(kubectl -n "$ns" get deploy api -o 'jsonpath={.spec.template.spec.containers[0].image}')" "ignored image kept"
drift=$(kubectl -n "$ns" get events --field-selector reason=DriftDetected -o 'jsonpath={range .items[*]}{.message}{"\n"}{end}')
assert_not_contains "$(grep "Deployment/$ns/api:" <<<"$drift" || true)" ".image" "an ignored list item's field is not drift"
kubectl -n "$ns" scale deploy/api --replicas=3 >/dev/null
api_back() { [ "$(kubectl -n "$ns" get deploy api -o 'jsonpath={.spec.replicas}')" = 2 ]; }
retry 20 api_back
assert_eq nginx:by-hand "$(kubectl -n "$ns" get deploy api -o 'jsonpath={.spec.template.spec.containers[0].image}')" "the revert keeps the ignored image"

step "without the rule, Git wins again"
kustomization app ./app "  targetNamespace: $ns"
back() { [ "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.spec.replicas}')" = 2 ]; }
retry 30 back
assert_eq from-git "$(kubectl -n "$ns" get deploy web-frontend -o 'jsonpath={.metadata.annotations.example\.com/note}')" "annotation back"
