/*
 * `eddy events`, `eddy tree` and `eddy trace`, as flux has them.
 *
 * events prints the Kubernetes Events of Flux objects (the five kinds eddy serves): LAST SEEN,
 * TYPE, REASON, OBJECT, MESSAGE, oldest first, NAMESPACE first with -A; --for Kind[/name]
 * narrows them to one object (with the object it refers to: a Kustomization's source, an
 * ImagePolicy's ImageRepository, as flux shows them) or kind, --types to Normal or Warning,
 * and --watch keeps printing new ones until --timeout.
 *
 * tree prints a Kustomization's inventory (status.inventory.entries, ids
 * "<namespace>_<name>_<group>_<kind>") as a tree, recursing into the Kustomizations it
 * manages; --compact keeps only the Flux objects; -o json|yaml prints the tree in flux's
 * structure instead of the drawing.
 *
 * trace follows an object's owner labels to the Kustomization that applied it, and on to the
 * Kustomization's GitRepository, printing each with its revision and Ready status.
 */
#include "cli_int.h"

#include "../apply/apply.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- events ---- */

struct events_opts {
    ed_cli_global g;
    bool all_namespaces, watch;
    const char *for_obj;
    ed_cli_list types;
    char *field_selector; /* --for's object */
    const ed_cli_kind *for_kind;
    char *for_name; /* NULL: --for names a kind alone */
    /* As flux: the events of the object --for names come with those of the object it
     * refers to (a Kustomization's source, an ImagePolicy's ImageRepository). */
    char *ref_kind, *ref_name, *ref_ns;
    char *ref_selector;
    bool show_ns;          /* the NAMESPACE column: -A, or a reference in another namespace */
    bool printed;          /* --watch: a row was printed (the header went with the first) */
    pthread_mutex_t print; /* --watch: one row at a time from the two watches */
};

/* When the event last happened, as RFC3339 text ("" when unknown): the order of the rows. */
static const char *last_seen(const ed_node *e)
{
    static const char *const paths[] = {"/series/lastObservedTime", "/lastTimestamp", "/eventTime",
                                        "/firstTimestamp", "/metadata/creationTimestamp"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const char *t = ed_node_path_str(e, paths[i]);
        if (t && *t)
            return t;
    }
    return "";
}

void ed_cli_human_duration(int64_t seconds, char *out, size_t cap)
{
    long long s = (long long)seconds;
    if (s < -1) {
        snprintf(out, cap, "<invalid>");
        return;
    }
    if (s < 0)
        s = 0;
    long long m = s / 60, h = s / 3600, d = h / 24, y = d / 365;
    if (s < 120)
        snprintf(out, cap, "%llds", s);
    else if (m < 10 && s % 60)
        snprintf(out, cap, "%lldm%llds", m, s % 60);
    else if (m < 3 * 60)
        snprintf(out, cap, "%lldm", m);
    else if (h < 8 && m % 60)
        snprintf(out, cap, "%lldh%lldm", h, m % 60);
    else if (h < 48)
        snprintf(out, cap, "%lldh", h);
    else if (h < 24 * 8 && h % 24)
        snprintf(out, cap, "%lldd%lldh", d, h % 24);
    else if (d < 365 * 2)
        snprintf(out, cap, "%lldd", d);
    else if (d < 365 * 8 && d % 365)
        snprintf(out, cap, "%lldy%lldd", y, d % 365);
    else
        snprintf(out, cap, "%lldy", y);
}

/* The time since an RFC3339 time, as flux prints it, or "<unknown>". */
static void age(const char *t, char *out, size_t cap)
{
    time_t then = t && *t ? ed_time_parse_rfc3339(t) : (time_t)-1;
    if (then == (time_t)-1)
        snprintf(out, cap, "<unknown>");
    else
        ed_cli_human_duration((int64_t)(time(NULL) - then), out, cap);
}

/* flux's LAST SEEN: the age of the first occurrence, or for a repeated event "<age of the
 * last> (x<count> over <age of the first>)". */
static void last_seen_cell(const ed_node *e, char *out, size_t cap)
{
    const char *first = ed_node_path_str(e, "/eventTime");
    if (!first || !*first)
        first = ed_node_path_str(e, "/firstTimestamp");
    char since_first[32], since_last[32];
    age(first, since_first, sizeof(since_first));
    int64_t count = 0;
    if (ed_node_kind_of(ed_node_path(e, "/series")) == ED_NODE_MAP) {
        ed_node_int(ed_node_path(e, "/series/count"), &count);
        age(ed_node_path_str(e, "/series/lastObservedTime"), since_last, sizeof(since_last));
        snprintf(out, cap, "%s (x%lld over %s)", since_last, (long long)count, since_first);
    } else if (ed_node_int(ed_node_path(e, "/count"), &count) && count > 1) {
        age(ed_node_path_str(e, "/lastTimestamp"), since_last, sizeof(since_last));
        snprintf(out, cap, "%s (x%lld over %s)", since_last, (long long)count, since_first);
    } else {
        snprintf(out, cap, "%s", since_first);
    }
}

