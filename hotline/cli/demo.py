"""`hotline demo`: demo agencies, rules, users and tips, and keys to try them with."""

from __future__ import annotations

import typer

from hotline import demo as demo_data
from hotline.cli.base import app, err, load_settings, session_factory


@app.command()
def demo() -> None:
    """Load demo data (realistic, fictional tips) and print ready-to-use keys."""

    factory = session_factory()
    summary = demo_data.load(session_factory=factory, settings=load_settings())
    err.print(f"demo: {summary.tips_stored} tips stored, {summary.tips_existing} already present")
    typer.echo(f"ADVOCATE_KEY={summary.advocate_key}")
    typer.echo(f"SUPERVISOR_KEY={summary.supervisor_key}")
    # Web sign-in: fresh passwords on every run (the previous ones stop working).
    typer.echo(f"ADVOCATE_USERNAME={summary.advocate_login[0]}")
    typer.echo(f"ADVOCATE_PASSWORD={summary.advocate_login[1]}")
    typer.echo(f"SUPERVISOR_USERNAME={summary.supervisor_login[0]}")
    typer.echo(f"SUPERVISOR_PASSWORD={summary.supervisor_login[1]}")
    err.print(f"sign in at {load_settings().public_base_url}/signin with the usernames and passwords above")
