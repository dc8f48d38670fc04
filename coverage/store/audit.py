"""Append-only audit trail: actor, action, entity and outcome; never the values themselves."""

import uuid
from collections.abc import Sequence

from sqlalchemy import insert
from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.store.tables import AuditEvent


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str,
    outcome: str = "ok",
    part2: bool = False,
    detail: str = "",
) -> None:
    """Adds the entry to the caller's transaction, so it commits (or not) with the change it records."""
    session.add(
        AuditEvent(
            actor=actor.name,
            actor_role=actor.role.value,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            outcome=outcome,
            part2=part2,
            client=actor.client,
            detail=detail[:200],
        )
    )


def list_(
    session: Session, *, actor: str | None = None, action: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query))


def record_many(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entities: Sequence[tuple[uuid.UUID | str, bool]],
) -> None:
    """record() for many entities at once, (entity id, part2) each, as one multi-row INSERT:
    the jobs of a CSV batch."""
    if entities:
        session.execute(
            insert(AuditEvent),
            [
                {
                    "actor": actor.name,
                    "actor_role": actor.role.value,
                    "action": action,
                    "entity_type": entity_type,
                    "entity_id": str(entity_id),
                    "outcome": "ok",
                    "part2": part2,
                    "client": actor.client,
                    "detail": "",
                }
                for entity_id, part2 in entities
            ],
        )
