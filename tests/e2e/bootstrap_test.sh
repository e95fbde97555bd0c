#!/usr/bin/env bash
# tests/e2e/bootstrap_test.sh: `eddy bootstrap git` against the real control plane and Git
# server, with the agent as a local process (--local-agent). On an empty repository it makes
# flux 2.9.5's two commits (pkg/bootstrap/bootstrap_plain_git.go): "Add Flux <version> component
# manifests" (clusters/one/flux-system/gotk-components.yaml), then, after installing the
# components and applying the auth Secret, "Add Flux sync manifests" (gotk-sync.yaml and
# kustomization.yaml), and returns once the flux-system GitRepository and Kustomization are
# Ready at that commit, printing flux's progress lines, in its order and words, on stderr and
# nothing on stdout (no apply lines). Running it again makes no commit and changes no object,
# installs nothing, and keeps the running agent; a kustomization.yaml edited in Git is kept; a
# --path that would move the flux-system Kustomization is refused with flux's error. The agent is then
# run as the Deployment runs it (its args, in-cluster configuration with a token of the installed
# ServiceAccount, no kubeconfig), leads, and applies what is committed under the cluster's path
# afterwards through the flux-system Kustomization. Bad input (scheme, path, wrong password)
# fails with a clear message and never prints the password.
# flux's commit flags: the commit signed by the --gpg-key-id key of a two-key ring (git
# verify-commit), its --author-name/--author-email and --commit-message-appendix; a wrong
# passphrase or key id pushes nothing. --registry-creds: the dockerconfigjson Secret applied
# before the Deployment, in the cluster only (never in Git, never printed). flux's install labels,
# read by Flux's own flux version and flux check; a flux-system directory without
# kustomization.yaml listed as flux's generator lists it; --namespace gitops (files, objects,
# names, lines); --with-bearer-token's Secret: an existing one left alone, a new one written once;
# the password from --username's default git, GIT_PASSWORD and --token-auth's question.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
agent=$scratch/agent
apps=boot-e2e-apps
url=$EDDY_GIT_HTTP_URL/boot.git

