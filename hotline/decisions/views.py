"""HTTP handlers for routing: decisions (read, replay, override), rulesets (validate, simulate, publish,
versions) and the agency directory."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from hotline.core import pagination
from hotline.core.database import MAX_INTEGER
from hotline.decisions import service as decision_service
from hotline.decisions.models import (
    DecisionOut,
    DecisionPage,
    ReplayOut,
    RulesetIn,
    RulesetOut,
    RulesetSummary,
    SimulationIn,
    SimulationOut,
    ValidationOut,
)
from hotline.deps import SessionDep, SupervisorActor
from routing.source import Problem

decisions = APIRouter(prefix="/api/v1/decisions", tags=["routing"])
rulesets = APIRouter(prefix="/api/v1/rulesets", tags=["routing"])


def _unprocessable(problems: list[Problem]) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [
            {"field": "content", "msg": str(problem), "type": "ruleset", **problem.as_dict()}
            for problem in problems
        ],
    )


# Decisions


@decisions.get("", response_model=DecisionPage)
def list_decisions(
    session: SessionDep,
    actor: SupervisorActor,
    tip_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    agency_id: Annotated[str | None, Query(max_length=64, description="a current target")] = None,
    ruleset_version: Annotated[int | None, Query(ge=1, le=MAX_INTEGER)] = None,
    review_required: bool | None = None,
    overridden: bool | None = None,
    decided_from: Annotated[date | datetime | None, Query(description="inclusive")] = None,
    decided_to: Annotated[date | datetime | None, Query(description="a date includes that day")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=decision_service.MAX_PAGE_SIZE)] = 50,
) -> DecisionPage:
    """Routing decisions, newest first, with their current targets."""
    start, end = pagination.start_of(decided_from), pagination.start_of(decided_to, next_day=True)
    if start and end and start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "decided_from must be before decided_to")
    try:
        return decision_service.list_decisions(
            session=session,
            tip_id=tip_id,
            case_id=case_id,
            agency_id=agency_id,
            ruleset_version=ruleset_version,
            review_required=review_required,
            overridden=overridden,
            decided_from=start,
            decided_to=end,
            cursor=cursor,
            limit=limit,
        )
    except decision_service.InvalidCursor as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"cursor: {exc}") from exc


@decisions.get("/{decision_id}", response_model=DecisionOut)
def read_decision(decision_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> DecisionOut:
    """A decision: the facts it saw, the ruleset version, original and current targets, trace, overrides."""
    decision = decision_service.get_decision(session=session, decision_id=decision_id)
    if decision is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no decision with this id")
    return decision_service.decision_out(session=session, decision=decision)


@decisions.post("/{decision_id}/replay", response_model=ReplayOut)
def replay_decision(decision_id: uuid.UUID, session: SessionDep, actor: SupervisorActor) -> ReplayOut:
    """Re-evaluate the stored facts under the stored ruleset version (must reproduce the decision) and
    under the active version (shows what would differ today). Changes nothing."""
    try:
        replay = decision_service.replay_decision(session=session, decision_id=decision_id, actor=actor)
    except decision_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no decision with this id") from exc
    session.commit()
    return replay


# Rulesets


@rulesets.get("", response_model=list[RulesetSummary])
def list_rulesets(session: SessionDep, actor: SupervisorActor) -> list[RulesetSummary]:
    """Every published version, newest (active) first."""
    return decision_service.list_rulesets(session=session)


@rulesets.get("/{version}", response_model=RulesetOut)
def read_ruleset(
    version: Annotated[int, Path(ge=1, le=MAX_INTEGER)], session: SessionDep, actor: SupervisorActor
) -> RulesetOut:
    """One version, with its YAML exactly as published."""
    ruleset = decision_service.ruleset_out(session=session, version=version)
    if ruleset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no ruleset with this version")
    return ruleset


@rulesets.post("/validate", response_model=ValidationOut)
def validate_ruleset(ruleset_in: RulesetIn, session: SessionDep, actor: SupervisorActor) -> ValidationOut:
    """Check a candidate ruleset and run its tests. Writes nothing."""
    engine, problems = decision_service.check_candidate(
        session=session, text=ruleset_in.content, source=ruleset_in.source
    )
    return ValidationOut(
        ok=engine is not None and not problems,
        rules=len(engine.all_rules) if engine else 0,
        tests=len(engine.source.tests) if engine else 0,
        problems=decision_service.problems_out(problems),
    )


@rulesets.post("/simulate", response_model=SimulationOut)
def simulate_ruleset(
    simulation_in: SimulationIn, session: SessionDep, actor: SupervisorActor
) -> SimulationOut:
    """Re-route the last N days' decisions under a candidate ruleset: how many change, and how. Writes
    nothing."""
    since = datetime.now(UTC) - timedelta(days=simulation_in.since_days)
    try:
        return decision_service.simulate(
            session=session,
            text=simulation_in.content,
            source=simulation_in.source,
            since=since,
            examples=simulation_in.examples,
        )
    except decision_service.RulesetRefused as exc:
        raise _unprocessable(exc.problems) from exc


@rulesets.post("", response_model=RulesetOut, status_code=status.HTTP_201_CREATED)
def publish_ruleset(
    ruleset_in: RulesetIn, session: SessionDep, actor: SupervisorActor, response: Response
) -> RulesetOut:
    """Publish a ruleset as the new active version; refused (422) unless it validates and its tests pass."""
    try:
        ruleset = decision_service.publish_ruleset(
            session=session,
            text=ruleset_in.content,
            source=ruleset_in.source,
            author=actor.name,
            actor=actor,
            comment=ruleset_in.comment,
        )
    except decision_service.RulesetRefused as exc:
        raise _unprocessable(exc.problems) from exc
    except decision_service.PublishConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    session.commit()
    response.headers["Location"] = f"/api/v1/rulesets/{ruleset.version}"
    published = decision_service.ruleset_out(session=session, version=ruleset.version)
    assert published is not None
    return published


router = APIRouter()
router.include_router(decisions)
router.include_router(rulesets)
