#!/usr/bin/env bash
# tests/e2e/ks_flags_test.sh: the agent started with the flags of Flux's kustomize-controller
# that tune a Kustomization's apply and inputs, each seen at work on a real control plane:
# --override-manager (fields another tool applied are taken over, so what Git lacks goes; an
# unnamed tool's stay), --custom-apply-stage-kinds (a Service in the custom stage is written
# before the ConfigMap that Flux's kind order puts first), --watch-configs-label-selector (a
# substituteFrom ConfigMap with that label, and not Flux's default one, queues its
# Kustomization at once), --sops-age-secret (a spec.decryption without a secretRef decrypts with
# the runtime namespace's fallback age key), --leader-election-release-on-cancel=false (the
# lease is left to expire on SIGTERM). Flux's flags without meaning in eddy are accepted with a
# warning; those for what eddy does not build are refused.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
fx=$EDDY_ROOT/tests/e2e/fixtures/sops

step "Flux's flags for what eddy does not build are refused, those without meaning accepted"
for f in --sops-vault-configmap=vault --default-decryption-service-account=sa \
    --default-kubeconfig-service-account=sa; do
    assert_fails "$f" "$eddy" controller "$f"
    assert_contains "$OUT" "${f%%=*} is not supported" "$f refused, naming the flag"
done
assert_fails "a bad custom stage kind" "$eddy" controller --custom-apply-stage-kinds=apps/v1/Deployment
assert_contains "$OUT" 'invalid group/kind "apps/v1/Deployment"' "the entry named"
# A duration Go's time.ParseDuration cannot read: the line of Flux's own controllers (pflag's
# words, the value as Go's %q, time's error) and their exit status 2
# flag_refusal BINARY FLAG VALUE: the exit status and the line refusing the value
flag_refusal() {
    local out code=0 args=("--$2=$3")
    [[ $1 == *eddy ]] && args=(controller "${args[@]}")
    out=$(KUBECONFIG=/nonexistent timeout 20 "$1" "${args[@]}" 2>&1) || code=$?
    printf '%s %s\n' "$code" "$(grep '^invalid argument' <<<"$out")"
}
for f in requeue-dependency min-retry-delay max-retry-delay leader-election-lease-duration \
    leader-election-renew-deadline leader-election-retry-period token-cache-max-duration \
    artifact-retention-ttl; do
    bin=$EDDY_ROOT/.bin/kustomize-controller
    [ "$f" != artifact-retention-ttl ] || bin=$EDDY_ROOT/.bin/source-controller
    [ -x "$bin" ] || fail "$bin missing: run hack/flux/build"
    for v in x 5q 5 '1m"' -; do
        want=$(flag_refusal "$bin" "$f" "$v")
        assert_contains "$want" "2 invalid argument" "Flux's controller refuses --$f=$v"
        assert_eq "$want" "$(flag_refusal "$eddy" "$f" "$v")" "--$f=$v (Flux's, then eddy's)"
    done
done
# eddy's own flag in the same words
assert_eq '2 invalid argument "x" for "--drift-grace-period" flag: time: invalid duration "x"' \
    "$(flag_refusal "$eddy" drift-grace-period x)" "--drift-grace-period=x"

ks_setup ks-flags flags
put app/kustomization.yaml <<'YAML'
resources: [taken.yaml, kept.yaml, order.yaml]
YAML
put app/taken.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: taken}
data: {a: "1"}
YAML
put app/kept.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: kept}
data: {a: "1"}
YAML
put app/order.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: order-cm}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: order-svc}
spec:
  ports: [{port: 80}]
YAML
put vars/configmap.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: greeting}
data: {text: "hello ${name}"}
YAML
mkdir -p "$work/sops"
cp "$fx/secret.enc.yaml" "$work/sops/secret.yaml"
commit "flags"
gitrepository

# Fields another tool applied: "helm" (named with --override-manager) and "argocd" (not).
for m in taken:helm kept:argocd; do
    kubectl -n "$ns" apply --server-side --field-manager="${m#*:}" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: ${m%%:*}}
data: {a: "1", extra: "${m#*:}"}
YAML
done
kubectl -n "$ns" create configmap vars --from-literal=name=eddy >/dev/null
kubectl -n "$ns" label configmap vars team=platform >/dev/null
kubectl -n "$ns" create secret generic sops-fallback \
    --from-file=identity.agekey="$fx/identity.agekey" >/dev/null
kustomization app ./app "  targetNamespace: $ns"
kustomization vars ./vars "  targetNamespace: $ns
  postBuild:
    substituteFrom: [{kind: ConfigMap, name: vars}]"
kustomization sops ./sops "  targetNamespace: $ns
  decryption: {provider: sops}"
RUNTIME_NAMESPACE=$ns agent --enable-leader-election --leader-election-release-on-cancel=false \
    --override-manager=helm --custom-apply-stage-kinds=Service --concurrent-ssa=2 \
    --watch-configs-label-selector=team=platform --sops-age-secret=sops-fallback \
    --http-retry=9 --token-cache-max-size=100

step "--override-manager: helm's fields are taken over, argocd's are not"
applied app "$(rev)"
cm() { kubectl -n "$ns" get configmap "$1" -o "jsonpath={.data.$2}"; }
assert_eq "" "$(cm taken extra)" "a field helm applied and Git lacks is removed"
assert_eq "argocd" "$(cm kept extra)" "a field of an unnamed manager stays"
managers=$(kubectl -n "$ns" get configmap taken -o 'jsonpath={.metadata.managedFields[*].manager}')
assert_not_contains "$managers" "helm" "helm no longer manages the object"

step "--custom-apply-stage-kinds: the Service is written before the ConfigMap"
rv() { kubectl -n "$ns" get "$1" -o 'jsonpath={.metadata.resourceVersion}'; }
svc_rv=$(rv service/order-svc)
cm_rv=$(rv configmap/order-cm)
[ "$svc_rv" -lt "$cm_rv" ] ||
    fail "custom stage: Service (resourceVersion $svc_rv) not written before ConfigMap ($cm_rv)"

step "--watch-configs-label-selector: a change of the labelled ConfigMap applies at once"
applied vars "$(rev)"
assert_eq "hello eddy" "$(cm greeting text)" "substituted"
kubectl -n "$ns" patch configmap vars --type=merge -p '{"data":{"name":"flux"}}' >/dev/null
_greets() { [ "$(cm greeting text)" = "hello flux" ]; }
retry 30 _greets

step "--sops-age-secret: decryption without a secretRef uses the fallback age key"
applied sops "$(rev)"
assert_eq "s3cr3t-value" "$(kubectl -n "$ns" get secret db -o 'jsonpath={.data.password}' |
    base64 -d)" "decrypted with the runtime namespace's age key"

step "flags without meaning in eddy are accepted with a warning"
assert_contains "$(cat "$scratch/ctl.log")" "--http-retry has no effect in eddy" "http-retry"
assert_contains "$(cat "$scratch/ctl.log")" "--token-cache-max-size has no effect" "token cache"

step "--leader-election-release-on-cancel=false: the lease outlives the agent"
lease="eddy-$ns-$$"
holder() { kubectl -n default get lease "$lease" -o 'jsonpath={.spec.holderIdentity}'; }
assert_ne "" "$(holder)" "the agent holds the lease"
bg_stop ctl
assert_contains "$(cat "$scratch/ctl.log")" "stopped" "the agent stopped cleanly"
assert_ne "" "$(holder)" "the lease is not released on shutdown"
kubectl -n default delete lease "$lease" >/dev/null
