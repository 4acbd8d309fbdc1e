"""Storing and reading tips. Storing is idempotent on (channel, external_id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hotline.audit import service as audit_service
from hotline.auth.models import Actor
from hotline.database import utcnow
from hotline.ops import metrics
from hotline.tips.models import Tip, TipPerson
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
    metrics.TIPS_RECEIVED.labels(channel=tip.channel).inc()
    detail = {"channel": tip.channel, "external_id": tip.external_id, "persons": len(tip.persons)}
    if tip.status != "received" or tip.contact_outcome:
        detail.update(status=tip.status, contact_outcome=tip.contact_outcome)
    audit_service.record(
        session, actor=actor, action="tip.created", subject_type="tip", subject_id=tip.id, detail=detail
    )
    return tip, True


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
