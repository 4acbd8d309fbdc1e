"""The agency directory's tables and the API's shapes for it."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from hotline.core.database import JSONDocument, UTCDateTime, new_id, utcnow


class Agency(SQLModel, table=True):
    """A directory entry: synced from the shipped YAML; `contact` belongs to administrators."""

    __tablename__ = "agency"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=32, index=True)
    # USPS code of the state it serves, or US for national entries.
    jurisdiction: str = Field(max_length=2, index=True)
    channels: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONDocument)
    allowed_fields: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    note: str | None = Field(default=None, sa_type=sa.Text)
    # Phone, email, portal URL: filled by an administrator from the agency itself, never by a sync.
    contact: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    active: bool = Field(default=True)
    directory_version: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AgencyDirectorySync(SQLModel, table=True):
    """One row per directory file content ever loaded: which version, when, by whom."""

    __tablename__ = "agency_directory_sync"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    version: str = Field(max_length=40)
    content_hash: str = Field(max_length=64, unique=True)
    agencies: int
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    synced_by: str = Field(max_length=120)


# API shapes


class AgencyOut(BaseModel):
    id: str
    name: str
    kind: str
    jurisdiction: str
    channels: list[dict[str, Any]]
    allowed_fields: list[str]
    note: str | None
    contact: dict[str, Any]
    active: bool
    directory_version: str


class AgencyContactIn(BaseModel):
    phone: str | None = PydanticField(None, max_length=40)
    email: str | None = PydanticField(None, max_length=254)
    url: str | None = PydanticField(None, max_length=500)
    notes: str | None = PydanticField(None, max_length=2000)
