"""`hotline users …`: people who sign in to the web UI."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hotline.cli.base import app, err, fail, session_factory
from hotline.core.actor import Role, system_actor
from hotline.core.database import session_scope
from hotline.users import service as user_service

users_app = typer.Typer(help="People who sign in to the web UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (one line), for scripts")
]


def _read_password(password_stdin: bool) -> str:
    """From stdin (one line) for scripts, or a hidden prompt asked twice: never from an argument, which
    would land in shell history and the process list."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail("no password on stdin", 2)
        return password
    if not sys.stdin.isatty():
        raise fail("stdin is not a terminal: pass --password-stdin and write the password to stdin", 2)
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="What they type to sign in, e.g. jdoe")],
    role: Annotated[Role, typer.Option(help="advocate, supervisor or admin")],
    name: Annotated[str | None, typer.Option(help="The name shown to others; default: the username")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user who signs in to the web UI. The password is prompted for (or read from stdin)."""

    password = _read_password(password_stdin)
    try:
        with session_scope(session_factory()) as session:
            user = user_service.create_user(
                session=session,
                username=username,
                display_name=name,
                role=role,
                password=password,
                actor=system_actor("cli"),
            )
    except user_service.UserError as exc:
        raise fail(str(exc), 2) from exc
    typer.echo(str(user.id))
    err.print(f"user {user.username} ({user.role}) created")


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="The user's username")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password (also unlocks the account and ends its sessions)."""

    password = _read_password(password_stdin)
    try:
        with session_scope(session_factory()) as session:
            user = user_service.find_user(session=session, username=username)
            if user is None:
                raise user_service.UserError(f"no user {username!r}")
            user_service.set_password(
                session=session, user=user, password=password, actor=system_actor("cli")
            )
    except user_service.UserError as exc:
        raise fail(str(exc), 2) from exc
    err.print(f"password of {username} set")


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str, typer.Argument(help="The user's username")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Unlock an account locked after failed sign-ins."""

    if len(reason.strip()) < 10:
        raise fail("give a reason of at least 10 characters", 2)
    with session_scope(session_factory()) as session:
        user = user_service.find_user(session=session, username=username)
        if user is None:
            raise fail(f"no user {username!r}", 2)
        user_service.unlock_user(session=session, user=user, actor=system_actor("cli"), reason=reason.strip())
    err.print(f"{username} unlocked")
