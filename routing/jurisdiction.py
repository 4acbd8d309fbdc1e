"""Which state (and county) a tip belongs to, and what decided it.

In order of trust: the state the tip gives; its ZIP code (the `zipcodes` package, offline); its city, when
the city name belongs to one state only (or to several, one of which the phone's area code names); the
reporter's phone area code (`phonenumbers` geocoding: where the number was issued, a weak hint); otherwise
unknown, which routes to the national queue. A tip located outside the U.S. is unknown too: no phone area
code overrides a stated foreign location.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Literal, Protocol

import phonenumbers
import zipcodes
from phonenumbers import geocoder
from pydantic import BaseModel

from hotline.core import geo

JurisdictionSource = Literal["state", "zip", "city", "area_code", "unknown"]


class Jurisdiction(BaseModel):
    state: str | None = None
    county: str | None = None
    source: JurisdictionSource = "unknown"


# Territories have ISO country codes of their own; a tip "in PR" is in the Puerto Rico jurisdiction.
TERRITORY_COUNTRIES = {"PR": "PR", "GU": "GU", "VI": "VI", "AS": "AS", "MP": "MP"}
_COUNTY_SUFFIXES = (" County", " Parish", " Borough", " Census Area", " Municipality", " Municipio")


class LocatedTip(Protocol):
    location_state: str | None
    location_county: str | None
    location_city: str | None
    location_zip: str | None
    location_country: str
    reporter_phone: str | None


def _county_name(value: str | None) -> str | None:
    if not value:
        return None
    for suffix in _COUNTY_SUFFIXES:
        if value.endswith(suffix):
            return value[: -len(suffix)]
    return value


def zip_place(zip_code: str | None) -> tuple[str, str | None] | None:
    """(state, county) of a U.S. ZIP code, or None when the code is unknown."""
    if not zip_code:
        return None
    try:
        matches = zipcodes.matching(zip_code.strip()[:5])
    except (TypeError, ValueError):
        return None
    states = {match["state"] for match in matches}
    if len(states) != 1:
        return None
    counties = {_county_name(match.get("county")) for match in matches}
    return states.pop(), counties.pop() if len(counties) == 1 else None


@lru_cache(maxsize=1)
def _cities() -> dict[str, dict[str, set[str | None]]]:
    """City name (case-folded) → state → counties: one pass over the ZIP table, kept for the process."""
    index: dict[str, dict[str, set[str | None]]] = defaultdict(lambda: defaultdict(set))
    for entry in zipcodes.list_all():
        names = [entry["city"], *entry.get("acceptable_cities", [])]
        for name in names:
            index[name.casefold()][entry["state"]].add(_county_name(entry.get("county")))
    return index


def city_place(city: str | None, state: str | None = None) -> tuple[str, str | None] | None:
    """(state, county) of a city: with a state, the county if the city has one; alone, only if unique."""
    if not city:
        return None
    by_state = _cities().get(city.strip().casefold())
    if not by_state:
        return None
    if state is not None:
        counties = by_state.get(state)
        if counties is None:
            return None
        return state, next(iter(counties)) if len(counties) == 1 else None
    if len(by_state) != 1:
        return None
    (only_state, counties), *_ = by_state.items()
    return only_state, next(iter(counties)) if len(counties) == 1 else None


def area_code_state(phone: str | None) -> str | None:
    """The state or territory a North American phone number's area code belongs to."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        return None
    region = phonenumbers.region_code_for_number(number)
    if region in TERRITORY_COUNTRIES:
        return TERRITORY_COUNTRIES[region]
    if region != "US":
        return None  # Canada and the Caribbean share +1
    description = geocoder.description_for_number(number, "en")
    if not description:
        return None
    return geo.usps_state_code(description) or geo.usps_state_code(description.rsplit(",", 1)[-1])


def resolve_jurisdiction(tip: LocatedTip) -> Jurisdiction:
    country = tip.location_country or "US"
    if country in TERRITORY_COUNTRIES and not tip.location_state:
        return Jurisdiction(state=TERRITORY_COUNTRIES[country], county=tip.location_county, source="state")
    if country != "US":
        return Jurisdiction(state=None, county=None, source="unknown")
    if tip.location_state:
        state = tip.location_state
        county = tip.location_county
        if county is None:
            place = zip_place(tip.location_zip)
            if place is not None and place[0] == state:
                county = place[1]
            elif (by_city := city_place(tip.location_city, state)) is not None:
                county = by_city[1]
        return Jurisdiction(state=state, county=county, source="state")
    if (place := zip_place(tip.location_zip)) is not None:
        return Jurisdiction(state=place[0], county=tip.location_county or place[1], source="zip")
    phone_state = area_code_state(tip.reporter_phone)
    # A city name several states share is settled by the phone's area code when it names one of them.
    place = city_place(tip.location_city) or (phone_state and city_place(tip.location_city, phone_state))
    if place:
        return Jurisdiction(state=place[0], county=tip.location_county or place[1], source="city")
    if phone_state is not None:
        return Jurisdiction(state=phone_state, county=None, source="area_code")
    return Jurisdiction(state=None, county=None, source="unknown")
