"""The day filters of the list pages (submitted from/to, audit from/to): a blank field is no bound,
and any day a date input can send is searchable, the first and last days a date can hold included."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator

from coverage.api.web.render import day_start


def _blank_is_none(value: object) -> object:
    # A GET form sends its empty date inputs as `from=`; that means "no bound", not an error.
    return None if isinstance(value, str) and not value.strip() else value


OptionalDay = Annotated[date | None, BeforeValidator(_blank_is_none)]


def _midnight(day: date) -> datetime:
    try:
        return day_start(day)
    except OverflowError:  # the display zone moves it past the first or last datetime
        return (
            datetime.min.replace(tzinfo=UTC) if day.year == 1 else datetime.max.replace(tzinfo=UTC)
        )


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """From midnight starting `first` to midnight ending `last` (both days included), in UTC."""
    since = _midnight(first) if first else None
    until = _midnight(last + timedelta(days=1)) if last and last < date.max else None
    return since, until
