"""Minor assessment: every kind of evidence, and every kind of false alarm, in English and in Spanish.

The tips are built through the real intake contract (`TipIn` -> `tip_service.build_tip`), so the classifier
sees exactly the objects the pipeline stores. Each case names the words the evidence must point at: the span
has to cover exactly those words in the narrative.
"""

from __future__ import annotations

from typing import Any

import pytest

from hotline.triage import classify
from hotline.triage.models import Evidence, MinorAssessment
from tests.support.triage import build


def assess(narrative: str | None = None, persons: list[dict[str, Any]] | None = None, **fields: Any):
    tip = build(narrative, persons, **fields)
    return classify.classify_tip(tip).minor, tip


def narrative_evidence(minor: MinorAssessment, narrative: str) -> list[Evidence]:
    items = [item for item in minor.evidence if item.source == "narrative"]
    for item in items:
        assert item.span is not None
        start, end = item.span
        assert narrative[start:end] == item.text, item
    return items


def assert_points_at(minor: MinorAssessment, narrative: str, words: str) -> Evidence:
    """The evidence includes an item whose span is exactly `words` (its first occurrence)."""
    start = narrative.index(words)
    for item in narrative_evidence(minor, narrative):
        if item.span == (start, start + len(words)):
            return item
    raise AssertionError(f"no evidence at {words!r}: {[(e.text, e.reason) for e in minor.evidence]}")


# --- stated ages -----------------------------------------------------------------------------------------

STATED_AGES = [
    # English: digits and words, every way the issue lists
    ("A 15-year-old girl is being sold online by her boyfriend.", "15-year-old", 15),
    ("Her boyfriend posts ads for a fifteen year old girl on escort sites.", "fifteen year old", 15),
    ("Caller reports 15yo female advertised on listcrawler.", "15yo", 15),
    ("PV is a 15 y/o female, her pimp takes her to motels.", "15 y/o", 15),
    ("The victim, age 15, is sold at a motel by her cousin.", "age 15", 15),
    ("She's 16 and her boyfriend makes her see clients.", "She's 16", 16),
    ("Jasmine is 16. A man has her working at an escort service.", "Jasmine is 16", 16),
    ("She is seventeen years of age and works in a salon for no pay.", "She is seventeen years of age", 17),
    ("The victim (14) lives with her aunt, who sells her.", "victim (14)", 14),
    ("Brothers, 16 and 19, are forced to work on a dairy farm.", "Brothers, 16 and 19", 16),
    # Spanish
    ("La muchacha tiene quince años y la obligan a prostituirse.", "tiene quince años", 15),
    ("Mi sobrina tiene 14 años y un hombre la vende por internet.", "tiene 14 años", 14),
    ("Una niña de 13 vive con un señor que la vende a sus amigos.", "niña de 13", 13),
    ("La nena tiene 15 añitos y su mamá la lleva con señores.", "tiene 15 añitos", 15),
    ("Edad: 15 años. Su novio la obliga a vender su cuerpo.", "Edad: 15 años", 15),
    ("mi amiga tiene 17 anos y su novio la vende por internet", "tiene 17 anos", 17),
    ("Unos chamacos de 14 y 15 años trabajan en una obra sin pago.", "chamacos de 14 y 15 años", 14),
    ("Él tiene 40 y ella 16. La lleva con sus amigos que le pagan.", "y ella 16", 16),
]


@pytest.mark.parametrize(("narrative", "words", "age"), STATED_AGES)
def test_a_stated_age_under_18_confirms_a_minor_and_points_at_the_words(narrative, words, age):
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", age)
    item = assert_points_at(minor, narrative, words)
    assert "under 18" in item.reason


@pytest.mark.parametrize(
    ("narrative", "words", "age"),
    [
        ("Since she was 15 her uncle has pimped her. She is 22 now.", "Since she was 15", 15),
        ("She has been sold for sex since age 13. Now she is 19.", "since age 13", 13),
        ("I was 13 when my stepdad started selling me to his friends. I'm 19 now.", "I was 13", 13),
        ("Desde los 15 su tío la vende a hombres; ahora tiene 21.", "Desde los 15", 15),
        (
            "Cuando tenía 14 años me trajeron para trabajar en una casa. Ahora tengo 20.",
            "Cuando tenía 14 años",
            14,
        ),
        ("A los 13 años su tío empezó a venderla; ahora tiene 24.", "A los 13 años", 13),
    ],
)
def test_a_minor_at_the_time_of_exploitation_counts_though_an_adult_now(narrative, words, age):
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", age)
    assert_points_at(minor, narrative, words)


