#!/usr/bin/env bash
# tests/e2e/bootstrap_test.sh: `eddy bootstrap git` against the real control plane and Git
# server, with the agent as a local process (--local-agent). On an empty repository it commits
# Flux's layout (clusters/one/flux-system/{gotk-components,gotk-sync,kustomization}.yaml) as the
# first commit of main, installs the CRDs, applies the auth Secret and the flux-system
# GitRepository and Kustomization, and returns once they are Ready at that commit. Running it
# again makes no commit and changes no object, and keeps the running agent. What is committed
# under the cluster's path afterwards is applied by the flux-system Kustomization. Bad input
# (scheme, path, wrong password) fails with a clear message and never prints the password.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
agent=$scratch/agent
apps=boot-e2e-apps
url=$EDDY_GIT_HTTP_URL/boot.git

cleanup() {
    stop_pidfile "$agent/agent.pid"
    "$eddy" uninstall --silent >/dev/null 2>&1 || true
    # the next test may bootstrap again: wait until the namespace is really gone
    kubectl wait --for=delete namespace/flux-system --timeout=90s >/dev/null 2>&1 || true
    kubectl delete namespace "$apps" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

boot() {
    "$eddy" bootstrap git --url="$url" --branch=main --path=clusters/one \
        -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent \
        --local-agent --local-agent-dir "$agent" --timeout 2m
}
commits() { git -C "$EDDY_GIT_ROOT/boot.git" rev-list --count main 2>/dev/null || echo 0; }
head_of() { git -C "$EDDY_GIT_ROOT/boot.git" rev-parse main; }

step "an empty repository"
new_repo boot
assert_eq 0 "$(commits)" "commits before bootstrap"

step "bootstrap: commit, install, sync, wait"
out=$(boot 2>&1) || fail "bootstrap failed:
$out"
echo "$out"
assert_contains "$out" "a new branch" "first commit of main"
assert_contains "$out" "bootstrap finished" "bootstrap result"
assert_not_contains "$out" "$EDDY_GIT_HTTP_PASSWORD" "the password is never printed"
assert_eq 1 "$(commits)" "commits after bootstrap"
files=$(git -C "$EDDY_GIT_ROOT/boot.git" ls-tree -r --name-only main)
assert_eq "clusters/one/flux-system/gotk-components.yaml
clusters/one/flux-system/gotk-sync.yaml
clusters/one/flux-system/kustomization.yaml" "$files" "files committed"
sync=$(git -C "$EDDY_GIT_ROOT/boot.git" show main:clusters/one/flux-system/gotk-sync.yaml)
assert_contains "$sync" "path: ./clusters/one" "Kustomization path"
assert_contains "$sync" "url: $url" "GitRepository url"
assert_contains "$sync" "name: flux-system" "secretRef"
comp=$(git -C "$EDDY_GIT_ROOT/boot.git" show main:clusters/one/flux-system/gotk-components.yaml)
assert_contains "$comp" "kind: CustomResourceDefinition" "components hold the CRDs"
assert_contains "$comp" "name: eddy" "components hold the agent's Deployment"
# The in-cluster agent's flags are install's defaults (the Deployment runs them as written).
assert_contains "$comp" "- --log-level=info" "the agent's log level"
assert_contains "$comp" "- --watch-all-namespaces=true" "the agent watches all namespaces"
assert_contains "$comp" "- --storage-adv-addr=source-controller.\$(RUNTIME_NAMESPACE).svc.cluster.local." \
    "the artifact server's address"
# (--local-agent runs the agent with flags of its own: the Deployment's are run here, with this
# machine's paths and addresses after them, as a standby behind the local agent's lease.)
mapfile -t dargs < <(printf '%s\n' "$comp" | awk '/- args:/ { f = 1; next }
    f && /^ *- / { sub(/^ *- /, ""); print; next } f { exit }')
assert_eq controller "${dargs[0]:-}" "the Deployment runs eddy controller"
hp=$(free_port)
bg_start depagent "$eddy" "${dargs[@]}" --kubeconfig "$KUBECONFIG" --leader-election-namespace flux-system \
    --storage-path "$scratch/dep-storage" --storage-addr "127.0.0.1:$(free_port)" \
    --health-addr "127.0.0.1:$hp" --metrics-addr "127.0.0.1:$(free_port)"
retry 20 curl -fs "http://127.0.0.1:$hp/healthz"
sleep 1
assert_ok "the agent runs with the Deployment's flags" kill -0 "$(cat "$scratch/depagent.pid")"
bg_stop depagent
rev="main@sha1:$(head_of)"
assert_eq "$rev" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "flux-system applied the bootstrap commit"
assert_eq True "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
    "GitRepository Ready"
assert_eq "$EDDY_GIT_HTTP_USER" "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.username}' | base64 -d)" \
    "auth Secret username"
inv=$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.inventory.entries[*].id}')
assert_contains "$inv" "flux-system_flux-system_source.toolkit.fluxcd.io_GitRepository" "flux-system manages itself"
assert_contains "$inv" "_gitrepositories.source.toolkit.fluxcd.io_apiextensions.k8s.io_CustomResourceDefinition" \
    "flux-system manages the CRDs"
pid=$(cat "$agent/agent.pid")
assert_ok "the agent runs" kill -0 "$pid"
[ -s "$agent/agent.log" ] || fail "the agent's log is empty"

step "bootstrap again: no commit, no change, the same agent"
# generations (spec changes) and the Secret's resourceVersion, before and after
state() {
    kubectl -n flux-system get deployment/eddy gitrepository/flux-system kustomization/flux-system \
        -o jsonpath='{range .items[*]}{.kind}={.metadata.generation} {end}'
    kubectl -n flux-system get secret flux-system -o jsonpath='Secret={.metadata.resourceVersion}'
}
before=$(state)
out=$(boot 2>&1) || fail "second bootstrap failed:
$out"
assert_contains "$out" "up to date" "second bootstrap commits nothing"
assert_contains "$out" "already running (pid $pid" "the running agent is kept"
assert_not_contains "$out" " created" "no object created"
# The Deployment's status moves under the fake node, so its resourceVersion may; its spec not.
assert_not_contains "$(grep -v '^Deployment/' <<<"$out")" " configured" "no object changed"
assert_eq "$before" "$(state)" "generations and the Secret unchanged"
assert_eq 1 "$(commits)" "commits after the second bootstrap"

step "what is committed under the cluster's path is applied"
work=$scratch/work
git clone -q "$(git_http_url boot)" "$work" 2>/dev/null
mkdir -p "$work/clusters/one/apps"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello, namespace: %s}\ndata: {greeting: hi}\n' \
    "$apps" "$apps" >"$work/clusters/one/apps/hello.yaml"
