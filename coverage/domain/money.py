"""Money is Decimal, rounded half-up to the cent at explicit points only."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """Round to the cent, half-up (the rounding billing staff expect on a statement)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal | str) -> str:
    """$1,234.56 as staff and patients read it: half-up to the cent, the sign before the dollar.

    Takes the two-place strings a stored result carries as well as a Decimal."""
    rounded = cents(Decimal(amount))
    return f"-${-rounded:,}" if rounded < 0 else f"${rounded:,}"


# Serialized as a string so JSON never turns an amount into a binary float.
Money = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]
