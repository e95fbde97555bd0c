#!/usr/bin/env bash
# tests/e2e/flux_oracle_build_test.sh: Flux's kustomize-controller (flux_lib.sh) as the oracle of
# what a Kustomization renders. Each case is reconciled first by Flux (shard flux), then handed
# to eddy's agent (shard eddy) unchanged; what each did is compared:
#   - the history digest (sha256 of the build's YAML): eddy's reconcile of the same objects
#     must land on Flux's history entry (one entry, two reconciliations);
#   - the inventory, entry for entry and in order;
#   - the live objects, less what the API server sets (uid, resourceVersion, timestamps,
#     managedFields, status): eddy applies as the same field manager, so a field Flux set and
#     eddy does not (or the other way round) shows here.
# The cases cover Flux's generator and build: a directory without kustomization.yaml (the
# generated one: nested directories with and without a kustomization, a file whose name starts
# with a dot, a non-Kubernetes YAML file left out by .sourceignore), the accumulation order that
# Flux keeps unless the kustomization has sortOptions, targetNamespace, namePrefix/nameSuffix,
# patches with targets, images merged field by field into the kustomization's entry of the same
# name, components with ignoreMissingComponents, commonMetadata (applied after the digest),
# postBuild substitute/substituteFrom with optional references, `${var:=default}` and the
# `$${var}` escape (long values, a value substituted in the YAML text, the opt-out label),
# buildMetadata (replacing the kustomization's own; the origin of a generated entry; Flux's
# originAnnotations for a kustomization without resources), a path with no manifest and one
# beside a file whose name is not UTF-8. A path holding a non-Kubernetes YAML file fails both
# (BuildFailed, nothing applied, no history), each message naming the file in its own words; a
# remote spec component is refused by both with the same message.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

ks_setup flux-oracle-build oracle-build
flux_bucket_crd

step "a repository with one directory per case"
# plain: no kustomization.yaml. Flux walks it in lexical order: .extra.yaml (dot files too),
# a-svc.yaml, b-deploy.yaml, nested/ (its own kustomization: one entry), raw/sa.yaml;
# values.yaml is not Kubernetes YAML (Flux's generator would refuse it) and is ignored.
put plain/.sourceignore <<'EOF'
values.yaml
EOF
put plain/values.yaml <<'YAML'
replicaCount: 2
YAML
put plain/.extra.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: dot-extra}
data: {k: v}
YAML
put plain/a-svc.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-settings}
data: {color: blue}
YAML
put plain/b-deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
YAML
put plain/nested/kustomization.yaml <<'YAML'
resources: [cm.yaml]
configMapGenerator:
- name: generated
  literals: [a=b]
YAML
put plain/nested/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: nested}
YAML
put plain/raw/sa.yaml <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
YAML
# sorted: a kustomization with sortOptions (legacy, the ServiceAccount last), which Flux obeys
put sorted/kustomization.yaml <<'YAML'
resources: [deploy.yaml, sa.yaml, cm.yaml]
sortOptions:
  order: legacy
  legacySortOptions:
    orderFirst: [ConfigMap]
    orderLast: [ServiceAccount]
YAML
cp "$work/plain/b-deploy.yaml" "$work/sorted/deploy.yaml"
cp "$work/plain/raw/sa.yaml" "$work/sorted/sa.yaml"
cp "$work/plain/nested/cm.yaml" "$work/sorted/cm.yaml"
# overlay: the spec's fields over a kustomization of its own
put overlay/kustomization.yaml <<'YAML'
resources: [deploy.yaml, cm.yaml]
components: [../components/label]
images:
- {name: nginx, newName: registry.example/old/nginx, newTag: "1.0"}
- {name: busybox, newTag: "1.36"}
YAML
put overlay/deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      initContainers: [{name: init, image: busybox}]
      containers:
      - {name: app, image: nginx}
      - {name: cache, image: redis:6}
