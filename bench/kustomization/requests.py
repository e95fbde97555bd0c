#!/usr/bin/env python3
"""bench/kustomization/requests.py SERVER CDIR NS N CONC

What one request of each kind a Kustomization reconcile makes costs the control plane: N
requests of a kind, CONC at a time (one keep-alive connection each, admin client certificate),
and the CPU (utime+stime) kube-apiserver and etcd used meanwhile, read from the pid files in
CDIR. The kinds: a server-side apply creating a ServiceAccount (what the floor makes), its
dry-run, and the requests eddy adds to the applies: the finalizer (a merge patch of a
Kustomization), the status (a merge patch of its status) and the Event. The Kustomizations are
created first in NS (not measured). Prints one line per kind: "kind ms-wall cpu-ms-per-request".
Run with no agent watching NS: it would reconcile these Kustomizations meanwhile.
"""
import http.client
import json
import ssl
import sys
import threading
import time

REV = "main@sha1:" + "0" * 40


def main():
    server, cdir, ns, n, conc = sys.argv[1:6]
    n, conc = int(n), int(conc)
    host, port = server.split("//", 1)[1].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cdir + "/ca.crt")
    ctx.load_cert_chain(cdir + "/admin.crt", cdir + "/admin.key")
    hz = 100

    def cpu():
        total = 0.0
        for proc in ("kube-apiserver", "etcd"):
            pid = open("%s/%s.pid" % (cdir, proc)).read().strip()
            fields = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / hz
        return total

    def run(make, count):
        """count requests from make(i) -> (method, path, content type, body); CONC at a time."""
        errors = []

        def worker(k):
            c = http.client.HTTPSConnection(host, int(port), context=ctx)
            for i in range(k, count, conc):
                method, path, ctype, body = make(i)
                c.request(method, path, body=body, headers={"Content-Type": ctype})
                r = c.getresponse()
                r.read()
                if r.status >= 300:
                    errors.append("%s %s: %d" % (method, path, r.status))
            c.close()

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            sys.exit("requests.py: %d failed, first: %s" % (len(errors), errors[0]))

    def settle():
        for _ in range(30):
            a = cpu()
            time.sleep(1)
            if cpu() - a < 0.15:
                return

    ks_path = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/%s/kustomizations" % ns

    def ks(i):
        return ("POST", ks_path, "application/json", json.dumps({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "cost-%04d" % i, "namespace": ns},
            "spec": {"interval": "1h", "path": "./apps/app-%04d" % i, "prune": True,
                     "sourceRef": {"kind": "GitRepository", "name": "bench"}}}))

    def sa(prefix, dry):
        def make(i):
            name = "%s-%04d" % (prefix, i)
            q = "?fieldManager=kustomize-controller&force=true" + ("&dryRun=All" if dry else "")
            return ("PATCH", "/api/v1/namespaces/%s/serviceaccounts/%s%s" % (ns, name, q),
                    "application/apply-patch+yaml", json.dumps({
                        "apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": name, "namespace": ns,
                                     "labels": {"kustomize.toolkit.fluxcd.io/name": name,
                                                "kustomize.toolkit.fluxcd.io/namespace": ns}}}))
        return make

    def finalizer(i):
        return ("PATCH", "%s/cost-%04d" % (ks_path, i), "application/merge-patch+json",
                json.dumps({"metadata": {"finalizers": ["finalizers.fluxcd.io"]}}))

    def status(i):
        name = "app-%04d" % i
        entries = [{"id": "%s_%s_%s" % (ns, name, k), "v": v} for k, v in
                   (("_ServiceAccount", "v1"), ("_ConfigMap", "v1"), ("_Service", "v1"),
                    ("apps_Deployment", "v1"))]
        return ("PATCH", "%s/cost-%04d/status" % (ks_path, i), "application/merge-patch+json",
                json.dumps({"status": {
                    "observedGeneration": 1, "lastAppliedRevision": REV,
                    "lastAttemptedRevision": REV, "inventory": {"entries": entries},
                    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                                    "reason": "ReconciliationSucceeded",
                                    "message": "Applied revision: " + REV,
                                    "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))

    def event(i):
        return ("POST", "/api/v1/namespaces/%s/events" % ns, "application/json",
                json.dumps({
                    "apiVersion": "v1", "kind": "Event",
                    "metadata": {"name": "cost-%04d.%x" % (i, time.time_ns()), "namespace": ns},
                    "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                                       "kind": "Kustomization", "name": "cost-%04d" % i,
                                       "namespace": ns},
                    "reason": "Progressing", "type": "Normal",
                    "message": "ServiceAccount/%s/app-%04d created" % (ns, i),
                    "source": {"component": "kustomize-controller"},
                    "firstTimestamp": "2026-01-01T00:00:00Z",
                    "lastTimestamp": "2026-01-01T00:00:00Z", "count": 1,
                    "reportingComponent": "kustomize-controller", "reportingInstance": "bench",
                    "action": "Reconcile"}))

    run(ks, n)
    for name, make in (("serviceaccount-apply", sa("cost", False)),
                       ("serviceaccount-dry-run", sa("cost-dry", True)),
                       ("kustomization-finalizer", finalizer),
                       ("kustomization-status", status),
                       ("event", event)):
        settle()
        c0, t0 = cpu(), time.monotonic()
        run(make, n)
        wall = time.monotonic() - t0
        time.sleep(0.5)  # what the requests left (watch fan-out) counts too
        print("%s %.0f %.2f" % (name, wall * 1000, (cpu() - c0) * 1000 / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
