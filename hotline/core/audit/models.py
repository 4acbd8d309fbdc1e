"""The audit event table. Rows are only ever inserted; each carries the hash of the one before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    # The chain order. BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_kind: str = Field(max_length=16)
    actor_id: str = Field(max_length=120)
    actor_name: str = Field(max_length=120)
    actor_role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=32)
    subject_id: str = Field(max_length=120)
    # What changed, without victims' data: ids, statuses, reasons, counts.
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
