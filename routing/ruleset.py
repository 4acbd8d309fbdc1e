"""Rulesets: the YAML format, its validation and its compilation into something the engine evaluates.

A ruleset file:

    ruleset: default                 # a name
    description: …
    hit_policy: collect              # first: the first matching rule decides; collect: every matching rule
    rules:
      - id: minor-cps
        description: A minor is involved: the state's CPS intake (mandatory report).
        when: {minor_involved: true}
        then: {route: [{state_agency: cps}], priority: high, sla_minutes: 60}
      - id: fallback
        fallback: true               # exactly one, last, no `when`: applies when nothing else routed the tip
        then: {route: [national], priority: normal, review: true}
    tests:
      - name: a child in Texas goes to Texas CPS
        facts: {state: TX, minor_status: confirmed}
        expect: {targets: [cps-tx]}

Every problem is reported with its file, line and rule, all at once, so a supervisor fixes a file in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hotline.core import geo
from routing.conditions import AllOf, AnyOf, Comparison, Condition, NotOf, conjuncts
from routing.facts import FACT_SPECS, FactSpec, RoutingFacts
from routing.source import Problem, SourceError, SourceList, SourceMap, line_at, load_yaml, plain

HIT_POLICIES = ("first", "collect")
PRIORITIES = ("emergency", "high", "normal")
PRIORITY_RANK = {"emergency": 0, "high": 1, "normal": 2}
# `{state_agency: cps}` routes to the jurisdiction's entry with this id prefix (DESIGN.md "Agency ids").
STATE_AGENCY_KINDS = {"cps": "cps", "le": "law_enforcement", "services": "victim_services"}
NATIONAL_QUEUE = "national"
MAX_SLA_MINUTES = 60 * 24 * 30
OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_TOP_KEYS = {"ruleset", "description", "hit_policy", "rules", "tests"}
_RULE_KEYS = {"id", "description", "when", "then", "fallback"}
_THEN_KEYS = {"route", "priority", "sla_minutes", "review", "next", "escalate"}
# Past its SLA without an acknowledgement, a referral alerts supervisors; `reroute` also sends the case on to
# the rule's `next` targets (the national queue when it names none).
ESCALATIONS = ("alert", "reroute")
_TEST_KEYS = {"name", "facts", "expect"}
_EXPECT_KEYS = {"targets", "includes", "excludes", "review", "priority", "sla_minutes", "rules"}


@dataclass(frozen=True)
class AgencyTarget:
    """A fixed agency: `otip`, `national`, `cps-tx`."""

    agency_id: str
    kind: str

    def describe(self) -> str:
        return self.agency_id


@dataclass(frozen=True)
class StateAgencyTarget:
    """The jurisdiction's own agency of a kind: `{state_agency: cps}` is cps-tx for a Texas tip."""

    prefix: str

    @property
    def kind(self) -> str:
        return STATE_AGENCY_KINDS[self.prefix]

    def describe(self) -> str:
        return f"{self.prefix} of the state"


TargetSpec = AgencyTarget | StateAgencyTarget


@dataclass(eq=False)
class Rule:
    index: int
    id: str
    description: str
    condition: Condition | None
    targets: tuple[TargetSpec, ...]
    priority: str
    sla_minutes: int | None
    review: bool
    fallback: bool
    line: int
    # Where a referral this rule made goes when its agency declines it (or, with escalate: reroute, lets its
    # SLA pass): the national queue when empty. Partner delivery reads them; evaluation does not.
    next_targets: tuple[TargetSpec, ...] = ()
    escalate: str = "alert"
    conjuncts: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        self.conjuncts = conjuncts(self.condition)


@dataclass(frozen=True)
class Expectation:
    targets: frozenset[str] | None = None
    includes: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    review: bool | None = None
    priority: Mapping[str, str] = field(default_factory=dict)
    sla_minutes: Mapping[str, int | None] = field(default_factory=dict)
    rules: frozenset[str] | None = None


@dataclass(frozen=True)
class RuleTest:
    name: str
    facts: RoutingFacts
    expect: Expectation
    line: int


