#!/usr/bin/env bash
# tests/e2e/smoke_test.sh: proves the e2e harness itself, without eddy.
#
# The cluster runs workloads to readiness (a Deployment becomes Available, a StatefulSet rolls
# out, a Job completes); every Git server takes a push from the git CLI and gives the same
# commit and content back on clone and fetch (HTTP and HTTPS with basic auth, ssh with the
# test key and known_hosts, git daemon), and refuses wrong credentials, unknown keys and
# untrusted certificates; both registries list the tags pushed with scripts/push-image, and the
# htpasswd one refuses anonymous and wrong-password access.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

ns=e2e-smoke

# --- Kubernetes ------------------------------------------------------------------------------
step "namespace $ns"
new_namespace "$ns"

step "a Deployment becomes Available"
kubectl -n "$ns" apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1.0.0
EOF
kubectl -n "$ns" wait --for=condition=Available deployment/web --timeout=60s
assert_eq 2 "$(kubectl -n "$ns" get deployment web -o 'jsonpath={.status.readyReplicas}')" \
    "ready replicas of deployment/web"

step "a StatefulSet rolls out"
kubectl -n "$ns" apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: registry.invalid/db:1.0.0
EOF
kubectl -n "$ns" rollout status statefulset/db --timeout=60s
assert_eq 2 "$(kubectl -n "$ns" get statefulset db -o 'jsonpath={.status.readyReplicas}')" \
    "ready replicas of statefulset/db"

step "a Job completes"
kubectl -n "$ns" apply -f - <<'EOF'
apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: once
        image: registry.invalid/once:1.0.0
EOF
kubectl -n "$ns" wait --for=condition=Complete job/once --timeout=60s
assert_eq 1 "$(kubectl -n "$ns" get job once -o 'jsonpath={.status.succeeded}')" \
    "succeeded pods of job/once"

# --- Git servers -----------------------------------------------------------------------------

# roundtrip KIND GIT...: pushes two commits to a new repository smoke-KIND over the server of
# KIND (URL from git_KIND_url, git run as GIT...), and checks that a clone and a fetch over the
# same server return exactly those commits and that content.
roundtrip() {
    local kind=$1 repo=smoke-$1 url
    shift
    url=$("git_${kind}_url" "$repo")
    new_repo "$repo"
    local work=$EDDY_E2E_SCRATCH/$kind-work clone=$EDDY_E2E_SCRATCH/$kind-clone
    git init -q -b main "$work"
    echo "hello over $kind, $RANDOM" >"$work/hello.txt"
    git -C "$work" add hello.txt
    git -C "$work" commit -q -m "first commit over $kind"
    "$@" -C "$work" push -q "$url" main
    "$@" clone -q "$url" "$clone"
    assert_eq "$(git -C "$work" rev-parse HEAD)" "$(git -C "$clone" rev-parse HEAD)" \
        "$kind: commit id of the clone"
    assert_eq "$(cat "$work/hello.txt")" "$(cat "$clone/hello.txt")" "$kind: cloned content"
    assert_eq main "$(git -C "$clone" symbolic-ref --short HEAD)" "$kind: default branch"

    # A second commit, with a 2 MB file (a pack too big for one HTTP buffer), then a fetch.
    head -c 2000000 /dev/urandom >"$work/blob.bin"
    echo "second" >>"$work/hello.txt"
    git -C "$work" add hello.txt blob.bin
    git -C "$work" commit -q -m "second commit over $kind"
    "$@" -C "$work" push -q "$url" main
    "$@" -C "$clone" pull -q --ff-only
    assert_eq "$(git -C "$work" rev-parse HEAD)" "$(git -C "$clone" rev-parse HEAD)" \
        "$kind: commit id after fetch"
    assert_eq "$(cat "$work/hello.txt")" "$(cat "$clone/hello.txt")" "$kind: fetched content"
    cmp -s "$work/blob.bin" "$clone/blob.bin" || fail "$kind: fetched blob.bin differs"
    # The server's own copy has the commit (all servers share one directory of repositories).
    assert_eq "$(git -C "$work" rev-parse HEAD)" \
        "$(git -C "$EDDY_GIT_ROOT/$repo.git" rev-parse main)" "$kind: main in the bare repository"
}

step "git over HTTP with basic auth"
roundtrip http git
step "git over HTTPS with basic auth and the test CA"
roundtrip https git_https
step "git over ssh with the test key and known_hosts"
roundtrip ssh git
step "git over git://"
roundtrip daemon git

step "one repository, every protocol"
want=$(git -C "$EDDY_GIT_ROOT/smoke-ssh.git" rev-parse main)
for kind in http https ssh daemon; do
    out=$(git_https ls-remote "$("git_${kind}_url" smoke-ssh)" refs/heads/main)
    assert_eq "$want" "${out%%[[:space:]]*}" "main of smoke-ssh over $kind"
done

