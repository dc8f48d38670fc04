"""A bad rule file never replaces the rule book in force; a good edit is picked up without a restart."""

from pathlib import Path

from coverage.rules import current


def test_a_broken_file_keeps_the_last_good_book_and_reports_file_and_line(rules: Path) -> None:
    good = current.current_rulebook()
    payer = rules / "payers" / "sandbox-commercial.yaml"
    payer.write_text(
        payer.read_text().replace("network_status: in_network", "network_status: maybe")
    )
    assert current.current_rulebook() is good
    status = current.rulebook_status()
    assert status["error"] == (
        "payer_rules/payers/sandbox-commercial.yaml:7:1: network_status: Input should be 'in_network' or "
        "'out_of_network'"
    )
    assert len(status["files"]) == len(good.files)


def test_an_edited_file_is_used_by_the_next_verification(rules: Path) -> None:
    before = current.current_rulebook()
    payer = rules / "payers" / "sandbox-commercial.yaml"
    payer.write_text(
        payer.read_text().replace("name: Sandbox Commercial PPO", "name: Sandbox PPO (renamed)")
    )
    after = current.current_rulebook()
    assert after is not before
    assert after.payers["sandbox-commercial"].name == "Sandbox PPO (renamed)"
    assert current.rulebook_status()["error"] is None
