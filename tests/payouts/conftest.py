"""Fixtures of the payouts tests: a fake of Stripe's HTTP API on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe


class _FakeStripe(BaseHTTPRequestHandler):
    transfers: dict[str, dict] = {}
    requests: list[dict] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        key = self.headers.get("Idempotency-Key")
        type(self).requests.append({"path": self.path, "body": body, "key": key})
        if key not in self.transfers:
            self.transfers[key] = {
                "id": f"tr_{len(self.transfers) + 1}",
                "object": "transfer",
                "amount": int(dict(x.split("=") for x in body.split("&"))["amount"]),
            }
        payload = json.dumps(self.transfers[key]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe(monkeypatch):
    _FakeStripe.transfers, _FakeStripe.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(stripe, "api_base", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(stripe, "api_key", "sk_test_fake")
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    yield _FakeStripe
    server.shutdown()
