#!/usr/bin/env python3
"""bench/kustomization/gen.py: the inputs of bench/kustomization/run.

  gen.py repo DIR N APPS_NS          N app directories DIR/apps/app-NNNN, each a kustomization.yaml
                                     and 4 objects (ServiceAccount, ConfigMap, Service, Deployment)
                                     in namespace APPS_NS
  gen.py ks FILE N KS_NS REPO_URL    the GitRepository "bench" (secretRef git-auth) and the N
                                     Kustomizations app-NNNN (path ./apps/app-NNNN) in KS_NS
  gen.py fluxks FILE N KS_NS REPO_NS TARGET_NS
                                     the N Kustomizations app-NNNN for Flux's own
                                     kustomize-controller (stage g): label shard=flux, the
                                     GitRepository REPO_NS/bench, targetNamespace TARGET_NS
  gen.py curl OUT N NS SERVER CDIR LOOPS KS_NS
                                     curl config files OUT0.cfg... (LOOPS of them): server-side
                                     applies (field manager kustomize-controller) of the same 4N
                                     objects in namespace NS, with the labels eddy adds; the apps
                                     are dealt round-robin, each app's 4 objects in order
  gen.py contract OUT N NS SERVER CDIR LOOPS KS_NS
                                     the same, with every request a reconcile of Flux's contract
                                     makes, in eddy's order: per app, the finalizer of
                                     Kustomization KS_NS/app-NNNN (merge patch), the 4 dry-runs,
                                     the 4 applies, the change-set Event (core v1, as Flux), the
                                     status (merge patch, eddy's fields) and the Event
                                     "Reconciliation finished"; and OUTunfinalize.cfg, which
                                     takes the N finalizers off again
"""
import json
import sys


def objects(i, ns):
    """The 4 objects of app i, as dicts, in kustomize's apply order."""
    name = "app-%04d" % i
    labels = {"app": name}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": name, "namespace": ns}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": name, "namespace": ns},
         "data": {"app.properties": "name=%s\nreplicas=1\nlog.level=info\n" % name,
                  "index": str(i)}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "namespace": ns},
         "spec": {"selector": labels,
                  "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": name, "namespace": ns},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"serviceAccountName": name,
                                        "containers": [{
                                            "name": "app", "image": "nginx:1.27",
                                            "ports": [{"containerPort": 8080}],
                                            "envFrom": [{"configMapRef": {"name": name}}],
                                            "resources": {"requests": {"cpu": "10m",
                                                                       "memory": "16Mi"}}}]}}}},
    ]


FILES = ["serviceaccount.yaml", "configmap.yaml", "service.yaml", "deployment.yaml"]


def gen_repo(d, n, ns):
    import os
    for i in range(n):
        app = os.path.join(d, "apps", "app-%04d" % i)
        os.makedirs(app, exist_ok=True)
        for f, o in zip(FILES, objects(i, ns)):
            with open(os.path.join(app, f), "w") as out:
                json.dump(o, out, indent=1)  # JSON is YAML
                out.write("\n")
        with open(os.path.join(app, "kustomization.yaml"), "w") as out:
            out.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                      "resources:\n" + "".join("- %s\n" % f for f in FILES))


def gen_ks(path, n, ns, url):
    with open(path, "w") as out:
        out.write("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                  "metadata: {name: bench, namespace: %s}\n"
                  "spec: {interval: 1h, url: '%s', ref: {branch: main}, secretRef: {name: git-auth}}\n"
                  % (ns, url))
        for i in range(n):
            out.write("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                      "metadata: {name: app-%04d, namespace: %s}\n"
                      "spec: {interval: 1h, path: ./apps/app-%04d, prune: true,"
                      " sourceRef: {kind: GitRepository, name: bench}}\n" % (i, ns, i))


def gen_fluxks(path, n, ns, repo_ns, target):
    with open(path, "w") as out:
        for i in range(n):
            out.write("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                      "metadata: {name: app-%04d, namespace: %s, labels: {shard: flux}}\n"
                      "spec: {interval: 1h, path: ./apps/app-%04d, prune: true,"
                      " targetNamespace: %s,"
                      " sourceRef: {kind: GitRepository, name: bench, namespace: %s}}\n"
                      % (i, ns, i, target, repo_ns))


def url_of(server, o):
    kind = o["kind"]
    ns = o["metadata"]["namespace"]
    name = o["metadata"]["name"]
    group = "/apis/apps/v1" if kind == "Deployment" else "/api/v1"
    plural = {"ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps",
              "Service": "services", "Deployment": "deployments"}[kind]
    return "%s%s/namespaces/%s/%s/%s?fieldManager=kustomize-controller" % (
        server, group, ns, plural, name)


REV = "main@sha1:" + "0" * 40


