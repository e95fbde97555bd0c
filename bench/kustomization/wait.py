#!/usr/bin/env python3
"""bench/kustomization/wait.py SERVER CDIR NS N TIMEOUT [TOKEN]

Polls the Kustomizations of NS (one list a second, admin client certificate) until N of them are
Ready=True (and, with TOKEN, have status.lastHandledReconcileAt == TOKEN; with TOKEN "rev:R",
status.lastAppliedRevision == R). Prints the seconds
from start to the poll that saw them all, and exits 1 with the count reached on timeout.
"""
import json
import ssl
import sys
import time
import urllib.request


def done(item, token):
    st = item.get("status", {})
    if token.startswith("rev:"):
        if st.get("lastAppliedRevision") != token[4:]:
            return False
    elif token and st.get("lastHandledReconcileAt") != token:
        return False
    if st.get("observedGeneration") != item["metadata"].get("generation"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in st.get("conditions", []))


def main():
    server, cdir, ns, n, timeout = sys.argv[1:6]
    token = sys.argv[6] if len(sys.argv) > 6 else ""
    n, timeout = int(n), float(timeout)
    ctx = ssl.create_default_context(cafile=cdir + "/ca.crt")
    ctx.load_cert_chain(cdir + "/admin.crt", cdir + "/admin.key")
    url = "%s/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/%s/kustomizations" % (server, ns)
    t0 = time.monotonic()
    count = 0
    while time.monotonic() - t0 < timeout:
        with urllib.request.urlopen(url, context=ctx) as r:
            items = json.load(r)["items"]
        count = sum(1 for it in items if done(it, token))
        if count >= n:
            print("%.1f" % (time.monotonic() - t0))
            return 0
        time.sleep(1)
    print("timeout: %d of %d done" % (count, n), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
