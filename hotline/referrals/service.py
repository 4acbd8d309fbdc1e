"""Referrals: what each agency receives for a tip, kept in step with routing, acknowledged, escalated.

A routing decision (new, or a re-assessment's), an override, a decline or an escalation changes which agencies
have a tip; here that becomes `referral` rows and an announcement to the channel that reaches each agency
(`interfaces.ReferralChannel`: partner webhooks write their outbox rows in this same transaction). Nothing is
sent here: `hotline worker` sends what commits. An agency no channel reaches is worked from the manual queue.

The active referrals of a tip follow the current targets of its latest decision: a new decision creates
referrals for agencies it adds (`referral.created`), moves those it keeps (`referral.updated`, with the new
reading) and withdraws the others (`referral.withdrawn`). Referrals made by a reroute (after a decline or a
missed SLA) reflect what happened rather than the facts, and stay until acknowledged.

Every change is audited where it is made; free text (a decline's reason) is kept in protected columns and only
its length reaches the audit chain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col, select

from hotline.agencies.models import Agency
from hotline.core import pagination
from hotline.core.actor import Actor, system_actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import is_postgres, utcnow
from hotline.decisions import service as decision_service
from hotline.decisions.models import RoutingDecision, Ruleset
from hotline.referrals import interfaces
from hotline.referrals.interfaces import Announcement, ReferralChannel, TipSnapshot
from hotline.referrals.models import (
    ACTIVE_REFERRAL_STATUSES,
    AWAITING_ACK_STATUSES,
    AckIn,
    AckOut,
    AlertOut,
    AlertPage,
    OutcomeOut,
    Referral,
    ReferralOut,
    ReferralPage,
    SupervisorAlert,
    SupervisorReferralOut,
    SupervisorReferralPage,
)
from hotline.tips.models import Tip
from routing.engine import resolve_target
from routing.ruleset import NATIONAL_QUEUE

log = structlog.get_logger(__name__)

MAX_PAGE_SIZE = 100
WORKER_ACTOR = system_actor("webhook-worker")
InvalidCursor = pagination.InvalidCursor
# Reroutes are about what happened (a decline, a missed SLA), not about the facts: a new decision keeps them.
REROUTE_ORIGINS = ("decline", "escalation")


class NotFound(LookupError):
    pass


class Refused(ValueError):
    """A request that cannot be done as asked; `field` names what to change."""

    def __init__(self, message: str, *, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


def respond_by(created_at: datetime, sla_minutes: int | None) -> datetime | None:
    return created_at + timedelta(minutes=sla_minutes) if sla_minutes is not None else None


@dataclass
class _Writer:
    """One unit of referral work: caches what several referrals of the same tip share."""

    session: Session
    actor: Actor
    settings: Settings
    now: datetime = field(default_factory=utcnow)
    channels: list[ReferralChannel] = field(init=False)
    _snapshot: TipSnapshot | None = None
    _agencies: dict[str, Agency | None] = field(default_factory=dict)
    _reached_by: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.channels = interfaces.open_channels(self.session, self.settings)

    def load(self, agency_ids: set[str]) -> None:
        """Fetch these agencies and ask the channels which of them they reach (a query each, at most)."""
        missing = sorted(agency_ids - set(self._agencies))
        if not missing:
            return
        for agency in self.session.exec(select(Agency).where(col(Agency.id).in_(missing))).all():
            self._agencies[agency.id] = agency
        for agency_id in missing:
            self._agencies.setdefault(agency_id, None)
        unreached = set(missing)
        for channel in self.channels:
            for agency_id in channel.reaches(unreached):
                self._reached_by[agency_id] = channel.name
            unreached -= set(self._reached_by)

    def agency(self, agency_id: str) -> Agency | None:
        self.load({agency_id})
        return self._agencies[agency_id]

    def channel_name(self, agency_id: str) -> str:
        self.load({agency_id})
        return self._reached_by.get(agency_id, interfaces.MANUAL_CHANNEL)

    def snapshot(self, decision: RoutingDecision) -> TipSnapshot:
        if self._snapshot is None or self._snapshot.tip.id != decision.tip_id:
            tip = self.session.get(Tip, decision.tip_id)
            assert tip is not None, "a decision's tip exists (foreign key)"
            self._snapshot = TipSnapshot(
                tip=tip, persons=list(tip.persons), case_id=decision.case_id, facts=decision.facts
            )
        return self._snapshot

    # Events

    def announce(
        self,
        referral: Referral,
        event_type: str,
        *,
        decision: RoutingDecision | None = None,
        reason: str | None = None,
    ) -> None:
        """Hand one event to the channel that reaches the referral's agency (manual referrals: none)."""
        channel = next((channel for channel in self.channels if channel.name == referral.channel), None)
        agency = self.agency(referral.agency_id)
        if channel is None or agency is None:
            return
        channel.announce(
            Announcement(
                event_type=event_type,
                referral=referral,
                agency=agency,
                occurred_at=self.now,
                tip=self.snapshot(decision) if decision is not None else None,
                reason=reason,
            )
        )

    def finish(self) -> None:
        for channel in self.channels:
            channel.finish()

    # Referrals

    def open(
        self,
        *,
        decision: RoutingDecision,
        target: dict[str, Any],
        origin: str,
        rerouted_from: Referral | None = None,
    ) -> Referral:
        agency_id = target["agency_id"]
        referral = Referral(
            tip_id=decision.tip_id,
            case_id=decision.case_id,
            decision_id=decision.id,
            agency_id=agency_id,
            rule_id=target["rule_id"],
            priority=target["priority"],
            sla_minutes=target.get("sla_minutes"),
            sla_due_at=respond_by(self.now, target.get("sla_minutes")),
            channel=self.channel_name(agency_id),
            origin=origin,
            rerouted_from_id=rerouted_from.id if rerouted_from else None,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(referral)
        self.announce(referral, "referral.created", decision=decision)
        self._audit(
            referral,
            "referral.created",
            decision_id=str(decision.id),
            channel=referral.channel,
            origin=origin,
            priority=referral.priority,
            sla_minutes=referral.sla_minutes,
            rerouted_from=str(rerouted_from.id) if rerouted_from else None,
        )
        return referral

    def update(self, referral: Referral, *, decision: RoutingDecision, target: dict[str, Any]) -> bool:
        """Move a kept referral to this decision; an event goes out when something a partner sees changed."""
        moved = referral.decision_id != decision.id
        changed = (referral.priority, referral.sla_minutes) != (target["priority"], target.get("sla_minutes"))
        if not moved and not changed:
            return False
        referral.decision_id = decision.id
        referral.case_id = decision.case_id
        referral.rule_id = target["rule_id"]
        referral.priority = target["priority"]
        referral.sla_minutes = target.get("sla_minutes")
        if referral.status in ("pending", "delivered") and referral.sla_minutes is not None:
            # A more urgent reading shortens the time to answer; a milder one never extends it.
            due = respond_by(self.now, referral.sla_minutes)
            referral.sla_due_at = min(referral.sla_due_at, due) if referral.sla_due_at and due else due
        referral.sequence += 1
        referral.updated_at = self.now
        self.announce(referral, "referral.updated", decision=decision)
        self._audit(
            referral,
            "referral.updated",
            decision_id=str(decision.id),
            priority=referral.priority,
            sla_minutes=referral.sla_minutes,
            reassessed=moved,
        )
        return True

    def withdraw(self, referral: Referral, *, reason: str, status: str = "withdrawn") -> None:
        """Close a referral and tell its partner (`referral.withdrawn`, which a decliner receives too)."""
        referral.status = status
        if status == "withdrawn":
            referral.withdrawn_at = self.now
        referral.withdrawn_reason = reason
        referral.sequence += 1
        referral.updated_at = self.now
        self.announce(referral, "referral.withdrawn", reason=reason)
        if status == "withdrawn":
            self._audit(referral, "referral.withdrawn", reason=reason)

    def _audit(self, referral: Referral, action: str, **detail: Any) -> None:
        audit_service.record(
            self.session,
            actor=self.actor,
            action=action,
            subject_type="referral",
            subject_id=referral.id,
            detail={"agency_id": referral.agency_id, "tip_id": str(referral.tip_id), **detail},
        )


def active_referrals(*, session: Session, tip_id: uuid.UUID) -> list[Referral]:
    return list(
        session.exec(
            select(Referral)
            .where(Referral.tip_id == tip_id, col(Referral.status).in_(ACTIVE_REFERRAL_STATUSES))
            .order_by(col(Referral.created_at), col(Referral.id))
        ).all()
    )


def _sync(
    *,
    session: Session,
    settings: Settings,
    decision: RoutingDecision,
    actor: Actor,
    origin: str,
    withdraw_reason: str,
) -> None:
    """Make the tip's active referrals follow the decision's current targets."""
    writer = _Writer(session=session, actor=actor, settings=settings)
    active = active_referrals(session=session, tip_id=decision.tip_id)
    targets = decision.current_targets
    writer.load({target["agency_id"] for target in targets} | {referral.agency_id for referral in active})
    by_agency = {referral.agency_id: referral for referral in active}
    for target in targets:
        referral = by_agency.pop(target["agency_id"], None)
        if referral is None:
            writer.open(decision=decision, target=target, origin=origin)
        else:
            writer.update(referral, decision=decision, target=target)
    for referral in by_agency.values():
        if referral.origin not in REROUTE_ORIGINS:
            writer.withdraw(referral, reason=withdraw_reason)
    writer.finish()


def follow_decision(*, session: Session, settings: Settings, decision: RoutingDecision, actor: Actor) -> None:
    """A new decision for a tip (its first, or a re-assessment's): in the decision's transaction, so a
    decision is never committed without its referrals or the other way round."""
    session.flush()
    _sync(
        session=session,
        settings=settings,
        decision=decision,
        actor=actor,
        origin="decision",
        withdraw_reason="reassessed",
    )


def follow_override(*, session: Session, settings: Settings, decision: RoutingDecision, actor: Actor) -> None:
    """A supervisor replaced a decision's targets: in the override's transaction."""
    newer = session.exec(
        select(RoutingDecision.id)
        .where(
            RoutingDecision.tip_id == decision.tip_id,
            col(RoutingDecision.decided_at) > decision.decided_at,
        )
        .limit(1)
    ).first()
    if newer is not None:
        # The tip was routed again since: its referrals follow the newer decision, not this one.
        audit_service.record(
            session,
            actor=actor,
            action="referrals.unchanged",
            subject_type="routing_decision",
            subject_id=decision.id,
            detail={"reason": "a newer decision for the tip exists", "newer_decision_id": str(newer)},
        )
        return
    _sync(
        session=session,
        settings=settings,
        decision=decision,
        actor=actor,
        origin="override",
        withdraw_reason="overridden",
    )


# Reroutes: after a decline, or a missed SLA when the rule says so


def rule_of(*, session: Session, decision: RoutingDecision, rule_id: str) -> Any | None:
    """The rule (as published in the decision's ruleset version) that made a target, if a rule did."""
    ruleset = session.get(Ruleset, decision.ruleset_id)
    if ruleset is None:
        return None
    engine = decision_service.engine_for(session=session, ruleset=ruleset)
    return next((rule for rule in engine.all_rules if rule.id == rule_id), None)


def next_agencies(*, session: Session, decision: RoutingDecision, rule_id: str) -> list[str]:
    """Where a referral of this rule goes next: the rule's `next` targets, then the national queue."""
    rule = rule_of(session=session, decision=decision, rule_id=rule_id)
    state = decision.facts.get("state")
    named = [resolve_target(spec, state)[0] for spec in rule.next_targets] if rule is not None else []
    return [*named, NATIONAL_QUEUE]


@dataclass(frozen=True)
class Reroute:
    agency_id: str | None
    referral: Referral | None
    # created: a new referral; already: that agency has the case already; none: nowhere left to send it
    outcome: str


def reroute(
    *, session: Session, settings: Settings, referral: Referral, actor: Actor, origin: str
) -> Reroute:
    """Send a referral's case to the next agency the rules give, or to the national queue."""
    decision = session.get(RoutingDecision, referral.decision_id)
    assert decision is not None
    writer = _Writer(session=session, actor=actor, settings=settings)
    tip_referrals = session.exec(select(Referral).where(Referral.tip_id == referral.tip_id)).all()
    declined = {other.agency_id for other in tip_referrals if other.status == "declined"}
    holding = {other.agency_id: other for other in tip_referrals if other.status in ACTIVE_REFERRAL_STATUSES}
    for agency_id in next_agencies(session=session, decision=decision, rule_id=referral.rule_id):
        if agency_id == referral.agency_id or agency_id in declined:
            continue
        if agency_id in holding:
            return Reroute(agency_id, holding[agency_id], "already")
        agency = writer.agency(agency_id)
        if agency is None or not agency.active:
            continue
        target = {
            "agency_id": agency_id,
            "rule_id": referral.rule_id,
            "priority": referral.priority,
            "sla_minutes": referral.sla_minutes,
        }
        successor = writer.open(decision=decision, target=target, origin=origin, rerouted_from=referral)
        writer.finish()
        return Reroute(agency_id, successor, "created")
    return Reroute(None, None, "none")


def close_declined(*, session: Session, settings: Settings, referral: Referral, actor: Actor) -> None:
    """A declined referral: `referral.withdrawn` goes to the decliner, so its system closes the case too."""
    writer = _Writer(session=session, actor=actor, settings=settings)
    writer.withdraw(referral, reason="declined", status="declined")
    writer.finish()


def mark_delivered(*, session: Session, referral_ids: list[uuid.UUID], at: datetime) -> None:
    """A channel delivered the created or updated event of these referrals: `pending` becomes `delivered`."""
    if referral_ids:
        session.execute(
            sa.update(Referral)
            .where(col(Referral.id).in_(referral_ids), col(Referral.status) == "pending")
            .values(status="delivered", delivered_at=at, updated_at=at)
        )


# Alerts


def raise_alert(
    *,
    session: Session,
    kind: str,
    summary: str,
    agency_id: str | None = None,
    referral_id: uuid.UUID | None = None,
    delivery_id: uuid.UUID | None = None,
    endpoint_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> SupervisorAlert:
    alert = SupervisorAlert(
        kind=kind,
        agency_id=agency_id,
        referral_id=referral_id,
        delivery_id=delivery_id,
        endpoint_id=endpoint_id,
        summary=summary[:500],
        detail=detail or {},
    )
    session.add(alert)
    session.flush()
    audit_service.record(
        session,
        actor=WORKER_ACTOR,
        action="alert.raised",
        subject_type="supervisor_alert",
        subject_id=alert.id,
        detail={
            "kind": kind,
            "agency_id": agency_id,
            "referral_id": str(referral_id) if referral_id else None,
            "delivery_id": str(delivery_id) if delivery_id else None,
            "endpoint_id": str(endpoint_id) if endpoint_id else None,
        },
    )
    return alert


def _alert_out(alert: SupervisorAlert) -> AlertOut:
    return AlertOut.model_validate(alert, from_attributes=True)


def list_alerts(
    *,
    session: Session,
    open_only: bool = True,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AlertPage:
    query = select(SupervisorAlert)
    if open_only:
        query = query.where(col(SupervisorAlert.acknowledged_at).is_(None))
    if kind:
        query = query.where(SupervisorAlert.kind == kind)
    rows, next_cursor = _page(query, SupervisorAlert.created_at, SupervisorAlert.id, cursor, limit, session)
    return AlertPage(items=[_alert_out(alert) for alert in rows], next_cursor=next_cursor)


def acknowledge_alert(*, session: Session, alert_id: uuid.UUID, actor: Actor) -> AlertOut:
    alert = session.get(SupervisorAlert, alert_id)
    if alert is None:
        raise NotFound(str(alert_id))
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), actor.ref
        audit_service.record(
            session,
            actor=actor,
            action="alert.acknowledged",
            subject_type="supervisor_alert",
            subject_id=alert.id,
            detail={"kind": alert.kind},
        )
    return _alert_out(alert)


def _page(query: Any, at: Any, row_id: Any, cursor: str | None, limit: int, session: Session) -> Any:
    """Newest first, keyset-paginated on (timestamp, id)."""
    return pagination.keyset_page(
        session, query, at=col(at), row_id=col(row_id), cursor=cursor, limit=max(1, min(limit, MAX_PAGE_SIZE))
    )


# Referrals: partners and supervisors


def _partner_view(referral: Referral, fields: set[str]) -> ReferralOut:
    """A referral as its partner sees it: the case and tip ids only when its agreement has them."""
    return ReferralOut.model_validate(
        {
            **referral.model_dump(),
            "respond_by": referral.sla_due_at,
            "case_id": referral.case_id if "case_id" in fields else None,
            "tip_id": referral.tip_id if "tip_id" in fields else None,
        }
    )


def effective_fields(allowed: Iterable[str], narrowed: Iterable[str] | None) -> list[str]:
    """What a partner may see: its agency's allowed fields, narrowed by its channel's own list if any."""
    allowed_list = list(allowed)
    if narrowed is None:
        return allowed_list
    keep = set(narrowed)
    return [name for name in allowed_list if name in keep]


def _partner_fields(session: Session, settings: Settings, agency_id: str) -> set[str]:
    agency = session.get(Agency, agency_id)
    allowed = agency.allowed_fields if agency else []
    narrowed = next(
        (
            fields
            for channel in interfaces.open_channels(session, settings)
            if (fields := channel.narrowed_fields(agency_id)) is not None
        ),
        None,
    )
    return set(effective_fields(allowed, narrowed))


def supervisor_view(referral: Referral) -> SupervisorReferralOut:
    return SupervisorReferralOut.model_validate({**referral.model_dump(), "respond_by": referral.sla_due_at})


def _own_referral(session: Session, referral_id: uuid.UUID, actor: Actor) -> Referral:
    """A partner's own referral; anything else is 'not found', whether it exists or not."""
    referral = session.get(Referral, referral_id)
    if referral is None or actor.agency_id is None or referral.agency_id != actor.agency_id:
        raise NotFound(str(referral_id))
    return referral


def partner_referrals(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ReferralPage:
    if actor.agency_id is None:
        return ReferralPage(items=[], next_cursor=None)
    query = select(Referral).where(Referral.agency_id == actor.agency_id)
    if status:
        query = query.where(Referral.status == status)
    rows, next_cursor = _page(query, Referral.created_at, Referral.id, cursor, limit, session)
    fields = _partner_fields(session, settings, actor.agency_id)
    return ReferralPage(items=[_partner_view(row, fields) for row in rows], next_cursor=next_cursor)


def partner_referral(
    *, session: Session, settings: Settings, referral_id: uuid.UUID, actor: Actor
) -> ReferralOut:
    referral = _own_referral(session, referral_id, actor)
    return _partner_view(referral, _partner_fields(session, settings, referral.agency_id))


def supervisor_referrals(
    *,
    session: Session,
    agency_id: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    tip_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> SupervisorReferralPage:
    """Every referral; `channel=manual` with open statuses is the manual queue."""
    query = select(Referral)
    if agency_id:
        query = query.where(Referral.agency_id == agency_id)
    if status:
        query = query.where(Referral.status == status)
    if channel:
        query = query.where(Referral.channel == channel)
    if tip_id:
        query = query.where(Referral.tip_id == tip_id)
    if overdue is not None:
        late = sa.and_(col(Referral.status).in_(AWAITING_ACK_STATUSES), col(Referral.sla_due_at) <= utcnow())
        query = query.where(late if overdue else sa.not_(late))
    rows, next_cursor = _page(query, Referral.created_at, Referral.id, cursor, limit, session)
    return SupervisorReferralPage(items=[supervisor_view(row) for row in rows], next_cursor=next_cursor)


def _lock_for_ack(session: Session, referral: Referral) -> Referral:
    """The tip, then the referral, locked (the order triage uses), so that a decline and a re-assessment of
    the same tip, or two acknowledgements, happen one after the other."""
    if is_postgres(session):
        session.exec(select(Tip.id).where(Tip.id == referral.tip_id).with_for_update()).first()
        session.refresh(referral, with_for_update=True)
    return referral


def acknowledge(
    *,
    session: Session,
    settings: Settings,
    referral_id: uuid.UUID,
    ack_in: AckIn,
    actor: Actor,
    on_behalf: bool = False,
) -> AckOut | OutcomeOut:
    """A partner's answer (or, `on_behalf`, one a supervisor records after a call). Commits.

    Accepting or declining again with the same answer changes nothing (a partner may retry). A decline sends
    the case to the next agency the rules give, or the national queue, and `referral.withdrawn` to the
    decliner; supervisors are alerted.
    """
    try:
        ack_in.check()
    except ValueError as exc:
        raise Refused(str(exc), field="reason") from exc
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(str(referral_id))
    if not on_behalf:
        referral = _own_referral(session, referral_id, actor)
    referral = _lock_for_ack(session, referral)

    def answer(rerouted_to: str | None = None) -> AckOut | OutcomeOut:
        if on_behalf:
            return OutcomeOut(referral=supervisor_view(referral), rerouted_to=rerouted_to)
        fields = _partner_fields(session, settings, referral.agency_id)
        return AckOut(referral=_partner_view(referral, fields), rerouted_to=rerouted_to)

    if referral.status == ack_in.status:
        session.rollback()
        # The rollback (which releases the locks) expired the row; the answer reads it again.
        session.refresh(referral)
        return answer()
    if referral.status == "withdrawn":
        raise Refused("this referral was withdrawn: the case no longer goes to this agency", conflict=True)
    if referral.status == "declined":
        raise Refused("this referral was declined already and the case sent on", conflict=True)
    now = utcnow()
    previous = referral.status
    referral.status = ack_in.status
    referral.acknowledged_at, referral.acknowledged_by = now, actor.ref
    referral.ack_reason = ack_in.reason
    referral.updated_at = now
    audit_service.record(
        session,
        actor=actor,
        action=f"referral.{ack_in.status}",
        subject_type="referral",
        subject_id=referral.id,
        detail={
            "agency_id": referral.agency_id,
            "tip_id": str(referral.tip_id),
            "previous_status": previous,
            "on_behalf": on_behalf,
            "late": referral.escalated_at is not None,
            "reason_chars": len(ack_in.reason or ""),
        },
    )
    rerouted_to = None
    if ack_in.status == "declined":
        moved = reroute(session=session, settings=settings, referral=referral, actor=actor, origin="decline")
        close_declined(session=session, settings=settings, referral=referral, actor=actor)
        rerouted_to = moved.agency_id
        where = {
            "created": f"the case was sent to {moved.agency_id}",
            "already": f"{moved.agency_id} has the case already",
            "none": "no agency is left to send it to: route it by hand",
        }[moved.outcome]
        raise_alert(
            session=session,
            kind="referral_declined",
            summary=f"{referral.agency_id} declined referral {referral.id}; {where}.",
            agency_id=referral.agency_id,
            referral_id=referral.id,
            detail={"rerouted_to": moved.agency_id, "reroute": moved.outcome},
        )
    session.commit()
    log.info(
        "referral_acknowledged",
        referral_id=str(referral.id),
        agency_id=referral.agency_id,
        status=referral.status,
        on_behalf=on_behalf,
        rerouted_to=rerouted_to,
    )
    return answer(rerouted_to)


# SLA escalation


def escalate_overdue(
    *,
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    actor: Actor = WORKER_ACTOR,
    limit: int = 200,
) -> int:
    """Referrals not acknowledged within their SLA are escalated: a supervisor alert, and when the rule
    that made them says `escalate: reroute`, the case goes to its next target as well. Commits."""
    now = now or utcnow()
    query = (
        select(Referral)
        .where(col(Referral.status).in_(("pending", "delivered")), col(Referral.sla_due_at) <= now)
        .order_by(col(Referral.sla_due_at))
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    overdue = list(session.exec(query).all())
    for referral in overdue:
        late_by = now - referral.sla_due_at if referral.sla_due_at else timedelta(0)
        referral.status, referral.escalated_at, referral.updated_at = "escalated", now, now
        decision = session.get(RoutingDecision, referral.decision_id)
        rule = rule_of(session=session, decision=decision, rule_id=referral.rule_id) if decision else None
        moved = None
        if rule is not None and rule.escalate == "reroute":
            moved = reroute(
                session=session, settings=settings, referral=referral, actor=actor, origin="escalation"
            )
        audit_service.record(
            session,
            actor=actor,
            action="referral.escalated",
            subject_type="referral",
            subject_id=referral.id,
            detail={
                "agency_id": referral.agency_id,
                "tip_id": str(referral.tip_id),
                "sla_minutes": referral.sla_minutes,
                "late_seconds": int(late_by.total_seconds()),
                "rerouted_to": moved.agency_id if moved else None,
            },
        )
        then = ""
        if moved is not None:
            then = {
                "created": f" The case was also sent to {moved.agency_id} (rule {referral.rule_id}).",
                "already": f" {moved.agency_id} has the case already.",
                "none": " No further agency to send it to.",
            }[moved.outcome]
        raise_alert(
            session=session,
            kind="referral_sla_breached",
            summary=f"{referral.priority.capitalize()} referral {referral.id} to {referral.agency_id} "
            f"({referral.channel}) not acknowledged within {referral.sla_minutes} minutes.{then}",
            agency_id=referral.agency_id,
            referral_id=referral.id,
            detail={
                "priority": referral.priority,
                "sla_minutes": referral.sla_minutes,
                "channel": referral.channel,
                "rerouted_to": moved.agency_id if moved else None,
            },
        )
    session.commit()
    if overdue:
        log.warning("referrals_escalated", count=len(overdue))
    return len(overdue)
