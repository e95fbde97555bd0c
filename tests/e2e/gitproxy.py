#!/usr/bin/env python3
"""tests/e2e/gitproxy.py: a small forward proxy on 127.0.0.1 for the GitRepository proxy tests.

    gitproxy.py --ready-file FILE --log FILE [--user USER --password PASSWORD]

Speaks HTTP/1.1 as a forward proxy: `CONNECT host:port` opens a tunnel (HTTPS through the
proxy), and a request with an absolute URI (`GET http://host:port/path`) is forwarded to that
host, with its body, and the response streamed back. Only loopback targets are allowed. With
--user/--password, every request must carry `Proxy-Authorization: Basic ...` with them, else
407. Each request is logged as one line "METHOD TARGET STATUS" to --log, so a test can prove its
traffic went through the proxy. When listening it writes "port=PORT" to --ready-file
(atomically).
"""
import argparse
import base64
import os
import select
import socket
import socketserver
import threading

ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Handler(socketserver.StreamRequestHandler):
    def log_line(self, method, target, status):
        with self.server.log_lock, open(self.server.log_path, "a") as f:
            f.write(f"{method} {target} {status}\n")

    def read_head(self):
        line = self.rfile.readline(65537)
        if not line:
            return None, None
        headers = []
        while True:
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            headers.append(h.decode("latin-1").rstrip("\r\n"))
        return line.decode("latin-1").rstrip("\r\n"), headers

    def reply(self, status, text):
        body = text.encode()
        self.wfile.write(
            f"HTTP/1.1 {status} {text}\r\nContent-Length: {len(body)}\r\n".encode()
            + (b'Proxy-Authenticate: Basic realm="gitproxy"\r\n' if status == 407 else b"")
            + b"Connection: close\r\n\r\n"
            + body
        )

    def authorized(self, headers):
        if not self.server.credentials:
            return True
        want = "Basic " + base64.b64encode(self.server.credentials.encode()).decode()
        return any(
            h.split(":", 1)[0].strip().lower() == "proxy-authorization"
            and h.split(":", 1)[1].strip() == want
            for h in headers
        )

    def handle(self):
        while True:
            line, headers = self.read_head()
            if not line:
                return
            method, target, _ = line.split(" ", 2)
            if not self.authorized(headers):
                self.log_line(method, target, 407)
                self.reply(407, "Proxy Authentication Required")
                return
            if method == "CONNECT":
                self.tunnel(target)
                return
            if not self.forward(method, target, headers):
                return

    def target_ok(self, host):
        return host.strip("[]") in ALLOWED_HOSTS

    def tunnel(self, target):
        host, port = target.rsplit(":", 1)
        if not self.target_ok(host):
            self.log_line("CONNECT", target, 403)
            self.reply(403, "Forbidden")
            return
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        self.log_line("CONNECT", target, 200)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        pipe(self.connection, upstream)

    def forward(self, method, target, headers):
        if not target.startswith("http://"):
            self.reply(400, "Bad Request")
            return False
        rest = target[len("http://"):]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "80")
        if not self.target_ok(host):
            self.log_line(method, target, 403)
            self.reply(403, "Forbidden")
            return False
        length = 0
        out = []
        for h in headers:
            name = h.split(":", 1)[0].strip().lower()
            if name == "content-length":
                length = int(h.split(":", 1)[1])
            if name in ("proxy-authorization", "proxy-connection", "connection", "keep-alive"):
                continue
            out.append(h)
        chunked = any(
            h.split(":", 1)[0].strip().lower() == "transfer-encoding" and "chunked" in h.lower()
            for h in headers
        )
        body = self.read_chunked() if chunked else self.rfile.read(length)
        if chunked:
            out = [h for h in out if h.split(":", 1)[0].strip().lower() != "transfer-encoding"]
            out.append(f"Content-Length: {len(body)}")
        upstream = socket.create_connection((host, int(port)), timeout=60)
        req = f"{method} /{path} HTTP/1.1\r\n" + "".join(o + "\r\n" for o in out)
        req += "Connection: close\r\n\r\n"
        upstream.sendall(req.encode("latin-1") + body)
        # Read the whole response (the upstream closes), then relay it with its status.
        data = b""
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            data += chunk
        upstream.close()
        status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "502"
        self.log_line(method, target, status)
        head, _, rest_body = data.partition(b"\r\n\r\n")
        lines = [
            l for l in head.split(b"\r\n")
            if not l.lower().startswith(b"connection:")
        ]
        self.wfile.write(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + rest_body)
        self.wfile.flush()
        return False

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return body
            body += self.rfile.read(size)
            self.rfile.readline()


def pipe(a, b):
    socks = [a, b]
    try:
        while True:
            readable, _, _ = select.select(socks, [], [], 60)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    finally:
        b.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.log_path = args.log
    srv.log_lock = threading.Lock()
    srv.credentials = f"{args.user}:{args.password}" if args.user else None
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"port={srv.server_address[1]}\n")
    os.rename(tmp, args.ready_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
