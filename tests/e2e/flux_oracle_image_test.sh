#!/usr/bin/env bash
# tests/e2e/flux_oracle_image_test.sh: Flux's own image-reflector-controller (built by
# hack/flux/build from hack/flux/image-reflector-controller) as the oracle of eddy's
# ImageRepository and ImagePolicy. Its version is v1.2.0, not the v1.2.5 Flux 2.9.5 pins: the Go
# module proxy refuses v1.2.5 and v1.2.0 is the nearest version it serves.
# The same specs are created in two namespaces (eddy's CRDs: the contract is the same CRDs), one
# on Flux's shard (reconciled by Flux's controller), one on eddy's (eddy's agent), against the
# test registries; for each pair the test compares the conditions (type, status, reason,
# message), ImageRepository's canonicalImageName, observedExclusionList and lastScanResult
# (tagCount, latestTags, revision: not the scan time), ImagePolicy's latestRef and
# observedPreviousRef, and the Events (type, reason, message, annotations; counts and times
# aside). Only the namespace of each side, a closed and a silent port and the time to a next
# scan are made neutral.
# ImageRepository cases: a scan (signature tags excluded by default), an exclusionList, a
# registry that refuses connections, a missing auth Secret, the htpasswd registry without
# credentials (401) and with them, invalid image names (capitals, capitals and a tag, a tag, a
# URL), a plain-HTTP registry on a loopback
# address without `insecure`, a TLS registry whose CA is not trusted with `insecure`, one whose
# CA is given by certSecretRef (ca.crt), one wanting a client certificate (mutual TLS: ca.crt,
# tls.crt, tls.key) and the same with ca.crt alone, certSecretRefs with none of the keys, a
# tls.crt without tls.key, a ca.crt that is no PEM; secretRefs that give no credentials to Flux's
# keychain (good ones in an Opaque Secret, a dockerconfigjson entry without any) and one whose
# auth of another registry is no base64; which entry of a Secret wins (a path beside the host,
# one without credentials), field names in capitals, a ServiceAccount's pull secret after a
# secretRef's, the same Secret as secretRef and certSecretRef (which Flux's reflector never
# reads: "resource name may not be empty"); a registry that accepts the connection and never
# answers (timeout 3s); at the end, as a user that may not read one Secret, that Secret as
# secretRef, certSecretRef, proxySecretRef and a ServiceAccount's pull secret.
# ImagePolicy cases: semver (a match, no match, an invalid range), alphabetical asc and desc,
# numerical asc and desc, filterTags with pattern and extract (and a bad regexp), a repository
# that does not exist and one that is not ready, a repository in another namespace (no
# accessFrom, one admitting no namespace, one admitting all), digestReflectionPolicy Always
# (with interval), IfNotPresent and Never; then a new tag and a rescan requested with
# reconcile.fluxcd.io/requestedAt (the semver policies follow it: "(previously ...)",
# observedPreviousRef). Then, changed after a successful scan: an ImageRepository and its
# policy suspended (a new tag and a requested reconcile: only lastHandledReconcileAt and
# observedGeneration move), resumed (a new generation within the interval scans nothing), then a
# rescan requested; an interval changed (no scan: "no change in repository configuration since
# last scan"); an exclusionList changed (a scan, observedExclusionList, the policy follows); a
# restart of both controllers (each object reconciled again, no scan, the same words). The
# comparisons also cover observedGeneration and lastHandledReconcileAt (one token for both
# sides).
# The policies are created once the repositories have settled, so that neither side's first
# evaluation races its repository's first scan. The exclusionList case has an image of its own
# (see below), and a bad filterTags pattern is worded by each side's regexp engine: both are
# deliberate differences, asserted here and written in README.md.
# Every difference is reported (all of them, then the test fails): each is a bug in eddy to fix,
# or a deliberate difference to name here and in README.md.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nf=oimg-flux
ne=oimg-eddy
ns=$ne

step "CRDs: eddy's"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/imagerepositories.image.toolkit.fluxcd.io crd/imagepolicies.image.toolkit.fluxcd.io >/dev/null

step "namespaces, secrets, images"
for n in $nf $ne; do
    new_namespace "$n"
    new_namespace "$n-repos"
    kubectl -n "$n" create secret docker-registry good --docker-server="$EDDY_REGISTRY_AUTH" \
        --docker-username="$EDDY_REGISTRY_USER" --docker-password="$EDDY_REGISTRY_PASSWORD" >/dev/null
    kubectl -n "$n" create secret generic generic --from-literal=username=u >/dev/null
    # Credentials that are no credentials to Flux's keychain: good ones in an Opaque Secret
    # (it reads a dockerconfigjson Secret's alone), an entry without any, an auth of another
    # registry that is no base64 (it fails the whole Secret).
    cfg=$(kubectl -n "$n" get secret good -o jsonpath='{.data.\.dockerconfigjson}')
    kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Secret
