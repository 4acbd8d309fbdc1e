"""Partner webhooks as a referral channel: the referrals domain announces, this writes the outbox.

Each announcement for an agency with an endpoint becomes a `webhook_delivery` row carrying the exact body to
sign and send, in the transaction of whatever caused it; `hotline worker` sends what commits. Registered in
`hotline.assembly`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hotline.core.config import Settings
from hotline.core.database import is_postgres
from hotline.referrals import service as referral_service
from hotline.referrals.interfaces import Announcement
from hotline.referrals.models import Referral
from integrations.webhooks import payloads
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint

CHANNEL_NAME = "webhook"
# Workers LISTEN on this channel (PostgreSQL): a commit that wrote deliveries wakes them at once.
NOTIFY_CHANNEL = "hotline_webhook_outbox"
_NOTIFIED_KEY = "hotline_webhook_notified"


def notify_workers(session: Session) -> None:
    """Wake idle workers when this transaction commits (PostgreSQL; SQLite workers poll)."""
    if not is_postgres(session):
        return
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED_KEY) is transaction and transaction is not None:
        return
    session.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    session.info[_NOTIFIED_KEY] = transaction


def referral_facts(referral: Referral, *, settings: Settings) -> payloads.ReferralFacts:
    return payloads.ReferralFacts(
        referral_id=referral.id,
        agency_id=referral.agency_id,
        sequence=referral.sequence,
        status=referral.status,
        priority=referral.priority,
        sla_minutes=referral.sla_minutes,
        respond_by=referral.sla_due_at,
        ack_url=f"{settings.public_base_url}/api/v1/referrals/{referral.id}/ack",
    )


class WebhookChannel:
    """One unit of work's view of the registered endpoints (each read once)."""

    name = CHANNEL_NAME

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._endpoints: dict[str, WebhookEndpoint | None] = {}
        self._wrote = False

    def _load(self, agency_ids: Collection[str]) -> None:
        missing = sorted(set(agency_ids) - set(self._endpoints))
        if not missing:
            return
        for endpoint in self.session.exec(
            select(WebhookEndpoint).where(col(WebhookEndpoint.agency_id).in_(missing))
        ).all():
            self._endpoints[endpoint.agency_id] = endpoint
        for agency_id in missing:
            self._endpoints.setdefault(agency_id, None)

    def endpoint(self, agency_id: str) -> WebhookEndpoint | None:
        self._load([agency_id])
        return self._endpoints[agency_id]

    def reaches(self, agency_ids: Collection[str]) -> set[str]:
        self._load(agency_ids)
        return {agency_id for agency_id in agency_ids if self._endpoints.get(agency_id) is not None}

    def narrowed_fields(self, agency_id: str) -> list[str] | None:
        endpoint = self.endpoint(agency_id)
        return endpoint.fields if endpoint is not None else None

    def announce(self, announcement: Announcement) -> None:
        referral = announcement.referral
        endpoint = self.endpoint(referral.agency_id)
        if endpoint is None:
            return
        tip = None
        if announcement.tip is not None:
            fields = referral_service.effective_fields(announcement.agency.allowed_fields, endpoint.fields)
            tip = payloads.tip_data(announcement.tip, fields)
        body = payloads.event_body(
            event_type=announcement.event_type,
            referral=referral_facts(referral, settings=self.settings),
            occurred_at=announcement.occurred_at,
            tip=tip,
            reason=announcement.reason,
        )
        delivery_id = uuid.uuid4()
        delay = self.settings.webhook_retry_delays[0]
        self.session.add(
            WebhookDelivery(
                id=delivery_id,
                message_id=f"msg_{delivery_id.hex}",
                referral_id=referral.id,
                endpoint_id=endpoint.id,
                agency_id=referral.agency_id,
                event_type=announcement.event_type,
                body=body,
                # A disabled endpoint's deliveries wait for it to be enabled again.
                status="held" if endpoint.status == "disabled" else "pending",
                next_attempt_at=announcement.occurred_at + timedelta(seconds=delay),
                created_at=announcement.occurred_at,
            )
        )
        self._wrote = True

    def finish(self) -> None:
        if self._wrote:
            notify_workers(self.session)
