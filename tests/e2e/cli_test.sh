#!/usr/bin/env bash
# tests/e2e/cli_test.sh: eddy's command line, verb by verb, against the real control plane,
# the real Git server and the agent (`eddy controller`) running: --help on every verb, flux's
# errors for unknown verbs, flags and kinds; completion scripts; create --export (golden
# YAML); check --pre (admin and an unprivileged user); install (the embedded manifests
# applied, the Deployment ready, a second run unchanged); check (CRDs and the agent's Lease);
# create source git with credentials and create kustomization, waiting for Ready; get with
# -A, --no-header, --status-selector, -l, get all and --watch; tree; events; export (re-applied
# with a server-side dry run); suspend, resume and reconcile for Git, Kustomization and image
# kinds (with the agent's image reconcilers and the test registry); delete with and without
# confirmation; bad input (missing object, malformed flag,
# unreachable cluster, forbidden); uninstall (finalizers removed, CRDs and namespace gone).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=cli-e2e
apps=cli-e2e-apps
scratch=$EDDY_E2E_SCRATCH
work=$scratch/work

step "kustomize build: an overlay reads its ../base within the Git work tree, as kubectl does"
kz=$scratch/kz
mkdir -p "$kz/repo/base" "$kz/repo/overlays/prod" "$kz/plain/base" "$kz/plain/ov"
printf 'resources: [cm.yaml]\n' >"$kz/repo/base/kustomization.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue}\n' >"$kz/repo/base/cm.yaml"
printf 'resources: [../../base]\nnamePrefix: prod-\n' >"$kz/repo/overlays/prod/kustomization.yaml"
git -C "$kz/repo" init -q .
out=$("$eddy" kustomize build "$kz/repo/overlays/prod")
assert_eq "$(kubectl kustomize "$kz/repo/overlays/prod")" "$out" "the same output as kubectl kustomize"
assert_contains "$out" "name: prod-settings" "the base, prefixed"
cp "$kz/repo/base/"* "$kz/plain/base/"
printf 'resources: [../base]\n' >"$kz/plain/ov/kustomization.yaml"
if err=$("$eddy" kustomize build "$kz/plain/ov" 2>&1); then
    fail "outside a Git work tree, DIR is the boundary: $err"
fi
assert_contains "$err" "outside the build root" "outside a work tree, ../base is refused"

step "--help on every verb, with usage and an example"
verbs=$("$eddy" --help | sed -n 's/^  \([a-z]*\) .*/\1/p')
for v in install uninstall check create delete get suspend resume reconcile export events tree \
    trace build diff stats completion version logs debug envsubst migrate; do
    assert_contains "$verbs" "$v" "eddy --help lists $v"
done
for v in $verbs; do
    out=$("$eddy" "$v" --help)
    assert_contains "$out" "Usage: eddy $v" "$v --help"
    assert_match "Examples?:" "$out" "$v --help has examples"
    assert_eq "$out" "$("$eddy" help "$v")" "eddy help $v"
done
assert_contains "$("$eddy" get sources git --help)" "--status-selector" "help after the kind"
# kustomize build's help tells the boundary the engine keeps (the work tree, as just tested),
# not an older rule ("Nothing outside DIR", a short list of fields) that README contradicts
out=$("$eddy" kustomize --help)
assert_contains "$out" "Git work tree DIR lies in" "kustomize --help: the read boundary"
assert_contains "$out" "helmCharts and external plugins are refused" "kustomize --help: refusals"
assert_not_contains "$out" "Nothing outside DIR" "kustomize --help: no stale rule"
# flags README shows, named in the help of their verb
assert_contains "$("$eddy" suspend --help)" "-r/--reason" "suspend --help: --reason"
out=$("$eddy" create --help)
for f in --decryption-provider --decryption-secret --fetch-timeout --ref-name --trust-policy-file \
    --ca-cert-file "updated in place"; do
    assert_contains "$out" "$f" "create --help: $f"
done

step "unknown verbs, flags and kinds: flux's messages, exit 1 (as flux: cobra's errors)"
assert_fails "unknown verb" "$eddy" frobnicate
assert_contains "$OUT" '✗ unknown command "frobnicate" for "eddy"' "unknown verb"
set +e
"$eddy" get kustomizations --frobnicate >/dev/null 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "exit status of an unknown flag"
set +e
"$eddy" frobnicate >/dev/null 2>&1
rc=$?
"$eddy" suspend kustomization >/dev/null 2>&1
rc2=$?
set -e
assert_eq "1 1" "$rc $rc2" "exit status of an unknown verb, of a missing name"
assert_fails "unknown flag" "$eddy" get kustomizations --frobnicate
assert_contains "$OUT" "✗ unknown flag: --frobnicate" "unknown flag"
assert_fails "unknown shorthand" "$eddy" suspend ks apps -z
assert_contains "$OUT" "unknown shorthand flag: 'z' in -z" "unknown shorthand"
assert_fails "unknown kind" "$eddy" get helmreleases
assert_contains "$OUT" "helmreleases: unknown kind" "unknown kind"
assert_fails "malformed duration" "$eddy" get ks --timeout soon
assert_contains "$OUT" 'invalid argument "soon" for "--timeout" flag' "malformed --timeout"
assert_fails "malformed boolean" "$eddy" resume ks apps --wait=maybe
assert_contains "$OUT" 'invalid argument "maybe" for "--wait" flag' "malformed --wait"
assert_fails "missing name" "$eddy" suspend kustomization
assert_contains "$OUT" "kustomization name is required" "missing name"

step "envsubst: the environment substituted line by line, Flux's grammar"
got=$(printf 'region: ${region}\nname: ${app:-web}-${region^^}\nkeep: $${region}\nlen: ${#region}\nlast' |
    region=eu-west-1 "$eddy" envsubst)
assert_eq 'region: eu-west-1
name: web-EU-WEST-1
keep: ${region}
len: 9
last' "$got" "values, defaults, escape, operators"
assert_eq "a:  ." "$(echo 'a: ${unset_var} .' | env -u unset_var "$eddy" envsubst)" "unset: empty"
assert_eq "a: ." "$(echo 'a: ${empty_var}.' | empty_var= "$eddy" envsubst --strict)" "set but empty is set"
assert_fails "strict, unset" sh -c "echo 'a: \${unset_var}' | env -u unset_var '$eddy' envsubst --strict"
assert_contains "$OUT" 'variable not set (strict mode): "unset_var"' "strict names the variable"
assert_fails "an argument" "$eddy" envsubst file.yaml

