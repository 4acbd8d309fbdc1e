"""Supervisors' web pages through HTTP: routing decisions (list, page, replay, override), the dedup review
queue (confirm, reject, merge, move), the rules (history, versions, check, simulate, publish) and the routing
reports and decision export. Each form needs a reason; each action is audited under the signed-in person.
The browser tests (test_browser_supervisor.py) drive the same pages in chromium.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

from sqlmodel import select

from hotline.access.models import AccessLogEntry
from hotline.cases.models import Case
from hotline.core.actor import system_actor
from hotline.core.audit.models import AuditEvent
from hotline.core.database import utcnow
from hotline.decisions import service as decision_service
from hotline.decisions.models import RoutingDecision, RoutingOverride, Ruleset
from hotline.matching.models import MatchDecision, MatchReview
from hotline.reports import service as report_service
from hotline.web import decisions as decision_pages
from tests.support.factories import ADULT_NARRATIVE, tip_payload

DEFAULT = decision_service.shipped_default_ruleset()
# The adults' rule sends to the national queue instead of the state's victim services: its own tests fail.
ADULTS_TO_NATIONAL = DEFAULT.replace(
    "when: {minor_status: adult}\n    then: {route: [{state_agency: services}]",
    "when: {minor_status: adult}\n    then: {route: [national]",
)
# A change that keeps every test passing: adults' services referrals get a 12-hour response time.
SHORTER_ADULT_SLA = DEFAULT.replace(
    "{route: [{state_agency: services}], priority: normal, sla_minutes: 1440}",
    "{route: [{state_agency: services}], priority: normal, sla_minutes: 720}",
)
VICTIM = {"role": "victim", "name": "Guadalupe Orozco Ibarra", "age": 15, "gender": "female"}
SAME_VICTIM = {"role": "victim", "name": "Lupe Orozco", "dob": "2011-03-04", "gender": "F"}
HOUSTON = {"city": "Houston", "county": "Harris", "state": "TX", "zip": "77022"}
NEUTRAL = "The caller is worried about the person named here and where they are staying."


def submit(client, headers, **fields):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tips", json=tip_payload(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def adult_tip(client, headers, **fields):  # type: ignore[no-untyped-def]
    return submit(
        client,
        headers,
        persons=[{"role": "victim", "age": 34}],
        narrative=ADULT_NARRATIVE,
        consent_to_report=False,
        **fields,
    )


def decision_of(tip) -> str:  # type: ignore[no-untyped-def]
    return tip["triage"]["routing"]["decision_id"]


def events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    )


def table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def not_found(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 404 and "<h1>Page not found</h1>" in response.text


# Routing decisions


def test_the_decision_list_filters_by_facts_targets_flags_dates_tip_and_case(client, session, sign_in, auth):
    advocate = auth()
    texas_minor = submit(client, advocate)  # a 15-year-old in Texas: cps-tx and le-tx
    ohio_adult = adult_tip(client, advocate, location={"state": "OH"})
    nowhere = submit(client, advocate, location=..., reporter=..., persons=[{"role": "victim", "age": 16}])
    sign_in("supervisor")

    def listed(query: str = "") -> set[str]:
        page = client.get(f"/decisions{query}")
        assert page.status_code == 200, page.text[:300]
        if 'id="decision-list"' not in page.text:
            return set()
        return {
            found
            for found in re.findall(r'href="/decisions/([0-9a-f-]{36})"', table(page.text, "decision-list"))
        }

    everything = {decision_of(texas_minor), decision_of(ohio_adult), decision_of(nowhere)}
    assert listed() == everything
    assert listed("?state=TX") == {decision_of(texas_minor)}
    assert listed("?state=Ohio") == {decision_of(ohio_adult)}
    assert listed("?state=none") == {decision_of(nowhere)}
    assert listed("?minor_status=adult") == {decision_of(ohio_adult)}
    assert listed("?urgency=normal&minor_status=confirmed&state=OH") == set()
    assert listed("?agency=cps-tx") == {decision_of(texas_minor)}
    assert listed("?review_required=yes") == {decision_of(nowhere)}
    assert listed("?review_required=no") == {decision_of(texas_minor), decision_of(ohio_adult)}
    assert listed("?overridden=yes") == set()
    assert listed(f"?tip_id={texas_minor['id']}") == {decision_of(texas_minor)}
    assert listed(f"?case_id={ohio_adult['case_id']}") == {decision_of(ohio_adult)}
    today = utcnow().date()
    assert listed(f"?decided_from={today - timedelta(days=1)}&decided_to={today + timedelta(days=1)}") == (
        everything
    )
    assert listed(f"?decided_to={today - timedelta(days=2)}") == set()
    assert listed("?ruleset_version=1") == everything and listed("?ruleset_version=2") == set()

    bad = client.get("/decisions?state=Narnia&decided_from=soon&overridden=maybe")
    assert bad.status_code == 200
    assert "not a U.S. state" in bad.text and "decided_from" in bad.text and "overridden" in bad.text
    assert listed("?state=Narnia") == everything  # a filter not understood is dropped, and said so


def test_the_decision_list_pages_newest_first(client, sign_in, auth, monkeypatch):
    advocate = auth()
    tips = [submit(client, advocate) for _ in range(3)]
    monkeypatch.setattr(decision_pages, "PAGE_SIZE", 2)
    sign_in("supervisor")
    first = client.get("/decisions").text
    shown = re.findall(r'href="/decisions/([0-9a-f-]{36})"', table(first, "decision-list"))
    assert shown == [decision_of(tips[2]), decision_of(tips[1])]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).text
    assert re.findall(r'href="/decisions/([0-9a-f-]{36})"', table(second, "decision-list")) == [
        decision_of(tips[0])
    ]
    assert 'rel="next"' not in second
    assert "not a page this list gave" in client.get("/decisions?cursor=bm90LWEtY3Vyc29y").text


def test_the_decision_page_shows_facts_targets_and_the_full_rule_trace(client, session, sign_in, auth):
    tip = submit(client, auth())
    sign_in("supervisor")
    page = client.get(f"/decisions/{decision_of(tip)}")
    assert page.status_code == 200
    text = page.text
    facts = table(text, "facts")
    assert "<code>minor_status</code></th><td>confirmed" in facts and "<code>state</code></th><td>TX" in facts
    trace = table(text, "trace")
    stored = session.get(RoutingDecision, uuid.UUID(decision_of(tip)))
    # Every rule of the version, in order, with whether it matched and why, and what it is for.
    assert re.findall(r"<th scope=\"row\"><code>([^<]+)</code>", trace) == [
        e["rule_id"] for e in stored.trace
    ]
    assert trace.count("<strong>matched</strong>") == sum(e["matched"] for e in stored.trace)
    assert "the state&#39;s CPS intake; the report is mandatory" in trace
    for entry in stored.trace:
        assert str(entry["why"]).replace("'", "&#39;") in trace
    for target in ("cps-tx", "le-tx"):
        assert target in table(text, "current-targets") and target in table(text, "original-targets")
    assert f'href="/rules/{stored.ruleset_version}"' in text
    assert f'href="/tips/{tip["id"]}"' in text and "None: the rules' targets stand." in text


def test_an_override_needs_a_reason_and_valid_targets_keeps_the_original_and_is_audited(
    client, session, sign_in, auth
):
    tip = submit(client, auth())
    decision_id = decision_of(tip)
    login = sign_in("supervisor")
    url = f"/decisions/{decision_id}/override"
    # The form: the two current targets (keep or not, priority, SLA) and blank rows to add an agency.
    form = {
        "csrf_token": login.csrf_token,
        "targets-0-existing": "1", "targets-0-agency_id": "cps-tx", "targets-0-keep": "1",
        "targets-0-priority": "high", "targets-0-sla_minutes": "60",
        "targets-1-existing": "1", "targets-1-agency_id": "le-tx",  # not kept
        "targets-1-priority": "high", "targets-1-sla_minutes": "60",
        "targets-2-agency_id": "services-tx", "targets-2-keep": "1", "targets-2-priority": "normal",
        "targets-2-sla_minutes": "120",
        "targets-3-agency_id": "", "targets-3-keep": "1", "targets-3-priority": "normal",
        "targets-3-sla_minutes": "",
    }  # fmt: skip
    reason = "Police already on scene per caller; services will follow up with the family"

    refused = client.post(url, data={**form, "reason": "because"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.text
    assert "targets-2-agency_id" in refused.text and 'value="120"' in refused.text  # what was chosen is kept
    unknown = client.post(url, data={**form, "targets-2-agency_id": "cps-zz", "reason": reason})
    assert unknown.status_code == 422 and "no active agency &#39;cps-zz&#39;" in unknown.text
    assert reason in unknown.text  # the reason typed is kept
    nothing = client.post(
        url, data={**form, "targets-0-keep": "", "targets-2-agency_id": "", "reason": reason}
    )
    assert nothing.status_code == 422 and "at least one target" in nothing.text
    bad_sla = client.post(url, data={**form, "targets-2-sla_minutes": "soon", "reason": reason})
    assert bad_sla.status_code == 422 and "whole number of minutes" in bad_sla.text
    assert session.exec(select(RoutingOverride)).all() == []

    done = client.post(url, data={**form, "reason": reason}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(
        f"/decisions/{decision_id}?overridden=1"
    )
    stored = session.get(RoutingDecision, uuid.UUID(decision_id))
    session.refresh(stored)
    assert [(t["agency_id"], t["priority"], t["sla_minutes"]) for t in stored.current_targets] == [
        ("cps-tx", "high", 60),
        ("services-tx", "normal", 120),
    ]
    assert [t["agency_id"] for t in stored.targets] == ["cps-tx", "le-tx"]  # the rules' original stays
    [event] = events(session, "routing.overridden")
    assert (event.actor_kind, event.actor_id) == ("user", str(login.user.id))
    assert event.detail["from"] == ["cps-tx", "le-tx"] and event.detail["to"] == ["cps-tx", "services-tx"]

    page = client.get(done.headers["location"]).text
    assert "Override saved." in page
    overrides = table(page, "overrides")
    assert reason in overrides and login.user.username in overrides
    assert "le-tx" in table(page, "original-targets") and "le-tx" not in table(page, "current-targets")
    listed = client.get("/decisions?overridden=yes").text
    assert decision_id in listed


def test_replay_shows_the_stored_version_reproduced_and_what_the_active_version_changes(
    client, session, sign_in, auth
):
    tip = adult_tip(client, auth())
    login = sign_in("supervisor")
    decision_id = decision_of(tip)
    same = client.post(f"/decisions/{decision_id}/replay", data={"csrf_token": login.csrf_token})
    assert same.status_code == 200
    result = same.text[same.text.index('id="replay-result"') :]
    assert result.count("Same decision") == 2

    decision_service.publish_ruleset(
        session=session,
        text=SHORTER_ADULT_SLA,
        source="shorter.yaml",
        author="tests",
        actor=system_actor("tests"),
    )
    session.commit()
    changed = client.post(f"/decisions/{decision_id}/replay", data={"csrf_token": login.csrf_token}).text
    result = changed[changed.index('id="replay-result"') :]
    assert "Stored version: v1" in result and "Active version: v2" in result
    assert result.count("Same decision") == 1 and "Another priority or response time: services-tx" in result
    replays = events(session, "routing.replayed")
    assert len(replays) == 2 and replays[-1].actor_id == str(login.user.id)
    assert replays[-1].detail["current_identical"] is False and replays[-1].detail["reproduced"] is True


def test_the_tip_and_case_pages_link_their_decisions_for_supervisors_only(client, sign_in, auth):
    tip = submit(client, auth())
    sign_in("advocate")
    assert f'href="/decisions/{decision_of(tip)}"' not in client.get(f"/tips/{tip['id']}").text
    assert "Routing decisions" not in client.get(f"/cases/{tip['case_id']}").text
    client.cookies.clear()
    sign_in("supervisor")
    assert f'href="/decisions/{decision_of(tip)}"' in client.get(f"/tips/{tip['id']}").text
    case_page = client.get(f"/cases/{tip['case_id']}").text
    assert decision_of(tip) in table(case_page, "case-routing-decisions")
    assert f'href="/decisions?case_id={tip["case_id"]}"' in case_page


def test_unknown_decisions_reviews_and_versions_get_a_not_found_page(client, sign_in):
    login = sign_in("supervisor")
    for url in (
        "/decisions/not-an-id",
        f"/decisions/{uuid.uuid4()}",
        f"/review/{uuid.uuid4()}",
        "/review/x",
        "/rules/7",
        "/rules/seven",
        "/rules/99999999999999999999",
    ):
        assert not_found(client.get(url)), url
    for url in (
        f"/decisions/{uuid.uuid4()}/override",
        f"/decisions/{uuid.uuid4()}/replay",
        f"/review/{uuid.uuid4()}/confirm",
        f"/review/{uuid.uuid4()}/reject",
        f"/tips/{uuid.uuid4()}/move",
    ):
        response = client.post(url, data={"csrf_token": login.csrf_token, "reason": "a long enough reason"})
        assert not_found(response), url


# The dedup review queue


def test_a_supervisor_reviews_a_close_match_side_by_side_and_confirms_it_with_a_reason(
    client, session, sign_in, auth, thresholds
):
    thresholds(link=1.0, review=0.3)
    advocate = auth()
    first = submit(client, advocate, persons=[VICTIM], location=HOUSTON, narrative=NEUTRAL)
    second = submit(client, advocate, persons=[SAME_VICTIM], location=HOUSTON, narrative=NEUTRAL)
    assert second["triage"]["case"]["action"] == "review"
    review = session.exec(select(MatchReview)).one()
    login = sign_in("supervisor")

    queue = client.get("/review").text
    assert f'href="/review/{review.id}"' in table(queue, "review-queue")
    page = client.get(f"/review/{review.id}")
    assert page.status_code == 200
    text = page.text
    # The tip and the candidate case, side by side, with what each field weighed.
    assert "Lupe Orozco" in text and "Guadalupe Orozco Ibarra" in text
    scores = table(text, "candidate-" + first["case_id"])
    assert "Name" in scores and re.search(r"given \d\.\d\d, family \d\.\d\d", scores)
    assert re.search(r"[+-]\d+\.\d\d</td>", scores)
    assert "Total, with the prior" in scores
    reads = session.exec(select(AccessLogEntry).where(AccessLogEntry.actor_id == str(login.user.id))).all()
    assert {(r.subject_type, str(r.subject_id)) for r in reads} >= {
        ("tip", second["id"]),
        ("case", first["case_id"]),
    }

    url = f"/review/{review.id}/confirm"
    short = client.post(
        url, data={"csrf_token": login.csrf_token, "case_id": first["case_id"], "reason": "same"}
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    session.refresh(review)
    assert review.status == "pending"
    stranger = client.post(
        url, data={"csrf_token": login.csrf_token, "case_id": str(uuid.uuid4()), "reason": "x" * 12}
    )
    assert stranger.status_code == 422 and "one of the review&#39;s candidates" in stranger.text

    reason = "Same girl: Lupe is her nickname, same date of birth"
    done = client.post(
        url,
        data={"csrf_token": login.csrf_token, "case_id": first["case_id"], "reason": reason},
        follow_redirects=False,
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/cases/{first['case_id']}?decided=confirmed"
    )
    case_page = client.get(done.headers["location"]).text
    assert "Review confirmed" in case_page
    assert second["id"][:8] in case_page and first["id"][:8] in case_page  # the case with both tips
    assert reason in table(case_page, "match-decisions")
    [event] = events(session, "match.review_confirmed")
    assert event.actor_id == str(login.user.id) and event.detail["reason"] == reason
    again = client.post(
        url, data={"csrf_token": login.csrf_token, "case_id": first["case_id"], "reason": reason}
    )
    assert again.status_code == 422 and "already decided" in again.text
    assert "Nothing waits for review." in client.get("/review").text
    assert f'href="/review/{review.id}"' in client.get("/review?status=confirmed").text


def test_a_rejected_review_keeps_the_tip_apart_and_leaves_the_queue(
    client, session, sign_in, auth, thresholds
):
    thresholds(link=1.0, review=0.3)
    advocate = auth()
    submit(client, advocate, persons=[VICTIM], location=HOUSTON, narrative=NEUTRAL)
    second = submit(client, advocate, persons=[SAME_VICTIM], location=HOUSTON, narrative=NEUTRAL)
    review = session.exec(select(MatchReview)).one()
    login = sign_in("supervisor")
    missing = client.post(f"/review/{review.id}/reject", data={"csrf_token": login.csrf_token})
    assert missing.status_code == 422 and "Give a reason" in missing.text
    done = client.post(
        f"/review/{review.id}/reject",
        data={"csrf_token": login.csrf_token, "reason": "Different girls: the ages are years apart"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/review?decided=rejected"
    assert "Review rejected" in client.get(done.headers["location"]).text
    session.refresh(review)
    assert review.status == "rejected"
    assert session.get(Case, uuid.UUID(second["case_id"])).status == "open"
    assert events(session, "match.review_rejected")[0].actor_id == str(login.user.id)


def test_a_supervisor_merges_two_cases_from_the_case_page_by_the_other_cases_short_id(
    client, session, sign_in, auth
):
    advocate = auth()
    one = submit(client, advocate)
    other = adult_tip(client, advocate)
    login = sign_in("supervisor")
    url = f"/cases/{one['case_id']}/merge"
    reason = "The hotline called back: both reports are about the same family"
    no_reason = client.post(url, data={"csrf_token": login.csrf_token, "into_case": other["case_id"][:8]})
    assert no_reason.status_code == 422 and "at least 10 characters" in no_reason.text
    unknown = client.post(url, data={"csrf_token": login.csrf_token, "into_case": "abc", "reason": reason})
    assert unknown.status_code == 422 and "the 8 characters shown on its page" in unknown.text
    itself = client.post(
        url, data={"csrf_token": login.csrf_token, "into_case": one["case_id"], "reason": reason}
    )
    assert itself.status_code == 422 and "already one case" in itself.text
    assert session.exec(select(MatchDecision)).all() == []

    done = client.post(
        url,
        data={"csrf_token": login.csrf_token, "into_case": other["case_id"][:8], "reason": reason},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{other['case_id']}?decided=merged"
    page = client.get(done.headers["location"]).text
    assert one["id"][:8] in page and other["id"][:8] in page
    assert reason in table(page, "match-decisions")
    assert session.get(Case, uuid.UUID(one["case_id"])).merged_into_id == uuid.UUID(other["case_id"])
    assert events(session, "case.merged")[0].actor_id == str(login.user.id)
    # A merged case offers no merge or move any more.
    merged_page = client.get(f"/cases/{one['case_id']}").text
    assert "Merge this case into another" not in merged_page and "/move" not in merged_page


def test_a_tip_joined_by_mistake_moves_out_into_a_case_of_its_own(client, session, sign_in, auth):
    advocate = auth()
    first = submit(client, advocate, persons=[VICTIM], location=HOUSTON, narrative=NEUTRAL)
    second = submit(client, advocate, persons=[SAME_VICTIM], location=HOUSTON, narrative=NEUTRAL)
    assert second["case_id"] == first["case_id"]
    login = sign_in("supervisor")
    case_page = client.get(f"/cases/{first['case_id']}").text
    assert f'action="/tips/{second["id"]}/move"' in case_page
    refused = client.post(f"/tips/{second['id']}/move", data={"csrf_token": login.csrf_token, "reason": "no"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.text
    done = client.post(
        f"/tips/{second['id']}/move",
        data={"csrf_token": login.csrf_token, "reason": "Another Lupe: the caller named a different school"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    new_case = re.match(r"^/cases/([0-9a-f-]{36})\?decided=moved$", done.headers["location"]).group(1)
    assert new_case != first["case_id"]
    page = client.get(done.headers["location"]).text
    assert "moved out of its case" in page and second["id"][:8] in page and first["id"][:8] not in page
    only = client.post(f"/tips/{first['id']}/move", data={"csrf_token": login.csrf_token, "reason": "x" * 20})
    assert only.status_code == 422 and "only tip" in only.text


# Rules


def test_the_rules_pages_show_the_active_version_its_history_and_any_version(client, session, sign_in, auth):
    assert SHORTER_ADULT_SLA != DEFAULT and ADULTS_TO_NATIONAL != DEFAULT
    sign_in("supervisor")
    assert "No ruleset is published yet" in client.get("/rules").text
    submit(client, auth())  # the first routed tip publishes the shipped default
    decision_service.publish_ruleset(
        session=session,
        text=SHORTER_ADULT_SLA,
        source="shorter.yaml",
        author="dana",
        actor=system_actor("tests"),
        comment="adults get services within 12 hours",
    )
    session.commit()
    page = client.get("/rules").text
    history = table(page, "ruleset-history")
    assert history.index("v2") < history.index("v1") and "(active)" in history
    assert "dana" in history and "adults get services within 12 hours" in history
    for version in session.exec(select(Ruleset)).all():
        assert version.content_hash[:12] in history
    version_page = client.get("/rules/2").text
    assert "Changes from version 1" in version_page
    diff = version_page[version_page.index('id="version-diff"') :]
    assert (
        '<span class="diff-removed">-    then: {route: [otip], priority: high, sla_minutes: 1440}' in diff
        or ("sla_minutes: 720" in diff)
    )
    assert '<span class="diff-added">+' in diff and "720" in diff
    assert '<span class="line-number" aria-hidden="true">   1</span>' in version_page
    first = client.get("/rules/1").text
    assert "Changes from version" not in first and "ruleset: default" in first


def test_checking_a_candidate_shows_problems_by_file_line_and_rule_or_the_simulated_moves(
    client, session, sign_in, auth
):
    advocate = auth()
    submit(client, advocate)
    adult_tip(client, advocate)
    login = sign_in("supervisor")
    form = client.get("/rules/candidate").text
    assert "hit_policy: collect" in form  # the active version, ready to edit

    broken = DEFAULT.replace("when: {minor_status: adult}", "when: {minor_stauts: adult}")
    checked = client.post("/rules/check", data={"csrf_token": login.csrf_token, "content": broken}).text
    problems = table(checked, "problems")
    assert (
        "candidate.yaml" in problems
        and "<code>adult-services</code>" in problems
        and "minor_stauts" in problems
    )
    line = int(re.search(r"<td>candidate\.yaml</td><td>(\d+)</td>", problems).group(1))
    assert "minor_stauts" in broken.splitlines()[line - 1]
    assert "cannot be used" in checked and 'id="simulation-summary"' not in checked

    before = (len(session.exec(select(RoutingDecision)).all()), len(session.exec(select(Ruleset)).all()))
    simulated = client.post(
        "/rules/check",
        files={"upload": ("adults.yaml", ADULTS_TO_NATIONAL.encode(), "application/x-yaml")},
        data={"csrf_token": login.csrf_token, "content": "", "since_days": "7"},
    )
    assert simulated.status_code == 200, simulated.text[:500]
    text = simulated.text
    assert re.search(r"<strong>1</strong> of 2 tips routed since", text)
    moves = table(text, "simulation-moves")
    assert "<td>services-tx</td><td>→ national</td><td>1</td>" in moves
    assert "adults.yaml" in table(text, "problems")  # its own tests expect services: it cannot be published
    diff = text[text.index('id="candidate-diff"') :]
    assert "+    then: {route: [national]" in diff and "-    then: {route: [{state_agency: services}]" in diff
    after = (len(session.exec(select(RoutingDecision)).all()), len(session.exec(select(Ruleset)).all()))
    assert after == before  # checking writes nothing

    empty = client.post("/rules/check", data={"csrf_token": login.csrf_token, "content": "  "})
    assert empty.status_code == 422 and "Paste a ruleset or choose a file." in empty.text
    not_text = client.post(
        "/rules/check",
        files={"upload": ("x.yaml", b"\xff\xfe\x00", "application/octet-stream")},
        data={"csrf_token": login.csrf_token},
    )
    assert not_text.status_code == 422 and "not UTF-8" in not_text.text


def test_publishing_needs_a_comment_and_a_candidate_that_passes_its_tests(client, session, sign_in, auth):
    submit(client, auth())
    login = sign_in("supervisor")
    comment = "Adults' services referrals within 12 hours, as agreed with the coalition"
    no_comment = client.post(
        "/rules/publish", data={"csrf_token": login.csrf_token, "content": SHORTER_ADULT_SLA}
    )
    assert no_comment.status_code == 422 and "Publishing: Give a reason" in no_comment.text
    failing = client.post(
        "/rules/publish",
        data={"csrf_token": login.csrf_token, "content": ADULTS_TO_NATIONAL, "comment": comment},
    )
    assert failing.status_code == 422 and "Not published" in failing.text and 'id="problems"' in failing.text
    assert [r.version for r in session.exec(select(Ruleset)).all()] == [1]

    done = client.post(
        "/rules/publish",
        data={"csrf_token": login.csrf_token, "content": SHORTER_ADULT_SLA, "comment": comment},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/rules/2?published=1"
    page = client.get(done.headers["location"]).text
    assert "Published: version 2 is now active" in page and login.user.username in page
    stored = session.exec(select(Ruleset).where(Ruleset.version == 2)).one()
    assert stored.comment == comment and stored.author == login.user.username
    [event] = [e for e in events(session, "ruleset.published") if e.detail["version"] == 2]
    assert event.actor_id == str(login.user.id)


# Reports and the decision export


def test_reports_chart_decisions_by_state_and_agency_overrides_by_rule_and_time_to_routing(
    client, session, sign_in, auth
):
    advocate = auth()
    texas = submit(client, advocate)
    adult_tip(client, advocate, location={"state": "OH"})
    login = sign_in("supervisor")
    client.post(
        f"/decisions/{decision_of(texas)}/override",
        data={
            "csrf_token": login.csrf_token,
            "targets-0-existing": "1", "targets-0-agency_id": "cps-tx", "targets-0-keep": "1",
            "targets-0-priority": "emergency", "targets-0-sla_minutes": "15",
            "targets-1-existing": "1", "targets-1-agency_id": "le-tx", "targets-1-keep": "1",
            "targets-1-priority": "high", "targets-1-sla_minutes": "60",
            "reason": "The caller said the girl is being moved tonight",
        },
    )  # fmt: skip
    page = client.get("/reports").text  # the last 30 days, today included
    assert 'id="figure-decisions">2</span>' in page and 'id="figure-overridden">1</span>' in page
    states = table(page, "decisions-by-state")
    assert '<th scope="row">TX</th><td>1</td>' in states and '<th scope="row">OH</th><td>1</td>' in states
    agencies = table(page, "decisions-by-agency")
    assert ">cps-tx</a></th><td>1</td>" in agencies and ">services-oh</a></th><td>1</td>" in agencies
    # Only cps-tx changed (its priority); le-tx was kept as it was.
    assert table(page, "overrides-by-rule").count("<tr>") == 2  # the header and minor-cps
    assert '<th scope="row">minor-cps</th><td>1</td>' in table(page, "overrides-by-rule")
    assert "Time from intake to routing, per day" in page and "intake to routing, p90" in page


def test_overridden_rules_name_what_a_supervisor_removed_changed_or_added():
    previous = [
        {"agency_id": "cps-tx", "rule_id": "minor-cps", "priority": "high", "sla_minutes": 60},
        {"agency_id": "le-tx", "rule_id": "minor-sex-trafficking-le", "priority": "high", "sla_minutes": 60},
        {
            "agency_id": "otip",
            "rule_id": "foreign-national-minor-otip",
            "priority": "high",
            "sla_minutes": 1440,
        },
    ]
    targets = [
        {"agency_id": "cps-tx", "rule_id": "minor-cps", "priority": "high", "sla_minutes": 60},
        {
            "agency_id": "otip",
            "rule_id": "foreign-national-minor-otip",
            "priority": "high",
            "sla_minutes": 240,
        },
        {"agency_id": "national", "rule_id": "override", "priority": "normal", "sla_minutes": None},
    ]
    assert report_service.overridden_rules(previous, targets) == {
        "minor-sex-trafficking-le",
        "foreign-national-minor-otip",
        report_service.ADDED_BY_SUPERVISOR,
    }


def test_the_decision_export_is_audited_and_carries_no_personal_data(client, session, sign_in, auth):
    advocate = auth()
    texas = submit(client, advocate)
    adult_tip(client, advocate, location={"state": "OH"})
    login = sign_in("supervisor")
    today = utcnow().date()
    listing = client.get(f"/decisions?decided_from={today}&decided_to={today}").text
    assert 'name="what" value="decisions"' in listing
    first, last = today - timedelta(days=1), today + timedelta(days=1)
    export = client.post(
        "/reports/export",
        data={"csrf_token": login.csrf_token, "what": "decisions", "first": first, "last": last},
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert f'filename="decisions-{first}-{last}.csv"' in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [row["state"] for row in rows] == ["TX", "OH"]
    assert rows[0]["decision_id"] == decision_of(texas) and rows[0]["current_targets"] == "cps-tx;le-tx"
    assert rows[0]["minor_status"] == "confirmed" and "minor-cps" in rows[0]["rules_matched"]
    assert float(rows[0]["seconds_to_route"]) >= 0 and rows[1]["overridden"] == "false"
    for personal in ("Brianna", "Keisha", "713-555", "motel", "passport", "Harris", "county", "min_age"):
        assert personal not in export.text
    [event] = events(session, "report.exported")
    assert event.subject_id == "decisions" and event.detail["rows"] == 2
    assert event.actor_id == str(login.user.id)
    backwards = client.post(
        "/reports/export",
        data={"csrf_token": login.csrf_token, "what": "decisions", "first": last, "last": first},
    )
    assert backwards.status_code == 422
    names = client.post(
        "/reports/export",
        data={"csrf_token": login.csrf_token, "what": "names", "first": first, "last": last},
    )
    assert names.status_code == 422 and len(events(session, "report.exported")) == 1


def test_exports_read_in_batches_without_skipping_or_repeating(client, session, auth):
    advocate = auth()
    tips = [submit(client, advocate) for _ in range(3)]
    today = utcnow().date()
    period = report_service.Period(today - timedelta(days=1), today + timedelta(days=1), "UTC")
    decisions = [
        row["decision_id"]
        for row in report_service.export_decisions(session=session, period=period, batch_size=1)
    ]
    assert sorted(decisions) == sorted(decision_of(tip) for tip in tips) and len(set(decisions)) == 3
    # The factory's tips were received on 2026-11-20.
    received = report_service.Period(date(2026, 11, 19), date(2026, 11, 21), "UTC")
    rows = list(report_service.export_tips(session=session, period=received, batch_size=2))
    assert sorted(row["tip_id"] for row in rows) == sorted(tip["id"] for tip in tips)
