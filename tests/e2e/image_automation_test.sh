#!/usr/bin/env bash
# tests/e2e/image_automation_test.sh: the whole image update flow in the real agent against the
# real control plane, Git server and registry: an app's CI pushes a new tag to the registry, the
# ImageRepository sees it, the ImagePolicy (semver ^1.x) selects it, the ImageUpdateAutomation
# commits the new tag into the deployment repository (only the marked values change, every
# other byte identical, messageTemplate rendered, Flux's status), the GitRepository picks the
# commit up and the Kustomization applies it: the Deployment runs the new tag. Also: no commit
# when nothing changed, files outside update.path untouched, two automations pushing to one
# branch at once, an unsupported template construct refused with a clear condition, a marker
# naming a missing policy left alone (as Flux); commits signed with an OpenPGP key and with an SSH key (signingKey); push options
# (git.push.options) seen by the server's hook, a server that does not advertise them giving a
# clear Ready=False, and a push that stalls failing after the GitRepository's spec.timeout; a
# GitRepository of provider github without a GitHub App in its Secret refused for the automation too.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=imgauto-e2e
scratch=$EDDY_E2E_SCRATCH
reg=$EDDY_REGISTRY

step "CRDs, namespace, images, the deployment repository"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/imageupdateautomations.image.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"
for tag in 1.0.0 1.1.0 2.0.0; do "$EDDY_ROOT/scripts/push-image" "$reg" auto/app "$tag" >/dev/null; done
"$EDDY_ROOT/scripts/push-image" "$reg" auto/api 0.1.0 >/dev/null
new_repo image-fleet
work=$scratch/work
git clone -q "$(git_http_url image-fleet)" "$work" 2>/dev/null
mkdir -p "$work/deploy" "$work/api" "$work/other"
cat >"$work/deploy/app.yaml" <<YAML
# The app, kept up to date by the automation.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: $ns   # same namespace as the test
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:

        - name: app
          image: "$reg/auto/app:1.0.0" # {"\$imagepolicy": "$ns:app"}
          env:
            - {name: MODE, value: "prod"}   # unchanged
YAML
cat >"$work/deploy/values.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: app-values, namespace: $ns}
data:
  tag: 1.0.0 # {"\$imagepolicy": "$ns:app:tag"}
  repo: 'x' # {"\$imagepolicy": "$ns:app:name"}
YAML
cat >"$work/api/api.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: api, namespace: $ns}
data:
  image: $reg/auto/api:0.0.1 # {"\$imagepolicy": "$ns:api"}
YAML
cat >"$work/other/outside.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: outside, namespace: $ns}
data:
  tag: 1.0.0 # {"\$imagepolicy": "$ns:app:tag"}
YAML
(cd "$work" && git add -A && git commit -qm "initial" && git push -q origin HEAD:main)
cp "$work/deploy/app.yaml" "$scratch/app.before.yaml"

git_auth_secret "$ns"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/image-fleet.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app}
spec:
  interval: 10m
  retryInterval: 5s
  path: ./deploy
  prune: true
  sourceRef: {kind: GitRepository, name: fleet}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app}
spec: {image: $reg/auto/app, interval: 10m, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, labels: {team: apps}}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: ^1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: api}
spec: {image: $reg/auto/api, interval: 10m, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: api, labels: {team: api}}
spec:
  imageRepositoryRef: {name: api}
  policy: {semver: {range: ">=0.1.0"}}
YAML

step "the agent"
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-imgauto-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage" \
    --storage-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$(free_port)"
kubectl -n "$ns" wait imagepolicy/app imagepolicy/api --for=condition=Ready --timeout=60s >/dev/null
kubectl -n "$ns" wait kustomization/app --for=condition=Ready --timeout=90s >/dev/null
assert_eq "$reg/auto/app:1.0.0" "$(kubectl -n "$ns" get deploy app -o 'jsonpath={.spec.template.spec.containers[0].image}')" "the first image"

get() { kubectl -n "$ns" get "$1" -o "jsonpath=$2"; }
fetch() { git -C "$work" fetch -q origin 2>/dev/null && git -C "$work" reset -q --hard origin/main; }

step "the automation commits the policy's tag"
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: app}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet}
  policySelector: {matchLabels: {team: apps}}
  update: {path: ./deploy, strategy: Setters}
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: eddy-bot, email: bot@eddy.dev}
      messageTemplate: |-
        {{ .Values.prefix }} by {{ .AutomationObject }}
        {{ .Values.prefix | upper | trunc 5 }} ({{ len .Changed.FileChanges }} files)
        {{ range $file, $objs := .Changed.FileChanges -}}
        {{ $file }}:{{ range $obj, $changes := $objs }} {{ $obj.Kind }}/{{ $obj.Name }}{{ range $changes }} {{ .OldValue }}->{{ .NewValue }}{{ end }}{{ end }}
        {{ end -}}
      messageTemplateValues: {prefix: "chore(images): update"}
    push: {branch: main}
