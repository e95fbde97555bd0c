#!/usr/bin/env bash
# tests/e2e/image_reflector_test.sh: the ImageRepository and ImagePolicy reconcilers in the real
# agent (`eddy controller`) against the real control plane and registries: a scan finds the
# pushed tags (signature tags excluded), keeps them on disk and reports Flux's lastScanResult;
# dockerconfigjson credentials open the htpasswd registry and their absence gives
# ReadOperationFailed ("scan failed: ...", as in Flux); a registry answering 429 is asked again
# only after its Retry-After; an ImagePolicy picks the semver-latest tag, follows a newly pushed
# tag at once after the rescan (observedPreviousRef), reflects the manifest digest; bad input
# stalls with a clear reason; deletion removes the stored tags and the finalizer.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

eddy=$EDDY_BIN
ns=image-e2e
scratch=$EDDY_E2E_SCRATCH
storage=$scratch/storage

step "CRDs, namespace, images"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/imagerepositories.image.toolkit.fluxcd.io crd/imagepolicies.image.toolkit.fluxcd.io >/dev/null
new_namespace "$ns"
for tag in 1.0.0 1.2.0 2.0.0-rc.1 1.9.0.sig latest; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" reflector/web "$tag" >/dev/null
done
digest_120=$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" reflector/web 1.2.0)
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY_AUTH" reflector/api v1.1.0 \
    "$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD" >/dev/null
kubectl -n "$ns" create secret docker-registry regcred --docker-server="$EDDY_REGISTRY_AUTH" \
    --docker-username="$EDDY_REGISTRY_USER" --docker-password="$EDDY_REGISTRY_PASSWORD" >/dev/null

# A registry that answers the first tag listing with 429 and Retry-After: 3, then the tags.
cat >"$scratch/ratelimited.py" <<'PY'
import http.server, json, sys, time
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    n = 0
    def reply(self, status, body):
        self.send_response(status); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def moved(self):
        # A registry that sends its API elsewhere, as registry.k8s.io does: 307 to the
        # test registry's reflector/web.
        self.send_response(307)
        self.send_header("Location", "http://%s/v2/reflector/web/%s" % (sys.argv[3], self.path.split("/", 4)[4]))
        self.send_header("Content-Length", "0"); self.end_headers()
    def do_HEAD(self):
        return self.moved() if self.path.startswith("/v2/moved/") else self.reply(404, b"")
    def do_GET(self):
        if self.path.startswith("/v2/moved/"):
            return self.moved()
        if self.path.startswith("/v2/leaky/"):
            # Basic auth, then a Link to the next page on another host name (localhost).
            if self.headers.get("Authorization") != "Basic YmVhcmVyOnMzY3JldA==":
                self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="r"')
                self.send_header("Content-Length", "0"); self.end_headers(); return
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Link", '<http://localhost:%s/v2/leaky-next/app/tags/list?last=1.0.0>; rel="next"' % sys.argv[1])
            body = b'{"name": "leaky/app", "tags": ["1.0.0"]}'
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.path.startswith("/v2/leaky-next/"):
            with open(sys.argv[2] + ".leaky", "a") as f:
                f.write("next page authorization: %s\n" % self.headers.get("Authorization", "none"))
            return self.reply(200, b'{"name": "leaky/app", "tags": ["2.0.0"]}')
        if self.path.startswith("/v2/broken/"):
            return self.reply(200, b'{"name": "broken/app", "tags": ["1.0", ')
        if self.path.startswith("/v2/empty/"):
            return self.reply(200, b'{"name": "empty/app", "tags": []}')
        if self.path.startswith("/v2/failing/"):
            return self.reply(500, b'{"errors": [{"code": "UNKNOWN"}]}')
        if self.path.startswith("/token"):
            # The token service: Basic bearer:s3cret for the pull scope gives a token.
            ok = self.headers.get("Authorization") == "Basic YmVhcmVyOnMzY3JldA=="
            ok = ok and "scope=repository%3Abearer%2Fapp%3Apull" in self.path and "service=fake" in self.path
            return self.reply(200, b'{"token": "t0k3n"}') if ok else self.reply(401, b'{}')
        if self.path.startswith("/v2/bearer/"):
            if self.headers.get("Authorization") != "Bearer t0k3n":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="http://%s/token",service="fake",scope="repository:bearer/app:pull"' % self.headers.get("Host"))
                self.send_header("Content-Length", "0"); self.end_headers(); return
            return self.reply(200, b'{"name": "bearer/app", "tags": ["5.0.0"]}')
        H.n += 1
        log.write("%f %s\n" % (time.time(), self.path)); log.flush()
        if H.n == 1:
            self.send_response(429); self.send_header("Retry-After", "3")
            self.send_header("Content-Length", "0"); self.end_headers(); return
        body = json.dumps({"name": "limited/app", "tags": ["0.1.0", "0.2.0"]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
# A forward HTTP proxy that wants Basic credentials (proxySecretRef), logging what it forwards.
cat >"$scratch/proxy.py" <<'PY'
import base64, http.server, sys, urllib.error, urllib.request
log = open(sys.argv[2], "a")
want = "Basic " + base64.b64encode(b"proxy-user:proxy-pass").decode()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
class P(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Proxy-Authorization") != want:
            self.send_response(407); self.send_header("Proxy-Authenticate", 'Basic realm="p"')
            self.send_header("Content-Length", "0"); self.end_headers(); return
        log.write(self.path + "\n"); log.flush()
        req = urllib.request.Request(self.path, headers={k: v for k, v in self.headers.items()
                                     if k.lower() in ("accept", "authorization")})
        try:
            r = opener.open(req); status, body, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, body, hdrs = e.code, e.read(), e.headers
        self.send_response(status)
        for k in ("Content-Type", "Link", "WWW-Authenticate", "Docker-Content-Digest"):
            if hdrs.get(k): self.send_header(k, hdrs.get(k))
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), P).serve_forever()
PY
proxy_port=$(free_port)
bg_start proxy python3 "$scratch/proxy.py" "$proxy_port" "$scratch/proxy.requests"
kubectl -n "$ns" create secret generic proxy --from-literal=address="http://127.0.0.1:$proxy_port" \
    --from-literal=username=proxy-user --from-literal=password=proxy-pass >/dev/null
kubectl -n "$ns" create secret generic bad-proxy --from-literal=address="http://127.0.0.1:$proxy_port" \
    --from-literal=username=proxy-user --from-literal=password=wrong >/dev/null

rl_port=$(free_port)
bg_start ratelimited python3 "$scratch/ratelimited.py" "$rl_port" "$scratch/ratelimited.requests" "$EDDY_REGISTRY"

repo() { # repo NAME IMAGE [EXTRA YAML LINES]
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: $1}
spec:
  image: $2
  interval: 10m
  insecure: true
${3:-}
YAML
}
repo web "$EDDY_REGISTRY/reflector/web"
repo no-exclusions "$EDDY_REGISTRY/reflector/web" "  exclusionList: []"
repo api "$EDDY_REGISTRY_AUTH/reflector/api" "  secretRef: {name: regcred}"
repo api-anonymous "$EDDY_REGISTRY_AUTH/reflector/api"
repo no-secret "$EDDY_REGISTRY_AUTH/reflector/api" "  secretRef: {name: nosuch}"
kubectl -n "$ns" create serviceaccount puller >/dev/null
kubectl -n "$ns" patch serviceaccount puller -p '{"imagePullSecrets":[{"name":"regcred"}]}' >/dev/null
repo api-sa "$EDDY_REGISTRY_AUTH/reflector/api" "  serviceAccountName: puller"
repo limited "127.0.0.1:$rl_port/limited/app"
repo broken "127.0.0.1:$rl_port/broken/app"
kubectl -n "$ns" create secret docker-registry bearercred --docker-server="127.0.0.1:$rl_port" \
    --docker-username=bearer --docker-password=s3cret >/dev/null