YAML
put overlay/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: dev}
YAML
put components/label/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs: {component: label}
YAML
put components/annotate/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonAnnotations: {component: annotate}
YAML
# meta: spec.buildMetadata replaces the kustomization's own (Flux's generator sets the field)
put meta/kustomization.yaml <<'YAML'
resources: [cm.yaml]
buildMetadata: [originAnnotations]
YAML
cp "$work/plain/nested/cm.yaml" "$work/meta/cm.yaml"
# rawname: beside its kustomization, a file whose name is not UTF-8 (a byte 0xff: Git names
# are bytes); the artifact holds it (Flux's controller downloads eddy's) and both build the rest.
put rawname/kustomization.yaml <<'YAML'
resources: [cm.yaml]
YAML
put rawname/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: rawname}
data: {k: v}
YAML
put "rawname/notes"$'\xff'".txt" <<<"not UTF-8"
# generators: a kustomization.yaml without resources (Flux's generator then adds
# buildMetadata: [originAnnotations], so that kustomize does not call it empty)
put generators/kustomization.yaml <<'YAML'
configMapGenerator:
- name: from-generator
  literals: [a=b]
YAML
# empty: no manifest at all; Flux's generated kustomization then builds nothing
put empty/README.md <<'EOF'
nothing to apply
EOF
# invalid: a YAML file that is not Kubernetes YAML in a path without kustomization.yaml
put invalid/values.yaml <<'YAML'
replicaCount: 2
YAML
cp "$work/plain/nested/cm.yaml" "$work/invalid/cm.yaml"
# vars: postBuild substitution in a generated kustomization
put vars/app.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: vars-${env}
data:
  region: ${region}
  tier: ${tier}
  fallback: ${missing:=fallback-value}
  escaped: $${HOME}
  long: ${long}
  lines: ${lines}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: untouched
  labels: {kustomize.toolkit.fluxcd.io/substitute: disabled}
data:
  zeta: ${not_substituted}
  alpha: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vars}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: vars}}
  template:
    metadata: {labels: {app: vars}}
    spec: {containers: [{name: vars, image: "nginx:${tag:-1.27}"}]}
YAML
commit "cases"

gitrepository "$repo" "{shard: both}"
kubectl -n "$ns" create configmap vars-cm --from-literal=region=eu-west-1 \
    --from-literal=tier=from-configmap >/dev/null
kubectl -n "$ns" create secret generic vars-secret --from-literal=tier=from-secret \
    --from-literal=token=s3cr3t-token >/dev/null
agent --watch-label-selector 'shard in (eddy,both)'
flux_start

# oracle_ks NAME PATH [SPEC-YAML]: the Kustomization NAME of $repo on shard flux, with more
# spec fields (YAML lines, indented by two spaces).
oracle_ks() {
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $1, labels: {shard: flux}}
spec:
  interval: 10m
  retryInterval: 1m
  path: $2
  prune: true
  timeout: 60s
  targetNamespace: $ns
  sourceRef: {kind: GitRepository, name: $repo}
${3:-}
YAML
}

step "Flux reconciles each case"
oracle_ks plain ./plain
oracle_ks sorted ./sorted "  namePrefix: s-"
oracle_ks overlay ./overlay "  namePrefix: p-
  nameSuffix: -s
  images:
  - {name: nginx, newName: registry.example/new/nginx}
  - {name: busybox, digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000001'}
  - {name: redis, newTag: '7'}
  patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: any}
      spec: {replicas: 2}
    target: {kind: Deployment}
  - patch: |
      - {op: add, path: /data/patched, value: 'yes'}
    target: {kind: ConfigMap, name: settings}
  components: [../components/annotate, ../components/missing]
  ignoreMissingComponents: true
  commonMetadata:
    labels: {team: oracle}
    annotations: {owner: build-test}"
