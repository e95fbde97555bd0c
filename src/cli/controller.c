/*
 * `eddy controller`: the agent process. It loads the cluster configuration (a kubeconfig, or
 * in-cluster when none is given), serves /healthz and /readyz on --health-addr and /metrics on
 * --metrics-addr, campaigns for a coordination.k8s.io Lease so that only one replica works at
 * a time (--leader-elect, with Flux's durations), and on SIGTERM or SIGINT releases the lease
 * and exits 0. Losing the lease exits 1, as controller-runtime does, so a restarted process
 * campaigns afresh.
 *
 * While it leads, it runs the reconcilers that are built: GitRepository (fetching into a
 * persistent cache under --storage-path and serving artifacts on --storage-addr),
 * Kustomization, and image update automation: ImageRepository (tags kept under --storage-path),
 * ImagePolicy and ImageUpdateAutomation (commits pushed from the same Git cache).
 *
 * Its flags are those of Flux's controllers, so that a Flux Deployment's arguments work: the
 * ones eddy has act as Flux's; the few that mean nothing here (--http-retry, the token cache)
 * are accepted with a warning; those for what eddy does not build (Vault, workload identity)
 * are refused.
 */
#include "cli_int.h"

#include "../apply/apply.h"
#include "../controllers/controllers.h"
#include "../kube/kube.h"
#include "../runtime/runtime.h"
#include "../source/source.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct controller_opts {
    const char *kubeconfig;
    const char *context;
    bool leader_elect;
    bool lease_named; /* --leader-election-id given */
    const char *lease_ns;
    const char *lease_name;
    int64_t lease_ms, renew_ms, retry_ms;
    const char *metrics_addr;
    const char *health_addr;
    ed_log_level log_level;
    ed_log_format log_format;
    int concurrent;
    bool watch_all_namespaces;
    const char *watch_label_selector;
    ed_label_selector *shard; /* watch_label_selector parsed, or NULL */
    double qps;
    int burst;
    const char *storage_path;
    const char *storage_addr;
    const char *storage_adv_addr;
    int artifact_retention_records;
    int64_t artifact_retention_ttl_ms;
    int64_t drift_grace_ms;
    int64_t requeue_dependency_ms;
    int64_t min_retry_delay_ms, max_retry_delay_ms;
    int jitter_percent; /* --interval-jitter-percentage */
    const char *default_service_account;
    bool no_cross_namespace_refs;
    bool no_remote_bases;
    bool insecure_kubeconfig_exec;
    bool insecure_kubeconfig_tls;
    bool strict_substitutions;      /* feature gate StrictPostBuildSubstitutions (default true) */
    const char *events_addr;        /* Flux's notification-controller, or NULL */
    bool release_on_cancel;         /* --leader-election-release-on-cancel (default true) */
    int concurrent_ssa;             /* --concurrent-ssa: dry-runs at a time in one apply */
    const char **override_managers; /* --override-manager, each (NULL-terminated; owned list) */
    size_t n_override_managers;
    char **custom_stage_kinds;          /* --custom-apply-stage-kinds (owned), or NULL */
    const char *watch_configs_selector; /* --watch-configs-label-selector, or NULL: Flux's */
    const char *sops_age_secret;        /* --sops-age-secret, or NULL */
    char shard_lease[64];               /* the lease of a shard without --leader-election-id */
};

struct controller_state {
    ed_kube *kube;
    ed_metrics *metrics;
    atomic_bool api_ok;     /* the API server answered at least once */
    ed_kube_stats reported; /* the client's counters as /metrics last reported them */
};

static int healthz(ed_buf *out, const char **content_type, void *user)
{
    (void)content_type, (void)user;
    ed_buf_append_str(out, "ok");
    return 200;
}

static int readyz(ed_buf *out, const char **content_type, void *user)
{
    (void)content_type;
    struct controller_state *st = user;
    bool ok = atomic_load(&st->api_ok);
    ed_buf_append_str(out, ok ? "ok" : "the API server has not answered yet");
    return ok ? 200 : 503;
}

static int metrics(ed_buf *out, const char **content_type, void *user)
{
    struct controller_state *st = user;
    *content_type = "text/plain; version=0.0.4; charset=utf-8";
    /* The API client's counters, brought up to date (the server answers one scrape at a time). */
    ed_kube_stats now;
    ed_kube_get_stats(st->kube, &now);
    ed_metrics_counter_add(st->metrics, "eddy_kube_requests_total", NULL,
                           (double)(now.requests - st->reported.requests));
    ed_metrics_counter_add(st->metrics, "eddy_kube_connections_total", NULL,
                           (double)(now.connections - st->reported.connections));
    st->reported = now;
    return ed_metrics_render(st->metrics, out) == 0 ? 200 : 500;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return true;
    }
    return false;
}

static int usage_error(const char *fmt, ...) ED_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "eddy controller: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun `eddy controller --help` for the flags.\n");
    va_end(ap);
    return 2;
}

/* A duration flag's value Go's time.ParseDuration cannot read, in the words of Flux's
 * controllers (pflag's, on a line of its own): `invalid argument "x" for "--flag" flag: time:
 * invalid duration "x"`. Returns 2. */
