"""Storing and reading tips. Storing is idempotent on (channel, external_id)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.core import crypto, metrics
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.database import utcnow
from hotline.tips.models import Tip, TipPerson, TipSearchKey
from hotline.tips.schemas import AttachmentOut, LocationOut, PersonOut, ReporterOut, TipIn, TipOut


def find_by_external_id(*, session: Session, channel: str, external_id: str) -> Tip | None:
    return session.exec(select(Tip).where(Tip.channel == channel, Tip.external_id == external_id)).first()


def get_tip(*, session: Session, tip_id: uuid.UUID) -> Tip | None:
    return session.get(Tip, tip_id)


def build_tip(*, tip_in: TipIn, actor: Actor, received_at: datetime | None = None) -> Tip:
    location = tip_in.location
    reporter = tip_in.reporter
    tip = Tip(
        external_id=tip_in.external_id,
        channel=tip_in.channel,
        received_at=tip_in.received_at or received_at or datetime.now(UTC),
        language=tip_in.language or "en",
        narrative=tip_in.narrative,
        location_address=location.address if location else None,
        location_city=location.city if location else None,
        location_county=location.county if location else None,
        location_state=location.state if location else None,
        location_zip=location.zip if location else None,
        location_country=(location.country if location else None) or "US",
        reporter_name=reporter.name if reporter else None,
        reporter_phone=reporter.phone if reporter else None,
        reporter_email=reporter.email if reporter else None,
        reporter_relationship=reporter.relationship if reporter else None,
        reporter_anonymous=reporter.anonymous if reporter else False,
        trafficking_type=tip_in.trafficking_type,
        immediate_danger=tip_in.immediate_danger,
        consent_to_report=tip_in.consent_to_report,
        created_by=actor.ref,
    )
    tip.persons = [
        TipPerson(position=position, **person.model_dump()) for position, person in enumerate(tip_in.persons)
    ]
    return tip


def create_tip(*, session: Session, tip_in: TipIn, actor: Actor) -> tuple[Tip, bool]:
    """Store a tip unless its external_id was seen before on that channel; return (tip, created)."""
    # store_tip looks the external_id up first (building the unsaved tip costs no query).
    return store_tip(session=session, tip=build_tip(tip_in=tip_in, actor=actor), actor=actor)


def store_tip(*, session: Session, tip: Tip, actor: Actor) -> tuple[Tip, bool]:
    """Insert a tip built by a channel (the contract's `create_tip`, or an integration whose record is not a
    contract tip, such as a missed call); idempotent on (channel, external_id). Returns (tip, created)."""
    if tip.external_id:
        existing = find_by_external_id(session=session, channel=tip.channel, external_id=tip.external_id)
        if existing is not None:
            return existing, False
    try:
        with session.begin_nested():
            session.add(tip)
            session.flush()
    except IntegrityError:
        # The same external_id arrived concurrently and the other request stored it first.
        if tip.external_id:
            existing = find_by_external_id(session=session, channel=tip.channel, external_id=tip.external_id)
            if existing is not None:
                return existing, False
        raise
    file_search_keys(session=session, tip=tip)
    metrics.TIPS_RECEIVED.labels(channel=tip.channel).inc()
    detail = {"channel": tip.channel, "external_id": tip.external_id, "persons": len(tip.persons)}
    if tip.status != "received" or tip.contact_outcome:
        detail.update(status=tip.status, contact_outcome=tip.contact_outcome)
    audit_service.record(
        session, actor=actor, action="tip.created", subject_type="tip", subject_id=tip.id, detail=detail
    )
    return tip, True


# Search by name and phone while both are encrypted: each tip files keyed hashes of the words of its persons'
# names and aliases (and their first letters, from three on, so "mari" finds Maria), and of every run of seven
# digits of its phones (a number typed with or without its area code, in any format, still matches).
MIN_PREFIX = 3
PHONE_RUN = 7
_WORD = re.compile(r"\w+")


def _name_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(ch for ch in folded if not unicodedata.combining(ch)))


def name_search_terms(text: str) -> list[str]:
    words: list[str] = []
    for word in _name_words(text):
        words.extend(word[:length] for length in range(MIN_PREFIX, len(word)))
        words.append(word)
    return words


def phone_search_terms(phone: str) -> list[str]:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return [digits[start : start + PHONE_RUN] for start in range(len(digits) - PHONE_RUN + 1)]


def search_hashes(tip: Tip) -> set[int]:
    hashes: set[int] = set()
    for person in tip.persons:
        for name in [person.name or "", *(person.aliases or [])]:
            hashes.update(crypto.lookup_hash("name", term) for term in name_search_terms(name))
        if person.phone:
            hashes.update(crypto.lookup_hash("phone7", term) for term in phone_search_terms(person.phone))
    if tip.reporter_phone:
        hashes.update(crypto.lookup_hash("phone7", term) for term in phone_search_terms(tip.reporter_phone))
    return hashes


def file_search_keys(*, session: Session, tip: Tip) -> int:
    """(Re)file the tip's search keys; the number filed."""
    session.execute(sa.delete(TipSearchKey).where(col(TipSearchKey.tip_id) == tip.id))
    rows = [{"key_hash": key_hash, "tip_id": tip.id} for key_hash in search_hashes(tip)]
    if rows:
        session.execute(sa.insert(TipSearchKey), rows)
    return len(rows)


