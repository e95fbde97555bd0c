/*
 * Unit tests of what the CLI's verbs share (src/cli/common.c): flag parsing in cobra's manner
 * with flux's global flags, the words that name Flux kinds, aligned tables, when a waited-on
 * object counts as Ready, failed or still in progress, and how `eddy logs` prints and filters
 * the agent's log entries (logs.c), the local directory of a nested Kustomization for build
 * and diff --recursive (diff.c), install's --version and --cluster-domain checks, and that the
 * progress lines go to stderr as flux's logger writes them, stdout keeping only a verb's data;
 * and how migrate -f finds and rewrites the apiVersion lines of manifests (migrate.c), and
 * create secret notation's check of a trust policy (trustpolicy.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_parse_flags(void **state)
{
    (void)state;
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool all = false, wait = true;
    const char *sel = NULL;
    ed_cli_list deps = {0};
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &all},
        {"wait", 0, ED_CLI_FLAG_BOOL, &wait},
        {"label-selector", 'l', ED_CLI_FLAG_STR, &sel},
        {"depends-on", 0, ED_CLI_FLAG_LIST, &deps},
        {NULL, 0, 0, NULL},
    };
    char *argv[] = {"get",           "kustomizations", "-n",       "apps", "-A",
                    "--timeout=90s", "--wait=false",   "-lteam=a", "NAME", "--depends-on",
                    "a,b",           "--depends-on=c", "--",       "-x"};
    int argc = (int)(sizeof(argv) / sizeof(argv[0]));
    char *pos[16];
    int npos = 0;
    assert_int_equal(ed_cli_parse(argc, argv, flags, &g, pos, &npos), 0);
    assert_string_equal(g.ns, "apps");
    assert_int_equal(g.timeout_ms, 90000);
    assert_true(all);
    assert_false(wait);
    assert_string_equal(sel, "team=a");
    assert_int_equal(deps.n, 3);
    assert_string_equal(deps.items[1], "b");
    assert_string_equal(deps.items[2], "c");
    assert_int_equal(npos, 3);
    assert_string_equal(pos[0], "kustomizations");
    assert_string_equal(pos[1], "NAME");
    assert_string_equal(pos[2], "-x"); /* after "--", not a flag */
    ed_cli_parse_cleanup();
}

/* Shorthands as pflag reads them: -n=V, -nV, -n V, grouped booleans (-Aw). */
static void test_parse_shorthands(void **state)
{
    (void)state;
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool all = false, watch = false;
    const char *sel = NULL;
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &all},
        {"watch", 'w', ED_CLI_FLAG_BOOL, &watch},
        {"label-selector", 'l', ED_CLI_FLAG_STR, &sel},
        {NULL, 0, 0, NULL},
    };
    char *argv[] = {"get", "-n=apps", "-Aw", "-l=team=a"};
    char *pos[8];
    int npos = 0;
    assert_int_equal(ed_cli_parse(4, argv, flags, &g, pos, &npos), 0);
    assert_string_equal(g.ns, "apps");
    assert_true(all);
    assert_true(watch);
    assert_string_equal(sel, "team=a");
    assert_int_equal(npos, 0);

    g = (ed_cli_global)ED_CLI_GLOBAL_INIT;
    all = watch = false;
    char *argv2[] = {"get", "-A=false", "-wnapps"};
    assert_int_equal(ed_cli_parse(3, argv2, flags, &g, pos, &npos), 0);
    assert_false(all);
    assert_true(watch);
    assert_string_equal(g.ns, "apps");

    char *bad[] = {"get", "-Az"};
    assert_int_equal(ed_cli_parse(2, bad, flags, &g, pos, &npos), 2);
    char *missing[] = {"get", "-An"};
    assert_int_equal(ed_cli_parse(2, missing, flags, &g, pos, &npos), 2);
    ed_cli_parse_cleanup();
}

static int parse_ns(const char *env, char *ns_flag, const char **ns)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    if (env)
        setenv("FLUX_SYSTEM_NAMESPACE", env, 1);
    else
        unsetenv("FLUX_SYSTEM_NAMESPACE");
    char *argv[] = {"get", "ks", "-n", ns_flag};
    char *pos[4];
    int npos = 0;
    int rc = ed_cli_parse(ns_flag ? 4 : 2, argv, NULL, &g, pos, &npos);
    *ns = g.ns;
    unsetenv("FLUX_SYSTEM_NAMESPACE");
    return rc;
}

/* As flux: $FLUX_SYSTEM_NAMESPACE is the default namespace when valid; -n wins; a namespace
 * must be a DNS label. */
static void test_namespace_default(void **state)
{
    (void)state;
    const char *ns = NULL;
    assert_int_equal(parse_ns(NULL, NULL, &ns), 0);
    assert_string_equal(ns, "flux-system");
    assert_int_equal(parse_ns("gitops", NULL, &ns), 0);
    assert_string_equal(ns, "gitops");
    assert_int_equal(parse_ns("gitops", "apps", &ns), 0);
    assert_string_equal(ns, "apps");
    assert_int_equal(parse_ns("Not_A_Label", NULL, &ns), 0); /* ignored, with a warning */
    assert_string_equal(ns, "flux-system");
    assert_int_equal(parse_ns(NULL, "Apps", &ns), 2);
    assert_int_equal(parse_ns(NULL, "-apps", &ns), 2);
}

static void expect_truncated(const char *in, const char *want)
{
    char *got = ed_cli_truncate_hex(in);
    assert_string_equal(got, want);
    free(got);
}

