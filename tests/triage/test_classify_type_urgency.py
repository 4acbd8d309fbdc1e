"""Trafficking type and urgency, in English and Spanish; and the promises every evidence span keeps."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.triage import classify
from hotline.triage.narrative import _CUES_REGISTRY, Cues, Narrative
from tests.support.triage import FRAGMENTS, build

EVALUATION_SET = Path(__file__).resolve().parents[2] / "bench" / "data"


def classify_text(narrative: str, **fields):
    return classify.classify_tip(build(narrative, **fields))


def spans_of(evidence, narrative: str) -> list[str]:
    texts = []
    for item in evidence:
        if item.source == "narrative":
            start, end = item.span
            assert narrative[start:end] == item.text
            texts.append(item.text)
    return texts


# --- trafficking type ------------------------------------------------------------------------------------

TYPES = [
    ("Her boyfriend posts her on escort sites and makes her see clients at motels.", "sex", "escort"),
    ("The men pay him to have sex with the girls at the house.", "sex", "sex"),
    ("Su novio la obliga a prostituirse en la avenida.", "sex", "prostituirse"),
    ("Un señor la lleva con hombres que le pagan a él.", "sex", "hombres que le pagan"),
    ("The workers at the egg farm are never paid and the boss keeps their passports.", "labor", "workers"),
    ("She cleans houses all day and the family has not paid her in eight months.", "labor", "cleans houses"),
    ("Trabaja en el campo de sol a sol y el contratista no le paga.", "labor", "de sol a sol"),
    ("Una niña vende dulces en el semáforo y un hombre se queda con el dinero.", "labor", "vende dulces"),
    ("He works in the kitchen for no pay and at night the owner sends him to men for sex.", "both", "sex"),
    (
        "Trabaja en la cocina sin pago y en las noches el dueño la obliga a acostarse con clientes.",
        "both",
        "sin pago",
    ),
]


@pytest.mark.parametrize(("narrative", "kind", "words"), TYPES)
def test_the_type_is_what_the_person_is_made_to_do(narrative, kind, words):
    result = classify_text(narrative)
    assert result.trafficking_type == kind
    assert any(
        words in text or text in words for text in spans_of(result.trafficking_type_evidence, narrative)
    )


@pytest.mark.parametrize(
    "narrative",
    [
        # control tactics alone say nothing about the type
        "The man took her passport and says she owes him $5,000. She can't leave the apartment.",
        "Le quitaron los papeles y la amenazan con migración si se va.",
        # a workplace that is only a place
        "Seven women live in the apartment above the restaurant and never go out alone.",
        # negated
        "It is not for sex, she says; he just keeps her passport.",
    ],
)
def test_no_type_without_what_the_person_is_made_to_do(narrative):
    result = classify_text(narrative)
    assert (result.trafficking_type, result.trafficking_type_evidence) == ("unknown", [])


def test_a_type_stated_on_the_tip_is_kept_with_its_evidence():
    result = classify_text("The girls at the house cook and clean for him.", trafficking_type="sex")
    assert result.trafficking_type == "sex"
    assert [(e.source, e.text, e.reason) for e in result.trafficking_type_evidence] == [
        ("trafficking_type", "sex", "stated on the tip")
    ]


# --- urgency ---------------------------------------------------------------------------------------------

EMERGENCIES = [
    ("She is locked in the bathroom at the motel and he has a gun.", "locked in"),
    ("They are moving her tonight to Dallas.", "moving her tonight"),
    ("He is beating her right now, please send someone.", "right now"),
    ("Ahora mismo hay un hombre con pistola que no deja salir a las mujeres.", "Ahora mismo"),
    ("La tienen encerrada en un cuarto del hotel.", "encerrada"),
    ("Dicen que esta noche van a mover a las muchachas a otra ciudad.", "esta noche"),
]


@pytest.mark.parametrize(("narrative", "words"), EMERGENCIES)
def test_danger_now_is_an_emergency(narrative, words):
    result = classify_text(narrative)
    assert result.urgency == "emergency"
    assert words in spans_of(result.urgency_evidence, narrative)


def test_immediate_danger_on_the_tip_is_an_emergency():
    result = classify_text("A woman is held at the address.", immediate_danger=True)
    assert result.urgency == "emergency"
    assert (result.urgency_evidence[0].source, result.urgency_evidence[0].text) == (
        "immediate_danger",
        "true",
    )


@pytest.mark.parametrize(
    "narrative",
    [
        "Not in immediate danger right now. The farm workers are never paid.",
        "She was locked in a room for months last year but escaped and is safe now.",
        "There are no weapons; the owner just keeps their passports and wages.",
        "She's safe tonight, staying with me, but the man who pimped her keeps calling.",
        "Hace años la tenían encerrada en una casa; ya salió de ahí.",
    ],
)
def test_past_negated_or_safe_danger_is_not_an_emergency(narrative):
    assert classify_text(narrative).urgency != "emergency"


def test_a_minor_makes_it_high():
    result = classify_text("A 16-year-old works at the restaurant for no pay.")
    assert result.urgency == "high"
    assert (result.urgency_evidence[0].source, result.urgency_evidence[0].text) == (
        "minor.status",
        "confirmed",
    )


@pytest.mark.parametrize(
    ("narrative", "urgency"),
    [
        ("The boss still keeps their passports and they work every day for no pay.", "high"),
        ("Todas las noches llegan hombres y el dueño las obliga a tener sexo con ellos.", "high"),
        ("Years ago, around 2012, I was forced to work at a carnival. I'm fine now.", "normal"),
        (
            "Mi papá trabajó hace años en un rancho donde no le pagaban. Ya se fue de ahí hace mucho.",
            "normal",
        ),
        ("How can I tell if a job offer abroad is a trafficking scam? I just want information.", "normal"),
        ("Quisiera información sobre cómo saber si una oferta de trabajo es trata.", "normal"),
    ],
)
def test_ongoing_exploitation_is_high_and_past_or_questions_are_normal(narrative, urgency):
    assert classify_text(narrative).urgency == urgency


# --- evidence spans, everywhere ---------------------------------------------------------------------------


def all_evidence(result):
    return result.minor.evidence + result.trafficking_type_evidence + result.urgency_evidence


def test_every_narrative_span_in_the_evaluation_set_points_at_its_text():
    checked = 0
    for path in sorted(EVALUATION_SET.glob("classification_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            tip = json.loads(line)["tip"]
            narrative = tip["narrative"]
            result = classify.classify_tip(build(**{k: v for k, v in tip.items() if k != "external_id"}))
            for item in all_evidence(result):
                if item.source == "narrative":
                    start, end = item.span
                    assert 0 <= start < end <= len(narrative) and narrative[start:end] == item.text
                    checked += 1
    assert checked > 1000


def test_spans_stay_right_when_accents_are_decomposed_or_letters_change_length():
    # NFD: "ñ" is "n" + U+0303, so the folded text is shorter than the original.
    narrative = unicodedata.normalize("NFD", "İstanbul. La niña tiene 14 años y su padrastro la vende.")
    result = classify_text(narrative)
    assert (result.minor.status, result.minor.min_age) == ("confirmed", 14)
    texts = spans_of(all_evidence(result), narrative)
    assert unicodedata.normalize("NFD", "tiene 14 años") in texts


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join))
def test_any_text_gives_a_valid_result(narrative):
    if not narrative.strip():
        return
    result = classify_text(narrative)
    assert result.minor.status in {"confirmed", "likely", "unknown", "adult"}
    assert (result.minor.min_age is not None) == (result.minor.status == "confirmed")
    spans_of(all_evidence(result), narrative)


def test_explicit_present_is_an_emergency_even_when_the_reporter_saw_it():
    narrative = "En este momento un hombre tiene a una muchacha en el cuarto 12; la vi entrar llorando."
    result = classify_text(narrative)
    assert result.urgency == "emergency"
    assert "En este momento" in spans_of(result.urgency_evidence, narrative)


def test_since_then_carries_a_past_date_into_the_present():
    narrative = "Le quitaron el pasaporte hace 8 años y no le pagan desde entonces."
    result = classify_text(narrative)
    assert result.urgency == "high"
    assert "desde entonces" in spans_of(result.urgency_evidence, narrative)


@pytest.mark.parametrize(
    ("narrative", "kind"),
    [
        ("Men come to the apartment and after the woman takes them to the bedroom they pay the man.", "sex"),
        ("Un señor le da dinero a su mamá a cambio de estar con la niña.", "sex"),
        ("He pays the boys to pose without clothes and sells the pictures.", "sex"),
        ("Le pagan por fotos sin ropa que luego venden.", "sex"),
        ("The agency takes most of their pay for rent and the caregivers cannot quit.", "labor"),
        ("La ponen a limpiar oficinas de noche y no le dan nada.", "labor"),
        ("Trabajan en la pizca y nunca les pagan completo.", "labor"),
    ],
)
def test_more_ways_of_saying_what_the_person_is_made_to_do(narrative, kind):
    assert classify_text(narrative).trafficking_type == kind


# --- Cues: the fast search finds what a plain scan finds ----------------------------------------------


def _plain_scan(cues: Cues, narrative: Narrative) -> list[tuple[int, int]]:
    found = [match.span() for match in cues.pattern.finditer(narrative.folded)]
    if cues.fallback is not None:
        found += [match.span() for match in cues.fallback.finditer(narrative.folded)]
        found.sort(key=lambda span: (span[0], -span[1]))
        kept, last_end = [], -1
        for span in found:
            if span[0] >= last_end:
                kept.append(span)
                last_end = max(span[1], span[0] + 1)
        found = kept
    return found


def test_cues_find_the_same_phrases_as_a_plain_scan_on_the_evaluation_set():
    for path in sorted(EVALUATION_SET.glob("classification_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            narrative = Narrative(json.loads(line)["tip"]["narrative"])
            for cues in _CUES_REGISTRY:
                assert [m.span() for m in cues.finditer(narrative)] == _plain_scan(cues, narrative)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_cues_find_the_same_phrases_as_a_plain_scan_on_any_text(text):
    narrative = Narrative(text)
    for cues in _CUES_REGISTRY:
        assert [m.span() for m in cues.finditer(narrative)] == _plain_scan(cues, narrative)