YAML
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.lastPushCommit}' --timeout=60s >/dev/null 2>&1 ||
    kubectl -n "$ns" wait imageupdateautomation/app --for=condition=Ready --timeout=60s >/dev/null
first=$(get imageupdateautomation/app '{.status.lastPushCommit}')
assert_match '^[0-9a-f]{40}$' "$first" "lastPushCommit"
fetch
assert_eq "$first" "$(git -C "$work" rev-parse HEAD)" "the pushed commit is the branch's head"
assert_eq "eddy-bot <bot@eddy.dev>" "$(git -C "$work" log -1 --format='%an <%ae>')" "author"
msg=$(git -C "$work" log -1 --format=%B)
assert_contains "$msg" "chore(images): update by $ns/app" "template: values and automation object"
assert_contains "$msg" "CHORE (2 files)" "template: sprig functions and len in pipelines"
# File names relative to update.path (./deploy), as Flux's reader records them.
assert_contains "$msg" "
app.yaml: Deployment/app $reg/auto/app:1.0.0->$reg/auto/app:1.1.0" "template: file changes"
assert_contains "$msg" "
values.yaml: ConfigMap/app-values 1.0.0->1.1.0 x->$reg/auto/app" "template: second file"
assert_not_contains "$msg" "deploy/" "no repository-relative names"
sed "s|$reg/auto/app:1.0.0|$reg/auto/app:1.1.0|" "$scratch/app.before.yaml" >"$scratch/app.expected.yaml"
assert_ok "every other byte of app.yaml identical" cmp "$scratch/app.expected.yaml" "$work/deploy/app.yaml"
assert_eq "$(git -C "$work" diff --stat HEAD~1 HEAD | tail -1)" " 2 files changed, 3 insertions(+), 3 deletions(-)" "only the marked lines"
assert_contains "$(cat "$work/other/outside.yaml")" "tag: 1.0.0 #" "outside update.path untouched"
assert_contains "$(cat "$work/api/api.yaml")" "api:0.0.1 #" "unselected policy untouched"
assert_eq "main@sha1:$first" "$(get imageupdateautomation/app '{.status.observedSourceRevision}')" "observedSourceRevision"
assert_eq "1.1.0" "$(get imageupdateautomation/app '{.status.observedPolicies.app.tag}')" "observedPolicies"
assert_eq "" "$(get imageupdateautomation/app '{.status.observedPolicies.api.tag}')" "only selected policies observed"
assert_match '^20[0-9-]+T' "$(get imageupdateautomation/app '{.status.lastPushTime}')" "lastPushTime"
# Flux v1: Ready says "repository up-to-date" after a push too; the event says what was pushed
# where, then the commit message (PushResult's summary).
assert_eq "repository up-to-date" \
    "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's Ready message"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.kind=ImageUpdateAutomation -o jsonpath='{.items[*].message}')" \
    "pushed commit '${first:0:7}' to branch 'main'
$(git -C "$work" log -1 --format=%B "$first")" "event: Flux's push summary and the commit message"

step "nothing changed: no commit"
kubectl -n "$ns" annotate --overwrite imageupdateautomation/app reconcile.fluxcd.io/requestedAt=noop >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.lastHandledReconcileAt}'=noop --timeout=30s >/dev/null
assert_eq "repository up-to-date" "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message"
fetch
assert_eq "$first" "$(git -C "$work" rev-parse HEAD)" "no new commit"

step "CI pushes app:1.2.0: a commit, then the cluster runs it"
t0=$(date +%s%N)
"$EDDY_ROOT/scripts/push-image" "$reg" auto/app 1.2.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=ci >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.observedPolicies.app.tag}'=1.2.0 --timeout=60s >/dev/null
echo "tag pushed -> commit pushed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
second=$(get imageupdateautomation/app '{.status.lastPushCommit}')
assert_ne "$first" "$second" "a new commit"
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "image: \"$reg/auto/app:1.2.0\" # {\"\$imagepolicy\": \"$ns:app\"}" "the new tag, quotes and marker kept"
kubectl -n "$ns" annotate --overwrite gitrepository/fleet reconcile.fluxcd.io/requestedAt=ci >/dev/null
kubectl -n "$ns" wait deploy/app --for=jsonpath='{.spec.template.spec.containers[0].image}'="$reg/auto/app:1.2.0" --timeout=60s >/dev/null
echo "tag pushed -> Deployment runs it in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

