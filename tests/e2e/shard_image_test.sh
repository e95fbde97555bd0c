#!/usr/bin/env bash
# tests/e2e/shard_image_test.sh: sharding (--watch-label-selector) of the image kinds, with two
# eddy agents (Flux's image controllers are not among the oracles: their modules are not
# served): agent a on `shard in (a)`, agent b on `shard in (b)`, both in one lease namespace
# without --leader-election-id, so each leads its own lease as Flux names a shard's
# (leaderelection.GenerateID: the default name and 8 hex digits of the selector's sha256).
#
# Objects on shard "none" (no agent's) must never be written, whatever route queues them in
# agent a: an ImageRepository, ImagePolicy and ImageUpdateAutomation relabeled from a to none
# with a new spec (the informer's deletion, then their requeue and retry timers), an ImagePolicy
# of shard none on a's ImageRepository when that repository finds a new tag, an
# ImageUpdateAutomation of shard none selecting a's policy and reading a's GitRepository when
# both change. They keep their resourceVersion and get no Event. An automation of shard b
# selects shard a's policy, as Flux's image-automation-controller, whose cache of ImagePolicies is
# not sharded, does.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup shard-image shard-image
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/imagerepositories.image.toolkit.fluxcd.io crd/imagepolicies.image.toolkit.fluxcd.io \
    crd/imageupdateautomations.image.toolkit.fluxcd.io >/dev/null
for tag in 1.0.0 1.1.0; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" shard/web "$tag" >/dev/null
done
put deploy/app.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data:
  image: $EDDY_REGISTRY/shard/web:1.0.0 # {"\$imagepolicy": "$ns:p-a"}
YAML
commit one

