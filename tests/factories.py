"""Realistic tips in one line. All names, phones (555-01xx) and places are fictional."""

from __future__ import annotations

import copy
import itertools
from typing import Any

_counter = itertools.count(1)

BASE_TIP: dict[str, Any] = {
    "channel": "api",
    "received_at": "2026-11-20T15:30:00-06:00",
    "language": "en",
    "narrative": (
        "Caller's neighbor says a 15-year-old girl is being brought to a motel on Airline Drive by an older "
        "man who posts ads for her. She has stopped going to school."
    ),
    "location": {"city": "Houston", "county": "Harris", "state": "TX", "zip": "77022"},
    "reporter": {"name": "Janelle Porter", "phone": "713-555-0101", "relationship": "neighbor"},
    "persons": [
        {"role": "victim", "name": "Brianna Cole", "age": 15, "gender": "female"},
        {"role": "suspect", "name": "Travis Holt", "age_min": 30, "age_max": 40, "phone": "(713) 555-0177"},
    ],
    "trafficking_type": "sex",
    "immediate_danger": False,
}


def tip_payload(**overrides: Any) -> dict[str, Any]:
    """A complete tip with a unique external_id; keyword arguments replace top-level fields."""
    payload = copy.deepcopy(BASE_TIP)
    payload["external_id"] = f"test-{next(_counter):06d}"
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not ...}


# For tips about an adult: the base narrative speaks of a 15-year-old, which the classifier rightly reads
# as a minor whatever the persons list says.
ADULT_NARRATIVE = (
    "A woman in her thirties says the owner of the restaurant where she works keeps her passport and does "
    "not pay her."
)
