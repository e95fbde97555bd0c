/*
 * The verb table and the global behaviour of the command line: `eddy --help` lists the verbs
 * that exist (and only those), `eddy help VERB` and `eddy VERB --help` show a verb's help,
 * `eddy version` prints the build's version. Each verb lives in a file of its family (get.c,
 * flux.c, create.c, install.c, events.c, diff.c, logs.c, debug.c, completion.c, migrate.c); what
 * they share is in common.c.
 */
#include "cli.h"
#include "cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verb {
    const char *name;
    const char *summary;
    const char *usage; /* the help text: usage line, description, examples */
    int (*run)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
    {"controller", "Run the agent: the reconcilers of every Flux kind eddy serves",
     "Usage: eddy controller [flags]\n"
     "\n"
     "Run the agent process against the cluster of --kubeconfig (in-cluster configuration when\n"
     "absent). It serves /healthz and /readyz, and /metrics in the Prometheus format, and holds\n"
     "a coordination.k8s.io Lease so that one replica works at a time. SIGTERM or SIGINT\n"
     "releases the lease and exits 0. While leading it reconciles GitRepositories (a persistent\n"
     "Git cache, artifacts served over HTTP), Kustomizations (build, validate, staged\n"
     "server-side apply, prune, health), ImageRepositories and ImagePolicies (registry scans,\n"
     "tag policies) and ImageUpdateAutomations (setters committed and pushed to Git).\n"
     "\n"
     "Flags:\n"
     "  --kubeconfig PATH                     kubeconfig file (default: $KUBECONFIG,\n"
     "                                        ~/.kube/config, then in-cluster)\n"
     "  --context NAME                        kubeconfig context\n"
     "  --leader-elect[=true|false]           campaign for the lease (default true); Flux's\n"
     "                                        --enable-leader-election is the same\n"
     "  --leader-election-release-on-cancel[=true|false]\n"
     "                                        release the lease on shutdown (default true;\n"
     "                                        false: it expires)\n"
     "  --leader-election-namespace NS        the lease's namespace (default\n"
     "                                        $RUNTIME_NAMESPACE or flux-system)\n"
     "  --leader-election-id NAME             the lease's name (default eddy-leader-election;\n"
     "                                        a shard's: -<8 hex of the selector's sha256>)\n"
     "  --leader-election-lease-duration D    default 35s\n"
     "  --leader-election-renew-deadline D    default 30s\n"
     "  --leader-election-retry-period D      default 5s\n"
     "  --metrics-addr ADDR                   default :8080\n"
     "  --health-addr ADDR                    default :9440\n"
     "  --log-level debug|info|error          default info\n"
     "  --log-encoding json|console           default json\n"
     "  --concurrent N                        workers per controller (default 4)\n"
     "  --watch-all-namespaces[=true|false]   default true; false watches the lease's\n"
     "                                        namespace only\n"
     "  --watch-label-selector SELECTOR       watch only objects matching it (sharding)\n"
     "  --kube-api-qps N                      client rate limit (default 50; 0: none)\n"
     "  --kube-api-burst N                    default 300\n"
     "  --storage-path DIR                    Git cache and artifacts (default $STORAGE_PATH\n"
     "                                        or /data)\n"
     "  --storage-addr ADDR                   artifact server (default :9090)\n"
     "  --storage-adv-addr HOST[:PORT]        host in artifact URLs (default: host name)\n"
     "  --artifact-retention-records N        artifacts a GitRepository keeps after a garbage\n"
     "                                        collection (default 2)\n"
     "  --artifact-retention-ttl D            how long an older artifact stays (default 60s)\n"
     "  --drift-grace-period D                wait D before healing drift (default 0s); a\n"
     "                                        Kustomization's eddy.dev/drift-grace-period\n"
     "                                        annotation overrides it\n"
     "  --requeue-dependency D                retry a Kustomization whose dependencies are not\n"
     "                                        ready after D (default 30s)\n"
     "  --min-retry-delay D                   first backoff of a failed reconcile (default\n"
     "                                        750ms), doubling up to\n"
     "  --max-retry-delay D                   (default 15m)\n"
     "  --interval-jitter-percentage N        spread requeues by +/-N% (default 5; 0: none)\n"
     "  --default-service-account NAME        impersonate this service account for the\n"
     "                                        Kustomizations that name none\n"
     "  --no-cross-namespace-refs             refuse a Kustomization's or an image update\n"
     "                                        automation's source, or an image policy's\n"
     "                                        repository, in another namespace (Ready=False:\n"
     "                                        AccessDenied)\n"
     "  --no-remote-bases                     refuse kustomize's remote targets (Git URLs and\n"
     "                                        http(s) files in kustomization resources)\n"
     "  --insecure-kubeconfig-exec            keep the exec plugin of a Kustomization's\n"
     "                                        kubeConfig (by default dropped: it would run a\n"
     "                                        command of the Secret's choosing here)\n"
     "  --insecure-kubeconfig-tls             keep insecure-skip-tls-verify of a kubeConfig\n"
     "                                        (by default dropped: TLS is verified)\n"
     "  --feature-gates G=true|false[,...]    Flux's feature gates eddy has:\n"
     "                                        StrictPostBuildSubstitutions (default true: an\n"
     "                                        unset variable fails the build; false: it is \"\")\n"
     "  --events-addr URL                     also POST every event, as Flux's event/v1 JSON,\n"
     "                                        to Flux's notification-controller at URL (e.g.\n"
     "                                        http://notification-controller.flux-system.svc.\n"
     "                                        cluster.local./): its Alerts keep working\n"
     "  --concurrent-ssa N                    objects read and dry-run at a time in one apply\n"
     "                                        (default 4)\n"
     "  --override-manager NAME               take this field manager's fields over before an\n"
     "                                        apply, as kubectl's are (repeat for more)\n"
     "  --custom-apply-stage-kinds LIST       kinds (Kind or group/Kind, comma-separated)\n"
     "                                        applied after the *Class kinds, before the rest\n"
     "  --watch-configs-label-selector SEL    ConfigMaps and Secrets whose changes queue the\n"
     "                                        Kustomizations that read them (default\n"
     "                                        reconcile.fluxcd.io/watch=Enabled; \"\": all)\n"
     "  --sops-age-secret NAME                a Secret of the lease's namespace whose\n"
     "                                        *.agekey keys decrypt for a spec.decryption\n"
     "                                        without a secretRef\n"
     "  --http-retry N, --token-cache-max-duration D, --token-cache-max-size N\n"
     "                                        accepted for Flux's Deployments, no effect:\n"
     "                                        artifacts are read in-process, and eddy has no\n"
     "                                        cloud workload identity tokens to cache\n"
     "  (--sops-vault-configmap, --default-decryption-service-account and\n"
     "  --default-kubeconfig-service-account are refused: no Vault, no workload identity)\n"
     "\n"
     "Example:\n"
     "  eddy controller --kubeconfig ~/.kube/config --leader-election-namespace default \\\n"
     "      --metrics-addr 127.0.0.1:8080 --health-addr 127.0.0.1:9440\n",
     ed_cli_controller},
    {"install", "Install eddy: the Flux CRDs, RBAC and the agent's Deployment",
     "Usage: eddy install [--export] [--components LIST] [--components-extra LIST]\n"
     "          [--registry REGISTRY] [--image-pull-secret NAME [--registry-creds U:P]]\n"
     "          [--log-level L] [--watch-all-namespaces=false] [--network-policy=false]\n"
     "          [--toleration-keys LIST] [--cluster-domain D] [--version V]\n"
     "          [--manifests DIR] [-n NS]\n"
     "\n"
     "Apply the manifests embedded in this binary with server-side apply (field manager\n"
     "flux): the Namespace, the Flux CRDs of the components (with OpenAPI validation\n"
     "schemas), a ServiceAccount and its RBAC, the Deployment running `eddy controller`, the\n"
     "Service of its artifact server and Flux's NetworkPolicies; then wait until the\n"
     "Deployment is ready. --export prints the manifests instead of applying them.\n"
     "\n"
     "Flags:\n"
     "  --export                  print the manifests as a YAML stream, apply nothing\n"
     "  --components LIST         the controllers whose CRDs are installed; default: all\n"
     "                            four eddy serves in one process (source-controller,\n"
     "                            kustomize-controller, image-reflector-controller,\n"
     "                            image-automation-controller); helm-controller and\n"
     "                            notification-controller are left out with a warning\n"
     "  --components-extra LIST   more components, added to --components\n"
     "  --registry REGISTRY       where the eddy image comes from (default ghcr.io/eddy-gitops)\n"
     "  --image-pull-secret NAME  a Secret of type docker-registry the Deployment pulls with\n"
     "  --registry-creds U:P      create that Secret (with --image-pull-secret) with these\n"
     "                            credentials for --registry; never printed, not by --export\n"
     "  --toleration-keys LIST    tolerate the taints with these keys (operator Exists)\n"
     "  --cluster-domain D        the cluster's DNS domain (default cluster.local), in the\n"
     "                            artifact server's address the agent advertises\n"
     "  --version V               this eddy's version (vX.Y.Z or X.Y.Z) or latest: the\n"
     "                            manifests are embedded, any other version is refused\n"
     "  --manifests DIR           install the .yaml files below DIR (laid out as deploy/)\n"
     "                            instead of the embedded ones, customized the same way\n"
     "  --log-level LEVEL         the agent's: debug, info (default) or error\n"
     "  --watch-all-namespaces    default true; false: the agent watches its namespace only\n"
     "  --network-policy          Flux's NetworkPolicies (default true): in-namespace ingress,\n"
     "                            any egress, metrics scraping from anywhere\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy install\n"
     "  eddy install --components source-controller,kustomize-controller\n"
     "  eddy install --export > gotk-components.yaml\n",
     ed_cli_install},
    {"bootstrap", "Make the cluster sync itself from a Git repository (Flux's layout)",
     "Usage: eddy bootstrap git --url URL [--branch main] [--path clusters/NAME] [flags]\n"
     "\n"
     "As flux bootstrap git: commit and push clusters/NAME/<namespace>/gotk-components.yaml\n"
     "(what eddy install applies; \"Add Flux <version> component manifests\") when it changed\n"
     "(an empty repository gets its first commit), install the components unless the\n"
     "flux-system Kustomization applied a revision, apply the auth Secret, commit and push\n"
     "gotk-sync.yaml (the GitRepository and Kustomization) and kustomization.yaml (kept when\n"
     "the branch has one; \"Add Flux sync manifests\"), apply that kustomization.yaml (the\n"
     "components and sync objects, with the patches a user added there), wait until both are\n"
     "reconciled (a Ready False ends the wait) and the agent is healthy. Running it again\n"
     "changes nothing. When another tool (app.kubernetes.io/managed-by on the GitRepository\n"
     "CRD) installed Flux, it asks before overriding it, unless --force. The\n"
     "agent is the in-cluster Deployment; --local-agent also runs it here, as a detached\n"
     "`eddy controller` (pid, log and storage in --local-agent-dir, default\n"
     "${XDG_STATE_HOME:-~/.local/state}/eddy/agents/<uid of namespace kube-system>; an agent\n"
     "already running there for this cluster is kept; stop it with kill $(cat DIR/agent.pid)).\n"
     "\n"
     "Flags:\n"
     "  --url URL                 http(s):// or ssh:// URL of the repository (required)\n"
     "  --allow-insecure-http     allow an http:// URL (refused without it, as by flux)\n"
     "  --branch NAME             default main\n"
     "  --path PATH               the cluster's directory in the repository (default: root)\n"
     "  -u, --username NAME       basic auth user (with --password; default git)\n"
     "  -p, --password SECRET     basic auth password, the token with --with-bearer-token, or\n"
     "                            the private key's passphrase with ssh (default: $GIT_PASSWORD)\n"
     "  --token-auth              http(s) with a token as the password: asked for on stdin\n"
     "                            when neither --password nor GIT_PASSWORD gives it\n"
     "  --with-bearer-token       send --password as a bearer token (asked for as with\n"
     "                            --token-auth)\n"
     "  --private-key-file FILE   SSH private key (FILE.pub is stored too when present);\n"
     "                            without it over SSH, bootstrap pushes with the ssh-agent's\n"
     "                            keys and makes the Secret's deploy key, printing its public\n"
     "                            half and asking that it be given access (unless --silent)\n"
     "  --ssh-key-algorithm ALG   the deploy key made: ecdsa (default), ed25519 or rsa\n"
     "  --ssh-ecdsa-curve CURVE   p256, p384 (default) or p521\n"
     "  --ssh-rsa-bits N          default 2048 (a multiple of 8, at least 1024)\n"
     "  --ssh-hostname HOST[:PORT]   the SSH host the GitRepository reaches (default: --url's)\n"
     "  --known-hosts-file FILE   SSH known_hosts for the Secret and the clone (default: the\n"
     "                            host key scanned, as flux does; without a key file the\n"
     "                            clone trusts $SSH_KNOWN_HOSTS or ~/.ssh/known_hosts)\n"
     "  --ca-file FILE            CA certificate of an https server\n"
     "  -s, --silent              do not ask to confirm the SSH key\n"
     "  --interval D              the GitRepository's interval (default 1m)\n"
     "  --secret-name NAME        the auth Secret (default flux-system)\n"
     "  --author-name, --author-email   the commits' author (default Flux)\n"
     "  --gpg-key-ring FILE       OpenPGP key ring (armoured or binary) signing the commits\n"
     "  --gpg-key-id ID           its key to sign with (16 hex digits; default: the first)\n"
     "  --gpg-passphrase SECRET   the key's passphrase\n"
     "  --commit-message-appendix TEXT   a paragraph added to each commit message ('[ci skip]')\n"
     "  --components, --components-extra, --registry, --image-pull-secret, --registry-creds,\n"
     "  --network-policy, --log-level, --watch-all-namespaces, --cluster-domain,\n"
     "  --toleration-keys         as eddy install (the --registry-creds Secret is applied to\n"
     "                            the cluster only, never committed)\n"
     "  --local-agent             run the agent as a local process (no container runtime)\n"
     "  --local-agent-dir DIR     its pid (agent.pid), log (agent.log) and storage\n"
     "  --force                   override an installation another tool manages, unasked\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy bootstrap git --url=https://git.example.com/fleet.git -u git -p $TOKEN \\\n"
     "      --branch=main --path=clusters/prod\n"
     "  eddy bootstrap git --url=ssh://git@git.example.com/fleet.git \\\n"
     "      --private-key-file=~/.ssh/id_ed25519 --path=clusters/prod --silent\n",
     ed_cli_bootstrap},
    {"uninstall", "Remove eddy, the Flux CRDs and the custom resources from the cluster",
     "Usage: eddy uninstall [--keep-namespace] [--silent] [--dry-run] [-n NS]\n"
     "\n"
     "Delete the agent's Deployment, Service and RBAC; remove the finalizers of every Flux\n"
     "object, of the kinds eddy serves and of those it does not (Buckets, HelmReleases, ...,\n"
     "where their CRDs are installed), so that deleting the CRDs does not hang on a controller\n"
     "that is gone (the workloads those objects applied stay in place); delete the Flux CRDs,\n"
     "then the namespace unless --keep-namespace. Asks for confirmation unless --silent.\n"
     "\n"
     "Flags:\n"
     "  --keep-namespace   leave the namespace in place\n"
     "  -s, --silent       do not ask for confirmation\n"
     "  --dry-run          print what would be deleted\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy uninstall\n"
     "  eddy uninstall --keep-namespace --silent\n",
     ed_cli_uninstall},
    {"check", "Check the prerequisites, or that eddy is installed and running",
     "Usage: eddy check [--pre] [--lease NAME] [--components LIST] [--components-extra LIST]\n"
     "          [-n NS]\n"
     "\n"
     "With --pre: the Kubernetes version (>=1.33.0), as flux check --pre.\n"
     "Otherwise also, as flux check, the distribution and whether it was bootstrapped (the\n"
     "GitRepository CRD's labels), the Flux CRDs are established, and the agent holds its\n"
     "leader-election Lease (NAME in the namespace, default eddy-leader-election), renewed\n"
     "within its duration.\n"
     "Exits 1 when a check fails.\n"
     "\n"
     "Flags:\n"
     "  --pre                    check only the prerequisites\n"
     "  --lease NAME             the agent's Lease (default eddy-leader-election)\n"
     "  --components LIST        check only the CRDs of these components (default: the four\n"
     "                           eddy serves; helm- and notification-controller are skipped\n"
     "                           with a warning)\n"
     "  --components-extra LIST  more components, added to --components\n"
     "  --poll-interval D        accepted as flux has it (eddy checks once)\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy check --pre\n"
     "  eddy check\n",
     ed_cli_check},
    {"migrate", "Migrate Flux objects (cluster or manifests) to their latest API version",
     "Usage: eddy migrate [-f PATH [--extensions .yaml,.yml] [--version 2.9] [--dry-run] [--yes]]\n"
     "\n"
     "As flux migrate, to run before a Flux minor version upgrade.\n"
     "\n"
     "Cluster mode (no -f): for each CRD labelled app.kubernetes.io/part-of=flux, every object\n"
     "is written again at the CRD's storage version (its managed fields moved to that version),\n"
     "then the CRD's status.storedVersions is set to that version alone. Needs cluster-admin.\n"
     "\n"
     "File-system mode (-f PATH): the apiVersion of Flux kinds (those eddy serves and the\n"
     "others flux knows: HelmRelease, Alert, Provider, Receiver, Bucket, ...) in the manifests\n"
     "below PATH (a directory or one file, below the working directory) is set to the latest\n"
     "version of the Flux minor version --version. A line \"apiVersion: G/V\" followed by a\n"
     "line \"kind: K\" is rewritten in place; every other byte of the file is kept (comments,\n"
     "quotes, line ends). Symlinked files are skipped with a warning. The upgrades are listed\n"
     "and confirmed with a y/N prompt on stdout (no answer: \"^D\", exit 1).\n"
     "\n"
     "Flags:\n"
     "  -f, --path PATH          the directory or file holding the manifests to migrate\n"
     "  -e, --extensions LIST    the file name endings to consider, with --path (default\n"
     "                           .yaml,.yml)\n"
     "  -v, --version V          the Flux minor version to migrate manifests to: 2.9 (the\n"
     "                           default), 2.8, 2.7 or 2.6 (image kinds at v1beta2)\n"
     "  -y, --yes                migrate without asking, with --path\n"
     "  --dry-run                list the upgrades, change nothing, with --path\n"
     "\n"
     "Global flags: --kubeconfig PATH, --context NAME, --timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy migrate\n"
     "  eddy migrate -f . --dry-run\n"
     "  eddy migrate -f clusters/prod --extensions=.yml,.yaml,.tpl --yes\n"
     "  eddy migrate -f apps/podinfo.yaml --version=2.6\n",
     ed_cli_migrate},
    {"create", "Create or update Flux objects and secrets",
     "Usage: eddy create source git NAME --url URL [--branch B | --tag T | --tag-semver R |\n"
     "                                       --commit SHA] [flags]\n"
     "       eddy create source oci NAME --url oci://HOST/REPO (--tag T | --tag-semver R |\n"
     "                                       --digest sha256:HEX) [flags]\n"
     "       eddy create kustomization NAME --source [Kind/]NAME[.NS] [--path P] [flags]\n"
     "       eddy create image repository NAME --image IMAGE [flags]\n"
     "       eddy create image policy NAME --image-ref REPO (--select-semver R |\n"
     "                                    --select-alpha asc|desc | --select-numeric asc|desc)\n"
     "       eddy create image update NAME --git-repo-ref NAME [flags]\n"
     "       eddy create secret git NAME --url URL (-u USER -p PASSWORD | --bearer-token T |\n"
     "                                             --private-key-file F)\n"
     "       eddy create secret tls NAME (--tls-crt-file F --tls-key-file F | --ca-crt-file F)\n"
     "       eddy create secret oci NAME --url REGISTRY -u USER -p PASSWORD\n"
     "       eddy create secret proxy NAME --address URL [-u USER -p PASSWORD]\n"
     "       eddy create secret helm NAME [-u USER -p PASSWORD] [--tls-crt-file F\n"
     "                                    --tls-key-file F] [--ca-crt-file F]\n"
     "       eddy create secret githubapp NAME --app-id ID --app-private-key FILE\n"
     "                                  (--app-installation-id ID | --app-installation-owner O)\n"
     "       eddy create secret notation NAME --trust-policy-file F --ca-cert-file F[,F...]\n"
     "\n"
     "Generate the object, then apply it with server-side apply (field manager flux) and wait\n"
     "until its controller reports it Ready, as flux create does; with --export print its YAML\n"
     "instead. Every create takes --interval (default 1m), --label K=V[,...] and --export.\n"
     "A Secret is created, or updated in place as flux does (its new keys over the existing\n"
     "ones, labels merged, its type and other keys kept).\n"
     "\n"
     "source git: --url, --branch (default master unless another ref is set), --tag,\n"
     "  --tag-semver, --commit, --ref-name, --fetch-timeout (spec.timeout), --secret-ref;\n"
     "  or credentials in a Secret named as the source (flux's -s/--silent is accepted: eddy\n"
     "  asks nothing):\n"
     "  -u/--username and -p/--password, --ca-file (https), --private-key-file and\n"
     "  --known-hosts-file (ssh; flux scans the host, eddy takes the file); --ignore-paths,\n"
     "  --sparse-checkout-paths, --proxy-secret-ref, --recurse-submodules, --provider\n"
     "  generic|github|aws|azure (github: a GitHub App Secret in --secret-ref; eddy's agent\n"
     "  refuses aws and azure).\n"
     "source oci: --url, --tag, --tag-semver, --digest, --secret-ref (a dockerconfigjson\n"
     "  Secret), --cert-ref, --proxy-secret-ref, --service-account, --insecure, --ignore-paths,\n"
     "  --provider (eddy's agent refuses all but generic), --verify-provider cosign with\n"
     "  --verify-secret-ref (a Secret of cosign public keys, *.pub).\n"
     "kustomization: --source (Kind: GitRepository, the default, OCIRepository or Bucket;\n"
     "  eddy's agent serves GitRepository and OCIRepository), --path (default ./), --prune,\n"
     "  --target-namespace,\n"
     "  --depends-on [NS/]NAME, --wait, --health-check Kind/name.ns (Deployment, DaemonSet,\n"
     "  StatefulSet or HelmRelease, as flux), --health-check-timeout,\n"
     "  --service-account, --kubeconfig-secret-ref (a remote cluster), --retry-interval,\n"
     "  --decryption-provider sops with --decryption-secret (SOPS age or PGP keys).\n"
     "image repository: --image, --secret-ref; eddy's own: --exclusion-list, --insecure\n"
     "  (plain HTTP), which flux's create has not.\n"
     "image policy: --image-ref, --select-semver, --select-alpha, --select-numeric,\n"
     "  --filter-regex, --filter-extract, --reflect-digest Never|IfNotPresent|Always\n"
     "  (with Always, --interval: how often the digest is asked again, default 1m).\n"
     "image update: --git-repo-ref, --checkout-branch, --author-name and --author-email\n"
     "  (required, as flux), --git-repo-namespace, --push-branch, --commit-template,\n"
     "  --git-repo-path (spec.update, Setters; none by default).\n"
     "secret git: --url, -u/--username, -p/--password or --bearer-token, --ca-crt-file,\n"
     "  --private-key-file, --known-hosts-file.\n"
     "secret tls: --tls-crt-file with --tls-key-file (checked to be a pair; type\n"
     "  kubernetes.io/tls), --ca-crt-file (alone: type Opaque).\n"
     "secret oci: --url (a registry or repository), -u/--username, -p/--password: a\n"
     "  kubernetes.io/dockerconfigjson Secret (as flux's, it takes no labels).\n"
     "secret proxy: --address (http, https or socks5 URL), -u/--username, -p/--password.\n"
     "secret helm: as flux, a client pair (type kubernetes.io/tls, no username), else -u and\n"
     "  -p (kubernetes.io/basic-auth, with the CA), else --ca-crt-file alone (Opaque).\n"
     "secret githubapp: --app-id, --app-private-key (a PEM file), --app-installation-id or\n"
     "  --app-installation-owner (exactly one), --app-base-url (GitHub Enterprise's API).\n"
     "secret notation: --trust-policy-file (a Notation trust policy, checked as flux checks\n"
     "  it), --ca-cert-file (.crt or .pem files, each under its name); no type.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy create source git podinfo --url https://github.com/stefanprodan/podinfo \\\n"
     "      --branch master --interval 5m\n"
     "  eddy create kustomization podinfo --source podinfo --path ./kustomize --prune \\\n"
     "      --target-namespace default --interval 10m\n"
     "  eddy create image repository podinfo --image ghcr.io/stefanprodan/podinfo --export\n"
     "  eddy create secret git auth --url https://git.example.com/repo -u git -p token\n",
     ed_cli_create},
    {"push", "Push a directory to a container registry as a Flux OCI artifact",
     "Usage: eddy push artifact oci://HOST/REPOSITORY[:TAG] --path DIR|FILE --source URL\n"
     "          --revision REV [--creds USER:PASSWORD] [-a KEY=VALUE,...]\n"
     "          [--ignore-paths PATTERN,...] [--reproducible] [-o json|yaml]\n"
     "          [--insecure-registry]\n"
     "\n"
     "Archive DIR (a deterministic tar.gz of every file below it but the --ignore-paths,\n"
     "gitignore patterns, default flux's: .git/, .gitignore, .gitmodules, .gitattributes,\n"
     "*.jpg, *.jpeg, *.gif, *.png, *.wmv, *.flv, *.tar.gz, *.zip), or the one FILE, and push it\n"
     "as flux push artifact does: the one layer of media type\n"
     "application/vnd.cncf.flux.content.v1.tar+gzip, Flux's config media type, and the\n"
     "manifest annotations org.opencontainers.image.source (--source), .revision (--revision)\n"
     "and .created (1970-01-01T00:00:00Z with --reproducible: the same tree gives the same\n"
     "digest), plus --annotations. TAG defaults to latest. -o json|yaml prints url,\n"
     "repository, tag and digest instead of the progress lines. An OCIRepository pointing at\n"
     "the repository reads it back. Credentials: --creds, else the auths entry for HOST in\n"
     "$DOCKER_CONFIG/config.json (default ~/.docker/config.json; credential helpers are not\n"
     "run), sent as the registry asks (Basic, or for a Bearer token with pull and push scope);\n"
     "--insecure-registry allows plain HTTP (a loopback or private registry is tried over plain\n"
     "HTTP anyway when HTTPS gives no answer).\n"
     "\n"
     "Examples:\n"
     "  eddy push artifact oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy \\\n"
     "      --source \"$(git config --get remote.origin.url)\" \\\n"
     "      --revision \"main@sha1:$(git rev-parse HEAD)\" --creds flux:$GITHUB_TOKEN\n",
     ed_cli_push},
    {"pull", "Pull an OCI artifact and extract its content",
     "Usage: eddy pull artifact oci://HOST/REPOSITORY[:TAG|@DIGEST] -o DIR\n"
     "          [--creds USER:PASSWORD] [--insecure-registry]\n"
     "\n"
     "Download the artifact's first layer and extract it into DIR (an existing directory), as\n"
     "flux pull artifact does; an entry that would land outside DIR (an absolute path, `..`, a\n"
     "link out of the tree) fails the pull. Prints the artifact's source, revision and digest.\n"
     "Credentials as for push artifact.\n"
     "\n"
     "Example:\n"
     "  eddy pull artifact oci://ghcr.io/org/app-manifests:v1.0.0 --output ./manifests\n",
     ed_cli_pull},
    {"list", "List the artifacts of an OCI repository",
     "Usage: eddy list artifacts oci://HOST/REPOSITORY [--filter-semver RANGE]\n"
     "          [--filter-regex RE] [--creds USER:PASSWORD] [--insecure-registry]\n"
     "\n"
     "Print each tag (newest name first, cosign's .sig, .att and .sbom left out) with its\n"
     "manifest digest and the source and revision it was pushed from, as flux list artifacts\n"
     "does: ARTIFACT, DIGEST, SOURCE, REVISION. --filter-semver keeps the tags that are\n"
     "versions in RANGE, --filter-regex those RE matches. Credentials as for push artifact.\n"
     "\n"
     "Example:\n"
     "  eddy list artifacts oci://ghcr.io/org/app-manifests --filter-semver '>=1.0.0'\n",
     ed_cli_list_artifacts},
    {"tag", "Tag an OCI artifact",
     "Usage: eddy tag artifact oci://HOST/REPOSITORY:TAG|@DIGEST --tag NEW[,NEW...]\n"
     "          [--creds USER:PASSWORD] [--insecure-registry]\n"
     "\n"
     "Give the artifact's manifest more tags in the same repository, as flux tag artifact\n"
     "does (the manifest and its digest stay as they are). Credentials as for push artifact.\n"
     "\n"
     "Example:\n"
     "  eddy tag artifact oci://ghcr.io/org/app-manifests:v1.0.0 --tag latest\n",
     ed_cli_tag},
    {"delete", "Delete Flux objects",
     "Usage: eddy delete (source git|oci | kustomization | image repository|policy|update) NAME\n"
     "          [-s|--silent] [-n NS]\n"
     "\n"
     "Delete the object, after asking for confirmation unless --silent. Deleting a Kustomization\n"
     "prunes what it applied (when spec.prune is true), as with Flux.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy delete kustomization podinfo\n"
     "  eddy delete source git podinfo --silent\n",
     ed_cli_delete},
    {"get", "Show Flux objects and their status",
     "Usage: eddy get (sources git|oci | kustomizations | images repository|policy|update |\n"
     "                 images all | sources all | all) [NAME] [-A] [--watch]\n"
     "                 [--status-selector TYPE=STATUS] [-l SELECTOR] [--no-header]\n"
     "\n"
     "Print NAME, REVISION, SUSPENDED, READY and MESSAGE as flux get does (image repositories\n"
     "show LAST SCAN, image policies IMAGE and TAG, image updates LAST RUN); NAMESPACE comes\n"
     "first with -A.\n"
     "\n"
     "Flags:\n"
     "  -A, --all-namespaces        every namespace\n"
     "  -w, --watch                 print a row each time an object changes (until --timeout)\n"
     "  --status-selector T=S       only objects with condition T at status S, e.g. ready=false\n"
     "                              (T!=S: the others)\n"
     "  -l, --label-selector SEL    only objects with these labels, e.g. team=a\n"
     "  --no-header                 no header line\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy get kustomizations -A\n"
     "  eddy get sources git flux-system\n"
     "  eddy get all --status-selector ready=false\n"
     "  eddy get images all -n apps\n",
     ed_cli_get},
    {"stats", "Count the Flux objects that run, fail or are suspended",
     "Usage: eddy stats [-A] [-n NS]\n"
     "\n"
     "Print, for each Flux kind, how many objects are running, failing (Ready False) and\n"
     "suspended, and the storage their artifacts take, as flux stats does.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy stats\n"
     "  eddy stats -A\n",
     ed_cli_stats},
    {"suspend", "Suspend the reconciliation of Flux objects",
     "Usage: eddy suspend (source git|oci | kustomization | image repository|policy|update)\n"
     "          (NAME... | --all) [-r/--reason TEXT] [-n NS]\n"
     "\n"
     "Set spec.suspend: the controller leaves the object (and what it applied) alone until it\n"
     "is resumed, so you can change the cluster by hand. --reason records why, in flux's\n"
     "annotation suspend.toolkit.fluxcd.io/reason.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy suspend kustomization my-app -n my-namespace\n"
     "  eddy suspend kustomization my-app --reason 'debugging the ingress'\n"
     "  eddy suspend image update --all\n",
     ed_cli_suspend},
    {"resume", "Resume suspended Flux objects and wait until they are reconciled",
     "Usage: eddy resume (source git|oci | kustomization | image repository|policy|update)\n"
     "          (NAME | --all) [-n NS] [--wait=false]\n"
     "\n"
     "Clear spec.suspend, ask for a reconcile at once, and wait until the controller reports\n"
     "it: the cluster is brought back to what Git says. With --all, wait only with --wait.\n"
     "A reconcile that fails is printed, but as with flux the exit status stays 0 (the\n"
     "object was resumed).\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy resume kustomization my-app -n my-namespace\n"
     "  eddy resume source git --all --wait\n",
     ed_cli_resume},
    {"reconcile", "Ask for a reconcile now and wait for its result",
     "Usage: eddy reconcile (source git|oci | kustomization | image repository | image update)\n"
     "          NAME [-n NS] [--with-source]\n"
     "\n"
     "Set the reconcile.fluxcd.io/requestedAt annotation and wait until the controller handled\n"
     "it; print the revision it fetched or applied, or why it failed (exit 1). --with-source\n"
     "reconciles a Kustomization's GitRepository or OCIRepository first.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy reconcile kustomization apps --with-source\n"
     "  eddy reconcile source git flux-system\n",
     ed_cli_reconcile},
    {"build", "Render a Kustomization's local directory as the cluster would",
     "Usage: eddy build kustomization NAME --path DIR [--kustomization-file F] [--dry-run]\n"
     "          [--strict-substitute] [--ignore-paths P,...]\n"
     "          [-r --local-sources Kind/namespace/name=DIR,...] [-n NS]\n"
     "\n"
     "Render DIR exactly as the controller renders the Kustomization NAME: a kustomization.yaml\n"
     "is generated when DIR has none, Flux's overlay of the spec (targetNamespace, namePrefix,\n"
     "images, patches, ...), the kustomize build, postBuild substitution, commonMetadata and\n"
     "the owner labels; print the objects as a YAML stream. The Git work tree holding DIR is\n"
     "copied aside first (../base resolves; nothing is written to DIR).\n"
     "The Kustomization must exist in the cluster, unless --dry-run (no cluster needed).\n"
     "--kustomization-file reads the Kustomization from a local YAML file instead (with\n"
     "--dry-run, its postBuild.substituteFrom is skipped: those variables live in the cluster).\n"
     "An unset variable substitutes as \"\" unless --strict-substitute (the agent's default).\n"
     "flux's --in-memory-build is accepted and changes nothing (eddy renders a private copy).\n"
     "--ignore-paths leaves out the files its .gitignore patterns match below DIR, as a\n"
     "GitRepository's spec.ignore leaves them out of its artifact. -r/--recursive also renders\n"
     "the Flux Kustomizations found in the output (and theirs), each from the directory\n"
     "--local-sources gives its source (Kind/namespace/name=DIR; DIR joined with its\n"
     "spec.path), with its spec from the cluster when it exists there; their objects follow.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy build kustomization apps --path ./apps/production\n"
     "  eddy build kustomization apps --path ./apps/production --dry-run\n"
     "  eddy build ks flux-system --path ./clusters/prod -r \\\n"
     "      --local-sources GitRepository/flux-system/flux-system=.\n",
     ed_cli_build},
    {"diff", "Show what applying a local directory would change in the cluster",
     "Usage: eddy diff kustomization NAME --path DIR [--kustomization-file F]\n"
     "                 [--strict-substitute] [--ignore-paths P,...]\n"
     "                 [-r --local-sources Kind/namespace/name=DIR,...] [-n NS]\n"
     "       eddy diff artifact oci://HOST/REPOSITORY:TAG --path DIR|FILE\n"
     "                 [--ignore-paths P,...] [--creds USER:PASSWORD] [--insecure-registry]\n"
     "\n"
     "diff artifact: archive DIR as push artifact would (same --ignore-paths and defaults) and\n"
     "compare it with the artifact's layer, as flux diff artifact does: \"no changes detected\",\n"
     "or exit 1 with \"the remote artifact contents differs from the local one\".\n"
     "\n"
     "Render DIR as eddy build does, ask the API server what each object would become (a\n"
     "server-side dry-run apply) and compare it with the live object: print each object that\n"
     "would be created or changed (with the fields that change, Secret values masked), and the\n"
     "objects of the Kustomization's inventory that would be pruned. The Kustomization need not\n"
     "exist yet; --kustomization-file renders with a local Kustomization's spec;\n"
     "--strict-substitute fails on an unset variable. Exit status: 0 nothing differs, 1\n"
     "something does, 2 an error. flux's --progress-bar and --in-memory-build are accepted\n"
     "and change nothing (eddy prints no progress bar). --ignore-paths as for build.\n"
     "-r/--recursive also diffs the Flux Kustomizations of the render that exist in the\n"
     "cluster, each from its --local-sources directory against its live spec and inventory:\n"
     "\"📁 Kustomization/ns/name changed\" and its lines when something differs (one that\n"
     "applies to a remote cluster is skipped, with a warning).\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy diff kustomization apps --path ./apps/production\n"
     "  eddy diff ks apps --path ./apps && echo \"in sync\"\n",
     ed_cli_diff},
    {"export", "Print Flux objects as YAML, without status or server fields",
     "Usage: eddy export (source git | kustomization | image repository|policy|update)\n"
     "          (NAME | --all) [--with-credentials] [-n NS]\n"
     "\n"
     "Print the objects as a YAML stream that can be applied to another cluster: apiVersion,\n"
     "kind, metadata (name, namespace, labels, annotations) and spec; status and the fields the\n"
     "server sets are left out. For backup and migration. --with-credentials also prints\n"
     "the Secret each source refers to (its data in the clear, as flux does).\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy export source git --all > sources.yaml\n"
     "  eddy export kustomization apps -n apps\n",
     ed_cli_export},
    {"events", "Show the Kubernetes events of Flux objects",
     "Usage: eddy events [--for Kind/NAME] [-A] [-w] [--types Normal,Warning] [-n NS]\n"
     "\n"
     "Print LAST SEEN, TYPE, REASON, OBJECT and MESSAGE of the events in the namespace, oldest\n"
     "first (NAMESPACE first with -A). --for an object shows the events of the object it\n"
     "refers to too: a Kustomization's source, an ImagePolicy's ImageRepository.\n"
     "\n"
     "Flags:\n"
     "  --for Kind[/NAME] only the events of that object (and its source), e.g.\n"
     "                    Kustomization/apps, or of that kind\n"
     "  -A, --all-namespaces\n"
     "  -w, --watch       keep printing events as they come (until --timeout)\n"
     "  --types LIST      only these types (Normal, Warning)\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy events --for Kustomization/apps\n"
     "  eddy events -A --types Warning\n",
     ed_cli_events},
    {"logs", "Show the agent's log, formatted and filtered",
     "Usage: eddy logs [--kind KIND] [--name NAME] [-n NS | -A] [--level LEVEL] [-f]\n"
     "                 [--tail N] [--since D | --since-time T] [--flux-namespace NS]\n"
     "\n"
     "Read the log of the eddy Pods (label app=eddy, container manager) through the API\n"
     "server and print one line per entry: time, level, Kind/name.namespace of the object it\n"
     "is about, message. Only the entries about objects in the namespace are shown; -A shows\n"
     "all of them, the agent's own too.\n"
     "\n"
     "Flags:\n"
     "  --kind KIND            only entries about this kind, e.g. Kustomization\n"
     "  --name NAME            only entries about objects of this name\n"
     "  -A, --all-namespaces   entries about any namespace, and the agent's own\n"
     "  --level LEVEL          only entries of this level: debug, info or error\n"
     "  -f, --follow           keep printing new entries until interrupted (or --timeout)\n"
     "  --tail N               only the last N lines of each Pod's log\n"
     "  --since D              only entries newer than D, e.g. 10m\n"
     "  --since-time T         only entries from the RFC 3339 time T on\n"
     "  --flux-namespace NS    where eddy runs (default flux-system)\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m; none with -f), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy logs --kind Kustomization --name apps -n apps\n"
     "  eddy logs -A --level error --since 1h\n"
     "  eddy logs -f -A\n",
     ed_cli_logs},
    {"tree", "Show the objects a Kustomization manages, as a tree",
     "Usage: eddy tree kustomization NAME [--compact] [-o json|yaml] [-n NS]\n"
     "\n"
     "Print the Kustomization's inventory as a tree, recursing into the Kustomizations it\n"
     "manages (not into those of a Kustomization that applies to a remote cluster).\n"
     "--compact shows only the Flux objects; -o/--output json or yaml prints the tree as flux\n"
     "does (resource: Namespace, Name, GroupKind; resources: the objects below it); any other\n"
     "-o prints the text tree, as flux does.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Example:\n"
     "  eddy tree kustomization flux-system\n",
     ed_cli_tree},
    {"trace", "Show which Kustomization and source manage an object",
     "Usage: eddy trace KIND/NAME [--api-version V] [-n NS]\n"
     "       eddy trace NAME --kind KIND [--api-version V] [-n NS]\n"
     "\n"
     "Follow an object's owner labels (kustomize.toolkit.fluxcd.io/name and /namespace) to\n"
     "the Kustomization that applied it and on to its GitRepository or OCIRepository, and print\n"
     "each with its revision and Ready status. Common kinds need no --api-version.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy trace deployment/podinfo -n apps\n"
     "  eddy trace podinfo --kind HelmRelease --api-version helm.toolkit.fluxcd.io/v2 -n apps\n",
     ed_cli_trace},
    {"debug", "Show a Kustomization's status, history or postBuild variables",
     "Usage: eddy debug kustomization NAME (--show-status | --show-vars | --show-history)\n"
     "                  [-n NS]\n"
     "\n"
     "Troubleshoot a Kustomization, as flux debug does; exactly one view is asked for.\n"
     "--show-status prints its status as YAML; --show-history its reconcile history\n"
     "(status.history); --show-vars the\n"
     "variables its postBuild substitutes, read from the cluster as the agent reads them\n"
     "(substituteFrom's ConfigMaps and Secrets, then substitute), one NAME=value line each,\n"
     "sorted: a dot-env file. Warning: --show-vars prints the values of the Secrets it reads.\n"
     "\n"
     "Global flags: -n/--namespace NS (default flux-system), --kubeconfig PATH, --context NAME,\n"
     "--timeout D (default 5m), --verbose.\n"
     "\n"
     "Examples:\n"
     "  eddy debug ks apps -n apps --show-status\n"
     "  eddy debug ks apps -n apps --show-vars > vars.env\n"
     "  eddy debug kustomization apps -n apps --show-history\n",
     ed_cli_debug},
    {"envsubst", "Substitute environment variables in standard input, as postBuild does",
     "Usage: eddy envsubst [--strict]\n"
     "\n"
     "Read standard input, substitute the environment's variables in each line with Flux's\n"
     "envsubst grammar (${var}, ${var:-default}, ${var:=default}, ${#var}, ${var^^}, ...; $${\n"
     "escapes) and write the result to standard output: a Kustomization's postBuild\n"
     "substitution replayed by hand.\n"
     "\n"
     "Flags:\n"
     "  --strict   fail on a variable without a default that the environment does not set\n"
     "\n"
     "Examples:\n"
     "  export cluster_region=eu-central-1\n"
     "  eddy kustomize build ./apps | eddy envsubst --strict\n"
     "  (set -a; . ./vars.env; eddy kustomize build ./apps | eddy envsubst)\n",
     ed_cli_envsubst},
    {"completion", "Print a shell completion script",
     "Usage: eddy completion (bash | zsh | fish | powershell)\n"
     "\n"
     "Print a script that completes eddy's verbs, kinds and flags. Without a shell, print\n"
     "this help (and succeed), as flux does.\n"
     "\n"
     "Examples:\n"
     "  source <(eddy completion bash)\n"
     "  eddy completion zsh > \"${fpath[1]}/_eddy\"\n"
     "  eddy completion fish > ~/.config/fish/completions/eddy.fish\n"
     "  eddy completion powershell | Out-String | Invoke-Expression\n",
     ed_cli_completion},
    {"kustomize", "Build a kustomization with eddy's native engine",
     "Usage: eddy kustomize build DIR\n"
     "\n"
     "Render the kustomization in DIR and print the objects as a YAML stream, byte for byte as\n"
     "`kubectl kustomize DIR` prints them (no other program runs). Files are read below the\n"
     "Git work tree DIR lies in (an overlay's ../base), or below DIR outside a work tree.\n"
     "Every kustomization field Flux builds is supported: resources, generators, patches,\n"
     "components, replacements, vars, builtin plugins, remote Git and HTTP(S) targets, ...\n"
     "helmCharts and external plugins are refused, as in Flux (see README.md).\n"
     "\n"
     "Example:\n"
     "  eddy kustomize build ./apps/overlays/production\n",
     ed_cli_kustomize},
    {"version", "Print the version of eddy and of the agent in the cluster",
     "Usage: eddy version [--client] [-o yaml|json] [-n NS]\n"
     "\n"
     "Print the version of this eddy binary and, unless --client, flux version's distribution\n"
     "(the GitRepository CRD's part-of and version labels, e.g. flux-v0.1.0-dev) and the\n"
     "version of the agent installed in the namespace (the tag of the eddy Deployment's\n"
     "image), when the cluster is reachable. -o/--output json prints them as a JSON object\n"
     "(keys eddy, distribution and agent).\n"
     "\n"
     "Examples:\n"
     "  eddy version\n"
     "  eddy version --client\n"
     "  eddy version -o json\n",
     ed_cli_version},
    {"help", "Show help for eddy or for one verb",
     "Usage: eddy help [VERB]\n"
     "\n"
     "Show the list of verbs, or the help of one verb (the same as `eddy VERB --help`).\n"
     "\n"
     "Example:\n"
     "  eddy help version\n",
     cmd_help},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

