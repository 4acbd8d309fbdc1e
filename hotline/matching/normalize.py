"""Normalisation of the people and places on a tip, so that spellings of the same thing compare equal.

Names lose case, accents, punctuation, titles and particles; nicknames resolve to their full forms; the given
name and the family-name candidates are told apart (Spanish double surnames included). Phones become E.164,
emails lower case, addresses a house number, street words and unit; ages and dates of birth a birth-year
range relative to when the tip was received. Pure functions: no database, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

import jellyfish
import phonenumbers
from nameparser import HumanName
from nameparser.config import Constants

from hotline.matching import frequencies
from hotline.matching.nicknames import full_forms

_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Words that sit between or before family names and carry no identity: "de la Cruz" is "Cruz".
NAME_PARTICLES = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "y",
        "e",
        "da",
        "das",
        "do",
        "dos",
        "van",
        "von",
        "der",
        "den",
        "di",
        "du",
    }
)
_NAME_CONSTANTS = Constants()
_NAME_CONSTANTS.titles.add(
    "sra", "srta", "sr", "don", "dona", "doña", "lic", "ing", "senor", "senora", "señor", "señora"
)

GENDERS = {
    "f": "f", "female": "f", "girl": "f", "woman": "f", "w": "f", "mujer": "f", "nina": "f", "femenino": "f",
    "chica": "f", "m": "m", "male": "m", "boy": "m", "man": "m", "hombre": "m", "nino": "m",
    "masculino": "m", "chico": "m",
}  # fmt: skip

_STREET_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "avenida": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "blv": "blvd", "lane": "ln", "court": "ct", "place": "pl", "highway": "hwy",
    "parkway": "pkwy", "circle": "cir", "terrace": "ter", "trail": "trl", "square": "sq", "calle": "st",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw", "norte": "n", "sur": "s", "oeste": "w", "este": "e",
}  # fmt: skip
_UNIT_WORDS = frozenset(
    {"apt", "apartment", "unit", "ste", "suite", "room", "rm", "lot", "space", "depto", "dept"}
)


@lru_cache(maxsize=65536)
def fold(text: str | None) -> str:
    """'  María-José  GARCÍA ' → 'maria jose garcia': no accents, no case, no punctuation, single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_ALNUM.sub(" ", stripped).strip()


@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """A sound key for a folded name token that also forgives Spanish spellings (silent h, b/v, ll/y, z/s)."""
    word = token
    if word.startswith("h") and len(word) > 1 and word[1] in "aeiou":
        word = word[1:]
    word = word.replace("ll", "y").replace("v", "b").replace("z", "s").replace("ph", "f")
    code = jellyfish.metaphone(word)
    return code or token


# Names


@dataclass(frozen=True, slots=True)
class NormalName:
    # The given name as written, then the full forms it may stand for (bob → robert).
    given: tuple[str, ...]
    # Family names, last word first: (maternal, paternal) for a Spanish double surname, (family,) else.
    family: tuple[str, ...]
    tokens: tuple[str, ...]
    # The second word of a compound given name (María *José*, Mary *Ann*).
    middle: str | None = None

    @property
    def given_keys(self) -> tuple[str, ...]:
        # Keys use only full forms, so 'Bob' and 'Robert' share one; a second given name too, since many go
        # by it (María Guadalupe is "Lupe").
        forms = full_forms(self.given[0]) if self.given else ()
        return tuple(dict.fromkeys((*forms, *(full_forms(self.middle) if self.middle else ()))))


# Commas (Family, Given), quotes and brackets (nicknames) need the name parser; plain words do not.
_NEEDS_PARSER = re.compile(r"[,\"()]")


def _is_title_or_suffix(word: str) -> bool:
    constants = _NAME_CONSTANTS
    return (
        word in constants.titles or word in constants.suffix_acronyms or word in constants.suffix_not_acronyms
    )


@lru_cache(maxsize=65536)
def parse_name(raw: str | None) -> NormalName | None:
    """'Garcia Lopez, María' and 'MARIA GARCIA-LOPEZ' → given ('maria',), family ('lopez', 'garcia')."""
    if not raw or not raw.strip():
        return None
    if not _NEEDS_PARSER.search(raw):
        # Most names are just words: parsing them costs more than all the rest of matching a tip.
        words = [word for word in fold(raw).split() if word not in NAME_PARTICLES]
        if words and not _is_title_or_suffix(words[0]) and not _is_title_or_suffix(words[-1]):
            return split_name(words)
    parsed = HumanName(raw, constants=_NAME_CONSTANTS)
    words: list[str] = []
    for part in (parsed.first, parsed.middle, parsed.last):
        words.extend(word for word in fold(part).split() if word not in NAME_PARTICLES)
    if not words:
        words = [word for word in fold(raw).split() if word not in NAME_PARTICLES]
    if not words:
        return None
    nicknames = [word for word in fold(parsed.nickname).split() if word not in NAME_PARTICLES]
    return split_name(words, nicknames=nicknames)


