#!/usr/bin/env bash
# tests/e2e/flux_oracle_oci_test.sh: Flux's own source-controller (Flux 2.9.5's, built by
# hack/flux/build) as the oracle of eddy's OCIRepository where things fail. The same specs are
# created in two namespaces, one on Flux's shard (reconciled by source-controller) and one on
# eddy's (reconciled by eddy's agent); for each pair the test compares the conditions (type,
# status, reason, message: the namespace and a closed port made neutral) and the Events (type,
# reason, message, annotations; counts and times aside).
# Cases: a registry that does not answer (a closed port); a registry with htpasswd auth, with no
# secretRef and with a wrong password (and the right one: Ready); a repository, a tag and a
# digest that do not exist; a semver range with no match, and semverFilter leaving none; a
# layerSelector whose media type no layer has; a layer that is not a tarball, extracted
# (refused) and copied (Ready); a registry over TLS whose CA is not trusted, with insecure
# (Flux then skips the verification), and with certSecretRef's ca.crt; a certSecretRef for a
# plain HTTP registry; a missing secretRef Secret, ServiceAccount, proxySecretRef Secret and
# certSecretRef Secret (and two at once, and one with a tag in the URL: Flux's order); a URL
# with a tag or a digest; a spec.ref changed from a good tag to a missing one (the old
# artifact kept, ArtifactOutdated not set: the revision was never found).
# `push artifact` of one directory (modes 0644, 0755 and 0700, a symlink, an empty directory, a
# .sourceignore, --ignore-paths) by eddy and by flux's CLI: the CLI's output lines, the
# manifest (media types, annotations but the creation time), the config blob (digest, size,
# bytes) and the layer's entries (name,
# type, mode, owner, size, mtime); each artifact pulled by both CLIs: their output lines and
# the trees they write (type, mode, size, name).
# Every difference is reported (all of them, then the test fails): each is a bug in eddy to fix,
# or a deliberate difference to name here and in README.md.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nf=ooci-flux
ne=ooci-eddy
ns=$ne

step "CRDs: eddy's, and Flux's source kinds eddy does not ship (source-controller watches them)"
flux_source_crds

step "namespaces, registry secrets"
for n in $nf $ne; do
    new_namespace "$n"
    kubectl -n "$n" create secret docker-registry good --docker-server="$EDDY_REGISTRY_AUTH" \
        --docker-username="$EDDY_REGISTRY_USER" --docker-password="$EDDY_REGISTRY_PASSWORD" >/dev/null
    kubectl -n "$n" create secret docker-registry wrong --docker-server="$EDDY_REGISTRY_AUTH" \
        --docker-username="$EDDY_REGISTRY_USER" --docker-password=not-the-password >/dev/null
done

