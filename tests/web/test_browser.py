"""The web UI in a real browser: Debian's chromium driven by Playwright, against the app served by uvicorn
on 127.0.0.1 with a committed database. Every page visited is screenshotted (test-output/screenshots/) and
checked for accessibility basics with axe-core (vendored in tests/vendor; nothing is fetched).

The supervisors' pages (decisions, the review queue, rules) are driven at the end, on tips seeded through
the same flow the API uses.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from hotline.core.actor import Role, system_actor
from hotline.core.audit.models import AuditEvent
from hotline.core.config import Settings
from hotline.core.database import create_db_engine, make_session_factory
from hotline.core.migrate import upgrade
from hotline.decisions import service as decision_service
from hotline.intake import flows as intake_flows
from hotline.main import create_app
from hotline.matching.models import MatchReview
from hotline.tips.schemas import TipIn
from hotline.users import service as user_service
from integrations.webhooks import service as webhook_service
from integrations.webhooks.delivery import Dispatcher
from integrations.webhooks.models import WebhookDelivery
from tests.support.database import BACKEND, create_postgres_database, drop_postgres_database, make_settings
from tests.support.factories import ADULT_NARRATIVE, tip_payload
from tests.support.receiver import PartnerReceiver, Reply
from tests.support.webhooks import TINY_SETTINGS, deliver_until

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps calling home, and this machine has no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE_SOURCE = (Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PASSWORDS = {
    "ana-advocate": "ana's long passphrase 1",
    "sam-supervisor": "sam's long passphrase 2",
    "lee-locked": "lee's long passphrase 3",
    "ada-admin": "ada's long passphrase 4",
}
ROLES = {
    "ana-advocate": Role.advocate,
    "sam-supervisor": Role.supervisor,
    "lee-locked": Role.advocate,
    "ada-admin": Role.admin,
}


@dataclass
class LiveApp:
    base_url: str
    session_factory: sessionmaker[Session]
    database_url: str
    settings: Settings


@pytest.fixture(scope="module")
def live_database_url(tmp_path_factory, _sqlite_template) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("browser") / "browser.db"
        shutil.copy(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = create_postgres_database("hotline_browser")
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def live_app(live_database_url: str) -> Iterator[LiveApp]:
    """The app under uvicorn on 127.0.0.1 (a free port), in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    engine = create_db_engine(live_database_url)
    settings = make_settings(live_database_url, public_base_url=base_url, log_level="WARNING")
    session_factory = make_session_factory(engine)
    with session_factory() as session:
        for username, password in PASSWORDS.items():
            user_service.create_user(
                session=session,
                username=username,
                display_name=username.split("-")[0].title(),
                role=ROLES[username],
                password=password,
                actor=system_actor("tests"),
            )
        session.commit()
    config = uvicorn.Config(
        create_app(settings, engine=engine), log_config=None, access_log=False, lifespan="on", workers=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield LiveApp(base_url, session_factory, live_database_url, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (Debian: apt-get install chromium); scripts/test installs it")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_app):  # type: ignore[no-untyped-def]
    """A page in a fresh browser context (its own cookies); console errors (CSP included) fail the test."""
    contexts = []
    problems: list[str] = []

    def make():  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=live_app.base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                problems.append(message.text)
                if message.type == "error"
                and "403" not in message.text
                and "401" not in message.text
                and "423" not in message.text
                and "422" not in message.text  # a refused form (a missing reason, a failing ruleset)
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], f"errors in the browser console: {problems}"


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot the page and run axe-core's WCAG 2.1 A/AA rules on it (labels, headings, contrast…)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    # Injected through the DevTools protocol, so the page's strict CSP (scripts from 'self' only) stays on.
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    # A sanity check that axe really ran its rules on this page.
    assert len(result["passes"]) >= 10, f"axe checked almost nothing on {name}"
    violations = [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]
    assert violations == [], f"accessibility problems on {name}: {json.dumps(violations, indent=1)}"
    assert page.locator("h1").count() == 1, f"{name} needs exactly one h1"


def sign_in(page, username: str, password: str | None = None, *, path: str = "/") -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    page.fill("#username", username)
    page.fill("#password", password if password is not None else PASSWORDS[username])
    with page.expect_navigation():
        page.press("#password", "Enter")


def events(live_app: LiveApp, **where: str) -> list[AuditEvent]:
    with live_app.session_factory() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(session.exec(query).all())


NARRATIVE = (
    "Caller is a school counselor. A 15-year-old student told her that her boyfriend posts ads for her "
    "online and drives her to motels on weekends."
)


def enter_tip_about_a_15_year_old(page) -> str:  # type: ignore[no-untyped-def]
    """As an advocate on a call: keyboard first. Returns the new tip's id."""
    page.goto("/tips/new")
    # The narrative has the focus as soon as the form opens: the advocate types straight away. (Autofocus
    # lands when the page has settled, so wait for it rather than read it at once.)
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'narrative'", timeout=5000
    )
    page.keyboard.type(NARRATIVE)
    page.fill("#location-city", "Houston")
    page.fill("#location-state", "TX")
    page.fill("#persons-0-name", "Kayla Brooks")
    page.fill("#persons-0-age", "15")
    # Alt+Shift+P adds a person and puts the focus on its first field.
    page.keyboard.press("Alt+Shift+P")
    assert page.evaluate("document.activeElement.name") == "persons[1].role"
    page.keyboard.press("ArrowDown")  # victim -> suspect, on the focused select
    assert page.input_value("#persons-1-role") == "suspect"
    page.keyboard.press("Tab")
    page.keyboard.type("Marcus Dell")
    assert page.input_value("#persons-1-name") == "Marcus Dell"
    page.select_option("#trafficking_type", "sex")
    # Ctrl+Enter sends the form from wherever the focus is.
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    match = re.search(r"/tips/([0-9a-f-]{36})\?submitted=1$", page.url)
    assert match, page.url
    return match.group(1)