step "two automations pushing to one branch at once"
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: api}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet}
  policySelector: {matchLabels: {team: api}}
  update: {path: ./api}
  git:
    commit: {author: {email: api-bot@eddy.dev}}
    push: {branch: main}
YAML
kubectl -n "$ns" wait imageupdateautomation/api --for=jsonpath='{.status.observedPolicies.api.tag}'=0.1.0 --timeout=60s >/dev/null
"$EDDY_ROOT/scripts/push-image" "$reg" auto/app 1.3.0 >/dev/null
"$EDDY_ROOT/scripts/push-image" "$reg" auto/api 0.2.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app imagerepository/api reconcile.fluxcd.io/requestedAt=race >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.observedPolicies.app.tag}'=1.3.0 --timeout=60s >/dev/null
kubectl -n "$ns" wait imageupdateautomation/api --for=jsonpath='{.status.observedPolicies.api.tag}'=0.2.0 --timeout=60s >/dev/null
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "app:1.3.0\"" "app's change landed"
assert_contains "$(cat "$work/api/api.yaml")" "api:0.2.0 #" "api's change landed"
assert_eq "Update from image update automation" "$(git -C "$work" log -1 --format=%s -- api)" "default message"

step "a digest: written with the tag while the policy reflects it, dropped when it stops"
kubectl -n "$ns" patch imagepolicy/app --type=merge -p '{"spec":{"digestReflectionPolicy":"IfNotPresent"}}' >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.observedPolicies.app.digest}' --timeout=60s >/dev/null
app_digest=$(get imagepolicy/app '{.status.latestRef.digest}')
assert_eq "$app_digest" "$(get imageupdateautomation/app '{.status.observedPolicies.app.digest}')" "observedPolicies: the digest"
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "image: \"$reg/auto/app:1.3.0@$app_digest\"" "name:tag@digest written"
kubectl -n "$ns" patch imagepolicy/app --type=merge -p '{"spec":{"digestReflectionPolicy":"Never"}}' >/dev/null
no_digest() { [ -z "$(get imageupdateautomation/app '{.status.observedPolicies.app.digest}')" ]; }
retry 60 no_digest
assert_eq "" "$(get imagepolicy/app '{.status.latestRef.digest}')" "the policy's digest is gone"
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "image: \"$reg/auto/app:1.3.0\" #" "the tag alone again"

step "push.branch other than the checkout branch: observedSourceRevision is the checkout's (Flux)"
main_head=$(git -C "$work" rev-parse HEAD)
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: outside}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet}
  policySelector: {matchLabels: {team: apps}}
  update: {path: ./other}
  git:
    checkout: {ref: {branch: main}}
    commit: {author: {email: bot@eddy.dev}}
    push: {branch: auto-outside}
YAML
kubectl -n "$ns" wait imageupdateautomation/outside --for=jsonpath='{.status.lastPushCommit}' --timeout=60s >/dev/null ||
    fail "no push: $(get imageupdateautomation/outside '{.status}')"
pushed=$(git -C "$work" ls-remote -q origin refs/heads/auto-outside | cut -f1)
assert_eq "$pushed" "$(get imageupdateautomation/outside '{.status.lastPushCommit}')" "lastPushCommit: the head of the push branch"
assert_eq "main@sha1:$main_head" "$(get imageupdateautomation/outside '{.status.observedSourceRevision}')" \
    "observedSourceRevision: the checkout branch's commit the update started from"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.kind=ImageUpdateAutomation,involvedObject.name=outside -o jsonpath='{.items[*].message}')" \
    "pushed commit '${pushed:0:7}' to branch 'auto-outside'" "the event names the push branch"
fetch
assert_eq "$main_head" "$(git -C "$work" rev-parse HEAD)" "main untouched"
kubectl -n "$ns" delete imageupdateautomation/outside --timeout=30s >/dev/null

step "the GitRepository's proxySecretRef carries the automation's fetch and push (Flux)"
bg_start proxy python3 "$EDDY_ROOT/tests/e2e/gitproxy.py" --ready-file "$scratch/proxy.ready" \
    --log "$scratch/proxy-requests.log" --user pxuser --password pxpass
