#!/usr/bin/env bash
# tests/e2e/flux_oracle_logs_test.sh: Flux's kustomize-controller and source-controller (Flux
# 2.9.5's, built by hack/flux/build) as the oracle of the JSON lines eddy's agent logs. The same
# objects are created in two namespaces, one on Flux's shard (reconciled by Flux's controllers)
# and one on eddy's (reconciled by eddy's agent); the lines each side logged about each object
# are compared, each distinct line once, in each phase (nothing changed, a change, suspended and
# deleted: the lines since the phase began, of the objects it concerns) and over the whole run:
# level, msg, the controller's keys, the object's keys (the nested {Kind: {name, namespace}},
# namespace, name), revision, error and any other key, values and order, less what must differ:
# ts and the reconcileID's value, durations (Go's, in msg) and the namespace of the pair. Debug
# lines are left out (eddy's are its own).
# Cases: a Kustomization applied the first time, again with no change, after a change (one
# object pruned, another created); a build
# that fails; an apply that fails (the dry-run refuses an object); a dependency that is not
# ready, one that is (once it is), a source that does not exist, one without an artifact, one
# no controller fetches (its line at once; its status, and no Event, once eddy's wait ends);
# suspended; deleted (the finalizer). A GitRepository fetched, up to date, failing (a
# repository the server does not have, a wrong password); an OCIRepository fetched, up to date,
# failing (a tag that does not exist), stalled (a repository name go-containerregistry refuses).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nf=ologs-flux
ne=ologs-eddy

step "CRDs, namespaces, a repository"
ks_setup $ne ologs
new_namespace $nf
flux_source_crds
for n in $nf $ne; do
    kubectl -n $n get secret git-auth >/dev/null 2>&1 ||
        git_auth_secret "$n"
    git_auth_secret "$n" git-wrong not-the-password
done
# ok, gone, paused: a ConfigMap each (ok's changed later); badbuild: a kustomization naming a
# file that is not there; badapply: an object the API server refuses (a Service port that is
# not a number).
for k in ok gone paused; do
    put $k/cm.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: logs-$k}
data: {v: one}
YAML
done
put badbuild/kustomization.yaml <<'YAML'
resources: [missing.yaml]
YAML
put badapply/svc.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: logs-bad}
spec:
  ports: [{port: not-a-port}]
YAML
commit one
mkdir -p "$scratch/oci"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: logs-depok}\n' >"$scratch/oci/cm.yaml"
out=$("$eddy" push artifact "oci://$EDDY_REGISTRY/ologs/app:1.0.0" --path "$scratch/oci" \
    --source https://git.example/app --revision "main@sha1:one" 2>&1) ||
    fail "push artifact: $out"

# sources NS SHARD: the sources of the cases in NS, on SHARD.
sources() {
    ns=$1 gitrepository repo "{shard: $2}"
    kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: nothere, labels: {shard: $2}}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/not-a-repository.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: wrongpass, labels: {shard: $2}}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/$repo.git
  ref: {branch: main}
  secretRef: {name: git-wrong}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: oci, labels: {shard: $2}}
spec:
  interval: 10m
  url: oci://$EDDY_REGISTRY/ologs/app
  ref: {tag: 1.0.0}
  insecure: true
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: ocinotag, labels: {shard: $2}}
spec:
  interval: 10m
  url: oci://$EDDY_REGISTRY/ologs/app
  ref: {tag: 9.9.9}
  insecure: true
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: ocibadurl, labels: {shard: $2}}
spec:
  interval: 10m
  url: oci://$EDDY_REGISTRY/Not_A/Valid
  ref: {tag: 1.0.0}
  insecure: true
YAML
}
# kustomizations NS SHARD: the Kustomizations of the cases in NS, on SHARD (once the
# GitRepository has an artifact: a Kustomization that finds none logs that it waits, at a
# moment neither side controls).
kustomizations() {
    local k extra
    for k in ok:ok badbuild:badbuild badapply:badapply dep:ok gone:gone paused:paused; do
        extra=
        [ "${k%%:*}" != dep ] || extra="  dependsOn: [{name: badbuild}]"
        kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${k%%:*}, labels: {shard: $2}}
spec:
  interval: 10m
  retryInterval: 1h
  path: ${k#*:}
  prune: true
  targetNamespace: $1
  sourceRef: {kind: GitRepository, name: repo}
$extra
YAML
    done
}

# waiting NS SHARD: the Kustomizations that wait, in NS on SHARD: nosrc, of a GitRepository
# that does not exist; noart, of one that has no artifact (nothere); depok, of the
# OCIRepository (which no phase changes), depending on ok (once ok is ready: it logs that its
# dependencies are).
waiting() {
    local k src
    for k in nosrc:absent noart:nothere depok:oci; do
        src="{kind: GitRepository, name: ${k#*:}}"
        [ "${k%%:*}" != depok ] || src="{kind: OCIRepository, name: oci}
  dependsOn: [{name: ok}]"
        kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${k%%:*}, labels: {shard: $2}}
