"""API keys and roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hotline.database import UTCDateTime, new_id, utcnow


class Role(StrEnum):
    advocate = "advocate"  # enters and reads tips and cases
    supervisor = (
        "supervisor"  # everything an advocate can, plus review, overrides, rules, replays, exports, audit
    )
    partner = "partner"  # its own referrals and acknowledgements only
    admin = "admin"  # keys, users, partners; no victims' data


class ApiKey(SQLModel, table=True):
    """A machine credential. Only a SHA-256 digest of the key is kept; the key is shown once at creation."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    # A partner key acts for one agency and sees only that agency's referrals.
    agency_id: str | None = Field(default=None, max_length=64)
    # The public part of the key, used to find its row without scanning.
    prefix: str = Field(max_length=16, unique=True)
    key_digest: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever is acting: a key, a signed-in person, or the system itself (import, worker, Twilio)."""

    kind: str  # api_key | user | system | twilio
    id: str
    name: str
    role: Role | None = None
    agency_id: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}" if self.kind in {"system", "twilio"} else f"{self.kind}:{self.id}"


SYSTEM_ACTOR = Actor(kind="system", id="system", name="system")


def system_actor(name: str) -> Actor:
    return Actor(kind="system", id=name, name=name)
