"""Personal data over time: re-encrypting under a new data key, and the retention policy.

Retention removes what identifies people once it is no longer needed (docs/operations/privacy.md);
counts, decisions and the audit trail stay.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hotline.cases.models import Case, CaseTip
from hotline.core import crypto
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import encrypted_columns, utcnow
from hotline.decisions.models import RoutingDecision, RoutingOverride
from hotline.matching.models import MatchDecision, MatchKey
from hotline.referrals.models import Referral
from hotline.tips.models import Tip, TipAttachment, TipPerson, TipSearchKey
from integrations.twilio.models import SmsMessage, SmsSession, TwilioCall
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery

# Key rotation


@dataclass
class Rotation:
    key_id: str
    # (table, column) → values re-encrypted
    reencrypted: dict[str, int] = field(default_factory=dict)
    # Values still under another key after the run (0 when it succeeded: the old keys can be removed).
    remaining: int = 0

    @property
    def total(self) -> int:
        return sum(self.reencrypted.values())


def _raw_column(table: str, column: str) -> Any:
    # A lightweight table whose column is plain text: reads and writes the stored ciphertext as it is.
    return sa.table(table, sa.column("id", sa.Uuid()), sa.column(column, sa.Text()))


def _not_current(target: Any, column: str, keyring: crypto.Keyring) -> Any:
    value = target.c[column]
    return sa.and_(value.is_not(None), ~value.startswith(f"{crypto.PREFIX}:{keyring.current_id}:"))


def rotate_data_key(
    *, session: Session, keyring: crypto.Keyring, actor: Actor, batch_size: int = 500
) -> Rotation:
    """Re-encrypt every personal value not under the keyring's current key, a batch at a time (each batch
    committed, so a long run can be interrupted and started again). Audited with counts only."""
    rotation = Rotation(key_id=keyring.current_id)
    for table, column in encrypted_columns():
        target = _raw_column(table, column)
        done, last = 0, None
        while True:
            query = (
                sa.select(target.c.id, target.c[column])
                .where(_not_current(target, column, keyring))
                .order_by(target.c.id)
                .limit(batch_size)
            )
            if last is not None:
                query = query.where(target.c.id > last)
            rows = session.execute(query).all()
            if not rows:
                break
            for row_id, stored in rows:
                session.execute(
                    sa.update(target)
                    .where(target.c.id == row_id)
                    .values({column: keyring.encrypt(keyring.decrypt(stored))})
                )
            session.commit()
            done += len(rows)
            last = rows[-1][0]
        if done:
            rotation.reencrypted[f"{table}.{column}"] = done
    for table, column in encrypted_columns():
        target = _raw_column(table, column)
        rotation.remaining += session.execute(
            sa.select(sa.func.count()).select_from(target).where(_not_current(target, column, keyring))
        ).scalar_one()
    audit_service.record(
        session,
        actor=actor,
        action="data_key.rotated",
        subject_type="data_key",
        subject_id=keyring.current_id,
        detail={
            "reencrypted": rotation.total,
            "columns": rotation.reencrypted,
            "remaining": rotation.remaining,
        },
    )
    session.commit()
    return rotation


# Retention

REMOVED = "[removed by retention]"


@dataclass(frozen=True)
class RetentionRule:
    name: str
    description: str
    days: int  # 0: the rule is off

    @property
    def after(self) -> str:
        if self.days <= 0:
            return "off"
        return f"{self.days // 365} years" if self.days % 365 == 0 else f"{self.days} days"


@dataclass
class RetentionResult:
    dry_run: bool
    # rule name → rows it changed (or would change)
    counts: dict[str, int]
    rules: list[RetentionRule]


def rules_from(settings: Settings) -> list[RetentionRule]:
    return [
        RetentionRule(
            "recordings",
            "voicemail recordings and MMS media: the attachment (its URL) is deleted",
            settings.retention_recording_days,
        ),
        RetentionRule(
            "transcripts",
            "voicemail transcripts (a phone tip's narrative) are removed",
            settings.retention_transcript_days,
        ),
        RetentionRule(
            "hang_ups",
            "hang-ups (no voicemail, no case): the contact and its call are deleted",
            settings.retention_hang_up_days,
        ),
        RetentionRule(
            "closed_cases",
            "closed cases are anonymised: personal data, match and search keys go; decisions and counts stay",
            settings.retention_closed_case_years * 365,
        ),
    ]


def _recordings(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    return list(session.exec(select(TipAttachment.id).where(col(TipAttachment.created_at) < cutoff)).all())


def _transcripts(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(Tip.id).where(
                Tip.channel == "phone",
                col(Tip.narrative).is_not(None),
                col(Tip.received_at) < cutoff,
                col(Tip.id).in_(select(TwilioCall.tip_id)),
            )
        ).all()
    )


def _hang_ups(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(Tip.id).where(
                Tip.status == "contact",
                Tip.contact_outcome == "hang_up",
                col(Tip.received_at) < cutoff,
                ~col(Tip.id).in_(select(CaseTip.tip_id)),
                ~col(Tip.id).in_(select(Referral.tip_id)),
                ~col(Tip.id).in_(select(RoutingDecision.tip_id)),
            )
        ).all()
    )


def _closed_cases(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(Case.id).where(
                Case.status == "closed",
                col(Case.closed_at) < cutoff,
                col(Case.anonymised_at).is_(None),
            )
        ).all()
    )


def _drop_recordings(session: Session, ids: list[uuid.UUID]) -> None:
    for chunk in _chunks(ids):
        session.execute(sa.delete(TipAttachment).where(col(TipAttachment.id).in_(chunk)))


def _drop_transcripts(session: Session, ids: list[uuid.UUID]) -> None:
    for tip in _tips(session, ids):
        tip.narrative = None
        tip.triage = _without_quotes(tip.triage)


def _delete_hang_ups(session: Session, ids: list[uuid.UUID]) -> None:
    for chunk in _chunks(ids):
        session.execute(sa.delete(TwilioCall).where(col(TwilioCall.tip_id).in_(chunk)))
        session.execute(sa.delete(Tip).where(col(Tip.id).in_(chunk)))


def _anonymise_cases(session: Session, case_ids: list[uuid.UUID], now: datetime) -> None:
    for chunk in _chunks(case_ids):
        tip_ids = list(session.exec(select(CaseTip.tip_id).where(col(CaseTip.case_id).in_(chunk))).all())
        for tip in _tips(session, tip_ids):
            tip.narrative = tip.location_address = None
            tip.reporter_name = tip.reporter_phone = tip.reporter_email = None
            tip.triage = _without_quotes(tip.triage)
        for person in session.exec(select(TipPerson).where(col(TipPerson.tip_id).in_(tip_ids))).all():
            person.name = person.dob = person.phone = person.email = person.address = None
            person.aliases = []
        session.execute(sa.delete(TipAttachment).where(col(TipAttachment.tip_id).in_(tip_ids)))
        session.execute(sa.delete(TipSearchKey).where(col(TipSearchKey.tip_id).in_(tip_ids)))
        session.execute(sa.delete(MatchKey).where(col(MatchKey.case_id).in_(chunk)))
        for call in session.exec(select(TwilioCall).where(col(TwilioCall.tip_id).in_(tip_ids))).all():
            call.caller = None
        conversations = session.exec(select(SmsSession).where(col(SmsSession.tip_id).in_(tip_ids))).all()
        for conversation in conversations:
            conversation.sender, conversation.sender_hash = REMOVED, 0
        conversation_ids = [conversation.id for conversation in conversations]
        for message in session.exec(
            select(SmsMessage).where(col(SmsMessage.session_id).in_(conversation_ids))
        ).all():
            message.counterpart, message.body = REMOVED, None
        referral_ids = list(session.exec(select(Referral.id).where(col(Referral.tip_id).in_(tip_ids))).all())
        for referral in session.exec(select(Referral).where(col(Referral.id).in_(referral_ids))).all():
            if referral.ack_reason:
                referral.ack_reason = REMOVED
        # What was sent to partners held the tip's allowed fields: only the fact of the delivery stays.
        delivery_ids = select(WebhookDelivery.id).where(col(WebhookDelivery.referral_id).in_(referral_ids))
        session.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.referral_id).in_(referral_ids))
            .values(body=crypto.encrypt("{}"))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            sa.update(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
            .values(response_excerpt=None)
            .execution_options(synchronize_session=False)
        )
        for decision in session.exec(
            select(MatchDecision).where(
                sa.or_(col(MatchDecision.case_id).in_(chunk), col(MatchDecision.tip_id).in_(tip_ids))
            )
        ).all():
            decision.reason = REMOVED
        decision_ids = select(RoutingDecision.id).where(col(RoutingDecision.tip_id).in_(tip_ids))
        for override in session.exec(
            select(RoutingOverride).where(col(RoutingOverride.decision_id).in_(decision_ids))
        ).all():
            override.reason = REMOVED
        for case in session.exec(select(Case).where(col(Case.id).in_(chunk))).all():
            case.anonymised_at = now


def _without_quotes(triage: dict[str, Any] | None) -> dict[str, Any] | None:
    """The triage result without the narrative text its evidence quotes (statuses, spans and reasons stay)."""
    if not triage:
        return triage
    result = dict(triage)
    for key in ("minor",):
        part = result.get(key)
        if isinstance(part, dict) and isinstance(part.get("evidence"), list):
            result[key] = {**part, "evidence": [_unquoted(item) for item in part["evidence"]]}
    for key in ("trafficking_type_evidence", "urgency_evidence"):
        if isinstance(result.get(key), list):
            result[key] = [_unquoted(item) for item in result[key]]
    return result


def _unquoted(item: Any) -> Any:
    return {**item, "text": ""} if isinstance(item, dict) and "text" in item else item


def _tips(session: Session, ids: list[uuid.UUID]) -> Iterable[Tip]:
    for chunk in _chunks(ids):
        yield from session.exec(select(Tip).where(col(Tip.id).in_(chunk))).all()


def _chunks(ids: list[uuid.UUID], size: int = 500) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def apply_retention(
    *, session: Session, settings: Settings, actor: Actor, dry_run: bool, now: datetime | None = None
) -> RetentionResult:
    """Apply (or, dry, count) every rule that is on. A real run commits and writes one audit event with the
    counts per rule (never what was removed)."""
    now = now or utcnow()
    rules = rules_from(settings)
    finders = {
        "recordings": _recordings,
        "transcripts": _transcripts,
        "hang_ups": _hang_ups,
        "closed_cases": _closed_cases,
    }
    counts: dict[str, int] = {}
    for rule in rules:
        if rule.days <= 0:
            continue
        ids = finders[rule.name](session, now - timedelta(days=rule.days))
        counts[rule.name] = len(ids)
        if dry_run or not ids:
            continue
        if rule.name == "recordings":
            _drop_recordings(session, ids)
        elif rule.name == "transcripts":
            _drop_transcripts(session, ids)
        elif rule.name == "hang_ups":
            _delete_hang_ups(session, ids)
        else:
            _anonymise_cases(session, ids, now)
        session.flush()
    if dry_run:
        session.rollback()
    else:
        audit_service.record(
            session,
            actor=actor,
            action="retention.applied",
            subject_type="retention",
            subject_id="policy",
            detail={"counts": counts, "days": {rule.name: rule.days for rule in rules}},
        )
        session.commit()
    return RetentionResult(dry_run=dry_run, counts=counts, rules=rules)