@dataclass(eq=False)
class RulesetSource:
    """A parsed, valid ruleset file (before the engine indexes it)."""

    name: str
    description: str
    hit_policy: str
    rules: list[Rule]
    tests: list[RuleTest]
    text: str
    file: str

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Problem] = []
        self.rule: str | None = None

    def add(self, line: int | None, message: str) -> None:
        self.found.append(Problem(file=self.file, line=line, message=message, rule=self.rule))


def _suggest(word: Any, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(choice) for choice in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_keys(node: SourceMap, allowed: set[str], what: str, problems: _Problems) -> None:
    for key in node:
        if key not in allowed:
            problems.add(
                node.line_of(key),
                f"unknown key {key!r} in {what}{_suggest(key, allowed)}; allowed: "
                + ", ".join(sorted(allowed)),
            )


# Conditions


def _fact_value(spec: FactSpec, value: Any, line: int, problems: _Problems) -> tuple[bool, Any]:
    """(ok, the value normalised) for one value a rule compares a fact with."""
    if value is None:
        if spec.nullable:
            return True, None
        problems.add(line, f"{spec.name} is never null")
        return False, None
    if spec.kind == "enum":
        if value in spec.values:
            return True, value
        problems.add(
            line,
            f"{spec.name} cannot be {value!r}{_suggest(value, spec.values)}; it is one of "
            + ", ".join(spec.values),
        )
    elif spec.kind == "bool":
        if isinstance(value, bool):
            return True, value
        problems.add(line, f"{spec.name} is true or false, not {value!r}")
    elif spec.kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        problems.add(line, f"{spec.name} is a whole number, not {value!r}")
    elif spec.kind == "state":
        code = geo.usps_state_code(value) if isinstance(value, str) else None
        if code is not None:
            return True, code
        problems.add(line, f"{value!r} is not a U.S. state, DC or territory (use its USPS code)")
    elif isinstance(value, str):
        return True, value
    else:
        problems.add(line, f"{spec.name} is text, not {value!r}")
    return False, None


def _comparison(spec: FactSpec, op: str, value: Any, line: int, problems: _Problems) -> Comparison | None:
    if op not in OPERATORS:
        problems.add(
            line,
            f"unknown operator {op!r} for {spec.name}{_suggest(op, OPERATORS)}; operators: "
            + ", ".join(OPERATORS),
        )
        return None
    if op in ("lt", "le", "gt", "ge", "between") and spec.kind != "int":
        problems.add(line, f"{op} compares numbers; {spec.name} is not a number")
        return None
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            problems.add(line, f"{op} needs a non-empty list of values for {spec.name}")
            return None
        checked = [_fact_value(spec, item, line, problems) for item in value]
        if not all(ok for ok, _ in checked):
            return None
        return Comparison(
            spec.name, op, tuple(item for _, item in checked), line=line, casefold=spec.kind == "text"
        )
    if op == "between":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(bound, int) and not isinstance(bound, bool) for bound in value)
            or value[0] > value[1]
        ):
            problems.add(line, f"between needs [low, high] whole numbers with low <= high for {spec.name}")
            return None
        return Comparison(spec.name, op, (value[0], value[1]), line=line)
    if op in ("lt", "le", "gt", "ge") and value is None:
        problems.add(line, f"{op} needs a number for {spec.name}, not null")
        return None
    ok, normalised = _fact_value(spec, value, line, problems)
    return Comparison(spec.name, op, normalised, line=line, casefold=spec.kind == "text") if ok else None


def _fact_test(name: str, value: Any, line: int, problems: _Problems) -> Condition | None:
    spec = FACT_SPECS[name]
    if isinstance(value, SourceMap):
        if not value:
            problems.add(line, f"{name}: an empty comparison")
            return None
        parts = [
            _comparison(spec, str(op), operand, value.line_of(op), problems) for op, operand in value.items()
        ]
        if not all(parts):
            return None
        return parts[0] if len(parts) == 1 else AllOf(parts, line=line)  # type: ignore[arg-type]
    if isinstance(value, SourceList):
        return _comparison(spec, "in", value, line, problems)
    return _comparison(spec, "eq", value, line, problems)


