/*
 * `eddy get`: flux's tables of Flux objects. `get sources git`, `get kustomizations`,
 * `get images repository|policy|update`, `get images all`, `get sources all` and `get all`,
 * with flux's columns (NAME, REVISION, SUSPENDED, READY, MESSAGE for sources and
 * Kustomizations; LAST SCAN / IMAGE, TAG / LAST RUN for the image kinds; NAMESPACE first with
 * -A), --label-selector (sent to the API server), --status-selector (a condition type=status
 * or type!=status, case-insensitive, as flux matches it, and as flux refused in another form
 * only where there are objects to match), --no-header and --watch (a row per change, as the
 * watch reports it, until --timeout; the header goes with the first row, as flux prints it).
 *
 * `eddy stats`, as flux stats: per kind, how many objects run, fail (Ready False) or are
 * suspended, and the storage their artifacts take.
 */
#include "cli_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#define NCOLS 6

struct get_opts {
    ed_cli_global g;
    bool all_namespaces;
    bool watch;
    bool no_header;
    const char *status_selector;
    const char *label_selector;
    const char *name;
    bool prefix_kind; /* get all: "gitrepository/NAME" */
};

static void header_of(const ed_cli_kind *k, const char **h)
{
    h[0] = "NAMESPACE";
    h[1] = "NAME";
    h[2] = "REVISION";
    h[3] = "SUSPENDED";
    h[4] = "READY";
    h[5] = "MESSAGE";
    if (k == &ed_cli_imagerepository)
        h[2] = "LAST SCAN";
    else if (k == &ed_cli_imageupdate)
        h[2] = "LAST RUN";
    else if (k == &ed_cli_imagepolicy) {
        h[2] = "IMAGE";
        h[3] = "TAG";
    }
}

/* True when --status-selector is absent or of the form TYPE=STATUS or TYPE!=STATUS. */
static bool selector_valid(const char *selector)
{
    return !selector || strchr(selector, '=');
}

/* True when obj passes --status-selector TYPE=STATUS (the last condition of TYPE, case
 * folded, has STATUS) or TYPE!=STATUS (it has not, or there is none), as flux's; a selector
 * that is not valid (selector_valid) passes nothing. */
static bool status_matches(const ed_node *o, const char *selector)
{
    if (!selector)
        return true;
    const char * not_eq = strstr(selector, "!=");
    const char *sep = not_eq ? not_eq : strchr(selector, '=');
    if (!sep)
        return false;
    const char *status = NULL;
    ed_node *conds = ed_node_path(o, "/status/conditions");
    for (size_t i = 0; i < ed_node_len(conds); i++) {
        const char *t = ed_node_path_str(ed_node_at(conds, i), "/type");
        const char *s = ed_node_path_str(ed_node_at(conds, i), "/status");
        if (t && s && strlen(t) == (size_t)(sep - selector) &&
            strncasecmp(t, selector, (size_t)(sep - selector)) == 0)
            status = s;
    }
    bool match = status && strcasecmp(status, sep + (not_eq ? 2 : 1)) == 0;
    return not_eq ? !match : match;
}

/* The MESSAGE cell of an object with eddy's Drifted condition: the Ready message, then the
 * drift, with "reverting at <time>" told as "reverting in 4m12s". A new string. */
static char *with_drift(const char *ready_msg, const char *drift)
{
    ed_buf b = ED_BUF_INIT(64 * 1024);
    ed_buf_printf(&b, "%s%s", ready_msg && *ready_msg ? ready_msg : "",
                  ready_msg && *ready_msg ? "; " : "");
    const char *at = strstr(drift, "reverting at ");
    time_t when = at ? ed_time_parse_rfc3339(at + strlen("reverting at ")) : (time_t)-1;
    if (when != (time_t)-1) {
        int64_t left = ((int64_t)when - (int64_t)time(NULL)) * 1000;
        char d[32];
        ed_duration_string((left > 0 ? left : 0) * ED_NS_PER_MS, d);
        ed_buf_printf(&b, "%.*sreverting in %s", (int)(at - drift), drift, d);
    } else {
        ed_buf_append_str(&b, drift);
    }
    char *s = ed_xstrdup(b.data);
    ed_buf_free(&b);
    return s;
}

/* Flux's Bucket: eddy's agent does not reconcile it, but flux's get all and get sources all
 * list it (between OCI and Git) when its CRD is installed, as eddy's do. */
