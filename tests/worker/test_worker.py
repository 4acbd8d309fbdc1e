"""The worker loop: jobs run when due, a failing job does not stop the others."""

from __future__ import annotations

import threading
from datetime import timedelta

from hotline.core.jobs import Job, WorkerContext
from hotline.worker import Worker
from hotline.worker.jobs import default_jobs


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _worker(settings, jobs, clock=None) -> Worker:
    context = WorkerContext(settings=settings, session_factory=None)  # type: ignore[arg-type]
    return Worker(context=context, jobs=jobs, poll_seconds=5.0, clock=clock or Clock())


def test_each_job_runs_when_it_is_due(settings):
    runs: list[str] = []
    clock = Clock()
    often = Job("often", timedelta(seconds=1), lambda context: runs.append("often") or 1)
    rarely = Job("rarely", timedelta(seconds=10), lambda context: runs.append("rarely") or 0)
    worker = _worker(settings, [often, rarely], clock)

    assert worker.run_due() == 1.0  # both ran; the next is due in a second
    clock.now += 1
    worker.run_due()
    clock.now += 1
    worker.run_due()
    clock.now += 8
    worker.run_due()
    assert runs == ["often", "rarely", "often", "often", "often", "rarely"]


def test_a_failing_job_is_logged_and_the_others_still_run(settings):
    def broken(context):
        raise RuntimeError("boom")

    ran = []
    worker = _worker(
        settings,
        [
            Job("broken", timedelta(seconds=1), broken),
            Job("fine", timedelta(seconds=1), lambda c: ran.append(1) or 1),
        ],
    )
    assert worker.run_once() == {"broken": None, "fine": 1}
    assert ran == [1]


def test_the_loop_stops_when_asked(settings):
    stop = threading.Event()
    runs = []

    def job(context):
        runs.append(1)
        stop.set()
        return 1

    _worker(settings, [Job("once", timedelta(seconds=60), job)]).run_forever(stop)
    assert runs == [1]


def test_the_default_jobs_include_triage_recovery_the_twilio_work_and_partner_delivery(settings):
    names = [job.name for job in default_jobs(settings)]
    assert names == [
        "triage-recovery",
        "twilio-sms-replies",
        "twilio-voicemail-transcripts",
        "webhook-deliveries",
        "webhook-sla-escalation",
        "webhook-endpoint-health",
    ]
