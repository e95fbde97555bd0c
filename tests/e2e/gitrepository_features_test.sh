#!/usr/bin/env bash
# tests/e2e/gitrepository_features_test.sh: the GitRepository spec fields beyond url/ref/secret,
# in the real agent against the real Git servers:
#   include            another repository's artifact copied in (fromPath -> toPath, read below
#                      the root as Flux's SecureJoin reads them); the
#                      includer's revision stays its own commit; spec.ignore reaches included
#                      files; a new commit in the included repository gives the includer a
#                      new artifact; IncludeUnavailable while the included repository does not
#                      exist; two repositories including each other settle;
#   sparseCheckout     only the listed directories end up in the artifact;
#   recurseSubmodules  a submodule (relative URL, same server) fetched with the parent's
#                      credentials and written into the artifact; left out without the flag;
#                      a file:// submodule URL refused;
#   secretRef mTLS     tls.crt/tls.key against scripts/servers git-mtls; foreign, missing and
#                      half-pair certificates refused;
#   proxySecretRef     through tests/e2e/gitproxy.py (HTTP forwarded, HTTPS over CONNECT,
#                      basic auth; wrong proxy password refused, never shown; a missing
#                      secret, address or an empty one refused in Flux's words);
#   verify             OpenPGP (keys generated here) and SSH signatures of commits and tags;
#                      wrong keys, unsigned commits and tags refused with Flux's reasons, the
#                      last verified artifact kept.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=gitrepo-features
scratch=$EDDY_E2E_SCRATCH

step "CRDs and namespace"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
# (retried: right after the apply the CRD may not have a status to wait on yet)
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io
new_namespace "$ns"
git_auth_secret "$ns"

# commit_push DIR MESSAGE: commit everything in DIR and push it to main.
commit_push() {
    git -C "$1" add -A && git -C "$1" commit -qm "$2" && git -C "$1" push -q origin HEAD:main
}

step "repositories: shared, lib (a submodule of app), app"
for r in shared lib app; do
    new_repo "$r"
    git clone -q "$(git_http_url "$r")" "$scratch/$r" 2>/dev/null
done
mkdir -p "$scratch/shared/base" "$scratch/shared/other"
echo "kind: Base" >"$scratch/shared/base/base.yaml"
echo "kind: Other" >"$scratch/shared/other/other.yaml"
commit_push "$scratch/shared" "shared one"
echo "kind: Lib" >"$scratch/lib/lib.yaml"
commit_push "$scratch/lib" "lib one"
mkdir -p "$scratch/app/apps/web" "$scratch/app/docs"
echo "kind: Web" >"$scratch/app/apps/web/web.yaml"
echo "notes" >"$scratch/app/docs/notes.txt"
echo "kind: Root" >"$scratch/app/root.yaml"
(
    cd "$scratch/app"
    git -c protocol.file.allow=never submodule add -q ../lib.git vendor/lib 2>/dev/null
)
assert_eq "../lib.git" "$(git -C "$scratch/app" config -f .gitmodules submodule.vendor/lib.url)" \
    "relative submodule URL"
commit_push "$scratch/app" "app one"
app_head=$(git -C "$scratch/app" rev-parse HEAD)

# gitrepo NAME REPO [SPEC-LINES]: a GitRepository of REPO over HTTP with the credentials.
gitrepo() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/$2.git
  ref: {branch: main}
  secretRef: {name: git-auth}
${3:-}
YAML
}
gitrepo shared shared
gitrepo app-include app "  include:
  - repository: {name: shared}
    fromPath: base
    toPath: deps/base
  - repository: {name: shared}"
gitrepo app-include-ignore app "  ignore: |
    shared/other/
    docs/
  include:
  - repository: {name: shared}"
gitrepo app-include-collide app "  include:
  - repository: {name: shared}
    toPath: apps"
gitrepo app-include-escape app "  include:
  - repository: {name: shared}
    toPath: ../../outside"
gitrepo app-sparse app "  sparseCheckout: [apps, ./docs/]"
gitrepo app-submodules app "  recurseSubmodules: true"
gitrepo app-plain app
gitrepo app-sparse-missing app "  sparseCheckout: [apps, nope]"
gitrepo app-waiting app "  include:
  - repository: {name: later}"

step "the agent"
port=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-gitfeat-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
    --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
    --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)"

