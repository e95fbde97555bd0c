#!/usr/bin/env bash
# tests/e2e/shard_test.sh: sharding by --watch-label-selector, as Flux's contract has it: a
# controller reconciles only the objects its selector matches, and never writes another shard's
# (no status, finalizer, Event or artifact), whatever queued the key.
#
# A selector flag that does not parse stops the agent at once, with the log line and exit code 1
# of Flux's controllers (kustomize-controller's and source-controller's main.go): for a list of
# bad selectors, Flux's own kustomize-controller is the oracle of the exit status and of the
# line's msg, logger and error (Kubernetes' parser's message).
#
# Then Flux's own source-controller (Flux 2.9.5's, built by hack/flux/build) runs on shard flux
# and eddy's agent on shard eddy, with GitRepositories, OCIRepositories and Kustomizations on
# both: each shard's sources get their artifact from its own controller (the artifact's URL
# names the server), and a GitRepository that includes the other shard's one is told, on both
# sides, that it is not found (Flux's cache holds only its shard). Flux is then stopped, so
# that any later write to a flux-shard object can only be eddy's, and every route by which eddy
# queues a key is fired at the flux shard's objects: a GitRepository, an OCIRepository and a
# Kustomization relabeled out of eddy's shard with their spec changed (the informer's deletion,
# then the requeue timers), a new revision of an eddy-shard GitRepository that a flux-shard
# GitRepository includes and a flux-shard Kustomization reads, the Secret they use, and
# reconcile requests. The flux shard's objects keep their resourceVersion and get no Event.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

step "a selector flag that does not parse: Flux's log line, exit 1, before any request"
# (no kubeconfig: the selector is refused before the configuration is read)
assert_fails "a bad --watch-label-selector" "$eddy" controller --kubeconfig /nonexistent \
    --watch-label-selector 'shard in (eddy'
assert_contains "$OUT" '"msg":"unable to configure watch label selector for manager"' \
    "Flux's message"
assert_contains "$OUT" '"logger":"setup"' "Flux's logger"
assert_contains "$OUT" \
    "couldn't parse the selector string \\\"shard in (eddy\\\": unable to parse requirement: found '', expected: ',' or ')'" \
    "Kubernetes' parse error"
assert_not_contains "$OUT" "kubeconfig" "refused before the configuration is read"
code=0
"$eddy" controller --kubeconfig /nonexistent --watch-label-selector 'shard!=flux' >/dev/null 2>&1 ||
    code=$?
assert_eq 1 "$code" "the exit code of a bad selector"
assert_fails "!= in --watch-label-selector" "$eddy" controller --kubeconfig /nonexistent \
    --watch-label-selector 'shard!=flux'
assert_contains "$OUT" '\"!=\" is not a valid label selector operator' \
    "a LabelSelector has no != (Flux's ParseToLabelSelector)"
assert_fails "a bad --watch-configs-label-selector" "$eddy" controller \
    --kubeconfig /nonexistent --watch-configs-label-selector 'team in'
assert_contains "$OUT" \
    '"msg":"unable to configure watch configs label selector for controller"' "Flux's message"
assert_contains "$OUT" "unable to parse requirement: found '' expected: '('" \
    "Kubernetes' parse error"

step "bad selectors against Flux's own kustomize-controller: the same log line and exit status"
[ -x "$flux_kc" ] || fail "$flux_kc missing: run hack/flux/build"
# refusal BINARY FLAG SELECTOR: the exit status, and the msg, logger and error of the line in
# which BINARY refuses the selector (an unusable $KUBECONFIG for both; Flux's has no
# --kubeconfig flag, eddy's is given one).
refusal() {
    local out code=0 args=("$2=$3" --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0)
    [ "$1" = "$flux_kc" ] || args=(controller --kubeconfig /nonexistent "${args[@]}")
    out=$(cd "$scratch" && KUBECONFIG=/nonexistent timeout 20 "$1" "${args[@]}" 2>&1) || code=$?
    printf '%s %s\n' "$code" "$(grep -F 'label selector' <<<"$out" | jq -c '{msg, logger, error}')"
}
# same_refusal FLAG SELECTOR
same_refusal() {
    local ours
    ours=$(refusal "$eddy" "$1" "$2")
    assert_contains "$ours" '1 {"msg":"unable to configure watch' "eddy refuses $1 '$2'"
    assert_eq "$(refusal "$flux_kc" "$1" "$2")" "$ours" "$1 '$2' (Flux's, then eddy's)"
}
for sel in 'shard in (eddy' 'shard!=flux' 'n>1' 'a b' ',a' 'a,,b' '-a=b' 'Shard.IO/x=1' 'a/' \
    'a/b/c' 'a in (z_,b_)' 'a in (b c)' 'x=(' 'a=b"c' 'a\b=c' 'k in (é,ok)' "a=$(printf 'x\001')" \
    "a=$(printf '\xc2\xa0')"; do
    same_refusal --watch-label-selector "$sel"