cleanup() {
    stop_pidfile "$agent/agent.pid"
    stop_pidfile "$scratch/agent-ns/agent.pid"
    "$eddy" uninstall --silent -n gitops >/dev/null 2>&1 || true
    "$eddy" uninstall --silent >/dev/null 2>&1 || true
    # the next test may bootstrap again: wait until the namespace is really gone
    kubectl wait --for=delete namespace/flux-system --timeout=90s >/dev/null 2>&1 || true
    kubectl delete namespace "$apps" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

boot() {
    "$eddy" bootstrap git --url="$url" --allow-insecure-http=true --branch=main --path=clusters/one \
        -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent \
        --local-agent --local-agent-dir "$agent" --timeout 2m "$@"
}
commits() { git -C "$EDDY_GIT_ROOT/boot.git" rev-list --count main 2>/dev/null || echo 0; }
head_of() { git -C "$EDDY_GIT_ROOT/boot.git" rev-parse main; }
# lines OUT: bootstrap's lines with the commits' ids, pids and the agent's log path made fixed.
lines() {
    sed -E -e 's/\("[0-9a-f]{40}"\)/("SHA")/' -e 's/pid [0-9]+/pid PID/' -e "s#$agent/#AGENT/#" <<<"$1"
}
version=v$(cat "$EDDY_ROOT/VERSION")

step "an empty repository"
new_repo boot
assert_eq 0 "$(commits)" "commits before bootstrap"

step "bootstrap: commit the components, install, the secret, commit the sync, wait"
out=$(boot 2>&1 >"$scratch/boot.stdout") || fail "bootstrap failed:
$out"
echo "$out"
assert_eq "" "$(cat "$scratch/boot.stdout")" "nothing on stdout: flux's lines go to stderr"
assert_not_contains "$out" "$EDDY_GIT_HTTP_PASSWORD" "the password is never printed"
assert_eq 2 "$(commits)" "commits after bootstrap: the components', then the sync's"
g() { git -C "$EDDY_GIT_ROOT/boot.git" "$@"; }
assert_contains "$out" "✔ committed component manifests to \"main\" (\"$(g rev-parse main~1)\")" \
    "the components' commit named"
assert_contains "$out" "✔ committed sync manifests to \"main\" (\"$(g rev-parse main)\")" \
    "the sync's commit named"
# flux 2.9.5's lines (bootstrap_plain_git.go, bootstrap.go, status.go), with eddy's components:
# the local agent started where flux's come up, and its health instead of four Deployments'.
# Every bootstrap's: $cloned, what it does with the component manifests, $secret, what it does
# with the sync manifests, $synced.
cloned="► cloning branch \"main\" from Git repository \"$url\"
✔ cloned repository
► generating component manifests
✔ generated component manifests"
secret="✔ reconciled components
► determining if source secret \"flux-system/flux-system\" exists
► generating source secret
► applying source secret \"flux-system/flux-system\"
✔ reconciled source secret
► generating sync manifests
✔ generated sync manifests"
synced="► applying sync manifests
✔ reconciled sync configuration
◎ waiting for GitRepository \"flux-system/flux-system\" to be reconciled
✔ GitRepository reconciled successfully
◎ waiting for Kustomization \"flux-system/flux-system\" to be reconciled
✔ Kustomization reconciled successfully
► confirming components are healthy
✔ eddy: local agent ready (pid PID)
✔ all components are healthy"
assert_eq "$cloned
✔ committed component manifests to \"main\" (\"SHA\")
► pushing component manifests to \"$url\"
► installing components in \"flux-system\" namespace
✔ installed components
✔ local agent started (pid PID, log AGENT/agent.log)
$secret
✔ committed sync manifests to \"main\" (\"SHA\")
► pushing sync manifests to \"$url\"
$synced" "$(lines "$out")" "flux's lines, in its order"
assert_eq "Add Flux $version component manifests" "$(g log -1 --format=%B main~1)" "the components' message"
assert_eq "clusters/one/flux-system/gotk-components.yaml" "$(g diff-tree --root -r --name-only --no-commit-id main~1)" \
    "the components' commit holds gotk-components.yaml"
assert_eq "Add Flux sync manifests" "$(g log -1 --format=%B main)" "the sync's message"
assert_eq "clusters/one/flux-system/gotk-sync.yaml
clusters/one/flux-system/kustomization.yaml" "$(g diff-tree -r --name-only --no-commit-id main)" \
    "the sync's commit holds gotk-sync.yaml and kustomization.yaml"
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
assert_contains "$out" "already running (pid $pid" "the running agent is kept"
# flux installs nothing once flux-system applied a revision; the secret is applied again.
assert_eq "$cloned
✔ component manifests are up to date
✔ local agent already running (pid PID, log AGENT/agent.log)
$secret
✔ sync manifests are up to date
$synced" "$(lines "$out")" "the second bootstrap's lines"
assert_eq "$before" "$(state)" "generations and the Secret unchanged"
assert_eq 2 "$(commits)" "commits after the second bootstrap"

step "flux's labels on what bootstrap installed: flux version and flux check read them"
# flux's install labels every object app.kubernetes.io/instance, part-of and version, and a CRD
# with its controller (component); flux version and check find the Deployments and the CRDs by
# part-of=flux and read the distribution from the GitRepository CRD.
flux=${FLUX_BIN:-$EDDY_ROOT/.bin/flux}
assert_eq "imageupdateautomations.image.toolkit.fluxcd.io" \
    "$(kubectl get crd -l app.kubernetes.io/component=image-automation-controller -o jsonpath='{.items[*].metadata.name}')" \
    "the CRD of image-automation-controller"
assert_eq "flux-system flux $version" \
    "$(kubectl -n flux-system get deployment eddy -o jsonpath='{.spec.template.metadata.labels.app\.kubernetes\.io/instance} {.spec.template.metadata.labels.app\.kubernetes\.io/part-of} {.spec.template.metadata.labels.app\.kubernetes\.io/version}')" \
    "the pod template's labels"
fv=$("$flux" version 2>&1) || fail "flux version failed against eddy's install:
$fv"
assert_contains "$fv" "distribution: flux-$version" "flux version: the distribution from the CRD's labels"
assert_contains "$fv" "eddy: $version" "flux version: the agent's image, found by part-of=flux"
ev=$("$eddy" version 2>&1) || fail "eddy version failed: $ev"
assert_eq "$(grep '^distribution:' <<<"$fv")" "$(grep '^distribution:' <<<"$ev")" \
    "eddy version's distribution, flux version's"
fc=$("$flux" check 2>&1 || true)
assert_contains "$fc" "✔ distribution: flux-$version" "flux check: the distribution"
assert_contains "$fc" "✔ bootstrapped: true" "flux check: bootstrapped (the CRD applied by flux-system)"
assert_not_contains "$fc" "no crds found" "flux check finds eddy's CRDs"
n=0
while read -r name stored; do
    assert_contains "$fc" "✔ $name/${stored##* }" "flux check: CRD $name"
    n=$((n + 1))
done < <(kubectl get crd -l app.kubernetes.io/part-of=flux \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.storedVersions[*]}{"\n"}{end}')
assert_eq 6 "$n" "eddy's six CRDs labelled part-of=flux"
# eddy check's "checking version in cluster": flux check's lines
ec=$("$eddy" check 2>&1 || true)
version_block() { awk '/^► checking version in cluster/ { f = 1; print; next } f && /^►/ { exit } f' <<<"$1"; }
assert_contains "$(version_block "$ec")" "✔ distribution: flux-$version" "eddy check: the distribution"
assert_eq "$(version_block "$fc")" "$(version_block "$ec")" "eddy check's version lines, flux check's"

step "an installation another tool manages: flux's question, cancelled without an answer, --force"
# flux's confirmBootstrap (cmd/flux/cluster_info.go): the GitRepository CRD's
# app.kubernetes.io/managed-by names another tool than flux
crd=crd/gitrepositories.source.toolkit.fluxcd.io
kubectl label "$crd" app.kubernetes.io/managed-by=Helm --overwrite >/dev/null
cver=$(kubectl get "$crd" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/version}')
assert_eq "$version" "$cver" "the CRD's app.kubernetes.io/version: eddy's release, as flux's labels carry its own"
assert_fails "no answer" boot </dev/null
assert_contains "$OUT" "Flux $cver has been installed on this cluster with Helm!" "flux's notice"
assert_contains "$OUT" "Are you sure you want to override the Helm installation? Y/N" "flux's question"
assert_contains "$OUT" "✗ bootstrap cancelled" "flux's error"
assert_not_contains "$OUT" "cloning branch" "nothing done"
out=$(boot --force </dev/null 2>&1) || fail "bootstrap --force failed:
$out"
assert_not_contains "$out" "Are you sure" "--force asks nothing"
kubectl label "$crd" app.kubernetes.io/managed-by- >/dev/null
assert_eq 2 "$(commits)" "commits after --force"

step "the agent as the Deployment runs it: in-cluster configuration, the ServiceAccount's token"
# What the kubelet gives the container: the Deployment's args with $(RUNTIME_NAMESPACE) expanded,
# RUNTIME_NAMESPACE, KUBERNETES_SERVICE_HOST/PORT, and the service-account folder (a token of the
# installed ServiceAccount from the TokenRequest API, the cluster's CA, the namespace). No
# kubeconfig anywhere: the local agent is stopped (it releases the lease) and this one must lead.
stop_pidfile "$agent/agent.pid"
sa=$scratch/serviceaccount
mkdir -p "$sa" "$scratch/nohome"
kubectl -n flux-system create token eddy --duration 1h >"$sa/token"
kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
    base64 -d >"$sa/ca.crt"
printf flux-system >"$sa/namespace"
server=$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
hostport=${server#https://}
# incluster_start NAME ARGS...: the agent with the Deployment's ARGS as the container runs them
# (this machine's paths and ports after them), leading; its log is $scratch/NAME.log.
incluster_start() {
    local name=$1 a hp sp
    shift
    local inargs=()
    for a in "$@"; do inargs+=("${a//\$(RUNTIME_NAMESPACE)/flux-system}"); done
    hp=$(free_port)
    sp=$(free_port)
    bg_start "$name" env -u KUBECONFIG HOME="$scratch/nohome" RUNTIME_NAMESPACE=flux-system \
        KUBERNETES_SERVICE_HOST="${hostport%:*}" KUBERNETES_SERVICE_PORT="${hostport##*:}" \
        ED_KUBE_SA_DIR="$sa" "$eddy" "${inargs[@]}" --storage-path "$scratch/$name-storage" \
        --storage-addr "127.0.0.1:$sp" --storage-adv-addr "127.0.0.1:$sp" \
        --health-addr "127.0.0.1:$hp" --metrics-addr "127.0.0.1:$(free_port)"
    retry 20 curl -fs "http://127.0.0.1:$hp/healthz"
    retry 60 grep -q "acquired the leader lease" "$scratch/$name.log"
    local candidate
    candidate=$(grep -o '"candidate":"[^"]*"' "$scratch/$name.log" | head -1 | cut -d'"' -f4)
    assert_eq "$candidate" "$(kubectl -n flux-system get lease eddy-leader-election -o jsonpath='{.spec.holderIdentity}')" \
        "the in-cluster agent holds the lease"
}
# incluster_check NAME: it ran without a refusal or an error, and runs still; then it stops.
incluster_check() {
    assert_not_contains "$(cat "$scratch/$1.log")" "forbidden" "install's RBAC suffices"
    assert_not_contains "$(cat "$scratch/$1.log")" '"level":"error"' "no error in the agent's log"
    assert_ok "the in-cluster agent still runs" kill -0 "$(cat "$scratch/$1.pid")"
    bg_stop "$1"
}
incluster_start incluster "${dargs[@]}"

step "what is committed under the cluster's path is applied (by the in-cluster agent)"
work=$scratch/work
git clone -q "$(git_http_url boot)" "$work" 2>/dev/null
mkdir -p "$work/clusters/one/apps"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello, namespace: %s}\ndata: {greeting: hi}\n' \
    "$apps" "$apps" >"$work/clusters/one/apps/hello.yaml"
(cd "$work" && git add -A && git commit -qm "an app" && git push -q origin HEAD:main)
assert_ok "reconcile" "$eddy" reconcile kustomization flux-system --with-source --timeout 1m
assert_eq hi "$(kubectl -n "$apps" get configmap hello -o jsonpath='{.data.greeting}')" "the app's ConfigMap"
assert_eq 3 "$(commits)" "only the app's commit was added"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.status.artifact.revision}')" \
    "the in-cluster agent fetched the commit"
