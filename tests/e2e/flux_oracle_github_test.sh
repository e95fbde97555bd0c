#!/usr/bin/env bash
# tests/e2e/flux_oracle_github_test.sh: Flux's own source-controller (Flux 2.9.5's, built by
# hack/flux/build) as the oracle of eddy's GitHub App authentication (spec.provider: github).
# The same Secrets and GitRepositories (tests/e2e/github_lib.sh's cases) are made in two
# namespaces, one on Flux's shard and one on eddy's, against one GitHub API stand-in and one Git
# server that takes only the token it issues; for each pair the test compares the conditions
# (type, status, reason, message; the namespace made neutral) once both settled; and the same for
# ImageUpdateAutomations of three of them against Flux's image-automation-controller. One
# deliberate difference (README.md, GitRepository): a Secret with both installation keys
# (app-both), whose error Flux returns without a condition of its own, is AuthenticationFailed
# with that error in eddy's conditions: asserted as such on eddy's side, Flux's error found in
# its log and its Ready shown.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"
. "$EDDY_ROOT/tests/e2e/github_lib.sh"

nf=ghapp-flux
ne=ghapp-eddy
ns=$ne

step "CRDs, namespaces"
flux_source_crds
new_namespace "$nf"
new_namespace "$ne"
github_servers ghapp-oracle
github_secrets "$nf"
github_secrets "$ne"
github_cases "$nf" "shard: flux"
github_cases "$ne" "shard: eddy"

# automations NS SHARD: ImageUpdateAutomations of app-by-id, app-stranger and app-generic.
automations() {
    local spec
    for spec in "auto-by-id app-by-id" "auto-stranger app-stranger" "auto-generic app-generic"; do
        set -- "$1" "$2" $spec
        kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: $3, labels: {shard: $2}}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: $4}
  git:
    commit: {author: {name: eddy-bot, email: bot@eddy.dev}}
  update: {path: ./}
YAML
    done
}
automations "$nf" flux
automations "$ne" eddy

step "Flux's source-controller and image-automation-controller on shard flux, eddy's agent on shard eddy"
FLUX_NS=$nf flux_sc_start
FLUX_NS=$nf flux_iac_start
agent --watch-label-selector 'shard in (eddy)'

# conds NS NAME [KIND]: NAME's conditions, the namespace made neutral, when its Ready is about its
# generation and not Unknown (a failing one is retried, Unknown while a retry runs).
conds() {
    kubectl -n "$1" get "${3:-gitrepository}" "$2" -o json | jq -e -S --arg ns "$1" '
        .metadata.generation as $g
        | ([(.status.conditions // [])[] | select(.type == "Ready" and .observedGeneration == $g
             and .status != "Unknown")] | length == 1) as $settled
        | if $settled then
            [(.status.conditions // [])[] | {type, status, reason,
              message: (.message | gsub($ns; "NS"))}] | sort_by(.type)
          else false end'
}
settled() { conds "$@" >/dev/null; }

step "the same conditions as Flux's"
diffs=0
for c in app-by-id app-by-owner app-stranger app-no-key app-no-secret app-plain app-generic; do
    retry 120 settled "$nf" "$c"
    retry 120 settled "$ne" "$c"
    f=$(conds "$nf" "$c")
    e=$(conds "$ne" "$c")
    if [ "$f" != "$e" ]; then
        echo "differs: $c" >&2
        diff <(echo "$f") <(echo "$e") >&2 || true
        diffs=$((diffs + 1))
    fi
done

for c in auto-by-id auto-stranger auto-generic; do
    retry 120 settled "$nf" "$c" imageupdateautomation
    retry 120 settled "$ne" "$c" imageupdateautomation
    f=$(conds "$nf" "$c" imageupdateautomation)
    e=$(conds "$ne" "$c" imageupdateautomation)
    if [ "$f" != "$e" ]; then
        echo "differs: $c" >&2
        diff <(echo "$f") <(echo "$e") >&2 || true
        diffs=$((diffs + 1))
    fi
done

step "both installation keys: Flux's error in its log, eddy's in its conditions"
msg="secret 'NS/both' must contain exactly one of 'githubAppInstallationOwner' or 'githubAppInstallationID'"
retry 60 grep -qF "${msg//NS/$nf}" "$scratch/flux-sc.log"
echo "Flux's conditions of app-both: $(kubectl -n "$nf" get gitrepository app-both \
    -o jsonpath='{.status.conditions}')" >&2
retry 60 settled "$ne" app-both
assert_eq "AuthenticationFailed:$msg" \
    "$(conds "$ne" app-both | jq -r '.[] | select(.type == "Ready") | "\(.reason):\(.message)"')" \
    "eddy's app-both"
[ "$diffs" -eq 0 ] || fail "$diffs objects differ from Flux's (above)"
