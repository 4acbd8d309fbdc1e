"""Intake: the one path every channel takes from a submitted tip to a triaged, routed, referred tip.

The tip is committed before anything slow happens, so an acknowledged tip is never lost: if triage fails or
the process dies, the tip stays 'received' and recovery (`triage_pending`, a worker job) finishes it.

Triage of a stored tip (classify, resolve jurisdiction, place in a case, route, refer) is deterministic given
the tip, the store and the ruleset version, so a decision can be replayed. It runs in one transaction: the
case link, the assessment, the routing decision and its referrals commit together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from hotline.cases import service as case_service
from hotline.cases.models import Case
from hotline.core.actor import Actor, system_actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import is_postgres, utcnow
from hotline.decisions import service as decision_service
from hotline.intake.models import TriageResult
from hotline.matching import service as matching_service
from hotline.matching.models import CaseMatch
from hotline.referrals import service as referral_service
from hotline.tips import service as tip_service
from hotline.tips.models import Tip
from hotline.tips.schemas import TipIn
from hotline.triage import classify
from routing import facts as routing_facts
from routing import jurisdiction as routing_jurisdiction
from routing.outcome import RoutingOutcome

log = structlog.get_logger(__name__)


# Submitting a tip


@dataclass
class Submission:
    tip: Tip
    created: bool


def submit_tip(*, session: Session, settings: Settings, tip_in: TipIn, actor: Actor) -> Submission:
    """Store a tip (committed: it is durable from here on), then triage it."""
    tip, created = tip_service.create_tip(session=session, tip_in=tip_in, actor=actor)
    session.commit()
    triage_committed_tip(session=session, settings=settings, tip=tip, actor=actor)
    return Submission(tip=tip, created=created)


def triage_committed_tip(*, session: Session, settings: Settings, tip: Tip, actor: Actor) -> None:
    """Triage a tip that is already committed, if it awaits triage. A failure is logged and leaves the tip
    'received' for recovery: the caller's answer (an HTTP response, a Twilio reply) never depends on it."""
    if tip.status != "received":
        return
    # A new tip, or a resubmission of one whose triage was interrupted: triage it now.
    try:
        triage_tip(session=session, settings=settings, tip=tip, actor=actor)
    except Exception:
        session.rollback()
        log.exception("triage_failed", tip_id=str(tip.id))
        session.refresh(tip)


# Triage of a stored tip


def _lock_tip(session: Session, tip_id: uuid.UUID) -> Tip | None:
    """The tip, locked against a concurrent triage of the same tip (PostgreSQL; SQLite writers are serial)."""
    query = select(Tip).where(Tip.id == tip_id)
    if is_postgres(session):
        query = query.with_for_update()
    return session.exec(query).first()


def _lock_untriaged(session: Session, tip_id: uuid.UUID) -> Tip | None:
    """The tip, locked, or None if it was triaged already."""
    tip = _lock_tip(session, tip_id)
    if tip is None or tip.status != "received":
        return None
    return tip


def _assess(
    *,
    session: Session,
    settings: Settings,
    tip: Tip,
    case: Case,
    case_match: CaseMatch,
    actor: Actor,
    previous_routing: RoutingOutcome | None = None,
) -> TriageResult:
    """Classify the tip, resolve its jurisdiction, fold both into its case, and route it.

    A re-assessment (`previous_routing` given) routes again only when the facts the rules see changed, so a
    text that adds nothing new does not produce a new decision.
    """
    classification = classify.classify_tip(tip)
    jurisdiction = routing_jurisdiction.resolve_jurisdiction(tip)
    case_service.absorb_triage(
        case,
        minor_status=classification.minor.status,
        urgency=classification.urgency,
        state=jurisdiction.state,
        county=jurisdiction.county,
    )
    facts = routing_facts.build_facts(
        tip=tip,
        classification=classification,
        jurisdiction=jurisdiction,
        case_minor_status=case.minor_status,
        case_action=case_match.action,
    )
    routing = previous_routing
    if routing is None or decision_service.facts_changed(
        session=session, decision_id=routing.decision_id, facts=facts
    ):
        decision = decision_service.route_tip(
            session=session, tip=tip, case_id=case.id, facts=facts, actor=actor
        )
        referral_service.follow_decision(session=session, settings=settings, decision=decision, actor=actor)
        routing = decision_service.outcome_of(decision)
    result = TriageResult(
        tip_id=tip.id,
        external_id=tip.external_id,
        case=case_match,
        minor=classification.minor,
        trafficking_type=classification.trafficking_type,  # type: ignore[arg-type]
        trafficking_type_evidence=classification.trafficking_type_evidence,
        urgency=classification.urgency,  # type: ignore[arg-type]
        urgency_evidence=classification.urgency_evidence,
        jurisdiction=jurisdiction,
        routing=routing,
    )
    tip.triage = result.model_dump(mode="json")
    tip.status = "triaged"
    tip.minor_status = classification.minor.status
    tip.urgency = classification.urgency
    tip.updated_at = utcnow()
    return result


