"""Creating and checking API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from hotline.auth.models import ApiKey
from hotline.core.actor import Actor, Role
from hotline.core.audit import service as audit_service

KEY_PREFIX = "hk"


def _digest(key: str) -> str:
    # Keys carry 256 random bits, so a fast digest is safe; a slow password hash would cost every request.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    *, session: Session, name: str, role: Role, actor: Actor, agency_id: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext, which is never stored or shown again."""
    if role == Role.partner and not agency_id:
        raise ValueError("a partner key needs the agency it acts for (--agency)")
    if role != Role.partner and agency_id:
        raise ValueError("only partner keys act for an agency")
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        name=name,
        role=role.value,
        agency_id=agency_id,
        prefix=prefix,
        key_digest=_digest(plaintext),
        created_by=actor.ref,
    )
    session.add(api_key)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="api_key.created",
        subject_type="api_key",
        subject_id=api_key.id,
        detail={"name": name, "role": role.value, "agency_id": agency_id},
    )
    return api_key, plaintext


def authenticate_api_key(*, session: Session, presented: str) -> Actor | None:
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    api_key = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if api_key is None or api_key.revoked_at is not None:
        return None
    if not hmac.compare_digest(api_key.key_digest, _digest(presented.strip())):
        return None
    return Actor(
        kind="api_key",
        id=str(api_key.id),
        name=api_key.name,
        role=Role(api_key.role),
        agency_id=api_key.agency_id,
    )