get() { kubectl -n "$ns" get gitrepository "$1" -o "jsonpath=$2"; }
# files NAME: the sorted file list of NAME's artifact, downloaded from the artifact server.
files() {
    curl -fs "$(get "$1" '{.status.artifact.url}')" -o "$scratch/$1.tar.gz"
    # (the regular files only: no directory, whatever its name's form)
    tar tvzf "$scratch/$1.tar.gz" | awk '/^-/ {print $NF}' | sort | tr '\n' ' '
}
for r in shared app-include app-sparse app-submodules app-plain; do
    kubectl -n "$ns" wait "gitrepository/$r" --for=condition=Ready --timeout=90s >/dev/null
done

step "include: fromPath and toPath; the revision is the includer's commit"
got=$(files app-include)
for f in deps/base/base.yaml shared/base/base.yaml shared/other/other.yaml apps/web/web.yaml root.yaml; do
    assert_contains "$got" "$f" "included artifact"
done
assert_not_contains "$got" "deps/base/other" "fromPath copies only base/"
assert_eq "main@sha1:$app_head" "$(get app-include '{.status.artifact.revision}')" "revision"
shared_rev=$(get shared '{.status.artifact.revision}')
assert_eq "$shared_rev $shared_rev" \
    "$(get app-include '{.status.includedArtifacts[*].revision}')" "includedArtifacts"
assert_eq "base" "$(get app-include '{.status.observedInclude[0].fromPath}')" "observedInclude"
digest1=$(get app-include '{.status.artifact.digest}')

step "include: spec.ignore applies to the included files too, as Flux's archive filter does"
kubectl -n "$ns" wait gitrepository/app-include-ignore --for=condition=Ready --timeout=60s >/dev/null
got=$(files app-include-ignore)
assert_contains "$got" "shared/base/base.yaml" "included file kept"
assert_not_contains "$got" "shared/other" "included file ignored"
assert_not_contains "$got" "docs/notes.txt" "own file ignored"
assert_contains "$got" "apps/web/web.yaml" "own file kept"

step "include: a taken toPath is StorageOperationFailed; one that climbs stays below the root (SecureJoin)"
kubectl -n "$ns" wait gitrepository/app-include-collide \
    --for=jsonpath='{.status.conditions[?(@.type=="StorageOperationFailed")].status}'=True \
    --timeout=60s >/dev/null
assert_eq "False" "$(get app-include-collide '{.status.conditions[?(@.type=="Ready")].status}')" \
    "Ready of app-include-collide"
assert_eq "CopyFailure" \
    "$(get app-include-collide '{.status.conditions[?(@.type=="StorageOperationFailed")].reason}')" \
    "taken toPath"
assert_contains "$(get app-include-collide '{.status.conditions[?(@.type=="Ready")].message}')" \
    "failed to copy 'shared' include from  to apps: 'apps' already exists in the artifact" \
    "taken toPath message"
# Flux joins toPath to the artifact's root with SecureJoin: "../../outside" is "outside".
kubectl -n "$ns" wait gitrepository/app-include-escape --for=condition=Ready --timeout=60s >/dev/null
assert_contains "$(files app-include-escape)" "outside/base/" "../../outside lands in outside/"
assert_fails "nothing written outside" test -e "$scratch/storage/outside"

step "include: a new commit in the included repository gives a new artifact"
echo "kind: Base2" >"$scratch/shared/base/two.yaml"
commit_push "$scratch/shared" "shared two"
shared_head=$(git -C "$scratch/shared" rev-parse HEAD)
kubectl -n "$ns" annotate --overwrite gitrepository/shared reconcile.fluxcd.io/requestedAt=one >/dev/null
kubectl -n "$ns" wait gitrepository/app-include \
    --for=jsonpath="{.status.includedArtifacts[0].revision}=main@sha1:$shared_head" \
    --timeout=60s >/dev/null
assert_ne "$digest1" "$(get app-include '{.status.artifact.digest}')" "digest after the include changed"
assert_eq "main@sha1:$app_head" "$(get app-include '{.status.artifact.revision}')" \
    "revision after the include changed"
assert_contains "$(files app-include)" "deps/base/two.yaml" "new included file"

step "include: a new revision that fails to build keeps the stored artifact and marks it outdated"
# Flux marks ArtifactOutdated (NewRevision) once it has the new commit beside a stored artifact;
# a copy that then fails leaves the mark in the status.
new_repo outd
git clone -q "$(git_http_url outd)" "$scratch/outd" 2>/dev/null
mkdir -p "$scratch/outd/apps"
echo "kind: Outd" >"$scratch/outd/apps/outd.yaml"
commit_push "$scratch/outd" "outd one"
outd_one=$(git -C "$scratch/outd" rev-parse HEAD)
gitrepo app-outdated outd "  include:
  - repository: {name: shared}"
