"""A partner's webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies every request with
`standardwebhooks` (as a partner would), validates its body against the published JSON Schema, and answers
as the test scripts it (statuses, Retry-After, slowness)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.webhooks import payloads

VALIDATORS = {
    event: jsonschema.Draft202012Validator(
        payloads.schema(event), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for event in ("referral.created", "referral.updated", "referral.withdrawn")
}


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Seconds to wait before answering (a slow or hanging partner).
    delay: float = 0.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    path: str
    # Which of the receiver's secrets verified it (index), or None.
    verified_by: list[int]
    status: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.event["type"]

    @property
    def data(self) -> dict[str, Any]:
        return self.event["data"]


class PartnerReceiver:
    def __init__(self, secrets: list[str] | None = None) -> None:
        self.secrets = list(secrets or [])
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        # A reply for every request to a path (another endpoint on the same server), before the script.
        self.by_path: dict[str, Reply] = {}
        self.received: list[Received] = []
        self.schema_errors: list[str] = []
        self.unverified = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def script(self, *replies: Reply) -> None:
        """The next requests get these replies in order; then the default."""
        with self._lock:
            self.replies.extend(replies)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self.replies.popleft() if self.replies else self.default

    def verify(self, body: bytes, headers: dict[str, str]) -> list[int]:
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(index)
            except WebhookVerificationError:
                pass
        return verified

    def _check_schema(self, body: bytes) -> None:
        try:
            event = json.loads(body)
            VALIDATORS[event["type"]].validate(event)
        except (ValueError, KeyError, jsonschema.ValidationError) as exc:
            self.schema_errors.append(f"{type(exc).__name__}: {str(exc)[:500]}")

    def start(self, port: int = 0) -> PartnerReceiver:
        """Listen on 127.0.0.1 (a free port, or `port`: the same partner coming back after an outage)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                reply = receiver.by_path.get(self.path) or receiver._next_reply()
                verified = receiver.verify(body, headers)
                receiver._check_schema(body)
                with receiver._lock:
                    if not verified:
                        receiver.unverified += 1
                    receiver.received.append(
                        Received(headers, body, time.monotonic(), self.path, verified, reply.status)
                    )
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # What arrived

    def events(self, event_type: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if event_type is None or r.type == event_type]

    def ok(self) -> list[Received]:
        """Requests answered 2xx, once per webhook-id (what a partner that drops repeats keeps)."""
        seen: dict[str, Received] = {}
        with self._lock:
            for received in self.received:
                if 200 <= received.status < 300:
                    seen.setdefault(received.webhook_id, received)
        return list(seen.values())
