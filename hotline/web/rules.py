"""Supervisors' pages for the routing rules: the active version and its history, any version as published,
and a candidate (pasted or uploaded YAML) checked, compared with the active version, simulated over past
decisions and published. Checking and simulating write nothing; publishing goes through routing's service,
which refuses a candidate that does not validate or fails its own tests.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from hotline.decisions import service as decision_service
from hotline.decisions.models import ProblemOut, SimulationOut
from hotline.deps import SessionDep
from hotline.web.pages import reason_problem, redirect, render
from hotline.web.security import CsrfChecked, PageError, SupervisorUser, WebUser

router = APIRouter(include_in_schema=False)

MAX_RULESET_BYTES = 1_000_000
DEFAULT_SINCE_DAYS = 30
MAX_SINCE_DAYS = 3650
EXAMPLES = 10


@dataclass
class DiffLine:
    kind: str  # added | removed | hunk | header | context
    text: str


def unified_diff(old: str, new: str, *, old_name: str, new_name: str) -> list[DiffLine]:
    """A plain unified diff, each line tagged so the page can mark additions and removals."""
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm="", n=3
    ):
        if line.startswith(("---", "+++")):
            kind = "header"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        lines.append(DiffLine(kind, line))
    return lines


@router.get("/rules")
def rules_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    versions = decision_service.list_rulesets(session=session)
    return render(
        request,
        "rules/index.html",
        {"versions": versions, "active": versions[0] if versions else None},
        web_user=web_user,
    )


def _active_text(session: Session) -> tuple[str, str]:
    """The active version's YAML and its name for a diff; the shipped default before anything is published."""
    active = decision_service.active_ruleset(session=session)
    if active is None:
        return (
            decision_service.shipped_default_ruleset(),
            f"shipped default ({decision_service.DEFAULT_RULESET_FILE})",
        )
    return active.content, f"active version {active.version}"


@dataclass
class Candidate:
    """A candidate ruleset as the form sent it: the YAML (pasted or uploaded), its name for messages, the
    simulation's window, the publishing comment, and what is wrong with the form, if anything."""

    content: str
    source: str = "candidate.yaml"
    since_days: int = DEFAULT_SINCE_DAYS
    comment: str = ""
    invalid: str | None = None


