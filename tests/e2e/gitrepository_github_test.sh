#!/usr/bin/env bash
# tests/e2e/gitrepository_github_test.sh: GitHub App authentication (spec.provider: github) in
# the real agent: a stand-in for GitHub's API over HTTPS (tests/e2e/github_api.py) checks the
# App's JWT with its public key and issues an installation token, and a real Git server
# (lighttpd + git-http-backend over HTTPS) accepts that token alone, as user x-access-token.
# Checked: a clone with the installation named by ID and by owner (looked up on the org), the
# token cached across reconciles (one token request per App), the API's refusal of a JWT signed
# with another key, Flux's conditions and words for an incomplete Secret, a missing secretRef, a
# Secret without App data and App data without the provider; an ImageUpdateAutomation of such
# GitRepositories (its checkout with the token, the API's refusal, App data without the
# provider, in image-automation-controller's words); the token in no status, event or log line.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/github_lib.sh"

eddy=$EDDY_BIN
ns=gitrepo-github-e2e
scratch=$EDDY_E2E_SCRATCH

step "CRDs and namespace"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"

github_servers ghapp
first=$github_first
# The server wants the token: a wrong password (or none) is refused.
assert_fails "a clone without the token" env GIT_SSL_CAINFO="$scratch/tls.crt" \
    git clone -q "https://x-access-token:nope@127.0.0.1:$gitport/git/ghapp.git" "$scratch/nope"

step "Secrets and GitRepositories"
github_secrets "$ns"
github_cases "$ns"

step "the agent"
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --log-level debug \
    --leader-election-namespace default --leader-election-id "eddy-ghapp-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
    --storage-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$(free_port)"

get() { kubectl -n "$ns" get gitrepository "$1" -o "jsonpath=$2"; }
cond() { get "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }

step "cloned with the installation token: by ID, and by owner (the org's installation)"
for r in app-by-id app-by-owner; do
    kubectl -n "$ns" wait gitrepository/$r --for=condition=Ready --timeout=60s >/dev/null
    assert_eq "main@sha1:$first" "$(get $r '{.status.artifact.revision}')" "$r revision"
done
assert_eq 1 "$(grep -c '^GET /api/v3/orgs/acme/installation 200$' "$scratch/api.log")" \
    "the owner's installation looked up once"
assert_eq 2 "$(grep -c '^POST /api/v3/app/installations/777/access_tokens 201$' "$scratch/api.log")" \
    "one token per App data (the two Secrets differ)"

step "the token is cached: a new reconcile asks the API for nothing"
git -C "$scratch/work" commit -q --allow-empty -m second
git -C "$scratch/work" push -q origin HEAD:main
second=$(git -C "$scratch/work" rev-parse HEAD)
issued() { grep -c 'access_tokens 201$' "$scratch/api.log"; }
calls=$(issued)
kubectl -n "$ns" annotate --overwrite gitrepository/app-by-id reconcile.fluxcd.io/requestedAt=again >/dev/null
kubectl -n "$ns" wait gitrepository/app-by-id --timeout=60s \
    --for=jsonpath='{.status.artifact.revision}'="main@sha1:$second" >/dev/null
assert_eq "$calls" "$(issued)" "no new token for the second fetch"

step "a JWT signed with another key: the API's 401, in Flux's words"
kubectl -n "$ns" wait gitrepository/app-stranger --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=AuthenticationFailed >/dev/null
assert_eq "failed to configure authentication options: POST $api/app/installations/777/access_tokens: 401 A JSON web token could not be decoded []" \
    "$(cond app-stranger Ready message)" "the API's refusal"
assert_eq "AuthenticationFailed" "$(cond app-stranger FetchFailed reason)" "FetchFailed"
assert_eq "" "$(get app-stranger '{.status.artifact}')" "no artifact"

step "an incomplete Secret, a missing secretRef, a Secret without App data"
kubectl -n "$ns" wait gitrepository/app-both --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=AuthenticationFailed >/dev/null
assert_eq "secret '$ns/both' must contain exactly one of 'githubAppInstallationOwner' or 'githubAppInstallationID'" \
    "$(cond app-both Ready message)" "owner and ID both"
missing="secretRef with github app data must be specified when provider is set to github"
kubectl -n "$ns" wait gitrepository/app-no-secret --for=condition=Stalled --timeout=60s >/dev/null
for c in Ready Stalled FetchFailed; do
    assert_eq "InvalidProviderConfiguration" "$(cond app-no-secret $c reason)" "no secretRef: $c"
    assert_eq "$missing" "$(cond app-no-secret $c message)" "no secretRef: $c message"
done
kubectl -n "$ns" wait gitrepository/app-plain --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=InvalidProviderConfiguration \
    >/dev/null
assert_eq "$missing" "$(cond app-plain Ready message)" "a Secret without App data"
assert_eq "" "$(cond app-plain Stalled status)" "not stalled: the Secret may change"
# Without its private key (or App ID) a Secret holds no App data, as Flux reads it.
kubectl -n "$ns" wait gitrepository/app-no-key --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=InvalidProviderConfiguration \
    >/dev/null
assert_eq "$missing" "$(cond app-no-key Ready message)" "no private key"

step "App data without the provider"
kubectl -n "$ns" wait gitrepository/app-generic --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=InvalidProviderConfiguration \
    >/dev/null
assert_eq "secretRef '$ns/by-id' has github app data but provider is not set to github" \
    "$(cond app-generic Ready message)" "Flux's hint"

step "the image update automation clones with the App's token too"
for spec in "auto-by-id app-by-id" "auto-stranger app-stranger" "auto-generic app-generic"; do
    set -- $spec
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: $1}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: $2}
  git:
    commit: {author: {name: eddy-bot, email: bot@eddy.dev}}
  update: {path: ./}
YAML
done
auto() { kubectl -n "$ns" get imageupdateautomation "$1" -o "jsonpath=$2"; }
kubectl -n "$ns" wait imageupdateautomation/auto-by-id --for=condition=Ready --timeout=60s >/dev/null
assert_eq "main@sha1:$second" "$(auto auto-by-id '{.status.observedSourceRevision}')" \
    "the checkout's revision"
kubectl -n "$ns" wait imageupdateautomation/auto-stranger --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=SourceManagerFailed >/dev/null
assert_eq "failed configuring source manager: failed to configure authentication options: POST $api/app/installations/777/access_tokens: 401 A JSON web token could not be decoded []" \
    "$(auto auto-stranger '{.status.conditions[?(@.type=="Ready")].message}')" "the API's refusal"
kubectl -n "$ns" wait imageupdateautomation/auto-generic --timeout=60s \
    --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].reason}'=InvalidSourceConfiguration \
    >/dev/null
assert_eq "secretRef '$ns/by-id' has github app data but provider is not set to github: invalid source configuration" \
    "$(auto auto-generic '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's hint"

step "the token is nowhere to be read"
assert_not_contains "$(kubectl -n "$ns" get gitrepositories,imageupdateautomations,events -o yaml)" "$token" \
    "status and events"
assert_not_contains "$(cat "$scratch/ctl.log")" "$token" "the agent's log"
assert_contains "$(cat "$scratch/ctl.log")" "GitHub App token from the cache" "the cache, logged"