/* An event of a Flux kind, of a type --types keeps. */
static bool wanted(const struct events_opts *o, const ed_node *e)
{
    const char *kind = ed_node_path_str(e, "/involvedObject/kind");
    if (!kind || !ed_cli_kind_by_name(kind))
        return false;
    if (o->types.n == 0)
        return true;
    const char *type = ed_node_path_str(e, "/type");
    for (int i = 0; i < o->types.n; i++)
        if (type && strcasecmp(type, o->types.items[i]) == 0)
            return true;
    return false;
}

static void event_row(ed_cli_table *t, const ed_node *e)
{
    char seen[96];
    last_seen_cell(e, seen, sizeof(seen));
    char *obj = ed_xasprintf("%s/%s", ed_node_path_str(e, "/involvedObject/kind"),
                             ed_node_path_str(e, "/involvedObject/name"));
    /* (a message of several lines makes a row as tall, as in flux's table) */
    const char *msg = ed_node_path_str(e, "/message");
    const char *row[] = {ed_node_path_str(e, "/metadata/namespace"),
                         seen,
                         ed_node_path_str(e, "/type"),
                         ed_node_path_str(e, "/reason"),
                         obj,
                         msg};
    ed_cli_table_row(t, row);
    free(obj);
}

static const char *const events_head[] = {"NAMESPACE", "LAST SEEN", "TYPE",
                                          "REASON",    "OBJECT",    "MESSAGE"};

static int by_time(const void *a, const void *b)
{
    return strcmp(last_seen(*(const ed_node *const *)a), last_seen(*(const ed_node *const *)b));
}

static int list_events(ed_kube *kube, const struct events_opts *o)
{
    /* The object's events (or all of the namespace), then its reference's. */
    ed_doc *lists[2] = {NULL, NULL};
    ed_err err = ED_ERR_INIT;
    ed_kube_opts lo = {.field_selector = o->field_selector};
    int rc =
        ed_kube_list(kube, "v1", "Event", o->all_namespaces ? NULL : o->g.ns, &lo, &lists[0], &err);
    if (!rc && o->ref_selector) {
        ed_kube_opts ro = {.field_selector = o->ref_selector};
        rc = ed_kube_list(kube, "v1", "Event", o->ref_ns, &ro, &lists[1], &err);
    }
    if (rc) {
        ed_cli_api_failure(&err);
        ed_doc_free(lists[0]);
        return 1;
    }
    size_t total = 0, n = 0;
    int nlists = lists[1] ? 2 : 1;
    for (int l = 0; l < nlists; l++)
        total += ed_node_len(ed_node_get(ed_doc_root(lists[l]), "items"));
    const ed_node **sorted = ed_xcalloc(total + 1, sizeof(const ed_node *));
    for (int l = 0; l < nlists; l++) {
        ed_node *items = ed_node_get(ed_doc_root(lists[l]), "items");
        for (size_t i = 0; i < ed_node_len(items); i++)
            if (wanted(o, ed_node_at(items, i)))
                sorted[n++] = ed_node_at(items, i);
    }
    qsort(sorted, n, sizeof(const ed_node *), by_time);
    ed_cli_table *t = ed_cli_table_new(6);
    ed_cli_table_head(t, events_head);
    for (size_t i = 0; i < n; i++)
        event_row(t, sorted[i]);
    /* As flux: said on stderr (stdout stays empty for a pipe), exit 0. */
    if (n == 0 && o->all_namespaces)
        ed_cli_failure("No events found.");
    else if (n == 0)
        ed_cli_failure("No events found in %s namespace.", o->g.ns);
    else
        ed_cli_table_print(t, stdout, 0, o->show_ns ? 0 : 1);
    ed_cli_table_free(t);
    free(sorted);
    ed_doc_free(lists[0]);
    ed_doc_free(lists[1]);
    return 0;
}

