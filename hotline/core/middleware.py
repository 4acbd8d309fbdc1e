"""ASGI middleware: a request id, one log line and metrics for every request.

Written as plain ASGI (not BaseHTTPMiddleware) to keep the per-request cost low and streaming intact.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.core import metrics

log = structlog.get_logger("hotline.request")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestContextMiddleware:
    """Give every request an id (echoed as X-Request-ID), log one line per request, and count it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_code = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status_code)).inc()
            metrics.HTTP_LATENCY.labels(method=method, route=route).observe(elapsed)
            log.info(
                "request",
                method=method,
                route=route,
                status=status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class BodyTooLarge(StarletteHTTPException):
    # An HTTPException, so that FastAPI re-raises it from body parsing and our handler answers in JSON.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, body_too_large_message(max_bytes))


def body_too_large_message(max_bytes: int) -> str:
    return f"request body is larger than the limit of {max_bytes // 1024} KiB"


class BodySizeLimitMiddleware:
    """Refuse request bodies over the limit with 413: by Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await JSONResponse({"detail": "Content-Length is not a number"}, 400)(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await JSONResponse({"detail": body_too_large_message(self.max_bytes)}, 413)(
                    scope, receive, send
                )
                return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


# Strict JSON for the API


MAX_JSON_DEPTH = 32


class BadJSON(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The stock parser keeps the last of two equal keys: {"age": 15, "age": 25} would silently be 25.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadJSON(f"the key {key!r} appears twice in one object; send it once")
        seen[key] = value
    return seen


def _refuse_constant(name: str) -> Any:
    raise BadJSON(f"{name} is not a JSON number")


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check_tree(document: Any) -> tuple[str, str] | None:
    """(field, problem) for the first string holding NUL, or nesting deeper than the limit; None if fine.
    Iterative, so a deep document cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                return path or "body", f"nested deeper than {MAX_JSON_DEPTH} levels"
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str) and "\x00" in key:
                    return path or "body", "a key contains the NUL character (\\u0000)"
                stack.append((value, _path(path, key), depth + 1))
        elif isinstance(node, str) and "\x00" in node:
            # PostgreSQL cannot store NUL in text, and no person types it.
            return path or "body", "must not contain the NUL character (\\u0000)"
    return None


def check_json_body(body: bytes) -> tuple[str, str] | None:
    """Why an API request body is refused, as (field, problem), or None when it is acceptable JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "body", f"not valid UTF-8 (byte {exc.start}): JSON is sent in UTF-8"
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)
    except BadJSON as exc:
        return "body", str(exc)
    except RecursionError:
        return "body", f"nested deeper than {MAX_JSON_DEPTH} levels"
    except json.JSONDecodeError as exc:
        return "body", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    return _check_tree(document)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


# The tip form answers NUL itself, through the tip contract, with the form and what was typed.
FORMS_CHECKED_BY_THE_TIP_CONTRACT = frozenset({"/tips/new"})


class StrictInputMiddleware:
    """No NUL in any URL (400) or web form (400: PostgreSQL cannot store it; the tip form answers it
    itself). API request bodies must be JSON (415 otherwise), in UTF-8, without duplicate keys, NaN, NUL
    characters or nesting deeper than MAX_JSON_DEPTH: each refused with a 4xx naming the problem, before any
    handler runs. Twilio's form posts pass untouched: their signature is checked first, by their handlers."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            # Whatever the route: PostgreSQL refuses NUL in a text parameter with an error, not a miss.
            detail = "the URL contains the NUL character (%00)"
            await JSONResponse({"detail": detail}, 400)(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        api = method in ("POST", "PUT", "PATCH") and path.startswith("/api/")
        media = content_type.split(";", 1)[0].strip().lower()
        web_form = (
            method == "POST"
            and not path.startswith(("/api/", "/twilio/"))
            and path not in FORMS_CHECKED_BY_THE_TIP_CONTRACT
            # Multipart forms carry the ruleset upload, whose page explains a file that is not text itself.
            and media == "application/x-www-form-urlencoded"
        )
        if not api and not web_form:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except BodyTooLarge:
            await JSONResponse({"detail": body_too_large_message(self.max_bytes)}, 413)(scope, receive, send)
            return
        body = b"".join(chunks)
        if web_form and (b"%00" in body or b"\x00" in body):
            message_text = (
                "The form contains the NUL character (%00), which no field accepts: remove it and send again."
            )
            await PlainTextResponse(message_text, 400)(scope, receive, send)
            return
        if api and body:
            if not _is_json(content_type):
                got = content_type.split(";", 1)[0].strip() or "none"
                await JSONResponse(
                    {"detail": f"the body must be JSON: send Content-Type: application/json (got {got})"}, 415
                )(scope, receive, send)
                return
            problem = check_json_body(body)
            if problem is not None:
                field, msg = problem
                detail = [{"field": field, "loc": ["body"], "msg": msg, "type": "json_invalid"}]
                await JSONResponse({"detail": detail}, 422)(scope, receive, send)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class ConcurrencyLimitMiddleware:
    """At most `limit` requests of this process in the app at once; the others wait here, holding neither a
    thread nor a database connection, and get a 503 with Retry-After after `max_wait` seconds.

    Why: handlers and their session dependency run in the threadpool, one hop at a time, and a request keeps
    its database connection between hops. Under overload, threads blocked on an empty connection pool then
    take every thread while the requests that hold the connections wait for a thread: nothing moves until the
    pool timeout, again and again (bench/load.py found the server stuck for minutes). Admitting no more
    requests than the pool has connections for keeps each admitted request able to finish.
    """

    def __init__(self, app: ASGIApp, *, limit: int, max_wait: float) -> None:
        self.app = app
        self.limit = limit
        self.max_wait = max_wait
        self._semaphores: dict[int, asyncio.Semaphore] = {}

    def _semaphore(self) -> asyncio.Semaphore:
        # One per event loop (tests run apps on several loops in turn); in production there is one.
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._semaphores:
            self._semaphores = {loop_id: asyncio.Semaphore(self.limit)}
        return self._semaphores[loop_id]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        try:
            async with asyncio.timeout(self.max_wait):
                await semaphore.acquire()
        except TimeoutError:
            metrics.REQUESTS_SHED.inc()
            response = JSONResponse(
                {"detail": "the service is overloaded; try again shortly"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            semaphore.release()
