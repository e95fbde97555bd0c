#!/usr/bin/env bash
# tests/e2e/gitrepository_timeout_test.sh: GitRepository spec.timeout bounds every Git operation
# (issue 5). Against tests/e2e/gitstall.py: a server that accepts and never answers, reached
# over http:// and ssh://, and one that answers the ref advertisement and then stalls the
# fetch. With `timeout: 2s` each is Ready=False, reason GitOperationFailed, "timed out after
# 2s", within a few seconds; meanwhile the agent keeps reconciling a healthy repository.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=gitrepo-timeout-e2e
scratch=$EDDY_E2E_SCRATCH

step "CRDs and namespace"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/gitrepositories.source.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"

step "a healthy repository, and a local one the stalling server advertises"
new_repo timeout-fleet
git clone -q "$(git_http_url timeout-fleet)" "$scratch/work" 2>/dev/null
commit() {
    echo "$1" >"$scratch/work/file.txt"
    git -C "$scratch/work" add -A && git -C "$scratch/work" commit -qm "$1" &&
        git -C "$scratch/work" push -q origin HEAD:main
}
commit one
git clone -q --bare "$scratch/work" "$scratch/stalled.git"
git_auth_secret "$ns"
ssh-keygen -q -t ed25519 -N '' -f "$scratch/id"
echo "127.0.0.1 $(cut -d' ' -f1,2 "$scratch/id.pub")" >"$scratch/known_hosts"
kubectl -n "$ns" create secret generic ssh-auth --from-file=identity="$scratch/id" \
    --from-file=known_hosts="$scratch/known_hosts" >/dev/null

step "the stalling servers"
mkdir -p "$scratch/stall"
ready=$scratch/stall/ports
bg_start gitstall python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" --ready-file "$ready" \
    --repo "$scratch/stalled.git"
wait_ready "$scratch/gitstall.pid" 30 "the stalling server" test -s "$ready" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall.log")"
silent=$(sed -n 's/^silent=//p' "$ready")
http=$(sed -n 's/^http=//p' "$ready")
# A client that does not time out really hangs there (the test would be meaningless otherwise).
assert_fails "a client without a timeout at the silent server" timeout 3 curl -s "http://127.0.0.1:$silent/x.git/info/refs?service=git-upload-pack"
out=$(timeout 5 git ls-remote "http://127.0.0.1:$http/stalled.git" 2>&1) ||
    fail "the stalling server's advertisement is not valid: $out"
assert_contains "$out" "refs/heads/main" "the advertisement"

# The silent server as an HTTP proxy: the fetch goes through eddy's libcurl transport.
kubectl -n "$ns" create secret generic silent-proxy \
    --from-literal=address="http://127.0.0.1:$silent" >/dev/null

gitrepo() { # NAME URL TIMEOUT SECRET [PROXY-SECRET]
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1}
spec:
  interval: 1m
  url: $2
  ref: {branch: main}
  ${3:+timeout: $3}
  secretRef: {name: $4}
  ${5:+proxySecretRef:}
  ${5:+  name: $5}
YAML
}
gitrepo silent-http "http://127.0.0.1:$silent/x.git" 2s git-auth
gitrepo silent-ssh "ssh://git@127.0.0.1:$silent/x.git" 2s ssh-auth
gitrepo stalled-fetch "http://127.0.0.1:$http/stalled.git" 2s git-auth
gitrepo silent-proxy "$EDDY_GIT_HTTP_URL/timeout-fleet.git" 2s git-auth silent-proxy
gitrepo fleet "$EDDY_GIT_HTTP_URL/timeout-fleet.git" "" git-auth

step "the agent"
started=$(date +%s)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-gittimeout-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
    --storage-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$(free_port)"

get() { kubectl -n "$ns" get gitrepository "$1" -o "jsonpath=$2"; }
ready_of() { get "$1" "{.status.conditions[?(@.type==\"Ready\")].$2}"; }

