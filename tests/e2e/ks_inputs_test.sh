#!/usr/bin/env bash
# tests/e2e/ks_inputs_test.sh: a new commit rebuilds only the Kustomizations whose inputs
# changed (issue #6). Three Kustomizations on one repository: a (apps/a) and b (apps/b), both
# using a shared base, and c (plain/, no kustomization.yaml: Flux's generated one). A commit
# changing only apps/a rebuilds and applies a; b and c log "inputs unchanged, build skipped",
# send no request for their objects, and still report the new revision as applied. A commit to
# the shared base rebuilds a and b; a new file dropped below plain/ rebuilds c. A change of
# the spec (generation) or of a postBuild variable builds again; the variables' values never
# reach the log. A build that gives no objects, with postBuild variables it then never reads, is
# not built again either. A change of the source that leaves its artifact as it was queues none of them.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-inputs inputs

cm() {
    cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: $1}
data:
  v: "$2"
YAML
}

step "a repository: apps/a and apps/b on a shared base, and a plain directory"
put base/kustomization.yaml <<<'resources: [shared.yaml]'
cm shared 1 | put base/shared.yaml
for app in a b; do
    put apps/$app/kustomization.yaml <<YAML
namePrefix: $app-
resources: [app.yaml, ../../base]
YAML
    cm app 1 | put apps/$app/app.yaml
done
# b's objects take a postBuild variable
printf '  tier: ${tier}\n' >>"$work/apps/b/app.yaml"
cm plain-one 1 | put plain/one.yaml
put empty/kustomization.yaml <<<'resources: []'
commit "three apps"
gitrepository
kustomization a ./apps/a "  targetNamespace: $ns"
kubectl -n "$ns" create configmap vars-b --from-literal=tier=gold >/dev/null
kustomization b ./apps/b "  targetNamespace: $ns
  postBuild:
    substituteFrom: [{kind: ConfigMap, name: vars-b}]"
kustomization c ./plain "  targetNamespace: $ns"
kustomization e ./empty "  targetNamespace: $ns
  postBuild:
    substituteFrom: [{kind: ConfigMap, name: vars-b}]"
agent
for k in a b c e; do applied $k "$(rev)"; done

log=$scratch/ctl.log
# mark: the log's length now, for outcome.
mark() { wc -l <"$log"; }
# outcome NAME REVISION MARK: what the first reconcile of NAME that applied REVISION after
# MARK did: "skipped" (the build) or "built". (Later reconciles of the same revision, which
# status and source events cause, skip the build, rightly.)
# The agent logs the outcome after its status write (which applied() waits for), and after
# the Event: the line may come a moment later, so this looks for up to 10 s.
outcome() {
    local first i
    for ((i = 0; i < 50; i++)); do
        first=$(tail -n +"$(($3 + 1))" "$log" |
            grep -E "(inputs unchanged, build skipped|Reconciliation finished in) .*name=$1 .*revision=$2( |\$)" |
            sed -n 1p)
        [ -n "$first" ] && break
        sleep 0.2
    done
    case "$first" in
    *"build skipped"*) echo skipped ;;
    "") echo none ;;
    *) echo built ;;
    esac
}
# built_since NAME REVISION MARK: "built" when a reconcile of NAME after MARK built REVISION
# (within 10 s), else "skipped". For a change the build must see: a reconcile queued before
# the change (a status event's) may still skip first, rightly, having read the old state.
built_since() {
    local i
    for ((i = 0; i < 50; i++)); do
        if tail -n +"$(($3 + 1))" "$log" | awk -v n="name=$1" -v r="revision=$2" '
            index($0, "reconciliation started") && index($0, n " ") { skipped = 0 }
            index($0, "inputs unchanged, build skipped") && index($0, n " ") { skipped = 1 }
            index($0, "Reconciliation finished in") && index($0, r) && index($0, n " ") &&
                !skipped { found = 1; exit }
            END { exit !found }'; then
            echo built
            return
        fi
        sleep 0.2
    done
    echo skipped
}
# requests NAME-PREFIX: the agent's API requests so far for ConfigMaps named NAME-PREFIX*.
requests() { grep 'API request' "$log" | grep -c "/namespaces/$ns/configmaps/$1" || true; }
# status_writes NAME MARK: the agent's writes of NAME's status after MARK.
status_writes() {
    tail -n +"$(($2 + 1))" "$log" | grep 'API request' | grep -c "/namespaces/$ns/kustomizations/$1/status" || true
}
data() { kubectl -n "$ns" get configmap "$1" -o 'jsonpath={.data.v}'; }