def curl_entry(f, first, url, method, ctype, body, cdir):
    if not first:
        f.write("next\n")
    f.write('url = "%s"\nrequest = "%s"\n'
            'header = "Content-Type: %s"\n'
            'header = "Accept: application/json"\n'
            "data-binary = %s\n"
            'cacert = "%s/ca.crt"\ncert = "%s/admin.crt"\nkey = "%s/admin.key"\n'
            'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
            % (url, method, ctype, json.dumps(json.dumps(body, separators=(",", ":"))),
               cdir, cdir, cdir))


def gen_curl(out, n, ns, server, cdir, loops, ks_ns):
    files = [open("%s%d.cfg" % (out, k), "w") for k in range(loops)]
    first = [True] * loops
    for i in range(n):
        k = i % loops
        for o in objects(i, ns):
            o["metadata"]["labels"] = {
                "kustomize.toolkit.fluxcd.io/name": "app-%04d" % i,
                "kustomize.toolkit.fluxcd.io/namespace": ks_ns}
            curl_entry(files[k], first[k], url_of(server, o), "PATCH",
                       "application/apply-patch+yaml", o, cdir)
            first[k] = False
    for f in files:
        f.close()


def gen_contract(out, n, ns, server, cdir, loops, ks_ns):
    """The floor with the requests Flux's contract adds (see the module's comment)."""
    ks_url = "%s/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/%s/kustomizations/" % (
        server, ks_ns)
    files = [open("%s%d.cfg" % (out, k), "w") for k in range(loops)]
    first = [True] * loops
    for i in range(n):
        k = i % loops
        f = files[k]
        name = "app-%04d" % i

        def req(url, method, ctype, body):
            curl_entry(f, first[k], url, method, ctype, body, cdir)
            first[k] = False

        req(ks_url + name, "PATCH", "application/merge-patch+json",
            {"metadata": {"finalizers": ["finalizers.fluxcd.io"]}})
        objs = objects(i, ns)
        for o in objs:
            o["metadata"]["labels"] = {"kustomize.toolkit.fluxcd.io/name": name,
                                       "kustomize.toolkit.fluxcd.io/namespace": ks_ns}
        for dry in (True, False):
            for o in objs:
                req(url_of(server, o) + "&force=true" + ("&dryRun=All" if dry else ""), "PATCH",
                    "application/apply-patch+yaml", o)
        ks_ref = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                  "name": name, "namespace": ks_ns}

        def event(suffix, reason, message):
            req("%s/api/v1/namespaces/%s/events" % (server, ks_ns), "POST", "application/json", {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": "%s.%016x%s" % (name, i, suffix), "namespace": ks_ns,
                             "annotations": {"kustomize.toolkit.fluxcd.io/revision": REV}},
                "involvedObject": ks_ref, "reason": reason, "message": message,
                "type": "Normal", "source": {"component": "kustomize-controller"},
                "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
                "count": 1, "reportingComponent": "kustomize-controller",
                "reportingInstance": "bench", "action": "Reconcile"})

        event("a", "Progressing",
              "\n".join("%s/%s/%s created" % (o["kind"], ns, name) for o in objs))
        group = {"Deployment": "apps"}
        entries = [{"id": "%s_%s_%s_%s" % (ns, name, group.get(o["kind"], ""), o["kind"]),
                    "v": "v1"} for o in objs]
        now = "2026-01-01T00:00:00Z"
        req(ks_url + name + "/status?fieldManager=gotk-kustomize-controller", "PATCH",
            "application/merge-patch+json", {"status": {
                "observedGeneration": 1, "lastAppliedRevision": REV,
                "lastAttemptedRevision": REV, "inventory": {"entries": entries},
                "history": [{"digest": "sha256:" + "1" * 64, "firstReconciled": now,
                             "lastReconciled": now, "lastReconciledDuration": "120.5ms",
                             "lastReconciledStatus": "ReconciliationSucceeded",
                             "totalReconciliations": 1, "metadata": {"revision": REV}}],
                "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                                "reason": "ReconciliationSucceeded",
                                "message": "Applied revision: " + REV,
                                "lastTransitionTime": now}]}})
        event("b", "ReconciliationSucceeded",
              "Reconciliation finished in 120.5ms, next run in 10m0s")
    for f in files:
        f.close()
    with open("%sunfinalize.cfg" % out, "w") as f:
        for i in range(n):
            curl_entry(f, i == 0, ks_url + "app-%04d" % i, "PATCH", "application/merge-patch+json",
                       {"metadata": {"finalizers": None}}, cdir)


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "repo":
        gen_repo(args[0], int(args[1]), args[2])
    elif what == "ks":
        gen_ks(args[0], int(args[1]), args[2], args[3])
    elif what == "fluxks":
        gen_fluxks(args[0], int(args[1]), args[2], args[3], args[4])
    elif what == "curl":
        gen_curl(args[0], int(args[1]), args[2], args[3], args[4], int(args[5]), args[6])
    elif what == "contract":
        gen_contract(args[0], int(args[1]), args[2], args[3], args[4], int(args[5]), args[6])
    else:
        sys.exit("gen.py: unknown command %s" % what)


if __name__ == "__main__":
    main()
