"""Place names to codes: U.S. states and territories to USPS codes, countries to ISO 3166 alpha-2."""

from __future__ import annotations

from functools import lru_cache

import pycountry
import us

# USPS codes the hotline serves: 50 states, DC and the territories.
US_JURISDICTION_CODES = frozenset(state.abbr for state in us.states.STATES_AND_TERRITORIES) | {"DC"}


_STATE_CODES_BY_NAME = {
    **{state.name.lower(): state.abbr for state in us.states.STATES_AND_TERRITORIES},
    **{state.abbr.lower(): state.abbr for state in us.states.STATES_AND_TERRITORIES},
    "district of columbia": "DC", "dc": "DC", "d.c": "DC", "washington dc": "DC", "washington d.c": "DC",
}  # fmt: skip


def usps_state_code(value: str) -> str | None:
    """'tx', 'Texas', 'TEXAS', 'Puerto Rico', 'D.C.' → 'TX', 'PR', 'DC'; anything else → None.

    Exact names only: a jurisdiction decides which agency gets a child's case, so a typo is an error to
    report (see `suggest_state`), not a guess to make silently.
    """
    return _STATE_CODES_BY_NAME.get(" ".join(value.strip().rstrip(".").lower().split()))


def suggest_state(value: str) -> str | None:
    """The state a misspelt name sounds like ('Texs' → 'Texas'), for error messages."""
    state = us.states.lookup(value.strip())
    return state.name if state is not None and state.abbr in US_JURISDICTION_CODES else None


@lru_cache(maxsize=512)
def iso_country_code(value: str) -> str | None:
    """'us', 'MX', 'Mexico' → 'US', 'MX'; anything else → None."""
    text = value.strip()
    if not text:
        return None
    country = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
    if country is None:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            return None
    return country.alpha_2
