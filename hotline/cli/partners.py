"""`hotline partners …`: register partner webhook endpoints, list them, rotate secrets, enable again.

A secret is printed on stdout and nowhere else (`SECRET=$(hotline partners add …)` works); everything else
goes to stderr, or stdout as JSON with `list --json`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from hotline.cli.base import app, err, load_settings, session_factory
from hotline.core.actor import system_actor
from hotline.core.database import session_scope
from integrations.webhooks import service as webhook_service

partners_app = typer.Typer(help="Partner agencies' webhook endpoints.", no_args_is_help=True)
ACTOR = system_actor("cli")
app.add_typer(partners_app, name="partners")


AgencyArgument = Annotated[str, typer.Argument(help="The agency id, e.g. cps-tx (hotline directory list)")]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        help="Comma-separated tip fields to send, within the agency's agreement (default: all of it)"
    ),
]


def _fields(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value is not None else None


def _endpoint_or_exit(session, agency_id: str):  # type: ignore[no-untyped-def]

    endpoint = webhook_service.endpoint_for_agency(session=session, agency_id=agency_id)
    if endpoint is None:
        err.print(f"[red]error:[/red] {agency_id} has no webhook endpoint (hotline partners add)")
        raise typer.Exit(2)
    return endpoint


def _refused(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


@partners_app.command("add")
def partners_add(
    agency_id: AgencyArgument,
    url: Annotated[str, typer.Option(help="Where the partner receives webhooks (https:// in production)")],
    fields: FieldsOption = None,
) -> None:
    """Register an agency's webhook endpoint and print its signing secret (stdout, once)."""

    try:
        with session_scope(session_factory()) as session:
            endpoint, secret = webhook_service.register_endpoint(
                session=session,
                agency_id=agency_id,
                url=url,
                fields=_fields(fields),
                actor=ACTOR,
                settings=load_settings(),
            )
            [out] = webhook_service.endpoint_out(session, [endpoint])
    except webhook_service.Refused as exc:
        raise _refused(exc) from exc
    typer.echo(secret)
    err.print(f"endpoint {out.id} registered for {agency_id}: {url}")
    err.print(f"fields sent: {', '.join(out.effective_fields)}")
    err.print("give the secret above to the partner over a safe channel; it is not shown again")


@partners_app.command("list")
def partners_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
) -> None:
    """Every endpoint with its health (never its secret)."""

    with session_factory()() as session:
        endpoints = webhook_service.list_endpoints(session=session)
    for endpoint in endpoints:
        if as_json:
            typer.echo(endpoint.model_dump_json())
            continue
        health = (
            endpoint.status
            if endpoint.status == "disabled"
            else "failing"
            if endpoint.failing_since
            else "ok"
        )
        reason = f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else ""
        typer.echo(
            f"{endpoint.agency_id:<14} {health}{reason:<10} {endpoint.url}  pending {endpoint.pending}, "
            f"held {endpoint.held}, dead letters {endpoint.dead_letters}"
            + ("  [rotating]" if endpoint.rotating else "")
        )
    if not endpoints:
        err.print("no endpoints: hotline partners add AGENCY_ID --url URL")


@partners_app.command("rotate-secret")
def partners_rotate_secret(
    agency_id: AgencyArgument,
    grace_hours: Annotated[
        float | None,
        typer.Option(
            min=0, help="How long the old secret also signs (default HOTLINE_WEBHOOK_ROTATION_GRACE_HOURS)"
        ),
    ] = None,
) -> None:
    """A new secret for an endpoint (printed on stdout); the old one keeps signing during the grace period."""

    settings = load_settings()
    hours = grace_hours if grace_hours is not None else settings.webhook_rotation_grace_hours
    with session_scope(session_factory()) as session:
        endpoint = _endpoint_or_exit(session, agency_id)
        secret = webhook_service.rotate_secret(
            session=session, endpoint=endpoint, actor=ACTOR, grace=timedelta(hours=hours)
        )
    typer.echo(secret)
    err.print(f"new secret for {agency_id}; the old one also signs for {hours:g} hours")


@partners_app.command("update")
def partners_update(
    agency_id: AgencyArgument,
    url: Annotated[str | None, typer.Option(help="A new URL")] = None,
    fields: FieldsOption = None,
    all_fields: Annotated[
        bool, typer.Option("--all-fields", help="Send every field the agreement allows")
    ] = False,
) -> None:
    """Change an endpoint's URL or the fields it receives."""

    try:
        with session_scope(session_factory()) as session:
            endpoint = _endpoint_or_exit(session, agency_id)
            webhook_service.update_endpoint(
                session=session,
                endpoint=endpoint,
                url=url,
                fields=_fields(fields),
                clear_fields=all_fields,
                actor=ACTOR,
                settings=load_settings(),
            )
            [out] = webhook_service.endpoint_out(session, [endpoint])
    except webhook_service.Refused as exc:
        raise _refused(exc) from exc
    typer.echo(json.dumps({"agency_id": out.agency_id, "url": out.url, "fields": out.effective_fields}))


@partners_app.command("enable")
def partners_enable(agency_id: AgencyArgument) -> None:
    """Enable a disabled endpoint again; what it held is sent by the next worker run."""

    with session_scope(session_factory()) as session:
        endpoint = _endpoint_or_exit(session, agency_id)
        released = webhook_service.enable_endpoint(session=session, endpoint=endpoint, actor=ACTOR)
    err.print(f"{agency_id} enabled; {released} held deliveries will be sent")
