"""The facts routing rules see: a typed, documented snapshot of one tip and its case.

Rules never see a tip's text, names or phone numbers — only these values. The snapshot is stored with each
decision, so a decision can be replayed exactly and a candidate ruleset simulated over past tips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotline.core import geo

# Bumped when a fact is added, removed or changes meaning; stored with each decision.
FACTS_VERSION = 1

# Worst first: when readings disagree, routing takes the more protective one.
MINOR_STATUSES = ("confirmed", "likely", "unknown", "adult")
MINOR_INVOLVED = frozenset({"confirmed", "likely"})
# Higher is more serious: when tips or evidence disagree, a case takes the more protective reading.
TRAFFICKING_TYPES = ("sex", "labor", "both", "unknown")
URGENCIES = ("emergency", "high", "normal")
MINOR_STATUS_SEVERITY: dict[str, int] = {s: len(MINOR_STATUSES) - 1 - i for i, s in enumerate(MINOR_STATUSES)}
URGENCY_SEVERITY: dict[str, int] = {u: len(URGENCIES) - 1 - i for i, u in enumerate(URGENCIES)}
CHANNELS = ("phone", "sms", "web", "email", "api", "import")
CASE_ACTIONS = ("new", "linked", "review")
JURISDICTION_SOURCES = ("state", "zip", "city", "area_code", "unknown")
MAX_AGE = 120


class RoutingFacts(BaseModel):
    """Everything a routing rule may test. Unknown is `null` (or `unknown`), never a guess."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str | None = Field(None, description="USPS code of the jurisdiction (TX, DC, PR), null if unknown")
    county: str | None = Field(None, description="county name as given or found from the ZIP, e.g. Harris")
    jurisdiction_source: Literal["state", "zip", "city", "area_code", "unknown"] = Field(
        "unknown",
        description="what decided the state: the tip's state, its ZIP, its city, the phone's area code",
    )
    minor_status: Literal["confirmed", "likely", "unknown", "adult"] = Field(
        "unknown", description="the most protective reading of the tip and its case"
    )
    minor_involved: bool = Field(False, description="minor_status is confirmed or likely")
    min_age: int | None = Field(None, ge=0, le=MAX_AGE, description="youngest stated victim age, if known")
    trafficking_type: Literal["sex", "labor", "both", "unknown"] = "unknown"
    urgency: Literal["emergency", "high", "normal"] = "normal"
    immediate_danger: bool | None = Field(None, description="the reporter said someone is in danger now")
    consent_to_report: bool | None = Field(
        None, description="an adult victim's consent to a law-enforcement report (null: not asked)"
    )
    foreign_national: bool = Field(False, description="a victim's stated nationality is not U.S.")
    channel: Literal["phone", "sms", "web", "email", "api", "import"] = "api"
    language: str = Field("en", description="primary language subtag of the tip, lower case: en, es")
    case_action: Literal["new", "linked", "review"] = Field(
        "new", description="dedup's placement: a new case, linked to one, or awaiting review"
    )
    follow_up: bool = Field(False, description="the tip joined an existing case (case_action is not new)")

    @model_validator(mode="before")
    @classmethod
    def _derived_facts(cls, data: Any) -> Any:
        # minor_involved and follow_up follow from other facts; a stated value must agree with them.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        derived = {
            "minor_involved": data.get("minor_status", "unknown") in MINOR_INVOLVED,
            "follow_up": data.get("case_action", "new") != "new",
        }
        for name, value in derived.items():
            if name in data and data[name] is not value:
                source = "minor_status" if name == "minor_involved" else "case_action"
                raise ValueError(f"{name} must be {str(value).lower()} when {source} is {data.get(source)!r}")
            data[name] = value
        if isinstance(data.get("state"), str):
            code = geo.usps_state_code(data["state"])
            if code is None:
                raise ValueError(f"state {data['state']!r} is not a USPS code")
            data["state"] = code
        return data

    def as_mapping(self) -> dict[str, Any]:
        return self.model_dump()


