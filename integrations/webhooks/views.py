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
    SessionDep,
    SettingsDep,
    SupervisorActor,
    SupervisorOrAdminActor,
)
from integrations.webhooks import service as webhook_service
from integrations.webhooks.models import (
    DeliveryLog,
    DeliveryOut,
    DeliveryPage,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecret,
    ReplayOut,
    ReplaySinceIn,
    RotateIn,
)

delivery = APIRouter(prefix="/api/v1/delivery", tags=["partner delivery"])

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


# Supervisors: referrals and their delivery


@delivery.get("/referrals/{referral_id}", response_model=DeliveryLog)
def referral_delivery_log(referral_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> DeliveryLog:
    """The delivery log of a referral: every event sent for it and every attempt of each."""
    try:
        return webhook_service.delivery_log(session=session, referral_id=referral_id)
    except webhook_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no referral with this id") from exc


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


router = APIRouter()
router.include_router(delivery)
