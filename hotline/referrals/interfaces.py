"""What the referrals domain needs from the outside: channels that carry referral events to agencies.

A channel (partner webhooks: `integrations.webhooks.channel`) implements `ReferralChannel` and is registered
where the application is assembled (`hotline.assembly`), as Dispatch registers its plugins and Warehouse its
service interfaces. The referrals domain never imports an integration: it announces each change through the
channels registered here, in the transaction that makes the change (an outbox), and an agency no channel
reaches is worked by hand from the manual queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from hotline.agencies.models import Agency
from hotline.core.config import Settings
from hotline.referrals.models import Referral
from hotline.tips.models import Tip, TipPerson

MANUAL_CHANNEL = "manual"


@dataclass(frozen=True)
class TipSnapshot:
    """What an event may tell about a tip: the tip, its persons, and the routing facts of its decision."""

    tip: Tip
    persons: list[TipPerson]
    case_id: uuid.UUID | None
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Announcement:
    """One event about a referral: `referral.created`, `referral.updated` or `referral.withdrawn`."""

    event_type: str
    referral: Referral
    agency: Agency
    occurred_at: datetime
    # The tip, for created and updated events; the channel keeps only the fields the agency may see.
    tip: TipSnapshot | None = None
    # Why a referral was withdrawn (a code: reassessed, overridden, declined).
    reason: str | None = None


class ReferralChannel(Protocol):
    """One way referrals reach agencies, opened for one unit of work (it may cache what it reads)."""

    name: str

    def reaches(self, agency_ids: Collection[str]) -> set[str]:
        """Which of these agencies this channel delivers to."""
        ...

    def announce(self, announcement: Announcement) -> None:
        """Record the event for delivery, in the caller's transaction (nothing is sent before it commits)."""
        ...

    def narrowed_fields(self, agency_id: str) -> list[str] | None:
        """The agency's own narrowing of its allowed fields on this channel, if it has one."""
        ...

    def finish(self) -> None:
        """The unit of work is complete: wake whatever sends what it recorded."""
        ...


ChannelFactory = Callable[[Session, Settings], ReferralChannel]

_factories: dict[str, ChannelFactory] = {}


def register_channel(name: str, factory: ChannelFactory) -> None:
    """Register (or replace) a channel; called where the application is assembled."""
    _factories[name] = factory


def open_channels(session: Session, settings: Settings) -> list[ReferralChannel]:
    """One instance of every registered channel, for one unit of work."""
    if not _factories:
        raise RuntimeError(
            "no referral channel is registered: the entry point must call hotline.assembly.install()"
        )
    return [factory(session, settings) for factory in _factories.values()]
