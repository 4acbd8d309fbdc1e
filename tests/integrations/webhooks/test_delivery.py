"""Delivery over real HTTP: signatures a partner verifies with `standardwebhooks`, retries (500, 429 with
Retry-After, timeouts, other 4xx), 410 and days of failures disabling an endpoint, dead letters and replay,
secret rotation, and every attempt stored and logged without the payload."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select
from standardwebhooks.webhooks import Webhook

from hotline.core.audit import service as audit_service
from hotline.core.database import utcnow
from hotline.core.logs import configure_logging
from hotline.referrals.models import SupervisorAlert
from integrations.webhooks import service as webhook_service
from integrations.webhooks.delivery import parse_retry_after, retry_delay
from integrations.webhooks.models import WebhookAttempt, WebhookEndpoint
from tests.support.database import make_settings
from tests.support.receiver import Reply
from tests.support.webhooks import ACTOR, deliver_until


def _attempts(session, delivery) -> list[WebhookAttempt]:
    session.expire_all()
    return list(
        session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(col(WebhookAttempt.number))
        ).all()
    )


def _all(partners, status: str) -> bool:
    deliveries = partners.deliveries()
    return bool(deliveries) and all(d.status == status for d in deliveries)


def test_a_delivery_arrives_signed_over_the_exact_body_and_the_referral_is_delivered(
    partners, dispatcher, receiver, session
):
    partners.register("cps-tx")
    tip = partners.submit()
    [stored] = partners.deliveries()
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))

    [request] = receiver.received
    assert request.verified_by == [0]
    # What a partner runs: the library verifies the three headers against the raw body.
    event = Webhook(receiver.secrets[0]).verify(request.body, request.headers)
    assert event["type"] == "referral.created" and event["data"]["agency_id"] == "cps-tx"
    assert request.body == stored.body.encode()
    assert request.webhook_id == stored.message_id
    sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    assert abs(sent_at - utcnow()) < timedelta(seconds=30)
    assert request.headers["content-type"] == "application/json"

    referral = partners.referrals(tip)["cps-tx"]
    assert referral.status == "delivered" and referral.delivered_at is not None
    [attempt] = _attempts(session, stored)
    assert (attempt.number, attempt.status_code, attempt.outcome, attempt.error) == (
        1,
        200,
        "delivered",
        None,
    )
    assert attempt.latency_ms >= 0 and attempt.worker
    [event] = audit_service.events_for(session, subject_type="webhook_delivery", subject_id=stored.id)
    assert event.action == "webhook.delivered"


def test_a_500_is_retried_with_the_same_webhook_id(partners, dispatcher, receiver, session):
    partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(500, body=b"database down"))
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))

    first, second = receiver.received
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert (first.status, second.status) == (500, 200)
    [delivery] = partners.deliveries()
    attempts = _attempts(session, delivery)
    assert [(a.number, a.status_code, a.outcome) for a in attempts] == [
        (1, 500, "retry"),
        (2, 200, "delivered"),
    ]
    assert attempts[0].error == "http_500" and attempts[0].response_excerpt == "database down"
    assert attempts[0].next_attempt_at is not None
    assert delivery.attempts == 2


def test_retry_after_is_respected(partners, dispatcher, receiver):
    partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(429, headers={"Retry-After": "1"}))
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    first, second = receiver.received
    # The schedule alone would retry after 0.05 s; the partner asked for a second.
    assert second.at - first.at >= 0.95


def test_a_timeout_is_an_attempt_that_is_retried(partners, dispatcher, receiver, session):
    partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(200, delay=1.5))  # longer than the 0.5 s read timeout
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    [delivery] = partners.deliveries()
    attempts = _attempts(session, delivery)
    assert [(a.status_code, a.error, a.outcome) for a in attempts][:1] == [(None, "read_timeout", "retry")]
    assert attempts[-1].outcome == "delivered"
    assert 400 <= attempts[0].latency_ms < 1500


def test_a_client_error_is_retried_less_than_an_outage_then_dead_lettered(
    partners, dispatcher, receiver, session
):
    partners.register("cps-tx")
    partners.register("le-tx", url=receiver.url.replace("/hooks", "/outage"))
    partners.submit()
    receiver.default = Reply(400, body=b'{"error": "unknown field"}')
    receiver.by_path["/outage"] = Reply(503)
    deliver_until(dispatcher, lambda: _all(partners, "failed"))

    by_agency = {d.agency_id: d for d in partners.deliveries()}
    # An outage gets every attempt of the schedule (4); a 4xx other than 408/410/429 gets
    # HOTLINE_WEBHOOK_CLIENT_ERROR_ATTEMPTS (2).
    assert by_agency["le-tx"].attempts == 4 and by_agency["le-tx"].last_error == "http_503"
    assert by_agency["cps-tx"].attempts == 2 and by_agency["cps-tx"].last_status_code == 400
    excerpts = {a.response_excerpt for a in _attempts(session, by_agency["cps-tx"])}
    assert excerpts == {'{"error": "unknown field"}'}


def test_every_attempt_failing_dead_letters_the_delivery_and_alerts_supervisors(
    partners, dispatcher, receiver, session, client, auth
):
    partners.register("cps-tx")
    tip = partners.submit()
    receiver.default = Reply(503)
    deliver_until(dispatcher, lambda: _all(partners, "failed"))

    [delivery] = partners.deliveries()
    assert delivery.attempts == 4 and delivery.dead_lettered_at is not None
    assert [a.outcome for a in _attempts(session, delivery)] == ["retry", "retry", "retry", "failed"]
    assert len({r.webhook_id for r in receiver.received}) == 1
    [alert] = session.exec(select(SupervisorAlert)).all()
    assert (alert.kind, alert.agency_id, alert.delivery_id) == (
        "delivery_dead_lettered",
        "cps-tx",
        delivery.id,
    )
    assert "cps-tx" in alert.summary and "Brianna" not in alert.summary
    actions = [
        e.action
        for e in audit_service.events_for(session, subject_type="webhook_delivery", subject_id=delivery.id)
    ]
    assert actions == ["webhook.dead_lettered"]
    # The referral was never delivered: still pending, so its SLA still runs.
    assert partners.referrals(tip)["cps-tx"].status == "pending"

    supervisor = auth("supervisor")
    dead = client.get("/api/v1/delivery/dead-letters", headers=supervisor).json()
    assert [item["id"] for item in dead["items"]] == [str(delivery.id)]
    alerts = client.get("/api/v1/alerts", headers=supervisor).json()["items"]
    assert [a["kind"] for a in alerts] == ["delivery_dead_lettered"]

    # The partner fixed its side; a supervisor replays the dead letter: same webhook-id, same body.
    receiver.default = Reply(200)
    replay = client.post(f"/api/v1/delivery/deliveries/{delivery.id}/replay", headers=supervisor)
    assert replay.status_code == 201 and replay.json()["message_id"] == delivery.message_id
    deliver_until(dispatcher, lambda: any(d.status == "delivered" for d in partners.deliveries()))
    assert receiver.received[-1].webhook_id == delivery.message_id and receiver.received[-1].status == 200
    assert client.get("/api/v1/delivery/dead-letters", headers=supervisor).json()["items"] == []
    again = client.post(f"/api/v1/delivery/deliveries/{delivery.id}/replay", headers=supervisor)
    assert again.status_code == 409
    assert partners.referrals(tip)["cps-tx"].status == "delivered"

    log = client.get(f"/api/v1/delivery/referrals/{delivery.referral_id}", headers=supervisor).json()
    assert [(d["status"], len(d["attempts_log"])) for d in log["deliveries"]] == [
        ("failed", 4),
        ("delivered", 1),
    ]
    assert log["deliveries"][1]["replay_of_id"] == str(delivery.id)


def test_replaying_an_endpoint_since_a_time_sends_its_dead_letters_again(
    partners, dispatcher, receiver, session, client, auth
):
    endpoint = partners.register("cps-tx")
    receiver.default = Reply(500)
    partners.submit()
    partners.submit()
    deliver_until(dispatcher, lambda: _all(partners, "failed"))
    receiver.default = Reply(200)
    since = (utcnow() - timedelta(hours=1)).isoformat()
    response = client.post(
        f"/api/v1/delivery/endpoints/{endpoint.id}/replay", json={"since": since}, headers=auth("supervisor")
    )
    assert response.status_code == 200 and response.json()["replayed"] == 2
    deliver_until(dispatcher, lambda: len(receiver.ok()) == 2)
    bad = client.post(
        f"/api/v1/delivery/endpoints/{endpoint.id}/replay",
        json={"since": "2026-11-24T00:00:00"},
        headers=auth("supervisor"),
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "since"


def test_410_gone_disables_the_endpoint_and_holds_its_deliveries_until_enabled(
    partners, dispatcher, receiver, session, client, auth
):
    endpoint = partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(410))
    deliver_until(dispatcher, lambda: _all(partners, "held"))
    session.refresh(endpoint)
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "gone")
    [alert] = session.exec(select(SupervisorAlert)).all()
    assert alert.kind == "endpoint_disabled" and alert.endpoint_id == endpoint.id

    partners.submit()  # a new referral while disabled: held, not sent
    dispatcher.run(budget=0.3, wait_for_work=False)
    assert len(receiver.received) == 1 and _all(partners, "held")

    supervisor = auth("supervisor")
    listed = client.get("/api/v1/delivery/endpoints?status=disabled", headers=supervisor).json()
    assert [(e["agency_id"], e["held"], e["disabled_reason"]) for e in listed] == [("cps-tx", 2, "gone")]
    enabled = client.post(f"/api/v1/delivery/endpoints/{endpoint.id}/enable", headers=supervisor)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    assert len(receiver.ok()) == 2


def test_five_days_of_nothing_but_failures_disable_an_endpoint(partners, dispatcher, receiver, session):
    endpoint = partners.register("cps-tx")
    partners.submit()
    receiver.default = Reply(502)
    endpoint.failing_since = utcnow() - timedelta(days=5, minutes=1)
    session.commit()
    deliver_until(dispatcher, lambda: _all(partners, "held"))
    session.refresh(endpoint)
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "failing")
    assert session.exec(select(SupervisorAlert.kind)).all() == ["endpoint_disabled"]


def test_the_health_job_disables_endpoints_failing_for_days_without_new_attempts(
    partners, session, webhook_settings
):
    endpoint = partners.register("cps-tx")
    other = partners.register("le-tx")
    endpoint.failing_since = utcnow() - timedelta(hours=121)
    other.failing_since = utcnow() - timedelta(hours=119)
    session.commit()
    assert webhook_service.disable_failing_endpoints(session=session, settings=webhook_settings) == 1
    assert (endpoint.status, other.status) == ("disabled", "active")


def test_a_success_after_failures_clears_the_failing_streak(partners, dispatcher, receiver, session):
    endpoint = partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(500))
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    session.refresh(endpoint)
    assert endpoint.failing_since is None and endpoint.last_failure_at and endpoint.last_success_at


def test_during_a_rotation_each_delivery_is_signed_with_both_secrets(partners, dispatcher, receiver, session):
    endpoint = partners.register("cps-tx")
    old_secret = receiver.secrets[0]
    new_secret = webhook_service.rotate_secret(
        session=session, endpoint=endpoint, actor=ACTOR, grace=timedelta(hours=24)
    )
    session.commit()
    receiver.secrets.append(new_secret)
    partners.submit()
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    [request] = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    # A partner still on the old secret and one already on the new both accept it.
    assert request.verified_by == [0, 1]
    Webhook(old_secret).verify(request.body, request.headers)
    Webhook(new_secret).verify(request.body, request.headers)

    # The grace period over: only the new secret signs.
    endpoint.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    partners.submit()
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    latest = receiver.received[-1]
    assert latest.verified_by == [1] and len(latest.headers["webhook-signature"].split(" ")) == 1
    assert webhook_service.expire_rotated_secrets(session=session) == 1
    assert endpoint.previous_secret is None


def test_attempts_are_logged_with_ids_and_codes_never_the_payload_or_secret(partners, dispatcher, receiver):
    stream = io.StringIO()
    configure_logging(level="INFO", json_lines=True, stream=stream)
    endpoint = partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(500))
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    attempts = [line for line in lines if line["event"] == "webhook_attempt"]
    assert [(a["status_code"], a["outcome"], a["attempt"]) for a in attempts] == [
        (500, "retry", 1),
        (200, "delivered", 2),
    ]
    assert all(a["latency_ms"] >= 0 and a["endpoint_id"] == str(endpoint.id) for a in attempts)
    text = stream.getvalue()
    for private in ("Brianna", "Travis", "Janelle", "713", "Airline Drive", "motel", receiver.secrets[0]):
        assert private not in text


def test_only_the_first_kib_of_an_answer_is_kept(partners, dispatcher, receiver, session):
    partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(500, body=b"x" * 5000 + b"\x00"))
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    [delivery] = partners.deliveries()
    first = _attempts(session, delivery)[0]
    assert first.response_excerpt == "x" * 1024


def test_a_slow_partner_does_not_hold_up_another(partners, receiver, factory, database_url):
    from integrations.webhooks.delivery import Dispatcher
    from tests.support.webhooks import TINY_SETTINGS, adult_tip

    settings = make_settings(
        database_url, **{**TINY_SETTINGS, "webhook_concurrency": 4, "webhook_endpoint_concurrency": 2}
    )
    dispatcher = Dispatcher(settings=settings, session_factory=factory, serialize_database=True)
    try:
        partners.register("services-tx", url=receiver.url.replace("/hooks", "/slow"))
        receiver.by_path["/slow"] = Reply(200, delay=0.4)
        partners.register("cps-tx")
        for _ in range(6):
            partners.submit(adult_tip())  # victim services: the slow partner, claimed first
        partners.submit()  # a child: CPS, the fast partner
        dispatcher.run(budget=0.1, wait_for_work=False)
        slow = [r.at for r in receiver.received if r.path == "/slow"]
        fast = [r.at for r in receiver.received if r.path == "/hooks"]
        assert len(slow) == 6 and len(fast) == 1
        # The slow partner may hold two of the four slots; the child's referral does not wait for it.
        assert fast[0] - min(slow) < 0.2
    finally:
        dispatcher.close()


def test_retry_after_and_the_schedule(webhook_settings):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None
    settings = make_settings(webhook_settings.database_url, webhook_retry_jitter=0.2)
    delays = [retry_delay(attempts=n, settings=settings, retry_after=None) for n in range(1, 9)]
    assert delays[-1] is None
    for delay, nominal in zip(delays[:-1], [5, 300, 1800, 7200, 18000, 36000, 36000], strict=True):
        assert nominal * 0.8 <= delay <= nominal * 1.2
    assert retry_delay(attempts=1, settings=settings, retry_after=900) == 900
    assert retry_delay(attempts=1, settings=settings, retry_after=10**9) == 86400
    assert session_free_settings_ok(settings)


def session_free_settings_ok(settings) -> bool:
    return settings.webhook_retry_delays == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_endpoint_rows_never_show_their_secret_in_the_api(partners, client, auth):
    endpoint = partners.register("cps-tx")
    body = client.get(f"/api/v1/delivery/endpoints/{endpoint.id}", headers=auth("supervisor")).text
    assert partners.receiver.secrets[0] not in body and "whsec_" not in body
    assert isinstance(endpoint, WebhookEndpoint)


def test_the_delivery_job_backs_off_when_the_database_is_unreachable(database_url):
    from hotline.core.jobs import WorkerContext
    from integrations.webhooks.delivery import DeliveryJob

    def unreachable():
        raise ConnectionError("database unreachable")

    slept: list[float] = []
    job = DeliveryJob(sleep=slept.append)
    context = WorkerContext(settings=make_settings(database_url), session_factory=unreachable)
    for _ in range(7):
        with pytest.raises(ConnectionError):
            job(context)
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