repo bearer "127.0.0.1:$rl_port/bearer/app" "  secretRef: {name: bearercred}"
repo bearer-anonymous "127.0.0.1:$rl_port/bearer/app"
repo leaky "127.0.0.1:$rl_port/leaky/app" "  secretRef: {name: bearercred}"
repo failing "127.0.0.1:$rl_port/failing/app"
repo moved "127.0.0.1:$rl_port/moved/app"
repo empty "127.0.0.1:$rl_port/empty/app"
repo missing "$EDDY_REGISTRY/reflector/does-not-exist"
repo proxied "$EDDY_REGISTRY/reflector/web" "  proxySecretRef: {name: proxy}"
repo bad-proxied "$EDDY_REGISTRY/reflector/web" "  proxySecretRef: {name: bad-proxy}"
repo down "127.0.0.1:$(free_port)/nobody/listens"
# Without spec.insecure: a registry on a loopback address is still read over plain HTTP once
# HTTPS gives no answer, as Flux's go-containerregistry does for local registries.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: local}
spec:
  image: $EDDY_REGISTRY/reflector/web
  interval: 10m
YAML

# A registry over TLS that wants a client certificate (mutual TLS), sharing the storage of a
# plain one the test pushes to. The serving certificate is the test servers' (their CA).
servers=$EDDY_SERVERS_DIR
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=eddy-client" \
    -CA "$servers/ca/ca.crt" -CAkey "$servers/ca/ca.key" \
    -addext extendedKeyUsage=clientAuth 2>/dev/null
plain_port=$(free_port)
tls_port=$(free_port)
for mode in plain tls; do
    port=$plain_port
    [ "$mode" = tls ] && port=$tls_port
    {
        printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n' "$scratch/tls-registry"
        printf 'http:\n  addr: 127.0.0.1:%s\n  secret: s3cr3t\n' "$port"
        if [ "$mode" = tls ]; then
            printf '  tls:\n    certificate: %s\n    key: %s\n    clientcas: [%s]\n' \
                "$servers/git-http/server.crt" "$servers/git-http/server.key" "$servers/ca/ca.crt"
        fi
    } >"$scratch/registry-$mode.yml"
    bg_start "registry-$mode" docker-registry serve "$scratch/registry-$mode.yml"
