"""Partner delivery's work on the database, outside the worker: endpoints and their secrets, dead letters,
replays and delivery logs.

Every change is audited where it is made; free text (a decline's reason) is kept in protected columns and only
its length reaches the audit chain.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col, func, select

from hotline.agencies import service as agency_service
from hotline.agencies.models import Agency
from hotline.core import pagination
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import utcnow
from hotline.referrals import service as referral_service
from hotline.referrals.models import (
    Referral,
)
from integrations.webhooks import channel, signing
from integrations.webhooks.models import (
    AttemptOut,
    DeliveryLog,
    DeliveryLogEntry,
    DeliveryOut,
    DeliveryPage,
    EndpointOut,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

log = structlog.get_logger(__name__)

MAX_PAGE_SIZE = 100
WORKER_ACTOR = referral_service.WORKER_ACTOR
InvalidCursor = pagination.InvalidCursor


class NotFound(LookupError):
    pass


class Refused(ValueError):
    """A request that cannot be done as asked; `field` names what to change."""

    def __init__(self, message: str, *, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


# Endpoints


def check_url(url: str, *, settings: Settings) -> str:
    """A partner's URL: http(s), no credentials in it; https in production except on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused("the URL must be http:// or https:// with a host", field="url")
    if parts.username or parts.password:
        raise Refused("the URL must not carry a user or password (it is listed to supervisors)", field="url")
    if parts.fragment:
        raise Refused("the URL must not have a #fragment", field="url")
    if parts.scheme == "http" and settings.environment == "production" and not _loopback(parts.hostname):
        raise Refused("in production the URL must be https:// (referrals carry victims' data)", field="url")
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_fields(agency: Agency, fields: list[str] | None) -> list[str] | None:
    if fields is None:
        return None
    cleaned = list(dict.fromkeys(field.strip() for field in fields if field.strip()))
    outside = [field for field in cleaned if field not in agency.allowed_fields]
    if outside:
        raise Refused(
            f"not in {agency.id}'s agreement (allowed: {', '.join(agency.allowed_fields)}): "
            f"{', '.join(outside)}",
            field="fields",
        )
    return cleaned


def get_endpoint(*, session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def endpoint_for_agency(*, session: Session, agency_id: str) -> WebhookEndpoint | None:
    return session.exec(select(WebhookEndpoint).where(WebhookEndpoint.agency_id == agency_id)).first()


def register_endpoint(
    *,
    session: Session,
    agency_id: str,
    url: str,
    fields: list[str] | None,
    actor: Actor,
    settings: Settings,
) -> tuple[WebhookEndpoint, str]:
    """Register an agency's webhook endpoint; returns it with its new secret (shown once, never logged)."""
    agency_service.sync_directory(session=session, actor=actor)
    agency = session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise Refused(f"no active agency {agency_id!r} in the directory", field="agency_id")
    if endpoint_for_agency(session=session, agency_id=agency_id) is not None:
        raise Refused(
            f"{agency_id} already has an endpoint: change its URL or fields, or rotate its secret",
            field="agency_id",
            conflict=True,
        )
    check_url(url, settings=settings)
    narrowed = _check_fields(agency, fields)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        agency_id=agency_id, url=url, fields=narrowed, secret=secret, created_by=actor.ref
    )
    session.add(endpoint)
    if not any(channel.get("type") == "webhook" for channel in agency.channels):
        agency.channels = [*agency.channels, {"type": "webhook"}]
        agency.updated_at = utcnow()
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="webhook_endpoint.registered",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        detail={"agency_id": agency_id, "url": url, "fields": narrowed},
    )
    return endpoint, secret