done
# (a bad key or value quoted as Go's %q quotes it)
for sel in 'team in' '!a=b' 'a>b_' 'a=b"c'; do
    same_refusal --watch-configs-label-selector "$sel"
done

step "CRDs: eddy's, and the source kinds Flux's source-controller watches besides"
ks_setup shard shard
flux_source_crds
put app/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: shard-app}
data: {a: "1"}
YAML
commit one

# repo NAME SHARD [SPEC-LINES]: a GitRepository of $repo on SHARD.
repo() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1, labels: {shard: $2}}
spec:
  interval: ${INTERVAL:-10m}
  url: $EDDY_GIT_HTTP_URL/$repo.git
  ref: {branch: main}
  secretRef: {name: git-auth}
${3:-}
YAML
}
# ks NAME SHARD SOURCE: a Kustomization of SOURCE's ./app on SHARD.
ks() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $1, labels: {shard: $2}}
spec:
  interval: ${INTERVAL:-10m}
  path: ./app
  prune: true
  targetNamespace: $ns
  sourceRef: {kind: GitRepository, name: $3}
YAML
}
# oci NAME SHARD [INTERVAL]: an OCIRepository of the test registry's shard/app:1.0.0 on SHARD.
oci() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: $1, labels: {shard: $2}}
spec:
  interval: ${3:-10m}
  url: oci://$EDDY_REGISTRY/shard/app
  ref: {tag: 1.0.0}
  insecure: true
