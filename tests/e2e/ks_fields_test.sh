#!/usr/bin/env bash
# tests/e2e/ks_fields_test.sh: a Kustomization's kustomize fields in the real agent, as Flux
# applies them on top of the path's own kustomization: targetNamespace, namePrefix/nameSuffix
# (replacing the path's own), images (after the path's), commonMetadata (overwriting labels
# and annotations), spec.patches and spec.components; ignoreMissingComponents drops missing
# components; fields eddy does not implement yet are refused, naming them; a source that does
# not exist is ArtifactFailed with Flux's NotFound message, and its creation applies; a path
# that does not exist is not an attempt (no lastAttemptedRevision), as in Flux.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
# Failures here are fixed by a change (spec or commit), which reconciles at once: a long
# retryInterval keeps a retry from flipping Ready to Unknown while the test reads a failure.
export KS_RETRY=1m

ks_setup ks-fields fields
target=ks-fields-target
new_namespace "$target"

step "a path with its own kustomization"
put app/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: own-
namespace: somewhere-else
resources: [web.yaml, settings.yaml]
images:
- {name: nginx, newTag: "1.25"}
YAML
put app/web.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {team: from-git, app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx}
      - {name: cache, image: redis:7}
YAML
put app/settings.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations: {owner: git}
data: {color: blue}
YAML
commit "app"
gitrepository
kustomization fields ./app "  targetNamespace: $target
  namePrefix: flux-
  nameSuffix: -v2
  images:
  - {name: nginx, newTag: 1.27-alpine}
  - {name: redis, newName: valkey/valkey, newTag: '8'}
  commonMetadata:
    labels: {team: platform, env: test}
    annotations: {owner: flux-team}"
agent

step "applied with Flux's fields"
applied fields "$(rev)"
assert_eq "${target}_flux-settings-v2__ConfigMap ${target}_flux-web-v2_apps_Deployment" \
    "$(ksget fields '{.status.inventory.entries[*].id}')" "names and namespace in the inventory"
d() { kubectl -n "$target" get deploy flux-web-v2 -o "jsonpath=$1"; }
assert_eq "nginx:1.27-alpine valkey/valkey:8" "$(d '{.spec.template.spec.containers[*].image}')" "images"
assert_eq platform "$(d '{.metadata.labels.team}')" "commonMetadata overwrites a label"
assert_eq web "$(d '{.metadata.labels.app}')" "other labels kept"
assert_eq test "$(d '{.metadata.labels.env}')" "commonMetadata adds a label"
assert_eq fields "$(d '{.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}')" "owner label"
assert_eq flux-team "$(kubectl -n "$target" get configmap flux-settings-v2 -o 'jsonpath={.metadata.annotations.owner}')" "commonMetadata overwrites an annotation"
assert_fails "the path's own prefix" kubectl -n "$target" get deploy own-web

step "spec.patches"
kustomization fields ./app "  targetNamespace: $target
  namePrefix: flux-
  nameSuffix: -v2
  patches:
  - patch: |
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {color: green}
    target: {kind: ConfigMap}"
applied_spec() { [ "$(ksget fields '{.status.observedGeneration}')" = "$(ksget fields '{.metadata.generation}')" ]; }
retry 60 applied_spec
green() { [ "$(kubectl -n "$target" get configmap flux-settings-v2 -o 'jsonpath={.data.color}')" = green ]; }
retry 30 green

step "spec.components"
put component/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonAnnotations: {component: "yes"}
YAML
commit "component"
kustomization fields ./app "  targetNamespace: $target
  components: [../component]"
poke
component_applied() {
    [ "$(ksget fields '{.status.lastAppliedRevision}')" = "$(rev)" ] &&
        [ "$(ksget fields '{.status.observedGeneration}')" = "$(ksget fields '{.metadata.generation}')" ]
}
retry 60 component_applied
assert_eq yes "$(kubectl -n "$target" get deploy own-web -o 'jsonpath={.metadata.annotations.component}')" "component applied"

step "ignoreMissingComponents: a missing component is dropped, not an error"
kustomization fields ./app "  targetNamespace: $target
  components: [../no-such-component]
  ignoreMissingComponents: true"
applied fields "$(rev)"
retry 30 bash -c "[ \"\$(kubectl -n $ns get kustomization fields -o 'jsonpath={.status.observedGeneration}')\" = \"\$(kubectl -n $ns get kustomization fields -o 'jsonpath={.metadata.generation}')\" ]"
assert_eq True "$(ready_status fields)" "Ready"
kustomization fields ./app "  targetNamespace: $target
  components: [../no-such-component]"
ready_is fields False BuildFailed

step "decryption's Secret missing: the build fails, naming it (SOPS itself: ks_sops_test.sh)"
kustomization fields ./app "  targetNamespace: $target
  decryption: {provider: sops, secretRef: {name: no-such-keys}}"
# (The previous step left Ready False BuildFailed too: wait for this spec's message.)
# (Flux's message is the API's not-found error alone)
retry 30 ready_message_matches fields 'secrets "no-such-keys" not found'
ready_is fields False BuildFailed

step "without namePrefix the path's own prefix is back, and the old names are pruned"
kustomization fields ./app "  targetNamespace: $target"
retry 60 kubectl -n "$target" get deploy own-web
retry 30 bash -c "! kubectl -n $target get deploy flux-web-v2 >/dev/null 2>&1"
assert_eq "nginx:1.25" "$(kubectl -n "$target" get deploy own-web -o 'jsonpath={.spec.template.spec.containers[0].image}')" "the path's image tag"

step "a source that does not exist: Flux's NotFound; the source's creation applies it"
put solo/cm.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: solo, namespace: $target}
YAML
commit "solo"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: orphan}
spec:
  interval: 1h
  path: ./solo
  prune: true
  sourceRef: {kind: GitRepository, name: later}
YAML
ready_is orphan False ArtifactFailed
assert_eq "GitRepository.source.toolkit.fluxcd.io \"later\" not found" "$(ready_message orphan)" \
    "Ready message, Flux's (the cache's NotFound)"
gitrepository later
applied orphan "$(rev)"
kubectl -n "$target" get configmap solo >/dev/null

step "a path that does not exist: ArtifactFailed, not attempted yet (Flux)"
kustomization nopath ./nowhere
ready_is nopath False ArtifactFailed
assert_match "^kustomization path not found: stat /.*/nowhere: no such file or directory$" \
    "$(ready_message nopath)" "Ready message, as Flux quotes Go's stat error"
assert_eq "" "$(ksget nopath '{.status.lastAttemptedRevision}')" "lastAttemptedRevision"

step "a path that climbs or starts at '/': below the artifact's root, as Flux's SecureJoin reads it"
put climb/cm.yaml <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: climbed, namespace: $target}
YAML
commit "climb"
poke
kustomization climbs ../../climb
kustomization rooted /climb
applied climbs "$(rev)"
applied rooted "$(rev)"
kubectl -n "$target" get configmap climbed >/dev/null
