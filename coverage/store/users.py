"""Users, their API tokens and their web access. Only a SHA-256 of each token is stored."""

import hashlib
import re
import secrets
import uuid

from sqlmodel import Session, select

from coverage.domain.access import Role
from coverage.errors import ConflictError, InputError
from coverage.store import web_sign_in
from coverage.store.tables import ApiToken, User, utcnow

# Names appear in the audit log, the navigation and sign-in links' pages: plain and short.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")
NAME_RULE = "letters, digits, dots, dashes, underscores or @, starting with a letter or digit"
# People sign in to the pages; `system` is for workers only.
STAFF_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, *, name: str, role: Role, api_token: bool = True
) -> tuple[User, str | None]:
    """Returns the user and a new API token (unless `api_token` is False), which is shown once
    and never stored in the clear."""
    if session.exec(select(User).where(User.name == name)).first():
        raise ConflictError(f"user {name!r} already exists")
    user = User(name=name, role=role.value)
    session.add(user)
    session.flush()
    if not api_token:
        return user, None
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token)))
    return user, token


def get(session: Session, *, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def any_exist(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def all_(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))


def authenticate(session: Session, *, token: str) -> User | None:
    row = session.exec(
        select(User, ApiToken)
        .join(ApiToken)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at == None)  # noqa: E711
    ).first()
    if row is None or not row[0].active:
        return None
    return row[0]


def revoke(session: Session, *, name: str) -> int:
    tokens = session.exec(
        select(ApiToken).join(User).where(User.name == name, ApiToken.revoked_at == None)  # noqa: E711
    ).all()
    for token in tokens:
        token.revoked_at = utcnow()
        session.add(token)
    return len(tokens)


FIRST_ADMIN = "admin"


def create_first_admin(session: Session) -> str | None:
    """On a database without users: the administrator `admin` (no API token, no password yet)
    and the token of its one-time sign-in link. None when any user exists."""
    if any_exist(session):
        return None
    user, _ = create(session, name=FIRST_ADMIN, role=Role.ADMIN, api_token=False)
    return web_sign_in.issue_link(session, user=user)


def check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(f"user name: 1 to 80 {NAME_RULE}")


def by_id(session: Session, *, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def deactivate(session: Session, *, user: User) -> tuple[int, int]:
    """The user can no longer sign in or call the API: their web sessions end now and their API
    tokens are revoked (a reactivated user needs a new token). Returns (sessions, tokens)."""
    user.active = False
    session.add(user)
    ended = web_sign_in.end_all(session, user=user, reason="deactivated")
    return ended, revoke(session, name=user.name)


def reactivate(session: Session, *, user: User) -> None:
    user.active = True
    session.add(user)


def change_role(session: Session, *, user: User, role: Role) -> None:
    """Takes effect on the user's next request: pages and the API read the role every time."""
    user.role = role.value
    session.add(user)


def reset_sign_in(session: Session, *, user: User) -> str:
    """A new one-time sign-in link (a password reset): the old password stops working and the
    user's web sessions end, so whoever knew it is out. Returns the link's token."""
    user.password_hash = None
    session.add(user)
    web_sign_in.end_all(session, user=user, reason="password_reset")
    return web_sign_in.issue_link(session, user=user)
