"""What every page shares: templates, the layout's navigation, list filters, paging, and safe responses."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator
from sqlmodel import Session, col, select

from hotline.auth.models import ApiKey
from hotline.core import pagination
from hotline.core.actor import Role
from hotline.core.config import Settings
from hotline.reports import service as report_service
from hotline.users.models import User
from hotline.web import display, i18n
from hotline.web.security import CSRF_FIELD, PageError, WebUser

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Pages show victims' data: no caching anywhere, no framing, scripts and styles only from this site.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Page addresses carry case ids: never hand them to another site.
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[Role]


ADVOCATES = frozenset({Role.advocate, Role.supervisor})
SUPERVISORS = frozenset({Role.supervisor})
ADMINS = frozenset({Role.admin})

# The layout's navigation, in order, with the roles that may open each page.
NAVIGATION = (
    NavItem("New tip", "/tips/new", ADVOCATES),
    NavItem("Cases", "/cases", ADVOCATES),
    NavItem("Alerts", "/alerts", SUPERVISORS),
    NavItem("Review queue", "/review", SUPERVISORS),
    NavItem("Decisions", "/decisions", SUPERVISORS),
    NavItem("Deliveries", "/deliveries", SUPERVISORS),
    NavItem("Rules", "/rules", SUPERVISORS),
    NavItem("Audit log", "/audit", SUPERVISORS),
    NavItem("Reports", "/reports", SUPERVISORS),
    NavItem("Users", "/admin/users", ADMINS),
)

F = TypeVar("F", bound=BaseModel)

HOME_BY_ROLE = {Role.advocate: "/tips/new", Role.supervisor: "/cases", Role.admin: "/admin/users"}


def _static_versions() -> dict[str, str]:
    # A digest in each asset's URL lets browsers cache it until it changes.
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
_STATIC_VERSIONS = _static_versions()


def static_url(name: str) -> str:
    return f"/static/{name}?v={_STATIC_VERSIONS.get(name, '0')}"


def ui_language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(i18n.LANGUAGE_COOKIE)
    return chosen if chosen in i18n.LANGUAGES else "en"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    web_user: WebUser | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    language = ui_language(request)
    page_context = {
        "web_user": web_user,
        "navigation": [item for item in NAVIGATION if web_user and web_user.role in item.roles],
        "current_path": request.url.path,
        "lang": language,
        "t": lambda text: i18n.translate(text, language),
        "csrf_field": CSRF_FIELD,
        "csrf_token": web_user.csrf_token if web_user else "",
        "static_url": static_url,
        "local_time": lambda value, seconds=False: display.local_time(
            value, settings.display_timezone, seconds=seconds
        ),
        "duration": display.duration,
        "timezone": settings.display_timezone,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, page_context, status_code=status_code)
    secure_headers(response)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        # A display preference, not a secret; remembered so every page follows it.
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/", samesite="lax", httponly=True
        )
    return response


def secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise PageError(404, f"There is no {what} with this id.") from exc


def read_filters(model: type[F], request: Request) -> tuple[F, dict[str, str]]:
    """A list page's filters from the query string. A value that does not parse is dropped and reported,
    so the page still shows (with that filter off) instead of failing."""
    raw = {
        name: value.strip()
        for name, value in request.query_params.items()
        if name in model.model_fields and value.strip()
    }
    errors: dict[str, str] = {}
    for _ in range(len(raw) + 1):
        try:
            return model.model_validate(raw), errors
        except ValidationError as exc:
            bad = set()
            for error in exc.errors(include_input=False):
                name = str(error["loc"][0]) if error["loc"] else "filters"
                errors.setdefault(name, str(error["msg"]).removeprefix("Value error, "))
                bad.add(name)
            raw = {} if not bad & raw.keys() else {k: v for k, v in raw.items() if k not in bad}
    return model.model_validate({}), errors


def ends_after(start: str, end: str):  # type: ignore[no-untyped-def]
    """A filter model's check that a date range does not end before it starts (the error names `end`)."""

    def _check(cls, value: date | None, info: ValidationInfo) -> date | None:  # type: ignore[no-untyped-def]
        first = info.data.get(start)
        if value is not None and first is not None and value < first:
            raise ValueError("the end date is before the start date")
        return value

    return field_validator(end)(classmethod(_check))  # type: ignore[arg-type]


P = TypeVar("P")


def list_page(
    fetch: Callable[..., P],
    *,
    cursor: str | None,
    errors: dict[str, str],
    invalid: type[Exception] = pagination.InvalidCursor,
    **query: Any,
) -> P:
    """One page from a list service, `fetch(**query, cursor=…)`. A cursor the list did not give (edited, or
    from another list) is reported with the filters, and the first page is shown instead."""
    try:
        return fetch(**query, cursor=cursor)
    except invalid:
        errors["cursor"] = "not a page this list gave"
        return fetch(**query, cursor=None)


def day_bounds(first: date | None, last: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """A date filter's bounds: the start of the first day and the end of the last, in the display zone."""
    start = report_service.Period(first, first, zone).start if first else None
    end = report_service.Period(last, last, zone).end if last else None
    return start, end


def page_url(request: Request, **changes: str | None) -> str:
    """This page's URL with some query parameters changed (None removes one): for pagers and sort links."""
    params = dict(request.query_params)
    params.pop("lang", None)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return request.url.path + (f"?{urlencode(params)}" if params else "")


MIN_REASON_CHARS = 10


def reason_problem(reason: str) -> str | None:
    """Why a reason is not enough, or None. Every override gives one (decision overrides, dedup decisions,
    publishing rules, unlocks): the audit log keeps it with who and when."""
    if len(" ".join(reason.split())) < MIN_REASON_CHARS:
        return f"Give a reason of at least {MIN_REASON_CHARS} characters: it is kept in the audit log."
    return None


def read_reason(reason: str) -> str:
    """The reason, tidied; a 422 page when it is missing or too short."""
    problem = reason_problem(reason)
    if problem:
        raise PageError(422, problem)
    return " ".join(reason.split())[:2000]


def actor_names(session: Session, refs: list[str | None]) -> dict[str, str]:
    """Who a stored actor reference ("user:<id>", "api_key:<id>", "system:worker") is, for people to read."""
    ids: dict[str, dict[uuid.UUID, str]] = {"user": {}, "api_key": {}}
    names = {}
    for ref in {ref for ref in refs if ref}:
        kind, _, value = ref.partition(":")
        try:
            if kind in ids:
                ids[kind][uuid.UUID(value)] = ref
                continue
        except ValueError:
            pass
        names[ref] = ref
    if ids["user"]:
        for user_id, username in session.exec(
            select(User.id, User.username).where(col(User.id).in_(list(ids["user"])))
        ).all():
            names[ids["user"][user_id]] = username
    if ids["api_key"]:
        for key_id, name in session.exec(
            select(ApiKey.id, ApiKey.name).where(col(ApiKey.id).in_(list(ids["api_key"])))
        ).all():
            names[ids["api_key"][key_id]] = f"key {name}"
    for refs_of_kind in ids.values():
        for ref in refs_of_kind.values():
            names.setdefault(ref, ref)
    return names
