#!/usr/bin/env bash
# tests/e2e/flux_oracle_source_test.sh: Flux's own source-controller (Flux 2.9.5's, built by
# hack/flux/build) as the oracle of eddy's GitRepository and OCIRepository. The same specs are
# created in two namespaces, one on Flux's shard (reconciled by source-controller) and one on
# eddy's (reconciled by eddy's agent); for each pair the test compares what the two wrote:
#   status     the artifact's revision, path and url (the namespace and the artifact server's
#              address are the only parts that must differ), its digest and size (each side's
#              checked against the file its server serves), the conditions (type, status,
#              reason, message), observedIgnore, observedInclude, observedSparseCheckout,
#              includedArtifacts, sourceVerificationMode;
#   artifact   the tarball's entries in their order (name, type, mode, owner, size, mtime);
#   Events     type, reason, message and annotations (counts and times aside).
# Deliberate differences (README.md, after "The artifact digest is eddy's own"), and only these,
# are made neutral: the archive's bytes, so the digests and sizes (libarchive writes eddy's tar
# stream, zlib its gzip: the entry listings are compared instead, with a directory's trailing '/'
# (libarchive's) and Flux's `.` entry for the root removed on both sides), and the server's 401
# page that Flux appends to "authentication required".
# The repository holds a name that is not UTF-8 (raw\xff/x\xff.yaml): both archive its bytes
# (libarchive marks the header hdrcharset=BINARY, which the listing does not show).
# Cases: branch, tag (annotated and lightweight), semver, commit and name refs; spec.ignore with
# a `!pattern`, .sourceignore files and the default exclusions; include, and an include that
# does not exist; sparseCheckout; a wrong password; a missing secret; a branch that does not
# exist; verify (OpenPGP) passing and failing. Then ArtifactOutdated after a new commit that
# failed to build, and a later failure before the includes (kept) and after them (removed).
# OCIRepository (artifacts pushed with `eddy push artifact`): tag, semver and digest refs, a
# layerSelector that copies the layer, a tag that does not exist.
# Every difference is reported (all of them, then the test fails): each is a bug in eddy to fix,
# or a deliberate difference to name above and in README.md.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nf=osrc-flux
ne=osrc-eddy
ns=$ne
repo=osrc

step "CRDs: eddy's, and Flux's source kinds eddy does not ship (source-controller watches them)"
flux_source_crds

step "namespaces, secrets"
export GNUPGHOME=$scratch/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1 || true' EXIT
gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key "eddy signer <signer@eddy.invalid>" \
    ed25519 sign never 2>/dev/null
gpg --batch --quiet --no-tty --passphrase '' --quick-gen-key "stranger <stranger@eddy.invalid>" \
    ed25519 sign never 2>/dev/null