step "the healthy repository is Ready"
kubectl -n "$ns" wait gitrepository/fleet --for=condition=Ready --timeout=60s >/dev/null
first=$(git -C "$scratch/work" rev-parse HEAD)
assert_eq "main@sha1:$first" "$(get fleet '{.status.artifact.revision}')" "revision"

step "each stalling repository: Ready=False, GitOperationFailed, timed out after 2s"
for name in silent-http silent-ssh stalled-fetch silent-proxy; do
    kubectl -n "$ns" wait "gitrepository/$name" --timeout=30s \
        --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False >/dev/null ||
        fail "$name: no Ready=False: $(get "$name" '{.status.conditions}')"
    assert_eq "GitOperationFailed" "$(ready_of "$name" reason)" "$name reason"
    assert_contains "$(ready_of "$name" message)" "timed out after 2s" "$name message"
done
elapsed=$(($(date +%s) - started))
echo "    all four timed out within ${elapsed}s of the agent's start"
# Each fetch is cut at 2 s; with four workers the four run side by side, so well under the
# 60 s of the default timeout even counting the agent's start-up and leader election.
[ "$elapsed" -le 30 ] || fail "the timeouts took ${elapsed}s"
assert_contains "$(ready_of silent-http message)" \
    "failed to checkout and determine revision: connect to 'http://127.0.0.1:$silent/x.git'" \
    "where the http fetch stopped"
assert_contains "$(ready_of stalled-fetch message)" \
    "failed to checkout and determine revision: fetch 'http://127.0.0.1:$http/stalled.git'" \
    "the stalled fetch stopped after the ref listing"
[ -s "$scratch/stall/http.count" ] || fail "the advertising server was never reached"

step "the agent keeps working: a new commit on the healthy repository arrives"
commit two
second=$(git -C "$scratch/work" rev-parse HEAD)
kubectl -n "$ns" annotate --overwrite gitrepository/fleet \
    "reconcile.fluxcd.io/requestedAt=$(date +%s%N)" >/dev/null
kubectl -n "$ns" wait gitrepository/fleet --timeout=30s \
    --for=jsonpath="{.status.artifact.revision}=main@sha1:$second" >/dev/null ||
    fail "the new commit did not arrive: $(get fleet '{.status}')"

step "a stalled one asked to reconcile again times out again, in about 2 s"
before=$(ready_of silent-ssh lastTransitionTime)
token=again-$(date +%s%N)
t0=$(date +%s%N)
kubectl -n "$ns" annotate --overwrite gitrepository/silent-ssh \
    "reconcile.fluxcd.io/requestedAt=$token" >/dev/null
kubectl -n "$ns" wait gitrepository/silent-ssh --timeout=30s \
    --for=jsonpath="{.status.lastHandledReconcileAt}=$token" >/dev/null
took_ms=$((($(date +%s%N) - t0) / 1000000))
echo "    the second ssh attempt was handled after ${took_ms} ms"
assert_contains "$(ready_of silent-ssh message)" "timed out after 2s" "silent-ssh message"
[ "$took_ms" -ge 1500 ] || fail "handled after ${took_ms} ms: the fetch cannot have waited 2 s"
[ "$took_ms" -le 15000 ] || fail "handled after ${took_ms} ms"
assert_eq "$before" "$(ready_of silent-ssh lastTransitionTime)" "Ready stayed False"

step "a 2s timeout does not get in the way of a server that answers"
gitrepo healthy-fast "$EDDY_GIT_HTTP_URL/timeout-fleet.git" 2s git-auth
kubectl -n "$ns" wait gitrepository/healthy-fast --for=condition=Ready --timeout=30s >/dev/null
assert_eq "main@sha1:$second" "$(get healthy-fast '{.status.artifact.revision}')" "revision"

step "the agent is still alive"
kill -0 "$(cat "$scratch/ctl.pid")" || fail "the agent exited: $(tail -20 "$scratch/ctl.log")"
bg_stop gitstall
