"""Standard Webhooks signing (https://www.standardwebhooks.com), through the `standardwebhooks` package.

`webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; during a secret rotation it carries
one signature per secret, space-separated, so a partner verifying with either secret accepts the delivery.
The body signed is the exact text sent; the timestamp is the UTC second of the attempt.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from functools import lru_cache

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 32 random bytes (what partners give their library)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def is_valid_secret(secret: str) -> bool:
    try:
        return secret.startswith(SECRET_PREFIX) and bool(_signer(secret))
    except Exception:
        return False


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    # Decoding the secret costs more than the HMAC itself: keep one signer per secret.
    return Webhook(secret)


def secrets_in_use(
    secret: str, previous: str | None, previous_expires_at: datetime | None, *, now: datetime
) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous during a rotation."""
    if previous and previous_expires_at is not None:
        if previous_expires_at.tzinfo is None:  # Core queries on SQLite return naive UTC
            previous_expires_at = previous_expires_at.replace(tzinfo=UTC)
        if previous_expires_at > now:
            return [secret, previous]
    return [secret]


def attempt_time(now: datetime) -> datetime:
    """The attempt's timestamp, whole seconds (what the header says is exactly what is signed)."""
    return datetime.fromtimestamp(int(now.timestamp()), UTC)


def signature_header(*, message_id: str, timestamp: datetime, body: str, secrets_: list[str]) -> str:
    return " ".join(_signer(secret).sign(message_id, timestamp, body) for secret in secrets_)


def headers(*, message_id: str, timestamp: datetime, body: str, secrets_: list[str]) -> dict[str, str]:
    """The three Standard Webhooks headers (and the content type) for one attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            message_id=message_id, timestamp=timestamp, body=body, secrets_=secrets_
        ),
    }
