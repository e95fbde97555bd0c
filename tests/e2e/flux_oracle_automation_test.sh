#!/usr/bin/env bash
# tests/e2e/flux_oracle_automation_test.sh: Flux's own image-automation-controller as the oracle
# of eddy's ImageUpdateAutomation. The Go module proxy refuses the version Flux 2.9.5 pins
# (v1.2.5's api): hack/flux/image-automation-controller builds v1.2.0, the nearest it serves.
#
# Two Git repositories hold the same files (up to the namespace the markers name): one pushed to
# by Flux's controller (namespace iac-flux, shard flux), one by eddy's agent (iac-eddy, shard
# eddy). eddy's agent reconciles the ImageRepositories and ImagePolicies of both namespaces
# (shard both) against the test registry, so the two controllers read the same latestRef. Every
# case is one ImageUpdateAutomation given to both; once both settled, the test compares:
#   the commit  author, committer, message, parents, the files' bytes after the update;
#   status      conditions (type, status, reason, message), lastPushCommit (the head of the
#               branch pushed), observedPolicies, observedSourceRevision, whether
#               lastAutomationRunTime and lastPushTime are set;
#   Events      type, reason, message, annotations.
# Only what must differ is normalised: the namespace of the pair, and commit hashes (each side's
# commits are named by what they are: the branch head they started from, or PUSHED).
# Cases: the default message and push.branch, a new branch; a messageTemplate with
# .Changed.Objects, .Changed.FileChanges, .Changed.Changes (its length: Flux's order is Go's map
# iteration, different on every run), .Values and .AutomationObject (and snakecase, kebabcase,
# printf over a list with a width, float math, semver, durationRound, fromJson); one made with Go's and
# sprig's functions over each of them (.Values nil: no messageTemplateValues), another with the
# rest of sprig's functions and Go's define/template/block, break/continue, else with; a push to the
# checkout branch; push.refspec; checkout.ref of another branch. Failures: a missing source, a checkout
# branch that does not exist, a push the server's hook rejects, a template that does not parse,
# one that fails to execute, the removed .Updated field, no policy selected, an update.path that
# climbs out of the repository (Flux's securejoin keeps it inside: ../../f is f). The source's
# state: a GitRepository that no controller reconciles (never Ready), a suspended one, one of a
# repository that does not exist. An automation suspended after a run (a reconcile requested
# meanwhile), then resumed.
# Templates that fail, each in Go's words: ones that do not parse (an unclosed action, a missing
# or lone {{end}}, an undefined function or variable in a branch that does not run, an empty if)
# and ones that fail as they run (a missing field of the data, of a change, of an object, on a
# later line; range over a string; wrong arguments; a function's error; the removed
# .Changed.ImageResult, stalled).
# Deliberate differences, asserted apart (README.md, ImageUpdateAutomation): kyaml's re-emitted
# layout of a file Flux changes (step "deliberate").
# Every difference is reported (all of them, then the test fails).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"
. "$EDDY_ROOT/tests/e2e/ks_lib.sh"
. "$EDDY_ROOT/tests/e2e/flux_lib.sh"

nf=iac-flux
ne=iac-eddy
ns=$ne
reg=$EDDY_REGISTRY

step "CRDs, namespaces, images"
kubectl apply --server-side -f "$EDDY_ROOT/deploy/crds/" >/dev/null
retry 60 kubectl wait --for=condition=Established --timeout=60s \
    crd/imageupdateautomations.image.toolkit.fluxcd.io crd/imagepolicies.image.toolkit.fluxcd.io \
    crd/gitrepositories.source.toolkit.fluxcd.io >/dev/null
for tag in 1.0.0 1.1.0 2.0.0; do "$EDDY_ROOT/scripts/push-image" "$reg" iac/app "$tag" >/dev/null; done
"$EDDY_ROOT/scripts/push-image" "$reg" iac/api 0.3.0 >/dev/null