retry 10 test -f "$scratch/proxy.ready"
pport=$(sed -n 's/^port=//p' "$scratch/proxy.ready")
kubectl -n "$ns" create secret generic proxy-auth --from-literal=address="http://127.0.0.1:$pport" \
    --from-literal=username=pxuser --from-literal=password=pxpass >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet-proxied}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/image-fleet.git
  ref: {branch: main}
  secretRef: {name: git-auth}
  proxySecretRef: {name: proxy-auth}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: proxied}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet-proxied}
  policySelector: {matchLabels: {team: apps}}
  update: {path: ./other}
  git:
    commit: {author: {email: bot@eddy.dev}}
    push: {branch: auto-proxied}
YAML
kubectl -n "$ns" wait imageupdateautomation/proxied --for=jsonpath='{.status.lastPushCommit}' --timeout=60s >/dev/null ||
    fail "no push: $(get imageupdateautomation/proxied '{.status}')"
assert_eq "$(git -C "$work" ls-remote -q origin refs/heads/auto-proxied | cut -f1)" \
    "$(get imageupdateautomation/proxied '{.status.lastPushCommit}')" "pushed through the proxy"
log=$(cat "$scratch/proxy-requests.log")
assert_contains "$log" "GET $EDDY_GIT_HTTP_URL/image-fleet.git/info/refs?service=git-upload-pack 200" \
    "the fetch's ref listing through the proxy"
assert_contains "$log" "POST $EDDY_GIT_HTTP_URL/image-fleet.git/git-receive-pack 200" \
    "the push through the proxy"
kubectl -n "$ns" delete imageupdateautomation/proxied gitrepository/fleet-proxied --timeout=30s >/dev/null
bg_stop proxy

step "bad input: an unsupported template construct; a marker naming a missing policy left alone"
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"messageTemplate":"{{ .Changed.Changes | bcrypt }} images"}}}}' >/dev/null
"$EDDY_ROOT/scripts/push-image" "$reg" auto/app 1.4.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=bad >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=GitOperationFailed --timeout=60s >/dev/null
assert_contains "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Ready")].message}')" "sprig function is not supported by eddy: bcrypt" "template error named"
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"messageTemplate":"{{ range .Updated.Images }}{{ . }}{{ end }}"}}}}' >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=RemovedTemplateField --timeout=60s >/dev/null
assert_eq "True" "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Stalled")].status}')" "Stalled on the removed field"
before=$(git -C "$work" rev-parse HEAD)
fetch
assert_eq "$before" "$(git -C "$work" rev-parse HEAD)" "nothing pushed"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndata:\n  tag: x # {"$imagepolicy": "%s:nope:tag"}\n' "$ns" >"$work/deploy/typo.yaml"
(cd "$work" && git add -A && git commit -qm "typo" && git push -q origin HEAD:main)
# Only now (the change would run the automation at once, racing the push above):
kubectl -n "$ns" patch imageupdateautomation/app --type=json -p '[{"op":"remove","path":"/spec/git/commit/messageTemplate"}]' >/dev/null
kubectl -n "$ns" annotate --overwrite imageupdateautomation/app reconcile.fluxcd.io/requestedAt=typo >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.lastHandledReconcileAt}'=typo --timeout=60s >/dev/null
# As in Flux, a marker naming a policy that does not exist (another cluster's) is left alone.
assert_eq "True" "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Ready")].status}')" "Ready"
fetch
assert_contains "$(cat "$work/deploy/typo.yaml")" 'tag: x # {"$imagepolicy"' "the unknown policy's line stays"
assert_contains "$(cat "$work/deploy/app.yaml")" "app:1.4.0\"" "the other markers applied"

step "update.path: one file; a Kustomization file; a file that is not YAML; a path that is not there"
mkdir -p "$work/paths/chart/templates"
printf 'a: 0.0.1 # {"$imagepolicy": "%s:api:tag"}\n' "$ns" >"$work/paths/single.yaml"
printf 'a: 0.0.1 # {"$imagepolicy": "%s:api:tag"}\n' "$ns" >"$work/paths/beside.yaml"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n- name: api\n  newTag: 0.0.1 # {"$imagepolicy": "%s:api:tag"}\n' "$ns" >"$work/paths/Kustomization"
printf '{{- if .Values.enabled }}\nimage: x # {"$imagepolicy": "%s:api"}\n{{- end }}\n' "$ns" >"$work/paths/chart/templates/deploy.yaml"
(cd "$work" && git add -A && git commit -qm "paths" && git push -q origin HEAD:main)
pathauto() { # pathauto NAME UPDATE-PATH
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: $1}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet}
  policySelector: {matchLabels: {team: api}}
  update: {path: "$2"}
  git:
    commit:
      author: {email: paths-bot@eddy.dev}
      messageTemplate: '{{ range \$f, \$_ := .Changed.FileChanges }}{{ \$f }} {{ end }}'