metadata: {name: opaquecfg}
type: Opaque
data: {.dockerconfigjson: $cfg}
---
apiVersion: v1
kind: Secret
metadata: {name: nocreds}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"auths": {"$EDDY_REGISTRY_AUTH": {"email": "x@y"}}}'}
---
apiVersion: v1
kind: Secret
metadata: {name: badauth}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"auths": {"other.invalid": {"auth": "dXNl!jpw"}, "$EDDY_REGISTRY_AUTH": {"username": "$EDDY_REGISTRY_USER", "password": "$EDDY_REGISTRY_PASSWORD"}}}'}
YAML
    # Which entry Flux's keychain takes when several match: the most specific key (a path
    # beside the host, whatever their order), even one without credentials (then none); field
    # names in any case; a ServiceAccount's pull secret after the secretRef's, whose entry for
    # the same registry comes first.
    kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Secret
metadata: {name: pathwins}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"auths": {"$EDDY_REGISTRY_AUTH": {"username": "$EDDY_REGISTRY_USER", "password": "wrong"}, "http://$EDDY_REGISTRY_AUTH/oimg/": {"username": "$EDDY_REGISTRY_USER", "password": "$EDDY_REGISTRY_PASSWORD"}}}'}
---
apiVersion: v1
kind: Secret
metadata: {name: pathempty}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"auths": {"$EDDY_REGISTRY_AUTH/oimg/private": {"email": "x@y"}, "$EDDY_REGISTRY_AUTH": {"username": "$EDDY_REGISTRY_USER", "password": "$EDDY_REGISTRY_PASSWORD"}}}'}
---
apiVersion: v1
kind: Secret
metadata: {name: upper}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"Auths": {"$EDDY_REGISTRY_AUTH": {"Username": "$EDDY_REGISTRY_USER", "PASSWORD": "$EDDY_REGISTRY_PASSWORD"}}}'}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: puller}
imagePullSecrets: [{name: good}]
YAML
done
for tag in 1.0.0 1.2.0 2.0.0-rc.1 1.9.0.sig latest v3-alpine; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/web "$tag" >/dev/null
done
# An image of its own for the exclusionList: Flux's badger store keys the tags by image name, so
# two ImageRepositories of one image with different lists would read each other's tags there
# (eddy keeps each object's own).
for tag in 1.0.0 1.1.0 2.0.0 2.0.0.sig latest; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/excl "$tag" >/dev/null
done
for tag in 1 2 10 build-7 build-12; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/num "$tag" >/dev/null
done
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY_AUTH" oimg/private 1.0.0 \
    "$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD" >/dev/null
# Images of their own for the cases changed after their first scan (suspend, interval,
# exclusionList): a tag pushed later must reach only its case.
for img in susp ivl; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" "oimg/$img" 1.0.0 >/dev/null
done
for tag in 1.0.0 1.1.0 2.0.0; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/exch "$tag" >/dev/null
done
closed=$(free_port)
# The registry's storage served over TLS too, its certificate signed by the test servers' CA,
# which neither side trusts.
tls_port=$(free_port)
printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp:\n  addr: 127.0.0.1:%s\n  secret: s3cr3t\n  tls:\n    certificate: %s\n    key: %s\n' \
    "$EDDY_SERVERS_DIR/registry/data" "$tls_port" "$EDDY_SERVERS_DIR/git-http/server.crt" \
    "$EDDY_SERVERS_DIR/git-http/server.key" >"$scratch/registry-tls.yml"
bg_start registry-tls docker-registry serve "$scratch/registry-tls.yml"
retry 20 curl -fs -o /dev/null --cacert "$EDDY_SERVERS_DIR/ca/ca.crt" "https://127.0.0.1:$tls_port/v2/"
# And over mutual TLS: a client certificate signed by the same CA is wanted (clientcas).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=eddy-client" \
    -CA "$EDDY_SERVERS_DIR/ca/ca.crt" -CAkey "$EDDY_SERVERS_DIR/ca/ca.key" \
    -addext extendedKeyUsage=clientAuth 2>/dev/null
mtls_port=$(free_port)
sed -e "s/:$tls_port/:$mtls_port/" "$scratch/registry-tls.yml" >"$scratch/registry-mtls.yml"
printf '    clientcas: [%s]\n' "$EDDY_SERVERS_DIR/ca/ca.crt" >>"$scratch/registry-mtls.yml"
bg_start registry-mtls docker-registry serve "$scratch/registry-mtls.yml"
retry 20 curl -fs -o /dev/null --cacert "$EDDY_SERVERS_DIR/ca/ca.crt" --cert "$scratch/client.crt" \
    --key "$scratch/client.key" "https://127.0.0.1:$mtls_port/v2/"
for n in $nf $ne; do
    kubectl -n "$n" create secret generic registry-ca \
        --from-file=ca.crt="$EDDY_SERVERS_DIR/ca/ca.crt" >/dev/null
    kubectl -n "$n" create secret generic registry-mtls \
        --from-file=ca.crt="$EDDY_SERVERS_DIR/ca/ca.crt" \
        --from-file=tls.crt="$scratch/client.crt" --from-file=tls.key="$scratch/client.key" >/dev/null
    # certSecretRefs that are wrong: a client certificate without its key, a CA that is no PEM
    # (and the Secret generic, with none of the keys)
    kubectl -n "$n" create secret generic cert-nokey --from-file=tls.crt="$scratch/client.crt" \
        >/dev/null
    kubectl -n "$n" create secret generic cert-badpem --from-literal=ca.crt='not a certificate' \
        >/dev/null
