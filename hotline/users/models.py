"""User accounts and their sign-in sessions.

The table is `user_account`, not `user`: `user` is a reserved word in PostgreSQL (`SELECT * FROM user` quietly
returns the current database role), and every hand-written query would have to quote it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.database import UTCDateTime, new_id, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Lower case; what people type to sign in. Staff names, never a victim's.
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    # argon2id, in the PHC string format (parameters and salt included).
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Consecutive failed sign-ins; reset by a successful one. Reaching the limit locks the account.
    failed_sign_ins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 digest is stored."""

    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
