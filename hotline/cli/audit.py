"""`hotline audit verify`: check the audit log."""

from __future__ import annotations

import json

import typer

from hotline.cli.base import app, session_factory
from hotline.core.audit import service as audit_service

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; name the first broken event."""

    with session_factory()() as session:
        report = audit_service.verify_chain(session)
    if report.ok:
        typer.echo(json.dumps({"ok": True, "checked": report.checked}))
        return
    typer.echo(
        json.dumps(
            {
                "ok": False,
                "checked": report.checked,
                "first_broken_id": report.first_broken_id,
                "problem": report.problem,
            }
        )
    )
    raise typer.Exit(1)
