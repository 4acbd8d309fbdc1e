"""Routing's work on the database: the directory, ruleset versions, decisions, replays, overrides, simulation.

Every decision is a row with its facts, the ruleset version and the full trace, written in the triage
transaction; everything that changes what routing does (a sync, a publish, an override) is audited.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from hotline.agencies import service as agency_service
from hotline.core import pagination
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.decisions.models import (
    DecisionOut,
    DecisionPage,
    DecisionSummary,
    MoveOut,
    OverrideIn,
    OverrideOut,
    ProblemOut,
    Replay,
    ReplayOut,
    RoutingDecision,
    RoutingOverride,
    Ruleset,
    RulesetOut,
    RulesetSummary,
    SimulationExample,
    SimulationOut,
)
from hotline.tips.models import Tip
from routing.engine import ENGINE_VERSION, Engine, Evaluation, check_ruleset, compile_ruleset
from routing.facts import FACTS_VERSION, RoutingFacts
from routing.outcome import RoutingOutcome, RoutingTarget, RuleTrace
from routing.source import Problem

DEFAULT_RULESET_FILE = "rules/default.yaml"
MAX_PAGE_SIZE = 100
_ENGINE_CACHE_SIZE = 16


class RulesetRefused(ValueError):
    """A ruleset that does not validate or fails its own tests; publishing it is refused."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class PublishConflict(RuntimeError):
    pass


class NotFound(LookupError):
    pass


InvalidCursor = pagination.InvalidCursor


def problems_out(problems: Iterable[Problem]) -> list[ProblemOut]:
    return [ProblemOut(**problem.as_dict()) for problem in problems]


# Rulesets


def shipped_default_ruleset() -> str:
    return resources.files("routing").joinpath(DEFAULT_RULESET_FILE).read_text(encoding="utf-8")


def active_ruleset(*, session: Session) -> Ruleset | None:
    return session.exec(select(Ruleset).order_by(col(Ruleset.version).desc()).limit(1)).first()


def get_ruleset(*, session: Session, version: int) -> Ruleset | None:
    return session.exec(select(Ruleset).where(Ruleset.version == version)).first()


def check_candidate(*, session: Session, text: str, source: str) -> tuple[Engine | None, list[Problem]]:
    """Validate a ruleset against the directory in the database and run its tests. Writes nothing."""
    return check_ruleset(text, file=source, agencies=agency_service.agency_kinds(session=session))


def publish_ruleset(
    *, session: Session, text: str, source: str, author: str, actor: Actor, comment: str | None = None
) -> Ruleset:
    """Store a ruleset as the new active version. Refused (RulesetRefused) unless valid and its tests pass."""
    agency_service.sync_directory(session=session, actor=actor)
    engine, problems = check_candidate(session=session, text=text, source=source)
    if engine is None or problems:
        raise RulesetRefused(problems)
    return _store_ruleset(session, engine, source=source, author=author, actor=actor, comment=comment)


def _store_ruleset(
    session: Session, engine: Engine, *, source: str, author: str, actor: Actor, comment: str | None
) -> Ruleset:
    current = active_ruleset(session=session)
    ruleset = Ruleset(
        version=(current.version if current else 0) + 1,
        name=engine.source.name,
        content=engine.source.text,
        content_hash=engine.source.content_hash,
        source=source[:300],
        hit_policy=engine.hit_policy,
        rule_count=len(engine.all_rules),
        test_count=len(engine.source.tests),
        author=author[:120],
        comment=comment,
        published_by=actor.ref,
    )
    try:
        with session.begin_nested():
            session.add(ruleset)
            session.flush()
    except IntegrityError as exc:
        raise PublishConflict("another ruleset version was published at the same moment; try again") from exc
    audit_service.record(
        session,
        actor=actor,
        action="ruleset.published",
        subject_type="ruleset",
        subject_id=ruleset.version,
        detail={
            "version": ruleset.version,
            "previous_version": current.version if current else None,
            "content_hash": ruleset.content_hash,
            "name": ruleset.name,
            "source": ruleset.source,
            "author": ruleset.author,
            "rules": ruleset.rule_count,
            "tests": ruleset.test_count,
        },
    )
    return ruleset


