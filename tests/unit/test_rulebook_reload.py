"""A bad rule file never replaces the rule book in force; a good edit is picked up without a restart."""

import os
from pathlib import Path

from coverage.core import rule_book
from coverage.core.rule_book_status import status


def test_a_broken_file_keeps_the_last_good_book_and_reports_file_and_line(rules: Path) -> None:
    good = rule_book.current_rulebook()
    payer = rules / "payers" / "sandbox-commercial.yaml"
    payer.write_text(
        payer.read_text().replace("network_status: in_network", "network_status: maybe")
    )
    assert rule_book.current_rulebook() is good
    report = status()
    assert report.refused is not None
    assert [e.text for e in report.refused.errors] == [
        "payer_rules/payers/sandbox-commercial.yaml:7:1: network_status: Input should be "
        "'in_network' or 'out_of_network'"
    ]
    assert report.refused.changed_files == ["payer_rules/payers/sandbox-commercial.yaml"]
    assert report.in_force is not None
    assert (report.in_force.version, len(report.in_force.files)) == (good.version, len(good.files))


def test_an_edited_file_is_used_by_the_next_verification(rules: Path) -> None:
    before = rule_book.current_rulebook()
    payer = rules / "payers" / "sandbox-commercial.yaml"
    payer.write_text(
        payer.read_text().replace("name: Sandbox Commercial PPO", "name: Sandbox PPO (renamed)")
    )
    after = rule_book.current_rulebook()
    assert after is not before
    assert after.payers["sandbox-commercial"].name == "Sandbox PPO (renamed)"
    assert status().refused is None


def test_files_refused_unread_are_listed_as_changed(rules: Path) -> None:
    rule_book.current_rulebook()
    os.mkfifo(rules / "payers" / "pipe.yaml")
    report = status()
    assert report.refused is not None
    assert report.refused.changed_files == ["payer_rules/payers/pipe.yaml"]
