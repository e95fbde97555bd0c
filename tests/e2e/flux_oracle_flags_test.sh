#!/usr/bin/env bash
# tests/e2e/flux_oracle_flags_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh)
# as the oracle of the controller flags that change an apply, both started with the same
# --override-manager=helm, --custom-apply-stage-kinds=Service and --sops-age-secret, each
# reconciling one Kustomization into a target namespace of its own: the fields helm applied are
# taken over and removed, argocd's stay, the managers left on the object are the same; the
# Service of the custom stage is written before the ConfigMap in both; a decryption without a
# secretRef uses each one's runtime namespace's fallback age key.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"
fx=$EDDY_ROOT/tests/e2e/fixtures/sops

nse=oflags-eddy
nsf=oflags-flux
ks_setup "$nse" oflags
new_namespace "$nsf"
git_auth_secret "$nsf"
flux_bucket_crd

put app/kustomization.yaml <<'YAML'
resources: [objects.yaml, secret.yaml]
YAML
put app/objects.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: taken}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kept}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: order-svc}
spec:
  ports: [{port: 80}]
YAML
cp "$fx/secret.enc.yaml" "$work/app/secret.yaml"
commit "flags"

for n in "$nse" "$nsf"; do
    new_namespace "$n-t"
    # Fields other tools applied: helm's (named with --override-manager) and argocd's.
    for m in taken:helm kept:argocd; do
        kubectl -n "$n-t" apply --server-side --field-manager="${m#*:}" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: ${m%%:*}}
data: {a: "1", extra: "${m#*:}"}
YAML
    done
    kubectl -n "$n" create secret generic sops-fallback \
        --from-file=identity.agekey="$fx/identity.agekey" >/dev/null
    shard=eddy
    [ "$n" = "$nsf" ] && shard=flux
    flux_pair "$n" "$shard" '  decryption: {provider: sops}'
done

flags=(--override-manager=helm --custom-apply-stage-kinds=Service --sops-age-secret=sops-fallback)
FLUX_NS=$nsf flux_start "${flags[@]}"
RUNTIME_NAMESPACE=$nse agent --watch-label-selector 'shard in (eddy,both)' "${flags[@]}"

step "both apply the revision"
for n in "$nse" "$nsf"; do
    ns=$n applied app "$(rev)"
done

step "the same outcome of each flag"
cm() { kubectl -n "$1" get configmap "$2" -o "jsonpath={.data.$3}"; }
managers() {
    kubectl -n "$1" get configmap "$2" \
        -o 'jsonpath={range .metadata.managedFields[*]}{.manager}:{.operation} {end}'
}
rv() { kubectl -n "$1" get "$2" -o 'jsonpath={.metadata.resourceVersion}'; }
for n in "$nse" "$nsf"; do
    who=eddy
    [ "$n" = "$nsf" ] && who=Flux
    assert_eq "" "$(cm "$n-t" taken extra)" "$who: helm's field taken over and removed"
    assert_eq "argocd" "$(cm "$n-t" kept extra)" "$who: argocd's field kept"
    svc_rv=$(rv "$n-t" service/order-svc)
    cm_rv=$(rv "$n-t" configmap/taken)
    [ "$svc_rv" -lt "$cm_rv" ] ||
        fail "$who: the custom stage's Service ($svc_rv) not written before the ConfigMap ($cm_rv)"
    assert_eq "s3cr3t-value" "$(kubectl -n "$n-t" get secret db -o 'jsonpath={.data.password}' |
        base64 -d)" "$who: decrypted with the fallback age key"
done
assert_contains "$(managers "$nse-t" kept)" "argocd:Apply" "argocd still manages the kept object"
assert_eq "$(managers "$nsf-t" taken)" "$(managers "$nse-t" taken)" \
    "the managers of the taken-over object"
assert_eq "$(managers "$nsf-t" kept)" "$(managers "$nse-t" kept)" "the managers of the kept one"