spec:
  interval: 10m
  retryInterval: 1h
  path: ./
  prune: true
  targetNamespace: $1
  sourceRef: $src
YAML
    done
}

step "Flux's controllers on shard flux, eddy's agent on shard eddy (JSON lines)"
# (source-controller at its default level, info)
FLUX_NS=$nf flux_sc_start --log-level info
FLUX_NS=$nf flux_start --requeue-dependency 2s
agent --watch-label-selector 'shard in (eddy,both)' --log-encoding json --requeue-dependency 2s
sources $nf flux
sources $ne eddy

# ready NS KIND NAME STATUS: wait until NAME's Ready condition has STATUS.
ready() {
    _ready() {
        [ "$(kubectl -n "$1" get "$2" "$3" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = "$4" ]
    }
    retry 90 _ready "$@"
}
# lines NS [FROM]: the info and error lines about objects in NS (the logs of NS's side, from
# line FROM of each, as mark left it in $FROM_<log>), one a line: the object (Kind/name), a
# tab, the line with what must differ made neutral (JSON, in its key order), sorted, each once.
# Deliberate differences made neutral (README.md): the Go stack of Flux's error lines
# ("stacktrace"), the body of the Git server's answer that go-git appends to "authentication
# required" and "repository not found", and the words of a kustomize build error after its
# phase (kustomize's, with the artifact's temporary paths, against eddy's engine's).
declare -A from=([flux-kc]=0 [flux-sc]=0 [ctl]=0)
lines() {
    local logs=(ctl)
    [ "$1" = $ne ] || logs=(flux-kc flux-sc)
    for l in "${logs[@]}"; do tail -n +"$((${2:+${from[$l]}} + 1))" "$scratch/$l.log"; done |
        jq -c -R --arg ns "$1" '
        fromjson? | select(.level != "debug")
        | select(.namespace == $ns) | del(.ts) | del(.stacktrace)
        | if .error then .error |= (sub("(?<w>authentication required|repository not found): (?s).*$"; "\(.w)")
            | sub("^(?<w>kustomize build failed: accumulating resources: ).*$"; "\(.w)...")) else . end
        | if has("reconcileID") then .reconcileID = "ID" else . end
        | .msg |= gsub("([0-9]+(\\.[0-9]+)?(ns|µs|ms|s|m|h))+"; "D")
        | walk(if type == "object" then with_entries(.key |= gsub($ns; "NS"))
            elif type == "string" then gsub($ns; "NS") else . end)
        | "\(.controllerKind // "-")/\(.name)\t\(tojson)"' -r | sort -u
}
# mark: from now on (for lines NS since).
mark() {
    local l
    for l in flux-kc flux-sc ctl; do from[$l]=$(wc -l <"$scratch/$l.log"); done
}
# compare WHAT [since] OBJECT...: the lines about OBJECTs (Kind/name; all when none) are the
# same on both sides (since mark), and there are some.
compare() {
    local what=$1 since= pat='.'
    shift
    [ "${1:-}" != since ] || { since=since; shift; }
    [ $# = 0 ] || pat="^($(IFS='|'; echo "$*"))"$'\t'
    lines $nf $since | grep -E "$pat" >"$scratch/lines.flux" || true
    lines $ne $since | grep -E "$pat" >"$scratch/lines.eddy" || true
    [ -s "$scratch/lines.flux" ] || fail "$what: Flux logged nothing about ${*:-the objects}"
    diff "$scratch/lines.flux" "$scratch/lines.eddy" >"$scratch/lines.diff" ||
        fail "$what: the log lines differ (< Flux's, > eddy's):
$(cat "$scratch/lines.diff")"
}

step "first reconciles"
for n in $nf $ne; do
    ready $n gitrepository repo True
    ready $n gitrepository nothere False
    ready $n gitrepository wrongpass False
    ready $n ocirepository oci True
    ready $n ocirepository ocinotag False
    ready $n ocirepository ocibadurl False
done
kustomizations $nf flux
kustomizations $ne eddy
for n in $nf $ne; do
    for k in ok gone paused; do ready $n kustomization $k True; done
    for k in badbuild badapply dep; do ready $n kustomization $k False; done
done
waiting $nf flux
waiting $ne eddy
for n in $nf $ne; do
    ready $n kustomization depok True
    for k in nosrc noart; do ready $n kustomization $k False; done
done
sleep 3

# request NS KIND/NAME...: ask for a reconcile now (reconcile.fluxcd.io/requestedAt).
request() {
    local n=$1
    shift
    kubectl -n "$n" annotate --overwrite "$@" reconcile.fluxcd.io/requestedAt="$(date +%s%N)" \
        >/dev/null
}
step "again, nothing changed"
mark
for n in $nf $ne; do
    request $n gitrepository/repo ocirepository/oci kustomization/ok
done
sleep 8
compare "nothing changed" since GitRepository/repo OCIRepository/oci Kustomization/ok

step "a change: a new commit, fetched and applied (gone's object pruned, another created)"
mark
put ok/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: logs-ok}
data: {v: two}
YAML
rm "$work/gone/cm.yaml"
put gone/cm2.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: logs-gone2}
data: {v: two}
YAML
commit two
for n in $nf $ne; do request $n gitrepository/repo; done
for n in $nf $ne; do
    for k in ok gone paused badbuild badapply; do
        kubectl -n $n wait kustomization/$k --for=jsonpath='{.status.lastAttemptedRevision}'="$(rev)" \
            --timeout=90s >/dev/null || fail "$n: $k did not attempt $(rev)"
    done
