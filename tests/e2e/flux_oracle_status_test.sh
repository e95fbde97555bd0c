#!/usr/bin/env bash
# tests/e2e/flux_oracle_status_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh)
# as the oracle of a Kustomization's status, conditions and Events. Every case is one
# Kustomization spec given twice, to Flux in namespace oracle-flux and to eddy in oracle-eddy,
# each applying into a target namespace of its own (<ns>-t). Once both have settled, what each
# wrote is compared: the conditions (type, status, reason, message), the inventory,
# lastAppliedRevision and lastAttemptedRevision, observedGeneration, the history entries (less
# the digest: the build order of oks1 changes it), the finalizers, and the Events about it
# (type, reason, message, annotations); then the objects each left in its target namespace.
# Only what must differ is normalised: the namespace of the pair, durations and timestamps, and
# how many times a failure was retried (history's totalReconciliations of a failure).
#
# The cases: success with and without wait (Healthy), a manifest the API server rejects, a
# missing path, a kustomize error, a health check of a missing object (timeout), a failed Job
# under wait (the health check fails early, before its timeout), dependsOn a
# Kustomization that is not ready, a source that does not exist, suspend, a serviceAccountName
# of a missing account, a missing postBuild.substituteFrom ConfigMap (optional and not); then a
# second commit: prune (the Event's change set), an immutable field changed with and without
# force; then deletion with each deletionPolicy.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nse=oracle-eddy
nsf=oracle-flux
ks_setup "$nse" oracle
new_namespace "$nsf"
new_namespace "$nse-t"
new_namespace "$nsf-t"
git_auth_secret "$nsf"
flux_bucket_crd

# cm NAME [KEY=VALUE]: a ConfigMap.
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {%s}\n' "$1" "${2:-k: v}"; }

cm ok-a | put ok/cm.yaml
cm wait-a | put wait/cm.yaml
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: wait-svc}\nspec:\n  ports: [{port: 80}]\n' |
    put wait/svc.yaml
cm rejected-a | put rejected/cm.yaml
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: rejected-svc}\nspec:\n  ports: [{port: 70000}]\n' |
    put rejected/svc.yaml
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [absent.yaml]\n' |
    put kerr/kustomization.yaml
cm hc-a | put hc/cm.yaml
# (the simulated node fails the Job's Pod: fakenode.eddy.dev/state)
put jobfail/job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 0
  template:
    metadata: {annotations: {fakenode.eddy.dev/state: fail}}
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
YAML
cm dep-a | put dep/cm.yaml
cm susp-a | put susp/cm.yaml
cm sa-a | put sa/cm.yaml
cm subst-a 'k: "${var:=default}"' | put subst/cm.yaml
cm substopt-a 'k: "${var:=default}"' | put substopt/cm.yaml
cm prune-a | put prune/a.yaml
cm prune-b | put prune/b.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: force-a}\nimmutable: true\ndata: {k: one}\n' |
    put force/cm.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: noforce-a}\nimmutable: true\ndata: {k: one}\n' |
    put noforce/cm.yaml
for p in delete orphan mirror; do cm "del$p-a" | put "del$p/cm.yaml"; done
commit "the cases"

# The GitRepository of each namespace, reconciled by eddy and read by both (shard both).
for n in "$nse" "$nsf"; do
    ns=$n gitrepository "$repo" "{shard: both}"
done

# pair NAME PATH [SPEC-YAML]: the Kustomization NAME in both namespaces, each on its shard and
# applying into its own target namespace, of the GitRepository $SRC (default $repo) with the
# timeout $TIMEOUT (default 30s) and more spec fields (YAML lines, indented by two).
pair() {
    local n shard
    for n in "$nse" "$nsf"; do
        shard=eddy
        [ "$n" = "$nsf" ] && shard=flux
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $1, labels: {shard: $shard}}
spec:
  interval: 10m
  retryInterval: 4s
  path: $2
  prune: true
  timeout: ${TIMEOUT:-30s}
  targetNamespace: $n-t
  sourceRef: {kind: GitRepository, name: ${SRC:-$repo}}
${3:-}
YAML
    done
}

