"""The episode calendar and plan years: which dates are service days, and which year each falls in.

A simple model of an IOP calendar, not the program's real schedule: week i of the episode covers
start_date + 7*i .. +6. Explicit weekdays are taken as given; otherwise weekdays (Mon-Fri) come
first in date order, then Saturday and Sunday only when days_per_week > 5. Holidays are not
modelled.
"""

from datetime import date, timedelta

from coverage.domain.request import Plan


def service_dates(plan: Plan) -> list[date]:
    wanted = {w.number for w in plan.weekdays} if plan.weekdays else None
    dates: list[date] = []
    for week in range(plan.weeks):
        window = [plan.start_date + timedelta(days=7 * week + offset) for offset in range(7)]
        if wanted is not None:
            dates.extend(d for d in window if d.weekday() in wanted)
            continue
        weekdays = [d for d in window if d.weekday() < 5]
        weekend = [d for d in window if d.weekday() >= 5]
        dates.extend(sorted((weekdays + weekend)[: plan.days_per_week]))
    return dates


def week_of(plan: Plan, day: date) -> int:
    """1-based week of the episode."""
    return (day - plan.start_date).days // 7 + 1


def week_start(plan: Plan, week: int) -> date:
    return plan.start_date + timedelta(days=7 * (week - 1))


def _anniversary(anchor: date, year: int) -> date:
    try:
        return anchor.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def plan_year_start(day: date, anchor: date) -> date:
    """Start of the plan year containing `day`, for plan years renewing on anchor's month and day."""
    start = _anniversary(anchor, day.year)
    return start if start <= day else _anniversary(anchor, day.year - 1)


def plan_year_anchor(
    start: date, *, plan_begin: date | None, plan_end: date | None, calendar_year: bool = False
) -> tuple[date, bool]:
    """The date plan years renew on, and whether it comes from the payer's plan dates: the day
    after the reported plan end, else the reported plan begin, else 1 January (a calendar-year
    plan, as Medicare Part B always is)."""
    if not calendar_year and plan_end is not None:
        return plan_end + timedelta(days=1), True
    if not calendar_year and plan_begin is not None:
        return plan_begin, True
    return date(start.year, 1, 1), False


def plan_year_label(start: date) -> str:
    """A plan year as staff read it: "2026" for a calendar year, else the day it begins."""
    if (start.month, start.day) == (1, 1):
        return str(start.year)
    return f"the plan year from {start.isoformat()}"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def days_after(day: date, days: int) -> date:
    """`day` plus `days`, or the last date there is (a far-off "today" in a check)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max
