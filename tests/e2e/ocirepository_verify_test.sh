#!/usr/bin/env bash
# OCIRepository spec.verify with cosign public keys, against real cosign v3 (hack/cosign/build:
# .bin/cosign, or EDDY_COSIGN) and the real registry (OCI 1.0: no referrers API): an artifact
# pushed with `eddy push artifact` and signed with `cosign sign --key`, offline, in cosign v2's
# layout (--new-bundle-format=false: the .sig tag) or in v3's default (a Sigstore bundle as a
# referrer, through the referrers tag schema), cosign's own verify agreeing, is Ready with
# SourceVerified True "verified signature of revision <rev>"; with Flux's reason
# VerificationError and message, and nothing stored: an unsigned tag, a signature or a bundle by
# another key, the signature of one artifact copied to another's signature tag (its payload
# names the other digest), the bundle of one artifact made a referrer of another (its statement
# names the other digest), a Secret without `.pub` keys; a Secret with several keys verifies with
# any of them; an RSA key (`cosign import-key-pair`) verifies too; an Ed25519 key's signature is
# refused, as Flux's verifier refuses it (cosign signs with Ed25519ph, Flux checks pure Ed25519;
# cosign's own verify --key refuses it as well); removing spec.verify removes SourceVerified.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
cosign=${EDDY_COSIGN:-$EDDY_ROOT/.bin/cosign}
ns=ociverify-e2e
scratch=$EDDY_E2E_SCRATCH
storage=$scratch/storage
reg=$EDDY_REGISTRY
[ -x "$cosign" ] || fail "no cosign at $cosign: run hack/cosign/build"

step "CRDs, namespace, keys, artifacts and signatures"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/ocirepositories.source.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"