YAML
}
# Flux walks update.path: a file is read alone, its name relative to its directory.
pathauto path-file ./paths/single.yaml
kubectl -n "$ns" wait imageupdateautomation/path-file --for=jsonpath='{.status.observedPolicies.api.tag}'=0.2.0 --timeout=60s >/dev/null
fetch
assert_eq "single.yaml" "$(git -C "$work" log -1 --format=%s -- paths)" "the file's name in the message"
assert_eq "a: 0.2.0 # {\"\$imagepolicy\": \"$ns:api:tag\"}" "$(cat "$work/paths/single.yaml")" "the file updated"
assert_contains "$(cat "$work/paths/beside.yaml")" "a: 0.0.1" "a file beside it is not"
# Its reader takes kustomize's extensionless Kustomization, and skips a marked file that does
# not parse (a Helm template) without failing the others.
pathauto path-dir ./paths
kubectl -n "$ns" wait imageupdateautomation/path-dir --for=jsonpath='{.status.observedPolicies.api.tag}'=0.2.0 --timeout=60s >/dev/null
assert_eq "True" "$(get imageupdateautomation/path-dir '{.status.conditions[?(@.type=="Ready")].status}')" "Ready"
fetch
assert_eq "Kustomization beside.yaml" "$(git -C "$work" log -1 --format=%s -- paths)" "the files in the message"
assert_contains "$(cat "$work/paths/Kustomization")" "newTag: 0.2.0 #" "the Kustomization file updated"
assert_contains "$(cat "$work/paths/chart/templates/deploy.yaml")" "image: x #" "the template left alone"
# A path the commit does not have fails (Flux: the walk's error), no "up-to-date".
pathauto path-missing ./nowhere
kubectl -n "$ns" wait imageupdateautomation/path-missing --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=UpdateFailed --timeout=60s >/dev/null
assert_contains "$(get imageupdateautomation/path-missing '{.status.conditions[?(@.type=="Ready")].message}')" "failed to apply policies: update.path './nowhere': no such file or directory" "the path named, in Flux's phase"
kubectl -n "$ns" delete imageupdateautomation/path-file imageupdateautomation/path-dir imageupdateautomation/path-missing --timeout=30s >/dev/null
# Without spec.git there is nothing to commit with: Flux stalls, InvalidSourceConfiguration.
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: no-git}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet}
YAML
kubectl -n "$ns" wait imageupdateautomation/no-git --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].reason}'=InvalidSourceConfiguration --timeout=60s >/dev/null
assert_eq "source kind 'GitRepository' necessitates field .spec.git: invalid source configuration" \
    "$(get imageupdateautomation/no-git '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message"
kubectl -n "$ns" delete imageupdateautomation/no-git --timeout=30s >/dev/null
# A GitRepository of provider github whose Secret holds no GitHub App (basic auth only) is
# refused for the automation as Flux's refuses it, stalled before any fetch or push, not pushed
# with the Secret's credentials (the App's own token: gitrepository_github_test.sh).
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet-app}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/image-fleet.git
  ref: {branch: main}
  provider: github
  secretRef: {name: git-auth}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: by-app}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: fleet-app}
  git:
    commit: {author: {name: eddy-bot, email: bot@eddy.dev}}
  update: {path: ./deploy}
YAML
kubectl -n "$ns" wait imageupdateautomation/by-app --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].reason}'=InvalidSourceConfiguration --timeout=60s >/dev/null ||
    fail "provider github without App data not refused: $(get imageupdateautomation/by-app '{.status.conditions}')"
assert_eq "secretRef with github app data must be specified when provider is set to github: invalid source configuration" \
    "$(get imageupdateautomation/by-app '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's words"
assert_eq "" "$(get imageupdateautomation/by-app '{.status.lastPushCommit}')" "nothing pushed"
kubectl -n "$ns" delete imageupdateautomation/by-app gitrepository/fleet-app --timeout=30s >/dev/null

step "signed commits (signingKey: OpenPGP key with a passphrase)"
gnupg=$(mktemp -d /tmp/eddy-gpg.XXXXXX)
trap 'gpgconf --homedir "$gnupg" --kill all 2>/dev/null; rm -rf "$gnupg"' EXIT
export GNUPGHOME=$gnupg
gpg --batch --pinentry-mode loopback --passphrase s3cret --quick-gen-key "eddy bot <bot@eddy.dev>" ed25519 sign never 2>/dev/null
gpg --batch --pinentry-mode loopback --passphrase s3cret --armor --export-secret-keys bot@eddy.dev >"$gnupg/git.asc"
kubectl -n "$ns" create secret generic signing-key --from-file=git.asc="$gnupg/git.asc" \
    --from-literal=passphrase=s3cret >/dev/null
