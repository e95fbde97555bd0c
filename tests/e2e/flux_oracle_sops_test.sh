#!/usr/bin/env bash
# tests/e2e/flux_oracle_sops_test.sh: Flux's own kustomize-controller (tests/e2e/flux_lib.sh) as
# the oracle of SOPS decryption failures. The same encrypted files (tests/e2e/fixtures/sops, made
# by getsops/sops through tests/tools/sopsfixture) and the same decryption Secrets are given to
# Flux in namespace osops-flux and to eddy in osops-eddy: PGP files with a wrong private key, with
# an age key only, with an armored public key only and with a broken `.asc`; age files with no
# key entry, an empty `.agekey`, a malformed age identity; a file whose MAC was tampered with and
# one whose sops version no sops has written (neither controller checks either); age and PGP
# recipients in one key group and in two (Shamir threshold 2); secretGenerator's
# encrypted dotenv, JSON and binary files with a wrong key; encrypted INI files (sections,
# comments, quoted values), whose Secret must hold the same bytes in both. Each Kustomization
# must end with the same Ready condition (reason, message byte for byte but for the namespace of
# the pair), the same inventory and Events, and where it failed nothing applied in either target
# namespace; where it succeeded, the same Secret. Two texts inside the messages are normalised, and
# asserted in eddy on their own: gpg's output, and where sops looked for age identities in its
# own process when the Secret held none (README, "SOPS decryption"). Flux's GnuPG homes are kept
# under a short TMPDIR, as in its container, or gpg-agent's socket path is too long to start.
# Seen failing on the old code in pgp-wrong, pgp-age, pgp-public, pgp-broken, nokey, empty,
# badage, gen-wrong, mixed-wrong, groups-one and groups-both.
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"
fx=$EDDY_ROOT/tests/e2e/fixtures/sops

nse=osops-eddy
nsf=osops-flux
ks_setup "$nse" osops
new_namespace "$nsf"
git_auth_secret "$nsf"
flux_bucket_crd

mkdir -p "$work/age" "$work/mac" "$work/version"
cp "$fx/secret.enc.yaml" "$work/age/secret.yaml"
cp -r "$fx/pgp" "$work/pgp"
cp -r "$fx/gen" "$work/gen"
cp -r "$fx/mixed" "$work/mixed"
cp -r "$fx/groups" "$work/groups"
cp -r "$fx/ini" "$work/ini"
# a YAML file and a Secret value holding a whole encrypted file, each in sops's output format
mkdir -p "$work/genyaml"
cp "$fx/configmap.enc.yaml" "$work/genyaml/settings.yaml"
cp "$fx/layout.enc.yaml" "$work/genyaml/layout.yaml"
cp "$fx/commented.enc.yaml" "$work/genyaml/commented.yaml"
cat >"$work/genyaml/kustomization.yaml" <<YAML
secretGenerator:
- name: genyaml
  files: [settings.yaml, layout.yaml, commented.yaml]
  options: {disableNameSuffixHash: true}
resources: [secret.yaml]
YAML
cat >"$work/genyaml/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: whole}
data:
  settings.yaml: $(base64 -w0 "$fx/configmap.enc.yaml")
  creds.json: $(base64 -w0 "$fx/gen/creds.json")
YAML
# The MAC's ciphertext changed (its first character), and a version no sops wrote.
sed 's/^\(    mac: ENC\[AES256_GCM,data:\)\(.\)/\1\2\2/' "$fx/secret.enc.yaml" >"$work/mac/secret.yaml"
sed 's/^\(    version: \).*/\199.1.0/' "$fx/secret.enc.yaml" >"$work/version/secret.yaml"
cmp -s "$fx/secret.enc.yaml" "$work/mac/secret.yaml" && fail "the MAC was not changed"
cmp -s "$fx/secret.enc.yaml" "$work/version/secret.yaml" && fail "the version was not changed"
commit "SOPS-encrypted files"

# The keys: a PGP key of no recipient, the fixture's public key alone, a broken armor, an age
# identity whose checksum fails (its last character changed), an empty entry.
keys=$scratch/keys
mkdir -p "$keys/gnupg"
chmod 700 "$keys/gnupg"
export GNUPGHOME=$keys/gnupg
gpg --batch --quiet --passphrase '' --quick-gen-key "wrong <wrong@eddy.invalid>" default default \
    never 2>/dev/null
gpg --batch --quiet --armor --export-secret-keys wrong@eddy.invalid >"$keys/wrong.asc"
gpg --batch --quiet --import "$fx/pgp.asc" 2>/dev/null
gpg --batch --quiet --armor --export sops@eddy.invalid >"$keys/public.asc"
gpgconf --kill gpg-agent 2>/dev/null || true
unset GNUPGHOME
grep -q 'BEGIN PGP PRIVATE KEY BLOCK' "$keys/wrong.asc" || fail "no wrong PGP key"
grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$keys/public.asc" || fail "no public PGP key"
printf -- '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PRIVATE KEY BLOCK-----\n' \
    >"$keys/broken.asc"
