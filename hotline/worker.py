"""The background worker: one loop that runs periodic jobs (`hotline worker`).

A job is a function of the `WorkerContext` that does one bounded batch of work and returns how many items
it handled. Each runs when it is due (every `Job.every`); one job failing is logged and does not stop the
others. Jobs must be safe to run in several workers at once (claim rows with a lease or SKIP LOCKED).

To add a job, append a `Job` to `default_jobs` below.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.core.config import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    session_factory: sessionmaker[Session]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[WorkerContext], int]


def default_jobs(settings: Settings) -> list[Job]:
    """Every job `hotline worker` runs, in the order they run when several are due."""
    from hotline.triage import flows as triage_flows
    from integrations.twilio import jobs as twilio_jobs
    from integrations.webhooks import jobs as webhook_jobs

    poll = timedelta(seconds=settings.worker_poll_seconds)
    return [
        # Tips left 'received' by an interrupted process (also at startup: every job is due when the loop
        # starts, so a worker restarted after a crash finishes what the crash left).
        Job(
            "triage-recovery",
            timedelta(seconds=30),
            lambda context: triage_flows.triage_pending(
                session_factory=context.session_factory,
                older_than=timedelta(seconds=context.settings.triage_recovery_after_seconds),
            ),
        ),
        # SMS replies: the first try happens right after the webhook answers; this sends the rest.
        Job("twilio-sms-replies", poll, twilio_jobs.ReplySender()),
        Job("twilio-voicemail-transcripts", timedelta(seconds=60), twilio_jobs.triage_stale_voicemails),
        # Partner webhooks: always due; it sends for a few seconds at most, or waits briefly for new work.
        Job("webhook-deliveries", timedelta(0), webhook_jobs.DeliveryJob()),
        Job("webhook-sla-escalation", timedelta(seconds=15), webhook_jobs.escalate_overdue_referrals),
        Job("webhook-endpoint-health", timedelta(minutes=5), webhook_jobs.endpoint_health),
    ]


@dataclass
class Worker:
    context: WorkerContext
    jobs: list[Job]
    poll_seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _due: dict[str, float] = field(default_factory=dict)

    def run_job(self, job: Job) -> int | None:
        started = self.clock()
        try:
            handled = job.run(self.context)
        except Exception:
            log.exception("worker_job_failed", job=job.name)
            return None
        if handled:
            log.info(
                "worker_job_ran",
                job=job.name,
                handled=handled,
                duration_ms=round((self.clock() - started) * 1000),
            )
        return handled

    def run_once(self, jobs: Iterable[Job] | None = None) -> dict[str, int | None]:
        """Run every job (or the given ones) once, now; what each handled (None: it failed)."""
        return {job.name: self.run_job(job) for job in (jobs if jobs is not None else self.jobs)}

    def run_due(self) -> float:
        """Run the jobs that are due; return seconds until the next one is."""
        now = self.clock()
        for job in self.jobs:
            if self._due.get(job.name, now) <= now:
                self.run_job(job)
                self._due[job.name] = self.clock() + job.every.total_seconds()
        next_due = min(self._due.values(), default=now + self.poll_seconds)
        return max(0.0, min(next_due - self.clock(), self.poll_seconds))

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker_started", jobs=[job.name for job in self.jobs])
        while not stop.is_set():
            stop.wait(self.run_due())
        log.info("worker_stopped")


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (docker stop, systemd) and SIGINT finish the running job, then stop the loop."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
