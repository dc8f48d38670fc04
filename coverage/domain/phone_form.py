"""The phone-answer form: its flat fields (as a browser posts them) to a `PhoneAnswer`, with each
refusal named by the field it belongs to, in plain words."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from coverage.domain.eligibility import InsuranceType, Network, TimePeriod
from coverage.domain.phone import PhoneAnswer, PhoneBenefit
from coverage.domain.request import Program

LABELS = {
    "policy": "Which policy",
    "representative_name": "Representative's name",
    "call_reference": "Call reference",
    "call_date": "Call date",
    "active": "Coverage active",
    "plan_name": "Plan name",
    "insurance_type": "Plan type",
    "plan_begin": "Plan year begins",
    "plan_end": "Plan year ends",
    "medicare_qmb": "Qualified Medicare Beneficiary (QMB)",
    "network": "These amounts are",
    "deductible_remaining": "Deductible still to meet",
    "oop_remaining": "Out-of-pocket maximum still to meet",
    "copay": "Copay per day",
    "copay_after_deductible": "Is the copay owed only after the deductible is met?",
    "coinsurance": "Coinsurance (percent the patient pays)",
    "visit_limit": "Day or visit limit per plan year",
    "visits_remaining": "Days or visits left",
    "auth_required": "Prior authorization required",
    "place_of_service": "Place of service",
    "next_deductible": "Next year: deductible",
    "next_oop": "Next year: out-of-pocket maximum",
    "next_copay": "Next year: copay a day",
    "next_coinsurance": "Next year: coinsurance percent",
    "notes": "Notes",
}
INSURANCE_TYPE_WORDS = {
    InsuranceType.COMMERCIAL: "Commercial",
    InsuranceType.MEDICARE: "Original Medicare",
    InsuranceType.MEDICARE_ADVANTAGE: "Medicare Advantage",
    InsuranceType.MEDICAID: "Medicaid",
    InsuranceType.OTHER: "Other",
}
# The form's one place of service holds for every amount: an office or telehealth line is never
# the facility IOP benefit the estimate prices (CMS place of service code set).
_NOT_IOP_PLACES = frozenset({"02", "10", "11"})
NOT_IOP_PLACE = (
    "an office (11) or telehealth (02, 10) amount is not the IOP benefit; leave it blank, or "
    "enter the IOP program's place of service, e.g. 22 on-campus outpatient hospital, "
    "53 community mental health center, 57 non-residential substance abuse treatment facility"
)
_YES_NO = {"yes": True, "no": False, "": None}
_FLAG_WORDS = {True: "yes", False: "no", None: ""}
# The phone's IOP line under the program's benefit (X12 service types the interpreter reads).
_SERVICE_TYPES = {
    Program.MENTAL_HEALTH: ("MH",),
    Program.SUBSTANCE_USE: ("AI",),
    Program.CO_OCCURRING: ("MH", "AI"),
}


class PhoneFormError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"{len(errors)} field(s) refused")
        self.errors = errors


def _date(values: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "not a date (use the date picker or YYYY-MM-DD)"
        return None


def _amount(values: dict[str, str], name: str, errors: dict[str, str]) -> Decimal | None:
    text = values.get(name, "").strip().replace("$", "").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        errors[name] = "not an amount (e.g. 25 or 1,250.00)"
        return None
    if not amount.is_finite() or amount < 0 or amount >= 10_000_000:
        errors[name] = "must be between $0 and $9,999,999.99"
        return None
    return amount.quantize(Decimal("0.01"))


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also takes "²" and "١٢", which int() then refuses or reads as another number.
    return text.isascii() and text.isdecimal()


def _whole(values: dict[str, str], name: str, errors: dict[str, str]) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    if not _ascii_digits(text) or len(text) > 4 or int(text) > 1000:
        errors[name] = "must be a whole number from 0 to 1000"
        return None
    return int(text)


def _choice(values: dict[str, str], name: str, errors: dict[str, str]) -> bool | None:
    text = values.get(name, "").strip()
    if text not in _YES_NO:
        errors[name] = "choose yes, no or not said"
        return None
    return _YES_NO[text]


def _amounts(
    line: dict[str, Any],
    period: TimePeriod,
    deductible: Decimal | None,
    oop: Decimal | None,
    copay: Decimal | None,
    share: Decimal | None,
    after: bool | None,
) -> list[PhoneBenefit]:
    """The IOP benefit's amounts as the call gave them: deductible and out-of-pocket over
    `period`, the copay a day, the coinsurance as a fraction."""
    found = []
    if deductible is not None:
        found.append(PhoneBenefit(kind="deductible", amount=deductible, time_period=period, **line))
    if oop is not None:
        found.append(PhoneBenefit(kind="out_of_pocket", amount=oop, time_period=period, **line))
    if copay is not None:
        found.append(
            PhoneBenefit(
                kind="copay",
                amount=copay,
                time_period=TimePeriod.DAY,
                copay_applies_after_deductible=after,
                **line,
            )
        )
    if share is not None:
        found.append(PhoneBenefit(kind="coinsurance", percent=share / 100, **line))
    return found


def to_phone_answer(values: dict[str, str], *, program: Program) -> PhoneAnswer:
    """PhoneFormError (field → reason) unless every field reads."""
    errors: dict[str, str] = {}
    for name in ("representative_name", "call_reference"):
        if not values.get(name, "").strip():
            errors[name] = "required"
    call_date = _date(values, "call_date", errors)
    if call_date is None and "call_date" not in errors:
        errors["call_date"] = "required"
    if values.get("active", "") not in ("yes", "no"):
        errors["active"] = "choose yes or no"
    insurance_text = values.get("insurance_type", "").strip()
    insurance = None
    if insurance_text:
        try:
            insurance = InsuranceType(insurance_text)
        except ValueError:
            errors["insurance_type"] = "choose a plan type from the list"
    network_text = values.get("network", "").strip()
    network = None
    if network_text:
        try:
            network = Network(network_text)
        except ValueError:
            errors["network"] = "choose in network or out of network"
    plan_begin = _date(values, "plan_begin", errors)
    plan_end = _date(values, "plan_end", errors)
    # PhoneAnswer's own checks, asked here too so that every refusal shows in one round.
    if call_date is not None and call_date > date.today():
        errors["call_date"] = "the call cannot be in the future"
    if plan_begin is not None and plan_end is not None and plan_end < plan_begin:
        errors["plan_end"] = "before the plan year begins"
    for name, longest in (("representative_name", 80), ("call_reference", 40)):
        if len(values.get(name, "").strip()) > longest:
            errors[name] = f"at most {longest} characters"
    qmb = _choice(values, "medicare_qmb", errors)
    after = _choice(values, "copay_after_deductible", errors)
    auth = _choice(values, "auth_required", errors)
    deductible = _amount(values, "deductible_remaining", errors)
    oop = _amount(values, "oop_remaining", errors)
    copay = _amount(values, "copay", errors)
    share = _amount(values, "coinsurance", errors)
    if share is not None and share > 100:
        errors["coinsurance"] = "must be a percent from 0 to 100"
    next_deductible = _amount(values, "next_deductible", errors)
    next_oop = _amount(values, "next_oop", errors)
    next_copay = _amount(values, "next_copay", errors)
    next_share = _amount(values, "next_coinsurance", errors)
    if next_share is not None and next_share > 100:
        errors["next_coinsurance"] = "must be a percent from 0 to 100"
    limit = _whole(values, "visit_limit", errors)
    remaining = _whole(values, "visits_remaining", errors)
    if limit is not None and remaining is not None and remaining > limit:
        errors["visits_remaining"] = f"more than the limit of {limit}"
    place = values.get("place_of_service", "").strip() or None
    if place is not None and not (len(place) == 2 and _ascii_digits(place)):
        errors["place_of_service"] = "two digits, e.g. 53 for a community mental health center"
    elif place in _NOT_IOP_PLACES:
        errors["place_of_service"] = NOT_IOP_PLACE
    if errors:
        raise PhoneFormError(errors)

    line: dict[str, Any] = {
        "service_types": _SERVICE_TYPES[program],
        "network": network,
        "place_of_service": place,
        "plan_year": "current",
        # The representative's answer on authorization holds for every line of the IOP benefit.
        "auth_required": auth,
    }
    benefits = _amounts(line, TimePeriod.REMAINING, deductible, oop, copay, share, after)
    if limit is not None:
        # The plan year's total (EB06 22 service year): the estimate applies it again after the
        # plan year resets; without a period it was read as neither total nor days left.
        benefits.append(
            PhoneBenefit(
                kind="limitations", visits=limit, time_period=TimePeriod.SERVICE_YEAR, **line
            )
        )
    if remaining is not None:
        benefits.append(
            PhoneBenefit(
                kind="limitations", visits=remaining, time_period=TimePeriod.REMAINING, **line
            )
        )
    # Next plan year's amounts, when they differ, lie beside this year's: an episode crossing the
    # plan year end is priced with this year's before the reset and these after it.
    benefits += _amounts(
        line | {"plan_year": "next"},
        TimePeriod.SERVICE_YEAR,  # next year's full amounts: nothing met yet
        next_deductible,
        next_oop,
        next_copay,
        next_share,
        after,
    )
    if auth is not None and not benefits:
        raise PhoneFormError({"auth_required": "enter the amounts it applies to as well"})
    try:
        return PhoneAnswer(
            representative_name=values["representative_name"].strip(),
            call_reference=values["call_reference"].strip(),
            call_date=call_date,
            active=values["active"] == "yes",
            plan_name=values.get("plan_name", "").strip() or None,
            insurance_type=insurance,
            medicare_qmb=qmb,
            plan_begin=plan_begin,
            plan_end=plan_end,
            benefits=tuple(benefits),
            notes=values.get("notes", "").strip() or None,
        )
    except ValidationError as exc:
        found: dict[str, str] = {}
        for error in exc.errors(include_input=False, include_url=False):
            where = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            if where not in LABELS:
                where = "plan_end" if "plan_end" in message else "notes"
            found[where] = message.replace(
                "plan_end is before plan_begin", "before the plan year begins"
            )
        raise PhoneFormError(found) from None


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}"


def to_form_values(answer: PhoneAnswer, *, policy: int) -> dict[str, str]:
    """A saved call as the form's fields (the inverse of `to_phone_answer`): the form opens with
    it so a second call edits the first. Of several lines of one kind (a call recorded through
    the API), the first is shown."""
    values = {
        "policy": str(policy),
        "representative_name": answer.representative_name,
        "call_reference": answer.call_reference,
        "call_date": answer.call_date.isoformat(),
        "active": "yes" if answer.active else "no",
        "plan_name": answer.plan_name or "",
        "insurance_type": answer.insurance_type.value if answer.insurance_type else "",
        "plan_begin": answer.plan_begin.isoformat() if answer.plan_begin else "",
        "plan_end": answer.plan_end.isoformat() if answer.plan_end else "",
        "medicare_qmb": _FLAG_WORDS[answer.medicare_qmb],
        "notes": answer.notes or "",
    }
    fields = {
        ("current", "deductible"): "deductible_remaining",
        ("current", "out_of_pocket"): "oop_remaining",
        ("current", "copay"): "copay",
        ("current", "coinsurance"): "coinsurance",
        ("next", "deductible"): "next_deductible",
        ("next", "out_of_pocket"): "next_oop",
        ("next", "copay"): "next_copay",
        ("next", "coinsurance"): "next_coinsurance",
    }
    for benefit in answer.benefits:
        if not values.get("network") and benefit.network is not None:
            values["network"] = benefit.network.value
        if not values.get("place_of_service") and benefit.place_of_service:
            values["place_of_service"] = benefit.place_of_service
        if not values.get("auth_required") and benefit.auth_required is not None:
            values["auth_required"] = _FLAG_WORDS[benefit.auth_required]
        if benefit.kind == "limitations" and benefit.plan_year == "current":
            name = (
                "visits_remaining" if benefit.time_period is TimePeriod.REMAINING else "visit_limit"
            )
            if name not in values and benefit.visits is not None:
                values[name] = str(benefit.visits)
            continue
        name = fields.get((benefit.plan_year, benefit.kind), "")
        if not name or name in values:
            continue
        if benefit.kind == "coinsurance" and benefit.percent is not None:
            values[name] = _percent(benefit.percent)
        elif benefit.amount is not None:
            values[name] = f"{benefit.amount:f}"
        if benefit.kind == "copay" and "copay_after_deductible" not in values:
            values["copay_after_deductible"] = _FLAG_WORDS[benefit.copay_applies_after_deductible]
    return values
