"""Amounts as staff and patients read them, the same on the pages, the CLI and the GFE."""

from decimal import Decimal as D

import pytest

from coverage.domain.money import usd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0.00"),
        ("8400", "$8,400.00"),
        ("1234.5", "$1,234.50"),
        ("0.005", "$0.01"),  # half-up, as on a statement
        ("1000000", "$1,000,000.00"),
        ("-12.345", "-$12.35"),
    ],
)
def test_usd_rounds_half_up_and_separates_thousands(amount: str, shown: str) -> None:
    assert usd(D(amount)) == shown
