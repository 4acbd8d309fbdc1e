"""API keys: machine credentials, each with one role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.database import UTCDateTime, new_id, utcnow


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
