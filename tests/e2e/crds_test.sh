#!/usr/bin/env bash
# tests/e2e/crds_test.sh: the CustomResourceDefinitions in deploy/crds/, against a real API server.
#
# `kubectl apply --server-side -f deploy/crds/` establishes the five Flux APIs eddy serves
# (GitRepository, Kustomization, ImageRepository, ImagePolicy, ImageUpdateAutomation), each
# v1 only, with Flux's names, short names, categories, printer columns and status subresource;
# deploy/crds/Kustomization builds the same five with `kubectl kustomize`. The examples of
# Flux's documentation are accepted and get Flux's schema defaults; objects that use every
# field are accepted without losing any; malformed objects are refused by the API server with
# a message that names the field; `kubectl get gitrepo,ks` prints Flux's columns; `kubectl
# explain` documents the fields. Needs no eddy binary and no Git server.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

ns=e2e-crds
crds=$EDDY_ROOT/deploy/crds
names=(
    gitrepositories.source.toolkit.fluxcd.io
    kustomizations.kustomize.toolkit.fluxcd.io
    imagerepositories.image.toolkit.fluxcd.io
    imagepolicies.image.toolkit.fluxcd.io
    imageupdateautomations.image.toolkit.fluxcd.io
    ocirepositories.source.toolkit.fluxcd.io
)

# crd_get NAME JQ: the JQ of the live CRD NAME, compact.
crd_get() {
    kubectl get crd "$1" -o json | jq -c "$2"
}

# obj_get KIND NAME JQ: the JQ of object KIND/NAME in $ns, compact.
obj_get() {
    kubectl -n "$ns" get "$1" "$2" -o json | jq -c "$3"
}

# accept WHAT: applies the YAML on stdin in $ns; it must be accepted.
accept() {
    assert_ok "$1" kubectl -n "$ns" apply --server-side --field-manager=e2e -f -
}

# refuse WHAT NEEDLE...: applies the YAML on stdin in $ns; the API server must refuse it with a
# message that contains every NEEDLE.
refuse() {
    local what=$1 needle
    shift
    assert_fails "$what" kubectl -n "$ns" apply --server-side --field-manager=e2e -f -
    for needle; do
        assert_contains "$OUT" "$needle" "$what"
    done
    echo "refused as expected ($what): $OUT"
}

# header KIND...: the header line(s) of `kubectl get KIND...` in $ns, spaces squeezed.
header() {
    kubectl -n "$ns" get "$@" 2>&1 | grep '^NAME ' | tr -s ' '
}

# --- install -------------------------------------------------------------------------------------
step "kubectl apply --server-side -f deploy/crds/ establishes the six CRDs"
out=$(kubectl apply --server-side -f "$crds/" 2>&1) || fail "apply of deploy/crds/ failed: $out"
for n in "${names[@]}"; do
    assert_contains "$out" "customresourcedefinition.apiextensions.k8s.io/$n serverside-applied" \
        "output of the apply"
done
assert_eq 6 "$(ls "$crds"/*.yaml | wc -l)" "YAML files in deploy/crds"
# kubectl wait fails at once (instead of waiting) on a CRD that has no conditions yet: retry it.
retry 60 kubectl wait --for=condition=Established --timeout=60s "${names[@]/#/crd/}"
for n in "${names[@]}"; do
    # A CRD whose schema is not structural gets the condition NonStructuralSchema.
    assert_eq '[]' "$(crd_get "$n" '[.status.conditions[] | select(.type != "Established" and
        .type != "NamesAccepted" and .type != "KubernetesAPIApprovalPolicyConformant") | .type]')" \
        "unexpected conditions of crd/$n"
    assert_eq '[{"name":"v1","served":true,"storage":true}]' \
        "$(crd_get "$n" '[.spec.versions[] | {name, served, storage}]')" "versions of crd/$n"
    assert_eq '{"status":{}}' "$(crd_get "$n" '.spec.versions[0].subresources')" \
        "subresources of crd/$n"
    assert_eq '"Namespaced"' "$(crd_get "$n" .spec.scope)" "scope of crd/$n"
    assert_eq '{"observedGeneration":-1}' \
        "$(crd_get "$n" .spec.versions[0].schema.openAPIV3Schema.properties.status.default)" \
        "status default of crd/$n"
done

