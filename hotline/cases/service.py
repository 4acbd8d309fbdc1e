"""Opening cases, placing tips in them, and reading them back."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hotline.cases.models import Case, CaseOut, CasePage, CaseSummary, CaseTip, JurisdictionOut
from hotline.core import pagination
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.database import utcnow
from hotline.tips import service as tip_service
from hotline.tips.models import Tip
from routing.facts import MINOR_STATUS_SEVERITY, URGENCY_SEVERITY

MAX_PAGE_SIZE = 100


InvalidCursor = pagination.InvalidCursor


def open_case_for_tip(*, session: Session, tip: Tip, actor: Actor, action: str = "new") -> Case:
    case = Case(
        state=tip.location_state if tip.location_country == "US" else None, county=tip.location_county
    )
    session.add(case)
    session.flush()
    link_tip(session=session, case=case, tip=tip, action=action, score=None, actor=actor)
    audit_service.record(
        session,
        actor=actor,
        action="case.created",
        subject_type="case",
        subject_id=case.id,
        detail={"tip_id": str(tip.id)},
    )
    return case


def link_tip(
    *, session: Session, case: Case, tip: Tip, action: str, score: float | None, actor: Actor
) -> CaseTip:
    """Place a tip in a case, replacing whatever case it was in."""
    link = session.exec(select(CaseTip).where(CaseTip.tip_id == tip.id)).first()
    if link is None:
        link = CaseTip(case_id=case.id, tip_id=tip.id, action=action, score=score, linked_by=actor.ref)
    else:
        link.case_id, link.action, link.score = case.id, action, score
        link.linked_at, link.linked_by = utcnow(), actor.ref
    session.add(link)
    case.updated_at = utcnow()
    session.flush()
    return link


def case_id_for_tip(*, session: Session, tip_id: uuid.UUID) -> uuid.UUID | None:
    return session.exec(select(CaseTip.case_id).where(CaseTip.tip_id == tip_id)).first()


def absorb_triage(
    case: Case, *, minor_status: str, urgency: str, state: str | None, county: str | None
) -> None:
    """A case shows the most protective reading of its tips: the worst minor status, the highest urgency."""
    if (
        case.minor_status is None
        or MINOR_STATUS_SEVERITY[minor_status] > MINOR_STATUS_SEVERITY[case.minor_status]
    ):
        case.minor_status = minor_status
    if case.urgency is None or URGENCY_SEVERITY[urgency] > URGENCY_SEVERITY[case.urgency]:
        case.urgency = urgency
    if case.state is None and state:
        case.state, case.county = state, county
    case.updated_at = utcnow()


def tips_of_case(*, session: Session, case_id: uuid.UUID) -> list[Tip]:
    return list(
        session.exec(
            select(Tip)
            .join(CaseTip, col(CaseTip.tip_id) == col(Tip.id))
            .where(CaseTip.case_id == case_id)
            .order_by(col(Tip.received_at), col(Tip.id))
        ).all()
    )


def _summary(case: Case, tip_count: int) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        status=case.status,  # type: ignore[arg-type]
        merged_into_id=case.merged_into_id,
        jurisdiction=JurisdictionOut(state=case.state, county=case.county),
        minor_status=case.minor_status,
        urgency=case.urgency,
        tip_count=tip_count,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def get_case_out(*, session: Session, case_id: uuid.UUID) -> CaseOut | None:
    case = session.get(Case, case_id)
    if case is None:
        return None
    tips = tips_of_case(session=session, case_id=case.id)
    summary = _summary(case, len(tips))
    return CaseOut(
        **summary.model_dump(), tips=[tip_service.to_tip_out(tip, case_id=case.id) for tip in tips]
    )


def list_cases(
    *,
    session: Session,
    status: str | None = None,
    state: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
    minor_status: str | None = None,
    urgency: str | None = None,
    case_ids: list[uuid.UUID] | None = None,
) -> CasePage:
    """Newest first, keyset-paginated on (created_at, id) so pages stay stable while tips arrive."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    tip_count = (
        select(func.count()).where(CaseTip.case_id == Case.id).correlate(Case).scalar_subquery()  # type: ignore[arg-type]
    )
    query = select(Case, tip_count)
    if status:
        query = query.where(Case.status == status)
    if state:
        query = query.where(Case.state == state)
    if minor_status:
        query = query.where(Case.minor_status == minor_status)
    if urgency:
        query = query.where(Case.urgency == urgency)
    if case_ids is not None:
        query = query.where(col(Case.id).in_(case_ids))
    if created_from:
        query = query.where(col(Case.created_at) >= created_from)
    if created_to:
        query = query.where(col(Case.created_at) < created_to)
    page, next_cursor = pagination.keyset_page(
        session,
        query,
        at=col(Case.created_at),
        row_id=col(Case.id),
        cursor=cursor,
        limit=limit,
        entity=lambda row: row[0],
    )
    return CasePage(items=[_summary(case, count) for case, count in page], next_cursor=next_cursor)


MAX_SEARCH_MATCHES = 500


def search_case_ids(*, session: Session, text: str) -> list[uuid.UUID]:
    """Cases a person at the desk may mean by `text`: an id (or its first characters), a tip's reference,
    a name of someone on a tip (any part, any case), or a phone number (by its digits)."""
    text = text.strip()
    if not text:
        return []
    matches: list[uuid.UUID] = []
    hex_text = text.lower().replace("-", "")
    if 6 <= len(hex_text) <= 32 and all(ch in "0123456789abcdef" for ch in hex_text):
        matches.extend(
            session.exec(
                select(Case.id)
                .where(sa.cast(col(Case.id), sa.String).like(_id_prefix(session, hex_text) + "%"))
                .limit(20)
            ).all()
        )
    # Names and phones are encrypted: they are found through the tips' keyed search hashes.
    conditions = [col(CaseTip.tip_id).in_(select(Tip.id).where(func.lower(Tip.external_id) == text.lower()))]
    person_tips = tip_service.tips_matching(name=text)
    if person_tips is not None:
        conditions.append(col(CaseTip.tip_id).in_(person_tips))
    phone_tips = tip_service.tips_matching(phone_digits="".join(ch for ch in text if ch.isdigit()))
    if phone_tips is not None:
        conditions.append(col(CaseTip.tip_id).in_(phone_tips))
    for case_id in session.exec(select(CaseTip.case_id).where(sa.or_(*conditions)).distinct()).all():
        if case_id not in matches:
            matches.append(case_id)
    return matches[:MAX_SEARCH_MATCHES]


def _id_prefix(session: Session, hex_text: str) -> str:
    # SQLite keeps a UUID as 32 hex digits; PostgreSQL's uuid casts to text in the dashed form.
    if session.get_bind().dialect.name != "postgresql":
        return hex_text
    dashed = ""
    for position, char in enumerate(hex_text):
        if position in {8, 12, 16, 20}:
            dashed += "-"
        dashed += char
    return dashed