const char *ed_cli_verb_at(size_t i, const char **summary)
{
    if (i >= NVERBS)
        return NULL;
    if (summary)
        *summary = verbs[i].summary;
    return verbs[i].name;
}

static const struct verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

const char *ed_cli_verb_usage(const char *name)
{
    const struct verb *v = find_verb(name);
    return v ? v->usage : NULL;
}

static void print_usage(FILE *out)
{
    fprintf(out, "eddy: a GitOps agent for Kubernetes that speaks Flux's APIs.\n"
                 "\n"
                 "Usage: eddy VERB [ARGS...] [--help]\n"
                 "\n"
                 "Verbs:\n");
    for (size_t i = 0; i < NVERBS; i++)
        fprintf(out, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out,
            "\nGlobal flags, before or after the verb: -n/--namespace NS (default\n"
            "$FLUX_SYSTEM_NAMESPACE, else flux-system), --timeout D (default 5m), --verbose, and\n"
            "kubectl's: --kubeconfig PATH, --context NAME, --cluster NAME, --user NAME,\n"
            "--server URL, --token TOKEN, --certificate-authority FILE,\n"
            "--insecure-skip-tls-verify, --tls-server-name NAME, --client-certificate FILE,\n"
            "--client-key FILE, --as USER, --as-group GROUP (repeatable), --kube-api-qps N\n"
            "(default 50), --kube-api-burst N (default 300); --cache-dir and\n"
            "--disable-compression are accepted and have no effect.\n");
    fprintf(out, "\nRun `eddy help VERB` for the help of one verb.\n");
}

