#!/usr/bin/env bash
# tests/e2e/ks_postbuild_test.sh: Flux's postBuild substitution in the real agent: variables
# from substitute and substituteFrom (ConfigMap and Secret, later entries winning, inline
# winning over all, optional references), the envsubst operators, the $${} escape, the opt-out
# label, numbers typed again (quoted in Git or not, as Flux; ${quote} keeps a string), line
# feeds taken out of values; eddy debug kustomization; strict mode: an undefined variable fails
# the build naming it and nothing of that revision is applied (not with the feature gate off,
# nor in eddy build without --strict-substitute); a missing non-optional ConfigMap
# is reported; a ConfigMap labelled reconcile.fluxcd.io/watch: Enabled is applied as soon as it
# changes.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
# Failures here are fixed by a change (spec or commit), which reconciles at once: a long
# retryInterval keeps a retry from flipping Ready to Unknown while the test reads a failure.
export KS_RETRY=1m

ks_setup ks-postbuild postbuild

step "a repository with variables"
put app/settings.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-${env}
data:
  region: ${region}
  color: ${color}
  tier: ${tier}
  token_len: ${quote}${#token}${quote}
  upper: ${region^^}
  fallback: ${missing_var:=fallback-value}
  script: echo $${HOME} $HOME
  pem: ${pem}
YAML
put app/dashboard.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: dashboard
  labels:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  panel: ${DS_PROMETHEUS}
YAML
put app/web.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "${replicas}"
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {replicas: "${quote}${replicas}${quote}"}
    spec: {containers: [{name: web, image: "nginx:${nginx_tag:-1.27}"}]}
YAML
commit "variables"
gitrepository
kubectl -n "$ns" create configmap vars-cm --from-literal=region=eu-west-1 \
    --from-literal=color=blue --from-literal=tier=from-configmap >/dev/null
printf 'line-one\nline-two\n' > "$scratch/pem"
kubectl -n "$ns" create secret generic vars-secret --from-literal=color=red \
    --from-literal=token=s3cr3t-token --from-file=pem="$scratch/pem" >/dev/null
kustomization vars ./app "  targetNamespace: $ns
  postBuild:
    substitute: {env: prod, tier: inline, replicas: '2', quote: '\"'}
    substituteFrom:
    - {kind: ConfigMap, name: vars-cm}
    - {kind: Secret, name: vars-secret}
    - {kind: ConfigMap, name: not-there, optional: true}"
agent

step "variables substituted"
applied vars "$(rev)"
cm() { kubectl -n "$ns" get configmap settings-prod -o "jsonpath={.data.$1}"; }
assert_eq eu-west-1 "$(cm region)" "from the ConfigMap"
assert_eq red "$(cm color)" "a later substituteFrom entry wins"
assert_eq inline "$(cm tier)" "inline substitute wins over substituteFrom"
assert_eq 12 "$(cm token_len)" "from the Secret, through \${#var}"
assert_eq EU-WEST-1 "$(cm upper)" "\${var^^}"
assert_eq fallback-value "$(cm fallback)" "default"
assert_eq 'echo ${HOME} $HOME' "$(cm script)" "escape and unbraced"
assert_eq line-oneline-two "$(cm pem)" "a value without its line feeds, as Flux"
assert_eq '${DS_PROMETHEUS}' "$(kubectl -n "$ns" get configmap dashboard -o 'jsonpath={.data.panel}')" "opt-out label"
assert_eq 2 "$(kubectl -n "$ns" get deploy web -o 'jsonpath={.spec.replicas}')" "a number, quoted in Git or not (as Flux)"
assert_eq '"2"' "$(kubectl -n "$ns" get deploy web -o 'jsonpath={.spec.template.metadata.annotations}' | sed 's/.*"replicas":\("[^"]*"\).*/\1/')" "\${quote} keeps a string"
assert_eq nginx:1.27 "$(kubectl -n "$ns" get deploy web -o 'jsonpath={.spec.template.spec.containers[0].image}')" "default"
assert_not_contains "$(kubectl -n "$ns" get kustomization vars -o yaml) $(cat "$scratch/ctl.log")" "s3cr3t-token" "the Secret's value is in no status or log"

step "eddy debug kustomization: the final variables, the status, the history"
assert_eq "color=red
env=prod
pem=line-oneline-two
quote=\"
region=eu-west-1
replicas=2
tier=inline
token=s3cr3t-token" "$("$eddy" debug ks vars -n "$ns" --show-vars)" "dot-env lines, sorted; inline wins"
# flux requires one view: without a flag it fails with its message, before reading the cluster.
assert_fails "debug without a view" "$eddy" debug kustomization vars -n "$ns"
assert_contains "$OUT" "exactly one of --show-status, --show-vars, or --show-history must be set" "flux's message"
out=$("$eddy" debug kustomization vars -n "$ns" --show-status)
assert_eq "# Status documentation: https://fluxcd.io/flux/components/kustomize/kustomizations/#kustomization-status" \
    "$(head -1 <<<"$out")" "the status, after Flux's comment"
assert_contains "$out" "lastAppliedRevision: $(rev)" "the applied revision"
assert_contains "$out" "observedGeneration: $(ksget vars '{.metadata.generation}')" "observedGeneration"
out=$("$eddy" debug kustomization vars -n "$ns" --show-history --show-status=false)
assert_eq "# History documentation: https://fluxcd.io/flux/components/kustomize/kustomizations/#history" \
    "$(head -1 <<<"$out")" "the history, after Flux's comment"
assert_contains "$out" "- digest: sha256:$(ksget vars '{.status.history[0].digest}' | sed 's/^sha256://')" "the history's entry"
assert_contains "$out" "    revision: $(rev)" "its revision"
assert_contains "$out" "  lastReconciledStatus: ReconciliationSucceeded" "its result"
assert_fails "two of the flags" "$eddy" debug ks vars -n "$ns" --show-vars --show-history
assert_contains "$("$eddy" debug ks absent -n "$ns" --show-status 2>&1)" "Kustomization 'absent' not found" "a missing one"
kubectl -n "$ns" create configmap debug-only --from-literal=x=1 >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: debug-only}
spec:
  suspend: true
  interval: 10m
  path: ./app
  prune: false
  sourceRef: {kind: GitRepository, name: $repo}
  postBuild:
    substituteFrom:
    - {kind: ConfigMap, name: not-there}