done
sleep 3
compare "a change" since GitRepository/repo Kustomization/ok Kustomization/gone \
    Kustomization/paused Kustomization/badbuild Kustomization/badapply

step "suspended, deleted"
mark
for n in $nf $ne; do
    kubectl -n $n patch kustomization paused --type merge -p '{"spec":{"suspend":true}}' >/dev/null
    kubectl -n $n delete kustomization gone --wait=true --timeout=60s >/dev/null
    retry 30 kubectl -n $n wait configmap/logs-gone2 --for=delete --timeout=1s >/dev/null
done
sleep 3
compare "suspended, deleted" since Kustomization/paused Kustomization/gone

step "a source no controller reconciles: Flux's line at once, its status after eddy's wait"
# idle has no shard label: neither side fetches it, so it never has a status. Flux logs that
# the artifact is not found from the first reconcile on, and records no Event; eddy logs the
# same (it used to wait silently for the source's first status, up to the retryInterval).
mark
for n in $nf $ne; do
    shard=flux
    [ $n = $nf ] || shard=eddy
    kubectl -n $n apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: idle}
spec: {interval: 10m, url: "$EDDY_GIT_HTTP_URL/$repo.git", ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: unborn, labels: {shard: $shard}}
spec:
  interval: 10m
  retryInterval: 1h
  path: ./
  prune: true
  sourceRef: {kind: GitRepository, name: idle}
YAML
done
sleep 5 # within eddy's wait (10 s) for a source's first status
compare "a source without a status" since Kustomization/unborn
grep -qE 'Kustomization/unborn.*"Source artifact not found, retrying in D"' "$scratch/lines.flux" ||
    fail "Flux's line about unborn: $(cat "$scratch/lines.flux")"
# eddy's status waits for its first 10 s (README); then both record Flux's condition
for n in $nf $ne; do ready $n kustomization unborn False; done
for n in $nf $ne; do
    assert_eq "ArtifactFailed Source artifact not found, retrying in 2s" \
        "$(kubectl -n $n get kustomization unborn -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}')" \
        "$n: unborn's Ready condition"
    assert_eq "" "$(kubectl -n $n get events --field-selector involvedObject.name=unborn -o name)" \
        "$n: no Event about unborn"
done

step "everything each side logged (failing sources retried, dependencies waited for)"
compare "all"
# The comparison saw the lines of every case (on Flux's side, which eddy's equals).
for want in 'GitRepository/repo.*"stored artifact for commit .one.' \
    'GitRepository/repo.*"no changes since last reconciliation: observed revision' \
    'GitRepository/nothere.*"Reconciler error".*"error":".*repository not found"' \
    'GitRepository/wrongpass.*"Reconciler error".*"error":".*authentication required"' \
    'OCIRepository/oci.*"stored artifact with revision' \
    'OCIRepository/oci.*"artifact up-to-date with remote revision' \
    'OCIRepository/ocinotag.*"Reconciler error".*MANIFEST_UNKNOWN' \
    'OCIRepository/ocibadurl.*"reconciliation stalled".*"error":"URL validation failed for .*: repository can only contain the characters' \
    'Kustomization/ok.*"Reconciliation finished in D, next run in D".*"revision":"main@sha1:' \
    'Kustomization/ok.*"server-side apply completed".*"output":\{"ConfigMap/NS/logs-ok":"unchanged"\}' \
    'Kustomization/gone.*"garbage collection completed: ConfigMap/NS/logs-gone deleted"' \
    'Kustomization/badbuild.*"Reconciliation failed after D, next try in D".*"error":"kustomize build failed' \
    'Kustomization/badapply.*"Reconciliation failed after D, next try in D".*dry-run failed' \
    'Kustomization/dep.*"Dependencies do not meet ready condition, retrying in D"' \
    'Kustomization/depok.*"All dependencies are ready, proceeding with reconciliation"' \
    'Kustomization/nosrc.*"Source .GitRepository/absent. not found"' \
    'Kustomization/noart.*"Source artifact not found, retrying in D"' \
    'Kustomization/unborn.*"Source artifact not found, retrying in D"' \
    'Kustomization/paused.*"Reconciliation is suspended for this object"' \
    'Kustomization/ok.*"metadata.finalizers: \\"finalizers.fluxcd.io\\": prefer a domain-qualified'; do
    grep -qE "$want" "$scratch/lines.flux" || fail "no line matches /$want/ in:
$(cat "$scratch/lines.flux")"
done