done
retry 20 curl -fs -o /dev/null "http://127.0.0.1:$plain_port/v2/"
"$EDDY_ROOT/scripts/push-image" "127.0.0.1:$plain_port" secure/app 3.0.0 >/dev/null
retry 20 curl -fs -o /dev/null --cacert "$servers/ca/ca.crt" --cert "$scratch/client.crt" \
    --key "$scratch/client.key" "https://127.0.0.1:$tls_port/v2/"
kubectl -n "$ns" create secret generic registry-tls --from-file=ca.crt="$servers/ca/ca.crt" \
    --from-file=tls.crt="$scratch/client.crt" --from-file=tls.key="$scratch/client.key" >/dev/null
kubectl -n "$ns" create secret generic registry-ca --from-file=ca.crt="$servers/ca/ca.crt" >/dev/null
tlsrepo() { # tlsrepo NAME [EXTRA YAML LINES]
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: $1}
spec:
  image: 127.0.0.1:$tls_port/secure/app
  interval: 10m
${2:-}
YAML
}
# A third registry, over TLS without client certificates, whose certificate another CA signed:
# the agent's system pool ($SSL_CERT_FILE, read as Go reads it) trusts that CA, and
# certSecretRef's ca.crt is added to the pool, as Flux adds it, not put in its place.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$scratch/system-ca.key" -out "$scratch/system-ca.crt" -subj "/CN=eddy-system-ca" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$scratch/system.key" -out "$scratch/system.crt" -subj "/CN=127.0.0.1" \
    -CA "$scratch/system-ca.crt" -CAkey "$scratch/system-ca.key" \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
system_port=$(free_port)
printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp:\n  addr: 127.0.0.1:%s\n  secret: s3cr3t\n  tls:\n    certificate: %s\n    key: %s\n' \
    "$scratch/tls-registry" "$system_port" "$scratch/system.crt" "$scratch/system.key" >"$scratch/registry-system.yml"
bg_start registry-system docker-registry serve "$scratch/registry-system.yml"
retry 20 curl -fs -o /dev/null --cacert "$scratch/system-ca.crt" "https://127.0.0.1:$system_port/v2/"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: system-ca}
spec:
  image: 127.0.0.1:$system_port/secure/app
  interval: 10m
  certSecretRef: {name: registry-ca}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: system-only}
spec:
  image: 127.0.0.1:$system_port/secure/app
  interval: 10m
YAML
tlsrepo mtls "  certSecretRef: {name: registry-tls}"
tlsrepo ca-only "  certSecretRef: {name: registry-ca}"
tlsrepo untrusted

step "the agent"
mport=$(free_port)
sport=$(free_port)
SSL_CERT_FILE=$scratch/system-ca.crt bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-image-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$storage" \
    --storage-addr "127.0.0.1:$sport" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$mport"

get() { kubectl -n "$ns" get "$1" -o "jsonpath=$2"; }
ready_reason() { get "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }

step "a scan: tags, exclusions, Flux's status, tags on disk"
kubectl -n "$ns" wait imagerepository/web --for=condition=Ready --timeout=60s >/dev/null
assert_eq "4" "$(get imagerepository/web '{.status.lastScanResult.tagCount}')" "tagCount (.sig excluded)"
assert_eq "latest 2.0.0-rc.1 1.2.0 1.0.0" "$(get imagerepository/web '{.status.lastScanResult.latestTags[*]}')" "latestTags"
assert_eq "$EDDY_REGISTRY/reflector/web" "$(get imagerepository/web '{.status.canonicalImageName}')" "canonicalImageName"
rev=$(get imagerepository/web '{.status.lastScanResult.revision}')
# Flux's revision: adler32 of the tags as its database stores them, a JSON array in descending order.
assert_eq "$(python3 -c 'import zlib; print(zlib.adler32(b"[\"latest\",\"2.0.0-rc.1\",\"1.2.0\",\"1.0.0\"]"))')" "$rev" "revision"
assert_eq "successful scan: found 4 tags with checksum $rev" "$(get imagerepository/web '{.status.conditions[?(@.type=="Ready")].message}')" "message"
assert_eq "finalizers.fluxcd.io" "$(get imagerepository/web '{.metadata.finalizers[0]}')" "finalizer"
tags_file=$storage/imagerepository/$ns/web/tags.txt
assert_eq "$(printf '1.0.0\n1.2.0\n2.0.0-rc.1\nlatest')" "$(sort "$tags_file")" "tags on disk"
assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$sport/imagerepository/$ns/web/tags.txt")" \
    "the tags are not served by the artifact server"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.name=web,involvedObject.kind=ImageRepository -o jsonpath='{.items[*].message}')" \
    "successful scan: found 4 tags with checksum $rev" "event: the Ready message"

# A repository without tags: tagCount 0 and no latestTags (Flux omits the empty list).
kubectl -n "$ns" wait imagerepository/empty --for=condition=Ready --timeout=60s >/dev/null
assert_eq "0" "$(get imagerepository/empty '{.status.lastScanResult.tagCount}')" "no tags"
assert_not_contains "$(kubectl -n "$ns" get imagerepository/empty -o json)" "latestTags" "latestTags omitted"

