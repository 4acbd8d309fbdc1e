"""The bad input catalogue: what the API withstands, one case a row.

Every refusal is a 4xx whose message names the field or the problem, and leaves what was stored before it
exactly as it was: the row counts of the tables a request could touch, and an existing tip as the API
returns it. Injection strings are not refused: they are stored as text, returned as sent, shown escaped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, func, select

from hotline.cases.models import Case
from hotline.core.audit.models import AuditEvent
from hotline.core.middleware import MAX_JSON_DEPTH
from hotline.decisions.models import RoutingDecision
from hotline.referrals.models import Referral
from hotline.tips import service as tip_service
from hotline.tips.models import Tip, TipPerson
from integrations.twilio.models import SmsMessage, TwilioCall
from integrations.webhooks.models import WebhookDelivery
from tests.support.factories import tip_payload
from tests.support.fake_twilio import FakeTwilio
from tests.support.twilio import make_simulator, sid, twilio_settings

TABLES = (Tip, TipPerson, Case, RoutingDecision, Referral, WebhookDelivery, AuditEvent)


def _counts(session: Session) -> dict[str, int]:
    return {model.__name__: session.exec(select(func.count()).select_from(model)).one() for model in TABLES}


@dataclass
class Stored:
    """Keys of each role and a tip, made before the bad request; `unchanged()` asserts nothing moved since."""

    keys: dict[str, dict[str, str]]
    unchanged: Callable[[], None]


@pytest.fixture
def existing(client, auth, session: Session) -> Stored:
    keys = {role: auth(role) for role in ("advocate", "supervisor", "partner", "admin")}
    response = client.post("/api/v1/tips", json=tip_payload(), headers=keys["advocate"])
    assert response.status_code == 201, response.text
    tip_id = uuid.UUID(response.json()["id"])

    def stored() -> dict[str, Any]:
        session.expire_all()
        tip = session.get(Tip, tip_id)
        return tip_service.to_tip_out(tip, case_id=response.json()["case_id"]).model_dump()

    before, tip_before = _counts(session), stored()

    def unchanged() -> None:
        assert _counts(session) == before
        assert stored() == tip_before

    return Stored(keys=keys, unchanged=unchanged)


def _fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    detail = response.json()["detail"]
    return [item["field"] for item in detail] if isinstance(detail, list) else [detail]


def _messages(response) -> str:  # type: ignore[no-untyped-def]
    detail = response.json()["detail"]
    return " ".join(item["msg"] for item in detail) if isinstance(detail, list) else detail


def _post_raw(client, path: str, content: bytes, headers: dict[str, str], content_type: str | None):  # type: ignore[no-untyped-def]
    if content_type is not None:
        headers = {**headers, "Content-Type": content_type}
    return client.post(path, content=content, headers=headers)


# Oversized bodies


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/api/v1/tips", "/api/v1/rulesets/validate"])
def test_a_body_over_256_kib_gets_a_json_413_naming_the_limit(client, existing, path, streamed):
    body = json.dumps({"narrative": "a" * (300 * 1024)}).encode()
    content = (body[i : i + 65536] for i in range(0, len(body), 65536)) if streamed else body
    headers = {**existing.keys["supervisor"], "Content-Type": "application/json"}
    response = client.post(path, content=content, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert "256 KiB" in response.json()["detail"]
    existing.unchanged()


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_web_form_over_256_kib_gets_413_and_stores_nothing(client, existing, sign_in, streamed):
    login = sign_in("advocate")
    body = f"csrf_token={login.csrf_token}&narrative={'a' * (300 * 1024)}".encode()
    content = (body[i : i + 65536] for i in range(0, len(body), 65536)) if streamed else body
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/tips/new", content=content, headers=headers, follow_redirects=False)
    assert response.status_code == 413
    assert "256 KiB" in response.text
    existing.unchanged()


# Malformed JSON: nesting, encoding, duplicate keys, NaN


def _nested(depth: int) -> Any:
    node: Any = "x"
    for _ in range(depth):
        node = {"a": node}
    return node


MALFORMED = [
    (
        "nested-objects",
        json.dumps({"narrative": "x", "location": _nested(MAX_JSON_DEPTH + 5)}),
        "nested deeper",
    ),
    ("nested-arrays", "[" * 100_000 + "]" * 100_000, "nested deeper"),
    (
        "nested-in-persons",
        '{"narrative": "x", "persons": [' + "[" * 5000 + "]" * 5000 + "]}",
        "nested deeper",
    ),
    ("invalid-utf8", b'{"narrative": "\xff\xfe hidden"}', "UTF-8"),
    ("latin-1", '{"narrative": "La se\u00f1ora vende a la ni\u00f1a"}'.encode("latin-1"), "UTF-8"),
    ("utf-16", '{"narrative": "hello"}'.encode("utf-16"), "UTF-8"),
    (
        "duplicate-top-level",
        '{"narrative": "a girl of 15", "narrative": "an adult"}',
        "'narrative' appears twice",
    ),
    (
        "duplicate-in-person",
        '{"narrative": "x", "persons": [{"role": "victim", "age": 15, "age": 25}]}',
        "'age' appears twice",
    ),
    ("nan", '{"narrative": "x", "persons": [{"age": NaN}]}', "NaN is not a JSON number"),
    ("infinity", '{"narrative": "x", "persons": [{"age": Infinity}]}', "Infinity is not a JSON number"),
    ("truncated", '{"narrative": "x", "persons": [', "not valid JSON"),
    ("not-json", "narrative=hello", "not valid JSON"),
]


@pytest.mark.parametrize(
    ("content", "words"), [(c, w) for _, c, w in MALFORMED], ids=[i for i, _, _ in MALFORMED]
)
def test_malformed_json_gets_422_naming_the_problem(client, existing, content, words):
    content = content.encode() if isinstance(content, str) else content
    response = _post_raw(client, "/api/v1/tips", content, existing.keys["advocate"], "application/json")
    assert response.status_code == 422, response.text
    assert len(_fields(response)) == 1  # the body, or where in it the problem is
    assert words in _messages(response)
    assert "hidden" not in response.text  # the body is never echoed
    existing.unchanged()


def test_duplicate_keys_are_refused_on_every_api_body(client, auth, existing):
    # The strict parse sits in front of all API handlers, not only the tip contract.
    content = b'{"content": "ruleset: a", "content": "ruleset: b"}'
    response = _post_raw(
        client, "/api/v1/rulesets/validate", content, existing.keys["supervisor"], "application/json"
    )
    assert response.status_code == 422
    assert "'content' appears twice" in _messages(response)
    existing.unchanged()


# Control characters


TEXT_FIELDS = [
    ("narrative", lambda v: {"narrative": v}),
    ("external_id", lambda v: {"external_id": v}),
    ("location.address", lambda v: {"location": {"address": v}}),
    ("location.city", lambda v: {"location": {"city": v}}),
    ("location.county", lambda v: {"location": {"county": v}}),
    ("reporter.name", lambda v: {"reporter": {"name": v}}),
    ("reporter.relationship", lambda v: {"reporter": {"relationship": v}}),
    ("persons[0].name", lambda v: {"persons": [{"role": "victim", "name": v}]}),
    ("persons[0].aliases[0]", lambda v: {"persons": [{"role": "victim", "aliases": [v]}]}),
    ("persons[0].gender", lambda v: {"persons": [{"role": "victim", "gender": v}]}),
    ("persons[0].address", lambda v: {"persons": [{"role": "victim", "address": v}]}),
]


@pytest.mark.parametrize(("field", "build"), TEXT_FIELDS, ids=[f for f, _ in TEXT_FIELDS])
def test_nul_in_any_text_field_of_a_tip_gets_422_naming_it(client, existing, field, build):
    payload = {"narrative": "A 15-year-old is sold at a motel.", **build("Ana \x00 Ruiz")}
    response = client.post("/api/v1/tips", json=payload, headers=existing.keys["advocate"])
    assert response.status_code == 422, response.text
    assert field in _fields(response)
    assert "NUL" in _messages(response)
    existing.unchanged()


@pytest.mark.parametrize(
    "character", ["\x07", "\x1b", "\x7f", "\x0b"], ids=["bell", "escape", "delete", "vtab"]
)
def test_other_control_characters_in_a_tip_get_422_naming_the_field(client, existing, character):
    payload = {"narrative": f"A girl of 15 {character} is sold.", "persons": [{"name": f"Ana{character}"}]}
    response = client.post("/api/v1/tips", json=payload, headers=existing.keys["advocate"])
    assert response.status_code == 422, response.text
    assert {"narrative", "persons[0].name"} <= set(_fields(response))
    assert "control characters" in _messages(response)
    existing.unchanged()


NUL_ELSEWHERE = [
    ("/api/v1/rulesets/validate", {"content": "ruleset: x\x00"}, "content"),
    (
        "/api/v1/match-reviews/00000000-0000-0000-0000-000000000000/reject",
        {"reason": "dup\x00licate"},
        "reason",
    ),
    (
        "/api/v1/decisions/00000000-0000-0000-0000-000000000000/override",
        {"targets": [{"agency_id": "le-tx\x00"}], "reason": "wrong agency"},
        "targets[0].agency_id",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), NUL_ELSEWHERE, ids=[f for _, _, f in NUL_ELSEWHERE])
def test_nul_in_any_api_body_gets_422_before_the_database_sees_it(client, existing, path, body, field):
    # PostgreSQL cannot store NUL in text: refused up front, never a 500 from the database.
    response = client.post(path, json=body, headers=existing.keys["supervisor"])
    assert response.status_code == 422, response.text
    assert _fields(response) == [field]
    existing.unchanged()


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/v1/agencies/cps%00tx", "advocate"),
        ("/api/v1/cases?state=T%00X", "advocate"),
        ("/api/v1/cases?cursor=%00", "advocate"),
        ("/api/v1/decisions?agency_id=le%00tx", "supervisor"),
        ("/api/v1/referrals?status=%00", "partner"),
        ("/api/v1/delivery/referrals?agency_id=%00", "supervisor"),
    ],
)
def test_nul_in_a_url_gets_a_4xx_not_a_database_error(client, existing, path, role):
    response = client.get(path, headers=existing.keys[role])
    assert 400 <= response.status_code < 500, response.text
    existing.unchanged()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/signin", {"username": "admin\x00", "password": "x"}),
        ("/account/password", {"current_password": "x", "new_password": "y\x00"}),
        ("/review/00000000-0000-0000-0000-000000000000/reject", {"reason": "not the same girl\x00"}),
    ],
)
def test_nul_in_a_web_form_gets_400_not_a_database_error(client, existing, sign_in, path, data):
    login = sign_in("supervisor")
    response = client.post(path, data={**data, "csrf_token": login.csrf_token}, follow_redirects=False)
    assert response.status_code == 400, response.text
    assert "NUL" in response.text
    existing.unchanged()


def test_nul_in_the_tip_form_is_answered_by_the_form_with_what_was_typed(client, existing, sign_in):
    login = sign_in("advocate")
    data = {
        "csrf_token": login.csrf_token,
        "narrative": "A girl of 15 \x00 is sold.",
        "persons[0].name": "Ana",
    }
    response = client.post("/tips/new", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert "NUL" in response.text or "control characters" in response.text
    assert 'value="Ana"' in response.text
    existing.unchanged()


# SQL and HTML/script injection: stored as text, returned as sent, rendered escaped

INJECTIONS = [
    "Robert'); DROP TABLE tip;--",
    "' OR '1'='1' --",
    '"; DELETE FROM case_file WHERE "1"="1',
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "{{ 7*7 }} ${7*7} %(name)s",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_strings_in_every_text_field_are_stored_and_returned_verbatim(client, auth, session, value):
    headers = auth()
    payload = tip_payload(
        external_id=value,
        narrative=f"A 15-year-old is sold at a motel. {value}",
        location={"address": value, "city": value, "county": value, "state": "TX"},
        reporter={"name": value, "relationship": value},
        persons=[
            {
                "role": "victim",
                "age": 15,
                "name": value,
                "aliases": [value],
                "gender": value,
                "address": value,
            }
        ],
    )
    tips_before = session.exec(select(func.count()).select_from(Tip)).one()
    response = client.post("/api/v1/tips", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    stored = client.get(f"/api/v1/tips/{response.json()['id']}", headers=headers).json()
    assert stored["external_id"] == value
    assert stored["narrative"].endswith(value)
    assert {stored["location"][key] for key in ("address", "city", "county")} == {value}
    assert stored["reporter"]["name"] == stored["reporter"]["relationship"] == value
    person = stored["persons"][0]
    assert person["name"] == person["gender"] == person["address"] == value
    assert person["aliases"] == [value]
    # Every table is still there and holds what it should: one tip more, nothing dropped or deleted.
    assert session.exec(select(func.count()).select_from(Tip)).one() == tips_before + 1
    assert session.exec(select(func.count()).select_from(Case)).one() >= 1


def test_script_in_a_tip_is_shown_escaped_on_its_web_page(client, auth, sign_in):
    script = "<script>alert('x')</script>"
    payload = tip_payload(
        narrative=f"A 15-year-old is sold at a motel. {script}",
        location={"city": script, "state": "TX"},
        reporter={"name": script},
        persons=[{"role": "victim", "age": 15, "name": script, "aliases": [script]}],
    )
    tip_id = client.post("/api/v1/tips", json=payload, headers=auth()).json()["id"]
    sign_in("supervisor")
    page = client.get(f"/tips/{tip_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert page.text.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 4


# Huge lists

HUGE = [
    ("persons-51", {"narrative": "x", "persons": [{"role": "victim"}] * 51}, "persons", "50"),
    ("persons-10000", {"narrative": "x", "persons": [{}] * 10_000}, "persons", "50"),
    ("aliases-21", {"persons": [{"name": "Ana", "aliases": ["a"] * 21}]}, "persons[0].aliases", "20"),
    ("override-targets-51", None, "targets", "50"),
]


@pytest.mark.parametrize(("payload", "field", "limit"), [h[1:] for h in HUGE], ids=[h[0] for h in HUGE])
def test_lists_over_their_limit_get_422_naming_the_limit(client, existing, payload, field, limit):
    if payload is None:
        path, role = "/api/v1/decisions/00000000-0000-0000-0000-000000000000/override", "supervisor"
        payload = {"targets": [{"agency_id": f"a{i}"} for i in range(51)], "reason": "a long list"}
    else:
        path, role = "/api/v1/tips", "advocate"
    response = client.post(path, json=payload, headers=existing.keys[role])
    assert response.status_code == 422, response.text
    assert field in _fields(response)
    assert limit in _messages(response)
    existing.unchanged()


# Dates far in the past or the future, and values of the wrong type

DATES = [
    ("received-year-1", {"received_at": "0001-01-01T00:00:00Z"}, "received_at", "1990"),
    ("received-1989", {"received_at": "1989-12-31T23:59:59Z"}, "received_at", "1990"),
    ("received-year-9999", {"received_at": "9999-12-31T23:59:59Z"}, "received_at", "future"),
    ("received-year-10000", {"received_at": "10000-01-01T00:00:00Z"}, "received_at", "datetime"),
    ("received-number", {"received_at": 0}, "received_at", "not a number"),
    ("received-huge-number", {"received_at": 1e20}, "received_at", "not a number"),
    ("dob-1899", {"persons": [{"dob": "1899-12-31"}]}, "persons[0].dob", "1900"),
    ("dob-9999", {"persons": [{"dob": "9999-12-31"}]}, "persons[0].dob", "future"),
    ("dob-year-0", {"persons": [{"dob": "0000-01-01"}]}, "persons[0].dob", "date"),
    ("dob-number", {"persons": [{"dob": 0}]}, "persons[0].dob", "not a number"),
]


@pytest.mark.parametrize(("fields", "field", "words"), [d[1:] for d in DATES], ids=[d[0] for d in DATES])
def test_dates_far_in_the_past_or_future_get_422_naming_the_field(
    client, auth, existing, fields, field, words
):
    response = client.post(
        "/api/v1/tips",
        json={"narrative": "A girl of 15 is sold.", **fields},
        headers=existing.keys["advocate"],
    )
    assert response.status_code == 422, response.text
    assert field in _fields(response)
    assert words.lower() in _messages(response).lower()
    existing.unchanged()


WRONG_TYPES = [
    ("age-true", "/api/v1/tips", {"persons": [{"age": True}]}, "persons[0].age"),
    ("age-text", "/api/v1/tips", {"persons": [{"age": "15"}]}, "persons[0].age"),
    ("age-fraction", "/api/v1/tips", {"persons": [{"age": 15.5}]}, "persons[0].age"),
    ("danger-yes", "/api/v1/tips", {"narrative": "x", "immediate_danger": "yes"}, "immediate_danger"),
    ("anonymous-1", "/api/v1/tips", {"narrative": "x", "reporter": {"anonymous": 1}}, "reporter.anonymous"),
    ("narrative-number", "/api/v1/tips", {"narrative": 15}, "narrative"),
    ("persons-object", "/api/v1/tips", {"persons": {"role": "victim"}}, "persons"),
    ("simulate-days-true", "/api/v1/rulesets/simulate", {"content": "x", "since_days": True}, "since_days"),
]


@pytest.mark.parametrize(
    ("path", "body", "field"), [w[1:] for w in WRONG_TYPES], ids=[w[0] for w in WRONG_TYPES]
)
def test_values_of_the_wrong_type_are_refused_not_coerced(client, existing, path, body, field):
    role = "advocate" if path == "/api/v1/tips" else "supervisor"
    response = client.post(path, json=body, headers=existing.keys[role])
    assert response.status_code == 422, response.text
    assert field in _fields(response)
    existing.unchanged()


# Wrong content types

CONTENT_TYPES = [
    ("text-plain", "text/plain"),
    ("form", "application/x-www-form-urlencoded"),
    ("multipart", "multipart/form-data; boundary=x"),
    ("xml", "application/xml"),
    ("none", None),
]


@pytest.mark.parametrize("content_type", [c for _, c in CONTENT_TYPES], ids=[i for i, _ in CONTENT_TYPES])
def test_a_body_that_is_not_declared_json_gets_415_naming_the_type_expected(
    client, auth, existing, content_type
):
    content = json.dumps(tip_payload()).encode()
    response = _post_raw(client, "/api/v1/tips", content, existing.keys["advocate"], content_type)
    assert response.status_code == 415, response.text
    assert "application/json" in response.json()["detail"]
    existing.unchanged()


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_media_types_with_parameters_or_suffixes_are_accepted(client, auth, content_type):
    response = _post_raw(client, "/api/v1/tips", json.dumps(tip_payload()).encode(), auth(), content_type)
    assert response.status_code == 201, response.text


# Twilio callbacks, properly signed but missing what Twilio always sends


@pytest.fixture
def twilio(committed_db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="twilio-test-auth-token").start()
    simulator = make_simulator(committed_db, twilio_settings(committed_db, fake))
    try:
        with simulator.client:
            yield simulator
    finally:
        fake.stop()


CALLBACKS = [
    ("voice-no-callsid", "/twilio/voice", {"From": "+15125550123", "To": "+15125550100"}, "CallSid"),
    ("language-no-callsid", "/twilio/voice/language", {"Digits": "1"}, "CallSid"),
    (
        "recorded-no-callsid",
        "/twilio/voice/recorded",
        {"RecordingUrl": "https://api.twilio.com/r"},
        "CallSid",
    ),
    ("status-no-callsid", "/twilio/voice/status", {"CallStatus": "completed"}, "CallSid"),
    ("sms-no-messagesid", "/twilio/sms", {"From": "+15125550123", "Body": "help, she is 14"}, "MessageSid"),
    ("sms-status-no-messagesid", "/twilio/sms/status", {"MessageStatus": "delivered"}, "MessageSid"),
]


@pytest.mark.parametrize(
    ("path", "params", "field"), [c[1:] for c in CALLBACKS], ids=[c[0] for c in CALLBACKS]
)
def test_signed_twilio_callbacks_missing_a_field_get_4xx_and_create_nothing(twilio, path, params, field):
    params = {key: (sid(value) if value in ("SM", "CA") else value) for key, value in params.items()}
    before = {model: twilio.count(model) for model in (Tip, TwilioCall, SmsMessage, Case)}
    response = twilio.post(path, params)
    assert 400 <= response.status_code < 500, response.text
    assert field in json.dumps(response.json())
    assert {model: twilio.count(model) for model in before} == before


def test_a_signed_text_without_a_sender_is_still_kept_as_a_tip(twilio):
    # Twilio always sends From; if it ever did not, the text is stored (from "unknown") rather than lost.
    before = twilio.count(Tip)
    params = {
        "MessageSid": sid("SM"),
        "To": "+15125550100",
        "Body": "she is 14 and a man sells her at a motel",
    }
    response = twilio.post("/twilio/sms", params)
    assert response.status_code == 200, response.text
    assert twilio.count(Tip) == before + 1
