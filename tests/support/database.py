"""The test database: which backend this run uses, PostgreSQL databases made and dropped per run, the
settings a test gives the app, and the committed database handed to tests that commit for real."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.core.config import Settings

BACKEND = os.environ.get("HOTLINE_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

if BACKEND not in {"sqlite", "postgresql"}:
    raise RuntimeError(f"HOTLINE_TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")


def _with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


def create_postgres_database(prefix: str = "hotline_test") -> str:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return _with_database(PG_ADMIN_URL, name)


def drop_postgres_database(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "public_base_url": "http://testserver",
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class CommittedDatabase:
    """What the `committed_db` fixture gives: a database whose commits are real."""

    url: str
    engine: Engine
    session_factory: sessionmaker[Session]
    settings: Settings
