"""HTTP handlers for partner delivery.

Partners (their own key): their referrals and acknowledgements. Supervisors: referrals of every agency (the
manual queue included), delivery logs, dead letters, replays, endpoint health, alerts. Administrators:
register endpoints, change them, rotate their secrets.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, Response, status

from hotline.deps import (
    AdminActor,
    PartnerActor,
    SessionDep,
    SettingsDep,
    SupervisorActor,
    SupervisorOrAdminActor,
)
from integrations.webhooks import service as webhook_service
from integrations.webhooks.models import (
    AckIn,
    AckOut,
    AlertOut,
    AlertPage,
    DeliveryLog,
    DeliveryOut,
    DeliveryPage,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecret,
    OutcomeIn,
    OutcomeOut,
    ReferralOut,
    ReferralPage,
    ReferralStatus,
    ReplayOut,
    ReplaySinceIn,
    RotateIn,
    SupervisorReferralPage,
)

partner = APIRouter(prefix="/api/v1/referrals", tags=["partner referrals"])
delivery = APIRouter(prefix="/api/v1/delivery", tags=["partner delivery"])
alerts = APIRouter(prefix="/api/v1/alerts", tags=["partner delivery"])

Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=webhook_service.MAX_PAGE_SIZE)]


def _refused(exc: webhook_service.Refused) -> NoReturn:
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
    actor: PartnerActor,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ReferralPage:
    """Your agency's referrals, newest first. The case data itself arrives in the signed webhooks."""
    try:
        return webhook_service.partner_referrals(
            session=session, actor=actor, status=status_, cursor=cursor, limit=limit
        )
    except webhook_service.InvalidCursor as exc:
        _bad_cursor(exc)


@partner.get("/{referral_id}", response_model=ReferralOut)
def read_my_referral(referral_id: uuid.UUID, session: SessionDep, actor: PartnerActor) -> ReferralOut:
    """One of your agency's referrals (any other id: 404)."""
    try:
        return webhook_service.partner_referral(session=session, referral_id=referral_id, actor=actor)
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc


@partner.post("/{referral_id}/ack", response_model=AckOut)
def acknowledge_referral(
    referral_id: uuid.UUID, ack_in: AckIn, session: SessionDep, actor: PartnerActor
) -> AckOut | OutcomeOut:
    """Accept a referral, or decline it with a reason (the case then goes to the next agency). Sending the
    same answer again changes nothing."""
    try:
        return webhook_service.acknowledge(
            session=session, referral_id=referral_id, ack_in=ack_in, actor=actor
        )
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc
    except webhook_service.Refused as exc:
        _refused(exc)


# Supervisors: referrals and their delivery


@delivery.get("/referrals", response_model=SupervisorReferralPage)
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
        return webhook_service.supervisor_referrals(
            session=session,
            agency_id=agency_id,
            status=status_,
            channel=channel,
            tip_id=tip_id,
            overdue=overdue,
            cursor=cursor,
            limit=limit,
        )
    except webhook_service.InvalidCursor as exc:
        _bad_cursor(exc)


