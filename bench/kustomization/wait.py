#!/usr/bin/env python3
"""bench/kustomization/wait.py SERVER CDIR NS N TIMEOUT [TOKEN]

Waits until N Kustomizations of NS are Ready=True (and, with TOKEN, have
status.lastHandledReconcileAt == TOKEN; with TOKEN "rev:R", status.lastAppliedRevision == R),
watching them with the admin client certificate: one list, then a watch from its
resourceVersion (listed again if the watch ends or expires). Prints the seconds from start to
the event that completed the count, and exits 1 with the count reached on timeout.

A watch, not a poll: listing 1,000 Kustomizations every second cost the API server (and this
process) CPU that the agent under measurement competes for, and rounded the time up to the
next poll.
"""
import json
import ssl
import sys
import time
import urllib.error
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
    state = {}  # name -> done

    def count():
        return sum(1 for v in state.values() if v)

    while time.monotonic() - t0 < timeout:
        with urllib.request.urlopen(url, context=ctx) as r:
            listed = json.load(r)
        state = {it["metadata"]["name"]: done(it, token) for it in listed["items"]}
        if count() >= n:
            print("%.1f" % (time.monotonic() - t0))
            return 0
        left = max(1, int(timeout - (time.monotonic() - t0)))
        watch = "%s?watch=1&resourceVersion=%s&timeoutSeconds=%d" % (
            url, listed["metadata"]["resourceVersion"], left)
        try:
            with urllib.request.urlopen(watch, context=ctx, timeout=left + 30) as r:
                for line in r:
                    ev = json.loads(line)
                    obj = ev.get("object", {})
                    if ev.get("type") == "ERROR":
                        break  # expired: list again
                    name = obj.get("metadata", {}).get("name")
                    if ev.get("type") == "DELETED":
                        state.pop(name, None)
                    elif name:
                        state[name] = done(obj, token)
                    if count() >= n:
                        print("%.1f" % (time.monotonic() - t0))
                        return 0
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)  # the watch broke: list again
    print("timeout: %d of %d done" % (count(), n), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