/* As flux's watch: each event a table of its own, the first one with the header. */
static int on_event(ed_kube_event_type type, const ed_node *e, void *user)
{
    struct events_opts *o = user;
    if (type == ED_KUBE_DELETED || type == ED_KUBE_BOOKMARK || !wanted(o, e))
        return 0;
    pthread_mutex_lock(&o->print);
    ed_cli_table *t = ed_cli_table_new(6);
    if (!o->printed)
        ed_cli_table_head(t, events_head);
    event_row(t, e);
    ed_cli_table_print(t, stdout, 0, o->show_ns ? 0 : 1);
    ed_cli_table_free(t);
    o->printed = true;
    fflush(stdout);
    pthread_mutex_unlock(&o->print);
    return 0;
}

/* One watch of events (in ns, all when NULL, narrowed by selector) until deadline or cancel. */
struct event_watch {
    ed_kube *kube;
    struct events_opts *o;
    const char *ns;
    const char *selector;
    int64_t deadline;
    atomic_bool *cancel;
    int rc;
};

static int watch_until(struct event_watch *w)
{
    /* A watch from "now" starts with the current events: print them as they come. */
    while (ed_time_mono_ms() < w->deadline && !atomic_load(w->cancel)) {
        ed_kube_watch_opts wo = {.field_selector = w->selector,
                                 .timeout_seconds =
                                     (int)((w->deadline - ed_time_mono_ms() + 999) / 1000),
                                 .cancel = w->cancel};
        ed_err err = ED_ERR_INIT;
        if (ed_kube_watch(w->kube, "v1", "Event", w->ns, &wo, on_event, w->o, &err) != 0) {
            pthread_mutex_lock(&w->o->print);
            ed_cli_api_failure(&err);
            pthread_mutex_unlock(&w->o->print);
            return 1;
        }
    }
    return 0;
}

static void *watch_thread(void *arg)
{
    struct event_watch *w = arg;
    w->rc = watch_until(w);
    return NULL;
}

/* The object's events and, as flux watches them, its reference's in a second watch (in the
 * reference's namespace, so no wider permission is needed). */
static int watch_events(ed_kube *kube, struct events_opts *o)
{
    atomic_bool cancel = false;
    int64_t deadline = ed_time_mono_ms() + o->g.timeout_ms;
    struct event_watch main_w = {
        kube, o, o->all_namespaces ? NULL : o->g.ns, o->field_selector, deadline, &cancel, 0};
    struct event_watch ref_w = {kube, o, o->ref_ns, o->ref_selector, deadline, &cancel, 0};
    pthread_t ref_thread;
    bool ref = o->ref_kind && pthread_create(&ref_thread, NULL, watch_thread, &ref_w) == 0;
    int rc = watch_until(&main_w);
    atomic_store(&cancel, true);
    if (ref) {
        pthread_join(ref_thread, NULL);
        rc |= ref_w.rc;
    }
    return rc;
}

/* --for Kind[/name] into a field selector on involvedObject, read as flux reads it: with
 * exactly one slash, the kind before it and the name after it (none when empty:
 * "Kustomization/" is every Kustomization's), a name alone is a kind, and anything else
 * (no slash, or several) is a kind whole. An empty --for selects nothing. */
static int for_selector(struct events_opts *o)
{
    if (!o->for_obj || !*o->for_obj)
        return 0;
    const char *slash = strchr(o->for_obj, '/');
    if (slash && strchr(slash + 1, '/'))
        slash = NULL;
    char *kind = ed_xstrndup(o->for_obj, slash ? (size_t)(slash - o->for_obj) : strlen(o->for_obj));
    const char *name = slash && slash[1] ? slash + 1 : NULL;
    if (!*kind && !name) {
        ed_cli_failure("--for selector must be of format <kind>[/<name>]");
        free(kind);
        return 2;
    }
    if (!*kind) { /* "/x": the name is the kind */
        free(kind);
        kind = ed_xstrdup(name);
        name = NULL;
    }
    const ed_cli_kind *k = ed_cli_kind_by_name(kind);
    if (!k) {
        ed_cli_failure("'%s' is not a recognized Flux kind", kind);
        free(kind);
        return 2;
    }
    free(kind);
    o->for_kind = k;
    o->for_name = name ? ed_xstrdup(name) : NULL;
    o->field_selector =
        name ? ed_xasprintf("involvedObject.kind=%s,involvedObject.name=%s", k->kind, name)
             : ed_xasprintf("involvedObject.kind=%s", k->kind);
    return 0;
}

/* The object --for names refers to, as flux's events finds it: a Kustomization's
 * spec.sourceRef, an ImagePolicy's spec.imageRepositoryRef (namespace: theirs, or the
 * object's). Returns 0 (no reference is fine), or 1 after printing the error (the object
 * missing, as flux fails then). */