YAML
assert_contains "$("$eddy" debug ks debug-only -n "$ns" --show-vars 2>&1)" "substitute from 'ConfigMap/not-there' error" \
    "a missing substituteFrom ConfigMap is named"
assert_eq "[]" "$("$eddy" debug ks debug-only -n "$ns" --show-history | tail -1)" "no history yet"
kubectl -n "$ns" delete kustomization debug-only --wait=false >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: no-vars}
spec: {suspend: true, interval: 10m, path: ./app, prune: false, sourceRef: {kind: GitRepository, name: $repo}}
YAML
assert_fails "--show-vars without postBuild" "$eddy" debug ks no-vars -n "$ns" --show-vars
assert_contains "$OUT" "no post build substitutions found" "flux's message"
kubectl -n "$ns" delete kustomization no-vars --wait=false >/dev/null

step "a variable that changes in its ConfigMap is picked up by the next reconcile"
kubectl -n "$ns" patch configmap vars-cm --type merge -p '{"data":{"region":"us-east-2"}}' >/dev/null
"$eddy" reconcile kustomization vars -n "$ns" >/dev/null
assert_eq us-east-2 "$(cm region)" "new value"

step "a watched ConfigMap (reconcile.fluxcd.io/watch: Enabled) applies its change at once"
kubectl -n "$ns" label configmap vars-cm reconcile.fluxcd.io/watch=Enabled >/dev/null
sleep 1
kubectl -n "$ns" patch configmap vars-cm --type merge -p '{"data":{"region":"ap-south-1"}}' >/dev/null
t0=$(date +%s%3N)
retry 20 bash -c "[ \"\$(kubectl -n $ns get configmap settings-prod -o 'jsonpath={.data.region}')\" = ap-south-1 ]"
echo "watched ConfigMap change applied after $(($(date +%s%3N) - t0)) ms (interval 10m)"
# Let the reconciles of the label and the patch finish: the last one started has ended (on a
# busy machine they can take longer than a fixed sleep).
sleep 1
retry 30 settled
sleep 1
retry 30 settled
kubectl -n "$ns" patch secret vars-secret --type merge -p '{"stringData":{"color":"violet"}}' >/dev/null
sleep 3
assert_eq red "$(cm color)" "an unlabelled Secret's change waits for the next reconcile"