@pytest.mark.parametrize(
    ("narrative", "words"),
    [
        ("She turns 18 next month and works at a strip club for her pimp.", "She turns 18"),
        ("She's almost 18 and her pimp says she can't leave.", "She's almost 18"),
        ("Ella va a cumplir 18 en enero y su novio la vende.", "va a cumplir 18"),
        ("Cumple 18 en diciembre. Su novio la anuncia en internet.", "Cumple 18"),
    ],
)
def test_a_birthday_to_come_means_17_now(narrative, words):
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", 17)
    assert_points_at(minor, narrative, words)


# --- what suggests a minor -------------------------------------------------------------------------------

LIKELY = [
    # school grades and stages
    ("A 9th grader told a friend a man pays her to have sex with his friends.", "9th grader"),
    ("My granddaughter is a sophomore and her boyfriend sells her.", "sophomore"),
    ("Girls from the middle school are picked up by a man who sells them.", "middle school"),
    ("Una alumna de secundaria dice que un señor le paga por tener relaciones.", "secundaria"),
    ("Mi hija está en la prepa y un hombre le ofrece dinero por sexo.", "prepa"),
    ("La niña está en sexto de primaria y su tío vende videos de ella.", "sexto de primaria"),
    # words for minors
    ("A man is pimping a minor out of a house on Vine.", "minor"),
    ("There are underage girls dancing at the strip club.", "underage"),
    ("A juvenile told staff she is sold at parties.", "juvenile"),
    ("Caller says there is child sex trafficking at a house on Elm.", "child"),
    ("There are kids selling candy door to door for a man who keeps the money.", "kids"),
    ("Una niña pide dinero en el metro para un hombre.", "niña"),
    ("Hay menores de edad trabajando en el bar sin pago.", "menores de edad"),
    # teen words with no adult age, appearance, bounds, doubt
    ("A teenage girl knocked on truck cabs asking if drivers wanted a date.", "teenage"),
    ("Una adolescente trabaja en una pupusería sin pago.", "adolescente"),
    ("She looks about 14 and a man sells her at the truck stop.", "looks about 14"),
    ("Hay una chava que parece de 13 en el bar y el encargado la vende.", "parece de 13"),
    ("She is not 18 yet and her boyfriend posts her online.", "She is not 18"),
    ("La muchacha tiene menos de 18 y el dueño la obliga a acostarse con clientes.", "tiene menos de 18"),
    ("I'm not sure if she is a minor; the man with her paid for the room in cash.", "minor"),
    ("No sé si es menor, se ve muy jovencita y un carro la vigila.", "menor"),
    ("Her uncle has been selling her to men since she was little. She is 20 now.", "since she was little"),
    ("Desde niña su tío la vendía a hombres del pueblo.", "Desde niña"),
]


@pytest.mark.parametrize(("narrative", "words"), LIKELY)
def test_words_that_suggest_a_minor_make_it_likely(narrative, words):
    minor, _ = assess(narrative)
    assert minor.status == "likely" and minor.min_age is None
    assert_points_at(minor, narrative, words)


def test_a_teen_word_gives_way_to_an_adult_age_for_the_same_person():
    narrative = "A 19-year-old teen mom is forced to have sex with her dealer's customers."
    minor, _ = assess(narrative)
    assert minor.status == "adult"
    assert "not counted" in assert_points_at(minor, narrative, "teen").reason


def test_a_teen_word_about_someone_else_is_not_cancelled_by_an_adult_age():
    narrative = "A very young-looking girl comes in with a man in his 50s who introduces her to customers."
    minor, _ = assess(narrative)
    assert minor.status == "likely"
    assert_points_at(minor, narrative, "young-looking")


# --- structured persons ----------------------------------------------------------------------------------


def test_a_victims_stated_age_is_evidence_with_its_field_path():
    minor, _ = assess(
        "She works at a nail salon for no pay.", [{"role": "suspect"}, {"role": "victim", "age": 16}]
    )
    assert (minor.status, minor.min_age) == ("confirmed", 16)
    assert [(e.source, e.text) for e in minor.evidence if e.source.startswith("persons")] == [
        ("persons[1].age", "16")
    ]


