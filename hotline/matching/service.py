"""Dedup: place each tip in the case it reports, explain why, and let supervisors correct it.

`place_tip` runs inside the triage transaction: it files the tip under its blocking keys, finds candidate
cases by those keys (an index lookup, never a scan), scores each candidate field by field, and links the tip,
opens a review, or opens a new case. On PostgreSQL, transaction-scoped advisory locks on the tip's keys
serialise tips that could match each other, so two reports of one child arriving together end in one case;
SQLite transactions here already take the single write lock up front (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from hotline.cases import service as case_service
from hotline.cases.models import Case, CaseTip
from hotline.core import pagination
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import is_postgres, utcnow
from hotline.matching import blocking, normalize, scoring
from hotline.matching.models import (
    CandidateOut,
    CaseCandidate,
    CaseMatch,
    DecisionOut,
    MatchDecision,
    MatchKey,
    MatchReview,
    ReviewOut,
    ReviewPage,
)
from hotline.tips.models import Tip, TipPerson
from routing.facts import MINOR_STATUS_SEVERITY, URGENCY_SEVERITY

log = structlog.get_logger(__name__)

# Advisory locks of dedup live in their own namespace (the two-int form), apart from the audit chain's.
_LOCK_NAMESPACE = 0x6D61_7463  # "matc"
# Scoring reads at most this many of a candidate case's tips, the most recent first.
MAX_TIPS_PER_CANDIDATE = 25
MAX_CANDIDATES_SHOWN = 5
MIN_SCORE_SHOWN = 0.01
MAX_MERGE_HOPS = 20
MAX_PAGE_SIZE = 100


class MatchingError(Exception):
    """A request the current state does not allow; `status` is the HTTP status that says so."""

    status = 409


class NotFound(MatchingError):
    status = 404


class InvalidRequest(MatchingError):
    status = 422


class InvalidCursor(InvalidRequest):
    pass


@dataclass(slots=True)
class ScoredCandidate:
    case_id: uuid.UUID
    comparison: scoring.Comparison
    shared_keys: list[str] = field(default_factory=list)

    def as_candidate(self) -> CaseCandidate:
        return CaseCandidate(
            case_id=self.case_id,
            score=round(self.comparison.score, 4),
            fields=self.comparison.fields,
            weights=self.comparison.weights,
        )


@dataclass(slots=True)
class MatchOutcome:
    """What matching concluded for a tip, before anything is written."""

    action: str  # linked | review | new
    candidates: list[ScoredCandidate]
    index_keys: list[blocking.BlockingKey]
    lookup_keys: list[blocking.BlockingKey]
    skipped_keys: int = 0

    @property
    def best(self) -> ScoredCandidate | None:
        return self.candidates[0] if self.candidates else None


def _secret(settings: Settings) -> bytes:
    return settings.matching_key.get_secret_value().encode()


# Reading candidate cases


@dataclass(slots=True)
class _StoredTip:
    """The parts of a stored tip that matching reads, loaded as columns (not whole rows)."""

    received_at: datetime
    location_address: str | None
    location_city: str | None
    location_state: str | None
    location_zip: str | None
    location_country: str
    persons: list[Any] = field(default_factory=list)


def _one_of(session: Session, column: Any, ids: Sequence[uuid.UUID]) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one statement text for any number of ids, so the
    server plans it once (a prepared statement) instead of for every length of list."""
    if is_postgres(session):
        return column == sa.any_(
            sa.cast(sa.bindparam("ids", list(ids), type_=ARRAY(sa.Uuid())), ARRAY(sa.Uuid()))
        )
    return column.in_(list(ids))


