#!/usr/bin/env bash
# tests/e2e/gitrepository_features_test.sh: the GitRepository spec fields beyond url/ref/secret,
# in the real agent against the real Git servers:
#   include            another repository's artifact copied in (fromPath -> toPath); the
#                      includer's revision stays its own commit; a new commit in the included
#                      repository gives the includer a new artifact; IncludeUnavailable while
#                      the included repository does not exist;
#   sparseCheckout     only the listed directories end up in the artifact;
#   recurseSubmodules  a submodule (relative URL, same server) fetched with the parent's
#                      credentials and written into the artifact; left out without the flag.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_ROOT/build/eddy
ns=gitrepo-features
scratch=$EDDY_E2E_SCRATCH

step "CRDs and namespace"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"
kubectl -n "$ns" create secret generic git-auth --from-literal=username="$EDDY_GIT_HTTP_USER" \
    --from-literal=password="$EDDY_GIT_HTTP_PASSWORD" >/dev/null

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
gitrepo app-sparse app "  sparseCheckout: [apps, ./docs/]"
gitrepo app-submodules app "  recurseSubmodules: true"
gitrepo app-plain app
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
    tar tzf "$scratch/$1.tar.gz" | grep -v '/$' | sort | tr '\n' ' '
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

step "sparseCheckout: only the listed directories"
assert_eq "apps/web/web.yaml docs/notes.txt " "$(files app-sparse)" "sparse files"
assert_eq "apps ./docs/" "$(get app-sparse '{.status.observedSparseCheckout[*]}')" \
    "observedSparseCheckout"

step "recurseSubmodules: the submodule's files, fetched with the parent's credentials"
assert_contains "$(files app-submodules)" "vendor/lib/lib.yaml" "submodule content"
assert_not_contains "$(files app-plain)" "vendor/lib" "no submodule without recurseSubmodules"
assert_eq "true" "$(get app-submodules '{.status.observedRecurseSubmodules}')" \
    "observedRecurseSubmodules"
