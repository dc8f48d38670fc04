"""Users and their API tokens. Only a SHA-256 of each token is stored."""

import hashlib
import secrets

from sqlmodel import Session, select

from coverage.domain.access import Role
from coverage.errors import ConflictError
from coverage.store.tables import ApiToken, User, utcnow


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
