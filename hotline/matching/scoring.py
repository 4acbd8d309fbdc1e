"""Scoring a tip against a candidate case, field by field, into one explained match probability.

Fellegi-Sunter record linkage with comparison levels: each field compared falls into one level (for a given
name: same or nickname, close spelling, similar, different) and contributes that level's log-likelihood
weight log2(m/u), where m is how often two reports of the same case fall into the level and u how often two
different cases found by the same blocking keys do. A field missing on either side weighs nothing. The
weights plus the prior odds give the log2 odds of a match; its logistic is the score. Each field's
similarity and weight are kept: they are the explanation.

m and u were estimated by `bench/dedup_fit.py` from a labeled training set (a seed the benchmarks do not
report on) and rounded; README "Dedup" shows the table. A hotline with enough reviewed decisions should
re-estimate them from its own data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from hotline.matching import frequencies
from hotline.matching.normalize import (
    NormalAddress,
    NormalName,
    PersonProfile,
    Profile,
    phonetic,
    split_name,
)


@dataclass(frozen=True, slots=True)
class Level:
    min_similarity: float
    label: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


@dataclass(frozen=True, slots=True)
class FieldModel:
    description: str
    # Highest first; the last level takes every similarity down to 0.
    levels: tuple[Level, ...]

    def level(self, similarity: float) -> Level:
        for level in self.levels:
            if similarity >= level.min_similarity:
                return level
        return self.levels[-1]

    def weight(self, similarity: float) -> float:
        return self.level(similarity).weight


def _levels(*levels: tuple[float, str, float, float]) -> tuple[Level, ...]:
    return tuple(Level(*level) for level in levels)


# The documented model (README "Dedup"): (lowest similarity of the level, label, m, u). Estimated by
# bench/dedup_fit.py (seed 101, 8,000 tips), rounded; levels marked * were set by judgment where the
# generated data is narrower than life (its reports of one case never span years or states, ages are never
# far off, phones never change) or too thin to estimate, so that no single field outvotes all the others.
MODELS: dict[str, FieldModel] = {
    "name": FieldModel(
        "given and family name together (Jaro-Winkler; nicknames, accents, order, Spanish surnames)",
        _levels(
            (1.0, "same given and family name", 0.531, 0.053),
            (0.9, "same name, spelt a little differently", 0.431, 0.051),
            (0.85, "a similar name", 0.03, 0.041),
            (0.8, "same given name, no family name on one side", 0.3, 0.2),  # * too few to estimate
            (0.5, "same family name, another given name", 0.008, 0.131),  # * an alias, a middle name
            (0.4, "same given name, another family name", 0.01, 0.245),  # * a married name
            (0.0, "different", 0.006, 0.478),  # *
        ),
    ),
    "name_common": FieldModel(
        "the same, when the given or family name is a very common one (frequencies.py)",
        _levels(
            (1.0, "same given and family name", 0.558, 0.127),
            (0.9, "same name, spelt a little differently", 0.418, 0.095),
            (0.85, "a similar name", 0.015, 0.025),
            (0.8, "same given name, no family name on one side", 0.3, 0.25),  # *
            (0.5, "same family name, another given name", 0.008, 0.176),  # *
            (0.4, "same given name, another family name", 0.01, 0.192),  # *
            (0.0, "different", 0.008, 0.409),  # *
        ),
    ),
    "birth_year": FieldModel(
        "birth-year ranges from ages and dates of birth",
        _levels(
            (1.0, "overlap", 0.982, 0.507),
            (0.75, "a year apart", 0.03, 0.102),  # * third parties guess ages
            (0.4, "two years apart", 0.005, 0.075),  # *
            (0.0, "further", 0.006, 0.317),  # *
        ),
    ),
    "gender": FieldModel(
        "stated gender",
        _levels((1.0, "same", 0.99, 0.796), (0.0, "different", 0.01, 0.204)),  # * different
    ),
    "phone": FieldModel(
        "phones of the persons, E.164",
        _levels(
            (1.0, "same number", 0.818, 0.004),  # * u
            (0.85, "same last seven digits", 0.181, 0.004),  # * u
            (0.0, "different", 0.05, 0.997),  # * people change numbers
        ),
    ),
    "email": FieldModel(
        "emails of the persons",
        _levels((1.0, "same", 0.994, 0.016), (0.0, "different", 0.05, 0.984)),  # * different
    ),
    "address": FieldModel(
        "house number, street and unit",
        _levels(
            (0.95, "same", 0.95, 0.289),
            (0.55, "same building, other unit", 0.01, 0.092),  # *
            (0.0, "different", 0.05, 0.619),  # * people move
        ),
    ),
    "place": FieldModel(
        "where: ZIP, city, state",
        _levels(
            (1.0, "same ZIP", 0.245, 0.014),
            (0.9, "same city", 0.439, 0.127),
            (0.75, "same state", 0.316, 0.631),
            (0.0, "another state", 0.03, 0.228),  # * victims are moved across states
        ),
    ),
    "time": FieldModel(
        "days between the tip and the case's nearest tip",
        _levels(
            (1.0, "within 30 days", 0.6, 0.115),  # *
            (0.6, "within 180 days", 0.3, 0.366),  # *
            (0.3, "within two years", 0.08, 0.519),  # * a child may be reported again years on
            (0.0, "further", 0.02, 0.2),  # *
        ),
    ),
    "other_person": FieldModel(
        "a second person of the tip (often the suspect) against the case's other persons",
        _levels(
            (0.9, "same", 0.979, 0.012),
            (0.6, "similar", 0.05, 0.344),  # * a case can involve several suspects
            (0.0, "different", 0.1, 0.644),  # *
        ),
    ),
}
# log2 prior odds that a candidate found by blocking is the same case (bench/dedup_fit.py).
PRIOR_LOG2_ODDS = -1.64
ROLE_COMPATIBLE = {
    ("victim", "victim"),
    ("suspect", "suspect"),
    ("victim", "other"),
    ("other", "victim"),
    ("other", "other"),
    ("other", "suspect"),
    ("suspect", "other"),
}


@dataclass(slots=True)
class Comparison:
    score: float
    log2_odds: float
    # Whether a name, phone, email, address or second person agrees (and no name contradicts it). Same age,
    # same city, same month is how two different children look too: without one a tip is never linked.
    identified: bool = False
    fields: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    # What each weight was computed from (the name's level, …) and by which model: for fitting.
    scored: dict[str, float] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)


def probability(log2_odds: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (-max(-60.0, min(60.0, log2_odds))))


# Names


def _gender_pair(a: str, b: str) -> bool:
    """Daniel/Daniela, Mario/Maria, Juan/Juana: siblings' names, not spellings of one name."""
    if a == b or abs(len(a) - len(b)) > 1 or len(a) < 3 or len(b) < 3:
        return False
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) != len(longer):
        return longer.startswith(shorter) and longer[-1] == "a"
    return a[:-1] == b[:-1] and {a[-1], b[-1]} == {"a", "o"}


