"""Reading a CSV batch: what refuses the whole file, what refuses one row, and how each is said."""

import csv
import io
import re
from pathlib import Path

import pytest

from coverage.batches.csv_file import MAX_BYTES, CsvRefused, CsvRow, check_row, read_rows
from coverage.batches.intake import canonical_json, template_csv
from coverage.domain.flat_request import COLUMNS, FieldError, template_csv_rows
from coverage.domain.request import BehavioralBenefit

ROOT = Path(__file__).resolve().parents[2]
PAYERS = {"sandbox-commercial", "sandbox-medicaid"}
HEADER, EXAMPLE = template_csv_rows()


def csv_bytes(*rows: dict[str, str], header: list[str] | None = None) -> bytes:
    names = header or HEADER
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    base = dict(zip(HEADER, EXAMPLE, strict=True))
    for row in rows:
        values = base | row
        writer.writerow(values.get(name, "") for name in names)
    return out.getvalue().encode()


def refusal(data: bytes) -> list[str]:
    with pytest.raises(CsvRefused) as refused:
        read_rows(data)
    assert str(refused.value) == "the file was refused: " + "; ".join(refused.value.problems)
    return refused.value.problems


def test_the_template_is_a_valid_one_row_batch() -> None:
    [row] = read_rows(template_csv().encode())
    checked = check_row(row, payer_ids=PAYERS)
    assert checked.errors == []
    assert checked.request is not None
    assert checked.request.enrollee.first_name == "Jordan"
    assert str(checked.request.household.annual_income) == "61000.00"  # type: ignore[union-attr]


def test_a_byte_order_mark_from_excel_is_accepted() -> None:
    [row] = read_rows(b"\xef\xbb\xbf" + csv_bytes({}))
    assert row.number == 2
    assert row.fields["first_name"] == "Jordan"


def test_us_and_iso_dates_read_as_the_same_request() -> None:
    us, iso = read_rows(
        csv_bytes(
            {"birth_date": "04/12/1988", "start_date": "12/07/2026"},
            {"birth_date": "1988-04-12", "start_date": "2026-12-07"},
        )
    )
    first, second = (check_row(r, payer_ids=PAYERS).request for r in (us, iso))
    assert first is not None and second is not None
    assert str(first.enrollee.birth_date) == "1988-04-12"
    assert str(first.plan.start_date) == "2026-12-07"
    assert canonical_json(first) == canonical_json(second)  # so the row hash is the same


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_are_skipped() -> None:
    data = csv_bytes({}, {"first_name": "Casey"}).replace(b"\r\nJordan", b"\r\n\r\n,,,\r\nJordan")
    rows = read_rows(data)
    assert [r.number for r in rows] == [4, 5]


def test_a_co_occurring_row_names_its_primary_condition_or_leaves_it_blank() -> None:
    named, blank, wrong = read_rows(
        csv_bytes(
            {"program": "co_occurring", "primary_condition": "substance_use"},
            {"program": "co_occurring", "primary_condition": ""},
            {"program": "co_occurring", "primary_condition": "both"},
        )
    )
    requests = [check_row(r, payer_ids=PAYERS).request for r in (named, blank)]
    assert [r.intake.primary_condition if r else "refused" for r in requests] == [
        BehavioralBenefit.SUBSTANCE_USE,
        None,
    ]
    assert [(e.column, e.reason) for e in check_row(wrong, payer_ids=PAYERS).errors] == [
        ("primary_condition", "must be one of: mental_health, substance_use")
    ]


def test_a_row_error_names_row_column_and_reason_but_never_the_value() -> None:
    [row] = read_rows(
        csv_bytes({"birth_date": "31/31/1988", "payer_id": "nobody-pays", "weeks": "eight"})
    )
    checked = check_row(row, payer_ids=PAYERS)
    assert checked.request is None
    assert checked.number == 2
    assert checked.errors == [
        FieldError("birth_date", "not a date; use MM/DD/YYYY or YYYY-MM-DD"),
        FieldError("weeks", "not a whole number"),
        FieldError("payer_id", "not a payer in the rule book"),
    ]
    text = repr(checked.errors)
    assert "31/31/1988" not in text and "nobody-pays" not in text and "eight" not in text


