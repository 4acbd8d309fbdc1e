"""`hotline keys …`: API keys, and the data keys personal data is encrypted with."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hotline.auth import service as auth_service
from hotline.cli.base import app, err, fail, load_settings, session_factory
from hotline.core import crypto
from hotline.core.actor import Role, system_actor
from hotline.core.database import session_scope
from hotline.privacy import service as privacy_service

keys_app = typer.Typer(help="API keys and data keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="advocate, supervisor, partner or admin")],
    name: Annotated[str, typer.Option(help="Who or what will use the key, e.g. desk-1")],
    agency: Annotated[str | None, typer.Option(help="For a partner key: the agency id it acts for")] = None,
) -> None:
    """Create an API key and print it (only the key, on stdout). It is not shown again."""

    try:
        with session_scope(session_factory()) as session:
            _, plaintext = auth_service.create_api_key(
                session=session, name=name, role=role, agency_id=agency, actor=system_actor("cli")
            )
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    typer.echo(plaintext)


@keys_app.command("new-data-key")
def new_data_key(
    key_id: Annotated[str, typer.Option("--id", help="The new key's id (letters, digits, - and _)")],
) -> None:
    """Print a new data key as ID:BASE64 (only that, on stdout), to add to HOTLINE_DATA_KEYS."""
    if not crypto.KEY_ID.match(key_id):
        err.print("[red]error:[/red] the id takes 1-32 letters, digits, '-' or '_'")
        raise typer.Exit(2)
    typer.echo(f"{key_id}:{crypto.new_key()}")


@keys_app.command("rotate-data-key")
def rotate_data_key(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows re-encrypted per commit")] = 500,
) -> None:
    """Re-encrypt every personal value under the current data key (HOTLINE_DATA_KEY_ID, else the last key of
    HOTLINE_DATA_KEYS). Safe to interrupt and run again. Prints a JSON summary; exit 1 if values remain
    under another key."""

    factory = session_factory()
    keyring = load_settings().keyring()
    with factory() as session:
        rotation = privacy_service.rotate_data_key(
            session=session, keyring=keyring, actor=system_actor("cli"), batch_size=batch_size
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
