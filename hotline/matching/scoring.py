"""Scoring a tip against a candidate case, field by field, into one explained match probability.

Fellegi-Sunter record linkage: each field compared contributes a log-likelihood weight, log2(m/u) when it
agrees and log2((1-m)/(1-u)) when it disagrees, where m is the chance that the field agrees for two reports
of the same case and u the chance that it agrees for two different cases found by the same blocking keys.
Fuzzy similarities between the two interpolate linearly (Winkler's adjustment). A field missing on either
side weighs nothing. The weights plus the prior odds give the log2 odds of a match; its logistic is the
score. The similarities and the weights of every field are kept: they are the explanation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from hotline.matching.nicknames import full_forms
from hotline.matching.normalize import NormalAddress, NormalName, PersonProfile, Profile, phonetic


@dataclass(frozen=True, slots=True)
class FieldModel:
    """m and u of one field, and the similarities below / above which it fully disagrees / agrees."""

    m: float
    u: float
    low: float = 0.0
    high: float = 1.0
    description: str = ""

    @property
    def agreement(self) -> float:
        return math.log2(self.m / self.u)

    @property
    def disagreement(self) -> float:
        return math.log2((1 - self.m) / (1 - self.u))

    def weight(self, similarity: float) -> float:
        if similarity >= self.high:
            return self.agreement
        if similarity <= self.low:
            return self.disagreement
        share = (similarity - self.low) / (self.high - self.low)
        return self.disagreement + share * (self.agreement - self.disagreement)


# The documented model (README "Dedup"). u is measured among candidates that share a blocking key, which is
# why a shared family name or state is weak evidence: candidates share them often.
FIELDS: dict[str, FieldModel] = {
    "given_name": FieldModel(0.95, 0.03, 0.75, 0.93, "Jaro-Winkler of given names, nicknames resolved"),
    "family_name": FieldModel(
        0.92, 0.35, 0.75, 0.93, "Jaro-Winkler of family names (either Spanish surname)"
    ),
    "birth_year": FieldModel(0.9, 0.15, 0.0, 1.0, "birth-year ranges: overlap 1, a year apart 0.75, two 0.4"),
    "gender": FieldModel(0.97, 0.5, 0.0, 1.0, "same stated gender"),
    "phone": FieldModel(0.9, 0.002, 0.0, 1.0, "a phone in common: E.164 1, last seven digits 0.85"),
    "email": FieldModel(0.9, 0.001, 0.0, 1.0, "an email in common"),
    "address": FieldModel(0.85, 0.05, 0.3, 0.95, "same house number and street; another unit 0.6"),
    "place": FieldModel(0.8, 0.2, 0.2, 1.0, "ZIP 1, city 0.9, state only 0.6, another state 0"),
    "time": FieldModel(0.6, 0.25, 0.0, 1.0, "days apart: 30 → 1, 180 → 0.6, 730 → 0.3"),
    "other_person": FieldModel(0.6, 0.02, 0.6, 0.9, "a second person (e.g. the suspect) in common"),
}
# log2 prior odds that a candidate found by blocking is the same case.
PRIOR_LOG2_ODDS = -3.0
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
    fields: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)


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
    # Either surname of a Spanish double surname may be all that a report gives, but a middle name matched
    # to a middle name (Mary Ann Smith / Mary Ann Jones) is no family name in common.
    best = word_similarity(a[0], b[0])
    if len(b) > 1:
        best = max(best, word_similarity(a[0], b[1]))
    if len(a) > 1:
        best = max(best, word_similarity(a[1], b[0]))
    return best


def _swapped(name: NormalName) -> NormalName | None:
    if len(name.tokens) != 2:
        return None
    family, given = name.tokens
    return NormalName(
        given=tuple(dict.fromkeys((given, *full_forms(given)))), family=(family,), tokens=name.tokens
    )


def name_similarities(a: NormalName, b: NormalName) -> tuple[float, float | None]:
    """(given, family) similarity; a two-word name is also tried in the other order ('Garcia Maria')."""
    best: tuple[float, float | None] = (0.0, None)
    for left in (a, _swapped(a)):
        if left is None:
            continue
        given = given_similarity(left.given, b.given)
        family = family_similarity(left.family, b.family) if left.family and b.family else None
        if given + (family or 0.0) > best[0] + (best[1] or 0.0):
            best = (given, family)
    return best


def birth_year_similarity(a: tuple[int, int], b: tuple[int, int]) -> float:
    gap = max(0, max(a[0], b[0]) - min(a[1], b[1]))
    return {0: 1.0, 1: 0.75, 2: 0.4}.get(gap, 0.0)


@dataclass(slots=True)
class PersonMatch:
    weight: float
    fields: dict[str, float]
    weights: dict[str, float]


def compare_persons(a: PersonProfile, b: PersonProfile) -> PersonMatch:
    fields: dict[str, float] = {}
    if a.names and b.names:
        best: tuple[float, float | None] = (-1.0, None)
        for name_a in a.names:
            for name_b in b.names:
                given, family = name_similarities(name_a, name_b)
                if given + (family or 0.0) > best[0] + (best[1] or 0.0):
                    best = (given, family)
        fields["given_name"] = best[0]
        if best[1] is not None:
            fields["family_name"] = best[1]
    if a.birth_years and b.birth_years:
        fields["birth_year"] = birth_year_similarity(a.birth_years, b.birth_years)
    if a.gender and b.gender:
        fields["gender"] = 1.0 if a.gender == b.gender else 0.0
    weights = {name: FIELDS[name].weight(value) for name, value in fields.items()}
    return PersonMatch(weight=sum(weights.values()), fields=fields, weights=weights)


def _name_score(match: PersonMatch) -> float:
    if "given_name" not in match.fields:
        return 0.0
    return (match.fields["given_name"] + match.fields.get("family_name", match.fields["given_name"])) / 2


# Places, contacts, time


def address_similarity(a: NormalAddress, b: NormalAddress) -> float:
    if a.number and b.number and a.number != b.number:
        return 0.0
    street = token_set_ratio(a.street_text, b.street_text) / 100.0 if a.street and b.street else 0.0
    if not (a.number and b.number):
        return street * 0.7
    if street < 0.85:
        return street * 0.5
    if a.unit and b.unit and a.unit != b.unit:
        return 0.6
    return 1.0


def place_similarity(a: Profile, b: Profile) -> float | None:
    if a.zips & b.zips:
        return 1.0
    if a.cities & b.cities and (not a.states or not b.states or a.states & b.states):
        return 0.9
    if a.states and b.states:
        return 0.6 if a.states & b.states else 0.0
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


def compare(tip: Profile, case: Profile) -> Comparison:
    """How likely `tip` reports the same case as `case`, with the similarity and weight of each field."""
    fields: dict[str, float] = {}
    weights: dict[str, float] = {}

    pairs = [
        (compare_persons(a, b), i, j)
        for i, a in enumerate(tip.persons)
        if a.identified
        for j, b in enumerate(case.persons)
        if b.identified and (a.role, b.role) in ROLE_COMPATIBLE
    ]
    if pairs:
        pairs.sort(key=lambda pair: pair[0].weight, reverse=True)
        best, best_i, best_j = pairs[0]
        fields.update(best.fields)
        weights.update(best.weights)
        others = [
            match for match, i, j in pairs if i != best_i and j != best_j and "given_name" in match.fields
        ]
        if others:
            other = max(_name_score(match) for match in others)
            fields["other_person"] = other
            weights["other_person"] = FIELDS["other_person"].weight(other)

    if (tip.phones or tip.phones7) and (case.phones or case.phones7):
        fields["phone"] = 1.0 if tip.phones & case.phones else 0.85 if tip.phones7 & case.phones7 else 0.0
    if tip.emails and case.emails:
        fields["email"] = 1.0 if tip.emails & case.emails else 0.0
    if tip.addresses and case.addresses:
        fields["address"] = max(address_similarity(a, b) for a in tip.addresses for b in case.addresses)
    place = place_similarity(tip, case)
    if place is not None:
        fields["place"] = place
    time = time_similarity(tip.received, case.received)
    if time is not None:
        fields["time"] = time

    for name in ("phone", "email", "address", "place", "time"):
        if name in fields:
            weights[name] = FIELDS[name].weight(fields[name])
    log2_odds = PRIOR_LOG2_ODDS + sum(weights.values())
    return Comparison(
        score=probability(log2_odds),
        log2_odds=log2_odds,
        fields={name: round(value, 3) for name, value in fields.items()},
        weights={name: round(value, 2) for name, value in weights.items()},
    )