def case_profiles(
    session: Session,
    case_ids: Sequence[uuid.UUID],
    *,
    exclude_tip_id: uuid.UUID | None = None,
    max_tips: int | None = MAX_TIPS_PER_CANDIDATE,
) -> dict[uuid.UUID, normalize.Profile]:
    """Profiles of the given cases from their most recent tips (all of them with max_tips=None) and those
    tips' persons."""
    if not case_ids:
        return {}
    recent = (
        select(
            col(CaseTip.case_id).label("case_id"),
            col(Tip.id).label("tip_id"),
            Tip.received_at,
            Tip.location_address,
            Tip.location_city,
            Tip.location_state,
            Tip.location_zip,
            Tip.location_country,
            sa.func.row_number()
            .over(partition_by=CaseTip.case_id, order_by=(col(Tip.received_at).desc(), col(Tip.id)))
            .label("rank"),
        )
        .join(CaseTip, col(CaseTip.tip_id) == col(Tip.id))
        .where(_one_of(session, col(CaseTip.case_id), case_ids))
    )
    if exclude_tip_id is not None:
        recent = recent.where(col(Tip.id) != exclude_tip_id)
    recent_tips = recent.subquery()
    query = sa.select(recent_tips)
    if max_tips is not None:
        query = query.where(recent_tips.c.rank <= max_tips)
    rows = session.execute(query).all()
    tips: dict[uuid.UUID, tuple[uuid.UUID, _StoredTip]] = {}
    for row in rows:
        tips[row.tip_id] = (
            row.case_id,
            _StoredTip(
                received_at=row.received_at,
                location_address=row.location_address,
                location_city=row.location_city,
                location_state=row.location_state,
                location_zip=row.location_zip,
                location_country=row.location_country,
            ),
        )
    if tips:
        persons = session.execute(
            sa.select(
                TipPerson.tip_id,
                TipPerson.role,
                TipPerson.name,
                TipPerson.aliases,
                TipPerson.age,
                TipPerson.age_min,
                TipPerson.age_max,
                TipPerson.dob,
                TipPerson.gender,
                TipPerson.phone,
                TipPerson.email,
                TipPerson.address,
            ).where(_one_of(session, col(TipPerson.tip_id), list(tips)))
        ).all()
        for person in persons:
            tips[person.tip_id][1].persons.append(person)
    profiles: dict[uuid.UUID, normalize.Profile] = {}
    for case_id, stored in tips.values():
        profile = normalize.tip_profile(stored)
        if case_id in profiles:
            profiles[case_id].absorb(profile)
        else:
            profiles[case_id] = profile
    return profiles


# One round trip for all keys, each an index-only range read bounded by LIMIT (PostgreSQL).
_PG_CANDIDATES = sa.text(
    "SELECT key.position, found.case_id"
    " FROM unnest(CAST(:hashes AS bigint[])) WITH ORDINALITY AS key(hash, position)"
    " CROSS JOIN LATERAL (SELECT case_id FROM match_key WHERE key_hash = key.hash LIMIT :per_key) AS found"
)
_SQLITE_CANDIDATES = "SELECT case_id FROM match_key WHERE key_hash = ? LIMIT ?"


def _cases_under_keys(session: Session, hashes: list[int], per_key: int) -> dict[int, list[uuid.UUID]]:
    """key position → the cases filed under that key, at most `per_key` of them."""
    found: dict[int, list[uuid.UUID]] = defaultdict(list)
    if is_postgres(session):
        rows = session.execute(_PG_CANDIDATES, {"hashes": hashes, "per_key": per_key}).all()
        for position, case_id in rows:
            found[position - 1].append(case_id)
        return found
    # SQLite runs in process: one prepared statement per key costs microseconds, not a round trip.
    cursor = session.connection().connection.cursor()
    try:
        for position, key_hash in enumerate(hashes):
            for (case_id,) in cursor.execute(_SQLITE_CANDIDATES, (key_hash, per_key)).fetchall():
                found[position].append(uuid.UUID(case_id) if isinstance(case_id, str) else case_id)
    finally:
        cursor.close()
    return found


def _candidate_case_ids(
    session: Session, keys: Sequence[blocking.BlockingKey], *, settings: Settings
) -> tuple[dict[uuid.UUID, list[str]], int]:
    """Cases filed under any of the keys, each with the kinds of keys it shares; and how many keys were
    too common to use. Reads only the (key_hash, case_id) index, a bounded range per key."""
    if not keys:
        return {}, 0
    cap = settings.match_max_cases_per_key
    by_key = _cases_under_keys(session, [key.hash for key in keys], cap + 1)
    shared: dict[uuid.UUID, list[str]] = defaultdict(list)
    skipped = 0
    for position, case_ids in by_key.items():
        if len(case_ids) > cap:
            # Too common to tell cases apart (a frequent name in a big state): other keys must do it.
            skipped += 1
            continue
        for case_id in case_ids:
            shared[case_id].append(keys[position].kind)
    return shared, skipped