def ensure_active_ruleset(*, session: Session, actor: Actor) -> Ruleset:
    """The active ruleset; on a fresh install, the shipped default is published first (audited)."""
    ruleset = active_ruleset(session=session)
    if ruleset is not None:
        return ruleset
    try:
        return publish_ruleset(
            session=session,
            text=shipped_default_ruleset(),
            source=f"routing/{DEFAULT_RULESET_FILE}",
            author="hotline (shipped default)",
            actor=actor,
            comment="published automatically: no ruleset had been published when routing first ran",
        )
    except PublishConflict:
        # A concurrent first tip published it; use theirs.
        ruleset = active_ruleset(session=session)
        if ruleset is None:
            raise
        return ruleset


def engine_for(*, session: Session, ruleset: Ruleset) -> Engine:
    kinds = agency_service.agency_kinds(session=session)
    return _compiled(ruleset.content, ruleset.source, tuple(sorted(kinds.items())))


@lru_cache(maxsize=_ENGINE_CACHE_SIZE)
def _compiled(text: str, source: str, kinds: tuple[tuple[str, str], ...]) -> Engine:
    # A stored ruleset was valid when published; it compiles the same way every time.
    return compile_ruleset(text, file=source, agencies=dict(kinds))


def ruleset_summary(ruleset: Ruleset, *, active_version: int | None) -> RulesetSummary:
    return RulesetSummary(
        **ruleset.model_dump(exclude={"id", "content"}), active=ruleset.version == active_version
    )


def list_rulesets(*, session: Session) -> list[RulesetSummary]:
    rulesets = session.exec(select(Ruleset).order_by(col(Ruleset.version).desc())).all()
    active_version = rulesets[0].version if rulesets else None
    return [ruleset_summary(ruleset, active_version=active_version) for ruleset in rulesets]


def ruleset_out(*, session: Session, version: int) -> RulesetOut | None:
    ruleset = get_ruleset(session=session, version=version)
    if ruleset is None:
        return None
    active = active_ruleset(session=session)
    summary = ruleset_summary(ruleset, active_version=active.version if active else None)
    return RulesetOut(**summary.model_dump(), content=ruleset.content)


# Routing a tip


def _agency_ids_column(targets: Iterable[Mapping[str, Any]]) -> str:
    return "," + ",".join(target["agency_id"] for target in targets) + ","


def route_tip(
    *, session: Session, tip: Tip, case_id: uuid.UUID | None, facts: RoutingFacts, actor: Actor
) -> RoutingDecision:
    """Evaluate the active ruleset over the tip's facts and store the decision in the caller's transaction
    (the caller makes its referrals in the same one: hotline.referrals)."""
    agency_service.sync_directory(session=session, actor=actor)
    ruleset = ensure_active_ruleset(session=session, actor=actor)
    evaluation = engine_for(session=session, ruleset=ruleset).evaluate(facts)
    targets = [target.as_dict() for target in evaluation.targets]
    decision = RoutingDecision(
        tip_id=tip.id,
        case_id=case_id,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        engine_version=ENGINE_VERSION,
        facts_version=FACTS_VERSION,
        facts=facts.model_dump(mode="json"),
        targets=targets,
        trace=[entry.as_dict() for entry in evaluation.trace],
        review_required=evaluation.review_required,
        current_targets=targets,
        agency_ids=_agency_ids_column(targets),
        decided_by=actor.ref,
    )
    session.add(decision)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="routing.decided",
        subject_type="routing_decision",
        subject_id=decision.id,
        detail={
            "tip_id": str(tip.id),
            "case_id": str(case_id) if case_id else None,
            "ruleset_version": ruleset.version,
            "targets": [target["agency_id"] for target in targets],
            "rules": evaluation.matched_rule_ids,
            "review_required": evaluation.review_required,
        },
    )
    return decision


def facts_changed(*, session: Session, decision_id: uuid.UUID, facts: RoutingFacts) -> bool:
    """Whether these facts differ from those a stored decision saw (a missing decision counts as changed)."""
    decision = session.get(RoutingDecision, decision_id)
    return decision is None or decision.facts != facts.model_dump(mode="json")


