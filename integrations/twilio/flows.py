"""Calls and texts become tips through the same pipeline as API tips (`create_tip` → commit → `triage_tip`).

Everything is stored and committed before triage runs or a reply is sent (`replies.py` sends), so a
crash, a triage failure or a Twilio outage never loses what a caller or texter gave us. Twilio retries its
callbacks; each is keyed by Twilio's ids (CallSid, RecordingSid, TranscriptionSid, MessageSid), so a replay
changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from hotline.core import crypto
from hotline.core.actor import Actor, system_actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import is_postgres, utcnow
from hotline.intake import flows as intake_flows
from hotline.tips import service as tip_service
from hotline.tips.models import Tip, TipAttachment
from hotline.tips.schemas import MAX_NARRATIVE_CHARS, ReporterIn, TipIn
from integrations.twilio import prompts
from integrations.twilio import service as twilio_service
from integrations.twilio.models import SmsMessage, SmsSession, TwilioCall

log = structlog.get_logger(__name__)

VOICE_ACTOR = Actor(kind="twilio", id="voice", name="voice")
SMS_ACTOR = Actor(kind="twilio", id="sms", name="sms")
SWEEP_ACTOR = system_actor("voicemail-sweep")

# Twilio's CallStatus values that mean the call is over.
ENDED_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "canceled", "failed"})
# Twilio transcribes recordings of this length only; others are triaged at once, without waiting.
TRANSCRIBABLE_SECONDS = range(2, 121)


# Shared steps


def _fit(narrative: str) -> str:
    return narrative[:MAX_NARRATIVE_CHARS]


def _append(narrative: str | None, text: str) -> str:
    return _fit(f"{narrative}\n\n{text}" if narrative else text)


def _new_tip(
    *,
    session: Session,
    channel: str,
    external_id: str,
    language: str,
    narrative: str | None,
    reporter_phone: str | None,
    received_at: datetime,
    actor: Actor,
    status: str = "received",
    contact_outcome: str | None = None,
) -> tuple[Tip, bool]:
    """A tip with content goes through the tip contract (`create_tip`); a record with nothing to validate
    (a voicemail awaiting its transcript, a missed call) is stored as built."""
    if narrative and status == "received":
        tip_in = TipIn(
            channel=channel,  # type: ignore[arg-type]
            external_id=external_id,
            received_at=received_at,
            language=language,
            narrative=_fit(narrative),
            reporter=ReporterIn(phone=reporter_phone) if reporter_phone else None,
        )
        return tip_service.create_tip(session=session, tip_in=tip_in, actor=actor)
    tip = Tip(
        channel=channel,
        external_id=external_id,
        received_at=received_at,
        language=language,
        narrative=_fit(narrative) if narrative else None,
        reporter_phone=reporter_phone,
        status=status,
        contact_outcome=contact_outcome,
        created_by=actor.ref,
    )
    return tip_service.store_tip(session=session, tip=tip, actor=actor)


def _attach(
    *,
    session: Session,
    tip: Tip,
    kind: str,
    url: str,
    external_id: str,
    actor: Actor,
    content_type: str | None = None,
    duration_seconds: int | None = None,
) -> bool:
    """Attach a file reference once; False when this external_id is attached already (a replay)."""
    known = session.exec(select(TipAttachment.id).where(TipAttachment.external_id == external_id)).first()
    if known is not None:
        return False
    tip.attachments.append(
        TipAttachment(
            kind=kind,
            url=url,
            external_id=external_id,
            content_type=content_type,
            duration_seconds=duration_seconds,
        )
    )
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="tip.attachment_added",
        subject_type="tip",
        subject_id=tip.id,
        detail={"kind": kind, "external_id": external_id, "duration_seconds": duration_seconds},
    )
    return True


def _locked_tip(session: Session, tip_id: uuid.UUID) -> Tip | None:
    """The tip re-read under a row lock (PostgreSQL), so a callback and the sweep do not both move it."""
    query = select(Tip).where(Tip.id == tip_id).execution_options(populate_existing=True)
    if is_postgres(session):
        query = query.with_for_update()
    return session.exec(query).first()


def _assess_again(*, session: Session, settings: Settings, tip: Tip, actor: Actor, reason: str) -> None:
    """After a tip's content grew: triage it if it never was, else re-assess it. Failures are logged; the
    content is committed already and the tip keeps its previous assessment."""
    if tip.status == "received":
        intake_flows.triage_committed_tip(session=session, settings=settings, tip=tip, actor=actor)
        return
    if tip.status != "triaged":
        return
    try:
        intake_flows.retriage_tip(session=session, settings=settings, tip=tip, actor=actor, reason=reason)
    except Exception:
        session.rollback()
        log.exception("retriage_failed", tip_id=str(tip.id))


def _tip_of_call(session: Session, call: TwilioCall) -> Tip | None:
    if call.tip_id is not None:
        return session.get(Tip, call.tip_id)
    return tip_service.find_by_external_id(session=session, channel="phone", external_id=call.call_sid)


# Voice


@dataclass(frozen=True)
class CallRef:
    """What every voice webhook says about the call."""

    call_sid: str
    caller: str | None = None
    hotline_number: str | None = None


def _call(session: Session, ref: CallRef) -> TwilioCall:
    twilio_service.lock(session, f"call:{ref.call_sid}")
    call, created = twilio_service.get_or_create_call(
        session=session, call_sid=ref.call_sid, caller_raw=ref.caller, hotline_number=ref.hotline_number
    )
    if created:
        audit_service.record(
            session,
            actor=VOICE_ACTOR,
            action="twilio.call_received",
            subject_type="twilio_call",
            subject_id=call.id,
            detail={"call_sid": call.call_sid, "caller_id_withheld": call.caller is None},
        )
    return call


def call_started(*, session: Session, ref: CallRef) -> TwilioCall:
    call = _call(session, ref)
    session.commit()
    return call


def language_chosen(*, session: Session, ref: CallRef, language: str) -> None:
    call = _call(session, ref)
    call.language, call.updated_at = language, utcnow()
    session.commit()


def advocate_dial_finished(*, session: Session, ref: CallRef, dial_status: str | None) -> None:
    call = _call(session, ref)
    call.dial_status, call.updated_at = (dial_status or "unknown")[:16], utcnow()
    session.commit()


def voicemail_recorded(
    *,
    session: Session,
    settings: Settings,
    ref: CallRef,
    language: str,
    recording_sid: str | None,
    recording_url: str | None,
    duration_seconds: int | None,
    actor: Actor = VOICE_ACTOR,
) -> Tip | None:
    """Store the voicemail's tip with its recording (from the Record action or the recording status
    callback, whichever comes first). It waits for its transcript unless Twilio will not transcribe it."""
    if not recording_sid or not recording_url or duration_seconds == 0:
        return None
    call = _call(session, ref)
    tip = _tip_of_call(session, call)
    transcribable = duration_seconds is None or duration_seconds in TRANSCRIBABLE_SECONDS
    waiting_status = "transcribing" if transcribable else "received"
    if tip is None:
        tip, _ = _new_tip(
            session=session,
            channel="phone",
            external_id=call.call_sid,
            language=language,
            narrative=None,
            reporter_phone=call.caller,
            received_at=call.created_at,
            actor=actor,
            status=waiting_status,
            contact_outcome="voicemail",
        )
    elif tip.status == "contact":
        # The call's end was reported before its recording: the missed contact is a voicemail after all.
        tip.status, tip.contact_outcome = waiting_status, "voicemail"
        tip_service.mark_updated(tip)
    _attach(
        session=session,
        tip=tip,
        kind="recording",
        url=recording_url,
        external_id=recording_sid,
        actor=actor,
        duration_seconds=duration_seconds,
    )
    call.tip_id, call.language, call.updated_at = tip.id, call.language or language, utcnow()
    session.commit()
    intake_flows.triage_committed_tip(session=session, settings=settings, tip=tip, actor=actor)
    return tip


def transcription_received(
    *,
    session: Session,
    settings: Settings,
    ref: CallRef,
    language: str,
    recording_sid: str | None,
    recording_url: str | None,
    transcription_sid: str | None,
    transcription_status: str | None,
    text: str | None,
    actor: Actor = VOICE_ACTOR,
) -> Tip | None:
    """The transcript becomes the narrative and the voicemail is triaged; a failed transcription triages
    it from the recording alone. A transcript arriving after the sweep triaged the tip re-assesses it."""
    # The recording callbacks may not have arrived (or never will): the transcription names the recording.
    voicemail_recorded(
        session=session,
        settings=settings,
        ref=ref,
        language=language,
        recording_sid=recording_sid,
        recording_url=recording_url,
        duration_seconds=None,
        actor=actor,
    )
    call = _call(session, ref)
    found = _tip_of_call(session, call)
    if found is None:
        session.commit()
        log.warning("transcription_without_voicemail", call_id=str(call.id))
        return None
    if transcription_sid and call.transcription_sid == transcription_sid:
        session.commit()
        return found
    tip = _locked_tip(session, found.id)
    assert tip is not None
    call.transcription_sid, call.updated_at = transcription_sid, utcnow()
    transcript = twilio_service.clean_text(text) if transcription_status == "completed" else None
    if transcript:
        tip.narrative = _append(tip.narrative, transcript)
    before = tip.status
    if tip.status == "transcribing":
        tip.status = "received"
    tip_service.mark_updated(tip)
    audit_service.record(
        session,
        actor=actor,
        action="tip.transcript_received",
        subject_type="tip",
        subject_id=tip.id,
        detail={
            "transcription_sid": transcription_sid,
            "status": transcription_status,
            "characters": len(transcript or ""),
            "tip_status_before": before,
        },
    )
    session.commit()
    if before == "transcribing" or transcript:
        _assess_again(session=session, settings=settings, tip=tip, actor=actor, reason="voicemail transcript")
    return tip


def call_ended(
    *, session: Session, ref: CallRef, call_status: str | None, actor: Actor = VOICE_ACTOR
) -> Tip | None:
    """At the end of a call without a voicemail, keep a contact record: a hang-up, or a call an advocate
    took. Returns the call's tip, if it has one."""
    call = _call(session, ref)
    call.status, call.updated_at = (call_status or "unknown")[:16], utcnow()
    if call_status not in ENDED_CALL_STATUSES:
        session.commit()
        return None
    call.ended_at = call.ended_at or utcnow()
    tip = _tip_of_call(session, call)
    if tip is None:
        tip, _ = _new_tip(
            session=session,
            channel="phone",
            external_id=call.call_sid,
            language=call.language or "en",
            narrative=None,
            reporter_phone=call.caller,
            received_at=call.created_at,
            actor=actor,
            status="contact",
            contact_outcome="answered" if call.dial_status == "completed" else "hang_up",
        )
        call.tip_id = tip.id
    session.commit()
    return tip