step "applying them again changes nothing"
rv=$(kubectl get crd "${names[@]}" -o jsonpath='{.items[*].metadata.resourceVersion}')
kubectl apply --server-side -f "$crds/" >/dev/null
assert_eq "$rv" "$(kubectl get crd "${names[@]}" -o jsonpath='{.items[*].metadata.resourceVersion}')" \
    "resourceVersions after a second apply"

step "kubectl kustomize deploy/crds builds the same six CRDs"
built=$(kubectl kustomize "$crds")
assert_eq 6 "$(grep -c '^kind: CustomResourceDefinition$' <<<"$built")" "CRDs built by kubectl kustomize"
for n in "${names[@]}"; do
    assert_contains "$built" "name: $n" "kubectl kustomize deploy/crds"
done
assert_ok "kubectl apply -k deploy/crds (server dry-run)" \
    kubectl apply --server-side --dry-run=server -k "$crds"

step "names, short names and categories are Flux's"
assert_eq '{"kind":"GitRepository","listKind":"GitRepositoryList","plural":"gitrepositories","singular":"gitrepository","shortNames":["gitrepo"],"categories":["all","fluxcd","fluxcd-sources"]}' \
    "$(crd_get gitrepositories.source.toolkit.fluxcd.io '.spec.names | {kind, listKind, plural, singular, shortNames, categories}')" \
    "names of GitRepository"
assert_eq '{"kind":"Kustomization","shortNames":["ks"],"categories":["all","fluxcd","fluxcd-appliers"]}' \
    "$(crd_get kustomizations.kustomize.toolkit.fluxcd.io '.spec.names | {kind, shortNames, categories}')" \
    "names of Kustomization"
assert_eq '{"kind":"ImageRepository","shortNames":["imgrepo","imagerepo"],"categories":["all","fluxcd","fluxcd-images"]}' \
    "$(crd_get imagerepositories.image.toolkit.fluxcd.io '.spec.names | {kind, shortNames, categories}')" \
    "names of ImageRepository"
assert_eq '{"kind":"ImagePolicy","shortNames":["imgpol","imagepol"]}' \
    "$(crd_get imagepolicies.image.toolkit.fluxcd.io '.spec.names | {kind, shortNames}')" \
    "names of ImagePolicy"
assert_eq '{"kind":"ImageUpdateAutomation","shortNames":["iua","imgupd","imgauto"],"categories":["all","fluxcd","fluxcd-images"]}' \
    "$(crd_get imageupdateautomations.image.toolkit.fluxcd.io '.spec.names | {kind, shortNames, categories}')" \
    "names of ImageUpdateAutomation"
assert_eq '{"kind":"OCIRepository","listKind":"OCIRepositoryList","plural":"ocirepositories","singular":"ocirepository","shortNames":["ocirepo"],"categories":["all","fluxcd","fluxcd-sources"]}' \
    "$(crd_get ocirepositories.source.toolkit.fluxcd.io '.spec.names | {kind, listKind, plural, singular, shortNames, categories}')" \
    "names of OCIRepository"

# --- valid objects and defaults ---------------------------------------------------------------------
step "namespace $ns"
new_namespace "$ns"

step "Flux's podinfo OCIRepository is accepted and defaulted; a URL of another scheme is refused"
accept "podinfo OCIRepository" <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
spec:
  interval: 5m0s
  url: oci://ghcr.io/stefanprodan/manifests/podinfo
  ref:
    semver: ">=6.0.0"
  layerSelector:
    mediaType: application/vnd.cncf.flux.content.v1.tar+gzip
    operation: copy
EOF
assert_eq '{"interval":"5m0s","layerSelector":{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip","operation":"copy"},"provider":"generic","ref":{"semver":">=6.0.0"},"timeout":"60s","url":"oci://ghcr.io/stefanprodan/manifests/podinfo"}' \
    "$(obj_get ocirepository podinfo '.spec')" "OCIRepository defaults"
