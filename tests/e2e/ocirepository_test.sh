#!/usr/bin/env bash
# OCIRepository against the real registries (scripts/servers: registry, registry-auth): an
# artifact pushed with `eddy push artifact` (Flux's layout) becomes Ready with Flux's revision (<tag>@sha256:<manifest
# digest>), the manifest's annotations as metadata and a NewArtifact event naming the origin;
# a Kustomization of sourceRef.kind OCIRepository applies it, lastAppliedRevision the OCI
# revision, lastAppliedOriginRevision (and its history and events) the artifact's origin; a
# semver range picks up a newly pushed tag on reconcile; a digest ref pins one
# artifact; wrong credentials fail with Flux's OCIArtifactPullFailed and right ones succeed; a
# layer with a `../` path is refused (OCIArtifactLayerOperationFailed) and nothing escapes; a
# provider other than generic and keyless spec.verify stall with a clear refusal (keyed cosign
# verification: ocirepository_verify_test.sh); status.url (the latest.tar.gz link) serves the
# artifact and follows a new one; deletion removes the artifacts and the link.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=oci-e2e
scratch=$EDDY_E2E_SCRATCH
storage=$scratch/storage

step "CRDs, namespace, artifacts"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/ocirepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"

# artifact DIR NAME TAG [REGISTRY [CREDS]]: eddy push artifact of DIR; prints the manifest
# digest it reports.
artifact() {
    local out
    out=$("$eddy" push artifact "oci://${4:-$EDDY_REGISTRY}/$2:$3" --path "$1" \
        --source https://git.example/app --revision "main@sha1:$3" ${5:+--creds "$5"} 2>&1) ||
        fail "push artifact $2:$3: $out"
    assert_contains "$out" "► pushing artifact to ${4:-$EDDY_REGISTRY}/$2:$3" "push: the action"
    sed -n "s|^✔ artifact successfully pushed to ${4:-$EDDY_REGISTRY}/$2@\(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out"
}
# manifests DIR VALUE: a ConfigMap named app with data.v=VALUE in DIR.
manifests() {
    mkdir -p "$1"
    cat >"$1/cm.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {v: "$2"}
YAML
}
manifests "$scratch/v1" one
manifests "$scratch/v2" two
d100=$(artifact "$scratch/v1" oci/app 1.0.0)
assert_match '^sha256:[0-9a-f]{64}$' "$d100" "push artifact: the digest"
artifact "$scratch/v1" oci/app latest >/dev/null
dauth=$(artifact "$scratch/v1" oci/private 1.0.0 "$EDDY_REGISTRY_AUTH" \
    "$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD")
assert_fails "push artifact with wrong credentials" "$eddy" push artifact \
    "oci://$EDDY_REGISTRY_AUTH/oci/private:2.0.0" --path "$scratch/v1" --source s --revision r \
    --creds "$EDDY_REGISTRY_USER:wrong"
assert_contains "$OUT" "UNAUTHORIZED: authentication required" "push: credentials refused"
assert_fails "push artifact without --revision" "$eddy" push artifact "oci://$EDDY_REGISTRY/oci/x:1" \
    --path "$scratch/v1" --source s
assert_contains "$OUT" "--revision is required" "push: --revision"
# A layer with an entry that climbs out of the tree.
mkdir -p "$scratch/evil/sub"
echo pwned >"$scratch/evil/sub/x"
python3 - "$scratch/evil.tgz" "$scratch/evil/sub/x" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    t.add(sys.argv[2], arcname="../../escaped.txt")
PY
PUSH_IMAGE_LAYER=$scratch/evil.tgz "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oci/evil 1.0.0 >/dev/null

kubectl -n "$ns" create secret docker-registry good --docker-server="$EDDY_REGISTRY_AUTH" \
    --docker-username="$EDDY_REGISTRY_USER" --docker-password="$EDDY_REGISTRY_PASSWORD" >/dev/null
kubectl -n "$ns" create secret docker-registry bad --docker-server="$EDDY_REGISTRY_AUTH" \
    --docker-username="$EDDY_REGISTRY_USER" --docker-password=wrong >/dev/null

oci() { # oci NAME URL [EXTRA YAML LINES]
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: oci://$2
${3:-}
YAML
}
oci app "$EDDY_REGISTRY/oci/app" "  ref: {semver: '1.x'}"
oci latest "$EDDY_REGISTRY/oci/app"
oci pinned "$EDDY_REGISTRY/oci/app" "  ref: {digest: '$d100'}"
oci private "$EDDY_REGISTRY_AUTH/oci/private" "  ref: {tag: 1.0.0}
  secretRef: {name: good}"
oci wrong "$EDDY_REGISTRY_AUTH/oci/private" "  ref: {tag: 1.0.0}
  secretRef: {name: bad}"
oci evil "$EDDY_REGISTRY/oci/evil" "  ref: {tag: 1.0.0}"
dflip=$(artifact "$scratch/v1" oci/flip 1.0.0)
oci flip "$EDDY_REGISTRY/oci/flip" "  ref: {tag: 1.0.0}"
oci cloud "$EDDY_REGISTRY/oci/app" "  provider: aws"
oci signed "$EDDY_REGISTRY/oci/app" "  verify: {provider: cosign}"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps}
spec:
  interval: 10m
  retryInterval: 3s
  prune: true
  path: ./
  targetNamespace: $ns
  sourceRef: {kind: OCIRepository, name: app}
