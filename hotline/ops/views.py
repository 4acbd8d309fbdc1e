"""Liveness, readiness and metrics endpoints for orchestrators and Prometheus."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from hotline.core import metrics
from hotline.core.database import READ_ONLY

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "the database cannot be reached"}})
def readyz(request: Request) -> Response:
    """The process can serve: its database answers."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execution_options(**READ_ONLY).execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, status.HTTP_503_SERVICE_UNAVAILABLE
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    body, content_type = metrics.render_latest()
    return Response(body, media_type=content_type)
