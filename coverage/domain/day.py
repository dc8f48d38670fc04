"""One service day's amounts: as one policy sees it, and after coordination of benefits."""

import datetime

from coverage.domain.eligibility import Frozen
from coverage.domain.money import ZERO, Money


class PolicyDay(Frozen):
    """One policy's view of a service day, as if it were the only payer."""

    date: datetime.date
    plan_year: datetime.date
    allowed: Money
    deductible: Money = ZERO
    copay: Money = ZERO
    coinsurance: Money = ZERO
    balance_bill: Money = ZERO
    patient: Money
    payer: Money = ZERO
    write_off: Money = ZERO  # cost sharing the patient is protected from (QMB, Medicaid)
    covered: bool
    flags: tuple[str, ...] = ()


class CombinedDay(PolicyDay):
    secondary_payer: Money = ZERO  # the part of `payer` the secondary policy pays