YAML

step "the agent"
port=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --log-level debug --leader-election-namespace default --leader-election-id "eddy-oci-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$storage" \
    --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)"

get() { kubectl -n "$ns" get ocirepository "$1" -o "jsonpath=$2"; }
ready() { # ready NAME: wait for Ready=True
    kubectl -n "$ns" wait "ocirepository/$1" --for=condition=Ready --timeout=60s >/dev/null ||
        fail "$1 not Ready: $(get "$1" '{.status.conditions}')"
}
reason_is() { test "$(get "$1" '{.status.conditions[?(@.type=="Ready")].reason}')" = "$2"; }
revision_is() { test "$(get "$1" '{.status.artifact.revision}')" = "$2"; }
failed() { # failed NAME REASON: wait for Ready=False with REASON
    retry 60 reason_is "$1" "$2" || fail "$1: expected reason $2: $(get "$1" '{.status.conditions}')"
}

step "a semver ref: Ready with Flux's revision, digest, metadata and event"
ready app
assert_eq "1.0.0@$d100" "$(get app '{.status.artifact.revision}')" "revision"
assert_eq "stored artifact for digest '1.0.0@$d100'" \
    "$(get app '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message"
assert_eq "ocirepository/$ns/app/$d100.tar.gz" "$(get app '{.status.artifact.path}')" "path"
assert_eq "main@sha1:1.0.0" \
    "$(get app '{.status.artifact.metadata.org\.opencontainers\.image\.revision}')" "metadata"
file=$storage/$(get app '{.status.artifact.path}')
assert_eq "$(get app '{.status.artifact.digest}')" "sha256:$(sha256sum "$file" | cut -d' ' -f1)" \
    "artifact digest"
assert_eq "cm.yaml" "$(tar -tzf "$file" | grep cm.yaml)" "artifact content"
# status.url: Flux's dynamic link to the latest artifact, served beside it.
latest_url=http://127.0.0.1:$port/ocirepository/$ns/app/latest.tar.gz
assert_eq "$latest_url" "$(get app '{.status.url}')" "status.url"
fetched() { curl -fsS "$1" | sha256sum | cut -d' ' -f1; }
assert_eq "$(get app '{.status.artifact.digest}')" "sha256:$(fetched "$latest_url")" \
    "status.url serves the artifact"
retry 30 sh -c "kubectl -n '$ns' get events -o json | jq -e '.items[] | select(.reason == \"NewArtifact\" and (.message | contains(\"origin source '\''https://git.example/app'\'', origin revision '\''main@sha1:1.0.0'\''\")))' >/dev/null" ||
    fail "no NewArtifact event: $(kubectl -n "$ns" get events -o json | jq -c '[.items[] | {reason, message}]')"

