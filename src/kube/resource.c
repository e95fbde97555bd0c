/*
 * The resource layer of the Kubernetes client: REST mapping from apiVersion and kind to a
 * resource path through discovery, and the object operations (get, list with paging, create,
 * update, patch, server-side apply, delete) on top of ed_kube_request.
 *
 * Discovery is lazy and per group-version: mapping "apps/v1, Deployment" reads
 * /apis/apps/v1 once and caches it. A kind missing from a cached group-version refetches that
 * group-version once (a CRD may have just been established), so a revision that installs a CRD
 * and a custom resource of it applies in one pass. Flux's apply does the same with a
 * refreshing REST mapper.
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Discovery answers are refreshed at most this often when a kind is missing from them. */
#define DISCOVERY_MIN_REFRESH_MS 500

static void split_api_version(const char *api_version, char *group, size_t gcap, char *version,
                              size_t vcap)
{
    const char *slash = strchr(api_version, '/');
    if (slash) {
        snprintf(group, gcap, "%.*s", (int)(slash - api_version), api_version);
        snprintf(version, vcap, "%s", slash + 1);
    } else {
        group[0] = '\0';
        snprintf(version, vcap, "%s", api_version);
    }
}

/* Fetch the resource list of one group-version into a new cache entry (under the lock). */
static int fetch_gv(ed_kube *kube, const char *api_version, struct gv_entry *entry, ed_err *err)
{
    char group[128], version[64];
    split_api_version(api_version, group, sizeof(group), version, sizeof(version));
    char *path =
        group[0] ? ed_xasprintf("/apis/%s/%s", group, version) : ed_xasprintf("/api/%s", version);
    ed_kube_response resp;
    int rc = ed_kube_request(kube, "GET", path, NULL, NULL, 0, &resp, err);
    ed_doc *doc = NULL;
    memset(entry, 0, sizeof(*entry));
    entry->group_version = ed_xstrdup(api_version);
    entry->fetched_ms = ed_time_mono_ms();
    if (rc == ED_ENOTFOUND) {
        entry->missing = true;
        ed_err_clear(err);
        rc = 0;
        goto out;
    }
    if (rc) {
        ed_err_wrap(err, "discovery of %s", api_version);
        goto out;
    }
    rc = ed_doc_parse_api_json(resp.body.data, resp.body.len, &doc, err);
    if (rc) {
        ed_err_wrap(err, "discovery of %s", api_version);
        goto out;
    }
    ed_node *list = ed_node_get(ed_doc_root(doc), "resources");
    size_t n = ed_node_len(list);
    entry->resources = ed_xcalloc(n ? n : 1, sizeof(*entry->resources));
    for (size_t i = 0; i < n; i++) {
        ed_node *r = ed_node_at(list, i);
        const char *name = ed_node_str(ed_node_get(r, "name"));
        const char *kind = ed_node_str(ed_node_get(r, "kind"));
        bool namespaced = false;
        ed_node_bool(ed_node_get(r, "namespaced"), &namespaced);
        if (!name || !kind || strchr(name, '/')) /* skip subresources ("deployments/status") */
            continue;
        struct gv_resource *gr = &entry->resources[entry->nresources++];
        gr->name = ed_xstrdup(name);
        gr->kind = ed_xstrdup(kind);
        gr->namespaced = namespaced;
    }
out:
    ed_doc_free(doc);
    ed_kube_response_free(&resp);
    free(path);
    return rc;
}

static void free_entry(struct gv_entry *e)
{
    for (size_t j = 0; j < e->nresources; j++) {
        free(e->resources[j].name);
        free(e->resources[j].kind);
    }
    free(e->resources);
    free(e->group_version);
}

static const struct gv_resource *find_kind(const struct gv_entry *e, const char *kind)
{
    for (size_t i = 0; i < e->nresources; i++)
        if (strcmp(e->resources[i].kind, kind) == 0)
            return &e->resources[i];
    return NULL;
}

/* ed_kube_resource_for and ed_kube_resource_recheck: recheck re-reads a cached group-version
 * that lists the kind too when it was read before recheck_since_ms (a request that came after
 * it was answered); otherwise a kind missing from the cache re-reads it, not more often than
 * DISCOVERY_MIN_REFRESH_MS. */
