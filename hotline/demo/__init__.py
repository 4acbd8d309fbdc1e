"""Demo data: realistic but entirely fictional tips, and keys and web sign-ins to try the service with.

Names, phone numbers (555-01xx, reserved for fiction) and addresses are invented.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.auth import service as auth_service
from hotline.core.actor import Actor, Role, system_actor
from hotline.core.config import Settings
from hotline.intake import flows as intake_flows
from hotline.tips.schemas import TipIn
from hotline.users import service as user_service


@dataclass
class DemoSummary:
    tips_stored: int
    tips_existing: int
    advocate_key: str
    supervisor_key: str
    # Web sign-in: username -> password, for an advocate and a supervisor.
    advocate_login: tuple[str, str] = ("", "")
    supervisor_login: tuple[str, str] = ("", "")


DEMO_USERS = {
    Role.advocate: ("demo-advocate", "Demo Advocate"),
    Role.supervisor: ("demo-supervisor", "Demo Supervisor"),
}


def _demo_login(session: Session, role: Role, actor: Actor) -> tuple[str, str]:
    """The demo user for a role with a fresh password (printed once); created on the first run."""
    username, display_name = DEMO_USERS[role]
    password = secrets.token_urlsafe(12)
    user = user_service.find_user(session=session, username=username)
    if user is None:
        user_service.create_user(
            session=session,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            actor=actor,
        )
    else:
        user_service.set_password(session=session, user=user, password=password, actor=actor)
    return username, password


def demo_tips() -> list[TipIn]:
    text = resources.files(__package__).joinpath("tips.jsonl").read_text(encoding="utf-8")
    return [TipIn.model_validate_json(line) for line in text.splitlines() if line.strip()]


def load(*, session_factory: sessionmaker[Session], settings: Settings) -> DemoSummary:
    actor = system_actor("demo")
    stored = existing = 0
    for tip_in in demo_tips():
        with session_factory() as session:
            submission = intake_flows.submit_tip(
                session=session, settings=settings, tip_in=tip_in, actor=actor
            )
            stored += submission.created
            existing += not submission.created
    with session_factory() as session:
        _, advocate_key = auth_service.create_api_key(
            session=session, name="demo-advocate", role=Role.advocate, actor=actor
        )
        _, supervisor_key = auth_service.create_api_key(
            session=session, name="demo-supervisor", role=Role.supervisor, actor=actor
        )
        advocate_login = _demo_login(session, Role.advocate, actor)
        supervisor_login = _demo_login(session, Role.supervisor, actor)
        session.commit()
    return DemoSummary(stored, existing, advocate_key, supervisor_key, advocate_login, supervisor_login)
