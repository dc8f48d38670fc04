"""A CSV batch of verification requests: the file as a whole (size, encoding, header, row count),
then each row against the flat request columns.

A problem with the file refuses all of it; a problem with a row refuses that row only. Messages
name the row (as a spreadsheet numbers it: the header is row 1) and the column, never a cell's
value: the cells are PHI."""

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass

from coverage.domain.flat_request import (
    BY_NAME,
    ROW,
    FieldError,
    FlatRequestError,
    header_errors,
    to_request,
)
from coverage.domain.request import VerificationRequest
from coverage.errors import InputError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
TEMPLATE_HINT = "download the template for the column names"


class CsvRefused(InputError):
    """The whole file is refused; nothing of it was queued."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the file was refused: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CsvRow:
    number: int  # spreadsheet numbering: the header is row 1, blank rows count
    fields: dict[str, str]
    extra_cells: int = 0  # non-blank cells to the right of the last named column


@dataclass(frozen=True)
class CheckedRow:
    number: int
    request: VerificationRequest | None  # None when the row has errors
    errors: list[FieldError]


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvRefused(
            [f"the file is larger than {MAX_BYTES // 2**20} MB; split it into smaller files"]
        )
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvRefused(
            [
                f"the file is not UTF-8 text (first bad character on line {line}); "
                'save it from the spreadsheet as "CSV UTF-8 (comma delimited)"'
            ]
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:  # spreadsheets may add empty cells after the last column
        names.pop()
    if not names:
        raise CsvRefused([f"row 1 is blank; it must name the columns ({TEMPLATE_HINT})"])
    if len(names) == 1 and any(sep in names[0] for sep in ";\t|"):
        raise CsvRefused(["the columns must be separated by commas"])
    # A data row where the header should be: report that, not each of its cells (they are PHI).
    if sum(name in BY_NAME for name in names) * 2 < len(names):
        raise CsvRefused([f"row 1 is not a header row; it must name the columns ({TEMPLATE_HINT})"])
    problems = header_errors(names)
    if problems:
        raise CsvRefused(problems)
    return names


def read_rows(data: bytes) -> list[CsvRow]:
    """The data rows of a CSV file, blank rows skipped; raises CsvRefused for the file as a whole."""
    # Strict: an unclosed quotation mark refuses the file instead of swallowing the rows after it.
    records = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    number = 0  # the last row read
    try:
        first = next(records, None)
        number = 1
        if first is None:
            raise CsvRefused(
                [f"the file is empty; its first row must name the columns ({TEMPLATE_HINT})"]
            )
        header = _header(first)
        rows: list[CsvRow] = []
        for number, cells in enumerate(records, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise CsvRefused(
                    [f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"]
                )
            rows.append(
                CsvRow(
                    number=number,
                    fields=dict(zip(header, cells, strict=False)),
                    extra_cells=sum(1 for cell in cells[len(header) :] if cell.strip()),
                )
            )
    except csv.Error as exc:  # the csv module's messages describe the syntax, not the data
        raise CsvRefused(
            [f"row {number + 1} cannot be read as CSV: {exc} (check its quotation marks)"]
        ) from None
    if not rows:
        raise CsvRefused(["the file has a header row but no data rows"])
    return rows


def check_row(row: CsvRow, *, payer_ids: Collection[str]) -> CheckedRow:
    """Validates one row: every problem of the row, each naming its column."""
    errors: list[FieldError] = []
    request: VerificationRequest | None = None
    try:
        request = to_request(row.fields)
    except FlatRequestError as exc:
        errors = list(exc.errors)
    if row.extra_cells:
        errors.append(FieldError(ROW, "has more cells than the header has columns"))
    named = {error.column for error in errors}
    for column in ("payer_id", "secondary_payer_id"):
        payer = (row.fields.get(column) or "").strip()
        if payer and column not in named and payer not in payer_ids:
            errors.append(FieldError(column, "not a payer in the rule book"))
    return CheckedRow(row.number, None if errors else request, errors)
