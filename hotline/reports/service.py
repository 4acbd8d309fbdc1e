"""Figures for supervisors over a period: tips per day by channel, share with minors, time to triage;
routing decisions by state and target, overrides by rule, time to routing; time to partner acknowledgement;
CSV exports of tips and decisions.

Days are calendar days in the display time zone (HOTLINE_DISPLAY_TIMEZONE), not UTC, so a night shift's
tips land on the day the hotline lived them. No figure or export carries victims' data.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hotline.cases.models import Case, CaseTip
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.decisions import service as decision_service
from hotline.decisions.models import RoutingDecision, RoutingOverride
from hotline.referrals.models import Referral
from hotline.tips.models import CHANNELS, Tip
from routing.facts import MINOR_STATUS_SEVERITY

MAX_PERIOD_DAYS = 366
MINOR_STATUSES = tuple(sorted(MINOR_STATUS_SEVERITY, key=MINOR_STATUS_SEVERITY.__getitem__, reverse=True))


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Whole days, first and last included, in a time zone."""

    first: date
    last: date
    zone: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError("the period ends before it starts")
        if (self.last - self.first).days + 1 > MAX_PERIOD_DAYS:
            raise PeriodError(f"a period is at most {MAX_PERIOD_DAYS} days")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.zone)
        ).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.zone)).date()


def last_days(count: int, *, zone: str, today: date | None = None) -> Period:
    today = today or datetime.now(ZoneInfo(zone)).date()
    return Period(today - timedelta(days=count - 1), today, zone)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: a value that actually occurred, stable for small samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class TipFigures:
    period: Period
    total: int = 0
    by_day_channel: dict[str, list[int]] = field(default_factory=dict)
    by_minor_status: dict[str, int] = field(default_factory=dict)
    triage_seconds: list[float] = field(default_factory=list)
    triage_p50_by_day: list[float | None] = field(default_factory=list)
    triage_p90_by_day: list[float | None] = field(default_factory=list)
    untriaged: int = 0

    @property
    def with_minor(self) -> int:
        return self.by_minor_status.get("confirmed", 0) + self.by_minor_status.get("likely", 0)

    @property
    def minor_share(self) -> float | None:
        return self.with_minor / self.total if self.total else None

    @property
    def triage_p50(self) -> float | None:
        return percentile(self.triage_seconds, 0.5)

    @property
    def triage_p90(self) -> float | None:
        return percentile(self.triage_seconds, 0.9)


def tip_figures(*, session: Session, period: Period) -> TipFigures:
    rows = session.exec(
        select(Tip.received_at, Tip.channel, Tip.minor_status, Tip.created_at, Tip.triaged_at).where(
            col(Tip.received_at) >= period.start, col(Tip.received_at) < period.end
        )
    ).all()
    days = period.days
    index_of = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    minor: Counter[str] = Counter()
    seconds_by_day: dict[int, list[float]] = defaultdict(list)
    figures = TipFigures(period=period, total=len(rows))
    for received_at, channel, minor_status, created_at, triaged_at in rows:
        day = index_of.get(period.day_of(received_at))
        if day is None:
            continue
        counts.setdefault(channel, [0] * len(days))[day] += 1
        minor[minor_status or "untriaged"] += 1
        if triaged_at is None:
            figures.untriaged += 1
            continue
        # From the moment the tip was stored (intake) to its triage result; received_at can be hours
        # earlier for tips entered after a call or imported, which measures data entry, not the service.
        elapsed = max((triaged_at - created_at).total_seconds(), 0.0)
        figures.triage_seconds.append(elapsed)
        seconds_by_day[day].append(elapsed)
    figures.by_day_channel = {channel: counts[channel] for channel in CHANNELS if channel in counts}
    figures.by_minor_status = {
        status: minor[status] for status in (*MINOR_STATUSES, "untriaged") if minor[status]
    }
    figures.triage_p50_by_day = [percentile(seconds_by_day[n], 0.5) for n in range(len(days))]
    figures.triage_p90_by_day = [percentile(seconds_by_day[n], 0.9) for n in range(len(days))]
    return figures


