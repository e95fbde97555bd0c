# tests/e2e/github_lib.sh: a GitHub App's world on 127.0.0.1 for the tests of spec.provider
# github (sourced after lib.sh): the App's keys, a stand-in for GitHub's API that checks the
# App's JWT and issues one installation token (tests/e2e/github_api.py), and a Git server over
# HTTPS (lighttpd + git-http-backend) that takes only that token.

# github_servers REPO: in $EDDY_E2E_SCRATCH, the App's key app.pem (PKCS#1, as GitHub hands them
# out) and app.pub, a stranger's key stranger.pem (PKCS#8), the servers' certificate tls.crt
# (self-signed for 127.0.0.1: the CA of the Secrets); the API (App ID 4242, installation 777 on
# the organization acme, every call appended to api.log) at $api; the Git server on $gitport,
# whose repository REPO (made here, one commit: $github_first) is at $url. $token is the
# installation token the API issues (for an hour) and the Git server takes (as x-access-token).
github_servers() {
    local repo=$1 s=$EDDY_E2E_SCRATCH
    step "the App's keys, a serving certificate, the token the API will issue"
    openssl genrsa -traditional -out "$s/app.pem" 2048 2>/dev/null
    openssl rsa -in "$s/app.pem" -pubout -out "$s/app.pub" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$s/stranger.pem" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -keyout "$s/tls.key" -out "$s/tls.crt" -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
    token="ghs_$(openssl rand -hex 18)"

    step "the GitHub API stand-in"
    touch "$s/api.log"
    bg_start github-api python3 "$EDDY_ROOT/tests/e2e/github_api.py" "$s/api.port" \
        "$s/api.log" "$s/tls.crt" "$s/tls.key" 4242 "$s/app.pub" 777 acme "$token" 3600
    retry 50 test -s "$s/api.port"
    api="https://127.0.0.1:$(cat "$s/api.port")/api/v3"

    step "a Git server over HTTPS that takes only the installation token"
    gitport=$(free_port)
    mkdir -p "$s/lighttpd/tmp" "$s/lighttpd/docroot"
    printf 'x-access-token:%s\n' "$token" >"$s/lighttpd/users"
    cat >"$s/lighttpd/lighttpd.conf" <<EOF
server.document-root = "$s/lighttpd/docroot"
server.upload-dirs = ( "$s/lighttpd/tmp" )
server.bind = "127.0.0.1"
server.port = $gitport
server.feature-flags = ( "server.h2proto" => "disable" )
server.modules = ( "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi", "mod_openssl" )
auth.backend = "plain"
auth.backend.plain.userfile = "$s/lighttpd/users"
auth.require = ( "/git/" => ( "method" => "basic", "realm" => "github", "require" => "valid-user" ) )
alias.url = ( "/git/" => "/usr/lib/git-core/git-http-backend/" )
\$HTTP["url"] =~ "^/git/" {
    cgi.assign = ( "" => "" )
    setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$EDDY_GIT_ROOT", "GIT_HTTP_EXPORT_ALL" => "" )
}
ssl.engine = "enable"
ssl.pemfile = "$s/tls.crt"
ssl.privkey = "$s/tls.key"
EOF
    bg_start git-github lighttpd -D -f "$s/lighttpd/lighttpd.conf"
    retry 50 curl -sS -o /dev/null --cacert "$s/tls.crt" "https://127.0.0.1:$gitport/git/"
    url="https://127.0.0.1:$gitport/git/$repo.git"

    step "a repository with one commit"
    new_repo "$repo"
    git clone -q "$(git_http_url "$repo")" "$s/work" 2>/dev/null
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n' >"$s/work/one.yaml"
    git -C "$s/work" add -A
    git -C "$s/work" commit -qm "first"
    git -C "$s/work" push -q origin HEAD:main
    github_first=$(git -C "$s/work" rev-parse HEAD)
}

# github_secrets NS: in NS, the Secrets of the cases (each with the App ID, the API's URL and
# the CA): by-id (installation 777), by-owner (acme), stranger (another key), no-key, both
# (installation ID and owner), and plain (no App data).
github_secrets() {
    app_secret() {
        local name=$1
        shift
        kubectl -n "$ns_" create secret generic "$name" --from-literal=githubAppID=4242 \
            --from-literal=githubAppBaseURL="$api" --from-file=ca.crt="$EDDY_E2E_SCRATCH/tls.crt" \
            "$@" >/dev/null
    }
    local ns_=$1 key=$EDDY_E2E_SCRATCH/app.pem
    app_secret by-id --from-literal=githubAppInstallationID=777 --from-file=githubAppPrivateKey="$key"
    app_secret by-owner --from-literal=githubAppInstallationOwner=acme \
        --from-file=githubAppPrivateKey="$key"
    app_secret stranger --from-literal=githubAppInstallationID=777 \
        --from-file=githubAppPrivateKey="$EDDY_E2E_SCRATCH/stranger.pem"
    app_secret no-key --from-literal=githubAppInstallationID=777
    app_secret both --from-literal=githubAppInstallationID=777 \
        --from-literal=githubAppInstallationOwner=acme --from-file=githubAppPrivateKey="$key"
    kubectl -n "$ns_" create secret generic plain --from-file=ca.crt="$EDDY_E2E_SCRATCH/tls.crt" \
        >/dev/null
}

# github_gitrepo NS NAME SECRET|- [PROVIDER [LABELS]]: the GitRepository NAME of $url (branch
# main) in NS.
github_gitrepo() {
    local secret="" provider=""
    [ "$3" = - ] || secret="  secretRef: {name: $3}"
    [ -z "${4:-}" ] || provider="  provider: $4"
    kubectl -n "$1" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: $2, labels: {${5:-}}}
spec:
  interval: 10m
  url: $url
  ref: {branch: main}
$secret
$provider
YAML
}

# github_cases NS [LABELS]: the GitRepositories of the cases in NS: app-by-id, app-by-owner,
# app-stranger, app-no-key, app-both, app-no-secret, app-plain (provider github) and
# app-generic (the by-id Secret, no provider).
github_cases() {
    github_gitrepo "$1" app-by-id by-id github "${2:-}"
    github_gitrepo "$1" app-by-owner by-owner github "${2:-}"
    github_gitrepo "$1" app-stranger stranger github "${2:-}"
    github_gitrepo "$1" app-no-key no-key github "${2:-}"
    github_gitrepo "$1" app-both both github "${2:-}"
    github_gitrepo "$1" app-no-secret - github "${2:-}"
    github_gitrepo "$1" app-plain plain github "${2:-}"
    github_gitrepo "$1" app-generic by-id "" "${2:-}"
}
