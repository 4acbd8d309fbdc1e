"""Dedup through the real pipeline and the supervisors' API: link, review, confirm, reject, merge, move."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import select

from hotline.cases.models import Case, CaseTip
from hotline.core.audit import service as audit_service
from hotline.core.config import get_settings
from hotline.matching import service as matching_service
from hotline.matching.models import MatchDecision, MatchKey, MatchReview
from tests.support.factories import tip_payload
from tests.support.matching import SAME_VICTIM, VICTIM, about


def submit(client, headers, **fields):
    response = client.post("/api/v1/tips", json=tip_payload(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_second_report_spelt_differently_joins_the_first_case_and_says_why(client, auth, session):
    headers = auth()
    first = submit(client, headers, **about(VICTIM))
    second = submit(client, headers, **about(SAME_VICTIM))

    match = second["triage"]["case"]
    assert second["case_id"] == first["case_id"] == match["id"]
    assert match["action"] == "linked" and match["score"] >= get_settings().match_link_threshold
    best = match["candidates"][0]
    assert best["case_id"] == first["case_id"]
    assert best["fields"]["given_name"] == 1.0 and best["fields"]["birth_year"] == 1.0
    assert best["weights"]["name"] > 0
    link = session.exec(select(CaseTip).where(CaseTip.tip_id == uuid.UUID(second["id"]))).one()
    assert link.action == "linked" and link.score == match["score"]
    events = audit_service.events_for(session, subject_type="case", subject_id=first["case_id"])
    assert "case.tip_linked" in [event.action for event in events]


def test_a_different_child_opens_a_new_case(client, auth):
    headers = auth()
    first = submit(client, headers, **about(VICTIM))
    sister = {"role": "victim", "name": "Ximena Orozco Ibarra", "age": 9, "gender": "female"}
    second = submit(client, headers, **about(sister))
    assert second["case_id"] != first["case_id"]
    assert second["triage"]["case"]["action"] == "new"


def test_the_index_holds_only_keyed_hashes_written_with_the_case(client, auth, session):
    first = submit(client, auth(), **about({**VICTIM, "phone": "(713) 555-0142"}))
    keys = session.exec(select(MatchKey).where(MatchKey.case_id == uuid.UUID(first["case_id"]))).all()
    assert len(keys) >= 5
    assert all(isinstance(key.key_hash, int) for key in keys)
    raw = session.execute(sa.text("SELECT * FROM match_key")).all()
    text = " ".join(str(value) for row in raw for value in row).lower()
    assert "orozco" not in text and "5550142" not in text


def test_a_candidate_lookup_reads_the_key_index_not_the_cases(session):
    """The lookup is one bounded index range per key: the plan names the key index and scans no table."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        explain = sa.text("EXPLAIN " + matching_service._PG_CANDIDATES.text)
        plan = " ".join(
            row[0] for row in session.execute(explain, {"hashes": [1, 2, 3], "per_key": 51}).all()
        )
        assert "Index" in plan and "on pk_match_key" in plan, plan
        assert "Seq Scan on match_key" not in plan and "case_file" not in plan, plan
    else:
        rows = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + matching_service._SQLITE_CANDIDATES, (1, 51)
        ).all()
        plan = " ".join(str(row[-1]) for row in rows)
        assert "SEARCH match_key USING COVERING INDEX" in plan or "USING PRIMARY KEY" in plan, plan


