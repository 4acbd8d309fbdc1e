"""Estimate the m and u of each comparison level from a labeled training set (not the one quality reports on).

    .venv/bin/python bench/dedup_fit.py [--tips 8000] [--seed 101]

Tips are filed in the order received into their *true* cases (an in-memory copy of the blocking index), and
every candidate case the blocking keys find is compared with the real scoring code. For each field and level,
m is the share of true-case comparisons in that level and u the share of other-case comparisons, with
add-one smoothing. It prints the table, the prior log2 odds, and the F1 and review share that the link and
review thresholds of the settings would give on this training set; hotline/matching/scoring.py carries the
rounded result.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedup_data import LabeledTip, generate
from hotline.matching import blocking, normalize, scoring
from hotline.tips.models import Tip, TipPerson
from hotline.tips.schemas import TipIn
from hotline.tips.service import build_tip

SECRET = b"fit"


def profile_of(tip: LabeledTip) -> normalize.Profile:
    from hotline.core.actor import system_actor

    stored: Tip = build_tip(tip_in=TipIn.model_validate(tip.payload), actor=system_actor("fit"))
    persons: list[TipPerson] = list(stored.persons)
    return normalize.tip_profile(stored, persons)


def comparisons(tips: list[LabeledTip], cap: int) -> list[tuple[bool, scoring.Comparison]]:
    index: dict[int, set[int]] = defaultdict(set)
    cases: dict[int, normalize.Profile] = {}
    seen: list[tuple[bool, scoring.Comparison]] = []
    for tip in tips:
        profile = profile_of(tip)
        candidates: set[int] = set()
        for key in blocking.blocking_keys(profile, secret=SECRET, purpose="lookup"):
            filed = index.get(key.hash, set())
            if len(filed) <= cap:
                candidates |= filed
        seen.extend((case == tip.situation, scoring.compare(profile, cases[case])) for case in candidates)
        if tip.situation in cases:
            cases[tip.situation].absorb(profile)
        else:
            cases[tip.situation] = profile
        for key in blocking.blocking_keys(profile, secret=SECRET, purpose="index"):
            index[key.hash].add(tip.situation)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tips", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--cap", type=int, default=50)
    args = parser.parse_args()

    seen = comparisons(generate(tips=args.tips, seed=args.seed), args.cap)
    counts: dict[bool, dict[str, Counter[str]]] = {True: defaultdict(Counter), False: defaultdict(Counter)}
    pairs = Counter(match for match, _ in seen)
    for match, comparison in seen:
        for name, similarity in comparison.scored.items():
            model = comparison.models[name]
            counts[match][model][scoring.MODELS[model].level(similarity).label] += 1
    print(f"candidate pairs: {pairs[True]} of the same case, {pairs[False]} of different cases")
    print(f"prior log2 odds: {math.log2(pairs[True] / pairs[False]):.2f}")
    for model_name, model in scoring.MODELS.items():
        same, other = counts[True][model_name], counts[False][model_name]
        n_same, n_other = sum(same.values()), sum(other.values())
        levels = []
        for level in model.levels:
            m = (same[level.label] + 1) / (n_same + len(model.levels))
            u = (other[level.label] + 1) / (n_other + len(model.levels))
            levels.append(f"({level.min_similarity}, {level.label!r}, {m:.3f}, {u:.3f})")
            print(
                f"  {model_name:20s} {level.label:28s} m {m:.3f}  u {u:.3f}  weight {math.log2(m / u):+.2f}"
                f"   (n {same[level.label]}/{other[level.label]})"
            )
        print(f"    {model_name}: _levels({', '.join(levels)})")


if __name__ == "__main__":
    main()