def split_name(words: Sequence[str], *, nicknames: Sequence[str] = ()) -> NormalName:
    """Words in given-name-first order → given name, middle given name, and up to two family names."""
    given_word, rest = words[0], list(words[1:])
    middle = None
    if len(rest) >= 2 and frequencies.is_second_given(rest[0]):
        middle = rest.pop(0)
    family = tuple(reversed(rest[-2:]))
    given = tuple(dict.fromkeys([given_word, *full_forms(given_word), *nicknames]))
    return NormalName(given=given, family=family, tokens=tuple(words), middle=middle)


# Phones and emails


@dataclass(frozen=True, slots=True)
class NormalPhone:
    e164: str | None
    # The subscriber's last seven digits: all a caller may remember, and what a number without its area
    # code still shares with the full one.
    last7: str


@lru_cache(maxsize=16384)
def normalize_phone(raw: str | None, region: str = "US") -> NormalPhone | None:
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 7:
        return None
    e164 = None
    try:
        number = phonenumbers.parse(raw, region or "US")
        # Seven digits are "possible locally" only: without the area code there is no E.164 number.
        if phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE:
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            digits = str(number.national_number)
    except phonenumbers.NumberParseException:
        pass
    if len(digits) < 7:
        return None
    return NormalPhone(e164=e164, last7=digits[-7:])


def normalize_email(raw: str | None) -> str | None:
    if not raw or "@" not in raw:
        return None
    local, _, domain = raw.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local and domain else None


# Places


@dataclass(frozen=True, slots=True)
class NormalAddress:
    number: str | None
    street: tuple[str, ...]
    unit: str | None

    @property
    def street_text(self) -> str:
        return " ".join(self.street)


@lru_cache(maxsize=16384)
def normalize_address(raw: str | None) -> NormalAddress | None:
    """'1420 Airline Drive, Apt #5, Houston' → number '1420', street ('airline', 'dr'), unit '5'."""
    if not raw:
        return None
    segments = [fold(segment.replace("#", " apt ")) for segment in raw.split(",")]
    segments = [segment for segment in segments if segment]
    if not segments:
        return None
    words = [_STREET_WORDS.get(word, word) for word in segments[0].split()]
    unit: str | None = None
    for segment in segments[1:]:
        parts = [part for part in segment.split() if part not in _UNIT_WORDS]
        if parts and segment.split()[0] in _UNIT_WORDS:
            unit = parts[0]
    street: list[str] = []
    number: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word in _UNIT_WORDS:
            # "Apt #5" reads "apt apt 5": the unit is the next word that is not itself a unit word.
            index += 1
            while index < len(words) and words[index] in _UNIT_WORDS:
                index += 1
            if index < len(words):
                unit = words[index]
            index += 1
            continue
        if number is None and not street and word[0].isdigit():
            number = word
        else:
            street.append(word)
        index += 1
    if not street and number is None:
        return None
    return NormalAddress(number=number, street=tuple(street), unit=unit)


def normalize_zip(raw: str | None) -> str | None:
    digits = re.sub(r"\D", "", raw or "")
    return digits[:5] if len(digits) >= 5 else None


@lru_cache(maxsize=1)
def _state_tables() -> tuple[dict[str, str], dict[str, str]]:
    """ZIP prefix → state, and city name → state for the cities that are almost all in one state."""
    import zipcodes

    by_zip3: dict[str, Counter[str]] = {}
    by_city: dict[str, Counter[str]] = {}
    for entry in zipcodes.list_all():
        by_zip3.setdefault(entry["zip_code"][:3], Counter())[entry["state"]] += 1
        by_city.setdefault(fold(entry["city"]), Counter())[entry["state"]] += 1
    zip_states = {prefix: states.most_common(1)[0][0] for prefix, states in by_zip3.items()}
    city_states = {}
    for city, states in by_city.items():
        state, count = states.most_common(1)[0]
        # Houston (95 % of its ZIP codes in Texas) says Texas; Columbus (Ohio, Georgia, …) says nothing.
        if count >= CITY_STATE_MIN_ZIPS and count >= CITY_STATE_MIN_SHARE * sum(states.values()):
            city_states[city] = state
    return zip_states, city_states


CITY_STATE_MIN_ZIPS = 5
CITY_STATE_MIN_SHARE = 0.8


def state_of_zip(zip_code: str | None) -> str | None:
    """The state a ZIP code lies in (by its first three digits), offline."""
    return _state_tables()[0].get(zip_code[:3]) if zip_code else None


def state_of_city(city: str | None) -> str | None:
    """The state of a big city whose name is (almost) only found in one state, offline."""
    return _state_tables()[1].get(city) if city else None