EXPORT_COLUMNS = (
    "tip_id", "external_id", "channel", "received_at", "triaged_at", "state", "minor_status", "urgency",
    "trafficking_type", "case_id", "case_action", "routing_decision_id", "routing_targets",
)  # fmt: skip


def _in_batches(
    session: Session, query: Any, at_column: Any, id_column: Any, batch_size: int
) -> Iterator[Any]:
    """Every row of `query` (whose first item is the table row of the two columns), oldest first, read
    `batch_size` at a time by keyset on (at, id): an export of a year stays flat in memory and never skips or
    repeats a row."""
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        batch = query.order_by(at_column, id_column).limit(batch_size)
        if last is not None:
            batch = batch.where((at_column > last[0]) | ((at_column == last[0]) & (id_column > last[1])))
        rows = session.exec(batch).all()
        if not rows:
            return
        yield from rows
        last = (getattr(rows[-1][0], at_column.key), rows[-1][0].id)


def export_tips(*, session: Session, period: Period, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    """One row per tip received in the period, oldest first: outcomes only, never names or narratives."""
    query = (
        select(Tip, CaseTip.case_id, CaseTip.action)
        .join(CaseTip, col(CaseTip.tip_id) == col(Tip.id), isouter=True)
        .where(col(Tip.received_at) >= period.start, col(Tip.received_at) < period.end)
    )
    for tip, case_id, case_action in _in_batches(
        session, query, col(Tip.received_at), col(Tip.id), batch_size
    ):
        routing = (tip.triage or {}).get("routing") or {}
        yield {
            "tip_id": str(tip.id),
            "external_id": tip.external_id or "",
            "channel": tip.channel,
            "received_at": tip.received_at.isoformat(),
            "triaged_at": tip.triaged_at.isoformat() if tip.triaged_at else "",
            "state": tip.location_state or "",
            "minor_status": tip.minor_status or "",
            "urgency": tip.urgency or "",
            "trafficking_type": tip.trafficking_type,
            "case_id": str(case_id) if case_id else "",
            "case_action": case_action or "",
            "routing_decision_id": routing.get("decision_id") or "",
            "routing_targets": ";".join(
                str(target.get("agency_id")) for target in routing.get("targets") or []
            ),
        }


def record_export(*, session: Session, actor: Actor, period: Period, rows: int, what: str = "tips") -> None:
    audit_service.record(
        session,
        actor=actor,
        action="report.exported",
        subject_type="export",
        subject_id=what,
        detail={"first_day": period.first.isoformat(), "last_day": period.last.isoformat(), "rows": rows},
    )


# Routing decisions


@dataclass
class DecisionFigures:
    period: Period
    total: int = 0
    overridden: int = 0
    review_required: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)
    overrides: int = 0
    overrides_by_rule: dict[str, int] = field(default_factory=dict)
    routing_seconds: list[float] = field(default_factory=list)
    routing_p50_by_day: list[float | None] = field(default_factory=list)
    routing_p90_by_day: list[float | None] = field(default_factory=list)

    @property
    def routing_p50(self) -> float | None:
        return percentile(self.routing_seconds, 0.5)

    @property
    def routing_p90(self) -> float | None:
        return percentile(self.routing_seconds, 0.9)


NO_STATE = "unknown"
ADDED_BY_SUPERVISOR = "(added by a supervisor)"


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def overridden_rules(previous: list[dict[str, Any]], targets: list[dict[str, Any]]) -> set[str]:
    """The rules an override disagreed with: whose target it removed or re-prioritised; an agency the
    supervisor added counts under ADDED_BY_SUPERVISOR."""
    before = {target["agency_id"]: target for target in previous}
    after = {target["agency_id"]: target for target in targets}
    rules = {
        str(target.get("rule_id") or "?")
        for agency, target in before.items()
        if agency not in after
        or (after[agency].get("priority"), after[agency].get("sla_minutes"))
        != (target.get("priority"), target.get("sla_minutes"))
    }
    if any(agency not in before for agency in after):
        rules.add(ADDED_BY_SUPERVISOR)
    return rules


