"""Blocking keys: the few exact keys under which a tip is filed, so that candidates are found by index.

Each key combines normalised parts that the same person keeps across spellings (a phonetic code of the
given and family names, a birth year, a state, a phone, an email, a house number and street). Keys are stored
only as a keyed hash (HMAC-SHA256 with `HOTLINE_MATCHING_KEY`, truncated to 64 bits): the index holds no
personal data in the clear, and without the key its values cannot be recomputed from a guessed name.

A tip is filed under its *index* keys and looks for candidates under its *lookup* keys, which widen the birth
year by one on each side: two tips whose ages differ by a year still meet, while the index stays small.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hotline.core import crypto
from hotline.matching.nicknames import full_forms
from hotline.matching.normalize import PersonProfile, Profile, phonetic

# How strongly sharing a key of each kind suggests the same case; orders candidates before scoring.
KEY_STRENGTH: dict[str, int] = {
    "phone": 8,
    "email": 8,
    "name_year": 6,
    "phone7": 4,
    "address": 4,
    "name_state": 3,
    "name": 2,
    "given_state": 2,
    "family_state": 2,
    "initials_year": 1,
    "family_year": 3,
    "given_year": 3,
}
MAX_NAMES_PER_PERSON = 3
MAX_GIVEN_FORMS = 3
# Birth-year ranges wider than this ("between 20 and 40") are too vague to block on.
MAX_BLOCKING_YEAR_SPAN = 4
LOOKUP_YEAR_SLACK = 2
# A tip with 50 persons must not hold hundreds of locks or index rows.
MAX_KEYS_PER_TIP = 160

Purpose = Literal["index", "lookup"]


@dataclass(frozen=True, slots=True)
class BlockingKey:
    kind: str
    hash: int


def _years(person: PersonProfile, purpose: Purpose) -> list[int]:
    if person.birth_years is None:
        return []
    low, high = person.birth_years
    if high - low > MAX_BLOCKING_YEAR_SPAN:
        return []
    if purpose == "index":
        # One nominal year keeps the index small; lookups widen around it by the most two reports of one
        # person's age usually differ (a year each way, and a range's nominal year a year off its ends).
        return [(low + high + 1) // 2]
    return list(range(low - LOOKUP_YEAR_SLACK, high + LOOKUP_YEAR_SLACK + 1))


def _person_keys(person: PersonProfile, states: list[str], purpose: Purpose) -> Iterable[tuple[str, str]]:
    """From broad to narrow: when a broad key is too common at scale, a narrower one still finds the case.

    A misspelt given or family name breaks every key that holds it, so each part is also keyed with only the
    other part's initial (and a state, and a birth year when known)."""
    years = _years(person, purpose)
    for name in person.names[:MAX_NAMES_PER_PERSON]:
        given_codes = [phonetic(form) for form in name.given_keys[:MAX_GIVEN_FORMS]]
        # Initials as written (a typo rarely hits the first letter, but it can change a sound code's: Hannah
        # is "AN", Hmarton "HM") and of the full forms (Chuy → Jesús).
        given_initials = sorted({word[:1] for word in (name.given[0], *name.given_keys[:MAX_GIVEN_FORMS])})
        # A nickname written where a family name goes ("Garcia Luchi") still keys as its full form.
        family_words = list(dict.fromkeys(full_forms(word)[0] for word in name.family))
        family_codes = [phonetic(word) for word in family_words]
        for given_code in given_codes:
            if not family_codes:
                # A given name alone ("Maria, 15") is specific only with a birth year and a state.
                for year in years:
                    for state in states:
                        yield "given_year", f"{given_code}|-|{year}|{state}"
            for family_word, family_code in zip(family_words, family_codes, strict=True):
                # Sorted, so that 'Garcia Maria' written in either order files under the same key.
                pair = "|".join(sorted((given_code, family_code)))
                # Nationwide, for reports that name no state (and people moved); a common name exceeds
                # the per-key cap at scale and then only its narrower keys are used.
                yield "name", pair
                for year in years:
                    yield "name_year", f"{pair}|{year}"
                for state in states:
                    yield "name_state", f"{pair}|{state}"
                    yield "given_state", f"{given_code}|{family_word[:1]}|{state}"
                    for year in years:
                        yield "given_year", f"{given_code}|{family_word[:1]}|{year}|{state}"
        for family_word, family_code in zip(family_words, family_codes, strict=True):
            for initial in given_initials:
                for state in states:
                    yield "family_state", f"{family_code}|{initial}|{state}"
                    for year in years:
                        yield "family_year", f"{family_code}|{initial}|{year}|{state}"
                        # Both parts misspelt: the initials, the birth year and the state still agree.
                        yield "initials_year", f"{initial}{family_word[:1]}|{year}|{state}"


def raw_keys(profile: Profile, purpose: Purpose = "index") -> list[tuple[str, str]]:
    """(kind, normalised value) pairs, strongest kinds first. Only for hashing: never stored or logged."""
    states = sorted(profile.states) or ["-"]
    keys: list[tuple[str, str]] = []
    keys += [("phone", phone) for phone in sorted(profile.phones)]
    keys += [("email", email) for email in sorted(profile.emails)]
    keys += [("phone7", last7) for last7 in sorted(profile.phones7)]
    for person in profile.persons:
        keys += _person_keys(person, states, purpose)
    for address in profile.addresses:
        street = [word for word in address.street if len(word) > 2]
        if address.number and street:
            for state in states:
                keys.append(("address", f"{address.number}|{phonetic(street[0])}|{state}"))
    unique = list(dict.fromkeys(keys))
    unique.sort(key=lambda key: -KEY_STRENGTH[key[0]])
    return unique[:MAX_KEYS_PER_TIP]


def blocking_keys(profile: Profile, *, secret: bytes, purpose: Purpose = "index") -> list[BlockingKey]:
    seen: set[int] = set()
    keys: list[BlockingKey] = []
    for kind, value in raw_keys(profile, purpose):
        hashed = crypto.key_hash(secret, kind, value)
        if hashed not in seen:
            seen.add(hashed)
            keys.append(BlockingKey(kind=kind, hash=hashed))
    return keys
