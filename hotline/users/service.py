"""Accounts, passwords, sign-in with lockout, and sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106). A failed sign-in answers the same
whether the username exists or not, and costs the same time, so the form does not reveal who has an account.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from hotline.core.actor import Actor, Role
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import utcnow
from hotline.users.models import User, UserSession

# People sign in as advocates, supervisors or admins; partner agencies use API keys.
USER_ROLES = (Role.advocate, Role.supervisor, Role.admin)
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()


class UserError(ValueError):
    """Input that cannot make or change an account; the message says why."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that case takes as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    username = normalize_username(username)
    if not _USERNAME.match(username):
        raise UserError(
            "a username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def check_password(password: str, *, username: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    if password.strip().lower() == username.lower():
        raise UserError("the password must not be the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def user_actor(user: User) -> Actor:
    return Actor(kind="user", id=str(user.id), name=user.username, role=Role(user.role))


def get_user(*, session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def find_user(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == normalize_username(username))).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))).all())


def create_user(
    *, session: Session, username: str, display_name: str | None, role: Role, password: str, actor: Actor
) -> User:
    username = check_username(username)
    if role not in USER_ROLES:
        raise UserError(f"people sign in as {', '.join(USER_ROLES)}; a {role} uses an API key")
    check_password(password, username=username)
    if find_user(session=session, username=username) is not None:
        raise UserError(f"the username {username!r} is taken")
    display_name = (display_name or "").strip() or username
    if len(display_name) > 120:
        raise UserError("a display name has at most 120 characters")
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=hash_password(password),
        created_by=actor.ref,
    )
    session.add(user)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="user.created",
        subject_type="user",
        subject_id=user.id,
        detail={"username": username, "role": role.value},
    )
    return user


def set_password(*, session: Session, user: User, password: str, actor: Actor) -> None:
    """Replace the password, unlock the account and end its sessions."""
    check_password(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_sign_ins, user.locked_until = 0, None
    _end_all_sessions(session=session, user=user)
    audit_service.record(
        session, actor=actor, action="user.password_set", subject_type="user", subject_id=user.id
    )


def unlock_user(*, session: Session, user: User, actor: Actor, reason: str) -> None:
    user.failed_sign_ins, user.locked_until = 0, None
    session.add(user)
    audit_service.record(
        session,
        actor=actor,
        action="user.unlocked",
        subject_type="user",
        subject_id=user.id,
        detail={"reason": reason},
    )


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


SignInOutcome = Literal["signed_in", "bad_credentials", "locked", "disabled"]


@dataclass
class SignIn:
    outcome: SignInOutcome
    user: User | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "signed_in"


ANONYMOUS = Actor(kind="anonymous", id="anonymous", name="anonymous")


def sign_in(
    *, session: Session, username: str, password: str, settings: Settings, client_ip: str | None
) -> SignIn:
    """Check a username and password, count failures, lock after too many; audit every attempt.

    The caller commits whatever the outcome: failed attempts and locks must be kept.
    """
    user = find_user(session=session, username=username)
    detail = {"client_ip": client_ip}
    if user is None:
        _verify(_dummy_hash(), password)
        # The typed username is not recorded: people sometimes type their password into that field.
        audit_service.record(
            session,
            actor=ANONYMOUS,
            action="user.sign_in_failed",
            subject_type="user",
            subject_id="unknown",
            detail={**detail, "reason": "unknown_user"},
        )
        return SignIn("bad_credentials")
    actor = user_actor(user)
    if user.disabled_at is not None:
        _verify(_dummy_hash(), password)
        _record_failure(session, actor, user, {**detail, "reason": "disabled"})
        return SignIn("disabled", user)
    if is_locked(user):
        _verify(_dummy_hash(), password)
        _record_failure(session, actor, user, {**detail, "reason": "locked"})
        return SignIn("locked", user)
    if not _verify(user.password_hash, password):
        user.failed_sign_ins += 1
        _record_failure(
            session, actor, user, {**detail, "reason": "bad_password", "failures": user.failed_sign_ins}
        )
        if user.failed_sign_ins >= settings.signin_max_failures:
            user.locked_until = utcnow() + timedelta(minutes=settings.signin_lockout_minutes)
            # The next lock needs a fresh run of failures once this one has expired.
            user.failed_sign_ins = 0
            audit_service.record(
                session,
                actor=actor,
                action="user.locked",
                subject_type="user",
                subject_id=user.id,
                detail={
                    "minutes": settings.signin_lockout_minutes,
                    "after_failures": settings.signin_max_failures,
                },
            )
            session.add(user)
            return SignIn("locked", user)
        session.add(user)
        return SignIn("bad_credentials", user)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_sign_ins, user.locked_until = 0, None
    user.last_sign_in_at = utcnow()
    session.add(user)
    audit_service.record(
        session, actor=actor, action="user.signed_in", subject_type="user", subject_id=user.id, detail=detail
    )
    return SignIn("signed_in", user)


def verify_password(user: User, password: str) -> bool:
    return _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _record_failure(session: Session, actor: Actor, user: User, detail: dict[str, object]) -> None:
    audit_service.record(
        session,
        actor=actor,
        action="user.sign_in_failed",
        subject_type="user",
        subject_id=user.id,
        detail=detail,
    )


# Sessions


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(*, session: Session, user: User, settings: Settings) -> tuple[UserSession, str]:
    """A new session (never a reused one: no fixation). Returns the row and the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    user_session = UserSession(
        token_digest=_token_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
    )
    session.add(user_session)
    session.flush()
    return user_session, token


# Writing last_seen_at on every request would make every page view a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


def resume_session(*, session: Session, token: str, settings: Settings) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie's token, or None (unknown, ended, idle or expired)."""
    if not token or len(token) > 200:
        return None
    user_session = session.exec(
        select(UserSession).where(UserSession.token_digest == _token_digest(token))
    ).first()
    if user_session is None or user_session.ended_at is not None:
        return None
    now = utcnow()
    idle_limit = user_session.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= user_session.expires_at or now >= idle_limit:
        return None
    user = session.get(User, user_session.user_id)
    if user is None or user.disabled_at is not None or user.password_changed_at > user_session.created_at:
        return None
    if now - user_session.last_seen_at >= _TOUCH_EVERY:
        user_session.last_seen_at = now
        session.add(user_session)
        session.commit()
    return user_session, user


def end_session(*, session: Session, user_session: UserSession, user: User) -> None:
    user_session.ended_at = utcnow()
    session.add(user_session)
    audit_service.record(
        session,
        actor=user_actor(user),
        action="user.signed_out",
        subject_type="user",
        subject_id=user.id,
        detail={"session_id": str(user_session.id)},
    )


def _end_all_sessions(*, session: Session, user: User) -> None:
    now = utcnow()
    for user_session in session.exec(
        select(UserSession).where(UserSession.user_id == user.id, col(UserSession.ended_at).is_(None))
    ).all():
        user_session.ended_at = now
        session.add(user_session)
