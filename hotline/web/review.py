"""Supervisors' dedup pages: the review queue (oldest first), one review with the tip and each candidate case
side by side and the field scores that explain the match, and the corrections (confirm, reject, merge two
cases, move a tip out of its case), each with a reason. Every correction goes through dedup's service.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from hotline.access import service as access_service
from hotline.cases import service as case_service
from hotline.deps import SessionDep
from hotline.matching import scoring
from hotline.matching import service as matching_service
from hotline.matching.models import MatchDecision
from hotline.tips import service as tip_service
from hotline.web.cases import render_case_page
from hotline.web.pages import (
    list_page,
    page_url,
    parse_id,
    read_filters,
    read_reason,
    reason_problem,
    redirect,
    render,
)
from hotline.web.security import CsrfChecked, PageError, SupervisorUser, WebUser

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
QUEUE_NOTICES = {
    "rejected": "Review rejected: the tip keeps its own case, and the pair will not be offered again."
}
# How the README and the scoring module name the fields a match weighs.
FIELD_LABELS = {
    "name": "Name",
    "birth_year": "Birth year or age",
    "gender": "Gender",
    "other_person": "Another person on both",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "place": "Place",
    "time": "Time between reports",
}


NOT_COMPARED = "\N{EN DASH}"


class QueueFilters(BaseModel):
    status: Literal["pending", "confirmed", "rejected", "superseded"] = "pending"
    cursor: str | None = Field(None, max_length=200)


@router.get("/review")
def review_queue(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    filters, errors = read_filters(QueueFilters, request)
    page = list_page(
        matching_service.list_reviews,
        cursor=filters.cursor,
        errors=errors,
        invalid=matching_service.InvalidCursor,
        session=session,
        status=filters.status,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "review/queue.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "page": page,
            "next_url": page_url(request, cursor=page.next_cursor) if page.next_cursor else None,
            "notice": QUEUE_NOTICES.get(request.query_params.get("decided", "")),
        },
        web_user=web_user,
    )


@dataclass
class FieldRow:
    """One line of a match's explanation: how alike a field is on both sides and what that weighed."""

    field: str
    label: str
    similarity: str
    weight: float | None
    meaning: str


def explain(fields: dict[str, float], weights: dict[str, float]) -> list[FieldRow]:
    """The stored similarities and weights of a candidate, heaviest evidence first. The name's weight covers
    the given and family names, whose similarities are shown together."""
    rows = []
    for name, weight in weights.items():
        if name == "name":
            parts = [
                f"{part.split('_')[0]} {fields[part]:.2f}"
                for part in ("given_name", "family_name")
                if part in fields
            ]
            similarity = ", ".join(parts) or NOT_COMPARED
        else:
            similarity = f"{fields[name]:.2f}" if name in fields else NOT_COMPARED
        model = scoring.MODELS.get(name)
        rows.append(
            FieldRow(
                name, FIELD_LABELS.get(name, name), similarity, weight, model.description if model else ""
            )
        )
    return sorted(rows, key=lambda row: -abs(row.weight or 0))


@dataclass
class CandidateView:
    case_id: uuid.UUID
    score: float
    case: object | None  # CaseOut of the candidate, or of its successor when it has been merged since
    merged_into: uuid.UUID | None
    rows: list[FieldRow]
    total_weight: float


def _review_page(  # type: ignore[no-untyped-def]
    request: Request,
    session: Session,
    web_user: WebUser,
    review,
    *,
    problem: str | None = None,
    reason: str = "",
    failed: str | None = None,
    status_code: int = 200,
) -> Response:
    out = matching_service.review_out(review)
    tip = tip_service.get_tip(session=session, tip_id=out.tip_id)
    if tip is None:
        raise PageError(404, "The tip of this review is gone.")
    tip_case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    candidates = []
    for candidate in out.candidates:
        case = case_service.get_case_out(session=session, case_id=candidate.case_id)
        merged_into = None
        if case is not None and case.merged_into_id is not None:
            merged_into = case.merged_into_id
            case = case_service.get_case_out(session=session, case_id=merged_into) or case
        candidates.append(
            CandidateView(
                candidate.case_id,
                candidate.score,
                case,
                merged_into,
                explain(candidate.fields, candidate.weights),
                round(scoring.PRIOR_LOG2_ODDS + sum(candidate.weights.values()), 2),
            )
        )
    # The page shows the tip and every candidate case with their people: each is a read of personal data.
    reads = [access_service.Read("tip", tip.id, tip_case_id)] + [
        access_service.Read("case", view.case.id, view.case.id)  # type: ignore[attr-defined]
        for view in candidates
        if view.case is not None
    ]
    access_service.record_reads(session=session, actor=web_user.actor, reads=reads, via="web")
    session.commit()
    return render(
        request,
        "review/detail.html",
        {
            "review": out,
            "tip": tip_service.to_tip_out(tip, case_id=tip_case_id),
            "tip_case_id": tip_case_id,
            "candidates": candidates,
            "prior": scoring.PRIOR_LOG2_ODDS,
            "choices": [
                (str(view.case_id), f"case {str(view.case_id)[:8]} (score {view.score:.2f})")
                for view in candidates
            ],
            "problem": problem,
            "reason": reason,
            "failed": failed,
        },
        web_user=web_user,
        status_code=status_code,
    )


