"""The tip entry form: from posted fields to the tip contract (TipIn), and errors back to the fields.

Inputs are named by their path in the contract (`narrative`, `location.city`, `persons[1].age`), so a
validation error's field path names the input it belongs to. Empty inputs are left out: real tips are
partial, and a blank field means "not known", never "empty string".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hotline.tips.schemas import MAX_PERSONS, TipIn

_PERSON_FIELD = re.compile(r"^persons\[(\d{1,3})\]\.([a-z_]+)$")
PERSON_FIELDS = (
    "role", "name", "aliases", "age", "age_min", "age_max", "dob", "gender", "phone", "email", "address",
    "nationality", "language",
)  # fmt: skip
TOP_FIELDS = (
    "call_reference", "idempotency_key", "channel", "language", "narrative", "trafficking_type",
    "immediate_danger", "consent_to_report",
    "location.address", "location.city", "location.county", "location.state", "location.zip",
    "location.country",
    "reporter.name", "reporter.phone", "reporter.email", "reporter.relationship", "reporter.anonymous",
)  # fmt: skip
TRI_STATE = {"yes": True, "no": False}
# Channels an advocate enters by hand; "api" and "import" belong to machines.
FORM_CHANNELS = ("phone", "sms", "web", "email")


@dataclass
class TipForm:
    """What the form shows: the raw values as typed, and errors by input name."""

    values: dict[str, str] = field(default_factory=dict)
    persons: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    @classmethod
    def blank(cls) -> TipForm:
        return cls(
            values={"channel": "phone", "language": "en", "idempotency_key": uuid.uuid4().hex},
            persons=[{"role": "victim"}],
        )

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def read_form(items: list[tuple[str, Any]]) -> TipForm:
    """Collect the posted fields (unknown names are ignored; files are not accepted)."""
    form = TipForm()
    persons: dict[int, dict[str, str]] = {}
    for name, raw in items:
        if not isinstance(raw, str):
            continue
        if name in TOP_FIELDS:
            form.values[name] = raw
            continue
        match = _PERSON_FIELD.match(name)
        if match and match.group(2) in PERSON_FIELDS and int(match.group(1)) < MAX_PERSONS * 2:
            persons.setdefault(int(match.group(1)), {})[match.group(2)] = raw
    form.persons = [persons[index] for index in sorted(persons)]
    return form


AGE_FIELDS = frozenset({"age", "age_min", "age_max"})


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _person_payload(raw: dict[str, str]) -> dict[str, Any] | None:
    person: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = _clean(raw.get(name))
        if value is None:
            continue
        if name == "aliases":
            person[name] = [alias.strip() for alias in value.split(",") if alias.strip()]
        elif name in AGE_FIELDS and value.isdecimal():
            # The contract takes ages as numbers only (strict); a form posts text.
            person[name] = int(value)
        else:
            person[name] = value
    # A person block with nothing filled in but its role is an empty row, not a person.
    if not set(person) - {"role"}:
        return None
    return person


def to_payload(form: TipForm) -> tuple[dict[str, Any], list[int]]:
    """The contract's JSON for the form, and for each person in it the form row it came from."""
    values = form.values
    payload: dict[str, Any] = {}
    reference = _clean(values.get("call_reference"))
    # Without a reference from the hotline's own system, the form's one-time key makes a double submit
    # (a second click, a reload) return the tip already stored instead of storing it twice.
    key = _clean(values.get("idempotency_key"))
    if reference:
        payload["external_id"] = reference
    elif key:
        payload["external_id"] = f"webform-{key}"
    for name in ("channel", "language", "narrative", "trafficking_type"):
        raw = values.get(name)
        # The narrative keeps its own spacing and line breaks; other fields are trimmed.
        value = (raw if raw and raw.strip() else None) if name == "narrative" else _clean(raw)
        if value is not None:
            payload[name] = value
    for name in ("immediate_danger", "consent_to_report"):
        choice = _clean(values.get(name))
        if choice in TRI_STATE:
            payload[name] = TRI_STATE[choice]
    for group in ("location", "reporter"):
        part = {
            key.split(".", 1)[1]: _clean(value)
            for key, value in values.items()
            if key.startswith(f"{group}.") and key != "reporter.anonymous"
        }
        part = {key: value for key, value in part.items() if value is not None}
        if group == "reporter" and values.get("reporter.anonymous"):
            part["anonymous"] = True
        if part:
            payload[group] = part
    persons, rows = [], []
    for row, raw in enumerate(form.persons):
        person = _person_payload(raw)
        if person is not None:
            persons.append(person)
            rows.append(row)
    if persons:
        payload["persons"] = persons
    return payload, rows


def _input_name(loc: tuple[Any, ...], person_rows: list[int]) -> str:
    parts = list(loc)
    if parts and parts[0] == "external_id":
        return "call_reference"
    path = ""
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "persons" and index + 1 < len(parts) and isinstance(parts[index + 1], int):
            position = parts[index + 1]
            row = person_rows[position] if position < len(person_rows) else position
            path += f"persons[{row}]"
            index += 2
            continue
        if isinstance(part, int):
            # An alias's position: the error belongs to the aliases input as a whole.
            index += 1
            continue
        path += f".{part}" if path else str(part)
        index += 1
    return path


def validate(form: TipForm) -> TipIn | None:
    """The tip, or None with the form's errors filled in (the message, never the value typed)."""
    payload, person_rows = to_payload(form)
    try:
        return TipIn.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors(include_input=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            name = _input_name(tuple(error["loc"]), person_rows)
            if not name:
                form.form_errors.append(message)
            elif name in _known_inputs(form) or re.match(r"^persons\[\d+\]$", name):
                # A field's error sits by its input; a person's own rule (ages that disagree) on its block.
                form.errors.setdefault(name, message)
            else:
                form.form_errors.append(f"{name}: {message}")
        return None


def _known_inputs(form: TipForm) -> set[str]:
    names = set(TOP_FIELDS)
    for row in range(len(form.persons)):
        names.update(f"persons[{row}].{name}" for name in PERSON_FIELDS)
    return names