/* flux's TruncateHex: whole hexadecimal words of 40 to 128 digits keep 8. */
static void test_truncate_hex(void **state)
{
    (void)state;
    expect_truncated("main@sha1:16cfcc0b9066b3234dda29927ac1c19860d9663f", "main@sha1:16cfcc0b");
    expect_truncated("Applied revision: main@sha1:16cfcc0b9066b3234dda29927ac1c19860d9663f",
                     "Applied revision: main@sha1:16cfcc0b");
    expect_truncated("stored artifact for revision "
                     "'v1@sha256:c2448c95e262b10f9c1137bf1472f51c04dffca76966ff15eff409d0b300c0b0'",
                     "stored artifact for revision 'v1@sha256:c2448c95'");
    expect_truncated("HEAD/16cfcc0b9066b3234dda29927ac1c19860d9663f", "HEAD/16cfcc0b");
    /* Too short, too long, upper case, or part of a longer word: kept whole. */
    expect_truncated("ffffffffffffff", "ffffffffffffff");
    char *long_hex = ed_xcalloc(1, 130);
    memset(long_hex, 'f', 129);
    expect_truncated(long_hex, long_hex);
    free(long_hex);
    expect_truncated("16CFCC0B9066B3234DDA29927AC1C19860D9663F",
                     "16CFCC0B9066B3234DDA29927AC1C19860D9663F");
    expect_truncated("x16cfcc0b9066b3234dda29927ac1c19860d9663f",
                     "x16cfcc0b9066b3234dda29927ac1c19860d9663f");
    expect_truncated("16cfcc0b9066b3234dda29927ac1c19860d9663f_",
                     "16cfcc0b9066b3234dda29927ac1c19860d9663f_");
    expect_truncated("", "");
    expect_truncated("which should not be modified", "which should not be modified");
}

static int parse_one(char *arg, const char *value)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool b = false;
    const ed_cli_flag flags[] = {{"prune", 0, ED_CLI_FLAG_BOOL, &b}, {NULL, 0, 0, NULL}};
    char *argv[] = {"verb", arg, (char *)value};
    char *pos[3];
    int npos = 0;
    return ed_cli_parse(value ? 3 : 2, argv, flags, &g, pos, &npos);
}

static void test_parse_errors(void **state)
{
    (void)state;
    assert_int_equal(parse_one("--frob", NULL), 2);          /* unknown flag */
    assert_int_equal(parse_one("-z", NULL), 2);              /* unknown shorthand */
    assert_int_equal(parse_one("--prune=maybe", NULL), 2);   /* not a boolean */
    assert_int_equal(parse_one("--timeout", "soon"), 2);     /* not a duration */
    assert_int_equal(parse_one("--timeout", "0s"), 2);       /* must be positive */
    assert_int_equal(parse_one("--namespace", NULL), 2);     /* value missing */
    assert_int_equal(parse_one("--prune", "positional"), 0); /* a boolean takes no value */
    assert_int_equal(parse_one("--namespace", "x"), 0);
}

static void test_kinds(void **state)
{
    (void)state;
    char *w1[] = {"source", "git", "NAME"};
    char *w2[] = {"ks", "NAME"};
    char *w3[] = {"images", "policy"};
    char *w4[] = {"image", "update", "NAME"};
    char *w5[] = {"image", "frob"};
    char *w6[] = {"source"};
    int used = 0;
    assert_ptr_equal(ed_cli_kind_parse(w1, 3, &used), &ed_cli_gitrepository);
    assert_int_equal(used, 2);
    assert_ptr_equal(ed_cli_kind_parse(w2, 2, &used), &ed_cli_kustomization);
    assert_int_equal(used, 1);
    assert_ptr_equal(ed_cli_kind_parse(w3, 2, &used), &ed_cli_imagepolicy);
    assert_ptr_equal(ed_cli_kind_parse(w4, 3, &used), &ed_cli_imageupdate);
    assert_null(ed_cli_kind_parse(w5, 2, &used));
    assert_int_equal(used, 0);
    assert_null(ed_cli_kind_parse(w6, 1, &used));
    assert_ptr_equal(ed_cli_kind_by_name("imagerepository"), &ed_cli_imagerepository);
    assert_null(ed_cli_kind_by_name("HelmRelease"));
}

static void test_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ed_cli_table *t = ed_cli_table_new(3);
    const char *head[] = {"NAMESPACE", "NAME", "MESSAGE"};
    const char *row1[] = {"a", "ünïcode", "ok"};
    const char *row2[] = {"bb", NULL, "every cell is padded, then a tab"};
    ed_cli_table_head(t, head);
    ed_cli_table_row(t, row1);
    ed_cli_table_row(t, row2);
    assert_int_equal(ed_cli_table_rows(t), 3);
    ed_cli_table_print(t, out, 0, 1); /* without the first column */
    ed_cli_table_print(t, out, 1, 0); /* without the header: its widths do not count */
    fclose(out);
    /* flux's tablewriter: the header's last cell ends in a space, every other in a tab */
    assert_string_equal(text, "NAME   \tMESSAGE                          \n"
                              "ünïcode\tok                              \t\n"
                              "       \tevery cell is padded, then a tab\t\n"
                              "a \tünïcode\tok                              \t\n"
                              "bb\t       \tevery cell is padded, then a tab\t\n");
    free(text);
    ed_cli_table_free(t);

    /* A cell of two lines makes its row two lines tall, as flux's events show it. */
    out = open_memstream(&text, &len);
    t = ed_cli_table_new(2);
    const char *h2[] = {"OBJECT", "MESSAGE"};
    const char *r2[] = {"Kustomization/app", "ConfigMap/a created\nSecret/b created"};
    ed_cli_table_head(t, h2);
    ed_cli_table_row(t, r2);
    ed_cli_table_print(t, out, 0, 0);
    fclose(out);
    assert_string_equal(text, "OBJECT           \tMESSAGE             \n"
                              "Kustomization/app\tConfigMap/a created\t\n"
                              "                 \tSecret/b created   \t\n");
    free(text);
    ed_cli_table_free(t);
}