pair ok ./ok
pair wait ./wait "  wait: true"
pair rejected ./rejected
pair nopath ./missing
pair kerr ./kerr
TIMEOUT=6s pair hc ./hc "  healthChecks: [{apiVersion: v1, kind: ConfigMap, name: absent, namespace: $nse-t}]"
pair dep ./dep "  dependsOn: [{name: nopath}]"
TIMEOUT=2m pair jobfail ./jobfail "  wait: true"
SRC=absent pair nosrc ./ok
pair susp ./susp "  suspend: true"
pair sa ./sa "  serviceAccountName: absent"
pair subst ./subst "  postBuild: {substituteFrom: [{kind: ConfigMap, name: absent}]}"
pair substopt ./substopt "  postBuild: {substituteFrom: [{kind: ConfigMap, name: absent, optional: true}]}"
pair prune ./prune
pair force ./force "  force: true"
pair noforce ./noforce
pair deldelete ./deldelete "  deletionPolicy: Delete"
pair delorphan ./delorphan "  deletionPolicy: Orphan"
pair delmirror ./delmirror "  deletionPolicy: MirrorPrune"
# The health check names its namespace: the one of Flux's copy is its own.
kubectl -n "$nsf" patch kustomization hc --type merge \
    -p "{\"spec\":{\"healthChecks\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"absent\",\"namespace\":\"$nsf-t\"}]}}" >/dev/null

# Flux's flags of retries and jitter, with Flux's defaults (and their bounds).
assert_fails "a jitter of 100%" "$eddy" controller --interval-jitter-percentage 100
assert_contains "$OUT" "from 0 to 99" "--interval-jitter-percentage's bounds"
assert_fails "a first retry after the cap" "$eddy" controller --min-retry-delay 1m --max-retry-delay 2s
assert_contains "$OUT" "must not exceed" "--min-retry-delay beyond --max-retry-delay"
flux_start
agent --watch-label-selector 'shard in (eddy,both)' --min-retry-delay 750ms --max-retry-delay 15m \
    --interval-jitter-percentage 5

# The normalisation: the namespace of the pair (also inside the target's name), durations
# ("6s", "1m30s", "250ms", "1.5s") and the directory where each unpacked the artifact. A
# duration keeps whether it has a fraction (DUR.F): a measured one is printed in full, as Go's
# Duration.String() ("4.123456ms", "1.234567891s"), a configured one is whole ("10m0s"). One
# deliberate difference: what follows "kustomize build failed: <phase>: " is eddy's own
# engine's error (it names the kustomization.yaml and the entry, not temporary paths), so only
# the phase is compared (README, Kustomization status).
norm='def n: if type == "string" then gsub($ns; "NS")
    | gsub("stat /[^ :]+/missing:"; "stat ROOT/missing:")
    | gsub("^(?<p>kustomize build failed: [^:]+: ).*"; "\(.p)(kustomize error)")
    | gsub("(?<![0-9a-z.])(?<d>[0-9]+(\\.[0-9]+)?(ns|µs|ms|s|m|h)([0-9]+(\\.[0-9]+)?(ns|µs|ms|s|m|h))*)(?![a-z])";
        if (.d | test("\\.")) then "DUR.F" else "DUR" end)
    else . end;'

