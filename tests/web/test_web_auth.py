"""Web pages: sign-in required, the right roles only, a CSRF token on every form, sessions and lockout.

WEB_ACCESS_MATRIX is to web pages what test_auth.ACCESS_MATRIX is to the API: a page missing here fails
`test_every_web_route_is_in_the_matrix`, so no page can ship without a decision about who may open it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select

from hotline.core.actor import Role
from hotline.core.audit.models import AuditEvent
from hotline.core.database import utcnow
from hotline.main import create_app
from hotline.users import service as user_service
from hotline.users.models import User, UserSession
from hotline.web import security as web_security
from tests.support.database import make_settings
from tests.support.users import TEST_PASSWORD

ADVOCATES = {Role.advocate, Role.supervisor}
SUPERVISORS = {Role.supervisor}
ADMINS = {Role.admin}
USERS = {Role.advocate, Role.supervisor, Role.admin}

WEB_ACCESS_MATRIX: dict[tuple[str, str], set[Role]] = {
    ("GET", "/"): USERS,
    ("POST", "/signout"): USERS,
    ("GET", "/account/password"): USERS,
    ("POST", "/account/password"): USERS,
    ("GET", "/tips/new"): ADVOCATES,
    ("POST", "/tips/new"): ADVOCATES,
    ("GET", "/tips/{tip_id}"): ADVOCATES,
    ("GET", "/cases"): ADVOCATES,
    ("GET", "/cases/{case_id}"): ADVOCATES,
    ("GET", "/cases/{case_id}/access"): SUPERVISORS,
    ("GET", "/audit"): SUPERVISORS,
    ("POST", "/audit/verify"): SUPERVISORS,
    ("GET", "/reports"): SUPERVISORS,
    ("POST", "/reports/export"): SUPERVISORS,
    ("GET", "/decisions"): SUPERVISORS,
    ("GET", "/decisions/{decision_id}"): SUPERVISORS,
    ("POST", "/decisions/{decision_id}/replay"): SUPERVISORS,
    ("POST", "/decisions/{decision_id}/override"): SUPERVISORS,
    ("GET", "/review"): SUPERVISORS,
    ("GET", "/review/{review_id}"): SUPERVISORS,
    ("POST", "/review/{review_id}/confirm"): SUPERVISORS,
    ("POST", "/review/{review_id}/reject"): SUPERVISORS,
    ("POST", "/cases/{case_id}/merge"): SUPERVISORS,
    ("POST", "/tips/{tip_id}/move"): SUPERVISORS,
    ("GET", "/rules"): SUPERVISORS,
    ("GET", "/rules/candidate"): SUPERVISORS,
    ("POST", "/rules/check"): SUPERVISORS,
    ("POST", "/rules/publish"): SUPERVISORS,
    ("GET", "/rules/{version}"): SUPERVISORS,
    ("GET", "/deliveries"): SUPERVISORS,
    ("POST", "/deliveries/{delivery_id}/replay"): SUPERVISORS,
    ("GET", "/deliveries/endpoints"): SUPERVISORS,
    ("POST", "/deliveries/endpoints/{endpoint_id}/enable"): SUPERVISORS,
    ("POST", "/deliveries/endpoints/{endpoint_id}/replay"): SUPERVISORS,
    ("GET", "/deliveries/referrals/{referral_id}"): SUPERVISORS,
    ("GET", "/alerts"): SUPERVISORS,
    ("POST", "/alerts/{alert_id}/acknowledge"): SUPERVISORS,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{user_id}/unlock"): ADMINS,
}
# Open to anyone: the sign-in page itself (its form has its own CSRF token) and Prometheus.
PUBLIC_WEB = {("GET", "/signin"), ("POST", "/signin"), ("GET", "/metrics")}
SAMPLE_PARAMS = {
    "tip_id": "00000000-0000-0000-0000-000000000001",
    "case_id": "00000000-0000-0000-0000-000000000002",
    "user_id": "00000000-0000-0000-0000-000000000003",
    "decision_id": "00000000-0000-0000-0000-000000000004",
    "review_id": "00000000-0000-0000-0000-000000000005",
    "version": "1",
    "delivery_id": "00000000-0000-0000-0000-000000000006",
    "endpoint_id": "00000000-0000-0000-0000-000000000007",
    "referral_id": "00000000-0000-0000-0000-000000000008",
    "alert_id": "00000000-0000-0000-0000-000000000009",
}
SAMPLE_FORMS = {("POST", "/reports/export"): {"first": "2026-11-01", "last": "2026-11-02"}}


def _route_entries(app):  # type: ignore[no-untyped-def]
    """(method, path, dependant, in_schema) of every FastAPI route, across FastAPI's router layouts."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            contexts = [route]
        elif hasattr(route, "effective_route_contexts"):
            contexts = list(route.effective_route_contexts())
        else:
            continue  # Starlette routes: /docs, /openapi.json, the /static mount
        for context in contexts:
            for method in context.methods or ():
                if method != "HEAD":
                    yield method, context.path, context.dependant, context.include_in_schema


