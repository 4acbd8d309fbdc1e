"""Referrals and supervisor alerts: tables, statuses, and the API's request and response shapes.

A `Referral` is what one agency receives and acknowledges for one tip. How it reaches the agency is a
channel's business (a signed webhook: hotline.referrals.interfaces); agencies no channel reaches are worked by
hand from the manual queue. A `SupervisorAlert` is something a supervisor must act on.
"""

import uuid
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, field_validator
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, PIIText, UTCDateTime, new_id, utcnow

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
ALERT_KINDS = (
    "delivery_dead_lettered",
    "endpoint_disabled",
    "referral_sla_breached",
    "referral_declined",
)


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
