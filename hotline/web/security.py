"""Who is signed in to the web UI, what their role lets them open, and CSRF protection for every form.

The session cookie holds a random token (HttpOnly, SameSite=Lax, Secure behind HTTPS); the session itself is a
row, so signing out or locking an account ends it at once. Every POST carries a CSRF token: an HMAC of the
session's id under HOTLINE_SECRET_KEY (or, before sign-in, of a random cookie), checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from hotline.core.actor import Actor, Role
from hotline.core.config import Settings
from hotline.deps import SessionDep
from hotline.users import service as user_service
from hotline.users.models import User, UserSession

SESSION_COOKIE = "hotline_session"
# Before sign-in there is no session to bind a CSRF token to: this cookie stands in for one.
SIGNIN_COOKIE = "hotline_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """Raised by page dependencies when nobody is signed in; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageError(Exception):
    """An error the web UI answers with a page (403, 404, 422...) rather than JSON."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class WebUser:
    """The signed-in person, as pages and flows need them."""

    user: User
    user_session: UserSession
    actor: Actor
    csrf_token: str

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def cookie_name(settings: Settings, base: str) -> str:
    # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain: no subdomain can plant it.
    return f"__Host-{base}" if settings.secure_cookies else base


def set_cookie(response, settings: Settings, base: str, value: str, *, max_age: int | None) -> None:  # type: ignore[no-untyped-def]
    response.set_cookie(
        cookie_name(settings, base),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def delete_cookie(response, settings: Settings, base: str) -> None:  # type: ignore[no-untyped-def]
    response.delete_cookie(
        cookie_name(settings, base), path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def _hmac(settings: Settings, purpose: str, value: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def session_csrf_token(settings: Settings, user_session: UserSession) -> str:
    return _hmac(settings, "csrf-session", str(user_session.id))


def signin_csrf_token(settings: Settings, nonce: str) -> str:
    return _hmac(settings, "csrf-signin", nonce)


def new_signin_nonce() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())


def safe_next(path: str | None) -> str:
    """Only a path on this site: never another origin (no open redirect after sign-in)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    return path


def _requested_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def signin_url(next_path: str) -> str:
    return "/signin" if next_path in {"", "/"} else f"/signin?next={quote(next_path, safe='')}"


def get_web_user(request: Request, session: SessionDep) -> WebUser:
    settings: Settings = request.app.state.settings
    token = request.cookies.get(cookie_name(settings, SESSION_COOKIE), "")
    resumed = user_service.resume_session(session=session, token=token, settings=settings)
    if resumed is None:
        # After sign-in, come back to the page asked for; a form post's answer cannot be replayed, so home.
        raise SignInRequired(safe_next(_requested_path(request)) if request.method == "GET" else "/")
    user_session, user = resumed
    actor = user_service.user_actor(user)
    request.state.actor = actor
    return WebUser(
        user=user,
        user_session=user_session,
        actor=actor,
        csrf_token=session_csrf_token(settings, user_session),
    )


CurrentWebUser = Annotated[WebUser, Depends(get_web_user)]


def require_user_roles(*roles: Role) -> Callable[[WebUser], WebUser]:
    """A page dependency that lets through only the given roles (a 403 page for the others)."""
    allowed = frozenset(roles)

    def _check(web_user: CurrentWebUser) -> WebUser:
        if web_user.role not in allowed:
            raise PageError(403, f"The {web_user.role} role cannot open this page.")
        return web_user

    _check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route-walking test
    return _check


async def check_csrf(request: Request, web_user: CurrentWebUser) -> WebUser:
    """Refuse a POST whose form (or X-CSRF-Token header) lacks this session's CSRF token."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not tokens_match(web_user.csrf_token, presented):
        raise PageError(
            403, "This form has expired or did not come from this site. Reload the page and try again."
        )
    _check_origin(request)
    return web_user


def _check_origin(request: Request) -> None:
    # A second line behind the token: a browser names the page a POST came from; it must be this site.
    origin = request.headers.get("origin")
    if origin and origin != "null":
        settings: Settings = request.app.state.settings
        own = {settings.public_base_url, f"{request.url.scheme}://{request.url.netloc}"}
        if origin.rstrip("/") not in own:
            raise PageError(403, "This form was sent from another site and was refused.")


CsrfChecked = Annotated[WebUser, Depends(check_csrf)]

# Who may open what (DESIGN.md "Roles"). Every page names one of these; every form also takes CsrfChecked.
AnyUser = Annotated[WebUser, Depends(require_user_roles(Role.advocate, Role.supervisor, Role.admin))]
AdvocateUser = Annotated[WebUser, Depends(require_user_roles(Role.advocate, Role.supervisor))]
SupervisorUser = Annotated[WebUser, Depends(require_user_roles(Role.supervisor))]
AdminUser = Annotated[WebUser, Depends(require_user_roles(Role.admin))]
