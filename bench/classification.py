"""Classification benchmark: quality on the labeled evaluation set, and speed on one core.

    .venv/bin/python bench/classification.py                 # both portions, figures per portion
    .venv/bin/python bench/classification.py --split dev --errors   # what the rules get wrong (tuning)

Prints, for the development portion, the held-out portion and both together: precision and recall of
"minor involved" (confirmed or likely), the confusion matrix of minor status, exact-status and min_age
agreement, accuracy of trafficking type and urgency; then assessments per second in one process pinned to one
core. The evaluation set and how its labels were decided: bench/data/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.core.actor import system_actor
from hotline.tips import service as tip_service
from hotline.tips.models import Tip
from hotline.tips.schemas import TipIn
from hotline.triage import classify

DATA = Path(__file__).resolve().parent / "data"
FILES = {split: DATA / f"classification_{split}.jsonl" for split in ("dev", "heldout1", "heldout2")}
STATUSES = ("confirmed", "likely", "unknown", "adult")
MINOR = {"confirmed", "likely"}


@dataclass
class Example:
    id: str
    split: str
    language: str
    tags: list[str]
    label: dict
    tip: Tip


def load(splits: list[str]) -> list[Example]:
    """Each line's tip goes through the real intake contract and becomes the object the pipeline stores."""
    actor = system_actor("bench")
    examples = []
    for split in splits:
        with FILES[split].open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                tip = tip_service.build_tip(tip_in=TipIn.model_validate(row["tip"]), actor=actor)
                examples.append(
                    Example(row["id"], row["split"], row["language"], row["tags"], row["label"], tip)
                )
    return examples


def report(title: str, examples: list[Example], results: dict[str, classify.Classification]) -> None:
    if not examples:
        return
    matrix: Counter[tuple[str, str]] = Counter()
    tp = fp = fn = 0
    exact = type_ok = urgency_ok = age_ok = age_total = 0
    for example in examples:
        result = results[example.id]
        truth, got = example.label["minor"], result.minor.status
        matrix[(truth, got)] += 1
        exact += truth == got
        if truth in MINOR and got in MINOR:
            tp += 1
        elif got in MINOR:
            fp += 1
        elif truth in MINOR:
            fn += 1
        if truth == "confirmed" and got == "confirmed":
            age_total += 1
            age_ok += result.minor.min_age == example.label["min_age"]
        type_ok += result.trafficking_type == example.label["trafficking_type"]
        urgency_ok += result.urgency == example.label["urgency"]
    n = len(examples)
    positives = tp + fn
    print(f"\n== {title}: {n} tips ({positives} with a minor)")
    recall = tp / positives if positives else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(
        f"minor involved (confirmed or likely): recall {recall:.3f}  precision {precision:.3f}"
        f"  (missed {fn}, false alarms {fp})"
    )
    print(
        f"minor status exact: {exact / n:.3f}   min_age right when both say confirmed: {age_ok}/{age_total}"
    )
    print(f"trafficking type accuracy: {type_ok / n:.3f}   urgency accuracy: {urgency_ok / n:.3f}")
    width = max(len(s) for s in STATUSES) + 2
    print("confusion matrix (rows: label, columns: classifier)")
    print(" " * width + "".join(f"{s:>{width}}" for s in STATUSES))
    for truth in STATUSES:
        print(f"{truth:<{width}}" + "".join(f"{matrix[(truth, got)]:>{width}}" for got in STATUSES))


def show_errors(examples: list[Example], results: dict[str, classify.Classification]) -> None:
    for example in examples:
        result = results[example.id]
        label = example.label
        wrong = []
        if result.minor.status != label["minor"] or (
            label["minor"] == "confirmed" and result.minor.min_age != label["min_age"]
        ):
            wrong.append(
                f"minor {label['minor']}/{label['min_age']} -> {result.minor.status}/{result.minor.min_age}"
            )
        if result.trafficking_type != label["trafficking_type"]:
            wrong.append(f"type {label['trafficking_type']} -> {result.trafficking_type}")
        if result.urgency != label["urgency"]:
            wrong.append(f"urgency {label['urgency']} -> {result.urgency}")
        if not wrong:
            continue
        print(f"\n{example.id}: {'; '.join(wrong)}\n  {example.tip.narrative}")
        for item in result.minor.evidence:
            print(f"    minor: {item.text!r} — {item.reason}")
        for item in result.trafficking_type_evidence:
            print(f"    type: {item.text!r} — {item.reason}")
        for item in result.urgency_evidence:
            print(f"    urgency: {item.text!r} — {item.reason}")


def speed(examples: list[Example], seconds: float) -> tuple[float, float, int]:
    """(median, best) assessments per CPU-second over rounds, in this one process pinned to one core.

    CPU time of the process, not wall time: on a shared machine other processes take the core away at
    times, and the figure is meant to say what one core does.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    tips = [example.tip for example in examples]
    for tip in tips:  # warm up: the patterns' token cache fills on first use
        classify.classify_tip(tip)
    rates = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        started = time.process_time()
        for tip in tips:
            classify.classify_tip(tip)
        rates.append(len(tips) / max(time.process_time() - started, 1e-9))
    rates.sort()
    return rates[len(rates) // 2], rates[-1], len(rates)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=[*FILES, "all"], default="all")
    parser.add_argument("--errors", action="store_true", help="print each tip the classifier gets wrong")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure speed (0: skip)")
    args = parser.parse_args()
    splits = list(FILES) if args.split == "all" else [args.split]
    examples = load(splits)
    results = {example.id: classify.classify_tip(example.tip) for example in examples}
    files = ", ".join(str(FILES[split].relative_to(DATA.parent.parent)) for split in splits)
    print(f"classifier {classify.CLASSIFIER_VERSION}; evaluation set: {files}")
    for split in splits:
        portion = [e for e in examples if e.split == split]
        report(f"{split} portion", portion, results)
        for language in ("en", "es"):
            subset = [e for e in portion if e.language == language]
            positives = sum(e.label["minor"] in MINOR for e in subset)
            caught = sum(e.label["minor"] in MINOR and results[e.id].minor.status in MINOR for e in subset)
            alarms = sum(
                e.label["minor"] not in MINOR and results[e.id].minor.status in MINOR for e in subset
            )
            print(
                f"  {language}: {len(subset)} tips, minors caught {caught}/{positives}, false alarms {alarms}"
            )
    if len(splits) > 1:
        report("all", examples, results)
    if args.errors:
        show_errors(examples, results)
    if args.seconds > 0:
        median, best, rounds = speed(examples, args.seconds)
        print(
            f"\nspeed: {median:,.0f} assessments per second on one core (median of {rounds} rounds over the "
            f"{len(examples)} tips, CPU time of one process; best round {best:,.0f})"
        )


if __name__ == "__main__":
    main()
