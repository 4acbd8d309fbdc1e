"""Partner delivery tables: endpoints, referrals, the outbox (deliveries) and its attempts, supervisor alerts;
and the API's request and response shapes.

A `Referral` is what one agency receives and acknowledges for one tip. A `WebhookDelivery` is one event about
a referral for one endpoint (the outbox row, written in the routing transaction); each try at sending it is a
`WebhookAttempt`. Agencies without an endpoint still get their referral rows: the manual queue.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, field_validator
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, PIIText, UTCDateTime, new_id, utcnow
from hotline.tips import schemas as tip_schemas

EVENT_TYPES = ("referral.created", "referral.updated", "referral.withdrawn")
EventType = Literal["referral.created", "referral.updated", "referral.withdrawn"]

# pending: waiting to be delivered (webhook) or for staff (manual queue). delivered: the partner's endpoint
# answered 2xx. accepted / declined: the partner's acknowledgement. escalated: its SLA passed without one
# (it can still be acknowledged). withdrawn: the case no longer goes to this agency.
REFERRAL_STATUSES = ("pending", "delivered", "accepted", "declined", "escalated", "withdrawn")
ReferralStatus = Literal["pending", "delivered", "accepted", "declined", "escalated", "withdrawn"]
# Still the agency's: routing targets it. Declined and withdrawn referrals are closed.
ACTIVE_REFERRAL_STATUSES = ("pending", "delivered", "accepted", "escalated")
# Waiting for the agency's answer: the SLA clock runs.
AWAITING_ACK_STATUSES = ("pending", "delivered", "escalated")
# How a referral reaches its agency: a signed webhook, or hotline staff (phone, portal) from the manual queue.
REFERRAL_CHANNELS = ("webhook", "manual")
# Why a referral exists: the rules' decision, a supervisor's override, or a reroute after a decline or an SLA
# escalation.
REFERRAL_ORIGINS = ("decision", "override", "decline", "escalation")

# pending: due at next_attempt_at (or leased by a worker until then). delivered: 2xx. failed: the dead letter
# (every attempt failed). held: the endpoint is disabled; sent once it is enabled again.
DELIVERY_STATUSES = ("pending", "delivered", "failed", "held")
DeliveryStatus = Literal["pending", "delivered", "failed", "held"]
ENDPOINT_STATUSES = ("active", "disabled")
ALERT_KINDS = (
    "delivery_dead_lettered",
    "endpoint_disabled",
    "referral_sla_breached",
    "referral_declined",
)


class SecretText(sa.types.TypeDecorator):
    """A credential the service must use itself (a partner's signing secret), so it cannot be hashed.

    Encrypted at rest like PIIText (the same keyring); never logged and never returned by the API after the
    moment it is created.
    """

    impl = PIIText
    cache_ok = True


class WebhookEndpoint(SQLModel, table=True):
    """Where one partner agency receives its referrals, and the secret its deliveries are signed with."""

    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # One endpoint per agency: the agency's referrals and acknowledgements are one stream.
    agency_id: str = Field(foreign_key="agency.id", max_length=64, unique=True)
    url: str = Field(max_length=2000)
    # Narrows the agency's allowed fields further (data minimisation by the endpoint's own agreement).
    fields: list[str] | None = Field(default=None, sa_type=JSONDocument)
    secret: str = Field(sa_type=SecretText)
    # During a rotation deliveries carry a signature from each secret, until the old one expires.
    previous_secret: str | None = Field(default=None, sa_type=SecretText)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="active", max_length=16, index=True)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # gone (answered 410), failing (only failures for days), supervisor
    disabled_reason: str | None = Field(default=None, max_length=32)
    # The first failure since the last success: after days of nothing but failures the endpoint is disabled.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    """A case sent to one agency: what it receives, acknowledges, and what its SLA is measured on."""

    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_agency_id_created_at", "agency_id", "created_at"),
        sa.Index("ix_referral_tip_id_agency_id", "tip_id", "agency_id"),
        sa.Index("ix_referral_status_sla_due_at", "status", "sla_due_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id")
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_file.id")
    # The decision that targets the agency now (a re-assessment moves a kept referral to its new decision).
    decision_id: uuid.UUID = Field(foreign_key="routing_decision.id", index=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=64)
    rule_id: str = Field(max_length=64)
    priority: str = Field(max_length=16)
    sla_minutes: int | None = None
    sla_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str = Field(max_length=16)
    origin: str = Field(default="decision", max_length=16)
    # After a decline or an escalation: the referral this one follows.
    rerouted_from_id: uuid.UUID | None = Field(default=None, foreign_key="referral.id")
    status: str = Field(default="pending", max_length=16)
    # Events sent about this referral so far (1 = created); partners order events by it.
    sequence: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=120)
    # A partner's or supervisor's free text can name people: protected like other personal text.
    ack_reason: str | None = Field(default=None, sa_type=PIIText)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # override, reassessed, overridden_decision… (a code, never free text)
    withdrawn_reason: str | None = Field(default=None, max_length=40)


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one event about a referral for one endpoint, with the exact body signed and sent."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # The `webhook-id` header: the partner's idempotency key, the same for every attempt and every replay.
    message_id: str = Field(max_length=64, index=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id")
    agency_id: str = Field(max_length=64)
    event_type: str = Field(max_length=40)
    # The JSON body, byte for byte what is signed and sent. It holds the allowed fields of a tip.
    body: str = Field(sa_type=PIIText)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    # When the next attempt is due; while a worker holds the delivery, when its lease ends.
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set by the worker that claimed it: a result is applied only by the worker still holding the lease.
    lease_token: str | None = Field(default=None, max_length=32)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dead_lettered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A replay is a new delivery of the same message (same webhook-id); the original keeps its history.
    replay_of_id: uuid.UUID | None = Field(default=None, foreign_key="webhook_delivery.id")
    replayed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    replayed_by: str | None = Field(default=None, max_length=120)


class WebhookAttempt(SQLModel, table=True):
    """One try at sending a delivery: when, what came back, how long it took, what was decided."""

    __tablename__ = "webhook_attempt"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    latency_ms: int
    # timeout, connect_error, http_500, … (never the request or its body)
    error: str | None = Field(default=None, max_length=300)
    # The first KiB of the partner's answer, for diagnosis.
    response_excerpt: str | None = Field(default=None, sa_type=PIIText)
    # delivered, retry, failed (dead letter), disabled (the endpoint was disabled), held, stale (the lease
    # had passed to another worker: recorded, not applied)
    outcome: str = Field(max_length=16)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker: str = Field(max_length=120)


class SupervisorAlert(SQLModel, table=True):
    """Something a supervisor must act on: a dead letter, a disabled endpoint, a missed SLA, a decline."""

    __tablename__ = "supervisor_alert"
    __table_args__ = (sa.Index("ix_supervisor_alert_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    agency_id: str | None = Field(default=None, max_length=64)
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referral.id")
    delivery_id: uuid.UUID | None = Field(default=None, foreign_key="webhook_delivery.id")
    endpoint_id: uuid.UUID | None = Field(default=None, foreign_key="webhook_endpoint.id")
    # Built from ids, codes and counts only: never a name or any text from the tip.
    summary: str = Field(max_length=500)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    acknowledged_by: str | None = Field(default=None, max_length=120)


# API shapes


class ReferralOut(BaseModel):
    """A referral as its partner and supervisors see it (no tip data: that travels in the signed events)."""

    id: uuid.UUID
    agency_id: str
    case_id: uuid.UUID | None
    tip_id: uuid.UUID | None = PydanticField(None, description="only when the agreement allows tip_id")
    priority: str
    sla_minutes: int | None
    respond_by: datetime | None = PydanticField(description="acknowledge before this (the SLA)")
    status: ReferralStatus
    channel: Literal["webhook", "manual"]
    sequence: int
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    ack_reason: str | None
    escalated_at: datetime | None
    withdrawn_at: datetime | None


class SupervisorReferralOut(ReferralOut):
    tip_id: uuid.UUID | None
    decision_id: uuid.UUID
    rule_id: str
    origin: str
    rerouted_from_id: uuid.UUID | None
    acknowledged_by: str | None
    withdrawn_reason: str | None


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    next_cursor: str | None


class SupervisorReferralPage(BaseModel):
    items: list[SupervisorReferralOut]
    next_cursor: str | None


class AckIn(BaseModel):
    status: Literal["accepted", "declined"]
    reason: str | None = PydanticField(
        None, max_length=2000, description="required when declining: why the agency cannot take the case"
    )

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def check(self) -> None:
        if self.status == "declined" and (self.reason is None or len(self.reason) < 5):
            raise ValueError("a reason (5 characters or more) is required when declining")


class AckOut(BaseModel):
    referral: ReferralOut
    # After a decline: where the case went next.
    rerouted_to: str | None = None


class OutcomeOut(BaseModel):
    """An answer a supervisor recorded, with the referral as supervisors see it."""

    referral: SupervisorReferralOut
    rerouted_to: str | None = None


class AttemptOut(BaseModel):
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None
    outcome: str
    next_attempt_at: datetime | None
    worker: str


class DeliveryOut(BaseModel):
    id: uuid.UUID
    message_id: str
    referral_id: uuid.UUID
    endpoint_id: uuid.UUID
    agency_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    dead_lettered_at: datetime | None
    replay_of_id: uuid.UUID | None
    replayed_at: datetime | None
    replayed_by: str | None


class DeliveryLogEntry(DeliveryOut):
    attempts_log: list[AttemptOut]


class DeliveryLog(BaseModel):
    referral: SupervisorReferralOut
    deliveries: list[DeliveryLogEntry]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class EndpointOut(BaseModel):
    id: uuid.UUID
    agency_id: str
    url: str
    fields: list[str] | None
    effective_fields: list[str] = PydanticField(description="what deliveries carry: agency's ∩ endpoint's")
    status: Literal["active", "disabled"]
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    rotating: bool = PydanticField(description="a previous secret still signs deliveries too")
    previous_secret_expires_at: datetime | None
    pending: int
    held: int
    dead_letters: int
    created_at: datetime
    created_by: str


class EndpointWithSecret(EndpointOut):
    secret: str = PydanticField(description="shown once: the partner verifies signatures with it")


class EndpointIn(BaseModel):
    agency_id: str = PydanticField(min_length=1, max_length=64)
    url: AnyHttpUrl
    fields: list[str] | None = PydanticField(None, max_length=100)


class EndpointPatch(BaseModel):
    url: AnyHttpUrl | None = None
    fields: list[str] | None = PydanticField(None, max_length=100)


class RotateIn(BaseModel):
    grace_hours: float | None = PydanticField(
        None,
        ge=0,
        le=24 * 30,
        strict=True,
        description="how long the old secret still signs (default: the setting)",
    )


class ReplaySinceIn(BaseModel):
    since: Annotated[datetime, BeforeValidator(tip_schemas.date_as_text)]
    include_delivered: bool = PydanticField(
        False, strict=True, description="also send again what the partner already received (it lost its copy)"
    )


class ReplayOut(BaseModel):
    replayed: int
    deliveries: list[uuid.UUID]


class AlertOut(BaseModel):
    id: uuid.UUID
    kind: str
    agency_id: str | None
    referral_id: uuid.UUID | None
    delivery_id: uuid.UUID | None
    endpoint_id: uuid.UUID | None
    summary: str
    detail: dict[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class OutcomeIn(AckIn):
    """A supervisor records an agency's answer given outside the API (a phone call, a portal)."""
