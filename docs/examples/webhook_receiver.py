# Prints every webhook whose Standard Webhooks signature verifies (WHSEC: the endpoint's secret).
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook

hook = Webhook(os.environ["WHSEC"])


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        event = hook.verify(
            body, {k.lower(): v for k, v in self.headers.items()}
        )  # raises if forged
        print("verified", event["type"], event["data"]["id"], flush=True)
        self.send_response(204)
        self.end_headers()


HTTPServer(("127.0.0.1", 8099), Receiver).serve_forever()
