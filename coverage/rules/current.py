"""The rule book in force: reloaded when files change, the last good book kept when a file is bad."""

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coverage.rules.loader import RuleBook, RuleFileError, RuleFileRef
from coverage.settings import get_settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, Any] = {"book": None, "signature": None, "error": None, "loaded_at": None}


def _signature(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        sorted(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size)
            for p in rules_dir.rglob("*.y*ml")
            if p.is_file()
        )
    )


def current_rulebook() -> RuleBook:
    """Cheap when nothing changed (one stat per file); never drops a good book for a bad one."""
    rules_dir = get_settings().rules_dir
    signature = _signature(rules_dir)
    with _lock:
        if signature != _state["signature"] or _state["book"] is None:
            try:
                _state["book"] = RuleBook.load(rules_dir)
                _state["error"] = None
                _state["loaded_at"] = datetime.now(UTC)
            except RuleFileError as exc:
                _state["error"] = str(exc)
                log.error("rule book not reloaded: %s", exc)
                if _state["book"] is None:
                    raise
            _state["signature"] = signature
        book: RuleBook = _state["book"]
        return book


def rulebook_status() -> dict[str, Any]:
    """The book in force (its files with version, hash, effective date and status), when it was
    loaded, and the error that kept a newer edit out, if any. No PHI: rule data only."""
    error = None
    try:
        book = current_rulebook()
        files = [_file_status(book, ref) for ref in book.files]
    except RuleFileError as exc:
        files = []
        error = str(exc)
    return {
        "rules_dir": str(get_settings().rules_dir),
        "loaded_at": _state["loaded_at"].isoformat() if _state["loaded_at"] else None,
        "error": error or _state["error"],
        "files": files,
    }


def _file_status(book: RuleBook, ref: RuleFileRef) -> dict[str, Any]:
    dates = book.file_dates.get(ref.path)
    return {
        **ref.model_dump(mode="json"),
        "effective": dates.effective.isoformat() if dates and dates.effective else None,
        "expires": dates.expires.isoformat() if dates and dates.expires else None,
        "status": dates.status if dates else "verified",
    }
