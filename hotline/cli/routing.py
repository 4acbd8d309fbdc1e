"""`hotline rules …` and `hotline directory …`: validate, simulate and publish rulesets; sync the directory.

Results go to stdout (text, or JSON with --json), messages to stderr; a refused ruleset exits 1.
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from hotline.agencies import service as agency_service
from hotline.cli.base import app, err, load_settings, session_factory
from hotline.core.actor import system_actor
from hotline.core.database import READ_ONLY, session_scope
from hotline.decisions import service as decision_service
from routing import directory as routing_directory
from routing.engine import check_ruleset

rules_app = typer.Typer(
    help="Routing rulesets: validate, simulate, publish, list versions.", no_args_is_help=True
)
directory_app = typer.Typer(help="The agency directory.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(directory_app, name="directory")


_DURATION = re.compile(r"^(\d+)([dhw])$")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]
RulesFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A ruleset YAML file")]


def parse_since(value: str) -> timedelta:
    """'30d', '12h', '2w' → a duration."""
    match = _DURATION.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter("use a number and d, h or w: 30d, 12h, 2w")
    amount, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]


def _known_agencies() -> dict[str, str]:
    """The shipped directory, plus whatever the database has (when there is one): validate needs no DB."""

    kinds = routing_directory.shipped_directory().kinds()
    url = sa.make_url(load_settings().database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return kinds  # no database yet (a fresh clone): don't create one just to validate
    try:
        with session_factory()() as session:
            kinds.update(agency_service.agency_kinds(session=session))
    except sa.exc.SQLAlchemyError:
        err.print("note: no database to read the directory from; validating against the shipped directory")
    return kinds


@rules_app.command("validate")
def rules_validate(file: RulesFile, as_json: JsonOption = False) -> None:
    """Check a ruleset file (every problem with its line and rule) and run its tests. Writes nothing."""

    engine, problems = check_ruleset(
        file.read_text(encoding="utf-8"), file=str(file), agencies=_known_agencies()
    )
    ok = engine is not None and not problems
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": ok,
                    "rules": len(engine.all_rules) if engine else 0,
                    "tests": len(engine.source.tests) if engine else 0,
                    "problems": [problem.as_dict() for problem in problems],
                }
            )
        )
    else:
        for problem in problems:
            typer.echo(str(problem))
        if ok and engine is not None:
            typer.echo(
                f"{file}: valid: {len(engine.all_rules)} rules ({engine.hit_policy}), "
                f"{len(engine.source.tests)} tests passed"
            )
    if not ok:
        raise typer.Exit(1)


@rules_app.command("publish")
def rules_publish(
    file: RulesFile,
    author: Annotated[str | None, typer.Option(help="Who wrote it (default: your user name)")] = None,
    comment: Annotated[str | None, typer.Option(help="Why this change")] = None,
) -> None:
    """Publish a ruleset as the new active version: refused unless it validates and its tests pass."""

    name = author or getpass.getuser()
    try:
        with session_scope(session_factory()) as session:
            ruleset = decision_service.publish_ruleset(
                session=session,
                text=file.read_text(encoding="utf-8"),
                source=file.name,
                author=name,
                actor=system_actor("cli"),
                comment=comment,
            )
            version, content_hash = ruleset.version, ruleset.content_hash
    except decision_service.RulesetRefused as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        err.print("[red]refused:[/red] nothing was published")
        raise typer.Exit(1) from exc
    except decision_service.PublishConflict as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"version": version, "content_hash": content_hash, "author": name}))
    err.print(f"published ruleset version {version} ({content_hash[:12]}); new tips route under it")


@rules_app.command("simulate")
def rules_simulate(
    file: RulesFile,
    since: Annotated[str, typer.Option(help="How far back: 30d, 12h, 2w")] = "30d",
    examples: Annotated[int, typer.Option(min=0, max=50, help="Changed decisions to show")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Re-route past decisions under a candidate ruleset and show what would change. Writes nothing."""

    cutoff = datetime.now(UTC) - parse_since(since)
    factory = session_factory()
    with factory() as session:
        session.connection(execution_options=READ_ONLY)
        try:
            result = decision_service.simulate(
                session=session,
                text=file.read_text(encoding="utf-8"),
                source=str(file),
                since=cutoff,
                examples=examples,
            )
        except decision_service.RulesetRefused as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(1) from exc
        finally:
            session.rollback()
    if as_json:
        typer.echo(result.model_dump_json())
        return
    current = f"version {result.active_version}" if result.active_version else "no published ruleset"
    typer.echo(f"candidate {file} ({result.candidate_hash[:12]}) against what {current} and earlier decided")
    typer.echo(f"decisions since {result.since:%Y-%m-%d %H:%M} UTC: {result.decisions}")
    typer.echo(f"would change: {result.changed}; review flag would change: {result.review_changed}")
    if result.moves:
        typer.echo("\nmoves (from → to)                                          decisions")
        for move in result.moves:
            label = f"{', '.join(move.from_targets) or '—'} → {', '.join(move.to_targets) or '—'}"
            typer.echo(f"  {label:<58} {move.count:>6}")
    if result.agencies_gained or result.agencies_lost:
        typer.echo(
            "\nby agency: "
            + ", ".join(
                [f"+{count} {agency}" for agency, count in result.agencies_gained.items()]
                + [f"-{count} {agency}" for agency, count in result.agencies_lost.items()]
            )
        )
    for example in result.examples:
        facts = {key: value for key, value in example.facts.items() if value not in (None, False)}
        typer.echo(f"\nexample decision {example.decision_id} (tip {example.tip_id})")
        typer.echo(f"  {', '.join(example.from_targets)} → {', '.join(example.to_targets)}")
        typer.echo(f"  facts: {json.dumps(facts)}")
    for problem in result.problems:
        typer.echo(f"\nwarning: {problem.file}:{problem.line}: {problem.message}")


