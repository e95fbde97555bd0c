# tests/e2e/flux_lib.sh: Flux's own kustomize-, source- and image-automation-controller (Flux
# 2.9.5's, built by hack/flux/build into .bin/) and image-reflector-controller (v1.2.0: see
# hack/flux/image-reflector-controller) as the oracles of the tests that run Flux and eddy on
# the same inputs (sourced after lib.sh).
#
# Flux and eddy share one cluster by label selectors, each reconciling the objects of its shard:
# Flux's controller watches `shard in (flux,both)` and eddy's agent (flux_agent) `shard in
# (eddy,both)`. A GitRepository labeled `shard: both` is reconciled by eddy (Flux's
# source-controller does not run) and read by both, so Flux's kustomize-controller fetches
# eddy's artifact from eddy's artifact server as it would source-controller's. Moving a
# Kustomization from one shard to the other hands it over.
flux_kc=$EDDY_ROOT/.bin/kustomize-controller
flux_crds=$EDDY_ROOT/.bin/flux-crds

# flux_bucket_crd: the Bucket CRD, which Flux's kustomize-controller watches (eddy ships none).
flux_bucket_crd() {
    kubectl apply --server-side -f "$flux_crds/source.toolkit.fluxcd.io_buckets.yaml" >/dev/null
    retry 60 kubectl wait --for=condition=Established --timeout=60s \
        crd/buckets.source.toolkit.fluxcd.io >/dev/null
}

# flux_source_crds: eddy's CRDs and the source kinds Flux's source-controller watches that eddy
# ships none of (Bucket, HelmRepository, HelmChart, ExternalArtifact), all Established.
flux_source_crds() {
    local kind
    kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
    for kind in buckets helmrepositories helmcharts externalartifacts; do
        kubectl apply --server-side -f "$flux_crds/source.toolkit.fluxcd.io_$kind.yaml" >/dev/null
    done
    retry 60 kubectl wait --for=condition=Established --timeout=60s \
        crd/gitrepositories.source.toolkit.fluxcd.io crd/ocirepositories.source.toolkit.fluxcd.io \
        crd/buckets.source.toolkit.fluxcd.io crd/helmrepositories.source.toolkit.fluxcd.io \
        crd/helmcharts.source.toolkit.fluxcd.io crd/externalartifacts.source.toolkit.fluxcd.io
}

# flux_pair NS SHARD [SPEC-YAML]: in NS, the GitRepository $repo (of $EDDY_GIT_HTTP_URL, Secret
# git-auth: ks_lib's gitrepository) on both shards and the Kustomization app of its ./app on SHARD
# (prune, timeout 30s, targetNamespace NS-t), with more spec fields (YAML lines, indented by two
# spaces).
flux_pair() {
    ns=$1 gitrepository "$repo" "{shard: both}"
    kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, labels: {shard: $2}}
spec:
  interval: 10m
  path: ./app
  prune: true
  timeout: 30s
  targetNamespace: $1-t
  sourceRef: {kind: GitRepository, name: $repo}
${3:-}
YAML
}

# flux_program_start NAME BIN [ARGS...]: start Flux's controller BIN (bg_start NAME, its JSON log
# in $EDDY_E2E_SCRATCH/NAME.log) on shard flux, with extra ARGS, as all of Flux's controllers
# here run: its runtime namespace $FLUX_NS (default flux-system, created when missing), metrics
# and health on free ports, log level debug, and the watch label selector $FLUX_SELECTOR
# (default 'shard in (flux,both)'). An ARG that gives a flag again wins (pflag keeps the last).
# It has no --kubeconfig flag: it reads $KUBECONFIG.
flux_program_start() {
    local name=$1 bin=$2 rns=${FLUX_NS:-flux-system}
    shift 2
    [ -x "$bin" ] || fail "$bin missing: run hack/flux/build"
    kubectl get namespace "$rns" >/dev/null 2>&1 || kubectl create namespace "$rns" >/dev/null
    RUNTIME_NAMESPACE=$rns bg_start "$name" "$bin" \
        --metrics-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
        --log-level debug --watch-label-selector "${FLUX_SELECTOR:-shard in (flux,both)}" "$@"
}

