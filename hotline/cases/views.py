"""HTTP handlers for cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from hotline.access import service as access_service
from hotline.access.models import AccessOut, AccessPage
from hotline.cases import service as case_service
from hotline.cases.models import Case, CaseOut, CasePage, CaseStatus
from hotline.core import geo, pagination
from hotline.core.database import MAX_BIGINT
from hotline.deps import AdvocateActor, SessionDep, SupervisorActor

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("", response_model=CasePage)
def list_cases(
    session: SessionDep,
    actor: AdvocateActor,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    state: Annotated[str | None, Query(max_length=40, description="USPS code or state name")] = None,
    created_from: Annotated[
        date | datetime | None, Query(description="inclusive; a date is its UTC start")
    ] = None,
    created_to: Annotated[
        date | datetime | None, Query(description="a date includes that whole UTC day")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=case_service.MAX_PAGE_SIZE)] = 50,
) -> CasePage:
    state_code = None
    if state is not None:
        state_code = geo.usps_state_code(state)
        if state_code is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"state: {state!r} is not a U.S. state"
            )
    start, end = pagination.start_of(created_from), pagination.start_of(created_to, next_day=True)
    if start and end and start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "created_from must be before created_to")
    try:
        return case_service.list_cases(
            session=session,
            status=status_,
            state=state_code,
            created_from=start,
            created_to=end,
            cursor=cursor,
            limit=limit,
        )
    except case_service.InvalidCursor as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"cursor: {exc}") from exc


@router.get("/{case_id}", response_model=CaseOut)
def read_case(case_id: uuid.UUID, session: SessionDep, actor: AdvocateActor) -> CaseOut:
    case = case_service.get_case_out(session=session, case_id=case_id)
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no case with this id")
    # Recorded and committed before the data leaves: a read that cannot be logged is not served.
    access_service.record_case_read(session=session, actor=actor, case_id=case.id, via="api")
    session.commit()
    return case


# The access log: who read a case (supervisors only)


@router.get("/{case_id}/access", response_model=AccessPage, tags=["access log"])
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
