"""Texts: sessions that make one tip, replies stored first and sent after, opt-out keywords, retries."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from sqlmodel import col, select

from hotline.core.audit.models import AuditEvent
from hotline.core.database import utcnow
from hotline.core.jobs import Job, WorkerContext
from hotline.tips.models import Tip, TipAttachment
from hotline.worker import Worker
from integrations.twilio import jobs as twilio_jobs
from integrations.twilio.models import SmsMessage, SmsOptOut, SmsSession
from integrations.twilio.prompts import texted
from tests.support.twilio import HOTLINE_NUMBER, advocate_key, sid, twiml

pytestmark = pytest.mark.committed

TEXTER = "+15125550177"
SPANISH_FIRST = (
    "Hola, necesito ayuda. Mi vecina de 15 años no va a la escuela y un señor la vende por internet."
)
SPANISH_SECOND = "Es en Houston, Texas. Ella tiene 15."


def _sms(body: str, *, message_sid: str | None = None, sender: str = TEXTER, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": message_sid or sid("SM"),
        "From": sender,
        "To": HOTLINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def _text(twilio, body: str, **kwargs) -> dict[str, str]:
    params = _sms(body, **kwargs)
    root = twiml(twilio.post("/twilio/sms", params))
    assert list(root) == []  # no inline reply: replies go out through the REST API
    return params


def _sms_tips(twilio) -> list[Tip]:
    with twilio.session() as session:
        tips = list(session.exec(select(Tip).where(Tip.channel == "sms").order_by(col(Tip.created_at))).all())
        for tip in tips:
            tip.attachments  # noqa: B018
        return tips


def _replies(twilio, *, status: str | None = None) -> list[SmsMessage]:
    with twilio.session() as session:
        query = (
            select(SmsMessage).where(SmsMessage.direction == "outbound").order_by(col(SmsMessage.created_at))
        )
        if status:
            query = query.where(SmsMessage.status == status)
        return list(session.exec(query).all())


def _age_session(twilio, minutes: int) -> None:
    with twilio.session() as session:
        for conversation in session.exec(select(SmsSession)).all():
            conversation.last_message_at -= timedelta(minutes=minutes)
        session.commit()


def _make_replies_due(twilio) -> None:
    with twilio.session() as session:
        for reply in session.exec(select(SmsMessage).where(SmsMessage.status == "pending")).all():
            reply.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.commit()


def _send_due(twilio) -> int | None:
    """What the worker's SMS job does on one pass."""
    context = WorkerContext(settings=twilio.settings, session_factory=twilio.db.session_factory)
    job = Job("twilio-sms-replies", timedelta(seconds=1), twilio_jobs.ReplySender())
    return Worker(context=context, jobs=[job]).run_once()["twilio-sms-replies"]


