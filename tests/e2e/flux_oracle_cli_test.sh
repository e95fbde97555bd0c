#!/usr/bin/env bash
# tests/e2e/flux_oracle_cli_test.sh: Flux's own CLI (flux2 v2.9.5, built by hack/flux/build into
# .bin/flux, or $FLUX_BIN) as the oracle of eddy's, and as a client of eddy's agent.
#
# 1. create --export of every kind and flag eddy shares with flux: the same bytes on stdout and
#    stderr and the same exit code, errors of bad flags (and --label's checks) included; the
#    deliberate differences are listed at the end of the step, each asserted as what eddy does
#    instead.
# 2. On objects that the real `flux create` made and eddy's agent reconciled: get (each kind,
#    -A, --status-selector, --no-header, get all), export, tree, trace, stats, events (less the
#    LAST SEEN ages): the same output from both.
# 3. The real flux driving eddy's agent: reconcile source git, reconcile kustomization
#    --with-source, suspend/resume (each CLI's stdout and stderr compared apart), delete: each ends as with Flux.
# 4. build / diff kustomization: the same objects (compared sorted: helpers change the build
#    order to Flux's) and the same diff lines, for maps and lists added, removed, renamed and
#    reordered (dyff's report).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

flux=${FLUX_BIN:-$EDDY_ROOT/.bin/flux}
[ -x "$flux" ] || fail "no $flux: run hack/flux/build (scripts/setup does)"

# same WHAT ARGS...: flux ARGS and eddy ARGS print the same stdout and stderr and exit alike
# (each output through $NORM when set, a sed script for what must differ: ages).
same() {
    local what=$1 fo fe fr eo ee er
    shift
    fr=0
    er=0
    fo=$("$flux" "$@" 2>"$scratch/flux.err") || fr=$?
    eo=$("$eddy" "$@" 2>"$scratch/eddy.err") || er=$?
    fe=$(<"$scratch/flux.err")
    ee=$(<"$scratch/eddy.err")
    if [ -n "${NORM:-}" ]; then
        fo=$(sed -E "$NORM" <<<"$fo")
        eo=$(sed -E "$NORM" <<<"$eo")
        fe=$(sed -E "$NORM" <<<"$fe")
        ee=$(sed -E "$NORM" <<<"$ee")
    fi
    [ "$fo" = "$eo" ] || fail "$what: stdout of '$*' differs:
$(diff <(echo "$fo") <(echo "$eo") | head -40)"
    [ "$fe" = "$ee" ] || fail "$what: stderr of '$*' differs:
$(diff <(echo "$fe") <(echo "$ee") | head -40)"
    assert_eq "$fr" "$er" "$what: exit code of '$*'"
}

step "create --export: the same YAML, warnings, errors and exit codes as flux"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' >"$scratch/ca.pem"
# a client certificate and its key, another key (EC) and an Ed25519 key: create secret tls and
# helm check the pair as Go's tls.X509KeyPair
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$scratch/tls.key" -out "$scratch/tls.crt" \
    -days 1 -subj /CN=client 2>/dev/null
