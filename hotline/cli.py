"""The `hotline` command line. Results go to stdout, progress and messages to stderr, so it scripts well."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hotline.core.actor import Role, system_actor
from hotline.core.config import get_settings
from hotline.privacy import cli as privacy_cli
from integrations.webhooks import cli as webhook_cli
from routing import cli as routing_cli

app = typer.Typer(
    help="Hotline triage and case routing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys and data keys.", no_args_is_help=True)
tips_app = typer.Typer(help="Tips.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the web UI.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(tips_app, name="tips")
app.add_typer(cases_app, name="cases")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(routing_cli.rules_app, name="rules")
app.add_typer(routing_cli.directory_app, name="directory")
app.add_typer(webhook_cli.partners_app, name="partners")
app.add_typer(privacy_cli.retention_app, name="retention")
keys_app.command("new-data-key")(privacy_cli.new_data_key)
keys_app.command("rotate-data-key")(privacy_cli.rotate_data_key)

err = Console(stderr=True)


def _session_factory():  # type: ignore[no-untyped-def]
    import hotline.models  # noqa: F401
    from hotline.core.database import session_factory
    from hotline.core.logs import configure_logging

    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    return session_factory(settings)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes")] = 1,
) -> None:
    """Run the API and web UI (uvicorn)."""
    import uvicorn

    uvicorn.run(
        "hotline.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit (tests, cron)")] = False,
) -> None:
    """Run the background jobs: partner webhooks, SLA escalation, SMS replies, voicemails without
    transcript, triage recovery."""
    import threading

    from hotline.worker import Worker, WorkerContext, default_jobs, stop_on_signals

    settings = get_settings()
    context = WorkerContext(settings=settings, session_factory=_session_factory())
    runner = Worker(context=context, jobs=default_jobs(settings), poll_seconds=settings.worker_poll_seconds)
    if once:
        handled = runner.run_once()
        typer.echo(json.dumps(handled))
        if None in handled.values():
            raise _fail("a job failed (see the log)")
        return
    stop = threading.Event()
    stop_on_signals(stop)
    runner.run_forever(stop)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from hotline.core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    err.print(f"database is at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from hotline.core.migrate import downgrade

    downgrade(get_settings().database_url, revision)
    err.print(f"database is at {revision}")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="advocate, supervisor, partner or admin")],
    name: Annotated[str, typer.Option(help="Who or what will use the key, e.g. desk-1")],
    agency: Annotated[str | None, typer.Option(help="For a partner key: the agency id it acts for")] = None,
) -> None:
    """Create an API key and print it (only the key, on stdout). It is not shown again."""
    from hotline.auth import service as auth_service
    from hotline.core.database import session_scope

    try:
        with session_scope(_session_factory()) as session:
            _, plaintext = auth_service.create_api_key(
                session=session, name=name, role=role, agency_id=agency, actor=system_actor("cli")
            )
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(plaintext)


def _read_jsonl(path: Path):  # type: ignore[no-untyped-def]
    """(line number, parsed tip or None, error or None) for each non-blank line."""
    from hotline.tips.schemas import TipIn

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, TipIn.model_validate_json(raw), None
            except ValidationError as exc:
                yield number, None, _describe_validation_error(exc)


def _describe_validation_error(exc: ValidationError) -> str:
    from hotline.main import _field_path

    parts = []
    for error in exc.errors(include_input=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{_field_path(error['loc'])}: {message}")
    return "; ".join(parts)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


@tips_app.command("import")
def tips_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One tip (JSON) per line")],
) -> None:
    """Run each tip through the full pipeline and store it; idempotent on external_id."""
    from hotline.tips import flows as tip_flows

    factory = _session_factory()
    actor = system_actor("import")
    stored = duplicates = 0
    rejected: list[tuple[int, str]] = []
    with Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("import", total=_count_lines(file))
        for number, tip_in, error in _read_jsonl(file):
            if tip_in is None:
                rejected.append((number, error or "unreadable"))
            else:
                if "channel" not in tip_in.model_fields_set:
                    tip_in.channel = "import"
                with factory() as session:
                    submission = tip_flows.submit_tip(session=session, tip_in=tip_in, actor=actor)
                if submission.created:
                    stored += 1
                else:
                    duplicates += 1
            progress.advance(task)
    summary = {"stored": stored, "duplicates": duplicates, "rejected": len(rejected)}
    typer.echo(json.dumps({**summary, "rejected_lines": [{"line": n, "error": e} for n, e in rejected]}))
    err.print(f"stored {stored}, duplicates {duplicates}, rejected {len(rejected)}")
    for number, error in rejected:
        err.print(f"  line {number}: {error}")


@app.command()
def triage(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One tip (JSON) per line")],
) -> None:
    """Dry run: print one triage result per input line, in order. Writes nothing."""
    from sqlmodel import Session

    from hotline.tips import flows as tip_flows

    factory = _session_factory()
    actor = system_actor("triage-dry-run")
    engine = factory.kw["bind"]
    with engine.connect() as connection:
        outer = connection.begin()
        # The real pipeline runs inside one outer transaction that is rolled back at the end: its commits
        # only release savepoints, so later lines see earlier ones (as an import would) and nothing is kept.
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            for number, tip_in, error in _read_jsonl(file):
                if tip_in is None:
                    typer.echo(json.dumps({"line": number, "error": error}))
                    continue
                submission = tip_flows.submit_tip(session=session, tip_in=tip_in, actor=actor)
                triage_result = submission.tip.triage or {"line": number, "error": "triage failed"}
                typer.echo(json.dumps(triage_result, ensure_ascii=False))
        finally:
            session.close()
            outer.rollback()


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@cases_app.command("export")
def cases_export(
    format_: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")] = ExportFormat.jsonl,
) -> None:
    """One case a line: case_id, status, tip_external_ids, minor_status, jurisdiction, routing targets."""
    from hotline.cases import service as case_service
    from hotline.core.audit import service as audit_service
    from hotline.core.database import session_scope

    count = 0
    with session_scope(_session_factory()) as session:
        writer = None
        for row in case_service.export_rows(session=session):
            count += 1
            if format_ == ExportFormat.jsonl:
                typer.echo(json.dumps(row))
                continue
            if writer is None:
                writer = csv.writer(sys.stdout)
                writer.writerow(
                    [
                        "case_id",
                        "status",
                        "tip_external_ids",
                        "minor_status",
                        "state",
                        "county",
                        "routing_targets",
                    ]
                )
            writer.writerow(
                [
                    row["case_id"],
                    row["status"],
                    ";".join(row["tip_external_ids"]),
                    row["minor_status"] or "",
                    row["jurisdiction"]["state"] or "",
                    row["jurisdiction"]["county"] or "",
                    ";".join(row["routing_targets"]),
                ]
            )
        audit_service.record(
            session,
            actor=system_actor("cli"),
            action="cases.exported",
            subject_type="export",
            subject_id="cases",
            detail={"format": format_.value, "cases": count},
        )
    err.print(f"exported {count} cases")


@cases_app.command("duplicates")
def cases_duplicates(
    min_score: Annotated[float, typer.Option(min=0.0, max=1.0, help="Lowest match score to list")] = 0.5,
    limit: Annotated[int, typer.Option(min=1, help="At most this many pairs, best first")] = 100,
    reindex: Annotated[
        bool,
        typer.Option(help="Rebuild the blocking keys and search keys first (a new matching key)"),
    ] = False,
) -> None:
    """Likely duplicate pairs of cases already in the store, best first: one JSON object a line."""
    from hotline.core.audit import service as audit_service
    from hotline.core.database import session_scope
    from hotline.matching import service as matching_service

    with session_scope(_session_factory()) as session:
        if reindex:
            filed = matching_service.reindex(session=session)
            session.commit()
            err.print(f"filed the blocking keys of {filed} cases")
            # The search keys and texters' lookup hashes are keyed with the matching key too.
            from hotline.tips import service as tip_service
            from integrations.twilio import service as twilio_service

            searched = tip_service.refile_all_search_keys(session=session)
            rehashed = twilio_service.rehash_numbers(session=session)
            session.commit()
            err.print(f"filed the search keys of {searched} tips; rehashed {rehashed} texters' numbers")
        pairs = sorted(
            matching_service.likely_duplicates(session=session, min_score=min_score),
            key=lambda pair: pair.score,
            reverse=True,
        )
        for pair in pairs[:limit]:
            typer.echo(
                json.dumps(
                    {
                        "case_id": str(pair.case_id),
                        "other_case_id": str(pair.other_case_id),
                        "score": pair.score,
                        "fields": pair.fields,
                        "weights": pair.weights,
                    }
                )
            )
        audit_service.record(
            session,
            actor=system_actor("cli"),
            action="cases.duplicates_listed",
            subject_type="export",
            subject_id="duplicates",
            detail={"min_score": min_score, "pairs": len(pairs), "reindexed": reindex},
        )
    err.print(f"{len(pairs)} likely duplicate pairs (score >= {min_score}); listed {min(len(pairs), limit)}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; name the first broken event."""
    from hotline.core.audit import service as audit_service

    with _session_factory()() as session:
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


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (one line), for scripts")
]