(cd "$work" && git rm -q deploy/typo.yaml && git commit -qm "no typo" && git push -q origin HEAD:main)
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"signingKey":{"secretRef":{"name":"signing-key"}}}}}}' >/dev/null
"$EDDY_ROOT/scripts/push-image" "$reg" auto/app 1.5.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=signed >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.observedPolicies.app.tag}'=1.5.0 --timeout=60s >/dev/null
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "app:1.5.0\"" "the signed update"
assert_ok "the commit's signature verifies" git -C "$work" verify-commit HEAD
assert_eq "$(get imageupdateautomation/app '{.status.lastPushCommit}')" "$(git -C "$work" rev-parse HEAD)" "signed commit pushed"
assert_not_contains "$(kubectl -n "$ns" get imageupdateautomation app -o yaml)" "PGP" "no key in status"
assert_not_contains "$(cat "$scratch/ctl.log")" "s3cret" "no passphrase in logs"
sleep 1
assert_eq "" "$(pgrep -af 'gpg-agent --homedir [^ ]*/gnupg\.[A-Za-z0-9]{6}( |$)' || true)" "no gpg-agent left behind"
unset GNUPGHOME

step "signed commits (signingKey type ssh: an encrypted SSH key with its password)"
sshkey=$scratch/signing-ssh
ssh-keygen -q -t ed25519 -N s3cret-ssh -C bot@eddy.dev -f "$sshkey"
kubectl -n "$ns" create secret generic ssh-signing-key --from-file=identity="$sshkey" >/dev/null
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"signingKey":{"type":"ssh","secretRef":{"name":"ssh-signing-key"}}}}}}' >/dev/null
"$EDDY_ROOT/scripts/push-image" "$reg" auto/app 1.6.0 >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=ssh-signed >/dev/null
# Without the password: a clear failure, and nothing pushed.
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=GitOperationFailed --timeout=60s >/dev/null
assert_contains "$(get imageupdateautomation/app '{.status.conditions[?(@.type=="Ready")].message}')" \
    "the SSH key is encrypted but no 'password' field was provided in the secret" "an encrypted key without its password"
# A Secret without the key: Flux's words.
kubectl -n "$ns" create secret generic no-identity --from-literal=git.asc=x >/dev/null
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"signingKey":{"secretRef":{"name":"no-identity"}}}}}}' >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.conditions[?(@.type=="Ready")].message}'="signing key secret 'no-identity' does not contain an 'identity' key" --timeout=60s >/dev/null
kubectl -n "$ns" patch secret ssh-signing-key --type=merge -p '{"stringData":{"password":"s3cret-ssh"}}' >/dev/null
kubectl -n "$ns" patch imageupdateautomation/app --type=merge \
    -p '{"spec":{"git":{"commit":{"signingKey":{"secretRef":{"name":"ssh-signing-key"}}}}}}' >/dev/null
kubectl -n "$ns" wait imageupdateautomation/app --for=jsonpath='{.status.observedPolicies.app.tag}'=1.6.0 --timeout=60s >/dev/null
fetch
assert_contains "$(cat "$work/deploy/app.yaml")" "app:1.6.0\"" "the SSH-signed update"
assert_contains "$(git -C "$work" cat-file commit HEAD)" "-----BEGIN SSH SIGNATURE-----" "an SSH signature in the commit"
echo "bot@eddy.dev $(cat "$sshkey.pub")" >"$scratch/allowed_signers"
assert_ok "the commit's SSH signature verifies" \
    git -C "$work" -c gpg.ssh.allowedSignersFile="$scratch/allowed_signers" verify-commit HEAD
assert_eq "$(get imageupdateautomation/app '{.status.lastPushCommit}')" "$(git -C "$work" rev-parse HEAD)" "SSH-signed commit pushed"
assert_not_contains "$(cat "$scratch/ctl.log")" "s3cret-ssh" "no SSH key password in logs"
assert_eq "" "$(find "$scratch" -path '*sshsig.*' 2>/dev/null)" "no scratch key left behind"
kubectl -n "$ns" patch imageupdateautomation/app --type=json \
    -p '[{"op":"remove","path":"/spec/git/commit/signingKey"}]' >/dev/null