def normalize_gender(raw: str | None) -> str | None:
    return GENDERS.get(fold(raw)) if raw else None


def birth_years(
    *, age: int | None, age_min: int | None, age_max: int | None, dob: date | None, received_at: datetime
) -> tuple[int, int] | None:
    """The years a person may have been born in, given what the tip says and when it was received."""
    year = received_at.year
    if dob is not None:
        return dob.year, dob.year
    if age is not None:
        return year - age - 1, year - age
    if age_min is not None and age_max is not None:
        return year - age_max - 1, year - age_min
    return None


# Profiles: everything matching reads from a tip, or from the tips of a case


class PersonLike(Protocol):
    role: str
    name: str | None
    aliases: list[str]
    age: int | None
    age_min: int | None
    age_max: int | None
    dob: date | None
    gender: str | None
    phone: str | None
    email: str | None
    address: str | None


class TipLike(Protocol):
    received_at: datetime
    location_address: str | None
    location_city: str | None
    location_state: str | None
    location_zip: str | None
    location_country: str

    @property
    def persons(self) -> Sequence[PersonLike]: ...


@dataclass(frozen=True, slots=True)
class PersonProfile:
    role: str
    names: tuple[NormalName, ...]
    birth_years: tuple[int, int] | None
    gender: str | None
    # Where the person comes from: a structured field an advocate filled ("field"), or the narrative ("text").
    source: str = "field"

    @property
    def identified(self) -> bool:
        return bool(self.names) or self.birth_years is not None


@dataclass(slots=True)
class Profile:
    """A tip, or a case (the union of its tips), as matching sees it."""

    persons: list[PersonProfile] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)  # E.164
    phones7: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    # Roles (victim, suspect, other) whose phone / email the profile knows.
    phone_roles: set[str] = field(default_factory=set)
    email_roles: set[str] = field(default_factory=set)
    addresses: list[NormalAddress] = field(default_factory=list)
    states: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    zips: set[str] = field(default_factory=set)
    # Social-media handles (lower case, no "@") and businesses named as places (folded names), from the text.
    handles: set[str] = field(default_factory=set)
    venues: set[str] = field(default_factory=set)
    received: list[datetime] = field(default_factory=list)

    def absorb(self, other: Profile) -> None:
        seen = set(self.persons)
        self.persons.extend(person for person in other.persons if person not in seen)
        self.phones |= other.phones
        self.phones7 |= other.phones7
        self.emails |= other.emails
        self.phone_roles |= other.phone_roles
        self.email_roles |= other.email_roles
        self.addresses.extend(address for address in other.addresses if address not in self.addresses)
        self.states |= other.states
        self.cities |= other.cities
        self.zips |= other.zips
        self.handles |= other.handles
        self.venues |= other.venues
        self.received.extend(other.received)


def person_profile(person: PersonLike, *, received_at: datetime) -> PersonProfile:
    names = [parse_name(person.name), *(parse_name(alias) for alias in person.aliases or [])]
    return PersonProfile(
        role=person.role,
        names=tuple(dict.fromkeys(name for name in names if name is not None)),
        birth_years=birth_years(
            age=person.age,
            age_min=person.age_min,
            age_max=person.age_max,
            dob=person.dob,
            received_at=received_at,
        ),
        gender=normalize_gender(person.gender),
    )


def tip_profile(tip: TipLike, persons: Iterable[PersonLike] | None = None) -> Profile:
    profile = Profile(received=[tip.received_at])
    region = tip.location_country or "US"
    for person in tip.persons if persons is None else persons:
        profile.persons.append(person_profile(person, received_at=tip.received_at))
        phone = normalize_phone(person.phone, region)
        if phone is not None:
            if phone.e164:
                profile.phones.add(phone.e164)
            profile.phones7.add(phone.last7)
            profile.phone_roles.add(person.role)
        email = normalize_email(person.email)
        if email:
            profile.emails.add(email)
            profile.email_roles.add(person.role)
        address = normalize_address(person.address)
        if address is not None and address not in profile.addresses:
            profile.addresses.append(address)
    address = normalize_address(tip.location_address)
    if address is not None and address not in profile.addresses:
        profile.addresses.append(address)
    us = (tip.location_country or "US") == "US"
    zip_code = normalize_zip(tip.location_zip) if us else None
    if zip_code:
        profile.zips.add(zip_code)
    city = fold(tip.location_city)
    if city:
        profile.cities.add(city)
    # A tip that names a ZIP code or a big city but no state still belongs to one: blocking keys need it.
    state = (
        (tip.location_state if us else None)
        or state_of_zip(zip_code)
        or (state_of_city(city) if us else None)
    )
    if state:
        profile.states.add(state)
    return profile
