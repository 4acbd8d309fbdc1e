"""GET /api/v1/cases and /api/v1/cases/{id}: filters, pagination and the tips of a case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hotline.cases.models import Case
from tests.support.factories import tip_payload


def _submit(client, headers, **overrides):
    response = client.post("/api/v1/tips", json=tip_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_case_is_returned_with_its_tips(client, auth):
    headers = auth()
    tip = _submit(client, headers)
    response = client.get(f"/api/v1/cases/{tip['case_id']}", headers=headers)
    assert response.status_code == 200
    case = response.json()
    assert case["status"] == "open"
    assert case["jurisdiction"] == {"state": "TX", "county": "Harris"}
    assert case["minor_status"] == "confirmed" and case["urgency"] == "high"
    assert case["tip_count"] == 1
    assert [t["id"] for t in case["tips"]] == [tip["id"]]
    assert client.get(f"/api/v1/cases/{uuid.uuid4()}", headers=headers).status_code == 404


def test_cases_filter_by_state_and_status(client, auth, session):
    headers = auth()
    texas = _submit(client, headers, location={"state": "TX"})
    ohio = _submit(client, headers, location={"state": "Ohio"})
    closed = session.get(Case, uuid.UUID(ohio["case_id"]))
    closed.status = "closed"
    session.commit()

    by_state = client.get("/api/v1/cases", params={"state": "tx"}, headers=headers).json()
    assert [case["id"] for case in by_state["items"]] == [texas["case_id"]]
    by_status = client.get("/api/v1/cases", params={"status": "closed"}, headers=headers).json()
    assert [case["id"] for case in by_status["items"]] == [ohio["case_id"]]
    assert client.get("/api/v1/cases", params={"state": "Narnia"}, headers=headers).status_code == 422
    assert client.get("/api/v1/cases", params={"status": "lost"}, headers=headers).status_code == 422


def test_cases_filter_by_creation_date_range(client, auth, session):
    headers = auth()
    old, new = _submit(client, headers), _submit(client, headers)
    old_case = session.get(Case, uuid.UUID(old["case_id"]))
    old_case.created_at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    session.commit()
    today = datetime.now(UTC).date()

    january = client.get(
        "/api/v1/cases", params={"created_from": "2026-01-01", "created_to": "2026-01-31"}, headers=headers
    ).json()
    assert [case["id"] for case in january["items"]] == [old["case_id"]]
    recent = client.get(
        "/api/v1/cases", params={"created_from": (today - timedelta(days=1)).isoformat()}, headers=headers
    ).json()
    assert [case["id"] for case in recent["items"]] == [new["case_id"]]
    backwards = client.get(
        "/api/v1/cases", params={"created_from": "2026-02-01", "created_to": "2026-01-01"}, headers=headers
    )
    assert backwards.status_code == 422


def test_cursor_pagination_walks_every_case_once_newest_first(client, auth):
    headers = auth()
    case_ids = [_submit(client, headers)["case_id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/cases", params=params, headers=headers).json()
        assert len(page["items"]) <= 3
        seen += [case["id"] for case in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(case_ids)
    assert len(seen) == len(set(seen))
    created = [case["created_at"] for case in client.get("/api/v1/cases", headers=headers).json()["items"]]
    assert created == sorted(created, reverse=True)


def test_a_forged_cursor_gets_422(client, auth):
    response = client.get("/api/v1/cases", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=auth())
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]
