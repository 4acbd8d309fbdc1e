"""The background worker: one loop that runs periodic jobs (`hotline worker`).

A job (`hotline.core.jobs.Job`) is a function of the `WorkerContext` that does one bounded batch of work and
returns how many items it handled. Each runs when it is due (every `Job.every`); one job failing is logged and
does not stop the others. Jobs must be safe to run in several workers at once (claim rows with a lease or SKIP
LOCKED). The list of jobs is in one place: `hotline.worker.jobs`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog

from hotline.core.jobs import Job, WorkerContext

log = structlog.get_logger(__name__)


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