static int find_ref(ed_kube *kube, struct events_opts *o)
{
    const ed_cli_kind *k = o->for_kind;
    if (!o->for_name)
        return 0;
    const char *field = k == &ed_cli_kustomization ? "/spec/sourceRef"
                        : k == &ed_cli_imagepolicy ? "/spec/imageRepositoryRef"
                                                   : NULL;
    if (!field)
        return 0;
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, k->api_version, k->kind, o->g.ns, o->for_name, &d, &err) != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    const ed_node *ref = ed_node_path(ed_doc_root(d), field);
    const char *rkind =
        k == &ed_cli_imagepolicy ? "ImageRepository" : ed_node_path_str(ref, "/kind");
    const char *rname = ed_node_path_str(ref, "/name");
    const char *rns = ed_node_path_str(ref, "/namespace");
    if (rkind && rname) {
        o->ref_kind = ed_xstrdup(rkind);
        o->ref_name = ed_xstrdup(rname);
        o->ref_ns = ed_xstrdup(rns && *rns ? rns : o->g.ns);
        o->ref_selector =
            ed_xasprintf("involvedObject.kind=%s,involvedObject.name=%s", rkind, rname);
        o->show_ns |= strcmp(o->ref_ns, o->g.ns) != 0;
    }
    ed_doc_free(d);
    return 0;
}

int ed_cli_events(int argc, char **argv)
{
    struct events_opts o = {.g = ED_CLI_GLOBAL_INIT};
    const ed_cli_flag flags[] = {
        {"all-namespaces", 'A', ED_CLI_FLAG_BOOL, &o.all_namespaces},
        {"watch", 'w', ED_CLI_FLAG_BOOL, &o.watch},
        {"for", 0, ED_CLI_FLAG_STR, &o.for_obj},
        {"types", 0, ED_CLI_FLAG_LIST, &o.types},
        {NULL, 0, 0, NULL},
    };
    int rc = ed_cli_parse_flags(argc, argv, flags, &o.g);
    for (int i = 0; !rc && i < o.types.n; i++)
        if (strcasecmp(o.types.items[i], "Normal") != 0 &&
            strcasecmp(o.types.items[i], "Warning") != 0) {
            ed_cli_failure("type '%s' not supported. Supported types are Normal, Warning",
                           o.types.items[i]);
            rc = 2;
        }
    if (rc)
        return rc;
    o.show_ns = o.all_namespaces;
    pthread_mutex_init(&o.print, NULL);
    /* as flux: --for is read once the client is made (a bad kubeconfig is said first) */
    ed_kube *kube = ed_cli_connect(&o.g);
    if (!kube)
        rc = 1;
    else if ((rc = for_selector(&o)) == 0 && (rc = find_ref(kube, &o)) == 0)
        rc = o.watch ? watch_events(kube, &o) : list_events(kube, &o);
    free(o.field_selector);
    free(o.for_name);
    free(o.ref_kind);
    free(o.ref_name);
    free(o.ref_ns);
    free(o.ref_selector);
    pthread_mutex_destroy(&o.print);
    ed_kube_free(kube);
    return rc;
}

/* ---- tree ---- */

#define TREE_MAX_DEPTH 16

/* A tree node in the shape flux's `tree -o json` prints: {"resource": {"Namespace", "Name",
 * "GroupKind": {"Group", "Kind"}}, "resources": [...]} (resources only when there are some). */
static ed_node *tree_node(ed_doc *d, const char *ns, const char *name, const char *group,
                          const char *kind)
{
    ed_node *gk = ed_node_new_map(d);
    ed_node_append_pair(d, gk, "Group", ed_node_new_str(d, group));
    ed_node_append_pair(d, gk, "Kind", ed_node_new_str(d, kind));
    ed_node *res = ed_node_new_map(d);
    ed_node_append_pair(d, res, "Namespace", ed_node_new_str(d, ns));
    ed_node_append_pair(d, res, "Name", ed_node_new_str(d, name));
    ed_node_append_pair(d, res, "GroupKind", gk);
    ed_node *n = ed_node_new_map(d);
    ed_node_append_pair(d, n, "resource", res);
    return n;
}

/*
 * Add the inventory of Kustomization ks (ns/name) under node, as flux's tree does: the
 * Kustomization's own entry left out, with --compact only the Flux objects, and the
 * Kustomizations it manages expanded in turn (not those of a Kustomization that applies to a
 * remote cluster: they live there). Returns 0, or 1 after printing the error.
 */
