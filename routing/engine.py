"""Evaluating a ruleset over facts: targets, priority, SLA, review, and a trace of every rule evaluated.

Semantics (what a supervisor reads in the README), in order:
1. Rules are tried in file order. `first`: the first rule whose condition holds decides. `collect`: every rule
   whose condition holds adds its targets.
2. `{state_agency: cps}` becomes the jurisdiction's agency (cps-tx); with no known state it becomes the
   national queue, and the trace says so.
3. Consent gate (always on, whatever the rules say): when no minor is established (minor_status adult or
   unknown), the victim has not consented to a law-enforcement report and no one is said to be in immediate
   danger, law-enforcement targets are removed. The trace names what was removed and why.
4. If no target is left, the fallback rule applies: a tip never routes nowhere.
5. Targets naming the same agency merge: the most urgent priority and the shortest SLA win. Targets are
   listed most urgent first, then in rule order.

Speed: a naive evaluation tries each rule's condition in turn. Here each rule's condition is split into the
parts that must all hold; parts that test a single fact are tabulated per value of that fact into a bit mask
of the rules they allow, so one evaluation is a few dictionary look-ups and integer ANDs, and only the rules
left standing are tested in full. The trace is built from the same condition nodes, on demand, and is always
equal to what the naive evaluation would say (tests/routing/test_routing_rules.py checks both ways).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from hotline.core import geo
from routing.conditions import Condition
from routing.facts import FACT_SPECS, MINOR_INVOLVED, RoutingFacts
from routing.ruleset import (
    NATIONAL_QUEUE,
    PRIORITY_RANK,
    AgencyTarget,
    Rule,
    RulesetSource,
    RuleTest,
    TargetSpec,
    parse_ruleset,
)
from routing.source import Problem, SourceError

# Bumped when the semantics above change; stored with each decision so a replay can tell.
ENGINE_VERSION = 1
CONSENT_GATE = "consent-gate"
LAW_ENFORCEMENT = "law_enforcement"
_TEXT_CACHE_LIMIT = 4096
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class Target:
    agency_id: str
    rule_id: str
    priority: str
    sla_minutes: int | None
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency_id": self.agency_id,
            "rule_id": self.rule_id,
            "priority": self.priority,
            "sla_minutes": self.sla_minutes,
        }


class TraceEntry(NamedTuple):
    rule_id: str
    matched: bool
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "matched": self.matched, "why": self.why}


def resolve_target(spec: TargetSpec, state: str | None) -> tuple[str, str, str | None]:
    """(agency id, kind, note for the trace) for one route of a rule."""
    if isinstance(spec, AgencyTarget):
        return spec.agency_id, spec.kind, None
    if state is not None and state in geo.US_JURISDICTION_CODES:
        return f"{spec.prefix}-{state.lower()}", spec.kind, None
    return NATIONAL_QUEUE, "national", f"{spec.describe()}: state unknown, so {NATIONAL_QUEUE}"


class Evaluation:
    """The outcome of one evaluation; the trace is rendered when first asked for."""

    __slots__ = (
        "__dict__",
        "engine",
        "evaluated",
        "facts",
        "fallback_applied",
        "gated",
        "matched",
        "notes",
        "review_required",
        "targets",
    )

    def __init__(
        self,
        *,
        engine: Engine,
        facts: Mapping[str, Any],
        matched: list[int],
        evaluated: int,
        targets: list[Target],
        gated: list[Target],
        fallback_applied: bool,
        review_required: bool,
        notes: dict[int, list[str]],
    ) -> None:
        self.engine = engine
        self.facts = facts
        self.matched = matched
        self.evaluated = evaluated
        self.targets = targets
        self.gated = gated
        self.fallback_applied = fallback_applied
        self.review_required = review_required
        self.notes = notes

    @property
    def agency_ids(self) -> list[str]:
        return [target.agency_id for target in self.targets]

    @property
    def matched_rule_ids(self) -> list[str]:
        rules = self.engine.all_rules
        return [rules[index].id for index in self.matched]

    @cached_property
    def trace(self) -> list[TraceEntry]:
        return self.engine.trace(self)


class Engine:
    """A ruleset ready to evaluate: its rules, indexed by the facts their conditions test."""

    def __init__(self, source: RulesetSource) -> None:
        self.source = source
        self.hit_policy = source.hit_policy
        self.all_rules: list[Rule] = source.rules
        self.rules = [rule for rule in source.rules if not rule.fallback]
        self.fallback = next(rule for rule in source.rules if rule.fallback)
        self._all_mask = (1 << len(self.rules)) - 1
        # For the trace: each rule's id, the fact its first part tests (when it tests one) with a table of
        # that part's trace entry by value (None: the part holds), and the rest of its parts.
        self._trace_plan = [
            (
                rule.id,
                next(iter(rule.conjuncts[0].facts)) if len(rule.conjuncts[0].facts) == 1 else None,
                {},
                tuple((part.test, part.why) for part in rule.conjuncts),
            )
            for rule in self.rules
        ]
        self._bits = [1 << position for position in range(len(self.rules))]
        self._build_index()

    # Index

    def _build_index(self) -> None:
        single: dict[str, dict[int, list[Condition]]] = {}
        self._residual: list[tuple[Condition, ...]] = []
        for position, rule in enumerate(self.rules):
            rest = []
            for part in rule.conjuncts:
                if len(part.facts) == 1:
                    (fact,) = part.facts
                    single.setdefault(fact, {}).setdefault(position, []).append(part)
                else:
                    rest.append(part)
            self._residual.append(tuple(rest))
        self._parts = single
        self._free: dict[str, int] = {}
        tables: list[tuple[str, dict[Any, int]]] = []
        for fact, by_rule in single.items():
            constrained = 0
            for position in by_rule:
                constrained |= self._bits[position]
            self._free[fact] = self._all_mask & ~constrained
            table: dict[Any, int] = {}
            domain = FACT_SPECS[fact].domain()
            for value in domain or ():
                table[value] = self._mask_for(fact, value)
            tables.append((fact, table))
        # Most selective facts first, so an evaluation that no rule survives stops early.
        tables.sort(key=lambda item: sum(m.bit_count() for m in item[1].values()) / max(len(item[1]), 1))
        self._tables = tables

    def _mask_for(self, fact: str, value: Any) -> int:
        probe = {fact: value}
        mask = self._free[fact]
        for position, parts in self._parts[fact].items():
            if all(part.test(probe) for part in parts):
                mask |= self._bits[position]
        return mask

    def _candidates(self, facts: Mapping[str, Any]) -> int:
        candidates = self._all_mask
        for fact, table in self._tables:
            value = facts[fact]
            try:
                mask = table[value]
            except KeyError:
                # An open-ended fact (county, language): tabulate this value now.
                mask = self._mask_for(fact, value)
                if len(table) < _TEXT_CACHE_LIMIT:
                    table[value] = mask
            candidates &= mask
            if not candidates:
                break
        return candidates

    # Evaluation

    def evaluate(self, facts: RoutingFacts | Mapping[str, Any]) -> Evaluation:
        values = facts.as_mapping() if isinstance(facts, RoutingFacts) else facts
        candidates = self._candidates(values)
        matched: list[int] = []
        first = self.hit_policy == "first"
        rules, residual = self.rules, self._residual
        while candidates:
            lowest = candidates & -candidates
            position = lowest.bit_length() - 1
            candidates ^= lowest
            if all(part.test(values) for part in residual[position]):
                matched.append(position)
                if first:
                    break
        evaluated = matched[-1] + 1 if first and matched else len(rules)
        state = values["state"]
        notes: dict[int, list[str]] = {}
        targets: list[Target] = []
        review = False
        for position in matched:
            rule = rules[position]
            review = review or rule.review
            self._add_targets(rule, position, state, targets, notes)
        gated: list[Target] = []
        if targets and self._consent_gate_closed(values):
            kept = [target for target in targets if target.kind != LAW_ENFORCEMENT]
            if len(kept) != len(targets):
                gated = [target for target in targets if target.kind == LAW_ENFORCEMENT]
                targets = kept
        fallback_applied = not targets
        if fallback_applied:
            review = review or self.fallback.review
            self._add_targets(self.fallback, len(rules), state, targets, notes)
        return Evaluation(
            engine=self,
            facts=values,
            matched=[*matched, len(rules)] if fallback_applied else matched,
            evaluated=evaluated,
            targets=_merge(targets),
            gated=gated,
            fallback_applied=fallback_applied,
            review_required=review,
            notes=notes,
        )

    @staticmethod
    def _add_targets(
        rule: Rule, position: int, state: str | None, targets: list[Target], notes: dict[int, list[str]]
    ) -> None:
        for spec in rule.targets:
            agency_id, kind, note = resolve_target(spec, state)
            targets.append(Target(agency_id, rule.id, rule.priority, rule.sla_minutes, kind))
            if note:
                notes.setdefault(position, []).append(note)

    @staticmethod
    def _consent_gate_closed(facts: Mapping[str, Any]) -> bool:
        return (
            facts["minor_status"] not in MINOR_INVOLVED
            and facts["consent_to_report"] is not True
            and facts["immediate_danger"] is not True
        )

    # Trace

    def trace(self, evaluation: Evaluation) -> list[TraceEntry]:
        facts = evaluation.facts
        matched = set(evaluation.matched)
        entries: list[TraceEntry] = []
        append = entries.append
        plan = self._trace_plan
        for position in range(evaluation.evaluated):
            if position not in matched:
                rule_id, first_fact, first_entries, parts = plan[position]
                if first_fact is not None:
                    # Most rules fail on their first part; its entry depends on one fact's value only.
                    value = facts[first_fact]
                    entry = first_entries.get(value, _UNSEEN)
                    if entry is _UNSEEN:
                        test, why = parts[0]
                        entry = None if test(facts) else TraceEntry(rule_id, False, why(facts, False))
                        if len(first_entries) < _TEXT_CACHE_LIMIT:
                            first_entries[value] = entry
                    if entry is not None:
                        append(entry)
                        continue
                for test, why in parts:
                    if not test(facts):
                        append(TraceEntry(rule_id, False, why(facts, False)))
                        break
                continue
            rule = self.rules[position]
            why = rule.condition.why(facts, True) if rule.condition else "always"
            routed = [resolve_target(spec, facts["state"])[0] for spec in rule.targets]
            why += " → " + ", ".join(routed)
            for note in evaluation.notes.get(position, ()):
                why += f" ({note})"
            append(TraceEntry(rule.id, True, why))
        if evaluation.gated:
            removed = ", ".join(target.agency_id for target in evaluation.gated)
            entries.append(
                TraceEntry(
                    CONSENT_GATE,
                    True,
                    f"no minor established (minor_status is {facts['minor_status']}), consent_to_report is "
                    f"{_show(facts['consent_to_report'])} and immediate_danger is "
                    f"{_show(facts['immediate_danger'])}: no law-enforcement report; removed {removed}",
                )
            )
        fallback = self.fallback
        if evaluation.fallback_applied:
            why = "no other rule routed the tip"
            if evaluation.gated:
                why = "only law-enforcement targets matched and the consent gate removed them"
            routed = [resolve_target(spec, facts["state"])[0] for spec in fallback.targets]
            why += " → " + ", ".join(routed)
            for note in evaluation.notes.get(len(self.rules), ()):
                why += f" ({note})"
            entries.append(TraceEntry(fallback.id, True, why))
        else:
            first_rule = self.rules[evaluation.matched[0]].id
            entries.append(TraceEntry(fallback.id, False, f"not needed: {first_rule} routed the tip"))
        return entries

    # The ruleset's own tests

    def run_tests(self) -> list[TestFailure]:
        return [failure for test in self.source.tests if (failure := check_test(self, test)) is not None]


def _show(value: Any) -> str:
    return "null" if value is None else str(value).lower()


def _merge(targets: list[Target]) -> list[Target]:
    """One target per agency: the most urgent priority and the shortest SLA of the rules that named it."""
    merged: dict[str, Target] = {}
    order: dict[str, int] = {}
    for target in targets:
        existing = merged.get(target.agency_id)
        if existing is None:
            merged[target.agency_id] = target
            order[target.agency_id] = len(order)
            continue
        urgent = existing if PRIORITY_RANK[existing.priority] <= PRIORITY_RANK[target.priority] else target
        slas = [sla for sla in (existing.sla_minutes, target.sla_minutes) if sla is not None]
        merged[target.agency_id] = Target(
            agency_id=target.agency_id,
            rule_id=urgent.rule_id,
            priority=urgent.priority,
            sla_minutes=min(slas) if slas else None,
            kind=existing.kind,
        )
    return sorted(merged.values(), key=lambda t: (PRIORITY_RANK[t.priority], order[t.agency_id]))


@dataclass(frozen=True)
class TestFailure:
    test: RuleTest
    problems: list[str]

    def __str__(self) -> str:
        return f"test {self.test.name!r} failed: " + "; ".join(self.problems)


def check_test(engine: Engine, test: RuleTest) -> TestFailure | None:
    evaluation = engine.evaluate(test.facts)
    got = {target.agency_id: target for target in evaluation.targets}
    expect = test.expect
    problems: list[str] = []
    if expect.targets is not None and set(got) != expect.targets:
        problems.append(f"targets {sorted(got)}, expected {sorted(expect.targets)}")
    if missing := expect.includes - set(got):
        problems.append(f"missing {sorted(missing)} (got {sorted(got)})")
    if unwanted := expect.excludes & set(got):
        problems.append(f"unexpected {sorted(unwanted)} (got {sorted(got)})")
    if expect.review is not None and evaluation.review_required != expect.review:
        problems.append(f"review is {str(evaluation.review_required).lower()}")
    for agency_id, priority in expect.priority.items():
        if agency_id not in got or got[agency_id].priority != priority:
            actual = got[agency_id].priority if agency_id in got else "not a target"
            problems.append(f"{agency_id} priority {actual}, expected {priority}")
    for agency_id, minutes in expect.sla_minutes.items():
        if agency_id not in got or got[agency_id].sla_minutes != minutes:
            actual = got[agency_id].sla_minutes if agency_id in got else "not a target"
            problems.append(f"{agency_id} SLA {actual}, expected {minutes}")
    if expect.rules is not None and set(evaluation.matched_rule_ids) != expect.rules:
        problems.append(
            f"rules {sorted(evaluation.matched_rule_ids)} matched, expected {sorted(expect.rules)}"
        )
    return TestFailure(test, problems) if problems else None


def compile_ruleset(text: str, *, file: str, agencies: Mapping[str, str] | None) -> Engine:
    """Parse, validate and index a ruleset. Raises SourceError naming every problem."""
    return Engine(parse_ruleset(text, file=file, agencies=agencies))


def check_ruleset(
    text: str, *, file: str, agencies: Mapping[str, str] | None
) -> tuple[Engine | None, list[Problem]]:
    """Validate a ruleset and run its own tests: (the engine, problems). Publishing needs no problems."""
    try:
        engine = compile_ruleset(text, file=file, agencies=agencies)
    except SourceError as exc:
        return None, exc.problems
    problems = [
        Problem(file=file, line=failure.test.line, message=str(failure)) for failure in engine.run_tests()
    ]
    return engine, problems
