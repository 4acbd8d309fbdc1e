"""HTTP handlers for referrals.

Partners (their own key): their referrals and acknowledgements. Supervisors: the referrals of every agency
(the manual queue included), answers recorded after a call, overrides of a decision's targets, and alerts.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, status

from hotline.decisions import service as decision_service
from hotline.decisions.models import DecisionOut, OverrideIn
from hotline.deps import PartnerActor, SessionDep, SettingsDep, SupervisorActor
from hotline.referrals import flows as referral_flows
from hotline.referrals import service as referral_service
from hotline.referrals.models import (
    AckIn,
    AckOut,
    AlertOut,
    AlertPage,
    OutcomeIn,
    OutcomeOut,
    ReferralOut,
    ReferralPage,
    ReferralStatus,
    SupervisorReferralPage,
)

partner = APIRouter(prefix="/api/v1/referrals", tags=["partner referrals"])
supervisor = APIRouter(prefix="/api/v1/delivery", tags=["partner delivery"])
alerts = APIRouter(prefix="/api/v1/alerts", tags=["partner delivery"])
# A supervisor's override changes which agencies have a tip: served here, where referrals follow it.
overrides = APIRouter(prefix="/api/v1/decisions", tags=["routing"])

Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=referral_service.MAX_PAGE_SIZE)]


def _refused(exc: referral_service.Refused) -> NoReturn:
    if exc.conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"field": exc.field or "body", "msg": str(exc), "type": "value_error"}],
    ) from exc


def _bad_cursor(exc: Exception) -> NoReturn:
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"cursor: {exc}") from exc


# Partners


@partner.get("", response_model=ReferralPage)
def list_my_referrals(
    session: SessionDep,
    settings: SettingsDep,
    actor: PartnerActor,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ReferralPage:
    """Your agency's referrals, newest first. The case data itself arrives in the signed webhooks."""
    try:
        return referral_service.partner_referrals(
            session=session, settings=settings, actor=actor, status=status_, cursor=cursor, limit=limit
        )
    except referral_service.InvalidCursor as exc:
        _bad_cursor(exc)


@partner.get("/{referral_id}", response_model=ReferralOut)
def read_my_referral(
    referral_id: uuid.UUID, session: SessionDep, settings: SettingsDep, actor: PartnerActor
) -> ReferralOut:
    """One of your agency's referrals (any other id: 404)."""
    try:
        return referral_service.partner_referral(
            session=session, settings=settings, referral_id=referral_id, actor=actor
        )
    except referral_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc


@partner.post("/{referral_id}/ack", response_model=AckOut)
def acknowledge_referral(
    referral_id: uuid.UUID, ack_in: AckIn, session: SessionDep, settings: SettingsDep, actor: PartnerActor
) -> AckOut | OutcomeOut:
    """Accept a referral, or decline it with a reason (the case then goes to the next agency). Sending the
    same answer again changes nothing."""
    try:
        return referral_service.acknowledge(
            session=session, settings=settings, referral_id=referral_id, ack_in=ack_in, actor=actor
        )
    except referral_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc
    except referral_service.Refused as exc:
        _refused(exc)


# Supervisors: the referrals of every agency (the manual queue included)


@supervisor.get("/referrals", response_model=SupervisorReferralPage)
def list_referrals(
    session: SessionDep,
    actor: SupervisorActor,
    agency_id: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    channel: Literal["webhook", "manual"] | None = None,
    tip_id: uuid.UUID | None = None,
    overdue: Annotated[bool | None, Query(description="past the SLA and not acknowledged")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> SupervisorReferralPage:
    """Every referral, newest first. `channel=manual&status=pending`: the manual queue (agencies without a
    webhook, and the national queue), which staff work by phone or portal."""
    try:
        return referral_service.supervisor_referrals(
            session=session,
            agency_id=agency_id,
            status=status_,
            channel=channel,
            tip_id=tip_id,
            overdue=overdue,
            cursor=cursor,
            limit=limit,
        )
    except referral_service.InvalidCursor as exc:
        _bad_cursor(exc)


@supervisor.post("/referrals/{referral_id}/outcome", response_model=OutcomeOut)
def record_outcome(
    referral_id: uuid.UUID,
    outcome_in: OutcomeIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: SupervisorActor,
) -> AckOut | OutcomeOut:
    """Record an agency's answer given outside the API (a manual-queue referral reported by phone)."""
    try:
        return referral_service.acknowledge(
            session=session,
            settings=settings,
            referral_id=referral_id,
            ack_in=outcome_in,
            actor=actor,
            on_behalf=True,
        )
    except referral_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc
    except referral_service.Refused as exc:
        _refused(exc)


# Alerts


@alerts.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    actor: SupervisorActor,
    open_only: Annotated[bool, Query(alias="open", description="only alerts nobody acknowledged")] = True,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AlertPage:
    """What supervisors must act on: dead letters, disabled endpoints, missed SLAs, declines."""
    try:
        return referral_service.list_alerts(
            session=session, open_only=open_only, kind=kind, cursor=cursor, limit=limit
        )
    except referral_service.InvalidCursor as exc:
        _bad_cursor(exc)


@alerts.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(alert_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> AlertOut:
    try:
        alert = referral_service.acknowledge_alert(session=session, alert_id=alert_id, actor=actor)
    except referral_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no alert with this id") from exc
    session.commit()
    return alert


# Overrides


@overrides.post("/{decision_id}/override", response_model=DecisionOut)
def override_decision(
    decision_id: uuid.UUID,
    override_in: OverrideIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: SupervisorActor,
) -> DecisionOut:
    """Replace the decision's targets, with a mandatory reason. The original stays visible."""
    try:
        decision = referral_flows.override_decision(
            session=session, settings=settings, decision_id=decision_id, override_in=override_in, actor=actor
        )
    except decision_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no decision with this id") from exc
    except decision_service.OverrideRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    session.commit()
    return decision_service.decision_out(session=session, decision=decision)


router = APIRouter()
router.include_router(partner)
router.include_router(supervisor)
router.include_router(alerts)
router.include_router(overrides)