(cd "$work" && git add -A && git commit -qm "an app" && git push -q origin HEAD:main)
assert_ok "reconcile" "$eddy" reconcile kustomization flux-system --with-source --timeout 1m
assert_eq hi "$(kubectl -n "$apps" get configmap hello -o jsonpath='{.data.greeting}')" "the app's ConfigMap"
assert_eq 2 "$(commits)" "only the app's commit was added"

step "bad input"
assert_fails "ftp URL" "$eddy" bootstrap git --url=ftp://example.com/x.git --path=a
assert_contains "$OUT" "the scheme must be http, https or ssh" "ftp refused"
assert_fails "a log level the agent refuses" "$eddy" bootstrap git --url="$url" --path=a --log-level=verbose
assert_contains "$OUT" "--log-level verbose: debug, info or error" "install's check of --log-level"
assert_fails "a cluster domain that is no DNS name" "$eddy" bootstrap git --url="$url" --path=a --cluster-domain=Bad_Domain
assert_contains "$OUT" "--cluster-domain Bad_Domain: not a DNS name" "install's check of --cluster-domain"
assert_fails "path outside" "$eddy" bootstrap git --url="$url" --path=../x
assert_contains "$OUT" "--path '../x'" "path refused"
assert_fails "no provider" "$eddy" bootstrap --url="$url"
assert_contains "$OUT" "one provider: git" "provider required"
assert_fails "wrong password" "$eddy" bootstrap git --url="$url" --path=clusters/one -u "$EDDY_GIT_HTTP_USER" \
    -p wrong-Secret-123 --silent --local-agent --local-agent-dir "$agent" --timeout 30s
assert_contains "$OUT" "authentication" "wrong password refused"
assert_not_contains "$OUT" "wrong-Secret-123" "the wrong password is not printed"
assert_eq 2 "$(commits)" "a failed bootstrap commits nothing"
# A server that takes the push and never answers (tests/e2e/gitstall.py): --timeout bounds it.
git clone -q --bare "$EDDY_GIT_ROOT/boot.git" "$scratch/stalled.git"
bg_start gitstall python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" --ready-file "$scratch/stall-ports" \
    --repo "$scratch/stalled.git"
wait_ready "$scratch/gitstall.pid" 30 "the stalling server" test -s "$scratch/stall-ports" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall.log")"
stall=$(sed -n 's/^push=//p' "$scratch/stall-ports")
t0=$SECONDS
assert_fails "a push that stalls" "$eddy" bootstrap git --url="http://127.0.0.1:$stall/stalled.git" \
    --path=clusters/two --silent --local-agent --local-agent-dir "$scratch/agent-stall" --timeout 3s
assert_contains "$OUT" "timed out after 3s" "the push is cut at --timeout"
[ $((SECONDS - t0)) -lt 30 ] || fail "the stalled bootstrap took $((SECONDS - t0)) s with --timeout 3s"
bg_stop gitstall

step "the same repository over HTTPS with --ca-file: the sync objects follow, one commit"
https_url=$EDDY_GIT_HTTPS_URL/boot.git
assert_fails "HTTPS without the CA" "$eddy" bootstrap git --url="$https_url" --path=clusters/one \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent --local-agent \
    --local-agent-dir "$agent" --timeout 30s
assert_eq 2 "$(commits)" "an untrusted server gets no commit"
out=$("$eddy" bootstrap git --url="$https_url" --path=clusters/one --ca-file="$EDDY_GIT_HTTPS_CA" \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent --local-agent \
    --local-agent-dir "$agent" --timeout 2m 2>&1) || fail "bootstrap over HTTPS failed:
$out"
assert_eq 3 "$(commits)" "the new URL in gotk-sync.yaml is one commit"
assert_eq "$https_url" "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.spec.url}')" "GitRepository url"
assert_eq "$(cat "$EDDY_GIT_HTTPS_CA")" "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.ca\.crt}' | base64 -d)" \
    "the CA in the Secret"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced over HTTPS"

step "over SSH with --private-key-file and --known-hosts-file"
ssh_url=$EDDY_GIT_SSH_URL/boot.git
out=$("$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --private-key-file="$EDDY_GIT_SSH_KEY" \
    --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
    --timeout 2m 2>&1) || fail "bootstrap over SSH failed:
$out"
assert_eq 4 "$(commits)" "the SSH URL is one commit"
keys=$(kubectl -n flux-system get secret flux-system -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')
assert_eq "identity identity.pub known_hosts " "$keys" "the Secret holds the SSH credentials only"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced over SSH"
assert_fails "ssh without a key" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --silent
assert_contains "$OUT" "needs --private-key-file" "ssh key required"
