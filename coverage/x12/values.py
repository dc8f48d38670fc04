"""Element value parsers: X12 dates, decimals and the like. They return None for an empty
element and raise ValueError (with a PHI-free reason) for a malformed one; callers locate it."""

import re
from datetime import date
from decimal import Decimal

_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_DATE_CACHE: dict[str, date] = {}
MAX_DECIMAL_LENGTH = 18  # X12 R and N elements: at most 18 characters


def decimal(value: str, name: str, *, negative: bool = False) -> Decimal | None:
    if not value:
        return None
    if len(value) > MAX_DECIMAL_LENGTH or not _DECIMAL.match(value):
        raise ValueError(
            f"{name} is not a decimal number of at most {MAX_DECIMAL_LENGTH} characters"
        )
    number = Decimal(value)
    if number < 0 and not negative:
        raise ValueError(f"{name} is negative")
    return number


def d8(value: str, name: str) -> date:
    """CCYYMMDD."""
    cached = _DATE_CACHE.get(value)
    if cached is not None:
        return cached
    if len(value) != 8 or not value.isdigit() or not value.isascii():
        raise ValueError(f"{name} is not a CCYYMMDD date")
    try:
        parsed = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"{name} is not a valid calendar date") from None
    if len(_DATE_CACHE) < 4096:
        _DATE_CACHE[value] = parsed
    return parsed


def date_period(fmt: str, value: str, name: str) -> tuple[date | None, date | None]:
    """DTP02/DTP03: D8 one date, RD8 a range. Other formats are not used in 270/271: (None, None)."""
    if fmt == "D8":
        day = d8(value, name)
        return day, day
    if fmt == "RD8":
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"{name} is not a CCYYMMDD-CCYYMMDD range")
        first, last = d8(start, name), d8(end, name)
        if last < first:
            raise ValueError(f"{name} ends before it begins")
        return first, last
    return None, None
