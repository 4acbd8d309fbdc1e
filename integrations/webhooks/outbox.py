"""The outbox: referrals and the events about them, written in the transaction of whatever causes them.

A routing decision (new, or a re-assessment's), an override, a decline or an escalation changes which agencies
have a tip; here that becomes `referral` rows and, for agencies with a webhook endpoint, `webhook_delivery`
rows carrying the exact body to sign and send. Nothing is sent here: `hotline worker` sends what commits.

The active referrals of a tip follow the current targets of its latest decision: a new decision creates
referrals for agencies it adds (`referral.created`), moves those it keeps (`referral.updated`, with the new
reading) and withdraws the others (`referral.withdrawn`). Referrals made by a reroute (after a decline or a
missed SLA) reflect what happened rather than the facts, and stay until acknowledged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.config import get_settings
from hotline.core.database import is_postgres, utcnow
from hotline.tips.models import Tip
from integrations.webhooks import payloads
from integrations.webhooks.models import (
    ACTIVE_REFERRAL_STATUSES,
    Referral,
    WebhookDelivery,
    WebhookEndpoint,
)
from routing.models import Agency, RoutingDecision, Ruleset
from routing.ruleset import NATIONAL_QUEUE

# Workers LISTEN on this channel (PostgreSQL): a commit that wrote deliveries wakes them at once.
NOTIFY_CHANNEL = "hotline_webhook_outbox"
_NOTIFIED_KEY = "hotline_webhook_notified"
# Reroutes are about what happened (a decline, a missed SLA), not about the facts: a new decision keeps them.
REROUTE_ORIGINS = ("decline", "escalation")


@dataclass
class _Writer:
    """One unit of outbox work: caches what several referrals of the same tip share."""

    session: Session
    actor: Actor
    now: datetime = field(default_factory=utcnow)
    _snapshot: payloads.TipSnapshot | None = None
    _endpoints: dict[str, WebhookEndpoint | None] = field(default_factory=dict)
    _agencies: dict[str, Agency | None] = field(default_factory=dict)
    wrote_deliveries: bool = False

    def load(self, agency_ids: set[str]) -> None:
        """Fetch the endpoints and agencies of these ids in two queries."""
        missing = sorted(agency_ids - set(self._agencies))
        if not missing:
            return
        for endpoint in self.session.exec(
            select(WebhookEndpoint).where(col(WebhookEndpoint.agency_id).in_(missing))
        ).all():
            self._endpoints[endpoint.agency_id] = endpoint
        for agency in self.session.exec(select(Agency).where(col(Agency.id).in_(missing))).all():
            self._agencies[agency.id] = agency
        for agency_id in missing:
            self._endpoints.setdefault(agency_id, None)
            self._agencies.setdefault(agency_id, None)

    def endpoint(self, agency_id: str) -> WebhookEndpoint | None:
        self.load({agency_id})
        return self._endpoints[agency_id]

    def agency(self, agency_id: str) -> Agency | None:
        self.load({agency_id})
        return self._agencies[agency_id]

    def snapshot(self, decision: RoutingDecision) -> payloads.TipSnapshot:
        if self._snapshot is None or self._snapshot.tip.id != decision.tip_id:
            tip = self.session.get(Tip, decision.tip_id)
            assert tip is not None, "a decision's tip exists (foreign key)"
            self._snapshot = payloads.TipSnapshot(
                tip=tip, persons=list(tip.persons), case_id=decision.case_id, facts=decision.facts
            )
        return self._snapshot

    # Events

    def enqueue(
        self,
        referral: Referral,
        event_type: str,
        *,
        decision: RoutingDecision | None = None,
        reason: str | None = None,
    ) -> WebhookDelivery | None:
        """Write one event for the referral's endpoint, if its agency has one (else: the manual queue)."""
        if referral.channel != "webhook":
            return None
        endpoint, agency = self.endpoint(referral.agency_id), self.agency(referral.agency_id)
        if endpoint is None or agency is None:
            return None
        tip = None
        if decision is not None:
            fields = payloads.effective_fields(agency.allowed_fields, endpoint.fields)
            tip = payloads.tip_data(self.snapshot(decision), fields)
        body = payloads.event_body(
            event_type=event_type,
            referral=referral_facts(referral),
            occurred_at=self.now,
            tip=tip,
            reason=reason,
        )
        delivery_id = uuid.uuid4()
        delay = get_settings().webhook_retry_delays[0]
        delivery = WebhookDelivery(
            id=delivery_id,
            message_id=f"msg_{delivery_id.hex}",
            referral_id=referral.id,
            endpoint_id=endpoint.id,
            agency_id=referral.agency_id,
            event_type=event_type,
            body=body,
            # A disabled endpoint's deliveries wait for it to be enabled again.
            status="held" if endpoint.status == "disabled" else "pending",
            next_attempt_at=self.now + timedelta(seconds=delay),
            created_at=self.now,
        )
        self.session.add(delivery)
        self.wrote_deliveries = True
        return delivery

    def notify(self) -> None:
        if self.wrote_deliveries:
            notify_workers(self.session)

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
            sla_due_at=payloads.respond_by(self.now, target.get("sla_minutes")),
            channel="webhook" if self.endpoint(agency_id) is not None else "manual",
            origin=origin,
            rerouted_from_id=rerouted_from.id if rerouted_from else None,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(referral)
        self.enqueue(referral, "referral.created", decision=decision)
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
            due = payloads.respond_by(self.now, referral.sla_minutes)
            referral.sla_due_at = min(referral.sla_due_at, due) if referral.sla_due_at and due else due
        referral.sequence += 1
        referral.updated_at = self.now
        self.enqueue(referral, "referral.updated", decision=decision)
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
        self.enqueue(referral, "referral.withdrawn", reason=reason)
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


