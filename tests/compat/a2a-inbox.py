#!/usr/bin/env python3
"""A loopback stand-in for an A2A peer (OpenClaw's bundled `a2a` channel), for
tests/compat/gateway-cron.sh: it takes each JSON-RPC `SendMessage` OpenClaw posts (the
shape of `sendA2aChannelText` in OpenClaw 2026.9.6's dist/channel-*.mjs), appends the
request to LOG as one JSON line, and answers with a task id as a peer does.

    a2a-inbox.py PORT LOG
"""
import http.server
import json
import sys

PORT, LOG = int(sys.argv[1]), sys.argv[2]


class Inbox(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        req = json.loads(body)
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "req": req}) + "\n")
        out = json.dumps({"jsonrpc": "2.0", "id": req.get("id"),
                          "result": {"task": {"id": f"task-{req.get('id')}"}}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Inbox).serve_forever()