def update_endpoint(
    *,
    session: Session,
    endpoint: WebhookEndpoint,
    url: str | None,
    fields: list[str] | None,
    clear_fields: bool = False,
    actor: Actor,
    settings: Settings,
) -> WebhookEndpoint:
    changes: dict[str, Any] = {}
    if url is not None and url != endpoint.url:
        check_url(url, settings=settings)
        changes["url"] = {"from": endpoint.url, "to": url}
        endpoint.url = url
    if fields is not None or clear_fields:
        agency = session.get(Agency, endpoint.agency_id)
        assert agency is not None
        narrowed = None if clear_fields else _check_fields(agency, fields)
        changes["fields"] = {"from": endpoint.fields, "to": narrowed}
        endpoint.fields = narrowed
    if changes:
        endpoint.updated_at = utcnow()
        audit_service.record(
            session,
            actor=actor,
            action="webhook_endpoint.updated",
            subject_type="webhook_endpoint",
            subject_id=endpoint.id,
            detail={"agency_id": endpoint.agency_id, **changes},
        )
    return endpoint


def rotate_secret(*, session: Session, endpoint: WebhookEndpoint, actor: Actor, grace: timedelta) -> str:
    """A new secret signs from now on; the old one also signs until `grace` has passed."""
    now = utcnow()
    new = signing.new_secret()
    if grace > timedelta(0):
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + grace
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = None, None
    endpoint.secret = new
    endpoint.updated_at = now
    audit_service.record(
        session,
        actor=actor,
        action="webhook_endpoint.secret_rotated",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        detail={"agency_id": endpoint.agency_id, "grace_seconds": int(grace.total_seconds())},
    )
    return new


def expire_rotated_secrets(*, session: Session, now: datetime | None = None) -> int:
    now = now or utcnow()
    expired = session.exec(
        select(WebhookEndpoint).where(
            col(WebhookEndpoint.previous_secret_expires_at).is_not(None),
            col(WebhookEndpoint.previous_secret_expires_at) <= now,
        )
    ).all()
    for endpoint in expired:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = None, None
    return len(expired)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    return signing.secrets_in_use(
        endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_expires_at, now=now
    )


def disable_endpoint(
    *, session: Session, endpoint: WebhookEndpoint, reason: str, actor: Actor, detail: dict[str, Any]
) -> None:
    """Stop delivering to an endpoint: its waiting deliveries are held, supervisors alerted."""
    if endpoint.status == "disabled":
        return
    now = utcnow()
    endpoint.status, endpoint.disabled_at, endpoint.disabled_reason = "disabled", now, reason
    endpoint.updated_at = now
    held = session.execute(
        sa.update(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint.id, col(WebhookDelivery.status) == "pending")
        .values(status="held", lease_token=None)
    ).rowcount
    audit_service.record(
        session,
        actor=actor,
        action="webhook_endpoint.disabled",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        detail={"agency_id": endpoint.agency_id, "reason": reason, "held": held, **detail},
    )
    why = {
        "gone": "it answered 410 Gone",
        "failing": "it has answered nothing but failures since "
        + (endpoint.failing_since.isoformat(timespec="minutes") if endpoint.failing_since else "long"),
    }.get(reason, reason)
    referral_service.raise_alert(
        session=session,
        kind="endpoint_disabled",
        summary=f"Webhook endpoint of {endpoint.agency_id} disabled: {why}. {held} deliveries are held "
        "until it is enabled again; referrals to this agency need a phone call meanwhile.",
        agency_id=endpoint.agency_id,
        endpoint_id=endpoint.id,
        detail={"reason": reason, "held": held, **detail},
    )
    log.warning("webhook_endpoint_disabled", endpoint_id=str(endpoint.id), reason=reason, held=held)


def enable_endpoint(*, session: Session, endpoint: WebhookEndpoint, actor: Actor) -> int:
    """Enable an endpoint again; what it held is sent now. Returns how many deliveries were released."""
    now = utcnow()
    was = endpoint.status
    endpoint.status, endpoint.disabled_at, endpoint.disabled_reason = "active", None, None
    endpoint.failing_since = None
    endpoint.updated_at = now
    released = session.execute(
        sa.update(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint.id, col(WebhookDelivery.status) == "held")
        .values(status="pending", next_attempt_at=now, lease_token=None)
    ).rowcount
    audit_service.record(
        session,
        actor=actor,
        action="webhook_endpoint.enabled",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        detail={"agency_id": endpoint.agency_id, "was": was, "released": released},
    )
    channel.notify_workers(session)
    return released


