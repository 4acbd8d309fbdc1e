"""Twilio's side of intake: calls, SMS sessions and messages, and who asked not to be texted.

Each row is keyed by Twilio's own ids (CallSid, MessageSid) with unique constraints, so a callback that
Twilio retries never creates a second row. Phone numbers and message texts are `PIIText` (encrypted); rows
are found by a number through its keyed hash.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hotline.core.database import PIIText, UTCDateTime, new_id, utcnow

LANGUAGES = ("en", "es")
SMS_DIRECTIONS = ("inbound", "outbound")
# What a text was: content for the tip, an opt-out / opt-in / help keyword, or one of our replies.
SMS_KINDS = ("content", "opt_out", "opt_in", "help", "ack", "help_reply")
# inbound: received. outbound: pending (stored, not yet accepted by Twilio) → sent → delivered | undelivered;
# failed (given up), suppressed (the recipient had opted out: never sent).
SMS_STATUSES = ("received", "pending", "sent", "delivered", "undelivered", "failed", "suppressed")


class TwilioCall(SQLModel, table=True):
    """One phone call, from the first webhook to its end, and the tip it left."""

    __tablename__ = "twilio_call"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True)
    # The caller's number in E.164, or None when the caller withheld it.
    caller: str | None = Field(default=None, sa_type=PIIText)
    hotline_number: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    # Twilio's CallStatus as last reported, and how the advocate dial ended (DialCallStatus).
    status: str = Field(default="in-progress", max_length=16)
    dial_status: str | None = Field(default=None, max_length=16)
    tip_id: uuid.UUID | None = Field(default=None, foreign_key="tip.id", unique=True)
    # The transcript already applied to the tip, so a replayed transcription callback changes nothing.
    transcription_sid: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SmsSession(SQLModel, table=True):
    """Texts from one sender with short gaps between them: one conversation, one tip."""

    __tablename__ = "twilio_sms_session"
    __table_args__ = (
        sa.Index("ix_twilio_sms_session_sender_hash_last_message_at", "sender_hash", "last_message_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    sender: str = Field(sa_type=PIIText)
    # The sender's keyed hash (`crypto.lookup_hash("phone", sender)`): how their open session is found.
    sender_hash: int = Field(sa_type=sa.BigInteger)
    hotline_number: str | None = Field(default=None, max_length=32)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", unique=True)
    language: str = Field(default="en", max_length=8)
    message_count: int = 0
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_message_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SmsMessage(SQLModel, table=True):
    """A text received, or a reply of ours: stored before it is sent, and sent by the worker."""

    __tablename__ = "twilio_sms_message"
    __table_args__ = (
        # One reply of each kind per inbound text, whatever the retries.
        sa.UniqueConstraint("reply_to_id", "kind"),
        sa.Index("ix_twilio_sms_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    direction: str = Field(max_length=8)
    # Inbound: Twilio's MessageSid. Outbound: set once Twilio accepted the message.
    message_sid: str | None = Field(default=None, max_length=64, unique=True)
    session_id: uuid.UUID | None = Field(default=None, foreign_key="twilio_sms_session.id", index=True)
    reply_to_id: uuid.UUID | None = Field(default=None, foreign_key="twilio_sms_message.id")
    # The texter's number (E.164 when it is one), whichever way the message went.
    counterpart: str = Field(sa_type=PIIText)
    hotline_number: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=16)
    body: str | None = Field(default=None, sa_type=PIIText)
    media_count: int = 0
    language: str = Field(default="en", max_length=8)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An error code or class only (e.g. "twilio:21211", "network"); never the text or the number.
    last_error: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SmsOptOut(SQLModel, table=True):
    """A texter who sent STOP (or START again). While opted out, nothing is sent to the number."""

    __tablename__ = "twilio_sms_opt_out"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    phone: str = Field(sa_type=PIIText)
    # The number's keyed hash (`crypto.lookup_hash("phone", phone)`): one row per number.
    phone_hash: int = Field(sa_type=sa.BigInteger, unique=True)
    opted_out: bool
    keyword: str = Field(max_length=16)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
