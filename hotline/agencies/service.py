"""The directory's work on the database: loading the shipped file, reading entries, contact details.

Everything that changes the directory (a sync, a contact) is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.agencies.models import Agency, AgencyContactIn, AgencyDirectorySync
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.database import utcnow
from routing import directory as routing_directory


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class SyncResult:
    version: str
    created: int
    updated: int
    deactivated: int
    already_synced: bool


def sync_directory(
    *, session: Session, actor: Actor, directory: routing_directory.Directory | None = None
) -> SyncResult:
    """Load the directory file into the `agency` table. Idempotent; never touches contact details."""
    directory = directory or routing_directory.shipped_directory()
    if session.exec(
        select(AgencyDirectorySync.id).where(AgencyDirectorySync.content_hash == directory.content_hash)
    ).first():
        return SyncResult(directory.version, 0, 0, 0, already_synced=True)
    try:
        with session.begin_nested():
            result = _apply_directory(session, directory, actor)
    except IntegrityError:
        # Another process synced the same file at the same moment: its rows are the same as ours.
        return SyncResult(directory.version, 0, 0, 0, already_synced=True)
    audit_service.record(
        session,
        actor=actor,
        action="directory.synced",
        subject_type="agency_directory",
        subject_id=directory.version,
        detail={
            "version": directory.version,
            "content_hash": directory.content_hash,
            "created": result.created,
            "updated": result.updated,
            "deactivated": result.deactivated,
        },
    )
    return result


def _apply_directory(session: Session, directory: routing_directory.Directory, actor: Actor) -> SyncResult:
    existing = {agency.id: agency for agency in session.exec(select(Agency)).all()}
    created = updated = deactivated = 0
    now = utcnow()
    for entry in directory.entries:
        agency = existing.pop(entry.id, None)
        # A webhook channel is added when a partner's endpoint is registered, not by the file: keep it.
        registered = [c for c in agency.channels if c.get("type") == "webhook"] if agency is not None else []
        shipped = {
            "name": entry.name,
            "kind": entry.kind,
            "jurisdiction": entry.jurisdiction,
            "channels": [*entry.channels, *registered],
            "allowed_fields": entry.allowed_fields,
            "note": entry.note,
            "active": True,
        }
        if agency is None:
            session.add(Agency(id=entry.id, directory_version=directory.version, **shipped))
            created += 1
            continue
        if any(getattr(agency, key) != value for key, value in shipped.items()):
            for key, value in shipped.items():
                setattr(agency, key, value)
            agency.updated_at = now
            updated += 1
        agency.directory_version = directory.version
    # Entries the file no longer has stay readable (old decisions name them) but receive nothing new.
    for agency in existing.values():
        if agency.active and agency.kind != "provider":
            agency.active, agency.updated_at = False, now
            deactivated += 1
    session.add(
        AgencyDirectorySync(
            version=directory.version,
            content_hash=directory.content_hash,
            agencies=len(directory.entries),
            synced_by=actor.ref,
        )
    )
    session.flush()
    return SyncResult(directory.version, created, updated, deactivated, already_synced=False)


def agency_kinds(*, session: Session) -> dict[str, str]:
    """Every agency id routing may name (active entries), with its kind."""
    return {
        agency_id: kind
        for agency_id, kind in session.exec(select(Agency.id, Agency.kind).where(col(Agency.active))).all()
    }


def list_agencies(
    *, session: Session, kind: str | None = None, jurisdiction: str | None = None
) -> list[Agency]:
    query = select(Agency).order_by(col(Agency.jurisdiction), col(Agency.id))
    if kind:
        query = query.where(Agency.kind == kind)
    if jurisdiction:
        query = query.where(Agency.jurisdiction == jurisdiction)
    return list(session.exec(query).all())


def get_agency(*, session: Session, agency_id: str) -> Agency | None:
    return session.get(Agency, agency_id)


def set_agency_contact(*, session: Session, agency_id: str, contact: AgencyContactIn, actor: Actor) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(agency_id)
    values = contact.model_dump(exclude_unset=True)
    agency.contact = {**agency.contact, **values}
    agency.updated_at = utcnow()
    session.add(agency)
    audit_service.record(
        session,
        actor=actor,
        action="agency.contact_updated",
        subject_type="agency",
        subject_id=agency.id,
        detail={"fields": sorted(values)},
    )
    return agency
