"""Two reports of one child arriving at the same moment end in one case (PostgreSQL, real commits)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlmodel import col, select

from hotline.cases.models import CaseTip
from hotline.core.actor import system_actor
from hotline.intake import flows as intake_flows
from hotline.tips.models import Tip
from hotline.tips.schemas import TipIn
from tests.support.factories import tip_payload

ROUNDS = 15
REPORTERS = 3
GIVEN = ["Keisha", "Marisol", "Destiny", "Yesenia", "Imani", "Lucia", "Jada", "Noemi", "Trinity", "Ximena"]
FAMILY = ["Whitaker", "Orozco", "Pruitt", "Nakamura", "Villalobos", "Ibarra", "Kowalski", "Delacroix"]


def spellings(round_number: int) -> list[dict]:
    """One child per round, as three callers give her: full name, family-first, a typo."""
    given, family = GIVEN[round_number % len(GIVEN)], FAMILY[round_number % len(FAMILY)]
    phone = f"(713) 555-{1000 + round_number:04d}"
    names = [f"{given} {family}", f"{family.upper()}, {given.upper()}", f"{given} {family[:-1]}"]
    victim = {"role": "victim", "age": 12 + round_number % 5, "phone": phone}
    return [
        tip_payload(
            external_id=f"race-{round_number}-{n}-{uuid.uuid4().hex[:6]}",
            persons=[{**victim, "name": names[n % len(names)]}],
            location={"city": "Houston", "state": "TX"},
        )
        for n in range(REPORTERS)
    ]


def report_together(committed_db, payloads: list[dict]) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    """Submit the reports from as many threads, released at the same moment; the stored tips' ids."""
    actor = system_actor("race")
    barrier = threading.Barrier(len(payloads))
    errors: list[BaseException] = []
    tip_ids: list[uuid.UUID] = []

    def report(tip_in: TipIn) -> None:
        try:
            with committed_db.session_factory() as session:
                barrier.wait(timeout=10)
                submission = intake_flows.submit_tip(
                    session=session, settings=committed_db.settings, tip_in=tip_in, actor=actor
                )
                tip_ids.append(submission.tip.id)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(TipIn.model_validate(p),)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return tip_ids


@pytest.mark.postgres_only
@pytest.mark.committed
def test_reports_of_one_child_arriving_together_end_in_one_case(committed_db):
    split_rounds = []
    for round_number in range(ROUNDS):
        tip_ids = report_together(committed_db, spellings(round_number))
        with committed_db.session_factory() as session:
            statuses = session.exec(select(Tip.status).where(col(Tip.id).in_(tip_ids))).all()
            assert statuses == ["triaged"] * REPORTERS, f"round {round_number}: triage did not finish"
            cases = set(session.exec(select(CaseTip.case_id).where(col(CaseTip.tip_id).in_(tip_ids))).all())
        if len(cases) != 1:
            split_rounds.append((round_number, len(cases)))
    assert split_rounds == [], f"rounds whose reports ended in several cases: {split_rounds}"