def test_an_advocate_enters_a_tip_about_a_15_year_old_and_sees_the_minor_confirmed_with_its_evidence(
    new_page, live_app
):
    page = new_page()
    page.goto("/tips/new")
    assert "/signin?next=%2Ftips%2Fnew" in page.url
    check_page(page, "signin")
    sign_in(page, "ana-advocate", path=page.url)
    assert page.url.endswith("/tips/new")
    check_page(page, "tip-form")

    tip_id = enter_tip_about_a_15_year_old(page)
    assert "Tip stored and triaged." in page.inner_text("#submitted-notice")
    minor = page.inner_text("#triage-minor")
    assert "confirmed" in minor
    assert "persons[0].age" in minor and "age 15 at intake: under 18" in minor
    assert "Youngest known age: 15" in minor
    assert "New case" in page.inner_text("#triage-case")
    assert "high" in page.inner_text("#triage-urgency")
    # A minor in Texas is a mandatory report to the state's child-protective intake, with the rule's reason.
    routing = page.inner_text("#triage-routing")
    cps_row = next(line for line in routing.splitlines() if line.startswith("cps-tx"))
    assert "minor" in cps_row and "cps-tx" in cps_row.split("→")[-1]
    check_page(page, "tip-result")

    created = events(live_app, action="tip.created", subject_id=tip_id)
    assert [(e.actor_kind, e.actor_name) for e in created] == [("user", "ana-advocate")]

    page.click("#triage-case a")
    assert "/cases/" in page.url and "Kayla Brooks" in page.inner_text("main")
    check_page(page, "case")
    page.goto("/cases")
    page.fill("#q", "kayla")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert page.locator("#case-list tbody tr").count() == 1
    check_page(page, "case-list")


def test_the_form_offers_spanish_labels(new_page):
    page = new_page()
    sign_in(page, "ana-advocate")
    page.goto("/tips/new")
    page.click("text=Español")
    assert page.inner_text("h1") == "Registrar un reporte"
    assert page.inner_text("label[for=narrative]") == "Relato"
    assert page.get_attribute("html", "lang") == "es"
    check_page(page, "tip-form-es")
    page.click("text=English")
    assert page.inner_text("h1") == "Enter a tip"


