/*
 * What the C programs of the end-to-end tests share: a client of the cluster $KUBECONFIG names
 * (the one tests/e2e/run started) and a namespace of the program's own in it. Each program is
 * one file that includes this header, so its functions are static inline.
 */
#ifndef ED_TESTS_E2E_H
#define ED_TESTS_E2E_H

#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* e2e_kube: a new client of the cluster $KUBECONFIG names (the caller frees it with
 * ed_kube_free); NULL, the reason on stderr, when $KUBECONFIG is unset or unusable. */
static inline ed_kube *e2e_kube(void)
{
    ed_kube_load_opts lo = {.kubeconfig = getenv("KUBECONFIG")};
    ed_kube_config *cfg = NULL;
    ed_kube *k = NULL;
    ed_err err = ED_ERR_INIT;
    if (!lo.kubeconfig)
        fprintf(stderr, "KUBECONFIG is not set: run with tests/e2e/run\n");
    else if (ed_kube_config_load(&lo, &cfg, &err) != 0 || ed_kube_new(cfg, &k, &err) != 0)
        fprintf(stderr, "client of $KUBECONFIG: %s\n", err.msg);
    ed_kube_config_free(cfg);
    return k;
}

/* e2e_namespace: creates the namespace PREFIX-<pid> with K and writes its name into NS (CAP
 * bytes). 0, or -1 with the reason on stderr. */
static inline int e2e_namespace(ed_kube *k, const char *prefix, char *ns, size_t cap)
{
    snprintf(ns, cap, "%s-%d", prefix, (int)getpid());
    char text[256];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
    ed_doc *d = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_doc_parse_json(text, strlen(text), &d, &err);
    if (rc == 0)
        rc = ed_kube_create(k, ed_doc_root(d), NULL, NULL, &err);
    ed_doc_free(d);
    if (rc != 0) {
        fprintf(stderr, "creating namespace %s: %s\n", ns, err.msg);
        return -1;
    }
    return 0;
}

#endif
