"""Tip and person tables.

A tip keeps every field of the DESIGN.md contract. Persons are rows of their own (not only JSON) so that
matching can index them. Text that identifies or describes a person uses `PIIText`.
"""

import json
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from hotline.core.database import PIIJSON, PIIText, UTCDateTime, new_id, utcnow

CHANNELS = ("phone", "sms", "web", "email", "api", "import")
PERSON_ROLES = ("victim", "suspect", "other")
TRAFFICKING_TYPES = ("sex", "labor", "both", "unknown")

# received: stored, triage not yet run (or interrupted; recovery picks it up). triaged: result stored.
# transcribing: a voicemail waiting for its transcript (triaged when it comes, or from the recording alone
# after a while). contact: a call with nothing to triage (a hang-up, or a call an advocate took), kept so
# advocates see every contact; triage and recovery leave it alone.
TIP_STATUSES = ("received", "transcribing", "triaged", "contact")
# How a phone contact ended: a voicemail was left, an advocate answered, or the caller hung up first.
CONTACT_OUTCOMES = ("voicemail", "answered", "hang_up")
ATTACHMENT_KINDS = ("recording", "media")


class PIIDate(sa.types.TypeDecorator):
    """A date of birth: kept as ISO text so that it is protected like the other personal fields."""

    impl = PIIText
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: sa.Dialect) -> str | None:
        return value.isoformat() if value is not None else None

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> date | None:
        return date.fromisoformat(value) if value else None


class PIIStringList(sa.types.TypeDecorator):
    """A list of strings about a person (aliases), kept as one protected JSON text."""

    impl = PIIText
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: sa.Dialect) -> str | None:
        return json.dumps(list(value), ensure_ascii=False) if value else None

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> list[str]:
        return list(json.loads(value)) if value else []


class Tip(SQLModel, table=True):
    __tablename__ = "tip"
    __table_args__ = (
        # external_id is unique per source; the channel names the source system.
        sa.UniqueConstraint("channel", "external_id"),
        sa.Index("ix_tip_status_received_at", "status", "received_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    external_id: str | None = Field(default=None, max_length=200)
    channel: str = Field(max_length=16)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    language: str = Field(default="en", max_length=35)
    narrative: str | None = Field(default=None, sa_type=PIIText)

    location_address: str | None = Field(default=None, sa_type=PIIText)
    location_city: str | None = Field(default=None, max_length=120)
    location_county: str | None = Field(default=None, max_length=120)
    location_state: str | None = Field(default=None, max_length=120, index=True)
    location_zip: str | None = Field(default=None, max_length=20)
    location_country: str = Field(default="US", max_length=2)

    reporter_name: str | None = Field(default=None, sa_type=PIIText)
    reporter_phone: str | None = Field(default=None, sa_type=PIIText)
    reporter_email: str | None = Field(default=None, sa_type=PIIText)
    reporter_relationship: str | None = Field(default=None, max_length=120)
    reporter_anonymous: bool = Field(default=False)

    trafficking_type: str = Field(default="unknown", max_length=16)
    immediate_danger: bool | None = Field(default=None)
    consent_to_report: bool | None = Field(default=None)

    status: str = Field(default="received", max_length=16)
    # The triage result (DESIGN.md "Triage result"), stored as shown to users; encrypted, since its
    # evidence quotes the narrative.
    triage: dict[str, Any] | None = Field(default=None, sa_type=PIIJSON)
    # Copies of triage outcomes that lists and reports filter on.
    minor_status: str | None = Field(default=None, max_length=16, index=True)
    urgency: str | None = Field(default=None, max_length=16)

    contact_outcome: str | None = Field(default=None, max_length=16)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    triaged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    persons: list["TipPerson"] = Relationship(
        back_populates="tip",
        sa_relationship_kwargs={"order_by": "TipPerson.position", "cascade": "all, delete-orphan"},
    )
    attachments: list["TipAttachment"] = Relationship(
        back_populates="tip",
        sa_relationship_kwargs={
            "order_by": "[TipAttachment.created_at, TipAttachment.external_id]",
            "cascade": "all, delete-orphan",
        },
    )


class TipPerson(SQLModel, table=True):
    __tablename__ = "tip_person"
    __table_args__ = (sa.UniqueConstraint("tip_id", "position"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", index=True, ondelete="CASCADE")
    # Index in the submitted `persons` list, so evidence paths like persons[0].age stay meaningful.
    position: int
    role: str = Field(max_length=16)
    name: str | None = Field(default=None, sa_type=PIIText)
    aliases: list[str] = Field(default_factory=list, sa_type=PIIStringList, nullable=True)
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    dob: date | None = Field(default=None, sa_type=PIIDate)
    gender: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, sa_type=PIIText)
    email: str | None = Field(default=None, sa_type=PIIText)
    address: str | None = Field(default=None, sa_type=PIIText)
    nationality: str | None = Field(default=None, max_length=2)
    language: str | None = Field(default=None, max_length=35)

    tip: Tip = Relationship(back_populates="persons")


class TipAttachment(SQLModel, table=True):
    """A file that came with a tip: a voicemail recording, a photo sent by MMS. Kept as a reference (URL)."""

    __tablename__ = "tip_attachment"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    # Where the file is (a Twilio recording or media URL): it can lead to the person, so it is protected.
    url: str = Field(sa_type=PIIText)
    content_type: str | None = Field(default=None, max_length=100)
    duration_seconds: int | None = None
    # The source's own id for the file (a RecordingSid; MessageSid/index for MMS media): unique, so a
    # replayed callback never attaches the same file twice.
    external_id: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    tip: Tip = Relationship(back_populates="attachments")


class TipSearchKey(SQLModel, table=True):
    """A keyed hash of something a person at the desk searches cases by (a word of a name, or its first
    letters; seven digits in a row of a phone), so that search works while names and phones are encrypted.

    The primary key (key_hash, tip_id) is the lookup index. Hashes use `crypto.lookup_hash`, never plaintext.
    """

    __tablename__ = "tip_search_key"

    key_hash: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    tip_id: uuid.UUID = Field(foreign_key="tip.id", primary_key=True, index=True, ondelete="CASCADE")