def _resolve(session: Session, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each case id → the case that now holds it (following merges)."""
    resolved: dict[uuid.UUID, uuid.UUID] = {}
    pending = set(case_ids)
    targets: dict[uuid.UUID, uuid.UUID] = {case_id: case_id for case_id in pending}
    for _ in range(MAX_MERGE_HOPS):
        if not pending:
            break
        rows = session.exec(select(Case.id, Case.merged_into_id).where(col(Case.id).in_(list(pending)))).all()
        merged = {case_id: into for case_id, into in rows if into is not None}
        for origin, current in list(targets.items()):
            if current in pending and current not in merged:
                resolved[origin] = current
                del targets[origin]
            elif current in merged:
                targets[origin] = merged[current]
        pending = set(targets.values())
    resolved.update(targets)
    return resolved


def match_profile(
    session: Session,
    profile: normalize.Profile,
    *,
    settings: Settings,
    exclude_case_ids: Iterable[uuid.UUID] = (),
    exclude_tip_id: uuid.UUID | None = None,
    lookup_keys: list[blocking.BlockingKey] | None = None,
) -> MatchOutcome:
    """Find and score the candidate cases of a profile and decide linked / review / new. Writes nothing."""
    secret = _secret(settings)
    index_keys = blocking.blocking_keys(profile, secret=secret, purpose="index")
    if lookup_keys is None:
        lookup_keys = blocking.blocking_keys(profile, secret=secret, purpose="lookup")
    shared, skipped = _candidate_case_ids(session, lookup_keys, settings=settings)
    excluded = set(exclude_case_ids)
    # A merge hands the merged case's keys to its survivor, so lookups find only live cases; a merge that
    # commits meanwhile is followed when the chosen case is locked (`_lock_case`).
    ranked = sorted(
        ((case_id, kinds) for case_id, kinds in shared.items() if case_id not in excluded),
        key=lambda item: sum(blocking.KEY_STRENGTH[kind] for kind in set(item[1])),
        reverse=True,
    )[: settings.match_max_candidates]
    profiles = case_profiles(session, [case_id for case_id, _ in ranked], exclude_tip_id=exclude_tip_id)
    candidates = [
        ScoredCandidate(
            case_id=case_id,
            comparison=scoring.compare(profile, profiles[case_id]),
            shared_keys=sorted(set(kinds)),
        )
        for case_id, kinds in ranked
        if case_id in profiles
    ]
    candidates.sort(key=lambda candidate: candidate.comparison.log2_odds, reverse=True)
    action = "new"
    if candidates:
        best = candidates[0].comparison
        if best.score >= settings.match_link_threshold and best.identified:
            action = "linked"
        elif best.score >= settings.match_review_threshold:
            action = "review"
    return MatchOutcome(
        action=action,
        candidates=candidates,
        index_keys=index_keys,
        lookup_keys=lookup_keys,
        skipped_keys=skipped,
    )


# Writing


def lock_keys(session: Session, keys: Iterable[blocking.BlockingKey]) -> None:
    """Serialise concurrent tips that share a blocking key, until this transaction ends (PostgreSQL).

    Locks are taken in one order (sorted) so that two tips sharing several keys cannot deadlock.
    """
    if not is_postgres(session):
        return  # SQLite: the transaction already holds the database's only write lock.
    lock_ids = sorted({((key.hash & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000 for key in keys})
    if lock_ids:
        session.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(:namespace, lock_id)"
                " FROM unnest(CAST(:ids AS integer[])) AS lock_id"
            ),
            {"namespace": _LOCK_NAMESPACE, "ids": lock_ids},
        )


def _insert_ignoring_duplicates(session: Session) -> Any:
    return (postgresql if is_postgres(session) else sqlite).insert(MatchKey.__table__)  # type: ignore[arg-type]


def file_keys(session: Session, *, case_id: uuid.UUID, keys: Iterable[blocking.BlockingKey]) -> None:
    rows = [{"key_hash": key.hash, "case_id": case_id} for key in keys]
    if rows:
        # executemany of one cached statement (a multi-row VALUES would compile anew for each row count).
        session.execute(_insert_ignoring_duplicates(session).on_conflict_do_nothing(), rows)


def file_tip_keys(*, session: Session, tip: Tip, case_id: uuid.UUID, settings: Settings) -> int:
    """File a grown tip's keys under its case (an SMS session's later texts name people, phones, places),
    so the next report about them finds this case. The tip stays where it is."""
    keys = blocking.blocking_keys(normalize.tip_profile(tip), secret=_secret(settings), purpose="index")
    lock_keys(session, keys)
    file_keys(session, case_id=case_id, keys=keys)
    return len(keys)


def _lock_case(session: Session, case_id: uuid.UUID) -> Case:
    """The case that now holds `case_id` (following merges), locked against a concurrent merge."""
    for _ in range(MAX_MERGE_HOPS):
        query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
        if is_postgres(session):
            query = query.with_for_update()
        case = session.exec(query).one()
        if case.merged_into_id is None:
            return case
        case_id = case.merged_into_id
    raise MatchingError("the chain of merged cases is too long")


def _reopen_if_closed(session: Session, case: Case, *, actor: Actor, tip_id: uuid.UUID) -> None:
    # A new report about a closed case must reach someone: a closed case is out of every working queue.
    if case.status == "closed":
        case.status, case.closed_at = "open", None
        audit_service.record(
            session,
            actor=actor,
            action="case.reopened",
            subject_type="case",
            subject_id=case.id,
            detail={"tip_id": str(tip_id), "reason": "a new tip matched this closed case"},
        )


def place_tip(*, session: Session, tip: Tip, actor: Actor, settings: Settings) -> tuple[Case, CaseMatch]:
    """Put a tip in its case (linked, review or new) and file its keys, in the caller's transaction."""
    profile = normalize.tip_profile(tip)
    lookup_keys = blocking.blocking_keys(profile, secret=_secret(settings), purpose="lookup")
    lock_keys(session, lookup_keys)
    outcome = match_profile(
        session, profile, settings=settings, exclude_tip_id=tip.id, lookup_keys=lookup_keys
    )
    best = outcome.best
    shown = [
        candidate.as_candidate()
        for candidate in outcome.candidates[:MAX_CANDIDATES_SHOWN]
        if candidate.comparison.score >= MIN_SCORE_SHOWN
    ]
    score = round(best.comparison.score, 4) if best else None

    merged: list[uuid.UUID] = []
    if outcome.action == "linked" and best is not None:
        case = _lock_case(session, best.case_id)
        _reopen_if_closed(session, case, actor=actor, tip_id=tip.id)
        case_service.link_tip(session=session, case=case, tip=tip, action="linked", score=score, actor=actor)
        audit_service.record(
            session,
            actor=actor,
            action="case.tip_linked",
            subject_type="case",
            subject_id=case.id,
            detail={"tip_id": str(tip.id), "score": score, "fields": best.comparison.fields},
        )
        merged = _merge_bridged_cases(
            session, tip=tip, case=case, outcome=outcome, actor=actor, settings=settings
        )
    else:
        case = case_service.open_case_for_tip(session=session, tip=tip, actor=actor, action=outcome.action)
        if outcome.action == "review" and best is not None:
            review = MatchReview(
                tip_id=tip.id,
                case_id=case.id,
                score=score or 0.0,
                candidates=[candidate.model_dump(mode="json") for candidate in shown],
            )
            session.add(review)
            session.flush()
            audit_service.record(
                session,
                actor=actor,
                action="match.review_opened",
                subject_type="match_review",
                subject_id=review.id,
                detail={"tip_id": str(tip.id), "case_id": str(case.id), "score": score},
            )
    file_keys(session, case_id=case.id, keys=outcome.index_keys)
    log.info(
        "tip_matched",
        tip_id=str(tip.id),
        case_id=str(case.id),
        action=outcome.action,
        candidates=len(outcome.candidates),
        keys=len(outcome.index_keys),
        common_keys_skipped=outcome.skipped_keys,
    )
    return case, CaseMatch(
        id=case.id,
        action=outcome.action,  # type: ignore[arg-type]
        score=score,
        candidates=shown,
        merged_case_ids=merged,
    )


