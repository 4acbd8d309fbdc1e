"""Phone numbers, keywords and language, as Twilio sends them."""

from __future__ import annotations

import pytest

from integrations.twilio import service as twilio_service


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+15125550142", "+15125550142"),
        ("(512) 555-0142", "+15125550142"),
        ("512.555.0142", "+15125550142"),
        ("+52 55 1234 5678", "+525512345678"),
        ("+266696687", None),  # Twilio's "anonymous" caller id
        ("Restricted", None),
        ("", None),
        (None, None),
        ("not a number", None),
    ],
)
def test_numbers_are_normalised_to_e164_and_withheld_ones_are_none(raw, e164):
    assert twilio_service.normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        *[
            (word, "opt_out")
            for word in ("STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "OPTOUT")
        ],
        *[(word, "opt_in") for word in ("START", "unstop", "Yes")],
        *[(word, "help") for word in ("HELP", "info")],
        ("  Stop.  ", "opt_out"),
        ("STOP please", None),  # only a message that is the keyword alone counts (Twilio's rule)
        ("please stop texting me", None),
        ("end of the street", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_lone_keyword_is_a_keyword(body, keyword):
    assert twilio_service.keyword_of(body, None) == keyword


def test_twilios_opt_out_type_takes_precedence():
    assert twilio_service.keyword_of("ALTO", "STOP") == "opt_out"
    assert twilio_service.keyword_of("COMENZAR", "start") == "opt_in"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, necesito ayuda por favor", "es"),
        ("mi patrón no me paga y tiene mi pasaporte", "es"),
        ("hay una niña en el motel", "es"),
        ("my boss took my passport", "en"),
        ("There's a girl at the motel", "en"),
        ("Dallas", "en"),  # too short to tell: English
        ("15", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_spanish_is_detected_only_when_it_is_clear(text, language):
    assert twilio_service.detect_language(text) == language


def test_texts_lose_control_characters_the_tip_contract_refuses():
    assert twilio_service.clean_text("a\x00b\x0bc\n\td ") == "abc\n\td"
    assert twilio_service.clean_text("  \x07 ") is None
