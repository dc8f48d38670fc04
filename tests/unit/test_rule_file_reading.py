"""Whatever bytes, links or special files sit in the rules directory, loading it gives rule-file
errors naming the file (and line and column where there is one), never an exception, never a
hang, and never a file read from outside the directory."""

import os
from pathlib import Path

from coverage.rules.files import MAX_FILE_BYTES, read_directory
from tests.rule_files import read_book, refused, replace_in, sparse_file

PAYER = "payers/sandbox-commercial.yaml"


def _insert(rules: Path, relative: str, after: str, raw: bytes) -> None:
    path = rules / relative
    data = path.read_bytes()
    at = data.index(after.encode()) + len(after)
    path.write_bytes(data[:at] + raw + data[at:])


def test_a_nul_byte_is_named_with_its_line_and_column(rules: Path) -> None:
    _insert(rules, PAYER, "name: Sandbox", b"\x00")
    assert refused(rules) == [
        f"payer_rules/{PAYER}:3:14: control character NUL is not allowed in a rule file; delete it"
    ]


def test_an_escape_character_is_named_with_its_line_and_column(rules: Path) -> None:
    _insert(rules, PAYER, "adapter: sand", b"\x1b[31m")
    assert refused(rules) == [
        f"payer_rules/{PAYER}:5:14: control character ESC is not allowed in a rule file; delete it"
    ]


def test_utf16_without_a_byte_order_mark_is_named(rules: Path) -> None:
    path = rules / PAYER
    path.write_bytes(path.read_text().encode("utf-16-le"))
    assert refused(rules) == [
        f"payer_rules/{PAYER}:1:1: the file is saved as UTF-16 text; save it as UTF-8"
    ]


def test_a_byte_that_is_not_utf8_is_named_with_its_position(rules: Path) -> None:
    _insert(rules, PAYER, "name: Sandbox Commercial", b" \xe9")  # Latin-1 "é"
    assert refused(rules) == [
        f"payer_rules/{PAYER}:3:26: byte 0xE9 is not UTF-8 text; save the file as UTF-8"
    ]


def test_a_utf8_byte_order_mark_is_accepted(rules: Path) -> None:
    path = rules / PAYER
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_book(rules).payers["sandbox-commercial"].name == "Sandbox Commercial PPO"


def test_an_unclosed_bracket_names_where_the_parser_stopped_and_where_it_opened(
    rules: Path,
) -> None:
    path = rules / "payers" / "acme.yaml"
    path.write_text("kind: payer\naliases: [ACME, ACME HEALTH\nname: Acme\n")
    assert refused(rules) == [
        "payer_rules/payers/acme.yaml:3:5: expected ',' or ']', but got ':' (while parsing a "
        "flow sequence, which started at line 2, column 10)"
    ]


