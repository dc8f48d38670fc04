"""Phone verification: the payer is asked by staff, not by us.

A payer file with `adapter: manual` makes the check wait for staff: until a call is recorded
for the job and policy (API `POST /api/verifications/<job id>/phone-vob`, CLI `iop-coverage phone
record`), the check ends in needs_info with an action telling staff to call; once recorded, a
re-run reads the call into the same normalized response, by the same interpretation as X12.

    settings:
      phone: "800-555-0100"     # optional: printed in the action staff see
"""

from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from coverage.adapters.payer_settings import read_settings
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse, TimePeriod
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


def _line(benefit: PhoneBenefit, number: int) -> EligibilityBenefit:
    period = benefit.time_period
    return EligibilityBenefit(
        code=_EB01[benefit.kind],
        coverage_level=_LEVEL.get(benefit.coverage_level, ""),
        service_types=benefit.service_types,
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
        messages=[benefit.note] if benefit.note else [],
    )


def normalize(entry: PhoneAnswer, context: IopContext) -> EligibilityResponse:
    """The call as 271 content, interpreted like any payer's answer."""
    patient = Party(SUBSCRIBER, "3")
    patient.benefits.append(
        EligibilityBenefit.coverage_status(
            active=entry.active, plan_description=entry.plan_name or "", segment_number=1
        )
    )
    patient.benefits += [_line(b, n) for n, b in enumerate(entry.benefits, 2)]
    if entry.plan_begin:
        patient.dates.append(DatePeriod("346", entry.plan_begin, entry.plan_begin))
    if entry.plan_end:
        patient.dates.append(DatePeriod("347", entry.plan_end, entry.plan_end))
    receiver = Party(RECEIVER, "2", children=[patient])
    source = Party(SOURCE, "1", children=[receiver])
    raw = entry.model_dump_json()
    response = interpret_responses(
        [Response271(entry.call_reference, VERSION, "11", "", None, [source], 1)],
        raw=raw,
        context=context,
        media_type=MEDIA_TYPE,
    )
    call = (
        f"phone verification on {entry.call_date.isoformat()} with {entry.representative_name} "
        f"(call reference {entry.call_reference}); line #1 is the coverage status, "
        f"#2 on the benefits in the order entered"
    )
    return response.model_copy(
        update={
            "insurance_type": entry.insurance_type or response.insurance_type,
            "assumptions": (call, *response.assumptions),
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
                action=f"{payer.name} is verified by phone: call the payer{phone}, record what "
                "the representative said (their name, the call reference and each benefit) as "
                "this verification's phone answer, then press “Re-run as it is” on this page.",
            )
        context = IopContext.asked(request.service_start, request.service_types)
        return normalize(entry, context)