oracle_ks vars ./vars "  postBuild:
    substitute:
      env: prod
      replicas: '2'
      long: $(printf 'word-%.0s' {1..30})end
      lines: 'one two three # four'
    substituteFrom:
    - {kind: ConfigMap, name: vars-cm}
    - {kind: Secret, name: vars-secret}
    - {kind: ConfigMap, name: not-there, optional: true}
    - {kind: Secret, name: not-there-either, optional: true}"
oracle_ks origins ./plain "  namePrefix: o-
  buildMetadata: [originAnnotations]
  images:
  - {name: nginx, newName: registry.example/nginx}
  - {name: nginx, newTag: '1.28'}"
oracle_ks meta ./meta "  namePrefix: m-
  buildMetadata: [transformerAnnotations]"
oracle_ks empty ./empty
oracle_ks generators ./generators
oracle_ks rawname ./rawname
oracle_ks invalid ./invalid "  namePrefix: i-"
oracle_ks remote ./meta "  namePrefix: r-
  components: ['https://example.com/org/repo//components/x']
  ignoreMissingComponents: true"
cases=(plain sorted overlay vars origins meta empty generators rawname)
for k in "${cases[@]}"; do
    if ! kubectl -n "$ns" wait "kustomization/$k" --for=condition=Ready --timeout=180s >/dev/null; then
        kubectl -n "$ns" get kustomization "$k" -o yaml
        fail "Flux did not reconcile $k"
    fi
done

# live NAME: the objects of NAME's inventory as JSON, less what the API server sets.
live() {
    local id objns name group kind
    ksget "$1" '{range .status.inventory.entries[*]}{.id}{"\n"}{end}' | while IFS= read -r id; do
        IFS=_ read -r objns name group kind <<<"$id"
        kubectl get "$kind${group:+.$group}" "$name" ${objns:+-n "$objns"} -o json | jq -S '
            del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp,
                .metadata.managedFields, .status,
                .metadata.annotations["deployment.kubernetes.io/revision"])'
    done
}
# history NAME: NAME's history as "digest total revision" lines.
history() {
    kubectl -n "$ns" get kustomization "$1" -o json | jq -r \
        '.status.history[]? | "\(.digest) \(.totalReconciliations) \(.metadata.revision)"'
}
# reconciled NAME COUNT: NAME's history counts COUNT reconciliations in all.
reconciled() {
    [ "$(kubectl -n "$ns" get kustomization "$1" -o json |
        jq '[.status.history[]?.totalReconciliations] | add')" = "$2" ]
}

# reconciled_by_eddy NAME: eddy's agent logged the end of a reconcile of NAME.
reconciled_by_eddy() {
    grep -E "Reconciliation (finished|failed)" "$scratch/ctl.log" | grep -qE "name=$1( |\$)"
}

declare -A flux_history flux_inventory flux_live
for k in "${cases[@]}"; do
    flux_history[$k]=$(history "$k")
    flux_inventory[$k]=$(ksget "$k" '{.status.inventory}')
    flux_live[$k]=$(live "$k")
    assert_match "^sha256:[0-9a-f]{64} 1 $(rev)\$" "${flux_history[$k]}" "Flux's history of $k"
done

step "what Flux built (facts the comparison rests on)"
assert_contains "${flux_inventory[plain]}" "${ns}_dot-extra__ConfigMap" "Flux lists dot files"
assert_not_contains "${flux_live[plain]}" replicaCount "values.yaml is ignored"
assert_contains "${flux_live[overlay]}" '"image": "registry.example/new/nginx:1.0"' \
    "Flux merges a spec image into the kustomization's entry"
assert_contains "${flux_live[overlay]}" '"team": "oracle"' "Flux's commonMetadata"
assert_contains "${flux_live[vars]}" '"escaped": "${HOME}"' "Flux's escape"
assert_contains "${flux_live[vars]}" '"tier": "from-secret"' "a later substituteFrom wins"
assert_contains "${flux_live[vars]}" '"lines": "one two three"' "substituted in the text: a # comments"
assert_contains "${flux_live[vars]}" '"zeta": "${not_substituted}"' "Flux's opt-out label"
assert_contains "${flux_live[origins]}" 'path: a-svc.yaml' "Flux's origin of a generated entry"
assert_contains "${flux_live[origins]}" '"image": "registry.example/nginx:1.28"' \
    "Flux merges a second spec image of one name into the first"