def test_a_supervisor_finds_the_tips_events_in_the_audit_log_and_sees_who_viewed_the_case(new_page, live_app):
    advocate = new_page()
    sign_in(advocate, "ana-advocate")
    tip_id = enter_tip_about_a_15_year_old(advocate)
    case_href = advocate.get_attribute("#triage-case a", "href")

    supervisor = new_page()
    sign_in(supervisor, "sam-supervisor")
    supervisor.goto("/audit")
    supervisor.fill("#subject_id", tip_id)
    with supervisor.expect_navigation():
        supervisor.press("#subject_id", "Enter")
    rows = supervisor.inner_text("#audit-events")
    assert "tip.created" in rows and "tip.triaged" in rows and "ana-advocate" in rows
    check_page(supervisor, "audit-log")

    supervisor.goto(case_href)
    supervisor.click("text=Who viewed this case")
    viewers = supervisor.inner_text("#viewers")
    assert "ana-advocate" in viewers and "sam-supervisor" in viewers
    assert "tip " + tip_id[:8] in supervisor.inner_text("#reads")
    check_page(supervisor, "case-access")

    supervisor.goto(case_href)
    supervisor.click("text=Audit trail")
    trail = supervisor.inner_text("#audit-events")
    assert "case.created" in trail and "tip.created" in trail

    supervisor.goto("/audit")
    supervisor.click("#verify-chain")
    assert "The chain holds" in supervisor.inner_text("#chain-result")
    check_page(supervisor, "audit-verified")

    supervisor.goto("/reports")
    assert int(supervisor.inner_text("#figure-total")) >= 1
    check_page(supervisor, "reports")
    with supervisor.expect_download() as download_info:
        supervisor.click("#export-csv")
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert tip_id in exported and "Kayla" not in exported
    assert events(live_app, action="report.exported")[-1].actor_name == "sam-supervisor"

    # An advocate may not open supervisor pages.
    advocate.goto("/audit")
    assert "cannot open this page" in advocate.inner_text("main")
    check_page(advocate, "not-allowed")


def test_a_form_with_a_forged_csrf_token_is_refused(new_page, live_app):
    page = new_page()
    sign_in(page, "ana-advocate")
    page.goto("/tips/new")
    page.fill("#narrative", "This tip must not be stored")
    page.evaluate("document.querySelector('#tip-form input[name=csrf_token]').value = 'forged'")
    with page.expect_navigation():
        page.click("#submit-tip")
    assert "did not come from this site" in page.inner_text("main")
    check_page(page, "csrf-refused")
    # A request from a script without the token, with the session cookie, is refused too.
    response = page.request.post("/signout", form={"x": "1"})
    assert response.status == 403
    page.goto("/tips/new")
    assert page.url.endswith("/tips/new")  # still signed in: the forged sign-out did nothing


def test_repeated_failed_sign_ins_lock_the_account_until_an_admin_unlocks_it(new_page, live_app):
    page = new_page()
    for attempt in range(5):
        sign_in(page, "lee-locked", f"wrong password {attempt}", path="/signin")
    assert "locked" in page.inner_text("#signin-message")
    sign_in(page, "lee-locked", path="/signin")
    assert "locked" in page.inner_text("#signin-message")
    check_page(page, "signin-locked")
    assert len(events(live_app, action="user.locked")) == 1

    admin = new_page()
    sign_in(admin, "ada-admin")
    assert admin.url.endswith("/admin/users")
    check_page(admin, "admin-users")
    admin.fill("#unlock-lee-locked-reason", "Lee called; identity checked by the shift lead")
    with admin.expect_navigation():
        admin.click(".reason-form button")
    assert "User lee-locked unlocked." in admin.inner_text("main")
    assert events(live_app, action="user.unlocked")[-1].detail["reason"].startswith("Lee called")

    sign_in(page, "lee-locked", path="/signin")
    assert page.url.endswith("/tips/new")
    page.goto("/account/password")
    check_page(page, "account-password")


