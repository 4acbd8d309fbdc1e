"""Acknowledgements: a partner sees and answers only its own referrals; a decline sends the case on (the
rules' next target, or the national queue) and `referral.withdrawn` to the decliner; a referral not answered
within its SLA is escalated, and rerouted when its rule says so. Supervisors work the manual queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from hotline.core.actor import Role
from hotline.core.audit import service as audit_service
from hotline.decisions import service as decision_service
from hotline.referrals import flows as referral_flows
from hotline.referrals import service as referral_service
from hotline.referrals.models import Referral, SupervisorAlert
from tests.support.webhooks import ACTOR, MINOR_TARGETS, adult_tip, deliver_until

DECLINE_RULES = """
ruleset: decline-test
description: A minor goes to CPS; when CPS declines, to the state's victim services.
hit_policy: collect
rules:
  - id: minor-cps
    description: A minor is involved — CPS, then victim services if CPS declines.
    when: {minor_involved: true}
    then: {route: [{state_agency: cps}], priority: high, sla_minutes: 60, next: [{state_agency: services}]}
  - id: fallback
    description: Nothing else routed the tip — the national queue.
    fallback: true
    then: {route: [national], priority: high, sla_minutes: 60, review: true}
"""


def test_next_and_escalate_are_checked_when_a_ruleset_is_validated():
    from routing.directory import shipped_directory
    from routing.engine import check_ruleset

    agencies = shipped_directory().kinds()
    engine, problems = check_ruleset(DECLINE_RULES, file="decline.yaml", agencies=agencies)
    assert engine is not None and problems == []
    rule = engine.all_rules[0]
    assert (rule.escalate, [spec.describe() for spec in rule.next_targets]) == (
        "alert",
        ["services of the state"],
    )
    broken = DECLINE_RULES.replace("next: [{state_agency: services}]", "next: [nowhere], escalate: maybe")
    _, problems = check_ruleset(broken, file="decline.yaml", agencies=agencies)
    messages = [problem.message for problem in problems]
    assert any("no agency 'nowhere'" in message for message in messages)
    assert any("escalate is one of alert, reroute" in message for message in messages)


def _key(make_api_key, agency_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_api_key(Role.partner, agency_id=agency_id)}"}


def _alerts(session) -> list[SupervisorAlert]:
    session.expire_all()
    return list(session.exec(select(SupervisorAlert).order_by(SupervisorAlert.created_at)).all())


def test_a_partner_lists_and_reads_only_its_own_referrals(partners, client, make_api_key):
    partners.register("cps-tx")
    tip = partners.submit()
    other_tip = partners.submit(adult_tip())
    referrals = partners.referrals(tip)
    cps = _key(make_api_key, "cps-tx")

    page = client.get("/api/v1/referrals", headers=cps).json()
    assert [item["id"] for item in page["items"]] == [str(referrals["cps-tx"].id)]
    item = page["items"][0]
    assert (item["agency_id"], item["status"], item["channel"], item["priority"]) == (
        "cps-tx",
        "pending",
        "webhook",
        "high",
    )
    assert item["case_id"] and item["tip_id"] == str(tip.id)
    assert client.get("/api/v1/referrals?status=accepted", headers=cps).json()["items"] == []
    assert client.get(f"/api/v1/referrals/{referrals['cps-tx'].id}", headers=cps).status_code == 200
    # Another agency's referral, or one that does not exist: the same 404.
    for foreign in (referrals["le-tx"].id, partners.referrals(other_tip)["services-tx"].id, uuid.uuid4()):
        assert client.get(f"/api/v1/referrals/{foreign}", headers=cps).status_code == 404
        ack = client.post(f"/api/v1/referrals/{foreign}/ack", json={"status": "accepted"}, headers=cps)
        assert ack.status_code == 404
    assert partners.referrals(tip)["le-tx"].status == "pending"


def test_a_services_partner_does_not_see_the_tip_id_its_agreement_leaves_out(partners, client, make_api_key):
    tip = partners.submit(adult_tip())
    services = _key(make_api_key, "services-tx")
    [item] = client.get("/api/v1/referrals", headers=services).json()["items"]
    assert item["tip_id"] is None and item["case_id"] is not None
    assert partners.referrals(tip)["services-tx"].channel == "manual"


def test_accepting_is_recorded_audited_and_idempotent(partners, client, make_api_key, session):
    partners.register("cps-tx")
    tip = partners.submit()
    referral_id = partners.referrals(tip)["cps-tx"].id
    cps = _key(make_api_key, "cps-tx")

    first = client.post(f"/api/v1/referrals/{referral_id}/ack", json={"status": "accepted"}, headers=cps)
    assert first.status_code == 200
    assert first.json()["referral"]["status"] == "accepted" and first.json()["rerouted_to"] is None
    again = client.post(f"/api/v1/referrals/{referral_id}/ack", json={"status": "accepted"}, headers=cps)
    assert again.status_code == 200 and again.json()["referral"] == first.json()["referral"]
    referral = partners.referrals(tip)["cps-tx"]
    assert referral.acknowledged_at is not None and referral.acknowledged_by.startswith("api_key:")
    actions = [
        e.action for e in audit_service.events_for(session, subject_type="referral", subject_id=referral_id)
    ]
    assert actions == ["referral.created", "referral.accepted"]


def test_bad_acknowledgements_are_refused_with_the_field_and_why(partners, client, make_api_key):
    partners.register("cps-tx")
    tip = partners.submit()
    url = f"/api/v1/referrals/{partners.referrals(tip)['cps-tx'].id}/ack"
    cps = _key(make_api_key, "cps-tx")
    no_reason = client.post(url, json={"status": "declined"}, headers=cps)
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["field"] == "reason"
    bad_status = client.post(url, json={"status": "maybe"}, headers=cps)
    assert bad_status.status_code == 422 and bad_status.json()["detail"][0]["field"] == "status"
    assert client.post(url, json={"status": "accepted", "extra": 1}, headers=cps).status_code in {200, 422}


def test_a_decline_goes_to_the_national_queue_and_withdraws_the_decliners_copy(
    partners, client, make_api_key, dispatcher, receiver, session
):
    partners.register("cps-tx")
    tip = partners.submit()
    referral_id = partners.referrals(tip)["cps-tx"].id
    deliver_until(dispatcher, lambda: len(receiver.ok()) == 1)

    response = client.post(
        f"/api/v1/referrals/{referral_id}/ack",
        json={"status": "declined", "reason": "the child lives in Louisiana; not our jurisdiction"},
        headers=_key(make_api_key, "cps-tx"),
    )
    assert response.status_code == 200
    assert response.json()["rerouted_to"] == "national"
    assert response.json()["referral"]["status"] == "declined"

    after = partners.referrals(tip)
    national = after["national"]
    assert (national.origin, national.rerouted_from_id, national.channel) == (
        "decline",
        referral_id,
        "manual",
    )
    assert (national.priority, national.sla_minutes) == ("high", 60)
    assert after["cps-tx:declined"].ack_reason.startswith("the child lives")
    deliver_until(dispatcher, lambda: len(receiver.ok()) == 2)
    withdrawn = receiver.events("referral.withdrawn")[0]
    assert withdrawn.data["reason"] == "declined" and withdrawn.data["status"] == "declined"
    assert withdrawn.data["sequence"] == 2
    [alert] = _alerts(session)
    assert alert.kind == "referral_declined" and "national" in alert.summary
    assert "Louisiana" not in alert.summary  # the reason stays in the protected column
    [event] = [
        e
        for e in audit_service.events_for(session, subject_type="referral", subject_id=referral_id)
        if e.action == "referral.declined"
    ]
    assert event.detail["reason_chars"] > 0 and "reason" not in event.detail

    # A declined referral stays declined.
    accept = client.post(
        f"/api/v1/referrals/{referral_id}/ack",
        json={"status": "accepted"},
        headers=_key(make_api_key, "cps-tx"),
    )
    assert accept.status_code == 409


def test_a_decline_follows_the_rules_next_target(partners, client, make_api_key, session):
    decision_service.publish_ruleset(
        session=session, text=DECLINE_RULES, source="decline.yaml", author="tests", actor=ACTOR
    )
    session.commit()
    partners.register("services-tx")
    tip = partners.submit()
    assert set(partners.referrals(tip)) == {"cps-tx"}
    referral_id = partners.referrals(tip)["cps-tx"].id
    response = client.post(
        f"/api/v1/referrals/{referral_id}/ack",
        json={"status": "declined", "reason": "no open CPS case criteria met"},
        headers=_key(make_api_key, "cps-tx"),
    )
    assert response.json()["rerouted_to"] == "services-tx"
    services = partners.referrals(tip)["services-tx"]
    assert (services.channel, services.origin) == ("webhook", "decline")
    [delivery] = partners.deliveries(agency_id="services-tx")
    assert delivery.event_type == "referral.created"

    # And when the next target declines too: the national queue.
    second = client.post(
        f"/api/v1/referrals/{services.id}/ack",
        json={"status": "declined", "reason": "we do not serve minors"},
        headers=_key(make_api_key, "services-tx"),
    )
    assert second.json()["rerouted_to"] == "national"
    assert partners.referrals(tip)["national"].rerouted_from_id == services.id


def test_a_withdrawn_referral_cannot_be_acknowledged(partners, client, make_api_key, session):
    partners.register("le-tx")
    tip = partners.submit()
    referral = partners.referrals(tip)["le-tx"]
    referral_flows.override_decision(
        session=session,
        settings=partners.settings,
        decision_id=referral.decision_id,
        override_in=decision_service.OverrideIn(
            targets=[{"agency_id": "cps-tx", "priority": "high", "sla_minutes": 60}],
            reason="not a law-enforcement matter after the follow-up call",
        ),
        actor=ACTOR,
    )
    session.commit()
    response = client.post(
        f"/api/v1/referrals/{referral.id}/ack",
        json={"status": "accepted"},
        headers=_key(make_api_key, "le-tx"),
    )
    assert response.status_code == 409 and "withdrawn" in response.json()["detail"]


def test_a_referral_not_acknowledged_within_its_sla_is_escalated(partners, session, client, make_api_key):
    partners.register("cps-tx")
    tip = partners.submit()
    cps = partners.referrals(tip)["cps-tx"]
    created = cps.created_at

    assert (
        referral_service.escalate_overdue(
            session=session, settings=partners.settings, now=created + timedelta(minutes=59)
        )
        == 0
    )
    assert (
        referral_service.escalate_overdue(
            session=session, settings=partners.settings, now=created + timedelta(minutes=61)
        )
        == 2
    )
    after = partners.referrals(tip)
    assert {after[a].status for a in MINOR_TARGETS} == {"escalated"}
    alerts = _alerts(session)
    assert sorted(alert.agency_id for alert in alerts) == ["cps-tx", "le-tx"]
    assert {alert.kind for alert in alerts} == {"referral_sla_breached"}
    manual = next(alert for alert in alerts if alert.agency_id == "le-tx")
    assert "(manual)" in manual.summary and "60 minutes" in manual.summary
    # minor-cps says nothing about rerouting: an alert only.
    assert "national" not in partners.referrals(tip)
    # Escalated once, not again.
    assert (
        referral_service.escalate_overdue(
            session=session, settings=partners.settings, now=created + timedelta(hours=5)
        )
        == 0
    )

    # A late answer is still taken.
    late = client.post(
        f"/api/v1/referrals/{cps.id}/ack", json={"status": "accepted"}, headers=_key(make_api_key, "cps-tx")
    )
    assert late.status_code == 200 and late.json()["referral"]["escalated_at"] is not None
    [event] = [
        e
        for e in audit_service.events_for(session, subject_type="referral", subject_id=cps.id)
        if e.action == "referral.accepted"
    ]
    assert event.detail["late"] is True


def test_an_emergency_not_acknowledged_in_15_minutes_also_goes_to_the_national_queue(partners, session):
    tip = partners.submit(immediate_danger=True)
    referrals = partners.referrals(tip)
    assert {r.priority for r in referrals.values()} == {"emergency"}
    assert {r.sla_minutes for r in referrals.values()} == {15}
    created = min(r.created_at for r in referrals.values())
    assert (
        referral_service.escalate_overdue(
            session=session, settings=partners.settings, now=created + timedelta(minutes=16)
        )
        == 2
    )

    after = partners.referrals(tip)
    national = after["national"]
    assert (national.origin, national.priority, national.sla_minutes) == ("escalation", "emergency", 15)
    assert national.rerouted_from_id in {referrals["cps-tx"].id, referrals["le-tx"].id}
    summaries = [alert.summary for alert in _alerts(session)]
    assert any("also sent to national" in summary for summary in summaries)
    assert any("national has the case already" in summary for summary in summaries)


def test_supervisors_see_the_manual_queue_and_record_an_agencys_answer(partners, client, auth, session):
    tip = partners.submit()
    supervisor = auth("supervisor")
    queue = client.get("/api/v1/delivery/referrals?channel=manual&status=pending", headers=supervisor).json()
    assert {item["agency_id"] for item in queue["items"]} == MINOR_TARGETS
    le = partners.referrals(tip)["le-tx"]

    recorded = client.post(
        f"/api/v1/delivery/referrals/{le.id}/outcome",
        json={"status": "accepted", "reason": "reported by phone to the state police intake"},
        headers=supervisor,
    )
    assert recorded.status_code == 200
    body = recorded.json()["referral"]
    assert body["status"] == "accepted" and body["acknowledged_by"].startswith("api_key:")
    # Recorded twice (a double click, a retry): the same answer, nothing changes (found by the API fuzzing).
    again = client.post(
        f"/api/v1/delivery/referrals/{le.id}/outcome", json={"status": "accepted"}, headers=supervisor
    )
    assert again.status_code == 200, again.text
    assert again.json()["referral"] == body
    queue = client.get("/api/v1/delivery/referrals?channel=manual&status=pending", headers=supervisor).json()
    assert {item["agency_id"] for item in queue["items"]} == {"cps-tx"}
    overdue = client.get("/api/v1/delivery/referrals?overdue=true", headers=supervisor).json()
    assert overdue["items"] == []
    [event] = [
        e
        for e in audit_service.events_for(session, subject_type="referral", subject_id=le.id)
        if e.action == "referral.accepted"
    ]
    assert event.detail["on_behalf"] is True


def test_supervisors_list_and_acknowledge_alerts(partners, client, auth, session):
    partners.register("cps-tx")
    tip = partners.submit()
    referral = partners.referrals(tip)["cps-tx"]
    referral_service.escalate_overdue(
        session=session, settings=partners.settings, now=referral.created_at + timedelta(hours=2)
    )
    supervisor = auth("supervisor")
    alerts = client.get("/api/v1/alerts?kind=referral_sla_breached", headers=supervisor).json()["items"]
    assert len(alerts) == 2
    acked = client.post(f"/api/v1/alerts/{alerts[0]['id']}/acknowledge", headers=supervisor)
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    assert len(client.get("/api/v1/alerts", headers=supervisor).json()["items"]) == 1
    assert len(client.get("/api/v1/alerts?open=false&limit=1", headers=supervisor).json()["items"]) == 1
    assert client.post(f"/api/v1/alerts/{uuid.uuid4()}/acknowledge", headers=supervisor).status_code == 404
    assert session.exec(select(Referral)).all()