def test_a_whole_sms_conversation_makes_one_tip_acknowledged_once_in_spanish(twilio, fake_twilio):
    sent_params = [_text(twilio, SPANISH_FIRST)]

    # The first text: a tip in Spanish, triaged, and an acknowledgement asking where and how old.
    [tip] = _sms_tips(twilio)
    assert (tip.language, tip.status, tip.reporter_phone, tip.narrative) == (
        "es",
        "triaged",
        TEXTER,
        SPANISH_FIRST,
    )
    assert tip.external_id == sent_params[0]["MessageSid"]
    [ack] = fake_twilio.sent
    assert (ack.to, ack.form["From"], ack.body) == (TEXTER, HOTLINE_NUMBER, texted("es", "ack"))
    assert ack.form["StatusCallback"] == "https://hotline.example.org/twilio/sms/status"
    [reply] = _replies(twilio)
    assert (reply.kind, reply.status, reply.message_sid, reply.attempts) == ("ack", "sent", ack.sid, 1)

    # A second text with a photo, within the window: same tip, longer narrative, no second acknowledgement.
    media = {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/ME1",
        "MediaContentType0": "image/jpeg",
    }
    sent_params.append(_text(twilio, SPANISH_SECOND, **media))
    [tip] = _sms_tips(twilio)
    assert tip.narrative == f"{SPANISH_FIRST}\n\n{SPANISH_SECOND}"
    assert [(a.kind, a.url, a.content_type) for a in tip.attachments] == [
        ("media", "https://api.twilio.com/media/ME1", "image/jpeg")
    ]
    assert len(fake_twilio.sent) == 1
    assert (
        twilio.count(AuditEvent, AuditEvent.action == "tip.retriaged", AuditEvent.subject_id == str(tip.id))
        == 1
    )
    with twilio.session() as session:
        conversation = session.exec(select(SmsSession)).one()
        assert (conversation.message_count, conversation.language, conversation.tip_id) == (2, "es", tip.id)

    # Twilio retries every webhook: nothing is stored or sent twice.
    counts = (twilio.count(SmsMessage), twilio.count(Tip), twilio.count(TipAttachment), len(fake_twilio.sent))
    for params in sent_params:
        twiml(twilio.post("/twilio/sms", params))
    assert (
        twilio.count(SmsMessage),
        twilio.count(Tip),
        twilio.count(TipAttachment),
        len(fake_twilio.sent),
    ) == counts
    assert _sms_tips(twilio)[0].narrative == f"{SPANISH_FIRST}\n\n{SPANISH_SECOND}"

    # After a silence longer than the window, a new text is a new tip with its own acknowledgement.
    _age_session(twilio, twilio.settings.twilio_sms_session_minutes + 1)
    _text(twilio, "I remembered something else about the van, it is white with Oklahoma plates")
    tips = _sms_tips(twilio)
    assert len(tips) == 2 and tips[1].language == "en"
    assert [message.body for message in fake_twilio.sent] == [texted("es", "ack"), texted("en", "ack")]

    # The advocate sees it through the API like any tip.
    body = twilio.client.get(f"/api/v1/tips/{tips[0].id}", headers=advocate_key(twilio.db)).json()
    assert body["channel"] == "sms" and body["attachments"][0]["kind"] == "media"
    assert body["reporter"]["phone"] == TEXTER and body["case_id"] is not None


def test_an_english_text_gets_an_english_acknowledgement(twilio, fake_twilio):
    _text(twilio, "There's a girl at the motel on Route 9 who looks about 14, she never leaves the room.")
    assert [message.body for message in fake_twilio.sent] == [texted("en", "ack")]
    assert _sms_tips(twilio)[0].language == "en"


def test_a_photo_alone_starts_a_tip(twilio, fake_twilio):
    media = {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/ME2",
        "MediaContentType0": "image/png",
    }
    _text(twilio, "", **media)
    [tip] = _sms_tips(twilio)
    assert tip.narrative is None and tip.status == "triaged" and len(tip.attachments) == 1
    assert len(fake_twilio.sent) == 1


def test_stop_start_and_help_follow_twilios_opt_out_rules(twilio, fake_twilio):
    _text(twilio, "HELP")
    assert [message.body for message in fake_twilio.sent] == [texted("en", "help_reply")]
    assert _sms_tips(twilio) == []  # a keyword is not a tip

    _text(twilio, "Stop")
    with twilio.session() as session:
        assert session.exec(select(SmsOptOut)).one().opted_out
    # After STOP nothing is sent, whatever comes in; but what they text is still a tip.
    _text(twilio, "my cousin is being forced to work at a farm in Fresno, no pay")
    _text(twilio, "help")
    assert len(fake_twilio.sent) == 1
    [tip] = _sms_tips(twilio)
    assert tip.narrative.startswith("my cousin")
    assert len(_replies(twilio)) == 1  # only the first help reply was ever queued

    _text(twilio, "START")
    _text(twilio, "HELP")
    assert [message.body for message in fake_twilio.sent] == [texted("en", "help_reply")] * 2
    with twilio.session() as session:
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("sms.opted"))).all()
        actions = [event.action for event in events]
    assert actions == ["sms.opted_out", "sms.opted_in"]