def word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if _gender_pair(a, b):
        return 0.5
    similarity = JaroWinkler.normalized_similarity(a, b)
    if similarity < 0.92 and phonetic(a) == phonetic(b):
        similarity = 0.92
    return similarity


def given_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    return max(word_similarity(x, y) for x in a for y in b)


def family_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Family names given as (last word, word before it). With two on each side, the same position must
    agree (paternal with paternal, maternal with maternal): García Hernández and Hernández Trujillo are two
    families, and so are Mary Ann Smith and Mary Ann Jones. One surname may stand for either of two (a
    Spanish paternal surname given alone, or an English family name after a middle name)."""
    if len(a) > 1 and len(b) > 1:
        return (word_similarity(a[0], b[0]) + word_similarity(a[1], b[1])) / 2
    if len(a) > 1 or len(b) > 1:
        single, double = (a[0], b) if len(a) == 1 else (b[0], a)
        return max(word_similarity(single, double[0]), word_similarity(single, double[1]))
    return word_similarity(a[0], b[0])


def _given_last(name: NormalName) -> NormalName | None:
    """The same words read family-first without a comma ('Garcia Torres Lucia')."""
    if len(name.tokens) < 2:
        return None
    *family, given = name.tokens
    return split_name([given, *family[-2:]])


@dataclass(slots=True)
class NameMatch:
    given: float
    family: float | None
    given_common: bool
    family_common: bool

    @property
    def total(self) -> float:
        return self.given + (self.family or 0.0)


def _name_match(a: NormalName, b: NormalName) -> NameMatch:
    if a.middle and b.middle:
        # María José and María Guadalupe are sisters' names, not spellings of one.
        given = min(given_similarity(a.given, b.given), word_similarity(a.middle, b.middle))
    else:
        # A second given name used alone (María Guadalupe as "Lupe") finds the case through its keys, but
        # scores as another given name: on the labeled data, matching it joined María José to her brother
        # José more often than it joined Lupe to María Guadalupe.
        given = given_similarity(a.given, b.given)
    family = family_similarity(a.family, b.family) if a.family and b.family else None
    return NameMatch(
        given,
        family,
        given_common=any(frequencies.is_common_given(word) for word in a.given) and not a.middle,
        family_common=all(frequencies.is_common_family(word) for word in a.family),
    )


def name_similarities(a: NormalName, b: NormalName) -> NameMatch:
    """Given and family similarity; either name is also read family-first, as reports sometimes write."""
    readings = [(a, b), (_given_last(a), b), (a, _given_last(b))]
    return max(
        (_name_match(left, right) for left, right in readings if left is not None and right is not None),
        key=lambda match: match.total,
    )


def birth_year_similarity(a: tuple[int, int], b: tuple[int, int]) -> float:
    gap = max(0, max(a[0], b[0]) - min(a[1], b[1]))
    return {0: 1.0, 1: 0.75, 2: 0.4}.get(gap, 0.0)


@dataclass(slots=True)
class PersonMatch:
    weight: float
    fields: dict[str, float]
    scored: dict[str, float]
    weights: dict[str, float]
    models: dict[str, str]


def name_level(match: NameMatch) -> float:
    """Given and family name scored together (they are far from independent among candidates found by a
    name key): the level's lowest similarity in MODELS["name"]."""
    given_same, given_close = match.given >= 0.999, match.given >= NAME_CLOSE
    given_similar = match.given >= NAME_SIMILAR
    if match.family is None:
        return 0.8 if given_close else 0.0
    family_same, family_close = match.family >= 0.999, match.family >= NAME_CLOSE
    family_similar = match.family >= NAME_SIMILAR
    if given_same and family_same:
        return 1.0
    if given_close and family_close:
        return 0.9
    if given_similar and family_similar:
        return 0.85
    if family_similar:
        return 0.5
    if given_similar:
        return 0.4
    return 0.0