refuse "OCIRepository with an https URL" spec.url <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: https}
spec: {interval: 5m, url: https://ghcr.io/org/app}
EOF
refuse "OCIRepository with layer operation unpack" spec.layerSelector.operation <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: unpack}
spec: {interval: 5m, url: oci://ghcr.io/org/app, layerSelector: {operation: unpack}}
EOF

step "Flux's podinfo GitRepository is accepted and defaulted"
accept "podinfo GitRepository" <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
spec:
  interval: 5m0s
  url: https://github.com/stefanprodan/podinfo
  ref:
    branch: master
EOF
assert_eq '{"interval":"5m0s","ref":{"branch":"master"},"timeout":"60s","url":"https://github.com/stefanprodan/podinfo"}' \
    "$(obj_get gitrepository podinfo .spec)" "spec of the podinfo GitRepository (timeout defaults to 60s)"
assert_eq '{"observedGeneration":-1}' "$(obj_get gitrepository podinfo .status)" \
    "status of the podinfo GitRepository"

step "Flux's podinfo Kustomization is accepted and defaulted"
accept "podinfo Kustomization" <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: podinfo
spec:
  interval: 10m
  targetNamespace: default
  sourceRef:
    kind: GitRepository
    name: podinfo
  path: "./kustomize"
  prune: true
  timeout: 1m
EOF
assert_eq '{"force":false,"interval":"10m","path":"./kustomize","prune":true,"sourceRef":{"kind":"GitRepository","name":"podinfo"},"targetNamespace":"default","timeout":"1m"}' \
    "$(obj_get kustomization podinfo .spec)" "spec of the podinfo Kustomization (force defaults to false)"
assert_eq '{"observedGeneration":-1}' "$(obj_get kustomization podinfo .status)" \
    "status of the podinfo Kustomization"

step "Flux's podinfo ImageRepository, ImagePolicy and ImageUpdateAutomation are accepted and defaulted"
accept "podinfo image objects" <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 5.1.x
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo-alpha
spec:
  imageRepositoryRef:
    name: podinfo
  filterTags:
    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'
    extract: '$ts'
  policy:
    alphabetical: {}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: podinfo
spec:
  interval: 30m
  sourceRef:
    name: podinfo
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: fluxcdbot@users.noreply.github.com
        name: fluxcdbot
      messageTemplate: '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}'
    push:
      branch: main
EOF
assert_eq '{"exclusionList":["^.*\\.sig$"],"image":"ghcr.io/stefanprodan/podinfo","interval":"5m","provider":"generic"}' \
    "$(obj_get imagerepository podinfo .spec)" "spec of the ImageRepository (exclusionList and provider defaulted)"
assert_eq '{"digestReflectionPolicy":"Never","imageRepositoryRef":{"name":"podinfo"},"policy":{"semver":{"range":"5.1.x"}}}' \
    "$(obj_get imagepolicy podinfo .spec)" "spec of the semver ImagePolicy (digestReflectionPolicy defaulted)"
assert_eq '{"alphabetical":{"order":"asc"}}' "$(obj_get imagepolicy podinfo-alpha .spec.policy)" \
    "policy of the alphabetical ImagePolicy (order defaulted)"
assert_eq '{"kind":"GitRepository","name":"podinfo"}' "$(obj_get imageupdateautomation podinfo .spec.sourceRef)" \
    "sourceRef of the ImageUpdateAutomation (kind defaulted)"
assert_eq '{"strategy":"Setters"}' "$(obj_get imageupdateautomation podinfo .spec.update)" \
    "update of the ImageUpdateAutomation (defaulted)"
for k in imagerepository imagepolicy imageupdateautomation; do
    assert_eq '{"observedGeneration":-1}' "$(obj_get "$k" podinfo .status)" "status of the $k"
done

step "objects that use every field are accepted and keep every field"
# Server-side apply with strict field validation (kubectl's default) refuses any field the
# schema does not declare, so acceptance proves every field below is in the schema; reading
# the spec back proves none was pruned.
full_git=$(
    cat <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: full
spec:
  url: ssh://git@github.com/org/repo
  secretRef: {name: git-auth}
  provider: azure
  serviceAccountName: git-sa
  interval: 1h30m
  timeout: 2m30s
  ref: {branch: main, tag: v1.0.0, semver: ">=1.0.0 <2.0.0", name: refs/heads/main, commit: 0123456789abcdef0123456789abcdef01234567}
  verify: {mode: TagAndHEAD, secretRef: {name: keys}}
  proxySecretRef: {name: proxy}
  ignore: |
    /*
    !/deploy
  suspend: true
  recurseSubmodules: true
  include:
  - repository: {name: other}
    fromPath: config
    toPath: other-config
  sparseCheckout: [deploy, apps]
EOF
)
accept "GitRepository with every field" <<<"$full_git"
assert_eq "$(yq -cS .spec <<<"$full_git" | jq -cS .)" "$(obj_get gitrepository full .spec | jq -cS .)" \
    "GitRepository spec read back"

full_ks=$(
    cat <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: full
spec:
  sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1, kind: OCIRepository, name: src, namespace: flux-system}
  path: ./apps/prod
  interval: 10m
  retryInterval: 2m
  timeout: 5m
  prune: true
  deletionPolicy: WaitForTermination
  suspend: false
  force: true
  wait: true
  targetNamespace: prod
  namePrefix: pre-
  nameSuffix: -suf
  serviceAccountName: deployer
  dependsOn:
  - name: infra
    namespace: flux-system
    readyExpr: dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')
  healthChecks:
  - {apiVersion: apps/v1, kind: Deployment, name: web, namespace: prod}
  healthCheckExprs:
  - apiVersion: example.com/v1
    kind: Widget
    current: status.phase == 'Ready'
    inProgress: status.phase == 'Pending'
    failed: status.phase == 'Failed'
  patches:
  - patch: |
      - op: replace
        path: /spec/replicas
        value: 2
    target: {group: apps, version: v1, kind: Deployment, name: "web.*", namespace: prod, labelSelector: "app=web", annotationSelector: "team=a"}
  - patch: |
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {mode: prod}
  images:
  - {name: ghcr.io/org/web, newName: registry.example.com/web, newTag: 1.2.3, digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}
  components: [../components/monitoring]
  ignoreMissingComponents: true
  commonMetadata:
    labels: {team: a}
    annotations: {owner: "a@example.com"}
  postBuild:
    substitute: {cluster_env: prod, replicas: "2"}
    substituteFrom:
    - {kind: ConfigMap, name: vars}
    - {kind: Secret, name: secret-vars, optional: true}
    substituteStrategy: Always
  decryption:
    provider: sops
    secretRef: {name: sops-keys}
    serviceAccountName: kms
  kubeConfig:
    secretRef: {name: remote, key: value.yaml}
  ignore:
  - paths: [/spec/replicas]
    target: {kind: Deployment, name: "web.*"}
  - paths: [/metadata/annotations/checksum]
EOF
)
accept "Kustomization with every field" <<<"$full_ks"
# Everything comes back as written, plus the default of substituteFrom[].optional.
assert_eq "$(yq -cS .spec <<<"$full_ks" | jq -cS '.postBuild.substituteFrom[0].optional = false')" \
    "$(obj_get kustomization full .spec | jq -cS .)" "Kustomization spec read back"
assert_eq '[{"kind":"ConfigMap","name":"vars","optional":false},{"kind":"Secret","name":"secret-vars","optional":true}]' \
    "$(obj_get kustomization full .spec.postBuild.substituteFrom)" "substituteFrom read back (optional defaulted)"
assert_eq '{"cluster_env":"prod","replicas":"2"}' "$(obj_get kustomization full .spec.postBuild.substitute)" \
    "postBuild.substitute read back"

accept "image objects with every field" <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: full
spec:
  image: registry.example.com/org/app
  interval: 1h
  timeout: 90s
  secretRef: {name: regcred}
  proxySecretRef: {name: proxy}
  serviceAccountName: puller
  certSecretRef: {name: certs}
  suspend: false
  accessFrom:
    namespaceSelectors:
    - matchLabels: {kubernetes.io/metadata.name: apps}
  exclusionList: ["^.*\\.sig$", "^sha256-.*"]
  provider: aws
  insecure: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: full
spec:
  imageRepositoryRef: {name: full, namespace: e2e-crds}
  policy:
    numerical: {order: desc}
  filterTags: {pattern: '^build-(?P<n>[0-9]+)$', extract: '$n'}
  digestReflectionPolicy: Always
  interval: 10m
  suspend: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: full
spec:
  sourceRef: {apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, name: full, namespace: e2e-crds}
  git:
    checkout:
      ref: {branch: main, tag: v1, semver: 1.x, name: refs/heads/main, commit: abc}
    commit:
      author: {name: bot, email: bot@example.com}
      signingKey:
        secretRef: {name: signing}
        type: ssh
      messageTemplate: "Automated update in {{ .AutomationObject }} by {{ .Values.who }}"
      messageTemplateValues: {who: eddy}
    push:
      branch: auto
      refspec: refs/heads/auto:refs/heads/main
      options: {merge_request.create: "", merge_request.target: main}
  interval: 15m
  policySelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [frontend, backend]}
  update: {strategy: Setters, path: ./clusters/prod}
  suspend: true
EOF
assert_eq '{"branch":"auto","options":{"merge_request.create":"","merge_request.target":"main"},"refspec":"refs/heads/auto:refs/heads/main"}' \
    "$(obj_get imageupdateautomation full .spec.git.push)" "ImageUpdateAutomation push read back"

# --- malformed objects ------------------------------------------------------------------------------
step "malformed GitRepositories are refused with the field named"
refuse "interval in words" 'spec.interval: Invalid value: "5 minutes"' 'should match' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-interval}
spec: {interval: 5 minutes, url: https://example.com/repo}
EOF
refuse "no interval" 'spec.interval: Required value' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: no-interval}
spec: {url: https://example.com/repo}
EOF
refuse "no url" 'spec.url: Required value' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: no-url}
spec: {interval: 1m}
EOF
refuse "scp-like url" 'spec.url: Invalid value: "git@github.com:org/repo"' 'should match' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: scp-url}
spec: {interval: 1m, url: "git@github.com:org/repo"}
EOF
refuse "timeout in hours" 'spec.timeout: Invalid value: "1h"' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: timeout-hours}
spec: {interval: 1m, url: https://example.com/repo, timeout: 1h}
EOF
refuse "unknown provider" 'spec.provider: Unsupported value: "gitlab"' '"generic", "aws", "azure", "github"' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-provider}
spec: {interval: 1m, url: https://example.com/repo, provider: gitlab}
EOF
refuse "serviceAccountName with the generic provider" \
    "serviceAccountName can only be set when provider is 'azure' or 'aws'" <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-sa}
spec: {interval: 1m, url: https://example.com/repo, serviceAccountName: sa}
EOF
refuse "unknown verify mode" 'spec.verify.mode: Unsupported value: "all"' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-verify}
spec: {interval: 1m, url: https://example.com/repo, verify: {mode: all, secretRef: {name: keys}}}
EOF
refuse "verify without secretRef" 'spec.verify.secretRef: Required value' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: verify-no-secret}
spec: {interval: 1m, url: https://example.com/repo, verify: {mode: HEAD}}
EOF
refuse "branch outside ref" '.spec.branch: field not declared in schema' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: stray-branch}
spec: {interval: 1m, url: https://example.com/repo, branch: main}
EOF
refuse "include without repository" 'spec.include[0].repository: Required value' <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: bad-include}
spec: {interval: 1m, url: https://example.com/repo, include: [{toPath: x}]}
EOF

step "malformed Kustomizations are refused with the field named"
refuse "no sourceRef" 'spec.sourceRef: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: no-source}
spec: {interval: 5m, prune: true}
EOF
refuse "unknown sourceRef kind" 'spec.sourceRef.kind: Unsupported value: "HelmRepository"' \
    '"OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-kind}
spec: {interval: 5m, prune: true, sourceRef: {kind: HelmRepository, name: x}}
EOF
refuse "sourceRef without name" 'spec.sourceRef.name: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: source-no-name}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository}}
EOF
refuse "no prune" 'spec.prune: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: no-prune}
spec: {interval: 5m, sourceRef: {kind: GitRepository, name: x}}
EOF
refuse "prune as a string" '.spec.prune: expected boolean' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: prune-string}
spec: {interval: 5m, prune: "yes", sourceRef: {kind: GitRepository, name: x}}
EOF
refuse "no interval" 'spec.interval: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: no-interval}
spec: {prune: true, sourceRef: {kind: GitRepository, name: x}}
EOF
refuse "bad retryInterval and timeout" 'spec.retryInterval: Invalid value: "1 minute"' \
    'spec.timeout: Invalid value: "-5m"' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-durations}
spec: {interval: 5m, retryInterval: 1 minute, timeout: "-5m", prune: true, sourceRef: {kind: GitRepository, name: x}}
EOF
refuse "targetNamespace too long" 'spec.targetNamespace: Too long' <<EOF
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: long-ns}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, targetNamespace: $(printf 'n%.0s' {1..64})}
EOF
refuse "unknown deletionPolicy" 'spec.deletionPolicy: Unsupported value: "Keep"' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-deletion}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, deletionPolicy: Keep}
EOF
refuse "substituteFrom of a Service" 'spec.postBuild.substituteFrom[0].kind: Unsupported value: "Service"' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-subst-from}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, postBuild: {substituteFrom: [{kind: Service, name: x}]}}
EOF
refuse "substitute value that is not a string" '.spec.postBuild.substitute.replicas: expected string' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-subst}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, postBuild: {substitute: {replicas: 2}}}
EOF
refuse "patch without its patch" 'spec.patches[0].patch: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-patch}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, patches: [{target: {kind: Deployment}}]}
EOF
refuse "patch given as an object" '.spec.patches[0].patch: expected string' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: object-patch}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, patches: [{patch: {op: remove, path: /x}}]}
EOF
refuse "decryption with vault" 'spec.decryption.provider: Unsupported value: "vault"' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-decryption}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, decryption: {provider: vault}}
EOF
refuse "healthCheckExprs without current" 'spec.healthCheckExprs[0].current: Required value' <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: bad-hc-expr}
spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: x}, healthCheckExprs: [{apiVersion: a/v1, kind: A}]}
EOF

step "malformed image objects are refused with the field named"
refuse "ImageRepository without image" 'spec.image: Required value' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: no-image}
spec: {interval: 5m}
EOF
refuse "ImageRepository with an unknown provider" 'spec.provider: Unsupported value: "docker"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: bad-provider}
spec: {image: ghcr.io/org/app, interval: 5m, provider: docker}
EOF
refuse "ImageRepository with 26 exclusions" 'spec.exclusionList: Too many' <<EOF
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: many-exclusions}
spec: {image: ghcr.io/org/app, interval: 5m, exclusionList: [$(seq -f '"^t%g$"' -s, 1 26)]}
EOF
refuse "ImageRepository interval in words" 'spec.interval: Invalid value: "hourly"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: bad-interval}
spec: {image: ghcr.io/org/app, interval: hourly}
EOF
refuse "ImagePolicy without policy" 'spec.policy: Required value' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: no-policy}
spec: {imageRepositoryRef: {name: x}}
EOF
refuse "ImagePolicy with an unknown order" 'spec.policy.alphabetical.order: Unsupported value: "up"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: bad-order}
spec: {imageRepositoryRef: {name: x}, policy: {alphabetical: {order: up}}}
EOF
refuse "ImagePolicy semver without range" 'spec.policy.semver.range: Required value' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: no-range}
spec: {imageRepositoryRef: {name: x}, policy: {semver: {}}}
EOF
refuse "ImagePolicy interval without Always" \
    "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'" <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: interval-never}
spec: {imageRepositoryRef: {name: x}, policy: {semver: {range: 1.x}}, interval: 5m}
EOF
refuse "ImagePolicy Always without interval" \
    "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'" <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: always-no-interval}
spec: {imageRepositoryRef: {name: x}, policy: {semver: {range: 1.x}}, digestReflectionPolicy: Always}
EOF
refuse "ImageUpdateAutomation on an OCIRepository" 'spec.sourceRef.kind: Unsupported value: "OCIRepository"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: bad-source}
spec: {interval: 5m, sourceRef: {kind: OCIRepository, name: x}}
EOF
refuse "ImageUpdateAutomation without author email" 'spec.git.commit.author.email: Required value' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: no-email}
spec: {interval: 5m, sourceRef: {name: x}, git: {commit: {author: {name: bot}}}}
EOF
refuse "ImageUpdateAutomation force-push refspec" 'spec.git.push.refspec: Invalid value: "+refs/heads/main:refs/heads/auto"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: force-refspec}
spec: {interval: 5m, sourceRef: {name: x}, git: {commit: {author: {email: a@b.c}}, push: {refspec: "+refs/heads/main:refs/heads/auto"}}}
EOF
refuse "ImageUpdateAutomation signing key type" 'spec.git.commit.signingKey.type: Unsupported value: "x509"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: bad-signing}
spec: {interval: 5m, sourceRef: {name: x}, git: {commit: {author: {email: a@b.c}, signingKey: {secretRef: {name: k}, type: x509}}}}
EOF
refuse "ImageUpdateAutomation update strategy" 'spec.update.strategy: Unsupported value: "Kyaml"' <<'EOF'
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: bad-strategy}
spec: {interval: 5m, sourceRef: {name: x}, update: {strategy: Kyaml}}
EOF
assert_eq "full podinfo" "$(kubectl -n "$ns" get gitrepositories -o jsonpath='{.items[*].metadata.name}')" \
    "GitRepositories after the refusals"

# --- status ------------------------------------------------------------------------------------------
step "status is a subresource with the condition schema"
cond='{"type":"Ready","status":"True","reason":"Succeeded","message":"stored artifact for revision '"'"'master@sha1:0123456789abcdef0123456789abcdef01234567'"'"'","lastTransitionTime":"2026-01-02T03:04:05Z","observedGeneration":1}'
assert_ok "status patch of the GitRepository" kubectl -n "$ns" patch gitrepository podinfo \
    --subresource=status --type=merge -p '{"status":{"observedGeneration":1,"conditions":['"$cond"'],"artifact":{"path":"gitrepository/e2e-crds/podinfo/0123456789abcdef0123456789abcdef01234567.tar.gz","url":"http://source-controller.flux-system.svc.cluster.local./gitrepository/e2e-crds/podinfo/0123456789abcdef0123456789abcdef01234567.tar.gz","revision":"master@sha1:0123456789abcdef0123456789abcdef01234567","digest":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","lastUpdateTime":"2026-01-02T03:04:05Z","size":1234}}}'
assert_eq 1 "$(obj_get gitrepository podinfo .metadata.generation)" "generation after a status patch"
assert_eq '"True"' "$(obj_get gitrepository podinfo '.status.conditions[0].status')" "Ready status stored"
# A patch of the main resource does not change the status.
kubectl -n "$ns" patch gitrepository podinfo --type=merge -p '{"status":{"observedGeneration":7}}' >/dev/null
assert_eq 1 "$(obj_get gitrepository podinfo .status.observedGeneration)" \
    "observedGeneration after a patch of the main resource"
assert_fails "a condition with status Maybe" kubectl -n "$ns" patch gitrepository podinfo \
    --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"Maybe","reason":"Succeeded","message":"","lastTransitionTime":"2026-01-02T03:04:05Z"}]}}'
assert_contains "$OUT" 'status.conditions[0].status: Unsupported value: "Maybe"' "a condition with status Maybe"
assert_fails "a condition without reason" kubectl -n "$ns" patch gitrepository podinfo \
    --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","message":"","lastTransitionTime":"2026-01-02T03:04:05Z"}]}}'
assert_contains "$OUT" 'status.conditions[0].reason: Required value' "a condition without reason"
assert_fails "a condition reason with spaces" kubectl -n "$ns" patch gitrepository podinfo \
    --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"not ok","message":"","lastTransitionTime":"2026-01-02T03:04:05Z"}]}}'
assert_contains "$OUT" 'status.conditions[0].reason: Invalid value: "not ok"' "a condition reason with spaces"
assert_fails "an artifact digest without algorithm" kubectl -n "$ns" patch gitrepository podinfo \
    --subresource=status --type=merge -p '{"status":{"artifact":{"digest":"deadbeef"}}}'
assert_contains "$OUT" 'status.artifact.digest: Invalid value: "deadbeef"' "an artifact digest without algorithm"
assert_ok "status patch of the Kustomization" kubectl -n "$ns" patch kustomization podinfo \
    --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"BuildFailed","message":"kustomize build failed","lastTransitionTime":"2026-01-02T03:04:05Z"}],"inventory":{"entries":[{"id":"default_podinfo_apps_Deployment","v":"v1"}]},"lastAttemptedRevision":"master@sha1:0123456789abcdef0123456789abcdef01234567","history":[{"digest":"sha256:abc","firstReconciled":"2026-01-02T03:04:05Z","lastReconciled":"2026-01-02T03:04:05Z","lastReconciledDuration":"1.5s","lastReconciledStatus":"ReconciliationFailed","totalReconciliations":1,"metadata":{"revision":"master@sha1:0123"}}]}}'
assert_ok "status patch of the ImageRepository" kubectl -n "$ns" patch imagerepository podinfo \
    --subresource=status --type=merge -p '{"status":{"lastScanResult":{"tagCount":42,"scanTime":"2026-01-02T03:04:05Z","latestTags":["6.0.0","5.1.4"]},"canonicalImageName":"ghcr.io/stefanprodan/podinfo"}}'
assert_ok "status patch of the ImagePolicy" kubectl -n "$ns" patch imagepolicy podinfo \
    --subresource=status --type=merge -p '{"status":{"latestRef":{"name":"ghcr.io/stefanprodan/podinfo","tag":"5.1.4"}}}'
assert_ok "status patch of the ImageUpdateAutomation" kubectl -n "$ns" patch imageupdateautomation podinfo \
    --subresource=status --type=merge -p '{"status":{"lastAutomationRunTime":"2026-01-02T03:04:05Z","observedPolicies":{"podinfo":{"name":"ghcr.io/stefanprodan/podinfo","tag":"5.1.4"}}}}'

# --- kubectl get and explain -------------------------------------------------------------------------
step "kubectl get gitrepo,ks prints Flux's columns"
assert_eq "NAME URL AGE READY STATUS
NAME AGE READY STATUS" "$(header gitrepo,ks)" "header lines of kubectl get gitrepo,ks"
row=$(kubectl -n "$ns" get gitrepo podinfo --no-headers | tr -s ' ')
assert_match "^podinfo https://github.com/stefanprodan/podinfo [0-9]+[smhd] True stored artifact for revision 'master@sha1:0123456789abcdef0123456789abcdef01234567'\$" \
    "$row" "row of kubectl get gitrepo podinfo"
row=$(kubectl -n "$ns" get ks podinfo --no-headers | tr -s ' ')
assert_match '^podinfo [0-9]+[smhd] False kustomize build failed$' "$row" "row of kubectl get ks podinfo"

step "kubectl get prints the columns of the image kinds"
assert_eq "NAME IMAGE TAGS READY STATUS AGE" "$(header imgrepo)" "header of kubectl get imgrepo"
assert_eq "NAME IMAGE TAGS READY STATUS LAST SCAN AGE" "$(header imagerepo -o wide)" \
    "header of kubectl get imagerepo -o wide"
assert_match '^podinfo ghcr.io/stefanprodan/podinfo 42 ' \
    "$(kubectl -n "$ns" get imagerepository podinfo --no-headers | tr -s ' ')" "row of kubectl get imagerepository podinfo"
assert_eq "NAME IMAGE TAG READY STATUS AGE" "$(header imgpol)" "header of kubectl get imgpol"
assert_match '^podinfo ghcr.io/stefanprodan/podinfo 5.1.4 ' \
    "$(kubectl -n "$ns" get imagepolicy podinfo --no-headers | tr -s ' ')" "row of kubectl get imagepolicy podinfo"
assert_eq "NAME READY STATUS AGE" "$(header iua)" "header of kubectl get iua"
assert_eq "NAME READY STATUS LAST RUN AGE" "$(header imgauto -o wide)" "header of kubectl get imgauto -o wide"

step "the categories list the Flux objects"
all=$(kubectl -n "$ns" get fluxcd -o name)
for o in gitrepository.source.toolkit.fluxcd.io/podinfo kustomization.kustomize.toolkit.fluxcd.io/podinfo \
    imagerepository.image.toolkit.fluxcd.io/podinfo imagepolicy.image.toolkit.fluxcd.io/podinfo \
    imageupdateautomation.image.toolkit.fluxcd.io/podinfo; do
    assert_contains "$all" "$o" "kubectl get fluxcd"
done
assert_contains "$(kubectl -n "$ns" get fluxcd-sources -o name)" gitrepository.source.toolkit.fluxcd.io/full \
    "kubectl get fluxcd-sources"
assert_contains "$(kubectl -n "$ns" get fluxcd-appliers -o name)" kustomization.kustomize.toolkit.fluxcd.io/full \
    "kubectl get fluxcd-appliers"

step "kubectl explain documents the fields"
out=$(kubectl explain gitrepository.spec.ref)
assert_contains "$out" "GROUP:      source.toolkit.fluxcd.io" "kubectl explain gitrepository.spec.ref"
assert_contains "$out" "FIELD: ref <Object>" "kubectl explain gitrepository.spec.ref"
for f in branch commit name semver tag; do
    assert_match "  $f[[:space:]]+<string>" "$out" "field $f in kubectl explain gitrepository.spec.ref"
done
assert_contains "$out" "master" "kubectl explain gitrepository.spec.ref (the default branch)"
out=$(kubectl explain kustomization.spec.sourceRef.kind)
assert_contains "$out" 'ENUM:' "kubectl explain kustomization.spec.sourceRef.kind"
assert_contains "$out" 'GitRepository' "kubectl explain kustomization.spec.sourceRef.kind"
out=$(kubectl explain gitrepository.spec)
assert_match 'interval[[:space:]]+<string> -required-' "$out" "kubectl explain gitrepository.spec"
assert_match 'url[[:space:]]+<string> -required-' "$out" "kubectl explain gitrepository.spec"
out=$(kubectl explain kustomization.spec)
assert_match 'prune[[:space:]]+<boolean> -required-' "$out" "kubectl explain kustomization.spec"
assert_match 'sourceRef[[:space:]]+<Object> -required-' "$out" "kubectl explain kustomization.spec"
assert_ok "kubectl explain imageupdateautomation.spec.git.push" kubectl explain imageupdateautomation.spec.git.push

step "done"
kubectl delete namespace "$ns" --wait=false >/dev/null
