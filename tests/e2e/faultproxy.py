#!/usr/bin/env python3
"""tests/e2e/faultproxy.py: a fault-injecting HTTPS proxy in front of a test cluster's API server.

    faultproxy.py --cluster-dir DIR [--ready-file FILE] [--workdir DIR]

Listens on a free 127.0.0.1 port with a certificate it signs at startup with the cluster's CA
(DIR/ca.crt, DIR/ca.key; SAN IP:127.0.0.1), offering only http/1.1 in ALPN, and forwards every
request to the real API server (https://127.0.0.1:<DIR/port>) as the cluster admin (DIR/admin.crt,
admin.key). Clients connect with the cluster CA and no credentials (an Authorization header is
dropped; impersonation headers pass). Responses are streamed: a watch is forwarded chunk by
chunk as the API server flushes it.

When ready it prints "faultproxy https://127.0.0.1:PORT control http://127.0.0.1:CPORT" on stdout
and, with --ready-file, writes "port=PORT" and "control=CPORT" lines to FILE (atomically).

Faults are set at run time on the control port (plain HTTP, JSON bodies). A request is matched
by a Python regular expression searched in "METHOD TARGET" ("GET /api/v1/namespaces?limit=500").

  POST /fault  {"match": RE, "action": A, "count": N, "status": S, "retry_after": SECS}
      The next N matching requests (-1: all, until reset; default 1) get action A:
        "drop"                the request is read, then the connection closes without a reply
        "drop-after-forward"  the request reaches the API server, its reply is thrown away and
                              the connection closes (the client cannot know it was done)
        "status"              an HTTP status S (429, 500, 503...) with a Kubernetes Status body
                              and, when retry_after is set, a Retry-After header
        "delay"               the request is held for "seconds" (a float), then forwarded
      Rules are tried in the order they were added; the first with matches left applies.
  POST /cut    {"match": RE, "after_events": K, "count": N, "mid_line": true}
      The next N matching watch streams (-1, the default: all) are cut after K events (lines):
      with mid_line, part of event K+1 is sent before the connection closes; without it the
      connection closes on the line boundary. Either way without the final chunk.
  POST /refuse {"seconds": S}
      Every open connection is closed at once and new ones are refused (the port does not
      listen) for S seconds: an API server restart as clients see it. Returns once refusing.
  POST /reset  clears rules, cuts and the request log
  GET  /count?match=RE   {"count": N, "faulted": F}: requests seen (since the last reset) that
      match RE, and how many of them got a fault
  GET  /overlap?match=RE   {"overlap": N}: the most requests matching RE (since the last
      reset) that were in the proxy at one time, from their arrival to their reply's end
  GET  /log    the request log: [{"seq", "method", "target", "version", "fault", "start",
      "end"}...] (start and end: the proxy's monotonic clock; end null while in flight)

HTTP/1.1 only (no Upgrade: exec, attach and port-forward do not pass). Standard library only.
Stops on SIGTERM or SIGINT and removes its working files (unless --workdir named them).
"""

import argparse
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Headers that describe one hop, not the message: never forwarded as they are.
HOP_HEADERS = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
    "upgrade", "proxy-authorization", "proxy-authenticate", "content-length",
}
MAX_HEADER_LINE = 65536
MAX_HEADERS = 200
UPSTREAM_IDLE_SECONDS = 10  # reuse an upstream connection only if used this recently


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


