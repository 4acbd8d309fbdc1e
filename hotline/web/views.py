"""Web pages: thin handlers that read a form or filters, call the same services and flows as the API, and
render a template. Every page names the roles that may open it; every form also checks its CSRF token.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select

from hotline.access import service as access_service
from hotline.cases import service as case_service
from hotline.cases.models import CaseStatus
from hotline.core import geo
from hotline.core.actor import Role
from hotline.core.audit import service as audit_service
from hotline.core.audit.models import AuditEvent
from hotline.core.config import Settings
from hotline.core.database import MAX_BIGINT
from hotline.deps import SessionDep
from hotline.intake import flows as intake_flows
from hotline.reports import service as report_service
from hotline.tips import service as tip_service
from hotline.triage.models import MinorStatus, Urgency
from hotline.users import service as user_service
from hotline.web import charts, display, forms
from hotline.web.cases import render_case_page
from hotline.web.pages import (
    HOME_BY_ROLE,
    day_bounds,
    ends_after,
    list_page,
    page_url,
    parse_id,
    read_filters,
    read_reason,
    redirect,
    render,
    secure_headers,
)
from hotline.web.security import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    AdminUser,
    AdvocateUser,
    AnyUser,
    CsrfChecked,
    PageError,
    SupervisorUser,
    cookie_name,
    delete_cookie,
    new_signin_nonce,
    safe_next,
    set_cookie,
    signin_csrf_token,
    tokens_match,
)

router = APIRouter(include_in_schema=False)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# Signing in and out


@router.get("/")
def home(web_user: AnyUser) -> Response:
    return redirect(HOME_BY_ROLE[web_user.role])


def _signin_page(request: Request, *, message: str | None, status_code: int, username: str = "") -> Response:
    settings: Settings = request.app.state.settings
    nonce = new_signin_nonce()
    response = render(
        request,
        "signin.html",
        {
            "message": message,
            "username": username,
            "signin_token": signin_csrf_token(settings, nonce),
            "next_path": safe_next(request.query_params.get("next")),
            "signed_out": request.query_params.get("signed_out") == "1",
        },
        status_code=status_code,
    )
    set_cookie(response, settings, SIGNIN_COOKIE, nonce, max_age=3600)
    return response


@router.get("/signin")
def signin_form(request: Request) -> Response:
    return _signin_page(request, message=None, status_code=200)


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(cookie_name(settings, SIGNIN_COOKIE), "")
    if not nonce or not tokens_match(signin_csrf_token(settings, nonce), csrf_token):
        raise PageError(
            403, "This sign-in form has expired or did not come from this site. Reload and try again."
        )
    attempt = user_service.sign_in(
        session=session,
        username=username,
        password=password,
        settings=settings,
        client_ip=_client_ip(request),
    )
    if not attempt.ok or attempt.user is None:
        session.commit()
        if attempt.outcome == "locked":
            message, status_code = (
                "Too many failed sign-ins: this account is locked for a while. "
                "Try again later or ask an administrator to unlock it.",
                423,
            )
        else:
            message, status_code = "The username or password is not right.", 401
        return _signin_page(request, message=message, status_code=status_code, username=username[:64])
    _, token = user_service.start_session(session=session, user=attempt.user, settings=settings)
    session.commit()
    response = redirect(
        safe_next(next_path) if safe_next(next_path) != "/" else HOME_BY_ROLE[Role(attempt.user.role)]
    )
    set_cookie(response, settings, SESSION_COOKIE, token, max_age=settings.session_max_hours * 3600)
    delete_cookie(response, settings, SIGNIN_COOKIE)
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep, web_user: AnyUser, _csrf: CsrfChecked) -> Response:
    user_service.end_session(session=session, user_session=web_user.user_session, user=web_user.user)
    session.commit()
    response = redirect("/signin?signed_out=1")
    delete_cookie(response, request.app.state.settings, SESSION_COOKIE)
    return response


# Advocates: entering a tip, reading tips and cases


@router.get("/tips/new")
def tip_form(request: Request, web_user: AdvocateUser) -> Response:
    return render(
        request,
        "tips/new.html",
        {"form": forms.TipForm.blank(), "channels": forms.FORM_CHANNELS},
        web_user=web_user,
    )


@router.post("/tips/new")
async def submit_tip(
    request: Request, session: SessionDep, web_user: AdvocateUser, _csrf: CsrfChecked
) -> Response:
    posted = await request.form()
    form = forms.read_form(list(posted.multi_items()))
    context = {"form": form, "channels": forms.FORM_CHANNELS}
    if posted.get("action") == "add_person":
        # Without JavaScript, "Add person" posts the form back with one more person block.
        if len(form.persons) < forms.MAX_PERSONS:
            form.persons.append({"role": "victim"})
        return render(
            request, "tips/new.html", {**context, "focus_person": len(form.persons) - 1}, web_user=web_user
        )
    tip_in = forms.validate(form)
    if tip_in is None:
        return render(request, "tips/new.html", context, web_user=web_user, status_code=422)
    submission = intake_flows.submit_tip(
        session=session, settings=request.app.state.settings, tip_in=tip_in, actor=web_user.actor
    )
    return redirect(f"/tips/{submission.tip.id}?submitted=1")


@router.get("/tips/{tip_id}")
def tip_page(request: Request, tip_id: str, session: SessionDep, web_user: AdvocateUser) -> Response:
    tip = tip_service.get_tip(session=session, tip_id=parse_id(tip_id, "tip"))
    if tip is None:
        raise PageError(404, "There is no tip with this id.")
    case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    access_service.record_tip_read(
        session=session, actor=web_user.actor, tip_id=tip.id, case_id=case_id, via="web"
    )
    session.commit()
    triage = tip.triage or {}
    minor = triage.get("minor") or {}
    evidence = [
        *minor.get("evidence", []),
        *triage.get("urgency_evidence", []),
        *triage.get("trafficking_type_evidence", []),
    ]
    return render(
        request,
        "tips/detail.html",
        {
            "tip": tip,
            "case_id": case_id,
            "triage": triage,
            "segments": display.narrative_segments(tip.narrative, evidence),
            "targets": display.routed_targets(triage.get("routing")),
            "submitted": request.query_params.get("submitted") == "1",
        },
        web_user=web_user,
    )


class CaseFilters(BaseModel):
    q: str | None = Field(None, max_length=200)
    status: CaseStatus | None = None
    state: str | None = Field(None, max_length=40)
    minor_status: MinorStatus | None = None
    urgency: Urgency | None = None
    created_from: date | None = None
    created_to: date | None = None
    cursor: str | None = Field(None, max_length=200)

    @field_validator("state")
    @classmethod
    def _state_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = geo.usps_state_code(value)
        if code is None:
            raise ValueError(f"{value!r} is not a U.S. state")
        return code

    _dates_in_order = ends_after("created_from", "created_to")


@router.get("/cases")
def case_list(request: Request, session: SessionDep, web_user: AdvocateUser) -> Response:
    filters, errors = read_filters(CaseFilters, request)
    settings: Settings = request.app.state.settings
    start, end = day_bounds(filters.created_from, filters.created_to, settings.display_timezone)
    case_ids = case_service.search_case_ids(session=session, text=filters.q) if filters.q else None
    page = list_page(
        case_service.list_cases,
        cursor=filters.cursor,
        errors=errors,
        session=session,
        status=filters.status,
        state=filters.state,
        minor_status=filters.minor_status,
        urgency=filters.urgency,
        created_from=start,
        created_to=end,
        case_ids=case_ids,
        limit=50,
    )
    if filters.q and page.items:
        # A search by name or phone tells which cases involve that person: recorded as a read of each.
        access_service.record_reads(
            session=session,
            actor=web_user.actor,
            reads=[access_service.Read("case", item.id, item.id) for item in page.items],
            via="web",
            kind="search",
        )
        session.commit()
    return render(
        request,
        "cases/list.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "page": page,
            "next_url": page_url(request, cursor=page.next_cursor) if page.next_cursor else None,
            "state_options": [(code, code) for code in sorted(geo.US_JURISDICTION_CODES)],
        },
        web_user=web_user,
    )


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, session: SessionDep, web_user: AdvocateUser) -> Response:
    return render_case_page(request, session, web_user, parse_id(case_id, "case"))


# Supervisors: who viewed a case, the audit log, reports


@router.get("/cases/{case_id}/access")
def case_access_page(
    request: Request, case_id: str, session: SessionDep, web_user: SupervisorUser
) -> Response:
    case = case_service.get_case_out(session=session, case_id=parse_id(case_id, "case"))
    if case is None:
        raise PageError(404, "There is no case with this id.")
    entries = access_service.reads_of_case(session=session, case_id=case.id, limit=500)
    return render(
        request,
        "cases/access.html",
        {"case": case, "entries": entries, "viewers": access_service.viewers_of_case(entries)},
        web_user=web_user,
    )


class AuditFilters(BaseModel):
    action: str | None = Field(None, max_length=64)
    actor: str | None = Field(None, max_length=120)
    subject_type: str | None = Field(None, max_length=32)
    subject_id: str | None = Field(None, max_length=120)
    case: str | None = Field(None, max_length=64)
    occurred_from: date | None = None
    occurred_to: date | None = None
    before: int | None = Field(None, ge=1, le=MAX_BIGINT)

    _dates_in_order = ends_after("occurred_from", "occurred_to")

    @field_validator("case")
    @classmethod
    def _case_id(cls, value: str | None) -> str | None:
        if value is not None:
            parse_id(value, "case")
        return value


AUDIT_PAGE_SIZE = 100


@router.get("/audit")
def audit_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    filters, errors = read_filters(AuditFilters, request)
    settings: Settings = request.app.state.settings
    query = select(AuditEvent)
    if filters.action:
        # "tip." finds every tip event; a full name finds that one.
        query = query.where(
            col(AuditEvent.action).startswith(filters.action)
            if filters.action.endswith(".")
            else AuditEvent.action == filters.action
        )
    if filters.actor:
        query = query.where((AuditEvent.actor_name == filters.actor) | (AuditEvent.actor_id == filters.actor))
    if filters.subject_type:
        query = query.where(AuditEvent.subject_type == filters.subject_type)
    if filters.subject_id:
        query = query.where(AuditEvent.subject_id == filters.subject_id)
    if filters.case:
        case_id = parse_id(filters.case, "case")
        # The case's own events and those of every tip in it.
        tip_ids = [str(tip.id) for tip in case_service.tips_of_case(session=session, case_id=case_id)]
        query = query.where(
            ((AuditEvent.subject_type == "case") & (AuditEvent.subject_id == str(case_id)))
            | ((AuditEvent.subject_type == "tip") & col(AuditEvent.subject_id).in_(tip_ids))
        )
    start, end = day_bounds(filters.occurred_from, filters.occurred_to, settings.display_timezone)
    if start:
        query = query.where(col(AuditEvent.occurred_at) >= start)
    if end:
        query = query.where(col(AuditEvent.occurred_at) < end)
    if filters.before:
        query = query.where(col(AuditEvent.id) < filters.before)
    events = list(session.exec(query.order_by(col(AuditEvent.id).desc()).limit(AUDIT_PAGE_SIZE + 1)).all())
    more = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    actions = session.exec(select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))).all()
    return render(
        request,
        "audit/list.html",
        {
            "filters": filters,
            "filter_errors": errors,
            "events": events,
            "action_choices": [(action, action) for action in actions]
            + [(prefix, f"{prefix} (all)") for prefix in sorted({a.split(".")[0] + "." for a in actions})],
            "next_url": page_url(request, before=str(events[-1].id)) if more and events else None,
            "verification": None,
        },
        web_user=web_user,
    )


@router.post("/audit/verify")
def audit_verify(
    request: Request, session: SessionDep, web_user: SupervisorUser, _csrf: CsrfChecked
) -> Response:
    report = audit_service.verify_chain(session)
    audit_service.record(
        session,
        actor=web_user.actor,
        action="audit.verified",
        subject_type="audit",
        subject_id="chain",
        detail={"ok": report.ok, "checked": report.checked, "first_broken_id": report.first_broken_id},
    )
    session.commit()
    return render(request, "audit/verified.html", {"report": report}, web_user=web_user)


class ReportFilters(BaseModel):
    first: date | None = None
    last: date | None = None

    _dates_in_order = ends_after("first", "last")


def _period(filters: ReportFilters, settings: Settings) -> report_service.Period:
    default = report_service.last_days(30, zone=settings.display_timezone)
    last = filters.last or (filters.first + timedelta(days=29) if filters.first else default.last)
    first = filters.first or last - timedelta(days=29)
    try:
        return report_service.Period(first, last, settings.display_timezone)
    except report_service.PeriodError as exc:
        raise PageError(422, str(exc)) from exc


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, web_user: SupervisorUser) -> Response:
    filters, errors = read_filters(ReportFilters, request)
    settings: Settings = request.app.state.settings
    period = _period(filters, settings)
    figures = report_service.tip_figures(session=session, period=period)
    labels = [day.strftime("%b %d") for day in period.days]
    per_day = charts.stacked_bars(
        title="Tips per day by channel",
        description=(
            f"{figures.total} tips received from {period.first} to {period.last}, by day and channel."
        ),
        labels=labels,
        series=[charts.Series(channel, counts) for channel, counts in figures.by_day_channel.items()],
    )
    minors = charts.share_bar(
        title="Tips by minor status",
        description=(
            f"{figures.with_minor} of {figures.total} tips involve a minor (confirmed or likely)."
            if figures.total
            else "No tips in this period."
        ),
        parts=list(figures.by_minor_status.items()),
    )
    latency = _latency_chart(
        "Time from intake to triage",
        labels,
        figures.triage_p50_by_day,
        figures.triage_p90_by_day,
        overall=(figures.triage_p50, figures.triage_p90),
    )
    decided = report_service.decision_figures(session=session, period=period)
    acks = report_service.acknowledgement_figures(session=session, period=period)
    top = 15
    return render(
        request,
        "reports/index.html",
        {
            "period": period,
            "filter_errors": errors,
            "figures": figures,
            "decided": decided,
            "labels": labels,
            "per_day_chart": per_day,
            "minor_chart": minors,
            "latency_chart": latency,
            "routing_latency_chart": _latency_chart(
                "Time from intake to routing",
                labels,
                decided.routing_p50_by_day,
                decided.routing_p90_by_day,
                overall=(decided.routing_p50, decided.routing_p90),
            ),
            "state_chart": charts.ranked_bars(
                title="Decisions by state",
                description=f"{decided.total} routing decisions, by the state they saw"
                + (f" (the {top} most frequent)." if len(decided.by_state) > top else "."),
                items=list(decided.by_state.items())[:top],
                empty="No routing decisions in this period.",
            ),
            "agency_chart": charts.ranked_bars(
                title="Decisions by target agency",
                description="How many decisions name each agency now (supervisors' overrides applied)"
                + (f"; the {top} most frequent." if len(decided.by_agency) > top else "."),
                items=list(decided.by_agency.items())[:top],
                empty="No routing decisions in this period.",
            ),
            "override_chart": charts.ranked_bars(
                title="Overrides by rule",
                description=f"{decided.overrides} overrides in the period, by the rule whose target a "
                "supervisor removed or changed.",
                items=list(decided.overrides_by_rule.items())[:top],
                empty="No overrides in this period.",
            ),
            "acks": acks,
            "ack_latency_chart": _latency_chart(
                "Time from referral to the agency's acknowledgement",
                labels,
                acks.ack_p50_by_day,
                acks.ack_p90_by_day,
                overall=(acks.ack_p50, acks.ack_p90),
            ),
        },
        web_user=web_user,
    )


def _latency_chart(  # type: ignore[no-untyped-def]
    title: str, labels: list[str], p50_by_day, p90_by_day, *, overall: tuple[float | None, float | None]
):
    slowest = max((value for value in p90_by_day if value is not None), default=0.0)
    scale, unit = (1000, " ms") if slowest < 1 else (1, " s") if slowest < 120 else (1 / 60, " min")
    return charts.lines(
        title=f"{title}, per day ({unit.strip()})",
        description=(
            f"Over the period: p50 {display.duration(overall[0])}, p90 {display.duration(overall[1])}."
        ),
        labels=labels,
        series=[
            charts.Series("p50", [None if v is None else v * scale for v in p50_by_day]),
            charts.Series("p90", [None if v is None else v * scale for v in p90_by_day]),
        ],
        unit=unit,
    )


# What can be exported: its columns and its rows over a period. Neither carries names or narratives.
EXPORTS = {
    "tips": (report_service.EXPORT_COLUMNS, report_service.export_tips),
    "decisions": (report_service.DECISION_EXPORT_COLUMNS, report_service.export_decisions),
}


@router.post("/reports/export")
def reports_export(
    request: Request,
    session: SessionDep,
    web_user: SupervisorUser,
    _csrf: CsrfChecked,
    first: Annotated[date, Form()],
    last: Annotated[date, Form()],
    what: Annotated[str, Form(max_length=20)] = "tips",
) -> Response:
    """A CSV of the period: tips received (outcomes only) or routing decisions made (facts without personal
    data, rules, targets, overrides). Recorded in the audit log before a row leaves."""
    if what not in EXPORTS:
        raise PageError(422, f"There is no export of {what!r}.")
    period = _export_period(request, first, last)
    columns, rows = EXPORTS[what]
    return _csv_export(
        session, web_user, period, what=what, columns=columns, rows=rows(session=session, period=period)
    )


def _export_period(request: Request, first: date, last: date) -> report_service.Period:
    if last < first:
        raise PageError(422, "The last day is before the first day.")
    return _period(ReportFilters(first=first, last=last), request.app.state.settings)


def _csv_export(session, web_user, period, *, what, columns, rows) -> Response:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    # Recorded (and committed) before a single row leaves the building.
    report_service.record_export(session=session, actor=web_user.actor, period=period, rows=count, what=what)
    session.commit()
    response = Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{what}-{period.first}-{period.last}.csv"'},
    )
    return secure_headers(response)


# Admins: user accounts


@router.get("/admin/users")
def users_page(request: Request, session: SessionDep, web_user: AdminUser) -> Response:
    return _users_page(request, session, web_user)


def _users_page(request, session, web_user, *, errors=None, values=None, status_code=200, notice=None):  # type: ignore[no-untyped-def]
    return render(
        request,
        "admin/users.html",
        {
            "users": user_service.list_users(session=session),
            "is_locked": user_service.is_locked,
            "role_options": [(role.value, role.value) for role in user_service.USER_ROLES],
            "errors": errors or {},
            "values": values or {"role": "advocate"},
            "notice": notice,
        },
        web_user=web_user,
        status_code=status_code,
    )


@router.post("/admin/users")
def create_user(
    request: Request,
    session: SessionDep,
    web_user: AdminUser,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    values = {"username": username, "display_name": display_name, "role": role}
    try:
        if role not in {r.value for r in user_service.USER_ROLES}:
            raise user_service.UserError("choose a role")
        user = user_service.create_user(
            session=session,
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            actor=web_user.actor,
        )
    except user_service.UserError as exc:
        session.rollback()
        return _users_page(
            request, session, web_user, errors={"form": str(exc)}, values=values, status_code=422
        )
    session.commit()
    return _users_page(request, session, web_user, notice=f"User {user.username} created.")


@router.post("/admin/users/{user_id}/unlock")
def unlock_user(
    request: Request,
    user_id: str,
    session: SessionDep,
    web_user: AdminUser,
    _csrf: CsrfChecked,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    user = user_service.get_user(session=session, user_id=parse_id(user_id, "user"))
    if user is None:
        raise PageError(404, "There is no user with this id.")
    user_service.unlock_user(session=session, user=user, actor=web_user.actor, reason=read_reason(reason))
    session.commit()
    return _users_page(request, session, web_user, notice=f"User {user.username} unlocked.")


# Everyone: their own password


@router.get("/account/password")
def password_form(request: Request, web_user: AnyUser) -> Response:
    return render(request, "account/password.html", {"error": None}, web_user=web_user)


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    web_user: AnyUser,
    _csrf: CsrfChecked,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    settings: Settings = request.app.state.settings
    check = user_service.verify_password(web_user.user, current_password)
    error = None if check else "The current password is not right."
    if error is None:
        try:
            user_service.set_password(
                session=session, user=web_user.user, password=new_password, actor=web_user.actor
            )
        except user_service.UserError as exc:
            error = str(exc)
    if error:
        session.rollback()
        return render(request, "account/password.html", {"error": error}, web_user=web_user, status_code=422)
    # Every session of this user ended with the change; this browser gets a fresh one.
    _, token = user_service.start_session(session=session, user=web_user.user, settings=settings)
    session.commit()
    response = redirect(HOME_BY_ROLE[web_user.role])
    set_cookie(response, settings, SESSION_COOKIE, token, max_age=settings.session_max_hours * 3600)
    return response
