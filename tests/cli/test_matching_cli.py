"""Dedup from the command line: one case for two spellings of one tip, and likely duplicates in the store."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from hotline.cases import service as case_service
from hotline.core.actor import system_actor
from hotline.core.audit.models import AuditEvent
from hotline.tips import service as tip_service
from hotline.tips.schemas import TipIn
from tests.support.cli import hotline, write_jsonl
from tests.support.factories import tip_payload

FIRST = tip_payload(
    external_id="hotline-a-1",
    persons=[
        {"role": "victim", "name": "María Guadalupe Hernández Ríos", "age": 14, "gender": "female"},
        {"role": "suspect", "name": "Rogelio Quintana", "phone": "(713) 555-0188"},
    ],
    location={"address": "7725 Airline Dr, Apt 4", "city": "Houston", "state": "TX", "zip": "77037"},
)
# The same report as another hotline keyed it: other spellings, nickname, phone format, order.
SECOND = tip_payload(
    external_id="hotline-b-77",
    received_at="2026-11-22T09:10:00-06:00",
    persons=[
        {"role": "victim", "name": "HERNANDEZ, LUPE", "age_min": 13, "age_max": 15, "gender": "F"},
        {"role": "suspect", "name": "rogelio quintanna", "phone": "713.555.0188"},
    ],
    location={"address": "7725 Airline Drive #4", "city": "HOUSTON", "state": "Texas"},
)


@pytest.mark.committed
def test_importing_one_tip_twice_spelt_differently_ends_in_one_case_that_export_shows(committed_db, tmp_path):
    result = hotline(
        "tips", "import", str(write_jsonl(tmp_path / "t.jsonl", [json.dumps(FIRST), json.dumps(SECOND)])),
        db=committed_db,
    )  # fmt: skip
    assert json.loads(result.stdout)["stored"] == 2

    rows = [json.loads(line) for line in hotline("cases", "export", db=committed_db).stdout.splitlines()]
    assert [row["tip_external_ids"] for row in rows] == [["hotline-a-1", "hotline-b-77"]]
    assert rows[0]["minor_status"] == "confirmed" and rows[0]["jurisdiction"]["state"] == "TX"
    with committed_db.session_factory() as session:
        second = tip_service.find_by_external_id(session=session, channel="api", external_id="hotline-b-77")
        assert second is not None and second.triage["case"]["action"] == "linked"
        assert second.triage["case"]["candidates"][0]["fields"]["phone"] == 1.0


@pytest.mark.committed
def test_cases_duplicates_lists_cases_that_were_never_matched(committed_db):
    # Data migrated from elsewhere: two cases about one girl, written without going through dedup.
    actor = system_actor("migration")
    with committed_db.session_factory() as session:
        case_ids = []
        for payload in (FIRST, SECOND):
            tip, _ = tip_service.create_tip(
                session=session, tip_in=TipIn.model_validate(payload), actor=actor
            )
            case_ids.append(str(case_service.open_case_for_tip(session=session, tip=tip, actor=actor).id))
        other, _ = tip_service.create_tip(
            session=session, tip_in=TipIn.model_validate(tip_payload(external_id="unrelated")), actor=actor
        )
        case_service.open_case_for_tip(session=session, tip=other, actor=actor)
        session.commit()

    nothing = hotline("cases", "duplicates", db=committed_db)
    assert nothing.stdout == ""  # no keys were ever filed for them
    result = hotline("cases", "duplicates", "--reindex", "--min-score", "0.5", db=committed_db)
    pairs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(pairs) == 1
    assert {pairs[0]["case_id"], pairs[0]["other_case_id"]} == set(case_ids)
    assert pairs[0]["score"] >= 0.9 and pairs[0]["fields"]["phone"] == 1.0 and pairs[0]["weights"]
    assert "filed the blocking keys of 3 cases" in result.stderr
    with committed_db.session_factory() as session:
        listed = session.exec(select(AuditEvent).where(AuditEvent.action == "cases.duplicates_listed")).all()
        assert [event.detail["pairs"] for event in listed] == [0, 1]
