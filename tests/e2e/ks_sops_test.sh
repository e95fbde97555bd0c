#!/usr/bin/env bash
# tests/e2e/ks_sops_test.sh: spec.decryption (SOPS, age and PGP keys) in the real agent, with files
# encrypted by getsops/sops itself (tests/e2e/fixtures/sops, made by tests/tools/sopsfixture).
# An encrypted Secret and ConfigMap are applied decrypted, typed as before encryption, and the
# substitution runs on the decrypted text; without decryption the encrypted Secret is refused
# as Flux refuses it; with the wrong identity the build fails naming the object, never a value;
# `eddy build` masks encrypted Secrets, as flux build. Flux's other places are decrypted too: a
# Secret value holding a whole encrypted file, a `patches[].path` file; `decrypt: disabled` skips
# an object.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
export KS_RETRY=1m
fx=$EDDY_ROOT/tests/e2e/fixtures/sops

ks_setup ks-sops sops
mkdir -p "$work/app"
cp "$fx/secret.enc.yaml" "$work/app/secret.yaml"
cp "$fx/configmap.enc.yaml" "$work/app/configmap.yaml"
cp -r "$fx/gen" "$work/gen"
cp -r "$fx/pgp" "$work/pgp"
# Flux's other places: a Secret whose values are whole encrypted files (base64), an encrypted
# patches[].path file; and the decrypt: disabled annotation.
b64() { base64 -w0 "$1"; }
put files/secret.yaml <<YAML
apiVersion: v1
kind: Secret
metadata: {name: enc-files}
data:
  app.env: $(b64 "$fx/gen/app.env")
  settings.yaml: $(b64 "$fx/configmap.enc.yaml")
  note: $(printf 'plain text' | base64 -w0)
YAML
put files/configmap.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: patched}
data: {endpoint: placeholder, keep: "yes"}
YAML
cp "$fx/configmap.enc.yaml" "$work/files/endpoint.enc.yaml"
put files/kustomization.yaml <<'YAML'
resources: [secret.yaml, configmap.yaml]
patches:
- path: endpoint.enc.yaml
  target: {kind: ConfigMap, name: patched}
YAML
put disabled/kustomization.yaml <<'YAML'
resources: [secret.yaml]
commonAnnotations: {kustomize.toolkit.fluxcd.io/decrypt: Disabled}
YAML
cp "$fx/secret.enc.yaml" "$work/disabled/secret.yaml"
commit "encrypted with sops"
gitrepository
kubectl -n "$ns" create secret generic sops-age --from-file=identity.agekey="$fx/identity.agekey" >/dev/null
kubectl -n "$ns" create secret generic sops-other --from-file=other.agekey="$fx/other.agekey" >/dev/null
kubectl -n "$ns" create secret generic sops-gpg --from-file=sops.asc="$fx/pgp.asc" >/dev/null
kustomization app ./app "  targetNamespace: $ns
  decryption: {provider: sops, secretRef: {name: sops-age}}
  postBuild:
    substitute: {name: eddy}"
kustomization plain ./app "  targetNamespace: $ns
  nameSuffix: -plain"
kustomization pgp ./pgp "  targetNamespace: $ns
  nameSuffix: -pgp
  decryption: {provider: sops, secretRef: {name: sops-gpg}}"
kustomization gen ./gen "  targetNamespace: $ns
  decryption: {provider: sops, secretRef: {name: sops-age}}"
kustomization gen-plain ./gen "  targetNamespace: $ns
  nameSuffix: -plain"
kustomization files ./files "  targetNamespace: $ns
  decryption: {provider: sops, secretRef: {name: sops-age}}"
kustomization disabled ./disabled "  targetNamespace: $ns
  nameSuffix: -disabled"
kustomization wrong ./app "  targetNamespace: $ns
  nameSuffix: -wrong
  decryption: {provider: sops, secretRef: {name: sops-other}}"
agent

step "decrypted with the Kustomization's age identity, then substituted"
applied app "$(rev)"
secret() { kubectl -n "$ns" get secret "$1" -o "jsonpath={.data.$2}" | base64 -d; }
assert_eq "s3cr3t-value" "$(secret db password)" "stringData decrypted"
assert_eq "5432" "$(secret db port)" "a number-like string stays a string"
assert_eq "token" "$(secret db token)" "data decrypted (base64 inside)"
assert_eq "https://db.internal:5432" "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.endpoint}')" \
    "any kind is decrypted"
