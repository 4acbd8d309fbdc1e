"""A small webhook receiver for partner agencies: verifies each delivery, drops repeats, prints each event.

    python -m integrations.webhooks.receiver --secret whsec_... [--host 127.0.0.1] [--port 9000]

(or `python integrations/webhooks/receiver.py …`: it needs only Python and the `standardwebhooks` package).
Every request is verified with `standardwebhooks` against the secret from `hotline partners add`, as any
partner should: a bad or old signature gets 401 and is not printed. The hotline delivers at least once, so a
`webhook-id` seen before is answered 200 and dropped. Each new event is one JSON line on stdout:
`{"webhook_id", "type", "referral_id", "sequence", "agency_id", "ack_url"}`, plus `"data"` with --print-data
(the case itself: only on a machine allowed to show it). Acknowledge a referral with your partner key:

    curl -X POST "$ACK_URL" -H "Authorization: Bearer $PARTNER_KEY" -H 'Content-Type: application/json' \\
         -d '{"status": "accepted"}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY_BYTES = 1024 * 1024
# How many webhook-ids are remembered to drop repeats (a real system keeps them in its database).
REMEMBERED_IDS = 100_000


class Receiver:
    def __init__(self, secret: str, *, print_data: bool = False, out: Any = None) -> None:
        self.webhook = Webhook(secret)
        self.print_data = print_data
        self.out = out or sys.stdout
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def first_time(self, webhook_id: str) -> bool:
        with self.lock:
            if webhook_id in self.seen:
                return False
            self.seen[webhook_id] = None
            if len(self.seen) > REMEMBERED_IDS:
                self.seen.popitem(last=False)
            return True

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        """The HTTP status to answer: 401 unverified, 400 unreadable, 200 otherwise."""
        try:
            event = self.webhook.verify(body, headers)
        except (WebhookVerificationError, ValueError, UnicodeDecodeError):
            return 401
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            return 400
        webhook_id = headers.get("webhook-id", "")
        if not self.first_time(webhook_id):
            return 200
        data = event["data"]
        line = {
            "webhook_id": webhook_id,
            "type": event.get("type"),
            "referral_id": data.get("referral_id"),
            "sequence": data.get("sequence"),
            "agency_id": data.get("agency_id"),
            "ack_url": data.get("ack_url"),
        }
        if self.print_data:
            line["data"] = data
        with self.lock:
            self.out.write(json.dumps(line) + "\n")
            self.out.flush()
        return 200


def serve(receiver: Receiver, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass  # stdout is for events; nothing about requests is printed

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413)
                return
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            self._answer(receiver.handle(body, headers))

        def _answer(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Receive and verify hotline referral webhooks.")
    parser.add_argument(
        "--secret", default=os.environ.get("WEBHOOK_SECRET"), help="whsec_… (or WEBHOOK_SECRET)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--print-data", action="store_true", help="print each event's data (the case) too")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give --secret (or WEBHOOK_SECRET): the secret `hotline partners add` printed")
    server = serve(Receiver(args.secret, print_data=args.print_data), args.host, args.port)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