# files NS DIR: the repository's files, their markers naming policies of NS, in DIR.
# The same YAML in several shapes, under each case's directory: a Deployment with two
# containers (block style, quoted), a values file that is no Kubernetes object (name, tag,
# digest apart), a file of two documents, a List, flow style, a marker on a sequence item.
files() {
    local d
    for d in a b c d e f; do
        mkdir -p "$2/$d"
        cat >"$2/$d/app.yaml" <<YAML
# The app.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: $1
spec:
  template:
    spec:
      containers:
        - name: app
          image: "$reg/iac/app:1.0.0" # {"\$imagepolicy": "$1:app"}
        - name: api
          image: '$reg/iac/api:0.1.0' # {"\$imagepolicy": "$1:api"}
      initContainers:
        - name: init
          image: $reg/iac/api:0.0.1 # {"\$imagepolicy": "$1:api:tag"} trailing words
YAML
        # kyaml's layout but for the blanks before the marker (see the fmt step)
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fmt\ndata:\n  tag: 1.0.0    # {"$imagepolicy": "%s:app:tag"}\n' \
            "$1" >"$2/$d/fmt.yaml"
        cat >"$2/$d/values.yaml" <<YAML
image:
  repository: old/app # {"\$imagepolicy": "$1:app:name"}
  tag: "1.0.0" # {"\$imagepolicy": "$1:app:tag"}
  digest: "" # {"\$imagepolicy": "$1:app:digest"}
api:
  tags:
    - 0.1.0 # {"\$imagepolicy": "$1:api:tag"}
    - keep
YAML
        cat >"$2/$d/multi.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: one}
data:
  image: $reg/iac/app:1.0.0 # {"\$imagepolicy": "$1:app"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: two}
data: {tag: "1.0.0"} # {"\$imagepolicy": "$1:app:tag"}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: three}
  data:
    tag: 1.0.0 # {"\$imagepolicy": "$1:app:tag"}
    missing: 1.0.0 # {"\$imagepolicy": "$1:absent:tag"}
YAML
    done
}

declare -A repo_of=([$nf]=iac-flux [$ne]=iac-eddy)
for n in $nf $ne; do
    new_namespace "$n"
    git_auth_secret "$n"
    r=${repo_of[$n]}
    new_repo "$r"
    w=$scratch/$r
    git clone -q "$(git_http_url "$r")" "$w" 2>/dev/null
    files "$n" "$w"
    (cd "$w" && git add -A && git -c user.name=tester -c user.email=t@eddy.invalid commit -qm initial &&
        git push -q origin HEAD:main HEAD:dev HEAD:rsbase)
    # The server refuses pushes to branch 'protected'.
    cat >"$EDDY_SERVERS_DIR/git/$r.git/hooks/pre-receive" <<'HOOK'
#!/bin/sh
while read -r old new ref; do
  [ "$ref" = refs/heads/protected ] && { echo "protected branch" >&2; exit 1; }
done
exit 0
HOOK
    chmod +x "$EDDY_SERVERS_DIR/git/$r.git/hooks/pre-receive"
    repo=$r ns=$n gitrepository fleet "{shard: both}"
    kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, labels: {shard: both}}
spec: {image: $reg/iac/app, interval: 10m, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, labels: {shard: both, team: apps}}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: ^1.x}}
  digestReflectionPolicy: IfNotPresent
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: api, labels: {shard: both}}
spec: {image: $reg/iac/api, interval: 10m, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: api, labels: {shard: both, team: apps}}
spec:
  imageRepositoryRef: {name: api}
  policy: {semver: {range: ">=0.1.0"}}
# The sources of the source cases, of the same repository: one that no controller reconciles
# (no status, never Ready), one suspended (eddy's agent leaves it alone), one of a repository
# that does not exist (Ready False).
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: unready, labels: {shard: none}}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/$r.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: paused, labels: {shard: both}}
spec:
  interval: 10m
  suspend: true
  url: $EDDY_GIT_HTTP_URL/$r.git
  ref: {branch: main}
  secretRef: {name: git-auth}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: gone, labels: {shard: both}}
spec:
  interval: 10m
  url: $EDDY_GIT_HTTP_URL/nosuch-$r.git
  ref: {branch: main}
  secretRef: {name: git-auth}
YAML
done

step "eddy's agent (shard eddy, and the image policies of both), Flux's image-automation-controller"
agent --watch-label-selector 'shard in (eddy,both)' --log-encoding json
for n in $nf $ne; do
    kubectl -n "$n" wait imagepolicy/app imagepolicy/api --for=condition=Ready --timeout=90s >/dev/null
done
flux_iac_start

# labels NS: the first heads of NS's repository by name, {"<hash>": "main0", "<short hash>":
# "main0", "<hash>": "dev0", ...}, for the normalisation.
labels() {
    local r=${repo_of[$1]} b h
    for b in main dev rsbase; do
        h=$(git -C "$EDDY_SERVERS_DIR/git/$r.git" rev-parse "$b")
        printf '%s %s0\n%s %s0\n' "$h" "$b" "${h:0:7}" "$b"
    done | jq -Rn '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries'
}
declare -A first
for n in $nf $ne; do first[$n]=$(labels "$n"); done

