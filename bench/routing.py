"""Routing decisions per second on one core: the shipped default rules, and a generated 300-rule decision
table, through our engine and through GoRules' zen-engine (Rust) in the same run.

    .venv/bin/python bench/routing.py [--seconds 2] [--rules 300] [--seed 7]

Each figure is the best of three timed passes over the same pre-built facts (no database, no I/O): what one
`route_tip` spends evaluating. "targets" is an evaluation (targets, priority, SLA, review); "targets + trace"
also renders the trace of every rule, which is what a stored decision holds. zen-engine evaluates the same
table (one row per rule, hit policy collect) from Python through its binding, without a trace; both engines
are checked to match the same rules on every sampled fact before anything is timed. Target: >= 20,000
decisions/s for 300 rules.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.core import geo
from hotline.decisions import service as decision_service
from routing.directory import shipped_directory
from routing.engine import Engine, compile_ruleset
from routing.facts import RoutingFacts

STATES = sorted(geo.US_JURISDICTION_CODES)
ENUMS: dict[str, list[Any]] = {
    "minor_status": ["confirmed", "likely", "unknown", "adult"],
    "trafficking_type": ["sex", "labor", "both", "unknown"],
    "urgency": ["emergency", "high", "normal"],
    "channel": ["phone", "sms", "web", "email", "api", "import"],
    "case_action": ["new", "linked", "review"],
}
BOOLS = ["immediate_danger", "consent_to_report", "foreign_national"]


def generated_table(count: int, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """A ruleset YAML of `count` rules (conjunctions of 2-4 single-fact tests) and the same rows as data."""
    rows: list[dict[str, Any]] = []
    lines = ["ruleset: generated", "hit_policy: collect", "rules:"]
    for index in range(count):
        tests: dict[str, Any] = {"state": rng.sample(STATES, rng.randint(1, 6))}
        for fact in rng.sample([*ENUMS, *BOOLS, "min_age"], rng.randint(1, 3)):
            if fact in ENUMS:
                tests[fact] = rng.sample(ENUMS[fact], rng.randint(1, len(ENUMS[fact]) - 1))
            elif fact in BOOLS:
                tests[fact] = rng.choice([True, False])
            else:
                low = rng.randint(0, 17)
                tests[fact] = [low, low + rng.randint(0, 6)]
        when = {
            fact: (
                {"between": value}
                if fact == "min_age"
                else ({"in": value} if isinstance(value, list) else value)
            )
            for fact, value in tests.items()
        }
        target = rng.choice(["{state_agency: cps}", "{state_agency: services}", "otip", "national"])
        lines += [
            f"  - id: r{index:03d}",
            "    description: generated",
            f"    when: {json.dumps(when)}",
            f"    then: {{route: [{target}], priority: {rng.choice(['emergency', 'high', 'normal'])}}}",
        ]
        rows.append({"id": f"r{index:03d}", "tests": tests})
    lines += ["  - {id: fallback, description: f, fallback: true, then: {route: [national]}}"]
    return "\n".join(lines) + "\n", rows


def zen_decision(rows: list[dict[str, Any]]) -> Any:
    """The same rows as a GoRules JDM decision table (collect), evaluated by zen-engine."""
    import zen

    facts = ["state", *ENUMS, *BOOLS, "min_age"]
    inputs = [{"id": f"in_{fact}", "name": fact, "field": fact} for fact in facts]

    def cell(fact: str, value: Any) -> str:
        if fact == "min_age":
            return f"[{value[0]}..{value[1]}]"
        if isinstance(value, bool):
            return "true" if value else "false"
        return ", ".join(json.dumps(item) for item in value)

    table_rows = []
    for row in rows:
        table_row = {"_id": row["id"], "out_rule": json.dumps(row["id"])}
        for fact in facts:
            table_row[f"in_{fact}"] = cell(fact, row["tests"][fact]) if fact in row["tests"] else ""
        table_rows.append(table_row)
    content = {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": "routing",
                "position": {"x": 200, "y": 0},
                "content": {
                    "hitPolicy": "collect",
                    "inputs": inputs,
                    "outputs": [{"id": "out_rule", "name": "rule", "field": "rule_id"}],
                    "rules": table_rows,
                },
            },
            {"id": "response", "type": "outputNode", "name": "response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "response", "type": "edge"},
        ],
    }
    return zen.ZenEngine().create_decision(json.dumps(content))


def random_facts(rng: random.Random, count: int) -> list[RoutingFacts]:
    facts = []
    for _ in range(count):
        status = rng.choice(ENUMS["minor_status"])
        facts.append(
            RoutingFacts(
                state=rng.choice(STATES) if rng.random() > 0.05 else None,
                jurisdiction_source="state",
                minor_status=status,
                min_age=rng.randint(8, 17) if status == "confirmed" else None,
                trafficking_type=rng.choice(ENUMS["trafficking_type"]),
                urgency=rng.choice(ENUMS["urgency"]),
                immediate_danger=rng.choice([True, False, None]),
                consent_to_report=rng.choice([True, False, None]),
                foreign_national=rng.random() < 0.2,
                channel=rng.choice(ENUMS["channel"]),
                language=rng.choice(["en", "es", "en", "vi"]),
                case_action=rng.choice(ENUMS["case_action"]),
            )
        )
    return facts


def rate(work: Callable[[], int], seconds: float) -> float:
    """Best decisions per second over three passes of about `seconds` / 3 each."""
    best = 0.0
    for _ in range(3):
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / 3:
            done += work()
        best = max(best, done / elapsed)
    return best


def ours(engine: Engine, facts: list[dict[str, Any]], trace: bool) -> Callable[[], int]:
    def work() -> int:
        for values in facts:
            evaluation = engine.evaluate(values)
            if trace:
                _ = evaluation.trace
        return len(facts)

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--rules", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rng = random.Random(args.seed)
    agencies = shipped_directory().kinds()
    facts = random_facts(rng, 2000)
    mappings = [one.as_mapping() for one in facts]

    default = compile_ruleset(
        decision_service.shipped_default_ruleset(), file="default.yaml", agencies=agencies
    )
    text, rows = generated_table(args.rules, rng)
    generated = compile_ruleset(text, file="generated.yaml", agencies=agencies)
    decision = zen_decision(rows)

    # Same table, same answers: every sampled fact matches the same rules in both engines.
    for values in mappings:
        zen_rules = sorted(item["rule_id"] for item in decision.evaluate(values)["result"])
        our_rules = sorted(rule for rule in generated.evaluate(values).matched_rule_ids if rule != "fallback")
        if zen_rules != our_rules:
            raise SystemExit(f"engines disagree on {values}: zen {zen_rules}, ours {our_rules}")

    def zen_work() -> int:
        for values in mappings:
            decision.evaluate(values)
        return len(mappings)

    machine = f"python {platform.python_version()} on {platform.machine()}"
    print(f"{machine}, one core, {len(mappings)} distinct facts")
    print(f"engines agree on all {len(mappings)} facts for the {args.rules}-rule table")
    results = {
        "default rules, targets": rate(ours(default, mappings, trace=False), args.seconds),
        "default rules, targets + trace": rate(ours(default, mappings, trace=True), args.seconds),
        f"{args.rules} rules, targets": rate(ours(generated, mappings, trace=False), args.seconds),
        f"{args.rules} rules, targets + trace": rate(ours(generated, mappings, trace=True), args.seconds),
        f"{args.rules} rules, zen-engine": rate(zen_work, args.seconds),
    }
    for label, value in results.items():
        print(f"  {label:<34} {value:>12,.0f} decisions/s")
    ours_rate = results[f"{args.rules} rules, targets"]
    zen_rate = results[f"{args.rules} rules, zen-engine"]
    print(f"ratio ours / zen-engine ({args.rules} rules, targets): {ours_rate / zen_rate:.1f}x")
    target = 20_000
    verdict = "meets" if ours_rate >= target else "MISSES"
    print(f"target >= {target:,} decisions/s for {args.rules} rules: {verdict} ({ours_rate:,.0f})")


if __name__ == "__main__":
    main()