@delivery.get("/referrals/{referral_id}", response_model=DeliveryLog)
def referral_delivery_log(referral_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> DeliveryLog:
    """The delivery log of a referral: every event sent for it and every attempt of each."""
    try:
        return webhook_service.delivery_log(session=session, referral_id=referral_id)
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc


@delivery.post("/referrals/{referral_id}/outcome", response_model=OutcomeOut)
def record_outcome(
    referral_id: uuid.UUID, outcome_in: OutcomeIn, session: SessionDep, actor: SupervisorActor
) -> AckOut | OutcomeOut:
    """Record an agency's answer given outside the API (a manual-queue referral reported by phone)."""
    try:
        return webhook_service.acknowledge(
            session=session, referral_id=referral_id, ack_in=outcome_in, actor=actor, on_behalf=True
        )
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc
    except webhook_service.Refused as exc:
        _refused(exc)


@delivery.get("/dead-letters", response_model=DeliveryPage)
def list_dead_letters(
    session: SessionDep,
    actor: SupervisorActor,
    agency_id: Annotated[str | None, Query(max_length=64)] = None,
    endpoint_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """Deliveries whose every attempt failed, not replayed yet, newest first."""
    try:
        return webhook_service.dead_letters(
            session=session, agency_id=agency_id, endpoint_id=endpoint_id, cursor=cursor, limit=limit
        )
    except webhook_service.InvalidCursor as exc:
        _bad_cursor(exc)


@delivery.post(
    "/deliveries/{delivery_id}/replay", response_model=DeliveryOut, status_code=status.HTTP_201_CREATED
)
def replay_delivery(delivery_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> DeliveryOut:
    """Send a delivery again: a new delivery of the same message (same webhook-id, so a partner that has
    it already can drop it)."""
    try:
        replay = webhook_service.replay_delivery(session=session, delivery_id=delivery_id, actor=actor)
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no delivery with this id") from exc
    except webhook_service.Refused as exc:
        _refused(exc)
    session.commit()
    return webhook_service._delivery_out(replay)


# Endpoints


def _endpoint(session: SessionDep, endpoint_id: uuid.UUID) -> webhook_service.WebhookEndpoint:
    endpoint = webhook_service.get_endpoint(session=session, endpoint_id=endpoint_id)
    if endpoint is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no endpoint with this id")
    return endpoint


def _endpoint_out(session: SessionDep, endpoint: webhook_service.WebhookEndpoint) -> EndpointOut:
    return webhook_service.endpoint_out(session, [endpoint])[0]


@delivery.get("/endpoints", response_model=list[EndpointOut])
def list_endpoints(
    session: SessionDep,
    actor: SupervisorOrAdminActor,
    status_: Annotated[Literal["active", "disabled"] | None, Query(alias="status")] = None,
    failing: Annotated[bool | None, Query(description="failing since its last success")] = None,
) -> list[EndpointOut]:
    """Partner endpoints with their health: disabled ones and why, failing ones since when, and how many
    deliveries are pending, held or dead."""
    return webhook_service.list_endpoints(session=session, status=status_, failing=failing)


@delivery.get("/endpoints/{endpoint_id}", response_model=EndpointOut)
def read_endpoint(endpoint_id: uuid.UUID, session: SessionDep, actor: SupervisorOrAdminActor) -> EndpointOut:
    return _endpoint_out(session, _endpoint(session, endpoint_id))


@delivery.post("/endpoints", response_model=EndpointWithSecret, status_code=status.HTTP_201_CREATED)
def register_endpoint(
    endpoint_in: EndpointIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: AdminActor,
    response: Response,
) -> EndpointWithSecret:
    """Register an agency's webhook endpoint. The signing secret is in this answer only: give it to the
    partner over a safe channel."""
    try:
        endpoint, secret = webhook_service.register_endpoint(
            session=session,
            agency_id=endpoint_in.agency_id,
            url=str(endpoint_in.url),
            fields=endpoint_in.fields,
            actor=actor,
            settings=settings,
        )
    except webhook_service.Refused as exc:
        _refused(exc)
    session.commit()
    response.headers["Location"] = f"/api/v1/delivery/endpoints/{endpoint.id}"
    return EndpointWithSecret(**_endpoint_out(session, endpoint).model_dump(), secret=secret)


@delivery.patch("/endpoints/{endpoint_id}", response_model=EndpointOut)
def update_endpoint(
    endpoint_id: uuid.UUID,
    patch: EndpointPatch,
    session: SessionDep,
    settings: SettingsDep,
    actor: AdminActor,
) -> EndpointOut:
    """Change an endpoint's URL, or the fields it receives (`"fields": null` sends every allowed field)."""
    endpoint = _endpoint(session, endpoint_id)
    try:
        webhook_service.update_endpoint(
            session=session,
            endpoint=endpoint,
            url=str(patch.url) if patch.url is not None else None,
            fields=patch.fields,
            clear_fields="fields" in patch.model_fields_set and patch.fields is None,
            actor=actor,
            settings=settings,
        )
    except webhook_service.Refused as exc:
        _refused(exc)
    session.commit()
    return _endpoint_out(session, endpoint)


@delivery.post("/endpoints/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
def rotate_secret(
    endpoint_id: uuid.UUID,
    rotate_in: RotateIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: AdminActor,
) -> EndpointWithSecret:
    """A new signing secret (in this answer only). During the grace period deliveries carry a signature
    from the old secret as well, so the partner can switch without losing any."""
    endpoint = _endpoint(session, endpoint_id)
    hours = (
        rotate_in.grace_hours if rotate_in.grace_hours is not None else settings.webhook_rotation_grace_hours
    )
    secret = webhook_service.rotate_secret(
        session=session, endpoint=endpoint, actor=actor, grace=timedelta(hours=hours)
    )
    session.commit()
    return EndpointWithSecret(**_endpoint_out(session, endpoint).model_dump(), secret=secret)


@delivery.post("/endpoints/{endpoint_id}/enable", response_model=EndpointOut)
def enable_endpoint(endpoint_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> EndpointOut:
    """Enable a disabled endpoint again; the deliveries it held are sent now."""
    endpoint = _endpoint(session, endpoint_id)
    webhook_service.enable_endpoint(session=session, endpoint=endpoint, actor=actor)
    session.commit()
    return _endpoint_out(session, endpoint)


@delivery.post("/endpoints/{endpoint_id}/replay", response_model=ReplayOut)
def replay_endpoint(
    endpoint_id: uuid.UUID, replay_in: ReplaySinceIn, session: SessionDep, actor: SupervisorActor
) -> ReplayOut:
    """Replay the endpoint's dead letters written since a time (with `include_delivered`, everything it
    was sent since then)."""
    since = replay_in.since
    if since.tzinfo is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "field": "since",
                    "msg": "give a time zone offset, e.g. 2026-11-24T00:00:00Z",
                    "type": "value_error",
                }
            ],
        )
    try:
        replays = webhook_service.replay_since(
            session=session,
            endpoint_id=endpoint_id,
            since=since,
            include_delivered=replay_in.include_delivered,
            actor=actor,
        )
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no endpoint with this id") from exc
    except webhook_service.Refused as exc:
        _refused(exc)
    session.commit()
    return ReplayOut(replayed=len(replays), deliveries=[replay.id for replay in replays])


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
        return webhook_service.list_alerts(
            session=session, open_only=open_only, kind=kind, cursor=cursor, limit=limit
        )
    except webhook_service.InvalidCursor as exc:
        _bad_cursor(exc)


@alerts.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(alert_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> AlertOut:
    try:
        alert = webhook_service.acknowledge_alert(session=session, alert_id=alert_id, actor=actor)
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no alert with this id") from exc
    session.commit()
    return alert


router = APIRouter()
router.include_router(partner)
router.include_router(delivery)
router.include_router(alerts)
