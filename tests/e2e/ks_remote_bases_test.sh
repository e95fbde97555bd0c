#!/usr/bin/env bash
# tests/e2e/ks_remote_bases_test.sh: kustomize's remote targets in the real agent, as
# kustomize-controller builds them (allowed unless --no-remote-bases). A kustomization in the
# Kustomization's repository lists a directory of another repository (over the Git server's
# anonymous HTTP, at a tag, then at a branch) and a YAML file over HTTP: their objects are
# applied with the kustomization's transformers, as `kubectl kustomize` builds the same
# directory (eddy kustomize build prints the same bytes); a commit to the listed branch is
# applied by the next reconcile though the source's revision did not move (the build is never
# skipped for such inputs); a missing ref is a BuildFailed naming it; a file:// repository is
# refused (the agent's disk holds every tenant's Git cache); an agent started with
# --no-remote-bases refuses them all and applies nothing.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"

ks_setup ks-remote-bases remotebases

cm() {
    cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: $1}
data:
  v: "$2"
YAML
}

step "the remote base: another repository, read anonymously, tagged v1"
new_repo rbase
rwork=$scratch/rbase
git clone -q "$(git_http_url rbase)" "$rwork" 2>/dev/null
mkdir -p "$rwork/deploy" "$rwork/shared"
printf 'resources: [cm.yaml, ../shared]\n' >"$rwork/deploy/kustomization.yaml"
cm base 1 >"$rwork/deploy/cm.yaml"
printf 'resources: [cm.yaml]\n' >"$rwork/shared/kustomization.yaml"
cm shared 1 >"$rwork/shared/cm.yaml"
git -C "$rwork" add -A
git -C "$rwork" -c user.name=t -c user.email=t@example.com commit -qm v1
git -C "$rwork" tag v1
git -C "$rwork" push -q origin HEAD:main v1 2>/dev/null
cm web 1 >"$EDDY_GIT_HTTP_FILES/web-cm.yaml"

step "a kustomization listing the remote base at v1 and a file over HTTP"
put app/kustomization.yaml <<YAML
namePrefix: app-
resources:
- $EDDY_GIT_HTTP_PUBLIC_URL/rbase.git//deploy?ref=v1
- $EDDY_GIT_HTTP_FILES_URL/web-cm.yaml
YAML
commit "remote base"
gitrepository
kustomization app ./app "  targetNamespace: $ns"
agent
applied app "$(rev)"
for name in app-base app-shared app-web; do
    assert_eq 1 "$(kubectl -n "$ns" get configmap "$name" -o 'jsonpath={.data.v}')" "$name applied"
done
kustomize_out=$(kubectl kustomize "$work/app")
assert_eq "$kustomize_out" "$("$eddy" kustomize build "$work/app")" "eddy kustomize build"
ls "$scratch/storage/tmp" 2>/dev/null | grep -q kustomize-remote &&
    fail "a fetched tree was left in the agent's scratch directory"

step "the base at its branch: a commit there is applied at the next reconcile, same source revision"
sed -i 's/?ref=v1/?ref=main/' "$work/app/kustomization.yaml"
commit "remote base at main"
poke
applied app "$(rev)"
cm base 2 >"$rwork/deploy/cm.yaml"
git -C "$rwork" -c user.name=t -c user.email=t@example.com commit -qam v2
git -C "$rwork" push -q origin HEAD:main 2>/dev/null
kubectl -n "$ns" annotate --overwrite kustomization/app \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
_base_is() { [ "$(kubectl -n "$ns" get configmap app-base -o 'jsonpath={.data.v}')" = 2 ]; }
retry 60 _base_is
assert_eq "$(rev)" "$(ksget app '{.status.lastAppliedRevision}')" "the source's revision"

step "a ref the remote does not have: BuildFailed naming it, nothing changed"
sed -i 's/?ref=main/?ref=v9/' "$work/app/kustomization.yaml"
commit "missing ref"
poke
ready_is app False BuildFailed
assert_contains "$(ready_message app)" "couldn't find remote ref \"v9\"" "Ready's message"
assert_eq 2 "$(kubectl -n "$ns" get configmap app-base -o 'jsonpath={.data.v}')" "left as it was"

step "a file:// repository is refused in the agent"
put local/kustomization.yaml <<YAML
resources:
- file://$EDDY_SERVERS_DIR/git/rbase.git//deploy
YAML
commit "file url"
poke
kustomization local ./local "  targetNamespace: $ns"
ready_is local False BuildFailed
assert_contains "$(ready_message local)" "file:// repositories are not allowed" "Ready's message"

step "--no-remote-bases: every remote target refused"
bg_stop ctl
sed -i 's/?ref=v9/?ref=v1/' "$work/app/kustomization.yaml"
commit "back to v1"
agent --no-remote-bases
poke
# (Ready was already False, BuildFailed, for v9: wait for this revision's message)
retry 60 ready_message_matches app "*'$EDDY_GIT_HTTP_PUBLIC_URL/rbase.git//deploy?ref=v1' is not allowed (remote bases are disabled)*"
assert_eq False "$(ready_status app)" "Ready"
assert_eq 2 "$(kubectl -n "$ns" get configmap app-base -o 'jsonpath={.data.v}')" "nothing applied"
