"""Case and tip↔case link tables, and the case views the API returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from hotline.core.database import UTCDateTime, new_id, utcnow
from hotline.tips.schemas import TipOut

CASE_STATUSES = ("open", "closed", "merged")
CaseStatus = Literal["open", "closed", "merged"]
# How a tip came to be in its case: it opened it, matched into it, awaits review, or a person moved/merged it.
LINK_ACTIONS = ("new", "linked", "review", "confirmed", "moved", "merged")


class Case(SQLModel, table=True):
    __tablename__ = "case_file"
    __table_args__ = (sa.Index("ix_case_file_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    status: str = Field(default="open", max_length=16, index=True)
    # A merged case points at the case that absorbed it.
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="case_file.id")
    state: str | None = Field(default=None, max_length=2, index=True)
    county: str | None = Field(default=None, max_length=120)
    minor_status: str | None = Field(default=None, max_length=16)
    urgency: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when retention removed the personal data of the case's tips (`hotline retention apply`).
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaseTip(SQLModel, table=True):
    """Which case a tip belongs to now, and how it got there (its history is in the audit log)."""

    __tablename__ = "case_tip"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", unique=True)
    action: str = Field(max_length=16)
    score: float | None = None
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    linked_by: str = Field(max_length=120)


class JurisdictionOut(BaseModel):
    state: str | None
    county: str | None


class CaseSummary(BaseModel):
    id: uuid.UUID
    status: CaseStatus
    merged_into_id: uuid.UUID | None
    jurisdiction: JurisdictionOut
    minor_status: str | None
    urgency: str | None
    tip_count: int
    created_at: datetime
    updated_at: datetime


class CaseOut(CaseSummary):
    tips: list[TipOut]


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None
