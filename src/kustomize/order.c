/*
 * kustomize's default output order ("legacy" sortOptions): objects that others depend on come
 * first (Namespaces, quotas, storage classes, CRDs, service accounts, roles and bindings,
 * config maps and secrets, services, ...), webhook configurations last, everything else in
 * between. Within one rank objects are ordered by "group_version_kind" (an empty group written
 * "~G", which sorts after letters), then by namespace (none written "~X", sorting after every
 * namespace), then by name.
 */
#include "kustomize_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const order_first[] = {
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
};

static const char *const order_last[] = {
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Negative for the kinds that go first, positive for the last, 0 for the rest. */
static int rank(const char *kind)
{
    for (int i = 0; i < N(order_first); i++)
        if (strcmp(order_first[i], kind) == 0)
            return i - N(order_first);
    for (int i = 0; i < N(order_last); i++)
        if (strcmp(order_last[i], kind) == 0)
            return i + 1;
    return 0;
}

/* "group_version_kind" with kustomize's placeholders for empty parts; the caller frees it. */
static char *gvk_string(const ks_id *id)
{
    return ed_xasprintf("%.*s%s_%s_%s", (int)id->group_len, id->group, id->group_len ? "" : "~G",
                        *id->version ? id->version : "~V", *id->kind ? id->kind : "~K");
}

static int compare(const void *pa, const void *pb)
{
    const ks_res *a = pa, *b = pb;
    ks_id ia, ib;
    ks_id_of(ed_doc_root(a->doc), &ia);
    ks_id_of(ed_doc_root(b->doc), &ib);
    int ra = rank(ia.kind), rb = rank(ib.kind);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    char *ga = gvk_string(&ia), *gb = gvk_string(&ib);
    int c = strcmp(ga, gb);
    free(ga);
    free(gb);
    if (c)
        return c;
    c = strcmp(*ia.ns ? ia.ns : "~X", *ib.ns ? ib.ns : "~X");
    if (c)
        return c;
    return strcmp(ia.name, ib.name);
}

void ks_sort_legacy(ks_list *l)
{
    if (l->len > 1)
        qsort(l->items, l->len, sizeof(l->items[0]), compare);
}
