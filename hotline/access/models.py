"""The access log table. Rows are only inserted: the database refuses UPDATE and DELETE (as for audit)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from hotline.core.database import UTCDateTime, utcnow

# How the record was seen: opened on its own, or listed as a match of a search.
ACCESS_KINDS = ("view", "search")
# Where it was read.
ACCESS_VIAS = ("api", "web")


class AccessLogEntry(SQLModel, table=True):
    __tablename__ = "access_log"
    __table_args__ = (
        sa.Index("ix_access_log_case_id_occurred_at", "case_id", "occurred_at"),
        sa.Index("ix_access_log_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_kind: str = Field(max_length=16)
    actor_id: str = Field(max_length=120)
    actor_name: str = Field(max_length=120)
    actor_role: str | None = Field(default=None, max_length=16)
    subject_type: str = Field(max_length=16)  # tip | case
    subject_id: uuid.UUID
    # The case the record belonged to when it was read, so "who viewed this case" includes its tips.
    case_id: uuid.UUID | None = Field(default=None)
    kind: str = Field(default="view", max_length=16)
    via: str = Field(max_length=16)
    request_id: str | None = Field(default=None, max_length=64)


# API shapes


class AccessOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_name: str
    actor_role: str | None
    subject_type: str
    subject_id: uuid.UUID
    kind: str
    via: str
    request_id: str | None


class AccessPage(BaseModel):
    items: list[AccessOut]
    next_before: int | None