step "push races, push options, stalled servers (tests/e2e/c/image_push.c)"
new_repo pushrace
hook=$EDDY_SERVERS_DIR/git/pushrace.git/hooks/pre-receive
# The hook refuses branch 'protected' and records the push options it was given (git sets
# GIT_PUSH_OPTION_COUNT only when the client sent some).
cat >"$hook" <<HOOK
#!/bin/sh
while read -r old new ref; do
  [ "\$ref" = refs/heads/protected ] && { echo "protected branch" >&2; exit 1; }
done
if [ -n "\${GIT_PUSH_OPTION_COUNT:-}" ]; then
  { echo "count=\$GIT_PUSH_OPTION_COUNT"; i=0
    while [ \$i -lt \$GIT_PUSH_OPTION_COUNT ]; do eval "echo \\"\\\$GIT_PUSH_OPTION_\$i\\""; i=\$((i+1)); done
  } >"$scratch/push-options.log"
fi
exit 0
HOOK
chmod +x "$hook"
git clone -q "$(git_http_url pushrace)" "$scratch/pushwork" 2>/dev/null
(cd "$scratch/pushwork" && printf '# keep me\nv: 1 # the value\n' >race.yaml && git add -A &&
    git commit -qm init && git push -q origin HEAD:main)
# gitstall.py serves a copy: its http listener stalls a fetch, its push listener a push.
git clone -q --bare "$scratch/pushwork" "$scratch/stalled.git"
mkdir -p "$scratch/stall"
bg_start gitstall python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" --ready-file "$scratch/stall/ports" \
    --repo "$scratch/stalled.git"
wait_ready "$scratch/gitstall.pid" 30 "the stalling server" test -s "$scratch/stall/ports" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall.log")"
stall_http=$(sed -n 's/^http=//p' "$scratch/stall/ports")
stall_push=$(sed -n 's/^push=//p' "$scratch/stall/ports")
prog="$EDDY_ROOT/build/tests/e2e-image_push"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
EDDY_PUSH_URL="$EDDY_GIT_HTTP_URL/pushrace.git" EDDY_PUSH_WORK="$scratch/pushwork" \
    EDDY_PUSH_SERVER_REPO="$EDDY_SERVERS_DIR/git/pushrace.git" \
    EDDY_PUSH_OPTIONS_LOG="$scratch/push-options.log" \
    EDDY_PUSH_SSH_URL="$EDDY_GIT_SSH_URL/pushrace.git" \
    EDDY_PUSH_STALL_FETCH_URL="http://127.0.0.1:$stall_http/stalled.git" \
    EDDY_PUSH_STALL_PUSH_URL="http://127.0.0.1:$stall_push/stalled.git" \
    ASAN_OPTIONS=detect_leaks=1 "$prog"
[ -s "$scratch/stall/receive-pack.count" ] || fail "the stalled push never reached receive-pack"

step "the agent: push options reach the server; a server without them, a stalled push"
# Three deployment repositories holding the app at 1.0.0, so each automation has a commit to
# push: one whose server advertises push options, one whose server does not, and a copy served
# by gitstall.py's push listener (its fetch works, its push never gets an answer).
fleet_at_1_0() { # NAME: a repository on the Git server; its clone in $scratch/NAME
    new_repo "$1"
    git clone -q "$(git_http_url "$1")" "$scratch/$1" 2>/dev/null
    mkdir -p "$scratch/$1/deploy"
    cp "$scratch/app.before.yaml" "$scratch/$1/deploy/app.yaml"
    (cd "$scratch/$1" && git add -A && git commit -qm init && git push -q origin HEAD:main)
}
fleet_at_1_0 optfleet
fleet_at_1_0 nooptfleet
git -C "$EDDY_SERVERS_DIR/git/optfleet.git" config receive.advertisePushOptions true
sed "s|$scratch/push-options.log|$scratch/optfleet-options.log|" "$hook" \
    >"$EDDY_SERVERS_DIR/git/optfleet.git/hooks/pre-receive"
chmod +x "$EDDY_SERVERS_DIR/git/optfleet.git/hooks/pre-receive"
git clone -q --bare "$scratch/nooptfleet" "$scratch/stalled-fleet.git"
git -C "$scratch/stalled-fleet.git" config receive.advertisePushOptions true
mkdir -p "$scratch/stall2"
bg_start gitstall2 python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" \
    --ready-file "$scratch/stall2/ports" --repo "$scratch/stalled-fleet.git"