/* An object with generation gen, observedGeneration obs, Ready and Reconciling statuses. */
static ed_doc *object(int gen, int obs, const char *ready, const char *reconciling,
                      const char *handled)
{
    char *json = ed_xasprintf(
        "{\"metadata\":{\"generation\":%d},\"status\":{\"observedGeneration\":%d,%s%s%s"
        "\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}%s%s%s]}}",
        gen, obs, handled ? "\"lastHandledReconcileAt\":\"" : "", handled ? handled : "",
        handled ? "\"," : "", ready, reconciling ? ",{\"type\":\"Reconciling\",\"status\":\"" : "",
        reconciling ? reconciling : "", reconciling ? "\"}" : "");
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_json(json, strlen(json), &d, &err), 0);
    free(json);
    return d;
}

static void test_ready_state(void **state)
{
    (void)state;
    struct {
        int gen, obs;
        const char *ready, *reconciling, *handled, *token;
        int want;
    } cases[] = {
        {1, 1, "True", NULL, NULL, NULL, 1},
        {2, 1, "True", NULL, NULL, NULL, 0},     /* an older generation's answer */
        {1, 1, "False", NULL, NULL, NULL, -1},   /* failed */
        {1, 1, "False", "True", NULL, NULL, 0},  /* retrying: still in progress */
        {1, 1, "Unknown", NULL, NULL, NULL, 0},  /* not decided */
        {1, 1, "True", NULL, "t1", "t2", 0},     /* the request not handled yet */
        {1, 1, "True", NULL, "t2", "t2", 1},     /* handled and Ready */
        {1, 1, "False", "True", "t2", "t2", -1}, /* handled: a failure is final */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *d = object(cases[i].gen, cases[i].obs, cases[i].ready, cases[i].reconciling,
                           cases[i].handled);
        assert_int_equal(ed_cli_ready_state(ed_doc_root(d), cases[i].token), cases[i].want);
        ed_doc_free(d);
    }
}

/* One line through ed_cli_log_format: what it prints ("" when filtered out). */
static char *fmt(const char *line, const ed_cli_log_filter *f)
{
    ed_buf out = ED_BUF_INIT(1 << 20);
    int shown = ed_cli_log_format(line, strlen(line), f, &out);
    assert_int_equal(shown, out.len > 0);
    return ed_buf_take(&out);
}

static void expect(const char *line, const ed_cli_log_filter *f, const char *want)
{
    char *got = fmt(line, f);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  printed: \"%s\"\n  wanted:  \"%s\"", line, got, want);
    free(got);
}

static void test_log_format(void **state)
{
    (void)state;
    const char *applied =
        "{\"level\":\"info\",\"ts\":\"2026-11-28T22:22:03.440Z\","
        "\"msg\":\"Applied revision: main@sha1:abc\",\"controller\":"
        "\"kustomization\",\"controllerKind\":\"Kustomization\",\"name\":\"apps\","
        "\"namespace\":\"team\"}";
    const char *failed = "{\"level\":\"error\",\"ts\":\"2026-11-28T22:23:00.000Z\","
                         "\"msg\":\"reconciliation failed\",\"controller\":\"gitrepository\","
                         "\"controllerKind\":\"GitRepository\",\"name\":\"repo\",\"namespace\":"
                         "\"flux-system\",\"error\":\"auth\"}";
    const char *queued = "{\"level\":\"debug\",\"ts\":\"2026-11-28T22:22:02.404Z\","
                         "\"msg\":\"queued by a change\",\"controller\":\"kustomization\","
                         "\"object\":\"team/apps\"}";
    const char *agent = "{\"level\":\"info\",\"ts\":\"2026-11-28T22:22:02.187Z\","
                        "\"msg\":\"starting eddy controller\"}";

    ed_cli_log_filter team = {.ns = "team"};
    expect(applied, &team,
           "2026-11-28T22:22:03.440Z info Kustomization/apps.team - Applied revision: "
           "main@sha1:abc \n");
    /* "object" is not read (flux reads name and namespace only): shown with -A alone */
    expect(queued, &team, "");
    expect(failed, &team, "");     /* another namespace */
    expect(agent, &team, "");      /* about no object: only with -A */
    expect("panic: x", &team, ""); /* not an entry: only with -A and nothing else asked */

    ed_cli_log_filter all = {.ns = "flux-system", .all_namespaces = true};
    expect(failed, &all,
           "2026-11-28T22:23:00.000Z error GitRepository/repo.flux-system - reconciliation "
           "failed auth\n");
    expect(agent, &all, "2026-11-28T22:22:02.187Z info  - starting eddy controller \n");
    expect("panic: x", &all, "panic: x\n");
    expect(queued, &all, "2026-11-28T22:22:02.404Z debug  - queued by a change \n");

    ed_cli_log_filter kind = {.all_namespaces = true, .kind = "gitrepository"};
    expect(failed, &kind,
           "2026-11-28T22:23:00.000Z error GitRepository/repo.flux-system - reconciliation "
           "failed auth\n");
    expect(applied, &kind, "");
    expect(agent, &kind, "");
    expect("panic: x", &kind, "");

    ed_cli_log_filter name = {.all_namespaces = true, .name = "apps"};
    expect(queued, &name, "");
    expect(failed, &name, "");

    ed_cli_log_filter level = {.all_namespaces = true, .level = "error"};
    expect(failed, &level,
           "2026-11-28T22:23:00.000Z error GitRepository/repo.flux-system - reconciliation "
           "failed auth\n");
    expect(applied, &level, "");

    /* since: at the second (the entry at 22:22:03.440 is from 22:22:03 on) */
    ed_cli_log_filter since = {.all_namespaces = true,
                               .since = ed_time_parse_rfc3339("2026-11-28T22:22:03Z")};
    expect(applied, &since,
           "2026-11-28T22:22:03.440Z info Kustomization/apps.team - Applied revision: "
           "main@sha1:abc \n");
    expect(queued, &since, "");
    expect("{\"level\":\"info\",\"msg\":\"no time\"}", &since, "");
    expect("panic: x", &since, "");

    /* flux's reading: "reconciler kind" before controllerKind, the name and namespace
     * compared ignoring case, "/NAME." even without a namespace */
    const char *flux = "{\"level\":\"info\",\"ts\":\"T\",\"msg\":\"m\",\"controllerKind\":"
                       "\"Kustomization\",\"reconciler kind\":\"HelmRelease\",\"name\":\"Apps\","
                       "\"namespace\":\"Team\"}";
    expect(flux, &team, "T info HelmRelease/Apps.Team - m \n");
    ed_cli_log_filter upper = {.all_namespaces = true, .name = "APPS"};
    expect(flux, &upper, "T info HelmRelease/Apps.Team - m \n");
    expect("{\"level\":\"info\",\"ts\":\"T\",\"msg\":\"m\",\"controllerKind\":\"Bucket\","
           "\"name\":\"b\"}",
           &all, "T info Bucket/b. - m \n");
}

