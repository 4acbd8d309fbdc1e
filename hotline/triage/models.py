"""What triage reads from a tip: minor status, trafficking type and urgency, each with its evidence.

The whole triage result (with the case, jurisdiction and routing) is `hotline.intake.models.TriageResult`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MinorStatus = Literal["confirmed", "likely", "unknown", "adult"]
Urgency = Literal["emergency", "high", "normal"]


class Evidence(BaseModel):
    source: str = Field(description='"narrative", or a field path such as "persons[0].age"')
    span: tuple[int, int] | None = Field(None, description="[start, end) character offsets in the narrative")
    text: str
    reason: str


class MinorAssessment(BaseModel):
    status: MinorStatus
    min_age: int | None = None
    evidence: list[Evidence] = []