def test_missing_required_cells_and_an_unknown_secondary_payer_are_reported() -> None:
    [row] = read_rows(
        csv_bytes(
            {
                "first_name": "",
                "member_id": "",
                "secondary_payer_id": "no-such-payer",
                "secondary_member_id": "SBX-MCD-1",
            }
        )
    )
    assert check_row(row, payer_ids=PAYERS).errors == [
        FieldError("first_name", "required"),
        FieldError("member_id", "required"),
        FieldError("secondary_payer_id", "not a payer in the rule book"),
    ]


def test_cells_beyond_the_header_refuse_the_row() -> None:
    row = CsvRow(number=7, fields=dict(zip(HEADER, EXAMPLE, strict=True)), extra_cells=2)
    assert check_row(row, payer_ids=PAYERS).errors == [
        FieldError("(row)", "has more cells than the header has columns")
    ]


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (
            b"",
            [
                "the file is empty; its first row must name the columns "
                "(download the template for the column names)"
            ],
        ),
        (
            b"\n" + csv_bytes({}),
            [
                "row 1 is blank; it must name the columns (download the template for the column names)"
            ],
        ),
        (
            b"Jordan,Sample,04/12/1988,F,VA,sandbox-commercial,SBX-PPO-100234\n",
            [
                "row 1 is not a header row; it must name the columns "
                "(download the template for the column names)"
            ],
        ),
        (
            csv_bytes({}).replace(b",", b";"),
            ["the columns must be separated by commas"],
        ),
        (
            csv_bytes({}, header=["frist_name", *HEADER[1:], "sex"]),
            [
                "unknown column 'frist_name'",
                "column 'sex' appears twice",
                "required column 'first_name' is missing",
            ],
        ),
        (
            csv_bytes(header=HEADER),
            ["the file has a header row but no data rows"],
        ),
        (
            csv_bytes({}) + b"\xff\xfeJordan\r\n",
            [
                "the file is not UTF-8 text (first bad character on line 3); "
                'save it from the spreadsheet as "CSV UTF-8 (comma delimited)"'
            ],
        ),
        (
            csv_bytes({}) + b'"Jordan,Sample\r\n' + csv_bytes({}).split(b"\r\n")[1],
            ["row 3 cannot be read as CSV: unexpected end of data (check its quotation marks)"],
        ),
    ],
    ids=[
        "empty",
        "blank-first-row",
        "no-header",
        "semicolons",
        "bad-header",
        "no-rows",
        "not-utf8",
        "unclosed-quote",
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_a_clear_message(
    data: bytes, problems: list[str]
) -> None:
    assert refusal(data) == problems


def test_a_data_row_as_header_does_not_echo_its_cells() -> None:
    problems = refusal(b"Jordan,Sample,04/12/1988,SBX-PPO-100234\n")
    assert not any(value in " ".join(problems) for value in ("Jordan", "1988", "SBX-PPO"))


def test_more_than_5000_rows_is_refused() -> None:
    row = ",".join(EXAMPLE) + "\n"
    data = (",".join(HEADER) + "\n" + row * 5001).encode()
    assert len(data) < MAX_BYTES
    assert refusal(data) == ["the file has more than 5,000 rows; split it into smaller files"]
    assert len(read_rows((",".join(HEADER) + "\n" + row * 5000).encode())) == 5000


def test_more_than_5_mb_is_refused() -> None:
    data = csv_bytes({}) + b"x" * MAX_BYTES
    assert refusal(data) == ["the file is larger than 5 MB; split it into smaller files"]


def test_the_documented_column_table_lists_every_column_in_order() -> None:
    doc = (ROOT / "docs" / "csv-batches.md").read_text()
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", doc, flags=re.MULTILINE)
    assert documented == [column.name for column in COLUMNS]


def test_the_example_batch_has_50_valid_rows() -> None:
    from tests.rule_files import read_book

    payers = read_book(ROOT / "payer_rules").payers
    rows = read_rows((ROOT / "examples" / "batch-50.csv").read_bytes())
    assert len(rows) == 50
    assert [check_row(r, payer_ids=payers).errors for r in rows] == [[]] * 50