# flux_start [ARGS...]: start Flux's kustomize-controller (flux_program_start flux-kc).
flux_start() { flux_program_start flux-kc "$flux_kc" "$@"; }

# flux_stop: stop it.
flux_stop() { bg_stop flux-kc; }

# flux_iac_start [ARGS...]: start Flux's image-automation-controller
# (.bin/image-automation-controller, flux_program_start flux-iac), with extra ARGS. It reads the
# GitRepositories and ImagePolicies of every shard (its selector filters only
# ImageUpdateAutomations) and clones and pushes with the GitRepository's URL and secretRef
# itself: no source-controller needed.
flux_iac=$EDDY_ROOT/.bin/image-automation-controller
flux_iac_start() { flux_program_start flux-iac "$flux_iac" "$@"; }

# flux_iac_stop: stop it.
flux_iac_stop() { bg_stop flux-iac; }

# flux_irc_start [ARGS...]: start Flux's image-reflector-controller
# (.bin/image-reflector-controller, flux_program_start flux-irc), with extra ARGS. Its tag
# database (badger) is $EDDY_E2E_SCRATCH/flux-irc-db, its value log files 16 MiB (the default
# is 256 MiB).
flux_irc=$EDDY_ROOT/.bin/image-reflector-controller
flux_irc_start() {
    flux_program_start flux-irc "$flux_irc" --storage-path "$EDDY_E2E_SCRATCH/flux-irc-db" \
        --storage-value-log-file-size $((16 << 20)) "$@"
}

# flux_irc_stop: stop it.
flux_irc_stop() { bg_stop flux-irc; }

# flux_sc_start [ARGS...]: start Flux's source-controller (.bin/source-controller,
# flux_program_start flux-sc), with extra ARGS. It stores its artifacts in
# $EDDY_E2E_SCRATCH/flux-storage and serves them on 127.0.0.1:$flux_sc_port, the address it
# writes into their URLs.
flux_sc=$EDDY_ROOT/.bin/source-controller
flux_sc_start() {
    flux_sc_port=$(free_port)
    mkdir -p "$EDDY_E2E_SCRATCH/flux-storage"
    flux_program_start flux-sc "$flux_sc" --storage-path "$EDDY_E2E_SCRATCH/flux-storage" \
        --storage-addr "127.0.0.1:$flux_sc_port" --storage-adv-addr "127.0.0.1:$flux_sc_port" "$@"
}

# flux_sc_stop: stop it.
flux_sc_stop() { bg_stop flux-sc; }

# --- comparing a pair: Flux's copy of an object in $nsf, eddy's in $nse ---------------------------
# (view NS NAME and events NS NAME say what is compared of an object: those below compare a
# Kustomization; a test that compares something else defines its own after sourcing this file)

# flux_norm: the jq function n, which makes a string neutral of the namespace of the pair ($ns)
# and of durations (Go's, 1m30s), then applies $flux_norm_more (jq steps, `| gsub(...)`: what a
# test makes neutral besides).
flux_norm() {
    printf '%s' 'def n: if type == "string" then gsub($ns; "NS")
    | gsub("(?<![0-9a-z.])[0-9]+(\\.[0-9]+)?(ms|s|m|h)([0-9]+(\\.[0-9]+)?(ms|s|m|h))*(?![a-z])"; "DUR")
    '"${flux_norm_more:-}"'
    else . end;'
}

