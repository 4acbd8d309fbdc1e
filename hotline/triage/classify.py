"""Classification of a tip: is a minor involved, what kind of trafficking, how urgent — each with evidence.

Pure functions over the stored tip; no database, no I/O, so the pipeline, `hotline triage` and the
benchmarks all call the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from hotline.triage.models import Evidence, MinorAssessment

ADULT_AGE = 18


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


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def assess_minor(tip: TipLike) -> MinorAssessment:
    """Structured ages and dates of birth of the victims, at the time the tip was received."""
    victims = [person for person in tip.persons if person.role == "victim"]
    evidence: list[Evidence] = []
    minor_ages: list[int] = []
    victims_shown_adult = 0
    for person in victims:
        path = f"persons[{person.position}]"
        known_age: int | None = None
        if person.dob is not None:
            known_age = age_on(person.dob, tip.received_at.date())
            source, text = f"{path}.dob", person.dob.isoformat()
        elif person.age is not None:
            known_age, source, text = person.age, f"{path}.age", str(person.age)
        if known_age is not None:
            is_minor = known_age < ADULT_AGE
            reason = f"age {known_age} at intake: {'under' if is_minor else 'at least'} {ADULT_AGE}"
            evidence.append(Evidence(source=source, text=text, reason=reason))
            if is_minor:
                minor_ages.append(known_age)
            else:
                victims_shown_adult += 1
            continue
        if person.age_min is not None and person.age_min >= ADULT_AGE:
            evidence.append(
                Evidence(source=f"{path}.age_min", text=str(person.age_min), reason="lowest age 18+")
            )
            victims_shown_adult += 1
        elif person.age_max is not None and person.age_max < ADULT_AGE:
            evidence.append(
                Evidence(source=f"{path}.age_max", text=str(person.age_max), reason="highest age under 18")
            )
            minor_ages.append(person.age_min if person.age_min is not None else person.age_max)
    if minor_ages:
        return MinorAssessment(status="confirmed", min_age=min(minor_ages), evidence=evidence)
    if victims and victims_shown_adult == len(victims):
        return MinorAssessment(status="adult", min_age=None, evidence=evidence)
    return MinorAssessment(status="unknown", min_age=None, evidence=evidence)


def assess_urgency(tip: TipLike, minor: MinorAssessment) -> tuple[str, list[Evidence]]:
    if tip.immediate_danger:
        return "emergency", [
            Evidence(source="immediate_danger", text="true", reason="reported immediate danger")
        ]
    if minor.status in {"confirmed", "likely"}:
        return "high", [Evidence(source="minor.status", text=minor.status, reason="a minor is involved")]
    return "normal", []


def classify_tip(tip: TipLike) -> Classification:
    minor = assess_minor(tip)
    urgency, urgency_evidence = assess_urgency(tip, minor)
    type_evidence = (
        [Evidence(source="trafficking_type", text=tip.trafficking_type, reason="stated on the tip")]
        if tip.trafficking_type != "unknown"
        else []
    )
    return Classification(
        minor=minor,
        trafficking_type=tip.trafficking_type,
        trafficking_type_evidence=type_evidence,
        urgency=urgency,
        urgency_evidence=urgency_evidence,
    )
