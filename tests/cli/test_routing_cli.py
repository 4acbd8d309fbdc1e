"""`hotline rules validate|simulate|publish|list|show` and `hotline directory`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import func, select

from hotline.core.audit.models import AuditEvent
from hotline.decisions import service as decision_service
from hotline.decisions.models import RoutingDecision, Ruleset
from tests.support.cli import hotline

DEFAULT = decision_service.shipped_default_ruleset()


def _count(db, model) -> int:
    with db.session_factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_validate_works_from_a_fresh_clone_without_a_database(tmp_path):
    # No DATABASE_URL and an empty working directory: validation needs no database, and creates none.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEFAULT.replace("when: {state: null}", "when: {state: Narnia}"), encoding="utf-8")
    run = [sys.executable, "-m", "hotline", "rules", "validate"]
    result = subprocess.run(
        [*run, str(broken)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    line = DEFAULT.splitlines().index("    when: {state: null}") + 1
    assert f"{broken}:{line}: rule 'unknown-jurisdiction': 'Narnia' is not a U.S. state" in result.stdout
    assert list(tmp_path.iterdir()) == [broken]
    shipped = subprocess.run(
        [*run, "routing/rules/default.yaml", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert shipped.returncode == 0 and json.loads(shipped.stdout)["ok"] is True


@pytest.mark.committed
def test_demo_tips_are_routed_with_a_trace_and_rules_publish_and_simulate_work(committed_db, tmp_path):
    hotline("demo", db=committed_db)
    assert _count(committed_db, RoutingDecision) == 5
    versions = hotline("rules", "list", "--json", db=committed_db)
    assert [v["version"] for v in json.loads(versions.stdout)] == [1]

    triaged = hotline("triage", "hotline/demo/tips.jsonl", db=committed_db)
    results = [json.loads(line) for line in triaged.stdout.splitlines()]
    routed = {
        result["external_id"]: [t["agency_id"] for t in result["routing"]["targets"]] for result in results
    }
    assert routed["demo-001"] == ["cps-tx", "le-tx"]
    assert routed["demo-002"] == ["services-ca"]  # adult, no consent: no police
    assert routed["demo-003"][0] == "le-nj"  # immediate danger
    assert sorted(routed["demo-004"]) == ["cps-az", "otip"]  # foreign-national minor
    assert routed["demo-005"] == ["national"]  # no location
    assert all(result["routing"]["trace"] for result in results)

    # A candidate that sends adults' cases to the national queue instead of state services.
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        DEFAULT.replace(
            "when: {minor_status: adult}\n    then: {route: [{state_agency: services}]",
            "when: {minor_status: adult}\n    then: {route: [national]",
        ),
        encoding="utf-8",
    )
    before = (_count(committed_db, RoutingDecision), _count(committed_db, AuditEvent))
    simulated = hotline("rules", "simulate", str(candidate), "--since", "3650d", db=committed_db)
    assert "decisions since" in simulated.stdout and "would change: 1;" in simulated.stdout
    assert "services-ca → national" in simulated.stdout
    as_json = json.loads(hotline("rules", "simulate", str(candidate), "--json", db=committed_db).stdout)
    assert as_json["decisions"] == 5 and as_json["changed"] == 1
    assert (_count(committed_db, RoutingDecision), _count(committed_db, AuditEvent)) == before

    refused = hotline("rules", "publish", str(candidate), db=committed_db, check=False)
    assert (
        refused.returncode == 1 and "failed" in refused.stderr and "nothing was published" in refused.stderr
    )
    assert _count(committed_db, Ruleset) == 1

    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(
        DEFAULT.replace("sla_minutes: 240, review: true", "sla_minutes: 120, review: true"), "utf-8"
    )
    published = hotline(
        "rules", "publish", str(fixed), "--author", "maria", "--comment", "faster", db=committed_db
    )
    assert json.loads(published.stdout)["version"] == 2
    listing = hotline("rules", "list", db=committed_db).stdout.splitlines()
    assert listing[0].startswith("* v2") and "maria" in listing[0] and listing[1].startswith("  v1")
    assert hotline("rules", "show", "1", db=committed_db).stdout == DEFAULT

    texas = hotline("directory", "list", "--kind", "cps", db=committed_db).stdout
    assert "cps-tx" in texas and "Texas Department of Family and Protective Services" in texas