def outcome_of(decision: RoutingDecision) -> RoutingOutcome:
    return RoutingOutcome(
        decision_id=decision.id,
        ruleset_version=str(decision.ruleset_version),
        targets=[RoutingTarget(**target) for target in decision.targets],
        trace=[RuleTrace(**entry) for entry in decision.trace],
        review_required=decision.review_required,
    )


# Decisions


def _summary(decision: RoutingDecision) -> DecisionSummary:
    return DecisionSummary(
        id=decision.id,
        tip_id=decision.tip_id,
        case_id=decision.case_id,
        ruleset_version=decision.ruleset_version,
        targets=[RoutingTarget(**target) for target in decision.current_targets],
        review_required=decision.review_required,
        overridden=decision.overridden_at is not None,
        decided_at=decision.decided_at,
        decided_by=decision.decided_by,
    )


def list_decisions(
    *,
    session: Session,
    tip_id: uuid.UUID | None = None,
    tip_ids: Iterable[uuid.UUID] | None = None,
    decision_ids: Iterable[uuid.UUID] | None = None,
    case_id: uuid.UUID | None = None,
    agency_id: str | None = None,
    ruleset_version: int | None = None,
    review_required: bool | None = None,
    overridden: bool | None = None,
    state: str | None = None,
    minor_status: str | None = None,
    urgency: str | None = None,
    decided_from: datetime | None = None,
    decided_to: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DecisionPage:
    """Newest first, keyset-paginated on (decided_at, id).

    `state`, `minor_status` and `urgency` are the facts the decision saw (not the tip's later reading);
    `state="none"` finds decisions made without a known state.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(RoutingDecision)
    if tip_id:
        query = query.where(RoutingDecision.tip_id == tip_id)
    if tip_ids is not None:
        query = query.where(col(RoutingDecision.tip_id).in_(list(tip_ids)))
    if decision_ids is not None:
        query = query.where(col(RoutingDecision.id).in_(list(decision_ids)))
    facts = col(RoutingDecision.facts)
    if state == "none":
        query = query.where(facts["state"].as_string().is_(None))
    elif state:
        query = query.where(facts["state"].as_string() == state)
    if minor_status:
        query = query.where(facts["minor_status"].as_string() == minor_status)
    if urgency:
        query = query.where(facts["urgency"].as_string() == urgency)
    if case_id:
        query = query.where(RoutingDecision.case_id == case_id)
    if agency_id:
        query = query.where(col(RoutingDecision.agency_ids).contains(f",{agency_id},", autoescape=True))
    if ruleset_version is not None:
        query = query.where(RoutingDecision.ruleset_version == ruleset_version)
    if review_required is not None:
        query = query.where(RoutingDecision.review_required == review_required)
    if overridden is not None:
        column = col(RoutingDecision.overridden_at)
        query = query.where(column.is_not(None) if overridden else column.is_(None))
    if decided_from:
        query = query.where(col(RoutingDecision.decided_at) >= decided_from)
    if decided_to:
        query = query.where(col(RoutingDecision.decided_at) < decided_to)
    page, next_cursor = pagination.keyset_page(
        session,
        query,
        at=col(RoutingDecision.decided_at),
        row_id=col(RoutingDecision.id),
        cursor=cursor,
        limit=limit,
    )
    return DecisionPage(items=[_summary(decision) for decision in page], next_cursor=next_cursor)


def overrides_of(*, session: Session, decision_id: uuid.UUID) -> list[RoutingOverride]:
    return list(
        session.exec(
            select(RoutingOverride)
            .where(RoutingOverride.decision_id == decision_id)
            .order_by(col(RoutingOverride.overridden_at), col(RoutingOverride.id))
        ).all()
    )


def decision_out(*, session: Session, decision: RoutingDecision) -> DecisionOut:
    return DecisionOut(
        **_summary(decision).model_dump(),
        facts=decision.facts,
        facts_version=decision.facts_version,
        engine_version=decision.engine_version,
        original_targets=[RoutingTarget(**target) for target in decision.targets],
        trace=[RuleTrace(**entry) for entry in decision.trace],
        overrides=[
            OverrideOut(
                id=override.id,
                previous_targets=[RoutingTarget(**target) for target in override.previous_targets],
                targets=[RoutingTarget(**target) for target in override.targets],
                reason=override.reason,
                overridden_at=override.overridden_at,
                overridden_by=override.overridden_by,
            )
            for override in overrides_of(session=session, decision_id=decision.id)
        ],
    )


def get_decision(*, session: Session, decision_id: uuid.UUID) -> RoutingDecision | None:
    return session.get(RoutingDecision, decision_id)


def _replay(engine: Engine, ruleset: Ruleset, decision: RoutingDecision) -> Replay:
    facts = RoutingFacts.model_validate(decision.facts)
    evaluation = engine.evaluate(facts)
    targets = [target.as_dict() for target in evaluation.targets]
    trace = [entry.as_dict() for entry in evaluation.trace]
    stored = {target["agency_id"]: target for target in decision.targets}
    now = {target["agency_id"]: target for target in targets}
    return Replay(
        ruleset_version=ruleset.version,
        targets=[RoutingTarget(**target) for target in targets],
        review_required=evaluation.review_required,
        trace=[RuleTrace(**entry) for entry in trace],
        identical=(
            targets == decision.targets
            and trace == decision.trace
            and evaluation.review_required == decision.review_required
        ),
        added=[agency for agency in now if agency not in stored],
        removed=[agency for agency in stored if agency not in now],
        changed=[
            agency
            for agency in now
            if agency in stored
            and (now[agency]["priority"], now[agency]["sla_minutes"])
            != (stored[agency]["priority"], stored[agency]["sla_minutes"])
        ],
    )


def replay_decision(*, session: Session, decision_id: uuid.UUID, actor: Actor) -> ReplayOut:
    """Re-evaluate a decision's stored facts under its stored ruleset version, and under the active one."""
    decision = get_decision(session=session, decision_id=decision_id)
    if decision is None:
        raise NotFound(str(decision_id))
    stored_ruleset = session.get(Ruleset, decision.ruleset_id)
    active = active_ruleset(session=session)
    if stored_ruleset is None or active is None:
        raise NotFound("ruleset")
    stored = _replay(engine_for(session=session, ruleset=stored_ruleset), stored_ruleset, decision)
    current = _replay(engine_for(session=session, ruleset=active), active, decision)
    audit_service.record(
        session,
        actor=actor,
        action="routing.replayed",
        subject_type="routing_decision",
        subject_id=decision.id,
        detail={
            "stored_version": stored_ruleset.version,
            "reproduced": stored.identical,
            "current_version": active.version,
            "current_identical": current.identical,
        },
    )
    return ReplayOut(decision_id=decision.id, stored_version=stored, current_version=current)


class OverrideRefused(ValueError):
    pass


def override_decision(
    *, session: Session, decision_id: uuid.UUID, override_in: OverrideIn, actor: Actor
) -> RoutingDecision:
    """Replace a decision's current targets; the rules' original and every earlier override stay visible.
    Referrals follow in the same transaction (hotline.referrals.flows.override_decision)."""
    decision = get_decision(session=session, decision_id=decision_id)
    if decision is None:
        raise NotFound(str(decision_id))
    known = agency_service.agency_kinds(session=session)
    unknown = [target.agency_id for target in override_in.targets if target.agency_id not in known]
    if unknown:
        raise OverrideRefused(f"targets: no active agency {', '.join(map(repr, unknown))} in the directory")
    previous = decision.current_targets
    by_agency = {target["agency_id"]: target for target in previous}
    targets = [
        {
            "agency_id": target.agency_id,
            # A target the rules chose keeps its rule id; one the supervisor added is theirs.
            "rule_id": by_agency[target.agency_id]["rule_id"]
            if target.agency_id in by_agency
            else "override",
            "priority": target.priority,
            "sla_minutes": target.sla_minutes,
        }
        for target in override_in.targets
    ]
    override = RoutingOverride(
        decision_id=decision.id,
        previous_targets=previous,
        targets=targets,
        reason=override_in.reason,
        overridden_by=actor.ref,
    )
    decision.current_targets = targets
    decision.agency_ids = _agency_ids_column(targets)
    decision.overridden_at = override.overridden_at
    session.add_all([override, decision])
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="routing.overridden",
        subject_type="routing_decision",
        subject_id=decision.id,
        detail={
            "override_id": str(override.id),
            "tip_id": str(decision.tip_id),
            "from": [target["agency_id"] for target in previous],
            "to": [target["agency_id"] for target in targets],
            # The reason is kept in routing_override (protected text); the audit chain holds its length.
            "reason_chars": len(override_in.reason),
        },
    )
    return decision


