"""Due-date arithmetic for requirements: month ends and business days."""

from datetime import date

from coverage.rules.requirements import add_months, business_days_after


def test_every_other_month_keeps_the_day_or_takes_the_months_last_day() -> None:
    assert add_months(date(2026, 3, 2), 2) == date(2026, 5, 2)
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)


def test_business_days_skip_the_weekend() -> None:
    assert business_days_after(date(2026, 3, 2), 2) == date(2026, 3, 4)  # Monday -> Wednesday
    assert business_days_after(date(2026, 3, 6), 2) == date(2026, 3, 10)  # Friday -> Tuesday
    assert business_days_after(date(2026, 3, 7), 2) == date(2026, 3, 10)  # Saturday -> Tuesday