# Supervisors: routing decisions, the review queue, rules


def seed_tip(live_app: LiveApp, *, settings: Settings | None = None, **fields: object) -> dict[str, str]:
    """A tip through the same flow as POST /api/v1/tips (stored, then triaged and routed)."""
    with live_app.session_factory() as session:
        tip = intake_flows.submit_tip(
            session=session,
            settings=settings or live_app.settings,
            tip_in=TipIn.model_validate(tip_payload(**fields)),
            actor=system_actor("tests"),
        ).tip
        session.refresh(tip)
        return {
            "tip_id": str(tip.id),
            "case_id": tip.triage["case"]["id"],
            "decision_id": tip.triage["routing"]["decision_id"],
        }


def test_a_supervisor_overrides_a_decision_with_a_reason_and_finds_the_override_in_the_audit_log(
    new_page, live_app
):
    tip = seed_tip(live_app, location={"city": "El Paso", "state": "TX"})  # a 15-year-old: cps-tx, le-tx
    page = new_page()
    sign_in(page, "sam-supervisor", path="/decisions")
    assert page.url.endswith("/decisions")
    check_page(page, "decisions")
    page.select_option("#state", "TX")
    page.select_option("#minor_status", "confirmed")
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    assert "state=TX" in page.url
    with page.expect_navigation():
        page.click(f'#decision-list a[href="/decisions/{tip["decision_id"]}"]')
    assert "cps-tx" in page.inner_text("#current-targets") and "le-tx" in page.inner_text("#current-targets")
    trace = page.inner_text("#trace")
    assert "minor-cps" in trace and "matched" in trace
    check_page(page, "decision")

    with page.expect_navigation():
        page.click("#replay-button")
    assert "Stored version: v" in page.inner_text("#replay-result")
    assert "Same decision" in page.inner_text("#replay-result")
    check_page(page, "decision-replay")

    # Drop law enforcement, add the state's victim services, with a reason.
    page.uncheck("#targets-1-keep")
    page.select_option("#targets-2-agency_id", "services-tx")
    page.select_option("#targets-2-priority", "high")
    page.fill("#targets-2-sla_minutes", "120")
    page.fill("#override-reason", "The girl's mother asked for services first; police are already involved")
    with page.expect_navigation():
        page.click("#override-submit")
    assert "Override saved." in page.inner_text("#override-notice")
    current = page.inner_text("#current-targets")
    assert "services-tx" in current and "le-tx" not in current
    assert "le-tx" in page.inner_text("#original-targets")
    overrides = page.inner_text("#overrides")
    assert "sam-supervisor" in overrides and "police are already involved" in overrides
    check_page(page, "decision-overridden")

    page.goto("/audit")
    page.select_option("#action", "routing.overridden")
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    rows = page.inner_text("#audit-events")
    assert "routing.overridden" in rows and "sam-supervisor" in rows
    assert "decision " + tip["decision_id"][:8] in rows
    check_page(page, "audit-override")
    overridden = events(live_app, action="routing.overridden", subject_id=tip["decision_id"])
    assert [(e.actor_kind, e.actor_name) for e in overridden] == [("user", "sam-supervisor")]

    page.goto("/reports")
    assert int(page.inner_text("#figure-overridden")) >= 1
    assert "TX" in page.text_content("#decisions-by-state")
    check_page(page, "reports-routing")


VICTIM = {"role": "victim", "name": "Guadalupe Orozco Ibarra", "age": 15, "gender": "female"}
SAME_VICTIM = {"role": "victim", "name": "Lupe Orozco", "dob": "2011-03-04", "gender": "F"}
HOUSTON = {"city": "Houston", "county": "Harris", "state": "TX", "zip": "77022"}
NEUTRAL = "The caller is worried about the person named here and where they are staying."


