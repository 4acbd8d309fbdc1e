"""HTTP handlers for tips: translate HTTP to a flow call and back."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Response, status

from hotline.access import service as access_service
from hotline.cases import service as case_service
from hotline.deps import AdvocateActor, SessionDep, SettingsDep
from hotline.intake import flows as intake_flows
from hotline.tips import service as tip_service
from hotline.tips.schemas import TipIn, TipOut

router = APIRouter(prefix="/api/v1/tips", tags=["tips"])


@router.post(
    "",
    response_model=TipOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": TipOut, "description": "This external_id was seen before: the stored tip"}},
)
def submit_tip(
    tip_in: TipIn, session: SessionDep, settings: SettingsDep, actor: AdvocateActor, response: Response
) -> TipOut:
    """Store a tip, triage it and route it. Idempotent on `external_id` (per channel)."""
    submission = intake_flows.submit_tip(session=session, settings=settings, tip_in=tip_in, actor=actor)
    if not submission.created:
        response.status_code = status.HTTP_200_OK
    tip = submission.tip
    response.headers["Location"] = f"/api/v1/tips/{tip.id}"
    return tip_service.to_tip_out(tip, case_id=case_service.case_id_for_tip(session=session, tip_id=tip.id))


@router.get("/{tip_id}", response_model=TipOut)
def read_tip(tip_id: uuid.UUID, session: SessionDep, actor: AdvocateActor) -> TipOut:
    tip = tip_service.get_tip(session=session, tip_id=tip_id)
    if tip is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no tip with this id")
    case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    # Recorded and committed before the data leaves: a read that cannot be logged is not served.
    access_service.record_tip_read(session=session, actor=actor, tip_id=tip.id, case_id=case_id, via="api")
    session.commit()
    return tip_service.to_tip_out(tip, case_id=case_id)