wait_ready "$scratch/gitstall2.pid" 30 "the second stalling server" test -s "$scratch/stall2/ports" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall2.log")"
stall2=$(sed -n 's/^push=//p' "$scratch/stall2/ports")
automation() { # NAME URL TIMEOUT: a GitRepository and an ImageUpdateAutomation with push options
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1}
spec:
  interval: 10m
  url: $2
  ref: {branch: main}
  ${3:+timeout: $3}
  secretRef: {name: git-auth}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: $1}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: $1}
  policySelector: {matchLabels: {team: apps}}
  update: {path: ./deploy, strategy: Setters}
  git:
    commit:
      author: {name: eddy-bot, email: bot@eddy.dev}
    push:
      options: {ci.skip: "", merge_request.create: "", merge_request.title: "image updates"}
YAML
}
t0=$(date +%s)
automation optfleet "$EDDY_GIT_HTTP_URL/optfleet.git"
automation nooptfleet "$EDDY_GIT_HTTP_URL/nooptfleet.git"
automation stalled "http://127.0.0.1:$stall2/stalled-fleet.git" 2s
kubectl -n "$ns" wait imageupdateautomation/optfleet --for=jsonpath='{.status.lastPushCommit}' \
    --timeout=60s >/dev/null || fail "no push: $(get imageupdateautomation/optfleet '{.status}')"
pushed=$(get imageupdateautomation/optfleet '{.status.lastPushCommit}')
assert_eq "$pushed" "$(git ls-remote "$(git_http_url optfleet)" refs/heads/main | cut -f1)" "optfleet head"
assert_eq "count=3
ci.skip=
merge_request.create=
merge_request.title=image updates" "$(cat "$scratch/optfleet-options.log")" "the push options the hook saw"
not_ready() { # NAME: wait for Ready=False; its message
    kubectl -n "$ns" wait "imageupdateautomation/$1" --timeout=60s \
        --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False >/dev/null ||
        fail "$1: no Ready=False: $(get "imageupdateautomation/$1" '{.status.conditions}')"
    assert_eq "GitOperationFailed" \
        "$(get "imageupdateautomation/$1" '{.status.conditions[?(@.type=="Ready")].reason}')" "$1 reason"
    get "imageupdateautomation/$1" '{.status.conditions[?(@.type=="Ready")].message}'
}
msg=$(not_ready nooptfleet)
echo "    nooptfleet: $msg"
assert_contains "$msg" "failed to update source: push to '$EDDY_GIT_HTTP_URL/nooptfleet.git' failed: the server does not accept push options (git.push.options)" "nooptfleet message, in Flux's phase"
assert_eq "$(git -C "$scratch/nooptfleet" rev-parse HEAD)" \
    "$(git ls-remote "$(git_http_url nooptfleet)" refs/heads/main | cut -f1)" "nothing pushed to nooptfleet"
msg=$(not_ready stalled)
elapsed=$(($(date +%s) - t0))
echo "    stalled: $msg (${elapsed}s after the automations were created)"
assert_contains "$msg" "push to 'http://127.0.0.1:$stall2/stalled-fleet.git': timed out after 2s" "stalled message"
[ -s "$scratch/stall2/receive-pack.count" ] || fail "the stalled push never reached receive-pack"
[ "$elapsed" -le 30 ] || fail "the stalled push took ${elapsed}s to fail"
kill -0 "$(cat "$scratch/ctl.pid")" || fail "the agent exited: $(tail -20 "$scratch/ctl.log")"
bg_stop gitstall2
bg_stop gitstall

echo "agent memory after the flow: $(grep -E 'VmHWM|VmRSS' /proc/$(cat "$scratch/ctl.pid")/status | tr -s ' \t' ' ' | tr '\n' ' ')"

step "without the ImageUpdateAutomation CRD the agent runs the rest"
kubectl -n "$ns" delete imageupdateautomation --all --timeout=30s >/dev/null
bg_stop ctl
kubectl delete crd imageupdateautomations.image.toolkit.fluxcd.io --timeout=60s >/dev/null
bg_start ctl2 "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-imgauto2-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$scratch/storage2" \
    --storage-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$(free_port)"
kubectl -n "$ns" annotate --overwrite gitrepository/fleet reconcile.fluxcd.io/requestedAt=nocrd >/dev/null
kubectl -n "$ns" wait gitrepository/fleet --for=jsonpath='{.status.lastHandledReconcileAt}'=nocrd --timeout=30s >/dev/null
kubectl -n "$ns" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=nocrd >/dev/null
kubectl -n "$ns" wait imagerepository/app --for=jsonpath='{.status.lastHandledReconcileAt}'=nocrd --timeout=30s >/dev/null
assert_contains "$(cat "$scratch/ctl2.log")" "automation=not started: ImageUpdateAutomation CRD not installed" "the automation is not started"
assert_contains "$(cat "$scratch/ctl2.log")" "reflector=running" "the reflector runs"
bg_stop ctl2
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
