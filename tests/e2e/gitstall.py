#!/usr/bin/env python3
"""tests/e2e/gitstall.py: Git servers that stall, for the spec.timeout tests.

Three listeners on 127.0.0.1, their ports written to --ready-file as `silent=PORT`,
`http=PORT` and `push=PORT`:
  silent  accepts every connection and never sends a byte (neither HTTP nor an SSH banner);
  http    answers git's smart-HTTP ref advertisement for the bare repository --repo (made by
          `git upload-pack --advertise-refs`), then accepts the upload-pack POST, reads it and
          never answers: the fetch stalls after the ref listing.
  push    a working smart-HTTP server for fetching --repo (ref advertisements, and upload-pack
          POSTs answered by `git upload-pack --stateless-rpc`) that advertises receive-pack,
          then accepts the receive-pack POST and never answers: a push stalls after a fetch
          that worked (the ImageUpdateAutomation timeout test).
Every connection is counted in --ready-file's directory as `<listener>.count` (one line per
connection), so a test can see that the client came back after a timeout.
"""
import argparse
import os
import socket
import subprocess
import threading


def count(workdir, name):
    with open(os.path.join(workdir, name + ".count"), "a") as f:
        f.write("x\n")


def silent(conn, args):
    count(args.workdir, "silent")
    held.append(conn)  # kept open, never written to


def advertisement(repo, service="upload-pack"):
    refs = subprocess.run(
        ["git", service, "--stateless-rpc", "--advertise-refs", repo],
        check=True, capture_output=True).stdout
    head = b"# service=git-%s\n" % service.encode()
    return b"%04x" % (len(head) + 4) + head + b"0000" + refs


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def http(conn, args):
    count(args.workdir, "http")
    req = read_request(conn)
    if req is None:
        conn.close()
        return
    if req.startswith(b"GET ") and b"/info/refs?service=git-upload-pack" in req.split(b"\r\n")[0]:
        body = advertisement(args.repo)
        conn.sendall(b"HTTP/1.1 200 OK\r\n"
                     b"Content-Type: application/x-git-upload-pack-advertisement\r\n"
                     b"Cache-Control: no-cache\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        # keep-alive: libgit2 may send its POST on this connection; read it, never answer.
    held.append(conn)


def read_body(conn, head, rest):
    """The request body after head (Content-Length or chunked), rest already read."""
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    data = rest
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            while b"\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return None, b""
                data += chunk
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(data) < size + 2:
                chunk = conn.recv(65536)
                if not chunk:
                    return None, b""
                data += chunk
            body += data[:size]
            data = data[size + 2:]
            if size == 0:
                return body, data
    n = int(headers.get(b"content-length", b"0"))
    while len(data) < n:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    return data[:n], data[n:]


def push(conn, args):
    count(args.workdir, "push")
    pending = b""
    while True:
        while b"\r\n\r\n" not in pending:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            pending += chunk
        head, _, pending = pending.partition(b"\r\n\r\n")
        line = head.split(b"\r\n")[0]
        if line.startswith(b"POST ") and b"/git-receive-pack" in line:
            count(args.workdir, "receive-pack")
            held.append(conn)  # the push: read no further, never answer
            return
        if line.startswith(b"GET ") and b"/info/refs?service=git-" in line:
            service = "receive-pack" if b"git-receive-pack" in line else "upload-pack"
            body = advertisement(args.repo, service)
            ctype = b"application/x-git-%s-advertisement" % service.encode()
        elif line.startswith(b"POST ") and b"/git-upload-pack" in line:
            req, pending = read_body(conn, head, pending)
            if req is None:
                conn.close()
                return
            body = subprocess.run(["git", "upload-pack", "--stateless-rpc", args.repo],
                                  input=req, check=True, capture_output=True).stdout
            ctype = b"application/x-git-upload-pack-result"
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            continue
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype +
                     b"\r\nCache-Control: no-cache\r\nContent-Length: %d\r\n\r\n" % len(body) +
                     body)


held = []


def serve(sock, handler, args):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handler, args=(conn, args), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ready-file", required=True)
    p.add_argument("--repo", required=True)
    args = p.parse_args()
    args.workdir = os.path.dirname(os.path.abspath(args.ready_file))
    ports = {}
    threads = []
    for name, handler in (("silent", silent), ("http", http), ("push", push)):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        ports[name] = s.getsockname()[1]
        t = threading.Thread(target=serve, args=(s, handler, args), daemon=True)
        t.start()
        threads.append(t)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        for name, port in ports.items():
            f.write("%s=%d\n" % (name, port))
    os.rename(tmp, args.ready_file)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
