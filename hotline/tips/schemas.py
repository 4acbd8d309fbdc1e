"""The tip contract of DESIGN.md as request and response schemas.

Real tips are partial, so nearly everything is optional; what is given must make sense. Unknown fields are
refused (the 422 names them), and so are control characters, which no person types and which some
databases cannot store.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hotline.core import geo

Channel = Literal["phone", "sms", "web", "email", "api", "import"]
PersonRole = Literal["victim", "suspect", "other"]
TraffickingType = Literal["sex", "labor", "both", "unknown"]

MAX_NARRATIVE_CHARS = 20_000
MAX_PERSONS = 50
MAX_ALIASES = 20
# A tip timestamped a little ahead of our clock is clock skew; far ahead is an error.
MAX_CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_RECEIVED_AT = datetime(1990, 1, 1, tzinfo=UTC)
EARLIEST_DOB = date(1900, 1, 1)

_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MULTI_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_US_ZIP = re.compile(r"^\d{5}(?:-?\d{4})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _single_line(value: str | None) -> str | None:
    if value is None:
        return None
    if _SINGLE_LINE_CONTROL.search(value):
        raise ValueError("must not contain control characters (tabs, line breaks, NUL…)")
    value = value.strip()
    return value or None


def _multi_line(value: str | None) -> str | None:
    if value is None:
        return None
    if _MULTI_LINE_CONTROL.search(value):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return value if value.strip() else None


def _phone(value: str | None) -> str | None:
    value = _single_line(value)
    if value is not None and not any(ch.isdigit() for ch in value):
        raise ValueError("a phone number must contain digits")
    return value


def _email(value: str | None) -> str | None:
    value = _single_line(value)
    if value is not None and not _EMAIL.match(value):
        raise ValueError("not an email address (expected name@domain)")
    return value.lower() if value else value


def _language(value: str | None) -> str | None:
    value = _single_line(value)
    if value is None:
        return None
    if not _BCP47.match(value):
        raise ValueError("must be a BCP 47 language tag such as 'en', 'es' or 'es-MX'")
    primary, *rest = value.split("-")
    # Region subtags are upper case by convention (es-MX); others lower case.
    return "-".join([primary.lower(), *(part.upper() if len(part) == 2 else part.lower() for part in rest)])


def _country(value: str | None) -> str | None:
    value = _single_line(value)
    if value is None:
        return None
    code = geo.iso_country_code(value)
    if code is None:
        raise ValueError("must be an ISO 3166 alpha-2 country code such as 'US' or 'MX'")
    return code


Line = Annotated[str | None, Field(default=None, max_length=200), AfterValidator(_single_line)]
LongLine = Annotated[str | None, Field(default=None, max_length=500), AfterValidator(_single_line)]
Phone = Annotated[str | None, Field(default=None, max_length=40), AfterValidator(_phone)]
Email = Annotated[str | None, Field(default=None, max_length=254), AfterValidator(_email)]
Language = Annotated[str | None, Field(default=None, max_length=35), AfterValidator(_language)]
Country = Annotated[str | None, Field(default=None, max_length=60), AfterValidator(_country)]


def date_as_text(value: Any) -> Any:
    # Pydantic reads a number as seconds since 1970: `"dob": 0` would become 1 January 1970, silently.
    if isinstance(value, int | float):
        raise ValueError(
            "a date is text in ISO 8601 (2010-05-31, or 2026-11-20T14:30:00-06:00), not a number"
        )
    return value


# Strict: `true` is not an age of 1, nor "yes" a true. Ages from the web form are converted there.
Age = Annotated[int | None, Field(default=None, ge=0, le=120, strict=True)]
StrictBool = Annotated[bool, Field(strict=True)]
OptionalBool = Annotated[bool | None, Field(default=None, strict=True)]


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=MAX_NARRATIVE_CHARS)


class LocationIn(ContractModel):
    # country comes first so that state and zip can be checked against it.
    country: Country = "US"
    address: LongLine = None
    city: Line = None
    county: Line = None
    state: Line = None
    zip: Annotated[str | None, Field(default=None, max_length=20), AfterValidator(_single_line)] = None

    @field_validator("country")
    @classmethod
    def _default_country(cls, value: str | None) -> str:
        return value or "US"

    @field_validator("state")
    @classmethod
    def _usps_state(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or info.data.get("country", "US") != "US":
            return value
        code = geo.usps_state_code(value)
        if code is None:
            suggestion = geo.suggest_state(value)
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            raise ValueError(
                f"{value!r} is not a U.S. state, DC or territory (use a USPS code or the full name){hint}"
            )
        return code

    @field_validator("zip")
    @classmethod
    def _us_zip(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("country", "US") == "US" and not _US_ZIP.match(value):
            raise ValueError("a U.S. ZIP code is 5 digits, optionally followed by 4 more")
        return value


class ReporterIn(ContractModel):
    name: Line = None
    phone: Phone = None
    email: Email = None
    relationship: Line = None
    anonymous: StrictBool = False


class PersonIn(ContractModel):
    role: PersonRole = "victim"
    name: Line = None
    aliases: Annotated[
        list[Annotated[str, Field(max_length=200), AfterValidator(_single_line)]],
        Field(default_factory=list, max_length=MAX_ALIASES),
    ]
    age: Age = None
    age_min: Age = None
    age_max: Age = None
    dob: Annotated[date | None, BeforeValidator(date_as_text)] = None
    gender: Annotated[str | None, Field(default=None, max_length=50), AfterValidator(_single_line)] = None
    phone: Phone = None
    email: Email = None
    address: LongLine = None
    nationality: Country = None
    language: Language = None

    @field_validator("aliases")
    @classmethod
    def _drop_blank_aliases(cls, value: list[str | None]) -> list[str]:
        return [alias for alias in value if alias]

    @field_validator("dob")
    @classmethod
    def _plausible_dob(cls, value: date | None) -> date | None:
        if value is not None:
            if value < EARLIEST_DOB:
                raise ValueError(f"date of birth before {EARLIEST_DOB.isoformat()} is not plausible")
            if value > datetime.now(UTC).date():
                raise ValueError("date of birth is in the future")
        return value

    @model_validator(mode="after")
    def _consistent_ages(self) -> PersonIn:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is greater than age_max")
        if self.age is not None:
            if self.age_min is not None and self.age < self.age_min:
                raise ValueError("age is below age_min")
            if self.age_max is not None and self.age > self.age_max:
                raise ValueError("age is above age_max")
        return self


class TipIn(ContractModel):
    """A tip as submitted through the API, an import file, the web form or a Twilio callback."""

    external_id: Annotated[
        str | None, Field(default=None, min_length=1, max_length=200), AfterValidator(_single_line)
    ] = None
    channel: Channel = "api"
    received_at: Annotated[AwareDatetime | None, BeforeValidator(date_as_text)] = Field(
        default=None, description="ISO 8601 with a time zone offset; default: now"
    )
    language: Language = "en"
    narrative: Annotated[
        str | None, Field(default=None, max_length=MAX_NARRATIVE_CHARS), AfterValidator(_multi_line)
    ] = None
    location: LocationIn | None = None
    reporter: ReporterIn | None = None
    persons: Annotated[list[PersonIn], Field(default_factory=list, max_length=MAX_PERSONS)]
    trafficking_type: TraffickingType = "unknown"
    immediate_danger: OptionalBool = None
    consent_to_report: OptionalBool = None

    @field_validator("received_at")
    @classmethod
    def _plausible_received_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        if value < EARLIEST_RECEIVED_AT:
            raise ValueError(f"received_at before {EARLIEST_RECEIVED_AT.date().isoformat()} is not plausible")
        if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ValueError("received_at is in the future")
        return value

    @model_validator(mode="after")
    def _something_to_act_on(self) -> TipIn:
        if not self.narrative and not self.persons:
            raise ValueError("a tip needs a narrative or at least one person")
        if self.received_at is not None:
            for index, person in enumerate(self.persons):
                if person.dob is not None and person.dob > self.received_at.date():
                    raise ValueError(f"persons[{index}].dob is after received_at")
        return self


# Responses


class PersonOut(BaseModel):
    id: uuid.UUID
    role: PersonRole
    name: str | None = None
    aliases: list[str] = []
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    dob: Annotated[date | None, BeforeValidator(date_as_text)] = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    nationality: str | None = None
    language: str | None = None


class LocationOut(BaseModel):
    address: str | None = None
    city: str | None = None
    county: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str = "US"


class ReporterOut(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    relationship: str | None = None
    anonymous: bool = False


class AttachmentOut(BaseModel):
    id: uuid.UUID
    kind: Literal["recording", "media"]
    url: str
    content_type: str | None = None
    duration_seconds: int | None = None
    created_at: datetime


class TipOut(BaseModel):
    id: uuid.UUID
    external_id: str | None
    channel: Channel
    received_at: datetime
    language: str
    narrative: str | None
    location: LocationOut
    reporter: ReporterOut
    persons: list[PersonOut]
    trafficking_type: TraffickingType
    immediate_danger: bool | None
    consent_to_report: bool | None
    status: Literal["received", "transcribing", "triaged", "contact"] = Field(
        description="received: awaiting triage; transcribing: a voicemail awaiting its transcript; "
        "triaged: done; contact: a call with nothing to triage (hang-up, or taken by an advocate)"
    )
    case_id: uuid.UUID | None
    triage: dict[str, Any] | None = Field(description="The triage result (DESIGN.md), once triage has run")
    contact_outcome: Literal["voicemail", "answered", "hang_up"] | None = Field(
        None, description="For calls: a voicemail was left, an advocate answered, or the caller hung up"
    )
    attachments: list[AttachmentOut] = Field(
        default_factory=list, description="Voicemail recordings and MMS media, as URLs"
    )
    created_at: datetime
    created_by: str
