"""`hotline retention apply [--dry-run]`: remove personal data that is no longer needed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from hotline.cli.base import app, err, load_settings, session_factory
from hotline.core.actor import system_actor
from hotline.privacy import service as privacy_service

retention_app = typer.Typer(help="Removing personal data that is no longer needed.", no_args_is_help=True)
ACTOR = system_actor("cli")
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what each rule would change; change nothing")
    ] = False,
) -> None:
    """Apply the retention policy (HOTLINE_RETENTION_* settings): a table of rows changed per rule on stderr,
    the counts as JSON on stdout. A real run is audited (counts only)."""

    settings = load_settings()
    factory = session_factory()
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
