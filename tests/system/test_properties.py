"""Property tests (Hypothesis): the tip normaliser, the minor classifier and the ruleset validator take any
input without an unhandled exception, and keep the promises the pipeline relies on.

Example counts are bounded and derandomized so the suite stays fast and every run tries the same inputs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hotline.matching import normalize
from routing.directory import shipped_directory
from routing.engine import check_ruleset
from routing.source import SourceError
from tests.support.triage import FRAGMENTS, build

from hotline.triage import classify  # isort: skip

AGENCIES = shipped_directory().kinds()
PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Text a person could type or paste: any character but control characters (the contract refuses those).
TYPED = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=200)
# Words and pieces the readers react to (ages, teen words, negations, Spanish), glued in any order.
NARRATIVE_PIECES = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
ANY_NARRATIVE = st.one_of(NARRATIVE_PIECES, TYPED, st.tuples(NARRATIVE_PIECES, TYPED).map(" ".join))

FOLDED = re.compile(r"^(?:[0-9a-z]+(?: [0-9a-z]+)*)?$")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


# --- the tip normaliser -----------------------------------------------------------------------------------


@PROPERTY
@given(TYPED)
def test_folding_is_idempotent_and_leaves_only_lower_ascii_words(text):
    folded = normalize.fold(text)
    assert FOLDED.match(folded), folded
    assert normalize.fold(folded) == folded


@PROPERTY
@given(st.one_of(TYPED, st.from_regex(r"\+?[0-9 ()./-]{0,25}", fullmatch=True)))
def test_a_phone_becomes_e164_or_is_dropped_and_e164_is_stable(raw):
    phone = normalize.normalize_phone(raw)
    if phone is None:
        return
    assert re.fullmatch(r"[0-9]{7}", phone.last7), phone
    if phone.e164 is not None:
        assert E164.match(phone.e164), phone.e164
        again = normalize.normalize_phone(phone.e164)
        assert again is not None and again.e164 == phone.e164


@PROPERTY
@given(st.one_of(TYPED, st.emails().map(str)))
def test_an_email_normalises_idempotently(raw):
    email = normalize.normalize_email(raw)
    if email is not None:
        assert "@" in email
        assert normalize.normalize_email(email) == email


@PROPERTY
@given(TYPED)
def test_names_and_addresses_of_any_text_parse_into_folded_words(text):
    name = normalize.parse_name(text)
    if name is not None:
        assert name.tokens and all(FOLDED.match(token) and token for token in name.tokens)
        assert set(name.family) <= set(name.tokens)
    address = normalize.normalize_address(text)
    if address is not None:
        assert all(FOLDED.match(word) for word in address.street)


@PROPERTY
@given(
    narrative=TYPED,
    name=TYPED,
    alias=TYPED,
    phone=TYPED,
    address=TYPED,
    city=TYPED,
    email=TYPED,
    age=st.one_of(st.none(), st.integers(-5, 130)),
)
def test_any_tip_text_is_refused_cleanly_or_normalised_into_a_profile(
    narrative, name, alias, phone, address, city, email, age
):
    payload: dict[str, Any] = {
        "narrative": narrative,
        "location": {"address": address, "city": city},
        "persons": [
            {"role": "victim", "name": name, "aliases": [alias], "phone": phone, "email": email, "age": age}
        ],
    }
    try:
        tip = build(**payload)
    except ValidationError:
        return  # refused with a field and a reason: the contract's job
    profile = normalize.tip_profile(tip)
    assert all(E164.match(number) for number in profile.phones)
    assert all(FOLDED.match(city) for city in profile.cities)


# --- the minor classifier ---------------------------------------------------------------------------------

RANK = {"adult": 0, "unknown": 1, "likely": 2, "confirmed": 3}
STATEMENTS = {"en": " She is 14.", "es": " Ella tiene 14 años."}


def _minor_status(narrative: str) -> str:
    return classify.classify_tip(build(narrative)).minor.status


def _valid(narrative: str) -> bool:
    try:
        build(narrative)
    except ValidationError:
        return False
    return True


@PROPERTY
@given(ANY_NARRATIVE)
def test_the_classifier_takes_any_text(narrative):
    assume(narrative.strip() and _valid(narrative))
    minor = classify.classify_tip(build(narrative)).minor
    assert minor.status in RANK
    for item in minor.evidence:
        if item.source == "narrative":
            start, end = item.span
            assert narrative[start:end] == item.text


@PROPERTY
@given(narrative=ANY_NARRATIVE, language=st.sampled_from(sorted(STATEMENTS)), where=st.floats(0, 1))
def test_stating_an_age_of_14_never_lowers_minor_status(narrative, language, where):
    assume(narrative.strip() and _valid(narrative))
    before = _minor_status(narrative)
    statement = STATEMENTS[language]
    # At the end, and inserted at a sentence boundary inside the narrative.
    boundaries = [0, *(m.end() for m in re.finditer(r"[.!?]\s", narrative)), len(narrative)]
    cut = boundaries[int(where * (len(boundaries) - 1))]
    for told in (narrative + statement, narrative[:cut] + statement + " " + narrative[cut:]):
        after = _minor_status(told)
        assert RANK[after] >= RANK[before], (before, after, told)
        assert after in {"confirmed", "likely"}, (after, told)


# --- the ruleset validator --------------------------------------------------------------------------------

DEFAULT_RULES = (Path(__file__).parents[2] / "routing" / "rules" / "default.yaml").read_text()
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        ["TX", "cps-tx", "national", "minor_involved", "between", "in", "collect", "first", "true"]
    ),
)
# fmt: off
RULESET_WORDS = [
    "ruleset", "hit_policy", "rules", "tests", "id", "when", "then", "route", "fallback", "all", "any", "not",
    "priority", "sla_minutes", "review", "next", "escalate", "facts", "expect", "targets", "state",
    "minor_status", "min_age", "state_agency", "name", "description",
]
# fmt: on
KEYS = st.one_of(
    st.sampled_from(RULESET_WORDS),
    st.text(max_size=10),
    st.integers(0, 5),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=30,
)


def _assert_validates_cleanly(text: str) -> None:
    try:
        engine, problems = check_ruleset(text, file="candidate.yaml", agencies=AGENCIES)
    except SourceError as exc:  # pragma: no cover - check_ruleset returns problems rather than raising
        problems, engine = exc.problems, None
    for problem in problems:
        assert problem.message and str(problem).startswith("candidate.yaml")
    assert engine is not None or problems


@PROPERTY
@given(STRUCTURES)
def test_any_yaml_structure_is_a_valid_ruleset_or_a_list_of_clear_problems(document):
    _assert_validates_cleanly(yaml.safe_dump(document, allow_unicode=True))


@settings(PROPERTY, max_examples=50)  # each example parses and runs the whole default protocol's tests
@given(st.data())
def test_the_default_ruleset_with_any_part_replaced_is_valid_or_clearly_refused(data):
    document = yaml.safe_load(DEFAULT_RULES)
    for _ in range(data.draw(st.integers(1, 3))):
        node, key = document, None
        # Walk down a random path, then replace what is there with anything.
        while isinstance(node, dict | list) and node and data.draw(st.booleans()):
            key = data.draw(
                st.sampled_from(sorted(node, key=str) if isinstance(node, dict) else range(len(node)))
            )
            if not isinstance(node[key], dict | list):
                break
            node = node[key]
        if isinstance(node, dict | list) and node:
            key = (
                key
                if key in (node if isinstance(node, dict) else range(len(node)))
                else next(iter(node if isinstance(node, dict) else range(len(node))))
            )
            node[key] = data.draw(STRUCTURES)
    _assert_validates_cleanly(yaml.safe_dump(document, allow_unicode=True))


@PROPERTY
@given(st.one_of(TYPED, st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_text_is_a_valid_ruleset_or_a_list_of_clear_problems(text):
    _assert_validates_cleanly(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [*x]",  # an alias of itself
        # a small billion laughs
        "a: &a [1]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]",
        "? [a, b]\n: 1",  # a list as a key
        "? {a: 1}\n: 1",  # a mapping as a key
        "ruleset: x\nrules:\n  - ? [id]\n    : x",
        "!!python/object/apply:os.system ['true']",  # tags are refused, never run
        "ruleset: !!binary aGVsbG8=\nhit_policy: first",
        "[" * 5000 + "]" * 5000,  # deep nesting
        "{a: " * 2000 + "1" + "}" * 2000,
        "ruleset: x\nhit_policy: first\nrules:\n"
        + "  - {id: r, when: {state: TX}, then: {route: [national]}}\n" * 3,
        "\ufeffruleset: bom",
        "ruleset: x\u0000",
        "rules: 1e999",
        "rules: .nan",
        "hit_policy: 2001-01-01",
        "---\nruleset: a\n---\nruleset: b",
    ],
)
def test_hostile_yaml_is_a_clear_problem_never_an_exception(text):
    _assert_validates_cleanly(text)