# An empty exclusionList does not turn Flux's default off (GetExclusionList), and the status
# records the list the scan used.
kubectl -n "$ns" wait imagerepository/no-exclusions --for=condition=Ready --timeout=60s >/dev/null
assert_eq "4" "$(get imagerepository/no-exclusions '{.status.lastScanResult.tagCount}')" "exclusionList []: .sig still excluded"
assert_eq '^.*\.sig$' "$(get imagerepository/no-exclusions '{.status.observedExclusionList[*]}')" "observedExclusionList: the default"

metrics=$(curl -fs "http://127.0.0.1:$mport/metrics")
assert_contains "$metrics" "gotk_reconcile_condition{kind=\"ImageRepository\",name=\"web\",namespace=\"$ns\",status=\"True\",type=\"Ready\"} 1" "Ready gauge"
assert_contains "$metrics" "gotk_reconcile_duration_seconds_count{kind=\"ImageRepository\",name=\"web\",namespace=\"$ns\"}" "duration histogram"

step "dockerconfigjson credentials (secretRef, serviceAccountName); none: ReadOperationFailed"
kubectl -n "$ns" wait imagerepository/api --for=condition=Ready --timeout=60s >/dev/null
assert_eq "v1.1.0" "$(get imagerepository/api '{.status.lastScanResult.latestTags[*]}')" "tags behind auth"
kubectl -n "$ns" wait imagerepository/api-sa --for=condition=Ready --timeout=60s >/dev/null
assert_eq "v1.1.0" "$(get imagerepository/api-sa '{.status.lastScanResult.latestTags[*]}')" "the service account's imagePullSecrets"
# Flux: a registry refusing the scan is a failed read ("scan failed: ..."), retried; only
# credentials that cannot be read are AuthenticationFailed.
kubectl -n "$ns" wait imagerepository/api-anonymous --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ReadOperationFailed --timeout=60s >/dev/null
assert_contains "$(get imagerepository/api-anonymous '{.status.conditions[?(@.type=="Ready")].message}')" "scan failed: " "Flux's wording"
assert_eq "True" "$(get imagerepository/api-anonymous '{.status.conditions[?(@.type=="Reconciling")].status}')" "retried, not stalled"
kubectl -n "$ns" wait imagerepository/no-secret --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=AuthenticationFailed --timeout=60s >/dev/null
assert_contains "$(get imagerepository/no-secret '{.status.conditions[?(@.type=="Ready")].message}')" "failed to configure authentication options: " "Flux's wording"
assert_not_contains "$(kubectl -n "$ns" get imagerepository api -o yaml)" "$EDDY_REGISTRY_PASSWORD" "no secret in status"

step "Bearer tokens: the challenge's realm, service and scope"
kubectl -n "$ns" wait imagerepository/bearer --for=condition=Ready --timeout=60s >/dev/null
assert_eq "5.0.0" "$(get imagerepository/bearer '{.status.lastScanResult.latestTags[*]}')" "tags behind a token"
kubectl -n "$ns" wait imagerepository/bearer-anonymous --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ReadOperationFailed --timeout=60s >/dev/null

step "a Link to another host: followed, without the credentials (only the registry gets them)"
kubectl -n "$ns" wait imagerepository/leaky --for=condition=Ready --timeout=60s >/dev/null
assert_eq "2.0.0 1.0.0" "$(get imagerepository/leaky '{.status.lastScanResult.latestTags[*]}')" "both pages"
assert_eq "next page authorization: none" "$(sort -u "$scratch/ratelimited.requests.leaky")" "no credentials to localhost"

step "429: asked again after Retry-After"
kubectl -n "$ns" wait imagerepository/limited --for=condition=Ready --timeout=60s >/dev/null
times=$(awk '{print $1}' "$scratch/ratelimited.requests")
gap=$(echo "$times" | awk 'NR==1{a=$1} NR==2{printf "%d", ($1-a)*1000}')
echo "429 then retry after ${gap} ms"
[ "$gap" -ge 3000 ] || fail "the rescan came ${gap} ms after the 429, before Retry-After (3 s)"
[ "$gap" -lt 10000 ] || fail "the rescan came ${gap} ms after the 429, long after Retry-After"
assert_eq "2" "$(get imagerepository/limited '{.status.lastScanResult.tagCount}')" "tags after the 429"

step "a restart does not rescan what is fresh (the tags are on disk)"
bg_stop ctl
mport=$(free_port)
bg_start ctl "$eddy" controller --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace default --leader-election-id "eddy-image-$$" \
    --leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
    --leader-election-retry-period 500ms --storage-path "$storage" \
    --storage-addr "127.0.0.1:$(free_port)" --health-addr "127.0.0.1:$(free_port)" \
    --metrics-addr "127.0.0.1:$mport"
retry 30 grep -q "image automation" "$scratch/ctl.log"
sleep 3
assert_eq "2" "$(wc -l <"$scratch/ratelimited.requests")" "no new listing after the restart"

