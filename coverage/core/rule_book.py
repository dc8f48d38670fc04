"""The rule book in force: the same version in every process, kept across restarts.

The rules directory is the candidate. When it changes, this process reads and validates it:
a book that loads becomes the version in force (stored as a content-addressed snapshot, so every
process and every restart can have it); a directory that does not load never replaces it, and
while it stays broken every process uses the stored version in force, including a process that
starts in the middle of it. Without a database (a fresh machine, `rules check`) the last good
book in memory is kept.

Cheap when nothing changed: one stat per file and no query. The book a verification used is
recorded with its result (RuleBook.version), so a result can always be explained later.
"""

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.exc import SQLAlchemyError

from coverage.adapters.base import settings_models
from coverage.domain.access import Actor, Role
from coverage.domain.payer import PayerConfig
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleBookError, RuleFileError
from coverage.rules.files import SUFFIXES, RuleSource, read_directory
from coverage.rules.loader import load_source
from coverage.settings import get_settings
from coverage.store import rule_versions
from coverage.store.db import session_scope

log = logging.getLogger(__name__)
RULE_BOOK = Actor(name="rule-book", role=Role.SYSTEM)
_SNAPSHOTS_KEPT = 4


class RuleBookUnavailable(Exception):
    """No rule book has loaded in this process and none is stored: a fresh install whose
    rules directory does not load. str() names the first problem."""


@dataclass(frozen=True)
class Candidate:
    """What this process last read from the rules directory."""

    checked_at: datetime
    hashes: dict[str, str]  # path -> SHA-256 of the files it holds (readable ones)
    version: str | None = None  # when it loaded
    errors: tuple[RuleFileError, ...] = ()  # when it was refused


@dataclass
class _State:
    signature: tuple[tuple[str, int, int], ...] | None = None
    book: RuleBook | None = None
    origin: str = ""  # "the rules directory" or "the stored snapshot"
    loaded_at: datetime | None = None
    candidate: Candidate | None = None
    snapshots: dict[str, RuleBook] = field(default_factory=dict)
    database_warned: bool = False


_lock = threading.Lock()
_state = _State()


def reset() -> None:
    """Forget what this process loaded (tests, and a process that points at another directory)."""
    global _state
    with _lock:
        _state = _State()


