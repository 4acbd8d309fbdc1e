"""HTTP handlers for the dedup review queue and supervisors' case corrections."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from sqlmodel import Session

from hotline.deps import SessionDep, SettingsDep, SupervisorActor
from hotline.matching import service as matching_service
from hotline.matching.models import (
    ConfirmIn,
    DecisionOut,
    MatchDecision,
    MergeIn,
    MoveIn,
    RejectIn,
    ReviewOut,
    ReviewPage,
)

router = APIRouter(prefix="/api/v1", tags=["dedup"])


def _http_error(exc: matching_service.MatchingError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _decide(session: Session, decide: Callable[[], MatchDecision]) -> DecisionOut:
    """Run one supervisor decision in its own transaction: commit it, or roll back and say why (4xx)."""
    try:
        decision = decide()
    except matching_service.MatchingError as exc:
        session.rollback()
        raise _http_error(exc) from exc
    session.commit()
    return matching_service.decision_out(decision)


@router.get("/match-reviews", response_model=ReviewPage)
def list_reviews(
    session: SessionDep,
    actor: SupervisorActor,
    status_: Annotated[
        Literal["pending", "confirmed", "rejected", "superseded"], Query(alias="status")
    ] = "pending",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=matching_service.MAX_PAGE_SIZE)] = 50,
) -> ReviewPage:
    """The dedup review queue, oldest first: tips whose best candidate case was close but not sure."""
    try:
        return matching_service.list_reviews(session=session, status=status_, cursor=cursor, limit=limit)
    except matching_service.MatchingError as exc:
        raise _http_error(exc) from exc


@router.get("/match-reviews/{review_id}", response_model=ReviewOut)
def read_review(review_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> ReviewOut:
    review = matching_service.get_review(session=session, review_id=review_id)
    if review is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no review with this id")
    return matching_service.review_out(review)


@router.post("/match-reviews/{review_id}/confirm", response_model=DecisionOut)
def confirm_review(
    review_id: uuid.UUID, body: ConfirmIn, session: SessionDep, actor: SupervisorActor
) -> DecisionOut:
    """The tip reports the candidate case (`case_id`, default the best): its case is merged into that one."""
    return _decide(
        session,
        lambda: matching_service.confirm_review(
            session=session, review_id=review_id, case_id=body.case_id, reason=body.reason, actor=actor
        ),
    )


@router.post("/match-reviews/{review_id}/reject", response_model=DecisionOut)
def reject_review(
    review_id: uuid.UUID, body: RejectIn, session: SessionDep, actor: SupervisorActor
) -> DecisionOut:
    """The tip is about none of the candidate cases: it keeps its own case."""
    return _decide(
        session,
        lambda: matching_service.reject_review(
            session=session, review_id=review_id, reason=body.reason, actor=actor
        ),
    )


@router.post("/cases/{case_id}/merge", response_model=DecisionOut)
def merge_case(case_id: uuid.UUID, body: MergeIn, session: SessionDep, actor: SupervisorActor) -> DecisionOut:
    """Merge this case into `into_case_id`: its tips move there and it points at its successor for good."""
    return _decide(
        session,
        lambda: matching_service.merge_cases(
            session=session, case_id=case_id, into_case_id=body.into_case_id, reason=body.reason, actor=actor
        ),
    )


@router.post("/tips/{tip_id}/move-to-new-case", response_model=DecisionOut)
def move_tip(
    tip_id: uuid.UUID, body: MoveIn, session: SessionDep, settings: SettingsDep, actor: SupervisorActor
) -> DecisionOut:
    """Take a tip that was joined to the wrong case out of it, into a new case of its own."""
    return _decide(
        session,
        lambda: matching_service.move_tip_to_new_case(
            session=session, settings=settings, tip_id=tip_id, reason=body.reason, actor=actor
        ),
    )


@router.get("/cases/{case_id}/match-decisions", response_model=list[DecisionOut])
def case_decisions(case_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> list[DecisionOut]:
    """Supervisors' dedup decisions about this case (merges, moves, confirmed and rejected links)."""
    return [
        matching_service.decision_out(decision)
        for decision in matching_service.decisions_for_case(session=session, case_id=case_id)
    ]
