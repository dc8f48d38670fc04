"""Rule book snapshots: each version that validated, its files' bytes, and which is in force.

Rule data only: no PHI is stored here. A file's bytes are kept once, by SHA-256, whatever the
number of versions that hold it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.store import audit
from coverage.store.tables import RuleBookVersion, RuleFileContent, as_utc, utcnow


@dataclass(frozen=True)
class StoredVersion:
    version: str
    root: str
    files: list[dict[str, Any]]  # [{"path", "kind", "version", "sha256"}]
    in_force_since: datetime | None


def _stored(row: RuleBookVersion) -> StoredVersion:
    since = as_utc(row.in_force_since) if row.in_force_since is not None else None
    return StoredVersion(row.version, row.root, list(row.files), since)


def in_force(session: Session) -> StoredVersion | None:
    row = session.exec(
        select(RuleBookVersion)
        .where(col(RuleBookVersion.in_force_since).is_not(None))
        .order_by(col(RuleBookVersion.in_force_since).desc())
        .limit(1)
    ).first()
    return _stored(row) if row is not None else None


def in_force_version(session: Session) -> str | None:
    """Only the version's hash: the cheap question a process asks before each verification."""
    return session.exec(
        select(RuleBookVersion.version)
        .where(col(RuleBookVersion.in_force_since).is_not(None))
        .order_by(col(RuleBookVersion.in_force_since).desc())
        .limit(1)
    ).first()


def previous(session: Session, *, before: StoredVersion) -> StoredVersion | None:
    """The version that was in force before `before` was put in force."""
    if before.in_force_since is None:
        return None
    row = session.exec(
        select(RuleBookVersion)
        .where(col(RuleBookVersion.in_force_since) < before.in_force_since)
        .where(RuleBookVersion.version != before.version)
        .order_by(col(RuleBookVersion.in_force_since).desc())
        .limit(1)
    ).first()
    return _stored(row) if row is not None else None


def get(session: Session, *, version: str) -> StoredVersion | None:
    row = session.get(RuleBookVersion, version)
    return _stored(row) if row is not None else None


def contents(session: Session, *, stored: StoredVersion) -> dict[str, bytes]:
    """The version's files: path -> bytes. Raises LookupError if a file's bytes are missing."""
    hashes = {f["sha256"] for f in stored.files}
    rows = session.exec(
        select(RuleFileContent).where(col(RuleFileContent.sha256).in_(hashes))
    ).all()
    by_hash = {row.sha256: row.content for row in rows}
    missing = hashes - set(by_hash)
    if missing:
        raise LookupError(f"rule book version {stored.version} lacks {len(missing)} file(s)")
    return {f["path"]: by_hash[f["sha256"]] for f in stored.files}


def _insert_missing(session: Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: another process may store the same version at once."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(list(rows)).on_conflict_do_nothing())


def put_in_force(
    session: Session,
    *,
    version: str,
    root: str,
    files: list[dict[str, Any]],
    contents: Mapping[str, bytes],
    read_at: datetime,
    actor: Actor,
) -> bool:
    """Stores the version (once) as read from the directory at `read_at`; True when that made it
    the version in force.

    The version in force is the one read last (the latest `in_force_since`), not the one stored
    last: a process that validated an edit slowly, after another had read the edit's reversal,
    cannot put the reverted edit in force, whatever the order the two commit in."""
    before = in_force_version(session)
    stored = set(
        session.exec(
            select(RuleFileContent.sha256).where(col(RuleFileContent.sha256).in_(contents))
        ).all()
    )
    _insert_missing(
        session,
        RuleFileContent,
        [{"sha256": sha, "content": data} for sha, data in contents.items() if sha not in stored],
    )
    _insert_missing(
        session,
        RuleBookVersion,
        [{"version": version, "root": root, "files": files, "created_at": utcnow()}],
    )
    row = session.get(RuleBookVersion, version, with_for_update=True)
    assert row is not None
    if row.in_force_since is None or as_utc(row.in_force_since) < read_at:
        row.in_force_since = read_at
        session.add(row)
        session.flush()
    if before == version or in_force_version(session) != version:
        return False
    audit.record(
        session,
        actor=actor,
        action="rules.in_force",
        entity_type="rule_book",
        entity_id=version,
        detail=f"{len(files)} files",
    )
    return True
