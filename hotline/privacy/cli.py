"""`hotline keys new-data-key | rotate-data-key` and `hotline retention apply [--dry-run]`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hotline.core import crypto
from hotline.core.actor import system_actor
from hotline.core.config import get_settings

retention_app = typer.Typer(help="Removing personal data that is no longer needed.", no_args_is_help=True)
err = Console(stderr=True)
ACTOR = system_actor("cli")


def _factory():  # type: ignore[no-untyped-def]
    from hotline.cli import _session_factory

    return _session_factory()


def new_data_key(
    key_id: Annotated[str, typer.Option("--id", help="The new key's id (letters, digits, - and _)")],
) -> None:
    """Print a new data key as ID:BASE64 (only that, on stdout), to add to HOTLINE_DATA_KEYS."""
    if not crypto.KEY_ID.match(key_id):
        err.print("[red]error:[/red] the id takes 1-32 letters, digits, '-' or '_'")
        raise typer.Exit(2)
    typer.echo(f"{key_id}:{crypto.new_key()}")


def rotate_data_key(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows re-encrypted per commit")] = 500,
) -> None:
    """Re-encrypt every personal value under the current data key (HOTLINE_DATA_KEY_ID, else the last key of
    HOTLINE_DATA_KEYS). Safe to interrupt and run again. Prints a JSON summary; exit 1 if values remain
    under another key."""
    from hotline.privacy import service as privacy_service

    factory = _factory()
    keyring = get_settings().keyring()
    with factory() as session:
        rotation = privacy_service.rotate_data_key(
            session=session, keyring=keyring, actor=ACTOR, batch_size=batch_size
        )
    typer.echo(
        json.dumps(
            {
                "key_id": rotation.key_id,
                "reencrypted": rotation.total,
                "columns": rotation.reencrypted,
                "remaining": rotation.remaining,
            }
        )
    )
    if rotation.remaining:
        err.print(f"[red]error:[/red] {rotation.remaining} values are still under another key")
        raise typer.Exit(1)
    err.print(
        f"every value is under data key {rotation.key_id!r}: older keys can be removed from HOTLINE_DATA_KEYS"
    )


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what each rule would change; change nothing")
    ] = False,
) -> None:
    """Apply the retention policy (HOTLINE_RETENTION_* settings): a table of rows changed per rule on stderr,
    the counts as JSON on stdout. A real run is audited (counts only)."""
    from hotline.privacy import service as privacy_service

    settings = get_settings()
    factory = _factory()
    with factory() as session:
        result = privacy_service.apply_retention(
            session=session, settings=settings, actor=ACTOR, dry_run=dry_run
        )
    table = Table(title="retention (dry run: nothing changed)" if dry_run else "retention applied")
    table.add_column("rule")
    table.add_column("after", justify="right")
    table.add_column("would change" if dry_run else "changed", justify="right")
    table.add_column("what")
    for rule in result.rules:
        count = str(result.counts[rule.name]) if rule.name in result.counts else "-"
        table.add_row(rule.name, rule.after, count, rule.description)
    err.print(table)
    typer.echo(json.dumps({"dry_run": dry_run, "counts": result.counts}))
