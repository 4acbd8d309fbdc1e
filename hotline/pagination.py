"""Keyset pagination cursors and date-range bounds shared by the list endpoints."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa


class InvalidCursor(ValueError):
    pass


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor for the row after which the next page starts (ordered by a timestamp, then id)."""
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed, uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc


def start_of(day: date | datetime | None, *, next_day: bool = False) -> datetime | None:
    """A query bound: a date is its UTC start (or the next day's, for an inclusive end date)."""
    if day is None:
        return None
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


def after_cursor(
    at_column: Any, id_column: Any, cursor: str, *, oldest_first: bool = False
) -> sa.ColumnElement[bool]:
    """Rows after the cursor's row in a (timestamp, id) order: newest first unless `oldest_first`."""
    after_at, after_id = decode_cursor(cursor)
    if oldest_first:
        return sa.or_(at_column > after_at, sa.and_(at_column == after_at, id_column > after_id))
    return sa.or_(at_column < after_at, sa.and_(at_column == after_at, id_column < after_id))
