"""Test fixtures: a real database (SQLite or PostgreSQL), migrated once per run, isolated per test.

HOTLINE_TEST_DATABASE=sqlite|postgresql picks the backend (`scripts/test` runs the suite on both). Each run
gets its own database (a temporary SQLite file, or a fresh PostgreSQL database dropped at the end), so runs
in parallel never see each other.

Isolation per test, two ways:
- `session` (and `client`, which serves requests on that session): everything happens inside one outer
  transaction that is rolled back; the code's own commits only release savepoints (the pypi/warehouse way).
- `committed_db`: for tests that need real commits seen by other connections, threads or processes
  (concurrency, CLI, workers). SQLite: a fresh copy of the migrated file; PostgreSQL: tables truncated after.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import hotline.models  # noqa: F401
from hotline import assembly
from hotline.auth import service as auth_service
from hotline.core.actor import Role, system_actor
from hotline.core.config import Settings, get_settings
from hotline.core.database import create_db_engine, make_session_factory
from hotline.core.migrate import upgrade
from hotline.deps import get_session
from hotline.main import create_app
from hotline.users import service as user_service
from hotline.users.models import User
from hotline.web import security as web_security
from tests.support.database import (
    BACKEND,
    CommittedDatabase,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)
from tests.support.users import shared_password_hash

# Fixtures shared by several folders: partner webhooks (a receiver, a dispatcher, partners) and Twilio (a fake
# Twilio API and a simulator of its webhooks).
pytest_plugins = ["tests.support.webhooks", "tests.support.twilio"]

# Tests call services directly, as the entry points would after assembling the application.
assembly.install()


def pytest_report_header() -> str:
    return f"hotline test database: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only (run with HOTLINE_TEST_DATABASE=postgresql)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.db'}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings, engine: Engine, session: Session):  # type: ignore[no-untyped-def]
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_api_key(session: Session) -> Callable[..., str]:
    def make(
        role: Role | str = Role.advocate, *, agency_id: str | None = None, name: str | None = None
    ) -> str:
        role = Role(role)
        _, plaintext = auth_service.create_api_key(
            session=session,
            name=name or f"test-{role.value}",
            role=role,
            agency_id=agency_id or ("cps-tx" if role == Role.partner else None),
            actor=system_actor("tests"),
        )
        session.commit()
        return plaintext

    return make


@pytest.fixture
def auth(make_api_key: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for a fresh key of the given role: `client.get(url, headers=auth("supervisor"))`."""
    return lambda role="advocate", **kwargs: {"Authorization": f"Bearer {make_api_key(role, **kwargs)}"}


# Tests that commit for real


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if BACKEND != "sqlite":
        return None
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def committed_db(
    tmp_path: Path,
    _sqlite_template: Path | None,
    database_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CommittedDatabase]:
    """A database whose commits are real; DATABASE_URL points at it for code that reads settings (CLI)."""
    if BACKEND == "sqlite":
        assert _sqlite_template is not None
        path = tmp_path / "committed.db"
        shutil.copy(_sqlite_template, path)
        url = f"sqlite:///{path}"
        committed_engine = create_db_engine(url)
    else:
        url, committed_engine = database_url, engine
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield CommittedDatabase(
            url=url,
            engine=committed_engine,
            session_factory=make_session_factory(committed_engine),
            settings=make_settings(url),
        )
    finally:
        get_settings.cache_clear()
        if BACKEND == "sqlite":
            committed_engine.dispose()
        else:
            _truncate_all(committed_engine)


@pytest.fixture
def client_for():  # type: ignore[no-untyped-def]
    """A TestClient of a fresh app on a committed database (no shared test session)."""

    def make(db: CommittedDatabase) -> TestClient:
        return TestClient(create_app(db.settings, engine=db.engine))

    return make


# Web UI: people who sign in


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    def make(role: Role | str = Role.advocate, *, username: str | None = None) -> User:
        role = Role(role)
        user = User(
            username=username or f"{role.value}-{uuid.uuid4().hex[:8]}",
            display_name=f"Test {role.value.title()}",
            role=role.value,
            password_hash=shared_password_hash(),
            created_by="system:tests",
        )
        session.add(user)
        session.commit()
        return user

    return make


@dataclass
class WebLogin:
    user: User
    csrf_token: str


@pytest.fixture
def sign_in(client, session: Session, settings: Settings, make_user) -> Callable[..., WebLogin]:  # type: ignore[no-untyped-def]
    """Sign the test client in as a new user of the role: `login = sign_in("supervisor")`."""

    def sign(role: Role | str = Role.advocate) -> WebLogin:
        user = make_user(role)
        user_session, token = user_service.start_session(session=session, user=user, settings=settings)
        session.commit()
        client.cookies.set(web_security.SESSION_COOKIE, token)
        return WebLogin(user, web_security.session_csrf_token(settings, user_session))

    return sign


@pytest.fixture
def thresholds(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set dedup thresholds for one test (on the `settings` the app and the services are given):
    `thresholds(link=1.0, review=0.3)` sends a close match to the review queue instead of linking it."""

    def set_(link: float, review: float, merge: float = 1.0) -> None:
        monkeypatch.setattr(settings, "match_link_threshold", link)
        monkeypatch.setattr(settings, "match_review_threshold", review)
        monkeypatch.setattr(settings, "match_merge_threshold", merge)

    yield set_