step "the Kustomization applies the OCI artifact"
kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAppliedRevision}'="1.0.0@$d100" \
    --timeout=60s >/dev/null || fail "not applied: $(kubectl -n "$ns" get ks apps -o jsonpath='{.status.conditions}')"
assert_eq one "$(kubectl -n "$ns" get configmap app -o jsonpath='{.data.v}')" "applied v1"
# Flux's origin revision: the artifact's org.opencontainers.image.revision, in status, in the
# history's metadata and on the Kustomization's events.
ks() { kubectl -n "$ns" get kustomization apps -o "jsonpath=$1"; }
assert_eq "main@sha1:1.0.0" "$(ks '{.status.lastAppliedOriginRevision}')" "lastAppliedOriginRevision"
assert_eq "main@sha1:1.0.0" "$(ks '{.status.history[0].metadata.originRevision}')" \
    "history originRevision"
retry 30 sh -c "kubectl -n '$ns' get events -o json | jq -e '.items[] | select(.involvedObject.kind == \"Kustomization\" and .reason == \"ReconciliationSucceeded\" and .metadata.annotations[\"kustomize.toolkit.fluxcd.io/originRevision\"] == \"main@sha1:1.0.0\")' >/dev/null" ||
    fail "no originRevision on the events: $(kubectl -n "$ns" get events -o json | jq -c '[.items[] | select(.involvedObject.kind == "Kustomization") | .metadata.annotations]')"

step "tag latest by default, and a digest ref"
ready latest
assert_match '^latest@sha256:[0-9a-f]{64}$' "$(get latest '{.status.artifact.revision}')" "latest"
ready pinned
assert_eq "$d100" "$(get pinned '{.status.artifact.revision}')" "digest revision"

step "a new tag in the semver range is picked up on reconcile"
d110=$(artifact "$scratch/v2" oci/app 1.1.0)
artifact "$scratch/v2" oci/app 2.0.0 >/dev/null
kubectl -n "$ns" annotate --overwrite ocirepository app reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
retry 60 revision_is app "1.1.0@$d110" ||
    fail "1.1.0 not picked: $(get app '{.status.artifact.revision}')"
kubectl -n "$ns" wait kustomization/apps --for=jsonpath='{.status.lastAppliedRevision}'="1.1.0@$d110" \
    --timeout=60s >/dev/null || fail "1.1.0 not applied"
assert_eq two "$(kubectl -n "$ns" get configmap app -o jsonpath='{.data.v}')" "applied v2"
assert_eq "$latest_url" "$(get app '{.status.url}')" "status.url stays"
assert_eq "$(get app '{.status.artifact.digest}')" "sha256:$(fetched "$latest_url")" \
    "status.url moved to the new artifact"
assert_eq "main@sha1:1.1.0" "$(ks '{.status.lastAppliedOriginRevision}')" \
    "lastAppliedOriginRevision follows"

step "credentials: accepted, and refused with Flux's reason"
ready private
assert_eq "1.0.0@$dauth" "$(get private '{.status.artifact.revision}')" "private revision"
failed wrong OCIArtifactPullFailed
assert_contains "$(get wrong '{.status.conditions[?(@.type=="FetchFailed")].message}')" \
    "failed to determine artifact digest" "wrong credentials message"

step "a layer with ../ paths is refused and nothing escapes"
failed evil OCIArtifactLayerOperationFailed
assert_contains "$(get evil '{.status.conditions[?(@.type=="Ready")].message}')" \
    "failed to extract layer contents from artifact" "evil message"
test -z "$(find "$scratch" "$storage" -name escaped.txt)" || fail "a file escaped the tree"
# A tag moved to a hostile artifact: the last good artifact stays, marked outdated.
ready flip
PUSH_IMAGE_LAYER=$scratch/evil.tgz "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oci/flip 1.0.0 >/dev/null
kubectl -n "$ns" annotate --overwrite ocirepository flip reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
failed flip OCIArtifactLayerOperationFailed
assert_eq "1.0.0@$dflip" "$(get flip '{.status.artifact.revision}')" "the last artifact kept"
assert_eq "NewRevision" "$(get flip '{.status.conditions[?(@.type=="ArtifactOutdated")].reason}')" \
    "ArtifactOutdated"
