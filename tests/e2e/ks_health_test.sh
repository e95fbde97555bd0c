#!/usr/bin/env bash
# tests/e2e/ks_health_test.sh: spec.healthChecks in the real agent, as Flux: only the listed
# objects are checked (kstatus rules of the apply module), the Healthy condition says
# "Health check passed in D" (and an Event says so the first time); an object that never
# becomes ready fails at the timeout with
# Ready=False/HealthCheckFailed and Flux's message (while it runs, Ready=Unknown/Progressing,
# and Reconciling and Healthy say "Running health checks for revision R with a timeout of T");
# a failed Job fails at once, not at the
# timeout; the inventory holds what was applied even when health failed (pruned later); without
# wait and healthChecks there is no Healthy condition; a Job with ttlSecondsAfterFinished that
# is gone once finished counts as healthy (Flux's JobsWithTTL).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-health health

deployment() { # NAME [STATE]
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  selector: {matchLabels: {app: $1}}
  template:
    metadata:
      labels: {app: $1}
      annotations: {fakenode.eddy.dev/state: "${2:-ready}"}
    spec: {containers: [{name: c, image: nginx}]}
YAML
}
deployment web | put app/web.yaml
deployment slow not-ready | put app/slow.yaml
commit "web and slow"
gitrepository
# (no apiVersion: Flux's default, apps/v1)
kustomization health ./app "  targetNamespace: $ns
  healthChecks:
  - {kind: Deployment, name: web}"
agent
cond() { ksget health "{.status.conditions[?(@.type==\"$1\")].$2}"; }

step "only the listed objects are checked"
applied health "$(rev)"
assert_eq True "$(cond Healthy status)" "Healthy"
assert_eq Succeeded "$(cond Healthy reason)" "Healthy reason"
assert_match "^Health check passed in [0-9.]+(ms|s)$" "$(cond Healthy message)" "Healthy message"
health_events() { kubectl -n "$ns" get events --field-selector involvedObject.name=health,reason=Progressing -o 'jsonpath={range .items[*]}{.type} {.message}{"\n"}{end}' | grep 'Health check passed'; }
retry 10 health_events
assert_match "^Normal Health check passed in [0-9.]+(ms|s)$" "$(health_events)" "Flux's event of the first check"
assert_eq ReconciliationSucceeded "$(ksget health '{.status.history[0].lastReconciledStatus}')" "history"
assert_match "^sha256:[0-9a-f]{64}$" "$(ksget health '{.status.history[0].digest}')" "history digest"
assert_eq "$(rev)" "$(ksget health '{.status.history[0].metadata.revision}')" "history revision"

step "a listed object that never becomes ready: HealthCheckFailed at the timeout (6s: Flux's 30s minimum)"
# (a long retryInterval: a retry marks Ready=Unknown again while it runs, as Flux does)
KS_RETRY=5m kustomization health ./app "  targetNamespace: $ns
  timeout: 6s
  healthChecks:
  - {apiVersion: apps/v1, kind: Deployment, name: web}
  - {apiVersion: apps/v1, kind: Deployment, name: slow, namespace: $ns}"
# While the health check runs (the timeout is Flux's minimum, 30s): Flux's progress marks,
# the step's own once the wait starts.
ready_is health Unknown Progressing
assert_eq "Reconciliation in progress" "$(ready_message health)" "Ready while reconciling"
checking="Running health checks for revision $(rev) with a timeout of 30s"
health_marks() { [ "$(cond Reconciling message)" = "$checking" ]; }
retry 20 health_marks
assert_eq "True Progressing" "$(cond Reconciling status) $(cond Reconciling reason)" "Reconciling"
assert_eq "Unknown Progressing $checking" \
    "$(cond Healthy status) $(cond Healthy reason) $(cond Healthy message)" "Healthy while checking"
assert_eq "Unknown Progressing" "$(cond Ready status) $(cond Ready reason)" "Ready while checking"
# Two health waits of 30 s may run back to back (a source event queued during the first starts
# a second, which marks Ready=Unknown again at once), so allow for both.
ready_is health False HealthCheckFailed 150
assert_match "^health check failed after [0-9.]+s: timeout waiting for: \[Deployment/$ns/slow status: 'InProgress'\]$" \
    "$(ready_message health)" "Flux's message names the object"
assert_eq False "$(cond Healthy status)" "Healthy"
assert_eq HealthCheckFailed "$(cond Healthy reason)" "Healthy reason"
assert_eq "timeout waiting for: [Deployment/$ns/slow status: 'InProgress']" "$(cond Healthy message)" "Healthy: the wait's error (Flux)"
assert_eq "True ProgressingWithRetry Running health checks for revision $(rev) with a timeout of 30s" \
    "$(cond Reconciling status) $(cond Reconciling reason) $(cond Reconciling message)" "Reconciling: the step it failed in, retried (Flux)"
assert_eq "HealthCheckFailed ReconciliationSucceeded" \
    "$(ksget health '{.status.history[0].lastReconciledStatus} {.status.history[1].lastReconciledStatus}')" "history, newest first"

step "a failed Job fails at once"
put app/migrate.yaml <<'YAML'
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
commit "failing job"
# The source first: a health check of an object the applied revision lacks waits for it to
# appear (Flux), so the spec below must not be reconciled against the previous revision.
poke
source_at() { [ "$(kubectl -n "$ns" get gitrepository "$repo" -o 'jsonpath={.status.artifact.revision}')" = "$1" ]; }
retry 60 source_at "$(rev)"
t0=$SECONDS
kustomization health ./app "  targetNamespace: $ns
  timeout: 5m
  healthChecks:
  - {apiVersion: batch/v1, kind: Job, name: migrate}"
poke
job_failed() { [[ "$(ready_message health)" == *"failed early due to stalled resources: [Job/$ns/migrate status: 'Failed']" ]]; }
retry 90 job_failed
assert_eq HealthCheckFailed "$(ready_reason health)" "reason"
took=$((SECONDS - t0))
echo "failed Job reported after ${took}s (timeout 5m)"
[ "$took" -lt 120 ] || fail "not at once: ${took}s"
# Applied, then failed: the inventory has it all the same (as Flux), so it is pruned later.
assert_contains "$(ksget health '{.status.inventory.entries[*].id}')" "${ns}_migrate_batch_Job" "inventory after a failed health check"

step "no wait, no healthChecks: no Healthy condition"
rm "$work/app/migrate.yaml"
commit "no job"
kustomization health ./app "  targetNamespace: $ns"
poke
applied health "$(rev)"
assert_eq "" "$(cond Healthy status)" "no Healthy condition"
assert_fails "the Job of the failed revision, pruned" kubectl -n "$ns" get job migrate

step "wait on a Job with ttlSecondsAfterFinished: its deletion once finished counts as done (Flux)"
put ttl/job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  ttlSecondsAfterFinished: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
YAML
commit "a job with a ttl"
poke
retry 60 source_at "$(rev)"
kustomization ttl ./ttl "  targetNamespace: $ns
  wait: true"
applied ttl "$(rev)"
assert_eq "True Succeeded" "$(ksget ttl '{.status.conditions[?(@.type=="Healthy")].status} {.status.conditions[?(@.type=="Healthy")].reason}')" "Healthy"
