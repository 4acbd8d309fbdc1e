"""`hotline tips import` and `hotline triage`: tips from JSON lines, stored or as a dry run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from hotline.cli.base import app, err, load_settings, session_factory
from hotline.core.actor import system_actor
from hotline.core.errors import field_path
from hotline.intake import flows as intake_flows
from hotline.tips.schemas import TipIn

tips_app = typer.Typer(help="Tips.", no_args_is_help=True)
app.add_typer(tips_app, name="tips")


def _read_jsonl(path: Path):  # type: ignore[no-untyped-def]
    """(line number, parsed tip or None, error or None) for each non-blank line."""

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, TipIn.model_validate_json(raw), None
            except ValidationError as exc:
                yield number, None, _describe_validation_error(exc)


def _describe_validation_error(exc: ValidationError) -> str:

    parts = []
    for error in exc.errors(include_input=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{field_path(error['loc'])}: {message}")
    return "; ".join(parts)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


@tips_app.command("import")
def tips_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One tip (JSON) per line")],
) -> None:
    """Run each tip through the full pipeline and store it; idempotent on external_id."""

    settings = load_settings()
    factory = session_factory()
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
                    submission = intake_flows.submit_tip(
                        session=session, settings=settings, tip_in=tip_in, actor=actor
                    )
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

    settings = load_settings()
    factory = session_factory()
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
                submission = intake_flows.submit_tip(
                    session=session, settings=settings, tip_in=tip_in, actor=actor
                )
                triage_result = submission.tip.triage or {"line": number, "error": "triage failed"}
                typer.echo(json.dumps(triage_result, ensure_ascii=False))
        finally:
            session.close()
            outer.rollback()