kubectl -n "$ns" wait gitrepository/app-outdated --for=condition=Ready --timeout=60s >/dev/null
assert_eq "" "$(get app-outdated '{.status.conditions[?(@.type=="ArtifactOutdated")].status}')" \
    "no ArtifactOutdated while current"
echo "kind: Outd2" >"$scratch/outd/apps/two.yaml"
commit_push "$scratch/outd" "outd two"
outd_two=$(git -C "$scratch/outd" rev-parse HEAD)
gitrepo app-outdated outd "  include:
  - repository: {name: shared}
    toPath: apps"
kubectl -n "$ns" wait gitrepository/app-outdated \
    --for=jsonpath='{.status.conditions[?(@.type=="ArtifactOutdated")].status}'=True \
    --timeout=60s >/dev/null
assert_eq "NewRevision" \
    "$(get app-outdated '{.status.conditions[?(@.type=="ArtifactOutdated")].reason}')" \
    "ArtifactOutdated reason"
assert_eq "new upstream revision 'main@sha1:$outd_two'" \
    "$(get app-outdated '{.status.conditions[?(@.type=="ArtifactOutdated")].message}')" \
    "ArtifactOutdated message"
assert_eq "CopyFailure" "$(get app-outdated '{.status.conditions[?(@.type=="Ready")].reason}')" \
    "Ready reason"
assert_eq "main@sha1:$outd_one" "$(get app-outdated '{.status.artifact.revision}')" \
    "the stored artifact kept"
gitrepo app-outdated outd "  include:
  - repository: {name: shared}"
kubectl -n "$ns" wait gitrepository/app-outdated \
    --for=jsonpath="{.status.artifact.revision}=main@sha1:$outd_two" --timeout=60s >/dev/null
assert_eq "" "$(get app-outdated '{.status.conditions[?(@.type=="ArtifactOutdated")].status}')" \
    "ArtifactOutdated removed once stored"

step "include: IncludeUnavailable until the included repository exists"
kubectl -n "$ns" wait gitrepository/app-waiting \
    --for=jsonpath='{.status.conditions[?(@.type=="IncludeUnavailable")].reason}'=NotFound \
    --timeout=60s >/dev/null
assert_eq "False" "$(get app-waiting '{.status.conditions[?(@.type=="Ready")].status}')" "Ready"
assert_contains "$(get app-waiting '{.status.conditions[?(@.type=="Ready")].message}')" \
    "could not get resource for include 'later'" "message"
gitrepo later shared
kubectl -n "$ns" wait gitrepository/app-waiting --for=condition=Ready --timeout=60s >/dev/null
assert_eq "" "$(get app-waiting '{.status.conditions[?(@.type=="IncludeUnavailable")].status}')" \
    "IncludeUnavailable removed"
assert_contains "$(files app-waiting)" "later/base/two.yaml" "toPath defaults to the name"

step "include: two repositories that include each other do not rebuild each other in a loop"
gitrepo ping shared
kubectl -n "$ns" wait gitrepository/ping --for=condition=Ready --timeout=60s >/dev/null
gitrepo pong app "  include:
  - repository: {name: ping}"
kubectl -n "$ns" wait gitrepository/pong --for=condition=Ready --timeout=60s >/dev/null
gitrepo ping shared "  include:
  - repository: {name: pong}"
kubectl -n "$ns" wait gitrepository/ping --for=jsonpath='{.status.observedInclude[0].repository.name}'=pong \
    --timeout=60s >/dev/null
sleep 2
pong_digest=$(get pong '{.status.artifact.digest}')
ping_digest=$(get ping '{.status.artifact.digest}')
sleep 3
assert_eq "$pong_digest" "$(get pong '{.status.artifact.digest}')" "pong settled"
assert_eq "$ping_digest" "$(get ping '{.status.artifact.digest}')" "ping settled"

step "sparseCheckout: only the listed directories"
assert_eq "apps/web/web.yaml docs/notes.txt " "$(files app-sparse)" "sparse files"
assert_eq "apps ./docs/" "$(get app-sparse '{.status.observedSparseCheckout[*]}')" \
    "observedSparseCheckout"
kubectl -n "$ns" wait gitrepository/app-sparse-missing \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False --timeout=60s >/dev/null
assert_contains "$(get app-sparse-missing '{.status.conditions[?(@.type=="Ready")].message}')" \
    "failed to sparse checkout directories : sparse checkout dir 'nope' does not exist in repository" \
    "a missing sparse directory"

