"""The triage result (DESIGN.md), stored on each tip and returned by the API and `hotline triage`.

Every label comes with its evidence. Fields beyond DESIGN.md (`*_evidence`) are compatible extensions.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

from hotline.matching.models import CaseMatch
from hotline.triage.models import Evidence, MinorAssessment, Urgency
from routing.jurisdiction import Jurisdiction
from routing.outcome import RoutingOutcome


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
