"""Supervisors' delivery pages through HTTP, on deliveries made by the real dispatcher to a real receiver on
127.0.0.1: dead letters and their replay, disabled and failing endpoints (enable, replay since a time), a
referral's delivery log, alerts, the decisions list's "delivery failed" filter, delivery on the decision
page, and the time to acknowledgement on the reports page. Each action is audited under the person."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from hotline.core.actor import Role
from hotline.core.audit.models import AuditEvent
from hotline.core.database import utcnow
from hotline.referrals.models import Referral
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.receiver import Reply
from tests.support.webhooks import adult_tip, deliver_until


def _all(partners, status: str) -> bool:  # type: ignore[no-untyped-def]
    deliveries = partners.deliveries()
    return bool(deliveries) and all(d.status == status for d in deliveries)


def _events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def test_a_dead_letter_is_found_explained_and_replayed_from_the_web(
    partners, dispatcher, receiver, session, client, sign_in
):
    partners.register("cps-tx")
    failed_tip = partners.submit()  # a 15-year-old in Texas: cps-tx by webhook, le-tx in the manual queue
    receiver.default = Reply(503)
    deliver_until(dispatcher, lambda: _all(partners, "failed"))
    fine_tip = partners.submit(adult_tip())  # services-tx: no endpoint, the manual queue
    [dead] = partners.deliveries(status="failed")
    login = sign_in("supervisor")

    page = client.get("/deliveries").text
    dead_letters = _table(page, "dead-letters")
    assert (
        "cps-tx" in dead_letters and "503" in dead_letters and f"/deliveries/{dead.id}/replay" in dead_letters
    )

    # The decisions list finds the decision whose delivery failed, and only it.
    failed_decision = failed_tip.triage["routing"]["decision_id"]
    listed = client.get("/decisions?delivery_failed=yes").text
    assert failed_decision in listed and fine_tip.triage["routing"]["decision_id"] not in listed
    decision_page = client.get(f"/decisions/{failed_decision}").text
    delivery = _table(decision_page, "delivery-status")
    assert "failed (dead letter)" in delivery and "4 attempt(s)" in delivery and "manual queue" in delivery

    log = client.get(f"/deliveries/referrals/{dead.referral_id}").text
    assert log.count("http_503") == 4 and "Replay this delivery" in log

    alerts = client.get("/alerts").text
    assert "a delivery failed for good" in _table(alerts, "alerts") and "Brianna" not in alerts

    receiver.default = Reply(200)
    replayed = client.post(
        f"/deliveries/{dead.id}/replay", data={"csrf_token": login.csrf_token}, follow_redirects=False
    )
    assert replayed.status_code == 303
    assert replayed.headers["location"] == f"/deliveries/referrals/{dead.referral_id}?done=replayed"
    assert "Sent again" in client.get(replayed.headers["location"]).text
    [event] = _events(session, "webhook_delivery.replayed")
    assert event.actor_id == str(login.user.id) and event.subject_id == str(dead.id)
    deliver_until(dispatcher, lambda: any(d.status == "delivered" for d in partners.deliveries()))
    assert "No dead letters." in client.get("/deliveries").text
    assert failed_decision not in client.get("/decisions?delivery_failed=yes").text
    again = client.post(f"/deliveries/{dead.id}/replay", data={"csrf_token": login.csrf_token})
    assert again.status_code == 409 and "replayed already" in again.text

    # Acknowledged once someone is on it: it leaves the open list and says who.
    alert_id = re.search(r'action="/alerts/([0-9a-f-]{36})/acknowledge"', alerts).group(1)
    done = client.post(
        f"/alerts/{alert_id}/acknowledge", data={"csrf_token": login.csrf_token}, follow_redirects=False
    )
    assert done.status_code == 303 and "Nothing to act on." in client.get("/alerts").text
    assert login.user.username in _table(client.get("/alerts?show=all").text, "alerts")
    assert _events(session, "alert.acknowledged")[0].actor_id == str(login.user.id)


def test_a_disabled_endpoint_is_enabled_again_and_a_failing_one_replayed_since_a_time(
    partners, dispatcher, receiver, session, client, sign_in, settings
):
    gone = partners.register("cps-tx")
    partners.submit()
    receiver.script(Reply(410))
    deliver_until(dispatcher, lambda: _all(partners, "held"))
    login = sign_in("supervisor")

    attention = _table(client.get("/deliveries").text, "endpoints-attention")
    assert "cps-tx" in attention and "disabled</strong> (gone)" in attention
    endpoints = client.get("/deliveries/endpoints?status=disabled").text
    assert f'action="/deliveries/endpoints/{gone.id}/enable"' in endpoints
    refused = client.post(
        f"/deliveries/endpoints/{gone.id}/replay",
        data={"csrf_token": login.csrf_token, "since": "2026-11-01T00:00"},
    )
    assert refused.status_code == 409 and "enable it first" in refused.text

    enabled = client.post(
        f"/deliveries/endpoints/{gone.id}/enable",
        data={"csrf_token": login.csrf_token},
        follow_redirects=False,
    )
    assert enabled.status_code == 303 and "Endpoint enabled" in client.get(enabled.headers["location"]).text
    session.refresh(gone)
    assert gone.status == "active"
    [event] = _events(session, "webhook_endpoint.enabled")
    assert event.actor_id == str(login.user.id) and event.detail["released"] == 1
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))

    # Two more tips whose deliveries fail for good, then one replay of everything since an hour ago.
    receiver.default = Reply(500)
    partners.submit()
    partners.submit()
    deliver_until(dispatcher, lambda: len(partners.deliveries(status="failed")) == 2)
    receiver.default = Reply(200)
    since = (utcnow() - timedelta(hours=1)).astimezone(ZoneInfo(settings.display_timezone))
    bad = client.post(
        f"/deliveries/endpoints/{gone.id}/replay", data={"csrf_token": login.csrf_token, "since": "yesterday"}
    )
    assert bad.status_code == 422 and "date and time" in bad.text
    replayed = client.post(
        f"/deliveries/endpoints/{gone.id}/replay",
        data={"csrf_token": login.csrf_token, "since": since.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=False,
    )
    assert replayed.status_code == 303 and replayed.headers["location"] == "/deliveries/endpoints?replayed=2"
    assert "2 deliveries sent again." in client.get(replayed.headers["location"]).text
    [event] = _events(session, "webhook_endpoint.replayed")
    assert event.actor_id == str(login.user.id) and event.detail["replayed"] == 2
    deliver_until(dispatcher, lambda: len(receiver.ok()) == 3)


def test_the_reports_show_the_time_to_partner_acknowledgement(
    partners, dispatcher, receiver, session, client, sign_in, make_api_key
):
    partners.register("cps-tx")
    tip = partners.submit()
    deliver_until(dispatcher, lambda: _all(partners, "delivered"))
    referral = session.exec(
        select(Referral).where(Referral.tip_id == tip.id, Referral.agency_id == "cps-tx")
    ).one()
    partner_key = make_api_key(Role.partner, agency_id="cps-tx")
    ack = client.post(
        f"/api/v1/referrals/{referral.id}/ack",
        json={"status": "accepted"},
        headers={"Authorization": f"Bearer {partner_key}"},
    )
    assert ack.status_code == 200, ack.text
    sign_in("supervisor")
    page = client.get("/reports").text
    assert 'id="figure-referrals">2</span>' in page  # cps-tx (webhook) and le-tx (manual queue)
    assert 'id="figure-acknowledged">1</span>' in page
    assert "Time from referral to the agency&#39;s acknowledgement, per day" in page  # the chart's title
    assert "accepted: 1" in page and "manual: 1" in page and "webhook: 1" in page


def test_unknown_deliveries_endpoints_referrals_and_alerts_get_a_not_found_page(client, sign_in, session):
    login = sign_in("supervisor")
    assert (
        session.exec(select(WebhookDelivery)).all() == []
        and session.exec(select(WebhookEndpoint)).all() == []
    )
    for url in ("/deliveries/referrals/nope", f"/deliveries/referrals/{uuid.uuid4()}"):
        response = client.get(url)
        assert response.status_code == 404 and "<h1>Page not found</h1>" in response.text, url
    for url in (
        f"/deliveries/{uuid.uuid4()}/replay",
        f"/deliveries/endpoints/{uuid.uuid4()}/enable",
        f"/deliveries/endpoints/{uuid.uuid4()}/replay",
        f"/alerts/{uuid.uuid4()}/acknowledge",
        "/alerts/x/acknowledge",
    ):
        response = client.post(url, data={"csrf_token": login.csrf_token, "since": "2026-11-01T00:00"})
        assert response.status_code == 404 and "<h1>Page not found</h1>" in response.text, url
    assert "Every endpoint is delivering." in client.get("/deliveries").text
    assert "No endpoints are registered" in client.get("/deliveries/endpoints").text
