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

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from hotline.deps import SessionDep
from hotline.web.pages import reason_problem, redirect, render
from hotline.web.security import CsrfChecked, PageError, SupervisorUser, WebUser
from routing import service as routing_service
from routing.models import ProblemOut, SimulationOut

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
    versions = routing_service.list_rulesets(session=session)
    return render(
        request,
        "rules/index.html",
        {"versions": versions, "active": versions[0] if versions else None},
        web_user=web_user,
    )


def _active_text(session: Session) -> tuple[str, str]:
    """The active version's YAML and its name for a diff; the shipped default before anything is published."""
    active = routing_service.active_ruleset(session=session)
    if active is None:
        return (
            routing_service.shipped_default_ruleset(),
            f"shipped default ({routing_service.DEFAULT_RULESET_FILE})",
        )
    return active.content, f"active version {active.version}"


def _candidate_page(  # type: ignore[no-untyped-def]
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    content: str,
    source: str = "candidate.yaml",
    since_days: int = DEFAULT_SINCE_DAYS,
    comment: str = "",
    checked: bool = False,
    problems: list[ProblemOut] | None = None,
    parses: bool = False,
    simulation: SimulationOut | None = None,
    problem: str | None = None,
    status_code: int = 200,
):
    active_text, active_name = _active_text(session)
    return render(
        request,
        "rules/candidate.html",
        {
            "content": content,
            "source": source,
            "since_days": since_days,
            "comment": comment,
            "checked": checked,
            "problems": problems or [],
            "parses": parses,
            "simulation": simulation,
            "problem": problem,
            "active_name": active_name,
            "diff": unified_diff(active_text, content, old_name=active_name, new_name=source)
            if checked
            else [],
        },
        web_user=web_user,
        status_code=status_code,
    )


@router.get("/rules/candidate")
def candidate_form(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    content, _ = _active_text(session)
    return _candidate_page(request, session, web_user, content=content)


async def _read_candidate(content: str, upload: UploadFile | None) -> tuple[str, str]:
    """The YAML to check (an uploaded file wins over the text box) and its name for messages."""
    if upload is not None and upload.filename:
        raw = await upload.read(MAX_RULESET_BYTES + 1)
        if len(raw) > MAX_RULESET_BYTES:
            raise ValueError(f"The file is larger than {MAX_RULESET_BYTES // 1000} kB.")
        try:
            return raw.decode("utf-8"), upload.filename[:200]
        except UnicodeDecodeError as exc:
            raise ValueError("The file is not UTF-8 text.") from exc
    if not content.strip():
        raise ValueError("Paste a ruleset or choose a file.")
    return content.replace("\r\n", "\n"), "candidate.yaml"


@router.post("/rules/check")
async def check_candidate(
    request: Request,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    content: Annotated[str, Form(max_length=MAX_RULESET_BYTES)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
    since_days: Annotated[int, Form(ge=1, le=MAX_SINCE_DAYS)] = DEFAULT_SINCE_DAYS,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Validate the candidate and run its tests; show the diff with the active version and, when it parses,
    what it would change over the last `since_days` days of decisions. Writes nothing."""
    try:
        text, source = await _read_candidate(content, upload)
    except ValueError as exc:
        return _candidate_page(
            request,
            session,
            web_user,
            content=content,
            since_days=since_days,
            comment=comment,
            problem=str(exc),
            status_code=422,
        )
    engine, problems = routing_service.check_candidate(session=session, text=text, source=source)
    simulation = None
    if engine is not None:
        simulation = routing_service.simulate(
            session=session,
            text=text,
            source=source,
            since=datetime.now(UTC) - timedelta(days=since_days),
            examples=EXAMPLES,
        )
    return _candidate_page(
        request,
        session,
        web_user,
        content=text,
        source=source,
        since_days=since_days,
        comment=comment,
        checked=True,
        problems=routing_service.problems_out(problems),
        parses=engine is not None,
        simulation=simulation,
    )


@router.post("/rules/publish")
async def publish_candidate(
    request: Request,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    content: Annotated[str, Form(max_length=MAX_RULESET_BYTES)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
    since_days: Annotated[int, Form(ge=1, le=MAX_SINCE_DAYS)] = DEFAULT_SINCE_DAYS,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Publish the candidate as the new active version, with a comment saying why (the history shows it)."""
    try:
        text, source = await _read_candidate(content, upload)
    except ValueError as exc:
        return _candidate_page(
            request,
            session,
            web_user,
            content=content,
            since_days=since_days,
            comment=comment,
            problem=str(exc),
            status_code=422,
        )
    problem = reason_problem(comment)
    if problem:
        return _candidate_page(
            request,
            session,
            web_user,
            content=text,
            source=source,
            since_days=since_days,
            comment=comment,
            problem="Publishing: " + problem,
            status_code=422,
        )
    try:
        ruleset = routing_service.publish_ruleset(
            session=session,
            text=text,
            source=source,
            author=web_user.user.username,
            actor=web_user.actor,
            comment=" ".join(comment.split()),
        )
    except routing_service.RulesetRefused as exc:
        session.rollback()
        return _candidate_page(
            request,
            session,
            web_user,
            content=text,
            source=source,
            since_days=since_days,
            comment=comment,
            checked=True,
            problems=routing_service.problems_out(exc.problems),
            status_code=422,
            problem="Not published: the candidate does not validate or fails its own tests (below).",
        )
    except routing_service.PublishConflict as exc:
        session.rollback()
        return _candidate_page(
            request,
            session,
            web_user,
            content=text,
            source=source,
            since_days=since_days,
            comment=comment,
            problem=str(exc),
            status_code=409,
        )
    session.commit()
    return redirect(f"/rules/{ruleset.version}?published=1")


@router.get("/rules/{version}")
def ruleset_page(request: Request, version: str, session: SessionDep, web_user: SupervisorUser) -> Response:
    if not version.isdigit() or len(version) > 9:
        raise PageError(404, "There is no ruleset with this version.")
    ruleset = routing_service.ruleset_out(session=session, version=int(version))
    if ruleset is None:
        raise PageError(404, "There is no ruleset with this version.")
    previous = (
        routing_service.ruleset_out(session=session, version=ruleset.version - 1)
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