def _merge_bridged_cases(
    session: Session, *, tip: Tip, case: Case, outcome: MatchOutcome, actor: Actor, settings: Settings
) -> list[uuid.UUID]:
    """A tip that is surely about two cases proves they are one (an earlier report named the girl, another
    gave only her phone; this one gives both): merge the others into the case the tip joined."""
    if not settings.match_auto_merge:
        return []
    merged: list[uuid.UUID] = []
    for candidate in outcome.candidates[1:]:
        comparison = candidate.comparison
        if comparison.score < settings.match_merge_threshold or not comparison.identified:
            continue
        other = _resolve(session, [candidate.case_id])[candidate.case_id]
        if other == case.id:
            continue
        merge_cases(
            session=session,
            case_id=other,
            into_case_id=case.id,
            reason=f"tip {tip.id} matched both cases (score {comparison.score:.4f})",
            actor=actor,
        )
        merged.append(other)
    return merged


# Supervisors' decisions


def _decision(
    session: Session,
    *,
    action: str,
    case_id: uuid.UUID,
    other_case_id: uuid.UUID | None,
    reason: str,
    actor: Actor,
    tip_id: uuid.UUID | None = None,
    review_id: uuid.UUID | None = None,
) -> MatchDecision:
    decision = MatchDecision(
        action=action,
        review_id=review_id,
        tip_id=tip_id,
        case_id=case_id,
        other_case_id=other_case_id,
        reason=reason,
        decided_by=actor.ref,
    )
    session.add(decision)
    session.flush()
    return decision