def disable_failing_endpoints(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Endpoints that have answered nothing but failures for the configured time are disabled."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=settings.webhook_disable_after_hours)
    failing = session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.status == "active",
            col(WebhookEndpoint.failing_since).is_not(None),
            col(WebhookEndpoint.failing_since) <= cutoff,
        )
    ).all()
    for endpoint in failing:
        disable_endpoint(
            session=session,
            endpoint=endpoint,
            reason="failing",
            actor=WORKER_ACTOR,
            detail={"failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None},
        )
    return len(failing)


def _delivery_counts(session: Session, endpoint_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, str], int]:
    if not endpoint_ids:
        return {}
    rows = session.exec(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(
            col(WebhookDelivery.endpoint_id).in_(endpoint_ids),
            col(WebhookDelivery.status).in_(("pending", "held", "failed")),
            col(WebhookDelivery.replayed_at).is_(None),
        )
        .group_by(col(WebhookDelivery.endpoint_id), col(WebhookDelivery.status))
    ).all()
    return {(endpoint_id, status): count for endpoint_id, status, count in rows}


def endpoint_out(session: Session, endpoints: list[WebhookEndpoint]) -> list[EndpointOut]:
    counts = _delivery_counts(session, [endpoint.id for endpoint in endpoints])
    agencies = {
        agency.id: agency
        for agency in session.exec(
            select(Agency).where(col(Agency.id).in_([endpoint.agency_id for endpoint in endpoints]))
        ).all()
    }
    now = utcnow()
    result = []
    for endpoint in endpoints:
        agency = agencies.get(endpoint.agency_id)
        result.append(
            EndpointOut.model_validate(
                {
                    **endpoint.model_dump(exclude={"secret", "previous_secret"}),
                    "effective_fields": referral_service.effective_fields(
                        agency.allowed_fields if agency else [], endpoint.fields
                    ),
                    "rotating": len(signing_secrets(endpoint, now)) > 1,
                    "pending": counts.get((endpoint.id, "pending"), 0),
                    "held": counts.get((endpoint.id, "held"), 0),
                    "dead_letters": counts.get((endpoint.id, "failed"), 0),
                }
            )
        )
    return result


def list_endpoints(
    *, session: Session, status: str | None = None, failing: bool | None = None
) -> list[EndpointOut]:
    """Every endpoint; `failing`: only those whose latest attempts failed (or not)."""
    query = select(WebhookEndpoint).order_by(col(WebhookEndpoint.agency_id))
    if status:
        query = query.where(WebhookEndpoint.status == status)
    if failing is not None:
        column = col(WebhookEndpoint.failing_since)
        query = query.where(column.is_not(None) if failing else column.is_(None))
    return endpoint_out(session, list(session.exec(query).all()))


def _page(query: Any, at: Any, row_id: Any, cursor: str | None, limit: int, session: Session) -> Any:
    """Newest first, keyset-paginated on (timestamp, id)."""
    return pagination.keyset_page(
        session, query, at=col(at), row_id=col(row_id), cursor=cursor, limit=max(1, min(limit, MAX_PAGE_SIZE))
    )


# Deliveries: dead letters, replays, the delivery log


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery, from_attributes=True)
    if delivery.status != "pending":
        out.next_attempt_at = None
    return out


