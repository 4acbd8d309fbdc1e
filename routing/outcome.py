"""What routing decided for a tip, as the triage result carries it (DESIGN.md `routing`)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class RoutingTarget(BaseModel):
    agency_id: str
    rule_id: str
    priority: str
    sla_minutes: int | None = None


class RuleTrace(BaseModel):
    rule_id: str
    matched: bool
    why: str


class RoutingOutcome(BaseModel):
    decision_id: uuid.UUID
    ruleset_version: str
    targets: list[RoutingTarget] = []
    trace: list[RuleTrace] = []
    # Extension: a rule asked for a supervisor to check this decision.
    review_required: bool = False