def _absorb_case(target: Case, source: Case) -> None:
    if source.minor_status in MINOR_STATUS_SEVERITY or source.urgency in URGENCY_SEVERITY:
        case_service.absorb_triage(
            target,
            minor_status=source.minor_status or "unknown",
            urgency=source.urgency or "normal",
            state=source.state,
            county=source.county,
        )


def _recompute_case(session: Session, case: Case) -> None:
    """After a tip leaves: the case shows the most protective reading of the tips it still has."""
    case.minor_status = case.urgency = None
    for tip in case_service.tips_of_case(session=session, case_id=case.id):
        if tip.minor_status and tip.urgency:
            case_service.absorb_triage(
                case, minor_status=tip.minor_status, urgency=tip.urgency, state=None, county=None
            )
    case.updated_at = utcnow()


def refile_case_keys(session: Session, case_id: uuid.UUID, *, settings: Settings) -> int:
    """Rebuild a case's blocking keys from the tips it holds now."""
    session.execute(sa.delete(MatchKey).where(col(MatchKey.case_id) == case_id))
    profile = case_profiles(session, [case_id], max_tips=None).get(case_id)
    if profile is None:
        return 0
    keys = blocking.blocking_keys(profile, secret=_secret(settings), purpose="index")
    file_keys(session, case_id=case_id, keys=keys)
    return len(keys)