signer_fpr=$(gpg --list-keys --with-colons signer@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
gpg --armor --export signer@eddy.invalid >"$scratch/signer.asc"
gpg --armor --export stranger@eddy.invalid >"$scratch/stranger.asc"
for n in $nf $ne; do
    new_namespace "$n"
    git_auth_secret "$n"
    git_auth_secret "$n" git-wrong not-the-password
    kubectl -n "$n" create secret generic pgp-signer --from-file=author.asc="$scratch/signer.asc" \
        >/dev/null
    kubectl -n "$n" create secret generic pgp-stranger \
        --from-file=other.asc="$scratch/stranger.asc" >/dev/null
done

step "a repository: directories, an executable, a symlink, .sourceignore, default exclusions, tags"
new_repo "$repo"
new_repo "$repo-inc"
git clone -q "$(git_http_url "$repo")" "$work" 2>/dev/null
sgit() { git -C "$work" -c user.signingkey="$signer_fpr" -c gpg.program=gpg "$@" 2>/dev/null; }
put apps/web/deploy.yaml <<<"kind: Deployment"
put apps/web/notes.md <<<"notes"
put apps/db/db.yaml <<<"kind: StatefulSet"
put docs/readme.txt <<<"read me"
put scripts/run.sh <<<"#!/bin/sh"
chmod 755 "$work/scripts/run.sh"
ln -s ../apps/web/deploy.yaml "$work/docs/link.yaml"
put .sourceignore <<<"*.md"
put apps/.sourceignore <<<"db/"
put logo.png <<<"png"
put .github/workflows/ci.yaml <<<"on: push"
put .sops.yaml <<<"creation_rules: []"
put bundle.tar.gz <<<"tar"
put .gitignore <<<"build/"
# names that are not UTF-8 (Git names are bytes): Go's archive/tar writes them as they are
put "raw"$'\xff'"/x"$'\xff'".yaml" <<<"kind: ConfigMap"
sgit add -A
sgit commit -qS -m "one"
sgit tag -s v1.0.0 -m "signed tag"
sgit tag -a v1.1.0 -m "annotated tag"
sgit tag v0.9.0
sgit push -q origin HEAD:main v1.0.0 v1.1.0 v0.9.0
first=$(git -C "$work" rev-parse HEAD)
put apps/web/deploy.yaml <<<"kind: Deployment # two"
sgit add -A
sgit commit -q -m "two, unsigned"
sgit push -q origin HEAD:main
git clone -q "$(git_http_url "$repo-inc")" "$scratch/inc" 2>/dev/null
mkdir -p "$scratch/inc/base"
echo "kind: Base" >"$scratch/inc/base/base.yaml"
echo "kind: Other" >"$scratch/inc/other.yaml"
git -C "$scratch/inc" add -A && git -C "$scratch/inc" commit -qm inc &&
    git -C "$scratch/inc" push -q origin HEAD:main

# gitrepo NAME SPEC-LINES [URL]: the GitRepository NAME of $repo (or URL) in both namespaces,
# each on its shard. $auth is the usual secretRef line.
auth="  secretRef: {name: git-auth}"
gitrepo() {
    local n shard
    for n in $nf $ne; do
        shard=${n#osrc-}
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $1, labels: {shard: $shard}}
spec:
  interval: 10m
  url: ${3:-$EDDY_GIT_HTTP_URL/$repo.git}
$2
YAML
    done
}
cases=()
case_() {
    cases+=("$1")
    gitrepo "$@"
}
gitrepo inc "$auth
  ref: {branch: main}" "$EDDY_GIT_HTTP_URL/$repo-inc.git"
case_ branch "$auth
  ref: {branch: main}"
case_ tag "$auth
  ref: {tag: v1.1.0}"
case_ lighttag "$auth
  ref: {tag: v0.9.0}"
case_ semver "$auth
  ref: {semver: '>=1.0.0 <1.1.0'}"
case_ commit "$auth
  ref: {commit: $first}"
case_ name "$auth
  ref: {name: refs/tags/v1.0.0}"
case_ ignore "$auth
  ref: {branch: main}
  ignore: |
    /docs/
    !/docs/readme.txt
    *.sh"
case_ sparse "$auth
  ref: {branch: main}
  sparseCheckout: [apps, ./docs/]"
case_ wrongpass "  ref: {branch: main}
  secretRef: {name: git-wrong}"
case_ nosecret "  ref: {branch: main}
  secretRef: {name: not-there}"
case_ noref "$auth
  ref: {branch: not-a-branch}"
case_ verified "$auth
  ref: {tag: v1.0.0}
  verify: {mode: TagAndHEAD, secretRef: {name: pgp-signer}}"
case_ verifyhead "$auth
  ref: {branch: main}
  verify: {mode: HEAD, secretRef: {name: pgp-signer}}"
case_ wrongkey "$auth
  ref: {tag: v1.0.0}
  verify: {mode: TagAndHEAD, secretRef: {name: pgp-stranger}}"

# kind_of NAME: the kind of case NAME: the oci-* cases are OCIRepositories.
kind_of() {
    case $1 in oci-*) echo ocirepository ;; *) echo gitrepository ;; esac
}