static bool wants_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return 0;
    }
    const struct verb *v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "eddy help: unknown verb '%s'\n", argv[1]);
        return 2;
    }
    fputs(v->usage, stdout);
    return 0;
}

/* The global flags that take a value. */
static const char *const with_value[] = {
    "-n",
    "--namespace",
    "--kubeconfig",
    "--context",
    "--timeout",
    "--as",
    "--as-group",
    "--as-uid",
    "--server",
    "--token",
    "--cluster",
    "--user",
    "--cache-dir",
    "--tls-server-name",
    "--client-key",
    "--client-certificate",
    "--kube-api-qps",
    "--kube-api-burst",
    "--certificate-authority",
};
/* The global flags that do not. */
static const char *const booleans[] = {"--verbose", "--insecure-skip-tls-verify",
                                       "--disable-compression"};

static bool takes_value(const char *flag)
{
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
        if (strcmp(flag, with_value[i]) == 0)
            return true;
    return false;
}

static bool is_global(const char *flag)
{
    if (strncmp(flag, "-n", 2) == 0)
        return true;
    const char *const *lists[] = {with_value + 1, booleans};
    const size_t lens[] = {sizeof(with_value) / sizeof(with_value[0]) - 1,
                           sizeof(booleans) / sizeof(booleans[0])};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < lens[l]; i++) {
            size_t len = strlen(lists[l][i]);
            if (strncmp(flag, lists[l][i], len) == 0 && (flag[len] == '\0' || flag[len] == '='))
                return true;
        }
    return false;
}