def decision_figures(*, session: Session, period: Period) -> DecisionFigures:
    """Decisions made in the period by the state they saw and the agencies they (now) name; overrides made
    in the period by the rule they corrected; time from intake to a tip's first routing decision."""
    figures = DecisionFigures(period=period)
    states: Counter[str] = Counter()
    agencies: Counter[str] = Counter()
    rows = session.exec(
        select(
            RoutingDecision.facts, RoutingDecision.current_targets, RoutingDecision.overridden_at,
            RoutingDecision.review_required,
        ).where(col(RoutingDecision.decided_at) >= period.start, col(RoutingDecision.decided_at) < period.end)
    ).all()  # fmt: skip
    for facts, current_targets, overridden_at, review_required in rows:
        figures.total += 1
        figures.overridden += overridden_at is not None
        figures.review_required += bool(review_required)
        states[(facts or {}).get("state") or NO_STATE] += 1
        agencies.update({target["agency_id"] for target in current_targets})
    figures.by_state, figures.by_agency = _by_count(states), _by_count(agencies)

    rules: Counter[str] = Counter()
    for previous, targets in session.exec(
        select(RoutingOverride.previous_targets, RoutingOverride.targets).where(
            col(RoutingOverride.overridden_at) >= period.start,
            col(RoutingOverride.overridden_at) < period.end,
        )
    ).all():
        figures.overrides += 1
        rules.update(overridden_rules(previous, targets))
    figures.overrides_by_rule = _by_count(rules)

    # A re-triaged tip is routed again later; its intake-to-routing time is that of its first decision.
    first = (
        select(RoutingDecision.tip_id, func.min(RoutingDecision.decided_at).label("first_at"))
        .where(col(RoutingDecision.decided_at) < period.end)
        .group_by(col(RoutingDecision.tip_id))
        .subquery()
    )
    index_of = {day: n for n, day in enumerate(period.days)}
    seconds_by_day: dict[int, list[float]] = defaultdict(list)
    for first_at, created_at in session.exec(
        select(first.c.first_at, Tip.created_at)
        .join(Tip, col(Tip.id) == first.c.tip_id)
        .where(first.c.first_at >= period.start)
    ).all():
        first_at = _aware(first_at)
        elapsed = max((first_at - created_at).total_seconds(), 0.0)
        figures.routing_seconds.append(elapsed)
        day = index_of.get(period.day_of(first_at))
        if day is not None:
            seconds_by_day[day].append(elapsed)
    figures.routing_p50_by_day = [percentile(seconds_by_day[n], 0.5) for n in range(len(period.days))]
    figures.routing_p90_by_day = [percentile(seconds_by_day[n], 0.9) for n in range(len(period.days))]
    return figures


def _aware(moment: datetime) -> datetime:
    # An aggregate (min) comes back without the column type's processing: naive on SQLite, and UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Partner acknowledgements


@dataclass
class AcknowledgementFigures:
    period: Period
    referrals: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    ack_seconds: list[float] = field(default_factory=list)
    ack_p50_by_day: list[float | None] = field(default_factory=list)
    ack_p90_by_day: list[float | None] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        return len(self.ack_seconds)

    @property
    def ack_p50(self) -> float | None:
        return percentile(self.ack_seconds, 0.5)

    @property
    def ack_p90(self) -> float | None:
        return percentile(self.ack_seconds, 0.9)


