"""The SMS reply outbox: replies are stored with the inbound text, then sent here, after Twilio has had
its answer, and retried with backoff while Twilio cannot take them.

Nothing is sent to a number that opted out, whenever the STOP arrived. Failures are logged with the
message id and an error code, never the text or the number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.core import metrics
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import utcnow
from integrations.twilio import service as twilio_service
from integrations.twilio import twiml
from integrations.twilio.client import UNSUBSCRIBED_RECIPIENT, SmsGateway, SmsSendError
from integrations.twilio.flows import SMS_ACTOR
from integrations.twilio.models import SmsMessage

log = structlog.get_logger(__name__)

# A reply being sent is not picked up again for this long (a worker that died mid-send is retried after).
SEND_LEASE = timedelta(minutes=2)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        metrics.SMS_REPLIES.labels(outcome=outcome).inc()

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.suppressed


def send_due_replies(
    *,
    session_factory: sessionmaker[Session],
    gateway: SmsGateway | None,
    settings: Settings,
    only: list[uuid.UUID] | None = None,
    limit: int = 50,
) -> SendReport:
    """Send stored replies that are due; a failure is retried later with backoff, up to a limit."""
    report = SendReport()
    if gateway is None:
        return report
    with session_factory() as session:
        claimed = twilio_service.claim_due_replies(session=session, lease=SEND_LEASE, limit=limit, only=only)
    for reply_id in claimed:
        with session_factory() as session:
            _send_reply(session=session, gateway=gateway, settings=settings, reply_id=reply_id, report=report)
    return report


def _suppress(session: Session, reply: SmsMessage, reason: str) -> None:
    reply.status = "suppressed"
    audit_service.record(
        session,
        actor=SMS_ACTOR,
        action="sms.reply_suppressed",
        subject_type="sms_message",
        subject_id=reply.id,
        detail={"kind": reply.kind, "reason": reason},
    )


def _send_reply(
    *, session: Session, gateway: SmsGateway, settings: Settings, reply_id: uuid.UUID, report: SendReport
) -> None:
    reply = session.get(SmsMessage, reply_id)
    if reply is None or reply.status != "pending":
        return
    if twilio_service.is_opted_out(session=session, phone=reply.counterpart):
        # STOP arrived after the reply was queued: nothing more goes to this number.
        _suppress(session, reply, "opted_out")
        session.commit()
        report.count("suppressed")
        return
    to, from_, body = reply.counterpart, reply.hotline_number, reply.body or ""
    # No transaction (and on SQLite no write lock) is held while Twilio is called.
    session.rollback()
    try:
        message_sid = gateway.send_sms(
            to=to, from_=from_, body=body, status_callback=twiml.sms_status_url(settings.public_base_url)
        )
    except SmsSendError as exc:
        reply = session.get(SmsMessage, reply_id)
        assert reply is not None
        reply.last_error = exc.code
        if exc.twilio_code == UNSUBSCRIBED_RECIPIENT:
            # Twilio knows of a STOP we did not see (sent to another of our numbers, or before we ran).
            twilio_service.set_opt_out(
                session=session, phone=reply.counterpart, opted_out=True, keyword="TWILIO"
            )
            _suppress(session, reply, "twilio_unsubscribed")
            report.count("suppressed")
        elif exc.retryable and reply.attempts < settings.twilio_sms_max_attempts:
            delay = twilio_service.retry_delay(reply.attempts)
            reply.next_attempt_at = utcnow() + delay
            report.count("retrying")
            log.warning(
                "sms_reply_retry",
                message_id=str(reply.id),
                attempts=reply.attempts,
                error=exc.code,
                retry_in_seconds=int(delay.total_seconds()),
            )
        else:
            reply.status = "failed"
            report.count("failed")
            log.error("sms_reply_failed", message_id=str(reply.id), attempts=reply.attempts, error=exc.code)
            audit_service.record(
                session,
                actor=SMS_ACTOR,
                action="sms.reply_failed",
                subject_type="sms_message",
                subject_id=reply.id,
                detail={"kind": reply.kind, "error": exc.code, "attempts": reply.attempts},
            )
        session.commit()
        return
    reply = session.get(SmsMessage, reply_id)
    assert reply is not None
    reply.status, reply.message_sid, reply.sent_at, reply.last_error = "sent", message_sid, utcnow(), None
    audit_service.record(
        session,
        actor=SMS_ACTOR,
        action="sms.reply_sent",
        subject_type="sms_message",
        subject_id=reply.id,
        detail={"kind": reply.kind, "message_sid": message_sid, "attempts": reply.attempts},
    )
    session.commit()
    report.count("sent")


def reply_status_changed(
    *, session: Session, message_sid: str, message_status: str | None, error_code: str | None
) -> None:
    """Twilio's delivery report for one of our replies."""
    reply = twilio_service.find_message(session=session, message_sid=message_sid)
    if reply is None or reply.direction != "outbound":
        session.rollback()
        return
    if message_status == "delivered":
        reply.status = "delivered"
    elif message_status in {"undelivered", "failed"}:
        reply.status = "undelivered"
        reply.last_error = f"twilio:{error_code}" if error_code else message_status
        if error_code == str(UNSUBSCRIBED_RECIPIENT):
            twilio_service.set_opt_out(
                session=session, phone=reply.counterpart, opted_out=True, keyword="TWILIO"
            )
        audit_service.record(
            session,
            actor=SMS_ACTOR,
            action="sms.reply_undelivered",
            subject_type="sms_message",
            subject_id=reply.id,
            detail={"kind": reply.kind, "error": reply.last_error},
        )
    session.commit()
