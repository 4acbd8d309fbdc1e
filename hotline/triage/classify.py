"""Classification of a tip: is a minor involved, what kind of trafficking, how urgent — each with evidence.

Pure functions over the stored tip (or anything shaped like it); no database, no I/O, so the pipeline,
`hotline triage` and the benchmark all call the same code. The readers live in their own modules:
`minors` (with `ages`), `trafficking` and `urgency`; their words are in `lexicon`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from hotline.triage import minors, trafficking, urgency
from hotline.triage.models import Evidence, MinorAssessment
from hotline.triage.narrative import Narrative

# Bumped when rules or words change, so a stored result says which classifier produced it.
CLASSIFIER_VERSION = "2026.11.1"
ADULT_AGE = minors.ADULT_AGE
age_on = minors.age_on


class PersonLike(Protocol):
    position: int
    role: str
    age: int | None
    age_min: int | None
    age_max: int | None
    dob: date | None


class TipLike(Protocol):
    narrative: str | None
    received_at: datetime
    trafficking_type: str
    immediate_danger: bool | None

    @property
    def persons(self) -> list[PersonLike]: ...


@dataclass
class Classification:
    minor: MinorAssessment
    trafficking_type: str
    trafficking_type_evidence: list[Evidence] = field(default_factory=list)
    urgency: str = "normal"
    urgency_evidence: list[Evidence] = field(default_factory=list)


def assess_minor(tip: TipLike) -> MinorAssessment:
    return minors.assess_minor(tip)


def classify_tip(tip: TipLike) -> Classification:
    narrative = Narrative(tip.narrative) if tip.narrative else None
    minor = minors.assess_minor(tip, narrative)
    stated = tip.trafficking_type or "unknown"
    inferred, inferred_evidence = trafficking.infer_type("unknown", narrative)
    if stated != "unknown":
        kind, kind_evidence = trafficking.infer_type(stated, narrative)
    else:
        kind, kind_evidence = inferred, inferred_evidence
    # What the narrative says is being done tells urgency whether a situation is described at all.
    situation = inferred_evidence
    level, level_evidence = urgency.assess_urgency(tip, minor, narrative, situation)
    return Classification(
        minor=minor,
        trafficking_type=kind,
        trafficking_type_evidence=kind_evidence,
        urgency=level,
        urgency_evidence=level_evidence,
    )
