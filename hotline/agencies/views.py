"""HTTP handlers for the agency directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from hotline.agencies import service as agency_service
from hotline.agencies.models import AgencyContactIn, AgencyOut
from hotline.deps import AdminActor, AdvocateActor, SessionDep

router = APIRouter(prefix="/api/v1/agencies", tags=["routing"])


def _agency_out(agency: object) -> AgencyOut:
    return AgencyOut.model_validate(agency, from_attributes=True)


@router.get("", response_model=list[AgencyOut])
def list_agencies(
    session: SessionDep,
    actor: AdvocateActor,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=2, description="USPS code, or US")] = None,
) -> list[AgencyOut]:
    """The directory routing sends cases to (synced from the shipped file on first use)."""
    agency_service.sync_directory(session=session, actor=actor)
    session.commit()
    found = agency_service.list_agencies(
        session=session, kind=kind, jurisdiction=jurisdiction.upper() if jurisdiction else None
    )
    return [_agency_out(agency) for agency in found]


@router.get("/{agency_id}", response_model=AgencyOut)
def read_agency(agency_id: str, session: SessionDep, actor: AdvocateActor) -> AgencyOut:
    agency = agency_service.get_agency(session=session, agency_id=agency_id)
    if agency is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no agency with this id")
    return _agency_out(agency)


@router.patch("/{agency_id}/contact", response_model=AgencyOut)
def set_agency_contact(
    agency_id: str, contact: AgencyContactIn, session: SessionDep, actor: AdminActor
) -> AgencyOut:
    """Fill in how to reach an agency (from the agency itself). Only the fields sent change."""
    agency_service.sync_directory(session=session, actor=actor)
    try:
        agency = agency_service.set_agency_contact(
            session=session, agency_id=agency_id, contact=contact, actor=actor
        )
    except agency_service.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no agency with this id") from exc
    session.commit()
    return _agency_out(agency)