@rules_app.command("list")
def rules_list(as_json: JsonOption = False) -> None:
    """Published versions, newest (active) first."""

    with session_factory()() as session:
        versions = decision_service.list_rulesets(session=session)
    if as_json:
        typer.echo(json.dumps([version.model_dump(mode="json") for version in versions]))
        return
    for version in versions:
        marker = "*" if version.active else " "
        published = f"{version.published_at:%Y-%m-%d %H:%M}"
        typer.echo(
            f"{marker} v{version.version:<4} {published} {version.content_hash[:12]} "
            f"{version.rule_count:>3} rules  {version.author}  ({version.source})"
        )


@rules_app.command("show")
def rules_show(version: Annotated[int, typer.Argument(help="A published version")]) -> None:
    """Print a published version's YAML exactly as it was published."""

    with session_factory()() as session:
        ruleset = decision_service.get_ruleset(session=session, version=version)
        if ruleset is None:
            err.print(f"[red]error:[/red] no ruleset version {version}")
            raise typer.Exit(1)
        typer.echo(ruleset.content, nl=False)


@directory_app.command("sync")
def directory_sync() -> None:
    """Load the shipped agency directory into the database (idempotent; contact details are kept)."""

    with session_scope(session_factory()) as session:
        result = agency_service.sync_directory(session=session, actor=system_actor("cli"))
    typer.echo(
        json.dumps(
            {
                "version": result.version,
                "created": result.created,
                "updated": result.updated,
                "deactivated": result.deactivated,
                "already_synced": result.already_synced,
            }
        )
    )


@directory_app.command("list")
def directory_list(
    kind: Annotated[str | None, typer.Option(help="cps, law_enforcement, victim_services, …")] = None,
    as_json: JsonOption = False,
) -> None:
    """The agencies routing can name."""

    with session_scope(session_factory()) as session:
        agency_service.sync_directory(session=session, actor=system_actor("cli"))
        found = agency_service.list_agencies(session=session, kind=kind)
        rows = [
            {
                "id": agency.id,
                "name": agency.name,
                "kind": agency.kind,
                "jurisdiction": agency.jurisdiction,
                "active": agency.active,
                "contact": agency.contact,
            }
            for agency in found
        ]
    for row in rows:
        typer.echo(json.dumps(row) if as_json else f"{row['id']:<14} {row['kind']:<16} {row['name']}")
