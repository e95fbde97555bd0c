#!/usr/bin/env python3
"""tests/e2e/github_api.py PORTFILE LOG CERT KEY APPID PUBKEY INSTALLATION OWNER TOKEN EXPIRES:
a stand-in for GitHub's REST API on 127.0.0.1 over HTTPS (CERT, KEY), for the GitHub App
authentication of GitRepository (spec.provider: github), at /api/v3/ as GitHub Enterprise
serves it:

  GET  /api/v3/orgs/OWNER/installation            {"id": INSTALLATION}; another owner: 404
  GET  /api/v3/users/<name>/installation          404 (the App is installed on the org only)
  POST /api/v3/app/installations/INSTALLATION/access_tokens
                                                  201 {"token": TOKEN, "expires_at": now +
                                                  EXPIRES seconds}; another id: 404

Every call must carry "Authorization: Bearer <JWT>": a JWT whose header is RS256, whose claims
are iss = APPID, iat in the past, exp in the future and at most 10 minutes after iat (GitHub's
rules), and whose signature checks with the App's public key PUBKEY (PEM; openssl verifies it).
Anything else is GitHub's 401. Each call is appended to LOG as one line: "<method> <path>
<status>". The port is written to PORTFILE once the server listens."""
import base64
import datetime
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

(portfile, log, cert, key, app_id, pubkey, installation, owner, token,
 expires) = sys.argv[1:11]


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_error(auth):
    """Why the Authorization header is not a good App JWT, or None."""
    if not auth or not auth.startswith("Bearer "):
        return "Requires authentication"
    parts = auth[len("Bearer "):].split(".")
    if len(parts) != 3:
        return "A JSON web token could not be decoded"
    try:
        header = json.loads(b64url(parts[0]))
        claims = json.loads(b64url(parts[1]))
        sig = b64url(parts[2])
    except ValueError:
        return "A JSON web token could not be decoded"
    if header.get("alg") != "RS256":
        return "A JSON web token could not be decoded"
    now = int(time.time())
    if claims.get("iss") != app_id:
        return "'Issuer' claim ('iss') must be an Integer"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or iat > now:
        return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
    if not isinstance(exp, int) or exp <= now or exp - iat > 600:
        return "'Expiration time' claim ('exp') is too far in the future"
    with tempfile.NamedTemporaryFile() as s, tempfile.NamedTemporaryFile() as d:
        s.write(sig)
        s.flush()
        d.write((parts[0] + "." + parts[1]).encode())
        d.flush()
        ok = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pubkey, "-signature",
                             s.name, d.name], capture_output=True).returncode == 0
    return None if ok else "A JSON web token could not be decoded"


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{self.command} {self.path} {status}\n")

    def route(self):
        why = jwt_error(self.headers.get("Authorization"))
        if why:
            return self.reply(401, {"message": why})
        if self.command == "GET" and self.path == f"/api/v3/orgs/{owner}/installation":
            return self.reply(200, {"id": int(installation), "account": {"login": owner}})
        if self.command == "POST" and \
                self.path == f"/api/v3/app/installations/{installation}/access_tokens":
            at = datetime.datetime.now(datetime.timezone.utc) + \
                datetime.timedelta(seconds=int(expires))
            return self.reply(201, {"token": token,
                                    "expires_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        return self.reply(404, {"message": "Not Found"})

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.route()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert, key)
server.socket = tls.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