YAML
}
mkdir -p "$scratch/oci"
echo "kind: ConfigMap" >"$scratch/oci/cm.yaml"
out=$("$eddy" push artifact "oci://$EDDY_REGISTRY/shard/app:1.0.0" --path "$scratch/oci" \
    --source https://git.example/app --revision "main@sha1:1" 2>&1) || fail "push artifact: $out"
oci o-eddy eddy
oci o-flux flux
oci o-moved eddy 3s
repo g-eddy eddy
repo g-flux flux
INTERVAL=3s repo moved eddy
repo inc-flux flux "  include:
  - repository: {name: g-eddy}
    toPath: deps"
repo inc-eddy eddy "  include:
  - repository: {name: g-flux}
    toPath: deps"
INTERVAL=3s ks k-moved eddy g-eddy
ks k-flux flux g-eddy

step "Flux's source-controller on shard flux, eddy's agent on shard eddy"
FLUX_NS=$ns FLUX_SELECTOR='shard in (flux)' flux_sc_start
agent --watch-label-selector 'shard in (eddy)'

# url_of KIND NAME: the URL of NAME's artifact.
url_of() { kubectl -n "$ns" get "$1" "$2" -o jsonpath='{.status.artifact.url}'; }
has_artifact() { [ -n "$(url_of "$1" "$2")" ]; }
for o in gitrepository/g-eddy gitrepository/g-flux gitrepository/moved ocirepository/o-eddy \
    ocirepository/o-flux ocirepository/o-moved; do
    retry 120 has_artifact "${o%/*}" "${o#*/}"
done
for o in gitrepository/g-flux ocirepository/o-flux; do
    assert_contains "$(url_of "${o%/*}" "${o#*/}")" "127.0.0.1:$flux_sc_port/" \
        "$o's artifact is Flux's"
done
for o in gitrepository/g-eddy gitrepository/moved ocirepository/o-eddy ocirepository/o-moved; do
    assert_not_contains "$(url_of "${o%/*}" "${o#*/}")" "127.0.0.1:$flux_sc_port/" \
        "$o's artifact is eddy's"
done
applied k-moved "$(rev)"
kubectl -n "$ns" get configmap shard-app >/dev/null || fail "k-moved applied ./app"

step "an include of the other shard's GitRepository: not found on either side, as Flux's cache has it"
# ready_of NAME: NAME's Ready condition as "status reason message", the other shard's repository
# named "OTHER".
ready_of() {
    kubectl -n "$ns" get gitrepository "$1" -o json | jq -r '(.status.conditions // [])[] |
        select(.type == "Ready") | "\(.status) \(.reason) \(.message)"' |
        sed -e 's/g-eddy/OTHER/g' -e 's/g-flux/OTHER/g'
}
ready_false() { [[ "$(ready_of "$1")" == False* ]]; }
retry 60 ready_false inc-flux
retry 60 ready_false inc-eddy
assert_eq "$(ready_of inc-flux)" "$(ready_of inc-eddy)" "the Ready condition of an include of the other shard"

step "Flux stopped: what changes on the flux shard from now on is eddy's doing"
# (inc-flux waits on g-eddy, which Flux's cache does not hold: let Flux finish its writes)
sleep 3
flux_sc_stop
# The resourceVersion each flux-shard object has after the test's own last write to it (the
# writes below return it), which eddy must leave as it is.
declare -A rv_left
left() { rv_left[$1]=$2; }
for o in gitrepository/g-flux gitrepository/inc-flux kustomization/k-flux; do
    left "$o" "$(kubectl -n "$ns" get "$o" -o jsonpath='{.metadata.resourceVersion}')"
done
# events_about NAMES...: the Events of this namespace about those objects, as "reason name".
events_about() {
    kubectl -n "$ns" get events -o json | jq -r --arg names " $* " \
        '.items[] | .involvedObject.name as $n | select($names | contains(" " + $n + " ")) |
        select(.involvedObject.kind == "GitRepository" or .involvedObject.kind == "OCIRepository" or
               .involvedObject.kind == "Kustomization") |
        "\(.involvedObject.kind)/\(.involvedObject.name) \(.reason) x\(.count)"' | sort
}

step "relabeled out of eddy's shard, with a new spec: neither reconciled nor written again"
for o in gitrepository/moved kustomization/k-moved ocirepository/o-moved; do
    kubectl -n "$ns" patch "$o" --type merge \
        -p '{"metadata":{"labels":{"shard":"flux"}},"spec":{"interval":"4s"}}' >/dev/null
done
# A reconcile of a relabeled object that was running at the relabel may still write; the key
# queued by the relabel (the informer's deletion) runs after it and leaves the object alone:
# from then on nothing may be written.
left_alone() { grep -q "left alone: another shard's.* name=$1 " "$scratch/ctl.log"; }
retry 30 left_alone moved
retry 30 left_alone k-moved
retry 30 left_alone o-moved
events_before=$(events_about g-flux inc-flux k-flux moved k-moved o-flux o-moved)
for o in gitrepository/moved kustomization/k-moved ocirepository/o-moved ocirepository/o-flux; do
    left "$o" "$(kubectl -n "$ns" get "$o" -o jsonpath='{.metadata.resourceVersion}')"
done
gen_moved=$(kubectl -n "$ns" get gitrepository moved -o jsonpath='{.metadata.generation}')

step "the other routes: a new revision of an included source and of a read one, a Secret, requests"
put app/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: shard-app}
data: {a: "2"}
YAML
commit two
kubectl -n "$ns" annotate --overwrite gitrepository g-eddy \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
kubectl -n "$ns" patch secret git-auth --type merge -p '{"metadata":{"labels":{"rotated":"1"}}}' \
    >/dev/null
for o in gitrepository/g-flux gitrepository/inc-flux kustomization/k-flux; do
    left "$o" "$(kubectl -n "$ns" annotate --overwrite "$o" -o jsonpath='{.metadata.resourceVersion}' \
        reconcile.fluxcd.io/requestedAt="$(date +%s%N)")"
done
rev_of() { kubectl -n "$ns" get gitrepository "$1" -o jsonpath='{.status.artifact.revision}'; }
at_rev() { [ "$(rev_of "$1")" = "$(rev)" ]; }
retry 60 at_rev g-eddy
# Long enough for the relabeled objects' old timers (3 s) to fire twice, and for what g-eddy's
# new artifact queues to run.
sleep 9

step "the flux shard's objects: same resourceVersion, no Event since"
for o in "${!rv_left[@]}"; do
    assert_eq "${rv_left[$o]}" "$(kubectl -n "$ns" get "$o" -o jsonpath='{.metadata.resourceVersion}')" \
        "$o's resourceVersion (nobody writes it from there on)"
done
assert_eq "$events_before" "$(events_about g-flux inc-flux k-flux moved k-moved o-flux o-moved)" \
    "Events about the flux shard's objects"
assert_ne "$gen_moved" \
    "$(kubectl -n "$ns" get gitrepository moved -o jsonpath='{.status.observedGeneration}')" \
    "moved's status is not about its new spec (nobody reconciled it)"
kubectl -n "$ns" get configmap shard-app -o jsonpath='{.data.a}' | grep -qx 1 ||
    fail "k-moved applied the new revision after it left eddy's shard"
