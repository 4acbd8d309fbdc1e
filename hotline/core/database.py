"""Database engine, sessions and the column types every table shares.

SQLite is the embedded default and PostgreSQL is production; the same models, migrations and queries serve
both. Timestamps are stored and returned as timezone-aware UTC on either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from hotline.core import crypto
from hotline.core.config import Settings

# Stable constraint names, so migrations are reviewable and downgrades can name what they drop.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones: we store naive UTC there and attach UTC on the way out. PostgreSQL stores
    `timestamptz`. A naive datetime handed to us is a bug upstream, so it is refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PIIText(sa.types.TypeDecorator):
    """Text that identifies or describes a person (names, phones, emails, addresses, narratives).

    Every such column uses this type so that protection at rest is applied in one place: values are encrypted
    on the way in and decrypted on the way out (`core.crypto`). The database cannot compare or search them:
    rows are found by a keyed hash in a column of its own (`hotline.core.crypto.lookup_hash`).
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else crypto.encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else crypto.decrypt(value)


class PIIJSON(sa.types.TypeDecorator):
    """A JSON document that holds personal data (a triage result quotes the narrative): encrypted like
    PIIText, so the database cannot query into it."""

    impl = PIIText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else json.loads(value)


# JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONDocument = sa.JSON().with_variant(JSONB(), "postgresql")


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    # Statement parameters are victims' data: keep them out of exception texts and so out of logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Fail fast when the server is unreachable, so requests get a 503 instead of hanging.
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for SAVEPOINT to work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Most transactions here write. Taking the write lock up front makes concurrent writers wait
        # (busy_timeout) instead of failing when a read lock cannot be upgraded. A read-only connection
        # can ask for a deferred start with execution_options(sqlite_begin="DEFERRED").
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False, autoflush=True)


def configure_encryption(settings: Settings) -> None:
    """Give the encrypted column types the keyring and lookup key of these settings (once per process)."""
    crypto.configure(settings.keyring(), lookup_secret=settings.lookup_secret)


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the database these settings name, with their encryption keys in place: what every entry
    point (app, CLI, worker) opens the store with."""
    configure_encryption(settings)
    return make_session_factory(create_db_engine(settings.database_url))


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work outside a request (CLI, worker): commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


READ_ONLY = {"sqlite_begin": "DEFERRED"}
# The largest values the integer column types hold (PostgreSQL INTEGER, and BIGINT or SQLite's INTEGER): a
# number a client sends to compare with one must fit, or the database refuses the query with a 500.
MAX_INTEGER = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def is_postgres(session_or_bind: Session | sa.Connection | Engine) -> bool:
    bind = session_or_bind.get_bind() if isinstance(session_or_bind, Session) else session_or_bind
    return bind.dialect.name == "postgresql"


def is_encrypted_type(type_: sa.types.TypeEngine[Any]) -> bool:
    """PIIText, or a type stored through it (dates of birth, aliases, triage results, partner secrets)."""
    while isinstance(type_, sa.types.TypeDecorator):
        if isinstance(type_, PIIText):
            return True
        type_ = type_.impl_instance
    return False


def encrypted_columns(metadata: sa.MetaData | None = None) -> list[tuple[str, str]]:
    """(table, column) of every encrypted column, in a stable order."""
    metadata = metadata or SQLModel.metadata
    return [
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if is_encrypted_type(column.type)
    ]
