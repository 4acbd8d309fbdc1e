"""Partner webhook tables: endpoints, the outbox (deliveries) and its attempts; and the API's shapes.

A `WebhookDelivery` is one event about a referral (hotline.referrals) for one endpoint: the outbox row,
written in the transaction that changed the referral; each try at sending it is a `WebhookAttempt`.
"""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import AnyHttpUrl, BaseModel, BeforeValidator
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, PIIText, UTCDateTime, new_id, utcnow
from hotline.referrals.models import EventType, SupervisorReferralOut
from hotline.tips import schemas as tip_schemas

# pending: due at next_attempt_at (or leased by a worker until then). delivered: 2xx. failed: the dead letter
# (every attempt failed). held: the endpoint is disabled; sent once it is enabled again.
DELIVERY_STATUSES = ("pending", "delivered", "failed", "held")
DeliveryStatus = Literal["pending", "delivered", "failed", "held"]
ENDPOINT_STATUSES = ("active", "disabled")


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


# API shapes


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
