"""The agency directory shipped with the service: versioned YAML, expanded into one entry per agency.

The file (routing/agencies/directory.yaml) is the source; the `agency` table is its synced copy plus what
administrators add (contact details). Routing names agencies by these ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import us

from hotline.core import geo
from routing.source import Problem, SourceError, SourceList, SourceMap, load_yaml, plain

DIRECTORY_FILE = "agencies/directory.yaml"
AGENCY_KINDS = ("cps", "law_enforcement", "victim_services", "federal", "national", "provider")
CHANNEL_TYPES = ("manual", "webhook")
STATE_ENTRY_KINDS = {"cps": "cps", "le": "law_enforcement", "services": "victim_services"}

# The tip contract's fields (DESIGN.md), as a partner's agreement names them.
TIP_FIELDS = frozenset(
    {
        "case_id", "tip_id", "external_id", "received_at", "channel", "language", "narrative",
        "location.address", "location.city", "location.county", "location.state", "location.zip",
        "location.country",
        "reporter.name", "reporter.phone", "reporter.email", "reporter.relationship",
        "persons.role", "persons.name", "persons.aliases", "persons.age", "persons.age_min",
        "persons.age_max", "persons.dob", "persons.gender", "persons.phone", "persons.email",
        "persons.address", "persons.nationality", "persons.language",
        "trafficking_type", "immediate_danger", "consent_to_report", "minor", "urgency",
    }
)  # fmt: skip


@dataclass(frozen=True)
class AgencyEntry:
    id: str
    name: str
    kind: str
    jurisdiction: str
    channels: list[dict[str, Any]] = field(default_factory=list)
    allowed_fields: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Directory:
    version: str
    content_hash: str
    entries: list[AgencyEntry]

    def kinds(self) -> dict[str, str]:
        return {entry.id: entry.kind for entry in self.entries}


def _state_name(code: str) -> str:
    state = us.states.lookup(code)
    return state.name if state is not None else code


def parse_directory(text: str, *, file: str) -> Directory:
    """Expand and check a directory file. Raises SourceError naming every problem with its line."""
    document = load_yaml(text, file=file)
    problems: list[Problem] = []

    def problem(line: int | None, message: str, entry: str | None = None) -> None:
        problems.append(Problem(file=file, line=line, message=message, rule=entry))

    if not isinstance(document, SourceMap):
        raise SourceError([Problem(file, 1, "a directory file is a mapping with version, national, states")])
    version = document.get("version")
    if not isinstance(version, str) or not version.strip():
        problem(document.line_of("version"), 'the directory needs a version, e.g. version: "2026.11.25"')
    field_sets: dict[str, list[str]] = {}
    sets_node = document.get("field_sets", SourceMap())
    for name, fields in sets_node.items() if isinstance(sets_node, SourceMap) else []:
        line = sets_node.line_of(name)
        if not isinstance(fields, list) or not all(isinstance(item, str) for item in fields):
            problem(line, f"field set {name!r} is a list of tip fields")
            continue
        for unknown in sorted(set(fields) - TIP_FIELDS):
            problem(line, f"field set {name!r}: {unknown!r} is not a tip field")
        field_sets[name] = list(fields)

    entries: list[AgencyEntry] = []

    def entry_from(node: Any, line: int, base: dict[str, Any], entry_id: str | None = None) -> None:
        values = dict(base)
        if isinstance(node, str):
            values["name"] = node
        elif isinstance(node, SourceMap):
            values.update(plain(node))
        else:
            problem(line, "an agency entry is a name or a mapping", entry_id)
            return
        if entry_id is not None:
            values["id"] = entry_id
        agency_id = values.get("id")
        if not isinstance(agency_id, str) or not agency_id:
            problem(line, "every agency needs an id")
            return
        unknown = set(values) - {"id", "name", "kind", "jurisdiction", "channels", "fields", "note"}
        for key in sorted(unknown):
            problem(line, f"unknown key {key!r}", agency_id)
        if not isinstance(values.get("name"), str) or not values["name"].strip():
            problem(line, "every agency needs a name", agency_id)
        if values.get("kind") not in AGENCY_KINDS:
            problem(line, f"kind is one of {', '.join(AGENCY_KINDS)}", agency_id)
        jurisdiction = values.get("jurisdiction")
        if jurisdiction != "US" and jurisdiction not in geo.US_JURISDICTION_CODES:
            problem(line, "jurisdiction is a USPS code or US (national)", agency_id)
        channels = values.get("channels") or []
        if not channels or not all(
            isinstance(channel, dict) and channel.get("type") in CHANNEL_TYPES for channel in channels
        ):
            problem(line, "channels is a list of {type: manual} or {type: webhook}", agency_id)
        fields = values.get("fields")
        if isinstance(fields, str):
            if fields not in field_sets:
                problem(line, f"no field set {fields!r}", agency_id)
            fields = field_sets.get(fields, [])
        elif not isinstance(fields, list) or set(fields) - TIP_FIELDS:
            problem(line, "fields is a field set's name or a list of tip fields", agency_id)
            fields = []
        entries.append(
            AgencyEntry(
                id=agency_id,
                name=str(values.get("name", "")).strip(),
                kind=str(values.get("kind")),
                jurisdiction=str(jurisdiction),
                channels=[dict(channel) for channel in channels if isinstance(channel, dict)],
                allowed_fields=list(fields),
                note=" ".join(str(values["note"]).split()) if values.get("note") else None,
            )
        )

    national = document.get("national", SourceList())
    if not isinstance(national, SourceList):
        problem(document.line_of("national"), "national is a list of agencies")
    else:
        for index, node in enumerate(national):
            entry_from(node, national.line_of(index), {})

    defaults = document.get("state_defaults", SourceMap())
    states = document.get("states", SourceMap())
    if not isinstance(states, SourceMap) or not isinstance(defaults, SourceMap):
        problem(document.line_of("states"), "states and state_defaults are mappings")
    else:
        for code, node in states.items():
            line = states.line_of(code)
            if code not in geo.US_JURISDICTION_CODES:
                problem(line, f"{code!r} is not a USPS code")
                continue
            node = node if isinstance(node, SourceMap) else SourceMap()
            for key in sorted(set(node) - set(STATE_ENTRY_KINDS)):
                problem(node.line_of(key), f"{code}: unknown entry {key!r}; entries are cps, le, services")
            for prefix in STATE_ENTRY_KINDS:
                base = {**plain(defaults.get(prefix) or {}), "jurisdiction": code}
                value = node.get(
                    prefix,
                    f"Victim services referral ({_state_name(code)})" if prefix == "services" else None,
                )
                if value is None:
                    problem(line, f"{code} needs a {prefix} entry")
                    continue
                entry_from(
                    value, node.line_of(prefix) if prefix in node else line, base, f"{prefix}-{code.lower()}"
                )
        for code in sorted(geo.US_JURISDICTION_CODES - set(states)):
            problem(states.line, f"no entries for {code}: every state, DC and territory needs cps and le")

    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            problem(None, f"agency id {entry.id!r} is listed twice")
        seen.add(entry.id)
    if problems:
        raise SourceError(problems)
    return Directory(
        version=str(version),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        entries=entries,
    )


@lru_cache(maxsize=1)
def shipped_directory() -> Directory:
    text = resources.files("routing").joinpath(DIRECTORY_FILE).read_text(encoding="utf-8")
    return parse_directory(text, file=f"routing/{DIRECTORY_FILE}")
