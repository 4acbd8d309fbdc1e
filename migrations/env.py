"""Alembic environment: the URL comes from our settings (or the caller), the metadata from hotline.models."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import hotline.models  # noqa: F401  (loads every table into the metadata)
from hotline.core import crypto
from hotline.core.config import get_settings
from hotline.core.database import configure_encryption, create_db_engine

config = context.config
# Data migrations encrypt and hash personal values: with the caller's keys, or the environment's.
if not crypto.configured():
    configure_encryption(get_settings())
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
