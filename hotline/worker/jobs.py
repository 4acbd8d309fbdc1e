"""Every job `hotline worker` runs, in one place. To add a job, append a `Job` to `default_jobs`."""

from __future__ import annotations

from datetime import timedelta

from hotline.core.config import Settings
from hotline.core.jobs import Job, WorkerContext
from hotline.intake import flows as intake_flows
from hotline.referrals import service as referral_service
from integrations.twilio import jobs as twilio_jobs
from integrations.webhooks import jobs as webhook_jobs


def escalate_overdue_referrals(context: WorkerContext) -> int:
    """Referrals past their SLA without an acknowledgement: escalated, supervisors alerted."""
    with context.session_factory() as session:
        return referral_service.escalate_overdue(session=session, settings=context.settings)


def default_jobs(settings: Settings) -> list[Job]:
    """Every job `hotline worker` runs, in the order they run when several are due."""
    poll = timedelta(seconds=settings.worker_poll_seconds)
    return [
        # Tips left 'received' by an interrupted process (also at startup: every job is due when the loop
        # starts, so a worker restarted after a crash finishes what the crash left).
        Job(
            "triage-recovery",
            timedelta(seconds=30),
            lambda context: intake_flows.triage_pending(
                session_factory=context.session_factory,
                settings=context.settings,
                older_than=timedelta(seconds=context.settings.triage_recovery_after_seconds),
            ),
        ),
        # SMS replies: the first try happens right after the webhook answers; this sends the rest.
        Job("twilio-sms-replies", poll, twilio_jobs.ReplySender()),
        Job("twilio-voicemail-transcripts", timedelta(seconds=60), twilio_jobs.triage_stale_voicemails),
        # Partner webhooks: always due; it sends for a few seconds at most, or waits briefly for new work.
        Job("webhook-deliveries", timedelta(0), webhook_jobs.DeliveryJob()),
        # (named before referrals had a domain of their own; the name is what operators monitor)
        Job("webhook-sla-escalation", timedelta(seconds=15), escalate_overdue_referrals),
        Job("webhook-endpoint-health", timedelta(minutes=5), webhook_jobs.endpoint_health),
    ]
