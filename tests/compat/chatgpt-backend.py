#!/usr/bin/env python3
"""A loopback stand-in for the ChatGPT backend the Codex app-server talks to (the
`@openclaw/codex` plugin's runtime, pointed here with `-c chatgpt_base_url=…` and
`-c openai_base_url=…/codex`), for tests/compat/gateway-cron.sh.

    chatgpt-backend.py PORT LOG LIMITED_ACCOUNT RESET_SECONDS

Every request is appended to LOG as one JSON line (method, path, the ChatGPT account
id header; never the bearer token). Requests for LIMITED_ACCOUNT's Codex responses get
the 429 `usage_limit_reached` a ChatGPT account past its usage window gets; any other
account's `POST …/codex/responses` gets a short streamed reply (Responses API SSE:
response.created, the output item, response.completed). The Responses websocket
(`GET …/codex/responses`) is refused with 404, so Codex falls back to HTTP streaming;
everything else (plugin catalogs, analytics, the model list) gets an empty answer.
"""
import http.server
import json
import sys
import time

PORT, LOG, LIMITED, RESET = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
REPLY = "hello from the stand-in"


def sse(events):
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, code, body, ctype="application/json", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("content-length", 0) or 0)
        if n:
            self.rfile.read(n)
        account = self.headers.get("chatgpt-account-id")
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "account": account}) + "\n")
        path = self.path.split("?")[0]
        if path.endswith("/codex/responses"):
            if account == LIMITED:
                now = int(time.time())
                return self.answer(429, json.dumps({"error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": "plus", "resets_at": now + RESET, "resets_in_seconds": RESET}}).encode(),
                    headers={"x-codex-primary-used-percent": "100", "x-codex-primary-window-minutes": "300",
                             "x-codex-primary-reset-at": str(now + RESET),
                             "x-codex-primary-reset-after-seconds": str(RESET)})
            if self.command == "GET":
                return self.answer(404, b'{"detail": "Not Found"}')
            rid = f"resp_{int(time.time() * 1000)}"
            item = {"type": "message", "id": f"msg_{rid}", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": REPLY, "annotations": []}]}
            usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
                     "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}
            body = sse([
                {"type": "response.created", "response": {"id": rid}},
                {"type": "response.output_item.added", "output_index": 0, "item": {**item, "status": "in_progress", "content": []}},
                {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "item_id": item["id"], "delta": REPLY},
                {"type": "response.output_item.done", "output_index": 0, "item": item},
                {"type": "response.completed", "response": {"id": rid, "status": "completed", "output": [item], "usage": usage}},
            ])
            return self.answer(200, body, "text/event-stream")
        if path.endswith("/codex/models"):
            return self.answer(200, b'{"models": []}')
        return self.answer(200, b"{}")

    do_GET = do_POST = handle_any

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Backend).serve_forever()