step "HTTP refuses wrong and missing credentials"
bad_http=$(with_userinfo "$EDDY_GIT_HTTP_URL/smoke-http.git" "$EDDY_GIT_HTTP_USER" wrong)
assert_fails "git with a wrong password" git ls-remote "$bad_http"
assert_contains "$OUT" "Authentication failed" "git with a wrong password"
assert_fails "git without credentials" git ls-remote "$EDDY_GIT_HTTP_URL/smoke-http.git"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -u "$EDDY_GIT_HTTP_USER:wrong" \
    "$EDDY_GIT_HTTP_URL/smoke-http.git/info/refs?service=git-upload-pack")" "HTTP status, wrong password"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$EDDY_GIT_HTTPS_CA" \
    "$EDDY_GIT_HTTPS_URL/smoke-http.git/info/refs?service=git-upload-pack")" "HTTPS status, no credentials"
bad_https=$(with_userinfo "$EDDY_GIT_HTTPS_URL/smoke-http.git" "$EDDY_GIT_HTTP_USER" wrong)
assert_fails "git over HTTPS with a wrong password" git_https ls-remote "$bad_https"
assert_contains "$OUT" "Authentication failed" "git over HTTPS with a wrong password"

step "HTTPS is refused without the test CA"
assert_fails "git over HTTPS with the system CAs" env GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt \
    git ls-remote "$(git_https_url smoke-http)"
assert_contains "$OUT" "certificate" "git over HTTPS with the system CAs"

step "ssh refuses an unknown key and an unknown host key"
ssh-keygen -q -t ed25519 -N '' -f "$EDDY_E2E_SCRATCH/other_key"
assert_fails "git over ssh with an unknown key" env \
    GIT_SSH_COMMAND="${GIT_SSH_COMMAND/$EDDY_GIT_SSH_KEY/$EDDY_E2E_SCRATCH/other_key}" \
    git ls-remote "$(git_ssh_url smoke-ssh)"
assert_contains "$OUT" "Permission denied" "git over ssh with an unknown key"
: >"$EDDY_E2E_SCRATCH/empty_known_hosts"
assert_fails "git over ssh with an empty known_hosts" env \
    GIT_SSH_COMMAND="${GIT_SSH_COMMAND/$EDDY_GIT_SSH_KNOWN_HOSTS/$EDDY_E2E_SCRATCH/empty_known_hosts}" \
    git ls-remote "$(git_ssh_url smoke-ssh)"
assert_contains "$OUT" "Host key verification failed" "git over ssh with an empty known_hosts"

# --- registries ------------------------------------------------------------------------------

# tags REGISTRY NAME [CURL-ARGS...]: the tags of NAME, comma-separated, sorted.
tags() {
    local reg=$1 name=$2
    shift 2
    curl -fsS "$@" "http://$reg/v2/$name/tags/list" | jq -r '.tags | sort | join(",")'
}

step "anonymous registry: push and list tags"
d1=$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" smoke/app 1.0.0)
d2=$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" smoke/app 1.1.0)
assert_match '^sha256:[0-9a-f]{64}$' "$d1" "digest of smoke/app:1.0.0"
assert_ne "$d1" "$d2" "digests of two tags"
assert_eq "1.0.0,1.1.0" "$(tags "$EDDY_REGISTRY" smoke/app)" "tags of smoke/app"
head=$(curl -fsS -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$EDDY_REGISTRY/v2/smoke/app/manifests/1.1.0")
assert_contains "$head" "Docker-Content-Digest: $d2" "digest of smoke/app:1.1.0 from the registry"
# Pushing a tag again gives the same manifest.
assert_eq "$d1" "$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" smoke/app 1.0.0)" \
    "digest of smoke/app:1.0.0, pushed again"

step "htpasswd registry: push and list tags with credentials"
creds=$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD
d3=$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY_AUTH" smoke/private v2.0.0 "$creds")
assert_match '^sha256:[0-9a-f]{64}$' "$d3" "digest of smoke/private:v2.0.0"
assert_eq "v2.0.0" "$(tags "$EDDY_REGISTRY_AUTH" smoke/private -u "$creds")" "tags of smoke/private"

step "htpasswd registry refuses anonymous and wrong-password access"
status() {
    curl -s -o /dev/null -w '%{http_code}' "$@"
}
assert_eq 401 "$(status "http://$EDDY_REGISTRY_AUTH/v2/")" "anonymous GET /v2/"
assert_eq 401 "$(status "http://$EDDY_REGISTRY_AUTH/v2/smoke/private/tags/list")" \
    "anonymous GET tags/list"
assert_eq 401 "$(status -u "$EDDY_REGISTRY_USER:wrong" "http://$EDDY_REGISTRY_AUTH/v2/smoke/private/tags/list")" \
    "GET tags/list with a wrong password"
assert_fails "anonymous push" "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY_AUTH" smoke/private v9
assert_contains "$OUT" "wants basic auth" "anonymous push"

step "done"
