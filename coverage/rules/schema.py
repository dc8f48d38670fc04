"""Shapes of the payer_rules/ YAML files this package loads. Unknown keys are refused."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from coverage.domain.eligibility import Network
from coverage.domain.money import Money
from coverage.domain.sliding_scale import Geography, SlidingScalePolicy

Status = Literal["verified", "draft"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# Amounts in rule files are whole cents; floats are refused earlier, by the loader. The bound
# keeps "3.5E+30" (a typo) out of the arithmetic: no per-diem rate or guideline comes near it.
Amount = Annotated[Money, Field(ge=0, le=Decimal("1000000"), decimal_places=2)]


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleFileHeader(RuleModel):
    """Keys every rule file carries, whatever its kind."""

    kind: str
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    source: Text
    effective: date
    expires: date | None = None
    status: Status = "verified"

    @model_validator(mode="after")
    def _window(self) -> "RuleFileHeader":
        if self.expires is not None and self.expires < self.effective:
            raise ValueError("expires: before effective; the file would never apply")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective <= on and (self.expires is None or on <= self.expires)


class GuidelineAmounts(RuleModel):
    first_person: Annotated[Amount, Field(gt=0)]
    per_additional_person: Amount


class PovertyGuidelinesFile(RuleFileHeader):
    kind: Literal["poverty_guidelines"]
    year: int = Field(ge=2000, le=2100)
    # The date HHS states in the notice; draft where the notice's date could not be checked.
    effective_status: Status = "verified"
    geographies: dict[Geography, GuidelineAmounts]

    @model_validator(mode="after")
    def _all_geographies(self) -> "PovertyGuidelinesFile":
        missing = set(Geography) - set(self.geographies)
        if missing:
            raise ValueError(f"geographies missing: {', '.join(sorted(missing))}")
        return self


class SlidingScalePolicyFile(RuleFileHeader, SlidingScalePolicy):
    """The policy's own validators (contiguous classes, months) run on the file as loaded."""

    kind: Literal["sliding_scale_policy"]

    def policy(self) -> SlidingScalePolicy:
        return SlidingScalePolicy(
            classes=self.classes,
            installment_months=self.installment_months,
            minimum_monthly_payment=self.minimum_monthly_payment,
        )


class ServiceCode(RuleModel):
    description: Text
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5}$")]
    revenue_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None
    revenue_code_status: Status = "verified"


class PayerRate(RuleModel):
    """One per-diem allowed amount; its own window and status narrow the file's."""

    network: Network
    per_day: Amount  # the amount per unit below: per service day, or per hour of service
    unit: Literal["per_diem", "per_hour"] = "per_diem"
    effective: date | None = None
    expires: date | None = None
    status: Status | None = None
    source: Text | None = None

    @model_validator(mode="after")
    def _window(self) -> "PayerRate":
        if self.effective and self.expires and self.expires < self.effective:
            raise ValueError("expires: before effective; the rate would never apply")
        return self

    def in_force(self, on: date) -> bool:
        return (self.effective is None or self.effective <= on) and (
            self.expires is None or on <= self.expires
        )


class FeeScheduleFile(RuleFileHeader):
    kind: Literal["fee_schedule"]
    service: ServiceCode
    # The facility's own price per IOP day. It holds past `expires` until a later schedule gives
    # one (`expires` ends the payers' rates, not the facility's price); a schedule of payer
    # rates alone may leave it out.
    self_pay_per_day: Amount | None = None
    payers: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")], list[PayerRate]
    ] = Field(default_factory=dict)

    def rates(self, payer_id: str, network: Network, on: date) -> list[PayerRate]:
        return [
            rate
            for rate in self.payers.get(payer_id, [])
            if rate.network is network and rate.in_force(on)
        ]


class PartBYear(RuleModel):
    """One calendar year of Medicare Part B cost sharing (CMS Part B deductible announcements;
    42 CFR 419.41(c)(4)(i))."""

    deductible: Amount
    coinsurance: Annotated[Decimal, Field(ge=0, le=1)]
    source: Text
    status: Status = "verified"


class MedicarePartBFile(RuleFileHeader):
    kind: Literal["medicare_part_b"]
    years: dict[Annotated[int, Field(ge=2000, le=2100)], PartBYear] = Field(min_length=1)


KNOWN_KINDS: dict[str, type[RuleFileHeader]] = {
    "poverty_guidelines": PovertyGuidelinesFile,
    "sliding_scale_policy": SlidingScalePolicyFile,
    "fee_schedule": FeeScheduleFile,
    "medicare_part_b": MedicarePartBFile,
}
