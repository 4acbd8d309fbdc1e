"""`hotline serve` and `hotline worker`: the long-running processes."""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer

from hotline.cli.base import app, fail, load_settings, session_factory
from hotline.core.jobs import WorkerContext
from hotline.worker import Worker, stop_on_signals
from hotline.worker.jobs import default_jobs


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

    settings = load_settings()
    context = WorkerContext(settings=settings, session_factory=session_factory())
    runner = Worker(context=context, jobs=default_jobs(settings), poll_seconds=settings.worker_poll_seconds)
    if once:
        handled = runner.run_once()
        typer.echo(json.dumps(handled))
        if None in handled.values():
            raise fail("a job failed (see the log)")
        return
    stop = threading.Event()
    stop_on_signals(stop)
    runner.run_forever(stop)
