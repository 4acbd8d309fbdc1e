"""Keyset pagination cursors and date-range bounds shared by the list endpoints."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


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


def keyset_page(
    session: Session,
    query: Any,
    *,
    at: Any,
    row_id: Any,
    cursor: str | None,
    limit: int,
    oldest_first: bool = False,
    entity: Callable[[Any], Any] = lambda row: row,
) -> tuple[Sequence[Any], str | None]:
    """One page of `query` in (timestamp, id) order, and the cursor of the next page (None on the last).

    `entity` picks the model out of a result row when the query selects more than one thing.
    """
    if cursor:
        query = query.where(after_cursor(at, row_id, cursor, oldest_first=oldest_first))
    order = (at, row_id) if oldest_first else (at.desc(), row_id.desc())
    # One row more than asked tells whether there is a next page without counting.
    rows = session.exec(query.order_by(*order).limit(limit + 1)).all()
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    last = entity(page[-1])
    return page, encode_cursor(getattr(last, at.key), getattr(last, row_id.key))