step "artifacts: eddy push artifact (two tags and a pre-release), a private one, a layer that is no tarball"
mkdir -p "$scratch/oci/apps"
echo "kind: ConfigMap" >"$scratch/oci/apps/cm.yaml"
for tag in 1.0.0 1.1.0 2.0.0-rc.1; do
    out=$("$eddy" push artifact "oci://$EDDY_REGISTRY/ooci/app:$tag" --path "$scratch/oci" \
        --source https://git.example/app --revision "main@sha1:$tag" 2>&1) ||
        fail "push artifact $tag: $out"
done
out=$("$eddy" push artifact "oci://$EDDY_REGISTRY_AUTH/ooci/private:1.0.0" --path "$scratch/oci" \
    --source https://git.example/app --revision main@sha1:1 \
    --creds "$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD" 2>&1) || fail "push private: $out"
echo "not a tarball" >"$scratch/plain.txt"
PUSH_IMAGE_LAYER=$scratch/plain.txt "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" ooci/plain \
    1.0.0 >/dev/null
closed=$(free_port)
# The same registry storage served over TLS too, its certificate signed by the test servers' CA.
tls_port=$(free_port)
printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp:\n  addr: 127.0.0.1:%s\n  secret: s3cr3t\n  tls:\n    certificate: %s\n    key: %s\n' \
    "$EDDY_SERVERS_DIR/registry/data" "$tls_port" "$EDDY_SERVERS_DIR/git-http/server.crt" \
    "$EDDY_SERVERS_DIR/git-http/server.key" >"$scratch/registry-tls.yml"
bg_start registry-tls docker-registry serve "$scratch/registry-tls.yml"
retry 20 curl -fs -o /dev/null --cacert "$EDDY_SERVERS_DIR/ca/ca.crt" "https://127.0.0.1:$tls_port/v2/"
for n in $nf $ne; do
    kubectl -n "$n" create secret generic registry-ca --from-file=ca.crt="$EDDY_SERVERS_DIR/ca/ca.crt" \
        >/dev/null
done

# ocirepo NAME URL SPEC-LINES [INSECURE]: the OCIRepository NAME in both namespaces, each on its
# shard (insecure: INSECURE, default true: the registry speaks plain HTTP).
cases=()
ocirepo() {
    local n shard
    [[ " ${cases[*]} " == *" $1 "* ]] || cases+=("$1")
    for n in $nf $ne; do
        shard=${n#ooci-}
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: $1, labels: {shard: $shard}}
spec:
  interval: 10m
  url: oci://$2
  insecure: ${4:-true}
$3
YAML
    done
}
app=$EDDY_REGISTRY/ooci/app
ocirepo unreachable "127.0.0.1:$closed/ooci/app" "  ref: {tag: 1.0.0}"
ocirepo noauth "$EDDY_REGISTRY_AUTH/ooci/private" "  ref: {tag: 1.0.0}"
ocirepo wrongauth "$EDDY_REGISTRY_AUTH/ooci/private" "  ref: {tag: 1.0.0}
  secretRef: {name: wrong}"
ocirepo goodauth "$EDDY_REGISTRY_AUTH/ooci/private" "  ref: {tag: 1.0.0}
  secretRef: {name: good}"
ocirepo norepo "$EDDY_REGISTRY/ooci/absent" "  ref: {tag: 1.0.0}"
ocirepo notag "$app" "  ref: {tag: 9.9.9}"
ocirepo nodigest "$app" "  ref: {digest: 'sha256:$(printf '0%.0s' {1..64})'}"
ocirepo nosemver "$app" "  ref: {semver: '>=5.0.0'}"
ocirepo semverfilter "$app" "  ref: {semver: '>=1.0.0', semverFilter: '.*-rc.*'}"
ocirepo nolayer "$app" "  ref: {tag: 1.0.0}
  layerSelector: {mediaType: application/x-none}"
ocirepo plainextract "$EDDY_REGISTRY/ooci/plain" "  ref: {tag: 1.0.0}"
ocirepo plaincopy "$EDDY_REGISTRY/ooci/plain" "  ref: {tag: 1.0.0}
  layerSelector: {mediaType: application/vnd.cncf.flux.content.v1.tar+gzip, operation: copy}"
ocirepo refchange "$app" "  ref: {tag: 1.0.0}"
tls=127.0.0.1:$tls_port/ooci/app
ocirepo tlsverify "$tls" "  ref: {tag: 1.0.0}" false
ocirepo tlsinsecure "$tls" "  ref: {tag: 1.0.0}"
ocirepo tlsca "$tls" "  ref: {tag: 1.0.0}
  certSecretRef: {name: registry-ca}" false
ocirepo plaintls "$app" "  ref: {tag: 1.0.0}
  certSecretRef: {name: registry-ca}" false
ocirepo nosecret "$app" "  ref: {tag: 1.0.0}
  secretRef: {name: nosuch}"
ocirepo nosa "$app" "  ref: {tag: 1.0.0}
  serviceAccountName: nosuch"
ocirepo noproxy "$app" "  ref: {tag: 1.0.0}
  proxySecretRef: {name: nosuch}"
ocirepo nocert "$app" "  ref: {tag: 1.0.0}
  certSecretRef: {name: nosuch}"
# Flux reads the Secrets in this order (credentials, proxy, certificate), then parses the URL.
ocirepo proxyandcert "$app" "  ref: {tag: 1.0.0}
  proxySecretRef: {name: nosuch}
  certSecretRef: {name: nosuch}"
ocirepo tagurl "$app:1.0.0" "  ref: {tag: 1.0.0}"
ocirepo digesturl "$app@sha256:$(printf '0%.0s' {1..64})" "  ref: {tag: 1.0.0}"
ocirepo certandtag "$app:1.0.0" "  ref: {tag: 1.0.0}
  certSecretRef: {name: nosuch}"

step "Flux's source-controller on shard flux, eddy's agent on shard eddy"
FLUX_NS=$nf flux_sc_start
agent --watch-label-selector 'shard in (eddy,both)'

# The cases that must become Ready; the others must fail.
ready=" goodauth plaincopy refchange tlsinsecure tlsca plaintls "
# settled_in NS NAME: NAME's Ready condition is about its current generation and is True (False
# for a failing case); NAME's JSON, read at that moment, is left in $scratch/NS-NAME.json (a
# failing OCIRepository is retried, with Ready Unknown while a retry runs: not compared).
settled_in() {
    local out want=False json=$scratch/$1-$2.json
    [[ "$ready" != *" $2 "* ]] || want=True
    kubectl -n "$1" get ocirepository "$2" -o json >"$json.tmp"
    out=$(jq -r '.metadata.generation as $g | (.status.conditions // [])[] |
        select(.type == "Ready") | select(.observedGeneration == $g) | .status' "$json.tmp")
    [ "$out" = "$want" ] && mv "$json.tmp" "$json"
}
for c in "${cases[@]}"; do
    retry 120 settled_in $nf "$c"
    retry 120 settled_in $ne "$c"
done

step "refchange: from a good tag to a missing one, the old artifact kept"
for n in $nf $ne; do
    kubectl -n "$n" get ocirepository refchange -o jsonpath='{.status.artifact.revision}' \
        >"$scratch/$n-refchange.before"
done
ocirepo refchange "$app" "  ref: {tag: 9.9.9}"
ready=" goodauth plaincopy tlsinsecure tlsca plaintls "
retry 120 settled_in $nf refchange
retry 120 settled_in $ne refchange
# A failing OCIRepository is retried: let each side record its events for one more round.
sleep 3

# neutral: the namespace of each side and the closed port made neutral in a string.
neutral='def neutral: if type == "string" then gsub($ns; "NS") | gsub(":\($port)\\b"; ":CLOSED")
    else . end;'
# view NS NAME: the comparable part of NAME's status: the conditions, and the artifact's
# revision (the digest and size are of each side's archive: see flux_oracle_source).
view() {
    retry 30 settled_in "$1" "$2"
    jq -S --arg ns "$1" --arg port "$closed" "$neutral"'
        .status as $s | {
          artifact: ($s.artifact.revision // null),
          conditions: [($s.conditions // [])[] | {type, status, reason, message: (.message | neutral)}],
          observedLayerSelector: $s.observedLayerSelector
        }' "$scratch/$1-$2.json"
}
# events NS NAME: the Events about NAME, once each.
events() {
    kubectl -n "$1" get events -o json | jq -S --arg n "$2" --arg ns "$1" --arg port "$closed" \
        "$neutral"'
        [.items[] | select(.involvedObject.name == $n and .involvedObject.kind == "OCIRepository")
         | {type, reason, message: (.message | neutral),
            annotations: ((.metadata.annotations // {}) | del(.["source.toolkit.fluxcd.io/digest"])
                          | map_values(neutral))}] | unique'
}

diffs=$scratch/differences
: >"$diffs"
for c in "${cases[@]}"; do
    for what in view events; do
        "$what" $nf "$c" >"$scratch/$c.$what.flux"
        "$what" $ne "$c" >"$scratch/$c.$what.eddy"
        if ! d=$(diff -u "$scratch/$c.$what.flux" "$scratch/$c.$what.eddy"); then
            printf '=== %s: %s (- flux, + eddy)\n%s\n' "$c" "$what" "$d" >>"$diffs"
        fi
    done
done

step "sanity: the oracle did its work, the old artifact kept"
assert_eq "True" "$(kubectl -n $nf get ocirepository goodauth -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
    "Flux's goodauth Ready"
assert_match '^1\.0\.0@sha256:' "$(cat "$scratch/$nf-refchange.before")" "Flux's refchange before"
for n in $nf $ne; do
    assert_eq "$(cat "$scratch/$n-refchange.before")" \
        "$(kubectl -n "$n" get ocirepository refchange -o jsonpath='{.status.artifact.revision}')" \
        "$n: refchange keeps its artifact"
done

step "push artifact: eddy's and flux's of the same directory, each pulled with both CLIs"
# Modes 0644 and 0755, a symlink (left out by both), an empty directory, a .sourceignore (a file
# like another for push: only --ignore-paths leaves paths out) and --ignore-paths.
flux=$EDDY_ROOT/.bin/flux
src=$scratch/push
mkdir -p "$src/apps" "$src/bin" "$src/empty" "$src/secret"
echo "kind: ConfigMap" >"$src/apps/cm.yaml"
printf '#!/bin/sh\n' >"$src/bin/run.sh"
echo "notes" >"$src/notes.md"
echo "*.md" >"$src/.sourceignore"
echo "key" >"$src/secret/key.txt"
echo "png" >"$src/logo.png"
ln -s apps/cm.yaml "$src/link.yaml"
chmod 644 "$src/apps/cm.yaml" "$src/notes.md" "$src/.sourceignore"
chmod 755 "$src/bin/run.sh" "$src/apps" "$src/bin" "$src/secret"
chmod 700 "$src/empty"
# neutral_out WHO: a CLI's output with the repository of WHO's push, digests and paths neutral.
neutral_out() {
    sed -e "s#push-$1#push-WHO#g" -e 's#sha256:[0-9a-f]\{64\}#sha256:DIGEST#g' \
        -e "s#$scratch/#SCRATCH/#g" -e 's#SCRATCH/pull-[a-z]*-[a-z]*#SCRATCH/PULLED#'
}
for who in eddy flux; do
    bin=$eddy
    [ $who = eddy ] || bin=$flux
    out=$("$bin" push artifact "oci://$EDDY_REGISTRY/ooci/push-$who:1.0.0" --path "$src" \
        --source https://git.example/app --revision main@sha1:abc \
        --ignore-paths 'secret/,*.png' 2>&1) || fail "$who push artifact: $out"
    neutral_out $who <<<"$out" >"$scratch/push.out.$who"
    manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "http://$EDDY_REGISTRY/v2/ooci/push-$who/manifests/1.0.0") || fail "$who: no manifest"
    assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' \
        "$(jq -r '.annotations["org.opencontainers.image.created"]' <<<"$manifest")" \
        "$who push: the created annotation"
    jq -S '{mediaType, artifactType, config: {mediaType: .config.mediaType},
        layers: [.layers[] | {mediaType, annotations}],
        annotations: (.annotations | del(.["org.opencontainers.image.created"]))}' \
        <<<"$manifest" >"$scratch/push.manifest.$who"
    # The config blob, byte for byte (and so its digest: its time is Go's zero time).
    jq -r '.config | "\(.digest) \(.size)"' <<<"$manifest" >>"$scratch/push.config.$who"
    curl -fsS "http://$EDDY_REGISTRY/v2/ooci/push-$who/blobs/$(jq -r .config.digest <<<"$manifest")" \
        >>"$scratch/push.config.$who" || fail "$who: no config"
    layer=$(jq -r '.layers[0].digest' <<<"$manifest")
    curl -fsS "http://$EDDY_REGISTRY/v2/ooci/push-$who/blobs/$layer" -o "$scratch/push-$who.tgz" ||
        fail "$who: no layer"
    # The layer's entries (type and mode, owner, size, mtime, name), in name order; the two
    # deliberate differences of eddy's tar stream removed (see flux_oracle_source): a
    # directory's trailing '/' (libarchive's) and the root's `.` entry (Go's walk).
    tar --numeric-owner --full-time -tvzf "$scratch/push-$who.tgz" |
        sed -e '/^d/s#/$##' -e '/^d.* \.$/d' | sort -k6 >"$scratch/push.layer.$who"
    for puller in eddy flux; do
        pbin=$eddy
        [ $puller = eddy ] || pbin=$flux
        dir=$scratch/pull-$who-$puller
        mkdir -p "$dir"
        out=$("$pbin" pull artifact "oci://$EDDY_REGISTRY/ooci/push-$who:1.0.0" --output "$dir" 2>&1) ||
            fail "$puller pull artifact of $who's push: $out"
        neutral_out $who <<<"$out" >"$scratch/pull.out.$who.$puller"
        (cd "$dir" && find . -mindepth 1 -printf '%y %m %s %P\n' | sort -k4) \
            >"$scratch/pull.tree.$who.$puller"
    done
done
assert_contains "$(cat "$scratch/push.layer.flux")" "-rwxr-xr-x 0/0" "flux's layer keeps run.sh's mode"
for what in push.out push.manifest push.config push.layer; do
    if ! d=$(diff -u "$scratch/$what.flux" "$scratch/$what.eddy"); then
        printf '=== %s (- flux, + eddy)\n%s\n' "$what" "$d" >>"$diffs"
    fi
done
for who in eddy flux; do
    for what in pull.out pull.tree; do
        if ! d=$(diff -u "$scratch/$what.$who.flux" "$scratch/$what.$who.eddy"); then
            printf '=== %s of %s'"'"'s push (- flux pull, + eddy pull)\n%s\n' "$what" "$who" "$d" >>"$diffs"
        fi
    done
done

step "eddy against Flux"
[ ! -s "$diffs" ] || fail "eddy differs from Flux's source-controller:
$(cat "$diffs")"