def triage_stale_voicemails(
    *, session_factory: sessionmaker[Session], settings: Settings, wait: timedelta, limit: int = 100
) -> int:
    """Voicemails whose transcript did not come within `wait` are triaged from the recording alone."""
    cutoff = utcnow() - wait
    with session_factory() as session:
        tip_ids = session.exec(
            select(Tip.id)
            .where(Tip.status == "transcribing", col(Tip.updated_at) < cutoff)
            .order_by(col(Tip.updated_at))
            .limit(limit)
        ).all()
    done = 0
    for tip_id in tip_ids:
        with session_factory() as session:
            tip = _locked_tip(session, tip_id)
            if tip is None or tip.status != "transcribing":
                continue
            waited = int((utcnow() - tip.updated_at).total_seconds())
            tip.status = "received"
            tip_service.mark_updated(tip)
            audit_service.record(
                session,
                actor=SWEEP_ACTOR,
                action="tip.transcript_timed_out",
                subject_type="tip",
                subject_id=tip.id,
                detail={"waited_seconds": waited},
            )
            session.commit()
            intake_flows.triage_committed_tip(session=session, settings=settings, tip=tip, actor=SWEEP_ACTOR)
            done += 1
    return done


# SMS


@dataclass
class SmsReceipt:
    tip: Tip | None = None
    replies: list[uuid.UUID] = field(default_factory=list)
    duplicate: bool = False


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str | None = None