def test_twilios_advanced_opt_out_classification_is_honoured(twilio, fake_twilio):
    # A keyword configured in the Messaging Service ("ALTO") arrives with OptOutType=STOP.
    _text(twilio, "ALTO", OptOutType="STOP")
    with twilio.session() as session:
        assert session.exec(select(SmsOptOut)).one().keyword == "ALTO"
    # With Advanced Opt-Out, Twilio itself answers HELP: we do not answer twice.
    _text(twilio, "AYUDA", OptOutType="HELP")
    assert fake_twilio.sent == []


def test_a_twilio_outage_loses_nothing_and_the_reply_is_retried_later(twilio, fake_twilio):
    raw = io.StringIO()
    # A handler that sees log records before any scrubbing: our own code must not log personal data.
    handler = logging.StreamHandler(raw)
    handler.setFormatter(logging.Formatter("%(message)s %(args)s"))
    logging.getLogger().addHandler(handler)
    try:
        fake_twilio.mode = "outage"
        _text(twilio, SPANISH_FIRST)
    finally:
        logging.getLogger().removeHandler(handler)

    [tip] = _sms_tips(twilio)
    assert tip.status == "triaged"  # the inbound tip is stored and triaged whatever Twilio does
    [reply] = _replies(twilio)
    assert (reply.status, reply.attempts, reply.last_error) == ("pending", 1, "twilio:20500")
    assert reply.next_attempt_at > utcnow()
    logged = raw.getvalue()
    assert "sms_reply_retry" in logged
    for secret in (SPANISH_FIRST, "vecina", texted("es", "ack")[:30], TEXTER, TEXTER[2:], "5550177"):
        assert secret not in logged

    # Not due yet: the worker leaves it. Once due and Twilio is back, it is sent.
    assert _send_due(twilio) == 0
    fake_twilio.mode = "ok"
    _make_replies_due(twilio)
    assert _send_due(twilio) == 1
    [reply] = _replies(twilio)
    assert (reply.status, reply.attempts) == ("sent", 2)
    assert [message.body for message in fake_twilio.sent] == [texted("es", "ack")]


def test_an_unreachable_twilio_is_retried_too(twilio, fake_twilio):
    fake_twilio.stop()  # connection refused
    _text(twilio, "someone is locked in a house on Elm street")
    [reply] = _replies(twilio)
    assert (reply.status, reply.last_error) == ("pending", "network")


def test_a_reply_is_given_up_after_the_last_attempt(twilio, fake_twilio):
    fake_twilio.mode = "outage"
    _text(twilio, "a boy sells candy for a man all night at the station")
    for _ in range(twilio.settings.twilio_sms_max_attempts - 1):
        _make_replies_due(twilio)
        _send_due(twilio)
    [reply] = _replies(twilio)
    assert (reply.status, reply.attempts) == ("failed", twilio.settings.twilio_sms_max_attempts)
    assert twilio.count(AuditEvent, AuditEvent.action == "sms.reply_failed") == 1


def test_a_stop_that_arrives_before_the_retry_cancels_the_reply(twilio, fake_twilio):
    fake_twilio.mode = "outage"
    _text(twilio, "my friend's boss took her passport")
    fake_twilio.mode = "ok"
    _text(twilio, "STOP")
    _make_replies_due(twilio)
    _send_due(twilio)
    assert fake_twilio.sent == []
    assert [reply.status for reply in _replies(twilio)] == ["suppressed"]


def test_twilios_unsubscribed_error_records_the_opt_out(twilio, fake_twilio):
    fake_twilio.mode = "unsubscribed"
    _text(twilio, "please help my sister, she is 16")
    [reply] = _replies(twilio)
    assert (reply.status, reply.last_error) == ("suppressed", "twilio:21610")
    with twilio.session() as session:
        assert session.exec(select(SmsOptOut)).one().opted_out


def test_delivery_reports_update_the_reply(twilio, fake_twilio):
    _text(twilio, "there are kids working at the construction site at night")
    [message] = fake_twilio.sent
    status = {"MessageSid": message.sid, "MessageStatus": "delivered", "To": TEXTER, "From": HOTLINE_NUMBER}
    assert twilio.post("/twilio/sms/status", status).status_code == 204
    assert _replies(twilio)[0].status == "delivered"