step "faults: malformed JSON, HTTP 500, 404, nobody listening"
for r in broken failing missing down; do
    kubectl -n "$ns" wait imagerepository/$r --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ReadOperationFailed --timeout=60s >/dev/null
    echo "$r: $(get imagerepository/$r '{.status.conditions[?(@.type=="Ready")].message}')"
    assert_eq "True" "$(get imagerepository/$r '{.status.conditions[?(@.type=="Reconciling")].status}')" "$r: Reconciling (retried)"
done
assert_contains "$(get imagerepository/broken '{.status.conditions[?(@.type=="Ready")].message}')" "malformed tag list" "malformed JSON named"
assert_contains "$(get imagerepository/failing '{.status.conditions[?(@.type=="Ready")].message}')" "/v2/failing/app/tags/list?n=1000: UNKNOWN: " "500 named (go-containerregistry's words)"
assert_contains "$(get imagerepository/missing '{.status.conditions[?(@.type=="Ready")].message}')" "NAME_UNKNOWN: repository name not known to registry" "404 named (the registry's words)"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.name=broken -o jsonpath='{.items[*].type}')" "Warning" "warning event"

step "through a proxy (proxySecretRef)"
kubectl -n "$ns" wait imagerepository/proxied --for=condition=Ready --timeout=60s >/dev/null
assert_eq "4" "$(get imagerepository/proxied '{.status.lastScanResult.tagCount}')" "tags through the proxy"
assert_contains "$(cat "$scratch/proxy.requests")" "http://$EDDY_REGISTRY/v2/reflector/web/tags/list" "the proxy forwarded the listing"
kubectl -n "$ns" wait imagerepository/bad-proxied --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ReadOperationFailed --timeout=60s >/dev/null
assert_contains "$(get imagerepository/bad-proxied '{.status.conditions[?(@.type=="Ready")].message}')" "unexpected status code 407 Proxy Authentication Required" "407 named"

step "TLS: certSecretRef's CA and client certificate"
kubectl -n "$ns" wait imagerepository/mtls --for=condition=Ready --timeout=60s >/dev/null
assert_eq "3.0.0" "$(get imagerepository/mtls '{.status.lastScanResult.latestTags[*]}')" "tags over mutual TLS"
kubectl -n "$ns" wait imagerepository/ca-only imagerepository/untrusted --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False --timeout=60s >/dev/null
echo "without a client certificate: $(get imagerepository/ca-only '{.status.conditions[?(@.type=="Ready")].message}')"
echo "without the CA: $(get imagerepository/untrusted '{.status.conditions[?(@.type=="Ready")].message}')"
assert_not_contains "$(kubectl -n "$ns" get imagerepository mtls -o yaml)" "PRIVATE KEY" "no key in status"
kubectl -n "$ns" wait imagerepository/system-ca imagerepository/system-only --for=condition=Ready --timeout=60s >/dev/null
assert_eq "3.0.0" "$(get imagerepository/system-ca '{.status.lastScanResult.latestTags[*]}')" "certSecretRef's CA added to the system's"
# The loopback registry may be plain HTTP, but this one is HTTPS: the certificate problem is
# reported first, then the 400 of the plain request, as go-containerregistry's ping joins them.
assert_contains "$(get imagerepository/untrusted '{.status.conditions[?(@.type=="Ready")].message}')" \
    "Get \"https://127.0.0.1:$tls_port/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority; GET http://127.0.0.1:$tls_port/v2/: unexpected status code 400 Bad Request" \
    "the HTTPS failure, then the plain request's 400"

step "a local registry without spec.insecure (go-containerregistry's rule)"
kubectl -n "$ns" wait imagerepository/local --for=condition=Ready --timeout=60s >/dev/null
assert_eq "4" "$(get imagerepository/local '{.status.lastScanResult.tagCount}')" "tags over plain HTTP"

step "a registry that redirects its API (registry.k8s.io does): followed, as Go's client follows it"
kubectl -n "$ns" wait imagerepository/moved --for=condition=Ready --timeout=60s >/dev/null
assert_eq "4" "$(get imagerepository/moved '{.status.lastScanResult.tagCount}')" "tags behind a 307"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: moved}
spec:
  imageRepositoryRef: {name: moved}
  policy: {semver: {range: ^1.x}}
  digestReflectionPolicy: IfNotPresent
YAML
kubectl -n "$ns" wait imagepolicy/moved --for=condition=Ready --timeout=60s >/dev/null
assert_eq "$digest_120" "$(get imagepolicy/moved '{.status.latestRef.digest}')" "the digest behind a 307"
kubectl -n "$ns" delete imagepolicy/moved >/dev/null

step "ImagePolicy: semver, digest"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: ^1.x}}
  digestReflectionPolicy: IfNotPresent
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web-alpha}
spec:
  imageRepositoryRef: {name: web}
  filterTags: {pattern: '^(?P<v>[0-9.]+)$', extract: '\$v'}
  policy: {alphabetical: {order: asc}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: bad-range}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: "not a range"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: orphan}