static const ed_cli_kind bucket = {
    "source.toolkit.fluxcd.io/v1", "Bucket", "source bucket", "buckets.source.toolkit.fluxcd.io",
    "source-controller",           true};

/* The cells of obj's row; name is the NAME cell (the caller's buffer). owned[0..1] receive
 * strings the caller frees (or NULL). As flux: an object without a Ready condition is "False",
 * "waiting to be reconciled"; the commits and digests in a source's or Kustomization's
 * REVISION and MESSAGE are cut to 8 digits. */
static void row_of(const ed_cli_kind *k, const ed_node *o, const char *name, const char **row,
                   char **owned)
{
    owned[0] = owned[1] = NULL;
    bool suspended = false;
    ed_node_bool(ed_node_path(o, "/spec/suspend"), &suspended);
    const char *ready = ed_cli_cond(o, "Ready", "/status");
    const char *msg = ed_cli_cond(o, "Ready", "/message");
    if (!ready) {
        ready = "False";
        msg = "waiting to be reconciled";
    }
    row[0] = ed_node_path_str(o, "/metadata/namespace");
    row[1] = name;
    row[2] =
        k == &bucket ? ed_node_path_str(o, "/status/artifact/revision") : ed_cli_revision(k, o);
    if (!row[2])
        row[2] = "";
    row[3] = suspended ? "True" : "False";
    row[4] = ready;
    row[5] = msg ? msg : "";
    const char *drifted = ed_cli_cond(o, "Drifted", "/status");
    const char *drift = ed_cli_cond(o, "Drifted", "/message");
    if (drifted && strcmp(drifted, "True") == 0 && drift)
        row[5] = owned[0] = with_drift(msg, drift);
    if (k == &ed_cli_gitrepository || k == &ed_cli_ocirepository || k == &bucket ||
        k == &ed_cli_kustomization) {
        char *m = ed_cli_truncate_hex(row[5]);
        free(owned[0]);
        row[5] = owned[0] = m;
        row[2] = owned[1] = ed_cli_truncate_hex(row[2]);
    }
    if (k == &ed_cli_imagepolicy) {
        const char *img = ed_node_path_str(o, "/status/latestRef/name");
        row[2] = img ? img : "";
        row[3] = ed_cli_revision(k, o);
    }
}

