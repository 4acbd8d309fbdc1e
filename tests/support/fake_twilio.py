"""A local stand-in for Twilio's REST API (Messages only), served on 127.0.0.1 for the real client to call."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class SentMessage:
    account_sid: str
    auth: tuple[str, str]
    form: dict[str, str]
    sid: str

    @property
    def to(self) -> str:
        return self.form["To"]

    @property
    def body(self) -> str:
        return self.form["Body"]


@dataclass
class FakeTwilio:
    """`mode`: "ok" (201 with a message), "outage" (503), "unsubscribed" (400, error 21610)."""

    account_sid: str
    auth_token: str
    mode: str = "ok"
    sent: list[SentMessage] = field(default_factory=list)
    refused: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                prefix = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"")
                    .decode()
                    .partition(":")
                )
                if self.path != prefix or (user, password) != (fake.account_sid, fake.auth_token):
                    fake.refused += 1
                    return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if fake.mode == "outage":
                    fake.refused += 1
                    return self._answer(503, {"code": 20500, "message": "Service Unavailable", "status": 503})
                if fake.mode == "unsubscribed":
                    fake.refused += 1
                    message = f"Attempt to send to unsubscribed recipient {form.get('To')}"
                    return self._answer(400, {"code": 21610, "message": message, "status": 400})
                sid = "SM" + uuid.uuid4().hex
                fake.sent.append(SentMessage(fake.account_sid, (user, password), form, sid))
                return self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": fake.account_sid,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                    },
                )

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