def parse_condition(node: Any, line: int, problems: _Problems) -> Condition | None:
    """A condition from YAML; None (with problems recorded) when it is not valid."""
    if not isinstance(node, SourceMap) or not node:
        problems.add(line, "a condition is a mapping of facts and all/any/not, e.g. {minor_involved: true}")
        return None
    parts: list[Condition | None] = []
    for key, value in node.items():
        key_line = node.line_of(key)
        if key in ("all", "any"):
            if not isinstance(value, SourceList) or not value:
                problems.add(key_line, f"{key} needs a non-empty list of conditions")
                parts.append(None)
                continue
            children = [parse_condition(child, value.line_of(i), problems) for i, child in enumerate(value)]
            if all(children):
                group = AllOf if key == "all" else AnyOf
                parts.append(group(children, line=key_line))  # type: ignore[arg-type]
            else:
                parts.append(None)
        elif key == "not":
            child = parse_condition(value, getattr(value, "line", key_line), problems)
            parts.append(NotOf(child, line=key_line) if child else None)
        elif key in FACT_SPECS:
            parts.append(_fact_test(key, value, key_line, problems))
        else:
            problems.add(
                key_line,
                f"unknown fact {key!r}{_suggest(key, [*FACT_SPECS, 'all', 'any', 'not'])}; facts are: "
                + ", ".join(FACT_SPECS),
            )
            parts.append(None)
    if not all(parts):
        return None
    return parts[0] if len(parts) == 1 else AllOf(parts, line=node.line)  # type: ignore[arg-type]


# Rules


def _targets(
    node: Any, line: int, agencies: Mapping[str, str] | None, problems: _Problems
) -> tuple[TargetSpec, ...]:
    if not isinstance(node, SourceList) or not node:
        problems.add(line, "route needs a non-empty list of agency ids or {state_agency: cps|le|services}")
        return ()
    targets: list[TargetSpec] = []
    for index, item in enumerate(node):
        item_line = node.line_of(index)
        if isinstance(item, str):
            if agencies is not None and item not in agencies:
                problems.add(item_line, f"no agency {item!r} in the directory{_suggest(item, agencies)}")
                continue
            targets.append(AgencyTarget(item, (agencies or {}).get(item, "unknown")))
        elif isinstance(item, SourceMap) and set(item) == {"state_agency"}:
            prefix = item["state_agency"]
            if prefix not in STATE_AGENCY_KINDS:
                problems.add(
                    item_line, f"state_agency is one of {', '.join(STATE_AGENCY_KINDS)}, not {prefix!r}"
                )
                continue
            targets.append(StateAgencyTarget(prefix))
        else:
            problems.add(item_line, "a route is an agency id (otip) or {state_agency: cps|le|services}")
    if len(set(targets)) != len(targets):
        problems.add(line, "the same target is listed twice")
    return tuple(targets)