# auto NAME SPEC-YAML: the ImageUpdateAutomation NAME in both namespaces, each on its shard,
# with the spec SPEC-YAML (lines indented by two; sourceRef and interval given here).
auto() {
    local n shard
    for n in $nf $ne; do
        shard=${n#iac-}
        kubectl -n "$n" apply -f - >/dev/null <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: $1, labels: {shard: $shard}}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: ${SRC:-fleet}}
  policySelector: {matchLabels: {team: ${TEAM:-apps}}}
$2
YAML
    done
}
commit_spec="    commit:
      author: {name: image-bot, email: bot@eddy.invalid}"

auto dflt "  update: {path: ./a, strategy: Setters}
  git:
    checkout: {ref: {branch: main}}
$commit_spec
    push: {branch: dflt}"
auto tmpl "  update: {path: ./b}
  git:
$commit_spec
      messageTemplate: |-
        {{ .Values.prefix }} {{ .AutomationObject }}

        Objects:
        {{ range \$res, \$changes := .Changed.Objects -}}
        - {{ \$res.Kind }} {{ \$res.Name }}{{ range \$changes }} {{ .OldValue }}->{{ .NewValue }} ({{ .Setter }}){{ end }}
        {{ end -}}
        Files:
        {{ range \$file, \$objs := .Changed.FileChanges -}}
        - {{ \$file }} {{ len \$objs }}
        {{ end -}}
        Changes: {{ len .Changed.Changes }}
        Kinds: {{ range \$res, \$c := .Changed.Objects }}{{ \$res.Kind | snakecase }} {{ \$res.Kind | kebabcase }} {{ end }}
        More: {{ printf \"%6s|%.2f\" (list \"a\" 1) (divf 1 3) }} {{ addf 0.1 0.2 }} {{ (semver \"v1.2.3-rc.1\").Minor }} {{ durationRound \"2h10m\" }} {{ (fromJson \"{\\\"n\\\":1.5}\").n }}
      messageTemplateValues: {prefix: \"chore(images):\"}
    push: {branch: tmpl}"
auto tomain "  update: {path: ./c}
  git:
$commit_spec"
# (a checkout branch of its own: Flux pushes it too, and would race tomain's push to main)
auto refspec "  update: {path: ./d}
  git:
    checkout: {ref: {branch: rsbase}}
$commit_spec
    push: {refspec: \"refs/heads/rsbase:refs/heads/rs\"}"
auto codev "  update: {path: ./e}
  git:
    checkout: {ref: {branch: dev}}
$commit_spec"
SRC=absent auto nosrc "  update: {path: ./a}
  git:
$commit_spec"
auto nobranch "  update: {path: ./a}
  git:
    checkout: {ref: {branch: nope}}
$commit_spec"
auto rejected "  update: {path: ./f}
  git:
$commit_spec
    push: {branch: protected}"
auto badtmpl "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: '{{ .Changed'
    push: {branch: badtmpl}"
auto exectmpl "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: '{{ .Nope }}'
    push: {branch: exectmpl}"
auto removed "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: '{{ range .Updated.Images }}{{ . }}{{ end }}'
    push: {branch: removed}"
# tmpl_case NAME TEMPLATE: an automation of ./a pushing to branch NAME with the message
# template TEMPLATE (lines of text).
tmpl_case() {
    auto "$1" "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: |-
$(sed 's/^/        /' <<<"$2")
    push: {branch: $1}"
}
# Go's builtins and sprig's functions over every part of the data (.Changed.Changes only by its
# length: Flux's order is Go's map iteration's; nothing of the namespace, which differs)
tmpl_case funcs '{{ .AutomationObject.Name | upper }} {{ printf "%s/%s" .AutomationObject.Namespace .AutomationObject.Name | quote }} {{ index .Values "prefix" | trimSuffix ":" }}
{{ range $file, $objs := .Changed.FileChanges -}}
{{ $file | trimPrefix "a/" }}: {{ len $objs }}{{ range $o, $cs := $objs }} {{ $o.Kind | lower }}/{{ $o.Name | default "-" }}={{ len $cs }}{{ end }}
{{ end -}}
{{ range $o, $cs := .Changed.Objects }}{{ print $o.Kind " " $o.Name }} {{ toJson $o }} {{ (index $cs 0).Setter }} {{ (last $cs).NewValue | splitList ":" | last }}
{{ end -}}
{{ if gt (len .Changed.Changes) 3 }}many{{ else }}few{{ end }} {{ le (len .Changed.Changes) 100 }} {{ sha256sum (toString .AutomationObject.Name) | trunc 12 }} {{ list "b" "a" | sortAlpha | join "," }} {{ .Values | toJson }}
{{ println "end" }}{{ .Values.missing }}'
# the rest of sprig (regexes, encodings, paths, math, dicts) and Go's language (define,
# template, block, break, continue, else with, html, urlquery), over the same parts of the data
tmpl_case funcs2 '{{ define "obj" }}{{ .Kind | lower | initials }}:{{ .Name | default "-" | title }}{{ end -}}
{{ range $o, $cs := .Changed.Objects }}{{ template "obj" $o }} {{ range $cs }}{{ if hasSuffix ":tag" .Setter }}{{ continue }}{{ end }}{{ regexReplaceAll "^.*:" .NewValue "" | b64enc }} {{ regexFind "[0-9]+$" .NewValue }}{{ break }}{{ end }}
{{ end -}}
{{ range $file, $_ := .Changed.FileChanges }}{{ base $file }} {{ dir $file }} {{ ext $file }} {{ $file | sha1sum | substr 0 8 }} {{ split "/" $file }}
{{ end -}}
{{ $d := dict "name" .AutomationObject.Name "n" (len .Changed.Changes) }}{{ $_ := set $d "twice" (mul (get $d "n") 2) }}{{ toJson $d }} {{ keys $d | sortAlpha | join "," }} {{ add1 (get $d "n") | kindOf }}
{{ block "b" .AutomationObject.Name }}{{ . | swapcase | wrap 4 | indent 2 }}{{ end }} {{ urlquery "a b&c" | html }}
{{ with .Values.nope }}none{{ else with .AutomationObject.Name }}{{ . | upper | abbrev 5 }}{{ end }} {{ range until 3 }}{{ . }}{{ end }} {{ seq 3 }} {{ regexSplit "-" "x-y-z" -1 | reverse | compact }}'
# templates that do not parse: anywhere, in a branch that would not run too
tmpl_cases=(noend endonly nofunc novar emptyif)
tmpl_case noend $'Update\n{{ if .Values.x }}{{ .Changed.Changes }}'
tmpl_case endonly 'x{{ end }}'
tmpl_case nofunc '{{ if false }}{{ nope 1 }}{{ end }}'
tmpl_case novar '{{ range $c := .Changed.Changes }}{{ $x }}{{ end }}'
tmpl_case emptyif '{{ if }}x{{ end }}'
# templates that fail as they run, at the node Go was evaluating
tmpl_cases+=(chfield objfield multiline rangestr nargs first imgres)
tmpl_case chfield '{{ range .Changed.Changes }}{{ .Foo }}{{ end }}'
tmpl_case objfield '{{ range $o, $c := .Changed.Objects }}{{ $o.Kind }} {{ $o.Foo }}{{ end }}'
tmpl_case multiline $'Update\n\n  {{ .Changed.Changes.X }}'
tmpl_case rangestr '{{ range "abc" }}x{{ end }}'
tmpl_case nargs '{{ trunc 1 "a" "b" }}'
tmpl_case first '{{ .Values.x | default "d" | first }}'
tmpl_case imgres '{{ .Changed.ImageResult }}'
TEAM=none auto nopolicy "  update: {path: ./a}
  git:
$commit_spec
    push: {branch: nopolicy}"
auto escape "  update: {path: ../../f}
  git:
$commit_spec
    push: {branch: escape}"
# The source not Ready (never reconciled), suspended, failing: Flux's controller reads its
# spec alone (URL, ref, secretRef) and clones it itself.
# (a message of each: two equal commits made in the same second would be one)
for src in unready paused gone; do
    SRC=$src auto "src-$src" "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: 'Update from $src'
    push: {branch: src-$src}"
done
# One to suspend once it ran, and resume.
auto pausable "  update: {path: ./a}
  git:
$commit_spec
      messageTemplate: 'Update pausable'
    push: {branch: pausable}"

# The normalisation: the namespace of the pair, the hashes of the side's first heads by name
# and of its pushed commits as "pushed".
# And the body of the Git server's answer that go-git appends to "repository not found" (a
# deliberate difference, README: libgit2 gives eddy the status alone).
norm='def n: if type == "string" then gsub($ns; "NS")
        | sub("(?<w>repository not found|authentication required): (?s).*$"; "\(.w)")
        | reduce ($heads | to_entries[]) as $e (.; gsub($e.key; $e.value))
        | gsub("[0-9a-f]{40}"; "PUSHED") | gsub("(?<![0-9a-f])[0-9a-f]{7}(?![0-9a-f])"; "PUSHED7")
    else . end;'

# view NS NAME: what NAME in NS says of itself, normalised; lastPushCommit is compared with the
# head of the branch it says it pushed.
view() {
    local r=${repo_of[$1]} v push
    v=$(kubectl -n "$1" get imageupdateautomation "$2" -o json)
    push=$(jq -r '.status.lastPushCommit // ""' <<<"$v")
    jq -S --arg ns "$1" --argjson heads "${first[$1]}" \
        --arg pushedHeads "$(git -C "$EDDY_SERVERS_DIR/git/$r.git" for-each-ref --format='%(objectname) %(refname:short)' | grep "^$push " | cut -d' ' -f2 | sort | tr '\n' ' ')" \
        "$norm"'
    {conditions: [(.status.conditions // [])[] | {type, status, reason, message: (.message | n)}]
        | sort_by(.type),
     lastPushCommit: (if .status.lastPushCommit then "head of: " + $pushedHeads else null end),
     lastPushTime: (.status.lastPushTime != null),
     lastAutomationRunTime: (.status.lastAutomationRunTime != null),
     lastHandledReconcileAt: .status.lastHandledReconcileAt,
     observedPolicies: .status.observedPolicies,
     observedSourceRevision: (.status.observedSourceRevision | n),
     generationObserved: (.status.observedGeneration == .metadata.generation)}' <<<"$v"
}

# events NS NAME: the Events about NAME in NS, normalised, each once.
events() {
    kubectl -n "$1" get events -o json | jq -S --arg ns "$1" --arg name "$2" \
        --argjson heads "${first[$1]}" "$norm"'
    [.items[] | select(.involvedObject.kind == "ImageUpdateAutomation" and .involvedObject.name == $name)
        | {type, reason, message: (.message | n),
           annotations: ((.metadata.annotations // {}) | with_entries(.value |= n))}] | unique'
}

# pushed NS BRANCH: the commit at BRANCH of NS's repository (when it is not a first head):
# author, committer, parents, message and the whole files it changed, normalised.
pushed() {
    local git="git -C $EDDY_SERVERS_DIR/git/${repo_of[$1]}.git" h
    h=$($git rev-parse -q --verify "refs/heads/$2") || { echo "no branch $2"; return 0; }
    [ "$(jq -r --arg h "$h" '.[$h] // ""' <<<"${first[$1]}")" = "" ] || { echo "no commit on $2"; return 0; }
    $git show -U9999 --format='author: %an <%ae>%ncommitter: %cn <%ce>%nparents: %P%n%B%n--' "$h" -- . ':!*/fmt.yaml' |
        grep -v '^index ' | jq -Rrs --arg ns "$1" --argjson heads "${first[$1]}" "$norm"'n'
}

# settled NS NAME: NAME has a Ready condition that is not Unknown.
settled() {
    kubectl -n "$1" get imageupdateautomation "$2" -o json |
        jq -e '[(.status.conditions // [])[] | select(.type == "Ready" and .status != "Unknown")] | length == 1' >/dev/null
}

# within SECONDS WHAT F E: `same WHAT` of the outputs of the commands F and E (strings run by
# eval) becomes true within SECONDS; the last diff otherwise, counted in $differences.
differences=0
within() {
    local deadline=$((SECONDS + $1))
    until same "$2" "$(eval "$3")" "$(eval "$4")" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            same "$2" "$(eval "$3")" "$(eval "$4")" || true
            differences=$((differences + 1))
            return 0
        fi
        sleep 0.5
    done
}
# compare NAME [BRANCH]: Flux and eddy wrote the same of NAME (and pushed the same to BRANCH).
compare() {
    retry 90 settled "$nf" "$1" || fail "$1: Flux's never settled: $(view "$nf" "$1")"
    retry 90 settled "$ne" "$1" || fail "$1: eddy's never settled: $(view "$ne" "$1")"
    within 10 "status of $1" "view $nf $1" "view $ne $1"
    within 10 "Events of $1" "events $nf $1" "events $ne $1"
    [ -z "${2:-}" ] || within 5 "commit of $1 on $2" "pushed $nf $2" "pushed $ne $2"
    echo "compared: $1"
}

step "successes: the commits, status and Events the same as Flux's"
compare dflt dflt
compare tmpl tmpl
compare funcs funcs
compare funcs2 funcs2
compare tomain main
compare refspec rs
same "refspec's push of its checkout branch" "$(pushed "$nf" rsbase)" "$(pushed "$ne" rsbase)" ||
    differences=$((differences + 1))
compare codev dev
step "deliberate: eddy edits only the marked value where kyaml re-writes the file it changed"
# Flux's setters parse and re-emit a file they change: the blanks before a comment become one
# (and a sequence's indentation follows the document's first one); eddy changes only the bytes
# of the value (README, "ImageUpdateAutomation"). The other files of the cases are laid out as
# kyaml emits them, so their bytes are compared above.
fmt_of() { git -C "$EDDY_SERVERS_DIR/git/${repo_of[$1]}.git" show dflt:a/fmt.yaml | sed "s/$1/NS/"; }
want='apiVersion: v1
kind: ConfigMap
metadata:
  name: fmt
data:
  tag: 1.1.0    # {"$imagepolicy": "NS:app:tag"}'
assert_eq "$want" "$(fmt_of "$ne")" "eddy: only the value changed"
assert_eq "${want/    #/ #}" "$(fmt_of "$nf")" "Flux: the value changed, the blanks before the marker one"

step "failures"
compare nosrc
compare nobranch
compare rejected protected
# A template that fails: the same reason, conditions and Events, in Go's text/template's words
# (the template named "commit message", as Flux names it), retried as Flux retries it.
iua_ready() { kubectl -n "$1" get imageupdateautomation "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'; }
compare badtmpl badtmpl
for n in $nf $ne; do
    assert_eq "failed to update source: unable to create commit message template from spec: template: commit message:1: unclosed action" \
        "$(iua_ready "$n" badtmpl)" "$n: the message of a template that does not parse"
done
compare exectmpl exectmpl
for n in $nf $ne; do
    assert_eq "failed to update source: failed to run template from spec: template: commit message:1:3: executing \"commit message\" at <.Nope>: can't evaluate field Nope in type source.TemplateData" \
        "$(iua_ready "$n" exectmpl)" "$n: the message of a template that fails"
done
for a in "${tmpl_cases[@]}"; do compare "$a" "$a"; done
compare removed removed
compare nopolicy nopolicy
compare escape escape
step "the source not Ready, suspended, of a repository that does not exist"
compare src-unready src-unready
compare src-paused src-paused
compare src-gone src-gone
for n in $nf $ne; do
    assert_eq "" "$(kubectl -n "$n" get gitrepository unready -o jsonpath='{.status.conditions}')" \
        "$n: the source unready has no status"
done

step "suspended after a run: a requested reconcile changes nothing; resumed: run again"
compare pausable pausable
for n in $nf $ne; do
    kubectl -n "$n" patch imageupdateautomation pausable --type merge -p '{"spec":{"suspend":true}}' \
        >/dev/null
done
for n in $nf $ne; do
    kubectl -n "$n" annotate --overwrite imageupdateautomation/pausable \
        reconcile.fluxcd.io/requestedAt=while-suspended >/dev/null
done
sleep 3
compare pausable pausable
for n in $nf $ne; do
    kubectl -n "$n" patch imageupdateautomation pausable --type merge -p '{"spec":{"suspend":false}}' \
        >/dev/null
done
# resumed_run NS: the run after the resume is over (the requested token handled).
resumed_run() {
    [ "$(kubectl -n "$1" get imageupdateautomation pausable -o jsonpath='{.status.lastHandledReconcileAt}')" = while-suspended ]
}
retry 60 resumed_run $nf
(retry 30 resumed_run $ne) >/dev/null 2>&1 || true
compare pausable pausable

step "a reconcile with nothing to change: no commit, the same status and Events"
for n in $nf $ne; do
    kubectl -n "$n" annotate --overwrite imageupdateautomation/tomain reconcile.fluxcd.io/requestedAt=again >/dev/null
done
for n in $nf $ne; do
    kubectl -n "$n" wait imageupdateautomation/tomain --timeout=60s \
        --for=jsonpath='{.status.lastHandledReconcileAt}'=again >/dev/null
done
compare tomain main

# (Last: every automation runs again on the new tag; one pushing to another branch than its
# checkout branch makes its second commit on top of that branch, as Flux checks it out.)
step "a new tag: a second commit, on the checkout branch and on the push branch"
"$EDDY_ROOT/scripts/push-image" "$reg" iac/app 1.2.0 >/dev/null
for n in $nf $ne; do
    kubectl -n "$n" annotate --overwrite imagerepository/app reconcile.fluxcd.io/requestedAt=new >/dev/null
done
for n in $nf $ne; do
    for a in tomain codev dflt tmpl refspec escape; do
        kubectl -n "$n" wait "imageupdateautomation/$a" --timeout=60s \
            --for=jsonpath='{.status.observedPolicies.app.tag}'=1.2.0 >/dev/null ||
            fail "$n/$a: not updated: $(view "$n" "$a")"
    done
done
compare tomain main
compare codev dev
compare dflt dflt
compare tmpl tmpl
compare refspec rs
compare escape escape

step "suspended"
for n in $nf $ne; do
    kubectl -n "$n" patch imageupdateautomation nopolicy --type merge -p '{"spec":{"suspend":true}}' \
        >/dev/null
done
sleep 3

step "the log lines: each side's about each automation, compared"
# The lines each controller logged about the ImageUpdateAutomations of its namespace, each
# distinct line once, over the whole run (flux_log_lines): commits pushed, nothing to change,
# the failures (a missing GitRepository, a push refused...), suspended. Made neutral as in the
# statuses: commit hashes, and the words of a template error (a deliberate difference, above).
# log_lines NS LOG: flux_log_lines of the automations, NS's heads named.
log_lines() {
    FLUX_LOG_JQ="def neutral: sub(\"(?<w>repository not found|authentication required): (?s).*$\"; \"\\(.w)\")
        | reduce (${first[$1]} | to_entries[]) as \$e (.; gsub(\$e.key; \$e.value))
        | gsub(\"[0-9a-f]{40}\"; \"PUSHED\") | gsub(\"(?<![0-9a-f])[0-9a-f]{7}(?![0-9a-f])\"; \"PUSHED7\")
        | sub(\"^failed to update source: (unable to create commit message template from spec|failed to run template from spec|spec.git.commit: messageTemplate line [0-9]+): .*\"; \"failed to update source: TEMPLATE-ERROR\");" \
        flux_log_lines "$1" "$2" | grep '^ImageUpdateAutomation/' || true
}
log_lines $nf "$scratch/flux-iac.log" >"$scratch/log.flux"
log_lines $ne "$scratch/ctl.log" >"$scratch/log.eddy"
same "the log lines" "$(cat "$scratch/log.flux")" "$(cat "$scratch/log.eddy")" ||
    differences=$((differences + 1))
# The comparison saw the lines of every case (on Flux's side, which eddy's equals).
for want in 'ImageUpdateAutomation/tomain.*"msg":"pushed commit .PUSHED7. to branch .main.' \
    'ImageUpdateAutomation/tomain.*"msg":"no change since last reconciliation"' \
    'ImageUpdateAutomation/nosrc.*"Reconciler error"' \
    'ImageUpdateAutomation/nosrc.*"level":"error".*"error":"SourceManagerFailed"' \
    'ImageUpdateAutomation/rejected.*"level":"error","msg":"failed to update source: failed to push to remote: .*pre-receive hook declined".*"error":"GitOperationFailed"' \
    'ImageUpdateAutomation/nopolicy.*"reconciliation is suspended for this object"'; do
    grep -qE "$want" "$scratch/log.flux" || fail "no line matches /$want/ in:
$(cat "$scratch/log.flux")"
done

step "eddy left Flux's shard alone"
writes=$(jq -R -r --arg p "/namespaces/$nf/imageupdateautomations/" 'fromjson?
    | select(.msg == "API request" and (.method | test("^(PATCH|PUT|POST|DELETE)$"))
        and (.path | contains($p))) | "\(.method) \(.path)"' "$scratch/ctl.log")
assert_eq "" "$writes" "eddy's writes to Flux's ImageUpdateAutomations"
[ "$differences" -eq 0 ] || fail "$differences differences with Flux (above)"
flux_iac_stop
