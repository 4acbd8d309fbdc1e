"""The Twilio work the worker repeats (registered in `hotline/worker.py`)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlmodel import col, func, select

from hotline.core.jobs import WorkerContext
from integrations.twilio import client as twilio_client
from integrations.twilio import flows as twilio_flows
from integrations.twilio import replies as twilio_replies
from integrations.twilio.models import SmsMessage

log = structlog.get_logger(__name__)


class ReplySender:
    """Send queued SMS replies that are due (new, or waiting for a retry). One gateway per worker."""

    def __init__(self) -> None:
        self._gateway: twilio_client.SmsGateway | None = None
        self._configured: bool | None = None

    def __call__(self, context: WorkerContext) -> int:
        if self._configured is None:
            self._gateway = twilio_client.gateway_from_settings(context.settings)
            self._configured = self._gateway is not None
        if self._gateway is None:
            self._warn_if_waiting(context)
            return 0
        report = twilio_replies.send_due_replies(
            session_factory=context.session_factory, gateway=self._gateway, settings=context.settings
        )
        return report.handled

    def _warn_if_waiting(self, context: WorkerContext) -> None:
        with context.session_factory() as session:
            waiting = session.exec(
                select(func.count())
                .select_from(SmsMessage)
                .where(SmsMessage.status == "pending", col(SmsMessage.direction) == "outbound")
            ).one()
        if waiting:
            log.warning("sms_replies_waiting_for_twilio_credentials", pending=waiting)


def triage_stale_voicemails(context: WorkerContext) -> int:
    """Voicemails whose transcript never came are triaged from the recording alone."""
    wait = timedelta(seconds=context.settings.twilio_transcript_wait_seconds)
    return twilio_flows.triage_stale_voicemails(
        session_factory=context.session_factory, settings=context.settings, wait=wait
    )