def _rule(
    node: Any, index: int, line: int, agencies: Mapping[str, str] | None, problems: _Problems
) -> Rule | None:
    problems.rule = None
    if not isinstance(node, SourceMap):
        problems.add(line, "a rule is a mapping with id, description, when and then")
        return None
    rule_id = node.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        problems.add(
            node.line_of("id"), "every rule needs an id: lower-case letters, digits, - _ . (up to 64)"
        )
        rule_id = None
    problems.rule = rule_id or f"#{index + 1}"
    _unknown_keys(node, _RULE_KEYS, "a rule", problems)
    description = node.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.add(node.line_of("description"), "every rule needs a description a supervisor can read")
    fallback = node.get("fallback", False)
    if not isinstance(fallback, bool):
        problems.add(node.line_of("fallback"), "fallback is true or false")
        fallback = False
    condition: Condition | None = None
    if fallback:
        if "when" in node:
            problems.add(
                node.line_of("when"), "the fallback rule has no condition: it applies when nothing else does"
            )
    elif "when" not in node:
        problems.add(node.line, "a rule needs a `when` condition (only the fallback rule has none)")
    else:
        when = node["when"]
        condition = parse_condition(when, getattr(when, "line", node.line_of("when")), problems)
    then = node.get("then")
    if not isinstance(then, SourceMap):
        problems.add(node.line_of("then"), "a rule needs `then:` with route, priority and sla_minutes")
        return None
    _unknown_keys(then, _THEN_KEYS, "then", problems)
    targets = _targets(then.get("route"), then.line_of("route"), agencies, problems)
    priority = then.get("priority", "normal")
    if priority not in PRIORITIES:
        problems.add(
            then.line_of("priority"), f"priority is one of {', '.join(PRIORITIES)}, not {priority!r}"
        )
    sla = then.get("sla_minutes")
    if sla is not None and (
        not isinstance(sla, int) or isinstance(sla, bool) or not 1 <= sla <= MAX_SLA_MINUTES
    ):
        problems.add(
            then.line_of("sla_minutes"), f"sla_minutes is a whole number from 1 to {MAX_SLA_MINUTES}"
        )
    review = then.get("review", False)
    if not isinstance(review, bool):
        problems.add(then.line_of("review"), "review is true or false")
    next_targets = _targets(then["next"], then.line_of("next"), agencies, problems) if "next" in then else ()
    escalate = then.get("escalate", "alert")
    if escalate not in ESCALATIONS:
        problems.add(
            then.line_of("escalate"), f"escalate is one of {', '.join(ESCALATIONS)}, not {escalate!r}"
        )
    if rule_id is None or (condition is None and not fallback) or not targets:
        return None
    return Rule(
        index=index,
        id=rule_id,
        description=str(description or "").strip(),
        condition=condition,
        targets=targets,
        priority=priority if priority in PRIORITIES else "normal",
        sla_minutes=sla if isinstance(sla, int) else None,
        review=review is True,
        fallback=fallback,
        line=node.line,
        next_targets=next_targets,
        escalate=escalate if escalate in ESCALATIONS else "alert",
    )


# Tests


def _agency_set(
    node: Any, line: int, name: str, agencies: Mapping[str, str] | None, problems: _Problems
) -> frozenset[str] | None:
    if not isinstance(node, list) or not all(isinstance(item, str) for item in node):
        problems.add(line, f"{name} is a list of agency ids")
        return None
    for item in node:
        if agencies is not None and item not in agencies:
            problems.add(line, f"{name}: no agency {item!r} in the directory{_suggest(item, agencies)}")
    return frozenset(node)


def _test(node: Any, line: int, agencies: Mapping[str, str] | None, problems: _Problems) -> RuleTest | None:
    problems.rule = None
    if not isinstance(node, SourceMap):
        problems.add(line, "a test is a mapping with name, facts and expect")
        return None
    _unknown_keys(node, _TEST_KEYS, "a test", problems)
    name = node.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(node.line, "every test needs a name")
        name = f"test at line {node.line}"
    facts_node = node.get("facts", SourceMap())
    facts: RoutingFacts | None = None
    if not isinstance(facts_node, SourceMap):
        problems.add(node.line_of("facts"), f"test {name!r}: facts is a mapping")
    else:
        try:
            facts = RoutingFacts.model_validate(plain(facts_node))
        except ValidationError as exc:
            for error in exc.errors(include_input=False):
                loc = [part for part in error["loc"] if part != "__root__"]
                where = line_at(facts_node, loc) or node.line_of("facts")
                fact = ".".join(str(part) for part in loc) or "facts"
                message = str(error["msg"]).removeprefix("Value error, ")
                problems.add(where, f"test {name!r}: {fact}: {message}")
    expect = node.get("expect")
    if not isinstance(expect, SourceMap) or not expect:
        problems.add(
            node.line_of("expect"), f"test {name!r}: expect needs targets, includes, excludes or review"
        )
        return None
    _unknown_keys(expect, _EXPECT_KEYS, "expect", problems)
    sets = {
        key: _agency_set(expect[key], expect.line_of(key), key, agencies, problems)
        for key in ("targets", "includes", "excludes")
        if key in expect
    }
    rules = expect.get("rules")
    if rules is not None and not (isinstance(rules, list) and all(isinstance(item, str) for item in rules)):
        problems.add(expect.line_of("rules"), "rules is a list of rule ids")
        rules = None
    review = expect.get("review")
    if review is not None and not isinstance(review, bool):
        problems.add(expect.line_of("review"), "review is true or false")
    priority = expect.get("priority", {})
    if not isinstance(priority, dict) or not all(value in PRIORITIES for value in priority.values()):
        problems.add(expect.line_of("priority"), "priority maps agency ids to emergency, high or normal")
        priority = {}
    sla = expect.get("sla_minutes", {})
    if not isinstance(sla, dict):
        problems.add(expect.line_of("sla_minutes"), "sla_minutes maps agency ids to minutes")
        sla = {}
    if facts is None or any(value is None for value in sets.values()):
        return None
    return RuleTest(
        name=name,
        facts=facts,
        expect=Expectation(
            targets=sets.get("targets"),
            includes=sets.get("includes") or frozenset(),
            excludes=sets.get("excludes") or frozenset(),
            review=review if isinstance(review, bool) else None,
            priority=plain(priority),
            sla_minutes=plain(sla),
            rules=frozenset(rules) if rules is not None else None,
        ),
        line=node.line,
    )


