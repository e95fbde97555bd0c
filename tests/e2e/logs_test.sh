#!/usr/bin/env bash
# tests/e2e/logs_test.sh: `eddy logs` (src/cli/logs.c) reading a real agent's log through the
# API server. The agent runs here and logs JSON, as in a cluster; the simulated node serves
# that log as the container log of a Pod labelled app=eddy (its annotation
# fakenode.eddy.dev/log-file), which the API server proxies as it would a kubelet's. Checked:
# the entries about -n's objects, --kind, --name, --level, -A (the agent's own entries), --tail,
# --since-time, -f while the agent works, and the errors (no agent Pod, bad flags, a user who
# may not read Pods' logs).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup e2e-logs logs
fns=e2e-logs-agent
new_namespace "$fns"
put app/configmap.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $ns}
data: {mode: blue}
YAML
commit "app"
agent --log-encoding json
kubectl -n "$fns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: eddy-7d9f8-x2x4q
  labels: {app: eddy}
  annotations: {fakenode.eddy.dev/log-file: "$scratch/ctl.log"}
spec:
  containers: [{name: manager, image: ghcr.io/eddy-gitops/eddy:latest}]
YAML
gitrepository
kustomization app ./app
kustomization broken ./missing
applied app "$(rev)"
ready_is broken False ArtifactFailed
logs() { "$eddy" logs --flux-namespace "$fns" "$@"; }
# has_line OUTPUT REGEX WHAT: a line of OUTPUT matches REGEX (extended, anchored by the caller).
has_line() { grep -qE "$2" <<<"$1" || fail "$3: no line matches /$2/ in:
$1"; }
# fails_with CODE TEXT CMD...: CMD exits with CODE and its output holds TEXT.
fails_with() {
    local code=$1 text=$2 rc=0
    shift 2
    OUT=$("$@" 2>&1) || rc=$?
    assert_eq "$code" "$rc" "exit code of '$*' (output: $OUT)"
    assert_contains "$OUT" "$text" "'$*'"
}
revision=$(rev)

step "the agent's entries carry Flux's keys"
has_line "$(cat "$scratch/ctl.log")" "\"controller\":\"kustomization\",\"controllerGroup\":\"kustomize.toolkit.fluxcd.io\",\"controllerKind\":\"Kustomization\",\"Kustomization\":\\{\"name\":\"app\",\"namespace\":\"$ns\"\\},\"namespace\":\"$ns\",\"name\":\"app\"" "controllerKind"
# success as kustomize-controller logs it: its duration and the interval, the revision as a key
has_line "$(cat "$scratch/ctl.log")" "\"msg\":\"Reconciliation finished in [0-9.]+(ns|µs|ms|s|m[0-9.]+s), next run in 10m0s\".*\"reconcileID\":\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\",\"revision\":\"$revision\"\\}\$" "reconcileID"
# a failure as kustomize-controller logs it: error level, its duration and the retry interval
# (ks_lib's retryInterval, 3s) in the message, the revision and the error as keys
has_line "$(cat "$scratch/ctl.log")" '^\{"level":"error",.*"msg":"Reconciliation failed after [0-9.]+(ns|µs|ms|s|m[0-9.]+s), next try in 3s",.*"name":"broken",.*"revision":"[^"]+",.*"error":"kustomization path not found' "Flux's failure line"

step "the entries about the objects of -n's namespace, one a line"
out=$(logs -n "$ns")
has_line "$out" "^20[0-9-]+T[0-9:.]+Z info Kustomization/app\.$ns - Reconciliation finished in [^,]+, next run in 10m0s \$" "applied"
has_line "$out" "^[^ ]+ info GitRepository/logs\.$ns - stored artifact for commit 'app' \$" "artifact"
has_line "$out" "^[^ ]+ error Kustomization/broken\.$ns - Reconciliation failed after [^,]+, next try in 3s kustomization path not found" "failure"
assert_not_contains "$out" "starting eddy controller" "the agent's own entries without -A"
assert_not_contains "$out" '{"level"' "raw entries"

step "--kind, --name, --level"
out=$(logs -n "$ns" --kind gitrepository)
assert_contains "$out" "GitRepository/logs.$ns" "--kind gitrepository"
assert_not_contains "$out" "Kustomization/" "--kind gitrepository"
out=$(logs -n "$ns" --kind Kustomization --name app)
assert_contains "$out" "Kustomization/app.$ns - Reconciliation finished in" "--name app"
assert_not_contains "$out" "broken" "--name app"
assert_not_contains "$out" "GitRepository/" "--kind Kustomization"
out=$(logs -n "$ns" --level error)
assert_contains "$out" "error Kustomization/broken.$ns - Reconciliation failed after" "--level error"
assert_not_contains "$out" " info " "--level error"
assert_eq "" "$(logs -n default --kind Kustomization)" "another namespace's entries"

step "-A: every namespace, and the agent's own entries"
out=$(logs -A)
has_line "$out" "^[^ ]+ info  - starting eddy controller \$" "-A"
assert_contains "$out" "Kustomization/app.$ns - Reconciliation finished in" "-A"

step "flux logs, the oracle, prints the same lines from the same Pod"
# flux finds its Pods through the Deployments labelled app.kubernetes.io/part-of=flux: one with
# no replicas whose Pod template's labels select the agent's Pod. The agent keeps logging, so
# the lines both print are compared up to the log's length when flux read it.
kubectl -n "$fns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: eddy
  labels: {app.kubernetes.io/part-of: flux}
spec:
  replicas: 0
  selector: {matchLabels: {app: eddy}}
  template:
    metadata: {labels: {app: eddy}}
    spec: {containers: [{name: manager, image: ghcr.io/eddy-gitops/eddy:latest}]}
YAML
flux=${FLUX_BIN:-$EDDY_ROOT/.bin/flux}
for args in "-n $ns" "-A" "-n $ns --kind Kustomization --name APP" "-A --level error"; do
    # shellcheck disable=SC2086 # the arguments are words
    theirs=$("$flux" logs --flux-namespace "$fns" $args)
    # (read whole, then cut: `logs | head` ends logs with SIGPIPE when head is done first)
    # shellcheck disable=SC2086
    all=$(logs $args)
    ours=$(head -n "$(wc -l <<<"$theirs")" <<<"$all")
    assert_eq "$theirs" "$ours" "eddy logs $args as flux logs"
done
assert_contains "$(logs -n "$ns" --name APP)" "Kustomization/app.$ns" "--name ignoring case, as flux"

step "--tail: the last lines; --since and --since-time"
assert_eq 1 "$(logs -A --tail 1 | wc -l)" "--tail 1"
# (the agent keeps logging: a line written between the two reads makes them differ, so the
# comparison is tried again; a wrong --tail never matches)
same_last() { [ "$(logs -A | tail -1)" = "$(logs -A --tail 1)" ]; }
retry 20 same_last
assert_eq "" "$(logs -A --since-time 2099-01-01T00:00:00Z)" "--since-time in the future"
assert_contains "$(logs -n "$ns" --since 1h)" "Kustomization/app.$ns" "--since 1h"

step "-f: entries as the agent writes them"
bg_start follow "$eddy" logs --flux-namespace "$fns" -n "$ns" --kind Kustomization --name later -f
kustomization later ./app
applied later "$revision"
_followed() { grep -q "info Kustomization/later.$ns - Reconciliation finished in" "$scratch/follow.log"; }
retry 30 _followed
assert_not_contains "$(cat "$scratch/follow.log")" "Kustomization/app." "-f --name later"
bg_stop follow

step "errors: no agent there, bad flags, no permission"
fails_with 1 "no eddy Pods (label app=eddy) in namespace $ns" "$eddy" logs --flux-namespace "$ns"
fails_with 1 "invalid argument \"loud\" for \"--level\" flag: unsupported log level 'loud', must be one of: debug, info, error" logs --level loud
fails_with 1 "--kind Deployment: expected a kind eddy serves" logs --kind Deployment
fails_with 1 'invalid argument "many" for "--tail" flag: strconv.ParseInt: parsing "many": invalid syntax' logs --tail many
fails_with 1 "--flux-namespace a/b: expected the name of a namespace" "$eddy" logs --flux-namespace a/b
fails_with 1 "--since and --since-time: give only one" logs --since 1h --since-time 2026-01-01T00:00:00Z
fails_with 1 "--since-time yesterday: expected an RFC 3339 time" logs --since-time yesterday
fails_with 1 "forbidden" "$eddy" logs --flux-namespace "$fns" --kubeconfig "$EDDY_USER_KUBECONFIG"