openssl ecparam -genkey -name prime256v1 -noout -out "$scratch/ec.key"
openssl genpkey -algorithm ed25519 -out "$scratch/ed.key"
printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' >"$scratch/bad.key"
: >"$scratch/empty"
tls=(--tls-crt-file "$scratch/tls.crt" --tls-key-file "$scratch/tls.key")
printf -- '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n' >"$scratch/app.pem"
zero=sha256:0000000000000000000000000000000000000000000000000000000000000000
# Notation trust policies: a valid one, and one for each kind of error flux reports (Go's JSON
# syntax and type errors, notation-go's Validate, a subject that is no DN); CA files by name
policy() {
    printf '{"version": "1.0", "trustPolicies": [{"name": "p", "registryScopes": [%s],
  "signatureVerification": {"level": "%s"}, "trustStores": ["ca:s"], "trustedIdentities": [%s]}]}\n' "$@"
}
policy '"ghcr.io/stefanprodan/podinfo"' strict '"x509.subject: C=US, ST=WA, O=flux, CN=flux"' >"$scratch/tp.json"
policy '"ghcr.io/a"' audit '"*"' >"$scratch/tp-audit.json"
policy '"*", "ghcr.io/a"' audit '"*"' >"$scratch/tp-scopes.json"
policy '"ghcr.io/a"' skip '"*"' >"$scratch/tp-skip.json"
policy '"ghcr.io/a"' audit '"x509.subject: C=US, O=flux"' >"$scratch/tp-dn.json"
policy '"ghcr.io/a"' audit '"x509.subject: C=US+ST=WA, O=flux"' >"$scratch/tp-multi.json"
policy '"ghcr.io/a"' audit '"x509.subject: C=US, ST=WA, O=flux, X"' >"$scratch/tp-ldap.json"
policy '"ghcr.io/A"' audit '"*"' >"$scratch/tp-repo.json"
policy '"ghcr.io/a"' loose '"*"' >"$scratch/tp-level.json"
printf '{"version": "1.0", "trustPolicies": [{"name": 3}]}' >"$scratch/tp-type.json"
printf '{"version": "1.0", x}' >"$scratch/tp-syntax.json"
printf '{"version": "2.0"}' >"$scratch/tp-version.json"
cp "$scratch/ca.pem" "$scratch/ca.crt"
git=(create source git podinfo --url https://github.com/stefanprodan/podinfo)
oci=(create source oci podinfo --url oci://ghcr.io/stefanprodan/manifests/podinfo)
while IFS= read -r line; do
    [ -n "$line" ] || continue
    eval "args=($line)"
    same "create" "${args[@]}"
done <<CASES
"\${git[@]}" --branch main --export
"\${git[@]}" --tag 6.7.0 --interval 5m --export
"\${git[@]}" --tag-semver '>=6.0.0' --export
"\${git[@]}" --commit 1234567890abcdef1234567890abcdef12345678 --branch main --export
"\${git[@]}" --ref-name refs/heads/main --branch dev --export
"\${git[@]}" --branch main --secret-ref auth --ignore-paths '*.md,docs/' --recurse-submodules --fetch-timeout 2m --export
"\${git[@]}" --branch main --sparse-checkout-paths apps,infra --proxy-secret-ref corp --export
"\${git[@]}" --branch main --label env=prod,team=a -n apps --export
"\${git[@]}" --branch main -u me -p pw --export
"\${oci[@]}" --tag latest --export
"\${oci[@]}" --tag-semver '>=6.0.0' --secret-ref ghcr --ignore-paths '*.md' --export
"\${oci[@]}" --digest $zero --export
"\${oci[@]}" --tag latest --provider generic --service-account sa --cert-ref certs --proxy-secret-ref p --insecure --interval 3m --export
"\${oci[@]}" --tag latest --verify-provider cosign --verify-secret-ref cosign-pub --export
create kustomization podinfo --source podinfo --path ./kustomize --prune --export
create kustomization podinfo --source GitRepository/podinfo --prune=false --interval 5m --export
create kustomization podinfo --source OCIRepository/podinfo.flux-system --wait --health-check-timeout 3m --retry-interval 1m --export
create kustomization podinfo --source podinfo --target-namespace apps --service-account sa --depends-on infra,flux-system/crds --export
create kustomization podinfo --source podinfo --health-check Deployment/podinfo.web --health-check HelmRelease/x.y --health-check DaemonSet/a.b --export
create kustomization podinfo --source podinfo --decryption-provider sops --decryption-secret sops-gpg --kubeconfig-secret-ref edge --export
create kustomization podinfo --source podinfo --validation client --export
create image repository podinfo --image ghcr.io/stefanprodan/podinfo --export
create image repository podinfo --image ghcr.io/stefanprodan/podinfo --secret-ref r --interval 5m --export
create image policy podinfo --image-ref podinfo --select-semver '>=1.0.0' --export
create image policy podinfo --image-ref podinfo --select-alpha desc --filter-regex '^main-(?P<ts>.*)' --filter-extract '\$ts' --export
create image policy podinfo --image-ref podinfo --select-numeric asc --reflect-digest Always --interval 10m --export
create image policy podinfo --image-ref podinfo --select-numeric asc --reflect-digest IfNotPresent --export
create image update podinfo --git-repo-ref fleet --checkout-branch main --author-name bot --author-email a@b.c --export
create image update podinfo --git-repo-ref fleet --git-repo-namespace other --checkout-branch main --push-branch auto --author-name bot --author-email a@b.c --commit-template msg --git-repo-path ./clusters --interval 5m --export
create secret git auth --url https://git.example.com/x -u me -p pw --export
create secret git auth --url https://git.example.com/x -u me -p pw --ca-crt-file $scratch/ca.pem --export
create secret git auth --url https://git.example.com/x --bearer-token tok --export
create secret git auth --url https://git.example.com/x --bearer-token tok -u me --ca-crt-file $scratch/ca.pem --export
create secret git auth --url https://git.example.com/x --bearer-token tok -u me -p pw --export
create secret git auth --url https://git.example.com/x --bearer-token '' --export
create secret git auth --url https://git.example.com/x -u me --export
create secret git auth --url https://git.example.com/x -u me -p pw --interval 2m --export
create secret tls certs "\${tls[@]}" --export
create secret tls certs "\${tls[@]}" --ca-crt-file $scratch/ca.pem --label a=b -n apps --export
create secret tls certs --ca-crt-file $scratch/ca.pem --export
create secret tls certs --tls-crt-file $scratch/tls.crt --export
create secret tls certs --tls-key-file $scratch/tls.key --ca-crt-file $scratch/ca.pem --export
create secret tls certs --export
create secret tls certs --ca-crt-file $scratch/empty --export
create secret tls certs --tls-crt-file $scratch/tls.crt --tls-key-file $scratch/ec.key --export
create secret tls certs --tls-crt-file $scratch/tls.crt --tls-key-file $scratch/ed.key --export
create secret tls certs --tls-crt-file $scratch/tls.crt --tls-key-file $scratch/bad.key --export
create secret tls certs --tls-crt-file $scratch/tls.key --tls-key-file $scratch/tls.crt --export
create secret tls certs --tls-crt-file $scratch/tls.crt --tls-key-file $scratch/tls.crt --export
create secret tls certs --tls-crt-file $scratch/ca.pem --tls-key-file $scratch/ca.key --export
create secret tls certs --tls-crt-file $scratch/nothere --tls-key-file $scratch/tls.key --export
create secret tls certs --ca-crt-file $scratch --export
create secret tls certs --label a=b=c --export
create secret tls --export
create secret tls x --export
create secret tls certs --bogus --export
create secret oci ghcr --url ghcr.io/stefanprodan/charts -u me -p 'p<w>&"\\x' --export
create secret oci ghcr --url ghcr.io -u me -p pw --label bad --export
create secret oci ghcr --url localhost:5000/a/b:v1 -u me -p pw --export
create secret oci ghcr --url ghcr.io/a@$zero -u me -p pw --export
create secret oci ghcr --export
create secret oci ghcr --url ghcr.io --export
create secret oci ghcr --url ghcr.io -u me --export
create secret oci ghcr --url ghcr.io -p pw --export
create secret oci ghcr --url ghcr.io/A -u me -p pw --export
create secret oci ghcr --url 'ghcr.io/a:b:c' -u me -p pw --export
create secret oci ghcr --url 'ghcr.io/a:' -u me -p pw --export
create secret oci ghcr --url 'oci://ghcr.io/a' -u me -p pw --export
create secret oci ghcr --url 'ghcr.io/a@sha256:12' -u me -p pw --export
create secret oci ghcr --url x -u me -p pw --export
create secret proxy corp --address http://proxy.corp:3128 -u me -p pw --label a=b --export
create secret proxy corp --address socks5://proxy.corp --export
create secret proxy corp --address http://proxy.corp -p pw --export
create secret proxy corp --export
create secret proxy corp --address ':x' --export
create secret proxy corp --address 'http://a b' --label a=b=c --export
create secret proxy corp --address 'http://a b' --export
create secret proxy corp --address 'http://h:8x/p?q#f' --export
create secret proxy corp --address 'http://h%41' --export
create secret proxy corp --address 'http://a\\b' --export
create secret proxy corp --address '1http://h' --export
create secret proxy corp --address 'proxy.corp:3128' --export
create secret proxy corp --address 'http://u:p@[::1]:3128/x?y#z' --export
create secret helm repo --export
create secret helm repo -u me -p pw --export
create secret helm repo -u me -p pw --ca-crt-file $scratch/ca.pem --label a=b --export
create secret helm repo -u me --export
create secret helm repo -p pw --export
create secret helm repo --ca-crt-file $scratch/ca.pem --export
create secret helm repo "\${tls[@]}" -u me -p pw --ca-crt-file $scratch/ca.pem --export
create secret helm repo --tls-crt-file $scratch/tls.crt -u me -p pw --export
create secret helm repo --tls-crt-file $scratch/tls.crt --tls-key-file $scratch/ec.key --export
create secret helm repo --ca-crt-file $scratch/nothere --export
"\${git[@]}" --branch main --provider github --secret-ref gh-app --export
"\${git[@]}" --branch main --provider nope --export
"\${git[@]}" --branch main --provider '' --export
create secret githubapp gh --app-id 1 --app-installation-id 2 --app-private-key $scratch/app.pem --export
create secret githubapp gh --app-id 1 --app-installation-owner acme --app-private-key $scratch/app.pem --app-base-url https://ghe.example.com/api/v3 --label a=b --export
create secret githubapp gh --app-id 1 --app-private-key $scratch/app.pem --export
create secret githubapp gh --app-id 1 --app-installation-id 2 --app-installation-owner acme --app-private-key $scratch/app.pem --export
create secret githubapp gh --app-installation-id 2 --app-private-key $scratch/app.pem --export
create secret githubapp gh --app-id 1 --app-installation-id 2 --app-private-key $scratch/none.pem --export
create secret githubapp gh --app-id 1 --app-installation-id 2 --export
create secret githubapp --app-id 1 --export
create secret notation nt --trust-policy-file $scratch/tp.json --ca-cert-file $scratch/ca.crt,$scratch/ca.pem --label a=b --export
create secret notation nt --trust-policy-file $scratch/tp-audit.json --ca-cert-file $scratch/ca.crt -n apps --export
create secret notation nt --trust-policy-file $scratch/tp-skip.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-scopes.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-dn.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-multi.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-ldap.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-repo.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-level.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-type.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-syntax.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp-version.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/empty --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/none.json --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp.json --ca-cert-file $scratch/tls.key,$scratch/none.crt,$scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp.json --ca-cert-file '' --export
create secret notation nt --trust-policy-file $scratch/tp.json --ca-cert-file $scratch --export
create secret notation nt --ca-cert-file $scratch/ca.crt --export
create secret notation nt --trust-policy-file $scratch/tp.json --ca-cert-file $scratch/ca.crt --label a=b=c --export
create secret notation nt --export
create secret notation --export
create source git xx --export
create source git xx --url https://h/r --export
create source git xx --url ftp://h/r --branch main --export
create source git xx --url https://h/r --branch main --interval bogus --export
create source git x --url https://h/r --branch main --export
create source git Bad_Name --url https://h/r --branch main --export
create source git --export -ab
create source git Bad_Name -ab --export
create ks --validation client --export
create ks Bad_Name --validation client --export
create secret git --export -ab
create image policy --bogus --export
create source oci xx --export
create source oci xx --url oci://h/r --export
create source oci xx --url oci://h/r --tag t --verify-provider notation --export
create source oci xx --url oci://h/r --tag t --verify-secret-ref k --export
create source oci xx --url oci://h/r --tag t --provider nope --export
create ks xx --export
create ks xx --source s --health-check Deployment --export
create ks xx --source s --health-check Deployment/a --export
create ks xx --source s --health-check Deployment/a.b.c --export
create ks xx --source s --health-check Service/a.b --export
create ks xx --source s --decryption-provider vault --export
create ks xx --source Foo/s --export
create ks xx --source 'F"oo/s' --export
create ks xx --source s --decryption-provider 'va"ult' --export
create source oci xx --url oci://h/r --tag t --verify-provider 'no"pe' --export
create source oci xx --url oci://h/r --tag t --provider 'n"ope' --export
create ks xx --source s --bogus --export
create image repository xx --export
create image policy xx --export
create image policy xx --image-ref r --export
create image policy xx --image-ref r --select-alpha up --export
create image policy xx --image-ref r --select-numeric up --export
create image policy xx --image-ref r --select-alpha asc --select-numeric asc --export
create image policy xx --image-ref r --select-semver 1 --filter-extract '\$x' --export
create image policy xx --image-ref r --select-semver 1 --filter-regex '(' --export
create image policy xx --image-ref r --select-semver 1 --reflect-digest Sometimes --export
create image policy xx --image-ref r --select-semver 1 --interval 5m --export
create image update xx --export
create image update xx --git-repo-ref r --export
create image update xx --git-repo-ref r --checkout-branch main --export
create image update xx --git-repo-ref r --checkout-branch main --author-name n --export
create image update xx --git-repo-ref r --checkout-branch main --author-name n --author-email e --update-path x --export
create secret git xx --export
create secret git xx --url https://h/r --export
create secret git xx --url ftp://h/r -u a -p b --export
create source git xx --url https://h/r --branch main --label bad --export
create source git xx --url https://h/r --branch main --label a=b=c --export
create source git xx --url https://h/r --branch main --label 'b@d=x' --export
create source git xx --url https://h/r --branch main --label 'k=v@' --export
create source git xx --url https://h/r --branch main --label 'Ex.com/k=v' --export
create source git xx --url https://h/r --branch main --label '/k=v' --export
create source git xx --url https://h/r --branch main --label 'a/b/c=v' --export
create source git xx --url https://h/r --branch main --label 'ex.com/k=v,a.b-c_d=' --export
create ks xx --source s --label '=v' --export
create ks xx --label a=b=c --export
create secret git xx --url https://h/r -u a -p b --label k=v,a=b --export
create secret git xx --url ftp://h/r -u a -p b --label a=b=c --export
create source git --url https://h/r --branch main --export
create image policy --export
create secret git --export
build kustomization
diff kustomization
build kustomization xx
diff kustomization xx
build kustomization xx --path ./a/../nonexistent
diff kustomization xx --path /nonexistent
diff kustomization xx --path $scratch/ca.pem
diff kustomization xx --path $scratch --local-sources bad
diff kustomization xx --path $scratch --local-sources 'a=b,c"=d,e=f'
diff kustomization xx --path $scratch --local-sources '"a=b"x,c=d'
diff kustomization xx --path $scratch --local-sources '"a=b,c=d'
build kustomization xx --path $scratch --local-sources 'a=b,"c=d'
build kustomization xx --path $scratch/nothere --local-sources 'a/b/c=d,e'
build kustomization xx --path $scratch/nothere --local-sources bad
diff kustomization xx --path $scratch --local-sources 'b"ad'
build kustomization xx --path $scratch --local-sources 'b"ad'
build kustomization xx --path $scratch --bogus
suspend kustomization
resume source git
reconcile kustomization
reconcile source git
delete kustomization
tree kustomization
trace
export kustomization
get kustomization --bogus
CASES

# Byte for byte, the end included: flux's Println leaves an empty line after each secret's
# YAML but tls's (Print); $(...) above drops it
for kind in "git auth --url https://h/r -u me -p pw" "tls certs --ca-crt-file $scratch/ca.pem" \
    "oci ghcr --url ghcr.io -u me -p pw" "proxy corp --address http://p" "helm repo" \
    "notation nt --trust-policy-file $scratch/tp.json --ca-cert-file $scratch/ca.crt"; do
    # shellcheck disable=SC2086 # the words of the case
    "$flux" create secret $kind --export >"$scratch/flux.out"
    # shellcheck disable=SC2086
    "$eddy" create secret $kind --export >"$scratch/eddy.out"
    cmp -s "$scratch/flux.out" "$scratch/eddy.out" || fail "create secret $kind --export: the bytes differ:
$(diff <(od -c "$scratch/flux.out" | tail -3) <(od -c "$scratch/eddy.out" | tail -3))"
done
# Applied: flux's line, and the same Secret (type, keys, labels) from each
new_namespace oracle-secrets
for cli in flux eddy; do
    bin=$flux
    [ "$cli" = eddy ] && bin=$eddy
    for kind in "tls $cli-tls ${tls[*]} --ca-crt-file $scratch/ca.pem --label team=a" \
        "oci $cli-oci --url ghcr.io -u me -p pw" "proxy $cli-proxy --address http://p -u me" \
        "helm $cli-helm -u me -p pw" \
        "notation $cli-notation --trust-policy-file $scratch/tp.json --ca-cert-file $scratch/ca.crt"; do
        # shellcheck disable=SC2086 # the words of the case
        out=$("$bin" create secret $kind -n oracle-secrets 2>&1) || fail "$cli create secret $kind: $out"
        set -- $kind
        what=$1
        [ "$what" = notation ] && what="notation configuration"
        assert_eq "► $what secret '$2' created in 'oracle-secrets' namespace" "$out" "$cli create secret $1"
    done
done
for kind in tls oci proxy helm notation; do
    shape='{.type} {.metadata.labels} {.data}'
    assert_eq "$(kubectl -n oracle-secrets get secret "flux-$kind" -o "jsonpath=$shape")" \
        "$(kubectl -n oracle-secrets get secret "eddy-$kind" -o "jsonpath=$shape")" "the $kind Secret applied"
done

# Over an existing Secret: flux's upsertSecret updates it in place, its stringData over the
# data, the labels merged, its type, other keys, labels and annotations kept (tls's keys over
# an Opaque Secret, proxy's over another type; helm's empty Secret leaves the data alone)
for cli in flux eddy; do
    bin=$flux
    [ "$cli" = eddy ] && bin=$eddy
    for kind in tls proxy helm; do
        type=Opaque
        [ "$kind" = proxy ] && type=example.com/other
        kubectl -n oracle-secrets create secret generic "$cli-up-$kind" --type "$type" \
            --from-literal=extra=kept --from-literal=username=old >/dev/null
        kubectl -n oracle-secrets label secret "$cli-up-$kind" team=old keep=yes >/dev/null
        kubectl -n oracle-secrets annotate secret "$cli-up-$kind" note=kept >/dev/null
    done
    for kind in "tls $cli-up-tls ${tls[*]} --label team=new,more=x" \
        "proxy $cli-up-proxy --address http://p -u me -p pw" "helm $cli-up-helm --label team=new"; do
        # shellcheck disable=SC2086 # the words of the case
        out=$("$bin" create secret $kind -n oracle-secrets 2>&1) || fail "$cli create secret $kind: $out"
        set -- $kind
        assert_eq "► $1 secret '$2' created in 'oracle-secrets' namespace" "$out" "$cli update secret $1"
    done
done
shape='{.type} {.metadata.labels} {.metadata.annotations.note} {.data}'
for kind in tls proxy helm; do
    assert_eq "$(kubectl -n oracle-secrets get secret "flux-up-$kind" -o "jsonpath=$shape")" \
        "$(kubectl -n oracle-secrets get secret "eddy-up-$kind" -o "jsonpath=$shape")" "the $kind Secret updated"
done
b64() { printf %s "$1" | base64 -w0; }
assert_eq "$(kubectl -n oracle-secrets get secret eddy-up-proxy -o "jsonpath=$shape")" \
    "example.com/other {\"keep\":\"yes\",\"team\":\"old\"} kept {\"address\":\"$(b64 http://p)\",\"extra\":\"$(b64 kept)\",\"password\":\"$(b64 pw)\",\"username\":\"$(b64 me)\"}" \
    "eddy: the proxy Secret updated in place"
assert_eq "$(kubectl -n oracle-secrets get secret eddy-up-helm -o "jsonpath=$shape")" \
    "Opaque {\"keep\":\"yes\",\"team\":\"new\"} kept {\"extra\":\"$(b64 kept)\",\"username\":\"$(b64 old)\"}" \
    "eddy: the empty helm Secret over an existing one"

# Deliberate differences, each what eddy does instead (README: "Differences from flux's CLI").
# eddy refuses at once what its agent (or the API server) would refuse later:
assert_fails "an https URL for an OCI source" "$eddy" "${oci[@]:0:4}" --url https://h/r --tag t --export
assert_contains "$OUT" "URL must be in format 'oci://<domain>/<org>/<repo>'" "eddy: the OCI URL"
assert_fails "basic auth with an ssh URL" "$eddy" create source git xx --url ssh://git@h/r -u a -p b --branch main --export
assert_contains "$OUT" "are for http(s) URLs" "eddy: ssh and basic auth"
# flux's switch lets --select-semver with another rule through, writing no rule at all
assert_ok "flux: two rules" "$flux" create image policy xx --image-ref r --select-semver 1 --select-alpha asc --export
assert_fails "two rules" "$eddy" create image policy xx --image-ref r --select-semver 1 --select-alpha asc --export
assert_contains "$OUT" "only one of --select-semver, --select-alpha or --select-numeric can be specified" "eddy: two rules"
# flux writes an Always policy without the interval the CRD then requires; eddy writes 1m
out=$("$flux" create image policy xx --image-ref r --select-semver 1 --reflect-digest Always --export)
assert_not_contains "$out" "interval:" "flux: no interval with Always"
out=$("$eddy" create image policy xx --image-ref r --select-semver 1 --reflect-digest Always --export)
assert_contains "$out" "  interval: 1m0s" "eddy: 1m with Always"
# a provider eddy's agent refuses: flux's YAML, and a warning on stderr
assert_eq "$("$flux" "${oci[@]}" --tag t --provider aws --export 2>/dev/null)" \
    "$("$eddy" "${oci[@]}" --tag t --provider aws --export 2>/dev/null)" "--provider aws: the YAML"
assert_contains "$("$eddy" "${oci[@]}" --tag t --provider aws --export 2>&1 >/dev/null)" \
    "an OCIRepository of provider 'aws' is refused by it" "eddy: the warning"
# eddy's own flags of create image repository
assert_fails "flux: --exclusion-list" "$flux" create image repository xx --image r/x --exclusion-list a --export
assert_contains "$("$eddy" create image repository xx --image r/x --exclusion-list '^a' --insecure --export)" \
    "  exclusionList:
  - ^a
  image: r/x
  insecure: true" "eddy: --exclusion-list, --insecure"
# a namespace that is no DNS label: flux's create skips its root check and writes it, eddy
# refuses it as every other verb of both does
assert_ok "flux: create -n BAD" "$flux" create source git xx --url https://h/r --branch main -n BAD --export
assert_fails "eddy: create -n BAD" "$eddy" create source git xx --url https://h/r --branch main -n BAD --export
assert_contains "$OUT" 'namespace must be a valid DNS label: "BAD"' "eddy: create -n BAD"
# an unknown kind: flux prints the verb's help (exit 0), eddy says what it knows
assert_fails "eddy: create bogus" "$eddy" create bogus xx
assert_contains "$OUT" "bogus: unknown kind" "eddy: unknown kind"

step "check --pre and uninstall --dry-run: flux's lines"
same "check --pre" check --pre
# the version is readable by any authenticated user: no permission is asked for
same "check --pre (a user without permissions)" check --pre --kubeconfig "$EDDY_USER_KUBECONFIG"
# Deliberate: a refused connection in libcurl's words where flux has Go's; flux's prefix kept
fo=$("$flux" check --pre --server https://127.0.0.1:9 2>&1) && fail "flux: check of a closed port"
eo=$("$eddy" check --pre --server https://127.0.0.1:9 2>&1) && fail "eddy: check of a closed port"
assert_eq "$(head -1 <<<"$fo")" "$(head -1 <<<"$eo")" "check --pre of a closed port: its action"
assert_contains "$eo" "✗ Kubernetes API call failed: " "eddy: a closed port in flux's words"
# uninstall of a namespace that is not there: flux deletes the namespace by name and says it
# failed, yet finishes (exit 0). Both delete the CRDs labelled app.kubernetes.io/part-of=flux:
# the test's CRDs, from deploy/crds, carry no label, so neither names one.
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null
fr=0
fo=$("$flux" uninstall --dry-run -n nothere-cli 2>&1) || fr=$?
er=0
eo=$("$eddy" uninstall --dry-run -n nothere-cli 2>&1) || er=$?
assert_eq 0 "$fr" "flux uninstall --dry-run: exit code"
assert_eq 0 "$er" "eddy uninstall --dry-run: exit code"
assert_contains "$fo" '✗ Namespace/nothere-cli deletion failed: namespaces "nothere-cli" not found' \
    "flux uninstall --dry-run: the namespace"
assert_not_contains "$eo" "CustomResourceDefinition/" "eddy uninstall --dry-run: no unlabelled CRD"
assert_eq "$fo" "$eo" "uninstall --dry-run's lines"
# A CRD with the label, whoever made it, is Flux's to both
kubectl label crd kustomizations.kustomize.toolkit.fluxcd.io app.kubernetes.io/part-of=flux >/dev/null
fo=$("$flux" uninstall --dry-run -n nothere-cli 2>&1) || true
eo=$("$eddy" uninstall --dry-run -n nothere-cli 2>&1) || true
assert_contains "$eo" "✔ CustomResourceDefinition/kustomizations.kustomize.toolkit.fluxcd.io deleted (dry run)" \
    "eddy uninstall --dry-run: a labelled CRD"
assert_eq "$fo" "$eo" "uninstall --dry-run's lines with a labelled CRD"
kubectl label crd kustomizations.kustomize.toolkit.fluxcd.io app.kubernetes.io/part-of- >/dev/null

step "label selectors and kinds the server does not serve: flux's errors"
# flux reads -l itself (metav1.ParseToLabelSelector) before any request, values quoted with
# Go's %q; get all, sources all and images all say it once per kind flux knows, and exit 0
for sel in 'a b' 'a=b"c' 'a\b=c' 'a!=b' 'a>1' "a=$(printf 'x\001')" 'k in (é,ok)' "a=$(printf '\xc2\xa0')"; do
    same "get -l '$sel'" get kustomizations -l "$sel"
done
same "get all -l" get all -l 'a=b"c'
same "get sources all -l" get sources all -l 'a b'
same "get images all -l" get images all -l '!'
# The image CRDs deleted (put back below): flux's client maps the kind first and fails in
# controller-runtime's words, "unable to retrieve the complete list of server APIs: ..."
kubectl delete --timeout=60s crd imagerepositories.image.toolkit.fluxcd.io \
    imagepolicies.image.toolkit.fluxcd.io imageupdateautomations.image.toolkit.fluxcd.io >/dev/null
retry 60 bash -c "! kubectl get --raw /apis/image.toolkit.fluxcd.io/v1 >/dev/null 2>&1"
same "get (no CRD)" get images policy
same "get NAME (no CRD)" get images repository x -A
same "get images all (no CRD)" get images all
same "export (no CRD)" export image policy x
same "export --all (no CRD)" export image update --all
# suspend says it for each NAME and exits 0 (the second in the mapper's later words)
same "suspend (no CRD)" suspend image update a b a
same "suspend --all (no CRD)" suspend image update --all
same "resume (no CRD)" resume image repository a
same "reconcile (no CRD)" reconcile image repository a
same "delete (no CRD)" delete image policy a --silent
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null

step "arguments a verb does not take: flux's words (cobra's, the binary's name aside)"
for verb in check stats install uninstall envsubst; do
    NORM='s/for "flux /for "eddy /' same "$verb extra" $verb extra </dev/null
done
same "logs extra" logs extra
# No kubeconfig and not in a cluster: flux's client takes client-go's default server
# ($KUBERNETES_MASTER, else http://localhost:8080), so a verb's own checks of its arguments and
# flags come first, as they do with a cluster, and the first request fails
mkdir -p "$scratch/nohome"
# (an empty KUBECONFIG is none, for client-go and eddy alike: ~/.kube/config is read, here none)
nokc() { KUBECONFIG='' HOME="$scratch/nohome" KUBERNETES_MASTER=${MASTER:-http://127.0.0.1:9} "$@"; }
nokc same "no kubeconfig: a label selector" get kustomizations -l 'a b'
nokc same "no kubeconfig: events --for" events --for bogus
nokc same "no kubeconfig: debug's flags" debug kustomization x
nokc same "no kubeconfig: create --export" create secret proxy corp --address http://p --export
nokc same "no kubeconfig: create's name" create secret tls x
nokc same "no kubeconfig: a bad flag" reconcile kustomization x --with-source=maybe
# then the request to that server: each in its words (Go's dial error, libcurl's), and eddy
# says why that server
nokc assert_fails "flux: no kubeconfig" "$flux" get kustomizations
assert_contains "$OUT" '127.0.0.1:9' "flux: the default server"
nokc assert_fails "eddy: no kubeconfig" "$eddy" get kustomizations
assert_contains "$OUT" "http://127.0.0.1:9/apis/kustomize.toolkit.fluxcd.io/v1: " "eddy: the default server"
assert_contains "$OUT" "(no kubeconfig chose a cluster, so client-go's default server was tried: set KUBECONFIG, or pass --kubeconfig and --context)" \
    "eddy: why that server"
# a plain-HTTP API server at $KUBERNETES_MASTER (kubectl proxy, with the test's credentials):
# both reach the cluster through it alone
proxy_port=$(free_port)
bg_start kubectl-proxy kubectl proxy --port "$proxy_port" --address 127.0.0.1
retry 30 curl -sf "http://127.0.0.1:$proxy_port/version" >/dev/null
MASTER=http://127.0.0.1:$proxy_port nokc same "no kubeconfig: \$KUBERNETES_MASTER" check --pre
MASTER=http://127.0.0.1:$proxy_port nokc same "no kubeconfig: \$KUBERNETES_MASTER (get)" get kustomizations -A
bg_stop kubectl-proxy
# completion with no shell: the verb's help on stdout (each its own text), nothing on stderr,
# exit 0
for cli in "$flux" "$eddy"; do
    out=$("$cli" completion 2>"$scratch/completion.err") || fail "$cli completion: exit code $?"
    assert_contains "$out" "completion" "$cli completion: its help"
    assert_eq "" "$(<"$scratch/completion.err")" "$cli completion: stderr"
done
same "logs --level bogus" logs --level bogus
# pflag's words for a bad value, quoted as Go's %q, the flag named with its shorthand; Go's
# time.ParseDuration's and strconv.ParseBool's errors (and the spellings ParseBool accepts)
same "a duration's unit" get kustomizations --timeout 5q
same "a duration without a unit" get kustomizations --timeout 5
same "a duration quoted" check --poll-interval '1m"x'
same "a boolean" get kustomizations -A=yes
same "a boolean (long)" resume kustomization x --wait=maybe
same "booleans as ParseBool spells them" get kustomizations -A=T --no-header=0 -l 'a b'
# numbers in strconv's words (an integer in any base ParseInt(s, 0, 64) reads), a float32's range
same "a float" get kustomizations --kube-api-qps 'x"'
same "a float out of range" get kustomizations --kube-api-qps 1e40
same "an integer" get kustomizations --kube-api-burst 1.5
same "an integer out of range" get kustomizations --kube-api-burst 99999999999999999999
same "an integer (--tail)" logs --tail ' 1'
same "--level" logs --level 'x"'
# a kubeconfig that is not there, or no file: client-go's words
same "a missing kubeconfig" get kustomizations --kubeconfig "$scratch/nothere"
same "a directory as kubeconfig" get kustomizations --kubeconfig "$scratch"
same "a missing context" get kustomizations --context nothere
# logs and check read the configuration with flux's utils.KubeConfig, which says so in front
same "logs: a missing kubeconfig" logs --kubeconfig "$scratch/nothere"
same "check: a missing kubeconfig" check --pre --kubeconfig "$scratch/nothere"
# a few more verbs' errors in flux's words (and flux's exit code 1 for diff artifact's)
same "push artifact: a missing path" push artifact oci://127.0.0.1:9/ab/cd:1 --path "$scratch/nothere" \
    --source s --revision r
same "diff artifact: a missing path" diff artifact oci://127.0.0.1:9/ab/cd:1 --path "$scratch/nothere"
for verb in push pull tag diff; do
    same "$verb artifact: no oci://" $verb artifact 127.0.0.1:9/ab/cd:1 --path "$scratch" \
        --output "$scratch/out" --tag 2 --source s --revision r
done
same "debug kustomization: two views" debug kustomization x --show-status --show-vars
# flux's ValidateComponents: every component checked before anything else is said
same "install: an unknown component" install --components helm-controller,frob-controller --export
same "install: an unknown extra component" install --components-extra bogus --export
same "bootstrap: a required component left out" bootstrap git --components bogus --silent
# the deploy key flags, checked by flux's flag types before anything else
same "bootstrap: an unknown key algorithm" bootstrap git --url ssh://git@h/r --ssh-key-algorithm dsa
same "bootstrap: no key algorithm" bootstrap git --url ssh://git@h/r --ssh-key-algorithm ' '
same "bootstrap: an unknown curve" bootstrap git --url ssh://git@h/r --ssh-ecdsa-curve p224
same "bootstrap: too few RSA bits" bootstrap git --url ssh://git@h/r --ssh-rsa-bits 1000
same "bootstrap: RSA bits not a multiple of 8" bootstrap git --url ssh://git@h/r --ssh-rsa-bits 2001
same "bootstrap: RSA bits not a number" bootstrap git --url ssh://git@h/r --ssh-rsa-bits 2k
same "bootstrap: an unknown component" bootstrap git --url ssh://git@h/r \
    --components source-controller,kustomize-controller,bogus --silent
same "bootstrap: an unknown extra component" bootstrap git --url ssh://git@h/r --components-extra bogus --silent
# Deliberate: Go reads a negative duration, flux writes it (the CRD then refuses it); eddy
# refuses it at once
assert_fails "eddy: a negative --interval" "$eddy" create source git xx --url https://h/r --branch main --interval -1m --export
assert_contains "$OUT" 'invalid argument "-1m" for "--interval" flag: a duration of 0 or more is expected' \
    "eddy: a negative duration in its words"
# Deliberate (README): where flux acts on the first NAME and drops the others, or ignores an
# argument, eddy refuses it
for args in "get kustomizations a b" "export kustomization a b" "reconcile kustomization a b" \
    "tree kustomization a b" "delete kustomization a b --silent" "version extra" "events extra"; do
    # shellcheck disable=SC2086 # the words of the case
    assert_fails "eddy $args" "$eddy" $args
    assert_match "unexpected argument '(b|extra)'|usage: eddy" "$OUT" "eddy $args: refused"
done

step "the real flux creates a source and a Kustomization, eddy's agent reconciles them"
ks_setup flux-cli fluxcli
agent --watch-all-namespaces
put app/kustomization.yaml <<'YAML'
resources: [cm.yaml, sa.yaml]
YAML
put app/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
YAML
put app/sa.yaml <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
YAML
commit "app"
out=$("$flux" create source git fluxcli -n "$ns" --url "$EDDY_GIT_HTTP_URL/$repo.git" --branch main \
    --secret-ref git-auth --interval 10m --timeout 90s 2>&1) || fail "flux create source git: $out"
assert_contains "$out" "✔ GitRepository source reconciliation completed" "flux create source git"
assert_contains "$out" "✔ fetched revision: $(rev)" "the revision eddy fetched"
out=$("$flux" create kustomization app -n "$ns" --source GitRepository/fluxcli --path ./app --prune --target-namespace "$ns" \
    --interval 10m --timeout 90s 2>&1) || fail "flux create kustomization: $out"
assert_contains "$out" "✔ Kustomization app is ready" "flux create kustomization"
assert_contains "$out" "✔ applied revision $(rev)" "applied by eddy's agent"
assert_eq blue "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.color}')" "the object"

step "get, export, tree, trace, stats, events: the same output"
same "get sources git" get sources git -n "$ns"
same "get source git NAME" get sources git fluxcli -n "$ns"
same "get kustomizations" get kustomizations -n "$ns"
same "get kustomization NAME" get kustomization app -n "$ns"
same "get --no-header" get kustomizations -n "$ns" --no-header
same "get --status-selector" get kustomizations -n "$ns" --status-selector ready=true
same "get --status-selector (none)" get kustomizations -n "$ns" --status-selector ready=false
same "get all" get all -n "$ns"
same "get a missing one" get kustomization nothere -n "$ns"
same "export source git" export source git fluxcli -n "$ns"
same "export kustomization" export kustomization app -n "$ns"
same "export --all" export kustomization --all -n "$ns"
same "tree kustomization" tree kustomization app -n "$ns"
same "tree --compact" tree kustomization app -n "$ns" --compact
same "tree -o json" tree kustomization app -n "$ns" -o json
same "trace" trace configmap settings -n "$ns"
same "trace KIND/NAME" trace serviceaccount/runner -n "$ns"
same "trace NAME --kind --api-version" trace runner --kind ServiceAccount --api-version v1 -n "$ns"
# Deliberate (README): eddy knows the apiVersion of a kind it can trace; flux wants it given
assert_fails "flux: --kind alone" "$flux" trace runner --kind ServiceAccount -n "$ns"
assert_contains "$OUT" "object apiVersion is required (--api-version)" "flux: --kind alone"
assert_contains "$("$eddy" trace runner --kind ServiceAccount -n "$ns")" "Object:          ServiceAccount/runner" \
    "eddy: --kind alone"
NORM='s/^[^[:space:]]+[[:space:]]+(Normal|Warning)/AGE \1/' same "events" events -n "$ns"
NORM='s/^[^[:space:]]+[[:space:]]+(Normal|Warning)/AGE \1/' same "events --for" events -n "$ns" --for Kustomization/app
# --for read as flux reads it: "Kind/" is the kind's events, "/Kind" a kind too, several
# slashes a kind whole; "" selects nothing; checked once the client is made
for sel in Kustomization/ /Kustomization / a/b/c '' bogus/; do
    NORM='s/^[^[:space:]]+[[:space:]]+(Normal|Warning)/AGE \1/' same "events --for '$sel'" events -n "$ns" --for "$sel"
done
same "events --for (no events)" events -n "$ns" --for ImagePolicy/
same "events --for (a bad kubeconfig first)" events -n "$ns" --for / --kubeconfig "$scratch/nothere"
# flux's order of the sources (OCI before Git), a kind whose objects --status-selector all
# leaves out (no table in get all), TYPE!=STATUS, a selector flux cannot read (refused only
# where there are objects), and the words for missing objects of resume and trace
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: podinfo}
spec: {interval: 10m, url: "oci://ghcr.io/stefanprodan/manifests/podinfo", ref: {tag: latest}, suspend: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: podinfo}
spec: {interval: 10m, image: ghcr.io/stefanprodan/podinfo, suspend: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: podinfo}
spec:
  interval: 10m
  suspend: true
  sourceRef: {kind: GitRepository, name: fluxcli}
  git:
    checkout: {ref: {branch: main}}
    commit: {author: {name: bot, email: bot@example.com}}
YAML
for verb in suspend "resume --wait=false"; do
    # shellcheck disable=SC2086 # the verb and its flag
    same "$verb image update" $verb image update podinfo -n "$ns"
done
"$eddy" suspend image update podinfo -n "$ns" >/dev/null
same "delete image update (no name)" delete image update -n "$ns"
# Flux's Bucket CRD (the other oracle tests install it too, so the order of the tests decided
# what flux listed) and a Bucket no controller reconciles: flux lists it between OCI and Git.
flux_bucket_crd
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: drop}
spec: {interval: 10m, bucketName: drop, endpoint: 127.0.0.1:9}
YAML
same "get sources all" get sources all -n "$ns"
same "get all (OCI and Git)" get all -n "$ns"
same "get all NAME" get all nothere -n "$ns"
same "get all --status-selector" get all -n "$ns" --status-selector ready=true
same "get images all --status-selector" get images all -n "$ns" --status-selector ready=true
same "get --status-selector !=" get sources all -n "$ns" --status-selector ready!=true
same "get --status-selector (bad)" get kustomizations -n "$ns" --status-selector ready
same "get --status-selector (bad, none listed)" get images policy -n "$ns" --status-selector ready
same "get all --status-selector (bad)" get all -n "$ns" --status-selector ready
# uninstall removes the finalizers of every kind flux knows, a Bucket's too (no controller of
# eddy's would clear it): the same lines for this namespace's objects
kubectl -n "$ns" patch bucket drop --type merge -p '{"metadata":{"finalizers":["finalizers.fluxcd.io"]}}' >/dev/null
fo=$("$flux" uninstall --dry-run -n nothere-cli 2>&1 | grep "/$ns/") || fail "flux uninstall --dry-run: no lines of $ns"
eo=$("$eddy" uninstall --dry-run -n nothere-cli 2>&1 | grep "/$ns/") || fail "eddy uninstall --dry-run: no lines of $ns"
assert_contains "$fo" "✔ Bucket/$ns/drop finalizers deleted (dry run)" "flux uninstall: the Bucket"
assert_eq "$fo" "$eo" "uninstall --dry-run: the finalizers' lines"
kubectl -n "$ns" patch bucket drop --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null
same "resume a missing one" resume kustomization nothere -n "$ns"
same "resume missing ones" resume kustomization nothere app -n "$ns" --wait=false
same "trace a missing one" trace configmap nothere -n "$ns"
same "trace KIND/NAME missing" trace configmap/nothere -n "$ns"
kubectl -n "$ns" delete --timeout=60s ocirepository/podinfo imagerepository/podinfo \
    imageupdateautomation/podinfo >/dev/null

step "the real flux drives eddy's agent: reconcile, suspend, resume"
sed -i 's/blue/green/' "$work/app/cm.yaml"
commit "green"
out=$("$flux" reconcile source git fluxcli -n "$ns" --timeout 90s 2>&1) || fail "flux reconcile source git: $out"
assert_contains "$out" "✔ fetched revision $(rev)" "flux reconcile source git"
out=$("$flux" reconcile kustomization app -n "$ns" --with-source --timeout 90s 2>&1) ||
    fail "flux reconcile kustomization --with-source: $out"
assert_contains "$out" "✔ applied revision $(rev)" "flux reconcile kustomization --with-source"
assert_eq green "$(kubectl -n "$ns" get configmap settings -o 'jsonpath={.data.color}')" "applied"
# streams CMD...: CMD's stdout, a "-- stderr --" line, then its stderr (each stream compared
# as printed: progress lines belong on stderr); CMD's exit code.
streams() {
    local out rc=0
    out=$("$@" 2>"$scratch/streams.err") || rc=$?
    printf '%s\n-- stderr --\n%s\n' "$out" "$(<"$scratch/streams.err")"
    return "$rc"
}
fo=$(streams "$flux" suspend kustomization app -n "$ns")
assert_eq true "$(ksget app '{.spec.suspend}')" "flux suspend"
same "get (suspended)" get kustomizations -n "$ns"
fr=$(streams "$flux" resume kustomization app -n "$ns" --timeout 90s) || fail "flux resume: $fr"
assert_eq "" "$(ksget app '{.spec.suspend}')" "flux resume"
eo=$(streams "$eddy" suspend kustomization app -n "$ns")
er=$(streams "$eddy" resume kustomization app -n "$ns" --timeout 90s)
assert_eq "$fo" "$eo" "suspend's lines"
assert_eq "$fr" "$er" "resume's lines"
# flux reconcile says no "reconciliation completed" (flux resume does)
fo=$(streams "$flux" reconcile kustomization app -n "$ns" --timeout 90s)
eo=$(streams "$eddy" reconcile kustomization app -n "$ns" --timeout 90s)
assert_eq "$fo" "$eo" "reconcile's lines"
same "stats" stats -n "$ns"

step "build and diff kustomization: the same objects and the same diff"
# sorted CMD...: CMD's YAML stream with its documents in sorted order.
sorted() {
    "$@" | python3 -c 'import sys
docs = [d.strip() for d in ("\n" + sys.stdin.read()).split("\n---\n") if d.strip()]
print("\n---\n".join(sorted(docs)))'
}
built=$(sorted "$flux" build kustomization app -n "$ns" --path "$work/app")
assert_contains "$built" "kind: ConfigMap" "flux build's objects"
assert_eq "$built" "$(sorted "$eddy" build kustomization app -n "$ns" --path "$work/app")" \
    "build kustomization"
# build cleans the path before it looks (Go's filepath.Clean): through a directory that does
# not exist, ./nothere/.. is the directory above it, in flux and in eddy
[ ! -e "$work/nothere" ] || fail "$work/nothere exists"
assert_eq "$built" "$(sorted "$flux" build kustomization app -n "$ns" --path "$work/nothere/../app")" \
    "flux build through a missing directory"
assert_eq "$built" "$(sorted "$eddy" build kustomization app -n "$ns" --path "$work/nothere/../app")" \
    "eddy build through a missing directory"
sed -i 's/green/red/' "$work/app/cm.yaml"
same "diff kustomization" diff kustomization app -n "$ns" --path "$work/app"
git -C "$work" checkout -q app/cm.yaml
same "diff kustomization (none)" diff kustomization app -n "$ns" --path "$work/app"
# dyff's report as flux prints it: the keys a map gains or loses grouped at the map's path
# ("+ two map entries added:", the object's root included), the same for a list's entries
# (entries named by name; a list of scalars as a multiset, with its order changes), their YAML
# quoted and keyed as dyff has it, side by side when the groups fit in 80 columns; a text's
# changed lines, and a change of its spaces alone.
cp "$work/app/cm.yaml" "$work/app/sa.yaml" "$scratch/"
put app/kustomization.yaml <<'YAML'
resources: [cm.yaml, sa.yaml, role.yaml]
YAML
put app/cm.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations: {team: a, note: "x: y"}
data: {color: green, size: "3", empty: "", flag: "true", text: "l1\nl2\nl3\nl4\n", space: "a b"}
YAML
put app/sa.yaml <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
imagePullSecrets: [{name: a}, {name: b}]
automountServiceAccountToken: false
YAML
put app/role.yaml <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
YAML
same "diff kustomization (maps and lists added)" diff kustomization app -n "$ns" --path "$work/app"
commit "more fields"
out=$("$flux" reconcile kustomization app -n "$ns" --with-source --timeout 90s 2>&1) ||
    fail "flux reconcile kustomization (more fields): $out"
assert_contains "$out" "✔ applied revision $(rev)" "the fields applied"
cp "$scratch/cm.yaml" "$scratch/sa.yaml" "$work/app/"
same "diff kustomization (maps and lists removed)" diff kustomization app -n "$ns" --path "$work/app"
git -C "$work" checkout -q app
sed -i 's/color: green/colour: green/; s/team: a/team: b/; s/"a b"/"a b  "/' "$work/app/cm.yaml"
sed -i 's/l1\\nl2\\nl3\\nl4/l1\\nL2\\nl3\\nl4\\nl5/' "$work/app/cm.yaml"
sed -i 's/\[{name: a}, {name: b}\]/[{name: b}, {name: a}, {name: c}]/' "$work/app/sa.yaml"
sed -i 's/\[get, list, watch\]/[list, get, create]/' "$work/app/role.yaml"
grep -q 'l1\\nL2\\nl3\\nl4\\nl5' "$work/app/cm.yaml" || fail "the text's edit: $(cat "$work/app/cm.yaml")"
same "diff kustomization (renamed, reordered)" diff kustomization app -n "$ns" --path "$work/app"
git -C "$work" checkout -q app

step "the real flux deletes: eddy's agent prunes and lets it go"
out=$("$flux" delete kustomization app -n "$ns" --silent 2>&1) || fail "flux delete kustomization: $out"
assert_contains "$out" "✔ kustomization deleted" "flux delete"
retry 60 bash -c "! kubectl -n $ns get kustomization app 2>/dev/null"
retry 60 bash -c "! kubectl -n $ns get configmap settings 2>/dev/null"
out=$("$flux" delete source git fluxcli -n "$ns" --silent 2>&1) || fail "flux delete source git: $out"
retry 60 bash -c "! kubectl -n $ns get gitrepository fluxcli 2>/dev/null"