incluster_check incluster

step "bad input"
assert_fails "ftp URL" "$eddy" bootstrap git --url=ftp://example.com/x.git --path=a
assert_contains "$OUT" "the scheme must be http, https or ssh" "ftp refused"
assert_fails "a log level the agent refuses" "$eddy" bootstrap git --url="$url" --path=a --log-level=verbose
assert_contains "$OUT" "--log-level verbose: debug, info or error" "install's check of --log-level"
assert_fails "a cluster domain that is no DNS name" "$eddy" bootstrap git --url="$url" --path=a --cluster-domain=Bad_Domain
assert_contains "$OUT" "--cluster-domain Bad_Domain: not a DNS name" "install's check of --cluster-domain"
assert_fails "path outside" "$eddy" bootstrap git --url="$url" --path=../x
assert_contains "$OUT" "--path '../x'" "path refused"
# flux's getAuthOpts: plain http only with --allow-insecure-http (nothing cloned before)
assert_fails "http without --allow-insecure-http" "$eddy" bootstrap git --url="$url" --path=clusters/one \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD"
assert_contains "$OUT" "✗ scheme http is insecure, pass --allow-insecure-http=true to allow it" "flux's error"
assert_not_contains "$OUT" "cloning" "refused before the clone"
assert_fails "no provider" "$eddy" bootstrap --url="$url"
assert_contains "$OUT" "one provider: git" "provider required"
assert_fails "wrong password" "$eddy" bootstrap git --url="$url" --allow-insecure-http --path=clusters/one -u "$EDDY_GIT_HTTP_USER" \
    -p wrong-Secret-123 --silent --local-agent --local-agent-dir "$agent" --timeout 30s
assert_contains "$OUT" "authentication" "wrong password refused"
assert_not_contains "$OUT" "wrong-Secret-123" "the wrong password is not printed"
assert_eq 3 "$(commits)" "a failed bootstrap commits nothing"
# flux's refusal to move flux-system to another path (from another repository here: main of
# boot.git stays as it is); the components are committed there first, as flux commits them.
new_repo boot-other
other_url=$EDDY_GIT_HTTP_URL/boot-other.git
assert_fails "another --path" "$eddy" bootstrap git --url="$other_url" --allow-insecure-http --path=clusters/two \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent --local-agent --local-agent-dir "$agent" \
    --timeout 1m
assert_contains "$OUT" 'sync path configuration ("clusters/two") would overwrite path ("./clusters/one") of existing Kustomization' \
    "flux's error"
assert_eq "Add Flux $version component manifests" "$(git -C "$EDDY_GIT_ROOT/boot-other.git" log --format=%s main)" \
    "only the components were committed"
assert_eq "$url" "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.spec.url}')" \
    "the GitRepository is left as it was"
# A server that takes the push and never answers (tests/e2e/gitstall.py): --timeout bounds it.
git clone -q --bare "$EDDY_GIT_ROOT/boot.git" "$scratch/stalled.git"
bg_start gitstall python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" --ready-file "$scratch/stall-ports" \
    --repo "$scratch/stalled.git"
wait_ready "$scratch/gitstall.pid" 30 "the stalling server" test -s "$scratch/stall-ports" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall.log")"
stall=$(sed -n 's/^push=//p' "$scratch/stall-ports")
t0=$SECONDS
assert_fails "a push that stalls" "$eddy" bootstrap git --url="http://127.0.0.1:$stall/stalled.git" --allow-insecure-http \
    --path=clusters/two --silent --local-agent --local-agent-dir "$scratch/agent-stall" --timeout 3s
