#!/usr/bin/env bash
# tests/e2e/ks_sops_test.sh: spec.decryption (SOPS, age and PGP keys) in the real agent, with files
# encrypted by getsops/sops itself (tests/e2e/fixtures/sops, made by tests/tools/sopsfixture).
# An encrypted Secret and ConfigMap are applied decrypted, typed as before encryption, and the
# substitution runs on the decrypted text; without decryption the encrypted Secret is refused
# as Flux refuses it; with the wrong identity the build fails naming the object, never a value;
# `eddy build` masks encrypted Secrets, as flux build.
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
assert_contains "$msg" "decryption failed for 'settings-wrong': failed to decrypt and format '$ns/settings-wrong' ConfigMap data: cannot get sops data key: no age identity matches" \
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
