"""The outbox: referrals and their events are written with the decision that causes them, never sent inside
the request, and follow overrides and re-assessments; each partner gets only the fields it may have."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, func, select

from hotline.agencies.models import Agency
from hotline.core.audit import service as audit_service
from hotline.decisions import service as decision_service
from hotline.decisions.models import OverrideIn, RoutingDecision
from hotline.intake import flows as intake_flows
from hotline.referrals import flows as referral_flows
from hotline.referrals import service as referral_service
from hotline.referrals.models import Referral
from hotline.tips import service as tip_service
from hotline.tips.models import TipPerson
from hotline.tips.schemas import TipIn
from integrations.webhooks.models import WebhookDelivery
from routing import facts as routing_facts
from tests.support.factories import tip_payload
from tests.support.webhooks import ACTOR, MINOR_TARGETS, adult_tip


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_every_target_gets_a_referral_and_only_agencies_with_an_endpoint_get_a_delivery(partners, session):
    partners.register("cps-tx")
    tip = partners.submit()

    referrals = partners.referrals(tip)
    assert set(referrals) == MINOR_TARGETS
    cps, le = referrals["cps-tx"], referrals["le-tx"]
    assert (cps.channel, cps.status, cps.priority, cps.sla_minutes) == ("webhook", "pending", "high", 60)
    assert cps.sla_due_at == cps.created_at + timedelta(minutes=60)
    # le-tx has no endpoint: its referral waits in the manual queue, with the same SLA.
    assert (le.channel, le.status) == ("manual", "pending") and le.sla_due_at is not None
    [delivery] = partners.deliveries()
    assert (delivery.event_type, delivery.agency_id, delivery.status) == (
        "referral.created",
        "cps-tx",
        "pending",
    )
    assert delivery.message_id == f"msg_{delivery.id.hex}"
    decision = session.get(RoutingDecision, cps.decision_id)
    assert decision.tip_id == tip.id and {r.decision_id for r in referrals.values()} == {decision.id}
    # Nothing is sent while the tip is being taken: only the worker sends.
    assert partners.receiver.received == []
    created = audit_service.events_for(session, subject_type="referral", subject_id=cps.id)
    assert [event.action for event in created] == ["referral.created"]


def test_the_referrals_and_deliveries_commit_or_roll_back_with_the_decision(partners, session):
    partners.register("cps-tx")
    tip, _ = tip_service.create_tip(session=session, tip_in=TipIn.model_validate(tip_payload()), actor=ACTOR)
    session.commit()
    facts = routing_facts.RoutingFacts(state="TX", minor_status="confirmed", trafficking_type="sex")
    nested = session.begin_nested()
    decision = decision_service.route_tip(session=session, tip=tip, case_id=None, facts=facts, actor=ACTOR)
    referral_service.follow_decision(
        session=session, settings=partners.settings, decision=decision, actor=ACTOR
    )
    session.flush()
    assert (
        _count(session, RoutingDecision),
        _count(session, Referral),
        _count(session, WebhookDelivery),
    ) == (
        1,
        2,
        1,
    )
    nested.rollback()
    assert (
        _count(session, RoutingDecision),
        _count(session, Referral),
        _count(session, WebhookDelivery),
    ) == (
        0,
        0,
        0,
    )


def test_a_tip_submitted_through_the_api_is_answered_before_anything_is_sent(partners, client, auth):
    partners.register("cps-tx")
    response = client.post("/api/v1/tips", json=tip_payload(), headers=auth("advocate"))
    assert response.status_code == 201
    assert partners.receiver.received == []
    [delivery] = partners.deliveries()
    assert delivery.status == "pending" and delivery.attempts == 0


def test_an_override_creates_referrals_for_added_agencies_and_withdraws_removed_ones(partners, session):
    for agency_id in ("cps-tx", "le-tx", "services-tx"):
        partners.register(agency_id)
    tip = partners.submit()
    before = partners.referrals(tip)
    referral_flows.override_decision(
        session=session,
        settings=partners.settings,
        decision_id=before["cps-tx"].decision_id,
        override_in=OverrideIn(
            targets=[
                {"agency_id": "cps-tx", "priority": "high", "sla_minutes": 60},
                {"agency_id": "services-tx", "priority": "normal", "sla_minutes": 240},
            ],
            reason="law enforcement already has this case from another report",
        ),
        actor=ACTOR,
    )
    session.commit()

    after = partners.referrals(tip)
    assert after["cps-tx"].id == before["cps-tx"].id and after["cps-tx"].sequence == 1  # unchanged: no event
    assert after["le-tx:withdrawn"].id == before["le-tx"].id
    assert after["le-tx:withdrawn"].withdrawn_reason == "overridden"
    assert (after["services-tx"].origin, after["services-tx"].sla_minutes) == ("override", 240)
    events = sorted((d.agency_id, d.event_type) for d in partners.deliveries())
    assert events == [
        ("cps-tx", "referral.created"),
        ("le-tx", "referral.created"),
        ("le-tx", "referral.withdrawn"),
        ("services-tx", "referral.created"),
    ]
    withdrawn = json.loads(partners.deliveries(event_type="referral.withdrawn")[0].body)
    assert withdrawn["data"]["reason"] == "overridden" and withdrawn["data"]["sequence"] == 2
    assert "tip" not in withdrawn["data"]


def test_a_reassessment_creates_updates_and_withdraws(partners, session):
    for agency_id in ("cps-tx", "le-tx", "services-tx"):
        partners.register(agency_id)
    # An adult who consents to a police report: victim services and law enforcement.
    tip = partners.submit(adult_tip(consent_to_report=True, trafficking_type="sex"))
    first = partners.referrals(tip)
    assert set(first) == {"services-tx", "le-tx"} and first["le-tx"].priority == "normal"
    le_id, first_decision_id = first["le-tx"].id, first["le-tx"].decision_id

    # A later text: she is 15.
    person = session.exec(select(TipPerson).where(TipPerson.tip_id == tip.id)).one()
    person.age = 15
    session.commit()
    intake_flows.retriage_tip(
        session=session, settings=partners.settings, tip=tip, actor=ACTOR, reason="sms session message"
    )

    second = partners.referrals(tip)
    assert set(second) == {"cps-tx", "le-tx", "services-tx:withdrawn"}
    kept = second["le-tx"]
    assert kept.id == le_id and kept.decision_id != first_decision_id
    assert (kept.priority, kept.sla_minutes, kept.sequence) == ("high", 60, 2)
    assert kept.sla_due_at <= kept.updated_at + timedelta(minutes=60)
    assert second["services-tx:withdrawn"].withdrawn_reason == "reassessed"
    events = {(d.agency_id, d.event_type) for d in partners.deliveries()}
    assert events == {
        ("services-tx", "referral.created"),
        ("le-tx", "referral.created"),
        ("le-tx", "referral.updated"),
        ("services-tx", "referral.withdrawn"),
        ("cps-tx", "referral.created"),
    }
    updated = json.loads(partners.deliveries(event_type="referral.updated")[0].body)
    assert updated["data"]["tip"]["minor"] == {"status": "confirmed", "min_age": 15}


def test_a_services_partner_of_an_adult_case_gets_no_names_phones_or_narrative(partners):
    partners.register("services-tx")
    tip = partners.submit(adult_tip())
    assert set(partners.referrals(tip)) == {"services-tx"}
    [delivery] = partners.deliveries()
    data = json.loads(delivery.body)["data"]["tip"]
    for absent in ("narrative", "reporter", "tip_id"):
        assert absent not in data
    assert data["persons"] == [
        {"role": "victim", "age": 34, "gender": "female", "nationality": None, "language": None}
    ]
    for secret_text in ("Rosa", "Delgado", "Janelle", "713-555", "passport"):
        assert secret_text not in delivery.body


def test_an_endpoint_narrows_its_agreement_further_and_anonymous_reporters_stay_anonymous(partners, session):
    partners.register("cps-tx", fields=["case_id", "urgency", "persons.age", "minor"])
    partners.register("le-tx")
    tip = partners.submit(
        reporter={
            "name": "Janelle Porter",
            "phone": "713-555-0101",
            "relationship": "neighbor",
            "anonymous": True,
        }
    )
    bodies = {d.agency_id: json.loads(d.body)["data"]["tip"] for d in partners.deliveries()}
    assert set(bodies["cps-tx"]) == {"case_id", "urgency", "persons", "minor"}
    assert bodies["cps-tx"]["persons"] == [{"age": 15}, {"age": None}]
    # Law enforcement's agreement includes the reporter; an anonymous reporter is still not named.
    assert bodies["le-tx"]["reporter"] == {
        "name": None,
        "phone": None,
        "email": None,
        "relationship": "neighbor",
        "anonymous": True,
    }
    assert bodies["le-tx"]["persons"][0]["name"] == tip.persons[0].name
    assert session.get(Agency, "cps-tx").channels[-1] == {"type": "webhook"}


def test_a_disabled_endpoints_new_deliveries_are_held(partners, session):
    endpoint = partners.register("cps-tx")
    endpoint.status = "disabled"
    session.commit()
    partners.submit()
    [delivery] = partners.deliveries()
    assert delivery.status == "held"
    assert _count(session, Referral) == 2
    assert (
        session.exec(select(Referral.channel).where(col(Referral.agency_id) == "cps-tx")).one() == "webhook"
    )
