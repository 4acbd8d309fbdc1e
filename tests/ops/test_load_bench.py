"""bench/load.py runs end to end (a few seconds of load on the real server), and its check finds what is
missing. PostgreSQL only: the benchmark drives `hotline serve` on PostgreSQL, as in production."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from hotline.core import crypto
from hotline.core.actor import system_actor
from hotline.main import create_app
from hotline.tips import service as tip_service
from hotline.tips.schemas import TipIn
from tests.support.database import PG_ADMIN_URL, make_settings
from tests.support.factories import tip_payload

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres_only
@pytest.mark.timeout(300)
def test_the_load_benchmark_runs_and_finds_every_acknowledged_tip_triaged_routed_and_in_the_outbox():
    name = f"bench_load_smoke_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    command = [
        sys.executable, "bench/load.py", "--duration", "3", "--rate", "10", "--cases", "300",
        "--workers", "1", "--clients", "1", "--warmup", "0", "--database-name", name,
        "--pg-admin-url", PG_ADMIN_URL,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "store: 300 existing cases" in out
    assert "bare endpoint (one insert): 30 sent" in out and "ratio tips/bare throughput" in out
    assert "tips (store, dedup, triage, route, outbox): 30 sent" in out
    assert "consistency: ok: all" in out


@pytest.mark.postgres_only
@pytest.mark.committed
def test_the_load_check_reports_tips_missing_untriaged_or_unrouted(committed_db):
    from bench import load

    with committed_db.session_factory() as session:
        # Stored, never triaged (as if the process died after the commit).
        tip_in = TipIn.model_validate(tip_payload(channel="import", external_id="load-check-1"))
        tip_service.create_tip(session=session, tip_in=tip_in, actor=system_actor("tests"))
        session.commit()
    problems, produced = load.check(committed_db.engine, ["load-check-1", "load-check-never-stored"])
    assert "acknowledged but not stored: 1" in problems
    assert "not triaged: 1" in problems and "in no case: 1" in problems
    assert "not routed (no routing decision): 1" in problems
    assert produced["tips"] == 1


def test_the_bare_benchmark_endpoint_exists_only_when_asked_for_and_never_in_production(
    database_url, engine, auth
):
    with TestClient(create_app(make_settings(database_url), engine=engine)) as client:
        assert client.post("/bench/bare", json={}, headers=auth()).status_code == 404
    assert "/bench/bare" not in str(create_app(make_settings(database_url), engine=engine).openapi())
    bench = make_settings(database_url, bench_endpoints=True)
    with TestClient(create_app(bench, engine=engine)) as client:
        # There when asked for, behind the same authentication as the tip endpoint.
        assert client.post("/bench/bare", json={}).status_code == 401
    with pytest.raises(ValidationError, match="HOTLINE_BENCH_ENDPOINTS"):
        make_settings(
            database_url,
            environment="production",
            bench_endpoints=True,
            secret_key="s" * 40,
            matching_key="m" * 40,
            data_keys=f"k1:{crypto.new_key()}",
        )