step "recurseSubmodules: the submodule's files, fetched with the parent's credentials"
assert_contains "$(files app-submodules)" "vendor/lib/lib.yaml" "submodule content"
assert_not_contains "$(files app-plain)" "vendor/lib" "no submodule without recurseSubmodules"
assert_eq "true" "$(get app-submodules '{.status.observedRecurseSubmodules}')" \
    "observedRecurseSubmodules"

step "recurseSubmodules: a file:// submodule URL is refused; one on another server (git daemon) is fetched"
lib_head=$(git -C "$scratch/lib" rev-parse HEAD)
for r in evil mixed; do
    new_repo "$r"
    git clone -q "$(git_http_url "$r")" "$scratch/$r" 2>/dev/null
done
printf '[submodule "x"]\n\tpath = x\n\turl = file://%s/lib.git\n' "$EDDY_GIT_ROOT" \
    >"$scratch/evil/.gitmodules"
printf '[submodule "x"]\n\tpath = x\n\turl = %s/lib.git\n' "$EDDY_GIT_DAEMON_URL" \
    >"$scratch/mixed/.gitmodules"
for r in evil mixed; do
    echo "kind: $r" >"$scratch/$r/$r.yaml"
    # The gitlink without a checked-out submodule: staged after `add -A`, which would drop it.
    git -C "$scratch/$r" add -A
    git -C "$scratch/$r" update-index --add --cacheinfo "160000,$lib_head,x"
    git -C "$scratch/$r" commit -qm "$r"
    git -C "$scratch/$r" push -q origin HEAD:main
    gitrepo "sub-$r" "$r" "  recurseSubmodules: true"
done
kubectl -n "$ns" wait gitrepository/sub-evil \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False --timeout=60s >/dev/null
assert_contains "$(get sub-evil '{.status.conditions[?(@.type=="Ready")].message}')" \
    "a file:// URL is not allowed" "file:// submodule refused"
kubectl -n "$ns" wait gitrepository/sub-mixed --for=condition=Ready --timeout=60s >/dev/null
assert_contains "$(files sub-mixed)" "x/lib.yaml" "submodule from the git daemon"

step "mutual TLS: a server that requires a client certificate (scripts/servers git-mtls)"
"$EDDY_ROOT/scripts/servers" start "$EDDY_SERVERS_DIR" git-mtls >/dev/null
. "$EDDY_SERVERS_DIR/env"
kubectl -n "$ns" create secret generic mtls-auth --from-file=ca.crt="$EDDY_GIT_MTLS_CA" \
    --from-file=tls.crt="$EDDY_GIT_MTLS_CLIENT_CERT" \
    --from-file=tls.key="$EDDY_GIT_MTLS_CLIENT_KEY" >/dev/null
kubectl -n "$ns" create secret generic mtls-nocert --from-file=ca.crt="$EDDY_GIT_MTLS_CA" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$scratch/stranger.key" -out "$scratch/stranger.crt" -subj "/CN=stranger" 2>/dev/null
kubectl -n "$ns" create secret generic mtls-stranger --from-file=ca.crt="$EDDY_GIT_MTLS_CA" \
    --from-file=tls.crt="$scratch/stranger.crt" --from-file=tls.key="$scratch/stranger.key" \
    >/dev/null
kubectl -n "$ns" create secret generic mtls-halfpair --from-file=ca.crt="$EDDY_GIT_MTLS_CA" \
    --from-file=tls.crt="$EDDY_GIT_MTLS_CLIENT_CERT" >/dev/null
# mtlsrepo NAME SECRET [SPEC-LINES]
mtlsrepo() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: $EDDY_GIT_MTLS_URL/app.git
  ref: {branch: main}
  secretRef: {name: $2}
${3:-}
YAML
}
mtlsrepo app-mtls mtls-auth
mtlsrepo app-mtls-nocert mtls-nocert
mtlsrepo app-mtls-stranger mtls-stranger
mtlsrepo app-mtls-halfpair mtls-halfpair
kubectl -n "$ns" wait gitrepository/app-mtls --for=condition=Ready --timeout=60s >/dev/null
assert_eq "main@sha1:$app_head" "$(get app-mtls '{.status.artifact.revision}')" "revision over mTLS"
assert_contains "$(files app-mtls)" "apps/web/web.yaml" "artifact over mTLS"
for r in app-mtls-nocert app-mtls-stranger app-mtls-halfpair; do
    kubectl -n "$ns" wait "gitrepository/$r" \
        --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False --timeout=60s >/dev/null
done
assert_eq "GitOperationFailed" \
    "$(get app-mtls-nocert '{.status.conditions[?(@.type=="Ready")].reason}')" "no certificate"
assert_contains "$(get app-mtls-nocert '{.status.conditions[?(@.type=="Ready")].message}')" \
    "it may require a client certificate" "message without a certificate"
