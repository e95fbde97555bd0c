#!/usr/bin/env bash
# The OCI artifact verbs against the real registries (scripts/servers: registry,
# registry-auth), round trips as flux has them: push (--ignore-paths and flux's default
# exclusions, --reproducible giving the same digest twice, --annotations, -o json|yaml, a single
# file), list artifacts (table, --filter-semver, --filter-regex), tag artifact, pull artifact
# (the content back; a hostile `../` layer refused with nothing outside the output directory),
# diff artifact (no change, then exit 1 with flux's message); credentials from --creds and from
# a Docker config's auths (base64 auth, username/password), wrong ones refused, and a
# credential helper named, not run.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
scratch=$EDDY_E2E_SCRATCH
reg=$EDDY_REGISTRY
repo=cli/app

step "push: the default exclusions, --ignore-paths, --reproducible, --annotations, -o json"
mkdir -p "$scratch/src/.git" "$scratch/src/apps" "$scratch/src/docs"
echo "ref: refs/heads/main" >"$scratch/src/.git/HEAD"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n' >"$scratch/src/apps/cm.yaml"
echo png >"$scratch/src/apps/logo.png"
echo notes >"$scratch/src/docs/notes.md"
push() { # push TAG [FLAGS...]: eddy push artifact of src, prints its output
    local tag=$1
    shift
    "$eddy" push artifact "oci://$reg/$repo:$tag" --path "$scratch/src" --source https://git.example/app \
        --revision "main@sha1:$tag" "$@" 2>&1
}
out=$(push 1.0.0 --reproducible -a team=platform) || fail "push 1.0.0: $out"
d1=$(sed -n "s|^✔ artifact successfully pushed to $reg/$repo@\(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out")
assert_match '^sha256:[0-9a-f]{64}$' "$d1" "push: the digest"
json=$(push 1.0.0-again --reproducible -a team=platform -o json) || fail "push -o json: $json"
# The revision annotation differs (it names the tag), so the digest does too; the same
# revision gives the same digest:
out=$(push 1.0.0 --reproducible -a team=platform) || fail "push 1.0.0 again: $out"
assert_contains "$out" "$reg/$repo@$d1" "--reproducible: the same tree and flags, the same digest"
assert_eq "oci://$reg/$repo@$(jq -r .digest <<<"$json")" "$(jq -r .url <<<"$json")" "-o json: url"
assert_eq "$reg/$repo" "$(jq -r .repository <<<"$json")" "-o json: repository"
assert_eq "1.0.0-again" "$(jq -r .tag <<<"$json")" "-o json: tag"
yaml=$(push 1.1.0 --ignore-paths 'docs/' -o yaml) || fail "push -o yaml: $yaml"
assert_contains "$yaml" "tag: 1.1.0" "-o yaml: tag"
out=$("$eddy" push artifact "oci://$reg/$repo:single" --path "$scratch/src/apps/cm.yaml" \
    --source s --revision r 2>&1) || fail "push a single file: $out"
manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$reg/v2/$repo/manifests/1.0.0")
assert_eq "1970-01-01T00:00:00Z" "$(jq -r '.annotations["org.opencontainers.image.created"]' <<<"$manifest")" \
    "--reproducible: the created annotation"
assert_eq platform "$(jq -r '.annotations.team' <<<"$manifest")" "--annotations"

step "list artifacts: the table and the filters"
out=$("$eddy" list artifacts "oci://$reg/$repo" 2>&1) || fail "list artifacts: $out"
assert_match 'ARTIFACT[[:space:]]+DIGEST[[:space:]]+SOURCE[[:space:]]+REVISION' "$out" "list: header"
assert_match "$reg/$repo:1\.0\.0[[:space:]]+$d1[[:space:]]+https://git\.example/app[[:space:]]+main@sha1:1\.0\.0" \
    "$out" "list: a row"
assert_contains "$out" "$reg/$repo:single" "list: every tag"
out=$("$eddy" list artifacts "oci://$reg/$repo" --filter-semver '>=1.1.0' 2>&1) || fail "$out"
assert_contains "$out" "$repo:1.1.0" "--filter-semver keeps 1.1.0"
assert_eq 2 "$(wc -l <<<"$out")" "--filter-semver: the header and one row"
out=$("$eddy" list artifacts "oci://$reg/$repo" --filter-regex '^sing' 2>&1) || fail "$out"
assert_eq 2 "$(wc -l <<<"$out")" "--filter-regex: the header and one row"
assert_contains "$out" "$repo:single" "--filter-regex keeps single"
assert_fails "a bad semver range" "$eddy" list artifacts "oci://$reg/$repo" --filter-semver 'not a range'
assert_contains "$OUT" "semver 'not a range' parse error" "list: the range refused"

step "tag artifact, then pull it back"
out=$("$eddy" tag artifact "oci://$reg/$repo:1.0.0" --tag latest --tag stable 2>&1) || fail "tag: $out"
assert_contains "$out" "✔ artifact tagged as $reg/$repo:latest" "tag: latest"
assert_contains "$out" "✔ artifact tagged as $reg/$repo:stable" "tag: stable"
assert_contains "$("$eddy" list artifacts "oci://$reg/$repo" --filter-regex '^stable$')" "$d1" \
    "tag: stable has 1.0.0's digest"
