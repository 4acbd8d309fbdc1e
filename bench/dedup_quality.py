"""Dedup quality: a labeled set of noisy tips through the real pipeline, against a brute-force baseline.

    .venv/bin/python bench/dedup_quality.py [--tips 5000] [--seed 7] [--database sqlite|postgresql]

Every tip goes through `hotline.tips.flows.submit_tip` (store, triage, dedup) into a fresh database, in the
order received; the cases it ends in are compared with the true situations as pairs of tips: precision,
recall and F1 of the `linked` decisions (a tip sent to review keeps its own case, as it does in the service),
and the share sent to review. The baseline scans every earlier tip with rapidfuzz (token-set ratio of the
name, birth year and state) and links to the best one above a threshold; its best threshold is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedup_data import LabeledTip, generate, precision_recall_f1

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _database(kind: str, workdir: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'quality.db'}", None
    name = f"bench_dedup_quality_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), (admin, name)


def _drop(handle: object) -> None:
    if handle is None:
        return
    admin, name = handle  # type: ignore[misc]
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_pipeline(tips: list[LabeledTip], url: str) -> dict[str, object]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import hotline.models  # noqa: F401
    from hotline.cases.models import CaseTip
    from hotline.core.actor import system_actor
    from hotline.core.config import get_settings
    from hotline.core.database import create_db_engine, make_session_factory
    from hotline.core.logs import configure_logging
    from hotline.core.migrate import upgrade
    from hotline.intake import flows as intake_flows
    from hotline.matching import service as matching_service
    from hotline.tips.models import Tip
    from hotline.tips.schemas import TipIn

    get_settings.cache_clear()
    configure_logging(level="WARNING", json_lines=True)
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    actor = system_actor("bench")

    matching_seconds = 0.0
    original_place_tip = matching_service.place_tip

    def timed_place_tip(**kwargs):  # type: ignore[no-untyped-def]
        nonlocal matching_seconds
        started = time.perf_counter()
        try:
            return original_place_tip(**kwargs)
        finally:
            matching_seconds += time.perf_counter() - started

    matching_service.place_tip = timed_place_tip  # type: ignore[assignment]
    actions: dict[str, str] = {}
    best_candidate: dict[str, uuid.UUID | None] = {}
    started = time.perf_counter()
    try:
        for index, tip in enumerate(tips, start=1):
            tip_in = TipIn.model_validate(tip.payload)
            with factory() as session:
                submission = intake_flows.submit_tip(session=session, tip_in=tip_in, actor=actor)
                case = (submission.tip.triage or {}).get("case") or {}
                actions[tip.payload["external_id"]] = case.get("action", "failed")
                candidates = case.get("candidates") or []
                best_candidate[tip.payload["external_id"]] = (
                    uuid.UUID(candidates[0]["case_id"]) if candidates else None
                )
            if index % 1000 == 0:
                print(f"  … {index} tips", file=sys.stderr)
    finally:
        matching_service.place_tip = original_place_tip  # type: ignore[assignment]
    elapsed = time.perf_counter() - started
    with factory() as session:
        case_of = {
            external_id: case_id
            for external_id, case_id in session.execute(
                sa.select(Tip.external_id, CaseTip.case_id).join(CaseTip, CaseTip.tip_id == Tip.id)
            ).all()
        }
    engine.dispose()
    return {
        "actions": actions,
        "case_of": case_of,
        "best_candidate": best_candidate,
        "seconds": elapsed,
        "matching_seconds": matching_seconds,
    }


def oracle_resolved(tips: list[LabeledTip], result: dict[str, object]) -> list[object]:
    """Cases if a supervisor decided every review correctly (confirm when the best candidate case holds a
    tip of the same situation)."""
    case_of: dict[str, uuid.UUID] = dict(result["case_of"])  # type: ignore[arg-type]
    actions: dict[str, str] = result["actions"]  # type: ignore[assignment]
    best: dict[str, uuid.UUID | None] = result["best_candidate"]  # type: ignore[assignment]
    situations_in_case: dict[uuid.UUID, set[int]] = {}
    for tip in tips:
        situations_in_case.setdefault(case_of[tip.payload["external_id"]], set()).add(tip.situation)
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(case_id: uuid.UUID) -> uuid.UUID:
        while case_id in parent:
            case_id = parent[case_id]
        return case_id

    for tip in tips:
        external_id = tip.payload["external_id"]
        candidate = best.get(external_id)
        confirmable = candidate is not None and tip.situation in situations_in_case.get(candidate, set())
        if actions[external_id] == "review" and candidate is not None and confirmable:
            own, other = find(case_of[external_id]), find(candidate)
            if own != other:
                parent[own] = other
    return [find(case_of[tip.payload["external_id"]]) for tip in tips]


def _fold(text: str) -> str:
    from hotline.matching.normalize import fold

    return fold(text)


def baseline_record(tip: LabeledTip) -> str:
    victim = tip.payload["persons"][0]
    if not victim.get("name"):
        return ""
    received = tip.received_at.year
    if "dob" in victim:
        year = victim["dob"][:4]
    elif "age" in victim:
        year = str(received - victim["age"])
    elif "age_min" in victim:
        year = str(received - (victim["age_min"] + victim["age_max"]) // 2)
    else:
        year = ""
    state = (tip.payload.get("location") or {}).get("state", "")
    return f"{_fold(victim['name'])} {year} {state.lower()}".strip()


def run_baseline(tips: list[LabeledTip], threshold: float) -> tuple[list[int], float]:
    """Brute force: each tip against every earlier tip, linked to the best above the threshold."""
    from rapidfuzz import fuzz, process

    records: list[str] = []
    clusters: list[int] = []
    started = time.perf_counter()
    for index, tip in enumerate(tips):
        record = baseline_record(tip)
        match = (
            process.extractOne(record, records, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
            if record
            else None
        )
        clusters.append(clusters[match[2]] if match else index)
        records.append(record)
    return clusters, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tips", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    tips = generate(tips=args.tips, seed=args.seed)
    truth = [tip.situation for tip in tips]
    kinds = Counter(len([t for t in tips if t.situation == s]) for s in set(truth))
    print(
        f"data: {len(tips)} tips about {len(set(truth))} situations "
        f"(seed {args.seed}; tips per situation {dict(sorted(kinds.items()))})"
    )

    with tempfile.TemporaryDirectory() as workdir:
        url, handle = _database(args.database, Path(workdir))
        try:
            result = run_pipeline(tips, url)
        finally:
            _drop(handle)

    case_of: dict[str, uuid.UUID] = result["case_of"]  # type: ignore[assignment]
    actions: Counter[str] = Counter(result["actions"].values())  # type: ignore[union-attr]
    predicted = [case_of[tip.payload["external_id"]] for tip in tips]
    precision, recall, f1 = precision_recall_f1(truth, predicted)
    review_share = actions["review"] / len(tips)
    _, _, oracle_f1 = precision_recall_f1(truth, oracle_resolved(tips, result))
    seconds, matching_seconds = float(result["seconds"]), float(result["matching_seconds"])  # type: ignore[arg-type]
    print(f"hotline dedup ({args.database}): decisions {dict(actions)}")
    print(
        f"hotline dedup: precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  "
        f"sent to review {review_share:.2%}  (F1 if reviews are decided right: {oracle_f1:.4f})"
    )
    print(
        f"hotline dedup: {1000 * matching_seconds / len(tips):.2f} ms/tip matching "
        f"({1000 * seconds / len(tips):.2f} ms/tip for the whole pipeline with its database writes)"
    )

    best: tuple[float, float, float, float, float] | None = None
    for threshold in (80.0, 85.0, 90.0, 95.0):
        clusters, baseline_seconds = run_baseline(tips, threshold)
        b_precision, b_recall, b_f1 = precision_recall_f1(truth, clusters)
        print(
            f"baseline (rapidfuzz brute-force scan, threshold {threshold:.0f}): precision {b_precision:.4f}  "
            f"recall {b_recall:.4f}  F1 {b_f1:.4f}  {1000 * baseline_seconds / len(tips):.2f} ms/tip"
        )
        if best is None or b_f1 > best[1]:
            best = (threshold, b_f1, baseline_seconds, b_precision, b_recall)
    assert best is not None
    threshold, b_f1, baseline_seconds, _, _ = best
    print(
        f"summary: F1 hotline {f1:.4f} vs baseline {b_f1:.4f} (best threshold {threshold:.0f}); "
        f"review {review_share:.2%}; speed: hotline matching "
        f"{1000 * matching_seconds / len(tips):.2f} ms/tip, "
        f"baseline scan {1000 * baseline_seconds / len(tips):.2f} ms/tip over {len(tips)} tips "
        f"(ratio baseline/hotline {baseline_seconds / matching_seconds:.2f}; the scan grows with the store, "
        f"see bench/dedup_latency.py)"
    )


if __name__ == "__main__":
    main()
