#!/usr/bin/env python3
"""tests/e2e/events_receiver.py PORTFILE OUTFILE: an HTTP receiver on 127.0.0.1 standing where
Flux's notification-controller listens for events: every POST body (one JSON event) is appended
to OUTFILE as one line, and answered 202 as notification-controller answers. The port it got is
written to PORTFILE once it listens."""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"path": self.path, "contentType": self.headers.get("Content-Type"),
                  "event": json.loads(body)}
        with open(sys.argv[2], "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402 (the rename makes the port file appear whole)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