static int duration_flag_error(const char *flag, const char *value)
{
    char *q = ed_cli_quoted(value), *why = ed_duration_error(value);
    fprintf(stderr, "invalid argument %s for \"--%s\" flag: %s\n", q, flag, why);
    fprintf(stderr, "Run `eddy controller --help` for the flags.\n");
    free(why);
    free(q);
    return 2;
}

/* Read a duration flag's value into *ms: 0, or 2 after pflag's words for one Go would not
 * read, or eddy's for one it reads but that is below min_ms (what: "such as 35s"). */
static int duration_flag(const char *flag, const char *value, int64_t *ms, int64_t min_ms,
                         const char *what)
{
    ed_err err = ED_ERR_INIT;
    if (ed_duration_parse(value, ms, &err) != 0)
        return duration_flag_error(flag, value);
    if (*ms < min_ms)
        return usage_error("--%s takes a duration %s, not \"%s\"", flag, what, value);
    return 0;
}

static void controller_opts_free(struct controller_opts *o)
{
    free(o->override_managers);
    ed_apply_group_kinds_free(o->custom_stage_kinds);
    ed_label_selector_free(o->shard);
}

/* Flux's selector flags, parsed at start as its controllers parse them: the shard's as a
 * LabelSelector (metav1.ParseToLabelSelector), the configs' as labels.Parse. One that does not
 * parse is logged with Flux's message and the process exits 1 before any request, as Flux's
 * does (a selector the API server would refuse must not start a controller that watches
 * nothing, nor one that reconciles every shard). */
static int parse_selectors(struct controller_opts *o)
{
    ed_err err = ED_ERR_INIT;
    if (o->watch_label_selector && *o->watch_label_selector &&
        ed_label_selector_parse_watch(o->watch_label_selector, &o->shard, &err) != 0) {
        ed_log(ED_LOG_ERROR, "unable to configure watch label selector for manager", "logger",
               "setup", "error", err.msg, NULL);
        return 1;
    }
    ed_label_selector *configs = NULL;
    if (o->watch_configs_selector && *o->watch_configs_selector &&
        ed_label_selector_parse(o->watch_configs_selector, &configs, &err) != 0) {
        ed_log(ED_LOG_ERROR, "unable to configure watch configs label selector for controller",
               "logger", "setup", "error", err.msg, NULL);
        return 1;
    }
    ed_label_selector_free(configs);
    return 0;
}

/* The lease of a shard, as Flux names it (fluxcd/pkg/runtime leaderelection.GenerateID): the
 * default name, "-", and the first 8 hex digits of the selector's sha256, so that the agents of
 * different shards in one namespace each lead their own shard instead of waiting on one lease.
 * A lease named with --leader-election-id is kept. */
static void shard_lease_name(struct controller_opts *o)
{
    if (o->lease_named || !o->watch_label_selector || !*o->watch_label_selector)
        return;
    char hex[65];
    ed_sha256_hex(o->watch_label_selector, strlen(o->watch_label_selector), hex);
    snprintf(o->shard_lease, sizeof(o->shard_lease), "%s-%.8s", o->lease_name, hex);
    o->lease_name = o->shard_lease;
}

/* Flux's flags that mean nothing in eddy: accepted (a Flux Deployment's arguments keep
 * working), their value checked, and said to have no effect. --http-retry: Flux retries the
 * download of a source's artifact; eddy's Kustomizations read the artifact in-process.
 * --token-cache-*: Flux caches cloud workload identity tokens; eddy has no cloud auth. */
static int accept_without_effect(const char *flag, const char *arg)
{
    if (strcmp(flag, "token-cache-max-duration") == 0) {
        int64_t ms;
        if (duration_flag(flag, arg, &ms, 0, "such as 1h") != 0)
            return 2;
    } else {
        char *end;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end || v < 0)
            return usage_error("--%s takes a whole number (0 or more), not \"%s\"", flag, arg);
    }
    fprintf(stderr, "eddy controller: --%s has no effect in eddy (%s)\n", flag,
            strcmp(flag, "http-retry") == 0
                ? "Kustomizations read their source's artifact in-process, not over HTTP"
                : "it caches cloud workload identity tokens, which eddy does not use");
    return 0;
}

/* Flux's flags for what eddy does not build: refused, so that a Deployment counting on them
 * is not left believing they work. */
static int refuse_unbuilt(const char *flag)
{
    return usage_error("--%s is not supported: %s", flag,
                       strcmp(flag, "sops-vault-configmap") == 0
                           ? "eddy decrypts SOPS with age and PGP keys only, not through "
                             "OpenBao/Vault"
                           : "eddy has no cloud workload identity (object-level service "
                             "accounts for decryption or kubeconfig)");
}

/* --feature-gates=Name=bool[,...]: the Flux feature gates eddy has (StrictPostBuildSubstitutions);
 * another name is an error rather than silently ignored. */
static int parse_feature_gates(const char *arg, struct controller_opts *o)
{
    char *copy = ed_xstrdup(arg), *save = NULL;
    int rc = 0;
    for (char *g = strtok_r(copy, ",", &save); g && !rc; g = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(g, '=');
        bool on = true;
        if (eq)
            *eq = '\0';
        if (eq && !parse_bool(eq + 1, &on))
            rc = usage_error("--feature-gates: %s takes true or false, not \"%s\"", g, eq + 1);
        else if (strcmp(g, "StrictPostBuildSubstitutions") == 0)
            o->strict_substitutions = on;
        else
            rc = usage_error("--feature-gates: unknown feature gate \"%s\" (eddy has "
                             "StrictPostBuildSubstitutions)",
                             g);
    }
    free(copy);
    return rc;
}

