"""The rule book in force is durable and the same in every process: a book that loads is stored as
a content-addressed snapshot and put in force; a process that starts while the directory is
broken loads that snapshot; a broken directory never replaces it."""

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from coverage.core import rule_book
from coverage.core.rule_book_status import status
from coverage.domain.access import Actor
from coverage.store import results, rule_versions
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent, RuleBookVersion, RuleFileContent, utcnow
from tests.factories import request
from tests.integration.conftest import job_row, queue_in_process

PAYER = "payers/sandbox-commercial.yaml"


def _in_force() -> rule_versions.StoredVersion:
    with session_scope() as session:
        stored = rule_versions.in_force(session)
    assert stored is not None
    return stored


def _break(rules: Path) -> None:
    path = rules / PAYER
    path.write_text(path.read_text().replace("network_status: in_network", "network_status: maybe"))


def test_a_book_that_loads_is_stored_by_content_and_put_in_force(
    rules: Path, session: Session
) -> None:
    book = rule_book.current_rulebook()
    stored = _in_force()
    assert stored.version == book.version
    assert len(stored.files) == len(book.files) == 36
    sha = hashlib.sha256((rules / PAYER).read_bytes()).hexdigest()
    assert {"path": PAYER, "kind": "payer", "version": "2026.1", "sha256": sha} in stored.files
    content = session.get(RuleFileContent, sha)
    assert content is not None and content.content == (rules / PAYER).read_bytes()
    # The same files are the same version, wherever they were read: the copy of payer_rules/
    # this test reads is the shipped book, byte for byte.
    assert session.get(RuleBookVersion, book.version) is not None
    report = status()
    assert report.in_force is not None and report.stored_version == book.version
    assert report.in_force.origin == "the rules directory"


def test_a_process_started_while_the_directory_is_broken_verifies_with_the_stored_version(
    rules: Path, session: Session, clerk: Actor
) -> None:
    good = rule_book.current_rulebook()
    _break(rules)
    rule_book.reset()  # a worker (re)started now has nothing in memory
    book = rule_book.current_rulebook()
    assert book.version == good.version and book is not good
    job_id = queue_in_process(request("ppo"), clerk)
    assert job_row(session, job_id).status == "needs_review"
    result = results.get(session, job_id=job_id)
    assert result is not None and result.rule_book_version == good.version
    report = status()
    assert report.in_force is not None
    assert (report.in_force.version, report.in_force.origin) == (
        good.version,
        "the stored snapshot",
    )
    assert report.refused is not None
    assert [e.text for e in report.refused.errors] == [
        f"payer_rules/{PAYER}:7:1: network_status: Input should be 'in_network' or 'out_of_network'"
    ]
    assert report.refused.changed_files == [f"payer_rules/{PAYER}"]
    assert _in_force().version == good.version  # the broken directory replaced nothing


def test_a_good_edit_is_put_in_force_and_its_changes_are_shown(rules: Path) -> None:
    before = rule_book.current_rulebook()
    path = rules / PAYER
    original = path.read_text()
    path.write_text(original.replace("name: Sandbox Commercial PPO", "name: Sandbox PPO Plus"))
    after = rule_book.current_rulebook()
    assert after.version != before.version
    assert _in_force().version == after.version
    report = status()
    assert report.previous_version == before.version
    assert [(c.area, c.subject, c.change, c.details) for c in report.changes] == [
        (
            "payer",
            "sandbox-commercial",
            "changed",
            ["name: Sandbox Commercial PPO -> Sandbox PPO Plus"],
        )
    ]
    with session_scope() as session:
        audited = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "rules.in_force")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert audited is not None
    assert (audited.entity_type, audited.entity_id, audited.actor_role) == (
        "rule_book",
        after.version,
        "system",
    )
    # Putting the old files back puts the old version back in force: no new snapshot is made.
    path.write_text(original)
    assert rule_book.current_rulebook().version == before.version
    assert _in_force().version == before.version


def test_every_process_follows_the_version_in_force_while_its_directory_is_broken(
    rules: Path,
) -> None:
    """Another process put a newer version in force; this one, whose directory is broken, uses
    it rather than the book it last loaded itself."""
    first = rule_book.current_rulebook()
    path = rules / PAYER
    path.write_text(path.read_text().replace("Sandbox Commercial PPO", "Sandbox PPO Elsewhere"))
    second = rule_book.current_rulebook()  # as another process would have stored it
    path.write_text(path.read_text().replace("Sandbox PPO Elsewhere", "Sandbox Commercial PPO"))
    assert rule_book.current_rulebook().version == first.version  # put back in force
    with session_scope() as session:  # ... and the other process stores its version again
        rule_versions.put_in_force(
            session,
            version=second.version,
            root="payer_rules",
            files=[f.model_dump(mode="json") for f in second.files],
            contents={},
            read_at=utcnow(),
            actor=rule_book.RULE_BOOK,
        )
    _break(rules)
    assert rule_book.current_rulebook().version == second.version


def test_a_slow_read_of_a_reverted_edit_never_puts_it_in_force(rules: Path) -> None:
    """Process B read an edit and validated it slowly; meanwhile process A read the edit's
    reversal. Whatever the order they commit in, the later read is the version in force."""
    original = rule_book.current_rulebook()
    path = rules / PAYER
    text = path.read_text()
    path.write_text(text.replace("name: Sandbox Commercial PPO", "name: Reverted Edit"))
    edited = rule_book.current_rulebook()
    path.write_text(text)
    assert rule_book.current_rulebook().version == original.version
    since = _in_force().in_force_since
    assert since is not None
    read_before_the_reversal = since - timedelta(seconds=1)
    with session_scope() as session:  # B commits last, with its earlier read
        became = rule_versions.put_in_force(
            session,
            version=edited.version,
            root="payer_rules",
            files=[f.model_dump(mode="json") for f in edited.files],
            contents={},
            read_at=read_before_the_reversal,
            actor=rule_book.RULE_BOOK,
        )
    assert became is False
    assert _in_force().version == original.version