def test_a_key_shared_by_too_many_cases_finds_none_of_them(client, auth, session, monkeypatch):
    headers = auth()
    cases = [
        uuid.UUID(submit(client, headers, **about({"role": "victim", "name": name, "age": age}))["case_id"])
        for name, age in (("Keisha Pruitt", 8), ("Destiny Whitaker", 16), ("Harper Nakamura", 11))
    ]
    # One key filed by all three (a shelter's phone, say): too common to tell them apart.
    common = matching_service.blocking.BlockingKey(kind="phone", hash=987654321)
    for case_id in cases:
        matching_service.file_keys(session, case_id=case_id, keys=[common])
    monkeypatch.setenv("HOTLINE_MATCH_MAX_CASES_PER_KEY", "2")
    get_settings.cache_clear()
    try:
        found, skipped = matching_service._candidate_case_ids(session, [common], settings=get_settings())
        assert found == {} and skipped == 1
        monkeypatch.setenv("HOTLINE_MATCH_MAX_CASES_PER_KEY", "3")
        get_settings.cache_clear()
        found, skipped = matching_service._candidate_case_ids(session, [common], settings=get_settings())
        assert set(found) == set(cases) and skipped == 0
    finally:
        get_settings.cache_clear()


def test_a_closed_case_is_reopened_by_a_new_report(client, auth, session):
    headers = auth()
    first = submit(client, headers, **about(VICTIM))
    case = session.get(Case, uuid.UUID(first["case_id"]))
    case.status = "closed"
    session.commit()
    second = submit(client, headers, **about(SAME_VICTIM))
    assert second["case_id"] == first["case_id"]
    session.refresh(case)
    assert case.status == "open"


def test_the_case_takes_the_most_protective_reading_of_its_tips(client, auth, session):
    headers = auth()
    adult_report = {**VICTIM, "age": None, "age_min": 18, "age_max": 19}
    first = submit(client, headers, **about(adult_report, immediate_danger=False))
    assert first["triage"]["minor"]["status"] == "adult"
    second = submit(client, headers, **about({**VICTIM}, immediate_danger=True))
    assert second["case_id"] == first["case_id"]
    case = session.get(Case, uuid.UUID(first["case_id"]))
    assert (case.minor_status, case.urgency) == ("confirmed", "emergency")


# The review queue


def test_a_close_but_unsure_match_waits_for_a_supervisor_who_confirms_it(client, auth, session, thresholds):
    thresholds(link=1.0, review=0.3)
    headers, supervisor = auth(), auth("supervisor")
    first = submit(client, headers, **about(VICTIM))
    second = submit(client, headers, **about(SAME_VICTIM))
    assert second["triage"]["case"]["action"] == "review"
    assert second["case_id"] != first["case_id"]  # the tip keeps its own case until decided

    queue = client.get("/api/v1/match-reviews", headers=supervisor).json()
    [review] = queue["items"]
    assert review["tip_id"] == second["id"] and review["case_id"] == second["case_id"]
    assert review["candidates"][0]["case_id"] == first["case_id"]
    assert review["candidates"][0]["fields"] and review["candidates"][0]["weights"]
    assert client.get(f"/api/v1/match-reviews/{review['id']}", headers=supervisor).json() == review

    missing_reason = client.post(f"/api/v1/match-reviews/{review['id']}/confirm", json={}, headers=supervisor)
    assert missing_reason.status_code == 422 and missing_reason.json()["detail"][0]["field"] == "reason"
    decided = client.post(
        f"/api/v1/match-reviews/{review['id']}/confirm",
        json={"reason": "same girl: nickname Lupe, same date of birth"},
        headers=supervisor,
    )
    assert decided.status_code == 200, decided.text
    decision = decided.json()
    assert decision["action"] == "confirmed" and decision["other_case_id"] == first["case_id"]

    tip = client.get(f"/api/v1/tips/{second['id']}", headers=headers).json()
    assert tip["case_id"] == first["case_id"]
    own = session.get(Case, uuid.UUID(second["case_id"]))
    assert own.status == "merged" and str(own.merged_into_id) == first["case_id"]
    assert client.get("/api/v1/match-reviews", headers=supervisor).json()["items"] == []
    stored = session.get(MatchReview, uuid.UUID(review["id"]))
    assert stored.status == "confirmed" and stored.decided_by
    again = client.post(
        f"/api/v1/match-reviews/{review['id']}/confirm", json={"reason": "twice"}, headers=supervisor
    )
    assert again.status_code == 409
    events = audit_service.events_for(session, subject_type="match_review", subject_id=review["id"])
    confirmed = [event for event in events if event.action == "match.review_confirmed"]
    assert confirmed and confirmed[0].detail["reason"] == "same girl: nickname Lupe, same date of birth"

    # A later report that matches the merged-away case lands in its successor.
    thresholds(link=0.7, review=0.3, merge=0.99)
    third = submit(client, headers, **about({**SAME_VICTIM, "name": "Guadalupe Orozco"}))
    assert third["case_id"] == first["case_id"]