done
# A registry that takes the connection and never answers (tests/e2e/gitstall.py's silent
# listener), for spec.timeout.
bg_start gitstall python3 -u "$EDDY_ROOT/tests/e2e/gitstall.py" --ready-file "$scratch/stall-ports" \
    --repo "$scratch"
wait_ready "$scratch/gitstall.pid" 30 "the stalling server" test -s "$scratch/stall-ports" ||
    fail "the stalling server did not start: $(cat "$scratch/gitstall.log")"
silent=$(sed -n 's/^silent=//p' "$scratch/stall-ports")

# object KIND NAME SPEC-LINES [SUFFIX]: the object NAME of KIND in both namespaces (with SUFFIX
# appended to their names), each on its shard; @NS@ in SPEC-LINES is the side's namespace.
repos=()
policies=()
object() {
    local n
    if [ "$1" = ImageRepository ]; then repos+=("$2${4:-}"); else policies+=("$2"); fi
    for n in $nf $ne; do
        kubectl -n "$n${4:-}" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: $1
metadata: {name: $2, labels: {shard: ${n#oimg-}}}
spec:
${3//@NS@/$n}
YAML
    done
}
# repo NAME IMAGE [SPEC-LINES]: an ImageRepository of IMAGE (interval 10m, insecure).
repo() {
    object ImageRepository "$1" "  image: $2
  interval: 10m
${3:-  insecure: true}"
}
# policy NAME REPOSITORY SPEC-LINES: an ImagePolicy of REPOSITORY.
policy() {
    object ImagePolicy "$1" "  imageRepositoryRef: {name: $2}
$3"
}
repo web "$EDDY_REGISTRY/oimg/web"
repo num "$EDDY_REGISTRY/oimg/num"
repo excluded "$EDDY_REGISTRY/oimg/excl" "  insecure: true
  exclusionList: ['^1\\.', 'latest']"
repo refused "127.0.0.1:$closed/oimg/web"
repo nosecret "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: nosuch}"
repo anonymous "$EDDY_REGISTRY_AUTH/oimg/private"
repo notdocker "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: generic}"
repo nocert "$EDDY_REGISTRY/oimg/web" "  insecure: true
  certSecretRef: {name: nosuch}"
repo noproxy "$EDDY_REGISTRY/oimg/web" "  insecure: true
  proxySecretRef: {name: nosuch}"
repo nosa "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  serviceAccountName: nosuch"
repo private "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: good}"
repo badimage "$EDDY_REGISTRY/oimg/Web"
repo badtagged "$EDDY_REGISTRY/oimg/Web:1.0"
repo tagged "$EDDY_REGISTRY/oimg/web:1.0.0"
repo scheme "http://$EDDY_REGISTRY/oimg/web"
repo notinsecure "$EDDY_REGISTRY/oimg/web" "  insecure: false"
repo tlsinsecure "127.0.0.1:$tls_port/oimg/web"
repo norepo "$EDDY_REGISTRY/oimg/absent"
# (for the log lines: suspended, then deleted, at the end)
repo paused "$EDDY_REGISTRY/oimg/num"
repo doomed "$EDDY_REGISTRY/oimg/num"
repo tlsca "127.0.0.1:$tls_port/oimg/web" "  certSecretRef: {name: registry-ca}"
repo mtls "127.0.0.1:$mtls_port/oimg/web" "  certSecretRef: {name: registry-mtls}"
repo stall "127.0.0.1:$silent/oimg/web" "  timeout: 3s"
repo opaquecfg "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: opaquecfg}"
repo nocreds "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: nocreds}"
repo badauth "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: badauth}"
repo certnone "127.0.0.1:$tls_port/oimg/web" "  certSecretRef: {name: generic}"
repo badexcl "$EDDY_REGISTRY/oimg/web" "  insecure: true
  exclusionList: ['^(1']"
repo pathwins "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: pathwins}"
repo pathempty "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: pathempty}"
repo upper "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: upper}"
repo saafter "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: nocreds}
  serviceAccountName: puller"
repo saonly "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  serviceAccountName: puller"
repo samesecret "127.0.0.1:$tls_port/oimg/web" "  secretRef: {name: registry-ca}
  certSecretRef: {name: registry-ca}"
repo certnokey "127.0.0.1:$tls_port/oimg/web" "  certSecretRef: {name: cert-nokey}"
repo certbadpem "127.0.0.1:$tls_port/oimg/web" "  certSecretRef: {name: cert-badpem}"
repo mtlsnoclient "127.0.0.1:$mtls_port/oimg/web" "  certSecretRef: {name: registry-ca}"
repo susp "$EDDY_REGISTRY/oimg/susp"
repo ivl "$EDDY_REGISTRY/oimg/ivl"
repo exch "$EDDY_REGISTRY/oimg/exch" "  insecure: true
  exclusionList: ['^1\\.']"
# Repositories in another namespace (NS-repos), for the policies' ACL: none, one admitting
# nobody, one admitting every namespace.
object ImageRepository locked "  image: $EDDY_REGISTRY/oimg/num
  interval: 10m
  insecure: true" -repos
object ImageRepository fenced "  image: $EDDY_REGISTRY/oimg/num
  interval: 10m
  insecure: true
  accessFrom: {namespaceSelectors: [{matchLabels: {team: nobody}}]}" -repos
object ImageRepository open "  image: $EDDY_REGISTRY/oimg/num
  interval: 10m
  insecure: true
  accessFrom: {namespaceSelectors: [{matchLabels: {}}]}" -repos

step "Flux's image-reflector-controller on shard flux, eddy's agent on shard eddy"
FLUX_NS=$nf flux_irc_start
agent --watch-label-selector 'shard in (eddy,both)' --log-encoding json

# The cases that must become Ready; the others must fail.
ready=" web num excluded private notinsecure paused doomed semver semver-pre alpha-asc alpha-desc num-asc "
ready+="num-desc extract digest-always digest-ifnotpresent digest-never locked fenced open "
ready+="cross-open tlsca mtls susp ivl exch psusp pexch pathwins upper saonly "
# settled_in NS KIND NAME: NAME's Ready condition is about its current generation and is True
# (False for a failing case), and no reconcile is under way (a retried failure's Reconciling is
# Progressing while the retry runs); NAME's JSON, read at that moment, is left in
# $scratch/NS-NAME.json.
settled_in() {
    local out want=False json=$scratch/$1-$3.json
    [[ "$ready" != *" $3 "* ]] || want=True
    kubectl -n "$1" get "$2" "$3" -o json >"$json.tmp"
    out=$(jq -r '.metadata.generation as $g | (.status.conditions // []) as $c |
        if any($c[]; .type == "Reconciling" and .reason == "Progressing") then "busy" else
        $c[] | select(.type == "Ready") | select(.observedGeneration == $g) | .status end' \
        "$json.tmp")
    [ "$out" = "$want" ] && mv "$json.tmp" "$json"
}
for c in "${repos[@]}"; do
    case $c in
    *-repos) retry 120 settled_in $nf-repos imagerepository "${c%-repos}"
        retry 120 settled_in $ne-repos imagerepository "${c%-repos}" ;;
    *) retry 120 settled_in $nf imagerepository "$c"
        retry 120 settled_in $ne imagerepository "$c" ;;
    esac
done

step "ImagePolicies, once the repositories have settled (no race with the first scans)"
policy semver web "  policy: {semver: {range: '>=1.0.0'}}"
policy semver-pre web "  policy: {semver: {range: '>=1.0.0-0'}}"
policy semver-none web "  policy: {semver: {range: '>=5.0.0'}}"
policy semver-bad web "  policy: {semver: {range: 'not a range'}}"
policy semver-bad-alt web "  policy: {semver: {range: '>=1.0.0 || 2.x.y.z'}}"
policy alpha-asc web "  policy: {alphabetical: {order: asc}}"
policy alpha-desc web "  policy: {alphabetical: {order: desc}}"
policy num-asc num "  filterTags: {pattern: '^[0-9]+$'}
  policy: {numerical: {order: asc}}"
policy num-desc num "  filterTags: {pattern: '^[0-9]+$'}
  policy: {numerical: {order: desc}}"
policy num-nan num "  policy: {numerical: {order: asc}}"
policy extract num "  filterTags: {pattern: '^build-(?P<n>[0-9]+)$', extract: '\$n'}
  policy: {numerical: {order: asc}}"
policy extract-none num "  filterTags: {pattern: '^release-(?P<n>[0-9]+)$', extract: '\$n'}
  policy: {numerical: {order: asc}}"
policy badregexp web "  filterTags: {pattern: '^(['}
  policy: {alphabetical: {}}"
object ImagePolicy cross-locked "  imageRepositoryRef: {name: locked, namespace: @NS@-repos}
  policy: {numerical: {}}"
object ImagePolicy cross-fenced "  imageRepositoryRef: {name: fenced, namespace: @NS@-repos}
  policy: {numerical: {}}"
object ImagePolicy cross-open "  imageRepositoryRef: {name: open, namespace: @NS@-repos}
  filterTags: {pattern: '^[0-9]+$'}
  policy: {numerical: {}}"
policy missing nosuch "  policy: {semver: {range: '>=1.0.0'}}"
policy notready refused "  policy: {semver: {range: '>=1.0.0'}}"
policy of-badimage badimage "  policy: {semver: {range: '>=1.0.0'}}"
policy digest-always web "  policy: {semver: {range: '>=1.0.0'}}
  digestReflectionPolicy: Always
  interval: 1m"
policy digest-ifnotpresent web "  policy: {semver: {range: '>=1.0.0'}}
  digestReflectionPolicy: IfNotPresent"
policy digest-never web "  policy: {semver: {range: '>=1.0.0'}}
  digestReflectionPolicy: Never"
policy psusp susp "  policy: {semver: {range: '>=1.0.0'}}"
policy pexch exch "  policy: {semver: {range: '>=1.0.0'}}"

for c in "${policies[@]}"; do
    retry 120 settled_in $nf imagepolicy "$c"
    retry 120 settled_in $ne imagepolicy "$c"
done
# A failing object is retried: let each side record its events for one more round.
sleep 3

# neutral: the namespace of each side and the closed port made neutral in a string, and the
# regular expression engine's own words for a bad pattern, the silent server's port, the time
# to a next scan (a deliberate difference: eddy's
# filterTags are PCRE2's, Flux's Go's RE2; both asserted below).
neutral='def neutral: if type == "string" then gsub($ns; "NS") | gsub(":\($port)\\b"; ":CLOSED")
    | gsub(":\($silent)\\b"; ":SILENT") | gsub("next scan in [0-9hms.]+"; "next scan in DURATION")
    | sub("(?<p>invalid regular expression pattern \\x27[^\\x27]*\\x27): .*"; "\(.p): ENGINE-ERROR")
    | sub("(?<p>failed to compile regex [^ ]*): .*"; "\(.p): ENGINE-ERROR")
    else . end;'
# view NS KIND NAME: the comparable part of NAME's status.
view() {
    if [ -n "${unsettled:-}" ]; then
        kubectl -n "$1" get "$2" "$3" -o json >"$scratch/$1-$3.json"
    else
        retry 30 settled_in "$1" "$2" "$3"
    fi
    jq -S --arg ns "$1" --arg port "$closed" --arg silent "$silent" "$neutral"'
        .status as $s | {
          observedGeneration: $s.observedGeneration,
          lastHandledReconcileAt: $s.lastHandledReconcileAt,
          conditions: [($s.conditions // [])[] | {type, status, reason, message: (.message | neutral)}],
          canonicalImageName: $s.canonicalImageName,
          observedExclusionList: $s.observedExclusionList,
          lastScanResult: ($s.lastScanResult | if . then del(.scanTime) else . end),
          latestRef: $s.latestRef,
          observedPreviousRef: $s.observedPreviousRef
        }' "$scratch/$1-$3.json"
}
# events NS KIND NAME: the Events about NAME, once each.
events() {
    kubectl -n "$1" get events -o json | jq -S --arg n "$3" --arg k "$2" --arg ns "$1" \
        --arg port "$closed" --arg silent "$silent" "$neutral"'
        [.items[] | select(.involvedObject.name == $n and .involvedObject.kind == $k)
         | {type, reason, message: (.message | neutral),
            annotations: ((.metadata.annotations // {}) | map_values(neutral))}] | unique'
}

# request KIND NAME...: a reconcile of each NAME requested on both sides with one token.
request() {
    local kind=$1 token n o
    shift
    token=$(date +%s%N)
    for n in $nf $ne; do
        for o in "$@"; do
            kubectl -n "$n" annotate "$kind" "$o" --overwrite \
                "reconcile.fluxcd.io/requestedAt=$token" >/dev/null
        done
    done
}
# patch_both KIND NAME PATCH: the merge patch PATCH on NAME on both sides.
patch_both() {
    local n
    for n in $nf $ne; do kubectl -n "$n" patch "$1" "$2" --type merge -p "$3" >/dev/null; done
}
# waited LIMIT CMD...: wait up to LIMIT seconds for CMD to succeed, then go on either way; for
# eddy's side, where what it did not do is reported by the comparison that follows, with every
# other difference.
waited() { (retry "$@") >/dev/null 2>&1 || true; }
# handled NS KIND NAME: NAME's last requested reconcile was handled.
handled() {
    kubectl -n "$1" get "$2" "$3" -o json | jq -e '.metadata.annotations["reconcile.fluxcd.io/requestedAt"]
        == .status.lastHandledReconcileAt' >/dev/null
}

diffs=$scratch/differences
: >"$diffs"
compare() { # compare KIND NAME
    local what
    for what in view events; do
        "$what" $nf "$1" "$2" >"$scratch/$2.$what.flux"
        "$what" $ne "$1" "$2" >"$scratch/$2.$what.eddy"
        if ! d=$(diff -u "$scratch/$2.$what.flux" "$scratch/$2.$what.eddy"); then
            printf '=== %s %s: %s (- flux, + eddy)\n%s\n' "$1" "$2" "$what" "$d" >>"$diffs"
        fi
    done
}
for c in "${repos[@]}"; do
    [[ $c == *-repos || $c == mtlsnoclient ]] || compare ImageRepository "$c"
done
for c in "${policies[@]}"; do compare ImagePolicy "$c"; done
# Mutual TLS without a client certificate: the server ends the session with an alert, in Go's
# client's words "remote error: tls: bad certificate" (the alert of the test's registry), and
# so in eddy's most times; but the server closes the connection on the request the client sent
# meanwhile, and when the reset comes first, each side says what its client says of that: Flux
# "http2: client conn could not be established" or Go's words of the reset socket, eddy curl's
# words of the socket (README: a deliberate difference). Each attempt is one or the other: the reason and the rest of the
# message are compared here, the words of the attempt left out.
rmsg() {
    kubectl -n "$1" get imagerepository mtlsnoclient \
        -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}'
}
# tls_words SIDE MESSAGE: the words between the request and the plain-HTTP attempt, when
# MESSAGE is otherwise the expected one; "alert" for the alert in Go's words.
tls_words() {
    local head="ReadOperationFailed scan failed: Get \"https://127.0.0.1:$mtls_port/v2/\": "
    local tail="; GET http://127.0.0.1:$mtls_port/v2/: unexpected status code 400 Bad Request: Client sent an HTTP request to an HTTPS server."
    [[ $2 == "$head"*"$tail" ]] || { echo "$1: unexpected: $2"; return 0; }
    local w=${2#"$head"}
    w=${w%"$tail"}
    case $1:$w in
    *:"remote error: tls: bad certificate") echo alert ;;
    flux:"http2: client conn could not be established" | \
        flux:"write tcp 127.0.0.1:"*": write: connection reset by peer" | \
        flux:"read tcp 127.0.0.1:"*": read: connection reset by peer") echo reset ;;
    eddy:"getpeername() failed with errno 107: Transport endpoint is not connected" | \
        eddy:"Send failure: Connection reset by peer" | eddy:"Recv failure: Connection reset by peer") echo reset ;;
    *) echo "$1: other words: $w" ;;
    esac
}
for side in flux eddy; do
    n=oimg-$side
    w=$(tls_words $side "$(rmsg $n)")
    [ "$w" = alert ] || [ "$w" = reset ] || fail "mutual TLS without a client certificate: $w"
done

step "a new tag, a requested rescan: the policies follow it (observedPreviousRef)"
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/web 1.3.0 >/dev/null
request imagerepository web
# followed NS: web's scan found the new tag and every semver policy of web chose it.
followed() {
    local p
    [ "$(kubectl -n "$1" get imagerepository web -o jsonpath='{.status.lastScanResult.tagCount}')" = 6 ] ||
        return 1
    for p in semver digest-always digest-ifnotpresent digest-never; do
        [ "$(kubectl -n "$1" get imagepolicy "$p" -o jsonpath='{.status.latestRef.tag}')" = 1.3.0 ] ||
            return 1
    done
}
retry 60 followed $nf
retry 60 followed $ne
sleep 2
compare ImageRepository web
for c in semver digest-always digest-ifnotpresent digest-never; do compare ImagePolicy "$c"; done

step "a requested rescan that finds no new tag"
for n in $nf $ne; do
    kubectl -n "$n" annotate imagerepository web --overwrite \
        "reconcile.fluxcd.io/requestedAt=again" >/dev/null
done
for n in $nf $ne; do
    kubectl -n "$n" wait imagerepository/web --timeout=60s \
        --for=jsonpath='{.status.lastHandledReconcileAt}'=again >/dev/null
done

step "suspended, deleted"
for n in $nf $ne; do
    kubectl -n "$n" patch imagerepository paused --type merge -p '{"spec":{"suspend":true}}' >/dev/null
    kubectl -n "$n" delete imagerepository doomed --wait=true --timeout=60s >/dev/null
done
sleep 3

step "the log lines: each side's about each object, compared"
# The lines each controller logged about each object of its namespace, each distinct line once,
# over the whole run (flux_log_lines): a scan, found again unchanged, the failures, suspended,
# deleted (no line); a policy that selects, follows a new tag, matches nothing, whose
# repository is missing or not ready... Made neutral as in the statuses: the closed port and a
# bad pattern's words.
FLUX_LOG_JQ=$(cat <<'JQ'
def neutral: gsub(":CLOSED_PORT\\b"; ":CLOSED")
    | sub("(?<p>invalid regular expression pattern '[^']*'): .*"; "\(.p): ENGINE-ERROR")
    | sub("(?<p>failed to compile regex [^ ]*): .*"; "\(.p): ENGINE-ERROR");
JQ
)
export FLUX_LOG_JQ=${FLUX_LOG_JQ//CLOSED_PORT/$closed}
# (mutual TLS without a client certificate apart: its words change from attempt to attempt on
# both sides, above)
flux_log_lines $nf "$scratch/flux-irc.log" | grep -v '^ImageRepository/mtlsnoclient' >"$scratch/log.flux"
flux_log_lines $ne "$scratch/ctl.log" | grep -v '^ImageRepository/mtlsnoclient' >"$scratch/log.eddy"
if ! d=$(diff -u "$scratch/log.flux" "$scratch/log.eddy"); then
    printf '=== log lines (- flux, + eddy)\n%s\n' "$d" >>"$diffs"
fi
# The comparison saw the lines of every case (on Flux's side, which eddy's equals).
for want in 'ImageRepository/web.*"successful scan: found 5 tags with checksum' \
    'ImageRepository/web.*"tags did not change, next scan in D"' \
    'ImageRepository/refused.*"Reconciler error".*"error":"scan failed: .*connection refused' \
    'ImageRepository/refused.*"level":"error","msg":"scan failed: .*connection refused.*"error":"ReadOperationFailed"' \
    'ImageRepository/anonymous.*"msg":"scan failed: .*UNAUTHORIZED.*"error":"ReadOperationFailed"' \
    'ImageRepository/badimage.*"msg":"could not parse reference: .*"error":"ImageURLInvalid"' \
    'ImageRepository/paused.*"reconciliation is suspended for this object"' \
    'ImagePolicy/semver.*"Latest image tag for .* resolved to 1.2.0"' \
    'ImagePolicy/semver.*"Latest image tag for .* resolved to 1.3.0 \(previously .*:1.2.0\)"' \
    'ImagePolicy/semver-none.*"unable to determine latest version from provided list".*"error":"Failure"' \
    'ImagePolicy/missing.*"Reconciler error".*referenced ImageRepository does not exist' \
    'ImagePolicy/notready.*"retrying in D error: no tags in database".*"error":"DependencyNotReady"'; do
    grep -qE "$want" "$scratch/log.flux" || fail "no line matches /$want/ in:
$(cat "$scratch/log.flux")"
done
step "sanity: the oracle did its work"
assert_eq "1.3.0" "$(kubectl -n $nf get imagepolicy semver -o jsonpath='{.status.latestRef.tag}')" \
    "Flux's semver policy"
assert_match '^sha256:' \
    "$(kubectl -n $nf get imagepolicy digest-always -o jsonpath='{.status.latestRef.digest}')" \
    "Flux's digest-always policy"
assert_eq "1.2.0" \
    "$(kubectl -n $nf get imagepolicy digest-never -o jsonpath='{.status.observedPreviousRef.tag}')" \
    "Flux's digest-never policy: the previous tag"

step "suspended: a new tag and a requested reconcile change nothing but lastHandledReconcileAt"
patch_both imagerepository susp '{"spec":{"suspend":true}}'
patch_both imagepolicy psusp '{"spec":{"suspend":true}}'
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/susp 2.0.0 >/dev/null
request imagerepository susp
request imagepolicy psusp
retry 60 handled $nf imagerepository susp
retry 60 handled $nf imagepolicy psusp
waited 30 handled $ne imagerepository susp
waited 30 handled $ne imagepolicy psusp
sleep 2
unsettled=1 compare ImageRepository susp
unsettled=1 compare ImagePolicy psusp

step "resumed: a new generation within the interval is no reason to scan (Flux's shouldScan)"
patch_both imagerepository susp '{"spec":{"suspend":false}}'
patch_both imagepolicy psusp '{"spec":{"suspend":false}}'
retry 60 settled_in $nf imagerepository susp
retry 60 settled_in $nf imagepolicy psusp
waited 30 settled_in $ne imagerepository susp
waited 30 settled_in $ne imagepolicy psusp
sleep 2
compare ImageRepository susp
compare ImagePolicy psusp

step "then a requested scan finds the new tag, and the policy follows it"
request imagerepository susp
# tagged NS NAME TAG: the policy NAME chose TAG.
tagged() { [ "$(kubectl -n "$1" get imagepolicy "$2" -o jsonpath='{.status.latestRef.tag}')" = "$3" ]; }
retry 60 tagged $nf psusp 2.0.0
waited 30 tagged $ne psusp 2.0.0
sleep 2
compare ImageRepository susp
compare ImagePolicy psusp

step "spec.interval changed after a scan, a new tag meanwhile: no scan until the interval"
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" oimg/ivl 2.0.0 >/dev/null
patch_both imagerepository ivl '{"spec":{"interval":"20m"}}'
retry 60 settled_in $nf imagerepository ivl
waited 30 settled_in $ne imagerepository ivl
sleep 2
compare ImageRepository ivl

step "spec.exclusionList changed after a scan: a new scan, observedExclusionList, the policy follows"
patch_both imagerepository exch '{"spec":{"exclusionList":["^2\\."]}}'
retry 60 tagged $nf pexch 1.1.0
waited 30 tagged $ne pexch 1.1.0
sleep 2
compare ImageRepository exch
compare ImagePolicy pexch

step "a bad filterTags pattern: each side in its engine's words (README: a deliberate difference)"
msg() { kubectl -n "$1" get imagepolicy badregexp -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'; }
assert_eq "failed to filter tags: invalid regular expression pattern '^([': error parsing regexp: missing closing ]: \`[\`" \
    "$(msg $nf)" "Flux's bad pattern (Go's regexp)"
assert_eq "failed to filter tags: invalid regular expression pattern '^([': missing terminating ] for character class at offset 3" \
    "$(msg $ne)" "eddy's bad pattern (PCRE2)"
# and a bad exclusionList pattern, Flux's "failed to compile regex" before each engine's words
emsg() { kubectl -n "$1" get imagerepository badexcl -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'; }
assert_eq "scan failed: failed to compile regex ^(1: error parsing regexp: missing closing ): \`^(1\`" \
    "$(emsg $nf)" "Flux's bad exclusionList pattern (Go's regexp)"
assert_eq "scan failed: failed to compile regex ^(1: missing closing parenthesis at offset 3" \
    "$(emsg $ne)" "eddy's bad exclusionList pattern (PCRE2)"

step "a restart of both: every object reconciled again, a fresh scan not repeated"
# Flux's controller reconciles each object as it starts: no scan is due (its tags are in its
# database, the interval is not over), and it says so in an Event and a line, "no change in
# repository configuration since last scan, next scan in ..."; each policy is evaluated again.
# The agent's log before the restart is kept apart, and the lines after it compared alone.
mv "$scratch/flux-irc.log" "$scratch/flux-irc.before.log"
mv "$scratch/ctl.log" "$scratch/ctl.before.log"
bg_stop flux-irc
bg_stop ctl
FLUX_NS=$nf flux_irc_start
agent --watch-label-selector 'shard in (eddy,both)' --log-encoding json
restarted=(web num private tlsca mtls ivl)
# noted LOG NS NAME: LOG has the no-change line of NAME in NS.
noted() {
    jq -e -n -R --arg ns "$2" --arg n "$3" '[inputs | fromjson? | select(.namespace == $ns
        and .name == $n and (.msg | strings | startswith("no change in repository configuration")))]
        | length > 0' "$1" >/dev/null
}
for c in "${restarted[@]}"; do
    retry 60 noted "$scratch/flux-irc.log" $nf "$c"
    waited 30 noted "$scratch/ctl.log" $ne "$c"
done
sleep 2
for c in "${restarted[@]}"; do compare ImageRepository "$c"; done
for c in semver num-asc; do compare ImagePolicy "$c"; done
# (the lines of the objects compared: the failing ones go on retrying meanwhile)
only="^(ImageRepository/($(IFS='|'; echo "${restarted[*]}"))|ImagePolicy/(semver|num-asc))"$'\t'
flux_log_lines $nf "$scratch/flux-irc.log" | grep -E "$only" >"$scratch/log2.flux" || true
flux_log_lines $ne "$scratch/ctl.log" | grep -E "$only" >"$scratch/log2.eddy" || true
if ! d=$(diff -u "$scratch/log2.flux" "$scratch/log2.eddy"); then
    printf '=== log lines after the restart (- flux, + eddy)\n%s\n' "$d" >>"$diffs"
fi
grep -q 'ImageRepository/web.*"no change in repository configuration since last scan, next scan in D"' \
    "$scratch/log2.flux" || fail "Flux's line after the restart is not among:
$(cat "$scratch/log2.flux")"

step "Secrets the controllers may not read: the API server's words, wrapped as each reader wraps them"
# Both controllers started again as a user who may read the Secrets of the cases above and not
# 'hidden' (RBAC has no deny: the others are named), through a copy of the kubeconfig that
# impersonates it. The reflector reads secretRef and certSecretRef itself ('secrets "hidden" is
# forbidden: ...'); Flux's runtime reads the proxy's and a ServiceAccount's pull secrets ("failed
# to get secret ...", "failed to get image pull secret for serviceaccount ...").
kubectl apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: oimg-reader}
rules:
- apiGroups: [image.toolkit.fluxcd.io, source.toolkit.fluxcd.io, kustomize.toolkit.fluxcd.io,
    notification.toolkit.fluxcd.io, coordination.k8s.io, events.k8s.io, apiextensions.k8s.io]
  resources: ['*']
  verbs: ['*']
- apiGroups: ['']
  resources: [events, namespaces, serviceaccounts, configmaps]
  verbs: ['*']
- apiGroups: ['']
  resources: [secrets]
  verbs: [get]
  resourceNames: [good, generic, opaquecfg, nocreds, badauth, pathwins, pathempty, upper,
    registry-ca, registry-mtls, cert-nokey, cert-badpem]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oimg-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: oimg-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: oimg-reader}]
YAML
for n in $nf $ne; do
    kubectl -n "$n" create secret generic hidden --from-literal=ca.crt=x >/dev/null
    kubectl -n "$n" create serviceaccount hider >/dev/null
    kubectl -n "$n" patch serviceaccount hider -p '{"imagePullSecrets": [{"name": "hidden"}]}' \
        >/dev/null
done
reader=$scratch/reader.kubeconfig
kubectl config view --raw --minify -o json |
    jq '.users[0].user.as = "oimg-reader"' >"$reader"
bg_stop flux-irc
bg_stop ctl
KUBECONFIG=$reader FLUX_NS=$nf flux_irc_start
KUBECONFIG=$reader agent --watch-label-selector 'shard in (eddy,both)' --log-encoding json
repo denied "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  secretRef: {name: hidden}"
repo certdenied "127.0.0.1:$tls_port/oimg/web" "  certSecretRef: {name: hidden}"
repo proxydenied "$EDDY_REGISTRY/oimg/web" "  insecure: true
  proxySecretRef: {name: hidden}"
repo sadenied "$EDDY_REGISTRY_AUTH/oimg/private" "  insecure: true
  serviceAccountName: hider"
for c in denied certdenied proxydenied sadenied; do
    retry 120 settled_in $nf imagerepository "$c"
    retry 120 settled_in $ne imagerepository "$c"
done
sleep 3
for c in denied certdenied proxydenied sadenied; do compare ImageRepository "$c"; done
assert_contains "$(kubectl -n $nf get imagerepository denied \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')" \
    'secrets "hidden" is forbidden: User "oimg-reader"' "Flux's denied Secret"

step "eddy against Flux"
[ ! -s "$diffs" ] || fail "eddy differs from Flux's image-reflector-controller:
$(cat "$diffs")"