step "completion scripts"
bash_script=$("$eddy" completion bash)
bash -n <(echo "$bash_script") || fail "bash completion does not parse"
# Complete "eddy sus" and "eddy get sou" in a real bash.
got=$(bash -c "$bash_script"'
COMP_WORDS=(eddy sus); COMP_CWORD=1; _eddy; echo "${COMPREPLY[*]}"
COMP_WORDS=(eddy get sou); COMP_CWORD=2; _eddy; echo "${COMPREPLY[*]}"
COMP_WORDS=(eddy get sources g); COMP_CWORD=3; _eddy; echo "${COMPREPLY[*]}"')
assert_eq "suspend
sources
git" "$got" "bash completes verbs and kinds"
assert_contains "$("$eddy" completion zsh)" "compdef _eddy eddy" "zsh script"
assert_contains "$("$eddy" completion zsh)" "'reconcile:Ask for a reconcile now" "zsh verbs"
assert_contains "$("$eddy" completion fish)" "complete -c eddy -n __fish_use_subcommand -a tree" "fish"
ps=$("$eddy" completion powershell)
assert_contains "$ps" "Register-ArgumentCompleter -Native -CommandName 'eddy'" "powershell script"
assert_contains "$ps" "'install' = 'Install eddy: the Flux CRDs, RBAC and the agent''s Deployment'" \
    "powershell verbs, quotes doubled"
assert_contains "$ps" "'get' = @('sources', 'kustomizations', 'images', 'all')" "powershell kinds"
assert_contains "$bash_script" "completion) [ \"\$COMP_CWORD\" -eq 2 ] && words=\"bash zsh fish powershell\"" \
    "the shells completed"
assert_fails "unknown shell" "$eddy" completion tcsh
assert_contains "$OUT" 'unsupported shell "tcsh"' "unknown shell"
# As flux (cobra's command of subcommands): no shell prints the help on stdout, and succeeds
out=$("$eddy" completion 2>"$scratch/completion.err") || fail "completion with no shell failed"
assert_eq "$("$eddy" help completion)" "$out" "completion with no shell: its help"
assert_eq "" "$(<"$scratch/completion.err")" "completion with no shell: nothing on stderr"

step "create --export prints flux's YAML (golden)"
out=$("$eddy" create source git podinfo -n apps --url https://github.com/stefanprodan/podinfo \
    --tag 6.7.0 --interval 5m --ignore-paths '/*,!/kustomize' --label team=a --export)
assert_eq "---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  labels:
    team: a
  name: podinfo
  namespace: apps
spec:
  ignore: |-
    /*
    !/kustomize
  interval: 5m0s
  ref:
    tag: 6.7.0
  url: https://github.com/stefanprodan/podinfo" "$out" "create source git --export"
out=$("$eddy" create source git fleet --url https://git.example.com/fleet.git --branch main \
    --sparse-checkout-paths apps,infra --proxy-secret-ref corp-proxy --export)
assert_eq "---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
  namespace: flux-system
spec:
  interval: 1m0s
  proxySecretRef:
    name: corp-proxy
  ref:
    branch: main
  sparseCheckout:
  - apps
  - infra
  url: https://git.example.com/fleet.git" "$out" "create source git --sparse-checkout-paths --proxy-secret-ref"
assert_contains "$("$eddy" create kustomization edge --source fleet --kubeconfig-secret-ref edge-kubeconfig --export)" "  kubeConfig:
    secretRef:
      name: edge-kubeconfig" "create kustomization --kubeconfig-secret-ref"
out=$("$eddy" create kustomization podinfo --source GitRepository/podinfo.apps --path ./kustomize \
    --prune --interval 10m --target-namespace web --depends-on infra,base/crds \
    --health-check Deployment/podinfo.web --health-check-timeout 3m --service-account deployer \
    --retry-interval 1m --decryption-provider sops --decryption-secret sops-gpg --export)
assert_eq "---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: podinfo
  namespace: flux-system
spec:
  decryption:
    provider: sops
    secretRef:
      name: sops-gpg
  dependsOn:
  - name: infra
  - name: crds
    namespace: base
  healthChecks:
  - kind: Deployment
    name: podinfo
    namespace: web
  interval: 10m0s
  path: ./kustomize
  prune: true
  retryInterval: 1m0s
  serviceAccountName: deployer
  sourceRef:
    kind: GitRepository
    name: podinfo
    namespace: apps
  targetNamespace: web
  timeout: 3m0s" "$out" "create kustomization --export"
# As flux: --wait sets the timeout (--health-check-timeout, default 2m) and leaves out
# --health-check (it checks every object).
assert_eq "---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 1m0s
  path: ./
  prune: false
  sourceRef:
    kind: GitRepository
    name: podinfo
  timeout: 2m0s
  wait: true" "$("$eddy" create ks podinfo --source podinfo --wait --health-check Deployment/podinfo.web --export)" \
    "create kustomization --wait --export"
assert_fails "decryption provider" "$eddy" create ks xx --source s --decryption-provider vault --export
assert_contains "$OUT" "must be one of: sops" "--decryption-provider"
out=$("$eddy" create image update podinfo --git-repo-ref fleet --checkout-branch main \
    --push-branch main --author-name Flux --author-email bot@example.com --git-repo-path ./apps --export)
assert_eq "---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: podinfo
  namespace: flux-system
spec:
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: bot@example.com
        name: Flux
    push:
      branch: main
  interval: 1m0s
  sourceRef:
    kind: GitRepository
    name: fleet
  update:
    path: ./apps
    strategy: Setters" "$out" "create image update --export"
assert_contains "$("$eddy" create image policy podinfo --image-ref podinfo --select-semver '>=6.0.0' \
    --filter-regex '^v(?P<v>.*)' --filter-extract '$v' --export)" "    semver:
      range: '>=6.0.0'" "create image policy --export"
assert_contains "$("$eddy" create secret git auth --url https://git.example.com/x -u me -p pw --export)" \
    "stringData:
  password: pw
  username: me" "create secret git --export"
assert_fails "an ssh URL with a password" "$eddy" create source git xx --url ssh://git@h/r -u a -p b --branch main --export
assert_contains "$OUT" "are for http(s) URLs" "ssh and basic auth"
assert_fails "ftp URL" "$eddy" create source git xx --url ftp://h/r --export
assert_contains "$OUT" "git URL scheme 'ftp' not supported" "URL scheme"
# As flux: a ref is required; one ref, in flux's order; --export prints no credentials.
assert_fails "no ref" "$eddy" create source git xx --url https://h/r --export
assert_contains "$OUT" "a Git ref is required, use one of the following: --branch, --tag, --commit, --ref-name or --tag-semver" "no ref"
assert_eq "---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: xx
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    name: refs/heads/main
  timeout: 2m0s
  url: https://h/r" "$("$eddy" create source git xx --url https://h/r --ref-name refs/heads/main --branch dev \
    -u me -p s3cr3t --fetch-timeout 2m --export)" "--ref-name wins; no Secret, no secretRef from -u/-p"
assert_fails "health check" "$eddy" create ks xx --source s --health-check Deployment --export
assert_contains "$OUT" "invalid health check 'Deployment' must be in the format 'kind/name.namespace' [Deployment]" "health check"
assert_fails "policy without a rule" "$eddy" create image policy xx --image-ref r --export
assert_contains "$OUT" "a policy must be provided with either --select-semver or --select-alpha" "image policy rule"
# flux's --reflect-digest; --interval goes with Always (the CRD wants it then, and only then).
out=$("$eddy" create image policy xx --image-ref r --select-semver '>=1' --reflect-digest Always \
    --interval 5m --export)
assert_contains "$out" "  digestReflectionPolicy: Always" "--reflect-digest"
assert_contains "$out" "  interval: 5m0s" "--interval with Always"
assert_fails "--interval without Always" "$eddy" create image policy xx --image-ref r \
    --select-semver '>=1' --reflect-digest IfNotPresent --interval 5m --export
assert_contains "$OUT" "the --interval flag can only be used with the 'Always' digest reflection policy" \
    "flux's message"
assert_fails "a bad --reflect-digest" "$eddy" create image policy xx --image-ref r --select-semver 1 \
    --reflect-digest always --export
assert_contains "$OUT" "invalid value for --reflect-digest, must be one of 'Never', 'IfNotPresent', 'Always'" "--reflect-digest values"
# flux create's name check (RFC 1123, two characters at least), --export included.
for bad in Bad_Name lead- x "$(printf 'a%.0s' $(seq 64))"; do
    assert_fails "create ks '$bad'" "$eddy" create kustomization "$bad" --source s --export
    assert_contains "$OUT" "name '$bad' is invalid, it should adhere to standard defined in RFC 1123" \
        "invalid name '$bad'"
done
# Every generated object is valid for the API server (server-side dry run).
crds=(gitrepositories.source.toolkit.fluxcd.io kustomizations.kustomize.toolkit.fluxcd.io
    imagerepositories.image.toolkit.fluxcd.io imagepolicies.image.toolkit.fluxcd.io
    imageupdateautomations.image.toolkit.fluxcd.io ocirepositories.source.toolkit.fluxcd.io)
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=5s "${crds[@]/#/crd/}"
kubectl create namespace flux-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
{
    "$eddy" create source git podinfo --url https://github.com/stefanprodan/podinfo --tag 6.7.0 --export
    "$eddy" create source oci podinfo --url oci://ghcr.io/stefanprodan/manifests/podinfo \
        --tag-semver '>=6.0.0' --secret-ref ghcr --ignore-paths '*.md' --export
    "$eddy" create kustomization podinfo --source podinfo --path ./kustomize --prune --export
    "$eddy" create image repository podinfo --image ghcr.io/stefanprodan/podinfo --export
    "$eddy" create image policy podinfo --image-ref podinfo --select-alpha desc --export
    "$eddy" create image policy always --image-ref podinfo --select-alpha desc \
        --reflect-digest Always --export
    "$eddy" create image update podinfo --git-repo-ref fleet --checkout-branch main \
        --author-name bot --author-email a@b.c --export
} >"$scratch/exported.yaml"
assert_ok "generated objects pass the API server's validation" \
    kubectl apply --server-side --dry-run=server -f "$scratch/exported.yaml"

step "check --pre: the version, as flux checks it (flux_oracle_cli compares the lines)"
out=$("$eddy" check --pre 2>&1)
assert_match "✔ Kubernetes 1\.[0-9]+\.[0-9]+ >=1\.33\.0-0" "$out" "version"
assert_contains "$out" "✔ prerequisites checks passed" "passed"
# any authenticated user may read the version: as flux's, the check asks for no permission
out=$("$eddy" check --pre --kubeconfig "$EDDY_USER_KUBECONFIG" 2>&1) ||
    fail "check --pre as a user without permissions: $out"
assert_not_contains "$out" "permission" "no permission lines"

step "install: the embedded manifests applied and the Deployment ready"
kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
out=$("$eddy" install -n "$ns" --components-extra image-reflector-controller,image-automation-controller --timeout 2m 2>&1)
assert_contains "$out" "► installing components in $ns namespace" "install"
assert_contains "$out" "Namespace/$ns created" "namespace"
assert_match "CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io (created|configured|unchanged)" "$out" "CRD"
assert_contains "$out" "Deployment/$ns/eddy created" "Deployment"
assert_contains "$out" "Service/$ns/source-controller created" "Service"
assert_contains "$out" "ClusterRoleBinding/cluster-reconciler-$ns created" "binding"
assert_contains "$out" "NetworkPolicy/$ns/allow-egress created" "network policy"
assert_contains "$out" "✔ eddy: deployment ready" "rolled out"
assert_contains "$out" "✔ install finished" "finished"
assert_eq "eddy" "$(kubectl -n "$ns" get deploy eddy -o 'jsonpath={.spec.template.spec.serviceAccountName}')" "service account"
assert_match "^ghcr.io/eddy-gitops/eddy:v" "$(kubectl -n "$ns" get deploy eddy -o 'jsonpath={.spec.template.spec.containers[0].image}')" "image"
assert_contains "$(kubectl -n "$ns" get deploy eddy -o 'jsonpath={.metadata.managedFields[*].manager}')" "flux" "field manager"
assert_eq "$ns" "$(kubectl get clusterrolebinding "crd-controller-$ns" -o 'jsonpath={.subjects[0].namespace}')" "subject namespace"
out=$("$eddy" install -n "$ns" --components-extra image-reflector-controller,image-automation-controller 2>&1)
assert_contains "$out" "Deployment/$ns/eddy unchanged" "second install changes nothing"
out=$("$eddy" version -n "$ns")
assert_match "^eddy: v[0-9]" "$out" "client version"
assert_match "agent: v[0-9][^ ]* \(Deployment $ns/eddy\)" "$out" "agent version"
assert_contains "$out" "distribution: flux-v$(cat "$EDDY_ROOT/VERSION")" "flux version's distribution: the CRD's labels"
assert_eq 1 "$("$eddy" version --client -n "$ns" | wc -l)" "version --client"
# -o json, as flux version: a JSON object, keys sorted.
out=$("$eddy" version -n "$ns" -o json)
assert_eq "$("$eddy" version --client | sed 's/^eddy: //')" "$(jq -r .eddy <<<"$out")" "version -o json: eddy"
assert_match "^v[0-9]" "$(jq -r .agent <<<"$out")" "version -o json: agent"
assert_eq '["agent","distribution","eddy"]' "$(jq -c keys_unsorted <<<"$out")" "version -o json: keys sorted"
assert_eq "flux-v$(cat "$EDDY_ROOT/VERSION")" "$(jq -r .distribution <<<"$out")" "version -o json: distribution"
assert_fails "version -o xml" "$eddy" version -o xml
assert_contains "$OUT" "--output must be json or yaml, not xml" "flux's message"
out=$("$eddy" install --export --registry registry.example.com/mirror --image-pull-secret regcred)
assert_contains "$out" "image: registry.example.com/mirror/eddy:v" "--registry"
assert_contains "$out" "imagePullSecrets:
      - name: regcred" "--image-pull-secret"
assert_eq 2 "$("$eddy" install --export | grep -c '^kind: NetworkPolicy')" "network policies by default"
assert_eq 0 "$("$eddy" install --export --network-policy=false | grep -c '^kind: NetworkPolicy')" \
    "--network-policy=false"
out=$("$eddy" install --export --log-level debug --watch-all-namespaces=false)
assert_contains "$out" "- --log-level=debug" "--log-level"
assert_contains "$out" "- --watch-all-namespaces=false" "--watch-all-namespaces"
assert_contains "$out" "        - controller" "the verb stays first"
assert_fails "bad log level" "$eddy" install --export --log-level loud
assert_contains "$OUT" "debug, info or error" "--log-level values"
assert_fails "unknown component" "$eddy" install --components source-controller,frob-controller --export
assert_contains "$OUT" 'component frob-controller is not available' "component"
assert_eq 6 "$("$eddy" install --export | grep -c '^kind: CustomResourceDefinition')" "default: every component, six CRDs"
assert_eq 3 "$("$eddy" install --export --components source-controller,kustomize-controller \
    | grep -c '^kind: CustomResourceDefinition')" "--components: three CRDs (two of source-controller)"
assert_eq 4 "$("$eddy" install --export --components source-controller,kustomize-controller \
    --components-extra image-automation-controller | grep -c '^kind: CustomResourceDefinition')" \
    "--components-extra adds"
out=$("$eddy" install --export --components source-controller,helm-controller 2>&1 >/dev/null)
assert_contains "$out" "helm-controller is not served by eddy: left out" "a Flux component eddy lacks"
# The exported manifests are what install applied: the same objects, and valid.
"$eddy" install --export -n "$ns" >"$scratch/install.yaml"
assert_ok "install --export is valid" kubectl apply --server-side --field-manager flux --dry-run=server -f "$scratch/install.yaml"
for f in "$EDDY_ROOT"/deploy/crds/*.yaml; do
    name=$(sed -n 's/^  name: //p' "$f" | sed -n 1p)
    assert_contains "$("$eddy" install --export --components-extra image-reflector-controller,image-automation-controller)" \
        "name: $name" "embedded $f"
done

step "check: no agent yet, then the agent leads"
assert_fails "check without an agent" "$eddy" check -n "$ns"
assert_contains "$OUT" "✗ no agent" "no agent"
port=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace "$ns" --leader-election-lease-duration 4s \
    --leader-election-renew-deadline 3s --leader-election-retry-period 500ms \
    --storage-path "$scratch/storage" --storage-addr "127.0.0.1:$port" \
    --storage-adv-addr "127.0.0.1:$port" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$(free_port)"
retry 30 "$eddy" check -n "$ns"
out=$("$eddy" check -n "$ns" 2>&1)
assert_match "✔ agent .* leads \(Lease $ns/eddy-leader-election renewed [0-9]+s ago\)" "$out" "lease"
assert_contains "$out" "✔ kustomizations.kustomize.toolkit.fluxcd.io/v1" "CRD established"
assert_contains "$out" "✔ eddy: deployment ready" "the installed Deployment"
assert_contains "$out" "✔ all checks passed" "check"
# flux check's version lines: the installed CRD's labels, not applied by a Kustomization
assert_contains "$out" "► checking version in cluster
✔ distribution: flux-v$(cat "$EDDY_ROOT/VERSION")
✔ bootstrapped: false
► checking the agent" "the distribution and bootstrapped, as flux check says them"
# flux check's --components/--components-extra: only those CRDs; --poll-interval taken.
out=$("$eddy" check -n "$ns" --components source-controller --components-extra helm-controller \
    --poll-interval 2s 2>&1)
assert_contains "$out" "✔ gitrepositories.source.toolkit.fluxcd.io/v1" "--components: its CRD"
assert_not_contains "$out" "kustomizations.kustomize.toolkit.fluxcd.io" "--components: only its CRDs"
assert_contains "$out" "helm-controller is not served by eddy" "a Flux component eddy does not serve"
assert_fails "check --components bogus" "$eddy" check -n "$ns" --components bogus

step "a repository"
new_repo cli
git clone -q "$(git_http_url cli)" "$work" 2>/dev/null
mkdir -p "$work/deploy"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\ndata: {color: blue}\n' "$apps" >"$work/deploy/settings.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: more, namespace: %s}\ndata: {size: big}\n' "$apps" >"$work/deploy/more.yaml"
(cd "$work" && git add -A && git commit -qm first && git push -q origin HEAD:main)
rev() { echo "main@sha1:$(git -C "$work" rev-parse HEAD)"; }
new_namespace "$apps"

step "create kustomization, then its source with credentials: both Ready"
# The Kustomization first, as bootstrap does: it waits until its source has an artifact.
bg_start create-ks "$eddy" create kustomization cli -n "$ns" --source cli --path ./deploy --prune \
    --interval 10m --timeout 1m
out=$("$eddy" create source git cli -n "$ns" --url "$EDDY_GIT_HTTP_URL/cli.git" --branch main \
    -u "$EDDY_GIT_HTTP_USER" -p "$EDDY_GIT_HTTP_PASSWORD" --interval 10m --label team=a --timeout 1m 2>&1)
assert_contains "$out" "✚ generating GitRepository source" "generating"
assert_contains "$out" "✔ authentication configured" "secret"
assert_contains "$out" "✔ GitRepository source created" "created"
assert_contains "$out" "✔ GitRepository source reconciliation completed" "flux create's line"
assert_contains "$out" "✔ fetched revision: $(rev)" "fetched, in flux create's words"
assert_not_contains "$out" "$EDDY_GIT_HTTP_PASSWORD" "the password is not printed"
assert_eq "$EDDY_GIT_HTTP_USER" "$(kubectl -n "$ns" get secret cli -o 'jsonpath={.data.username}' | base64 -d)" "secret username"
assert_eq cli "$(kubectl -n "$ns" get gitrepository cli -o 'jsonpath={.spec.secretRef.name}')" "secretRef"
assert_contains "$(kubectl -n "$ns" get gitrepository cli -o 'jsonpath={.metadata.managedFields[*].manager}')" "flux" "manager"
out=$("$eddy" create source git cli-ssh -n "$ns" --url "$(git_ssh_url cli)" --branch main \
    --private-key-file "$EDDY_GIT_SSH_KEY" --known-hosts-file "$EDDY_GIT_SSH_KNOWN_HOSTS" --timeout 1m 2>&1)
assert_contains "$out" "✔ fetched revision: $(rev)" "over SSH with a key and known_hosts"
assert_not_contains "$out" "PRIVATE KEY" "the key is not printed"
assert_eq "$(cat "$EDDY_GIT_SSH_KNOWN_HOSTS")" \
    "$(kubectl -n "$ns" get secret cli-ssh -o 'jsonpath={.data.known_hosts}' | base64 -d)" "known_hosts"
kubectl -n "$ns" delete gitrepository cli-ssh >/dev/null
retry 60 grep -q "applied revision" "$scratch/create-ks.log"
out=$(cat "$scratch/create-ks.log")
assert_contains "$out" "✚ generating Kustomization" "generating"
assert_contains "$out" "✔ Kustomization created" "created"
assert_contains "$out" "◎ waiting for Kustomization reconciliation" "waiting"
assert_contains "$out" "✔ Kustomization cli is ready" "flux create's line"
assert_contains "$out" "✔ applied revision $(rev)" "applied"
assert_eq blue "$(kubectl -n "$apps" get configmap settings -o 'jsonpath={.data.color}')" "applied"
out=$("$eddy" create kustomization cli -n "$ns" --source cli --path ./deploy --prune \
    --interval 20m --timeout 1m 2>&1)
assert_contains "$out" "✔ Kustomization updated" "a second create updates"
assert_contains "$out" "✔ applied revision $(rev)" "and waits for the new generation"
assert_eq 20m0s "$(kubectl -n "$ns" get kustomization cli -o 'jsonpath={.spec.interval}')" "updated interval"
# A broken one: reconcile reports the failure.
"$eddy" create kustomization broken -n "$ns" --source cli --path ./missing --timeout 2s >/dev/null 2>&1 || true
assert_fails "reconcile of a broken Kustomization" "$eddy" reconcile ks broken -n "$ns" --timeout 1m
assert_contains "$OUT" "✗ Kustomization reconciliation failed:" "failure reported"
assert_contains "$OUT" "missing" "names the path"

step "get: tables, -A, --no-header, --status-selector, -l, get all"
out=$("$eddy" -n "$ns" --verbose get sources git 2>&1)
assert_contains "$out" "► using context" "--verbose, global flags before the verb"
assert_not_contains "$out" $'\033' "no colour into a pipe"
# flux's tables cut a commit to 8 digits, in REVISION and MESSAGE alike.
r=$(rev)
short=${r:0:18}
out=$("$eddy" get sources git -n "$ns")
assert_match "^NAME[[:space:]]+REVISION[[:space:]]+SUSPENDED[[:space:]]+READY[[:space:]]+MESSAGE" "$out" "header"
assert_match "cli[[:space:]]+$short[[:space:]]+False[[:space:]]+True[[:space:]]+stored artifact for revision '$short'" "$out" "row"
assert_not_contains "$out" "$r" "no full commit in the table"
out=$("$eddy" get kustomizations -A)
assert_match "^NAMESPACE[[:space:]]+NAME" "$out" "NAMESPACE with -A"
assert_match "$ns[[:space:]]+cli[[:space:]]+$short[[:space:]]+False[[:space:]]+True[[:space:]]+Applied revision: $short" "$out" "-A row"
out=$("$eddy" get ks -n "$ns" --no-header)
assert_not_contains "$out" "NAME" "--no-header"
assert_eq 2 "$(wc -l <<<"$out")" "two Kustomizations"
out=$("$eddy" get ks -n "$ns" --status-selector ready=false --no-header)
assert_match "^broken[[:space:]]" "$out" "ready=false"
assert_not_contains "$(awk '{print $1}' <<<"$out")" "cli" "ready=false leaves out the ready one"
assert_match "^cli[[:space:]]" "$("$eddy" get ks -n "$ns" --status-selector Ready=True --no-header)" "Ready=True"
# A selector that keeps nothing leaves the header (flux: exit 0), nothing with --no-header.
out=$("$eddy" get ks -n "$ns" --status-selector ready=unknown 2>&1)
assert_match "^NAME[[:space:]]+REVISION[[:space:]]+SUSPENDED[[:space:]]+READY[[:space:]]+MESSAGE $" "$out" "no row kept: the header"
assert_eq "" "$("$eddy" get ks -n "$ns" --status-selector ready=unknown --no-header 2>&1)" "no row kept, --no-header"
# A selector flux cannot read is refused where there are objects (flux's words), TYPE!=STATUS
# keeps the others.
assert_fails "bad status selector" "$eddy" get ks -n "$ns" --status-selector ready
assert_contains "$OUT" "expected status selector in type=status or type!=status format, but found: ready" \
    "status selector without ="
assert_eq "broken" "$("$eddy" get ks -n "$ns" --status-selector ready!=true --no-header | awk '{print $1}')" \
    "ready!=true"
assert_eq "cli" "$("$eddy" get sources git -n "$ns" -l team=a --no-header | awk '{print $1}')" "-l team=a"
# Nothing listed fails, as flux get since 2.6 (exit 1), with flux's message.
assert_fails "-l team=b lists nothing" "$eddy" get sources git -n "$ns" -l team=b
assert_contains "$OUT" "✗ no GitRepository objects found in \"$ns\" namespace" "-l team=b"
assert_fails "an empty namespace" "$eddy" get ks -A -l team=nobody
assert_contains "$OUT" "✗ no Kustomization objects found in any namespace" "-A: any namespace"
out=$("$eddy" get ks cli -n "$ns" --no-header)
assert_match "^cli[[:space:]]" "$out" "get by name"
assert_fails "get a missing object" "$eddy" get ks nope -n "$ns"
assert_contains "$OUT" "Kustomization object 'nope' not found in \"$ns\" namespace" "missing"
# An object no controller has reported on yet: flux's "waiting to be reconciled".
kubectl apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: unseen, namespace: $apps}
spec: {interval: 10m, prune: false, sourceRef: {kind: GitRepository, name: nowhere}, suspend: true}
YAML
assert_match "^unseen[[:space:]]+True[[:space:]]+False[[:space:]]+waiting to be reconciled[[:space:]]*$" \
    "$("$eddy" get ks -n "$apps" --no-header)" "no Ready condition"
kubectl -n "$apps" delete kustomization unseen >/dev/null
# get all: flux's order (sources, image kinds, Kustomizations), a blank line after each table.
out=$("$eddy" get all -n "$ns")
assert_match "gitrepository/cli[[:space:]]+$short" "$out" "get all: source"
assert_match "kustomization/cli[[:space:]]+$short" "$out" "get all: kustomization"
assert_eq "" "$("$eddy" get all -n "$ns" | tail -1)" "get all ends with a blank line"
# The whole table, exactly (golden), as flux's tablewriter: cells padded to the widest, a tab
# after each, but a space after the header's last.
w=${#short}
# (the path as Flux quotes it: where the agent unpacked the artifact, then ./missing)
broken_msg=$(kubectl -n "$ns" get kustomization broken -o 'jsonpath={.status.conditions[?(@.type=="Ready")].message}')
assert_match "^kustomization path not found: stat /.*/missing: no such file or directory$" \
    "$broken_msg" "broken's message"
m=$((${#short} + 18 > ${#broken_msg} ? ${#short} + 18 : ${#broken_msg}))
expected=$(printf "%-6s\t%-${w}s\t%-9s\t%-5s\t%-${m}s \n" NAME REVISION SUSPENDED READY MESSAGE
    printf "%-6s\t%-${w}s\t%-9s\t%-5s\t%-${m}s\t\n" broken "" False False \
        "$broken_msg" cli "$short" False True "Applied revision: $short")
assert_eq "$expected" "$("$eddy" get kustomizations -n "$ns")" "get kustomizations, golden"
out=$("$eddy" stats -n "$ns")
assert_match "^RECONCILERS[[:space:]]+RUNNING[[:space:]]+FAILING[[:space:]]+SUSPENDED[[:space:]]+STORAGE" "$out" "stats header"
assert_match "GitRepository[[:space:]]+[12][[:space:]]+0[[:space:]]+0[[:space:]]+[0-9.]+ (B|KiB|MiB)" "$out" "stats: sources and storage"
# As flux stats: RUNNING counts every object not suspended, the failing one too.
assert_match "Kustomization[[:space:]]+2[[:space:]]+1[[:space:]]+0[[:space:]]+-" "$out" "stats: two running, one of them failing"
assert_eq "GitRepository OCIRepository HelmRepository HelmChart Bucket Kustomization HelmRelease Alert Provider Receiver ImageUpdateAutomation ImagePolicy ImageRepository" \
    "$(awk 'NR>1{printf "%s%s", sep, $1; sep=" "}' <<<"$out")" "stats: flux's order of the kinds"
# Columns line up: every row has its REVISION at the same offset as the header.
out=$("$eddy" get ks -n "$ns")
hdr=$(sed -n 1p <<<"$out")
row=$(grep '^cli' <<<"$out")
assert_eq "$(awk -v s="$hdr" 'BEGIN{print index(s,"REVISION")}')" \
    "$(awk -v s="$row" -v r="$short" 'BEGIN{print index(s,r)}')" "aligned columns"

step "get --watch prints a row for each change"
bg_start watch "$eddy" get ks cli -n "$ns" --watch --timeout 20s
retry 10 grep -q "^cli" "$scratch/watch.log"
assert_contains "$("$eddy" suspend kustomization cli -n "$ns" 2>&1)" "✔ kustomization suspended" "suspend"
retry 10 grep -qE "^cli[[:space:]]+main@sha1:[0-9a-f]+[[:space:]]+True" "$scratch/watch.log"
assert_match "^NAME[[:space:]]+REVISION" "$(head -1 "$scratch/watch.log")" "watch header"
# As flux: the header is one table with the first row, aligned to it (the NAME column as wide as
# "NAME" here); later rows are tables of their own, without the header.
assert_eq "$(awk -v s="$(sed -n 1p "$scratch/watch.log")" 'BEGIN{print index(s,"REVISION")}')" \
    "$(awk -v s="$(sed -n 2p "$scratch/watch.log")" 'BEGIN{print index(s,"main@sha1:")}')" \
    "watch header aligned to the first row"
assert_eq 1 "$(grep -c '^NAME' "$scratch/watch.log")" "the header once"
assert_fails "get images all --watch" "$eddy" get images all --watch -n "$ns"
assert_contains "$OUT" "expected a single resource type, but found all" "flux's refusal"
bg_stop watch
assert_match "^cli[[:space:]]+$short[[:space:]]+True" "$("$eddy" get ks cli -n "$ns" --no-header)" "SUSPENDED True"
assert_fails "reconcile while suspended" "$eddy" reconcile ks cli -n "$ns"
assert_contains "$OUT" "✗ resource is suspended" "suspended"
# As flux: --with-source checks the Kustomization first and leaves its source alone.
assert_fails "reconcile --with-source while suspended" "$eddy" reconcile ks cli -n "$ns" --with-source
assert_contains "$OUT" "✗ resource is suspended" "suspended, --with-source"
assert_not_contains "$OUT" "annotating GitRepository" "the source is not reconciled"
out=$("$eddy" resume kustomization cli -n "$ns" 2>&1)
assert_contains "$out" "► resuming kustomization cli in $ns namespace" "resuming"
assert_contains "$out" "◎ waiting for Kustomization reconciliation" "waits"
assert_contains "$out" "✔ applied revision $(rev)" "resumed and applied"
# Several names (each once), a missing one said and the others done; --reason, as flux.
# flux says the missing name and exits 0: the state asked for holds for every object there is.
OUT=$("$eddy" suspend ks cli broken nope cli -n "$ns" -r "db migration" 2>&1) ||
    fail "suspend several, one missing: exit 0 expected: $OUT"
assert_contains "$OUT" "► suspending kustomization broken in $ns namespace" "the second name"
assert_contains "$OUT" "✗ Kustomization nope not found in $ns namespace" "the missing one, in flux's words"
assert_eq 1 "$(grep -c "suspending kustomization cli " <<<"$OUT")" "a name given twice is done once"
for ks in cli broken; do
    assert_eq true "$(kubectl -n "$ns" get kustomization $ks -o 'jsonpath={.spec.suspend}')" "$ks suspended"
    assert_eq "db migration" "$(kubectl -n "$ns" get kustomization $ks \
        -o 'jsonpath={.metadata.annotations.suspend\.toolkit\.fluxcd\.io/reason}')" "$ks: --reason"
done
out=$("$eddy" resume ks cli broken -n "$ns" 2>&1)
assert_contains "$out" "► resuming kustomization broken in $ns namespace" "resume several"
assert_not_contains "$out" "waiting" "several names: no wait without --wait"
assert_eq false "$(kubectl -n "$ns" get kustomization broken -o 'jsonpath={.spec.suspend}')" "broken resumed"
out=$("$eddy" resume ks cli -n "$ns" --timeout 1m 2>&1)
assert_contains "$out" "✔ applied revision $(rev)" "one name: resume waits"

step "tree: the inventory"
out=$("$eddy" tree kustomization cli -n "$ns")
assert_eq "Kustomization/$ns/cli
├── ConfigMap/$apps/more
└── ConfigMap/$apps/settings" "$out" "tree"
assert_eq "Kustomization/$ns/cli" "$("$eddy" tree ks cli -n "$ns" --compact)" "tree --compact"
# -o json|yaml: flux's structure (resource: Namespace, Name, GroupKind; resources: children).
out=$("$eddy" tree ks cli -n "$ns" -o json)
assert_eq "$ns/cli/kustomize.toolkit.fluxcd.io/Kustomization $apps/more//ConfigMap $apps/settings//ConfigMap" \
    "$(jq -r '[.resource, .resources[].resource] | map("\(.Namespace)/\(.Name)/\(.GroupKind.Group)/\(.GroupKind.Kind)") | join(" ")' <<<"$out")" \
    "tree -o json"
assert_contains "$out" '{
  "resource": {
    "Namespace": "'"$ns"'",
    "Name": "cli",' "tree -o json: indented as flux's MarshalIndent"
out=$("$eddy" tree ks cli -n "$ns" -o yaml --compact)
assert_eq "resource:
  GroupKind:
    Group: kustomize.toolkit.fluxcd.io
    Kind: Kustomization
  Name: cli
  Namespace: $ns" "$out" "tree -o yaml --compact"
# flux's tree prints the text tree for any other -o (its switch's default case).
assert_eq "$("$eddy" tree ks cli -n "$ns")" "$("$eddy" tree ks cli -n "$ns" -o xml)" "tree -o xml: the text tree"
assert_fails "tree of a missing Kustomization" "$eddy" tree ks nope -n "$ns"
assert_contains "$OUT" "not found" "tree missing"

step "events of Flux objects"
out=$("$eddy" events -n "$ns" --for Kustomization/cli)
assert_match "^LAST SEEN[[:space:]]+TYPE[[:space:]]+REASON[[:space:]]+OBJECT[[:space:]]+MESSAGE" "$out" "events header"
assert_match "Normal[[:space:]]+ReconciliationSucceeded[[:space:]]+Kustomization/cli" "$out" "event row"
assert_not_contains "$out" "Kustomization/broken" "--for one object"
assert_match "Normal[[:space:]]+NewArtifact[[:space:]]+GitRepository/cli" "$out" \
    "--for a Kustomization shows its source's events too, as flux"
assert_fails "--for a missing Kustomization" "$eddy" events -n "$ns" --for Kustomization/nope
assert_contains "$OUT" 'kustomizations.kustomize.toolkit.fluxcd.io "nope" not found' "the object is looked up"
out=$("$eddy" events -A --types Warning)
assert_match "$ns[[:space:]]+[0-9a-z]+( \(x[0-9]+ over [0-9a-z]+\))?[[:space:]]+Warning[[:space:]]+[A-Za-z]+[[:space:]]+Kustomization/broken" \
    "$out" "warnings of all namespaces (a repeated one: flux's '(xN over AGE)')"
assert_not_contains "$out" "Normal" "--types Warning"
# --watch: the events so far at once, then new ones as they come (checked after the next commit).
# --for the Kustomization: its GitRepository's events come too, from a second watch.
bg_start events "$eddy" events -n "$ns" --for Kustomization/cli --watch --timeout 120s
retry 10 grep -q "NewArtifact[[:space:]]*GitRepository/cli" "$scratch/events.log"
# No events: flux's line on stderr, nothing on stdout, exit 0.
assert_eq "" "$("$eddy" events -n "$ns-none" 2>/dev/null)" "no events: stdout empty"
assert_eq "✗ No events found in $ns-none namespace." "$("$eddy" events -n "$ns-none" 2>&1)" "no events: flux's line"
assert_fails "bad --for" "$eddy" events --for Pod/x
assert_contains "$OUT" "'Pod' is not a recognized Flux kind" "--for"
# as flux: "Kind/" is every object of the kind
out=$("$eddy" events -n "$ns" --for Kustomization/)
assert_contains "$out" "Kustomization/cli" "--for Kustomization/: this one"
assert_contains "$out" "Kustomization/broken" "--for Kustomization/: and the other"
assert_not_contains "$out" "GitRepository/" "--for Kustomization/: no source"
assert_fails "bad --types" "$eddy" events --types Info
assert_contains "$OUT" "type 'Info' not supported. Supported types are Normal, Warning" "--types"

step "export: objects without status, re-appliable"
out=$("$eddy" export source git --all -n "$ns")
assert_contains "$out" "---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  labels:
    team: a
  name: cli
  namespace: $ns
spec:" "export"
assert_not_contains "$out" "status:" "no status"
assert_not_contains "$out" "resourceVersion" "no server fields"
assert_not_contains "$out" "managedFields" "no managed fields"
out=$("$eddy" export source git cli -n "$ns" --with-credentials)
assert_match "^---
apiVersion: v1
data:
  password: [A-Za-z0-9+/=]+
  username: [A-Za-z0-9+/=]+
kind: Secret
metadata:
  name: cli
  namespace: $ns
type: Opaque
---
apiVersion: source.toolkit.fluxcd.io/v1" "$out" "--with-credentials: the Secret first"
# As flux prints its Go structs: durations as Go formats them (the API server's default
# timeout 60s), false booleans left out, but a Kustomization's prune.
assert_contains "$out" "  timeout: 1m0s" "export: Go's durations"
out=$("$eddy" export ks --all -n "$ns")
assert_not_contains "$out" "suspend: false" "export: no false booleans (resumed)"
assert_not_contains "$out" "force: false" "export: no false booleans (the CRD's default)"
assert_contains "$out" "  prune: false" "export: prune: false kept"
assert_contains "$out" "  prune: true" "export: prune: true"
"$eddy" export ks cli -n "$ns" >"$scratch/ks.yaml"
assert_ok "export re-applies" kubectl apply --server-side --dry-run=server -f "$scratch/ks.yaml"
assert_fails "export a missing object" "$eddy" export ks nope -n "$ns"
assert_contains "$OUT" '"nope" not found' "the API server's words, as flux"
assert_fails "export --all of an empty namespace" "$eddy" export ks --all -n "$apps"
assert_contains "$OUT" "no objects found in $apps namespace" "flux's message"
assert_fails "export without a name" "$eddy" export ks -n "$ns"
assert_contains "$OUT" "name is required" "flux's message"

step "reconcile: source git, kustomization --with-source"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\ndata: {color: green}\n' "$apps" >"$work/deploy/settings.yaml"
rm "$work/deploy/more.yaml"
(cd "$work" && git add -A && git commit -qm second && git push -q origin HEAD:main)
out=$("$eddy" reconcile source git cli -n "$ns" 2>&1)
assert_contains "$out" "► annotating GitRepository cli in $ns namespace" "annotating"
assert_contains "$out" "✔ fetched revision $(rev)" "fetched the new commit"
retry 10 grep -q "stored artifact for commit 'second'" "$scratch/events.log"
bg_stop events
assert_match "^LAST SEEN[[:space:]]+TYPE" "$(head -1 "$scratch/events.log")" "events --watch: flux's header first"
assert_eq 1 "$(grep -c '^LAST SEEN' "$scratch/events.log")" "events --watch: the header once"
out=$("$eddy" reconcile kustomization cli -n "$ns" --with-source 2>&1)
assert_contains "$out" "✔ applied revision $(rev)" "applied the new commit"
assert_eq green "$(kubectl -n "$apps" get configmap settings -o 'jsonpath={.data.color}')" "applied"
assert_eq "Kustomization/$ns/cli
└── ConfigMap/$apps/settings" "$("$eddy" tree ks cli -n "$ns")" "tree after prune"

step "trace: from an object to its Kustomization and source"
out=$("$eddy" trace configmap/settings -n "$apps")
assert_contains "$out" "Object:          ConfigMap/settings
Namespace:       $apps
Status:          Managed by Flux
---
Kustomization:   cli
Namespace:       $ns
Path:            ./deploy
Revision:        $(rev)" "trace: the Kustomization (flux's template, tests/e2e/flux_oracle_cli_test.sh)"
assert_contains "$out" "---
GitRepository:   cli
Namespace:       $ns
URL:             $EDDY_GIT_HTTP_URL/cli.git
Branch:          main
Revision:        $(rev)
Status:          Last reconciled at" "trace: the source"
assert_eq "$out" "$("$eddy" trace settings --kind ConfigMap --api-version v1 -n "$apps")" "NAME --kind"
assert_eq "$out" "$("$eddy" trace configmap settings -n "$apps")" "flux's KIND NAME"
assert_eq "$out" "$("$eddy" trace cm/settings -n "$apps")" "kubectl's short name"
assert_eq "$out" "$("$eddy" trace configmaps settings -n "$apps")" "a plural"
kubectl -n "$apps" create configmap by-hand >/dev/null
assert_fails "trace an object nobody applied" "$eddy" trace configmap/by-hand -n "$apps"
assert_contains "$OUT" "not managed by a Kustomization" "not managed"
assert_fails "trace an unknown kind" "$eddy" trace widget/x -n "$apps"
assert_contains "$OUT" "give --api-version" "unknown kind"

step "build and diff a local directory against the cluster"
out=$("$eddy" build kustomization cli -n "$ns" --path "$work/deploy")
assert_contains "$out" "kustomize.toolkit.fluxcd.io/name: cli" "owner labels"
assert_contains "$out" "color: green" "rendered"
assert_eq "$out" "$("$eddy" build ks cli -n "$ns" --path "$work/deploy" --dry-run --kubeconfig /nonexistent)" \
    "--dry-run needs no cluster"
assert_fails "build of a missing Kustomization" "$eddy" build ks nope -n "$ns" --path "$work/deploy"
assert_contains "$OUT" "Kustomization $ns/nope not found" "build needs the Kustomization"
assert_eq "" "$(git -C "$work" status --porcelain)" "build writes nothing into the directory"
# The render is the controller's: the Kustomization's spec shapes it (suspended: the agent
# leaves it alone).
kubectl apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shaped, namespace: $ns}
spec:
  suspend: true
  interval: 10m
  path: ./
  prune: false
  sourceRef: {kind: GitRepository, name: cli}
  targetNamespace: shaped-ns
  namePrefix: p-
  postBuild: {substitute: {color: purple}}
YAML
mkdir -p "$scratch/shape"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: paint}\ndata: {color: "${color}"}\n' >"$scratch/shape/paint.yaml"
out=$("$eddy" build kustomization shaped -n "$ns" --path "$scratch/shape")
assert_contains "$out" "name: p-paint" "namePrefix"
assert_contains "$out" "namespace: shaped-ns" "targetNamespace"
assert_contains "$out" "color: purple" "postBuild substitution"
kubectl -n "$ns" get kustomization shaped -o yaml >"$scratch/shaped.yaml"
assert_eq "$out" "$("$eddy" build ks shaped -n "$ns" --path "$scratch/shape" --dry-run \
    --kustomization-file "$scratch/shaped.yaml" --kubeconfig /nonexistent)" \
    "--kustomization-file --dry-run: the same render without the cluster"
assert_fails "a file without it" "$eddy" build ks nope -n "$ns" --path "$scratch/shape" --dry-run \
    --kustomization-file "$work/deploy/settings.yaml"
assert_contains "$OUT" "no Kustomization named nope" "--kustomization-file names what is missing"
# ../ references resolve as in the repository: the whole work tree is rendered from.
mkdir -p "$work/base" "$work/overlay"
printf 'resources:\n- cm.yaml\n' >"$work/base/kustomization.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: based}\n' >"$work/base/cm.yaml"
printf 'resources:\n- ../base\nnamePrefix: o-\n' >"$work/overlay/kustomization.yaml"
assert_contains "$("$eddy" build ks cli -n "$ns" --path "$work/overlay")" "name: o-based" "../base"
rm -r "$work/base" "$work/overlay"
# A large monorepo: the work tree is mirrored with hard links, not copied (a 300 MiB file
# beside the path cost a copy, and failed the 256 MiB limit); the user's files stay as they are.
truncate -s 300M "$work/blob.bin"
assert_contains "$("$eddy" build ks cli -n "$ns" --path "$work/deploy")" "name: settings" "a work tree of 300 MiB"
assert_eq 1 "$(stat -c %h "$work/blob.bin")" "the link is gone with the scratch directory"
rm "$work/blob.bin"
out=$("$eddy" diff kustomization cli -n "$ns" --path "$work/deploy")
assert_eq "" "$out" "in sync: no output"
# flux's --progress-bar=false (common in CI) and --in-memory-build: taken, nothing changes.
out=$("$eddy" diff kustomization cli -n "$ns" --path "$work/deploy" --progress-bar=false --in-memory-build)
assert_eq "" "$out" "--progress-bar=false --in-memory-build: in sync, exit 0"
assert_ok "build --in-memory-build" "$eddy" build ks cli -n "$ns" --path "$work/deploy" --in-memory-build
mkdir -p "$scratch/local"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\ndata: {color: red}\n' "$apps" >"$scratch/local/settings.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: %s}\n' "$apps" >"$scratch/local/extra.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: %s}\nstringData: {token: s3cr3t}\n' "$apps" >"$scratch/local/creds.yaml"
set +e
out=$("$eddy" diff kustomization cli -n "$ns" --path "$scratch/local" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "diff exit status when something differs"
assert_contains "$out" "► ConfigMap/$apps/settings drifted

data.color
± value change
- green
+ red" "drifted field (flux's dyff report, indent 0)"
assert_contains "$out" "► ConfigMap/$apps/extra created" "new object"
assert_contains "$out" "identified at least one change" "summary"
assert_eq green "$(kubectl -n "$apps" get configmap settings -o 'jsonpath={.data.color}')" "diff changed nothing"
kubectl -n "$apps" create secret generic creds --from-literal=token=old >/dev/null
out=$("$eddy" diff kustomization cli -n "$ns" --path "$scratch/local" 2>&1 || true)
assert_contains "$out" "data.token
± value change
- *****
+ ****** (changed)" "secret values masked"
assert_not_contains "$out" "s3cr3t" "no secret in the output"
assert_not_contains "$out" "$(printf s3cr3t | base64)" "no encoded secret in the output"
rm "$scratch/local/settings.yaml"
out=$("$eddy" diff kustomization cli -n "$ns" --path "$scratch/local" 2>&1 || true)
assert_contains "$out" "► ConfigMap/$apps/settings deleted" "pruned object"
set +e
out=$("$eddy" diff kustomization future -n "$ns" --path "$work/deploy" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "diff of a Kustomization that does not exist yet"
assert_contains "$out" "► ConfigMap/$apps/settings drifted" "future: owner labels differ"
set +e
"$eddy" diff kustomization cli -n "$ns" --path "$scratch/missing" >/dev/null 2>&1
rc=$?
set -e
assert_eq 2 "$rc" "diff exit status on error"

step "tree recurses into the Kustomizations a Kustomization applies"
mkdir -p "$work/nest" "$work/nest-apps"
cat >"$work/nest/child.yaml" <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: child, namespace: $ns}
spec: {interval: 10m, path: ./nest-apps, prune: true, sourceRef: {kind: GitRepository, name: cli}}
YAML
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaf, namespace: %s}\n' "$apps" >"$work/nest-apps/leaf.yaml"
(cd "$work" && git add -A && git commit -qm nest && git push -q origin HEAD:main)
"$eddy" reconcile source git cli -n "$ns" >/dev/null
"$eddy" create kustomization nest -n "$ns" --source cli --path ./nest --interval 10m --export |
    kubectl apply -f - >/dev/null
assert_contains "$("$eddy" reconcile ks nest -n "$ns" 2>&1)" "✔ applied revision $(rev)" "parent applied"
assert_contains "$("$eddy" reconcile ks child -n "$ns" 2>&1)" "✔ applied revision $(rev)" "child applied"
assert_eq "Kustomization/$ns/nest
└── Kustomization/$ns/child
    └── ConfigMap/$apps/leaf" "$("$eddy" tree kustomization nest -n "$ns")" "nested tree"
assert_eq "Kustomization/$ns/nest
└── Kustomization/$ns/child" "$("$eddy" tree kustomization nest -n "$ns" --compact)" "nested --compact"

step "image kinds with the agent's image reconcilers: create, get, suspend, resume, reconcile"
for tag in 1.0.0 1.2.0; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" cli/web "$tag" >/dev/null
done
out=$("$eddy" create image repository web -n "$ns" --image "$EDDY_REGISTRY/cli/web" --insecure \
    --interval 10m --timeout 1m 2>&1)
assert_contains "$out" "✚ generating ImageRepository" "generating"
assert_contains "$out" "✔ ImageRepository created" "created"
assert_contains "$out" "✔ scan fetched 2 tags" "flux's result line"
assert_eq true "$(kubectl -n "$ns" get imagerepository web -o 'jsonpath={.spec.insecure}')" "--insecure"
out=$("$eddy" create image policy web -n "$ns" --image-ref web --select-semver '>=1.0.0' --timeout 1m 2>&1)
assert_contains "$out" "✔ selected image $EDDY_REGISTRY/cli/web:1.2.0" "policy result line"
# As flux reconcile image policy: the annotation, handled by the agent.
out=$("$eddy" reconcile image policy web -n "$ns" --timeout 1m 2>&1)
assert_contains "$out" "► annotating ImagePolicy web in $ns namespace" "reconcile image policy"
assert_contains "$out" "✔ selected image $EDDY_REGISTRY/cli/web:1.2.0" "reconcile image policy: result"
out=$("$eddy" get images repository -n "$ns")
assert_match "^NAME[[:space:]]+LAST SCAN[[:space:]]+SUSPENDED[[:space:]]+READY[[:space:]]+MESSAGE" "$out" "image repository header"
assert_match "web[[:space:]]+20[0-9-]+T[0-9:.]+Z[[:space:]]+False[[:space:]]+True[[:space:]]+successful scan: found 2 tags" \
    "$out" "image repository row with LAST SCAN"
out=$("$eddy" get images policy -n "$ns")
assert_match "^NAME[[:space:]]+IMAGE[[:space:]]+TAG[[:space:]]+READY[[:space:]]+MESSAGE" "$out" "image policy header"
assert_match "web[[:space:]]+$EDDY_REGISTRY/cli/web[[:space:]]+1\.2\.0[[:space:]]+True" "$out" "image policy row"
out=$("$eddy" suspend image repository --all -n "$ns" 2>&1)
assert_contains "$out" "✔ image repository suspended" "suspend --all"
assert_eq true "$(kubectl -n "$ns" get imagerepository web -o 'jsonpath={.spec.suspend}')" "spec.suspend"
out=$("$eddy" get images all -n "$ns")
assert_match "imagerepository/web[[:space:]]+[^[:space:]]+[[:space:]]+True" "$out" "get images all: suspended"
assert_match "imagepolicy/web[[:space:]]+$EDDY_REGISTRY/cli/web" "$out" "get images all: policy"
out=$("$eddy" get all -n "$ns")
assert_contains "$out" "imagerepository/web" "get all has the image kinds"
assert_match "gitrepository/cli.*imagerepository/web.*imagepolicy/web.*kustomization/cli" "$(tr '\n' ' ' <<<"$out")" \
    "get all: flux's order, the image kinds before the Kustomizations"
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" cli/web 1.3.0 >/dev/null
out=$("$eddy" resume image repository web -n "$ns" --timeout 1m 2>&1)
assert_contains "$out" "◎ waiting for ImageRepository reconciliation" "resume waits"
assert_contains "$out" "✔ scan fetched 3 tags" "resumed and rescanned"
retry 30 bash -c "[ \"\$(kubectl -n $ns get imagepolicy web -o 'jsonpath={.status.latestRef.tag}')\" = 1.3.0 ]"
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" cli/web 1.4.0 >/dev/null
out=$("$eddy" reconcile image repository web -n "$ns" --timeout 1m 2>&1)
assert_contains "$out" "► annotating ImageRepository web in $ns namespace" "annotating"
assert_contains "$out" "✔ scan fetched 4 tags" "reconcile image repository"
out=$("$eddy" suspend image policy web -n "$ns" 2>&1)
assert_contains "$out" "✔ image policy suspended" "suspend image policy"
out=$("$eddy" resume image policy web -n "$ns" --wait=false 2>&1)
assert_contains "$out" "✔ image policy resumed" "resume --wait=false"
assert_not_contains "$out" "waiting" "no wait"
out=$("$eddy" create image update auto -n "$ns" --git-repo-ref cli --checkout-branch main \
    --push-branch main --author-name Flux --author-email bot@e2e.invalid --git-repo-path ./deploy \
    --interval 10m --timeout 1m 2>&1)
assert_contains "$out" "✔ ImageUpdateAutomation created" "image update created"
assert_contains "$out" "✔ ImageUpdateAutomation reconciliation completed" "image update Ready, flux create's line"
out=$("$eddy" reconcile image update auto -n "$ns" --timeout 1m 2>&1)
assert_contains "$out" "◎ waiting for ImageUpdateAutomation reconciliation" "reconcile image update"
# flux reconcile says no "reconciliation completed" (flux resume does)
assert_not_contains "$out" "reconciliation completed" "reconcile image update: flux's lines"
assert_match "^auto[[:space:]]+20[0-9-]+T[0-9:.]+Z[[:space:]]+False[[:space:]]+True" \
    "$("$eddy" get images update -n "$ns" --no-header)" "LAST RUN column"

step "delete: confirmation, --silent"
assert_fails "delete answered no" bash -c "echo n | '$eddy' delete ks broken -n '$ns'"
assert_contains "$OUT" "Are you sure you want to delete this kustomization" "prompt"
assert_contains "$OUT" "✗ aborting" "aborting"
assert_ok "still there" kubectl -n "$ns" get kustomization broken
out=$(echo y | "$eddy" delete ks broken -n "$ns" 2>&1)
assert_contains "$out" "✔ kustomization deleted" "deleted after yes"
retry 30 bash -c "! kubectl -n $ns get kustomization broken >/dev/null 2>&1"
out=$("$eddy" delete image policy web -n "$ns" --silent 2>&1)
assert_contains "$out" "► deleting image policy web in $ns namespace" "deleting"
retry 30 bash -c "! kubectl -n $ns get imagepolicy web >/dev/null 2>&1"
assert_fails "delete a missing object" "$eddy" delete ks nope -n "$ns" -s
assert_contains "$OUT" "not found" "missing"

step "bad input: unreachable cluster, forbidden"
cat >"$scratch/unreachable.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$(free_port)", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
YAML
assert_fails "unreachable" "$eddy" get ks --kubeconfig "$scratch/unreachable.kubeconfig" --timeout 5s
assert_match "✗ .*(connect|Connection refused|Could not)" "$OUT" "unreachable cluster named"
assert_contains "$OUT" "is the cluster reachable? check --kubeconfig and --context" "what to do next"
assert_not_contains "$OUT" '"level"' "no JSON log lines from the CLI"
assert_fails "forbidden" "$eddy" get ks -n "$ns" --kubeconfig "$EDDY_USER_KUBECONFIG"
assert_contains "$OUT" "forbidden" "forbidden"
assert_contains "$OUT" "lacks this permission (RBAC)" "forbidden: what to do next"
# kubectl's connection flags, as flux has them: --as/--as-group, --token, --server.
assert_fails "--as a user without permissions" "$eddy" get ks -n "$ns" --as eddy-user
assert_contains "$OUT" 'User "eddy-user" cannot list' "--as impersonates"
assert_ok "--as with --as-group" "$eddy" get ks -n "$ns" --as eddy-user --as-group system:masters
assert_ok "--as before the verb" "$eddy" --as eddy-user --as-group system:masters get ks -n "$ns"
assert_fails "--as-group alone" "$eddy" get ks -n "$ns" --as-group system:masters
assert_fails "--token" "$eddy" get ks -n "$ns" --kubeconfig "$EDDY_USER_KUBECONFIG" --token not-a-token
assert_contains "$OUT" "Unauthorized" "--token replaces the kubeconfig's token"
assert_not_contains "$OUT" "not-a-token" "the token is not printed"
assert_fails "--server" "$eddy" get ks -n "$ns" --server "https://127.0.0.1:$(free_port)/" --timeout 5s
assert_match "https://127\.0\.0\.1:[0-9]+/apis/.*(connect|Connection refused)" "$OUT" "--server replaces the server"
# A password in the server's address is never shown (errors, --verbose).
assert_fails "--server with userinfo" "$eddy" get ks -n "$ns" --verbose --timeout 5s \
    --server "https://user:s3cr3t-pw@127.0.0.1:$(free_port)"
assert_not_contains "$OUT" "s3cr3t-pw" "the server's userinfo is not printed"
assert_contains "$OUT" "server https://127.0.0.1:" "--verbose names the server without it"
# --cluster, --user, --certificate-authority, --insecure-skip-tls-verify, --client-certificate
# and --client-key over a kubeconfig whose current context is wrong and whose entries lack the
# CA or the credentials, as kubectl's flags override them in flux.
cdir=${KUBECONFIG%/*}
server=$(kubectl config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
cat >"$scratch/multi.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- {name: bogus, cluster: {server: "https://127.0.0.1:$(free_port)"}}
- {name: noca, cluster: {server: "$server"}}
- {name: withca, cluster: {server: "$server", certificate-authority: $cdir/ca.crt}}
users:
- {name: nobody, user: {token: not-a-token}}
- {name: admin, user: {client-certificate: $cdir/admin.crt, client-key: $cdir/admin.key}}
contexts:
- {name: wrong, context: {cluster: bogus, user: nobody}}
current-context: wrong
YAML
mk=(--kubeconfig "$scratch/multi.kubeconfig")
assert_ok "--cluster and --user" "$eddy" get ks -n "$ns" "${mk[@]}" --cluster withca --user admin
assert_ok "flags before the verb" "$eddy" --cluster withca --user admin "${mk[@]}" get ks -n "$ns"
assert_fails "an unknown CA" "$eddy" get ks -n "$ns" "${mk[@]}" --cluster noca --user admin --timeout 5s
assert_contains "$OUT" "the TLS handshake failed" "a TLS failure is not called refused credentials"
assert_ok "--insecure-skip-tls-verify" "$eddy" get ks -n "$ns" "${mk[@]}" --cluster noca --user admin \
    --insecure-skip-tls-verify
assert_ok "--certificate-authority" "$eddy" get ks -n "$ns" "${mk[@]}" --cluster noca --user admin \
    --certificate-authority "$cdir/ca.crt"
assert_ok "--client-certificate and --client-key" "$eddy" get ks -n "$ns" "${mk[@]}" --cluster withca \
    --user nobody --client-certificate "$cdir/admin.crt" --client-key "$cdir/admin.key"
assert_fails "--certificate-authority with --insecure-skip-tls-verify" "$eddy" get ks "${mk[@]}" \
    --cluster withca --user admin --certificate-authority "$cdir/ca.crt" --insecure-skip-tls-verify
assert_contains "$OUT" "with the insecure flag is not allowed" "kubectl's refusal"
assert_fails "--cluster unknown" "$eddy" get ks "${mk[@]}" --cluster nope
assert_contains "$OUT" 'cluster "nope" does not exist' "unknown --cluster"
assert_fails "missing kubeconfig" "$eddy" get ks --kubeconfig "$scratch/nope.kubeconfig"
assert_contains "$OUT" "nope.kubeconfig" "names the file"
OUT=$("$eddy" suspend ks nope -n "$ns" 2>&1) || fail "suspend a missing object: exit 0 expected: $OUT"
assert_contains "$OUT" "✗ Kustomization nope not found in $ns namespace" "missing object"
assert_not_contains "$OUT" "► suspending" "checked before acting"
OUT=$("$eddy" resume ks nope -n "$ns" 2>&1) || fail "resume a missing object: exit 0 expected: $OUT"
assert_contains "$OUT" "✗ Kustomization object 'nope' not found in $ns namespace" "resume: flux's words"
assert_fails "suspend --all with nothing to suspend" "$eddy" suspend ks --all -n "$ns-none"
assert_contains "$OUT" "✗ no objects found" "suspend --all: flux's error"

step "uninstall: finalizers removed, CRDs and namespace deleted"
bg_stop ctl
assert_ne "" "$(kubectl -n "$ns" get gitrepository cli -o 'jsonpath={.metadata.finalizers}')" "a finalizer before"
assert_fails "uninstall answered no" bash -c "echo n | '$eddy' uninstall -n '$ns'"
assert_ok "CRDs still there" kubectl get crd gitrepositories.source.toolkit.fluxcd.io
out=$("$eddy" uninstall -n "$ns" --silent --dry-run 2>&1)
assert_contains "$out" "Deployment/$ns/eddy deleted (dry run)" "dry run"
assert_ok "dry run deleted nothing" kubectl -n "$ns" get deploy eddy
# as flux's, the CRDs are those labelled part-of=flux, whoever installed them: one of another
# Flux controller goes, one without the label stays
for crd in "widgets:flux" "gadgets:none"; do
    kubectl apply -f - >/dev/null <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${crd%%:*}.uninstall.example.com
  labels: {app.kubernetes.io/part-of: "${crd#*:}"}
spec:
  group: uninstall.example.com
  names: {kind: Thing${crd%%:*}, plural: ${crd%%:*}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
EOF
done
out=$("$eddy" uninstall -n "$ns" --silent --timeout 1m 2>&1)
assert_contains "$out" "✔ CustomResourceDefinition/widgets.uninstall.example.com deleted " "a labelled CRD"
assert_not_contains "$out" "gadgets" "an unlabelled CRD"
assert_ok "the unlabelled CRD stays" kubectl get crd gadgets.uninstall.example.com
kubectl delete crd gadgets.uninstall.example.com --wait=false >/dev/null
assert_contains "$out" "✔ Deployment/$ns/eddy deleted" "Deployment"
assert_contains "$out" "✔ NetworkPolicy/$ns/allow-scraping deleted" "network policy"
# flux's line, its trailing space too (its "%s" of no dry run)
assert_eq "✔ GitRepository/$ns/cli finalizers deleted " "$(grep -F "GitRepository/$ns/cli finalizers" <<<"$out")" "finalizers"
assert_contains "$out" "✔ CustomResourceDefinition/kustomizations.kustomize.toolkit.fluxcd.io deleted" "CRD"
assert_contains "$out" "✔ Namespace/$ns deleted" "namespace"
assert_contains "$out" "✔ uninstall finished" "finished"
retry 60 bash -c "! kubectl get crd gitrepositories.source.toolkit.fluxcd.io >/dev/null 2>&1"
retry 60 bash -c "! kubectl get namespace $ns >/dev/null 2>&1"
assert_eq green "$(kubectl -n "$apps" get configmap settings -o 'jsonpath={.data.color}')" "workloads stay"
assert_fails "cluster role gone" kubectl get clusterrolebinding "cluster-reconciler-$ns"

step "uninstall --keep-namespace"
out=$("$eddy" install -n "$ns-keep" --components source-controller --timeout 2m 2>&1)
assert_contains "$out" "✔ install finished" "second install"
out=$("$eddy" uninstall -n "$ns-keep" --keep-namespace --silent 2>&1)
assert_contains "$out" "✔ Deployment/$ns-keep/eddy deleted" "components deleted"
assert_not_contains "$out" "Namespace/$ns-keep deleted" "namespace kept"
assert_ok "the namespace stays" kubectl get namespace "$ns-keep"
kubectl delete namespace "$ns-keep" --wait=false >/dev/null

step "the CRDs back for the tests that follow"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=5s "${crds[@]/#/crd/}"