static int parse_flags(int argc, char **argv, struct controller_opts *o)
{
    ED_ASSERT(o != NULL);
    enum {
        F_KUBECONFIG = 1000,
        F_CONTEXT,
        F_LEADER_ELECT,
        F_LEASE_NS,
        F_LEASE_ID,
        F_LEASE_DURATION,
        F_RENEW_DEADLINE,
        F_RETRY_PERIOD,
        F_METRICS,
        F_HEALTH,
        F_LOG_LEVEL,
        F_LOG_ENCODING,
        F_CONCURRENT,
        F_WATCH_ALL,
        F_WATCH_SELECTOR,
        F_QPS,
        F_BURST,
        F_STORAGE_PATH,
        F_STORAGE_ADDR,
        F_STORAGE_ADV,
        F_RETENTION_RECORDS,
        F_RETENTION_TTL,
        F_DRIFT_GRACE,
        F_REQUEUE_DEPENDENCY,
        F_MIN_RETRY_DELAY,
        F_MAX_RETRY_DELAY,
        F_JITTER,
        F_DEFAULT_SA,
        F_NO_CROSS_NS,
        F_NO_REMOTE_BASES,
        F_INSECURE_KC_EXEC,
        F_INSECURE_KC_TLS,
        F_FEATURE_GATES,
        F_EVENTS_ADDR,
        F_ENABLE_LEADER_ELECTION,
        F_RELEASE_ON_CANCEL,
        F_CONCURRENT_SSA,
        F_OVERRIDE_MANAGER,
        F_CUSTOM_STAGE_KINDS,
        F_WATCH_CONFIGS_SELECTOR,
        F_SOPS_AGE_SECRET,
        F_NO_EFFECT,
        F_UNBUILT,
    };
    static const struct option flags[] = {
        {"kubeconfig", required_argument, NULL, F_KUBECONFIG},
        {"context", required_argument, NULL, F_CONTEXT},
        {"leader-elect", optional_argument, NULL, F_LEADER_ELECT},
        {"leader-election-namespace", required_argument, NULL, F_LEASE_NS},
        {"leader-election-id", required_argument, NULL, F_LEASE_ID},
        {"leader-election-lease-duration", required_argument, NULL, F_LEASE_DURATION},
        {"leader-election-renew-deadline", required_argument, NULL, F_RENEW_DEADLINE},
        {"leader-election-retry-period", required_argument, NULL, F_RETRY_PERIOD},
        {"metrics-addr", required_argument, NULL, F_METRICS},
        {"health-addr", required_argument, NULL, F_HEALTH},
        {"log-level", required_argument, NULL, F_LOG_LEVEL},
        {"log-encoding", required_argument, NULL, F_LOG_ENCODING},
        {"concurrent", required_argument, NULL, F_CONCURRENT},
        {"watch-all-namespaces", optional_argument, NULL, F_WATCH_ALL},
        {"watch-label-selector", required_argument, NULL, F_WATCH_SELECTOR},
        {"kube-api-qps", required_argument, NULL, F_QPS},
        {"kube-api-burst", required_argument, NULL, F_BURST},
        {"storage-path", required_argument, NULL, F_STORAGE_PATH},
        {"storage-addr", required_argument, NULL, F_STORAGE_ADDR},
        {"storage-adv-addr", required_argument, NULL, F_STORAGE_ADV},
        {"artifact-retention-records", required_argument, NULL, F_RETENTION_RECORDS},
        {"artifact-retention-ttl", required_argument, NULL, F_RETENTION_TTL},
        {"drift-grace-period", required_argument, NULL, F_DRIFT_GRACE},
        {"requeue-dependency", required_argument, NULL, F_REQUEUE_DEPENDENCY},
        {"min-retry-delay", required_argument, NULL, F_MIN_RETRY_DELAY},
        {"max-retry-delay", required_argument, NULL, F_MAX_RETRY_DELAY},
        {"interval-jitter-percentage", required_argument, NULL, F_JITTER},
        {"default-service-account", required_argument, NULL, F_DEFAULT_SA},
        {"no-cross-namespace-refs", optional_argument, NULL, F_NO_CROSS_NS},
        {"no-remote-bases", optional_argument, NULL, F_NO_REMOTE_BASES},
        {"insecure-kubeconfig-exec", optional_argument, NULL, F_INSECURE_KC_EXEC},
        {"insecure-kubeconfig-tls", optional_argument, NULL, F_INSECURE_KC_TLS},
        {"feature-gates", required_argument, NULL, F_FEATURE_GATES},
        {"events-addr", required_argument, NULL, F_EVENTS_ADDR},
        {"enable-leader-election", optional_argument, NULL, F_ENABLE_LEADER_ELECTION},
        {"leader-election-release-on-cancel", optional_argument, NULL, F_RELEASE_ON_CANCEL},
        {"concurrent-ssa", required_argument, NULL, F_CONCURRENT_SSA},
        {"override-manager", required_argument, NULL, F_OVERRIDE_MANAGER},
        {"custom-apply-stage-kinds", required_argument, NULL, F_CUSTOM_STAGE_KINDS},
        {"watch-configs-label-selector", required_argument, NULL, F_WATCH_CONFIGS_SELECTOR},
        {"sops-age-secret", required_argument, NULL, F_SOPS_AGE_SECRET},
        {"http-retry", required_argument, NULL, F_NO_EFFECT},
        {"token-cache-max-duration", required_argument, NULL, F_NO_EFFECT},
        {"token-cache-max-size", required_argument, NULL, F_NO_EFFECT},
        {"sops-vault-configmap", required_argument, NULL, F_UNBUILT},
        {"default-decryption-service-account", required_argument, NULL, F_UNBUILT},
        {"default-kubeconfig-service-account", required_argument, NULL, F_UNBUILT},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "", flags, &li)) != -1) {
        const char *flag = c >= F_KUBECONFIG ? flags[li].name : "";
        ed_err err = ED_ERR_INIT;
        int64_t *dur = NULL;
        switch (c) {
        case F_KUBECONFIG:
            o->kubeconfig = optarg;
            break;
        case F_CONTEXT:
            o->context = optarg;
            break;
        case F_LEADER_ELECT:
        case F_ENABLE_LEADER_ELECTION: /* Flux's name for it */
            if (!parse_bool(optarg, &o->leader_elect))
                return usage_error("--%s takes true or false, not \"%s\"", flag, optarg);
            break;
        case F_RELEASE_ON_CANCEL:
            if (!parse_bool(optarg, &o->release_on_cancel))
                return usage_error("--%s takes true or false, not \"%s\"", flag, optarg);
            break;
        case F_CONCURRENT_SSA: {
            /* Flux's: below 1 counts as 1 */
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v > 1000)
                return usage_error("--%s takes a number up to 1000, not \"%s\"", flag, optarg);
            o->concurrent_ssa = v < 1 ? 1 : (int)v;
            break;
        }
        case F_OVERRIDE_MANAGER:
            /* Flux's is a string array: the flag once per manager, no splitting */
            if (!*optarg)
                return usage_error("--%s takes a field manager's name", flag);
            o->override_managers = ed_xrealloc(
                o->override_managers, (o->n_override_managers + 2) * sizeof(*o->override_managers));
            o->override_managers[o->n_override_managers++] = optarg;
            o->override_managers[o->n_override_managers] = NULL;
            break;
        case F_CUSTOM_STAGE_KINDS:
            ed_apply_group_kinds_free(o->custom_stage_kinds);
            o->custom_stage_kinds = NULL;
            if (ed_apply_group_kinds_parse(optarg, &o->custom_stage_kinds, &err) != 0)
                return usage_error("--%s: %s", flag, err.msg);
            break;
        case F_WATCH_CONFIGS_SELECTOR:
            o->watch_configs_selector = optarg;
            break;
        case F_SOPS_AGE_SECRET:
            o->sops_age_secret = *optarg ? optarg : NULL;
            break;
        case F_NO_EFFECT:
            if (accept_without_effect(flag, optarg) != 0)
                return 2;
            break;
        case F_UNBUILT:
            return refuse_unbuilt(flag);
        case F_LEASE_NS:
            o->lease_ns = optarg;
            break;
        case F_LEASE_ID:
            o->lease_name = optarg;
            o->lease_named = true;
            break;
        case F_LEASE_DURATION:
            dur = &o->lease_ms;
            break;
        case F_RENEW_DEADLINE:
            dur = &o->renew_ms;
            break;
        case F_RETRY_PERIOD:
            dur = &o->retry_ms;
            break;
        case F_METRICS:
            o->metrics_addr = optarg;
            break;
        case F_HEALTH:
            o->health_addr = optarg;
            break;
        case F_LOG_LEVEL:
            if (strcmp(optarg, "debug") == 0 || strcmp(optarg, "trace") == 0)
                o->log_level = ED_LOG_DEBUG;
            else if (strcmp(optarg, "info") == 0)
                o->log_level = ED_LOG_INFO;
            else if (strcmp(optarg, "error") == 0)
                o->log_level = ED_LOG_ERROR;
            else
                return usage_error("--log-level is debug, info or error, not \"%s\"", optarg);
            break;
        case F_LOG_ENCODING:
            if (strcmp(optarg, "json") == 0)
                o->log_format = ED_LOG_JSON;
            else if (strcmp(optarg, "console") == 0)
                o->log_format = ED_LOG_CONSOLE;
            else
                return usage_error("--log-encoding is json or console, not \"%s\"", optarg);
            break;
        case F_CONCURRENT:
        case F_BURST: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 10000)
                return usage_error("--%s takes a number from 1 to 10000, not \"%s\"", flag, optarg);
            if (c == F_CONCURRENT)
                o->concurrent = (int)v;
            else
                o->burst = (int)v;
            break;
        }
        case F_QPS: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || v < 0)
                return usage_error("--kube-api-qps takes a number, not \"%s\"", optarg);
            o->qps = v;
            break;
        }
        case F_WATCH_ALL:
            if (!parse_bool(optarg, &o->watch_all_namespaces))
                return usage_error("--watch-all-namespaces takes true or false, not \"%s\"",
                                   optarg);
            break;
        case F_WATCH_SELECTOR:
            o->watch_label_selector = optarg;
            break;
        case F_STORAGE_PATH:
            o->storage_path = optarg;
            break;
        case F_STORAGE_ADDR:
            o->storage_addr = optarg;
            break;
        case F_STORAGE_ADV:
            o->storage_adv_addr = optarg;
            break;
        case F_RETENTION_RECORDS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 1000)
                return usage_error("--%s takes a number from 0 to 1000, not \"%s\"", flag, optarg);
            o->artifact_retention_records = (int)v;
            break;
        }
        case F_RETENTION_TTL:
            if (duration_flag(flag, optarg, &o->artifact_retention_ttl_ms, 0, "such as 60s") != 0)
                return 2;
            break;
        case F_DRIFT_GRACE:
            if (duration_flag(flag, optarg, &o->drift_grace_ms, 0, "such as 5m") != 0)
                return 2;
            break;
        case F_NO_CROSS_NS:
            if (!parse_bool(optarg, &o->no_cross_namespace_refs))
                return usage_error("--no-cross-namespace-refs takes true or false, not \"%s\"",
                                   optarg);
            break;
        case F_INSECURE_KC_EXEC:
        case F_INSECURE_KC_TLS: {
            bool on = false;
            if (!parse_bool(optarg, &on))
                return usage_error("--%s takes true or false, not \"%s\"", flag, optarg);
            if (c == F_INSECURE_KC_EXEC)
                o->insecure_kubeconfig_exec = on;
            else
                o->insecure_kubeconfig_tls = on;
            break;
        }
        case F_NO_REMOTE_BASES:
            if (!parse_bool(optarg, &o->no_remote_bases))
                return usage_error("--no-remote-bases takes true or false, not \"%s\"", optarg);
            break;
        case F_DEFAULT_SA:
            o->default_service_account = optarg;
            break;
        case F_FEATURE_GATES:
            if (parse_feature_gates(optarg, o) != 0)
                return 2;
            break;
        case F_EVENTS_ADDR:
            if (*optarg && ed_notifier_check_url(optarg, &err) != 0)
                return usage_error("%s", err.msg);
            o->events_addr = *optarg ? optarg : NULL;
            break;
        case F_REQUEUE_DEPENDENCY:
            dur = &o->requeue_dependency_ms;
            break;
        case F_MIN_RETRY_DELAY:
            dur = &o->min_retry_delay_ms;
            break;
        case F_MAX_RETRY_DELAY:
            dur = &o->max_retry_delay_ms;
            break;
        case F_JITTER: {
            /* Flux's: a whole percentage, not negative, below 100 (0 turns jitter off). */
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 99)
                return usage_error("--%s takes a number from 0 to 99, not \"%s\"", flag, optarg);
            o->jitter_percent = v == 0 ? -1 : (int)v;
            break;
        }
        default:
            return usage_error("unknown or incomplete flag %s", argv[optind - 1]);
        }
        if (dur && duration_flag(flag, optarg, dur, 1, "such as 35s") != 0)
            return 2;
    }
    if (optind < argc)
        return usage_error("unexpected argument \"%s\"", argv[optind]);
    if (o->min_retry_delay_ms && o->max_retry_delay_ms &&
        o->min_retry_delay_ms > o->max_retry_delay_ms)
        return usage_error("--min-retry-delay must not exceed --max-retry-delay");
    if (o->leader_elect && !(o->lease_ms > o->renew_ms && o->renew_ms > o->retry_ms))
        return usage_error("leader election needs lease duration > renew deadline > "
                           "retry period");
    return 0;
}