def merge_cases(
    *,
    session: Session,
    case_id: uuid.UUID,
    into_case_id: uuid.UUID,
    reason: str,
    actor: Actor,
    review_id: uuid.UUID | None = None,
    action: str = "merged",
) -> MatchDecision:
    """Move every tip of `case_id` into `into_case_id`; the merged case points at its successor for good."""
    if session.get(Case, case_id) is None:
        raise NotFound(f"no case {case_id}")
    if session.get(Case, into_case_id) is None:
        raise NotFound(f"no case {into_case_id}")
    # Lock both in one order, so that two merges of the same pair cannot deadlock.
    first, second = sorted([case_id, into_case_id], key=str)
    locked = {first: _lock_case(session, first)}
    locked[second] = _lock_case(session, second)
    source, target = locked[case_id], locked[into_case_id]
    if source.id == target.id:
        raise MatchingError("these cases are already one case")
    tips = session.exec(select(CaseTip).where(CaseTip.case_id == source.id)).all()
    for link in tips:
        link.case_id, link.action, link.linked_at, link.linked_by = target.id, "merged", utcnow(), actor.ref
        session.add(link)
    # The survivor takes over the merged case's keys; then the merged case has none.
    moved_keys = select(MatchKey.key_hash, sa.literal(target.id, sa.Uuid()).label("case_id")).where(
        col(MatchKey.case_id) == source.id
    )
    session.execute(
        _insert_ignoring_duplicates(session)
        .from_select(["key_hash", "case_id"], moved_keys)
        .on_conflict_do_nothing()
    )
    session.execute(sa.delete(MatchKey).where(col(MatchKey.case_id) == source.id))
    # Cases merged into the source earlier now point straight at the survivor.
    session.execute(
        sa.update(Case).where(col(Case.merged_into_id) == source.id).values(merged_into_id=target.id)
    )
    _absorb_case(target, source)
    if target.status == "closed" and source.status == "open":
        target.status, target.closed_at = "open", None
    source.status, source.merged_into_id, source.updated_at = "merged", target.id, utcnow()
    target.updated_at = utcnow()
    session.add_all([source, target])
    # Open reviews of tips in either case now concern the survivor; one whose candidate was the other case
    # of this merge has been answered by it.
    for review in session.exec(
        select(MatchReview).where(
            col(MatchReview.case_id).in_([source.id, target.id]), MatchReview.status == "pending"
        )
    ).all():
        review.case_id = target.id
        merged_pair = {str(source.id), str(target.id)}
        if review.id != review_id and merged_pair & {c["case_id"] for c in review.candidates}:
            review.status, review.decided_at, review.decided_by = "superseded", utcnow(), actor.ref
        session.add(review)
    decision = _decision(
        session,
        action=action,
        case_id=source.id,
        other_case_id=target.id,
        reason=reason,
        actor=actor,
        review_id=review_id,
    )
    audit_service.record(
        session,
        actor=actor,
        action="case.merged",
        subject_type="case",
        subject_id=source.id,
        detail={
            "into_case_id": str(target.id),
            "tips": len(tips),
            "reason": reason,
            "decision_id": str(decision.id),
            "review_id": str(review_id) if review_id else None,
        },
    )
    session.flush()
    return decision


def _pending_review(session: Session, review_id: uuid.UUID) -> MatchReview:
    query = select(MatchReview).where(MatchReview.id == review_id).execution_options(populate_existing=True)
    if is_postgres(session):
        query = query.with_for_update()
    review = session.exec(query).first()
    if review is None:
        raise NotFound(f"no review {review_id}")
    if review.status != "pending":
        raise MatchingError(f"this review was already decided ({review.status})")
    return review


def confirm_review(
    *, session: Session, review_id: uuid.UUID, reason: str, actor: Actor, case_id: uuid.UUID | None = None
) -> MatchDecision:
    """The tip does report the candidate case: its case is merged into that one (by default the best)."""
    review = _pending_review(session, review_id)
    candidate_ids = [uuid.UUID(candidate["case_id"]) for candidate in review.candidates]
    chosen = case_id or (candidate_ids[0] if candidate_ids else None)
    if chosen is None or chosen not in candidate_ids:
        raise InvalidRequest("case_id must be one of the review's candidates")
    tip_case_id = case_service.case_id_for_tip(session=session, tip_id=review.tip_id)
    assert tip_case_id is not None
    target = _resolve(session, [chosen])[chosen]
    if target == tip_case_id:
        raise MatchingError("the tip is already in that case")
    decision = merge_cases(
        session=session,
        case_id=tip_case_id,
        into_case_id=target,
        reason=reason,
        actor=actor,
        review_id=review.id,
        action="confirmed",
    )
    decision.tip_id = review.tip_id
    review.status, review.decided_at, review.decided_by = "confirmed", utcnow(), actor.ref
    session.add_all([review, decision])
    audit_service.record(
        session,
        actor=actor,
        action="match.review_confirmed",
        subject_type="match_review",
        subject_id=review.id,
        detail={
            "tip_id": str(review.tip_id),
            "case_id": str(target),
            "reason": reason,
            "decision_id": str(decision.id),
        },
    )
    session.flush()
    return decision


