"""The audit chain: events for what happened, linked by hashes, append-only."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from hotline.core.actor import system_actor
from hotline.core.audit import service as audit_service
from hotline.core.audit.models import GENESIS_HASH, AuditEvent
from tests.support.database import BACKEND
from tests.support.factories import tip_payload


def _events(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())


def test_creating_a_key_a_tip_and_its_case_is_recorded_with_who_and_what(client, auth, session):
    headers = auth("advocate")
    tip = client.post("/api/v1/tips", json=tip_payload(), headers=headers).json()
    events = {event.action: event for event in _events(session)}

    assert events["api_key.created"].detail == {
        "name": "test-advocate",
        "role": "advocate",
        "agency_id": None,
    }
    created = events["tip.created"]
    assert (created.subject_type, created.subject_id) == ("tip", tip["id"])
    assert created.actor_kind == "api_key" and created.actor_role == "advocate"
    assert created.request_id is not None
    assert events["case.created"].subject_id == tip["case_id"]
    assert events["tip.triaged"].detail["minor_status"] == "confirmed"


def test_events_form_a_chain_from_genesis_that_verifies(client, auth, session):
    client.post("/api/v1/tips", json=tip_payload(), headers=auth())
    events = _events(session)
    assert events[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    report = audit_service.verify_chain(session)
    assert report.ok and report.checked == len(events)


def test_no_event_is_written_for_work_that_was_rolled_back(session):
    audit_service.record(
        session, actor=system_actor("tests"), action="tip.created", subject_type="tip", subject_id="x"
    )
    session.rollback()
    session.commit()
    assert _events(session) == []


def test_the_database_refuses_to_change_or_delete_an_audit_event(session):
    audit_service.record(
        session, actor=system_actor("tests"), action="x.done", subject_type="x", subject_id="1"
    )
    session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text("UPDATE audit_event SET action = 'x.undone'"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text("DELETE FROM audit_event"))


def _tamper(session, sql: str) -> None:
    """What an attacker with direct database access could do: bypass the append-only trigger."""
    if BACKEND == "postgresql":
        session.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        session.execute(sa.text(sql))
        session.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    else:
        session.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        session.execute(sa.text(sql))


def test_verify_names_the_first_event_whose_contents_were_changed(client, auth, session):
    for _ in range(3):
        client.post("/api/v1/tips", json=tip_payload(), headers=auth())
    events = _events(session)
    target = events[4]
    _tamper(session, f"UPDATE audit_event SET actor_name = 'someone else' WHERE id = {target.id}")
    session.expire_all()
    report = audit_service.verify_chain(session)
    assert not report.ok
    assert report.first_broken_id == target.id
    assert report.checked == 4


def _tamper_delete(session, event_id: int) -> None:
    if BACKEND == "postgresql":
        session.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        session.execute(sa.text(f"DELETE FROM audit_event WHERE id = {event_id}"))
        session.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    else:
        session.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
        session.execute(sa.text(f"DELETE FROM audit_event WHERE id = {event_id}"))


def test_verify_names_the_event_after_one_that_was_removed(client, auth, session):
    for _ in range(2):
        client.post("/api/v1/tips", json=tip_payload(), headers=auth())
    events = _events(session)
    removed, following = events[3], events[4]
    _tamper_delete(session, removed.id)
    session.expire_all()
    report = audit_service.verify_chain(session)
    assert (report.ok, report.first_broken_id) == (False, following.id)
    assert "prev_hash" in report.problem


def test_verify_catches_a_rewritten_detail_even_when_its_hash_is_not_recomputed(client, auth, session):
    client.post("/api/v1/tips", json=tip_payload(), headers=auth())
    triaged = next(event for event in _events(session) if event.action == "tip.triaged")
    # Someone rewrites what triage found (a minor made an adult), keeping the stored hash as it was.
    forged = json.dumps({**triaged.detail, "minor_status": "adult"})
    _tamper(session, f"UPDATE audit_event SET detail = '{forged}' WHERE id = {triaged.id}")
    session.expire_all()
    report = audit_service.verify_chain(session)
    assert (report.ok, report.first_broken_id) == (False, triaged.id)


def test_sign_ins_users_and_exports_join_the_chain(client, session, make_user):
    import re

    from tests.support.users import TEST_PASSWORD

    user = make_user("supervisor")
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/signin", data={"username": user.username, "password": "wrong one here", "csrf_token": token}
    )
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/signin", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/reports").text).group(1)
    client.post("/reports/export", data={"csrf_token": csrf, "first": "2026-11-01", "last": "2026-11-02"})
    actions = [event.action for event in _events(session)]
    assert actions[-3:] == ["user.sign_in_failed", "user.signed_in", "report.exported"]
    assert audit_service.verify_chain(session).ok