sed '/^AGE-SECRET-KEY-1/s/.$/Q/' "$fx/identity.agekey" >"$keys/bad.agekey"
cmp -s "$fx/identity.agekey" "$keys/bad.agekey" && fail "the age identity was not changed"
: >"$keys/empty.agekey"
printf 'not a key\n' >"$keys/note.txt"

# NAME:PATH:KEY FILE...: the decryption Secret dec-NAME holds each KEY FILE (an entry named after
# the file). Those that end Ready True: mac, version.
cases=(
    "pgp-wrong:pgp:$keys/wrong.asc"
    "pgp-age:pgp:$fx/identity.agekey"
    "pgp-public:pgp:$keys/public.asc"
    "pgp-broken:pgp:$keys/broken.asc"
    "nokey:age:$keys/note.txt"
    "empty:age:$keys/empty.agekey"
    "badage:age:$keys/bad.agekey"
    "mac:mac:$fx/identity.agekey"
    "version:version:$fx/identity.agekey"
    "gen-wrong:gen:$fx/other.agekey"
    "gen:gen:$fx/identity.agekey"
    "genyaml:genyaml:$fx/identity.agekey"
    "ini:ini:$fx/identity.agekey"
    "mixed-age:mixed:$fx/identity.agekey"
    "mixed-pgp:mixed:$fx/pgp.asc"
    "mixed-wrong:mixed:$fx/other.agekey $keys/wrong.asc"
    "groups-one:groups:$fx/identity.agekey"
    "groups-both:groups:$fx/identity.agekey $fx/pgp.asc"
)
names=()
for n in "$nse" "$nsf"; do
    new_namespace "$n-t"
    ns=$n gitrepository "$repo" "{shard: both}"
    shard=eddy
    [ "$n" = "$nsf" ] && shard=flux
    for c in "${cases[@]}"; do
        name=${c%%:*}
        rest=${c#*:}
        args=()
        for f in ${rest#*:}; do
            args+=(--from-file="$f")
        done
        kubectl -n "$n" create secret generic "dec-$name" "${args[@]}" >/dev/null
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: $name, labels: {shard: $shard}}
spec:
  interval: 10m
  retryInterval: 1h
  path: ./${rest%%:*}
  prune: true
  timeout: 30s
  targetNamespace: $n-t
  nameSuffix: -$name
  sourceRef: {kind: GitRepository, name: $repo}
  decryption: {provider: sops, secretRef: {name: dec-$name}}
YAML
    done
done
for c in "${cases[@]}"; do
    names+=("${c%%:*}")
done

# Flux's GnuPG homes go to its TMPDIR, and gpg-agent's socket path must stay short (as under
# Flux's /tmp in its container).
fluxtmp=$(mktemp -d /tmp/fx.XXXXXX)
TMPDIR=$fluxtmp FLUX_NS=$nsf flux_start
RUNTIME_NAMESPACE=$nse agent --watch-label-selector 'shard in (eddy,both)'

# The normalisation: flux_norm's (the namespace of the pair and durations), and the two texts
# eddy does not have (README, "SOPS decryption"): what the gpg binary writes (Flux runs it, eddy
# uses GnuPG through gpgme), after sops's "could not decrypt data key with PGP key" in a report
# and after Flux's "failed to import armored key data into GnuPG keyring"; and where sops looked
# for age identities in its own process's environment and home when the Secret held none
# ("failed to load age identities", eddy looks nowhere else). Each text is asserted in eddy on
# its own below.
flux_norm_more='| gsub("- \\| (?<w>could not decrypt data key with PGP key|failed to load age identities)[^\\n]*(\\n +\\|[^\\n]*)*"; "- | \(.w): TEXT")
    | gsub("into GnuPG keyring[\\s\\S]*$"; "into GnuPG keyring: TEXT")'

# settled NS NAME: NAME in NS attempted the revision and says Ready True or False.
settled() {
    kubectl -n "$1" get kustomization "$2" -o json | jq -e --arg r "$(rev)" \
        '.status.lastAttemptedRevision == $r
         and ([.status.conditions[]? | select(.type == "Ready" and .status != "Unknown")]
              | length == 1)' >/dev/null
}

# leftover NS: what a Kustomization applied into NS (any Secret or ConfigMap but the API's own).
leftover() {
    kubectl -n "$1" get secrets,configmaps -o json |
        jq -r '[.items[].metadata.name | select(. != "kube-root-ca.crt")] | sort | join(" ")'
}

step "every case settles in both"
for name in "${names[@]}"; do
    retry 90 settled "$nsf" "$name"
    retry 90 settled "$nse" "$name"
done

step "the same status and Events in both"
differ=()
for name in "${names[@]}"; do
    # a difference gets a few seconds to settle (an Event still being written), then counts
    ok=0
    for _ in 1 2 3 4 5 6; do
        if same_status "$name" 2>/dev/null && same_events "$name" 2>/dev/null; then
            ok=1
            break
        fi
        sleep 1
    done
    if [ "$ok" = 0 ]; then
        same_status "$name" || true
        same_events "$name" || true
        differ+=("$name")
    fi
done
[ "${#differ[@]}" = 0 ] || fail "eddy differs from Flux in: ${differ[*]}"

step "Ready as expected, and nothing applied where decryption failed"
for name in "${names[@]}"; do
    want=False
    case $name in mac | version | mixed-age | mixed-pgp | groups-both | gen | genyaml | ini) want=True ;; esac
    for n in "$nse" "$nsf"; do
        assert_eq "$want" "$(kubectl -n "$n" get kustomization "$name" \
            -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" "$n: $name's Ready"
    done
