"""Request dependencies, as Annotated aliases: the database session, settings, and who is asking."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from hotline.auth import service as auth_service
from hotline.core.actor import Actor, Role
from hotline.core.config import Settings


def get_session(request: Request) -> Iterator[Session]:
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]

_bearer = HTTPBearer(auto_error=False, description="An API key from `hotline keys create`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header")


def get_actor(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> Actor:
    presented = bearer.credentials if bearer else header_key
    actor = auth_service.authenticate_api_key(session=session, presented=presented) if presented else None
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Actor]:
    """A dependency that lets through only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    def _check(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {actor.role} role may not do this")
        return actor

    _check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route-walking test
    return _check


# Who may do what (DESIGN.md "Roles"). A route names one of these.
AdvocateActor = Annotated[Actor, Depends(require_roles(Role.advocate, Role.supervisor))]
SupervisorActor = Annotated[Actor, Depends(require_roles(Role.supervisor))]
PartnerActor = Annotated[Actor, Depends(require_roles(Role.partner))]
AdminActor = Annotated[Actor, Depends(require_roles(Role.admin))]
# Partner webhook endpoints: supervisors watch their health, administrators register them (no victims' data).
SupervisorOrAdminActor = Annotated[Actor, Depends(require_roles(Role.supervisor, Role.admin))]