def _signature(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every rule file (and link): a change to any of them
    means the directory is read again."""
    found = []
    try:
        for folder, _, names in os.walk(rules_dir, followlinks=False):
            for name in names:
                if name.lower().endswith(SUFFIXES):
                    path = os.path.join(folder, name)
                    try:
                        info = os.lstat(path)
                        found.append((path, info.st_mtime_ns, info.st_size))
                    except OSError:
                        found.append((path, -1, -1))
    except Exception:  # a directory too deep to walk: read it, and let the reader say why
        return (("", time.monotonic_ns(), 0),)
    return tuple(sorted(found))


def _database_problem(state: _State, exc: Exception) -> None:
    if not state.database_warned:
        log.warning(
            "rule book snapshots unavailable (%s): this process keeps its own last good book",
            type(exc).__name__,
        )
        state.database_warned = True


def _use(state: _State, book: RuleBook, origin: str) -> None:
    if state.book is not None and state.book.version == book.version:
        return
    state.book, state.origin, state.loaded_at = book, origin, datetime.now(UTC)
    log.info(
        "rule book in force: version %s, %d files, from %s",
        book.version[:12],
        len(book.files),
        origin,
    )


def _store(state: _State, book: RuleBook, read_at: datetime) -> None:
    files = [ref.model_dump(mode="json") for ref in book.files]
    contents = {
        ref.sha256: book.source.files[PurePosixPath(ref.path.as_posix())] for ref in book.files
    }
    try:
        with session_scope() as session:
            changed = rule_versions.put_in_force(
                session,
                version=book.version,
                root=book.source.root,
                files=files,
                contents=contents,
                read_at=read_at,
                actor=RULE_BOOK,
            )
    except SQLAlchemyError as exc:
        _database_problem(state, exc)
        return
    if changed:
        log.info("rule book version %s put in force", book.version[:12])


def _read(state: _State, rules_dir: Path, checked: datetime) -> None:
    """`checked`: when the directory was looked at, before it was read (see put_in_force)."""
    source, hashes = RuleSource(rules_dir.name, {}), {}
    try:
        source, read_errors = read_directory(rules_dir)
        hashes = {
            source.display(relative): hashlib.sha256(data).hexdigest()
            for relative, data in source.files.items()
        }
        book = load_source(
            source,
            adapters=settings_models(),
            read_errors=read_errors,
            horizon_days=get_settings().rules_horizon_days,
        )
    except RuleBookError as exc:
        state.candidate = Candidate(checked, hashes, errors=exc.errors)
        log.error(
            "rule book change refused, the version in force stays: %d problem(s), first %s",
            len(exc.errors),
            exc.errors[0],
        )
        return
    except Exception as exc:  # a bug must not stop verifications: the version in force stays
        problem = RuleFileError(
            f"{source.root}/",
            None,
            f"the rule book could not be loaded ({type(exc).__name__}); the service log has "
            "the details",
        )
        state.candidate = Candidate(checked, hashes, errors=(problem,))
        log.exception("rule book change refused: unexpected %s", type(exc).__name__)
        return
    state.candidate = Candidate(checked, hashes, version=book.version)
    _use(state, book, "the rules directory")
    _store(state, book, checked)


def _snapshot(state: _State, version: str) -> RuleBook | None:
    """A stored version as a rule book (loaded once, then kept)."""
    if version in state.snapshots:
        return state.snapshots[version]
    try:
        with session_scope() as session:
            stored = rule_versions.get(session, version=version)
            if stored is None:
                return None
            data = rule_versions.contents(session, stored=stored)
    except (SQLAlchemyError, LookupError) as exc:
        _database_problem(state, exc)
        return None
    source = RuleSource(stored.root, {PurePosixPath(p): b for p, b in data.items()})
    try:
        book = load_source(
            source, adapters=settings_models(), horizon_days=get_settings().rules_horizon_days
        )
    except Exception as exc:  # e.g. an adapter plug-in this process lacks
        log.error("stored rule book %s does not load here (%s)", version[:12], exc)
        return None
    if len(state.snapshots) >= _SNAPSHOTS_KEPT:
        state.snapshots.pop(next(iter(state.snapshots)))
    state.snapshots[version] = book
    return book


def _follow_in_force(state: _State) -> None:
    """While the directory does not load, use the stored version in force."""
    try:
        with session_scope() as session:
            version = rule_versions.in_force_version(session)
    except SQLAlchemyError as exc:
        _database_problem(state, exc)
        return
    if version is None or (state.book is not None and state.book.version == version):
        return
    book = _snapshot(state, version)
    if book is not None:
        _use(state, book, "the stored snapshot")


def current_rulebook() -> RuleBook:
    """The book to verify with now. Raises RuleBookUnavailable only when no good book has ever
    loaded anywhere."""
    rules_dir = get_settings().rules_dir
    looked_at = datetime.now(UTC)
    signature = _signature(rules_dir)
    with _lock:
        state = _state
        if signature != state.signature:
            state.signature = signature
            _read(state, rules_dir, looked_at)
        if state.candidate is None or state.candidate.errors:
            _follow_in_force(state)
        if state.book is None:
            problems = state.candidate.errors if state.candidate else ()
            first = str(problems[0]) if problems else "no rule book has loaded"
            raise RuleBookUnavailable(first)
        return state.book


def payers_in_force() -> dict[str, PayerConfig]:
    """The payer directory for pages and forms; empty (and logged) while no rule book has ever
    loaded, so a page lists nothing instead of failing."""
    try:
        return current_rulebook().payers
    except RuleBookUnavailable as exc:
        log.error("no rule book in force: %s", exc)
        return {}


@dataclass(frozen=True)
class ProcessView:
    """What this process holds, for the status report."""

    book: RuleBook | None
    origin: str
    loaded_at: datetime | None
    candidate: Candidate | None


def process_view() -> ProcessView:
    try:
        current_rulebook()
    except RuleBookUnavailable:
        pass
    with _lock:
        return ProcessView(_state.book, _state.origin, _state.loaded_at, _state.candidate)


def stored_in_force() -> tuple[rule_versions.StoredVersion, RuleBook | None] | None:
    """The version in force as the database records it, for the command line; None without a
    database (asking never creates the embedded SQLite file)."""
    url = get_settings().database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    try:
        with session_scope() as session:
            stored = rule_versions.in_force(session)
    except SQLAlchemyError:
        return None
    if stored is None:
        return None
    return stored, stored_book(stored.version)


def stored_book(version: str) -> RuleBook | None:
    """A stored version (the one before the version in force, for what changed)."""
    with _lock:
        return _snapshot(_state, version)
