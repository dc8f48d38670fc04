"""The one error malformed X12 can raise, and the warnings envelope checks report.

Texts name segment IDs, element references and positions only, never element values: an
element may hold a member ID, a name or a birth date.
"""

from dataclasses import dataclass

from coverage.errors import CoverageError


class X12ParseError(CoverageError):
    """Malformed X12: names the segment and where it sits (1-based segment number, character offset)."""

    def __init__(
        self, reason: str, *, segment_id: str | None, segment_number: int | None, offset: int | None
    ) -> None:
        where = (
            "before the first segment"
            if segment_number is None
            else (f"segment {segment_id or '?'} #{segment_number} at offset {offset}")
        )
        super().__init__(f"X12 {where}: {reason}")
        self.reason = reason
        self.segment_id = segment_id
        self.segment_number = segment_number
        self.offset = offset


@dataclass(frozen=True, slots=True)
class X12Warning:
    """Something the reader tolerated (count or control-number mismatch, skipped segment)."""

    message: str
    segment_id: str | None = None
    segment_number: int | None = None

    def __str__(self) -> str:
        if self.segment_number is None:
            return self.message
        return f"segment {self.segment_id} #{self.segment_number}: {self.message}"