/* What the reconcilers share: the Git cache, the artifact store and its server. */
struct reconcilers {
    ed_source_cache *cache;
    ed_artifact_store *store;
    ed_artifact_server *server;
    ed_gitrepo_controller *gitrepo;
    ed_ocirepo_controller *ocirepo;
    ed_ks_controller *kustomization;
    ed_imagerepo_controller *imagerepo;
    ed_imagepolicy_controller *imagepolicy;
    ed_imageupdate_controller *imageupdate;
};

/* False when the API server says it does not serve kind of image.toolkit.fluxcd.io/v1 (its CRD
 * is not installed); another failure counts as served, and the informer's sync will tell. */
static bool image_kind_served(ed_kube *kube, const char *kind)
{
    ed_kube_resource res;
    return ed_kube_resource_for(kube, "image.toolkit.fluxcd.io/v1", kind, &res, NULL) !=
           ED_ENOTFOUND;
}

/* The image reconcilers, as Flux's optional image-reflector-controller (ImageRepository,
 * ImagePolicy) and image-automation-controller (ImageUpdateAutomation): each runs only when its
 * CRDs are installed, so a cluster without them runs the rest unchanged. */
static void register_image_controllers(ed_manager *m, const struct controller_opts *o,
                                       ed_kube *kube, struct reconcilers *r)
{
    bool policies = image_kind_served(kube, "ImagePolicy");
    bool reflector = policies && image_kind_served(kube, "ImageRepository");
    bool automation = policies && image_kind_served(kube, "ImageUpdateAutomation");
    if (reflector) {
        ed_imagerepo_opts ir = {.kube = kube,
                                .metrics = ed_manager_metrics(m),
                                .storage_path = o->storage_path,
                                .workers = o->concurrent};
        r->imagerepo = ed_imagerepo_register(m, &ir);
        ed_imagepolicy_opts ip = {.kube = kube,
                                  .metrics = ed_manager_metrics(m),
                                  .storage_path = o->storage_path,
                                  .workers = o->concurrent,
                                  .no_cross_namespace_refs = o->no_cross_namespace_refs,
                                  .requeue_dependency_ms = o->requeue_dependency_ms};
        r->imagepolicy = ed_imagepolicy_register(m, &ip);
    }
    if (automation) {
        ed_imageupdate_opts iu = {.kube = kube,
                                  .metrics = ed_manager_metrics(m),
                                  .cache = r->cache,
                                  .workers = o->concurrent,
                                  .no_cross_namespace_refs = o->no_cross_namespace_refs};
        r->imageupdate = ed_imageupdate_register(m, &iu);
    }
    ed_log(ED_LOG_INFO, "image automation", "reflector",
           reflector ? "running" : "not started: ImageRepository/ImagePolicy CRDs not installed",
           "automation",
           automation ? "running" : "not started: ImageUpdateAutomation CRD not installed", NULL);
}

