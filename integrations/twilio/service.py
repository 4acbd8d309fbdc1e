"""Twilio's rows: calls, SMS sessions, messages and opt-outs; phone numbers, keywords and language.

Plain functions over a session; the flows in `flows.py` combine them with tips and triage.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import datetime, timedelta
from functools import lru_cache

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.core import crypto
from hotline.core.database import is_postgres, utcnow
from integrations.twilio.models import SmsMessage, SmsOptOut, SmsSession, TwilioCall

# What Twilio sends as From when the caller withheld their number (its "anonymous" pseudo-numbers).
WITHHELD_CALLER_IDS = frozenset(
    {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253", "anonymous", "restricted"}
)

# Twilio's opt-out rules: a message that is only one of these words (any case) opts the sender out, in or
# asks for help. https://help.twilio.com/articles/223134027
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
# Twilio's OptOutType field (Advanced Opt-Out) names the keyword class itself.
_OPT_OUT_TYPES = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}
_KEYWORD_PUNCTUATION = " \t\r\n.!¡?¿\"'"

# Spanish is chosen only when the detector is this sure; short or ambiguous texts stay English.
SPANISH_CONFIDENCE = 0.9

# Text the tip contract refuses (control characters other than tab and line breaks).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Numbers, words, language


def normalize_phone(raw: str | None) -> str | None:
    """A caller's or texter's number in E.164, or None when it is withheld or not a phone number."""
    if not raw or raw.strip().lower() in WITHHELD_CALLER_IDS:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_text(value: str | None) -> str | None:
    """A text as the tip contract accepts it: control characters removed, blank becomes None."""
    if value is None:
        return None
    value = _CONTROL.sub("", value).strip()
    return value or None


def keyword_of(body: str | None, opt_out_type: str | None) -> str | None:
    """'opt_out', 'opt_in' or 'help' when the text is one of Twilio's keywords, else None."""
    if opt_out_type and opt_out_type.upper() in _OPT_OUT_TYPES:
        return _OPT_OUT_TYPES[opt_out_type.upper()]
    word = (body or "").strip(_KEYWORD_PUNCTUATION).upper()
    if not word or " " in word:
        return None
    if word in OPT_OUT_KEYWORDS:
        return "opt_out"
    if word in OPT_IN_KEYWORDS:
        return "opt_in"
    if word in HELP_KEYWORDS:
        return "help"
    return None


@lru_cache(maxsize=1)
def _language_identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["en", "es"])
    return identifier


def detect_language(text: str | None) -> str:
    """'es' when a text is confidently Spanish, otherwise 'en'."""
    if not text or not any(ch.isalpha() for ch in text):
        return "en"
    language, confidence = _language_identifier().classify(text)
    return "es" if language == "es" and confidence >= SPANISH_CONFIDENCE else "en"


def lock(session: Session, key: str) -> None:
    """Serialise work on one call or one sender until the transaction ends, so that two callbacks arriving
    together (Twilio sends the recording action and the recording status at once; a texter sends two texts)
    cannot both create the tip. PostgreSQL: an advisory lock; SQLite: every writing transaction is serial."""
    if is_postgres(session):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


# Calls


def find_call(*, session: Session, call_sid: str) -> TwilioCall | None:
    return session.exec(select(TwilioCall).where(TwilioCall.call_sid == call_sid)).first()


def get_or_create_call(
    *, session: Session, call_sid: str, caller_raw: str | None, hotline_number: str | None
) -> tuple[TwilioCall, bool]:
    """The call's row, created on its first webhook; (call, created)."""
    call = find_call(session=session, call_sid=call_sid)
    if call is not None:
        return call, False
    call = TwilioCall(call_sid=call_sid, caller=normalize_phone(caller_raw), hotline_number=hotline_number)
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except IntegrityError:
        # Twilio retried while the first delivery was still being handled.
        existing = find_call(session=session, call_sid=call_sid)
        if existing is None:
            raise
        return existing, False
    return call, True


