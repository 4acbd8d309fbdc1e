"""Routing tables (rulesets, decisions, overrides) and the API's request and response shapes."""

import uuid
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, field_validator
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, PIIText, UTCDateTime, new_id, utcnow
from routing.outcome import RoutingTarget, RuleTrace

Priority = Literal["emergency", "high", "normal"]


class Ruleset(SQLModel, table=True):
    """A published ruleset version. Never changed or deleted: the newest version is the active one."""

    __tablename__ = "ruleset"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    version: int = Field(unique=True)
    name: str = Field(max_length=120)
    content: str = Field(sa_type=sa.Text)
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(max_length=300)
    hit_policy: str = Field(max_length=16)
    rule_count: int
    test_count: int
    author: str = Field(max_length=120)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(max_length=120)


class RoutingDecision(SQLModel, table=True):
    """One routing decision: the facts it saw, the ruleset version, the targets and the full trace.

    `targets` and `trace` are what the rules decided and never change; `current_targets` is what stands
    after supervisor overrides (each kept in `routing_override`).
    """

    __tablename__ = "routing_decision"
    __table_args__ = (sa.Index("ix_routing_decision_decided_at_id", "decided_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tip.id", index=True)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_file.id", index=True)
    ruleset_id: uuid.UUID = Field(foreign_key="ruleset.id")
    ruleset_version: int = Field(index=True)
    engine_version: int
    facts_version: int
    facts: dict[str, Any] = Field(sa_type=JSONDocument)
    targets: list[dict[str, Any]] = Field(sa_type=JSONDocument)
    trace: list[dict[str, Any]] = Field(sa_type=JSONDocument)
    review_required: bool = Field(default=False, index=True)
    current_targets: list[dict[str, Any]] = Field(sa_type=JSONDocument)
    # ",cps-tx,le-tx,": the current agency ids, so lists can filter by agency on SQLite and PostgreSQL alike.
    agency_ids: str = Field(max_length=1000)
    overridden_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: str = Field(max_length=120)


class RoutingOverride(SQLModel, table=True):
    """A supervisor's change of a decision's targets, with the reason. The decision keeps its original."""

    __tablename__ = "routing_override"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    decision_id: uuid.UUID = Field(foreign_key="routing_decision.id", index=True)
    previous_targets: list[dict[str, Any]] = Field(sa_type=JSONDocument)
    targets: list[dict[str, Any]] = Field(sa_type=JSONDocument)
    # Free text a supervisor types can name people: protected like other personal text.
    reason: str = Field(sa_type=PIIText)
    overridden_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    overridden_by: str = Field(max_length=120)


# API shapes


class ProblemOut(BaseModel):
    file: str
    line: int | None
    rule: str | None
    message: str


class RulesetIn(BaseModel):
    content: str = PydanticField(min_length=1, max_length=1_000_000, description="The ruleset YAML")
    source: str = PydanticField("api", max_length=300, description="A file name, for messages")
    comment: str | None = PydanticField(None, max_length=2000, description="Why this change (publish)")


class SimulationIn(RulesetIn):
    since_days: int = PydanticField(
        30, ge=1, le=3650, strict=True, description="Re-route decisions of the last N days"
    )
    examples: int = PydanticField(5, ge=0, le=50, strict=True)


class ValidationOut(BaseModel):
    ok: bool
    rules: int = 0
    tests: int = 0
    problems: list[ProblemOut] = []


class RulesetSummary(BaseModel):
    version: int
    name: str
    content_hash: str
    source: str
    hit_policy: str
    rule_count: int
    test_count: int
    author: str
    comment: str | None
    published_at: datetime
    published_by: str
    active: bool


class RulesetOut(RulesetSummary):
    content: str


class OverrideOut(BaseModel):
    id: uuid.UUID
    previous_targets: list[RoutingTarget]
    targets: list[RoutingTarget]
    reason: str
    overridden_at: datetime
    overridden_by: str


class DecisionSummary(BaseModel):
    id: uuid.UUID
    tip_id: uuid.UUID
    case_id: uuid.UUID | None
    ruleset_version: int
    targets: list[RoutingTarget] = PydanticField(description="current targets, after any override")
    review_required: bool
    overridden: bool
    decided_at: datetime
    decided_by: str


class DecisionOut(DecisionSummary):
    facts: dict[str, Any]
    facts_version: int
    engine_version: int
    original_targets: list[RoutingTarget]
    trace: list[RuleTrace]
    overrides: list[OverrideOut]


class DecisionPage(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None


class TargetIn(BaseModel):
    agency_id: str = PydanticField(min_length=1, max_length=64)
    priority: Priority = "normal"
    sla_minutes: int | None = PydanticField(None, ge=1, le=60 * 24 * 30, strict=True)


class OverrideIn(BaseModel):
    targets: list[TargetIn] = PydanticField(min_length=1, max_length=50)
    reason: str = PydanticField(max_length=2000, description="Why the rules' targets are wrong here")

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 5:
            raise ValueError("a reason is required: say why the rules' targets are wrong for this tip")
        return value

    @field_validator("targets")
    @classmethod
    def _distinct(cls, value: list[TargetIn]) -> list[TargetIn]:
        ids = [target.agency_id for target in value]
        if len(set(ids)) != len(ids):
            raise ValueError("each agency may be listed once")
        return value


class Replay(BaseModel):
    ruleset_version: int
    targets: list[RoutingTarget]
    review_required: bool
    trace: list[RuleTrace]
    identical: bool = PydanticField(description="targets, review and trace equal the stored decision's")
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = PydanticField([], description="agencies kept with another priority or SLA")


class ReplayOut(BaseModel):
    decision_id: uuid.UUID
    stored_version: Replay
    current_version: Replay


class MoveOut(BaseModel):
    from_targets: list[str]
    to_targets: list[str]
    count: int


class SimulationExample(BaseModel):
    decision_id: uuid.UUID
    tip_id: uuid.UUID
    facts: dict[str, Any]
    from_targets: list[str]
    to_targets: list[str]


class SimulationOut(BaseModel):
    candidate_hash: str
    active_version: int | None
    since: datetime
    decisions: int
    changed: int
    moves: list[MoveOut]
    agencies_gained: dict[str, int]
    agencies_lost: dict[str, int]
    review_changed: int
    examples: list[SimulationExample]
    problems: list[ProblemOut] = PydanticField([], description="the candidate's own failing tests")