def tips_matching(*, name: str | None = None, phone_digits: str | None = None) -> sa.Select | None:
    """Ids of tips with a person named with every word of `name` (whole words or first letters), or with a
    phone holding the last seven of `phone_digits`; None when the text gives nothing to look for."""
    if phone_digits is not None:
        if len(phone_digits) < PHONE_RUN:
            return None
        hashes = [crypto.lookup_hash("phone7", phone_digits[-PHONE_RUN:])]
    else:
        hashes = sorted({crypto.lookup_hash("name", word) for word in _name_words(name or "")})
    if not hashes:
        return None
    return (
        select(TipSearchKey.tip_id)
        .where(col(TipSearchKey.key_hash).in_(hashes))
        .group_by(col(TipSearchKey.tip_id))
        .having(sa.func.count(sa.distinct(TipSearchKey.key_hash)) == len(hashes))
    )


def refile_all_search_keys(*, session: Session, batch_size: int = 500) -> int:
    """File every tip's search keys again (after HOTLINE_MATCHING_KEY changed); the number of tips."""
    done, last = 0, None
    while True:
        query = select(Tip).order_by(col(Tip.id)).limit(batch_size)
        if last is not None:
            query = query.where(col(Tip.id) > last)
        batch = list(session.exec(query).all())
        if not batch:
            return done
        for tip in batch:
            file_search_keys(session=session, tip=tip)
        done += len(batch)
        last = batch[-1].id
        session.commit()
        session.expunge_all()


def mark_updated(tip: Tip) -> None:
    tip.updated_at = utcnow()


def to_tip_out(tip: Tip, *, case_id: uuid.UUID | None) -> TipOut:
    return TipOut(
        id=tip.id,
        external_id=tip.external_id,
        channel=tip.channel,  # type: ignore[arg-type]
        received_at=tip.received_at,
        language=tip.language,
        narrative=tip.narrative,
        location=LocationOut(
            address=tip.location_address,
            city=tip.location_city,
            county=tip.location_county,
            state=tip.location_state,
            zip=tip.location_zip,
            country=tip.location_country,
        ),
        reporter=ReporterOut(
            name=tip.reporter_name,
            phone=tip.reporter_phone,
            email=tip.reporter_email,
            relationship=tip.reporter_relationship,
            anonymous=tip.reporter_anonymous,
        ),
        persons=[PersonOut.model_validate(person, from_attributes=True) for person in tip.persons],
        trafficking_type=tip.trafficking_type,  # type: ignore[arg-type]
        immediate_danger=tip.immediate_danger,
        consent_to_report=tip.consent_to_report,
        status=tip.status,  # type: ignore[arg-type]
        case_id=case_id,
        triage=tip.triage,
        contact_outcome=tip.contact_outcome,  # type: ignore[arg-type]
        attachments=[
            AttachmentOut.model_validate(attachment, from_attributes=True) for attachment in tip.attachments
        ],
        created_at=tip.created_at,
        created_by=tip.created_by,
    )