# on SHARD KIND NAME SPEC-LINES: an image object NAME of KIND on SHARD.
on() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: $2
metadata: {name: $3, labels: {shard: $1, team: apps}}
spec:
$4
YAML
}
image_repo() { on "$1" ImageRepository "$2" "  image: $EDDY_REGISTRY/shard/web
  interval: ${3:-10m}
  insecure: true"; }
policy() { on "$1" ImagePolicy "$2" "  imageRepositoryRef: {name: $3}
  policy: {semver: {range: '>=1.0.0'}}"; }
automation() { on "$1" ImageUpdateAutomation "$2" "  interval: ${4:-10m}
  sourceRef: {kind: GitRepository, name: $3}
  policySelector: {matchLabels: {team: apps}}
  update: {path: ./deploy, strategy: Setters}
  git:
    commit: {author: {email: bot@eddy.dev}}
    push: {branch: ${5:-main}}"; }

gitrepository g-a "{shard: a}"
image_repo a r-a
image_repo b r-b
image_repo a r-moved 3s
policy a p-a r-a
policy b p-b r-b
policy a p-moved r-a
policy none p-none r-a
# (an automation that fails at once: its sourceRef does not exist; retried on a short backoff)
automation a u-moved absent
automation none u-none g-a

step "two agents, on shards a and b, in one lease namespace without --leader-election-id"
# agent_on NAME SELECTOR: `eddy controller` (log $scratch/NAME.log) on SELECTOR's shard.
agent_on() {
    local port
    port=$(free_port)
    mkdir -p "$scratch/storage-$1"
    bg_start "$1" "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
        --log-level debug --leader-election-namespace "$ns" \
        --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
        --leader-election-retry-period 500ms --storage-path "$scratch/storage-$1" \
        --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
        --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)" \
        --min-retry-delay 1s --max-retry-delay 2s --watch-label-selector "$2"
}
agent_on ctl-a 'shard in (a)'
agent_on ctl-b 'shard in (b)'
lease_of() { echo "eddy-leader-election-$(printf %s "$1" | sha256sum | cut -c1-8)"; }
holder() { kubectl -n "$ns" get lease "$1" -o jsonpath='{.spec.holderIdentity}'; }
retry 60 holder "$(lease_of 'shard in (a)')"
retry 60 holder "$(lease_of 'shard in (b)')"
assert_ne "$(holder "$(lease_of 'shard in (a)')")" "$(holder "$(lease_of 'shard in (b)')")" \
    "each shard's lease held by its own agent"

ready() {
    [ "$(kubectl -n "$ns" get "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
        = "${2:-True}" ]
}
for o in imagerepository/r-a imagerepository/r-b imagerepository/r-moved imagepolicy/p-a \
    imagepolicy/p-b imagepolicy/p-moved gitrepository/g-a; do
    retry 90 ready "$o"
done
retry 60 ready imageupdateautomation/u-moved False
# (the automation of shard none never runs; p-none has no conditions)
assert_eq "" "$(kubectl -n "$ns" get imagepolicy p-none -o jsonpath='{.status.conditions}')" \
    "the policy of no shard has no conditions"
assert_eq "" "$(kubectl -n "$ns" get imageupdateautomation u-none -o jsonpath='{.status.conditions}')" \
    "the automation of no shard has no conditions"

step "relabeled out of shard a with a new spec; the other routes fired at shard none"
declare -A rv_left
# left OBJ RV: OBJ's resourceVersion before the routes fire.
left() { rv_left[$1]=$2; }
events_about() {
    kubectl -n "$ns" get events -o json | jq -r --arg names " $* " \
        '.items[] | .involvedObject.name as $n | select($names | contains(" " + $n + " ")) |
        "\(.involvedObject.kind)/\(.involvedObject.name) \(.reason) x\(.count)"' | sort
}
relabel() {
    kubectl -n "$ns" patch "$1" --type merge \
        -p "{\"metadata\":{\"labels\":{\"shard\":\"none\"}},\"spec\":$2}" >/dev/null
}
relabel imagerepository/r-moved '{"interval":"4s"}'
relabel imagepolicy/p-moved '{"policy":{"semver":{"range":">=1.1.0"}}}'
relabel imageupdateautomation/u-moved '{"interval":"5m"}'
# Agent a's reconcile of a relabeled object that was running at the relabel may still write;
# the key queued by the relabel (the informer's deletion) runs after it and leaves the object
# alone: from then on nothing may be written.
# left_alone NAME: agent a left NAME alone.
left_alone() { grep -q "left alone: another shard's.* name=$1 " "$scratch/ctl-a.log"; }
for o in r-moved p-moved u-moved; do
    retry 30 left_alone "$o"
done
names="r-moved p-moved u-moved p-none u-none"
events_before=$(events_about $names)
for o in imagerepository/r-moved imagepolicy/p-moved imageupdateautomation/u-moved \
    imagepolicy/p-none imageupdateautomation/u-none; do
    left "$o" "$(kubectl -n "$ns" get "$o" -o jsonpath='{.metadata.resourceVersion}')"
done
# r-a finds a new tag (p-a, p-moved's and p-none's repository), so p-a moves (which queues the
# automations selecting it), and a new commit on g-a (u-none's source).
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" shard/web 1.2.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/r-a \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
put deploy/other.yaml <<<"kind: Other"
commit two
kubectl -n "$ns" annotate --overwrite gitrepository/g-a \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
latest() { [ "$(kubectl -n "$ns" get imagepolicy p-a -o jsonpath='{.status.latestRef.tag}')" = 1.2.0 ]; }
retry 60 latest
# Long enough for the relabeled objects' timers (3 s, the 1-2 s retries) to fire more than once.
sleep 8

step "shard none's objects: same resourceVersion, no Event since"
for o in "${!rv_left[@]}"; do
    assert_eq "${rv_left[$o]}" "$(kubectl -n "$ns" get "$o" -o jsonpath='{.metadata.resourceVersion}')" \
        "$o's resourceVersion (nobody writes it from there on)"
done
assert_eq "$events_before" "$(events_about $names)" "Events about shard none's objects"

step "an automation of shard b selects shard a's policy, as Flux's (its ImagePolicy cache is not sharded)"
kubectl -n "$ns" label imagepolicy p-a pick=b >/dev/null
on b ImageUpdateAutomation u-b "  interval: 10m
  sourceRef: {kind: GitRepository, name: g-a}
  policySelector: {matchLabels: {pick: b}}
  update: {path: ./deploy, strategy: Setters}
  git:
    commit: {author: {email: bot@eddy.dev}}
    push: {branch: main}"
observed() {
    [ "$(kubectl -n "$ns" get imageupdateautomation u-b \
        -o jsonpath='{.status.observedPolicies.p-a.tag}')" = 1.2.0 ]
}
retry 60 observed
git -C "$work" pull -q origin main 2>/dev/null
assert_contains "$(cat "$work/deploy/app.yaml")" "$EDDY_REGISTRY/shard/web:1.2.0" \
    "agent b's automation wrote shard a's policy's tag"