static int resource_lookup(ed_kube *kube, const char *api_version, const char *kind, bool recheck,
                           int64_t recheck_since_ms, ed_kube_resource *out, ed_err *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!api_version || !*api_version || !kind || !*kind)
        return ed_err_set(err, ED_EINVALID, "an object needs apiVersion and kind");
    pthread_mutex_lock(&kube->discovery_lock);
    struct gv_entry *entry = NULL;
    for (size_t i = 0; i < kube->ngvs; i++)
        if (strcmp(kube->gvs[i].group_version, api_version) == 0)
            entry = &kube->gvs[i];
    const struct gv_resource *res = entry && !recheck ? find_kind(entry, kind) : NULL;
    /* Unknown group-version, or a kind it did not list: (re)read it, unless it was read a
     * moment ago (a typo in a manifest must not turn into a discovery storm). */
    bool stale =
        !entry || (recheck ? entry->fetched_ms < recheck_since_ms
                           : ed_time_mono_ms() - entry->fetched_ms > DISCOVERY_MIN_REFRESH_MS);
    if (!res && stale) {
        struct gv_entry fresh;
        rc = fetch_gv(kube, api_version, &fresh, err);
        if (rc) {
            free_entry(&fresh);
            goto out;
        }
        if (entry) {
            free_entry(entry);
            *entry = fresh;
        } else {
            kube->gvs = ed_xrealloc(kube->gvs, (kube->ngvs + 1) * sizeof(*kube->gvs));
            kube->gvs[kube->ngvs] = fresh;
            entry = &kube->gvs[kube->ngvs++];
        }
        res = find_kind(entry, kind);
    } else if (!res && entry) {
        res = find_kind(entry, kind); /* rechecked a moment ago: that answer stands */
    }
    if (!res) {
        rc = ed_err_set(err, ED_ENOTFOUND, "no matches for kind \"%s\" in version \"%s\"", kind,
                        api_version);
        goto out;
    }
    split_api_version(api_version, out->group, sizeof(out->group), out->version,
                      sizeof(out->version));
    snprintf(out->resource, sizeof(out->resource), "%s", res->name);
    snprintf(out->kind, sizeof(out->kind), "%s", res->kind);
    out->namespaced = res->namespaced;
out:
    pthread_mutex_unlock(&kube->discovery_lock);
    return rc;
}

int ed_kube_resource_for(ed_kube *kube, const char *api_version, const char *kind,
                         ed_kube_resource *out, ed_err *err)
{
    return resource_lookup(kube, api_version, kind, false, 0, out, err);
}

int ed_kube_resource_recheck(ed_kube *kube, const char *api_version, const char *kind,
                             int64_t since_ms, ed_kube_resource *out, ed_err *err)
{
    return resource_lookup(kube, api_version, kind, true, since_ms, out, err);
}

int ed_kube_group_version_served(ed_kube *kube, const char *api_version, bool *served, ed_err *err)
{
    *served = false;
    pthread_mutex_lock(&kube->discovery_lock);
    const struct gv_entry *entry = NULL;
    for (size_t i = 0; i < kube->ngvs; i++)
        if (strcmp(kube->gvs[i].group_version, api_version) == 0)
            entry = &kube->gvs[i];
    if (entry)
        *served = !entry->missing;
    pthread_mutex_unlock(&kube->discovery_lock);
    if (entry)
        return 0;
    struct gv_entry fresh;
    int rc = fetch_gv(kube, api_version, &fresh, err);
    if (!rc)
        *served = !fresh.missing;
    free_entry(&fresh);
    return rc;
}

/* Percent-encode a path segment or query value (RFC 3986 unreserved characters pass). */
static void append_escaped(ed_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            ed_buf_append(b, p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 0xf]};
            ed_buf_append(b, esc, 3);
        }
    }
}

char *ed_kube_path(const ed_kube_resource *res, const char *ns, const char *name,
                   const char *subresource)
{
    ed_buf b = ED_BUF_INIT(64 * 1024);
    if (res->group[0])
        ed_buf_printf(&b, "/apis/%s/%s", res->group, res->version);
    else
        ed_buf_printf(&b, "/api/%s", res->version);
    if (res->namespaced && ns && *ns) {
        ed_buf_append_str(&b, "/namespaces/");
        append_escaped(&b, ns);
    }
    ed_buf_printf(&b, "/%s", res->resource);
    if (name) {
        ed_buf_append_str(&b, "/");
        append_escaped(&b, name);
        if (subresource)
            ed_buf_printf(&b, "/%s", subresource);
    }
    return ed_buf_take(&b);
}

