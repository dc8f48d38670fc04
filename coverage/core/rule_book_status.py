"""What operators see of the rule book (GET /api/rules/status, the Rule book page): the version
in force, a refused change with each of its errors, data about to run out, and what the version
in force changed. Rule data only: no PHI."""

from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from coverage.adapters.base import settings_models
from coverage.core.rule_book import process_view, stored_book
from coverage.rules.book import RuleBook
from coverage.rules.diff import Change, diff
from coverage.rules.errors import RuleBookError, RuleFileError, RuleWarning
from coverage.rules.horizon import expiry_warnings
from coverage.rules.loader import load_book
from coverage.settings import get_settings
from coverage.store import rule_versions
from coverage.store.db import session_scope


class RuleFileStatus(BaseModel):
    path: str  # relative to the rules directory
    kind: str
    version: str
    sha256: str
    effective: date | None
    expires: date | None
    status: str  # verified | draft


class InForce(BaseModel):
    version: str  # SHA-256 over every file's path and hash
    since: datetime | None  # when it was put in force (None: not recorded, no database)
    loaded_at: datetime | None  # when this process loaded it
    origin: str  # "the rules directory" or "the stored snapshot"
    files: list[RuleFileStatus]


class Problem(BaseModel):
    file: str
    line: int | None
    column: int | None = None
    message: str
    text: str  # "file:line:column: message"


class RefusedChange(BaseModel):
    """The rules directory as last read, when it did not load."""

    checked_at: datetime
    errors: list[Problem]
    changed_files: list[str]  # files that differ from the version in force


class ChangeOut(BaseModel):
    area: str
    subject: str
    change: str
    details: list[str]


class Staged(BaseModel):
    """An edit prepared in the staging directory, against the version in force: not in force."""

    directory: str
    version: str | None  # None: it does not load
    errors: list[Problem]
    changes: list[ChangeOut]


class RuleBookStatus(BaseModel):
    rules_dir: str
    in_force: InForce | None  # what this process verifies with
    stored_version: str | None  # the version in force in the database (None: not recorded)
    refused: RefusedChange | None
    warnings: list[Problem]
    warning_days: int
    horizon_days: int
    # What the version in force changed from the one before it.
    previous_version: str | None
    changes: list[ChangeOut]
    staged: Staged | None = None  # IOP_COVERAGE_RULES_STAGING_DIR, when set


def _problem(item: RuleFileError | RuleWarning) -> Problem:
    column = item.column if isinstance(item, RuleFileError) else None
    return Problem(
        file=item.path, line=item.line, column=column, message=item.message, text=str(item)
    )


def _files(book: RuleBook) -> list[RuleFileStatus]:
    files = []
    for ref in book.files:
        dates = book.file_dates.get(ref.path)
        files.append(
            RuleFileStatus(
                path=ref.path.as_posix(),
                kind=ref.kind,
                version=ref.version,
                sha256=ref.sha256,
                effective=dates.effective if dates else None,
                expires=dates.expires if dates else None,
                status=dates.status if dates else "verified",
            )
        )
    return files


def warnings_for(book: RuleBook, today: date) -> list[RuleWarning]:
    settings = get_settings()
    return [
        *book.notices,
        *expiry_warnings(
            book,
            today=today,
            warning_days=settings.rules_warning_days,
            horizon_days=settings.rules_horizon_days,
        ),
    ]


def _changed_files(
    book: RuleBook | None, hashes: dict[str, str], errors: tuple[RuleFileError, ...]
) -> list[str]:
    """Files that differ from the version in force, those refused unread (a link out, a FIFO, a
    file too large) included."""
    held = {book.source.display(ref.path): ref.sha256 for ref in book.files} if book else {}
    unread = {e.path for e in errors if not e.path.endswith("/") and e.path not in hashes}
    found = held.keys() | hashes.keys() | unread
    return sorted(p for p in found if p in unread or held.get(p) != hashes.get(p))


def _changes(changes: list[Change]) -> list[ChangeOut]:
    return [
        ChangeOut(area=c.area, subject=c.subject, change=c.change, details=list(c.details))
        for c in changes
    ]


def _staged(directory: Path, book: RuleBook | None) -> Staged:
    def refused(*errors: RuleFileError) -> Staged:
        return Staged(
            directory=str(directory), version=None, errors=[_problem(e) for e in errors], changes=[]
        )

    if not directory.is_dir():
        return refused(
            RuleFileError(
                f"{directory}/", None, "no such directory (IOP_COVERAGE_RULES_STAGING_DIR)"
            )
        )
    try:
        candidate = load_book(
            directory, adapters=settings_models(), horizon_days=get_settings().rules_horizon_days
        )
    except RuleBookError as exc:
        return refused(*exc.errors)
    except Exception as exc:  # the operator page must answer whatever the staged files hold
        return refused(
            RuleFileError(f"{directory}/", None, f"could not be loaded ({type(exc).__name__})")
        )
    changes = diff(book, candidate) if book is not None else []
    return Staged(
        directory=str(directory), version=candidate.version, errors=[], changes=_changes(changes)
    )


def status(today: date | None = None) -> RuleBookStatus:
    settings = get_settings()
    view = process_view()
    book = view.book
    stored = previous = None
    try:
        with session_scope() as session:
            stored = rule_versions.in_force(session)
            if stored is not None:
                previous = rule_versions.previous(session, before=stored)
    except SQLAlchemyError:
        pass
    changes: list[Change] = []
    if book is not None and previous is not None and stored is not None:
        if stored.version == book.version:
            earlier = stored_book(previous.version)
            changes = diff(earlier, book) if earlier is not None else []
    refused = None
    if view.candidate is not None and view.candidate.errors:
        refused = RefusedChange(
            checked_at=view.candidate.checked_at,
            errors=[_problem(e) for e in view.candidate.errors],
            changed_files=_changed_files(book, view.candidate.hashes, view.candidate.errors),
        )
    in_force = None
    if book is not None:
        in_force = InForce(
            version=book.version,
            since=stored.in_force_since if stored and stored.version == book.version else None,
            loaded_at=view.loaded_at,
            origin=view.origin,
            files=_files(book),
        )
    warnings = warnings_for(book, today or date.today()) if book is not None else []
    return RuleBookStatus(
        rules_dir=str(settings.rules_dir),
        in_force=in_force,
        stored_version=stored.version if stored else None,
        refused=refused,
        warnings=[_problem(w) for w in warnings],
        warning_days=settings.rules_warning_days,
        horizon_days=settings.rules_horizon_days,
        previous_version=previous.version if previous else None,
        changes=_changes(changes),
        staged=_staged(settings.rules_staging_dir, book) if settings.rules_staging_dir else None,
    )