done
applied_ok="db-groups-both db-mac db-mixed-age db-mixed-pgp db-version gen-gen genyaml-genyaml ini-ini whole-genyaml"
assert_eq "$applied_ok" "$(leftover "$nse-t")" "what eddy applied"
assert_eq "$applied_ok" "$(leftover "$nsf-t")" "what Flux applied"
assert_not_contains "$(kubectl -n "$nse" get events,kustomizations -o json)$(cat "$scratch/ctl.log")" \
    "$(grep '^AGE-SECRET-KEY' "$fx/other.agekey")" "the age key in eddy's Events, status or log"
# Every value the same bytes, decrypted YAML files too (settings.yaml; layout.yaml: two
# documents, nested mappings out of order, sequences in mappings and in sequences, typed values,
# quoted strings, a literal block; commented.yaml: comments of mappings and among a list's
# items, which sops encrypts as items).
for s in $applied_ok; do
    same "$s's data" \
        "$(kubectl -n "$nsf-t" get secret "$s" -o json | jq -S '{type, data}')" \
        "$(kubectl -n "$nse-t" get secret "$s" -o json | jq -S '{type, data}')" ||
        fail "$s differs"
done
datum() { kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" | base64 -d; }
assert_contains "$(datum "$nse-t" genyaml-genyaml 'layout\.yaml')" "zeta: last-but-first
ab:
    c: d
    e:
        - f" "sops's order and four-space layout in eddy's layout.yaml"
assert_contains "$(datum "$nse-t" genyaml-genyaml 'commented\.yaml')" "# the database
db:
    # who
    user: svc" "the comments sops keeps, in eddy's commented.yaml"
assert_contains "$(datum "$nse-t" genyaml-genyaml 'commented\.yaml')" "hosts:
    # the first
    - a.example" "a comment sops wrote as a list item, in eddy's commented.yaml"
assert_eq "s3cr3t-value" "$(kubectl -n "$nse-t" get secret db-groups-both \
    -o 'jsonpath={.data.password}' | base64 -d)" "eddy decrypted key_groups"

step "eddy's own words where Flux quotes gpg or its environment"
msg() { kubectl -n "$nse" get kustomization "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].message}'; }
assert_contains "$(msg pgp-broken)" "failed to import 'broken.asc' data from sops decryption Secret '$nse/dec-pgp-broken': failed to import armored key data into GnuPG keyring: no valid OpenPGP data found" "a broken .asc"
for name in pgp-wrong pgp-public pgp-age; do
    assert_contains "$(msg "$name")" "  BFAC0A0471D63E2C7376D82BC65BE29B00A8E9C1: FAILED
    - | could not decrypt data key with PGP key: GnuPG binary error:
      | failed to decrypt sops data key with pgp: No secret key" "$name's PGP failure"
done
for name in nokey empty; do
    assert_contains "$(msg "$name")" "  age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n: FAILED
    - | failed to load age identities: the decryption Secret holds
      | no age identity (a '.agekey' entry)" "$name's age failure"
done

step "encrypted INI files: decrypted as sops writes them, in both"
ini() { kubectl -n "$1" get secret ini-ini -o "jsonpath={.data.$2}" | base64 -d; }
assert_contains "$(ini "$nse-t" 'conf\.ini')" "; settings
[db]
user     = svc
password = p4ss=word" "eddy's decrypted conf.ini"
assert_contains "$(ini "$nse-t" 'sections\.ini')" "tick     = \"\"\"back\`tick\"\"\"" \
    "eddy's decrypted sections.ini, quoted as go-ini quotes"
rm -rf "$fluxtmp"
