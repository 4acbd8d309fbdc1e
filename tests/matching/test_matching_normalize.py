"""Normalisation, blocking keys and scoring of dedup: pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from hotline.matching import blocking, normalize, scoring

RECEIVED = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
SECRET = b"test-matching-key"


@dataclass
class Person:
    role: str = "victim"
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    dob: date | None = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass
class Tip:
    persons: list[Person]
    received_at: datetime = RECEIVED
    location_address: str | None = None
    location_city: str | None = None
    location_state: str | None = "TX"
    location_zip: str | None = None
    location_country: str = "US"


def profile(*persons: Person, **location: object) -> normalize.Profile:
    return normalize.tip_profile(Tip(persons=list(persons), **location))  # type: ignore[arg-type]


# Names


@pytest.mark.parametrize(
    ("raw", "given", "family"),
    [
        ("María José GARCÍA-López", "maria", ("lopez", "garcia")),
        ("Garcia Lopez, Maria", "maria", ("lopez", "garcia")),
        ("Sra. Guadalupe de la Cruz", "guadalupe", ("cruz",)),
        ("Robert Smith Jr.", "robert", ("smith",)),
        ("Mary Ann Smith", "mary", ("smith",)),
        ("  ana   SOFÍA  pérez ", "ana", ("perez",)),
    ],
)
def test_names_lose_case_accents_titles_particles_and_keep_both_spanish_surnames(raw, given, family):
    name = normalize.parse_name(raw)
    assert name is not None
    assert name.given[0] == given
    assert name.family == family


def test_compound_given_names_keep_their_second_part_apart_from_the_surnames():
    name = normalize.parse_name("María José Reyes Velázquez")
    assert name is not None and name.middle == "jose" and name.family == ("velazquez", "reyes")


def test_nicknames_resolve_to_their_full_names():
    assert "robert" in normalize.parse_name("Bob Smith").given  # type: ignore[union-attr]
    assert normalize.parse_name("Lupe Garcia").given_keys == ("guadalupe",)  # type: ignore[union-attr]
    assert normalize.parse_name('Guadalupe "Lupe" Garcia').given[0] == "guadalupe"  # type: ignore[union-attr]


def test_the_sound_key_forgives_spanish_spellings():
    assert normalize.phonetic("hernandez") == normalize.phonetic("ernandez")
    assert normalize.phonetic("valdez") == normalize.phonetic("baldes")
    assert normalize.phonetic("castillo") == normalize.phonetic("castiyo")
    assert normalize.phonetic("gonzalez") == normalize.phonetic("gonsales")


# Phones, emails, addresses, ages, places


@pytest.mark.parametrize("raw", ["(713) 555-0142", "713.555.0142", "+1 713 555 0142", "1-713-555-0142"])
def test_phones_become_e164(raw):
    phone = normalize.normalize_phone(raw)
    assert phone is not None and phone.e164 == "+17135550142" and phone.last7 == "5550142"


def test_a_phone_without_its_area_code_keeps_its_last_seven_digits():
    phone = normalize.normalize_phone("555-0142")
    assert phone is not None and phone.e164 is None and phone.last7 == "5550142"
    assert normalize.normalize_phone("12") is None


def test_emails_are_lower_cased_without_tags_and_gmail_dots():
    assert normalize.normalize_email("Ana.Perez+ads@GMail.com") == "anaperez@gmail.com"
    assert normalize.normalize_email("Ana.Perez@Example.org") == "ana.perez@example.org"


def test_addresses_keep_number_street_and_unit_in_one_spelling():
    a = normalize.normalize_address("1420 Airline Drive, Apt #5")
    b = normalize.normalize_address("1420 airline dr. unit 5")
    assert a == b and a is not None and a.number == "1420" and a.unit == "5"


def test_ages_and_dates_of_birth_become_birth_year_ranges_at_the_time_received():
    years = normalize.birth_years
    assert years(age=15, age_min=None, age_max=None, dob=None, received_at=RECEIVED) == (2010, 2011)
    assert years(age=None, age_min=14, age_max=16, dob=None, received_at=RECEIVED) == (2009, 2012)
    assert years(age=None, age_min=None, age_max=None, dob=date(2011, 3, 1), received_at=RECEIVED) == (
        2011,
        2011,
    )
    assert years(age=None, age_min=14, age_max=None, dob=None, received_at=RECEIVED) is None


def test_a_tip_without_a_state_gets_it_from_its_zip_or_its_big_city():
    assert profile(location_state=None, location_zip="77022").states == {"TX"}
    assert profile(location_state=None, location_city="Houston").states == {"TX"}
    assert profile(location_state=None, location_city="Columbus").states == set()


# Blocking keys


def test_keys_are_keyed_hashes_that_spellings_of_one_child_share():
    one = profile(Person(name="María Guadalupe García López", age=15, phone="(713) 555-0142"))
    other = profile(Person(name="Lupe Garcia", age=14, phone="713-555-0142"))
    index = {key.hash for key in blocking.blocking_keys(one, secret=SECRET)}
    lookup = {key.hash for key in blocking.blocking_keys(other, secret=SECRET, purpose="lookup")}
    assert index & lookup
    assert all(isinstance(key, int) and -(2**63) <= key < 2**63 for key in index)
    # Another secret gives other hashes: the index cannot be recomputed from a guessed name without it.
    assert not index & {key.hash for key in blocking.blocking_keys(one, secret=b"another-key")}


def test_a_misspelt_name_still_shares_a_key_through_the_other_part_and_the_state():
    one = profile(Person(name="Hannah Harton"))
    other = profile(Person(name="Hannah Hmarton"))
    assert {k.hash for k in blocking.blocking_keys(one, secret=SECRET)} & {
        k.hash for k in blocking.blocking_keys(other, secret=SECRET, purpose="lookup")
    }


def test_a_tip_with_nothing_identifying_has_no_keys():
    assert blocking.blocking_keys(profile(Person(age=15, gender="female")), secret=SECRET) == []


# Scoring


def test_two_spellings_of_one_child_score_as_one_case_and_say_why():
    tip = profile(Person(name="MARIA GARCIA", age=15, gender="F"), location_city="Houston")
    case = profile(
        Person(name="María García López", dob=date(2011, 2, 2), gender="female"), location_city="Houston"
    )
    comparison = scoring.compare(tip, case)
    assert comparison.score > 0.9 and comparison.identified
    assert comparison.fields["given_name"] == 1.0 and comparison.fields["birth_year"] == 1.0
    assert comparison.weights["name"] > 0 and set(comparison.weights) <= set(scoring.MODELS)


def test_a_sibling_at_the_same_address_is_not_the_same_case():
    home = "2210 Oak St"
    tip = profile(Person(name="Ana Villalobos", age=9, gender="F"), location_address=home)
    case = profile(Person(name="Marisol Villalobos", age=14, gender="F"), location_address=home)
    comparison = scoring.compare(tip, case)
    assert comparison.score < 0.3 and not comparison.identified


def test_the_neighbours_in_another_apartment_are_not_the_same_case():
    tip = profile(Person(age=15, gender="F"), location_address="4500 Harwin Dr Apt 12")
    case = profile(Person(age=15, gender="F"), location_address="4500 Harwin Dr Apt 31")
    assert scoring.compare(tip, case).score < 0.3


def test_a_namesake_elsewhere_and_older_is_not_the_same_case():
    tip = profile(Person(name="Jessica Smith", age=15))
    case = profile(Person(name="Jessica Smith", age=22), location_state="NY")
    assert scoring.compare(tip, case).score < 0.05


def test_daniel_and_daniela_are_two_children():
    assert scoring.word_similarity("daniel", "daniela") < scoring.NAME_SIMILAR
    assert scoring.word_similarity("maria", "mario") < scoring.NAME_SIMILAR


def test_same_age_and_city_alone_never_identify_a_child():
    tip = profile(Person(age=15, gender="F"), location_city="Houston")
    case = profile(Person(age=15, gender="F"), location_city="Houston")
    assert not scoring.compare(tip, case).identified


def test_a_shared_phone_identifies_even_without_a_name():
    tip = profile(Person(age=15, phone="713 555 0142"))
    case = profile(Person(name="Keisha Whitaker", age=15, phone="(713) 555-0142"))
    comparison = scoring.compare(tip, case)
    assert comparison.identified and comparison.fields["phone"] == 1.0 and comparison.score > 0.9


def test_every_level_has_a_finite_documented_weight():
    for model in scoring.MODELS.values():
        assert model.levels[-1].min_similarity == 0.0
        assert [level.min_similarity for level in model.levels] == sorted(
            (level.min_similarity for level in model.levels), reverse=True
        )
        for level in model.levels:
            assert 0 < level.m < 1 and 0 < level.u < 1 and abs(level.weight) < 12


# Settings


def test_production_refuses_the_development_matching_key_and_thresholds_out_of_order():
    from pydantic import ValidationError

    from hotline.core import crypto
    from hotline.core.config import Settings

    base = {
        "environment": "production",
        "secret_key": "s" * 40,
        "database_url": "sqlite://",
        "data_keys": f"k1:{crypto.new_key()}",
    }
    with pytest.raises(ValidationError, match="HOTLINE_MATCHING_KEY"):
        Settings(_env_file=None, **base)  # type: ignore[call-arg]
    assert Settings(_env_file=None, **base, matching_key="m" * 40).matching_key.get_secret_value() == "m" * 40  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="thresholds"):
        Settings(_env_file=None, match_link_threshold=0.5, match_review_threshold=0.6)  # type: ignore[call-arg]
