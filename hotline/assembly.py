"""Where the application is assembled: the integrations that implement the domains' interfaces are
registered here, once per process, by every entry point (the app factory, the CLI, the worker)."""

from __future__ import annotations

from hotline.referrals import interfaces as referral_interfaces
from integrations.webhooks.channel import CHANNEL_NAME, WebhookChannel


def install() -> None:
    """Register every integration (idempotent)."""
    referral_interfaces.register_channel(CHANNEL_NAME, WebhookChannel)
