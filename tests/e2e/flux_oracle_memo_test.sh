#!/usr/bin/env bash
# tests/e2e/flux_oracle_memo_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh)
# as the oracle of what a reconcile sees of the objects a build reads besides Git. eddy keeps
# the build of a Kustomization whose inputs did not change (README, "A new commit rebuilds only
# the Kustomizations whose inputs changed"); Flux builds on every reconcile. With the same
# revision, a requested reconcile after a change to the SOPS decryption Secret (a wrong age key,
# then the Secret deleted, then the key back; spec.decryption.secretRef's and the controllers'
# --sops-age-secret fallback's) and to the postBuild substituteFrom Secrets (a new value, an
# optional one made then deleted) must give in eddy what it gives in Flux: the Ready condition (status, reason, message),
# the Events, the live objects.
#
# Every case is a Kustomization given twice, to Flux in namespace omemo-flux and to eddy in
# omemo-eddy, each applying into a target namespace of its own (<ns>-t); only the namespace of
# the pair and durations are normalised.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"
fx=$EDDY_ROOT/tests/e2e/fixtures/sops

nse=omemo-eddy
nsf=omemo-flux
ks_setup "$nse" omemo
new_namespace "$nsf"
git_auth_secret "$nsf"
flux_bucket_crd

mkdir -p "$work/sops"
cp "$fx/secret.enc.yaml" "$work/sops/secret.yaml"
put subst/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: greeting}
data: {text: "hello ${name} ${late:=early}"}
YAML
commit "a SOPS-encrypted Secret, a ConfigMap with a variable"

for n in "$nse" "$nsf"; do
    new_namespace "$n-t"
    ns=$n gitrepository "$repo" "{shard: both}"
    for secret in sops-age sops-fallback; do
        kubectl -n "$n" create secret generic "$secret" \
            --from-file=identity.agekey="$fx/identity.agekey" >/dev/null
    done
    kubectl -n "$n" create secret generic vars --from-literal=name=one >/dev/null
    shard=eddy
    [ "$n" = "$nsf" ] && shard=flux
    for k in sops:sops:"decryption: {provider: sops, secretRef: {name: sops-age}}" \
        fallback:sops:"decryption: {provider: sops}
  nameSuffix: -fb" \
        subst:subst:"postBuild: {substituteFrom: [{kind: Secret, name: vars},
    {kind: Secret, name: later, optional: true}]}"; do
        # NAME:PATH:SPEC
        rest=${k#*:}
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${k%%:*}, labels: {shard: $shard}}
spec:
  interval: 10m
  retryInterval: 4s
  path: ./${rest%%:*}
  prune: true
  timeout: 30s
  targetNamespace: $n-t
  sourceRef: {kind: GitRepository, name: $repo}
  ${rest#*:}
YAML
    done
done

FLUX_NS=$nsf flux_start --sops-age-secret=sops-fallback
RUNTIME_NAMESPACE=$nse agent --watch-label-selector 'shard in (eddy,both)' \
    --sops-age-secret=sops-fallback

# live NS: the Secret and ConfigMap each applied into its target namespace NS, their data.
live() {
    kubectl -n "$1" get secret/db secret/db-fb configmap/greeting -o json 2>/dev/null |
        jq -S '[.items[] | {kind, name: .metadata.name, data}]'
}

# ready NAME STATUS: both say Ready STATUS for NAME.
ready() {
    local n
    for n in "$nse" "$nsf"; do
        assert_eq "$2" "$(kubectl -n "$n" get kustomization "$1" \
            -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" "$n: $1's Ready"
    done
}

b64() { printf %s "$1" | base64 -w0; }

step "both apply the revision: the Secret decrypted, the variable substituted"
for n in "$nse" "$nsf"; do
    for k in sops fallback subst; do
        ns=$n applied "$k" "$(rev)"
    done
done
for k in sops fallback subst; do
    retry 15 same_status "$k"
done
assert_eq "s3cr3t-value" "$(kubectl -n "$nse-t" get secret db -o 'jsonpath={.data.password}' |
    base64 -d)" "eddy decrypted the Secret"