static int tree_add(ed_kube *kube, ed_doc *d, ed_node *node, const ed_node *ks, bool compact,
                    int depth)
{
    const char *ns = ed_node_path_str(ks, "/metadata/namespace");
    const char *name = ed_node_path_str(ks, "/metadata/name");
    bool remote = ed_node_path(ks, "/spec/kubeConfig") != NULL;
    ed_node *entries = ed_node_path(ks, "/status/inventory/entries");
    ed_node *items = NULL;
    int rc = 0;
    for (size_t i = 0; i < ed_node_len(entries) && !rc; i++) {
        const char *id = ed_node_path_str(ed_node_at(entries, i), "/id");
        ed_apply_id_parts p;
        if (!ed_apply_id_parse(id ? id : "", &p))
            continue;
        if (compact && !strstr(p.group, "toolkit.fluxcd.io"))
            continue;
        bool is_ks = strcmp(p.group, "kustomize.toolkit.fluxcd.io") == 0 &&
                     strcmp(p.kind, "Kustomization") == 0;
        if (is_ks && ns && name && strcmp(p.ns, ns) == 0 && strcmp(p.name, name) == 0)
            continue;
        if (!items) {
            items = ed_node_new_seq(d);
            ed_node_append_pair(d, node, "resources", items);
        }
        ed_node *child = tree_node(d, p.ns, p.name, p.group, p.kind);
        ed_node_append(d, items, child);
        if (!is_ks || remote || depth >= TREE_MAX_DEPTH)
            continue;
        ed_doc *sub = NULL;
        ed_err err = ED_ERR_INIT;
        if (ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", p.ns, p.name, &sub,
                        &err) != 0) {
            ed_err_wrap(&err, "failed to find object");
            ed_cli_api_failure(&err);
            rc = 1;
        } else {
            rc = tree_add(kube, d, child, ed_doc_root(sub), compact, depth + 1);
        }
        ed_doc_free(sub);
    }
    return rc;
}

/* "Kind/namespace/name", or "Kind/name" for a cluster-scoped object (ssa.FmtObjMetadata). */
static void tree_text_line(const ed_node *n, ed_buf *out)
{
    const char *ns = ed_node_path_str(n, "/resource/Namespace");
    ed_buf_printf(out, "%s/%s%s%s\n", ed_node_path_str(n, "/resource/GroupKind/Kind"), ns,
                  *ns ? "/" : "", ed_node_path_str(n, "/resource/Name"));
}

/* The items of n, each after prefix and its branch. */
static void tree_text(const ed_node *n, const char *prefix, ed_buf *out)
{
    ed_node *items = ed_node_get(n, "resources");
    size_t count = ed_node_len(items);
    for (size_t i = 0; i < count; i++) {
        bool last = i + 1 == count;
        ed_buf_printf(out, "%s%s", prefix, last ? "└── " : "├── ");
        tree_text_line(ed_node_at(items, i), out);
        char *sub = ed_xasprintf("%s%s", prefix, last ? "    " : "│   ");
        tree_text(ed_node_at(items, i), sub, out);
        free(sub);
    }
}

/* n as Go's json.MarshalIndent(v, "", "  ") prints it: maps in their order, two spaces. */
static void tree_json(const ed_node *n, int indent, ed_buf *out)
{
    bool map = ed_node_kind_of(n) == ED_NODE_MAP;
    if (!map && ed_node_kind_of(n) != ED_NODE_SEQ) {
        ed_buf_append_json_str(out, ed_node_str(n) ? ed_node_str(n) : "");
        return;
    }
    ed_buf_append_str(out, map ? "{\n" : "[\n");
    for (size_t i = 0; i < ed_node_len(n); i++) {
        ed_buf_printf(out, "%*s", 2 * (indent + 1), "");
        if (map) {
            ed_buf_append_json_str(out, ed_node_key_at(n, i));
            ed_buf_append_str(out, ": ");
        }
        tree_json(map ? ed_node_value_at(n, i) : ed_node_at(n, i), indent + 1, out);
        ed_buf_append_str(out, i + 1 < ed_node_len(n) ? ",\n" : "\n");
    }
    ed_buf_printf(out, "%*s%s", 2 * indent, "", map ? "}" : "]");
}

