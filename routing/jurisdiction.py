"""Which state (and county) a tip belongs to, and what decided it."""

from __future__ import annotations

from typing import Protocol

from hotline.triage.models import Jurisdiction


class LocatedTip(Protocol):
    location_state: str | None
    location_county: str | None
    location_country: str


def resolve_jurisdiction(tip: LocatedTip) -> Jurisdiction:
    if tip.location_country == "US" and tip.location_state:
        return Jurisdiction(state=tip.location_state, county=tip.location_county, source="state")
    return Jurisdiction(state=None, county=None, source="unknown")