assert_eq "GitOperationFailed" \
    "$(get app-mtls-stranger '{.status.conditions[?(@.type=="Ready")].reason}')" \
    "a certificate from another CA"
assert_contains "$(get app-mtls-stranger '{.status.conditions[?(@.type=="Ready")].message}')" \
    "client certificate" "message for a refused certificate"
assert_eq "AuthenticationFailed" \
    "$(get app-mtls-halfpair '{.status.conditions[?(@.type=="Ready")].reason}')" "tls.crt alone"
assert_contains "$(get app-mtls-halfpair '{.status.conditions[?(@.type=="Ready")].message}')" \
    "failed to configure authentication options: invalid secret: 'tls.crt' and 'tls.key' go together" \
    "message for tls.crt alone"
assert_not_contains "$(kubectl -n "$ns" get gitrepositories -o yaml)" "PRIVATE KEY" \
    "no key material in status"

step "proxySecretRef: plain HTTP and HTTPS (CONNECT) through a proxy with basic auth"
bg_start proxy python3 "$EDDY_ROOT/tests/e2e/gitproxy.py" --ready-file "$scratch/proxy.ready" \
    --log "$scratch/proxy-requests.log" --user pxuser --password pxpass
retry 10 test -f "$scratch/proxy.ready"
pport=$(sed -n 's/^port=//p' "$scratch/proxy.ready")
kubectl -n "$ns" create secret generic proxy-auth --from-literal=address="http://127.0.0.1:$pport" \
    --from-literal=username=pxuser --from-literal=password=pxpass >/dev/null
kubectl -n "$ns" create secret generic proxy-wrong --from-literal=address="http://127.0.0.1:$pport" \
    --from-literal=username=pxuser --from-literal=password=wrong-proxy-password >/dev/null
# A repository nothing fetched yet, so the proxy sees the pack's POST as well.
new_repo far
git clone -q "$(git_http_url far)" "$scratch/far" 2>/dev/null
echo "kind: Far" >"$scratch/far/far.yaml"
commit_push "$scratch/far" "far one"
far_head=$(git -C "$scratch/far" rev-parse HEAD)
gitrepo app-proxied far "  proxySecretRef: {name: proxy-auth}"
mtlsrepo app-proxied-mtls mtls-auth "  proxySecretRef: {name: proxy-auth}"
gitrepo app-proxy-refused app "  proxySecretRef: {name: proxy-wrong}"
for r in app-proxied app-proxied-mtls; do
    kubectl -n "$ns" wait "gitrepository/$r" --for=condition=Ready --timeout=60s >/dev/null
done
assert_eq "main@sha1:$far_head" "$(get app-proxied '{.status.artifact.revision}')" "proxied revision"
assert_eq "far.yaml " "$(files app-proxied)" "proxied artifact"
assert_eq "main@sha1:$app_head" "$(get app-proxied-mtls '{.status.artifact.revision}')" \
    "proxied mTLS revision"
log=$(cat "$scratch/proxy-requests.log")
assert_contains "$log" "GET $EDDY_GIT_HTTP_URL/far.git/info/refs?service=git-upload-pack 200" \
    "ref listing through the proxy"
assert_contains "$log" "POST $EDDY_GIT_HTTP_URL/far.git/git-upload-pack 200" \
    "fetch through the proxy"
