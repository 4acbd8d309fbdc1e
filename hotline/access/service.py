"""Recording reads of victims' records, and answering "who viewed this case".

A handler records the read before it returns the data and commits it with its response: a read that could
not be recorded is not served.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlmodel import Session, col, select

from hotline.access.models import AccessLogEntry
from hotline.core.actor import Actor
from hotline.core.database import utcnow


@dataclass(frozen=True)
class Read:
    subject_type: str  # tip | case
    subject_id: uuid.UUID
    case_id: uuid.UUID | None


def record_reads(
    *, session: Session, actor: Actor, reads: Iterable[Read], via: str, kind: str = "view"
) -> int:
    """Add one access-log row per record read; the caller commits. Returns how many were added."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    now = utcnow()
    count = 0
    for read in reads:
        session.add(
            AccessLogEntry(
                occurred_at=now,
                actor_kind=actor.kind,
                actor_id=str(actor.id),
                actor_name=actor.name,
                actor_role=str(actor.role) if actor.role else None,
                subject_type=read.subject_type,
                subject_id=read.subject_id,
                case_id=read.case_id,
                kind=kind,
                via=via,
                request_id=request_id,
            )
        )
        count += 1
    session.flush()
    return count


def record_tip_read(
    *, session: Session, actor: Actor, tip_id: uuid.UUID, case_id: uuid.UUID | None, via: str
) -> None:
    record_reads(session=session, actor=actor, reads=[Read("tip", tip_id, case_id)], via=via)


def record_case_read(*, session: Session, actor: Actor, case_id: uuid.UUID, via: str) -> None:
    record_reads(session=session, actor=actor, reads=[Read("case", case_id, case_id)], via=via)


def reads_of_case(
    *, session: Session, case_id: uuid.UUID, before_id: int | None = None, limit: int = 200
) -> list[AccessLogEntry]:
    """Every recorded read of the case or of one of its tips, newest first."""
    query = select(AccessLogEntry).where(AccessLogEntry.case_id == case_id)
    if before_id is not None:
        query = query.where(col(AccessLogEntry.id) < before_id)
    return list(session.exec(query.order_by(col(AccessLogEntry.id).desc()).limit(limit)).all())


@dataclass(frozen=True)
class Viewer:
    actor_kind: str
    actor_id: str
    actor_name: str
    actor_role: str | None
    reads: int
    first_at: datetime
    last_at: datetime


def viewers_of_case(entries: list[AccessLogEntry]) -> list[Viewer]:
    """Who read the case, one line per person or key, most recent reader first."""
    by_actor: dict[tuple[str, str], list[AccessLogEntry]] = {}
    for entry in entries:
        by_actor.setdefault((entry.actor_kind, entry.actor_id), []).append(entry)
    viewers = [
        Viewer(
            actor_kind=kind,
            actor_id=actor_id,
            actor_name=group[0].actor_name,
            actor_role=group[0].actor_role,
            reads=len(group),
            first_at=min(entry.occurred_at for entry in group),
            last_at=max(entry.occurred_at for entry in group),
        )
        for (kind, actor_id), group in by_actor.items()
    ]
    return sorted(viewers, key=lambda viewer: viewer.last_at, reverse=True)