# Jaro-Winkler of one typo in a name is about 0.85-0.97; of siblings' given names mostly below 0.8.
NAME_CLOSE = 0.9
NAME_SIMILAR = 0.8


def compare_persons(a: PersonProfile, b: PersonProfile) -> PersonMatch:
    fields: dict[str, float] = {}
    scored: dict[str, float] = {}
    models: dict[str, str] = {}
    if a.names and b.names:
        best = max(
            (name_similarities(name_a, name_b) for name_a in a.names for name_b in b.names),
            key=lambda match: match.total,
        )
        fields["given_name"] = best.given
        if best.family is not None:
            fields["family_name"] = best.family
        scored["name"] = name_level(best)
        models["name"] = "name_common" if best.given_common or best.family_common else "name"
    if a.birth_years and b.birth_years:
        fields["birth_year"] = scored["birth_year"] = birth_year_similarity(a.birth_years, b.birth_years)
    if a.gender and b.gender:
        fields["gender"] = scored["gender"] = 1.0 if a.gender == b.gender else 0.0
    for name in scored:
        models.setdefault(name, name)
    weights = {name: MODELS[models[name]].weight(value) for name, value in scored.items()}
    return PersonMatch(
        weight=sum(weights.values()), fields=fields, scored=scored, weights=weights, models=models
    )


def _name_score(match: PersonMatch) -> float:
    if "given_name" not in match.fields:
        return 0.0
    return (match.fields["given_name"] + match.fields.get("family_name", match.fields["given_name"])) / 2


# Places, contacts, time


def address_similarity(a: NormalAddress, b: NormalAddress) -> float | None:
    """1 for one address, 0.6 for another unit of one building, lower for other places; None when either
    lacks a house number (a street alone is no address)."""
    if not (a.number and b.number):
        return None
    if a.number != b.number:
        return 0.0
    street = token_set_ratio(a.street_text, b.street_text) / 100.0 if a.street and b.street else 0.0
    if street < 0.85:
        return street * 0.5
    if a.unit and b.unit and a.unit != b.unit:
        return 0.6
    return 1.0