@dataclass(frozen=True)
class FactSpec:
    """How rules may compare a fact: its kind, its closed set of values (if any), whether it can be null."""

    name: str
    kind: Literal["enum", "bool", "int", "state", "text"]
    nullable: bool
    values: tuple[Any, ...] = ()
    doc: str = ""

    def domain(self) -> tuple[Any, ...] | None:
        """Every value the fact can take, when that set is small enough to tabulate (None for text)."""
        if self.kind == "enum":
            values: tuple[Any, ...] = self.values
        elif self.kind == "bool":
            values = (True, False)
        elif self.kind == "int":
            values = tuple(range(MAX_AGE + 1))
        elif self.kind == "state":
            values = tuple(sorted(geo.US_JURISDICTION_CODES))
        else:
            return None
        return (*values, None) if self.nullable else values


def _doc(name: str) -> str:
    return RoutingFacts.model_fields[name].description or ""


FACT_SPECS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("state", "state", True, doc=_doc("state")),
        FactSpec("county", "text", True, doc=_doc("county")),
        FactSpec("jurisdiction_source", "enum", False, JURISDICTION_SOURCES, _doc("jurisdiction_source")),
        FactSpec("minor_status", "enum", False, MINOR_STATUSES, _doc("minor_status")),
        FactSpec("minor_involved", "bool", False, doc=_doc("minor_involved")),
        FactSpec("min_age", "int", True, doc=_doc("min_age")),
        FactSpec("trafficking_type", "enum", False, TRAFFICKING_TYPES),
        FactSpec("urgency", "enum", False, URGENCIES),
        FactSpec("immediate_danger", "bool", True, doc=_doc("immediate_danger")),
        FactSpec("consent_to_report", "bool", True, doc=_doc("consent_to_report")),
        FactSpec("foreign_national", "bool", False, doc=_doc("foreign_national")),
        FactSpec("channel", "enum", False, CHANNELS),
        FactSpec("language", "text", False, doc=_doc("language")),
        FactSpec("case_action", "enum", False, CASE_ACTIONS, _doc("case_action")),
        FactSpec("follow_up", "bool", False, doc=_doc("follow_up")),
    )
}


class VictimLike(Protocol):
    role: str
    nationality: str | None


class TipLike(Protocol):
    channel: str
    language: str
    immediate_danger: bool | None
    consent_to_report: bool | None

    @property
    def persons(self) -> list[Any]: ...


class MinorLike(Protocol):
    status: str
    min_age: int | None


class ClassificationLike(Protocol):
    """What triage read from a tip (hotline.triage's Classification)."""

    trafficking_type: str
    urgency: str

    @property
    def minor(self) -> MinorLike: ...


class JurisdictionLike(Protocol):
    state: str | None
    county: str | None
    source: str


def more_protective_minor_status(first: str, second: str | None) -> str:
    """Of two readings, the one that protects a child more (MINOR_STATUSES is worst first)."""
    if second is None:
        return first
    return first if MINOR_STATUSES.index(first) <= MINOR_STATUSES.index(second) else second


def build_facts(
    *,
    tip: TipLike,
    classification: ClassificationLike,
    jurisdiction: JurisdictionLike,
    case_minor_status: str | None,
    case_action: str,
) -> RoutingFacts:
    """The facts of a tip: its classification and jurisdiction, its case's reading, its stated flags.

    A follow-up tip inherits the case's most protective minor status: a child established by an earlier tip
    is still a child when a second caller gives no age.
    """
    victims = [person for person in tip.persons if person.role == "victim"]
    return RoutingFacts(
        state=jurisdiction.state,
        county=jurisdiction.county,
        jurisdiction_source=jurisdiction.source,
        minor_status=more_protective_minor_status(classification.minor.status, case_minor_status),  # type: ignore[arg-type]
        min_age=classification.minor.min_age,
        trafficking_type=classification.trafficking_type,  # type: ignore[arg-type]
        urgency=classification.urgency,  # type: ignore[arg-type]
        immediate_danger=tip.immediate_danger,
        consent_to_report=tip.consent_to_report,
        foreign_national=any(person.nationality not in (None, "US") for person in victims),
        channel=tip.channel,  # type: ignore[arg-type]
        language=(tip.language or "en").split("-")[0].lower(),
        case_action=case_action,  # type: ignore[arg-type]
    )