def reject_review(*, session: Session, review_id: uuid.UUID, reason: str, actor: Actor) -> MatchDecision:
    """The tip is not about the candidate cases: it stays in its own case, and the pairs are remembered."""
    review = _pending_review(session, review_id)
    tip_case_id = case_service.case_id_for_tip(session=session, tip_id=review.tip_id) or review.case_id
    candidates = _resolve(session, [uuid.UUID(candidate["case_id"]) for candidate in review.candidates])
    decision: MatchDecision | None = None
    for candidate in dict.fromkeys(candidates.values()):
        if candidate == tip_case_id:
            continue
        recorded = _decision(
            session,
            action="rejected",
            case_id=tip_case_id,
            other_case_id=candidate,
            reason=reason,
            actor=actor,
            tip_id=review.tip_id,
            review_id=review.id,
        )
        decision = decision or recorded
    if decision is None:
        decision = _decision(
            session,
            action="rejected",
            case_id=tip_case_id,
            other_case_id=None,
            reason=reason,
            actor=actor,
            tip_id=review.tip_id,
            review_id=review.id,
        )
    review.status, review.decided_at, review.decided_by = "rejected", utcnow(), actor.ref
    session.add(review)
    audit_service.record(
        session,
        actor=actor,
        action="match.review_rejected",
        subject_type="match_review",
        subject_id=review.id,
        detail={"tip_id": str(review.tip_id), "case_id": str(tip_case_id), "reason": reason},
    )
    session.flush()
    return decision


def move_tip_to_new_case(
    *, session: Session, tip_id: uuid.UUID, reason: str, actor: Actor, settings: Settings
) -> MatchDecision:
    """Take a tip out of its case into a case of its own (it was linked by mistake)."""
    tip = session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"no tip {tip_id}")
    old_case_id = case_service.case_id_for_tip(session=session, tip_id=tip.id)
    if old_case_id is None:
        raise MatchingError("the tip is in no case yet (triage has not placed it)")
    old_case = _lock_case(session, old_case_id)
    remaining = [t for t in case_service.tips_of_case(session=session, case_id=old_case.id) if t.id != tip.id]
    if not remaining:
        raise MatchingError("the tip is its case's only tip: it already has a case of its own")
    new_case = case_service.open_case_for_tip(session=session, tip=tip, actor=actor, action="moved")
    if tip.minor_status and tip.urgency:
        jurisdiction = (tip.triage or {}).get("jurisdiction") or {}
        case_service.absorb_triage(
            new_case,
            minor_status=tip.minor_status,
            urgency=tip.urgency,
            state=jurisdiction.get("state"),
            county=jurisdiction.get("county"),
        )
    _recompute_case(session, old_case)
    session.add(old_case)
    session.flush()
    refile_case_keys(session, old_case.id, settings=settings)
    refile_case_keys(session, new_case.id, settings=settings)
    # Settle open reviews of this tip: its case changed under them.
    for review in session.exec(
        select(MatchReview).where(MatchReview.tip_id == tip.id, MatchReview.status == "pending")
    ).all():
        review.case_id = new_case.id
        session.add(review)
    decision = _decision(
        session,
        action="moved",
        case_id=old_case.id,
        other_case_id=new_case.id,
        reason=reason,
        actor=actor,
        tip_id=tip.id,
    )
    audit_service.record(
        session,
        actor=actor,
        action="case.tip_moved",
        subject_type="tip",
        subject_id=tip.id,
        detail={
            "from_case_id": str(old_case.id),
            "to_case_id": str(new_case.id),
            "reason": reason,
            "decision_id": str(decision.id),
        },
    )
    session.flush()
    return decision


# Reading the queue and decisions


def review_out(review: MatchReview) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        tip_id=review.tip_id,
        case_id=review.case_id,
        status=review.status,  # type: ignore[arg-type]
        score=review.score,
        candidates=[CandidateOut.model_validate(candidate) for candidate in review.candidates],
        created_at=review.created_at,
        decided_at=review.decided_at,
        decided_by=review.decided_by,
    )


def decision_out(decision: MatchDecision) -> DecisionOut:
    return DecisionOut.model_validate(decision, from_attributes=True)


