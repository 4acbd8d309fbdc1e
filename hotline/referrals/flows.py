"""Work that spans routing decisions and referrals."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from hotline.core.actor import Actor
from hotline.core.config import Settings
from hotline.decisions import service as decision_service
from hotline.decisions.models import OverrideIn, RoutingDecision
from hotline.referrals import service as referral_service


def override_decision(
    *, session: Session, settings: Settings, decision_id: uuid.UUID, override_in: OverrideIn, actor: Actor
) -> RoutingDecision:
    """A supervisor replaces a decision's targets: referrals for added agencies are created, and for removed
    ones withdrawn, in the override's transaction (the caller commits)."""
    decision = decision_service.override_decision(
        session=session, decision_id=decision_id, override_in=override_in, actor=actor
    )
    referral_service.follow_override(session=session, settings=settings, decision=decision, actor=actor)
    return decision
