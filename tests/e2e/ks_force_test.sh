#!/usr/bin/env bash
# tests/e2e/ks_force_test.sh: immutable fields and spec.force in the real agent, as Flux:
# without force a changed Job template (or Service clusterIP) fails the dry-run, Ready=False
# carries the API's message and nothing of the revision is applied; with spec.force the
# objects are deleted and created again (new uid) and the rest of the revision is applied;
# the per-object kustomize.toolkit.fluxcd.io/force: enabled annotation does the same; a
# StatefulSet update the API forbids (no "immutable" in its words) is recreated too.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
# Failures here are fixed by a change (spec or commit), which reconciles at once: a long
# retryInterval keeps a retry from flipping Ready to Unknown while the test reads a failure.
export KS_RETRY=1m

ks_setup ks-force force

# A free address in the cluster's Service range (the kubernetes Service's /24).
kip=$(kubectl get svc kubernetes -n default -o 'jsonpath={.spec.clusterIP}')
net=${kip%.*}
job() { # IMAGE [ANNOTATIONS]
    cat <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {${2:-}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "$1"}]
YAML
}
svc() {
    printf 'apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  clusterIP: %s\n  ports: [{port: 5432}]\n' "$1"
}
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {v: "%s"}\n' "$1"; }
job busybox:1 | put app/job.yaml
svc "$net.177" | put app/svc.yaml
cm 1 | put app/cm.yaml
commit "first"
gitrepository
kustomization app ./app "  targetNamespace: $ns"
agent
applied app "$(rev)"
uid0=$(kubectl -n "$ns" get job migrate -o 'jsonpath={.metadata.uid}')
suid0=$(kubectl -n "$ns" get svc db -o 'jsonpath={.metadata.uid}')

step "immutable fields changed, no force: refused with the API's message, nothing applied"
good=$(rev)
job busybox:2 | put app/job.yaml
svc "$net.178" | put app/svc.yaml
cm 2 | put app/cm.yaml
commit "change immutable fields"
poke
ready_is app False ReconciliationFailed
msg=$(ready_message app)
# The first refused object in apply order (Services before Jobs) is named, in Flux's words.
assert_eq "Service/$ns/db dry-run failed (Invalid): Service \"db\" is invalid: spec.clusterIPs[0]: Invalid value: [\"$net.178\"]: may not change once set" \
    "$msg" "names the object, with the API's message"
assert_eq "$good" "$(ksget app '{.status.lastAppliedRevision}')" "not applied"
assert_eq 1 "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.v}')" "the rest not applied either"

svc "$net.177" | put app/svc.yaml
commit "only the Job's template changes"
poke
retry 60 bash -c "kubectl -n $ns get kustomization app -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].message}' | grep -q 'Job/$ns/migrate dry-run failed (Invalid): .*field is immutable'"
assert_eq "$good" "$(ksget app '{.status.lastAppliedRevision}')" "still not applied"
svc "$net.178" | put app/svc.yaml
commit "both again"
poke
retry 60 bash -c "[ \"\$(kubectl -n $ns get kustomization app -o 'jsonpath={.status.lastAttemptedRevision}')\" = $(rev) ]"

step "spec.force: deleted and created again"
kustomization app ./app "  targetNamespace: $ns
  force: true"
applied app "$(rev)"
assert_eq busybox:2 "$(kubectl -n "$ns" get job migrate -o 'jsonpath={.spec.template.spec.containers[0].image}')" "new template"
assert_ne "$uid0" "$(kubectl -n "$ns" get job migrate -o 'jsonpath={.metadata.uid}')" "a new Job"
assert_eq "$net.178" "$(kubectl -n "$ns" get svc db -o 'jsonpath={.spec.clusterIP}')" "new clusterIP"
assert_ne "$suid0" "$(kubectl -n "$ns" get svc db -o 'jsonpath={.metadata.uid}')" "a new Service"
assert_eq 2 "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.v}')" "the rest applied"
events=$(kubectl -n "$ns" get events --field-selector involvedObject.name=app,reason=Progressing -o 'jsonpath={.items[*].message}')
assert_contains "$events" "Job/$ns/migrate created" "change set"

step "force off again: the object's own force annotation allows the recreate"
kustomization app ./app "  targetNamespace: $ns"
uid1=$(kubectl -n "$ns" get job migrate -o 'jsonpath={.metadata.uid}')
job busybox:3 "kustomize.toolkit.fluxcd.io/force: enabled" | put app/job.yaml
commit "annotated"
poke
applied app "$(rev)"
assert_eq busybox:3 "$(kubectl -n "$ns" get job migrate -o 'jsonpath={.spec.template.spec.containers[0].image}')" "new template"
assert_ne "$uid1" "$(kubectl -n "$ns" get job migrate -o 'jsonpath={.metadata.uid}')" "recreated"

step "a StatefulSet's forbidden update (its message says no 'immutable'): recreated under force"
sts() {
    cat <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store}
spec:
  serviceName: store
  podManagementPolicy: $1
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec: {containers: [{name: s, image: nginx}]}
YAML
}
sts OrderedReady | put app/sts.yaml
commit "a statefulset"
kustomization app ./app "  targetNamespace: $ns
  force: true"
poke
applied app "$(rev)"
stsuid=$(kubectl -n "$ns" get statefulset store -o 'jsonpath={.metadata.uid}')
sts Parallel | put app/sts.yaml
commit "another pod management policy"
poke
applied app "$(rev)"
assert_eq Parallel "$(kubectl -n "$ns" get statefulset store -o 'jsonpath={.spec.podManagementPolicy}')" "the new policy"
assert_ne "$stsuid" "$(kubectl -n "$ns" get statefulset store -o 'jsonpath={.metadata.uid}')" "a new StatefulSet"