/* Append "?k=v&..." for the options that apply to a request. */
static void append_query(ed_buf *b, const ed_kube_opts *o, bool write)
{
    char sep = strchr(b->data, '?') ? '&' : '?';
#define ADD(key, value)                                                                            \
    do {                                                                                           \
        ed_buf_printf(b, "%c%s=", sep, key);                                                       \
        append_escaped(b, value);                                                                  \
        sep = '&';                                                                                 \
    } while (0)
    if (!o)
        return;
    if (write && o->field_manager)
        ADD("fieldManager", o->field_manager);
    if (write && o->dry_run)
        ADD("dryRun", "All");
    if (write && o->force)
        ADD("force", "true");
    if (!write && o->label_selector)
        ADD("labelSelector", o->label_selector);
    if (!write && o->field_selector)
        ADD("fieldSelector", o->field_selector);
#undef ADD
}

/* Resolve an object's mapping from its own apiVersion, kind, namespace and name. */
static int object_target(ed_kube *kube, const ed_node *obj, ed_kube_resource *res, const char **ns,
                         const char **name, ed_err *err)
{
    const char *api_version = ed_node_str(ed_node_get(obj, "apiVersion"));
    const char *kind = ed_node_str(ed_node_get(obj, "kind"));
    *name = ed_node_path_str(obj, "/metadata/name");
    *ns = ed_node_path_str(obj, "/metadata/namespace");
    if (!api_version || !kind)
        return ed_err_set(err, ED_EINVALID, "object has no apiVersion or kind");
    int rc = ed_kube_resource_for(kube, api_version, kind, res, err);
    if (rc)
        return rc;
    if (res->namespaced && (!*ns || !**ns)) {
        /* What the API server answers to a namespaced kind's request without a namespace (the
         * path of a cluster-scoped object, which does not exist): Flux's dry-run reports this
         * as "<object> namespace not specified: <message>". */
        rc = ed_err_set(err, ED_ENOTFOUND, "the server could not find the requested resource");
        ed_err_set_reason(err, "NotFound");
        return rc;
    }
    return 0;
}

/* Send a request and parse the JSON reply into *out (when out is not NULL); accept NULL asks
 * for whole objects. */
static int call_as(ed_kube *kube, const char *method, const char *path, const char *accept,
                   const char *content_type, const char *body, size_t len, ed_doc **out,
                   ed_err *err)
{
    ed_kube_response resp;
    int rc = ed_kube_request_as(kube, method, path, accept, content_type, body, len, &resp, err);
    if (rc == 0 && out) {
        rc = ed_doc_parse_api_json(resp.body.data, resp.body.len, out, err);
        if (rc)
            ed_err_wrap(err, "%s %s: reply", method, path);
    }
    ed_kube_response_free(&resp);
    return rc;
}

static int call(ed_kube *kube, const char *method, const char *path, const char *content_type,
                const char *body, size_t len, ed_doc **out, ed_err *err)
{
    return call_as(kube, method, path, NULL, content_type, body, len, out, err);
}

int ed_kube_get(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                const char *name, ed_doc **out, ed_err *err)
{
    ed_kube_resource res = {0};
    if (out)
        *out = NULL;
    int rc = ed_kube_resource_for(kube, api_version, kind, &res, err);
    if (rc)
        return rc;
    char *path = ed_kube_path(&res, ns, name, NULL);
    rc = call(kube, "GET", path, NULL, NULL, 0, out, err);
    free(path);
    return rc;
}

