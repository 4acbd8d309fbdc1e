"""Logs are JSON lines with a request id, and never carry victims' data."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from hotline.core.logs import configure_logging, mask_text, scrub_sensitive_data
from tests.support.factories import tip_payload

DISTINCTIVE = {
    "victim_name": "Zephyrine Okonkwo-Baptiste",
    "alias": "Zephy",
    "suspect_name": "Bartholomew Quackenbush",
    "reporter_name": "Philippa Threadgold",
    "phone": "(602) 555-0163",
    "phone_digits": "6025550163",
    "email": "philippa.threadgold@example.org",
    "address": "4471 Saguaro Blossom Lane",
    "narrative_words": "marmalade lighthouse perihelion",
}


@pytest.fixture
def captured_logs(settings):
    stream = io.StringIO()
    configure_logging(level="DEBUG", json_lines=True, stream=stream)
    yield stream
    configure_logging(level=settings.log_level, json_lines=True)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_no_victim_data_reaches_the_logs_whatever_happens_to_the_tip(client, auth, captured_logs, app):
    tip = tip_payload(
        narrative=f"She said {DISTINCTIVE['narrative_words']} and that he calls {DISTINCTIVE['phone']}.",
        location={"address": DISTINCTIVE["address"], "city": "Phoenix", "state": "AZ"},
        reporter={
            "name": DISTINCTIVE["reporter_name"],
            "email": DISTINCTIVE["email"],
            "phone": DISTINCTIVE["phone"],
        },
        persons=[
            {
                "role": "victim",
                "name": DISTINCTIVE["victim_name"],
                "aliases": [DISTINCTIVE["alias"]],
                "age": 16,
            },
            {"role": "suspect", "name": DISTINCTIVE["suspect_name"], "phone": DISTINCTIVE["phone_digits"]},
        ],
    )
    headers = auth()
    created = client.post("/api/v1/tips", json=tip, headers=headers)
    assert created.status_code == 201
    client.get(f"/api/v1/tips/{created.json()['id']}", headers=headers)
    client.post("/api/v1/tips", json=tip, headers=headers)  # idempotent replay
    rejected = {**tip, "external_id": "other", "persons": [{**tip["persons"][0], "age": 999}]}
    assert client.post("/api/v1/tips", json=rejected, headers=headers).status_code == 422

    # Code that logs carelessly (an exception quoting its input, a key named like the data) is scrubbed too.
    log = structlog.get_logger("careless")
    log.info("tip_received", narrative=tip["narrative"], reporter=tip["reporter"], persons=tip["persons"])
    log.warning(f"lookup failed for {DISTINCTIVE['phone']}", detail={"email": DISTINCTIVE["email"]})
    try:
        raise ValueError(f"cannot parse {DISTINCTIVE['phone_digits']} or {DISTINCTIVE['email']}")
    except ValueError:
        log.exception("parse_failed")
    logging.getLogger("third.party").error("call from %s", DISTINCTIVE["phone"])

    text = captured_logs.getvalue()
    assert text.strip(), "nothing was logged: the test would prove nothing"
    for label, value in DISTINCTIVE.items():
        for fragment in value.split():
            if len(fragment) > 4:
                assert fragment not in text, f"{label} leaked into the logs: {fragment}"


def test_every_request_line_is_json_with_a_request_id_echoed_to_the_client(client, auth, captured_logs):
    response = client.get("/api/v1/cases", headers={**auth(), "X-Request-ID": "trace-abc-123"})
    generated = client.get("/healthz")
    lines = [line for line in _lines(captured_logs) if line.get("event") == "request"]
    assert [line["request_id"] for line in lines] == ["trace-abc-123", generated.headers["x-request-id"]]
    assert response.headers["x-request-id"] == "trace-abc-123"
    assert lines[0]["route"] == "/api/v1/cases" and lines[0]["status"] == 200
    assert all(
        line["request_id"] for line in _lines(captured_logs) if line.get("logger", "").startswith("hotline")
    )


def test_an_unsafe_request_id_is_replaced():
    # A request id is echoed into logs and headers: nothing but a short token is accepted.
    from hotline.core.middleware import _SAFE_REQUEST_ID

    assert _SAFE_REQUEST_ID.match("abc-123_x.y")
    assert not _SAFE_REQUEST_ID.match("bad id\nwith newline")
    assert not _SAFE_REQUEST_ID.match("x" * 65)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 713-555-0101 now", "call [redacted-phone] now"),
        ("(713) 555 0101", "[redacted-phone]"),
        ("+1 713.555.0101", "[redacted-phone]"),
        ("whatsapp +525512345678", "whatsapp [redacted-phone]"),
        ("write to a.b@example.org", "write to [redacted-email]"),
    ],
)
def test_phones_and_emails_are_masked_in_free_text(text, expected):
    assert mask_text(text) == expected


def test_ids_and_counts_survive_the_scrubbing():
    event = scrub_sensitive_data(
        None,
        "info",
        {"event": "x", "tip_id": "6f1c2e9a-1234-4a5b-9c0d-123456789012", "count": 15, "duration_ms": 12.5},
    )
    assert event["tip_id"] == "6f1c2e9a-1234-4a5b-9c0d-123456789012"
    assert event["count"] == 15 and event["duration_ms"] == 12.5
