"""Supervisors' pages for partner delivery: dead letters (replay one), endpoints that fail or were disabled
(enable again, replay all since a time), a referral's delivery log, and the alerts to act on. Every action
goes through partner delivery's service, as the API's, and is audited there under the signed-in person.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from hotline.core.config import Settings
from hotline.deps import SessionDep
from hotline.referrals import service as referral_service
from hotline.referrals.models import ALERT_KINDS
from hotline.web.pages import actor_names, list_page, page_url, parse_id, read_filters, redirect, render
from hotline.web.security import CsrfChecked, PageError, SupervisorUser, WebUser
from integrations.webhooks import service as webhook_service
from integrations.webhooks.models import WebhookEndpoint

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
ALERT_LABELS = {
    "delivery_dead_lettered": "a delivery failed for good",
    "endpoint_disabled": "an endpoint was disabled",
    "referral_sla_breached": "a referral passed its SLA",
    "referral_declined": "an agency declined a referral",
}
NOTICES = {
    "replayed": "Sent again: a new delivery of the same message (same webhook-id) is on its way.",
    "enabled": "Endpoint enabled: the deliveries it held are being sent.",
}


class DeadLetterFilters(BaseModel):
    agency: str | None = Field(None, max_length=64)
    endpoint: uuid.UUID | None = None
    cursor: str | None = Field(None, max_length=200)


def _deliveries_page(  # type: ignore[no-untyped-def]
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    problem: str | None = None,
    status_code: int = 200,
):
    filters, errors = read_filters(DeadLetterFilters, request)
    query = {"agency_id": filters.agency, "endpoint_id": filters.endpoint}
    page = list_page(
        webhook_service.dead_letters,
        cursor=filters.cursor,
        errors=errors,
        session=session,
        limit=PAGE_SIZE,
        **query,
    )
    endpoints = webhook_service.list_endpoints(session=session)
    return render(
        request,
        "deliveries/index.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "page": page,
            "next_url": page_url(request, cursor=page.next_cursor) if page.next_cursor else None,
            "attention": [e for e in endpoints if e.status == "disabled" or e.failing_since is not None],
            "agency_options": [(endpoint.agency_id, endpoint.agency_id) for endpoint in endpoints],
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "problem": problem,
        },
        web_user=web_user,
        status_code=status_code,
    )


@router.get("/deliveries")
def deliveries_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    return _deliveries_page(request, session, web_user)


@router.post("/deliveries/{delivery_id}/replay")
def replay_delivery(
    request: Request, delivery_id: str, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    try:
        replay = webhook_service.replay_delivery(
            session=session, delivery_id=parse_id(delivery_id, "delivery"), actor=web_user.actor
        )
    except webhook_service.NotFound as exc:
        raise PageError(404, "There is no delivery with this id.") from exc
    except webhook_service.Refused as exc:
        session.rollback()
        return _deliveries_page(request, session, web_user, problem=str(exc), status_code=409)
    session.commit()
    return redirect(f"/deliveries/referrals/{replay.referral_id}?done=replayed")


class EndpointFilters(BaseModel):
    status: Literal["active", "disabled"] | None = None
    failing: Literal["yes", "no"] | None = None


def _endpoints_page(  # type: ignore[no-untyped-def]
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    problem: str | None = None,
    status_code: int = 200,
):
    filters, errors = read_filters(EndpointFilters, request)
    endpoints = webhook_service.list_endpoints(
        session=session,
        status=filters.status,
        failing=None if filters.failing is None else filters.failing == "yes",
    )
    replayed = request.query_params.get("replayed")
    return render(
        request,
        "deliveries/endpoints.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "endpoints": endpoints,
            "notice": NOTICES.get(request.query_params.get("done", ""))
            or (f"{replayed} deliveries sent again." if replayed and replayed.isdigit() else None),
            "problem": problem,
            "timezone": request.app.state.settings.display_timezone,
        },
        web_user=web_user,
        status_code=status_code,
    )


@router.get("/deliveries/endpoints")
def endpoints_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    return _endpoints_page(request, session, web_user)


def _endpoint_or_404(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = webhook_service.get_endpoint(session=session, endpoint_id=parse_id(endpoint_id, "endpoint"))
    if endpoint is None:
        raise PageError(404, "There is no endpoint with this id.")
    return endpoint


@router.post("/deliveries/endpoints/{endpoint_id}/enable")
def enable_endpoint(
    request: Request, endpoint_id: str, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    endpoint = _endpoint_or_404(session, endpoint_id)
    webhook_service.enable_endpoint(session=session, endpoint=endpoint, actor=web_user.actor)
    session.commit()
    return redirect("/deliveries/endpoints?done=enabled")


@router.post("/deliveries/endpoints/{endpoint_id}/replay")
def replay_endpoint(
    request: Request,
    endpoint_id: str,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    since: Annotated[str, Form(max_length=40)] = "",
    include_delivered: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Send again an endpoint's dead letters written since a time (given in the display time zone), and with
    `include_delivered` what it received too (a partner that lost its copies)."""
    endpoint = _endpoint_or_404(session, endpoint_id)
    settings: Settings = request.app.state.settings
    try:
        moment = datetime.fromisoformat(since.strip())
    except ValueError:
        return _endpoints_page(
            request, session, web_user, problem="Give the date and time to replay from.", status_code=422
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.display_timezone))
    try:
        replays = webhook_service.replay_since(
            session=session,
            endpoint_id=endpoint.id,
            since=moment,
            include_delivered=include_delivered == "1",
            actor=web_user.actor,
        )
    except webhook_service.Refused as exc:
        session.rollback()
        return _endpoints_page(request, session, web_user, problem=str(exc), status_code=409)
    session.commit()
    return redirect(f"/deliveries/endpoints?replayed={len(replays)}")


