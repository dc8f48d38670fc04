"""Web sign-in: passwords (argon2), server-side sessions with idle and absolute timeouts, and
one-time sign-in links. Only hashes of session and link tokens are stored."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlmodel import Session, col, select

from coverage.errors import InputError
from coverage.settings import get_settings
from coverage.store.tables import SignInLink, User, WebSession, as_utc, utcnow

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verified when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(session: Session, *, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.strip():
        raise InputError("password: no spaces at the start or end")
    user.password_hash = _hasher.hash(password)
    session.add(user)


def hold_attempts_of(session: Session, *, name: str) -> None:
    """Serializes sign-in attempts for one user name until this transaction ends, so that
    counting the recent failures, checking the password and recording the outcome are one step:
    parallel attempts cannot all pass the count before any failure is recorded. PostgreSQL locks
    the name alone (an advisory lock, held for unknown names too); SQLite takes its write lock
    (BEGIN IMMEDIATE), which must be the first statement of the session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(b"sign-in:" + name.encode()).digest()[:8], signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_password(session: Session, *, name: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.name == name)).first()
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    return user


@dataclass(frozen=True)
class SignedIn:
    web_session: WebSession
    user: User


class SessionEnded(Exception):
    """The cookie names no live session; `reason` says why (shown on the sign-in page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def start(session: Session, *, user: User) -> tuple[WebSession, str]:
    """A new session for `user`; returns it and the cookie token (never stored in the clear)."""
    token = secrets.token_urlsafe(32)
    web_session = WebSession(
        user_id=user.id, token_hash=_digest(token), csrf_token=secrets.token_urlsafe(32)
    )
    session.add(web_session)
    return web_session, token


def resume(session: Session, *, token: str, now: datetime | None = None) -> SignedIn:
    """The live session behind a cookie token; ends it (and says why) when it has timed out."""
    now = now or utcnow()
    settings = get_settings()
    web_session = session.exec(
        select(WebSession).where(WebSession.token_hash == _digest(token))
    ).first()
    if web_session is None:
        raise SessionEnded("unknown")
    if web_session.ended_at is not None:
        raise SessionEnded(web_session.end_reason or "signed_out")
    reason = None
    idle_end = as_utc(web_session.last_seen_at) + timedelta(seconds=settings.session_idle_seconds)
    max_end = as_utc(web_session.created_at) + timedelta(seconds=settings.session_max_seconds)
    if now > min(idle_end, max_end):  # the limit reached first is the one the user is told
        reason = "expired" if max_end <= idle_end else "idle"
    user = session.get(User, web_session.user_id)
    if reason is None and (user is None or not user.active):
        reason = "deactivated"
    if reason is not None:
        end(session, web_session=web_session, reason=reason, now=now)
        raise SessionEnded(reason)
    assert user is not None
    return SignedIn(web_session=web_session, user=user)


def touch(session: Session, *, web_session: WebSession, now: datetime | None = None) -> None:
    """A page request by the user (not a background poll) keeps the session alive."""
    web_session.last_seen_at = now or utcnow()
    session.add(web_session)


def end(
    session: Session, *, web_session: WebSession, reason: str, now: datetime | None = None
) -> None:
    web_session.ended_at = now or utcnow()
    web_session.end_reason = reason
    session.add(web_session)


def end_all(session: Session, *, user: User, reason: str) -> int:
    live = session.exec(
        select(WebSession).where(WebSession.user_id == user.id, col(WebSession.ended_at).is_(None))
    ).all()
    for web_session in live:
        end(session, web_session=web_session, reason=reason)
    return len(live)


def issue_link(session: Session, *, user: User) -> str:
    """A one-time token for /welcome/{token}: its holder sets the user's password and signs in.
    Earlier unused links of the user stop working."""
    now = utcnow()
    for old in session.exec(
        select(SignInLink).where(SignInLink.user_id == user.id, col(SignInLink.used_at).is_(None))
    ):
        old.used_at = now
        session.add(old)
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(seconds=get_settings().sign_in_link_seconds),
        )
    )
    return token


def link_url(token: str, *, base_url: str | None = None) -> str:
    """Where a link's holder goes: the pages' public address (settings.public_url) by default."""
    return f"{(base_url or get_settings().public_url).rstrip('/')}/welcome/{token}"


def link_user(session: Session, *, token: str, now: datetime | None = None) -> User | None:
    """The user a live (unused, unexpired) link belongs to, or None."""
    now = now or utcnow()
    link = session.exec(select(SignInLink).where(SignInLink.token_hash == _digest(token))).first()
    if link is None or link.used_at is not None or as_utc(link.expires_at) < now:
        return None
    user = session.get(User, link.user_id)
    return user if user is not None and user.active else None


def redeem_link(session: Session, *, token: str, password: str) -> User | None:
    """Sets the password through a live link and uses the link up; None if the link is not live."""
    user = link_user(session, token=token)
    if user is None:
        return None
    set_password(session, user=user, password=password)
    link = session.exec(select(SignInLink).where(SignInLink.token_hash == _digest(token))).one()
    link.used_at = utcnow()
    session.add(link)
    end_all(session, user=user, reason="password_set")
    return user