assert_contains "$OUT" "timed out after 3s" "the push is cut at --timeout"
# flux's lines: its commit, then its push, and a failed push in its words
assert_contains "$OUT" "► pushing component manifests to \"http://127.0.0.1:$stall/stalled.git\"
✗ failed to push manifests: " "the commit reported before the push that failed"
[ $((SECONDS - t0)) -lt 30 ] || fail "the stalled bootstrap took $((SECONDS - t0)) s with --timeout 3s"
bg_stop gitstall

step "the same repository over HTTPS with --ca-file: the sync objects follow, one commit"
https_url=$EDDY_GIT_HTTPS_URL/boot.git
assert_fails "HTTPS without the CA" "$eddy" bootstrap git --url="$https_url" --path=clusters/one \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent --local-agent \
    --local-agent-dir "$agent" --timeout 30s
assert_eq 3 "$(commits)" "an untrusted server gets no commit"
out=$("$eddy" bootstrap git --url="$https_url" --path=clusters/one --ca-file="$EDDY_GIT_HTTPS_CA" \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --silent --local-agent \
    --local-agent-dir "$agent" --timeout 2m 2>&1) || fail "bootstrap over HTTPS failed:
$out"
assert_eq 4 "$(commits)" "the new URL in gotk-sync.yaml is one commit"
assert_eq "Add Flux sync manifests" "$(g log -1 --format=%B main)" "the new URL is the sync's commit"
assert_eq "$https_url" "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.spec.url}')" "GitRepository url"
assert_eq "$(cat "$EDDY_GIT_HTTPS_CA")" "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.ca\.crt}' | base64 -d)" \
    "the CA in the Secret"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced over HTTPS"

step "over SSH with --private-key-file and --known-hosts-file"
ssh_url=$EDDY_GIT_SSH_URL/boot.git
# As flux's, the public key is derived from the private one: a key file with another key's
# .pub beside it (flux never reads it), and one that is no key (x/crypto's words)
mkdir -p "$EDDY_E2E_SCRATCH/keys"
cp "$EDDY_GIT_SSH_KEY" "$EDDY_E2E_SCRATCH/keys/id"
ssh-keygen -q -t ed25519 -N '' -f "$EDDY_E2E_SCRATCH/keys/other"
cp "$EDDY_E2E_SCRATCH/keys/other.pub" "$EDDY_E2E_SCRATCH/keys/id.pub"
echo 'not a key' >"$EDDY_E2E_SCRATCH/keys/bad"
assert_fails "a key file that is no key" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one \
    --private-key-file="$EDDY_E2E_SCRATCH/keys/bad" --silent
assert_contains "$OUT" "✗ ssh: no key found" "x/crypto's error of a key file that is no key"
out=$("$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --private-key-file="$EDDY_E2E_SCRATCH/keys/id" \
    --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
    --timeout 2m 2>&1) || fail "bootstrap over SSH failed:
$out"
assert_eq 5 "$(commits)" "the SSH URL is one commit"
derived=$(ssh-keygen -y -f "$EDDY_GIT_SSH_KEY" | cut -d' ' -f1,2)
assert_contains "$out" "✔ public key: $derived" "flux's line of the deploy key, --silent or not"
assert_not_contains "$out" "$(cut -d' ' -f2 "$EDDY_E2E_SCRATCH/keys/id.pub")" "the .pub beside the key unread"
assert_eq "$derived" "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.identity\.pub}' | base64 -d)" \
    "identity.pub: the derived key"
assert_eq 0a "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.identity\.pub}' | base64 -d |
    tail -c1 | od -An -tx1 | tr -d ' ')" "identity.pub ends as x/crypto's MarshalAuthorizedKey: a newline"
