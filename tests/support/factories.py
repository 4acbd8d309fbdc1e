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


# Each factory tip is about different people (dedup would otherwise join them into one case): the n-th
# tip takes the n-th entry of lists whose lengths are coprime, so nearby tips share no name or phone.
# fmt: off
_VICTIM_GIVEN = ("Brianna", "Keisha", "Marisol", "Destiny", "Yesenia", "Harper", "Imani", "Lucia", "Jada",
                 "Paisley", "Noemi", "Trinity", "Ximena")
_VICTIM_FAMILY = ("Cole", "Whitaker", "Orozco", "Pruitt", "Nakamura", "Villalobos", "Sutherland", "Ibarra",
                  "Kowalski", "Delacroix", "Fairbanks")
_SUSPECT_GIVEN = ("Travis", "Dwayne", "Rogelio", "Curtis", "Emilio", "Garrett", "Leandro")
_SUSPECT_FAMILY = ("Holt", "Mercer", "Quintana", "Blevins", "Szabo")
_AREA_CODES = ("713", "281", "832", "346", "409", "936", "979")
# fmt: on


def _people(n: int) -> list[dict[str, Any]]:
    victim, suspect = copy.deepcopy(BASE_TIP["persons"])
    victim["name"] = f"{_VICTIM_GIVEN[n % len(_VICTIM_GIVEN)]} {_VICTIM_FAMILY[n % len(_VICTIM_FAMILY)]}"
    suspect["name"] = f"{_SUSPECT_GIVEN[n % len(_SUSPECT_GIVEN)]} {_SUSPECT_FAMILY[n % len(_SUSPECT_FAMILY)]}"
    suspect["phone"] = f"({_AREA_CODES[n % len(_AREA_CODES)]}) 555-01{n % 100:02d}"
    return [victim, suspect]


def tip_payload(**overrides: Any) -> dict[str, Any]:
    """A complete tip with a unique external_id, about people no other factory tip nearby names;
    keyword arguments replace top-level fields."""
    payload = copy.deepcopy(BASE_TIP)
    n = next(_counter)
    payload["external_id"] = f"test-{n:06d}"
    payload["persons"] = _people(n)
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not ...}


# For tips about an adult: the base narrative speaks of a 15-year-old, which the classifier rightly reads
# as a minor whatever the persons list says.
ADULT_NARRATIVE = (
    "A woman in her thirties says the owner of the restaurant where she works keeps her passport and does "
    "not pay her."
)
