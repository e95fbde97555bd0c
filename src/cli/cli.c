/*
 * The verb table and the global behaviour of the command line: `eddy --help` lists the verbs
 * that exist (and only those), `eddy help VERB` and `eddy VERB --help` show a verb's help,
 * `eddy version` prints the build's version. Later verbs (get, suspend, resume, reconcile,
 * build, ...) register here as their controllers land.
 */
#include "cli.h"
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

struct verb {
    const char *name;
    const char *summary;
    const char *usage; /* the help text: usage line, description, examples */
    int (*run)(int argc, char **argv);
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
    {"controller", "Run the agent: GitRepository and Kustomization reconcilers",
     "Usage: eddy controller [flags]\n"
     "\n"
     "Run the agent process against the cluster of --kubeconfig (in-cluster configuration when\n"
     "absent). It serves /healthz and /readyz, and /metrics in the Prometheus format, and holds\n"
     "a coordination.k8s.io Lease so that one replica works at a time. SIGTERM or SIGINT\n"
     "releases the lease and exits 0. While leading it reconciles GitRepositories (a persistent\n"
     "Git cache, artifacts served over HTTP) and Kustomizations (build, validate, staged\n"
     "server-side apply, prune, health), and automates image updates (ImageRepository,\n"
     "ImagePolicy, ImageUpdateAutomation: new tags committed and pushed to Git).\n"
     "\n"
     "Flags:\n"
     "  --kubeconfig PATH                     kubeconfig file (default: $KUBECONFIG,\n"
     "                                        ~/.kube/config, then in-cluster)\n"
     "  --context NAME                        kubeconfig context\n"
     "  --leader-elect[=true|false]           campaign for the lease (default true)\n"
     "  --leader-election-namespace NS        the lease's namespace (default\n"
     "                                        $RUNTIME_NAMESPACE or flux-system)\n"
     "  --leader-election-id NAME             the lease's name (default eddy-leader-election)\n"
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
     "  --drift-grace-period D                wait D before healing drift (default 0s); a\n"
     "                                        Kustomization's eddy.dev/drift-grace-period\n"
     "                                        annotation overrides it\n"
     "\n"
     "Example:\n"
     "  eddy controller --kubeconfig ~/.kube/config --leader-election-namespace default \\\n"
     "      --metrics-addr 127.0.0.1:8080 --health-addr 127.0.0.1:9440\n",
     ed_cli_controller},
    {"get", "Show GitRepositories or Kustomizations and their status",
     "Usage: eddy get (sources git | kustomizations) [NAME] [-n NS | -A] [--no-header]\n"
     "\n"
     "Print NAME, REVISION, SUSPENDED, READY and MESSAGE, as flux get does.\n"
     "Global flags: -n/--namespace (default flux-system), --kubeconfig, --context.\n"
     "\n"
     "Examples:\n"
     "  eddy get kustomizations -A\n"
     "  eddy get sources git flux-system\n",
     ed_cli_get},
    {"suspend", "Suspend the reconciliation of an object",
     "Usage: eddy suspend (source git | kustomization) (NAME | --all) [-n NS]\n"
     "\n"
     "Set spec.suspend: the controller leaves the object (and what it applied) alone until it\n"
     "is resumed, so you can change the cluster by hand.\n"
     "\n"
     "Example:\n"
     "  eddy suspend kustomization my-app -n my-namespace\n",
     ed_cli_suspend},
    {"resume", "Resume a suspended object and wait until it is reconciled",
     "Usage: eddy resume (source git | kustomization) (NAME | --all) [-n NS] [--wait=false]\n"
     "          [--timeout 5m]\n"
     "\n"
     "Clear spec.suspend, ask for a reconcile at once, and wait until the controller reports\n"
     "it: the cluster is brought back to what Git says.\n"
     "\n"
     "Example:\n"
     "  eddy resume kustomization my-app -n my-namespace\n",
     ed_cli_resume},
    {"reconcile", "Ask for a reconcile now and wait for its result",
     "Usage: eddy reconcile (source git | kustomization) NAME [-n NS] [--with-source]\n"
     "          [--timeout 5m]\n"
     "\n"
     "Set the reconcile.fluxcd.io/requestedAt annotation and wait until the controller handled\n"
     "it; print the revision it fetched or applied, or why it failed. --with-source reconciles\n"
     "a Kustomization's GitRepository first.\n"
     "\n"
     "Example:\n"
     "  eddy reconcile kustomization apps --with-source\n",
     ed_cli_reconcile},
    {"kustomize", "Build a kustomization with eddy's native engine",
     "Usage: eddy kustomize build DIR\n"
     "\n"
     "Render the kustomization in DIR and print the objects as a YAML stream, byte for byte as\n"
     "`kubectl kustomize DIR` prints them. Nothing outside DIR is read. Supported today:\n"
     "resources and bases, namespace, namePrefix/nameSuffix, commonLabels, labels,\n"
     "commonAnnotations, images, replicas; other fields are refused with a clear message.\n"
     "\n"
     "Example:\n"
     "  eddy kustomize build ./apps/overlays/production\n",
     ed_cli_kustomize},
    {"version", "Print the version of eddy",
     "Usage: eddy version\n"
     "\n"
     "Print the version of this eddy binary.\n"
     "\n"
     "Example:\n"
     "  eddy version\n",
     cmd_version},
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

static const struct verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
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
    fprintf(out, "\nRun `eddy help VERB` for the help of one verb.\n");
}

static bool wants_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "eddy version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("eddy: v%s\n", ED_VERSION);
    return 0;
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

int ed_cli_main(int argc, char **argv)
{
    /* Progress lines go out as they happen, also into a pipe, in order with stderr's. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (wants_help(argv[1])) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(1, argv + 1);
    const struct verb *v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "eddy: unknown verb '%s'\n\n", argv[1]);
        print_usage(stderr);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (wants_help(argv[i])) {
            fputs(v->usage, stdout);
            return 0;
        }
    }
    return v->run(argc - 1, argv + 1);
}
