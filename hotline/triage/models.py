"""The triage result (DESIGN.md), stored on each tip and returned by the API and `hotline triage`.

Every label comes with its evidence. Fields beyond DESIGN.md (`*_evidence`) are compatible extensions.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from routing.jurisdiction import Jurisdiction
from routing.outcome import RoutingOutcome

MinorStatus = Literal["confirmed", "likely", "unknown", "adult"]
Urgency = Literal["emergency", "high", "normal"]
CaseAction = Literal["linked", "review", "new"]

# Worst first: when tips or evidence disagree, the case takes the more protective reading.
MINOR_STATUS_SEVERITY: dict[str, int] = {"confirmed": 3, "likely": 2, "unknown": 1, "adult": 0}
URGENCY_SEVERITY: dict[str, int] = {"emergency": 2, "high": 1, "normal": 0}


class Evidence(BaseModel):
    source: str = Field(description='"narrative", or a field path such as "persons[0].age"')
    span: tuple[int, int] | None = Field(None, description="[start, end) character offsets in the narrative")
    text: str
    reason: str


class MinorAssessment(BaseModel):
    status: MinorStatus
    min_age: int | None = None
    evidence: list[Evidence] = []


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


class TriageResult(BaseModel):
    tip_id: uuid.UUID
    external_id: str | None = None
    case: CaseMatch
    minor: MinorAssessment
    trafficking_type: Literal["sex", "labor", "both", "unknown"]
    trafficking_type_evidence: list[Evidence] = []
    urgency: Urgency
    urgency_evidence: list[Evidence] = []
    jurisdiction: Jurisdiction
    routing: RoutingOutcome | None = None