assert_eq "s3cr3t-value" "$(kubectl -n "$nse-t" get secret db-fb -o 'jsonpath={.data.password}' |
    base64 -d)" "eddy decrypted the Secret with the fallback key"
assert_eq "hello one early" "$(kubectl -n "$nse-t" get configmap greeting -o 'jsonpath={.data.text}')" \
    "eddy substituted the variable"
same "the objects applied" "$(live "$nsf-t")" "$(live "$nse-t")" || fail "objects differ"

# The same for spec.decryption.secretRef's Secret (sops) and the controllers' --sops-age-secret
# fallback of a decryption without one (fallback).
for case in sops:sops-age fallback:sops-fallback; do
    k=${case%%:*}
    secret=${case#*:}
    step "$k: a wrong age key in $secret: the same revision fails to decrypt in both"
    for n in "$nse" "$nsf"; do
        kubectl -n "$n" patch secret "$secret" --type merge -p "{\"data\":{\"identity.agekey\":\"$(
            base64 -w0 "$fx/other.agekey")\"}}" >/dev/null
    done
    request "$k"
    ready "$k" False
    assert_eq "BuildFailed" "$(ns=$nse ready_reason "$k")" "eddy's reason with a wrong key"
    assert_not_contains "$(kubectl -n "$nse" get events,kustomizations -o json)$(cat "$scratch/ctl.log")" \
        "$(grep -v '^#' "$fx/other.agekey")" "the age key in eddy's Events, status or log"

    step "$k: $secret deleted: the same error in both"
    for n in "$nse" "$nsf"; do
        kubectl -n "$n" delete secret "$secret" >/dev/null
    done
    request "$k"
    ready "$k" False

    step "$k: the key back: both recover"
    for n in "$nse" "$nsf"; do
        kubectl -n "$n" create secret generic "$secret" \
            --from-file=identity.agekey="$fx/identity.agekey" >/dev/null
    done
    request "$k"
    ready "$k" True
    same "the objects after the key came back" "$(live "$nsf-t")" "$(live "$nse-t")" ||
        fail "objects differ"
done

step "a new value in the substituteFrom Secret: the live object follows in both"
for n in "$nse" "$nsf"; do
    kubectl -n "$n" patch secret vars --type merge -p "{\"data\":{\"name\":\"$(b64 two)\"}}" \
        >/dev/null
done
request subst
ready subst True
assert_eq "hello two early" "$(kubectl -n "$nse-t" get configmap greeting -o 'jsonpath={.data.text}')" \
    "eddy's ConfigMap with the new value"
same "the objects after the new value" "$(live "$nsf-t")" "$(live "$nse-t")" ||
    fail "objects differ"

step "the optional substituteFrom Secret made, then deleted: the live object follows in both"
for n in "$nse" "$nsf"; do
    kubectl -n "$n" create secret generic later --from-literal=late=now >/dev/null
done
request subst
ready subst True
assert_eq "hello two now" "$(kubectl -n "$nse-t" get configmap greeting -o 'jsonpath={.data.text}')" \
    "eddy's ConfigMap with the optional Secret's value"
same "the objects with the optional Secret" "$(live "$nsf-t")" "$(live "$nse-t")" ||
    fail "objects differ"
for n in "$nse" "$nsf"; do
    kubectl -n "$n" delete secret later >/dev/null
done
request subst
ready subst True
assert_eq "hello two early" "$(kubectl -n "$nse-t" get configmap greeting -o 'jsonpath={.data.text}')" \
    "eddy's ConfigMap without the optional Secret"
same "the objects without the optional Secret" "$(live "$nsf-t")" "$(live "$nse-t")" ||
    fail "objects differ"

step "an unchanged Secret costs no build"
skips() { grep -cE "inputs unchanged, build skipped .*name=subst .*namespace=$nse( |$)" "$scratch/ctl.log" || true; }
before=$(skips)
request subst
ready subst True
[ "$(skips)" -gt "$before" ] || fail "eddy rebuilt subst although nothing it reads changed"
