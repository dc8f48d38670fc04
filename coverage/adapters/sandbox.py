"""In-process sandbox payer: documented personas chosen by member ID prefix (see payer_rules/README.md).

| member ID prefix | persona |
| SBX-PPO-      | active commercial PPO: in-network IOP, deductible $1,500 ($1,200 met), 20% coinsurance,
|               | out-of-pocket maximum $4,000 ($1,000 met), prior authorization required |
| SBX-MCR-      | Medicare Part B: that year's Part B deductible unmet, 20% coinsurance, no out-of-pocket maximum |
| SBX-QMB-      | the Medicare persona, enrolled as a Qualified Medicare Beneficiary (owes no cost sharing) |
| SBX-MCD-      | state Medicaid plan: no cost sharing for IOP, prior authorization required |
| SBX-INACTIVE- | coverage ended before the service dates |
| SBX-DOWN-     | payer unavailable on the first attempt (retryable), answers as the PPO persona after |
| anything else | unknown member: AAA 75 "subscriber not found" (final) |
"""

import json
import time
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from coverage.domain.eligibility import (
    Benefit,
    BenefitKind,
    CostSharing,
    CostTerm,
    CoverageLevel,
    EligibilityRequest,
    EligibilityResponse,
    InsuranceType,
    Network,
    TermOrigin,
    TimePeriod,
)
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerPermanentError, PayerTransientError
from coverage.sandbox.personas import PART_B_DEDUCTIBLE, part_b_deductible
from coverage.settings import get_settings


def _stated(*terms: CostTerm) -> tuple[TermOrigin, ...]:
    """The terms the persona's answer states (its X12 rendering has a line for each)."""
    return tuple(TermOrigin(term=t, source="electronic") for t in terms)


def _ppo(request: EligibilityRequest) -> dict[str, Any]:
    return {
        "active": True,
        "plan_name": "Sandbox PPO Gold",
        "insurance_type": InsuranceType.COMMERCIAL,
        "plan_begin": date(request.service_start.year, 1, 1),
        "plan_end": date(request.service_start.year, 12, 31),
        "cost_sharing": (
            CostSharing(
                network=Network.IN,
                deductible_remaining=Decimal("300.00"),
                coinsurance=Decimal("0.20"),
                oop_remaining=Decimal("3000.00"),
                prior_auth_required=True,
                prior_auth_stated=True,
                origins=_stated("deductible", "out_of_pocket", "coinsurance"),
            ),
        ),
        # The plan amounts (EB06 23, calendar year): what applies again after 1 January.
        "benefits": (
            Benefit(
                kind=BenefitKind.DEDUCTIBLE,
                service_types=("MH",),
                coverage_level=CoverageLevel.INDIVIDUAL,
                time_period=TimePeriod.CALENDAR_YEAR,
                amount=Decimal("1500.00"),
                network=Network.IN,
            ),
            Benefit(
                kind=BenefitKind.OUT_OF_POCKET,
                service_types=("MH",),
                coverage_level=CoverageLevel.INDIVIDUAL,
                time_period=TimePeriod.CALENDAR_YEAR,
                amount=Decimal("4000.00"),
                network=Network.IN,
            ),
        ),
        "messages": (
            "Deductible $1,500.00, met $1,200.00",
            "Out-of-pocket maximum $4,000.00, met $1,000.00",
        ),
    }


def _medicare(request: EligibilityRequest) -> dict[str, Any]:
    year = request.service_start.year
    deductible = part_b_deductible(year)
    if deductible is None:
        raise PayerPermanentError(
            f"sandbox Medicare has no Part B deductible for {year}",
            action=f"The sandbox payer knows Part B deductibles from {min(PART_B_DEDUCTIBLE)} on.",
        )
    return {
        "active": True,
        "plan_name": "Medicare Part B",
        "insurance_type": InsuranceType.MEDICARE,
        "plan_begin": date(year, 1, 1),
        "plan_end": date(year, 12, 31),
        "cost_sharing": (
            CostSharing(
                network=Network.IN,
                deductible_remaining=deductible,
                coinsurance=Decimal("0.20"),
                origins=_stated("deductible", "coinsurance"),
            ),
        ),
        "messages": ("Part B deductible and coinsurance apply to IOP",),
    }


def _qmb(request: EligibilityRequest) -> dict[str, Any]:
    return {**_medicare(request), "medicare_qmb": True}


def _medicaid(request: EligibilityRequest) -> dict[str, Any]:
    return {
        "active": True,
        "plan_name": "Sandbox State Medicaid",
        "insurance_type": InsuranceType.MEDICAID,
        "plan_begin": date(request.service_start.year, 1, 1),
        "cost_sharing": (
            CostSharing(
                network=Network.IN,
                oop_remaining=Decimal("0.00"),
                prior_auth_required=True,
                prior_auth_stated=True,
                origins=_stated("deductible", "out_of_pocket"),
            ),
        ),
        "messages": ("No cost sharing for behavioral-health IOP",),
    }


def _inactive(request: EligibilityRequest) -> dict[str, Any]:
    return {
        "active": False,
        "plan_name": "Sandbox PPO Gold",
        "insurance_type": InsuranceType.COMMERCIAL,
        "plan_begin": date(request.service_start.year - 1, 1, 1),
        "plan_end": date(request.service_start.year - 1, 12, 31),
        "messages": ("Coverage terminated",),
    }


def _down(request: EligibilityRequest) -> dict[str, Any]:
    if request.attempt < 2:
        raise PayerTransientError(
            "sandbox payer unavailable (AAA 42)",
            retry_after=None,
            action="The payer could not respond; the check will be retried.",
            reject_code="42",
        )
    return _ppo(request)


PERSONAS = {
    "SBX-PPO-": _ppo,
    "SBX-MCR-": _medicare,
    "SBX-QMB-": _qmb,
    "SBX-MCD-": _medicaid,
    "SBX-INACTIVE-": _inactive,
    "SBX-DOWN-": _down,
}


class SandboxSettings(BaseModel):
    """The sandbox takes no settings; any key in a payer file's `settings` is a mistake."""

    model_config = ConfigDict(extra="forbid")


class SandboxAdapter:
    name: ClassVar[str] = "sandbox"
    settings_model: ClassVar[type[BaseModel]] = SandboxSettings

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        time.sleep(get_settings().sandbox_latency_seconds)
        member = request.member_id.upper()
        persona = next((fn for prefix, fn in PERSONAS.items() if member.startswith(prefix)), None)
        if persona is None:
            raise PayerPermanentError(
                "payer answered AAA 75: subscriber not found",
                action="The payer did not find this member. Check the member ID, name and birth date "
                "against the insurance card, then re-run the verification.",
                reject_code="75",
            )
        fields = persona(request)
        reply = {
            "payer": payer.id,
            "trace": request.trace_number,
            "subscriber": {
                "member_id": request.member_id,
                "first_name": request.first_name,
                "last_name": request.last_name,
                "birth_date": request.birth_date.isoformat(),
            },
            **{k: v for k, v in fields.items() if k not in ("cost_sharing", "benefits")},
            "benefits": [cs.model_dump(mode="json") for cs in fields.get("cost_sharing", ())]
            + [b.model_dump(mode="json") for b in fields.get("benefits", ())],
        }
        # One benefit answers whatever is asked: it is the one asked, or none when both are.
        [asked] = request.benefits_asked if len(request.benefits_asked) == 1 else [None]
        return EligibilityResponse(
            **fields, priced_by=asked, raw_payload=json.dumps(reply, default=str, sort_keys=True)
        )
