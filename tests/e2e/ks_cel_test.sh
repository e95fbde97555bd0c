#!/usr/bin/env bash
# tests/e2e/ks_cel_test.sh: spec.healthCheckExprs in the real agent, as Flux's CEL status readers:
# a custom resource kstatus cannot judge is healthy when its `current` expression holds, fails
# at once when `failed` holds, waits while `inProgress` holds or while status.observedGeneration
# lags metadata.generation; an expression that cannot be evaluated leaves the object Unknown,
# quoted in the timeout; an expression that does not parse stalls the Kustomization
# (InvalidCELExpression, no retry). The first entry of a group and kind wins, for any version.
# dependsOn[].readyExpr (variables self and dep) decides a dependency alone, as Flux by default;
# it is compiled as Flux does: an undeclared name or a result that is not bool stalls too.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
export KS_RETRY=5m

ks_setup ks-cel cel
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  names: {kind: Thing, plural: things, singular: thing}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
retry 60 kubectl wait --for=condition=Established --timeout=60s crd/things.example.com
thing() { printf 'apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: %s}\nspec: {size: 1}\n' "$1"; }
thing good | put good/thing.yaml
thing bad | put bad/thing.yaml
thing broken | put broken/thing.yaml
commit "things"
gitrepository
# (Flux's cheat-sheet style: conditions, optional field access, a phase list)
exprs="  healthCheckExprs:
  - apiVersion: example.com/v1
    kind: Thing
    inProgress: \"status.?phase.orValue('') in ['Pending', 'Provisioning']\"
    failed: \"status.?conditions.orValue([]).exists(c, c.type == 'Ready' && c.status == 'False')\"
    current: \"status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True') && size(status.conditions) > 0\"
  - apiVersion: example.com/v2
    kind: Thing
    current: 'false'"
kustomization good ./good "  targetNamespace: $ns
  wait: true
$exprs"
kustomization bad ./bad "  targetNamespace: $ns
  wait: true
$exprs"
kustomization broken ./broken "  targetNamespace: $ns
  timeout: 30s
  healthChecks: [{apiVersion: example.com/v1, kind: Thing, name: broken}]
  healthCheckExprs:
  - {apiVersion: example.com/v1, kind: Thing, current: 'status.phase == \"Ready\"'}"
