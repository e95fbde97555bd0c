# tests/e2e/lib.sh: helpers for the end-to-end tests (sourced by each tests/e2e/*_test.sh).
#
# tests/e2e/run starts one cluster and every test server, then runs each test with:
#   KUBECONFIG            admin kubeconfig of the cluster (EDDY_USER_KUBECONFIG: an unprivileged user)
#   EDDY_ROOT             the repository; EDDY_BIN the eddy under test (build/eddy by default)
#   EDDY_E2E_TEST         the test's name ("smoke" for smoke_test.sh)
#   EDDY_E2E_SCRATCH      a directory of its own (also the working directory; TMPDIR is in it)
#   the servers' variables (see scripts/servers: EDDY_GIT_HTTP_URL, EDDY_REGISTRY, ...)
# This file makes Git hermetic (no user or system config, a fixed identity, no prompts, ssh
# with the test key and known_hosts only) and offers assertions that print a clear message and
# `exit 1` on failure. Call them at the top level of the test, not inside $(...) or a pipeline,
# where `exit` would leave only a subshell. Processes a test starts with bg_start are stopped
# by the runner when the test ends, however it ends.
set -euo pipefail

: "${EDDY_ROOT:?tests/e2e/lib.sh: run the tests with tests/e2e/run}"
: "${EDDY_E2E_SCRATCH:?tests/e2e/lib.sh: run the tests with tests/e2e/run}"
. "$EDDY_ROOT/scripts/lib/common.sh"

# --- Git, hermetic -----------------------------------------------------------------------------
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="eddy e2e" GIT_AUTHOR_EMAIL="e2e@eddy.invalid"
export GIT_COMMITTER_NAME="eddy e2e" GIT_COMMITTER_EMAIL="e2e@eddy.invalid"
if [ -n "${EDDY_GIT_SSH_COMMAND:-}" ]; then
    export GIT_SSH_COMMAND=$EDDY_GIT_SSH_COMMAND
fi

# --- messages and assertions -------------------------------------------------------------------

# step MESSAGE: marks progress in the test's log (shown when the test fails).
step() {
    echo "--- $*"
}

# fail MESSAGE: ends the test as failed.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL WHAT
assert_ne() {
    [ "$1" != "$2" ] || fail "$3: did not expect '$2'"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
    [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in:
$1"
}

# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
    [[ "$1" != *"$2"* ]] || fail "$3: '$2' unexpectedly found in:
$1"
}

# assert_match REGEX VALUE WHAT (bash regular expression, unanchored unless REGEX anchors)
assert_match() {
    [[ "$2" =~ $1 ]] || fail "$3: '$2' does not match /$1/"
}

# assert_ok WHAT CMD...: CMD must succeed; its output is shown when it does not.
assert_ok() {
    local what=$1 out
    shift
    out=$("$@" 2>&1) || fail "$what: '$*' failed:
$out"
}

# assert_fails WHAT CMD...: CMD must fail. Its output (stdout and stderr) is left in $OUT, for
# a following assert_contains.
OUT=
assert_fails() {
    local what=$1
    shift
    if OUT=$("$@" 2>&1); then
        fail "$what: '$*' succeeded, expected a failure; output:
$OUT"
    fi
}

# retry SECONDS CMD...: runs CMD every 0.5 s until it succeeds; fails the test, with CMD's
# last output, when SECONDS pass.
retry() {
    local limit=$1 out
    shift
    local deadline=$((SECONDS + limit))
    until out=$("$@" 2>&1); do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "gave up after ${limit}s: '$*'; last output:
$out"
        fi
        sleep 0.5
    done
}

# --- background processes ----------------------------------------------------------------------

# bg_start NAME CMD...: runs CMD in the background (own session, output in
# $EDDY_E2E_SCRATCH/NAME.log, pid in $EDDY_E2E_SCRATCH/NAME.pid). The runner stops it at the
# latest when the test ends.
bg_start() {
    local name=$1
    shift
    start_bg "$EDDY_E2E_SCRATCH/$name.pid" "$EDDY_E2E_SCRATCH/$name.log" "$@"
}

# bg_stop NAME: stops what bg_start NAME started.
bg_stop() {
    stop_pidfile "$EDDY_E2E_SCRATCH/$1.pid"
}

# --- Kubernetes --------------------------------------------------------------------------------

# new_namespace NAME: creates namespace NAME, after deleting a leftover of an earlier test.
# The runner deletes it once the test is over (tests/e2e/run, drop_namespaces).
new_namespace() {
    kubectl delete namespace "$1" --ignore-not-found --wait=true >/dev/null
    kubectl create namespace "$1" >/dev/null
    echo "$1" >>"$EDDY_E2E_SCRATCH/namespaces"
}

# git_auth_secret NS [NAME [PASSWORD]]: creates in NS the Secret NAME (default git-auth) with the
# Git servers' HTTP user and PASSWORD (default theirs: another one makes a Secret they refuse),
# the basic auth a GitRepository's secretRef names.
git_auth_secret() {
    kubectl -n "$1" create secret generic "${2:-git-auth}" \
        --from-literal=username="$EDDY_GIT_HTTP_USER" \
        --from-literal=password="${3:-$EDDY_GIT_HTTP_PASSWORD}" >/dev/null
}

# --- Git servers ---------------------------------------------------------------------------------

# new_repo NAME: creates the bare repository NAME.git (branch main) on every Git server.
new_repo() {
    "$EDDY_ROOT/scripts/servers" repo "$EDDY_SERVERS_DIR" "$1" >/dev/null
}

# with_userinfo URL USER PASSWORD: URL with USER:PASSWORD@ after the scheme.
with_userinfo() {
    echo "${1%%://*}://$2:$3@${1#*://}"
}

# The URL of repository NAME on each server; the HTTP ones carry the credentials.
git_http_url() {
    with_userinfo "$EDDY_GIT_HTTP_URL/$1.git" "$EDDY_GIT_HTTP_USER" "$EDDY_GIT_HTTP_PASSWORD"
}
git_https_url() {
    with_userinfo "$EDDY_GIT_HTTPS_URL/$1.git" "$EDDY_GIT_HTTP_USER" "$EDDY_GIT_HTTP_PASSWORD"
}
git_ssh_url() {
    echo "$EDDY_GIT_SSH_URL/$1.git"
}
git_daemon_url() {
    echo "$EDDY_GIT_DAEMON_URL/$1.git"
}

# git_https CMD...: git that trusts the test CA (for the HTTPS server).
git_https() {
    GIT_SSL_CAINFO=$EDDY_GIT_HTTPS_CA git "$@"
}