class State:
    """Rules, cuts, the request log and the open connections, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.cuts = []
        self.entries = []
        self.seq = 0
        self.conns = set()  # sockets to close on /refuse

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.cuts.clear()
            self.entries.clear()

    def record(self, method, target, version):
        with self.lock:
            self.seq += 1
            e = {"seq": self.seq, "method": method, "target": target, "version": version,
                 "fault": None, "start": time.monotonic(), "end": None}
            self.entries.append(e)
            return e

    def take(self, table, line):
        """The first rule of table matching line with uses left, its use counted; or None."""
        with self.lock:
            for r in table:
                if r["left"] != 0 and r["re"].search(line):
                    if r["left"] > 0:
                        r["left"] -= 1
                    r["used"] += 1
                    return dict(r)
        return None

    def add(self, table, rule):
        with self.lock:
            table.append(rule)
            return len(table)

    def track(self, sock):
        with self.lock:
            self.conns.add(sock)

    def untrack(self, sock):
        with self.lock:
            self.conns.discard(sock)

    def close_all(self):
        with self.lock:
            socks = list(self.conns)
            self.conns.clear()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


STATE = State()


def status_body(code, reason, message):
    return json.dumps({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    }).encode()


REASONS = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}


class ClientGone(Exception):
    pass


def read_request(rfile, send):
    """(method, target, version, [(name, value)], body) of the next request, or None at EOF.
    send(bytes) answers "Expect: 100-continue" before the body is read."""
    line = rfile.readline(MAX_HEADER_LINE + 1)
    while line in (b"\r\n", b"\n"):  # tolerate stray empty lines between requests
        line = rfile.readline(MAX_HEADER_LINE + 1)
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ClientGone(f"not an HTTP/1.x request line: {line[:80]!r}")
    method, target, version = parts
    headers = []
    while True:
        h = rfile.readline(MAX_HEADER_LINE + 1)
        if not h:
            raise ClientGone("EOF in headers")
        if h in (b"\r\n", b"\n"):
            break
        if len(headers) >= MAX_HEADERS:
            raise ClientGone("too many headers")
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    lower = {n.lower(): v for n, v in headers}
    if lower.get("expect", "").lower() == "100-continue":
        send(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = b""
    if "chunked" in lower.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int(rfile.readline(MAX_HEADER_LINE).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(MAX_HEADER_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            chunks.append(rfile.read(size))
            rfile.readline(MAX_HEADER_LINE)
        body = b"".join(chunks)
    elif "content-length" in lower:
        n = int(lower["content-length"])
        body = rfile.read(n)
        if len(body) != n:
            raise ClientGone("EOF in body")
    return method, target, version, headers, body


class Upstream:
    """One connection to the API server as the admin, reused while fresh."""

    def __init__(self, port, ctx):
        self.port, self.ctx = port, ctx
        self.conn = None
        self.used_at = 0.0

    def get(self):
        if self.conn is None or time.monotonic() - self.used_at > UPSTREAM_IDLE_SECONDS:
            self.close()
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx)
            self.conn.connect()
            STATE.track(self.conn.sock)
        return self.conn

    def done(self):
        self.used_at = time.monotonic()

    def close(self):
        if self.conn is not None:
            if self.conn.sock is not None:
                STATE.untrack(self.conn.sock)
            self.conn.close()
            self.conn = None


class Client:
    """One client connection: requests in sequence (keep-alive), each forwarded or faulted."""

    def __init__(self, raw, server_ctx, upstream_port, upstream_ctx):
        self.raw = raw
        self.server_ctx = server_ctx
        self.upstream = Upstream(upstream_port, upstream_ctx)

    def send(self, data):
        try:
            self.tls.sendall(data)
        except OSError as e:
            raise ClientGone(str(e)) from e

    def serve(self):
        # wrap_socket detaches raw: from then on the TLS socket is the one to track and close.
        self.sock = self.raw
        STATE.track(self.sock)
        rfile = None
        try:
            self.tls = self.server_ctx.wrap_socket(self.raw, server_side=True,
                                                   do_handshake_on_connect=False)
            STATE.untrack(self.sock)
            self.sock = self.tls
            STATE.track(self.sock)
            self.tls.do_handshake()
            rfile = self.tls.makefile("rb")
            while True:
                req = read_request(rfile, self.send)
                if req is None:
                    break
                if not self.handle(*req):
                    break
        except (ClientGone, OSError, ssl.SSLError, ValueError, http.client.HTTPException) as e:
            log(f"connection ends: {e}")
        finally:
            self.upstream.close()
            STATE.untrack(self.sock)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if rfile is not None:
                rfile.close()
            self.sock.close()

    def handle(self, method, target, version, headers, body):
        """Serve one request; False when the connection must close."""
        entry = STATE.record(method, target, version)
        try:
            return self.serve_one(entry, method, target, version, headers, body)
        finally:
            with STATE.lock:
                entry["end"] = time.monotonic()

    def serve_one(self, entry, method, target, version, headers, body):
        line = f"{method} {target}"
        wants_close = version == "HTTP/1.0" or any(
            n.lower() == "connection" and "close" in v.lower() for n, v in headers)
        rule = STATE.take(STATE.rules, line)
        if rule and rule["action"] == "delay":
            entry["fault"] = f"delay {rule['seconds']}"
            log(f"#{entry['seq']} {line} -> held {rule['seconds']}s")
            time.sleep(rule["seconds"])
            rule = None
        if rule:
            entry["fault"] = rule["action"] if rule["action"] != "status" else str(rule["status"])
            log(f"#{entry['seq']} {line} -> fault {entry['fault']}")
            if rule["action"] == "drop":
                return False
            if rule["action"] == "drop-after-forward":
                resp = self.forward(method, target, headers, body)
                resp.read()
                return False
            code = rule["status"]
            payload = status_body(code, REASONS.get(code, "InternalError"),
                                  f"faultproxy: injected {code}")
            head = [f"HTTP/1.1 {code} {http.client.responses.get(code, 'Error')}",
                    "Content-Type: application/json", f"Content-Length: {len(payload)}"]
            if rule.get("retry_after") is not None:
                head.append(f"Retry-After: {rule['retry_after']}")
            if wants_close:
                head.append("Connection: close")
            self.send(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            return not wants_close

        cut = None
        query = parse_qs(urlsplit(target).query)
        if query.get("watch", [""])[0] in ("1", "true"):
            cut = STATE.take(STATE.cuts, line)
            if cut:
                entry["fault"] = f"cut after {cut['after_events']}"
        try:
            resp = self.forward(method, target, headers, body)
        except (OSError, http.client.HTTPException) as e:
            # The API server is unreachable: the client sees a broken connection, as it would.
            log(f"#{entry['seq']} {line} -> upstream failed: {e}")
            entry["fault"] = "upstream"
            return False
        log(f"#{entry['seq']} {line} -> {resp.status}" + (f" ({entry['fault']})" if cut else ""))
        return self.relay(method, resp, cut, wants_close)

    def forward(self, method, target, headers, body):
        conn = self.upstream.get()
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for n, v in headers:
            if n.lower() in HOP_HEADERS or n.lower() in ("authorization", "expect"):
                continue
            conn.putheader(n, v)
        if body or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        return resp

    def relay(self, method, resp, cut, wants_close):
        """Stream resp to the client; with cut, close after cut['after_events'] lines."""
        has_body = method != "HEAD" and resp.status not in (204, 304) and resp.status >= 200
        length = resp.getheader("Content-Length")
        chunked = has_body and (resp.chunked or length is None)
        head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        for n, v in resp.getheaders():
            if n.lower() not in HOP_HEADERS:
                head.append(f"{n}: {v}")
        if chunked:
            head.append("Transfer-Encoding: chunked")
        elif has_body:
            head.append(f"Content-Length: {length}")
        # A reply without a length goes out chunked, so the client's connection can stay open.
        close = wants_close
        if close:
            head.append("Connection: close")
        self.send(("\r\n".join(head) + "\r\n\r\n").encode())

        def out(data):
            if not data:
                return
            self.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

        events = 0
        cutting = False  # the K-th event went out: cut at the next opportunity
        while has_body:
            data = resp.read1(65536)
            if not data:
                break
            if cut and not cutting:
                pos = 0
                while events < cut["after_events"]:
                    nl = data.find(b"\n", pos)
                    if nl < 0:
                        break
                    events += 1
                    pos = nl + 1
                if events < cut["after_events"]:
                    out(data)
                    continue
                out(data[:pos])
                data = data[pos:]
                cutting = True
                if not cut["mid_line"]:
                    break
                if not data:
                    continue  # wait for the next event, to cut into it
            if cutting:
                nl = data.find(b"\n")
                line_len = nl if nl >= 0 else len(data)
                out(data[:max(1, line_len // 2)])
                break
            out(data)
        if cut and cutting:
            log(f"cut the watch after {events} events" + (" mid-line" if cut["mid_line"] else ""))
            self.upstream.close()
            return False  # no final chunk: the stream breaks
        # read1() does not mark a length-delimited reply finished when it ends exactly: close it
        # so the upstream connection takes the next request.
        resp.close()
        if chunked:
            self.send(b"0\r\n\r\n")
        self.upstream.done()
        if resp.will_close:
            self.upstream.close()
        return not close


class Proxy:
    def __init__(self, args):
        d = args.cluster_dir
        with open(os.path.join(d, "port")) as f:
            self.upstream_port = int(f.read().strip())
        self.workdir = args.workdir or tempfile.mkdtemp(prefix="faultproxy.")
        self.own_workdir = args.workdir is None
        os.makedirs(self.workdir, exist_ok=True)
        crt, key = os.path.join(self.workdir, "proxy.crt"), os.path.join(self.workdir, "proxy.key")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-keyout", key, "-out", crt, "-subj", "/CN=eddy-faultproxy",
             "-CA", os.path.join(d, "ca.crt"), "-CAkey", os.path.join(d, "ca.key"),
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-addext", "extendedKeyUsage=serverAuth",
             "-addext", "basicConstraints=critical,CA:FALSE"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(crt, key)
        self.server_ctx.set_alpn_protocols(["http/1.1"])
        self.upstream_ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
        self.upstream_ctx.load_cert_chain(os.path.join(d, "admin.crt"), os.path.join(d, "admin.key"))
        self.upstream_ctx.set_alpn_protocols(["http/1.1"])
        self.lock = threading.Lock()
        self.lsock = self.listen(0)
        self.port = self.lsock.getsockname()[1]

    def listen(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        return s

    def refuse(self, seconds):
        with self.lock:
            s, self.lsock = self.lsock, None
        if s is not None:
            s.close()
        STATE.close_all()
        log(f"refusing connections for {seconds}s")

        def reopen():
            time.sleep(seconds)
            with self.lock:
                if self.lsock is None:
                    self.lsock = self.listen(self.port)
            log("accepting connections again")

        threading.Thread(target=reopen, daemon=True).start()

    def serve_forever(self):
        while True:
            with self.lock:
                s = self.lsock
            if s is None:
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select([s], [], [], 0.2)
                if not ready:
                    continue
                raw, _ = s.accept()
            except (OSError, ValueError):
                continue  # closed by refuse() meanwhile
            c = Client(raw, self.server_ctx, self.upstream_port, self.upstream_ctx)
            threading.Thread(target=c.serve, daemon=True).start()

    def cleanup(self):
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def control_handler(proxy):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def reply(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"{}")

        def do_GET(self):
            u = urlsplit(self.path)
            q = parse_qs(u.query)
            if u.path == "/count":
                try:
                    r = re.compile(q.get("match", [""])[0])
                except re.error as e:
                    return self.reply(400, {"error": str(e)})
                with STATE.lock:
                    hits = [e for e in STATE.entries if r.search(f"{e['method']} {e['target']}")]
                    return self.reply(200, {"count": len(hits),
                                            "faulted": sum(1 for e in hits if e["fault"])})
            if u.path == "/overlap":
                try:
                    r = re.compile(q.get("match", [""])[0])
                except re.error as e:
                    return self.reply(400, {"error": str(e)})
                now = time.monotonic()
                with STATE.lock:
                    spans = [(e["start"], e["end"] if e["end"] is not None else now)
                             for e in STATE.entries if r.search(f"{e['method']} {e['target']}")]
                # a sweep over arrivals (+1) and ends (-1); at a tie the end goes first
                points = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans],
                                key=lambda p: (p[0], p[1]))
                most = cur = 0
                for _, d in points:
                    cur += d
                    most = max(most, cur)
                return self.reply(200, {"overlap": most})
            if u.path == "/log":
                with STATE.lock:
                    return self.reply(200, list(STATE.entries))
            self.reply(404, {"error": "unknown path"})

        def do_POST(self):
            try:
                b = self.body()
                if self.path == "/fault":
                    action = b.get("action", "drop")
                    if action not in ("drop", "drop-after-forward", "status", "delay"):
                        raise ValueError(f"unknown action {action}")
                    rule = {"re": re.compile(b["match"]), "action": action,
                            "status": int(b.get("status", 500)),
                            "seconds": float(b.get("seconds", 0)),
                            "retry_after": b.get("retry_after"),
                            "left": int(b.get("count", 1)), "used": 0}
                    n = STATE.add(STATE.rules, rule)
                    log(f"fault {n}: {b}")
                    return self.reply(200, {"id": n})
                if self.path == "/cut":
                    rule = {"re": re.compile(b["match"]),
                            "after_events": int(b.get("after_events", 1)),
                            "mid_line": bool(b.get("mid_line", True)),
                            "left": int(b.get("count", -1)), "used": 0}
                    n = STATE.add(STATE.cuts, rule)
                    log(f"cut {n}: {b}")
                    return self.reply(200, {"id": n})
                if self.path == "/refuse":
                    proxy.refuse(float(b.get("seconds", 3)))
                    return self.reply(200, {})
                if self.path == "/reset":
                    STATE.reset()
                    log("reset")
                    return self.reply(200, {})
                self.reply(404, {"error": "unknown path"})
            except (ValueError, KeyError, re.error) as e:
                self.reply(400, {"error": str(e)})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cluster-dir", required=True, help="the cluster's directory (scripts/cluster)")
    ap.add_argument("--ready-file", help="write port= and control= lines here when ready")
    ap.add_argument("--workdir", help="where to keep the proxy's certificate (default: a temp dir)")
    args = ap.parse_args()

    proxy = Proxy(args)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), control_handler(proxy))
    ctl.daemon_threads = True
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    cport = ctl.server_address[1]
    print(f"faultproxy https://127.0.0.1:{proxy.port} control http://127.0.0.1:{cport}",
          flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"port={proxy.port}\ncontrol={cport}\n")
        os.rename(tmp, args.ready_file)
    try:
        proxy.serve_forever()
    finally:
        proxy.cleanup()


if __name__ == "__main__":
    main()
