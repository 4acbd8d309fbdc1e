"""Ruleset files: validation (file, line, rule), condition semantics, hit policies, trace, and the index
agreeing with a naive evaluation."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.directory import shipped_directory
from routing.engine import check_ruleset, compile_ruleset
from routing.facts import FACT_SPECS, RoutingFacts
from routing.source import SourceError

AGENCIES = shipped_directory().kinds()


def ruleset(rules: str, *, hit_policy: str = "collect", tests: str = "") -> str:
    text = f"ruleset: t\nhit_policy: {hit_policy}\nrules:\n{textwrap.indent(textwrap.dedent(rules), '  ')}"
    text += "  - id: fallback\n    description: nothing else\n    fallback: true\n"
    text += "    then: {route: [national], review: true}\n"
    if tests:
        text += "tests:\n" + textwrap.indent(textwrap.dedent(tests), "  ")
    return text


def problems_of(text: str) -> list[str]:
    with pytest.raises(SourceError) as caught:
        compile_ruleset(text, file="r.yaml", agencies=AGENCIES)
    return [str(problem) for problem in caught.value.problems]


def test_every_problem_is_named_with_file_line_and_rule():
    text = ruleset("""\
        - id: children
          description: a child
          when: {minor_stauts: confirmed}
          then: {route: [{state_agency: cps}], priority: urgent}
        - id: adults
          description: adults
          when: {trafficking_type: {in: [sex, lbor]}, min_age: {lt: ten}}
          then: {route: [services-zz]}
        """)
    found = problems_of(text)
    assert "r.yaml:6: rule 'children': unknown fact 'minor_stauts' (did you mean 'minor_status'?)" in found[0]
    assert any(p.startswith("r.yaml:7: rule 'children': priority is one of") for p in found)
    assert any(p.startswith("r.yaml:10: rule 'adults': trafficking_type cannot be 'lbor'") for p in found)
    assert any(p.startswith("r.yaml:10: rule 'adults': min_age is a whole number") for p in found)
    assert any(p.startswith("r.yaml:11: rule 'adults': no agency 'services-zz'") for p in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ruleset: t\nrules: []\n", "hit_policy must be stated"),
        (
            "ruleset: t\nhit_policy: first\nrules:\n  - id: a\n    description: a\n"
            "    when: {minor_involved: true}\n    then: {route: [national]}\n",
            "r.yaml:4: a ruleset needs a fallback rule",
        ),
        ("ruleset: t\nhit_policy: first\nhit_policy: collect\n", "r.yaml:3: not valid YAML: duplicate key"),
        ("ruleset: t\nhit_policy: [unclosed\n", "not valid YAML"),
        ("!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_structural_problems(text, expected):
    assert any(expected in problem for problem in problems_of(text))


def test_the_fallback_comes_last_and_only_once_and_has_no_condition():
    text = (
        "ruleset: t\nhit_policy: collect\nrules:\n"
        "  - {id: fb, description: x, fallback: true, when: {minor_involved: true},"
        " then: {route: [national]}}\n"
        "  - {id: a, description: x, when: {minor_involved: true}, then: {route: [national]}}\n"
    )
    found = problems_of(text)
    assert any("r.yaml:4: rule 'fb': the fallback rule has no condition" in p for p in found)
    assert any("r.yaml:4: rule 'fb': the fallback rule comes last" in p for p in found)


def test_duplicate_rule_ids_and_unknown_keys_are_refused():
    text = ruleset("""\
        - {id: a, description: x, when: {minor_involved: true}, then: {route: [national]}}
        - {id: a, description: y, when: {minor_involved: false}, then: {route: [national], sal_minutes: 5}}
        """)
    found = problems_of(text)
    assert any("r.yaml:5: rule 'a': duplicate rule id (first at line 4)" in p for p in found)
    assert any("unknown key 'sal_minutes' in then (did you mean 'sla_minutes'?)" in p for p in found)


def test_ordered_comparisons_need_numbers():
    text = ruleset("""\
        - {id: a, description: x, when: {trafficking_type: {lt: 3}}, then: {route: [national]}}
        - {id: b, description: x, when: {min_age: {between: [17, 12]}}, then: {route: [national]}}
        """)
    found = problems_of(text)
    assert any("rule 'a': lt compares numbers; trafficking_type is not a number" in p for p in found)
    assert any("rule 'b': between needs [low, high]" in p for p in found)


def _engine(rules: str, **kwargs: str):
    return compile_ruleset(ruleset(rules, **kwargs), file="r.yaml", agencies=AGENCIES)


def test_conditions_all_any_not_ranges_and_nulls():
    engine = _engine("""\
        - id: young
          description: under 14, or 14 to 15 in sex trafficking
          when:
            any:
              - min_age: {lt: 14}
              - all:
                  - min_age: {between: [14, 15]}
                  - trafficking_type: [sex, both]
          then: {route: [otip]}
        - id: not-labor
          description: anything but labor, in Texas or Ohio
          when: {not: {trafficking_type: labor}, state: [TX, Ohio]}
          then: {route: [cps-tx]}
        - id: spanish-county
          description: text facts compare without case
          when: {language: ES, county: {ne: harris}}
          then: {route: [services-tx]}
        """)

    def targets(**facts):
        return engine.evaluate(RoutingFacts(**facts)).agency_ids

    assert targets(min_age=13) == ["otip"]
    assert targets(min_age=15, trafficking_type="sex") == ["otip"]
    assert targets(min_age=15, trafficking_type="labor") == ["national"]
    assert targets(min_age=None, trafficking_type="labor") == ["national"]  # null satisfies no range
    assert targets(state="OH") == ["cps-tx"]
    assert targets(state="TX", trafficking_type="labor") == ["national"]
    assert targets(language="es", county="Harris") == ["national"]
    assert targets(language="es", county="Dallas") == ["services-tx"]
    assert targets(language="es", county=None) == ["services-tx"]


def test_first_hit_stops_at_the_first_match_and_collect_gathers_all():
    rules = """\
        - {id: a, description: x, when: {minor_involved: true}, then: {route: [cps-tx], priority: high}}
        - id: b
          description: x
          when: {state: TX}
          then: {route: [cps-tx, otip], priority: emergency, sla_minutes: 15}
        """
    facts = RoutingFacts(state="TX", minor_status="confirmed")
    first = _engine(rules, hit_policy="first").evaluate(facts)
    assert first.agency_ids == ["cps-tx"] and first.matched_rule_ids == ["a"]
    assert [entry.rule_id for entry in first.trace] == ["a", "fallback"]
    collect = _engine(rules).evaluate(facts)
    # cps-tx named twice: the most urgent priority and the shortest SLA win, emergency first.
    assert [(t.agency_id, t.rule_id, t.priority, t.sla_minutes) for t in collect.targets] == [
        ("cps-tx", "b", "emergency", 15),
        ("otip", "b", "emergency", 15),
    ]


def test_the_trace_says_why_each_rule_matched_or_which_condition_failed():
    engine = _engine("""\
        - id: child-sex
          description: x
          when: {minor_involved: true, trafficking_type: [sex, both]}
          then: {route: [{state_agency: le}]}
        - id: child
          description: x
          when: {minor_involved: true}
          then: {route: [{state_agency: cps}], review: true}
        """)
    evaluation = engine.evaluate(RoutingFacts(minor_status="likely", trafficking_type="labor"))
    trace = [entry.as_dict() for entry in evaluation.trace]
    assert trace == [
        {"rule_id": "child-sex", "matched": False, "why": "trafficking_type is labor, not in [sex, both]"},
        {
            "rule_id": "child",
            "matched": True,
            "why": "minor_involved is true → national (cps of the state: state unknown, so national)",
        },
        {"rule_id": "fallback", "matched": False, "why": "not needed: child routed the tip"},
    ]
    assert evaluation.review_required


def test_the_consent_gate_removes_law_enforcement_whatever_the_rules_say():
    engine = _engine("""\
        - id: everyone-to-police
          description: x
          when: {channel: [phone, web, api]}
          then: {route: [{state_agency: le}]}
        """)
    gated = engine.evaluate(RoutingFacts(state="TX", minor_status="adult", consent_to_report=False))
    assert gated.agency_ids == ["national"] and gated.review_required
    assert [entry.rule_id for entry in gated.trace] == ["everyone-to-police", "consent-gate", "fallback"]
    assert "removed le-tx" in gated.trace[1].why
    assert "consent gate removed them" in gated.trace[2].why
    # Consent, immediate danger, or a minor open the gate.
    assert engine.evaluate(
        RoutingFacts(state="TX", minor_status="adult", consent_to_report=True)
    ).agency_ids == ["le-tx"]
    assert engine.evaluate(
        RoutingFacts(state="TX", minor_status="adult", immediate_danger=True)
    ).agency_ids == ["le-tx"]
    assert engine.evaluate(RoutingFacts(state="TX", minor_status="likely")).agency_ids == ["le-tx"]


def test_a_ruleset_whose_own_tests_fail_is_reported_with_the_tests_line():
    text = ruleset(
        "- {id: a, description: x, when: {minor_involved: true}, then: {route: [{state_agency: cps}]}}\n",
        tests="""\
        - name: child in Texas
          facts: {state: TX, minor_status: confirmed}
          expect: {targets: [cps-tx]}
        - name: wrong on purpose
          facts: {state: TX, minor_status: confirmed}
          expect: {targets: [le-tx], review: true}
        """,
    )
    engine, problems = check_ruleset(text, file="r.yaml", agencies=AGENCIES)
    assert engine is not None
    assert [str(problem) for problem in problems] == [
        "r.yaml:13: test 'wrong on purpose' failed: targets ['cps-tx'], expected ['le-tx']; review is false"
    ]


def test_test_facts_are_checked_like_the_facts_model():
    text = ruleset(
        "- {id: a, description: x, when: {minor_involved: true}, then: {route: [national]}}\n",
        tests="- name: bad\n  facts: {minor_status: adult, minor_involved: true, colour: red}\n"
        "  expect: {targets: [national]}\n",
    )
    found = problems_of(text)
    assert any("test 'bad'" in p and "minor_involved must be false" in p for p in found)


# The index against a naive evaluation

_VALUES = {
    name: [
        value
        for value in (spec.domain() or ("en", "es", "Harris", None))
        if value is not None or spec.nullable
    ][:60]
    for name, spec in FACT_SPECS.items()
}


def _leaf(draw: st.DrawFn) -> dict:
    name = draw(st.sampled_from(sorted(FACT_SPECS)))
    spec = FACT_SPECS[name]
    values = _VALUES[name]
    if name in ("language", "county"):
        values = [value for value in values if value is not None or spec.nullable]
    if spec.kind == "int" and draw(st.booleans()):
        low = draw(st.integers(0, 20))
        return {name: {"between": [low, low + draw(st.integers(0, 5))]}}
    if draw(st.booleans()):
        return {name: {"in": draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))}}
    return {name: {draw(st.sampled_from(["eq", "ne"])): draw(st.sampled_from(values))}}


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> dict:
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw)
    kind = draw(st.sampled_from(["all", "any", "not"]))
    if kind == "not":
        return {"not": draw(conditions(depth + 1))}
    return {kind: draw(st.lists(conditions(depth + 1), min_size=1, max_size=3))}


@st.composite
def facts_values(draw: st.DrawFn) -> RoutingFacts:
    values = {
        name: draw(st.sampled_from(_VALUES[name]))
        for name in FACT_SPECS
        if name not in ("minor_involved", "follow_up")
    }
    return RoutingFacts(**values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(conditions(), min_size=1, max_size=12),
    facts=st.lists(facts_values(), min_size=1, max_size=5),
    hit_policy=st.sampled_from(["first", "collect"]),
)
def test_the_index_matches_exactly_what_trying_each_rule_in_turn_matches(rules, facts, hit_policy):
    import json

    text = f"ruleset: random\nhit_policy: {hit_policy}\nrules:\n"
    for index, condition in enumerate(rules):
        text += f"  - id: r{index}\n    description: random\n    when: {json.dumps(condition)}\n"
        text += "    then: {route: [national]}\n"
    text += "  - {id: fallback, description: f, fallback: true, then: {route: [national]}}\n"
    engine = compile_ruleset(text, file="random.yaml", agencies=AGENCIES)
    for one in facts:
        values = one.as_mapping()
        naive = [rule.id for rule in engine.rules if rule.condition.test(values)]
        if hit_policy == "first":
            naive = naive[:1]
        evaluation = engine.evaluate(one)
        assert [rid for rid in evaluation.matched_rule_ids if rid != "fallback"] == naive
        # The trace covers each rule evaluated: all of them, or (first hit) up to the one that matched.
        evaluated = engine.rules[: int(naive[0][1:]) + 1] if hit_policy == "first" and naive else engine.rules
        rule_entries = [
            entry for entry in evaluation.trace if entry.rule_id not in ("fallback", "consent-gate")
        ]
        assert [entry.rule_id for entry in rule_entries] == [rule.id for rule in evaluated]
        assert [entry.rule_id for entry in rule_entries if entry.matched] == naive
        for entry in rule_entries:
            rule = engine.rules[int(entry.rule_id[1:])]
            if not entry.matched:  # the failing part the trace names really fails
                failing = [part for part in rule.conjuncts if not part.test(values)]
                assert entry.why == failing[0].why(values, False)
