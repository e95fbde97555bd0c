#!/usr/bin/env python3
"""bench/source/gen.py COMMITS BYTES [START]: a git fast-import stream on stdout, for branch main.

The first commit (without START) lays out 50 apps of 5 YAML files and a data file each (300
files); each later commit rewrites one app's data file with BYTES bytes of fresh random hex (so
history grows by about half of BYTES a commit once compressed: BYTES=8000 and 5,000 commits give
about 20 MB) and bumps that app's Deployment. With START (a commit id), COMMITS commits are
added on top of it (the i-th numbered from a random base, so that reruns differ).
"""
import os
import sys

APPS = 50


def blob(out, data):
    out.write(b"data %d\n" % len(data))
    out.write(data)
    out.write(b"\n")


def app_files(a, version):
    n = "app-%02d" % a
    return {
        "apps/%s/kustomization.yaml" % n: b"resources:\n- deployment.yaml\n- service.yaml\n"
        b"- serviceaccount.yaml\n- configmap.yaml\n",
        "apps/%s/deployment.yaml" % n: (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  replicas: 1\n"
            "  selector:\n    matchLabels:\n      app: %s\n  template:\n    metadata:\n"
            "      labels:\n        app: %s\n    spec:\n      containers:\n      - name: app\n"
            "        image: ghcr.io/example/%s:1.0.%d\n" % (n, n, n, n, version)).encode(),
        "apps/%s/service.yaml" % n: (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  selector:\n"
            "    app: %s\n  ports:\n  - port: 80\n" % (n, n)).encode(),
        "apps/%s/serviceaccount.yaml" % n: (
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n" % n).encode(),
        "apps/%s/configmap.yaml" % n: (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  version: \"%d\"\n"
            % (n, version)).encode(),
    }


def commit(out, i, ts, files, parent):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer bench <bench@example.com> %d +0000\n" % ts)
    blob(out, b"commit %d\n" % i)
    if parent:
        out.write(b"from %s\n" % parent)
    for path, data in files.items():
        out.write(b"M 100644 inline %s\n" % path.encode())
        blob(out, data)


def main():
    commits, size = int(sys.argv[1]), int(sys.argv[2])
    start = sys.argv[3].encode() if len(sys.argv) > 3 else None
    out = sys.stdout.buffer
    ts = 1700000000
    base = int.from_bytes(os.urandom(3), "big") if start else 0
    for i in range(commits):
        if i == 0 and not start:
            files = {}
            for a in range(APPS):
                files.update(app_files(a, 0))
                files["apps/app-%02d/data.txt" % a] = os.urandom(size // 2).hex().encode()
            commit(out, 0, ts, files, None)
            continue
        a = (base + i) % APPS
        files = app_files(a, base + i)
        files["apps/app-%02d/data.txt" % a] = os.urandom(size // 2).hex().encode()
        commit(out, base + i, ts + base + i, files, start if i == 0 else None)


if __name__ == "__main__":
    main()
