"""`hotline cases …`: the case export and likely duplicates."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from hotline.cli.base import app, err, load_settings, session_factory
from hotline.core.actor import system_actor
from hotline.core.audit import service as audit_service
from hotline.core.database import session_scope
from hotline.matching import service as matching_service
from hotline.reports import service as report_service

cases_app = typer.Typer(help="Cases.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@cases_app.command("export")
def cases_export(
    format_: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")] = ExportFormat.jsonl,
) -> None:
    """One case a line: case_id, status, tip_external_ids, minor_status, jurisdiction, routing targets."""

    count = 0
    with session_scope(session_factory()) as session:
        writer = None
        for row in report_service.export_rows(session=session):
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

    settings = load_settings()
    with session_scope(session_factory()) as session:
        if reindex:
            filed = matching_service.reindex(session=session, settings=settings)
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
            matching_service.likely_duplicates(session=session, settings=settings, min_score=min_score),
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