int ed_cli_tree(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool compact = false;
    const char *output = "";
    const ed_cli_flag flags[] = {
        {"compact", 0, ED_CLI_FLAG_BOOL, &compact},
        {"output", 'o', ED_CLI_FLAG_STR, &output},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const ed_cli_kind *k = rc ? NULL : ed_cli_kind_parse(pos, npos, &used);
    const char *name = npos == used + 1 ? pos[used] : NULL;
    free(pos);
    if (rc)
        return rc;
    if (k == &ed_cli_kustomization && npos == used) {
        ed_cli_failure("kustomization name is required"); /* flux's words */
        return 2;
    }
    if (k != &ed_cli_kustomization || !name) {
        ed_cli_failure("usage: eddy tree kustomization NAME");
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    if (ed_cli_require_kind(kube, k) != 0) {
        ed_kube_free(kube);
        return 1;
    }
    ed_doc *ks = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", g.ns, name, &ks,
                    &err) != 0) {
        ed_cli_api_failure(&err);
        ed_kube_free(kube);
        return 1;
    }
    ed_doc *d = ed_doc_new();
    ed_node *root = tree_node(d, g.ns, name, "kustomize.toolkit.fluxcd.io", "Kustomization");
    ed_doc_set_root(d, root);
    rc = tree_add(kube, d, root, ed_doc_root(ks), compact, 0);
    if (!rc) {
        /* flux prints each form with Println: one more line feed after it. Any -o but json
         * and yaml (xml, wide, a typo) is flux's default case: the text tree. */
        ed_buf out = ED_BUF_INIT((size_t)256 << 20);
        if (strcmp(output, "json") == 0) {
            tree_json(root, 0, &out);
        } else if (strcmp(output, "yaml") == 0) {
            ed_node_to_yaml(root, &out);
        } else {
            tree_text_line(root, &out);
            tree_text(root, "", &out);
        }
        ed_buf_append_str(&out, "\n");
        fwrite(out.data, 1, out.len, stdout);
        ed_buf_free(&out);
    }
    ed_doc_free(d);
    ed_doc_free(ks);
    ed_kube_free(kube);
    return rc;
}

/* ---- trace ---- */

