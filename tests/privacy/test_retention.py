"""Retention: a dry run changes nothing; a run removes what each rule names, keeps the rest, is audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from hotline.cases.models import Case
from hotline.core.actor import system_actor
from hotline.core.audit.models import AuditEvent
from hotline.core.database import utcnow
from hotline.decisions.models import RoutingDecision
from hotline.matching.models import MatchKey
from hotline.privacy import service as privacy_service
from hotline.tips.models import Tip, TipAttachment, TipPerson, TipSearchKey
from integrations.twilio.models import TwilioCall
from tests.support.database import make_settings
from tests.support.factories import tip_payload

ACTOR = system_actor("tests")
NAME = "Ottoline Pemberwick"


def _phone_tip(session, *, days_ago: int, outcome: str, narrative: str | None = None) -> Tip:
    when = utcnow() - timedelta(days=days_ago)
    tip = Tip(
        channel="phone",
        external_id=f"CA{uuid.uuid4().hex}",
        received_at=when,
        narrative=narrative,
        reporter_phone="+15125550142",
        status="contact" if outcome != "voicemail" else "triaged",
        contact_outcome=outcome,
        created_by="tests",
    )
    session.add(tip)
    session.flush()
    session.add(TwilioCall(call_sid=tip.external_id, caller="+15125550142", tip_id=tip.id, created_at=when))
    return tip


def _recording(session, tip: Tip, *, days_ago: int) -> TipAttachment:
    attachment = TipAttachment(
        tip_id=tip.id,
        kind="recording",
        url=f"https://api.twilio.com/recordings/RE{uuid.uuid4().hex}",
        external_id=f"RE{uuid.uuid4().hex}",
        created_at=utcnow() - timedelta(days=days_ago),
    )
    session.add(attachment)
    return attachment


@pytest.fixture
def world(client, session, auth):
    """Old and recent recordings, hang-ups, and cases closed long ago, lately, or still open."""
    headers = auth("advocate")

    def submit(name: str) -> tuple[uuid.UUID, uuid.UUID]:
        body = client.post(
            "/api/v1/tips",
            json=tip_payload(
                narrative=f"{name} is 15 and kept at a house on Elm",
                persons=[{"role": "victim", "name": name}],
            ),
            headers=headers,
        ).json()
        return uuid.UUID(body["id"]), uuid.UUID(body["case_id"])

    old_case_tip, old_case = submit(NAME)
    recent_case_tip, recent_case = submit("Bartholomew Quince")
    open_case_tip, open_case = submit("Cordelia Fenwright")
    for case_id, years in ((old_case, 8), (recent_case, 1)):
        case = session.get(Case, case_id)
        case.status, case.closed_at = "closed", utcnow() - timedelta(days=365 * years)
    voicemail_old = _phone_tip(
        session, days_ago=45, outcome="voicemail", narrative="my neighbour Ada is locked in"
    )
    voicemail_new = _phone_tip(session, days_ago=5, outcome="voicemail", narrative="a boy sleeps in the shop")
    old_recording = _recording(session, voicemail_old, days_ago=45)
    new_recording = _recording(session, voicemail_new, days_ago=5)
    old_hang_up = _phone_tip(session, days_ago=120, outcome="hang_up")
    new_hang_up = _phone_tip(session, days_ago=10, outcome="hang_up")
    old_answered = _phone_tip(session, days_ago=120, outcome="answered")
    session.commit()
    return {
        "old_case": old_case,
        "old_case_tip": old_case_tip,
        "recent_case": recent_case,
        "recent_case_tip": recent_case_tip,
        "open_case": open_case,
        "open_case_tip": open_case_tip,
        "voicemail_old": voicemail_old.id,
        "voicemail_new": voicemail_new.id,
        "old_recording": old_recording.id,
        "new_recording": new_recording.id,
        "old_hang_up": old_hang_up.id,
        "new_hang_up": new_hang_up.id,
        "old_answered": old_answered.id,
    }


def _snapshot(session) -> dict[str, object]:
    session.expire_all()
    return {
        "tips": session.exec(select(func.count()).select_from(Tip)).one(),
        "attachments": session.exec(select(func.count()).select_from(TipAttachment)).one(),
        "match_keys": session.exec(select(func.count()).select_from(MatchKey)).one(),
        "search_keys": session.exec(select(func.count()).select_from(TipSearchKey)).one(),
        "names": sorted(name for name in session.exec(select(TipPerson.name)).all() if name),
        "narratives": sorted(text for text in session.exec(select(Tip.narrative)).all() if text),
    }


def test_a_dry_run_counts_and_changes_nothing(world, session, settings):
    before = _snapshot(session)
    result = privacy_service.apply_retention(session=session, settings=settings, actor=ACTOR, dry_run=True)
    assert result.counts == {"recordings": 1, "hang_ups": 1, "closed_cases": 1}
    assert _snapshot(session) == before
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "retention.applied")).all() == []


def test_apply_removes_what_each_rule_names_and_leaves_the_rest(world, session, settings):
    settings = settings.model_copy(update={"retention_transcript_days": 30})
    result = privacy_service.apply_retention(session=session, settings=settings, actor=ACTOR, dry_run=False)
    assert result.counts == {"recordings": 1, "transcripts": 1, "hang_ups": 1, "closed_cases": 1}
    session.expire_all()

    # Recordings: the old one is gone, the recent one stays.
    assert session.get(TipAttachment, world["old_recording"]) is None
    assert session.get(TipAttachment, world["new_recording"]) is not None
    # Transcripts of old voicemails only.
    assert session.get(Tip, world["voicemail_old"]).narrative is None
    assert session.get(Tip, world["voicemail_new"]).narrative == "a boy sleeps in the shop"
    # Old hang-ups are deleted with their call; a recent one and an answered call stay.
    assert session.get(Tip, world["old_hang_up"]) is None
    assert session.exec(select(TwilioCall).where(TwilioCall.tip_id == world["old_hang_up"])).all() == []
    assert session.get(Tip, world["new_hang_up"]) is not None
    assert session.get(Tip, world["old_answered"]) is not None

    # The case closed 8 years ago is anonymised; its decision and statistics stay.
    old_tip = session.get(Tip, world["old_case_tip"])
    assert old_tip.narrative is None and old_tip.reporter_phone is None
    assert old_tip.minor_status == "confirmed" and old_tip.location_state == "TX"
    assert all(item["text"] == "" for item in old_tip.triage["minor"]["evidence"])
    assert old_tip.triage["minor"]["status"] == "confirmed"
    assert [person.name for person in old_tip.persons] == [None]
    assert session.get(Case, world["old_case"]).anonymised_at is not None
    assert session.exec(select(MatchKey).where(MatchKey.case_id == world["old_case"])).all() == []
    assert session.exec(select(TipSearchKey).where(TipSearchKey.tip_id == world["old_case_tip"])).all() == []
    assert session.exec(select(RoutingDecision).where(RoutingDecision.tip_id == world["old_case_tip"])).all()
    # A case closed a year ago, and an open case, keep everything.
    for key in ("recent_case", "open_case"):
        tip = session.get(Tip, world[f"{key}_tip"])
        assert tip.narrative and tip.persons[0].name
        assert session.exec(select(MatchKey).where(MatchKey.case_id == world[key])).all()
        assert session.get(Case, world[key]).anonymised_at is None

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.applied")).one()
    assert event.detail["counts"] == result.counts and event.detail["days"]["recordings"] == 30
    assert "Ottoline" not in json.dumps(event.detail)

    # Applying again finds nothing more to do.
    again = privacy_service.apply_retention(session=session, settings=settings, actor=ACTOR, dry_run=False)
    assert again.counts == {"recordings": 0, "transcripts": 0, "hang_ups": 0, "closed_cases": 0}


def test_a_rule_at_zero_days_is_off(world, session, settings):
    settings = settings.model_copy(update={"retention_recording_days": 0, "retention_closed_case_years": 0})
    result = privacy_service.apply_retention(session=session, settings=settings, actor=ACTOR, dry_run=False)
    assert result.counts == {"hang_ups": 1}
    assert session.get(TipAttachment, world["old_recording"]) is not None


@pytest.mark.committed
def test_the_retention_command_prints_a_table_and_counts(committed_db):
    with committed_db.session_factory() as session:
        tip = _phone_tip(session, days_ago=200, outcome="hang_up")
        session.commit()
        tip_id = tip.id
    env = {**os.environ, "DATABASE_URL": committed_db.url, "LOG_LEVEL": "WARNING", "COLUMNS": "200"}
    command = [sys.executable, "-m", "hotline", "retention", "apply"]
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, env=env, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {
        "dry_run": True,
        "counts": {"recordings": 0, "hang_ups": 1, "closed_cases": 0},
    }
    assert "hang_ups" in dry.stderr and "would change" in dry.stderr
    with committed_db.session_factory() as session:
        assert session.get(Tip, tip_id) is not None
    applied = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["counts"]["hang_ups"] == 1
    with committed_db.session_factory() as session:
        assert session.get(Tip, tip_id) is None
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "retention.applied")).one()


def test_settings_name_the_policy(database_url):
    settings = make_settings(database_url, retention_hang_up_days=7)
    rules = {rule.name: rule.days for rule in privacy_service.rules_from(settings)}
    assert rules == {"recordings": 30, "transcripts": 0, "hang_ups": 7, "closed_cases": 7 * 365}