static void add_row(ed_cli_table *t, const ed_cli_kind *k, const ed_node *o, bool prefix_kind)
{
    const char *name = ed_node_path_str(o, "/metadata/name");
    char *shown = prefix_kind ? ed_xasprintf("%s/%s", k->kind, name ? name : "")
                              : ed_xstrdup(name ? name : "");
    if (prefix_kind)
        for (char *p = shown; *p != '/'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const char *row[NCOLS];
    char *owned[2];
    row_of(k, o, shown, row, owned);
    ed_cli_table_row(t, row);
    free(owned[0]);
    free(owned[1]);
    free(shown);
}

/* List the objects of k the options ask for into a table (header row first, then the rows
 * --status-selector keeps); *listed is how many objects the list had, *kept how many rows.
 * Returns 0, or the list's error (ED_ENOTFOUND when the kind is not served), or ED_EINVALID
 * with flux's message when there are objects and --status-selector is not valid. */
static int table_of(ed_kube *kube, const ed_cli_kind *k, const struct get_opts *o,
                    ed_cli_table **out, size_t *listed, size_t *kept, ed_err *err)
{
    char *field = o->name ? ed_xasprintf("metadata.name=%s", o->name) : NULL;
    ed_kube_opts lo = {.label_selector = o->label_selector, .field_selector = field};
    ed_doc *list = NULL;
    int rc = ed_kube_list(kube, k->api_version, k->kind, o->all_namespaces ? NULL : o->g.ns, &lo,
                          &list, err);
    free(field);
    if (rc)
        return rc;
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    *listed = ed_node_len(items);
    *kept = 0;
    if (*listed > 0 && !selector_valid(o->status_selector)) {
        ed_doc_free(list);
        return ed_err_set(err, ED_EINVALID,
                          "expected status selector in type=status or type!=status format, "
                          "but found: %s",
                          o->status_selector);
    }
    ed_cli_table *t = ed_cli_table_new(NCOLS);
    const char *head[NCOLS];
    header_of(k, head);
    ed_cli_table_head(t, head);
    for (size_t i = 0; i < ed_node_len(items); i++) {
        ed_node *item = ed_node_at(items, i);
        if (status_matches(item, o->status_selector)) {
            add_row(t, k, item, o->prefix_kind);
            (*kept)++;
        }
    }
    ed_doc_free(list);
    *out = t;
    return 0;
}

/* flux's words for where it looked: "\"apps\"" or, with -A, "any". */
static const char *where(const struct get_opts *o, char *buf, size_t cap)
{
    if (o->all_namespaces)
        return "any";
    snprintf(buf, cap, "\"%s\"", o->g.ns);
    return buf;
}

/* An empty list, as flux says it: the named object, or any object of the kind, not found. */
static void not_found(const ed_cli_kind *k, const struct get_opts *o)
{
    char buf[300];
    if (o->name)
        ed_cli_failure("%s object '%s' not found in %s namespace", k->kind, o->name,
                       where(o, buf, sizeof(buf)));
    else
        ed_cli_failure("no %s objects found in %s namespace", k->kind, where(o, buf, sizeof(buf)));
}

/* As flux get: nothing listed fails (exit 1); what --status-selector leaves out only shortens
 * the table, down to its header. */
static int print_one(ed_kube *kube, const ed_cli_kind *k, const struct get_opts *o)
{
    ed_cli_table *t = NULL;
    size_t listed = 0, kept = 0;
    ed_err err = ED_ERR_INIT;
    if (table_of(kube, k, o, &t, &listed, &kept, &err) != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    int rc = 0;
    if (listed == 0) {
        not_found(k, o);
        rc = 1;
    } else {
        /* The header is row 0, left out with --no-header. */
        ed_cli_table_print(t, stdout, o->no_header ? 1 : 0, o->all_namespaces ? 0 : 1);
    }
    ed_cli_table_free(t);
    return rc;
}

/* get all (or sources all, images all): as flux, a table per kind that has objects that
 * --status-selector keeps, each followed by a blank line, in flux's order (sources, image
 * kinds, Kustomizations). A kind the cluster does not serve, or without such objects, is left
 * out; a NAME missing from a kind, or a selector flux cannot read, is said for that kind, and
 * is no failure. */
static int print_all(ed_kube *kube, const ed_cli_kind *const *kinds, struct get_opts *o)
{
    o->prefix_kind = true;
    for (int i = 0; kinds[i]; i++) {
        ed_cli_table *t = NULL;
        size_t listed = 0, kept = 0;
        ed_err err = ED_ERR_INIT;
        int rc = table_of(kube, kinds[i], o, &t, &listed, &kept, &err);
        if (rc == ED_ENOTFOUND)
            continue;
        if (rc == ED_EINVALID) {
            ed_cli_failure("%s", err.msg);
            continue;
        }
        if (rc) {
            ed_cli_api_failure(&err);
            return 1;
        }
        if (kept > 0) {
            ed_cli_table_print(t, stdout, o->no_header ? 1 : 0, o->all_namespaces ? 0 : 1);
            putchar('\n');
        } else if (o->name) {
            not_found(kinds[i], o);
        }
        ed_cli_table_free(t);
    }
    return 0;
}

/* ---- --watch ---- */

struct watch_ctx {
    const ed_cli_kind *k;
    const struct get_opts *o;
    bool printed; /* a row was printed: the header went with the first */
};

/* As flux's watch: each event a table of its own, the first one with the header (aligned to
 * that first row), the next ones without. */
static int on_event(ed_kube_event_type type, const ed_node *obj, void *user)
{
    struct watch_ctx *w = user;
    if (type == ED_KUBE_BOOKMARK || !status_matches(obj, w->o->status_selector))
        return 0;
    const char *name = ed_node_path_str(obj, "/metadata/name");
    if (w->o->name && (!name || strcmp(name, w->o->name) != 0))
        return 0;
    ed_cli_table *t = ed_cli_table_new(NCOLS);
    if (!w->printed && !w->o->no_header) {
        const char *head[NCOLS];
        header_of(w->k, head);
        ed_cli_table_head(t, head);
    }
    add_row(t, w->k, obj, false);
    ed_cli_table_print(t, stdout, 0, w->o->all_namespaces ? 0 : 1);
    ed_cli_table_free(t);
    w->printed = true;
    fflush(stdout);
    return 0;
}

static int watch(ed_kube *kube, const ed_cli_kind *k, const struct get_opts *o)
{
    struct watch_ctx w = {k, o, false};
    int64_t deadline = ed_time_mono_ms() + o->g.timeout_ms;
    /* The server ends a watch now and then: watch again (the state is sent anew) until the
     * --timeout is over. */
    while (ed_time_mono_ms() < deadline) {
        int left = (int)((deadline - ed_time_mono_ms() + 999) / 1000);
        ed_kube_watch_opts wo = {.label_selector = o->label_selector, .timeout_seconds = left};
        ed_err err = ED_ERR_INIT;
        if (ed_kube_watch(kube, k->api_version, k->kind, o->all_namespaces ? NULL : o->g.ns, &wo,
                          on_event, &w, &err) != 0) {
            ed_cli_api_failure(&err);
            return 1;
        }
    }
    return 0;
}

/* ---- the verb ---- */

/* flux get all's order: sources all (OCI, Bucket, Git, as flux's), images all, then the
 * Kustomizations. */
static const ed_cli_kind *const all_kinds[] = {&ed_cli_ocirepository, &bucket,
                                               &ed_cli_gitrepository, &ed_cli_imagerepository,
                                               &ed_cli_imagepolicy,   &ed_cli_imageupdate,
                                               &ed_cli_kustomization, NULL};
static const ed_cli_kind *const image_kinds[] = {&ed_cli_imagerepository, &ed_cli_imagepolicy,
                                                 &ed_cli_imageupdate, NULL};
static const ed_cli_kind *const source_kinds[] = {&ed_cli_ocirepository, &bucket,
                                                  &ed_cli_gitrepository, NULL};

/* "all", "sources all", "images all": the kinds; NULL otherwise. */
static const ed_cli_kind *const *group_of(char **pos, int npos, int *used)
{
    if (npos >= 1 && strcmp(pos[0], "all") == 0) {
        *used = 1;
        return all_kinds;
    }
    if (npos >= 2 && strcmp(pos[1], "all") == 0) {
        *used = 2;
        if (strcmp(pos[0], "images") == 0 || strcmp(pos[0], "image") == 0)
            return image_kinds;
        if (strcmp(pos[0], "sources") == 0 || strcmp(pos[0], "source") == 0)
            return source_kinds;
    }
    return NULL;
}

int ed_cli_get(int argc, char **argv)
{
    struct get_opts o = {.g = ED_CLI_GLOBAL_INIT};
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &o.all_namespaces},
        {"watch", 'w', ED_CLI_FLAG_BOOL, &o.watch},
        {"no-header", 0, ED_CLI_FLAG_BOOL, &o.no_header},
        {"status-selector", 0, ED_CLI_FLAG_STR, &o.status_selector},
        {"label-selector", 'l', ED_CLI_FLAG_STR, &o.label_selector},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &o.g, pos, &npos);
    const ed_cli_kind *k = NULL;
    const ed_cli_kind *const *group = NULL;
    if (!rc) {
        group = group_of(pos, npos, &used);
        k = group ? NULL : ed_cli_kind_parse(pos, npos, &used);
        if (!group && !k) {
            ed_cli_failure("%s: unknown kind; eddy get (sources git|oci | kustomizations | images "
                           "repository|policy|update | images all | all) [NAME]",
                           npos ? pos[0] : "missing kind");
            rc = 2;
        } else if (npos > used + 1) {
            ed_cli_failure("unexpected argument '%s'", pos[used + 1]);
            rc = 2;
        }
    }
    if (!rc && o.watch && !selector_valid(o.status_selector)) {
        ed_cli_failure("expected status selector in type=status or type!=status format, but "
                       "found: %s",
                       o.status_selector);
        rc = 2;
    }
    if (!rc && o.watch && group) {
        ed_cli_failure("expected a single resource type, but found all");
        rc = 2;
    }
    o.name = npos > used ? pos[used] : NULL;
    free(pos);
    if (rc)
        return rc;
    ed_kube *kube = ed_cli_connect(&o.g);
    if (!kube)
        return 1;
    /* As flux get: the selector is read here (metav1.ParseToLabelSelector), before any
     * request, and refused in its words; the API server is sent the text. flux's get all,
     * sources all and images all run the get of each of their kinds, Flux's whole list (6
     * sources; 3 image kinds; those and 5 more), each of which says it, and exit 0. */
    ed_label_selector *sel = NULL;
    ed_err err = ED_ERR_INIT;
    if (o.label_selector && *o.label_selector &&
        ed_label_selector_parse_watch(o.label_selector, &sel, &err) != 0) {
        int times = group == all_kinds ? 14 : group == source_kinds ? 6 : group ? 3 : 1;
        for (int i = 0; i < times; i++)
            ed_cli_failure("unable to parse label selector: %s", err.msg);
        ed_kube_free(kube);
        return group ? 0 : 1;
    }
    ed_label_selector_free(sel);
    if (k && ed_cli_require_kind(kube, k) != 0) {
        ed_kube_free(kube);
        return 1;
    }
    if (group)
        rc = print_all(kube, group, &o);
    else if (o.watch)
        rc = watch(kube, k, &o);
    else
        rc = print_one(kube, k, &o);
    ed_kube_free(kube);
    return rc;
}