def test_a_date_of_birth_is_read_at_the_time_the_tip_was_received_not_today():
    # Born 2008-03-02: 17 when the tip came in (June 2025), 18 today (2026).
    minor, _ = assess(
        "Her boyfriend posts her on an escort site.",
        [{"role": "victim", "dob": "2008-03-02"}],
        received_at="2025-06-10T12:00:00-05:00",
    )
    assert (minor.status, minor.min_age) == ("confirmed", 17)
    assert minor.evidence[0].source == "persons[0].dob" and "age 17 at intake" in minor.evidence[0].reason


@pytest.mark.parametrize(
    ("person", "status", "source"),
    [
        ({"role": "victim", "age_min": 14, "age_max": 16}, "confirmed", "persons[0].age_max"),
        ({"role": "victim", "age_min": 16, "age_max": 20}, "likely", "persons[0].age_min"),
        ({"role": "victim", "age_min": 18, "age_max": 25}, "adult", "persons[0].age_min"),
        ({"role": "other", "age": 9}, "likely", "persons[0].age"),
        ({"role": "suspect", "age": 16}, "unknown", None),
    ],
)
def test_age_ranges_and_roles_of_structured_persons(person, status, source):
    minor, _ = assess("The boss keeps their passports.", [person])
    assert minor.status == status
    assert [e.source for e in minor.evidence if e.source.startswith("persons")] == (
        [source] if source else []
    )


def test_conflicting_ages_resolve_toward_the_minor():
    narrative = "She told the manager she's 19 but her sister says she is 16. He sells her at the motel."
    minor, _ = assess(narrative, [{"role": "victim", "age": 22}])
    assert (minor.status, minor.min_age) == ("confirmed", 16)
    assert_points_at(minor, narrative, "she is 16")


def test_adult_only_when_every_victim_is_shown_18_or_over():
    assert assess("The boss keeps their passports.", [{"role": "victim", "age": 30}, {"role": "victim"}])[
        0
    ].status == ("unknown")
    assert assess(
        "The boss keeps their passports.", [{"role": "victim", "age": 30}, {"role": "victim", "age": 41}]
    )[0].status == ("adult")
    narrative = "A 30-year-old woman and several other women are made to see customers at a house on Pine."
    assert assess(narrative)[0].status == "unknown"


# --- false alarms ----------------------------------------------------------------------------------------

ADULTS = [
    # adult ages and words
    ("A 19-year-old is forced to sell drugs for her boyfriend.", "19-year-old"),
    ("My neighbor is 22 and her boyfriend makes her sleep with guys for money.", "neighbor is 22"),
    ("She is a grown woman, about 40, stuck working for a pimp.", "about 40"),
    ("The women are all adults, mostly in their 40s, made to sell roses for the boss.", "adults"),
    ("Mi vecina es mayor de edad y su esposo la obliga a trabajar en un bar.", "mayor de edad"),
    ("Ella tiene 28 años y la trajeron para trabajar en una maquila sin sueldo.", "tiene 28 años"),
    (
        "Son mujeres de veintitantos años; el dueño del spa las obliga a dar servicios sexuales.",
        "veintitantos",
    ),
    # negations
    ("She is not a minor, she is 24, and her husband pimps her.", "She is not a minor"),
    ("None of the girls at the massage place are minors; the owner takes their passports.", "minors"),
    ("No es menor de edad, tiene 27 años, pero su pareja la obliga a prostituirse.", "No es menor de edad"),
    ("Ninguna de las mujeres del lugar es menor; el dueño las obliga a acostarse con clientes.", "menor"),
]


@pytest.mark.parametrize(("narrative", "words"), ADULTS)
def test_adult_ages_adult_words_and_negations_show_an_adult_not_a_minor(narrative, words):
    minor, _ = assess(narrative)
    assert minor.status == "adult"
    assert narrative_evidence(minor, narrative)
    start = narrative.index(words)
    assert any(item.span[0] <= start < item.span[1] for item in narrative_evidence(minor, narrative))


