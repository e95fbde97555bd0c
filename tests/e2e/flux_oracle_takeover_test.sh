#!/usr/bin/env bash
# tests/e2e/flux_oracle_takeover_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh)
# as the oracle of the field-manager take-over. Both started with --override-manager=helm, each
# applies the same ConfigMaps into a target namespace of its own; then other field managers
# change a field each controller owns (data.a) and add one it does not (data.b), one manager a
# ConfigMap: kubectl-edit, kubectl-patch and kubectl-client-side-apply (Update), kubectl
# (Apply, `kubectl apply --server-side`), before-first-apply (Update and Apply),
# before-first-apply-x, helm-controller (a longer name than the override's), and my-tool, a
# manager neither takes (Update and Apply). After a requested reconcile, each ConfigMap's data
# and managed fields (manager, operation, fields) are the same in both: Flux's list of managers
# matches names by prefix (fluxcd/pkg/ssa's FieldManager without ExactMatch), so kubectl-edit,
# before-first-apply-x and helm-controller are taken over and their data.b removed; my-tool's
# data.a is taken back by the forced apply and its data.b stays.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nse=otake-eddy
nsf=otake-flux
ks_setup "$nse" otake
new_namespace "$nsf"
git_auth_secret "$nsf"
flux_bucket_crd

# NAME:MANAGER:OPERATION, one ConfigMap each.
cases="edit:kubectl-edit:Update patch:kubectl-patch:Update csa:kubectl-client-side-apply:Update
ssa:kubectl:Apply bfa:before-first-apply:Update bfaapply:before-first-apply:Apply
bfax:before-first-apply-x:Update helmc:helm-controller:Update custom:my-tool:Update
customapply:my-tool:Apply"

put app/kustomization.yaml <<'YAML'
resources: [objects.yaml]
YAML
for c in $cases; do
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {a: "1"}\n' \
        "${c%%:*}"
done | put app/objects.yaml
commit "take-over"

for n in "$nse" "$nsf"; do
    new_namespace "$n-t"
    shard=eddy
    [ "$n" = "$nsf" ] && shard=flux
    flux_pair "$n" "$shard"
done

FLUX_NS=$nsf flux_start --override-manager=helm
RUNTIME_NAMESPACE=$nse agent --watch-label-selector 'shard in (eddy,both)' --override-manager=helm

step "both apply the revision"
for n in "$nse" "$nsf"; do
    ns=$n applied app "$(rev)"
done

step "other managers change a field each owns and add one"
for n in "$nse" "$nsf"; do
    for c in $cases; do
        IFS=: read -r name manager op <<<"$c"
        if [ "$op" = Apply ]; then
            printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {a: "2", b: x}\n' \
                "$name" | kubectl -n "$n-t" apply --server-side --force-conflicts \
                --field-manager="$manager" -f - >/dev/null
        else
            kubectl -n "$n-t" patch configmap "$name" --type merge --field-manager="$manager" \
                -p '{"data":{"a":"2","b":"x"}}' >/dev/null
        fi
    done
done

step "a requested reconcile of each"
token=$(date +%s%N)
for n in "$nse" "$nsf"; do
    kubectl -n "$n" annotate --overwrite kustomization/app \
        reconcile.fluxcd.io/requestedAt="$token" >/dev/null
done
for n in "$nse" "$nsf"; do
    kubectl -n "$n" wait kustomization/app \
        --for=jsonpath='{.status.lastHandledReconcileAt}'="$token" --timeout=90s >/dev/null
done

step "the same data and managed fields in both"
# view NS NAME: NAME's data and managed fields (manager, operation, fields; times aside).
view() {
    kubectl -n "$1" get configmap "$2" --show-managed-fields -o json | jq -e -S '{data,
        managers: [.metadata.managedFields[] | {manager, operation, subresource, fieldsV1}]
            | sort_by(.manager, .operation)}'
}
same_view() { [ "$(view "$nsf-t" "$1")" = "$(view "$nse-t" "$1")" ]; }
# (eddy reverts at once, on its watch of the objects; a few seconds for both to settle, the
# assertions below then say what differs)
for c in $cases; do
    for _ in $(seq 20); do
        same_view "${c%%:*}" && break
        sleep 0.5
    done
done
# What Flux does, kept here so that a change on either side shows.
data() { kubectl -n "$1" get configmap "$2" -o 'jsonpath={.data.a}/{.data.b}'; }
for name in edit patch csa ssa bfa bfax helmc; do
    assert_eq "1/" "$(data "$nsf-t" "$name")" "Flux takes over and removes $name's field"
done
for name in bfaapply custom customapply; do
    assert_eq "1/x" "$(data "$nsf-t" "$name")" "Flux keeps $name's data.b and reverts data.a"
done
for c in $cases; do
    name=${c%%:*}
    flux_view=$(view "$nsf-t" "$name") || fail "Flux's $name unreadable"
    eddy_view=$(view "$nse-t" "$name") || fail "eddy's $name unreadable"
    assert_eq "$flux_view" "$eddy_view" "$name (${c#*:}): data and managed fields"
done