spec:
  imageRepositoryRef: {name: missing}
  policy: {semver: {range: ">=0"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: out-of-range}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: ">=9.0.0"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: filtered-out}
spec:
  imageRepositoryRef: {name: web}
  filterTags: {pattern: '^nightly-'}
  policy: {alphabetical: {}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: not-numbers}
spec:
  imageRepositoryRef: {name: web}
  policy: {numerical: {order: asc}}
YAML
kubectl -n "$ns" wait imagepolicy/web imagepolicy/web-alpha --for=condition=Ready --timeout=60s >/dev/null
assert_eq "1.2.0" "$(get imagepolicy/web '{.status.latestRef.tag}')" "semver ^1.x"
assert_eq "Latest image tag for $EDDY_REGISTRY/reflector/web resolved to 1.2.0 with digest $digest_120" \
    "$(get imagepolicy/web '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's v1 Ready message"
assert_eq "Latest image tag for $EDDY_REGISTRY/reflector/web resolved to 1.2.0" \
    "$(get imagepolicy/web-alpha '{.status.conditions[?(@.type=="Ready")].message}')" "no digest, no digest part"
assert_eq "$EDDY_REGISTRY/reflector/web" "$(get imagepolicy/web '{.status.latestRef.name}')" "latestRef.name"
assert_eq "$digest_120" "$(get imagepolicy/web '{.status.latestRef.digest}')" "digest reflected"
assert_eq "1.2.0" "$(get imagepolicy/web-alpha '{.status.latestRef.tag}')" "filterTags + alphabetical"
assert_eq "" "$(get imagepolicy/web-alpha '{.status.latestRef.digest}')" "no digest by default"
kubectl -n "$ns" wait imagepolicy/bad-range --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].status}'=True --timeout=30s >/dev/null
assert_contains "$(get imagepolicy/bad-range '{.status.conditions[?(@.type=="Ready")].message}')" "not a range" "bad range named"
kubectl -n "$ns" wait imagepolicy/orphan --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=DependencyNotReady --timeout=30s >/dev/null
# Flux: nothing to choose from, or a numerical policy over a tag that is no number, is a
# Failure that is retried (a later scan may bring a tag), not a stalled spec.
kubectl -n "$ns" wait imagepolicy/out-of-range imagepolicy/filtered-out imagepolicy/not-numbers \
    --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=Failure --timeout=30s >/dev/null
assert_eq "unable to determine latest version from provided list" \
    "$(get imagepolicy/out-of-range '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message: none in range"
assert_eq "version list argument cannot be empty" \
    "$(get imagepolicy/filtered-out '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message: none left by the filter"
assert_eq "failed to parse invalid numeric value 'latest'" \
    "$(get imagepolicy/not-numbers '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message: not a number"
for p in out-of-range filtered-out not-numbers; do
    assert_eq "True" "$(get imagepolicy/$p '{.status.conditions[?(@.type=="Reconciling")].status}')" "$p: retried"
    assert_eq "" "$(get imagepolicy/$p '{.status.conditions[?(@.type=="Stalled")].status}')" "$p: not stalled"
done
kubectl -n "$ns" delete imagepolicy/out-of-range imagepolicy/filtered-out imagepolicy/not-numbers >/dev/null

step "a repository whose scan fails keeps its policies on the tags of its last scan (Flux)"
kubectl -n "$ns" patch imagerepository/web --type=merge -p '{"spec":{"secretRef":{"name":"no-such-secret"}}}' >/dev/null
kubectl -n "$ns" wait imagerepository/web --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=False --timeout=30s >/dev/null
sleep 2 # the repository's change queued the policy at once
assert_eq True "$(get imagepolicy/web '{.status.conditions[?(@.type=="Ready")].status}')" "policy still Ready"
assert_eq "1.2.0" "$(get imagepolicy/web '{.status.latestRef.tag}')" "same tag"
kubectl -n "$ns" patch imagerepository/web --type=json -p '[{"op":"remove","path":"/spec/secretRef"}]' >/dev/null
kubectl -n "$ns" wait imagerepository/web --for=condition=Ready --timeout=30s >/dev/null

step "cross-namespace: spec.accessFrom"
for n in image-e2e-friend image-e2e-stranger; do new_namespace "$n"; done
kubectl label namespace image-e2e-friend team=web >/dev/null
repo shared "$EDDY_REGISTRY/reflector/web" "  accessFrom: {namespaceSelectors: [{matchLabels: {team: web}}]}"
for n in image-e2e-friend image-e2e-stranger; do
    kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web}
spec:
  imageRepositoryRef: {name: shared, namespace: $ns}
  policy: {semver: {range: ^1.x}}