async def read_candidate(
    content: Annotated[str, Form(max_length=MAX_RULESET_BYTES)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
    since_days: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Candidate:
    """The YAML to check (an uploaded file wins over the text box)."""
    candidate = Candidate(content, comment=comment)
    days = since_days.strip() or str(DEFAULT_SINCE_DAYS)
    if not days.isdigit() or not 1 <= int(days) <= MAX_SINCE_DAYS:
        candidate.invalid = f"Simulate over 1 to {MAX_SINCE_DAYS} days."
    else:
        candidate.since_days = int(days)
    if upload is not None and upload.filename:
        raw = await upload.read(MAX_RULESET_BYTES + 1)
        if len(raw) > MAX_RULESET_BYTES:
            candidate.invalid = f"The file is larger than {MAX_RULESET_BYTES // 1000} kB."
            return candidate
        try:
            candidate.content, candidate.source = raw.decode("utf-8"), upload.filename[:200]
        except UnicodeDecodeError:
            candidate.invalid = "The file is not UTF-8 text."
    elif not content.strip():
        candidate.invalid = "Paste a ruleset or choose a file."
    candidate.content = candidate.content.replace("\r\n", "\n")
    return candidate


CandidateForm = Annotated[Candidate, Depends(read_candidate)]


def _candidate_page(  # type: ignore[no-untyped-def]
    request: Request,
    session: Session,
    web_user: WebUser,
    candidate: Candidate,
    *,
    problems: list[ProblemOut] | None = None,
    parses: bool = False,
    simulation: SimulationOut | None = None,
    problem: str | None = None,
    status_code: int = 200,
):
    """The candidate form; after a check (`problems` given), also the validation, the diff with the active
    version and the simulation."""
    active_text, active_name = _active_text(session)
    checked = problems is not None
    return render(
        request,
        "rules/candidate.html",
        {
            "candidate": candidate,
            "checked": checked,
            "problems": problems or [],
            "parses": parses,
            "simulation": simulation,
            "problem": problem or candidate.invalid,
            "active_name": active_name,
            "diff": unified_diff(
                active_text, candidate.content, old_name=active_name, new_name=candidate.source
            )
            if checked
            else [],
        },
        web_user=web_user,
        status_code=status_code if candidate.invalid is None else 422,
    )


@router.get("/rules/candidate")
def candidate_form(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    content, _ = _active_text(session)
    return _candidate_page(request, session, web_user, Candidate(content))


@router.post("/rules/check")
def check_candidate(
    request: Request,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    candidate: CandidateForm,
) -> Response:
    """Validate the candidate and run its tests; show the diff with the active version and, when it parses,
    what it would change over the last `since_days` days of decisions. Writes nothing."""
    if candidate.invalid:
        return _candidate_page(request, session, web_user, candidate)
    engine, problems = decision_service.check_candidate(
        session=session, text=candidate.content, source=candidate.source
    )
    simulation = None
    if engine is not None:
        simulation = decision_service.simulate(
            session=session,
            text=candidate.content,
            source=candidate.source,
            since=datetime.now(UTC) - timedelta(days=candidate.since_days),
            examples=EXAMPLES,
        )
    return _candidate_page(
        request,
        session,
        web_user,
        candidate,
        problems=decision_service.problems_out(problems),
        parses=engine is not None,
        simulation=simulation,
    )


@router.post("/rules/publish")
def publish_candidate(
    request: Request,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    candidate: CandidateForm,
) -> Response:
    """Publish the candidate as the new active version, with a comment saying why (the history shows it)."""
    if candidate.invalid:
        return _candidate_page(request, session, web_user, candidate)
    problem = reason_problem(candidate.comment)
    if problem:
        return _candidate_page(
            request, session, web_user, candidate, problem="Publishing: " + problem, status_code=422
        )
    try:
        ruleset = decision_service.publish_ruleset(
            session=session,
            text=candidate.content,
            source=candidate.source,
            author=web_user.user.username,
            actor=web_user.actor,
            comment=" ".join(candidate.comment.split()),
        )
    except decision_service.RulesetRefused as exc:
        session.rollback()
        return _candidate_page(
            request,
            session,
            web_user,
            candidate,
            problems=decision_service.problems_out(exc.problems),
            problem="Not published: the candidate does not validate or fails its own tests (below).",
            status_code=422,
        )
    except decision_service.PublishConflict as exc:
        session.rollback()
        return _candidate_page(request, session, web_user, candidate, problem=str(exc), status_code=409)
    session.commit()
    return redirect(f"/rules/{ruleset.version}?published=1")


@router.get("/rules/{version}")
def ruleset_page(request: Request, version: str, session: SessionDep, web_user: SupervisorUser) -> Response:
    if not version.isdigit() or len(version) > 9:
        raise PageError(404, "There is no ruleset with this version.")
    ruleset = decision_service.ruleset_out(session=session, version=int(version))
    if ruleset is None:
        raise PageError(404, "There is no ruleset with this version.")
    previous = (
        decision_service.ruleset_out(session=session, version=ruleset.version - 1)
        if ruleset.version > 1
        else None
    )
    return render(
        request,
        "rules/version.html",
        {
            "ruleset": ruleset,
            "lines": ruleset.content.splitlines(),
            "previous": previous,
            "diff": unified_diff(
                previous.content,
                ruleset.content,
                old_name=f"version {previous.version}",
                new_name=f"version {ruleset.version}",
            )
            if previous
            else [],
            "published": request.query_params.get("published") == "1",
        },
        web_user=web_user,
    )
