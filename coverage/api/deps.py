"""Dependencies as types: a route states what it needs in its signature."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from coverage.domain.access import Actor, Role
from coverage.service import Enqueue
from coverage.service import sign_in as signing_in
from coverage.settings import get_settings
from coverage.store import users
from coverage.store.db import get_engine

_bearer = HTTPBearer(auto_error=False, description="An API token from `iop-coverage users add`")


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    user = users.authenticate(session, token=credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing, unknown or revoked API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Actor(
        name=user.name, role=Role(user.role), client=request.client.host if request.client else None
    )


def require(*roles: Role) -> Callable[..., Actor]:
    def check(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in roles:
            signing_in.refuse(actor, what="route", path=request.url.path)
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {actor.role.value!r} may not do this; needs {allowed}",
            )
        return actor

    return check


def get_enqueue() -> Enqueue:
    if get_settings().in_process:
        from coverage.embedded import enqueue_in_thread

        return enqueue_in_thread
    from workers.tasks import enqueue

    return enqueue


Reader = Annotated[Actor, Depends(require(Role.ADMISSIONS, Role.BILLING))]
Submitter = Annotated[Actor, Depends(require(Role.ADMISSIONS))]
Billing = Annotated[Actor, Depends(require(Role.BILLING))]
Operator = Annotated[Actor, Depends(require(Role.OPERATOR))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR))]
EnqueueDep = Annotated[Enqueue, Depends(get_enqueue)]