def _read_password(password_stdin: bool) -> str:
    """From stdin (one line) for scripts, or a hidden prompt asked twice: never from an argument, which
    would land in shell history and the process list."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise _fail("no password on stdin", 2)
        return password
    if not sys.stdin.isatty():
        raise _fail("stdin is not a terminal: pass --password-stdin and write the password to stdin", 2)
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="What they type to sign in, e.g. jdoe")],
    role: Annotated[Role, typer.Option(help="advocate, supervisor or admin")],
    name: Annotated[str | None, typer.Option(help="The name shown to others; default: the username")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user who signs in to the web UI. The password is prompted for (or read from stdin)."""
    from hotline.core.database import session_scope
    from hotline.users import service as user_service

    password = _read_password(password_stdin)
    try:
        with session_scope(_session_factory()) as session:
            user = user_service.create_user(
                session=session,
                username=username,
                display_name=name,
                role=role,
                password=password,
                actor=system_actor("cli"),
            )
    except user_service.UserError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(str(user.id))
    err.print(f"user {user.username} ({user.role}) created")


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="The user's username")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password (also unlocks the account and ends its sessions)."""
    from hotline.core.database import session_scope
    from hotline.users import service as user_service

    password = _read_password(password_stdin)
    try:
        with session_scope(_session_factory()) as session:
            user = user_service.find_user(session=session, username=username)
            if user is None:
                raise user_service.UserError(f"no user {username!r}")
            user_service.set_password(
                session=session, user=user, password=password, actor=system_actor("cli")
            )
    except user_service.UserError as exc:
        raise _fail(str(exc), 2) from exc
    err.print(f"password of {username} set")


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str, typer.Argument(help="The user's username")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Unlock an account locked after failed sign-ins."""
    from hotline.core.database import session_scope
    from hotline.users import service as user_service

    if len(reason.strip()) < 10:
        raise _fail("give a reason of at least 10 characters", 2)
    with session_scope(_session_factory()) as session:
        user = user_service.find_user(session=session, username=username)
        if user is None:
            raise _fail(f"no user {username!r}", 2)
        user_service.unlock_user(session=session, user=user, actor=system_actor("cli"), reason=reason.strip())
    err.print(f"{username} unlocked")


@app.command()
def demo() -> None:
    """Load demo data (realistic, fictional tips) and print ready-to-use keys."""
    from hotline import demo as demo_data

    factory = _session_factory()
    summary = demo_data.load(session_factory=factory)
    err.print(f"demo: {summary.tips_stored} tips stored, {summary.tips_existing} already present")
    typer.echo(f"ADVOCATE_KEY={summary.advocate_key}")
    typer.echo(f"SUPERVISOR_KEY={summary.supervisor_key}")
    # Web sign-in: fresh passwords on every run (the previous ones stop working).
    typer.echo(f"ADVOCATE_USERNAME={summary.advocate_login[0]}")
    typer.echo(f"ADVOCATE_PASSWORD={summary.advocate_login[1]}")
    typer.echo(f"SUPERVISOR_USERNAME={summary.supervisor_login[0]}")
    typer.echo(f"SUPERVISOR_PASSWORD={summary.supervisor_login[1]}")
    err.print(f"sign in at {get_settings().public_base_url}/signin with the usernames and passwords above")
