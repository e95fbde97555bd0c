#!/usr/bin/env python3
"""tests/e2e/gitstall.py: Git servers that stall, for the spec.timeout tests.

Two listeners on 127.0.0.1, their ports written to --ready-file as `silent=PORT` and
`http=PORT`:
  silent  accepts every connection and never sends a byte (neither HTTP nor an SSH banner);
  http    answers git's smart-HTTP ref advertisement for the bare repository --repo (made by
          `git upload-pack --advertise-refs`), then accepts the upload-pack POST, reads it and
          never answers: the fetch stalls after the ref listing.
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


def advertisement(repo):
    refs = subprocess.run(
        ["git", "upload-pack", "--stateless-rpc", "--advertise-refs", repo],
        check=True, capture_output=True).stdout
    head = b"# service=git-upload-pack\n"
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
    for name, handler in (("silent", silent), ("http", http)):
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