/* The ages `eddy events` prints, as Kubernetes' duration.HumanDuration. */
static void test_human_duration(void **state)
{
    (void)state;
    static const struct {
        int64_t s;
        const char *want;
    } cases[] = {
        {-5, "<invalid>"},
        {-1, "0s"},
        {0, "0s"},
        {119, "119s"},
        {120, "2m"},
        {125, "2m5s"},
        {599, "9m59s"},
        {600, "10m"},
        {179 * 60, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 60, "3h1m"},
        {8 * 3600 + 60, "8h"},
        {47 * 3600, "47h"},
        {48 * 3600, "2d"},
        {50 * 3600, "2d2h"},
        {8 * 86400 + 3600, "8d"},
        {730 * 86400, "2y"},
        {731 * 86400, "2y1d"},
        {8 * 365 * 86400 + 86400, "8y"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        ed_cli_human_duration(cases[i].s, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("%lld s: got %s, want %s", (long long)cases[i].s, out, cases[i].want);
    }
}

/* build/diff --recursive: a nested Kustomization's directory from --local-sources. */
static void test_local_source_dir(void **state)
{
    (void)state;
    ed_cli_list local = {.items = {"GitRepository/fleet/repo=/src/repo", "Bucket/b=/src/bucket",
                                   "OCIRepository/other/oci=/src/oci"},
                         .n = 3};
    static const struct {
        const char *ks;   /* the Kustomization, JSON */
        const char *want; /* the directory, or the error's start */
        int code;
    } cases[] = {
        /* the sourceRef's namespace defaults to the Kustomization's */
        {"{\"metadata\":{\"name\":\"apps\",\"namespace\":\"fleet\"},\"spec\":{\"path\":"
         "\"./apps\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}",
         "/src/repo/./apps", 0},
        {"{\"metadata\":{\"name\":\"x\",\"namespace\":\"fleet\"},\"spec\":{\"sourceRef\":"
         "{\"kind\":\"OCIRepository\",\"name\":\"oci\",\"namespace\":\"other\"}}}",
         "/src/oci/.", 0},
        /* neither namespace: Kind/name, as flux's String() of the reference */
        {"{\"metadata\":{\"name\":\"b\"},\"spec\":{\"path\":\"a/../b\",\"sourceRef\":"
         "{\"kind\":\"Bucket\",\"name\":\"b\"}}}",
         "/src/bucket/a/../b", 0},
        {"{\"metadata\":{\"name\":\"apps\",\"namespace\":\"team\"},\"spec\":{\"path\":"
         "\"./apps\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}",
         "cannot get local path for GitRepository/team/repo of kustomization apps", ED_ENOTFOUND},
        {"{\"metadata\":{\"name\":\"esc\",\"namespace\":\"fleet\"},\"spec\":{\"path\":"
         "\"./a/../../etc\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}",
         "Kustomization fleet/esc: spec.path './a/../../etc' climbs out of "
         "GitRepository/fleet/repo",
         ED_EINVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_doc_parse_json(cases[i].ks, strlen(cases[i].ks), &d, &err), 0);
        char *dir = ed_cli_local_source_dir(&local, ed_doc_root(d), &err);
        if (cases[i].code == 0) {
            if (!dir)
                fail_msg("case %zu: %s", i, err.msg);
            assert_string_equal(dir, cases[i].want);
        } else {
            assert_null(dir);
            assert_int_equal(err.code, cases[i].code);
            if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
                fail_msg("case %zu: got '%s'", i, err.msg);
        }
        free(dir);
        ed_doc_free(d);
    }
}

/* install's --version and --cluster-domain checks. */
static void test_install_checks(void **state)
{
    (void)state;
    const char *plus = strchr(ED_CLI_VERSION, '+');
    char own[64], vown[66];
    snprintf(own, sizeof(own), "%.*s",
             plus ? (int)(plus - ED_CLI_VERSION) : (int)strlen(ED_CLI_VERSION), ED_CLI_VERSION);
    snprintf(vown, sizeof(vown), "v%s", own);
    assert_true(ed_cli_install_version_ok(NULL));
    assert_true(ed_cli_install_version_ok(""));
    assert_true(ed_cli_install_version_ok("latest"));
    assert_true(ed_cli_install_version_ok(own));
    assert_true(ed_cli_install_version_ok(vown));
    assert_false(ed_cli_install_version_ok("v99.0.0"));
    assert_false(ed_cli_install_version_ok("vv0.1.0"));
    vown[strlen(vown) - 1] = '\0'; /* a prefix of the version is another version */
    assert_false(ed_cli_install_version_ok(vown));
    assert_true(ed_cli_dns_name("cluster.local"));
    assert_true(ed_cli_dns_name("corp-1.internal"));
    assert_true(ed_cli_dns_name("local"));
    assert_false(ed_cli_dns_name(""));
    assert_false(ed_cli_dns_name("Cluster.local"));
    assert_false(ed_cli_dns_name("a..b"));
    assert_false(ed_cli_dns_name(".local"));
    assert_false(ed_cli_dns_name("local."));
    assert_false(ed_cli_dns_name("-a.local"));
    assert_false(ed_cli_dns_name("a-.local"));
    assert_false(ed_cli_dns_name("a_b.local"));
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_false(ed_cli_dns_name(long_label));
    long_label[63] = '\0';
    assert_true(ed_cli_dns_name(long_label));
}

/* The bytes written to the temporary file behind fd, which is then closed. */
static char *slurp(FILE *f)
{
    static char buf[512];
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

static void test_progress_on_stderr(void **state)
{
    (void)state;
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    printf("data 1\n");
    ed_cli_action("applying %s", "x");
    ed_cli_generate("generating");
    ed_cli_waiting("waiting");
    ed_cli_success("done");
    ed_cli_warning("careful");
    ed_cli_failure("failed");
    printf("data 2\n");
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    char *o = slurp(out), *e = slurp(err);
    assert_string_equal(o, "data 1\ndata 2\n");
    assert_string_equal(
        e, "► applying x\n✚ generating\n◎ waiting\n✔ done\n⚠️ careful\n✗ failed\n");
    free(o);
    free(e);
}

/* pflag's StringSlice (migrate --extensions): empty items kept, an empty value none, and the
 * flag known as given either way. */
static void test_parse_slice(void **state)
{
    (void)state;
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    ed_cli_list ext = {0}, unset = {0};
    const ed_cli_flag flags[] = {
        {"extensions", 'e', ED_CLI_FLAG_SLICE, &ext},
        {"other", 0, ED_CLI_FLAG_SLICE, &unset},
        {NULL, 0, 0, NULL},
    };
    char *argv[] = {"migrate", "-e", ".yml,", "--extensions=", "--extensions", ".tpl"};
    assert_int_equal(ed_cli_parse_flags(6, argv, flags, &g), 0);
    assert_true(ext.given);
    assert_int_equal(ext.n, 3);
    assert_string_equal(ext.items[0], ".yml");
    assert_string_equal(ext.items[1], "");
    assert_string_equal(ext.items[2], ".tpl");
    assert_false(unset.given);
    ed_cli_list empty = {0};
    const ed_cli_flag only[] = {{"extensions", 'e', ED_CLI_FLAG_SLICE, &empty}, {NULL, 0, 0, NULL}};
    char *argv2[] = {"migrate", "--extensions="};
    assert_int_equal(ed_cli_parse_flags(2, argv2, only, &g), 0);
    assert_true(empty.given);
    assert_int_equal(empty.n, 0);
}

/* flux migrate -f's line reading: which apiVersion lines it upgrades, and its warnings. */
static void test_migrate_detect(void **state)
{
    (void)state;
    const char text[] = "# a Kustomization\n"
                        "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2 # old\n"
                        "kind: Kustomization\n"
                        "spec:\n"
                        "  sourceRef:\n"
                        "    apiVersion: source.toolkit.fluxcd.io/v1beta2\n"
                        "    kind: GitRepository\n"
                        "---\n"
                        "apiVersion: apps/v1\n"
                        "kind: Deployment\n"
                        "---\n"
                        "apiVersion: image.toolkit.fluxcd.io/v1/v2\n"
                        "kind: ImagePolicy\n"
                        "---\n"
                        "apiVersion: \"helm.toolkit.fluxcd.io/v2beta1\"\n"
                        "kind: HelmRelease\n"
                        "---\n"
                        "apiVersion:  notification.toolkit.fluxcd.io/v1beta2  \r\n"
                        "kind: Alert\r\n"
                        "---\n"
                        "apiVersion: image.toolkit.fluxcd.io/v1beta2\n"
                        "kind: ImageRepository\n"
                        "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                        "kind: Kustomization\n"
                        "apiVersion: source.toolkit.fluxcd.io/v1beta1\n";
    ed_cli_migrate_upgrades u;
    ed_buf warnings = ED_BUF_INIT(1 << 20);
    ed_cli_migrate_detect("f.yaml", text, sizeof(text) - 1, ed_cli_migrate_latest(NULL), &u,
                          &warnings);
    assert_int_equal(u.n, 4);
    assert_int_equal(u.items[0].line, 1);
    assert_string_equal(u.items[0].kind, "Kustomization");
    assert_string_equal(u.items[0].old_version, "v1beta2");
    assert_string_equal(u.items[0].new_version, "v1");
    assert_int_equal(u.items[1].line, 5);
    assert_string_equal(u.items[1].kind, "GitRepository");
    /* "Alert\r" trimmed as Go's TrimSpace trims; Alert's latest is v1beta3 */
    assert_int_equal(u.items[2].line, 17);
    assert_string_equal(u.items[2].kind, "Alert");
    assert_string_equal(u.items[2].new_version, "v1beta3");
    assert_int_equal(u.items[3].line, 20);
    assert_string_equal(u.items[3].kind, "ImageRepository");
    assert_string_equal(u.items[3].new_version, "v1");
    assert_string_equal(
        warnings.data,
        "f.yaml:12: unexpected GroupVersion string: image.toolkit.fluxcd.io/v1/v2\n");
    ed_cli_migrate_upgrades_free(&u);
    ed_buf_free(&warnings);

    /* Flux 2.6's table keeps the image kinds at v1beta2. */
    const char image[] = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\n"
                         "apiVersion: image.toolkit.fluxcd.io/v1beta1\nkind: ImagePolicy\n";
    ed_buf w2 = ED_BUF_INIT(1 << 20);
    ed_cli_migrate_detect("i.yaml", image, sizeof(image) - 1, ed_cli_migrate_latest("2.6"), &u,
                          &w2);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.items[0].line, 2);
    assert_string_equal(u.items[0].new_version, "v1beta2");
    assert_null(w2.data);
    ed_cli_migrate_upgrades_free(&u);
}

/* The rewrite changes the upgraded versions and keeps every other byte. */
static void test_migrate_rewrite(void **state)
{
    (void)state;
    const char text[] = "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2 # v1beta2\r\n"
                        "kind: Kustomization\r\n"
                        "metadata: {name: a}  # trailing\n"
                        "---\n"
                        "  apiVersion: source.toolkit.fluxcd.io/v1beta1\n"
                        "  kind: GitRepository";
    ed_cli_migrate_upgrades u;
    ed_buf warnings = ED_BUF_INIT(1 << 20);
    ed_cli_migrate_detect("f.yaml", text, sizeof(text) - 1, ed_cli_migrate_latest("2.9"), &u,
                          &warnings);
    assert_int_equal(u.n, 2);
    ed_buf out = ED_BUF_INIT(1 << 20);
    assert_int_equal(ed_cli_migrate_rewrite(text, sizeof(text) - 1, &u, &out), 0);
    assert_string_equal(out.data, "apiVersion: kustomize.toolkit.fluxcd.io/v1 # v1beta2\r\n"
                                  "kind: Kustomization\r\n"
                                  "metadata: {name: a}  # trailing\n"
                                  "---\n"
                                  "  apiVersion: source.toolkit.fluxcd.io/v1\n"
                                  "  kind: GitRepository");
    ed_cli_migrate_upgrades_free(&u);
    ed_buf_free(&out);

    /* Nothing to upgrade: the same bytes, a final newline included. */
    const char same[] = "apiVersion: v1\nkind: ConfigMap\n";
    ed_cli_migrate_detect("c.yaml", same, sizeof(same) - 1, ed_cli_migrate_latest(NULL), &u,
                          &warnings);
    assert_int_equal(u.n, 0);
    assert_int_equal(ed_cli_migrate_rewrite(same, sizeof(same) - 1, &u, &out), 0);
    assert_string_equal(out.data, same);
    ed_buf_free(&out);
    ed_buf_free(&warnings);
}

/* flux migrate --version: the four minor versions it supports, and no other. */
static void test_migrate_versions(void **state)
{
    (void)state;
    assert_ptr_equal(ed_cli_migrate_latest(NULL), ed_cli_migrate_latest("2.9"));
    assert_ptr_equal(ed_cli_migrate_latest(""), ed_cli_migrate_latest("2.9"));
    assert_non_null(ed_cli_migrate_latest("2.7"));
    assert_non_null(ed_cli_migrate_latest("2.6"));
    assert_null(ed_cli_migrate_latest("2.5"));
    assert_null(ed_cli_migrate_latest("2.9.5"));
    size_t n = 0;
    for (const ed_cli_api_latest *l = ed_cli_migrate_latest("2.8"); l->kind; l++)
        n++;
    assert_int_equal(n, 15);
}

/* create secret notation's check of the trust policy: each file's result as the real flux
 * 2.9.5 printed it (Go's JSON errors, then notation-go's Validate), NULL for a valid one. */
static void test_trust_policy(void **state)
{
    (void)state;
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"[]", "failed to unmarshal trust policy tp.json: json: cannot unmarshal array into Go "
               "value of type trustpolicy.Document"},
        {"{\"trustPolicies\": [3]}",
         "failed to unmarshal trust policy tp.json: json: cannot unmarshal number into Go struct "
         "field Document.trustPolicies of type trustpolicy.TrustPolicy"},
        {"{\"trustPolicies\": [{\"registryScopes\": [1]}]}",
         "failed to unmarshal trust policy tp.json: json: cannot unmarshal number into Go struct "
         "field TrustPolicy.trustPolicies.registryScopes of type string"},
        {"{\"trustPolicies\": [{\"signatureVerification\": {\"override\": {\"expiry\": 1}}}]}",
         "failed to unmarshal trust policy tp.json: json: cannot unmarshal number into Go struct "
         "field SignatureVerification.trustPolicies.signatureVerification.override of type "
         "trustpolicy.ValidationAction"},
        {"{\"trustPolicies\": [{\"signatureVerification\": {\"override\": []}}]}",
         "failed to unmarshal trust policy tp.json: json: cannot unmarshal array into Go struct "
         "field SignatureVerification.trustPolicies.signatureVerification.override of type "
         "map[trustpolicy.ValidationType]trustpolicy.ValidationAction"},
        {"{\"VERSION\": \"1.0\", \"trustPolicies\": null}",
         "invalid trust policy: trust policy document can not have zero trust policy statements"},
        {"null", "invalid trust policy: trust policy document has empty version, version must be "
                 "specified"},
        {"{\"a\":tru}", "failed to unmarshal trust policy tp.json: invalid character '}' in "
                        "literal true (expecting 'e')"},
        {"{\"a\":1.}", "failed to unmarshal trust policy tp.json: invalid character '}' after "
                       "decimal point in numeric literal"},
        {"{\"a\":\"\\x\"}",
         "failed to unmarshal trust policy tp.json: invalid character 'x' in string escape code"},
        {"{\"a\":\"\\u12g4\"}", "failed to unmarshal trust policy tp.json: invalid character 'g' "
                                "in \\u hexadecimal character escape"},
        {"[1 2]",
         "failed to unmarshal trust policy tp.json: invalid character '2' after array element"},
        {"{\"a\":\"", "failed to unmarshal trust policy tp.json: unexpected end of JSON input"},
        {"{\"a\":nul}", "failed to unmarshal trust policy tp.json: invalid character '}' in "
                        "literal null (expecting 'l')"},
        {"{\"a\":fals}", "failed to unmarshal trust policy tp.json: invalid character '}' in "
                         "literal false (expecting 'e')"},
        {"{\"a\":1,}", "failed to unmarshal trust policy tp.json: invalid character '}' looking "
                       "for beginning of object key string"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"*\"],"
         "\"signatureVerification\":{\"level\":\"strict\"}}],\"trustPolicies\":[]}",
         "invalid trust policy: trust policy document can not have zero trust policy statements"},
        {"{\"a\":1}\x01"
         "",
         "failed to unmarshal trust policy tp.json: invalid character '\\x01' after top-level "
         "value"},
        {"{\"a\":\"\x80"
         "\"}",
         "invalid trust policy: trust policy document has empty version, version must be "
         "specified"},
        {"{\"a\":\"\\ud800\"}", "invalid trust policy: trust policy document has empty version, "
                                "version must be specified"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=WA, O=flux\"]}]}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, O=flux\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: C=US, O=flux\" with invalid identity value: distinguished name (DN) \" "
         "C=US, O=flux\" has no mandatory RDN attribute for \"ST\", it must contain 'C', 'ST' or "
         "'S', and 'O' RDN attributes at a minimum"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US+ST=WA, O=flux\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: C=US+ST=WA, O=flux\" with invalid identity value: distinguished name "
         "(DN) \" C=US+ST=WA, O=flux\" has multi-valued RDN attributes, remove multi-valued RDN "
         "attributes as they are not supported"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, C=UK, ST=WA, O=flux\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: C=US, C=UK, ST=WA, O=flux\" with invalid identity value: distinguished "
         "name (DN) \" C=US, C=UK, ST=WA, O=flux\" has duplicate RDN attribute for \"C\", DN can "
         "only have unique RDN attributes"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST, O=flux\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: C=US, ST, O=flux\" with invalid identity value: parsing distinguished "
         "name (DN) \" C=US, ST, O=flux\" failed with err: incomplete type, value pair. A valid DN "
         "must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 "
         "standard"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=WA, O=flux, X\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: C=US, ST=WA, O=flux, X\" with invalid identity value: parsing "
         "distinguished name (DN) \" C=US, ST=WA, O=flux, X\" failed with err: DN ended with "
         "incomplete type, value pair. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN "
         "attributes at a minimum, and follow RFC 4514 standard"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=W\\\\\\\\zz, O=flux\"]}]}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=WA, O=a\\\\\\\\\"]}]}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject:C=#1234\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject:C=#1234\" with invalid identity value: unsupported distinguished name "
         "(DN) \"C=#1234\": notation does not support x509.subject identities containing \"=#\""},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=WA, O=flux\",\"x509.subject: C=US, "
         "ST=WA, O=flux, CN=x\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has overlapping x509 "
         "trustedIdentities, \"x509.subject: C=US, ST=WA, O=flux\" overlaps with \"x509.subject: "
         "C=US, ST=WA, O=flux, CN=x\""},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"*\",\"x509.subject: C=US, ST=WA, O=flux\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" uses a wildcard trusted "
         "identity '*', a wildcard identity cannot be used in conjunction with other values"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"nosep\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"nosep\" missing separator"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject:\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject:\" without an identity value"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: \"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: \" with invalid identity value: distinguished name (DN) \" \" has no "
         "mandatory RDN attribute for \"C\", it must contain 'C', 'ST' or 'S', and 'O' RDN "
         "attributes at a minimum"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: C=US, ST=W\\\\\\\\4g, O=x\"]}]}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"ghcr.io/a/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:s\"],"
         "\"trustedIdentities\":[\"x509.subject: =US, ST=WA, O=x\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"p\" has trusted identity "
         "\"x509.subject: =US, ST=WA, O=x\" with invalid identity value: parsing distinguished "
         "name (DN) \" =US, ST=WA, O=x\" failed with err: incomplete type, value pair. A valid DN "
         "must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 "
         "standard"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"*\",\"x/"
         "y\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: trust policy statement \"a\" uses wildcard registry scope '*', a "
         "wildcard scope cannot be used in conjunction with other scope values"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"x\"],"
         "\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: registry scope \"x\" is not valid, make sure it is a fully "
         "qualified repository without the scheme, protocol or tag. For example "
         "domain.com/my/repository or a local scope like local/myOCILayout"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"x/"
         "*\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: registry scope \"x/*\" with wild card(s) is not valid, make sure "
         "it is a fully qualified repository without the scheme, protocol or tag. For example "
         "domain.com/my/repository or a local scope like local/myOCILayout"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"Ghcr.io:"
         "5000/a-b/c__d.e\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"ghcr.io/"
         "A\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: registry scope \"ghcr.io/A\" is not valid, make sure it is a fully "
         "qualified repository without the scheme, protocol or tag. For example "
         "domain.com/my/repository or a local scope like local/myOCILayout"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"skip\"}},{\"name\":\"b\",\"registryScopes\":["
         "\"a.io/b\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: registry scope \"a.io/b\" is present in multiple trust policy "
         "statements, one registry scope value can only be associated with one statement"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"skip\"}},{\"name\":\"a\",\"registryScopes\":["
         "\"a.io/c\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: multiple trust policy statements use the same name \"a\", "
         "statement names must be unique"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: trust policy: a trust policy statement is missing a name, every "
         "statement requires a name"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"none\"}}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: invalid signature verification level \"none\""},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"skip\",\"override\":{\"expiry\":\"log\"}}}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: signature verification level \"skip\" can't be used to customize "
         "signature verification"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"bogus\":\"log\"}},"
         "\"trustStores\":[\"ca:x\"],\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: verification type \"bogus\" in custom signature verification is "
         "not supported, supported values are [\"integrity\" \"authenticity\" "
         "\"authenticTimestamp\" \"expiry\" \"revocation\"]"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"expiry\":\"nah\"}},"
         "\"trustStores\":[\"ca:x\"],\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: verification action \"nah\" in custom signature verification is "
         "not supported, supported values are [\"enforce\" \"log\" \"skip\"]"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"integrity\":\"log\"}"
         "},\"trustStores\":[\"ca:x\"],\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: \"integrity\" verification can not be overridden in custom "
         "signature verification"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"expiry\":\"skip\"}},"
         "\"trustStores\":[\"ca:x\"],\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: \"expiry\" verification can not be skipped in custom signature "
         "verification"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"revocation\":"
         "\"skip\"},\"verifyTimestamp\":\"never\"},\"trustStores\":[\"ca:x\"],"
         "\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has invalid "
         "signatureVerification: verifyTimestamp must be \"always\" or \"afterCertExpiry\", but "
         "got \"never\""},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"audit\",\"verifyTimestamp\":\"always\"},"
         "\"trustStores\":[\"ca:x\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" is either missing trust "
         "stores or trusted identities, both must be specified"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"audit\"},\"trustStores\":[\"cax\"],"
         "\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" has malformed trust "
         "store value \"cax\". The required format is <TrustStoreType>:<TrustStoreName>"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"audit\"},\"trustStores\":[\"bad:x\"],"
         "\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" uses an unsupported "
         "trust store type \"bad\" in trust store value \"bad:x\""},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"audit\"},\"trustStores\":[\"tsa:x/"
         "y\"],\"trustedIdentities\":[\"*\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" uses an unsupported "
         "trust store name \"x/y\" in trust store value \"tsa:x/y\". Named store name needs to "
         "follow [a-zA-Z0-9_.-]+ format"},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "b\"],\"signatureVerification\":{\"level\":\"skip\"},\"trustStores\":[\"tsa:x\"]}]}",
         "invalid trust policy: trust policy: trust policy statement \"a\" is set to skip "
         "signature verification but configured with trust stores and/or trusted identities, "
         "remove them if signature verification needs to be skipped"},
        {"{\"version\":\"2.0\",\"trustPolicies\":[]}",
         "invalid trust policy: trust policy document uses unsupported version \"2.0\""},
        {"{\"Version\":\"1.0\",\"TRUSTPOLICIES\":[{\"NAME\":\"a\",\"registryscopes\":[\"*\"],"
         "\"signatureVerification\":{\"LEVEL\":\"skip\"}}]}",
         NULL},
        {"{\"version\":\"1.0\",\"version\":null,\"trustPolicies\":[{\"name\":\"a\","
         "\"registryScopes\":[\"*\"],\"signatureVerification\":{\"level\":\"skip\"}}],\"x\":{\"y\":"
         "[1,{\"z\":null}]}}",
         NULL},
        {"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"a.io/"
         "a\",\"a.io/a\"],\"signatureVerification\":{\"level\":\"skip\"}}]}",
         "invalid trust policy: registry scope \"a.io/a\" is present in multiple trust policy "
         "statements, one registry scope value can only be associated with one statement"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *error = NULL;
        int rc = ed_cli_trust_policy_check(cases[i].json, strlen(cases[i].json), "tp.json", &error);
        if (!cases[i].error) {
            assert_int_equal(rc, 0);
            assert_null(error);
        } else {
            assert_int_equal(rc, 2);
            assert_non_null(error);
            if (strcmp(error, cases[i].error) != 0)
                fail_msg("case %zu: %s\nwant: %s", i, error, cases[i].error);
        }
        free(error);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_flags),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_shorthands),
        cmocka_unit_test(test_truncate_hex),
        cmocka_unit_test(test_namespace_default),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_ready_state),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_human_duration),
        cmocka_unit_test(test_local_source_dir),
        cmocka_unit_test(test_install_checks),
        cmocka_unit_test(test_progress_on_stderr),
        cmocka_unit_test(test_parse_slice),
        cmocka_unit_test(test_migrate_detect),
        cmocka_unit_test(test_migrate_rewrite),
        cmocka_unit_test(test_migrate_versions),
        cmocka_unit_test(test_trust_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