def place_similarity(a: Profile, b: Profile) -> float | None:
    if a.states and b.states and not a.states & b.states:
        return 0.0
    if a.zips & b.zips:
        return 1.0
    if a.cities & b.cities:
        return 0.9
    if a.states & b.states:
        return 0.75
    return None


def time_similarity(a: list[datetime], b: list[datetime]) -> float | None:
    if not a or not b:
        return None
    days = min(abs((x - y).total_seconds()) for x in a for y in b) / 86400
    if days <= 30:
        return 1.0
    if days <= 180:
        return 0.6
    if days <= 730:
        return 0.3
    return 0.0


# Similarities from which a field says who or where, not only what kind of person: a name (close, or the
# given name when one side has no family name), a phone (its last seven digits), an email, the address, a
# second person.
IDENTIFYING = {"name": 0.8, "phone": 0.85, "email": 1.0, "address": 0.95, "other_person": 0.9}


# Identifiers strong enough to join a tip whose name disagrees (a child reported under another name).
STRONG = {"phone": 1.0, "email": 1.0, "other_person": 0.9}


def identifies(scored: dict[str, float]) -> bool:
    """Whether the comparison may link: some identifier agrees, and a name that disagrees (siblings at one
    address, reported the same month) is outweighed only by a phone, an email or a second person."""
    if not any(scored.get(name, -1.0) >= least for name, least in IDENTIFYING.items()):
        return False
    if scored.get("name", 1.0) < IDENTIFYING["name"]:
        return any(scored.get(name, -1.0) >= least for name, least in STRONG.items())
    return True


def compare(tip: Profile, case: Profile) -> Comparison:
    """How likely `tip` reports the same case as `case`, with the similarity and weight of each field."""
    fields: dict[str, float] = {}
    scored: dict[str, float] = {}
    models: dict[str, str] = {}

    pairs = []
    for i, a in enumerate(tip.persons):
        if not a.identified:
            continue
        partners = [
            (j, b) for j, b in enumerate(case.persons) if b.identified and (a.role, b.role) in ROLE_COMPATIBLE
        ]
        if a.names and any(b.names for _, b in partners):
            # A named person is compared with the case's named persons: pairing her with someone the case
            # knows only by age would let a different name go unnoticed.
            partners = [(j, b) for j, b in partners if b.names]
        pairs.extend((compare_persons(a, b), i, j) for j, b in partners)
    if pairs:
        pairs.sort(key=lambda pair: pair[0].weight, reverse=True)
        best, best_i, best_j = pairs[0]
        fields.update(best.fields)
        scored.update(best.scored)
        models.update(best.models)
        others = [
            match for match, i, j in pairs if i != best_i and j != best_j and "given_name" in match.fields
        ]
        if others:
            other = max(_name_score(match) for match in others)
            fields["other_person"] = scored["other_person"] = other

    # A phone of the same number is strong; another number counts against only when both name a phone for
    # the same role (the victim's phone is no evidence against a case that knows only the suspect's).
    if tip.phones & case.phones:
        fields["phone"] = 1.0
    elif tip.phones7 & case.phones7:
        fields["phone"] = 0.85
    elif tip.phone_roles & case.phone_roles:
        fields["phone"] = 0.0
    if tip.emails & case.emails:
        fields["email"] = 1.0
    elif tip.email_roles & case.email_roles:
        fields["email"] = 0.0
    addresses = [address_similarity(a, b) for a in tip.addresses for b in case.addresses]
    if any(similarity is not None for similarity in addresses):
        fields["address"] = max(similarity for similarity in addresses if similarity is not None)
    place = place_similarity(tip, case)
    if place is not None:
        fields["place"] = place
    time = time_similarity(tip.received, case.received)
    if time is not None:
        fields["time"] = time
    for name in ("phone", "email", "address", "place", "time"):
        if name in fields:
            scored[name] = fields[name]

    for name in scored:
        models.setdefault(name, name)
    weights = {name: MODELS[models[name]].weight(value) for name, value in scored.items()}
    log2_odds = PRIOR_LOG2_ODDS + sum(weights.values())
    return Comparison(
        identified=identifies(scored),
        score=probability(log2_odds),
        log2_odds=log2_odds,
        fields={name: round(value, 3) for name, value in fields.items()},
        weights={name: round(value, 2) for name, value in weights.items()},
        scored=scored,
        models=models,
    )