# SMS


def find_message(*, session: Session, message_sid: str) -> SmsMessage | None:
    return session.exec(select(SmsMessage).where(SmsMessage.message_sid == message_sid)).first()


def store_inbound(*, session: Session, message: SmsMessage) -> bool:
    """Insert a received text; False when its MessageSid is stored already (a retried webhook)."""
    if message.message_sid and find_message(session=session, message_sid=message.message_sid):
        return False
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        if message.message_sid and find_message(session=session, message_sid=message.message_sid):
            return False
        raise
    return True


def open_session_for(*, session: Session, sender: str, window: timedelta, now: datetime) -> SmsSession | None:
    """The sender's conversation if their last text was within the window."""
    return session.exec(
        select(SmsSession)
        .where(
            SmsSession.sender_hash == crypto.lookup_hash("phone", sender),
            col(SmsSession.last_message_at) >= now - window,
        )
        .order_by(col(SmsSession.last_message_at).desc())
        .limit(1)
    ).first()


def is_opted_out(*, session: Session, phone: str) -> bool:
    row = session.exec(
        select(SmsOptOut).where(SmsOptOut.phone_hash == crypto.lookup_hash("phone", phone))
    ).first()
    return bool(row and row.opted_out)


def set_opt_out(*, session: Session, phone: str, opted_out: bool, keyword: str) -> SmsOptOut:
    phone_hash = crypto.lookup_hash("phone", phone)
    row = session.exec(select(SmsOptOut).where(SmsOptOut.phone_hash == phone_hash)).first()
    if row is None:
        row = SmsOptOut(phone=phone, phone_hash=phone_hash, opted_out=opted_out, keyword=keyword)
    else:
        row.opted_out, row.keyword, row.changed_at = opted_out, keyword, utcnow()
    session.add(row)
    session.flush()
    return row


def queue_reply(*, session: Session, inbound: SmsMessage, kind: str, body: str, language: str) -> SmsMessage:
    """Store a reply to send after the response (and to retry); one of each kind per inbound text."""
    reply = SmsMessage(
        direction="outbound",
        session_id=inbound.session_id,
        reply_to_id=inbound.id,
        counterpart=inbound.counterpart,
        hotline_number=inbound.hotline_number,
        kind=kind,
        body=body,
        language=language,
        status="pending",
        next_attempt_at=utcnow(),
    )
    session.add(reply)
    session.flush()
    return reply


def claim_due_replies(
    *, session: Session, lease: timedelta, limit: int, only: list[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Take pending replies that are due, and commit. A claimed reply is not due again until the lease
    ends, so a worker that dies mid-send leaves it to be retried rather than lost."""
    now = utcnow()
    query = (
        select(SmsMessage)
        .where(
            SmsMessage.direction == "outbound",
            SmsMessage.status == "pending",
            col(SmsMessage.next_attempt_at) <= now,
        )
        .order_by(col(SmsMessage.next_attempt_at))
        .limit(limit)
    )
    if only is not None:
        query = query.where(col(SmsMessage.id).in_(only))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    claimed = list(session.exec(query).all())
    for reply in claimed:
        reply.attempts += 1
        reply.next_attempt_at = now + lease
    session.commit()
    return [reply.id for reply in claimed]


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff from 15 s, capped at an hour, with jitter so retries do not arrive in step."""
    base = min(15 * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def rehash_numbers(*, session: Session) -> int:
    """Compute the texters' lookup hashes again (after HOTLINE_MATCHING_KEY changed); rows updated."""
    updated = 0
    for conversation in session.exec(select(SmsSession)).all():
        conversation.sender_hash = crypto.lookup_hash("phone", conversation.sender)
        updated += 1
    for opt_out in session.exec(select(SmsOptOut)).all():
        opt_out.phone_hash = crypto.lookup_hash("phone", opt_out.phone)
        updated += 1
    session.flush()
    return updated
