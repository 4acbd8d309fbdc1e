"""Event bodies: `{"type", "timestamp", "data"}` as Standard Webhooks recommends, versioned, minimised.

A partner receives only the tip fields its agreement allows: the agency's `allowed_fields` in the directory,
narrowed further by its endpoint's `fields`. The JSON Schema of each event is in `schemas/` (README, "Partner
webhooks"); `tests/support/receiver.py` validates every body sent against it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from hotline.referrals.interfaces import TipSnapshot
from hotline.tips.models import TipPerson

# Bumped when a field changes meaning or is removed (new optional fields keep the version).
PAYLOAD_VERSION = 1
SCHEMA_DIR = "schemas"

_LOCATION_KEYS = ("address", "city", "county", "state", "zip", "country")
_REPORTER_KEYS = ("name", "phone", "email", "relationship")
# Withheld from partners whatever their agreement when the reporter asked to stay anonymous.
_REPORTER_IDENTITY = frozenset({"name", "phone", "email"})
_PERSON_KEYS = (
    "role", "name", "aliases", "age", "age_min", "age_max", "dob", "gender", "phone", "email", "address",
    "nationality", "language",
)  # fmt: skip


def iso(moment: datetime) -> str:
    """UTC, microseconds, `Z`: one spelling for every timestamp a partner sees."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def tip_data(snapshot: TipSnapshot, fields: Iterable[str]) -> dict[str, Any]:
    """The tip as the contract spells it (DESIGN.md), keeping only `fields`."""
    allowed = frozenset(fields)
    tip = snapshot.tip
    data: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        if name in allowed:
            data[name] = value

    put("case_id", str(snapshot.case_id) if snapshot.case_id else None)
    put("tip_id", str(tip.id))
    put("external_id", tip.external_id)
    put("received_at", iso(tip.received_at))
    put("channel", tip.channel)
    put("language", tip.language)
    put("narrative", tip.narrative)
    location = {
        key: getattr(tip, f"location_{key}") for key in _LOCATION_KEYS if f"location.{key}" in allowed
    }
    if location:
        data["location"] = location
    reporter: dict[str, Any] = {
        key: None if tip.reporter_anonymous and key in _REPORTER_IDENTITY else getattr(tip, f"reporter_{key}")
        for key in _REPORTER_KEYS
        if f"reporter.{key}" in allowed
    }
    if reporter:
        reporter["anonymous"] = tip.reporter_anonymous
        data["reporter"] = reporter
    person_keys = [key for key in _PERSON_KEYS if f"persons.{key}" in allowed]
    if person_keys:
        data["persons"] = [_person(person, person_keys) for person in snapshot.persons]
    put("trafficking_type", tip.trafficking_type)
    put("immediate_danger", tip.immediate_danger)
    put("consent_to_report", tip.consent_to_report)
    # From the decision's facts: the reading routing acted on (never the evidence, which quotes the text).
    put("minor", {"status": snapshot.facts.get("minor_status"), "min_age": snapshot.facts.get("min_age")})
    put("urgency", snapshot.facts.get("urgency"))
    return data


def _person(person: TipPerson, keys: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in keys:
        value = getattr(person, key)
        if key == "dob" and value is not None:
            value = value.isoformat()
        elif key == "aliases":
            value = list(value or [])
        values[key] = value
    return values


@dataclass(frozen=True)
class ReferralFacts:
    """The referral's side of an event (everything but the tip)."""

    referral_id: uuid.UUID
    agency_id: str
    sequence: int
    status: str
    priority: str
    sla_minutes: int | None
    respond_by: datetime | None
    ack_url: str


def event_body(
    *,
    event_type: str,
    referral: ReferralFacts,
    occurred_at: datetime,
    tip: dict[str, Any] | None = None,
    reason: str | None = None,
) -> str:
    """The exact text that is signed and sent (compact JSON, ASCII only, so bytes and text agree)."""
    data: dict[str, Any] = {
        "payload_version": PAYLOAD_VERSION,
        "referral_id": str(referral.referral_id),
        "agency_id": referral.agency_id,
        "sequence": referral.sequence,
        "status": referral.status,
        "priority": referral.priority,
        "sla_minutes": referral.sla_minutes,
        "respond_by": iso(referral.respond_by) if referral.respond_by else None,
        "ack_url": referral.ack_url,
    }
    if tip is not None:
        data["tip"] = tip
    if reason is not None:
        data["reason"] = reason
    body = {"type": event_type, "timestamp": iso(occurred_at), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True)


def schema(event_type: str) -> dict[str, Any]:
    """The published JSON Schema of one event type."""
    text = resources.files(__package__).joinpath(SCHEMA_DIR, f"{event_type}.json").read_text(encoding="utf-8")
    return json.loads(text)