step "a commit changing only apps/a: a rebuilt and applied, b and c not built"
b0=$(requests b-)
c0=$(requests plain-)
m=$(mark)
cm app 2 | put apps/a/app.yaml
commit "a only"
poke
r2=$(rev)
for k in a b c e; do applied $k "$r2"; done
assert_eq 2 "$(data a-app)" "a applied the change"
assert_eq built "$(outcome a "$r2" "$m")" "a"
assert_eq skipped "$(outcome b "$r2" "$m")" "b"
assert_eq skipped "$(outcome c "$r2" "$m")" "c"
assert_eq skipped "$(outcome e "$r2" "$m")" "e (no objects, its variables unread)"
retry 30 settled
assert_eq 1 "$(status_writes b "$m")" "b: one status write (no progress marks)"
assert_eq "$b0" "$(requests b-)" "no request for b's objects"
assert_eq "$c0" "$(requests plain-)" "no request for c's objects"
for k in a b c; do
    assert_eq True "$(ready_status $k)" "$k Ready"
    assert_eq "Applied revision: $r2" "$(ready_message $k)" "$k reports the new revision"
done
assert_contains "$("$eddy" get kustomizations -n "$ns" 2>&1)" "${r2:0:18}" "eddy get (flux's 8 digits)"

step "a commit to the shared base: a and b rebuilt, c not"
m=$(mark)
cm shared 3 | put base/shared.yaml
commit "base"
poke
r3=$(rev)
for k in a b c; do applied $k "$r3"; done
assert_eq 3 "$(data a-shared)" "a applied the base"
assert_eq 3 "$(data b-shared)" "b applied the base"
assert_eq built "$(outcome a "$r3" "$m")" "a"
assert_eq built "$(outcome b "$r3" "$m")" "b"
assert_eq skipped "$(outcome c "$r3" "$m")" "c"

step "a new file in the plain directory (generated kustomization): c rebuilt"
m=$(mark)
cm plain-two 1 | put plain/sub/two.yaml
printf 'not a manifest\n' | put apps/b/NOTES.md
commit "plain: a new file; b: a file its build never reads"
poke
r4=$(rev)
for k in a b c; do applied $k "$r4"; done
assert_eq 1 "$(data plain-two)" "c applied the new file"
assert_eq built "$(outcome c "$r4" "$m")" "c"
assert_eq skipped "$(outcome a "$r4" "$m")" "a"
assert_eq skipped "$(outcome b "$r4" "$m")" "b (NOTES.md is not read)"

step "a postBuild variable or a spec change builds again"
retry 30 settled
m=$(mark)
"$eddy" reconcile kustomization b -n "$ns" >/dev/null
assert_eq skipped "$(outcome b "$r4" "$m")" "the same generation and variables"
retry 30 settled
m=$(mark)
kubectl -n "$ns" patch configmap vars-b --type merge -p '{"data":{"tier":"s3cr3t-tier"}}' >/dev/null
"$eddy" reconcile kustomization b -n "$ns" >/dev/null
assert_eq built "$(built_since b "$r4" "$m")" "a variable changed in its ConfigMap"
assert_eq s3cr3t-tier "$(kubectl -n "$ns" get configmap b-app -o 'jsonpath={.data.tier}')" "applied"
retry 30 settled
m=$(mark)
kustomization b ./apps/b "  targetNamespace: $ns
  postBuild:
    substituteFrom: [{kind: ConfigMap, name: vars-b}]
  commonMetadata: {labels: {team: blue}}"
retry 60 bash -c "[ \"\$(kubectl -n $ns get configmap b-app -o 'jsonpath={.metadata.labels.team}')\" = blue ]"
retry 30 settled
assert_eq built "$(built_since b "$r4" "$m")" "a new generation"
assert_not_contains "$(cat "$log")" "s3cr3t-tier" "no variable's value in the log"

step "a source reconciled without a new commit queues none of its Kustomizations"
retry 30 settled
m=$(mark)
token=$(date +%s%N)
kubectl -n "$ns" annotate --overwrite "gitrepository/$repo" reconcile.fluxcd.io/requestedAt="$token" \
    team=blue >/dev/null
kubectl -n "$ns" wait "gitrepository/$repo" --for=jsonpath='{.status.lastHandledReconcileAt}'="$token" \
    --timeout=60s >/dev/null
sleep 1 # the status write's event reaches the Kustomization controller's handler
queued=$(tail -n +"$((m + 1))" "$log" | grep 'queued by its source' | grep -c "object=$ns/" || true)
assert_eq 0 "$queued" "Kustomizations queued by the source's annotation and status"
m=$(mark)
cm app 5 | put apps/a/app.yaml
commit "a again"
poke
applied a "$(rev)"
queued=$(tail -n +"$((m + 1))" "$log" | grep 'queued by its source' | grep -c "object=$ns/" || true)
assert_eq 4 "$queued" "a new artifact queues each of its 4 Kustomizations once"
