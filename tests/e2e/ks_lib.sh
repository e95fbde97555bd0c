# tests/e2e/ks_lib.sh: shared set-up of the Kustomization feature tests (sourced after lib.sh):
# Flux's CRDs, a test namespace $ns, a Git repository $repo cloned in $work with commit(), a
# GitRepository named $repo in $ns, and helpers to start the agent and read and wait on
# Kustomizations.
eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
work=$scratch/work

# ks_setup NS REPO: the CRDs, namespace NS (fresh), repository REPO and its GitRepository.
ks_setup() {
    ns=$1
    repo=$2
    kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
    # (retried: right after the create, a CRD may have no conditions yet, which kubectl wait
    # reports as an error)
    retry 60 kubectl wait --for=condition=Established --timeout=60s \
        crd/gitrepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io
    new_namespace "$ns"
    new_repo "$repo"
    git clone -q "$(git_http_url "$repo")" "$work" 2>/dev/null
    git_auth_secret "$ns"
}

# gitrepository [NAME [LABELS]]: create the GitRepository NAME (default $repo) of the test's
# repository in $ns (after the first commit, so it has an artifact soon), with the labels LABELS
# (a YAML flow mapping: "{shard: both}").
gitrepository() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: ${1:-$repo}${2:+, labels: $2}}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/$repo.git
  ref: {branch: main}
  secretRef: {name: git-auth}
YAML
}

# commit MESSAGE: commit and push everything in the work tree.
commit() {
    (cd "$work" && git add -A && git commit -qm "$1" && git push -q origin HEAD:main)
}

# put FILE: write stdin to $work/FILE (directories created).
put() {
    mkdir -p "$(dirname "$work/$1")"
    cat >"$work/$1"
}

# agent [ARGS...]: start `eddy controller` (name ctl) with extra ARGS.
agent() {
    local port
    port=$(free_port)
    bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
        --log-level debug --leader-election-namespace default --leader-election-id "eddy-$ns-$$" \
        --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
        --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
        --storage-addr "127.0.0.1:$port" --storage-adv-addr "127.0.0.1:$port" \
        --health-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)" "$@"
}

# kustomization NAME PATH [SPEC-YAML]: create or update a Kustomization of $repo (prune:
# $KS_PRUNE, default true; retryInterval: $KS_RETRY, default 3s) with more
# spec fields (YAML lines, indented by two spaces).
kustomization() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $1}
spec:
  interval: 10m
  retryInterval: ${KS_RETRY:-3s}
  path: $2
  prune: ${KS_PRUNE:-true}
  timeout: 40s
  sourceRef: {kind: GitRepository, name: $repo}
${3:-}
YAML
}

# ksget NAME JSONPATH
ksget() { kubectl -n "$ns" get kustomization "$1" -o "jsonpath=$2"; }
ready_status() { ksget "$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
ready_reason() { ksget "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
ready_message() { ksget "$1" '{.status.conditions[?(@.type=="Ready")].message}'; }
# ready_message_matches NAME PATTERN: true when NAME's Ready message matches the glob PATTERN
# (for retry: a step that leaves Ready as the previous one did is told apart by its message).
# shellcheck disable=SC2053 # a glob, on purpose
ready_message_matches() { [[ "$(ready_message "$1")" == $2 ]]; }
rev() { echo "main@sha1:$(git -C "$work" rev-parse HEAD)"; }

# applied NAME REVISION: wait until NAME applied REVISION.
applied() {
    kubectl -n "$ns" wait "kustomization/$1" --for=jsonpath='{.status.lastAppliedRevision}'="$2" \
        --timeout=90s >/dev/null
}

# ready_is NAME STATUS REASON [SECONDS]: wait (60 s unless told) until NAME's Ready condition
# has STATUS and REASON.
ready_is() {
    local want="$2 $3"
    _ready_is() { [ "$(ready_status "$1") $(ready_reason "$1")" = "$2" ]; }
    retry "${4:-60}" _ready_is "$1" "$want"
}

# settled: the last reconcile of this namespace's Kustomizations that the agent (agent, log
# $scratch/ctl.log) started has ended. Only this namespace's: the agent also sees what earlier
# tests leave while their namespaces go, and a reconcile that finds its Kustomization gone logs
# no end.
settled() {
    grep -E 'reconciliation started|Reconciliation (finished|failed)' "$scratch/ctl.log" |
        grep -E "namespace=$ns( |\$)" | tail -1 | grep -qv 'reconciliation started'
}

# poke: make the GitRepository look at Git now.
poke() {
    kubectl -n "$ns" annotate --overwrite "gitrepository/$repo" \
        reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
}