def dead_letters(
    *,
    session: Session,
    agency_id: str | None = None,
    endpoint_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DeliveryPage:
    """Deliveries every attempt of which failed and that no one has replayed yet."""
    query = select(WebhookDelivery).where(
        WebhookDelivery.status == "failed", col(WebhookDelivery.replayed_at).is_(None)
    )
    if agency_id:
        query = query.where(WebhookDelivery.agency_id == agency_id)
    if endpoint_id:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    rows, next_cursor = _page(query, WebhookDelivery.created_at, WebhookDelivery.id, cursor, limit, session)
    return DeliveryPage(items=[_delivery_out(row) for row in rows], next_cursor=next_cursor)


def decisions_with_dead_letters(*, session: Session) -> list[uuid.UUID]:
    """Routing decisions with a referral whose delivery failed for good and was not replayed (the decisions
    list's "delivery failed" filter)."""
    return list(
        session.exec(
            select(Referral.decision_id)
            .join(WebhookDelivery, col(WebhookDelivery.referral_id) == col(Referral.id))
            .where(WebhookDelivery.status == "failed", col(WebhookDelivery.replayed_at).is_(None))
            .distinct()
        ).all()
    )


def _replay(session: Session, original: WebhookDelivery, actor: Actor, now: datetime) -> WebhookDelivery:
    replay = WebhookDelivery(
        message_id=original.message_id,
        referral_id=original.referral_id,
        endpoint_id=original.endpoint_id,
        agency_id=original.agency_id,
        event_type=original.event_type,
        body=original.body,
        next_attempt_at=now,
        created_at=now,
        replay_of_id=original.id,
    )
    original.replayed_at, original.replayed_by = now, actor.ref
    session.add(replay)
    return replay


def replay_delivery(*, session: Session, delivery_id: uuid.UUID, actor: Actor) -> WebhookDelivery:
    """Send a delivery again as a new delivery of the same message (same `webhook-id`, same body)."""
    original = session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise NotFound(str(delivery_id))
    if original.status in {"pending", "held"}:
        raise Refused(f"this delivery is {original.status}: it is still going to be sent", conflict=True)
    if original.replayed_at is not None:
        raise Refused("this delivery was replayed already: replay its latest delivery instead", conflict=True)
    endpoint = session.get(WebhookEndpoint, original.endpoint_id)
    if endpoint is None or endpoint.status != "active":
        raise Refused("the endpoint is disabled: enable it first", conflict=True)
    replay = _replay(session, original, actor, utcnow())
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="webhook_delivery.replayed",
        subject_type="webhook_delivery",
        subject_id=original.id,
        detail={"replay_id": str(replay.id), "agency_id": original.agency_id, "was": original.status},
    )
    channel.notify_workers(session)
    return replay


def replay_since(
    *,
    session: Session,
    endpoint_id: uuid.UUID,
    since: datetime,
    include_delivered: bool,
    actor: Actor,
) -> list[WebhookDelivery]:
    """Replay an endpoint's dead letters written since a time (and, if asked, what it received too)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(str(endpoint_id))
    if endpoint.status != "active":
        raise Refused("the endpoint is disabled: enable it first", conflict=True)
    statuses = ("failed", "delivered") if include_delivered else ("failed",)
    originals = session.exec(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            col(WebhookDelivery.created_at) >= since,
            col(WebhookDelivery.status).in_(statuses),
            col(WebhookDelivery.replayed_at).is_(None),
        )
        .order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))
    ).all()
    now = utcnow()
    replays = [_replay(session, original, actor, now) for original in originals]
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="webhook_endpoint.replayed",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        detail={
            "agency_id": endpoint.agency_id,
            "since": since.isoformat(),
            "include_delivered": include_delivered,
            "replayed": len(replays),
            "by_status": dict(Counter(original.status for original in originals)),
        },
    )
    channel.notify_workers(session)
    return replays


def delivery_log(*, session: Session, referral_id: uuid.UUID) -> DeliveryLog:
    """A referral with every delivery made for it and every attempt of each, oldest first."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(str(referral_id))
    deliveries = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.referral_id == referral_id)
        .order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))
    ).all()
    attempts: dict[uuid.UUID, list[WebhookAttempt]] = {}
    if deliveries:
        for attempt in session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([delivery.id for delivery in deliveries]))
            .order_by(col(WebhookAttempt.number))
        ).all():
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return DeliveryLog(
        referral=referral_service.supervisor_view(referral),
        deliveries=[
            DeliveryLogEntry(
                **_delivery_out(delivery).model_dump(),
                attempts_log=[
                    AttemptOut.model_validate(attempt, from_attributes=True)
                    for attempt in attempts.get(delivery.id, [])
                ],
            )
            for delivery in deliveries
        ],
    )


@dataclass(frozen=True)
class EndpointHealth:
    disabled: int
    expired_secrets: int