step "strict mode: an undefined variable fails the build and applies nothing"
before=$(rev)
put app/extra.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  cluster: name-${cluster_name}
YAML
commit "undefined variable"
poke
ready_is vars False BuildFailed
assert_eq "post build failed for 'ConfigMap.v1.[noGrp]/extra': envsubst error: variable substitution failed: variable not set (strict mode): \"cluster_name\"" \
    "$(ready_message vars)" "Flux's message names the variable"
assert_eq "$(rev)" "$(ksget vars '{.status.lastAttemptedRevision}')" "attempted"
assert_eq "$before" "$(ksget vars '{.status.lastAppliedRevision}')" "not applied"
assert_fails "the object of the failed revision" kubectl -n "$ns" get configmap extra
assert_eq True "$(ksget vars '{.status.conditions[?(@.type=="Reconciling")].status}')" "Reconciling"
assert_eq ProgressingWithRetry "$(ksget vars '{.status.conditions[?(@.type=="Reconciling")].reason}')" "Reconciling reason"

step "eddy build: an unset variable is empty, unless --strict-substitute"
out=$("$eddy" build kustomization vars -n "$ns" --path "$work/app")
assert_contains "$out" "cluster: name-" "flux build's default: not strict"
assert_fails "--strict-substitute" "$eddy" build kustomization vars -n "$ns" --path "$work/app" --strict-substitute
assert_contains "$OUT" 'variable not set (strict mode): "cluster_name"' "strict names it"

step "--feature-gates=StrictPostBuildSubstitutions=false: the agent substitutes it as empty"
bg_stop ctl
agent --feature-gates=StrictPostBuildSubstitutions=false
poke
applied vars "$(rev)"
assert_eq name- "$(kubectl -n "$ns" get configmap extra -o 'jsonpath={.data.cluster}')" "empty"
bg_stop ctl
assert_fails "an unknown gate" "$eddy" controller --feature-gates=NoSuchGate=true
assert_contains "$OUT" 'unknown feature gate "NoSuchGate"' "named"
agent

step "the variable defined: applied"
kustomization vars ./app "  targetNamespace: $ns
  postBuild:
    substitute: {env: prod, tier: inline, replicas: '2', quote: '\"', cluster_name: blue-cluster}
    substituteFrom:
    - {kind: ConfigMap, name: vars-cm}
    - {kind: Secret, name: vars-secret}"
# (the lenient agent already applied this revision: wait for the value, not the revision)
retry 30 bash -c "[ \"\$(kubectl -n $ns get configmap extra -o 'jsonpath={.data.cluster}')\" = name-blue-cluster ]"
assert_eq name-blue-cluster "$(kubectl -n "$ns" get configmap extra -o 'jsonpath={.data.cluster}')" "defined now"

step "a missing ConfigMap that is not optional"
kustomization vars ./app "  targetNamespace: $ns
  postBuild:
    substitute: {env: prod, cluster_name: x}
    substituteFrom:
    - {kind: ConfigMap, name: not-there}"
ready_is vars False BuildFailed
assert_contains "$(ready_message vars)" \
    "substitute from 'ConfigMap/not-there' error: configmaps \"not-there\" not found" \
    "names the reference and says why, in Flux's words"

step "an invalid variable name"
kubectl -n "$ns" create configmap bad-names --from-literal=my-var=x >/dev/null
kustomization vars ./app "  targetNamespace: $ns
  postBuild:
    substituteFrom:
    - {kind: ConfigMap, name: bad-names}"
# (The previous step left Ready False BuildFailed too: wait for this spec's message.)
retry 30 ready_message_matches vars "*'my-var' var name is invalid*"
ready_is vars False BuildFailed
