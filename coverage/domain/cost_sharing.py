"""One covered service day's split between patient and payer, against running accumulators.

Order per day: a copay "not subject to the deductible" first; then the deductible (individual or
family, whichever has less left); then a post-deductible copay; then coinsurance on what is left;
then the out-of-pocket maximum (individual or family, whichever has less left) and any rule-book
cap (Medicaid) cap the patient's share. Every component is rounded half-up to the cent, so a day's parts add up exactly.
"""

from dataclasses import dataclass
from decimal import Decimal

from coverage.domain.eligibility import CostSharing
from coverage.domain.money import ZERO, cents


def lowest(*limits: Decimal | None) -> Decimal | None:
    """The binding limit among individual and family amounts; None means no limit."""
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


def _opt_cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else cents(amount)


class Accumulators:
    """What is left of the deductibles and out-of-pocket maximums as days are walked."""

    def __init__(self, cs: CostSharing) -> None:
        self.deductible = cents(cs.deductible_remaining)
        self.family_deductible = _opt_cents(cs.family_deductible_remaining)
        self.oop = _opt_cents(cs.oop_remaining)
        self.family_oop = _opt_cents(cs.family_oop_remaining)

    def deductible_room(self) -> Decimal:
        room = lowest(self.deductible, self.family_deductible)
        return max(room if room is not None else ZERO, ZERO)

    def oop_room(self) -> Decimal | None:
        room = lowest(self.oop, self.family_oop)
        return None if room is None else max(room, ZERO)

    def apply(self, *, deductible: Decimal, patient: Decimal) -> None:
        self.deductible -= deductible
        if self.family_deductible is not None:
            self.family_deductible -= deductible
        if self.oop is not None:
            self.oop -= patient
        if self.family_oop is not None:
            self.family_oop -= patient


@dataclass(frozen=True)
class Split:
    deductible: Decimal
    copay: Decimal
    coinsurance: Decimal
    uncapped: Decimal  # the patient's share before the out-of-pocket maximum and `limit`

    @property
    def patient(self) -> Decimal:
        return self.deductible + self.copay + self.coinsurance


def split_day(
    allowed: Decimal, cs: CostSharing, run: Accumulators, limit: Decimal | None = None
) -> Split:
    """The patient's cost sharing on one covered day; advances the accumulators.

    `limit` is a further cap on the day's share (Medicaid's per-day and household caps); like the
    out-of-pocket maximum it trims coinsurance, then copay, then deductible."""
    copay = ZERO
    rest = allowed
    if not cs.copay_applies_after_deductible:
        # Copay "not subject to the deductible": charged every day and not counted toward it.
        # Plans that waive the deductible for this benefit report deductible_remaining 0.
        copay = cents(min(cs.copay_per_day, rest))
        rest -= copay
    deductible = cents(min(rest, run.deductible_room()))
    rest -= deductible
    if cs.copay_applies_after_deductible:
        # Any amount left after the deductible is post-deductible, even on the day it is met.
        copay = cents(min(cs.copay_per_day, rest))
        rest -= copay
    # A plan with both a copay and coinsurance applies coinsurance to what the copay leaves.
    coinsurance = cents(rest * cs.coinsurance)

    uncapped = deductible + copay + coinsurance
    oop_room = lowest(run.oop_room(), None if limit is None else max(limit, ZERO))
    if oop_room is not None and deductible + copay + coinsurance > oop_room:
        # The cap trims coinsurance first, then copay, then deductible: the deductible
        # accumulator then only records what the patient actually paid toward it.
        excess = deductible + copay + coinsurance - oop_room
        for_coins = min(excess, coinsurance)
        coinsurance -= for_coins
        excess -= for_coins
        for_copay = min(excess, copay)
        copay -= for_copay
        excess -= for_copay
        deductible -= excess
    split = Split(deductible=deductible, copay=copay, coinsurance=coinsurance, uncapped=uncapped)
    run.apply(deductible=deductible, patient=split.patient)
    return split