/* A new argv with the global flags that stand before the verb moved after it (the caller
 * frees the array, not the strings); NULL after printing the error for another flag. */
static char **leading_flags_last(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (wants_help(argv[i]))
            break;
        if (!is_global(argv[i])) {
            fprintf(stderr, "✗ unknown flag before the verb: %s\n", argv[i]);
            return NULL;
        }
        i += takes_value(argv[i]) && i + 1 < argc ? 2 : 1;
    }
    if (i >= argc) {
        fprintf(stderr, "✗ a verb is required after the flags\n");
        return NULL;
    }
    char **out = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int n = 0;
    out[n++] = argv[0];
    for (int j = i; j < argc; j++)
        out[n++] = argv[j];
    for (int j = 1; j < i; j++)
        out[n++] = argv[j];
    return out;
}

static int run_verb(int argc, char **argv);

int ed_cli_main(int argc, char **argv)
{
    /* Started by ssh-keygen as its SSH_ASKPASS (with the prompt as the one argument) while the
     * agent signs a commit with an SSH key: print the key's password. */
    if (argc == 2 && getenv(ED_SOURCE_ASKPASS_ENV))
        return ed_source_askpass_main();
    /* Progress lines go out as they happen, also into a pipe, in order with stderr's. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    char **moved = NULL;
    if (argv[1][0] == '-' && strcmp(argv[1], "--version") != 0) {
        /* Global flags before the verb (eddy -n apps get ks): move them after it. */
        moved = leading_flags_last(argc, argv);
        if (!moved)
            return 1;
        argv = moved;
    }
    int rc = run_verb(argc, argv);
    free(moved);
    ed_cli_parse_cleanup();
    return rc;
}

static int run_verb(int argc, char **argv)
{
    if (wants_help(argv[1])) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return ed_cli_version(1, argv + 1);
    const struct verb *v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "✗ unknown command \"%s\" for \"eddy\"\n", argv[1]);
        fprintf(stderr, "Run 'eddy --help' for the list of verbs.\n");
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (wants_help(argv[i])) {
            fputs(v->usage, stdout);
            return 0;
        }
    }
    if (v->run != ed_cli_controller) {
        /* The library's own logs (a TLS warning, a retry) are for --verbose, in plain text; the
         * agent sets up its logging from its flags. */
        bool verbose = false;
        for (int i = 2; i < argc; i++)
            verbose |= strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "--verbose=true") == 0;
        ed_log_init(ED_LOG_CONSOLE, verbose ? ED_LOG_INFO : ED_LOG_ERROR);
    }
    int rc = v->run(argc - 1, argv + 1);
    /* flux exits 1 on every error, a usage error included (cobra's errors go through its
     * main); only diff tells an error (2) from a difference (1). The agent's flags fail as
     * Go's flag packages fail them, with 2. */
    if (rc == 2 && v->run != ed_cli_diff && v->run != ed_cli_controller)
        rc = 1;
    return rc;
}