YAML
done
kubectl -n image-e2e-friend wait imagepolicy/web --for=condition=Ready --timeout=60s >/dev/null
assert_eq "1.2.0" "$(kubectl -n image-e2e-friend get imagepolicy web -o 'jsonpath={.status.latestRef.tag}')" "admitted namespace"
kubectl -n image-e2e-stranger wait imagepolicy/web --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=AccessDenied --timeout=60s >/dev/null
# Retried, as Flux retries it: labelling the namespace admits it without touching the policy.
assert_eq "" "$(kubectl -n image-e2e-stranger get imagepolicy web -o 'jsonpath={.status.conditions[?(@.type=="Stalled")].status}')" "access denied: not stalled"
kubectl label namespace image-e2e-stranger team=web >/dev/null
kubectl -n image-e2e-stranger wait imagepolicy/web --for=condition=Ready --timeout=30s >/dev/null
kubectl -n "$ns" delete imagerepository/shared --timeout=30s >/dev/null
kubectl delete namespace image-e2e-friend image-e2e-stranger --wait=false >/dev/null

step "a new tag: rescan on request, the policy follows at once"
"$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" reflector/web 1.3.0 >/dev/null
t0=$(date +%s%N)
kubectl -n "$ns" annotate --overwrite imagerepository/web reconcile.fluxcd.io/requestedAt=one >/dev/null
kubectl -n "$ns" wait imagepolicy/web --for=jsonpath='{.status.latestRef.tag}'=1.3.0 --timeout=30s >/dev/null
echo "new tag reflected in the policy $(( ($(date +%s%N) - t0) / 1000000 )) ms after the request"
assert_eq "one" "$(get imagerepository/web '{.status.lastHandledReconcileAt}')" "lastHandledReconcileAt"
assert_eq "1.2.0" "$(get imagepolicy/web '{.status.observedPreviousRef.tag}')" "observedPreviousRef"
assert_match '^sha256:[0-9a-f]{64}$' "$(get imagepolicy/web '{.status.latestRef.digest}')" "new digest"
assert_ne "$digest_120" "$(get imagepolicy/web '{.status.latestRef.digest}')" "digest of the new tag"
digest_130=$(get imagepolicy/web '{.status.latestRef.digest}')
moved="Latest image tag for $EDDY_REGISTRY/reflector/web resolved to 1.3.0 with digest $digest_130 (previously $EDDY_REGISTRY/reflector/web:1.2.0@$digest_120)"
assert_eq "$moved" "$(get imagepolicy/web '{.status.conditions[?(@.type=="Ready")].message}')" "Ready message with the previous ref"
assert_contains "$(kubectl -n "$ns" get events --field-selector involvedObject.name=web,involvedObject.kind=ImagePolicy -o jsonpath='{.items[*].message}')" \
    "$moved" "policy event: the Ready message"

step "digestReflectionPolicy Never after IfNotPresent: the digest leaves latestRef"
kubectl -n "$ns" patch imagepolicy/web --type=merge -p '{"spec":{"digestReflectionPolicy":"Never"}}' >/dev/null
kubectl -n "$ns" wait imagepolicy/web --for=jsonpath='{.status.observedPreviousRef.digest}'="$digest_130" --timeout=30s >/dev/null
assert_eq "1.3.0" "$(get imagepolicy/web '{.status.latestRef.tag}')" "same tag"
assert_eq "" "$(get imagepolicy/web '{.status.latestRef.digest}')" "no stale digest pinning the tag"
assert_eq "Latest image tag for $EDDY_REGISTRY/reflector/web resolved to 1.3.0 (previously $EDDY_REGISTRY/reflector/web:1.3.0@$digest_130)" \
    "$(get imagepolicy/web '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message: the digest went"
kubectl -n "$ns" patch imagepolicy/web --type=merge -p '{"spec":{"digestReflectionPolicy":"IfNotPresent"}}' >/dev/null
kubectl -n "$ns" wait imagepolicy/web --for=jsonpath='{.status.latestRef.digest}'="$digest_130" --timeout=30s >/dev/null

step "digestReflectionPolicy Always: a tag moved to another manifest is seen at the interval"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web-always}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: ^1.x}}
  digestReflectionPolicy: Always
  interval: 1s
YAML
kubectl -n "$ns" wait imagepolicy/web-always --for=condition=Ready --timeout=60s >/dev/null
old_digest=$(get imagepolicy/web-always '{.status.latestRef.digest}')
# Re-point tag 1.3.0 at a new manifest (same blobs, another annotation).
accept=application/vnd.oci.image.manifest.v1+json
curl -fs -H "Accept: $accept" "http://$EDDY_REGISTRY/v2/reflector/web/manifests/1.3.0" |
    python3 -c 'import json,sys; m=json.load(sys.stdin); m.setdefault("annotations",{})["moved"]="yes"; sys.stdout.write(json.dumps(m))' >"$scratch/moved.json"
curl -fs -X PUT -H "Content-Type: $accept" --data-binary @"$scratch/moved.json" \
    "http://$EDDY_REGISTRY/v2/reflector/web/manifests/1.3.0" >/dev/null
new_digest="sha256:$(sha256sum "$scratch/moved.json" | cut -d' ' -f1)"
assert_ne "$old_digest" "$new_digest" "the tag moved"
kubectl -n "$ns" wait imagepolicy/web-always --for=jsonpath='{.status.latestRef.digest}'="$new_digest" --timeout=30s >/dev/null
assert_eq "$old_digest" "$(get imagepolicy/web '{.status.latestRef.digest}')" "IfNotPresent keeps the digest it had"

