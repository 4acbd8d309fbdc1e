"""Stored results as a page shows them: highlighted narratives, routing with reasons, local times."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Segment:
    """A run of narrative text; `reasons` is non-empty when evidence points at it."""

    text: str
    reasons: list[str] = field(default_factory=list)

    @property
    def marked(self) -> bool:
        return bool(self.reasons)


def narrative_segments(narrative: str | None, evidence: list[dict[str, Any]]) -> list[Segment]:
    """Split the narrative at evidence spans ([start, end) character offsets), overlapping spans included.

    Spans outside the text or reversed are ignored rather than trusted: the narrative is shown as stored.
    """
    if not narrative:
        return []
    length = len(narrative)
    spans: list[tuple[int, int, str]] = []
    for item in evidence:
        span = item.get("span")
        if item.get("source") != "narrative" or not span or len(span) != 2:
            continue
        start, end = span
        if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= length:
            continue
        spans.append((start, end, str(item.get("reason") or "evidence")))
    cuts = sorted({0, length, *(start for start, _, _ in spans), *(end for _, end, _ in spans)})
    segments: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        reasons = [reason for s, e, reason in spans if s <= start and end <= e]
        if segments and segments[-1].reasons == reasons:
            segments[-1].text += narrative[start:end]
        else:
            segments.append(Segment(narrative[start:end], reasons))
    return segments


@dataclass
class RoutedTarget:
    agency_id: str
    rule_id: str
    priority: str
    sla_minutes: int | None
    reason: str | None


def routed_targets(routing: dict[str, Any] | None) -> list[RoutedTarget]:
    """Each target with the reason its rule matched (from the trace), when the decision gives one."""
    if not routing:
        return []
    why_by_rule = {
        entry.get("rule_id"): entry.get("why") for entry in routing.get("trace") or [] if entry.get("matched")
    }
    return [
        RoutedTarget(
            agency_id=str(target.get("agency_id")),
            rule_id=str(target.get("rule_id") or ""),
            priority=str(target.get("priority") or ""),
            sla_minutes=target.get("sla_minutes"),
            reason=target.get("reason") or why_by_rule.get(target.get("rule_id")),
        )
        for target in routing.get("targets") or []
    ]


def local_time(value: datetime | None, zone: str, *, seconds: bool = False) -> str:
    if value is None:
        return ""
    shown = value.astimezone(ZoneInfo(zone))
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def duration(seconds: float | None) -> str:
    """A short human duration: 240 ms, 3.5 s, 12 min, 5.2 h."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
