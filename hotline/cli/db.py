"""`hotline db …`: the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.base import app, err, load_settings
from hotline.core.migrate import downgrade, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""

    upgrade(load_settings().database_url, revision)
    err.print(f"database is at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""

    downgrade(load_settings().database_url, revision)
    err.print(f"database is at {revision}")
