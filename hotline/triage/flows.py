"""The triage pipeline for one stored tip: classify, resolve jurisdiction, place in a case, route.

Deterministic given the tip, the store and the ruleset version, so a decision can be replayed. Runs in one
transaction: the case link, the assessment and the routing decision commit together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from hotline.audit import service as audit_service
from hotline.auth.models import Actor, system_actor
from hotline.cases import service as case_service
from hotline.cases.models import Case
from hotline.database import is_postgres, utcnow
from hotline.matching import service as matching_service
from hotline.tips.models import Tip
from hotline.triage import classify
from hotline.triage.models import TriageResult
from routing import jurisdiction as routing_jurisdiction

log = structlog.get_logger(__name__)


def _lock_untriaged(session: Session, tip_id: uuid.UUID) -> Tip | None:
    """The tip, locked against a concurrent triage of the same tip, or None if it was triaged already."""
    query = select(Tip).where(Tip.id == tip_id)
    if is_postgres(session):
        query = query.with_for_update()
    tip = session.exec(query).first()
    if tip is None or tip.status != "received":
        return None
    return tip


def triage_tip(*, session: Session, tip: Tip, actor: Actor) -> TriageResult:
    """Triage a stored tip and commit. A tip already triaged is left alone and its stored result returned."""
    locked = _lock_untriaged(session, tip.id)
    if locked is None:
        session.refresh(tip)
        return TriageResult.model_validate(tip.triage)
    tip = locked

    classification = classify.classify_tip(tip)
    jurisdiction = routing_jurisdiction.resolve_jurisdiction(tip)
    case, case_match = matching_service.place_tip(session=session, tip=tip, actor=actor)
    case_service.absorb_triage(
        case,
        minor_status=classification.minor.status,
        urgency=classification.urgency,
        state=jurisdiction.state,
        county=jurisdiction.county,
    )

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
        routing=None,
    )
    tip.triage = result.model_dump(mode="json")
    tip.status = "triaged"
    tip.minor_status = classification.minor.status
    tip.urgency = classification.urgency
    tip.triaged_at = tip.updated_at = utcnow()
    audit_service.record(
        session,
        actor=actor,
        action="tip.triaged",
        subject_type="tip",
        subject_id=tip.id,
        detail={
            "case_id": str(case.id),
            "case_action": case_match.action,
            "minor_status": classification.minor.status,
            "urgency": classification.urgency,
            "state": jurisdiction.state,
        },
    )
    session.commit()
    return result


def triage_pending(
    *, session_factory: sessionmaker[Session], older_than: timedelta = timedelta(seconds=30), limit: int = 100
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
                triage_tip(session=session, tip=tip, actor=actor)
                done += 1
            except Exception:
                session.rollback()
                log.exception("triage_recovery_failed", tip_id=str(tip_id))
    return done


def case_of(session: Session, tip: Tip) -> Case | None:
    case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    return session.get(Case, case_id) if case_id else None