int ed_kube_list_pages(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                       const ed_kube_opts *opts, ed_kube_page_fn fn, void *user, ed_err *err)
{
    ed_kube_resource res = {0};
    int rc = ed_kube_resource_for(kube, api_version, kind, &res, err);
    if (rc)
        return rc;
    char *base = ed_kube_path(&res, ns, NULL, NULL);
    int64_t limit = opts && opts->limit > 0 ? opts->limit : 500;
    char *cont = NULL;
    do {
        ed_buf path = ED_BUF_INIT(64 * 1024);
        ed_buf_append_str(&path, base);
        append_query(&path, opts, false);
        ed_buf_printf(&path, "%climit=%lld", strchr(path.data, '?') ? '&' : '?', (long long)limit);
        if (cont) {
            ed_buf_append_str(&path, "&continue=");
            append_escaped(&path, cont);
            free(cont);
            cont = NULL;
        }
        ed_doc *page = NULL;
        rc = call_as(kube, "GET", path.data,
                     opts && opts->metadata_only ? ED_KUBE_ACCEPT_METADATA_LIST : NULL, NULL, NULL,
                     0, &page, err);
        ed_buf_free(&path);
        if (rc)
            break;
        ed_node *root = ed_doc_root(page);
        /* The continue token of the page just fetched says whether more pages follow. */
        const char *next = ed_node_path_str(root, "/metadata/continue");
        if (next && *next)
            cont = ed_xstrdup(next);
        ed_node_remove(ed_node_get(root, "metadata"), "continue");
        rc = fn(page, !cont, user, err);
        if (rc) {
            free(cont);
            cont = NULL;
        }
    } while (cont);
    free(base);
    return rc;
}

struct gather {
    ed_doc *all;
    ed_node *items;
};

/* Gather pages into one list: the first page becomes the result, later ones add items. */
static int gather_page(ed_doc *page, bool last, void *user, ed_err *err)
{
    (void)last, (void)err;
    struct gather *g = user;
    ed_node *root = ed_doc_root(page);
    if (!g->all) {
        g->all = page;
        g->items = ed_node_get(root, "items");
        if (!g->items || ed_node_kind_of(g->items) != ED_NODE_SEQ) {
            g->items = ed_node_new_seq(page);
            ed_node_set(page, root, "items", g->items);
        }
        return 0;
    }
    ed_node *more = ed_node_get(root, "items");
    for (size_t i = 0; i < ed_node_len(more); i++)
        ed_node_append(g->all, g->items, ed_node_copy(g->all, ed_node_at(more, i)));
    /* The last page's resourceVersion describes the whole list. */
    ed_node *rv = ed_node_path(root, "/metadata/resourceVersion");
    if (rv)
        ed_node_set(g->all, ed_node_ensure_map(g->all, ed_doc_root(g->all), "/metadata"),
                    "resourceVersion", ed_node_copy(g->all, rv));
    ed_doc_free(page);
    return 0;
}

int ed_kube_list(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                 const ed_kube_opts *opts, ed_doc **out, ed_err *err)
{
    *out = NULL;
    struct gather g = {0};
    int rc = ed_kube_list_pages(kube, api_version, kind, ns, opts, gather_page, &g, err);
    if (rc) {
        ed_doc_free(g.all);
        return rc;
    }
    *out = g.all;
    return 0;
}

static int write_object(ed_kube *kube, const char *method, const ed_node *obj,
                        const ed_kube_opts *opts, bool with_name, const char *content_type,
                        ed_doc **out, ed_err *err)
{
    if (out)
        *out = NULL;
    ed_kube_resource res = {0};
    const char *ns, *name;
    int rc = object_target(kube, obj, &res, &ns, &name, err);
    if (rc)
        return rc;
    if (with_name && (!name || !*name))
        return ed_err_set(err, ED_EINVALID, "%s has no metadata.name", res.kind);
    char *p = ed_kube_path(&res, ns, with_name ? name : NULL,
                           opts && with_name ? opts->subresource : NULL);
    ed_buf path = ED_BUF_INIT(64 * 1024);
    ed_buf_append_str(&path, p);
    free(p);
    append_query(&path, opts, true);
    ed_buf body = ED_BUF_INIT((size_t)64 << 20);
    rc = ed_node_to_json(obj, &body);
    if (rc)
        rc = ed_err_set(err, rc, "%s/%s cannot be written as JSON", res.kind, name ? name : "");
    else
        rc = call(kube, method, path.data, content_type, body.data, body.len, out, err);
    ed_buf_free(&body);
    ed_buf_free(&path);
    return rc;
}