def test_a_rejected_review_keeps_the_tip_in_its_own_case_and_is_remembered(
    client, auth, session, thresholds, settings
):
    thresholds(link=1.0, review=0.3)
    headers, supervisor = auth(), auth("supervisor")
    first = submit(client, headers, **about(VICTIM))
    second = submit(client, headers, **about(SAME_VICTIM))
    [review] = client.get("/api/v1/match-reviews", headers=supervisor).json()["items"]
    response = client.post(
        f"/api/v1/match-reviews/{review['id']}/reject",
        json={"reason": "another girl: the school says they are cousins"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    assert client.get(f"/api/v1/tips/{second['id']}", headers=headers).json()["case_id"] == second["case_id"]
    decisions = session.exec(select(MatchDecision).where(MatchDecision.action == "rejected")).all()
    assert [(str(d.case_id), str(d.other_case_id)) for d in decisions] == [
        (second["case_id"], first["case_id"])
    ]
    history = client.get(f"/api/v1/cases/{first['case_id']}/match-decisions", headers=supervisor).json()
    assert [item["action"] for item in history] == ["rejected"]
    pairs = list(matching_service.likely_duplicates(session=session, settings=settings, min_score=0.0))
    assert {frozenset((str(p.case_id), str(p.other_case_id))) for p in pairs}.isdisjoint(
        {frozenset((first["case_id"], second["case_id"]))}
    )


def test_a_review_can_only_be_confirmed_with_one_of_its_candidates(client, auth, thresholds):
    thresholds(link=1.0, review=0.3)
    headers, supervisor = auth(), auth("supervisor")
    submit(client, headers, **about(VICTIM))
    submit(client, headers, **about(SAME_VICTIM))
    [review] = client.get("/api/v1/match-reviews", headers=supervisor).json()["items"]
    response = client.post(
        f"/api/v1/match-reviews/{review['id']}/confirm",
        json={"case_id": str(uuid.uuid4()), "reason": "a guess"},
        headers=supervisor,
    )
    assert response.status_code == 422
    unknown = client.post(
        f"/api/v1/match-reviews/{uuid.uuid4()}/reject", json={"reason": "x" * 5}, headers=supervisor
    )
    assert unknown.status_code == 404


# Merging cases and moving tips


def test_a_supervisor_merges_two_cases_and_the_merged_one_points_at_its_successor(client, auth, session):
    headers, supervisor = auth(), auth("supervisor")
    a = submit(client, headers, **about({"role": "victim", "name": "Keisha Whitaker", "age": 16}))
    b = submit(
        client, headers, **about({"role": "victim", "name": "K. W.", "age": 14}, immediate_danger=True)
    )
    assert a["case_id"] != b["case_id"]
    response = client.post(
        f"/api/v1/cases/{b['case_id']}/merge",
        json={"into_case_id": a["case_id"], "reason": "the same girl; confirmed with the school"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    merged = client.get(f"/api/v1/cases/{b['case_id']}", headers=headers).json()
    survivor = client.get(f"/api/v1/cases/{a['case_id']}", headers=headers).json()
    assert merged["status"] == "merged" and merged["merged_into_id"] == a["case_id"]
    assert merged["tip_count"] == 0 and survivor["tip_count"] == 2
    assert survivor["urgency"] == "emergency"
    assert not session.exec(select(MatchKey).where(MatchKey.case_id == uuid.UUID(b["case_id"]))).all()
    events = audit_service.events_for(session, subject_type="case", subject_id=b["case_id"])
    assert [e.detail["reason"] for e in events if e.action == "case.merged"] == [
        "the same girl; confirmed with the school"
    ]
    same = client.post(
        f"/api/v1/cases/{a['case_id']}/merge",
        json={"into_case_id": a["case_id"], "reason": "self"},
        headers=supervisor,
    )
    assert same.status_code == 409
    unknown = client.post(
        f"/api/v1/cases/{uuid.uuid4()}/merge",
        json={"into_case_id": a["case_id"], "reason": "nope"},
        headers=supervisor,
    )
    assert unknown.status_code == 404


def test_a_tip_joined_by_mistake_moves_out_into_a_case_of_its_own(client, auth, session):
    headers, supervisor = auth(), auth("supervisor")
    first = submit(client, headers, **about({**VICTIM, "age": 19, "dob": None}))
    second = submit(client, headers, **about({**SAME_VICTIM, "dob": None, "age": 15}))
    case_id = first["case_id"]
    if second["case_id"] != case_id:  # make sure the two are together before moving one out
        client.post(
            f"/api/v1/cases/{second['case_id']}/merge",
            json={"into_case_id": case_id, "reason": "setting up"},
            headers=supervisor,
        )
    case = session.get(Case, uuid.UUID(case_id))
    session.refresh(case)
    assert case.minor_status == "confirmed"

    response = client.post(
        f"/api/v1/tips/{second['id']}/move-to-new-case",
        json={"reason": "a different girl with the same nickname"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    moved_to = response.json()["other_case_id"]
    assert client.get(f"/api/v1/tips/{second['id']}", headers=headers).json()["case_id"] == moved_to
    session.refresh(case)
    assert case.minor_status == "adult"  # recomputed from the tip that stays
    new_case = session.get(Case, uuid.UUID(moved_to))
    assert new_case.minor_status == "confirmed"
    assert session.exec(select(MatchKey).where(MatchKey.case_id == new_case.id)).all()
    only = client.post(
        f"/api/v1/tips/{first['id']}/move-to-new-case", json={"reason": "alone"}, headers=supervisor
    )
    assert only.status_code == 409 and "only tip" in only.json()["detail"]


def test_a_report_that_ties_two_cases_together_merges_them(client, auth, session):
    headers = auth()
    by_name = submit(
        client, headers, **about({"role": "victim", "name": "Yesenia Villalobos Orozco", "age": 14})
    )
    by_phone = submit(client, headers, **about({"role": "victim", "age": 14, "phone": "(832) 555-0161"}))
    assert by_name["case_id"] != by_phone["case_id"]
    both = submit(
        client,
        headers,
        **about({"role": "victim", "name": "Yesenia Villalobos", "age": 14, "phone": "832-555-0161"}),
    )
    match = both["triage"]["case"]
    assert match["action"] == "linked" and match["merged_case_ids"]
    cases = {by_name["case_id"], by_phone["case_id"]}
    assert both["case_id"] in cases
    [merged_away] = cases - {both["case_id"]}
    assert session.get(Case, uuid.UUID(merged_away)).status == "merged"
    decision = session.exec(select(MatchDecision).where(MatchDecision.action == "merged")).one()
    assert str(both["id"]) in decision.reason


def test_the_review_queue_pages_oldest_first(client, auth, thresholds):
    thresholds(link=1.0, review=0.3)
    headers, supervisor = auth(), auth("supervisor")
    submit(client, headers, **about(VICTIM))
    waiting = [submit(client, headers, **about(SAME_VICTIM))["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/match-reviews", params=params, headers=supervisor).json()
        seen += [review["tip_id"] for review in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[: len(waiting)] == waiting[: len(seen)] and set(waiting) <= set(seen)
    forged = client.get("/api/v1/match-reviews", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=supervisor)
    assert forged.status_code == 422
    assert (
        client.get("/api/v1/match-reviews", params={"status": "lost"}, headers=supervisor).status_code == 422
    )