/* Flux's runtime namespace ($RUNTIME_NAMESPACE); without it, the lease's (as eddy's
 * --watch-all-namespaces=false takes it). */
static const char *runtime_namespace(const struct controller_opts *o)
{
    const char *env = getenv("RUNTIME_NAMESPACE");
    return env && *env ? env : o->lease_ns;
}

/* Open storage, serve artifacts, and register every reconciler with the manager. */
static int register_controllers(ed_manager *m, const struct controller_opts *o, ed_kube *kube,
                                struct reconcilers *r, ed_err *err)
{
    int rc = ed_source_cache_open(&r->cache, o->storage_path, err);
    if (rc)
        return rc;
    /* The advertised address defaults to the listen address with this host's name. */
    char adv[512];
    if (o->storage_adv_addr) {
        snprintf(adv, sizeof(adv), "%s", o->storage_adv_addr);
    } else {
        char host[256] = "localhost";
        gethostname(host, sizeof(host) - 1);
        const char *colon = strrchr(o->storage_addr, ':');
        snprintf(adv, sizeof(adv), "%s%s", host, colon ? colon : "");
    }
    rc = ed_artifact_store_open(o->storage_path, adv, &r->store, err);
    if (!rc)
        rc = ed_artifact_server_start(r->store, o->storage_addr, &r->server, err);
    if (rc)
        return rc;
    ed_gitrepo_opts g = {.kube = kube,
                         .metrics = ed_manager_metrics(m),
                         .cache = r->cache,
                         .store = r->store,
                         .workers = o->concurrent,
                         .retention_records = o->artifact_retention_records,
                         .retention_ttl_ms = o->artifact_retention_ttl_ms};
    r->gitrepo = ed_gitrepo_register(m, &g);
    /* OCIRepository runs when its CRD is installed (a cluster from before it runs the rest
     * unchanged; `eddy install` brings it). */
    ed_kube_resource oci_res;
    bool oci = ed_kube_resource_for(kube, "source.toolkit.fluxcd.io/v1", "OCIRepository", &oci_res,
                                    NULL) != ED_ENOTFOUND;
    if (oci) {
        ed_ocirepo_opts oo = {.kube = kube,
                              .metrics = ed_manager_metrics(m),
                              .store = r->store,
                              .workers = o->concurrent,
                              .retention_records = o->artifact_retention_records,
                              .retention_ttl_ms = o->artifact_retention_ttl_ms};
        r->ocirepo = ed_ocirepo_register(m, &oo);
    } else {
        ed_log(ED_LOG_INFO, "OCIRepository not started: its CRD is not installed", NULL);
    }
    ed_ks_controller_opts k = {.kube = kube,
                               .metrics = ed_manager_metrics(m),
                               .store = r->store,
                               .workers = o->concurrent,
                               .drift_grace_ms = o->drift_grace_ms,
                               .requeue_dependency_ms = o->requeue_dependency_ms,
                               .default_service_account = o->default_service_account,
                               .no_cross_namespace_refs = o->no_cross_namespace_refs,
                               .lenient_substitutions = !o->strict_substitutions,
                               .remote_cache = o->no_remote_bases ? NULL : r->cache,
                               .insecure_kubeconfig_exec = o->insecure_kubeconfig_exec,
                               .insecure_kubeconfig_tls = o->insecure_kubeconfig_tls,
                               .oci_sources = oci,
                               .override_managers = o->override_managers,
                               .custom_stage_kinds = (const char *const *)o->custom_stage_kinds,
                               .concurrent_ssa = o->concurrent_ssa,
                               .watch_configs_selector = o->watch_configs_selector,
                               .sops_age_secret = o->sops_age_secret,
                               .sops_age_namespace = runtime_namespace(o)};
    r->kustomization = ed_kustomization_register(m, &k);
    register_image_controllers(m, o, kube, r);
    char port[16];
    snprintf(port, sizeof(port), "%d", ed_artifact_server_port(r->server));
    ed_log(ED_LOG_INFO, "serving artifacts", "path", o->storage_path, "port", port, "advertised",
           adv, NULL);
    return 0;
}