def test_a_supervisor_works_the_review_queue_and_sees_the_case_with_both_tips(new_page, live_app):
    # A close match goes to a person instead of being linked.
    careful = live_app.settings.model_copy(
        update={"match_link_threshold": 1.0, "match_review_threshold": 0.3}
    )
    first = seed_tip(live_app, settings=careful, persons=[VICTIM], location=HOUSTON, narrative=NEUTRAL)
    second = seed_tip(live_app, settings=careful, persons=[SAME_VICTIM], location=HOUSTON, narrative=NEUTRAL)
    with live_app.session_factory() as session:
        review = session.exec(
            select(MatchReview).where(MatchReview.tip_id == uuid.UUID(second["tip_id"]))
        ).one()

    page = new_page()
    sign_in(page, "sam-supervisor", path="/review")
    check_page(page, "review-queue")
    with page.expect_navigation():
        page.click(f'#review-queue a[href="/review/{review.id}"]')
    comparison = page.inner_text("#comparison")
    assert "Lupe Orozco" in comparison and "Guadalupe Orozco Ibarra" in comparison
    assert "Total, with the prior" in comparison
    check_page(page, "review")

    page.select_option("#confirm-choice", first["case_id"])
    page.fill("#confirm-reason", "Same girl: Lupe is her nickname and the date of birth fits her age")
    with page.expect_navigation():
        page.click("#confirm-submit")
    assert page.url.endswith(f"/cases/{first['case_id']}?decided=confirmed")
    assert "Review confirmed" in page.inner_text("#case-notice")
    tips = page.inner_text("#tips-heading") + page.inner_text("main")
    assert "Lupe Orozco" in tips and "Guadalupe Orozco Ibarra" in tips
    assert "confirmed" in page.inner_text("#match-decisions")
    check_page(page, "case-after-confirm")
    confirmed = events(live_app, action="match.review_confirmed", subject_id=str(review.id))
    assert [e.actor_name for e in confirmed] == ["sam-supervisor"]

    # Two reports the system kept apart, merged by hand from the case page.
    one, other = (
        seed_tip(
            live_app,
            persons=[person],
            narrative=ADULT_NARRATIVE,
            consent_to_report=False,
            location={"state": "NM"},
        )
        for person in (
            {"role": "victim", "name": "Mireya Salas", "age": 29},
            {"role": "victim", "name": "Ana Paredes", "age": 31},
        )
    )
    page.goto(f"/cases/{one['case_id']}")
    page.fill("#merge-into", other["case_id"][:8])
    page.fill("#merge-reason", "Both callers describe the same restaurant and the same two women")
    with page.expect_navigation():
        page.click("#merge-submit")
    assert page.url.endswith(f"/cases/{other['case_id']}?decided=merged")
    main = page.inner_text("main")
    assert "Mireya Salas" in main and "Ana Paredes" in main
    check_page(page, "case-merged")
    assert [e.actor_name for e in events(live_app, action="case.merged", subject_id=one["case_id"])] == [
        "sam-supervisor"
    ]


ADULTS_TO_NATIONAL = decision_service.shipped_default_ruleset().replace(
    "when: {minor_status: adult}\n    then: {route: [{state_agency: services}]",
    "when: {minor_status: adult}\n    then: {route: [national]",
)


def test_a_supervisor_simulates_a_rules_change_and_sees_the_moves_before_publishing(new_page, live_app):
    seed_tip(
        live_app,
        persons=[{"role": "victim", "age": 40}],
        narrative=ADULT_NARRATIVE,
        consent_to_report=False,
        location={"state": "AZ"},
    )
    page = new_page()
    sign_in(page, "sam-supervisor", path="/rules")
    assert "(active)" in page.inner_text("#ruleset-history")
    check_page(page, "rules")
    with page.expect_navigation():
        page.click("#ruleset-history a >> nth=0")
    assert "ruleset: default" in page.inner_text("#ruleset-content")
    check_page(page, "ruleset-version")

    page.goto("/rules/candidate")
    check_page(page, "rules-candidate")
    page.fill("#content", ADULTS_TO_NATIONAL)
    with page.expect_navigation():
        page.click("#check-candidate")
    moves = page.inner_text("#simulation-moves")
    assert "services-az" in moves and "→ national" in moves
    assert "+    then: {route: [national]" in page.inner_text("#candidate-diff")
    assert "adult-services" in page.inner_text("#problems") or "failed" in page.inner_text("#problems")
    check_page(page, "rules-simulation")

    # Its own tests still expect services for adults: publishing is refused.
    page.fill("#comment", "Adults to the national queue while the state lines are down")
    with page.expect_navigation():
        page.click("#publish-candidate")
    assert "Not published" in page.inner_text("#candidate-problem")
    check_page(page, "rules-publish-refused")


