"""Re-assessing a triaged tip whose content grew: new reading, same case, audited."""

from __future__ import annotations

import uuid

import pytest

from hotline.cases.models import Case
from hotline.core.actor import system_actor
from hotline.core.audit import service as audit_service
from hotline.core.database import utcnow
from hotline.intake import flows as intake_flows
from hotline.tips import service as tip_service
from hotline.tips.models import Tip, TipPerson
from hotline.tips.schemas import TipIn
from tests.support.factories import tip_payload

ACTOR = system_actor("tests")


def _submitted(session, settings, **overrides) -> Tip:
    tip_in = TipIn.model_validate(tip_payload(**overrides))
    return intake_flows.submit_tip(session=session, settings=settings, tip_in=tip_in, actor=ACTOR).tip


def test_retriage_takes_the_new_reading_keeps_the_case_and_is_audited(session, settings):
    tip = _submitted(
        session,
        settings,
        persons=[],
        narrative="Years ago my cousin was made to work at a farm without pay.",
        location=None,
    )
    first = dict(tip.triage)
    case_id = uuid.UUID(first["case"]["id"])
    assert (tip.minor_status, tip.urgency) == ("unknown", "normal")

    # What the texter added later: the victim's age, and that she is in danger now.
    tip.persons.append(TipPerson(position=0, role="victim", age=15))
    tip.immediate_danger = True
    session.commit()
    result = intake_flows.retriage_tip(
        session=session, settings=settings, tip=tip, actor=ACTOR, reason="sms session message"
    )

    assert (result.minor.status, result.urgency) == ("confirmed", "emergency")
    assert (tip.minor_status, tip.urgency, tip.status) == ("confirmed", "emergency", "triaged")
    assert tip.triage["case"] == first["case"] and result.case.id == case_id
    case = session.get(Case, case_id)
    assert (case.minor_status, case.urgency) == ("confirmed", "emergency")
    [event] = [
        e
        for e in audit_service.events_for(session, subject_type="tip", subject_id=tip.id)
        if e.action == "tip.retriaged"
    ]
    assert event.detail["reason"] == "sms session message"
    assert event.detail["minor_status"] == {"before": "unknown", "after": "confirmed"}
    assert event.detail["urgency"] == {"before": "normal", "after": "emergency"}


def test_retriage_of_a_tip_never_triaged_triages_it(session, settings):
    tip, _ = tip_service.create_tip(session=session, tip_in=TipIn.model_validate(tip_payload()), actor=ACTOR)
    session.commit()
    result = intake_flows.retriage_tip(session=session, settings=settings, tip=tip, actor=ACTOR)
    assert tip.status == "triaged" and result.case.action == "new"


def test_a_contact_without_content_is_not_retriaged(session, settings):
    tip, _ = tip_service.store_tip(
        session=session,
        tip=Tip(
            channel="phone",
            external_id="CA-contact",
            received_at=utcnow(),
            status="contact",
            contact_outcome="hang_up",
            created_by="tests",
        ),
        actor=ACTOR,
    )
    session.commit()
    with pytest.raises(ValueError, match="contact"):
        intake_flows.retriage_tip(session=session, settings=settings, tip=tip, actor=ACTOR)


def _decisions(session, tip_id):
    from sqlmodel import select

    from hotline.decisions.models import RoutingDecision

    return session.exec(
        select(RoutingDecision).where(RoutingDecision.tip_id == tip_id).order_by(RoutingDecision.decided_at)
    ).all()


def test_retriage_routes_again_when_what_the_rules_see_changed(session, settings):
    tip = _submitted(
        session,
        settings,
        persons=[],
        narrative="Please help, someone is being sold.",
        location=None,
        reporter=None,
    )
    first = tip.triage["routing"]
    assert [target["agency_id"] for target in first["targets"]] == ["national"]

    # A later text says where she is and how old: the state's CPS must now get the report.
    tip.location_state, tip.location_country = "TX", "US"
    tip.persons.append(TipPerson(position=0, role="victim", age=15))
    session.commit()
    result = intake_flows.retriage_tip(
        session=session, settings=settings, tip=tip, actor=ACTOR, reason="sms session message"
    )

    assert result.routing.decision_id != uuid.UUID(first["decision_id"])
    assert "cps-tx" in [target.agency_id for target in result.routing.targets]
    assert [decision.id for decision in _decisions(session, tip.id)] == [
        uuid.UUID(first["decision_id"]),
        result.routing.decision_id,
    ]


def test_retriage_keeps_the_decision_when_nothing_the_rules_see_changed(session, settings):
    tip = _submitted(session, settings)
    before = tip.triage["routing"]["decision_id"]
    tip.narrative += " She said the man drives a blue car."
    session.commit()
    result = intake_flows.retriage_tip(
        session=session, settings=settings, tip=tip, actor=ACTOR, reason="sms session message"
    )
    assert str(result.routing.decision_id) == before
    assert len(_decisions(session, tip.id)) == 1


def test_what_a_grown_tip_names_is_filed_for_later_matching(session, settings):
    from hotline.matching import service as matching_service

    tip = _submitted(
        session, settings, persons=[], narrative="Please help, a girl is being sold.", reporter=None
    )
    case_id = uuid.UUID(tip.triage["case"]["id"])
    later = TipIn.model_validate(
        tip_payload(
            persons=[{"role": "victim", "name": "Yesenia Garza Olvera", "age": 15, "phone": "956-555-0144"}]
        )
    )
    # Before the texter names her, a report naming her finds nothing to match.
    assert (
        matching_service.match_profile(
            session,
            matching_service.normalize.tip_profile(tip_service.build_tip(tip_in=later, actor=ACTOR)),
            settings=settings,
        ).candidates
        == []
    )

    tip.persons.append(
        TipPerson(position=0, role="victim", name="Yesenia Garza Olvera", age=15, phone="956-555-0144")
    )
    session.commit()
    intake_flows.retriage_tip(
        session=session, settings=settings, tip=tip, actor=ACTOR, reason="sms session message"
    )

    found = matching_service.match_profile(
        session,
        matching_service.normalize.tip_profile(tip_service.build_tip(tip_in=later, actor=ACTOR)),
        settings=settings,
    )
    assert [candidate.case_id for candidate in found.candidates] == [case_id]
