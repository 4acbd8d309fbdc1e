"""Writing and verifying the audit chain.

Flows call `record(...)` next to what they do. Events wait on the session and are chained when it commits:
the chain lock is then held only for the last insert and the commit, not for the whole unit of work, and an
event is never written for work that was rolled back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlmodel import Session, select

from hotline.core.actor import Actor
from hotline.core.audit.models import GENESIS_HASH, AuditEvent
from hotline.core.database import utcnow

_PENDING_KEY = "hotline_audit_pending"
# Any constant identifies the chain's advisory lock on PostgreSQL.
_CHAIN_LOCK_ID = 0x68_6F_74_6C_69_6E_65  # "hotline"


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: Any,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue an audit event on the session; it is chained and written when the session commits."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    # Begin the transaction now, so that a rollback (which only fires inside one) drops the event.
    session.connection()
    pending: list[AuditEvent] = session.info.setdefault(_PENDING_KEY, [])
    pending.append(
        AuditEvent(
            occurred_at=utcnow(),
            actor_kind=actor.kind,
            actor_id=str(actor.id),
            actor_name=actor.name,
            actor_role=str(actor.role) if actor.role else None,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            detail=_jsonable(detail or {}),
            request_id=request_id,
            prev_hash="",
            hash="",
        )
    )


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(detail, default=str))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def event_hash(audit_event: AuditEvent | sa.Row[Any], prev_hash: str) -> str:
    """The hash covers who, what, when and a digest of the change, chained to the previous event."""
    detail_digest = hashlib.sha256(_canonical(audit_event.detail)).hexdigest()
    body = {
        "prev_hash": prev_hash,
        "occurred_at": _timestamp(audit_event.occurred_at),
        "actor": [
            audit_event.actor_kind,
            audit_event.actor_id,
            audit_event.actor_name,
            audit_event.actor_role,
        ],
        "action": audit_event.action,
        "subject": [audit_event.subject_type, audit_event.subject_id],
        "request_id": audit_event.request_id,
        "detail_sha256": detail_digest,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
    # SQLite: every transaction here began with BEGIN IMMEDIATE, so it already holds the only write lock.


def _last_hash(session: Session) -> str:
    last = session.exec(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    return last or GENESIS_HASH


@event.listens_for(Session, "before_commit")
def _chain_pending_events(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    session.flush()
    _lock_chain(session)
    prev_hash = _last_hash(session)
    for audit_event in pending:
        audit_event.prev_hash = prev_hash
        audit_event.hash = event_hash(audit_event, prev_hash)
        prev_hash = audit_event.hash
        session.add(audit_event)
        # Insert one by one so ids follow the chain order.
        session.flush()


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_events(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str | None = None


def verify_chain(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from the first event; name the first event whose links or contents do not hold."""
    table = AuditEvent.__table__
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        # Plain rows, not ORM objects: the chain can be long and nothing here is changed.
        batch = session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)
        ).all()
        if not batch:
            return ChainReport(ok=True, checked=checked)
        for row in batch:
            if row.prev_hash != prev_hash:
                return ChainReport(False, checked, row.id, "prev_hash does not match the previous event")
            if event_hash(row, prev_hash) != row.hash:
                return ChainReport(False, checked, row.id, "contents do not match the stored hash")
            prev_hash = row.hash
            checked += 1
            last_id = row.id


def events_for(session: Session, *, subject_type: str, subject_id: Any) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
    )
