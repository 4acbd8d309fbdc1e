"""ASGI middleware: a request id, one log line and metrics for every request.

Written as plain ASGI (not BaseHTTPMiddleware) to keep the per-request cost low and streaming intact.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import structlog
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.ops import metrics

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
