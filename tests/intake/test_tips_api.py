"""POST and GET /api/v1/tips: storage, idempotency, triage on the response, and validation."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import select

from hotline.cases.models import Case, CaseTip
from hotline.tips.models import Tip, TipPerson
from tests.support.factories import tip_payload


def test_a_submitted_tip_is_stored_with_its_persons_and_opens_a_case(client, auth, session):
    headers = auth("advocate")
    payload = tip_payload(external_id="crm-1001")
    response = client.post("/api/v1/tips", json=payload, headers=headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["external_id"] == "crm-1001"
    assert body["location"]["state"] == "TX"
    assert [person["name"] for person in body["persons"]] == [person["name"] for person in payload["persons"]]
    assert body["status"] == "triaged"
    assert body["case_id"] is not None
    assert response.headers["location"] == f"/api/v1/tips/{body['id']}"

    tip = session.get(Tip, uuid.UUID(body["id"]))
    assert tip is not None and tip.channel == "api"
    assert tip.received_at.utcoffset().total_seconds() == 0
    assert tip.received_at.isoformat() == "2026-11-20T21:30:00+00:00"
    persons = session.exec(
        select(TipPerson).where(TipPerson.tip_id == tip.id).order_by(TipPerson.position)
    ).all()
    assert [(p.role, p.age, p.age_min) for p in persons] == [("victim", 15, None), ("suspect", None, 30)]
    link = session.exec(select(CaseTip).where(CaseTip.tip_id == tip.id)).one()
    assert str(link.case_id) == body["case_id"] and link.action == "new"


def test_the_triage_result_has_the_design_shape(client, auth):
    body = client.post("/api/v1/tips", json=tip_payload(), headers=auth()).json()
    triage = body["triage"]
    assert triage["tip_id"] == body["id"]
    assert triage["case"]["id"] == body["case_id"] and triage["case"]["action"] == "new"
    assert triage["minor"]["status"] == "confirmed" and triage["minor"]["min_age"] == 15
    assert triage["minor"]["evidence"][0]["source"] == "persons[0].age"
    assert triage["urgency"] == "high"
    assert triage["jurisdiction"] == {"state": "TX", "county": "Harris", "source": "state"}


def test_the_same_external_id_returns_the_stored_tip_with_200_and_stores_nothing_new(client, auth, session):
    headers = auth()
    payload = tip_payload(external_id="crm-dup-1")
    first = client.post("/api/v1/tips", json=payload, headers=headers)
    changed = {**payload, "narrative": "a different text for the same id"}
    second = client.post("/api/v1/tips", json=changed, headers=headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["narrative"] == payload["narrative"]
    assert len(session.exec(select(Tip).where(Tip.external_id == "crm-dup-1")).all()) == 1
    assert len(session.exec(select(Case)).all()) == 1


def test_external_ids_are_unique_per_channel_not_globally(client, auth):
    headers = auth()
    sms = client.post("/api/v1/tips", json=tip_payload(external_id="X-1", channel="sms"), headers=headers)
    web = client.post("/api/v1/tips", json=tip_payload(external_id="X-1", channel="web"), headers=headers)
    assert (sms.status_code, web.status_code) == (201, 201)
    assert sms.json()["id"] != web.json()["id"]


def test_a_partial_tip_with_only_a_narrative_is_accepted(client, auth):
    response = client.post(
        "/api/v1/tips", json={"narrative": "Girl seen with older man at bus station"}, headers=auth()
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "api" and body["location"]["country"] == "US" and body["persons"] == []
    assert body["triage"]["jurisdiction"]["source"] == "unknown"


def test_get_returns_the_stored_tip_and_404_for_an_unknown_id(client, auth):
    headers = auth()
    created = client.post("/api/v1/tips", json=tip_payload(), headers=headers).json()
    fetched = client.get(f"/api/v1/tips/{created['id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.json() == created
    missing = client.get("/api/v1/tips/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404
    assert client.get("/api/v1/tips/not-a-uuid", headers=headers).status_code == 422


def _fields(response) -> set[str]:
    return {error["field"] for error in response.json()["detail"]}


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (tip_payload(colour="red"), "colour", "extra"),
        (tip_payload(persons=[{"role": "victim", "shoe_size": 7}]), "persons[0].shoe_size", "extra"),
        (tip_payload(received_at="yesterday"), "received_at", "datetime"),
        (tip_payload(received_at="2026-11-20T10:00:00"), "received_at", "timezone"),
        (tip_payload(received_at="2999-01-01T00:00:00Z"), "received_at", "future"),
        (tip_payload(persons=[{"role": "victim", "age": 121}]), "persons[0].age", "120"),
        (tip_payload(persons=[{"role": "victim", "age": -1}]), "persons[0].age", "0"),
        (tip_payload(persons=[{"role": "victim", "dob": "2010-02-30"}]), "persons[0].dob", "date"),
        (tip_payload(persons=[{"role": "victim", "dob": "2999-01-01"}]), "persons[0].dob", "future"),
        (tip_payload(persons=[{"role": "victim", "age_min": 20, "age_max": 15}]), "persons[0]", "age_min"),
        (tip_payload(persons=[{"role": "boss"}]), "persons[0].role", "victim"),
        (tip_payload(location={"state": "Texs"}), "location.state", "Texas"),
        (tip_payload(location={"state": "TX", "zip": "7700"}), "location.zip", "5 digits"),
        (tip_payload(location={"country": "Atlantis"}), "location.country", "ISO 3166"),
        (tip_payload(channel="pigeon"), "channel", "phone"),
        (tip_payload(trafficking_type="organs"), "trafficking_type", "labor"),
        (tip_payload(narrative="x" * 20_001), "narrative", "20000"),
        (tip_payload(narrative="bad \x00 byte"), "narrative", "NUL"),
        (tip_payload(reporter={"name": "Ana\tRuiz"}), "reporter.name", "control"),
        (tip_payload(reporter={"email": "not-an-email"}), "reporter.email", "email"),
        (tip_payload(language="english please"), "language", "BCP 47"),
        (tip_payload(narrative=None, persons=[]), "body", "narrative or at least one person"),
        (tip_payload(persons=[{"role": "victim"}] * 51), "persons", "50"),
    ],
)
def test_bad_input_gets_422_naming_the_field_and_why(client, auth, session, payload, field, words):
    response = client.post("/api/v1/tips", json=payload, headers=auth())
    assert response.status_code == 422, response.text
    assert field in _fields(response), response.json()
    messages = " ".join(error["msg"] for error in response.json()["detail"])
    assert words.lower() in messages.lower(), messages
    assert session.exec(select(Tip)).all() == []


def test_validation_errors_never_echo_the_submitted_values(client, auth):
    payload = tip_payload(persons=[{"role": "victim", "name": "Zyxwanda Quillfeather", "age": 400}])
    response = client.post("/api/v1/tips", json=payload, headers=auth())
    assert response.status_code == 422
    assert "Zyxwanda" not in response.text


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_256_kib_gets_413_naming_the_limit(client, auth, session, streamed):
    body = json.dumps(tip_payload(narrative="a" * (300 * 1024))).encode()
    content = (body[i : i + 65536] for i in range(0, len(body), 65536)) if streamed else body
    response = client.post(
        "/api/v1/tips", content=content, headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "256 KiB" in response.json()["detail"]
    assert session.exec(select(Tip)).all() == []


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"narrative": "\xff\xfe"}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"narrative=hello", "application/x-www-form-urlencoded"),
        (b'["a list"]', "application/json"),
    ],
)
def test_unreadable_bodies_get_a_4xx_not_a_500(client, auth, content, content_type):
    response = client.post("/api/v1/tips", content=content, headers={**auth(), "Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