agent
cond() { ksget "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
status() { kubectl -n "$ns" patch thing "$1" --subresource=status --type=merge -p "$2" >/dev/null; }

# (a status without a phase: the broken expression's field is missing)
retry 60 kubectl -n "$ns" get thing broken
status broken '{"status": {"other": "x"}}'

step "current holds: healthy (after the phase and the observed generation say so)"
retry 60 kubectl -n "$ns" get thing good
status good '{"status": {"phase": "Provisioning", "conditions": [{"type": "Ready", "status": "True"}]}}'
sleep 5 # two polls: inProgress holds, so current is not looked at
assert_eq Unknown "$(ready_status good)" "still in progress while inProgress holds"
status good '{"status": {"phase": "Running", "observedGeneration": 0}}'
sleep 5
assert_eq Unknown "$(ready_status good)" "still in progress while observedGeneration lags"
status good '{"status": {"observedGeneration": 1}}'
applied good "$(rev)"
assert_eq True "$(cond good Healthy status)" "Healthy"
assert_match "^Health check passed in [0-9.]+(ms|s)$" "$(cond good Healthy message)" "Healthy message"

step "failed holds: HealthCheckFailed at once, naming the object"
retry 60 kubectl -n "$ns" get thing bad
status bad '{"status": {"conditions": [{"type": "Ready", "status": "False"}]}}'
ready_is bad False HealthCheckFailed 30
assert_match "^health check failed after [0-9.]+m?s: failed early due to stalled resources: \[Thing/$ns/bad status: 'Failed'\]$" \
    "$(ready_message bad)" "Flux's message"

step "an expression that cannot be evaluated: Unknown, with CEL's error, until the timeout"
ready_is broken False HealthCheckFailed 90
msg=$(ready_message broken)
assert_contains "$msg" "timeout waiting for: [Thing/$ns/broken status: 'Unknown': failed to evaluate the CEL expression 'status.phase == \"Ready\"'" \
    "the status and the expression"
assert_contains "$msg" "no such key: phase" "CEL's error"

step "an expression that does not parse: stalled, as Flux (no retry until the spec changes)"
kustomization broken ./broken "  targetNamespace: $ns
  wait: true
  healthCheckExprs:
  - {apiVersion: example.com/v1, kind: Thing, current: 'status.phase =='}"
ready_is broken False InvalidCELExpression
assert_contains "$(ready_message broken)" \
    "Reconciliation failed terminally due to configuration error: failed to create custom status reader for healthchecks[0]: failed to parse the expression Current: failed to parse the CEL expression 'status.phase =='" \
    "Flux's message"
assert_eq "True InvalidCELExpression" "$(cond broken Stalled status) $(cond broken Stalled reason)" "Stalled"
assert_eq "$(ksget broken '{.metadata.generation}')" "$(ksget broken '{.status.observedGeneration}')" "observed"

step "dependsOn[].readyExpr decides alone: a dependency that is not Ready but meets it"
thing after | put after/thing.yaml
commit "after"
poke
retry 60 bash -c "[ \"\$(kubectl -n $ns get gitrepository $repo -o 'jsonpath={.status.artifact.revision}')\" = '$(rev)' ]"
# (bad is Ready=False: Flux's built-in rule would hold this back; the expression lets it go)
kustomization after ./after "  targetNamespace: $ns
  dependsOn:
  - name: bad
    readyExpr: \"dep.status.conditions.exists(c, c.type == 'Ready' && c.reason == 'HealthCheckFailed') && self.metadata.name == 'after'\""
applied after "$(rev)"
kustomization after ./after "  targetNamespace: $ns
  dependsOn:
  - {name: good, readyExpr: \"dep.metadata.generation == 99\"}"
ready_is after False DependencyNotReady
assert_eq "dependency '$ns/good' is not ready according to readyExpr eval" "$(ready_message after)" "Flux's message"
kustomization after ./after "  targetNamespace: $ns
  dependsOn:
  - {name: good, readyExpr: \"dep.metadata.generation ==\"}"
ready_is after False InvalidCELExpression
assert_contains "$(ready_message after)" \
    "Reconciliation failed terminally due to configuration error: failed to evaluate dependency good: failed to parse the CEL expression" \
    "terminal, as Flux"
assert_eq "True" "$(cond after Stalled status)" "Stalled"

step "readyExpr is compiled, as Flux: an undeclared name or a result that is not bool is terminal"
kustomization after ./after "  targetNamespace: $ns
  dependsOn:
  - {name: good, readyExpr: \"deps.metadata.generation == 2\"}"
retry 60 ready_message_matches after "*undeclared reference to 'deps'*"
assert_eq "Reconciliation failed terminally due to configuration error: failed to evaluate dependency good: failed to parse the CEL expression 'deps.metadata.generation == 2': ERROR: <input>:1:1: undeclared reference to 'deps' (in container '')" \
    "$(ready_message after)" "cel-go's message"
assert_eq "False InvalidCELExpression" "$(ready_status after) $(ready_reason after)" "Ready"
assert_eq "True InvalidCELExpression" "$(cond after Stalled status) $(cond after Stalled reason)" "Stalled"
kustomization after ./after "  targetNamespace: $ns
  dependsOn:
  - {name: good, readyExpr: \"dep.metadata.generation\"}"
retry 60 ready_message_matches after "*output type mismatch*"
assert_eq "Reconciliation failed terminally due to configuration error: failed to evaluate dependency good: CEL expression output type mismatch: expected bool, got dyn" \
    "$(ready_message after)" "Flux's message"
assert_eq "True InvalidCELExpression" "$(cond after Stalled status) $(cond after Stalled reason)" "Stalled"
