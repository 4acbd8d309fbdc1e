"""Demo data: realistic but entirely fictional tips, and keys to try the service with.

Names, phone numbers (555-01xx, reserved for fiction) and addresses are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.auth import service as auth_service
from hotline.auth.models import Role, system_actor
from hotline.tips import flows as tip_flows
from hotline.tips.schemas import TipIn


@dataclass
class DemoSummary:
    tips_stored: int
    tips_existing: int
    advocate_key: str
    supervisor_key: str


def demo_tips() -> list[TipIn]:
    text = resources.files(__package__).joinpath("tips.jsonl").read_text(encoding="utf-8")
    return [TipIn.model_validate_json(line) for line in text.splitlines() if line.strip()]


def load(*, session_factory: sessionmaker[Session]) -> DemoSummary:
    actor = system_actor("demo")
    stored = existing = 0
    for tip_in in demo_tips():
        with session_factory() as session:
            submission = tip_flows.submit_tip(session=session, tip_in=tip_in, actor=actor)
            stored += submission.created
            existing += not submission.created
    with session_factory() as session:
        _, advocate_key = auth_service.create_api_key(
            session=session, name="demo-advocate", role=Role.advocate, actor=actor
        )
        _, supervisor_key = auth_service.create_api_key(
            session=session, name="demo-supervisor", role=Role.supervisor, actor=actor
        )
        session.commit()
    return DemoSummary(stored, existing, advocate_key, supervisor_key)