# flux updates the Secret it finds (pkg/bootstrap/bootstrap.go, reconcileSecret: the new keys over
# the existing ones): the HTTPS run's username, password and CA stay beside the SSH key.
keys=$(kubectl -n flux-system get secret flux-system -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')
assert_eq "ca.crt identity identity.pub known_hosts password username " "$keys" \
    "the SSH credentials merged into the Secret, as flux merges them"
# The HTTPS password stays too, as flux's StringData update keeps it, though over SSH both
# agents read `password` as the key's passphrase: go-git's NewPublicKeys (Flux's
# source-controller) and eddy's use it only for an encrypted key, so this unencrypted one still
# authenticates ("synced over SSH" below).
assert_eq "$EDDY_GIT_HTTP_PASSWORD" "$(kubectl -n flux-system get secret flux-system -o jsonpath='{.data.password}' | base64 -d)" \
    "the HTTPS run's password kept beside the SSH key, as flux keeps it"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced over SSH"

step "over SSH without --private-key-file: the ssh-agent pushes, a deploy key is made, the host key scanned"
# flux's bootstrap without a key file: its own clone and pushes use the user's ssh-agent, and the
# Secret gets a new key pair (flux's default, ECDSA P-384: PKCS#8 PEM, public half printed and
# asked about) with the host key scanned at the host the GitRepository reaches, here another
# name of the server (--ssh-hostname), which the URL in gotk-sync.yaml then names. flux makes a
# key only for a Secret it does not find. The client trusts the default known_hosts files, as
# flux's (go-git's): SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts; with none, flux's clone error.
kubectl -n flux-system delete secret flux-system >/dev/null
eval "$(ssh-agent -s)" >/dev/null
ssh-add -q "$EDDY_GIT_SSH_KEY"
port=${EDDY_GIT_SSH_URL#ssh://root@127.0.0.1:}
port=${port%%/*}
mkdir -p "$scratch/nohome"
assert_fails "no known_hosts to trust" env HOME="$scratch/nohome" "$eddy" bootstrap git --url="$ssh_url" \
    --path=clusters/one --silent --local-agent --local-agent-dir "$agent" --timeout 1m
assert_eq "► cloning branch \"main\" from Git repository \"$ssh_url\"
✗ failed to clone repository: unable to clone '$ssh_url': cannot create known hosts callback: unable to find any valid known_hosts file, set SSH_KNOWN_HOSTS env variable" \
    "$OUT" "flux's lines (compared by hand with flux 2.9.5's last two)"
mkfifo "$scratch/answer"
HOME=$scratch/nohome SSH_KNOWN_HOSTS=$EDDY_GIT_SSH_KNOWN_HOSTS "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --ssh-hostname="localhost:$port" \
    --local-agent --local-agent-dir "$agent" --timeout 2m <"$scratch/answer" >"$scratch/keyless.out" \
    2>"$scratch/keyless.err" &
keyless=$!
exec 7>"$scratch/answer"
retry 60 grep -q "public key: " "$scratch/keyless.err"
# the user's part: the deploy key given access, then the question answered
sed -n 's/^✔ public key: //p' "$scratch/keyless.err" >>"$EDDY_SERVERS_DIR/git-ssh/authorized_keys"
echo y >&7
exec 7>&-
rc=0
wait $keyless || rc=$?
kill "$SSH_AGENT_PID" 2>/dev/null || true
out=$(cat "$scratch/keyless.err")
assert_eq 0 "$rc" "bootstrap with a made key: exit code; its lines:
$out"
secret_key() { kubectl -n flux-system get secret flux-system -o jsonpath="{.data.$1}" | base64 -d; }
assert_contains "$out" "► generating source secret
✔ public key: ecdsa-sha2-nistp384 $(secret_key identity\\.pub | cut -d' ' -f2)
► applying source secret \"flux-system/flux-system\"" "flux's lines: the public key, then the Secret"
assert_contains "$(cat "$scratch/keyless.out")" "Please give the key access to your repository" \
    "the question on stdout"
assert_contains "$(secret_key identity | head -1)" "-----BEGIN PRIVATE KEY-----" "the private key, PKCS#8 PEM"
assert_eq "[localhost]:$port $(cut -d' ' -f2,3 "$EDDY_GIT_SSH_KNOWN_HOSTS")" "$(secret_key known_hosts)" \
    "the host key scanned at --ssh-hostname, a known_hosts line"
sync_url="ssh://root@localhost:$port${ssh_url#ssh://root@127.0.0.1:$port}"
assert_eq "$sync_url" "$(kubectl -n flux-system get gitrepository flux-system -o jsonpath='{.spec.url}')" \
    "the GitRepository reaches --ssh-hostname"
assert_contains "$(g show main:clusters/one/flux-system/gotk-sync.yaml)" "url: $sync_url" "gotk-sync.yaml's url"
assert_eq 6 "$(commits)" "the new host in gotk-sync.yaml is one commit, pushed with the agent's key"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced over SSH with the deploy key made"
# again, keyless: flux keeps the Secret it finds (no key file, CA or password), so the deploy
# key given access stays; --known-hosts-file (eddy's) does not change that
made=$(secret_key 'identity\.pub')
eval "$(ssh-agent -s)" >/dev/null
ssh-add -q "$EDDY_GIT_SSH_KEY"
out=$("$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --ssh-hostname="localhost:$port" \
    --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
    --timeout 2m 2>&1) || fail "a second keyless bootstrap failed:
$out"
kill "$SSH_AGENT_PID" 2>/dev/null || true
assert_contains "$out" "► determining if source secret \"flux-system/flux-system\" exists
✔ source secret up to date" "flux's line: the Secret kept"
assert_eq "$made" "$(secret_key 'identity\.pub')" "the deploy key kept"
assert_eq 6 "$(commits)" "a second keyless run commits nothing"

step "a signed commit (--gpg-key-ring, --gpg-key-id, --gpg-passphrase), its author and appendix"
# Two keys in the ring: --gpg-key-id picks the second. A new interval changes gotk-sync.yaml.
gnupg=$(mktemp -d /tmp/eddy-gpg.XXXXXX)
trap 'gpgconf --homedir "$gnupg" --kill all 2>/dev/null; rm -rf "$gnupg"; cleanup' EXIT
export GNUPGHOME=$gnupg
for who in first second; do
    gpg --batch --pinentry-mode loopback --passphrase s3cret-gpg --quick-gen-key \
        "eddy $who <$who@eddy.dev>" ed25519 sign never 2>/dev/null
done
gpg --batch --pinentry-mode loopback --passphrase s3cret-gpg --armor --export-secret-keys \
    >"$scratch/ring.asc"
keyid=$(gpg --with-colons --list-keys second@eddy.dev | awk -F: '/^pub/ { print $5; exit }')
signed_boot() {
    "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --private-key-file="$EDDY_GIT_SSH_KEY" \
        --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
        --interval 2m --gpg-key-ring "$scratch/ring.asc" --timeout 2m "$@"
}
assert_fails "a wrong passphrase" signed_boot --gpg-key-id "$keyid" --gpg-passphrase wrong-Gpg-987
assert_not_contains "$OUT" "wrong-Gpg-987" "the passphrase is not printed"
assert_eq 6 "$(commits)" "an unsigned commit is never pushed"
assert_fails "a key id of another length" signed_boot --gpg-key-id 0xABCD --gpg-passphrase s3cret-gpg
assert_contains "$OUT" "invalid GPG key id length; expected 16, got 4" "flux's check of --gpg-key-id"
assert_fails "a key the ring does not hold" signed_boot --gpg-key-id 0123456789ABCDEF --gpg-passphrase s3cret-gpg
assert_contains "$OUT" "no GPG keyring matching key id '0123456789ABCDEF' found" "an unknown key id"
assert_fails "an id without a ring" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --gpg-key-id "$keyid"
assert_contains "$OUT" "--gpg-key-id and --gpg-passphrase need --gpg-key-ring" "the ring is required"
out=$(signed_boot --gpg-key-id "0x$keyid" --gpg-passphrase s3cret-gpg --author-name "Fleet Bot" \
    --author-email fleet@eddy.dev --commit-message-appendix "[ci skip]" 2>&1) ||
    fail "signed bootstrap failed:
$out"
assert_not_contains "$out" "s3cret-gpg" "the passphrase is never printed"
assert_eq 7 "$(commits)" "one signed commit"
assert_ok "git verify-commit" git -C "$EDDY_GIT_ROOT/boot.git" verify-commit main
fpr=$(git -C "$EDDY_GIT_ROOT/boot.git" verify-commit --raw main 2>&1 | awk '/VALIDSIG/ { print $3 }')
assert_eq "$(gpg --with-colons --list-keys second@eddy.dev | awk -F: '/^fpr/ { print $10; exit }')" "$fpr" \
    "signed by the key of --gpg-key-id"
assert_eq "Fleet Bot <fleet@eddy.dev>" "$(git -C "$EDDY_GIT_ROOT/boot.git" log -1 --format='%an <%ae>' main)" \
    "--author-name and --author-email"
assert_eq $'Add Flux sync manifests\n\n[ci skip]' \
    "$(git -C "$EDDY_GIT_ROOT/boot.git" log -1 --format=%B main)" "the message with the appendix"
unset GNUPGHOME

step "--registry-creds: the pull Secret in the cluster before the Deployment, never in Git"
assert_fails "credentials without the Secret's name" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one \
    --registry-creds bot:pw
assert_contains "$OUT" "--registry-creds requires --image-pull-secret to be set" "the name is required"
assert_fails "credentials without a colon" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one \
    --image-pull-secret regcred --registry-creds bot
assert_contains "$OUT" "invalid --registry-creds format, expected 'user:password'" "user:password"
out=$("$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --private-key-file="$EDDY_GIT_SSH_KEY" \
    --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
    --interval 2m --registry registry.e2e.invalid/fluxcd --image-pull-secret regcred \
    --registry-creds "bot:Reg-Pass-555" --timeout 2m 2>&1) || fail "bootstrap with --registry-creds failed:
$out"
echo "$out"
assert_not_contains "$out" "Reg-Pass-555" "the registry password is never printed"
# flux-system applied a revision: nothing installed, the pull Secret reconciled alone (flux's
# line after the components'), the Deployment changed by flux-system from Git.
assert_contains "$out" "► pushing component manifests to \"$ssh_url\"
✔ reconciled image pull secret regcred
✔ local agent already running" "flux's line of the pull Secret, after the components'"
assert_not_contains "$out" "installing components" "nothing installed"
assert_eq kubernetes.io/dockerconfigjson "$(kubectl -n flux-system get secret regcred -o jsonpath='{.type}')" \
    "the Secret's type"
cfg=$(kubectl -n flux-system get secret regcred -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d)
assert_eq "bot:Reg-Pass-555" "$(jq -r '.auths["registry.e2e.invalid/fluxcd"].auth' <<<"$cfg" | base64 -d)" \
    "the credentials for --registry"
assert_eq regcred "$(kubectl -n flux-system get deployment eddy -o jsonpath='{.spec.template.spec.imagePullSecrets[0].name}')" \
    "the Deployment pulls with it"
assert_eq 8 "$(commits)" "the registry and the Secret's name are one commit"
assert_eq "Add Flux $version component manifests" "$(g log -1 --format=%B main)" "the components' commit"
comp=$(git -C "$EDDY_GIT_ROOT/boot.git" show main:clusters/one/flux-system/gotk-components.yaml)
assert_contains "$comp" "name: regcred" "the committed Deployment names the Secret"
all=$(git -C "$EDDY_GIT_ROOT/boot.git" grep -I -e "Reg-Pass-555" -e "$(printf bot:Reg-Pass-555 | base64)" \
    main -- . || true)
assert_eq "" "$all" "no credentials in Git"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "synced with the pull Secret"

step "the in-cluster agent over SSH, from the Secret alone, with the pull Secret's Deployment"
# No ~/.ssh in its HOME: the key and known_hosts come from the flux-system Secret only.
mapfile -t dargs < <(printf '%s\n' "$comp" | awk '/- args:/ { f = 1; next }
    f && /^ *- / { sub(/^ *- /, ""); print; next } f { exit }')
stop_pidfile "$agent/agent.pid"
incluster_start incluster-ssh "${dargs[@]}"
(cd "$work" && git pull -q origin main && sed -i 's/greeting: hi/greeting: hello/' clusters/one/apps/hello.yaml &&
    git commit -qam "hello" && git push -q origin HEAD:main)
assert_ok "reconcile" "$eddy" reconcile kustomization flux-system --with-source --timeout 1m
assert_eq hello "$(kubectl -n "$apps" get configmap hello -o jsonpath='{.data.greeting}')" "the app's new ConfigMap"
assert_eq "main@sha1:$(head_of)" "$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.lastAppliedRevision}')" \
    "the in-cluster agent applied the commit over SSH"
incluster_check incluster-ssh

step "a kustomization.yaml edited in Git is kept and applied with its patch, as flux applies it"
# flux applies the flux-system directory's kustomization.yaml (its components with the patches
# a user added there), with its field manager "flux": the patched annotation is the
# bootstrap's, not only the agent's ("kustomize-controller").
(cd "$work" && git pull -q origin main && cat >>clusters/one/flux-system/kustomization.yaml <<'YAML' &&
# edited by hand
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: eddy
      namespace: flux-system
      annotations:
        e2e.eddy.dev/patched: by-kustomization
YAML
    git commit -qam "kustomization.yaml by hand" && git push -q origin HEAD:main)
n=$(commits)
ssh_boot() {
    "$eddy" bootstrap git --url="$ssh_url" --path=clusters/one --private-key-file="$EDDY_GIT_SSH_KEY" \
        --known-hosts-file="$EDDY_GIT_SSH_KNOWN_HOSTS" --silent --local-agent --local-agent-dir "$agent" \
        --interval 2m --registry registry.e2e.invalid/fluxcd --image-pull-secret regcred \
        --registry-creds "bot:Reg-Pass-555" "$@"
}
out=$(ssh_boot --timeout 2m 2>&1) || fail "bootstrap after the edit failed:
$out"
assert_contains "$out" "✔ sync manifests are up to date" "nothing to commit"
assert_eq "$n" "$(commits)" "the edit is not undone"
assert_contains "$(g show main:clusters/one/flux-system/kustomization.yaml)" "# edited by hand" "the edit kept"
owned=$(kubectl -n flux-system get deployment eddy -o json --show-managed-fields |
    jq -r '.metadata.managedFields[] | select(.manager == "flux") | .fieldsV1["f:metadata"]["f:annotations"] // {} | keys[]')
assert_contains "$owned" "f:e2e.eddy.dev/patched" "bootstrap applied the patched Deployment"

step "a Kustomization that turns Ready False ends the wait at once, as flux's"
(cd "$work" && git pull -q origin main &&
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: %s}\n' "$apps" >clusters/one/apps/broken.yaml &&
    git add -A && git commit -qm "a ConfigMap without a name" && git push -q origin HEAD:main)
t0=$SECONDS
assert_fails "a Kustomization that cannot build" ssh_boot --timeout 2m
[ $((SECONDS - t0)) -lt 60 ] || fail "bootstrap waited $((SECONDS - t0)) s for a failed Kustomization"
why=$(kubectl -n flux-system get kustomization flux-system -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
assert_contains "$why" "kustomize build failed" "the Kustomization's failure"
assert_contains "$OUT" "✗ $why
► confirming components are healthy" "flux's line: the Ready message"
assert_contains "$OUT" "✗ bootstrap failed with 1 health check failure(s): error while waiting for Kustomization to be ready: '$why'" \
    "flux's error"

step "no kustomization.yaml in flux-system: flux's generator lists what the directory holds"
# flux's manifestgen/kustomization: when the directory has no kustomization.yaml, every file
# kustomize reads as resources (any extension; prose and a nameless object are not), files of
# subdirectories, and a subdirectory with its own kustomization as one entry, in name order.
(cd "$work" && git pull -q origin main && git rm -q clusters/one/apps/broken.yaml &&
    fd=clusters/one/flux-system && git rm -q "$fd/kustomization.yaml" && mkdir -p "$fd/nested" "$fd/own" &&
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: %s}\n' "$apps" >"$fd/extra.yaml" &&
    printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json", "namespace": "%s"}}\n' "$apps" >"$fd/cm.json" &&
    printf '# notes\n\nNot a manifest.\n' >"$fd/notes.md" &&
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: %s}\n' "$apps" >"$fd/nameless.yaml" &&
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested, namespace: %s}\n' "$apps" >"$fd/nested/one.yaml" &&
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own, namespace: %s}\n' "$apps" >"$fd/own/own.yaml" &&
    printf 'resources:\n- own.yaml\n' >"$fd/own/kustomization.yaml" &&
    git add -A && git commit -qm "flux-system without kustomization.yaml" && git push -q origin HEAD:main)
n=$(commits)
out=$(ssh_boot --timeout 2m 2>&1) || fail "bootstrap without kustomization.yaml failed:
$out"
assert_eq $((n + 1)) "$(commits)" "the generated kustomization.yaml is one commit"
assert_eq "Add Flux sync manifests" "$(g log -1 --format=%B main)" "the sync's commit"
assert_eq "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- cm.json
- extra.yaml
- gotk-components.yaml
- gotk-sync.yaml
- nested/one.yaml
- own" "$(g show main:clusters/one/flux-system/kustomization.yaml)" "flux's listing of the directory"
for cm in extra json nested own; do
    assert_eq "$cm" "$(kubectl -n "$apps" get configmap "$cm" -o jsonpath='{.metadata.name}')" "ConfigMap $cm applied"
done
out=$(ssh_boot --timeout 2m 2>&1) || fail "bootstrap again failed:
$out"
assert_contains "$out" "✔ sync manifests are up to date" "the generated file kept on the next run"

step "--namespace gitops: every object, the path and the sync names in it"
# flux names the sync objects after the namespace and puts the files under <path>/<namespace>;
# the Secret keeps --secret-name's default, flux-system (cmd/flux/bootstrap.go). The flux-system
# installation is removed first: one agent per cluster serves the CRDs.
stop_pidfile "$agent/agent.pid"
"$eddy" uninstall --silent >/dev/null 2>&1 || fail "uninstall of flux-system failed"
kubectl wait --for=delete namespace/flux-system --timeout=90s >/dev/null 2>&1 || true
new_repo boot-ns
ns_url=$EDDY_GIT_HTTP_URL/boot-ns.git
ns_boot() {
    "$eddy" bootstrap git -n gitops --url="$1" --allow-insecure-http --branch=main --path=clusters/ns --silent \
        --local-agent --local-agent-dir "$scratch/agent-ns" --timeout 2m "${@:2}"
}
out=$(ns_boot "$ns_url" -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" 2>&1) ||
    fail "bootstrap in gitops failed:
$out"
echo "$out"
assert_eq "clusters/ns/gitops/gotk-components.yaml
clusters/ns/gitops/gotk-sync.yaml
clusters/ns/gitops/kustomization.yaml" "$(git -C "$EDDY_GIT_ROOT/boot-ns.git" ls-tree -r --name-only main)" \
    "the files under <path>/gitops"
for l in "► installing components in \"gitops\" namespace" \
    "► determining if source secret \"gitops/flux-system\" exists" \
    "► applying source secret \"gitops/flux-system\"" \
    "◎ waiting for GitRepository \"gitops/gitops\" to be reconciled" \
    "◎ waiting for Kustomization \"gitops/gitops\" to be reconciled" "✔ all components are healthy"; do
    assert_contains "$out" "$l" "flux's line in gitops"
done
assert_eq "flux-system" "$(kubectl -n gitops get gitrepository gitops -o jsonpath='{.spec.secretRef.name}')" \
    "the GitRepository gitops/gitops reads the Secret gitops/flux-system"
assert_eq "./clusters/ns gitops" \
    "$(kubectl -n gitops get kustomization gitops -o jsonpath='{.spec.path} {.spec.sourceRef.name}')" \
    "the Kustomization gitops/gitops"
assert_eq "main@sha1:$(git -C "$EDDY_GIT_ROOT/boot-ns.git" rev-parse main)" \
    "$(kubectl -n gitops get kustomization gitops -o jsonpath='{.status.lastAppliedRevision}')" "gitops synced"
assert_eq "gitops" "$(kubectl -n gitops get deployment eddy -o jsonpath='{.metadata.labels.app\.kubernetes\.io/instance}')" \
    "the Deployment in gitops, its instance label"
assert_eq "gitops" "$(kubectl get clusterrolebinding cluster-reconciler-gitops -o jsonpath='{.subjects[0].namespace}')" \
    "the ClusterRoleBinding named after gitops, for its ServiceAccount"
assert_eq "gitops" "$(kubectl get lease -A -o jsonpath='{.items[?(@.metadata.name=="eddy-leader-election")].metadata.namespace}')" \
    "the agent's lease in gitops"
assert_eq "" "$(kubectl get namespace flux-system --ignore-not-found -o name)" "nothing in flux-system"

step "a bearer token: an existing Secret left alone, a new one written once, then 'up to date'"
# flux regenerates the Secret only for a key pair, a CA, or a username and password: a bearer
# token alone leaves an existing one as it is (the token not written). The e2e git server takes
# basic auth at /git/ only; its anonymous URL (/public/) ignores the Authorization header and
# takes pushes, so the token's runs go there (a new URL: one sync commit).
pub_url=$EDDY_GIT_HTTP_PUBLIC_URL/boot-ns.git
secret_rv() { kubectl -n gitops get secret flux-system -o jsonpath='{.metadata.resourceVersion}'; }
rv=$(secret_rv)
out=$(ns_boot "$pub_url" --with-bearer-token -p Bearer-Tok-777 2>&1) || fail "bootstrap with a bearer token failed:
$out"
assert_contains "$out" "► determining if source secret \"gitops/flux-system\" exists
✔ source secret up to date
► generating sync manifests" "flux's line: the existing Secret kept"
assert_not_contains "$out" "Bearer-Tok-777" "the token is never printed"
assert_eq "$rv" "$(secret_rv)" "the Secret unchanged"
assert_eq "" "$(kubectl -n gitops get secret flux-system -o jsonpath='{.data.bearerToken}')" "no bearerToken written"
assert_eq "$pub_url" "$(kubectl -n gitops get gitrepository gitops -o jsonpath='{.spec.url}')" "the new URL synced"
kubectl -n gitops delete secret flux-system >/dev/null
out=$(ns_boot "$pub_url" --with-bearer-token -p Bearer-Tok-777 2>&1) || fail "bootstrap with a bearer token, no Secret, failed:
$out"
assert_contains "$out" "► determining if source secret \"gitops/flux-system\" exists
► generating source secret
► applying source secret \"gitops/flux-system\"
✔ reconciled source secret" "flux's lines: the Secret generated"
assert_eq "bearerToken " "$(kubectl -n gitops get secret flux-system -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')" \
    "the Secret holds the token alone"
assert_eq "Bearer-Tok-777" "$(kubectl -n gitops get secret flux-system -o jsonpath='{.data.bearerToken}' | base64 -d)" \
    "the token in the Secret"
rv=$(secret_rv)
out=$(ns_boot "$pub_url" --with-bearer-token -p Bearer-Tok-777 2>&1) || fail "second bootstrap with a bearer token failed:
$out"
assert_contains "$out" "► determining if source secret \"gitops/flux-system\" exists
✔ source secret up to date" "the second run: flux's line"
assert_contains "$out" "✔ sync manifests are up to date" "the second run: no commit"
assert_eq "$rv" "$(secret_rv)" "the second run leaves the Secret alone"

step "flux's sources of the password: --username's default git, GIT_PASSWORD, --token-auth's question"
# cmd/flux/bootstrap_git.go: --username defaults to git; GIT_PASSWORD gives the password when
# --password does not; --token-auth asks for it on stdout and reads stdin (no answer: flux's
# error). The anonymous URL takes whatever credentials, so the Secret shows what was used.
secret_of() { kubectl -n gitops get secret flux-system -o jsonpath="{.data.$1}" | base64 -d; }
out=$(ns_boot "$pub_url" -p Pass-Only-1 2>&1) || fail "bootstrap with --password alone failed:
$out"
assert_eq "git Pass-Only-1" "$(secret_of username) $(secret_of password)" "--username's default git"
out=$(GIT_PASSWORD=Env-Pass-2 ns_boot "$pub_url" -u envuser 2>&1) || fail "bootstrap with GIT_PASSWORD failed:
$out"
assert_not_contains "$out" "Env-Pass-2" "GIT_PASSWORD is never printed"
assert_eq "envuser Env-Pass-2" "$(secret_of username) $(secret_of password)" "the password from GIT_PASSWORD"
out=$(printf 'Asked-Pass-3\n' | ns_boot "$pub_url" --token-auth -u asked 2>"$scratch/asked.err") ||
    fail "bootstrap with --token-auth failed:
$(cat "$scratch/asked.err")"
assert_eq "Please enter your Git repository password: " "$out" "flux's question on stdout"
assert_not_contains "$(cat "$scratch/asked.err")" "Asked-Pass-3" "the answer is never printed"
assert_eq "asked Asked-Pass-3" "$(secret_of username) $(secret_of password)" "the password asked for"
assert_fails "--token-auth without an answer" ns_boot "$pub_url" --token-auth </dev/null
assert_contains "$OUT" "✗ could not read token: could not read from stdin: EOF" "flux's error"
assert_eq "asked Asked-Pass-3" "$(secret_of username) $(secret_of password)" "nothing applied"
assert_fails "--token-auth over ssh" "$eddy" bootstrap git --url="$ssh_url" --path=clusters/ns --token-auth
assert_contains "$OUT" "--token-auth is for http(s) URLs" "a token is for http(s)"

step "--token-auth: the URL's user part is not written into gotk-sync.yaml"
# flux's bootstrap with --token-auth clears the URL's user (cmd/flux/bootstrap_git.go): the
# credentials are the Secret's. eddy never writes nor prints the URL's password either.
out=$(ns_boot "$(with_userinfo "$pub_url" urluser Url-Pass-5)" --token-auth -u tokuser -p Tok-Pass-5 2>&1) ||
    fail "bootstrap with a user in the URL failed:
$out"
assert_eq "$pub_url" "$(kubectl -n gitops get gitrepository gitops -o jsonpath='{.spec.url}')" \
    "no user in the GitRepository's url"
assert_contains "$(git -C "$EDDY_GIT_ROOT/boot-ns.git" show main:clusters/ns/gitops/gotk-sync.yaml)" "url: $pub_url" \
    "no user in gotk-sync.yaml"
assert_contains "$out" "► cloning branch \"main\" from Git repository \"$(with_userinfo "$pub_url" urluser x | sed 's/:x@/@/')\"" \
    "the URL shown without its password"
assert_not_contains "$out" "Url-Pass-5" "the URL's password never printed"
assert_eq "tokuser Tok-Pass-5" "$(secret_of username) $(secret_of password)" "the Secret's credentials"
