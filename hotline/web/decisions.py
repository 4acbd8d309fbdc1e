"""Supervisors' pages for routing decisions: the filtered list, one decision with its facts, targets, rule
trace, overrides and replay, and the override form. Every action goes through routing's service, as the API's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlmodel import col, select

from hotline.agencies import service as agency_service
from hotline.cases import service as case_service
from hotline.core import geo
from hotline.core.config import Settings
from hotline.decisions import service as decision_service
from hotline.decisions.models import OverrideIn, ReplayOut, RoutingDecision, TargetIn
from hotline.deps import SessionDep
from hotline.referrals import flows as referral_flows
from hotline.referrals import service as referral_service
from hotline.triage.models import MinorStatus, Urgency
from hotline.web.pages import (
    actor_names,
    day_bounds,
    ends_after,
    list_page,
    page_url,
    parse_id,
    read_filters,
    reason_problem,
    redirect,
    render,
)
from hotline.web.security import CsrfChecked, PageError, SupervisorUser
from integrations.webhooks import service as webhook_service
from routing.facts import FACT_SPECS

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
PRIORITIES = ("emergency", "high", "normal")
# Blank rows under the current targets, for agencies a supervisor adds.
ADD_ROWS = 2


class DecisionFilters(BaseModel):
    decided_from: date | None = None
    decided_to: date | None = None
    state: str | None = Field(None, max_length=40)
    minor_status: MinorStatus | None = None
    urgency: Urgency | None = None
    overridden: Literal["yes", "no"] | None = None
    review_required: Literal["yes", "no"] | None = None
    agency: str | None = Field(None, max_length=64)
    ruleset_version: int | None = Field(None, ge=1)
    tip_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    # Decisions with a referral whose webhook delivery failed for good (a dead letter not replayed yet).
    delivery_failed: Literal["yes"] | None = None
    cursor: str | None = Field(None, max_length=200)

    _dates_in_order = ends_after("decided_from", "decided_to")

    @field_validator("state")
    @classmethod
    def _state_code(cls, value: str | None) -> str | None:
        if value is None or value == "none":
            return value
        code = geo.usps_state_code(value)
        if code is None:
            raise ValueError(f"{value!r} is not a U.S. state")
        return code


def _yes_no(value: str | None) -> bool | None:
    return None if value is None else value == "yes"


@router.get("/decisions")
def decision_list(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    filters, errors = read_filters(DecisionFilters, request)
    settings: Settings = request.app.state.settings
    start, end = day_bounds(filters.decided_from, filters.decided_to, settings.display_timezone)
    # A case's decisions are its tips' decisions: a decision keeps the case its tip was in when routed, and
    # merges since then moved the tip.
    tip_ids = (
        [tip.id for tip in case_service.tips_of_case(session=session, case_id=filters.case_id)]
        if filters.case_id
        else None
    )
    query = {
        "tip_id": filters.tip_id,
        "tip_ids": tip_ids,
        "agency_id": filters.agency,
        "ruleset_version": filters.ruleset_version,
        "review_required": _yes_no(filters.review_required),
        "overridden": _yes_no(filters.overridden),
        "state": filters.state,
        "minor_status": filters.minor_status,
        "urgency": filters.urgency,
        "decided_from": start,
        "decided_to": end,
        "decision_ids": webhook_service.decisions_with_dead_letters(session=session)
        if filters.delivery_failed
        else None,
    }
    page = list_page(
        decision_service.list_decisions,
        cursor=filters.cursor,
        errors=errors,
        session=session,
        limit=PAGE_SIZE,
        **query,
    )
    agencies = agency_service.list_agencies(session=session)
    # What each listed decision saw, for the state, minor and urgency columns.
    ids = [decision.id for decision in page.items]
    facts = dict(
        session.exec(
            select(RoutingDecision.id, RoutingDecision.facts).where(col(RoutingDecision.id).in_(ids))
        ).all()
    )
    return render(
        request,
        "decisions/list.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "page": page,
            "facts": facts,
            "next_url": page_url(request, cursor=page.next_cursor) if page.next_cursor else None,
            "state_options": [("none", "unknown")]
            + [(code, code) for code in sorted(geo.US_JURISDICTION_CODES)],
            "agency_options": [(agency.id, f"{agency.id} — {agency.name}") for agency in agencies],
        },
        web_user=web_user,
    )


@dataclass
class TargetRow:
    """One row of the override form: a current target (keep it or not) or a blank row to add one."""

    index: int
    agency_id: str
    priority: str
    sla_minutes: str
    keep: bool
    existing: bool


def _rows_from_targets(targets: list[Any]) -> list[TargetRow]:
    rows = [
        TargetRow(
            index,
            target.agency_id,
            target.priority,
            "" if target.sla_minutes is None else str(target.sla_minutes),
            keep=True,
            existing=True,
        )
        for index, target in enumerate(targets)
    ]
    return rows + [
        TargetRow(len(rows) + n, "", "normal", "", keep=True, existing=False) for n in range(ADD_ROWS)
    ]


def _rows_from_form(form: Any) -> list[TargetRow]:
    rows = []
    for index in range(decision_service.MAX_PAGE_SIZE):
        prefix = f"targets-{index}-"
        if f"{prefix}agency_id" not in form:
            break
        rows.append(
            TargetRow(
                index,
                str(form.get(f"{prefix}agency_id") or "").strip(),
                str(form.get(f"{prefix}priority") or "normal"),
                str(form.get(f"{prefix}sla_minutes") or "").strip(),
                keep=form.get(f"{prefix}keep") == "1",
                existing=form.get(f"{prefix}existing") == "1",
            )
        )
    return rows


def _targets_in(rows: list[TargetRow]) -> list[TargetIn]:
    """The targets the form asks for; ValueError names the first row that does not make sense."""
    targets = []
    for row in rows:
        if not row.keep or not row.agency_id:
            continue
        if row.priority not in PRIORITIES:
            raise ValueError(f"{row.agency_id}: choose a priority")
        sla = None
        if row.sla_minutes:
            if not row.sla_minutes.isdigit():
                raise ValueError(f"{row.agency_id}: the response time is a whole number of minutes")
            sla = int(row.sla_minutes)
        try:
            targets.append(TargetIn(agency_id=row.agency_id, priority=row.priority, sla_minutes=sla))  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ValueError(f"{row.agency_id}: {exc.errors()[0]['msg']}") from exc
    if not targets:
        raise ValueError("Keep or add at least one target: a tip is never routed nowhere.")
    return targets


def _decision_or_404(session, decision_id: str):  # type: ignore[no-untyped-def]
    decision = decision_service.get_decision(session=session, decision_id=parse_id(decision_id, "decision"))
    if decision is None:
        raise PageError(404, "There is no routing decision with this id.")
    return decision


def _trace_changes(stored: list[Any], replayed: list[Any]) -> list[tuple[str, bool | None, bool | None]]:
    """Rules whose outcome differs between two traces: (rule, matched before, matched now)."""
    before = {entry.rule_id: entry.matched for entry in stored}
    after = {entry.rule_id: entry.matched for entry in replayed}
    return [
        (rule, before.get(rule), after.get(rule))
        for rule in dict.fromkeys([*before, *after])
        if before.get(rule) != after.get(rule)
    ]


def _decision_page(  # type: ignore[no-untyped-def]
    request: Request,
    session,
    web_user,
    decision,
    *,
    replay: ReplayOut | None = None,
    rows: list[TargetRow] | None = None,
    reason: str = "",
    problem: str | None = None,
    status_code: int = 200,
):
    out = decision_service.decision_out(session=session, decision=decision)
    return render(
        request,
        "decisions/detail.html",
        {
            **_decision_context(session, out),
            "replay": replay,
            "replay_trace_changes": {
                "stored": _trace_changes(out.trace, replay.stored_version.trace),
                "current": _trace_changes(out.trace, replay.current_version.trace),
            }
            if replay
            else None,
            "rows": rows or _rows_from_targets(out.targets),
            "reason": reason,
            "problem": problem,
            "overridden": request.query_params.get("overridden") == "1",
        },
        web_user=web_user,
        status_code=status_code,
    )


@dataclass
class DeliveryRow:
    """A referral of the decision's tip, with the state of its latest webhook delivery (if it has one)."""

    referral: Any
    latest: Any | None
    of_this_decision: bool


