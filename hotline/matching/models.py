"""Dedup tables (blocking keys, the review queue, supervisors' decisions) and the schemas the API returns."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, StringConstraints
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, PIIText, UTCDateTime, new_id, utcnow

REVIEW_STATUSES = ("pending", "confirmed", "rejected", "superseded")
DECISION_ACTIONS = ("confirmed", "rejected", "merged", "moved")


class MatchKey(SQLModel, table=True):
    """A case filed under one blocking key. The key is a keyed hash, never the name or phone it came from.

    The primary key (key_hash, case_id) is the lookup index: finding the cases under a key reads the index
    alone. Keys of all a case's tips are kept once per case.
    """

    __tablename__ = "match_key"

    key_hash: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    case_id: uuid.UUID = Field(foreign_key="case_file.id", primary_key=True, index=True)


class MatchReview(SQLModel, table=True):
    """A tip whose best candidate case was close but not sure: it keeps its own case until a supervisor
    confirms the link (its case is merged into the candidate) or rejects it."""

    __tablename__ = "match_review"
    __table_args__ = (sa.Index("ix_match_review_status_created_at", "status", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", index=True)
    # The tip's own case when the review was opened (kept current through merges).
    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True)
    status: str = Field(default="pending", max_length=16)
    score: float
    # [{case_id, score, fields: {given_name: 0.93, …}, weights: {given_name: 5.1, …}}], best first.
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONDocument)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=120)


class MatchDecision(SQLModel, table=True):
    """A supervisor's dedup decision, with its reason: confirm or reject a review, merge cases, move a tip.

    A rejected or moved pair (case_id, other_case_id) is remembered as two different cases, so it is not
    offered again as a likely duplicate.
    """

    __tablename__ = "match_decision"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    action: str = Field(max_length=16)
    review_id: uuid.UUID | None = Field(default=None, foreign_key="match_review.id", index=True)
    tip_id: uuid.UUID | None = Field(default=None, foreign_key="tip.id", index=True)
    # The case acted on (merged away, moved from, or the tip's case) and the other one (survivor, new case,
    # or the candidate).
    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True)
    other_case_id: uuid.UUID | None = Field(default=None, foreign_key="case_file.id", index=True)
    # Supervisors write reasons in their own words, which may name people.
    reason: str = Field(sa_type=PIIText)
    decided_by: str = Field(max_length=120)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# API schemas

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class CandidateOut(BaseModel):
    case_id: uuid.UUID
    score: float
    fields: dict[str, float] = {}
    weights: dict[str, float] = {}


class ReviewOut(BaseModel):
    id: uuid.UUID
    tip_id: uuid.UUID
    case_id: uuid.UUID
    status: Literal["pending", "confirmed", "rejected", "superseded"]
    score: float
    candidates: list[CandidateOut]
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None


class DecisionOut(BaseModel):
    id: uuid.UUID
    action: Literal["confirmed", "rejected", "merged", "moved"]
    review_id: uuid.UUID | None
    tip_id: uuid.UUID | None
    case_id: uuid.UUID
    other_case_id: uuid.UUID | None
    reason: str
    decided_by: str
    decided_at: datetime


class ConfirmIn(BaseModel):
    model_config = {"extra": "forbid"}
    case_id: uuid.UUID | None = None
    reason: Reason


class RejectIn(BaseModel):
    model_config = {"extra": "forbid"}
    reason: Reason


class MergeIn(BaseModel):
    model_config = {"extra": "forbid"}
    into_case_id: uuid.UUID
    reason: Reason


class MoveIn(BaseModel):
    model_config = {"extra": "forbid"}
    reason: Reason


# Dedup's placement of a tip, as the triage result carries it (DESIGN.md `case`)

CaseAction = Literal["linked", "review", "new"]


class CaseCandidate(BaseModel):
    case_id: uuid.UUID
    score: float
    fields: dict[str, float] = {}
    # Extension: each field's log-likelihood weight in the score (README "Dedup").
    weights: dict[str, float] = {}


class CaseMatch(BaseModel):
    id: uuid.UUID
    action: CaseAction
    score: float | None = None
    candidates: list[CaseCandidate] = []
    # Extension: other cases this tip proved to be the same one, merged into `id`.
    merged_case_ids: list[uuid.UUID] = []