# view NS NAME: what NAME in NS says of itself, normalised.
view() {
    kubectl -n "$1" get kustomization "$2" -o json | jq -S --arg ns "$1" "$norm"'
    {generationObserved: (.status.observedGeneration == .metadata.generation),
     conditions: [(.status.conditions // [])[] | {type, status, reason, message: (.message | n)}]
        | sort_by(.type),
     inventory: [(.status.inventory.entries // [])[] | {id: (.id | n), v}],
     lastAppliedRevision: .status.lastAppliedRevision,
     lastAttemptedRevision: .status.lastAttemptedRevision,
     lastHandledReconcileAt: .status.lastHandledReconcileAt,
     history: [(.status.history // [])[] | del(.digest, .firstReconciled, .lastReconciled)
        | .lastReconciledDuration |= n
        | if .lastReconciledStatus != "ReconciliationSucceeded"
          then .totalReconciliations |= (. > 0) else . end],
     finalizers: .metadata.finalizers}'
}

# events NS NAME: the Events about NAME in NS, normalised, each once. A failed health check's
# Event is compared up to "health check failed after DUR: ": Flux's health check sometimes ends
# on its client's rate limiter instead of its timeout ("client rate limiter Wait returned an
# error: rate: Wait(n=1) would exceed context deadline"), a race inside Flux; the whole message
# is compared in status, which waits for an attempt of Flux's that says "timeout waiting for".
# Left out: client-go's "(combined from similar events): " Events, which Flux's recorder makes
# of a failure retried ten times when each attempt's message names a new temporary directory
# (eddy's names the same unpacked tree each time, so its Events are counted instead).
events() {
    kubectl -n "$1" get events -o json | jq -S --arg ns "$1" --arg name "$2" "$norm"'
    [.items[] | select(.involvedObject.kind == "Kustomization" and .involvedObject.name == $name)
        | select(.message | startswith("(combined from similar events): ") | not)
        | {type, reason,
           message: (.message | n | sub("^(?<p>health check failed after DUR(\\.F)?: ).*"; "\(.p)...")),
           annotations: ((.metadata.annotations // {}) | with_entries(.value |= n))}] | unique'
}

# objects NS: the objects in the target namespace NS, less what the server sets.
objects() {
    kubectl -n "$1" get configmaps,services -o json | jq -S --arg ns "${1%-t}" "$norm"'
    [.items[] | select(.metadata.name != "kube-root-ca.crt")
        | {kind, name: .metadata.name, labels: (.metadata.labels // {} | with_entries(.value |= n)),
           data, immutable}]'
}

# settled NS NAME [REV]: NAME in NS has a Ready condition that is not Unknown (or is
# suspended), and attempted REV when given. (Flux moves observedGeneration only on success.)
settled() {
    local v
    v=$(kubectl -n "$1" get kustomization "$2" -o json)
    [ "$(jq -r .spec.suspend <<<"$v")" = true ] && return 0
    jq -e --arg rev "${3:-}" '([(.status.conditions // [])[] | select(.type == "Ready" and .status != "Unknown")]
            | length == 1)
        and ($rev == "" or .status.lastAttemptedRevision == $rev)' <<<"$v" >/dev/null
}

# compare NAME [REV]: Flux and eddy wrote the same of NAME once both settled.
compare() {
    retry 90 settled "$nsf" "$1" "${2:-}"
    retry 90 settled "$nse" "$1" "${2:-}"
    # (a failing one is retried every 4 s: both keep their message; a health check every
    # 34 s, which may need the next one: see events)
    retry "${SAME_WITHIN:-15}" same_status "$1"
    retry 15 same_events "$1"
    echo "same: $1"
}

step "first commit: status, conditions and Events the same as Flux's"
rev1=$(rev)
SAME_WITHIN=40 compare hc
for k in ok wait rejected nopath kerr jobfail nosrc sa subst substopt prune force noforce \
    deldelete delorphan delmirror; do
    compare "$k"
done
assert_contains "$(ns=$nse ready_message jobfail)" \
    "failed early due to stalled resources: [Job/$nse-t/migrate status: 'Failed']" \
    "the failed Job's health check fails early"
# dependsOn is told once nopath failed; suspend only has its finalizer.
compare dep
compare susp
same "the objects applied" "$(objects "$nsf-t")" "$(objects "$nse-t")" || fail "objects differ"

step "second commit: prune's change set, an immutable field with and without force"
rm "$work/prune/b.yaml"
sed -i 's/one/two/' "$work/force/cm.yaml" "$work/noforce/cm.yaml"
commit "prune one, change immutable data"
for n in "$nse" "$nsf"; do
    kubectl -n "$n" annotate --overwrite "gitrepository/$repo" \
        reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
done
rev2=$(rev)
for k in prune force noforce ok; do
    compare "$k" "$rev2"
done
same "the objects after the second commit" "$(objects "$nsf-t")" "$(objects "$nse-t")" ||
    fail "objects differ"

step "deletion with each deletionPolicy"
for k in deldelete delorphan delmirror; do
    kubectl -n "$nse" delete kustomization "$k" --wait=false >/dev/null
    kubectl -n "$nsf" delete kustomization "$k" --wait=false >/dev/null
done
for k in deldelete delorphan delmirror; do
    retry 30 bash -c "! kubectl -n $nse get kustomization $k >/dev/null 2>&1"
    retry 30 bash -c "! kubectl -n $nsf get kustomization $k >/dev/null 2>&1"
    retry 10 same_events "$k"
done
same "the objects after the deletions" "$(objects "$nsf-t")" "$(objects "$nse-t")" ||
    fail "objects differ"

step "eddy left Flux's shard alone (its drift watch sees Flux's objects, labeled with their owner)"
writes=$(grep -E "API request method=(PATCH|PUT|POST|DELETE) path=[^ ]*/namespaces/$nsf(-t)?/(kustomizations|configmaps|services)/" \
    "$scratch/ctl.log" || true)
assert_eq "" "$writes" "eddy's writes to Flux's Kustomizations and their objects"
