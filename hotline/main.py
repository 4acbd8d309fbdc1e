"""The application factory: settings, database, middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

import hotline.models  # noqa: F401  (every table, and the audit chain hook)
from hotline import assembly
from hotline.agencies import views as agency_views
from hotline.cases import views as case_views
from hotline.core import errors as core_errors
from hotline.core.config import Settings, get_settings
from hotline.core.database import configure_encryption, create_db_engine, make_session_factory
from hotline.core.logs import configure_logging
from hotline.core.middleware import (
    BodySizeLimitMiddleware,
    ConcurrencyLimitMiddleware,
    RequestContextMiddleware,
    StrictInputMiddleware,
)
from hotline.decisions import views as decision_views
from hotline.intake import views as intake_views
from hotline.matching import views as matching_views
from hotline.ops import bench as ops_bench
from hotline.ops import views as ops_views
from hotline.referrals import views as referral_views
from hotline.web import app as web_app
from integrations.twilio import views as twilio_views
from integrations.webhooks import views as webhook_views

log = structlog.get_logger(__name__)

API_DESCRIPTION = """
Intake, triage and routing of tips for child-abuse and human-trafficking hotlines.

Authenticate with an API key from `hotline keys create`: `Authorization: Bearer <key>`.
"""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    configure_encryption(settings)
    assembly.install()
    owns_engine = engine is None
    engine = engine or create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="Hotline triage and case routing",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)

    # Outermost last: request context, admission (concurrency), size limit, strict input (URLs, API bodies).
    app.add_middleware(StrictInputMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        limit=settings.max_concurrent_requests or _pool_share(engine),
        max_wait=settings.request_queue_seconds,
    )
    app.add_middleware(RequestContextMiddleware)
    _add_error_handlers(app, settings)

    app.include_router(ops_views.router)
    app.include_router(intake_views.router)
    app.include_router(case_views.router)
    web_app.install(app)
    app.include_router(twilio_views.router)
    app.include_router(decision_views.router)
    app.include_router(agency_views.router)
    app.include_router(referral_views.router)
    app.include_router(matching_views.router)
    app.include_router(webhook_views.router)
    if settings.bench_endpoints:
        app.include_router(ops_bench.router)
    _document_error_shape(app)
    return app


# What every 422 of this API looks like (FastAPI's default schema promises `loc` and `type` on each item, and
# a list only; checks on a query or a ruleset answer one sentence or problems with a file and line).
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "Why the request was refused: the field, and why; never the submitted value.",
    "required": ["field", "msg"],
    "properties": {
        "field": {"type": "string", "description": "e.g. persons[0].age, or body for the whole request"},
        "msg": {"type": "string"},
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "type": {"type": "string"},
    },
}
REFUSAL_SCHEMA = {
    "title": "Refusal",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                {"type": "string", "description": "one problem, naming its field"},
            ]
        }
    },
}


def _document_error_shape(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = generate().get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = REFUSAL_SCHEMA
                schemas["ValidationError"] = PROBLEM_SCHEMA
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _pool_share(engine: Engine) -> int:
    """Two thirds of the connections the engine's pool can open: a few requests open a second session."""
    size = getattr(engine.pool, "size", None)
    overflow = getattr(engine.pool, "_max_overflow", 0)
    if not callable(size):
        return 16
    return max(1, (size() + max(0, overflow)) * 2 // 3)


def _add_error_handlers(app: FastAPI, settings: Settings) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # The field, and why: never the submitted value, which may be a victim's data.
        errors = [
            {
                "field": core_errors.field_path(error.get("loc", ())),
                "loc": list(error.get("loc", ())),
                "msg": str(error.get("msg", "")).removeprefix("Value error, "),
                "type": error.get("type"),
            }
            for error in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.InterfaceError)
    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database_unavailable", error_type=type(exc).__name__)
        return JSONResponse(
            # Not "nothing was stored": the tip may have been committed before the database went away
            # (triage then finishes it later). A tip sent again with its external_id is stored once.
            {
                "detail": "the database is unavailable; try again shortly (a tip sent again with the same "
                "external_id is stored only once)"
            },
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(sa.exc.TimeoutError)
    async def overloaded(_request: Request, exc: Exception) -> JSONResponse:
        # Every database connection of this process stayed busy for the pool timeout: too much load, not a
        # fault of the request. Said so (503, Retry-After), like an outage, rather than as an internal error.
        log.error("database_pool_exhausted", error_type=type(exc).__name__)
        return JSONResponse(
            {"detail": "the service is overloaded; try again shortly"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        return JSONResponse(
            {"detail": "internal error", "request_id": request_id}, status.HTTP_500_INTERNAL_SERVER_ERROR
        )