@router.get("/deliveries/referrals/{referral_id}")
def referral_log(
    request: Request, referral_id: str, session: SessionDep, web_user: SupervisorUser
) -> Response:
    try:
        log = webhook_service.delivery_log(session=session, referral_id=parse_id(referral_id, "referral"))
    except webhook_service.NotFound as exc:
        raise PageError(404, "There is no referral with this id.") from exc
    return render(
        request,
        "deliveries/referral.html",
        {
            "log": log,
            "referral": log.referral,
            "names": actor_names(
                session,
                [log.referral.acknowledged_by, *(delivery.replayed_by for delivery in log.deliveries)],
            ),
            "notice": NOTICES.get(request.query_params.get("done", "")),
        },
        web_user=web_user,
    )


class AlertFilters(BaseModel):
    show: Literal["open", "all"] = "open"
    kind: Literal[ALERT_KINDS] | None = None  # type: ignore[valid-type]
    cursor: str | None = Field(None, max_length=200)


@router.get("/alerts")
def alerts_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    filters, errors = read_filters(AlertFilters, request)
    query = {"open_only": filters.show == "open", "kind": filters.kind}
    page = list_page(
        referral_service.list_alerts,
        cursor=filters.cursor,
        errors=errors,
        session=session,
        limit=PAGE_SIZE,
        **query,
    )
    return render(
        request,
        "deliveries/alerts.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "page": page,
            "next_url": page_url(request, cursor=page.next_cursor) if page.next_cursor else None,
            "kind_options": [(kind, ALERT_LABELS.get(kind, kind)) for kind in ALERT_KINDS],
            "labels": ALERT_LABELS,
            "names": actor_names(session, [alert.acknowledged_by for alert in page.items]),
        },
        web_user=web_user,
    )


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    request: Request, alert_id: str, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    try:
        referral_service.acknowledge_alert(
            session=session, alert_id=parse_id(alert_id, "alert"), actor=web_user.actor
        )
    except referral_service.NotFound as exc:
        raise PageError(404, "There is no alert with this id.") from exc
    session.commit()
    return redirect("/alerts")