mkdir -p "$scratch/pulled"
out=$("$eddy" pull artifact "oci://$reg/$repo:stable" --output "$scratch/pulled" 2>&1) || fail "pull: $out"
assert_contains "$out" "✔ source https://git.example/app" "pull: source"
assert_contains "$out" "✔ revision main@sha1:1.0.0" "pull: revision"
assert_contains "$out" "✔ digest $reg/$repo@$d1" "pull: digest"
assert_contains "$out" "✔ artifact content extracted to $scratch/pulled" "pull: extracted"
assert_eq "apps/cm.yaml docs/notes.md" "$(cd "$scratch/pulled" && find . -type f | sed 's|^\./||' | sort | xargs)" \
    "pull: the files, without .git and *.png (flux's default --ignore-paths)"
cmp -s "$scratch/src/apps/cm.yaml" "$scratch/pulled/apps/cm.yaml" || fail "pull: cm.yaml differs"
mkdir -p "$scratch/pulled-1.1.0"
assert_ok "pull 1.1.0" "$eddy" pull artifact "oci://$reg/$repo:1.1.0" -o "$scratch/pulled-1.1.0"
test ! -e "$scratch/pulled-1.1.0/docs" || fail "--ignore-paths docs/ left docs in"
assert_fails "pull into a missing directory" "$eddy" pull artifact "oci://$reg/$repo:1.0.0" -o "$scratch/nope"
assert_contains "$OUT" "invalid output path $scratch/nope" "pull: the output path refused"

step "pull artifact refuses a hostile layer"
mkdir -p "$scratch/evil"
echo pwned >"$scratch/evil/x"
python3 - "$scratch/evil.tgz" "$scratch/evil/x" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    t.add(sys.argv[2], arcname="../../escaped.txt")
PY
PUSH_IMAGE_LAYER=$scratch/evil.tgz "$EDDY_ROOT/scripts/push-image" "$reg" cli/evil 1.0.0 >/dev/null
mkdir -p "$scratch/out/inner"
assert_fails "pull of a ../ layer" "$eddy" pull artifact "oci://$reg/cli/evil:1.0.0" -o "$scratch/out/inner"
assert_contains "$OUT" "pulling artifact failed" "pull: the hostile layer refused"
test -z "$(find "$scratch" -name escaped.txt)" || fail "a file escaped the output directory"

step "diff artifact: no change, then flux's message and exit 1"
out=$("$eddy" diff artifact "oci://$reg/$repo:1.0.0" --path "$scratch/src" 2>&1) || fail "diff: $out"
assert_contains "$out" "✔ no changes detected" "diff: no change"
echo changed >>"$scratch/src/apps/cm.yaml"
set +e
out=$("$eddy" diff artifact "oci://$reg/$repo:1.0.0" --path "$scratch/src" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "diff: exit code when the contents differ"
assert_contains "$out" "✗ the remote artifact contents differs from the local one" "diff: message"

step "credentials: --creds, a Docker config's auths, wrong ones, a credential helper"
auth=$EDDY_REGISTRY_AUTH
good=$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD
mkdir -p "$scratch/dc-b64" "$scratch/dc-plain" "$scratch/dc-bad" "$scratch/dc-helper"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$auth" "$(printf %s "$good" | base64 -w0)" \
    >"$scratch/dc-b64/config.json"
printf '{"auths":{"https://%s/v1/":{"username":"%s","password":"%s"}}}' "$auth" \
    "$EDDY_REGISTRY_USER" "$EDDY_REGISTRY_PASSWORD" >"$scratch/dc-plain/config.json"
printf '{"auths":{"%s":{"username":"%s","password":"wrong"}}}' "$auth" "$EDDY_REGISTRY_USER" \
    >"$scratch/dc-bad/config.json"
printf '{"auths":{"%s":{}},"credsStore":"desktop"}' "$auth" >"$scratch/dc-helper/config.json"
out=$("$eddy" push artifact "oci://$auth/cli/private:1.0.0" --path "$scratch/src" --source s \
    --revision r --creds "$good" 2>&1) || fail "push with --creds: $out"
assert_contains "$out" "► logging in to registry with credentials" "--creds: flux's line"
out=$(DOCKER_CONFIG=$scratch/dc-b64 "$eddy" list artifacts "oci://$auth/cli/private" 2>&1) ||
    fail "list with a Docker config (auth): $out"
assert_contains "$out" "$auth/cli/private:1.0.0" "Docker config: base64 auth"
out=$(DOCKER_CONFIG=$scratch/dc-plain "$eddy" tag artifact "oci://$auth/cli/private:1.0.0" \
    --tag latest 2>&1) || fail "tag with a Docker config (username/password): $out"
assert_contains "$out" "artifact tagged as $auth/cli/private:latest" "Docker config: username/password"
mkdir -p "$scratch/pulled-private"
assert_ok "pull with ~/.docker/config.json" env -u DOCKER_CONFIG HOME="$scratch/home" sh -c \
    "mkdir -p '$scratch/home/.docker' && cp '$scratch/dc-b64/config.json' '$scratch/home/.docker/' &&
     '$eddy' pull artifact 'oci://$auth/cli/private:latest' -o '$scratch/pulled-private'"
test -f "$scratch/pulled-private/apps/cm.yaml" || fail "pull with ~/.docker/config.json: no content"
DOCKER_CONFIG=$scratch/dc-bad assert_fails "wrong credentials" "$eddy" list artifacts "oci://$auth/cli/private"
assert_contains "$OUT" "listing tags failed" "wrong credentials: flux's prefix"
assert_contains "$OUT" "authentication required" "wrong credentials: refused"
assert_fails "no credentials" env DOCKER_CONFIG="$scratch/dc-helper" "$eddy" pull artifact \
    "oci://$auth/cli/private:latest" -o "$scratch/pulled-private"
assert_contains "$OUT" "names the credential helper docker-credential-desktop for $auth" \
    "a credential helper: named"
assert_contains "$OUT" "eddy runs no credential helpers" "a credential helper: not run"