export COSIGN_PASSWORD=e2e-pass COSIGN_YES=true
mkdir -p "$scratch/keys" "$scratch/other"
(cd "$scratch/keys" && "$cosign" generate-key-pair >/dev/null 2>&1) || fail "cosign generate-key-pair"
(cd "$scratch/other" && "$cosign" generate-key-pair >/dev/null 2>&1) || fail "cosign generate-key-pair (other)"
# RSA and Ed25519 keys made by OpenSSL, imported into cosign's format.
for alg in rsa ed25519; do
    mkdir -p "$scratch/$alg"
    if [ $alg = rsa ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$scratch/$alg/key.pem" 2>/dev/null
    else
        openssl genpkey -algorithm ed25519 -out "$scratch/$alg/key.pem" 2>/dev/null
    fi
    (cd "$scratch/$alg" && "$cosign" import-key-pair --key key.pem --output-key-prefix cosign \
        >/dev/null 2>&1) || fail "cosign import-key-pair ($alg)"
done
assert_contains "$(cat "$scratch/keys/cosign.pub")" "BEGIN PUBLIC KEY" "cosign.pub"

mkdir -p "$scratch/m"
cat >"$scratch/m/cm.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {v: "1"}
YAML
# push TAG: eddy push artifact verify/app:TAG; prints the manifest digest.
push() {
    local out
    out=$("$eddy" push artifact "oci://$reg/verify/app:$1" --path "$scratch/m" \
        --source https://git.example/app --revision "main@sha1:$1" 2>&1) || fail "push $1: $out"
    sed -n "s|^✔ artifact successfully pushed to $reg/verify/app@\(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out"
}
# sign KEYDIR DIGEST [bundle]: cosign sign of verify/app@DIGEST, offline (no signing config,
# no transparency log): cosign v2's layout (the sha256-<hex>.sig tag), or with `bundle` cosign
# v3's default, a Sigstore bundle as an OCI referrer (on this OCI 1.0 registry, in the index
# tagged sha256-<hex>).
sign() {
    local out format=false
    [ "${3:-}" = bundle ] && format=true
    out=$("$cosign" sign --key "$1/cosign.key" --use-signing-config=false --tlog-upload=false \
        --new-bundle-format=$format --allow-http-registry "$reg/verify/app@$2" 2>&1) ||
        fail "cosign sign $2: $out"
}
dsigned=$(push signed)
dother=$(push other)
dunsigned=$(push unsigned)
dcopied=$(push copied)
drsa=$(push rsa)
ded25519=$(push ed25519)
dbundle=$(push bundle)
dbother=$(push bundleother)
dbcopied=$(push bundlecopied)
for d in "$dsigned" "$dother" "$dunsigned" "$dcopied" "$drsa" "$ded25519" "$dbundle" "$dbother" \
    "$dbcopied"; do
    assert_match '^sha256:[0-9a-f]{64}$' "$d" "push: a digest"
done
sign "$scratch/keys" "$dsigned"
sign "$scratch/other" "$dother"
sign "$scratch/rsa" "$drsa"
sign "$scratch/ed25519" "$ded25519"
sign "$scratch/keys" "$dbundle" bundle
sign "$scratch/other" "$dbother" bundle
# The oracle agrees: cosign verifies the signed artifact with the key, offline.
assert_ok "cosign verify" "$cosign" verify --key "$scratch/keys/cosign.pub" --insecure-ignore-tlog \
    --allow-http-registry "$reg/verify/app@$dsigned"
assert_fails "cosign verify with the other key" "$cosign" verify --key "$scratch/other/cosign.pub" \
    --insecure-ignore-tlog --allow-http-registry "$reg/verify/app@$dsigned"
# The signature of `signed`, copied as the signature of `copied` (same repository, so its blobs
# are there): a valid signature by the trusted key, over a payload naming another digest.
sigm=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$reg/v2/verify/app/manifests/sha256-${dsigned#sha256:}.sig") || fail "no signature manifest"
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$sigm" \
    "http://$reg/v2/verify/app/manifests/sha256-${dcopied#sha256:}.sig" >/dev/null ||
    fail "copying the signature manifest"

# cosign v3 wrote its bundle as a referrer: no .sig tag, an index tagged sha256-<hex> (this
# registry has no referrers API) listing a manifest of the bundle's artifactType.
assert_ok "cosign verify (bundle)" "$cosign" verify --key "$scratch/keys/cosign.pub" \
    --insecure-ignore-tlog --allow-http-registry "$reg/verify/app@$dbundle"
assert_fails "no .sig tag for a bundle" curl -fsS \
    "http://$reg/v2/verify/app/manifests/sha256-${dbundle#sha256:}.sig"
bidx=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$reg/v2/verify/app/manifests/sha256-${dbundle#sha256:}") || fail "no referrers tag"
assert_contains "$bidx" '"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"' \
    "the referrers index lists a bundle"
# The bundle of `bundle`, made a referrer of `bundlecopied`: a manifest whose subject is
# bundlecopied (so only the signed statement can tell), holding the bundle signed by the
# trusted key for bundle's digest, listed in bundlecopied's referrers tag.
bman=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$reg/v2/verify/app/manifests/$(jq -r '.manifests[0].digest' <<<"$bidx")") ||
    fail "no bundle manifest"
csubject=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$reg/v2/verify/app/manifests/$dbcopied" | wc -c)
cman=$(jq -c --arg d "$dbcopied" --argjson n "$csubject" '.subject.digest = $d | .subject.size = $n' \
    <<<"$bman")
cdig=sha256:$(printf '%s' "$cman" | sha256sum | cut -d' ' -f1)
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$cman" \
    "http://$reg/v2/verify/app/manifests/$cdig" >/dev/null || fail "pushing the copied bundle manifest"
cidx=$(jq -c --arg d "$cdig" --argjson n "${#cman}" '.manifests[0].digest = $d | .manifests[0].size = $n' \
    <<<"$bidx")
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "$cidx" \
    "http://$reg/v2/verify/app/manifests/sha256-${dbcopied#sha256:}" >/dev/null ||
    fail "tagging the copied bundle as a referrer"
assert_fails "cosign verify of the copied bundle" "$cosign" verify --key "$scratch/keys/cosign.pub" \
    --insecure-ignore-tlog --allow-http-registry "$reg/verify/app@$dbcopied"

kubectl -n "$ns" create secret generic cosign-pub --from-file=cosign.pub="$scratch/keys/cosign.pub" >/dev/null
kubectl -n "$ns" create secret generic two-keys --from-file=a.pub="$scratch/other/cosign.pub" \
    --from-file=b.pub="$scratch/keys/cosign.pub" >/dev/null
kubectl -n "$ns" create secret generic rsa-pub --from-file=cosign.pub="$scratch/rsa/cosign.pub" >/dev/null
kubectl -n "$ns" create secret generic ed25519-pub --from-file=cosign.pub="$scratch/ed25519/cosign.pub" >/dev/null
kubectl -n "$ns" create secret generic no-pub --from-file=cosign.key="$scratch/keys/cosign.key" \
    --from-literal=readme=keys >/dev/null

oci() { # oci NAME TAG SECRET
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: oci://$reg/verify/app
  ref: {tag: $2}
  verify:
    provider: cosign
    secretRef: {name: $3}
YAML
}
oci signed signed cosign-pub
oci unsigned unsigned cosign-pub
oci wrongkey other cosign-pub
oci anykey other two-keys
oci copied copied cosign-pub
oci nokeys signed no-pub
oci rsa rsa rsa-pub
oci ed25519 ed25519 ed25519-pub
oci rsawrong signed rsa-pub
oci bundle bundle cosign-pub
oci bundleother bundleother cosign-pub
oci bundlecopied bundlecopied cosign-pub

step "the agent"
port=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --log-level debug --leader-election-namespace default --leader-election-id "eddy-ociv-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$storage" \
    --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)"

get() { kubectl -n "$ns" get ocirepository "$1" -o "jsonpath=$2"; }
cond() { get "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
ready() {
    kubectl -n "$ns" wait "ocirepository/$1" --for=condition=Ready --timeout=60s >/dev/null ||
        fail "$1 not Ready: $(get "$1" '{.status.conditions}')"
}
reason_is() { test "$(cond "$1" Ready reason)" = "$2"; }
# refused NAME MESSAGE: Ready and SourceVerified False, VerificationError, MESSAGE; no artifact.
refused() {
    retry 60 reason_is "$1" VerificationError ||
        fail "$1: expected VerificationError: $(get "$1" '{.status.conditions}')"
    assert_eq "False" "$(cond "$1" SourceVerified status)" "$1: SourceVerified"
    assert_eq "VerificationError" "$(cond "$1" SourceVerified reason)" "$1: SourceVerified reason"
    assert_eq "$2" "$(cond "$1" SourceVerified message)" "$1: SourceVerified message"
    assert_eq "$2" "$(cond "$1" Ready message)" "$1: Ready message"
    assert_eq "" "$(get "$1" '{.status.artifact}')" "$1: no artifact stored"
}

step "a signed artifact: verified, then stored"
ready signed
assert_eq "True" "$(cond signed SourceVerified status)" "SourceVerified"
assert_eq "Succeeded" "$(cond signed SourceVerified reason)" "SourceVerified reason"
assert_eq "verified signature of revision signed@$dsigned" "$(cond signed SourceVerified message)" \
    "SourceVerified message"
assert_eq "signed@$dsigned" "$(get signed '{.status.artifact.revision}')" "revision"
ready anykey
assert_eq "verified signature of revision other@$dother" "$(cond anykey SourceVerified message)" \
    "any of the Secret's keys"
ready rsa
assert_eq "verified signature of revision rsa@$drsa" "$(cond rsa SourceVerified message)" "RSA key"

step "cosign v3's bundle (the referrers tag schema): verified, then stored"
ready bundle
assert_eq "True" "$(cond bundle SourceVerified status)" "bundle: SourceVerified"
assert_eq "Succeeded" "$(cond bundle SourceVerified reason)" "bundle: SourceVerified reason"
assert_eq "verified signature of revision bundle@$dbundle" "$(cond bundle SourceVerified message)" \
    "bundle: SourceVerified message"
assert_eq "bundle@$dbundle" "$(get bundle '{.status.artifact.revision}')" "bundle: revision"

step "unsigned, another key's signature, a copied signature, no keys: refused as Flux does"
nomatch="failed to verify the signature using provider 'cosign': no matching signatures were found for"
refused unsigned "$nomatch '$reg/verify/app:unsigned'"
refused wrongkey "$nomatch '$reg/verify/app:other'"
refused copied "$nomatch '$reg/verify/app:copied'"
refused rsawrong "$nomatch '$reg/verify/app:signed'"
refused bundleother "$nomatch '$reg/verify/app:bundleother'"
refused bundlecopied "$nomatch '$reg/verify/app:bundlecopied'"
assert_contains "$(cat "$scratch/ctl.log")" "the bundle signs '$dbundle', not '$dbcopied'" \
    "the log says why the copied bundle was refused"
assert_fails "cosign verify (Ed25519ph)" "$cosign" verify --key "$scratch/ed25519/cosign.pub" \
    --insecure-ignore-tlog --allow-http-registry "$reg/verify/app@$ded25519"
refused ed25519 "$nomatch '$reg/verify/app:ed25519'"
refused nokeys "failed to verify the signature using provider 'cosign': no public keys found in secret '$ns/no-pub'"
assert_contains "$(cat "$scratch/ctl.log")" "payload signs '$dsigned', not '$dcopied'" \
    "the log says why the copied signature was refused"

step "the signature arrives: verified on the next reconcile"
sign "$scratch/keys" "$dunsigned"
kubectl -n "$ns" annotate --overwrite ocirepository unsigned reconcile.fluxcd.io/requestedAt="$(date +%s)" >/dev/null
ready unsigned
assert_eq "True" "$(cond unsigned SourceVerified status)" "SourceVerified after signing"

step "spec.verify removed: SourceVerified goes"
kubectl -n "$ns" patch ocirepository signed --type=json -p '[{"op":"remove","path":"/spec/verify"}]' >/dev/null
retry 60 sh -c "test -z \"\$(kubectl -n '$ns' get ocirepository signed -o jsonpath='{.status.conditions[?(@.type==\"SourceVerified\")].status}')\"" ||
    fail "SourceVerified kept: $(get signed '{.status.conditions}')"
ready signed

step "the CLI: create source oci --verify-provider cosign --verify-secret-ref"
out=$("$eddy" create source oci viacli -n "$ns" --url "oci://$reg/verify/app" --tag signed \
    --verify-provider cosign --verify-secret-ref cosign-pub --timeout 1m 2>&1) ||
    fail "create source oci --verify-provider: $out"
assert_contains "$out" "fetched revision: signed@$dsigned" "create: verified and fetched"
assert_eq "cosign/cosign-pub" "$(get viacli '{.spec.verify.provider}/{.spec.verify.secretRef.name}')" \
    "create: spec.verify"
assert_eq "True" "$(cond viacli SourceVerified status)" "create: SourceVerified"
assert_fails "--verify-secret-ref without --verify-provider" "$eddy" create source oci bad -n "$ns" \
    --url "oci://$reg/verify/app" --tag signed --verify-secret-ref cosign-pub --export
assert_contains "$OUT" "a verification provider must be specified when a secret is specified" \
    "create: flux's message"
assert_fails "--verify-provider notation" "$eddy" create source oci bad -n "$ns" \
    --url "oci://$reg/verify/app" --tag signed --verify-provider notation --export
assert_contains "$OUT" "source OCI verify provider 'notation' is not supported, must be one of: cosign" \
    "create: flux's message for another provider"