def parse_ruleset(text: str, *, file: str, agencies: Mapping[str, str] | None) -> RulesetSource:
    """Parse and validate a ruleset file. Raises SourceError naming every problem (file, line, rule).

    `agencies` maps the directory's agency ids to their kinds; ids a rule names must be among them.
    """
    document = load_yaml(text, file=file)
    problems = _Problems(file)
    if not isinstance(document, SourceMap):
        raise SourceError([Problem(file, 1, "a ruleset file is a mapping with ruleset, hit_policy, rules")])
    _unknown_keys(document, _TOP_KEYS, "the ruleset", problems)
    name = document.get("ruleset")
    if not isinstance(name, str) or not name.strip():
        problems.add(document.line_of("ruleset"), "the ruleset needs a name (ruleset: default)")
    hit_policy = document.get("hit_policy")
    if hit_policy not in HIT_POLICIES:
        problems.add(
            document.line_of("hit_policy"),
            "hit_policy must be stated: first (the first matching rule decides) or collect (every "
            "matching rule adds its targets)",
        )
    rules_node = document.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_node, SourceList) or not rules_node:
        problems.add(document.line_of("rules"), "a ruleset needs a list of rules")
    else:
        seen: dict[str, int] = {}
        for index, node in enumerate(rules_node):
            rule = _rule(node, index, rules_node.line_of(index), agencies, problems)
            rule_id = node.get("id") if isinstance(node, SourceMap) else None
            if isinstance(rule_id, str):
                if rule_id in seen:
                    problems.add(node.line, f"duplicate rule id (first at line {seen[rule_id]})")
                seen.setdefault(rule_id, node.line)
            if rule is not None:
                rules.append(rule)
        problems.rule = None
        fallbacks = [rule for rule in rules if rule.fallback]
        if not fallbacks:
            problems.add(
                rules_node.line, "a ruleset needs a fallback rule (fallback: true), so no tip routes nowhere"
            )
        elif len(fallbacks) > 1:
            problems.add(fallbacks[1].line, "only one rule can be the fallback")
        elif fallbacks[0] is not rules[-1] or (rules_node and fallbacks[0].index != len(rules_node) - 1):
            problems.rule = fallbacks[0].id
            problems.add(fallbacks[0].line, "the fallback rule comes last, where it applies")
    tests: list[RuleTest] = []
    tests_node = document.get("tests", SourceList())
    if not isinstance(tests_node, SourceList):
        problems.rule = None
        problems.add(document.line_of("tests"), "tests is a list")
    else:
        for index, node in enumerate(tests_node):
            test = _test(node, tests_node.line_of(index), agencies, problems)
            if test is not None:
                tests.append(test)
    if problems.found:
        raise SourceError(problems.found)
    return RulesetSource(
        name=str(name).strip(),
        description=str(document.get("description") or "").strip(),
        hit_policy=str(hit_policy),
        rules=rules,
        tests=tests,
        text=text,
        file=file,
    )
