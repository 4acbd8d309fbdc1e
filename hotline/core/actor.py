"""Who acts: roles (DESIGN.md "Roles") and the actor every service call and audit event names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    advocate = "advocate"  # enters and reads tips and cases
    supervisor = (
        "supervisor"  # everything an advocate can, plus review, overrides, rules, replays, exports, audit
    )
    partner = "partner"  # its own referrals and acknowledgements only
    admin = "admin"  # keys, users, partners; no victims' data


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever is acting: a key, a signed-in person, or the system itself (import, worker, Twilio)."""

    kind: str  # api_key | user | system | twilio
    id: str
    name: str
    role: Role | None = None
    agency_id: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}" if self.kind in {"system", "twilio"} else f"{self.kind}:{self.id}"


SYSTEM_ACTOR = Actor(kind="system", id="system", name="system")


def system_actor(name: str) -> Actor:
    return Actor(kind="system", id=name, name=name)