assert_eq "hello eddy" "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.greeting}')" \
    "postBuild substitutes the decrypted text"

step "a PGP key (*.asc) opens a file encrypted for it"
applied pgp "$(rev)"
assert_eq "s3cr3t-value" "$(secret db-pgp password)" "decrypted with GnuPG"

step "secretGenerator's encrypted files (dotenv, binary, JSON) decrypted as they are read"
applied gen "$(rev)"
assert_eq "admin" "$(secret gen DB_USER)" "dotenv value"
assert_eq "p4ss=word!" "$(secret gen DB_PASSWORD)" "dotenv value with '='"
assert_eq 'line1\nline2' "$(secret gen MULTI)" "a line feed stays escaped, as sops writes it back"
assert_eq "raw-token-bytes" "$(secret gen token\\.bin)" "binary file"
assert_eq "svc 5432 true" "$(secret gen creds\\.json | jq -r '"\(.user) \(.port) \(.tls)"')" "JSON file"
[ -z "$(kubectl -n "$ns" get secret gen -o 'jsonpath={.data.sops_mac}')" ] || fail "sops_mac in the Secret"
ready_is gen-plain False BuildFailed
assert_contains "$(ready_message gen-plain)" \
    "Secret/$ns/gen-plain is generated from SOPS-encrypted files, configuring decryption is required" \
    "without decryption: refused"

step "a Secret's value holding an encrypted file, and an encrypted patch file, are decrypted"
applied files "$(rev)"
out=$(secret enc-files app\\.env)
assert_contains "$out" "DB_USER=admin" "a dotenv file in a value (by its key's extension)"
assert_not_contains "$out" "sops_mac" "no metadata left in it"
out=$(secret enc-files settings\\.yaml)
assert_contains "$out" "endpoint: https://db.internal:5432" "a YAML file in a value"
assert_not_contains "$out" "ENC[" "nothing left encrypted"
assert_eq "plain text" "$(secret enc-files note)" "a plain value as it was"
assert_eq "https://db.internal:5432" "$(kubectl -n "$ns" get configmap patched -o 'jsonpath={.data.endpoint}')" \
    "patches[].path decrypted before it is applied"
assert_eq "yes" "$(kubectl -n "$ns" get configmap patched -o 'jsonpath={.data.keep}')" "the rest kept"

step "decrypt: disabled leaves an encrypted object as it is (not refused: the API judges it)"
ready_is disabled False ReconciliationFailed
msg=$(ready_message disabled)
assert_not_contains "$msg" "configuring decryption is required" "not refused"
assert_contains "$msg" "Secret/$ns/db-disabled invalid" "the dry-run refused it, naming the object"

step "no decryption: the encrypted Secret is refused, as Flux"
ready_is plain False BuildFailed
assert_contains "$(ready_message plain)" \
    "Secret/$ns/db-plain is SOPS encrypted, configuring decryption is required for this secret to be reconciled" \
    "Flux's message"
assert_fails "nothing applied" kubectl -n "$ns" get configmap settings-plain

step "another identity: the build fails, naming the object and not a value"
ready_is wrong False BuildFailed
msg=$(ready_message wrong)
# (the first encrypted object in apply order: ConfigMaps come before Secrets)
assert_contains "$msg" "decryption failed for 'ConfigMap.v1.[noGrp]/settings-wrong': failed to decrypt and format '$ns/settings-wrong' ConfigMap data: cannot get sops data key: Failed to get the data key required to decrypt the SOPS file." \
    "names the object"
assert_not_contains "$msg$(kubectl -n "$ns" get events -o yaml)" "s3cr3t" "no value in status or events"
assert_fails "nothing applied" kubectl -n "$ns" get secret db-wrong

step "eddy build masks encrypted Secrets (the CLI holds no key)"
out=$("$eddy" build kustomization app -n "$ns" --path "$work/app")
assert_contains "$out" "password: '**SOPS**'" "stringData masked"
assert_contains "$out" "token: KipTT1BTKio=" "data masked"
assert_not_contains "$out" "s3cr3t" "no value"
assert_contains "$out" "endpoint: ENC[AES256_GCM" "other kinds printed as Git has them, as flux build"
out=$("$eddy" diff kustomization pgp -n "$ns" --path "$work/pgp" 2>&1 || true)
assert_contains "$out" "Secret/$ns/db-pgp skipped (SOPS-encrypted)" "eddy diff skips what it cannot decrypt"
assert_not_contains "$out" "s3cr3t" "no value in the diff"