def referral_facts(referral: Referral) -> payloads.ReferralFacts:
    base = get_settings().public_base_url
    return payloads.ReferralFacts(
        referral_id=referral.id,
        agency_id=referral.agency_id,
        sequence=referral.sequence,
        status=referral.status,
        priority=referral.priority,
        sla_minutes=referral.sla_minutes,
        respond_by=referral.sla_due_at,
        ack_url=f"{base}/api/v1/referrals/{referral.id}/ack",
    )


def notify_workers(session: Session) -> None:
    """Wake idle workers when this transaction commits (PostgreSQL; SQLite workers poll)."""
    if not is_postgres(session):
        return
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED_KEY) is transaction and transaction is not None:
        return
    session.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    session.info[_NOTIFIED_KEY] = transaction


def active_referrals(*, session: Session, tip_id: uuid.UUID) -> list[Referral]:
    return list(
        session.exec(
            select(Referral)
            .where(Referral.tip_id == tip_id, col(Referral.status).in_(ACTIVE_REFERRAL_STATUSES))
            .order_by(col(Referral.created_at), col(Referral.id))
        ).all()
    )


def _sync(
    *, session: Session, decision: RoutingDecision, actor: Actor, origin: str, withdraw_reason: str
) -> _Writer:
    """Make the tip's active referrals follow the decision's current targets."""
    writer = _Writer(session=session, actor=actor)
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
    writer.notify()
    return writer


def referrals_for_decision(*, session: Session, decision: RoutingDecision, tip: Tip, actor: Actor) -> None:
    """A new decision for a tip (its first, or a re-assessment's): in the decision's transaction."""
    session.flush()
    _sync(session=session, decision=decision, actor=actor, origin="decision", withdraw_reason="reassessed")


def referrals_for_override(*, session: Session, decision: RoutingDecision, actor: Actor) -> None:
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
    _sync(session=session, decision=decision, actor=actor, origin="override", withdraw_reason="overridden")


# Reroutes: after a decline, or a missed SLA when the rule says so


def rule_of(*, session: Session, decision: RoutingDecision, rule_id: str) -> Any | None:
    """The rule (as published in the decision's ruleset version) that made a target, if a rule did."""
    from routing import service as routing_service

    ruleset = session.get(Ruleset, decision.ruleset_id)
    if ruleset is None:
        return None
    engine = routing_service.engine_for(session=session, ruleset=ruleset)
    return next((rule for rule in engine.all_rules if rule.id == rule_id), None)


def next_agencies(*, session: Session, decision: RoutingDecision, rule_id: str) -> list[str]:
    """Where a referral of this rule goes next: the rule's `next` targets, then the national queue."""
    from routing.engine import resolve_target

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


def reroute(*, session: Session, referral: Referral, actor: Actor, origin: str) -> Reroute:
    """Send a referral's case to the next agency the rules give, or to the national queue."""
    decision = session.get(RoutingDecision, referral.decision_id)
    assert decision is not None
    writer = _Writer(session=session, actor=actor)
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
        writer.notify()
        return Reroute(agency_id, successor, "created")
    return Reroute(None, None, "none")


def close_declined(*, session: Session, referral: Referral, actor: Actor) -> None:
    """A declined referral: `referral.withdrawn` goes to the decliner, so its system closes the case too."""
    writer = _Writer(session=session, actor=actor)
    writer.withdraw(referral, reason="declined", status="declined")
    writer.notify()
