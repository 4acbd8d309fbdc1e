"""The case page, shared by the advocates' pages and the supervisors' dedup corrections."""

from __future__ import annotations

from fastapi import Request, Response

from hotline.access import service as access_service
from hotline.cases import service as case_service
from hotline.core.actor import Role
from hotline.decisions import service as decision_service
from hotline.matching import service as matching_service
from hotline.web.pages import actor_names, render
from hotline.web.security import PageError

CASE_NOTICES = {
    "confirmed": "Review confirmed: the tip's case was merged into this one.",
    "merged": "Cases merged: this case now holds the tips of both.",
    "moved": "The tip was moved out of its case into this new case.",
}


def render_case_page(  # type: ignore[no-untyped-def]
    request: Request, session, web_user, case_id, *, problem: str | None = None, status_code: int = 200
) -> Response:
    """A case with its tips; for supervisors also its routing and dedup decisions and the forms that
    correct dedup (merge into another case, move a tip out). `problem` is a refused correction's reason."""
    case = case_service.get_case_out(session=session, case_id=case_id)
    if case is None:
        raise PageError(404, "There is no case with this id.")
    access_service.record_case_read(session=session, actor=web_user.actor, case_id=case.id, via="web")
    session.commit()
    tips = case_service.tips_of_case(session=session, case_id=case.id)
    context = {
        "case": case,
        "targets": decision_service.current_routing_targets(session=session, tips=tips),
        "problem": problem,
        "notice": CASE_NOTICES.get(request.query_params.get("decided", "")),
    }
    if web_user.role == Role.supervisor:
        routing_decisions = decision_service.list_decisions(
            session=session, tip_ids=[tip.id for tip in tips], limit=decision_service.MAX_PAGE_SIZE
        ).items
        match_decisions = matching_service.decisions_for_case(session=session, case_id=case.id)
        context |= {
            "routing_decisions": routing_decisions,
            "match_decisions": match_decisions,
            "names": actor_names(session, [decision.decided_by for decision in match_decisions]),
        }
    return render(request, "cases/detail.html", context, web_user=web_user, status_code=status_code)