def _web_routes(app) -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    return {(m, p): d for m, p, d, in_schema in _route_entries(app) if not in_schema}


def _allowed_roles(dependant) -> set[Role] | None:  # type: ignore[no-untyped-def]
    for sub in dependant.dependencies:
        roles = getattr(sub.call, "allowed_roles", None)
        if roles is not None:
            return set(roles)
        found = _allowed_roles(sub)
        if found is not None:
            return found
    return None


def _checks_csrf(dependant) -> bool:  # type: ignore[no-untyped-def]
    return any(sub.call is web_security.check_csrf or _checks_csrf(sub) for sub in dependant.dependencies)


def test_every_web_route_is_in_the_matrix(app):
    assert set(_web_routes(app)) == set(WEB_ACCESS_MATRIX) | PUBLIC_WEB


def test_each_page_declares_exactly_the_roles_of_the_matrix_and_each_form_checks_csrf(app):
    for (method, path), dependant in _web_routes(app).items():
        if (method, path) in PUBLIC_WEB:
            continue
        assert _allowed_roles(dependant) == WEB_ACCESS_MATRIX[(method, path)], f"{method} {path}"
        if method == "POST":
            assert _checks_csrf(dependant), f"{method} {path} does not check a CSRF token"


@pytest.mark.parametrize(("method", "path"), sorted(WEB_ACCESS_MATRIX))
def test_each_page_sends_strangers_to_sign_in_and_refuses_other_roles(client, sign_in, method, path):
    url = path.format(**SAMPLE_PARAMS)
    client.cookies.clear()
    anonymous = client.request(method, url, data=SAMPLE_FORMS.get((method, path)), follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin")
    for role in (Role.advocate, Role.supervisor, Role.admin):
        client.cookies.clear()
        login = sign_in(role)
        form = {**SAMPLE_FORMS.get((method, path), {}), "csrf_token": login.csrf_token}
        response = client.request(
            method, url, data=form if method == "POST" else None, follow_redirects=False
        )
        if role in WEB_ACCESS_MATRIX[(method, path)]:
            assert response.status_code not in {401, 403}, f"{role} refused on {method} {path}"
            location = response.headers.get("location", "")
            assert location != "/signin" and not location.startswith("/signin?next="), f"{method} {path}"
        else:
            assert response.status_code == 403, f"{role} got {response.status_code} on {method} {path}"
            assert "cannot open this page" in response.text


@pytest.mark.parametrize(("method", "path"), sorted(key for key in WEB_ACCESS_MATRIX if key[0] == "POST"))
def test_every_form_refuses_a_post_without_the_right_csrf_token(client, sign_in, method, path):
    role = sorted(WEB_ACCESS_MATRIX[(method, path)])[0]
    login = sign_in(role)
    url = path.format(**SAMPLE_PARAMS)
    form = SAMPLE_FORMS.get((method, path), {})
    for token in (None, "", "0" * 64, login.csrf_token[:-1] + ("0" if login.csrf_token[-1] != "0" else "1")):
        data = {**form, "csrf_token": token} if token is not None else form
        response = client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, f"{path} accepted token {token!r}"
        assert "did not come from this site" in response.text


def test_a_form_posted_from_another_site_is_refused_even_with_a_token(client, sign_in):
    login = sign_in("advocate")
    response = client.post(
        "/signout",
        data={"csrf_token": login.csrf_token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def _signin_token(client: TestClient, next_path: str = "") -> str:
    page = client.get("/signin" + (f"?next={next_path}" if next_path else ""))
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _post_signin(client: TestClient, username: str, password: str, next_path: str = "/"):  # type: ignore[no-untyped-def]
    token = _signin_token(client)
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def _events(session, action: str) -> list[AuditEvent]:
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    )


def test_signing_in_sets_a_protected_cookie_and_is_audited(client, session, make_user):
    user = make_user("supervisor")
    response = _post_signin(client, user.username, TEST_PASSWORD, "/audit?action=tip.created")
    assert response.status_code == 303
    assert response.headers["location"] == "/audit?action=tip.created"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("hotline_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; see the HTTPS test below
    assert client.get("/audit").status_code == 200
    signed_in = _events(session, "user.signed_in")
    assert [(e.actor_kind, e.actor_id, e.subject_id) for e in signed_in] == [
        ("user", str(user.id), str(user.id))
    ]
    # Web actions are recorded under the person.
    stored = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert stored.token_digest not in cookie


def test_behind_https_the_cookie_is_secure_and_host_only(engine, session, make_user):
    settings = make_settings(
        str(engine.url.render_as_string(hide_password=False)), public_base_url="https://hotline.example"
    )
    app = create_app(settings, engine=engine)
    from hotline.deps import get_session

    app.dependency_overrides[get_session] = lambda: session
    user = make_user("advocate")
    with TestClient(app, base_url="https://hotline.example") as client:
        response = _post_signin(client, user.username, TEST_PASSWORD)
        cookie = next(h for h in response.headers.get_list("set-cookie") if "hotline_session=" in h)
        assert cookie.startswith("__Host-hotline_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert client.get("/tips/new").status_code == 200


def test_a_wrong_password_or_unknown_user_gets_the_same_answer_and_both_are_audited(
    client, session, make_user
):
    user = make_user("advocate")
    wrong = _post_signin(client, user.username, "not the password at all")
    unknown = _post_signin(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "The username or password is not right." in wrong.text and "is not right" in unknown.text
    failures = _events(session, "user.sign_in_failed")
    assert [e.detail["reason"] for e in failures] == ["bad_password", "unknown_user"]
    # The typed username of an unknown account is not kept: it is sometimes a password.
    assert "nobody-here" not in str(failures[1].detail) and failures[1].subject_id == "unknown"
    assert "not the password" not in str([e.detail for e in failures])


def test_repeated_failures_lock_the_account_even_for_the_right_password_until_an_admin_unlocks(
    client, session, settings, make_user, sign_in
):
    user = make_user("advocate")
    for attempt in range(settings.signin_max_failures):
        response = _post_signin(client, user.username, f"wrong password {attempt}")
    assert response.status_code == 423 and "locked" in response.text
    assert _post_signin(client, user.username, TEST_PASSWORD).status_code == 423
    assert len(_events(session, "user.locked")) == 1
    assert _events(session, "user.sign_in_failed")[-1].detail["reason"] == "locked"

    admin = sign_in("admin")
    page = client.get("/admin/users")
    assert "locked" in page.text
    refused = client.post(
        f"/admin/users/{user.id}/unlock", data={"csrf_token": admin.csrf_token, "reason": "short"}
    )
    assert refused.status_code == 422
    unlocked = client.post(
        f"/admin/users/{user.id}/unlock",
        data={"csrf_token": admin.csrf_token, "reason": "Verified by phone with the advocate"},
    )
    assert unlocked.status_code == 200
    assert _events(session, "user.unlocked")[0].detail == {"reason": "Verified by phone with the advocate"}
    client.cookies.clear()
    assert _post_signin(client, user.username, TEST_PASSWORD).status_code == 303


def test_a_lock_expires_by_itself(client, session, settings, make_user):
    user = make_user("advocate")
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert _post_signin(client, user.username, TEST_PASSWORD).status_code == 303


def test_signing_out_ends_the_session_on_the_server(client, session, make_user):
    user = make_user("advocate")
    _post_signin(client, user.username, TEST_PASSWORD)
    token = client.cookies.get("hotline_session")
    page = client.get("/tips/new")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?signed_out=1"
    assert _events(session, "user.signed_out")[0].actor_id == str(user.id)
    # The old cookie, replayed, no longer opens anything.
    client.cookies.clear()
    client.cookies.set("hotline_session", token)
    assert client.get("/tips/new", follow_redirects=False).headers["location"].startswith("/signin")


def test_an_idle_or_expired_session_needs_a_new_sign_in(client, session, settings, sign_in):
    sign_in("advocate")
    stored = session.exec(select(UserSession)).one()
    stored.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
    session.commit()
    assert client.get("/tips/new", follow_redirects=False).status_code == 303


def test_the_sign_in_form_needs_its_own_csrf_token_and_never_redirects_off_site(client, make_user):
    user = make_user("advocate")
    client.get("/signin")
    forged = client.post(
        "/signin", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": "x" * 64}
    )
    assert forged.status_code == 403
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = _post_signin(client, user.username, TEST_PASSWORD, target)
        assert response.headers["location"] == "/tips/new"


def test_a_disabled_user_cannot_sign_in_and_loses_open_sessions(client, session, sign_in):
    login = sign_in("advocate")
    assert client.get("/tips/new").status_code == 200
    login.user.disabled_at = utcnow()
    session.commit()
    assert client.get("/tips/new", follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert _post_signin(client, login.user.username, TEST_PASSWORD).status_code == 401


def test_changing_the_password_ends_other_sessions(client, session, settings, sign_in):
    login = sign_in("advocate")
    _, other_token = user_service.start_session(session=session, user=login.user, settings=settings)
    session.commit()
    response = client.post(
        "/account/password",
        data={
            "csrf_token": login.csrf_token,
            "current_password": TEST_PASSWORD,
            "new_password": "a much better passphrase",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/tips/new").status_code == 200  # this browser got a fresh session
    client.cookies.clear()
    client.cookies.set("hotline_session", other_token)
    assert client.get("/tips/new", follow_redirects=False).status_code == 303
    stored = session.get(User, login.user.id)
    assert stored.password_hash.startswith("$argon2id$")
