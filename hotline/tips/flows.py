"""Intake: the one path every channel takes from a submitted tip to a triaged, routed tip.

The tip is committed before anything slow happens, so an acknowledged tip is never lost: if triage fails
or the process dies, the tip stays 'received' and recovery (`triage_flows.triage_pending`) finishes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlmodel import Session

from hotline.core.actor import Actor
from hotline.tips import service as tip_service
from hotline.tips.models import Tip
from hotline.tips.schemas import TipIn
from hotline.triage import flows as triage_flows

log = structlog.get_logger(__name__)


@dataclass
class Submission:
    tip: Tip
    created: bool


def submit_tip(*, session: Session, tip_in: TipIn, actor: Actor) -> Submission:
    tip, created = tip_service.create_tip(session=session, tip_in=tip_in, actor=actor)
    session.commit()
    triage_committed_tip(session=session, tip=tip, actor=actor)
    return Submission(tip=tip, created=created)


def triage_committed_tip(*, session: Session, tip: Tip, actor: Actor) -> None:
    """Triage a tip that is already committed, if it awaits triage. A failure is logged and leaves the tip
    'received' for recovery: the caller's answer (an HTTP response, a Twilio reply) never depends on it."""
    if tip.status != "received":
        return
    # A new tip, or a resubmission of one whose triage was interrupted: triage it now.
    try:
        triage_flows.triage_tip(session=session, tip=tip, actor=actor)
    except Exception:
        session.rollback()
        log.exception("triage_failed", tip_id=str(tip.id))
        session.refresh(tip)