def _review_or_404(session: Session, review_id: str):  # type: ignore[no-untyped-def]
    review = matching_service.get_review(session=session, review_id=parse_id(review_id, "review"))
    if review is None:
        raise PageError(404, "There is no review with this id.")
    return review


@router.get("/review/{review_id}")
def review_page(request: Request, review_id: str, session: SessionDep, web_user: SupervisorUser) -> Response:
    return _review_page(request, session, web_user, _review_or_404(session, review_id))


def _decide(
    session: Session, reason: str, decide: Callable[[str], MatchDecision]
) -> tuple[MatchDecision | None, str | None]:
    """One dedup decision with its reason, in its own transaction: committed, or rolled back with why it was
    refused (a reason too short, or what dedup's service said)."""
    problem = reason_problem(reason)
    if problem is not None:
        return None, problem
    try:
        decision = decide(read_reason(reason))
    except matching_service.MatchingError as exc:
        session.rollback()
        return None, str(exc)
    session.commit()
    return decision, None


@router.post("/review/{review_id}/confirm")
def confirm_review(
    request: Request,
    review_id: str,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    case_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    review = _review_or_404(session, review_id)
    chosen = parse_id(case_id, "case") if case_id else None
    decision, problem = _decide(
        session,
        reason,
        lambda reason: matching_service.confirm_review(
            session=session, review_id=review.id, case_id=chosen, reason=reason, actor=web_user.actor
        ),
    )
    if decision is None:
        return _review_page(
            request,
            session,
            web_user,
            review,
            problem=problem,
            reason=reason,
            failed="confirm",
            status_code=422,
        )
    return redirect(f"/cases/{decision.other_case_id}?decided=confirmed")


@router.post("/review/{review_id}/reject")
def reject_review(
    request: Request,
    review_id: str,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    review = _review_or_404(session, review_id)
    decision, problem = _decide(
        session,
        reason,
        lambda reason: matching_service.reject_review(
            session=session, review_id=review.id, reason=reason, actor=web_user.actor
        ),
    )
    if decision is None:
        return _review_page(
            request,
            session,
            web_user,
            review,
            problem=problem,
            reason=reason,
            failed="reject",
            status_code=422,
        )
    return redirect("/review?decided=rejected")


def _other_case(session: Session, text: str, case_id: uuid.UUID) -> uuid.UUID:
    """The case a supervisor named to merge into: its full id, or the first 8 or more characters of it."""
    text = text.strip().lower()
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    compact = text.replace("-", "")
    if len(compact) < 8 or any(ch not in "0123456789abcdef" for ch in compact):
        raise matching_service.InvalidRequest(
            "Give the other case's id (the 8 characters shown on its page are enough)."
        )
    found = [
        found_id
        for found_id in case_service.search_case_ids(session=session, text=compact)
        if found_id.hex.startswith(compact) and found_id != case_id
    ]
    if len(found) != 1:
        raise matching_service.InvalidRequest(f"No single case starts with {text!r}: give its full id.")
    return found[0]


@router.post("/cases/{case_id}/merge")
def merge_case(
    request: Request,
    case_id: str,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    into_case: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    source = parse_id(case_id, "case")
    decision, problem = _decide(
        session,
        reason,
        lambda reason: matching_service.merge_cases(
            session=session,
            case_id=source,
            into_case_id=_other_case(session, into_case, source),
            reason=reason,
            actor=web_user.actor,
        ),
    )
    if decision is None:
        return render_case_page(request, session, web_user, source, problem=problem, status_code=422)
    return redirect(f"/cases/{decision.other_case_id}?decided=merged")


@router.post("/tips/{tip_id}/move")
def move_tip(
    request: Request,
    tip_id: str,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    tip = tip_service.get_tip(session=session, tip_id=parse_id(tip_id, "tip"))
    if tip is None:
        raise PageError(404, "There is no tip with this id.")
    case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    decision, problem = _decide(
        session,
        reason,
        lambda reason: matching_service.move_tip_to_new_case(
            session=session,
            settings=request.app.state.settings,
            tip_id=tip.id,
            reason=reason,
            actor=web_user.actor,
        ),
    )
    if decision is None:
        if case_id is None:
            raise PageError(422, problem or "The tip is in no case yet.")
        return render_case_page(request, session, web_user, case_id, problem=problem, status_code=422)
    return redirect(f"/cases/{decision.other_case_id}?decided=moved")