/* The apiVersion of common kinds, so that `eddy trace deployment/web` needs no --api-version. */
static const char *api_version_of(const char *kind)
{
    static const char *const table[][2] = {
        {"Deployment", "apps/v1"},
        {"StatefulSet", "apps/v1"},
        {"DaemonSet", "apps/v1"},
        {"ReplicaSet", "apps/v1"},
        {"ConfigMap", "v1"},
        {"Secret", "v1"},
        {"Service", "v1"},
        {"ServiceAccount", "v1"},
        {"Namespace", "v1"},
        {"Pod", "v1"},
        {"PersistentVolumeClaim", "v1"},
        {"Job", "batch/v1"},
        {"CronJob", "batch/v1"},
        {"Ingress", "networking.k8s.io/v1"},
        {"Role", "rbac.authorization.k8s.io/v1"},
        {"RoleBinding", "rbac.authorization.k8s.io/v1"},
        {"ClusterRole", "rbac.authorization.k8s.io/v1"},
        {"ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
        {"CustomResourceDefinition", "apiextensions.k8s.io/v1"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcasecmp(table[i][0], kind) == 0)
            return table[i][1];
    const ed_cli_kind *k = ed_cli_kind_by_name(kind);
    return k ? k->api_version : NULL;
}

static const char *kind_spelling_exact(const char *kind);

/* "Deployment" from "deployment", "deployments" or "deploy" as typed (kubectl's plurals and
 * short names): the table's spelling. */
static const char *kind_spelling(const char *kind)
{
    static const char *const aliases[][2] = {
        {"deploy", "Deployment"},
        {"sts", "StatefulSet"},
        {"ds", "DaemonSet"},
        {"rs", "ReplicaSet"},
        {"cm", "ConfigMap"},
        {"svc", "Service"},
        {"sa", "ServiceAccount"},
        {"ns", "Namespace"},
        {"po", "Pod"},
        {"pvc", "PersistentVolumeClaim"},
        {"cj", "CronJob"},
        {"ing", "Ingress"},
        {"ingresses", "Ingress"},
        {"crd", "CustomResourceDefinition"},
        {"crds", "CustomResourceDefinition"},
        {"ks", "Kustomization"},
        {"gitrepo", "GitRepository"},
        {"gitrepositories", "GitRepository"},
        {"ocirepo", "OCIRepository"},
        {"ocirepositories", "OCIRepository"},
        {"imagerepositories", "ImageRepository"},
        {"imagepolicies", "ImagePolicy"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(aliases[i][0], kind) == 0)
            return aliases[i][1];
    size_t n = strlen(kind);
    char singular[64];
    if (n > 1 && n < sizeof(singular) && (kind[n - 1] == 's' || kind[n - 1] == 'S')) {
        memcpy(singular, kind, n - 1);
        singular[n - 1] = '\0';
        const char *k = kind_spelling_exact(singular);
        if (k)
            return k;
    }
    const char *k = kind_spelling_exact(kind);
    return k ? k : kind;
}

/* The table's spelling of kind, any case; NULL when not in it. */
static const char *kind_spelling_exact(const char *kind)
{
    static const char *const kinds[] = {"Deployment",
                                        "StatefulSet",
                                        "DaemonSet",
                                        "ReplicaSet",
                                        "ConfigMap",
                                        "Secret",
                                        "Service",
                                        "ServiceAccount",
                                        "Namespace",
                                        "Pod",
                                        "PersistentVolumeClaim",
                                        "Job",
                                        "CronJob",
                                        "Ingress",
                                        "Role",
                                        "RoleBinding",
                                        "ClusterRole",
                                        "ClusterRoleBinding",
                                        "CustomResourceDefinition",
                                        NULL};
    for (int i = 0; kinds[i]; i++)
        if (strcasecmp(kinds[i], kind) == 0)
            return kinds[i];
    const ed_cli_kind *k = ed_cli_kind_by_name(kind);
    return k ? k->kind : NULL;
}

/* One line of flux trace's report: the key in a column of 17. */
static void trace_line(const char *key, const char *value)
{
    printf("%-17s%s\n", key, value ? value : "");
}

/* A condition's lastTransitionTime as flux's template prints a Go time (local time):
 * "2026-01-02 15:04:05 +0000 UTC"; the text itself when it is no RFC 3339 time. */
static char *go_time(const char *when)
{
    time_t secs = when ? ed_time_parse_rfc3339(when) : (time_t)-1;
    if (secs == (time_t)-1)
        return ed_xstrdup(when ? when : "");
    struct tm tm;
    char buf[64];
    if (!localtime_r(&secs, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm))
        return ed_xstrdup(when);
    return ed_xstrdup(buf);
}

/* The Status and Message lines of a Flux object, from its Ready condition (failed: a source's
 * Ready False, which flux says; a Kustomization is "reconciled" either way, as in flux). */
static void trace_status(const ed_node *o, bool say_failed)
{
    const char *ready = ed_cli_cond(o, "Ready", "/status");
    if (!ready) {
        trace_line("Status:", "Unknown");
        return;
    }
    char *when = go_time(ed_cli_cond(o, "Ready", "/lastTransitionTime"));
    char *status =
        ed_xasprintf("%s at %s",
                     say_failed && strcmp(ready, "False") == 0 ? "Last reconciliation failed"
                                                               : "Last reconciled",
                     when);
    trace_line("Status:", status);
    free(status);
    free(when);
    trace_line("Message:", ed_cli_cond(o, "Ready", "/message"));
}

/* The source's part of the report, in flux's template: its ref (a tag, else a semver range as
 * Tag, else a branch or, for OCI, a digest), its artifact's revision, its status. */
static int trace_source(ed_kube *kube, const ed_node *ks, const char *ks_ns)
{
    const char *kind = ed_node_path_str(ks, "/spec/sourceRef/kind");
    const char *name = ed_node_path_str(ks, "/spec/sourceRef/name");
    const char *ns = ed_node_path_str(ks, "/spec/sourceRef/namespace");
    bool oci = kind && strcmp(kind, "OCIRepository") == 0;
    if (!kind || (strcmp(kind, "GitRepository") != 0 && !oci) || !name)
        return 0;
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, ed_cli_gitrepository.api_version, kind, ns ? ns : ks_ns, name, &d,
                    &err) != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    const ed_node *o = ed_doc_root(d);
    printf("---\n");
    trace_line(oci ? "OCIRepository:" : "GitRepository:", name);
    trace_line("Namespace:", ns ? ns : ks_ns);
    trace_line("URL:", ed_node_path_str(o, "/spec/url"));
    const char *tag = ed_node_path_str(o, "/spec/ref/tag");
    const char *semver = ed_node_path_str(o, "/spec/ref/semver");
    const char *other = ed_node_path_str(o, oci ? "/spec/ref/digest" : "/spec/ref/branch");
    if (tag && *tag)
        trace_line("Tag:", tag);
    else if (semver && *semver)
        trace_line("Tag:", semver);
    else if (other && *other)
        trace_line(oci ? "Digest:" : "Branch:", other);
    if (ed_node_path(o, "/status/artifact"))
        trace_line("Revision:", ed_node_path_str(o, "/status/artifact/revision"));
    trace_status(o, true);
    ed_doc_free(d);
    return 0;
}

/* Print the object and the Kustomization and source that manage it. */
static int trace(ed_kube *kube, const char *api, const char *kind, const char *ns, const char *name,
                 bool kind_flag)
{
    ed_doc *obj = NULL, *ks = NULL;
    ed_err err = ED_ERR_INIT;
    int got = ed_kube_get(kube, api, kind, ns, name, &obj, &err);
    if (got == ED_ENOTFOUND) {
        /* flux's words: its lookup of KIND NAME says "x: ", that of NAME --kind KIND "failed
         * to find object: " */
        ed_cli_failure("%s%s", kind_flag ? "failed to find object: " : "x: ", err.msg);
        return 1;
    }
    if (got != 0) {
        ed_cli_api_failure(&err);
        return 1;
    }
    const ed_node *labels = ed_node_path(ed_doc_root(obj), "/metadata/labels");
    const char *ks_name = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/name"));
    const char *ks_ns = ed_node_str(ed_node_get(labels, "kustomize.toolkit.fluxcd.io/namespace"));
    const char *obj_ns = ed_node_path_str(ed_doc_root(obj), "/metadata/namespace");
    int rc = 0;
    if (!ks_name || !ks_ns) {
        ed_cli_failure("%s/%s is not managed by a Kustomization (no kustomize.toolkit.fluxcd.io "
                       "labels)",
                       kind, name);
        rc = 1;
    } else if (ed_kube_get(kube, ed_cli_kustomization.api_version, "Kustomization", ks_ns, ks_name,
                           &ks, &err) != 0) {
        ed_cli_failure("Kustomization %s/%s, which applied %s/%s: %s", ks_ns, ks_name, kind, name,
                       err.msg);
        rc = 1;
    } else {
        /* flux's report starts with an empty line */
        char *object = ed_xasprintf("%s/%s", kind, name);
        printf("\n");
        trace_line("Object:", object);
        free(object);
        if (obj_ns && *obj_ns)
            trace_line("Namespace:", obj_ns);
        trace_line("Status:", "Managed by Flux");
        const ed_node *k = ed_doc_root(ks);
        const char *target = ed_node_path_str(k, "/spec/targetNamespace");
        printf("---\n");
        trace_line("Kustomization:", ks_name);
        trace_line("Namespace:", ks_ns);
        if (target && *target)
            trace_line("Target:", target);
        trace_line("Path:", ed_node_path_str(k, "/spec/path"));
        trace_line("Revision:", ed_node_path_str(k, "/status/lastAppliedRevision"));
        trace_status(k, false);
        rc = trace_source(kube, k, ks_ns);
    }
    ed_doc_free(obj);
    ed_doc_free(ks);
    return rc;
}

int ed_cli_trace(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *kind = NULL, *api = NULL;
    const ed_cli_flag flags[] = {
        {"kind", 0, ED_CLI_FLAG_STR, &kind},
        {"api-version", 0, ED_CLI_FLAG_STR, &api},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    /* KIND/NAME, KIND NAME (flux's first form), or NAME with --kind. */
    char *arg = NULL;
    if (!rc && npos == 1)
        arg = ed_xstrdup(pos[0]);
    else if (!rc && npos == 2 && !kind && !strchr(pos[0], '/'))
        arg = ed_xasprintf("%s/%s", pos[0], pos[1]);
    free(pos);
    if (rc)
        return rc;
    if (npos == 0) {
        ed_cli_failure("either `<resource>/<name>` or `<resource> <name>` is required as an "
                       "argument"); /* flux's words */
        return 2;
    }
    char *slash = arg ? strchr(arg, '/') : NULL;
    if (slash) {
        *slash = '\0';
        kind = arg;
    }
    const char *name = slash ? slash + 1 : arg;
    if (!name || !*name || !kind || !*kind) {
        ed_cli_failure("usage: eddy trace KIND NAME, or KIND/NAME, or NAME --kind KIND "
                       "[--api-version V] [-n NS], e.g. eddy trace deployment web -n apps");
        free(arg);
        return 2;
    }
    kind = kind_spelling(kind);
    if (!api)
        api = api_version_of(kind);
    if (!api) {
        ed_cli_failure("the apiVersion of kind %s is not known: give --api-version", kind);
        free(arg);
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    rc = kube ? trace(kube, api, kind, g.ns, name, !slash) : 1;
    ed_kube_free(kube);
    free(arg);
    return rc;
}
