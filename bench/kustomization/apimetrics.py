#!/usr/bin/env python3
"""bench/kustomization/apimetrics.py: what the API server served in a window of the bench.

  apimetrics.py snap SERVER CDIR FILE [KCM]
                                          saves the API server's request counters (from its
                                          /metrics, admin client certificate) to FILE, and with
                                          KCM (the controller manager's https://host:port) the
                                          items its controllers' work queues took
  apimetrics.py diff FILE0 FILE1 [MIN]    prints, for each verb and resource with at least MIN
                                          (default 50) requests between the two snapshots,
                                          "verb resource[/subresource] count", largest first
  apimetrics.py compare A0 A1 B0 B1 [MIN] the same for two windows side by side:
                                          "verb resource count-in-A count-in-B"

The counters are apiserver_request_total (by verb, resource, subresource; dry-runs counted
apart) and apiserver_watch_events_total (events sent to watchers, by kind): the floor's window
and eddy's can then be compared request by request, rollout included. The controller manager's
workqueue_adds_total (by queue) tells which of its controllers had more to do.
"""
import json
import re
import ssl
import sys
import urllib.request

SAMPLE = re.compile(r'^(\w+)\{(.*)\} ([0-9.e+]+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def snap(server, cdir, path, kcm=None):
    ctx = ssl.create_default_context(cafile=cdir + "/ca.crt")
    ctx.load_cert_chain(cdir + "/admin.crt", cdir + "/admin.key")
    with urllib.request.urlopen(server + "/metrics", context=ctx, timeout=30) as r:
        text = r.read().decode()
    if kcm:  # its own serving certificate; /metrics is open to all (scripts/cluster)
        kctx = ssl._create_unverified_context()
        with urllib.request.urlopen(kcm + "/metrics", context=kctx, timeout=30) as r:
            text += "\n" + r.read().decode()
    counts = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2))), float(m.group(3))
        if name == "apiserver_request_total":
            res = labels.get("resource", "")
            if labels.get("subresource"):
                res += "/" + labels["subresource"]
            verb = labels.get("verb", "")
            if labels.get("dry_run"):
                verb += "(dry-run)"
            key = "%s %s" % (verb, res)
        elif name == "apiserver_watch_events_total":
            key = "watch-event %s" % labels.get("kind", labels.get("resource", ""))
        elif name == "workqueue_adds_total":
            key = "kcm-queue %s" % labels.get("name", "")
        else:
            continue
        counts[key] = counts.get(key, 0) + value
    with open(path, "w") as out:
        json.dump(counts, out)


def delta(a, b):
    with open(a) as f:
        before = json.load(f)
    with open(b) as f:
        after = json.load(f)
    return {k: after[k] - before.get(k, 0) for k in after}


def diff(a, b, least):
    d = delta(a, b)
    for n, k in sorted(((v, k) for k, v in d.items()), reverse=True):
        if n >= least:
            print("%s %d" % (k, n))


def compare(a0, a1, b0, b1, least):
    da, db = delta(a0, a1), delta(b0, b1)
    keys = set(da) | set(db)
    rows = sorted(((max(da.get(k, 0), db.get(k, 0)), k) for k in keys), reverse=True)
    for n, k in rows:
        if n >= least:
            print("%s %d %d" % (k, da.get(k, 0), db.get(k, 0)))


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "snap":
        snap(args[0], args[1], args[2], args[3] if len(args) > 3 else None)
    elif what == "diff":
        diff(args[0], args[1], int(args[2]) if len(args) > 2 else 50)
    elif what == "compare":
        compare(args[0], args[1], args[2], args[3], int(args[4]) if len(args) > 4 else 50)
    else:
        sys.exit("apimetrics.py: unknown command %s" % what)


if __name__ == "__main__":
    main()