def acknowledgement_figures(*, session: Session, period: Period) -> AcknowledgementFigures:
    """Referrals made in the period: how they stand, and the time from the referral to the agency's answer
    (accepted or declined, through the API or recorded by a supervisor), by the day the referral was made."""
    figures = AcknowledgementFigures(period=period)
    index_of = {day: n for n, day in enumerate(period.days)}
    seconds_by_day: dict[int, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for created_at, acknowledged_at, status, channel in session.exec(
        select(Referral.created_at, Referral.acknowledged_at, Referral.status, Referral.channel).where(
            col(Referral.created_at) >= period.start, col(Referral.created_at) < period.end
        )
    ).all():
        figures.referrals += 1
        statuses[status] += 1
        channels[channel] += 1
        if acknowledged_at is None:
            continue
        elapsed = max((acknowledged_at - created_at).total_seconds(), 0.0)
        figures.ack_seconds.append(elapsed)
        day = index_of.get(period.day_of(created_at))
        if day is not None:
            seconds_by_day[day].append(elapsed)
    figures.by_status, figures.by_channel = _by_count(statuses), _by_count(channels)
    figures.ack_p50_by_day = [percentile(seconds_by_day[n], 0.5) for n in range(len(period.days))]
    figures.ack_p90_by_day = [percentile(seconds_by_day[n], 0.9) for n in range(len(period.days))]
    return figures


# The facts a decision export carries: what routing saw, minus what could narrow a child down (county, age,
# nationality) in a small place. No names, phones, narratives or override reasons.
DECISION_EXPORT_FACTS = (
    "state", "minor_status", "trafficking_type", "urgency", "immediate_danger", "consent_to_report",
    "channel", "case_action",
)  # fmt: skip
DECISION_EXPORT_COLUMNS = (
    "decision_id", "tip_id", "case_id", "decided_at", "intake_at", "seconds_to_route", "ruleset_version",
    *DECISION_EXPORT_FACTS, "rules_matched", "review_required", "original_targets", "current_targets",
    "overridden", "overridden_at",
)  # fmt: skip


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_decisions(*, session: Session, period: Period, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    """One row per routing decision made in the period, oldest first."""
    query = (
        select(RoutingDecision, Tip.created_at)
        .join(Tip, col(Tip.id) == col(RoutingDecision.tip_id))
        .where(col(RoutingDecision.decided_at) >= period.start, col(RoutingDecision.decided_at) < period.end)
    )
    for decision, intake_at in _in_batches(
        session, query, col(RoutingDecision.decided_at), col(RoutingDecision.id), batch_size
    ):
        facts = decision.facts or {}
        yield {
            "decision_id": str(decision.id),
            "tip_id": str(decision.tip_id),
            "case_id": str(decision.case_id) if decision.case_id else "",
            "decided_at": decision.decided_at.isoformat(),
            "intake_at": intake_at.isoformat(),
            "seconds_to_route": f"{max((decision.decided_at - intake_at).total_seconds(), 0.0):.3f}",
            "ruleset_version": decision.ruleset_version,
            **{name: _csv_value(facts.get(name)) for name in DECISION_EXPORT_FACTS},
            "rules_matched": ";".join(entry["rule_id"] for entry in decision.trace if entry.get("matched")),
            "review_required": _csv_value(decision.review_required),
            "original_targets": ";".join(target["agency_id"] for target in decision.targets),
            "current_targets": ";".join(target["agency_id"] for target in decision.current_targets),
            "overridden": _csv_value(decision.overridden_at is not None),
            "overridden_at": decision.overridden_at.isoformat() if decision.overridden_at else "",
        }


# Cases, one a line (`hotline cases export`)


def export_rows(*, session: Session, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    """One row per case, oldest first, for `hotline cases export`."""
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        query = select(Case).order_by(col(Case.created_at), col(Case.id)).limit(batch_size)
        if last is not None:
            query = query.where(
                sa.or_(
                    col(Case.created_at) > last[0],
                    sa.and_(col(Case.created_at) == last[0], col(Case.id) > last[1]),
                )
            )
        cases = session.exec(query).all()
        if not cases:
            return
        case_ids = [case.id for case in cases]
        tips_by_case: dict[uuid.UUID, list[Tip]] = {case_id: [] for case_id in case_ids}
        for tip, case_id in session.exec(
            select(Tip, CaseTip.case_id)
            .join(CaseTip, col(CaseTip.tip_id) == col(Tip.id))
            .where(col(CaseTip.case_id).in_(case_ids))
            .order_by(col(Tip.received_at))
        ).all():
            tips_by_case[case_id].append(tip)
        targets_by_tip = decision_service.current_targets_by_tip(
            session=session, tip_ids=[tip.id for tips in tips_by_case.values() for tip in tips]
        )
        for case in cases:
            tips = tips_by_case[case.id]
            yield {
                "case_id": str(case.id),
                "status": case.status,
                "tip_external_ids": [tip.external_id for tip in tips if tip.external_id],
                "minor_status": case.minor_status,
                "jurisdiction": {"state": case.state, "county": case.county},
                "routing_targets": decision_service.routing_targets_of(tips, targets_by_tip),
            }
        last = (cases[-1].created_at, cases[-1].id)
