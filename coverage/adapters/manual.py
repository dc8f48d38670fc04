"""Phone verification: the payer is asked by staff, not by us.

A payer file with `adapter: manual` makes the check wait for staff: until a call is recorded
for the job and policy (the phone answer form on the job's page, API
`POST /api/verifications/<job id>/phone-vob`, CLI `iop-coverage phone record`), the check ends in
needs_info with an action telling staff to call; recording the call re-runs the job, which reads
it into the same normalized response, by the same interpretation as X12.

    settings:
      phone: "800-555-0100"     # optional: printed in the action staff see
"""

from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from coverage.adapters.payer_settings import read_settings
from coverage.domain.eligibility import (
    CostSharing,
    EligibilityRequest,
    EligibilityResponse,
    TimePeriod,
    day_text,
)
from coverage.domain.payer import PayerConfig
from coverage.domain.phone import PhoneAnswer, PhoneAnswerRequest, PhoneBenefit
from coverage.errors import PayerPermanentError
from coverage.x12 import codes
from coverage.x12.iop_benefit import IopContext, interpret_responses
from coverage.x12.reader_271 import (
    RECEIVER,
    SOURCE,
    SUBSCRIBER,
    DatePeriod,
    EligibilityBenefit,
    Party,
    Qualifier,
    Response271,
)
from coverage.x12.writer_270 import VERSION

MEDIA_TYPE = "application/vnd.iop-coverage.phone-vob+json"
_EB01 = {
    "deductible": "C",
    "out_of_pocket": "G",
    "copay": "B",
    "coinsurance": "A",
    "limitations": "F",
    "non_covered": "I",
}
_LEVEL = {level: code for code, level in codes.COVERAGE_LEVEL.items()}
_PERIOD = {period: code for code, period in codes.TIME_PERIOD.items()}
_NETWORK = {network: code for code, network in codes.NETWORK.items()}
_FLAG = {True: "Y", False: "N", None: ""}


class ManualSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+() .-]+$")


def _line(benefit: PhoneBenefit, number: int, context: IopContext) -> EligibilityBenefit:
    period = benefit.time_period
    messages = [benefit.note] if benefit.note else []
    if benefit.copay_applies_after_deductible is False:
        # The phrase a payer's own MSG uses (codes.COPAY_OUTSIDE_DEDUCTIBLE): one reading for both.
        messages.append("Copay not subject to deductible (phone call)")
    places = [Qualifier("ZZ", benefit.place_of_service, "", "")] if benefit.place_of_service else []
    return EligibilityBenefit(
        code=_EB01[benefit.kind],
        coverage_level=_LEVEL.get(benefit.coverage_level, ""),
        # No service type: the facility IOP benefit the script asks about.
        service_types=benefit.service_types or context.service_types[:1],
        insurance_type="",
        plan_description="",
        time_period=_PERIOD.get(period, "") if period and period is not TimePeriod.OTHER else "",
        amount=benefit.amount,
        percent=benefit.percent,
        quantity_qualifier="VS" if benefit.visits is not None else "",
        quantity=None if benefit.visits is None else Decimal(benefit.visits),
        authorization=_FLAG[benefit.auth_required],
        in_network=_NETWORK.get(benefit.network, "") if benefit.network else "",
        procedure=(),
        segment_number=number,
        messages=messages,
        qualifiers=places,
    )


def _interpret(
    entry: PhoneAnswer, numbered: list[tuple[int, PhoneBenefit]], context: IopContext
) -> EligibilityResponse:
    """Some of the call's benefits as 271 content, interpreted like any payer's answer."""
    patient = Party(SUBSCRIBER, "3")
    patient.benefits.append(
        EligibilityBenefit.coverage_status(
            active=entry.active, plan_description=entry.plan_name or "", segment_number=1
        )
    )
    patient.benefits += [_line(b, n, context) for n, b in numbered]
    if entry.plan_begin:
        patient.dates.append(DatePeriod("346", entry.plan_begin, entry.plan_begin))
    if entry.plan_end:
        patient.dates.append(DatePeriod("347", entry.plan_end, entry.plan_end))
    receiver = Party(RECEIVER, "2", children=[patient])
    source = Party(SOURCE, "1", children=[receiver])
    return interpret_responses(
        [Response271(entry.call_reference, VERSION, "11", "", None, [source], 1)],
        raw=entry.model_dump_json(),
        context=context,
        media_type=MEDIA_TYPE,
    )


def from_the_call(
    entry: PhoneAnswer, cost_sharing: tuple[CostSharing, ...]
) -> tuple[CostSharing, ...]:
    """Every term the call stated, marked as the call's (date and reference)."""
    return tuple(
        cs.model_copy(
            update={
                "origins": tuple(
                    o.model_copy(
                        update={
                            "source": "phone",
                            "call_date": entry.call_date,
                            "call_reference": entry.call_reference,
                        }
                    )
                    for o in cs.origins
                )
            }
        )
        for cs in cost_sharing
    )


def normalize(entry: PhoneAnswer, context: IopContext) -> EligibilityResponse:
    """The call as 271 content, interpreted like any payer's answer; next plan year's amounts are
    read on their own into `next_year_cost_sharing`."""
    numbered = list(enumerate(entry.benefits, 2))
    response = _interpret(entry, [(n, b) for n, b in numbered if b.plan_year == "current"], context)
    following = [(n, b) for n, b in numbered if b.plan_year == "next"]
    next_year: tuple[CostSharing, ...] = ()
    if following:
        next_year = from_the_call(entry, _interpret(entry, following, context).cost_sharing)
    call = (
        f"phone verification on {entry.call_date.isoformat()} with {entry.representative_name} "
        f"(call reference {entry.call_reference}); line #1 is the coverage status, "
        f"#2 on the benefits in the order entered"
    )
    assumptions = [call, *response.assumptions]
    if following:
        assumptions.append(
            f"benefits #{', #'.join(str(n) for n, _ in following)} are next plan year's amounts: "
            "they apply from the plan year reset on"
        )
    qmb = response.medicare_qmb if entry.medicare_qmb is None else entry.medicare_qmb
    if entry.medicare_qmb:
        assumptions.append(
            f"Qualified Medicare Beneficiary per the phone call on {day_text(entry.call_date)} "
            f"(reference {entry.call_reference}): no Medicare cost sharing is owed"
        )
    return response.model_copy(
        update={
            "insurance_type": entry.insurance_type or response.insurance_type,
            "medicare_qmb": qmb,
            "cost_sharing": from_the_call(entry, response.cost_sharing),
            "next_year_cost_sharing": next_year,
            "assumptions": tuple(assumptions),
            "messages": response.messages + ((entry.notes,) if entry.notes else ()),
        }
    )


class ManualAdapter:
    name: ClassVar[str] = "manual"
    settings_model: ClassVar[type[BaseModel]] = ManualSettings
    # The pipeline hands this adapter a PhoneAnswerRequest carrying the recorded call.
    reads_phone_answers: ClassVar[bool] = True

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        settings = read_settings(ManualSettings, payer, adapter="manual")
        entry = request.phone_answer if isinstance(request, PhoneAnswerRequest) else None
        if entry is None:
            phone = f" at {settings.phone}" if settings.phone else ""
            raise PayerPermanentError(
                f"payer {payer.id} is verified by phone; no call recorded yet",
                action=f"{payer.name} is verified by phone: call the payer{phone} with the call "
                "script on this page and enter what the representative said in the phone answer "
                "form below it; saving the answer re-runs this verification.",
            )
        context = IopContext.asked(request.service_start, request.service_types)
        return normalize(entry, context)