assert_not_contains "${flux_live[meta]}" 'config.kubernetes.io/origin' \
    "spec.buildMetadata replaces the kustomization's"
assert_contains "${flux_live[meta]}" 'alpha.config.kubernetes.io/transformations' \
    "Flux's transformer annotations"
assert_eq '{"entries":[]}' "${flux_inventory[empty]}" "Flux builds nothing from an empty path"
assert_contains "${flux_live[generators]}" 'configuredIn: kustomization.yaml' \
    "Flux's origin annotations on a kustomization without resources"
assert_contains "${flux_inventory[rawname]}" "${ns}_rawname__ConfigMap" \
    "Flux builds from an artifact holding a name that is not UTF-8"

step "eddy takes each case over"
for k in "${cases[@]}"; do
    kubectl -n "$ns" label --overwrite kustomization "$k" shard=eddy >/dev/null
done
for k in "${cases[@]}"; do
    retry 120 reconciled "$k" 2
done

step "eddy rendered what Flux rendered"
for k in "${cases[@]}"; do
    assert_eq "${flux_history[$k]/ 1 / 2 }" "$(history "$k")" \
        "$k: eddy's reconcile lands on Flux's history entry (same digest)"
    assert_eq "${flux_inventory[$k]}" "$(ksget "$k" '{.status.inventory}')" "$k: inventory"
    assert_eq "${flux_live[$k]}" "$(live "$k")" "$k: live objects"
    assert_eq True "$(ready_status "$k")" "$k: Ready"
done

step "a path Flux cannot build, nor eddy"
eddy_says() { [ "$(ready_message invalid)" != "$1" ]; }
kubectl -n "$ns" label --overwrite kustomization invalid shard=flux >/dev/null
ready_is invalid False BuildFailed 120
flux_message=$(ready_message invalid)
assert_contains "$flux_message" "failed to decode Kubernetes YAML from " "Flux's generator refuses it"
assert_contains "$flux_message" "/invalid/values.yaml: missing Resource metadata" "Flux names the file"
assert_eq "" "$(ksget invalid '{.status.inventory.entries}')" "Flux applied nothing"
flux_invalid_history=$(history invalid)
kubectl -n "$ns" label --overwrite kustomization invalid shard=eddy >/dev/null
retry 60 eddy_says "$flux_message"
ready_is invalid False BuildFailed
# A deliberate difference: Flux's message names the file by its path in the controller's
# temporary directory and prints Go's dump of an empty object; eddy's names it in the
# repository, with kustomize's words for what is missing.
assert_eq "kustomize build failed: accumulating resources: accumulating resources from 'values.yaml': invalid/values.yaml: line 1: missing kind in object" \
    "$(ready_message invalid)" "eddy's message"
assert_eq "" "$(ksget invalid '{.status.inventory.entries}')" "eddy applied nothing"
assert_eq "$flux_invalid_history" "$(history invalid)" "no history entry for a failed build"

step "a remote component in the spec: refused by Flux's generator, and by eddy"
ready_is remote False BuildFailed 120
remote_message="component path 'https://example.com/org/repo//components/x' must be local and relative"
assert_eq "$remote_message" "$(ready_message remote)" "Flux's message"
kubectl -n "$ns" label --overwrite kustomization remote shard=eddy >/dev/null
retry 60 reconciled_by_eddy remote
assert_eq "False BuildFailed" "$(ready_status remote) $(ready_reason remote)" "eddy refuses it too"
assert_eq "$remote_message" "$(ready_message remote)" "eddy's message"