def test_a_supervisor_replays_a_dead_letter_and_enables_a_disabled_endpoint(new_page, live_app):
    """Deliveries made by the real dispatcher to a partner receiver on 127.0.0.1 that fails on purpose."""
    settings = make_settings(live_app.database_url, **TINY_SETTINGS)
    receiver = PartnerReceiver().start()
    dispatcher = Dispatcher(
        settings=settings, session_factory=live_app.session_factory, serialize_database=True
    )
    try:
        with live_app.session_factory() as session:
            _, secret = webhook_service.register_endpoint(
                session=session,
                agency_id="cps-ok",
                url=receiver.url,
                fields=None,
                actor=system_actor("tests"),
                settings=settings,
            )
            session.commit()
        receiver.secrets.append(secret)
        receiver.default = Reply(503)
        tip = seed_tip(live_app, location={"city": "Tulsa", "state": "OK"})  # a 15-year-old: cps-ok, le-ok

        def deliveries(status: str) -> list[WebhookDelivery]:
            with live_app.session_factory() as session:
                return list(
                    session.exec(select(WebhookDelivery).where(WebhookDelivery.status == status)).all()
                )

        deliver_until(dispatcher, lambda: bool(deliveries("failed")))
        [dead] = deliveries("failed")

        page = new_page()
        sign_in(page, "sam-supervisor", path="/alerts")
        assert "cps-ok" in page.inner_text("#alerts")
        check_page(page, "alerts")
        page.goto("/decisions?delivery_failed=yes")
        with page.expect_navigation():
            page.click(f'#decision-list a[href="/decisions/{tip["decision_id"]}"]')
        assert "failed (dead letter)" in page.inner_text("#delivery-status")
        check_page(page, "decision-delivery")
        page.goto("/deliveries")
        assert "cps-ok" in page.inner_text("#dead-letters")
        check_page(page, "deliveries")
        with page.expect_navigation():
            page.click(f'#dead-letters a[href="/deliveries/referrals/{dead.referral_id}"]')
        assert page.inner_text(".attempts").count("http_503") == 4
        check_page(page, "delivery-log")

        receiver.default = Reply(200)
        with page.expect_navigation():
            page.click(f"#replay-{dead.id}")
        assert "Sent again" in page.inner_text("#referral-notice")
        deliver_until(dispatcher, lambda: bool(deliveries("delivered")))
        page.reload()
        assert "delivered" in page.inner_text("#log-heading + article + article")
        check_page(page, "delivery-log-replayed")
        assert [e.actor_name for e in events(live_app, action="webhook_delivery.replayed")] == [
            "sam-supervisor"
        ]

        # The endpoint answers 410 Gone: disabled, its deliveries held until a supervisor enables it.
        receiver.script(Reply(410))
        seed_tip(live_app, location={"city": "Tulsa", "state": "OK"})
        deliver_until(dispatcher, lambda: bool(deliveries("held")))
        page.goto("/deliveries/endpoints")
        assert "disabled" in page.inner_text("#endpoint-cps-ok")
        check_page(page, "endpoints-disabled")
        with page.expect_navigation():
            page.click("#enable-cps-ok")
        assert "Endpoint enabled" in page.inner_text("#endpoints-notice")
        check_page(page, "endpoints")
        deliver_until(dispatcher, lambda: not deliveries("held") and not deliveries("pending"))
        assert [e.actor_name for e in events(live_app, action="webhook_endpoint.enabled")] == [
            "sam-supervisor"
        ]
    finally:
        dispatcher.close()
        receiver.stop()