assert_contains "$(get flip '{.status.conditions[?(@.type=="ArtifactOutdated")].message}')" \
    "new revision '1.0.0@sha256:" "ArtifactOutdated message"
test -f "$storage/$(get flip '{.status.artifact.path}')" || fail "the last artifact's file is gone"

step "what eddy does not do is refused clearly"
failed cloud AuthenticationFailed
assert_contains "$(get cloud '{.status.conditions[?(@.type=="Stalled")].message}')" \
    "provider 'aws' is not supported by eddy" "provider refused"
failed signed VerificationError
assert_contains "$(get signed '{.status.conditions[?(@.type=="Ready")].message}')" \
    "failed to verify the signature using provider 'cosign keyless': keyless verification" \
    "keyless verify refused"
assert_eq "False" "$(get signed '{.status.conditions[?(@.type=="SourceVerified")].status}')" \
    "keyless: SourceVerified"
assert_eq "True" "$(get signed '{.status.conditions[?(@.type=="Stalled")].status}')" \
    "keyless: Stalled"

step "the CLI: create, get, reconcile, suspend and resume source oci"
out=$("$eddy" create source oci created -n "$ns" --url "oci://$EDDY_REGISTRY/oci/app" --tag 1.0.0 \
    --timeout 1m 2>&1) || fail "create source oci: $out"
assert_contains "$out" "OCIRepository reconciliation completed" "create: completed"
assert_contains "$out" "fetched revision: 1.0.0@$d100" "create: the revision"
assert_eq "1.0.0" "$(get created '{.spec.ref.tag}')" "create: spec.ref.tag"
out=$("$eddy" get sources oci -n "$ns")
assert_match "app[[:space:]]+1\.1\.0@sha256:${d110:7:8}[[:space:]]+False[[:space:]]+True[[:space:]]+stored artifact for digest" \
    "$out" "get sources oci"
assert_contains "$("$eddy" get sources all -n "$ns")" "ocirepository/created" "get sources all"
out=$("$eddy" reconcile source oci app -n "$ns" 2>&1) || fail "reconcile source oci: $out"
assert_contains "$out" "fetched revision 1.1.0@$d110" "reconcile: the revision"
out=$("$eddy" reconcile ks apps --with-source -n "$ns" 2>&1) || fail "reconcile --with-source: $out"
assert_contains "$out" "applied revision 1.1.0@$d110" "reconcile --with-source"
out=$("$eddy" trace configmap/app -n "$ns" 2>&1) || fail "trace: $out"
assert_contains "$out" "OCIRepository:" "trace: the source's kind"
assert_contains "$out" "oci://$EDDY_REGISTRY/oci/app" "trace: the source's URL"
assert_contains "$out" "1.1.0@sha256:" "trace: the source's revision"
out=$("$eddy" events --for OCIRepository/app -n "$ns" 2>&1) || fail "events: $out"
assert_contains "$out" "NewArtifact" "events --for OCIRepository/app"
assert_ok "suspend" "$eddy" suspend source oci created -n "$ns"
assert_eq true "$(get created '{.spec.suspend}')" "suspended"
assert_ok "resume" "$eddy" resume source oci created -n "$ns" --timeout 1m
assert_eq false "$(get created '{.spec.suspend}')" "resumed"
assert_fails "create source oci with a tag in the URL" "$eddy" create source oci bad -n "$ns" \
    --url "oci://$EDDY_REGISTRY/oci/app:1.0.0" --tag 1.0.0 --export
assert_contains "$OUT" "repository can only contain the characters \`abcdefghijklmnopqrstuvwxyz0123456789_-./\`: oci/app:1.0.0" \
    "create: the URL's tag refused"

step "deletion removes the artifacts"
ready latest
latest_link=$(get latest '{.status.url}')
assert_ok "the link of latest served" curl -fsS -o /dev/null "$latest_link"
kubectl -n "$ns" delete ocirepository latest --timeout=60s >/dev/null
test ! -e "$storage/ocirepository/$ns/latest" || fail "artifacts of a deleted OCIRepository remain"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$latest_link")" "the link goes with the object"
kubectl delete namespace "$ns" --wait=false >/dev/null
