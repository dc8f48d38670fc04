"""The administrators' page: staff users, their roles, one-time sign-in links, deactivation.

A sign-in link is shown once, on the page the POST itself renders (never in a redirect URL,
which would land in the browser's history and in proxy logs). Administrators see no PHI."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from coverage.api.deps import SessionDep
from coverage.api.web.auth import WebUser, form_for, page_for
from coverage.api.web.navigation import ROLE_NAMES
from coverage.api.web.render import page
from coverage.domain.access import Role
from coverage.errors import ConflictError, InputError, NotFoundError
from coverage.service import staff
from coverage.settings import get_settings
from coverage.store import users, web_sign_in

router = APIRouter(include_in_schema=False)
Admin = Annotated[WebUser, Depends(page_for(Role.ADMIN))]
AdminForm = Annotated[WebUser, Depends(form_for(Role.ADMIN))]


@dataclass(frozen=True)
class NewLink:
    name: str
    url: str
    first: bool  # a new user's first link, or a reset


def _users_page(
    request: Request,
    session: Session,
    admin: WebUser,
    *,
    new_link: NewLink | None = None,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "web/users.html",
        admin,
        status_code=status_code,
        users=users.all_(session),
        roles=[(r.value, ROLE_NAMES[r]) for r in users.STAFF_ROLES],
        new_link=new_link,
        notice=notice,
        errors=errors or {},
        values=values or {},
        name_rule=users.NAME_RULE,
        valid_for=_valid_for(),
    )


def _valid_for() -> str:
    seconds = get_settings().sign_in_link_seconds
    if seconds >= 7200:
        return f"{seconds / 3600:g} hours"
    return f"{seconds / 60:g} minutes"


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, admin: Admin) -> HTMLResponse:
    return _users_page(request, session, admin)


@router.post("/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    session: SessionDep,
    admin: AdminForm,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    name = name.strip()
    values = {"name": name, "role": role}
    errors: dict[str, str] = {}
    try:
        users.check_name(name)
    except InputError:
        errors["name"] = f"use 1 to 80 {users.NAME_RULE}"
    if role not in {r.value for r in users.STAFF_ROLES}:
        errors["role"] = "choose one of the roles"
    added = None
    if not errors:
        try:
            added = staff.add(name, Role(role), actor=admin.actor, api_token=False)
        except ConflictError:
            errors["name"] = "a user with this name already exists"
    if added is None:
        return _users_page(request, session, admin, errors=errors, values=values, status_code=422)
    link = NewLink(name=added.name, url=web_sign_in.link_url(added.link), first=True)
    return _users_page(request, session, admin, new_link=link)


def _refused(request: Request, session: Session, admin: WebUser, exc: Exception) -> HTMLResponse:
    """A change the service refused, said on the page: 404 when the user is gone."""
    code = 404 if isinstance(exc, NotFoundError) else 409
    return _users_page(request, session, admin, notice=str(exc), status_code=code)


@router.post("/users/{user_id}/link", response_class=HTMLResponse)
def new_link(
    request: Request, session: SessionDep, admin: AdminForm, user_id: uuid.UUID
) -> HTMLResponse:
    """A password reset: the old password and the user's sessions stop working at once."""
    try:
        name, token = staff.new_link(actor=admin.actor, user_id=user_id)
    except (NotFoundError, ConflictError) as exc:
        return _refused(request, session, admin, exc)
    link = NewLink(name=name, url=web_sign_in.link_url(token), first=False)
    return _users_page(request, session, admin, new_link=link)


@router.post("/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate(
    request: Request, session: SessionDep, admin: AdminForm, user_id: uuid.UUID
) -> HTMLResponse:
    try:
        name, _, revoked = staff.deactivate(user_id, actor=admin.actor)
    except (NotFoundError, ConflictError) as exc:
        return _refused(request, session, admin, exc)
    return _users_page(
        request,
        session,
        admin,
        notice=f"{name} is deactivated: signed out everywhere, "
        f"{revoked} API token{'s' if revoked != 1 else ''} revoked.",
    )


@router.post("/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate(
    request: Request, session: SessionDep, admin: AdminForm, user_id: uuid.UUID
) -> HTMLResponse:
    try:
        name = staff.reactivate(user_id, actor=admin.actor)
    except NotFoundError as exc:
        return _refused(request, session, admin, exc)
    return _users_page(
        request,
        session,
        admin,
        notice=f"{name} is active again and can sign in with their password. "
        "Their old API tokens stay revoked: a new one comes from `iop-coverage users add`.",
    )


@router.post("/users/{user_id}/role", response_class=HTMLResponse)
def change_role(
    request: Request,
    session: SessionDep,
    admin: AdminForm,
    user_id: uuid.UUID,
    role: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """The page a user is refused sends them here: the change takes effect on their next request."""
    if role not in {r.value for r in users.STAFF_ROLES}:
        return _users_page(
            request, session, admin, notice="Choose one of the roles.", status_code=422
        )
    try:
        name = staff.change_role(user_id, Role(role), actor=admin.actor)
    except (NotFoundError, ConflictError) as exc:
        return _refused(request, session, admin, exc)
    return _users_page(
        request, session, admin, notice=f"{name} is now one of the {ROLE_NAMES[Role(role)]}."
    )