def triage_tip(*, session: Session, settings: Settings, tip: Tip, actor: Actor) -> TriageResult:
    """Triage a stored tip and commit. A tip already triaged is left alone and its stored result returned."""
    locked = _lock_untriaged(session, tip.id)
    if locked is None:
        session.refresh(tip)
        return TriageResult.model_validate(tip.triage)
    tip = locked

    case, case_match = matching_service.place_tip(session=session, settings=settings, tip=tip, actor=actor)
    result = _assess(
        session=session, settings=settings, tip=tip, case=case, case_match=case_match, actor=actor
    )
    tip.triaged_at = tip.updated_at
    audit_service.record(
        session,
        actor=actor,
        action="tip.triaged",
        subject_type="tip",
        subject_id=tip.id,
        detail={
            "case_id": str(case.id),
            "case_action": case_match.action,
            "minor_status": result.minor.status,
            "urgency": result.urgency,
            "trafficking_type": result.trafficking_type,
            "classifier": classify.CLASSIFIER_VERSION,
            "state": result.jurisdiction.state,
            "jurisdiction_source": result.jurisdiction.source,
            "routing_decision_id": str(result.routing.decision_id) if result.routing else None,
        },
    )
    session.commit()
    return result


def retriage_tip(
    *, session: Session, settings: Settings, tip: Tip, actor: Actor, reason: str = "content changed"
) -> TriageResult:
    """Assess a triaged tip again after its content grew (a later text in an SMS session, a late voicemail
    transcript), and commit. The tip keeps its case (what it now names is filed under that case for later
    matching); the case takes the new reading if it is more serious.

    The one place a stored tip is re-assessed; it is routed again when what the rules see changed (a location
    or an age arrives in a later text). A tip not yet triaged is simply triaged.
    """
    locked = _lock_tip(session, tip.id)
    if locked is None:
        raise ValueError(f"tip {tip.id} does not exist")
    tip = locked
    if tip.status == "received":
        return triage_tip(session=session, settings=settings, tip=tip, actor=actor)
    if tip.status != "triaged" or tip.triage is None:
        raise ValueError(f"tip {tip.id} is {tip.status}: only a triaged tip is re-assessed")

    previous = TriageResult.model_validate(tip.triage)
    case = case_of(session, tip)
    if case is None:
        raise ValueError(f"tip {tip.id} is triaged but in no case")
    matching_service.file_tip_keys(session=session, settings=settings, tip=tip, case_id=case.id)
    result = _assess(
        session=session,
        settings=settings,
        tip=tip,
        case=case,
        case_match=previous.case,
        actor=actor,
        previous_routing=previous.routing,
    )
    audit_service.record(
        session,
        actor=actor,
        action="tip.retriaged",
        subject_type="tip",
        subject_id=tip.id,
        detail={
            "reason": reason,
            "case_id": str(case.id),
            "minor_status": {"before": previous.minor.status, "after": result.minor.status},
            "urgency": {"before": previous.urgency, "after": result.urgency},
            "classifier": classify.CLASSIFIER_VERSION,
            "state": {"before": previous.jurisdiction.state, "after": result.jurisdiction.state},
            "routing_decision_id": {
                "before": str(previous.routing.decision_id) if previous.routing else None,
                "after": str(result.routing.decision_id) if result.routing else None,
            },
        },
    )
    session.commit()
    return result


def triage_pending(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    older_than: timedelta = timedelta(seconds=30),
    limit: int = 100,
) -> int:
    """Triage tips left 'received' by an interrupted process. Returns how many were triaged."""
    cutoff = utcnow() - older_than
    with session_factory() as session:
        tip_ids = session.exec(
            select(Tip.id)
            .where(Tip.status == "received", col(Tip.created_at) < cutoff)
            .order_by(col(Tip.created_at))
            .limit(limit)
        ).all()
    done = 0
    actor = system_actor("recovery")
    for tip_id in tip_ids:
        with session_factory() as session:
            tip = session.get(Tip, tip_id)
            if tip is None or tip.status != "received":
                continue
            try:
                triage_tip(session=session, settings=settings, tip=tip, actor=actor)
                done += 1
            except Exception:
                session.rollback()
                log.exception("triage_recovery_failed", tip_id=str(tip_id))
    return done


def case_of(session: Session, tip: Tip) -> Case | None:
    case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    return session.get(Case, case_id) if case_id else None