mtls_hostport=${EDDY_GIT_MTLS_URL#https://}
assert_contains "$log" "CONNECT ${mtls_hostport%%/*} 200" "HTTPS tunnelled through the proxy"
kubectl -n "$ns" wait gitrepository/app-proxy-refused \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=GitOperationFailed \
    --timeout=60s >/dev/null
assert_contains "$(get app-proxy-refused '{.status.conditions[?(@.type=="Ready")].message}')" \
    "proxy refused the credentials" "message for refused proxy credentials"
assert_not_contains "$(kubectl -n "$ns" get gitrepositories -o yaml; kubectl -n "$ns" get events -o yaml)" \
    "wrong-proxy-password" "the proxy password is never shown"
# A proxy secret Flux cannot use stops the reconcile before any fetch, in its words.
kubectl -n "$ns" create secret generic proxy-noaddress --from-literal=username=pxuser >/dev/null
kubectl -n "$ns" create secret generic proxy-emptyaddress --from-literal=address= >/dev/null
gitrepo app-proxy-missing app "  proxySecretRef: {name: proxy-nonexistent}"
gitrepo app-proxy-noaddress app "  proxySecretRef: {name: proxy-noaddress}"
gitrepo app-proxy-emptyaddress app "  proxySecretRef: {name: proxy-emptyaddress}"
for r in missing noaddress emptyaddress; do
    kubectl -n "$ns" wait "gitrepository/app-proxy-$r" \
        --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=AuthenticationFailed \
        --timeout=60s >/dev/null
done
assert_eq "failed to configure proxy options: secret '$ns/proxy-nonexistent' not found" \
    "$(get app-proxy-missing '{.status.conditions[?(@.type=="Ready")].message}')" \
    "a missing proxy secret"
assert_eq "failed to configure proxy options: secret '$ns/proxy-noaddress': key 'address' not found" \
    "$(get app-proxy-noaddress '{.status.conditions[?(@.type=="Ready")].message}')" \
    "a proxy secret without address"
assert_eq "failed to configure proxy options: secret '$ns/proxy-emptyaddress': proxy address is empty" \
    "$(get app-proxy-emptyaddress '{.status.conditions[?(@.type=="Ready")].message}')" \
    "a proxy secret with an empty address"

step "spec.provider azure (not built): stalled before any fetch"
# With a provider eddy cannot configure, fetching with the secretRef's credentials (they are
# good here) would hide the mistake: refused in Flux's reason for a provider it cannot use.
gitrepo app-provider-azure app "  provider: azure"
kubectl -n "$ns" wait gitrepository/app-provider-azure --for=condition=Stalled --timeout=60s \
    >/dev/null
provider_msg="spec.provider 'azure' is not supported by eddy yet: only generic (the secretRef)"
for c in Ready Stalled FetchFailed; do
    assert_eq "InvalidProviderConfiguration" \
        "$(get app-provider-azure "{.status.conditions[?(@.type==\"$c\")].reason}")" "$c reason"
    assert_eq "$provider_msg" \
        "$(get app-provider-azure "{.status.conditions[?(@.type==\"$c\")].message}")" \
        "$c message"
done
assert_eq "" "$(get app-provider-azure '{.status.artifact}')" "no artifact: nothing fetched"

step "verify: OpenPGP signatures of commits and tags (keys made here, in a temp GNUPGHOME)"
export GNUPGHOME=$scratch/gnupg
mkdir -m 700 "$GNUPGHOME"
# gpg-agent (started by the signing below) runs detached: stop it however the test ends.
trap 'gpgconf --kill all >/dev/null 2>&1 || true' EXIT
gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key "eddy signer <signer@eddy.invalid>" \
    ed25519 sign never 2>/dev/null
gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key "stranger <stranger@eddy.invalid>" \
    ed25519 sign never 2>/dev/null
signer_fpr=$(gpg --list-keys --with-colons signer@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
gpg --armor --export signer@eddy.invalid >"$scratch/signer.asc"
gpg --armor --export stranger@eddy.invalid >"$scratch/stranger.asc"
kubectl -n "$ns" create secret generic pgp-signer --from-file=author.asc="$scratch/signer.asc" >/dev/null
kubectl -n "$ns" create secret generic pgp-stranger --from-file=other.asc="$scratch/stranger.asc" \
    >/dev/null
new_repo signed
git clone -q "$(git_http_url signed)" "$scratch/signed" 2>/dev/null
sgit() { git -C "$scratch/signed" -c user.signingkey="$signer_fpr" -c gpg.program=gpg "$@" 2>/dev/null; }
echo "kind: Signed" >"$scratch/signed/signed.yaml"
sgit add -A
sgit commit -qS -m "signed one"
sgit tag -s v1.0.0 -m "signed tag"
sgit tag -a v0.9.0 -m "unsigned tag"
sgit tag light
sgit push -q origin HEAD:main v1.0.0 v0.9.0 light
signed_head=$(sgit rev-parse HEAD)
# Flux names a tag by its object's name and id: "v1.0.0@<tag object id>".
signed_tag=$(sgit rev-parse v1.0.0)
unsigned_tag=$(sgit rev-parse v0.9.0)
sgit checkout -q -b unsigned
echo "kind: Unsigned" >"$scratch/signed/unsigned.yaml"
sgit add -A
sgit commit -q -m "unsigned"
sgit push -q origin unsigned
# signedrepo NAME REF MODE SECRET
signedrepo() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/signed.git
  ref: $2
  secretRef: {name: git-auth}
  verify: {mode: $3, secretRef: {name: $4}}
YAML
}
signedrepo verified-head '{"branch":"main"}' HEAD pgp-signer
signedrepo verified-tag '{"tag":"v1.0.0"}' TagAndHEAD pgp-signer
signedrepo wrong-key '{"branch":"main"}' HEAD pgp-stranger
signedrepo unsigned-head '{"branch":"unsigned"}' HEAD pgp-signer
signedrepo unsigned-tag '{"tag":"v0.9.0"}' Tag pgp-signer
signedrepo tag-without-tag '{"branch":"main"}' Tag pgp-signer
# A tag named by its full ref is verified as a tag ref is (Flux's clone keeps its tag object).
signedrepo verified-name '{"name":"refs/tags/v1.0.0"}' Tag pgp-signer
signedrepo unsigned-tag-name '{"name":"refs/tags/v0.9.0"}' Tag pgp-signer
# A lightweight tag has no tag object: Flux stalls as for a branch.
signedrepo light-tag '{"tag":"light"}' Tag pgp-signer
cond() { get "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
for r in verified-head verified-tag verified-name; do
    kubectl -n "$ns" wait "gitrepository/$r" --for=condition=Ready --timeout=60s >/dev/null
    assert_eq "True" "$(cond "$r" SourceVerified status)" "SourceVerified of $r"
done
assert_eq "verified signature of
	- commit '$signed_head' with key '${signer_fpr: -16}'" "$(cond verified-head SourceVerified message)" \
    "SourceVerified message"
assert_eq "HEAD" "$(get verified-head '{.status.sourceVerificationMode}')" "sourceVerificationMode"
assert_contains "$(cond verified-tag SourceVerified message)" \
    "tag 'v1.0.0@$signed_tag' with key '${signer_fpr: -16}'" "tag verified"
assert_contains "$(cond verified-tag SourceVerified message)" "- commit '$signed_head'" \
    "TagAndHEAD verifies the commit too"
assert_eq "verified signature of
	- tag 'v1.0.0@$signed_tag' with key '${signer_fpr: -16}'" \
    "$(cond verified-name SourceVerified message)" "a tag given by ref.name is verified"
assert_eq "refs/tags/v1.0.0@sha1:$signed_head" "$(get verified-name '{.status.artifact.revision}')" \
    "ref.name revision"
for r in wrong-key unsigned-head unsigned-tag tag-without-tag unsigned-tag-name light-tag; do
    kubectl -n "$ns" wait "gitrepository/$r" \
        --for=jsonpath='{.status.conditions[?(@.type=="SourceVerified")].status}'=False \
        --timeout=60s >/dev/null
    assert_eq "False" "$(cond "$r" Ready status)" "Ready of $r"
    assert_eq "" "$(get "$r" '{.status.artifact.revision}')" "no artifact for $r"
done
assert_eq "InvalidCommitSignature" "$(cond wrong-key SourceVerified reason)" "wrong key reason"
assert_eq "signature verification of commit '$signed_head' failed: unable to verify Git commit: unable to verify payload with any of the given key rings: no matching key" \
    "$(cond wrong-key Ready message)" "wrong key message"
assert_eq "InvalidCommitSignature" "$(cond unsigned-head Ready reason)" "unsigned commit reason"
assert_contains "$(cond unsigned-head SourceVerified message)" \
    "unsupported signature type: empty" "unsigned commit message"
assert_eq "InvalidGitObject" "$(cond unsigned-tag SourceVerified reason)" "unsigned tag reason"
assert_eq "cannot verify signature of tag 'v0.9.0@$unsigned_tag' since it is not signed" \
    "$(cond unsigned-tag SourceVerified message)" "unsigned tag message"
assert_eq "InvalidGitObject" "$(cond unsigned-tag-name SourceVerified reason)" \
    "an unsigned tag given by ref.name is refused"
# A verification mode that does not fit the ref: Stalled (no retry until the spec changes), as
# Flux's stalling error; the lightweight tag too.
no_tag_msg="cannot verify tag object's signature if a tag reference is not specified"
for r in tag-without-tag light-tag; do
    assert_eq "InvalidVerificationMode" "$(cond $r SourceVerified reason)" "$r: SourceVerified"
    assert_eq "InvalidVerificationMode" "$(cond $r Ready reason)" "$r: Ready reason"
    assert_eq "$no_tag_msg" "$(cond $r Ready message)" "$r: Ready message"
    assert_eq "True" "$(cond $r Stalled status)" "$r: Stalled"
    assert_eq "InvalidVerificationMode" "$(cond $r Stalled reason)" "$r: Stalled reason"
    assert_eq "$no_tag_msg" "$(cond $r Stalled message)" "$r: Stalled message"
    assert_eq "" "$(cond $r Reconciling status)" "$r: not Reconciling"
    assert_eq "$(get $r '{.metadata.generation}')" "$(get $r '{.status.observedGeneration}')" \
        "$r: the generation was handled"
done
# A fitting mode lifts the stall.
signedrepo tag-without-tag '{"branch":"main"}' HEAD pgp-signer
kubectl -n "$ns" wait gitrepository/tag-without-tag --for=condition=Ready --timeout=60s >/dev/null
assert_eq "" "$(cond tag-without-tag Stalled status)" "Stalled removed once the mode fits"

step "verify: an SSH-signed commit (gpg.format=ssh) with the key under a .sshpub entry"
ssh-keygen -q -t ed25519 -N '' -C ssh-signer -f "$scratch/ssh-signer"
ssh_fpr=$(ssh-keygen -lf "$scratch/ssh-signer.pub" | cut -d' ' -f2)
kubectl -n "$ns" create secret generic ssh-signer \
    --from-file=signer.sshpub="$scratch/ssh-signer.pub" >/dev/null
sgit checkout -q -b sshsigned main
echo "kind: SSHSigned" >"$scratch/signed/ssh.yaml"
sgit add -A
sgit -c gpg.format=ssh -c user.signingkey="$scratch/ssh-signer.pub" commit -qS -m "ssh signed"
sgit push -q origin sshsigned
ssh_head=$(sgit rev-parse HEAD)
signedrepo ssh-verified '{branch: sshsigned}' HEAD ssh-signer
signedrepo ssh-wrong '{branch: sshsigned}' HEAD pgp-signer
kubectl -n "$ns" wait gitrepository/ssh-verified --for=condition=Ready --timeout=60s >/dev/null
assert_eq "verified signature of
	- commit '$ssh_head' with key '$ssh_fpr'" "$(cond ssh-verified SourceVerified message)" \
    "SSH signature verified"
kubectl -n "$ns" wait gitrepository/ssh-wrong \
    --for=jsonpath='{.status.conditions[?(@.type=="SourceVerified")].reason}'=InvalidCommitSignature \
    --timeout=60s >/dev/null

step "verify: an unsigned commit on a verified branch is refused, the last artifact kept"
sgit checkout -q main
echo "kind: Sneaky" >"$scratch/signed/sneaky.yaml"
sgit add -A
sgit commit -q -m "not signed"
sgit push -q origin HEAD:main
kubectl -n "$ns" annotate --overwrite gitrepository/verified-head reconcile.fluxcd.io/requestedAt=unsigned >/dev/null
kubectl -n "$ns" wait gitrepository/verified-head \
    --for=jsonpath='{.status.conditions[?(@.type=="SourceVerified")].status}'=False --timeout=60s >/dev/null
assert_eq "InvalidCommitSignature" "$(cond verified-head Ready reason)" "Ready after an unsigned commit"
assert_eq "main@sha1:$signed_head" "$(get verified-head '{.status.artifact.revision}')" \
    "the verified artifact stays"
assert_not_contains "$(files verified-head)" "sneaky.yaml" "unverified content never served"

step "an empty repository: EmptyGitRepository, as Flux; a missing branch in go-git's words"
new_repo void
gitrepo void void
gitrepo app-no-branch app
kubectl -n "$ns" patch gitrepository/app-no-branch --type merge -p '{"spec":{"ref":{"branch":"gone"}}}' >/dev/null
kubectl -n "$ns" wait gitrepository/void \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=EmptyGitRepository \
    --timeout=60s >/dev/null
assert_eq "git repository is empty" "$(cond void Ready message)" "empty repository message"
assert_eq "EmptyGitRepository" "$(cond void FetchFailed reason)" "FetchFailed says so too"
assert_eq "True" "$(cond void Reconciling status)" "retried (the repository may get commits)"
kubectl -n "$ns" wait gitrepository/app-no-branch \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=GitOperationFailed \
    --timeout=60s >/dev/null
assert_eq "failed to checkout and determine revision: unable to clone '$EDDY_GIT_HTTP_URL/app.git': couldn't find remote ref \"refs/heads/gone\"" \
    "$(cond app-no-branch Ready message)" "missing branch message"
git clone -q "$(git_http_url void)" "$scratch/void" 2>/dev/null
echo "kind: Void" >"$scratch/void/void.yaml"
commit_push "$scratch/void" "void one"
kubectl -n "$ns" annotate --overwrite gitrepository/void reconcile.fluxcd.io/requestedAt=first >/dev/null
kubectl -n "$ns" wait gitrepository/void --for=condition=Ready --timeout=60s >/dev/null
assert_eq "main@sha1:$(git -C "$scratch/void" rev-parse HEAD)" "$(get void '{.status.artifact.revision}')" \
    "the first commit is fetched"