/* ---- stats ---- */

/* "1.2 KiB" as flux prints sizes (binary units, one decimal). */
static void human_size(int64_t bytes, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%lld B", (long long)bytes);
    else
        snprintf(out, cap, "%.1f %s", v, units[u]);
}

/* One row of stats: how many objects of k run, fail, are suspended, and their artifacts' size. */
static int stats_row(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                     ed_cli_table *t)
{
    ed_doc *list = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_kube_list(kube, api_version, kind, ns, NULL, &list, &err);
    /* A kind the cluster does not serve counts nothing, and has its row, as in flux. */
    if (rc == ED_ENOTFOUND) {
        const char *row[] = {kind, "0", "0", "0", "-"};
        ed_cli_table_row(t, row);
        return 0;
    }
    if (rc) {
        ed_cli_api_failure(&err);
        return 1;
    }
    ed_node *items = ed_node_get(ed_doc_root(list), "items");
    int64_t running = 0, failing = 0, suspended = 0, size = 0;
    for (size_t i = 0; i < ed_node_len(items); i++) {
        const ed_node *o = ed_node_at(items, i);
        bool susp = false;
        ed_node_bool(ed_node_path(o, "/spec/suspend"), &susp);
        const char *ready = ed_cli_cond(o, "Ready", "/status");
        /* As flux stats counts: RUNNING is every object not suspended, FAILING every one
         * whose Ready is False (suspended or not). */
        if (susp)
            suspended++;
        else
            running++;
        if (ready && strcmp(ready, "False") == 0)
            failing++;
        int64_t s = 0;
        if (ed_node_int(ed_node_path(o, "/status/artifact/size"), &s))
            size += s;
    }
    char cells[4][32];
    snprintf(cells[0], sizeof(cells[0]), "%lld", (long long)running);
    snprintf(cells[1], sizeof(cells[1]), "%lld", (long long)failing);
    snprintf(cells[2], sizeof(cells[2]), "%lld", (long long)suspended);
    if (size > 0)
        human_size(size, cells[3], sizeof(cells[3]));
    else
        snprintf(cells[3], sizeof(cells[3]), "-");
    const char *row[] = {kind, cells[0], cells[1], cells[2], cells[3]};
    ed_cli_table_row(t, row);
    ed_doc_free(list);
    return 0;
}

