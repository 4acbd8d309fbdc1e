"""The root `hotline` command and what its commands share: settings, sessions, the error console.

Results go to stdout and progress and messages to stderr, so commands script well. Each command module
registers its commands on `app` when `hotline.cli` imports it.
"""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline import assembly
from hotline.core import database
from hotline.core.config import Settings, get_settings
from hotline.core.logs import configure_logging

app = typer.Typer(
    help="Hotline triage and case routing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def load_settings() -> Settings:
    """This run's settings (the environment and `.env`), with logging configured from them."""
    current = get_settings()
    configure_logging(level=current.log_level, json_lines=current.log_json)
    return current


# One engine per database for the life of the process (a command may ask for sessions more than once).
_factories: dict[str, sessionmaker[Session]] = {}


def session_factory() -> sessionmaker[Session]:
    """Sessions on this run's database, with its encryption keys and the integrations in place."""
    current = load_settings()
    assembly.install()
    database.configure_encryption(current)
    if current.database_url not in _factories:
        _factories[current.database_url] = database.session_factory(current)
    return _factories[current.database_url]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)