int ed_kube_create(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                   ed_err *err)
{
    return write_object(kube, "POST", obj, opts, false, "application/json", out, err);
}

int ed_kube_update(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                   ed_err *err)
{
    return write_object(kube, "PUT", obj, opts, true, "application/json", out, err);
}

int ed_kube_apply(ed_kube *kube, const ed_node *obj, const ed_kube_opts *opts, ed_doc **out,
                  ed_err *err)
{
    if (!opts || !opts->field_manager)
        return ed_err_set(err, ED_EINVALID, "server-side apply needs a field manager");
    /* JSON is YAML, so the object goes as JSON with the apply content type. */
    return write_object(kube, "PATCH", obj, opts, true, "application/apply-patch+yaml", out, err);
}

int ed_kube_patch(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                  const char *name, ed_kube_patch_type type, const char *patch, size_t len,
                  const ed_kube_opts *opts, ed_doc **out, ed_err *err)
{
    static const char *const types[] = {
        [ED_KUBE_PATCH_MERGE] = "application/merge-patch+json",
        [ED_KUBE_PATCH_JSON] = "application/json-patch+json",
        [ED_KUBE_PATCH_STRATEGIC] = "application/strategic-merge-patch+json",
        [ED_KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
    };
    if (out)
        *out = NULL;
    if ((unsigned)type >= sizeof(types) / sizeof(types[0]))
        return ed_err_set(err, ED_EINVALID, "unknown patch type %d", (int)type);
    ed_kube_resource res = {0};
    int rc = ed_kube_resource_for(kube, api_version, kind, &res, err);
    if (rc)
        return rc;
    char *p = ed_kube_path(&res, ns, name, opts ? opts->subresource : NULL);
    ed_buf path = ED_BUF_INIT(64 * 1024);
    ed_buf_append_str(&path, p);
    free(p);
    append_query(&path, opts, true);
    rc = call(kube, "PATCH", path.data, types[type], patch, len, out, err);
    ed_buf_free(&path);
    return rc;
}

int ed_kube_delete(ed_kube *kube, const char *api_version, const char *kind, const char *ns,
                   const char *name, const ed_kube_opts *opts, ed_err *err)
{
    ed_kube_resource res = {0};
    int rc = ed_kube_resource_for(kube, api_version, kind, &res, err);
    if (rc)
        return rc;
    char *p = ed_kube_path(&res, ns, name, NULL);
    ed_buf path = ED_BUF_INIT(64 * 1024);
    ed_buf_append_str(&path, p);
    free(p);
    if (opts && opts->dry_run)
        ed_buf_append_str(&path, "?dryRun=All");
    /* DeleteOptions in the body: propagation policy and preconditions. */
    ed_doc *d = ed_doc_new();
    ed_node *o = ed_node_new_map(d);
    ed_doc_set_root(d, o);
    ed_node_set(d, o, "apiVersion", ed_node_new_str(d, "v1"));
    ed_node_set(d, o, "kind", ed_node_new_str(d, "DeleteOptions"));
    if (opts && opts->propagation_policy)
        ed_node_set(d, o, "propagationPolicy", ed_node_new_str(d, opts->propagation_policy));
    /* With a body, the API server reads dryRun from it and ignores the query's. */
    if (opts && opts->dry_run) {
        ed_node *dry = ed_node_new_seq(d);
        ed_node_append(d, dry, ed_node_new_str(d, "All"));
        ed_node_set(d, o, "dryRun", dry);
    }
    if (opts && (opts->precondition_uid || opts->precondition_resource_version)) {
        ed_node *pre = ed_node_ensure_map(d, o, "/preconditions");
        if (opts->precondition_uid)
            ed_node_set(d, pre, "uid", ed_node_new_str(d, opts->precondition_uid));
        if (opts->precondition_resource_version)
            ed_node_set(d, pre, "resourceVersion",
                        ed_node_new_str(d, opts->precondition_resource_version));
    }
    ed_buf body = ED_BUF_INIT(64 * 1024);
    ed_node_to_json(o, &body);
    rc = call(kube, "DELETE", path.data, "application/json", body.data, body.len, NULL, err);
    ed_buf_free(&body);
    ed_buf_free(&path);
    ed_doc_free(d);
    return rc;
}