@pytest.mark.parametrize(
    ("narrative", "words", "whose"),
    [
        ("A 45-year-old man is selling women out of his house on Delmar.", "45-year-old", "suspect"),
        ("Her boyfriend, 24, posts her on Skip the Games and keeps the money.", "boyfriend, 24", "suspect"),
        ("I'm 60 and I see women go into the massage place all night.", "I'm 60", "reporter"),
        (
            "I am a 45-year-old truck driver. Women knock on cabs at the truck stop.",
            "45-year-old",
            "reporter",
        ),
        ("Un señor de 50 años la vende a sus amigos.", "señor de 50 años", "suspect"),
        (
            "El padrote tiene como 30 años y maneja a cuatro muchachas en el motel.",
            "tiene como 30 años",
            "suspect",
        ),
        (
            "Tengo 60 años y vivo frente a un negocio de masajes donde entran hombres.",
            "Tengo 60 años",
            "reporter",
        ),
        (
            "El padrote empezó en esto a los 14 años y tiene a cuatro mujeres en la avenida.",
            "a los 14 años",
            "suspect",
        ),
    ],
)
def test_ages_of_suspects_and_reporters_are_set_aside(narrative, words, whose):
    minor, _ = assess(narrative)
    assert minor.status == "unknown"
    item = assert_points_at(minor, narrative, words)
    assert item.reason.startswith("not counted") and whose in item.reason


NOT_AGES = [
    # money
    "The restaurant pays the kitchen guys $15 a day and keeps their passports.",
    "Le pagan 15 dólares por limpiar una casa grande y el jefe se los quita.",
    # times
    "Every night at 10 a van picks up two women from the apartment on Elm.",
    "A las 10 de la noche llega una camioneta y se lleva a las mujeres a trabajar.",
    "a las 5 yo salí de la casa y vi a las muchachas subirse a un carro",
    # counts
    "About 15 workers sleep in the basement and the owner keeps their pay.",
    "El dueño tiene 14 trabajadores y a todos les quitó el pasaporte.",
    "There are at least 10 mattresses in the garage and the boss keeps their wages.",
    # addresses and phone numbers
    "Apartment 14 at 2300 Oak has men who work for a roofer who keeps their pay. Call 555-0116.",
    "En la calle 16 número 220 hay hombres que trabajan sin pago. Llamé al 555-0114.",
    # durations
    "My aunt has cleaned houses for the same family for 15 years without a day off.",
    "Hace 15 años que mi tía trabaja para esa familia y nunca le han pagado.",
    "Tiene 10 años trabajando en la construcción y no le pagan completo.",
    # measures
    "The woman at the motel is 15 weeks pregnant and her pimp still makes her see clients.",
    "Description: female, 5'4, 120 lbs, pimped out of the motel on Airline.",
    "El cuarto de 13 metros donde duermen las trabajadoras no tiene ventanas.",
    # a party, not an age
    "Conocí a la muchacha en una fiesta de quince años; el hombre con quien vive la prostituye.",
]


@pytest.mark.parametrize("narrative", NOT_AGES)
def test_numbers_that_are_not_ages_raise_no_alarm(narrative):
    minor, _ = assess(narrative)
    assert minor.status == "unknown"
    assert not [e for e in minor.evidence if "age" in e.reason and "not counted" not in e.reason]


@pytest.mark.parametrize(
    ("narrative", "words"),
    [
        # schooling finished, a place near a school, a school for adults
        ("PV is a 34yo female who only finished 6th grade, working on a dairy farm for no pay.", "6th grade"),
        ("Ella tiene 28 años, solo estudió hasta la secundaria, y le retienen el sueldo.", "secundaria"),
        (
            "The house across from the high school has 12 men who work for a contractor who keeps their pay.",
            "high school",
        ),
        ("Hay una casa cerca de la secundaria donde viven hombres que trabajan sin pago.", "secundaria"),
        # not about a person's age
        ("He owes child support so he started pimping out his girlfriend.", "child"),
        ("She works at a child care center and he makes her clean his houses at night for no pay.", "child"),
        ("The woman had minor injuries and said her manager takes her passport.", "minor"),
        ("He posts women on an adult website and keeps the money.", "adult"),
        # comparisons and nicknames
        ("She is 25 but he treats her like a child and takes every dollar she earns at the club.", "child"),
        (
            "La tratan como a una niña, pero tiene 29 y trabaja sin sueldo en el restaurante del esposo.",
            "niña",
        ),
        ('He keeps calling his girlfriend "the kid" but she is at least 25. He took her ID.', "kid"),
        # children who are not in the situation
        ("She takes care of their three children all day and they have not paid her in months.", "children"),
        ("Cuida a los niños de la patrona todo el día y no le pagan.", "niños"),
        ("She has two kids back in Honduras and the boss keeps her papers.", "kids"),
        ("I have three kids so I can't get involved, but the man next door keeps women inside.", "kids"),
        ("Su hermana menor, que tiene 25 años, trabaja limpiando oficinas sin sueldo.", "menor"),
    ],
)
def test_words_that_only_look_like_minor_evidence_are_set_aside(narrative, words):
    minor, _ = assess(narrative)
    assert minor.status in {"unknown", "adult"}, minor
    start = narrative.index(words)
    for item in narrative_evidence(minor, narrative):
        if item.span and item.span[0] <= start < item.span[1]:
            assert item.reason.startswith("not counted") or minor.status == "adult", item


