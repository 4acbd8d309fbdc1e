"""The `hotline` command, run as a user runs it: a separate process, results on stdout, messages on stderr."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import select

from hotline.auth.models import ApiKey
from hotline.cases.models import Case
from hotline.core.audit.models import AuditEvent
from hotline.tips.models import Tip
from tests.support.cli import count, hotline, write_jsonl
from tests.support.factories import tip_payload


@pytest.mark.committed
def test_keys_create_prints_only_the_key_which_then_authenticates(committed_db):
    result = hotline("keys", "create", "--role", "advocate", "--name", "desk-1", db=committed_db)
    key = result.stdout.strip()
    assert key.startswith("hk_") and "\n" not in key
    with committed_db.session_factory() as session:
        stored = session.exec(select(ApiKey)).one()
        assert (stored.name, stored.role) == ("desk-1", "advocate")
        assert key not in stored.key_digest
    refused = hotline("keys", "create", "--role", "partner", "--name", "p", db=committed_db, check=False)
    assert refused.returncode != 0 and "agency" in refused.stderr and refused.stdout == ""


@pytest.mark.committed
def test_tips_import_stores_skips_duplicates_and_reports_rejected_lines(committed_db, tmp_path):
    good = [json.dumps(tip_payload(external_id=f"imp-{n}")) for n in range(3)]
    lines = [
        good[0],
        good[1],
        "{this is not json",
        json.dumps(tip_payload(external_id="imp-bad", persons=[{"role": "victim", "age": 300}])),
        "",
        good[2],
        good[0],
    ]
    result = hotline("tips", "import", str(write_jsonl(tmp_path / "tips.jsonl", lines)), db=committed_db)
    summary = json.loads(result.stdout)
    assert (summary["stored"], summary["duplicates"], summary["rejected"]) == (3, 1, 2)
    assert [entry["line"] for entry in summary["rejected_lines"]] == [3, 4]
    assert "persons[0].age" in summary["rejected_lines"][1]["error"]
    assert "line 4" in result.stderr
    with committed_db.session_factory() as session:
        tips = session.exec(select(Tip).order_by(Tip.external_id)).all()
        assert [tip.external_id for tip in tips] == ["imp-0", "imp-1", "imp-2"]
        assert {tip.channel for tip in tips} == {"api"}
        assert all(tip.status == "triaged" for tip in tips)

    again = hotline("tips", "import", str(tmp_path / "tips.jsonl"), db=committed_db)
    assert json.loads(again.stdout)["stored"] == 0
    assert count(committed_db, Tip) == 3


@pytest.mark.committed
def test_an_imported_line_without_a_channel_is_an_import(committed_db, tmp_path):
    payload = tip_payload(external_id="legacy-1")
    del payload["channel"]
    hotline("tips", "import", str(write_jsonl(tmp_path / "t.jsonl", [json.dumps(payload)])), db=committed_db)
    with committed_db.session_factory() as session:
        assert session.exec(select(Tip.channel)).one() == "import"


@pytest.mark.committed
def test_triage_prints_one_result_per_line_in_order_and_writes_nothing(committed_db, tmp_path):
    lines = [
        json.dumps(tip_payload(external_id="dry-1")),
        "not json at all",
        json.dumps(
            tip_payload(
                external_id="dry-2",
                narrative="Her employer keeps her passport and pays her nothing for cleaning his houses.",
                persons=[{"role": "victim", "age": 34}],
                location={"state": "OH"},
            )
        ),
    ]
    before = (count(committed_db, Tip), count(committed_db, Case), count(committed_db, AuditEvent))
    result = hotline("triage", str(write_jsonl(tmp_path / "t.jsonl", lines)), db=committed_db)
    outputs = [json.loads(line) for line in result.stdout.splitlines()]

    assert len(outputs) == 3
    assert outputs[0]["external_id"] == "dry-1" and outputs[0]["minor"]["status"] == "confirmed"
    assert outputs[1]["line"] == 2 and "error" in outputs[1]
    assert outputs[2]["minor"]["status"] == "adult" and outputs[2]["jurisdiction"]["state"] == "OH"
    after = (count(committed_db, Tip), count(committed_db, Case), count(committed_db, AuditEvent))
    assert after == before


@pytest.mark.committed
def test_cases_export_writes_one_case_a_line_in_jsonl_and_csv(committed_db, tmp_path):
    lines = [
        json.dumps(tip_payload(external_id=f"exp-{n}", location={"state": "TX", "county": "Harris"}))
        for n in range(2)
    ]
    hotline("tips", "import", str(write_jsonl(tmp_path / "t.jsonl", lines)), db=committed_db)

    rows = [json.loads(line) for line in hotline("cases", "export", db=committed_db).stdout.splitlines()]
    assert [row["tip_external_ids"] for row in rows] == [["exp-0"], ["exp-1"]]
    assert set(rows[0]) == {
        "case_id",
        "status",
        "tip_external_ids",
        "minor_status",
        "jurisdiction",
        "routing_targets",
    }
    assert (
        rows[0]["jurisdiction"] == {"state": "TX", "county": "Harris"}
        and rows[0]["minor_status"] == "confirmed"
    )

    table = list(
        csv.DictReader(io.StringIO(hotline("cases", "export", "--format", "csv", db=committed_db).stdout))
    )
    assert [row["tip_external_ids"] for row in table] == ["exp-0", "exp-1"]
    assert table[0]["state"] == "TX" and table[0]["case_id"] == rows[0]["case_id"]
    with committed_db.session_factory() as session:
        exports = session.exec(select(AuditEvent).where(AuditEvent.action == "cases.exported")).all()
        assert [event.detail for event in exports] == [
            {"format": "jsonl", "cases": 2},
            {"format": "csv", "cases": 2},
        ]


@pytest.mark.committed
def test_demo_loads_tips_once_and_prints_working_keys(committed_db, client_for):
    first = hotline("demo", db=committed_db)
    second = hotline("demo", db=committed_db)
    assert "5 tips stored" in first.stderr and "5 already present" in second.stderr
    keys = dict(line.split("=", 1) for line in first.stdout.splitlines())
    assert count(committed_db, Tip) == 5
    with client_for(committed_db) as client:
        response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {keys['ADVOCATE_KEY']}"})
    assert response.status_code == 200 and len(response.json()["items"]) == 5


@pytest.mark.committed
def test_audit_verify_reports_an_intact_chain(committed_db):
    hotline("demo", db=committed_db)
    result = hotline("audit", "verify", db=committed_db)
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["checked"] > 10
