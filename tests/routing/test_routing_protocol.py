"""The shipped default rules encode the hotline protocol (issue item 5), clause by clause; the shipped
directory covers every jurisdiction; jurisdiction resolution follows its order of trust."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pytest

from hotline.core import geo
from hotline.core.logs import mask_text
from hotline.decisions import service as decision_service
from routing import jurisdiction as routing_jurisdiction
from routing.directory import parse_directory, shipped_directory
from routing.engine import check_ruleset
from routing.facts import RoutingFacts
from routing.source import SourceError

DIRECTORY = shipped_directory()
ENGINE, PROBLEMS = check_ruleset(
    decision_service.shipped_default_ruleset(), file="default.yaml", agencies=DIRECTORY.kinds()
)


def route(**facts):
    evaluation = ENGINE.evaluate(RoutingFacts(**facts))
    return {target.agency_id: target for target in evaluation.targets}, evaluation


def test_the_default_rules_validate_and_pass_their_own_tests():
    assert ENGINE is not None and PROBLEMS == []
    assert ENGINE.hit_policy == "collect" and len(ENGINE.source.tests) >= 15


@pytest.mark.parametrize("state", ["TX", "CA", "DC", "PR", "GU"])
@pytest.mark.parametrize("status", ["confirmed", "likely"])
def test_a_minor_goes_to_the_states_cps_intake(state, status):
    targets, _ = route(state=state, minor_status=status, trafficking_type="labor")
    assert set(targets) == {f"cps-{state.lower()}"}
    assert targets[f"cps-{state.lower()}"].priority == "high"


@pytest.mark.parametrize("kind", ["sex", "both"])
def test_sex_trafficking_of_a_minor_also_goes_to_law_enforcement(kind):
    targets, _ = route(state="TX", minor_status="confirmed", trafficking_type=kind, consent_to_report=False)
    assert set(targets) == {"cps-tx", "le-tx"}


@pytest.mark.parametrize("kind", ["labor", "unknown"])
def test_a_minor_in_labor_or_unknown_trafficking_is_not_sent_to_law_enforcement_by_default(kind):
    targets, _ = route(state="TX", minor_status="confirmed", trafficking_type=kind)
    assert "le-tx" not in targets


@pytest.mark.parametrize("kind", ["sex", "labor", "both", "unknown"])
@pytest.mark.parametrize("consent", [False, None])
@pytest.mark.parametrize("status", ["adult", "unknown"])
def test_no_law_enforcement_without_consent_unless_danger(kind, consent, status):
    targets, evaluation = route(
        state="WA",
        minor_status=status,
        trafficking_type=kind,
        consent_to_report=consent,
        immediate_danger=False,
    )
    assert set(targets) == {"services-wa"}
    assert not any(target.kind == "law_enforcement" for target in evaluation.targets)


def test_an_adult_who_consents_is_reported_to_law_enforcement():
    targets, _ = route(state="WA", minor_status="adult", trafficking_type="labor", consent_to_report=True)
    assert set(targets) == {"services-wa", "le-wa"}


@pytest.mark.parametrize("status", ["adult", "unknown", "confirmed"])
def test_immediate_danger_goes_to_law_enforcement_at_emergency_priority_within_15_minutes(status):
    targets, _ = route(state="NJ", minor_status=status, immediate_danger=True, consent_to_report=False)
    assert targets["le-nj"].priority == "emergency" and targets["le-nj"].sla_minutes == 15
    _, evaluation = route(state="NJ", minor_status=status, immediate_danger=True, consent_to_report=False)
    assert evaluation.targets[0].priority == "emergency"  # the most urgent come first


def test_a_foreign_national_minor_goes_to_otip_as_well_as_cps():
    targets, _ = route(state="AZ", minor_status="confirmed", trafficking_type="labor", foreign_national=True)
    assert set(targets) == {"cps-az", "otip"}
    adult, _ = route(state="AZ", minor_status="adult", trafficking_type="labor", foreign_national=True)
    assert "otip" not in adult


@pytest.mark.parametrize("status", ["confirmed", "adult", "unknown"])
def test_unknown_jurisdiction_goes_to_the_national_queue(status):
    targets, evaluation = route(state=None, minor_status=status, trafficking_type="sex")
    assert set(targets) == {"national"} and evaluation.review_required


def test_no_facts_route_nowhere():
    for status in ("confirmed", "likely", "unknown", "adult"):
        for state in (None, "TX"):
            targets, _ = route(state=state, minor_status=status)
            assert targets


# Directory


def test_the_directory_has_cps_le_and_services_for_every_jurisdiction_and_the_national_entries():
    ids = {entry.id for entry in DIRECTORY.entries}
    for code in geo.US_JURISDICTION_CODES:
        assert {f"cps-{code.lower()}", f"le-{code.lower()}", f"services-{code.lower()}"} <= ids
    assert {"otip", "national"} <= ids
    kinds = DIRECTORY.kinds()
    assert kinds["cps-tx"] == "cps" and kinds["le-tx"] == "law_enforcement" and kinds["otip"] == "federal"


def test_directory_entries_name_real_agencies_and_invent_no_contact_details():
    entries = {entry.id: entry for entry in DIRECTORY.entries}
    assert entries["cps-tx"].name.startswith("Texas Department of Family and Protective Services")
    assert "Office on Trafficking in Persons" in entries["otip"].name
    shipped = resources.files("routing").joinpath("agencies/directory.yaml").read_text(encoding="utf-8")
    assert mask_text(shipped) == shipped, "a phone number or email in the shipped directory"
    for entry in DIRECTORY.entries:
        assert entry.allowed_fields and entry.channels
    # Services referrals carry nothing that identifies the victim or the caller.
    assert not {"persons.name", "persons.phone", "narrative", "reporter.name"} & set(
        entries["services-tx"].allowed_fields
    )


def test_a_broken_directory_file_names_its_lines():
    with pytest.raises(SourceError) as caught:
        parse_directory(
            'version: "1"\nfield_sets: {s: [narrative, shoe_size]}\n'
            "national:\n  - {id: x, name: X, kind: spy, jurisdiction: US, channels: [{type: fax}],"
            " fields: s}\n"
            "states: {TX: {cps: Texas CPS}}\n",
            file="d.yaml",
        )
    text = "\n".join(str(problem) for problem in caught.value.problems)
    assert "d.yaml:2: field set 's': 'shoe_size' is not a tip field" in text
    assert "d.yaml:4: rule 'x': kind is one of" in text
    assert "channels is a list of" in text
    assert "TX needs a le entry" in text and "no entries for CA" in text


# Jurisdiction


@dataclass
class Place:
    location_state: str | None = None
    location_county: str | None = None
    location_city: str | None = None
    location_zip: str | None = None
    location_country: str = "US"
    reporter_phone: str | None = None


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        (
            Place(location_state="TX", location_zip="10001", reporter_phone="212-555-0100"),
            ("TX", None, "state"),
        ),
        (Place(location_state="NJ", location_zip="07728"), ("NJ", "Monmouth", "state")),
        (Place(location_state="AZ", location_city="Yuma"), ("AZ", "Yuma", "state")),
        (Place(location_zip="77002", reporter_phone="212-555-0100"), ("TX", "Harris", "zip")),
        (Place(location_zip="00901"), ("PR", "San Juan", "zip")),
        (Place(location_city="Tallahassee", reporter_phone="212-555-0100"), ("FL", "Leon", "city")),
        (Place(location_city="Freehold", reporter_phone="732-555-0100"), ("NJ", "Monmouth", "city")),
        (Place(location_city="Freehold", reporter_phone="907-555-0100"), ("AK", None, "area_code")),
        (Place(location_city="Springfield", reporter_phone="+1 559 555 0117"), ("CA", None, "area_code")),
        (Place(reporter_phone="(787) 555-0100"), ("PR", None, "area_code")),
        (Place(reporter_phone="202-555-0100"), ("DC", None, "area_code")),
        (Place(reporter_phone="+44 20 7946 0000"), (None, None, "unknown")),
        (Place(reporter_phone="416-555-0100"), (None, None, "unknown")),  # Canada shares +1
        (Place(location_country="MX", reporter_phone="713-555-0100"), (None, None, "unknown")),
        (Place(location_country="PR"), ("PR", None, "state")),
        (Place(), (None, None, "unknown")),
    ],
)
def test_jurisdiction_follows_its_order_of_trust(place, expected):
    found = routing_jurisdiction.resolve_jurisdiction(place)
    assert (found.state, found.county, found.source) == expected