step "OCI artifacts (eddy push artifact) in the test registry, and OCIRepositories of them"
mkdir -p "$scratch/oci/apps" "$scratch/oci/bin"
echo "kind: ConfigMap" >"$scratch/oci/apps/cm.yaml"
echo "#!/bin/sh" >"$scratch/oci/bin/run.sh"
chmod 755 "$scratch/oci/bin/run.sh"
echo "notes" >"$scratch/oci/notes.md"
for tag in 1.0.0 1.1.0; do
    out=$("$eddy" push artifact "oci://$EDDY_REGISTRY/osrc/app:$tag" --path "$scratch/oci" \
        --source https://git.example/app --revision "main@sha1:$tag" 2>&1) ||
        fail "push artifact $tag: $out"
done
oci_digest=$(sed -n "s|^✔ artifact successfully pushed to $EDDY_REGISTRY/osrc/app@\(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out")
assert_match '^sha256:[0-9a-f]{64}$' "$oci_digest" "the pushed digest"
# ocirepo NAME SPEC-LINES: the OCIRepository NAME of osrc/app in both namespaces, each on its
# shard (the registry speaks plain HTTP: insecure, as Flux needs to be told).
ocirepo() {
    local n shard
    cases+=("$1")
    for n in $nf $ne; do
        shard=${n#osrc-}
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: $1, labels: {shard: $shard}}
spec:
  interval: 10m
  url: oci://$EDDY_REGISTRY/osrc/app
  insecure: true
$2
YAML
    done
}
ocirepo oci-tag "  ref: {tag: 1.0.0}"
ocirepo oci-semver "  ref: {semver: '>=1.0.0 <1.1.0'}"
ocirepo oci-digest "  ref: {digest: '$oci_digest'}"
ocirepo oci-copy "  ref: {tag: 1.1.0}
  layerSelector: {mediaType: application/vnd.cncf.flux.content.v1.tar+gzip, operation: copy}"
ocirepo oci-notag "  ref: {tag: 9.9.9}"

step "Flux's source-controller on shard flux, eddy's agent on shard eddy"
FLUX_NS=$nf flux_sc_start --requeue-dependency 2s
agent --watch-label-selector 'shard in (eddy,both)'

# The cases that must fail; the others must become Ready (include waits for inc first).
failing=" wrongpass nosecret noref verifyhead wrongkey includemissing oci-notag "
# settled_in NS NAME: NAME's Ready condition is about its current generation and is True (False
# for a failing case); NAME's JSON, read at that moment, is left in $scratch/NS-NAME.json (a
# failing GitRepository is retried, with Ready Unknown while a retry runs: that moment is not
# compared).
settled_in() {
    local out want=True json=$scratch/$1-$2.json
    [[ "$failing" != *" $2 "* ]] || want=False
    kubectl -n "$1" get "$(kind_of "$2")" "$2" -o json >"$json.tmp"
    out=$(jq -r '.metadata.generation as $g | (.status.conditions // [])[] |
        select(.type == "Ready") | select(.observedGeneration == $g) | .status' "$json.tmp")
    [ "$out" = "$want" ] || return 1
    # A failing object is looked at between its retries: each retry first marks Reconciling
    # Progressing ("processing object: new generation", while the last success is an older
    # generation) and leaves Ready as it was; the retry's end makes it ProgressingWithRetry.
    out=$(jq -r '(.status.conditions // [])[] | select(.type == "Reconciling") | .reason' "$json.tmp")
    [ "$out" != Progressing ] || return 1
    mv "$json.tmp" "$json"
}
# include once inc has its artifact on both sides (before, Flux may or may not catch it without
# one, a race), and an include of a GitRepository that does not exist (Flux's "waiting" error).
retry 120 settled_in $nf inc
retry 120 settled_in $ne inc
case_ include "$auth
  ref: {branch: main}
  include:
  - repository: {name: inc}
    fromPath: base
    toPath: deps/base
  - repository: {name: inc}"
case_ includemissing "$auth
  ref: {branch: main}
  include:
  - repository: {name: absent}"

for c in "${cases[@]}"; do
    retry 120 settled_in $nf "$c"
    retry 120 settled_in $ne "$c"
done
# A failing GitRepository is retried: let each side record its events for one more round.
sleep 3

# artifacts NS: downloads the artifact of each GitRepository of NS, checks that the digest and
# size in its status are those of the file served, and writes $scratch/NS.map: each name with
# its artifact's digest and size, which the comparisons below replace by a neutral label. The
# bytes of eddy's archive are not Go's (source.h), so the digests of the two sides differ; the
# entries inside are compared instead.
artifacts() {
    local name url file digest size map='{}'
    local obj
    for obj in $(kubectl -n "$1" get gitrepository,ocirepository -o name); do
        name=${obj#*/}
        url=$(kubectl -n "$1" get "$obj" -o jsonpath='{.status.artifact.url}')
        [ -n "$url" ] || continue
        file=$scratch/$1-$name.tar.gz
        curl -fs "$url" -o "$file" || fail "$1/$name: download of $url failed"
        digest=$(kubectl -n "$1" get "$obj" -o jsonpath='{.status.artifact.digest}')
        size=$(kubectl -n "$1" get "$obj" -o jsonpath='{.status.artifact.size}')
        assert_eq "sha256:$(sha256sum <"$file" | cut -d' ' -f1)" "$digest" "$1/$name: digest of the file"
        assert_eq "$(stat -c %s "$file")" "$size" "$1/$name: size of the file"
        map=$(jq -c --arg d "$digest" --arg n "$name" --argjson s "$size" \
            '. + {($n): {digest: $d, size: $s}}' <<<"$map")
    done
    echo "$map" >"$scratch/$1.map"
}
# A deliberate difference (README.md, "Differences from Flux"): Flux's go-git puts the body of
# the server's 401 answer (an HTML page here) after "authentication required"; eddy does not
# (libgit2 does not hand it over, and a server's page has no place in a condition).
# (A registry's error is compared as it is: eddy words it as Flux's go-containerregistry.)
nobody='def nobody: sub("authentication required: (?s).*$"; "authentication required");'
# view NS NAME: the comparable part of NAME's status: the namespace, the server's address and
# the digests (artifacts) made neutral.
view() {
    retry 30 settled_in "$1" "$2"
    jq -S --arg ns "$1" \
        --slurpfile m "$scratch/$1.map" "$nobody"'
        def neutral: if type == "string" then
            gsub($ns; "NS") | sub("^http://127.0.0.1:[0-9]+/"; "http://ADDR/") | nobody
            else . end;
        def art: if . == null then null else . as $a | ($a.path | split("/")[2]) as $n |
            ($m[0][$n]) as $k |
            {digest: (if $k.digest == $a.digest then "sha256 of the artifact of \($n)"
                      else $a.digest end),
             size: (if $k != null and $k.size == $a.size then "size of the file" else $a.size end),
             revision, path: (.path | neutral), url: (.url | neutral), metadata}
            end;
        .status as $s | {
          artifact: ($s.artifact | art),
          conditions: [($s.conditions // [])[] | {type, status, reason, message: (.message | neutral)}],
          observedIgnore: $s.observedIgnore,
          observedInclude: $s.observedInclude,
          observedSparseCheckout: $s.observedSparseCheckout,
          observedRecurseSubmodules: $s.observedRecurseSubmodules,
          includedArtifacts: [($s.includedArtifacts // [])[] | art],
          sourceVerificationMode: $s.sourceVerificationMode,
          observedLayerSelector: $s.observedLayerSelector
        }' "$scratch/$1-$2.json"
}
# entries NS NAME: NAME's artifact, entry by entry in its order (type and mode, owner, size,
# mtime, name). The two deliberate differences in the tar stream are removed on both sides: the
# '/' that ends a directory's name (libarchive's) and the root's own `.` entry (Flux's).
entries() {
    [ ! -f "$scratch/$1-$2.tar.gz" ] ||
        tar --numeric-owner --full-time --warning=no-unknown-keyword -tvzf "$scratch/$1-$2.tar.gz" |
        sed -e '/^d/s#/$##' -e '/^d.* \.$/d'
}
# events NS NAME: the Events about NAME, once each, digests made neutral.
events() {
    kubectl -n "$1" get events -o json | jq -S --arg n "$2" --arg ns "$1" \
        --slurpfile m "$scratch/$1.map" "$nobody"'
        def neutral: if type == "string" then
            gsub($ns; "NS") | nobody |
            (if . == $m[0][$n].digest then "sha256 of the artifact of \($n)" else . end)
            else . end;
        [.items[] | select(.involvedObject.name == $n and
            (.involvedObject.kind == "GitRepository" or .involvedObject.kind == "OCIRepository"))
         | {type, reason, message: (.message | neutral),
            annotations: ((.metadata.annotations // {}) | map_values(neutral))}] | unique'
}

artifacts $nf
artifacts $ne
diffs=$scratch/differences
: >"$diffs"
for c in "${cases[@]}"; do
    for what in view entries events; do
        "$what" $nf "$c" >"$scratch/$c.$what.flux"
        "$what" $ne "$c" >"$scratch/$c.$what.eddy"
        if ! d=$(diff -u "$scratch/$c.$what.flux" "$scratch/$c.$what.eddy"); then
            printf '=== %s: %s (- flux, + eddy)\n%s\n' "$c" "$what" "$d" >>"$diffs"
        fi
    done
done

step "sanity: the oracle did its work"
assert_eq "True" "$(kubectl -n $nf get gitrepository branch -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
    "Flux's branch Ready"
assert_contains "$(cat "$scratch/branch.entries.flux")" "apps/web/deploy.yaml" "Flux's artifact"
assert_contains "$(cat "$scratch/branch.entries.eddy")" "apps/web/deploy.yaml" "eddy's artifact"
assert_contains "$(cat "$scratch/branch.entries.flux")" 'raw\377/x\377.yaml' "Flux's non-UTF-8 name"
assert_eq "False" "$(kubectl -n $nf get gitrepository wrongkey -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
    "Flux's wrongkey Ready"

step "ArtifactOutdated, then a later failure: kept before the includes, gone after them"
# source-controller marks ArtifactOutdated (NewRevision) when a new commit then fails to build
# beside a stored artifact (here an include copied onto a directory of the repository), and
# removes the mark once it has the includes, before it fetches: a later Secret that is missing
# leaves the mark, a branch that is not there removes it.
new_repo "$repo-outd"
git clone -q "$(git_http_url "$repo-outd")" "$scratch/outd" 2>/dev/null
mkdir -p "$scratch/outd/apps"
echo "kind: Outd" >"$scratch/outd/apps/outd.yaml"
git -C "$scratch/outd" add -A && git -C "$scratch/outd" commit -qm "outd one" &&
    git -C "$scratch/outd" push -q origin HEAD:main
outd_url=$EDDY_GIT_HTTP_URL/$repo-outd.git
gitrepo outd "$auth
  ref: {branch: main}
  include:
  - repository: {name: inc}" "$outd_url"
retry 120 settled_in $nf outd
retry 120 settled_in $ne outd
echo "kind: Outd2" >"$scratch/outd/apps/two.yaml"
git -C "$scratch/outd" add -A && git -C "$scratch/outd" commit -qm "outd two" &&
    git -C "$scratch/outd" push -q origin HEAD:main
# phase SPEC-LINES WHAT: the spec changed on both sides, then, once each side's Ready is False
# for the new generation, the conditions compared (a copy's words name the controller's own
# temporary directories: cut after "include from").
failing+=" outd "
phase() {
    gitrepo outd "$1" "$outd_url"
    retry 120 settled_in $nf outd
    retry 120 settled_in $ne outd
    sleep 2
    for n in $nf $ne; do
        retry 30 settled_in "$n" outd
        jq -S --arg ns "$n" '[.status.conditions[] | {type, status, reason,
            message: (.message | gsub($ns; "NS") | sub("include from .*"; "include from ..."))}]' \
            "$scratch/$n-outd.json" >"$scratch/outd-$2.${n#osrc-}"
    done
    if ! d=$(diff -u "$scratch/outd-$2.flux" "$scratch/outd-$2.eddy"); then
        printf '=== outd, %s: conditions (- flux, + eddy)\n%s\n' "$2" "$d" >>"$diffs"
    fi
}
outdated() { jq -r '[.status.conditions[] | select(.type == "ArtifactOutdated") | .reason] | join(",")' \
    "$scratch/$nf-outd.json"; }
phase "$auth
  ref: {branch: main}
  include:
  - repository: {name: inc}
    toPath: apps" copy
assert_eq NewRevision "$(outdated)" "Flux's ArtifactOutdated after the failed copy"
phase "  secretRef: {name: not-there}
  ref: {branch: main}
  include:
  - repository: {name: inc}
    toPath: apps" secret
assert_eq NewRevision "$(outdated)" "Flux's ArtifactOutdated after a missing Secret"
phase "$auth
  ref: {branch: not-a-branch}
  include:
  - repository: {name: inc}
    toPath: apps" branch
assert_eq "" "$(outdated)" "Flux's ArtifactOutdated after a branch that is not there"

step "eddy against Flux"
[ ! -s "$diffs" ] || fail "eddy differs from Flux's source-controller:
$(cat "$diffs")"