def receive_sms(
    *,
    session: Session,
    settings: Settings,
    message_sid: str,
    sender: str | None,
    hotline_number: str | None,
    body: str | None,
    media: Sequence[Media] = (),
    opt_out_type: str | None = None,
    actor: Actor = SMS_ACTOR,
) -> SmsReceipt:
    """Store a text: a keyword changes who may be texted; content starts or joins the sender's session tip.
    Replies are queued (not sent) here; the caller sends them after answering Twilio."""
    phone = twilio_service.normalize_phone(sender)
    counterpart = phone or (sender or "").strip() or "unknown"
    twilio_service.lock(session, f"sms:{counterpart}")
    text = twilio_service.clean_text(body)
    keyword = twilio_service.keyword_of(text, opt_out_type)
    inbound = SmsMessage(
        direction="inbound",
        message_sid=message_sid,
        counterpart=counterpart,
        hotline_number=hotline_number,
        kind=keyword or "content",
        body=text,
        media_count=len(media),
        status="received",
    )
    if not twilio_service.store_inbound(session=session, message=inbound):
        session.rollback()
        return SmsReceipt(duplicate=True)

    if keyword in {"opt_out", "opt_in"}:
        opted_out = keyword == "opt_out"
        word = (text or opt_out_type or "").upper()[:16]
        twilio_service.set_opt_out(session=session, phone=counterpart, opted_out=opted_out, keyword=word)
        audit_service.record(
            session,
            actor=actor,
            action="sms.opted_out" if opted_out else "sms.opted_in",
            subject_type="sms_message",
            subject_id=inbound.id,
            detail={"keyword": word, "message_sid": message_sid},
        )
        session.commit()
        return SmsReceipt()

    now = utcnow()
    opted_out = twilio_service.is_opted_out(session=session, phone=counterpart)
    window = timedelta(minutes=settings.twilio_sms_session_minutes)
    conversation = twilio_service.open_session_for(
        session=session, sender=counterpart, window=window, now=now
    )

    if keyword == "help":
        language = conversation.language if conversation else "en"
        inbound.language = language
        receipt = SmsReceipt()
        # With Advanced Opt-Out (OptOutType set) Twilio has answered HELP itself; an opted-out texter gets
        # nothing at all.
        if not opted_out and not opt_out_type:
            reply = twilio_service.queue_reply(
                session=session,
                inbound=inbound,
                kind="help_reply",
                body=prompts.texted(language, "help_reply"),
                language=language,
            )
            receipt.replies.append(reply.id)
        session.commit()
        return receipt

    created = conversation is None
    if conversation is None:
        language = twilio_service.detect_language(text)
        tip, _ = _new_tip(
            session=session,
            channel="sms",
            external_id=message_sid,
            language=language,
            narrative=text,
            reporter_phone=phone,
            received_at=now,
            actor=actor,
        )
        conversation = SmsSession(
            sender=counterpart,
            sender_hash=crypto.lookup_hash("phone", counterpart),
            hotline_number=hotline_number,
            tip_id=tip.id,
            language=language,
            started_at=now,
            last_message_at=now,
        )
        session.add(conversation)
        session.flush()
    else:
        found = _locked_tip(session, conversation.tip_id)
        assert found is not None
        tip = found
        if text:
            tip.narrative = _append(tip.narrative, text)
            tip_service.mark_updated(tip)
    for index, item in enumerate(media):
        _attach(
            session=session,
            tip=tip,
            kind="media",
            url=item.url,
            external_id=f"{message_sid}/{index}",
            actor=actor,
            content_type=item.content_type,
        )
    conversation.last_message_at = now
    conversation.message_count += 1
    inbound.session_id, inbound.language = conversation.id, conversation.language
    audit_service.record(
        session,
        actor=actor,
        action="sms.received",
        subject_type="sms_message",
        subject_id=inbound.id,
        detail={
            "message_sid": message_sid,
            "session_id": str(conversation.id),
            "tip_id": str(tip.id),
            "new_session": created,
            "characters": len(text or ""),
            "media": len(media),
        },
    )
    receipt = SmsReceipt(tip=tip)
    if created and not opted_out:
        ack = twilio_service.queue_reply(
            session=session,
            inbound=inbound,
            kind="ack",
            body=prompts.texted(conversation.language, "ack"),
            language=conversation.language,
        )
        receipt.replies.append(ack.id)
    session.commit()
    if created:
        intake_flows.triage_committed_tip(session=session, settings=settings, tip=tip, actor=actor)
    elif text or media:
        _assess_again(session=session, settings=settings, tip=tip, actor=actor, reason="sms session message")
    return receipt
