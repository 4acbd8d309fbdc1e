"""The migrations build the schema the models describe, and can be reverted and re-applied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from hotline.core.migrate import alembic_config, downgrade, upgrade
from tests.support.database import create_postgres_database, drop_postgres_database


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "autogenerate would change the schema: write a migration for these"


def test_the_migration_history_is_one_line(database_url):
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: rebase the newest onto the other"


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_upgrade_downgrade_to_base_and_upgrade_again_on_postgres():
    url = create_postgres_database("hotline_migrations")
    try:
        upgrade(url)
        assert _tables(url) == {table.name for table in SQLModel.metadata.sorted_tables}
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert _tables(url) == {table.name for table in SQLModel.metadata.sorted_tables}
    finally:
        drop_postgres_database(url)


def test_upgrade_downgrade_to_base_and_upgrade_again_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    downgrade(url, "base")
    assert _tables(url) == set()
    upgrade(url)
    assert _tables(url) == {table.name for table in SQLModel.metadata.sorted_tables}
