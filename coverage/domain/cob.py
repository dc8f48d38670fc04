"""Coordination of benefits: the secondary policy after the primary, day by day.

The secondary pays what it would have paid as primary, never more than what the primary left to
the patient. A secondary whose rules forbid balance billing (Medicaid, the payer of last resort,
per the rule book) leaves the patient nothing on a day it covers: whatever it does not pay is
written off. A QMB's Medicare cost sharing is never the patient's. On a day the primary does not
cover, a covering secondary acts as primary.
The secondary's accumulators are walked as if it were primary (a simplification the estimate
states in its assumptions).
"""

from coverage.domain.day import CombinedDay, PolicyDay
from coverage.domain.money import ZERO


def _prefixed(day: PolicyDay) -> tuple[str, ...]:
    return tuple(f"secondary_{flag}" for flag in day.flags)


def combine(
    primary: list[PolicyDay],
    secondary: list[PolicyDay] | None,
    *,
    secondary_no_balance_billing: bool,
) -> list[CombinedDay]:
    if secondary is None:
        return [CombinedDay(**day.model_dump()) for day in primary]
    days: list[CombinedDay] = []
    for first, second in zip(primary, secondary, strict=True):
        if not first.covered:
            if second.covered:
                fields = second.model_dump(exclude={"flags"})
                days.append(
                    CombinedDay(
                        **fields,
                        secondary_payer=second.payer,
                        flags=(*first.flags, *_prefixed(second), "secondary_as_primary"),
                    )
                )
            else:
                days.append(
                    CombinedDay(
                        **first.model_dump(exclude={"flags"}), flags=first.flags + _prefixed(second)
                    )
                )
            continue
        owed = first.patient + first.write_off
        paid = min(second.payer, owed) if second.covered else ZERO
        rest = owed - paid
        flags = [*first.flags, *_prefixed(second)]
        if paid:
            flags.append("secondary_paid")
        protected = first.write_off > 0 or (secondary_no_balance_billing and second.covered)
        if secondary_no_balance_billing and second.covered:
            flags.append("medicaid_last_resort")
        days.append(
            CombinedDay(
                **first.model_dump(exclude={"patient", "payer", "write_off", "flags"}),
                patient=ZERO if protected else rest,
                payer=first.payer + paid,
                write_off=rest if protected else ZERO,
                secondary_payer=paid,
                flags=tuple(flags),
            )
        )
    return days
