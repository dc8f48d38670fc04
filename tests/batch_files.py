"""CSV batch files for tests: the 50-row example of examples/, with some cells changed."""

import csv
import io
from pathlib import Path

from coverage.domain.flat_request import template_csv_rows

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "batch-50.csv"
HEADER, TEMPLATE_ROW = template_csv_rows()
# Two bad rows of the example (spreadsheet numbering: the header is row 1), both PPO members.
BAD = {7: {"birth_date": "31/31/1988"}, 31: {"payer_id": "nobody-pays"}}
BAD_ROW_ERRORS = {
    7: "birth_date: not a date; use MM/DD/YYYY or YYYY-MM-DD",
    31: "payer_id: not a payer in the rule book",
}


def example_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(EXAMPLE.read_text())))


def example_with(changes: dict[int, dict[str, str]]) -> bytes:
    """The example file with the cells of some rows replaced (keys: spreadsheet row numbers)."""
    rows = example_rows()
    for number, change in changes.items():
        rows[number - 2] |= change
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