def current_targets_by_tip(*, session: Session, tip_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each tip's latest decision's current agency ids (overrides applied)."""
    if not tip_ids:
        return {}
    latest = (
        select(RoutingDecision.tip_id, func.max(RoutingDecision.decided_at).label("decided_at"))
        .where(col(RoutingDecision.tip_id).in_(tip_ids))
        .group_by(col(RoutingDecision.tip_id))
        .subquery()
    )
    rows = session.exec(
        select(RoutingDecision.tip_id, RoutingDecision.current_targets).join(
            latest,
            sa.and_(
                col(RoutingDecision.tip_id) == latest.c.tip_id,
                col(RoutingDecision.decided_at) == latest.c.decided_at,
            ),
        )
    ).all()
    return {tip_id: [target["agency_id"] for target in targets] for tip_id, targets in rows}


# Simulation


def _agency_list(targets: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted(target["agency_id"] for target in targets)


def simulate(
    *,
    session: Session,
    text: str,
    source: str,
    since: datetime,
    examples: int = 5,
) -> SimulationOut:
    """Re-route the stored facts of past decisions under a candidate ruleset and count what would change.

    Compares with what the rules decided then (not with overrides), so the difference is the ruleset's
    alone. Writes nothing.
    """
    engine, problems = check_candidate(session=session, text=text, source=source)
    if engine is None:
        raise RulesetRefused(problems)
    latest: dict[uuid.UUID, RoutingDecision] = {}
    query = (
        select(RoutingDecision)
        .where(col(RoutingDecision.decided_at) >= since)
        .order_by(col(RoutingDecision.decided_at), col(RoutingDecision.id))
        .execution_options(yield_per=500)
    )
    for decision in session.exec(query):
        latest[decision.tip_id] = decision  # a re-routed tip counts once, by its latest decision
    moves: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    changed = review_changed = 0
    sample: list[SimulationExample] = []
    for decision in latest.values():
        evaluation: Evaluation = engine.evaluate(RoutingFacts.model_validate(decision.facts))
        before = _agency_list(decision.targets)
        after = sorted(evaluation.agency_ids)
        if evaluation.review_required != decision.review_required:
            review_changed += 1
        if before == after:
            continue
        changed += 1
        moves[(tuple(before), tuple(after))] += 1
        gained.update(set(after) - set(before))
        lost.update(set(before) - set(after))
        if len(sample) < examples:
            sample.append(
                SimulationExample(
                    decision_id=decision.id,
                    tip_id=decision.tip_id,
                    facts=decision.facts,
                    from_targets=before,
                    to_targets=after,
                )
            )
    active = active_ruleset(session=session)
    result = SimulationOut(
        candidate_hash=engine.source.content_hash,
        active_version=active.version if active else None,
        since=since,
        decisions=len(latest),
        changed=changed,
        moves=[
            MoveOut(from_targets=list(before), to_targets=list(after), count=count)
            for (before, after), count in moves.most_common()
        ],
        agencies_gained=dict(gained.most_common()),
        agencies_lost=dict(lost.most_common()),
        review_changed=review_changed,
        examples=sample,
        problems=problems_out(problems),
    )
    return result


# The agencies a case's tips go to


def current_routing_targets(*, session: Session, tips: list[Tip]) -> list[str]:
    """Agency ids a case's tips are routed to now (overrides applied), in first-routed order."""
    targets_by_tip = current_targets_by_tip(session=session, tip_ids=[tip.id for tip in tips])
    return routing_targets_of(tips, targets_by_tip)


def routing_targets_of(tips: list[Tip], targets_by_tip: dict[uuid.UUID, list[str]]) -> list[str]:
    """Agency ids the case's tips are routed to now (supervisor overrides applied), in first-routed order."""
    targets: list[str] = []
    for tip in tips:
        for agency_id in targets_by_tip.get(tip.id, []):
            if agency_id not in targets:
                targets.append(agency_id)
    return targets