int ed_cli_stats(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool all_namespaces = false;
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &all_namespaces},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_noargs(argc, argv, flags, &g);
    if (rc)
        return rc;
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    ed_cli_table *t = ed_cli_table_new(5);
    const char *head[] = {"RECONCILERS", "RUNNING", "FAILING", "SUSPENDED", "STORAGE"};
    ed_cli_table_head(t, head);
    /* flux stats' kinds, in its order: those of every Flux controller, eddy's or not. */
    static const char *const kinds[][2] = {
        {"source.toolkit.fluxcd.io/v1", "GitRepository"},
        {"source.toolkit.fluxcd.io/v1", "OCIRepository"},
        {"source.toolkit.fluxcd.io/v1", "HelmRepository"},
        {"source.toolkit.fluxcd.io/v1", "HelmChart"},
        {"source.toolkit.fluxcd.io/v1", "Bucket"},
        {"kustomize.toolkit.fluxcd.io/v1", "Kustomization"},
        {"helm.toolkit.fluxcd.io/v2", "HelmRelease"},
        {"notification.toolkit.fluxcd.io/v1beta3", "Alert"},
        {"notification.toolkit.fluxcd.io/v1beta3", "Provider"},
        {"notification.toolkit.fluxcd.io/v1", "Receiver"},
        {"image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"},
        {"image.toolkit.fluxcd.io/v1", "ImagePolicy"},
        {"image.toolkit.fluxcd.io/v1", "ImageRepository"},
    };
    for (size_t i = 0; !rc && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        rc = stats_row(kube, kinds[i][0], kinds[i][1], all_namespaces ? NULL : g.ns, t);
    if (!rc)
        ed_cli_table_print(t, stdout, 0, 0);
    ed_cli_table_free(t);
    ed_kube_free(kube);
    return rc;
}
