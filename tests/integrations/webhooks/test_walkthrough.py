"""The README's partner walk-through, as a new user runs it: register an endpoint pointing at the shipped
receiver script, take a tip, run `hotline worker --once`, watch the referral arrive verified, acknowledge it
with a partner key, see it in the delivery log; and the `hotline partners` commands."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from hotline.auth import service as auth_service
from hotline.cli import app
from hotline.core.actor import Role, system_actor
from tests.support.cli import hotline
from tests.support.factories import tip_payload

pytestmark = pytest.mark.committed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _key(db, role: Role) -> dict[str, str]:
    with db.session_factory() as session:
        _, key = auth_service.create_api_key(
            session=session, name=f"desk-{role}", role=role, actor=system_actor("t")
        )
        session.commit()
    return {"Authorization": f"Bearer {key}"}


def test_the_readme_partner_walkthrough(committed_db, client_for):
    port = _free_port()
    secret = hotline(
        "partners", "add", "cps-tx", "--url", f"http://127.0.0.1:{port}/", db=committed_db
    ).stdout
    secret = secret.strip()
    assert secret.startswith("whsec_") and "\n" not in secret

    receiver = subprocess.Popen(
        [sys.executable, "-m", "integrations.webhooks.receiver", "--secret", secret, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on" in receiver.stderr.readline()
        client = client_for(committed_db)
        tip = client.post("/api/v1/tips", json=tip_payload(), headers=_key(committed_db, Role.advocate))
        assert tip.status_code == 201

        worker = hotline("worker", "--once", db=committed_db)
        assert json.loads(worker.stdout)["webhook-deliveries"] == 1
        line = json.loads(receiver.stdout.readline())
        assert line["type"] == "referral.created" and line["agency_id"] == "cps-tx" and line["sequence"] == 1
        referral_id = line["referral_id"]

        partner_key = hotline(
            "keys",
            "create",
            "--role",
            "partner",
            "--name",
            "cps-tx-desk",
            "--agency",
            "cps-tx",
            db=committed_db,
        ).stdout.strip()
        ack_path = urlsplit(line["ack_url"]).path
        assert ack_path == f"/api/v1/referrals/{referral_id}/ack"
        ack = client.post(
            ack_path, json={"status": "accepted"}, headers={"Authorization": f"Bearer {partner_key}"}
        )
        assert ack.status_code == 200 and ack.json()["referral"]["status"] == "accepted"

        supervisor = _key(committed_db, Role.supervisor)
        log = client.get(f"/api/v1/delivery/referrals/{referral_id}", headers=supervisor).json()
        assert log["referral"]["status"] == "accepted"
        [delivery] = log["deliveries"]
        assert delivery["status"] == "delivered" and delivery["message_id"] == line["webhook_id"]
        assert [(a["status_code"], a["outcome"]) for a in delivery["attempts_log"]] == [(200, "delivered")]

        # Delivery is at least once: a replay arrives with the same webhook-id and the receiver drops it.
        replay = client.post(f"/api/v1/delivery/deliveries/{delivery['id']}/replay", headers=supervisor)
        assert replay.status_code == 201
        assert json.loads(hotline("worker", "--once", db=committed_db).stdout)["webhook-deliveries"] == 1
    finally:
        receiver.terminate()
        remaining, errors = receiver.communicate(timeout=10)
    assert remaining == "", "the receiver printed the replayed event again instead of dropping it"
    assert errors.strip() == ""


def test_the_partners_commands(committed_db):
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["partners", "add", "le-tx", "--url", "https://pd.example.org/hooks", "--fields", "case_id,urgency"],
    )
    assert added.exit_code == 0, added.stderr
    assert added.stdout.strip().startswith("whsec_") and len(added.stdout.strip().splitlines()) == 1
    assert "case_id, urgency" in added.stderr

    listed = runner.invoke(app, ["partners", "list", "--json"])
    [endpoint] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (endpoint["agency_id"], endpoint["effective_fields"], endpoint["status"]) == (
        "le-tx",
        ["case_id", "urgency"],
        "active",
    )
    assert "whsec_" not in listed.stdout

    rotated = runner.invoke(app, ["partners", "rotate-secret", "le-tx", "--grace-hours", "1"])
    assert rotated.exit_code == 0 and rotated.stdout.strip() != added.stdout.strip()
    assert rotated.stdout.strip().startswith("whsec_")
    text = runner.invoke(app, ["partners", "list"]).stdout
    assert "le-tx" in text and "[rotating]" in text

    updated = runner.invoke(app, ["partners", "update", "le-tx", "--all-fields"])
    assert "narrative" in json.loads(updated.stdout)["fields"]
    assert runner.invoke(app, ["partners", "enable", "le-tx"]).exit_code == 0

    unknown = runner.invoke(app, ["partners", "add", "cps-zz", "--url", "https://x.example.org/"])
    assert unknown.exit_code == 2 and unknown.stdout == "" and "cps-zz" in unknown.stderr
    twice = runner.invoke(app, ["partners", "add", "le-tx", "--url", "https://pd.example.org/hooks"])
    assert twice.exit_code == 2 and "already has an endpoint" in twice.stderr
    missing = runner.invoke(app, ["partners", "rotate-secret", "cps-tx"])
    assert missing.exit_code == 2 and missing.stdout == ""
    assert os.environ["DATABASE_URL"] == committed_db.url