# view NS NAME: the Kustomization NAME's conditions, revisions and inventory in NS, normalised.
view() {
    kubectl -n "$1" get kustomization "$2" -o json | jq -S --arg ns "$1" "$(flux_norm)"'
    {conditions: [(.status.conditions // [])[] | {type, status, reason, message: (.message | n)}]
        | sort_by(.type),
     inventory: [(.status.inventory.entries // [])[] | {id: (.id | n), v}],
     lastAppliedRevision: .status.lastAppliedRevision,
     lastAttemptedRevision: .status.lastAttemptedRevision,
     lastHandledReconcileAt: .status.lastHandledReconcileAt}'
}

# events NS NAME: the Events about the Kustomization NAME in NS, normalised, each once.
events() {
    kubectl -n "$1" get events -o json | jq -S --arg ns "$1" --arg name "$2" "$(flux_norm)"'
    [.items[] | select(.involvedObject.kind == "Kustomization" and .involvedObject.name == $name)
        | select(.message | startswith("(combined from similar events): ") | not)
        | {type, reason, message: (.message | n),
           annotations: ((.metadata.annotations // {}) | with_entries(.value |= n))}] | unique'
}

# same WHAT A B: the two texts are equal; their diff on stderr otherwise.
same() { diff <(echo "$2") <(echo "$3") >&2 || { echo "differs: $1" >&2; return 1; }; }
same_status() { same "status of $1" "$(view "$nsf" "$1")" "$(view "$nse" "$1")"; }
same_events() { same "Events of $1" "$(events "$nsf" "$1")" "$(events "$nse" "$1")"; }

# handled NS NAME TOKEN: the Kustomization NAME in NS handled the reconcile requested with TOKEN
# and says Ready True or False.
handled() {
    kubectl -n "$1" get kustomization "$2" -o json | jq -e --arg t "$3" \
        '.status.lastHandledReconcileAt == $t
         and ([.status.conditions[]? | select(.type == "Ready" and .status != "Unknown")]
              | length == 1)' >/dev/null
}

# request NAME: a reconcile of the Kustomization NAME requested in both namespaces with one
# token, then both handled it and wrote the same status and Events.
request() {
    local token n
    token=$(date +%s%N)
    for n in "$nse" "$nsf"; do
        kubectl -n "$n" annotate --overwrite "kustomization/$1" \
            reconcile.fluxcd.io/requestedAt="$token" >/dev/null
    done
    retry 60 handled "$nsf" "$1" "$token"
    retry 60 handled "$nse" "$1" "$token"
    retry 15 same_status "$1"
    retry 15 same_events "$1"
}

# --- comparing log lines: Flux's controllers' JSON lines and eddy's agent's -----------------------

# flux_log_lines NS LOG...: the info and error lines about objects in NS in the JSON logs LOG...
# (Flux's or eddy's agent's, started with --log-encoding json), one a line: the object
# (Kind/name), a tab, the line with what must differ made neutral (JSON, in its key order),
# sorted, each once. Made neutral: ts, the reconcileID's value, the Go stack of an error line
# ("stacktrace": eddy's carry none, README), durations (Go's, in msg) and NS (as "NS"); with
# $FLUX_LOG_JQ set, a jq filter more (a def of neutral, applied to every string). Debug lines
# are left out (eddy's are its own), and Flux's trace-level ones (the Event recorder's).
flux_log_lines() {
    local ns=$1
    shift
    cat "$@" | jq -c -R --arg ns "$ns" "${FLUX_LOG_JQ:-def neutral: .;}"'
        fromjson? | select(.level == "info" or .level == "error")
        | select(.namespace == $ns) | del(.ts) | del(.stacktrace)
        | if has("reconcileID") then .reconcileID = "ID" else . end
        | .msg |= gsub("([0-9]+(\\.[0-9]+)?(ns|µs|ms|s|m|h))+"; "D")
        | walk(if type == "object" then with_entries(.key |= gsub($ns; "NS"))
            elif type == "string" then gsub($ns; "NS") | neutral else . end)
        | "\(.controllerKind // "-")/\(.name)\t\(tojson)"' -r | sort -u
}
