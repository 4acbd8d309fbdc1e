"""The same child reported twice, spelt differently: the people dedup tests (and the fuzz run's world) use."""

from __future__ import annotations

VICTIM = {"role": "victim", "name": "Guadalupe Orozco Ibarra", "age": 15, "gender": "female"}
SAME_VICTIM = {"role": "victim", "name": "Lupe Orozco", "dob": "2011-03-04", "gender": "F"}
HOUSTON = {"city": "Houston", "county": "Harris", "state": "TX", "zip": "77022"}


NEUTRAL_NARRATIVE = "The caller is worried about the person named here and where they are staying."


def about(victim, **fields):
    # The factory's narrative speaks of a 15-year-old; these tests set ages through the persons alone.
    return {"persons": [victim], "location": HOUSTON, "narrative": NEUTRAL_NARRATIVE, **fields}
