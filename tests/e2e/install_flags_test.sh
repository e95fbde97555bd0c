#!/usr/bin/env bash
# tests/e2e/install_flags_test.sh: flux's install flags that shape what eddy install applies,
# against the real control plane: --registry-creds (a dockerconfigjson Secret named by
# --image-pull-secret, with the credentials for --registry, applied before the Deployment and
# never printed, not even by --export), --toleration-keys (a toleration with operator Exists for
# each key), --cluster-domain (the artifact server's advertised address), --version (this
# eddy's own version or latest, anything else refused) and --manifests DIR (the same render
# from a directory of manifests instead of the embedded ones), each with --export too; and the
# agent's ClusterRole, which reads RBAC.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
ns=install-flags
deploy() { kubectl -n "$ns" get deploy eddy -o "jsonpath=$1"; }

step "install with a private registry's credentials, tolerations and a cluster domain"
out=$("$eddy" install -n "$ns" --registry registry.example.com/mirror --image-pull-secret regcred \
    --registry-creds 'robot:s3cr3t-pw' --toleration-keys dedicated.example.com/flux,gpu \
    --cluster-domain corp.internal --version latest --timeout 2m 2>&1)
assert_contains "$out" "► generating image pull secret regcred" "flux's line"
assert_contains "$out" "Secret/$ns/regcred created" "the Secret applied"
assert_match "Secret/$ns/regcred created.*Deployment/$ns/eddy created" "$(tr '\n' ' ' <<<"$out")" \
    "before the Deployment"
assert_contains "$out" "✔ install finished" "installed"
assert_not_contains "$out" "s3cr3t-pw" "the password is not printed"
# The agent's own ClusterRole reads RBAC (the watch of impersonating Kustomizations), not only
# through cluster-admin.
assert_eq "roles,rolebindings,clusterroles,clusterrolebindings:get,list,watch" \
    "$(kubectl get clusterrole "crd-controller-$ns" -o json | jq -r '[.rules[]
        | select(.apiGroups == ["rbac.authorization.k8s.io"])
        | "\(.resources | join(",")):\(.verbs | join(","))"] | join(" ")')" \
    "crd-controller reads RBAC"
assert_eq kubernetes.io/dockerconfigjson "$(kubectl -n "$ns" get secret regcred -o 'jsonpath={.type}')" "type"
cfg=$(kubectl -n "$ns" get secret regcred -o 'jsonpath={.data.\.dockerconfigjson}' | base64 -d)
assert_eq "robot s3cr3t-pw $(printf robot:s3cr3t-pw | base64)" \
    "$(jq -r '.auths["registry.example.com/mirror"] | "\(.username) \(.password) \(.auth)"' <<<"$cfg")" \
    "the credentials, for --registry"
assert_eq regcred "$(deploy '{.spec.template.spec.imagePullSecrets[0].name}')" "referenced"
assert_eq "dedicated.example.com/flux=Exists gpu=Exists" \
    "$(deploy '{range .spec.template.spec.tolerations[*]}{.key}={.operator} {end}' | sed 's/ $//')" \
    "--toleration-keys"
assert_contains "$(deploy '{.spec.template.spec.containers[0].args}')" \
    "--storage-adv-addr=source-controller.\$(RUNTIME_NAMESPACE).svc.corp.internal." "--cluster-domain"
# A second install with other credentials updates the Secret.
out=$("$eddy" install -n "$ns" --registry registry.example.com/mirror --image-pull-secret regcred \
    --registry-creds 'robot:n3w-pw' --toleration-keys dedicated.example.com/flux,gpu \
    --cluster-domain corp.internal --timeout 2m 2>&1)
assert_contains "$out" "Secret/$ns/regcred configured" "updated"
assert_eq n3w-pw "$(kubectl -n "$ns" get secret regcred -o 'jsonpath={.data.\.dockerconfigjson}' |
    base64 -d | jq -r '.auths[].password')" "the new password"

step "flux's refusals"
assert_fails "--registry-creds alone" "$eddy" install --export --registry-creds u:p
assert_contains "$OUT" "--registry-creds requires --image-pull-secret to be set" "flux's words"
assert_fails "--registry-creds without a colon" "$eddy" install --export --registry-creds up \
    --image-pull-secret r
assert_contains "$OUT" "invalid --registry-creds format, expected 'user:password'" "flux's words"
assert_fails "another version" "$eddy" install --export --version v9.9.9
assert_contains "$OUT" "this eddy installs v" "only its own"
assert_fails "a cluster domain that is no DNS name" "$eddy" install --export --cluster-domain 'Bad_Domain'
assert_contains "$OUT" "not a DNS name" "named"
assert_fails "a missing --manifests directory" "$eddy" install --export --manifests "$scratch/none"
assert_contains "$OUT" "--manifests $scratch/none" "named"

step "--export with each flag"
own=$("$eddy" version --client | sed 's/^eddy: v//; s/+.*//')
assert_eq "$("$eddy" install --export)" "$("$eddy" install --export --version "v$own")" "--version v<own>"
assert_eq "$("$eddy" install --export)" "$("$eddy" install --export -v "$own")" "-v <own>"
out=$("$eddy" install --export --image-pull-secret regcred --registry-creds 'robot:s3cr3t-pw' \
    --toleration-keys gpu --cluster-domain corp.internal)
assert_not_contains "$out" "kind: Secret" "no Secret printed, as flux's --export"
assert_not_contains "$out" "s3cr3t" "no credentials"
assert_contains "$out" "      tolerations:
      - key: gpu
        operator: Exists" "--toleration-keys"
assert_contains "$out" "svc.corp.internal." "--cluster-domain"
# --manifests: the deploy/ tree renders as the embedded copy; a changed copy is what is used.
assert_eq "$("$eddy" install --export)" "$("$eddy" install --export --manifests "$EDDY_ROOT/deploy")" \
    "--manifests deploy/ is the embedded render"
cp -r "$EDDY_ROOT/deploy" "$scratch/deploy"
sed -i 's/cpu: 50m/cpu: 75m/' "$scratch/deploy/install/deployment.yaml"
out=$("$eddy" install --export --manifests "$scratch/deploy" --toleration-keys gpu -n other-ns)
assert_contains "$out" "cpu: 75m" "the directory's files"
assert_contains "$out" "  namespace: other-ns" "customized as the embedded ones"
assert_contains "$out" "- key: gpu" "with the other flags"
assert_ok "--manifests install is valid" bash -c "'$eddy' install --export --manifests '$scratch/deploy' -n '$ns' |
    kubectl apply --server-side --field-manager flux --dry-run=server -f - >/dev/null"

kubectl delete namespace "$ns" --wait=false >/dev/null
kubectl get clusterrole,clusterrolebinding -o name | grep -- "-$ns\$" | xargs -r kubectl delete >/dev/null
