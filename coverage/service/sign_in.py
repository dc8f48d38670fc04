"""Signing in to the staff pages: the wrong-password pause, web sessions, one-time links, and the
audit entry of each, every step in its own transaction (the pages never commit)."""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from coverage.domain.access import Actor, Role
from coverage.settings import get_settings
from coverage.store import audit, web_sign_in
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent, User, as_utc, utcnow

ANONYMOUS = "anonymous"
PAUSE = timedelta(minutes=15)  # after too many wrong passwords for one name


@dataclass(frozen=True)
class Started:
    """A new web session: who, and the token its cookie carries."""

    name: str
    role: Role
    token: str


class Refused(StrEnum):
    PAUSED = "paused"  # too many wrong passwords for this name lately
    WRONG = "wrong"  # the name or password is not right


def _recent_failures(session: Session, name: str) -> int:
    since = utcnow() - PAUSE
    last_ok = session.exec(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == "signin", AuditEvent.actor == name
        )
    ).one()
    if last_ok is not None and as_utc(last_ok) > since:
        since = as_utc(last_ok)
    return session.exec(
        select(func.count()).where(
            AuditEvent.action == "signin.failed",
            AuditEvent.entity_id == name[:64],
            col(AuditEvent.at) > since,
        )
    ).one()


def _start(session: Session, user: User, client: str | None) -> Started:
    _, token = web_sign_in.start(session, user=user)
    actor = Actor(name=user.name, role=Role(user.role), client=client)
    audit.record(session, actor=actor, action="signin", entity_type="user", entity_id=user.name)
    return Started(user.name, Role(user.role), token)


def sign_in(name: str, password: str, *, client: str | None) -> Started | Refused:
    with session_scope() as session:
        web_sign_in.hold_attempts_of(session, name=name)  # count, check, record: one at a time
        if _recent_failures(session, name) >= get_settings().sign_in_attempts:
            return Refused.PAUSED
        user = web_sign_in.check_password(session, name=name, password=password)
        if user is None:
            audit.record(
                session,
                actor=Actor(name=ANONYMOUS, role=Role.SYSTEM, client=client),
                action="signin.failed",
                entity_type="user",
                entity_id=name[:64],
                outcome="denied",
            )
            return Refused.WRONG
        return _start(session, user, client)


def redeem_link(token: str, password: str, *, client: str | None) -> Started | None:
    """The password chosen with a one-time link, and a session; None when the link no longer
    works; InputError (nothing stored) when the password is not accepted."""
    with session_scope() as session:
        user = web_sign_in.redeem_link(session, token=token, password=password)
        if user is None:
            return None
        actor = Actor(name=user.name, role=Role(user.role), client=client)
        audit.record(
            session, actor=actor, action="password.set", entity_type="user", entity_id=user.name
        )
        return _start(session, user, client)


def link_user(token: str) -> User | None:
    """Whose one-time link this is, while it still works."""
    with session_scope() as session:
        return web_sign_in.link_user(session, token=token)


def resume(token: str, *, keep_alive: bool) -> web_sign_in.SignedIn:
    """The web session behind a cookie (SessionEnded, recorded, when it has ended); a page the
    user asked for counts as activity, a background poll does not."""
    with session_scope() as session:
        try:
            signed = web_sign_in.resume(session, token=token)
        except web_sign_in.SessionEnded:
            session.commit()  # the end of a timed-out session is recorded
            raise
        if keep_alive:
            web_sign_in.touch(session, web_session=signed.web_session)
        return signed


def sign_out(token: str, *, actor: Actor) -> None:
    with session_scope() as session:
        signed = web_sign_in.resume(session, token=token)
        web_sign_in.end(session, web_session=signed.web_session, reason="signed_out")
        audit.record(
            session, actor=actor, action="signout", entity_type="user", entity_id=actor.name
        )


def refuse(actor: Actor, *, what: str, path: str) -> None:
    """A signed-in user asked for a route or page that is not for their role."""
    with session_scope() as session:
        audit.record(
            session,
            actor=actor,
            action="access.denied",
            entity_type=what,
            entity_id=path[:64],
            outcome="denied",
        )