static void free_reconcilers(struct reconcilers *r)
{
    ed_artifact_server_stop(r->server);
    ed_gitrepo_free(r->gitrepo);
    ed_ocirepo_free(r->ocirepo);
    ed_kustomization_free(r->kustomization);
    ed_imagerepo_free(r->imagerepo);
    ed_imagepolicy_free(r->imagepolicy);
    ed_imageupdate_free(r->imageupdate);
    ed_artifact_store_free(r->store);
    ed_source_cache_free(r->cache);
}

/* client-go's identity: the host name and something unique to this process. */
static void make_identity(char *out, size_t cap)
{
    char host[256] = "eddy";
    gethostname(host, sizeof(host) - 1);
    char seed[64];
    snprintf(seed, sizeof(seed), "%d-%lld", (int)getpid(), (long long)ed_time_mono_ms());
    char hex[65];
    ed_sha256_hex(seed, strlen(seed), hex);
    snprintf(out, cap, "%s_%.12s", host, hex);
}

int ed_cli_controller(int argc, char **argv)
{
    /* Many threads (workers, watches, the apply's dry-runs) and a memory budget of a few tens
     * of MiB: two malloc arenas instead of glibc's eight per core, each keeping its freed
     * memory. MALLOC_ARENA_MAX in the environment still wins. */
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 2);
    struct controller_opts o = {
        .leader_elect = true,
        .lease_ns = getenv("RUNTIME_NAMESPACE") ? getenv("RUNTIME_NAMESPACE") : "flux-system",
        .lease_name = "eddy-leader-election",
        .lease_ms = 35000,
        .renew_ms = 30000,
        .retry_ms = 5000,
        .metrics_addr = ":8080",
        .health_addr = ":9440",
        .log_level = ED_LOG_INFO,
        .log_format = ED_LOG_JSON,
        .concurrent = 4,
        .watch_all_namespaces = true,
        .qps = 50,
        .burst = 300,
        .storage_path = getenv("STORAGE_PATH") ? getenv("STORAGE_PATH") : "/data",
        .storage_addr = ":9090",
        .storage_adv_addr = NULL,
        .artifact_retention_records = ED_ARTIFACT_RETENTION_RECORDS,
        .artifact_retention_ttl_ms = ED_ARTIFACT_RETENTION_TTL_MS,
        .strict_substitutions = true,
        .release_on_cancel = true,
        .concurrent_ssa = 4,
    };
    int rc = parse_flags(argc, argv, &o);
    if (rc) {
        controller_opts_free(&o);
        return rc;
    }
    /* Before any thread exists: SIGTERM and SIGINT are taken by the main loop only. */
    ed_signals_block();
    ed_log_init(o.log_format, o.log_level);
    if ((rc = parse_selectors(&o)) != 0) {
        controller_opts_free(&o);
        return rc;
    }
    shard_lease_name(&o);

    struct controller_state st = {0};
    ed_kube_config *cfg = NULL;
    ed_http_server *health = NULL, *metrics_srv = NULL;
    ed_leader *leader = NULL;
    ed_notifier *notifier = NULL;
    ed_err err = ED_ERR_INIT;
    int exit_code = 1;

    ed_kube_load_opts lo = {.kubeconfig = o.kubeconfig, .context = o.context};
    if (ed_kube_config_load(&lo, &cfg, &err) == 0) {
        cfg->qps = o.qps;
        cfg->burst = o.burst;
    }
    if (err.code != 0 || ed_kube_new(cfg, &st.kube, &err) != 0) {
        ed_log(ED_LOG_ERROR, "cannot load the cluster configuration", "error", err.msg, NULL);
        goto cleanup;
    }
    if (o.events_addr) {
        notifier = ed_notifier_new(o.events_addr, &err);
        if (!notifier) {
            ed_log(ED_LOG_ERROR, "cannot forward events", "error", err.msg, NULL);
            goto cleanup;
        }
        ed_kube_set_event_hook(st.kube, ed_notifier_post, notifier);
    }
    st.metrics = ed_metrics_new();
    ed_metrics_describe(st.metrics, "leader_election_master_status", ED_METRIC_GAUGE,
                        "Gauge of if the reporting system is master of the relevant lease, 0 "
                        "indicates backup, 1 indicates master. 'name' is the string used to "
                        "identify the lease. Please make sure to group by name.");
    ed_metrics_describe(st.metrics, "eddy_kube_requests_total", ED_METRIC_COUNTER,
                        "Requests the agent sent to the Kubernetes API server (watches and "
                        "retries included).");
    ed_metrics_describe(st.metrics, "eddy_kube_connections_total", ED_METRIC_COUNTER,
                        "Connections the agent opened to the Kubernetes API server.");
    ed_metrics_describe(st.metrics, "eddy_build_info", ED_METRIC_GAUGE,
                        "The version of the running eddy.");
    ed_buf labels = ED_BUF_INIT(512);
    ed_metrics_labels(&labels, "version", ED_CLI_VERSION, NULL);
    ed_metrics_gauge_set(st.metrics, "eddy_build_info", labels.data, 1);
    ed_buf_reset(&labels);
    ed_metrics_labels(&labels, "name", o.lease_name, NULL);

    if (ed_http_start(o.health_addr, &health, &err) != 0 ||
        ed_http_start(o.metrics_addr, &metrics_srv, &err) != 0) {
        ed_log(ED_LOG_ERROR, "cannot serve health or metrics", "error", err.msg, NULL);
        ed_buf_free(&labels);
        goto cleanup;
    }
    ed_http_handle(health, "/healthz", healthz, &st);
    ed_http_handle(health, "/readyz", readyz, &st);
    ed_http_handle(metrics_srv, "/metrics", metrics, &st);
    char hport[16], mport[16];
    snprintf(hport, sizeof(hport), "%d", ed_http_port(health));
    snprintf(mport, sizeof(mport), "%d", ed_http_port(metrics_srv));
    char *shown_server = ed_kube_url_redact(cfg->server);
    ed_log(ED_LOG_INFO, "starting eddy controller", "version", ED_CLI_VERSION, "server",
           shown_server, "healthPort", hport, "metricsPort", mport, NULL);
    free(shown_server);

    ed_kube_response resp;
    if (ed_kube_request(st.kube, "GET", "/version", NULL, NULL, 0, &resp, &err) == 0)
        atomic_store(&st.api_ok, true);
    else
        ed_log(ED_LOG_ERROR, "the API server does not answer yet", "error", err.msg, NULL);
    ed_kube_response_free(&resp);

    char identity[320];
    make_identity(identity, sizeof(identity));
    if (o.leader_elect) {
        ed_leader_opts lopts = {.ns = o.lease_ns,
                                .name = o.lease_name,
                                .identity = identity,
                                .lease_ms = o.lease_ms,
                                .renew_deadline_ms = o.renew_ms,
                                .retry_ms = o.retry_ms,
                                .keep_on_stop = !o.release_on_cancel};
        leader = ed_leader_new(st.kube, &lopts);
        if (ed_leader_start(leader, &err) != 0) {
            ed_log(ED_LOG_ERROR, "cannot start leader election", "error", err.msg, NULL);
            ed_buf_free(&labels);
            goto cleanup;
        }
        ed_log(ED_LOG_INFO, "attempting to acquire leader lease", "lease", o.lease_name,
               "namespace", o.lease_ns, "candidate", identity, NULL);
    }

    ed_manager *manager = NULL;
    struct reconcilers recs = {0};
    for (;;) {
        /* Until the controllers run, look for the lease often: the agent starts within
         * 20 ms of leading, not 200. */
        int sig = ed_signals_wait(manager ? 200 : 20);
        if (sig) {
            ed_log(ED_LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                   NULL);
            exit_code = 0;
            break;
        }
        if (!atomic_load(&st.api_ok)) {
            if (ed_kube_request(st.kube, "GET", "/version", NULL, NULL, 0, &resp, &err) == 0)
                atomic_store(&st.api_ok, true);
            ed_kube_response_free(&resp);
        }
        bool leading = !leader || ed_leader_is_leader(leader);
        if (leader) {
            ed_metrics_gauge_set(st.metrics, "leader_election_master_status", labels.data,
                                 leading ? 1 : 0);
            if (ed_leader_lost(leader)) {
                ed_log(ED_LOG_ERROR, "leader lease lost, exiting", "lease", o.lease_name, NULL);
                exit_code = 1;
                break;
            }
        }
        if (leading && !manager) {
            /* Only the leader watches and reconciles. */
            ed_manager_opts mo = {
                .ns = o.watch_all_namespaces ? NULL : o.lease_ns,
                .label_selector = o.watch_label_selector,
                .shard = o.shard,
                .metrics = st.metrics,
                .min_retry_delay_ms = o.min_retry_delay_ms,
                .max_retry_delay_ms = o.max_retry_delay_ms,
                .jitter_percent = o.jitter_percent,
            };
            manager = ed_manager_new(st.kube, &mo);
            if (register_controllers(manager, &o, st.kube, &recs, &err) != 0 ||
                ed_manager_start(manager, 60000, &err) != 0) {
                ed_log(ED_LOG_ERROR, "cannot start the controllers", "error", err.msg, NULL);
                exit_code = 1;
                break;
            }
            ed_log(ED_LOG_INFO, "leading: reconciling GitRepositories and Kustomizations",
                   "candidate", identity, NULL);
        }
    }
    ed_buf_free(&labels);
    /* Graceful: reconciles in progress finish (up to 30 s) before the lease is released. */
    if (ed_manager_free(manager, 30000))
        free_reconcilers(&recs);
    else /* a reconcile still runs: it may read them; the process exits anyway */
        ed_log(ED_LOG_ERROR, "reconciles still running after 30 s, exiting", NULL);

cleanup:
    ed_leader_free(leader); /* releases the lease when held */
    ed_http_stop(health);
    ed_http_stop(metrics_srv);
    ed_metrics_free(st.metrics);
    ed_notifier_free(notifier); /* the controllers have stopped: nothing more to forward */
    ed_kube_free(st.kube);
    ed_kube_config_free(cfg);
    controller_opts_free(&o);
    if (exit_code == 0)
        ed_log(ED_LOG_INFO, "stopped", NULL);
    return exit_code;
}