step "digestReflectionPolicy IfNotPresent: a new image name with the same tag is asked again (Flux)"
repo moving "$EDDY_REGISTRY/reflector/web"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: moving}
spec:
  imageRepositoryRef: {name: moving}
  policy: {semver: {range: ^1.x}}
  digestReflectionPolicy: IfNotPresent
YAML
kubectl -n "$ns" wait imagepolicy/moving --for=jsonpath='{.status.latestRef.tag}'=1.3.0 --timeout=60s >/dev/null
web_digest=$(get imagepolicy/moving '{.status.latestRef.digest}')
mirror_digest=$("$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" reflector/mirror 1.3.0)
assert_ne "$web_digest" "$mirror_digest" "another image, another manifest"
kubectl -n "$ns" patch imagerepository/moving --type=merge -p "{\"spec\":{\"image\":\"$EDDY_REGISTRY/reflector/mirror\"}}" >/dev/null
kubectl -n "$ns" wait imagepolicy/moving --for=jsonpath='{.status.latestRef.name}'="$EDDY_REGISTRY/reflector/mirror" --timeout=60s >/dev/null
assert_eq "1.3.0" "$(get imagepolicy/moving '{.status.latestRef.tag}')" "same tag"
assert_eq "$mirror_digest" "$(get imagepolicy/moving '{.status.latestRef.digest}')" "the new image's digest, not the stored one"
kubectl -n "$ns" delete imagepolicy/moving imagerepository/moving --timeout=30s >/dev/null

step "bad input: invalid exclusion regex, invalid image, a cloud provider"
repo bad-regex "$EDDY_REGISTRY/reflector/web" "  exclusionList: ['(unclosed']"
repo bad-image "$EDDY_REGISTRY/Reflector/Web:1.0"
repo tagged-image "$EDDY_REGISTRY/reflector/web:1.0.0"
repo url-image "https://$EDDY_REGISTRY/reflector/web"
repo cloud "$EDDY_REGISTRY/reflector/web" "  provider: aws"
kubectl -n "$ns" wait imagerepository/bad-regex --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ReadOperationFailed --timeout=30s >/dev/null
assert_contains "$(get imagerepository/bad-regex '{.status.conditions[?(@.type=="Ready")].message}')" "scan failed: failed to compile regex (unclosed: " "pattern named, as a failed scan (Flux)"
kubectl -n "$ns" wait imagerepository/bad-image --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=ImageURLInvalid --timeout=30s >/dev/null
# A policy of a repository whose image is invalid stalls with the same reason (Flux).
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: bad-image}
spec:
  imageRepositoryRef: {name: tagged-image}
  policy: {semver: {range: ">=0"}}
YAML
kubectl -n "$ns" wait imagepolicy/bad-image --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].reason}'=ImageURLInvalid --timeout=30s >/dev/null
assert_contains "$(get imagepolicy/bad-image '{.status.conditions[?(@.type=="Ready")].message}')" "should not include a tag" "the image's problem"
kubectl -n "$ns" delete imagepolicy/bad-image >/dev/null
kubectl -n "$ns" wait imagerepository/tagged-image imagerepository/url-image --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].reason}'=ImageURLInvalid --timeout=30s >/dev/null
assert_eq "image '$EDDY_REGISTRY/reflector/web:1.0.0' should not include a tag; remove ':1.0.0'" \
    "$(get imagerepository/tagged-image '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message for a tag"
assert_eq "image 'https://$EDDY_REGISTRY/reflector/web' should not include URL scheme; remove 'https://'" \
    "$(get imagerepository/url-image '{.status.conditions[?(@.type=="Ready")].message}')" "Flux's message for a URL"
kubectl -n "$ns" wait imagerepository/cloud --for=jsonpath='{.status.conditions[?(@.type=="Stalled")].status}'=True --timeout=30s >/dev/null
assert_contains "$(get imagerepository/cloud '{.status.conditions[?(@.type=="Ready")].message}')" "spec.provider 'aws' is not supported" "provider refused clearly"

step "suspended: no scan, a requested reconcile recorded as handled (as Flux's controller does)"
kubectl -n "$ns" patch imagerepository/api --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
scanned=$(get imagerepository/api '{.status.lastScanResult.scanTime}')
sleep 1.1 # (scanTime has seconds: a scan now would show)
kubectl -n "$ns" annotate --overwrite imagerepository/api reconcile.fluxcd.io/requestedAt=suspended >/dev/null
retry 20 test "$(get imagerepository/api '{.status.lastHandledReconcileAt}')" = suspended
sleep 1
assert_eq "$scanned" "$(get imagerepository/api '{.status.lastScanResult.scanTime}')" \
    "no scan while suspended"
assert_contains "$(curl -fs "http://127.0.0.1:$mport/metrics")" \
    "gotk_suspend_status{kind=\"ImageRepository\",name=\"api\",namespace=\"$ns\"} 1" "suspended gauge"

step "deletion removes the stored tags and the finalizer"
kubectl -n "$ns" delete imagerepository/web --timeout=30s >/dev/null
assert_fails "the tags after deletion" test -e "$tags_file"