def _deliveries(session, out) -> list[DeliveryRow]:  # type: ignore[no-untyped-def]
    referrals = referral_service.supervisor_referrals(
        session=session, tip_id=out.tip_id, limit=webhook_service.MAX_PAGE_SIZE
    ).items
    rows = []
    for referral in reversed(referrals):  # oldest first, like the targets
        latest = None
        if referral.channel == "webhook":
            log = webhook_service.delivery_log(session=session, referral_id=referral.id)
            latest = log.deliveries[-1] if log.deliveries else None
        rows.append(DeliveryRow(referral, latest, referral.decision_id == out.id))
    return rows


def _decision_context(session, out) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the decision page shows besides the forms: the decision, what its rules are for, agencies,
    who acted, and the delivery of its referrals."""
    ruleset = decision_service.get_ruleset(session=session, version=out.ruleset_version)
    rules = {}
    if ruleset is not None:
        rules = {
            rule.id: rule for rule in decision_service.engine_for(session=session, ruleset=ruleset).all_rules
        }
    agencies = agency_service.list_agencies(session=session)
    return {
        "decision": out,
        "facts": [
            (name, out.facts.get(name), FACT_SPECS[name].doc if name in FACT_SPECS else "")
            for name in out.facts
        ],
        "rules": rules,
        "agency_names": {agency.id: agency.name for agency in agencies},
        "agency_options": [("", "— add an agency —")]
        + [(agency.id, f"{agency.id} — {agency.name}") for agency in agencies if agency.active],
        "priorities": PRIORITIES,
        "names": actor_names(
            session, [out.decided_by, *(override.overridden_by for override in out.overrides)]
        ),
        "deliveries": _deliveries(session, out),
    }


@router.get("/decisions/{decision_id}")
def decision_page(
    request: Request, decision_id: str, session: SessionDep, web_user: SupervisorUser
) -> Response:
    return _decision_page(request, session, web_user, _decision_or_404(session, decision_id))


@router.post("/decisions/{decision_id}/replay")
def replay_decision(
    request: Request, decision_id: str, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    decision = _decision_or_404(session, decision_id)
    replay = decision_service.replay_decision(session=session, decision_id=decision.id, actor=web_user.actor)
    session.commit()
    return _decision_page(request, session, web_user, decision, replay=replay)


@router.post("/decisions/{decision_id}/override")
async def override_decision(
    request: Request, decision_id: str, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    decision = _decision_or_404(session, decision_id)
    form = await request.form()
    rows = _rows_from_form(form)
    reason = str(form.get("reason") or "")
    problem = reason_problem(reason)
    if problem is None:
        try:
            override_in = OverrideIn(targets=_targets_in(rows), reason=" ".join(reason.split())[:2000])
            referral_flows.override_decision(
                session=session,
                settings=request.app.state.settings,
                decision_id=decision.id,
                override_in=override_in,
                actor=web_user.actor,
            )
        except ValidationError as exc:
            problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        except (ValueError, decision_service.OverrideRefused) as exc:
            problem = str(exc)
    if problem is not None:
        session.rollback()
        return _decision_page(
            request, session, web_user, decision, rows=rows, reason=reason, problem=problem, status_code=422
        )
    session.commit()
    return redirect(f"/decisions/{decision.id}?overridden=1#overrides-heading")