def test_a_victims_child_living_in_the_situation_counts():
    narrative = "My sister is 28 and lives with a man who sells her body. Her 6-year-old son lives with them."
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", 6)
    assert_points_at(minor, narrative, "6-year-old")


def test_a_past_minor_age_not_tied_to_the_exploitation_gives_way_to_an_adult_age_now():
    narrative = (
        "She came to the US with her parents when she was 15. She is 24 and her boss keeps her passport."
    )
    minor, _ = assess(narrative)
    assert minor.status == "adult"
    assert "not tied" in assert_points_at(minor, narrative, "when she was 15").reason


def test_the_reporter_telling_their_own_story_is_the_victim():
    narrative = "im 15 and my boyfriend makes me have sex with his friends for money"
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", 15)
    assert_points_at(minor, narrative, "im 15")


def test_no_narrative_and_no_persons_is_unknown():
    minor, _ = assess(None, [{"role": "victim"}])
    assert minor == MinorAssessment(status="unknown", min_age=None, evidence=[])


# --- rules added after the first held-out run (see bench/data/README.md) --------------------------------


@pytest.mark.parametrize(
    ("narrative", "words", "status"),
    [
        (
            "A girl who looks about 13 waits by the ice machine while men visit the room.",
            "looks about 13",
            "likely",
        ),
        (
            "My daughter says a boy in her class sells a girl in her grade to older guys.",
            "in her grade",
            "likely",
        ),
        ("Mi hijo dice que una chica de su salón sale con un señor que le paga.", "de su salón", "likely"),
        ("The profile gives 16 as her age and offers dates.", "16 as her age", "confirmed"),
        ("She was sold by her cousin from age 12, and she is 25 now.", "from age 12", "confirmed"),
    ],
)
def test_more_ways_of_saying_a_minor(narrative, words, status):
    minor, _ = assess(narrative)
    assert minor.status == status
    assert_points_at(minor, narrative, words)


def test_kid_said_of_a_young_adult_gives_way_to_the_stated_age():
    narrative = "The kid at the car wash, he's maybe 21, says the owner keeps his passport and pays nothing."
    minor, _ = assess(narrative)
    assert minor.status == "adult"
    assert "not counted" in assert_points_at(minor, narrative, "kid").reason


def test_adult_words_about_they_cover_the_group_they_stand_for():
    narrative = "The farmworkers live in a barn and are never paid. They are grown men, most over 40."
    minor, _ = assess(narrative)
    assert minor.status == "adult"


# --- rules added after the second held-out run ---------------------------------------------------------


def test_the_age_after_a_relative_clause_belongs_to_the_noun_it_describes():
    narrative = "The trafficker is 23 and the boy he brought from Honduras is 15."
    minor, _ = assess(narrative)
    assert (minor.status, minor.min_age) == ("confirmed", 15)
    assert_points_at(minor, narrative, "is 15")


@pytest.mark.parametrize(
    "narrative",
    [
        "Su esposo la trata como a una niña chiquita, pero ella tiene 33 y trabaja sin sueldo en su tienda.",
        "My kids know the family. The husband keeps his wife's passport and pays her nothing at his store.",
    ],
)
def test_comparisons_and_the_reporters_own_kids_are_not_minor_evidence(narrative):
    assert assess(narrative)[0].status in {"unknown", "adult"}


def test_seen_as_about_an_age_is_an_appearance():
    narrative = "La muchacha se ve como de 15 años y un hombre la lleva con señores que le pagan."
    minor, _ = assess(narrative)
    assert minor.status == "likely"
    assert_points_at(minor, narrative, "se ve como de 15 años")


def test_a_person_selling_goods_is_not_the_exploiter():
    narrative = (
        "La señora de 50 años que vende elotes en la esquina dice que su marido la obliga a prostituirse."
    )
    minor, _ = assess(narrative)
    assert minor.status == "adult"
    assert "18 or over" in assert_points_at(minor, narrative, "señora de 50 años").reason


def test_an_in_law_with_an_age_is_a_person():
    narrative = "My sister-in-law, 44, works at a ranch where the owner keeps her passport and pays nothing."
    minor, _ = assess(narrative)
    assert minor.status == "adult"