def get_review(*, session: Session, review_id: uuid.UUID) -> MatchReview | None:
    return session.get(MatchReview, review_id)


def list_reviews(
    *, session: Session, status: str = "pending", cursor: str | None = None, limit: int = 50
) -> ReviewPage:
    """Oldest first: the queue is worked in the order tips arrived."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(MatchReview).where(MatchReview.status == status)
    try:
        page, next_cursor = pagination.keyset_page(
            session,
            query,
            at=col(MatchReview.created_at),
            row_id=col(MatchReview.id),
            cursor=cursor,
            limit=limit,
            oldest_first=True,
        )
    except pagination.InvalidCursor as exc:
        raise InvalidCursor(str(exc)) from exc
    return ReviewPage(items=[review_out(review) for review in page], next_cursor=next_cursor)


def decisions_for_case(*, session: Session, case_id: uuid.UUID) -> list[MatchDecision]:
    return list(
        session.exec(
            select(MatchDecision)
            .where(sa.or_(MatchDecision.case_id == case_id, MatchDecision.other_case_id == case_id))
            .order_by(col(MatchDecision.decided_at))
        ).all()
    )


# Likely duplicates among stored cases


@dataclass(slots=True)
class DuplicatePair:
    case_id: uuid.UUID
    other_case_id: uuid.UUID
    score: float
    fields: dict[str, float]
    weights: dict[str, float]


def reindex(*, session: Session, settings: Settings, batch_size: int = 500) -> int:
    """Rebuild every open case's blocking keys from its tips (after data was migrated in, or the matching
    key changed). Returns how many cases were filed."""
    session.execute(sa.delete(MatchKey))
    count = 0
    last: uuid.UUID | None = None
    while True:
        query = select(Case.id).where(Case.status != "merged").order_by(col(Case.id)).limit(batch_size)
        if last is not None:
            query = query.where(col(Case.id) > last)
        case_ids = list(session.exec(query).all())
        if not case_ids:
            return count
        profiles = case_profiles(session, case_ids, max_tips=None)
        secret = _secret(settings)
        for case_id, profile in profiles.items():
            file_keys(session, case_id=case_id, keys=blocking.blocking_keys(profile, secret=secret))
            count += 1
        last = case_ids[-1]


def likely_duplicates(
    *, session: Session, min_score: float = 0.5, settings: Settings, batch_size: int = 200
) -> Iterator[DuplicatePair]:
    """Pairs of cases that look like one case, each pair once, case by case in id order.

    Each case is matched like a tip against the others through the key index, so the cost grows with the
    number of cases, not its square. Pairs a supervisor already ruled different are left out.
    """
    last: uuid.UUID | None = None
    while True:
        query = select(Case.id).where(Case.status != "merged").order_by(col(Case.id)).limit(batch_size)
        if last is not None:
            query = query.where(col(Case.id) > last)
        case_ids = list(session.exec(query).all())
        if not case_ids:
            return
        profiles = case_profiles(session, case_ids)
        ruled_different: set[frozenset[uuid.UUID]] = {
            frozenset((a, b))
            for a, b in session.exec(
                select(MatchDecision.case_id, MatchDecision.other_case_id).where(
                    col(MatchDecision.action).in_(["rejected", "moved"]),
                    sa.or_(
                        col(MatchDecision.case_id).in_(case_ids),
                        col(MatchDecision.other_case_id).in_(case_ids),
                    ),
                )
            ).all()
            if b is not None
        }
        for case_id in case_ids:
            profile = profiles.get(case_id)
            if profile is None:
                continue
            outcome = match_profile(session, profile, settings=settings, exclude_case_ids=[case_id])
            for candidate in outcome.candidates:
                # Each pair once: from the case with the smaller id.
                if str(candidate.case_id) <= str(case_id) or candidate.comparison.score < min_score:
                    continue
                if frozenset((case_id, candidate.case_id)) in ruled_different:
                    continue
                yield DuplicatePair(
                    case_id=case_id,
                    other_case_id=candidate.case_id,
                    score=round(candidate.comparison.score, 4),
                    fields=candidate.comparison.fields,
                    weights=candidate.comparison.weights,
                )
        last = case_ids[-1]
