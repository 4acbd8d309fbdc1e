"""HTTP handlers for the access log: who read a case (supervisors only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from hotline.access import service as access_service
from hotline.cases.models import Case
from hotline.core.database import MAX_BIGINT
from hotline.deps import SessionDep, SupervisorActor

router = APIRouter(prefix="/api/v1/cases", tags=["access log"])


class AccessOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_name: str
    actor_role: str | None
    subject_type: str
    subject_id: uuid.UUID
    kind: str
    via: str
    request_id: str | None


class AccessPage(BaseModel):
    items: list[AccessOut]
    next_before: int | None


@router.get("/{case_id}/access", response_model=AccessPage)
def read_case_access(
    case_id: uuid.UUID,
    session: SessionDep,
    actor: SupervisorActor,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_BIGINT, description="next_before from the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccessPage:
    """Every recorded read of the case or its tips, newest first: who, when, what, through which channel."""
    if session.get(Case, case_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no case with this id")
    entries = access_service.reads_of_case(
        session=session, case_id=case_id, before_id=before, limit=limit + 1
    )
    page = entries[:limit]
    return AccessPage(
        items=[AccessOut.model_validate(entry, from_attributes=True) for entry in page],
        next_before=page[-1].id if len(entries) > limit and page else None,
    )