def test_a_symlink_out_of_the_directory_is_refused_and_never_read(
    rules: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("kind: payer\nid: outside\n")
    (rules / "payers" / "outside.yaml").symlink_to(secret)
    (rules / "payers" / "environ.yaml").symlink_to("/proc/self/environ")
    assert refused(rules) == [
        "payer_rules/payers/environ.yaml: a symbolic link that leads outside the rules "
        "directory; copy the file in instead",
        "payer_rules/payers/outside.yaml: a symbolic link that leads outside the rules "
        "directory; copy the file in instead",
    ]


def test_a_linked_folder_that_leads_outside_is_refused(rules: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("kind: payer\n")
    (rules / "more").symlink_to(elsewhere, target_is_directory=True)
    assert refused(rules) == [
        "payer_rules/more/: a symbolic link that leads outside the rules directory; copy the "
        "files in instead"
    ]


def test_a_symlink_inside_the_directory_is_read(rules: Path) -> None:
    (rules / "payers" / "sandbox-commercial.yaml").rename(rules / "commercial.txt")
    (rules / "payers" / "sandbox-commercial.yaml").symlink_to(rules / "commercial.txt")
    source, errors = read_directory(rules)
    assert errors == []
    assert "sandbox-commercial" in read_book(rules).payers


def test_a_fifo_is_refused_without_blocking(rules: Path) -> None:
    os.mkfifo(rules / "payers" / "pipe.yaml")
    assert refused(rules) == [
        "payer_rules/payers/pipe.yaml: a named pipe (FIFO): rule files must be plain files; "
        "remove it"
    ]


def test_a_60_mb_file_is_refused_unread(rules: Path) -> None:
    sparse_file(rules / "payers" / "big.yaml", 60 * 1024 * 1024)
    assert refused(rules) == [
        "payer_rules/payers/big.yaml: 62,914,560 bytes, over the 1 MB limit for a rule file; "
        "split it or remove it"
    ]
    assert MAX_FILE_BYTES == 1024 * 1024


def test_hidden_files_and_editor_leftovers_are_skipped(rules: Path) -> None:
    (rules / "payers" / ".sandbox-commercial.yaml.swp.yaml").write_bytes(b"\x00\x01")
    (rules / "payers" / "acme.yaml~").write_text("kind: broken\n")
    (rules / "payers" / ".#acme.yaml").symlink_to("user@host.1234:1700000000")
    assert len(read_book(rules).files) == 36


def test_three_schema_errors_in_one_file_are_all_reported(rules: Path) -> None:
    path = rules / PAYER
    path.write_text(
        path.read_text()
        .replace("type: commercial", "type: comercial")
        .replace("network_status: in_network", "netwrok_status: in_network")
        .replace('effective: "2024-01-01"', 'effective: "2024-13-01"')
    )
    assert refused(rules) == [
        f"payer_rules/{PAYER}:4:1: type: Input should be 'commercial', 'medicare', "
        "'medicare_advantage', 'medicaid' or 'other'",
        f"payer_rules/{PAYER}:7:1: netwrok_status: Extra inputs are not permitted (did you mean "
        "'network_status'?)",
        f"payer_rules/{PAYER}:10:1: effective: Input should be a valid date or datetime, month "
        "value is outside expected range of 1-12",
    ]


def test_errors_in_several_files_are_all_reported_in_file_order(rules: Path) -> None:
    _insert(rules, PAYER, "name: Sandbox", b"\x00")
    (rules / "payers" / "acme.yaml").write_text("kind: payer\nname: [unclosed\n")
    assert [e.split(":")[0] for e in refused(rules)] == [
        "payer_rules/payers/acme.yaml",
        f"payer_rules/{PAYER}",
    ]


def test_numbers_yaml_would_read_as_other_numbers_are_refused(rules: Path) -> None:
    fees = "fee_schedules/commercial-examples-2026.yaml"
    replace_in(rules, fees, 'per_day: "375.00"', "per_day: 0375")  # octal in YAML 1.1: 253
    replace_in(rules, fees, 'per_day: "320.00"', "per_day: 5:20")  # base 60: 320
    replace_in(rules, PAYER, "kind: payer", "kind: payer\n<<: {balance_billing: true}")
    path = rules / "payers" / "keystone-ppo.yaml"
    path.write_text(path.read_text() + "# reviewed\u2028balance_billing: true\n")
    assert [e.split(": ", 1)[1] for e in refused(rules)] == [
        "write 0375 as plain digits (up to 18) or as a quoted string",
        "write 5:20 as plain digits (up to 18) or as a quoted string",
        "line separator U+2028 is not allowed in a rule file (an editor shows no break where "
        "YAML sees one); delete it",
        "merge keys (<<) are not allowed in rule files; write each key out",
    ]


def test_a_file_of_too_many_values_is_refused_quickly(rules: Path) -> None:
    (rules / "notes.yaml").write_text("kind: note\nx: [" + ", ".join(["a"] * 30_000) + "]\n")
    (error,) = refused(rules)
    assert error.startswith("payer_rules/notes.yaml:2:")
    assert error.endswith("more than 20,000 values in one file; split it")


def test_names_links_and_folders_that_cannot_be_read_are_named(rules: Path) -> None:
    os.close(os.open(os.fsencode(rules / "payers") + b"/caf\xe9.yaml", os.O_CREAT | os.O_WRONLY))
    (rules / "payers" / "a.yaml").symlink_to(rules / "payers" / "b.yaml")
    (rules / "payers" / "b.yaml").symlink_to(rules / "payers" / "a.yaml")
    deep = rules / "payers"
    for _ in range(12):  # never walked past the 8th: 990 levels once stopped os.walk
        deep = deep / "a"
    deep.mkdir(parents=True)
    assert refused(rules) == [
        "payer_rules/payers/a.yaml: a broken symbolic link, or a loop of links; copy the file in "
        "instead",
        "payer_rules/payers/a/a/a/a/a/a/a/a/: folders nested deeper than 8 are not read",
        "payer_rules/payers/b.yaml: a broken symbolic link, or a loop of links; copy the file in "
        "instead",
        "payer_rules/payers/caf?.yaml: the file name is not UTF-8 text; rename it",
    ]
