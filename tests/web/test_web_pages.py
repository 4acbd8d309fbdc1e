"""Web pages through HTTP: the tip form, tip and case pages, the access log, audit and reports.

The browser tests (test_browser.py) drive the same pages in chromium; these check what the server does.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from hotline.access.models import AccessLogEntry
from hotline.core.audit.models import AuditEvent
from hotline.tips.models import Tip
from hotline.web import display, i18n
from hotline.web.forms import TipForm, read_form, validate
from tests.support.factories import ADULT_NARRATIVE, tip_payload

TEMPLATES = Path(__file__).parents[2] / "hotline" / "web" / "templates"


def _post_tip(client, login, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": login.csrf_token, "idempotency_key": uuid.uuid4().hex, **fields}
    return client.post("/tips/new", data=data, follow_redirects=False)


def _tip_id(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text[:500]
    return re.match(r"^/tips/([0-9a-f-]{36})\?submitted=1$", response.headers["location"]).group(1)


FIFTEEN = {
    "narrative": "A 15-year-old girl is being sold online by a man she calls her boyfriend.",
    "channel": "phone",
    "location.state": "Texas",
    "location.city": "Houston",
    "persons[0].role": "victim",
    "persons[0].name": "Kayla Brooks",
    "persons[0].age": "15",
    "persons[1].role": "suspect",
    "persons[1].name": "Marcus Dell",
    "persons[1].age_min": "25",
    "persons[1].age_max": "30",
    "trafficking_type": "sex",
    "immediate_danger": "no",
}


def test_a_tip_entered_on_the_form_goes_through_the_pipeline_and_shows_its_triage(client, session, sign_in):
    login = sign_in("advocate")
    tip_id = _tip_id(_post_tip(client, login, **FIFTEEN))
    tip = session.get(Tip, uuid.UUID(tip_id))
    assert tip.status == "triaged" and tip.channel == "phone" and tip.location_state == "TX"
    assert [(p.role, p.name, p.age) for p in tip.persons] == [
        ("victim", "Kayla Brooks", 15),
        ("suspect", "Marcus Dell", None),
    ]
    assert tip.immediate_danger is False and tip.consent_to_report is None
    assert tip.created_by == f"user:{login.user.id}"
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "tip.created")).one()
    assert (created.actor_kind, created.actor_id, created.actor_role) == (
        "user",
        str(login.user.id),
        "advocate",
    )

    page = client.get(f"/tips/{tip_id}?submitted=1")
    assert page.status_code == 200
    text = page.text
    assert "Tip stored and triaged." in text
    assert 'badge-minor-confirmed">confirmed' in text
    assert "persons[0].age" in text and "age 15 at intake: under 18" in text
    assert 'badge-case-new">New case' in text
    assert 'badge-urgency-high">high' in text
    assert "Not routed yet." not in text
    assert "<td><strong>cps-tx</strong></td>" in text  # a minor in Texas: the state's CPS intake


def test_partial_data_is_welcome_and_empty_person_rows_are_dropped(client, session, sign_in):
    login = sign_in("advocate")
    tip_id = _tip_id(
        _post_tip(
            client,
            login,
            **{"narrative": "Caller hung up.", "persons[0].role": "victim", "persons[1].role": "other"},
        )
    )
    tip = session.get(Tip, uuid.UUID(tip_id))
    assert tip.persons == [] and tip.location_state is None and tip.reporter_name is None


def test_bad_input_comes_back_with_each_error_next_to_its_field_and_nothing_stored(client, session, sign_in):
    login = sign_in("advocate")
    response = _post_tip(
        client,
        login,
        **{
            "narrative": "Some text the advocate typed",
            "location.state": "Texsa",
            "persons[0].role": "victim",
            "persons[0].age": "300",
            "persons[2].role": "suspect",
            "persons[2].email": "not-an-email",
        },
    )
    assert response.status_code == 422
    text = response.text
    assert 'id="location-state-error"' in text and "did you mean 'Texas'" in text.replace("&#39;", "'")
    assert 'id="persons-0-age-error"' in text
    # Rows come back renumbered in order (a removed row leaves a gap); the error sits on the suspect's row.
    assert (
        'id="persons-1-email-error"' in text
        and 'name="persons[1].email" type="email" value="not-an-email"' in text
    )
    assert "Some text the advocate typed" in text  # what was typed is kept
    assert session.exec(select(Tip)).all() == []


def test_a_tip_with_nothing_to_act_on_is_refused_with_a_message(client, sign_in):
    response = _post_tip(client, sign_in("advocate"), **{"persons[0].role": "victim"})
    assert response.status_code == 422
    assert "a tip needs a narrative or at least one person" in response.text


def test_add_person_works_without_javascript(client, sign_in):
    login = sign_in("advocate")
    response = _post_tip(
        client, login, action="add_person", narrative="typed so far", **{"persons[0].name": "A"}
    )
    assert response.status_code == 200
    assert 'name="persons[1].role"' in response.text and "typed so far" in response.text


def test_a_double_submit_stores_one_tip(client, session, sign_in):
    login = sign_in("advocate")
    key = uuid.uuid4().hex
    first = _tip_id(_post_tip(client, login, idempotency_key=key, narrative="one call"))
    second = _tip_id(_post_tip(client, login, idempotency_key=key, narrative="one call"))
    assert first == second and len(session.exec(select(Tip)).all()) == 1


def test_the_form_maps_nested_fields_to_the_contract():
    form = read_form(
        [
            ("narrative", "  keeps its spacing  "),
            ("reporter.anonymous", "1"),
            ("consent_to_report", "yes"),
            ("persons[3].aliases", "Rosi, La Güera ,"),
            ("persons[3].role", "victim"),
            ("unknown.field", "ignored"),
        ]
    )
    tip_in = validate(form)
    assert tip_in is not None
    assert tip_in.narrative == "  keeps its spacing  "
    assert tip_in.reporter.anonymous is True and tip_in.consent_to_report is True
    assert tip_in.persons[0].aliases == ["Rosi", "La Güera"]
    assert validate(TipForm.blank()) is None


def test_narrative_evidence_spans_are_highlighted_safely():
    narrative = "She is <b>15</b> and in 9th grade."
    age = narrative.index("<b>15</b>")
    grade = narrative.index("9th grade")
    evidence = [
        {"source": "narrative", "span": [age, age + 9], "text": "<b>15</b>", "reason": "stated age"},
        {"source": "narrative", "span": [grade, grade + 9], "text": "9th grade", "reason": "school grade"},
        {"source": "narrative", "span": [age + 5, grade + 3], "text": "…", "reason": "overlapping"},
        {"source": "narrative", "span": [grade, 999], "text": "x", "reason": "out of range"},
        {"source": "narrative", "span": [5, 2], "text": "x", "reason": "reversed"},
        {"source": "persons[0].age", "span": None, "text": "15", "reason": "not in the narrative"},
    ]
    segments = display.narrative_segments(narrative, evidence)
    assert "".join(segment.text for segment in segments) == narrative
    assert [(s.text, s.reasons) for s in segments if s.marked] == [
        ("<b>15", ["stated age"]),
        ("</b>", ["stated age", "overlapping"]),
        (" and in ", ["overlapping"]),
        ("9th", ["school grade", "overlapping"]),
        (" grade", ["school grade"]),
    ]


def test_the_tip_page_marks_narrative_evidence_and_shows_routing_with_reasons(client, session, sign_in):
    login = sign_in("advocate")
    tip_id = _tip_id(_post_tip(client, login, narrative="She is <b>15</b> and in 9th grade."))
    tip = session.get(Tip, uuid.UUID(tip_id))
    # A stored result as the narrative classifier and routing (later issues) will write it.
    triage = dict(tip.triage)
    triage["minor"] = {
        "status": "likely",
        "min_age": None,
        "evidence": [
            {"source": "narrative", "span": [24, 33], "text": "9th grade", "reason": "school grade"}
        ],
    }
    triage["case"] = {
        **triage["case"],
        "action": "review",
        "candidates": [{"case_id": str(uuid.uuid4()), "score": 0.81, "fields": {"name": 0.93, "phone": 1.0}}],
    }
    triage["routing"] = {
        "decision_id": str(uuid.uuid4()),
        "ruleset_version": "2026-11-20.1",
        "targets": [
            {"agency_id": "cps-tx", "rule_id": "minor-to-cps", "priority": "urgent", "sla_minutes": 60}
        ],
        "trace": [
            {"rule_id": "adult-consent", "matched": False, "why": "a minor is involved"},
            {"rule_id": "minor-to-cps", "matched": True, "why": "minor likely; state TX"},
        ],
    }
    tip.triage = triage
    session.commit()
    text = client.get(f"/tips/{tip_id}").text
    assert '<mark title="school grade">9th grade</mark>' in text
    assert "&lt;b&gt;15&lt;/b&gt;" in text and "<b>15</b>" not in text
    assert "name 0.93" in text and "phone 1.00" in text
    assert "Needs review" in text
    assert "cps-tx" in text and "minor likely; state TX" in text and "60 minutes" in text


def test_reading_tips_and_cases_is_recorded_in_the_access_log_by_web_and_api(client, session, sign_in, auth):
    login = sign_in("advocate")
    tip_id = _tip_id(_post_tip(client, login, **FIFTEEN))
    tip = session.get(Tip, uuid.UUID(tip_id))
    case_id = tip.triage["case"]["id"]
    client.get(f"/tips/{tip_id}")
    client.get(f"/cases/{case_id}")
    headers = auth("supervisor")
    assert client.get(f"/api/v1/tips/{tip_id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200
    entries = session.exec(select(AccessLogEntry).order_by(AccessLogEntry.id)).all()
    assert [(e.actor_kind, e.subject_type, e.via, str(e.case_id)) for e in entries] == [
        ("user", "tip", "web", case_id),
        ("user", "case", "web", case_id),
        ("api_key", "tip", "api", case_id),
        ("api_key", "case", "api", case_id),
    ]
    assert entries[0].actor_id == str(login.user.id) and entries[0].request_id

    listing = client.get(f"/api/v1/cases/{case_id}/access", headers=headers).json()
    assert [item["via"] for item in listing["items"]] == ["api", "api", "web", "web"]
    assert client.get(f"/api/v1/cases/{uuid.uuid4()}/access", headers=headers).status_code == 404

    client.cookies.clear()
    sign_in("supervisor")
    page = client.get(f"/cases/{case_id}/access")
    assert page.status_code == 200
    assert login.user.username in page.text and "test-supervisor" in page.text


def test_the_access_log_is_append_only(session):
    session.add(
        AccessLogEntry(
            actor_kind="user",
            actor_id="x",
            actor_name="x",
            subject_type="tip",
            subject_id=uuid.uuid4(),
            via="web",
        )
    )
    session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text("UPDATE access_log SET actor_name = 'someone else'"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text("DELETE FROM access_log"))


def test_case_list_filters_and_searches_by_name_reference_and_id(client, session, sign_in, auth):
    headers = auth("advocate")
    texas = client.post("/api/v1/tips", json=tip_payload(external_id="crm-77"), headers=headers).json()
    ohio = client.post(
        "/api/v1/tips",
        json=tip_payload(
            location={"state": "OH"},
            persons=[{"role": "victim", "name": "Dana Smith", "age": 30}],
            narrative="x",
        ),
        headers=headers,
    ).json()
    sign_in("advocate")
    assert texas["case_id"][:8] in client.get("/cases").text
    only_ohio = client.get("/cases?state=OH").text
    assert ohio["case_id"][:8] in only_ohio and texas["case_id"][:8] not in only_ohio
    minors = client.get("/cases?minor_status=confirmed").text
    assert texas["case_id"][:8] in minors and ohio["case_id"][:8] not in minors
    for query in ("dana", "crm-77", texas["case_id"][:8]):
        found = client.get(f"/cases?q={query}").text
        expected = ohio if query == "dana" else texas
        other = texas if query == "dana" else ohio
        assert expected["case_id"][:8] in found and other["case_id"][:8] not in found, query
    searches = session.exec(select(AccessLogEntry).where(AccessLogEntry.kind == "search")).all()
    assert len(searches) == 3
    bad = client.get("/cases?state=Narnia&created_from=yesterday")
    assert bad.status_code == 200 and "not a U.S. state" in bad.text and "created_from" in bad.text


def _events_table(page: str) -> str:
    return page[page.index('id="audit-events"') : page.index("</table>", page.index('id="audit-events"'))]


def test_the_audit_log_page_filters_by_case_and_action_and_verifies_the_chain(client, session, sign_in, auth):
    tip = client.post("/api/v1/tips", json=tip_payload(), headers=auth("advocate")).json()
    login = sign_in("supervisor")
    page = _events_table(client.get(f"/audit?case={tip['case_id']}").text)
    assert "tip.created" in page and "tip.triaged" in page and "case.created" in page
    assert "api_key.created" not in page
    only_keys = _events_table(client.get("/audit?action=api_key.").text)
    assert "api_key.created" in only_keys and "tip.created" not in only_keys
    verified = client.post("/audit/verify", data={"csrf_token": login.csrf_token})
    assert "The chain holds" in verified.text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "audit.verified")).one()
    assert event.detail["ok"] is True and event.actor_kind == "user"


def test_reports_show_the_figures_and_the_csv_export_is_audited_and_free_of_personal_data(
    client, session, sign_in, auth
):
    headers = auth("advocate")
    client.post("/api/v1/tips", json=tip_payload(received_at="2026-11-20T15:30:00-06:00"), headers=headers)
    client.post(
        "/api/v1/tips",
        json=tip_payload(
            channel="sms",
            received_at="2026-11-21T10:00:00-06:00",
            persons=[{"role": "victim", "age": 30}],
            narrative=ADULT_NARRATIVE,
        ),
        headers=headers,
    )
    login = sign_in("supervisor")
    page = client.get("/reports?first=2026-11-15&last=2026-11-24")
    assert page.status_code == 200
    assert '<span class="figure-value" id="figure-total">2</span>' in page.text
    assert 'id="figure-minor-share">50%' in page.text
    # Tips per day, minors, time to triage; decisions by state and agency, overrides by rule, time to routing;
    # time to partner acknowledgement.
    assert page.text.count('<svg class="chart"') == 8

    export = client.post(
        "/reports/export", data={"csrf_token": login.csrf_token, "first": "2026-11-15", "last": "2026-11-24"}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [row["channel"] for row in rows] == ["api", "sms"]
    assert rows[0]["minor_status"] == "confirmed" and rows[0]["case_id"]
    for secret in ("Brianna", "Janelle", "713-555", "motel"):
        assert secret not in export.text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "report.exported")).one()
    assert event.detail == {"first_day": "2026-11-15", "last_day": "2026-11-24", "rows": 2}
    assert event.actor_id == str(login.user.id)


def test_pages_carry_security_headers_and_never_cache(client, sign_in):
    sign_in("advocate")
    response = client.get("/tips/new")
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_unknown_ids_get_a_not_found_page(client, sign_in):
    sign_in("supervisor")
    for url in ("/tips/not-an-id", f"/tips/{uuid.uuid4()}", f"/cases/{uuid.uuid4()}", "/cases/x/access"):
        response = client.get(url)
        assert response.status_code == 404 and "<h1>Page not found</h1>" in response.text


def test_spanish_labels_cover_every_label_of_the_advocate_pages(client, sign_in):
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used.update(re.findall(r"""\bt\(\s*["']([^"']+)["']\s*\)""", template.read_text(encoding="utf-8")))
    missing = sorted(label for label in used if label not in i18n.SPANISH)
    assert missing == [], f"labels without a Spanish translation: {missing}"

    sign_in("advocate")
    page = client.get("/tips/new?lang=es")
    assert '<html lang="es">' in page.text
    assert "Registrar un reporte" in page.text and "Agregar persona" in page.text
    assert "Enter a tip" not in page.text
    # The choice sticks for the next page.
    assert "Casos" in client.get("/cases").text
